/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Whole-buffer reads and writes and whole-range sendfile() that ride out
 * short transfers and EINTR: the one copy the programs share (ktls, ktls-bench,
 * the integration tests).  Built into libktls-support.a, not into libktls.
 * Errors as the programs use them: -1 (or a short count) with errno set.
 */
#ifndef SUPPORT_IO_H
#define SUPPORT_IO_H

#include <stddef.h>
#include <sys/types.h>

/* 0 once all len bytes are written; -1 with errno after write() failed, or
 * EIO when it made no progress. */
int io_write_all(int fd, const void *buf, size_t len);

/* 0 once all len bytes are read; -1 with errno after read() failed, or
 * errno 0 when the peer closed first. */
int io_read_full(int fd, void *buf, size_t len);

/* sendfile() len bytes of file_fd, starting at offset off, to sock: the bytes
 * sent, short of len after an error (errno set) or when the file ended first
 * (errno 0). */
size_t io_sendfile_all(int sock, int file_fd, off_t off, size_t len);

#endif /* SUPPORT_IO_H */

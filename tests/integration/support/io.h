/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Whole-buffer and whole-file writes that ride out short writes and EINTR. */
#ifndef INTEG_IO_H
#define INTEG_IO_H

#include <stddef.h>

/* 0, or -1 after write() failed or made no progress. */
int write_all(int fd, const void *buf, size_t len);

/* sendfile() the first len bytes of file_fd; the bytes sent, short of len
 * on an error (errno set) or when the file ended first (errno 0). */
size_t sendfile_all(int sock, int file_fd, size_t len);

#endif /* INTEG_IO_H */

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reading the files credentials come from (secret_file.c), for creds.c,
 * creds_psk.c and the key process: certificates plainly, private keys and
 * PSK files as secrets.
 */
#ifndef KTLSD_SECRET_FILE_H
#define KTLSD_SECRET_FILE_H

#include <gnutls/gnutls.h>
#include <stddef.h>

/* 0 if path is a regular file we may trust with a secret; else -EPERM/-errno
 * and the reason in reason. */
int creds_check_secret_file(const char *path, char *reason, size_t reason_len);

/* All of the file into out (NUL-terminated, size without the
 * NUL); kind names it in messages.  read_secret_file reads only after the
 * checks of creds_check_secret_file, from the descriptor it checked. */
int read_public_file(const char *kind, const char *path, gnutls_datum_t *out,
		     char *reason, size_t reason_len);
int read_secret_file(const char *kind, const char *path, gnutls_datum_t *out,
		     char *reason, size_t reason_len);
/* All of an open file (up to 4 MiB) from its offset; path for messages. */
int read_file_fd(int fd, const char *path, gnutls_datum_t *out, char *reason, size_t reason_len);
/* Descriptors for the key process to pass on (OPEN): a secret file after
 * creds_check_secret_file's checks, or any regular file.  fd or -errno. */
int open_secret_fd(const char *kind, const char *path, char *reason, size_t reason_len);
int open_public_fd(const char *kind, const char *path, char *reason, size_t reason_len);

#endif

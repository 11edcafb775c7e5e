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
int secret_file_check(const char *path, char *reason, size_t reason_len);

/* All of the file into out (NUL-terminated, size without the
 * NUL); kind names it in messages.  secret_file_read reads only after the
 * checks of secret_file_check, from the descriptor it checked. */
int secret_file_read_public(const char *kind, const char *path, gnutls_datum_t *out,
			    char *reason, size_t reason_len);
int secret_file_read(const char *kind, const char *path, gnutls_datum_t *out,
		     char *reason, size_t reason_len);
/* All of an open file (up to 4 MiB) from its offset; path for messages. */
int secret_file_read_fd(int fd, const char *path, gnutls_datum_t *out, char *reason,
			size_t reason_len);
/* Descriptors for the key process to pass on (OPEN): a secret file after
 * secret_file_check's checks, or any regular file.  fd or -errno. */
int secret_file_open(const char *kind, const char *path, char *reason, size_t reason_len);
int secret_file_open_public(const char *kind, const char *path, char *reason, size_t reason_len);

#endif

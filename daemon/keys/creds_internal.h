/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared by creds.c, creds_psk.c, secret_file.c and keyproc.c (which reads
 * key files with read_secret_file) only.
 */
#ifndef KTLSD_CREDS_INTERNAL_H
#define KTLSD_CREDS_INTERNAL_H

#include <stddef.h>
#include <gnutls/gnutls.h>

#include "keys/creds.h"
#include "keys/keyproc_proto.h"

/* creds.c */
void set_error(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void wipe_datum(gnutls_datum_t *d);

/* secret_file.c: all of the file into out (NUL-terminated, size without the
 * NUL); kind names it in messages.  read_secret_file reads only after the
 * checks of creds_check_secret_file, from the descriptor it checked. */
int read_public_file(const char *kind, const char *path, gnutls_datum_t *out,
		     char *err, size_t errlen);
int read_secret_file(const char *kind, const char *path, gnutls_datum_t *out,
		     char *err, size_t errlen);
/* All of an open file (up to 4 MiB) from its offset; path for messages. */
int read_file_fd(int fd, const char *path, gnutls_datum_t *out, char *err, size_t errlen);
/* Descriptors for the key process to pass on (OPEN): a secret file after
 * creds_check_secret_file's checks, or any regular file.  fd or -errno. */
int open_secret_fd(const char *kind, const char *path, char *err, size_t errlen);
int open_public_fd(const char *kind, const char *path, char *err, size_t errlen);

/* creds.c: a profile's certificate, CA or PSK file, through the key process
 * (by generation, index and name: never by path) when c has a key
 * generation, else read here. */
int creds_read_file(const struct creds *c, const struct cfg_profile *p, uint32_t index,
		    enum kp_file kind, gnutls_datum_t *out, char *err, size_t errlen);

/* creds_psk.c: p->psk_file into c->psk and its GnuTLS PSK credentials. */
int load_psk(struct creds *c, const struct cfg_profile *p, uint32_t index, char *err,
	     size_t errlen);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared by creds.c, creds_psk.c, secret_file.c and keyproc.c (which reads
 * key files with read_secret_file) only.
 */
#ifndef KTLSD_CREDS_INTERNAL_H
#define KTLSD_CREDS_INTERNAL_H

#include <stddef.h>
#include <gnutls/gnutls.h>

#include "creds.h"

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

/* creds_psk.c: p->psk_file into c->psk and its GnuTLS PSK credentials. */
int load_psk(struct creds *c, const struct cfg_profile *p, char *err, size_t errlen);

#endif

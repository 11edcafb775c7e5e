/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Files for the daemon's unit tests: one temporary directory per test
 * program, files in it with a chosen mode, and self-signed certificates.
 */
#ifndef UNIT_FILES_H
#define UNIT_FILES_H

#include <stddef.h>
#include <sys/types.h>
#include <gnutls/gnutls.h>

/* /tmp/ktlsd-test-NAME-XXXXXX, made fresh.  0, or -1 + errno. */
int unit_tmpdir_create(const char *name);
/* Removes it and everything in it.  0, or -1. */
int unit_tmpdir_remove(void);

/* NAME inside the directory (the last 8 results stay valid). */
const char *unit_tmp_path(const char *name);

/* Writes NAME anew with exactly mode (not subject to the umask). */
void unit_write_file(const char *name, const void *data, size_t len, mode_t mode);
void unit_write_text(const char *name, const char *text, mode_t mode);

/* A self-signed certificate for cn (subject CN and DNS SAN; a CA, so it
 * can be its own trust anchor) with a new pk/bits key; the key file is
 * written 0600, the certificate 0644. */
void unit_make_cert(const char *cert_name, const char *key_name, const char *cn,
		    gnutls_pk_algorithm_t pk, unsigned bits);

#endif /* UNIT_FILES_H */

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by creds.c and creds_psk.c only. */
#ifndef KTLSD_CREDS_INTERNAL_H
#define KTLSD_CREDS_INTERNAL_H

#include <stddef.h>
#include <gnutls/gnutls.h>

#include "keys/creds.h"
#include "keys/keyproc_proto.h"

/* creds.c: a profile's certificate, CA or PSK file, through the key process
 * (by generation, index and name: never by path) when c has a key
 * generation, else read here. */
int creds_read_file(const struct creds *c, const struct cfg_profile *p, uint32_t index,
		    enum kp_file kind, gnutls_datum_t *out, char *reason, size_t reason_len);

/* creds_psk.c: p->psk_file into c->psk and its GnuTLS PSK credentials. */
int creds_load_psk(struct creds *c, const struct cfg_profile *p, uint32_t index, char *reason,
		   size_t reason_len);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Wiping secrets held in GnuTLS datums (key files, PSKs) before their memory
 * is freed, so a later heap read or core dump does not find them.  A leaf,
 * shared by the key process and the network process.
 */
#ifndef KTLSD_BASE_WIPE_H
#define KTLSD_BASE_WIPE_H

#include <gnutls/gnutls.h>

/* Zeroes d's bytes (gnutls_memset, which the compiler may not drop), frees
 * them and leaves d empty; an empty d is left as it is. */
void wipe_datum(gnutls_datum_t *d);

#endif

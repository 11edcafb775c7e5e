/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * GnuTLS negotiated state -> struct ktls_crypto_params: the one place that
 * knows how GnuTLS splits keys and IVs.  Not part of libktls.so (which has no
 * GnuTLS dependency); linked into ktlsd, tools and tests from libktls-gnutls.a.
 * Returns 0 or -errno, with the reason in ktls_errmsg(); errno is left alone
 * (the error rule in ktls_internal.h).
 */
#ifndef KTLS_GNUTLS_H
#define KTLS_GNUTLS_H

#include <gnutls/gnutls.h>
#include <stddef.h>
#include <stdint.h>

#include "ktls.h"

/* enum ktls_cipher for a GnuTLS AEAD, or -1 if the kernel cannot run it. */
int ktls_cipher_from_gnutls(gnutls_cipher_algorithm_t cipher);

/* Pure mapping, testable with known vectors.  iv is what
 * gnutls_record_get_state() returns: the 12-byte static IV in TLS 1.3 and
 * for ChaCha20, the 4-byte implicit IV for TLS 1.2 GCM/CCM. */
int ktls_params_from_record_state(enum ktls_version version, gnutls_cipher_algorithm_t cipher,
				  const gnutls_datum_t *key, const gnutls_datum_t *iv,
				  const unsigned char seq[8], struct ktls_crypto_params *out);

/* Read one direction of a session that finished its handshake. */
int ktls_params_from_gnutls(gnutls_session_t session, enum ktls_direction dir,
			    struct ktls_crypto_params *out);

/* HMAC-SHA256/384 by GnuTLS, in the shape of ktls_hmac_fn (ktls_hkdf.h):
 * the daemon checks the secrets it hands out with it, and the host unit
 * tests (no AF_ALG there) run the key schedule over it. */
int ktls_hmac_gnutls(unsigned hash_len, const uint8_t *key, size_t key_len,
		     const uint8_t *data, size_t data_len, uint8_t *out);

#endif /* KTLS_GNUTLS_H */

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal: the TLS 1.3 key schedule steps a KeyUpdate needs (RFC 8446
 * section 7.1-7.3), over an HMAC the caller chooses.  libktls uses the
 * kernel's HMAC through AF_ALG (ktls_hmac_af_alg), so applications link no
 * TLS or crypto library; the daemon and the host unit tests plug in GnuTLS's
 * HMAC (lib/ktls_gnutls.c).  0 or -errno throughout; errno is left alone.
 */
#ifndef KTLS_HKDF_H
#define KTLS_HKDF_H

#include <stddef.h>
#include <stdint.h>

#define KTLS_SECRET_MAX 48	/* SHA-384 */

/* HMAC-SHA256 (hash_len 32) or HMAC-SHA384 (48) of data under key into out
 * (hash_len bytes).  0 or -errno. */
typedef int (*ktls_hmac_fn)(unsigned hash_len, const uint8_t *key, size_t key_len,
			    const uint8_t *data, size_t data_len, uint8_t *out);

/* The kernel's hmac(sha256)/hmac(sha384) through an AF_ALG socket.
 * -EAFNOSUPPORT when the kernel has no AF_ALG (or a filter forbids it),
 * -ENOENT when it lacks the hash (module algif_hash / sha512 missing). */
int ktls_hmac_af_alg(unsigned hash_len, const uint8_t *key, size_t key_len,
		     const uint8_t *data, size_t data_len, uint8_t *out);

/* HKDF-Expand-Label(secret, label, "", out_len) with an empty context, the
 * only form KeyUpdate uses.  secret_len is the hash length (32 or 48);
 * out_len at most 255 * hash length. */
int ktls_hkdf_expand_label(ktls_hmac_fn hmac, const uint8_t *secret, unsigned secret_len,
			   const char *label, uint8_t *out, size_t out_len);

/* application_traffic_secret_N+1 = HKDF-Expand-Label(secret_N, "traffic upd",
 * "", Hash.length), in place. */
int ktls_next_traffic_secret(ktls_hmac_fn hmac, uint8_t *secret, unsigned secret_len);

/* The record key and IV of a traffic secret ("key", "iv"). */
int ktls_traffic_key_iv(ktls_hmac_fn hmac, const uint8_t *secret, unsigned secret_len,
			uint8_t *key, size_t key_len, uint8_t *iv, size_t iv_len);

#endif /* KTLS_HKDF_H */

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Sealed shared-store entries (shared_store.h): the one wire format ktlsd
 * writes to memcached, and the names it writes it under.
 *
 *	0	version (1)
 *	1	algorithm (1: AES-256-GCM)
 *	2..9	expiry, Unix seconds, big-endian
 *	10..21	nonce (random, 96 bits)
 *	22..	ciphertext, then the 16-byte tag
 *
 * Associated data: the 22 header bytes, then the entry's name as stored
 * (which holds a hash of the profile name and the session ID in hex).  So
 * the tag fails for an entry copied under another name (another profile,
 * another session ID) and for an edited expiry; the expiry is checked
 * after the tag, so a stale entry that someone stored again with a fresh
 * memcached TTL stays dead.  Random 96-bit nonces under one key are safe
 * for far more entries than a fleet writes in a key's life (NIST SP
 * 800-38D: 2^32 invocations).
 */
#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <string.h>

#include "sessions/shared_store.h"

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t get_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

int shared_store_seal_key_derive(const uint8_t *master, size_t master_len,
				 uint8_t out[SHARED_STORE_KEY_LEN])
{
	/* RFC 5869's "not provided" salt: HashLen zero bytes. */
	static const uint8_t zero_salt[32];
	const gnutls_datum_t ikm = { (unsigned char *)(uintptr_t)master, (unsigned)master_len };
	const gnutls_datum_t salt = { (unsigned char *)(uintptr_t)zero_salt, sizeof(zero_salt) };
	const gnutls_datum_t info = { (unsigned char *)(uintptr_t)SHARED_STORE_SEAL_LABEL,
				      sizeof(SHARED_STORE_SEAL_LABEL) - 1 };
	uint8_t prk[32];
	gnutls_datum_t prk_datum = { prk, sizeof(prk) };
	int rc;

	if (!master || master_len < 16 || master_len > 1024)
		return -EINVAL;
	rc = gnutls_hkdf_extract(GNUTLS_MAC_SHA256, &ikm, &salt, prk);
	if (rc == 0)
		rc = gnutls_hkdf_expand(GNUTLS_MAC_SHA256, &prk_datum, &info, out,
					SHARED_STORE_KEY_LEN);
	gnutls_memset(prk, 0, sizeof(prk));
	return rc == 0 ? 0 : -EIO;
}

/* header || name, the associated data; NULL when name is too long. */
static uint8_t *build_ad(const uint8_t *header, const char *name, uint8_t *buf, size_t buf_len,
			 size_t *ad_len)
{
	size_t name_len = strlen(name);

	if (name_len == 0 || name_len > SHARED_STORE_NAME_MAX ||
	    SHARED_STORE_HEADER_LEN + name_len > buf_len)
		return NULL;
	memcpy(buf, header, SHARED_STORE_HEADER_LEN);
	memcpy(buf + SHARED_STORE_HEADER_LEN, name, name_len);
	*ad_len = SHARED_STORE_HEADER_LEN + name_len;
	return buf;
}

static int aead_open_key(gnutls_aead_cipher_hd_t *h, const uint8_t key[SHARED_STORE_KEY_LEN])
{
	const gnutls_datum_t k = { (unsigned char *)(uintptr_t)key, SHARED_STORE_KEY_LEN };

	return gnutls_aead_cipher_init(h, GNUTLS_CIPHER_AES_256_GCM, &k) == 0 ? 0 : -EIO;
}

int shared_store_seal(const uint8_t key[SHARED_STORE_KEY_LEN], const char *name,
		      uint64_t expires, const uint8_t *nonce, const uint8_t *plain,
		      size_t len, uint8_t *out, size_t out_len)
{
	uint8_t ad_buf[SHARED_STORE_HEADER_LEN + SHARED_STORE_NAME_MAX];
	gnutls_aead_cipher_hd_t h;
	size_t ad_len, ct_len = out_len - SHARED_STORE_HEADER_LEN;
	int rc;

	if (len > SHARED_STORE_PLAIN_MAX || out_len != len + SHARED_STORE_OVERHEAD)
		return -EINVAL;
	out[0] = SHARED_STORE_VERSION;
	out[1] = SHARED_STORE_ALG_AES_256_GCM;
	put_be64(out + 2, expires);
	if (nonce)
		memcpy(out + 10, nonce, SHARED_STORE_NONCE_LEN);
	else if (gnutls_rnd(GNUTLS_RND_NONCE, out + 10, SHARED_STORE_NONCE_LEN) < 0)
		return -EIO;
	if (!build_ad(out, name, ad_buf, sizeof(ad_buf), &ad_len))
		return -EINVAL;
	rc = aead_open_key(&h, key);
	if (rc < 0)
		return rc;
	if (gnutls_aead_cipher_encrypt(h, out + 10, SHARED_STORE_NONCE_LEN, ad_buf, ad_len,
				       SHARED_STORE_TAG_LEN, plain, len,
				       out + SHARED_STORE_HEADER_LEN, &ct_len) < 0 ||
	    ct_len != len + SHARED_STORE_TAG_LEN)
		rc = -EIO;
	gnutls_aead_cipher_deinit(h);
	return rc;
}

int shared_store_unseal(const uint8_t key[SHARED_STORE_KEY_LEN], const char *name,
			uint64_t now, const uint8_t *sealed, size_t len, uint8_t *plain,
			size_t plain_len)
{
	uint8_t ad_buf[SHARED_STORE_HEADER_LEN + SHARED_STORE_NAME_MAX];
	gnutls_aead_cipher_hd_t h;
	size_t ad_len, out_len = plain_len;
	int rc;

	if (len < SHARED_STORE_OVERHEAD || len - SHARED_STORE_OVERHEAD > SHARED_STORE_PLAIN_MAX ||
	    plain_len != len - SHARED_STORE_OVERHEAD)
		return -EINVAL;
	if (sealed[0] != SHARED_STORE_VERSION || sealed[1] != SHARED_STORE_ALG_AES_256_GCM)
		return -EPROTO;
	if (!build_ad(sealed, name, ad_buf, sizeof(ad_buf), &ad_len))
		return -EINVAL;
	rc = aead_open_key(&h, key);
	if (rc < 0)
		return rc;
	if (gnutls_aead_cipher_decrypt(h, sealed + 10, SHARED_STORE_NONCE_LEN, ad_buf, ad_len,
				       SHARED_STORE_TAG_LEN, sealed + SHARED_STORE_HEADER_LEN,
				       len - SHARED_STORE_HEADER_LEN, plain, &out_len) < 0 ||
	    out_len != plain_len)
		rc = -EBADMSG;
	gnutls_aead_cipher_deinit(h);
	if (rc < 0) {
		gnutls_memset(plain, 0, plain_len);
		return rc;
	}
	/* Only now is the expiry the writer's. */
	if (get_be64(sealed + 2) <= now) {
		gnutls_memset(plain, 0, plain_len);
		return -ESTALE;
	}
	return 0;
}

static void hex(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

int shared_store_once_name(const char *ns, const uint8_t *id, size_t id_len, char *out,
			   size_t out_len)
{
	uint8_t ns_hash[32], id_hash[32];

	if (!ns || (!id && id_len) || out_len < SHARED_STORE_ONCE_NAME_LEN + 1)
		return -EINVAL;
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, ns, strlen(ns), ns_hash) < 0 ||
	    gnutls_hash_fast(GNUTLS_DIG_SHA256, id, id_len, id_hash) < 0)
		return -EIO;
	memcpy(out, "ktlsd1o:", 8);
	hex(ns_hash, 16, out + 8);
	out[40] = ':';
	hex(id_hash, 32, out + 41);
	return 0;
}

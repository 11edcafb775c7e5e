// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <gnutls/crypto.h>
#include <string.h>

#include "ktls_gnutls.h"
#include "ktls_internal.h"

int ktls_cipher_from_gnutls(gnutls_cipher_algorithm_t cipher)
{
	switch ((int)cipher) {	/* GnuTLS's enum is open-ended */
	case GNUTLS_CIPHER_AES_128_GCM:
		return KTLS_CIPHER_AES_128_GCM;
	case GNUTLS_CIPHER_AES_256_GCM:
		return KTLS_CIPHER_AES_256_GCM;
	case GNUTLS_CIPHER_AES_128_CCM:
		return KTLS_CIPHER_AES_128_CCM;
	case GNUTLS_CIPHER_CHACHA20_POLY1305:
		return KTLS_CIPHER_CHACHA20_POLY1305;
	default:
		return -1;
	}
}

int ktls_params_from_record_state(enum ktls_version version, gnutls_cipher_algorithm_t cipher,
				  const gnutls_datum_t *key, const gnutls_datum_t *iv,
				  const unsigned char seq[8], struct ktls_crypto_params *out)
{
	int id = ktls_cipher_from_gnutls(cipher);
	const struct ktls_cipher_row *row = ktls_cipher_row(id);
	/* The whole nonce source GnuTLS holds: salt + iv in the kernel's terms,
	 * except TLS 1.2 GCM/CCM where GnuTLS holds only the implicit part. */
	unsigned int want_iv = row ? row->salt_len + row->iv_len : 0;
	int tls12_explicit = version == KTLS_VERSION_1_2 && row && row->salt_len > 0;

	memset(out, 0, sizeof(*out));
	if (!row) {
		ktls_set_reason("negotiated cipher %s cannot be offloaded to the kernel",
				gnutls_cipher_get_name(cipher) ? gnutls_cipher_get_name(cipher) : "?");
		return -EOPNOTSUPP;
	}
	if (version != KTLS_VERSION_1_2 && version != KTLS_VERSION_1_3) {
		ktls_set_reason("TLS version 0x%04x cannot be offloaded", (unsigned)version);
		return -EOPNOTSUPP;
	}
	if (tls12_explicit)
		want_iv = row->salt_len;
	if (key->size != row->key_len || iv->size != want_iv) {
		ktls_set_reason("GnuTLS state for %s has key/iv of %u/%u bytes, expected %u/%u",
				row->name, key->size, iv->size, row->key_len, want_iv);
		return -EPROTO;
	}
	out->version = version;
	out->cipher = row->id;
	out->key_len = row->key_len;
	out->iv_len = row->iv_len;
	out->salt_len = row->salt_len;
	memcpy(out->key, key->data, row->key_len);
	memcpy(out->salt, iv->data, row->salt_len);
	/* TLS 1.2 GCM/CCM: the explicit nonce the kernel starts from is the
	 * record sequence number (RFC 5288 section 3 recommends exactly that). */
	memcpy(out->iv, tls12_explicit ? seq : iv->data + row->salt_len, row->iv_len);
	memcpy(out->rec_seq, seq, KTLS_REC_SEQ_LEN);
	return 0;
}

int ktls_params_from_gnutls(gnutls_session_t session, enum ktls_direction dir,
			    struct ktls_crypto_params *out)
{
	gnutls_datum_t mac_key, iv, key;
	unsigned char seq[8];
	enum ktls_version version;
	int rc;

	switch ((int)gnutls_protocol_get_version(session)) {
	case GNUTLS_TLS1_2:
		version = KTLS_VERSION_1_2;
		break;
	case GNUTLS_TLS1_3:
		version = KTLS_VERSION_1_3;
		break;
	default:
		ktls_set_reason("negotiated %s cannot be offloaded (TLS 1.2/1.3 only)",
				gnutls_protocol_get_name(gnutls_protocol_get_version(session)));
		return -EOPNOTSUPP;
	}
	rc = gnutls_record_get_state(session, dir == KTLS_DIR_RX, &mac_key, &iv, &key, seq);
	if (rc < 0) {
		ktls_set_reason("gnutls_record_get_state: %s", gnutls_strerror(rc));
		return -EPROTO;
	}
	rc = ktls_params_from_record_state(version, gnutls_cipher_get(session), &key, &iv, seq, out);
	explicit_bzero(seq, sizeof(seq));
	return rc;
}

int ktls_hmac_gnutls(unsigned hash_len, const uint8_t *key, size_t key_len,
		     const uint8_t *data, size_t data_len, uint8_t *out)
{
	gnutls_mac_algorithm_t mac;

	if (hash_len == 32)
		mac = GNUTLS_MAC_SHA256;
	else if (hash_len == 48)
		mac = GNUTLS_MAC_SHA384;
	else
		return -EINVAL;
	return gnutls_hmac_fast(mac, key, key_len, data, data_len, out) < 0 ? -EIO : 0;
}

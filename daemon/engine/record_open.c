// SPDX-License-Identifier: GPL-2.0-or-later
/* Opening a TLS 1.3 protected record (record_open.h). */
#include <errno.h>
#include <gnutls/crypto.h>
#include <string.h>

#include "engine/record_open.h"

void record_nonce(const uint8_t iv[RECORD_NONCE_LEN], const unsigned char seq[8],
		  uint8_t nonce[RECORD_NONCE_LEN])
{
	memcpy(nonce, iv, RECORD_NONCE_LEN);
	for (int i = 0; i < 8; i++)
		nonce[RECORD_NONCE_LEN - 8 + i] ^= seq[i];
}

/* Inner type: the last non-zero byte of the plaintext (RFC 8446 5.4); the
 * content is what comes before it. */
static int inner_type(const uint8_t *plain, size_t *len)
{
	size_t n = *len;

	while (n > 0 && plain[n - 1] == 0)
		n--;
	if (n == 0)
		return -EBADMSG;
	*len = n - 1;
	return plain[n - 1];
}

#define HANDSHAKE_MSG_HEADER_LEN 4	/* type, 24-bit length */
#define NEW_SESSION_TICKET 4

int record_only_tickets(const uint8_t *plain, size_t len)
{
	size_t at = 0, body;

	if (len == 0)
		return 0;
	while (at < len) {
		if (plain[at] != NEW_SESSION_TICKET)
			return 0;
		if (len - at < HANDSHAKE_MSG_HEADER_LEN)
			return 1;	/* a ticket whose header goes on in the next record */
		body = (size_t)plain[at + 1] << 16 | (size_t)plain[at + 2] << 8 | plain[at + 3];
		if (body > len - at - HANDSHAKE_MSG_HEADER_LEN)
			return 1;	/* a ticket that goes on in the next record */
		at += HANDSHAKE_MSG_HEADER_LEN + body;
	}
	return 1;
}

int record_open(gnutls_cipher_algorithm_t cipher, const gnutls_datum_t *key,
		const gnutls_datum_t *iv, const unsigned char seq[8], const uint8_t *record,
		size_t record_len, uint8_t *plain, size_t *plain_len)
{
	uint8_t nonce[RECORD_NONCE_LEN];
	gnutls_aead_cipher_hd_t aead;
	size_t len;
	int type = -EBADMSG;

	*plain_len = 0;
	if (iv->size != RECORD_NONCE_LEN || record_len < RECORD_HEADER_LEN + RECORD_TAG_LEN + 1)
		return -EINVAL;
	len = record_len - RECORD_HEADER_LEN;	/* room for the plaintext */
	record_nonce(iv->data, seq, nonce);
	if (gnutls_aead_cipher_init(&aead, cipher, key) == 0) {
		if (gnutls_aead_cipher_decrypt(aead, nonce, RECORD_NONCE_LEN, record,
					       RECORD_HEADER_LEN, RECORD_TAG_LEN,
					       record + RECORD_HEADER_LEN,
					       record_len - RECORD_HEADER_LEN, plain, &len) == 0) {
			type = inner_type(plain, &len);
			*plain_len = type < 0 ? 0 : len;
		}
		gnutls_aead_cipher_deinit(aead);
	}
	explicit_bzero(nonce, sizeof(nonce));
	return type;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Look at the next TLS 1.3 record on a socket without consuming it: peek
 * the whole record, decrypt a copy with the session's current read key and
 * report its inner content type.  TLS 1.3 hides the real type inside the
 * encryption (the outer type is always application_data), so this is the
 * only way to tell a post-handshake NewSessionTicket from application data
 * before deciding who reads it: GnuTLS (ticket) or kTLS (data).
 */
#include <errno.h>
#include <gnutls/crypto.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "engine/record_peek.h"

#define TLS_HEADER_LEN 5
#define TLS13_MAX_RECORD (16384 + 256)
#define AEAD_TAG_LEN 16
#define NONCE_LEN 12

/* Per RFC 8446 5.3: nonce = static IV xor (padded) record sequence number. */
static void record_nonce(const gnutls_datum_t *iv, const unsigned char seq[8], uint8_t *nonce)
{
	memcpy(nonce, iv->data, NONCE_LEN);
	for (int i = 0; i < 8; i++)
		nonce[NONCE_LEN - 8 + i] ^= seq[i];
}

/* Inner type: the last non-zero byte of the plaintext (RFC 8446 5.4). */
static int inner_type(const uint8_t *plain, size_t len)
{
	while (len > 0 && plain[len - 1] == 0)
		len--;
	return len ? plain[len - 1] : -EBADMSG;
}

static int decrypt_copy(gnutls_session_t session, const uint8_t *record, size_t record_len)
{
	gnutls_datum_t mac, iv, key;
	unsigned char seq[8];
	uint8_t nonce[NONCE_LEN], *plain;
	size_t plain_len = record_len;
	gnutls_aead_cipher_hd_t aead;
	int type = -EBADMSG;

	if (gnutls_record_get_state(session, 1, &mac, &iv, &key, seq) < 0 || iv.size != NONCE_LEN)
		return -EINVAL;
	plain = malloc(record_len);
	if (!plain)
		return -ENOMEM;
	record_nonce(&iv, seq, nonce);
	if (gnutls_aead_cipher_init(&aead, gnutls_cipher_get(session), &key) == 0) {
		if (gnutls_aead_cipher_decrypt(aead, nonce, NONCE_LEN, record, TLS_HEADER_LEN,
					       AEAD_TAG_LEN, record + TLS_HEADER_LEN,
					       record_len - TLS_HEADER_LEN, plain, &plain_len) == 0)
			type = inner_type(plain, plain_len);
		gnutls_aead_cipher_deinit(aead);
	}
	explicit_bzero(plain, record_len);
	explicit_bzero(nonce, sizeof(nonce));
	free(plain);
	return type;
}

/* Part of a record is queued: will the rest come?  Not after the peer's
 * FIN (or an error): then the record stays incomplete for good. */
static int partial_record(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN | POLLRDHUP };

	if (poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR)))
		return -ENODATA;
	return -EINPROGRESS;
}

int record_peek_inner_type(gnutls_session_t session, int fd, size_t *record_len)
{
	uint8_t header[TLS_HEADER_LEN], *record;
	size_t len;
	ssize_t n;
	int type;

	*record_len = 0;
	n = recv(fd, header, sizeof(header), MSG_PEEK | MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (n == 0)
		return -ENODATA;	/* EOF: nothing more will come */
	if (n < TLS_HEADER_LEN)
		return partial_record(fd);
	len = ((size_t)header[3] << 8 | header[4]) + TLS_HEADER_LEN;
	if (header[0] != 23 || len > TLS13_MAX_RECORD + TLS_HEADER_LEN ||
	    len < TLS_HEADER_LEN + AEAD_TAG_LEN + 1)
		return -EBADMSG;	/* not a TLS 1.3 protected record: leave it */
	record = malloc(len);
	if (!record)
		return -ENOMEM;
	n = recv(fd, record, len, MSG_PEEK | MSG_DONTWAIT);
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
		type = -errno;
	else if (n < (ssize_t)len)
		type = partial_record(fd);	/* a short peek is not an empty queue */
	else
		type = decrypt_copy(session, record, len);
	free(record);
	*record_len = len;
	return type;
}

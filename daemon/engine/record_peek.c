// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Look at the next TLS 1.3 record on a socket without consuming it: peek
 * the whole record, decrypt a copy with the session's current read key and
 * report its inner content type.  TLS 1.3 hides the real type inside the
 * encryption (the outer type is always application_data), so this is the
 * only way to tell a post-handshake NewSessionTicket from application data
 * before deciding who reads it: GnuTLS (ticket) or kTLS (data).  The
 * opening itself, without the socket, is record_open.c.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ktls.h"
#include "engine/record_open.h"
#include "engine/record_peek.h"

#define TLS13_MAX_RECORD (16384 + 256)

/* Opens a copy with the session's current read key: the plaintext is
 * wiped, only the type leaves (and whether a handshake record is tickets). */
static int decrypt_copy(gnutls_session_t session, const uint8_t *record, size_t record_len)
{
	gnutls_datum_t mac, iv, key;
	unsigned char seq[8];
	uint8_t *plain;
	size_t plain_len;
	int type;

	if (gnutls_record_get_state(session, 1, &mac, &iv, &key, seq) < 0 ||
	    iv.size != RECORD_NONCE_LEN)
		return -EINVAL;
	plain = malloc(record_len);
	if (!plain)
		return -ENOMEM;
	type = record_open(gnutls_cipher_get(session), &key, &iv, seq, record, record_len, plain,
			   &plain_len);
	if (type == KTLS_RECORD_HANDSHAKE && !record_only_tickets(plain, plain_len))
		type = RECORD_PEEK_NOT_TICKETS;
	explicit_bzero(plain, record_len);
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
	uint8_t header[RECORD_HEADER_LEN], *record;
	size_t len;
	ssize_t n;
	int type;

	*record_len = 0;
	n = recv(fd, header, sizeof(header), MSG_PEEK | MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (n == 0)
		return -ENODATA;	/* EOF: nothing more will come */
	if (n < RECORD_HEADER_LEN)
		return partial_record(fd);
	len = ((size_t)header[3] << 8 | header[4]) + RECORD_HEADER_LEN;
	if (header[0] != 23 || len > TLS13_MAX_RECORD + RECORD_HEADER_LEN ||
	    len < RECORD_HEADER_LEN + RECORD_TAG_LEN + 1)
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

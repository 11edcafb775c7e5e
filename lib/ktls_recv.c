// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * recv() and shutdown() for kTLS sockets, as an application wants them.
 *
 * After the handshake the peer may still send non-data records: TLS 1.3
 * NewSessionTickets (handshake type 4), a KeyUpdate (24), alerts.  The kernel
 * hands each one over in a recvmsg of its own, with its content type in a
 * cmsg (ktls_recv_record), and never mixes types in one read.
 *
 * A control record must be read whole to be understood: the kernel hands out
 * a record in pieces when the buffer is smaller, and a piece of a ticket
 * could read like a KeyUpdate.  A TLS record carries at most 2^14 bytes, so
 * a caller's buffer of that size always holds one; we read into it directly.
 * For a smaller buffer (or MSG_PEEK) we first peek ONE byte to learn the next
 * record's type: data is then read into the caller's buffer, a control
 * record into our own 16 KiB buffer.  That costs one extra syscall per
 * small read and never copies data twice.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#include "ktls_internal.h"
#include "ktls_rekey.h"

#define RECORD_PLAINTEXT_MAX 16384	/* RFC 8446 section 5.1: 2^14 */

#define HANDSHAKE_KEY_UPDATE 24
#define ALERT_CLOSE_NOTIFY 0

struct record {
	const uint8_t *bytes;
	ssize_t len;
	uint8_t type;
};

static void read_record(int fd, void *buf, size_t len, int flags, struct record *rec)
{
	rec->len = ktls_recv_record(fd, buf, len, flags, &rec->type);
	rec->bytes = buf;
}

static void next_record(int fd, void *buf, size_t len, int flags,
			uint8_t control[RECORD_PLAINTEXT_MAX], struct record *rec)
{
	if (len >= RECORD_PLAINTEXT_MAX && !(flags & MSG_PEEK)) {
		read_record(fd, buf, len, flags, rec);
		return;
	}
	read_record(fd, control, 1, flags | MSG_PEEK, rec);
	if (rec->len <= 0)
		return;
	if (rec->type == KTLS_RECORD_APPLICATION_DATA)
		read_record(fd, buf, len, flags, rec);
	else
		read_record(fd, control, RECORD_PLAINTEXT_MAX, flags & ~MSG_PEEK, rec);
}

#define HANDSHAKE_NEW_SESSION_TICKET 4

/*
 * The handshake messages (u8 type, u24 length, body) of one post-handshake
 * record.  A TLS 1.3 peer may send only NewSessionTicket (consumed: the
 * daemon keeps no state for them after the handoff) and KeyUpdate, whose
 * body is exactly one byte (0 or 1) and which must end its record (RFC 8446
 * 5.1: a key change aligns with a record boundary).  Anything else, or a
 * message cut at the record's end, is a protocol error: guessing at it
 * could desynchronise the keys.
 *   0: nothing for us; 1: a KeyUpdate, *requested set; -1 + errno.
 */
static int parse_handshake(const uint8_t *msgs, size_t len, int *requested)
{
	size_t off = 0;

	while (off < len) {
		size_t body_len;
		uint8_t type = msgs[off];

		if (len - off < 4)
			return ktls_fail(EPROTO, "truncated post-handshake message header "
						 "(%zu bytes)", len - off);
		body_len = (size_t)msgs[off + 1] << 16 | (size_t)msgs[off + 2] << 8 |
			   msgs[off + 3];
		if (body_len > len - off - 4)
			return ktls_fail(EPROTO, "post-handshake message type %u (%zu bytes) "
						 "crosses its record's end", type, body_len);
		switch (type) {
		case HANDSHAKE_NEW_SESSION_TICKET:
			break;
		case HANDSHAKE_KEY_UPDATE:
			if (body_len != 1 || msgs[off + 4] > 1)
				return ktls_fail(EPROTO, "malformed KeyUpdate (length %zu, "
							 "request_update %u)", body_len,
						 body_len ? msgs[off + 4] : 0);
			if (off + 5 != len)
				return ktls_fail(EPROTO, "KeyUpdate is not the last message "
							 "of its record");
			*requested = msgs[off + 4];
			return 1;
		default:
			return ktls_fail(EPROTO, "unexpected post-handshake message type %u "
						 "(only NewSessionTicket and KeyUpdate are "
						 "handled)", type);
		}
		off += 4 + body_len;
	}
	return 0;
}

static int alert_result(const struct record *rec)
{
	uint8_t description;
	const char *name;

	if (rec->len != 2)
		return ktls_fail(EPROTO, "malformed alert record (%zd bytes)", rec->len);
	description = rec->bytes[1];
	if (description == ALERT_CLOSE_NOTIFY)
		return 1;
	name = ktls_alert_name(description);
	if (!strcmp(name, "unknown_alert"))
		return ktls_fail(ECONNRESET, "peer sent fatal alert %s (%u)", name, description);
	return ktls_fail(ECONNRESET, "peer sent fatal alert %s", name);
}

/* A record that is not application data: 0 go on reading, 1 the peer
 * closed (close_notify), -1 + errno. */
static int handle_control(int fd, const struct record *rec)
{
	int requested = 0, rc;

	switch ((enum ktls_record_type)rec->type) {
	case KTLS_RECORD_ALERT:
		return alert_result(rec);
	case KTLS_RECORD_HANDSHAKE:
		rc = parse_handshake(rec->bytes, (size_t)rec->len, &requested);
		if (rc <= 0)
			return rc;
		return ktls_peer_key_update(fd, requested);
	case KTLS_RECORD_CHANGE_CIPHER_SPEC:
		return 0;	/* TLS 1.3 middlebox compatibility noise */
	case KTLS_RECORD_APPLICATION_DATA:
		break;
	}
	return ktls_fail(EPROTO, "unexpected TLS record type %u", rec->type);
}

ssize_t ktls_recv(int fd, void *buf, size_t len, int flags)
{
	uint8_t control[RECORD_PLAINTEXT_MAX];

	for (;;) {
		struct record rec;
		int rc;

		next_record(fd, buf, len, flags, control, &rec);
		if (rec.len < 0)
			return -1;	/* errno and reason from ktls_recv_record */
		if (rec.type == KTLS_RECORD_APPLICATION_DATA)
			return rec.len;		/* 0: the peer closed TCP */
		rc = handle_control(fd, &rec);
		if (rc != 0)
			return rc < 0 ? -1 : 0;	/* close_notify reads as EOF */
	}
}

int ktls_handle_record(int fd)
{
	uint8_t control[RECORD_PLAINTEXT_MAX];
	struct record rec;
	uint8_t probe;

	ktls_clear_error();
	read_record(fd, &probe, 1, MSG_PEEK | MSG_DONTWAIT, &rec);
	if (rec.len < 0 && errno == EKEYEXPIRED)
		/* The KeyUpdate was read by someone else: its request_update is
		 * lost, but the kernel waits for the next RX key all the same. */
		return ktls_peer_key_update(fd, 0);
	if (rec.len < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		ktls_clear_error();
		return 0;	/* nothing pending: read again */
	}
	if (rec.len <= 0 || rec.type == KTLS_RECORD_APPLICATION_DATA)
		return rec.len < 0 ? -1 : (rec.len == 0 ? 1 : 0);
	read_record(fd, control, sizeof(control), 0, &rec);
	if (rec.len < 0)
		return -1;
	return handle_control(fd, &rec);
}

/* TX keys installed?  The kernel answers the 4-byte version/cipher header
 * without copying key material; it fails (EBUSY, ENOPROTOOPT) otherwise. */
static bool tx_installed(int fd)
{
	struct tls_crypto_info info;
	socklen_t len = sizeof(info);

	return getsockopt(fd, SOL_TLS, TLS_TX, &info, &len) == 0;
}

/* close_notify goes out only when our sending side closes (SHUT_WR or
 * SHUT_RDWR): SHUT_RD ends nothing the peer should hear about. */
static int send_close_notify(int fd, int how)
{
	static const uint8_t close_notify[2] = { 1 /* warning */, ALERT_CLOSE_NOTIFY };
	ssize_t sent;

	if (how == SHUT_RD || !tx_installed(fd))
		return 0;
	/* Not ktls_send_close_notify(): a peer that is already gone must give
	 * us EPIPE, not a SIGPIPE that kills the application. */
	sent = ktls_send_record(fd, KTLS_RECORD_ALERT, close_notify, sizeof(close_notify),
				MSG_NOSIGNAL);
	if (sent < 0)
		return -1;
	if (sent != sizeof(close_notify))
		return ktls_fail(EIO, "short write of close_notify");
	return 0;
}

int ktls_shutdown(int fd, int how)
{
	int notify_rc, notify_errno;

	ktls_clear_error();
	notify_rc = send_close_notify(fd, how);
	notify_errno = errno;
	/* Shut down even when close_notify failed: the caller is closing. */
	if (shutdown(fd, how) < 0)
		return ktls_fail(errno, "shutdown: %s", strerror(errno));
	if (notify_rc < 0)
		errno = notify_errno;
	return notify_rc;
}

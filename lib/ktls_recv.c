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

/* Walk the handshake messages (u8 type, u24 length, body) of one record.  A
 * message cut at the record's end is not looked into: only tickets are that
 * large, and the next record's continuation is not a message start. */
static bool has_key_update(const uint8_t *msgs, size_t len)
{
	size_t off = 0;

	while (len - off >= 4) {
		size_t body_len = (size_t)msgs[off + 1] << 16 | (size_t)msgs[off + 2] << 8 |
				  msgs[off + 3];

		if (msgs[off] == HANDSHAKE_KEY_UPDATE)
			return true;
		if (body_len > len - off - 4)
			break;
		off += 4 + body_len;
	}
	return false;
}

static int alert_result(const struct record *rec)
{
	uint8_t description;
	const char *name;

	if (rec->len != 2)
		return ktls_fail(EPROTO, "malformed alert record (%zd bytes)", rec->len);
	description = rec->bytes[1];
	if (description == ALERT_CLOSE_NOTIFY)
		return 0;
	name = ktls_alert_name(description);
	if (!strcmp(name, "unknown_alert"))
		return ktls_fail(ECONNRESET, "peer sent fatal alert %s (%u)", name, description);
	return ktls_fail(ECONNRESET, "peer sent fatal alert %s", name);
}

ssize_t ktls_recv(int fd, void *buf, size_t len, int flags)
{
	uint8_t control[RECORD_PLAINTEXT_MAX];

	for (;;) {
		struct record rec;

		next_record(fd, buf, len, flags, control, &rec);
		if (rec.len < 0)
			return -1;	/* errno and reason from ktls_recv_record */
		switch ((enum ktls_record_type)rec.type) {
		case KTLS_RECORD_APPLICATION_DATA:
			return rec.len;		/* 0: the peer closed TCP */
		case KTLS_RECORD_ALERT:
			return alert_result(&rec);
		case KTLS_RECORD_HANDSHAKE:
			if (has_key_update(rec.bytes, (size_t)rec.len))
				return ktls_fail(EKEYEXPIRED,
						 "peer sent a TLS 1.3 KeyUpdate, but this kernel "
						 "cannot take new receive keys; close the connection");
			continue;	/* NewSessionTicket and the like: not for us */
		case KTLS_RECORD_CHANGE_CIPHER_SPEC:
			continue;	/* TLS 1.3 middlebox compatibility noise */
		}
		return ktls_fail(EPROTO, "unexpected TLS record type %u", rec.type);
	}
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

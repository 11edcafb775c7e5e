// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Control records on a kTLS socket.  The kernel sends a non-data record when
 * sendmsg carries a SOL_TLS/TLS_SET_RECORD_TYPE cmsg, and reports a received
 * record's type in a TLS_GET_RECORD_TYPE cmsg.  A plain recv() that meets a
 * non-data record fails with EIO, because the caller gave it nowhere to put
 * the type; recvmsg with room for the cmsg receives it instead.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "ktls_internal.h"

ssize_t ktls_send_record(int fd, uint8_t record_type, const void *buf, size_t len, int flags)
{
	char control[CMSG_SPACE(sizeof(uint8_t))];
	struct iovec iov = { .iov_base = (void *)(uintptr_t)buf, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control, .msg_controllen = sizeof(control),
	};
	struct cmsghdr *cmsg;
	ssize_t sent;

	ktls_clear_error();
	memset(control, 0, sizeof(control));
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_TLS;
	cmsg->cmsg_type = TLS_SET_RECORD_TYPE;
	cmsg->cmsg_len = CMSG_LEN(sizeof(uint8_t));
	*CMSG_DATA(cmsg) = record_type;
	sent = sendmsg(fd, &msg, flags);
	if (sent < 0)
		return ktls_fail(errno, "sending TLS record type %u: %s%s", record_type,
				 strerror(errno), errno == EINVAL ? " (is TLS TX installed?)" : "");
	return sent;
}

int ktls_send_alert(int fd, uint8_t level, uint8_t description)
{
	const uint8_t alert[2] = { level, description };
	ssize_t sent = ktls_send_record(fd, KTLS_RECORD_ALERT, alert, sizeof(alert), MSG_NOSIGNAL);

	if (sent < 0)
		return -1;
	if (sent != sizeof(alert))
		return ktls_fail(EIO, "short write of alert record");
	return 0;
}

int ktls_send_close_notify(int fd)
{
	return ktls_send_alert(fd, 1 /* warning */, 0 /* close_notify */);
}

ssize_t ktls_recv_record(int fd, void *buf, size_t len, int flags, uint8_t *record_type)
{
	char control[CMSG_SPACE(sizeof(uint8_t))];
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control, .msg_controllen = sizeof(control),
	};
	ssize_t got;

	ktls_clear_error();
	got = recvmsg(fd, &msg, flags);
	if (got < 0)
		return ktls_fail(errno, "receiving TLS record: %s%s", strerror(errno),
				 errno == EBADMSG ? " (record failed authentication)" : "");
	/* The kernel attaches the cmsg only when TLS RX is on; no cmsg means
	 * plain TCP or application data. */
	if (record_type)
		*record_type = KTLS_RECORD_APPLICATION_DATA;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_TLS && c->cmsg_type == TLS_GET_RECORD_TYPE && record_type)
			*record_type = *CMSG_DATA(c);
	return got;
}

const char *ktls_alert_name(uint8_t description)
{
	switch (description) {
	case 0: return "close_notify";
	case 10: return "unexpected_message";
	case 20: return "bad_record_mac";
	case 22: return "record_overflow";
	case 30: return "decompression_failure";	/* TLS 1.2 */
	case 40: return "handshake_failure";
	case 42: return "bad_certificate";
	case 43: return "unsupported_certificate";
	case 44: return "certificate_revoked";
	case 45: return "certificate_expired";
	case 46: return "certificate_unknown";
	case 47: return "illegal_parameter";
	case 48: return "unknown_ca";
	case 49: return "access_denied";
	case 50: return "decode_error";
	case 51: return "decrypt_error";
	case 70: return "protocol_version";
	case 71: return "insufficient_security";
	case 80: return "internal_error";
	case 86: return "inappropriate_fallback";
	case 90: return "user_canceled";
	case 100: return "no_renegotiation";		/* TLS 1.2 */
	case 109: return "missing_extension";
	case 110: return "unsupported_extension";
	case 112: return "unrecognized_name";
	case 113: return "bad_certificate_status_response";
	case 115: return "unknown_psk_identity";
	case 116: return "certificate_required";
	case 120: return "no_application_protocol";
	}
	return "unknown_alert";
}

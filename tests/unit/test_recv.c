// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ktls_recv and ktls_shutdown without a kTLS kernel: recvmsg, getsockopt and
 * sendmsg are wrapped (test_recv.wrap) so that one fd behaves like a kTLS
 * socket.  The fake recvmsg follows the kernel's rules (net/tls/tls_sw.c):
 * one record type per call, the type in a SOL_TLS/TLS_GET_RECORD_TYPE cmsg,
 * a record larger than the buffer handed out in pieces (the rest stays
 * queued), MSG_PEEK leaves everything queued, 0 at the end of the stream.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "ktls_internal.h"
#include "unit_helpers.h"

ssize_t __real_recvmsg(int fd, struct msghdr *msg, int flags);
ssize_t __wrap_recvmsg(int fd, struct msghdr *msg, int flags);
int __real_getsockopt(int fd, int level, int optname, void *optval, socklen_t *optlen);
int __wrap_getsockopt(int fd, int level, int optname, void *optval, socklen_t *optlen);
ssize_t __real_sendmsg(int fd, const struct msghdr *msg, int flags);
ssize_t __wrap_sendmsg(int fd, const struct msghdr *msg, int flags);

#define MAX_RECORDS 16
#define MARK_ERROR 0	/* a queue entry that fails recvmsg with .error */

struct fake_record {
	uint8_t type;		/* MARK_ERROR or a TLS content type */
	int error;
	uint8_t bytes[20000];
	size_t len, offset;
};

static struct fake_ktls {
	int fd, peer;
	struct fake_record queue[MAX_RECORDS];
	size_t head, tail;
	size_t calls;
	bool tx_installed;
	int send_error;
	/* what ktls_shutdown sent */
	size_t alerts_sent;
	uint8_t alert[2];
	int alert_flags;
} fake;

static void push(uint8_t type, const void *bytes, size_t len)
{
	struct fake_record *r = &fake.queue[fake.tail++];

	assert_true(fake.tail <= MAX_RECORDS && len <= sizeof(r->bytes));
	r->type = type;
	r->error = 0;
	memcpy(r->bytes, bytes, len);
	r->len = len;
	r->offset = 0;
}

static void push_error(int error)
{
	struct fake_record *r = &fake.queue[fake.tail++];

	r->type = MARK_ERROR;
	r->error = error;
}

static bool put_record_type(struct msghdr *msg, uint8_t type)
{
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(msg);

	if (!cmsg || msg->msg_controllen < CMSG_SPACE(sizeof(type))) {
		msg->msg_flags |= MSG_CTRUNC;
		return false;
	}
	cmsg->cmsg_level = SOL_TLS;
	cmsg->cmsg_type = TLS_GET_RECORD_TYPE;
	cmsg->cmsg_len = CMSG_LEN(sizeof(type));
	*CMSG_DATA(cmsg) = type;
	msg->msg_controllen = CMSG_SPACE(sizeof(type));
	return true;
}

ssize_t __wrap_recvmsg(int fd, struct msghdr *msg, int flags)
{
	struct fake_record *r;
	size_t n;

	if (fd != fake.fd)
		return __real_recvmsg(fd, msg, flags);
	fake.calls++;
	msg->msg_flags = 0;
	if (fake.head == fake.tail) {
		msg->msg_controllen = 0;
		return 0;	/* the peer closed TCP */
	}
	r = &fake.queue[fake.head];
	if (r->type == MARK_ERROR) {
		fake.head++;
		errno = r->error;
		return -1;
	}
	/* the kernel fails a control record it cannot label */
	if (!put_record_type(msg, r->type) && r->type != KTLS_RECORD_APPLICATION_DATA) {
		errno = EIO;
		return -1;
	}
	n = r->len - r->offset;
	if (n > msg->msg_iov[0].iov_len)
		n = msg->msg_iov[0].iov_len;
	memcpy(msg->msg_iov[0].iov_base, r->bytes + r->offset, n);
	if (!(flags & MSG_PEEK)) {
		r->offset += n;
		if (r->offset == r->len)
			fake.head++;
	}
	return (ssize_t)n;
}

int __wrap_getsockopt(int fd, int level, int optname, void *optval, socklen_t *optlen)
{
	if (fd != fake.fd || level != SOL_TLS || optname != TLS_TX)
		return __real_getsockopt(fd, level, optname, optval, optlen);
	if (!fake.tx_installed) {
		errno = EBUSY;
		return -1;
	}
	memset(optval, 0, *optlen);
	return 0;
}

ssize_t __wrap_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	const struct cmsghdr *cmsg;

	if (fd != fake.fd)
		return __real_sendmsg(fd, msg, flags);
	cmsg = CMSG_FIRSTHDR(msg);
	if (!cmsg || cmsg->cmsg_level != SOL_TLS || cmsg->cmsg_type != TLS_SET_RECORD_TYPE ||
	    *CMSG_DATA(cmsg) != KTLS_RECORD_ALERT || msg->msg_iov[0].iov_len != 2) {
		errno = EINVAL;
		return -1;
	}
	if (fake.send_error) {
		errno = fake.send_error;
		return -1;
	}
	fake.alerts_sent++;
	memcpy(fake.alert, msg->msg_iov[0].iov_base, 2);
	fake.alert_flags = flags;
	return 2;
}

static int setup_fake(void **state)
{
	int sv[2];

	memset(&fake, 0, sizeof(fake));
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	fake.fd = sv[0];
	fake.peer = sv[1];
	return 0;
}

static int teardown_fake(void **state)
{
	close(fake.fd);
	close(fake.peer);
	return 0;
}

/* ---- records ------------------------------------------------------------------ */

/* A NewSessionTicket whose body is full of 24s: read in pieces, any piece
 * would look like the start of a KeyUpdate (handshake type 24). */
static size_t ticket(uint8_t *out, size_t body_len)
{
	out[0] = 4;
	out[1] = (uint8_t)(body_len >> 16);
	out[2] = (uint8_t)(body_len >> 8);
	out[3] = (uint8_t)body_len;
	memset(out + 4, 24, body_len);
	return 4 + body_len;
}

static const uint8_t key_update[] = { 24, 0, 0, 1, 0 };

static uint8_t big_buf[20000];	/* more than a record (16 KiB) */

static void test_data(void **state)
{
	char small[3];

	push(KTLS_RECORD_APPLICATION_DATA, "hello", 5);
	assert_int_equal(ktls_recv(fake.fd, big_buf, sizeof(big_buf), 0), 5);
	assert_memory_equal(big_buf, "hello", 5);
	assert_int_equal(fake.calls, 1);	/* a big buffer costs one syscall */

	/* a small buffer gets the data in pieces, as recv() would */
	push(KTLS_RECORD_APPLICATION_DATA, "abcdefgh", 8);
	assert_int_equal(ktls_recv(fake.fd, small, sizeof(small), 0), 3);
	assert_memory_equal(small, "abc", 3);
	assert_int_equal(ktls_recv(fake.fd, small, sizeof(small), 0), 3);
	assert_memory_equal(small, "def", 3);
	assert_int_equal(ktls_recv(fake.fd, small, sizeof(small), 0), 2);
	assert_memory_equal(small, "gh", 2);
	/* the end of the stream */
	assert_int_equal(ktls_recv(fake.fd, small, sizeof(small), 0), 0);
}

static void test_tickets_consumed(void **state)
{
	uint8_t rec[1000];
	size_t len;
	char small[4];

	len = ticket(rec, 200);
	push(KTLS_RECORD_HANDSHAKE, rec, len);
	push(KTLS_RECORD_APPLICATION_DATA, "data", 4);
	assert_int_equal(ktls_recv(fake.fd, big_buf, sizeof(big_buf), 0), 4);
	assert_memory_equal(big_buf, "data", 4);

	/* into a 4-byte buffer: the ticket must still be read whole */
	push(KTLS_RECORD_HANDSHAKE, rec, len);
	push(KTLS_RECORD_APPLICATION_DATA, "more", 4);
	assert_int_equal(ktls_recv(fake.fd, small, sizeof(small), 0), 4);
	assert_memory_equal(small, "more", 4);

	/* two tickets in one record */
	len = ticket(rec, 100);
	len += ticket(rec + len, 150);
	push(KTLS_RECORD_HANDSHAKE, rec, len);
	push(KTLS_RECORD_CHANGE_CIPHER_SPEC, "\x01", 1);
	push(KTLS_RECORD_APPLICATION_DATA, "x", 1);
	assert_int_equal(ktls_recv(fake.fd, small, sizeof(small), 0), 1);
	assert_int_equal(small[0], 'x');
	assert_int_equal(fake.head, fake.tail);
}

static void test_largest_control_record(void **state)
{
	static uint8_t rec[16384];
	char small[8];

	/* a 2^14-byte ticket: the most one record carries */
	ticket(rec, sizeof(rec) - 4);
	push(KTLS_RECORD_HANDSHAKE, rec, sizeof(rec));
	push(KTLS_RECORD_APPLICATION_DATA, "ok", 2);
	assert_int_equal(ktls_recv(fake.fd, small, sizeof(small), 0), 2);
	assert_memory_equal(small, "ok", 2);
	push(KTLS_RECORD_HANDSHAKE, rec, sizeof(rec));
	push(KTLS_RECORD_APPLICATION_DATA, "ok", 2);
	assert_int_equal(ktls_recv(fake.fd, big_buf, 16384, 0), 2);
}

static void test_key_update(void **state)
{
	uint8_t rec[300];
	size_t len;
	char small[2];

	push(KTLS_RECORD_HANDSHAKE, key_update, sizeof(key_update));
	assert_fails(ktls_recv(fake.fd, big_buf, sizeof(big_buf), 0), EKEYEXPIRED);
	assert_errmsg_contains("KeyUpdate");

	/* behind a ticket in the same record, into a small buffer */
	len = ticket(rec, 50);
	memcpy(rec + len, key_update, sizeof(key_update));
	push(KTLS_RECORD_HANDSHAKE, rec, len + sizeof(key_update));
	assert_fails(ktls_recv(fake.fd, small, sizeof(small), 0), EKEYEXPIRED);
}

/* A peer that sends handshake messages ktls_recv must not guess at: each
 * is refused with EPROTO before any key is touched. */
static void test_key_update_malformed(void **state)
{
	static const uint8_t long_body[] = { 24, 0, 0, 2, 0, 0 };
	static const uint8_t bad_request[] = { 24, 0, 0, 1, 2 };
	static const uint8_t not_last[] = { 24, 0, 0, 1, 0, 4, 0, 0, 0 };
	static const uint8_t cert_request[] = { 13, 0, 0, 0 };
	static const uint8_t cut_header[] = { 4, 0 };
	static const uint8_t cut_body[] = { 4, 0, 0, 9, 1, 2 };

	push(KTLS_RECORD_HANDSHAKE, long_body, sizeof(long_body));
	assert_fails(ktls_recv(fake.fd, big_buf, sizeof(big_buf), 0), EPROTO);
	assert_errmsg_contains("malformed KeyUpdate");
	push(KTLS_RECORD_HANDSHAKE, bad_request, sizeof(bad_request));
	assert_fails(ktls_recv(fake.fd, big_buf, sizeof(big_buf), 0), EPROTO);
	assert_errmsg_contains("request_update 2");
	push(KTLS_RECORD_HANDSHAKE, not_last, sizeof(not_last));
	assert_fails(ktls_recv(fake.fd, big_buf, sizeof(big_buf), 0), EPROTO);
	assert_errmsg_contains("not the last message");
	push(KTLS_RECORD_HANDSHAKE, cert_request, sizeof(cert_request));
	assert_fails(ktls_recv(fake.fd, big_buf, sizeof(big_buf), 0), EPROTO);
	assert_errmsg_contains("message type 13");
	push(KTLS_RECORD_HANDSHAKE, cut_header, sizeof(cut_header));
	assert_fails(ktls_recv(fake.fd, big_buf, sizeof(big_buf), 0), EPROTO);
	push(KTLS_RECORD_HANDSHAKE, cut_body, sizeof(cut_body));
	assert_fails(ktls_recv(fake.fd, big_buf, sizeof(big_buf), 0), EPROTO);
	assert_errmsg_contains("crosses");
}

/* Without traffic secrets (this fake socket never had a ktlsd handshake)
 * a well-formed KeyUpdate ends in EKEYEXPIRED with the reason, for
 * ktls_recv and for ktls_handle_record alike. */
static void test_key_update_without_secrets(void **state)
{
	push(KTLS_RECORD_HANDSHAKE, key_update, sizeof(key_update));
	assert_fails(ktls_handle_record(fake.fd), EKEYEXPIRED);
	assert_errmsg_contains("no TLS 1.3 traffic secret");
	/* a ticket is handled and data is left for read() */
	push(KTLS_RECORD_HANDSHAKE, "\x04\x00\x00\x00", 4);
	push(KTLS_RECORD_APPLICATION_DATA, "d", 1);
	assert_int_equal(ktls_handle_record(fake.fd), 0);
	assert_int_equal(ktls_handle_record(fake.fd), 0);
	assert_int_equal(ktls_recv(fake.fd, big_buf, sizeof(big_buf), 0), 1);
	push(KTLS_RECORD_ALERT, "\x01\x00", 2);
	assert_int_equal(ktls_handle_record(fake.fd), 1);
}

static void test_alerts(void **state)
{
	char small[1];

	push(KTLS_RECORD_ALERT, "\x01\x00", 2);		/* close_notify */
	assert_int_equal(ktls_recv(fake.fd, big_buf, sizeof(big_buf), 0), 0);

	push(KTLS_RECORD_ALERT, "\x02\x28", 2);		/* fatal handshake_failure */
	assert_fails(ktls_recv(fake.fd, big_buf, sizeof(big_buf), 0), ECONNRESET);
	assert_string_equal(ktls_errmsg(), "peer sent fatal alert handshake_failure");

	/* a 1-byte buffer still sees both bytes of the alert */
	push(KTLS_RECORD_ALERT, "\x02\x2a", 2);
	assert_fails(ktls_recv(fake.fd, small, sizeof(small), 0), ECONNRESET);
	assert_string_equal(ktls_errmsg(), "peer sent fatal alert bad_certificate");
	push(KTLS_RECORD_ALERT, "\x01\x00", 2);
	assert_int_equal(ktls_recv(fake.fd, small, sizeof(small), 0), 0);

	push(KTLS_RECORD_ALERT, "\x02\xc8", 2);
	assert_fails(ktls_recv(fake.fd, big_buf, sizeof(big_buf), 0), ECONNRESET);
	assert_string_equal(ktls_errmsg(), "peer sent fatal alert unknown_alert (200)");

	push(KTLS_RECORD_ALERT, "\x02", 1);
	assert_fails(ktls_recv(fake.fd, big_buf, sizeof(big_buf), 0), EPROTO);
}

static void test_unexpected_type(void **state)
{
	push(99, "?", 1);
	assert_fails(ktls_recv(fake.fd, big_buf, sizeof(big_buf), 0), EPROTO);
	assert_errmsg_contains("99");
}

static void test_dontwait_and_errors(void **state)
{
	uint8_t rec[100];
	char small[8];

	push(KTLS_RECORD_HANDSHAKE, rec, ticket(rec, 20));
	push_error(EAGAIN);
	assert_fails(ktls_recv(fake.fd, small, sizeof(small), MSG_DONTWAIT), EAGAIN);
	/* the ticket is gone; data that arrives later reads normally */
	push(KTLS_RECORD_APPLICATION_DATA, "late", 4);
	assert_int_equal(ktls_recv(fake.fd, small, sizeof(small), MSG_DONTWAIT), 4);

	push_error(EBADMSG);	/* the kernel: a record failed authentication */
	assert_fails(ktls_recv(fake.fd, big_buf, sizeof(big_buf), 0), EBADMSG);
	assert_errmsg_contains("authentication");
}

static void test_peek(void **state)
{
	uint8_t rec[100];

	push(KTLS_RECORD_HANDSHAKE, rec, ticket(rec, 20));
	push(KTLS_RECORD_APPLICATION_DATA, "peek", 4);
	assert_int_equal(ktls_recv(fake.fd, big_buf, sizeof(big_buf), MSG_PEEK), 4);
	assert_int_equal(ktls_recv(fake.fd, big_buf, sizeof(big_buf), MSG_PEEK), 4);
	memset(big_buf, 0, 4);
	assert_int_equal(ktls_recv(fake.fd, big_buf, sizeof(big_buf), 0), 4);
	assert_memory_equal(big_buf, "peek", 4);
	assert_int_equal(fake.head, fake.tail);
}

/* ---- shutdown ----------------------------------------------------------------- */

static void assert_peer_sees_eof(void)
{
	char byte;

	assert_int_equal(recv(fake.peer, &byte, 1, MSG_DONTWAIT), 0);
}

static void test_shutdown_sends_close_notify(void **state)
{
	fake.tx_installed = true;
	assert_int_equal(ktls_shutdown(fake.fd, SHUT_WR), 0);
	assert_int_equal(fake.alerts_sent, 1);
	assert_int_equal(fake.alert[0], 1);	/* warning */
	assert_int_equal(fake.alert[1], 0);	/* close_notify */
	assert_true(fake.alert_flags & MSG_NOSIGNAL);
	assert_peer_sees_eof();
}

static void test_shutdown_without_tx(void **state)
{
	assert_int_equal(ktls_shutdown(fake.fd, SHUT_RDWR), 0);
	assert_int_equal(fake.alerts_sent, 0);
	assert_peer_sees_eof();
}

static void test_shutdown_read_side_only(void **state)
{
	char byte;

	fake.tx_installed = true;
	assert_int_equal(ktls_shutdown(fake.fd, SHUT_RD), 0);
	assert_int_equal(fake.alerts_sent, 0);
	/* our sending side is still open */
	errno = 0;
	assert_int_equal(recv(fake.peer, &byte, 1, MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
}

static void test_shutdown_when_alert_fails(void **state)
{
	fake.tx_installed = true;
	fake.send_error = EPIPE;
	assert_fails(ktls_shutdown(fake.fd, SHUT_RDWR), EPIPE);
	assert_peer_sees_eof();		/* shut down all the same */
	assert_fails(ktls_shutdown(-1, SHUT_RDWR), EBADF);
}

#define FAKE_TEST(f) cmocka_unit_test_setup_teardown(f, setup_fake, teardown_fake)

int main(void)
{
	const struct CMUnitTest tests[] = {
		FAKE_TEST(test_data),
		FAKE_TEST(test_tickets_consumed),
		FAKE_TEST(test_largest_control_record),
		FAKE_TEST(test_key_update),
		FAKE_TEST(test_key_update_malformed),
		FAKE_TEST(test_key_update_without_secrets),
		FAKE_TEST(test_alerts),
		FAKE_TEST(test_unexpected_type),
		FAKE_TEST(test_dontwait_and_errors),
		FAKE_TEST(test_peek),
		FAKE_TEST(test_shutdown_sends_close_notify),
		FAKE_TEST(test_shutdown_without_tx),
		FAKE_TEST(test_shutdown_read_side_only),
		FAKE_TEST(test_shutdown_when_alert_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Control records against scripted sendmsg/recvmsg (linked with -Wl,--wrap,
 * see test_records.wrap).  The kernel's contract (net/tls/tls_sw.c): a
 * sendmsg with one SOL_TLS/TLS_SET_RECORD_TYPE cmsg sends a record of that
 * content type; recvmsg on a TLS RX socket reports each record's type in a
 * SOL_TLS/TLS_GET_RECORD_TYPE cmsg when the caller leaves room for it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "ktls_internal.h"
#include "unit_helpers.h"

#define FD 9

ssize_t __wrap_sendmsg(int fd, const struct msghdr *msg, int flags);
ssize_t __wrap_recvmsg(int fd, struct msghdr *msg, int flags);

/* What the last sendmsg was given, copied before the caller's stack goes. */
static struct {
	const void *name;
	size_t iovlen;
	const void *iov_base;
	size_t iov_len;
	uint8_t payload[256];
	uint8_t control[256];
	size_t controllen;
} sent;

/* sendmsg: records the message, returns the queued byte count or -errno. */
ssize_t __wrap_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	ssize_t rc;

	check_expected(fd);
	check_expected(flags);
	memset(&sent, 0, sizeof(sent));
	sent.name = msg->msg_name;
	sent.iovlen = msg->msg_iovlen;
	assert_int_equal(msg->msg_iovlen, 1);
	sent.iov_base = msg->msg_iov[0].iov_base;
	sent.iov_len = msg->msg_iov[0].iov_len;
	assert_true(sent.iov_len <= sizeof(sent.payload));
	memcpy(sent.payload, sent.iov_base, sent.iov_len);
	sent.controllen = msg->msg_controllen;
	assert_true(sent.controllen <= sizeof(sent.control));
	memcpy(sent.control, msg->msg_control, sent.controllen);
	rc = mock_type(ssize_t);
	if (rc < 0) {
		errno = (int)-rc;
		return -1;
	}
	return rc;
}

/* One scripted recvmsg: an errno, or data plus an optional cmsg. */
struct recv_reply {
	int err;
	const void *data;
	size_t len;
	int cmsg_level;		/* 0: no cmsg */
	int cmsg_type;
	uint8_t cmsg_byte;
};

static struct {
	void *iov_base;
	size_t iov_len;
} received;

/* Writes a one-byte cmsg the way the kernel's put_cmsg does, or sets
 * MSG_CTRUNC when the caller left no room. */
static void put_cmsg(struct msghdr *msg, const struct recv_reply *reply)
{
	struct cmsghdr *cmsg;

	if (!msg->msg_control || msg->msg_controllen < CMSG_SPACE(sizeof(uint8_t))) {
		msg->msg_flags |= MSG_CTRUNC;
		msg->msg_controllen = 0;
		return;
	}
	cmsg = CMSG_FIRSTHDR(msg);
	cmsg->cmsg_level = reply->cmsg_level;
	cmsg->cmsg_type = reply->cmsg_type;
	cmsg->cmsg_len = CMSG_LEN(sizeof(uint8_t));
	*CMSG_DATA(cmsg) = reply->cmsg_byte;
	msg->msg_controllen = CMSG_SPACE(sizeof(uint8_t));
}

ssize_t __wrap_recvmsg(int fd, struct msghdr *msg, int flags)
{
	const struct recv_reply *reply;
	size_t n;

	check_expected(fd);
	check_expected(flags);
	reply = mock_ptr_type(const struct recv_reply *);
	if (reply->err) {
		errno = reply->err;
		return -1;
	}
	assert_int_equal(msg->msg_iovlen, 1);
	received.iov_base = msg->msg_iov[0].iov_base;
	received.iov_len = msg->msg_iov[0].iov_len;
	n = reply->len < received.iov_len ? reply->len : received.iov_len;
	memcpy(received.iov_base, reply->data, n);
	msg->msg_flags = 0;
	if (reply->cmsg_level)
		put_cmsg(msg, reply);
	else
		msg->msg_controllen = 0;
	return (ssize_t)n;
}

static void expect_sendmsg(int flags, ssize_t rc)
{
	expect_value(__wrap_sendmsg, fd, FD);
	expect_value(__wrap_sendmsg, flags, flags);
	will_return(__wrap_sendmsg, rc);
}

static void expect_recvmsg(int flags, const struct recv_reply *reply)
{
	expect_value(__wrap_recvmsg, fd, FD);
	expect_value(__wrap_recvmsg, flags, flags);
	will_return(__wrap_recvmsg, reply);
}

/* The last sendmsg carried exactly one cmsg, SOL_TLS/TLS_SET_RECORD_TYPE,
 * holding record_type, and no address. */
static void assert_sent_record_type(uint8_t record_type)
{
	struct msghdr msg = { .msg_control = sent.control, .msg_controllen = sent.controllen };
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);

	assert_null(sent.name);
	assert_non_null(cmsg);
	assert_int_equal(cmsg->cmsg_level, SOL_TLS);
	assert_int_equal(cmsg->cmsg_type, TLS_SET_RECORD_TYPE);
	assert_int_equal(cmsg->cmsg_len, CMSG_LEN(sizeof(uint8_t)));
	assert_int_equal(*CMSG_DATA(cmsg), record_type);
	assert_null(CMSG_NXTHDR(&msg, cmsg));
}

/* ---- sending -------------------------------------------------------------- */

static void test_send_record_one_cmsg_payload_untouched(void **state)
{
	/* A KeyUpdate handshake message, as a TLS 1.3 stack would send it. */
	static const uint8_t key_update[] = { 0x18, 0x00, 0x00, 0x01, 0x01 };

	expect_sendmsg(MSG_DONTWAIT | MSG_MORE, sizeof(key_update));
	assert_int_equal(ktls_send_record(FD, KTLS_RECORD_HANDSHAKE, key_update,
					  sizeof(key_update), MSG_DONTWAIT | MSG_MORE),
			 sizeof(key_update));
	assert_sent_record_type(KTLS_RECORD_HANDSHAKE);
	assert_ptr_equal(sent.iov_base, key_update);	/* not copied */
	assert_int_equal(sent.iov_len, sizeof(key_update));
	assert_memory_equal(sent.payload, key_update, sizeof(key_update));
}

static void test_send_record_any_type(void **state)
{
	static const uint8_t types[] = { 20, 21, 22, 23, 24, 0xff };
	static const char data[] = "xyz";

	for (size_t i = 0; i < sizeof(types); i++) {
		expect_sendmsg(0, 3);
		assert_int_equal(ktls_send_record(FD, types[i], data, 3, 0), 3);
		assert_sent_record_type(types[i]);
		assert_memory_equal(sent.payload, data, 3);
	}
}

static void test_send_record_partial_count_passes_through(void **state)
{
	static const uint8_t big[200] = { 1 };

	expect_sendmsg(0, 120);
	assert_int_equal(ktls_send_record(FD, KTLS_RECORD_HANDSHAKE, big, sizeof(big), 0), 120);
}

static void test_send_record_einval_hints_tx(void **state)
{
	expect_sendmsg(0, -EINVAL);
	assert_fails(ktls_send_record(FD, KTLS_RECORD_ALERT, "ab", 2, 0), EINVAL);
	assert_errmsg_contains("TLS TX installed");

	expect_sendmsg(0, -EPIPE);
	assert_fails(ktls_send_record(FD, KTLS_RECORD_ALERT, "ab", 2, 0), EPIPE);
	assert_errmsg_contains(strerror(EPIPE));
	assert_null(strstr(ktls_errmsg(), "TLS TX installed"));
}

/* Alerts go out with MSG_NOSIGNAL: a peer that reset must not SIGPIPE the app. */
static void test_send_alert_bytes(void **state)
{
	static const uint8_t want[] = { 2, 40 };	/* fatal, handshake_failure */

	expect_sendmsg(MSG_NOSIGNAL, 2);
	assert_int_equal(ktls_send_alert(FD, 2, 40), 0);
	assert_sent_record_type(KTLS_RECORD_ALERT);
	assert_int_equal(sent.iov_len, 2);
	assert_memory_equal(sent.payload, want, 2);
}

static void test_send_close_notify_bytes(void **state)
{
	static const uint8_t want[] = { 1, 0 };	/* warning, close_notify */

	expect_sendmsg(MSG_NOSIGNAL, 2);
	assert_int_equal(ktls_send_close_notify(FD), 0);
	assert_sent_record_type(KTLS_RECORD_ALERT);
	assert_int_equal(sent.iov_len, 2);
	assert_memory_equal(sent.payload, want, 2);
}

static void test_send_alert_short_write_is_eio(void **state)
{
	expect_sendmsg(MSG_NOSIGNAL, 1);
	assert_fails(ktls_send_alert(FD, 2, 80), EIO);
	assert_errmsg_contains("short");
}

static void test_send_alert_error_passes_errno(void **state)
{
	expect_sendmsg(MSG_NOSIGNAL, -EPIPE);
	assert_fails(ktls_send_close_notify(FD), EPIPE);
}

/* ---- receiving -------------------------------------------------------------- */

static void test_recv_record_reads_type_cmsg(void **state)
{
	static const uint8_t alert[] = { 1, 0 };
	const struct recv_reply reply = { 0, alert, sizeof(alert), SOL_TLS,
					  TLS_GET_RECORD_TYPE, KTLS_RECORD_ALERT };
	uint8_t buf[64], type = 0;

	expect_recvmsg(MSG_DONTWAIT, &reply);
	assert_int_equal(ktls_recv_record(FD, buf, sizeof(buf), MSG_DONTWAIT, &type), 2);
	assert_int_equal(type, KTLS_RECORD_ALERT);
	assert_memory_equal(buf, alert, sizeof(alert));
	assert_ptr_equal(received.iov_base, buf);
	assert_int_equal(received.iov_len, sizeof(buf));
}

static void test_recv_record_without_cmsg_is_app_data(void **state)
{
	static const char data[] = "hello";
	const struct recv_reply reply = { 0, data, 5, 0, 0, 0 };
	uint8_t buf[16], type = KTLS_RECORD_HANDSHAKE;

	expect_recvmsg(0, &reply);
	assert_int_equal(ktls_recv_record(FD, buf, sizeof(buf), 0, &type), 5);
	assert_int_equal(type, KTLS_RECORD_APPLICATION_DATA);
	assert_memory_equal(buf, data, 5);
}

static void test_recv_record_ignores_other_cmsgs(void **state)
{
	const struct recv_reply reply = { 0, "x", 1, SOL_SOCKET, TLS_GET_RECORD_TYPE,
					  KTLS_RECORD_ALERT };
	uint8_t buf[4], type = 0;

	expect_recvmsg(0, &reply);
	assert_int_equal(ktls_recv_record(FD, buf, sizeof(buf), 0, &type), 1);
	assert_int_equal(type, KTLS_RECORD_APPLICATION_DATA);
}

static void test_recv_record_type_is_optional(void **state)
{
	const struct recv_reply reply = { 0, "\x16", 1, SOL_TLS, TLS_GET_RECORD_TYPE,
					  KTLS_RECORD_HANDSHAKE };
	uint8_t buf[4];

	expect_recvmsg(0, &reply);
	assert_int_equal(ktls_recv_record(FD, buf, sizeof(buf), 0, NULL), 1);
}

static void test_recv_record_ebadmsg(void **state)
{
	const struct recv_reply reply = { EBADMSG, NULL, 0, 0, 0, 0 };
	uint8_t buf[4], type = 0x42;

	expect_recvmsg(0, &reply);
	assert_fails(ktls_recv_record(FD, buf, sizeof(buf), 0, &type), EBADMSG);
	assert_errmsg_contains("authentication");
}

static void test_recv_record_other_errno(void **state)
{
	const struct recv_reply reply = { EAGAIN, NULL, 0, 0, 0, 0 };
	uint8_t buf[4];

	expect_recvmsg(MSG_DONTWAIT, &reply);
	assert_fails(ktls_recv_record(FD, buf, sizeof(buf), MSG_DONTWAIT, NULL), EAGAIN);
	assert_errmsg_contains(strerror(EAGAIN));
	assert_null(strstr(ktls_errmsg(), "authentication"));
}

/* ---- names ---------------------------------------------------------------------- */

static void test_alert_names(void **state)
{
	assert_string_equal(ktls_alert_name(0), "close_notify");
	assert_string_equal(ktls_alert_name(10), "unexpected_message");
	assert_string_equal(ktls_alert_name(20), "bad_record_mac");
	assert_string_equal(ktls_alert_name(40), "handshake_failure");
	assert_string_equal(ktls_alert_name(42), "bad_certificate");
	assert_string_equal(ktls_alert_name(48), "unknown_ca");
	assert_string_equal(ktls_alert_name(70), "protocol_version");
	assert_string_equal(ktls_alert_name(80), "internal_error");
	assert_string_equal(ktls_alert_name(116), "certificate_required");
	assert_string_equal(ktls_alert_name(120), "no_application_protocol");
}

static void test_alert_names_unknown(void **state)
{
	/* 21 (decryption_failed) and 41 (no_certificate) are SSL/TLS 1.0-era
	 * codes that RFC 8446 reserves. */
	static const uint8_t unknown[] = { 1, 21, 41, 99, 121, 255 };

	for (size_t i = 0; i < sizeof(unknown); i++)
		assert_string_equal(ktls_alert_name(unknown[i]), "unknown_alert");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_send_record_one_cmsg_payload_untouched),
		cmocka_unit_test(test_send_record_any_type),
		cmocka_unit_test(test_send_record_partial_count_passes_through),
		cmocka_unit_test(test_send_record_einval_hints_tx),
		cmocka_unit_test(test_send_alert_bytes),
		cmocka_unit_test(test_send_close_notify_bytes),
		cmocka_unit_test(test_send_alert_short_write_is_eio),
		cmocka_unit_test(test_send_alert_error_passes_errno),
		cmocka_unit_test(test_recv_record_reads_type_cmsg),
		cmocka_unit_test(test_recv_record_without_cmsg_is_app_data),
		cmocka_unit_test(test_recv_record_ignores_other_cmsgs),
		cmocka_unit_test(test_recv_record_type_is_optional),
		cmocka_unit_test(test_recv_record_ebadmsg),
		cmocka_unit_test(test_recv_record_other_errno),
		cmocka_unit_test(test_alert_names),
		cmocka_unit_test(test_alert_names_unknown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

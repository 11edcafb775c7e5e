// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Client 0-RTT in libktls: KTLS_EARLY_DATA's bounds and errno, the bytes
 * in the request (client only, taken once), the request and reply TLVs on
 * the wire, the resend decision after the daemon's report (every byte
 * once: accepted prefix, rejected, not offered, an older daemon, reports
 * that cannot be true), and the post-handshake write across a full
 * non-blocking socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "ktls_early.h"
#include "ktls_internal.h"
#include "ktls_proto.h"
#include "ktls_sockopt.h"

static int sv[2];

static int setup_pair(void **state)
{
	(void)state;
	return socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
}

static int teardown_pair(void **state)
{
	(void)state;
	ktls_forget(sv[0]);
	close(sv[0]);
	close(sv[1]);
	return 0;
}

static void fill(uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(i * 7 + 3);
}

static void test_option_bounds(void **state)
{
	static uint8_t big[KTLS_EARLY_DATA_MAX + 1], back[KTLS_EARLY_DATA_MAX];
	socklen_t len = sizeof(back);
	int status = 0;

	(void)state;
	fill(big, sizeof(big));
	assert_int_equal(ktls_setsockopt(sv[0], SOL_KTLS, KTLS_EARLY_DATA, big,
					 KTLS_EARLY_DATA_MAX + 1), -1);
	assert_int_equal(errno, EMSGSIZE);
	assert_int_equal(ktls_setsockopt(sv[0], SOL_KTLS, KTLS_EARLY_DATA, NULL, 10), -1);
	assert_int_equal(errno, EFAULT);
	assert_int_equal(ktls_setsockopt(sv[0], SOL_KTLS, KTLS_EARLY_DATA_STATUS, &status,
					 sizeof(status)), -1);
	assert_int_equal(errno, ENOPROTOOPT);
	/* the most it takes, read back as set */
	assert_int_equal(ktls_setsockopt(sv[0], SOL_KTLS, KTLS_EARLY_DATA, big,
					 KTLS_EARLY_DATA_MAX), 0);
	assert_int_equal(ktls_getsockopt(sv[0], SOL_KTLS, KTLS_EARLY_DATA, back, &len), 0);
	assert_int_equal(len, KTLS_EARLY_DATA_MAX);
	assert_memory_equal(back, big, KTLS_EARLY_DATA_MAX);
	/* a failed set leaves what was there */
	assert_int_equal(ktls_setsockopt(sv[0], SOL_KTLS, KTLS_EARLY_DATA, big, 20000), -1);
	len = sizeof(back);
	assert_int_equal(ktls_getsockopt(sv[0], SOL_KTLS, KTLS_EARLY_DATA, back, &len), 0);
	assert_int_equal(len, KTLS_EARLY_DATA_MAX);
	/* length 0 clears */
	assert_int_equal(ktls_setsockopt(sv[0], SOL_KTLS, KTLS_EARLY_DATA, NULL, 0), 0);
	len = sizeof(back);
	assert_int_equal(ktls_getsockopt(sv[0], SOL_KTLS, KTLS_EARLY_DATA, back, &len), 0);
	assert_int_equal(len, 0);
	/* the outcome only after a handshake */
	len = sizeof(status);
	assert_int_equal(ktls_getsockopt(sv[0], SOL_KTLS, KTLS_EARLY_DATA_STATUS, &status, &len),
			 -1);
	assert_int_equal(errno, ENOTCONN);
}

static void test_request_carries_bytes_taken_once(void **state)
{
	struct ktls_hs_request req;
	struct ktls_hs_reply rep = { .version = KTLS_VERSION_1_3 };
	uint8_t early[100], *taken;
	size_t taken_len;
	int status = -1;
	socklen_t len = sizeof(status);

	(void)state;
	fill(early, sizeof(early));
	assert_int_equal(ktls_setsockopt(sv[0], SOL_KTLS, KTLS_EARLY_DATA, early, sizeof(early)),
			 0);
	/* a server request never carries them (the client option) */
	assert_int_equal(ktls_store_begin(sv[0], KTLS_ROLE_SERVER, &req), 0);
	assert_null(req.early_data);
	assert_int_equal(ktls_store_begin(sv[0], KTLS_ROLE_CLIENT, &req), 0);
	assert_non_null(req.early_data);
	assert_int_equal(req.early_data_len, sizeof(early));
	assert_memory_equal(req.early_data, early, sizeof(early));
	free(req.early_data);
	/* after the reply: taken once, the second take finds nothing */
	assert_int_equal(ktls_store_succeeded(sv[0], &rep), 0);
	ktls_store_take_early(sv[0], &taken, &taken_len);
	assert_non_null(taken);
	assert_int_equal(taken_len, sizeof(early));
	free(taken);
	ktls_store_take_early(sv[0], &taken, &taken_len);
	assert_null(taken);
	assert_int_equal(taken_len, 0);
	ktls_store_early_status(sv[0], KTLS_EARLY_DATA_REJECTED);
	assert_int_equal(ktls_getsockopt(sv[0], SOL_KTLS, KTLS_EARLY_DATA_STATUS, &status, &len),
			 0);
	assert_int_equal(status, KTLS_EARLY_DATA_REJECTED);
	/* a next handshake on the socket has none to send */
	assert_int_equal(ktls_store_begin(sv[0], KTLS_ROLE_CLIENT, &req), 0);
	assert_null(req.early_data);
}

static void test_request_wire(void **state)
{
	static uint8_t msg[KTLS_MSG_MAX], early[KTLS_EARLY_DATA_MAX + 1];
	struct ktls_hs_request req = { .role = KTLS_ROLE_CLIENT }, back;
	int len;

	(void)state;
	fill(early, sizeof(early));
	req.early_data = early;
	req.early_data_len = KTLS_EARLY_DATA_MAX;
	len = ktls_msg_encode_request(&req, msg, sizeof(msg));
	assert_true(len > KTLS_EARLY_DATA_MAX);
	assert_int_equal(ktls_msg_decode_request(msg, (size_t)len, &back), 0);
	assert_int_equal(back.early_data_len, KTLS_EARLY_DATA_MAX);
	/* the decoded value points into the message, not a copy */
	assert_true(back.early_data > msg && back.early_data < msg + len);
	assert_memory_equal(back.early_data, early, KTLS_EARLY_DATA_MAX);
	/* one byte more: refused by the encoder ... */
	req.early_data_len = KTLS_EARLY_DATA_MAX + 1;
	assert_int_equal(ktls_msg_encode_request(&req, msg, sizeof(msg)), -EINVAL);
	/* ... and by the decoder: grow the TLV (the last one) by a byte */
	assert_int_equal(msg[len - KTLS_EARLY_DATA_MAX - 4], 0);
	assert_int_equal(msg[len - KTLS_EARLY_DATA_MAX - 3], KTLS_TLV_EARLY_DATA);
	msg[len - KTLS_EARLY_DATA_MAX - 2] = (KTLS_EARLY_DATA_MAX + 1) >> 8;
	msg[len - KTLS_EARLY_DATA_MAX - 1] = (KTLS_EARLY_DATA_MAX + 1) & 0xff;
	msg[len] = 0;
	msg[8] = (uint8_t)((len + 1) >> 24);
	msg[9] = (uint8_t)((len + 1) >> 16);
	msg[10] = (uint8_t)((len + 1) >> 8);
	msg[11] = (uint8_t)(len + 1);
	assert_int_equal(ktls_msg_decode_request(msg, (size_t)len + 1, &back), -EBADMSG);
	assert_null(back.early_data);
	/* bytes announced without a pointer */
	req.early_data = NULL;
	req.early_data_len = 1;
	assert_int_equal(ktls_msg_encode_request(&req, msg, sizeof(msg)), -EINVAL);
	/* none: no TLV at all */
	req.early_data_len = 0;
	len = ktls_msg_encode_request(&req, msg, sizeof(msg));
	assert_true(len > 0);
	assert_int_equal(ktls_msg_decode_request(msg, (size_t)len, &back), 0);
	assert_null(back.early_data);
}

static void test_reply_wire(void **state)
{
	static uint8_t msg[KTLS_MSG_MAX];
	static struct ktls_hs_reply rep, back;
	int len;

	(void)state;
	rep.early_status = KTLS_EARLY_DATA_ACCEPTED;
	rep.early_accepted = 1000;
	len = ktls_msg_encode_reply(&rep, msg, sizeof(msg));
	assert_true(len > 0);
	assert_int_equal(ktls_msg_decode_reply(msg, (size_t)len, &back), 0);
	assert_int_equal(back.early_status, KTLS_EARLY_DATA_ACCEPTED);
	assert_int_equal(back.early_accepted, 1000);
	rep.early_status = KTLS_EARLY_DATA_REJECTED + 1;
	assert_int_equal(ktls_msg_encode_reply(&rep, msg, sizeof(msg)), -EINVAL);
}

/* The resend decision: what libktls writes after the handoff. */
static void test_plan(void **state)
{
	static const struct {
		uint8_t daemon_status;
		uint32_t accepted;
		size_t len;
		int rc;
		size_t resend_from;
		uint8_t status;
	} rows[] = {
		/* nothing set: nothing to do, whatever an old daemon says */
		{ KTLS_EARLY_DATA_NONE, 0, 0, 0, 0, KTLS_EARLY_DATA_NONE },
		/* a daemon that ignored TLV 13: all bytes after the handshake */
		{ KTLS_EARLY_DATA_NONE, 0, 600, 0, 0, KTLS_EARLY_DATA_NOT_SENT },
		{ KTLS_EARLY_DATA_NOT_SENT, 0, 600, 0, 0, KTLS_EARLY_DATA_NOT_SENT },
		{ KTLS_EARLY_DATA_ACCEPTED, 600, 600, 0, 600, KTLS_EARLY_DATA_ACCEPTED },
		/* a prefix fit the ticket's max_early_data: the rest after */
		{ KTLS_EARLY_DATA_ACCEPTED, 1000, 5000, 0, 1000, KTLS_EARLY_DATA_ACCEPTED },
		{ KTLS_EARLY_DATA_REJECTED, 0, 600, 0, 0, KTLS_EARLY_DATA_REJECTED },
		/* reports that cannot be true */
		{ KTLS_EARLY_DATA_ACCEPTED, 601, 600, -EPROTO, 0, 0 },
		{ KTLS_EARLY_DATA_ACCEPTED, 0, 600, -EPROTO, 0, 0 },
		{ KTLS_EARLY_DATA_REJECTED, 10, 600, -EPROTO, 0, 0 },
		{ KTLS_EARLY_DATA_NOT_SENT, 10, 600, -EPROTO, 0, 0 },
		{ KTLS_EARLY_DATA_ACCEPTED, 0, 0, -EPROTO, 0, 0 },
		{ KTLS_EARLY_DATA_REJECTED, 0, 0, -EPROTO, 0, 0 },
		{ 9, 0, 600, -EPROTO, 0, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct ktls_early_plan plan;
		int rc = ktls_early_plan(rows[i].daemon_status, rows[i].accepted, rows[i].len,
					 &plan);

		assert_int_equal(rc, rows[i].rc);
		if (rc < 0)
			continue;
		assert_int_equal(plan.resend_from, rows[i].resend_from);
		assert_int_equal(plan.status, rows[i].status);
		assert_true(plan.resend_from <= rows[i].len);
	}
}

struct drain {
	int fd;
	size_t got;
	uint8_t buf[256 * 1024];
};

static void *drain_slowly(void *arg)
{
	struct drain *d = arg;
	ssize_t n;

	usleep(50 * 1000);	/* let the writer meet a full buffer first */
	while ((n = read(d->fd, d->buf + d->got, sizeof(d->buf) - d->got)) > 0)
		d->got += (size_t)n;
	return NULL;
}

/* A non-blocking socket that is full: the writer waits, all bytes arrive
 * once and in order. */
static void test_write_waits_when_full(void **state)
{
	static struct drain d;
	static uint8_t data[200 * 1024];
	int sndbuf = 4096;
	pthread_t t;

	(void)state;
	fill(data, sizeof(data));
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	d.fd = sv[1];
	d.got = 0;
	assert_int_equal(pthread_create(&t, NULL, drain_slowly, &d), 0);
	assert_int_equal(ktls_early_write(sv[0], data, sizeof(data), 5000), 0);
	shutdown(sv[0], SHUT_WR);
	pthread_join(t, NULL);
	assert_int_equal(d.got, sizeof(data));
	assert_memory_equal(d.buf, data, sizeof(data));
}

static void test_write_gives_up(void **state)
{
	static uint8_t data[200 * 1024];
	int sndbuf = 4096;

	(void)state;
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	assert_int_equal(ktls_early_write(sv[0], data, sizeof(data), 100), -1);
	assert_int_equal(errno, ETIMEDOUT);
	close(sv[1]);
	sv[1] = open("/dev/null", O_RDONLY);
	assert_int_equal(ktls_early_write(sv[0], data, sizeof(data), 100), -1);
	assert_int_equal(errno, EPIPE);
}

#define PAIR_TEST(f) cmocka_unit_test_setup_teardown(f, setup_pair, teardown_pair)

int main(void)
{
	const struct CMUnitTest tests[] = {
		PAIR_TEST(test_option_bounds),
		PAIR_TEST(test_request_carries_bytes_taken_once),
		cmocka_unit_test(test_request_wire),
		cmocka_unit_test(test_reply_wire),
		cmocka_unit_test(test_plan),
		PAIR_TEST(test_write_waits_when_full),
		PAIR_TEST(test_write_gives_up),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

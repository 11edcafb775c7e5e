// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The STATUS_REPLY codec (`ktls status`) against bytes written by hand from
 * ktls_proto.h, and against the malformed lists the decoder must refuse.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ktls_proto.h"

#define U64(v) 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, (uint8_t)((v) >> 8), (uint8_t)(v)

static const uint8_t golden_status[] = {
	0x6b, 0x54, 0x4c, 0x53, 0x01,
	0x04,				/* STATUS_REPLY */
	0x00, 0x00,
	0x00, 0x00, 0x00, 0xc8,		/* total length 200 */
	0x00, 0x20, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00,		/* STATUS = 0 */
	0x00, 0x40, 0x00, 0x05, '0', '.', '1', '.', '0',	/* DAEMON_VERSION */
	0x00, 0x41, 0x00, 0x08, U64(3723),			/* UPTIME_S */
	0x00, 0x42, 0x00, 0x01, 0x03,				/* DOORS unix|netlink */
	0x00, 0x43, 0x00, 0x08, U64(120),			/* HANDSHAKES_OK */
	0x00, 0x44, 0x00, 0x08, U64(3),				/* HANDSHAKES_FAILED */
	0x00, 0x45, 0x00, 0x08, U64(1),				/* REQUESTS_REJECTED */
	0x00, 0x46, 0x00, 0x04, 0x00, 0x00, 0x00, 0x02,		/* IN_FLIGHT */
	0x00, 0x47, 0x00, 0x18,					/* FAILURES, 2 entries */
	0x00, 0x00, 0x00, 0x6e, U64(2),				/* ETIMEDOUT x2 */
	0x00, 0x00, 0x00, 0x0d, U64(1),				/* EACCES x1 */
	0x00, 0x48, 0x00, 0x18,					/* LATENCY, 2 buckets */
	0x00, 0x00, 0x00, 0x05, U64(100),			/* <= 5 ms */
	0xff, 0xff, 0xff, 0xff, U64(23),			/* +Inf */
	0x00, 0x49, 0x00, 0x08, U64(500),			/* LATENCY_SUM_MS */
	0x00, 0x4a, 0x00, 0x26,					/* PROFILES, 38 bytes */
	0x03, 'w', 'e', 'b', U64(100), U64(2),
	0x01, '-', U64(20), U64(1),
};

static const uint8_t golden_refusal[] = {
	0x6b, 0x54, 0x4c, 0x53, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1e,
	0x00, 0x20, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01,		/* STATUS = EPERM */
	0x00, 0x21, 0x00, 0x06, 'n', 'o', ' ', 'w', 'a', 'y',
};

static void golden_struct(struct ktls_status_reply *st)
{
	memset(st, 0, sizeof(*st));
	strcpy(st->daemon_version, "0.1.0");
	st->uptime_s = 3723;
	st->doors = KTLS_DOOR_UNIX | KTLS_DOOR_NETLINK;
	st->handshakes_ok = 120;
	st->handshakes_failed = 3;
	st->requests_rejected = 1;
	st->in_flight = 2;
	st->failures[0].key = ETIMEDOUT;
	st->failures[0].count = 2;
	st->failures[1].key = EACCES;
	st->failures[1].count = 1;
	st->n_failures = 2;
	st->latency[0].key = 5;
	st->latency[0].count = 100;
	st->latency[1].key = KTLS_STATUS_LE_INF;
	st->latency[1].count = 23;
	st->n_latency = 2;
	st->latency_sum_ms = 500;
	strcpy(st->profiles[0].name, "web");
	st->profiles[0].ok = 100;
	st->profiles[0].failed = 2;
	strcpy(st->profiles[1].name, "-");
	st->profiles[1].ok = 20;
	st->profiles[1].failed = 1;
	st->n_profiles = 2;
}

static size_t with_header(uint8_t *out, const uint8_t *tlvs, size_t tlv_len)
{
	size_t total = KTLS_MSG_HDR_LEN + tlv_len;
	const uint8_t header[KTLS_MSG_HDR_LEN] = {
		0x6b, 0x54, 0x4c, 0x53, 0x01, KTLS_MSG_STATUS_REPLY, 0x00, 0x00,
		(uint8_t)(total >> 24), (uint8_t)(total >> 16), (uint8_t)(total >> 8),
		(uint8_t)total,
	};

	memcpy(out, header, sizeof(header));
	memcpy(out + KTLS_MSG_HDR_LEN, tlvs, tlv_len);
	return total;
}

static int decode_tlvs(const uint8_t *tlvs, size_t len, struct ktls_status_reply *st)
{
	static uint8_t msg[KTLS_MSG_MAX];

	return ktls_msg_decode_status(msg, with_header(msg, tlvs, len), st);
}

#define STATUS_TLV 0x00, 0x20, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00

#define assert_status_rejected(...)                                           \
	do {                                                                  \
		static const uint8_t tlvs_[] = { STATUS_TLV, __VA_ARGS__ };   \
		static struct ktls_status_reply st_;                          \
		assert_int_equal(decode_tlvs(tlvs_, sizeof(tlvs_), &st_), -EBADMSG); \
		assert_int_equal(st_.n_profiles + st_.n_failures + st_.n_latency + \
				 st_.n_sessions, 0);                          \
	} while (0)

static void test_encode_golden(void **state)
{
	static struct ktls_status_reply st;
	uint8_t buf[512];

	golden_struct(&st);
	assert_int_equal(ktls_msg_encode_status(&st, buf, sizeof(buf)), sizeof(golden_status));
	assert_memory_equal(buf, golden_status, sizeof(golden_status));

	memset(&st, 0, sizeof(st));
	st.status = EPERM;
	strcpy(st.reason, "no way");
	assert_int_equal(ktls_msg_encode_status(&st, buf, sizeof(buf)), sizeof(golden_refusal));
	assert_memory_equal(buf, golden_refusal, sizeof(golden_refusal));
}

static void test_decode_golden(void **state)
{
	static struct ktls_status_reply want, got;

	golden_struct(&want);
	assert_int_equal(ktls_msg_decode_status(golden_status, sizeof(golden_status), &got), 0);
	assert_memory_equal(&got, &want, sizeof(want));
	assert_int_equal(ktls_msg_decode_status(golden_refusal, sizeof(golden_refusal), &got), 0);
	assert_int_equal(got.status, EPERM);
	assert_string_equal(got.reason, "no way");
}

/* The denial-of-service counters and limits (TLVs 80..85). */
static const uint8_t golden_limits[] = {
	0x6b, 0x54, 0x4c, 0x53, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x50,
	0x00, 0x20, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00,		/* STATUS = 0 */
	0x00, 0x50, 0x00, 0x08, U64(300),			/* REFUSED_BUSY */
	0x00, 0x51, 0x00, 0x08, U64(2),				/* ACCEPT_NO_FD */
	0x00, 0x52, 0x00, 0x04, 0x00, 0x00, 0x00, 0x65,		/* MAX_HANDSHAKES 101 */
	0x00, 0x53, 0x00, 0x04, 0x00, 0x00, 0x00, 0x0d,		/* KERNEL_RESERVE 13 */
	0x00, 0x54, 0x00, 0x04, 0x00, 0x00, 0x00, 0x16,		/* PER_UID_MAX 22 */
	0x00, 0x55, 0x00, 0x08, U64(1024),			/* FD_LIMIT */
};

static void test_limits_golden(void **state)
{
	static struct ktls_status_reply st, got;
	uint8_t buf[512];

	st.refused_busy = 300;
	st.accept_no_fd = 2;
	st.max_handshakes = 101;
	st.kernel_reserve = 13;
	st.per_uid_max = 22;
	st.fd_limit = 1024;
	assert_int_equal(ktls_msg_encode_status(&st, buf, sizeof(buf)), sizeof(golden_limits));
	assert_memory_equal(buf, golden_limits, sizeof(golden_limits));
	assert_int_equal(ktls_msg_decode_status(golden_limits, sizeof(golden_limits), &got), 0);
	assert_memory_equal(&got, &st, sizeof(st));
}

/* Each message type has its own decoder; neither takes the other's. */
static void test_types_do_not_mix(void **state)
{
	static struct ktls_hs_reply rep;
	static struct ktls_status_reply st;
	uint8_t reply[64];
	int len;

	assert_int_equal(ktls_msg_decode_reply(golden_status, sizeof(golden_status), &rep),
			 -EBADMSG);
	rep.status = EPERM;
	len = ktls_msg_encode_reply(&rep, reply, sizeof(reply));
	assert_true(len > 0);
	assert_int_equal(ktls_msg_decode_status(reply, (size_t)len, &st), -EBADMSG);
	assert_int_equal(ktls_msg_type(golden_status, sizeof(golden_status)),
			 KTLS_MSG_STATUS_REPLY);
}

static void test_encode_rejects(void **state)
{
	static struct ktls_status_reply st;
	uint8_t buf[KTLS_MSG_MAX];

	golden_struct(&st);
	st.n_failures = KTLS_STATUS_MAX_FAILURES + 1;
	assert_int_equal(ktls_msg_encode_status(&st, buf, sizeof(buf)), -EINVAL);
	golden_struct(&st);
	st.n_latency = KTLS_STATUS_MAX_BUCKETS + 1;
	assert_int_equal(ktls_msg_encode_status(&st, buf, sizeof(buf)), -EINVAL);
	golden_struct(&st);
	st.n_profiles = KTLS_STATUS_MAX_PROFILES + 1;
	assert_int_equal(ktls_msg_encode_status(&st, buf, sizeof(buf)), -EINVAL);
	golden_struct(&st);
	st.profiles[1].name[0] = '\0';		/* empty name */
	assert_int_equal(ktls_msg_encode_status(&st, buf, sizeof(buf)), -EINVAL);
	golden_struct(&st);
	memset(st.profiles[0].name, 'x', sizeof(st.profiles[0].name));	/* unterminated */
	assert_int_equal(ktls_msg_encode_status(&st, buf, sizeof(buf)), -EINVAL);
	golden_struct(&st);
	st.doors = 4;
	assert_int_equal(ktls_msg_encode_status(&st, buf, sizeof(buf)), -EINVAL);
	golden_struct(&st);
	assert_int_equal(ktls_msg_encode_status(&st, buf, 100), -EMSGSIZE);
}

static void test_decode_bad_lists(void **state)
{
	/* counts: not a multiple of 12 */
	assert_status_rejected(0x00, 0x47, 0x00, 0x0b, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0);
	/* profile: zero-length name */
	assert_status_rejected(0x00, 0x4a, 0x00, 0x11, 0x00, U64(1), U64(2));
	/* profile: name runs past the TLV */
	assert_status_rejected(0x00, 0x4a, 0x00, 0x12, 0x05, 'a', U64(1), U64(2));
	/* profile: counts cut short */
	assert_status_rejected(0x00, 0x4a, 0x00, 0x0a, 0x01, 'a', U64(1));
	/* profile: NUL inside the name */
	assert_status_rejected(0x00, 0x4a, 0x00, 0x13, 0x02, 'a', 0x00, U64(1), U64(2));
	/* u64 of the wrong size, doors out of range, duplicates */
	assert_status_rejected(0x00, 0x43, 0x00, 0x04, 0, 0, 0, 1);
	assert_status_rejected(0x00, 0x42, 0x00, 0x01, 0x04);
	assert_status_rejected(0x00, 0x42, 0x00, 0x01, 0x01, 0x00, 0x42, 0x00, 0x01, 0x01);
}

static void test_decode_needs_status(void **state)
{
	static const uint8_t tlvs[] = { 0x00, 0x42, 0x00, 0x01, 0x01 };
	static struct ktls_status_reply st;

	assert_int_equal(decode_tlvs(tlvs, sizeof(tlvs), &st), -EBADMSG);
}

/* A list longer than the struct holds is refused, not cut. */
static void test_decode_too_many_entries(void **state)
{
	static uint8_t tlvs[8 + 4 + (KTLS_STATUS_MAX_FAILURES + 1) * 12 + 4 +
			    (KTLS_STATUS_MAX_PROFILES + 1) * 18];
	static struct ktls_status_reply st;
	size_t len = 0, list = (KTLS_STATUS_MAX_FAILURES + 1) * 12;
	const uint8_t status[] = { STATUS_TLV };

	memset(tlvs, 0, sizeof(tlvs));
	memcpy(tlvs, status, sizeof(status));
	len = sizeof(status);
	tlvs[len + 1] = 0x47;
	tlvs[len + 2] = (uint8_t)(list >> 8);
	tlvs[len + 3] = (uint8_t)list;
	assert_int_equal(decode_tlvs(tlvs, len + 4 + list, &st), -EBADMSG);
	assert_int_equal(decode_tlvs(tlvs, len + 4 + list - 12, &st), -EBADMSG);	/* length */
	tlvs[len + 2] = (uint8_t)((list - 12) >> 8);
	tlvs[len + 3] = (uint8_t)(list - 12);
	assert_int_equal(decode_tlvs(tlvs, len + 4 + list - 12, &st), 0);
	assert_int_equal(st.n_failures, KTLS_STATUS_MAX_FAILURES);

	list = (KTLS_STATUS_MAX_PROFILES + 1) * 18;
	tlvs[len + 1] = 0x4a;
	tlvs[len + 2] = (uint8_t)(list >> 8);
	tlvs[len + 3] = (uint8_t)list;
	for (size_t i = 0; i < KTLS_STATUS_MAX_PROFILES + 1; i++) {
		tlvs[len + 4 + i * 18] = 1;
		tlvs[len + 4 + i * 18 + 1] = 'p';
	}
	assert_int_equal(decode_tlvs(tlvs, len + 4 + list, &st), -EBADMSG);
	tlvs[len + 2] = (uint8_t)((list - 18) >> 8);
	tlvs[len + 3] = (uint8_t)(list - 18);
	assert_int_equal(decode_tlvs(tlvs, len + 4 + list - 18, &st), 0);
	assert_int_equal(st.n_profiles, KTLS_STATUS_MAX_PROFILES);
}

/* The largest status the daemon can produce fits one message. */
static void test_round_trip_full(void **state)
{
	static struct ktls_status_reply st, back;
	static uint8_t buf[KTLS_MSG_MAX];
	int len;

	golden_struct(&st);
	memset(st.daemon_version, 'v', sizeof(st.daemon_version) - 1);
	for (unsigned i = 0; i < KTLS_STATUS_MAX_FAILURES; i++) {
		st.failures[i].key = i + 1;
		st.failures[i].count = UINT64_MAX - i;
	}
	st.n_failures = KTLS_STATUS_MAX_FAILURES;
	for (unsigned i = 0; i < KTLS_STATUS_MAX_BUCKETS; i++) {
		st.latency[i].key = i == KTLS_STATUS_MAX_BUCKETS - 1 ? KTLS_STATUS_LE_INF : i * 7;
		st.latency[i].count = (uint64_t)i << 40;
	}
	st.n_latency = KTLS_STATUS_MAX_BUCKETS;
	for (unsigned i = 0; i < KTLS_STATUS_MAX_PROFILES; i++) {
		memset(st.profiles[i].name, 'a' + (int)(i % 26), KTLS_STATUS_NAME_MAX - 1);
		st.profiles[i].ok = (uint64_t)i << 33;
		st.profiles[i].failed = i;
	}
	st.n_profiles = KTLS_STATUS_MAX_PROFILES;
	for (unsigned i = 0; i < KTLS_STATUS_MAX_PROFILES; i++) {
		memset(st.sessions[i].name, 'A' + (int)(i % 26), KTLS_STATUS_NAME_MAX - 1);
		for (unsigned c = 0; c < KTLS_STATUS_SESSION_COUNTERS; c++)
			st.sessions[i].count[c] = UINT64_MAX - i * 8 - c;
	}
	st.n_sessions = KTLS_STATUS_MAX_PROFILES;
	len = ktls_msg_encode_status(&st, buf, sizeof(buf));
	assert_true(len > 0);
	assert_int_equal(ktls_msg_decode_status(buf, (size_t)len, &back), 0);
	assert_memory_equal(&st, &back, sizeof(st));
}

/* The session counters list (TLV 100): exact bytes, and a sender with more
 * or fewer counters than this build knows still decodes. */
static void test_sessions_list(void **state)
{
	static struct ktls_status_reply st, back;
	static const uint8_t want[] = {
		STATUS_TLV,
		0x00, 0x64, 0x00, 0x35, 0x03, 'w', 'e', 'b', 0x06,
		U64(7), U64(3), U64(6), U64(4), U64(1), U64(2),
	};
	static const uint8_t more[] = {
		STATUS_TLV,
		0x00, 0x64, 0x00, 0x3b, 0x01, 'a', 0x07,
		U64(1), U64(2), U64(3), U64(4), U64(5), U64(6), U64(99),
	};
	static const uint8_t fewer[] = {
		STATUS_TLV,
		0x00, 0x64, 0x00, 0x0e, 0x01, 'b', 0x01, U64(5),
		0x01, 'c', 0x00,
	};
	uint8_t buf[256];

	memset(&st, 0, sizeof(st));
	strcpy(st.sessions[0].name, "web");
	st.sessions[0].count[KTLS_SESSION_RESUMED] = 7;
	st.sessions[0].count[KTLS_SESSION_FULL] = 3;
	st.sessions[0].count[KTLS_SESSION_CACHE_HIT] = 6;
	st.sessions[0].count[KTLS_SESSION_CACHE_MISS] = 4;
	st.sessions[0].count[KTLS_SESSION_CACHE_EVICT] = 1;
	st.sessions[0].count[KTLS_SESSION_STORE_ERROR] = 2;
	st.n_sessions = 1;
	assert_int_equal(ktls_msg_encode_status(&st, buf, sizeof(buf)),
			 KTLS_MSG_HDR_LEN + sizeof(want));
	assert_memory_equal(buf + KTLS_MSG_HDR_LEN, want, sizeof(want));
	assert_int_equal(decode_tlvs(want, sizeof(want), &back), 0);
	assert_memory_equal(&st, &back, sizeof(st));

	assert_int_equal(decode_tlvs(more, sizeof(more), &back), 0);
	assert_int_equal(back.n_sessions, 1);
	assert_string_equal(back.sessions[0].name, "a");
	for (unsigned c = 0; c < KTLS_STATUS_SESSION_COUNTERS; c++)
		assert_int_equal(back.sessions[0].count[c], c + 1);

	assert_int_equal(decode_tlvs(fewer, sizeof(fewer), &back), 0);
	assert_int_equal(back.n_sessions, 2);
	assert_int_equal(back.sessions[0].count[0], 5);
	assert_int_equal(back.sessions[0].count[1], 0);
	assert_string_equal(back.sessions[1].name, "c");

	/* counts cut short, count byte missing, empty name, NUL in name */
	assert_status_rejected(0x00, 0x64, 0x00, 0x0b, 0x01, 'a', 0x02, U64(1));
	assert_status_rejected(0x00, 0x64, 0x00, 0x02, 0x01, 'a');
	assert_status_rejected(0x00, 0x64, 0x00, 0x02, 0x00, 0x00);
	assert_status_rejected(0x00, 0x64, 0x00, 0x04, 0x02, 'a', 0x00, 0x00);

	/* the encoder refuses what the decoder would */
	st.n_sessions = KTLS_STATUS_MAX_PROFILES + 1;
	assert_int_equal(ktls_msg_encode_status(&st, buf, sizeof(buf)), -EINVAL);
	st.n_sessions = 1;
	st.sessions[0].name[0] = '\0';
	assert_int_equal(ktls_msg_encode_status(&st, buf, sizeof(buf)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_golden),
		cmocka_unit_test(test_decode_golden),
		cmocka_unit_test(test_limits_golden),
		cmocka_unit_test(test_types_do_not_mix),
		cmocka_unit_test(test_encode_rejects),
		cmocka_unit_test(test_decode_bad_lists),
		cmocka_unit_test(test_decode_needs_status),
		cmocka_unit_test(test_decode_too_many_entries),
		cmocka_unit_test(test_round_trip_full),
		cmocka_unit_test(test_sessions_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

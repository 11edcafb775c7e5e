// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The key process's wire format (daemon/keys/keyproc_proto.c): messages built
 * field by field compared byte for byte with hand-written captures, then
 * every way a message can be wrong: each truncation, each field over its
 * bound, unknown types, a wrong version, reserved bits, a reply that is
 * not one.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "keys/keyproc_proto.h"

static const uint8_t golden_load[] = {
	0x01, 0x02, 0x00, 0x00,		/* LOAD, version 2, reserved */
	0x04, 0x03, 0x02, 0x01,		/* id 0x01020304 */
	0x05, 0x00, 0x00, 0x00,		/* generation 5 */
	0x02, 0x00, 0x00, 0x00,		/* index 2 */
	'w', 'e', 'b',			/* profile name: no path, ever */
};

static const uint8_t golden_open[] = {
	0x06, 0x02, 0x00, 0x00,		/* OPEN */
	0x0a, 0x00, 0x00, 0x00,		/* id 10 */
	0x03, 0x00, 0x00, 0x00,		/* generation 3 */
	0x01, 0x00, 0x00, 0x00,		/* index 1 */
	0x03, 0x00, 0x00, 0x00,		/* KP_FILE_PSK */
	'p', 's', 'k',			/* profile name */
};

static const uint8_t golden_config[] = {
	0x05, 0x02, 0x00, 0x00, 0x0b, 0x00, 0x00, 0x00,
	0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static const uint8_t golden_open_ok[] = {	/* the descriptor rides in SCM_RIGHTS */
	0x86, 0x02, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static const uint8_t golden_sign[] = {
	0x02, 0x02, 0x00, 0x00,		/* SIGN_DATA */
	0x07, 0x00, 0x00, 0x00,		/* id 7 */
	0x00, 0x00, 0x01, 0x00,		/* generation 0x10000 */
	0x00, 0x00, 0x00, 0x00,		/* index 0 */
	0x44, 0x33, 0x22, 0x11,		/* sign algorithm 0x11223344 */
	0x80, 0x00, 0x00, 0x00,		/* flags */
	'a', 'b', 'c',
};

static const uint8_t golden_drop[] = {
	0x04, 0x02, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00,
	0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
};

static const uint8_t golden_load_ok[] = {
	0x81, 0x02, 0x00, 0x00,		/* LOAD | REPLY */
	0x04, 0x03, 0x02, 0x01,		/* id */
	0x00, 0x00, 0x00, 0x00,		/* status 0 */
	0x04, 0x00, 0x00, 0x00,		/* pk algorithm 4 */
	0x00, 0x01, 0x00, 0x00,		/* 256 bits */
};

static const uint8_t golden_sign_refused[] = {
	0x82, 0x02, 0x00, 0x00,
	0x07, 0x00, 0x00, 0x00,
	0x82, 0xff, 0xff, 0xff,		/* -126 (-ENOKEY) */
	'n', 'o',			/* reason */
};

static const uint8_t golden_sign_ok[] = {
	0x83, 0x02, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x30, 0x45,
};

static void test_request_golden(void **state)
{
	uint8_t buf[64];
	struct kp_request r = { .type = KP_LOAD, .id = 0x01020304, .generation = 5, .index = 2,
				.data = (const uint8_t *)"web", .data_len = 3 };

	assert_int_equal(kp_request_encode(&r, buf, sizeof(buf)), sizeof(golden_load));
	assert_memory_equal(buf, golden_load, sizeof(golden_load));

	r = (struct kp_request){ .type = KP_SIGN_DATA, .id = 7, .generation = 0x10000,
				 .sign_algo = 0x11223344, .flags = 0x80,
				 .data = (const uint8_t *)"abc", .data_len = 3 };
	assert_int_equal(kp_request_encode(&r, buf, sizeof(buf)), sizeof(golden_sign));
	assert_memory_equal(buf, golden_sign, sizeof(golden_sign));

	r = (struct kp_request){ .type = KP_DROP, .id = 9, .generation = 0xffffffff };
	assert_int_equal(kp_request_encode(&r, buf, sizeof(buf)), sizeof(golden_drop));
	assert_memory_equal(buf, golden_drop, sizeof(golden_drop));

	r = (struct kp_request){ .type = KP_OPEN, .id = 10, .generation = 3, .index = 1,
				 .file = KP_FILE_PSK, .data = (const uint8_t *)"psk",
				 .data_len = 3 };
	assert_int_equal(kp_request_encode(&r, buf, sizeof(buf)), sizeof(golden_open));
	assert_memory_equal(buf, golden_open, sizeof(golden_open));

	r = (struct kp_request){ .type = KP_CONFIG, .id = 11, .generation = 4 };
	assert_int_equal(kp_request_encode(&r, buf, sizeof(buf)), sizeof(golden_config));
	assert_memory_equal(buf, golden_config, sizeof(golden_config));
}

/* OPEN names a file kind (never a key) and a profile; CONFIG nothing. */
static void test_open_config(void **state)
{
	uint8_t buf[64];
	struct kp_request r;
	struct kp_reply rp = { .type = KP_OPEN, .id = 10 };

	assert_int_equal(kp_request_decode(golden_open, sizeof(golden_open), &r), 0);
	assert_int_equal(r.type, KP_OPEN);
	assert_int_equal(r.file, KP_FILE_PSK);
	assert_int_equal(r.index, 1);
	assert_int_equal(r.data_len, 3);
	assert_memory_equal(r.data, "psk", 3);
	for (uint32_t kind = 0; kind < 8; kind++) {
		memcpy(buf, golden_open, sizeof(golden_open));
		buf[16] = (uint8_t)kind;
		assert_int_equal(kp_request_decode(buf, sizeof(golden_open), &r),
				 kind >= KP_FILE_CERT && kind <= KP_FILE_PSK ? 0 : -EBADMSG);
	}
	for (size_t n = 0; n <= KP_REQ_HDR_LEN + 4; n++)	/* no kind, or no name */
		assert_int_not_equal(kp_request_decode(golden_open, n, &r), 0);

	assert_int_equal(kp_request_decode(golden_config, sizeof(golden_config), &r), 0);
	assert_int_equal(r.type, KP_CONFIG);
	assert_int_equal(r.generation, 4);
	memcpy(buf, golden_config, sizeof(golden_config));
	buf[sizeof(golden_config)] = 'x';	/* a path smuggled in: refused */
	assert_int_equal(kp_request_decode(buf, sizeof(golden_config) + 1, &r), -EBADMSG);
	buf[12] = 1;				/* an index */
	assert_int_equal(kp_request_decode(buf, sizeof(golden_config), &r), -EBADMSG);

	/* DATA: an offset, then a part of what SIGN_DATA will sign */
	r = (struct kp_request){ .type = KP_DATA, .id = 12, .generation = 1, .offset = 65536,
				 .data = (const uint8_t *)"xy", .data_len = 2 };
	assert_int_equal(kp_request_encode(&r, buf, sizeof(buf)), KP_REQ_HDR_LEN + 4 + 2);
	assert_memory_equal(buf, "\x07\x02\x00\x00\x0c\x00\x00\x00\x01\x00\x00\x00"
			    "\x00\x00\x00\x00\x00\x00\x01\x00xy", KP_REQ_HDR_LEN + 6);
	assert_int_equal(kp_request_decode(buf, KP_REQ_HDR_LEN + 6, &r), 0);
	assert_int_equal(r.offset, 65536);
	assert_int_equal(r.data_len, 2);
	assert_int_equal(kp_request_decode(buf, KP_REQ_HDR_LEN + 4, &r), -EBADMSG);	/* empty */

	assert_int_equal(kp_reply_encode(&rp, buf, sizeof(buf)), sizeof(golden_open_ok));
	assert_memory_equal(buf, golden_open_ok, sizeof(golden_open_ok));
	assert_int_equal(kp_reply_decode(golden_open_ok, sizeof(golden_open_ok), &rp), 0);
	assert_int_equal(rp.type, KP_OPEN);
	memcpy(buf, golden_open_ok, sizeof(golden_open_ok));
	buf[sizeof(golden_open_ok)] = '/';	/* success carries no bytes */
	assert_int_equal(kp_reply_decode(buf, sizeof(golden_open_ok) + 1, &rp), -EBADMSG);
}

static void test_request_decode(void **state)
{
	struct kp_request r;

	assert_int_equal(kp_request_decode(golden_load, sizeof(golden_load), &r), 0);
	assert_int_equal(r.type, KP_LOAD);
	assert_int_equal(r.id, 0x01020304);
	assert_int_equal(r.generation, 5);
	assert_int_equal(r.index, 2);
	assert_int_equal(r.data_len, 3);
	assert_memory_equal(r.data, "web", 3);

	assert_int_equal(kp_request_decode(golden_sign, sizeof(golden_sign), &r), 0);
	assert_int_equal(r.type, KP_SIGN_DATA);
	assert_int_equal(r.generation, 0x10000);
	assert_int_equal(r.sign_algo, 0x11223344);
	assert_int_equal(r.flags, 0x80);
	assert_int_equal(r.data_len, 3);
	assert_memory_equal(r.data, "abc", 3);

	assert_int_equal(kp_request_decode(golden_drop, sizeof(golden_drop), &r), 0);
	assert_int_equal(r.type, KP_DROP);
	assert_int_equal(r.generation, 0xffffffff);
}

static void test_reply_golden(void **state)
{
	uint8_t buf[64];
	struct kp_reply r = { .type = KP_LOAD, .id = 0x01020304, .pk_algo = 4, .bits = 256 };

	assert_int_equal(kp_reply_encode(&r, buf, sizeof(buf)), sizeof(golden_load_ok));
	assert_memory_equal(buf, golden_load_ok, sizeof(golden_load_ok));
	r = (struct kp_reply){ .type = KP_SIGN_DATA, .id = 7, .status = -ENOKEY,
			       .data = (const uint8_t *)"no", .data_len = 2 };
	assert_int_equal(kp_reply_encode(&r, buf, sizeof(buf)), sizeof(golden_sign_refused));
	assert_memory_equal(buf, golden_sign_refused, sizeof(golden_sign_refused));
	r = (struct kp_reply){ .type = KP_SIGN_HASH, .id = 8,
			       .data = (const uint8_t *)"\x30\x45", .data_len = 2 };
	assert_int_equal(kp_reply_encode(&r, buf, sizeof(buf)), sizeof(golden_sign_ok));
	assert_memory_equal(buf, golden_sign_ok, sizeof(golden_sign_ok));

	assert_int_equal(kp_reply_decode(golden_load_ok, sizeof(golden_load_ok), &r), 0);
	assert_int_equal(r.type, KP_LOAD);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.pk_algo, 4);
	assert_int_equal(r.bits, 256);
	assert_int_equal(r.data_len, 0);
	assert_int_equal(kp_reply_decode(golden_sign_refused, sizeof(golden_sign_refused), &r), 0);
	assert_int_equal(r.status, -ENOKEY);
	assert_int_equal(r.data_len, 2);
	assert_memory_equal(r.data, "no", 2);
	assert_int_equal(kp_reply_decode(golden_sign_ok, sizeof(golden_sign_ok), &r), 0);
	assert_int_equal(r.type, KP_SIGN_HASH);
	assert_int_equal(r.data_len, 2);
}

/* Every prefix that cuts into the fixed fields (or leaves an empty path or
 * nothing to sign) is refused.  A cut inside the variable tail reads as a
 * shorter path or data: the datagram's own length is the only length, and
 * a datagram cut by the socket is caught by MSG_TRUNC at recv. */
static void test_truncated_refused(void **state)
{
	struct kp_request rq;
	struct kp_reply rp;

	for (size_t n = 0; n <= KP_REQ_HDR_LEN; n++)
		assert_int_not_equal(kp_request_decode(golden_load, n, &rq), 0);
	for (size_t n = 0; n <= KP_REQ_HDR_LEN + 8; n++)
		assert_int_not_equal(kp_request_decode(golden_sign, n, &rq), 0);
	for (size_t n = 0; n < sizeof(golden_drop); n++)
		assert_int_not_equal(kp_request_decode(golden_drop, n, &rq), 0);
	for (size_t n = 0; n < sizeof(golden_load_ok); n++)
		assert_int_not_equal(kp_reply_decode(golden_load_ok, n, &rp), 0);
	for (size_t n = 0; n <= KP_REP_HDR_LEN; n++)
		assert_int_not_equal(kp_reply_decode(golden_sign_ok, n, &rp), 0);
}

static void test_header_refused(void **state)
{
	uint8_t buf[sizeof(golden_sign)];
	struct kp_request rq;
	struct kp_reply rp;

	memcpy(buf, golden_sign, sizeof(buf));
	buf[1] = 1;				/* version 1: paths in LOAD */
	assert_int_equal(kp_request_decode(buf, sizeof(buf), &rq), -EBADMSG);
	memcpy(buf, golden_sign, sizeof(buf));
	buf[3] = 1;				/* reserved */
	assert_int_equal(kp_request_decode(buf, sizeof(buf), &rq), -EBADMSG);
	for (unsigned type = 0; type < 256; type++) {
		int want = type >= KP_LOAD && type <= KP_DATA ? 0 : -EPROTO;

		memcpy(buf, golden_sign, sizeof(buf));
		buf[0] = (uint8_t)type;
		if (want == 0)
			continue;	/* the known types have their own bodies */
		assert_int_equal(kp_request_decode(buf, sizeof(buf), &rq), want);
	}
	memcpy(buf, golden_sign_ok, sizeof(golden_sign_ok));
	buf[0] = KP_SIGN_HASH;			/* a request where a reply belongs */
	assert_int_equal(kp_reply_decode(buf, sizeof(golden_sign_ok), &rp), -EBADMSG);
	buf[0] = KP_REPLY | 9;
	assert_int_equal(kp_reply_decode(buf, sizeof(golden_sign_ok), &rp), -EPROTO);
}

static void test_bodies_refused(void **state)
{
	uint8_t *big = calloc(1, KP_REQ_MAX + 16), *msg = calloc(1, KP_REQ_MAX + 16);
	uint8_t buf[KP_REP_MAX + 16];
	struct kp_request rq = { .type = KP_SIGN_DATA, .data = big, .data_len = KP_DATA_MAX };
	struct kp_reply rp;
	ssize_t n;

	assert_non_null(big);
	assert_non_null(msg);
	memset(big, 'x', KP_REQ_MAX + 16);
	/* data: at the bound fine, one byte over refused both ways */
	n = kp_request_encode(&rq, msg, KP_REQ_MAX + 16);
	assert_int_equal(n, KP_REQ_MAX);
	assert_int_equal(kp_request_decode(msg, (size_t)n, &rq), 0);
	assert_int_equal(kp_request_decode(msg, (size_t)n + 1, &rq), -EMSGSIZE);
	free(msg);
	rq = (struct kp_request){ .type = KP_SIGN_HASH, .data = big, .data_len = KP_DATA_MAX + 1 };
	assert_int_equal(kp_request_encode(&rq, buf, sizeof(buf)), -EINVAL);
	rq.data_len = 0;			/* nothing to sign */
	assert_int_equal(kp_request_encode(&rq, buf, sizeof(buf)), -EINVAL);

	/* names: NUL inside, empty, KP_NAME_MAX long */
	memcpy(big, golden_load, KP_REQ_HDR_LEN);
	memcpy(big + KP_REQ_HDR_LEN, "a\0b", 3);
	assert_int_equal(kp_request_decode(big, KP_REQ_HDR_LEN + 3, &rq), -EBADMSG);
	assert_int_equal(kp_request_decode(big, KP_REQ_HDR_LEN, &rq), -EBADMSG);
	memset(big + KP_REQ_HDR_LEN, 'p', KP_NAME_MAX);
	assert_int_equal(kp_request_decode(big, KP_REQ_HDR_LEN + KP_NAME_MAX - 1, &rq), 0);
	assert_int_equal(kp_request_decode(big, KP_REQ_HDR_LEN + KP_NAME_MAX, &rq), -EMSGSIZE);

	/* DROP carries nothing and names no index */
	memcpy(big, golden_drop, sizeof(golden_drop));
	big[sizeof(golden_drop)] = 0;
	assert_int_equal(kp_request_decode(big, sizeof(golden_drop) + 1, &rq), -EBADMSG);
	big[12] = 1;
	assert_int_equal(kp_request_decode(big, sizeof(golden_drop), &rq), -EBADMSG);

	/* replies: signature and reason bounds, LOAD's fixed body, status */
	rp = (struct kp_reply){ .type = KP_SIGN_DATA, .data = big, .data_len = KP_SIG_MAX + 1 };
	assert_int_equal(kp_reply_encode(&rp, buf, sizeof(buf)), -EINVAL);
	rp.data_len = KP_SIG_MAX;
	n = kp_reply_encode(&rp, buf, sizeof(buf));
	assert_int_equal(n, KP_REP_MAX);
	assert_int_equal(kp_reply_decode(buf, (size_t)n, &rp), 0);
	memcpy(buf + n, "x", 1);
	assert_int_equal(kp_reply_decode(buf, (size_t)n + 1, &rp), -EMSGSIZE);
	rp = (struct kp_reply){ .type = KP_SIGN_DATA, .status = -EIO, .data = big,
				.data_len = KP_REASON_MAX + 1 };
	assert_int_equal(kp_reply_encode(&rp, buf, sizeof(buf)), -EINVAL);
	memcpy(buf, golden_sign_ok, sizeof(golden_sign_ok));
	assert_int_equal(kp_reply_decode(buf, KP_REP_HDR_LEN, &rp), -EBADMSG);	/* no sig */
	memcpy(buf, golden_load_ok, sizeof(golden_load_ok));
	assert_int_equal(kp_reply_decode(buf, sizeof(golden_load_ok) - 1, &rp), -EBADMSG);
	buf[8] = 1;				/* a positive status is no errno */
	assert_int_equal(kp_reply_decode(buf, sizeof(golden_load_ok), &rp), -EBADMSG);
	buf[8] = 0x00; buf[9] = 0x00; buf[10] = 0x00; buf[11] = 0x80;	/* INT32_MIN */
	assert_int_equal(kp_reply_decode(buf, KP_REP_HDR_LEN, &rp), -EBADMSG);

	/* encoders never write past what they were given */
	rq = (struct kp_request){ .type = KP_LOAD, .data = (const uint8_t *)"web", .data_len = 3 };
	assert_int_equal(kp_request_encode(&rq, buf, sizeof(golden_load) - 1), -EMSGSIZE);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_golden),
		cmocka_unit_test(test_request_decode),
		cmocka_unit_test(test_open_config),
		cmocka_unit_test(test_reply_golden),
		cmocka_unit_test(test_truncated_refused),
		cmocka_unit_test(test_header_refused),
		cmocka_unit_test(test_bodies_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

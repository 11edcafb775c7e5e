// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The handshake-upcall netlink codec (daemon/doors/door_netlink_msg.c) against bytes
 * written by hand from the kernel's uapi (include/uapi/linux/handshake.h and
 * net/handshake/tlshd.c), never produced by the code under test: the ACCEPT
 * request and DONE message byte for byte, an ACCEPT reply with every
 * attribute, the malformed replies it must refuse (still finding the socket
 * so that DONE can be sent), broken framing, odd values pinned, a mutation
 * fuzz, and the DONE status mapping.
 * Integers in netlink are host order: these goldens are little-endian.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <netlink/msg.h>

#include "doors/door_netlink.h"

#define FAMILY 0x21	/* any id: the kernel assigns it at boot */

/* ---- goldens ---------------------------------------------------------------- */

static const uint8_t golden_accept_request[] = {
	0x1c, 0x00, 0x00, 0x00,	/* nlmsg_len 28 */
	0x21, 0x00,		/* nlmsg_type: the family */
	0x01, 0x00,		/* NLM_F_REQUEST: no ACK, the reply is the answer */
	0x07, 0x00, 0x00, 0x00,	/* seq 7 */
	0x00, 0x00, 0x00, 0x00,	/* port 0: the kernel fills it */
	0x02, 0x01, 0x00, 0x00,	/* genl: cmd ACCEPT (2), version 1 */
	0x08, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x00,	/* HANDLER_CLASS = TLSHD (1) */
};

static const uint8_t golden_done[] = {
	0x2c, 0x00, 0x00, 0x00,	/* nlmsg_len 44 */
	0x21, 0x00,
	0x05, 0x00,		/* NLM_F_REQUEST | NLM_F_ACK */
	0x09, 0x00, 0x00, 0x00,	/* seq 9 */
	0x00, 0x00, 0x00, 0x00,
	0x03, 0x01, 0x00, 0x00,	/* cmd DONE (3), version 1 */
	0x08, 0x00, 0x01, 0x00, 0x0d, 0x00, 0x00, 0x00,	/* STATUS = EACCES (13) */
	0x08, 0x00, 0x02, 0x00, 0x2a, 0x00, 0x00, 0x00,	/* SOCKFD = 42 */
	0x08, 0x00, 0x03, 0x00, 0xd2, 0x04, 0x00, 0x00,	/* REMOTE_AUTH = 1234 */
};

/* What tls_handshake_accept() sends for an x509 ServerHello... with every
 * attribute at once (the kernel puts PEER_IDENTITY only for PSK and
 * CERTIFICATE only for x509; the parser takes what comes), plus KEYRING of
 * newer kernels and an attribute nobody knows yet (ignored). */
static const uint8_t golden_accept_reply[] = {
	0x7c, 0x00, 0x00, 0x00,	/* nlmsg_len 124 */
	0x21, 0x00, 0x00, 0x00,	/* family, no flags */
	0x07, 0x00, 0x00, 0x00,	/* seq 7 */
	0x00, 0x00, 0x00, 0x00,
	0x02, 0x01, 0x00, 0x00,	/* cmd ACCEPT */
	0x08, 0x00, 0x01, 0x00, 0x09, 0x00, 0x00, 0x00,	/* SOCKFD = 9 */
	0x08, 0x00, 0x03, 0x00, 0x02, 0x00, 0x00, 0x00,	/* MESSAGE_TYPE = SERVERHELLO */
	0x08, 0x00, 0x04, 0x00, 0x88, 0x13, 0x00, 0x00,	/* TIMEOUT = 5000 ms */
	0x08, 0x00, 0x05, 0x00, 0x03, 0x00, 0x00, 0x00,	/* AUTH_MODE = X509 */
	0x08, 0x00, 0x06, 0x00, 0x6f, 0x00, 0x00, 0x00,	/* PEER_IDENTITY = 111 */
	0x08, 0x00, 0x06, 0x00, 0xde, 0x00, 0x00, 0x00,	/* PEER_IDENTITY = 222 */
	0x14, 0x00, 0x07, 0x80,				/* CERTIFICATE, NLA_F_NESTED */
	0x08, 0x00, 0x01, 0x00, 0x4d, 0x01, 0x00, 0x00,	/*   CERT = 333 */
	0x08, 0x00, 0x02, 0x00, 0xbc, 0x01, 0x00, 0x00,	/*   PRIVKEY = 444 */
	0x13, 0x00, 0x08, 0x00,				/* PEERNAME, 15 bytes + pad */
	's', 'e', 'r', 'v', 'e', 'r', '.', 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0x00, 0x00,
	0x08, 0x00, 0x09, 0x00, 0x2b, 0x02, 0x00, 0x00,	/* KEYRING = 555 */
	0x08, 0x00, 0x2a, 0x00, 0xff, 0xff, 0xff, 0xff,	/* type 42: unknown */
};

/* ---- a hand-rolled message builder for the refusals ------------------------- */

struct raw_msg {
	uint8_t buf[1024] __attribute__((aligned(4)));
	size_t len;
};

static void raw_start(struct raw_msg *m, uint16_t type, uint8_t cmd)
{
	memset(m, 0, sizeof(*m));
	m->buf[4] = (uint8_t)type;
	m->buf[5] = (uint8_t)(type >> 8);
	m->buf[8] = 7;		/* seq */
	m->buf[16] = cmd;
	m->buf[17] = 1;
	m->len = 20;
}

static void raw_attr(struct raw_msg *m, uint16_t type, const void *data, uint16_t len)
{
	uint16_t nla_len = (uint16_t)(4 + len);

	memcpy(m->buf + m->len, &nla_len, 2);
	memcpy(m->buf + m->len + 2, &type, 2);
	memcpy(m->buf + m->len + 4, data, len);
	m->len += (size_t)(nla_len + 3) & ~(size_t)3;
}

static void raw_u32(struct raw_msg *m, uint16_t type, uint32_t value)
{
	raw_attr(m, type, &value, 4);
}

static struct nlmsghdr *raw_done(struct raw_msg *m)
{
	uint32_t len = (uint32_t)m->len;

	memcpy(m->buf, &len, 4);
	return (struct nlmsghdr *)m->buf;
}

/* SOCKFD 5, ClientHello, unauthenticated: the smallest valid reply. */
static void raw_minimal_accept(struct raw_msg *m)
{
	raw_start(m, FAMILY, 2);
	raw_u32(m, 1, 5);
	raw_u32(m, 3, 1);
	raw_u32(m, 5, 1);
}

static int parse(struct nlmsghdr *nlh, struct hsnl_accept *a)
{
	char reason[256] = "";
	int rc = hsnl_parse_accept(nlh, FAMILY, a, reason, sizeof(reason));

	if (rc < 0)
		assert_non_null(strstr(reason, "malformed ACCEPT reply"));
	return rc;
}

/* ---- building ---------------------------------------------------------------- */

static void test_accept_request_bytes(void **state)
{
	struct nl_msg *msg = nlmsg_alloc();
	struct nlmsghdr *nlh;

	(void)state;
	assert_non_null(msg);
	assert_int_equal(hsnl_build_accept(msg, FAMILY, 7), 0);
	nlh = nlmsg_hdr(msg);
	assert_int_equal(nlh->nlmsg_len, sizeof(golden_accept_request));
	assert_memory_equal(nlh, golden_accept_request, sizeof(golden_accept_request));
	nlmsg_free(msg);
}

static void test_done_bytes(void **state)
{
	static const int32_t remote[] = { 1234 };
	struct nl_msg *msg = nlmsg_alloc();
	struct nlmsghdr *nlh;

	(void)state;
	assert_int_equal(hsnl_build_done(msg, FAMILY, 9, EACCES, 42, remote, 1), 0);
	nlh = nlmsg_hdr(msg);
	assert_int_equal(nlh->nlmsg_len, sizeof(golden_done));
	assert_memory_equal(nlh, golden_done, sizeof(golden_done));
	nlmsg_free(msg);
}

/* No remote identity: the message simply ends after SOCKFD; a fd of -1
 * (the start-up probe) goes out as 0xffffffff. */
static void test_done_without_remote(void **state)
{
	struct nl_msg *msg = nlmsg_alloc();
	struct nlmsghdr *nlh;
	uint8_t expect[36];

	(void)state;
	memcpy(expect, golden_done, 36);
	expect[0] = 36;
	expect[8] = 1;
	expect[24] = 0;				/* STATUS 0 */
	memset(expect + 32, 0xff, 4);		/* SOCKFD -1 */
	assert_int_equal(hsnl_build_done(msg, FAMILY, 1, 0, -1, NULL, 0), 0);
	nlh = nlmsg_hdr(msg);
	assert_int_equal(nlh->nlmsg_len, 36);
	assert_memory_equal(nlh, expect, 36);
	nlmsg_free(msg);
}

/* ---- READY -------------------------------------------------------------------- */

static void test_ready(void **state)
{
	struct raw_msg m;

	(void)state;
	raw_start(&m, FAMILY, 1);
	raw_u32(&m, 2, 1);
	assert_true(hsnl_is_ready(raw_done(&m), FAMILY));
	raw_start(&m, FAMILY, 1);	/* no class: a kernel with one class only */
	assert_true(hsnl_is_ready(raw_done(&m), FAMILY));
	raw_start(&m, FAMILY, 1);
	raw_u32(&m, 2, 2);		/* another handler class: not ours */
	assert_false(hsnl_is_ready(raw_done(&m), FAMILY));
	raw_start(&m, FAMILY + 1, 1);	/* another family */
	raw_u32(&m, 2, 1);
	assert_false(hsnl_is_ready(raw_done(&m), FAMILY));
	raw_start(&m, FAMILY, 3);	/* not READY */
	raw_u32(&m, 2, 1);
	assert_false(hsnl_is_ready(raw_done(&m), FAMILY));
}

/* ---- parsing ------------------------------------------------------------------ */

static void test_parse_all_attributes(void **state)
{
	uint8_t buf[sizeof(golden_accept_reply)] __attribute__((aligned(4)));
	struct hsnl_accept a;

	(void)state;
	memcpy(buf, golden_accept_reply, sizeof(buf));
	assert_int_equal(parse((struct nlmsghdr *)buf, &a), 0);
	assert_int_equal(a.sockfd, 9);
	assert_int_equal(a.message_type, 2);
	assert_int_equal(a.timeout_ms, 5000);
	assert_int_equal(a.auth_mode, 3);
	assert_int_equal(a.n_peerids, 2);
	assert_int_equal(a.peerids[0], 111);
	assert_int_equal(a.peerids[1], 222);
	assert_int_equal(a.cert, 333);
	assert_int_equal(a.privkey, 444);
	assert_string_equal(a.peername, "server.example");
	assert_int_equal(a.keyring, 555);
}

static void test_parse_minimal(void **state)
{
	struct raw_msg m;
	struct hsnl_accept a;

	(void)state;
	raw_minimal_accept(&m);
	assert_int_equal(parse(raw_done(&m), &a), 0);
	assert_int_equal(a.sockfd, 5);
	assert_int_equal(a.message_type, 1);
	assert_int_equal(a.auth_mode, 1);
	assert_int_equal(a.timeout_ms, 0);
	assert_int_equal(a.n_peerids, 0);
	assert_int_equal(a.cert, 0);
	assert_int_equal(a.privkey, 0);
	assert_int_equal(a.keyring, 0);
	assert_string_equal(a.peername, "");
}

static void test_refuse_without_socket(void **state)
{
	struct raw_msg m;
	struct hsnl_accept a;

	(void)state;
	raw_start(&m, FAMILY, 2);
	raw_u32(&m, 3, 1);
	raw_u32(&m, 5, 1);
	assert_int_equal(parse(raw_done(&m), &a), -EBADMSG);
	assert_int_equal(a.sockfd, -1);
}

/* Anything wrong after the kernel installed the fd: refused, fd known. */
static void test_refuse_but_keep_socket(void **state)
{
	static const uint32_t bad_values[][2] = {
		{ 3, 0 },	/* MESSAGE_TYPE unspec */
		{ 3, 3 },	/* MESSAGE_TYPE unknown */
		{ 5, 0 },	/* AUTH_MODE unspec */
		{ 5, 4 },	/* AUTH_MODE unknown */
	};
	struct raw_msg m;
	struct hsnl_accept a;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_values) / sizeof(bad_values[0]); i++) {
		raw_start(&m, FAMILY, 2);
		raw_u32(&m, 1, 5);
		raw_u32(&m, 3, bad_values[i][0] == 3 ? bad_values[i][1] : 1);
		raw_u32(&m, 5, bad_values[i][0] == 5 ? bad_values[i][1] : 1);
		assert_int_equal(parse(raw_done(&m), &a), -EBADMSG);
		assert_int_equal(a.sockfd, 5);
	}
}

static void test_refuse_bad_attributes(void **state)
{
	char long_name[300];
	uint32_t peerid = 1;
	uint16_t short_u32 = 1;
	struct raw_msg m;
	struct hsnl_accept a;

	(void)state;
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';

	raw_minimal_accept(&m);
	raw_attr(&m, 8, "no-nul", 6);		/* PEERNAME without its NUL */
	assert_int_equal(parse(raw_done(&m), &a), -EBADMSG);
	assert_int_equal(a.sockfd, 5);

	raw_minimal_accept(&m);
	raw_attr(&m, 8, long_name, sizeof(long_name));	/* PEERNAME > 255 chars */
	assert_int_equal(parse(raw_done(&m), &a), -EBADMSG);

	raw_minimal_accept(&m);
	raw_attr(&m, 4, &short_u32, 2);	/* TIMEOUT of 2 bytes */
	assert_int_equal(parse(raw_done(&m), &a), -EBADMSG);

	raw_minimal_accept(&m);
	for (int i = 0; i < HSNL_MAX_PEERIDS + 1; i++)
		raw_u32(&m, 6, peerid++);	/* more than the kernel ever sends */
	assert_int_equal(parse(raw_done(&m), &a), -EBADMSG);

	raw_minimal_accept(&m);
	raw_u32(&m, 7, 333);			/* CERTIFICATE that is not nested */
	assert_int_equal(parse(raw_done(&m), &a), -EBADMSG);

	raw_start(&m, FAMILY, 3);		/* a DONE is not an ACCEPT reply */
	raw_u32(&m, 1, 5);
	assert_int_equal(parse(raw_done(&m), &a), -EBADMSG);

	raw_minimal_accept(&m);
	raw_done(&m);
	m.buf[4] = FAMILY + 1;			/* another family's message */
	assert_int_equal(parse((struct nlmsghdr *)m.buf, &a), -EBADMSG);
}

/* Bytes that do not add up: a header cut short, an attribute whose length
 * runs past the message or is shorter than its own header, bytes after the
 * last attribute, a nested CERTIFICATE whose inside is bad.  All refused;
 * the socket is known whenever a whole SOCKFD came before the damage. */
static void test_refuse_broken_framing(void **state)
{
	static const uint8_t two_bytes[2] = { 1, 0 };
	uint32_t value = 333;
	uint8_t nest[16];
	struct raw_msg m;
	struct hsnl_accept a;
	uint16_t nla_len;

	(void)state;
	/* Only the netlink header: no room for the genl header. */
	raw_start(&m, FAMILY, 2);
	m.len = 16;
	assert_int_equal(parse(raw_done(&m), &a), -EBADMSG);
	assert_int_equal(a.sockfd, -1);

	/* The last attribute claims 64 bytes, 8 are there. */
	raw_minimal_accept(&m);
	raw_u32(&m, 4, 1000);
	nla_len = 64;
	memcpy(m.buf + m.len - 8, &nla_len, 2);
	assert_int_equal(parse(raw_done(&m), &a), -EBADMSG);
	assert_int_equal(a.sockfd, 5);

	/* An attribute length below the 4-byte attribute header. */
	raw_minimal_accept(&m);
	raw_u32(&m, 4, 1000);
	nla_len = 2;
	memcpy(m.buf + m.len - 8, &nla_len, 2);
	assert_int_equal(parse(raw_done(&m), &a), -EBADMSG);

	/* Four stray bytes after the last attribute. */
	raw_minimal_accept(&m);
	m.len += 4;		/* zeros: nla_len 0, not an attribute */
	assert_int_equal(parse(raw_done(&m), &a), -EBADMSG);
	assert_int_equal(a.sockfd, 5);

	/* A SOCKFD of 2 bytes is no socket (and no valid reply). */
	raw_start(&m, FAMILY, 2);
	raw_attr(&m, 1, two_bytes, sizeof(two_bytes));
	raw_u32(&m, 3, 1);
	raw_u32(&m, 5, 1);
	assert_int_equal(parse(raw_done(&m), &a), -EBADMSG);
	assert_int_equal(a.sockfd, -1);

	/* CERTIFICATE whose CERT is 2 bytes, and one with stray bytes inside. */
	raw_minimal_accept(&m);
	nla_len = 6;
	memset(nest, 0, sizeof(nest));
	memcpy(nest, &nla_len, 2);
	nest[2] = 1;		/* CERT */
	raw_attr(&m, 7 | 0x8000, nest, 8);
	assert_int_equal(parse(raw_done(&m), &a), -EBADMSG);
	assert_int_equal(a.sockfd, 5);

	raw_minimal_accept(&m);
	nla_len = 8;
	memset(nest, 0, sizeof(nest));
	memcpy(nest, &nla_len, 2);
	nest[2] = 1;
	memcpy(nest + 4, &value, 4);
	nest[8] = 3;		/* 4 more bytes: nla_len 3, not an attribute */
	raw_attr(&m, 7 | 0x8000, nest, 12);
	assert_int_equal(parse(raw_done(&m), &a), -EBADMSG);

	/* The same CERTIFICATE without the stray bytes is fine. */
	raw_minimal_accept(&m);
	raw_attr(&m, 7 | 0x8000, nest, 8);
	assert_int_equal(parse(raw_done(&m), &a), 0);
	assert_int_equal(a.cert, 333);
	assert_int_equal(a.privkey, 0);
}

/* What the fuzzer (tests/fuzz/fuzz_netlink.c) showed the parser does with
 * values the kernel never sends: pinned, so that a change is deliberate. */
static void test_odd_values(void **state)
{
	char name[KTLS_NAME_MAX + 1];
	struct raw_msg m;
	struct hsnl_accept a;

	(void)state;
	/* A SOCKFD above INT_MAX is negative as an int: no socket, so the
	 * door never answers or closes a descriptor it was not given. */
	raw_start(&m, FAMILY, 2);
	raw_u32(&m, 1, 0xe6fe7f00);
	raw_u32(&m, 3, 1);
	raw_u32(&m, 5, 1);
	assert_int_equal(parse(raw_done(&m), &a), -EBADMSG);
	assert_true(a.sockfd < 0);

	/* PEERNAME "a.example\0evil": the name ends at the first NUL. */
	raw_minimal_accept(&m);
	raw_attr(&m, 8, "a.example\0evil", 15);
	assert_int_equal(parse(raw_done(&m), &a), 0);
	assert_string_equal(a.peername, "a.example");

	/* The longest name: 255 bytes and its NUL; one more is refused. */
	memset(name, 'n', sizeof(name));
	name[KTLS_NAME_MAX - 1] = '\0';
	raw_minimal_accept(&m);
	raw_attr(&m, 8, name, KTLS_NAME_MAX);
	assert_int_equal(parse(raw_done(&m), &a), 0);
	assert_int_equal(strlen(a.peername), KTLS_NAME_MAX - 1);
	name[KTLS_NAME_MAX - 1] = 'n';
	name[KTLS_NAME_MAX] = '\0';
	raw_minimal_accept(&m);
	raw_attr(&m, 8, name, KTLS_NAME_MAX + 1);
	assert_int_equal(parse(raw_done(&m), &a), -EBADMSG);

	/* Exactly HSNL_MAX_PEERIDS identities: all kept, in order. */
	raw_minimal_accept(&m);
	for (int i = 0; i < HSNL_MAX_PEERIDS; i++)
		raw_u32(&m, 6, (uint32_t)(100 + i));
	assert_int_equal(parse(raw_done(&m), &a), 0);
	assert_int_equal(a.n_peerids, HSNL_MAX_PEERIDS);
	for (int i = 0; i < HSNL_MAX_PEERIDS; i++)
		assert_int_equal(a.peerids[i], 100 + i);
}

/* READY with a HANDLER_CLASS of the wrong size is not a READY for us. */
static void test_ready_malformed(void **state)
{
	static const uint8_t two_bytes[2] = { 1, 0 };
	struct raw_msg m;

	(void)state;
	raw_start(&m, FAMILY, 1);
	raw_attr(&m, 2, two_bytes, sizeof(two_bytes));
	assert_false(hsnl_is_ready(raw_done(&m), FAMILY));
	raw_start(&m, FAMILY, 1);
	m.len = 18;		/* genl header cut short */
	assert_false(hsnl_is_ready(raw_done(&m), FAMILY));
}

/* Mutations of the golden reply: never a crash or an out-of-bounds read
 * (run under ASan in CI), and whatever is accepted is within range.  The
 * length field stays within the buffer: door_netlink.c checks it with
 * nlmsg_ok() against what recv() returned before it parses. */
static void test_fuzz_mutations(void **state)
{
	uint8_t buf[sizeof(golden_accept_reply)] __attribute__((aligned(4)));
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	unsigned accepted = 0, refused = 0;
	struct hsnl_accept a;

	(void)state;
	srand(20261122);
	for (int round = 0; round < 20000; round++) {
		memcpy(buf, golden_accept_reply, sizeof(buf));
		for (int flips = 1 + rand() % 4; flips > 0; flips--)
			buf[rand() % sizeof(buf)] = (uint8_t)rand();
		if (rand() % 4 == 0)
			nlh->nlmsg_len = (uint32_t)(rand() % (int)sizeof(buf));
		if (nlh->nlmsg_len > sizeof(buf))
			nlh->nlmsg_len = sizeof(buf);
		if (parse(nlh, &a) < 0) {
			refused++;
			continue;
		}
		accepted++;
		assert_true(a.sockfd >= 0);
		assert_true(a.message_type == 1 || a.message_type == 2);
		assert_true(a.auth_mode >= 1 && a.auth_mode <= 3);
		assert_true(a.n_peerids <= HSNL_MAX_PEERIDS);
		assert_true(memchr(a.peername, '\0', sizeof(a.peername)) != NULL);
	}
	/* Both outcomes must occur, or the mutations test nothing. */
	assert_true(accepted > 100);
	assert_true(refused > 100);
}

/* ---- DONE status -------------------------------------------------------------- */

static void test_done_status_mapping(void **state)
{
	static const struct { uint32_t engine; int unknown_psk; uint32_t kernel; } rows[] = {
		{ 0, 0, 0 },
		{ 0, 1, 0 },			/* success wins */
		{ ETIMEDOUT, 0, ETIMEDOUT },
		{ EACCES, 0, EACCES },
		{ EKEYREJECTED, 0, EACCES },	/* untrusted certificate */
		{ EKEYEXPIRED, 0, EACCES },
		{ EKEYREVOKED, 0, EACCES },
		{ EPERM, 0, EACCES },
		{ ENOKEY, 0, EKEYREJECTED },	/* server: unknown_psk_identity alert */
		{ EPERM, 1, EKEYREJECTED },	/* our server lacked the identity */
		{ EKEYREJECTED, 1, EKEYREJECTED },
		{ ECONNRESET, 0, EIO },
		{ EPROTO, 0, EIO },
		{ EPROTONOSUPPORT, 0, EIO },
		{ ESHUTDOWN, 0, EIO },
		{ ENOMEM, 0, EIO },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_int_equal(hsnl_done_status(rows[i].engine, rows[i].unknown_psk),
				 rows[i].kernel);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accept_request_bytes),
		cmocka_unit_test(test_done_bytes),
		cmocka_unit_test(test_done_without_remote),
		cmocka_unit_test(test_ready),
		cmocka_unit_test(test_parse_all_attributes),
		cmocka_unit_test(test_parse_minimal),
		cmocka_unit_test(test_refuse_without_socket),
		cmocka_unit_test(test_refuse_but_keep_socket),
		cmocka_unit_test(test_refuse_bad_attributes),
		cmocka_unit_test(test_refuse_broken_framing),
		cmocka_unit_test(test_odd_values),
		cmocka_unit_test(test_ready_malformed),
		cmocka_unit_test(test_fuzz_mutations),
		cmocka_unit_test(test_done_status_mapping),
	};

	return cmocka_run_group_tests_name("netlink_msg", tests, NULL, NULL);
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * 0-RTT as a server (daemon/sessions/early_data.c): the anti-replay key
 * (the ticket identities of a ClientHello's pre_shared_key extension,
 * SHA-256 each), this host's record of them, the replay decision, and the
 * reply framing of early data next to the largest peer certificate.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "ktls_proto.h"
#include "sessions/early_data.h"

/* SHA-256("abc") and SHA-256("ticket-2"), from FIPS 180-2 and from
 * `printf ticket-2 | sha256sum`. */
static const uint8_t sha_abc[32] = {
	0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae,
	0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61,
	0xf2, 0x00, 0x15, 0xad,
};

/* pre_shared_key body: identities<7..2^16-1> = { "abc", age }, { "ticket-2",
 * age }; binders<33..2^16-1> = two 32-byte binders (content irrelevant). */
static uint8_t two_ids[2 + (2 + 3 + 4) + (2 + 8 + 4) + 2 + 2 * 33];

static size_t build_two_ids(void)
{
	uint8_t *p = two_ids;

	*p++ = 0;
	*p++ = 2 + 3 + 4 + 2 + 8 + 4;
	*p++ = 0;
	*p++ = 3;
	memcpy(p, "abc", 3);
	p += 3;
	memcpy(p, "\x01\x02\x03\x04", 4);
	p += 4;
	*p++ = 0;
	*p++ = 8;
	memcpy(p, "ticket-2", 8);
	p += 8;
	memcpy(p, "\x05\x06\x07\x08", 4);
	p += 4;
	*p++ = 0;
	*p++ = 66;
	for (int i = 0; i < 2; i++) {
		*p++ = 32;
		memset(p, 0xb0 + i, 32);
		p += 32;
	}
	return (size_t)(p - two_ids);
}

static void test_identities_hashed(void **state)
{
	uint8_t ids[EARLY_IDS_MAX][EARLY_ID_LEN];
	size_t len = build_two_ids();
	unsigned n = 0;

	(void)state;
	assert_int_equal(early_parse_psk_identities(two_ids, len, ids, EARLY_IDS_MAX, &n), 0);
	assert_int_equal(n, 2);
	assert_memory_equal(ids[0], sha_abc, 32);
	/* the identity, not its age or binder: another age, same key */
	two_ids[2 + 2 + 3] ^= 0xff;
	{
		uint8_t again[EARLY_IDS_MAX][EARLY_ID_LEN];
		unsigned m = 0;

		assert_int_equal(early_parse_psk_identities(two_ids, len, again, EARLY_IDS_MAX,
							    &m), 0);
		assert_memory_equal(again[0], ids[0], 32);
		assert_memory_equal(again[1], ids[1], 32);
	}
	assert_memory_not_equal(ids[0], ids[1], 32);
}

static void test_identities_malformed(void **state)
{
	uint8_t ids[EARLY_IDS_MAX][EARLY_ID_LEN];
	size_t len = build_two_ids();
	unsigned n;

	(void)state;
	/* every truncation of the identity list is refused, none over-read */
	for (size_t cut = 0; cut < 2 + 23; cut++) {
		uint8_t copy[sizeof(two_ids)];

		memcpy(copy, two_ids, cut);
		assert_int_equal(early_parse_psk_identities(copy, cut, ids, EARLY_IDS_MAX, &n),
				 -EBADMSG);
	}
	/* a list length past the end */
	two_ids[1] = 0xff;
	assert_int_equal(early_parse_psk_identities(two_ids, len, ids, EARLY_IDS_MAX, &n),
			 -EBADMSG);
	build_two_ids();
	/* an identity running past its list */
	two_ids[3] = 30;
	assert_int_equal(early_parse_psk_identities(two_ids, len, ids, EARLY_IDS_MAX, &n),
			 -EBADMSG);
	build_two_ids();
	/* an empty identity */
	two_ids[3] = 0;
	assert_int_equal(early_parse_psk_identities(two_ids, len, ids, EARLY_IDS_MAX, &n),
			 -EBADMSG);
	build_two_ids();
	/* more identities than recorded: refused (the caller rejects 0-RTT) */
	assert_int_equal(early_parse_psk_identities(two_ids, len, ids, 1, &n), -E2BIG);
}

static void id_of(uint8_t id[EARLY_ID_LEN], uint32_t home, uint8_t tail)
{
	memset(id, tail, EARLY_ID_LEN);
	memcpy(id, &home, sizeof(home));
}

static void test_table_records_and_expires(void **state)
{
	uint8_t a[EARLY_ID_LEN], b[EARLY_ID_LEN];

	(void)state;
	early_table_clear();
	id_of(a, 7, 1);
	id_of(b, 7, 2);		/* same home slot, another id */
	assert_int_equal(early_table_add(a, 1000, 20000), 0);
	assert_int_equal(early_table_add(a, 1001, 20000), -EEXIST);
	assert_int_equal(early_table_add(b, 1002, 20000), 0);
	assert_int_equal(early_table_add(b, 20999, 20000), -EEXIST);
	/* a's record expired: new again (GnuTLS's window refuses it anyway) */
	assert_int_equal(early_table_add(a, 21000, 20000), 0);
	/* b still recorded beyond the expired slot a had reused */
	assert_int_equal(early_table_add(b, 21001, 20000), -EEXIST);
}

static void test_table_full_rejects(void **state)
{
	uint8_t id[EARLY_ID_LEN];
	unsigned added = 0;
	int rc = 0;

	(void)state;
	early_table_clear();
	/* a flood aimed at one run of slots: bounded, then "no room", which
	 * the caller turns into a rejection, never an unchecked accept */
	for (unsigned i = 0; i < 100 && rc == 0; i++) {
		id_of(id, 42, (uint8_t)i);
		rc = early_table_add(id, 5000, 20000);
		if (rc == 0)
			added++;
	}
	assert_int_equal(rc, -ENOSPC);
	assert_true(added >= 16 && added < 100);
	/* once they expire there is room again */
	id_of(id, 42, 200);
	assert_int_equal(early_table_add(id, 25000, 20000), 0);
}

static void test_replay_check_local(void **state)
{
	struct early_srv e;
	size_t len = build_two_ids();

	(void)state;
	early_table_clear();
	memset(&e, 0, sizeof(e));
	assert_int_equal(early_parse_psk_identities(two_ids, len, e.ids, EARLY_IDS_MAX,
						    &e.n_ids), 0);
	/* no store configured in this process: this host's record decides */
	assert_int_equal(early_replay_check(&e, 1000, 20), EARLY_WHY_NONE);
	assert_int_equal(early_replay_check(&e, 2000, 20), EARLY_WHY_REPLAY);
	assert_int_equal(early_replay_check(&e, 21001, 20), EARLY_WHY_NONE);
	/* a second ClientHello sharing only the second ticket is a replay too */
	e.n_ids = 1;
	memcpy(e.ids[0], e.ids[1], EARLY_ID_LEN);
	assert_int_equal(early_replay_check(&e, 22000, 20), EARLY_WHY_REPLAY);
	/* identities that could not be read are never "new" */
	e.ids_bad = 1;
	assert_int_equal(early_replay_check(&e, 23000, 20), EARLY_WHY_UNCHECKED);
	e.ids_bad = 0;
	e.n_ids = 0;
	assert_int_equal(early_replay_check(&e, 23000, 20), EARLY_WHY_UNCHECKED);
}

/* The reply with the most early data and the largest peer certificate
 * fits KTLS_MSG_MAX, and comes back byte for byte, marked early. */
static void test_reply_framing(void **state)
{
	static struct ktls_hs_reply rep, back;
	static uint8_t buf[KTLS_MSG_MAX];
	int len;

	(void)state;
	memset(&rep, 0, sizeof(rep));
	rep.version = KTLS_VERSION_1_3;
	rep.cipher = KTLS_CIPHER_AES_256_GCM;
	memset(rep.reason, 'r', sizeof(rep.reason) - 1);
	memset(rep.group, 'g', sizeof(rep.group) - 1);
	memset(rep.alpn, 'a', sizeof(rep.alpn) - 1);
	memset(rep.server_name, 's', sizeof(rep.server_name) - 1);
	memset(rep.peer_subject, 'p', sizeof(rep.peer_subject) - 1);
	rep.has_fingerprint = 1;
	rep.resumed = 1;
	rep.peer_cert_len = KTLS_PEER_CERT_MAX;
	memset(rep.peer_cert, 0xce, KTLS_PEER_CERT_MAX);
	rep.traffic_secrets_len = 96;
	rep.early_len = KTLS_ACCEPT_EARLY_DATA_MAX;
	for (unsigned i = 0; i < KTLS_ACCEPT_EARLY_DATA_MAX; i++)
		rep.early_data[i] = (uint8_t)(i * 7);
	rep.early_flags = KTLS_EARLY_OFFERED | KTLS_EARLY_ACCEPTED;
	len = ktls_msg_encode_reply(&rep, buf, sizeof(buf));
	assert_true(len > 0 && len <= KTLS_MSG_MAX);
	assert_int_equal(ktls_msg_decode_reply(buf, (size_t)len, &back), 0);
	assert_int_equal(back.early_len, KTLS_ACCEPT_EARLY_DATA_MAX);
	assert_memory_equal(back.early_data, rep.early_data, KTLS_ACCEPT_EARLY_DATA_MAX);
	assert_int_equal(back.early_flags, KTLS_EARLY_OFFERED | KTLS_EARLY_ACCEPTED);
	assert_int_equal(back.peer_cert_len, KTLS_PEER_CERT_MAX);
	/* flags outside the defined bits are refused */
	rep.early_flags = 0x80;
	len = ktls_msg_encode_reply(&rep, buf, sizeof(buf));
	assert_true(len < 0 || ktls_msg_decode_reply(buf, (size_t)len, &back) == -EBADMSG);
}

static void test_request_opt_in(void **state)
{
	struct ktls_hs_request req, back;
	uint8_t buf[4096];
	int len;

	(void)state;
	memset(&req, 0, sizeof(req));
	req.role = KTLS_ROLE_SERVER;
	req.accept_early = 14336;
	len = ktls_msg_encode_request(&req, buf, sizeof(buf));
	assert_true(len > 0);
	assert_int_equal(ktls_msg_decode_request(buf, (size_t)len, &back), 0);
	assert_int_equal(back.accept_early, 14336);
	/* not asked: no TLV, decodes as 0 (an old libktls never gets 0-RTT) */
	req.accept_early = 0;
	len = ktls_msg_encode_request(&req, buf, sizeof(buf));
	assert_int_equal(ktls_msg_decode_request(buf, (size_t)len, &back), 0);
	assert_int_equal(back.accept_early, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identities_hashed),
		cmocka_unit_test(test_identities_malformed),
		cmocka_unit_test(test_table_records_and_expires),
		cmocka_unit_test(test_table_full_rejects),
		cmocka_unit_test(test_replay_check_local),
		cmocka_unit_test(test_reply_framing),
		cmocka_unit_test(test_request_opt_in),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The client session cache (daemon/sessions/client_cache.c): keying (every
 * part of the key separates entries), expiry, TLS 1.3 single use, LRU
 * eviction by entries and by bytes, purge on reload, and wiping: every
 * byte of session data that leaves the cache is overwritten through
 * gnutls_memset() (wrapped here to watch it) before it is freed.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <gnutls/gnutls.h>

#include "sessions/client_cache.h"
#include "sessions/session_stats.h"

/* ---- watching the wipes ---- */

#define SECRET_BYTE 0xa5	/* every session's data is made of this */

void __real_gnutls_memset(void *data, int c, size_t size);
void __wrap_gnutls_memset(void *data, int c, size_t size);

static size_t secret_bytes_wiped;

/* Count the secret bytes that a wipe overwrote (whatever else it wipes). */
void __wrap_gnutls_memset(void *data, int c, size_t size)
{
	const uint8_t *p = data;

	for (size_t i = 0; i < size; i++)
		if (p[i] == SECRET_BYTE)
			secret_bytes_wiped++;
	__real_gnutls_memset(data, c, size);
}

/* ---- helpers ---- */

static const uint8_t trust_a[CLIENT_CACHE_DIGEST_LEN] = { 1 };
static const uint8_t trust_b[CLIENT_CACHE_DIGEST_LEN] = { 2 };
static const uint8_t alpn_h11[] = { 8, 'h', 't', 't', 'p', '/', '1', '.', '1' };
static const uint8_t alpn_h2[] = { 2, 'h', '2' };

static struct client_cache_key base_key(void)
{
	return (struct client_cache_key){
		.profile = "web", .server = "name:example.com", .port = 443,
		.alpn = alpn_h11, .alpn_len = sizeof(alpn_h11),
		.verify = KTLS_VERIFY_REQUIRED, .client_identity = "",
		.trust_digest = trust_a,
	};
}

static void id_of(const struct client_cache_key *k, uint8_t id[CLIENT_CACHE_ID_LEN])
{
	client_cache_key_id(k, id);
}

static uint8_t session_data[2048];

static int put(const uint8_t *id, int tls13, uint32_t lifetime_s, size_t len, uint64_t now)
{
	static const uint8_t cert[] = { 0x30, 0x03, 0x02, 0x01, 0x07 };
	struct client_cache_facts facts = {
		.peer_subject = "CN=example.com", .has_fingerprint = 1, .peer_verified = 1,
		.peer_cert = cert, .peer_cert_len = sizeof(cert),
	};

	memset(session_data, SECRET_BYTE, sizeof(session_data));
	facts.peer_fingerprint[0] = 0xfe;
	return client_cache_put(id, "web", trust_a, tls13, lifetime_s, session_data, len, &facts,
				now);
}

static uint64_t stat_of(const char *profile, enum session_stat what)
{
	static struct ktls_status_reply st;

	memset(&st, 0, sizeof(st));
	session_stats_snapshot(&st);
	for (unsigned i = 0; i < st.n_sessions; i++)
		if (strcmp(st.sessions[i].name, profile) == 0)
			return st.sessions[i].count[what];
	return 0;
}

static int setup(void **state)
{
	client_cache_clear();
	client_cache_configure(CLIENT_CACHE_DEFAULT_ENTRIES, CLIENT_CACHE_DEFAULT_BYTES);
	secret_bytes_wiped = 0;
	return 0;
}

/* ---- tests ---- */

/* Each part of the key makes a different id: a session is never offered
 * for another server, port, ALPN list, verify mode, identity, trust or
 * profile.  And "a"+"bc" is not "ab"+"c". */
static void test_key_parts(void **state)
{
	uint8_t ids[10][CLIENT_CACHE_ID_LEN];
	struct client_cache_key k;
	int n = 0;

	k = base_key(); id_of(&k, ids[n++]);
	k = base_key(); k.server = "name:other.example.com"; id_of(&k, ids[n++]);
	k = base_key(); k.port = 8443; id_of(&k, ids[n++]);
	k = base_key(); k.alpn = alpn_h2; k.alpn_len = sizeof(alpn_h2); id_of(&k, ids[n++]);
	k = base_key(); k.verify = KTLS_VERIFY_NONE; id_of(&k, ids[n++]);
	k = base_key(); k.client_identity = "alice"; id_of(&k, ids[n++]);
	k = base_key(); k.trust_digest = trust_b; id_of(&k, ids[n++]);
	k = base_key(); k.profile = "mail"; id_of(&k, ids[n++]);
	k = base_key(); k.profile = "webn"; k.server = "ame:example.com"; id_of(&k, ids[n++]);
	k = base_key(); k.alpn = NULL; k.alpn_len = 0; id_of(&k, ids[n++]);
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++)
			assert_memory_not_equal(ids[i], ids[j], CLIENT_CACHE_ID_LEN);
	/* and the same key is the same id */
	k = base_key();
	id_of(&k, ids[1]);
	assert_memory_equal(ids[0], ids[1], CLIENT_CACHE_ID_LEN);
}

/* Stored under one key, found under that key only; the facts come back. */
static void test_put_take(void **state)
{
	struct client_cache_key k = base_key();
	uint8_t id[CLIENT_CACHE_ID_LEN], other[CLIENT_CACHE_ID_LEN];
	struct client_cache_hit hit;
	uint64_t misses = stat_of("web", SESSION_STAT_CACHE_MISS);
	uint64_t hits = stat_of("web", SESSION_STAT_CACHE_HIT);

	id_of(&k, id);
	k.server = "name:evil.example.net";
	id_of(&k, other);
	assert_int_equal(put(id, 0, 0, 300, 1000), 0);
	assert_int_equal(client_cache_take(other, "web", 1000, &hit), -ENOENT);
	assert_null(hit.data);
	assert_int_equal(client_cache_take(id, "web", 1000, &hit), 0);
	assert_int_equal(hit.len, 300);
	assert_int_equal(hit.data[0], SECRET_BYTE);
	assert_int_equal(hit.tls13, 0);
	assert_string_equal(hit.facts.peer_subject, "CN=example.com");
	assert_int_equal(hit.facts.peer_fingerprint[0], 0xfe);
	assert_int_equal(hit.facts.peer_verified, 1);
	assert_int_equal(hit.facts.peer_cert_len, 5);
	assert_int_equal(hit.facts.peer_cert[4], 0x07);
	client_cache_hit_free(&hit);
	assert_null(hit.data);
	/* TLS 1.2: the session stays for the next connection */
	assert_int_equal(client_cache_take(id, "web", 2000, &hit), 0);
	client_cache_hit_free(&hit);
	assert_int_equal(stat_of("web", SESSION_STAT_CACHE_MISS) - misses, 1);
	assert_int_equal(stat_of("web", SESSION_STAT_CACHE_HIT) - hits, 2);
}

/* RFC 8446 C.4: a TLS 1.3 ticket is offered once, then it is gone. */
static void test_tls13_single_use(void **state)
{
	struct client_cache_key k = base_key();
	uint8_t id[CLIENT_CACHE_ID_LEN];
	struct client_cache_hit hit;
	size_t entries;

	id_of(&k, id);
	assert_int_equal(put(id, 1, 7200, 200, 0), 0);
	assert_int_equal(client_cache_take(id, "web", 10, &hit), 0);
	assert_int_equal(hit.tls13, 1);
	client_cache_hit_free(&hit);
	assert_int_equal(client_cache_take(id, "web", 20, &hit), -ENOENT);
	client_cache_usage(&entries, NULL);
	assert_int_equal(entries, 0);
	/* lifetime 0 means "do not keep" in TLS 1.3 */
	assert_int_equal(put(id, 1, 0, 200, 0), -EINVAL);
}

/* Expiry: the ticket's lifetime, capped at 7 days; TLS 1.2 at an hour. */
static void test_expiry(void **state)
{
	struct client_cache_key k = base_key();
	uint8_t id13[CLIENT_CACHE_ID_LEN], id12[CLIENT_CACHE_ID_LEN], idmax[CLIENT_CACHE_ID_LEN];
	struct client_cache_hit hit;
	uint64_t evicted = stat_of("web", SESSION_STAT_CACHE_EVICT);

	id_of(&k, id13);
	k.port = 1;
	id_of(&k, id12);
	k.port = 2;
	id_of(&k, idmax);
	assert_int_equal(put(id13, 1, 60, 100, 0), 0);
	assert_int_equal(put(id12, 0, 100000, 100, 0), 0);
	assert_int_equal(put(idmax, 1, UINT32_MAX, 100, 0), 0);
	assert_int_equal(client_cache_take(id13, "web", 60 * 1000, &hit), -ENOENT);
	assert_int_equal(client_cache_take(id12, "web", 3600 * 1000 - 1, &hit), 0);
	client_cache_hit_free(&hit);
	assert_int_equal(client_cache_take(id12, "web", 3600 * 1000, &hit), -ENOENT);
	assert_int_equal(client_cache_expire((uint64_t)CLIENT_CACHE_MAX_LIFETIME_S * 1000 - 1), 0);
	assert_int_equal(client_cache_expire((uint64_t)CLIENT_CACHE_MAX_LIFETIME_S * 1000), 1);
	assert_int_equal(stat_of("web", SESSION_STAT_CACHE_EVICT) - evicted, 3);
	/* every expired session's data was wiped */
	assert_int_equal(secret_bytes_wiped, 300 + 100 /* the hit */);
}

/* Bounded by entries: the least recently used goes first. */
static void test_lru_entries(void **state)
{
	struct client_cache_key k = base_key();
	uint8_t id[5][CLIENT_CACHE_ID_LEN];
	struct client_cache_hit hit;
	size_t entries;

	client_cache_configure(3, CLIENT_CACHE_DEFAULT_BYTES);
	for (int i = 0; i < 5; i++) {
		k.port = (uint16_t)(100 + i);
		id_of(&k, id[i]);
	}
	assert_int_equal(put(id[0], 0, 0, 100, 0), 0);
	assert_int_equal(put(id[1], 0, 0, 100, 0), 0);
	assert_int_equal(put(id[2], 0, 0, 100, 0), 0);
	/* use 0: now 1 is the least recently used */
	assert_int_equal(client_cache_take(id[0], "web", 1, &hit), 0);
	client_cache_hit_free(&hit);
	secret_bytes_wiped = 0;
	assert_int_equal(put(id[3], 0, 0, 100, 0), 0);
	assert_int_equal(secret_bytes_wiped, 100);	/* 1's data, wiped */
	assert_int_equal(client_cache_take(id[1], "web", 1, &hit), -ENOENT);
	assert_int_equal(client_cache_take(id[0], "web", 1, &hit), 0);
	client_cache_hit_free(&hit);
	assert_int_equal(client_cache_take(id[2], "web", 1, &hit), 0);
	client_cache_hit_free(&hit);
	/* shrinking evicts at once; 0 turns the cache off */
	client_cache_configure(1, CLIENT_CACHE_DEFAULT_BYTES);
	client_cache_usage(&entries, NULL);
	assert_int_equal(entries, 1);
	client_cache_configure(0, CLIENT_CACHE_DEFAULT_BYTES);
	assert_int_equal(put(id[4], 0, 0, 100, 0), -ENOSPC);
	assert_int_equal(client_cache_take(id[2], "web", 1, &hit), -ENOENT);
}

/* Bounded by bytes: servers choose how big sessions and certificates are. */
static void test_lru_bytes(void **state)
{
	struct client_cache_key k = base_key();
	uint8_t id[CLIENT_CACHE_ID_LEN];
	size_t entries, bytes;

	client_cache_configure(1000, 8192);
	for (int i = 0; i < 20; i++) {
		k.port = (uint16_t)i;
		id_of(&k, id);
		assert_int_equal(put(id, 0, 0, 1500, 0), 0);
		client_cache_usage(&entries, &bytes);
		assert_true(bytes <= 8192);
	}
	assert_true(entries >= 3 && entries < 8);
	/* one session larger than the whole cache is refused */
	assert_int_equal(client_cache_put(id, "web", trust_a, 0, 0, session_data, 8192, NULL, 0),
			 -ENOSPC);
}

/* TLS 1.3 tickets for one key: up to CLIENT_CACHE_TICKETS_PER_KEY are
 * kept (the oldest wiped beyond), taken newest first, each once; a TLS 1.2
 * session then replaces them all.  (One per key: concurrent handshakes to
 * one server found one ticket, and all but one of them went full.) */
static void test_tls13_tickets_per_key(void **state)
{
	struct client_cache_key k = base_key();
	uint8_t id[CLIENT_CACHE_ID_LEN];
	struct client_cache_hit hit;
	size_t entries;
	unsigned i;

	id_of(&k, id);
	for (i = 0; i <= CLIENT_CACHE_TICKETS_PER_KEY; i++)
		assert_int_equal(put(id, 1, 7200, 100 + i, 0), 0);
	assert_int_equal(secret_bytes_wiped, 100);	/* the oldest went */
	client_cache_usage(&entries, NULL);
	assert_int_equal(entries, CLIENT_CACHE_TICKETS_PER_KEY);
	for (i = CLIENT_CACHE_TICKETS_PER_KEY; i > 0; i--) {
		assert_int_equal(client_cache_take(id, "web", 10, &hit), 0);
		assert_int_equal(hit.len, 100 + i);
		client_cache_hit_free(&hit);
	}
	assert_int_equal(client_cache_take(id, "web", 10, &hit), -ENOENT);

	assert_int_equal(put(id, 1, 7200, 200, 0), 0);
	assert_int_equal(put(id, 1, 7200, 201, 0), 0);
	assert_int_equal(put(id, 0, 0, 300, 0), 0);	/* TLS 1.2 */
	client_cache_usage(&entries, NULL);
	assert_int_equal(entries, 1);
	assert_int_equal(client_cache_take(id, "web", 10, &hit), 0);
	assert_int_equal(hit.len, 300);
	client_cache_hit_free(&hit);
}

/* A newer session for the same key replaces the old one (old one wiped). */
static void test_replace(void **state)
{
	struct client_cache_key k = base_key();
	uint8_t id[CLIENT_CACHE_ID_LEN];
	struct client_cache_hit hit;
	size_t entries;

	id_of(&k, id);
	assert_int_equal(put(id, 0, 0, 100, 0), 0);
	assert_int_equal(put(id, 0, 0, 120, 0), 0);
	assert_int_equal(secret_bytes_wiped, 100);
	client_cache_usage(&entries, NULL);
	assert_int_equal(entries, 1);
	assert_int_equal(client_cache_take(id, "web", 0, &hit), 0);
	assert_int_equal(hit.len, 120);
	client_cache_hit_free(&hit);
}

static int keep_only_trust_a(const char *profile, const uint8_t *trust, void *ctx)
{
	(void)ctx;
	return strcmp(profile, "web") == 0 && memcmp(trust, trust_a, sizeof(trust_a)) == 0;
}

/* A reload's purge, then shutdown: everything left is wiped. */
static void test_purge_and_clear(void **state)
{
	struct client_cache_key k = base_key();
	uint8_t id1[CLIENT_CACHE_ID_LEN], id2[CLIENT_CACHE_ID_LEN];
	struct client_cache_hit hit;
	size_t entries;

	id_of(&k, id1);
	k.trust_digest = trust_b;
	id_of(&k, id2);
	assert_int_equal(put(id1, 0, 0, 100, 0), 0);
	memset(session_data, SECRET_BYTE, sizeof(session_data));
	assert_int_equal(client_cache_put(id2, "web", trust_b, 0, 0, session_data, 100, NULL, 0),
			 0);
	assert_int_equal(client_cache_purge(keep_only_trust_a, NULL), 1);
	assert_int_equal(client_cache_take(id2, "web", 0, &hit), -ENOENT);
	assert_int_equal(secret_bytes_wiped, 100);
	client_cache_clear();
	assert_int_equal(secret_bytes_wiped, 200);
	client_cache_usage(&entries, NULL);
	assert_int_equal(entries, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_key_parts, setup),
		cmocka_unit_test_setup(test_put_take, setup),
		cmocka_unit_test_setup(test_tls13_single_use, setup),
		cmocka_unit_test_setup(test_expiry, setup),
		cmocka_unit_test_setup(test_lru_entries, setup),
		cmocka_unit_test_setup(test_lru_bytes, setup),
		cmocka_unit_test_setup(test_replace, setup),
		cmocka_unit_test_setup(test_tls13_tickets_per_key, setup),
		cmocka_unit_test_setup(test_purge_and_clear, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

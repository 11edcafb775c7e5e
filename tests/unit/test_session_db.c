// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The server's session stores and keys, without a handshake:
 *  - session_db: namespaced keys (golden), profiles never see each other's
 *    entries, expiry, least-recently-used eviction by entries and bytes,
 *    entries wiped when dropped (the freed bytes are checked through a
 *    wrapped free()), a shared backend under the local cache;
 *  - ticket keys: the key file format, generation (mode, O_EXCL), the
 *    derivation against golden bytes computed independently (Python's
 *    hmac/hashlib HKDF), per-profile keys that differ.
 */
#include <errno.h>
#include <gnutls/gnutls.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <malloc.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "config/config.h"
#include "sessions/server_resume.h"
#include "sessions/session_db.h"
#include "sessions/ticket_keys.h"
#include "unit_files.h"

static uint64_t fake_now = 1000000;
static uint64_t fake_clock(void)
{
	return fake_now;
}

static struct cfg_profile prof_a = { .name = (char *)"web", .session_lifetime_s = 60 };
static struct cfg_profile prof_b = { .name = (char *)"api", .session_lifetime_s = 60 };
static const uint8_t id1[] = { 1, 2, 0xff };
static const uint8_t id2[] = { 9, 9, 9, 9 };

static int setup(void **state)
{
	(void)state;
	session_db_now_ms = fake_clock;
	return session_db_init(4, 1u << 20);
}

static int teardown(void **state)
{
	(void)state;
	session_db_shutdown();
	session_db_set_shared(NULL);
	return 0;
}

static int fetch_is(const struct cfg_profile *p, const uint8_t *id, size_t id_len,
		    const char *want)
{
	uint8_t *data = NULL;
	size_t len = 0;
	int rc = session_db_fetch(p, id, id_len, &data, &len);

	if (rc == 0) {
		rc = want && len == strlen(want) && memcmp(data, want, len) == 0 ? 0 : -EBADMSG;
		explicit_bzero(data, len);
		free(data);
	}
	return rc;
}

static void test_key_golden(void **state)
{
	char key[SESSION_DB_KEY_MAX];

	(void)state;
	assert_int_equal(session_db_key(&prof_a, id1, sizeof(id1), key), 0);
	/* python3: "ktlsd1:" + sha256(b"web").hexdigest()[:32] + ":0102ff" */
	assert_string_equal(key, "ktlsd1:4b5e57f6eb2f42b9039b3d1e13929295:0102ff");
	assert_int_equal(session_db_key(&prof_a, id1, SESSION_DB_ID_MAX + 1, key), -EINVAL);
}

static void test_profiles_do_not_see_each_other(void **state)
{
	(void)state;
	assert_int_equal(session_db_store(&prof_a, id1, sizeof(id1), (const uint8_t *)"A", 1,
					  60), 0);
	assert_int_equal(fetch_is(&prof_a, id1, sizeof(id1), "A"), 0);
	assert_int_equal(fetch_is(&prof_b, id1, sizeof(id1), NULL), -ENOENT);
	assert_int_equal(session_db_store(&prof_b, id1, sizeof(id1), (const uint8_t *)"B", 1,
					  60), 0);
	assert_int_equal(fetch_is(&prof_a, id1, sizeof(id1), "A"), 0);
	assert_int_equal(fetch_is(&prof_b, id1, sizeof(id1), "B"), 0);
	session_db_flush("web");
	assert_int_equal(fetch_is(&prof_a, id1, sizeof(id1), NULL), -ENOENT);
	assert_int_equal(fetch_is(&prof_b, id1, sizeof(id1), "B"), 0);
	assert_int_equal(session_db_remove(&prof_b, id1, sizeof(id1)), 0);
	assert_int_equal(fetch_is(&prof_b, id1, sizeof(id1), NULL), -ENOENT);
}

static void test_expiry(void **state)
{
	struct session_db_counts n;

	(void)state;
	assert_int_equal(session_db_store(&prof_a, id1, sizeof(id1), (const uint8_t *)"x", 1,
					  10), 0);
	fake_now += 9999;
	assert_int_equal(fetch_is(&prof_a, id1, sizeof(id1), "x"), 0);
	fake_now += 1;
	assert_int_equal(fetch_is(&prof_a, id1, sizeof(id1), NULL), -ENOENT);
	session_db_get_counts(&n);
	assert_int_equal(n.expired, 1);
	assert_int_equal(n.entries, 0);
}

static void test_lru_by_entries(void **state)
{
	uint8_t id[1];
	struct session_db_counts n;

	(void)state;
	for (uint8_t i = 0; i < 4; i++) {
		id[0] = i;
		assert_int_equal(session_db_store(&prof_a, id, 1, (const uint8_t *)"v", 1, 60), 0);
	}
	id[0] = 0;
	assert_int_equal(fetch_is(&prof_a, id, 1, "v"), 0);	/* 0 is now the newest */
	id[0] = 4;
	assert_int_equal(session_db_store(&prof_a, id, 1, (const uint8_t *)"v", 1, 60), 0);
	id[0] = 1;					/* the least recently used */
	assert_int_equal(fetch_is(&prof_a, id, 1, NULL), -ENOENT);
	for (uint8_t i = 0; i < 5; i++) {
		id[0] = i;
		if (i != 1)
			assert_int_equal(fetch_is(&prof_a, id, 1, "v"), 0);
	}
	session_db_get_counts(&n);
	assert_int_equal(n.entries, 4);
	assert_int_equal(n.evictions, 1);
}

static void test_lru_by_bytes(void **state)
{
	static uint8_t big[SESSION_DB_ENTRY_MAX];
	struct session_db_counts n;

	(void)state;
	session_db_shutdown();
	assert_int_equal(session_db_init(100, 2 * SESSION_DB_ENTRY_MAX), 0);
	memset(big, 7, sizeof(big));
	assert_int_equal(session_db_store(&prof_a, id1, sizeof(id1), big, sizeof(big), 60), 0);
	assert_int_equal(session_db_store(&prof_a, id2, sizeof(id2), big, sizeof(big), 60), 0);
	assert_int_equal(session_db_store(&prof_b, id2, sizeof(id2), big, sizeof(big), 60), 0);
	session_db_get_counts(&n);
	assert_true(n.bytes <= 2 * SESSION_DB_ENTRY_MAX);
	assert_int_equal(n.entries, 1);
	assert_int_equal(n.evictions, 2);
	assert_int_equal(session_db_store(&prof_a, id1, sizeof(id1), big, sizeof(big) + 1,
					  60), -EMSGSIZE);
}

/* Entries hold master secrets: no freed buffer may still hold one.  While
 * watching, every free() is checked for a run of the secret's pattern. */
static int watching, frees_checked, frees_dirty;
void __real_free(void *p);
void __wrap_free(void *p);
void __wrap_free(void *p)
{
	if (p && watching) {
		const uint8_t *b = p;
		size_t n = malloc_usable_size(p), run = 0;

		frees_checked++;
		for (size_t i = 0; i < n; i++) {
			run = b[i] == 0xA5 ? run + 1 : 0;
			if (run >= 16) {
				frees_dirty++;
				break;
			}
		}
	}
	__real_free(p);
}

static void test_entries_wiped(void **state)
{
	uint8_t secret[48];
	uint8_t id[1] = { 0 };

	(void)state;
	memset(secret, 0xA5, sizeof(secret));
	/* dropped by expiry */
	assert_int_equal(session_db_store(&prof_a, id1, sizeof(id1), secret, sizeof(secret),
					  1), 0);
	fake_now += 2000;
	watching = 1;
	assert_int_equal(fetch_is(&prof_a, id1, sizeof(id1), NULL), -ENOENT);
	watching = 0;
	/* dropped by eviction (4 entries at most) */
	for (id[0] = 0; id[0] < 4; id[0]++)
		assert_int_equal(session_db_store(&prof_a, id, 1, secret, sizeof(secret), 60), 0);
	watching = 1;
	assert_int_equal(session_db_store(&prof_b, id, 1, (const uint8_t *)"x", 1, 60), 0);
	/* by removal, flush and shutdown */
	id[0] = 1;
	assert_int_equal(session_db_remove(&prof_a, id, 1), 0);
	session_db_flush("web");
	watching = 0;
	assert_int_equal(session_db_store(&prof_a, id, 1, secret, sizeof(secret), 60), 0);
	watching = 1;
	session_db_shutdown();
	watching = 0;
	assert_int_equal(session_db_init(4, 1u << 20), 0);
	assert_true(frees_checked >= 8);	/* data and entry of each drop */
	assert_int_equal(frees_dirty, 0);
}

/* ---- the shared store under the local cache ---- */

static char last_key[SESSION_DB_KEY_MAX];
static unsigned last_ttl;
static int backend_has, backend_fail;

static int b_store(void *ctx, const char *key, const uint8_t *data, size_t len, unsigned ttl)
{
	(void)ctx;
	(void)data;
	(void)len;
	snprintf(last_key, sizeof(last_key), "%s", key);
	last_ttl = ttl;
	backend_has = 1;
	return 0;
}

static int b_fetch(void *ctx, const char *key, uint8_t **data, size_t *len)
{
	(void)ctx;
	if (backend_fail)
		return -ETIMEDOUT;
	if (!backend_has || strcmp(key, last_key) != 0)
		return -ENOENT;
	*data = malloc(3);
	memcpy(*data, "hit", 3);
	*len = 3;
	return 0;
}

static int b_remove(void *ctx, const char *key)
{
	(void)ctx;
	(void)key;
	backend_has = 0;
	return 0;
}

static const struct session_db_backend backend = {
	.name = "test", .store = b_store, .fetch = b_fetch, .remove = b_remove,
};

static void test_shared_backend(void **state)
{
	char key[SESSION_DB_KEY_MAX];

	(void)state;
	session_db_set_shared(&backend);
	assert_int_equal(session_db_store(&prof_a, id1, sizeof(id1), (const uint8_t *)"hit", 3,
					  42), 0);
	assert_int_equal(session_db_key(&prof_a, id1, sizeof(id1), key), 0);
	assert_string_equal(last_key, key);
	assert_int_equal(last_ttl, 42);
	session_db_flush(NULL);		/* local copy gone: the store answers */
	assert_int_equal(fetch_is(&prof_a, id1, sizeof(id1), "hit"), 0);
	assert_int_equal(fetch_is(&prof_b, id1, sizeof(id1), NULL), -ENOENT);
	session_db_flush(NULL);
	backend_fail = 1;		/* store down: a miss, never an error */
	assert_int_equal(fetch_is(&prof_a, id1, sizeof(id1), NULL), -ENOENT);
	backend_fail = 0;
	assert_int_equal(session_db_remove(&prof_a, id1, sizeof(id1)), 0);
	assert_int_equal(fetch_is(&prof_a, id1, sizeof(id1), NULL), -ENOENT);
}

/* ---- ticket keys ---- */

#define KEY_HEX "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f" \
		"202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"

static void test_ticket_key_parse(void **state)
{
	uint8_t key[TICKET_KEY_SIZE];
	char err[256];
	const char *good = "# comment\n\n  " KEY_HEX "  \n# trailing\n";
	const char *upper = "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F"
			    "202122232425262728292A2B2C2D2E2F303132333435363738393A3B3C3D3E3F";

	(void)state;
	assert_int_equal(ticket_key_parse(good, strlen(good), key, err, sizeof(err)), 0);
	for (int i = 0; i < TICKET_KEY_SIZE; i++)
		assert_int_equal(key[i], i);
	assert_int_equal(ticket_key_parse(upper, strlen(upper), key, err, sizeof(err)), 0);
	assert_int_equal(key[63], 63);
	/* short, long, bad digit, two keys, none, NUL */
	assert_int_equal(ticket_key_parse(KEY_HEX, 126, key, err, sizeof(err)), -EINVAL);
	assert_null(strstr(err, "0001020304"));		/* never quotes the key */
	assert_int_equal(ticket_key_parse(KEY_HEX "0", 129, key, err, sizeof(err)), -EINVAL);
	char bad[] = KEY_HEX;
	bad[5] = 'g';
	assert_int_equal(ticket_key_parse(bad, strlen(bad), key, err, sizeof(err)), -EINVAL);
	assert_int_equal(key[0], 0);			/* wiped on failure */
	const char *two = KEY_HEX "\n" KEY_HEX "\n";
	assert_int_equal(ticket_key_parse(two, strlen(two), key, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "more than one"));
	assert_int_equal(ticket_key_parse("# none\n", 7, key, err, sizeof(err)), -EINVAL);
	char nul[130];
	memcpy(nul, KEY_HEX, 128);
	nul[3] = '\0';
	assert_int_equal(ticket_key_parse(nul, 128, key, err, sizeof(err)), -EINVAL);
}

static void test_ticket_key_generate(void **state)
{
	uint8_t k1[TICKET_KEY_SIZE], k2[TICKET_KEY_SIZE];
	gnutls_datum_t text;
	char err[256];
	struct stat st;

	(void)state;
	assert_int_equal(unit_tmpdir_create("session-db"), 0);
	assert_int_equal(ticket_key_generate_file(unit_tmp_path("t1.key"), err, sizeof(err)), 0);
	assert_int_equal(ticket_key_generate_file(unit_tmp_path("t2.key"), err, sizeof(err)), 0);
	assert_int_equal(ticket_key_generate_file(unit_tmp_path("t1.key"), err, sizeof(err)),
			 -EEXIST);
	assert_int_equal(stat(unit_tmp_path("t1.key"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(gnutls_load_file(unit_tmp_path("t1.key"), &text), 0);
	assert_int_equal(ticket_key_parse((char *)text.data, text.size, k1, err, sizeof(err)), 0);
	gnutls_free(text.data);
	assert_int_equal(gnutls_load_file(unit_tmp_path("t2.key"), &text), 0);
	assert_int_equal(ticket_key_parse((char *)text.data, text.size, k2, err, sizeof(err)), 0);
	gnutls_free(text.data);
	assert_memory_not_equal(k1, k2, sizeof(k1));
	unit_tmpdir_remove();
}

/* Golden bytes: HKDF-SHA256 computed with Python's hmac/hashlib. */
static void test_ticket_key_derivation_golden(void **state)
{
	static const char want_profile[] =
		"a617d5c46e3bb41b78e97e3a5af090e78a76264d8d6bc23ebb265d9cd70850c2"
		"35876ec12f26e2d5fd48496b5ad84ff8eb01759abfd699edc6ac61360ce505cc";
	static const char want_store[] =
		"138fc38ac2439377032e37619631fcd3c636ed44c9e35ef680126ee77b048661";
	struct cfg_profile web = { .name = (char *)"web", .verify = KTLS_VERIFY_DEFAULT };
	uint8_t master[TICKET_KEY_SIZE], out[TICKET_KEY_SIZE], other[TICKET_KEY_SIZE];
	char hex[2 * TICKET_KEY_SIZE + 1], tag[300];
	int tag_len;

	(void)state;
	for (int i = 0; i < TICKET_KEY_SIZE; i++)
		master[i] = (uint8_t)i;
	tag_len = srv_resume_trust_tag(&web, tag, sizeof(tag));
	assert_int_equal(tag_len, (int)sizeof("web\0verify=0\0ca=(system)") - 1);
	assert_int_equal(ticket_keys_install(master), 0);
	assert_true(ticket_keys_from_file());
	assert_int_equal(ticket_keys_for_profile(tag, (size_t)tag_len, out), 0);
	for (int i = 0; i < TICKET_KEY_SIZE; i++)
		snprintf(hex + 2 * i, 3, "%02x", out[i]);
	assert_string_equal(hex, want_profile);
	assert_int_equal(ticket_keys_derive("ktlsd store seal v1", out, 32), 0);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", out[i]);
	assert_string_equal(hex, want_store);
	/* another profile, another verify: other keys */
	web.name = (char *)"api";
	tag_len = srv_resume_trust_tag(&web, tag, sizeof(tag));
	assert_int_equal(ticket_keys_for_profile(tag, (size_t)tag_len, other), 0);
	assert_memory_not_equal(out, other, 32);
	/* back to the random key: not the file's */
	assert_int_equal(ticket_keys_install(NULL), 0);
	assert_false(ticket_keys_from_file());
	assert_int_equal(ticket_keys_derive("ktlsd store seal v1", other, 32), 0);
	assert_memory_not_equal(out, other, 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_key_golden, setup, teardown),
		cmocka_unit_test_setup_teardown(test_profiles_do_not_see_each_other, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lru_by_entries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lru_by_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_entries_wiped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shared_backend, setup, teardown),
		cmocka_unit_test(test_ticket_key_parse),
		cmocka_unit_test(test_ticket_key_generate),
		cmocka_unit_test(test_ticket_key_derivation_golden),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

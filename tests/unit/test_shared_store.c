// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The shared session store (daemon/sessions/shared_store*.c).
 *
 * Sealing against golden bytes computed with an independent AES-GCM and
 * HKDF (Python's cryptography package, not GnuTLS), then the attacks a
 * store writer can try: every byte flipped, the entry moved to another
 * profile's or session's name, another key, the expiry edited, an expired
 * entry replayed, truncation.
 *
 * Then against a real memcached (the Debian server, started here on a
 * loopback port; the tests SKIP without it): put/get/remove, add_once
 * (-EEXIST while the record lives, free again after its TTL), an entry
 * moved by someone with store access, the store killed (a bounded miss,
 * counted) and stopped with SIGSTOP (every call returns within the
 * bound), and its recovery.
 */
#include <errno.h>
#include <libmemcached/memcached.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"
#include "sessions/shared_store.h"

static const uint8_t key_a[32] = {
	0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e,
	0x2f, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d,
	0x3e, 0x3f,
};
static const uint8_t nonce[12] = { 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5,
				   0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab };
static const char name_a[] = "ktlsd1:00112233445566778899aabbccddeeff:0102030405";
static const char plain[] = "session blob with a master secret";
#define PLAIN_LEN (sizeof(plain) - 1)
#define EXPIRES 1900000000ull
#define NOW (EXPIRES - 100)

/* AESGCM(key_a).encrypt(nonce, plain, header + name_a), header first. */
static const uint8_t golden[] = {
	0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x71, 0x3f, 0xb3, 0x00, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4,
	0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0x0d, 0x59, 0xd7, 0x47, 0xad, 0xb8, 0xee, 0x8a,
	0xc3, 0x44, 0xc2, 0xd8, 0x06, 0x2a, 0x1f, 0xd2, 0xf9, 0x5f, 0xa0, 0x27, 0x51, 0xd5, 0x55,
	0x56, 0x6a, 0xe0, 0xeb, 0x8a, 0xb6, 0x05, 0xdd, 0x9d, 0x6b, 0xc8, 0x32, 0xd6, 0x96, 0x49,
	0xfe, 0x0e, 0xe7, 0x19, 0x16, 0x2c, 0xbc, 0x4d, 0x0c, 0x3d, 0x8b,
};

static void test_key_derive_golden(void **state)
{
	/* HKDF-SHA256(ikm = 00..2f, salt = 32 zero bytes, info = label) */
	static const uint8_t want[32] = {
		0x24, 0xe1, 0x88, 0x72, 0xa1, 0x0a, 0x12, 0xa0, 0xf8, 0x37, 0x71,
		0x51, 0x6a, 0xed, 0x60, 0x1e, 0x3a, 0x73, 0x76, 0x05, 0xe6, 0xcb,
		0x80, 0xd5, 0x8e, 0x3e, 0x55, 0x80, 0xe8, 0xb0, 0xdc, 0xd7,
	};
	uint8_t master[48], out[32];

	for (size_t i = 0; i < sizeof(master); i++)
		master[i] = (uint8_t)i;
	assert_int_equal(shared_store_seal_key_derive(master, sizeof(master), out), 0);
	assert_memory_equal(out, want, 32);
	/* a master too short to be a key */
	assert_int_equal(shared_store_seal_key_derive(master, 8, out), -EINVAL);
}

static void test_seal_golden(void **state)
{
	uint8_t out[PLAIN_LEN + SHARED_STORE_OVERHEAD];
	uint8_t back[PLAIN_LEN];

	assert_int_equal(sizeof(golden), sizeof(out));
	assert_int_equal(shared_store_seal(key_a, name_a, EXPIRES, nonce,
					   (const uint8_t *)plain, PLAIN_LEN, out, sizeof(out)), 0);
	assert_memory_equal(out, golden, sizeof(golden));
	assert_int_equal(shared_store_unseal(key_a, name_a, NOW, golden, sizeof(golden), back,
					     sizeof(back)), 0);
	assert_memory_equal(back, plain, PLAIN_LEN);
	/* wrong output sizes are refused, not overrun */
	assert_int_equal(shared_store_seal(key_a, name_a, EXPIRES, nonce, (const uint8_t *)plain,
					   PLAIN_LEN, out, sizeof(out) - 1), -EINVAL);
	assert_int_equal(shared_store_unseal(key_a, name_a, NOW, golden, sizeof(golden), back,
					     sizeof(back) + 1), -EINVAL);
}

static void test_seal_random_nonce(void **state)
{
	uint8_t one[PLAIN_LEN + SHARED_STORE_OVERHEAD], two[sizeof(one)];

	assert_int_equal(shared_store_seal(key_a, name_a, EXPIRES, NULL, (const uint8_t *)plain,
					   PLAIN_LEN, one, sizeof(one)), 0);
	assert_int_equal(shared_store_seal(key_a, name_a, EXPIRES, NULL, (const uint8_t *)plain,
					   PLAIN_LEN, two, sizeof(two)), 0);
	assert_memory_not_equal(one + 10, two + 10, SHARED_STORE_NONCE_LEN);
}

/* Every single bit an attacker flips is caught: the version and algorithm
 * bytes as unknown formats, the rest by the tag (the expiry and nonce are
 * in the associated data or the nonce). */
static void test_tamper_every_byte(void **state)
{
	uint8_t bad[sizeof(golden)], back[PLAIN_LEN];

	for (size_t i = 0; i < sizeof(golden); i++) {
		memcpy(bad, golden, sizeof(golden));
		bad[i] ^= 0x01;
		memset(back, 0x55, sizeof(back));
		assert_int_equal(shared_store_unseal(key_a, name_a, NOW, bad, sizeof(bad), back,
						     sizeof(back)),
				 i < 2 ? -EPROTO : -EBADMSG);
		/* nothing of the plaintext leaks out of a failure */
		for (size_t j = 0; j < sizeof(back); j++)
			assert_true(back[j] == 0 || back[j] == 0x55);
	}
}

static void test_moved_entry_refused(void **state)
{
	/* same session ID, another profile; same profile, another ID; one
	 * byte shorter or longer */
	static const char *const others[] = {
		"ktlsd1:00112233445566778899aabbccddeefe:0102030405",
		"ktlsd1:00112233445566778899aabbccddeeff:0102030406",
		"ktlsd1:00112233445566778899aabbccddeeff:01020304",
		"ktlsd1:00112233445566778899aabbccddeeff:010203040500",
	};
	uint8_t back[PLAIN_LEN], key_b[32];

	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		assert_int_equal(shared_store_unseal(key_a, others[i], NOW, golden,
						     sizeof(golden), back, sizeof(back)),
				 -EBADMSG);
	memcpy(key_b, key_a, sizeof(key_b));
	key_b[31] ^= 0x80;
	assert_int_equal(shared_store_unseal(key_b, name_a, NOW, golden, sizeof(golden), back,
					     sizeof(back)), -EBADMSG);
}

static void test_expiry(void **state)
{
	uint8_t back[PLAIN_LEN], later[sizeof(golden)];

	/* the replay of an expired entry (memcached's TTL is the writer's,
	 * the sealed expiry is ours) */
	assert_int_equal(shared_store_unseal(key_a, name_a, EXPIRES, golden, sizeof(golden),
					     back, sizeof(back)), -ESTALE);
	assert_int_equal(shared_store_unseal(key_a, name_a, EXPIRES + 86400, golden,
					     sizeof(golden), back, sizeof(back)), -ESTALE);
	/* pushing the expiry out breaks the tag */
	memcpy(later, golden, sizeof(golden));
	later[5] = 0x01;
	assert_int_equal(shared_store_unseal(key_a, name_a, EXPIRES + 86400, later,
					     sizeof(later), back, sizeof(back)), -EBADMSG);
}

static void test_truncated(void **state)
{
	uint8_t back[sizeof(golden)];

	for (size_t len = 0; len < SHARED_STORE_OVERHEAD; len++)
		assert_int_equal(shared_store_unseal(key_a, name_a, NOW, golden, len, back, 0),
				 -EINVAL);
	/* cut at the end, lengths consistent: the tag fails */
	assert_int_equal(shared_store_unseal(key_a, name_a, NOW, golden, sizeof(golden) - 1,
					     back, PLAIN_LEN - 1), -EBADMSG);
}

static void test_once_name(void **state)
{
	static const uint8_t id[] = { 1, 2, 3 };
	char out[SHARED_STORE_ONCE_NAME_LEN + 1], other[sizeof(out)];

	assert_int_equal(shared_store_once_name("web", id, sizeof(id), out, sizeof(out)), 0);
	assert_string_equal(out, "ktlsd1o:4b5e57f6eb2f42b9039b3d1e13929295:"
				 "039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81");
	assert_int_equal(shared_store_once_name("web2", id, sizeof(id), other, sizeof(other)), 0);
	assert_string_not_equal(out, other);
	assert_int_equal(shared_store_once_name("web", id, sizeof(id), out, sizeof(out) - 1),
			 -EINVAL);
}

static void test_parse_servers(void **state)
{
	struct shared_store_server list[SHARED_STORE_SERVERS_MAX];
	char reason[200];
	size_t n;

	assert_int_equal(shared_store_parse_servers("10.0.0.1:11211, cache.example:11212,[::1]:7",
						    list, SHARED_STORE_SERVERS_MAX, &n, reason,
						    sizeof(reason)), 0);
	assert_int_equal(n, 3);
	assert_string_equal(list[0].host, "10.0.0.1");
	assert_int_equal(list[0].port, 11211);
	assert_string_equal(list[1].host, "cache.example");
	assert_int_equal(list[1].port, 11212);
	assert_string_equal(list[2].host, "::1");
	assert_int_equal(list[2].port, 7);
	static const char *const bad[] = {
		"", "host", "host:", "host:0", "host:65536", "host:12x", "::1:11211", "[::1:5",
		"a:1,", "a:1;b:2", ":11211", "a:1,b:2,c:3,d:4,e:5,f:6,g:7,h:8,i:9",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		reason[0] = '\0';
		assert_int_equal(shared_store_parse_servers(bad[i], list, SHARED_STORE_SERVERS_MAX,
							    &n, reason, sizeof(reason)),
				 -EINVAL);
		assert_true(reason[0] != '\0');
	}
}

/* ---- against a real memcached ---- */

struct live {
	pid_t pid;
	int port;
	char servers[64];
	struct shared_store *st;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* A free loopback port (bound and released: memcached takes it next). */
static int free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static int port_answers(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(0x7f000001) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

	ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

/* SIGSTOP is delivered asynchronously: wait until pid shows stopped
 * ("T" in /proc/PID/stat), or a thread of a loaded memcached may still
 * answer the first request. */
static void wait_stopped(pid_t pid)
{
	char path[64], line[512];

	for (int i = 0; i < 200; i++) {
		int running = 1;
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		f = fopen(path, "re");
		if (!f)
			return;
		if (fgets(line, sizeof(line), f)) {
			char *end = strrchr(line, ')');

			running = !end || end[1] != ' ' || end[2] != 'T';
		}
		fclose(f);
		if (!running)
			break;
		usleep(10000);
	}
	usleep(50000);	/* its other threads: the group stop is one event */
}

static const char *memcached_path(void)
{
	static const char *const paths[] = { "/usr/bin/memcached", "/usr/sbin/memcached",
					     "/usr/local/bin/memcached" };

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (access(paths[i], X_OK) == 0)
			return paths[i];
	return NULL;
}

/* Generous: the suites also run in a TCG guest, where a loaded memcached
 * can take a few hundred ms to answer. */
#define LIVE_TIMEOUT_MS 1000

/* what the daemon's per-profile counter would get */
static unsigned counted;
static char counted_name[SHARED_STORE_NAME_MAX + 1];

static void count_error(void *arg, const char *name)
{
	counted++;
	snprintf(counted_name, sizeof(counted_name), "%s", name);
}

static int live_setup(void **state)
{
	const char *path = memcached_path();
	struct shared_store_options opt = { .timeout_ms = LIVE_TIMEOUT_MS,
					    .count_error = count_error };
	struct live *lv = calloc(1, sizeof(*lv));
	char port[16], reason[200];

	*state = lv;
	if (!path)
		return 0;	/* each live test skips */
	lv->port = free_port();
	snprintf(port, sizeof(port), "%d", lv->port);
	lv->pid = fork();
	if (lv->pid == 0) {
		/* its complaints about the connections SIGSTOP cut are noise */
		if (!freopen("/dev/null", "w", stderr))
			_exit(127);
		execl(path, "memcached", "-l", "127.0.0.1", "-p", port, "-U", "0", "-m", "16",
		      "-u", "nobody", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200 && !port_answers(lv->port); i++)
		usleep(10000);
	if (!port_answers(lv->port))
		return -1;
	snprintf(lv->servers, sizeof(lv->servers), "localhost:%d", lv->port);
	opt.servers = lv->servers;
	counted = 0;
	if (shared_store_open(&opt, key_a, &lv->st, reason, sizeof(reason)) < 0) {
		fprintf(stderr, "open: %s\n", reason);
		return -1;
	}
	return 0;
}

static int live_teardown(void **state)
{
	struct live *lv = *state;

	shared_store_close(lv->st);
	if (lv->pid > 0) {
		kill(lv->pid, SIGCONT);
		kill(lv->pid, SIGKILL);
		waitpid(lv->pid, NULL, 0);
	}
	free(lv);
	return 0;
}

#define NEED_MEMCACHED(lv) \
	do { \
		if (!(lv)->st) { \
			fprintf(stderr, "# SKIP no memcached binary (apt-get install memcached)\n"); \
			skip(); \
		} \
	} while (0)

static void test_live_put_get_remove(void **state)
{
	struct live *lv = *state;
	uint8_t *data;
	size_t len;

	NEED_MEMCACHED(lv);
	assert_int_equal(shared_store_get(lv->st, name_a, &data, &len), -ENOENT);
	assert_int_equal(shared_store_put(lv->st, name_a, (const uint8_t *)plain, PLAIN_LEN, 60),
			 0);
	assert_int_equal(shared_store_get(lv->st, name_a, &data, &len), 0);
	assert_int_equal(len, PLAIN_LEN);
	assert_memory_equal(data, plain, PLAIN_LEN);
	free(data);
	assert_int_equal(shared_store_remove(lv->st, name_a), 0);
	assert_int_equal(shared_store_get(lv->st, name_a, &data, &len), -ENOENT);
	assert_int_equal(shared_store_remove(lv->st, name_a), 0);	/* absent: fine */
	/* names memcached's text protocol cannot carry are refused here */
	assert_int_equal(shared_store_put(lv->st, "a b", (const uint8_t *)plain, 1, 60), -EINVAL);
	assert_int_equal(shared_store_put(lv->st, "a\r\nflush_all", (const uint8_t *)plain, 1, 60),
			 -EINVAL);
	assert_int_equal(shared_store_errors(lv->st), 0);
}

/* Someone with access to memcached copies profile A's entry under profile
 * B's name, and writes garbage under a third: both are misses, counted. */
static void test_live_moved_entry(void **state)
{
	static const char name_b[] = "ktlsd1:ffeeddccbbaa99887766554433221100:0102030405";
	static const char name_c[] = "ktlsd1:ffeeddccbbaa99887766554433221100:0a0b";
	struct live *lv = *state;
	memcached_st *raw;
	memcached_return_t mrc;
	size_t vlen;
	uint32_t flags;
	uint8_t *data;
	size_t len;
	char *value;

	NEED_MEMCACHED(lv);
	assert_int_equal(shared_store_put(lv->st, name_a, (const uint8_t *)plain, PLAIN_LEN, 60),
			 0);
	raw = memcached_create(NULL);
	assert_int_equal(memcached_server_add(raw, "127.0.0.1", (in_port_t)lv->port),
			 MEMCACHED_SUCCESS);
	value = memcached_get(raw, name_a, strlen(name_a), &vlen, &flags, &mrc);
	assert_non_null(value);
	/* what the store holds is not the plaintext */
	assert_int_equal(vlen, PLAIN_LEN + SHARED_STORE_OVERHEAD);
	assert_null(memmem(value, vlen, "master secret", 13));
	assert_int_equal(memcached_set(raw, name_b, strlen(name_b), value, vlen, 60, 0),
			 MEMCACHED_SUCCESS);
	assert_int_equal(memcached_set(raw, name_c, strlen(name_c), "garbage", 7, 60, 0),
			 MEMCACHED_SUCCESS);
	free(value);
	memcached_free(raw);
	assert_int_equal(shared_store_get(lv->st, name_b, &data, &len), -ENOENT);
	assert_int_equal(shared_store_errors(lv->st), 1);
	assert_int_equal(shared_store_get(lv->st, name_c, &data, &len), -ENOENT);
	assert_int_equal(shared_store_errors(lv->st), 2);
	assert_int_equal(shared_store_get(lv->st, name_a, &data, &len), 0);
	free(data);
}

/* A rotated ticket key: what the old key sealed no longer opens (a full
 * handshake, counted), what the new one seals does. */
static void test_live_rotation(void **state)
{
	struct live *lv = *state;
	uint8_t key_b[32], *data;
	size_t len;

	NEED_MEMCACHED(lv);
	assert_int_equal(shared_store_put(lv->st, name_a, (const uint8_t *)plain, PLAIN_LEN, 60),
			 0);
	memcpy(key_b, key_a, sizeof(key_b));
	key_b[0] ^= 0xff;
	shared_store_set_key(lv->st, key_b);
	assert_int_equal(shared_store_get(lv->st, name_a, &data, &len), -ENOENT);
	assert_int_equal(shared_store_errors(lv->st), 1);
	assert_int_equal(shared_store_put(lv->st, name_a, (const uint8_t *)plain, PLAIN_LEN, 60),
			 0);
	assert_int_equal(shared_store_get(lv->st, name_a, &data, &len), 0);
	free(data);
}

static void test_live_add_once(void **state)
{
	static const uint8_t id[] = "client hello binder";
	struct live *lv = *state;

	NEED_MEMCACHED(lv);
	assert_int_equal(shared_store_add_once(lv->st, "web", id, sizeof(id), 1), 0);
	assert_int_equal(shared_store_add_once(lv->st, "web", id, sizeof(id), 1), -EEXIST);
	/* another namespace is another record */
	assert_int_equal(shared_store_add_once(lv->st, "mail", id, sizeof(id), 1), 0);
	assert_int_equal(shared_store_add_once(lv->st, "web", id, sizeof(id), 0), -EINVAL);
	/* memcached's clock ticks in seconds: after 2.2 s the record is gone */
	usleep(2200000);
	assert_int_equal(shared_store_add_once(lv->st, "web", id, sizeof(id), 60), 0);
	assert_int_equal(shared_store_add_once(lv->st, "web", id, sizeof(id), 60), -EEXIST);
	assert_int_equal(shared_store_errors(lv->st), 0);
}

/* Four threads race add_once on the same 200 ids: never two winners for
 * one id; an id nobody won is one whose add timed out somewhere (the
 * server may have stored it and the answer came too late). */
#define RACE_IDS 200

struct race {
	struct shared_store *st;
	atomic_int *wins;	/* per id */
	atomic_int *errors;	/* per id */
};

static void *race_thread(void *arg)
{
	struct race *r = arg;

	for (int i = 0; i < RACE_IDS; i++) {
		char id[32];
		int rc;

		snprintf(id, sizeof(id), "race-%d", i);
		rc = shared_store_add_once(r->st, "race", (const uint8_t *)id, strlen(id), 60);
		if (rc == 0)
			atomic_fetch_add(&r->wins[i], 1);
		else if (rc != -EEXIST)
			atomic_fetch_add(&r->errors[i], 1);
	}
	return NULL;
}

static void test_live_add_once_race(void **state)
{
	static atomic_int wins[RACE_IDS], errors[RACE_IDS];
	struct live *lv = *state;
	struct race r = { .wins = wins, .errors = errors };
	pthread_t t[4];
	int won = 0;

	NEED_MEMCACHED(lv);
	r.st = lv->st;
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, race_thread, &r), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < RACE_IDS; i++) {
		assert_true(atomic_load(&wins[i]) <= 1);
		assert_true(atomic_load(&wins[i]) == 1 || atomic_load(&errors[i]) > 0);
		won += atomic_load(&wins[i]);
	}
	fprintf(stderr, "# add_once race: %d of %d ids won once, none twice\n", won, RACE_IDS);
}

/* SIGSTOP: connections are accepted by the kernel but nothing answers.
 * Every call returns an error within the bound (we allow 3 waits and
 * scheduling), then the store is used again after SIGCONT. */
static void test_live_slow_then_back(void **state)
{
	struct live *lv = *state;
	uint64_t before = shared_store_errors(lv->st);
	uint8_t *data;
	size_t len;
	double t0, worst = 0;
	int rc;

	NEED_MEMCACHED(lv);
	assert_int_equal(shared_store_put(lv->st, name_a, (const uint8_t *)plain, PLAIN_LEN, 60),
			 0);
	assert_int_equal(kill(lv->pid, SIGSTOP), 0);
	wait_stopped(lv->pid);
	for (int i = 0; i < 5; i++) {
		t0 = now_ms();
		rc = shared_store_get(lv->st, name_a, &data, &len);
		if (now_ms() - t0 > worst)
			worst = now_ms() - t0;
		assert_true(rc == -ETIMEDOUT || rc == -EIO);
	}
	t0 = now_ms();
	assert_true(shared_store_add_once(lv->st, "slow", (const uint8_t *)"x", 1, 60) < 0);
	if (now_ms() - t0 > worst)
		worst = now_ms() - t0;
	fprintf(stderr, "# slow store: worst call %.0f ms (timeout %d ms)\n", worst,
		LIVE_TIMEOUT_MS);
	assert_true(worst < 3 * LIVE_TIMEOUT_MS + 300);
	assert_true(shared_store_errors(lv->st) >= before + 6);
	assert_int_equal(kill(lv->pid, SIGCONT), 0);
	/* after the handle's quiet time (1 s) the store is asked again */
	usleep(1200000);
	rc = -1;
	for (int i = 0; i < 20 && rc != 0; i++) {
		rc = shared_store_get(lv->st, name_a, &data, &len);
		if (rc != 0)
			usleep(100000);
	}
	assert_int_equal(rc, 0);
	free(data);
}

/* Killed: refused connections, fast misses, counted; nothing blocks. */
static void test_live_down(void **state)
{
	struct live *lv = *state;
	uint64_t before = shared_store_errors(lv->st);
	uint8_t *data;
	size_t len;
	double t0 = now_ms();

	NEED_MEMCACHED(lv);
	kill(lv->pid, SIGKILL);
	waitpid(lv->pid, NULL, 0);
	lv->pid = 0;
	for (int i = 0; i < 50; i++) {
		int rc = shared_store_get(lv->st, name_a, &data, &len);

		assert_true(rc < 0 && rc != -ENOENT);
	}
	assert_true(shared_store_put(lv->st, name_a, (const uint8_t *)plain, PLAIN_LEN, 60) < 0);
	assert_true(shared_store_add_once(lv->st, "down", (const uint8_t *)"x", 1, 60) < 0);
	fprintf(stderr, "# store down: 52 calls in %.0f ms\n", now_ms() - t0);
	assert_true(now_ms() - t0 < 2000);
	assert_true(shared_store_errors(lv->st) >= before + 52);
	/* each failure reached the daemon's counter, with the entry's name */
	assert_int_equal(counted, shared_store_errors(lv->st));
	assert_non_null(strstr(counted_name, "ktlsd1o:"));
}

static void test_open_errors(void **state)
{
	struct shared_store_options opt = { .servers = "no-such-host.invalid:11211",
					    .timeout_ms = 100 };
	struct shared_store *st;
	char reason[200];

	assert_true(shared_store_open(&opt, key_a, &st, reason, sizeof(reason)) < 0);
	assert_non_null(strstr(reason, "no-such-host.invalid"));
	opt.servers = "127.0.0.1";
	assert_int_equal(shared_store_open(&opt, key_a, &st, reason, sizeof(reason)), -EINVAL);
	opt.servers = "127.0.0.1:1";
	opt.timeout_ms = 0;
	assert_int_equal(shared_store_open(&opt, key_a, &st, reason, sizeof(reason)), -EINVAL);
}

/* ---- the [global] keys (config_values.c) ---- */

static int load_text(const char *text, struct cfg **cfg, char *err, size_t err_len)
{
	char path[] = "/tmp/ktlsd-test-store-XXXXXX";
	int fd = mkstemp(path), rc;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	rc = cfg_load(path, cfg, err, err_len);
	unlink(path);
	return rc;
}

static void test_config_keys(void **state)
{
	struct cfg *cfg;
	char err[512];

	assert_int_equal(load_text("[profile a]\n", &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg->session_store, CFG_STORE_NONE);
	assert_int_equal(cfg->session_store_timeout_ms, CFG_STORE_DEFAULT_TIMEOUT_MS);
	assert_null(cfg->session_store_servers);
	cfg_free(cfg);
	assert_int_equal(load_text("[global]\nsession_store = memcached\n"
				   "session_store_servers = 10.1.1.1:11211, [::1]:11212\n"
				   "session_store_timeout = 50ms\n[profile a]\n",
				   &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg->session_store, CFG_STORE_MEMCACHED);
	assert_string_equal(cfg->session_store_servers, "10.1.1.1:11211, [::1]:11212");
	assert_int_equal(cfg->session_store_timeout_ms, 50);
	cfg_free(cfg);
	/* errors name the line */
	assert_int_equal(load_text("[global]\nsession_store = redis\n[profile a]\n", &cfg, err,
				   sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, ":2: "));
	assert_int_equal(load_text("[global]\nsession_store_servers = cache\n[profile a]\n", &cfg,
				   err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "HOST:PORT"));
	assert_int_equal(load_text("[global]\nsession_store_timeout = 0\n[profile a]\n", &cfg,
				   err, sizeof(err)), -EINVAL);
	/* on, with nowhere to go */
	assert_int_equal(load_text("[global]\nsession_store = memcached\n[profile a]\n", &cfg, err,
				   sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "needs session_store_servers"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_derive_golden),
		cmocka_unit_test(test_seal_golden),
		cmocka_unit_test(test_seal_random_nonce),
		cmocka_unit_test(test_tamper_every_byte),
		cmocka_unit_test(test_moved_entry_refused),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_once_name),
		cmocka_unit_test(test_parse_servers),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_config_keys),
		cmocka_unit_test_setup_teardown(test_live_put_get_remove, live_setup,
						live_teardown),
		cmocka_unit_test_setup_teardown(test_live_moved_entry, live_setup, live_teardown),
		cmocka_unit_test_setup_teardown(test_live_rotation, live_setup, live_teardown),
		cmocka_unit_test_setup_teardown(test_live_add_once, live_setup, live_teardown),
		cmocka_unit_test_setup_teardown(test_live_add_once_race, live_setup,
						live_teardown),
		cmocka_unit_test_setup_teardown(test_live_slow_then_back, live_setup,
						live_teardown),
		cmocka_unit_test_setup_teardown(test_live_down, live_setup, live_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

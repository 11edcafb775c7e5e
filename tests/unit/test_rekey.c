// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The TLS 1.3 KeyUpdate key schedule (lib/ktls_hkdf.c) against outside
 * oracles, the traffic-secret store (lib/ktls_rekey.c), the AEAD limits
 * (lib/ktls_limits.c) and the reply TLV that carries the secrets.
 *
 * Oracles, none of them this code:
 *  - RFC 8448 section 3 (simple 1-RTT handshake, TLS_AES_128_GCM_SHA256):
 *    client/server application traffic secrets and their write key and IV.
 *  - "traffic upd" (RFC 8448 has no KeyUpdate) and SHA-384: OpenSSL 3.0's
 *    HKDF, e.g. for the first SHA-256 update:
 *      openssl kdf -keylen 32 -kdfopt digest:SHA256 -kdfopt mode:EXPAND_ONLY \
 *        -kdfopt hexkey:<S_AP> -kdfopt hexinfo:002011746c73313320747261666669632075706400 HKDF
 *    (hexinfo is the HkdfLabel: length 32, "tls13 traffic upd", no context).
 * Both HMAC back ends run: GnuTLS's (what the daemon checks secrets with)
 * everywhere, the kernel's through AF_ALG (what libktls uses) where the
 * kernel has it -- not on hosts without AF_ALG, where that test SKIPs and
 * tests/integration/t_rekey.sh runs this binary inside the VM.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "ktls_gnutls.h"
#include "ktls_hkdf.h"
#include "ktls_internal.h"
#include "ktls_proto.h"
#include "ktls_rekey.h"
#include "unit_helpers.h"

/* RFC 8448 section 3 */
#define C_AP "9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5"
#define C_AP_KEY "17422dda596ed5d9acd890e3c63f5051"
#define C_AP_IV "5b78923dee08579033e523d9"
#define S_AP "a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643"
#define S_AP_KEY "9f02283b6c9c07efc26bb9f2ac92e356"
#define S_AP_IV "cf782b88dd83549aadf1e984"
/* OpenSSL 3.0.19 `openssl kdf` (see the top of the file) */
#define S_AP_1 "51921b8aa3001976eb401d0a4319a8516416a6c56001a357e5d162031e84f916"
#define S_AP_1_KEY "2e63be99d67b39097feb9786cf7a15a0"
#define S_AP_1_IV "628a0a8298ac953baef4255a"
#define S_AP_2 "6418ddd5d277cde37bfaae96363a805a95abfaa55ccd80713848de187fb082f6"
/* SHA-384 (TLS_AES_256_GCM_SHA384): secret bytes 00..2f, OpenSSL again */
#define X384 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f" \
	     "202122232425262728292a2b2c2d2e2f"
#define X384_1 "401331b63e9d59f202e8f041042d9516f4cd7fa2e2ee14631d3b49fc340d7af3" \
	       "7fc2c0c9f252d8036f81ec5b85cbe5db"
#define X384_1_KEY "eb354f3b48924ed78de34dd8aa6a6a0a51d857ddad1454d5cfa7b69f60712911"
#define X384_1_IV "8478ffbe4f2e5450789775b3"

static size_t unhex(const char *hex, uint8_t *out)
{
	size_t n = strlen(hex) / 2;

	for (size_t i = 0; i < n; i++) {
		unsigned v;

		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	return n;
}

static void assert_hex(const uint8_t *got, size_t len, const char *want_hex)
{
	uint8_t want[64];

	assert_int_equal(unhex(want_hex, want), len);
	assert_memory_equal(got, want, len);
}

static void check_key_iv(ktls_hmac_fn hmac, const char *secret_hex, size_t key_len,
			 const char *key_hex, const char *iv_hex)
{
	uint8_t secret[48], key[32], iv[12];
	size_t n = unhex(secret_hex, secret);

	assert_int_equal(ktls_traffic_key_iv(hmac, secret, (unsigned)n, key, key_len, iv,
					     sizeof(iv)), 0);
	assert_hex(key, key_len, key_hex);
	assert_hex(iv, sizeof(iv), iv_hex);
}

static void check_next(ktls_hmac_fn hmac, const char *secret_hex, const char *next_hex)
{
	uint8_t secret[48];
	size_t n = unhex(secret_hex, secret);

	assert_int_equal(ktls_next_traffic_secret(hmac, secret, (unsigned)n), 0);
	assert_hex(secret, n, next_hex);
}

static void check_schedule(ktls_hmac_fn hmac)
{
	/* generation 0: RFC 8448, both directions */
	check_key_iv(hmac, C_AP, 16, C_AP_KEY, C_AP_IV);
	check_key_iv(hmac, S_AP, 16, S_AP_KEY, S_AP_IV);
	/* two KeyUpdates, and the keys of the first */
	check_next(hmac, S_AP, S_AP_1);
	check_next(hmac, S_AP_1, S_AP_2);
	check_key_iv(hmac, S_AP_1, 16, S_AP_1_KEY, S_AP_1_IV);
	/* SHA-384 with a 32-byte (AES-256) key */
	check_next(hmac, X384, X384_1);
	check_key_iv(hmac, X384_1, 32, X384_1_KEY, X384_1_IV);
}

static void test_schedule_gnutls_hmac(void **state)
{
	(void)state;
	check_schedule(ktls_hmac_gnutls);
}

static void test_schedule_af_alg(void **state)
{
	uint8_t probe[32];
	int rc = ktls_hmac_af_alg(32, (const uint8_t *)"k", 1, (const uint8_t *)"d", 1, probe);

	(void)state;
	if (rc == -EAFNOSUPPORT || rc == -ENOENT) {
		print_message("# SKIP kernel HMAC through AF_ALG unavailable here (%s); "
			      "t_rekey.sh runs this test in the VM\n", strerror(-rc));
		skip();
	}
	assert_int_equal(rc, 0);
	check_schedule(ktls_hmac_af_alg);
}

/* Lengths the schedule must refuse rather than read or write past. */
static void test_schedule_limits(void **state)
{
	uint8_t secret[48] = { 0 }, out[64];

	(void)state;
	assert_int_equal(ktls_next_traffic_secret(ktls_hmac_gnutls, secret, 20), -EINVAL);
	assert_int_equal(ktls_hkdf_expand_label(ktls_hmac_gnutls, secret, 32, "key", out,
						255 * 32 + 1), -EINVAL);
	/* a label longer than HkdfLabel allows (255 with "tls13 ") */
	{
		char label[260];

		memset(label, 'a', sizeof(label) - 1);
		label[sizeof(label) - 1] = '\0';
		assert_int_equal(ktls_hkdf_expand_label(ktls_hmac_gnutls, secret, 32, label,
							out, 16), -EINVAL);
	}
}

static void test_aead_limits(void **state)
{
	(void)state;
	unsetenv("KTLS_TEST_AEAD_LIMIT");
	/* 2^24.5 = 23726566.4; 2^23.5 = 11863283.2 */
	assert_int_equal(ktls_aead_limit(KTLS_CIPHER_AES_128_GCM), 23726566);
	assert_int_equal(ktls_aead_limit(KTLS_CIPHER_AES_256_GCM), 23726566);
	assert_int_equal(ktls_aead_limit(KTLS_CIPHER_AES_128_CCM), 11863283);
	assert_true(ktls_aead_limit(KTLS_CIPHER_CHACHA20_POLY1305) == UINT64_C(1) << 62);
	assert_int_equal(ktls_aead_limit(99), 0);
	setenv("KTLS_TEST_AEAD_LIMIT", "12", 1);
	assert_int_equal(ktls_aead_limit(KTLS_CIPHER_AES_128_GCM), 12);
	assert_int_equal(ktls_aead_limit(KTLS_CIPHER_CHACHA20_POLY1305), 12);
	/* nonsense and values below 8 are ignored, not half-applied */
	setenv("KTLS_TEST_AEAD_LIMIT", "3", 1);
	assert_int_equal(ktls_aead_limit(KTLS_CIPHER_AES_128_GCM), 23726566);
	setenv("KTLS_TEST_AEAD_LIMIT", "12x", 1);
	assert_int_equal(ktls_aead_limit(KTLS_CIPHER_AES_128_GCM), 23726566);
	unsetenv("KTLS_TEST_AEAD_LIMIT");
}

/* The store refuses secrets that do not fit the suite, and a socket
 * without secrets cannot rekey -- said before anything is sent. */
static void test_secret_store(void **state)
{
	uint8_t secrets[96];
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	(void)state;
	assert_true(fd >= 0);
	memset(secrets, 0x5a, sizeof(secrets));
	assert_int_equal(ktls_secrets_keep(fd, KTLS_VERSION_1_2, KTLS_CIPHER_AES_128_GCM,
					   secrets, 64), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(ktls_secrets_keep(fd, KTLS_VERSION_1_3, KTLS_CIPHER_AES_256_GCM,
					   secrets, 64), -1);	/* SHA-384: 96 */
	assert_int_equal(errno, EINVAL);
	assert_int_equal(ktls_secrets_keep(fd, KTLS_VERSION_1_3, KTLS_CIPHER_AES_256_GCM,
					   secrets, 96), 0);
	assert_int_equal(ktls_secrets_keep(fd, KTLS_VERSION_1_3, KTLS_CIPHER_AES_128_GCM,
					   secrets, 64), 0);	/* replaces */
	/* the kernel here cannot rekey (no kTLS on the host, or < 6.14) */
	if (!ktls_kernel_can_rekey()) {
		assert_int_equal(ktls_rekey(fd, 0), -1);
		assert_int_equal(errno, EOPNOTSUPP);
		assert_errmsg_contains("6.14");
	}
	ktls_forget(fd);
	assert_int_equal(ktls_peer_key_update(fd, 0), -1);
	assert_int_equal(errno, EKEYEXPIRED);
	assert_errmsg_contains("no TLS 1.3 traffic secret");
	assert_int_equal(ktls_close(fd), 0);
	assert_int_equal(ktls_rekey(-1, 0), -1);
}

/* A socket closed without ktls_forget(): a new socket that gets the same
 * number must not inherit the old connection's secrets. */
static void test_secrets_not_inherited(void **state)
{
	uint8_t secrets[64];
	int fd = socket(AF_INET, SOCK_STREAM, 0), again;

	(void)state;
	assert_true(fd >= 0);
	memset(secrets, 0x33, sizeof(secrets));
	assert_int_equal(ktls_secrets_keep(fd, KTLS_VERSION_1_3, KTLS_CIPHER_AES_128_GCM,
					   secrets, sizeof(secrets)), 0);
	close(fd);
	again = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(again, fd);	/* the lowest free number */
	assert_int_equal(ktls_peer_key_update(again, 0), -1);
	assert_int_equal(errno, EKEYEXPIRED);
	assert_errmsg_contains("no TLS 1.3 traffic secret");
	close(again);
}

/* Locked memory in kB, from /proc/self/status; -1 if unreadable. */
static long vm_locked_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmLck: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

/* A child of fork() keeps the secrets (it may go on serving the socket)
 * but not the parent's memory locks: its copy of the store is locked
 * again (it was not), and the store still works there. */
static void test_secrets_locked_after_fork(void **state)
{
	uint8_t secrets[64];
	int fd = socket(AF_INET, SOCK_STREAM, 0), status;
	pid_t pid;

	(void)state;
	assert_true(fd >= 0);
	memset(secrets, 0x44, sizeof(secrets));
	assert_int_equal(ktls_secrets_keep(fd, KTLS_VERSION_1_3, KTLS_CIPHER_AES_128_GCM,
					   secrets, sizeof(secrets)), 0);
	/* no /proc, or mlock() made a no-op (ASan's interceptor does that):
	 * nothing to compare with */
	if (vm_locked_kb() <= 0) {
		print_message("# SKIP: the parent has no locked memory to look at (VmLck %ld)\n",
			      vm_locked_kb());
		skip();
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		long kb = vm_locked_kb();
		int other = socket(AF_INET, SOCK_STREAM, 0);

		if (kb <= 0)
			_exit(10);	/* the child's copy is not locked */
		if (ktls_secrets_keep(other, KTLS_VERSION_1_3, KTLS_CIPHER_AES_128_GCM,
				      secrets, sizeof(secrets)) < 0)
			_exit(11);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	ktls_forget(fd);
	close(fd);
}

/* The reply TLV round-trips, and nothing larger than two SHA-384
 * secrets is accepted from the wire. */
static void test_reply_secrets_tlv(void **state)
{
	static struct ktls_hs_reply rep, back;
	static uint8_t buf[KTLS_MSG_MAX];
	int len;

	(void)state;
	memset(&rep, 0, sizeof(rep));
	rep.version = KTLS_VERSION_1_3;
	rep.cipher = KTLS_CIPHER_AES_128_GCM;
	rep.traffic_secrets_len = 64;
	unit_fill_pattern(rep.traffic_secrets, 64, 7);
	len = ktls_msg_encode_reply(&rep, buf, sizeof(buf));
	assert_true(len > 0);
	assert_int_equal(ktls_msg_decode_reply(buf, (size_t)len, &back), 0);
	assert_int_equal(back.traffic_secrets_len, 64);
	assert_memory_equal(back.traffic_secrets, rep.traffic_secrets, 64);
	rep.traffic_secrets_len = 97;
	assert_true(ktls_msg_encode_reply(&rep, buf, sizeof(buf)) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schedule_gnutls_hmac),
		cmocka_unit_test(test_schedule_af_alg),
		cmocka_unit_test(test_schedule_limits),
		cmocka_unit_test(test_aead_limits),
		cmocka_unit_test(test_secret_store),
		cmocka_unit_test(test_secrets_not_inherited),
		cmocka_unit_test(test_secrets_locked_after_fork),
		cmocka_unit_test(test_reply_secrets_tlv),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

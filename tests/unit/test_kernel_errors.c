// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The kernel layer against scripted setsockopt/getsockopt (linked with
 * -Wl,--wrap, see test_kernel_errors.wrap): which calls it makes, with which
 * bytes, and how each errno the kernel can return becomes errno plus a
 * reason in ktls_errmsg().  The errnos are the ones net/tls/tls_main.c and
 * net/ipv4/tcp_ulp.c return on 6.x.
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

#define FD 7

int __wrap_setsockopt(int fd, int level, int optname, const void *optval, socklen_t optlen);
int __wrap_getsockopt(int fd, int level, int optname, void *optval, socklen_t *optlen);

/* setsockopt: checks every argument, then fails with the queued errno (0:
 * succeeds). */
int __wrap_setsockopt(int fd, int level, int optname, const void *optval, socklen_t optlen)
{
	int err;

	check_expected(fd);
	check_expected(level);
	check_expected(optname);
	check_expected(optlen);
	check_expected(optval);
	err = mock_type(int);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

/* What one getsockopt call answers: an errno, or bytes the kernel copies out
 * (at most the caller's *optlen, as the kernel does). */
struct sockopt_reply {
	int err;
	const void *data;
	socklen_t len;
};

int __wrap_getsockopt(int fd, int level, int optname, void *optval, socklen_t *optlen)
{
	const struct sockopt_reply *reply;
	socklen_t optlen_in = *optlen;

	check_expected(fd);
	check_expected(level);
	check_expected(optname);
	check_expected(optlen_in);
	reply = mock_ptr_type(const struct sockopt_reply *);
	if (reply->err) {
		errno = reply->err;
		return -1;
	}
	*optlen = reply->len < optlen_in ? reply->len : optlen_in;
	memcpy(optval, reply->data, *optlen);
	return 0;
}

/* ---- scripting helpers --------------------------------------------------- */

static void expect_setsockopt(int level, int optname, const void *optval, socklen_t optlen,
			      int err)
{
	expect_value(__wrap_setsockopt, fd, FD);
	expect_value(__wrap_setsockopt, level, level);
	expect_value(__wrap_setsockopt, optname, optname);
	expect_value(__wrap_setsockopt, optlen, optlen);
	expect_memory(__wrap_setsockopt, optval, optval, optlen);
	will_return(__wrap_setsockopt, err);
}

/* The ULP attach every install starts with: TCP_ULP "tls" with its NUL. */
static void expect_ulp_attach(int err)
{
	expect_setsockopt(SOL_TCP, TCP_ULP, "tls", sizeof("tls"), err);
}

static void expect_getsockopt(int level, int optname, socklen_t optlen_in,
			      const struct sockopt_reply *reply)
{
	expect_value(__wrap_getsockopt, fd, FD);
	expect_value(__wrap_getsockopt, level, level);
	expect_value(__wrap_getsockopt, optname, optname);
	expect_value(__wrap_getsockopt, optlen_in, optlen_in);
	will_return(__wrap_getsockopt, reply);
}

/* Reading the ULP name: the buffer size is libktls's business, as long as
 * "tls" fits. */
static void expect_ulp_lookup(const struct sockopt_reply *reply)
{
	expect_value(__wrap_getsockopt, fd, FD);
	expect_value(__wrap_getsockopt, level, SOL_TCP);
	expect_value(__wrap_getsockopt, optname, TCP_ULP);
	expect_in_range(__wrap_getsockopt, optlen_in, sizeof("tls"), 4096);
	will_return(__wrap_getsockopt, reply);
}

/* After a failed attach, how many times libktls reads the ULP name is its
 * business: any number of lookups gets the same answer.  (cmocka keeps a
 * "maybe" entry at the head of the queue for good, so only use this when
 * nothing else is queued for getsockopt after it.) */
static void allow_ulp_lookups(const struct sockopt_reply *reply)
{
	expect_value_count(__wrap_getsockopt, fd, FD, -2);
	expect_value_count(__wrap_getsockopt, level, SOL_TCP, -2);
	expect_value_count(__wrap_getsockopt, optname, TCP_ULP, -2);
	expect_in_range_count(__wrap_getsockopt, optlen_in, sizeof("tls"), 4096, -2);
	will_return_maybe(__wrap_getsockopt, reply);
}

/* The kernel copies the ULP name without its NUL. */
static const struct sockopt_reply ulp_tls = { 0, "tls", 3 };
static const struct sockopt_reply ulp_mptcp = { 0, "mptcp", 5 };
static const struct sockopt_reply ulp_none = { 0, "", 0 };

/* Leave a stale reason behind, so a test can tell a fresh one from it. */
static void stale_error(void)
{
	ktls_fail(E2BIG, "stale reason from an earlier call");
}

/* ---- ktls_attach_ulp ----------------------------------------------------- */

static void test_attach_ulp_success(void **state)
{
	stale_error();
	expect_ulp_attach(0);
	assert_int_equal(ktls_attach_ulp(FD), 0);
	assert_string_equal(ktls_errmsg(), "");
}

static void test_attach_ulp_enoent_says_modprobe(void **state)
{
	expect_ulp_attach(ENOENT);
	assert_fails(ktls_attach_ulp(FD), ENOENT);
	assert_errmsg_contains("modprobe tls");
}

static void test_attach_ulp_already_tls_is_success(void **state)
{
	stale_error();
	expect_ulp_attach(EEXIST);
	allow_ulp_lookups(&ulp_tls);
	assert_int_equal(ktls_attach_ulp(FD), 0);
	assert_string_equal(ktls_errmsg(), "");
}

static void test_attach_ulp_other_ulp_is_eexist(void **state)
{
	expect_ulp_attach(EEXIST);
	allow_ulp_lookups(&ulp_mptcp);
	assert_fails(ktls_attach_ulp(FD), EEXIST);
	assert_errmsg_contains("\"mptcp\"");
}

static void test_attach_ulp_eexist_name_unreadable(void **state)
{
	static const struct sockopt_reply unreadable = { EINVAL, NULL, 0 };

	(void)state;
	expect_ulp_attach(EEXIST);
	allow_ulp_lookups(&unreadable);
	assert_fails(ktls_attach_ulp(FD), EEXIST);
	assert_errmsg_contains("another ULP");
}

static void test_attach_ulp_enotconn(void **state)
{
	expect_ulp_attach(ENOTCONN);
	assert_fails(ktls_attach_ulp(FD), ENOTCONN);
	assert_errmsg_contains("established");
}

static void test_attach_ulp_enotsock(void **state)
{
	expect_ulp_attach(ENOTSOCK);
	assert_fails(ktls_attach_ulp(FD), ENOTSOCK);
	assert_errmsg_contains("not a socket");
}

static void test_attach_ulp_enoprotoopt(void **state)
{
	/* What a UDP or AF_UNIX socket says to SOL_TCP. */
	expect_ulp_attach(ENOPROTOOPT);
	assert_fails(ktls_attach_ulp(FD), ENOPROTOOPT);
	assert_errmsg_contains("not a TCP socket");
}

static void test_attach_ulp_other_errno_has_strerror(void **state)
{
	expect_ulp_attach(EPERM);
	assert_fails(ktls_attach_ulp(FD), EPERM);
	assert_errmsg_contains(strerror(EPERM));
}

/* ---- ktls_install --------------------------------------------------------- */

static const enum ktls_cipher all_ciphers[] = {
	KTLS_CIPHER_AES_128_GCM, KTLS_CIPHER_AES_256_GCM, KTLS_CIPHER_AES_128_CCM,
	KTLS_CIPHER_CHACHA20_POLY1305,
};

/* ULP attach, then SOL_TLS TLS_TX/TLS_RX with exactly the uapi struct. */
static void expect_install(const struct ktls_crypto_params *params, int optname,
			   uint8_t info[KTLS_CRYPTO_INFO_MAX], int err)
{
	size_t size = unit_uapi_crypto_info(params, info);

	expect_ulp_attach(0);
	expect_setsockopt(SOL_TLS, optname, info, (socklen_t)size, err);
}

static void test_install_sends_uapi_struct(void **state)
{
	static const enum ktls_version versions[] = { KTLS_VERSION_1_2, KTLS_VERSION_1_3 };

	for (size_t v = 0; v < sizeof(versions) / sizeof(versions[0]); v++) {
		for (size_t i = 0; i < KTLS_CIPHER_COUNT; i++) {
			struct ktls_crypto_params params;
			uint8_t tx_info[KTLS_CRYPTO_INFO_MAX], rx_info[KTLS_CRYPTO_INFO_MAX];

			unit_params_init(&params, versions[v], all_ciphers[i]);
			expect_install(&params, TLS_TX, tx_info, 0);
			assert_int_equal(ktls_install(FD, KTLS_DIR_TX, &params), 0);
			/* RX gets other keys: a swapped direction would show. */
			params.key[0] ^= 0xff;
			expect_install(&params, TLS_RX, rx_info, 0);
			assert_int_equal(ktls_install(FD, KTLS_DIR_RX, &params), 0);
		}
	}
}

static void test_install_ulp_already_tls(void **state)
{
	struct ktls_crypto_params params;
	uint8_t info[KTLS_CRYPTO_INFO_MAX];
	size_t size;

	/* A second direction: the ULP is already there, which is fine. */
	unit_params_init(&params, KTLS_VERSION_1_3, KTLS_CIPHER_AES_128_GCM);
	size = unit_uapi_crypto_info(&params, info);
	expect_ulp_attach(EEXIST);
	allow_ulp_lookups(&ulp_tls);
	expect_setsockopt(SOL_TLS, TLS_RX, info, (socklen_t)size, 0);
	assert_int_equal(ktls_install(FD, KTLS_DIR_RX, &params), 0);
}

/* One failing TLS_TX/TLS_RX setsockopt and the reason it must give. */
static void assert_install_fails(enum ktls_direction dir, int err, const char *reason)
{
	struct ktls_crypto_params params;
	uint8_t info[KTLS_CRYPTO_INFO_MAX];

	unit_params_init(&params, KTLS_VERSION_1_3, KTLS_CIPHER_AES_256_GCM);
	expect_install(&params, dir == KTLS_DIR_TX ? TLS_TX : TLS_RX, info, err);
	assert_fails(ktls_install(FD, dir, &params), err);
	assert_errmsg_contains(reason);
}

static void test_install_ebusy_is_rekey(void **state)
{
	assert_install_fails(KTLS_DIR_TX, EBUSY, "rekey");
	assert_errmsg_contains("TX");
	assert_install_fails(KTLS_DIR_RX, EBUSY, "rekey");
	assert_errmsg_contains("RX");
}

static void test_install_einval_is_rejected(void **state)
{
	assert_install_fails(KTLS_DIR_TX, EINVAL, "rejected");
	assert_errmsg_contains("AES-256-GCM");
	assert_errmsg_contains("TLS1.3");
}

static void test_install_enoent_is_crypto_module(void **state)
{
	assert_install_fails(KTLS_DIR_RX, ENOENT, "crypto module");
	assert_errmsg_contains("AES-256-GCM");
}

static void test_install_other_errno_has_strerror(void **state)
{
	assert_install_fails(KTLS_DIR_TX, EACCES, strerror(EACCES));
}

static void test_install_ulp_failure_stops(void **state)
{
	struct ktls_crypto_params params;

	unit_params_init(&params, KTLS_VERSION_1_3, KTLS_CIPHER_AES_128_GCM);
	expect_ulp_attach(ENOENT);	/* and no SOL_TLS call after it */
	assert_fails(ktls_install(FD, KTLS_DIR_TX, &params), ENOENT);
	assert_errmsg_contains("modprobe tls");
}

static void test_install_bad_params_touch_nothing(void **state)
{
	struct ktls_crypto_params params;

	/* No setsockopt is scripted: any call fails the test. */
	unit_params_init(&params, KTLS_VERSION_1_3, KTLS_CIPHER_AES_128_GCM);
	params.key_len = 32;
	assert_fails(ktls_install(FD, KTLS_DIR_TX, &params), EINVAL);
	assert_errmsg_contains("AES-128-GCM");

	unit_params_init(&params, 0x0302, KTLS_CIPHER_AES_128_GCM);
	assert_fails(ktls_install(FD, KTLS_DIR_RX, &params), EINVAL);
	assert_errmsg_contains("version");

	unit_params_init(&params, KTLS_VERSION_1_3, KTLS_CIPHER_AES_128_GCM);
	assert_fails(ktls_install(FD, (enum ktls_direction)3, &params), EINVAL);
	assert_fails(ktls_install(FD, KTLS_DIR_TX, NULL), EINVAL);
}

/* ---- ktls_install_both ---------------------------------------------------- */

static void test_install_both_tx_then_rx(void **state)
{
	struct ktls_crypto_params tx, rx;
	uint8_t tx_info[KTLS_CRYPTO_INFO_MAX], rx_info[KTLS_CRYPTO_INFO_MAX];
	size_t rx_size;

	unit_params_init(&tx, KTLS_VERSION_1_3, KTLS_CIPHER_CHACHA20_POLY1305);
	unit_params_init(&rx, KTLS_VERSION_1_3, KTLS_CIPHER_CHACHA20_POLY1305);
	unit_fill_pattern(rx.key, rx.key_len, 0x80);
	expect_install(&tx, TLS_TX, tx_info, 0);
	/* The second attach meets the ULP the first one put there. */
	rx_size = unit_uapi_crypto_info(&rx, rx_info);
	expect_ulp_attach(EEXIST);
	allow_ulp_lookups(&ulp_tls);
	expect_setsockopt(SOL_TLS, TLS_RX, rx_info, (socklen_t)rx_size, 0);
	assert_int_equal(ktls_install_both(FD, &tx, &rx), 0);
}

static void test_install_both_stops_at_tx_failure(void **state)
{
	struct ktls_crypto_params tx, rx;
	uint8_t tx_info[KTLS_CRYPTO_INFO_MAX];

	unit_params_init(&tx, KTLS_VERSION_1_2, KTLS_CIPHER_AES_128_CCM);
	unit_params_init(&rx, KTLS_VERSION_1_2, KTLS_CIPHER_AES_128_CCM);
	expect_install(&tx, TLS_TX, tx_info, EINVAL);	/* nothing for RX */
	assert_fails(ktls_install_both(FD, &tx, &rx), EINVAL);
	assert_errmsg_contains("TX");
}

static void test_install_both_stops_at_tx_params(void **state)
{
	struct ktls_crypto_params tx, rx;

	unit_params_init(&tx, KTLS_VERSION_1_2, KTLS_CIPHER_AES_128_GCM);
	unit_params_init(&rx, KTLS_VERSION_1_2, KTLS_CIPHER_AES_128_GCM);
	tx.salt_len = 0;	/* invalid: no syscall at all */
	assert_fails(ktls_install_both(FD, &tx, &rx), EINVAL);
}

static void test_install_both_reports_rx_failure(void **state)
{
	struct ktls_crypto_params tx, rx;
	uint8_t tx_info[KTLS_CRYPTO_INFO_MAX], rx_info[KTLS_CRYPTO_INFO_MAX];
	size_t rx_size;

	unit_params_init(&tx, KTLS_VERSION_1_3, KTLS_CIPHER_AES_128_GCM);
	unit_params_init(&rx, KTLS_VERSION_1_3, KTLS_CIPHER_AES_128_GCM);
	expect_install(&tx, TLS_TX, tx_info, 0);
	rx_size = unit_uapi_crypto_info(&rx, rx_info);
	expect_ulp_attach(EEXIST);
	allow_ulp_lookups(&ulp_tls);
	expect_setsockopt(SOL_TLS, TLS_RX, rx_info, (socklen_t)rx_size, ENOMEM);
	assert_fails(ktls_install_both(FD, &tx, &rx), ENOMEM);
	assert_errmsg_contains("RX");
}

/* ---- knobs ----------------------------------------------------------------- */

static void test_knobs_send_int(void **state)
{
	static const int one = 1, zero = 0;

	expect_setsockopt(SOL_TLS, TLS_RX_EXPECT_NO_PAD, &one, sizeof(int), 0);
	assert_int_equal(ktls_set_rx_expect_no_pad(FD, 42), 0);
	expect_setsockopt(SOL_TLS, TLS_TX_ZEROCOPY_RO, &zero, sizeof(int), 0);
	assert_int_equal(ktls_set_tx_zerocopy_ro(FD, 0), 0);
}

static void test_knob_errors(void **state)
{
	static const int one = 1;

	expect_setsockopt(SOL_TLS, TLS_TX_ZEROCOPY_RO, &one, sizeof(int), ENOPROTOOPT);
	assert_fails(ktls_set_tx_zerocopy_ro(FD, 1), ENOPROTOOPT);
	assert_errmsg_contains("TLS_TX_ZEROCOPY_RO");
	expect_setsockopt(SOL_TLS, TLS_RX_EXPECT_NO_PAD, &one, sizeof(int), EINVAL);
	assert_fails(ktls_set_rx_expect_no_pad(FD, 1), EINVAL);
	assert_errmsg_contains("TLS 1.3 only");
}

/* ---- ktls_query -------------------------------------------------------------- */

/* Only the 4-byte header is ever asked for, so no key bytes leave the
 * kernel. */
#define INFO_HEADER_LEN ((socklen_t)sizeof(struct tls_crypto_info))

static void expect_dir_query(int optname, const struct sockopt_reply *reply)
{
	expect_getsockopt(SOL_TLS, optname, INFO_HEADER_LEN, reply);
}

static void expect_knob_query(int optname, const struct sockopt_reply *reply)
{
	expect_getsockopt(SOL_TLS, optname, sizeof(int), reply);
}

static void test_query_no_ulp(void **state)
{
	struct ktls_info info;

	/* No TLS getsockopt after an empty ULP name. */
	expect_ulp_lookup(&ulp_none);
	memset(&info, 0xee, sizeof(info));
	assert_int_equal(ktls_query(FD, &info), 0);
	assert_int_equal(info.ulp_attached, 0);
	assert_int_equal(info.tx.installed, 0);
	assert_int_equal(info.rx.installed, 0);
	assert_int_equal(info.tx_zerocopy_ro, -1);
	assert_int_equal(info.rx_expect_no_pad, -1);
}

static void test_query_other_ulp(void **state)
{
	struct ktls_info info;

	expect_ulp_lookup(&ulp_mptcp);
	assert_int_equal(ktls_query(FD, &info), 0);
	assert_int_equal(info.ulp_attached, 0);
	assert_int_equal(info.tx.installed, 0);
}

static void test_query_tx_installed_rx_not(void **state)
{
	const struct tls_crypto_info tx = { TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_256 };
	const struct sockopt_reply tx_reply = { 0, &tx, sizeof(tx) };
	const struct sockopt_reply not_configured = { EBUSY, NULL, 0 };
	const int zerocopy_on = 1;
	const struct sockopt_reply zerocopy_reply = { 0, &zerocopy_on, sizeof(int) };
	const struct sockopt_reply old_kernel = { ENOPROTOOPT, NULL, 0 };
	struct ktls_info info;

	expect_ulp_lookup(&ulp_tls);
	expect_dir_query(TLS_TX, &tx_reply);
	expect_dir_query(TLS_RX, &not_configured);
	expect_knob_query(TLS_TX_ZEROCOPY_RO, &zerocopy_reply);
	expect_knob_query(TLS_RX_EXPECT_NO_PAD, &old_kernel);
	assert_int_equal(ktls_query(FD, &info), 0);
	assert_int_equal(info.ulp_attached, 1);
	assert_int_equal(info.tx.installed, 1);
	assert_int_equal(info.tx.version, KTLS_VERSION_1_3);
	assert_int_equal(info.tx.cipher, KTLS_CIPHER_AES_256_GCM);
	assert_int_equal(info.rx.installed, 0);
	assert_int_equal(info.rx.version, 0);
	assert_int_equal(info.rx.cipher, 0);
	assert_int_equal(info.tx_zerocopy_ro, 1);
	assert_int_equal(info.rx_expect_no_pad, -1);
}

static void test_query_maps_every_kernel_cipher(void **state)
{
	for (size_t i = 0; i < KTLS_CIPHER_COUNT; i++) {
		const struct tls_crypto_info tx = { TLS_1_2_VERSION,
						    unit_uapi_cipher_type(all_ciphers[i]) };
		const struct tls_crypto_info rx = { TLS_1_3_VERSION,
						    unit_uapi_cipher_type(all_ciphers[i]) };
		const struct sockopt_reply tx_reply = { 0, &tx, sizeof(tx) };
		const struct sockopt_reply rx_reply = { 0, &rx, sizeof(rx) };
		const int off = 0;
		const struct sockopt_reply knob_off = { 0, &off, sizeof(off) };
		struct ktls_info info;

		expect_ulp_lookup(&ulp_tls);
		expect_dir_query(TLS_TX, &tx_reply);
		expect_dir_query(TLS_RX, &rx_reply);
		expect_knob_query(TLS_TX_ZEROCOPY_RO, &knob_off);
		expect_knob_query(TLS_RX_EXPECT_NO_PAD, &knob_off);
		assert_int_equal(ktls_query(FD, &info), 0);
		assert_int_equal(info.tx.installed, 1);
		assert_int_equal(info.tx.version, KTLS_VERSION_1_2);
		assert_int_equal(info.tx.cipher, all_ciphers[i]);
		assert_int_equal(info.rx.installed, 1);
		assert_int_equal(info.rx.version, KTLS_VERSION_1_3);
		assert_int_equal(info.rx.cipher, all_ciphers[i]);
		assert_int_equal(info.tx_zerocopy_ro, 0);
		assert_int_equal(info.rx_expect_no_pad, 0);
	}
}

static void test_query_unknown_kernel_cipher(void **state)
{
	const struct tls_crypto_info sm4 = { TLS_1_3_VERSION, TLS_CIPHER_SM4_GCM };
	const struct sockopt_reply sm4_reply = { 0, &sm4, sizeof(sm4) };
	const struct sockopt_reply not_configured = { EBUSY, NULL, 0 };
	struct ktls_info info;

	expect_ulp_lookup(&ulp_tls);
	expect_dir_query(TLS_TX, &sm4_reply);
	expect_dir_query(TLS_RX, &not_configured);
	expect_knob_query(TLS_TX_ZEROCOPY_RO, &not_configured);
	expect_knob_query(TLS_RX_EXPECT_NO_PAD, &not_configured);
	assert_int_equal(ktls_query(FD, &info), 0);
	assert_int_equal(info.tx.installed, 1);
	assert_int_equal(info.tx.cipher, 0);
}

static void test_query_read_error(void **state)
{
	const struct sockopt_reply bad = { EINVAL, NULL, 0 };
	struct ktls_info info;

	expect_ulp_lookup(&ulp_tls);
	expect_dir_query(TLS_TX, &bad);	/* nothing after it */
	assert_fails(ktls_query(FD, &info), EINVAL);
	assert_errmsg_contains("reading back");
}

static void test_query_not_a_socket(void **state)
{
	const struct sockopt_reply enotsock = { ENOTSOCK, NULL, 0 };
	struct ktls_info info;

	expect_ulp_lookup(&enotsock);
	assert_fails(ktls_query(FD, &info), ENOTSOCK);
	assert_errmsg_contains("not a socket");
	assert_fails(ktls_query(FD, NULL), EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attach_ulp_success),
		cmocka_unit_test(test_attach_ulp_enoent_says_modprobe),
		cmocka_unit_test(test_attach_ulp_already_tls_is_success),
		cmocka_unit_test(test_attach_ulp_other_ulp_is_eexist),
		cmocka_unit_test(test_attach_ulp_eexist_name_unreadable),
		cmocka_unit_test(test_attach_ulp_enotconn),
		cmocka_unit_test(test_attach_ulp_enotsock),
		cmocka_unit_test(test_attach_ulp_enoprotoopt),
		cmocka_unit_test(test_attach_ulp_other_errno_has_strerror),
		cmocka_unit_test(test_install_sends_uapi_struct),
		cmocka_unit_test(test_install_ulp_already_tls),
		cmocka_unit_test(test_install_ebusy_is_rekey),
		cmocka_unit_test(test_install_einval_is_rejected),
		cmocka_unit_test(test_install_enoent_is_crypto_module),
		cmocka_unit_test(test_install_other_errno_has_strerror),
		cmocka_unit_test(test_install_ulp_failure_stops),
		cmocka_unit_test(test_install_bad_params_touch_nothing),
		cmocka_unit_test(test_install_both_tx_then_rx),
		cmocka_unit_test(test_install_both_stops_at_tx_failure),
		cmocka_unit_test(test_install_both_stops_at_tx_params),
		cmocka_unit_test(test_install_both_reports_rx_failure),
		cmocka_unit_test(test_knobs_send_int),
		cmocka_unit_test(test_knob_errors),
		cmocka_unit_test(test_query_no_ulp),
		cmocka_unit_test(test_query_other_ulp),
		cmocka_unit_test(test_query_tx_installed_rx_not),
		cmocka_unit_test(test_query_maps_every_kernel_cipher),
		cmocka_unit_test(test_query_unknown_kernel_cipher),
		cmocka_unit_test(test_query_read_error),
		cmocka_unit_test(test_query_not_a_socket),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

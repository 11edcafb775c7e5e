// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The cipher table against the kernel's uapi: every number in a row must be
 * what <linux/tls.h> says, because the kernel takes TLS_TX/TLS_RX by size and
 * reads fields at fixed offsets (a wrong offset installs a wrong key, which
 * only shows as records failing authentication at the peer).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ktls_internal.h"
#include "unit_helpers.h"

/* What the uapi says one row must hold. */
struct uapi_row {
	enum ktls_cipher id;
	const char *name;
	uint16_t kernel_type;
	size_t key_len, iv_len, salt_len, seq_len;
	size_t info_size, key_off, iv_off, salt_off, seq_off;
};

#define UAPI_ROW(id_, name_, ktype, st, prefix)                               \
	{                                                                     \
		.id = (id_), .name = (name_), .kernel_type = (ktype),         \
		.key_len = prefix##_KEY_SIZE, .iv_len = prefix##_IV_SIZE,     \
		.salt_len = prefix##_SALT_SIZE,                               \
		.seq_len = prefix##_REC_SEQ_SIZE,                             \
		.info_size = sizeof(struct st),                               \
		.key_off = offsetof(struct st, key),                          \
		.iv_off = offsetof(struct st, iv),                            \
		.salt_off = offsetof(struct st, salt),                        \
		.seq_off = offsetof(struct st, rec_seq),                      \
	}

static const struct uapi_row uapi_rows[] = {
	UAPI_ROW(KTLS_CIPHER_AES_128_GCM, "AES-128-GCM", TLS_CIPHER_AES_GCM_128,
		 tls12_crypto_info_aes_gcm_128, TLS_CIPHER_AES_GCM_128),
	UAPI_ROW(KTLS_CIPHER_AES_256_GCM, "AES-256-GCM", TLS_CIPHER_AES_GCM_256,
		 tls12_crypto_info_aes_gcm_256, TLS_CIPHER_AES_GCM_256),
	UAPI_ROW(KTLS_CIPHER_AES_128_CCM, "AES-128-CCM", TLS_CIPHER_AES_CCM_128,
		 tls12_crypto_info_aes_ccm_128, TLS_CIPHER_AES_CCM_128),
	UAPI_ROW(KTLS_CIPHER_CHACHA20_POLY1305, "CHACHA20-POLY1305",
		 TLS_CIPHER_CHACHA20_POLY1305, tls12_crypto_info_chacha20_poly1305,
		 TLS_CIPHER_CHACHA20_POLY1305),
};
#define N_UAPI_ROWS (sizeof(uapi_rows) / sizeof(uapi_rows[0]))

static const enum ktls_version versions[] = { KTLS_VERSION_1_2, KTLS_VERSION_1_3 };

/* Values that are not a libktls cipher: below, between and above the enum. */
static const int unknown_ciphers[] = { 0, -1, KTLS_CIPHER_COUNT + 1, 51, 0x10000 + 1 };

static void test_every_cipher_has_one_row(void **state)
{
	assert_int_equal(N_UAPI_ROWS, KTLS_CIPHER_COUNT);
	for (size_t i = 0; i < N_UAPI_ROWS; i++) {
		const struct ktls_cipher_row *row = ktls_cipher_row(uapi_rows[i].id);

		assert_non_null(row);
		assert_int_equal(row->id, uapi_rows[i].id);
		for (size_t j = 0; j < i; j++)
			assert_ptr_not_equal(row, ktls_cipher_row(uapi_rows[j].id));
	}
	for (size_t i = 0; i < sizeof(unknown_ciphers) / sizeof(unknown_ciphers[0]); i++)
		assert_null(ktls_cipher_row(unknown_ciphers[i]));
}

static void test_rows_match_uapi(void **state)
{
	for (size_t i = 0; i < N_UAPI_ROWS; i++) {
		const struct uapi_row *want = &uapi_rows[i];
		const struct ktls_cipher_row *row = ktls_cipher_row(want->id);

		assert_non_null(row);
		assert_string_equal(row->name, want->name);
		assert_int_equal(row->kernel_type, want->kernel_type);
		assert_int_equal(row->key_len, want->key_len);
		assert_int_equal(row->iv_len, want->iv_len);
		assert_int_equal(row->salt_len, want->salt_len);
		assert_int_equal(want->seq_len, KTLS_REC_SEQ_LEN);
		assert_int_equal(row->info_size, want->info_size);
		assert_int_equal(row->key_off, want->key_off);
		assert_int_equal(row->iv_off, want->iv_off);
		assert_int_equal(row->salt_off, want->salt_off);
		assert_int_equal(row->seq_off, want->seq_off);
		assert_true(row->info_size <= KTLS_CRYPTO_INFO_MAX);
		assert_true(row->key_len <= KTLS_MAX_KEY_LEN);
		assert_true(row->iv_len <= KTLS_MAX_IV_LEN);
		assert_true(row->salt_len <= KTLS_MAX_SALT_LEN);
	}
}

static void test_rows_by_kernel_type(void **state)
{
	for (size_t i = 0; i < N_UAPI_ROWS; i++) {
		const struct ktls_cipher_row *row =
			ktls_cipher_row_by_kernel_type(uapi_rows[i].kernel_type);

		assert_non_null(row);
		assert_int_equal(row->id, uapi_rows[i].id);
	}
	/* Kernel ciphers libktls does not offer, and junk. */
	assert_null(ktls_cipher_row_by_kernel_type(TLS_CIPHER_SM4_GCM));
	assert_null(ktls_cipher_row_by_kernel_type(TLS_CIPHER_ARIA_GCM_256));
	assert_null(ktls_cipher_row_by_kernel_type(0));
	assert_null(ktls_cipher_row_by_kernel_type(KTLS_CIPHER_AES_128_GCM));
}

static void test_length_getters_match_uapi(void **state)
{
	for (size_t i = 0; i < N_UAPI_ROWS; i++) {
		assert_int_equal(ktls_cipher_key_len(uapi_rows[i].id), uapi_rows[i].key_len);
		assert_int_equal(ktls_cipher_iv_len(uapi_rows[i].id), uapi_rows[i].iv_len);
		assert_int_equal(ktls_cipher_salt_len(uapi_rows[i].id), uapi_rows[i].salt_len);
	}
}

static void test_length_getters_reject_unknown(void **state)
{
	for (size_t i = 0; i < sizeof(unknown_ciphers) / sizeof(unknown_ciphers[0]); i++) {
		int cipher = unknown_ciphers[i];

		errno = 0;
		assert_int_equal(ktls_cipher_key_len(cipher), -1);
		assert_int_equal(errno, EINVAL);
		errno = 0;
		assert_int_equal(ktls_cipher_iv_len(cipher), -1);
		assert_int_equal(errno, EINVAL);
		errno = 0;
		assert_int_equal(ktls_cipher_salt_len(cipher), -1);
		assert_int_equal(errno, EINVAL);
	}
}

static void test_names_round_trip(void **state)
{
	for (size_t i = 0; i < N_UAPI_ROWS; i++) {
		const char *name = ktls_cipher_name(uapi_rows[i].id);

		assert_non_null(name);
		assert_string_equal(name, uapi_rows[i].name);
		assert_int_equal(ktls_cipher_from_name(name), uapi_rows[i].id);
	}
	for (size_t i = 0; i < sizeof(unknown_ciphers) / sizeof(unknown_ciphers[0]); i++)
		assert_null(ktls_cipher_name(unknown_ciphers[i]));
}

static void test_names_are_case_insensitive(void **state)
{
	assert_int_equal(ktls_cipher_from_name("aes-128-gcm"), KTLS_CIPHER_AES_128_GCM);
	assert_int_equal(ktls_cipher_from_name("Aes-256-Gcm"), KTLS_CIPHER_AES_256_GCM);
	assert_int_equal(ktls_cipher_from_name("aes-128-CCM"), KTLS_CIPHER_AES_128_CCM);
	assert_int_equal(ktls_cipher_from_name("ChaCha20-Poly1305"),
			 KTLS_CIPHER_CHACHA20_POLY1305);
}

static void test_unknown_names_fail_with_einval(void **state)
{
	static const char *const bad[] = {
		"AES-128-CBC", "AES-128-CCM-8", "", "AES-128-GCM ", "AES-128", "CHACHA20",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		assert_int_equal(ktls_cipher_from_name(bad[i]), -1);
		assert_int_equal(errno, EINVAL);
	}
	errno = 0;
	assert_int_equal(ktls_cipher_from_name(NULL), -1);
	assert_int_equal(errno, EINVAL);
}

static void test_version_names(void **state)
{
	assert_string_equal(ktls_version_name(KTLS_VERSION_1_2), "TLS1.2");
	assert_string_equal(ktls_version_name(KTLS_VERSION_1_3), "TLS1.3");
	assert_null(ktls_version_name(0x0302));
	assert_null(ktls_version_name(0x0305));
	assert_null(ktls_version_name(0));
}

static void test_build_matches_uapi_struct(void **state)
{
	for (size_t v = 0; v < sizeof(versions) / sizeof(versions[0]); v++) {
		for (size_t i = 0; i < N_UAPI_ROWS; i++) {
			struct ktls_crypto_params params;
			uint8_t got[KTLS_CRYPTO_INFO_MAX], want[KTLS_CRYPTO_INFO_MAX];
			size_t want_size;

			unit_params_init(&params, versions[v], uapi_rows[i].id);
			want_size = unit_uapi_crypto_info(&params, want);
			assert_int_equal(want_size, uapi_rows[i].info_size);
			memset(got, 0xee, sizeof(got));
			assert_int_equal(ktls_crypto_info_build(&params, got), want_size);
			assert_memory_equal(got, want, want_size);
		}
	}
}

/* The header is host-endian u16s, so check it with the raw bytes once too:
 * a build that byte-swapped version or cipher_type would still pass a
 * comparison against a struct filled by the same mistake. */
static void test_build_header_bytes(void **state)
{
	struct ktls_crypto_params params;
	uint8_t got[KTLS_CRYPTO_INFO_MAX];
	struct tls_crypto_info header;

	unit_params_init(&params, KTLS_VERSION_1_3, KTLS_CIPHER_AES_256_GCM);
	assert_int_equal(ktls_crypto_info_build(&params, got),
			 sizeof(struct tls12_crypto_info_aes_gcm_256));
	memcpy(&header, got, sizeof(header));
	assert_int_equal(header.version, TLS_1_3_VERSION);
	assert_int_equal(header.cipher_type, TLS_CIPHER_AES_GCM_256);
	assert_memory_equal(got + offsetof(struct tls12_crypto_info_aes_gcm_256, key),
			    params.key, TLS_CIPHER_AES_GCM_256_KEY_SIZE);
	assert_memory_equal(got + offsetof(struct tls12_crypto_info_aes_gcm_256, rec_seq),
			    params.rec_seq, TLS_CIPHER_AES_GCM_256_REC_SEQ_SIZE);
}

/* ktls_crypto_info_build must refuse params with -EINVAL and say why,
 * leaving errno to the public function above it (ktls_internal.h). */
static void assert_build_rejects(const struct ktls_crypto_params *params, const char *reason)
{
	uint8_t buf[KTLS_CRYPTO_INFO_MAX];

	ktls_clear_error();
	errno = 0;
	assert_int_equal(ktls_crypto_info_build(params, buf), -EINVAL);
	assert_int_equal(errno, 0);
	assert_errmsg_contains(reason);
}

static void test_build_rejects_wrong_lengths(void **state)
{
	for (size_t i = 0; i < N_UAPI_ROWS; i++) {
		struct ktls_crypto_params params;

		unit_params_init(&params, KTLS_VERSION_1_3, uapi_rows[i].id);
		params.key_len = uapi_rows[i].key_len == 16 ? 32 : 16;
		assert_build_rejects(&params, uapi_rows[i].name);

		unit_params_init(&params, KTLS_VERSION_1_3, uapi_rows[i].id);
		params.iv_len = uapi_rows[i].iv_len == 12 ? 8 : 12;
		assert_build_rejects(&params, uapi_rows[i].name);

		unit_params_init(&params, KTLS_VERSION_1_3, uapi_rows[i].id);
		params.salt_len = uapi_rows[i].salt_len == 4 ? 0 : 4;
		assert_build_rejects(&params, uapi_rows[i].name);
	}
}

static void test_build_rejects_unknown_cipher(void **state)
{
	struct ktls_crypto_params params;

	unit_params_init(&params, KTLS_VERSION_1_3, KTLS_CIPHER_AES_128_GCM);
	params.cipher = 0;
	assert_build_rejects(&params, "unknown cipher");
	params.cipher = KTLS_CIPHER_COUNT + 1;
	assert_build_rejects(&params, "unknown cipher");
	/* The kernel's number for the same cipher is not ours. */
	params.cipher = TLS_CIPHER_AES_GCM_128;
	assert_build_rejects(&params, "unknown cipher");
}

static void test_build_rejects_bad_version(void **state)
{
	static const uint16_t bad[] = { 0, 0x0301, 0x0302, 0x0305, 0x0403, 0xfefd };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ktls_crypto_params params;

		unit_params_init(&params, KTLS_VERSION_1_2, KTLS_CIPHER_AES_128_GCM);
		params.version = bad[i];
		assert_build_rejects(&params, "version");
	}
}

static void test_params_wipe(void **state)
{
	struct ktls_crypto_params params, zero;

	memset(&zero, 0, sizeof(zero));
	unit_params_init(&params, KTLS_VERSION_1_3, KTLS_CIPHER_CHACHA20_POLY1305);
	ktls_params_wipe(&params);
	assert_memory_equal(&params, &zero, sizeof(params));
	ktls_params_wipe(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_cipher_has_one_row),
		cmocka_unit_test(test_rows_match_uapi),
		cmocka_unit_test(test_rows_by_kernel_type),
		cmocka_unit_test(test_length_getters_match_uapi),
		cmocka_unit_test(test_length_getters_reject_unknown),
		cmocka_unit_test(test_names_round_trip),
		cmocka_unit_test(test_names_are_case_insensitive),
		cmocka_unit_test(test_unknown_names_fail_with_einval),
		cmocka_unit_test(test_version_names),
		cmocka_unit_test(test_build_matches_uapi_struct),
		cmocka_unit_test(test_build_header_bytes),
		cmocka_unit_test(test_build_rejects_wrong_lengths),
		cmocka_unit_test(test_build_rejects_unknown_cipher),
		cmocka_unit_test(test_build_rejects_bad_version),
		cmocka_unit_test(test_params_wipe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

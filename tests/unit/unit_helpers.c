// SPDX-License-Identifier: LGPL-2.1-or-later
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "unit_helpers.h"

void unit_fill_pattern(uint8_t *buf, size_t len, uint8_t first)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(first + i);
}

/* Sizes per the uapi constants, one place, for unit_params_init. */
static void uapi_sizes(enum ktls_cipher cipher, uint8_t *key_len, uint8_t *iv_len,
		       uint8_t *salt_len)
{
	switch (cipher) {
	case KTLS_CIPHER_AES_128_GCM:
		*key_len = TLS_CIPHER_AES_GCM_128_KEY_SIZE;
		*iv_len = TLS_CIPHER_AES_GCM_128_IV_SIZE;
		*salt_len = TLS_CIPHER_AES_GCM_128_SALT_SIZE;
		return;
	case KTLS_CIPHER_AES_256_GCM:
		*key_len = TLS_CIPHER_AES_GCM_256_KEY_SIZE;
		*iv_len = TLS_CIPHER_AES_GCM_256_IV_SIZE;
		*salt_len = TLS_CIPHER_AES_GCM_256_SALT_SIZE;
		return;
	case KTLS_CIPHER_AES_128_CCM:
		*key_len = TLS_CIPHER_AES_CCM_128_KEY_SIZE;
		*iv_len = TLS_CIPHER_AES_CCM_128_IV_SIZE;
		*salt_len = TLS_CIPHER_AES_CCM_128_SALT_SIZE;
		return;
	case KTLS_CIPHER_CHACHA20_POLY1305:
		*key_len = TLS_CIPHER_CHACHA20_POLY1305_KEY_SIZE;
		*iv_len = TLS_CIPHER_CHACHA20_POLY1305_IV_SIZE;
		*salt_len = TLS_CIPHER_CHACHA20_POLY1305_SALT_SIZE;
		return;
	}
	fail_msg("unknown cipher %d", (int)cipher);
}

void unit_params_init(struct ktls_crypto_params *params, enum ktls_version version,
		      enum ktls_cipher cipher)
{
	memset(params, 0, sizeof(*params));
	params->version = version;
	params->cipher = cipher;
	uapi_sizes(cipher, &params->key_len, &params->iv_len, &params->salt_len);
	unit_fill_pattern(params->key, params->key_len, 0x10);
	unit_fill_pattern(params->iv, params->iv_len, 0x60);
	unit_fill_pattern(params->salt, params->salt_len, 0xa0);
	unit_fill_pattern(params->rec_seq, KTLS_REC_SEQ_LEN, 0xc0);
}

uint16_t unit_uapi_cipher_type(enum ktls_cipher cipher)
{
	switch (cipher) {
	case KTLS_CIPHER_AES_128_GCM:
		return TLS_CIPHER_AES_GCM_128;
	case KTLS_CIPHER_AES_256_GCM:
		return TLS_CIPHER_AES_GCM_256;
	case KTLS_CIPHER_AES_128_CCM:
		return TLS_CIPHER_AES_CCM_128;
	case KTLS_CIPHER_CHACHA20_POLY1305:
		return TLS_CIPHER_CHACHA20_POLY1305;
	}
	fail_msg("unknown cipher %d", (int)cipher);
	return 0;
}

/* One uapi struct filled by name, the way a hand-written kTLS program does
 * it (see the kernel's Documentation/networking/tls.rst). */
#define FILL_UAPI(st, p, buf)                                                 \
	do {                                                                  \
		struct st info_;                                              \
		memset(&info_, 0, sizeof(info_));                             \
		info_.info.version = (p)->version;                            \
		info_.info.cipher_type = unit_uapi_cipher_type((p)->cipher);  \
		memcpy(info_.key, (p)->key, sizeof(info_.key));               \
		memcpy(info_.iv, (p)->iv, sizeof(info_.iv));                  \
		memcpy(info_.salt, (p)->salt, sizeof(info_.salt));            \
		memcpy(info_.rec_seq, (p)->rec_seq, sizeof(info_.rec_seq));   \
		memcpy((buf), &info_, sizeof(info_));                         \
		return sizeof(info_);                                         \
	} while (0)

size_t unit_uapi_crypto_info(const struct ktls_crypto_params *params,
			     uint8_t buf[KTLS_CRYPTO_INFO_MAX])
{
	memset(buf, 0, KTLS_CRYPTO_INFO_MAX);
	switch ((enum ktls_cipher)params->cipher) {
	case KTLS_CIPHER_AES_128_GCM:
		FILL_UAPI(tls12_crypto_info_aes_gcm_128, params, buf);
	case KTLS_CIPHER_AES_256_GCM:
		FILL_UAPI(tls12_crypto_info_aes_gcm_256, params, buf);
	case KTLS_CIPHER_AES_128_CCM:
		FILL_UAPI(tls12_crypto_info_aes_ccm_128, params, buf);
	case KTLS_CIPHER_CHACHA20_POLY1305:
		FILL_UAPI(tls12_crypto_info_chacha20_poly1305, params, buf);
	}
	fail_msg("unknown cipher %u", params->cipher);
	return 0;
}

void unit_assert_errmsg_contains(const char *needle, const char *file, int line)
{
	const char *msg = ktls_errmsg();

	if (strstr(msg, needle))
		return;
	print_error("ktls_errmsg() is \"%s\", expected it to mention \"%s\"\n", msg, needle);
	_fail(file, line);
}

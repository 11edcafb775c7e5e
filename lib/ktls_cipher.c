// SPDX-License-Identifier: LGPL-2.1-or-later
/* The cipher table: libktls cipher <-> kernel crypto_info layout. */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "ktls_internal.h"

#define ROW(id_, name_, ktype, st)                                            \
	{                                                                     \
		.id = (id_), .name = (name_), .kernel_type = (ktype),         \
		.key_len = sizeof(((struct st *)0)->key),                     \
		.iv_len = sizeof(((struct st *)0)->iv),                       \
		.salt_len = sizeof(((struct st *)0)->salt),                   \
		.info_size = sizeof(struct st),                               \
		.key_off = offsetof(struct st, key),                          \
		.iv_off = offsetof(struct st, iv),                            \
		.salt_off = offsetof(struct st, salt),                        \
		.seq_off = offsetof(struct st, rec_seq),                      \
	}

const struct ktls_cipher_row ktls_cipher_table[KTLS_CIPHER_COUNT] = {
	ROW(KTLS_CIPHER_AES_128_GCM, "AES-128-GCM", TLS_CIPHER_AES_GCM_128,
	    tls12_crypto_info_aes_gcm_128),
	ROW(KTLS_CIPHER_AES_256_GCM, "AES-256-GCM", TLS_CIPHER_AES_GCM_256,
	    tls12_crypto_info_aes_gcm_256),
	ROW(KTLS_CIPHER_AES_128_CCM, "AES-128-CCM", TLS_CIPHER_AES_CCM_128,
	    tls12_crypto_info_aes_ccm_128),
	ROW(KTLS_CIPHER_CHACHA20_POLY1305, "CHACHA20-POLY1305",
	    TLS_CIPHER_CHACHA20_POLY1305, tls12_crypto_info_chacha20_poly1305),
};

_Static_assert(sizeof(struct tls12_crypto_info_aes_gcm_256) <= KTLS_CRYPTO_INFO_MAX,
	       "KTLS_CRYPTO_INFO_MAX too small");
_Static_assert(sizeof(struct tls12_crypto_info_chacha20_poly1305) <= KTLS_CRYPTO_INFO_MAX,
	       "KTLS_CRYPTO_INFO_MAX too small");

const struct ktls_cipher_row *ktls_cipher_row(int cipher)
{
	for (size_t i = 0; i < KTLS_CIPHER_COUNT; i++)
		if ((int)ktls_cipher_table[i].id == cipher)
			return &ktls_cipher_table[i];
	return NULL;
}

const struct ktls_cipher_row *ktls_cipher_row_by_kernel_type(uint16_t kernel_type)
{
	for (size_t i = 0; i < KTLS_CIPHER_COUNT; i++)
		if (ktls_cipher_table[i].kernel_type == kernel_type)
			return &ktls_cipher_table[i];
	return NULL;
}

const char *ktls_cipher_name(int cipher)
{
	const struct ktls_cipher_row *row = ktls_cipher_row(cipher);

	return row ? row->name : NULL;
}

int ktls_cipher_from_name(const char *name)
{
	for (size_t i = 0; name && i < KTLS_CIPHER_COUNT; i++)
		if (!strcasecmp(ktls_cipher_table[i].name, name))
			return ktls_cipher_table[i].id;
	errno = EINVAL;
	return -1;
}

const char *ktls_version_name(int version)
{
	switch (version) {
	case KTLS_VERSION_1_2:
		return "TLS1.2";
	case KTLS_VERSION_1_3:
		return "TLS1.3";
	}
	return NULL;
}

#define ROW_FIELD_GETTER(fn, field)                                           \
	int fn(int cipher)                                                    \
	{                                                                     \
		const struct ktls_cipher_row *row = ktls_cipher_row(cipher);  \
		if (!row) {                                                   \
			errno = EINVAL;                                       \
			return -1;                                            \
		}                                                             \
		return row->field;                                            \
	}

ROW_FIELD_GETTER(ktls_cipher_key_len, key_len)
ROW_FIELD_GETTER(ktls_cipher_iv_len, iv_len)
ROW_FIELD_GETTER(ktls_cipher_salt_len, salt_len)

int ktls_crypto_info_build(const struct ktls_crypto_params *params, uint8_t *buf)
{
	const struct ktls_cipher_row *row = ktls_cipher_row(params->cipher);
	struct tls_crypto_info base;

	if (!row) {
		ktls_set_reason("unknown cipher %u", params->cipher);
		return -EINVAL;
	}
	if (params->version != KTLS_VERSION_1_2 && params->version != KTLS_VERSION_1_3) {
		ktls_set_reason("unsupported TLS version 0x%04x", params->version);
		return -EINVAL;
	}
	if (params->key_len != row->key_len || params->iv_len != row->iv_len ||
	    params->salt_len != row->salt_len) {
		ktls_set_reason("%s needs key/iv/salt of %u/%u/%u bytes, got %u/%u/%u",
				row->name, row->key_len, row->iv_len, row->salt_len,
				params->key_len, params->iv_len, params->salt_len);
		return -EINVAL;
	}
	memset(buf, 0, KTLS_CRYPTO_INFO_MAX);
	base.version = params->version;
	base.cipher_type = row->kernel_type;
	memcpy(buf, &base, sizeof(base));
	memcpy(buf + row->key_off, params->key, row->key_len);
	memcpy(buf + row->iv_off, params->iv, row->iv_len);
	memcpy(buf + row->salt_off, params->salt, row->salt_len);
	memcpy(buf + row->seq_off, params->rec_seq, KTLS_REC_SEQ_LEN);
	return row->info_size;
}

void ktls_params_wipe(struct ktls_crypto_params *params)
{
	if (params)
		explicit_bzero(params, sizeof(*params));
}

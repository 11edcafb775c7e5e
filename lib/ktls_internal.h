/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internal to libktls and its tests: the cipher table and error plumbing. */
#ifndef KTLS_INTERNAL_H
#define KTLS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "ktls.h"
#include "ktls_uapi.h"

/*
 * One row per cipher: what the kernel calls it and where each field lives in
 * its tls12_crypto_info_* struct.  The kernel structs share a layout order
 * (info, iv, key, salt, rec_seq) but not offsets, so offsets are per row.
 */
struct ktls_cipher_row {
	enum ktls_cipher id;
	const char *name;
	uint16_t kernel_type;		/* TLS_CIPHER_* */
	uint8_t key_len, iv_len, salt_len;
	uint16_t info_size;		/* sizeof(struct tls12_crypto_info_*) */
	uint16_t key_off, iv_off, salt_off, seq_off;
};

extern const struct ktls_cipher_row ktls_cipher_table[KTLS_CIPHER_COUNT];

const struct ktls_cipher_row *ktls_cipher_row(int cipher);
const struct ktls_cipher_row *ktls_cipher_row_by_kernel_type(uint16_t kernel_type);

/* Largest kernel crypto_info struct among the rows. */
#define KTLS_CRYPTO_INFO_MAX 64

/* Build the kernel's crypto_info for params into buf (KTLS_CRYPTO_INFO_MAX
 * bytes).  Returns its size, or -errno with the reason set via ktls_seterr. */
int ktls_crypto_info_build(const struct ktls_crypto_params *params, uint8_t *buf);

/* Record err as errno and a formatted reason for ktls_errmsg(); returns -1. */
int ktls_fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ktls_clear_error(void);

#endif /* KTLS_INTERNAL_H */

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Shared by the libktls unit tests.  The expected values here come from the
 * kernel's uapi (<linux/tls.h>) directly, never from libktls's own cipher
 * table, so a wrong table row cannot make its own test pass.
 */
#ifndef UNIT_HELPERS_H
#define UNIT_HELPERS_H

#include <stddef.h>
#include <stdint.h>

#include "ktls_internal.h"

/* Bytes first, first+1, ...: every field gets a different pattern, so a
 * field copied to the wrong offset or with the wrong length shows up. */
void unit_fill_pattern(uint8_t *buf, size_t len, uint8_t first);

/* Valid params for (version, cipher) with distinct patterns per field; the
 * lengths are the uapi's TLS_CIPHER_*_SIZE constants. */
void unit_params_init(struct ktls_crypto_params *params, enum ktls_version version,
		      enum ktls_cipher cipher);

/* The kernel's tls12_crypto_info_* for params, filled field by field through
 * the uapi struct.  Returns its size (sizeof the uapi struct). */
size_t unit_uapi_crypto_info(const struct ktls_crypto_params *params,
			     uint8_t buf[KTLS_CRYPTO_INFO_MAX]);

/* The uapi TLS_CIPHER_* number for one of ours. */
uint16_t unit_uapi_cipher_type(enum ktls_cipher cipher);

/* A libktls public call fails as its API says: -1 with errno err (errno
 * cleared first, so a stale value cannot pass). */
#define assert_fails(call, err)                                               \
	do {                                                                  \
		errno = 0;                                                    \
		assert_int_equal((call), -1);                                 \
		assert_int_equal(errno, (err));                               \
	} while (0)

/* Fails the running test unless ktls_errmsg() contains needle. */
#define assert_errmsg_contains(needle) \
	unit_assert_errmsg_contains((needle), __FILE__, __LINE__)
void unit_assert_errmsg_contains(const char *needle, const char *file, int line);

#endif /* UNIT_HELPERS_H */

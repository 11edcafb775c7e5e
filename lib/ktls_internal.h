/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internal to libktls and its tests: the cipher table and the error rule. */
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
 * bytes).  Returns its size, or -EINVAL with the reason recorded
 * (ktls_set_reason); errno is left alone. */
int ktls_crypto_info_build(const struct ktls_crypto_params *params, uint8_t *buf);

/*
 * How libktls fails.  A failure has a code (an errno value) and a reason
 * (the text behind ktls_errmsg(), one per thread).  Which way the code
 * travels depends on who calls the function, and no function does both:
 *
 *  - Functions the applications and the programs call -- the public API in
 *    ktls.h, and the internal helpers offered on the same terms (the option
 *    store behind it, ktls_store_*; ktls_daemon_connect; ktls_loopback_*) --
 *    return -1 with errno set and the reason recorded: `return ktls_fail(err,
 *    ...)` does all three.  Public entry points call ktls_clear_error() first,
 *    so an old reason never explains a new failure.
 *  - Every other internal function (the wire codec, the IPC, the cipher table,
 *    the GnuTLS glue) returns 0 or a size, or -errno, and leaves errno alone.
 *    One that can say why records the reason with ktls_set_reason(); the
 *    public function above it turns the code into errno (errno = -rc, or
 *    ktls_fail(-rc, ...) to say more).
 */

/* Record a formatted reason for ktls_errmsg(); errno is left alone. */
void ktls_set_reason(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Record the reason and set errno to err; returns -1. */
int ktls_fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ktls_clear_error(void);

#endif /* KTLS_INTERNAL_H */

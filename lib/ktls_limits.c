// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * AEAD usage limits: how many records one key may seal, and keeping a
 * sender below that (RFC 8446 section 5.5; RFC 9001 section 6.6 and its
 * appendix B for the way such limits are derived).
 *
 *   AES-128/256-GCM     2^24.5 full-size records (RFC 8446 5.5)
 *   AES-128-CCM         2^23.5: CCM runs AES twice per block, so it gets
 *                       half of GCM's budget (the RFC 9001 style of bound)
 *   ChaCha20-Poly1305   2^62, RFC 9001 6.6's confidentiality limit (RFC 8446
 *                       sets none): in practice never reached
 *
 * The count is the kernel's own: getsockopt(TLS_TX) with the cipher's full
 * crypto_info returns the next record sequence number, which counts every
 * record sealed under the current key (it restarts at 0 on each new key).
 * That getsockopt also copies the key out; we wipe it at once.
 *
 * KTLS_TEST_AEAD_LIMIT=N (test-only, ignored in setuid programs) replaces
 * every cipher's limit with N records, so a test sees rekeys every few
 * records instead of after 23 million.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ktls_internal.h"
#include "ktls_rekey.h"

#define RECORD_PAYLOAD_MAX 16384
/* A send of n bytes makes at most n / 2^14 + 2 records (a partial one at
 * each end), and a rekey costs one more record (our KeyUpdate) under the old
 * key: the headroom kept below the limit. */
#define RECORDS_SLACK 3
#define TEST_LIMIT_MIN 8

static uint64_t test_limit(void)
{
	const char *v = secure_getenv("KTLS_TEST_AEAD_LIMIT");
	char *end;
	unsigned long long n;

	if (!v || !*v)
		return 0;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || *end || n < TEST_LIMIT_MIN)
		return 0;
	return n;
}

uint64_t ktls_aead_limit(int cipher)
{
	uint64_t test = test_limit();

	if (test)
		return test;
	switch ((enum ktls_cipher)cipher) {
	case KTLS_CIPHER_AES_128_GCM:
	case KTLS_CIPHER_AES_256_GCM:
		return 23726566;	/* floor(2^24.5) */
	case KTLS_CIPHER_AES_128_CCM:
		return 11863283;	/* floor(2^23.5) */
	case KTLS_CIPHER_CHACHA20_POLY1305:
		return UINT64_C(1) << 62;
	}
	return 0;
}

int ktls_tx_records(int fd, uint64_t *records, int *cipher)
{
	uint8_t info[KTLS_CRYPTO_INFO_MAX];
	socklen_t len = sizeof(info);
	const struct ktls_cipher_row *row;
	struct tls_crypto_info base;
	uint64_t seq = 0;

	ktls_clear_error();
	memset(info, 0, sizeof(info));
	/* The full struct is the only size that returns rec_seq: ask for the
	 * 4-byte header first to learn which struct that is. */
	len = sizeof(base);
	if (getsockopt(fd, SOL_TLS, TLS_TX, &base, &len) < 0)
		return ktls_fail(errno, "reading the TX record count: %s%s", strerror(errno),
				 errno == EBUSY ? " (TX not installed)" : "");
	row = ktls_cipher_row_by_kernel_type(base.cipher_type);
	if (!row)
		return ktls_fail(EOPNOTSUPP, "TX cipher %u is unknown to libktls", base.cipher_type);
	len = row->info_size;
	if (getsockopt(fd, SOL_TLS, TLS_TX, info, &len) < 0 || len != row->info_size) {
		explicit_bzero(info, sizeof(info));
		return ktls_fail(errno ? errno : EIO, "reading the TX record count: %s",
				 strerror(errno));
	}
	for (size_t i = 0; i < KTLS_REC_SEQ_LEN; i++)
		seq = seq << 8 | info[row->seq_off + i];
	explicit_bzero(info, sizeof(info));
	*records = seq;
	if (cipher)
		*cipher = row->id;
	return 0;
}

ssize_t ktls_tx_prepare(int fd, size_t len)
{
	uint64_t sealed, limit, budget;
	int cipher;

	if (ktls_tx_records(fd, &sealed, &cipher) < 0)
		return -1;
	limit = ktls_aead_limit(cipher);
	if (sealed + RECORDS_SLACK + 1 > limit) {
		if (ktls_rekey(fd, 0) < 0) {
			int err = errno == EOPNOTSUPP ? EKEYEXPIRED : errno;

			return ktls_fail(err, "%s key has sealed %llu of its %llu records and "
					      "cannot be renewed: %s",
					 ktls_cipher_name(cipher), (unsigned long long)sealed,
					 (unsigned long long)limit, ktls_errmsg());
		}
		sealed = 0;
	}
	budget = limit - sealed - RECORDS_SLACK;
	if (budget < (uint64_t)(len / RECORD_PAYLOAD_MAX) + 1)
		return (ssize_t)(budget * RECORD_PAYLOAD_MAX);
	return (ssize_t)(len > SSIZE_MAX ? SSIZE_MAX : len);
}

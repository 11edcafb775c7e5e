// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * GnuTLS record state -> struct ktls_crypto_params.
 *
 * Two kinds of evidence.  Known vectors pin the split the kernel wants
 * (TLS 1.3 salt = IV[0..3], iv = IV[4..11]; TLS 1.2 GCM/CCM salt = implicit
 * IV, explicit iv = sequence number; ChaCha20 iv = all 12 bytes).  Then a
 * real GnuTLS handshake over a socketpair, per version and cipher: the
 * client's TX params must equal the server's RX params and vice versa, and a
 * record sealed from those params the way the kernel's TLS_TX does it (see
 * seal_like_kernel) must be accepted by GnuTLS, and a GnuTLS record must open
 * with the other direction's params.  That last part is what proves the split
 * is right: a mapping that is wrong the same way on both ends would still
 * make the two sides' params equal.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "ktls_gnutls.h"
#include "ktls_internal.h"
#include "unit_helpers.h"

#define AEAD_TAG_LEN 16
#define RECORD_HEADER_LEN 5
#define TLS12_EXPLICIT_NONCE_LEN 8
#define NONCE_LEN 12

/* ---- known vectors ------------------------------------------------------ */

static const uint8_t vec_key[32] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,
	0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
	0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
};
/* The 12-byte static IV GnuTLS holds for TLS 1.3 and for ChaCha20. */
static const uint8_t vec_iv12[12] = {
	0x9a, 0x4b, 0x2c, 0x11, 0xd0, 0xe1, 0xf2, 0x03, 0x14, 0x25, 0x36, 0x47,
};
static const uint8_t vec_iv12_head[4] = { 0x9a, 0x4b, 0x2c, 0x11 };
static const uint8_t vec_iv12_tail[8] = { 0xd0, 0xe1, 0xf2, 0x03, 0x14, 0x25, 0x36, 0x47 };
/* The 4-byte implicit IV GnuTLS holds for TLS 1.2 GCM/CCM. */
static const uint8_t vec_implicit4[4] = { 0xc1, 0xc2, 0xc3, 0xc4 };
static const uint8_t vec_seq[8] = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef };

struct map_vector {
	enum ktls_version version;
	gnutls_cipher_algorithm_t gnutls_cipher;
	enum ktls_cipher want_cipher;
	unsigned int key_len;
	const uint8_t *gnutls_iv;
	unsigned int gnutls_iv_len;
	const uint8_t *want_salt;
	unsigned int want_salt_len;
	const uint8_t *want_iv;
	unsigned int want_iv_len;
};

static const struct map_vector map_vectors[] = {
	{ KTLS_VERSION_1_3, GNUTLS_CIPHER_AES_128_GCM, KTLS_CIPHER_AES_128_GCM, 16,
	  vec_iv12, 12, vec_iv12_head, 4, vec_iv12_tail, 8 },
	{ KTLS_VERSION_1_3, GNUTLS_CIPHER_AES_256_GCM, KTLS_CIPHER_AES_256_GCM, 32,
	  vec_iv12, 12, vec_iv12_head, 4, vec_iv12_tail, 8 },
	{ KTLS_VERSION_1_3, GNUTLS_CIPHER_AES_128_CCM, KTLS_CIPHER_AES_128_CCM, 16,
	  vec_iv12, 12, vec_iv12_head, 4, vec_iv12_tail, 8 },
	{ KTLS_VERSION_1_3, GNUTLS_CIPHER_CHACHA20_POLY1305, KTLS_CIPHER_CHACHA20_POLY1305, 32,
	  vec_iv12, 12, NULL, 0, vec_iv12, 12 },
	/* TLS 1.2 GCM/CCM: the explicit nonce starts at the sequence number. */
	{ KTLS_VERSION_1_2, GNUTLS_CIPHER_AES_128_GCM, KTLS_CIPHER_AES_128_GCM, 16,
	  vec_implicit4, 4, vec_implicit4, 4, vec_seq, 8 },
	{ KTLS_VERSION_1_2, GNUTLS_CIPHER_AES_256_GCM, KTLS_CIPHER_AES_256_GCM, 32,
	  vec_implicit4, 4, vec_implicit4, 4, vec_seq, 8 },
	{ KTLS_VERSION_1_2, GNUTLS_CIPHER_AES_128_CCM, KTLS_CIPHER_AES_128_CCM, 16,
	  vec_implicit4, 4, vec_implicit4, 4, vec_seq, 8 },
	{ KTLS_VERSION_1_2, GNUTLS_CIPHER_CHACHA20_POLY1305, KTLS_CIPHER_CHACHA20_POLY1305, 32,
	  vec_iv12, 12, NULL, 0, vec_iv12, 12 },
};

/* Copies of the vectors that gnutls_datum_t (non-const) can point at. */
struct datums {
	uint8_t key_buf[64], iv_buf[64];
	gnutls_datum_t key, iv;
};

static void datums_init(struct datums *d, unsigned int key_len, const uint8_t *iv,
			unsigned int iv_len)
{
	memset(d, 0, sizeof(*d));
	for (unsigned int i = 0; i < key_len; i++)
		d->key_buf[i] = vec_key[i % sizeof(vec_key)];
	memcpy(d->iv_buf, iv, iv_len);
	d->key = (gnutls_datum_t){ .data = d->key_buf, .size = key_len };
	d->iv = (gnutls_datum_t){ .data = d->iv_buf, .size = iv_len };
}

static void assert_all_zero(const void *buf, size_t len)
{
	const uint8_t *bytes = buf;

	for (size_t i = 0; i < len; i++)
		assert_int_equal(bytes[i], 0);
}

static void assert_vector_maps(const struct map_vector *v)
{
	struct ktls_crypto_params out;
	uint8_t info[KTLS_CRYPTO_INFO_MAX];
	struct datums d;

	datums_init(&d, v->key_len, v->gnutls_iv, v->gnutls_iv_len);
	memset(&out, 0xee, sizeof(out));
	assert_int_equal(ktls_params_from_record_state(v->version, v->gnutls_cipher, &d.key,
						       &d.iv, vec_seq, &out), 0);
	assert_int_equal(out.version, v->version);
	assert_int_equal(out.cipher, v->want_cipher);
	assert_int_equal(out.key_len, v->key_len);
	assert_int_equal(out.salt_len, v->want_salt_len);
	assert_int_equal(out.iv_len, v->want_iv_len);
	assert_memory_equal(out.key, vec_key, v->key_len);
	assert_all_zero(out.key + v->key_len, KTLS_MAX_KEY_LEN - v->key_len);
	if (v->want_salt_len)
		assert_memory_equal(out.salt, v->want_salt, v->want_salt_len);
	assert_all_zero(out.salt + v->want_salt_len, KTLS_MAX_SALT_LEN - v->want_salt_len);
	assert_memory_equal(out.iv, v->want_iv, v->want_iv_len);
	assert_all_zero(out.iv + v->want_iv_len, KTLS_MAX_IV_LEN - v->want_iv_len);
	assert_memory_equal(out.rec_seq, vec_seq, sizeof(vec_seq));
	/* What the glue produces, the kernel layer must accept. */
	assert_true(ktls_crypto_info_build(&out, info) > 0);
}

static void test_known_vectors_tls13(void **state)
{
	for (size_t i = 0; i < sizeof(map_vectors) / sizeof(map_vectors[0]); i++)
		if (map_vectors[i].version == KTLS_VERSION_1_3)
			assert_vector_maps(&map_vectors[i]);
}

static void test_known_vectors_tls12(void **state)
{
	for (size_t i = 0; i < sizeof(map_vectors) / sizeof(map_vectors[0]); i++)
		if (map_vectors[i].version == KTLS_VERSION_1_2)
			assert_vector_maps(&map_vectors[i]);
}

/* A failed mapping returns -errno, says why, leaves errno alone
 * (ktls_internal.h) and no key material behind in out. */
static void assert_map_fails(enum ktls_version version, gnutls_cipher_algorithm_t cipher,
			     unsigned int key_len, const uint8_t *iv, unsigned int iv_len,
			     int want_rc, const char *reason)
{
	struct ktls_crypto_params out, zero;
	struct datums d;

	datums_init(&d, key_len, iv, iv_len);
	memset(&out, 0xee, sizeof(out));
	memset(&zero, 0, sizeof(zero));
	ktls_clear_error();
	errno = 0;
	assert_int_equal(ktls_params_from_record_state(version, cipher, &d.key, &d.iv, vec_seq,
						       &out), want_rc);
	assert_int_equal(errno, 0);	/* -errno inside libktls, errno left alone */
	assert_errmsg_contains(reason);
	assert_memory_equal(&out, &zero, sizeof(out));
}

static void test_wrong_key_size_is_eproto(void **state)
{
	assert_map_fails(KTLS_VERSION_1_3, GNUTLS_CIPHER_AES_128_GCM, 32, vec_iv12, 12,
			 -EPROTO, "AES-128-GCM");
	assert_map_fails(KTLS_VERSION_1_3, GNUTLS_CIPHER_AES_256_GCM, 16, vec_iv12, 12,
			 -EPROTO, "AES-256-GCM");
	assert_map_fails(KTLS_VERSION_1_2, GNUTLS_CIPHER_AES_128_CCM, 15, vec_implicit4, 4,
			 -EPROTO, "AES-128-CCM");
	assert_map_fails(KTLS_VERSION_1_3, GNUTLS_CIPHER_CHACHA20_POLY1305, 16, vec_iv12, 12,
			 -EPROTO, "CHACHA20-POLY1305");
}

static void test_wrong_iv_size_is_eproto(void **state)
{
	/* Each version's IV handed to the other version's mapping. */
	assert_map_fails(KTLS_VERSION_1_3, GNUTLS_CIPHER_AES_128_GCM, 16, vec_implicit4, 4,
			 -EPROTO, "expected");
	assert_map_fails(KTLS_VERSION_1_2, GNUTLS_CIPHER_AES_128_GCM, 16, vec_iv12, 12,
			 -EPROTO, "expected");
	assert_map_fails(KTLS_VERSION_1_2, GNUTLS_CIPHER_AES_256_GCM, 32, vec_iv12, 8,
			 -EPROTO, "expected");
	assert_map_fails(KTLS_VERSION_1_3, GNUTLS_CIPHER_CHACHA20_POLY1305, 32, vec_iv12, 8,
			 -EPROTO, "expected");
	assert_map_fails(KTLS_VERSION_1_2, GNUTLS_CIPHER_CHACHA20_POLY1305, 32, vec_implicit4,
			 4, -EPROTO, "expected");
	assert_map_fails(KTLS_VERSION_1_3, GNUTLS_CIPHER_AES_128_CCM, 16, vec_iv12, 0,
			 -EPROTO, "expected");
}

static void test_unsupported_cipher_is_eopnotsupp(void **state)
{
	assert_map_fails(KTLS_VERSION_1_2, GNUTLS_CIPHER_AES_128_CBC, 16, vec_iv12, 12,
			 -EOPNOTSUPP, "AES-128-CBC");
	assert_map_fails(KTLS_VERSION_1_3, GNUTLS_CIPHER_AES_128_CCM_8, 16, vec_iv12, 12,
			 -EOPNOTSUPP, "cannot be offloaded");
	assert_map_fails(KTLS_VERSION_1_3, GNUTLS_CIPHER_AES_256_CCM, 32, vec_iv12, 12,
			 -EOPNOTSUPP, "cannot be offloaded");
	assert_map_fails(KTLS_VERSION_1_2, GNUTLS_CIPHER_CAMELLIA_128_GCM, 16, vec_implicit4, 4,
			 -EOPNOTSUPP, "cannot be offloaded");
	assert_map_fails(KTLS_VERSION_1_2, GNUTLS_CIPHER_NULL, 0, vec_iv12, 0,
			 -EOPNOTSUPP, "cannot be offloaded");
}

static void test_bad_version_is_eopnotsupp(void **state)
{
	static const uint16_t bad[] = { 0, 0x0301, 0x0302, 0x0305, 0xfefd };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_map_fails((enum ktls_version)bad[i], GNUTLS_CIPHER_AES_128_GCM, 16,
				 vec_iv12, 12, -EOPNOTSUPP, "cannot be offloaded");
}

static void test_cipher_from_gnutls(void **state)
{
	assert_int_equal(ktls_cipher_from_gnutls(GNUTLS_CIPHER_AES_128_GCM),
			 KTLS_CIPHER_AES_128_GCM);
	assert_int_equal(ktls_cipher_from_gnutls(GNUTLS_CIPHER_AES_256_GCM),
			 KTLS_CIPHER_AES_256_GCM);
	assert_int_equal(ktls_cipher_from_gnutls(GNUTLS_CIPHER_AES_128_CCM),
			 KTLS_CIPHER_AES_128_CCM);
	assert_int_equal(ktls_cipher_from_gnutls(GNUTLS_CIPHER_CHACHA20_POLY1305),
			 KTLS_CIPHER_CHACHA20_POLY1305);
	assert_int_equal(ktls_cipher_from_gnutls(GNUTLS_CIPHER_AES_128_CBC), -1);
	assert_int_equal(ktls_cipher_from_gnutls(GNUTLS_CIPHER_AES_128_CCM_8), -1);
	assert_int_equal(ktls_cipher_from_gnutls(GNUTLS_CIPHER_AES_256_CCM), -1);
	assert_int_equal(ktls_cipher_from_gnutls(GNUTLS_CIPHER_NULL), -1);
	assert_int_equal(ktls_cipher_from_gnutls(GNUTLS_CIPHER_UNKNOWN), -1);
}

/* ---- a kernel's view of a record, built from params alone --------------- */

static gnutls_cipher_algorithm_t gnutls_cipher_of(enum ktls_cipher cipher)
{
	switch (cipher) {
	case KTLS_CIPHER_AES_128_GCM:
		return GNUTLS_CIPHER_AES_128_GCM;
	case KTLS_CIPHER_AES_256_GCM:
		return GNUTLS_CIPHER_AES_256_GCM;
	case KTLS_CIPHER_AES_128_CCM:
		return GNUTLS_CIPHER_AES_128_CCM;
	case KTLS_CIPHER_CHACHA20_POLY1305:
		return GNUTLS_CIPHER_CHACHA20_POLY1305;
	}
	fail_msg("unknown cipher %d", (int)cipher);
	return GNUTLS_CIPHER_UNKNOWN;
}

/* TLS 1.2 GCM/CCM carry an explicit nonce in each record; the rest do not. */
static int has_explicit_nonce(const struct ktls_crypto_params *p)
{
	return p->version == KTLS_VERSION_1_2 && p->salt_len > 0;
}

/* The kernel's per-record nonce (net/tls: tls_ctx->tx.iv is salt || iv; TLS
 * 1.3 and ChaCha20 XOR the sequence number into its last 8 bytes, TLS 1.2
 * GCM/CCM use it as is and send iv as the explicit nonce). */
static void kernel_nonce(const struct ktls_crypto_params *p, uint8_t nonce[NONCE_LEN])
{
	assert_int_equal(p->salt_len + p->iv_len, NONCE_LEN);
	memcpy(nonce, p->salt, p->salt_len);
	memcpy(nonce + p->salt_len, p->iv, p->iv_len);
	if (has_explicit_nonce(p))
		return;
	for (size_t i = 0; i < KTLS_REC_SEQ_LEN; i++)
		nonce[NONCE_LEN - KTLS_REC_SEQ_LEN + i] ^= p->rec_seq[i];
}

/* TLS 1.2 AAD: seq || type || version || plaintext length (RFC 5246 6.2.3.3). */
static size_t tls12_aad(const struct ktls_crypto_params *p, uint8_t type, size_t plain_len,
			uint8_t aad[13])
{
	memcpy(aad, p->rec_seq, KTLS_REC_SEQ_LEN);
	aad[8] = type;
	aad[9] = 0x03;
	aad[10] = 0x03;
	aad[11] = (uint8_t)(plain_len >> 8);
	aad[12] = (uint8_t)plain_len;
	return 13;
}

static void put_header(uint8_t *record, uint8_t type, size_t body_len)
{
	record[0] = type;
	record[1] = 0x03;
	record[2] = 0x03;
	record[3] = (uint8_t)(body_len >> 8);
	record[4] = (uint8_t)body_len;
}

static gnutls_aead_cipher_hd_t aead_handle(const struct ktls_crypto_params *p)
{
	gnutls_aead_cipher_hd_t aead;
	uint8_t key[KTLS_MAX_KEY_LEN];
	gnutls_datum_t key_datum = { .data = key, .size = p->key_len };
	int rc;

	memcpy(key, p->key, p->key_len);
	rc = gnutls_aead_cipher_init(&aead, gnutls_cipher_of(p->cipher), &key_datum);
	explicit_bzero(key, sizeof(key));
	assert_int_equal(rc, 0);
	return aead;
}

/* One application data record, sealed as the kernel's TLS_TX would from p. */
static size_t seal_like_kernel(const struct ktls_crypto_params *p, const void *data,
			       size_t len, uint8_t *record, size_t record_size)
{
	uint8_t nonce[NONCE_LEN], aad[13], inner[512];
	size_t aad_len, inner_len = len, explicit_len = 0, sealed_len;
	uint8_t outer_type = KTLS_RECORD_APPLICATION_DATA;
	gnutls_aead_cipher_hd_t aead;

	assert_true(len + 1 <= sizeof(inner));
	memcpy(inner, data, len);
	kernel_nonce(p, nonce);
	if (p->version == KTLS_VERSION_1_3) {
		inner[inner_len++] = KTLS_RECORD_APPLICATION_DATA;	/* inner type */
		put_header(record, outer_type, inner_len + AEAD_TAG_LEN);
		memcpy(aad, record, RECORD_HEADER_LEN);
		aad_len = RECORD_HEADER_LEN;
	} else {
		explicit_len = has_explicit_nonce(p) ? TLS12_EXPLICIT_NONCE_LEN : 0;
		put_header(record, outer_type, explicit_len + inner_len + AEAD_TAG_LEN);
		memcpy(record + RECORD_HEADER_LEN, p->iv, explicit_len);
		aad_len = tls12_aad(p, outer_type, inner_len, aad);
	}
	sealed_len = record_size - RECORD_HEADER_LEN - explicit_len;
	aead = aead_handle(p);
	assert_int_equal(gnutls_aead_cipher_encrypt(aead, nonce, sizeof(nonce), aad, aad_len,
						    AEAD_TAG_LEN, inner, inner_len,
						    record + RECORD_HEADER_LEN + explicit_len,
						    &sealed_len), 0);
	gnutls_aead_cipher_deinit(aead);
	return RECORD_HEADER_LEN + explicit_len + sealed_len;
}

/* Opens one record as the kernel's TLS_RX would with p; returns the
 * plaintext length and the content type in *type. */
static size_t open_like_kernel(const struct ktls_crypto_params *p, const uint8_t *record,
			       size_t record_len, uint8_t *plain, size_t plain_size,
			       uint8_t *type)
{
	size_t explicit_len = has_explicit_nonce(p) ? TLS12_EXPLICIT_NONCE_LEN : 0;
	size_t body_len = ((size_t)record[3] << 8) | record[4];
	size_t sealed_len = body_len - explicit_len, plain_len = plain_size, aad_len;
	uint8_t nonce[NONCE_LEN], aad[13];
	gnutls_aead_cipher_hd_t aead;

	assert_int_equal(record_len, RECORD_HEADER_LEN + body_len);
	assert_true(body_len >= explicit_len + AEAD_TAG_LEN);
	kernel_nonce(p, nonce);
	memcpy(nonce + p->salt_len, record + RECORD_HEADER_LEN, explicit_len);
	if (p->version == KTLS_VERSION_1_3) {
		memcpy(aad, record, RECORD_HEADER_LEN);
		aad_len = RECORD_HEADER_LEN;
	} else {
		aad_len = tls12_aad(p, record[0], sealed_len - AEAD_TAG_LEN, aad);
	}
	aead = aead_handle(p);
	assert_int_equal(gnutls_aead_cipher_decrypt(aead, nonce, sizeof(nonce), aad, aad_len,
						    AEAD_TAG_LEN,
						    record + RECORD_HEADER_LEN + explicit_len,
						    sealed_len, plain, &plain_len), 0);
	gnutls_aead_cipher_deinit(aead);
	*type = record[0];
	if (p->version == KTLS_VERSION_1_3) {
		/* TLSInnerPlaintext: content, type, zero padding. */
		while (plain_len > 0 && plain[plain_len - 1] == 0)
			plain_len--;
		assert_true(plain_len > 0);
		*type = plain[--plain_len];
	}
	return plain_len;
}

/* ---- a real handshake --------------------------------------------------- */

struct e2e_case {
	const char *name;
	enum ktls_version version;
	enum ktls_cipher cipher;
	const char *priority;
};

/* Certificate authentication with an ECDSA key: ECDHE-ECDSA has a suite for
 * every cipher in TLS 1.2 (CCM included), and TLS 1.3 can pick
 * AES-256-GCM-SHA384, which an external PSK (SHA-256 by default in GnuTLS
 * 3.7) would rule out. */
#define PRIO(vers, cipher) "NORMAL:-VERS-ALL:+VERS-" vers ":-CIPHER-ALL:+" cipher

static const struct e2e_case e2e_cases[] = {
	{ "e2e_tls13_aes_128_gcm", KTLS_VERSION_1_3, KTLS_CIPHER_AES_128_GCM,
	  PRIO("TLS1.3", "AES-128-GCM") },
	{ "e2e_tls13_aes_256_gcm", KTLS_VERSION_1_3, KTLS_CIPHER_AES_256_GCM,
	  PRIO("TLS1.3", "AES-256-GCM") },
	{ "e2e_tls13_aes_128_ccm", KTLS_VERSION_1_3, KTLS_CIPHER_AES_128_CCM,
	  PRIO("TLS1.3", "AES-128-CCM") },
	{ "e2e_tls13_chacha20_poly1305", KTLS_VERSION_1_3, KTLS_CIPHER_CHACHA20_POLY1305,
	  PRIO("TLS1.3", "CHACHA20-POLY1305") },
	{ "e2e_tls12_aes_128_gcm", KTLS_VERSION_1_2, KTLS_CIPHER_AES_128_GCM,
	  PRIO("TLS1.2", "AES-128-GCM") },
	{ "e2e_tls12_aes_256_gcm", KTLS_VERSION_1_2, KTLS_CIPHER_AES_256_GCM,
	  PRIO("TLS1.2", "AES-256-GCM") },
	{ "e2e_tls12_aes_128_ccm", KTLS_VERSION_1_2, KTLS_CIPHER_AES_128_CCM,
	  PRIO("TLS1.2", "AES-128-CCM") },
	{ "e2e_tls12_chacha20_poly1305", KTLS_VERSION_1_2, KTLS_CIPHER_CHACHA20_POLY1305,
	  PRIO("TLS1.2", "CHACHA20-POLY1305") },
};

/* One self-signed certificate for the whole run; the client does not verify
 * it (authentication is not what this test is about). */
static gnutls_certificate_credentials_t server_cred, client_cred;

struct tls_pair {
	const struct e2e_case *tc;
	int fds[2];		/* [0] client end, [1] server end */
	gnutls_session_t client, server;
};

static int self_signed(gnutls_x509_privkey_t key, gnutls_x509_crt_t crt)
{
	static const unsigned char serial[] = { 0x4b };
	static const char cn[] = "ktls-unit";
	time_t now = time(NULL);

	if (gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
					 GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) < 0 ||
	    gnutls_x509_crt_set_version(crt, 3) < 0 ||
	    gnutls_x509_crt_set_serial(crt, serial, sizeof(serial)) < 0 ||
	    gnutls_x509_crt_set_activation_time(crt, now - 60) < 0 ||
	    gnutls_x509_crt_set_expiration_time(crt, now + 3600) < 0 ||
	    gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn,
					  sizeof(cn) - 1) < 0 ||
	    gnutls_x509_crt_set_key(crt, key) < 0 ||
	    gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE) < 0 ||
	    gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0) < 0)
		return -1;
	return 0;
}

static int credentials_setup(void **state)
{
	gnutls_x509_privkey_t key = NULL;
	gnutls_x509_crt_t crt = NULL;
	int rc = -1;

	if (gnutls_certificate_allocate_credentials(&server_cred) < 0 ||
	    gnutls_certificate_allocate_credentials(&client_cred) < 0 ||
	    gnutls_x509_privkey_init(&key) < 0 || gnutls_x509_crt_init(&crt) < 0)
		goto out;
	if (self_signed(key, crt) < 0 ||
	    gnutls_certificate_set_x509_key(server_cred, &crt, 1, key) < 0)
		goto out;
	rc = 0;
out:
	if (crt)
		gnutls_x509_crt_deinit(crt);
	if (key)
		gnutls_x509_privkey_deinit(key);
	return rc;
}

static int credentials_teardown(void **state)
{
	if (server_cred)
		gnutls_certificate_free_credentials(server_cred);
	if (client_cred)
		gnutls_certificate_free_credentials(client_cred);
	return 0;
}

static void session_start(gnutls_session_t *session, unsigned int flags, int fd,
			  const char *priority, void *cred)
{
	const char *err_pos = NULL;

	/* No tickets: a TLS 1.3 server sends them under the application keys
	 * after the handshake, which would make the sequence numbers depend
	 * on GnuTLS's ticket policy instead of on the records we exchange. */
	assert_int_equal(gnutls_init(session, flags | GNUTLS_NO_TICKETS), 0);
	if (gnutls_priority_set_direct(*session, priority, &err_pos) < 0)
		fail_msg("priority string rejected at \"%s\"", err_pos ? err_pos : "?");
	assert_int_equal(gnutls_credentials_set(*session, GNUTLS_CRD_CERTIFICATE, cred), 0);
	gnutls_transport_set_int(*session, fd);
}

static int pair_setup(void **state)
{
	struct tls_pair *pair = calloc(1, sizeof(*pair));

	if (!pair)
		return -1;
	pair->tc = *state;
	pair->fds[0] = pair->fds[1] = -1;
	*state = pair;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pair->fds) < 0)
		return -1;
	session_start(&pair->client, GNUTLS_CLIENT, pair->fds[0], pair->tc->priority,
		      client_cred);
	session_start(&pair->server, GNUTLS_SERVER, pair->fds[1], pair->tc->priority,
		      server_cred);
	return 0;
}

static int pair_teardown(void **state)
{
	struct tls_pair *pair = *state;

	if (pair->client)
		gnutls_deinit(pair->client);
	if (pair->server)
		gnutls_deinit(pair->server);
	if (pair->fds[0] >= 0)
		close(pair->fds[0]);
	if (pair->fds[1] >= 0)
		close(pair->fds[1]);
	free(pair);
	return 0;
}

/* Both ends in one thread on non-blocking sockets: step each handshake
 * until it stops asking for more.  A socketpair buffers a whole flight. */
static void handshake_pair(struct tls_pair *pair)
{
	int client_rc = GNUTLS_E_AGAIN, server_rc = GNUTLS_E_AGAIN;

	for (int step = 0; step < 64 && (client_rc || server_rc); step++) {
		if (client_rc)
			client_rc = gnutls_handshake(pair->client);
		if (server_rc)
			server_rc = gnutls_handshake(pair->server);
		if ((client_rc < 0 && gnutls_error_is_fatal(client_rc)) ||
		    (server_rc < 0 && gnutls_error_is_fatal(server_rc)))
			fail_msg("handshake failed: client \"%s\", server \"%s\"",
				 gnutls_strerror(client_rc), gnutls_strerror(server_rc));
	}
	assert_int_equal(client_rc, 0);
	assert_int_equal(server_rc, 0);
}

static void read_exact(int fd, uint8_t *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		assert_int_equal(poll(&pfd, 1, 5000), 1);
		n = read(fd, buf + got, len - got);
		assert_true(n > 0);
		got += (size_t)n;
	}
}

static ssize_t record_recv_retry(gnutls_session_t session, void *buf, size_t len)
{
	ssize_t n;
	int tries = 0;

	do
		n = gnutls_record_recv(session, buf, len);
	while ((n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) && ++tries < 100);
	return n;
}

static void assert_negotiated(const struct tls_pair *pair)
{
	int want_version = pair->tc->version == KTLS_VERSION_1_3 ? GNUTLS_TLS1_3 : GNUTLS_TLS1_2;

	assert_int_equal(gnutls_protocol_get_version(pair->client), want_version);
	assert_int_equal(gnutls_cipher_get(pair->client), gnutls_cipher_of(pair->tc->cipher));
	assert_int_equal(gnutls_cipher_get(pair->server), gnutls_cipher_of(pair->tc->cipher));
}

/* One GnuTLS record each way before the keys are read, so the sequence
 * numbers are not zero: a zero sequence number would hide a mapping that
 * drops rec_seq, since XORing it into the nonce changes nothing. */
static void exchange_warm_up(struct tls_pair *pair)
{
	static const char hello[] = "warm-up";
	char got[sizeof(hello)];

	assert_int_equal(gnutls_record_send(pair->client, hello, sizeof(hello)), sizeof(hello));
	assert_int_equal(record_recv_retry(pair->server, got, sizeof(got)), sizeof(hello));
	assert_int_equal(gnutls_record_send(pair->server, hello, sizeof(hello)), sizeof(hello));
	assert_int_equal(record_recv_retry(pair->client, got, sizeof(got)), sizeof(hello));
}

static void assert_params_shape(const struct e2e_case *tc, const struct ktls_crypto_params *p)
{
	/* After exchange_warm_up: TLS 1.3 application keys started at 0 and
	 * carried one record; TLS 1.2 also used 0 for the encrypted Finished. */
	static const uint8_t seq_tls13[8] = { 0, 0, 0, 0, 0, 0, 0, 1 };
	static const uint8_t seq_tls12[8] = { 0, 0, 0, 0, 0, 0, 0, 2 };

	assert_int_equal(p->version, tc->version);
	assert_int_equal(p->cipher, tc->cipher);
	assert_int_equal(p->key_len, ktls_cipher_key_len(tc->cipher));
	assert_int_equal(p->iv_len, ktls_cipher_iv_len(tc->cipher));
	assert_int_equal(p->salt_len, ktls_cipher_salt_len(tc->cipher));
	assert_memory_equal(p->rec_seq, tc->version == KTLS_VERSION_1_3 ? seq_tls13 : seq_tls12,
			    KTLS_REC_SEQ_LEN);
	if (has_explicit_nonce(p))
		assert_memory_equal(p->iv, p->rec_seq, KTLS_REC_SEQ_LEN);
}

/* Client as the kernel would send, GnuTLS server receives. */
static void assert_kernel_tx_reaches_gnutls(struct tls_pair *pair,
					    const struct ktls_crypto_params *client_tx)
{
	static const char ping[] = "sealed from libktls TX params";
	uint8_t record[512], got[512];
	size_t record_len = seal_like_kernel(client_tx, ping, sizeof(ping), record,
					     sizeof(record));

	assert_int_equal(write(pair->fds[0], record, record_len), (ssize_t)record_len);
	assert_int_equal(record_recv_retry(pair->server, got, sizeof(got)), sizeof(ping));
	assert_memory_equal(got, ping, sizeof(ping));
}

/* GnuTLS server sends, client opens as the kernel would. */
static void assert_gnutls_reaches_kernel_rx(struct tls_pair *pair,
					    const struct ktls_crypto_params *client_rx)
{
	static const char pong[] = "sealed by GnuTLS, opened with libktls RX params";
	uint8_t record[512], plain[512], type = 0;
	size_t body_len;

	assert_int_equal(gnutls_record_send(pair->server, pong, sizeof(pong)), sizeof(pong));
	read_exact(pair->fds[0], record, RECORD_HEADER_LEN);
	body_len = ((size_t)record[3] << 8) | record[4];
	assert_true(RECORD_HEADER_LEN + body_len <= sizeof(record));
	read_exact(pair->fds[0], record + RECORD_HEADER_LEN, body_len);
	assert_int_equal(open_like_kernel(client_rx, record, RECORD_HEADER_LEN + body_len,
					  plain, sizeof(plain), &type), sizeof(pong));
	assert_int_equal(type, KTLS_RECORD_APPLICATION_DATA);
	assert_memory_equal(plain, pong, sizeof(pong));
}

static void test_e2e(void **state)
{
	struct tls_pair *pair = *state;
	struct ktls_crypto_params client_tx, client_rx, server_tx, server_rx;

	handshake_pair(pair);
	assert_negotiated(pair);
	exchange_warm_up(pair);
	assert_int_equal(ktls_params_from_gnutls(pair->client, KTLS_DIR_TX, &client_tx), 0);
	assert_int_equal(ktls_params_from_gnutls(pair->client, KTLS_DIR_RX, &client_rx), 0);
	assert_int_equal(ktls_params_from_gnutls(pair->server, KTLS_DIR_TX, &server_tx), 0);
	assert_int_equal(ktls_params_from_gnutls(pair->server, KTLS_DIR_RX, &server_rx), 0);

	assert_memory_equal(&client_tx, &server_rx, sizeof(client_tx));
	assert_memory_equal(&server_tx, &client_rx, sizeof(server_tx));
	assert_params_shape(pair->tc, &client_tx);
	assert_params_shape(pair->tc, &client_rx);
	/* Each direction has its own traffic secret. */
	assert_memory_not_equal(client_tx.key, client_rx.key, client_tx.key_len);

	assert_kernel_tx_reaches_gnutls(pair, &client_tx);
	assert_gnutls_reaches_kernel_rx(pair, &client_rx);

	ktls_params_wipe(&client_tx);
	ktls_params_wipe(&client_rx);
	ktls_params_wipe(&server_tx);
	ktls_params_wipe(&server_rx);
}

#define E2E_TEST(i)                                                           \
	{                                                                     \
		.name = e2e_cases[i].name, .test_func = test_e2e,             \
		.setup_func = pair_setup, .teardown_func = pair_teardown,     \
		.initial_state = (void *)(uintptr_t)&e2e_cases[i],            \
	}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_vectors_tls13),
		cmocka_unit_test(test_known_vectors_tls12),
		cmocka_unit_test(test_wrong_key_size_is_eproto),
		cmocka_unit_test(test_wrong_iv_size_is_eproto),
		cmocka_unit_test(test_unsupported_cipher_is_eopnotsupp),
		cmocka_unit_test(test_bad_version_is_eopnotsupp),
		cmocka_unit_test(test_cipher_from_gnutls),
		E2E_TEST(0), E2E_TEST(1), E2E_TEST(2), E2E_TEST(3),
		E2E_TEST(4), E2E_TEST(5), E2E_TEST(6), E2E_TEST(7),
	};

	_Static_assert(sizeof(e2e_cases) / sizeof(e2e_cases[0]) == 8, "one E2E_TEST per case");
	return cmocka_run_group_tests(tests, credentials_setup, credentials_teardown);
}

// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * HKDF-Expand-Label for TLS 1.3 KeyUpdate, and the kernel's HMAC via AF_ALG.
 *
 * Why AF_ALG: computing the next traffic key is one HMAC per output (a key,
 * an IV, the next secret), a few times per connection lifetime.  The kernel
 * that runs kTLS already carries a vetted HMAC-SHA256/384; asking it through
 * AF_ALG keeps libktls free of any crypto library (applications should not
 * have to link one to get kTLS) and of a home-grown SHA implementation.  The
 * cost is a socket per HMAC and the algif_hash module (autoloaded on the
 * first AF_ALG bind on stock kernels).
 */
#include <errno.h>
#include <linux/if_alg.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ktls_hkdf.h"

#ifndef SOL_ALG
#define SOL_ALG 279
#endif

#define HKDF_LABEL_PREFIX "tls13 "
/* u16 length, u8 label length, "tls13 " + label (<= 255), u8 context length */
#define HKDF_LABEL_MAX (2 + 1 + 255 + 1)

static int hash_name(unsigned hash_len, const char **name)
{
	if (hash_len == 32)
		*name = "hmac(sha256)";
	else if (hash_len == 48)
		*name = "hmac(sha384)";
	else
		return -EINVAL;
	return 0;
}

static int alg_socket(const char *name, const uint8_t *key, size_t key_len)
{
	struct sockaddr_alg sa = { .salg_family = AF_ALG, .salg_type = "hash" };
	int tfm = socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	int op, err;

	if (tfm < 0)
		return errno == EAFNOSUPPORT || errno == EPERM || errno == EACCES ? -EAFNOSUPPORT
										   : -errno;
	memcpy(sa.salg_name, name, strlen(name) + 1);
	if (bind(tfm, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    setsockopt(tfm, SOL_ALG, ALG_SET_KEY, key, (socklen_t)key_len) < 0) {
		err = errno;
		close(tfm);
		return -err;
	}
	op = accept4(tfm, NULL, NULL, SOCK_CLOEXEC);
	err = errno;
	/* The operation socket holds its own reference to the keyed tfm. */
	close(tfm);
	return op < 0 ? -err : op;
}

int ktls_hmac_af_alg(unsigned hash_len, const uint8_t *key, size_t key_len,
		     const uint8_t *data, size_t data_len, uint8_t *out)
{
	const char *name;
	ssize_t got;
	int op, rc = hash_name(hash_len, &name);

	if (rc < 0)
		return rc;
	op = alg_socket(name, key, key_len);
	if (op < 0)
		return op;
	if (send(op, data, data_len, 0) != (ssize_t)data_len) {
		rc = errno ? -errno : -EIO;
	} else {
		got = read(op, out, hash_len);
		if (got != (ssize_t)hash_len)
			rc = got < 0 ? -errno : -EIO;
	}
	close(op);
	return rc;
}

/* struct HkdfLabel (RFC 8446 section 7.1) with an empty context. */
static int build_label(const char *label, size_t out_len, uint8_t *buf, size_t *len)
{
	size_t label_len = strlen(label), full = strlen(HKDF_LABEL_PREFIX) + label_len;

	if (full > 255 || out_len > 0xffff)
		return -EINVAL;
	buf[0] = (uint8_t)(out_len >> 8);
	buf[1] = (uint8_t)out_len;
	buf[2] = (uint8_t)full;
	memcpy(buf + 3, HKDF_LABEL_PREFIX, strlen(HKDF_LABEL_PREFIX));
	memcpy(buf + 3 + strlen(HKDF_LABEL_PREFIX), label, label_len);
	buf[3 + full] = 0;	/* context: zero bytes */
	*len = 4 + full;
	return 0;
}

/* HKDF-Expand (RFC 5869 section 2.3): T(i) = HMAC(PRK, T(i-1) | info | i). */
static int hkdf_expand(ktls_hmac_fn hmac, const uint8_t *prk, unsigned hash_len,
		       const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len)
{
	uint8_t block[KTLS_SECRET_MAX + HKDF_LABEL_MAX + 1], t[KTLS_SECRET_MAX];
	size_t t_len = 0, done = 0;
	int rc = 0;

	if (hash_len > KTLS_SECRET_MAX || out_len > 255 * (size_t)hash_len ||
	    info_len > HKDF_LABEL_MAX)
		return -EINVAL;
	for (uint8_t i = 1; done < out_len; i++) {
		size_t n = out_len - done < hash_len ? out_len - done : hash_len;

		memcpy(block, t, t_len);
		memcpy(block + t_len, info, info_len);
		block[t_len + info_len] = i;
		rc = hmac(hash_len, prk, hash_len, block, t_len + info_len + 1, t);
		if (rc < 0)
			break;
		t_len = hash_len;
		memcpy(out + done, t, n);
		done += n;
	}
	explicit_bzero(block, sizeof(block));
	explicit_bzero(t, sizeof(t));
	return rc;
}

int ktls_hkdf_expand_label(ktls_hmac_fn hmac, const uint8_t *secret, unsigned secret_len,
			   const char *label, uint8_t *out, size_t out_len)
{
	uint8_t info[HKDF_LABEL_MAX];
	size_t info_len;
	int rc = build_label(label, out_len, info, &info_len);

	if (rc < 0)
		return rc;
	return hkdf_expand(hmac, secret, secret_len, info, info_len, out, out_len);
}

int ktls_next_traffic_secret(ktls_hmac_fn hmac, uint8_t *secret, unsigned secret_len)
{
	uint8_t next[KTLS_SECRET_MAX];
	int rc;

	if (secret_len > sizeof(next))
		return -EINVAL;
	rc = ktls_hkdf_expand_label(hmac, secret, secret_len, "traffic upd", next, secret_len);
	if (rc == 0)
		memcpy(secret, next, secret_len);
	explicit_bzero(next, sizeof(next));
	return rc;
}

int ktls_traffic_key_iv(ktls_hmac_fn hmac, const uint8_t *secret, unsigned secret_len,
			uint8_t *key, size_t key_len, uint8_t *iv, size_t iv_len)
{
	int rc = ktls_hkdf_expand_label(hmac, secret, secret_len, "key", key, key_len);

	if (rc == 0)
		rc = ktls_hkdf_expand_label(hmac, secret, secret_len, "iv", iv, iv_len);
	return rc;
}

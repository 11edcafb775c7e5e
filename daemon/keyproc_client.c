// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The network process's side of the key process: LOAD/SIGN/DROP round
 * trips, and the external gnutls_privkey_t (gnutls_privkey_import_ext4)
 * whose callbacks make them.
 *
 * Workers sign concurrently; one mutex serialises the round trips on the
 * single socketpair.  The key process answers in order, so a round trip is
 * one send and one recv; the request id only guards against an answer that
 * arrives after its asker gave up (timeout), which is then skipped.  A
 * signature costs microseconds next to the round trip's scheduling, and the
 * key process signs one at a time anyway, so more sockets would not buy
 * more signatures per second (measured: docs/architecture.md).
 */
#include <errno.h>
#include <gnutls/abstract.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "keyproc.h"
#include "keyproc_proto.h"
#include "log.h"

#define KP_TIMEOUT_MS 5000	/* an RSA-4096 signature takes ~5 ms */

struct kp_key {
	uint32_t generation, index;
	gnutls_pk_algorithm_t pk;
	unsigned bits;
};

static pthread_mutex_t kp_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t kp_next_id, kp_generation;

uint32_t keyproc_new_generation(void)
{
	uint32_t g;

	pthread_mutex_lock(&kp_lock);
	if (++kp_generation == 0)
		kp_generation = 1;
	g = kp_generation;
	pthread_mutex_unlock(&kp_lock);
	return g;
}

static int remaining_ms(const struct timespec *deadline)
{
	struct timespec now;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (deadline->tv_sec - now.tv_sec) * 1000 + (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : (int)ms;
}

/* Receives the answer to id into buf (KP_REP_MAX) and decodes it into rp. */
static int await_reply(int fd, uint32_t id, uint8_t *buf, struct kp_reply *rp)
{
	struct timespec deadline;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += KP_TIMEOUT_MS / 1000;
	for (;;) {
		rc = poll(&pfd, 1, remaining_ms(&deadline));
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc == 0)
			return -ETIMEDOUT;
		n = recv(fd, buf, KP_REP_MAX, MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0) {
			keyproc_mark_dead(n == 0 ? "its socket closed" : strerror(errno));
			return -EIO;
		}
		if ((size_t)n > KP_REP_MAX || kp_reply_decode(buf, (size_t)n, rp) < 0) {
			log_warnx("key process: malformed %zd-byte answer skipped", n);
			continue;
		}
		if (rp->id == id)
			return 0;
		/* the answer to an asker that timed out: not ours */
	}
}

/* One request, its answer in rp (data pointing into buf, KP_REP_MAX). */
static int round_trip(struct kp_request *rq, uint8_t *buf, struct kp_reply *rp)
{
	size_t need = KP_REQ_HDR_LEN + 8 + rq->data_len;
	uint8_t *out = malloc(need);
	ssize_t n;
	int fd, rc;

	if (!out)
		return -ENOMEM;
	pthread_mutex_lock(&kp_lock);
	fd = keyproc_fd();
	rq->id = ++kp_next_id;
	n = kp_request_encode(rq, out, need);
	if (fd < 0)
		rc = -EIO;
	else if (n < 0)
		rc = (int)n;
	else if (send(fd, out, (size_t)n, MSG_NOSIGNAL) < 0) {
		rc = -EIO;
		keyproc_mark_dead(strerror(errno));
	} else
		rc = await_reply(fd, rq->id, buf, rp);
	pthread_mutex_unlock(&kp_lock);
	free(out);
	if (rc == 0 && rp->type != rq->type)
		rc = -EBADMSG;
	return rc;
}

/* ---- the external key's callbacks ---- */

static int sign_common(enum kp_type type, const struct kp_key *k, gnutls_sign_algorithm_t algo,
		       unsigned flags, const gnutls_datum_t *data, gnutls_datum_t *sig)
{
	struct kp_request rq = { .type = type, .generation = k->generation, .index = k->index,
				 .sign_algo = (uint32_t)algo, .flags = flags,
				 .data = data->data, .data_len = data->size };
	uint8_t buf[KP_REP_MAX];
	struct kp_reply rp;
	int rc = round_trip(&rq, buf, &rp);

	if (rc == 0 && rp.status < 0)
		rc = rp.status;
	if (rc < 0) {
		log_warnx("key process: %s signature for profile key %u/%u failed: %s",
			  gnutls_sign_get_name(algo) ? gnutls_sign_get_name(algo) : "?",
			  k->generation, k->index, strerror(-rc));
		return GNUTLS_E_PK_SIGN_FAILED;
	}
	sig->data = gnutls_malloc(rp.data_len);
	if (!sig->data)
		return GNUTLS_E_MEMORY_ERROR;
	memcpy(sig->data, rp.data, rp.data_len);
	sig->size = (unsigned)rp.data_len;
	return 0;
}

static int ext_sign_data(gnutls_privkey_t key, gnutls_sign_algorithm_t algo, void *userdata,
			 unsigned flags, const gnutls_datum_t *data, gnutls_datum_t *sig)
{
	return sign_common(KP_SIGN_DATA, userdata, algo, flags, data, sig);
}

static int ext_sign_hash(gnutls_privkey_t key, gnutls_sign_algorithm_t algo, void *userdata,
			 unsigned flags, const gnutls_datum_t *hash, gnutls_datum_t *sig)
{
	return sign_common(KP_SIGN_HASH, userdata, algo, flags, hash, sig);
}

/* What GnuTLS asks before choosing a signature algorithm.  -1: unknown. */
static int ext_info(gnutls_privkey_t key, unsigned flags, void *userdata)
{
	const struct kp_key *k = userdata;

	if (flags & GNUTLS_PRIVKEY_INFO_HAVE_SIGN_ALGO)
		return gnutls_sign_supports_pk_algorithm(
			(gnutls_sign_algorithm_t)GNUTLS_FLAGS_TO_SIGN_ALGO(flags), k->pk) ? 1 : 0;
	if (flags & GNUTLS_PRIVKEY_INFO_PK_ALGO)
		return (int)k->pk;
	if (flags & GNUTLS_PRIVKEY_INFO_PK_ALGO_BITS)
		return (int)k->bits;
	return -1;
}

static void ext_deinit(gnutls_privkey_t key, void *userdata)
{
	free(userdata);
}

/* ---- requests from creds.c ---- */

static int load(struct kp_key *k, const char *path, char *err, size_t errlen)
{
	struct kp_request rq = { .type = KP_LOAD, .generation = k->generation,
				 .index = k->index, .data = (const uint8_t *)path,
				 .data_len = strlen(path) };
	uint8_t buf[KP_REP_MAX];
	struct kp_reply rp;
	int rc = round_trip(&rq, buf, &rp);

	if (rc == 0 && rp.status < 0) {
		if (rp.data_len)
			snprintf(err, errlen, "%.*s", (int)rp.data_len, (const char *)rp.data);
		else
			snprintf(err, errlen, "key file %s: %s", path, strerror(-rp.status));
		return rp.status;
	}
	if (rc < 0) {
		snprintf(err, errlen, "key file %s: the key process %s", path,
			 rc == -EINVAL ? "cannot take so long a path" : "does not answer");
		return rc;
	}
	k->pk = (gnutls_pk_algorithm_t)rp.pk_algo;
	k->bits = rp.bits;
	return 0;
}

int keyproc_privkey(uint32_t generation, uint32_t index, const char *path,
		    gnutls_privkey_t *out, char *err, size_t errlen)
{
	struct kp_key *k = calloc(1, sizeof(*k));
	gnutls_privkey_t key;
	int rc;

	if (!k) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	k->generation = generation;
	k->index = index;
	rc = load(k, path, err, errlen);
	if (rc < 0) {
		free(k);
		return rc;
	}
	if (gnutls_privkey_init(&key) < 0) {
		free(k);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	rc = gnutls_privkey_import_ext4(key, k, ext_sign_data, ext_sign_hash, NULL, ext_deinit,
					ext_info, GNUTLS_PRIVKEY_IMPORT_AUTO_RELEASE);
	if (rc < 0) {
		gnutls_privkey_deinit(key);
		free(k);
		snprintf(err, errlen, "key file %s: %s", path, gnutls_strerror(rc));
		return -EINVAL;
	}
	*out = key;
	return 0;
}

void keyproc_drop(uint32_t generation)
{
	struct kp_request rq = { .type = KP_DROP, .generation = generation };
	uint8_t buf[KP_REP_MAX];
	struct kp_reply rp;
	int rc;

	if (keyproc_dead())
		return;		/* said already; nothing holds the keys any more */
	rc = round_trip(&rq, buf, &rp);

	if (rc == 0)
		rc = rp.status;
	if (rc < 0)
		log_warnx("key process: cannot drop key generation %u: %s", generation,
			  strerror(-rc));
}

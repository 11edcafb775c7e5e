// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The network process's side of the key process: LOAD/SIGN/DROP round
 * trips, and the external gnutls_privkey_t (gnutls_privkey_import_ext4)
 * whose callbacks make them.
 *
 * Workers sign concurrently, on as many sockets as the key process has
 * signers (keyproc.c): a signature takes the first free signer, trying
 * them round robin, and waits for one only when all are busy.  Socket 0
 * also carries CONFIG/OPEN/LOAD/DROP, which only its signer (the key
 * process's main thread) answers.  One mutex per socket serialises its
 * round trips; a signer answers in order, so a round trip is one send and
 * one recv; the request id only guards against an answer that arrives
 * after its asker gave up (timeout), which is then skipped.
 */
#include <errno.h>
#include <gnutls/abstract.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "keys/keyproc.h"
#include "keys/keyproc_proto.h"
#include "process/log.h"

#define KP_TIMEOUT_MS 5000	/* an RSA-4096 signature takes ~5 ms */

struct kp_key {
	uint32_t generation, index;
	gnutls_pk_algorithm_t pk;
	unsigned bits;
};

static pthread_mutex_t kp_lock = PTHREAD_MUTEX_INITIALIZER;	/* kp_generation */
static uint32_t kp_generation;

/* One per signer socket: its round trips, one at a time. */
struct kp_chan {
	pthread_mutex_t lock;
	uint32_t next_id;
};

static struct kp_chan kp_chans[KP_SIGNERS_MAX] = {
	[0 ... KP_SIGNERS_MAX - 1] = { PTHREAD_MUTEX_INITIALIZER, 0 },
};
static atomic_uint kp_next_chan;	/* where the next signature starts looking */

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

/* One datagram into buf; a passed descriptor into *fd (-1 if none).  More
 * than one descriptor, or one we did not ask for, is closed: the message
 * is then malformed (-EBADMSG). */
static ssize_t recv_with_fd(int sock, uint8_t *buf, int *fd)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(2 * sizeof(int))];
	} control;
	struct iovec iov = { .iov_base = buf, .iov_len = KP_REP_MAX };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = control.buf, .msg_controllen = sizeof(control.buf) };
	ssize_t n = recvmsg(sock, &msg, MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC);
	int bad = 0;

	*fd = -1;
	if (n < 0)
		return n;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		size_t count;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < count; i++) {
			int got;

			memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*fd < 0 && !bad)
				*fd = got;
			else {
				close(got);
				bad = 1;
			}
		}
	}
	if (bad || (msg.msg_flags & MSG_CTRUNC)) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		errno = EBADMSG;
		return -2;
	}
	return n;
}

/* Receives the answer to id into buf (KP_REP_MAX) and decodes it into rp;
 * a descriptor it carries into *fd when fd is not NULL (else closed). */
static int await_reply(int sock, uint32_t id, uint8_t *buf, struct kp_reply *rp, int *fd)
{
	struct timespec deadline;
	struct pollfd pfd = { .fd = sock, .events = POLLIN };
	ssize_t n;
	int rc, got;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += KP_TIMEOUT_MS / 1000;
	for (;;) {
		rc = poll(&pfd, 1, remaining_ms(&deadline));
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc == 0)
			return -ETIMEDOUT;
		n = recv_with_fd(sock, buf, &got);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n == 0 || n == -1) {
			keyproc_mark_dead(n == 0 ? "its socket closed" : strerror(errno));
			return -EIO;
		}
		if (n < 0 || (size_t)n > KP_REP_MAX || kp_reply_decode(buf, (size_t)n, rp) < 0) {
			log_warnx("key process: malformed %zd-byte answer skipped", n);
			if (got >= 0)
				close(got);
			continue;
		}
		if (rp->id == id && fd) {
			*fd = got;
			return 0;
		}
		if (got >= 0)
			close(got);
		if (rp->id == id)
			return 0;
		/* the answer to an asker that timed out: not ours */
	}
}

/* round_trip() with kp_chans[chan].lock held. */
static int round_trip_locked(unsigned chan, struct kp_request *rq, uint8_t *buf,
			     struct kp_reply *rp, int *fd)
{
	size_t need = KP_REQ_HDR_LEN + 8 + rq->data_len;
	uint8_t *out = malloc(need);
	ssize_t n;
	int sock, rc;

	if (fd)
		*fd = -1;
	if (!out)
		return -ENOMEM;
	sock = keyproc_signer_fd(chan);
	rq->id = ++kp_chans[chan].next_id;
	n = kp_request_encode(rq, out, need);
	if (sock < 0)
		rc = -EIO;
	else if (n < 0)
		rc = (int)n;
	else if (send(sock, out, (size_t)n, MSG_NOSIGNAL) < 0) {
		rc = -EIO;
		keyproc_mark_dead(strerror(errno));
	} else
		rc = await_reply(sock, rq->id, buf, rp, fd);
	free(out);
	if (rc == 0 && rp->type != rq->type)
		rc = -EBADMSG;
	if (rc < 0 && fd && *fd >= 0) {
		close(*fd);
		*fd = -1;
	}
	return rc;
}

/* One request to the main signer (socket 0), its answer in rp (data
 * pointing into buf, KP_REP_MAX), and the descriptor it passed in *fd when
 * fd is not NULL (-1 if none). */
static int round_trip(struct kp_request *rq, uint8_t *buf, struct kp_reply *rp, int *fd)
{
	int rc;

	pthread_mutex_lock(&kp_chans[0].lock);
	rc = round_trip_locked(0, rq, buf, rp, fd);
	pthread_mutex_unlock(&kp_chans[0].lock);
	return rc;
}

/* A signer for one signature, its lock held: the first free one from a
 * rotating start, else wait for the start one. */
static unsigned take_signer(void)
{
	unsigned n = keyproc_signers(), start, i;

	if (n <= 1)
		start = 0;
	else {
		start = atomic_fetch_add(&kp_next_chan, 1) % n;
		for (unsigned k = 0; k < n; k++) {
			i = (start + k) % n;
			if (pthread_mutex_trylock(&kp_chans[i].lock) == 0)
				return i;
		}
	}
	pthread_mutex_lock(&kp_chans[start].lock);
	return start;
}

/*
 * SIGN_DATA over more than KP_DATA_MAX bytes (EdDSA over a TLS 1.2
 * client's transcript, which the server can make large): DATA parts, then
 * the rest with KP_SIGN_CONTINUED, all to one signer under one hold of its
 * lock so that no other signature's parts interleave.
 */
static int sign_in_parts(struct kp_request *rq, uint8_t *buf, struct kp_reply *rp)
{
	const uint8_t *data = rq->data;
	size_t total = rq->data_len, done = 0;
	unsigned chan;
	int rc = 0;

	if (total > KP_SIGN_TOTAL_MAX)
		return -EMSGSIZE;
	chan = take_signer();
	while (rc == 0 && total - done > KP_DATA_MAX) {
		struct kp_request part = { .type = KP_DATA, .offset = (uint32_t)done,
					   .data = data + done, .data_len = KP_DATA_MAX };

		rc = round_trip_locked(chan, &part, buf, rp, NULL);
		if (rc == 0 && rp->status < 0)
			rc = rp->status;
		done += KP_DATA_MAX;
	}
	if (rc == 0) {
		rq->flags |= KP_SIGN_CONTINUED;
		rq->data = data + done;
		rq->data_len = total - done;
		rc = round_trip_locked(chan, rq, buf, rp, NULL);
	}
	pthread_mutex_unlock(&kp_chans[chan].lock);
	return rc;
}

/* One signature request on whichever signer is free. */
static int sign_round_trip(struct kp_request *rq, uint8_t *buf, struct kp_reply *rp)
{
	unsigned chan = take_signer();
	int rc = round_trip_locked(chan, rq, buf, rp, NULL);

	pthread_mutex_unlock(&kp_chans[chan].lock);
	return rc;
}

/* The key process's refusal as text: its reason, else errno's. */
static int refusal(const struct kp_reply *rp, int rc, const char *what, char *reason,
		   size_t reason_len)
{
	if (rc == 0 && rp->status < 0) {
		if (rp->data_len)
			snprintf(reason, reason_len, "%.*s", (int)rp->data_len,
				 (const char *)rp->data);
		else
			snprintf(reason, reason_len, "%s: %s", what, strerror(-rp->status));
		return rp->status;
	}
	if (rc < 0)
		snprintf(reason, reason_len, "%s: the key process %s", what,
			 rc == -EINVAL ? "cannot take so long a name" : "does not answer");
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
	int rc = type == KP_SIGN_DATA && data->size > KP_DATA_MAX ?
		 sign_in_parts(&rq, buf, &rp) : sign_round_trip(&rq, buf, &rp);

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

static uint32_t prepared_generation;	/* from keyproc_config(), main thread */

int keyproc_config(uint32_t *generation, int *config_fd, char *reason, size_t reason_len)
{
	struct kp_request rq = { .type = KP_CONFIG, .generation = keyproc_new_generation() };
	uint8_t buf[KP_REP_MAX];
	struct kp_reply rp;
	int fd = -1, rc = round_trip(&rq, buf, &rp, &fd);

	if (rc < 0 || rp.status < 0)
		return refusal(&rp, rc, "configuration", reason, reason_len);
	*generation = rq.generation;
	prepared_generation = rq.generation;
	if (config_fd)
		*config_fd = fd;
	else if (fd >= 0)
		close(fd);
	return 0;
}

int keyproc_load_generation(uint32_t *generation, char *reason, size_t reason_len)
{
	if (prepared_generation) {
		*generation = prepared_generation;
		prepared_generation = 0;
		return 0;
	}
	if (keyproc_config(generation, NULL, reason, reason_len) < 0)
		return -EIO;
	prepared_generation = 0;
	return 0;
}

static int load(struct kp_key *k, const char *name, char *reason, size_t reason_len)
{
	struct kp_request rq = { .type = KP_LOAD, .generation = k->generation,
				 .index = k->index, .data = (const uint8_t *)name,
				 .data_len = strlen(name) };
	uint8_t buf[KP_REP_MAX];
	struct kp_reply rp;
	int rc = round_trip(&rq, buf, &rp, NULL);

	if (rc < 0 || rp.status < 0)
		return refusal(&rp, rc, "key file", reason, reason_len);
	k->pk = (gnutls_pk_algorithm_t)rp.pk_algo;
	k->bits = rp.bits;
	return 0;
}

int keyproc_open(uint32_t generation, uint32_t index, const char *name, enum kp_file kind,
		 char *reason, size_t reason_len)
{
	struct kp_request rq = { .type = KP_OPEN, .generation = generation, .index = index,
				 .file = (uint32_t)kind, .data = (const uint8_t *)name,
				 .data_len = strlen(name) };
	uint8_t buf[KP_REP_MAX];
	struct kp_reply rp;
	int fd = -1, rc = round_trip(&rq, buf, &rp, &fd);

	if (rc < 0 || rp.status < 0)
		return refusal(&rp, rc, "file", reason, reason_len);
	if (fd < 0) {
		snprintf(reason, reason_len, "the key process sent no file for profile %s", name);
		return -EBADMSG;
	}
	return fd;
}

int keyproc_privkey(uint32_t generation, uint32_t index, const char *name,
		    gnutls_privkey_t *out, char *reason, size_t reason_len)
{
	struct kp_key *k = calloc(1, sizeof(*k));
	gnutls_privkey_t key;
	int rc;

	if (!k) {
		snprintf(reason, reason_len, "out of memory");
		return -ENOMEM;
	}
	k->generation = generation;
	k->index = index;
	rc = load(k, name, reason, reason_len);
	if (rc < 0) {
		free(k);
		return rc;
	}
	if (gnutls_privkey_init(&key) < 0) {
		free(k);
		snprintf(reason, reason_len, "out of memory");
		return -ENOMEM;
	}
	rc = gnutls_privkey_import_ext4(key, k, ext_sign_data, ext_sign_hash, NULL, ext_deinit,
					ext_info, GNUTLS_PRIVKEY_IMPORT_AUTO_RELEASE);
	if (rc < 0) {
		gnutls_privkey_deinit(key);
		free(k);
		snprintf(reason, reason_len, "profile %s's key: %s", name, gnutls_strerror(rc));
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
	rc = round_trip(&rq, buf, &rp, NULL);

	if (rc == 0)
		rc = rp.status;
	if (rc < 0)
		log_warnx("key process: cannot drop key generation %u: %s", generation,
			  strerror(-rc));
}

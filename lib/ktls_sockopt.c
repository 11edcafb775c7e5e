// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * SOL_KTLS options: a per-socket store behind ktls_setsockopt/getsockopt.
 *
 * The kernel knows nothing of these options, so libktls keeps them, keyed by
 * the fd number AND the socket's identity (st_dev, st_ino): when the
 * application closes a socket without ktls_forget() and a new socket gets the
 * same number, the identity differs and the new socket starts with no
 * options, instead of inheriting another connection's server name.
 *
 * One mutex guards the whole store; every operation under it is a hash
 * lookup and a copy of at most one option (no syscalls but the sweep below),
 * so contention is not worth a finer scheme.  The store is bounded: at
 * ktls_store_max entries it first drops entries whose socket is gone, and
 * only then fails with ENOMEM.
 *
 * errno follows setsockopt(2): EBADF, ENOTSOCK, ENOPROTOOPT (unknown level or
 * option, or setting a read-only one), EINVAL (bad length or value), EFAULT
 * (NULL buffer), EMSGSIZE (KTLS_EARLY_DATA over KTLS_EARLY_DATA_MAX).  Getters copy strings with their NUL and set *optlen to the
 * bytes written; a buffer too small for a string or certificate is ERANGE
 * with *optlen set to the size needed, one too small for an int or the
 * fingerprint is EINVAL.  Without a peer certificate, KTLS_PEER_CERT and
 * KTLS_PEER_FINGERPRINT succeed with *optlen = 0.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ktls_internal.h"
#include "ktls_rekey.h"
#include "ktls_sockopt.h"

/* ktls_connect waits this much longer than the handshake timeout, so the
 * timeout must leave room for it in an int of milliseconds. */
#define TIMEOUT_MS_MAX (INT_MAX - 60000)
#define STORE_BUCKETS 256

/* The outcome of a successful handshake, allocated with the certificate. */
struct sock_results {
	uint16_t version, cipher;
	bool resumed, has_fingerprint;
	uint8_t early_status;		/* enum ktls_early_data_status */
	char group[sizeof(((struct ktls_hs_reply *)0)->group)];
	char alpn[KTLS_NAME_MAX];
	char sni[KTLS_NAME_MAX];
	char subject[KTLS_SUBJECT_MAX];
	uint8_t fingerprint[sizeof(((struct ktls_hs_reply *)0)->peer_fingerprint)];
	uint16_t cert_len;
	uint8_t early_flags;		/* KTLS_EARLY_* */
	uint16_t early_len;		/* the early data follows the certificate */
	uint8_t cert[];
};

struct sock_entry {
	struct sock_entry *next;
	int fd;
	dev_t dev;
	ino_t ino;
	/* set before the handshake */
	char server_name[KTLS_NAME_MAX];
	char profile[KTLS_NAME_MAX];
	char psk_identity[KTLS_NAME_MAX];
	char alpn_csv[KTLS_ALPN_MAX];	/* as set, for the getter */
	uint8_t alpn_wire[KTLS_ALPN_MAX];
	uint16_t alpn_len;
	int verify;
	int timeout_ms;
	int recv_tickets;		/* KTLS_RECV_TICKETS */
	int no_resume;
	int accept_early;		/* KTLS_ACCEPT_EARLY_DATA (server) */
	uint8_t *early;			/* KTLS_EARLY_DATA (client), until a handshake takes it */
	uint16_t early_len;
	/* the last handshake: results on success, error on failure */
	struct sock_results *results;
	char error[KTLS_REASON_MAX];
};

unsigned int ktls_store_max = KTLS_STORE_DEFAULT_MAX;

static pthread_mutex_t store_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sock_entry *buckets[STORE_BUCKETS];
static unsigned int store_count;

/* What a socket without an entry reads as. */
static const struct sock_entry no_options;

/* ---- identity and the table ------------------------------------------------ */

static int identify(int fd, struct stat *st)
{
	if (fd < 0 || fstat(fd, st) < 0)
		return -EBADF;
	return S_ISSOCK(st->st_mode) ? 0 : -ENOTSOCK;
}

static int fail_identify(int fd, int err)
{
	if (err == EBADF)
		return ktls_fail(err, "fd %d is not open", fd);
	return ktls_fail(err, "fd %d is not a socket", fd);
}

/* What every SOL_KTLS call checks first: an open socket, a level we know. */
static int check_ktls_call(int fd, int level, struct stat *st)
{
	int rc = identify(fd, st);

	if (rc < 0)
		return fail_identify(fd, -rc);
	if (level != SOL_KTLS)
		return ktls_fail(ENOPROTOOPT, "unknown option level %d (SOL_KTLS or SOL_TLS)",
				 level);
	return 0;
}

static bool same_socket(const struct sock_entry *e, const struct stat *st)
{
	return e->dev == st->st_dev && e->ino == st->st_ino;
}

/* The link that points at fd's entry, or at the NULL ending its bucket. */
static struct sock_entry **link_of(int fd)
{
	struct sock_entry **link = &buckets[(unsigned int)fd % STORE_BUCKETS];

	while (*link && (*link)->fd != fd)
		link = &(*link)->next;
	return link;
}

/* The caller's first bytes are the application's data: wiped like a secret. */
static void drop_early(struct sock_entry *e)
{
	if (e->early) {
		explicit_bzero(e->early, e->early_len);
		free(e->early);
	}
	e->early = NULL;
	e->early_len = 0;
}

static void unlink_entry(struct sock_entry **link)
{
	struct sock_entry *e = *link;

	*link = e->next;
	free(e->results);
	drop_early(e);
	free(e);
	store_count--;
}

/* fd's entry if it still belongs to the same socket.  An entry left by an
 * earlier socket with this number is dropped here. */
static struct sock_entry *find_locked(int fd, const struct stat *st)
{
	struct sock_entry **link = link_of(fd);

	if (*link && !same_socket(*link, st)) {
		unlink_entry(link);
		return NULL;
	}
	return *link;
}

/* Drop entries whose fd was closed or now holds another socket. */
static void sweep_stale_locked(void)
{
	for (size_t i = 0; i < STORE_BUCKETS; i++) {
		struct sock_entry **link = &buckets[i];

		while (*link) {
			struct stat st;

			if (identify((*link)->fd, &st) < 0 || !same_socket(*link, &st))
				unlink_entry(link);
			else
				link = &(*link)->next;
		}
	}
}

/* NULL when the store is full or memory is short; says nothing, so that
 * ktls_store_failed keeps the caller's reason (see fail_no_entry). */
static struct sock_entry *find_or_create_locked(int fd, const struct stat *st)
{
	struct sock_entry *e = find_locked(fd, st);

	if (e)
		return e;
	if (store_count >= ktls_store_max)
		sweep_stale_locked();
	if (store_count >= ktls_store_max)
		return NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->fd = fd;
	e->dev = st->st_dev;
	e->ino = st->st_ino;
	e->next = buckets[(unsigned int)fd % STORE_BUCKETS];
	buckets[(unsigned int)fd % STORE_BUCKETS] = e;
	store_count++;
	return e;
}

static int fail_no_entry_locked(void)
{
	if (store_count >= ktls_store_max)
		return ktls_fail(ENOMEM, "libktls keeps options for %u sockets already "
					 "(call ktls_forget() before closing sockets)",
				 store_count);
	return ktls_fail(ENOMEM, "out of memory for socket options");
}

unsigned int ktls_store_count(void)
{
	unsigned int count;

	pthread_mutex_lock(&store_lock);
	count = store_count;
	pthread_mutex_unlock(&store_lock);
	return count;
}

void ktls_forget(int fd)
{
	struct sock_entry **link;

	if (fd < 0)
		return;
	pthread_mutex_lock(&store_lock);
	link = link_of(fd);
	if (*link)
		unlink_entry(link);
	pthread_mutex_unlock(&store_lock);
	ktls_secrets_drop(fd);
}

/* ---- the handshake's view (ktls_client.c) --------------------------------- */

int ktls_store_begin(int fd, enum ktls_role role, struct ktls_hs_request *req)
{
	struct sock_entry *e;
	struct stat st;
	int rc = identify(fd, &st);

	if (rc < 0)
		return fail_identify(fd, -rc);
	memset(req, 0, sizeof(*req));
	req->role = (uint8_t)role;
	pthread_mutex_lock(&store_lock);
	e = find_locked(fd, &st);
	if (e) {
		req->verify = (uint8_t)e->verify;
		req->timeout_ms = (uint32_t)e->timeout_ms;
		if (e->recv_tickets)
			req->flags |= KTLS_REQ_RECV_TICKETS;
		req->no_resume = (uint8_t)e->no_resume;
		if (role == KTLS_ROLE_SERVER)
			req->accept_early = (uint32_t)e->accept_early;
		memcpy(req->server_name, e->server_name, sizeof(req->server_name));
		memcpy(req->profile, e->profile, sizeof(req->profile));
		memcpy(req->psk_identity, e->psk_identity, sizeof(req->psk_identity));
		memcpy(req->alpn, e->alpn_wire, e->alpn_len);
		req->alpn_len = e->alpn_len;
		if (e->early && role == KTLS_ROLE_CLIENT) {
			/* the request's own copy; the entry keeps its bytes for
			 * what the server does not accept (ktls_store_take_early) */
			req->early_data = malloc(e->early_len);
			if (!req->early_data) {
				pthread_mutex_unlock(&store_lock);
				return ktls_fail(ENOMEM, "out of memory for the early data");
			}
			memcpy(req->early_data, e->early, e->early_len);
			req->early_data_len = e->early_len;
		}
		free(e->results);
		e->results = NULL;
		e->error[0] = '\0';
	}
	pthread_mutex_unlock(&store_lock);
	return 0;
}

static struct sock_results *results_from_reply(const struct ktls_hs_reply *rep)
{
	struct sock_results *r = calloc(1, sizeof(*r) + rep->peer_cert_len + rep->early_len);

	if (!r)
		return NULL;
	r->version = rep->version;
	r->cipher = rep->cipher;
	r->resumed = rep->resumed;
	r->early_status = KTLS_EARLY_DATA_NONE;	/* ktls_store_early_status() */
	r->has_fingerprint = rep->has_fingerprint;
	memcpy(r->fingerprint, rep->peer_fingerprint, sizeof(r->fingerprint));
	/* The decoder guarantees NUL-terminated strings that fit. */
	memcpy(r->group, rep->group, sizeof(r->group));
	memcpy(r->alpn, rep->alpn, sizeof(r->alpn));
	memcpy(r->sni, rep->server_name, sizeof(r->sni));
	memcpy(r->subject, rep->peer_subject, sizeof(r->subject));
	r->cert_len = rep->peer_cert_len;
	memcpy(r->cert, rep->peer_cert, rep->peer_cert_len);
	r->early_flags = rep->early_flags;
	r->early_len = rep->early_len;
	memcpy(r->cert + r->cert_len, rep->early_data, rep->early_len);
	return r;
}

int ktls_store_succeeded(int fd, const struct ktls_hs_reply *rep)
{
	struct sock_results *results;
	struct sock_entry *e;
	struct stat st;
	int rc = identify(fd, &st);

	if (rc < 0)
		return fail_identify(fd, -rc);
	if (rep->peer_cert_len > KTLS_PEER_CERT_MAX)
		return ktls_fail(EINVAL, "peer certificate too large");
	if (rep->early_len > KTLS_ACCEPT_EARLY_DATA_MAX)
		return ktls_fail(EINVAL, "early data too large");
	results = results_from_reply(rep);
	if (!results)
		return ktls_fail(ENOMEM, "out of memory for the handshake results");
	pthread_mutex_lock(&store_lock);
	e = find_or_create_locked(fd, &st);
	if (e) {
		free(e->results);
		e->results = results;
		e->error[0] = '\0';
	} else {
		free(results);
		fail_no_entry_locked();
	}
	pthread_mutex_unlock(&store_lock);
	return e ? 0 : -1;
}

void ktls_store_failed(int fd, const char *reason)
{
	struct sock_entry *e;
	struct stat st;
	int saved_errno = errno;

	if (identify(fd, &st) < 0)
		return;
	pthread_mutex_lock(&store_lock);
	e = find_or_create_locked(fd, &st);
	if (e) {
		free(e->results);
		e->results = NULL;
		snprintf(e->error, sizeof(e->error), "%s", reason);
	}
	pthread_mutex_unlock(&store_lock);
	errno = saved_errno;
}

void ktls_store_take_early(int fd, uint8_t **buf, size_t *len)
{
	struct sock_entry *e;
	struct stat st;

	*buf = NULL;
	*len = 0;
	if (identify(fd, &st) < 0)
		return;
	pthread_mutex_lock(&store_lock);
	e = find_locked(fd, &st);
	if (e && e->early) {
		*buf = e->early;
		*len = e->early_len;
		e->early = NULL;
		e->early_len = 0;
	}
	pthread_mutex_unlock(&store_lock);
}

void ktls_store_early_status(int fd, uint8_t status)
{
	struct sock_entry *e;
	struct stat st;

	if (identify(fd, &st) < 0)
		return;
	pthread_mutex_lock(&store_lock);
	e = find_locked(fd, &st);
	if (e && e->results)
		e->results->early_status = status;
	pthread_mutex_unlock(&store_lock);
}

/* ---- setsockopt ------------------------------------------------------------------ */

/* A string option: optlen bytes, one trailing NUL allowed, none inside. */
static int parse_string(const void *optval, socklen_t optlen, char *out, size_t cap,
			const char *what)
{
	const char *s = optval;
	size_t len = optlen;

	if (len > 0 && !s)
		return ktls_fail(EFAULT, "%s: NULL value with length %zu", what, len);
	if (len > 0 && s[len - 1] == '\0')
		len--;
	if (len > 0 && memchr(s, '\0', len))
		return ktls_fail(EINVAL, "%s contains a NUL byte", what);
	if (len >= cap)
		return ktls_fail(EINVAL, "%s is %zu bytes, at most %zu allowed", what, len,
				 cap - 1);
	if (len > 0)
		memcpy(out, s, len);
	out[len] = '\0';
	return 0;
}

static int parse_int(const void *optval, socklen_t optlen, int min, int max, int *out,
		     const char *what)
{
	if (optlen != sizeof(int))
		return ktls_fail(EINVAL, "%s takes an int (length %zu, got %u)", what,
				 sizeof(int), (unsigned int)optlen);
	if (!optval)
		return ktls_fail(EFAULT, "%s: NULL value", what);
	memcpy(out, optval, sizeof(int));
	if (*out < min || *out > max)
		return ktls_fail(EINVAL, "%s: %d is out of range %d..%d", what, *out, min, max);
	return 0;
}

/* A validated option value, staged before the lock is taken. */
struct staged_value {
	uint8_t *bytes;			/* KTLS_EARLY_DATA: heap, the entry takes it */
	uint16_t bytes_len;
	char text[KTLS_NAME_MAX];
	uint8_t alpn_wire[KTLS_ALPN_MAX];
	uint16_t alpn_len;
	int number;
};

_Static_assert(KTLS_ALPN_MAX <= KTLS_NAME_MAX, "ALPN csv must fit staged text");

static int parse_alpn(const void *optval, socklen_t optlen, struct staged_value *v)
{
	if (parse_string(optval, optlen, v->text, KTLS_ALPN_MAX, "KTLS_ALPN") < 0)
		return -1;
	if (ktls_alpn_from_csv(v->text, v->alpn_wire, &v->alpn_len) < 0)
		return ktls_fail(EINVAL, "KTLS_ALPN \"%s\": expected a comma-separated list "
					 "of 1..255-byte protocol names, 256 bytes in all",
				 v->text);
	return 0;
}

/* 1..KTLS_EARLY_DATA_MAX bytes; length 0 clears what was set. */
static int parse_early_data(const void *optval, socklen_t optlen, struct staged_value *v)
{
	if (optlen > KTLS_EARLY_DATA_MAX)
		return ktls_fail(EMSGSIZE, "KTLS_EARLY_DATA is %u bytes, at most %u allowed",
				 (unsigned int)optlen, (unsigned int)KTLS_EARLY_DATA_MAX);
	if (optlen > 0 && !optval)
		return ktls_fail(EFAULT, "KTLS_EARLY_DATA: NULL value with length %u",
				 (unsigned int)optlen);
	if (optlen == 0)
		return 0;
	v->bytes = malloc(optlen);
	if (!v->bytes)
		return ktls_fail(ENOMEM, "out of memory for the early data");
	memcpy(v->bytes, optval, optlen);
	v->bytes_len = (uint16_t)optlen;
	return 0;
}

static int fail_read_only(int optname)
{
	return ktls_fail(ENOPROTOOPT, "SOL_KTLS option %d is read-only (set by the handshake)",
			 optname);
}

/* Validate optval for optname into v: 0, or -1 + errno. */
static int parse_option(int optname, const void *optval, socklen_t optlen,
			struct staged_value *v)
{
	switch ((enum ktls_option)optname) {
	case KTLS_SERVER_NAME:
		return parse_string(optval, optlen, v->text, KTLS_NAME_MAX, "KTLS_SERVER_NAME");
	case KTLS_PROFILE:
		return parse_string(optval, optlen, v->text, KTLS_NAME_MAX, "KTLS_PROFILE");
	case KTLS_PSK_IDENTITY:
		return parse_string(optval, optlen, v->text, KTLS_NAME_MAX, "KTLS_PSK_IDENTITY");
	case KTLS_ALPN:
		return parse_alpn(optval, optlen, v);
	case KTLS_VERIFY:
		return parse_int(optval, optlen, KTLS_VERIFY_DEFAULT, KTLS_VERIFY_NONE,
				 &v->number, "KTLS_VERIFY");
	case KTLS_HANDSHAKE_TIMEOUT:
		return parse_int(optval, optlen, 0, TIMEOUT_MS_MAX, &v->number,
				 "KTLS_HANDSHAKE_TIMEOUT");
	case KTLS_RECV_TICKETS:
		return parse_int(optval, optlen, 0, 1, &v->number, "KTLS_RECV_TICKETS");
	case KTLS_NO_RESUME:
		return parse_int(optval, optlen, 0, 1, &v->number, "KTLS_NO_RESUME");
	case KTLS_ACCEPT_EARLY_DATA:
		return parse_int(optval, optlen, 0, KTLS_ACCEPT_EARLY_DATA_MAX, &v->number,
				 "KTLS_ACCEPT_EARLY_DATA");
	case KTLS_EARLY_DATA:
		return parse_early_data(optval, optlen, v);
	case KTLS_EARLY_DATA_FLAGS:
	case KTLS_EARLY_DATA_STATUS:
	case KTLS_VERSION:
	case KTLS_CIPHER:
	case KTLS_ALPN_SELECTED:
	case KTLS_PEER_CERT:
	case KTLS_PEER_SUBJECT:
	case KTLS_PEER_FINGERPRINT:
	case KTLS_RESUMED:
	case KTLS_GROUP:
	case KTLS_ERROR:
	case KTLS_SNI_RECEIVED:
		return fail_read_only(optname);
	}
	return ktls_fail(ENOPROTOOPT, "unknown SOL_KTLS option %d", optname);
}

/* Only called for the options parse_option accepted.  Takes v->bytes. */
static void apply_option(struct sock_entry *e, int optname, struct staged_value *v)
{
	switch (optname) {
	case KTLS_SERVER_NAME:
		memcpy(e->server_name, v->text, sizeof(e->server_name));
		break;
	case KTLS_PROFILE:
		memcpy(e->profile, v->text, sizeof(e->profile));
		break;
	case KTLS_PSK_IDENTITY:
		memcpy(e->psk_identity, v->text, sizeof(e->psk_identity));
		break;
	case KTLS_ALPN:
		memcpy(e->alpn_csv, v->text, sizeof(e->alpn_csv));
		memcpy(e->alpn_wire, v->alpn_wire, sizeof(e->alpn_wire));
		e->alpn_len = v->alpn_len;
		break;
	case KTLS_VERIFY:
		e->verify = v->number;
		break;
	case KTLS_HANDSHAKE_TIMEOUT:
		e->timeout_ms = v->number;
		break;
	case KTLS_RECV_TICKETS:
		e->recv_tickets = v->number;
		break;
	case KTLS_NO_RESUME:
		e->no_resume = v->number;
		break;
	case KTLS_ACCEPT_EARLY_DATA:
		e->accept_early = v->number;
		break;
	case KTLS_EARLY_DATA:
		drop_early(e);
		e->early = v->bytes;
		e->early_len = v->bytes_len;
		v->bytes = NULL;
		break;
	}
}

static int pass_to_kernel_set(int fd, int optname, const void *optval, socklen_t optlen)
{
	if (setsockopt(fd, SOL_TLS, optname, optval, optlen) < 0)
		return ktls_fail(errno, "setsockopt(SOL_TLS, %d): %s", optname, strerror(errno));
	return 0;
}

int ktls_setsockopt(int fd, int level, int optname, const void *optval, socklen_t optlen)
{
	struct staged_value value;
	struct sock_entry *e;
	struct stat st;

	ktls_clear_error();
	if (level == SOL_TLS)
		return pass_to_kernel_set(fd, optname, optval, optlen);
	if (check_ktls_call(fd, level, &st) < 0)
		return -1;
	memset(&value, 0, sizeof(value));
	if (parse_option(optname, optval, optlen, &value) < 0)
		return -1;
	pthread_mutex_lock(&store_lock);
	e = find_or_create_locked(fd, &st);
	if (e)
		apply_option(e, optname, &value);
	else
		fail_no_entry_locked();
	pthread_mutex_unlock(&store_lock);
	if (value.bytes) {	/* not taken: no entry */
		explicit_bzero(value.bytes, value.bytes_len);
		free(value.bytes);
	}
	return e ? 0 : -1;
}

/* ---- getsockopt ------------------------------------------------------------------ */

static int put_int(void *optval, socklen_t *optlen, int value)
{
	if (*optlen < sizeof(int))
		return ktls_fail(EINVAL, "option buffer of %u bytes is smaller than an int",
				 (unsigned int)*optlen);
	memcpy(optval, &value, sizeof(int));
	*optlen = sizeof(int);
	return 0;
}

/* Bytes that must not be cut short: ERANGE and the size needed instead. */
static int put_bytes(void *optval, socklen_t *optlen, const void *bytes, size_t len)
{
	if (*optlen < len) {
		*optlen = (socklen_t)len;
		return ktls_fail(ERANGE, "option buffer too small: %zu bytes needed", len);
	}
	if (len > 0)
		memcpy(optval, bytes, len);
	*optlen = (socklen_t)len;
	return 0;
}

static int put_string(void *optval, socklen_t *optlen, const char *s)
{
	return put_bytes(optval, optlen, s, strlen(s) + 1);
}

static int put_fingerprint(void *optval, socklen_t *optlen, const struct sock_results *r)
{
	if (!r->has_fingerprint) {
		*optlen = 0;	/* the peer sent no certificate */
		return 0;
	}
	if (*optlen < sizeof(r->fingerprint))
		return ktls_fail(EINVAL, "KTLS_PEER_FINGERPRINT needs a %zu-byte buffer",
				 sizeof(r->fingerprint));
	return put_bytes(optval, optlen, r->fingerprint, sizeof(r->fingerprint));
}

static int get_result(const struct sock_results *r, int optname, void *optval,
		      socklen_t *optlen)
{
	if (!r)
		return ktls_fail(ENOTCONN, "no completed handshake on this socket");
	switch ((enum ktls_option)optname) {
	case KTLS_VERSION:
		return put_int(optval, optlen, r->version);
	case KTLS_CIPHER:
		return put_int(optval, optlen, r->cipher);
	case KTLS_RESUMED:
		return put_int(optval, optlen, r->resumed);
	case KTLS_EARLY_DATA_STATUS:
		return put_int(optval, optlen, r->early_status);
	case KTLS_ALPN_SELECTED:
		return put_string(optval, optlen, r->alpn);
	case KTLS_PEER_SUBJECT:
		return put_string(optval, optlen, r->subject);
	case KTLS_GROUP:
		return put_string(optval, optlen, r->group);
	case KTLS_SNI_RECEIVED:
		return put_string(optval, optlen, r->sni);
	case KTLS_PEER_CERT:
		return put_bytes(optval, optlen, r->cert, r->cert_len);
	case KTLS_PEER_FINGERPRINT:
		return put_fingerprint(optval, optlen, r);
	case KTLS_EARLY_DATA:
		return put_bytes(optval, optlen, r->cert + r->cert_len, r->early_len);
	case KTLS_EARLY_DATA_FLAGS:
		return put_int(optval, optlen, r->early_flags);
	case KTLS_ACCEPT_EARLY_DATA:
	case KTLS_SERVER_NAME:
	case KTLS_ALPN:
	case KTLS_PROFILE:
	case KTLS_VERIFY:
	case KTLS_PSK_IDENTITY:
	case KTLS_HANDSHAKE_TIMEOUT:
	case KTLS_RECV_TICKETS:
	case KTLS_NO_RESUME:
	case KTLS_ERROR:
		break;	/* not results; get_option handles them */
	}
	return ktls_fail(ENOPROTOOPT, "unknown SOL_KTLS option %d", optname);
}

static int get_option(const struct sock_entry *e, int optname, void *optval,
		      socklen_t *optlen)
{
	switch ((enum ktls_option)optname) {
	case KTLS_SERVER_NAME:
		return put_string(optval, optlen, e->server_name);
	case KTLS_ALPN:
		return put_string(optval, optlen, e->alpn_csv);
	case KTLS_PROFILE:
		return put_string(optval, optlen, e->profile);
	case KTLS_PSK_IDENTITY:
		return put_string(optval, optlen, e->psk_identity);
	case KTLS_VERIFY:
		return put_int(optval, optlen, e->verify);
	case KTLS_HANDSHAKE_TIMEOUT:
		return put_int(optval, optlen, e->timeout_ms);
	case KTLS_RECV_TICKETS:
		return put_int(optval, optlen, e->recv_tickets);
	case KTLS_NO_RESUME:
		return put_int(optval, optlen, e->no_resume);
	case KTLS_ACCEPT_EARLY_DATA:
		return put_int(optval, optlen, e->accept_early);
	case KTLS_ERROR:
		return put_string(optval, optlen, e->error);
	case KTLS_EARLY_DATA:
		/* after a handshake: what the server received as 0-RTT (none
		 * for a client); before one: the client's bytes still to send */
		if (e->results)
			return get_result(e->results, optname, optval, optlen);
		return put_bytes(optval, optlen, e->early, e->early_len);
	case KTLS_EARLY_DATA_STATUS:
	case KTLS_VERSION:
	case KTLS_CIPHER:
	case KTLS_ALPN_SELECTED:
	case KTLS_PEER_CERT:
	case KTLS_PEER_SUBJECT:
	case KTLS_PEER_FINGERPRINT:
	case KTLS_RESUMED:
	case KTLS_GROUP:
	case KTLS_SNI_RECEIVED:
	case KTLS_EARLY_DATA_FLAGS:
		return get_result(e->results, optname, optval, optlen);
	}
	return ktls_fail(ENOPROTOOPT, "unknown SOL_KTLS option %d", optname);
}

static int pass_to_kernel_get(int fd, int optname, void *optval, socklen_t *optlen)
{
	if (getsockopt(fd, SOL_TLS, optname, optval, optlen) < 0)
		return ktls_fail(errno, "getsockopt(SOL_TLS, %d): %s", optname, strerror(errno));
	return 0;
}

int ktls_getsockopt(int fd, int level, int optname, void *optval, socklen_t *optlen)
{
	const struct sock_entry *e;
	struct stat st;
	int rc;

	ktls_clear_error();
	if (level == SOL_TLS)
		return pass_to_kernel_get(fd, optname, optval, optlen);
	if (check_ktls_call(fd, level, &st) < 0)
		return -1;
	if (!optlen || (*optlen > 0 && !optval))
		return ktls_fail(EFAULT, "NULL option buffer");
	pthread_mutex_lock(&store_lock);
	e = find_locked(fd, &st);
	rc = get_option(e ? e : &no_options, optname, optval, optlen);
	pthread_mutex_unlock(&store_lock);
	return rc;
}

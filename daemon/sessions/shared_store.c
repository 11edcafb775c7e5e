// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The shared session store in memcached (shared_store.h), through
 * libmemcached.
 *
 * Concurrency: a worker borrows a memcached_st from a small pool (each is
 * one connection per server, and libmemcached's handles are not safe to
 * share between threads), uses it without any lock held, and gives it
 * back.  The pool grows up to STORE_POOL_MAX handles (one per worker in
 * practice: a worker runs one GnuTLS callback at a time); past that a
 * call fails at once rather than wait.
 *
 * Bounded wait: the handles are non-blocking with libmemcached's connect
 * and poll timeouts at timeout_ms, so one operation waits at most about
 * that for each step (connect, the request, the reply).  A server that
 * failed is not tried again by that handle for STORE_RETRY_S, so a store
 * that is down costs the first handshakes one timeout each and the rest
 * nothing.  Host names are resolved once, at open (before the sandbox,
 * which cannot read /etc/hosts or resolv.conf); memcached is given the
 * numbers.
 */
#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <libmemcached/memcached.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "base/reason.h"
#include "process/log.h"
#include "sessions/shared_store.h"

#define STORE_POOL_MAX 64
#define STORE_RETRY_S 1			/* a failed server's quiet time, per handle */
#define STORE_REMIND_S 300		/* "still down" at most this often */

struct shared_store {
	uint8_t key[SHARED_STORE_KEY_LEN];
	memcached_st *proto;		/* configured, never used for I/O: cloned */
	char *servers;			/* as configured, for logs */
	pthread_mutex_t lock;		/* the pool and the health state */
	memcached_st *idle[STORE_POOL_MAX];
	size_t n_idle, n_handles;
	atomic_uint_fast64_t errors;
	atomic_int down;		/* read without the lock on the fast path */
	uint64_t errors_at_down;
	int down_logged;		/* this outage's failure was logged */
	time_t last_log;		/* of a failure or reminder */
	time_t last_foreign_log;
	void (*count_error)(void *arg, const char *name);
	void *count_arg;
};

/* ---- servers ---- */

#define bad_servers(reason, reason_len, ...) reason_fail(reason, reason_len, -EINVAL, __VA_ARGS__)

/* One "host:port" or "[v6]:port" of len bytes. */
static int parse_server(const char *s, size_t len, struct shared_store_server *out,
			char *reason, size_t reason_len)
{
	char item[300];
	const char *host, *colon;
	size_t host_len;
	char *end;
	unsigned long port;

	if (len == 0 || len >= sizeof(item))
		return bad_servers(reason, reason_len, "empty or too long server entry");
	memcpy(item, s, len);
	item[len] = '\0';
	colon = strrchr(item, ':');
	if (!colon || !colon[1])
		return bad_servers(reason, reason_len, "\"%s\" is not HOST:PORT", item);
	host = item;
	host_len = (size_t)(colon - item);
	if (item[0] == '[') {
		if (host_len < 3 || item[host_len - 1] != ']')
			return bad_servers(reason, reason_len, "\"%s\" is not [ADDRESS]:PORT",
					   item);
		host++;
		host_len -= 2;
	} else if (memchr(item, ':', host_len)) {
		return bad_servers(reason, reason_len,
				   "\"%s\": write an IPv6 address as [ADDRESS]:PORT", item);
	}
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (*end || errno || port == 0 || port > 65535 || host_len == 0 ||
	    host_len >= sizeof(out->host))
		return bad_servers(reason, reason_len, "\"%s\" is not HOST:PORT (port 1-65535)",
				   item);
	memcpy(out->host, host, host_len);
	out->host[host_len] = '\0';
	out->port = (uint16_t)port;
	return 0;
}

int shared_store_parse_servers(const char *servers, struct shared_store_server *out,
			       size_t max, size_t *n, char *reason, size_t reason_len)
{
	const char *p = servers;
	int rc;

	*n = 0;
	if (!servers || !*servers)
		return bad_servers(reason, reason_len, "no servers");
	for (;;) {
		size_t len;

		while (*p == ' ')
			p++;
		len = strcspn(p, ", ");
		if (*n == max)
			return bad_servers(reason, reason_len, "more than %zu servers", max);
		rc = parse_server(p, len, &out[*n], reason, reason_len);
		if (rc < 0)
			return rc;
		(*n)++;
		p += len;
		while (*p == ' ')
			p++;
		if (!*p)
			return 0;
		if (*p++ != ',')
			return bad_servers(reason, reason_len, "\"%s\": separate servers with commas",
					   servers);
	}
}

/* The host's first address as numbers, for libmemcached (which would
 * otherwise resolve it at each connect, inside the sandbox). */
static int resolve(const char *host, char *out, size_t out_len, char *reason, size_t reason_len)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;
	int rc = getaddrinfo(host, NULL, &hints, &res);

	if (rc != 0) {
		snprintf(reason, reason_len, "cannot resolve %s: %s", host, gai_strerror(rc));
		return -EHOSTUNREACH;
	}
	rc = getnameinfo(res->ai_addr, res->ai_addrlen, out, (socklen_t)out_len, NULL, 0,
			 NI_NUMERICHOST);
	freeaddrinfo(res);
	if (rc != 0) {
		snprintf(reason, reason_len, "cannot print %s's address: %s", host,
			 gai_strerror(rc));
		return -EINVAL;
	}
	return 0;
}

static int set_behaviors(memcached_st *mc, unsigned timeout_ms)
{
	const struct {
		memcached_behavior_t what;
		uint64_t value;
	} list[] = {
		/* connect timeouts work only on non-blocking sockets */
		{ MEMCACHED_BEHAVIOR_NO_BLOCK, 1 },
		{ MEMCACHED_BEHAVIOR_TCP_NODELAY, 1 },
		{ MEMCACHED_BEHAVIOR_CONNECT_TIMEOUT, timeout_ms },
		{ MEMCACHED_BEHAVIOR_POLL_TIMEOUT, timeout_ms },
		{ MEMCACHED_BEHAVIOR_SND_TIMEOUT, (uint64_t)timeout_ms * 1000 },
		{ MEMCACHED_BEHAVIOR_RCV_TIMEOUT, (uint64_t)timeout_ms * 1000 },
		{ MEMCACHED_BEHAVIOR_RETRY_TIMEOUT, STORE_RETRY_S },
		/* Every host maps a name to the same server (ketama), and a
		 * server going away moves only its own share. */
		{ MEMCACHED_BEHAVIOR_KETAMA, 1 },
	};

	for (size_t i = 0; i < sizeof(list) / sizeof(list[0]); i++)
		if (memcached_behavior_set(mc, list[i].what, list[i].value) != MEMCACHED_SUCCESS)
			return -EINVAL;
	return 0;
}

static int add_servers(memcached_st *mc, const char *servers, char *reason, size_t reason_len)
{
	struct shared_store_server list[SHARED_STORE_SERVERS_MAX];
	char numeric[NI_MAXHOST];
	size_t n;
	int rc = shared_store_parse_servers(servers, list, SHARED_STORE_SERVERS_MAX, &n, reason,
					    reason_len);

	for (size_t i = 0; rc == 0 && i < n; i++) {
		rc = resolve(list[i].host, numeric, sizeof(numeric), reason, reason_len);
		if (rc == 0 && memcached_server_add(mc, numeric, list[i].port) != MEMCACHED_SUCCESS) {
			snprintf(reason, reason_len, "cannot add memcached server %s", numeric);
			rc = -EINVAL;
		}
	}
	return rc;
}

int shared_store_open(const struct shared_store_options *opt,
		      const uint8_t key[SHARED_STORE_KEY_LEN], struct shared_store **out,
		      char *reason, size_t reason_len)
{
	struct shared_store *st = calloc(1, sizeof(*st));
	int rc = -ENOMEM;

	*out = NULL;
	if (!st || !(st->servers = strdup(opt->servers ? opt->servers : "")) ||
	    !(st->proto = memcached_create(NULL))) {
		snprintf(reason, reason_len, "out of memory");
		goto fail;
	}
	if (opt->timeout_ms == 0) {
		snprintf(reason, reason_len, "timeout must be at least 1 ms");
		rc = -EINVAL;
		goto fail;
	}
	rc = set_behaviors(st->proto, opt->timeout_ms);
	if (rc < 0) {
		snprintf(reason, reason_len, "libmemcached refused a setting");
		goto fail;
	}
	rc = add_servers(st->proto, st->servers, reason, reason_len);
	if (rc < 0)
		goto fail;
	memcpy(st->key, key, SHARED_STORE_KEY_LEN);
	st->count_error = opt->count_error;
	st->count_arg = opt->count_arg;
	pthread_mutex_init(&st->lock, NULL);
	*out = st;
	return 0;
fail:
	if (st) {
		if (st->proto)
			memcached_free(st->proto);
		free(st->servers);
		free(st);
	}
	return rc;
}

void shared_store_close(struct shared_store *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->n_idle; i++)
		memcached_free(st->idle[i]);
	memcached_free(st->proto);
	pthread_mutex_destroy(&st->lock);
	gnutls_memset(st->key, 0, sizeof(st->key));
	free(st->servers);
	free(st);
}

void shared_store_set_key(struct shared_store *st, const uint8_t key[SHARED_STORE_KEY_LEN])
{
	pthread_mutex_lock(&st->lock);
	memcpy(st->key, key, SHARED_STORE_KEY_LEN);
	pthread_mutex_unlock(&st->lock);
}

/* Each call works on its own copy: a rotation may swap st->key meanwhile. */
static void key_copy(struct shared_store *st, uint8_t out[SHARED_STORE_KEY_LEN])
{
	pthread_mutex_lock(&st->lock);
	memcpy(out, st->key, SHARED_STORE_KEY_LEN);
	pthread_mutex_unlock(&st->lock);
}

uint64_t shared_store_errors(const struct shared_store *st)
{
	return st ? atomic_load(&st->errors) : 0;
}

/* ---- the pool ---- */

static memcached_st *conn_get(struct shared_store *st)
{
	memcached_st *mc = NULL;
	int grow = 0;

	pthread_mutex_lock(&st->lock);
	if (st->n_idle)
		mc = st->idle[--st->n_idle];
	else if (st->n_handles < STORE_POOL_MAX)
		grow = (int)++st->n_handles;
	pthread_mutex_unlock(&st->lock);
	if (!grow)
		return mc;
	/* proto is only read after open: cloning it needs no lock. */
	mc = memcached_clone(NULL, st->proto);
	if (!mc) {
		pthread_mutex_lock(&st->lock);
		st->n_handles--;
		pthread_mutex_unlock(&st->lock);
	}
	return mc;
}

static void conn_put(struct shared_store *st, memcached_st *mc)
{
	pthread_mutex_lock(&st->lock);
	st->idle[st->n_idle++] = mc;
	pthread_mutex_unlock(&st->lock);
}

/* ---- health: log the first failure, then the recovery ---- */

static void count(struct shared_store *st, const char *name)
{
	atomic_fetch_add(&st->errors, 1);
	if (st->count_error)
		st->count_error(st->count_arg, name);
}

static void store_failed(struct shared_store *st, const char *name, const char *op,
			 const char *why)
{
	time_t now = time(NULL);

	count(st, name);
	pthread_mutex_lock(&st->lock);
	if (!atomic_load(&st->down)) {
		atomic_store(&st->down, 1);
		st->errors_at_down = atomic_load(&st->errors) - 1;
		/* A store that flaps says so once a reminder period, not at
		 * every turn; its recovery is said only if its failure was. */
		st->down_logged = !st->last_log || now - st->last_log >= STORE_REMIND_S;
		if (st->down_logged) {
			st->last_log = now;
			log_warnx("session store (memcached %s): %s failed: %s; full handshakes "
				  "until it answers again", st->servers, op, why);
		}
	} else if (now - st->last_log >= STORE_REMIND_S) {
		st->last_log = now;
		st->down_logged = 1;
		log_warnx("session store (memcached %s) still failing: %llu errors so far (%s)",
			  st->servers,
			  (unsigned long long)(atomic_load(&st->errors) - st->errors_at_down), why);
	}
	pthread_mutex_unlock(&st->lock);
}

static void store_answered(struct shared_store *st)
{
	if (!atomic_load(&st->down))
		return;
	pthread_mutex_lock(&st->lock);
	if (atomic_load(&st->down)) {
		atomic_store(&st->down, 0);
		if (st->down_logged)
			log_info("session store (memcached %s) answers again after %llu errors",
				 st->servers,
				 (unsigned long long)(atomic_load(&st->errors) -
						      st->errors_at_down));
	}
	pthread_mutex_unlock(&st->lock);
}

/* An entry our key does not open: another ticket key in the fleet (or a
 * rotation), or someone writing to the store.  Counted; said rarely. */
static void store_foreign(struct shared_store *st, const char *name, int rc)
{
	time_t now = time(NULL);

	count(st, name);
	pthread_mutex_lock(&st->lock);
	if (now - st->last_foreign_log >= STORE_REMIND_S) {
		st->last_foreign_log = now;
		log_warnx("session store: entry %s does not open with this host's key (%s): a "
			  "host with another ticket_key_file, or tampering; full handshake",
			  name, strerror(-rc));
	}
	pthread_mutex_unlock(&st->lock);
}

/* The result of one call: 0, -ENOENT (miss), -EEXIST (add found it), or a
 * failure, counted and logged. */
static int store_result(struct shared_store *st, memcached_st *mc, memcached_return_t mrc,
			const char *name, const char *op)
{
	/* (libmemcached's enum: if, not a switch that would have to name its
	 * fifty values) */
	if (mrc == MEMCACHED_SUCCESS || mrc == MEMCACHED_NOTFOUND ||
	    mrc == MEMCACHED_NOTSTORED || mrc == MEMCACHED_DATA_EXISTS) {
		store_answered(st);
		if (mrc == MEMCACHED_SUCCESS)
			return 0;
		/* NOTSTORED: add found the name */
		return mrc == MEMCACHED_NOTFOUND ? -ENOENT : -EEXIST;
	}
	store_failed(st, name, op, memcached_strerror(mc, mrc));
	return mrc == MEMCACHED_TIMEOUT ? -ETIMEDOUT : -EIO;
}

/* memcached's text protocol: 1-250 bytes, no space or control byte. */
static int valid_name(const char *name)
{
	size_t len = name ? strlen(name) : 0;

	if (len == 0 || len > SHARED_STORE_NAME_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)name[i] <= 0x20 || (unsigned char)name[i] >= 0x7f)
			return 0;
	return 1;
}

static int pool_busy(struct shared_store *st, const char *name, const char *op)
{
	store_failed(st, name, op, "no free connection (all workers are waiting on the store)");
	return -EBUSY;
}

/* ---- operations ---- */

static unsigned clamp_ttl(unsigned ttl_s)
{
	return ttl_s > SHARED_STORE_TTL_MAX ? SHARED_STORE_TTL_MAX : ttl_s;
}

int shared_store_put(struct shared_store *st, const char *name, const uint8_t *data,
		     size_t len, unsigned ttl_s)
{
	size_t sealed_len = len + SHARED_STORE_OVERHEAD;
	uint8_t key[SHARED_STORE_KEY_LEN];
	uint8_t *sealed;
	memcached_st *mc;
	int rc;

	if (!valid_name(name) || ttl_s == 0 || len > SHARED_STORE_PLAIN_MAX)
		return -EINVAL;
	ttl_s = clamp_ttl(ttl_s);
	sealed = malloc(sealed_len);
	if (!sealed)
		return -ENOMEM;
	key_copy(st, key);
	rc = shared_store_seal(key, name, (uint64_t)time(NULL) + ttl_s, NULL, data, len, sealed,
			       sealed_len);
	gnutls_memset(key, 0, sizeof(key));
	if (rc == 0) {
		mc = conn_get(st);
		if (!mc) {
			rc = pool_busy(st, name, "store");
		} else {
			rc = store_result(st, mc, memcached_set(mc, name, strlen(name),
								(const char *)sealed, sealed_len,
								(time_t)ttl_s, 0), name, "store");
			conn_put(st, mc);
		}
	}
	free(sealed);		/* sealed: nothing to wipe */
	return rc;
}

static int open_entry(struct shared_store *st, const char *name, const uint8_t *sealed,
		      size_t sealed_len, uint8_t **data, size_t *len)
{
	uint8_t key[SHARED_STORE_KEY_LEN];
	uint8_t *plain;
	size_t plain_len;
	int rc;

	if (sealed_len < SHARED_STORE_OVERHEAD ||
	    sealed_len - SHARED_STORE_OVERHEAD > SHARED_STORE_PLAIN_MAX) {
		store_foreign(st, name, -EINVAL);
		return -ENOENT;
	}
	plain_len = sealed_len - SHARED_STORE_OVERHEAD;
	plain = malloc(plain_len ? plain_len : 1);
	if (!plain)
		return -ENOMEM;
	key_copy(st, key);
	rc = shared_store_unseal(key, name, (uint64_t)time(NULL), sealed, sealed_len, plain,
				 plain_len);
	gnutls_memset(key, 0, sizeof(key));
	if (rc < 0) {
		free(plain);	/* unseal wiped it */
		if (rc != -ESTALE)
			store_foreign(st, name, rc);
		return -ENOENT;
	}
	*data = plain;
	*len = plain_len;
	return 0;
}

int shared_store_get(struct shared_store *st, const char *name, uint8_t **data, size_t *len)
{
	memcached_return_t mrc;
	memcached_st *mc;
	size_t value_len = 0;
	uint32_t flags;
	char *value;
	int rc;

	*data = NULL;
	*len = 0;
	if (!valid_name(name))
		return -EINVAL;
	mc = conn_get(st);
	if (!mc)
		return pool_busy(st, name, "fetch");
	value = memcached_get(mc, name, strlen(name), &value_len, &flags, &mrc);
	rc = store_result(st, mc, mrc, name, "fetch");
	conn_put(st, mc);
	if (rc == 0 && !value)
		rc = -ENOENT;
	if (rc == 0)
		rc = open_entry(st, name, (const uint8_t *)value, value_len, data, len);
	free(value);
	return rc == -EEXIST ? -EIO : rc;
}

int shared_store_remove(struct shared_store *st, const char *name)
{
	memcached_st *mc;
	int rc;

	if (!valid_name(name))
		return -EINVAL;
	mc = conn_get(st);
	if (!mc)
		return pool_busy(st, name, "remove");
	rc = store_result(st, mc, memcached_delete(mc, name, strlen(name), 0), name,
			  "remove");
	conn_put(st, mc);
	return rc == -ENOENT ? 0 : rc;
}

int shared_store_add_once(struct shared_store *st, const char *ns, const uint8_t *id,
			  size_t id_len, unsigned ttl_s)
{
	char name[SHARED_STORE_ONCE_NAME_LEN + 1];
	memcached_st *mc;
	int rc;

	/* memcached reads 0 as "never expires": a record must end. */
	if (ttl_s == 0)
		return -EINVAL;
	rc = shared_store_once_name(ns, id, id_len, name, sizeof(name));
	if (rc < 0)
		return rc;
	mc = conn_get(st);
	if (!mc)
		return pool_busy(st, name, "add");
	rc = store_result(st, mc, memcached_add(mc, name, strlen(name), "1", 1,
						(time_t)clamp_ttl(ttl_s), 0), name, "add");
	conn_put(st, mc);
	return rc == -ENOENT ? -EIO : rc;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The server's TLS 1.2 session-ID cache: a local tier bounded in entries
 * and bytes (least recently used out first, expired entries never
 * returned, every dropped entry wiped: they hold master secrets), and an
 * optional shared store under it (session_db.h has the contract).
 *
 * One mutex guards the local tier: an operation is a hash lookup and a few
 * pointer moves, far below a handshake's cost, and the shared store is
 * called outside it.
 */
#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/config.h"
#include "sessions/session_db.h"
#include "sessions/session_stats.h"

struct entry {
	struct entry *hnext;		/* hash chain */
	struct entry *prev, *next;	/* LRU: head most recent */
	uint64_t expires_ms;
	size_t len;
	uint8_t *data;
	char key[SESSION_DB_KEY_MAX];
	char profile[68];		/* for the eviction counters */
};

/* What an entry costs beyond its data, for the byte bound. */
#define ENTRY_OVERHEAD sizeof(struct entry)

static pthread_mutex_t db_lock = PTHREAD_MUTEX_INITIALIZER;
static struct entry **buckets;
static size_t n_buckets;		/* a power of two */
static struct entry *lru_head, *lru_tail;
static size_t max_entries = SESSION_DB_DEFAULT_ENTRIES, max_bytes = SESSION_DB_DEFAULT_BYTES;
static struct session_db_counts counts;
static _Atomic(const struct session_db_backend *) shared;

static uint64_t clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t (*session_db_now_ms)(void) = clock_ms;	/* tests move time */

static size_t hash_key(const char *key)
{
	uint64_t h = 1469598103934665603ull;	/* FNV-1a */

	for (; *key; key++)
		h = (h ^ (uint8_t)*key) * 1099511628211ull;
	return (size_t)(h ^ (h >> 32));
}

/* Under db_lock. */
static int ensure_table(void)
{
	size_t n = 64;

	if (buckets)
		return 0;
	while (n < max_entries && n < (1u << 20))
		n <<= 1;
	buckets = calloc(n, sizeof(*buckets));
	if (!buckets)
		return -ENOMEM;
	n_buckets = n;
	return 0;
}

int session_db_init(size_t entries, size_t bytes)
{
	int rc;

	if (!entries || !bytes)
		return -EINVAL;
	pthread_mutex_lock(&db_lock);
	max_entries = entries;
	max_bytes = bytes;
	rc = buckets ? 0 : ensure_table();
	pthread_mutex_unlock(&db_lock);
	return rc;
}

static void lru_unlink(struct entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		lru_head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		lru_tail = e->prev;
	e->prev = e->next = NULL;
}

static void lru_push_front(struct entry *e)
{
	e->prev = NULL;
	e->next = lru_head;
	if (lru_head)
		lru_head->prev = e;
	lru_head = e;
	if (!lru_tail)
		lru_tail = e;
}

static struct entry **find_slot(const char *key)
{
	struct entry **pp = &buckets[hash_key(key) & (n_buckets - 1)];

	while (*pp && strcmp((*pp)->key, key) != 0)
		pp = &(*pp)->hnext;
	return pp;
}

/* Unlinks and wipes e.  Under db_lock. */
static void drop(struct entry *e)
{
	struct entry **pp = find_slot(e->key);

	if (*pp == e)
		*pp = e->hnext;
	lru_unlink(e);
	counts.entries--;
	counts.bytes -= e->len + ENTRY_OVERHEAD;
	explicit_bzero(e->data, e->len);
	free(e->data);
	explicit_bzero(e, sizeof(*e));
	free(e);
}

static int key_for_name(const char *name, const uint8_t *id, size_t id_len,
			char out[SESSION_DB_KEY_MAX])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t digest[32];
	size_t pos;

	if (!name || (id_len && !id) || id_len > SESSION_DB_ID_MAX)
		return -EINVAL;
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, name, strlen(name), digest) < 0)
		return -EIO;
	memcpy(out, "ktlsd1:", 7);
	pos = 7;
	for (size_t i = 0; i < 16; i++) {
		out[pos++] = hex[digest[i] >> 4];
		out[pos++] = hex[digest[i] & 15];
	}
	out[pos++] = ':';
	for (size_t i = 0; i < id_len; i++) {
		out[pos++] = hex[id[i] >> 4];
		out[pos++] = hex[id[i] & 15];
	}
	out[pos] = '\0';
	return 0;
}

int session_db_key(const struct cfg_profile *p, const uint8_t *id, size_t id_len,
		   char out[SESSION_DB_KEY_MAX])
{
	return p ? key_for_name(p->name, id, id_len, out) : -EINVAL;
}

/* Under db_lock: evict from the tail until one more entry of len fits. */
static void make_room(size_t len)
{
	while (lru_tail && (counts.entries + 1 > max_entries ||
			    counts.bytes + len + ENTRY_OVERHEAD > max_bytes)) {
		session_stats_count(lru_tail->profile, SESSION_STAT_CACHE_EVICT);
		drop(lru_tail);
		counts.evictions++;
	}
}

static int local_store(const char *profile, const char *key, const uint8_t *data, size_t len,
		       unsigned ttl_s)
{
	struct entry *e, **pp;
	int rc;

	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->data = malloc(len);
	if (!e->data) {
		free(e);
		return -ENOMEM;
	}
	memcpy(e->data, data, len);
	e->len = len;
	snprintf(e->key, sizeof(e->key), "%s", key);
	snprintf(e->profile, sizeof(e->profile), "%s", profile);
	e->expires_ms = session_db_now_ms() + (uint64_t)ttl_s * 1000u;

	pthread_mutex_lock(&db_lock);
	rc = ensure_table();
	if (rc == 0) {
		pp = find_slot(key);
		if (*pp)
			drop(*pp);	/* a session ID stored again: the newer wins */
		make_room(len);
		pp = find_slot(key);
		e->hnext = *pp;
		*pp = e;
		lru_push_front(e);
		counts.entries++;
		counts.bytes += len + ENTRY_OVERHEAD;
	}
	pthread_mutex_unlock(&db_lock);
	if (rc < 0) {
		explicit_bzero(e->data, len);
		free(e->data);
		free(e);
	}
	return rc;
}

/* 0 and a copy, -ENOENT (absent or expired: an expired one is dropped). */
static int local_fetch(const char *key, uint8_t **data, size_t *len)
{
	struct entry *e;
	int rc = -ENOENT;

	pthread_mutex_lock(&db_lock);
	e = buckets ? *find_slot(key) : NULL;
	if (e && e->expires_ms <= session_db_now_ms()) {
		session_stats_count(e->profile, SESSION_STAT_CACHE_EVICT);
		drop(e);
		counts.expired++;
		e = NULL;
	}
	if (e) {
		*data = malloc(e->len);
		if (*data) {
			memcpy(*data, e->data, e->len);
			*len = e->len;
			lru_unlink(e);
			lru_push_front(e);
			rc = 0;
		} else {
			rc = -ENOMEM;
		}
	}
	if (rc == 0)
		counts.hits++;
	else
		counts.misses++;
	pthread_mutex_unlock(&db_lock);
	return rc;
}

static void local_remove(const char *key)
{
	struct entry *e;

	pthread_mutex_lock(&db_lock);
	e = buckets ? *find_slot(key) : NULL;
	if (e)
		drop(e);
	pthread_mutex_unlock(&db_lock);
}

void session_db_set_shared(const struct session_db_backend *b)
{
	atomic_store(&shared, b);
}

int session_db_store(const struct cfg_profile *p, const uint8_t *id, size_t id_len,
		     const uint8_t *data, size_t len, unsigned ttl_s)
{
	const struct session_db_backend *b = atomic_load(&shared);
	char key[SESSION_DB_KEY_MAX];
	int rc;

	if (!data || !len || !ttl_s || !id_len)
		return -EINVAL;
	if (len > SESSION_DB_ENTRY_MAX)
		return -EMSGSIZE;
	rc = session_db_key(p, id, id_len, key);
	if (rc < 0)
		return rc;
	rc = local_store(p->name, key, data, len, ttl_s);
	if (b && b->store)
		(void)b->store(b->ctx, key, data, len, ttl_s);	/* counted by the backend */
	return rc;
}

int session_db_fetch(const struct cfg_profile *p, const uint8_t *id, size_t id_len,
		     uint8_t **data, size_t *len)
{
	const struct session_db_backend *b = atomic_load(&shared);
	char key[SESSION_DB_KEY_MAX];
	int rc;

	*data = NULL;
	*len = 0;
	if (!id_len)
		return -ENOENT;
	rc = session_db_key(p, id, id_len, key);
	if (rc < 0)
		return rc;
	rc = local_fetch(key, data, len);
	if (rc != -ENOENT || !b || !b->fetch)
		return rc;
	/* Shared store: any failure is a miss (a full handshake, never an
	 * error); a hit is kept locally for next time, for the profile's
	 * lifetime at most (the store's own TTL is not known here). */
	if (b->fetch(b->ctx, key, data, len) < 0 || !*data) {
		*data = NULL;
		*len = 0;
		return -ENOENT;
	}
	if (*len == 0 || *len > SESSION_DB_ENTRY_MAX) {
		explicit_bzero(*data, *len);
		free(*data);
		*data = NULL;
		*len = 0;
		return -ENOENT;
	}
	(void)local_store(p->name, key, *data, *len, p->session_lifetime_s);
	return 0;
}

int session_db_remove(const struct cfg_profile *p, const uint8_t *id, size_t id_len)
{
	const struct session_db_backend *b = atomic_load(&shared);
	char key[SESSION_DB_KEY_MAX];
	int rc = session_db_key(p, id, id_len, key);

	if (rc < 0)
		return rc;
	local_remove(key);
	if (b && b->remove)
		(void)b->remove(b->ctx, key);
	return 0;
}

void session_db_flush(const char *profile_name)
{
	char prefix[SESSION_DB_KEY_MAX];
	size_t plen = 0;
	struct entry *e, *next;

	if (profile_name) {
		if (key_for_name(profile_name, NULL, 0, prefix) < 0)
			return;
		plen = strlen(prefix);
	}
	pthread_mutex_lock(&db_lock);
	for (e = lru_head; e; e = next) {
		next = e->next;
		if (!profile_name || strncmp(e->key, prefix, plen) == 0)
			drop(e);
	}
	pthread_mutex_unlock(&db_lock);
}

void session_db_shutdown(void)
{
	session_db_flush(NULL);
	pthread_mutex_lock(&db_lock);
	free(buckets);
	buckets = NULL;
	n_buckets = 0;
	memset(&counts, 0, sizeof(counts));
	pthread_mutex_unlock(&db_lock);
}

void session_db_get_counts(struct session_db_counts *out)
{
	pthread_mutex_lock(&db_lock);
	*out = counts;
	pthread_mutex_unlock(&db_lock);
}

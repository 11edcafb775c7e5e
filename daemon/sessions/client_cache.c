// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The client session cache (client_cache.h).  A hash table of chains by id
 * plus one LRU list, both intrusive, under one mutex: a lookup is a few
 * comparisons next to a handshake, so finer locking would buy nothing.
 *
 * Memory: an entry is one allocation holding the session data and the
 * peer certificate copy; "bytes" counts those allocations, so the bound is
 * on what remote servers can make us hold (session data and certificates
 * are theirs to size).
 */
#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sessions/client_cache.h"
#include "sessions/session_stats.h"

#define N_BUCKETS 1024u		/* power of two; chains stay short at the default size */

struct cc_entry {
	uint8_t id[CLIENT_CACHE_ID_LEN];
	uint8_t trust_digest[CLIENT_CACHE_DIGEST_LEN];
	char profile[KTLS_STATUS_NAME_MAX];
	int tls13;
	uint64_t expires_ms;
	struct client_cache_facts facts;	/* facts.peer_cert points into blob */
	uint8_t *data;				/* into blob */
	size_t data_len;
	size_t size;				/* of this allocation */
	struct cc_entry *chain;			/* bucket */
	struct cc_entry *newer, *older;		/* LRU */
	uint8_t blob[];				/* data, then peer_cert */
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cc_entry *buckets[N_BUCKETS];
static struct cc_entry *newest, *oldest;
static size_t n_entries, n_bytes;
static size_t max_entries = CLIENT_CACHE_DEFAULT_ENTRIES;
static size_t max_bytes = CLIENT_CACHE_DEFAULT_BYTES;

/* ---- ids ---- */

static void hash_field(gnutls_hash_hd_t h, const void *data, size_t len)
{
	uint8_t len_be[4] = { (uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8),
			      (uint8_t)len };

	/* Length-prefixed, so that no two different keys hash the same
	 * bytes ("a" + "bc" vs "ab" + "c"). */
	gnutls_hash(h, len_be, sizeof(len_be));
	if (len)
		gnutls_hash(h, data, len);
}

static void hash_string(gnutls_hash_hd_t h, const char *s)
{
	hash_field(h, s ? s : "", s ? strlen(s) : 0);
}

void client_cache_key_id(const struct client_cache_key *key, uint8_t id[CLIENT_CACHE_ID_LEN])
{
	static const uint8_t zero[CLIENT_CACHE_DIGEST_LEN];
	gnutls_hash_hd_t h;
	uint8_t port_be[2] = { (uint8_t)(key->port >> 8), (uint8_t)key->port };

	if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0) {
		/* Cannot happen short of a broken GnuTLS; an id of all 0xff
		 * is then shared by every key, so make it unusable instead. */
		memset(id, 0xff, CLIENT_CACHE_ID_LEN);
		return;
	}
	hash_string(h, "ktlsd client session v1");
	hash_string(h, key->profile);
	hash_string(h, key->server);
	hash_field(h, port_be, sizeof(port_be));
	hash_field(h, key->alpn, key->alpn ? key->alpn_len : 0);
	hash_field(h, &key->verify, 1);
	hash_string(h, key->client_identity);
	hash_field(h, key->trust_digest ? key->trust_digest : zero, CLIENT_CACHE_DIGEST_LEN);
	gnutls_hash_deinit(h, id);
}

static int id_unusable(const uint8_t id[CLIENT_CACHE_ID_LEN])
{
	for (size_t i = 0; i < CLIENT_CACHE_ID_LEN; i++)
		if (id[i] != 0xff)
			return 0;
	return 1;
}

static unsigned bucket_of(const uint8_t id[CLIENT_CACHE_ID_LEN])
{
	return ((unsigned)id[0] << 8 | id[1]) & (N_BUCKETS - 1);
}

/* ---- entries (all under cache_lock) ---- */

static void lru_unlink(struct cc_entry *e)
{
	if (e->newer)
		e->newer->older = e->older;
	else
		newest = e->older;
	if (e->older)
		e->older->newer = e->newer;
	else
		oldest = e->newer;
	e->newer = e->older = NULL;
}

static void lru_push(struct cc_entry *e)
{
	e->older = newest;
	e->newer = NULL;
	if (newest)
		newest->newer = e;
	newest = e;
	if (!oldest)
		oldest = e;
}

static void chain_unlink(struct cc_entry *e)
{
	for (struct cc_entry **pp = &buckets[bucket_of(e->id)]; *pp; pp = &(*pp)->chain)
		if (*pp == e) {
			*pp = e->chain;
			return;
		}
}

/* Unlink, wipe, free.  The whole allocation is wiped: the session data
 * holds the resumption secret; the rest is cheap to wipe with it. */
static void entry_destroy(struct cc_entry *e)
{
	chain_unlink(e);
	lru_unlink(e);
	n_entries--;
	n_bytes -= e->size;
	gnutls_memset(e, 0, e->size);
	free(e);
}

/* Gone before its use: counted as an eviction for its profile. */
static void entry_evict(struct cc_entry *e)
{
	session_stats_count(e->profile, SESSION_STAT_CACHE_EVICT);
	entry_destroy(e);
}

/* The entries kept for id that a new session replaces (not evictions):
 * a TLS 1.2 session replaces them all, a TLS 1.3 ticket any TLS 1.2
 * session and, with CLIENT_CACHE_TICKETS_PER_KEY tickets kept already, the
 * oldest of them.  A bucket's chain is newest first. */
static void replace_for(const uint8_t id[CLIENT_CACHE_ID_LEN], int tls13)
{
	struct cc_entry *e, *next, *oldest_ticket = NULL;
	unsigned tickets = 0;

	for (e = buckets[bucket_of(id)]; e; e = next) {
		next = e->chain;
		if (memcmp(e->id, id, CLIENT_CACHE_ID_LEN) != 0)
			continue;
		if (!tls13 || !e->tls13) {
			entry_destroy(e);
			continue;
		}
		tickets++;
		oldest_ticket = e;
	}
	if (tickets >= CLIENT_CACHE_TICKETS_PER_KEY)
		entry_destroy(oldest_ticket);
}

/* id's newest entry. */
static struct cc_entry *entry_find(const uint8_t id[CLIENT_CACHE_ID_LEN])
{
	for (struct cc_entry *e = buckets[bucket_of(id)]; e; e = e->chain)
		if (memcmp(e->id, id, CLIENT_CACHE_ID_LEN) == 0)
			return e;
	return NULL;
}

/* Make room for one more entry of size bytes: the oldest go first. */
static void make_room(size_t size)
{
	while (oldest && (n_entries + 1 > max_entries || n_bytes + size > max_bytes))
		entry_evict(oldest);
}

static void shrink_to_bounds(void)
{
	while (oldest && (n_entries > max_entries || n_bytes > max_bytes))
		entry_evict(oldest);
}

/* ---- API ---- */

void client_cache_configure(size_t entries, size_t bytes)
{
	pthread_mutex_lock(&cache_lock);
	max_entries = entries;
	max_bytes = bytes;
	shrink_to_bounds();
	pthread_mutex_unlock(&cache_lock);
}

static uint64_t expiry_of(uint32_t lifetime_s, int tls13, uint64_t now_ms)
{
	uint32_t s = lifetime_s ? lifetime_s : CLIENT_CACHE_TLS12_LIFETIME_S;

	if (!tls13 && s > CLIENT_CACHE_TLS12_LIFETIME_S)
		s = CLIENT_CACHE_TLS12_LIFETIME_S;
	if (s > CLIENT_CACHE_MAX_LIFETIME_S)
		s = CLIENT_CACHE_MAX_LIFETIME_S;
	return now_ms + (uint64_t)s * 1000;
}

int client_cache_put(const uint8_t id[CLIENT_CACHE_ID_LEN], const char *profile,
		     const uint8_t trust_digest[CLIENT_CACHE_DIGEST_LEN], int tls13,
		     uint32_t lifetime_s, const uint8_t *data, size_t len,
		     const struct client_cache_facts *facts, uint64_t now_ms)
{
	size_t cert_len = facts && facts->peer_cert ? facts->peer_cert_len : 0;
	size_t size = sizeof(struct cc_entry) + len + cert_len;
	struct cc_entry *e;

	if (!data || !len || id_unusable(id))
		return -EINVAL;
	/* TLS 1.3: a ticket_lifetime of 0 says "do not keep" (RFC 8446 4.6.1). */
	if (tls13 && lifetime_s == 0)
		return -EINVAL;
	pthread_mutex_lock(&cache_lock);
	if (max_entries == 0 || size > max_bytes) {
		pthread_mutex_unlock(&cache_lock);
		return -ENOSPC;
	}
	pthread_mutex_unlock(&cache_lock);

	e = calloc(1, size);
	if (!e)
		return -ENOMEM;
	memcpy(e->id, id, CLIENT_CACHE_ID_LEN);
	memcpy(e->trust_digest, trust_digest, CLIENT_CACHE_DIGEST_LEN);
	snprintf(e->profile, sizeof(e->profile), "%s", profile ? profile : "-");
	e->tls13 = tls13;
	e->expires_ms = expiry_of(lifetime_s, tls13, now_ms);
	e->size = size;
	e->data = e->blob;
	e->data_len = len;
	memcpy(e->data, data, len);
	if (facts) {
		e->facts = *facts;
		e->facts.peer_cert = NULL;
		e->facts.peer_cert_len = 0;
	}
	if (cert_len) {
		memcpy(e->blob + len, facts->peer_cert, cert_len);
		e->facts.peer_cert = e->blob + len;
		e->facts.peer_cert_len = (uint16_t)cert_len;
	}

	pthread_mutex_lock(&cache_lock);
	replace_for(id, tls13);
	make_room(size);
	if (n_entries + 1 > max_entries || n_bytes + size > max_bytes) {
		/* reconfigured smaller since the check above */
		pthread_mutex_unlock(&cache_lock);
		gnutls_memset(e, 0, size);
		free(e);
		return -ENOSPC;
	}
	e->chain = buckets[bucket_of(id)];
	buckets[bucket_of(id)] = e;
	lru_push(e);
	n_entries++;
	n_bytes += size;
	pthread_mutex_unlock(&cache_lock);
	return 0;
}

static int copy_out(const struct cc_entry *e, struct client_cache_hit *hit)
{
	size_t cert_len = e->facts.peer_cert ? e->facts.peer_cert_len : 0;
	uint8_t *buf = malloc(e->data_len + cert_len);

	if (!buf)
		return -ENOMEM;
	memcpy(buf, e->data, e->data_len);
	if (cert_len)
		memcpy(buf + e->data_len, e->facts.peer_cert, cert_len);
	hit->data = buf;
	hit->len = e->data_len;
	hit->tls13 = e->tls13;
	hit->facts = e->facts;
	hit->facts.peer_cert = cert_len ? buf + e->data_len : NULL;
	hit->facts.peer_cert_len = (uint16_t)cert_len;
	return 0;
}

int client_cache_take(const uint8_t id[CLIENT_CACHE_ID_LEN], const char *profile,
		      uint64_t now_ms, struct client_cache_hit *hit)
{
	struct cc_entry *e;
	int rc = -ENOENT;

	memset(hit, 0, sizeof(*hit));
	pthread_mutex_lock(&cache_lock);
	e = id_unusable(id) ? NULL : entry_find(id);
	while (e && now_ms >= e->expires_ms) {
		entry_evict(e);
		e = entry_find(id);
	}
	if (e) {
		rc = copy_out(e, hit);
		if (rc == 0 && e->tls13)
			entry_destroy(e);	/* used once: RFC 8446 C.4 */
		else if (rc == 0) {
			lru_unlink(e);
			lru_push(e);
		}
	}
	pthread_mutex_unlock(&cache_lock);
	session_stats_count(profile, rc == 0 ? SESSION_STAT_CACHE_HIT : SESSION_STAT_CACHE_MISS);
	return rc;
}

void client_cache_hit_free(struct client_cache_hit *hit)
{
	if (!hit || !hit->data)
		return;
	gnutls_memset(hit->data, 0, hit->len + hit->facts.peer_cert_len);
	free(hit->data);
	memset(hit, 0, sizeof(*hit));
}

size_t client_cache_purge(int (*keep)(const char *profile, const uint8_t *trust_digest,
				      void *ctx), void *ctx)
{
	size_t dropped = 0;
	struct cc_entry *e, *next;

	pthread_mutex_lock(&cache_lock);
	for (e = oldest; e; e = next) {
		next = e->newer;
		if (!keep(e->profile, e->trust_digest, ctx)) {
			entry_evict(e);
			dropped++;
		}
	}
	pthread_mutex_unlock(&cache_lock);
	return dropped;
}

size_t client_cache_expire(uint64_t now_ms)
{
	size_t dropped = 0;
	struct cc_entry *e, *next;

	pthread_mutex_lock(&cache_lock);
	for (e = oldest; e; e = next) {
		next = e->newer;
		if (now_ms >= e->expires_ms) {
			entry_evict(e);
			dropped++;
		}
	}
	pthread_mutex_unlock(&cache_lock);
	return dropped;
}

void client_cache_clear(void)
{
	pthread_mutex_lock(&cache_lock);
	while (oldest)
		entry_destroy(oldest);
	pthread_mutex_unlock(&cache_lock);
}

void client_cache_usage(size_t *entries, size_t *bytes)
{
	pthread_mutex_lock(&cache_lock);
	if (entries)
		*entries = n_entries;
	if (bytes)
		*bytes = n_bytes;
	pthread_mutex_unlock(&cache_lock);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Server-side TLS 1.2 session-ID cache (GnuTLS db functions), per profile.
 *
 * Two tiers behind one interface:
 *  - the local cache (session_db.c): bounded in entries and bytes, expiry,
 *    least recently used out first, every entry wiped when dropped;
 *  - an optional shared store (memcached, daemon/sessions/store_*.c, by
 *    the `store` helper) plugged in with session_db_set_shared().
 *
 * store: local always, then shared (if any).  fetch: local first; on a
 * miss the shared store, and a hit there is copied into the local cache.
 * remove: both.  A shared store that fails or is slow never fails a
 * handshake: its errors come back as -ENOENT from fetch (a full handshake)
 * and are counted by the backend; store/remove ignore its errors.
 *
 * Keys are namespaced by profile: entries of profile A are never found
 * under profile B (same session ID or not), locally or in the store.  The
 * shared backend receives the namespaced key made by session_db_key(), a
 * printable string fit for memcached's text protocol, and the session
 * blob as GnuTLS packed it (holds the master secret: the backend seals it).
 * TTL = the session's remaining lifetime in seconds (profile
 * session_lifetime), never 0.
 *
 * Thread-safe: handshakes run in worker threads.
 */
#ifndef KTLSD_SESSION_DB_H
#define KTLSD_SESSION_DB_H

#include <stddef.h>
#include <stdint.h>

struct cfg_profile;

#define SESSION_DB_ID_MAX 32		/* TLS 1.2 session_id <0..32> */
/* "ktlsd1:" + 32 hex (SHA-256 of the profile name, first 16 bytes) + ":"
 * + up to 64 hex (the session ID) + NUL. */
#define SESSION_DB_KEY_MAX (7 + 32 + 1 + 2 * SESSION_DB_ID_MAX + 1)
#define SESSION_DB_ENTRY_MAX 16384	/* a packed GnuTLS session is ~1-5 KiB */

/* The shared store under the local cache.  Each function returns 0 or
 * -errno (fetch: -ENOENT when absent; *data malloc'd, the caller wipes and
 * frees it).  ctx is the backend's own.  Called from worker threads
 * concurrently: the backend does its own locking and bounds its own waits
 * (a handshake blocks for as long as fetch takes). */
struct session_db_backend {
	const char *name;		/* "memcached": for logs */
	int (*store)(void *ctx, const char *key, const uint8_t *data, size_t len,
		     unsigned ttl_s);
	int (*fetch)(void *ctx, const char *key, uint8_t **data, size_t *len);
	int (*remove)(void *ctx, const char *key);
	void *ctx;
};

/* Limits of the local cache (process-wide, all profiles). */
#define SESSION_DB_DEFAULT_ENTRIES 20000
#define SESSION_DB_DEFAULT_BYTES (32u << 20)

/* 0 / -errno.  Not thread-safe against handshakes: call at start. */
int session_db_init(size_t max_entries, size_t max_bytes);
void session_db_shutdown(void);	/* wipes and frees everything */

/* Install (or with NULL remove) the shared store.  The table must stay
 * valid until replaced; may be called on SIGHUP while handshakes run. */
void session_db_set_shared(const struct session_db_backend *b);

/* Namespaced key for profile p (its name) and a session ID: out gets
 * SESSION_DB_KEY_MAX bytes.  0, or -EINVAL for an ID over 32 bytes. */
int session_db_key(const struct cfg_profile *p, const uint8_t *id, size_t id_len,
		   char out[SESSION_DB_KEY_MAX]);

int session_db_store(const struct cfg_profile *p, const uint8_t *id, size_t id_len,
		     const uint8_t *data, size_t len, unsigned ttl_s);
/* *data malloc'd: wipe (explicit_bzero) and free it.  -ENOENT if absent or
 * expired. */
int session_db_fetch(const struct cfg_profile *p, const uint8_t *id, size_t id_len,
		     uint8_t **data, size_t *len);
int session_db_remove(const struct cfg_profile *p, const uint8_t *id, size_t id_len);

/* Drop every local entry of profile name (a reload that changes its
 * credentials or turns session_ids off).  NULL: all. */
void session_db_flush(const char *profile_name);

/* Local cache counters, for tests and status. */
struct session_db_counts {
	size_t entries, bytes;
	uint64_t hits, misses, evictions, expired;
};
void session_db_get_counts(struct session_db_counts *out);

/* The clock of expiry (CLOCK_MONOTONIC ms); tests replace it. */
extern uint64_t (*session_db_now_ms)(void);

#endif

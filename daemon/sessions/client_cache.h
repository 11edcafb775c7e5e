/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The client role's host-wide TLS session cache: sessions (TLS 1.3 tickets,
 * TLS 1.2 tickets and session IDs) that ktlsd received as a client, kept so
 * that the next handshake to the same server through the same profile can
 * resume, whichever application asks for it.
 *
 * An entry is found by an id: SHA-256 over everything that decided what
 * "verified" meant for the session it holds (struct client_cache_key), so
 * it is never offered to another server name, port, ALPN list, verify mode,
 * client identity, or under a profile whose trust has changed.  TLS 1.3
 * tickets are single use (RFC 8446 C.4): taking one removes it; a few are
 * kept per id for handshakes to one server at once.  Entries
 * expire with the ticket's lifetime; the cache is bounded in entries and
 * bytes, least recently used out first; session data (it holds the
 * resumption secret) is wiped with gnutls_memset() whenever an entry goes.
 *
 * Thread-safe (one mutex): workers take and put, the main thread
 * configures, purges on reload and clears at shutdown.  Times are
 * CLOCK_MONOTONIC milliseconds passed in by the caller (tests move them).
 */
#ifndef KTLSD_CLIENT_CACHE_H
#define KTLSD_CLIENT_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "ktls_proto.h"

#define CLIENT_CACHE_ID_LEN 32
#define CLIENT_CACHE_DIGEST_LEN 32
/* TLS 1.3 caps ticket_lifetime at 7 days (RFC 8446 4.6.1): so do we. */
#define CLIENT_CACHE_MAX_LIFETIME_S 604800u
/* A TLS 1.2 session ID comes with no lifetime, a TLS 1.2 ticket maybe with
 * none (hint 0): keep them this long; a server that forgot the session
 * sooner costs one full handshake, nothing more. */
#define CLIENT_CACHE_TLS12_LIFETIME_S 3600u
/* TLS 1.3 tickets are single use: keep up to this many per key, so that
 * as many handshakes to one server at once can resume (each resumed one
 * brings a fresh ticket); a TLS 1.2 session, reusable, is kept alone. */
#define CLIENT_CACHE_TICKETS_PER_KEY 4u
#define CLIENT_CACHE_DEFAULT_ENTRIES 1024u
#define CLIENT_CACHE_DEFAULT_BYTES (4u << 20)

/* What decided "verified" for a session: all of it must match to resume. */
struct client_cache_key {
	const char *profile;
	const char *server;		/* the server name, or its address when none */
	uint16_t port;
	const uint8_t *alpn;		/* wire list offered; may be NULL with alpn_len 0 */
	uint16_t alpn_len;
	uint8_t verify;			/* enum ktls_verify in effect */
	const char *client_identity;	/* PSK identity, "" for the profile's own cert */
	const uint8_t *trust_digest;	/* CLIENT_CACHE_DIGEST_LEN bytes: the profile's
					 * CA, verify, priority, client certificate */
};

/* What the caller of a resumed handshake reads, as after the full one it
 * resumes: GnuTLS may not have the peer certificate on resumption. */
struct client_cache_facts {
	char peer_subject[KTLS_SUBJECT_MAX];
	uint8_t peer_fingerprint[32];
	uint8_t has_fingerprint, peer_verified;
	uint16_t peer_cert_len;
	const uint8_t *peer_cert;	/* put: borrowed; taken: in the hit */
	/* TLS 1.3: the ticket's early_data max_early_data_size as the server
	 * sent it (RFC 8446 4.6.1), 0 when it allows no 0-RTT.  Read from the
	 * message because GnuTLS 3.7's session data claims UINT32_MAX for
	 * every ticket without the extension (engine/early_send.c). */
	uint32_t max_early_data;
};

/* A session taken from the cache, the caller's until client_cache_hit_free()
 * (which wipes it). */
struct client_cache_hit {
	uint8_t *data;			/* gnutls_session_set_data() input */
	size_t len;
	int tls13;
	struct client_cache_facts facts;
};

void client_cache_key_id(const struct client_cache_key *key, uint8_t id[CLIENT_CACHE_ID_LEN]);

/* Bounds; entries 0 turns the cache off (and empties it).  Shrinking
 * evicts at once. */
void client_cache_configure(size_t max_entries, size_t max_bytes);

/*
 * Keep a session for id: data from gnutls_session_get_data2(), lifetime_s
 * from its ticket (0: none given), tls13 marks it single-use.  A TLS 1.3
 * ticket joins those kept for id (the oldest goes beyond
 * CLIENT_CACHE_TICKETS_PER_KEY); a TLS 1.2 session replaces them all.
 * 0, -ENOSPC (larger than the whole cache, or the cache is off) or
 * -ENOMEM.
 */
int client_cache_put(const uint8_t id[CLIENT_CACHE_ID_LEN], const char *profile,
		     const uint8_t trust_digest[CLIENT_CACHE_DIGEST_LEN], int tls13,
		     uint32_t lifetime_s, const uint8_t *data, size_t len,
		     const struct client_cache_facts *facts, uint64_t now_ms);

/*
 * Find a usable session for id, the newest: 0 with *hit filled (a TLS 1.3
 * ticket is removed from the cache, a TLS 1.2 session stays), -ENOENT if
 * none (an expired one is dropped on the way), -ENOMEM.  Counts a cache hit or miss
 * for profile.
 */
int client_cache_take(const uint8_t id[CLIENT_CACHE_ID_LEN], const char *profile,
		      uint64_t now_ms, struct client_cache_hit *hit);
void client_cache_hit_free(struct client_cache_hit *hit);

/* After a reload: drop every entry for which keep(profile, trust_digest,
 * ctx) says 0 (profile gone, cache off, trust changed).  The number dropped. */
size_t client_cache_purge(int (*keep)(const char *profile, const uint8_t *trust_digest,
				      void *ctx), void *ctx);
/* Drop expired entries now (they are also dropped when met). */
size_t client_cache_expire(uint64_t now_ms);
/* Shutdown: wipe and free everything. */
void client_cache_clear(void);

/* For status and tests. */
void client_cache_usage(size_t *entries, size_t *bytes);

#endif

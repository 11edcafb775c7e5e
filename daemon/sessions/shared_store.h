/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The shared session store: TLS 1.2 session-ID entries in memcached, so
 * that a session made through ktlsd on one host resumes through ktlsd on
 * another (the backend under session_db.h), and an atomic add-if-absent
 * with a TTL for 0-RTT anti-replay.
 *
 * What the store holds is sealed: AES-256-GCM under a key derived from the
 * ticket key file, with the entry's name and expiry as associated data.
 * Whoever reads or writes memcached learns no master secret, cannot move
 * an entry to another profile or session ID, and cannot make an expired
 * entry live again.
 *
 * The store being down or slow never fails a handshake: every call waits
 * at most about timeout_ms (connect, send, receive: each bounded), and
 * any failure comes back as an error the caller turns into a full
 * handshake.  The first failure is logged, then nothing until the store
 * answers again (logged once more); each failure is counted.
 *
 * Thread-safe: worker threads call concurrently; each call borrows one
 * memcached connection from a small pool.
 */
#ifndef KTLSD_SHARED_STORE_H
#define KTLSD_SHARED_STORE_H

#include <stddef.h>
#include <stdint.h>

#define SHARED_STORE_KEY_LEN 32		/* AES-256-GCM */
#define SHARED_STORE_NONCE_LEN 12
#define SHARED_STORE_TAG_LEN 16
/* version (1), algorithm (1), expiry (8, big-endian Unix seconds), nonce */
#define SHARED_STORE_HEADER_LEN (2 + 8 + SHARED_STORE_NONCE_LEN)
#define SHARED_STORE_OVERHEAD (SHARED_STORE_HEADER_LEN + SHARED_STORE_TAG_LEN)
#define SHARED_STORE_VERSION 1
#define SHARED_STORE_ALG_AES_256_GCM 1
#define SHARED_STORE_PLAIN_MAX 16384	/* = SESSION_DB_ENTRY_MAX */
#define SHARED_STORE_NAME_MAX 250	/* memcached's key limit */
#define SHARED_STORE_SERVERS_MAX 8
/* memcached reads a TTL over 30 days as an absolute time */
#define SHARED_STORE_TTL_MAX 2592000u

/* What sessserver's ticket_keys_derive() is asked for the sealing key. */
#define SHARED_STORE_SEAL_LABEL "ktlsd store seal v1"

struct shared_store;

struct shared_store_options {
	const char *servers;		/* "HOST:PORT[,HOST:PORT...]" ([v6]:PORT) */
	unsigned timeout_ms;		/* connect and each I/O wait */
	/* Called (any thread) for each failure, with the entry's name: the
	 * daemon counts it per profile.  NULL: only shared_store_errors(). */
	void (*count_error)(void *arg, const char *name);
	void *count_arg;
};

/* Resolves the servers (host names only here: call before the sandbox)
 * and keeps a copy of key.  Connects lazily: a store that is down at
 * start is not an error.  0, or -errno with the reason in reason. */
int shared_store_open(const struct shared_store_options *opt,
		      const uint8_t key[SHARED_STORE_KEY_LEN], struct shared_store **out,
		      char *reason, size_t reason_len);
/* A new sealing key (the ticket key file was rotated): calls that start
 * after it seal and open with the new key. */
void shared_store_set_key(struct shared_store *st, const uint8_t key[SHARED_STORE_KEY_LEN]);
/* No call may be running (after the workers stopped).  Wipes the key. */
void shared_store_close(struct shared_store *st);

/* name: a printable memcached key (session_db_key()), at most
 * SHARED_STORE_NAME_MAX bytes.  0 or -errno. */
int shared_store_put(struct shared_store *st, const char *name, const uint8_t *data,
		     size_t len, unsigned ttl_s);
/* 0 with *data malloc'd (wipe and free it), -ENOENT when absent, expired
 * or not opened by our key (counted as a store error: someone wrote it),
 * other -errno when the store failed. */
int shared_store_get(struct shared_store *st, const char *name, uint8_t **data, size_t *len);
int shared_store_remove(struct shared_store *st, const char *name);

/* Atomically records (ns, id) for ttl_s seconds if it is not recorded
 * yet: 0 the first time, -EEXIST while the record lives, another -errno
 * when the store could not say (a caller deciding on 0-RTT must then
 * refuse the early data: only 0 means "never seen").  ns: e.g. the
 * profile name; id: any bytes (hashed into the key). */
int shared_store_add_once(struct shared_store *st, const char *ns, const uint8_t *id,
			  size_t id_len, unsigned ttl_s);

/* Failures since open (connect, timeouts, refused or unreadable entries). */
uint64_t shared_store_errors(const struct shared_store *st);

/* ---- sealing (exposed for tests) ---- */

/* HKDF-SHA256 (RFC 5869), info SHARED_STORE_SEAL_LABEL, no salt: the
 * sealing key from a master secret.  0 or -errno. */
int shared_store_seal_key_derive(const uint8_t *master, size_t master_len,
				 uint8_t out[SHARED_STORE_KEY_LEN]);
/* Seals plain (len <= SHARED_STORE_PLAIN_MAX) for name, valid until
 * expires (Unix seconds).  out: len + SHARED_STORE_OVERHEAD bytes.
 * nonce NULL: a random one (tests pass one to get golden bytes). */
int shared_store_seal(const uint8_t key[SHARED_STORE_KEY_LEN], const char *name,
		      uint64_t expires, const uint8_t *nonce, const uint8_t *plain,
		      size_t len, uint8_t *out, size_t out_len);
/* Opens sealed (as stored under name) at time now: plain gets
 * len - SHARED_STORE_OVERHEAD bytes.  -EBADMSG when it was not sealed
 * for name under key (tampered, moved, other key), -ESTALE when expired,
 * -EPROTO for an unknown version or algorithm, -EINVAL for bad lengths. */
int shared_store_unseal(const uint8_t key[SHARED_STORE_KEY_LEN], const char *name,
			uint64_t now, const uint8_t *sealed, size_t len, uint8_t *plain,
			size_t plain_len);

/* The store's name in memcached for add_once(ns, id): "ktlsd1o:" +
 * hex(SHA-256(ns))[0..32] + ":" + hex(SHA-256(id)).  out: at least
 * SHARED_STORE_ONCE_NAME_LEN + 1 bytes. */
#define SHARED_STORE_ONCE_NAME_LEN (8 + 32 + 1 + 64)
int shared_store_once_name(const char *ns, const uint8_t *id, size_t id_len, char *out,
			   size_t out_len);

/* Servers "a:1,[::1]:2" into host/port pairs (hosts as written). */
struct shared_store_server {
	char host[256];
	uint16_t port;
};
int shared_store_parse_servers(const char *servers, struct shared_store_server *out,
			       size_t max, size_t *n, char *reason, size_t reason_len);

#endif

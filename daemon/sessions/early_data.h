/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TLS 1.3 0-RTT as a server (issue 12): which handshakes may accept early
 * data, the anti-replay check, reading the early data for the reply, and
 * the per-profile counters (status TLV KTLS_TLV_ST_EARLY).
 *
 * A handshake accepts early data only when all of these hold: the request
 * came through the application door and asked for it
 * (KTLS_ACCEPT_EARLY_DATA), the final profile (after SNI) says early_data,
 * the client resumes a ticket of ours, GnuTLS finds the ticket fresh (its
 * anti-replay window), and none of the ticket identities in the
 * ClientHello was seen within the window: on this host (a bounded table)
 * and, with session_store = memcached, on any host of the fleet
 * (shared_store_add_once()).  Anything else, a store that is down or slow
 * included, rejects the early data and the handshake goes on as 1-RTT.
 * docs/architecture.md, "0-RTT", says why the record is keyed on the
 * ticket identity and not on GnuTLS's own anti-replay key.
 */
#ifndef KTLSD_SESSIONS_EARLY_DATA_H
#define KTLSD_SESSIONS_EARLY_DATA_H

#include <gnutls/gnutls.h>
#include <stddef.h>
#include <stdint.h>

#include "ktls_proto.h"

struct cfg_profile;
struct hs_job;

/* GnuTLS's anti-replay window ([global] early_data_window, RFC 8446 8.2
 * suggests about ten seconds): a ticket whose age the client and we
 * disagree on by more is refused 0-RTT, so a replayed ClientHello (its age
 * frozen) is useless after it.  A ticket identity stays recorded for twice
 * the window: the window, plus as much again for the clocks of a fleet. */
#define EARLY_IDS_MAX 8			/* ticket identities recorded per ClientHello */
#define EARLY_ID_LEN 32			/* SHA-256 of an identity */
#define EARLY_TABLE_SLOTS 16384		/* this host's record: identities in the window */
#define EARLY_STORE_NS "ktlsd 0-RTT"	/* shared_store_add_once() namespace */

enum early_why {
	EARLY_WHY_NONE,			/* accepted, or nothing offered */
	EARLY_WHY_NOT_ASKED,		/* the request did not opt in (or: kernel door) */
	EARLY_WHY_PROFILE_OFF,		/* the profile says early_data = off */
	EARLY_WHY_NOT_RESUMED,		/* no ticket of ours resumed */
	EARLY_WHY_STALE,		/* GnuTLS: outside its window */
	EARLY_WHY_REPLAY,		/* a ticket identity seen in the window */
	EARLY_WHY_STORE,		/* the shared store could not say */
	EARLY_WHY_FULL,			/* this host's record had no room */
	EARLY_WHY_UNCHECKED,		/* no anti-replay context, identities unreadable */
	EARLY_WHY_HRR,			/* HelloRetryRequest: early data cannot follow */
	EARLY_WHY_OTHER,		/* checked, yet GnuTLS did not accept it */
};

/* One server handshake's 0-RTT state (lives in handshake.c's session). */
struct early_srv {
	unsigned max;			/* the request's limit; 0: it takes none */
	int offered;			/* the ClientHello carried early_data */
	int enabled;			/* anti-replay enabled: GnuTLS may accept */
	int checked;			/* our replay check ran */
	int ids_bad;			/* pre_shared_key unreadable or too many ids */
	int hellos;			/* ClientHellos seen: 2 after HelloRetryRequest */
	enum early_why why;
	unsigned n_ids;
	uint8_t ids[EARLY_IDS_MAX][EARLY_ID_LEN];
};

/* At daemon start, before the first handshake: the anti-replay contexts
 * (GnuTLS refuses 0-RTT on tickets issued before its context began).
 * 0 or -errno. */
struct cfg;
int early_data_start(const struct cfg *cfg);
void early_data_stop(void);

/* hs_start(), server role: the request's limit into e; 1 when the session
 * must be created with GNUTLS_ENABLE_EARLY_DATA. */
int early_srv_wanted(struct early_srv *e, const struct hs_job *job);
/* The ClientHello's body (a handshake hook): offered? which tickets? */
void early_srv_client_hello(struct early_srv *e, const gnutls_datum_t *msg);
/* After the ClientHello, the profile final: enable anti-replay and the
 * size limit, or leave 0-RTT off (GnuTLS then rejects it).  0 or -errno. */
int early_srv_profile(struct early_srv *e, gnutls_session_t s, const struct cfg_profile *p);
/* The handshake succeeded: the accepted early data into rep (it never
 * reaches the kernel), the flags, the counters.  0 or -errno. */
int early_srv_collect(struct early_srv *e, gnutls_session_t s, const char *profile,
		      struct ktls_hs_reply *rep, char *reason, size_t reason_len);
/* A failed server handshake: when it was GnuTLS refusing more early data
 * than the session's size (RFC 8446 4.2.10: unexpected_message), the
 * reason into failure and 1; else 0. */
int early_srv_explain(const struct early_srv *e, gnutls_session_t s, int gerr, char *failure,
		      size_t failure_len);
/* For the handshake log line: "-", "accepted", "rejected:replay", ... */
const char *early_srv_note(const struct early_srv *e, const struct ktls_hs_reply *rep);
/* The handshake failed (or timed out) after its ClientHello: count early
 * data that was offered as rejected, with its reason (a replayed flight
 * never finishes: its sender has no keys), and return the note for the
 * failure's log line ("-" when none was offered). */
const char *early_srv_failed(struct early_srv *e, gnutls_session_t s, const char *profile);

/* Every profile's counters into st->early / st->n_early. */
void early_stats_snapshot(struct ktls_status_reply *st);

/* ---- exposed for tests ---- */

/* The identities of a pre_shared_key extension's body (RFC 8446 4.2.11:
 * u16 length, then (u16 len, identity, u32 age)+, then the binders),
 * each hashed to EARLY_ID_LEN bytes.  0, -EBADMSG when malformed, -E2BIG
 * past max identities. */
int early_parse_psk_identities(const uint8_t *ext, size_t len,
			       uint8_t ids[][EARLY_ID_LEN], unsigned max, unsigned *n);
/* This host's record: 0 when id was not recorded within ttl_ms (it is
 * now), -EEXIST when it was, -ENOSPC when there is no room (the caller
 * rejects the early data). */
int early_table_add(const uint8_t id[EARLY_ID_LEN], uint64_t now_ms, uint64_t ttl_ms);
void early_table_clear(void);
/* The check for e's identities, each recorded for ttl_s: EARLY_WHY_NONE
 * (never seen: recorded now), or the reason to reject (EARLY_WHY_REPLAY,
 * _STORE, _FULL, _UNCHECKED). */
enum early_why early_replay_check(const struct early_srv *e, uint64_t now_ms, unsigned ttl_s);

#endif

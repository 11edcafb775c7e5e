/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Per-profile session-resumption counters for `ktls status` (status TLV
 * KTLS_TLV_ST_SESSIONS): resumed and full handshakes, session cache hits,
 * misses and evictions, shared-store errors.  Every resumption part counts
 * here (client cache, server tickets and session IDs, the shared store).
 */
#ifndef KTLSD_SESSION_STATS_H
#define KTLSD_SESSION_STATS_H

#include "ktls_proto.h"

/* The order is the wire order of KTLS_TLV_ST_SESSIONS (ktls_proto.h). */
enum session_stat {
	SESSION_STAT_RESUMED,		/* a handshake that resumed a session */
	SESSION_STAT_FULL,		/* a handshake that did not */
	SESSION_STAT_CACHE_HIT,		/* a cached session was found and offered/used */
	SESSION_STAT_CACHE_MISS,	/* looked up, nothing usable */
	SESSION_STAT_CACHE_EVICT,	/* dropped for room or age before its use */
	SESSION_STAT_STORE_ERROR,	/* the shared store failed or timed out */
	SESSION_STAT__COUNT
};

_Static_assert(SESSION_STAT__COUNT == KTLS_STATUS_SESSION_COUNTERS,
	       "session counters and their wire list disagree");

/* Count one event for profile (NULL or "" counts as "-").  Any thread;
 * never fails: past KTLS_STATUS_MAX_PROFILES names, counts go to "(other)". */
void session_stats_count(const char *profile, enum session_stat what);
/* Add n at once (e.g. a reload dropping n entries as evictions). */
void session_stats_add(const char *profile, enum session_stat what, uint64_t n);

/* Every profile that counted anything, into st->sessions / st->n_sessions. */
void session_stats_snapshot(struct ktls_status_reply *st);

/* The short name of a counter ("resumed", "cache_hit", ...), as ktls(1)
 * and the Prometheus labels spell it. */
const char *session_stat_name(enum session_stat what);

#endif

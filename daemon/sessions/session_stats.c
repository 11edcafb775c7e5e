// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Per-profile session counters, in a base/profile_counters.h table (keyed
 * by name, bounded, "(other)" past the last slot).
 */
#include "base/profile_counters.h"
#include "session_stats.h"

static struct profile_counters sessions = PROFILE_COUNTERS_INIT;

void session_stats_add(const char *profile, enum session_stat what, uint64_t n)
{
	profile_counters_add(&sessions, profile, (unsigned)what, n);
}

void session_stats_count(const char *profile, enum session_stat what)
{
	session_stats_add(profile, what, 1);
}

void session_stats_snapshot(struct ktls_status_reply *st)
{
	st->n_sessions = profile_counters_snapshot(&sessions, st->sessions);
}

const char *session_stat_name(enum session_stat what)
{
	switch (what) {
	case SESSION_STAT_RESUMED: return "resumed";
	case SESSION_STAT_FULL: return "full";
	case SESSION_STAT_CACHE_HIT: return "cache_hit";
	case SESSION_STAT_CACHE_MISS: return "cache_miss";
	case SESSION_STAT_CACHE_EVICT: return "cache_evict";
	case SESSION_STAT_STORE_ERROR: return "store_error";
	case SESSION_STAT__COUNT: break;
	}
	return "?";
}

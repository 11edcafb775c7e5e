// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Per-profile session counters.  Keyed by profile name, like the handshake
 * counts in stats.c, so they survive a reload that adds, drops or renames
 * profiles.  One mutex guards the table: a count is a short name lookup
 * next to a handshake, and the table is bounded (KTLS_STATUS_MAX_PROFILES
 * names, the last slot collecting every name past it as "(other)"), so a
 * client sending many profile names cannot grow it.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "session_stats.h"

#define OTHER_PROFILES "(other)"
#define NO_PROFILE "-"

struct session_counts {
	char name[KTLS_STATUS_NAME_MAX];
	uint64_t count[SESSION_STAT__COUNT];
};

static pthread_mutex_t sessions_lock = PTHREAD_MUTEX_INITIALIZER;
static struct session_counts sessions[KTLS_STATUS_MAX_PROFILES];
static unsigned n_sessions;

/* Under sessions_lock. */
static struct session_counts *slot_of(const char *name)
{
	for (unsigned i = 0; i < n_sessions; i++)
		if (strncmp(sessions[i].name, name, sizeof(sessions[i].name) - 1) == 0)
			return &sessions[i];
	if (n_sessions == KTLS_STATUS_MAX_PROFILES)
		return &sessions[KTLS_STATUS_MAX_PROFILES - 1];
	if (n_sessions == KTLS_STATUS_MAX_PROFILES - 1)
		name = OTHER_PROFILES;
	/* Names longer than a status name are cut; profile names are at
	 * most 64 bytes (config), so this only bites on a caller's typo. */
	snprintf(sessions[n_sessions].name, sizeof(sessions[n_sessions].name), "%s", name);
	return &sessions[n_sessions++];
}

void session_stats_add(const char *profile, enum session_stat what, uint64_t n)
{
	if ((unsigned)what >= SESSION_STAT__COUNT || n == 0)
		return;
	if (!profile || !profile[0])
		profile = NO_PROFILE;
	pthread_mutex_lock(&sessions_lock);
	slot_of(profile)->count[what] += n;
	pthread_mutex_unlock(&sessions_lock);
}

void session_stats_count(const char *profile, enum session_stat what)
{
	session_stats_add(profile, what, 1);
}

void session_stats_snapshot(struct ktls_status_reply *st)
{
	pthread_mutex_lock(&sessions_lock);
	for (unsigned i = 0; i < n_sessions; i++) {
		memcpy(st->sessions[i].name, sessions[i].name, sizeof(st->sessions[i].name));
		memcpy(st->sessions[i].count, sessions[i].count, sizeof(st->sessions[i].count));
	}
	st->n_sessions = (uint16_t)n_sessions;
	pthread_mutex_unlock(&sessions_lock);
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

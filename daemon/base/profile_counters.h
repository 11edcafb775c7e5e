/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A table of counters per profile name, for `ktls status`'s per-profile
 * lists (session resumption, 0-RTT as a server and as a client).  Keyed
 * by name, so counts survive a reload that adds, drops or renames
 * profiles.  Bounded: KTLS_STATUS_MAX_PROFILES names, the last slot
 * collecting every name past it as "(other)", so a client sending many
 * profile names cannot grow it.  One mutex per table: a count is a short
 * name lookup next to a handshake.
 */
#ifndef KTLSD_PROFILE_COUNTERS_H
#define KTLSD_PROFILE_COUNTERS_H

#include <pthread.h>
#include <stdint.h>

#include "ktls_proto.h"

struct profile_counters {
	pthread_mutex_t lock;
	struct ktls_status_sessions rows[KTLS_STATUS_MAX_PROFILES];
	unsigned n;
};

#define PROFILE_COUNTERS_INIT { .lock = PTHREAD_MUTEX_INITIALIZER }

/* Add n to counter what (< KTLS_STATUS_SESSION_COUNTERS) of profile (NULL
 * or "" counts as "-").  Any thread; never fails. */
void profile_counters_add(struct profile_counters *t, const char *profile, unsigned what,
			  uint64_t n);
/* Every profile that counted anything into out[]; returns how many. */
uint16_t profile_counters_snapshot(struct profile_counters *t,
				   struct ktls_status_sessions out[KTLS_STATUS_MAX_PROFILES]);

#endif

// SPDX-License-Identifier: GPL-2.0-or-later
/* Counters per profile name (base/profile_counters.h). */
#include <stdio.h>
#include <string.h>

#include "base/profile_counters.h"

#define OTHER_PROFILES "(other)"
#define NO_PROFILE "-"

/* Under t->lock. */
static struct ktls_status_sessions *slot_of(struct profile_counters *t, const char *name)
{
	for (unsigned i = 0; i < t->n; i++)
		if (strncmp(t->rows[i].name, name, sizeof(t->rows[i].name) - 1) == 0)
			return &t->rows[i];
	if (t->n == KTLS_STATUS_MAX_PROFILES)
		return &t->rows[KTLS_STATUS_MAX_PROFILES - 1];
	if (t->n == KTLS_STATUS_MAX_PROFILES - 1)
		name = OTHER_PROFILES;
	/* Names longer than a status name are cut; profile names are at
	 * most 64 bytes (config), so this only bites on a caller's typo. */
	snprintf(t->rows[t->n].name, sizeof(t->rows[t->n].name), "%s", name);
	return &t->rows[t->n++];
}

void profile_counters_add(struct profile_counters *t, const char *profile, unsigned what,
			  uint64_t n)
{
	if (what >= KTLS_STATUS_SESSION_COUNTERS || n == 0)
		return;
	if (!profile || !profile[0])
		profile = NO_PROFILE;
	pthread_mutex_lock(&t->lock);
	slot_of(t, profile)->count[what] += n;
	pthread_mutex_unlock(&t->lock);
}

uint16_t profile_counters_snapshot(struct profile_counters *t,
				   struct ktls_status_sessions out[KTLS_STATUS_MAX_PROFILES])
{
	uint16_t n;

	pthread_mutex_lock(&t->lock);
	memcpy(out, t->rows, t->n * sizeof(t->rows[0]));
	n = (uint16_t)t->n;
	pthread_mutex_unlock(&t->lock);
	return n;
}

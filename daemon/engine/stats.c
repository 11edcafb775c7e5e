// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Handshake statistics.  Workers count every finished job here, once, where
 * the outcome is logged; the main thread reads a snapshot for `ktls status`.
 *
 * Outcomes by errno and the latency histogram are fixed arrays of atomics,
 * so counting costs a few relaxed increments and no lock.  Per-profile
 * counts are keyed by name, since a reload may add, drop or rename
 * profiles and counts must survive that; that table takes a mutex, which
 * is cheap next to a handshake.  A snapshot is not one atomic picture:
 * counters read while handshakes finish may disagree by the few in
 * progress, which a status display can live with.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "engine/stats.h"
#include "base/clock.h"
#include "sessions/session_stats.h"
#include "sessions/early_data.h"

struct ktlsd_stats ktlsd_stats;

/* errno values are small on Linux (< 150); anything larger is counted as
 * "0", which the status output names "other". */
#define ERRNO_SLOTS 256
#define OTHER_PROFILES "(other)"	/* past KTLS_STATUS_MAX_PROFILES names */

/* Latency bucket bounds in ms (ktls(1) lists them); the last bucket, +Inf,
 * is implicit. */
static const uint32_t latency_bounds_ms[] = {
	1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 30000,
};

#define N_BOUNDS (sizeof(latency_bounds_ms) / sizeof(latency_bounds_ms[0]))
#define N_BUCKETS (N_BOUNDS + 1)
_Static_assert(N_BUCKETS <= KTLS_STATUS_MAX_BUCKETS, "more buckets than a status reply holds");

struct profile_counts {
	char name[KTLS_STATUS_NAME_MAX];
	uint64_t ok, failed;
};

static uint64_t start_ms;
static atomic_ulong failures_by_errno[ERRNO_SLOTS];
static atomic_ulong latency_buckets[N_BUCKETS];
static atomic_ulong latency_sum_ms;
static pthread_mutex_t profiles_lock = PTHREAD_MUTEX_INITIALIZER;
static struct profile_counts profiles[KTLS_STATUS_MAX_PROFILES];
static unsigned n_profiles;

void stats_mark_start(void)
{
	start_ms = clock_now_ms();
}

static unsigned bucket_of(uint64_t ms)
{
	unsigned i = 0;

	while (i < N_BOUNDS && ms > latency_bounds_ms[i])
		i++;
	return i;
}

/* Under profiles_lock.  The last slot collects whatever does not fit. */
static struct profile_counts *profile_slot(const char *name)
{
	for (unsigned i = 0; i < n_profiles; i++)
		if (strcmp(profiles[i].name, name) == 0)
			return &profiles[i];
	if (n_profiles == KTLS_STATUS_MAX_PROFILES - 1)
		name = OTHER_PROFILES;
	if (n_profiles == KTLS_STATUS_MAX_PROFILES)
		return &profiles[KTLS_STATUS_MAX_PROFILES - 1];
	snprintf(profiles[n_profiles].name, sizeof(profiles[n_profiles].name), "%s", name);
	return &profiles[n_profiles++];
}

void stats_handshake_done(const struct hs_job *job, const struct ktls_hs_reply *rep)
{
	uint64_t now = clock_now_ms(), ms = now > job->started_ms ? now - job->started_ms : 0;
	const char *profile = job->profile && job->profile->name[0] ? job->profile->name : "-";
	struct profile_counts *slot;

	atomic_fetch_add_explicit(&latency_buckets[bucket_of(ms)], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&latency_sum_ms, ms, memory_order_relaxed);
	if (rep->status)
		atomic_fetch_add_explicit(&failures_by_errno[rep->status < ERRNO_SLOTS ?
							     rep->status : 0],
					  1, memory_order_relaxed);
	pthread_mutex_lock(&profiles_lock);
	slot = profile_slot(profile);
	if (rep->status)
		slot->failed++;
	else
		slot->ok++;
	pthread_mutex_unlock(&profiles_lock);
}

static void snapshot_failures(struct ktls_status_reply *st)
{
	st->n_failures = 0;
	for (uint32_t e = 0; e < ERRNO_SLOTS && st->n_failures < KTLS_STATUS_MAX_FAILURES; e++) {
		uint64_t n = atomic_load_explicit(&failures_by_errno[e], memory_order_relaxed);

		if (n)
			st->failures[st->n_failures++] = (struct ktls_status_count){ e, n };
	}
}

static void snapshot_latency(struct ktls_status_reply *st)
{
	for (unsigned i = 0; i < N_BUCKETS; i++) {
		st->latency[i].key = i < N_BOUNDS ? latency_bounds_ms[i] :
								  KTLS_STATUS_LE_INF;
		st->latency[i].count = atomic_load_explicit(&latency_buckets[i],
							    memory_order_relaxed);
	}
	st->n_latency = N_BUCKETS;
	st->latency_sum_ms = atomic_load_explicit(&latency_sum_ms, memory_order_relaxed);
}

static void snapshot_profiles(struct ktls_status_reply *st)
{
	pthread_mutex_lock(&profiles_lock);
	for (unsigned i = 0; i < n_profiles; i++) {
		memcpy(st->profiles[i].name, profiles[i].name, sizeof(st->profiles[i].name));
		st->profiles[i].ok = profiles[i].ok;
		st->profiles[i].failed = profiles[i].failed;
	}
	st->n_profiles = (uint16_t)n_profiles;
	pthread_mutex_unlock(&profiles_lock);
}

void stats_snapshot(struct ktls_status_reply *st)
{
	uint64_t now = clock_now_ms();

	st->uptime_s = start_ms && now > start_ms ? (now - start_ms) / 1000 : 0;
	st->handshakes_ok = atomic_load(&ktlsd_stats.handshakes_ok);
	st->handshakes_failed = atomic_load(&ktlsd_stats.handshakes_failed);
	st->requests_rejected = atomic_load(&ktlsd_stats.requests_rejected);
	st->in_flight = atomic_load(&ktlsd_stats.in_flight);
	st->refused_busy = atomic_load(&ktlsd_stats.refused_busy);
	st->accept_no_fd = atomic_load(&ktlsd_stats.accept_no_fd);
	snapshot_failures(st);
	snapshot_latency(st);
	snapshot_profiles(st);
	session_stats_snapshot(st);
	early_stats_snapshot(st);
}

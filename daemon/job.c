// SPDX-License-Identifier: GPL-2.0-or-later
/* Job lifetime, the shared config reference, counters, the clock. */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "creds.h"
#include "handshake.h"
#include "ktlsd.h"

struct ktlsd_stats ktlsd_stats;

static pthread_mutex_t current_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cfg_ref *current;

uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct cfg_ref *cfg_ref_current(void)
{
	struct cfg_ref *ref;

	pthread_mutex_lock(&current_lock);
	ref = current;
	if (ref)
		atomic_fetch_add(&ref->refs, 1);
	pthread_mutex_unlock(&current_lock);
	return ref;
}

void cfg_ref_put(struct cfg_ref *ref)
{
	if (!ref || atomic_fetch_sub(&ref->refs, 1) != 1)
		return;
	creds_free_all(ref->cfg);
	cfg_free(ref->cfg);
	free(ref);
}

void cfg_ref_install(struct cfg_ref *ref)
{
	struct cfg_ref *old;

	pthread_mutex_lock(&current_lock);
	old = current;
	current = ref;
	pthread_mutex_unlock(&current_lock);
	cfg_ref_put(old);
}

void hs_job_free(struct hs_job *job)
{
	if (!job)
		return;
	hs_free(job->hs);
	if (job->override && job->override->release)
		job->override->release(job->override);
	if (job->sock_fd >= 0)
		close(job->sock_fd);
	if (job->conn_fd >= 0)
		close(job->conn_fd);
	cfg_ref_put(job->cfg);
	free(job);
}

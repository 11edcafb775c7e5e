/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Handshake statistics for `ktls status`: outcomes by errno, a latency
 * histogram and per-profile counts, next to the counters in ktlsd_stats.
 */
#ifndef KTLSD_ENGINE_STATS_H
#define KTLSD_ENGINE_STATS_H

#include <stdatomic.h>

#include "engine/job.h"
#include "ktls_proto.h"

/* Counters for logs and `ktls status`. */
struct ktlsd_stats {
	atomic_ulong handshakes_ok, handshakes_failed, requests_rejected;
	atomic_uint in_flight;
	/* denial of service defences (admission.c, door_unix.c) */
	atomic_ulong refused_busy;	/* EAGAIN: a limit of admission.c was reached */
	atomic_ulong accept_no_fd;	/* accept() failed with EMFILE/ENFILE */
};
extern struct ktlsd_stats ktlsd_stats;


/* Uptime counts from here (the daemon is ready). */
void stats_mark_start(void);
/* Count one finished job (any door, any outcome).  Worker threads. */
void stats_handshake_done(const struct hs_job *job, const struct ktls_hs_reply *rep);
/* Everything counted so far, into st (counters, lists; not status/version,
 * nor the limits: admission_snapshot()). */
void stats_snapshot(struct ktls_status_reply *st);

#endif

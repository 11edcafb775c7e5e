/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Handshake statistics for `ktls status`: outcomes by errno, a latency
 * histogram and per-profile counts, next to the counters in ktlsd_stats.
 */
#ifndef KTLSD_STATS_H
#define KTLSD_STATS_H

#include "ktlsd.h"

/* Uptime counts from here (the daemon is ready). */
void stats_mark_start(void);
/* Count one finished job (any door, any outcome).  Worker threads. */
void stats_handshake_done(const struct hs_job *job, const struct ktls_hs_reply *rep);
/* Everything counted so far, into st (counters, lists; not status/version). */
void stats_snapshot(struct ktls_status_reply *st);

/* status.c: answer a STATUS_REQ (len bytes in the message, fd the one it
 * carried or -1) on conn, then close conn (and fd). */
void status_serve(int conn, size_t len, int fd);

#endif

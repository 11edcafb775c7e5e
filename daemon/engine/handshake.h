/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The GnuTLS handshake engine: a non-blocking state machine per job.
 * All functions return 0 or -errno with a reason; GnuTLS codes stay inside. */
#ifndef KTLSD_HANDSHAKE_H
#define KTLSD_HANDSHAKE_H

#include <stddef.h>

#include "engine/job.h"

struct hs_session;

/* Set up the session for job->req/job->profile (job->profile must be set). */
int hs_start(struct hs_job *job, char *reason, size_t reason_len);
/* Advance: 0 done, -EAGAIN waiting on the socket (see hs_wants_write). */
int hs_step(struct hs_job *job, char *reason, size_t reason_len);
int hs_wants_write(const struct hs_job *job);
/* Watch the socket for input?  0 while the engine waits by job->wake_ms
 * alone (part of a record is queued: "readable" would wake it at once). */
int hs_wants_read(const struct hs_job *job);
/* The handshake is finished and only tickets are being taken before the
 * handoff: a deadline that passes now ends the drain, not the job. */
int hs_draining(const struct hs_job *job);
/* Install kTLS both ways and describe the session into rep. */
int hs_complete(struct hs_job *job, struct ktls_hs_reply *rep, char *reason, size_t reason_len);
/* The 0-RTT outcome for the log line: "-" (none offered), "accepted:N",
 * "rejected:WHY" (sessions/early_data.c). */
const char *hs_early_note(const struct hs_job *job, const struct ktls_hs_reply *rep);
/* The same for a failed handshake, and counts a server's offered 0-RTT as
 * rejected (e.g. a replayed flight that cannot finish): call it once per
 * failed job (worker.c job_finish()); "-" when none was offered. */
const char *hs_early_failed(struct hs_job *job);
/* Give the caller's socket options back (TCP_NODELAY, borrowed for the
 * handshake); before the caller hears of the outcome, success or not. */
void hs_return_socket(struct hs_job *job);
void hs_free(struct hs_session *hs);

#endif

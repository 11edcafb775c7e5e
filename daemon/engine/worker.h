/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Handshake worker threads: see the top of worker.c. */
#ifndef KTLSD_ENGINE_WORKER_H
#define KTLSD_ENGINE_WORKER_H

#include <stdatomic.h>
#include <stddef.h>

#include "engine/job.h"

int workers_start(unsigned count);	/* 0: one per CPU.  0 / -errno */
/* Fail in-flight jobs with ESHUTDOWN, join the threads. */
void workers_stop(void);

/* Admit a job (limits for its origin and caller, see admission.c), stamp
 * its start and deadline (timeout_ms from now) and hand it to the least
 * loaded worker, which owns it from then on.
 * 0, or -EAGAIN with a reason for the caller: the door still owns the job
 * and answers the refusal. */
int job_submit(struct hs_job *job, unsigned timeout_ms, char *reason, size_t reason_len);

/* For tests: how many jobs the workers have looked at to find due jobs and
 * to map events to jobs.  Grows with the events, not with the jobs in
 * flight. */
extern atomic_ulong worker_jobs_examined;

#endif

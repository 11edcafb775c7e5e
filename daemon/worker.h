/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Handshake worker threads: see the top of worker.c. */
#ifndef KTLSD_WORKER_H
#define KTLSD_WORKER_H

#include "ktlsd.h"

int workers_start(unsigned count);	/* 0: one per CPU.  0 / -errno */
/* Jobs come in through job_submit() (ktlsd.h). */
/* Fail in-flight jobs with ESHUTDOWN, join the threads. */
void workers_stop(void);

#endif

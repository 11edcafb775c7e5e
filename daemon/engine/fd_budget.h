/* SPDX-License-Identifier: GPL-2.0-or-later */
/* How many handshakes and waiting connections the fd limit allows; see
 * fd_budget.c. */
#ifndef KTLSD_FD_BUDGET_H
#define KTLSD_FD_BUDGET_H

#include "config/config.h"

#define FD_BUDGET_WAITING_MAX 256	/* request connections waiting, whole daemon */

struct fd_budget {
	unsigned long nofile;		/* the soft RLIMIT_NOFILE it was computed for */
	unsigned max_handshakes;	/* in flight, two fds each at most */
	unsigned max_waiting;		/* request connections yet to send, one fd each */
};

/* The split of nofile descriptors for a daemon with `workers` worker
 * threads.  max_handshakes is 0 when not even one fits. */
void fd_budget_compute(unsigned long nofile, unsigned workers, struct fd_budget *out);

/* At start: raise the soft RLIMIT_NOFILE to the hard limit, compute the
 * budget and warn when cfg->max_handshakes does not fit (it is clamped
 * from then on, reloads included). */
void fd_budget_apply(const struct cfg *cfg);

/* The budget in force: without fd_budget_apply() (unit tests), no limit. */
const struct fd_budget *fd_budget_current(void);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's one clock: monotonic milliseconds, for deadlines and
 * latencies (never wall time, which jumps).  A leaf: includes nothing of
 * the daemon. */
#ifndef KTLSD_BASE_CLOCK_H
#define KTLSD_BASE_CLOCK_H

#include <stdint.h>

uint64_t clock_now_ms(void);

#endif

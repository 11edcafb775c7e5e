// SPDX-License-Identifier: GPL-2.0-or-later
/* The daemon's clock (base/clock.h). */
#include <time.h>

#include "base/clock.h"

uint64_t clock_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Monotonic time for durations in diagnostics and deadlines. */
#ifndef INTEG_CLOCK_H
#define INTEG_CLOCK_H

double now_s(void);
double now_ms(void);

#endif /* INTEG_CLOCK_H */

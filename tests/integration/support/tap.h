/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * TAP output for the integration programs: "ok - LABEL: what" lines and
 * "# " diagnostics on stdout, flushed at once so that nothing is printed
 * twice by a fork() or lost by an exit from a child.  Lines are unnumbered
 * ("ok - ...", the driving script numbers them) unless a program that is a
 * whole TAP step itself calls tap_number_lines() ("ok N - ...").
 */
#ifndef INTEG_TAP_H
#define INTEG_TAP_H

#include <stdarg.h>

extern unsigned int tap_count, tap_failures;

void tap_number_lines(void);

void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "what: strerror(errno): ktls_errmsg()", the reason left out when empty. */
void diag_errno(const char *what);

/* One TAP line "ok - label: what"; returns pass so callers can branch. */
int tap(int pass, const char *label, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int vtap(int pass, const char *label, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

void tap_skip(const char *label, const char *what, const char *reason);

#endif /* INTEG_TAP_H */

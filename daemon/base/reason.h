/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reason buffers: a function that can fail for a reason a person should
 * read takes `char *reason, size_t reason_len` as its last two parameters,
 * returns 0 or -errno, and on failure leaves one line (no newline, no
 * trailing period) in reason for the caller to log or send back.  The caller
 * owns the buffer; reason_len may be 0.  See docs/coding-style.md.
 *
 * A leaf: includes nothing of the daemon, so every side (network process,
 * key process, config) may use it.
 */
#ifndef KTLSD_BASE_REASON_H
#define KTLSD_BASE_REASON_H

#include <stdarg.h>
#include <stddef.h>

void reason_set(char *reason, size_t reason_len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void reason_vset(char *reason, size_t reason_len, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
/* reason_set(), then return err (a -errno): `return reason_fail(reason,
 * reason_len, -EINVAL, "...", ...);`. */
int reason_fail(char *reason, size_t reason_len, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif

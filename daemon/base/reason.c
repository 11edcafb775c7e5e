// SPDX-License-Identifier: GPL-2.0-or-later
/* The one reason-buffer formatter (base/reason.h). */
#include <stdio.h>

#include "base/reason.h"

void reason_vset(char *reason, size_t reason_len, const char *fmt, va_list ap)
{
	if (reason_len)
		vsnprintf(reason, reason_len, fmt, ap);
}

void reason_set(char *reason, size_t reason_len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reason_vset(reason, reason_len, fmt, ap);
	va_end(ap);
}

int reason_fail(char *reason, size_t reason_len, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reason_vset(reason, reason_len, fmt, ap);
	va_end(ap);
	return err;
}

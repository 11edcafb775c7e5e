// SPDX-License-Identifier: LGPL-2.1-or-later
/* Per-thread reason for the last libktls failure, behind errno. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "ktls_internal.h"

static __thread char last_error[256];

static __attribute__((format(printf, 1, 0))) void set_reason(const char *fmt, va_list ap)
{
	int saved = errno;	/* a format's %m, or vsnprintf itself, must not move it */

	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	errno = saved;
}

void ktls_set_reason(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_reason(fmt, ap);
	va_end(ap);
}

int ktls_fail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_reason(fmt, ap);
	va_end(ap);
	errno = err;
	return -1;
}

void ktls_clear_error(void)
{
	last_error[0] = '\0';
}

const char *ktls_errmsg(void)
{
	return last_error;
}

// SPDX-License-Identifier: LGPL-2.1-or-later
/* Per-thread reason for the last libktls failure, behind errno. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "ktls_internal.h"

static __thread char last_error[256];

int ktls_fail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
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

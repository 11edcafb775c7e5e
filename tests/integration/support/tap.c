// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ktls.h"
#include "tap.h"

unsigned int tap_count, tap_failures;
static int tap_numbered;

void tap_number_lines(void)
{
	tap_numbered = 1;
}

/* "ok N - " or "ok - ", with tap_count already counting this line. */
static void tap_prefix(int pass)
{
	if (tap_numbered)
		printf("%sok %u - ", pass ? "" : "not ", tap_count);
	else
		printf("%sok - ", pass ? "" : "not ");
}

void diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

void diag_errno(const char *what)
{
	int err = errno;
	const char *reason = ktls_errmsg();

	diag("%s: %s%s%s", what, strerror(err), *reason ? ": " : "", reason);
}

int vtap(int pass, const char *label, const char *fmt, va_list ap)
{
	tap_count++;
	if (!pass)
		tap_failures++;
	tap_prefix(pass);
	printf("%s: ", label);
	vprintf(fmt, ap);
	putchar('\n');
	fflush(stdout);
	return pass;
}

int tap(int pass, const char *label, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pass = vtap(pass, label, fmt, ap);
	va_end(ap);
	return pass;
}

void tap_skip(const char *label, const char *what, const char *reason)
{
	tap_count++;
	tap_prefix(1);
	printf("%s: %s # SKIP %s\n", label, what, reason);
	fflush(stdout);
}

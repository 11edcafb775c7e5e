// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ktlsd logging, after OpenBSD's log.c: stderr (with a timestamp and the
 * level) or syslog(3).
 *
 * Workers log concurrently, so every line is formatted into a local buffer
 * and leaves in one write(2): lines from different threads never interleave
 * mid-line.  Control characters are replaced by '?' because messages quote
 * peer-controlled strings (SNI, ALPN, PSK identities) and a newline in one
 * of them must not forge a second log line.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "process/log.h"

#define LOG_LINE_MAX 2048

static int log_to_syslog;
static int log_max_level = LOG_LVL_INFO;	/* read by every thread: __atomic */
static char log_ident[64] = "ktlsd";

static const char *const level_names[] = {
	[LOG_LVL_ERROR] = "error",
	[LOG_LVL_WARN] = "warn",
	[LOG_LVL_INFO] = "info",
	[LOG_LVL_DEBUG] = "debug",
};

void log_init(const char *ident, int use_syslog, enum log_level level)
{
	if (ident)
		snprintf(log_ident, sizeof(log_ident), "%s", ident);
	log_set_level(level);
	if (log_to_syslog)
		closelog();
	log_to_syslog = use_syslog;
	/* openlog() keeps the pointer: log_ident is static for that reason. */
	if (use_syslog)
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_set_level(enum log_level level)
{
	__atomic_store_n(&log_max_level, (int)level, __ATOMIC_RELAXED);
}

int log_level_from_name(const char *name)
{
	size_t i;

	if (!name)
		return -1;
	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcasecmp(name, level_names[i]) == 0)
			return (int)i;
	if (strcasecmp(name, "warning") == 0)
		return LOG_LVL_WARN;
	return -1;
}

static int syslog_priority(enum log_level level)
{
	switch (level) {
	case LOG_LVL_ERROR:
		return LOG_ERR;
	case LOG_LVL_WARN:
		return LOG_WARNING;
	case LOG_LVL_INFO:
		return LOG_INFO;
	case LOG_LVL_DEBUG:
		return LOG_DEBUG;
	}
	return LOG_ERR;
}

static void replace_control_chars(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

/* "2025-01-31 12:34:56.789 " into buf; returns its length. */
static size_t format_timestamp(char *buf, size_t len)
{
	struct timespec now;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &now);
	if (!localtime_r(&now.tv_sec, &tm))
		return 0;
	n = strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
	if (n == 0)
		return 0;
	n += (size_t)snprintf(buf + n, len - n, ".%03ld ", now.tv_nsec / 1000000);
	return n < len ? n : len - 1;
}

static void write_stderr_line(enum log_level level, const char *msg)
{
	char line[LOG_LINE_MAX + 128];
	size_t n = format_timestamp(line, sizeof(line));
	int r;

	r = snprintf(line + n, sizeof(line) - n, "%s: %s\n", level_names[level], msg);
	if (r < 0)
		return;
	n += (size_t)r;
	if (n >= sizeof(line)) {	/* truncated: still end the line */
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	/* One write per line; a short write to a pipe of this size cannot
	 * happen, and there is nowhere to report a failure to. */
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}

/* errnum >= 0 appends ": strerror(errnum)". */
static void log_emit(enum log_level level, int errnum, const char *fmt, va_list ap)
{
	char msg[LOG_LINE_MAX];
	char errbuf[128];
	size_t len;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (errnum >= 0) {
		len = strlen(msg);
		snprintf(msg + len, sizeof(msg) - len, ": %s",
			 strerror_r(errnum, errbuf, sizeof(errbuf)));
	}
	replace_control_chars(msg);
	if (log_to_syslog)
		syslog(syslog_priority(level), "%s", msg);
	else
		write_stderr_line(level, msg);
}

static int log_enabled(enum log_level level)
{
	return (int)level <= __atomic_load_n(&log_max_level, __ATOMIC_RELAXED);
}

/* Each public function has the same body; the macro keeps errno captured
 * before anything (vsnprintf, clock_gettime) can change it. */
#define LOG_BODY(level, with_errno)                                             \
	do {                                                                    \
		int saved_errno = errno;                                        \
		va_list ap;                                                     \
		if (!log_enabled(level))                                        \
			break;                                                  \
		va_start(ap, fmt);                                              \
		log_emit((level), (with_errno) ? saved_errno : -1, fmt, ap);    \
		va_end(ap);                                                     \
		errno = saved_errno;                                            \
	} while (0)

void log_error(const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_ERROR, 0);
}

void log_warn(const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_WARN, 1);
}

void log_warnx(const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_WARN, 0);
}

void log_info(const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_INFO, 0);
}

void log_debug(const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_DEBUG, 0);
}

/* fatal lines are always emitted, whatever the level. */
void fatal(const char *fmt, ...)
{
	int saved_errno = errno;
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_LVL_ERROR, saved_errno, fmt, ap);
	va_end(ap);
	exit(1);
}

void fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_LVL_ERROR, -1, fmt, ap);
	va_end(ap);
	exit(1);
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sd_notify(3) over $NOTIFY_SOCKET, without linking libsystemd: the protocol
 * is one AF_UNIX datagram of "KEY=VALUE" lines to the path (or, with a
 * leading '@', the abstract name) in the variable.
 *
 * The variable is kept (not unset): ktlsd reports READY, RELOADING and
 * STOPPING over its lifetime, and it never execs a child that could
 * inherit it.  Datagrams carry no credentials of ours; the manager reads
 * our pid from SCM_CREDENTIALS it asks the kernel for itself.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "process/log.h"
#include "process/sd_notify.h"

#define NOTIFY_MSG_MAX 512

/* Fills addr from $NOTIFY_SOCKET; 0, -ENOENT (unset) or -EINVAL. */
static int notify_address(struct sockaddr_un *addr, socklen_t *addr_len)
{
	const char *path = getenv("NOTIFY_SOCKET");
	size_t len;

	if (!path || !*path)
		return -ENOENT;
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof(addr->sun_path))
		return -EINVAL;
	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	memcpy(addr->sun_path, path, len);
	if (path[0] == '@')
		addr->sun_path[0] = '\0';	/* abstract namespace: no NUL terminator */
	*addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
				(path[0] == '/' ? 1 : 0));
	return 0;
}

int sd_notify_send(const char *state)
{
	struct sockaddr_un addr;
	socklen_t addr_len;
	ssize_t sent;
	int fd, rc;

	rc = notify_address(&addr, &addr_len);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	sent = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&addr, addr_len);
	rc = sent < 0 ? -errno : 1;
	close(fd);
	return rc;
}

int sd_notifyf_send(const char *fmt, ...)
{
	char msg[NOTIFY_MSG_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return -EMSGSIZE;
	return sd_notify_send(msg);
}

static void report(const char *what, int rc)
{
	if (rc < 0)
		log_debug("cannot notify the service manager (%s): %s", what, strerror(-rc));
}

void sd_notify_ready(const char *status)
{
	report("READY", sd_notifyf_send("READY=1\nSTATUS=%s\nMAINPID=%ld", status,
					(long)getpid()));
}

/* MONOTONIC_USEC lets a manager that implements Type=notify-reload match
 * this RELOADING=1 with the SIGHUP it sent; older managers ignore it. */
void sd_notify_reloading(void)
{
	struct timespec ts;
	unsigned long long usec = 0;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == 0)
		usec = (unsigned long long)ts.tv_sec * 1000000ull +
		       (unsigned long long)ts.tv_nsec / 1000ull;
	report("RELOADING", sd_notifyf_send("RELOADING=1\nSTATUS=reloading the configuration\n"
					    "MONOTONIC_USEC=%llu", usec));
}

void sd_notify_stopping(void)
{
	report("STOPPING", sd_notify_send("STOPPING=1\nSTATUS=shutting down"));
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Socket activation: systemd (or systemd-socket-activate) binds the socket,
 * starts us with it as fd 3 and says so in LISTEN_PID (our pid: the
 * variables may have been inherited from a parent that was activated) and
 * LISTEN_FDS (how many, from fd 3 on).  ktlsd serves exactly one socket,
 * so anything else is a unit file mistake and is refused loudly rather
 * than guessed at: the wrong fd would be served or a socket would leak.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "doors/sd_listen.h"

static int parse_positive(const char *text, unsigned long *out)
{
	char *end;

	if (!text || !*text)
		return -1;
	errno = 0;
	*out = strtoul(text, &end, 10);
	return errno || *end || *out == 0 ? -1 : 0;
}

/* How many fds were passed to this very process; 0 if none. */
static int passed_fd_count(char *reason, size_t reason_len)
{
	const char *pid_text = getenv("LISTEN_PID"), *fds_text = getenv("LISTEN_FDS");
	unsigned long pid, n;

	if (!pid_text || !fds_text)
		return 0;
	if (parse_positive(pid_text, &pid) < 0 || parse_positive(fds_text, &n) < 0 ||
	    n > 1024) {
		snprintf(reason, reason_len, "LISTEN_PID=%s LISTEN_FDS=%s are not valid", pid_text,
			 fds_text);
		return -EINVAL;
	}
	if (pid != (unsigned long)getpid())
		return 0;	/* meant for an ancestor */
	return (int)n;
}

static int sockopt_int(int fd, int level, int name, int *value)
{
	socklen_t len = sizeof(*value);

	return getsockopt(fd, level, name, value, &len) < 0 ? -errno : 0;
}

static int check_seqpacket_listener(int fd, char *reason, size_t reason_len)
{
	int domain = 0, type = 0, listening = 0, flags;

	if (sockopt_int(fd, SOL_SOCKET, SO_DOMAIN, &domain) < 0 ||
	    sockopt_int(fd, SOL_SOCKET, SO_TYPE, &type) < 0 ||
	    sockopt_int(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening) < 0) {
		snprintf(reason, reason_len, "fd %d is not a socket: %s", fd, strerror(errno));
		return -ENOTSOCK;
	}
	if (domain != AF_UNIX || type != SOCK_SEQPACKET || !listening) {
		snprintf(reason, reason_len,
			 "fd %d is not a listening AF_UNIX SOCK_SEQPACKET socket "
			 "(domain %d, type %d, listening %d): use ListenSequentialPacket=",
			 fd, domain, type, listening);
		return -EPROTOTYPE;
	}
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		snprintf(reason, reason_len, "fd %d: fcntl: %s", fd, strerror(errno));
		return -errno;
	}
	return 0;
}

int sd_listen_seqpacket(char *reason, size_t reason_len)
{
	int n = passed_fd_count(reason, reason_len), rc;

	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (n < 0)
		return n;
	if (n == 0)
		return -ENOENT;
	if (n != 1) {
		snprintf(reason, reason_len,
			 "%d sockets passed (LISTEN_FDS); ktlsd serves exactly one",
			 n);
		for (int i = 0; i < n; i++)
			close(SD_LISTEN_FDS_START + i);
		return -EINVAL;
	}
	rc = check_seqpacket_listener(SD_LISTEN_FDS_START, reason, reason_len);
	if (rc < 0) {
		close(SD_LISTEN_FDS_START);
		return rc;
	}
	return SD_LISTEN_FDS_START;
}

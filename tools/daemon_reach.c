// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Is ktlsd there?  What every subcommand that needs the daemon says when it
 * is not (or when the kernel lacks kTLS), and the exit status that goes
 * with it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli.h"
#include "ktls.h"
#include "ktls_proto.h"	/* ktls_socket_path(), ktls_daemon_connect() */

#define TLS_STAT_PATH "/proc/net/tls_stat"

static void print_start_hint(void)
{
	fprintf(stderr, "  start it with: ktlsd --config /etc/ktlsd/ktlsd.conf "
			"(or: systemctl start ktlsd),\n"
			"  or point KTLS_SOCKET at the socket of a running ktlsd\n");
}

/* 0 if something accepts connections on the daemon's socket, else errno.
 * The daemon sees a connection that closes without a request, and drops it. */
static int try_daemon(const char *path)
{
	int fd = ktls_daemon_connect(path);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

int cli_require_daemon(const char *command)
{
	const char *path = ktls_socket_path();
	int err = try_daemon(path);

	switch (err) {
	case 0:
		return 0;
	case ENOENT:
		fprintf(stderr, "ktls %s: ktlsd is not running (no socket at %s)\n", command, path);
		break;
	case ECONNREFUSED:
		fprintf(stderr, "ktls %s: ktlsd is not running (nothing listens on %s)\n", command,
			path);
		break;
	case EACCES:
	case EPERM:
		fprintf(stderr, "ktls %s: not allowed to connect to ktlsd at %s: %s\n"
			"  (ask for the group that owns the socket)\n", command, path,
			strerror(err));
		return CLI_EXIT_NO_DAEMON;
	default:
		fprintf(stderr, "ktls %s: cannot reach ktlsd at %s: %s\n", command, path,
			strerror(err));
		break;
	}
	print_start_hint();
	return CLI_EXIT_NO_DAEMON;
}

/* The daemon reports its own failures with errnos such as ENOENT and
 * ECONNREFUSED too, so errno alone cannot say whether it was reached: try. */
bool cli_daemon_unreachable(int err)
{
	if (err != ENOENT && err != ECONNREFUSED && err != EACCES && err != EPERM &&
	    err != ENAMETOOLONG && err != ENOTSOCK)
		return false;
	return try_daemon(ktls_socket_path()) != 0;
}

void cli_report_ktls_failure(const char *command, const char *what, int err)
{
	const char *reason = ktls_errmsg();

	fprintf(stderr, "ktls %s: %s: %s\n", command, what, reason[0] ? reason : strerror(err));
	if (cli_daemon_unreachable(err)) {
		print_start_hint();
		return;
	}
	/* /proc/net/tls_stat appears once the tls module is loaded. */
	if (access(TLS_STAT_PATH, F_OK) < 0 || err == ENOPROTOOPT)
		fprintf(stderr, "  this kernel does not run kernel TLS right now "
				"(no %s): load it with 'modprobe tls';\n"
				"  'ktls check' shows what the kernel supports\n", TLS_STAT_PATH);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ktls command line tool: what every subcommand shares.
 *
 * A subcommand is one file, tools/cmd_NAME.c, exporting
 *	int cmd_NAME(int argc, char **argv);
 * which gets its own argv (argv[0] is "NAME") and returns the process exit
 * status.  To add one: declare it below and add one row to the command table
 * in tools/ktls.c; usage and dispatch follow from that row.
 */
#ifndef KTLS_CLI_H
#define KTLS_CLI_H

#include <stdbool.h>

/* Exit statuses, the same for every subcommand. */
enum cli_exit {
	CLI_EXIT_OK = 0,
	CLI_EXIT_FAIL = 1,	/* the command ran and the answer is "no" / it failed */
	CLI_EXIT_USAGE = 2,	/* bad command line */
	CLI_EXIT_NO_DAEMON = 3,	/* ktlsd is not running or not reachable */
	CLI_EXIT_TLS = 4,	/* the handshake or kTLS failed */
};

int cmd_check(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_get(int argc, char **argv);	/* HTTP client, tools/cmd_get.c */
int cmd_serve(int argc, char **argv);	/* HTTP server, tools/cmd_serve.c */

/* "ktls COMMAND: message" and COMMAND's usage line on stderr.  Returns
 * CLI_EXIT_USAGE so a subcommand can `return cli_usage_error(...)`. */
int cli_usage_error(const char *command, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* COMMAND's usage line and summary on stdout, for --help.  Returns CLI_EXIT_OK. */
int cli_help(const char *command);

/* ---- reaching ktlsd (tools/daemon_reach.c) ---- */

/* Is there a daemon socket?  0, or prints why not for `ktls COMMAND` and
 * returns CLI_EXIT_NO_DAEMON. */
int cli_require_daemon(const char *command);

/* A ktls_connect()/ktls_accept() failure with errno err: did it fail because
 * the daemon could not be reached?  Then it needs CLI_EXIT_NO_DAEMON. */
bool cli_daemon_unreachable(int err);

/* "ktls COMMAND: what: ktls_errmsg()" and a hint where one helps: how to
 * start ktlsd, or that the kernel lacks kTLS. */
void cli_report_ktls_failure(const char *command, const char *what, int err);

#endif /* KTLS_CLI_H */

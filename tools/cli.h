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

/* Exit statuses, the same for every subcommand. */
enum cli_exit {
	CLI_EXIT_OK = 0,
	CLI_EXIT_FAIL = 1,	/* the command ran and the answer is "no" / it failed */
	CLI_EXIT_USAGE = 2,	/* bad command line */
};

int cmd_check(int argc, char **argv);
int cmd_status(int argc, char **argv);

/* "ktls COMMAND: message" and COMMAND's usage line on stderr.  Returns
 * CLI_EXIT_USAGE so a subcommand can `return cli_usage_error(...)`. */
int cli_usage_error(const char *command, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* COMMAND's usage line and summary on stdout, for --help.  Returns CLI_EXIT_OK. */
int cli_help(const char *command);

#endif /* KTLS_CLI_H */

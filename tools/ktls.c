// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ktls - command line tool for kernel TLS: find the subcommand, run it.
 *
 *	ktls COMMAND [options]
 *	ktls --version | --help
 *
 * Only commands that exist are listed: the table below is the single place a
 * subcommand is registered (see tools/cli.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* The Makefile's $(VERSION); a build that does not pass it still says
 * something true about the source it came from. */
#ifndef KTLSD_VERSION
#define KTLSD_VERSION "0.1.0"
#endif

struct cli_command {
	const char *name;
	const char *synopsis;	/* options and arguments, for usage */
	const char *summary;
	int (*run)(int argc, char **argv);
};

static const struct cli_command commands[] = {
	{ "check", "[--quiet | --json]",
	  "probe what the running kernel's TLS (kTLS) supports", cmd_check },
	{ "get", "https://HOST[:PORT]/PATH [-o FILE] [options]",
	  "fetch a URL over kernel TLS (handshake by ktlsd)", cmd_get },
	{ "serve", "--root DIR --port PORT [options]",
	  "serve files over HTTPS with sendfile() into kernel TLS", cmd_serve },
	{ "status", "[--prometheus] [--socket PATH]",
	  "show the running ktlsd's counters (root and ktlsd's group)", cmd_status },
};

#define COMMAND_COUNT (sizeof(commands) / sizeof(commands[0]))

static const struct cli_command *find_command(const char *name)
{
	for (size_t i = 0; i < COMMAND_COUNT; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static void print_usage(FILE *out)
{
	fprintf(out, "usage: ktls COMMAND [options]\n"
		     "       ktls --version | --help\n\ncommands:\n");
	for (size_t i = 0; i < COMMAND_COUNT; i++)
		fprintf(out, "  %-6s %-20s %s\n", commands[i].name, commands[i].synopsis,
			commands[i].summary);
	fprintf(out, "\n'ktls COMMAND --help' describes one command.\n");
}

int cli_usage_error(const char *command, const char *fmt, ...)
{
	const struct cli_command *cmd = find_command(command);
	va_list ap;

	fprintf(stderr, "ktls %s: ", command);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (cmd)
		fprintf(stderr, "usage: ktls %s %s\n", cmd->name, cmd->synopsis);
	return CLI_EXIT_USAGE;
}

int cli_help(const char *command)
{
	const struct cli_command *cmd = find_command(command);

	if (!cmd)
		return cli_usage_error(command, "no such command");
	printf("usage: ktls %s %s\n%s\n", cmd->name, cmd->synopsis, cmd->summary);
	return CLI_EXIT_OK;
}

int main(int argc, char **argv)
{
	const struct cli_command *cmd;

	if (argc < 2) {
		print_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("ktls %s\n", KTLSD_VERSION);
		return CLI_EXIT_OK;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		print_usage(stdout);
		return CLI_EXIT_OK;
	}
	cmd = find_command(argv[1]);
	if (!cmd) {
		fprintf(stderr, "ktls: unknown command '%s'\n", argv[1]);
		print_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	return cmd->run(argc - 1, argv + 1);
}

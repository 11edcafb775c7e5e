// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekey_peer - TLS 1.3 KeyUpdate after the handoff, driven by t_rekey.sh
 * against a running ktlsd ($KTLS_SOCKET).  Prints TAP lines without numbers
 * ("ok - ..."; the script numbers them) and "# " diagnostics.  Exit 0 when
 * every check passed, 1 when one failed, 2 on bad usage.
 *
 *   pair    fork: the child ktls_accept()s, the parent ktls_connect()s, then
 *           --rounds ping-pong rounds of --chunk bytes each way, every byte
 *           compared with the pattern the other side wrote.  The client
 *           calls ktls_rekey() before every 2nd round (asking the server to
 *           update too every 4th), the server before every 3rd (asking every
 *           6th); each side's ktls_recv() takes the other's KeyUpdates and
 *           answers requests.  With --expect-old-kernel: ktls_rekey() must
 *           fail with EOPNOTSUPP naming Linux 6.14, and the connection must
 *           still carry the rounds (nothing was sent).
 *   client  ktls_connect() to --port (openssl s_server), print "# handshake
 *           done" on stderr, read --bytes bytes to stdout (ktls_recv, or
 *           with --plain-read: read() and ktls_handle_record() when read()
 *           fails with EIO/EKEYEXPIRED), then write --say TEXT and wait for
 *           the server to close.  A failure prints "# error: ERRNO: reason"
 *           on stderr and exits 3.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktls.h"
#include "ktls_loopback.h"
#include "support/net.h"
#include "support/tap.h"
#include "support_io.h"

#define IO_TIMEOUT_S 120
#define SERVER_NAME "localhost"
#define EXIT_FAILED_CALL 3

struct options {
	const char *mode;
	int rounds;
	size_t chunk;
	int port;
	size_t bytes;
	int plain_read;
	int expect_old_kernel;
	const char *say;
};

struct side {
	const char *name;
	uint8_t id;		/* pattern seed: 'C' or 'S' */
	int rekey_every, request_every;
	unsigned rekeys, requests;
};

static void pattern(uint8_t *buf, size_t len, int round, uint8_t side)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(round * 131 + i * 7 + side + (i >> 8));
}

/* Exactly len bytes with ktls_recv(), which handles KeyUpdates in passing. */
static int recv_full(int fd, uint8_t *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = ktls_recv(fd, buf + got, len - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = ECONNRESET;
			return -1;
		}
		got += (size_t)n;
	}
	return 0;
}

/* Our rekey before round r, per the side's schedule. */
static int maybe_rekey(int fd, struct side *s, int r, const struct options *opt)
{
	int ask;

	if (r % s->rekey_every)
		return 0;
	ask = r % s->request_every == 0;
	if (ktls_rekey(fd, ask) < 0) {
		if (opt->expect_old_kernel && errno == EOPNOTSUPP && strstr(ktls_errmsg(), "6.14"))
			return 0;
		diag("%s: ktls_rekey before round %d: %s: %s", s->name, r, strerror(errno),
		     ktls_errmsg());
		return -1;
	}
	if (opt->expect_old_kernel) {
		diag("%s: ktls_rekey succeeded on a kernel said to be old", s->name);
		return -1;
	}
	s->rekeys++;
	s->requests += (unsigned)ask;
	return 0;
}

/* One side's rounds; the client writes first, the server answers. */
static int run_rounds(int fd, struct side *s, const struct options *opt, int client)
{
	uint8_t *mine = malloc(opt->chunk), *want = malloc(opt->chunk), *got = malloc(opt->chunk);
	uint8_t peer = client ? 'S' : 'C';
	int rc = -1;

	if (!mine || !want || !got)
		goto out;
	for (int r = 0; r < opt->rounds; r++) {
		pattern(mine, opt->chunk, r, s->id);
		pattern(want, opt->chunk, r, peer);
		if (!client && recv_full(fd, got, opt->chunk) < 0)
			goto fail_io;
		if (maybe_rekey(fd, s, r, opt) < 0)
			goto out;
		if (io_write_all(fd, mine, opt->chunk) < 0)
			goto fail_io;
		if (client && recv_full(fd, got, opt->chunk) < 0)
			goto fail_io;
		if (memcmp(got, want, opt->chunk)) {
			diag("%s: round %d: the peer's bytes differ from its pattern", s->name, r);
			goto out;
		}
	}
	rc = 0;
	goto out;
fail_io:
	diag("%s: I/O in the rounds: %s: %s", s->name, strerror(errno), ktls_errmsg());
out:
	free(mine);
	free(want);
	free(got);
	return rc;
}

static int pair_server(int lfd, const struct options *opt)
{
	struct side s = { "server", 'S', 3, 6, 0, 0 };
	int fd = accept(lfd, NULL, NULL);
	uint8_t end;

	if (fd < 0 || ktls_accept(fd) < 0) {
		diag("server: accept/ktls_accept: %s", ktls_errmsg());
		return 1;
	}
	set_io_timeouts(fd, IO_TIMEOUT_S);
	if (run_rounds(fd, &s, opt, 0) < 0)
		return 1;
	/* the client's close_notify ends it */
	if (ktls_recv(fd, &end, 1, 0) != 0) {
		diag("server: expected close_notify after the rounds: %s", ktls_errmsg());
		return 1;
	}
	diag("server: %u rekeys (%u asking the client to update)", s.rekeys, s.requests);
	ktls_close(fd);
	return 0;
}

static int mode_pair(const struct options *opt)
{
	struct side s = { "client", 'C', 2, 4, 0, 0 };
	int port, lfd = ktls_loopback_listen(8, &port), fd, status = 0, ok;
	pid_t child;

	if (lfd < 0) {
		perror("listen");
		return 2;
	}
	child = fork();
	if (child == 0)
		_exit(pair_server(lfd, opt));
	close(lfd);
	fd = tcp_connect("127.0.0.1", port, IO_TIMEOUT_S);
	ok = fd >= 0 &&
	     ktls_setsockopt(fd, SOL_KTLS, KTLS_SERVER_NAME, SERVER_NAME, strlen(SERVER_NAME)) == 0 &&
	     ktls_connect(fd) == 0;
	if (!ok)
		diag("client: connect/ktls_connect: %s", ktls_errmsg());
	ok = ok && run_rounds(fd, &s, opt, 1) == 0;
	if (fd >= 0) {
		ktls_shutdown(fd, SHUT_WR);
		ktls_close(fd);
	}
	if (waitpid(child, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		ok = 0;
	tap(ok, "pair",
	    "%d rounds of %zu bytes each way intact; client %u rekeys (%u asking), %s",
	    opt->rounds, opt->chunk, s.rekeys, s.requests,
	    opt->expect_old_kernel ? "ktls_rekey EOPNOTSUPP naming Linux 6.14 on both sides"
				   : "server's counts above");
	return ok ? 0 : 1;
}

/* ---- client of openssl s_server ---------------------------------------------- */

static int fail_call(const char *what)
{
	int err = errno;

	fprintf(stderr, "# error: %s: %s: %s\n", what, strerrorname_np(err) ? strerrorname_np(err)
								 : "?", ktls_errmsg());
	return EXIT_FAILED_CALL;
}

/* read() as an application that knows nothing of TLS records would, with
 * ktls_handle_record() as its one concession. */
static ssize_t plain_read(int fd, void *buf, size_t len)
{
	for (;;) {
		ssize_t n = read(fd, buf, len);
		int rc;

		if (n >= 0 || (errno != EIO && errno != EKEYEXPIRED && errno != EINTR))
			return n;
		if (errno == EINTR)
			continue;
		rc = ktls_handle_record(fd);
		if (rc < 0)
			return -1;
		if (rc == 1)
			return 0;
	}
}

static int mode_client(const struct options *opt)
{
	static uint8_t buf[65536];
	size_t left = opt->bytes;
	int fd = tcp_connect("127.0.0.1", opt->port, IO_TIMEOUT_S);

	if (fd < 0)
		return fail_call("connect");
	if (ktls_setsockopt(fd, SOL_KTLS, KTLS_SERVER_NAME, SERVER_NAME, strlen(SERVER_NAME)) < 0 ||
	    ktls_connect(fd) < 0)
		return fail_call("ktls_connect");
	fprintf(stderr, "# handshake done\n");
	while (left > 0) {
		size_t want = left < sizeof(buf) ? left : sizeof(buf);
		ssize_t n = opt->plain_read ? plain_read(fd, buf, want)
					    : ktls_recv(fd, buf, want, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail_call(opt->plain_read ? "read" : "ktls_recv");
		if (n == 0) {
			fprintf(stderr, "# error: EOF after %zu bytes\n", opt->bytes - left);
			return EXIT_FAILED_CALL;
		}
		if (io_write_all(STDOUT_FILENO, buf, (size_t)n) < 0)
			return 1;
		left -= (size_t)n;
	}
	if (opt->say) {
		char line[256];
		int len = snprintf(line, sizeof(line), "%s\n", opt->say);

		if (io_write_all(fd, line, (size_t)len) < 0)
			return fail_call("write after the KeyUpdates");
	}
	/* until s_server closes (the script ends its input) */
	while (ktls_recv(fd, buf, sizeof(buf), 0) > 0)
		;
	ktls_close(fd);
	fprintf(stderr, "# done\n");
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: rekey_peer pair [--rounds N] [--chunk BYTES] [--expect-old-kernel]\n"
			"       rekey_peer client --port P --bytes N [--plain-read] [--say TEXT]\n");
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "rounds", required_argument, NULL, 'r' },
		{ "chunk", required_argument, NULL, 'c' },
		{ "port", required_argument, NULL, 'p' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "plain-read", no_argument, NULL, 'P' },
		{ "expect-old-kernel", no_argument, NULL, 'O' },
		{ "say", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	struct options opt = { .rounds = 300, .chunk = 4096 };
	int c;

	if (argc < 2)
		return usage();
	opt.mode = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'r': opt.rounds = atoi(optarg); break;
		case 'c': opt.chunk = strtoul(optarg, NULL, 10); break;
		case 'p': opt.port = atoi(optarg); break;
		case 'b': opt.bytes = strtoul(optarg, NULL, 10); break;
		case 'P': opt.plain_read = 1; break;
		case 'O': opt.expect_old_kernel = 1; break;
		case 's': opt.say = optarg; break;
		default: return usage();
		}
	}
	signal(SIGPIPE, SIG_IGN);
	if (!strcmp(opt.mode, "pair") && opt.rounds > 0 && opt.chunk > 0)
		return mode_pair(&opt);
	if (!strcmp(opt.mode, "client") && opt.port > 0)
		return mode_client(&opt);
	return usage();
}

// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * dos_flood - one local user flooding ktlsd with stalled handshakes, for
 * t_dos.sh.
 *
 *   dos_flood --count N [--hold S] [--ready FILE]
 *
 * Listens on a loopback port it never accepts on (the kernel completes the
 * TCP handshakes into the backlog, nobody ever answers a ClientHello),
 * then starts N client handshakes to it through ktlsd ($KTLS_SOCKET) with
 * the async API, all at once.  After two seconds it counts the answers so
 * far (refusals: EAGAIN and others) and prints one line
 *   started=N eagain=A other=F waiting=W first_eagain_reason="..." first_other="..."
 * (started: requests sent; waiting: no answer yet, i.e. stalled in ktlsd
 * or in its backlog), creates FILE, and holds every connection open for S
 * seconds (default 60) or until killed.  Exit 0, or 2 on bad usage / setup.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ktls.h"
#include "ktls_loopback.h"
#include "support/net.h"

#define ANSWER_WAIT_MS 2000

struct flood {
	int *socks, *handles;
	unsigned count, started, eagain, other, waiting;
	char first_eagain[256], first_other[300];
};

static void other_failure(struct flood *f, const char *when)
{
	if (!f->other++)
		snprintf(f->first_other, sizeof(f->first_other), "%s: %s: %s", when,
			 strerrorname_np(errno) ? strerrorname_np(errno) : "?", ktls_errmsg());
}

static void start_all(struct flood *f, int port)
{
	for (unsigned i = 0; i < f->count; i++) {
		f->socks[i] = tcp_connect("127.0.0.1", port, 5);
		f->handles[i] = -1;
		if (f->socks[i] < 0) {
			other_failure(f, "connect");
			continue;
		}
		ktls_setsockopt(f->socks[i], SOL_KTLS, KTLS_SERVER_NAME, "localhost", 9);
		f->handles[i] = ktls_handshake_start(f->socks[i], KTLS_ROLE_CLIENT);
		if (f->handles[i] >= 0)
			f->started++;
		else if (errno == EAGAIN)
			f->eagain++;
		else
			other_failure(f, "start");
	}
}

/* Collect the answers that came within ANSWER_WAIT_MS. */
static void count_answers(struct flood *f)
{
	struct pollfd pfd;

	usleep(ANSWER_WAIT_MS * 1000);
	for (unsigned i = 0; i < f->count; i++) {
		if (f->handles[i] < 0)
			continue;
		pfd = (struct pollfd){ .fd = f->handles[i], .events = POLLIN };
		if (poll(&pfd, 1, 0) != 1) {
			f->waiting++;
			continue;
		}
		if (ktls_handshake_finish(f->socks[i], f->handles[i]) == 0) {
			errno = 0;	/* a stalled peer cannot complete a handshake */
			other_failure(f, "finished");
		} else if (errno == EAGAIN) {
			if (!f->eagain++)
				snprintf(f->first_eagain, sizeof(f->first_eagain), "%s", ktls_errmsg());
		} else {
			other_failure(f, "answer");
		}
		f->handles[i] = -1;
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "hold", required_argument, NULL, 'h' },
		{ "ready", required_argument, NULL, 'r' },
		{ 0 },
	};
	struct flood f = { 0 };
	const char *ready = NULL;
	unsigned hold_s = 60;
	int c, listener, port, fd;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n': f.count = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'h': hold_s = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'r': ready = optarg; break;
		default:
			fprintf(stderr, "usage: dos_flood --count N [--hold S] [--ready FILE]\n");
			return 2;
		}
	}
	f.socks = calloc(f.count + 1, sizeof(int));
	f.handles = calloc(f.count + 1, sizeof(int));
	listener = ktls_loopback_listen((int)f.count + 16, &port);
	if (!f.count || !f.socks || !f.handles || listener < 0) {
		fprintf(stderr, "dos_flood: setup: %s\n", strerror(errno));
		return 2;
	}
	start_all(&f, port);
	count_answers(&f);
	printf("started=%u eagain=%u other=%u waiting=%u first_eagain_reason=\"%s\" "
	       "first_other=\"%s\"\n", f.started, f.eagain, f.other, f.waiting, f.first_eagain,
	       f.first_other);
	fflush(stdout);
	if (ready && (fd = open(ready, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) >= 0)
		close(fd);
	sleep(hold_s);
	return 0;
}

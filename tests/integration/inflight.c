// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * inflight - handshakes in flight through ktlsd, driven by t_perf.sh
 * against a running ktlsd ($KTLS_SOCKET).  Prints "key=value" result lines
 * and "# " diagnostics; the script judges them.  Exit 0 when the mode ran,
 * 1 when something it needs failed, 2 on bad usage.
 *
 *   stall    --count N: N TCP connections to a listener of our own that
 *            accepts and never answers, each handed to ktlsd as a client
 *            handshake (ktls_handshake_start, the application door), so
 *            that ktlsd holds N handshakes waiting for a ServerHello.
 *            Prints "started=S answered=A" (A: requests ktlsd answered at
 *            once, e.g. refused with EAGAIN) and "READY", then holds
 *            everything until stdin reaches EOF.  Needs about 3N fds.
 *   latency  --count M --cert PEM --key PEM [--recv-tickets 0|1]
 *            [--profile NAME] [--port P] [--request-cert] [--nodelay 0|1]:
 *            M handshakes one after the other,
 *            ktls_connect() against a GnuTLS server in a thread (it sends
 *            no session tickets; asks for a client certificate with
 *            --request-cert), each timed from connect() to
 *            ktls_connect()'s return.  A handshake whose socket has another
 *            TCP_NODELAY after ktls_connect() than the caller set before
 *            (ktlsd borrows it) counts as failed.  Prints "n= failed=
 *            p50_ms= p99_ms= max_ms=".
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ktls.h"
#include "support/clock.h"
#include "support/net.h"

struct options {
	const char *mode, *cert, *key, *profile;
	long count;
	int port, request_cert;
	int recv_tickets;
	int nodelay;		/* the caller's TCP_NODELAY, set before ktls_connect() */
};

/* On *port, or any port when it is 0 (then *port says which). */
static int listen_any(int backlog, int *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				  .sin_port = htons((uint16_t)*port) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, backlog) < 0 || getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
		perror("# listen");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

/* ---- stall --------------------------------------------------------------- */

/* Connections beyond the backlog would wait in SYN_SENT: accept as we go. */
static void accept_pending(int lfd, int *accepted, long *n_accepted)
{
	int fd;

	while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0)
		accepted[(*n_accepted)++] = fd;
}

static long count_answered(const int *handles, long n)
{
	long answered = 0;

	for (long i = 0; i < n; i++) {
		struct pollfd p = { .fd = handles[i], .events = POLLIN };

		if (poll(&p, 1, 0) > 0)
			answered++;
	}
	return answered;
}

static int mode_stall(const struct options *o)
{
	int *socks = calloc((size_t)o->count, sizeof(int));
	int *handles = calloc((size_t)o->count, sizeof(int));
	int *accepted = calloc((size_t)o->count, sizeof(int));
	long started = 0, n_accepted = 0, i;
	int lfd, port = 0, flags;
	char c;
	double t0 = now_s();

	if (!socks || !handles || !accepted)
		return 1;
	lfd = listen_any(4096, &port);
	if (lfd < 0)
		return 1;
	flags = 1;
	(void)setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &flags, sizeof(flags));
	/* non-blocking accepts between connects */
	if (fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) | O_NONBLOCK) < 0)
		return 1;
	for (i = 0; i < o->count; i++) {
		socks[i] = tcp_connect("127.0.0.1", port, 10);
		if (socks[i] < 0) {
			printf("# connection %ld: %s\n", i, strerror(errno));
			break;
		}
		accept_pending(lfd, accepted, &n_accepted);
		handles[i] = ktls_handshake_start(socks[i], KTLS_ROLE_CLIENT);
		if (handles[i] < 0) {
			printf("# handshake %ld: %s (%s)\n", i, strerror(errno), ktls_errmsg());
			close(socks[i]);
			break;
		}
		started++;
	}
	accept_pending(lfd, accepted, &n_accepted);
	/* Give ktlsd time to read the last requests: a refusal is an answer. */
	sleep(2);
	printf("started=%ld answered=%ld accepted=%ld seconds=%.1f\n", started,
	       count_answered(handles, started), n_accepted, now_s() - t0);
	printf("READY\n");
	fflush(stdout);
	while (read(0, &c, 1) > 0)
		;
	printf("answered_at_end=%ld\n", count_answered(handles, started));
	for (i = 0; i < started; i++) {
		close(handles[i]);
		close(socks[i]);
	}
	for (i = 0; i < n_accepted; i++)
		close(accepted[i]);
	close(lfd);
	return started == o->count ? 0 : 1;
}

/* ---- latency ------------------------------------------------------------- */

struct server {
	int lfd, request_cert;
	long count;
	gnutls_certificate_credentials_t cred;
};

static void *server_main(void *arg)
{
	struct server *s = arg;
	char buf[256];

	for (long i = 0; i < s->count; i++) {
		gnutls_session_t session;
		int fd = accept(s->lfd, NULL, NULL), rc;

		if (fd < 0)
			break;
		set_io_timeouts(fd, 60);
		if (gnutls_init(&session, GNUTLS_SERVER) < 0) {
			close(fd);
			break;
		}
		gnutls_set_default_priority(session);
		gnutls_credentials_set(session, GNUTLS_CRD_CERTIFICATE, s->cred);
		if (s->request_cert)	/* asked for, not verified */
			gnutls_certificate_server_set_request(session, GNUTLS_CERT_REQUEST);
		gnutls_transport_set_int(session, fd);
		do
			rc = gnutls_handshake(session);
		while (rc < 0 && !gnutls_error_is_fatal(rc));
		if (rc < 0)
			printf("# server handshake %ld: %s\n", i, gnutls_strerror(rc));
		/* until the client closes: its close ends this connection */
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		gnutls_deinit(session);
		close(fd);
	}
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double percentile(const double *sorted, long n, double p)
{
	long i = (long)(p * (double)(n - 1) + 0.5);

	return n ? sorted[i < n ? i : n - 1] : 0;
}

static int nodelay_of(int fd)
{
	int v = -1;
	socklen_t len = sizeof(v);

	if (getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &len) < 0)
		return -1;
	return v != 0;
}

static int client_one(int port, const struct options *o, double *ms)
{
	double t0 = now_ms();
	int fd = tcp_connect("127.0.0.1", port, 10), rc;

	if (fd < 0)
		return -1;
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &o->nodelay, sizeof(o->nodelay)) < 0) {
		printf("# TCP_NODELAY: %s\n", strerror(errno));
		close(fd);
		return -1;
	}
	if (ktls_setsockopt(fd, SOL_KTLS, KTLS_SERVER_NAME, "localhost", 9) < 0 ||
	    (o->profile && ktls_setsockopt(fd, SOL_KTLS, KTLS_PROFILE, o->profile,
					   (socklen_t)strlen(o->profile)) < 0) ||
	    ktls_setsockopt(fd, SOL_KTLS, KTLS_RECV_TICKETS, &o->recv_tickets,
			    sizeof(o->recv_tickets)) < 0) {
		printf("# options: %s\n", ktls_errmsg());
		close(fd);
		return -1;
	}
	rc = ktls_connect(fd);
	*ms = now_ms() - t0;
	if (rc < 0)
		printf("# ktls_connect: %s (%s)\n", strerror(errno), ktls_errmsg());
	if (rc == 0 && nodelay_of(fd) != o->nodelay) {
		printf("# TCP_NODELAY was %d before ktls_connect(), %d after\n", o->nodelay,
		       nodelay_of(fd));
		rc = -1;
	}
	ktls_forget(fd);
	close(fd);
	return rc;
}

static int mode_latency(const struct options *o)
{
	struct server s = { .count = o->count, .request_cert = o->request_cert };
	double *ms = calloc((size_t)o->count, sizeof(double));
	long ok = 0, failed = 0;
	pthread_t th;
	int port = o->port;

	if (!ms || !o->cert || !o->key)
		return 2;
	if (gnutls_certificate_allocate_credentials(&s.cred) < 0 ||
	    gnutls_certificate_set_x509_key_file(s.cred, o->cert, o->key, GNUTLS_X509_FMT_PEM) < 0) {
		printf("# cannot load %s / %s\n", o->cert, o->key);
		return 1;
	}
	s.lfd = listen_any(16, &port);
	if (s.lfd < 0 || pthread_create(&th, NULL, server_main, &s) != 0)
		return 1;
	for (long i = 0; i < o->count; i++) {
		double t;

		if (client_one(port, o, &t) == 0)
			ms[ok++] = t;
		else
			failed++;
	}
	shutdown(s.lfd, SHUT_RDWR);
	pthread_join(th, NULL);
	close(s.lfd);
	qsort(ms, (size_t)ok, sizeof(double), cmp_double);
	printf("n=%ld failed=%ld p50_ms=%.1f p99_ms=%.1f max_ms=%.1f\n", ok, failed,
	       percentile(ms, ok, 0.5), percentile(ms, ok, 0.99), ok ? ms[ok - 1] : 0);
	gnutls_certificate_free_credentials(s.cred);
	free(ms);
	return failed ? 1 : 0;
}

/* ---- main ---------------------------------------------------------------- */

static void usage(void) __attribute__((noreturn));
static void usage(void)
{
	fprintf(stderr, "usage: inflight stall --count N\n"
			"       inflight latency --count M --cert PEM --key PEM "
			"[--recv-tickets 0|1] [--profile NAME] [--port P] [--request-cert]\n"
			"                [--nodelay 0|1]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "profile", required_argument, NULL, 'p' },
		{ "recv-tickets", required_argument, NULL, 'r' },
		{ "port", required_argument, NULL, 'P' },
		{ "request-cert", no_argument, NULL, 'R' },
		{ "nodelay", required_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 },
	};
	struct options o = { .count = 1 };
	int c;

	if (argc < 2)
		usage();
	o.mode = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'n': o.count = strtol(optarg, NULL, 10); break;
		case 'c': o.cert = optarg; break;
		case 'k': o.key = optarg; break;
		case 'p': o.profile = optarg; break;
		case 'r': o.recv_tickets = atoi(optarg) ? 1 : 0; break;
		case 'P': o.port = atoi(optarg); break;
		case 'R': o.request_cert = 1; break;
		case 'D': o.nodelay = atoi(optarg) ? 1 : 0; break;
		default: usage();
		}
	}
	if (o.count < 1 || o.count > 1000000)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(o.mode, "stall") == 0)
		return mode_stall(&o);
	if (strcmp(o.mode, "latency") == 0)
		return mode_latency(&o);
	usage();
}

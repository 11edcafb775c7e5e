// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ktls-bench ttfb: time to the first response byte of one HTTP GET, from
 * a ktlsd client (libktls) to `ktls serve` (ktlsd's server role), as a full
 * handshake, a resumed one and a resumed one carrying the GET as TLS 1.3
 * early data (0-RTT), one connection at a time (issue 12).
 *
 * Each round runs the three modes in that order, each resuming with the
 * ticket the one before left in ktlsd's client cache.  Every run must be
 * what it claims (KTLS_RESUMED, KTLS_EARLY_DATA_STATUS == ACCEPTED for
 * 0-RTT) and bring the object intact (SHA-256); a run that is not fails the
 * whole command.  Round 0 is a warm-up, checked but not timed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"
#include "support_io.h"

#define TTFB_RUNS_DEFAULT 20
#define TTFB_RUNS_SHORT 3
#define TTFB_READ_TIMEOUT_MS 10000
#define TTFB_HEAD_MAX 2048

enum ttfb_mode { TTFB_FULL, TTFB_RESUMED, TTFB_EARLY };
#define TTFB_MODES 3
static const char *const mode_name[TTFB_MODES] = { "full", "resumed", "0-rtt" };

struct ttfb_run {
	double tcp_ms;		/* connect(2): one round trip (SYN, SYN-ACK) */
	double ttfb_ms;		/* connect(2) called -> first response byte read */
	int resumed, early_status;
};

/* A free loopback port for ktls serve (released just before it binds). */
static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static int tcp_connect(int port, double *tcp_ms)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	double t0 = now_s();

	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	if (tcp_ms)
		*tcp_ms = (now_s() - t0) * 1000;
	return fd;
}

static pid_t serve_start(const struct bench_ctx *ctx, int port, char *why, size_t why_len)
{
	char bin[512], root[512], port_s[16], profile[96], log_path[512];
	pid_t pid;
	int fd = -1;
	double give_up;

	bench_sibling_path("ktls", bin, sizeof(bin));
	snprintf(root, sizeof(root), "%s/www", ctx->work_dir);
	snprintf(log_path, sizeof(log_path), "%s/ktls-serve.log", ctx->work_dir);
	snprintf(port_s, sizeof(port_s), "%d", port);
	ktlsd_profile_name(profile, sizeof(profile), 1, KTLS_CIPHER_AES_128_GCM, CERT_ECDSA_P256);
	snprintf(profile + strlen(profile), sizeof(profile) - strlen(profile), "-early");
	if (access(bin, X_OK) < 0) {
		bench_text(why, why_len, "no ktls at %s", bin);
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		bench_text(why, why_len, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		int log = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		prctl(PR_SET_PDEATHSIG, SIGTERM);	/* never outlive the bench */
		if (log >= 0) {
			dup2(log, STDOUT_FILENO);
			dup2(log, STDERR_FILENO);
		}
		execl(bin, bin, "serve", "--root", root, "--port", port_s, "--bind", "127.0.0.1",
		      "--profile", profile, (char *)NULL);
		_exit(127);
	}
	give_up = now_s() + ctx->opts->ktlsd_wait_s;
	while (now_s() < give_up && (fd = tcp_connect(port, NULL)) < 0)
		usleep(50 * 1000);
	if (fd < 0) {
		child_stop(pid, 5);
		bench_text(why, why_len, "ktls serve did not listen on %d (see %s)", port, log_path);
		return -1;
	}
	close(fd);
	return pid;
}

static int set_int(int fd, int opt, int v)
{
	return ktls_setsockopt(fd, SOL_KTLS, opt, &v, sizeof(v));
}

static int get_int(int fd, int opt)
{
	int v = -1;
	socklen_t len = sizeof(v);

	return ktls_getsockopt(fd, SOL_KTLS, opt, &v, &len) < 0 ? -1 : v;
}

/* Reads one response (keep-alive: its Content-Length, then we close): the
 * first byte's time, status 200, and the body equal to the object. */
static int read_response(int fd, const struct bench_ctx *ctx, double *first_s,
			 char *why, size_t why_len)
{
	static char buf[65536];
	char head[TTFB_HEAD_MAX + 1];
	size_t head_len = 0, body = 0, want = ctx->opts->sizes[0];
	int in_body = 0, ok;
	struct object_check oc;

	*first_s = 0;
	if (object_check_init(&oc, ctx->file_sha[0], want) < 0)
		return -1;
	while (!in_body || body < want) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		size_t take, head_off;
		ssize_t n;
		char *end, *cl;

		if (poll(&p, 1, TTFB_READ_TIMEOUT_MS) <= 0) {
			bench_text(why, why_len, "no response within %d ms", TTFB_READ_TIMEOUT_MS);
			break;
		}
		n = ktls_recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			bench_text(why, why_len, "ktls_recv: %s", ktls_errmsg());
			break;
		}
		if (n == 0) {
			bench_text(why, why_len, "end of stream after %zu body bytes", body);
			break;
		}
		if (!*first_s)
			*first_s = now_s();
		if (in_body) {
			object_check_feed(&oc, buf, (size_t)n);
			body += (size_t)n;
			continue;
		}
		/* the head may come with body bytes behind it in the same read */
		take = TTFB_HEAD_MAX - head_len < (size_t)n ? TTFB_HEAD_MAX - head_len : (size_t)n;
		head_off = head_len;
		memcpy(head + head_len, buf, take);
		head_len += take;
		head[head_len] = '\0';
		end = strstr(head, "\r\n\r\n");
		if (!end) {
			if (head_len == TTFB_HEAD_MAX) {
				bench_text(why, why_len, "no end of head in %d bytes", TTFB_HEAD_MAX);
				break;
			}
			continue;
		}
		end[2] = '\0';
		cl = strcasestr(head, "\r\nContent-Length:");
		if (strncmp(head, "HTTP/1.1 200 ", 13) || !cl ||
		    strtoull(cl + 17, NULL, 10) != want) {
			bench_text(why, why_len, "not a 200 of %zu bytes: %.60s", want, head);
			break;
		}
		in_body = 1;
		end += 4;
		take = (size_t)n - ((size_t)(end - head) - head_off);
		object_check_feed(&oc, buf + (n - (ssize_t)take), take);
		body += take;
	}
	ok = object_check_done(&oc, 1);
	if (why[0])
		return -1;
	if (!ok || body != want) {
		bench_text(why, why_len, "body: %zu bytes, SHA-256 %s", body,
			   ok ? "ok" : "differs");
		return -1;
	}
	return 0;
}

static int one_run(const struct bench_ctx *ctx, int port, enum ttfb_mode mode,
		   struct ttfb_run *r, char *why, size_t why_len)
{
	char profile[96], request[256];
	int fd, len, rc = -1;
	double t0, first;

	memset(r, 0, sizeof(*r));
	why[0] = '\0';
	/* keep-alive: we read Content-Length bytes and close.  A server that
	 * closes first races ktlsd's wait for the ticket (bench/README.md). */
	len = snprintf(request, sizeof(request), "GET /%s HTTP/1.1\r\nHost: %s\r\n\r\n",
		       ctx->file_names[0], BENCH_SERVER_NAME);
	/* the profile whose cache waits for the ticket the next run resumes */
	ktlsd_profile_name(profile, sizeof(profile), 0, KTLS_CIPHER_AES_128_GCM, CERT_ECDSA_P256);
	snprintf(profile + strlen(profile), sizeof(profile) - strlen(profile), "-resume");
	t0 = now_s();
	fd = tcp_connect(port, &r->tcp_ms);
	if (fd < 0) {
		bench_text(why, why_len, "connect: %s", strerror(errno));
		return -1;
	}
	/* As curl and most HTTP clients do.  ktlsd writes the handshake on
	 * this socket: with Nagle on, the early data record and the client's
	 * second flight wait for ACKs, which cost the 0-RTT arm about one
	 * round trip more than resumed 1-RTT (bench/README.md); --nagle shows it. */
	if (!ctx->opts->ttfb_nagle &&
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int)) < 0) {
		bench_text(why, why_len, "TCP_NODELAY: %s", strerror(errno));
		goto out;
	}
	if (ktls_setsockopt(fd, SOL_KTLS, KTLS_PROFILE, profile, (socklen_t)strlen(profile)) < 0 ||
	    ktls_setsockopt(fd, SOL_KTLS, KTLS_SERVER_NAME, BENCH_SERVER_NAME,
			    (socklen_t)strlen(BENCH_SERVER_NAME)) < 0 ||
	    set_int(fd, KTLS_RECV_TICKETS, 1) < 0 ||
	    (mode == TTFB_FULL && set_int(fd, KTLS_NO_RESUME, 1) < 0) ||
	    (mode == TTFB_EARLY &&
	     ktls_setsockopt(fd, SOL_KTLS, KTLS_EARLY_DATA, request, (socklen_t)len) < 0)) {
		bench_text(why, why_len, "options: %s", ktls_errmsg());
		goto out;
	}
	if (ktls_connect(fd) < 0) {
		bench_text(why, why_len, "ktls_connect: %s", ktls_errmsg());
		goto out;
	}
	r->resumed = get_int(fd, KTLS_RESUMED);
	r->early_status = get_int(fd, KTLS_EARLY_DATA_STATUS);
	/* ktls_connect() sent the 0-RTT request; the others send it now */
	if (mode != TTFB_EARLY && io_write_all(fd, request, (size_t)len) < 0) {
		bench_text(why, why_len, "write: %s", strerror(errno));
		goto out;
	}
	if (read_response(fd, ctx, &first, why, why_len) < 0)
		goto out;
	r->ttfb_ms = (first - t0) * 1000;
	if (r->resumed != (mode != TTFB_FULL))
		bench_text(why, why_len, "KTLS_RESUMED = %d", r->resumed);
	else if (mode == TTFB_EARLY && r->early_status != KTLS_EARLY_DATA_ACCEPTED)
		bench_text(why, why_len, "KTLS_EARLY_DATA_STATUS = %d, not accepted (%d)",
			   r->early_status, KTLS_EARLY_DATA_ACCEPTED);
	else if (mode != TTFB_EARLY && r->early_status != KTLS_EARLY_DATA_NONE)
		bench_text(why, why_len, "KTLS_EARLY_DATA_STATUS = %d without early data",
			   r->early_status);
	else
		rc = 0;
out:
	close(fd);
	return rc;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of n sorted values. */
static double percentile(const double *v, unsigned n, double p)
{
	unsigned rank = (unsigned)(p / 100 * n + 0.999999);

	return n ? v[rank ? rank - 1 : 0] : 0;
}

int ttfb_bench(struct bench_ctx *ctx)
{
	const struct bench_opts *o = ctx->opts;
	unsigned runs = o->hs_handshakes ? o->hs_handshakes :
			o->short_mode ? TTFB_RUNS_SHORT : TTFB_RUNS_DEFAULT;
	double *ttfb[TTFB_MODES], *tcp = calloc((size_t)runs * TTFB_MODES, sizeof(double));
	double p50[TTFB_MODES], p50_tcp;
	unsigned failures = 0, n_tcp = 0;
	char why[256];
	FILE *csv = NULL;
	pid_t serve;
	int port;

	report_header(&ctx->host, "ttfb");
	for (int m = 0; m < TTFB_MODES; m++)
		ttfb[m] = calloc(runs, sizeof(double));
	if (!tcp || !ttfb[0] || !ttfb[1] || !ttfb[2]) {
		failures = 1;
		goto out_free;
	}
	if (!ctx->ktlsd.usable) {
		printf("FAILED: ktlsd unavailable: %s\n", ctx->ktlsd.why_not);
		failures = 1;
		goto out_free;
	}
	port = free_port();
	serve = port < 0 ? -1 : serve_start(ctx, port, why, sizeof(why));
	if (serve < 0) {
		printf("FAILED: %s\n", port < 0 ? "no free port" : why);
		failures = 1;
		goto out_free;
	}
	if (o->csv_path && !(csv = fopen(o->csv_path, "w")))
		bench_warn("%s: %s", o->csv_path, strerror(errno));
	if (csv)
		fprintf(csv, "mode,run,ttfb_ms,tcp_connect_ms,resumed,early_status,ok\n");
	printf("ktls serve on 127.0.0.1:%d, GET of %zu bytes, %u runs per mode after a "
	       "warm-up round, client TCP_NODELAY %s\n", port, o->sizes[0], runs,
	       o->ttfb_nagle ? "off (--nagle)" : "on");
	for (unsigned round = 0; round <= runs; round++) {
		for (int m = 0; m < TTFB_MODES; m++) {
			struct ttfb_run r;
			int ok = one_run(ctx, port, m, &r, why, sizeof(why)) == 0;

			if (!ok) {
				failures++;
				printf("FAILED: %s round %u: %s\n", mode_name[m], round, why);
			}
			if (csv)
				fprintf(csv, "%s,%u,%.3f,%.3f,%d,%d,%d\n", mode_name[m], round,
					r.ttfb_ms, r.tcp_ms, r.resumed, r.early_status, ok);
			if (round > 0) {
				ttfb[m][round - 1] = r.ttfb_ms;
				tcp[n_tcp++] = r.tcp_ms;
			}
		}
	}
	child_stop(serve, 10);
	if (csv)
		fclose(csv);
	qsort(tcp, n_tcp, sizeof(double), cmp_double);
	p50_tcp = percentile(tcp, n_tcp, 50);
	printf("\n%-8s %5s %10s %10s %10s\n", "mode", "runs", "p50 ms", "p99 ms", "p50/RTT");
	for (int m = 0; m < TTFB_MODES; m++) {
		qsort(ttfb[m], runs, sizeof(double), cmp_double);
		p50[m] = percentile(ttfb[m], runs, 50);
		printf("%-8s %5u %10.2f %10.2f %10.2f\n", mode_name[m], runs, p50[m],
		       percentile(ttfb[m], runs, 99), p50_tcp > 0 ? p50[m] / p50_tcp : 0);
	}
	printf("\nRTT (p50 of TCP connect): %.2f ms\n", p50_tcp);
	printf("0-RTT against resumed: %.2f ms saved at p50 (%.2f RTT)\n",
	       p50[TTFB_RESUMED] - p50[TTFB_EARLY],
	       p50_tcp > 0 ? (p50[TTFB_RESUMED] - p50[TTFB_EARLY]) / p50_tcp : 0);
	printf("resumed against full: %.2f ms saved at p50\n", p50[TTFB_FULL] - p50[TTFB_RESUMED]);
out_free:
	printf("\n%u runs failed their checks\n", failures);
	for (int m = 0; m < TTFB_MODES; m++)
		free(ttfb[m]);
	free(tcp);
	return failures ? 1 : 0;
}

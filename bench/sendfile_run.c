// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One cell of `ktls-bench sendfile` for an in-process arm: set up N
 * connections, run a check pass, then a timed pass, and account for it.
 *
 * Threads: every connection has a sender thread (the server end, the one we
 * measure) and a receiver thread (the client end).  The check pass sends
 * verify_objects copies of the file on each connection and the receiver
 * hashes each one; the timed pass, on the same connections, sends copies
 * back to back until the deadline, then shuts down the write side, and the
 * receiver discards until end of stream.  Throughput is the bytes that
 * arrived over the time from the start barrier until the last receiver saw
 * end of stream; the sender's CPU is getrusage(RUSAGE_THREAD) around its
 * loop.  /proc/net/tls_stat is read before set-up, with the connections
 * open, and after they are closed.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"
#include "sendfile_arms.h"

#define RECV_BUF (256 * 1024)

struct pass {
	pthread_barrier_t start;
	double deadline;		/* 0: check pass, send exactly verify_objects */
	unsigned verify_objects;
	int file_fd;
	size_t size;
	const uint8_t *sha;
};

struct conn_job {
	struct bench_conn conn;
	struct pass *pass;
	/* results of the pass */
	unsigned long long sent, received;
	double sender_cpu_s, recv_done;
	long long sender_cycles;	/* -1: no hardware counter */
	int send_failed, recv_failed, verified;
};

static void *sender_main(void *arg)
{
	struct conn_job *j = arg;
	struct pass *p = j->pass;
	uint8_t buf[BENCH_RECORD_SIZE];
	unsigned objects = 0;
	int cycles_fd = thread_cycles_open();
	long long cycles0;
	double cpu0;

	pthread_barrier_wait(&p->start);
	cycles0 = counter_read(cycles_fd);
	cpu0 = thread_cpu_s();
	for (;;) {
		ssize_t n;

		if (p->deadline > 0 ? now_s() >= p->deadline : objects == p->verify_objects)
			break;
		n = arm_send_object(&j->conn, p->file_fd, p->size, p->deadline, buf);
		if (n < 0) {
			j->send_failed = errno ? errno : EIO;
			break;
		}
		j->sent += (unsigned long long)n;
		objects++;
	}
	j->sender_cpu_s = thread_cpu_s() - cpu0;
	j->sender_cycles = cycles0 < 0 ? -1 : counter_read(cycles_fd) - cycles0;
	if (cycles_fd >= 0)
		close(cycles_fd);
	if (p->deadline > 0)
		shutdown(j->conn.send_fd, SHUT_WR);
	return NULL;
}

static void *receiver_main(void *arg)
{
	struct conn_job *j = arg;
	struct pass *p = j->pass;
	unsigned long long want = (unsigned long long)p->verify_objects * p->size;
	struct object_check oc;
	uint8_t *buf = malloc(RECV_BUF);
	int checking = p->deadline == 0;

	if (!buf || (checking && object_check_init(&oc, p->sha, p->size) < 0)) {
		j->recv_failed = ENOMEM;
		free(buf);
		pthread_barrier_wait(&p->start);
		return NULL;
	}
	pthread_barrier_wait(&p->start);
	while (!checking || j->received < want) {
		size_t ask = RECV_BUF;
		ssize_t n;

		if (checking && want - j->received < ask)
			ask = (size_t)(want - j->received);	/* never read into the timed pass */
		n = arm_recv(&j->conn, buf, ask);
		if (n <= 0) {
			if (n < 0)
				j->recv_failed = errno ? errno : EIO;
			break;
		}
		if (checking)
			object_check_feed(&oc, buf, (size_t)n);
		j->received += (unsigned long long)n;
	}
	j->recv_done = now_s();
	if (checking)
		j->verified = object_check_done(&oc, p->verify_objects) && j->received == want;
	free(buf);
	return NULL;
}

/* Run one pass on all connections; returns its start time. */
static double run_pass(struct conn_job *jobs, unsigned n, struct pass *p)
{
	pthread_t *tids = calloc(2 * (size_t)n, sizeof(*tids));
	double start;

	if (!tids)
		return -1;
	pthread_barrier_init(&p->start, NULL, 2 * n + 1);
	for (unsigned i = 0; i < n; i++) {
		jobs[i].pass = p;
		jobs[i].sent = jobs[i].received = 0;
		jobs[i].send_failed = jobs[i].recv_failed = jobs[i].verified = 0;
		pthread_create(&tids[2 * i], NULL, receiver_main, &jobs[i]);
		pthread_create(&tids[2 * i + 1], NULL, sender_main, &jobs[i]);
	}
	start = now_s();
	if (p->deadline > 0)
		p->deadline += start;	/* relative until now: set-up time is not the arm's */
	pthread_barrier_wait(&p->start);
	for (unsigned i = 0; i < 2 * n; i++)
		pthread_join(tids[i], NULL);
	pthread_barrier_destroy(&p->start);
	free(tids);
	return start;
}

static int setup_all(struct bench_ctx *ctx, struct conn_job *jobs, struct cell_result *r)
{
	for (unsigned i = 0; i < r->conns; i++)
		jobs[i].conn.send_fd = jobs[i].conn.recv_fd = -1;
	for (unsigned i = 0; i < r->conns; i++) {
		if (arm_conn_setup(r->arm, ctx, r->cipher, &jobs[i].conn, r->keys, sizeof(r->keys),
				   r->note, sizeof(r->note)) < 0)
			return -1;
	}
	return 0;
}

static void close_all(struct conn_job *jobs, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		arm_conn_close(&jobs[i].conn);
}

static int check_pass(struct bench_ctx *ctx, unsigned size_index, struct conn_job *jobs,
		      struct cell_result *r)
{
	struct pass p = { .verify_objects = ctx->opts->verify_objects,
			  .file_fd = ctx->files[size_index], .size = r->object_size,
			  .sha = ctx->file_sha[size_index] };

	run_pass(jobs, r->conns, &p);
	r->verified = 1;
	for (unsigned i = 0; i < r->conns; i++) {
		if (jobs[i].verified && !jobs[i].send_failed && !jobs[i].recv_failed)
			continue;
		r->verified = 0;
		snprintf(r->note, sizeof(r->note), "check pass: conn %u got %llu of %llu bytes%s%s%s",
			 i, jobs[i].received, (unsigned long long)p.verify_objects * p.size,
			 jobs[i].received ? ", SHA-256 MISMATCH or short" : "",
			 jobs[i].send_failed ? ", send: " : "",
			 jobs[i].send_failed ? strerror(jobs[i].send_failed) : "");
		return -1;
	}
	return 0;
}

static void timed_pass(struct bench_ctx *ctx, unsigned size_index, struct conn_job *jobs,
		       struct cell_result *r)
{
	struct pass p = { .deadline = ctx->opts->duration_s, .file_fd = ctx->files[size_index],
			  .size = r->object_size };
	struct cpu_ticks t0, t1;
	double start, end = 0;

	cpu_ticks_read(&t0);
	start = run_pass(jobs, r->conns, &p);
	cpu_ticks_read(&t1);
	for (unsigned i = 0; i < r->conns; i++) {
		if (jobs[i].recv_done > end)
			end = jobs[i].recv_done;
		r->bytes += jobs[i].received;
		r->sender_cpu_s += jobs[i].sender_cpu_s;
		if (jobs[i].sender_cycles < 0 || r->sender_cycles < 0)
			r->sender_cycles = -1;
		else
			r->sender_cycles += jobs[i].sender_cycles;
		if (jobs[i].send_failed || jobs[i].recv_failed || jobs[i].sent != jobs[i].received) {
			r->verified = 0;
			snprintf(r->note, sizeof(r->note), "timed pass: conn %u sent %llu, received "
				 "%llu (%s)", i, jobs[i].sent, jobs[i].received,
				 strerror(jobs[i].send_failed ? jobs[i].send_failed
							      : jobs[i].recv_failed));
		}
	}
	r->seconds = end - start;
	r->mb_per_s = r->seconds > 0 ? (double)r->bytes / 1e6 / r->seconds : 0;
	r->softirq_s = cpu_ticks_seconds(t1.softirq - t0.softirq);
	r->machine_cpu_s = cpu_ticks_seconds(t1.busy - t0.busy);
}

/* Did the kernel see the kTLS sockets this arm claims, and only those? */
static void judge_ktls(struct cell_result *r, const struct tls_counters *before,
		       const struct tls_counters *open, const struct tls_counters *after)
{
	const struct arm_info *a = arm_info(r->arm);
	long long n = r->conns;

	r->ktls.tx_sw = after->tx_sw - before->tx_sw;
	r->ktls.rx_sw = after->rx_sw - before->rx_sw;
	r->ktls.curr_tx_sw = open->curr_tx_sw - before->curr_tx_sw;
	r->ktls.curr_rx_sw = open->curr_rx_sw - before->curr_rx_sw;
	r->ktls.decrypt_error = after->decrypt_error - before->decrypt_error;
	if (before->tx_sw < 0) {
		r->ktls_ok = !a->tls;	/* no tls module: only plain TCP can be right */
		return;
	}
	if (a->ktls_tx)
		r->ktls_ok = r->ktls.tx_sw >= n && r->ktls.curr_tx_sw >= n;
	else
		r->ktls_ok = r->ktls.tx_sw == 0 && r->ktls.curr_tx_sw == 0;
	if (a->tls && (r->ktls.rx_sw < n || r->ktls.curr_rx_sw < n))
		r->ktls_ok = 0;	/* every TLS receiver decrypts in the kernel */
	if (r->ktls.decrypt_error != 0)
		r->ktls_ok = 0;
}

void run_cell(struct bench_ctx *ctx, unsigned size_index, struct cell_result *r)
{
	struct conn_job *jobs = calloc(r->conns, sizeof(*jobs));
	struct tls_counters before, open, after;

	r->object_size = ctx->opts->sizes[size_index];
	if (!jobs) {
		snprintf(r->note, sizeof(r->note), "out of memory");
		return;
	}
	tls_counters_read(&before);
	if (setup_all(ctx, jobs, r) == 0) {
		tls_counters_read(&open);
		r->ran = 1;
		if (check_pass(ctx, size_index, jobs, r) == 0)
			timed_pass(ctx, size_index, jobs, r);
	}
	close_all(jobs, r->conns);
	tls_counters_read(&after);
	if (r->ran)
		judge_ktls(r, &before, &open, &after);
	free(jobs);
}

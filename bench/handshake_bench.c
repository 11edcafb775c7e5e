// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `ktls-bench handshake`: full TLS 1.3 handshakes per second and their
 * latency at a fixed concurrency, for one side (the subject) done three
 * ways, against the same in-process GnuTLS peer:
 *
 *   inproc  GnuTLS in this process with credentials loaded once, then the
 *           keys into the kernel (tls_install): the library floor
 *   ktlsd   ktls_connect()/ktls_accept() through our ktlsd (libktls), as a
 *           caller that reads with ktls_recv() (no ticket wait, per request,
 *           where libktls can say so); in the client role also ktlsd-auto
 *           (a plain read() caller: the profile's ticket_wait = auto) and
 *           ktlsd-none (a profile with ticket_wait = none)
 *   fork    a single-threaded process forks per handshake; the child loads
 *           the credentials from disk, handshakes and installs the keys (the
 *           tlshd model, fork_arm.c)
 *
 * for each certificate (ECDSA P-256, RSA-2048) and role (the subject as
 * client, as server).  Cipher AES-128-GCM and group X25519 everywhere;
 * clients verify the server certificate.  Every handshake must leave kTLS
 * TX and RX on the subject's socket (ktls_query), or it counts as failed.
 *
 * Each of the C workers is two threads: the subject makes a loopback pair,
 * hands the peer end to its peer thread, handshakes, waits for the peer, and
 * closes both.  The peer notes when the first bytes arrived and when its
 * handshake ended.  That gives dispatch (client role: the call until its
 * ClientHello is readable at the peer) and completion (server role: the
 * peer client sent its Finished until the call returned: Finished check,
 * key install, and for ktlsd the reply); ktlsd's own overhead is its
 * dispatch + completion minus inproc's, at concurrency 1
 * (handshake_report.c).
 *
 * CPU: the bench's process tree (its threads, reaped forkers and their
 * children, and our own ktlsd with its key process, which are its
 * descendants) from /proc/PID/stat before and after the cell, plus an
 * external ktlsd's tree; the peer threads' own share (getrusage per
 * thread) is kept apart so that arms compare the subject's work.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "support_io.h"
#include "ktls_loopback.h"
#include "handshake_bench.h"

const char *hs_arm_name(enum hs_arm arm)
{
	switch (arm) {
	case HS_INPROC: return "inproc";
	case HS_KTLSD: return "ktlsd";
	case HS_KTLSD_AUTO: return "ktlsd-auto";
	case HS_KTLSD_NONE: return "ktlsd-none";
	case HS_FORK: return "fork";
	}
	return "?";
}

/* ---- the subject's three ways ------------------------------------------------------------ */

static int inproc_handshake(int fd, int server, const struct tls_peer_creds *creds)
{
	gnutls_session_t s;
	int rc = tls_session_new(&s, fd, server, HS_CIPHER, server ? creds->server : creds->client);

	if (rc < 0)
		return -1;
	rc = tls_handshake(s);
	if (rc == 0)
		rc = tls_install(s, fd, 0);
	gnutls_deinit(s);
	return rc < 0 ? -1 : 0;
}

static int ktls_both_installed(int fd)
{
	struct ktls_info info;

	return ktls_query(fd, &info) == 0 && info.tx.installed && info.rx.installed &&
	       info.tx.cipher == HS_CIPHER;
}

/* ---- the peer ----------------------------------------------------------------------------------- */

struct peer_report {
	double first_bytes, done;
	int rc;
};

struct worker {
	const struct hs_cell *cell;
	pthread_t subject, peer;
	int to_peer[2], from_peer[2];	/* pipes: fd numbers out, reports back */
	double deadline;
	pthread_barrier_t *start;
	struct forker forker;		/* the fork arm's */
	struct hs_samples samples;
	unsigned failures;
	double peer_cpu;		/* the peer thread's user + system seconds */
	char first_error[160];
};

/* Not inlined, and no tail call out of it (callgrind would see the
 * function left at the jump): `valgrind --tool=callgrind
 * --toggle-collect=subject_handshake` then counts exactly the subject's own
 * instructions (bench/hs-callgrind.sh). */
static __attribute__((noinline)) int subject_handshake(struct worker *w, int fd)
{
	int server = w->cell->role == HS_ROLE_SERVER, rc = -1;

	switch (w->cell->arm) {
	case HS_INPROC:
		rc = inproc_handshake(fd, server, w->cell->creds);
		break;
	case HS_KTLSD:
		rc = ktlsd_handshake_one(fd, server, HS_CIPHER, w->cell->cert, KTLSD_TW_REQUEST);
		break;
	case HS_KTLSD_AUTO:
		rc = ktlsd_handshake_one(fd, server, HS_CIPHER, w->cell->cert, KTLSD_TW_PROFILE);
		break;
	case HS_KTLSD_NONE:
		rc = ktlsd_handshake_one(fd, server, HS_CIPHER, w->cell->cert, KTLSD_TW_NONE);
		break;
	case HS_FORK:
		rc = forker_handshake(&w->forker, fd);
		break;
	}
	__asm__ volatile("" : "+r"(rc));	/* keeps the calls above non-tail */
	return rc;
}

static void peer_one(struct worker *w, int fd, struct peer_report *rep)
{
	const struct hs_cell *cell = w->cell;
	int server = cell->role == HS_ROLE_CLIENT;	/* the peer plays the other role */
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	gnutls_session_t s;

	rep->rc = tls_session_new(&s, fd, server, HS_CIPHER,
				  server ? cell->creds->server : cell->creds->client);
	if (rep->rc < 0)
		return;
	/* A server peer waits for the ClientHello: this is when it arrived. */
	if (server)
		poll(&pfd, 1, BENCH_IO_TIMEOUT_S * 1000);
	rep->first_bytes = now_s();
	rep->rc = tls_handshake(s);
	rep->done = now_s();
	gnutls_deinit(s);
}

static void *peer_main(void *arg)
{
	struct worker *w = arg;
	double cpu0 = thread_cpu_s();
	int fd;

	while (io_read_full(w->to_peer[0], &fd, sizeof(fd)) == 0 && fd >= 0) {
		struct peer_report rep = { 0, 0, -1 };

		peer_one(w, fd, &rep);
		if (write(w->from_peer[1], &rep, sizeof(rep)) != (ssize_t)sizeof(rep))
			break;
	}
	w->peer_cpu = thread_cpu_s() - cpu0;
	return NULL;
}

/* ---- the subject ----------------------------------------------------------------------------- */

static void note_failure(struct worker *w, const char *what)
{
	w->failures++;
	if (!w->first_error[0])
		snprintf(w->first_error, sizeof(w->first_error), "%s", what);
}

static int samples_add(struct hs_samples *s, double total, double dispatch, double completion)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 1024;
		struct hs_sample *grown = realloc(s->v, cap * sizeof(*grown));

		if (!grown)
			return -1;
		s->v = grown;
		s->cap = cap;
	}
	s->v[s->n++] = (struct hs_sample){ total, dispatch, completion };
	return 0;
}

static void samples_merge(struct hs_samples *into, const struct hs_samples *from)
{
	for (size_t i = 0; i < from->n; i++)
		if (samples_add(into, from->v[i].total, from->v[i].dispatch,
				from->v[i].completion) < 0)
			return;
}

static const char *subject_error(const struct worker *w)
{
	if (w->cell->arm == HS_FORK)
		return "the forked child failed (its reason is on stderr)";
	return *ktls_errmsg() ? ktls_errmsg() : "the handshake failed";
}

/* One handshake; 0 when it counted. */
static int subject_one(struct worker *w)
{
	struct peer_report rep;
	struct ktls_loopback_pair pair;
	int mine, theirs, rc;
	double t0, t1;

	if (ktls_loopback_pair_open(&pair, BENCH_IO_TIMEOUT_S) < 0) {
		note_failure(w, "loopback connection failed");
		return -1;
	}
	mine = w->cell->role == HS_ROLE_SERVER ? pair.server : pair.client;
	theirs = mine == pair.server ? pair.client : pair.server;
	t0 = now_s();
	if (write(w->to_peer[1], &theirs, sizeof(theirs)) != (ssize_t)sizeof(theirs))
		rc = -1;
	else
		rc = subject_handshake(w, mine);
	t1 = now_s();
	if (rc < 0)
		shutdown(mine, SHUT_RDWR);	/* unblock the peer */
	if (io_read_full(w->from_peer[0], &rep, sizeof(rep)) < 0)
		rep.rc = -1;
	if (rc < 0 || rep.rc < 0 || !ktls_both_installed(mine)) {
		note_failure(w, rc < 0 ? subject_error(w)
			     : rep.rc < 0 ? "the peer's handshake failed" : "kTLS not installed");
		rc = -1;
	} else {
		rc = samples_add(&w->samples, t1 - t0, rep.first_bytes - t0, t1 - rep.done);
	}
	ktls_forget(mine);
	ktls_loopback_pair_close(&pair);
	return rc;
}

static void *subject_main(void *arg)
{
	struct worker *w = arg;
	unsigned done = 0;

	pthread_barrier_wait(w->start);
	while (w->cell->per_worker ? done < w->cell->per_worker : now_s() < w->deadline) {
		subject_one(w);
		done++;
	}
	return NULL;
}

/* ---- a cell ------------------------------------------------------------------------------------ */

static int worker_start(struct worker *w)
{
	if (pipe2(w->to_peer, O_CLOEXEC) < 0 || pipe2(w->from_peer, O_CLOEXEC) < 0)
		return -1;
	if (pthread_create(&w->peer, NULL, peer_main, w) != 0)
		return -1;
	return pthread_create(&w->subject, NULL, subject_main, w) == 0 ? 0 : -1;
}

static void worker_stop(struct worker *w)
{
	int stop = -1;

	pthread_join(w->subject, NULL);
	if (write(w->to_peer[1], &stop, sizeof(stop)) < 0)
		bench_warn("cannot stop a peer thread");
	pthread_join(w->peer, NULL);
	close(w->to_peer[0]);
	close(w->to_peer[1]);
	close(w->from_peer[0]);
	close(w->from_peer[1]);
	forker_stop(&w->forker);
}

/* CPU seconds of everything involved so far: this process tree (with our
 * own ktlsd) and an external ktlsd's tree; -1 if unknown. */
static double involved_cpu_s(const struct hs_cell *cell)
{
	double mine = tree_cpu_s(getpid()), daemon = 0;

	if (cell->ktlsd_pid > 0 && !cell->ktlsd_is_child)
		daemon = tree_cpu_s(cell->ktlsd_pid);
	return mine < 0 || daemon < 0 ? -1 : mine + daemon;
}

static double daemon_cpu_s(const struct hs_cell *cell)
{
	return cell->ktlsd_pid > 0 ? tree_cpu_s(cell->ktlsd_pid) : -1;
}

void hs_run_cell(struct hs_cell *cell, unsigned concurrency, double duration_s)
{
	struct worker *w = calloc(concurrency, sizeof(*w));
	pthread_barrier_t start;
	struct tls_counters before, after;
	double t0, all0, daemon0;

	if (!w)
		return;
	tls_counters_read(&before);
	all0 = involved_cpu_s(cell);
	daemon0 = daemon_cpu_s(cell);
	pthread_barrier_init(&start, NULL, concurrency + 1);
	/* the forkers first: fork() while this process has one thread */
	for (unsigned i = 0; i < concurrency; i++) {
		w[i] = (struct worker){ .cell = cell, .start = &start, .forker = { 0, -1 } };
		if (cell->arm == HS_FORK &&
		    forker_start(&w[i].forker, cell->role == HS_ROLE_SERVER, cell->files) < 0) {
			bench_warn("cannot start a forker process: %s", strerror(errno));
			exit(2);
		}
	}
	t0 = now_s();
	for (unsigned i = 0; i < concurrency; i++) {
		w[i].deadline = t0 + duration_s;
		if (worker_start(&w[i]) < 0) {
			bench_warn("cannot start handshake worker threads");
			exit(2);
		}
	}
	pthread_barrier_wait(&start);
	for (unsigned i = 0; i < concurrency; i++)
		worker_stop(&w[i]);
	cell->seconds = now_s() - t0;
	{
		double all1 = involved_cpu_s(cell), daemon1 = daemon_cpu_s(cell);

		cell->cpu_all = all0 < 0 || all1 < 0 ? -1 : all1 - all0;
		cell->cpu_ktlsd = daemon0 < 0 || daemon1 < 0 ? -1 : daemon1 - daemon0;
	}
	cell->cpu_peer = 0;
	for (unsigned i = 0; i < concurrency; i++)
		cell->cpu_peer += w[i].peer_cpu;
	tls_counters_read(&after);
	cell->tls_tx_sw = after.tx_sw - before.tx_sw;
	cell->concurrency = concurrency;
	for (unsigned i = 0; i < concurrency; i++) {
		samples_merge(&cell->samples, &w[i].samples);
		cell->failures += w[i].failures;
		if (!cell->error[0] && w[i].first_error[0])
			snprintf(cell->error, sizeof(cell->error), "%s", w[i].first_error);
		free(w[i].samples.v);
	}
	pthread_barrier_destroy(&start);
	free(w);
}

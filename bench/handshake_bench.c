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
 * Resumed arms (inproc-resume, ktlsd-resume): the same two subjects with
 * TLS 1.3 session resumption, both roles.  The peer issues tickets (as
 * server, under one GnuTLS ticket key per run) or resumes with the last
 * one it got (as client).  Each worker first does one full handshake
 * outside the cell's numbers (the warm-up) for its first ticket; every
 * measured handshake must then resume, which the subject (KTLS_RESUMED, or
 * gnutls_session_is_resumed() in process) and the peer must agree on.  A
 * TLS 1.3 ticket is used once: a resuming GnuTLS client (the in-process
 * subject, or the peer) reads the server's NewSessionTicket after each
 * handshake (tls_collect_ticket()) and resumes with that one next time;
 * ktlsd as client does the same in its ticket drain and keeps the ticket in
 * its cache, keyed by server port among others: each worker has a server
 * port of its own for the cell (resume_listener()).
 *
 * CPU: the bench's process tree (its threads, reaped forkers and their
 * children, and our own ktlsd with its key process, which are its
 * descendants) from /proc/PID/stat before and after the cell, plus an
 * external ktlsd's tree; the peer threads' own share (getrusage per
 * thread) is kept apart so that arms compare the subject's work.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "bench.h"
#include "support_io.h"
#include "ktls_loopback.h"
#include "handshake_bench.h"

/* How long a resuming client waits for the server's NewSessionTicket. */
#define HS_TICKET_WAIT_MS 10000
/* The resumed arms' listeners: ports of our own below Linux's default
 * ephemeral range (32768-60999), a new one per worker and cell. */
#define HS_PORT_FIRST 20000
#define HS_PORT_END 32000

const char *hs_arm_name(enum hs_arm arm)
{
	switch (arm) {
	case HS_INPROC: return "inproc";
	case HS_KTLSD: return "ktlsd";
	case HS_KTLSD_AUTO: return "ktlsd-auto";
	case HS_KTLSD_NONE: return "ktlsd-none";
	case HS_FORK: return "fork";
	case HS_INPROC_RESUME: return "inproc-resume";
	case HS_KTLSD_RESUME: return "ktlsd-resume";
	}
	return "?";
}

int hs_arm_resumes(enum hs_arm arm)
{
	return arm == HS_INPROC_RESUME || arm == HS_KTLSD_RESUME;
}

/* Arms whose workers each talk to one server port for the whole cell and
 * warm up first (resume_listener()): the resumed arms, and ktlsd, their
 * full baseline, so that it meets a server ktlsd already knows, as a
 * client that comes back to the same server does. */
static int hs_arm_own_port(enum hs_arm arm)
{
	return hs_arm_resumes(arm) || arm == HS_KTLSD;
}

/* ---- the subject's ways ------------------------------------------------------------------ */

/* In-process GnuTLS.  Resuming, a client presents *ticket and, since a
 * TLS 1.3 ticket is used once, collects the server's next one before the
 * keys go to the kernel (tls_collect_ticket()); a server issues tickets
 * under the cell's key (GnuTLS sends them at the end of its handshake). */
static int inproc_handshake(int fd, int server, const struct hs_cell *cell,
			    gnutls_datum_t *ticket, int *resumed)
{
	gnutls_certificate_credentials_t cred = server ? cell->creds->server : cell->creds->client;
	int resumes = cell->arm == HS_INPROC_RESUME;
	gnutls_session_t s;
	int rc = resumes ? tls_session_new_resumable(&s, fd, server, HS_CIPHER, cred,
						     cell->ticket_key, ticket)
			 : tls_session_new(&s, fd, server, HS_CIPHER, cred);

	if (rc < 0)
		return -1;
	rc = tls_handshake(s);
	if (rc == 0) {
		*resumed = gnutls_session_is_resumed(s) != 0;
		if (resumes && !server)
			rc = tls_collect_ticket(s, fd, ticket, HS_TICKET_WAIT_MS);
	}
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

struct peer_job {
	int fd;			/* -1: stop */
	int measured;		/* 0: a warm-up handshake, not in the cell's numbers */
};

struct peer_report {
	double first_bytes, done;
	int rc;
	int resumed;		/* the peer's view (gnutls_session_is_resumed) */
};

struct worker {
	const struct hs_cell *cell;
	pthread_t subject, peer;
	int to_peer[2], from_peer[2];	/* pipes: jobs out, reports back */
	double deadline;
	pthread_barrier_t *warm, *start;
	struct forker forker;		/* the fork arm's */
	int listener, port;		/* the resumed arms' own server port */
	gnutls_datum_t subject_ticket;	/* inproc-resume client: the session to resume */
	gnutls_datum_t peer_ticket;	/* a resuming peer client's */
	int resumed;			/* the subject's last handshake resumed */
	struct hs_samples samples;
	size_t resumed_count;
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
	case HS_INPROC_RESUME:
		rc = inproc_handshake(fd, server, w->cell, &w->subject_ticket, &w->resumed);
		break;
	case HS_KTLSD:
		rc = ktlsd_handshake_one(fd, server, HS_CIPHER, w->cell->cert, KTLSD_TW_REQUEST);
		break;
	case HS_KTLSD_RESUME:
		rc = ktlsd_handshake_one(fd, server, HS_CIPHER, w->cell->cert, KTLSD_TW_KEEP);
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

/* The peer: plain GnuTLS, no tickets, except in the resumed arms, where as
 * a server it issues them and as a client it resumes with the last one
 * and collects the next, as the subject does in inproc-resume. */
static void peer_one(struct worker *w, int fd, struct peer_report *rep)
{
	const struct hs_cell *cell = w->cell;
	int server = cell->role == HS_ROLE_CLIENT;	/* the peer plays the other role */
	int resumes = hs_arm_resumes(cell->arm);
	gnutls_certificate_credentials_t cred = server ? cell->creds->server : cell->creds->client;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	gnutls_session_t s;

	rep->rc = resumes ? tls_session_new_resumable(&s, fd, server, HS_CIPHER, cred,
						      cell->ticket_key, &w->peer_ticket)
			  : tls_session_new(&s, fd, server, HS_CIPHER, cred);
	if (rep->rc < 0)
		return;
	/* A server peer waits for the ClientHello: this is when it arrived. */
	if (server)
		poll(&pfd, 1, BENCH_IO_TIMEOUT_S * 1000);
	rep->first_bytes = now_s();
	rep->rc = tls_handshake(s);
	rep->done = now_s();
	if (rep->rc == 0) {
		rep->resumed = gnutls_session_is_resumed(s) != 0;
		if (resumes && !server)
			rep->rc = tls_collect_ticket(s, fd, &w->peer_ticket, HS_TICKET_WAIT_MS);
	}
	gnutls_deinit(s);
}

static void *peer_main(void *arg)
{
	struct worker *w = arg;
	double cpu0 = -1;
	struct peer_job job;

	while (io_read_full(w->to_peer[0], &job, sizeof(job)) == 0 && job.fd >= 0) {
		struct peer_report rep = { 0, 0, -1, 0 };

		/* the cell's CPU window opens after the warm-ups */
		if (job.measured && cpu0 < 0)
			cpu0 = thread_cpu_s();
		peer_one(w, job.fd, &rep);
		if (write(w->from_peer[1], &rep, sizeof(rep)) != (ssize_t)sizeof(rep))
			break;
	}
	w->peer_cpu = cpu0 < 0 ? 0 : thread_cpu_s() - cpu0;
	return NULL;
}

/* ---- the subject ----------------------------------------------------------------------------- */

static void note_failure(struct worker *w, const char *what)
{
	w->failures++;
	if (!w->first_error[0])
		bench_text(w->first_error, sizeof(w->first_error), "%s", what);
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

static int is_ktlsd(enum hs_arm arm)
{
	return arm == HS_KTLSD || arm == HS_KTLSD_AUTO || arm == HS_KTLSD_NONE ||
	       arm == HS_KTLSD_RESUME;
}

/*
 * The resumed arms and ktlsd connect to one server port per worker for the
 * whole cell: ktlsd's client cache, and its memory of servers that send no
 * tickets, are keyed by (profile, server name, port).  The cache keeps one
 * ticket per key, so each worker needs a key of its own to have a ticket at
 * every handshake; and a ktls_recv() caller whose profile keeps sessions
 * waits for tickets (the auto window, about 100 ms and more) until ktlsd
 * has seen that the server sends none, which with a new port per handshake
 * it never would: the full arm would measure that wait, not the handshake.  The port is ours, below the ephemeral range
 * that the other arms' throwaway ports come from, and new in every cell, so
 * nothing learned in one cell (about a port the kernel may hand out again)
 * carries into another.
 */
static int resume_listener(int *port)
{
	static int next;
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	const int one = 1, span = HS_PORT_END - HS_PORT_FIRST;

	pthread_mutex_lock(&lock);
	if (!next)	/* two benches at once start apart */
		next = HS_PORT_FIRST + (int)(getpid() % span);
	for (int tries = 0; tries < span; tries++) {
		struct sockaddr_in addr = { .sin_family = AF_INET,
					    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		int fd, p = next;

		next = next + 1 < HS_PORT_END ? next + 1 : HS_PORT_FIRST;
		addr.sin_port = htons((uint16_t)p);
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			break;
		if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0 &&
		    bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0 && listen(fd, 16) == 0) {
			pthread_mutex_unlock(&lock);
			*port = p;
			return fd;
		}
		close(fd);
	}
	pthread_mutex_unlock(&lock);
	return -1;
}

static int pair_open(struct worker *w, struct ktls_loopback_pair *pair)
{
	const struct timeval timeout = { .tv_sec = BENCH_IO_TIMEOUT_S };

	if (w->listener < 0)
		return ktls_loopback_pair_open(pair, BENCH_IO_TIMEOUT_S);
	pair->server = -1;
	pair->client = ktls_loopback_connect(w->port, BENCH_IO_TIMEOUT_S);
	if (pair->client < 0)
		return -1;
	pair->server = accept4(w->listener, NULL, NULL, SOCK_CLOEXEC);
	if (pair->server < 0 ||
	    setsockopt(pair->server, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout)) < 0 ||
	    setsockopt(pair->server, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout)) < 0) {
		ktls_loopback_pair_close(pair);
		return -1;
	}
	return 0;
}

/* Did the subject's handshake resume?  ktlsd says so (KTLS_RESUMED); the
 * in-process subject set w->resumed itself; the fork arm never resumes. */
static int subject_resumed(struct worker *w, int fd)
{
	int on = 0;
	socklen_t len = sizeof(on);

	if (is_ktlsd(w->cell->arm))
		return ktls_getsockopt(fd, SOL_KTLS, KTLS_RESUMED, &on, &len) < 0 ? -1 : on != 0;
	return w->cell->arm == HS_FORK ? 0 : w->resumed;
}

/* One handshake; 0 when it counted.  A warm-up (measured = 0) only gets
 * the first ticket of a resumed arm's worker: not a sample. */
static int subject_one(struct worker *w, int measured)
{
	struct peer_report rep;
	struct ktls_loopback_pair pair;
	struct peer_job job = { -1, measured };
	int mine, rc, resumed = 0;
	double t0, t1;
	char why[160];

	if (pair_open(w, &pair) < 0) {
		note_failure(w, "loopback connection failed");
		return -1;
	}
	mine = w->cell->role == HS_ROLE_SERVER ? pair.server : pair.client;
	job.fd = mine == pair.server ? pair.client : pair.server;
	w->resumed = 0;
	t0 = now_s();
	if (write(w->to_peer[1], &job, sizeof(job)) != (ssize_t)sizeof(job))
		rc = -1;
	else
		rc = subject_handshake(w, mine);
	t1 = now_s();
	if (rc < 0)
		shutdown(mine, SHUT_RDWR);	/* unblock the peer */
	if (io_read_full(w->from_peer[0], &rep, sizeof(rep)) < 0)
		rep.rc = -1;
	if (rc == 0)
		resumed = subject_resumed(w, mine);
	why[0] = '\0';
	if (rc < 0)
		bench_text(why, sizeof(why), "%s", subject_error(w));
	else if (rep.rc < 0)
		bench_text(why, sizeof(why), "the peer's handshake failed: %s",
			   gnutls_strerror(rep.rc));
	else if (!ktls_both_installed(mine))
		bench_text(why, sizeof(why), "kTLS not installed");
	else if (resumed < 0)
		bench_text(why, sizeof(why), "KTLS_RESUMED: %s", ktls_errmsg());
	else if (resumed != rep.resumed)	/* both ends must agree */
		bench_text(why, sizeof(why), "the subject says resumed=%d, the peer %d", resumed,
			   rep.resumed);
	if (why[0]) {
		char what[sizeof(w->first_error)];

		bench_text(what, sizeof(what), "%s%s", measured ? "" : "warm-up: ", why);
		note_failure(w, what);
		rc = -1;
	} else if (measured) {
		w->resumed_count += (size_t)resumed;
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

	if (hs_arm_own_port(w->cell->arm))
		subject_one(w, 0);
	pthread_barrier_wait(w->warm);
	pthread_barrier_wait(w->start);
	while (w->cell->per_worker ? done < w->cell->per_worker : now_s() < w->deadline) {
		subject_one(w, 1);
		done++;
	}
	return NULL;
}

/* ---- a cell ------------------------------------------------------------------------------------ */

static int worker_start(struct worker *w)
{
	if (pipe2(w->to_peer, O_CLOEXEC) < 0 || pipe2(w->from_peer, O_CLOEXEC) < 0)
		return -1;
	if (hs_arm_own_port(w->cell->arm) && (w->listener = resume_listener(&w->port)) < 0)
		return -1;
	if (pthread_create(&w->peer, NULL, peer_main, w) != 0)
		return -1;
	return pthread_create(&w->subject, NULL, subject_main, w) == 0 ? 0 : -1;
}

static void worker_stop(struct worker *w)
{
	struct peer_job stop = { -1, 0 };

	pthread_join(w->subject, NULL);
	if (write(w->to_peer[1], &stop, sizeof(stop)) < 0)
		bench_warn("cannot stop a peer thread");
	pthread_join(w->peer, NULL);
	close(w->to_peer[0]);
	close(w->to_peer[1]);
	close(w->from_peer[0]);
	close(w->from_peer[1]);
	if (w->listener >= 0)
		close(w->listener);
	forker_stop(&w->forker);
	/* session data hold the resumption secret */
	if (w->subject_ticket.data)
		gnutls_memset(w->subject_ticket.data, 0, w->subject_ticket.size);
	if (w->peer_ticket.data)
		gnutls_memset(w->peer_ticket.data, 0, w->peer_ticket.size);
	gnutls_free(w->subject_ticket.data);
	gnutls_free(w->peer_ticket.data);
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

/* The workers start, do their warm-ups (resumed arms) and meet at `warm`;
 * then the counters are read and the clock starts, and `start` lets them
 * run: the warm-ups are outside every number of the cell. */
void hs_run_cell(struct hs_cell *cell, unsigned concurrency, double duration_s)
{
	struct worker *w = calloc(concurrency, sizeof(*w));
	pthread_barrier_t warm, start;
	struct tls_counters before, after;
	double t0, all0, daemon0;

	if (!w)
		return;
	pthread_barrier_init(&warm, NULL, concurrency + 1);
	pthread_barrier_init(&start, NULL, concurrency + 1);
	/* the forkers first: fork() while this process has one thread */
	for (unsigned i = 0; i < concurrency; i++) {
		w[i] = (struct worker){ .cell = cell, .warm = &warm, .start = &start,
					.forker = { 0, -1 }, .listener = -1 };
		if (cell->arm == HS_FORK &&
		    forker_start(&w[i].forker, cell->role == HS_ROLE_SERVER, cell->files) < 0) {
			bench_warn("cannot start a forker process: %s", strerror(errno));
			exit(2);
		}
	}
	for (unsigned i = 0; i < concurrency; i++) {
		if (worker_start(&w[i]) < 0) {
			bench_warn("cannot start handshake workers: %s", strerror(errno));
			exit(2);
		}
	}
	pthread_barrier_wait(&warm);
	tls_counters_read(&before);
	all0 = involved_cpu_s(cell);
	daemon0 = daemon_cpu_s(cell);
	t0 = now_s();
	for (unsigned i = 0; i < concurrency; i++)
		w[i].deadline = t0 + duration_s;
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
		cell->resumed += w[i].resumed_count;
		if (!cell->error[0] && w[i].first_error[0])
			snprintf(cell->error, sizeof(cell->error), "%s", w[i].first_error);
		free(w[i].samples.v);
	}
	pthread_barrier_destroy(&warm);
	pthread_barrier_destroy(&start);
	free(w);
}

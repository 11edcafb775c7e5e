// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Worker threads: who owns what and how jobs move between threads is the
 * concurrency model in docs/architecture.md.  Here, how a worker does it:
 * an epoll set with its jobs' sockets and request connections, an eventfd
 * and an inbox (a list under a lock) for jobs handed over, and deadlines.
 *
 * epoll keeps a registration while ANY descriptor of the file is open, and
 * the application holds another descriptor of the same socket, so every
 * registration is removed explicitly before our copy is closed.
 *
 * Events name jobs by an id the worker gives each job (never reused), not
 * by address: one batch of events can hold a stale event of a job that an
 * earlier event of the batch finished, and a job handed over meanwhile may
 * have been allocated at the freed job's address; by address, that new job
 * would take the stale event (a hang-up: "the caller went away").
 *
 * A worker may hold thousands of stalled handshakes, so nothing per event
 * walks all of them: the jobs are a doubly linked list (unlink in O(1)),
 * ids map to jobs through a hash map (an id no job has finds nothing, as
 * the stale events above need), and a min-heap of due times (the deadline,
 * or the engine's wake_ms if earlier) gives the jobs that are due and the
 * time until the next.  The heap key is kept in the job (due_ms) and set
 * again after every step, since handshake.c changes wake_ms in hs_step().
 *
 * job_submit() is the one way in for both doors (limits, counting, the
 * deadline, the hand-over) and job_finish() the one way out (the release).
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "engine/admission.h"
#include "engine/early_send.h"
#include "engine/handshake.h"
#include "process/log.h"
#include "engine/stats.h"
#include "engine/worker.h"
#include "base/clock.h"

#define WAKE_TAG ((uint64_t)0)
#define CONN_TAG ((uint64_t)1)	/* low bit set: the request connection of a job */
#define ID_STEP ((uint64_t)2)	/* job ids are even and start at 2 (0 is WAKE_TAG) */

struct worker {
	pthread_t thread;
	int epfd, wake_fd;
	pthread_mutex_t lock;
	struct hs_job *inbox;		/* LIFO from the main thread, under lock */
	struct hs_job *jobs;		/* owned by the worker thread */
	/* worker thread: id -> job (chained, grows) and the due-time heap */
	struct hs_job **ids;
	size_t ids_mask, n_jobs;
	struct hs_job **heap;
	size_t heap_len, heap_cap;
	uint64_t last_id;		/* worker thread */
	atomic_uint load;
	atomic_bool stop;
};

static struct worker *workers;
static unsigned n_workers;
atomic_ulong worker_jobs_examined;

#define IDS_INITIAL 64u		/* buckets; a power of two */

static void examined(unsigned long n)
{
	atomic_fetch_add_explicit(&worker_jobs_examined, n, memory_order_relaxed);
}

static void jobs_link(struct worker *w, struct hs_job *job)
{
	job->prev = NULL;
	job->next = w->jobs;
	if (w->jobs)
		w->jobs->prev = job;
	w->jobs = job;
}

/* ---- id -> job.  Ids are consecutive even numbers: id / 2 spreads
 * them evenly over the buckets. ---- */

static struct hs_job **ids_bucket(struct worker *w, uint64_t id)
{
	return &w->ids[(id >> 1) & w->ids_mask];
}

static void ids_grow(struct worker *w)
{
	size_t n = (w->ids_mask + 1) * 2;
	struct hs_job **ids = calloc(n, sizeof(*ids)), **old = w->ids;
	size_t old_n = w->ids_mask + 1;

	if (!ids)
		return;		/* longer chains, still correct */
	w->ids = ids;
	w->ids_mask = n - 1;
	for (size_t i = 0; i < old_n; i++)
		for (struct hs_job *job = old[i], *next; job; job = next) {
			struct hs_job **b = ids_bucket(w, job->id);

			next = job->id_next;
			job->id_next = *b;
			*b = job;
		}
	free(old);
}

static void ids_add(struct worker *w, struct hs_job *job)
{
	struct hs_job **b = ids_bucket(w, job->id);

	job->id_next = *b;
	*b = job;
	if (++w->n_jobs > w->ids_mask + 1)
		ids_grow(w);
}

/* A job never added (still in the inbox at stop) is not found: fine. */
static void ids_remove(struct worker *w, struct hs_job *job)
{
	for (struct hs_job **pp = ids_bucket(w, job->id); *pp; pp = &(*pp)->id_next)
		if (*pp == job) {
			*pp = job->id_next;
			w->n_jobs--;
			return;
		}
}

static struct hs_job *job_by_id(struct worker *w, uint64_t id)
{
	unsigned long n = 0;
	struct hs_job *job;

	for (job = *ids_bucket(w, id); job; job = job->id_next) {
		n++;
		if (job->id == id)
			break;
	}
	examined(n);
	return job;
}

/* ---- the min-heap of due times ---- */

static void heap_set(struct worker *w, size_t i, struct hs_job *job)
{
	w->heap[i] = job;
	job->heap_at = i + 1;
}

static void heap_up(struct worker *w, size_t i)
{
	struct hs_job *job = w->heap[i];

	while (i > 0 && w->heap[(i - 1) / 2]->due_ms > job->due_ms) {
		heap_set(w, i, w->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_set(w, i, job);
}

static void heap_down(struct worker *w, size_t i)
{
	struct hs_job *job = w->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= w->heap_len)
			break;
		if (c + 1 < w->heap_len && w->heap[c + 1]->due_ms < w->heap[c]->due_ms)
			c++;
		if (w->heap[c]->due_ms >= job->due_ms)
			break;
		heap_set(w, i, w->heap[c]);
		i = c;
	}
	heap_set(w, i, job);
}

static int heap_add(struct worker *w, struct hs_job *job)
{
	if (w->heap_len == w->heap_cap) {
		size_t cap = w->heap_cap ? w->heap_cap * 2 : 64;
		struct hs_job **heap = reallocarray(w->heap, cap, sizeof(*heap));

		if (!heap)
			return -ENOMEM;
		w->heap = heap;
		w->heap_cap = cap;
	}
	job->due_ms = job->deadline_ms;
	w->heap[w->heap_len++] = job;
	heap_up(w, w->heap_len - 1);
	return 0;
}

static void heap_remove(struct worker *w, struct hs_job *job)
{
	size_t i = job->heap_at;
	struct hs_job *last;

	if (i == 0)
		return;
	job->heap_at = 0;
	if (--i == --w->heap_len)
		return;
	last = w->heap[w->heap_len];	/* fills the hole: up or down */
	heap_set(w, i, last);
	heap_up(w, i);
	heap_down(w, last->heap_at - 1);
}

/* After a step: the engine may have set or cleared wake_ms. */
static void heap_rekey(struct worker *w, struct hs_job *job)
{
	uint64_t due = job->wake_ms && job->wake_ms < job->deadline_ms ? job->wake_ms
								       : job->deadline_ms;

	if (job->heap_at == 0 || due == job->due_ms)
		return;
	job->due_ms = due;
	heap_up(w, job->heap_at - 1);
	heap_down(w, job->heap_at - 1);
}

static void job_unwatch(struct worker *w, struct hs_job *job)
{
	epoll_ctl(w->epfd, EPOLL_CTL_DEL, job->sock_fd, NULL);
	if (job->conn_fd >= 0)
		epoll_ctl(w->epfd, EPOLL_CTL_DEL, job->conn_fd, NULL);
}

static void job_unlink(struct worker *w, struct hs_job *job)
{
	if (job->prev)
		job->prev->next = job->next;
	else
		w->jobs = job->next;
	if (job->next)
		job->next->prev = job->prev;
	job->next = job->prev = NULL;
	ids_remove(w, job);
	heap_remove(w, job);
}

static const char *role_name(int role)
{
	return role == KTLS_ROLE_SERVER ? "server" : "client";
}

/* The early= field: as a server what became of the client's 0-RTT
 * (sessions/early_data.c: -, accepted:N, rejected:WHY); as a client what
 * became of the caller's (engine/early_send.c: -, accepted:N, rejected,
 * not_offered). */
static const char *early_note(const struct hs_job *job, const struct ktls_hs_reply *rep,
			      char *buf, size_t len)
{
	if (job->req.role == KTLS_ROLE_SERVER)
		return hs_early_note(job, rep);
	if (rep->early_status == KTLS_EARLY_DATA_NONE)
		return "-";
	if (rep->early_status == KTLS_EARLY_DATA_ACCEPTED)
		snprintf(buf, len, "accepted:%u", (unsigned)rep->early_accepted);
	else
		snprintf(buf, len, "%s", early_send_status_name(rep->early_status));
	return buf;
}

/* early_failed: a failed handshake's early-data outcome (hs_early_failed()). */
static void log_outcome(const struct hs_job *job, const struct ktls_hs_reply *rep,
			const char *early_failed)
{
	unsigned long ms = (unsigned long)(clock_now_ms() - job->started_ms);
	const char *profile = job->profile ? job->profile->name : "-";
	char early[32];

	if (rep->status == 0)
		log_info("handshake ok peer=%s profile=%s role=%s uid=%u version=%s cipher=%s "
			 "group=%s alpn=%s resumed=%s early=%s duration=%lums", job->peer_addr,
			 profile, role_name(job->req.role), (unsigned)job->caller.uid,
			 ktls_version_name(rep->version), ktls_cipher_name(rep->cipher),
			 rep->group[0] ? rep->group : "-", rep->alpn[0] ? rep->alpn : "-",
			 rep->resumed ? "yes" : "no", early_note(job, rep, early, sizeof(early)), ms);
	else
		log_warnx("handshake failed peer=%s profile=%s role=%s uid=%u early=%s "
			  "duration=%lums error=%s reason=\"%s\"", job->peer_addr, profile,
			  role_name(job->req.role), (unsigned)job->caller.uid,
			  early_failed, ms, strerror((int)rep->status), rep->reason);
}

static void job_release(struct hs_job *job)
{
	if (!job->admitted)
		return;
	admission_release(job->origin == JOB_FROM_KERNEL ? NULL : &job->caller.uid);
	job->admitted = 0;
}

/* A job and all it holds: its session, override credentials, descriptors
 * and its config reference. */
static void job_free(struct hs_job *job)
{
	hs_free(job->hs);
	early_send_drop(&job->req);	/* the caller's early bytes, wiped */
	if (job->override && job->override->release)
		job->override->release(job->override);
	if (job->sock_fd >= 0)
		close(job->sock_fd);
	if (job->conn_fd >= 0)
		close(job->conn_fd);
	cfg_ref_put(job->cfg);
	free(job);
}

/* The end of every job: unwatch, report, close our socket copy, count.
 * The socket stays open until done() returns: the kernel's DONE handler
 * looks the socket up by our fd number. */
static void job_finish(struct worker *w, struct hs_job *job, struct ktls_hs_reply *rep)
{
	job_unwatch(w, job);
	job_unlink(w, job);
	hs_return_socket(job);	/* before done(): the caller may set options at once */
	/* a failed handshake's offered 0-RTT is counted here, as rejected */
	log_outcome(job, rep, rep->status ? hs_early_failed(job) : "-");
	stats_handshake_done(job, rep);
	if (rep->status == 0)
		atomic_fetch_add(&ktlsd_stats.handshakes_ok, 1);
	else
		atomic_fetch_add(&ktlsd_stats.handshakes_failed, 1);
	job->done(job, rep);
	close(job->sock_fd);
	job->sock_fd = -1;
	job_release(job);
	atomic_fetch_sub(&w->load, 1);
	job_free(job);
}

static void job_fail(struct worker *w, struct hs_job *job, int err, const char *reason)
{
	struct ktls_hs_reply *rep = calloc(1, sizeof(*rep));
	static struct ktls_hs_reply oom = { .status = ENOMEM, .reason = "out of memory" };

	if (!rep) {
		job_finish(w, job, &oom);
		return;
	}
	rep->status = (uint32_t)err;
	snprintf(rep->reason, sizeof(rep->reason), "%s", reason);
	job_finish(w, job, rep);
	free(rep);
}

static void job_succeed(struct worker *w, struct hs_job *job)
{
	struct ktls_hs_reply *rep = calloc(1, sizeof(*rep));
	char reason[KTLS_REASON_MAX] = "";
	int rc;

	if (!rep) {
		job_fail(w, job, ENOMEM, "out of memory");
		return;
	}
	rc = hs_complete(job, rep, reason, sizeof(reason));
	if (rc < 0) {
		free(rep);
		job_fail(w, job, -rc, reason);
		return;
	}
	job_finish(w, job, rep);
	explicit_bzero(rep, sizeof(*rep));	/* traffic secrets */
	free(rep);
}

static void job_drive(struct worker *w, struct hs_job *job)
{
	char reason[KTLS_REASON_MAX] = "";
	struct epoll_event ev = { .data.u64 = job->id };
	int rc = hs_step(job, reason, sizeof(reason));

	if (rc == 0) {
		job_succeed(w, job);
		return;
	}
	if (rc != -EAGAIN) {
		job_fail(w, job, -rc, reason);
		return;
	}
	ev.events = hs_wants_write(job) ? EPOLLOUT : hs_wants_read(job) ? EPOLLIN : 0;
	if (epoll_ctl(w->epfd, EPOLL_CTL_MOD, job->sock_fd, &ev) < 0) {
		job_fail(w, job, errno, "cannot watch the socket");
		return;
	}
	heap_rekey(w, job);
}

static void job_begin(struct worker *w, struct hs_job *job)
{
	char reason[KTLS_REASON_MAX] = "";
	struct epoll_event sock_ev = { .events = EPOLLIN };
	struct epoll_event conn_ev = { .events = EPOLLRDHUP };
	int rc;

	job->id = w->last_id += ID_STEP;
	sock_ev.data.u64 = job->id;
	conn_ev.data.u64 = job->id | CONN_TAG;
	jobs_link(w, job);
	ids_add(w, job);
	if (heap_add(w, job) < 0) {
		job_fail(w, job, ENOMEM, "out of memory");
		return;
	}
	rc = hs_start(job, reason, sizeof(reason));
	if (rc < 0) {
		job_fail(w, job, -rc, reason);
		return;
	}
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, job->sock_fd, &sock_ev) < 0 ||
	    (job->conn_fd >= 0 && epoll_ctl(w->epfd, EPOLL_CTL_ADD, job->conn_fd, &conn_ev) < 0)) {
		job_fail(w, job, errno, "cannot watch the socket");
		return;
	}
	job_drive(w, job);	/* a client speaks first */
}

static void take_inbox(struct worker *w)
{
	uint64_t count;
	struct hs_job *list, *next;

	if (read(w->wake_fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		log_warn("worker wake");
	pthread_mutex_lock(&w->lock);
	list = w->inbox;
	w->inbox = NULL;
	pthread_mutex_unlock(&w->lock);
	for (; list; list = next) {
		next = list->next;
		job_begin(w, list);
	}
}

/* Fail the jobs past their deadline, step those whose wake_ms came; return
 * ms until the next due time (-1: none).  Each pass looks at most at as many
 * jobs as it started with, so a job that asks to be woken again at once
 * waits for the next pass (after a poll of the sockets), as before. */
static int expire_jobs(struct worker *w)
{
	uint64_t now = clock_now_ms();
	size_t budget = w->heap_len;
	struct hs_job *job;

	while (w->heap_len) {
		job = w->heap[0];
		examined(1);
		if (job->due_ms > now)
			return job->due_ms - now > INT_MAX ? INT_MAX : (int)(job->due_ms - now);
		if (budget-- == 0)
			return 0;
		/* A finished handshake that is only taking tickets is handed
		 * over even when the worker comes late (a loaded host): its
		 * drain ends at the deadline, the job does not fail for it. */
		if (job->deadline_ms <= now && !hs_draining(job)) {
			job_fail(w, job, ETIMEDOUT, "handshake deadline passed: the peer stalled");
			continue;
		}
		job->wake_ms = 0;	/* due and not past the deadline: woken */
		job_drive(w, job);	/* re-keys it, or finishes (frees) it */
	}
	return -1;
}

/* An event of a job that an earlier event of this batch finished names an
 * id no job has any more: it is dropped. */
static void handle_event(struct worker *w, const struct epoll_event *ev)
{
	struct hs_job *job;

	if (ev->data.u64 == WAKE_TAG) {
		take_inbox(w);
		return;
	}
	job = job_by_id(w, ev->data.u64 & ~CONN_TAG);
	if (!job)
		return;
	if (ev->data.u64 & CONN_TAG)
		job_fail(w, job, ECANCELED, "the caller went away before the handshake finished");
	else
		job_drive(w, job);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct epoll_event events[64];
	int timeout, n;

	while (!atomic_load(&w->stop)) {
		timeout = expire_jobs(w);
		n = epoll_wait(w->epfd, events, 64, timeout);
		if (n < 0 && errno != EINTR) {
			log_warn("epoll_wait");
			continue;
		}
		for (int i = 0; i < n; i++)
			handle_event(w, &events[i]);
	}
	/* Jobs still in the inbox were never begun, but their callers (the
	 * kernel's DONE, an application's reply) wait for an answer too. */
	pthread_mutex_lock(&w->lock);
	for (struct hs_job *job = w->inbox, *next; job; job = next) {
		next = job->next;
		jobs_link(w, job);
	}
	w->inbox = NULL;
	pthread_mutex_unlock(&w->lock);
	while (w->jobs)
		job_fail(w, w->jobs, ESHUTDOWN, "ktlsd is shutting down");
	return NULL;
}

static int worker_init(struct worker *w)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = WAKE_TAG };

	pthread_mutex_init(&w->lock, NULL);
	w->ids = calloc(IDS_INITIAL, sizeof(*w->ids));
	w->ids_mask = IDS_INITIAL - 1;
	if (!w->ids)
		return -ENOMEM;
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->epfd < 0 || w->wake_fd < 0 || epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->wake_fd, &ev) < 0)
		return -errno;
	return -pthread_create(&w->thread, NULL, worker_main, w);
}

int workers_start(unsigned count)
{
	int rc;

	if (count == 0) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		count = cpus > 0 ? (unsigned)cpus : 1;
	}
	workers = calloc(count, sizeof(*workers));
	if (!workers)
		return -ENOMEM;
	for (n_workers = 0; n_workers < count; n_workers++) {
		rc = worker_init(&workers[n_workers]);
		if (rc < 0)
			return rc;
	}
	log_info("%u handshake worker%s started", count, count == 1 ? "" : "s");
	return 0;
}

/* Hand a job to the least loaded worker; it owns the job from here. */
static void workers_hand_over(struct hs_job *job)
{
	struct worker *w = &workers[0];
	uint64_t one = 1;

	for (unsigned i = 1; i < n_workers; i++)
		if (atomic_load(&workers[i].load) < atomic_load(&w->load))
			w = &workers[i];
	atomic_fetch_add(&w->load, 1);
	pthread_mutex_lock(&w->lock);
	job->next = w->inbox;
	w->inbox = job;
	pthread_mutex_unlock(&w->lock);
	if (write(w->wake_fd, &one, sizeof(one)) < 0)
		log_warn("waking worker");
}

int job_submit(struct hs_job *job, unsigned timeout_ms, char *reason, size_t reason_len)
{
	const uid_t *uid = job->origin == JOB_FROM_KERNEL ? NULL : &job->caller.uid;
	int rc = admission_take(job->cfg->cfg, uid, reason, reason_len);

	if (rc < 0)
		return rc;
	job->admitted = 1;
	job->heap_at = 0;
	job->started_ms = clock_now_ms();
	job->deadline_ms = job->started_ms + timeout_ms;
	workers_hand_over(job);
	return 0;
}

void workers_stop(void)
{
	uint64_t one = 1;

	for (unsigned i = 0; i < n_workers; i++) {
		atomic_store(&workers[i].stop, 1);
		if (write(workers[i].wake_fd, &one, sizeof(one)) < 0)
			log_warn("waking worker");
	}
	for (unsigned i = 0; i < n_workers; i++) {
		pthread_join(workers[i].thread, NULL);
		close(workers[i].epfd);
		close(workers[i].wake_fd);
		pthread_mutex_destroy(&workers[i].lock);
		free(workers[i].ids);
		free(workers[i].heap);
	}
	free(workers);
	workers = NULL;
	n_workers = 0;
}

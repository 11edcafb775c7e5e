// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Worker threads.  Each owns an epoll set with its jobs' sockets and request
 * connections, an eventfd through which the main thread hands over jobs, and
 * the deadlines of its jobs.  A job lives on exactly one worker from submit
 * to reply, so no job state is shared between threads.
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
 * job_submit() is the one way in for both doors (limits, counting, the
 * deadline, the hand-over) and job_finish() the one way out (the release).
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "engine/admission.h"
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
	uint64_t last_id;		/* worker thread */
	atomic_uint load;
	atomic_bool stop;
};

static struct worker *workers;
static unsigned n_workers;

static void job_unwatch(struct worker *w, struct hs_job *job)
{
	epoll_ctl(w->epfd, EPOLL_CTL_DEL, job->sock_fd, NULL);
	if (job->conn_fd >= 0)
		epoll_ctl(w->epfd, EPOLL_CTL_DEL, job->conn_fd, NULL);
}

static void job_unlink(struct worker *w, struct hs_job *job)
{
	for (struct hs_job **pp = &w->jobs; *pp; pp = &(*pp)->next)
		if (*pp == job) {
			*pp = job->next;
			break;
		}
}

static const char *role_name(int role)
{
	return role == KTLS_ROLE_SERVER ? "server" : "client";
}

static void log_outcome(const struct hs_job *job, const struct ktls_hs_reply *rep)
{
	unsigned long ms = (unsigned long)(clock_now_ms() - job->started_ms);
	const char *profile = job->profile ? job->profile->name : "-";

	if (rep->status == 0)
		log_info("handshake ok peer=%s profile=%s role=%s uid=%u version=%s cipher=%s "
			 "group=%s alpn=%s resumed=%s duration=%lums", job->peer_addr, profile,
			 role_name(job->req.role), (unsigned)job->caller.uid,
			 ktls_version_name(rep->version), ktls_cipher_name(rep->cipher),
			 rep->group[0] ? rep->group : "-", rep->alpn[0] ? rep->alpn : "-",
			 rep->resumed ? "yes" : "no", ms);
	else
		log_warnx("handshake failed peer=%s profile=%s role=%s uid=%u duration=%lums "
			  "error=%s reason=\"%s\"", job->peer_addr, profile,
			  role_name(job->req.role), (unsigned)job->caller.uid, ms,
			  strerror((int)rep->status), rep->reason);
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
	log_outcome(job, rep);
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
	if (epoll_ctl(w->epfd, EPOLL_CTL_MOD, job->sock_fd, &ev) < 0)
		job_fail(w, job, errno, "cannot watch the socket");
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
	job->next = w->jobs;
	w->jobs = job;
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

/* Fail every job past its deadline; return ms until the next one (-1: none). */
static int expire_jobs(struct worker *w)
{
	uint64_t now = clock_now_ms(), next = UINT64_MAX;
	struct hs_job *job, *following;

	for (job = w->jobs; job; job = following) {
		following = job->next;
		if (job->deadline_ms <= now) {
			job_fail(w, job, ETIMEDOUT, "handshake deadline passed: the peer stalled");
			continue;
		}
		if (job->wake_ms && job->wake_ms <= now) {
			job->wake_ms = 0;
			job_drive(w, job);	/* may finish (free) only this job */
			next = now;	/* it may have set a new wake_ms: look again */
			continue;
		}
		if (job->deadline_ms < next)
			next = job->deadline_ms;
		if (job->wake_ms && job->wake_ms < next)
			next = job->wake_ms;
	}
	return next == UINT64_MAX ? -1 : (int)(next - now);
}

static struct hs_job *job_by_id(struct worker *w, uint64_t id)
{
	for (struct hs_job *job = w->jobs; job; job = job->next)
		if (job->id == id)
			return job;
	return NULL;
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
		job->next = w->jobs;
		w->jobs = job;
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
	}
	free(workers);
	workers = NULL;
	n_workers = 0;
}

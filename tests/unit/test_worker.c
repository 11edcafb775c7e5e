// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * daemon/engine/worker.c: a stale epoll event must not reach another job.
 *
 * One epoll batch can hold two events of job A (its socket became
 * readable, its caller hung up) and the worker's wake-up.  The first event
 * finishes A and frees it; the wake-up takes a job C that the main thread
 * allocated meanwhile, possibly at A's address.  Events that named jobs by
 * address then delivered A's hang-up to C, which failed with ECANCELED
 * ("the caller went away") although its caller was still there.
 *
 * The test makes exactly that happen: the engine (hs_*) is wrapped, the
 * worker is held before epoll_wait() until A's two events and a wake-up
 * are ready, and free(A) is wrapped to build C in A's memory and submit
 * it, which is what malloc may do when the main thread allocates next.
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/handshake.h"
#include "engine/job.h"
#include "engine/worker.h"

struct fake {
	const char *name;
	int fail_after_first_step;	/* the 2nd hs_step fails (A) */
	int steps;
	atomic_int status;		/* -1 until done() */
	int peer_sock, peer_conn;	/* the test's ends */
};

static struct fake fake_a = { .name = "A", .fail_after_first_step = 1 };
static struct fake fake_b = { .name = "B" }, fake_c = { .name = "C" };
static sem_t worker_held, worker_go, a_started;
static atomic_int hold_worker;
static struct hs_job *volatile reuse_at;	/* free(this) builds C here instead */
/* The second test: hold the worker at its next epoll_wait() and let that
 * call report nothing; learn when workers_stop() starts joining. */
static struct fake fake_x = { .name = "X" }, fake_y = { .name = "Y" }, fake_z = { .name = "Z" };
static atomic_int hold_next_wait, signal_join;
static sem_t join_started;

/* ---- the engine, wrapped ---- */

int __wrap_hs_start(struct hs_job *job, char *reason, size_t reason_len);
int __wrap_hs_start(struct hs_job *job, char *reason, size_t reason_len)
{
	return 0;
}

int __wrap_hs_step(struct hs_job *job, char *reason, size_t reason_len);
int __wrap_hs_step(struct hs_job *job, char *reason, size_t reason_len)
{
	struct fake *f = job->done_ctx;

	if (++f->steps == 1) {
		if (f == &fake_a)
			sem_post(&a_started);
		return -EAGAIN;
	}
	if (f->fail_after_first_step) {
		snprintf(reason, reason_len, "test: %s fails", f->name);
		return -EPROTO;
	}
	return -EAGAIN;
}

int __wrap_hs_wants_write(const struct hs_job *job);
int __wrap_hs_wants_write(const struct hs_job *job)
{
	return 0;
}

/* The fake engine always reads (the real one may pause reading while a
 * record arrives in pieces). */
int __wrap_hs_wants_read(const struct hs_job *job);
int __wrap_hs_wants_read(const struct hs_job *job)
{
	return 1;
}

int __wrap_hs_complete(struct hs_job *job, struct ktls_hs_reply *rep, char *reason,
		       size_t reason_len);
int __wrap_hs_complete(struct hs_job *job, struct ktls_hs_reply *rep, char *reason,
		       size_t reason_len)
{
	return 0;
}

void __wrap_hs_free(struct hs_session *hs);
void __wrap_hs_free(struct hs_session *hs)
{
}

/* ---- the worker held before epoll_wait, and free() ---- */

int __real_epoll_wait(int epfd, struct epoll_event *events, int max, int timeout);
int __wrap_epoll_wait(int epfd, struct epoll_event *events, int max, int timeout);
int __wrap_epoll_wait(int epfd, struct epoll_event *events, int max, int timeout)
{
	static int calls_since_a;

	/* Once A has started (hs_step runs on this thread).  First a pass
	 * that returns at once: it drops the wake-up's stale level-triggered
	 * entry from the ready list, so that events are reported in the
	 * order they become ready, as for a worker that was idle. */
	if (atomic_exchange(&hold_next_wait, 0)) {
		sem_post(&worker_held);
		sem_wait(&worker_go);
		return 0;	/* as if nothing happened: the loop looks at stop next */
	}
	if (fake_a.steps && atomic_load(&hold_worker)) {
		if (calls_since_a++ == 0)
			return __real_epoll_wait(epfd, events, max, 0);
		atomic_store(&hold_worker, 0);
		sem_post(&worker_held);
		sem_wait(&worker_go);
	}
	return __real_epoll_wait(epfd, events, max, timeout);
}

int __real_pthread_join(pthread_t thread, void **ret);
int __wrap_pthread_join(pthread_t thread, void **ret);
int __wrap_pthread_join(pthread_t thread, void **ret)
{
	if (atomic_load(&signal_join))
		sem_post(&join_started);	/* workers_stop() has set stop */
	return __real_pthread_join(thread, ret);
}

static void fake_done(struct hs_job *job, const struct ktls_hs_reply *rep)
{
	struct fake *f = job->done_ctx;

	atomic_store(&f->status, (int)rep->status);
}

static void job_init(struct hs_job *job, struct fake *f)
{
	int sock[2], conn[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sock), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, conn), 0);
	memset(job, 0, sizeof(*job));
	job->done = fake_done;
	job->done_ctx = f;
	job->sock_fd = sock[0];
	job->conn_fd = conn[0];
	job->caller.uid = getuid();
	job->origin = JOB_FROM_APP;
	job->cfg = cfg_ref_current();
	f->peer_sock = sock[1];
	f->peer_conn = conn[1];
	f->steps = 0;
	atomic_store(&f->status, -1);
}

static void submit(struct hs_job *job)
{
	char reason[KTLS_REASON_MAX];

	assert_int_equal(job_submit(job, 60000, reason, sizeof(reason)), 0);
}

void __real_free(void *p);
void __wrap_free(void *p);
void __wrap_free(void *p)
{
	if (p && p == reuse_at) {
		reuse_at = NULL;
		job_init(p, &fake_c);	/* C, at A's address */
		submit(p);
		return;
	}
	__real_free(p);
}

/* ---- the test ---- */

static void wait_sem(sem_t *sem)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 5;
	assert_int_equal(sem_timedwait(sem, &ts), 0);
}

static int setup(void **state)
{
	struct cfg_ref *ref = calloc(1, sizeof(*ref));
	char err[256];

	sem_init(&worker_held, 0, 0);
	sem_init(&worker_go, 0, 0);
	sem_init(&a_started, 0, 0);
	sem_init(&join_started, 0, 0);
	if (!ref || cfg_load(NULL, &ref->cfg, err, sizeof(err)) < 0)
		return -1;
	atomic_init(&ref->refs, 1);
	cfg_ref_install(ref);
	return workers_start(1);
}

static void stale_hangup_does_not_hit_a_new_job(void **state)
{
	struct hs_job *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	const uint8_t byte = 1;

	assert_non_null(a);
	assert_non_null(b);
	job_init(a, &fake_a);
	job_init(b, &fake_b);
	atomic_store(&hold_worker, 1);
	submit(a);
	wait_sem(&a_started);
	wait_sem(&worker_held);		/* the worker waits before epoll_wait */

	/* One batch: A's socket readable, the wake-up for B, A's hang-up. */
	assert_int_equal(write(fake_a.peer_sock, &byte, 1), 1);
	submit(b);
	close(fake_a.peer_conn);
	reuse_at = a;
	sem_post(&worker_go);

	for (int i = 0; i < 200 && (atomic_load(&fake_a.status) < 0 || fake_c.steps == 0 ||
				    fake_b.steps == 0); i++)
		usleep(10000);
	usleep(200000);			/* the rest of the batch, had it been wrong */
	assert_int_equal(atomic_load(&fake_a.status), EPROTO);
	assert_ptr_equal(reuse_at, NULL);	/* C was built at A's address */
	assert_int_equal(fake_c.steps, 1);	/* ...and started */
	assert_int_equal(atomic_load(&fake_c.status), -1);	/* not "the caller went away" */
	assert_int_equal(atomic_load(&fake_b.status), -1);

	workers_stop();
	assert_int_equal(atomic_load(&fake_c.status), ESHUTDOWN);
	assert_int_equal(atomic_load(&fake_b.status), ESHUTDOWN);
	close(fake_a.peer_sock);
	close(fake_b.peer_sock);
	close(fake_b.peer_conn);
	close(fake_c.peer_sock);
	close(fake_c.peer_conn);
	cfg_ref_install(NULL);
}

static void *stop_workers(void *arg)
{
	workers_stop();
	return NULL;
}

/* Jobs handed to a worker that stops before it takes them from its inbox
 * (a kernel request queued at `systemctl stop`) still get an answer:
 * without one the kernel never hears DONE and an application waits. */
static void jobs_in_the_inbox_are_answered_at_stop(void **state)
{
	struct cfg_ref *ref = calloc(1, sizeof(*ref));
	struct hs_job *x = calloc(1, sizeof(*x)), *y = calloc(1, sizeof(*y)),
		      *z = calloc(1, sizeof(*z));
	struct fake *fakes[] = { &fake_x, &fake_y, &fake_z };
	char err[256];
	pthread_t stopper;

	assert_non_null(ref);
	assert_non_null(x);
	assert_non_null(y);
	assert_non_null(z);
	assert_int_equal(cfg_load(NULL, &ref->cfg, err, sizeof(err)), 0);
	atomic_init(&ref->refs, 1);
	cfg_ref_install(ref);
	assert_int_equal(workers_start(1), 0);

	job_init(x, &fake_x);
	atomic_store(&hold_next_wait, 1);
	submit(x);			/* wakes the worker, which then holds */
	wait_sem(&worker_held);
	job_init(y, &fake_y);
	job_init(z, &fake_z);
	submit(y);			/* into the inbox: the worker is held */
	submit(z);

	atomic_store(&signal_join, 1);
	assert_int_equal(pthread_create(&stopper, NULL, stop_workers, NULL), 0);
	wait_sem(&join_started);	/* stop is set; now let the worker look */
	atomic_store(&signal_join, 0);
	sem_post(&worker_go);
	assert_int_equal(pthread_join(stopper, NULL), 0);

	for (size_t i = 0; i < sizeof(fakes) / sizeof(fakes[0]); i++) {
		print_message("# %s: status %d\n", fakes[i]->name, atomic_load(&fakes[i]->status));
		assert_int_equal(atomic_load(&fakes[i]->status), ESHUTDOWN);
		close(fakes[i]->peer_sock);
		close(fakes[i]->peer_conn);
	}
	cfg_ref_install(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(stale_hangup_does_not_hit_a_new_job),
		cmocka_unit_test(jobs_in_the_inbox_are_answered_at_stop),
	};

	return cmocka_run_group_tests_name("daemon/engine/worker.c events and job ids", tests,
					   setup,
					   NULL);
}

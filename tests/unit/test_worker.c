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
 *
 * The third test holds thousands of stalled jobs on one worker and checks
 * that deadlines fire in order and once, that wake_ms is honoured, and that
 * the work per event (jobs the worker looks at, counted by the worker) does
 * not grow with the number of jobs in flight.
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
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/clock.h"
#include "engine/handshake.h"
#include "engine/job.h"
#include "engine/worker.h"

struct fake {
	const char *name;
	int fail_after_first_step;	/* the 2nd hs_step fails (A) */
	int steps;
	atomic_int status;		/* -1 until done() */
	int peer_sock, peer_conn;	/* the test's ends */
	/* the third test's jobs: read what comes, never finish, unless
	 * wake_in_ms: then ask to be woken, and finish when woken */
	int many;
	unsigned wake_in_ms;
	atomic_int msteps, done_calls;
	uint64_t wake_at, stepped_at, deadline_ms;
	int seq;
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

	if (f->many) {
		uint8_t buf[16];

		while (recv(job->sock_fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
			;
		if (atomic_fetch_add(&f->msteps, 1) == 0) {
			if (f->wake_in_ms) {
				f->wake_at = clock_now_ms() + f->wake_in_ms;
				job->wake_ms = f->wake_at;
			}
			return -EAGAIN;
		}
		if (f->wake_in_ms) {
			f->stepped_at = clock_now_ms();
			return 0;
		}
		return -EAGAIN;
	}
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

static atomic_int done_seq;

static void fake_done(struct hs_job *job, const struct ktls_hs_reply *rep)
{
	struct fake *f = job->done_ctx;

	f->seq = atomic_fetch_add(&done_seq, 1);
	f->deadline_ms = job->deadline_ms;
	atomic_fetch_add(&f->done_calls, 1);

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

static void submit_timeout(struct hs_job *job, unsigned timeout_ms)
{
	char reason[KTLS_REASON_MAX];

	assert_int_equal(job_submit(job, timeout_ms, reason, sizeof(reason)), 0);
}

static void submit(struct hs_job *job)
{
	submit_timeout(job, 60000);
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

#define MANY 2000		/* stalled jobs; two descriptors each, and our ends */
#define EVENTS 200		/* events per measurement */
#define TIMED 20		/* jobs with short deadlines */

/* A stalled job: the socket only, as from the netlink door. */
static struct hs_job *many_job(struct fake *f, unsigned wake_in_ms)
{
	struct hs_job *job = calloc(1, sizeof(*job));
	int sock[2];

	assert_non_null(job);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sock), 0);
	memset(f, 0, sizeof(*f));
	f->name = "many";
	f->many = 1;
	f->wake_in_ms = wake_in_ms;
	f->peer_sock = sock[1];
	f->peer_conn = -1;
	atomic_store(&f->status, -1);
	job->done = fake_done;
	job->done_ctx = f;
	job->sock_fd = sock[0];
	job->conn_fd = -1;
	job->caller.uid = getuid();
	job->origin = JOB_FROM_KERNEL;
	job->cfg = cfg_ref_current();
	return job;
}

static void wait_steps(struct fake *f, int steps)
{
	for (int i = 0; i < 5000 && atomic_load(&f->msteps) < steps; i++)
		usleep(1000);
	assert_true(atomic_load(&f->msteps) >= steps);
}

/* Jobs the worker looked at for EVENTS socket events spread over n jobs
 * (each event waited for, so the count is that of those events and the
 * loop passes between them, nothing else: no deadline is near). */
static unsigned long examined_per_events(struct fake *fakes, size_t n)
{
	unsigned long start = atomic_load(&worker_jobs_examined);
	const uint8_t byte = 1;

	for (size_t i = 0; i < EVENTS; i++) {
		struct fake *f = &fakes[(i * 7919) % n];
		int steps = atomic_load(&f->msteps);

		assert_int_equal(write(f->peer_sock, &byte, 1), 1);
		wait_steps(f, steps + 1);
	}
	usleep(20000);		/* the loop pass after the last event */
	return atomic_load(&worker_jobs_examined) - start;
}

static int all_done(struct fake *fakes, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (atomic_load(&fakes[i].status) < 0)
			return 0;
	return 1;
}

static void many_stalled_jobs(void **state)
{
	struct fake *fakes = calloc(MANY + TIMED + 1, sizeof(*fakes));
	struct fake *timed = fakes + MANY, *woken = timed + TIMED;
	struct cfg_ref *ref = calloc(1, sizeof(*ref));
	unsigned long small, big;
	struct rlimit rl;
	size_t n = MANY;
	char err[256];

	assert_non_null(fakes);
	assert_non_null(ref);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur < 2 * MANY + 256) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
		if (rl.rlim_cur < 2 * MANY + 256)
			n = (rl.rlim_cur - 256) / 2;
	}
	if (n < 500) {
		print_message("# SKIP descriptor limit %lu too low\n", (unsigned long)rl.rlim_cur);
		skip();
	}
	assert_int_equal(cfg_load(NULL, &ref->cfg, err, sizeof(err)), 0);
	atomic_init(&ref->refs, 1);
	cfg_ref_install(ref);
	assert_int_equal(workers_start(1), 0);

	/* The cost of an event with 100 jobs in flight, then with n. */
	for (size_t i = 0; i < 100; i++)
		submit(many_job(&fakes[i], 0));
	for (size_t i = 0; i < 100; i++)
		wait_steps(&fakes[i], 1);
	small = examined_per_events(fakes, 100);
	for (size_t i = 100; i < n; i++)
		submit(many_job(&fakes[i], 0));
	for (size_t i = 100; i < n; i++)
		wait_steps(&fakes[i], 1);
	big = examined_per_events(fakes, n);
	print_message("# jobs examined for %d events: %lu with 100 in flight, %lu with %zu\n",
		      EVENTS, small, big, n);
	assert_true(big <= 4 * EVENTS);		/* a few per event, not per job */
	assert_true(big <= small + EVENTS);

	/* Deadlines among them, submitted out of order; one job woken. */
	for (size_t i = 0; i < TIMED; i++)
		submit_timeout(many_job(&timed[i], 0), 300 + 25 * (unsigned)((i * 7) % TIMED));
	submit(many_job(woken, 100));
	for (int i = 0; i < 1000 && !all_done(timed, TIMED + 1); i++)
		usleep(10000);
	usleep(200000);		/* time for a second answer, had one come */
	for (size_t i = 0; i < TIMED; i++) {
		assert_int_equal(atomic_load(&timed[i].status), ETIMEDOUT);
		assert_int_equal(atomic_load(&timed[i].done_calls), 1);
		for (size_t j = 0; j < TIMED; j++)
			if (timed[i].seq < timed[j].seq)
				assert_true(timed[i].deadline_ms <= timed[j].deadline_ms);
	}
	assert_int_equal(atomic_load(&woken->status), 0);
	assert_int_equal(atomic_load(&woken->done_calls), 1);
	assert_int_equal(atomic_load(&woken->msteps), 2);	/* stepped once more, unasked by I/O */
	assert_true(woken->stepped_at >= woken->wake_at);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(atomic_load(&fakes[i].status), -1);

	workers_stop();
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(atomic_load(&fakes[i].status), ESHUTDOWN);
		assert_int_equal(atomic_load(&fakes[i].done_calls), 1);
	}
	for (size_t i = 0; i < MANY + TIMED + 1; i++)
		if (fakes[i].many)
			close(fakes[i].peer_sock);
	free(fakes);
	cfg_ref_install(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(stale_hangup_does_not_hit_a_new_job),
		cmocka_unit_test(jobs_in_the_inbox_are_answered_at_stop),
		cmocka_unit_test(many_stalled_jobs),
	};

	return cmocka_run_group_tests_name("daemon/engine/worker.c events and job ids", tests,
					   setup,
					   NULL);
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * daemon/engine/admission.c and daemon/engine/fd_budget.c: the limits that keep one
 * local user from denying ktlsd to others and to the kernel.
 *
 * - one uid gets at most max_handshakes_per_uid in flight, then EAGAIN
 *   with a reason naming the limit; other uids still get theirs;
 * - applications together never use the kernel's reserve: with them at
 *   their limit, kernel requests still start, up to max_handshakes;
 * - waiting connections per uid likewise;
 * - the fd limit clamps max_handshakes (the soft limit raised to the hard
 *   one first), and "auto" limits follow.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/admission.h"
#include "engine/fd_budget.h"
#include "engine/stats.h"

static struct cfg *config(unsigned max, unsigned per_uid, unsigned reserve)
{
	static struct cfg *cfg;
	char err[256];

	cfg_free(cfg);
	assert_int_equal(cfg_load(NULL, &cfg, err, sizeof(err)), 0);
	cfg->max_handshakes = max;
	cfg->max_handshakes_per_uid = per_uid;
	cfg->kernel_reserve = reserve;
	return cfg;
}

static int take(const struct cfg *cfg, uid_t uid, char *reason)
{
	return admission_take(cfg, &uid, reason, KTLS_REASON_MAX);
}

static void release(uid_t uid, unsigned times)
{
	while (times--)
		admission_release(&uid);
}

static void auto_limits(void **state)
{
	struct admission_limits lim;

	admission_limits(config(4096, CFG_LIMIT_AUTO, CFG_LIMIT_AUTO), &lim);
	assert_int_equal(lim.max_handshakes, 4096);
	assert_int_equal(lim.kernel_reserve, 512);		/* 1/8 */
	assert_int_equal(lim.per_uid, (4096 - 512) / 4);	/* a quarter of the apps' share */
	assert_int_equal(lim.waiting, FD_BUDGET_WAITING_MAX);
	assert_int_equal(lim.waiting_per_uid, FD_BUDGET_WAITING_MAX / 4);
	/* a reserve of everything leaves the applications one */
	admission_limits(config(10, CFG_LIMIT_AUTO, 50), &lim);
	assert_int_equal(lim.kernel_reserve, 9);
	assert_int_equal(lim.per_uid, 1);
}

static void per_uid_limit(void **state)
{
	const struct cfg *cfg = config(16, 3, 2);
	char reason[KTLS_REASON_MAX];
	unsigned long refused = atomic_load(&ktlsd_stats.refused_busy);

	for (int i = 0; i < 3; i++)
		assert_int_equal(take(cfg, 1000, reason), 0);
	assert_int_equal(take(cfg, 1000, reason), -EAGAIN);
	assert_non_null(strstr(reason, "uid 1000"));
	assert_non_null(strstr(reason, "max_handshakes_per_uid 3"));
	assert_int_equal(atomic_load(&ktlsd_stats.refused_busy), refused + 1);
	assert_int_equal(admission_in_flight(1000), 3);
	assert_int_equal(take(cfg, 1001, reason), 0);		/* another uid: fine */
	release(1000, 1);
	assert_int_equal(take(cfg, 1000, reason), 0);		/* room again */
	release(1000, 3);
	release(1001, 1);
	assert_int_equal(admission_in_flight(1000), 0);
	assert_int_equal(atomic_load(&ktlsd_stats.in_flight), 0);
}

static void kernel_keeps_its_reserve(void **state)
{
	const struct cfg *cfg = config(8, 8, 2);
	char reason[KTLS_REASON_MAX];

	/* applications: 6 of 8, however many uids ask */
	for (uid_t uid = 2000; uid < 2006; uid++)
		assert_int_equal(take(cfg, uid, reason), 0);
	assert_int_equal(take(cfg, 2006, reason), -EAGAIN);
	assert_non_null(strstr(reason, "2 kept for kernel requests"));
	/* the kernel: the 2 kept, then busy */
	assert_int_equal(admission_take(cfg, NULL, reason, sizeof(reason)), 0);
	assert_int_equal(admission_take(cfg, NULL, reason, sizeof(reason)), 0);
	assert_int_equal(admission_take(cfg, NULL, reason, sizeof(reason)), -EAGAIN);
	assert_int_equal(atomic_load(&ktlsd_stats.in_flight), 8);
	/* kernel requests may use what applications leave */
	for (uid_t uid = 2000; uid < 2006; uid++)
		release(uid, 1);
	for (int i = 0; i < 6; i++)
		assert_int_equal(admission_take(cfg, NULL, reason, sizeof(reason)), 0);
	assert_int_equal(take(cfg, 2000, reason), -EAGAIN);	/* all 8 are the kernel's */
	for (int i = 0; i < 8; i++)
		admission_release(NULL);
	assert_int_equal(atomic_load(&ktlsd_stats.in_flight), 0);
}

static void waiting_per_uid(void **state)
{
	struct cfg *cfg = config(16, CFG_LIMIT_AUTO, CFG_LIMIT_AUTO);
	char reason[KTLS_REASON_MAX];

	cfg->max_waiting_per_uid = 2;
	assert_int_equal(admission_waiting_take(cfg, 3000, reason, sizeof(reason)), 0);
	assert_int_equal(admission_waiting_take(cfg, 3000, reason, sizeof(reason)), 0);
	assert_int_equal(admission_waiting_take(cfg, 3000, reason, sizeof(reason)), -EAGAIN);
	assert_non_null(strstr(reason, "max_waiting_per_uid 2"));
	assert_int_equal(admission_waiting_take(cfg, 3001, reason, sizeof(reason)), 0);
	admission_waiting_release(3000);
	assert_int_equal(admission_waiting_take(cfg, 3000, reason, sizeof(reason)), 0);
	admission_waiting_release(3000);
	admission_waiting_release(3000);
	admission_waiting_release(3001);
	assert_int_equal(admission_waiting(3000), 0);
}

/* A short waiting list (a low fd limit) still lets one uid start a few
 * handshakes at once: t_dos saw a client+server pair of one uid refused at
 * accept (EPIPE at its send) when its share of 7 was 1. */
static void auto_waiting_share_has_a_floor(void **state)
{
	assert_int_equal(admission_auto_waiting_per_uid(FD_BUDGET_WAITING_MAX),
			 FD_BUDGET_WAITING_MAX / 4);
	assert_int_equal(admission_auto_waiting_per_uid(119), 29);
	assert_int_equal(admission_auto_waiting_per_uid(16), 4);
	assert_int_equal(admission_auto_waiting_per_uid(7), 4);
	assert_int_equal(admission_auto_waiting_per_uid(4), 4);
	assert_int_equal(admission_auto_waiting_per_uid(2), 2);
	assert_int_equal(admission_auto_waiting_per_uid(0), 1);
}

static void budget_arithmetic(void **state)
{
	struct fd_budget b;

	/* 1024 (a common default soft limit), 2 workers: 64 + 8 for ktlsd,
	 * 119 waiting (1/8 of the rest), two fds per handshake. */
	fd_budget_compute(1024, 2, &b);
	assert_int_equal(b.max_waiting, 119);
	assert_int_equal(b.max_handshakes, (1024 - 72 - 119) / 2);
	/* the shipped unit's LimitNOFILE=65536 holds the default 16384, with
	 * 64 workers */
	fd_budget_compute(65536, 64, &b);
	assert_true(b.max_handshakes >= 16384);
	assert_int_equal(b.max_waiting, FD_BUDGET_WAITING_MAX);
	/* too few: nothing fits */
	fd_budget_compute(40, 2, &b);
	assert_int_equal(b.max_handshakes, 0);
	assert_int_equal(b.max_waiting, 4);
}

/* In a child, so that lowering the hard limit does not outlive the test. */
static void budget_applied_at_start(void **state)
{
	int status;
	pid_t child = fork();

	assert_true(child >= 0);
	if (child == 0) {
		struct rlimit rl = { .rlim_cur = 100, .rlim_max = 300 };
		struct admission_limits lim;
		struct fd_budget want;
		struct cfg *cfg = config(4096, CFG_LIMIT_AUTO, CFG_LIMIT_AUTO);

		cfg->workers = 2;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			_exit(10);
		fd_budget_apply(cfg);
		if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur != 300)
			_exit(11);		/* soft raised to hard */
		fd_budget_compute(300, 2, &want);
		admission_limits(cfg, &lim);
		if (fd_budget_current()->nofile != 300 ||
		    lim.max_handshakes != want.max_handshakes || lim.max_handshakes >= 4096 ||
		    lim.waiting != want.max_waiting)
			_exit(12);
		_exit(0);
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(auto_limits),
		cmocka_unit_test(per_uid_limit),
		cmocka_unit_test(kernel_keeps_its_reserve),
		cmocka_unit_test(waiting_per_uid),
		cmocka_unit_test(auto_waiting_share_has_a_floor),
		cmocka_unit_test(budget_arithmetic),
		cmocka_unit_test(budget_applied_at_start),
	};

	return cmocka_run_group_tests_name("daemon/engine/admission.c and fd_budget.c", tests, NULL,
					   NULL);
}

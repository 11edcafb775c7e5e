// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * seccomp_filter.c: each case forks a child that installs a small
 * allow-list, then makes one system call; the parent reads how the child
 * ended.  An allowed call must work (the child exits with a code that
 * proves it ran past it), a call outside the list, an argument that does
 * not match, an x32 number or an i386 int 0x80 call must kill it with
 * SIGSYS.  The child uses raw syscall() only, so that no libc or sanitizer
 * wrapper makes calls of its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../daemon/seccomp_filter.h"

static const struct seccomp_allow small[] = {
	SECCOMP_ALLOW(getppid),
	SECCOMP_FAIL(getuid, EPERM),	/* getuid cannot fail unfiltered */
	SECCOMP_ALLOW_ARG(openat, 2, O_ACCMODE | O_CREAT, O_RDONLY),
	SECCOMP_ALLOW(close),
	SECCOMP_ALLOW(exit_group),
	SECCOMP_ALLOW(exit),
	SECCOMP_ALLOW(rt_sigreturn),
};

enum action {
	DO_GETPPID,		/* allowed */
	DO_GETPID,		/* not listed */
	DO_GETUID,		/* listed to fail with EPERM */
	DO_OPEN_READ,		/* allowed: O_RDONLY */
	DO_OPEN_WRITE,		/* listed, but the flags do not match */
	DO_X32_GETPPID,		/* an allowed number with the x32 bit */
	DO_I386_GETPID,		/* int 0x80: the i386 table */
	DO_NOTHING,
};

static long i386_getpid(void)
{
#ifdef __x86_64__
	long ret = 20;		/* __NR_getpid in the i386 table */

	__asm__ volatile("int $0x80" : "+a"(ret) : : "memory");
	return ret;
#else
	return -ENOSYS;
#endif
}

/* 0 when the action ran and gave what it should, 1 when it ran wrong. */
static int act(enum action what, pid_t parent)
{
	long fd;

	switch (what) {
	case DO_GETPPID:
		return syscall(SYS_getppid) == parent ? 0 : 1;
	case DO_GETPID:
		return syscall(SYS_getpid) > 0 ? 0 : 1;
	case DO_GETUID:		/* 0: it worked, 3: EPERM, as listed */
		if (syscall(SYS_getuid) >= 0)
			return 0;
		return errno == EPERM ? 3 : 1;
	case DO_OPEN_READ:
	case DO_OPEN_WRITE:
		fd = syscall(SYS_openat, AT_FDCWD, "/dev/null",
			     what == DO_OPEN_READ ? O_RDONLY : O_WRONLY);
		if (fd < 0)
			return 1;
		return syscall(SYS_close, fd) == 0 ? 0 : 1;
	case DO_X32_GETPPID:
#ifdef __x86_64__
		return syscall(SYS_getppid | 0x40000000) == parent ? 0 : 1;
#else
		return 0;
#endif
	case DO_I386_GETPID:
		return i386_getpid() > 0 ? 0 : 1;
	case DO_NOTHING:
		return 0;
	}
	return 1;
}

/* The child's wait status after it (filtered or not) did what. */
static int run_child(int filtered, enum action what)
{
	pid_t parent = getpid(), pid;
	int status;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (filtered &&
		    seccomp_filter_install(small, sizeof(small) / sizeof(small[0])) < 0)
			syscall(SYS_exit_group, 2);
		syscall(SYS_exit_group, act(what, parent));
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void assert_exited_ok(int status)
{
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void assert_killed_by_sigsys(int status)
{
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSYS);
}

static void test_allowed_call_works(void **state)
{
	assert_exited_ok(run_child(1, DO_NOTHING));
	assert_exited_ok(run_child(1, DO_GETPPID));
	assert_exited_ok(run_child(1, DO_OPEN_READ));
}

static void test_unlisted_call_kills(void **state)
{
	assert_exited_ok(run_child(0, DO_GETPID));	/* falsifiable: fine unfiltered */
	assert_killed_by_sigsys(run_child(1, DO_GETPID));
}

/* SECCOMP_FAIL: the call fails with its errno and the process lives on. */
static void test_listed_failure_returns_errno(void **state)
{
	int status = run_child(0, DO_GETUID);

	assert_exited_ok(status);			/* falsifiable: works unfiltered */
	status = run_child(1, DO_GETUID);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 3);
}

static void test_argument_mismatch_kills(void **state)
{
	assert_exited_ok(run_child(0, DO_OPEN_WRITE));
	assert_killed_by_sigsys(run_child(1, DO_OPEN_WRITE));
}

static void test_x32_and_i386_kill(void **state)
{
	int status;

#ifndef __x86_64__
	skip();
#endif
	/* Unfiltered, x32 may be compiled out (ENOSYS) and so may i386
	 * emulation; filtered, seccomp sees the call first either way. */
	assert_killed_by_sigsys(run_child(1, DO_X32_GETPPID));
	status = run_child(0, DO_I386_GETPID);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		skip();		/* no i386 emulation in this kernel */
	assert_killed_by_sigsys(run_child(1, DO_I386_GETPID));
}

static void test_bad_lists_refused(void **state)
{
	static struct seccomp_allow many[SECCOMP_ALLOW_MAX + 1];
	const struct seccomp_allow bad_arg[] = { { .nr = SYS_getppid, .arg = 6 } };
	const struct seccomp_allow bad_nr[] = { { .nr = -1, .arg = -1 } };

	/* refused before anything is installed: this process stays unfiltered */
	assert_int_equal(seccomp_filter_install(many, SECCOMP_ALLOW_MAX + 1), -E2BIG);
	assert_int_equal(seccomp_filter_install(bad_arg, 1), -EINVAL);
	assert_int_equal(seccomp_filter_install(bad_nr, 1), -EINVAL);
	assert_true(syscall(SYS_getpid) > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allowed_call_works),
		cmocka_unit_test(test_unlisted_call_kills),
		cmocka_unit_test(test_listed_failure_returns_errno),
		cmocka_unit_test(test_argument_mismatch_kills),
		cmocka_unit_test(test_x32_and_i386_kill),
		cmocka_unit_test(test_bad_lists_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

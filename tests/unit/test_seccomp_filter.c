// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * seccomp_filter.c: each case forks a child that installs a small
 * allow-list, then makes one system call; the parent reads how the child
 * ended.  An allowed call must work (the child exits with a code that
 * proves it ran past it), a call outside the list, an argument that does
 * not match, an x32 number or an i386 int 0x80 call must kill it with
 * SIGSYS.  The child uses raw syscall() only, so that no libc or sanitizer
 * wrapper makes calls of its own.
 *
 * Then the network process's own list (sandbox_network_seccomp()): what
 * ktlsd does works (threads, AF_UNIX and netlink sockets, read-only
 * opens), what an attacker in that process would do next fails with its
 * errno (execve, a fork, an AF_INET socket, executable memory, ptrace,
 * process_vm_readv of another process, a write open) or kills (mount,
 * bpf, an x32 number).  Each refused call is first shown to work unfiltered.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "process/sandbox.h"
#include "process/seccomp_filter.h"

static const struct seccomp_allow small[] = {
	SECCOMP_ALLOW(getppid),
	/* several entries for one number: the first match decides */
	SECCOMP_ALLOW_ARG(socket, 0, 0xffffffffu, AF_UNIX),
	SECCOMP_FAIL_ARG(socket, 0, 0xffffffffu, AF_INET, EACCES),
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
	DO_SOCKET_UNIX,		/* small: first socket entry; network: allowed */
	DO_SOCKET_INET,		/* small: EACCES (exit 3); network: EACCES */
	DO_SOCKET_INET6,	/* small: no entry matches: killed */
	/* the network process's list (exit 3: failed with the listed errno) */
	DO_SOCKET_NETLINK,
	DO_THREAD,		/* clone(CLONE_THREAD...): works */
	DO_FORK,		/* clone(SIGCHLD): EPERM */
	DO_CLONE3,		/* ENOSYS: glibc falls back to clone */
	DO_EXECVE,		/* EPERM */
	DO_MMAP_EXEC,		/* EPERM */
	DO_MMAP_RW,		/* works */
	DO_PTRACE,		/* PTRACE_ATTACH on the parent: EPERM */
	DO_VM_READV_PARENT,	/* EPERM */
	DO_VM_READV_SELF,	/* works */
	DO_KILL_PARENT,		/* kill(parent, 0): EPERM */
	DO_MOUNT,		/* not listed: killed */
	DO_BPF,			/* not listed: killed */
};

static char thread_stack[16384] __attribute__((aligned(16)));

/* 0 when CALL's result is what an unfiltered call gives, 3 when it failed
 * with ERR, 1 otherwise. */
static int fails_with(long ret, int err)
{
	if (ret >= 0)
		return 0;
	return errno == err ? 3 : 1;
}

static int socket_of(int family)
{
	long fd = syscall(SYS_socket, family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (family == AF_NETLINK)
		fd = syscall(SYS_socket, family, SOCK_RAW | SOCK_CLOEXEC, 0 /* NETLINK_ROUTE */);
	if (fd >= 0)
		syscall(SYS_close, fd);
	return fails_with(fd, EACCES);
}

/* A raw clone with CLONE_THREAD: the new thread runs on thread_stack and
 * only exits (raw syscall, no libc), the caller carries on. */
static int raw_thread(void)
{
	long rc;

#ifdef __x86_64__
	register long r10 __asm__("r10") = 0;	/* child tid */
	register long r8 __asm__("r8") = 0;	/* tls */
	rc = SYS_clone;
	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "mov $60, %%eax\n\t"		/* exit(0): this thread only */
			 "xor %%edi, %%edi\n\t"
			 "syscall\n"
			 "1:"
			 : "+a"(rc)
			 : "D"((long)(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
				      CLONE_THREAD | CLONE_SYSVSEM)),
			   "S"(thread_stack + sizeof(thread_stack)), "d"(0L), "r"(r10), "r"(r8)
			 : "rcx", "r11", "memory");
	if (rc < 0) {
		errno = (int)-rc;
		return 1;
	}
	return 0;
#else
	(void)rc;
	return 0;
#endif
}

static int act_network(enum action what, pid_t parent)
{
	static char probe[16] = "probe";
	char buf[16];
	struct iovec local = { buf, sizeof(buf) }, remote = { probe, sizeof(probe) };
	char *const argv[] = { "ktlsd-test", NULL };
	long r;

	if (what == DO_SOCKET_NETLINK) {
		return socket_of(AF_NETLINK);
	}
	if (what == DO_THREAD) {
		return raw_thread();
	}
	if (what == DO_FORK) {
		r = syscall(SYS_clone, (long)SIGCHLD, 0L, 0L, 0L, 0L);
		if (r == 0)
			syscall(SYS_exit_group, 0);	/* unfiltered: the child */
		if (r > 0)
			syscall(SYS_wait4, r, NULL, 0, NULL);
		return fails_with(r, EPERM);
	}
	if (what == DO_CLONE3) {
		/* a NULL argument: EFAULT unfiltered, after the filter */
		r = syscall(SYS_clone3, NULL, (size_t)64);
		return r < 0 && errno == ENOSYS ? 3 : 0;
	}
	if (what == DO_EXECVE) {
		/* a path that does not exist: unfiltered ENOENT (nothing
		 * replaces the test), filtered EPERM */
		r = syscall(SYS_execve, "/nonexistent/ktlsd-test", argv, NULL);
		return r < 0 && errno == EPERM ? 3 : 0;
	}
	if (what == DO_MMAP_EXEC || what == DO_MMAP_RW) {
		r = (long)syscall(SYS_mmap, NULL, 4096L, PROT_READ | PROT_WRITE |
				  (what == DO_MMAP_EXEC ? PROT_EXEC : 0),
				  (long)(MAP_PRIVATE | MAP_ANONYMOUS), -1L, 0L);
		if (r != -1)
			syscall(SYS_munmap, r, 4096L);
		return r == -1 ? (errno == EPERM ? 3 : 1) : 0;
	}
	if (what == DO_PTRACE) {
		/* PTRACE_PEEKDATA on a process we do not trace: ESRCH
		 * unfiltered (no stopping anyone), EPERM filtered */
		r = syscall(SYS_ptrace, 2L /* PTRACE_PEEKDATA */, (long)parent, probe, 0L);
		return fails_with(r, EPERM);
	}
	if (what == DO_VM_READV_PARENT) {
		return fails_with(syscall(SYS_process_vm_readv, (long)parent, &local, 1L,
					  &remote, 1L, 0L), EPERM);
	}
	if (what == DO_VM_READV_SELF) {
		return syscall(SYS_process_vm_readv, (long)syscall(SYS_getpid), &local, 1L,
			       &remote, 1L, 0L) == (long)sizeof(buf) ? 0 : 1;
	}
	if (what == DO_KILL_PARENT) {
		return fails_with(syscall(SYS_kill, (long)parent, 0L), EPERM);
	}
	if (what == DO_MOUNT) {
		/* unfiltered (no privilege or a bad source) it fails; killed is
		 * what matters */
		syscall(SYS_mount, "none", "/nonexistent", "tmpfs", 0L, NULL);
		return 0;
	}
	if (what == DO_BPF) {
		syscall(SYS_bpf, 0L, NULL, 0L);
		return 0;
	}
	return 1;
}

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
			return what == DO_OPEN_WRITE && errno == EACCES ? 3 : 1;
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
	case DO_SOCKET_UNIX:
		return socket_of(AF_UNIX);
	case DO_SOCKET_INET:
		return socket_of(AF_INET);
	case DO_SOCKET_INET6:
		return socket_of(AF_INET6);
	case DO_SOCKET_NETLINK:
	case DO_THREAD:
	case DO_FORK:
	case DO_CLONE3:
	case DO_EXECVE:
	case DO_MMAP_EXEC:
	case DO_MMAP_RW:
	case DO_PTRACE:
	case DO_VM_READV_PARENT:
	case DO_VM_READV_SELF:
	case DO_KILL_PARENT:
	case DO_MOUNT:
	case DO_BPF:
		return act_network(what, parent);
	}
	return 1;
}

/* The child's wait status after it (filtered or not) did what. */
enum filter { NONE, SMALL, NETWORK };

static int run_child(enum filter filtered, enum action what)
{
	pid_t parent = getpid(), pid;
	int status;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (filtered == SMALL &&
		    seccomp_filter_install(small, sizeof(small) / sizeof(small[0])) < 0)
			syscall(SYS_exit_group, 2);
		if (filtered == NETWORK && sandbox_network_seccomp() < 0)
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
	assert_exited_ok(run_child(SMALL, DO_NOTHING));
	assert_exited_ok(run_child(SMALL, DO_GETPPID));
	assert_exited_ok(run_child(SMALL, DO_OPEN_READ));
}

static void test_unlisted_call_kills(void **state)
{
	assert_exited_ok(run_child(NONE, DO_GETPID));	/* falsifiable: fine unfiltered */
	assert_killed_by_sigsys(run_child(SMALL, DO_GETPID));
}

/* SECCOMP_FAIL: the call fails with its errno and the process lives on. */
static void test_listed_failure_returns_errno(void **state)
{
	int status = run_child(NONE, DO_GETUID);

	assert_exited_ok(status);			/* falsifiable: works unfiltered */
	status = run_child(SMALL, DO_GETUID);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 3);
}

static void test_argument_mismatch_kills(void **state)
{
	assert_exited_ok(run_child(NONE, DO_OPEN_WRITE));
	assert_killed_by_sigsys(run_child(SMALL, DO_OPEN_WRITE));
}

static void test_x32_and_i386_kill(void **state)
{
	int status;

#ifndef __x86_64__
	skip();
#endif
	/* Unfiltered, x32 may be compiled out (ENOSYS) and so may i386
	 * emulation; filtered, seccomp sees the call first either way. */
	assert_killed_by_sigsys(run_child(SMALL, DO_X32_GETPPID));
	status = run_child(NONE, DO_I386_GETPID);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		skip();		/* no i386 emulation in this kernel */
	assert_killed_by_sigsys(run_child(SMALL, DO_I386_GETPID));
}

static void assert_failed_with_errno(int status)
{
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 3);
}

/* Several entries for one number: the first that matches decides, one
 * whose argument differs hands on to the next, and no match kills. */
static void test_entries_for_one_number(void **state)
{
	assert_exited_ok(run_child(NONE, DO_SOCKET_INET));
	assert_exited_ok(run_child(NONE, DO_SOCKET_INET6));
	assert_exited_ok(run_child(SMALL, DO_SOCKET_UNIX));
	assert_failed_with_errno(run_child(SMALL, DO_SOCKET_INET));
	assert_killed_by_sigsys(run_child(SMALL, DO_SOCKET_INET6));
}

/* What the network process does keeps working under its filter. */
static void test_network_allows_its_work(void **state)
{
#ifndef __x86_64__
	skip();		/* raw_thread() is x86_64 assembly */
#endif
	assert_exited_ok(run_child(NETWORK, DO_NOTHING));
	assert_exited_ok(run_child(NETWORK, DO_SOCKET_UNIX));
	assert_exited_ok(run_child(NETWORK, DO_SOCKET_NETLINK));
	assert_exited_ok(run_child(NETWORK, DO_THREAD));
	assert_exited_ok(run_child(NETWORK, DO_MMAP_RW));
	assert_exited_ok(run_child(NETWORK, DO_OPEN_READ));
	assert_exited_ok(run_child(NETWORK, DO_GETPPID));
	assert_exited_ok(run_child(NETWORK, DO_VM_READV_SELF));
}

static int yama_scope(void)
{
	FILE *f = fopen("/proc/sys/kernel/yama/ptrace_scope", "r");
	int scope = 0;

	if (f) {
		if (fscanf(f, "%d", &scope) != 1)
			scope = 0;
		fclose(f);
	}
	return scope;
}

/* What an attacker in the network process would do next fails with the
 * listed errno; each works (or fails otherwise) unfiltered. */
static void test_network_refuses_attacks(void **state)
{
	static const enum action refused[] = {
		DO_SOCKET_INET, DO_SOCKET_INET6, DO_FORK, DO_CLONE3, DO_EXECVE, DO_MMAP_EXEC,
		DO_PTRACE, DO_VM_READV_PARENT, DO_KILL_PARENT, DO_OPEN_WRITE,
	};

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		int status = run_child(NONE, refused[i]);

		/* unfiltered: not the filter's errno, or the test proves nothing
		 * (reading the parent's memory is EPERM already under Yama's
		 * ptrace_scope 1, which allows descendants only) */
		if (refused[i] != DO_VM_READV_PARENT || yama_scope() < 1) {
			assert_true(WIFEXITED(status));
			assert_int_not_equal(WEXITSTATUS(status), 3);
		}
		assert_failed_with_errno(run_child(NETWORK, refused[i]));
	}
}

static void test_network_kills_the_unlisted(void **state)
{
	assert_killed_by_sigsys(run_child(NETWORK, DO_MOUNT));
	assert_killed_by_sigsys(run_child(NETWORK, DO_BPF));
	assert_killed_by_sigsys(run_child(NETWORK, DO_X32_GETPPID));
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
		cmocka_unit_test(test_entries_for_one_number),
		cmocka_unit_test(test_network_allows_its_work),
		cmocka_unit_test(test_network_refuses_attacks),
		cmocka_unit_test(test_network_kills_the_unlisted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

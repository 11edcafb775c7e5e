// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A compromised network process, for tests only: linked into
 * build/tests/ktlsd-attack (ktlsd's own objects plus this file), never into
 * ktlsd.  main() calls ktlsd_test_sandboxed() right after the privilege
 * drop and the sandbox, in the network process itself, so the attempts
 * below run with exactly its ids, capabilities, no_new_privs, Landlock
 * domain and (under systemd) the unit's system call filter; then ktlsd
 * serves on as usual.
 *
 * Each attempt logs one line "attack: WHAT: blocked (REASON)" or
 * "attack: WHAT: SUCCEEDED (...)"; tests/integration/t_service.sh and
 * t_systemd.sh read them.  What it tries:
 *   - open() and read() each file in $KTLSD_ATTACK_FILES (colon-separated:
 *     the key file, the PSK file);
 *   - the key process's memory: /proc/PID/mem (open + pread), ptrace
 *     attach, process_vm_readv.  The address read is one of our own static
 *     variables: the key process was forked from this process, so the same
 *     address is mapped there.
 *   - what code injected here would do next (the network process's
 *     system call filter, daemon/process/sandbox.c): start a process (fork: clone
 *     without CLONE_THREAD), run /bin/sh (execve: in the forked child if
 *     the fork worked, else here; had it worked here, the shell prints
 *     the SUCCEEDED line and ktlsd is gone), open an AF_INET socket and
 *     connect it to 127.0.0.1 ($KTLSD_ATTACK_PORT, default 9: a refused
 *     connection still reached the TCP stack, so it counts as SUCCEEDED).
 *     The filter refuses these with an errno, not SIGSYS, so each is
 *     reported and the probe runs on.
 * And two controls, which must work, or a "blocked" above proves nothing:
 * process_vm_readv of our own memory at the same address, and reading
 * /etc/passwd.  (Our own /proc/PID/mem is no control: Landlock keeps the
 * network process out of /proc altogether.)
 */
#include <errno.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config/config.h"
#include "keys/keyproc.h"
#include "process/log.h"

void ktlsd_test_sandboxed(const struct cfg *cfg);

static volatile char marker[64] = "ktlsd attack probe marker";

static void report(const char *what, int ok, int err)
{
	if (ok)
		log_warnx("attack: %s: SUCCEEDED", what);
	else
		log_info("attack: %s: blocked (%s)", what, strerror(err));
}

static void try_file(const char *path)
{
	char what[600], buf[64];
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = errno;
	ssize_t n = -1;

	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf));
		err = errno;
		close(fd);
	}
	snprintf(what, sizeof(what), "open+read %s", path);
	report(what, n > 0, err);
}

/* 1 if PID's /proc mem reads back bytes at marker's address. */
static int read_proc_mem(pid_t pid, int *err)
{
	char path[64], buf[16];
	ssize_t n = -1;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	*err = errno;
	if (fd >= 0) {
		n = pread(fd, buf, sizeof(buf), (off_t)(uintptr_t)marker);
		*err = errno;
		close(fd);
	}
	return n > 0;
}

static void try_ptrace(pid_t pid)
{
	int ok = ptrace(PTRACE_ATTACH, pid, NULL, NULL) == 0, err = errno;

	if (ok) {		/* let it go again, as it was */
		waitpid(pid, NULL, __WALL);
		ptrace(PTRACE_DETACH, pid, NULL, NULL);
	}
	report("ptrace(PTRACE_ATTACH) on the key process", ok, err);
}

static void try_vm_readv(pid_t pid)
{
	char buf[16];
	struct iovec local = { buf, sizeof(buf) };
	struct iovec remote = { (void *)(uintptr_t)marker, sizeof(buf) };
	ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);

	report("process_vm_readv of the key process", n > 0, errno);
}

static void report_exec(int ok, int err)
{
	report("execve /bin/sh", ok, err);
}

static char *const sh_argv[] = {
	"sh", "-c", "echo 'attack: execve /bin/sh: SUCCEEDED (a shell ran)' >&2", NULL
};

/* A fork; in the child, execve.  The child reports through its exit
 * status: 0 the shell ran, else the errno execve failed with. */
static void try_fork_exec(void)
{
	int status, err;
	pid_t pid = fork();

	if (pid == 0) {
		execve("/bin/sh", sh_argv, NULL);
		_exit(errno > 0 && errno < 126 ? errno : 125);
	}
	err = errno;
	report("fork (clone without CLONE_THREAD)", pid > 0, err);
	if (pid > 0) {
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
			report_exec(0, ECHILD);
		else
			report_exec(WEXITSTATUS(status) == 0, WEXITSTATUS(status));
		return;
	}
	/* no fork: here, then */
	execve("/bin/sh", sh_argv, NULL);
	report_exec(0, errno);
}

static void try_inet(void)
{
	const char *env = getenv("KTLSD_ATTACK_PORT");
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), err = errno, rc;
	char what[64];

	report("socket(AF_INET, SOCK_STREAM)", fd >= 0, err);
	sin.sin_port = htons(env ? (uint16_t)atoi(env) : 9);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	snprintf(what, sizeof(what), "TCP connect to 127.0.0.1");
	if (fd < 0) {
		report(what, 0, err);
		return;
	}
	rc = connect(fd, (struct sockaddr *)&sin, sizeof(sin));
	err = errno;
	close(fd);
	if (rc < 0 && err == ECONNREFUSED)
		log_warnx("attack: %s: SUCCEEDED (reached the TCP stack: %s)", what,
			  strerror(err));
	else
		report(what, rc == 0, err);
}

void ktlsd_test_sandboxed(const struct cfg *cfg)
{
	const char *files = getenv("KTLSD_ATTACK_FILES");
	pid_t kp = keyproc_pid();
	char *list, *save = NULL;
	int ok, err;

	(void)cfg;
	log_info("attack: probing as uid %u from pid %d, key process %d", (unsigned)geteuid(),
		 (int)getpid(), (int)kp);
	if (files && (list = strdup(files))) {
		for (char *p = strtok_r(list, ":", &save); p; p = strtok_r(NULL, ":", &save))
			try_file(p);
		free(list);
	}
	if (kp > 0) {
		ok = read_proc_mem(kp, &err);
		report("read /proc/KEYPROC/mem", ok, err);
		try_ptrace(kp);
		try_vm_readv(kp);
	}
	{
		char buf[16];
		struct iovec local = { buf, sizeof(buf) };
		struct iovec remote = { (void *)(uintptr_t)marker, sizeof(buf) };

		ok = process_vm_readv(getpid(), &local, 1, &remote, 1, 0) > 0;
		log_info("attack: control: process_vm_readv of itself: %s",
			 ok ? "works" : strerror(errno));
	}
	try_inet();
	try_fork_exec();
	try_file("/etc/passwd");	/* logged as SUCCEEDED: a control, not an attack */
	log_info("attack: done");
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The network process's sandbox: Landlock, a system call filter, and not
 * dumpable.
 *
 * Both processes of ktlsd run as the same uid (under systemd always), and
 * key files must be readable by that uid, so file permissions cannot keep
 * a compromised network process from open()ing them.  Landlock can: after
 * the credentials are loaded, the network process restricts itself to
 * reading below a few public system directories (libraries, which glibc's
 * name services dlopen; the system trust store, which GnuTLS reads on a
 * reload) and a few public files (passwd, group, nsswitch.conf,
 * ld.so.cache, localtime).  Nothing in /etc/ktlsd, nowhere a key is
 * likely to live, and no write, create or execute anywhere; on Landlock
 * ABI 4+ no TCP bind or connect either (the cipher probe ran before).
 *
 * A reload still reads the config file, certificates, CA and PSK files:
 * the key process opens them by id (keyproc.h) and passes descriptors,
 * which Landlock does not check (it checks opens, not reads).  Landlock
 * rules cannot grow later, so path rules for the files named at start
 * would break a reload that names new ones, or a renewed certificate
 * written as a new file (rules follow inodes); asking the key process
 * keeps reloads exactly as capable as before.
 *
 * Landlock is an allow-list per access right: whatever right the ruleset
 * "handles" is denied except beneath a rule.  We handle every filesystem
 * right the running kernel knows (the ABI version says which).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "process/log.h"
#include "process/sandbox.h"
#include "process/seccomp_filter.h"
#include "sessions/shared_store.h"

#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif
#ifndef LANDLOCK_ACCESS_NET_BIND_TCP
#define LANDLOCK_ACCESS_NET_BIND_TCP (1ULL << 0)
#define LANDLOCK_ACCESS_NET_CONNECT_TCP (1ULL << 1)
#endif

#define FS_ABI1 ((1ULL << 13) - 1)	/* EXECUTE .. MAKE_SYM */
#define FS_READ (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)

/* Landlock ABI 4's TCP port rule (kernel 6.7; older headers lack it). */
#define KTLSD_LANDLOCK_RULE_NET_PORT 2
struct ktlsd_landlock_net_port_attr {
	uint64_t allowed_access;
	uint64_t port;
};

/* Landlock's ruleset attribute as of ABI 4 (handled_access_net); older
 * kernels get the ABI 1 size. */
struct ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
};

static unsigned protections;
static int landlock_abi;
/* session_store = memcached: the network process connects out over TCP,
 * to these ports only (shared_store.c), so it may create TCP sockets. */
static uint16_t store_ports[SHARED_STORE_SERVERS_MAX];
static size_t n_store_ports;

/* Public trees: libraries (glibc's name services dlopen modules on a
 * reload's user lookup) and the usual system trust stores. */
static const char *const read_trees[] = {
	"/usr", "/lib", "/lib64", "/lib32", "/libx32",
	"/etc/ssl/certs", "/etc/pki/tls/certs", "/etc/pki/ca-trust", "/etc/ca-certificates",
};

/* Public single files glibc reads: user and group names, the library
 * cache, the time zone for log lines. */
static const char *const read_files[] = {
	"/etc/passwd", "/etc/group", "/etc/nsswitch.conf", "/etc/ld.so.cache",
	"/etc/localtime", "/etc/gnutls/config",
};

static uint64_t fs_rights(int abi)
{
	uint64_t rights = FS_ABI1;

	if (abi >= 2)
		rights |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		rights |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		rights |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return rights;
}

/* One rule; a path that does not exist here is skipped. */
static int allow_path(int ruleset, const char *path, uint64_t access)
{
	struct landlock_path_beneath_attr rule = { .allowed_access = access };
	struct stat st;
	int rc = 0;

	rule.parent_fd = open(path, O_PATH | O_CLOEXEC);
	if (rule.parent_fd < 0)
		return errno == ENOENT || errno == ENOTDIR || errno == EACCES ? 0 : -errno;
	if (fstat(rule.parent_fd, &st) == 0 && !S_ISDIR(st.st_mode))
		rule.allowed_access &= LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_EXECUTE |
				       LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_TRUNCATE |
				       LANDLOCK_ACCESS_FS_IOCTL_DEV;
	if (rule.allowed_access &&
	    syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0) < 0)
		rc = -errno;
	close(rule.parent_fd);
	return rc;
}

/* A profile's key or PSK file below a tree we keep readable would defeat
 * the point: say so, loudly (the admin moves it). */
static void warn_exposed(const char *kind, const char *path)
{
	char *real = path ? realpath(path, NULL) : NULL;

	if (!real)
		return;
	for (size_t i = 0; i < sizeof(read_trees) / sizeof(read_trees[0]); i++) {
		size_t len = strlen(read_trees[i]);

		if (strncmp(real, read_trees[i], len) == 0 && real[len] == '/')
			log_warnx("%s %s lies below %s, which the network process may read: move "
				  "it (e.g. to /etc/ktlsd)", kind, path, read_trees[i]);
	}
	free(real);
}

static int build_ruleset(int abi, const char *socket_dir)
{
	struct ruleset_attr attr = { .handled_access_fs = fs_rights(abi) };
	size_t attr_size = sizeof(attr.handled_access_fs);
	int ruleset, rc = 0;

	if (abi >= 4) {
		attr.handled_access_net = LANDLOCK_ACCESS_NET_BIND_TCP |
					  LANDLOCK_ACCESS_NET_CONNECT_TCP;
		attr_size = sizeof(attr);
	}
	ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, attr_size, 0);
	if (ruleset < 0)
		return -errno;
	for (size_t i = 0; rc == 0 && i < sizeof(read_trees) / sizeof(read_trees[0]); i++)
		rc = allow_path(ruleset, read_trees[i], FS_READ);
	for (size_t i = 0; rc == 0 && i < sizeof(read_files) / sizeof(read_files[0]); i++)
		rc = allow_path(ruleset, read_files[i], LANDLOCK_ACCESS_FS_READ_FILE);
	/* Shutdown unlinks the application socket ktlsd bound itself. */
	if (rc == 0 && socket_dir)
		rc = allow_path(ruleset, socket_dir, LANDLOCK_ACCESS_FS_REMOVE_FILE);
	for (size_t i = 0; rc == 0 && abi >= 4 && i < n_store_ports; i++) {
		struct ktlsd_landlock_net_port_attr port = {
			.allowed_access = LANDLOCK_ACCESS_NET_CONNECT_TCP,
			.port = store_ports[i],
		};

		if (syscall(SYS_landlock_add_rule, ruleset, KTLSD_LANDLOCK_RULE_NET_PORT, &port,
			    0) < 0)
			rc = -errno;
	}
	if (rc < 0) {
		close(ruleset);
		return rc;
	}
	return ruleset;
}

/*
 * The network process's system calls, found by running ktlsd under
 * `strace -f` through the VM suites t_daemon and t_upcall (both doors,
 * kTLS, keyrings, shutdown) and keeping what the process and its threads
 * make after this point, then argued line by line; reloads, status,
 * syslog and systemd were then run under the filter (t_service,
 * t_systemd, t_trust and the rest).  Checked after
 * the architecture (seccomp_filter.c).  What it leaves out is what code
 * injected here would want next: run a program (execve), start a process
 * (clone without CLONE_THREAD), make executable memory, touch another
 * process (ptrace, process_vm_*, kill), or open a socket to anywhere
 * (only AF_UNIX, for syslog and sd_notify, and AF_NETLINK, for the
 * handshake door, are created; TCP sockets arrive from the kernel and
 * from applications already connected; with session_store = memcached,
 * TCP sockets too, which Landlock ABI 4+ lets connect to the store's
 * ports only).  mount, bpf, perf_event_open,
 * module loading, kexec and the rest are simply not listed.
 *
 * Unlisted calls kill the process (SIGSYS, like the key process): they
 * mean code ran that ktlsd does not contain.  The calls named below with
 * an errno fail instead, because a library may try them on a path ktlsd
 * survives without: glibc's pthread_create tries clone3, whose flags a
 * filter cannot read, and falls back to clone on ENOSYS; a dlopen (an NSS
 * module at a reload's first name lookup) fails instead of killing; a
 * socket of another family is what glibc's syslog would never open; an
 * open for writing fails with EACCES, as Landlock would fail it.  The
 * few refusals an attacker probes first (execve, a fork, ptrace,
 * process_vm_readv, another process's signals) fail with EPERM, so that
 * tests/integration/attack can report each one; killing on them would
 * stop nothing more, as they never run either way.
 */
#define ANY_BITS 0xffffffffu

static int network_syscalls(struct seccomp_allow *out, size_t max, pid_t self)
{
	const struct seccomp_allow list[] = {
		/* memory: malloc, thread stacks; never executable */
		SECCOMP_ALLOW(brk),
		SECCOMP_ALLOW_ARG(mmap, 2, PROT_EXEC, 0),
		SECCOMP_FAIL(mmap, EPERM),
		SECCOMP_ALLOW_ARG(mprotect, 2, PROT_EXEC, 0),
		SECCOMP_FAIL(mprotect, EPERM),
		SECCOMP_ALLOW(munmap),
		SECCOMP_ALLOW(mremap),
		SECCOMP_ALLOW(madvise),
		/* threads (workers): clone only with CLONE_THREAD */
		SECCOMP_ALLOW_ARG(clone, 0, CLONE_THREAD, CLONE_THREAD),
		SECCOMP_FAIL(clone, EPERM),
		SECCOMP_FAIL(clone3, ENOSYS),
		SECCOMP_ALLOW(futex),
		SECCOMP_ALLOW(set_robust_list),
		SECCOMP_ALLOW(rseq),
		SECCOMP_ALLOW(sched_yield),
		SECCOMP_ALLOW(sched_getaffinity),	/* worker count: one per CPU */
		SECCOMP_ALLOW(gettid),
		SECCOMP_ALLOW(getpid),
		SECCOMP_ALLOW(getppid),
		SECCOMP_ALLOW_ARG(prctl, 0, ANY_BITS, PR_SET_NAME),	/* thread names */
		SECCOMP_ALLOW_ARG(prctl, 0, ANY_BITS, PR_GET_NAME),
		SECCOMP_ALLOW_ARG(prctl, 0, ANY_BITS, PR_GET_DUMPABLE),	/* a query */
		SECCOMP_FAIL(prctl, EPERM),
		SECCOMP_ALLOW(exit),
		SECCOMP_ALLOW(exit_group),
		/* signals: the signalfd, masks, raise/abort to ourselves */
		SECCOMP_ALLOW(rt_sigaction),
		SECCOMP_ALLOW(rt_sigprocmask),
		SECCOMP_ALLOW(rt_sigreturn),
		SECCOMP_ALLOW(sigaltstack),
		SECCOMP_ALLOW_ARG(tgkill, 0, ANY_BITS, (uint32_t)self),
		SECCOMP_FAIL(tgkill, EPERM),
		SECCOMP_FAIL(kill, EPERM),
		SECCOMP_ALLOW(signalfd4),
		SECCOMP_ALLOW(wait4),		/* reaping the key process */
		SECCOMP_ALLOW(waitid),
		/* event loops and timing */
		SECCOMP_ALLOW(epoll_create1),
		SECCOMP_ALLOW(epoll_ctl),
#ifdef __NR_epoll_wait
		SECCOMP_ALLOW(epoll_wait),	/* not on aarch64 */
#endif
		SECCOMP_ALLOW(epoll_pwait),
#ifdef __NR_epoll_pwait2
		SECCOMP_ALLOW(epoll_pwait2),
#endif
		SECCOMP_ALLOW(eventfd2),
#ifdef __NR_poll
		SECCOMP_ALLOW(poll),
#endif
		SECCOMP_ALLOW(ppoll),
		SECCOMP_ALLOW(clock_gettime),	/* vDSO fallbacks */
		SECCOMP_ALLOW(clock_getres),
		SECCOMP_ALLOW(gettimeofday),
#ifdef __NR_time
		SECCOMP_ALLOW(time),
#endif
		SECCOMP_ALLOW(nanosleep),
		SECCOMP_ALLOW(clock_nanosleep),
		SECCOMP_ALLOW(getrandom),
		/* descriptors; files open read-only (Landlock says which) */
		SECCOMP_ALLOW(read),
		SECCOMP_ALLOW(pread64),
		SECCOMP_ALLOW(readv),
		SECCOMP_ALLOW(write),
		SECCOMP_ALLOW(writev),
		SECCOMP_ALLOW(close),
		SECCOMP_ALLOW(close_range),
		SECCOMP_ALLOW(dup),
		SECCOMP_ALLOW(dup3),
#ifdef __NR_dup2
		SECCOMP_ALLOW(dup2),
#endif
		SECCOMP_ALLOW(fcntl),
		SECCOMP_ALLOW(lseek),
		SECCOMP_ALLOW_ARG(openat, 2, O_ACCMODE | O_CREAT | O_TRUNC, O_RDONLY),
		SECCOMP_FAIL(openat, EACCES),	/* to write: what Landlock says too */
#ifdef __NR_open
		SECCOMP_ALLOW_ARG(open, 1, O_ACCMODE | O_CREAT | O_TRUNC, O_RDONLY),
		SECCOMP_FAIL(open, EACCES),
#endif
		SECCOMP_ALLOW(fstat),
#ifdef __NR_newfstatat
		SECCOMP_ALLOW(newfstatat),
#endif
#ifdef __NR_stat
		SECCOMP_ALLOW(stat),
		SECCOMP_ALLOW(lstat),
#endif
		SECCOMP_ALLOW(statx),
		SECCOMP_ALLOW(getdents64),	/* a trust directory on reload */
		SECCOMP_FAIL(ioctl, ENOTTY),	/* isatty() and the like */
		/* removing the application socket at shutdown */
		SECCOMP_ALLOW(unlinkat),
#ifdef __NR_unlink
		SECCOMP_ALLOW(unlink),
#endif
		SECCOMP_ALLOW(prlimit64),	/* fd budget on reload */
		/* ids (ACLs, logging) */
		SECCOMP_ALLOW(getuid),
		SECCOMP_ALLOW(geteuid),
		SECCOMP_ALLOW(getgid),
		SECCOMP_ALLOW(getegid),
		SECCOMP_ALLOW(getresuid),
		SECCOMP_ALLOW(getresgid),
		SECCOMP_ALLOW(getgroups),
		SECCOMP_ALLOW(capget),
		/* sockets: the doors, handshakes, kTLS setsockopts */
		SECCOMP_ALLOW_ARG(socket, 0, ANY_BITS, AF_UNIX),	/* syslog, sd_notify */
		SECCOMP_ALLOW_ARG(socket, 0, ANY_BITS, AF_NETLINK),	/* handshake door */
		SECCOMP_FAIL(socket, EACCES),
		SECCOMP_ALLOW(connect),		/* only AF_UNIX or netlink sockets exist */
		SECCOMP_ALLOW(bind),		/* netlink; Landlock: no socket files */
		SECCOMP_ALLOW(accept4),
		SECCOMP_ALLOW(recvfrom),
		SECCOMP_ALLOW(recvmsg),
		SECCOMP_ALLOW(sendto),
		SECCOMP_ALLOW(sendmsg),
		SECCOMP_ALLOW(getsockopt),
		SECCOMP_ALLOW(setsockopt),
		SECCOMP_ALLOW(getsockname),
		SECCOMP_ALLOW(getpeername),
		SECCOMP_ALLOW(shutdown),
		/* the handshake door's keyrings (keyring.c) */
		SECCOMP_ALLOW(add_key),
		SECCOMP_ALLOW(keyctl),
		SECCOMP_ALLOW(request_key),
		/* what an attacker tries first: refused, see above */
		SECCOMP_FAIL(execve, EPERM),
		SECCOMP_FAIL(execveat, EPERM),
		SECCOMP_FAIL(ptrace, EPERM),
		/* Its own memory only: nothing it could not read anyway, and it
		 * keeps the attack test's control meaningful. */
		SECCOMP_ALLOW_ARG(process_vm_readv, 0, ANY_BITS, (uint32_t)self),
		SECCOMP_FAIL(process_vm_readv, EPERM),
		SECCOMP_FAIL(process_vm_writev, EPERM),
	};
	/* With a session store, TCP sockets for memcached: before the
	 * catch-all socket refusal (the first matching entry decides). */
	const struct seccomp_allow store[] = {
		SECCOMP_ALLOW_ARG(socket, 0, ANY_BITS, AF_INET),
		SECCOMP_ALLOW_ARG(socket, 0, ANY_BITS, AF_INET6),
	};
	size_t n = sizeof(list) / sizeof(list[0]), extra = n_store_ports ? 2 : 0, at = 0;

	if (n + extra > max)
		return -E2BIG;
	while (at < n && !(list[at].nr == __NR_socket && list[at].fail_errno))
		at++;
	memcpy(out, list, at * sizeof(list[0]));
	memcpy(out + at, store, extra * sizeof(store[0]));
	memcpy(out + at + extra, list + at, (n - at) * sizeof(list[0]));
	return (int)(n + extra);
}

int sandbox_network_seccomp(void)
{
	struct seccomp_allow list[SECCOMP_ALLOW_MAX];
	int n = network_syscalls(list, SECCOMP_ALLOW_MAX, getpid());

	if (n < 0)
		return n;
	return seccomp_filter_install(list, (size_t)n);
}

static int apply_landlock(const struct cfg *cfg, const char *socket_dir)
{
	int abi = (int)syscall(SYS_landlock_create_ruleset, NULL, 0,
			       LANDLOCK_CREATE_RULESET_VERSION);
	int ruleset, rc = 0;

	if (abi < 0) {
		log_warnx("no Landlock in this kernel (%s%s): the network process can still open "
			  "key and PSK files readable by its user; enable it (lsm=...,landlock) "
			  "to close that", strerror(errno),
			  errno == EOPNOTSUPP ? ": built but not enabled" : "");
		return 0;
	}
	for (size_t i = 0; i < cfg->n_profiles; i++) {
		warn_exposed("key file", cfg->profiles[i].key_file);
		warn_exposed("psk file", cfg->profiles[i].psk_file);
	}
	ruleset = build_ruleset(abi, socket_dir);
	if (ruleset < 0)
		return ruleset;
	if (syscall(SYS_landlock_restrict_self, ruleset, 0) < 0)
		rc = -errno;
	close(ruleset);
	if (rc < 0)
		return rc;
	landlock_abi = abi;
	protections |= SANDBOX_LANDLOCK_FS | (abi >= 4 ? SANDBOX_LANDLOCK_NET : 0);
	return 0;
}

/* After Landlock (its set-up calls are not on the list).  The filter is
 * for good: it binds the workers, which are started after, and ktlsd
 * never execs.  KTLSD_NO_NETWORK_SECCOMP=1 leaves it out, for diagnosing
 * a call the list misses; loudly, and `ktls status` shows it. */
static int apply_seccomp(void)
{
	int rc;

	if (seccomp_filter_switched_off("KTLSD_NO_NETWORK_SECCOMP")) {
		log_warnx("KTLSD_NO_NETWORK_SECCOMP=1: the network process runs WITHOUT its "
			  "system call filter; code injected here could run programs and "
			  "open sockets");
		return 0;
	}
	rc = sandbox_network_seccomp();
	if (rc == -ENOSYS) {
		log_warnx("no system call filter for the network process on this architecture");
		return 0;
	}
	if (rc < 0) {
		log_error("cannot install the network process's system call filter: %s",
			  strerror(-rc));
		return rc;
	}
	protections |= SANDBOX_NETWORK_SECCOMP;
	log_info("network process under its system call filter (seccomp)");
	return 0;
}

/* The store's ports, from the configuration (syntax checked at load). */
static void note_store_ports(const struct cfg *cfg)
{
	struct shared_store_server list[SHARED_STORE_SERVERS_MAX];
	char reason[128];
	size_t n = 0;

	n_store_ports = 0;
	if (cfg->session_store != CFG_STORE_MEMCACHED ||
	    shared_store_parse_servers(cfg->session_store_servers, list,
				       SHARED_STORE_SERVERS_MAX, &n, reason, sizeof(reason)) < 0)
		return;
	for (size_t i = 0; i < n; i++)
		store_ports[n_store_ports++] = list[i].port;
	log_info("session store: the network process may open TCP connections (to port %u%s "
		 "where Landlock can say so)", store_ports[0], n > 1 ? " and the others listed" : "");
}

int sandbox_network_process(const struct cfg *cfg, bool key_process, const char *socket_dir)
{
	int rc;

	note_store_ports(cfg);

	/* Not dumpable: no other process of our uid reads the PSKs and
	 * session keys we hold (ptrace, /proc/PID/mem), and no core file. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		log_warn("cannot make the network process non-dumpable");
	if (!key_process) {
		/* KTLSD_KEYPROC=0: keys are here anyway, and a reload reads its
		 * files here, which the sandbox would forbid. */
		log_warnx("no key process: private keys live in the network process, which "
			  "is not sandboxed either");
		return 0;
	}
	protections |= SANDBOX_KEYPROC | SANDBOX_KEYPROC_NODUMP;	/* or it would not serve */
	/* the key process leaves its filter out on the same switch (keyproc.c) */
	if (seccomp_filter_supported() && !seccomp_filter_switched_off("KTLSD_NO_KEYPROC_SECCOMP"))
		protections |= SANDBOX_KEYPROC_SECCOMP;
	rc = apply_landlock(cfg, socket_dir);
	if (rc < 0) {
		log_error("cannot restrict the network process's file access (Landlock): %s",
			  strerror(-rc));
		return rc;
	}
	if (landlock_abi)
		log_info("network process sandboxed (Landlock ABI %d): it cannot open key or "
			 "PSK files", landlock_abi);
	return apply_seccomp();
}

unsigned sandbox_protections(void)
{
	return protections;
}

int sandbox_landlock_abi(void)
{
	return landlock_abi;
}

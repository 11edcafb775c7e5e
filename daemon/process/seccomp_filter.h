/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A seccomp allow-list in raw classic BPF (no libseccomp: one more library
 * in the process that holds private keys is what this is meant to avoid).
 *
 * The filter kills the whole process (SECCOMP_RET_KILL_PROCESS, SIGSYS) on
 * any system call not listed, on a foreign architecture, and on x86_64 on
 * an x32 system call.  An entry may also require one argument's low 32
 * bits, masked, to equal a value (e.g. openat without O_CREAT); the first
 * entry whose number and argument match decides, so one number may have
 * several entries (a last one without argument check catches the rest).
 */
#ifndef KTLSD_SECCOMP_FILTER_H
#define KTLSD_SECCOMP_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>

struct seccomp_allow {
	int nr;			/* __NR_*; the first matching entry decides */
	int arg;		/* -1: any arguments; 0..5: (args[arg] & mask) == value */
	uint32_t mask, value;
	uint16_t fail_errno;	/* 0: allow; else the call fails with this errno */
};

#define SECCOMP_ALLOW_MAX 160

#define SECCOMP_ALLOW(name) { .nr = __NR_##name, .arg = -1 }
#define SECCOMP_ALLOW_ARG(name, i, m, v) { .nr = __NR_##name, .arg = (i), .mask = (m), .value = (v) }
/* Neither allowed nor fatal: for calls a library makes on a path we can
 * live without (glibc's syslog reconnecting), failing is the safe answer. */
#define SECCOMP_FAIL(name, err) { .nr = __NR_##name, .arg = -1, .fail_errno = (err) }
#define SECCOMP_FAIL_ARG(name, i, m, v, err) \
	{ .nr = __NR_##name, .arg = (i), .mask = (m), .value = (v), .fail_errno = (err) }

/* Sets no_new_privs and installs the filter for this thread and its future
 * children (call single-threaded).  For good: a filter cannot be removed.
 * 0, or -errno (-E2BIG: over SECCOMP_ALLOW_MAX entries, -EINVAL: a bad
 * entry, -ENOSYS: an architecture it does not know, x86_64 and aarch64). */
int seccomp_filter_install(const struct seccomp_allow *allow, size_t n);

/* Does this build know the architecture (else install returns -ENOSYS)? */
bool seccomp_filter_supported(void);

/* Is the environment variable env_name exactly "1"?  The switches that
 * leave a filter out (KTLSD_NO_NETWORK_SECCOMP, KTLSD_NO_KEYPROC_SECCOMP)
 * read it through here, so that they all mean the same thing. */
bool seccomp_filter_switched_off(const char *env_name);

#endif

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Builds and installs a seccomp allow-list (seccomp_filter.h).
 *
 * The program: check the architecture (the numbers below mean nothing on
 * another one, and an x86_64 process can still make i386 system calls
 * with int 0x80), refuse x32 numbers on x86_64 (bit 30: they match no
 * entry anyway, but refusing them first keeps an entry from ever naming
 * one, as the kernel's own seccomp samples do), then one block per entry:
 *
 *	jeq nr, next			(no argument check)
 *	ret ALLOW
 * or
 *	jeq nr, next
 *	ld  args[i] (low word)		(little-endian: the first 32 bits)
 *	and mask
 *	jeq value, 0, +1
 *	ret ALLOW
 *	ld  nr				(no match: on to the next entry)
 *
 * and a final ret KILL.  The first entry that matches decides, so a number
 * may have several entries: socket(AF_UNIX), socket(AF_NETLINK), then
 * socket(anything else) failing with EACCES.
 */
#include <errno.h>
#include <stdbool.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "process/seccomp_filter.h"

#if defined(__x86_64__)
#define SF_ARCH AUDIT_ARCH_X86_64
#define SF_X32_BIT 0x40000000u
#elif defined(__aarch64__)
#define SF_ARCH AUDIT_ARCH_AARCH64
#endif

#ifndef SECCOMP_RET_KILL_PROCESS
#define SECCOMP_RET_KILL_PROCESS 0x80000000u	/* Linux 4.14 */
#endif

#define SF_KILL SECCOMP_RET_KILL_PROCESS
#define SF_INSNS(n) (7 + 6 * (n))	/* prologue, entries, final ret */

#define STMT(code, k) ((struct sock_filter)BPF_STMT((code), (k)))
#define JUMP(code, k, jt, jf) ((struct sock_filter)BPF_JUMP((code), (k), (jt), (jf)))

#ifdef SF_ARCH
static size_t emit_prologue(struct sock_filter *p)
{
	size_t i = 0;

	p[i++] = STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
	p[i++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, SF_ARCH, 1, 0);
	p[i++] = STMT(BPF_RET | BPF_K, SF_KILL);
	p[i++] = STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
#ifdef SF_X32_BIT
	p[i++] = JUMP(BPF_JMP | BPF_JGE | BPF_K, SF_X32_BIT, 0, 1);
	p[i++] = STMT(BPF_RET | BPF_K, SF_KILL);
#endif
	return i;
}

static size_t emit_entry(struct sock_filter *p, const struct seccomp_allow *a)
{
	uint32_t match = a->fail_errno ? SECCOMP_RET_ERRNO | a->fail_errno : SECCOMP_RET_ALLOW;
	size_t i = 0;

	if (a->arg < 0) {
		p[i++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)a->nr, 0, 1);
		p[i++] = STMT(BPF_RET | BPF_K, match);
		return i;
	}
	/* An argument that does not match falls through to the next entry
	 * with A the number again; with no later entry for this number, that
	 * ends in the final KILL. */
	p[i++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)a->nr, 0, 5);
	p[i++] = STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[a->arg]));
	p[i++] = STMT(BPF_ALU | BPF_AND | BPF_K, a->mask);
	p[i++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, a->value, 0, 1);
	p[i++] = STMT(BPF_RET | BPF_K, match);
	p[i++] = STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
	return i;
}


int seccomp_filter_install(const struct seccomp_allow *allow, size_t n)
{
	/* On the stack: nothing to free once the filter may forbid it. */
	struct sock_filter insns[SF_INSNS(SECCOMP_ALLOW_MAX)];
	struct sock_fprog prog;
	size_t len;

	if (n > SECCOMP_ALLOW_MAX)
		return -E2BIG;
	for (size_t i = 0; i < n; i++)
		if (allow[i].nr < 0 || allow[i].arg < -1 || allow[i].arg > 5)
			return -EINVAL;
	len = emit_prologue(insns);
	for (size_t i = 0; i < n; i++)
		len += emit_entry(insns + len, &allow[i]);
	insns[len++] = STMT(BPF_RET | BPF_K, SF_KILL);
	prog.len = (unsigned short)len;
	prog.filter = insns;
	/* Without no_new_privs an unprivileged process may not install one. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0)
		return -errno;
	return 0;
}
#else
int seccomp_filter_install(const struct seccomp_allow *allow, size_t n)
{
	return -ENOSYS;		/* add this architecture's AUDIT_ARCH_* above */
}
#endif

bool seccomp_filter_supported(void)
{
#ifdef SF_ARCH
	return true;
#else
	return false;
#endif
}

bool seccomp_filter_switched_off(const char *env_name)
{
	const char *v = getenv(env_name);

	return v && strcmp(v, "1") == 0;
}

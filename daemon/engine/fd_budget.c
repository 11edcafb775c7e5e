// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The file descriptor budget.
 *
 * Every handshake in flight holds up to two descriptors (the application's
 * socket and its request connection; a kernel request holds one, the socket
 * the kernel installed), every request connection waiting to be read holds
 * one, and the daemon itself needs some (listener, signalfd, epoll sets,
 * netlink sockets, the key process's sockets (one per signer), syslog, each
 * worker's epoll set, eventfd and DONE socket, files read at reload).  When they run out,
 * accept() fails with EMFILE and, worse, the kernel's ACCEPT cannot install
 * the socket of a kernel request, which then fails.  So the limits are
 * derived from RLIMIT_NOFILE at start: max_handshakes is clamped (loudly)
 * to what fits, instead of finding out under load.
 *
 * The soft limit is raised to the hard limit first (allowed without
 * privilege; glibc's setrlimit() is the prlimit64 system call, which the
 * shipped unit's SystemCallFilter= allows, unlike setrlimit).  The unit
 * sets LimitNOFILE= to a value that fits the default max_handshakes.
 */
#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "engine/fd_budget.h"
#include "process/log.h"

#define FD_BASE 64		/* the daemon's own, see above, with room to spare */
#define FD_PER_WORKER 4		/* epoll set, eventfd, DONE netlink socket, and
				 * its signer's socket (signers = auto) */
#define FD_PER_HANDSHAKE 2
#define WAITING_MIN 4
#define WAITING_SHARE 8		/* waiting connections get 1/8 of what is left */

static struct fd_budget current = {
	.nofile = (unsigned long)-1, .max_handshakes = (unsigned)-1,
	.max_waiting = FD_BUDGET_WAITING_MAX,
};

void fd_budget_compute(unsigned long nofile, unsigned workers, struct fd_budget *out)
{
	unsigned long base = FD_BASE + (unsigned long)workers * FD_PER_WORKER;
	unsigned long left = nofile > base ? nofile - base : 0;
	unsigned long waiting = left / WAITING_SHARE, handshakes;

	if (waiting < WAITING_MIN)
		waiting = WAITING_MIN;
	if (waiting > FD_BUDGET_WAITING_MAX)
		waiting = FD_BUDGET_WAITING_MAX;
	handshakes = left > waiting ? (left - waiting) / FD_PER_HANDSHAKE : 0;
	out->nofile = nofile;
	out->max_waiting = (unsigned)waiting;
	out->max_handshakes = handshakes > (unsigned)-2 ? (unsigned)-2 : (unsigned)handshakes;
}

/* 0 or -errno; *nofile is the soft limit in force either way. */
static int raise_soft_limit(unsigned long *nofile)
{
	struct rlimit rl;
	int rc = 0;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -errno;
	if (rl.rlim_cur < rl.rlim_max) {
		rlim_t soft = rl.rlim_cur;

		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
			rc = -errno;
			rl.rlim_cur = soft;
		}
	}
	*nofile = rl.rlim_cur == RLIM_INFINITY ? (unsigned long)-1 : (unsigned long)rl.rlim_cur;
	return rc;
}

static unsigned worker_count(const struct cfg *cfg)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	if (cfg->workers)
		return cfg->workers;
	return cpus > 0 ? (unsigned)cpus : 1;
}

void fd_budget_apply(const struct cfg *cfg)
{
	unsigned long nofile = 0;
	int rc = raise_soft_limit(&nofile);

	if (rc < 0)
		log_info("cannot raise the soft file descriptor limit (%s); working with %lu",
			 strerror(-rc), nofile);
	fd_budget_compute(nofile, worker_count(cfg), &current);
	if (current.max_handshakes == 0) {
		log_warnx("the file descriptor limit (%lu) leaves no room for handshakes; "
			  "allowing one at a time (raise LimitNOFILE= or ulimit -n)", nofile);
		current.max_handshakes = 1;
	}
	if (cfg->max_handshakes > current.max_handshakes)
		log_warnx("max_handshakes %u needs about %lu file descriptors, the limit is %lu: "
			  "using max_handshakes %u (raise LimitNOFILE= or ulimit -n)",
			  cfg->max_handshakes,
			  (unsigned long)cfg->max_handshakes * FD_PER_HANDSHAKE +
			  (nofile - (unsigned long)current.max_handshakes * FD_PER_HANDSHAKE),
			  nofile, current.max_handshakes);
}

const struct fd_budget *fd_budget_current(void)
{
	return &current;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Admission: the limits that keep one local user from denying ktlsd to
 * the others and to the kernel.
 *
 * - max_handshakes bounds the handshakes in flight; the fd budget
 *   (fd_budget.c) may lower it.  Of those, kernel_reserve are kept for
 *   kernel requests (NFS, NVMe/TCP): applications together get at most
 *   max_handshakes - kernel_reserve, so no number of application requests
 *   can make a kernel request fail for lack of a slot or a descriptor.
 * - max_handshakes_per_uid bounds one uid's handshakes in flight (stalled
 *   peers cost ktlsd two descriptors each until the deadline), and
 *   max_waiting_per_uid its connections that have not sent a request yet.
 *   "auto" gives one uid a quarter of what applications may use, so it
 *   takes at least four users to fill the daemon.
 * Refusals are EAGAIN with a reason that names the limit; they are counted
 * (ktls status: refused_busy), not logged one by one: a flood of refusals
 * must not become a flood of log lines.
 *
 * Counts per uid live in a small hash table under one mutex: the main
 * thread takes, workers release; each is a few instructions next to a
 * handshake.  Entries go away when both counts are back to zero.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/reason.h"
#include "engine/admission.h"
#include "engine/config_ref.h"
#include "engine/fd_budget.h"
#include "engine/stats.h"

#define BUCKETS 256
#define PER_UID_SHARE 4		/* auto: a uid may use 1/4 of the applications' share */
#define PER_UID_WAITING_MIN 4	/* auto: ...but may always have this many waiting */
#define KERNEL_SHARE 8		/* auto: 1/8 of max_handshakes is kept for the kernel */

struct uid_count {
	uid_t uid;
	unsigned in_flight, waiting;
	struct uid_count *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct uid_count *table[BUCKETS];
static unsigned kernel_in_flight, app_in_flight;

static unsigned min_u(unsigned a, unsigned b)
{
	return a < b ? a : b;
}

void admission_limits(const struct cfg *cfg, struct admission_limits *out)
{
	const struct fd_budget *budget = fd_budget_current();
	unsigned total = min_u(cfg->max_handshakes, budget->max_handshakes), apps;

	if (total == 0)
		total = 1;
	out->max_handshakes = total;
	if (cfg->kernel_reserve == CFG_LIMIT_AUTO)
		out->kernel_reserve = total >= 2 ? (total + KERNEL_SHARE - 1) / KERNEL_SHARE : 0;
	else
		out->kernel_reserve = min_u(cfg->kernel_reserve, total - 1);
	apps = total - out->kernel_reserve;
	if (cfg->max_handshakes_per_uid == CFG_LIMIT_AUTO)
		out->per_uid = apps / PER_UID_SHARE ? apps / PER_UID_SHARE : 1;
	else
		out->per_uid = min_u(cfg->max_handshakes_per_uid, apps);
	out->waiting = budget->max_waiting;
	if (cfg->max_waiting_per_uid == CFG_LIMIT_AUTO)
		out->waiting_per_uid = admission_auto_waiting_per_uid(out->waiting);
	else
		out->waiting_per_uid = min_u(cfg->max_waiting_per_uid, out->waiting);
}

/* A quarter of the waiting list, but never fewer than PER_UID_WAITING_MIN
 * (or the whole list when it is shorter).  A caller's request follows its
 * connect() within microseconds, yet the main thread may accept first: a
 * uid starting a few handshakes at once (a client and a server, say) must
 * not be refused at accept because of that race when the list is short
 * (a low fd limit); the floor is what it takes. */
unsigned admission_auto_waiting_per_uid(unsigned waiting)
{
	unsigned share = waiting / PER_UID_SHARE;

	if (share < PER_UID_WAITING_MIN)
		share = min_u(PER_UID_WAITING_MIN, waiting);
	return share ? share : 1;
}

/* Under lock.  create: add a zero entry if there is none (NULL: no memory). */
static struct uid_count *lookup(uid_t uid, int create)
{
	struct uid_count **pp = &table[uid % BUCKETS], *e;

	for (e = *pp; e; e = e->next)
		if (e->uid == uid)
			return e;
	if (!create || !(e = calloc(1, sizeof(*e))))
		return NULL;
	e->uid = uid;
	e->next = *pp;
	*pp = e;
	return e;
}

/* Under lock: drop uid's entry once nothing is counted on it. */
static void forget_if_idle(uid_t uid)
{
	for (struct uid_count **pp = &table[uid % BUCKETS]; *pp; pp = &(*pp)->next) {
		struct uid_count *e = *pp;

		if (e->uid != uid)
			continue;
		if (e->in_flight == 0 && e->waiting == 0) {
			*pp = e->next;
			free(e);
		}
		return;
	}
}

static int refuse(char *reason, size_t reason_len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int refuse(char *reason, size_t reason_len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reason_vset(reason, reason_len, fmt, ap);
	va_end(ap);
	atomic_fetch_add(&ktlsd_stats.refused_busy, 1);
	return -EAGAIN;
}

static int take_kernel(const struct admission_limits *lim, char *reason, size_t reason_len)
{
	if (kernel_in_flight + app_in_flight >= lim->max_handshakes)
		return refuse(reason, reason_len, "ktlsd is busy: %u of %u handshakes in flight",
			      kernel_in_flight + app_in_flight, lim->max_handshakes);
	kernel_in_flight++;
	return 0;
}

static int take_app(const struct admission_limits *lim, uid_t uid, char *reason, size_t reason_len)
{
	unsigned apps = lim->max_handshakes - lim->kernel_reserve;
	struct uid_count *e;

	/* The kernel's reserve is what applications cannot use, whatever the
	 * kernel is using right now. */
	if (app_in_flight >= apps || kernel_in_flight + app_in_flight >= lim->max_handshakes)
		return refuse(reason, reason_len,
			      "ktlsd is busy: %u handshakes in flight, applications "
			      "may use %u (%u kept for kernel requests)",
			      kernel_in_flight + app_in_flight, apps, lim->kernel_reserve);
	e = lookup(uid, 1);
	if (!e) {
		snprintf(reason, reason_len, "out of memory");
		return -ENOMEM;
	}
	if (e->in_flight >= lim->per_uid) {
		forget_if_idle(uid);
		return refuse(reason, reason_len,
			      "uid %u has %u handshakes in flight, the most one uid "
			      "may have (max_handshakes_per_uid %u)", (unsigned)uid, e->in_flight,
			      lim->per_uid);
	}
	e->in_flight++;
	app_in_flight++;
	return 0;
}

int admission_take(const struct cfg *cfg, const uid_t *uid, char *reason, size_t reason_len)
{
	struct admission_limits lim;
	int rc;

	admission_limits(cfg, &lim);
	pthread_mutex_lock(&lock);
	rc = uid ? take_app(&lim, *uid, reason, reason_len) : take_kernel(&lim, reason, reason_len);
	if (rc == 0)
		atomic_fetch_add(&ktlsd_stats.in_flight, 1);
	pthread_mutex_unlock(&lock);
	return rc;
}

void admission_release(const uid_t *uid)
{
	struct uid_count *e;

	pthread_mutex_lock(&lock);
	if (!uid) {
		kernel_in_flight--;
	} else if ((e = lookup(*uid, 0)) != NULL && e->in_flight) {
		e->in_flight--;
		app_in_flight--;
		forget_if_idle(*uid);
	}
	atomic_fetch_sub(&ktlsd_stats.in_flight, 1);
	pthread_mutex_unlock(&lock);
}

int admission_waiting_take(const struct cfg *cfg, uid_t uid, char *reason, size_t reason_len)
{
	struct admission_limits lim;
	struct uid_count *e;
	int rc = 0;

	admission_limits(cfg, &lim);
	pthread_mutex_lock(&lock);
	e = lookup(uid, 1);
	if (!e) {
		snprintf(reason, reason_len, "out of memory");
		rc = -ENOMEM;
	} else if (e->waiting >= lim.waiting_per_uid) {
		forget_if_idle(uid);
		rc = refuse(reason, reason_len,
			    "uid %u has %u request connections waiting, the most one "
			    "uid may have (max_waiting_per_uid %u)", (unsigned)uid, e->waiting,
			    lim.waiting_per_uid);
	} else {
		e->waiting++;
	}
	pthread_mutex_unlock(&lock);
	return rc;
}

void admission_waiting_release(uid_t uid)
{
	struct uid_count *e;

	pthread_mutex_lock(&lock);
	e = lookup(uid, 0);
	if (e && e->waiting) {
		e->waiting--;
		forget_if_idle(uid);
	}
	pthread_mutex_unlock(&lock);
}

unsigned admission_in_flight(uid_t uid)
{
	struct uid_count *e;
	unsigned n;

	pthread_mutex_lock(&lock);
	e = lookup(uid, 0);
	n = e ? e->in_flight : 0;
	pthread_mutex_unlock(&lock);
	return n;
}

unsigned admission_waiting(uid_t uid)
{
	struct uid_count *e;
	unsigned n;

	pthread_mutex_lock(&lock);
	e = lookup(uid, 0);
	n = e ? e->waiting : 0;
	pthread_mutex_unlock(&lock);
	return n;
}

/* The limits in force for the current config. */
void admission_snapshot(struct ktls_status_reply *st)
{
	struct cfg_ref *ref = cfg_ref_current();
	struct admission_limits lim;

	st->fd_limit = fd_budget_current()->nofile;
	if (!ref)
		return;
	admission_limits(ref->cfg, &lim);
	st->max_handshakes = lim.max_handshakes;
	st->kernel_reserve = lim.kernel_reserve;
	st->per_uid_max = lim.per_uid;
	cfg_ref_put(ref);
}

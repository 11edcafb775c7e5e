/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Who may start a handshake now: limits per uid and for the kernel; see
 * admission.c. */
#ifndef KTLSD_ADMISSION_H
#define KTLSD_ADMISSION_H

#include <stddef.h>
#include <sys/types.h>

#include "config/config.h"
#include "ktls_proto.h"

struct admission_limits {
	unsigned max_handshakes;	/* in flight, all doors (after the fd budget) */
	unsigned kernel_reserve;	/* of those, only kernel requests may use */
	unsigned per_uid;		/* in flight per application uid */
	unsigned waiting;		/* request connections waiting, all uids */
	unsigned waiting_per_uid;
};

/* The limits cfg asks for, "auto" resolved, clamped to the fd budget. */
void admission_limits(const struct cfg *cfg, struct admission_limits *out);

/* A handshake starts: uid's (NULL: a kernel request) count goes up, or
 * -EAGAIN with the reason when a limit is reached.  Any thread. */
int admission_take(const struct cfg *cfg, const uid_t *uid, char *reason, size_t reason_len);
void admission_release(const uid_t *uid);

/* A request connection from uid waits to be read (main thread). */
/* The automatic max_waiting_per_uid for a waiting list of this length. */
unsigned admission_auto_waiting_per_uid(unsigned waiting);
int admission_waiting_take(const struct cfg *cfg, uid_t uid, char *reason, size_t reason_len);
void admission_waiting_release(uid_t uid);

/* In flight / waiting for uid now (tests, status). */
unsigned admission_in_flight(uid_t uid);
unsigned admission_waiting(uid_t uid);

/* The limits in force for the current config, and the fd limit, into a
 * `ktls status` reply. */
void admission_snapshot(struct ktls_status_reply *st);

#endif

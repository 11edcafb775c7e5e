/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The caller of a request, as the kernel vouches for it: for ACLs
 * (config/config_select.c), admission limits and log lines. */
#ifndef KTLSD_DOORS_PEER_CRED_H
#define KTLSD_DOORS_PEER_CRED_H

#include <sys/types.h>

/* Supplementary groups kept per caller.  Bounded so a job's size does not
 * depend on the caller (NGROUPS_MAX is 65536); 64 covers ordinary users.
 * A caller in more groups has none recorded (see peer_cred_read()). */
#define PEER_GROUPS_MAX 64
#define PEER_GROUPS_STR_(n) #n
#define PEER_GROUPS_STR(n) PEER_GROUPS_STR_(n)
#define PEER_GROUPS_MAX_STR PEER_GROUPS_STR(PEER_GROUPS_MAX)	/* for messages */

/* Who asked, for ACLs and log lines: SO_PEERCRED, and SO_PEERGROUPS as of
 * connect() time.  A kernel request has none (all zero). */
struct peer_cred {
	pid_t pid;
	uid_t uid;
	gid_t gid;			/* primary group */
	unsigned n_groups;		/* groups[] used */
	unsigned groups_over;		/* > PEER_GROUPS_MAX: how many (none kept), else 0 */
	gid_t groups[PEER_GROUPS_MAX];	/* supplementary, as the kernel lists them */
};

/* The credentials of conn's peer into *who.  0, or -errno if
 * SO_PEERCRED fails.  The supplementary groups are best effort and can
 * only admit, never refuse: none when the kernel has no SO_PEERGROUPS, and
 * none (groups_over set) when the caller is in more than PEER_GROUPS_MAX,
 * so such a caller is judged by its uid and primary group alone. */
int peer_cred_read(int conn, struct peer_cred *who);
/* Is gid the caller's primary or one of its recorded supplementary groups? */
int peer_cred_in_group(const struct peer_cred *who, gid_t gid);

#endif

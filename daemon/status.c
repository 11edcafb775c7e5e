// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The status request (`ktls status`) on the application door: a header-only
 * STATUS_REQ with no fd, answered by one STATUS_REPLY.
 *
 * Who may ask: root, ktlsd's own user, and members of ktlsd's group (its
 * effective gid after the privilege drop), judged by SO_PEERCRED and the
 * caller's supplementary groups (SO_PEERGROUPS).  The counts say which
 * profiles are used and how often handshakes fail, which is not everyone's
 * business on a shared host, so anyone else gets EPERM.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "door_netlink.h"
#include "log.h"
#include "sandbox.h"
#include "stats.h"

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59	/* Linux 4.13 */
#endif

#ifndef KTLSD_VERSION
#define KTLSD_VERSION "0.1.0"
#endif

#define PEER_GROUPS_MAX 65536	/* NGROUPS_MAX */

static int peer_in_group(int conn, gid_t gid)
{
	socklen_t len = 64 * sizeof(gid_t);
	gid_t *groups = NULL, *grown;
	int found = 0;

	/* ERANGE tells how much room the caller's groups need. */
	for (int tries = 0; tries < 2; tries++) {
		grown = realloc(groups, len);
		if (!grown)
			break;
		groups = grown;
		if (getsockopt(conn, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == 0) {
			for (size_t i = 0; i < len / sizeof(gid_t); i++)
				found |= groups[i] == gid;
			break;
		}
		if (errno != ERANGE || len > PEER_GROUPS_MAX * sizeof(gid_t))
			break;
	}
	free(groups);
	return found;
}

static int caller_may_read(int conn, struct ucred *cred)
{
	socklen_t len = sizeof(*cred);

	if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, cred, &len) < 0)
		return 0;
	return cred->uid == 0 || cred->uid == geteuid() || cred->gid == getegid() ||
	       peer_in_group(conn, getegid());
}

static void status_send(int conn, const struct ktls_status_reply *st)
{
	uint8_t *buf = malloc(KTLS_MSG_MAX);
	int len;

	if (!buf)
		return;
	len = ktls_msg_encode_status(st, buf, KTLS_MSG_MAX);
	if (len < 0)
		log_warnx("cannot encode the status reply: %s", strerror(-len));
	else if (send(conn, buf, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		log_debug("status reply not delivered: %s", strerror(errno));
	free(buf);
}

static void refuse(struct ktls_status_reply *st, int err, const char *reason)
{
	st->status = (uint32_t)err;
	snprintf(st->reason, sizeof(st->reason), "%s", reason);
}

void status_serve(int conn, size_t len, int fd)
{
	struct ktls_status_reply *st = calloc(1, sizeof(*st));
	struct ucred cred = { 0 };
	char why[KTLS_REASON_MAX];

	if (fd >= 0)
		close(fd);
	if (!st) {
		close(conn);
		return;
	}
	if (fd >= 0 || len != KTLS_MSG_HDR_LEN) {
		refuse(st, EBADMSG, "a status request is a bare header with no fd");
	} else if (!caller_may_read(conn, &cred)) {
		snprintf(why, sizeof(why), "uid %u may not read ktlsd's status: root, uid %u "
			 "and group %u only", (unsigned)cred.uid, (unsigned)geteuid(),
			 (unsigned)getegid());
		refuse(st, EPERM, why);
		log_debug("%s", why);
	} else {
		snprintf(st->daemon_version, sizeof(st->daemon_version), "%s", KTLSD_VERSION);
		st->doors = KTLS_DOOR_UNIX | (door_netlink_active() ? KTLS_DOOR_NETLINK : 0);
		stats_snapshot(st);
		st->protections = sandbox_protections();
	}
	status_send(conn, st);
	free(st);
	close(conn);
}

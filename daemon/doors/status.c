// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The status request (`ktls status`) on the application door: a header-only
 * STATUS_REQ with no fd, answered by one STATUS_REPLY.
 *
 * Who may ask: root, ktlsd's own user, and members of ktlsd's group (its
 * effective gid after the privilege drop), judged by SO_PEERCRED and the
 * caller's supplementary groups (SO_PEERGROUPS, read by peer_cred_read()
 * as for a handshake request, so both ACLs see the same groups).  The
 * counts say which profiles are used and how often handshakes fail, which
 * is not everyone's business on a shared host, so anyone else gets EPERM.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "doors/door_netlink.h"
#include "engine/admission.h"
#include "engine/early_send.h"
#include "process/log.h"
#include "process/sandbox.h"
#include "engine/stats.h"
#include "doors/status.h"

#ifndef KTLSD_VERSION
#define KTLSD_VERSION "0.1.0"
#endif

static int caller_may_read(const struct peer_cred *who)
{
	return who->uid == 0 || who->uid == geteuid() || peer_cred_in_group(who, getegid());
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
	struct peer_cred who = { 0 };
	char why[KTLS_REASON_MAX];

	if (fd >= 0)
		close(fd);
	if (!st) {
		close(conn);
		return;
	}
	if (fd >= 0 || len != KTLS_MSG_HDR_LEN) {
		refuse(st, EBADMSG, "a status request is a bare header with no fd");
	} else if (peer_cred_read(conn, &who) < 0 || !caller_may_read(&who)) {
		snprintf(why, sizeof(why), "uid %u may not read ktlsd's status: root, uid %u "
			 "and group %u only%s", (unsigned)who.uid, (unsigned)geteuid(),
			 (unsigned)getegid(), who.groups_over ? " (the caller is in more than "
			 PEER_GROUPS_MAX_STR " groups: only its primary group counts)" : "");
		refuse(st, EPERM, why);
		log_debug("%s", why);
	} else {
		snprintf(st->daemon_version, sizeof(st->daemon_version), "%s", KTLSD_VERSION);
		st->doors = KTLS_DOOR_UNIX | (door_netlink_active() ? KTLS_DOOR_NETLINK : 0);
		stats_snapshot(st);
		early_send_snapshot(st);
		admission_snapshot(st);
		st->protections = sandbox_protections();
	}
	status_send(conn, st);
	free(st);
	close(conn);
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* Who is on the other end of a request connection (doors/peer_cred.h). */
#include <errno.h>
#include <sys/socket.h>

#include "doors/peer_cred.h"

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59	/* Linux 4.13 */
#endif

int peer_cred_read(int conn, struct peer_cred *who)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	/* Nobody, should a caller ignore the error: zero would read as root. */
	*who = (struct peer_cred){ .uid = (uid_t)-1, .gid = (gid_t)-1 };
	if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return -errno;
	who->pid = cred.pid;
	who->uid = cred.uid;
	who->gid = cred.gid;
	/* Into the fixed array only: the kernel copies all or nothing, and on
	 * ERANGE says in len how many there are.  Other errors (ENOPROTOOPT
	 * before Linux 4.13) leave the caller with its primary group. */
	len = sizeof(who->groups);
	if (getsockopt(conn, SOL_SOCKET, SO_PEERGROUPS, who->groups, &len) == 0) {
		who->n_groups = (unsigned)(len / sizeof(gid_t));
		if (who->n_groups > PEER_GROUPS_MAX)
			who->n_groups = PEER_GROUPS_MAX;	/* not the kernel's contract */
	} else if (errno == ERANGE) {
		who->groups_over = (unsigned)(len / sizeof(gid_t));
		if (who->groups_over <= PEER_GROUPS_MAX)
			who->groups_over = PEER_GROUPS_MAX + 1;
	}
	return 0;
}

int peer_cred_in_group(const struct peer_cred *who, gid_t gid)
{
	if (who->gid == gid)
		return 1;
	for (unsigned i = 0; i < who->n_groups && i < PEER_GROUPS_MAX; i++)
		if (who->groups[i] == gid)
			return 1;
	return 0;
}

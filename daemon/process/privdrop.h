/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Running as the configured user (ktlsd.conf [global] user, group) when
 * started as root; see privdrop.c for the order of things.
 */
#ifndef KTLSD_PRIVDROP_H
#define KTLSD_PRIVDROP_H

#include <stddef.h>

#include "config/config.h"

/* creds_load_all(), but at start-up as root with a user configured, done
 * with that user's effective ids: key files are then judged (owner, mode,
 * readability) exactly as a SIGHUP reload after the drop will judge them.
 * After privdrop_apply() it is plain creds_load_all(), and a changed
 * user or group is reported as needing a restart. */
int privdrop_load_creds(struct cfg *cfg, char *err, size_t errlen);

/* Become cfg's user and group for good (setgroups, setresgid, setresuid),
 * keeping CAP_NET_ADMIN only when keep_net_admin (the netlink door's
 * ACCEPT needs it) and no other capability.  Not root: only trims the
 * capabilities to the same rule.  Call once, single-threaded, after the
 * application door is open.  0, or -errno after logging why; the caller
 * must not go on running as root then. */
int privdrop_apply(const struct cfg *cfg, int keep_net_admin);

/* Put prefix before privdrop's messages (the key process says so). */
void privdrop_set_log_prefix(const char *prefix);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Running as the configured user (ktlsd.conf [global] user, group) when
 * started as root; see privdrop.c for the order of things.
 */
#ifndef KTLSD_PRIVDROP_H
#define KTLSD_PRIVDROP_H

#include <stddef.h>

#include "config/config.h"

/* At start-up as root with a user configured: take that user's effective
 * ids (real and saved stay root's) and return 1; the caller loads the
 * credentials, so key files are judged (owner, mode, readability) exactly
 * as a SIGHUP reload after the drop will judge them, then calls
 * privdrop_come_back().  0 when there is nothing to become (not root, no
 * user, or privdrop_apply() already ran: then a changed user or group is
 * reported as needing a restart); -errno with reason set, still root. */
int privdrop_become_user(const struct cfg *cfg, char *reason, size_t reason_len);

/* Root's effective ids again after privdrop_become_user() returned 1
 * (fatal if they cannot be had back). */
void privdrop_come_back(void);

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

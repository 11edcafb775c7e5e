// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Privilege drop, for ktlsd started as root without a service manager
 * (under systemd, User= and AmbientCapabilities= in ktlsd.service do it).
 *
 * Order in main(): the config is read as root; the credentials are loaded
 * between privdrop_become_user() and privdrop_come_back(), with the target
 * user's effective ids; the application door is bound as root (its directory may be root's); then,
 * still single-threaded, privdrop_apply() changes every id for good, keeps
 * CAP_NET_ADMIN when the netlink door will run (ACCEPT is an admin
 * command), drops everything else from the bounding set and sets
 * no_new_privs.  Workers, started after, inherit exactly that.
 *
 * Capabilities are set with the raw capget/capset system calls: one bit
 * in two 32-bit words per set is all ktlsd needs, and libcap would be one
 * more library in a process that holds private keys.
 */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include "process/log.h"
#include "process/privdrop.h"

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

struct identity {
	uid_t uid;
	gid_t gid;
};

static int privileges_applied;	/* privdrop_apply() ran: ids are final */
static const char *log_who = "";	/* "key process: " in the key process */

void privdrop_set_log_prefix(const char *prefix)
{
	log_who = prefix ? prefix : "";
}

/* cfg->user (and cfg->group, else the user's primary group) as ids.
 * 0, -ENOENT when no user is configured, -ESRCH when a name no longer
 * resolves (config.c checked it when the file was read). */
static int target_identity(const struct cfg *cfg, struct identity *id)
{
	struct passwd *pw;
	struct group *gr;

	if (!cfg->user)
		return -ENOENT;
	errno = 0;
	pw = getpwnam(cfg->user);
	if (!pw)
		return -ESRCH;
	id->uid = pw->pw_uid;
	id->gid = pw->pw_gid;
	if (cfg->group) {
		gr = getgrnam(cfg->group);
		if (!gr)
			return -ESRCH;
		id->gid = gr->gr_gid;
	}
	return 0;
}

/* ---- the target user's effective ids, and back ---- */

/* Effective ids only, so root can come back: real and saved stay 0.  The
 * supplementary groups are set to what they will be after the drop, or
 * root's groups would open files the dropped daemon cannot reopen. */
static int become_effective(const struct identity *id)
{
	if (setgroups(1, &id->gid) < 0 || setegid(id->gid) < 0 || seteuid(id->uid) < 0)
		return -errno;
	return 0;
}

static int back_to_root(void)
{
	if (seteuid(0) < 0 || setegid(getgid()) < 0)
		return -errno;
	return 0;
}

static void warn_identity_change(const struct cfg *cfg)
{
	struct identity id;

	if (target_identity(cfg, &id) < 0)
		return;
	if (id.uid != geteuid() || id.gid != getegid())
		log_warnx("user/group in the configuration changed (%s:%s); ktlsd keeps running "
			  "as uid %u gid %u until it is restarted", cfg->user,
			  cfg->group ? cfg->group : "", (unsigned)geteuid(), (unsigned)getegid());
}

int privdrop_become_user(const struct cfg *cfg, char *reason, size_t reason_len)
{
	struct identity id;
	int rc;

	if (privileges_applied) {
		warn_identity_change(cfg);
		return 0;
	}
	if (geteuid() != 0 || target_identity(cfg, &id) < 0 || id.uid == 0)
		return 0;
	rc = become_effective(&id);
	if (rc < 0) {
		snprintf(reason, reason_len,
			 "cannot take the ids of user %s to load credentials: %s",
			 cfg->user, strerror(-rc));
		back_to_root();
		return rc;
	}
	return 1;
}

void privdrop_come_back(void)
{
	int restored = back_to_root();

	if (restored < 0)	/* root's ids cannot be lost this way; if they were, stop */
		fatalx("cannot return to root after loading credentials: %s", strerror(-restored));
}

/* ---- the drop ---- */

static int set_capabilities(int keep_net_admin)
{
	struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	const uint32_t net_admin = 1u << (CAP_NET_ADMIN % 32);

	memset(data, 0, sizeof(data));
	if (keep_net_admin) {
		data[CAP_NET_ADMIN / 32].effective = net_admin;
		data[CAP_NET_ADMIN / 32].permitted = net_admin;
	}
	if (syscall(SYS_capset, &header, data) < 0)
		return -errno;
	/* We never exec, but an ambient set left over from the manager would
	 * be inherited by anything that did. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return -errno;
	return 0;
}

/* Is the permitted set exactly CAP_NET_ADMIN (want_net_admin) or empty?
 * -1 if it cannot be read; *has_net_admin tells whether it holds it. */
static int capabilities_are(int want_net_admin, int *has_net_admin)
{
	struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	const uint32_t net_admin = 1u << (CAP_NET_ADMIN % 32);
	int exact = 1;

	if (syscall(SYS_capget, &header, data) < 0)
		return -1;
	*has_net_admin = !!(data[CAP_NET_ADMIN / 32].permitted & net_admin);
	for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++) {
		uint32_t want = want_net_admin && i == CAP_NET_ADMIN / 32 ? net_admin : 0;

		exact &= data[i].permitted == want && data[i].effective == want;
	}
	return exact;
}

/* Needs CAP_SETPCAP, so only as root, before the ids change. */
static int shrink_bounding_set(int keep_net_admin)
{
	for (int cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++) {
		if (keep_net_admin && cap == CAP_NET_ADMIN)
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			return -errno;
	}
	return 0;
}

static int change_ids(const struct identity *id, int keep_net_admin)
{
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;

	if (setgroups(1, &id->gid) < 0 || setresgid(id->gid, id->gid, id->gid) < 0)
		return -errno;
	/* Without keep-caps the uid change empties the permitted set. */
	if (keep_net_admin && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return -errno;
	if (setresuid(id->uid, id->uid, id->uid) < 0)
		return -errno;
	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	if (getresuid(&ruid, &euid, &suid) < 0 || getresgid(&rgid, &egid, &sgid) < 0)
		return -errno;
	if (ruid != id->uid || euid != id->uid || suid != id->uid || rgid != id->gid ||
	    egid != id->gid || sgid != id->gid)
		return -EPERM;
	if (setuid(0) == 0 || seteuid(0) == 0)	/* the way back must be closed */
		return -EPERM;
	return 0;
}

static int drop_root(const struct cfg *cfg, int keep_net_admin)
{
	struct identity id;
	int rc = target_identity(cfg, &id);

	if (rc == -ENOENT) {
		if (cfg->group) {
			log_error("%sgroup = %s needs user = NAME as well; refusing to run as root "
				  "with only a group changed", log_who, cfg->group);
			return -EINVAL;
		}
		log_warnx("%srunning as root: set user = NAME in [global] (see ktlsd.conf(5))",
			  log_who);
		return 0;
	}
	if (rc < 0) {
		log_error("%suser %s or group %s no longer resolves; refusing to run as root",
			  log_who, cfg->user, cfg->group ? cfg->group : "(primary)");
		return rc;
	}
	if (id.uid == 0) {
		log_warnx("%suser = %s is uid 0: ktlsd keeps every privilege", log_who, cfg->user);
		return 0;
	}
	rc = shrink_bounding_set(keep_net_admin);
	if (rc == 0)
		rc = change_ids(&id, keep_net_admin);
	if (rc == 0)
		rc = set_capabilities(keep_net_admin);
	if (rc < 0) {
		log_error("%scannot drop to user %s (uid %u, gid %u): %s; refusing to run as root",
			  log_who, cfg->user, (unsigned)id.uid, (unsigned)id.gid, strerror(-rc));
		return rc;
	}
	log_info("%srunning as user %s (uid %u, gid %u)%s", log_who, cfg->user, (unsigned)id.uid,
		 (unsigned)id.gid, keep_net_admin ? " with CAP_NET_ADMIN only" :
		 " without capabilities");
	return 0;
}

/* Started unprivileged (systemd User=): a configured user that differs
 * cannot be applied, which is worth a warning but not a refusal. */
static int trim_unprivileged(const struct cfg *cfg, int keep_net_admin)
{
	struct identity id;

	int has_net_admin = 0, exact;

	if (target_identity(cfg, &id) == 0 && id.uid != geteuid())
		log_warnx("%suser = %s is not applied: ktlsd was started as uid %u, not root",
			  log_who, cfg->user, (unsigned)geteuid());
	exact = capabilities_are(keep_net_admin, &has_net_admin);
	if (exact == 0 && keep_net_admin && !has_net_admin)
		exact = capabilities_are(0, &has_net_admin);	/* nothing to keep */
	/* Already as wanted (ktlsd.service gives exactly CAP_NET_ADMIN): no
	 * capset, which that unit's system call filter refuses. */
	if (exact == 1) {
		prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
		return 0;
	}
	return set_capabilities(keep_net_admin && has_net_admin);
}

int privdrop_apply(const struct cfg *cfg, int keep_net_admin)
{
	int rc;

	/* ktlsd never execs; this closes set-uid and file-capability paths
	 * for good, whatever a later bug might try to run. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		log_warn("%scannot set no_new_privs", log_who);
	privileges_applied = 1;
	if (geteuid() == 0)
		return drop_root(cfg, keep_net_admin);
	rc = trim_unprivileged(cfg, keep_net_admin);
	if (rc < 0)
		log_warnx("%scannot trim capabilities: %s", log_who, strerror(-rc));
	return 0;
}

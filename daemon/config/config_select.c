// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Which profile serves a request: by name, by SNI (exact names before
 * wildcards), or the role default; the kernel's ([kernel]); and whether a
 * local peer may use it.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config/config.h"

const struct cfg_profile *cfg_find_profile(const struct cfg *cfg, const char *name)
{
	if (!cfg || !name)
		return NULL;
	for (size_t i = 0; i < cfg->n_profiles; i++)
		if (strcmp(cfg->profiles[i].name, name) == 0)
			return &cfg->profiles[i];
	return NULL;
}

/* "*.example.com" covers exactly one more label: a.example.com, not
 * example.com and not a.b.example.com. */
static int wildcard_matches(const char *pattern, const char *sni)
{
	const char *dot = strchr(sni, '.');

	return pattern[0] == '*' && pattern[1] == '.' && dot && dot != sni &&
	       strcasecmp(dot + 1, pattern + 2) == 0;
}

/* Exact names win over wildcards, whatever the profile order. */
const struct cfg_profile *cfg_profile_for_sni(const struct cfg *cfg, const char *sni)
{
	int wildcard_pass;

	if (!cfg || !sni || !*sni)
		return NULL;
	for (wildcard_pass = 0; wildcard_pass <= 1; wildcard_pass++) {
		for (size_t i = 0; i < cfg->n_profiles; i++) {
			const struct cfg_profile *p = &cfg->profiles[i];

			if (!(p->roles & CFG_ROLE_SERVER))
				continue;
			for (size_t j = 0; j < p->n_server_names; j++) {
				const char *pattern = p->server_names[j];

				if (wildcard_pass ? wildcard_matches(pattern, sni) :
				    pattern[0] != '*' && strcasecmp(pattern, sni) == 0)
					return p;
			}
		}
	}
	return NULL;
}

static unsigned role_bit(enum ktls_role role)
{
	switch (role) {
	case KTLS_ROLE_CLIENT:
		return CFG_ROLE_CLIENT;
	case KTLS_ROLE_SERVER:
		return CFG_ROLE_SERVER;
	}
	return 0;
}

const struct cfg_profile *cfg_select_profile(const struct cfg *cfg, enum ktls_role role,
					     const char *name, const char *sni)
{
	const struct cfg_profile *p;
	unsigned bit = role_bit(role);

	if (!cfg || !bit)
		return NULL;
	if (name && *name) {
		p = cfg_find_profile(cfg, name);
		return p && (p->roles & bit) ? p : NULL;
	}
	if (bit == CFG_ROLE_CLIENT)
		return cfg_find_profile(cfg, cfg->client_profile);
	p = cfg_profile_for_sni(cfg, sni);
	return p ? p : cfg_find_profile(cfg, cfg->server_profile);
}

const struct cfg_profile *cfg_kernel_profile(const struct cfg *cfg, enum ktls_role role)
{
	const char *name = NULL;

	if (!cfg)
		return NULL;
	switch (role) {
	case KTLS_ROLE_CLIENT:
		name = cfg->kernel.client_profile;
		break;
	case KTLS_ROLE_SERVER:
		name = cfg->kernel.server_profile;
		break;
	}
	/* Without a name: the role default; a server's without SNI. */
	return cfg_select_profile(cfg, role, name, NULL);
}

static int in_groups(gid_t want, gid_t gid, const gid_t *groups, size_t n_groups)
{
	if (gid == want)
		return 1;
	for (size_t i = 0; i < n_groups; i++)
		if (groups[i] == want)
			return 1;
	return 0;
}

/* Root gets no pass: a profile with an ACL means exactly that ACL.  The
 * default ACL of a key-holding profile is root and ktlsd's own ids; these
 * are the process's effective ids, which after the privilege drop are the
 * configured user and group (or the unit's User=/Group=).  A group admits
 * its members whether it is their primary or a supplementary group: the
 * way to let a user in is `usermod -aG`, which adds a supplementary one. */
int cfg_peer_allowed(const struct cfg_profile *p, uid_t uid, gid_t gid, const gid_t *groups,
		     size_t n_groups)
{
	if (!p)
		return 0;
	if (!groups)
		n_groups = 0;
	if (p->acl_default)
		return uid == 0 || uid == geteuid() || in_groups(getegid(), gid, groups, n_groups);
	if (p->n_allowed_uids == 0 && p->n_allowed_gids == 0)
		return 1;
	for (size_t i = 0; i < p->n_allowed_uids; i++)
		if (p->allowed_uids[i] == uid)
			return 1;
	for (size_t i = 0; i < p->n_allowed_gids; i++)
		if (in_groups(p->allowed_gids[i], gid, groups, n_groups))
			return 1;
	return 0;
}

static size_t append(char *out, size_t len, size_t used, const char *kind, unsigned long id)
{
	int n;

	if (used >= len)
		return used;
	n = snprintf(out + used, len - used, "%s%s %lu", used ? ", " : "", kind, id);
	return n < 0 ? used : used + (size_t)n;
}

/* ktlsd's ids as the default ACL will see them: the configured user and
 * group when it drops privileges, else its own. */
static void describe_default_acl(const struct cfg *cfg, char *out, size_t len)
{
	const char *user = cfg ? cfg->user : NULL, *group = cfg ? cfg->group : NULL;
	char who[160];

	if (group)
		snprintf(who, sizeof(who), "group %s", group);
	else if (user)
		snprintf(who, sizeof(who), "user %s's primary group", user);
	else
		snprintf(who, sizeof(who), "ktlsd's own gid");
	snprintf(out, len, "root, %s%s, and members of %s (primary or supplementary; the "
		 "default for a profile holding a key or PSK; allowed_uids/allowed_gids change it)",
		 user ? "user " : "ktlsd's own uid", user ? user : "", who);
}

void cfg_describe_acl(const struct cfg *cfg, const struct cfg_profile *p, char *out,
		      size_t len)
{
	size_t used = 0;

	if (!len)
		return;
	out[0] = '\0';
	if (p->acl_default) {
		describe_default_acl(cfg, out, len);
		return;
	}
	if (p->n_allowed_uids == 0 && p->n_allowed_gids == 0) {
		snprintf(out, len, "any local user (the profile holds no key or PSK)");
		return;
	}
	for (size_t i = 0; i < p->n_allowed_uids; i++)
		used = append(out, len, used, "uid", (unsigned long)p->allowed_uids[i]);
	for (size_t i = 0; i < p->n_allowed_gids; i++)
		used = append(out, len, used, "gid", (unsigned long)p->allowed_gids[i]);
	if (p->n_allowed_gids && used < len)
		snprintf(out + used, len - used, " (members by primary or supplementary group)");
}

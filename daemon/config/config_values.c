// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ktlsd.conf values: what each key of [global], [kernel] and [profile NAME] accepts,
 * and the tables that map key names to their setters.  config.c reads the
 * file and calls these; a setter only parses and stores one value.
 */
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <gnutls/gnutls.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "base/reason.h"
#include "config/config.h"
#include "config/config_internal.h"
#include "process/log.h"
#include "sessions/shared_store.h"

#define MAX_WORKERS 1024
#define MAX_MAX_HANDSHAKES 1000000
#define MAX_TIMEOUT_MS 3600000u		/* an hour: anything longer is a typo */
#define MAX_ALPN_ID 255			/* RFC 7301: one length byte */
#define MAX_DNS_NAME 253

/* ---- values: each setter parses one key's value into its field ---- */

static int out_of_memory(char *reason, size_t reason_len)
{
	snprintf(reason, reason_len, "out of memory");
	return -ENOMEM;
}

static int set_string(char **field, const char *value, char *reason, size_t reason_len)
{
	char *copy = strdup(value);

	if (!copy)
		return out_of_memory(reason, reason_len);
	free(*field);
	*field = copy;
	return 0;
}

/* Paths must be absolute: the daemon runs from /, and a path relative to
 * wherever it was started would change meaning between restarts. */
static int set_path(char **field, const char *value, char *reason, size_t reason_len)
{
	if (value[0] != '/')
		return reason_fail(reason, reason_len, -EINVAL, "\"%s\" is not an absolute path",
				   value);
	return set_string(field, value, reason, reason_len);
}

static int parse_decimal(const char *value, unsigned long *out)
{
	char *end;

	if (!isdigit((unsigned char)value[0]))
		return -1;
	errno = 0;
	*out = strtoul(value, &end, 10);
	return errno || *end ? -1 : 0;
}

/* Numbers are taken as ids (allow_numeric), anything else must resolve. */
static int lookup_user(const char *name, int allow_numeric, uid_t *uid)
{
	struct passwd pw, *found = NULL;
	unsigned long n;
	size_t size = 1024;
	char *buf = NULL, *grown;
	int rc = ERANGE;

	if (allow_numeric && parse_decimal(name, &n) == 0)
		return n < (uid_t)-1 ? (*uid = (uid_t)n, 0) : -1;
	while (rc == ERANGE && size <= 1 << 20) {
		grown = realloc(buf, size *= 2);
		if (!grown)
			break;
		buf = grown;
		rc = getpwnam_r(name, &pw, buf, size, &found);
	}
	free(buf);
	if (rc != 0 || !found)
		return -1;
	*uid = pw.pw_uid;
	return 0;
}

static int lookup_group(const char *name, int allow_numeric, gid_t *gid)
{
	struct group gr, *found = NULL;
	unsigned long n;
	size_t size = 1024;
	char *buf = NULL, *grown;
	int rc = ERANGE;

	if (allow_numeric && parse_decimal(name, &n) == 0)
		return n < (gid_t)-1 ? (*gid = (gid_t)n, 0) : -1;
	while (rc == ERANGE && size <= 1 << 20) {
		grown = realloc(buf, size *= 2);
		if (!grown)
			break;
		buf = grown;
		rc = getgrnam_r(name, &gr, buf, size, &found);
	}
	free(buf);
	if (rc != 0 || !found)
		return -1;
	*gid = gr.gr_gid;
	return 0;
}

static int parse_count(const char *value, unsigned min, unsigned max, unsigned *out,
		       char *reason, size_t reason_len)
{
	unsigned long n;

	if (parse_decimal(value, &n) < 0 || n < min || n > max)
		return reason_fail(reason, reason_len, -EINVAL,
				   "\"%s\" is not a number from %u to %u", value, min, max);
	*out = (unsigned)n;
	return 0;
}

/* "10000" and "10000ms" are milliseconds, "10s" seconds. */
static int parse_timeout(const char *value, unsigned *out_ms, char *reason, size_t reason_len)
{
	unsigned long n, scale = 1;
	char *end;

	errno = 0;
	n = isdigit((unsigned char)value[0]) ? strtoul(value, &end, 10) : 0;
	if (!isdigit((unsigned char)value[0]) || errno)
		goto bad;
	if (strcmp(end, "s") == 0)
		scale = 1000;
	else if (*end && strcmp(end, "ms") != 0)
		goto bad;
	if (n == 0 || n > MAX_TIMEOUT_MS / scale)
		goto bad;
	*out_ms = (unsigned)(n * scale);
	return 0;
bad:
	return reason_fail(reason, reason_len, -EINVAL,
			   "\"%s\" is not a timeout from 1ms to %us (write 500ms "
			   "or 10s; a bare number is milliseconds)", value, MAX_TIMEOUT_MS / 1000);
}

/* Splits a comma-separated list, trims blanks around items and calls fn on
 * each; an empty item is an error. */
static int for_each_item(const char *list, int (*fn)(void *target, const char *item,
						     char *reason, size_t reason_len),
			 void *target, char *reason, size_t reason_len)
{
	char *copy = strdup(list), *item, *save = NULL, *end;
	int rc = 0;

	if (!copy)
		return out_of_memory(reason, reason_len);
	if (list[strspn(list, " \t")] == '\0' || strstr(list, ",,") ||
	    list[strlen(list) - 1] == ',' || list[strspn(list, " \t")] == ',')
		rc = reason_fail(reason, reason_len, -EINVAL, "empty item in the list \"%s\"",
				 list);
	for (item = strtok_r(copy, ",", &save); rc == 0 && item;
	     item = strtok_r(NULL, ",", &save)) {
		item += strspn(item, " \t");
		end = item + strlen(item);
		while (end > item && isblank((unsigned char)end[-1]))
			*--end = '\0';
		rc = *item ? fn(target, item, reason, reason_len) :
			     reason_fail(reason, reason_len, -EINVAL,
					 "empty item in the list \"%s\"", list);
	}
	free(copy);
	return rc;
}

int valid_profile_name(const char *name)
{
	size_t n = strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			  "0123456789_.-");

	return n > 0 && n <= PROFILE_NAME_MAX && name[n] == '\0';
}

/* [global] */

static int set_socket(void *target, const char *value, char *reason, size_t reason_len)
{
	struct cfg *cfg = target;

	if (strlen(value) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return reason_fail(reason, reason_len, -EINVAL,
				   "path is longer than a unix socket address allows");
	return set_path(&cfg->socket_path, value, reason, reason_len);
}

static int set_workers(void *target, const char *value, char *reason, size_t reason_len)
{
	return parse_count(value, 0, MAX_WORKERS, &((struct cfg *)target)->workers, reason,
			   reason_len);
}

/* signers = auto | 1..64: the key process's signing threads (keyproc.c). */
static int set_signers(void *target, const char *value, char *reason, size_t reason_len)
{
	unsigned *out = &((struct cfg *)target)->signers;

	if (strcmp(value, "auto") == 0) {
		*out = CFG_SIGNERS_AUTO;
		return 0;
	}
	if (parse_count(value, 1, CFG_SIGNERS_MAX, out, reason, reason_len) < 0)
		return reason_fail(reason, reason_len, -EINVAL,
				   "\"%s\" is not auto or a number from 1 to %u", value,
				   CFG_SIGNERS_MAX);
	return 0;
}

static int set_max_handshakes(void *target, const char *value, char *reason, size_t reason_len)
{
	return parse_count(value, 1, MAX_MAX_HANDSHAKES, &((struct cfg *)target)->max_handshakes,
			   reason, reason_len);
}

static int set_global_timeout(void *target, const char *value, char *reason, size_t reason_len)
{
	return parse_timeout(value, &((struct cfg *)target)->handshake_timeout_ms, reason,
			     reason_len);
}

/* [global] the shared session store (sessions/shared_store.h) */

static int set_session_store(void *target, const char *value, char *reason, size_t reason_len)
{
	struct cfg *cfg = target;

	if (strcmp(value, "none") == 0)
		cfg->session_store = CFG_STORE_NONE;
	else if (strcmp(value, "memcached") == 0)
		cfg->session_store = CFG_STORE_MEMCACHED;
	else
		return reason_fail(reason, reason_len, -EINVAL, "\"%s\" is not none or memcached",
				   value);
	return 0;
}

/* Checked here (syntax); resolved when the store opens. */
static int set_session_store_servers(void *target, const char *value, char *reason,
				     size_t reason_len)
{
	struct shared_store_server list[SHARED_STORE_SERVERS_MAX];
	size_t n;
	int rc = shared_store_parse_servers(value, list, SHARED_STORE_SERVERS_MAX, &n, reason,
					    reason_len);

	if (rc < 0)
		return rc;
	return set_string(&((struct cfg *)target)->session_store_servers, value, reason,
			  reason_len);
}

static int set_session_store_timeout(void *target, const char *value, char *reason,
				     size_t reason_len)
{
	return parse_timeout(value, &((struct cfg *)target)->session_store_timeout_ms, reason,
			     reason_len);
}

/* Whole seconds, 1s to an hour: GnuTLS counts the window in
 * milliseconds but writes its records with a TTL in seconds. */
static int set_early_data_window(void *target, const char *value, char *reason,
				 size_t reason_len)
{
	unsigned ms;

	if (parse_timeout(value, &ms, reason, reason_len) < 0 || ms % 1000 ||
	    ms > CFG_EARLY_WINDOW_MAX_MS)
		return reason_fail(reason, reason_len, -EINVAL, "\"%s\" is not a whole number "
				   "of seconds from 1s to %us", value,
				   CFG_EARLY_WINDOW_MAX_MS / 1000);
	((struct cfg *)target)->early_data_window_ms = ms;
	return 0;
}

/* [global] denial-of-service limits: "auto" (derived from max_handshakes
 * and the fd limit by admission.c) or a number. */

void cfg_limits_default(struct cfg *cfg)
{
	cfg->max_handshakes_per_uid = CFG_LIMIT_AUTO;
	cfg->max_waiting_per_uid = CFG_LIMIT_AUTO;
	cfg->kernel_reserve = CFG_LIMIT_AUTO;
}

static int parse_limit(const char *value, unsigned min, unsigned *out, char *reason,
		       size_t reason_len)
{
	if (strcmp(value, "auto") == 0) {
		*out = CFG_LIMIT_AUTO;
		return 0;
	}
	if (parse_count(value, min, MAX_MAX_HANDSHAKES, out, reason, reason_len) < 0)
		return reason_fail(reason, reason_len, -EINVAL,
				   "\"%s\" is not auto or a number from %u to %u", value,
				   min, MAX_MAX_HANDSHAKES);
	return 0;
}

static int set_max_handshakes_per_uid(void *target, const char *value, char *reason,
				      size_t reason_len)
{
	return parse_limit(value, 1, &((struct cfg *)target)->max_handshakes_per_uid, reason,
			   reason_len);
}

static int set_max_waiting_per_uid(void *target, const char *value, char *reason, size_t reason_len)
{
	return parse_limit(value, 1, &((struct cfg *)target)->max_waiting_per_uid, reason,
			   reason_len);
}

static int set_kernel_reserve(void *target, const char *value, char *reason, size_t reason_len)
{
	return parse_limit(value, 0, &((struct cfg *)target)->kernel_reserve, reason, reason_len);
}

/* The client session cache's bounds: entries (0 turns it off) and bytes of
 * session data and peer certificates held. */
#define MAX_SESSION_CACHE_ENTRIES 1000000u
#define MAX_SESSION_CACHE_BYTES (1u << 30)

static int set_session_cache_entries(void *target, const char *value, char *reason,
				     size_t reason_len)
{
	return parse_count(value, 0, MAX_SESSION_CACHE_ENTRIES,
			   &((struct cfg *)target)->session_cache_entries, reason, reason_len);
}

static int set_session_cache_bytes(void *target, const char *value, char *reason,
				     size_t reason_len)
{
	return parse_count(value, 4096, MAX_SESSION_CACHE_BYTES,
			   &((struct cfg *)target)->session_cache_bytes, reason, reason_len);
}

static int set_log(void *target, const char *value, char *reason, size_t reason_len)
{
	struct cfg *cfg = target;

	if (strcmp(value, "stderr") == 0 || strcmp(value, "syslog") == 0) {
		cfg->log_syslog = strcmp(value, "syslog") == 0;
		return 0;
	}
	return reason_fail(reason, reason_len, -EINVAL, "\"%s\" is not stderr or syslog", value);
}

static int set_log_level(void *target, const char *value, char *reason, size_t reason_len)
{
	int level = log_level_from_name(value);

	if (level < 0)
		return reason_fail(reason, reason_len, -EINVAL,
				   "\"%s\" is not error, warn, info or debug", value);
	((struct cfg *)target)->log_level = level;
	return 0;
}

/* Resolved now, so that a typo fails the config check and not the
 * privilege drop after start-up. */
static int set_user(void *target, const char *value, char *reason, size_t reason_len)
{
	uid_t uid;

	if (lookup_user(value, 0, &uid) < 0)
		return reason_fail(reason, reason_len, -EINVAL, "no such user \"%s\"", value);
	return set_string(&((struct cfg *)target)->user, value, reason, reason_len);
}

static int set_group(void *target, const char *value, char *reason, size_t reason_len)
{
	gid_t gid;

	if (lookup_group(value, 0, &gid) < 0)
		return reason_fail(reason, reason_len, -EINVAL, "no such group \"%s\"", value);
	return set_string(&((struct cfg *)target)->group, value, reason, reason_len);
}

static int set_profile_ref(char **field, const char *value, char *reason, size_t reason_len)
{
	if (!valid_profile_name(value))
		return reason_fail(reason, reason_len, -EINVAL, "\"%s\" is not a profile name",
				   value);
	return set_string(field, value, reason, reason_len);
}

static int set_client_profile(void *target, const char *value, char *reason, size_t reason_len)
{
	return set_profile_ref(&((struct cfg *)target)->client_profile, value, reason, reason_len);
}

static int set_server_profile(void *target, const char *value, char *reason, size_t reason_len)
{
	return set_profile_ref(&((struct cfg *)target)->server_profile, value, reason, reason_len);
}

/* [kernel] */

static int set_kernel_client_profile(void *target, const char *value, char *reason,
				     size_t reason_len)
{
	return set_profile_ref(&((struct cfg *)target)->kernel.client_profile, value, reason,
			       reason_len);
}

static int set_kernel_server_profile(void *target, const char *value, char *reason,
				     size_t reason_len)
{
	return set_profile_ref(&((struct cfg *)target)->kernel.server_profile, value, reason,
			       reason_len);
}

/* A name is resolved when the netlink door starts (the keyring may not
 * exist yet); a number is a serial, and anything that starts like one
 * must be one, so that "12x" is not looked up as a name. */
static int check_keyring(const char *item, char *reason, size_t reason_len)
{
	unsigned long serial;

	if (isdigit((unsigned char)item[0]) || item[0] == '-' || item[0] == '+') {
		if (parse_decimal(item, &serial) < 0 || serial == 0 || serial > INT32_MAX)
			return reason_fail(reason, reason_len, -EINVAL,
					   "\"%s\" is not a keyring serial (1 to %d) "
					   "or a name", item, INT32_MAX);
		return 0;
	}
	if (strlen(item) > CFG_KEYRING_NAME_MAX)
		return reason_fail(reason, reason_len, -EINVAL,
				   "keyring name \"%.20s...\" is longer than %d bytes",
				   item, CFG_KEYRING_NAME_MAX);
	for (const char *c = item; *c; c++)
		if (!isgraph((unsigned char)*c))
			return reason_fail(reason, reason_len, -EINVAL,
					   "keyring name \"%s\" has a non-printable "
					   "character", item);
	return 0;
}

static int add_keyring(struct cfg_kernel *k, const char *item, char *reason, size_t reason_len)
{
	int rc = check_keyring(item, reason, reason_len);

	if (rc < 0)
		return rc;
	for (size_t i = 0; i < k->n_keyrings; i++)
		if (strcmp(k->keyrings[i], item) == 0)
			return reason_fail(reason, reason_len, -EINVAL,
					   "keyring \"%s\" is listed twice", item);
	if (k->n_keyrings == CFG_KERNEL_KEYRINGS_MAX)
		return reason_fail(reason, reason_len, -EINVAL, "more than %d keyrings",
				   CFG_KERNEL_KEYRINGS_MAX);
	k->keyrings[k->n_keyrings] = strdup(item);
	if (!k->keyrings[k->n_keyrings])
		return out_of_memory(reason, reason_len);
	k->n_keyrings++;
	return 0;
}

/* One comma-separated item may hold several blank-separated names
 * (".nvme .nfs"). */
static int add_keyring_words(void *target, const char *item, char *reason, size_t reason_len)
{
	char *copy = strdup(item), *word, *save = NULL;
	int rc = 0;

	if (!copy)
		return out_of_memory(reason, reason_len);
	for (word = strtok_r(copy, " \t", &save); rc == 0 && word;
	     word = strtok_r(NULL, " \t", &save))
		rc = add_keyring(target, word, reason, reason_len);
	free(copy);
	return rc;
}

static int set_kernel_keyrings(void *target, const char *value, char *reason, size_t reason_len)
{
	return for_each_item(value, add_keyring_words, &((struct cfg *)target)->kernel, reason,
			     reason_len);
}

/* [profile NAME] */

static int set_role(void *target, const char *value, char *reason, size_t reason_len)
{
	struct cfg_profile *p = target;

	if (strcmp(value, "client") == 0)
		p->roles = CFG_ROLE_CLIENT;
	else if (strcmp(value, "server") == 0)
		p->roles = CFG_ROLE_SERVER;
	else if (strcmp(value, "both") == 0)
		p->roles = CFG_ROLE_CLIENT | CFG_ROLE_SERVER;
	else
		return reason_fail(reason, reason_len, -EINVAL,
				   "\"%s\" is not client, server or both", value);
	return 0;
}

static int set_certificate(void *target, const char *value, char *reason, size_t reason_len)
{
	return set_path(&((struct cfg_profile *)target)->cert_file, value, reason, reason_len);
}

static int set_key_file(void *target, const char *value, char *reason, size_t reason_len)
{
	return set_path(&((struct cfg_profile *)target)->key_file, value, reason, reason_len);
}

static int set_psk_file(void *target, const char *value, char *reason, size_t reason_len)
{
	return set_path(&((struct cfg_profile *)target)->psk_file, value, reason, reason_len);
}

/* "system" is spelled out rather than implied by absence in the file, so
 * the example config can show the choice. */
static int set_ca_file(void *target, const char *value, char *reason, size_t reason_len)
{
	struct cfg_profile *p = target;

	if (strcmp(value, "system") == 0) {
		free(p->ca_file);
		p->ca_file = NULL;
		return 0;
	}
	return set_path(&p->ca_file, value, reason, reason_len);
}

/* Checked here for a file:line error; creds.c builds the final string. */
static int set_priority(void *target, const char *value, char *reason, size_t reason_len)
{
	gnutls_priority_t priority;
	const char *err_pos = NULL;
	int rc;

	if (!*value)
		return reason_fail(reason, reason_len, -EINVAL, "empty (leave it out for NORMAL)");
	rc = gnutls_priority_init2(&priority, value, &err_pos, 0);
	if (rc < 0)
		return reason_fail(reason, reason_len, -EINVAL,
				   "GnuTLS rejects \"%s\" at position %td (\"%.20s\")",
				   value, err_pos ? err_pos - value : (ptrdiff_t)0,
				   err_pos ? err_pos : "");
	gnutls_priority_deinit(priority);
	return set_string(&((struct cfg_profile *)target)->priority, value, reason, reason_len);
}

static int check_alpn_id(void *target, const char *item, char *reason, size_t reason_len)
{
	const char *c;

	if (strlen(item) > MAX_ALPN_ID)
		return reason_fail(reason, reason_len, -EINVAL,
				   "protocol \"%.20s...\" is longer than %d bytes",
				   item, MAX_ALPN_ID);
	for (c = item; *c; c++)
		if (!isgraph((unsigned char)*c))
			return reason_fail(reason, reason_len, -EINVAL,
					   "protocol \"%s\" has a blank or "
					   "non-printable character", item);
	return 0;
}

/* Stored as the canonical "a,b" (no blanks), which creds.c splits. */
static int set_alpn(void *target, const char *value, char *reason, size_t reason_len)
{
	struct cfg_profile *p = target;
	int rc = for_each_item(value, check_alpn_id, NULL, reason, reason_len);
	char *canonical, *d;

	if (rc < 0)
		return rc;
	canonical = malloc(strlen(value) + 1);
	if (!canonical)
		return out_of_memory(reason, reason_len);
	d = canonical;
	for (const char *s = value; *s; s++)
		if (!isblank((unsigned char)*s))
			*d++ = *s;
	*d = '\0';
	free(p->alpn);
	p->alpn = canonical;
	return 0;
}

/* Letters, digits and hyphens in dot-separated labels of 1..63. */
static int valid_dns_name(const char *name)
{
	size_t label = 0;

	if (!*name || strlen(name) > MAX_DNS_NAME)
		return 0;
	for (; *name; name++) {
		if (*name == '.') {
			if (label == 0)
				return 0;
			label = 0;
		} else if (isalnum((unsigned char)*name) || *name == '-') {
			if (++label > 63)
				return 0;
		} else {
			return 0;
		}
	}
	return label > 0;
}

static int add_server_name(void *target, const char *item, char *reason, size_t reason_len)
{
	struct cfg_profile *p = target;
	const char *host = strncmp(item, "*.", 2) == 0 ? item + 2 : item;
	char **grown, *copy;

	if (!valid_dns_name(host))
		return reason_fail(reason, reason_len, -EINVAL,
				   "\"%s\" is not a host name or \"*.domain\"", item);
	grown = reallocarray(p->server_names, p->n_server_names + 1, sizeof(*grown));
	if (!grown)
		return out_of_memory(reason, reason_len);
	p->server_names = grown;
	copy = strdup(item);
	if (!copy)
		return out_of_memory(reason, reason_len);
	for (char *c = copy; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	p->server_names[p->n_server_names++] = copy;
	return 0;
}

static int set_server_names(void *target, const char *value, char *reason, size_t reason_len)
{
	return for_each_item(value, add_server_name, target, reason, reason_len);
}

static int set_verify(void *target, const char *value, char *reason, size_t reason_len)
{
	struct cfg_profile *p = target;

	if (strcmp(value, "required") == 0)
		p->verify = KTLS_VERIFY_REQUIRED;
	else if (strcmp(value, "optional") == 0)
		p->verify = KTLS_VERIFY_OPTIONAL;
	else if (strcmp(value, "none") == 0)
		p->verify = KTLS_VERIFY_NONE;
	else
		return reason_fail(reason, reason_len, -EINVAL,
				   "\"%s\" is not required, optional or none", value);
	return 0;
}

static int add_allowed_uid(void *target, const char *item, char *reason, size_t reason_len)
{
	struct cfg_profile *p = target;
	uid_t *grown, uid;

	if (lookup_user(item, 1, &uid) < 0)
		return reason_fail(reason, reason_len, -EINVAL, "no such user \"%s\"", item);
	grown = reallocarray(p->allowed_uids, p->n_allowed_uids + 1, sizeof(*grown));
	if (!grown)
		return out_of_memory(reason, reason_len);
	p->allowed_uids = grown;
	p->allowed_uids[p->n_allowed_uids++] = uid;
	return 0;
}

static int add_allowed_gid(void *target, const char *item, char *reason, size_t reason_len)
{
	struct cfg_profile *p = target;
	gid_t *grown, gid;

	if (lookup_group(item, 1, &gid) < 0)
		return reason_fail(reason, reason_len, -EINVAL, "no such group \"%s\"", item);
	grown = reallocarray(p->allowed_gids, p->n_allowed_gids + 1, sizeof(*grown));
	if (!grown)
		return out_of_memory(reason, reason_len);
	p->allowed_gids = grown;
	p->allowed_gids[p->n_allowed_gids++] = gid;
	return 0;
}

static int set_allowed_uids(void *target, const char *value, char *reason, size_t reason_len)
{
	return for_each_item(value, add_allowed_uid, target, reason, reason_len);
}

static int set_allowed_gids(void *target, const char *value, char *reason, size_t reason_len)
{
	return for_each_item(value, add_allowed_gid, target, reason, reason_len);
}

/* "auto" (the default), "none" (take only tickets already there), or a
 * fixed wait like "20ms". */
static int set_ticket_wait(void *target, const char *value, char *reason, size_t reason_len)
{
	struct cfg_profile *p = target;
	unsigned ms;

	if (strcmp(value, "auto") == 0) {
		p->ticket_wait_ms = CFG_TICKET_WAIT_AUTO;
		return 0;
	}
	if (strcmp(value, "none") == 0) {
		p->ticket_wait_ms = 0;
		return 0;
	}
	if (parse_timeout(value, &ms, reason, reason_len) < 0 || ms > CFG_TICKET_WAIT_MAX_MS)
		return reason_fail(reason, reason_len, -EINVAL,
				   "\"%s\" is not auto, none or a wait from 1ms to %ums",
				   value, CFG_TICKET_WAIT_MAX_MS);
	p->ticket_wait_ms = (int)ms;
	return 0;
}

/* "none" (the default): a PSK profile authenticates its peer by the PSK
 * only; "certificate": a peer without the PSK may authenticate with a
 * certificate instead, verified as the profile's verify/ca_file say. */
static int set_psk_fallback(void *target, const char *value, char *reason, size_t reason_len)
{
	struct cfg_profile *p = target;

	if (strcmp(value, "none") == 0)
		p->psk_fallback = CFG_PSK_FALLBACK_NONE;
	else if (strcmp(value, "certificate") == 0)
		p->psk_fallback = CFG_PSK_FALLBACK_CERTIFICATE;
	else
		return reason_fail(reason, reason_len, -EINVAL, "\"%s\" is not none or certificate",
				   value);
	return 0;
}

/* "on" (the default) or "off": keep the sessions this client profile
 * receives and resume with them (sessions/client_cache.h). */
static int set_session_cache(void *target, const char *value, char *reason, size_t reason_len)
{
	struct cfg_profile *p = target;

	if (strcmp(value, "on") == 0)
		p->session_cache = 1;
	else if (strcmp(value, "off") == 0)
		p->session_cache = 0;
	else
		return reason_fail(reason, reason_len, -EINVAL, "\"%s\" is not on or off", value);
	return 0;
}

static int set_profile_timeout(void *target, const char *value, char *reason, size_t reason_len)
{
	return parse_timeout(value, &((struct cfg_profile *)target)->handshake_timeout_ms,
			     reason, reason_len);
}

/* ---- server resumption ---- */

static int set_ticket_key_file(void *target, const char *value, char *reason, size_t reason_len)
{
	return set_path(&((struct cfg *)target)->ticket_key_file, value, reason, reason_len);
}

static int parse_on_off(const char *value, int *out, char *reason, size_t reason_len)
{
	if (strcmp(value, "on") == 0 || strcmp(value, "yes") == 0)
		*out = 1;
	else if (strcmp(value, "off") == 0 || strcmp(value, "no") == 0)
		*out = 0;
	else
		return reason_fail(reason, reason_len, -EINVAL, "\"%s\" is not on or off", value);
	return 0;
}

static int set_session_tickets(void *target, const char *value, char *reason, size_t reason_len)
{
	return parse_on_off(value, &((struct cfg_profile *)target)->session_tickets, reason,
			    reason_len);
}

static int set_session_ids(void *target, const char *value, char *reason, size_t reason_len)
{
	return parse_on_off(value, &((struct cfg_profile *)target)->session_ids, reason,
			    reason_len);
}

static int set_resumption_psk_only(void *target, const char *value, char *reason, size_t reason_len)
{
	return parse_on_off(value, &((struct cfg_profile *)target)->resumption_psk_only, reason,
			    reason_len);
}

/* Seconds (a plain number, or with "s"), 1 to seven days. */
static int set_session_lifetime(void *target, const char *value, char *reason, size_t reason_len)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(value, &end, 10);
	if (end != value && *end == 's')
		end++;
	if (errno || end == value || *end || value[0] == '-' || v == 0 ||
	    v > CFG_SESSION_LIFETIME_MAX)
		return reason_fail(reason, reason_len, -EINVAL,
				   "\"%s\" is not a number of seconds from 1 to %u", value,
				   CFG_SESSION_LIFETIME_MAX);
	((struct cfg_profile *)target)->session_lifetime_s = (unsigned)v;
	return 0;
}

/* "off" (the default) or the most early data accepted: bytes, or with a
 * "k" suffix KiB, 1 to KTLS_ACCEPT_EARLY_DATA_MAX (a reply carries the early data
 * next to a peer certificate, and both must fit one message). */
static int set_early_data(void *target, const char *value, char *reason, size_t reason_len)
{
	struct cfg_profile *p = target;
	unsigned long v;
	char *end;

	if (strcmp(value, "off") == 0) {
		p->early_data_max = 0;
		return 0;
	}
	errno = 0;
	v = strtoul(value, &end, 10);
	if (end != value && (*end == 'k' || *end == 'K') && v <= KTLS_ACCEPT_EARLY_DATA_MAX) {
		v *= 1024;
		end++;
	}
	if (errno || end == value || *end || value[0] == '-' || v == 0 ||
	    v > KTLS_ACCEPT_EARLY_DATA_MAX)
		return reason_fail(reason, reason_len, -EINVAL,
				   "\"%s\" is not off or a size from 1 to %u bytes (or 1k to %uk)",
				   value, KTLS_ACCEPT_EARLY_DATA_MAX, KTLS_ACCEPT_EARLY_DATA_MAX / 1024);
	p->early_data_max = (unsigned)v;
	return 0;
}

/* ---- key tables ---- */


const struct key_def global_keys[G_COUNT] = {
	[G_SOCKET] = { "socket", set_socket },
	[G_WORKERS] = { "workers", set_workers },
	[G_MAX_HANDSHAKES] = { "max_handshakes", set_max_handshakes },
	[G_HANDSHAKE_TIMEOUT] = { "handshake_timeout", set_global_timeout },
	[G_LOG] = { "log", set_log },
	[G_LOG_LEVEL] = { "log_level", set_log_level },
	[G_USER] = { "user", set_user },
	[G_GROUP] = { "group", set_group },
	[G_CLIENT_PROFILE] = { "client_profile", set_client_profile },
	[G_SERVER_PROFILE] = { "server_profile", set_server_profile },
	[G_MAX_HANDSHAKES_PER_UID] = { "max_handshakes_per_uid", set_max_handshakes_per_uid },
	[G_MAX_WAITING_PER_UID] = { "max_waiting_per_uid", set_max_waiting_per_uid },
	[G_KERNEL_RESERVE] = { "kernel_reserve", set_kernel_reserve },
	[G_SIGNERS] = { "signers", set_signers },
	[G_SESSION_STORE] = { "session_store", set_session_store },
	[G_SESSION_STORE_SERVERS] = { "session_store_servers", set_session_store_servers },
	[G_SESSION_STORE_TIMEOUT] = { "session_store_timeout", set_session_store_timeout },
	[G_TICKET_KEY_FILE] = { "ticket_key_file", set_ticket_key_file },
	[G_SESSION_CACHE_ENTRIES] = { "session_cache_entries", set_session_cache_entries },
	[G_SESSION_CACHE_BYTES] = { "session_cache_bytes", set_session_cache_bytes },
	[G_EARLY_DATA_WINDOW] = { "early_data_window", set_early_data_window },
};

const struct key_def kernel_keys[K_COUNT] = {
	[K_CLIENT_PROFILE] = { "client_profile", set_kernel_client_profile },
	[K_SERVER_PROFILE] = { "server_profile", set_kernel_server_profile },
	[K_KEYRINGS] = { "keyrings", set_kernel_keyrings },
};

const struct key_def profile_keys[P_COUNT] = {
	[P_ROLE] = { "role", set_role },
	[P_CERTIFICATE] = { "certificate", set_certificate },
	[P_KEY] = { "key", set_key_file },
	[P_CA_FILE] = { "ca_file", set_ca_file },
	[P_PSK_FILE] = { "psk_file", set_psk_file },
	[P_PRIORITY] = { "priority", set_priority },
	[P_ALPN] = { "alpn", set_alpn },
	[P_SERVER_NAMES] = { "server_names", set_server_names },
	[P_VERIFY] = { "verify", set_verify },
	[P_ALLOWED_UIDS] = { "allowed_uids", set_allowed_uids },
	[P_ALLOWED_GIDS] = { "allowed_gids", set_allowed_gids },
	[P_HANDSHAKE_TIMEOUT] = { "handshake_timeout", set_profile_timeout },
	[P_TICKET_WAIT] = { "ticket_wait", set_ticket_wait },
	[P_PSK_FALLBACK] = { "psk_fallback", set_psk_fallback },
	[P_SESSION_TICKETS] = { "session_tickets", set_session_tickets },
	[P_SESSION_IDS] = { "session_ids", set_session_ids },
	[P_SESSION_LIFETIME] = { "session_lifetime", set_session_lifetime },
	[P_RESUMPTION_PSK_ONLY] = { "resumption_psk_only", set_resumption_psk_only },
	[P_SESSION_CACHE] = { "session_cache", set_session_cache },
	[P_EARLY_DATA] = { "early_data", set_early_data },
};

/* ---- key names, for tests that hold the documentation to the parser ---- */

const char *const *cfg_global_key_names(void)
{
	static const char *names[G_COUNT + 1];

	for (int i = 0; i < G_COUNT; i++)
		names[i] = global_keys[i].name;
	return names;
}

const char *const *cfg_kernel_key_names(void)
{
	static const char *names[K_COUNT + 1];

	for (int i = 0; i < K_COUNT; i++)
		names[i] = kernel_keys[i].name;
	return names;
}

const char *const *cfg_profile_key_names(void)
{
	static const char *names[P_COUNT + 1];

	for (int i = 0; i < P_COUNT; i++)
		names[i] = profile_keys[i].name;
	return names;
}

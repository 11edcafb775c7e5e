// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ktlsd.conf: an INI file read with inih, checked strictly.  Every problem is
 * an error "PATH:LINE: message" naming the line of the offending section or
 * key; nothing unknown is ignored and nothing falls back quietly.
 *
 * inih is fed through our own line reader (ini_parse_stream), which
 *  - counts lines, so handler errors carry the right line number (the
 *    handler of a line runs before the next line is read);
 *  - sees section headers first, so an empty [profile x] still exists and
 *    a duplicate one is caught (inih only reports sections with keys, and
 *    truncates long section names);
 *  - strips leading blanks, so an indented "key = value" is a key and not a
 *    continuation of the previous value (inih's multi-line mode);
 *  - refuses lines longer than inih's buffer instead of letting inih cut
 *    them silently.
 */
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <gnutls/gnutls.h>
#include <ini.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/un.h>

#include "config.h"
#include "log.h"

#define DEFAULT_SOCKET_PATH "/run/ktlsd/ktlsd.sock"
#define DEFAULT_PROFILE_NAME "default"
#define DEFAULT_MAX_HANDSHAKES 4096
#define DEFAULT_HANDSHAKE_TIMEOUT_MS 10000

#define PROFILE_NAME_MAX 64
#define MAX_WORKERS 1024
#define MAX_MAX_HANDSHAKES 1000000
#define MAX_TIMEOUT_MS 3600000u		/* an hour: anything longer is a typo */
#define MAX_ALPN_ID 255			/* RFC 7301: one length byte */
#define MAX_DNS_NAME 253

/* ---- values: each setter parses one key's value into its field ---- */

/* Setters return 0, or -EINVAL/-ENOMEM with the reason in msg. */
typedef int key_setter(void *target, const char *value, char *msg, size_t len);

static int bad_value(char *msg, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int bad_value(char *msg, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int out_of_memory(char *msg, size_t len)
{
	snprintf(msg, len, "out of memory");
	return -ENOMEM;
}

static int set_string(char **field, const char *value, char *msg, size_t len)
{
	char *copy = strdup(value);

	if (!copy)
		return out_of_memory(msg, len);
	free(*field);
	*field = copy;
	return 0;
}

/* Paths must be absolute: the daemon runs from /, and a path relative to
 * wherever it was started would change meaning between restarts. */
static int set_path(char **field, const char *value, char *msg, size_t len)
{
	if (value[0] != '/')
		return bad_value(msg, len, "\"%s\" is not an absolute path", value);
	return set_string(field, value, msg, len);
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
		       char *msg, size_t len)
{
	unsigned long n;

	if (parse_decimal(value, &n) < 0 || n < min || n > max)
		return bad_value(msg, len, "\"%s\" is not a number from %u to %u", value, min, max);
	*out = (unsigned)n;
	return 0;
}

/* "10000" and "10000ms" are milliseconds, "10s" seconds. */
static int parse_timeout(const char *value, unsigned *out_ms, char *msg, size_t len)
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
	return bad_value(msg, len, "\"%s\" is not a timeout from 1ms to %us (write 500ms "
			 "or 10s; a bare number is milliseconds)", value, MAX_TIMEOUT_MS / 1000);
}

/* Splits a comma-separated list, trims blanks around items and calls fn on
 * each; an empty item is an error. */
static int for_each_item(const char *list, int (*fn)(void *target, const char *item,
						     char *msg, size_t len),
			 void *target, char *msg, size_t len)
{
	char *copy = strdup(list), *item, *save = NULL, *end;
	int rc = 0;

	if (!copy)
		return out_of_memory(msg, len);
	if (list[strspn(list, " \t")] == '\0' || strstr(list, ",,") ||
	    list[strlen(list) - 1] == ',' || list[strspn(list, " \t")] == ',')
		rc = bad_value(msg, len, "empty item in the list \"%s\"", list);
	for (item = strtok_r(copy, ",", &save); rc == 0 && item;
	     item = strtok_r(NULL, ",", &save)) {
		item += strspn(item, " \t");
		end = item + strlen(item);
		while (end > item && isblank((unsigned char)end[-1]))
			*--end = '\0';
		rc = *item ? fn(target, item, msg, len) :
			     bad_value(msg, len, "empty item in the list \"%s\"", list);
	}
	free(copy);
	return rc;
}

static int valid_profile_name(const char *name)
{
	size_t n = strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			  "0123456789_.-");

	return n > 0 && n <= PROFILE_NAME_MAX && name[n] == '\0';
}

/* [global] */

static int set_socket(void *target, const char *value, char *msg, size_t len)
{
	struct cfg *cfg = target;

	if (strlen(value) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return bad_value(msg, len, "path is longer than a unix socket address allows");
	return set_path(&cfg->socket_path, value, msg, len);
}

static int set_workers(void *target, const char *value, char *msg, size_t len)
{
	return parse_count(value, 0, MAX_WORKERS, &((struct cfg *)target)->workers, msg, len);
}

static int set_max_handshakes(void *target, const char *value, char *msg, size_t len)
{
	return parse_count(value, 1, MAX_MAX_HANDSHAKES, &((struct cfg *)target)->max_handshakes,
			   msg, len);
}

static int set_global_timeout(void *target, const char *value, char *msg, size_t len)
{
	return parse_timeout(value, &((struct cfg *)target)->handshake_timeout_ms, msg, len);
}

static int set_log(void *target, const char *value, char *msg, size_t len)
{
	struct cfg *cfg = target;

	if (strcmp(value, "stderr") == 0 || strcmp(value, "syslog") == 0) {
		cfg->log_syslog = strcmp(value, "syslog") == 0;
		return 0;
	}
	return bad_value(msg, len, "\"%s\" is not stderr or syslog", value);
}

static int set_log_level(void *target, const char *value, char *msg, size_t len)
{
	int level = log_level_from_name(value);

	if (level < 0)
		return bad_value(msg, len, "\"%s\" is not error, warn, info or debug", value);
	((struct cfg *)target)->log_level = level;
	return 0;
}

/* Resolved now, so that a typo fails the config check and not the
 * privilege drop after start-up. */
static int set_user(void *target, const char *value, char *msg, size_t len)
{
	uid_t uid;

	if (lookup_user(value, 0, &uid) < 0)
		return bad_value(msg, len, "no such user \"%s\"", value);
	return set_string(&((struct cfg *)target)->user, value, msg, len);
}

static int set_group(void *target, const char *value, char *msg, size_t len)
{
	gid_t gid;

	if (lookup_group(value, 0, &gid) < 0)
		return bad_value(msg, len, "no such group \"%s\"", value);
	return set_string(&((struct cfg *)target)->group, value, msg, len);
}

static int set_profile_ref(char **field, const char *value, char *msg, size_t len)
{
	if (!valid_profile_name(value))
		return bad_value(msg, len, "\"%s\" is not a profile name", value);
	return set_string(field, value, msg, len);
}

static int set_client_profile(void *target, const char *value, char *msg, size_t len)
{
	return set_profile_ref(&((struct cfg *)target)->client_profile, value, msg, len);
}

static int set_server_profile(void *target, const char *value, char *msg, size_t len)
{
	return set_profile_ref(&((struct cfg *)target)->server_profile, value, msg, len);
}

/* [profile NAME] */

static int set_role(void *target, const char *value, char *msg, size_t len)
{
	struct cfg_profile *p = target;

	if (strcmp(value, "client") == 0)
		p->roles = CFG_ROLE_CLIENT;
	else if (strcmp(value, "server") == 0)
		p->roles = CFG_ROLE_SERVER;
	else if (strcmp(value, "both") == 0)
		p->roles = CFG_ROLE_CLIENT | CFG_ROLE_SERVER;
	else
		return bad_value(msg, len, "\"%s\" is not client, server or both", value);
	return 0;
}

static int set_certificate(void *target, const char *value, char *msg, size_t len)
{
	return set_path(&((struct cfg_profile *)target)->cert_file, value, msg, len);
}

static int set_key_file(void *target, const char *value, char *msg, size_t len)
{
	return set_path(&((struct cfg_profile *)target)->key_file, value, msg, len);
}

static int set_psk_file(void *target, const char *value, char *msg, size_t len)
{
	return set_path(&((struct cfg_profile *)target)->psk_file, value, msg, len);
}

/* "system" is spelled out rather than implied by absence in the file, so
 * the example config can show the choice. */
static int set_ca_file(void *target, const char *value, char *msg, size_t len)
{
	struct cfg_profile *p = target;

	if (strcmp(value, "system") == 0) {
		free(p->ca_file);
		p->ca_file = NULL;
		return 0;
	}
	return set_path(&p->ca_file, value, msg, len);
}

/* Checked here for a file:line error; creds.c builds the final string. */
static int set_priority(void *target, const char *value, char *msg, size_t len)
{
	gnutls_priority_t priority;
	const char *err_pos = NULL;
	int rc;

	if (!*value)
		return bad_value(msg, len, "empty (leave it out for NORMAL)");
	rc = gnutls_priority_init2(&priority, value, &err_pos, 0);
	if (rc < 0)
		return bad_value(msg, len, "GnuTLS rejects \"%s\" at position %td (\"%.20s\")",
				 value, err_pos ? err_pos - value : (ptrdiff_t)0,
				 err_pos ? err_pos : "");
	gnutls_priority_deinit(priority);
	return set_string(&((struct cfg_profile *)target)->priority, value, msg, len);
}

static int check_alpn_id(void *target, const char *item, char *msg, size_t len)
{
	const char *c;

	if (strlen(item) > MAX_ALPN_ID)
		return bad_value(msg, len, "protocol \"%.20s...\" is longer than %d bytes",
				 item, MAX_ALPN_ID);
	for (c = item; *c; c++)
		if (!isgraph((unsigned char)*c))
			return bad_value(msg, len, "protocol \"%s\" has a blank or "
					 "non-printable character", item);
	return 0;
}

/* Stored as the canonical "a,b" (no blanks), which creds.c splits. */
static int set_alpn(void *target, const char *value, char *msg, size_t len)
{
	struct cfg_profile *p = target;
	int rc = for_each_item(value, check_alpn_id, NULL, msg, len);
	char *canonical, *d;

	if (rc < 0)
		return rc;
	canonical = malloc(strlen(value) + 1);
	if (!canonical)
		return out_of_memory(msg, len);
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

static int add_server_name(void *target, const char *item, char *msg, size_t len)
{
	struct cfg_profile *p = target;
	const char *host = strncmp(item, "*.", 2) == 0 ? item + 2 : item;
	char **grown, *copy;

	if (!valid_dns_name(host))
		return bad_value(msg, len, "\"%s\" is not a host name or \"*.domain\"", item);
	grown = reallocarray(p->server_names, p->n_server_names + 1, sizeof(*grown));
	if (!grown)
		return out_of_memory(msg, len);
	p->server_names = grown;
	copy = strdup(item);
	if (!copy)
		return out_of_memory(msg, len);
	for (char *c = copy; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	p->server_names[p->n_server_names++] = copy;
	return 0;
}

static int set_server_names(void *target, const char *value, char *msg, size_t len)
{
	return for_each_item(value, add_server_name, target, msg, len);
}

static int set_verify(void *target, const char *value, char *msg, size_t len)
{
	struct cfg_profile *p = target;

	if (strcmp(value, "required") == 0)
		p->verify = KTLS_VERIFY_REQUIRED;
	else if (strcmp(value, "optional") == 0)
		p->verify = KTLS_VERIFY_OPTIONAL;
	else if (strcmp(value, "none") == 0)
		p->verify = KTLS_VERIFY_NONE;
	else
		return bad_value(msg, len, "\"%s\" is not required, optional or none", value);
	return 0;
}

static int add_allowed_uid(void *target, const char *item, char *msg, size_t len)
{
	struct cfg_profile *p = target;
	uid_t *grown, uid;

	if (lookup_user(item, 1, &uid) < 0)
		return bad_value(msg, len, "no such user \"%s\"", item);
	grown = reallocarray(p->allowed_uids, p->n_allowed_uids + 1, sizeof(*grown));
	if (!grown)
		return out_of_memory(msg, len);
	p->allowed_uids = grown;
	p->allowed_uids[p->n_allowed_uids++] = uid;
	return 0;
}

static int add_allowed_gid(void *target, const char *item, char *msg, size_t len)
{
	struct cfg_profile *p = target;
	gid_t *grown, gid;

	if (lookup_group(item, 1, &gid) < 0)
		return bad_value(msg, len, "no such group \"%s\"", item);
	grown = reallocarray(p->allowed_gids, p->n_allowed_gids + 1, sizeof(*grown));
	if (!grown)
		return out_of_memory(msg, len);
	p->allowed_gids = grown;
	p->allowed_gids[p->n_allowed_gids++] = gid;
	return 0;
}

static int set_allowed_uids(void *target, const char *value, char *msg, size_t len)
{
	return for_each_item(value, add_allowed_uid, target, msg, len);
}

static int set_allowed_gids(void *target, const char *value, char *msg, size_t len)
{
	return for_each_item(value, add_allowed_gid, target, msg, len);
}

static int set_profile_timeout(void *target, const char *value, char *msg, size_t len)
{
	return parse_timeout(value, &((struct cfg_profile *)target)->handshake_timeout_ms,
			     msg, len);
}

/* ---- key tables ---- */

struct key_def {
	const char *name;
	key_setter *set;
};

enum global_key {
	G_SOCKET, G_WORKERS, G_MAX_HANDSHAKES, G_HANDSHAKE_TIMEOUT, G_LOG, G_LOG_LEVEL,
	G_USER, G_GROUP, G_CLIENT_PROFILE, G_SERVER_PROFILE, G_COUNT
};

static const struct key_def global_keys[G_COUNT] = {
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
};

enum profile_key {
	P_ROLE, P_CERTIFICATE, P_KEY, P_CA_FILE, P_PSK_FILE, P_PRIORITY, P_ALPN,
	P_SERVER_NAMES, P_VERIFY, P_ALLOWED_UIDS, P_ALLOWED_GIDS, P_HANDSHAKE_TIMEOUT,
	P_COUNT
};

static const struct key_def profile_keys[P_COUNT] = {
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
};

/* Where things were said, for errors found after the whole file is read.
 * 0: not set. */
struct profile_lines {
	unsigned section;
	unsigned key[P_COUNT];
};

enum section { SEC_NONE, SEC_GLOBAL, SEC_PROFILE };

struct parser {
	const char *path;
	FILE *file;
	unsigned line;			/* the line inih is working on */
	struct cfg *cfg;
	struct profile_lines *lines;	/* parallel to cfg->profiles */
	enum section section;
	unsigned global_section_line;
	unsigned global_key_line[G_COUNT];
	int error;			/* -errno of the first error, 0 if none */
	unsigned error_line;
	char *err;
	size_t errlen;
};

static void parse_error_at(struct parser *ps, unsigned line, int error, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Keeps the first error only: later ones are usually its consequences. */
static void parse_error_at(struct parser *ps, unsigned line, int error, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (ps->error)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line)
		snprintf(ps->err, ps->errlen, "%s:%u: %s", ps->path, line, msg);
	else
		snprintf(ps->err, ps->errlen, "%s: %s", ps->path, msg);
	ps->error = error;
	ps->error_line = line;
}

static void cfg_profile_free_fields(struct cfg_profile *p)
{
	free(p->name);
	free(p->cert_file);
	free(p->key_file);
	free(p->ca_file);
	free(p->psk_file);
	free(p->priority);
	free(p->alpn);
	for (size_t i = 0; i < p->n_server_names; i++)
		free(p->server_names[i]);
	free(p->server_names);
	free(p->allowed_uids);
	free(p->allowed_gids);
}

void cfg_free(struct cfg *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->n_profiles; i++)
		cfg_profile_free_fields(&cfg->profiles[i]);
	free(cfg->profiles);
	free(cfg->path);
	free(cfg->socket_path);
	free(cfg->user);
	free(cfg->group);
	free(cfg->client_profile);
	free(cfg->server_profile);
	free(cfg);
}

static struct cfg *cfg_new_with_globals(void)
{
	struct cfg *cfg = calloc(1, sizeof(*cfg));

	if (!cfg)
		return NULL;
	cfg->socket_path = strdup(DEFAULT_SOCKET_PATH);
	if (!cfg->socket_path) {
		free(cfg);
		return NULL;
	}
	cfg->workers = 0;
	cfg->max_handshakes = DEFAULT_MAX_HANDSHAKES;
	cfg->handshake_timeout_ms = DEFAULT_HANDSHAKE_TIMEOUT_MS;
	cfg->log_syslog = 0;
	cfg->log_level = LOG_LVL_INFO;
	return cfg;
}

/* Appends a zeroed profile named name; NULL when out of memory. */
static struct cfg_profile *cfg_add_profile(struct cfg *cfg, const char *name)
{
	struct cfg_profile *grown, *p;

	grown = reallocarray(cfg->profiles, cfg->n_profiles + 1, sizeof(*grown));
	if (!grown)
		return NULL;
	cfg->profiles = grown;
	p = &cfg->profiles[cfg->n_profiles];
	memset(p, 0, sizeof(*p));
	p->name = strdup(name);
	if (!p->name)
		return NULL;
	cfg->n_profiles++;
	return p;
}

static int cfg_load_defaults(struct cfg **out, char *err, size_t errlen)
{
	struct cfg *cfg = cfg_new_with_globals();
	struct cfg_profile *p;

	if (!cfg || !(p = cfg_add_profile(cfg, DEFAULT_PROFILE_NAME)) ||
	    !(cfg->client_profile = strdup(DEFAULT_PROFILE_NAME))) {
		cfg_free(cfg);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	p->roles = CFG_ROLE_CLIENT;
	p->verify = KTLS_VERIFY_REQUIRED;
	p->handshake_timeout_ms = cfg->handshake_timeout_ms;
	*out = cfg;
	return 0;
}

/* ---- reading: sections are handled here, keys in on_key() ---- */

static void start_profile_section(struct parser *ps, const char *name)
{
	struct profile_lines *grown;
	const struct cfg_profile *dup = cfg_find_profile(ps->cfg, name);

	if (!valid_profile_name(name)) {
		parse_error_at(ps, ps->line, -EINVAL, "bad profile name \"%s\": use 1 to %d "
			       "of A-Z a-z 0-9 _ . -", name, PROFILE_NAME_MAX);
		return;
	}
	if (dup) {
		parse_error_at(ps, ps->line, -EINVAL, "duplicate profile \"%s\" (first on line %u)",
			       name, ps->lines[dup - ps->cfg->profiles].section);
		return;
	}
	grown = reallocarray(ps->lines, ps->cfg->n_profiles + 1, sizeof(*grown));
	if (!grown || (ps->lines = grown, !cfg_add_profile(ps->cfg, name))) {
		parse_error_at(ps, ps->line, -ENOMEM, "out of memory");
		return;
	}
	memset(&ps->lines[ps->cfg->n_profiles - 1], 0, sizeof(*grown));
	ps->lines[ps->cfg->n_profiles - 1].section = ps->line;
	ps->section = SEC_PROFILE;
}

/* header: the text between '[' and ']'. */
static void start_section(struct parser *ps, char *header)
{
	char *name, *end;

	header += strspn(header, " \t");
	end = header + strlen(header);
	while (end > header && isblank((unsigned char)end[-1]))
		*--end = '\0';

	if (strcmp(header, "global") == 0) {
		if (ps->global_section_line) {
			parse_error_at(ps, ps->line, -EINVAL, "duplicate [global] section "
				       "(first on line %u)", ps->global_section_line);
			return;
		}
		ps->global_section_line = ps->line;
		ps->section = SEC_GLOBAL;
		return;
	}
	if (strncmp(header, "profile", 7) == 0 && (header[7] == '\0' || isblank(header[7]))) {
		name = header + 7;
		name += strspn(name, " \t");
		name[strcspn(name, " \t")] = '\0';
		if (!*name) {
			parse_error_at(ps, ps->line, -EINVAL, "a profile needs a name: [profile NAME]");
			return;
		}
		start_profile_section(ps, name);
		return;
	}
	parse_error_at(ps, ps->line, -EINVAL, "unknown section [%s] (expected [global] or "
		       "[profile NAME])", header);
}

/* A line with nothing (or only a comment) after a header is inih's to judge;
 * we only look at well-formed headers. */
static void look_for_section(struct parser *ps, const char *line)
{
	const char *end;
	char *header;

	if (line[0] != '[')
		return;
	end = strchr(line, ']');
	if (!end)
		return;
	header = strndup(line + 1, (size_t)(end - line - 1));
	if (!header) {
		parse_error_at(ps, ps->line, -ENOMEM, "out of memory");
		return;
	}
	start_section(ps, header);
	free(header);
}

/* Is the next byte the end of the file?  (A line of exactly num-1 bytes
 * with no newline is fine only at the very end.) */
static int at_eof(FILE *file)
{
	int c = getc(file);

	if (c == EOF)
		return 1;
	ungetc(c, file);
	return 0;
}

static char *read_line(char *str, int num, void *stream)
{
	struct parser *ps = stream;
	size_t len, blanks;

	if (ps->error)
		return NULL;	/* stop at the first error */
	if (!fgets(str, num, ps->file)) {
		if (ferror(ps->file))
			parse_error_at(ps, 0, errno ? -errno : -EIO, "%s", strerror(errno ? errno : EIO));
		return NULL;
	}
	ps->line++;
	len = strlen(str);
	if (len == (size_t)num - 1 && str[len - 1] != '\n' && !at_eof(ps->file)) {
		parse_error_at(ps, ps->line, -EINVAL, "line too long (at most %d characters)",
			       num - 3);
		return NULL;
	}
	if (ps->line == 1 && strncmp(str, "\xef\xbb\xbf", 3) == 0) {	/* UTF-8 BOM */
		memmove(str, str + 3, len - 2);
		len -= 3;
	}
	blanks = strspn(str, " \t");
	memmove(str, str + blanks, len - blanks + 1);
	look_for_section(ps, str);
	return ps->error ? NULL : str;
}

static int key_index(const struct key_def *keys, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(keys[i].name, name) == 0)
			return i;
	return -1;
}

/* Sets one key of a section; lines[] remembers where each key was set. */
static int set_key(struct parser *ps, void *base, const struct key_def *keys, int n_keys,
		   unsigned *lines, const char *where, const char *name, const char *value)
{
	int idx = key_index(keys, n_keys, name);
	char msg[256];
	int rc;

	if (idx < 0) {
		parse_error_at(ps, ps->line, -EINVAL, "unknown key \"%s\" in %s", name, where);
		return 0;
	}
	if (lines[idx]) {
		parse_error_at(ps, ps->line, -EINVAL, "%s is already set on line %u",
			       name, lines[idx]);
		return 0;
	}
	lines[idx] = ps->line;
	rc = keys[idx].set(base, value, msg, sizeof(msg));
	if (rc < 0) {
		parse_error_at(ps, ps->line, rc, "%s: %s", name, msg);
		return 0;
	}
	return 1;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct parser *ps = user;
	char where[96];
	size_t last = ps->cfg->n_profiles - 1;

	switch (ps->section) {
	case SEC_NONE:
		parse_error_at(ps, ps->line, -EINVAL, "\"%s\" is outside any section: start "
			       "with [global] or [profile NAME]", name);
		return 0;
	case SEC_GLOBAL:
		return set_key(ps, ps->cfg, global_keys, G_COUNT, ps->global_key_line,
			       "[global]", name, value);
	case SEC_PROFILE:
		snprintf(where, sizeof(where), "[profile %s]", ps->cfg->profiles[last].name);
		return set_key(ps, &ps->cfg->profiles[last], profile_keys, P_COUNT,
			       ps->lines[last].key, where, name, value);
	}
	return 0;
}

/* ---- checks that need the whole file ---- */

static const char *role_name(unsigned roles)
{
	return roles == CFG_ROLE_CLIENT ? "client" : roles == CFG_ROLE_SERVER ? "server" : "both";
}

static void check_profile_credentials(struct parser *ps, const struct cfg_profile *p,
				      const struct profile_lines *at)
{
	if (p->cert_file && !p->key_file)
		parse_error_at(ps, at->key[P_CERTIFICATE], -EINVAL,
			       "certificate needs a key (key = PATH) in [profile %s]", p->name);
	if (p->key_file && !p->cert_file)
		parse_error_at(ps, at->key[P_KEY], -EINVAL,
			       "key needs a certificate (certificate = PATH) in [profile %s]", p->name);
	if ((p->roles & CFG_ROLE_SERVER) && !p->cert_file && !p->psk_file)
		parse_error_at(ps, at->key[P_ROLE] ? at->key[P_ROLE] : at->section, -EINVAL,
			       "role = %s needs a certificate and key, or a psk_file, "
			       "in [profile %s]", role_name(p->roles), p->name);
	if ((p->roles & CFG_ROLE_CLIENT) && p->verify == KTLS_VERIFY_OPTIONAL)
		parse_error_at(ps, at->key[P_VERIFY], -EINVAL,
			       "verify = optional is for server profiles only: a client "
			       "verifies the server (required) or not (none)");
	if (!(p->roles & CFG_ROLE_SERVER) && p->n_server_names)
		parse_error_at(ps, at->key[P_SERVER_NAMES], -EINVAL,
			       "server_names needs role = server or both in [profile %s]", p->name);
}

/* A role-specific default when verify is not set; a profile serving both
 * roles keeps KTLS_VERIFY_DEFAULT: a client verifies, a server asks for no
 * client certificate. */
static void apply_profile_defaults(const struct cfg *cfg, struct cfg_profile *p,
				   const struct profile_lines *at)
{
	if (!at->key[P_ROLE])
		p->roles = CFG_ROLE_CLIENT;
	if (!at->key[P_HANDSHAKE_TIMEOUT])
		p->handshake_timeout_ms = cfg->handshake_timeout_ms;
	if (!at->key[P_VERIFY])
		p->verify = p->roles == CFG_ROLE_CLIENT ? KTLS_VERIFY_REQUIRED :
			    p->roles == CFG_ROLE_SERVER ? KTLS_VERIFY_NONE : KTLS_VERIFY_DEFAULT;
}

/* Two profiles answering the same exact name (or wildcard) is ambiguous. */
static void check_server_names_unique(struct parser *ps)
{
	const struct cfg *cfg = ps->cfg;

	for (size_t i = 0; i < cfg->n_profiles; i++)
		for (size_t j = 0; j < cfg->profiles[i].n_server_names; j++)
			for (size_t k = 0; k < i; k++)
				for (size_t m = 0; m < cfg->profiles[k].n_server_names; m++)
					if (strcmp(cfg->profiles[i].server_names[j],
						   cfg->profiles[k].server_names[m]) == 0)
						parse_error_at(ps, ps->lines[i].key[P_SERVER_NAMES],
							       -EINVAL, "server name \"%s\" is already "
							       "answered by profile \"%s\"",
							       cfg->profiles[i].server_names[j],
							       cfg->profiles[k].name);
}

/* The profile a role falls back to: the one named in [global], else the
 * first profile with that role (none: requests must name one). */
static void resolve_role_default(struct parser *ps, char **name, unsigned role,
				 enum global_key key)
{
	const char *label = global_keys[key].name;
	const struct cfg_profile *p;

	if (*name) {
		p = cfg_find_profile(ps->cfg, *name);
		if (!p)
			parse_error_at(ps, ps->global_key_line[key], -EINVAL,
				       "%s: no profile named \"%s\"", label, *name);
		else if (!(p->roles & role))
			parse_error_at(ps, ps->global_key_line[key], -EINVAL,
				       "%s: profile \"%s\" has role = %s", label, *name,
				       role_name(p->roles));
		return;
	}
	for (size_t i = 0; i < ps->cfg->n_profiles; i++) {
		if (ps->cfg->profiles[i].roles & role) {
			*name = strdup(ps->cfg->profiles[i].name);
			if (!*name)
				parse_error_at(ps, 0, -ENOMEM, "out of memory");
			return;
		}
	}
}

static void finish_config(struct parser *ps)
{
	struct cfg *cfg = ps->cfg;

	if (cfg->n_profiles == 0) {
		parse_error_at(ps, 0, -EINVAL, "no profiles: add a [profile NAME] section");
		return;
	}
	for (size_t i = 0; i < cfg->n_profiles; i++) {
		apply_profile_defaults(cfg, &cfg->profiles[i], &ps->lines[i]);
		check_profile_credentials(ps, &cfg->profiles[i], &ps->lines[i]);
	}
	check_server_names_unique(ps);
	resolve_role_default(ps, &cfg->client_profile, CFG_ROLE_CLIENT, G_CLIENT_PROFILE);
	resolve_role_default(ps, &cfg->server_profile, CFG_ROLE_SERVER, G_SERVER_PROFILE);
}

static int open_config(const char *path, FILE **file, char *err, size_t errlen)
{
	int error;

	*file = fopen(path, "re");
	if (*file)
		return 0;
	error = errno;
	snprintf(err, errlen, "%s: %s", path, strerror(error));
	return -error;
}

static void parse_file(struct parser *ps)
{
	int rc = ini_parse_stream(read_line, ps, on_key, ps);

	/* inih's own complaints (a line that is neither [section] nor
	 * key = value) come back only as a line number. */
	if (rc > 0 && (!ps->error || (unsigned)rc < ps->error_line)) {
		ps->error = 0;
		parse_error_at(ps, (unsigned)rc, -EINVAL,
			       "syntax error: expected [section], key = value or a comment");
	} else if (rc < 0 && !ps->error) {
		parse_error_at(ps, 0, -ENOMEM, "out of memory");
	}
	if (!ps->error)
		finish_config(ps);
}

int cfg_load(const char *path, struct cfg **out, char *err, size_t errlen)
{
	struct parser ps = { .path = path, .err = err, .errlen = errlen };
	int rc;

	*out = NULL;
	if (!path)
		return cfg_load_defaults(out, err, errlen);
	rc = open_config(path, &ps.file, err, errlen);
	if (rc < 0)
		return rc;
	ps.cfg = cfg_new_with_globals();
	if (!ps.cfg || !(ps.cfg->path = strdup(path)))
		parse_error_at(&ps, 0, -ENOMEM, "out of memory");
	else
		parse_file(&ps);
	fclose(ps.file);
	free(ps.lines);
	if (ps.error) {
		cfg_free(ps.cfg);
		return ps.error;
	}
	*out = ps.cfg;
	return 0;
}

/* ---- lookups ---- */

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

/* Root gets no pass: a profile with an ACL means exactly that ACL. */
int cfg_peer_allowed(const struct cfg_profile *p, uid_t uid, gid_t gid)
{
	if (!p)
		return 0;
	if (p->n_allowed_uids == 0 && p->n_allowed_gids == 0)
		return 1;
	for (size_t i = 0; i < p->n_allowed_uids; i++)
		if (p->allowed_uids[i] == uid)
			return 1;
	for (size_t i = 0; i < p->n_allowed_gids; i++)
		if (p->allowed_gids[i] == gid)
			return 1;
	return 0;
}

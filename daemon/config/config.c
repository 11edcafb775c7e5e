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
 *
 * What each key accepts is in config_values.c; choosing a profile for a
 * request, in config_select.c.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "config/config_internal.h"
#include "process/log.h"

#define DEFAULT_SOCKET_PATH "/run/ktlsd/ktlsd.sock"
#define DEFAULT_PROFILE_NAME "default"
#define DEFAULT_MAX_HANDSHAKES 16384	/* the design's 10,000 in flight, with room */
#define DEFAULT_HANDSHAKE_TIMEOUT_MS 10000
#define DEFAULT_SESSION_CACHE_ENTRIES 1024	/* = CLIENT_CACHE_DEFAULT_ENTRIES */
#define DEFAULT_SESSION_CACHE_BYTES (4u << 20)	/* 4 MiB */

/* Where things were said, for errors found after the whole file is read.
 * 0: not set. */
struct profile_lines {
	unsigned section;
	unsigned key[P_COUNT];
};

enum section { SEC_NONE, SEC_GLOBAL, SEC_KERNEL, SEC_PROFILE };


struct parser {
	const char *path;
	FILE *file;
	unsigned line;			/* the line inih is working on */
	struct cfg *cfg;
	struct profile_lines *lines;	/* parallel to cfg->profiles */
	enum section section;
	unsigned global_section_line;
	unsigned global_key_line[G_COUNT];
	unsigned kernel_section_line;
	unsigned kernel_key_line[K_COUNT];
	int error;			/* -errno of the first error, 0 if none */
	unsigned error_line;
	char *reason;
	size_t reason_len;
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
		snprintf(ps->reason, ps->reason_len, "%s:%u: %s", ps->path, line, msg);
	else
		snprintf(ps->reason, ps->reason_len, "%s: %s", ps->path, msg);
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
	free(cfg->session_store_servers);
	free(cfg->ticket_key_file);
	free(cfg->kernel.client_profile);
	free(cfg->kernel.server_profile);
	for (size_t i = 0; i < cfg->kernel.n_keyrings; i++)
		free(cfg->kernel.keyrings[i]);
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
	cfg_limits_default(cfg);
	cfg->handshake_timeout_ms = DEFAULT_HANDSHAKE_TIMEOUT_MS;
	cfg->log_syslog = 0;
	cfg->log_level = LOG_LVL_INFO;
	cfg->session_store_timeout_ms = CFG_STORE_DEFAULT_TIMEOUT_MS;
	cfg->early_data_window_ms = CFG_EARLY_WINDOW_DEFAULT_MS;
	cfg->session_cache_entries = DEFAULT_SESSION_CACHE_ENTRIES;
	cfg->session_cache_bytes = DEFAULT_SESSION_CACHE_BYTES;
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

static int cfg_load_defaults(struct cfg **out, char *reason, size_t reason_len)
{
	struct cfg *cfg = cfg_new_with_globals();
	struct cfg_profile *p;

	if (!cfg || !(p = cfg_add_profile(cfg, DEFAULT_PROFILE_NAME)) ||
	    !(cfg->client_profile = strdup(DEFAULT_PROFILE_NAME))) {
		cfg_free(cfg);
		snprintf(reason, reason_len, "out of memory");
		return -ENOMEM;
	}
	p->roles = CFG_ROLE_CLIENT;
	p->verify = KTLS_VERIFY_REQUIRED;
	p->handshake_timeout_ms = cfg->handshake_timeout_ms;
	p->ticket_wait_ms = CFG_TICKET_WAIT_AUTO;
	p->session_tickets = p->session_ids = 1;
	p->session_lifetime_s = CFG_SESSION_LIFETIME_DEFAULT;
	p->session_cache = 1;
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
	if (strcmp(header, "kernel") == 0) {
		if (ps->kernel_section_line) {
			parse_error_at(ps, ps->line, -EINVAL, "duplicate [kernel] section "
				       "(first on line %u)", ps->kernel_section_line);
			return;
		}
		ps->kernel_section_line = ps->line;
		ps->section = SEC_KERNEL;
		return;
	}
	if (strncmp(header, "profile", 7) == 0 && (header[7] == '\0' || isblank(header[7]))) {
		name = header + 7;
		name += strspn(name, " \t");
		name[strcspn(name, " \t")] = '\0';
		if (!*name) {
			parse_error_at(ps, ps->line, -EINVAL,
				       "a profile needs a name: [profile NAME]");
			return;
		}
		start_profile_section(ps, name);
		return;
	}
	parse_error_at(ps, ps->line, -EINVAL, "unknown section [%s] (expected [global], "
		       "[kernel] or [profile NAME])", header);
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
			parse_error_at(ps, 0, errno ? -errno : -EIO, "%s",
				       strerror(errno ? errno : EIO));
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
	case SEC_KERNEL:
		return set_key(ps, ps->cfg, kernel_keys, K_COUNT, ps->kernel_key_line,
			       "[kernel]", name, value);
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
	/* A client whose priority has PSK key exchanges would offer them
	 * (see creds.c): only a pure server profile may opt in. */
	if (p->resumption_psk_only && p->roles != CFG_ROLE_SERVER)
		parse_error_at(ps, at->key[P_RESUMPTION_PSK_ONLY], -EINVAL,
			       "resumption_psk_only needs role = server in [profile %s]", p->name);
	/* 0-RTT exists only on resumption with a TLS 1.3 ticket (GnuTLS
	 * takes no early data with an external PSK). */
	if (p->early_data_max && !(p->roles & CFG_ROLE_SERVER))
		parse_error_at(ps, at->key[P_EARLY_DATA], -EINVAL,
			       "early_data needs role = server or both in [profile %s]", p->name);
	else if (p->early_data_max && !p->session_tickets)
		parse_error_at(ps, at->key[P_EARLY_DATA], -EINVAL,
			       "early_data needs session_tickets = on in [profile %s]: 0-RTT "
			       "comes only with a resumed TLS 1.3 ticket", p->name);
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
	if (!at->key[P_TICKET_WAIT])
		p->ticket_wait_ms = CFG_TICKET_WAIT_AUTO;
	/* Resumption on: tickets are stateless and TLS 1.3 resumption keeps
	 * (EC)DHE, so forward secrecy holds; see ktlsd.conf(5). */
	if (!at->key[P_SESSION_TICKETS])
		p->session_tickets = 1;
	if (!at->key[P_SESSION_IDS])
		p->session_ids = 1;
	if (!at->key[P_SESSION_LIFETIME])
		p->session_lifetime_s = CFG_SESSION_LIFETIME_DEFAULT;
	if (!at->key[P_SESSION_CACHE])
		p->session_cache = 1;
	if (!at->key[P_VERIFY])
		p->verify = p->roles == CFG_ROLE_CLIENT ? KTLS_VERIFY_REQUIRED :
			    p->roles == CFG_ROLE_SERVER ? KTLS_VERIFY_NONE : KTLS_VERIFY_DEFAULT;
}

/* A fallback needs something to fall back from, and a server something to
 * fall back to. */
static void check_psk_fallback(struct parser *ps, const struct cfg_profile *p,
			       const struct profile_lines *at)
{
	if (p->psk_fallback == CFG_PSK_FALLBACK_NONE)
		return;
	if (!p->psk_file)
		parse_error_at(ps, at->key[P_PSK_FALLBACK], -EINVAL,
			       "psk_fallback needs a psk_file in [profile %s]", p->name);
	else if ((p->roles & CFG_ROLE_SERVER) && !p->cert_file)
		parse_error_at(ps, at->key[P_PSK_FALLBACK], -EINVAL,
			       "psk_fallback = certificate needs a certificate and key for "
			       "role = %s in [profile %s]", role_name(p->roles), p->name);
}

/* A profile that holds a private key or a PSK lends an identity: without
 * an ACL of its own, only root and ktlsd's own user and group may use it
 * (cfg_peer_allowed()).  Profiles holding no secret stay open to everyone:
 * they only verify peers on the caller's behalf. */
static void apply_acl_default(struct cfg_profile *p)
{
	p->acl_default = (p->key_file || p->psk_file) &&
			 p->n_allowed_uids == 0 && p->n_allowed_gids == 0;
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

/* A profile named by a role key must exist and serve that role. */
static void check_profile_ref(struct parser *ps, const char *name, unsigned role,
			      unsigned line, const char *label)
{
	const struct cfg_profile *p = cfg_find_profile(ps->cfg, name);

	if (!p)
		parse_error_at(ps, line, -EINVAL, "%s: no profile named \"%s\"", label, name);
	else if (!(p->roles & role))
		parse_error_at(ps, line, -EINVAL, "%s: profile \"%s\" has role = %s", label,
			       name, role_name(p->roles));
}

/* The profile a role falls back to: the one named in [global], else the
 * first profile with that role (none: requests must name one). */
static void resolve_role_default(struct parser *ps, char **name, unsigned role,
				 enum global_key key)
{
	if (*name) {
		check_profile_ref(ps, *name, role, ps->global_key_line[key],
				  global_keys[key].name);
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
		check_psk_fallback(ps, &cfg->profiles[i], &ps->lines[i]);
		apply_acl_default(&cfg->profiles[i]);
	}
	check_server_names_unique(ps);
	if (cfg->session_store == CFG_STORE_MEMCACHED && !cfg->session_store_servers)
		parse_error_at(ps, ps->global_key_line[G_SESSION_STORE], -EINVAL,
			       "session_store = memcached needs session_store_servers = HOST:PORT");
	resolve_role_default(ps, &cfg->client_profile, CFG_ROLE_CLIENT, G_CLIENT_PROFILE);
	resolve_role_default(ps, &cfg->server_profile, CFG_ROLE_SERVER, G_SERVER_PROFILE);
	/* [kernel]'s are checked only: unset, they follow [global]'s. */
	if (cfg->kernel.client_profile)
		check_profile_ref(ps, cfg->kernel.client_profile, CFG_ROLE_CLIENT,
				  ps->kernel_key_line[K_CLIENT_PROFILE], "[kernel] client_profile");
	if (cfg->kernel.server_profile)
		check_profile_ref(ps, cfg->kernel.server_profile, CFG_ROLE_SERVER,
				  ps->kernel_key_line[K_SERVER_PROFILE], "[kernel] server_profile");
}

static int open_config(const char *path, FILE **file, char *reason, size_t reason_len)
{
	int error;

	*file = fopen(path, "re");
	if (*file)
		return 0;
	error = errno;
	snprintf(reason, reason_len, "%s: %s", path, strerror(error));
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

/* Parses file (closed here), which holds path's text. */
static int cfg_load_file(FILE *file, const char *path, struct cfg **out, char *reason,
			 size_t reason_len)
{
	struct parser ps = { .path = path, .file = file, .reason = reason, .reason_len = reason_len };

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

int cfg_load(const char *path, struct cfg **out, char *reason, size_t reason_len)
{
	FILE *file;
	int rc;

	*out = NULL;
	if (!path)
		return cfg_load_defaults(out, reason, reason_len);
	rc = open_config(path, &file, reason, reason_len);
	if (rc < 0)
		return rc;
	return cfg_load_file(file, path, out, reason, reason_len);
}

/* The key process opens the file for a sandboxed network process, which
 * parses it from the descriptor (keyproc.h). */
int cfg_load_fd(int fd, const char *path, struct cfg **out, char *reason, size_t reason_len)
{
	int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0), error;
	FILE *file = copy < 0 ? NULL : fdopen(copy, "r");

	*out = NULL;
	if (!file) {
		error = errno;
		if (copy >= 0)
			close(copy);
		snprintf(reason, reason_len, "%s: %s", path, strerror(error));
		return -error;
	}
	return cfg_load_file(file, path, out, reason, reason_len);
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for the ktlsd.conf parser (daemon/config/config.c,
 * config_values.c, config_select.c and log.c for the level names, all
 * included whole; inih is the system's).  See tests/fuzz/README.md.
 *
 * Each input is the whole file: cfg_load() runs as at start-up and on
 * SIGHUP, but its fopen() is replaced by fmemopen() on the input, so the
 * harness reads no file and writes none.  User and group names resolve
 * against a small table here instead of NSS (no /etc/passwd, no network
 * name service, the same answer every run).  ASan's leak check covers
 * every path, refusals included, because each input's config is freed.
 *
 * A config that loads must hold what the daemon relies on: at least one
 * profile, valid names, role defaults that exist and serve their role,
 * lower-case server names; a refusal must say "fuzz.conf..." and leave
 * no config.
 */
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static FILE *fuzz_fopen(const char *path, const char *mode);
static int fuzz_getpwnam_r(const char *name, struct passwd *pw, char *buf, size_t len,
			   struct passwd **found);
static int fuzz_getgrnam_r(const char *name, struct group *gr, char *buf, size_t len,
			   struct group **found);

#define fopen fuzz_fopen
#define getpwnam_r fuzz_getpwnam_r
#define getgrnam_r fuzz_getgrnam_r
#include "config/config.c"
#include "config/config_select.c"
#include "config/config_values.c"
#include "process/log.c"
#undef fopen
#undef getpwnam_r
#undef getgrnam_r

#include "fuzz_check.h"

#define CONF_NAME "fuzz.conf"
#define CONF_MAX 16384	/* far beyond any real config; keeps runs fast */

static const uint8_t *input;
static size_t input_len;

/* The config "file" is the input; nothing else can be opened. */
static FILE *fuzz_fopen(const char *path, const char *mode)
{
	if (strcmp(path, CONF_NAME) != 0) {
		errno = ENOENT;
		return NULL;
	}
	(void)mode;	/* "re": fmemopen knows no 'e'; there is no fd to close */
	/* Binary: NUL bytes are read like any other (glibc >= 2.22, which
	 * also takes size 0 as an empty file). */
	return fmemopen((void *)input, input_len, "r");
}

/* The users and groups "on" the fuzzing host.  "bigentry" needs a larger
 * buffer than the parser's first, to cover its ERANGE loop. */
static const struct {
	const char *name;
	unsigned id;
	size_t need;
} fuzz_ids[] = {
	{ "root", 0, 16 }, { "www-data", 33, 16 }, { "ktlsd", 990, 16 },
	{ "nobody", 65534, 16 },
	{ "bigentry", 4242, 5000 },
};

static int fuzz_lookup(const char *name, char *buf, size_t len, unsigned *id, char **copy)
{
	for (size_t i = 0; i < sizeof(fuzz_ids) / sizeof(fuzz_ids[0]); i++) {
		if (strcmp(name, fuzz_ids[i].name) != 0)
			continue;
		if (len < fuzz_ids[i].need || len < strlen(name) + 1)
			return ERANGE;
		strcpy(buf, name);
		*copy = buf;
		*id = fuzz_ids[i].id;
		return 1;
	}
	return 0;
}

static int fuzz_getpwnam_r(const char *name, struct passwd *pw, char *buf, size_t len,
			   struct passwd **found)
{
	unsigned id;
	char *copy;
	int rc = fuzz_lookup(name, buf, len, &id, &copy);

	*found = NULL;
	if (rc != 1)
		return rc;
	memset(pw, 0, sizeof(*pw));
	pw->pw_name = copy;
	pw->pw_uid = id;
	pw->pw_gid = id;
	*found = pw;
	return 0;
}

static int fuzz_getgrnam_r(const char *name, struct group *gr, char *buf, size_t len,
			   struct group **found)
{
	unsigned id;
	char *copy;
	int rc = fuzz_lookup(name, buf, len, &id, &copy);

	*found = NULL;
	if (rc != 1)
		return rc;
	memset(gr, 0, sizeof(*gr));
	gr->gr_name = copy;
	gr->gr_gid = id;
	*found = gr;
	return 0;
}

static void check_role_ref(const struct cfg *cfg, const char *name, unsigned role)
{
	const struct cfg_profile *p;

	if (!name)
		return;
	p = cfg_find_profile(cfg, name);
	CHECK(p != NULL);
	CHECK(p->roles & role);
}

static void check_profile(const struct cfg *cfg, const struct cfg_profile *p)
{
	CHECK(valid_profile_name(p->name));
	CHECK(cfg_find_profile(cfg, p->name) == p);	/* names are unique */
	CHECK(p->roles >= CFG_ROLE_CLIENT && p->roles <= (CFG_ROLE_CLIENT | CFG_ROLE_SERVER));
	CHECK(p->verify == KTLS_VERIFY_DEFAULT || p->verify == KTLS_VERIFY_REQUIRED ||
	      p->verify == KTLS_VERIFY_OPTIONAL || p->verify == KTLS_VERIFY_NONE);
	CHECK(!p->cert_file == !p->key_file);
	CHECK(!(p->roles & CFG_ROLE_SERVER) || p->cert_file || p->psk_file);
	CHECK(p->handshake_timeout_ms > 0 && p->handshake_timeout_ms <= MAX_TIMEOUT_MS);
	CHECK(p->ticket_wait_ms >= CFG_TICKET_WAIT_AUTO &&
	      p->ticket_wait_ms <= CFG_TICKET_WAIT_MAX_MS);
	CHECK(!p->cert_file || p->cert_file[0] == '/');
	CHECK(!p->key_file || p->key_file[0] == '/');
	CHECK(!p->ca_file || p->ca_file[0] == '/');
	CHECK(!p->psk_file || p->psk_file[0] == '/');
	CHECK(!p->alpn || (p->alpn[0] && !strpbrk(p->alpn, " \t")));
	for (size_t i = 0; i < p->n_server_names; i++) {
		const char *name = p->server_names[i];

		CHECK(name[0] != '\0');
		for (const char *c = name; *c; c++)
			CHECK(*c < 'A' || *c > 'Z');
		/* The profile answers its own names (exact first, then by wildcard). */
		if (name[0] != '*')
			CHECK(cfg_profile_for_sni(cfg, name) == p);
	}
	(void)cfg_peer_allowed(p, 0, 0, NULL, 0);
	(void)cfg_peer_allowed(p, 4242, 65534, (const gid_t[]){ 0, 65534 }, 2);
}

static void check_config(const struct cfg *cfg)
{
	CHECK(cfg->path && strcmp(cfg->path, CONF_NAME) == 0);
	CHECK(cfg->socket_path && cfg->socket_path[0] == '/');
	CHECK(cfg->n_profiles >= 1);
	CHECK(cfg->max_handshakes >= 1);
	CHECK(cfg->kernel.n_keyrings <= CFG_KERNEL_KEYRINGS_MAX);
	for (size_t i = 0; i < cfg->kernel.n_keyrings; i++)
		CHECK(cfg->kernel.keyrings[i] && cfg->kernel.keyrings[i][0]);
	for (size_t i = 0; i < cfg->n_profiles; i++)
		check_profile(cfg, &cfg->profiles[i]);
	check_role_ref(cfg, cfg->client_profile, CFG_ROLE_CLIENT);
	check_role_ref(cfg, cfg->server_profile, CFG_ROLE_SERVER);
	check_role_ref(cfg, cfg->kernel.client_profile, CFG_ROLE_CLIENT);
	check_role_ref(cfg, cfg->kernel.server_profile, CFG_ROLE_SERVER);
	/* What requests will ask of it. */
	(void)cfg_select_profile(cfg, KTLS_ROLE_CLIENT, NULL, NULL);
	(void)cfg_select_profile(cfg, KTLS_ROLE_SERVER, NULL, "www.example.com");
	(void)cfg_select_profile(cfg, KTLS_ROLE_SERVER, cfg->profiles[0].name, NULL);
	(void)cfg_kernel_profile(cfg, KTLS_ROLE_CLIENT);
	(void)cfg_kernel_profile(cfg, KTLS_ROLE_SERVER);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int verbose = -1;
	struct cfg *cfg = (struct cfg *)1;
	char err[512];
	int rc;

	if (size > CONF_MAX)
		return -1;
	input = data;
	input_len = size;
	memset(err, 0x55, sizeof(err));
	rc = cfg_load(CONF_NAME, &cfg, err, sizeof(err));
	if (verbose < 0)
		verbose = getenv("FUZZ_VERBOSE") != NULL;
	if (verbose)	/* for whoever writes seeds: what did it make of it? */
		fprintf(stderr, "cfg_load: %s\n", rc == 0 ? "loaded" : err);
	if (rc == 0) {
		CHECK(cfg != NULL);
		check_config(cfg);
		cfg_free(cfg);
	} else {
		CHECK(rc < 0);
		CHECK(cfg == NULL);
		CHECK(memchr(err, '\0', sizeof(err)) != NULL);
		CHECK(strncmp(err, CONF_NAME ":", strlen(CONF_NAME ":")) == 0);
	}
	return 0;
}

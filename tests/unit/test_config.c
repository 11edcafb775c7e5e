// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ktlsd.conf parsing: built-in defaults, a full file, every error class with
 * its exact "path:line: message", and the profile selection rules (SNI,
 * role defaults, ACLs) the daemon relies on for access control.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"
#include "process/log.h"

static char tmpdir[] = "/tmp/ktlsd-test-config-XXXXXX";
static char conf_path[sizeof(tmpdir) + 32];
static char err[512];

static int make_tmpdir(void **state)
{
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(conf_path, sizeof(conf_path), "%s/ktlsd.conf", tmpdir);
	return 0;
}

static int remove_tmpdir(void **state)
{
	unlink(conf_path);
	return rmdir(tmpdir);
}

static void write_conf(const char *text)
{
	FILE *f = fopen(conf_path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static struct cfg *load_ok(const char *text)
{
	struct cfg *cfg = NULL;
	int rc;

	write_conf(text);
	err[0] = '\0';
	rc = cfg_load(conf_path, &cfg, err, sizeof(err));
	if (rc != 0)
		fail_msg("cfg_load: %d %s", rc, err);
	assert_non_null(cfg);
	return cfg;
}

/* Loading text must fail with EINVAL and "PATH:line: ...phrase...". */
static void expect_error(const char *text, unsigned line, const char *phrase)
{
	struct cfg *cfg = (struct cfg *)0x1;
	char prefix[256];
	int rc;

	write_conf(text);
	err[0] = '\0';
	rc = cfg_load(conf_path, &cfg, err, sizeof(err));
	if (line)
		snprintf(prefix, sizeof(prefix), "%s:%u: ", conf_path, line);
	else
		snprintf(prefix, sizeof(prefix), "%s: ", conf_path);
	if (rc != -EINVAL || strncmp(err, prefix, strlen(prefix)) != 0 || !strstr(err, phrase))
		fail_msg("want -EINVAL, \"%s...%s...\"; got %d, \"%s\"\nconfig:\n%s",
			 prefix, phrase, rc, err, text);
	assert_null(cfg);
}

static void test_builtin_defaults(void **state)
{
	struct cfg *cfg = NULL;
	const struct cfg_profile *p;

	assert_int_equal(cfg_load(NULL, &cfg, err, sizeof(err)), 0);
	assert_null(cfg->path);
	assert_string_equal(cfg->socket_path, "/run/ktlsd/ktlsd.sock");
	assert_int_equal(cfg->workers, 0);
	assert_int_equal(cfg->max_handshakes, 16384);
	assert_int_equal(cfg->handshake_timeout_ms, 10000);
	assert_int_equal(cfg->log_syslog, 0);
	assert_int_equal(cfg->log_level, LOG_LVL_INFO);
	assert_int_equal(cfg->n_profiles, 1);
	p = &cfg->profiles[0];
	assert_string_equal(p->name, "default");
	assert_int_equal(p->roles, CFG_ROLE_CLIENT);
	assert_null(p->ca_file);
	assert_null(p->cert_file);
	assert_null(p->key_file);
	assert_int_equal(p->verify, KTLS_VERIFY_REQUIRED);
	assert_int_equal(p->handshake_timeout_ms, 10000);
	assert_int_equal(p->ticket_wait_ms, CFG_TICKET_WAIT_AUTO);
	assert_string_equal(cfg->client_profile, "default");
	assert_null(cfg->server_profile);
	assert_ptr_equal(cfg_select_profile(cfg, KTLS_ROLE_CLIENT, NULL, NULL), p);
	assert_null(cfg_select_profile(cfg, KTLS_ROLE_SERVER, NULL, "x.example.com"));
	cfg_free(cfg);
}

static const char full_conf[] =
	"# ktlsd test configuration\n"
	"[global]\n"
	"socket = /run/test/ktlsd.sock\n"
	"workers = 3\n"
	"max_handshakes = 100\n"
	"handshake_timeout = 5s\n"
	"log = syslog\n"
	"log_level = debug\n"
	"user = nobody\n"
	"group = nogroup\n"
	"client_profile = outbound\n"
	"server_profile = web\n"
	"\n"
	"[profile outbound]\n"
	"role = client\n"
	"ca_file = /etc/ktlsd/ca.pem\n"
	"alpn = h2, http/1.1\n"
	"allowed_uids = 0, 1000, nobody\n"
	"\n"
	"; semicolon comments too\n"
	"[profile web]\n"
	"  role = server          ; indented keys are keys\n"
	"  certificate = /etc/ktlsd/web.crt\n"
	"  key = /etc/ktlsd/web.key\n"
	"  server_names = www.Example.com, *.example.com\n"
	"  verify = optional\n"
	"  ca_file = system\n"
	"  allowed_gids = 0, nogroup, 4242\n"
	"  handshake_timeout = 750ms\n"
	"  priority = NORMAL:-VERS-TLS1.2\n"
	"\n"
	"[profile mesh.internal-1]\n"
	"role = both\n"
	"certificate = /etc/ktlsd/mesh.crt\n"
	"key = /etc/ktlsd/mesh.key\n"
	"psk_file = /etc/ktlsd/mesh.psk\n"
	"server_names = mesh.internal\n"
	"handshake_timeout = 2500\n";

static void test_full_file(void **state)
{
	struct cfg *cfg = load_ok(full_conf);
	const struct cfg_profile *out, *web, *mesh;

	assert_string_equal(cfg->path, conf_path);
	assert_string_equal(cfg->socket_path, "/run/test/ktlsd.sock");
	assert_int_equal(cfg->workers, 3);
	assert_int_equal(cfg->max_handshakes, 100);
	assert_int_equal(cfg->handshake_timeout_ms, 5000);
	assert_int_equal(cfg->log_syslog, 1);
	assert_int_equal(cfg->log_level, LOG_LVL_DEBUG);
	assert_string_equal(cfg->user, "nobody");
	assert_string_equal(cfg->group, "nogroup");
	assert_string_equal(cfg->client_profile, "outbound");
	assert_string_equal(cfg->server_profile, "web");
	assert_int_equal(cfg->n_profiles, 3);

	out = cfg_find_profile(cfg, "outbound");
	assert_non_null(out);
	assert_int_equal(out->roles, CFG_ROLE_CLIENT);
	assert_string_equal(out->ca_file, "/etc/ktlsd/ca.pem");
	assert_string_equal(out->alpn, "h2,http/1.1");
	assert_int_equal(out->verify, KTLS_VERIFY_REQUIRED);
	assert_int_equal(out->n_allowed_uids, 3);
	assert_int_equal(out->allowed_uids[0], 0);
	assert_int_equal(out->allowed_uids[1], 1000);
	assert_int_equal(out->allowed_uids[2], 65534);	/* nobody */
	assert_int_equal(out->n_allowed_gids, 0);
	assert_int_equal(out->handshake_timeout_ms, 5000);	/* from [global] */
	assert_null(out->priority);

	web = cfg_find_profile(cfg, "web");
	assert_non_null(web);
	assert_int_equal(web->roles, CFG_ROLE_SERVER);
	assert_string_equal(web->cert_file, "/etc/ktlsd/web.crt");
	assert_string_equal(web->key_file, "/etc/ktlsd/web.key");
	assert_null(web->ca_file);
	assert_int_equal(web->n_server_names, 2);
	assert_string_equal(web->server_names[0], "www.example.com");	/* lowered */
	assert_string_equal(web->server_names[1], "*.example.com");
	assert_int_equal(web->verify, KTLS_VERIFY_OPTIONAL);
	assert_int_equal(web->n_allowed_gids, 3);
	assert_int_equal(web->allowed_gids[0], 0);
	assert_int_equal(web->allowed_gids[1], 65534);	/* nogroup */
	assert_int_equal(web->allowed_gids[2], 4242);
	assert_int_equal(web->handshake_timeout_ms, 750);
	assert_string_equal(web->priority, "NORMAL:-VERS-TLS1.2");

	mesh = cfg_find_profile(cfg, "mesh.internal-1");
	assert_non_null(mesh);
	assert_int_equal(mesh->roles, CFG_ROLE_CLIENT | CFG_ROLE_SERVER);
	assert_string_equal(mesh->psk_file, "/etc/ktlsd/mesh.psk");
	assert_int_equal(mesh->handshake_timeout_ms, 2500);
	/* Unset on a two-role profile: each role's own default. */
	assert_int_equal(mesh->verify, KTLS_VERIFY_DEFAULT);
	assert_null(cfg_find_profile(cfg, "Web"));	/* names are case-sensitive */
	cfg_free(cfg);
}

static void test_verify_defaults_per_role(void **state)
{
	struct cfg *cfg = load_ok("[profile c]\n"
				  "[profile s]\nrole = server\npsk_file = /k.psk\n");

	assert_int_equal(cfg_find_profile(cfg, "c")->roles, CFG_ROLE_CLIENT);
	assert_int_equal(cfg_find_profile(cfg, "c")->verify, KTLS_VERIFY_REQUIRED);
	assert_int_equal(cfg_find_profile(cfg, "s")->verify, KTLS_VERIFY_NONE);
	cfg_free(cfg);
}

static void test_role_defaults_pick_first_capable(void **state)
{
	struct cfg *cfg = load_ok("[profile s1]\nrole = server\npsk_file = /a\n"
				  "[profile c1]\nrole = client\n"
				  "[profile s2]\nrole = server\npsk_file = /b\n"
				  "[profile c2]\n");

	assert_string_equal(cfg->client_profile, "c1");
	assert_string_equal(cfg->server_profile, "s1");
	cfg_free(cfg);

	cfg = load_ok("[profile only-client]\n");
	assert_string_equal(cfg->client_profile, "only-client");
	assert_null(cfg->server_profile);
	assert_null(cfg_select_profile(cfg, KTLS_ROLE_SERVER, NULL, NULL));
	cfg_free(cfg);
}

static void test_timeouts(void **state)
{
	static const struct {
		const char *text;
		unsigned ms;
	} cases[] = {
		{ "10s", 10000 }, { "500ms", 500 }, { "250", 250 }, { "3600s", 3600000 },
		{ "1ms", 1 },
	};
	char text[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cfg *cfg;

		snprintf(text, sizeof(text), "[global]\nhandshake_timeout = %s\n[profile a]\n",
			 cases[i].text);
		cfg = load_ok(text);
		assert_int_equal(cfg->handshake_timeout_ms, cases[i].ms);
		assert_int_equal(cfg->profiles[0].handshake_timeout_ms, cases[i].ms);
		cfg_free(cfg);
	}
}

static void test_ticket_wait(void **state)
{
	static const struct {
		const char *text;
		int ms;
	} cases[] = {
		{ "auto", CFG_TICKET_WAIT_AUTO }, { "none", 0 }, { "20ms", 20 }, { "5s", 5000 },
		{ "1", 1 },
	};
	char text[128];
	struct cfg *cfg;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "[profile a]\nticket_wait = %s\n", cases[i].text);
		cfg = load_ok(text);
		assert_int_equal(cfg->profiles[0].ticket_wait_ms, cases[i].ms);
		cfg_free(cfg);
	}
	cfg = load_ok("[profile a]\nrole = client\n");	/* unset: auto */
	assert_int_equal(cfg->profiles[0].ticket_wait_ms, CFG_TICKET_WAIT_AUTO);
	cfg_free(cfg);
	expect_error("[profile a]\nticket_wait = 6s\n", 2, "is not auto, none or a wait");
	expect_error("[profile a]\nticket_wait = 0\n", 2, "is not auto, none or a wait");
	expect_error("[profile a]\nticket_wait = never\n", 2, "is not auto, none or a wait");
}

/* [global] signers: auto (the default, 0) or 1..64. */
static void test_signers(void **state)
{
	struct cfg *cfg = load_ok("[global]\nsigners = 8\n[profile a]\nrole = client\n");

	assert_int_equal(cfg->signers, 8);
	cfg_free(cfg);
	cfg = load_ok("[global]\nsigners = auto\n[profile a]\nrole = client\n");
	assert_int_equal(cfg->signers, CFG_SIGNERS_AUTO);
	cfg_free(cfg);
	cfg = load_ok("[profile a]\nrole = client\n");
	assert_int_equal(cfg->signers, CFG_SIGNERS_AUTO);
	cfg_free(cfg);
	expect_error("[global]\nsigners = 0\n[profile a]\n", 2, "is not auto or a number from 1 to 64");
	expect_error("[global]\nsigners = 65\n[profile a]\n", 2, "is not auto or a number");
	expect_error("[global]\nsigners = many\n[profile a]\n", 2, "is not auto or a number");
}

/* Server resumption keys: defaults, values, bounds, who may opt in. */

#define CERT_KEY "certificate = /etc/ktlsd/c.pem\nkey = /etc/ktlsd/c.key\n"
static void test_server_resumption_keys(void **state)
{
	struct cfg *cfg;

	(void)state;
	cfg = load_ok("[profile a]\nrole = server\n" CERT_KEY "");
	assert_int_equal(cfg->profiles[0].session_tickets, 1);
	assert_int_equal(cfg->profiles[0].session_ids, 1);
	assert_int_equal(cfg->profiles[0].session_lifetime_s, CFG_SESSION_LIFETIME_DEFAULT);
	assert_int_equal(cfg->profiles[0].resumption_psk_only, 0);
	assert_null(cfg->ticket_key_file);
	cfg_free(cfg);
	cfg = load_ok("[global]\nticket_key_file = /etc/ktlsd/t.key\n"
		      "[profile a]\nrole = server\n" CERT_KEY
		      "session_tickets = off\nsession_ids = no\n"
		      "session_lifetime = 604800s\nresumption_psk_only = on\n");
	assert_string_equal(cfg->ticket_key_file, "/etc/ktlsd/t.key");
	assert_int_equal(cfg->profiles[0].session_tickets, 0);
	assert_int_equal(cfg->profiles[0].session_ids, 0);
	assert_int_equal(cfg->profiles[0].session_lifetime_s, 604800);
	assert_int_equal(cfg->profiles[0].resumption_psk_only, 1);
	cfg_free(cfg);
	expect_error("[profile a]\nrole = server\n" CERT_KEY "session_lifetime = 0\n", 5,
		     "is not a number of seconds");
	expect_error("[profile a]\nrole = server\n" CERT_KEY "session_lifetime = 604801\n", 5,
		     "is not a number of seconds");
	expect_error("[profile a]\nrole = server\n" CERT_KEY "session_lifetime = -5\n", 5,
		     "is not a number of seconds");
	expect_error("[profile a]\nrole = server\n" CERT_KEY "session_tickets = maybe\n", 5,
		     "is not on or off");
	expect_error("[profile a]\nrole = both\n" CERT_KEY "resumption_psk_only = on\n", 5,
		     "needs role = server");
	expect_error("[global]\nticket_key_file = t.key\n[profile a]\n", 2, "");
}

/* early_data (profile) and early_data_window ([global]): sizes, the
 * limits, and the combinations that cannot carry 0-RTT. */
static void test_early_data_keys(void **state)
{
	struct cfg *cfg;

	(void)state;
	cfg = load_ok("[profile a]\nrole = server\n" CERT_KEY "");
	assert_int_equal(cfg->profiles[0].early_data_max, 0);
	assert_int_equal(cfg->early_data_window_ms, CFG_EARLY_WINDOW_DEFAULT_MS);
	cfg_free(cfg);
	cfg = load_ok("[global]\nearly_data_window = 600s\n"
		      "[profile a]\nrole = server\n" CERT_KEY "early_data = 14k\n"
		      "[profile b]\nrole = both\n" CERT_KEY "early_data = 1\n"
		      "[profile c]\nrole = server\n" CERT_KEY "early_data = off\n");
	assert_int_equal(cfg->early_data_window_ms, 600000);
	assert_int_equal(cfg->profiles[0].early_data_max, 14336);
	assert_int_equal(cfg->profiles[1].early_data_max, 1);
	assert_int_equal(cfg->profiles[2].early_data_max, 0);
	cfg_free(cfg);
	expect_error("[profile a]\nrole = server\n" CERT_KEY "early_data = 14337\n", 5,
		     "is not off or a size from 1 to 14336");
	expect_error("[profile a]\nrole = server\n" CERT_KEY "early_data = 15k\n", 5,
		     "is not off or a size");
	expect_error("[profile a]\nrole = server\n" CERT_KEY "early_data = 0\n", 5,
		     "is not off or a size");
	expect_error("[profile a]\nrole = server\n" CERT_KEY "early_data = on\n", 5,
		     "is not off or a size");
	expect_error("[profile a]\nrole = server\n" CERT_KEY "early_data = 4kb\n", 5,
		     "is not off or a size");
	expect_error("[profile a]\nrole = client\nearly_data = 1024\n", 3,
		     "early_data needs role = server or both");
	expect_error("[profile a]\nrole = server\n" CERT_KEY
		     "session_tickets = off\nearly_data = 1024\n", 6,
		     "early_data needs session_tickets = on");
	expect_error("[global]\nearly_data_window = 1500ms\n[profile a]\n", 2,
		     "is not a whole number of seconds");
	expect_error("[global]\nearly_data_window = 3601s\n[profile a]\n", 2,
		     "is not a whole number of seconds");
}

static void test_missing_file(void **state)
{
	struct cfg *cfg = (struct cfg *)0x1;
	char path[128], want[256];

	snprintf(path, sizeof(path), "%s/absent.conf", tmpdir);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	assert_int_equal(cfg_load(path, &cfg, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, want);
	assert_null(cfg);
}

static void test_directory_is_an_error(void **state)
{
	struct cfg *cfg = NULL;

	assert_true(cfg_load(tmpdir, &cfg, err, sizeof(err)) < 0);
	assert_null(cfg);
	assert_non_null(strstr(err, tmpdir));
}

static void test_errors_sections(void **state)
{
	expect_error("[global]\nworkers = 1\n[globl]\n", 3, "unknown section [globl]");
	expect_error("[profile]\n", 1, "needs a name");
	expect_error("[profile a]\n[profile b]\n\n[profile a]\n", 4,
		     "duplicate profile \"a\" (first on line 1)");
	expect_error("[profile bad/name]\n", 1, "bad profile name");
	expect_error("[profile "
		     "a1234567890123456789012345678901234567890123456789012345678901234]\n",
		     1, "bad profile name");
	expect_error("[global]\n[profile a]\n[global]\n", 3, "duplicate [global]");
	expect_error("workers = 2\n[profile a]\n", 1, "outside any section");
	expect_error("", 0, "no profiles");
	expect_error("[global]\nworkers = 2\n", 0, "no profiles");
}

static void test_errors_keys(void **state)
{
	expect_error("[global]\nsockett = /x\n[profile a]\n", 2,
		     "unknown key \"sockett\" in [global]");
	expect_error("[profile a]\nrole = client\ncert = /x\n", 3,
		     "unknown key \"cert\" in [profile a]");
	expect_error("[profile a]\nrole = client\n\nrole = server\n", 4,
		     "role is already set on line 2");
	expect_error("[profile a]\nthis line has no equals sign\n", 2, "syntax error");
	expect_error("[profile a\n", 1, "syntax error");
}

static void test_errors_values(void **state)
{
	static const struct {
		const char *text;
		unsigned line;
		const char *phrase;
	} cases[] = {
		{ "[global]\nworkers = many\n[profile a]\n", 2, "workers: \"many\" is not a number" },
		{ "[global]\nworkers = -1\n[profile a]\n", 2, "workers:" },
		{ "[global]\nmax_handshakes = 0\n[profile a]\n", 2, "max_handshakes:" },
		{ "[global]\nhandshake_timeout = 10m\n[profile a]\n", 2, "handshake_timeout:" },
		{ "[global]\nhandshake_timeout = 0\n[profile a]\n", 2, "handshake_timeout:" },
		{ "[global]\nhandshake_timeout = 3601s\n[profile a]\n", 2, "handshake_timeout:" },
		{ "[global]\nlog = file\n[profile a]\n", 2, "not stderr or syslog" },
		{ "[global]\nlog_level = loud\n[profile a]\n", 2, "not error, warn, info or debug" },
		{ "[global]\nsocket = run/ktlsd.sock\n[profile a]\n", 2, "not an absolute path" },
		{ "[global]\nuser = no-such-user-ktlsd\n[profile a]\n", 2, "no such user" },
		{ "[global]\ngroup = no-such-group-ktlsd\n[profile a]\n", 2, "no such group" },
		{ "[global]\nsocket =\n[profile a]\n", 2, "socket:" },
		{ "[profile a]\nrole = peer\n", 2, "not client, server or both" },
		{ "[profile a]\nverify = maybe\n", 2, "not required, optional or none" },
		{ "[profile a]\ncertificate = web.crt\nkey = /k\n", 2, "not an absolute path" },
		{ "[profile a]\nca_file = certs/ca.pem\n", 2, "not an absolute path" },
		{ "[profile a]\nallowed_uids = 0, no-such-user-ktlsd\n", 2,
		  "no such user \"no-such-user-ktlsd\"" },
		{ "[profile a]\nallowed_gids = no-such-group-ktlsd\n", 2, "no such group" },
		{ "[profile a]\nallowed_uids = 0,,1\n", 2, "empty item" },
		{ "[profile a]\nalpn = h2,\n", 2, "empty item" },
		{ "[profile a]\nrole = server\npsk_file = /p\nserver_names = a..b\n", 4,
		  "not a host name" },
		{ "[profile a]\nrole = server\npsk_file = /p\nserver_names = *.\n", 4,
		  "not a host name" },
		{ "[profile a]\nrole = server\npsk_file = /p\nserver_names = a.*.com\n", 4,
		  "not a host name" },
		{ "[profile a]\npriority = NORMAL:+BOGUS-CIPHER\n", 2,
		  "rejects \"NORMAL:+BOGUS-CIPHER\" at position 7 (\"+BOGUS-CIPHER\")" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_error(cases[i].text, cases[i].line, cases[i].phrase);
}

static void test_errors_whole_profile(void **state)
{
	expect_error("[profile a]\nrole = client\ncertificate = /c\n", 3,
		     "certificate needs a key");
	expect_error("[profile a]\nkey = /k\nrole = client\n", 2, "key needs a certificate");
	expect_error("[profile a]\n\nrole = server\nverify = none\n", 3,
		     "role = server needs a certificate and key, or a psk_file");
	expect_error("[profile a]\nrole = both\n", 2, "role = both needs a certificate");
	expect_error("[profile a]\nrole = client\nverify = optional\n", 3,
		     "verify = optional is for server profiles only");
	expect_error("[profile a]\nrole = both\npsk_file = /p\nverify = optional\n", 4,
		     "verify = optional is for server profiles only");
	expect_error("[profile a]\nserver_names = a.example.com\n", 2,
		     "server_names needs role = server or both");
	expect_error("[profile a]\nrole = server\npsk_file = /p\nserver_names = x.org, A.example\n"
		     "[profile b]\nrole = server\npsk_file = /p\nserver_names = a.example\n", 8,
		     "server name \"a.example\" is already answered by profile \"a\"");
}

static void test_errors_role_references(void **state)
{
	expect_error("[global]\nlog = stderr\nclient_profile = nope\n[profile a]\n", 3,
		     "client_profile: no profile named \"nope\"");
	expect_error("[global]\nclient_profile = s\n[profile s]\nrole = server\npsk_file = /p\n",
		     2, "client_profile: profile \"s\" has role = server");
	expect_error("[profile c]\n[global]\n\nserver_profile = c\n", 4,
		     "server_profile: profile \"c\" has role = client");
	expect_error("[global]\nserver_profile = gone\n[profile a]\n", 2,
		     "server_profile: no profile named \"gone\"");
}

/* [kernel]: the profiles for the kernel's requests and the keyrings to link. */
static void test_kernel_section(void **state)
{
	struct cfg *cfg = load_ok("[global]\nclient_profile = app\nserver_profile = web\n"
				  "[kernel]\nclient_profile = nfs-client\n"
				  "server_profile = both\n"
				  "keyrings = .nvme .nfs, 12345,\t_uid.0\n"
				  "[profile app]\n"
				  "[profile nfs-client]\nrole = client\n"
				  "[profile web]\nrole = server\npsk_file = /p\n"
				  "[profile both]\nrole = both\npsk_file = /p\n");

	assert_string_equal(cfg->kernel.client_profile, "nfs-client");
	assert_string_equal(cfg->kernel.server_profile, "both");
	assert_int_equal(cfg->kernel.n_keyrings, 4);
	assert_string_equal(cfg->kernel.keyrings[0], ".nvme");
	assert_string_equal(cfg->kernel.keyrings[1], ".nfs");
	assert_string_equal(cfg->kernel.keyrings[2], "12345");
	assert_string_equal(cfg->kernel.keyrings[3], "_uid.0");
	assert_string_equal(cfg_kernel_profile(cfg, KTLS_ROLE_CLIENT)->name, "nfs-client");
	assert_string_equal(cfg_kernel_profile(cfg, KTLS_ROLE_SERVER)->name, "both");
	/* applications keep the [global] defaults */
	assert_string_equal(cfg_select_profile(cfg, KTLS_ROLE_CLIENT, NULL, NULL)->name, "app");
	assert_string_equal(cfg_select_profile(cfg, KTLS_ROLE_SERVER, NULL, NULL)->name, "web");
	cfg_free(cfg);
}

/* Without [kernel] (or with only keyrings), kernel requests get the
 * [global] role defaults, explicit or implied. */
static void test_kernel_defaults(void **state)
{
	struct cfg *cfg = load_ok("[kernel]\nkeyrings = 2147483647\n"
				  "[profile c]\n[profile s]\nrole = server\npsk_file = /p\n");

	assert_null(cfg->kernel.client_profile);
	assert_null(cfg->kernel.server_profile);
	assert_int_equal(cfg->kernel.n_keyrings, 1);
	assert_string_equal(cfg_kernel_profile(cfg, KTLS_ROLE_CLIENT)->name, "c");
	assert_string_equal(cfg_kernel_profile(cfg, KTLS_ROLE_SERVER)->name, "s");
	cfg_free(cfg);

	cfg = load_ok("[global]\nclient_profile = b\n[profile a]\n[profile b]\n");
	assert_int_equal(cfg->kernel.n_keyrings, 0);
	assert_string_equal(cfg_kernel_profile(cfg, KTLS_ROLE_CLIENT)->name, "b");
	assert_null(cfg_kernel_profile(cfg, KTLS_ROLE_SERVER));
	cfg_free(cfg);

	assert_int_equal(cfg_load(NULL, &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg_kernel_profile(cfg, KTLS_ROLE_CLIENT)->name, "default");
	assert_null(cfg_kernel_profile(cfg, KTLS_ROLE_SERVER));
	assert_int_equal(cfg->kernel.n_keyrings, 0);
	cfg_free(cfg);
	assert_null(cfg_kernel_profile(NULL, KTLS_ROLE_CLIENT));
}

static void test_errors_kernel(void **state)
{
	static const char servers[] = "[profile s]\nrole = server\npsk_file = /p\n";
	static const struct {
		const char *text;
		unsigned line;
		const char *phrase;
	} cases[] = {
		{ "[profile a]\n[kernel]\n\nclient_profile = nope\n", 4,
		  "[kernel] client_profile: no profile named \"nope\"" },
		{ "[kernel]\nserver_profile = gone\n[profile a]\n", 2,
		  "[kernel] server_profile: no profile named \"gone\"" },
		{ "[kernel]\nclient_profile = s\n[profile s]\nrole = server\npsk_file = /p\n", 2,
		  "[kernel] client_profile: profile \"s\" has role = server" },
		{ "[profile c]\n[kernel]\nserver_profile = c\n", 3,
		  "[kernel] server_profile: profile \"c\" has role = client" },
		{ "[kernel]\nclient_profile = a/b\n[profile a]\n", 2,
		  "client_profile: \"a/b\" is not a profile name" },
		{ "[kernel]\nkeyrings = a b c d e f g h i\n[profile a]\n", 2,
		  "keyrings: more than 8 keyrings" },
		{ "[kernel]\nkeyrings = 1, 2, 3, 4, 5, 6, 7, 8, 9\n[profile a]\n", 2,
		  "keyrings: more than 8 keyrings" },
		{ "[kernel]\nkeyrings = .nvme, 12x\n[profile a]\n", 2,
		  "keyrings: \"12x\" is not a keyring serial (1 to 2147483647) or a name" },
		{ "[kernel]\nkeyrings = 0\n[profile a]\n", 2, "\"0\" is not a keyring serial" },
		{ "[kernel]\nkeyrings = -3\n[profile a]\n", 2, "\"-3\" is not a keyring serial" },
		{ "[kernel]\nkeyrings = 2147483648\n[profile a]\n", 2,
		  "\"2147483648\" is not a keyring serial" },
		{ "[kernel]\nkeyrings = .nvme .nfs .nvme\n[profile a]\n", 2,
		  "keyring \".nvme\" is listed twice" },
		{ "[kernel]\nkeyrings = .nvme,,.nfs\n[profile a]\n", 2, "empty item" },
		{ "[kernel]\nkeyrings =\n[profile a]\n", 2, "keyrings: empty item" },
		{ "[kernel]\nkeyrings = .nvme\nkeyrings = .nfs\n[profile a]\n", 3,
		  "keyrings is already set on line 2" },
		{ "[kernel]\nuser = root\n[profile a]\n", 2, "unknown key \"user\" in [kernel]" },
		{ "[kernel]\n[profile a]\n[kernel]\n", 3,
		  "duplicate [kernel] section (first on line 1)" },
	};
	char text[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_error(cases[i].text, cases[i].line, cases[i].phrase);
	/* a name of 129 bytes is too long, 128 is fine */
	snprintf(text, sizeof(text), "%s[kernel]\nkeyrings = k%0127d\n", servers, 0);
	cfg_free(load_ok(text));
	snprintf(text, sizeof(text), "%s[kernel]\nkeyrings = k%0128d\n", servers, 0);
	expect_error(text, 5, "is longer than 128 bytes");
}

static void test_long_line_refused(void **state)
{
	char text[1024];
	int n = snprintf(text, sizeof(text), "[profile a]\nca_file = /");

	memset(text + n, 'x', 600);
	strcpy(text + n + 600, "\n");
	expect_error(text, 2, "line too long");
}

/* A UTF-8 byte order mark and blanks inside the brackets are fine. */
static void test_bom_and_bracket_blanks(void **state)
{
	struct cfg *cfg = load_ok("\xef\xbb\xbf[ global ]\nworkers = 2\n[ profile  web ]\n");

	assert_int_equal(cfg->workers, 2);
	assert_non_null(cfg_find_profile(cfg, "web"));
	cfg_free(cfg);
}

/* The last line may lack a newline. */
static void test_no_trailing_newline(void **state)
{
	struct cfg *cfg = load_ok("[profile a]\nrole = client");

	assert_int_equal(cfg->profiles[0].roles, CFG_ROLE_CLIENT);
	cfg_free(cfg);
}

static const char sni_conf[] =
	"[profile wild]\nrole = server\npsk_file = /p\nserver_names = *.example.com\n"
	"[profile exact]\nrole = server\npsk_file = /p\n"
	"server_names = api.example.com, example.com\n"
	"[profile cli]\nrole = client\n"
	"[profile other]\nrole = both\npsk_file = /p\nserver_names = Other.ORG\n";

static void test_sni_matching(void **state)
{
	struct cfg *cfg = load_ok(sni_conf);
	const struct cfg_profile *wild = cfg_find_profile(cfg, "wild"),
				 *exact = cfg_find_profile(cfg, "exact"),
				 *other = cfg_find_profile(cfg, "other");

	assert_ptr_equal(cfg_profile_for_sni(cfg, "www.example.com"), wild);
	assert_ptr_equal(cfg_profile_for_sni(cfg, "WWW.Example.COM"), wild);
	/* An exact name beats a wildcard listed earlier. */
	assert_ptr_equal(cfg_profile_for_sni(cfg, "api.example.com"), exact);
	assert_ptr_equal(cfg_profile_for_sni(cfg, "API.EXAMPLE.COM"), exact);
	assert_ptr_equal(cfg_profile_for_sni(cfg, "example.com"), exact);
	assert_ptr_equal(cfg_profile_for_sni(cfg, "other.org"), other);
	/* One label only, and a non-empty one. */
	assert_null(cfg_profile_for_sni(cfg, "a.b.example.com"));
	assert_null(cfg_profile_for_sni(cfg, ".example.com"));
	assert_null(cfg_profile_for_sni(cfg, "wwwexample.com"));
	assert_null(cfg_profile_for_sni(cfg, "example.com.evil.net"));
	assert_null(cfg_profile_for_sni(cfg, "www.example.co"));
	assert_null(cfg_profile_for_sni(cfg, ""));
	assert_null(cfg_profile_for_sni(cfg, NULL));
	cfg_free(cfg);
}

static void test_select_profile(void **state)
{
	struct cfg *cfg = load_ok(sni_conf);
	const struct cfg_profile *wild = cfg_find_profile(cfg, "wild"),
				 *exact = cfg_find_profile(cfg, "exact"),
				 *cli = cfg_find_profile(cfg, "cli"),
				 *other = cfg_find_profile(cfg, "other");

	/* By name: only if the profile has the role. */
	assert_ptr_equal(cfg_select_profile(cfg, KTLS_ROLE_SERVER, "exact", "x.example.com"), exact);
	assert_null(cfg_select_profile(cfg, KTLS_ROLE_CLIENT, "exact", NULL));
	assert_null(cfg_select_profile(cfg, KTLS_ROLE_SERVER, "cli", NULL));
	assert_ptr_equal(cfg_select_profile(cfg, KTLS_ROLE_CLIENT, "other", NULL), other);
	assert_null(cfg_select_profile(cfg, KTLS_ROLE_CLIENT, "missing", NULL));
	/* Client without a name: client_profile (the first client-capable). */
	assert_string_equal(cfg->client_profile, "cli");
	assert_ptr_equal(cfg_select_profile(cfg, KTLS_ROLE_CLIENT, NULL, NULL), cli);
	assert_ptr_equal(cfg_select_profile(cfg, KTLS_ROLE_CLIENT, "", "www.example.com"), cli);
	/* Server: SNI, else server_profile (the first server-capable). */
	assert_ptr_equal(cfg_select_profile(cfg, KTLS_ROLE_SERVER, NULL, "api.example.com"), exact);
	assert_ptr_equal(cfg_select_profile(cfg, KTLS_ROLE_SERVER, NULL, "OTHER.org"), other);
	assert_string_equal(cfg->server_profile, "wild");
	assert_ptr_equal(cfg_select_profile(cfg, KTLS_ROLE_SERVER, NULL, "unknown.net"), wild);
	assert_ptr_equal(cfg_select_profile(cfg, KTLS_ROLE_SERVER, NULL, NULL), wild);
	assert_null(cfg_select_profile(cfg, (enum ktls_role)7, NULL, NULL));
	cfg_free(cfg);
}

static void test_peer_allowed(void **state)
{
	struct cfg *cfg = load_ok("[profile open]\n"
				  "[profile users]\nallowed_uids = 1000, 1001\n"
				  "[profile groups]\nallowed_gids = 50\n"
				  "[profile both]\nallowed_uids = 1000\nallowed_gids = 50\n");
	const struct cfg_profile *open = cfg_find_profile(cfg, "open"),
				 *users = cfg_find_profile(cfg, "users"),
				 *groups = cfg_find_profile(cfg, "groups"),
				 *both = cfg_find_profile(cfg, "both");

	assert_true(cfg_peer_allowed(open, 1234, 1234, NULL, 0));
	assert_true(cfg_peer_allowed(open, 0, 0, NULL, 0));
	assert_true(cfg_peer_allowed(users, 1001, 999, NULL, 0));
	assert_false(cfg_peer_allowed(users, 1002, 999, NULL, 0));
	assert_false(cfg_peer_allowed(users, 0, 0, NULL, 0));	/* root is not special */
	assert_true(cfg_peer_allowed(groups, 7, 50, NULL, 0));
	assert_false(cfg_peer_allowed(groups, 50, 7, NULL, 0));	/* uid 50 is not gid 50 */
	assert_true(cfg_peer_allowed(both, 1000, 1, NULL, 0));
	assert_true(cfg_peer_allowed(both, 1, 50, NULL, 0));
	assert_false(cfg_peer_allowed(both, 1, 1, NULL, 0));
	assert_false(cfg_peer_allowed(NULL, 0, 0, NULL, 0));
	cfg_free(cfg);
}

/* A profile holding a key or PSK, with no ACL of its own, admits root and
 * ktlsd's own ids only (issue 9, item 5); one that holds no secret stays
 * open; an explicit ACL replaces the default. */
static void test_peer_allowed_default_for_secrets(void **state)
{
	struct cfg *cfg = load_ok("[profile verify-only]\nca_file = /ca.pem\n"
				  "[profile mtls]\ncertificate = /c.pem\nkey = /c.key\n"
				  "[profile psk]\nrole = server\npsk_file = /p\n"
				  "[profile listed]\nrole = server\npsk_file = /p\n"
				  "allowed_uids = 4242\n");
	const struct cfg_profile *open = cfg_find_profile(cfg, "verify-only"),
				 *mtls = cfg_find_profile(cfg, "mtls"),
				 *psk = cfg_find_profile(cfg, "psk"),
				 *listed = cfg_find_profile(cfg, "listed");
	uid_t stranger = geteuid() == 4343 ? 4344 : 4343;
	gid_t stranger_gid = getegid() == 4343 ? 4344 : 4343;
	char acl[512];

	assert_true(cfg_peer_allowed(open, stranger, stranger_gid, NULL, 0));
	assert_false(cfg_peer_allowed(mtls, stranger, stranger_gid, NULL, 0));
	assert_false(cfg_peer_allowed(psk, stranger, stranger_gid, NULL, 0));
	assert_true(cfg_peer_allowed(mtls, 0, stranger_gid, NULL, 0));		/* root */
	assert_true(cfg_peer_allowed(psk, geteuid(), stranger_gid, NULL, 0));	/* ktlsd's user */
	assert_true(cfg_peer_allowed(psk, stranger, getegid(), NULL, 0));	/* ktlsd's group */
	assert_true(cfg_peer_allowed(listed, 4242, stranger_gid, NULL, 0));
	assert_false(cfg_peer_allowed(listed, 0, 0, NULL, 0));	/* the list means the list */

	cfg_describe_acl(cfg, open, acl, sizeof(acl));
	assert_non_null(strstr(acl, "any local user"));
	cfg_describe_acl(cfg, psk, acl, sizeof(acl));
	assert_non_null(strstr(acl, "root"));
	assert_non_null(strstr(acl, "ktlsd's own uid"));
	assert_non_null(strstr(acl, "members of ktlsd's own gid (primary or supplementary"));
	cfg_describe_acl(cfg, listed, acl, sizeof(acl));
	assert_string_equal(acl, "uid 4242");
	cfg_free(cfg);

	cfg = load_ok("[global]\nuser = root\ngroup = root\n"
		      "[profile psk]\nrole = server\npsk_file = /p\n"
		      "[profile both]\nrole = server\npsk_file = /p\n"
		      "allowed_uids = 1\nallowed_gids = 2, 3\n");
	cfg_describe_acl(cfg, cfg_find_profile(cfg, "psk"), acl, sizeof(acl));
	assert_non_null(strstr(acl, "user root"));
	assert_non_null(strstr(acl, "group root"));
	cfg_describe_acl(cfg, cfg_find_profile(cfg, "both"), acl, sizeof(acl));
	assert_string_equal(acl, "uid 1, gid 2, gid 3 (members by primary or supplementary group)");
	cfg_free(cfg);
}

/* A group admits its members whether it is their primary or a supplementary
 * group (`usermod -aG ktlsd app` adds a supplementary one), in allowed_gids
 * and in the default ACL of a key-holding profile (issue 9, item 5).
 * Supplementary groups only admit: uids and the other lists are unchanged. */
static void test_peer_allowed_supplementary_groups(void **state)
{
	struct cfg *cfg = load_ok("[profile groups]\nallowed_gids = 50, 60\n"
				  "[profile users]\nallowed_uids = 1000\n"
				  "[profile psk]\nrole = server\npsk_file = /p\n"
				  "[profile open]\n");
	const struct cfg_profile *groups = cfg_find_profile(cfg, "groups"),
				 *users = cfg_find_profile(cfg, "users"),
				 *psk = cfg_find_profile(cfg, "psk"),
				 *open = cfg_find_profile(cfg, "open");
	uid_t stranger = geteuid() == 4343 ? 4344 : 4343;
	gid_t stranger_gid = getegid() == 4343 ? 4344 : 4343;
	const gid_t with_60[] = { 7, 8, 60 }, without[] = { 7, 8, 9 };
	const gid_t with_ktlsd[] = { stranger_gid + 1, getegid() };
	const gid_t others[] = { stranger_gid + 1, stranger_gid + 2 };

	/* explicit allowed_gids */
	assert_true(cfg_peer_allowed(groups, 1001, 1001, with_60, 3));
	assert_false(cfg_peer_allowed(groups, 1001, 1001, without, 3));
	assert_false(cfg_peer_allowed(groups, 1001, 1001, with_60, 2));	/* only n count */
	assert_false(cfg_peer_allowed(groups, 1001, 1001, NULL, 3));
	assert_false(cfg_peer_allowed(groups, 60, 1001, without, 3));	/* a uid is not a gid */
	assert_false(cfg_peer_allowed(users, 1001, 1001, (const gid_t[]){ 1000 }, 1));
	assert_true(cfg_peer_allowed(open, 1001, 1001, without, 3));
	/* the default ACL of a key-holding profile: ktlsd's group, supplementary */
	assert_true(cfg_peer_allowed(psk, stranger, stranger_gid, with_ktlsd, 2));
	assert_false(cfg_peer_allowed(psk, stranger, stranger_gid, others, 2));
	assert_false(cfg_peer_allowed(psk, stranger, stranger_gid, with_ktlsd, 1));
	cfg_free(cfg);
}

/* psk_fallback: none (default) or certificate, only with a psk_file, and
 * a server needs a certificate to fall back to. */
static void test_psk_fallback(void **state)
{
	struct cfg *cfg = load_ok("[profile a]\npsk_file = /p\n"
				  "[profile b]\npsk_file = /p\npsk_fallback = certificate\n"
				  "[profile c]\npsk_file = /p\npsk_fallback = none\n"
				  "[profile d]\nrole = server\npsk_file = /p\n"
				  "certificate = /c\nkey = /k\npsk_fallback = certificate\n");

	assert_int_equal(cfg_find_profile(cfg, "a")->psk_fallback, CFG_PSK_FALLBACK_NONE);
	assert_int_equal(cfg_find_profile(cfg, "b")->psk_fallback,
			 CFG_PSK_FALLBACK_CERTIFICATE);
	assert_int_equal(cfg_find_profile(cfg, "c")->psk_fallback, CFG_PSK_FALLBACK_NONE);
	assert_int_equal(cfg_find_profile(cfg, "d")->psk_fallback,
			 CFG_PSK_FALLBACK_CERTIFICATE);
	cfg_free(cfg);

	expect_error("[profile a]\npsk_file = /p\npsk_fallback = yes\n", 3,
		     "psk_fallback: \"yes\" is not none or certificate");
	expect_error("[profile a]\nca_file = /c\npsk_fallback = certificate\n", 3,
		     "psk_fallback needs a psk_file in [profile a]");
	expect_error("[profile a]\nrole = server\npsk_file = /p\npsk_fallback = certificate\n",
		     4, "psk_fallback = certificate needs a certificate and key for role = server");
}

/* The example config shipped in docs/ must load. */
static void test_example_config_loads(void **state)
{
	static const char *const candidates[] = {
		"docs/ktlsd.conf.example", "../docs/ktlsd.conf.example",
		"../../docs/ktlsd.conf.example", "../../../docs/ktlsd.conf.example",
	};
	struct cfg *cfg = NULL;

	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
		if (access(candidates[i], R_OK) != 0)
			continue;
		if (cfg_load(candidates[i], &cfg, err, sizeof(err)) != 0)
			fail_msg("%s", err);
		assert_true(cfg->n_profiles >= 2);
		cfg_free(cfg);
		return;
	}
	skip();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtin_defaults),
		cmocka_unit_test(test_full_file),
		cmocka_unit_test(test_verify_defaults_per_role),
		cmocka_unit_test(test_role_defaults_pick_first_capable),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_ticket_wait),
		cmocka_unit_test(test_signers),
		cmocka_unit_test(test_server_resumption_keys),
		cmocka_unit_test(test_early_data_keys),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_directory_is_an_error),
		cmocka_unit_test(test_errors_sections),
		cmocka_unit_test(test_errors_keys),
		cmocka_unit_test(test_errors_values),
		cmocka_unit_test(test_errors_whole_profile),
		cmocka_unit_test(test_errors_role_references),
		cmocka_unit_test(test_kernel_section),
		cmocka_unit_test(test_kernel_defaults),
		cmocka_unit_test(test_errors_kernel),
		cmocka_unit_test(test_long_line_refused),
		cmocka_unit_test(test_no_trailing_newline),
		cmocka_unit_test(test_bom_and_bracket_blanks),
		cmocka_unit_test(test_sni_matching),
		cmocka_unit_test(test_select_profile),
		cmocka_unit_test(test_peer_allowed),
		cmocka_unit_test(test_peer_allowed_default_for_secrets),
		cmocka_unit_test(test_peer_allowed_supplementary_groups),
		cmocka_unit_test(test_psk_fallback),
		cmocka_unit_test(test_example_config_loads),
	};

	return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}

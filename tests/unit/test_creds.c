// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Credentials: which secret files are refused and why, PSK file parsing,
 * certificates and trust stores, and priorities narrowed to what the kernel
 * can offload (never widened).  The certificates are made here with the
 * GnuTLS x509 API; a PSK handshake over a socketpair checks the server
 * callback end to end.
 *
 * gnutls_certificate_set_x509_system_trust is wrapped (test_creds.wrap) so
 * an empty system store can be simulated; by default it calls the real one.
 */
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"
#include "keys/creds.h"
#include "keys/secret_file.h"
#include "unit_files.h"

#define KEY_HEX_16 "00112233445566778899aabbccddeeff"
#define KEY_HEX_32 KEY_HEX_16 "FFEEDDCCBBAA99887766554433221100"

static char err[1024];

/* ---- the wrapped system trust store ---- */

int __real_gnutls_certificate_set_x509_system_trust(gnutls_certificate_credentials_t cred);
int __wrap_gnutls_certificate_set_x509_system_trust(gnutls_certificate_credentials_t cred);

static int system_trust_result = INT_MIN;	/* INT_MIN: the real store */
static int system_trust_calls;

int __wrap_gnutls_certificate_set_x509_system_trust(gnutls_certificate_credentials_t cred)
{
	system_trust_calls++;
	if (system_trust_result == INT_MIN)
		return __real_gnutls_certificate_set_x509_system_trust(cred);
	return system_trust_result;
}

/* ---- files ---- */

/* A self-signed ECDSA P-256 CA certificate for cn and its key. */
static void make_ec_cert(const char *cert_name, const char *key_name, const char *cn)
{
	unit_make_cert(cert_name, key_name, cn, GNUTLS_PK_ECDSA,
		       GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1));
}

static int setup_dir(void **state)
{
	if (unit_tmpdir_create("creds") < 0)
		return -1;
	make_ec_cert("a.crt", "a.key", "a.test");
	make_ec_cert("b.crt", "b.key", "b.test");
	return 0;
}

static int remove_dir(void **state)
{
	creds_set_kernel_ciphers(NULL);
	return unit_tmpdir_remove();
}

/* Each test starts from the default kernel ciphers and the real trust store. */
static int reset_globals(void **state)
{
	creds_set_kernel_ciphers(NULL);
	system_trust_result = INT_MIN;
	system_trust_calls = 0;
	return 0;
}

/* ---- configs ---- */

/* Loads conf (which must parse) and its credentials; returns creds_load_all's
 * result, err holding its message. */
static int load(const char *conf, struct cfg **out)
{
	int rc;

	unit_write_text("ktlsd.conf", conf, 0644);
	err[0] = '\0';
	rc = cfg_load(unit_tmp_path("ktlsd.conf"), out, err, sizeof(err));
	if (rc != 0)
		fail_msg("cfg_load: %s", err);
	return creds_load_all(*out, false, err, sizeof(err));
}

static void unload(struct cfg *cfg)
{
	creds_free_all(cfg);
	cfg_free(cfg);
}

/* A server profile "web" with certificate a.crt and key key_name. */
static int load_web(const char *key_name, const char *extra, struct cfg **out)
{
	char conf[1024];

	snprintf(conf, sizeof(conf), "[profile web]\nrole = server\ncertificate = %s\n"
		 "key = %s\n%s", unit_tmp_path("a.crt"), unit_tmp_path(key_name), extra ? extra : "");
	return load(conf, out);
}

static void expect_load_error(const char *conf, int want_rc, const char *phrase)
{
	struct cfg *cfg = NULL;
	int rc = load(conf, &cfg);

	if (rc != want_rc || !strstr(err, phrase))
		fail_msg("want %d \"...%s...\", got %d \"%s\"", want_rc, phrase, rc, err);
	for (size_t i = 0; i < cfg->n_profiles; i++)
		assert_null(cfg->profiles[i].creds);
	unload(cfg);
}

/* ---- secret files ---- */

static void test_secret_mode_0640_refused(void **state)
{
	char want[512];

	unit_write_text("k0640", "secret", 0640);
	snprintf(want, sizeof(want), "key file %s is readable by group/others (mode 0640); "
		 "chmod 600 it", unit_tmp_path("k0640"));
	assert_int_equal(creds_check_secret_file(unit_tmp_path("k0640"), err, sizeof(err)), -EPERM);
	assert_string_equal(err, want);
}

static void test_secret_other_modes_refused(void **state)
{
	static const struct {
		mode_t mode;
		const char *phrase;
	} cases[] = {
		{ 0604, "readable by group/others (mode 0604)" },
		{ 0644, "readable by group/others (mode 0644)" },
		{ 0620, "accessible by group/others (mode 0620)" },
		{ 0601, "accessible by group/others (mode 0601)" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unit_write_text("kmode", "secret", cases[i].mode);
		assert_int_equal(creds_check_secret_file(unit_tmp_path("kmode"), err, sizeof(err)),
				 -EPERM);
		assert_non_null(strstr(err, cases[i].phrase));
	}
}

static void test_secret_0600_and_0400_accepted(void **state)
{
	unit_write_text("k0600", "secret", 0600);
	assert_int_equal(creds_check_secret_file(unit_tmp_path("k0600"), err, sizeof(err)), 0);
	unit_write_text("k0400", "secret", 0400);
	assert_int_equal(creds_check_secret_file(unit_tmp_path("k0400"), err, sizeof(err)), 0);
}

static void test_secret_symlink_refused(void **state)
{
	unit_write_text("real.key", "secret", 0600);
	unlink(unit_tmp_path("link.key"));
	assert_int_equal(symlink(unit_tmp_path("real.key"), unit_tmp_path("link.key")), 0);
	assert_int_equal(creds_check_secret_file(unit_tmp_path("link.key"), err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "is a symbolic link"));
}

static void test_secret_not_owned_refused(void **state)
{
	if (geteuid() != 0)
		skip();	/* only root can give a file away */
	unit_write_text("nobody.key", "secret", 0600);
	assert_int_equal(chown(unit_tmp_path("nobody.key"), 65534, 65534), 0);
	assert_int_equal(creds_check_secret_file(unit_tmp_path("nobody.key"), err, sizeof(err)),
			 -EPERM);
	assert_non_null(strstr(err, "is owned by uid 65534"));
	assert_non_null(strstr(err, "chown it"));
}

static void test_secret_missing_and_special(void **state)
{
	assert_int_equal(creds_check_secret_file(unit_tmp_path("absent.key"), err, sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, "No such file or directory"));

	mkdir(unit_tmp_path("dir.key"), 0700);
	assert_int_equal(creds_check_secret_file(unit_tmp_path("dir.key"), err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "is not a regular file"));

	unlink(unit_tmp_path("fifo.key"));
	assert_int_equal(mkfifo(unit_tmp_path("fifo.key"), 0600), 0);
	assert_int_equal(creds_check_secret_file(unit_tmp_path("fifo.key"), err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "is not a regular file"));
}

/* ---- certificates, trust and priorities ---- */

static int kernel_capable(unsigned cipher)
{
	return cipher == GNUTLS_CIPHER_AES_128_GCM || cipher == GNUTLS_CIPHER_AES_256_GCM ||
	       cipher == GNUTLS_CIPHER_AES_128_CCM || cipher == GNUTLS_CIPHER_CHACHA20_POLY1305;
}

static void test_cert_and_key_load(void **state)
{
	struct cfg *cfg = NULL;
	const struct creds *c;
	const unsigned *list;
	int n;

	assert_int_equal(load_web("a.key", NULL, &cfg), 0);
	c = cfg->profiles[0].creds;
	assert_non_null(c);
	assert_non_null(c->x509);
	assert_non_null(c->priority);
	assert_null(c->psk_server);
	assert_null(c->psk_client);
	assert_int_equal(system_trust_calls, 0);	/* verify = none: no trust needed */

	n = gnutls_priority_cipher_list(c->priority, &list);
	assert_true(n > 0);
	for (int i = 0; i < n; i++)
		if (!kernel_capable(list[i]))
			fail_msg("cipher %s is not one kTLS runs", gnutls_cipher_get_name(list[i]));
	n = gnutls_priority_protocol_list(c->priority, &list);
	assert_true(n > 0);
	for (int i = 0; i < n; i++)
		assert_true(list[i] == GNUTLS_TLS1_3 || list[i] == GNUTLS_TLS1_2);
	unload(cfg);
}

static void test_key_mode_refused_in_profile(void **state)
{
	struct cfg *cfg = NULL;
	char want[512];

	unit_write_text("loose.key", "not even a key", 0644);
	snprintf(want, sizeof(want), "profile web: key file %s is readable by group/others "
		 "(mode 0644); chmod 600 it", unit_tmp_path("loose.key"));
	assert_int_equal(load_web("loose.key", NULL, &cfg), -EPERM);
	assert_string_equal(err, want);
	assert_null(cfg->profiles[0].creds);
	unload(cfg);
}

static void test_cert_key_mismatch(void **state)
{
	struct cfg *cfg = NULL;

	assert_int_equal(load_web("b.key", NULL, &cfg), -EINVAL);
	assert_non_null(strstr(err, "profile web: certificate "));
	assert_non_null(strstr(err, "b.key"));
	unload(cfg);
}

/* Fills names with the profile's ciphers, sorted by GnuTLS id. */
static unsigned cipher_set(const struct cfg *cfg, unsigned *ids, unsigned max)
{
	const unsigned *list;
	int n = gnutls_priority_cipher_list(cfg->profiles[0].creds->priority, &list);
	unsigned count = 0;

	for (int i = 0; i < n && count < max; i++)
		ids[count++] = list[i];
	for (unsigned i = 1; i < count; i++)
		for (unsigned j = i; j > 0 && ids[j - 1] > ids[j]; j--) {
			unsigned t = ids[j];

			ids[j] = ids[j - 1];
			ids[j - 1] = t;
		}
	return count;
}

static void test_kernel_ciphers_narrow(void **state)
{
	struct cfg *cfg = NULL;
	unsigned ids[16];

	creds_set_kernel_ciphers(":-CIPHER-ALL:+AES-128-GCM:+CHACHA20-POLY1305");
	assert_int_equal(load_web("a.key", NULL, &cfg), 0);
	assert_int_equal(cipher_set(cfg, ids, 16), 2);
	assert_int_equal(ids[0], GNUTLS_CIPHER_AES_128_GCM);
	assert_int_equal(ids[1], GNUTLS_CIPHER_CHACHA20_POLY1305);
	unload(cfg);
}

/* What the profile removed stays removed: the kernel list only subtracts. */
static void test_kernel_ciphers_never_widen(void **state)
{
	struct cfg *cfg = NULL;
	const unsigned *list;
	unsigned ids[16];

	creds_set_kernel_ciphers(":-CIPHER-ALL:+AES-128-GCM:+CHACHA20-POLY1305");
	assert_int_equal(load_web("a.key", "priority = NORMAL:-CHACHA20-POLY1305\n", &cfg), 0);
	assert_int_equal(cipher_set(cfg, ids, 16), 1);
	assert_int_equal(ids[0], GNUTLS_CIPHER_AES_128_GCM);
	unload(cfg);

	assert_int_equal(load_web("a.key", "priority = NORMAL:-VERS-TLS1.2\n", &cfg), 0);
	assert_int_equal(gnutls_priority_protocol_list(cfg->profiles[0].creds->priority, &list), 1);
	assert_int_equal(list[0], GNUTLS_TLS1_3);
	unload(cfg);
}

static void test_priority_without_kernel_cipher(void **state)
{
	char conf[512];

	creds_set_kernel_ciphers(":-CIPHER-ALL:+AES-128-GCM");
	snprintf(conf, sizeof(conf), "[profile web]\nrole = server\npsk_file = %s\n"
		 "priority = NORMAL:-AES-128-GCM\n", unit_tmp_path("good.psk"));
	unit_write_text("good.psk", "alice:" KEY_HEX_16 "\n", 0600);
	expect_load_error(conf, -EINVAL, "profile web: priority \"NORMAL:-AES-128-GCM\" leaves "
			  "no cipher the kernel can run");

	snprintf(conf, sizeof(conf), "[profile web]\nrole = server\npsk_file = %s\n"
		 "priority = NORMAL:-VERS-ALL:+VERS-TLS1.1\n", unit_tmp_path("good.psk"));
	expect_load_error(conf, -EINVAL, "profile web: priority \"NORMAL:-VERS-ALL:+VERS-TLS1.1\" "
			  "leaves neither TLS 1.2 nor TLS 1.3");
}

/* config.c checks the string too; here it is changed behind its back. */
static void test_bad_priority_string(void **state)
{
	struct cfg *cfg = NULL;
	int rc;

	unit_write_text("ktlsd.conf", "[profile c]\nverify = none\n", 0644);
	assert_int_equal(cfg_load(unit_tmp_path("ktlsd.conf"), &cfg, err, sizeof(err)), 0);
	free(cfg->profiles[0].priority);
	cfg->profiles[0].priority = strdup("NORMAL:+NO-SUCH-THING");
	rc = creds_load_all(cfg, false, err, sizeof(err));
	assert_int_equal(rc, -EINVAL);
	assert_non_null(strstr(err, "profile c: priority \"NORMAL:+NO-SUCH-THING\" is invalid "
				    "at position 7 (\"+NO-SUCH-THING"));
	assert_null(cfg->profiles[0].creds);
	unload(cfg);
}

static void test_ca_file(void **state)
{
	struct cfg *cfg = NULL;
	char conf[512];

	snprintf(conf, sizeof(conf), "[profile c]\nca_file = %s\n", unit_tmp_path("a.crt"));
	assert_int_equal(load(conf, &cfg), 0);
	assert_int_equal(system_trust_calls, 0);
	unload(cfg);

	unit_write_text("empty.pem", "", 0644);
	snprintf(conf, sizeof(conf), "[profile c]\nca_file = %s\n", unit_tmp_path("empty.pem"));
	expect_load_error(conf, -EINVAL, "holds no PEM certificate");

	unit_write_text("junk.pem", "this is not a certificate\n", 0644);
	snprintf(conf, sizeof(conf), "[profile c]\nca_file = %s\n", unit_tmp_path("junk.pem"));
	expect_load_error(conf, -EINVAL, "holds no PEM certificate");

	snprintf(conf, sizeof(conf), "[profile c]\nca_file = %s\n", unit_tmp_path("absent.pem"));
	expect_load_error(conf, -ENOENT, "absent.pem: No such file or directory");
}

static void test_system_trust(void **state)
{
	struct cfg *cfg = NULL;

	system_trust_result = 0;
	expect_load_error("[profile c]\n", -ENOENT, "profile c: system trust store is empty: "
			  "install ca-certificates or set ca_file");
	system_trust_result = GNUTLS_E_FILE_ERROR;
	expect_load_error("[profile c]\n", -ENOENT, "system trust store is empty");
	system_trust_result = 3;
	assert_int_equal(load("[profile c]\n", &cfg), 0);
	assert_int_equal(system_trust_calls, 3);
	unload(cfg);
}

/* ---- PSK ---- */

static const char good_psk[] =
	"# identities for the test\n"
	"\n"
	"alice:" KEY_HEX_16 "\r\n"
	"   bob : " KEY_HEX_32 "  \n"
	"carol.example:AABBCCDDEEFF00112233445566778899";	/* no final newline */

static void test_psk_file_parsed(void **state)
{
	struct cfg *cfg = NULL;
	const struct creds *c;
	const struct psk_entry *e;
	char conf[512];
	static const unsigned char alice_key[16] = {
		0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
		0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
	};

	unit_write_text("good.psk", good_psk, 0600);
	snprintf(conf, sizeof(conf), "[profile p]\nrole = both\npsk_file = %s\nverify = none\n",
		 unit_tmp_path("good.psk"));
	assert_int_equal(load(conf, &cfg), 0);
	c = cfg->profiles[0].creds;
	assert_int_equal(c->n_psk, 3);
	assert_non_null(c->psk_server);
	assert_non_null(c->psk_client);	/* role both */
	e = creds_find_psk(c, "alice");
	assert_non_null(e);
	assert_int_equal(e->key.size, 16);
	assert_memory_equal(e->key.data, alice_key, 16);
	e = creds_find_psk(c, "bob");
	assert_non_null(e);
	assert_int_equal(e->key.size, 32);
	assert_int_equal(e->key.data[16], 0xff);
	assert_int_equal(e->key.data[31], 0x00);
	assert_non_null(creds_find_psk(c, "carol.example"));
	assert_null(creds_find_psk(c, "carol"));
	assert_null(creds_find_psk(c, "Alice"));
	assert_null(creds_find_psk(c, NULL));
	unload(cfg);
}

static void test_psk_server_only_has_no_client_creds(void **state)
{
	struct cfg *cfg = NULL;
	char conf[512];

	unit_write_text("good.psk", good_psk, 0600);
	snprintf(conf, sizeof(conf), "[profile p]\nrole = server\npsk_file = %s\n",
		 unit_tmp_path("good.psk"));
	assert_int_equal(load(conf, &cfg), 0);
	assert_non_null(cfg->profiles[0].creds->psk_server);
	assert_null(cfg->profiles[0].creds->psk_client);
	unload(cfg);
}

static void test_psk_file_errors(void **state)
{
	static const struct {
		const char *text;
		unsigned line;
		const char *phrase;
	} cases[] = {
		{ "alice:0011223344556677\n", 1, "key must be 16 to 64 bytes" },
		{ "# c\n\nbob:" KEY_HEX_16 "0\n", 3, "key has an odd number of hex digits" },
		{ "carol:" KEY_HEX_16 "zz\n", 1, "key is not hexadecimal" },
		{ "\nno colon here\n", 2, "expected identity:hexkey" },
		{ ":" KEY_HEX_16 "\n", 1, "empty identity" },
		{ "two words:" KEY_HEX_16 "\n", 1, "identity has a blank or control character" },
		{ "a:" KEY_HEX_16 "\n#\na:" KEY_HEX_32 "\n", 3, "duplicate identity" },
		{ "big:" KEY_HEX_32 KEY_HEX_32 "00\n", 1, "key must be 16 to 64 bytes" },
	};
	char conf[512], want[512];

	snprintf(conf, sizeof(conf), "[profile p]\nrole = server\npsk_file = %s\n",
		 unit_tmp_path("bad.psk"));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unit_write_text("bad.psk", cases[i].text, 0600);
		snprintf(want, sizeof(want), "%s:%u: %s", unit_tmp_path("bad.psk"), cases[i].line,
			 cases[i].phrase);
		expect_load_error(conf, -EINVAL, want);
		assert_null(strstr(err, KEY_HEX_16));	/* never echo a key */
	}
	unit_write_text("bad.psk", "# only a comment\n\n", 0600);
	snprintf(want, sizeof(want), "%s: no PSK entries", unit_tmp_path("bad.psk"));
	expect_load_error(conf, -EINVAL, want);
	unit_write_text("bad.psk", "alice:" KEY_HEX_16 "\n", 0640);
	expect_load_error(conf, -EPERM, "profile p: psk file");
	assert_non_null(strstr(err, "(mode 0640); chmod 600 it"));
}

struct server_side {
	int fd;
	struct creds *creds;
	int rc;
	char username[64];
};

static void *run_psk_server(void *arg)
{
	struct server_side *srv = arg;
	gnutls_session_t s;
	const char *user;

	gnutls_init(&s, GNUTLS_SERVER);
	gnutls_priority_set(s, srv->creds->priority);
	gnutls_credentials_set(s, GNUTLS_CRD_PSK, srv->creds->psk_server);
	gnutls_session_set_ptr(s, srv->creds);	/* creds_psk_server_lookup */
	gnutls_transport_set_int(s, srv->fd);
	do
		srv->rc = gnutls_handshake(s);
	while (srv->rc < 0 && !gnutls_error_is_fatal(srv->rc));
	user = srv->rc == 0 ? gnutls_psk_server_get_username(s) : NULL;
	snprintf(srv->username, sizeof(srv->username), "%s", user ? user : "");
	if (srv->rc == 0)
		gnutls_bye(s, GNUTLS_SHUT_WR);
	gnutls_deinit(s);
	shutdown(srv->fd, SHUT_RDWR);
	return NULL;
}

/* Client with the first identity of client_psk against a server profile. */
static int psk_handshake(const char *client_psk, struct server_side *srv)
{
	struct cfg *server_cfg = NULL, *client_cfg = NULL;
	char conf[512];
	gnutls_session_t s;
	pthread_t thread;
	int fds[2], rc;

	unit_write_text("server.psk", "alice:" KEY_HEX_16 "\nbob:" KEY_HEX_32 "\n", 0600);
	snprintf(conf, sizeof(conf), "[profile srv]\nrole = server\npsk_file = %s\n"
		 "priority = NORMAL:+ECDHE-PSK:+PSK\n", unit_tmp_path("server.psk"));
	assert_int_equal(load(conf, &server_cfg), 0);
	unit_write_text("client.psk", client_psk, 0600);
	snprintf(conf, sizeof(conf), "[profile cli]\nrole = client\nverify = none\npsk_file = %s\n"
		 "priority = NORMAL:+ECDHE-PSK:+PSK\n", unit_tmp_path("client.psk"));
	assert_int_equal(load(conf, &client_cfg), 0);

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
	srv->fd = fds[1];
	srv->creds = server_cfg->profiles[0].creds;
	assert_int_equal(pthread_create(&thread, NULL, run_psk_server, srv), 0);

	gnutls_init(&s, GNUTLS_CLIENT);
	gnutls_priority_set(s, client_cfg->profiles[0].creds->priority);
	gnutls_credentials_set(s, GNUTLS_CRD_PSK, client_cfg->profiles[0].creds->psk_client);
	gnutls_transport_set_int(s, fds[0]);
	do
		rc = gnutls_handshake(s);
	while (rc < 0 && !gnutls_error_is_fatal(rc));
	if (rc < 0)
		shutdown(fds[0], SHUT_RDWR);	/* let the server see the end */
	pthread_join(thread, NULL);
	gnutls_deinit(s);
	close(fds[0]);
	close(fds[1]);
	unload(server_cfg);
	unload(client_cfg);
	return rc;
}

static void test_psk_handshake_uses_server_callback(void **state)
{
	struct server_side srv = { 0 };

	/* The client's default identity is the first in its file. */
	assert_int_equal(psk_handshake("bob:" KEY_HEX_32 "\nalice:" KEY_HEX_16 "\n", &srv), 0);
	assert_int_equal(srv.rc, 0);
	assert_string_equal(srv.username, "bob");
}

static void test_psk_handshake_unknown_identity_fails(void **state)
{
	struct server_side srv = { 0 };

	assert_true(psk_handshake("mallory:" KEY_HEX_16 "\n", &srv) < 0);
	assert_true(srv.rc < 0);
}

static void test_psk_handshake_wrong_key_fails(void **state)
{
	struct server_side srv = { 0 };

	assert_true(psk_handshake("alice:" KEY_HEX_32 "\n", &srv) < 0);
	assert_true(srv.rc < 0);
}

/* ---- the rest ---- */

static void test_alpn_split(void **state)
{
	struct cfg *cfg = NULL;
	const struct creds *c;

	assert_int_equal(load_web("a.key", "alpn = h2 , http/1.1,x\n", &cfg), 0);
	c = cfg->profiles[0].creds;
	assert_int_equal(c->n_alpn, 3);
	assert_int_equal(c->alpn[0].size, 2);
	assert_memory_equal(c->alpn[0].data, "h2", 2);
	assert_int_equal(c->alpn[1].size, 8);
	assert_memory_equal(c->alpn[1].data, "http/1.1", 8);
	assert_int_equal(c->alpn[2].size, 1);
	assert_memory_equal(c->alpn[2].data, "x", 1);
	unload(cfg);

	assert_int_equal(load_web("a.key", NULL, &cfg), 0);
	assert_null(cfg->profiles[0].creds->alpn);
	assert_int_equal(cfg->profiles[0].creds->n_alpn, 0);
	unload(cfg);
}

/* A failing profile frees what earlier profiles loaded. */
static void test_failure_frees_all(void **state)
{
	struct cfg *cfg = NULL;
	char conf[1024];

	unit_write_text("loose.key", "x", 0644);
	snprintf(conf, sizeof(conf), "[profile ok]\nca_file = %s\n"
		 "[profile web]\nrole = server\ncertificate = %s\nkey = %s\n",
		 unit_tmp_path("a.crt"), unit_tmp_path("a.crt"), unit_tmp_path("loose.key"));
	assert_int_equal(load(conf, &cfg), -EPERM);
	assert_null(cfg->profiles[0].creds);
	assert_null(cfg->profiles[1].creds);
	creds_free_all(cfg);	/* twice is harmless */
	unload(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_secret_mode_0640_refused, reset_globals),
		cmocka_unit_test_setup(test_secret_other_modes_refused, reset_globals),
		cmocka_unit_test_setup(test_secret_0600_and_0400_accepted, reset_globals),
		cmocka_unit_test_setup(test_secret_symlink_refused, reset_globals),
		cmocka_unit_test_setup(test_secret_not_owned_refused, reset_globals),
		cmocka_unit_test_setup(test_secret_missing_and_special, reset_globals),
		cmocka_unit_test_setup(test_cert_and_key_load, reset_globals),
		cmocka_unit_test_setup(test_key_mode_refused_in_profile, reset_globals),
		cmocka_unit_test_setup(test_cert_key_mismatch, reset_globals),
		cmocka_unit_test_setup(test_kernel_ciphers_narrow, reset_globals),
		cmocka_unit_test_setup(test_kernel_ciphers_never_widen, reset_globals),
		cmocka_unit_test_setup(test_priority_without_kernel_cipher, reset_globals),
		cmocka_unit_test_setup(test_bad_priority_string, reset_globals),
		cmocka_unit_test_setup(test_ca_file, reset_globals),
		cmocka_unit_test_setup(test_system_trust, reset_globals),
		cmocka_unit_test_setup(test_psk_file_parsed, reset_globals),
		cmocka_unit_test_setup(test_psk_server_only_has_no_client_creds, reset_globals),
		cmocka_unit_test_setup(test_psk_file_errors, reset_globals),
		cmocka_unit_test_setup(test_psk_handshake_uses_server_callback, reset_globals),
		cmocka_unit_test_setup(test_psk_handshake_unknown_identity_fails, reset_globals),
		cmocka_unit_test_setup(test_psk_handshake_wrong_key_fails, reset_globals),
		cmocka_unit_test_setup(test_alpn_split, reset_globals),
		cmocka_unit_test_setup(test_failure_frees_all, reset_globals),
	};

	return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}

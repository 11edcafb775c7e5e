// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The handshake engine's trust decisions, played against attackers: the
 * real handshake.c (hs_start/hs_step) on one end of a socketpair, a plain
 * GnuTLS peer in a thread on the other.  kTLS is not needed: every check
 * here happens before the keys would be installed.
 *
 *  - a PSK client profile must not accept a server that knows no PSK and
 *    answers with a certificate, even one its ca_file trusts (issue 9, 1);
 *  - with psk_fallback = certificate that certificate is verified like any
 *    other (CA and name);
 *  - a PSK server profile must not serve a client without the PSK;
 *  - a server request with verify none whose SNI picks a verify = required
 *    profile fails with EPERM, and the client gets a fatal alert
 *    (issue 9, 2); so does a caller the SNI profile's ACL does not admit,
 *    including the default ACL of a key-holding profile (issue 9, 5).
 */
#include <errno.h>
#include <gnutls/gnutls.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"
#include "keys/creds.h"
#include "engine/handshake.h"
#include "base/clock.h"
#include "engine/job.h"
#include "unit_files.h"

#define PSK_HEX "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define OTHER_HEX "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"
#define STEP_LIMIT_MS 10000

/* ---- the peer: plain GnuTLS, blocking, in a thread ---- */

struct peer {
	int fd;
	int server;
	const char *cert, *key;		/* certificate credentials, or NULL */
	const char *psk_identity;	/* PSK credentials, or NULL */
	const char *psk_hex;
	const char *sni;		/* client: server name to send */
	int rc;				/* its gnutls_handshake() */
	int alert;			/* the alert it got, -1 none */
	int auth;			/* gnutls_auth_get_type() after success */
};

static int peer_psk_lookup(gnutls_session_t s, const char *username, gnutls_datum_t *key)
{
	const struct peer *p = gnutls_session_get_ptr(s);
	const gnutls_datum_t hex = { (unsigned char *)(uintptr_t)p->psk_hex,
				     (unsigned)strlen(p->psk_hex) };
	size_t size = strlen(p->psk_hex) / 2;

	if (strcmp(username, p->psk_identity) != 0)
		return -1;
	key->data = gnutls_malloc(size);
	key->size = (unsigned)size;
	return key->data && gnutls_hex_decode(&hex, key->data, &size) == 0 ? 0 : -1;
}

static void *run_peer(void *arg)
{
	struct peer *p = arg;
	gnutls_session_t s;
	gnutls_certificate_credentials_t x509 = NULL;
	gnutls_psk_server_credentials_t psk_server = NULL;
	gnutls_psk_client_credentials_t psk_client = NULL;
	const gnutls_datum_t key = { (unsigned char *)(uintptr_t)p->psk_hex,
				     p->psk_hex ? (unsigned)strlen(p->psk_hex) : 0 };

	gnutls_init(&s, p->server ? GNUTLS_SERVER : GNUTLS_CLIENT);
	gnutls_session_set_ptr(s, p);
	gnutls_priority_set_direct(s, p->psk_identity ? "NORMAL:+ECDHE-PSK:+DHE-PSK:+PSK"
						      : "NORMAL", NULL);
	gnutls_certificate_allocate_credentials(&x509);
	if (p->cert)
		gnutls_certificate_set_x509_key_file(x509, p->cert, p->key, GNUTLS_X509_FMT_PEM);
	gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, x509);
	if (p->psk_identity && p->server) {
		gnutls_psk_allocate_server_credentials(&psk_server);
		gnutls_psk_set_server_credentials_function(psk_server, peer_psk_lookup);
		gnutls_credentials_set(s, GNUTLS_CRD_PSK, psk_server);
	} else if (p->psk_identity) {
		gnutls_psk_allocate_client_credentials(&psk_client);
		gnutls_psk_set_client_credentials(psk_client, p->psk_identity, &key,
						  GNUTLS_PSK_KEY_HEX);
		gnutls_credentials_set(s, GNUTLS_CRD_PSK, psk_client);
	}
	if (p->sni)
		gnutls_server_name_set(s, GNUTLS_NAME_DNS, p->sni, strlen(p->sni));
	gnutls_transport_set_int(s, p->fd);
	gnutls_handshake_set_timeout(s, STEP_LIMIT_MS);
	do
		p->rc = gnutls_handshake(s);
	while (p->rc < 0 && !gnutls_error_is_fatal(p->rc));
	p->alert = p->rc == GNUTLS_E_FATAL_ALERT_RECEIVED ? (int)gnutls_alert_get(s) : -1;
	p->auth = p->rc == 0 ? (int)gnutls_auth_get_type(s) : -1;
	if (p->rc < 0)
		shutdown(p->fd, SHUT_RDWR);	/* let our side see the end */
	gnutls_deinit(s);
	gnutls_certificate_free_credentials(x509);
	if (psk_server)
		gnutls_psk_free_server_credentials(psk_server);
	if (psk_client)
		gnutls_psk_free_client_credentials(psk_client);
	return NULL;
}

/* ---- our side: handshake.c as a worker drives it ---- */

static struct cfg_ref cfg_ref;
static char err[1024];

static void load_config(const char *text)
{
	struct cfg *cfg = NULL;

	unit_write_text("ktlsd.conf", text, 0600);
	err[0] = '\0';
	if (cfg_load(unit_tmp_path("ktlsd.conf"), &cfg, err, sizeof(err)) < 0)
		fail_msg("config: %s", err);
	if (creds_load_all(cfg, false, err, sizeof(err)) < 0)
		fail_msg("credentials: %s", err);
	cfg_ref.cfg = cfg;
	atomic_store(&cfg_ref.refs, 1000);	/* never freed by a job */
}

static int unload_config(void **state)
{
	(void)state;
	if (cfg_ref.cfg) {
		creds_free_all(cfg_ref.cfg);
		cfg_free(cfg_ref.cfg);
		cfg_ref.cfg = NULL;
	}
	return 0;
}

struct side {
	struct ktls_hs_request req;
	uid_t uid;			/* the caller; -1: a kernel request (no ACL) */
	int rc;
	char reason[KTLS_REASON_MAX];
};

/* Steps until done or failed, waiting the way worker.c does (the socket,
 * or job->wake_ms). */
static int drive(struct hs_job *job, char *reason, size_t reason_len)
{
	uint64_t give_up = clock_now_ms() + STEP_LIMIT_MS;
	int rc = hs_start(job, reason, reason_len);

	while (rc == 0 || rc == -EAGAIN) {
		struct pollfd pfd = { .fd = job->sock_fd };
		int wait_ms = 50;

		rc = hs_step(job, reason, reason_len);
		if (rc != -EAGAIN)
			return rc;
		if (clock_now_ms() > give_up)
			return -ETIMEDOUT;
		pfd.events = hs_wants_write(job) ? POLLOUT : POLLIN;
		if (job->wake_ms) {
			uint64_t now = clock_now_ms();
			wait_ms = job->wake_ms > now ? (int)(job->wake_ms - now) : 0;
			job->wake_ms = 0;
		}
		poll(&pfd, 1, wait_ms);
	}
	return rc;
}

/* One handshake: our side (side->req) against peer, over a socketpair. */
static void run(struct side *side, struct peer *peer)
{
	struct hs_job *job = calloc(1, sizeof(*job));
	pthread_t thread;
	int fds[2];

	assert_non_null(job);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
	peer->fd = fds[1];
	peer->server = side->req.role == KTLS_ROLE_CLIENT;
	assert_int_equal(pthread_create(&thread, NULL, run_peer, peer), 0);

	job->sock_fd = fds[0];
	job->conn_fd = side->uid == (uid_t)-1 ? -1 : STDIN_FILENO;	/* only "is it set" */
	job->caller.uid = side->uid == (uid_t)-1 ? 0 : side->uid;
	job->caller.gid = side->uid == (uid_t)-1 ? 0 : side->uid;
	job->req = side->req;
	job->cfg = &cfg_ref;
	job->started_ms = clock_now_ms();
	job->deadline_ms = job->started_ms + STEP_LIMIT_MS;
	job->profile = cfg_select_profile(cfg_ref.cfg, (enum ktls_role)side->req.role,
					  side->req.profile[0] ? side->req.profile : NULL, NULL);
	assert_non_null(job->profile);
	side->reason[0] = '\0';
	side->rc = drive(job, side->reason, sizeof(side->reason));
	shutdown(fds[0], SHUT_RDWR);
	pthread_join(thread, NULL);
	hs_free(job->hs);
	close(fds[0]);
	close(fds[1]);
	free(job);
	print_message("# ours: %d (%s) \"%s\"; peer: %d (%s) alert %d auth %d\n", side->rc,
		      side->rc < 0 ? strerror(-side->rc) : "ok", side->reason, peer->rc,
		      gnutls_strerror(peer->rc), peer->alert, peer->auth);
}

static struct side client(const char *profile, const char *server_name)
{
	struct side s = { .req = { .role = KTLS_ROLE_CLIENT }, .uid = 0 };

	snprintf(s.req.profile, sizeof(s.req.profile), "%s", profile);
	snprintf(s.req.server_name, sizeof(s.req.server_name), "%s", server_name);
	return s;
}

/* ---- fixtures ---- */

static int setup_dir(void **state)
{
	(void)state;
	if (unit_tmpdir_create("handshake-trust") < 0)
		return -1;
	/* Self-signed CA certificates: each can be its own trust anchor. */
	unit_make_cert("a.crt", "a.key", "a.test", GNUTLS_PK_ECDSA,
		       GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1));
	unit_make_cert("evil.crt", "evil.key", "evil.test", GNUTLS_PK_ECDSA,
		       GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1));
	unit_write_text("client.psk", "dev1:" PSK_HEX "\n", 0600);
	unit_write_text("server.psk", "dev1:" PSK_HEX "\n", 0600);
	return 0;
}

static int remove_dir(void **state)
{
	(void)state;
	return unit_tmpdir_remove();
}

/* A client profile with a PSK and a ca_file that even trusts the
 * attacker's certificate: the PSK must still be the only way in. */
static void load_psk_client(const char *extra)
{
	char conf[2048];

	snprintf(conf, sizeof(conf),
		 "[profile psk]\nrole = client\npsk_file = %s\nca_file = %s\n%s",
		 unit_tmp_path("client.psk"), unit_tmp_path("evil.crt"), extra);
	load_config(conf);
}

/* ---- 1. PSK authenticates, or nothing does ---- */

static void test_psk_client_refuses_certificate_server(void **state)
{
	struct side ours = client("psk", "evil.test");
	struct peer attacker = { .cert = unit_tmp_path("evil.crt"),
				 .key = unit_tmp_path("evil.key") };

	(void)state;
	load_psk_client("");
	run(&ours, &attacker);
	assert_true(ours.rc < 0);
	assert_int_not_equal(ours.rc, -ETIMEDOUT);
	assert_int_not_equal(attacker.rc, 0);
}

/* Without a name to verify, and the certificate would not even be checked. */
static void test_psk_client_refuses_certificate_server_no_name(void **state)
{
	struct side ours = client("psk", "");
	struct peer attacker = { .cert = unit_tmp_path("evil.crt"),
				 .key = unit_tmp_path("evil.key") };

	(void)state;
	load_psk_client("");
	run(&ours, &attacker);
	assert_true(ours.rc < 0);
	assert_int_not_equal(ours.rc, -ETIMEDOUT);
}

static void test_psk_client_with_psk_server(void **state)
{
	struct side ours = client("psk", "");
	struct peer server = { .psk_identity = "dev1", .psk_hex = PSK_HEX };

	(void)state;
	load_psk_client("");
	run(&ours, &server);
	assert_int_equal(ours.rc, 0);
	assert_int_equal(server.rc, 0);
	assert_int_equal(server.auth, GNUTLS_CRD_PSK);
}

/* A server with the same identity but another key: no session. */
static void test_psk_client_wrong_key(void **state)
{
	struct side ours = client("psk", "");
	struct peer server = { .psk_identity = "dev1", .psk_hex = OTHER_HEX,
			       .cert = unit_tmp_path("evil.crt"),
			       .key = unit_tmp_path("evil.key") };

	(void)state;
	load_psk_client("");
	run(&ours, &server);
	assert_true(ours.rc < 0);
}

/* psk_fallback = certificate: a certificate may stand in, checked as any
 * client profile checks it: trusted CA and the requested name. */
static void test_psk_fallback_verifies_certificate(void **state)
{
	struct side ours = client("psk", "evil.test");
	struct peer server = { .cert = unit_tmp_path("evil.crt"),
			       .key = unit_tmp_path("evil.key") };

	(void)state;
	load_psk_client("psk_fallback = certificate\n");
	run(&ours, &server);
	assert_int_equal(ours.rc, 0);
	assert_int_equal(server.auth, GNUTLS_CRD_CERTIFICATE);

	ours = client("psk", "other.test");	/* wrong name */
	server = (struct peer){ .cert = unit_tmp_path("evil.crt"),
				.key = unit_tmp_path("evil.key") };
	run(&ours, &server);
	assert_int_equal(ours.rc, -EACCES);

	ours = client("psk", "a.test");		/* a CA the profile does not trust */
	server = (struct peer){ .cert = unit_tmp_path("a.crt"), .key = unit_tmp_path("a.key") };
	run(&ours, &server);
	assert_int_equal(ours.rc, -EKEYREJECTED);

	/* The PSK still works (a name is needed: a certificate could come). */
	ours = client("psk", "evil.test");
	server = (struct peer){ .psk_identity = "dev1", .psk_hex = PSK_HEX };
	run(&ours, &server);
	assert_int_equal(ours.rc, 0);
	assert_int_equal(server.auth, GNUTLS_CRD_PSK);
}

/* A server profile with a PSK (and a certificate): a client that has no
 * PSK gets no session through the certificate. */
static void test_psk_server_refuses_client_without_psk(void **state)
{
	char conf[2048];
	struct side ours = { .req = { .role = KTLS_ROLE_SERVER, .profile = "psk-srv" },
			     .uid = 0 };
	struct peer stranger = { .sni = "a.test" };

	(void)state;
	snprintf(conf, sizeof(conf), "[profile psk-srv]\nrole = server\npsk_file = %s\n"
		 "certificate = %s\nkey = %s\n", unit_tmp_path("server.psk"),
		 unit_tmp_path("a.crt"), unit_tmp_path("a.key"));
	load_config(conf);
	run(&ours, &stranger);
	assert_true(ours.rc < 0);
	assert_int_not_equal(ours.rc, -ETIMEDOUT);
	assert_int_not_equal(stranger.rc, 0);

	ours.req.verify = KTLS_VERIFY_DEFAULT;	/* a client with the PSK is served */
	stranger = (struct peer){ .psk_identity = "dev1", .psk_hex = PSK_HEX };
	run(&ours, &stranger);
	assert_int_equal(ours.rc, 0);
	assert_int_equal(stranger.auth, GNUTLS_CRD_PSK);
}

/* ---- 2. a request can tighten, never loosen: after SNI too ---- */

static void load_sni_profiles(void)
{
	char conf[4096];

	snprintf(conf, sizeof(conf),
		 "[global]\nserver_profile = open\n"
		 "[profile open]\nrole = server\ncertificate = %s\nkey = %s\nverify = none\n"
		 "allowed_uids = 0, 4242\n"
		 "[profile strict]\nrole = server\ncertificate = %s\nkey = %s\n"
		 "verify = required\nca_file = %s\nserver_names = strict.test\n"
		 "allowed_uids = 0, 4242\n"
		 "[profile private]\nrole = server\ncertificate = %s\nkey = %s\n"
		 "server_names = private.test\n",
		 unit_tmp_path("a.crt"), unit_tmp_path("a.key"), unit_tmp_path("a.crt"),
		 unit_tmp_path("a.key"), unit_tmp_path("a.crt"), unit_tmp_path("a.crt"),
		 unit_tmp_path("a.key"));
	load_config(conf);
}

static struct side sni_server(enum ktls_verify verify, uid_t uid)
{
	struct side s = { .req = { .role = KTLS_ROLE_SERVER, .verify = (uint8_t)verify },
			  .uid = uid };
	return s;
}

static void test_sni_cannot_turn_off_client_verification(void **state)
{
	struct side ours = sni_server(KTLS_VERIFY_NONE, 4242);
	struct peer client_without_cert = { .sni = "strict.test" };

	(void)state;
	load_sni_profiles();
	run(&ours, &client_without_cert);
	assert_int_equal(ours.rc, -EPERM);
	assert_non_null(strstr(ours.reason, "requires peer verification"));
	assert_non_null(strstr(ours.reason, "strict.test"));
	assert_int_equal(client_without_cert.rc, GNUTLS_E_FATAL_ALERT_RECEIVED);
	assert_int_equal(client_without_cert.alert, GNUTLS_A_ACCESS_DENIED);

	/* optional is looser than required too */
	ours = sni_server(KTLS_VERIFY_OPTIONAL, 4242);
	client_without_cert = (struct peer){ .sni = "strict.test" };
	run(&ours, &client_without_cert);
	assert_int_equal(ours.rc, -EPERM);
}

/* The same request, SNI for the default profile: served. */
static void test_sni_default_profile_still_served(void **state)
{
	struct side ours = sni_server(KTLS_VERIFY_NONE, 4242);
	struct peer c = { .sni = "www.example" };

	(void)state;
	load_sni_profiles();
	run(&ours, &c);
	assert_int_equal(ours.rc, 0);
	assert_int_equal(c.rc, 0);
}

/* The ACL of the profile SNI picks, here the default ACL of a profile that
 * holds a key and lists no one: root and ktlsd's own ids only.  uid 4242
 * may use the default profile "open", not "private". */
static void test_sni_profile_acl(void **state)
{
	struct side ours = sni_server(KTLS_VERIFY_DEFAULT, 4242);
	struct peer c = { .sni = "private.test" };

	(void)state;
	if (geteuid() == 4242 || getegid() == 4242)
		skip();
	load_sni_profiles();
	run(&ours, &c);
	assert_int_equal(ours.rc, -EPERM);
	assert_non_null(strstr(ours.reason, "may not use profile \"private\""));
	assert_int_equal(c.rc, GNUTLS_E_FATAL_ALERT_RECEIVED);

	ours = sni_server(KTLS_VERIFY_DEFAULT, 0);	/* root may */
	c = (struct peer){ .sni = "private.test" };
	run(&ours, &c);
	assert_int_equal(ours.rc, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_psk_client_refuses_certificate_server,
					  unload_config),
		cmocka_unit_test_teardown(test_psk_client_refuses_certificate_server_no_name,
					  unload_config),
		cmocka_unit_test_teardown(test_psk_client_with_psk_server, unload_config),
		cmocka_unit_test_teardown(test_psk_client_wrong_key, unload_config),
		cmocka_unit_test_teardown(test_psk_fallback_verifies_certificate, unload_config),
		cmocka_unit_test_teardown(test_psk_server_refuses_client_without_psk,
					  unload_config),
		cmocka_unit_test_teardown(test_sni_cannot_turn_off_client_verification,
					  unload_config),
		cmocka_unit_test_teardown(test_sni_default_profile_still_served, unload_config),
		cmocka_unit_test_teardown(test_sni_profile_acl, unload_config),
	};

	signal(SIGPIPE, SIG_IGN);	/* the GnuTLS peer writes to a closed socket */
	return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}

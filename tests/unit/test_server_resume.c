// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Server-side resumption through the real handshake engine: handshake.c
 * as a server on one end of a socketpair, a plain GnuTLS client in a
 * thread on the other that keeps its session and offers it again.  kTLS is
 * not needed: resumption is decided before the keys would be installed
 * (the VM suite t_resume_server.sh does the same against openssl and
 * gnutls-cli with kTLS and data).
 *
 *  - TLS 1.3 tickets, TLS 1.2 tickets and TLS 1.2 session IDs resume;
 *  - a ticket or session ID made under profile A does not resume under B
 *    (a full handshake, no error), nor after a reload changed A's verify;
 *  - one ticket key (file) shared: resumes across "instances"; another
 *    key: a full handshake;
 *  - session_tickets/session_ids = off, expired lifetimes: no resumption;
 *  - a client that asks for PSK-only (no (EC)DHE) TLS 1.3 resumption gets
 *    a full handshake unless the profile opts in;
 *  - a request whose verify differs from its profile's gets no resumption.
 */
#include <errno.h>
#include <gnutls/gnutls.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"
#include "keys/creds.h"
#include "engine/handshake.h"
#include "base/clock.h"
#include "engine/job.h"
#include "sessions/session_db.h"
#include "sessions/session_stats.h"
#include "sessions/ticket_keys.h"
#include "unit_files.h"

#define STEP_LIMIT_MS 10000
#define TLS13 "NORMAL:-VERS-ALL:+VERS-TLS1.3"
#define TLS12 "NORMAL:-VERS-ALL:+VERS-TLS1.2"
/* Offers psk_ke only: resumption without a new (EC)DHE. */
#define TLS13_PSK_ONLY "NORMAL:-VERS-ALL:+VERS-TLS1.3:+PSK"

/* ---- the client: plain GnuTLS, blocking, in a thread ---- */

struct client {
	int fd;
	const char *priority;
	unsigned flags;			/* more gnutls_init flags (GNUTLS_NO_TICKETS) */
	const char *sni;
	const char *cert, *key;		/* client certificate, or NULL */
	gnutls_datum_t in;		/* a session to offer, or empty */
	gnutls_datum_t out;		/* the session afterwards (gnutls_free) */
	int rc, resumed, group;
};

static void *run_client(void *arg)
{
	struct client *c = arg;
	gnutls_session_t s;
	gnutls_certificate_credentials_t x509 = NULL;
	char buf[64];
	ssize_t n;

	gnutls_init(&s, GNUTLS_CLIENT | c->flags);
	c->rc = gnutls_priority_set_direct(s, c->priority, NULL);
	gnutls_certificate_allocate_credentials(&x509);
	if (c->cert)
		gnutls_certificate_set_x509_key_file(x509, c->cert, c->key, GNUTLS_X509_FMT_PEM);
	gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, x509);
	if (c->sni)
		gnutls_server_name_set(s, GNUTLS_NAME_DNS, c->sni, strlen(c->sni));
	if (c->in.size)
		gnutls_session_set_data(s, c->in.data, c->in.size);
	gnutls_transport_set_int(s, c->fd);
	gnutls_handshake_set_timeout(s, STEP_LIMIT_MS);
	if (c->rc == 0) {
		do
			c->rc = gnutls_handshake(s);
		while (c->rc < 0 && !gnutls_error_is_fatal(c->rc));
	}
	if (c->rc == 0) {
		c->resumed = gnutls_session_is_resumed(s);
		c->group = (int)gnutls_group_get(s);	/* 0: no (EC)DHE */
		/* TLS 1.3 tickets come after the handshake: take them in
		 * (GnuTLS makes a session unresumable once a read fails, so
		 * read only while a record is there). */
		while (gnutls_protocol_get_version(s) == GNUTLS_TLS1_3 &&
		       !(gnutls_session_get_flags(s) & GNUTLS_SFLAGS_SESSION_TICKET)) {
			struct pollfd pfd = { .fd = c->fd, .events = POLLIN };

			if (poll(&pfd, 1, 500) != 1)
				break;
			n = gnutls_record_recv(s, buf, sizeof(buf));
			if (n < 0 && n != GNUTLS_E_AGAIN && n != GNUTLS_E_INTERRUPTED)
				break;
		}
		(void)gnutls_session_get_data2(s, &c->out);
		/* Only our writing side: the server may still be writing
		 * its second ticket. */
		shutdown(c->fd, SHUT_WR);
	} else {
		shutdown(c->fd, SHUT_RDWR);
	}
	gnutls_deinit(s);
	gnutls_certificate_free_credentials(x509);
	return NULL;
}

/* ---- our side: handshake.c as a worker drives it ---- */

static struct cfg_ref cfg_ref;
static char err[1024];
static enum job_origin origin = JOB_FROM_APP;	/* of the next serve() */

static void unload(void)
{
	if (cfg_ref.cfg) {
		creds_free_all(cfg_ref.cfg);
		cfg_free(cfg_ref.cfg);
		cfg_ref.cfg = NULL;
	}
}

static void load_config(const char *text)
{
	struct cfg *cfg = NULL;

	unload();
	unit_write_text("ktlsd.conf", text, 0600);
	err[0] = '\0';
	if (cfg_load(unit_tmp_path("ktlsd.conf"), &cfg, err, sizeof(err)) < 0)
		fail_msg("config: %s", err);
	if (creds_load_all(cfg, false, err, sizeof(err)) < 0)
		fail_msg("credentials: %s", err);
	cfg_ref.cfg = cfg;
	atomic_store(&cfg_ref.refs, 1000);	/* never freed by a job */
}

static int teardown(void **state)
{
	(void)state;
	unload();
	session_db_flush(NULL);
	return 0;
}

static int drive(struct hs_job *job, char *reason, size_t len)
{
	uint64_t give_up = clock_now_ms() + STEP_LIMIT_MS;
	int rc = hs_start(job, reason, len);

	while (rc == 0 || rc == -EAGAIN) {
		struct pollfd pfd = { .fd = job->sock_fd };
		int wait_ms = 50;

		rc = hs_step(job, reason, len);
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

/* One server handshake under profile (NULL: the default / SNI), verify as
 * requested, against c.  Returns our result; c->rc is the client's. */
static int serve(const char *profile, enum ktls_verify verify, struct client *c)
{
	struct hs_job *job = calloc(1, sizeof(*job));
	char reason[KTLS_REASON_MAX] = "";
	pthread_t thread;
	int fds[2], rc;

	assert_non_null(job);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
	c->fd = fds[1];
	assert_int_equal(pthread_create(&thread, NULL, run_client, c), 0);
	job->sock_fd = fds[0];
	job->conn_fd = STDIN_FILENO;	/* an application request (only "is it set") */
	job->req.role = KTLS_ROLE_SERVER;
	job->origin = origin;
	job->req.verify = (uint8_t)verify;
	if (profile)
		snprintf(job->req.profile, sizeof(job->req.profile), "%s", profile);
	job->cfg = &cfg_ref;
	job->started_ms = clock_now_ms();
	job->deadline_ms = job->started_ms + STEP_LIMIT_MS;
	job->profile = cfg_select_profile(cfg_ref.cfg, KTLS_ROLE_SERVER, profile, NULL);
	assert_non_null(job->profile);
	rc = drive(job, reason, sizeof(reason));
	if (rc < 0)
		shutdown(fds[0], SHUT_RDWR);
	pthread_join(thread, NULL);	/* the client has its session then */
	hs_free(job->hs);
	close(fds[0]);
	close(fds[1]);
	free(job);
	print_message("# ours: %d \"%s\"; client: %d (%s) resumed %d group %s\n", rc, reason,
		      c->rc, gnutls_strerror(c->rc), c->resumed,
		      gnutls_group_get_name((gnutls_group_t)c->group));
	return rc;
}

/* A full handshake, then the session offered again under profile2:
 * returns whether the second one resumed (both must succeed). */
static int resumes(const char *profile1, const char *profile2, const char *priority,
		   unsigned flags)
{
	struct client first = { .priority = priority, .flags = flags, .sni = "a.test" };
	struct client second = { .priority = priority, .flags = flags, .sni = "a.test" };

	assert_int_equal(serve(profile1, KTLS_VERIFY_DEFAULT, &first), 0);
	assert_int_equal(first.rc, 0);
	assert_false(first.resumed);
	assert_true(first.out.size > 0);
	second.in = first.out;
	assert_int_equal(serve(profile2, KTLS_VERIFY_DEFAULT, &second), 0);
	assert_int_equal(second.rc, 0);
	gnutls_free(first.out.data);
	gnutls_free(second.out.data);
	return second.resumed;
}

/* ---- configs ---- */

static void load_profiles(const char *extra_a, const char *extra_b)
{
	char conf[4096];

	snprintf(conf, sizeof(conf),
		 "[global]\nserver_profile = a\n"
		 "[profile a]\nrole = server\ncertificate = %s\nkey = %s\n%s\n"
		 "[profile b]\nrole = server\ncertificate = %s\nkey = %s\n%s\n",
		 unit_tmp_path("a.crt"), unit_tmp_path("a.key"), extra_a,
		 unit_tmp_path("a.crt"), unit_tmp_path("a.key"), extra_b);
	load_config(conf);
}

static int setup_dir(void **state)
{
	(void)state;
	if (unit_tmpdir_create("server-resume") < 0)
		return -1;
	unit_make_cert("a.crt", "a.key", "a.test", GNUTLS_PK_ECDSA,
		       GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1));
	return session_db_init(64, 1u << 20);
}

static int remove_dir(void **state)
{
	(void)state;
	session_db_shutdown();
	return unit_tmpdir_remove();
}

/* ---- the mechanisms resume ---- */

static void test_tls13_ticket_resumes(void **state)
{
	(void)state;
	load_profiles("", "");
	assert_true(resumes("a", "a", TLS13, 0));
}

static void test_tls12_ticket_resumes(void **state)
{
	(void)state;
	load_profiles("session_ids = off", "");
	assert_true(resumes("a", "a", TLS12, 0));
}

static void test_tls12_session_id_resumes(void **state)
{
	struct session_db_counts n;

	(void)state;
	load_profiles("session_tickets = off", "");
	assert_true(resumes("a", "a", TLS12, GNUTLS_NO_TICKETS));
	session_db_get_counts(&n);
	assert_true(n.hits >= 1);
}

/* SNI picks the profile (no name in the request): a session ID is filed
 * under the request's start profile and resumes into the profile it was
 * made under, even though GnuTLS parses no SNI on resumption. */
static void test_tls12_session_id_resumes_sni_profile(void **state)
{
	(void)state;
	load_profiles("", "server_names = a.test");
	/* default "a"; SNI a.test selects "b" */
	assert_true(resumes(NULL, NULL, TLS12, GNUTLS_NO_TICKETS));
	assert_true(resumes(NULL, NULL, TLS13, 0));
}

/* session_stats: session-ID lookups count as cache hits or misses for the
 * profile.  (Resumed and full handshakes count once kTLS is installed, in
 * hs_complete(): t_resume_server.sh reads them from `ktls status`.) */
static uint64_t stat_of(const char *profile, enum session_stat what)
{
	static struct ktls_status_reply st;

	memset(&st, 0, sizeof(st));
	session_stats_snapshot(&st);
	for (unsigned i = 0; i < st.n_sessions; i++)
		if (strcmp(st.sessions[i].name, profile) == 0)
			return st.sessions[i].count[what];
	return 0;
}

static void test_counters(void **state)
{
	uint64_t hit, miss;

	(void)state;
	load_profiles("", "");
	hit = stat_of("b", SESSION_STAT_CACHE_HIT);
	miss = stat_of("b", SESSION_STAT_CACHE_MISS);
	assert_true(resumes("b", "b", TLS12, GNUTLS_NO_TICKETS));
	assert_int_equal(stat_of("b", SESSION_STAT_CACHE_HIT), hit + 1);
	assert_int_equal(stat_of("b", SESSION_STAT_CACHE_MISS), miss);
	/* a session ID of profile b offered under a: a miss for a */
	miss = stat_of("a", SESSION_STAT_CACHE_MISS);
	assert_false(resumes("b", "a", TLS12, GNUTLS_NO_TICKETS));
	assert_int_equal(stat_of("a", SESSION_STAT_CACHE_MISS), miss + 1);
}

/* ---- attackers: sessions do not cross profiles ---- */

static void test_ticket_does_not_cross_profiles(void **state)
{
	(void)state;
	load_profiles("", "");
	assert_false(resumes("a", "b", TLS13, 0));
	assert_false(resumes("a", "b", TLS12, 0));
	assert_false(resumes("a", "b", TLS12, GNUTLS_NO_TICKETS));
	/* and the same profile still does, so the above is not just failure */
	assert_true(resumes("b", "b", TLS13, 0));
}

/* A reload that changes what "verified" means under a profile voids its
 * tickets and session IDs. */
static void test_reload_changing_verify_voids_sessions(void **state)
{
	const char *prio[] = { TLS13, TLS12, TLS12 };
	unsigned flags[] = { 0, 0, GNUTLS_NO_TICKETS };

	(void)state;
	for (int i = 0; i < 3; i++) {
		struct client first = { .priority = prio[i], .flags = flags[i] };
		struct client second = { .priority = prio[i], .flags = flags[i] };
		char extra[512];

		load_profiles("", "");
		assert_int_equal(serve("a", KTLS_VERIFY_DEFAULT, &first), 0);
		snprintf(extra, sizeof(extra), "verify = optional\nca_file = %s",
			 unit_tmp_path("a.crt"));
		load_profiles(extra, "");
		second.in = first.out;
		assert_int_equal(serve("a", KTLS_VERIFY_DEFAULT, &second), 0);
		assert_int_equal(second.rc, 0);
		assert_false(second.resumed);
		gnutls_free(first.out.data);
		gnutls_free(second.out.data);
	}
}

/* A request asking for more verification than its profile must see it
 * done: a client without a certificate, holding a ticket of a session its
 * profile made without one, is asked for a certificate and refused
 * instead of resumed past the check. */
static void test_request_verify_override_not_resumed(void **state)
{
	struct client first = { .priority = TLS13 }, second = { .priority = TLS13 };
	char extra[512];

	(void)state;
	snprintf(extra, sizeof(extra), "ca_file = %s", unit_tmp_path("a.crt"));
	load_profiles(extra, "");
	assert_int_equal(serve("a", KTLS_VERIFY_DEFAULT, &first), 0);
	second.in = first.out;
	assert_int_equal(serve("a", KTLS_VERIFY_REQUIRED, &second), -EACCES);
	assert_false(second.resumed);
	gnutls_free(first.out.data);
	gnutls_free(second.out.data);
}

/* Kernel requests (the netlink door) neither issue nor accept: a ticket
 * made for an application does not resume there. */
static void test_kernel_requests_not_resumed(void **state)
{
	(void)state;
	load_profiles("", "");
	origin = JOB_FROM_KERNEL;
	assert_false(resumes("a", "a", TLS13, 0));
	assert_false(resumes("a", "a", TLS12, GNUTLS_NO_TICKETS));
	origin = JOB_FROM_APP;
	assert_true(resumes("a", "a", TLS13, 0));
}

/* ---- ticket keys: shared file, other key ---- */

static void test_shared_key_resumes_other_key_does_not(void **state)
{
	uint8_t k1[TICKET_KEY_SIZE], k2[TICKET_KEY_SIZE];
	struct client first = { .priority = TLS13 }, second = { .priority = TLS13 };
	struct client third = { .priority = TLS13 };

	(void)state;
	memset(k1, 0x11, sizeof(k1));
	memset(k2, 0x22, sizeof(k2));
	load_profiles("", "");
	assert_int_equal(ticket_keys_install(k1), 0);	/* "host 1" */
	assert_int_equal(serve("a", KTLS_VERIFY_DEFAULT, &first), 0);
	assert_int_equal(ticket_keys_install(k2), 0);	/* a host with another key */
	second.in = first.out;
	assert_int_equal(serve("a", KTLS_VERIFY_DEFAULT, &second), 0);
	assert_int_equal(second.rc, 0);
	assert_false(second.resumed);
	assert_int_equal(ticket_keys_install(NULL), 0);	/* random */
	assert_int_equal(ticket_keys_install(k1), 0);	/* "host 2", same file */
	third.in = first.out;
	assert_int_equal(serve("a", KTLS_VERIFY_DEFAULT, &third), 0);
	assert_true(third.resumed);
	assert_int_equal(ticket_keys_install(NULL), 0);
	gnutls_free(first.out.data);
	gnutls_free(second.out.data);
	gnutls_free(third.out.data);
}

/* ---- switches and lifetimes ---- */

static void test_switched_off(void **state)
{
	(void)state;
	load_profiles("session_tickets = off\nsession_ids = off", "");
	assert_false(resumes("a", "a", TLS13, 0));
	assert_false(resumes("a", "a", TLS12, 0));
	assert_false(resumes("a", "a", TLS12, GNUTLS_NO_TICKETS));
	load_profiles("session_tickets = off", "");
	assert_false(resumes("a", "a", TLS13, 0));	/* TLS 1.3 resumes by ticket only */
	load_profiles("session_ids = off", "");
	assert_false(resumes("a", "a", TLS12, GNUTLS_NO_TICKETS));
	assert_true(resumes("a", "a", TLS12, 0));	/* the ticket still does */
}

static void test_expired_not_resumed(void **state)
{
	const char *prio[] = { TLS13, TLS12, TLS12 };
	unsigned flags[] = { 0, 0, GNUTLS_NO_TICKETS };

	(void)state;
	load_profiles("session_lifetime = 1", "");
	for (int i = 0; i < 3; i++) {
		struct client first = { .priority = prio[i], .flags = flags[i] };
		struct client second = { .priority = prio[i], .flags = flags[i] };

		assert_int_equal(serve("a", KTLS_VERIFY_DEFAULT, &first), 0);
		sleep(3);
		second.in = first.out;
		assert_int_equal(serve("a", KTLS_VERIFY_DEFAULT, &second), 0);
		assert_int_equal(second.rc, 0);
		assert_false(second.resumed);
		gnutls_free(first.out.data);
		gnutls_free(second.out.data);
	}
}

/* GnuTLS's time-based subkeys (one per 3 x session_lifetime, on wall-clock
 * boundaries): a ticket issued just before a boundary, still within its
 * lifetime after it, resumes (GnuTLS tries the previous subkey too). */
static void test_ticket_across_subkey_rotation(void **state)
{
	struct client first = { .priority = TLS13 }, second = { .priority = TLS13 };
	struct timespec ts;

	(void)state;
	load_profiles("session_lifetime = 2", "");	/* subkey period: 6 s */
	do {					/* 0.3 s before a boundary */
		clock_gettime(CLOCK_REALTIME, &ts);
		usleep(20000);
	} while (ts.tv_sec % 6 != 5 || ts.tv_nsec < 600000000);
	assert_int_equal(serve("a", KTLS_VERIFY_DEFAULT, &first), 0);
	usleep(800000);				/* past the boundary, age < 2 s */
	second.in = first.out;
	assert_int_equal(serve("a", KTLS_VERIFY_DEFAULT, &second), 0);
	assert_int_equal(second.rc, 0);
	print_message("# resumed across the subkey boundary: %d\n", second.resumed);
	assert_true(second.resumed);
	gnutls_free(first.out.data);
	gnutls_free(second.out.data);
}

/* ---- forward secrecy ---- */

static void test_tls13_resumption_keeps_ecdhe(void **state)
{
	struct client first = { .priority = TLS13 }, second = { .priority = TLS13 };

	(void)state;
	load_profiles("", "");
	assert_int_equal(serve("a", KTLS_VERIFY_DEFAULT, &first), 0);
	second.in = first.out;
	assert_int_equal(serve("a", KTLS_VERIFY_DEFAULT, &second), 0);
	assert_true(second.resumed);
	assert_int_not_equal(second.group, 0);	/* a key share: (EC)DHE */
	gnutls_free(first.out.data);
	gnutls_free(second.out.data);
}

/* A client that offers only psk_ke: by default a full handshake (with its
 * (EC)DHE), never a resumption without one. */
static void test_psk_only_client_gets_full_handshake(void **state)
{
	(void)state;
	load_profiles("", "");
	assert_false(resumes("a", "a", TLS13_PSK_ONLY, 0));
	/* and TLS 1.2 keeps working with the opt-in's priority */
	load_profiles("resumption_psk_only = on", "");
	assert_true(resumes("a", "a", TLS12, 0));
}

/* The opt-in: resumption_psk_only lets that client resume without a key
 * share (its cost: no forward secrecy for the resumed connection beyond
 * the ticket key's). */
static void test_psk_only_opt_in(void **state)
{
	struct client first = { .priority = TLS13_PSK_ONLY };
	struct client second = { .priority = TLS13_PSK_ONLY };
	struct client normal1 = { .priority = TLS13 }, normal2 = { .priority = TLS13 };

	(void)state;
	load_profiles("resumption_psk_only = on", "");
	assert_int_equal(serve("a", KTLS_VERIFY_DEFAULT, &first), 0);
	second.in = first.out;
	assert_int_equal(serve("a", KTLS_VERIFY_DEFAULT, &second), 0);
	assert_true(second.resumed);
	assert_int_equal(second.group, 0);	/* no key share: PSK only */
	/* a usual client (psk_dhe_ke) still gets (EC)DHE from the same profile */
	assert_int_equal(serve("a", KTLS_VERIFY_DEFAULT, &normal1), 0);
	normal2.in = normal1.out;
	assert_int_equal(serve("a", KTLS_VERIFY_DEFAULT, &normal2), 0);
	assert_true(normal2.resumed);
	assert_int_not_equal(normal2.group, 0);
	gnutls_free(first.out.data);
	gnutls_free(second.out.data);
	gnutls_free(normal1.out.data);
	gnutls_free(normal2.out.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_tls13_ticket_resumes, teardown),
		cmocka_unit_test_teardown(test_tls12_ticket_resumes, teardown),
		cmocka_unit_test_teardown(test_tls12_session_id_resumes, teardown),
		cmocka_unit_test_teardown(test_tls12_session_id_resumes_sni_profile, teardown),
		cmocka_unit_test_teardown(test_counters, teardown),
		cmocka_unit_test_teardown(test_ticket_does_not_cross_profiles, teardown),
		cmocka_unit_test_teardown(test_reload_changing_verify_voids_sessions, teardown),
		cmocka_unit_test_teardown(test_request_verify_override_not_resumed, teardown),
		cmocka_unit_test_teardown(test_kernel_requests_not_resumed, teardown),
		cmocka_unit_test_teardown(test_shared_key_resumes_other_key_does_not, teardown),
		cmocka_unit_test_teardown(test_switched_off, teardown),
		cmocka_unit_test_teardown(test_expired_not_resumed, teardown),
		cmocka_unit_test_teardown(test_ticket_across_subkey_rotation, teardown),
		cmocka_unit_test_teardown(test_tls13_resumption_keeps_ecdhe, teardown),
		cmocka_unit_test_teardown(test_psk_only_client_gets_full_handshake, teardown),
		cmocka_unit_test_teardown(test_psk_only_opt_in, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}

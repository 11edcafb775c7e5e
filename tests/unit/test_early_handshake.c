// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * 0-RTT through the real handshake engine (handshake.c + early_data.c as
 * a server) against a plain GnuTLS client in a thread, over a socketpair,
 * on the host: kTLS is not needed up to the point where the early data is
 * in the reply (hs_complete() then fails to install kTLS on a Unix
 * socket, after the early data was collected).  Run under ASan by
 * `make ASAN=1 unit`, this is also the leak check of the paths below.
 *
 *  - a ticket's early data is accepted and lands in the reply, byte for
 *    byte, marked offered + accepted;
 *  - the same ticket again (a replay): rejected, marked as a replay, the
 *    handshake itself succeeds (1-RTT);
 *  - a request that did not opt in: rejected, nothing in the reply;
 *  - a kernel (netlink door) request, even one that asks: none;
 *  - more early data than the profile allows: the handshake fails, and
 *    says why.
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

#include "base/clock.h"
#include "config/config.h"
#include "engine/handshake.h"
#include "engine/job.h"
#include "keys/creds.h"
#include "sessions/early_data.h"
#include "unit_files.h"

#define STEP_LIMIT_MS 10000

/* ---- the client: plain GnuTLS, blocking, in a thread ---- */

struct client {
	int fd;
	const gnutls_datum_t *resume;	/* session data to resume, or NULL */
	const uint8_t *early;		/* early data to send, or NULL */
	size_t early_len;
	gnutls_datum_t ticket;		/* out: session data after the handshake */
	int rc, resumed, early_accepted;
};

static void *run_client(void *arg)
{
	struct client *c = arg;
	gnutls_session_t s;
	gnutls_certificate_credentials_t x509;

	gnutls_init(&s, GNUTLS_CLIENT | (c->early ? GNUTLS_ENABLE_EARLY_DATA : 0));
	gnutls_priority_set_direct(s, "NORMAL:-VERS-ALL:+VERS-TLS1.3", NULL);
	gnutls_certificate_allocate_credentials(&x509);
	gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, x509);
	gnutls_server_name_set(s, GNUTLS_NAME_DNS, "a.test", 6);
	if (c->resume)
		gnutls_session_set_data(s, c->resume->data, c->resume->size);
	if (c->early)
		(void)gnutls_record_send_early_data(s, c->early, c->early_len);
	gnutls_transport_set_int(s, c->fd);
	gnutls_handshake_set_timeout(s, STEP_LIMIT_MS);
	do
		c->rc = gnutls_handshake(s);
	while (c->rc < 0 && !gnutls_error_is_fatal(c->rc));
	if (c->rc == 0) {
		c->resumed = gnutls_session_is_resumed(s);
		c->early_accepted = !!(gnutls_session_get_flags(s) & GNUTLS_SFLAGS_EARLY_DATA);
		/* TLS 1.3: waits for the ticket, which our side wrote inside
		 * its handshake */
		if (gnutls_session_get_data2(s, &c->ticket) < 0)
			c->ticket.data = NULL;
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

static void load_config(const char *early_data)
{
	struct cfg *cfg = NULL;
	char conf[2048];

	if (cfg_ref.cfg) {
		creds_free_all(cfg_ref.cfg);
		cfg_free(cfg_ref.cfg);
		cfg_ref.cfg = NULL;
	}
	snprintf(conf, sizeof(conf),
		 "[global]\nserver_profile = web\nearly_data_window = 60s\n"
		 "[profile web]\nrole = server\ncertificate = %s\nkey = %s\nearly_data = %s\n",
		 unit_tmp_path("a.crt"), unit_tmp_path("a.key"), early_data);
	unit_write_text("ktlsd.conf", conf, 0600);
	if (cfg_load(unit_tmp_path("ktlsd.conf"), &cfg, err, sizeof(err)) < 0)
		fail_msg("config: %s", err);
	if (creds_load_all(cfg, false, err, sizeof(err)) < 0)
		fail_msg("credentials: %s", err);
	cfg_ref.cfg = cfg;
	atomic_store(&cfg_ref.refs, 1000);	/* never freed by a job */
	assert_int_equal(early_data_start(cfg), 0);
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

static int drive(struct hs_job *job, char *reason, size_t reason_len)
{
	uint64_t give_up = clock_now_ms() + STEP_LIMIT_MS;
	int rc = hs_start(job, reason, reason_len);

	while (rc == 0 || rc == -EAGAIN) {
		struct pollfd pfd = { .fd = job->sock_fd };

		rc = hs_step(job, reason, reason_len);
		if (rc != -EAGAIN)
			return rc;
		if (clock_now_ms() > give_up)
			return -ETIMEDOUT;
		pfd.events = hs_wants_write(job) ? POLLOUT : POLLIN;
		poll(&pfd, 1, 50);
	}
	return rc;
}

struct outcome {
	int rc;				/* hs_step's */
	char reason[KTLS_REASON_MAX];
	struct ktls_hs_reply *rep;	/* after hs_complete (kTLS fails there) */
};

static enum job_origin origin = JOB_FROM_APP;

/* One server handshake with accept_early bytes asked for, against c. */
static void run(uint32_t accept_early, struct client *c, struct outcome *out)
{
	struct hs_job *job = calloc(1, sizeof(*job));
	char reason[KTLS_REASON_MAX] = "";
	pthread_t thread;
	int fds[2];

	assert_non_null(job);
	out->rep = calloc(1, sizeof(*out->rep));
	assert_non_null(out->rep);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
	c->fd = fds[1];
	assert_int_equal(pthread_create(&thread, NULL, run_client, c), 0);
	job->sock_fd = fds[0];
	job->conn_fd = origin == JOB_FROM_APP ? STDIN_FILENO : -1;	/* only "is it set" */
	job->origin = origin;
	job->req.role = KTLS_ROLE_SERVER;
	job->req.accept_early = accept_early;
	job->cfg = &cfg_ref;
	job->started_ms = clock_now_ms();
	job->deadline_ms = job->started_ms + STEP_LIMIT_MS;
	job->profile = cfg_select_profile(cfg_ref.cfg, KTLS_ROLE_SERVER, NULL, NULL);
	assert_non_null(job->profile);
	out->reason[0] = '\0';
	out->rc = drive(job, out->reason, sizeof(out->reason));
	if (out->rc == 0)
		(void)hs_complete(job, out->rep, reason, sizeof(reason));
	pthread_join(thread, NULL);
	shutdown(fds[0], SHUT_RDWR);
	hs_free(job->hs);
	close(fds[0]);
	close(fds[1]);
	free(job);
	print_message("# ours: %d \"%s\"; early flags %u len %u; client %d resumed %d "
		      "early %d\n", out->rc, out->reason, out->rep->early_flags,
		      out->rep->early_len, c->rc, c->resumed, c->early_accepted);
}

static void done(struct outcome *out, struct client *c)
{
	free(out->rep);
	gnutls_free(c->ticket.data);
}

/* A fresh ticket from a full handshake. */
static void new_ticket(gnutls_datum_t *ticket)
{
	struct client c = { 0 };
	struct outcome out;

	run(KTLS_ACCEPT_EARLY_DATA_MAX, &c, &out);
	assert_int_equal(out.rc, 0);
	assert_int_equal(c.rc, 0);
	assert_non_null(c.ticket.data);
	*ticket = c.ticket;
	c.ticket.data = NULL;
	done(&out, &c);
}

static const uint8_t request[] = "GET /index.html HTTP/1.1\r\nHost: a.test\r\n\r\n";

static void test_accepted_then_replay(void **state)
{
	gnutls_datum_t ticket;
	struct client c = { .early = request, .early_len = sizeof(request) - 1 };
	struct outcome out;

	(void)state;
	load_config("14k");
	new_ticket(&ticket);
	c.resume = &ticket;
	run(KTLS_ACCEPT_EARLY_DATA_MAX, &c, &out);
	assert_int_equal(out.rc, 0);
	assert_int_equal(c.rc, 0);
	assert_true(c.resumed);
	assert_true(c.early_accepted);
	assert_int_equal(out.rep->early_flags, KTLS_EARLY_OFFERED | KTLS_EARLY_ACCEPTED);
	assert_int_equal(out.rep->early_len, sizeof(request) - 1);
	assert_memory_equal(out.rep->early_data, request, sizeof(request) - 1);
	done(&out, &c);

	/* the same ticket, the same early data: a replay */
	c = (struct client){ .resume = &ticket, .early = request,
			     .early_len = sizeof(request) - 1 };
	run(KTLS_ACCEPT_EARLY_DATA_MAX, &c, &out);
	assert_int_equal(out.rc, 0);
	assert_int_equal(c.rc, 0);
	assert_true(c.resumed);
	assert_false(c.early_accepted);
	assert_int_equal(out.rep->early_flags, KTLS_EARLY_OFFERED | KTLS_EARLY_REPLAY);
	assert_int_equal(out.rep->early_len, 0);
	done(&out, &c);
	gnutls_free(ticket.data);
}

static void test_not_asked(void **state)
{
	gnutls_datum_t ticket;
	struct client c = { .early = request, .early_len = sizeof(request) - 1 };
	struct outcome out;

	(void)state;
	load_config("14k");
	new_ticket(&ticket);
	c.resume = &ticket;
	run(0, &c, &out);
	assert_int_equal(out.rc, 0);
	assert_int_equal(c.rc, 0);
	assert_true(c.resumed);
	assert_false(c.early_accepted);
	assert_int_equal(out.rep->early_flags, KTLS_EARLY_OFFERED);
	assert_int_equal(out.rep->early_len, 0);
	done(&out, &c);
	gnutls_free(ticket.data);
}

/* The kernel door's requests never take early data, whatever they ask. */
static void test_kernel_request(void **state)
{
	gnutls_datum_t ticket;
	struct client c = { .early = request, .early_len = sizeof(request) - 1 };
	struct outcome out;

	(void)state;
	load_config("14k");
	new_ticket(&ticket);
	c.resume = &ticket;
	origin = JOB_FROM_KERNEL;
	run(KTLS_ACCEPT_EARLY_DATA_MAX, &c, &out);
	origin = JOB_FROM_APP;
	assert_int_equal(out.rc, 0);
	assert_int_equal(c.rc, 0);
	assert_false(c.early_accepted);
	assert_int_equal(out.rep->early_len, 0);
	assert_false(out.rep->early_flags & KTLS_EARLY_ACCEPTED);
	done(&out, &c);
	gnutls_free(ticket.data);
}

static void test_too_much(void **state)
{
	static uint8_t big[4000];
	gnutls_datum_t ticket;
	struct client c = { .early = big, .early_len = sizeof(big) };
	struct outcome out;

	(void)state;
	memset(big, 'x', sizeof(big));
	load_config("14k");		/* the ticket allows 14336 bytes */
	new_ticket(&ticket);
	load_config("1k");		/* this "host" takes 1024 */
	c.resume = &ticket;
	run(KTLS_ACCEPT_EARLY_DATA_MAX, &c, &out);
	assert_int_equal(out.rc, -EPROTO);
	assert_non_null(strstr(out.reason, "more early data than the 1024 bytes"));
	/* nothing of it reached a reply (the client's own handshake may
	 * already have ended: it does not wait for our answer) */
	assert_int_equal(out.rep->early_len, 0);
	done(&out, &c);
	gnutls_free(ticket.data);
}

static int setup_dir(void **state)
{
	(void)state;
	if (unit_tmpdir_create("early-handshake") < 0)
		return -1;
	unit_make_cert("a.crt", "a.key", "a.test", GNUTLS_PK_ECDSA,
		       GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1));
	return 0;
}

static int remove_dir(void **state)
{
	(void)state;
	early_data_stop();
	return unit_tmpdir_remove();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_accepted_then_replay, unload_config),
		cmocka_unit_test_teardown(test_not_asked, unload_config),
		cmocka_unit_test_teardown(test_kernel_request, unload_config),
		cmocka_unit_test_teardown(test_too_much, unload_config),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}

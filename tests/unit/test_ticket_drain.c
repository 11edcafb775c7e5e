// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The TLS 1.3 ticket drain (handshake.c drain_tickets(), record_peek.c),
 * driven by the real worker thread (worker.c) as in ktlsd, against a GnuTLS
 * server behind a relay that controls how its post-handshake records
 * (NewSessionTickets) arrive:
 *
 *  - split: each ticket record arrives in two parts, 200 ms apart.  The
 *    socket is readable while the record is incomplete, so an engine that
 *    waits for "readable" is woken at once, again and again (issue 9: the
 *    drain spun, 124,300 hs_step calls in 145 ms).  hs_step is wrapped
 *    (test_ticket_drain.wrap) to count the calls;
 *  - many: 20 tickets at once (the relay gathers them and sends them in
 *    one go, so a loaded machine cannot space them past the drain's
 *    50 ms grace): the drain takes at most 8, and leaves the rest queued
 *    (it had no cap);
 *  - stall: half a ticket and nothing more: polled, not spun on, then
 *    handed over;
 *  - slow: a loaded server: its answer to our ClientHello and its tickets
 *    both come SLOW_SERVER_MS late, longer than four round trips plus
 *    100 ms.  Under ticket_wait = auto the drain waits for them (it
 *    handed over first, and the application's read() met the ticket);
 *  - keyupdate: the server's tickets, then a KeyUpdate: the drain takes
 *    the tickets and leaves the KeyUpdate to the application (GnuTLS took
 *    it, and the secrets handed to the caller were one generation old);
 *  - quiet: no ticket, with a ticket_wait longer than the job has left:
 *    the drain hands over before the job's deadline instead of failing
 *    the finished handshake with ETIMEDOUT.
 *
 * kTLS is not needed: on a socketpair the job then fails at installing
 * kernel TLS, which is after the drain; the reply's reason says so.
 */
#include <errno.h>
#include <gnutls/gnutls.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
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
#include "engine/worker.h"
#include "unit_files.h"

#define SPLIT_PAUSE_MS 200
#define SLOW_SERVER_MS 400
#define TLS_HEADER_LEN 5

/* ---- hs_step, counted ---- */

static atomic_uint steps;

int __real_hs_step(struct hs_job *job, char *reason, size_t reason_len);
int __wrap_hs_step(struct hs_job *job, char *reason, size_t reason_len);

/* A worker that wakes late (a loaded host): once the drain has begun,
 * the clock jumps by late_by_ms, past the job's deadline. */
static atomic_uint late_by_ms, late_now_ms;

uint64_t __real_clock_now_ms(void);
uint64_t __wrap_clock_now_ms(void);

uint64_t __wrap_clock_now_ms(void)
{
	return __real_clock_now_ms() + atomic_load(&late_now_ms);
}

int __wrap_hs_step(struct hs_job *job, char *reason, size_t reason_len)
{
	int rc;

	atomic_fetch_add(&steps, 1);
	rc = __real_hs_step(job, reason, reason_len);
	if (rc == -EAGAIN && hs_draining(job))
		atomic_store(&late_now_ms, atomic_load(&late_by_ms));
	return rc;
}

/* ---- the server and the relay in front of it ---- */

enum relay_mode { RELAY_SPLIT, RELAY_MANY, RELAY_STALL, RELAY_QUIET, RELAY_SLOW, RELAY_KEYUPDATE };

struct server {
	int fd;				/* the server's end */
	enum relay_mode mode;
	int rc;
	atomic_int sent_all;		/* keyupdate: its last record is written */
};

#define MANY_TICKETS 20

struct relay {
	int client_fd, server_fd;
	enum relay_mode mode;
	atomic_int *server_sent_all;
	int client_finished;		/* the client sent its first protected record */
	int client_spoke;		/* slow: the client sent since the server last did */
	unsigned post_handshake_records;	/* server -> client after that */
	uint8_t *gathered;		/* many: the tickets, sent together */
	size_t gathered_len, gathered_cap;
};

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void *run_server(void *arg)
{
	struct server *srv = arg;
	gnutls_session_t s;
	gnutls_certificate_credentials_t x509;
	gnutls_datum_t ticket_key;
	char byte;

	gnutls_certificate_allocate_credentials(&x509);
	gnutls_certificate_set_x509_key_file(x509, unit_tmp_path("a.crt"),
					     unit_tmp_path("a.key"), GNUTLS_X509_FMT_PEM);
	gnutls_session_ticket_key_generate(&ticket_key);
	gnutls_init(&s, GNUTLS_SERVER);
	gnutls_priority_set_direct(s, "NORMAL:-VERS-ALL:+VERS-TLS1.3", NULL);
	gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, x509);
	/* slow: GnuTLS sends a server's tickets in its first flight when it
	 * authenticates nobody and resumes nothing; asking for a client
	 * certificate moves them after our Finished, as a resumed handshake
	 * does (ktlsd serving ktlsd in t_daemon's 100 at once). */
	if (srv->mode == RELAY_SLOW || srv->mode == RELAY_KEYUPDATE)
		gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUEST);
	if (srv->mode != RELAY_QUIET)
		gnutls_session_ticket_enable_server(s, &ticket_key);	/* sends tickets */
	gnutls_transport_set_int(s, srv->fd);
	do
		srv->rc = gnutls_handshake(s);
	while (srv->rc < 0 && !gnutls_error_is_fatal(srv->rc));
	/* Our client asks for no tickets (it sends no psk_key_exchange_modes),
	 * so GnuTLS sends none by itself; OpenSSL would: send them anyway. */
	for (int i = 0; srv->rc == 0 && srv->mode != RELAY_QUIET &&
			i < (srv->mode == RELAY_MANY ? MANY_TICKETS : 2); i++)
		gnutls_session_ticket_send(s, 1, 0);
	if (srv->rc == 0 && srv->mode == RELAY_KEYUPDATE)
		gnutls_session_key_update(s, 0);
	atomic_store(&srv->sent_all, 1);
	while (recv(srv->fd, &byte, 1, 0) > 0)
		;	/* until the relay goes */
	gnutls_deinit(s);
	gnutls_certificate_free_credentials(x509);
	gnutls_free(ticket_key.data);
	return NULL;
}

/* One whole record from fd into buf (the peers write whole records). */
static ssize_t read_record(int fd, uint8_t *buf, size_t cap)
{
	ssize_t n = recv(fd, buf, TLS_HEADER_LEN, MSG_WAITALL);
	size_t body;

	if (n != TLS_HEADER_LEN)
		return -1;
	body = (size_t)buf[3] << 8 | buf[4];
	if (TLS_HEADER_LEN + body > cap)
		return -1;
	if (body && recv(fd, buf + TLS_HEADER_LEN, body, MSG_WAITALL) != (ssize_t)body)
		return -1;
	return (ssize_t)(TLS_HEADER_LEN + body);
}

/* many: hold the tickets until all have come, then send them in one go. */
static int gather_ticket(struct relay *r, const uint8_t *rec, size_t len)
{
	if (r->gathered_len + len > r->gathered_cap) {
		size_t cap = (r->gathered_len + len) * 2;
		uint8_t *p = realloc(r->gathered, cap);

		if (!p)
			return -1;
		r->gathered = p;
		r->gathered_cap = cap;
	}
	memcpy(r->gathered + r->gathered_len, rec, len);
	r->gathered_len += len;
	if (r->mode != RELAY_MANY || ++r->post_handshake_records < MANY_TICKETS)
		return 0;
	return send(r->client_fd, r->gathered, r->gathered_len, MSG_NOSIGNAL) ==
	       (ssize_t)r->gathered_len ? 0 : -1;
}

/* split: after the pause, a ticket's rest; the server wrote its tickets
 * back to back, so the next one's header goes in the same send (as its
 * bytes would follow on the wire), and its rest after the next pause.
 * Sent apart, a loaded host could deliver the next header only after
 * the drain had looked and found nothing queued. */
static int send_split_rest(struct relay *r, const uint8_t *rec, size_t len)
{
	static uint8_t cur[TLS_HEADER_LEN + 65536], next[TLS_HEADER_LEN + 65536];
	struct pollfd pfd = { .fd = r->server_fd, .events = POLLIN };
	size_t out_len;
	ssize_t n;

	memcpy(cur, rec, len);
	for (;;) {
		sleep_ms(SPLIT_PAUSE_MS);
		n = poll(&pfd, 1, 0) > 0 ? read_record(r->server_fd, next, sizeof(next)) : 0;
		if (n < 0 || (n > 0 && n < 8))
			n = 0;
		out_len = len - 8;
		memmove(cur, cur + 8, out_len);
		if (n > 0)
			memcpy(cur + out_len, next, 8);
		if (send(r->client_fd, cur, out_len + (n > 0 ? 8 : 0), MSG_NOSIGNAL) !=
		    (ssize_t)(out_len + (n > 0 ? 8 : 0)))
			return -1;
		if (n == 0)
			return 0;
		r->post_handshake_records++;
		memcpy(cur, next, (size_t)n);
		len = (size_t)n;
	}
}

static int forward_to_client(struct relay *r, const uint8_t *rec, size_t len)
{
	if (r->mode == RELAY_KEYUPDATE) {
		if (!r->client_finished)
			return send(r->client_fd, rec, len, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
		r->post_handshake_records++;
		return gather_ticket(r, rec, len);	/* run_relay sends them together */
	}
	if (r->mode == RELAY_SLOW) {
		/* a server's every answer (its flight, its tickets) is late */
		if (r->client_spoke)
			sleep_ms(SLOW_SERVER_MS);
		r->client_spoke = 0;
		r->post_handshake_records += r->client_finished;
		return send(r->client_fd, rec, len, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
	}
	if (!r->client_finished || (r->mode == RELAY_MANY && r->post_handshake_records >= MANY_TICKETS))
		return send(r->client_fd, rec, len, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
	if (r->mode == RELAY_MANY && r->post_handshake_records < MANY_TICKETS)
		return gather_ticket(r, rec, len);
	r->post_handshake_records++;
	/* A ticket's header and a few bytes now, the rest later (or never). */
	if (send(r->client_fd, rec, 8, MSG_NOSIGNAL) != 8)
		return -1;
	if (r->mode == RELAY_STALL)
		return 1;
	return send_split_rest(r, rec, len);
}

static void *run_relay(void *arg)
{
	struct relay *r = arg;
	uint8_t *rec = malloc(TLS_HEADER_LEN + 65536);
	struct pollfd pfd[2] = { { .fd = r->client_fd, .events = POLLIN },
				 { .fd = r->server_fd, .events = POLLIN } };
	ssize_t n;

	/* keyupdate: once the server has written everything, its tickets and
	 * the KeyUpdate go to the client in one send, so the drain finds them
	 * all queued, however loaded the host */
	for (;;) {
		/* read before poll: what the server wrote before it said "all"
		 * is then readable in this poll, or already gathered */
		int server_done = atomic_load(r->server_sent_all);
		int ready = rec ? poll(pfd, 2, r->mode == RELAY_KEYUPDATE ? 10 : 10000) : -1;

		if (ready < 0)
			break;
		if (r->mode == RELAY_KEYUPDATE && server_done && !pfd[1].revents &&
		    r->gathered_len) {
			if (send(r->client_fd, r->gathered, r->gathered_len, MSG_NOSIGNAL) !=
			    (ssize_t)r->gathered_len)
				break;
			r->gathered_len = 0;
		}
		if (ready == 0) {
			if (r->mode != RELAY_KEYUPDATE)
				break;	/* 10 s of silence */
			continue;
		}
		if (pfd[0].revents) {
			n = read_record(r->client_fd, rec, TLS_HEADER_LEN + 65536);
			if (n < 0 || send(r->server_fd, rec, (size_t)n, MSG_NOSIGNAL) != n)
				break;
			r->client_finished |= rec[0] == 23;
			r->client_spoke = 1;
		}
		if (pfd[1].revents) {
			n = read_record(r->server_fd, rec, TLS_HEADER_LEN + 65536);
			if (n < 0 || forward_to_client(r, rec, (size_t)n) != 0)
				break;
		}
	}
	free(r->gathered);
	/* stall: hold the connection open, send nothing, until our side goes */
	while (r->mode == RELAY_STALL && recv(r->client_fd, rec, 1, 0) > 0)
		;
	free(rec);
	shutdown(r->server_fd, SHUT_RDWR);
	return NULL;
}

/* ---- our side: a client job on the real worker ---- */

static struct cfg_ref cfg_ref;
static pthread_mutex_t done_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done_cond = PTHREAD_COND_INITIALIZER;

struct outcome {
	int done;
	uint32_t status;
	char reason[KTLS_REASON_MAX];
	ssize_t left_queued;		/* bytes still on the socket at the end */
	unsigned records_queued;	/* records begun in those bytes */
	uint64_t ms;
};

static void job_done(struct hs_job *job, const struct ktls_hs_reply *rep)
{
	struct outcome *out = job->done_ctx;
	uint8_t buf[16384];
	ssize_t n = recv(job->sock_fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
	unsigned records = 0;

	/* walk the record headers of what is left */
	for (size_t at = 0; n > 0 && at + TLS_HEADER_LEN <= (size_t)n; records++)
		at += TLS_HEADER_LEN + ((size_t)buf[at + 3] << 8 | buf[at + 4]);

	pthread_mutex_lock(&done_lock);
	out->status = rep->status;
	snprintf(out->reason, sizeof(out->reason), "%s", rep->reason);
	out->left_queued = n;
	out->records_queued = records;
	out->ms = clock_now_ms() - job->started_ms;
	out->done = 1;
	pthread_cond_broadcast(&done_cond);
	pthread_mutex_unlock(&done_lock);
}

static void run(const char *profile, enum relay_mode mode, unsigned deadline_ms,
		struct outcome *out, unsigned *tickets_sent)
{
	struct hs_job *job = calloc(1, sizeof(*job));
	struct server srv = { .mode = mode };
	struct relay relay = { .mode = mode };
	pthread_t server_thread, relay_thread;
	int outer[2], inner[2];
	char reason[KTLS_REASON_MAX];

	assert_non_null(job);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, outer), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, inner), 0);
	srv.fd = inner[1];
	relay.server_fd = inner[0];
	relay.server_sent_all = &srv.sent_all;
	relay.client_fd = outer[1];
	assert_int_equal(pthread_create(&server_thread, NULL, run_server, &srv), 0);
	assert_int_equal(pthread_create(&relay_thread, NULL, run_relay, &relay), 0);

	memset(out, 0, sizeof(*out));
	job->done = job_done;
	job->done_ctx = out;
	job->conn_fd = -1;
	job->sock_fd = outer[0];	/* the worker closes it */
	job->req.role = KTLS_ROLE_CLIENT;
	job->cfg = &cfg_ref;
	job->profile = cfg_find_profile(cfg_ref.cfg, profile);
	snprintf(job->peer_addr, sizeof(job->peer_addr), "relay");
	atomic_store(&steps, 0);
	assert_int_equal(job_submit(job, deadline_ms, reason, sizeof(reason)), 0);

	pthread_mutex_lock(&done_lock);
	while (!out->done)
		pthread_cond_wait(&done_cond, &done_lock);
	pthread_mutex_unlock(&done_lock);
	pthread_join(relay_thread, NULL);
	pthread_join(server_thread, NULL);
	close(outer[1]);
	close(inner[0]);
	close(inner[1]);
	*tickets_sent = relay.post_handshake_records;
	print_message("# status %u \"%s\" after %llu ms, %u hs_step calls, %zd bytes left, "
		      "%u split records\n", out->status, out->reason,
		      (unsigned long long)out->ms, atomic_load(&steps), out->left_queued,
		      relay.post_handshake_records);
}

/* Past the drain: the job reached the kernel TLS install (and failed
 * there, on a socketpair). */
static void assert_drained_to_handoff(const struct outcome *out)
{
	assert_int_not_equal(out->status, ETIMEDOUT);
	assert_non_null(strstr(out->reason, "kernel TLS"));
}

static void test_split_tickets_do_not_spin(void **state)
{
	struct outcome out;
	unsigned split;

	(void)state;
	run("c", RELAY_SPLIT, 10000, &out, &split);
	assert_true(split >= 1);
	assert_drained_to_handoff(&out);
	assert_true(out.left_queued <= 0);	/* every ticket was taken */
	/* polling a partial record every 5 ms for 200 ms per ticket, plus
	 * the handshake's own steps: well under 100 per ticket */
	assert_in_range(atomic_load(&steps), 2, 100 * split + 20);
}

static void test_ticket_count_capped(void **state)
{
	struct outcome out;
	unsigned split;

	(void)state;
	run("many", RELAY_MANY, 10000, &out, &split);
	assert_true(split >= MANY_TICKETS);
	assert_drained_to_handoff(&out);
	/* tickets past the cap (8) stay queued */
	assert_true(out.records_queued >= MANY_TICKETS - 8);
}

/* Half a ticket and never the rest: polled (not spun on) for at most the
 * window plus 1 s, then handed over as it is. */
static void test_stalled_ticket_polled_then_handed_over(void **state)
{
	struct outcome out;
	unsigned split;

	(void)state;
	run("c", RELAY_STALL, 10000, &out, &split);
	assert_drained_to_handoff(&out);
	assert_true(out.ms < 2000);
	assert_true(out.left_queued > 0);
	assert_in_range(atomic_load(&steps), 2, 400);	/* 5 ms polls for ~1.1 s */
}

/* A loaded server answers everything 400 ms late, tickets too: auto
 * waits twice its answer time, so the tickets are taken before the
 * handoff.  Four round trips plus 100 ms (a socketpair has no TCP_INFO:
 * 100 ms) handed over first and left them for the application's read(). */
static void test_auto_wait_follows_slow_server(void **state)
{
	struct outcome out;
	unsigned tickets;

	(void)state;
	run("auto", RELAY_SLOW, 10000, &out, &tickets);
	assert_true(tickets >= 2);
	assert_drained_to_handoff(&out);
	assert_true(out.left_queued <= 0);	/* both tickets were taken */
	assert_true(out.ms < 2 * SLOW_SERVER_MS + 2 * SLOW_SERVER_MS + 100 + 1000);
}

/* Tickets, then a KeyUpdate: the tickets are taken, the KeyUpdate stays
 * queued for the application (one record left), so the traffic secrets in
 * the reply are still those of the key the kernel gets. */
static void test_key_update_left_to_application(void **state)
{
	struct outcome out;
	unsigned records;

	(void)state;
	run("many", RELAY_KEYUPDATE, 10000, &out, &records);
	assert_true(records >= 3);	/* two tickets and the KeyUpdate */
	assert_drained_to_handoff(&out);
	assert_int_equal(out.records_queued, 1);
}

/* No ticket at all, a profile that waits 5 s for them, a job with 1.5 s
 * to go: the drain ends before the deadline; the finished handshake is
 * handed over, not failed with ETIMEDOUT. */
static void test_drain_ends_before_deadline(void **state)
{
	struct outcome out;
	unsigned split;

	(void)state;
	run("slow", RELAY_QUIET, 1500, &out, &split);
	assert_drained_to_handoff(&out);
	assert_true(out.ms < 1500);
}

/* The same, but the worker looks again only after the deadline has
 * passed (the clock jumps 2 s, past the 1.5 s deadline, once the drain
 * waits): the finished handshake is still handed over, not failed with
 * ETIMEDOUT. */
static void test_late_worker_hands_over_drain(void **state)
{
	struct outcome out;
	unsigned split;

	(void)state;
	atomic_store(&late_by_ms, 2000);
	run("slow", RELAY_QUIET, 1500, &out, &split);
	atomic_store(&late_by_ms, 0);
	atomic_store(&late_now_ms, 0);
	assert_drained_to_handoff(&out);
}

/* ---- fixtures ---- */

static int setup(void **state)
{
	struct cfg *cfg = NULL;
	char err[512];

	(void)state;
	signal(SIGPIPE, SIG_IGN);
	if (unit_tmpdir_create("ticket-drain") < 0)
		return -1;
	unit_make_cert("a.crt", "a.key", "a.test", GNUTLS_PK_ECDSA,
		       GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1));
	/* verify none: the relay's server is anyone; ticket_wait short, so
	 * that the wait for a ticket's rest goes past the window.  The
	 * session cache off: these tests time tickets a client did not ask
	 * for (with it on, GnuTLS's server sends one of its own at once and
	 * the 50 ms grace after it can end the drain before the test's burst
	 * of 20 arrives on a loaded host). */
	unit_write_text("ktlsd.conf", "[profile c]\nrole = client\nverify = none\n"
			"priority = NORMAL:-VERS-ALL:+VERS-TLS1.3\nticket_wait = 100ms\n"
			"session_cache = off\n"
			"[profile many]\nrole = client\nverify = none\n"
			"priority = NORMAL:-VERS-ALL:+VERS-TLS1.3\nticket_wait = 3000ms\n"
			"session_cache = off\n"
			"[profile slow]\nrole = client\nverify = none\n"
			"priority = NORMAL:-VERS-ALL:+VERS-TLS1.3\nticket_wait = 5000ms\n"
			"session_cache = off\n"
			"[profile auto]\nrole = client\nverify = none\n"
			"priority = NORMAL:-VERS-ALL:+VERS-TLS1.3\nsession_cache = off\n", 0600);
	if (cfg_load(unit_tmp_path("ktlsd.conf"), &cfg, err, sizeof(err)) < 0 ||
	    creds_load_all(cfg, false, err, sizeof(err)) < 0) {
		print_error("%s\n", err);
		return -1;
	}
	cfg_ref.cfg = cfg;
	atomic_store(&cfg_ref.refs, 1000);	/* jobs never free it */
	return workers_start(1);
}

static int teardown(void **state)
{
	(void)state;
	workers_stop();
	creds_free_all(cfg_ref.cfg);
	cfg_free(cfg_ref.cfg);
	return unit_tmpdir_remove();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_tickets_do_not_spin),
		cmocka_unit_test(test_ticket_count_capped),
		cmocka_unit_test(test_stalled_ticket_polled_then_handed_over),
		cmocka_unit_test(test_auto_wait_follows_slow_server),
		cmocka_unit_test(test_key_update_left_to_application),
		cmocka_unit_test(test_drain_ends_before_deadline),
		cmocka_unit_test(test_late_worker_hands_over_drain),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

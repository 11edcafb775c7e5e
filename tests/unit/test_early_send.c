// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The daemon's client 0-RTT (engine/early_send.c) against a GnuTLS server
 * in a thread, over a socketpair: when the early data flag is set (only
 * for an application request with early bytes and an offered TLS 1.3
 * ticket whose max_early_data is not 0: never for the kernel, never
 * without a ticket), how much is queued (at most the ticket's limit), and
 * what the reply says after the handshake (accepted with the bytes the
 * server really got as early data, rejected, not offered).
 */
#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <pthread.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/early_send.h"
#include "sessions/client_session.h"

struct server {
	int fd;
	int early;			/* GNUTLS_ENABLE_EARLY_DATA */
	size_t max_early;		/* 0: GnuTLS's default */
	size_t got_early;
};

static gnutls_certificate_credentials_t server_cred, client_cred;
static gnutls_datum_t ticket_key;
static gnutls_anti_replay_t anti_replay;
static gnutls_datum_t seen[32];
static unsigned n_seen;

static int seen_add(void *ptr, time_t expires, const gnutls_datum_t *key,
		    const gnutls_datum_t *value)
{
	(void)ptr;
	(void)expires;
	(void)value;
	for (unsigned i = 0; i < n_seen; i++)
		if (seen[i].size == key->size && !memcmp(seen[i].data, key->data, key->size))
			return GNUTLS_E_DB_ENTRY_EXISTS;
	if (n_seen == 32 || !(seen[n_seen].data = malloc(key->size)))
		return GNUTLS_E_MEMORY_ERROR;
	memcpy(seen[n_seen].data, key->data, key->size);
	seen[n_seen++].size = key->size;
	return 0;
}

/* The early_data limit of the last ticket the client got, as ktlsd's
 * handshake hook reads it (sessions/client_session.c). */
static uint32_t last_ticket_max;

static int on_ticket(gnutls_session_t session, unsigned htype, unsigned when,
		     unsigned incoming, const gnutls_datum_t *msg)
{
	(void)session;
	(void)when;
	if (incoming && htype == GNUTLS_HANDSHAKE_NEW_SESSION_TICKET &&
	    client_session_nst_max_early(msg->data, msg->size, &last_ticket_max) < 0)
		last_ticket_max = 0xdead;
	return 0;
}

static void *serve(void *arg)
{
	struct server *srv = arg;
	gnutls_session_t s;
	char buf[32768];
	ssize_t n;
	int rc;

	gnutls_init(&s, GNUTLS_SERVER | (srv->early ? GNUTLS_ENABLE_EARLY_DATA : 0));
	gnutls_priority_set_direct(s, "NORMAL:-VERS-ALL:+VERS-TLS1.3", NULL);
	gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, server_cred);
	gnutls_session_ticket_enable_server(s, &ticket_key);
	if (srv->early) {
		gnutls_anti_replay_enable(s, anti_replay);
		if (srv->max_early)
			gnutls_record_set_max_early_data_size(s, srv->max_early);
	}
	gnutls_transport_set_int(s, srv->fd);
	do
		rc = gnutls_handshake(s);
	while (rc < 0 && !gnutls_error_is_fatal(rc));
	srv->got_early = 0;
	while (rc == 0 && srv->early &&
	       (n = gnutls_record_recv_early_data(s, buf, sizeof(buf))) > 0)
		srv->got_early += (size_t)n;
	while (rc == 0 && gnutls_record_recv(s, buf, sizeof(buf)) > 0)
		;
	gnutls_deinit(s);
	close(srv->fd);
	return NULL;
}

/* One client handshake through early_send_*: the reply it would send, and
 * the session data the server's ticket left in *next (freed by caller). */
static void handshake(struct server *srv, struct hs_job *job, const gnutls_datum_t *resume,
		      uint32_t resume_max, struct ktls_hs_reply *rep, gnutls_datum_t *next,
		      size_t *ticket_max)
{
	struct client_cache_hit hit = { .facts.max_early_data = resume_max };
	struct early_send es;
	gnutls_session_t s;
	pthread_t t;
	unsigned flags;
	int sv[2], rc;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	srv->fd = sv[1];
	assert_int_equal(pthread_create(&t, NULL, serve, srv), 0);
	if (resume) {
		hit.data = resume->data;
		hit.len = resume->size;
		hit.tls13 = 1;
	}
	flags = early_send_init_flags(&es, job, resume ? &hit : NULL, resume != NULL);
	*ticket_max = es.ticket_max;
	assert_int_equal(gnutls_init(&s, GNUTLS_CLIENT | flags), 0);
	gnutls_priority_set_direct(s, "NORMAL:-VERS-ALL:+VERS-TLS1.3", NULL);
	gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, client_cred);
	gnutls_handshake_set_hook_function(s, GNUTLS_HANDSHAKE_NEW_SESSION_TICKET,
					   GNUTLS_HOOK_PRE, on_ticket);
	last_ticket_max = 0xbad;
	if (resume)
		assert_int_equal(gnutls_session_set_data(s, resume->data, resume->size), 0);
	early_send_queue(&es, job, s);
	gnutls_transport_set_int(s, sv[0]);
	do
		rc = gnutls_handshake(s);
	while (rc < 0 && !gnutls_error_is_fatal(rc));
	assert_int_equal(rc, 0);
	memset(rep, 0, sizeof(*rep));
	rep->resumed = gnutls_session_is_resumed(s) != 0;
	early_send_end(&es, job, s, rep);
	/* blocking: waits for the server's ticket */
	assert_int_equal(gnutls_session_get_data2(s, next), 0);
	gnutls_bye(s, GNUTLS_SHUT_WR);
	pthread_join(t, NULL);
	gnutls_deinit(s);
	close(sv[0]);
}

static struct hs_job app_job(size_t early_len)
{
	struct hs_job job = { .origin = JOB_FROM_APP };

	job.req.role = KTLS_ROLE_CLIENT;
	if (early_len) {
		job.req.early_data = malloc(early_len);
		memset(job.req.early_data, 'e', early_len);
		job.req.early_data_len = (uint16_t)early_len;
	}
	return job;
}

static void test_accepted_rejected_prefix(void **state)
{
	struct server srv = { .early = 1 };
	struct ktls_hs_reply rep;
	gnutls_datum_t data = { 0 }, next = { 0 };
	struct hs_job job = app_job(600);
	uint32_t data_max;
	size_t max;

	(void)state;
	/* no ticket: a full handshake carries nothing */
	handshake(&srv, &job, NULL, 0, &rep, &data, &max);
	assert_int_equal(max, 0);
	assert_int_equal(rep.early_status, KTLS_EARLY_DATA_NOT_SENT);
	assert_int_equal(srv.got_early, 0);
	assert_null(job.req.early_data);	/* wiped and freed after use */
	assert_int_equal(last_ticket_max, 16384);	/* GnuTLS server's default */
	data_max = last_ticket_max;

	/* resumed with an early-data ticket: accepted, all 600 */
	job = app_job(600);
	handshake(&srv, &job, &data, data_max, &rep, &next, &max);
	assert_int_equal(max, 16384);
	assert_true(rep.resumed);
	assert_int_equal(rep.early_status, KTLS_EARLY_DATA_ACCEPTED);
	assert_int_equal(rep.early_accepted, 600);
	assert_int_equal(srv.got_early, 600);
	gnutls_free(data.data);
	data = next;
	data_max = last_ticket_max;

	/* the server does not take early data now: rejected, resumed; its
	 * ticket has no early_data extension */
	srv.early = 0;
	job = app_job(600);
	handshake(&srv, &job, &data, data_max, &rep, &next, &max);
	assert_true(rep.resumed);
	assert_int_equal(rep.early_status, KTLS_EARLY_DATA_REJECTED);
	assert_int_equal(rep.early_accepted, 0);
	assert_int_equal(last_ticket_max, 0);
	gnutls_free(data.data);
	data = next;
	data_max = last_ticket_max;

	/* so it is not offered, and no flag is set */
	srv.early = 1;
	srv.max_early = 1000;
	job = app_job(5000);
	handshake(&srv, &job, &data, data_max, &rep, &next, &max);
	assert_int_equal(max, 0);
	assert_true(rep.resumed);
	assert_int_equal(rep.early_status, KTLS_EARLY_DATA_NOT_SENT);
	assert_int_equal(srv.got_early, 0);
	gnutls_free(data.data);
	data = next;
	data_max = last_ticket_max;
	assert_int_equal(data_max, 1000);

	/* a ticket allowing 1000: a 1000-byte prefix, the rest is libktls's */
	job = app_job(5000);
	handshake(&srv, &job, &data, data_max, &rep, &next, &max);
	assert_int_equal(max, 1000);
	assert_int_equal(rep.early_status, KTLS_EARLY_DATA_ACCEPTED);
	assert_int_equal(rep.early_accepted, 1000);
	assert_int_equal(srv.got_early, 1000);
	gnutls_free(data.data);
	data = next;
	data_max = last_ticket_max;

	/* never for the kernel's requests, nor without early bytes, nor with
	 * a session that is not offered, nor for TLS 1.2 */
	{
		struct client_cache_hit hit = { .data = data.data, .len = data.size, .tls13 = 1,
						.facts.max_early_data = data_max };
		struct early_send es;
		struct hs_job kernel = app_job(100), none = app_job(0);

		kernel.origin = JOB_FROM_KERNEL;
		assert_int_equal(early_send_init_flags(&es, &kernel, &hit, 1), 0);
		assert_int_equal(early_send_init_flags(&es, &none, &hit, 1), 0);
		job = app_job(100);
		assert_int_equal(early_send_init_flags(&es, &job, &hit, 0), 0);
		assert_int_equal(early_send_init_flags(&es, &job, NULL, 1), 0);
		assert_int_equal(early_send_init_flags(&es, &job, &hit, 1),
				 GNUTLS_ENABLE_EARLY_DATA);
		hit.tls13 = 0;
		assert_int_equal(early_send_init_flags(&es, &job, &hit, 1), 0);
		early_send_drop(&kernel.req);
		early_send_drop(&job.req);
	}
	gnutls_free(data.data);
}

/* The NewSessionTicket parser, on hand-made messages. */
static void test_nst_parse(void **state)
{
	/* lifetime, age_add, nonce(1), ticket(2), extensions: early_data 1000 */
	static const uint8_t with[] = { 0, 0, 0, 60, 1, 2, 3, 4, 1, 0xaa, 0, 2, 0xbb, 0xcc,
					0, 8, 0, 42, 0, 4, 0, 0, 0x03, 0xe8 };
	static const uint8_t without[] = { 0, 0, 0, 60, 1, 2, 3, 4, 0, 0, 1, 0xbb, 0, 0 };
	static const uint8_t other_ext[] = { 0, 0, 0, 60, 1, 2, 3, 4, 0, 0, 1, 0xbb,
					     0, 4, 0x7f, 0x01, 0, 0 };
	uint8_t bad[sizeof(with)];
	uint32_t max = 7;

	(void)state;
	assert_int_equal(client_session_nst_max_early(with, sizeof(with), &max), 0);
	assert_int_equal(max, 1000);
	assert_int_equal(client_session_nst_max_early(without, sizeof(without), &max), 0);
	assert_int_equal(max, 0);
	assert_int_equal(client_session_nst_max_early(other_ext, sizeof(other_ext), &max), 0);
	assert_int_equal(max, 0);
	/* every truncation is refused, never read past */
	for (size_t n = 0; n < sizeof(with); n++)
		assert_int_equal(client_session_nst_max_early(with, n, &max), -EBADMSG);
	memcpy(bad, with, sizeof(bad));
	bad[19] = 3;	/* early_data of 3 bytes */
	assert_int_equal(client_session_nst_max_early(bad, sizeof(bad), &max), -EBADMSG);
	memcpy(bad, with, sizeof(bad));
	bad[8] = 200;	/* nonce longer than the message */
	assert_int_equal(client_session_nst_max_early(bad, sizeof(bad), &max), -EBADMSG);
}

static void test_own_and_drop(void **state)
{
	uint8_t msg[10] = "0123456789";
	struct ktls_hs_request req = { .early_data = msg, .early_data_len = 10 };

	(void)state;
	assert_int_equal(early_send_own(&req), 0);
	assert_ptr_not_equal(req.early_data, msg);
	assert_memory_equal(req.early_data, msg, 10);
	early_send_drop(&req);
	assert_null(req.early_data);
	assert_int_equal(req.early_data_len, 0);
	early_send_drop(&req);	/* idempotent */
}

static int setup(void **state)
{
	/* throwaway self-signed certificate, made here */
	gnutls_x509_privkey_t key;
	gnutls_x509_crt_t crt;
	(void)state;
	signal(SIGPIPE, SIG_IGN);	/* a peer that closed first is not a test failure */
	if (gnutls_x509_privkey_init(&key) < 0 ||
	    gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
					 GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) < 0 ||
	    gnutls_x509_crt_init(&crt) < 0)
		return -1;
	gnutls_x509_crt_set_key(crt, key);
	gnutls_x509_crt_set_serial(crt, "\x01", 1);
	gnutls_x509_crt_set_activation_time(crt, time(NULL) - 60);
	gnutls_x509_crt_set_expiration_time(crt, time(NULL) + 3600);
	gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, "localhost", 9);
	gnutls_x509_crt_set_version(crt, 3);
	if (gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0) < 0 ||
	    gnutls_certificate_allocate_credentials(&server_cred) < 0 ||
	    gnutls_certificate_set_x509_key(server_cred, &crt, 1, key) < 0 ||
	    gnutls_certificate_allocate_credentials(&client_cred) < 0 ||
	    gnutls_session_ticket_key_generate(&ticket_key) < 0 ||
	    gnutls_anti_replay_init(&anti_replay) < 0)
		return -1;
	gnutls_anti_replay_set_add_function(anti_replay, seen_add);
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(key);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_own_and_drop),
		cmocka_unit_test(test_nst_parse),
		cmocka_unit_test(test_accepted_rejected_prefix),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}

// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * early_peer - the client 0-RTT contract of libktls(3), end to end:
 * KTLS_EARLY_DATA bytes and what the application writes after
 * ktls_connect() reach the server exactly once and in order, whether the
 * server accepted the early data, rejected it, took only a prefix, or no
 * ticket allowed any.  Driven by t_early_client.sh (needs a kTLS kernel
 * and a ktlsd at $KTLS_SOCKET whose client profile trusts CERT's CA).
 *
 *   early_peer CERT KEY
 *
 * The server is GnuTLS in a thread of this program (gnutls-serv 3.7's
 * --earlydata drops the early data it reads, fixed upstream in 2025), on
 * one port with one ticket key for every step, so ktlsd's cached ticket
 * of one step resumes in the next.  Per step the server counts the bytes
 * it got as early data and in all, hashes the whole stream, and answers
 * one line with those; the client compares them with what it sent.
 * Output: TAP lines (unnumbered; the script relays them).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ktls.h"
#include "support/tap.h"

#define LATER_LEN 3000		/* written with write() after ktls_connect() */
#define STREAM_MAX (KTLS_EARLY_DATA_MAX + LATER_LEN + 1)	/* + 1: room to see one too many */

struct step {
	const char *label;
	int server_early;		/* GNUTLS_ENABLE_EARLY_DATA on the server */
	size_t server_max_early;	/* 0: GnuTLS's default */
	size_t early_len;		/* KTLS_EARLY_DATA bytes the client sets */
	int want_status;		/* enum ktls_early_data_status */
	size_t want_server_early;	/* bytes the server must get as 0-RTT */
};

/* In order: each step's ticket is the one the step before left. */
static const struct step steps[] = {
	{ "first contact: no ticket, the bytes go after the handshake", 1, 0, 600,
	  KTLS_EARLY_DATA_NOT_SENT, 0 },
	{ "resumed, server accepts: the bytes went as 0-RTT", 1, 0, 600,
	  KTLS_EARLY_DATA_ACCEPTED, 600 },
	{ "resumed, server rejects 0-RTT: the bytes are sent again after the handshake", 0, 0,
	  600, KTLS_EARLY_DATA_REJECTED, 0 },
	{ "ticket without early data: not offered, sent after the handshake", 1, 1000, 5000,
	  KTLS_EARLY_DATA_NOT_SENT, 0 },
	{ "more than the ticket's max_early_data (1000): a 0-RTT prefix, the rest after", 1,
	  1000, 5000, KTLS_EARLY_DATA_ACCEPTED, 1000 },
	{ "16 KiB (the most KTLS_EARLY_DATA takes), ticket allows 1000: prefix as 0-RTT", 1,
	  16384, 16384, KTLS_EARLY_DATA_ACCEPTED, 1000 },
	{ "16 KiB as 0-RTT, all accepted", 1, 16384, 16384, KTLS_EARLY_DATA_ACCEPTED, 16384 },
};

struct server {
	int listen_fd;
	gnutls_certificate_credentials_t cred;
	gnutls_datum_t ticket_key;
	gnutls_anti_replay_t anti_replay;
	const struct step *step;
	/* what it got */
	size_t got_early, got_total;
	uint8_t digest[32];
	char error[256];
};

/* GnuTLS's anti-replay needs a store: every ClientHello seen (a replay
 * would be refused; none happens here).  Only the server thread calls it. */
#define SEEN_MAX 64
static gnutls_datum_t seen[SEEN_MAX];
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
	if (n_seen == SEEN_MAX || !(seen[n_seen].data = malloc(key->size)))
		return GNUTLS_E_MEMORY_ERROR;
	memcpy(seen[n_seen].data, key->data, key->size);
	seen[n_seen++].size = key->size;
	return 0;
}

static uint8_t pattern_at(size_t i)
{
	return (uint8_t)(i * 131 + i / 251 + 7);
}

static void fill_pattern(uint8_t *buf, size_t from, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = pattern_at(from + i);
}

static int server_read_all(struct server *srv, gnutls_session_t s, uint8_t *stream)
{
	ssize_t n;

	if (srv->step->server_early) {
		while ((n = gnutls_record_recv_early_data(s, stream + srv->got_total,
							  STREAM_MAX - srv->got_total)) > 0) {
			srv->got_early += (size_t)n;
			srv->got_total += (size_t)n;
		}
	}
	for (;;) {
		n = gnutls_record_recv(s, stream + srv->got_total, STREAM_MAX - srv->got_total);
		if (n == 0)
			return 0;	/* close_notify: the client is done */
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n < 0) {
			snprintf(srv->error, sizeof(srv->error), "server read: %s",
				 gnutls_strerror((int)n));
			return -1;
		}
		srv->got_total += (size_t)n;
		if (srv->got_total == STREAM_MAX) {
			snprintf(srv->error, sizeof(srv->error), "server: more than %d bytes",
				 STREAM_MAX);
			return -1;
		}
	}
}

static void *server_one(void *arg)
{
	struct server *srv = arg;
	unsigned flags = GNUTLS_SERVER | (srv->step->server_early ? GNUTLS_ENABLE_EARLY_DATA : 0);
	uint8_t *stream = malloc(STREAM_MAX);
	gnutls_session_t s = NULL;
	char line[128];
	int fd, rc;

	srv->got_early = srv->got_total = 0;
	srv->error[0] = '\0';
	fd = accept(srv->listen_fd, NULL, NULL);
	if (fd < 0 || !stream || gnutls_init(&s, flags) < 0) {
		snprintf(srv->error, sizeof(srv->error), "server setup: %s", strerror(errno));
		goto out;
	}
	gnutls_set_default_priority(s);
	gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, srv->cred);
	gnutls_session_ticket_enable_server(s, &srv->ticket_key);
	if (srv->step->server_early) {
		gnutls_anti_replay_enable(s, srv->anti_replay);
		if (srv->step->server_max_early)
			gnutls_record_set_max_early_data_size(s, srv->step->server_max_early);
	}
	gnutls_transport_set_int(s, fd);
	do
		rc = gnutls_handshake(s);
	while (rc < 0 && !gnutls_error_is_fatal(rc));
	if (rc < 0) {
		snprintf(srv->error, sizeof(srv->error), "server handshake: %s",
			 gnutls_strerror(rc));
		goto out;
	}
	if (server_read_all(srv, s, stream) < 0)
		goto out;
	gnutls_hash_fast(GNUTLS_DIG_SHA256, stream, srv->got_total, srv->digest);
	snprintf(line, sizeof(line), "early=%zu total=%zu resumed=%d\n", srv->got_early,
		 srv->got_total, gnutls_session_is_resumed(s));
	gnutls_record_send(s, line, strlen(line));
	gnutls_record_send(s, srv->digest, sizeof(srv->digest));
	gnutls_bye(s, GNUTLS_SHUT_WR);
out:
	if (s)
		gnutls_deinit(s);
	if (fd >= 0)
		close(fd);
	free(stream);
	return NULL;
}

static int client_write_all(int fd, const uint8_t *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The client: early bytes, handshake, the later bytes, close_notify, then
 * the server's summary.  0 and the status, or -1 (diag says why). */
static int client_one(int port, const struct step *st, int *status, char *summary,
		      size_t summary_cap, uint8_t server_digest[32])
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	uint8_t early[KTLS_EARLY_DATA_MAX], later[LATER_LEN], reply[256];
	socklen_t len = sizeof(*status);
	size_t got = 0;
	ssize_t n;
	int fd = socket(AF_INET, SOCK_STREAM, 0), rc = -1;

	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	fill_pattern(early, 0, st->early_len);
	fill_pattern(later, st->early_len, sizeof(later));
	if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		diag_errno("connect");
		goto out;
	}
	if (ktls_setsockopt(fd, SOL_KTLS, KTLS_SERVER_NAME, "localhost", 9) < 0 ||
	    ktls_setsockopt(fd, SOL_KTLS, KTLS_EARLY_DATA, early, (socklen_t)st->early_len) < 0 ||
	    ktls_connect(fd) < 0 ||
	    ktls_getsockopt(fd, SOL_KTLS, KTLS_EARLY_DATA_STATUS, status, &len) < 0) {
		diag("ktls: %s", ktls_errmsg());
		goto out;
	}
	if (client_write_all(fd, later, sizeof(later)) < 0 || ktls_shutdown(fd, SHUT_WR) < 0) {
		diag_errno("write after ktls_connect");
		goto out;
	}
	while (got < sizeof(reply) && (n = ktls_recv(fd, reply + got, sizeof(reply) - got, 0)) > 0)
		got += (size_t)n;
	if (got < 32 || !memchr(reply, '\n', got)) {
		diag("server summary missing (%zu bytes)", got);
		goto out;
	}
	len = (socklen_t)((uint8_t *)memchr(reply, '\n', got) - reply);
	if (got != len + 1 + 32 || len >= summary_cap) {
		diag("server summary malformed (%zu bytes)", got);
		goto out;
	}
	memcpy(summary, reply, len);
	summary[len] = '\0';
	memcpy(server_digest, reply + len + 1, 32);
	rc = 0;
out:
	if (fd >= 0) {
		ktls_forget(fd);
		close(fd);
	}
	return rc;
}

static int run_step(struct server *srv, int port, const struct step *st)
{
	uint8_t *sent = malloc(STREAM_MAX), digest[32], server_digest[32];
	char summary[128] = "", want[128];
	size_t total = st->early_len + LATER_LEN;
	pthread_t thread;
	int status = -1, rc, ok;

	srv->step = st;
	if (!sent || pthread_create(&thread, NULL, server_one, srv) != 0)
		return tap(0, st->label, "thread");
	/* the client always connects, so the server's accept() returns */
	rc = client_one(port, st, &status, summary, sizeof(summary), server_digest);
	pthread_join(thread, NULL);
	fill_pattern(sent, 0, total);
	gnutls_hash_fast(GNUTLS_DIG_SHA256, sent, total, digest);
	free(sent);
	snprintf(want, sizeof(want), "early=%zu total=%zu resumed=%d", st->want_server_early,
		 total, st->want_status == KTLS_EARLY_DATA_ACCEPTED ||
			st->want_status == KTLS_EARLY_DATA_REJECTED ? 1 : -1);
	ok = rc == 0 && status == st->want_status && !srv->error[0] &&
	     !memcmp(digest, server_digest, 32) && !memcmp(digest, srv->digest, 32) &&
	     srv->got_early == st->want_server_early && srv->got_total == total;
	/* "resumed" is checked where the step says (-1: either) */
	if (ok && !strstr(want, "resumed=-1"))
		ok = !strcmp(summary, want);
	return tap(ok, st->label, "status %d (want %d); server: \"%s\" (want \"%s\")%s%s; "
		   "SHA-256 of the %zu bytes %s", status, st->want_status, summary, want,
		   srv->error[0] ? "; " : "", srv->error, total,
		   memcmp(digest, server_digest, 32) ? "DIFFERS" : "matches");
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sin_len = sizeof(sin);
	struct server srv = { .listen_fd = -1 };
	int one = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: early_peer CERT KEY\n");
		return 2;
	}
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	srv.listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(srv.listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (srv.listen_fd < 0 || bind(srv.listen_fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(srv.listen_fd, 4) < 0 ||
	    getsockname(srv.listen_fd, (struct sockaddr *)&sin, &sin_len) < 0) {
		perror("early_peer: listen");
		return 1;
	}
	if (gnutls_certificate_allocate_credentials(&srv.cred) < 0 ||
	    gnutls_certificate_set_x509_key_file(srv.cred, argv[1], argv[2],
						 GNUTLS_X509_FMT_PEM) < 0 ||
	    gnutls_session_ticket_key_generate(&srv.ticket_key) < 0 ||
	    gnutls_anti_replay_init(&srv.anti_replay) < 0) {
		fprintf(stderr, "early_peer: server credentials\n");
		return 1;
	}
	gnutls_anti_replay_set_add_function(srv.anti_replay, seen_add);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		run_step(&srv, ntohs(sin.sin_port), &steps[i]);
	gnutls_anti_replay_deinit(srv.anti_replay);
	gnutls_free(srv.ticket_key.data);
	gnutls_certificate_free_credentials(srv.cred);
	close(srv.listen_fd);
	return tap_failures ? 1 : 0;
}

// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * interop_openssl - a GnuTLS client that hands its session to the kernel with
 * libktls, against `openssl s_server` (a peer nobody here wrote), driven by
 * t_interop_openssl.sh, which starts the server and checks what it received.
 *
 * After the handshake the negotiated state is mapped with
 * ktls_params_from_gnutls() for both directions and installed with
 * ktls_install_both(); GnuTLS is then freed and only the socket is used:
 *   --get PATH: send "GET /PATH" to `s_server -WWW` and hash the body it sends
 *               back (over OpenSSL's own kTLS sendfile when it has kTLS),
 *               comparing with --expect FILE;
 *   --put FILE: sendfile() FILE to `s_server -quiet` (which writes what it
 *               receives to its stdout; the script hashes that), then send
 *               close_notify and wait for the server to close.
 * Records that are not application data are consumed and counted: OpenSSL
 * sends TLS 1.3 NewSessionTicket messages right after the handshake, and on a
 * kTLS socket they arrive as records of type 22.
 *
 * Prints TAP lines without numbers ("ok - ..."; the script numbers them),
 * "# " diagnostics, and one "# openssl-ktls: ..." line telling from
 * /proc/net/tls_stat whether the server used kTLS itself.  Exit status 1 if a
 * check failed, 2 on bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ktls.h"
#include "ktls_gnutls.h"
#include "support/clock.h"
#include "support/hash.h"
#include "support/net.h"
#include "support/tap.h"
#include "support_io.h"
#include "support_tls_stat.h"

#define RECV_CHUNK (64 * 1024)
#define HTTP_HEADER_MAX 4096
#define IO_TIMEOUT_S 120
#define CONNECT_RETRY_MS 5000
#define SERVER_NAME "localhost"
#define HANDSHAKE_NEW_SESSION_TICKET 4	/* RFC 8446 section 4 */

struct options {
	const char *label;
	int port;
	const char *ca_file;
	enum ktls_version version;
	int cipher;			/* enum ktls_cipher */
	const char *get_path;		/* file name on the server (-WWW mode) */
	const char *expect_file;	/* local copy of it */
	const char *put_file;
};

/* ---- /proc/net/tls_stat -------------------------------------------------------- */

/* Our socket adds one TX and one RX install; anything beyond that during
 * this connection was the server's own kTLS (the suite runs one connection
 * at a time). */
static void report_server_ktls(const struct tls_counters *before,
			       const struct tls_counters *after, const char *server_version)
{
	long long tx = after->tx_sw - before->tx_sw, rx = after->rx_sw - before->rx_sw;

	if (before->tx_sw < 0 || after->tx_sw < 0) {
		diag("openssl-ktls: unknown (no /proc/net/tls_stat)");
		return;
	}
	diag("openssl-ktls: tx=%s rx=%s (%s; tls_stat TlsTxSw +%lld TlsRxSw +%lld, ours +1/+1)",
	     tx >= 2 ? "yes" : "no", rx >= 2 ? "yes" : "no", server_version, tx, rx);
}

/* ---- connection and handshake ----------------------------------------------------- */

static int connect_loopback(int port)
{
	double give_up = now_s() + CONNECT_RETRY_MS / 1000.0;

	for (;;) {
		int fd = tcp_connect("127.0.0.1", port, IO_TIMEOUT_S);

		if (fd >= 0)
			return fd;
		if (errno != ECONNREFUSED || now_s() > give_up)
			return -1;
		usleep(100 * 1000);	/* the server may still be starting */
	}
}

static int set_priority(gnutls_session_t session, const struct options *o)
{
	char priority[256];
	const char *err_pos = NULL;
	int rc;

	snprintf(priority, sizeof(priority), "NORMAL:-VERS-ALL:+VERS-TLS%s:-CIPHER-ALL:+%s",
		 o->version == KTLS_VERSION_1_3 ? "1.3" : "1.2", ktls_cipher_name(o->cipher));
	rc = gnutls_priority_set_direct(session, priority, &err_pos);
	if (rc < 0)
		diag("priority \"%s\": %s at \"%s\"", priority, gnutls_strerror(rc),
		     err_pos ? err_pos : "?");
	return rc;
}

static void diag_verify_failure(gnutls_session_t session)
{
	gnutls_datum_t text = { NULL, 0 };
	unsigned int status = gnutls_session_get_verify_cert_status(session);

	if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &text, 0) == 0)
		diag("certificate verification: %s", text.data);
	gnutls_free(text.data);
}

/* The client handshake, verifying the server for SERVER_NAME against the CA. */
static int handshake(gnutls_session_t session, gnutls_certificate_credentials_t cred, int fd,
		     const struct options *o)
{
	int rc = gnutls_certificate_set_x509_trust_file(cred, o->ca_file, GNUTLS_X509_FMT_PEM);

	if (rc <= 0) {
		diag("CA file %s: %s", o->ca_file, rc < 0 ? gnutls_strerror(rc) : "no certificates");
		return -1;
	}
	if (set_priority(session, o) < 0 ||
	    gnutls_credentials_set(session, GNUTLS_CRD_CERTIFICATE, cred) < 0 ||
	    gnutls_server_name_set(session, GNUTLS_NAME_DNS, SERVER_NAME, strlen(SERVER_NAME)) < 0)
		return -1;
	gnutls_session_set_verify_cert(session, SERVER_NAME, 0);
	gnutls_transport_set_int(session, fd);
	gnutls_handshake_set_timeout(session, IO_TIMEOUT_S * 1000);
	do
		rc = gnutls_handshake(session);
	while (rc < 0 && !gnutls_error_is_fatal(rc));
	if (rc < 0) {
		diag("gnutls_handshake: %s", gnutls_strerror(rc));
		if (rc == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR)
			diag_verify_failure(session);
		return -1;
	}
	return 0;
}

/* The session must be what we asked for, and GnuTLS must hold no decrypted
 * data: it would be lost to the kernel.  (GnuTLS reads records exactly, so
 * nothing undecrypted stays behind in its buffers either.) */
static int check_session(gnutls_session_t session, const struct options *o)
{
	char *desc = gnutls_session_get_desc(session);
	int version = gnutls_protocol_get_version(session) == GNUTLS_TLS1_3 ? KTLS_VERSION_1_3
									   : KTLS_VERSION_1_2;
	int cipher = ktls_cipher_from_gnutls(gnutls_cipher_get(session));
	size_t pending = gnutls_record_check_pending(session);
	int ok = version == (int)o->version && cipher == o->cipher && !pending;

	diag("GnuTLS %s: %s", gnutls_check_version(NULL), desc ? desc : "?");
	gnutls_free(desc);
	if (!ok)
		diag("negotiated %s %s with %zu bytes pending; want %s %s with none",
		     ktls_version_name(version), ktls_cipher_name(cipher), pending,
		     ktls_version_name(o->version), ktls_cipher_name(o->cipher));
	return ok ? 0 : -1;
}

static int query_matches(int fd, const struct options *o)
{
	struct ktls_info info;

	if (ktls_query(fd, &info) < 0) {
		diag_errno("ktls_query");
		return 0;
	}
	return info.tx.installed && info.rx.installed && info.tx.version == o->version &&
	       info.rx.version == o->version && info.tx.cipher == o->cipher &&
	       info.rx.cipher == o->cipher;
}

/* Map both directions out of GnuTLS and install them. */
static int install_from_gnutls(gnutls_session_t session, int fd, const struct options *o)
{
	struct ktls_crypto_params tx, rx;
	int ok = 0;

	if (ktls_params_from_gnutls(session, KTLS_DIR_TX, &tx) < 0 ||
	    ktls_params_from_gnutls(session, KTLS_DIR_RX, &rx) < 0)
		diag("ktls_params_from_gnutls: %s", ktls_errmsg());
	else if (ktls_install_both(fd, &tx, &rx) < 0)
		diag_errno("ktls_install_both");
	else
		ok = query_matches(fd, o);
	ktls_params_wipe(&tx);
	ktls_params_wipe(&rx);
	return ok ? 0 : -1;
}

/* ---- records from the server ----------------------------------------------------- */

struct record_counts {
	unsigned int tickets;		/* NewSessionTicket messages */
	unsigned int handshake_records;
	unsigned int other_handshake;	/* handshake messages that are not tickets */
	int close_notify;
	int fatal;			/* an alert other than close_notify, or a bad record */
};

static void count_handshake_record(struct record_counts *rc, const uint8_t *buf, size_t len)
{
	rc->handshake_records++;
	/* Each message: type (1 byte), length (3 bytes), body. */
	for (size_t off = 0; off + 4 <= len;) {
		size_t body = (size_t)buf[off + 1] << 16 | (size_t)buf[off + 2] << 8 | buf[off + 3];

		if (buf[off] == HANDSHAKE_NEW_SESSION_TICKET)
			rc->tickets++;
		else
			rc->other_handshake++;
		off += 4 + body;
	}
}

static void note_alert(struct record_counts *rc, const uint8_t *buf, size_t len)
{
	if (len == 2 && buf[1] == 0) {
		rc->close_notify = 1;
		return;
	}
	diag("server sent alert %s (level %u)", len == 2 ? ktls_alert_name(buf[1]) : "?",
	     len >= 1 ? buf[0] : 0);
	rc->fatal = 1;
}

/* Receive one record; application data is returned (> 0), other record
 * types are consumed and counted (returns 1 with *data_len 0).  0 at the end
 * of the stream (EOF or close_notify), -1 on error. */
static int next_record(int fd, uint8_t *buf, size_t size, size_t *data_len,
		       struct record_counts *rc)
{
	uint8_t type;
	ssize_t n = ktls_recv_record(fd, buf, size, 0, &type);

	*data_len = 0;
	if (n < 0) {
		diag_errno("ktls_recv_record");
		return -1;
	}
	if (n == 0)
		return 0;
	switch (type) {
	case KTLS_RECORD_APPLICATION_DATA:
		*data_len = (size_t)n;
		return 1;
	case KTLS_RECORD_HANDSHAKE:
		count_handshake_record(rc, buf, (size_t)n);
		return 1;
	case KTLS_RECORD_ALERT:
		note_alert(rc, buf, (size_t)n);
		return rc->close_notify ? 0 : -1;
	}
	diag("unexpected record type %u (%zd bytes)", type, n);
	rc->fatal = 1;
	return -1;
}

static void diag_records(const struct record_counts *rc)
{
	diag("post-handshake records from the server: %u NewSessionTicket in %u handshake "
	     "records, %u other handshake messages, %s",
	     rc->tickets, rc->handshake_records, rc->other_handshake,
	     rc->close_notify ? "ended with close_notify" : "ended without close_notify");
}

/* ---- GET: server -> client ------------------------------------------------------- */

struct http_body {
	char header[HTTP_HEADER_MAX];
	size_t header_len;
	int header_done;
	size_t body_len;
	gnutls_hash_hd_t hash;
};

/* Split the response into header (kept) and body (hashed). */
static int feed_response(struct http_body *b, const uint8_t *data, size_t len)
{
	if (!b->header_done) {
		size_t room = sizeof(b->header) - 1 - b->header_len;
		size_t take = len < room ? len : room, old_len = b->header_len, body_from;
		char *end;

		memcpy(b->header + old_len, data, take);
		b->header_len += take;
		b->header[b->header_len] = '\0';
		end = strstr(b->header, "\r\n\r\n");
		if (!end)
			return take == len ? 0 : -1;	/* else: header too long */
		/* The blank line ends in this chunk; what follows it is body. */
		body_from = (size_t)(end + 4 - b->header) - old_len;
		b->header_done = 1;
		b->header_len = (size_t)(end - b->header);
		b->header[b->header_len] = '\0';
		data += body_from;
		len -= body_from;
	}
	gnutls_hash(b->hash, data, len);
	b->body_len += len;
	return 0;
}

static int receive_response(int fd, struct http_body *body, struct record_counts *rc)
{
	uint8_t *buf = malloc(RECV_CHUNK);
	size_t data_len;
	int r = -1;

	while (buf && (r = next_record(fd, buf, RECV_CHUNK, &data_len, rc)) > 0)
		if (data_len && feed_response(body, buf, data_len) < 0) {
			diag("HTTP header longer than %d bytes", HTTP_HEADER_MAX);
			r = -1;
			break;
		}
	free(buf);
	return r;
}

static void run_get(int fd, const struct options *o)
{
	struct http_body body = { .header_len = 0 };
	struct record_counts rc = { .tickets = 0 };
	uint8_t want[SHA256_LEN], got[SHA256_LEN];
	char request[512];
	size_t want_len;
	double start = now_s();
	int ok;

	if (file_sha256(o->expect_file, want, &want_len) < 0 ||
	    gnutls_hash_init(&body.hash, GNUTLS_DIG_SHA256) < 0) {
		diag("reading %s: %s", o->expect_file, strerror(errno));
		tap(0, o->label, "HTTP GET over kTLS");
		return;
	}
	snprintf(request, sizeof(request), "GET /%s HTTP/1.0\r\n\r\n", o->get_path);
	ok = io_write_all(fd, request, strlen(request)) == 0;
	if (!ok)
		diag_errno("sending the request");
	ok = ok && receive_response(fd, &body, &rc) == 0;
	gnutls_hash_deinit(body.hash, got);
	diag_records(&rc);
	if (body.header_done)
		diag("response header: %.*s", (int)strcspn(body.header, "\r\n"), body.header);
	ok = ok && body.header_done && !strncmp(body.header, "HTTP/1.0 200", 12) &&
	     body.body_len == want_len && !memcmp(got, want, SHA256_LEN) && !rc.fatal;
	if (!ok)
		diag("body: %zu of %zu bytes, sha256 %s", body.body_len, want_len,
		     memcmp(got, want, SHA256_LEN) ? "differs" : "matches");
	else
		diag("%zu bytes in %.2f s", want_len, now_s() - start);
	tap(ok, o->label, "HTTP GET over kTLS: %zu-byte body sha256 match, %u NewSessionTicket "
	    "consumed", want_len, rc.tickets);
	ktls_send_close_notify(fd);	/* best effort: the server may be gone */
}

/* ---- PUT: client -> server ------------------------------------------------------- */

/* Drain until the server closes; s_server sends no data in this mode. */
static int wait_for_close(int fd, struct record_counts *rc, size_t *unexpected_data)
{
	uint8_t buf[RECV_CHUNK];
	size_t data_len;
	int r;

	*unexpected_data = 0;
	while ((r = next_record(fd, buf, sizeof(buf), &data_len, rc)) > 0)
		*unexpected_data += data_len;
	return r;
}

static void run_put(int fd, const struct options *o)
{
	struct record_counts rc = { .tickets = 0 };
	struct stat st = { .st_size = 0 };
	size_t unexpected = 0;
	int file_fd = open(o->put_file, O_RDONLY | O_CLOEXEC);
	double start = now_s();
	int ok = file_fd >= 0 && fstat(file_fd, &st) == 0;

	if (!ok)
		diag("%s: %s", o->put_file, strerror(errno));
	if (ok && io_sendfile_all(fd, file_fd, 0, (size_t)st.st_size) != (size_t)st.st_size) {
		diag_errno("sendfile");
		ok = 0;
	}
	if (ok && ktls_send_close_notify(fd) < 0) {
		diag_errno("ktls_send_close_notify");
		ok = 0;
	}
	if (ok)
		diag("%lld bytes sent in %.2f s", (long long)st.st_size, now_s() - start);
	ok = ok && wait_for_close(fd, &rc, &unexpected) == 0 && !unexpected && !rc.fatal;
	diag_records(&rc);
	if (unexpected)
		diag("the server sent %zu bytes of data; it should send none", unexpected);
	tap(ok, o->label, "sendfile %lld bytes over kTLS, close_notify, server closed cleanly, "
	    "%u NewSessionTicket consumed", (long long)st.st_size, rc.tickets);
	if (file_fd >= 0)
		close(file_fd);
}

/* ---- main ---------------------------------------------------------------------- */

static void usage(void)
{
	fprintf(stderr, "usage: interop_openssl --label L --port P --ca CA.pem "
			"--version 1.2|1.3 --cipher NAME (--get PATH --expect FILE | --put FILE)\n");
	exit(2);
}

static void parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "label", required_argument, NULL, 'l' },
		{ "port", required_argument, NULL, 'p' },
		{ "ca", required_argument, NULL, 'a' },
		{ "version", required_argument, NULL, 'v' },
		{ "cipher", required_argument, NULL, 'c' },
		{ "get", required_argument, NULL, 'g' },
		{ "expect", required_argument, NULL, 'e' },
		{ "put", required_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	memset(o, 0, sizeof(*o));
	o->cipher = -1;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'l':
			o->label = optarg;
			break;
		case 'p':
			o->port = atoi(optarg);
			break;
		case 'a':
			o->ca_file = optarg;
			break;
		case 'v':
			if (strcmp(optarg, "1.3") && strcmp(optarg, "1.2"))
				usage();
			o->version = !strcmp(optarg, "1.3") ? KTLS_VERSION_1_3 : KTLS_VERSION_1_2;
			break;
		case 'c':
			o->cipher = ktls_cipher_from_name(optarg);
			break;
		case 'g':
			o->get_path = optarg;
			break;
		case 'e':
			o->expect_file = optarg;
			break;
		case 'u':
			o->put_file = optarg;
			break;
		default:
			usage();
		}
	}
	if (!o->label || o->port <= 0 || o->port > 65535 || !o->ca_file || !o->version ||
	    o->cipher < 0 || !o->get_path == !o->put_file || (o->get_path && !o->expect_file))
		usage();
}

/* Everything up to a kTLS socket; GnuTLS is gone when this returns 0. */
static int establish(int fd, const struct options *o)
{
	gnutls_certificate_credentials_t cred = NULL;
	gnutls_session_t session = NULL;
	int ok;

	ok = gnutls_certificate_allocate_credentials(&cred) == 0 &&
	     gnutls_init(&session, GNUTLS_CLIENT) == 0 &&
	     handshake(session, cred, fd, o) == 0 && check_session(session, o) == 0;
	if (tap(ok, o->label, "GnuTLS handshake with openssl s_server, certificate verified for "
		"%s, %s %s negotiated", SERVER_NAME, ktls_version_name(o->version),
		ktls_cipher_name(o->cipher)))
		ok = tap(install_from_gnutls(session, fd, o) == 0, o->label,
			 "ktls_params_from_gnutls + ktls_install_both, ktls_query agrees");
	else
		tap_skip(o->label, "ktls_install_both", "no handshake");
	/* No gnutls_bye(): from here on the kernel owns the record layer. */
	if (session)
		gnutls_deinit(session);
	if (cred)
		gnutls_certificate_free_credentials(cred);
	return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct options o;
	struct tls_counters before, after;
	int fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	parse_options(argc, argv, &o);
	tls_counters_read(&before);
	fd = connect_loopback(o.port);
	if (fd < 0) {
		diag("connect to 127.0.0.1:%d: %s", o.port, strerror(errno));
		tap(0, o.label, "TCP connection to openssl s_server");
		return 1;
	}
	if (establish(fd, &o) < 0)
		tap_skip(o.label, o.get_path ? "HTTP GET over kTLS" : "sendfile over kTLS",
			 "no kTLS session");
	else if (o.get_path)
		run_get(fd, &o);
	else
		run_put(fd, &o);
	close(fd);
	tls_counters_read(&after);
	report_server_ktls(&before, &after, ktls_version_name(o.version));
	return tap_failures ? 1 : 0;
}

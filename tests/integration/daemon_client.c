// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * daemon_client - an application of libktls's daemon client, driven by
 * t_daemon.sh against a running ktlsd ($KTLS_SOCKET).  Each mode runs one
 * scenario and prints TAP lines without numbers ("ok - LABEL: ..."; the
 * script numbers them) and "# " diagnostics.  Exit 0 when every check
 * passed, 1 when one failed, 2 on bad usage.
 *
 *   pair        fork: the child accepts with ktls_accept, the parent
 *               connects with ktls_connect, both through ktlsd; on success
 *               --mib MiB of write() plus --sendfile-kib KiB of sendfile()
 *               each way, read with plain read() and compared by SHA-256,
 *               then close_notify both ways; on expected failure, the errno
 *               and reason of each side.
 *   connect     ktls_connect to --port (gnutls-serv, openssl s_server, a
 *               failing server); --echo-sizes writes pieces right after the
 *               handshake and expects them back; --send/--expect-file move
 *               files both ways at once.
 *   early       a GnuTLS server in a thread that writes --bytes the moment its
 *               handshake returns, while the client writes 1 and 16385
 *               bytes the moment ktls_connect returns: nothing may be lost
 *               at the handoff from ktlsd to the kernel.
 *   raw         hand-made requests on the daemon socket: garbage, a
 *               truncated, an oversized frame, an unknown critical TLV, zero
 *               or two fds, a pipe.
 *   badfd       sockets ktlsd must refuse, through ktls_connect: UDP,
 *               unconnected, listening, already kTLS, AF_UNIX, a pipe.
 *   peer        a TCP peer that stalls, closes after the ClientHello, or
 *               answers in plain text (--case stall|close|nontls).
 *   abandon     start an async handshake against a stalled peer and close
 *               the handle before ktlsd answers.
 *   silent      open a request connection and send nothing.
 *   concurrent  --count handshakes at once with the async API, against a
 *               forked server doing the same with ktls_handshake_start.
 *
 * Every failure line names what was expected and what happened; reasons
 * are echoed as "# client-reason: ..." / "# server-reason: ..." so that the
 * script can find the same text in ktlsd's log.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktls.h"
#include "ktls_loopback.h"
#include "ktls_proto.h"
#include "support/clock.h"
#include "support/hash.h"
#include "support/net.h"
#include "support/tap.h"
#include "support_io.h"

#define CHUNK (64 * 1024)
#define MIB (1024 * 1024)
#define IO_TIMEOUT_S 60		/* any single read or write */
#define HELPER_ALARM_S 600	/* the whole program, whatever happens */
#define ECHO_LINE 4096		/* gnutls-serv --echo answers line by line */
#define MAX_PIECES 8
#define MAX_CONCURRENT 1000
#define REPLY_WAIT_MS 10000
#define STALL_HOLD_MS 30000	/* a stalling peer gives up after this */
#define CONTROL_LEN CMSG_SPACE(2 * sizeof(int))

/* Seeds of the payloads, so that both ends of a pair know what to expect. */
#define SEED_CLIENT_TO_SERVER 1
#define SEED_SERVER_TO_CLIENT 3
#define SEED_EARLY_SERVER 11
#define SEED_EARLY_CLIENT 13
#define SEED_ECHO 17

struct options {
	const char *mode;
	const char *label;
	const char *host;
	int port;
	const char *server_name;	/* "" leaves KTLS_SERVER_NAME unset */
	const char *profile, *server_profile;
	const char *alpn;
	int verify, server_verify;	/* enum ktls_verify; -1 leaves it unset */
	const char *psk_identity;
	int timeout_ms;			/* 0 leaves KTLS_HANDSHAKE_TIMEOUT unset */
	const char *expect_errno;	/* client: NULL success, "any", "alert", or a name */
	const char *expect_server_errno;
	const char *expect_reason;	/* a substring of the client's reason */
	int expect_version, expect_cipher;	/* 0: not checked */
	const char *expect_alpn;	/* both sides of a pair, or the client */
	const char *expect_peer_subject;	/* server: substring of the client cert's DN */
	const char *expect_peer_cert;	/* server: PEM of the client's certificate */
	size_t mib, sendfile_kib;
	const char *send_file, *expect_file;
	const char *echo_sizes;		/* "1,16385,1048576" */
	int shutdown;
	size_t bytes;			/* early: what the server writes at once */
	const char *cert, *key;		/* early: the GnuTLS server's credentials */
	int tls_version;		/* early: enum ktls_version */
	const char *test_case;
	unsigned count;
	long min_ms, max_ms;
};

static const char *label = "daemon_client";

/* ---- TAP ---------------------------------------------------------------------- */

/* One TAP line under this run's --label. */
static int check(int pass, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int check(int pass, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pass = vtap(pass, label, fmt, ap);
	va_end(ap);
	return pass;
}

static const char *errname(int err)
{
	const char *name = strerrorname_np(err);

	return name ? name : "E?";
}

static void hex(const uint8_t *bytes, size_t len, char *out)
{
	for (size_t i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02x", bytes[i]);
	out[2 * len] = '\0';
}

/* ---- payloads ------------------------------------------------------------------ */

/* xorshift64*: fast, and the same bytes on both ends for the same seed. */
struct pattern {
	uint64_t state;
};

static void pattern_init(struct pattern *p, uint64_t seed)
{
	p->state = seed * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull;
}

static void pattern_fill(struct pattern *p, uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		p->state ^= p->state >> 12;
		p->state ^= p->state << 25;
		p->state ^= p->state >> 27;
		buf[i] = (uint8_t)((p->state * 0x2545F4914F6CDD1Dull) >> 56);
	}
}

/* gnutls-serv --echo is line-based and stops at NUL: lines of at most
 * ECHO_LINE bytes with no NUL, CR or LF inside, the last byte an LF. */
static void make_echo_safe(uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (i % ECHO_LINE == ECHO_LINE - 1 || i == len - 1)
			buf[i] = '\n';
		else if (buf[i] == 0 || buf[i] == '\n' || buf[i] == '\r')
			buf[i] = 'x';
	}
}

/* SHA-256 of pattern(seed, len), without holding it all. */
static void pattern_digest(uint64_t seed, size_t len, gnutls_hash_hd_t hash)
{
	static uint8_t buf[CHUNK];
	struct pattern p;

	pattern_init(&p, seed);
	while (len) {
		size_t n = len < sizeof(buf) ? len : sizeof(buf);

		pattern_fill(&p, buf, n);
		gnutls_hash(hash, buf, n);
		len -= n;
	}
}

/* What the receiver of a pair must see: write() part, then sendfile() part. */
static void expected_digest(uint64_t seed, size_t write_len, size_t file_len, uint8_t *digest)
{
	gnutls_hash_hd_t hash;

	gnutls_hash_init(&hash, GNUTLS_DIG_SHA256);
	pattern_digest(seed, write_len, hash);
	pattern_digest(seed + 1, file_len, hash);
	gnutls_hash_deinit(hash, digest);
}

/* ---- plain socket I/O ------------------------------------------------------------ */

static const char *record_type_name(uint8_t type)
{
	switch (type) {
	case KTLS_RECORD_CHANGE_CIPHER_SPEC: return "change_cipher_spec";
	case KTLS_RECORD_ALERT: return "alert";
	case KTLS_RECORD_HANDSHAKE: return "handshake";
	case KTLS_RECORD_APPLICATION_DATA: return "application_data";
	}
	return "unknown";
}

/* RFC 8446 section 4: the handshake messages that come after the handshake. */
static const char *handshake_type_name(uint8_t type)
{
	switch (type) {
	case 4: return "NewSessionTicket";
	case 13: return "CertificateRequest";
	case 24: return "KeyUpdate";
	}
	return "other";
}

/* A record that made read() fail with EIO: take it off the socket with
 * ktls_recv_record and say what it was. */
static int take_foreign_record(int fd, size_t offset, char *desc, size_t desc_len)
{
	static __thread uint8_t record[CHUNK];
	uint8_t type = 0;
	ssize_t n = ktls_recv_record(fd, record, sizeof(record), 0, &type);

	if (n < 0)
		return -1;
	if (type == KTLS_RECORD_HANDSHAKE && n > 0)
		snprintf(desc, desc_len, "a %zd-byte %s record (%s) after %zu data bytes", n,
			 record_type_name(type), handshake_type_name(record[0]), offset);
	else if (type == KTLS_RECORD_ALERT && n >= 2)
		snprintf(desc, desc_len, "a %s record (%s) after %zu data bytes",
			 record_type_name(type), ktls_alert_name(record[1]), offset);
	else
		snprintf(desc, desc_len, "a %zd-byte record of type %u (%s) after %zu data bytes",
			 n, type, record_type_name(type), offset);
	return type == KTLS_RECORD_ALERT ? -1 : 0;
}

/* Read exactly len bytes with plain read(), as an application would,
 * hashing them.  0, or -1 with why filled in.  A record that is not
 * application data (read() fails with EIO) is a failure, but it is taken
 * off with ktls_recv_record and reading goes on, so that the rest of the
 * transfer is still checked and the peer is not left half-way. */
static int read_hashed(int fd, size_t len, uint8_t *digest, char *why, size_t why_len)
{
	static __thread uint8_t buf[CHUNK];
	char foreign[160] = "";
	gnutls_hash_hd_t hash;
	unsigned n_foreign = 0;
	size_t got = 0;
	int rc = 0;

	gnutls_hash_init(&hash, GNUTLS_DIG_SHA256);
	while (got < len) {
		size_t want = len - got < sizeof(buf) ? len - got : sizeof(buf);
		ssize_t n = read(fd, buf, want);
		char desc[160];

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EIO && take_foreign_record(fd, got, desc, sizeof(desc)) == 0) {
			if (!n_foreign++)
				snprintf(foreign, sizeof(foreign), "%s", desc);
			diag("plain read() failed with EIO: %s", desc);
			continue;
		}
		if (n <= 0) {
			snprintf(why, why_len, "read() after %zu of %zu bytes: %s", got, len,
				 n == 0 ? "EOF" : strerror(errno));
			rc = -1;
			break;
		}
		gnutls_hash(hash, buf, (size_t)n);
		got += (size_t)n;
	}
	gnutls_hash_deinit(hash, digest);
	if (rc == 0 && n_foreign) {
		snprintf(why, why_len, "%u record(s) that are not application data reached "
			 "read() (EIO), the first %s", n_foreign, foreign);
		rc = -2;
	}
	return rc;
}

/* What read_hashed's result says: "SHA-256 match", or what went wrong;
 * -2 (records in the way, all data read) also says whether the data matched. */
static const char *verdict(int rc, const char *why, const uint8_t *want, const uint8_t *got,
			   char *out, size_t cap)
{
	const char *hash = memcmp(want, got, SHA256_LEN) ? "SHA-256 MISMATCH" : "SHA-256 match";

	if (rc == -1)
		return why;
	snprintf(out, cap, "%s%s%s", rc == -2 ? why : "", rc == -2 ? "; the data itself: " : "",
		 hash);
	return out;
}

static int intact(int rc, const uint8_t *want, const uint8_t *got)
{
	return rc == 0 && !memcmp(want, got, SHA256_LEN);
}

static int send_pattern(int fd, uint64_t seed, size_t len)
{
	static __thread uint8_t buf[CHUNK];
	struct pattern p;

	pattern_init(&p, seed);
	while (len) {
		size_t n = len < sizeof(buf) ? len : sizeof(buf);

		pattern_fill(&p, buf, n);
		if (io_write_all(fd, buf, n) < 0)
			return -1;
		len -= n;
	}
	return 0;
}

/* sendfile() of an unlinked temp file holding pattern(seed, len). */
static int sendfile_pattern(int sock, uint64_t seed, size_t len)
{
	char path[] = "/tmp/daemon_client.XXXXXX";
	int fd = mkstemp(path), rc;

	if (fd < 0)
		return -1;
	unlink(path);
	rc = send_pattern(fd, seed, len);
	if (rc == 0)
		rc = io_sendfile_all(sock, fd, 0, len) == len ? 0 : -1;
	close(fd);
	return rc;
}

/* ---- TCP ------------------------------------------------------------------------- */

static int listen_or_exit(int *port)
{
	int fd = ktls_loopback_listen(SOMAXCONN, port);

	if (fd < 0) {
		perror("listen on 127.0.0.1");
		exit(2);
	}
	return fd;
}

/* accept() that gives up after timeout_ms. */
static int accept_within(int lfd, int timeout_ms)
{
	struct pollfd pfd = { .fd = lfd, .events = POLLIN };
	int fd;

	if (poll(&pfd, 1, timeout_ms) <= 0)
		return -1;
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd >= 0)
		set_io_timeouts(fd, IO_TIMEOUT_S);
	return fd;
}

/* ---- handshakes through ktlsd ------------------------------------------------------ */

static int set_string(int fd, int option, const char *value)
{
	if (!value || !*value)
		return 0;
	return ktls_setsockopt(fd, SOL_KTLS, option, value, (socklen_t)strlen(value));
}

static int set_int(int fd, int option, int value)
{
	return ktls_setsockopt(fd, SOL_KTLS, option, &value, sizeof(value));
}

static int apply_client_options(int fd, const struct options *o)
{
	int rc = set_string(fd, KTLS_SERVER_NAME, o->server_name);

	if (rc == 0)
		rc = set_string(fd, KTLS_PROFILE, o->profile);
	if (rc == 0)
		rc = set_string(fd, KTLS_ALPN, o->alpn);
	if (rc == 0)
		rc = set_string(fd, KTLS_PSK_IDENTITY, o->psk_identity);
	if (rc == 0 && o->verify >= 0)
		rc = set_int(fd, KTLS_VERIFY, o->verify);
	if (rc == 0 && o->timeout_ms > 0)
		rc = set_int(fd, KTLS_HANDSHAKE_TIMEOUT, o->timeout_ms);
	if (rc < 0)
		diag("ktls_setsockopt: %s: %s", strerror(errno), ktls_errmsg());
	return rc;
}

static int apply_server_options(int fd, const struct options *o)
{
	int rc = set_string(fd, KTLS_PROFILE, o->server_profile);

	if (rc == 0 && o->server_verify >= 0)
		rc = set_int(fd, KTLS_VERIFY, o->server_verify);
	if (rc < 0)
		diag("ktls_setsockopt: %s: %s", strerror(errno), ktls_errmsg());
	return rc;
}

struct outcome {
	int rc, err;
	double ms;
	char reason[KTLS_REASON_MAX];
};

static void handshake(int fd, enum ktls_role role, struct outcome *out)
{
	double start = now_ms();

	out->rc = role == KTLS_ROLE_CLIENT ? ktls_connect(fd) : ktls_accept(fd);
	out->err = out->rc < 0 ? errno : 0;
	out->ms = now_ms() - start;
	snprintf(out->reason, sizeof(out->reason), "%s", out->rc < 0 ? ktls_errmsg() : "");
}

static int contains(const char *haystack, const char *needle)
{
	return !needle || strstr(haystack, needle) != NULL;
}

/* One TAP line for a handshake against its expectation: NULL success,
 * "any" any failure, "alert" (client) failure naming an alert or success
 * (the alert is then read after it), else an errno name. */
static int check_outcome(const char *side, const struct outcome *o, const char *expect,
			 const char *reason_part)
{
	if (o->rc < 0)
		diag("%s-reason: %s", side, o->reason);
	if (!expect)
		return check(o->rc == 0, "%s handshake succeeds (%.0f ms)%s%s%s%s", side, o->ms,
			     o->rc ? ": " : "", o->rc ? errname(o->err) : "",
			     o->rc ? " " : "", o->reason);
	if (!strcmp(expect, "alert"))
		return o->rc == 0 || check(contains(o->reason, "alert"),
					   "%s handshake fails because of the peer's alert "
					   "(%s: %s)", side, errname(o->err), o->reason);
	if (!strcmp(expect, "any"))
		return check(o->rc < 0, "%s handshake fails (%s: %s)", side,
			     o->rc < 0 ? errname(o->err) : "it succeeded", o->reason);
	return check(o->rc < 0 && !strcmp(errname(o->err), expect) &&
		     o->reason[0] && contains(o->reason, reason_part),
		     "%s handshake fails with %s%s%s%s (got %s: \"%s\", %.0f ms)", side, expect,
		     reason_part ? " and a reason naming \"" : "", reason_part ? reason_part : "",
		     reason_part ? "\"" : "", o->rc < 0 ? errname(o->err) : "success",
		     o->reason, o->ms);
}

/* KTLS_ERROR must repeat the reason of the failed handshake. */
static void check_ktls_error(int fd, const struct outcome *o, const char *side)
{
	char error[KTLS_REASON_MAX] = "";
	socklen_t len = sizeof(error);
	int rc = ktls_getsockopt(fd, SOL_KTLS, KTLS_ERROR, error, &len);

	check(rc == 0 && !strcmp(error, o->reason), "%s KTLS_ERROR repeats the reason (\"%s\")",
	      side, error);
}

static int get_int(int fd, int option)
{
	int value = -1;
	socklen_t len = sizeof(value);

	if (ktls_getsockopt(fd, SOL_KTLS, option, &value, &len) < 0)
		return -1;
	return value;
}

static void get_string(int fd, int option, char *buf, size_t cap)
{
	socklen_t len = (socklen_t)cap;

	if (ktls_getsockopt(fd, SOL_KTLS, option, buf, &len) < 0)
		snprintf(buf, cap, "(error: %s)", strerror(errno));
}

static const char *name_or(const char *name, const char *fallback)
{
	return name ? name : fallback;
}

/* KTLS_VERSION/KTLS_CIPHER as asked, and the kernel's own view agrees. */
static void check_session(int fd, const char *side, const struct options *o)
{
	int version = get_int(fd, KTLS_VERSION), cipher = get_int(fd, KTLS_CIPHER);
	struct ktls_info info;
	char group[64], subject[KTLS_SUBJECT_MAX];
	int kernel_ok = ktls_query(fd, &info) == 0 && info.tx.installed && info.rx.installed &&
			info.tx.version == version && info.rx.version == version &&
			info.tx.cipher == cipher && info.rx.cipher == cipher;

	get_string(fd, KTLS_GROUP, group, sizeof(group));
	get_string(fd, KTLS_PEER_SUBJECT, subject, sizeof(subject));
	diag("%s: %s %s group %s, peer subject \"%s\"", side,
	     name_or(ktls_version_name(version), "?"), name_or(ktls_cipher_name(cipher), "?"),
	     group, subject);
	check((!o->expect_version || version == o->expect_version) &&
	      (!o->expect_cipher || cipher == o->expect_cipher) && kernel_ok,
	      "%s KTLS_VERSION %s / KTLS_CIPHER %s%s%s%s%s%s, kernel TX and RX report the same",
	      side, name_or(ktls_version_name(version), "?"),
	      name_or(ktls_cipher_name(cipher), "?"), o->expect_version ? " (asked " : "",
	      o->expect_version ? name_or(ktls_version_name(o->expect_version), "?") : "",
	      o->expect_cipher ? " " : "",
	      o->expect_cipher ? name_or(ktls_cipher_name(o->expect_cipher), "?") : "",
	      o->expect_version ? ")" : "");
	if (o->expect_alpn) {
		char alpn[KTLS_NAME_MAX];

		get_string(fd, KTLS_ALPN_SELECTED, alpn, sizeof(alpn));
		check(!strcmp(alpn, o->expect_alpn), "%s KTLS_ALPN_SELECTED is \"%s\" (got \"%s\")",
		      side, o->expect_alpn, alpn);
	}
}

/* DER and SHA-256 of a PEM certificate file. */
static int load_cert_der(const char *path, gnutls_datum_t *der, uint8_t *fingerprint)
{
	gnutls_datum_t pem = { NULL, 0 };
	gnutls_x509_crt_t crt;
	size_t fp_len = SHA256_LEN;
	int rc = gnutls_load_file(path, &pem);

	if (rc < 0)
		return rc;
	rc = gnutls_x509_crt_init(&crt);
	if (rc == 0) {
		rc = gnutls_x509_crt_import(crt, &pem, GNUTLS_X509_FMT_PEM);
		if (rc == 0)
			rc = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, der);
		if (rc == 0)
			rc = gnutls_fingerprint(GNUTLS_DIG_SHA256, der, fingerprint, &fp_len);
		gnutls_x509_crt_deinit(crt);
	}
	gnutls_free(pem.data);
	return rc;
}

/* Server side of mTLS: the client's subject, fingerprint and DER. */
static void check_peer_cert(int fd, const struct options *o)
{
	char subject[KTLS_SUBJECT_MAX];
	uint8_t fingerprint[SHA256_LEN], want_fp[SHA256_LEN];
	static uint8_t cert[KTLS_PEER_CERT_MAX];
	socklen_t fp_len = sizeof(fingerprint), cert_len = sizeof(cert);
	gnutls_datum_t der = { NULL, 0 };

	if (o->expect_peer_subject) {
		get_string(fd, KTLS_PEER_SUBJECT, subject, sizeof(subject));
		check(strstr(subject, o->expect_peer_subject) != NULL,
		      "server KTLS_PEER_SUBJECT names the client (\"%s\" in \"%s\")",
		      o->expect_peer_subject, subject);
	}
	if (!o->expect_peer_cert)
		return;
	if (load_cert_der(o->expect_peer_cert, &der, want_fp) < 0) {
		check(0, "load %s", o->expect_peer_cert);
		return;
	}
	check(ktls_getsockopt(fd, SOL_KTLS, KTLS_PEER_FINGERPRINT, fingerprint, &fp_len) == 0 &&
	      fp_len == SHA256_LEN && !memcmp(fingerprint, want_fp, SHA256_LEN) &&
	      ktls_getsockopt(fd, SOL_KTLS, KTLS_PEER_CERT, cert, &cert_len) == 0 &&
	      cert_len == der.size && !memcmp(cert, der.data, der.size),
	      "server KTLS_PEER_FINGERPRINT and KTLS_PEER_CERT are the client's certificate");
	gnutls_free(der.data);
}

/* TLS 1.3 ends for the client before the server has judged its
 * certificate: the server's alert then arrives on the kTLS socket. */
static void check_alert_after(int fd)
{
	char byte;
	ssize_t n = ktls_recv(fd, &byte, 1, 0);
	int err = errno;

	check(n < 0 && err == ECONNRESET && strstr(ktls_errmsg(), "alert"),
	      "client sees the server's alert after the handshake (ktls_recv: %s %s)",
	      n < 0 ? errname(err) : n == 0 ? "EOF: closed without an alert" : "data",
	      n < 0 ? ktls_errmsg() : "");
}

/* ---- pair: ktls_connect <-> ktls_accept, both through ktlsd ------------------------- */

static size_t write_len(const struct options *o)
{
	return o->mib * MIB;
}

static size_t file_len(const struct options *o)
{
	return o->sendfile_kib * 1024;
}

/* write() then sendfile() of our payload; the peer reads and hashes it. */
static void pair_send(int fd, const char *side, uint64_t seed, const struct options *o)
{
	int rc = send_pattern(fd, seed, write_len(o));

	if (rc == 0)
		rc = sendfile_pattern(fd, seed + 1, file_len(o));
	if (rc < 0)
		check(0, "%s sends %zu MiB + %zu KiB: %s", side, o->mib, o->sendfile_kib,
		      strerror(errno));
}

static void pair_receive(int fd, const char *side, const char *dir, uint64_t seed,
			 const struct options *o)
{
	uint8_t want[SHA256_LEN], got[SHA256_LEN];
	char why[256] = "", text[512], got_hex[2 * SHA256_LEN + 1];
	int rc;

	expected_digest(seed, write_len(o), file_len(o), want);
	rc = read_hashed(fd, write_len(o) + file_len(o), got, why, sizeof(why));
	hex(got, SHA256_LEN, got_hex);
	check(intact(rc, want, got),
	      "%s %zu MiB write() + %zu KiB sendfile(), plain read() on the %s: %s %s", dir,
	      o->mib, o->sendfile_kib, side, verdict(rc, why, want, got, text, sizeof(text)),
	      rc == -1 ? "" : got_hex);
}

/* The peer's close_notify reads as EOF through ktls_recv. */
static void check_eof(int fd, const char *side)
{
	char byte;
	ssize_t n = ktls_recv(fd, &byte, 1, 0);
	int err = errno;

	check(n == 0, "%s reads the peer's close_notify as EOF (%s)", side,
	      n == 0 ? "ktls_recv 0" : n > 0 ? "got data" : errname(err));
}

static int pair_server(int lfd, const struct options *o)
{
	struct outcome out;
	char sni[KTLS_NAME_MAX];
	int fd = accept_within(lfd, 30000);

	if (fd < 0) {
		check(0, "server accepts the connection");
		return 1;
	}
	if (apply_server_options(fd, o) < 0)
		return 1;
	handshake(fd, KTLS_ROLE_SERVER, &out);
	check_outcome("server", &out, o->expect_server_errno, NULL);
	if (out.rc == 0) {
		check_session(fd, "server", o);
		check_peer_cert(fd, o);
		if (o->server_name[0]) {
			get_string(fd, KTLS_SNI_RECEIVED, sni, sizeof(sni));
			check(!strcmp(sni, o->server_name), "server KTLS_SNI_RECEIVED is \"%s\" "
			      "(got \"%s\")", o->server_name, sni);
		}
	}
	if (out.rc == 0 && !o->expect_errno && !o->expect_server_errno) {
		pair_receive(fd, "server", "client->server", SEED_CLIENT_TO_SERVER, o);
		pair_send(fd, "server", SEED_SERVER_TO_CLIENT, o);
		check_eof(fd, "server");
		ktls_shutdown(fd, SHUT_WR);
	}
	close(fd);
	return tap_failures ? 1 : 0;
}

static void pair_client(int port, const struct options *o)
{
	struct outcome out;
	int fd = tcp_connect("127.0.0.1", port, IO_TIMEOUT_S);

	if (fd < 0 || apply_client_options(fd, o) < 0) {
		check(0, "client connects to the pair's server: %s", strerror(errno));
		return;
	}
	handshake(fd, KTLS_ROLE_CLIENT, &out);
	check_outcome("client", &out, o->expect_errno, o->expect_reason);
	if (out.rc < 0)
		check_ktls_error(fd, &out, "client");
	if (out.rc == 0)
		check_session(fd, "client", o);
	if (out.rc == 0 && o->expect_errno && !strcmp(o->expect_errno, "alert"))
		check_alert_after(fd);
	if (out.rc == 0 && !o->expect_errno && !o->expect_server_errno) {
		pair_send(fd, "client", SEED_CLIENT_TO_SERVER, o);
		pair_receive(fd, "client", "server->client", SEED_SERVER_TO_CLIENT, o);
		ktls_shutdown(fd, SHUT_WR);
		check_eof(fd, "client");
	}
	close(fd);
}

/* Everything the child printed, after ours: one report, in a stable order. */
static void relay_child(int pipe_fd)
{
	char buf[4096];
	ssize_t n;

	while ((n = read(pipe_fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	fflush(stdout);
	close(pipe_fd);
}

static int wait_child(pid_t pid, const char *what)
{
	int status;

	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status)) {
		check(0, "%s ended normally", what);
		return -1;
	}
	if (WEXITSTATUS(status) != 0)
		tap_failures++;	/* its "not ok" lines are in the relayed report */
	return 0;
}

static pid_t fork_reporting(int *pipe_read)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0) {
		perror("pipe");
		exit(2);
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(2);
	}
	if (pid == 0) {
		dup2(p[1], STDOUT_FILENO);
		close(p[0]);
		close(p[1]);
		return 0;
	}
	close(p[1]);
	*pipe_read = p[0];
	return pid;
}

static int mode_pair(const struct options *o)
{
	int port, lfd = listen_or_exit(&port), report;
	pid_t pid = fork_reporting(&report);

	if (pid == 0)
		_exit(pair_server(lfd, o));
	close(lfd);
	pair_client(port, o);
	relay_child(report);
	wait_child(pid, "the ktls_accept server");
	return tap_failures ? 1 : 0;
}

/* ---- connect: a server nobody here wrote ---------------------------------------- */

struct writer {
	pthread_t thread;
	int fd;
	const char *file;		/* sendfile() it */
	const uint8_t *buf;		/* or write() these pieces */
	size_t piece[MAX_PIECES];
	size_t n_pieces;
	int err;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	struct stat st;
	int fd;

	if (w->file) {
		fd = open(w->file, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0 ||
		    io_sendfile_all(w->fd, fd, 0, (size_t)st.st_size) != (size_t)st.st_size)
			w->err = errno ? errno : EIO;
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	for (size_t i = 0, off = 0; i < w->n_pieces; off += w->piece[i++])
		if (io_write_all(w->fd, w->buf + off, w->piece[i]) < 0) {
			w->err = errno;
			break;
		}
	return NULL;
}

static size_t parse_sizes(const char *csv, size_t *sizes)
{
	size_t n = 0;
	char *end;

	while (csv && *csv && n < MAX_PIECES) {
		sizes[n] = strtoul(csv, &end, 10);
		if (end == csv || sizes[n] == 0 || (*end && *end != ',')) {
			fprintf(stderr, "bad size list: %s\n", csv);
			exit(2);
		}
		n++;
		csv = *end ? end + 1 : end;
	}
	return n;
}

/* Pieces written right after the handshake, each with one write(); the
 * echo must come back byte for byte. */
static void echo_exchange(int fd, const struct options *o)
{
	struct writer w = { .fd = fd };
	size_t total = 0;
	uint8_t *buf, want[SHA256_LEN], got[SHA256_LEN];
	struct pattern p;
	char why[256] = "", text[512];
	int rc;

	w.n_pieces = parse_sizes(o->echo_sizes, w.piece);
	for (size_t i = 0; i < w.n_pieces; i++)
		total += w.piece[i];
	buf = malloc(total);
	if (!buf)
		exit(2);
	pattern_init(&p, SEED_ECHO);
	pattern_fill(&p, buf, total);
	for (size_t i = 0, off = 0; i < w.n_pieces; off += w.piece[i++])
		make_echo_safe(buf + off, w.piece[i]);
	gnutls_hash_fast(GNUTLS_DIG_SHA256, buf, total, want);
	w.buf = buf;
	pthread_create(&w.thread, NULL, writer_main, &w);
	rc = read_hashed(fd, total, got, why, sizeof(why));
	pthread_join(w.thread, NULL);
	check(intact(rc, want, got) && !w.err,
	      "writes of %s bytes right after ktls_connect come back through the echo, "
	      "plain read(): %s%s%s", o->echo_sizes, verdict(rc, why, want, got, text, sizeof(text)),
	      w.err ? "; writing: " : "", w.err ? strerror(w.err) : "");
	free(buf);
}

/* --send FILE while reading --expect-file's size: both directions at once,
 * as a peer may block writing until we read. */
static void file_exchange(int fd, const struct options *o)
{
	struct writer w = { .fd = fd, .file = o->send_file };
	uint8_t want[SHA256_LEN], got[SHA256_LEN];
	size_t size = 0;
	char why[256] = "", text[512];
	int rc = 0;

	if (o->send_file)
		pthread_create(&w.thread, NULL, writer_main, &w);
	if (o->expect_file) {
		if (file_sha256(o->expect_file, want, &size) < 0) {
			fprintf(stderr, "cannot read %s\n", o->expect_file);
			exit(2);
		}
		rc = read_hashed(fd, size, got, why, sizeof(why));
		check(intact(rc, want, got),
		      "%zu bytes from the peer, plain read() after ktls_connect: %s", size,
		      verdict(rc, why, want, got, text, sizeof(text)));
	}
	if (o->send_file) {
		pthread_join(w.thread, NULL);
		check(!w.err, "sendfile() of %s to the peer%s%s", o->send_file,
		      w.err ? ": " : "", w.err ? strerror(w.err) : "");
	}
}

static int mode_connect(const struct options *o)
{
	struct outcome out;
	int fd = tcp_connect(o->host, o->port, IO_TIMEOUT_S);

	if (fd < 0) {
		check(0, "connect to %s:%d: %s", o->host, o->port, strerror(errno));
		return 1;
	}
	if (apply_client_options(fd, o) < 0)
		return 1;
	handshake(fd, KTLS_ROLE_CLIENT, &out);
	check_outcome("client", &out, o->expect_errno, o->expect_reason);
	if (out.rc < 0) {
		check_ktls_error(fd, &out, "client");
		close(fd);
		return tap_failures ? 1 : 0;
	}
	check_session(fd, "client", o);
	if (o->echo_sizes)
		echo_exchange(fd, o);
	if (o->send_file || o->expect_file)
		file_exchange(fd, o);
	if (o->shutdown) {
		int rc = ktls_shutdown(fd, SHUT_WR);

		check(rc == 0, "ktls_shutdown sends close_notify%s%s", rc ? ": " : "",
		      rc ? ktls_errmsg() : "");
	}
	close(fd);
	return tap_failures ? 1 : 0;
}

/* ---- early: a GnuTLS server that writes the moment its handshake ends ------------- */

struct early_peer {
	int listen_fd;
	const struct options *o;
	size_t expect_len;		/* what the client writes right after ktls_connect */
	int handshake_ok, sent_ok, received_ok;
	char why[256];
};

static const char *early_priority(int version)
{
	return version == KTLS_VERSION_1_2 ? "NORMAL:-VERS-ALL:+VERS-TLS1.2"
					   : "NORMAL:-VERS-ALL:+VERS-TLS1.3";
}

static int gnutls_send_all(gnutls_session_t s, const uint8_t *buf, size_t len)
{
	while (len) {
		ssize_t n = gnutls_record_send(s, buf, len);

		if (n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n < 0)
			return (int)n;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read exactly len bytes from GnuTLS and compare with pattern(seed). */
static int gnutls_receive_pattern(gnutls_session_t s, uint64_t seed, size_t len)
{
	uint8_t *want = malloc(len), *got = malloc(len);
	struct pattern p;
	size_t have = 0;
	int rc = 0;

	if (!want || !got) {
		free(want);
		free(got);
		return -1;
	}
	pattern_init(&p, seed);
	pattern_fill(&p, want, len);
	while (have < len) {
		ssize_t n = gnutls_record_recv(s, got + have, len - have);

		if (n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n <= 0) {
			rc = n < 0 ? (int)n : GNUTLS_E_PREMATURE_TERMINATION;
			break;
		}
		have += (size_t)n;
	}
	if (rc == 0 && memcmp(want, got, len))
		rc = -1;
	free(want);
	free(got);
	return rc;
}

static void early_serve(struct early_peer *e, gnutls_session_t s)
{
	uint8_t *early = malloc(e->o->bytes);
	struct pattern p;
	int rc;

	/* Blocking socket with SO_RCVTIMEO: GNUTLS_E_AGAIN means it timed out. */
	do
		rc = gnutls_handshake(s);
	while (rc == GNUTLS_E_INTERRUPTED);
	if (rc < 0 || !early) {
		snprintf(e->why, sizeof(e->why), "server handshake: %s", gnutls_strerror(rc));
		free(early);
		return;
	}
	e->handshake_ok = 1;
	/* First thing after the handshake: no waiting for the client at all. */
	pattern_init(&p, SEED_EARLY_SERVER);
	pattern_fill(&p, early, e->o->bytes);
	rc = gnutls_send_all(s, early, e->o->bytes);
	free(early);
	e->sent_ok = rc == 0;
	rc = gnutls_receive_pattern(s, SEED_EARLY_CLIENT, e->expect_len);
	e->received_ok = rc == 0;
	if (rc < 0)
		snprintf(e->why, sizeof(e->why), "server reading the client's bytes: %s",
			 rc == -1 ? "content differs" : gnutls_strerror(rc));
	gnutls_bye(s, GNUTLS_SHUT_WR);
}

static void *early_main(void *arg)
{
	struct early_peer *e = arg;
	gnutls_certificate_credentials_t cred;
	gnutls_session_t s;
	int fd = accept_within(e->listen_fd, 30000), rc;

	if (fd < 0) {
		snprintf(e->why, sizeof(e->why), "no connection to accept");
		return NULL;
	}
	gnutls_certificate_allocate_credentials(&cred);
	rc = gnutls_certificate_set_x509_key_file(cred, e->o->cert, e->o->key, GNUTLS_X509_FMT_PEM);
	if (rc == 0)
		rc = gnutls_init(&s, GNUTLS_SERVER);
	if (rc == 0) {
		gnutls_priority_set_direct(s, early_priority(e->o->tls_version), NULL);
		gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred);
		gnutls_transport_set_int(s, fd);
		early_serve(e, s);
		gnutls_deinit(s);
	} else {
		snprintf(e->why, sizeof(e->why), "server setup: %s", gnutls_strerror(rc));
	}
	gnutls_certificate_free_credentials(cred);
	close(fd);
	return NULL;
}

static int mode_early(const struct options *o)
{
	static const size_t client_pieces[] = { 1, 16385 };
	struct early_peer e = { .o = o, .expect_len = 1 + 16385 };
	uint8_t client_bytes[1 + 16385], want[SHA256_LEN], got[SHA256_LEN];
	struct outcome out;
	struct pattern p;
	pthread_t thread;
	char why[256] = "", text[512];
	int port, fd, rc, write_rc = 0;

	e.listen_fd = listen_or_exit(&port);
	pthread_create(&thread, NULL, early_main, &e);
	fd = tcp_connect("127.0.0.1", port, IO_TIMEOUT_S);
	if (fd < 0 || apply_client_options(fd, o) < 0)
		exit(2);
	handshake(fd, KTLS_ROLE_CLIENT, &out);
	if (out.rc == 0) {
		/* First thing after ktls_connect, as an application would. */
		pattern_init(&p, SEED_EARLY_CLIENT);
		pattern_fill(&p, client_bytes, sizeof(client_bytes));
		for (size_t i = 0, off = 0; i < 2 && write_rc == 0; off += client_pieces[i++])
			write_rc = io_write_all(fd, client_bytes + off, client_pieces[i]);
	}
	check_outcome("client", &out, NULL, NULL);
	if (out.rc == 0) {
		check_session(fd, "client", o);
		expected_digest(SEED_EARLY_SERVER, o->bytes, 0, want);
		rc = read_hashed(fd, o->bytes, got, why, sizeof(why));
		check(intact(rc, want, got),
		      "the %zu bytes the server wrote right after its handshake arrive intact "
		      "through plain read(): %s", o->bytes,
		      verdict(rc, why, want, got, text, sizeof(text)));
		check_eof(fd, "client");
	}
	if (out.rc < 0)
		shutdown(fd, SHUT_RDWR);	/* the server thread must not wait on */
	pthread_join(thread, NULL);
	if (e.why[0])
		diag("%s", e.why);
	check(write_rc == 0 && e.sent_ok && e.received_ok,
	      "writes of 1 and 16385 bytes right after ktls_connect reach the GnuTLS server "
	      "intact%s%s", write_rc ? ": write failed: " : "", write_rc ? strerror(errno) : "");
	if (fd >= 0)
		close(fd);
	close(e.listen_fd);
	return tap_failures ? 1 : 0;
}

/* ---- raw: hand-made requests on the daemon socket ----------------------------------- */

static int door_connect(void)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", ktls_socket_path());
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		fprintf(stderr, "connect %s: %s\n", ktls_socket_path(), strerror(errno));
		exit(2);
	}
	return fd;
}

/* One message with 0, 1 or 2 fds in SCM_RIGHTS. */
static int send_with_fds(int sock, const void *buf, size_t len, const int *fds, size_t n_fds)
{
	union {
		struct cmsghdr align;
		char buf[CONTROL_LEN];
	} control;
	struct iovec iov = { .iov_base = (void *)(uintptr_t)buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	memset(&control, 0, sizeof(control));
	if (n_fds) {
		msg.msg_control = control.buf;
		msg.msg_controllen = CMSG_SPACE(n_fds * sizeof(int));
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(n_fds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, n_fds * sizeof(int));
	}
	return sendmsg(sock, &msg, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

/* The daemon's reply, then its close. */
static int read_reply(int sock, struct ktls_hs_reply *rep, int *closed_after)
{
	static uint8_t buf[KTLS_MSG_MAX];
	struct pollfd pfd = { .fd = sock, .events = POLLIN };
	ssize_t n;

	*closed_after = 0;
	if (poll(&pfd, 1, REPLY_WAIT_MS) <= 0)
		return -ETIMEDOUT;
	n = recv(sock, buf, sizeof(buf), 0);
	if (n <= 0)
		return n == 0 ? -ECONNRESET : -errno;
	if (ktls_msg_decode_reply(buf, (size_t)n, rep) < 0)
		return -EBADMSG;
	if (poll(&pfd, 1, REPLY_WAIT_MS) > 0 && recv(sock, buf, sizeof(buf), 0) == 0)
		*closed_after = 1;
	return 0;
}

static int encode_good_request(uint8_t *buf, size_t cap)
{
	struct ktls_hs_request req = { .role = KTLS_ROLE_CLIENT };
	int len;

	snprintf(req.server_name, sizeof(req.server_name), "localhost");
	len = ktls_msg_encode_request(&req, buf, cap);
	if (len < 0) {
		fprintf(stderr, "encoding a request: %s\n", strerror(-len));
		exit(2);
	}
	return len;
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	put_be16(p, (uint16_t)(v >> 16));
	put_be16(p + 2, (uint16_t)v);
}

struct raw_request {
	uint8_t buf[40000];
	size_t len;
	int fds[2];
	size_t n_fds;
};

/* Build the message of one bad-input case; NULL name: unknown case. */
static const char *build_raw(const char *name, struct raw_request *r, int tcp_fd, int pipe_fd)
{
	int good = encode_good_request(r->buf, sizeof(r->buf));

	r->len = (size_t)good;
	r->fds[0] = tcp_fd;
	r->n_fds = 1;
	if (!strcmp(name, "garbage")) {
		r->len = (size_t)snprintf((char *)r->buf, sizeof(r->buf),
					  "GET / HTTP/1.1\r\nthis is no ktlsd request\r\n\r\n");
		r->n_fds = 0;
		return "64 bytes of garbage";
	}
	if (!strcmp(name, "truncated")) {
		r->len = (size_t)good - 5;	/* the header still claims all of it */
		return "a frame cut 5 bytes short, with a socket";
	}
	if (!strcmp(name, "oversized")) {
		memset(r->buf + good, 0, sizeof(r->buf) - (size_t)good);
		r->len = sizeof(r->buf);
		return "a 40000-byte frame (over KTLS_MSG_MAX), with a socket";
	}
	if (!strcmp(name, "critical-tlv")) {
		put_be16(r->buf + good, 0x8000 | 99);	/* unknown and critical */
		put_be16(r->buf + good + 2, 1);
		r->buf[good + 4] = 0;
		r->len = (size_t)good + 5;
		put_be32(r->buf + 8, (uint32_t)r->len);
		return "an unknown critical TLV, with a socket";
	}
	if (!strcmp(name, "zero-fds")) {
		r->n_fds = 0;
		return "a valid request with no fd";
	}
	if (!strcmp(name, "two-fds")) {
		r->fds[1] = pipe_fd;
		r->n_fds = 2;
		return "a valid request with two fds";
	}
	if (!strcmp(name, "pipe")) {
		r->fds[0] = pipe_fd;
		return "a valid request with a pipe instead of a socket";
	}
	return NULL;
}

static const struct {
	const char *name, *errno_name;
} raw_cases[] = {
	{ "garbage", "EBADMSG" },
	{ "truncated", "EBADMSG" },
	{ "oversized", "EBADMSG" },
	{ "critical-tlv", "EBADMSG" },
	{ "zero-fds", "EBADMSG" },
	{ "two-fds", "EBADMSG" },
	{ "pipe", "ENOTSOCK" },
};

static void run_raw_case(const char *name, const char *errno_name, int tcp_fd, int pipe_fd)
{
	static struct raw_request r;
	static struct ktls_hs_reply rep;
	const char *what = build_raw(name, &r, tcp_fd, pipe_fd);
	int sock = door_connect(), closed = 0, rc;

	if (send_with_fds(sock, r.buf, r.len, r.fds, r.n_fds) < 0) {
		check(0, "raw %s: send: %s", name, strerror(errno));
		close(sock);
		return;
	}
	rc = read_reply(sock, &rep, &closed);
	if (rc == 0)
		diag("raw %s: reply %s \"%s\"", name, errname((int)rep.status), rep.reason);
	check(rc == 0 && !strcmp(errname((int)rep.status), errno_name) && rep.reason[0] && closed,
	      "%s: reply %s with a reason, then the daemon closes (got %s%s%s%s)", what,
	      errno_name, rc ? "no reply: " : errname((int)rep.status), rc ? strerror(-rc) : "",
	      rc == 0 && !closed ? ", connection left open" : "", rc == 0 ? "" : "");
	close(sock);
}

static int mode_raw(const struct options *o)
{
	int port, lfd = listen_or_exit(&port);
	int tcp_fd = tcp_connect("127.0.0.1", port, IO_TIMEOUT_S);
	int peer = accept_within(lfd, 5000), pipe_fds[2];

	if (tcp_fd < 0 || peer < 0 || pipe2(pipe_fds, O_CLOEXEC) < 0)
		exit(2);
	for (size_t i = 0; i < sizeof(raw_cases) / sizeof(raw_cases[0]); i++)
		if (!o->test_case || !strcmp(o->test_case, raw_cases[i].name))
			run_raw_case(raw_cases[i].name, raw_cases[i].errno_name, tcp_fd, pipe_fds[0]);
	close(tcp_fd);
	close(peer);
	close(lfd);
	close(pipe_fds[0]);
	close(pipe_fds[1]);
	return tap_failures ? 1 : 0;
}

/* ---- badfd: sockets ktlsd must refuse ------------------------------------------------ */

static int udp_connected(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd >= 0 && connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A connected TCP socket with the "tls" ULP already on it. */
static int tcp_with_ulp(int port, int *peer, int lfd)
{
	int fd = tcp_connect("127.0.0.1", port, IO_TIMEOUT_S);

	*peer = accept_within(lfd, 5000);
	if (fd >= 0 && ktls_attach_ulp(fd) < 0)
		diag("ktls_attach_ulp: %s", ktls_errmsg());
	return fd;
}

static void run_badfd(const char *name, const char *what, int fd, const char *errno_name)
{
	struct outcome out;

	if (fd < 0) {
		check(0, "%s: cannot make it: %s", what, strerror(errno));
		return;
	}
	set_string(fd, KTLS_SERVER_NAME, "localhost");	/* fails on a pipe: fine */
	handshake(fd, KTLS_ROLE_CLIENT, &out);
	diag("badfd %s: %s \"%s\"", name, out.rc < 0 ? errname(out.err) : "success", out.reason);
	check(out.rc < 0 && !strcmp(errname(out.err), errno_name) && out.reason[0],
	      "ktls_connect on %s fails with %s and a reason (got %s)", what, errno_name,
	      out.rc < 0 ? errname(out.err) : "success");
	close(fd);
}

static int mode_badfd(const struct options *o)
{
	int port, lfd = listen_or_exit(&port), other_lfd, other_port, peer = -1;
	int unix_pair[2], pipe_fds[2];
	int sel = !o->test_case;

	other_lfd = listen_or_exit(&other_port);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, unix_pair) < 0 ||
	    pipe2(pipe_fds, O_CLOEXEC) < 0)
		exit(2);
#define WANT(c) (sel || !strcmp(o->test_case, (c)))
	if (WANT("udp"))
		run_badfd("udp", "a connected UDP socket", udp_connected(port), "EPROTOTYPE");
	if (WANT("unconnected"))
		run_badfd("unconnected", "an unconnected TCP socket",
			  socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), "ENOTCONN");
	if (WANT("listening"))
		run_badfd("listening", "a listening TCP socket", dup(other_lfd), "EINVAL");
	if (WANT("ulp"))
		run_badfd("ulp", "a socket that already has the kTLS ULP",
			  tcp_with_ulp(port, &peer, lfd), "EALREADY");
	if (WANT("unix"))
		run_badfd("unix", "an AF_UNIX stream socket", dup(unix_pair[0]), "EAFNOSUPPORT");
	if (WANT("pipe"))
		run_badfd("pipe", "a pipe (refused by libktls itself)", dup(pipe_fds[0]),
			  "ENOTSOCK");
#undef WANT
	if (peer >= 0)
		close(peer);
	close(lfd);
	close(other_lfd);
	close(unix_pair[0]);
	close(unix_pair[1]);
	close(pipe_fds[0]);
	close(pipe_fds[1]);
	return tap_failures ? 1 : 0;
}

/* ---- misbehaving peers -------------------------------------------------------------- */

enum peer_kind { PEER_STALL, PEER_CLOSE, PEER_NONTLS };

struct bad_peer {
	int listen_fd;
	enum peer_kind kind;
	int release[2];			/* a pipe: closed by main to end a stall */
	size_t client_hello_bytes;
};

/* Wait for the ClientHello (or part of it). */
static size_t read_some(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char buf[4096];
	ssize_t n;

	if (poll(&pfd, 1, 10000) <= 0)
		return 0;
	n = recv(fd, buf, sizeof(buf), 0);
	return n > 0 ? (size_t)n : 0;
}

static void *bad_peer_main(void *arg)
{
	static const char not_tls[] = "HTTP/1.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
	struct bad_peer *b = arg;
	struct pollfd pfd = { .fd = b->release[0], .events = POLLIN };
	int fd = accept_within(b->listen_fd, 30000);

	if (fd < 0)
		return NULL;
	switch (b->kind) {
	case PEER_STALL:
		break;
	case PEER_CLOSE:
		b->client_hello_bytes = read_some(fd);
		close(fd);
		return NULL;
	case PEER_NONTLS:
		b->client_hello_bytes = read_some(fd);
		if (io_write_all(fd, not_tls, sizeof(not_tls) - 1) < 0)
			break;
		break;
	}
	poll(&pfd, 1, STALL_HOLD_MS);	/* until main is done with us */
	close(fd);
	return NULL;
}

/* A bad peer on its own thread and our connection to it, options applied;
 * exits 2 when it cannot be set up. */
static int bad_peer_start(struct bad_peer *b, pthread_t *thread, const struct options *o)
{
	int port, fd;

	b->listen_fd = listen_or_exit(&port);
	if (pipe2(b->release, O_CLOEXEC) < 0)
		exit(2);
	pthread_create(thread, NULL, bad_peer_main, b);
	fd = tcp_connect("127.0.0.1", port, IO_TIMEOUT_S);
	if (fd < 0 || apply_client_options(fd, o) < 0)
		exit(2);
	return fd;
}

/* Release the peer, wait for its thread, close everything. */
static void bad_peer_stop(struct bad_peer *b, pthread_t thread, int fd)
{
	close(b->release[1]);
	pthread_join(thread, NULL);
	close(b->release[0]);
	close(fd);
	close(b->listen_fd);
}

static const struct {
	const char *name;
	enum peer_kind kind;
	const char *errno_name, *what;
} peer_cases[] = {
	{ "stall", PEER_STALL, "ETIMEDOUT", "a peer that accepts and never answers" },
	{ "close", PEER_CLOSE, "ECONNRESET", "a peer that reads the ClientHello and closes" },
	{ "nontls", PEER_NONTLS, "EPROTO", "a peer that answers in plain HTTP" },
};

static void run_peer_case(size_t i, const struct options *o)
{
	struct bad_peer b = { .kind = peer_cases[i].kind };
	struct outcome out;
	pthread_t thread;
	int fd = bad_peer_start(&b, &thread, o);

	handshake(fd, KTLS_ROLE_CLIENT, &out);
	check_outcome("client", &out, peer_cases[i].errno_name, NULL);
	diag("%s: failed after %.0f ms", peer_cases[i].what, out.ms);
	if (peer_cases[i].kind == PEER_STALL)
		check(out.ms >= (double)o->min_ms && out.ms <= (double)o->max_ms,
		      "the deadline fires after %.0f ms (KTLS_HANDSHAKE_TIMEOUT %d, allowed "
		      "%ld..%ld ms)", out.ms, o->timeout_ms, o->min_ms, o->max_ms);
	bad_peer_stop(&b, thread, fd);
}

static int mode_peer(const struct options *o)
{
	for (size_t i = 0; i < sizeof(peer_cases) / sizeof(peer_cases[0]); i++)
		if (!o->test_case || !strcmp(o->test_case, peer_cases[i].name))
			run_peer_case(i, o);
	return tap_failures ? 1 : 0;
}

/* The caller goes away: start, then close the handle before the reply. */
static int mode_abandon(const struct options *o)
{
	struct bad_peer b = { .kind = PEER_STALL };
	pthread_t thread;
	char ulp[16] = "";
	socklen_t ulp_len = sizeof(ulp);
	int fd = bad_peer_start(&b, &thread, o), handle;

	handle = ktls_handshake_start(fd, KTLS_ROLE_CLIENT);
	check(handle >= 0, "ktls_handshake_start against a stalled peer returns a handle%s%s",
	      handle < 0 ? ": " : "", handle < 0 ? ktls_errmsg() : "");
	usleep(300 * 1000);
	if (handle >= 0)
		close(handle);
	usleep(1000 * 1000);	/* ktlsd sees the hangup and gives up */
	check(getsockopt(fd, IPPROTO_TCP, TCP_ULP, ulp, &ulp_len) == 0 && ulp[0] == '\0',
	      "the abandoned socket carries no kTLS (TCP_ULP \"%s\")", ulp);
	bad_peer_stop(&b, thread, fd);
	return tap_failures ? 1 : 0;
}

/* A request connection that sends nothing is dropped. */
static int mode_silent(const struct options *o)
{
	int sock = door_connect();
	struct pollfd pfd = { .fd = sock, .events = POLLIN };
	double start = now_ms(), ms;
	char byte;
	ssize_t n = -1;

	if (poll(&pfd, 1, (int)o->max_ms + 2000) > 0)
		n = recv(sock, &byte, 1, 0);
	ms = now_ms() - start;
	check(n == 0 && ms >= (double)o->min_ms && ms <= (double)o->max_ms,
	      "a request connection that sends nothing is closed by ktlsd after %.0f ms "
	      "(allowed %ld..%ld ms; %s)", ms, o->min_ms, o->max_ms,
	      n == 0 ? "EOF" : n > 0 ? "got a reply" : "still open");
	close(sock);
	return tap_failures ? 1 : 0;
}

/* ---- concurrent: many handshakes at once with the async API -------------------------- */

struct async_set {
	unsigned n;
	int fds[MAX_CONCURRENT];
	int handles[MAX_CONCURRENT];
	int ok[MAX_CONCURRENT];
	unsigned succeeded, failed;
	char first_error[KTLS_REASON_MAX];
};

/* Poll every handle until each has answered; finish them as they do. */
static void async_finish_all(struct async_set *s, int timeout_ms)
{
	static struct pollfd pfds[MAX_CONCURRENT];
	unsigned pending = 0;
	double deadline = now_ms() + timeout_ms;

	for (unsigned i = 0; i < s->n; i++)
		pending += s->handles[i] >= 0;
	while (pending && now_ms() < deadline) {
		for (unsigned i = 0; i < s->n; i++)
			pfds[i] = (struct pollfd){ .fd = s->handles[i], .events = POLLIN };
		if (poll(pfds, s->n, 1000) < 0)
			break;
		for (unsigned i = 0; i < s->n; i++) {
			if (s->handles[i] < 0 || !(pfds[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			s->ok[i] = ktls_handshake_finish(s->fds[i], s->handles[i]) == 0;
			if (!s->ok[i] && !s->first_error[0])
				snprintf(s->first_error, sizeof(s->first_error), "%s", ktls_errmsg());
			s->handles[i] = -1;
			pending--;
		}
	}
	for (unsigned i = 0; i < s->n; i++) {
		s->succeeded += s->ok[i];
		if (s->handles[i] >= 0)
			close(s->handles[i]);
	}
	s->failed = s->n - s->succeeded;
}

static void async_start(struct async_set *s, unsigned i, enum ktls_role role)
{
	s->handles[i] = ktls_handshake_start(s->fds[i], role);
	if (s->handles[i] < 0 && !s->first_error[0])
		snprintf(s->first_error, sizeof(s->first_error), "start: %s", ktls_errmsg());
}

/* Server: accept, start, finish all; then echo 8 bytes on each. */
static int concurrent_server(int lfd, const struct options *o)
{
	static struct async_set s;
	char buf[8];
	unsigned echoed = 0;

	s.n = o->count;
	for (unsigned i = 0; i < s.n; i++) {
		s.fds[i] = accept_within(lfd, 60000);
		s.handles[i] = -1;
		if (s.fds[i] < 0)
			continue;
		set_string(s.fds[i], KTLS_PROFILE, o->server_profile);
		async_start(&s, i, KTLS_ROLE_SERVER);
	}
	async_finish_all(&s, 300000);
	for (unsigned i = 0; i < s.n; i++) {
		if (s.ok[i] && recv(s.fds[i], buf, sizeof(buf), MSG_WAITALL) == sizeof(buf) &&
		    io_write_all(s.fds[i], buf, sizeof(buf)) == 0)
			echoed++;
		if (s.fds[i] >= 0)
			close(s.fds[i]);
	}
	check(s.succeeded == s.n && echoed == s.n,
	      "server: %u/%u async ktls_accept handshakes succeeded, %u echoed 8 bytes%s%s",
	      s.succeeded, s.n, echoed, s.first_error[0] ? "; first error: " : "",
	      s.first_error);
	return tap_failures ? 1 : 0;
}

/* Write on every connection first, then read every echo: the server may
 * have accepted the connections in any order. */
static unsigned concurrent_echo(const struct async_set *s)
{
	unsigned good = 0;
	int written[MAX_CONCURRENT] = { 0 };

	for (unsigned i = 0; i < s->n; i++) {
		uint64_t sent = 0x6b746c7300000000ull | i;

		written[i] = s->ok[i] && io_write_all(s->fds[i], &sent, sizeof(sent)) == 0;
	}
	for (unsigned i = 0; i < s->n; i++) {
		uint64_t sent = 0x6b746c7300000000ull | i, back = 0;

		if (written[i] && recv(s->fds[i], &back, sizeof(back), MSG_WAITALL) == sizeof(back) &&
		    back == sent)
			good++;
	}
	return good;
}

static int mode_concurrent(const struct options *o)
{
	static struct async_set s;
	int port, lfd = listen_or_exit(&port), report;
	double start, seconds;
	unsigned echoed;
	pid_t pid = fork_reporting(&report);

	if (pid == 0)
		_exit(concurrent_server(lfd, o));
	close(lfd);
	s.n = o->count;
	for (unsigned i = 0; i < s.n; i++) {
		s.fds[i] = tcp_connect("127.0.0.1", port, IO_TIMEOUT_S);
		s.handles[i] = -1;
		if (s.fds[i] < 0 || apply_client_options(s.fds[i], o) < 0)
			exit(2);
	}
	start = now_ms();
	for (unsigned i = 0; i < s.n; i++)
		async_start(&s, i, KTLS_ROLE_CLIENT);
	async_finish_all(&s, 300000);
	seconds = (now_ms() - start) / 1000;
	printf("# %u concurrent handshakes: %.2f s\n", s.n, seconds);
	echoed = concurrent_echo(&s);
	check(s.succeeded == s.n && echoed == s.n,
	      "client: %u/%u async ktls_connect handshakes succeeded, %u/%u 8-byte echoes "
	      "intact%s%s", s.succeeded, s.n, echoed, s.n,
	      s.first_error[0] ? "; first error: " : "", s.first_error);
	for (unsigned i = 0; i < s.n; i++)
		close(s.fds[i]);
	relay_child(report);
	wait_child(pid, "the concurrent ktls_accept server");
	return tap_failures ? 1 : 0;
}

/* ---- options -------------------------------------------------------------------------- */

struct word {
	const char *name;
	int value;
};

/* The value of the word s names; exits 2 on any other word. */
static int parse_word(const char *s, const struct word *words, size_t n, const char *what)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s, words[i].name))
			return words[i].value;
	fprintf(stderr, "bad %s %s\n", what, s);
	exit(2);
}

static int parse_verify(const char *s)
{
	static const struct word words[] = {
		{ "default", KTLS_VERIFY_DEFAULT },
		{ "required", KTLS_VERIFY_REQUIRED },
		{ "optional", KTLS_VERIFY_OPTIONAL },
		{ "none", KTLS_VERIFY_NONE },
	};

	return parse_word(s, words, sizeof(words) / sizeof(words[0]), "verify value");
}

static int parse_version(const char *s)
{
	static const struct word words[] = {
		{ "1.2", KTLS_VERSION_1_2 },
		{ "1.3", KTLS_VERSION_1_3 },
	};

	return parse_word(s, words, sizeof(words) / sizeof(words[0]), "version");
}

static int parse_cipher(const char *s)
{
	int c = ktls_cipher_from_name(s);

	if (c < 0) {
		fprintf(stderr, "bad cipher %s\n", s);
		exit(2);
	}
	return c;
}

enum {
	OPT_PORT = 256, OPT_HOST, OPT_SERVER_NAME, OPT_PROFILE, OPT_SERVER_PROFILE, OPT_ALPN,
	OPT_VERIFY, OPT_SERVER_VERIFY, OPT_PSK_IDENTITY, OPT_TIMEOUT_MS, OPT_EXPECT_ERRNO,
	OPT_EXPECT_SERVER_ERRNO, OPT_EXPECT_REASON, OPT_EXPECT_VERSION, OPT_EXPECT_CIPHER,
	OPT_EXPECT_ALPN, OPT_EXPECT_PEER_SUBJECT, OPT_EXPECT_PEER_CERT, OPT_MIB,
	OPT_SENDFILE_KIB, OPT_SEND, OPT_EXPECT_FILE, OPT_ECHO_SIZES, OPT_SHUTDOWN, OPT_BYTES,
	OPT_CERT, OPT_KEY, OPT_TLS, OPT_CASE, OPT_COUNT, OPT_MIN_MS, OPT_MAX_MS, OPT_LABEL,
};

static const struct option long_options[] = {
	{ "label", required_argument, NULL, OPT_LABEL },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "host", required_argument, NULL, OPT_HOST },
	{ "server-name", required_argument, NULL, OPT_SERVER_NAME },
	{ "profile", required_argument, NULL, OPT_PROFILE },
	{ "server-profile", required_argument, NULL, OPT_SERVER_PROFILE },
	{ "alpn", required_argument, NULL, OPT_ALPN },
	{ "verify", required_argument, NULL, OPT_VERIFY },
	{ "server-verify", required_argument, NULL, OPT_SERVER_VERIFY },
	{ "psk-identity", required_argument, NULL, OPT_PSK_IDENTITY },
	{ "timeout-ms", required_argument, NULL, OPT_TIMEOUT_MS },
	{ "expect-errno", required_argument, NULL, OPT_EXPECT_ERRNO },
	{ "expect-server-errno", required_argument, NULL, OPT_EXPECT_SERVER_ERRNO },
	{ "expect-reason", required_argument, NULL, OPT_EXPECT_REASON },
	{ "expect-version", required_argument, NULL, OPT_EXPECT_VERSION },
	{ "expect-cipher", required_argument, NULL, OPT_EXPECT_CIPHER },
	{ "expect-alpn", required_argument, NULL, OPT_EXPECT_ALPN },
	{ "expect-peer-subject", required_argument, NULL, OPT_EXPECT_PEER_SUBJECT },
	{ "expect-peer-cert", required_argument, NULL, OPT_EXPECT_PEER_CERT },
	{ "mib", required_argument, NULL, OPT_MIB },
	{ "sendfile-kib", required_argument, NULL, OPT_SENDFILE_KIB },
	{ "send", required_argument, NULL, OPT_SEND },
	{ "expect-file", required_argument, NULL, OPT_EXPECT_FILE },
	{ "echo-sizes", required_argument, NULL, OPT_ECHO_SIZES },
	{ "shutdown", no_argument, NULL, OPT_SHUTDOWN },
	{ "bytes", required_argument, NULL, OPT_BYTES },
	{ "cert", required_argument, NULL, OPT_CERT },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "tls", required_argument, NULL, OPT_TLS },
	{ "case", required_argument, NULL, OPT_CASE },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "min-ms", required_argument, NULL, OPT_MIN_MS },
	{ "max-ms", required_argument, NULL, OPT_MAX_MS },
	{ NULL, 0, NULL, 0 },
};

static void usage(void) __attribute__((noreturn));
static void usage(void)
{
	fprintf(stderr, "usage: daemon_client pair|connect|early|raw|badfd|peer|abandon|silent|"
		"concurrent [options]   (see the comment at the top of daemon_client.c)\n");
	exit(2);
}

/* Options naming strings. */
static int parse_string_option(int c, struct options *o)
{
	switch (c) {
	case OPT_LABEL: o->label = optarg; return 1;
	case OPT_HOST: o->host = optarg; return 1;
	case OPT_SERVER_NAME: o->server_name = optarg; return 1;
	case OPT_PROFILE: o->profile = optarg; return 1;
	case OPT_SERVER_PROFILE: o->server_profile = optarg; return 1;
	case OPT_ALPN: o->alpn = optarg; return 1;
	case OPT_PSK_IDENTITY: o->psk_identity = optarg; return 1;
	case OPT_EXPECT_ERRNO: o->expect_errno = optarg; return 1;
	case OPT_EXPECT_SERVER_ERRNO: o->expect_server_errno = optarg; return 1;
	case OPT_EXPECT_REASON: o->expect_reason = optarg; return 1;
	case OPT_EXPECT_ALPN: o->expect_alpn = optarg; return 1;
	case OPT_EXPECT_PEER_SUBJECT: o->expect_peer_subject = optarg; return 1;
	case OPT_EXPECT_PEER_CERT: o->expect_peer_cert = optarg; return 1;
	case OPT_SEND: o->send_file = optarg; return 1;
	case OPT_EXPECT_FILE: o->expect_file = optarg; return 1;
	case OPT_ECHO_SIZES: o->echo_sizes = optarg; return 1;
	case OPT_CERT: o->cert = optarg; return 1;
	case OPT_KEY: o->key = optarg; return 1;
	case OPT_CASE: o->test_case = optarg; return 1;
	}
	return 0;
}

static long number(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (end == s || *end || v < 0) {
		fprintf(stderr, "not a number: %s\n", s);
		exit(2);
	}
	return v;
}

static void parse_other_option(int c, struct options *o)
{
	switch (c) {
	case OPT_PORT: o->port = (int)number(optarg); break;
	case OPT_VERIFY: o->verify = parse_verify(optarg); break;
	case OPT_SERVER_VERIFY: o->server_verify = parse_verify(optarg); break;
	case OPT_TIMEOUT_MS: o->timeout_ms = (int)number(optarg); break;
	case OPT_EXPECT_VERSION: o->expect_version = parse_version(optarg); break;
	case OPT_EXPECT_CIPHER: o->expect_cipher = parse_cipher(optarg); break;
	case OPT_MIB: o->mib = (size_t)number(optarg); break;
	case OPT_SENDFILE_KIB: o->sendfile_kib = (size_t)number(optarg); break;
	case OPT_SHUTDOWN: o->shutdown = 1; break;
	case OPT_BYTES: o->bytes = (size_t)number(optarg); break;
	case OPT_TLS: o->tls_version = parse_version(optarg); break;
	case OPT_COUNT: o->count = (unsigned)number(optarg); break;
	case OPT_MIN_MS: o->min_ms = number(optarg); break;
	case OPT_MAX_MS: o->max_ms = number(optarg); break;
	default: usage();
	}
}

static void parse_options(int argc, char **argv, struct options *o)
{
	int c;

	*o = (struct options){
		.host = "127.0.0.1", .server_name = "localhost", .verify = -1,
		.server_verify = -1, .mib = 1, .sendfile_kib = 64, .bytes = 1,
		.tls_version = KTLS_VERSION_1_3, .count = 100, .min_ms = 0, .max_ms = 60000,
	};
	if (argc < 2)
		usage();
	o->mode = argv[1];
	o->label = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "", long_options, NULL)) != -1)
		if (!parse_string_option(c, o))
			parse_other_option(c, o);
	if (optind < argc || o->count == 0 || o->count > MAX_CONCURRENT || o->bytes == 0)
		usage();
	if (!strcmp(o->mode, "early") && (!o->cert || !o->key))
		usage();
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(const struct options *o);
	} modes[] = {
		{ "pair", mode_pair }, { "connect", mode_connect }, { "early", mode_early },
		{ "raw", mode_raw }, { "badfd", mode_badfd }, { "peer", mode_peer },
		{ "abandon", mode_abandon }, { "silent", mode_silent },
		{ "concurrent", mode_concurrent },
	};
	struct options o;

	parse_options(argc, argv, &o);
	label = o.label;
	signal(SIGPIPE, SIG_IGN);
	alarm(HELPER_ALARM_S);
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(o.mode, modes[i].name))
			return modes[i].run(&o);
	usage();
}

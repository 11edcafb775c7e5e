// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ktls_pairs - libktls's kernel layer against the running kernel.
 *
 * For every TLS version x AEAD libktls knows, a loopback TCP pair gets random
 * keys installed by ktls_install_both() on both ends (client TX == server RX
 * and the reverse), then:
 *   - ktls_query() reads back the version and cipher of both directions,
 *   - small data both ways,
 *   - an alert record round trip through ktls_send_record/ktls_recv_record,
 *     and a plain recv() meeting a control record fails with EIO (the reason
 *     ktls_recv_record exists) while the record stays queued,
 *   - sendfile() of a pseudo-random file, hashed (SHA-256) by a receiver
 *     thread reading with ktls_recv_record and compared with the file's hash,
 *   - TLS 1.3: TLS_RX_EXPECT_NO_PAD set and read back, records still flow.
 * One more pair runs the bulk transfer with TLS_TX_ZEROCOPY_RO and
 * TLS_RX_EXPECT_NO_PAD both on, and a few pairs get one wrong byte in the
 * receiver's key, salt, IV or record sequence to prove the kernel uses each
 * field (the record must fail authentication with EBADMSG).
 *
 * Output is TAP on stdout; the exit status is 1 if any check failed.
 * Environment: KTLS_TEST_MIB (bulk size in MiB, default 64), TMPDIR.
 */
#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ktls.h"
#include "ktls_loopback.h"
#include "support/clock.h"
#include "support/hash.h"
#include "support/net.h"
#include "support/tap.h"
#include "support_io.h"

#define BULK_CHUNK (256 * 1024)
#define FILL_CHUNK (1024 * 1024)
/* Generous: the suite runs under software-emulated CPUs. */
#define IO_TIMEOUT_S 120
#define DEFAULT_MIB 64
#define MAX_MIB 4096

/* ---- the test file ----------------------------------------------------------- */

struct bulk_file {
	int fd;
	size_t len;
	uint8_t sha256[SHA256_LEN];
};

/* xorshift64: a cheap non-repeating pattern, so a dropped, duplicated or
 * reordered record changes the hash. */
static void fill_pattern(uint8_t *buf, size_t len, uint64_t *state)
{
	uint64_t x = *state;

	for (size_t i = 0; i < len; i += sizeof(x)) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(buf + i, &x, len - i < sizeof(x) ? len - i : sizeof(x));
	}
	*state = x;
}

/* An unlinked temp file of len pseudo-random bytes, and its SHA-256. */
static int bulk_file_create(struct bulk_file *bf, size_t len)
{
	const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char path[4096];
	gnutls_hash_hd_t hash;
	uint64_t seed = 0;
	uint8_t *chunk;
	int rc = -1;

	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed) || seed == 0)
		seed = 0x9e3779b97f4a7c15ull;
	snprintf(path, sizeof(path), "%s/ktls_pairs.XXXXXX", dir);
	bf->fd = mkstemp(path);
	if (bf->fd < 0)
		return -1;
	unlink(path);
	bf->len = len;
	chunk = malloc(FILL_CHUNK);
	if (!chunk || gnutls_hash_init(&hash, GNUTLS_DIG_SHA256) < 0)
		goto out;
	diag("test file: %zu MiB in %s, pattern seed %#llx", len >> 20, dir,
	     (unsigned long long)seed);
	for (size_t done = 0; done < len; done += FILL_CHUNK) {
		size_t n = len - done < FILL_CHUNK ? len - done : FILL_CHUNK;

		fill_pattern(chunk, n, &seed);
		gnutls_hash(hash, chunk, n);
		if (io_write_all(bf->fd, chunk, n) < 0) {
			gnutls_hash_deinit(hash, bf->sha256);
			goto out;
		}
	}
	gnutls_hash_deinit(hash, bf->sha256);
	rc = 0;
out:
	free(chunk);
	return rc;
}

/* ---- sockets and keys --------------------------------------------------------- */

struct pair {
	int cli, srv;
};

/* Nagle off: the small-record checks want each record sent at once. */
static void set_nodelay(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* A connected loopback TCP pair; -1 with errno on failure. */
static int tcp_pair(struct pair *p)
{
	struct ktls_loopback_pair lp;

	p->cli = p->srv = -1;
	if (ktls_loopback_pair_open(&lp, IO_TIMEOUT_S) < 0)
		return -1;
	p->cli = lp.client;
	p->srv = lp.server;
	set_nodelay(p->cli);
	set_nodelay(p->srv);
	return 0;
}

static void pair_close(struct pair *p)
{
	close(p->cli);
	close(p->srv);
}

static int fill_random(uint8_t *buf, size_t len)
{
	return getrandom(buf, len, 0) == (ssize_t)len ? 0 : -1;
}

/* Random keys for one direction, in the sizes the cipher needs. */
static int random_params(struct ktls_crypto_params *p, enum ktls_version version,
			 enum ktls_cipher cipher)
{
	memset(p, 0, sizeof(*p));
	p->version = version;
	p->cipher = cipher;
	p->key_len = (uint8_t)ktls_cipher_key_len(cipher);
	p->iv_len = (uint8_t)ktls_cipher_iv_len(cipher);
	p->salt_len = (uint8_t)ktls_cipher_salt_len(cipher);
	if (fill_random(p->key, p->key_len) < 0 || fill_random(p->iv, p->iv_len) < 0 ||
	    fill_random(p->salt, p->salt_len) < 0 ||
	    fill_random(p->rec_seq, sizeof(p->rec_seq)) < 0)
		return -1;
	/* A random starting sequence number proves rec_seq reaches the kernel;
	 * keep it far from 2^64, where the kernel refuses to wrap. */
	p->rec_seq[0] = 0;
	return 0;
}

/* ---- one (version, cipher) ------------------------------------------------------ */

struct suite {
	enum ktls_version version;
	enum ktls_cipher cipher;
	char label[48];		/* "tls13-aes-128-gcm" */
};

static void suite_init(struct suite *s, enum ktls_version version, enum ktls_cipher cipher,
		       const char *suffix)
{
	char raw[64], *out = s->label;

	s->version = version;
	s->cipher = cipher;
	snprintf(raw, sizeof(raw), "%s-%s%s", ktls_version_name(version),
		 ktls_cipher_name(cipher), suffix);
	for (const char *in = raw; *in && out < s->label + sizeof(s->label) - 1; in++)
		if (*in != '.')
			*out++ = (char)(*in >= 'A' && *in <= 'Z' ? *in - 'A' + 'a' : *in);
	*out = '\0';
}

/* Connect a pair and install mirrored random keys on both ends. */
static int open_ktls_pair(const struct suite *s, struct pair *p)
{
	struct ktls_crypto_params c2s, s2c;
	int ok = 0;

	if (tcp_pair(p) < 0) {
		diag_errno("loopback TCP pair");
		tap(0, s->label, "loopback TCP pair");
		return -1;
	}
	if (random_params(&c2s, s->version, s->cipher) < 0 ||
	    random_params(&s2c, s->version, s->cipher) < 0) {
		diag_errno("getrandom");
	} else if (ktls_install_both(p->cli, &c2s, &s2c) < 0) {
		diag_errno("client ktls_install_both");
	} else if (ktls_install_both(p->srv, &s2c, &c2s) < 0) {
		diag_errno("server ktls_install_both");
	} else {
		ok = 1;
	}
	ktls_params_wipe(&c2s);
	ktls_params_wipe(&s2c);
	if (!tap(ok, s->label, "keys installed with ktls_install_both on both ends")) {
		pair_close(p);
		return -1;
	}
	return 0;
}

static int dir_matches(const struct ktls_dir_info *d, const struct suite *s)
{
	return d->installed && d->version == s->version && d->cipher == s->cipher;
}

static void diag_info(const char *end, const struct ktls_info *i)
{
	diag("%s: ulp=%d tx={installed=%d %s %s} rx={installed=%d %s %s}", end,
	     i->ulp_attached, i->tx.installed, ktls_version_name(i->tx.version),
	     ktls_cipher_name(i->tx.cipher), i->rx.installed,
	     ktls_version_name(i->rx.version), ktls_cipher_name(i->rx.cipher));
}

static void check_query(const struct suite *s, const struct pair *p)
{
	struct ktls_info ci, si;
	int ok;

	if (ktls_query(p->cli, &ci) < 0 || ktls_query(p->srv, &si) < 0) {
		diag_errno("ktls_query");
		tap(0, s->label, "ktls_query on both ends");
		return;
	}
	ok = ci.ulp_attached && si.ulp_attached && dir_matches(&ci.tx, s) &&
	     dir_matches(&ci.rx, s) && dir_matches(&si.tx, s) && dir_matches(&si.rx, s);
	if (!ok) {
		diag_info("client", &ci);
		diag_info("server", &si);
	}
	tap(ok, s->label, "ktls_query reports %s %s for TX and RX on both ends",
	    ktls_version_name(s->version), ktls_cipher_name(s->cipher));
}

/* Receive exactly one record of want_type carrying want; 0 or -1 (with a
 * diagnostic). */
static int expect_record(int fd, uint8_t want_type, const void *want, size_t want_len)
{
	uint8_t buf[512], type = 0;
	ssize_t n = ktls_recv_record(fd, buf, sizeof(buf), 0, &type);

	if (n < 0) {
		diag_errno("ktls_recv_record");
		return -1;
	}
	if (type != want_type || (size_t)n != want_len || memcmp(buf, want, want_len)) {
		diag("got a record of type %u with %zd bytes, want type %u with %zu bytes%s",
		     type, n, want_type, want_len,
		     type == want_type && (size_t)n == want_len ? " (payload differs)" : "");
		return -1;
	}
	return 0;
}

static int send_data(int fd, const char *msg)
{
	ssize_t n = send(fd, msg, strlen(msg), 0);

	if (n != (ssize_t)strlen(msg)) {
		diag_errno("send");
		return -1;
	}
	return 0;
}

static void check_small_data(const struct suite *s, const struct pair *p)
{
	static const char c2s[] = "hello from the client over kTLS";
	static const char s2c[] = "and back from the server";
	int ok = send_data(p->cli, c2s) == 0 &&
		 expect_record(p->srv, KTLS_RECORD_APPLICATION_DATA, c2s, strlen(c2s)) == 0 &&
		 send_data(p->srv, s2c) == 0 &&
		 expect_record(p->cli, KTLS_RECORD_APPLICATION_DATA, s2c, strlen(s2c)) == 0;

	tap(ok, s->label, "small data client->server and server->client");
}

static void check_alert_round_trip(const struct suite *s, const struct pair *p)
{
	static const uint8_t alert[2] = { 1 /* warning */, 0 /* close_notify */ };
	ssize_t n = ktls_send_record(p->cli, KTLS_RECORD_ALERT, alert, sizeof(alert), 0);
	int ok = n == sizeof(alert);

	if (!ok)
		diag_errno("ktls_send_record");
	ok = ok && expect_record(p->srv, KTLS_RECORD_ALERT, alert, sizeof(alert)) == 0;
	tap(ok, s->label, "alert record (type 21) round trip via ktls_send_record/ktls_recv_record");
}

/* The kernel cannot hand a non-data record to a caller that gave it no room
 * for the record type: plain recv() fails with EIO and leaves the record
 * queued for a recvmsg() that has room. */
static void check_plain_recv_eio(const struct suite *s, const struct pair *p)
{
	static const char what[] =
		"plain recv() on a control record fails with EIO, ktls_recv_record then gets it";
	static const uint8_t alert[2] = { 2 /* fatal */, 40 /* handshake_failure */ };
	uint8_t buf[64];
	ssize_t n;
	int ok;

	if (ktls_send_record(p->srv, KTLS_RECORD_ALERT, alert, sizeof(alert), 0) != sizeof(alert)) {
		diag_errno("ktls_send_record");
		tap(0, s->label, "%s", what);
		return;
	}
	n = recv(p->cli, buf, sizeof(buf), 0);
	ok = n < 0 && errno == EIO;
	if (!ok)
		diag("plain recv() returned %zd (%s), want -1 EIO", n, n < 0 ? strerror(errno) : "data");
	ok = ok && expect_record(p->cli, KTLS_RECORD_ALERT, alert, sizeof(alert)) == 0;
	tap(ok, s->label, "%s", what);
}

/* TLS 1.3 only: the receiver decrypts assuming no padding and must fall back
 * by itself when a record is not data. */
static void check_no_pad(const struct suite *s, const struct pair *p)
{
	static const char msg[] = "data after TLS_RX_EXPECT_NO_PAD";
	static const uint8_t alert[2] = { 1, 0 };
	struct ktls_info info;
	int ok = ktls_set_rx_expect_no_pad(p->srv, 1) == 0;

	if (!ok)
		diag_errno("ktls_set_rx_expect_no_pad");
	if (ok && (ktls_query(p->srv, &info) < 0 || info.rx_expect_no_pad != 1)) {
		diag("ktls_query: rx_expect_no_pad=%d, want 1 (%s)", info.rx_expect_no_pad,
		     ktls_errmsg());
		ok = 0;
	}
	ok = ok && send_data(p->cli, msg) == 0 &&
	     ktls_send_record(p->cli, KTLS_RECORD_ALERT, alert, sizeof(alert), 0) == sizeof(alert) &&
	     send_data(p->cli, msg) == 0 &&
	     expect_record(p->srv, KTLS_RECORD_APPLICATION_DATA, msg, strlen(msg)) == 0 &&
	     expect_record(p->srv, KTLS_RECORD_ALERT, alert, sizeof(alert)) == 0 &&
	     expect_record(p->srv, KTLS_RECORD_APPLICATION_DATA, msg, strlen(msg)) == 0;
	tap(ok, s->label, "TLS_RX_EXPECT_NO_PAD on, read back 1, data/alert/data still delivered");
}

/* ---- bulk transfer ------------------------------------------------------------- */

struct bulk_rx {
	int fd;
	size_t expect, received;
	unsigned int other_records;	/* non-data records: none are sent */
	int err;			/* errno of a failed receive */
	char errmsg[256];
	int eof;
	double end_s;
	uint8_t sha256[SHA256_LEN];
};

static void *bulk_rx_thread(void *arg)
{
	struct bulk_rx *rx = arg;
	uint8_t *buf = malloc(BULK_CHUNK), type;
	gnutls_hash_hd_t hash;

	if (!buf || gnutls_hash_init(&hash, GNUTLS_DIG_SHA256) < 0) {
		rx->err = ENOMEM;
		free(buf);
		return NULL;
	}
	while (rx->received < rx->expect) {
		ssize_t n = ktls_recv_record(rx->fd, buf, BULK_CHUNK, 0, &type);

		if (n < 0) {
			rx->err = errno;
			snprintf(rx->errmsg, sizeof(rx->errmsg), "%s", ktls_errmsg());
			break;
		}
		if (n == 0) {
			rx->eof = 1;
			break;
		}
		if (type != KTLS_RECORD_APPLICATION_DATA) {
			rx->other_records++;
			continue;
		}
		gnutls_hash(hash, buf, (size_t)n);
		rx->received += (size_t)n;
	}
	rx->end_s = now_s();
	gnutls_hash_deinit(hash, rx->sha256);
	free(buf);
	return NULL;
}

static int sendfile_file(int fd, int file_fd, size_t len)
{
	size_t sent = io_sendfile_all(fd, file_fd, 0, len);

	if (sent == len)
		return 0;
	if (errno)
		diag_errno("sendfile");
	else
		diag("sendfile: no progress at offset %zu", sent);
	return -1;
}

static const char *where_we_run(void)
{
	const char *in_vm = getenv("KTLSD_IN_VM");

	return in_vm && !strcmp(in_vm, "1") ? "emulated CPU in the VM, not a benchmark"
					     : "not a benchmark";
}

/* sendfile() the whole file client->server, hash it on the receiving side. */
static void check_bulk(const char *label, const char *what, const struct pair *p,
		       const struct bulk_file *bf)
{
	struct bulk_rx rx = { .fd = p->srv, .expect = bf->len };
	pthread_t thread;
	double start = now_s();
	int sent, ok;

	if (pthread_create(&thread, NULL, bulk_rx_thread, &rx) != 0) {
		tap(0, label, "%s: starting the receiver thread", what);
		return;
	}
	sent = sendfile_file(p->cli, bf->fd, bf->len) == 0;
	if (!sent)
		shutdown(p->cli, SHUT_WR);	/* let the receiver see EOF */
	pthread_join(thread, NULL);
	if (rx.err)
		diag("receiver: %s%s%s", strerror(rx.err), *rx.errmsg ? ": " : "", rx.errmsg);
	if (rx.received != bf->len || rx.eof || rx.other_records)
		diag("receiver: %zu of %zu bytes, eof=%d, %u unexpected non-data records",
		     rx.received, bf->len, rx.eof, rx.other_records);
	ok = sent && !rx.err && rx.received == bf->len && !rx.other_records &&
	     !memcmp(rx.sha256, bf->sha256, SHA256_LEN);
	if (ok)
		diag("%s: %zu MiB in %.2f s = %.1f MiB/s (%s)", label, bf->len >> 20,
		     rx.end_s - start, (double)bf->len / 1048576.0 / (rx.end_s - start),
		     where_we_run());
	tap(ok, label, "%s %zu MiB sha256 match", what, bf->len >> 20);
}

static void run_suite(const struct suite *s, const struct bulk_file *bf)
{
	static const char *const later[] = {
		"ktls_query", "small data", "alert record round trip",
		"plain recv() on a control record", "sendfile",
	};
	struct pair p;

	if (open_ktls_pair(s, &p) < 0) {
		for (size_t i = 0; i < sizeof(later) / sizeof(later[0]); i++)
			tap_skip(s->label, later[i], "keys not installed");
		if (s->version == KTLS_VERSION_1_3)
			tap_skip(s->label, "TLS_RX_EXPECT_NO_PAD", "keys not installed");
		return;
	}
	check_query(s, &p);
	check_small_data(s, &p);
	check_alert_round_trip(s, &p);
	check_plain_recv_eio(s, &p);
	check_bulk(s->label, "sendfile", &p, bf);
	if (s->version == KTLS_VERSION_1_3)
		check_no_pad(s, &p);
	pair_close(&p);
}

/* Both knobs on for one bulk transfer.  In software kTLS, ZEROCOPY_RO only
 * matters for device offload, so this proves the knob is accepted, reads back
 * and does not disturb the data path. */
static void run_knobs_suite(const struct bulk_file *bf)
{
	struct suite s;
	struct ktls_info info;
	struct pair p;
	int ok;

	suite_init(&s, KTLS_VERSION_1_3, KTLS_CIPHER_AES_128_GCM, "+zerocopy-ro+no-pad");
	if (open_ktls_pair(&s, &p) < 0) {
		tap_skip(s.label, "knobs", "keys not installed");
		tap_skip(s.label, "sendfile with both knobs", "keys not installed");
		return;
	}
	ok = ktls_set_tx_zerocopy_ro(p.cli, 1) == 0 && ktls_set_rx_expect_no_pad(p.srv, 1) == 0;
	if (!ok)
		diag_errno("setting the knobs");
	if (ok && (ktls_query(p.cli, &info) < 0 || info.tx_zerocopy_ro != 1)) {
		diag("client tx_zerocopy_ro=%d, want 1 (%s)", info.tx_zerocopy_ro, ktls_errmsg());
		ok = 0;
	}
	if (ok && (ktls_query(p.srv, &info) < 0 || info.rx_expect_no_pad != 1)) {
		diag("server rx_expect_no_pad=%d, want 1 (%s)", info.rx_expect_no_pad, ktls_errmsg());
		ok = 0;
	}
	if (tap(ok, s.label, "TLS_TX_ZEROCOPY_RO (client) and TLS_RX_EXPECT_NO_PAD (server) "
		"set and read back"))
		check_bulk(s.label, "sendfile with both knobs", &p, bf);
	else
		tap_skip(s.label, "sendfile with both knobs", "knobs not set");
	pair_close(&p);
}

/* ---- one wrong byte on the receiver ----------------------------------------------- */

enum corrupt_field {
	CORRUPT_KEY,
	CORRUPT_SALT,
	CORRUPT_IV,
	CORRUPT_REC_SEQ,
};

struct corrupt_case {
	enum ktls_version version;
	enum ktls_cipher cipher;
	enum corrupt_field field;
};

static const char *corrupt_field_name(enum corrupt_field field)
{
	switch (field) {
	case CORRUPT_KEY:
		return "key";
	case CORRUPT_SALT:
		return "salt";
	case CORRUPT_IV:
		return "iv";
	case CORRUPT_REC_SEQ:
		return "rec_seq";
	}
	return "?";
}

static void corrupt(struct ktls_crypto_params *p, enum corrupt_field field)
{
	switch (field) {
	case CORRUPT_KEY:
		p->key[p->key_len - 1] ^= 0x01;
		break;
	case CORRUPT_SALT:
		p->salt[0] ^= 0x80;
		break;
	case CORRUPT_IV:
		p->iv[p->iv_len - 1] ^= 0x01;
		break;
	case CORRUPT_REC_SEQ:
		p->rec_seq[KTLS_REC_SEQ_LEN - 1] ^= 0x01;
		break;
	}
}

/* Install the right key on the sender and a copy with one flipped bit on the
 * receiver; the first record must fail authentication. */
static void check_corrupt(const struct corrupt_case *c)
{
	static const char msg[] = "this record must not authenticate";
	struct ktls_crypto_params good, bad, other;
	struct suite s;
	struct pair p;
	uint8_t buf[128], type;
	ssize_t n = 0;
	int ok = 0;

	suite_init(&s, c->version, c->cipher, "");
	if (tcp_pair(&p) < 0) {
		diag_errno("loopback TCP pair");
		tap(0, s.label, "loopback TCP pair");
		return;
	}
	if (random_params(&good, c->version, c->cipher) < 0 ||
	    random_params(&other, c->version, c->cipher) < 0) {
		diag_errno("getrandom");
		goto out;
	}
	bad = good;
	corrupt(&bad, c->field);
	if (ktls_install_both(p.cli, &good, &other) < 0 ||
	    ktls_install_both(p.srv, &other, &bad) < 0) {
		diag_errno("ktls_install_both");
		goto out;
	}
	if (send_data(p.cli, msg) < 0)
		goto out;
	n = ktls_recv_record(p.srv, buf, sizeof(buf), 0, &type);
	ok = n < 0 && errno == EBADMSG;
	if (!ok)
		diag("ktls_recv_record returned %zd (%s), want -1 EBADMSG", n,
		     n < 0 ? strerror(errno) : "decrypted");
out:
	ktls_params_wipe(&good);
	ktls_params_wipe(&bad);
	ktls_params_wipe(&other);
	pair_close(&p);
	tap(ok, s.label, "one wrong %s bit on the receiver fails authentication (EBADMSG)",
	    corrupt_field_name(c->field));
}

static void run_corrupt_cases(void)
{
	/* TLS 1.2 GCM carries the explicit nonce in each record, so the
	 * receiver's iv is unused there: only 1.3 and ChaCha20 test the iv. */
	static const struct corrupt_case cases[] = {
		{ KTLS_VERSION_1_3, KTLS_CIPHER_AES_128_GCM, CORRUPT_KEY },
		{ KTLS_VERSION_1_3, KTLS_CIPHER_AES_128_GCM, CORRUPT_SALT },
		{ KTLS_VERSION_1_3, KTLS_CIPHER_AES_128_GCM, CORRUPT_IV },
		{ KTLS_VERSION_1_3, KTLS_CIPHER_AES_128_GCM, CORRUPT_REC_SEQ },
		{ KTLS_VERSION_1_3, KTLS_CIPHER_CHACHA20_POLY1305, CORRUPT_IV },
		{ KTLS_VERSION_1_2, KTLS_CIPHER_AES_256_GCM, CORRUPT_KEY },
		{ KTLS_VERSION_1_2, KTLS_CIPHER_AES_256_GCM, CORRUPT_SALT },
		{ KTLS_VERSION_1_2, KTLS_CIPHER_AES_256_GCM, CORRUPT_REC_SEQ },
		{ KTLS_VERSION_1_2, KTLS_CIPHER_AES_128_CCM, CORRUPT_KEY },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_corrupt(&cases[i]);
}

/* ---- main ---------------------------------------------------------------------- */

static int bulk_mib(size_t *mib)
{
	const char *env = getenv("KTLS_TEST_MIB");
	char *end;
	unsigned long value;

	*mib = DEFAULT_MIB;
	if (!env || !*env)
		return 0;
	errno = 0;
	value = strtoul(env, &end, 10);
	if (errno || *end || value < 1 || value > MAX_MIB)
		return -1;
	*mib = value;
	return 0;
}

int main(void)
{
	static const enum ktls_version versions[] = { KTLS_VERSION_1_2, KTLS_VERSION_1_3 };
	static const enum ktls_cipher ciphers[] = {
		KTLS_CIPHER_AES_128_GCM, KTLS_CIPHER_AES_256_GCM,
		KTLS_CIPHER_AES_128_CCM, KTLS_CIPHER_CHACHA20_POLY1305,
	};
	struct bulk_file bf;
	double start = now_s();
	size_t mib;

	setvbuf(stdout, NULL, _IOLBF, 0);
	tap_number_lines();
	if (bulk_mib(&mib) < 0) {
		printf("not ok 1 - KTLS_TEST_MIB must be 1..%d, not \"%s\"\n", MAX_MIB,
		       getenv("KTLS_TEST_MIB"));
		return 1;
	}
	if (bulk_file_create(&bf, mib << 20) < 0) {
		printf("not ok 1 - creating the %zu MiB test file: %s\n", mib, strerror(errno));
		return 1;
	}
	for (size_t v = 0; v < sizeof(versions) / sizeof(versions[0]); v++) {
		for (size_t c = 0; c < sizeof(ciphers) / sizeof(ciphers[0]); c++) {
			struct suite s;

			suite_init(&s, versions[v], ciphers[c], "");
			run_suite(&s, &bf);
		}
	}
	run_knobs_suite(&bf);
	run_corrupt_cases();
	close(bf.fd);
	diag("ktls_pairs: %u checks, %u failed, %.1f s", tap_count, tap_failures, now_s() - start);
	printf("1..%u\n", tap_count);
	return tap_failures ? 1 : 0;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The in-process arms of `ktls-bench sendfile`, A to E': how each one sets
 * up a loopback connection and how its sender moves one object.  The
 * server end sends, the client end receives.
 *
 *   A  tcp-sendfile    sendfile() on plain TCP                   (the ceiling)
 *   B  tcp-write       pread() 16 KiB + write() on plain TCP
 *   C  gnutls          pread() 16 KiB + gnutls_record_send()     (userspace TLS)
 *   D  ktls-write      pread() 16 KiB + write() on kTLS          (16 KiB records)
 *   E  ktls-sendfile   sendfile() on kTLS, keys through ktlsd
 *   E' ktls-sendfile-zc  E with TLS_TX_ZEROCOPY_RO
 *
 * Receivers never decrypt in userspace: every TLS arm's client end has kTLS
 * RX (C installs RX only, from its GnuTLS session, so the only kTLS TX
 * socket in C would be a mistake that tls_stat shows).  Reading "16 KiB"
 * for B/C/D keeps their records and syscalls the same size as E's records.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"
#include "ktls_loopback.h"
#include "sendfile_arms.h"
#include "support_io.h"

/* sendfile() at most this much per call, so a timed pass can stop inside a
 * large object; a multiple of the record size, so records stay full. */
#define SENDFILE_CHUNK (1024 * 1024)

static const struct arm_info arms[ARM_COUNT] = {
	[ARM_TCP_SENDFILE] = { "A", 'A', "tcp-sendfile", "plain TCP, sendfile()", 0, 0 },
	[ARM_TCP_WRITE] = { "B", 'B', "tcp-write", "plain TCP, pread()+write() 16 KiB", 0, 0 },
	[ARM_GNUTLS] = { "C", 'C', "gnutls", "GnuTLS userspace, pread()+gnutls_record_send() 16 KiB",
			 1, 0 },
	[ARM_KTLS_WRITE] = { "D", 'D', "ktls-write", "kTLS, pread()+write() 16 KiB", 1, 1 },
	[ARM_KTLS_SENDFILE] = { "E", 'E', "ktls-sendfile", "kTLS, sendfile(), keys via ktlsd",
				1, 1 },
	[ARM_KTLS_SENDFILE_ZC] = { "E'", 'Z', "ktls-sendfile-zc",
				   "kTLS, sendfile() + TLS_TX_ZEROCOPY_RO, keys via ktlsd", 1, 1 },
	[ARM_OPENSSL] = { "F1", 'O', "openssl-s_server",
			  "openssl s_server -WWW -sendfile, Options=KTLS (1 conn per object)", 1, 1 },
	[ARM_NGINX] = { "F2", 'N', "nginx", "nginx sendfile on, Options KTLS (keep-alive)", 1, 1 },
};

const struct arm_info *arm_info(enum arm_id arm)
{
	return &arms[arm];
}

/* ---- set-up per arm ----------------------------------------------------------------- */

static int setup_inprocess_tls(struct bench_conn *c, const struct bench_ctx *ctx, int cipher,
			       int sender_userspace)
{
	gnutls_session_t server = NULL, client = NULL;
	int rc = -1;

	if (tls_handshake_pair(c->send_fd, c->recv_fd, cipher, &ctx->creds, &server, &client) < 0)
		return -1;
	if (tls_install(client, c->recv_fd, sender_userspace) == 0 &&
	    (sender_userspace || tls_install(server, c->send_fd, 0) == 0))
		rc = 0;
	gnutls_deinit(client);
	if (sender_userspace && rc == 0)
		c->send_session = server;	/* C keeps GnuTLS on the sending side */
	else
		gnutls_deinit(server);
	return rc;
}

static int setup_ktlsd(struct bench_conn *c, int cipher, char *note, size_t note_len)
{
	if (ktlsd_handshake_pair(c->send_fd, c->recv_fd, cipher) == 0)
		return 0;
	snprintf(note, note_len, "handshake through ktlsd failed: %s", ktls_errmsg());
	return -1;
}

/* E and E': through ktlsd when we have one; in-process GnuTLS (labelled)
 * only when there is no daemon at all, never to hide a daemon's failure. */
static int setup_ktls_sendfile(struct bench_conn *c, const struct bench_ctx *ctx, int cipher,
			       char *keys, size_t keys_len, char *note, size_t note_len)
{
	if (ctx->ktlsd.usable) {
		snprintf(keys, keys_len, "ktlsd");
		return setup_ktlsd(c, cipher, note, note_len);
	}
	snprintf(keys, keys_len, "in-process GnuTLS (no ktlsd)");
	return setup_inprocess_tls(c, ctx, cipher, 0);
}

int arm_conn_setup(enum arm_id arm, const struct bench_ctx *ctx, int cipher, struct bench_conn *c,
		   char *keys, size_t keys_len, char *note, size_t note_len)
{
	struct ktls_loopback_pair pair;
	int rc = ktls_loopback_pair_open(&pair, BENCH_IO_TIMEOUT_S);

	memset(c, 0, sizeof(*c));
	c->arm = arm;
	c->send_fd = pair.server;	/* both -1 when rc < 0 */
	c->recv_fd = pair.client;
	if (rc < 0) {
		snprintf(note, note_len, "loopback connection: %s", strerror(errno));
		return -1;
	}
	c->recv_ktls = arms[arm].tls;
	switch (arm) {
	case ARM_TCP_SENDFILE:
	case ARM_TCP_WRITE:
		snprintf(keys, keys_len, "-");
		return 0;
	case ARM_GNUTLS:
	case ARM_KTLS_WRITE:
		snprintf(keys, keys_len, "in-process GnuTLS");
		if (setup_inprocess_tls(c, ctx, cipher, arm == ARM_GNUTLS) == 0)
			return 0;
		snprintf(note, note_len, "in-process handshake or kTLS install failed");
		return -1;
	case ARM_KTLS_SENDFILE:
	case ARM_KTLS_SENDFILE_ZC:
		if (setup_ktls_sendfile(c, ctx, cipher, keys, keys_len, note, note_len) < 0)
			return -1;
		if (arm == ARM_KTLS_SENDFILE_ZC && ktls_set_tx_zerocopy_ro(c->send_fd, 1) < 0) {
			snprintf(note, note_len, "TLS_TX_ZEROCOPY_RO: %s", ktls_errmsg());
			return -1;
		}
		return 0;
	case ARM_OPENSSL:
	case ARM_NGINX:
		break;	/* external_arms.c */
	}
	snprintf(note, note_len, "not an in-process arm");
	return -1;
}

void arm_conn_close(struct bench_conn *c)
{
	if (c->send_session)
		gnutls_deinit(c->send_session);
	c->send_session = NULL;
	if (c->send_fd >= 0)
		close(c->send_fd);
	if (c->recv_fd >= 0)
		close(c->recv_fd);
	c->send_fd = c->recv_fd = -1;
}

/* ---- sending ------------------------------------------------------------------------ */

static int gnutls_send_all(gnutls_session_t s, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = gnutls_record_send(s, p, len);

		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One piece of at most SENDFILE_CHUNK (sendfile arms) or one record's worth
 * (the others) at offset off. */
static ssize_t send_piece(struct bench_conn *c, int file_fd, size_t off, size_t left, uint8_t *buf)
{
	size_t want = left;
	ssize_t got;

	switch (c->arm) {
	case ARM_TCP_SENDFILE:
	case ARM_KTLS_SENDFILE:
	case ARM_KTLS_SENDFILE_ZC:
		if (want > SENDFILE_CHUNK)
			want = SENDFILE_CHUNK;
		/* kTLS: stay below the AEAD limit (a KeyUpdate when it nears) */
		if (c->arm != ARM_TCP_SENDFILE) {
			got = ktls_tx_prepare(c->send_fd, want);
			if (got < 0)
				return -1;
			want = (size_t)got;
		}
		return io_sendfile_all(c->send_fd, file_fd, (off_t)off, want) < want ? -1
										     : (ssize_t)want;
	case ARM_TCP_WRITE:
	case ARM_GNUTLS:
	case ARM_KTLS_WRITE:
	case ARM_OPENSSL:
	case ARM_NGINX:
		break;
	}
	if (want > BENCH_RECORD_SIZE)
		want = BENCH_RECORD_SIZE;
	got = pread(file_fd, buf, want, (off_t)off);
	if (got <= 0)
		return -1;
	if (c->arm == ARM_GNUTLS)
		return gnutls_send_all(c->send_session, buf, (size_t)got) < 0 ? -1 : got;
	return io_write_all(c->send_fd, buf, (size_t)got) < 0 ? -1 : got;
}

ssize_t arm_send_object(struct bench_conn *c, int file_fd, size_t size, double deadline,
			uint8_t *buf)
{
	size_t off = 0;

	while (off < size) {
		ssize_t n = send_piece(c, file_fd, off, size - off, buf);

		if (n < 0)
			return -1;
		off += (size_t)n;
		if (deadline > 0 && off < size && now_s() >= deadline)
			break;
	}
	return (ssize_t)off;
}

ssize_t arm_recv(struct bench_conn *c, void *buf, size_t len)
{
	ssize_t n;

	do
		n = c->recv_ktls ? ktls_recv(c->recv_fd, buf, len, 0) : read(c->recv_fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n;
}

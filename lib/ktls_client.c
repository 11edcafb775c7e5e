// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The daemon client: hand a connected socket to ktlsd for the handshake.
 *
 * One request = one AF_UNIX SOCK_SEQPACKET connection to ktlsd: the request
 * message carries the TCP socket in SCM_RIGHTS, the daemon handshakes on its
 * copy of the socket, installs the kTLS keys (which then apply to ours, it
 * is the same socket), answers with one reply and closes.  The connection is
 * also the async handle: it turns readable when the reply (or the daemon's
 * close) arrives, so callers can poll it with their other descriptors.
 * Closing it early tells the daemon to give up on the handshake.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ktls_early.h"
#include "ktls_internal.h"
#include "ktls_rekey.h"
#include "ktls_sockopt.h"

/* How long ktls_connect waits beyond the handshake timeout: the daemon
 * enforces the timeout itself and needs a moment to report it. */
#define REPLY_MARGIN_MS 5000
/* ... and without one, when the profile's timeout is unknown to us. */
#define REPLY_DEFAULT_WAIT_MS 60000

static int fail_connect(int err, const char *path)
{
	switch (err) {
	case ENOENT:
		return ktls_fail(err, "ktlsd is not running (no socket at %s)", path);
	case ECONNREFUSED:
		return ktls_fail(err, "ktlsd is not running (nothing listens on %s)", path);
	case EACCES:
	case EPERM:
		return ktls_fail(err, "not allowed to connect to ktlsd at %s", path);
	}
	return ktls_fail(err, "connecting to ktlsd at %s: %s", path, strerror(err));
}

int ktls_daemon_connect(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int sock, rc;

	if (strlen(path) >= sizeof(addr.sun_path))
		return ktls_fail(ENAMETOOLONG, "ktlsd socket path is too long: %s", path);
	memcpy(addr.sun_path, path, strlen(path) + 1);
	sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return ktls_fail(errno, "creating a socket for ktlsd: %s", strerror(errno));
	do
		rc = connect(sock, (struct sockaddr *)&addr, sizeof(addr));
	while (rc < 0 && errno == EINTR);
	if (rc < 0) {
		int err = errno;

		close(sock);
		return fail_connect(err, path);
	}
	return sock;
}

/* A request is at most the header, ten TLV headers, three names, the
 * ALPN list, a few small integers (about 1.1 KiB) and the early data. */
#define REQUEST_MAX (2048 + KTLS_EARLY_DATA_MAX)

static int send_request(int conn, int fd, const struct ktls_hs_request *req)
{
	uint8_t *msg = malloc(REQUEST_MAX);
	int len = msg ? ktls_msg_encode_request(req, msg, REQUEST_MAX) : -ENOMEM;
	ssize_t sent = 0;

	if (len > 0)
		sent = ktls_ipc_send(conn, msg, (size_t)len, fd);
	if (msg) {
		explicit_bzero(msg, REQUEST_MAX);	/* the early data */
		free(msg);
	}
	if (len < 0)
		return ktls_fail(-len, "encoding the ktlsd request: %s", strerror(-len));
	if (sent < 0)
		return ktls_fail((int)-sent, "sending the request to ktlsd: %s",
				 strerror((int)-sent));
	if (sent != len)
		return ktls_fail(EIO, "short send of the request to ktlsd");
	return 0;
}

/* Start and failure both go through here, so KTLS_ERROR reads the reason
 * of every failed attempt, local or the daemon's. */
static int fail_handshake(int fd)
{
	int err = errno;
	uint8_t *early;
	size_t len;

	/* A failed handshake leaves the socket unusable: its early bytes go
	 * (libktls(3) says they may have reached the server as 0-RTT). */
	ktls_store_take_early(fd, &early, &len);
	if (early) {
		explicit_bzero(early, len);
		free(early);
	}
	ktls_store_failed(fd, ktls_errmsg());
	errno = err;
	return -1;
}

int ktls_handshake_start(int fd, enum ktls_role role)
{
	struct ktls_hs_request req;
	int conn;

	ktls_clear_error();
	if (role != KTLS_ROLE_CLIENT && role != KTLS_ROLE_SERVER)
		return ktls_fail(EINVAL, "role must be KTLS_ROLE_CLIENT or KTLS_ROLE_SERVER");
	if (ktls_store_begin(fd, role, &req) < 0)
		return -1;	/* EBADF / ENOTSOCK / ENOMEM */
	conn = ktls_daemon_connect(ktls_socket_path());
	if (conn >= 0 && send_request(conn, fd, &req) < 0) {
		int err = errno;

		close(conn);
		errno = err;
		conn = -1;
	}
	if (req.early_data) {	/* the store keeps its own copy for the resend */
		explicit_bzero(req.early_data, req.early_data_len);
		free(req.early_data);
	}
	return conn < 0 ? fail_handshake(fd) : conn;
}

/* What the daemon said went wrong: errno = its status, the reason as sent. */
static int fail_reply(const struct ktls_hs_reply *rep)
{
	/* A status that is no errno would make errno lie; call it EPROTO. */
	int err = rep->status < 4096 ? (int)rep->status : EPROTO;

	if (rep->reason[0])
		return ktls_fail(err, "%s", rep->reason);
	return ktls_fail(err, "ktlsd: handshake failed: %s", strerror(err));
}

static int fail_recv(ssize_t got)
{
	switch (got) {
	case 0:
	case -ECONNRESET:
		return ktls_fail(ECONNRESET, "ktlsd closed the request without a reply");
	case -EMSGSIZE:
	case -EBADMSG:
		return ktls_fail(EBADMSG, "malformed reply from ktlsd (oversized, or "
					  "carrying descriptors)");
	}
	return ktls_fail((int)-got, "receiving the reply from ktlsd: %s",
			 strerror((int)-got));
}

static int reply_wait_ms(int fd);

/* The reply and its receive buffer are large (a peer certificate fits in
 * them), so they live on the heap rather than on a caller's thread stack. */
struct reply_buffer {
	uint8_t msg[KTLS_MSG_MAX];
	struct ktls_hs_reply rep;
};

/*
 * The early data's contract (libktls(3)): every byte the caller set reaches
 * the server once, in order, before anything it writes after we return.
 * What the server accepted as 0-RTT is done; the rest is written here, now
 * that kTLS is installed (ktls_early.c says why here).
 */
static int finish_early_data(int fd, const struct ktls_hs_reply *rep)
{
	struct ktls_early_plan plan;
	uint8_t *early;
	size_t len;
	int rc;

	ktls_store_take_early(fd, &early, &len);
	rc = ktls_early_plan(rep->early_status, rep->early_accepted, len, &plan);
	if (rc < 0)
		rc = ktls_fail(EPROTO, "ktlsd reported early data status %u with %u of %zu "
			       "bytes accepted", rep->early_status, rep->early_accepted, len);
	else if (plan.resend_from < len)
		rc = ktls_early_write(fd, early + plan.resend_from, len - plan.resend_from,
				      reply_wait_ms(fd));
	if (early) {
		explicit_bzero(early, len);
		free(early);
	}
	if (rc == 0)
		ktls_store_early_status(fd, plan.status);
	return rc;
}

static int read_reply(int fd, int handle, struct reply_buffer *rb)
{
	ssize_t got = ktls_ipc_recv(handle, rb->msg, sizeof(rb->msg), NULL);

	if (got <= 0)
		return fail_recv(got);
	if (ktls_msg_decode_reply(rb->msg, (size_t)got, &rb->rep) < 0)
		return ktls_fail(EBADMSG, "malformed reply from ktlsd");
	if (rb->rep.status != 0)
		return fail_reply(&rb->rep);
	if (ktls_store_succeeded(fd, &rb->rep) < 0)
		return -1;
	if (finish_early_data(fd, &rb->rep) < 0)
		return -1;
	/* No secrets (TLS 1.2, an older ktlsd), or none we could keep (no
	 * locked memory left): the handshake still succeeded, fd just cannot
	 * rekey, and ktls_rekey/ktls_recv say so when it comes to that. */
	ktls_secrets_drop(fd);
	if (rb->rep.traffic_secrets_len > 0 &&
	    ktls_secrets_keep(fd, rb->rep.version, rb->rep.cipher, rb->rep.traffic_secrets,
			      rb->rep.traffic_secrets_len) < 0)
		ktls_clear_error();
	return 0;
}

int ktls_handshake_finish(int fd, int handle)
{
	struct reply_buffer *rb;
	int rc;

	ktls_clear_error();
	if (handle < 0)
		return ktls_fail(EBADF, "no handshake in progress (handle %d)", handle);
	rb = malloc(sizeof(*rb));
	if (!rb)
		rc = ktls_fail(ENOMEM, "out of memory for the ktlsd reply");
	else
		rc = read_reply(fd, handle, rb);
	if (rb)
		explicit_bzero(rb, sizeof(*rb));	/* the traffic secrets */
	free(rb);
	if (rc < 0) {
		int err = errno;

		close(handle);
		errno = err;
		return fail_handshake(fd);
	}
	close(handle);
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int reply_wait_ms(int fd)
{
	int timeout_ms = 0;
	socklen_t len = sizeof(timeout_ms);

	if (ktls_getsockopt(fd, SOL_KTLS, KTLS_HANDSHAKE_TIMEOUT, &timeout_ms, &len) < 0 ||
	    timeout_ms <= 0)
		return REPLY_DEFAULT_WAIT_MS;
	return timeout_ms + REPLY_MARGIN_MS;	/* the setter keeps room for this */
}

/* Poll the handle until it is readable, across signals, within wait_ms. */
static int wait_reply(int handle, int wait_ms)
{
	int64_t deadline = now_ms() + wait_ms;
	struct pollfd pfd = { .fd = handle, .events = POLLIN };

	for (;;) {
		int64_t left = deadline - now_ms();
		int rc;

		if (left < 0)
			left = 0;
		rc = poll(&pfd, 1, (int)left);
		if (rc > 0)
			return 0;
		if (rc == 0)
			return ktls_fail(ETIMEDOUT, "ktlsd did not answer within %d ms", wait_ms);
		if (errno != EINTR)
			return ktls_fail(errno, "waiting for ktlsd: %s", strerror(errno));
	}
}

static int handshake(int fd, enum ktls_role role)
{
	int wait_ms = reply_wait_ms(fd);
	int handle = ktls_handshake_start(fd, role);

	if (handle < 0)
		return -1;
	if (wait_reply(handle, wait_ms) < 0) {
		int err = errno;

		close(handle);	/* the daemon sees the hangup and gives up */
		errno = err;
		return fail_handshake(fd);
	}
	return ktls_handshake_finish(fd, handle);
}

int ktls_connect(int fd)
{
	return handshake(fd, KTLS_ROLE_CLIENT);
}

int ktls_accept(int fd)
{
	return handshake(fd, KTLS_ROLE_SERVER);
}

// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A client's KTLS_EARLY_DATA bytes after the handshake: what ktlsd did not
 * get accepted as 0-RTT is written here, on the kTLS socket, inside
 * ktls_connect()/ktls_handshake_finish(), before the caller gets the
 * socket back.  That is the one point that is exactly once and before
 * anything the caller writes: the caller cannot write before it returns,
 * and the bytes leave libktls's store as they are taken (ktls_sockopt.c),
 * so a second handshake on the socket does not send them again.
 *
 * Why not the daemon: it would have to write them through GnuTLS before
 * reading the sequence numbers for kTLS (possible), but it would then hold
 * a handshake's worker on a peer that does not read (a full send buffer),
 * and the kernel sends them just as well with the keys it has.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "ktls_early.h"
#include "ktls_internal.h"

int ktls_early_plan(uint8_t daemon_status, uint32_t accepted, size_t len,
		    struct ktls_early_plan *plan)
{
	plan->resend_from = 0;
	plan->status = len ? KTLS_EARLY_DATA_NOT_SENT : KTLS_EARLY_DATA_NONE;
	if (accepted > len || (accepted && daemon_status != KTLS_EARLY_DATA_ACCEPTED))
		return -EPROTO;
	if (len == 0)
		return daemon_status == KTLS_EARLY_DATA_NONE ? 0 : -EPROTO;
	switch ((enum ktls_early_data_status)daemon_status) {
	case KTLS_EARLY_DATA_NONE:	/* a ktlsd that does not know TLV 13 */
	case KTLS_EARLY_DATA_NOT_SENT:
		return 0;
	case KTLS_EARLY_DATA_ACCEPTED:
		if (accepted == 0)	/* accepted nothing is rejected, or a lie */
			return -EPROTO;
		plan->resend_from = accepted;
		plan->status = KTLS_EARLY_DATA_ACCEPTED;
		return 0;
	case KTLS_EARLY_DATA_REJECTED:
		plan->status = KTLS_EARLY_DATA_REJECTED;
		return 0;
	}
	return -EPROTO;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int ktls_early_write(int fd, const uint8_t *buf, size_t len, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	size_t off = 0;

	while (off < len) {
		ssize_t n = send(fd, buf + off, len - off, MSG_NOSIGNAL);
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };
		long long left;

		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return ktls_fail(errno, "sending the early data after the handshake "
					 "(%zu of %zu bytes sent): %s", off, len, strerror(errno));
		left = deadline - now_ms();
		if (left <= 0 || (poll(&pfd, 1, (int)left) < 0 && errno != EINTR))
			return ktls_fail(ETIMEDOUT, "sending the early data after the handshake: "
					 "%zu of %zu bytes sent in %d ms", off, len, timeout_ms);
	}
	return 0;
}

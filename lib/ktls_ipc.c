// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * One message, optionally with one passed fd, over an AF_UNIX SOCK_SEQPACKET
 * connection (ktls_proto.h).  The receiver is strict because the peer may be
 * hostile in either direction: whatever fds arrive with a message that is not
 * accepted are closed here, so a malformed message cannot leak descriptors
 * into the caller, and received fds are close-on-exec from the start.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ktls_proto.h"

/* Room for a few fds, so that "more than one" is usually seen as a count
 * rather than as MSG_CTRUNC; both are rejected the same way anyway. */
#define IPC_MAX_FDS 8
/* A receiver with SO_PASSCRED / SO_PASSSEC / SO_PASSPIDFD gets those cmsgs
 * ahead of the fds; room for them keeps the fds from being cut off. */
#define IPC_CONTROL_LEN (CMSG_SPACE(IPC_MAX_FDS * sizeof(int)) +                \
			 CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int)) + \
			 CMSG_SPACE(256))

#ifndef SCM_PIDFD
#define SCM_PIDFD 0x04	/* Linux 6.5 */
#endif

ssize_t ktls_ipc_send(int sock, const void *buf, size_t len, int fd)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	struct iovec iov = { .iov_base = (void *)(uintptr_t)buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t sent;

	if (fd >= 0) {
		struct cmsghdr *cmsg;

		memset(&control, 0, sizeof(control));
		msg.msg_control = control.buf;
		msg.msg_controllen = sizeof(control.buf);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	}
	do
		sent = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (sent < 0 && errno == EINTR);
	return sent < 0 ? -errno : sent;
}

/* An SO_PASSPIDFD receiver is handed a pidfd of the sender with every
 * message; it is not the fd the protocol passes, but it must not leak. */
static void close_pidfd(const struct cmsghdr *c)
{
	int pidfd;

	if (c->cmsg_len >= CMSG_LEN(sizeof(int))) {
		memcpy(&pidfd, CMSG_DATA(c), sizeof(int));
		close(pidfd);
	}
}

/* Count the fds in all SCM_RIGHTS cmsgs; keep the first in *first and close
 * every other one at once (a message with more than one is rejected).
 * Other cmsgs (credentials, security labels) are ignored. */
static size_t take_fds(struct msghdr *msg, int *first)
{
	size_t n = 0;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		size_t count;

		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_PIDFD)
			close_pidfd(c);
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
		    c->cmsg_len < CMSG_LEN(0))
			continue;
		count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < count; i++, n++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (n == 0)
				*first = fd;
			else
				close(fd);
		}
	}
	return n;
}

ssize_t ktls_ipc_recv(int sock, void *buf, size_t cap, int *fd)
{
	union {
		struct cmsghdr align;
		char buf[IPC_CONTROL_LEN];
	} control;
	struct iovec iov = { .iov_base = buf, .iov_len = cap };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control.buf, .msg_controllen = sizeof(control.buf),
	};
	int passed_fd = -1;
	size_t n_fds;
	ssize_t got;

	if (fd)
		*fd = -1;
	do
		got = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return -errno;
	n_fds = take_fds(&msg, &passed_fd);
	if (msg.msg_flags & MSG_TRUNC) {
		if (n_fds)
			close(passed_fd);
		return -EMSGSIZE;
	}
	/* No fd is accepted where the caller expects none (fd == NULL). */
	if ((msg.msg_flags & MSG_CTRUNC) || n_fds > 1 || (n_fds == 1 && !fd)) {
		if (n_fds)
			close(passed_fd);
		return -EBADMSG;
	}
	if (n_fds == 1)
		*fd = passed_fd;
	return got;
}

const char *ktls_socket_path(void)
{
	/* secure_getenv: a set-uid program using libktls must not let its
	 * caller point it at a fake daemon, which would receive the socket. */
	const char *path = secure_getenv("KTLS_SOCKET");

	return path && *path ? path : KTLS_DEFAULT_SOCKET;
}

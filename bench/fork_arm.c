// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The handshake bench's fork arm: the tlshd model.  tlshd is a single-
 * threaded daemon that is handed a socket (by the kernel's handshake
 * upcall), forks a child per handshake, and the child loads its
 * credentials, handshakes and installs the keys.
 *
 * Each worker of the bench gets such a "forker": a process forked while the
 * bench is still single-threaded (fork() in a threaded process may leave
 * the child holding another thread's locks), to which the worker passes the
 * socket over SCM_RIGHTS.  The forker forks a child per socket, waits for it
 * (killing it after BENCH_IO_TIMEOUT_S) and answers with one status byte.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "handshake_bench.h"

static int send_fd(int sock, int fd)
{
	char byte = 0, control[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
			      .msg_controllen = sizeof(control) };
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);

	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	return sendmsg(sock, &msg, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

/* One descriptor, or -1 at end of stream / on error. */
static int recv_fd(int sock)
{
	char byte, control[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
			      .msg_controllen = sizeof(control) };
	struct cmsghdr *cmsg;
	int fd;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	cmsg = CMSG_FIRSTHDR(&msg);
	if (!cmsg || cmsg->cmsg_type != SCM_RIGHTS || cmsg->cmsg_len != CMSG_LEN(sizeof(int)))
		return -1;
	memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
	return fd;
}

/* The per-handshake child: everything from the files, like a fresh tlshd child. */
static void handshake_child(int fd, int server, const struct cert_files *files)
{
	struct tls_peer_creds creds;
	gnutls_session_t s;
	int rc = tls_creds_load(files, &creds);

	if (rc == 0)
		rc = tls_session_new(&s, fd, server, HS_CIPHER, server ? creds.server : creds.client);
	if (rc == 0) {
		rc = tls_handshake(s);
		if (rc == 0)
			rc = tls_install(s, fd, 0);
		gnutls_deinit(s);
	}
	_exit(rc == 0 ? 0 : 1);
}

/* Wait for the child, at most BENCH_IO_TIMEOUT_S; 0 if it succeeded. */
static int reap(pid_t pid)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0), status = 0;
	struct pollfd pfd = { .fd = pidfd, .events = POLLIN };

	if (pidfd >= 0) {
		if (poll(&pfd, 1, BENCH_IO_TIMEOUT_S * 1000) == 0)
			kill(pid, SIGKILL);	/* a stuck child must not stall the bench */
		close(pidfd);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static void forker_main(int sock, int server, const struct cert_files *files)
{
	int fd;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* Other forkers' sockets: holding them would keep those forkers from
	 * ever seeing their end of stream. */
	if (sock > 3)
		close_range(3, (unsigned)sock - 1, 0);
	close_range((unsigned)sock + 1, ~0u, 0);
	while ((fd = recv_fd(sock)) >= 0) {
		pid_t pid = fork();
		char status = 1;

		if (pid == 0)
			handshake_child(fd, server, files);
		close(fd);
		if (pid > 0 && reap(pid) == 0)
			status = 0;
		if (send(sock, &status, 1, MSG_NOSIGNAL) != 1)
			break;
	}
	_exit(0);
}

int forker_start(struct forker *f, int server, const struct cert_files *files)
{
	struct timeval tv = { .tv_sec = BENCH_IO_TIMEOUT_S + 10 };
	int sv[2];

	f->pid = 0;
	f->sock = -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	f->pid = fork();
	if (f->pid == 0) {
		close(sv[0]);
		forker_main(sv[1], server, files);
	}
	close(sv[1]);
	if (f->pid < 0) {
		close(sv[0]);
		f->pid = 0;
		return -1;
	}
	setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	f->sock = sv[0];
	return 0;
}

int forker_handshake(struct forker *f, int fd)
{
	char status;

	if (send_fd(f->sock, fd) < 0 || recv(f->sock, &status, 1, 0) != 1)
		return -1;
	return status == 0 ? 0 : -1;
}

void forker_stop(struct forker *f)
{
	if (f->sock >= 0)
		close(f->sock);	/* the forker sees end of stream and exits */
	if (f->pid > 0)
		waitpid(f->pid, NULL, 0);
	f->sock = -1;
	f->pid = 0;
}

// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ktls_ipc_send/recv over a real AF_UNIX SOCK_SEQPACKET socketpair: exactly
 * one passed fd is accepted (close-on-exec), extra or unexpected fds are
 * closed in the receiver, truncation is an error, and ktls_socket_path.
 *
 * "Closed in the receiver" is checked by fd number: the kernel installs
 * received fds at the lowest free numbers, so the test reserves those numbers
 * first (probe_free_fds) and afterwards expects F_GETFD on them to fail.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "ktls_proto.h"

#ifndef SO_PASSPIDFD
#define SO_PASSPIDFD 76
#endif

/* More than any control buffer ktls_ipc_recv could reasonably have, and
 * under the kernel's SCM_MAX_FD (253). */
#define MANY_FDS 200

struct pair {
	int sender, receiver;
};

static int setup_pair(void **state)
{
	static struct pair p;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	p.sender = sv[0];
	p.receiver = sv[1];
	*state = &p;
	return 0;
}

static int teardown_pair(void **state)
{
	struct pair *p = *state;

	close(p->sender);
	close(p->receiver);
	return 0;
}

static bool fd_is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

/* The n lowest free fd numbers (where the next received fds will land). */
static void probe_free_fds(int *numbers, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		numbers[i] = dup(STDERR_FILENO);
		assert_true(numbers[i] >= 0);
	}
	for (size_t i = 0; i < n; i++)
		close(numbers[i]);
}

/* sendmsg with n fds in one SCM_RIGHTS cmsg, bypassing ktls_ipc_send. */
static void send_with_fds(int sock, const void *buf, size_t len, const int *fds, size_t n)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(MANY_FDS * sizeof(int))];
	} control;
	struct iovec iov = { .iov_base = (void *)(uintptr_t)buf, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control.buf, .msg_controllen = CMSG_SPACE(n * sizeof(int)),
	};
	struct cmsghdr *cmsg;

	assert_true(n <= MANY_FDS);
	memset(&control, 0, sizeof(control));
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(n * sizeof(int));
	memcpy(CMSG_DATA(cmsg), fds, n * sizeof(int));
	assert_int_equal(sendmsg(sock, &msg, 0), (ssize_t)len);
}

static void same_file(int a, int b)
{
	struct stat sa, sb;

	assert_int_equal(fstat(a, &sa), 0);
	assert_int_equal(fstat(b, &sb), 0);
	assert_true(sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino);
}

static void test_no_fd(void **state)
{
	struct pair *p = *state;
	char buf[64];
	int fd = 12345;

	assert_int_equal(ktls_ipc_send(p->sender, "hello", 5, -1), 5);
	assert_int_equal(ktls_ipc_recv(p->receiver, buf, sizeof(buf), &fd), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(fd, -1);

	/* and with no place for an fd, none being sent */
	assert_int_equal(ktls_ipc_send(p->sender, "x", 1, -1), 1);
	assert_int_equal(ktls_ipc_recv(p->receiver, buf, sizeof(buf), NULL), 1);
}

static void test_one_fd(void **state)
{
	struct pair *p = *state;
	int pipe_fds[2], got_fd = -1;
	char buf[64];

	assert_int_equal(pipe(pipe_fds), 0);
	assert_int_equal(ktls_ipc_send(p->sender, "req", 3, pipe_fds[0]), 3);
	assert_int_equal(ktls_ipc_recv(p->receiver, buf, sizeof(buf), &got_fd), 3);
	assert_true(got_fd >= 0);
	assert_int_not_equal(got_fd, pipe_fds[0]);
	same_file(got_fd, pipe_fds[0]);
	/* received with MSG_CMSG_CLOEXEC: no window where exec could leak it */
	assert_true(fcntl(got_fd, F_GETFD) & FD_CLOEXEC);
	close(got_fd);
	close(pipe_fds[0]);
	close(pipe_fds[1]);
}

static void test_two_fds_closed(void **state)
{
	struct pair *p = *state;
	int pipe_fds[2], landing[2], got_fd = 99;
	char buf[64];

	assert_int_equal(pipe(pipe_fds), 0);
	send_with_fds(p->sender, "two", 3, pipe_fds, 2);
	probe_free_fds(landing, 2);
	assert_int_equal(ktls_ipc_recv(p->receiver, buf, sizeof(buf), &got_fd), -EBADMSG);
	assert_int_equal(got_fd, -1);
	assert_false(fd_is_open(landing[0]));
	assert_false(fd_is_open(landing[1]));
	/* the sender's own copies are untouched */
	assert_true(fd_is_open(pipe_fds[0]) && fd_is_open(pipe_fds[1]));
	close(pipe_fds[0]);
	close(pipe_fds[1]);
}

static void send_and_check_closed(struct pair *p, size_t n)
{
	int fds[MANY_FDS], landing[MANY_FDS];
	char buf[64];
	int got_fd;

	for (size_t i = 0; i < n; i++)
		fds[i] = STDERR_FILENO;
	send_with_fds(p->sender, "many", 4, fds, n);
	probe_free_fds(landing, n);
	assert_int_equal(ktls_ipc_recv(p->receiver, buf, sizeof(buf), &got_fd), -EBADMSG);
	assert_int_equal(got_fd, -1);
	for (size_t i = 0; i < n; i++)
		assert_false(fd_is_open(landing[i]));
}

static void test_many_fds_closed(void **state)
{
	/* 16 fit the receiver's control buffer (a count above one);
	 * MANY_FDS do not (MSG_CTRUNC); nothing may stay open either way */
	send_and_check_closed(*state, 16);
	send_and_check_closed(*state, MANY_FDS);
}

static void test_unexpected_fd_closed(void **state)
{
	struct pair *p = *state;
	int landing;
	char buf[64];

	assert_int_equal(ktls_ipc_send(p->sender, "rep", 3, STDERR_FILENO), 3);
	probe_free_fds(&landing, 1);
	assert_int_equal(ktls_ipc_recv(p->receiver, buf, sizeof(buf), NULL), -EBADMSG);
	assert_false(fd_is_open(landing));
}

static void test_oversize(void **state)
{
	struct pair *p = *state;
	uint8_t big[100] = { 0 }, buf[50];
	int landing, got_fd = 99;

	assert_int_equal(ktls_ipc_send(p->sender, big, sizeof(big), -1), (ssize_t)sizeof(big));
	assert_int_equal(ktls_ipc_recv(p->receiver, buf, sizeof(buf), &got_fd), -EMSGSIZE);
	assert_int_equal(got_fd, -1);

	/* an oversize message does not leave its fd behind either */
	assert_int_equal(ktls_ipc_send(p->sender, big, sizeof(big), STDERR_FILENO),
			 (ssize_t)sizeof(big));
	probe_free_fds(&landing, 1);
	assert_int_equal(ktls_ipc_recv(p->receiver, buf, sizeof(buf), &got_fd), -EMSGSIZE);
	assert_int_equal(got_fd, -1);
	assert_false(fd_is_open(landing));

	/* the boundaries stayed intact: the next message reads whole */
	assert_int_equal(ktls_ipc_send(p->sender, "next", 4, -1), 4);
	assert_int_equal(ktls_ipc_recv(p->receiver, buf, sizeof(buf), &got_fd), 4);
	assert_memory_equal(buf, "next", 4);
}

static void test_credentials_ignored(void **state)
{
	struct pair *p = *state;
	int one = 1, got_fd = -1;
	char buf[16];

	/* SO_PASSCRED puts an SCM_CREDENTIALS cmsg in front of the fds */
	assert_int_equal(setsockopt(p->receiver, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)), 0);
	assert_int_equal(ktls_ipc_send(p->sender, "cred", 4, STDERR_FILENO), 4);
	assert_int_equal(ktls_ipc_recv(p->receiver, buf, sizeof(buf), &got_fd), 4);
	assert_true(got_fd >= 0);
	same_file(got_fd, STDERR_FILENO);
	close(got_fd);
}

static void test_pidfd_not_leaked(void **state)
{
	struct pair *p = *state;
	int one = 1, got_fd = -1, landing[2];
	char buf[16];

	if (setsockopt(p->receiver, SOL_SOCKET, SO_PASSPIDFD, &one, sizeof(one)) < 0)
		skip();		/* kernel before 6.5 */
	assert_int_equal(ktls_ipc_send(p->sender, "pid", 3, STDERR_FILENO), 3);
	probe_free_fds(landing, 2);
	assert_int_equal(ktls_ipc_recv(p->receiver, buf, sizeof(buf), &got_fd), 3);
	same_file(got_fd, STDERR_FILENO);
	/* one of the two landing numbers is the passed fd, the other was the
	 * pidfd and must be closed again */
	assert_true(got_fd == landing[0] || got_fd == landing[1]);
	assert_false(fd_is_open(got_fd == landing[0] ? landing[1] : landing[0]));
	close(got_fd);
}

static void test_eof_and_epipe(void **state)
{
	struct pair *p = *state;
	char buf[16];
	int got_fd;

	close(p->sender);
	assert_int_equal(ktls_ipc_recv(p->receiver, buf, sizeof(buf), &got_fd), 0);
	assert_int_equal(got_fd, -1);
	/* a gone peer is -EPIPE, returned (SOCK_SEQPACKET raises no SIGPIPE
	 * on this path, but ktls_ipc_send passes MSG_NOSIGNAL regardless) */
	assert_int_equal(ktls_ipc_send(p->receiver, "x", 1, -1), -EPIPE);
	p->sender = open("/dev/null", O_RDONLY | O_CLOEXEC);	/* for teardown */
}

static void test_socket_path(void **state)
{
	unsetenv("KTLS_SOCKET");
	assert_string_equal(ktls_socket_path(), KTLS_DEFAULT_SOCKET);
	assert_string_equal(ktls_socket_path(), "/run/ktlsd/ktlsd.sock");
	setenv("KTLS_SOCKET", "/tmp/x/ktlsd.sock", 1);
	assert_string_equal(ktls_socket_path(), "/tmp/x/ktlsd.sock");
	setenv("KTLS_SOCKET", "", 1);
	assert_string_equal(ktls_socket_path(), KTLS_DEFAULT_SOCKET);
	unsetenv("KTLS_SOCKET");
}

#define PAIR_TEST(f) cmocka_unit_test_setup_teardown(f, setup_pair, teardown_pair)

int main(void)
{
	const struct CMUnitTest tests[] = {
		PAIR_TEST(test_no_fd),
		PAIR_TEST(test_one_fd),
		PAIR_TEST(test_two_fds_closed),
		PAIR_TEST(test_many_fds_closed),
		PAIR_TEST(test_unexpected_fd_closed),
		PAIR_TEST(test_oversize),
		PAIR_TEST(test_credentials_ignored),
		PAIR_TEST(test_pidfd_not_leaked),
		PAIR_TEST(test_eof_and_epipe),
		cmocka_unit_test(test_socket_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The daemon client against a fake ktlsd: a thread listening on a temporary
 * SOCK_SEQPACKET socket ($KTLS_SOCKET) that takes one request with its fd,
 * records what it saw, and answers as the test told it to.  The thread never
 * asserts (cmocka's longjmp is for the main thread); the test checks what it
 * recorded after joining it.
 *
 * A malformed reply is reported as EBADMSG (not EPROTO): the bytes from the
 * daemon could not be decoded.  EPROTO is kept for a well-formed reply whose
 * status is not an errno value.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ktls_internal.h"
#include "ktls_proto.h"
#include "unit_helpers.h"

enum daemon_mode {
	ANSWER,			/* send daemon.reply */
	CLOSE_WITHOUT_REPLY,
	ANSWER_GARBAGE,		/* bytes that are no reply */
	ANSWER_OVERSIZED,	/* more than KTLS_MSG_MAX */
	ANSWER_WITH_FD,		/* a valid reply carrying an fd */
	SIGNAL_THEN_ANSWER,	/* interrupt the client's wait a few times first */
	HANG,			/* never answer; note when the client hangs up */
};

struct fake_daemon {
	char dir[64];
	char path[128];
	int listener;
	pthread_t thread;
	enum daemon_mode mode;
	struct ktls_hs_reply reply;
	pthread_t client_thread;
	/* what the daemon saw */
	int request_rc;			/* of ktls_msg_decode_request; 1 = none yet */
	struct ktls_hs_request request;
	bool fd_received, fd_is_app_socket;
	bool client_hung_up;
	struct stat app_socket;
};

static struct fake_daemon daemon_state;
static volatile sig_atomic_t signals_seen;

static void count_signal(int signo)
{
	(void)signo;
	signals_seen++;
}

static void check_passed_fd(struct fake_daemon *d, int fd)
{
	struct stat st;

	d->fd_received = fd >= 0;
	if (fd < 0)
		return;
	d->fd_is_app_socket = fstat(fd, &st) == 0 && st.st_dev == d->app_socket.st_dev &&
			      st.st_ino == d->app_socket.st_ino;
	close(fd);
}

static void send_garbage(int conn, size_t len)
{
	static uint8_t junk[KTLS_MSG_MAX + 100];

	memset(junk, 0x42, len);
	send(conn, junk, len, MSG_NOSIGNAL);
}

static void send_reply(int conn, const struct ktls_hs_reply *reply, int fd)
{
	static uint8_t msg[KTLS_MSG_MAX];
	int len = ktls_msg_encode_reply(reply, msg, sizeof(msg));

	if (len > 0)
		ktls_ipc_send(conn, msg, (size_t)len, fd);
}

static void wait_for_hangup(struct fake_daemon *d, int conn)
{
	char byte;

	d->client_hung_up = recv(conn, &byte, 1, 0) == 0;
}

static void answer(struct fake_daemon *d, int conn)
{
	switch (d->mode) {
	case ANSWER:
		send_reply(conn, &d->reply, -1);
		return;
	case CLOSE_WITHOUT_REPLY:
		return;
	case ANSWER_GARBAGE:
		send_garbage(conn, 40);
		return;
	case ANSWER_OVERSIZED:
		send_garbage(conn, KTLS_MSG_MAX + 100);
		return;
	case ANSWER_WITH_FD:
		send_reply(conn, &d->reply, STDERR_FILENO);
		return;
	case SIGNAL_THEN_ANSWER:
		for (int i = 0; i < 3; i++) {
			usleep(30 * 1000);
			pthread_kill(d->client_thread, SIGUSR1);
		}
		usleep(30 * 1000);
		send_reply(conn, &d->reply, -1);
		return;
	case HANG:
		wait_for_hangup(d, conn);
		return;
	}
}

static void *daemon_main(void *arg)
{
	struct fake_daemon *d = arg;
	static uint8_t msg[KTLS_MSG_MAX];
	int conn, fd = -1;
	ssize_t len;

	conn = accept4(d->listener, NULL, NULL, SOCK_CLOEXEC);
	if (conn < 0)
		return NULL;
	len = ktls_ipc_recv(conn, msg, sizeof(msg), &fd);
	check_passed_fd(d, fd);
	d->request_rc = len < 0 ? (int)len
				: ktls_msg_decode_request(msg, (size_t)len, &d->request);
	answer(d, conn);
	close(conn);
	return NULL;
}

static int listen_at(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	if (strlen(path) >= sizeof(addr.sun_path))
		return -1;
	memcpy(addr.sun_path, path, strlen(path) + 1);
	if (sock < 0 || bind(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    listen(sock, 4) < 0)
		return -1;
	return sock;
}

static int setup_daemon(void **state)
{
	struct fake_daemon *d = &daemon_state;

	memset(d, 0, sizeof(*d));
	d->request_rc = 1;
	snprintf(d->dir, sizeof(d->dir), "/tmp/ktls-test-client-XXXXXX");
	if (!mkdtemp(d->dir))
		return -1;
	if (snprintf(d->path, sizeof(d->path), "%s/ktlsd.sock", d->dir) >= (int)sizeof(d->path))
		return -1;
	d->listener = listen_at(d->path);
	if (d->listener < 0)
		return -1;
	setenv("KTLS_SOCKET", d->path, 1);
	*state = d;
	return 0;
}

static int teardown_daemon(void **state)
{
	struct fake_daemon *d = *state;

	close(d->listener);
	unlink(d->path);
	rmdir(d->dir);
	unsetenv("KTLS_SOCKET");
	return 0;
}

/* The socket the application hands over: one end of a stream pair. */
static int app_socket(struct fake_daemon *d, int *peer)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(fstat(sv[0], &d->app_socket), 0);
	*peer = sv[1];
	return sv[0];
}

static void close_app_socket(int fd, int peer)
{
	ktls_forget(fd);
	close(fd);
	close(peer);
}

static void start_daemon(struct fake_daemon *d, enum daemon_mode mode)
{
	d->mode = mode;
	d->client_thread = pthread_self();
	assert_int_equal(pthread_create(&d->thread, NULL, daemon_main, d), 0);
}

static void join_daemon(struct fake_daemon *d)
{
	assert_int_equal(pthread_join(d->thread, NULL), 0);
}

static void success_reply(struct ktls_hs_reply *rep)
{
	memset(rep, 0, sizeof(*rep));
	rep->version = KTLS_VERSION_1_3;
	rep->cipher = KTLS_CIPHER_AES_256_GCM;
	strcpy(rep->group, "X25519");
	strcpy(rep->alpn, "h2");
	strcpy(rep->peer_subject, "CN=server.example");
	memset(rep->peer_fingerprint, 0x5f, sizeof(rep->peer_fingerprint));
	rep->has_fingerprint = 1;
	rep->peer_cert_len = 5;
	memcpy(rep->peer_cert, "\x30\x03\x02\x01\x07", 5);
	rep->peer_verified = 1;
}

static void assert_str_opt(int fd, int opt, const char *expected)
{
	char buf[600];
	socklen_t len = sizeof(buf);

	assert_int_equal(ktls_getsockopt(fd, SOL_KTLS, opt, buf, &len), 0);
	assert_string_equal(buf, expected);
}

static void assert_int_opt(int fd, int opt, int expected)
{
	int value = -1;
	socklen_t len = sizeof(value);

	assert_int_equal(ktls_getsockopt(fd, SOL_KTLS, opt, &value, &len), 0);
	assert_int_equal(value, expected);
}

static void assert_not_connected(int fd)
{
	int value;
	socklen_t len = sizeof(value);

	errno = 0;
	assert_int_equal(ktls_getsockopt(fd, SOL_KTLS, KTLS_VERSION, &value, &len), -1);
	assert_int_equal(errno, ENOTCONN);
}

/* ---- success ---------------------------------------------------------------- */

static void set_client_options(int fd)
{
	int verify = KTLS_VERIFY_REQUIRED, timeout = 4000;

	assert_int_equal(ktls_setsockopt(fd, SOL_KTLS, KTLS_SERVER_NAME, "server.example", 14), 0);
	assert_int_equal(ktls_setsockopt(fd, SOL_KTLS, KTLS_ALPN, "h2,http/1.1", 11), 0);
	assert_int_equal(ktls_setsockopt(fd, SOL_KTLS, KTLS_PROFILE, "web", 3), 0);
	assert_int_equal(ktls_setsockopt(fd, SOL_KTLS, KTLS_VERIFY, &verify, sizeof(verify)), 0);
	assert_int_equal(ktls_setsockopt(fd, SOL_KTLS, KTLS_HANDSHAKE_TIMEOUT, &timeout,
					 sizeof(timeout)), 0);
}

static void test_connect_success(void **state)
{
	struct fake_daemon *d = *state;
	uint8_t fp[32], cert[16];
	socklen_t len;
	int peer, fd = app_socket(d, &peer);

	set_client_options(fd);
	success_reply(&d->reply);
	start_daemon(d, ANSWER);
	assert_int_equal(ktls_connect(fd), 0);
	join_daemon(d);

	/* what reached the daemon */
	assert_int_equal(d->request_rc, 0);
	assert_true(d->fd_received);
	assert_true(d->fd_is_app_socket);
	assert_int_equal(d->request.role, KTLS_ROLE_CLIENT);
	assert_string_equal(d->request.server_name, "server.example");
	assert_string_equal(d->request.profile, "web");
	assert_string_equal(d->request.psk_identity, "");
	assert_int_equal(d->request.verify, KTLS_VERIFY_REQUIRED);
	assert_int_equal(d->request.timeout_ms, 4000);
	assert_int_equal(d->request.alpn_len, 12);
	assert_memory_equal(d->request.alpn, "\x02h2\x08http/1.1", 12);

	/* what the application can read back */
	assert_int_opt(fd, KTLS_VERSION, KTLS_VERSION_1_3);
	assert_int_opt(fd, KTLS_CIPHER, KTLS_CIPHER_AES_256_GCM);
	assert_int_opt(fd, KTLS_RESUMED, 0);
	assert_str_opt(fd, KTLS_GROUP, "X25519");
	assert_str_opt(fd, KTLS_ALPN_SELECTED, "h2");
	assert_str_opt(fd, KTLS_PEER_SUBJECT, "CN=server.example");
	assert_str_opt(fd, KTLS_ERROR, "");
	len = sizeof(fp);
	assert_int_equal(ktls_getsockopt(fd, SOL_KTLS, KTLS_PEER_FINGERPRINT, fp, &len), 0);
	assert_int_equal(len, 32);
	assert_int_equal(fp[0], 0x5f);
	len = sizeof(cert);
	assert_int_equal(ktls_getsockopt(fd, SOL_KTLS, KTLS_PEER_CERT, cert, &len), 0);
	assert_int_equal(len, 5);
	assert_memory_equal(cert, "\x30\x03\x02\x01\x07", 5);
	close_app_socket(fd, peer);
}

static void test_accept_success(void **state)
{
	struct fake_daemon *d = *state;
	int peer, fd = app_socket(d, &peer);

	success_reply(&d->reply);
	strcpy(d->reply.server_name, "asked-for.example");
	d->reply.resumed = 1;
	start_daemon(d, ANSWER);
	assert_int_equal(ktls_accept(fd), 0);
	join_daemon(d);

	/* no options set: the defaults go out */
	assert_int_equal(d->request_rc, 0);
	assert_int_equal(d->request.role, KTLS_ROLE_SERVER);
	assert_int_equal(d->request.verify, KTLS_VERIFY_DEFAULT);
	assert_int_equal(d->request.timeout_ms, 0);
	assert_string_equal(d->request.server_name, "");
	assert_int_equal(d->request.alpn_len, 0);
	assert_str_opt(fd, KTLS_SNI_RECEIVED, "asked-for.example");
	assert_int_opt(fd, KTLS_RESUMED, 1);
	close_app_socket(fd, peer);
}

static void test_async_start_finish(void **state)
{
	struct fake_daemon *d = *state;
	int peer, fd = app_socket(d, &peer);
	struct pollfd pfd;
	int handle;

	success_reply(&d->reply);
	start_daemon(d, ANSWER);
	handle = ktls_handshake_start(fd, KTLS_ROLE_CLIENT);
	assert_true(handle >= 0);
	assert_true(fcntl(handle, F_GETFD) & FD_CLOEXEC);
	pfd = (struct pollfd){ .fd = handle, .events = POLLIN };
	assert_int_equal(poll(&pfd, 1, 5000), 1);
	assert_int_equal(ktls_handshake_finish(fd, handle), 0);
	join_daemon(d);
	/* finish closed the handle */
	assert_fails(fcntl(handle, F_GETFD), EBADF);
	assert_int_opt(fd, KTLS_VERSION, KTLS_VERSION_1_3);
	close_app_socket(fd, peer);
}

static void test_signals_during_wait(void **state)
{
	struct fake_daemon *d = *state;
	struct sigaction sa = { .sa_handler = count_signal }, old;
	int peer, fd = app_socket(d, &peer);

	/* no SA_RESTART: poll really returns EINTR */
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
	signals_seen = 0;
	success_reply(&d->reply);
	start_daemon(d, SIGNAL_THEN_ANSWER);
	assert_int_equal(ktls_connect(fd), 0);
	join_daemon(d);
	sigaction(SIGUSR1, &old, NULL);
	assert_int_equal(signals_seen, 3);
	assert_int_opt(fd, KTLS_VERSION, KTLS_VERSION_1_3);
	close_app_socket(fd, peer);
}

/* ---- the daemon says no ---------------------------------------------------- */

static void test_daemon_refuses(void **state)
{
	struct fake_daemon *d = *state;
	int peer, fd = app_socket(d, &peer);

	memset(&d->reply, 0, sizeof(d->reply));
	d->reply.status = EACCES;
	strcpy(d->reply.reason, "profile \"web\" requires a client certificate");
	start_daemon(d, ANSWER);
	assert_fails(ktls_connect(fd), EACCES);
	join_daemon(d);
	assert_string_equal(ktls_errmsg(), "profile \"web\" requires a client certificate");
	assert_str_opt(fd, KTLS_ERROR, "profile \"web\" requires a client certificate");
	assert_not_connected(fd);
	close_app_socket(fd, peer);
}

static void test_refusal_without_reason(void **state)
{
	struct fake_daemon *d = *state;
	int peer, fd = app_socket(d, &peer);

	memset(&d->reply, 0, sizeof(d->reply));
	d->reply.status = ETIMEDOUT;
	start_daemon(d, ANSWER);
	assert_fails(ktls_connect(fd), ETIMEDOUT);
	join_daemon(d);
	assert_errmsg_contains(strerror(ETIMEDOUT));

	/* a status that is not an errno value is not passed off as one */
	memset(&d->reply, 0, sizeof(d->reply));
	d->reply.status = 70000;
	start_daemon(d, ANSWER);
	assert_fails(ktls_connect(fd), EPROTO);
	join_daemon(d);
	close_app_socket(fd, peer);
}

static void test_failure_after_success_clears_results(void **state)
{
	struct fake_daemon *d = *state;
	int peer, fd = app_socket(d, &peer);

	success_reply(&d->reply);
	start_daemon(d, ANSWER);
	assert_int_equal(ktls_connect(fd), 0);
	join_daemon(d);
	assert_int_opt(fd, KTLS_VERSION, KTLS_VERSION_1_3);

	memset(&d->reply, 0, sizeof(d->reply));
	d->reply.status = ECONNREFUSED;
	strcpy(d->reply.reason, "peer refused");
	start_daemon(d, ANSWER);
	assert_fails(ktls_connect(fd), ECONNREFUSED);
	join_daemon(d);
	assert_not_connected(fd);
	assert_str_opt(fd, KTLS_ERROR, "peer refused");
	close_app_socket(fd, peer);
}

/* ---- the daemon misbehaves ------------------------------------------------- */

static void test_closed_without_reply(void **state)
{
	struct fake_daemon *d = *state;
	int peer, fd = app_socket(d, &peer);

	start_daemon(d, CLOSE_WITHOUT_REPLY);
	assert_fails(ktls_connect(fd), ECONNRESET);
	join_daemon(d);
	assert_string_equal(ktls_errmsg(), "ktlsd closed the request without a reply");
	assert_str_opt(fd, KTLS_ERROR, "ktlsd closed the request without a reply");
	assert_not_connected(fd);
	close_app_socket(fd, peer);
}

static void test_bad_replies(void **state)
{
	static const enum daemon_mode bad[] = {
		ANSWER_GARBAGE, ANSWER_OVERSIZED, ANSWER_WITH_FD,
	};
	struct fake_daemon *d = *state;
	int peer, fd = app_socket(d, &peer);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		success_reply(&d->reply);
		start_daemon(d, bad[i]);
		assert_fails(ktls_connect(fd), EBADMSG);
		join_daemon(d);
		assert_errmsg_contains("malformed reply from ktlsd");
		assert_not_connected(fd);
	}
	close_app_socket(fd, peer);
}

static double seconds_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) + (now.tv_nsec - start->tv_nsec) / 1e9;
}

static void test_timeout(void **state)
{
	struct fake_daemon *d = *state;
	int peer, fd = app_socket(d, &peer);
	int timeout_ms = 1;	/* ktls_connect waits this + 5 s of margin */
	struct timespec start;
	double took;

	assert_int_equal(ktls_setsockopt(fd, SOL_KTLS, KTLS_HANDSHAKE_TIMEOUT, &timeout_ms,
					 sizeof(timeout_ms)), 0);
	start_daemon(d, HANG);
	clock_gettime(CLOCK_MONOTONIC, &start);
	assert_fails(ktls_connect(fd), ETIMEDOUT);
	took = seconds_since(&start);
	join_daemon(d);
	assert_true(took >= 4.9 && took < 8.0);
	assert_errmsg_contains("did not answer within 5001 ms");
	assert_true(d->client_hung_up);		/* the daemon can give up too */
	assert_str_opt(fd, KTLS_ERROR, "ktlsd did not answer within 5001 ms");
	close_app_socket(fd, peer);
}

/* ---- no daemon ------------------------------------------------------------------ */

static void test_daemon_not_running(void **state)
{
	struct fake_daemon *d = *state;
	int peer, fd = app_socket(d, &peer);
	char missing[160], expected[256];
	struct timespec start;

	snprintf(missing, sizeof(missing), "%s/absent.sock", d->dir);
	setenv("KTLS_SOCKET", missing, 1);
	clock_gettime(CLOCK_MONOTONIC, &start);
	assert_fails(ktls_connect(fd), ENOENT);
	assert_true(seconds_since(&start) < 1.0);
	snprintf(expected, sizeof(expected), "ktlsd is not running (no socket at %s)", missing);
	assert_string_equal(ktls_errmsg(), expected);
	assert_str_opt(fd, KTLS_ERROR, expected);

	/* a socket file nobody listens on any more: ECONNREFUSED */
	close(d->listener);
	d->listener = -1;
	setenv("KTLS_SOCKET", d->path, 1);
	clock_gettime(CLOCK_MONOTONIC, &start);
	assert_fails(ktls_accept(fd), ECONNREFUSED);
	assert_true(seconds_since(&start) < 1.0);
	assert_errmsg_contains("ktlsd is not running");
	assert_errmsg_contains(d->path);

	memset(missing, 'x', sizeof(missing) - 1);
	missing[0] = '/';
	missing[sizeof(missing) - 1] = '\0';
	setenv("KTLS_SOCKET", missing, 1);
	assert_fails(ktls_connect(fd), ENAMETOOLONG);
	close_app_socket(fd, peer);
}

/* ---- bad arguments ------------------------------------------------------------- */

static void test_bad_arguments(void **state)
{
	struct fake_daemon *d = *state;
	int pipe_fds[2], peer, fd = app_socket(d, &peer);

	assert_int_equal(pipe(pipe_fds), 0);
	assert_fails(ktls_connect(pipe_fds[0]), ENOTSOCK);
	assert_errmsg_contains("not a socket");
	assert_fails(ktls_handshake_start(pipe_fds[0], KTLS_ROLE_SERVER), ENOTSOCK);
	close(pipe_fds[0]);
	close(pipe_fds[1]);
	assert_fails(ktls_connect(pipe_fds[0]), EBADF);
	assert_fails(ktls_accept(-1), EBADF);
	assert_fails(ktls_handshake_start(fd, (enum ktls_role)7), EINVAL);
	assert_fails(ktls_handshake_finish(fd, -1), EBADF);
	/* none of these reached the daemon */
	assert_int_equal(d->request_rc, 1);
	close_app_socket(fd, peer);
}

#define DAEMON_TEST(f) cmocka_unit_test_setup_teardown(f, setup_daemon, teardown_daemon)

int main(void)
{
	const struct CMUnitTest tests[] = {
		DAEMON_TEST(test_connect_success),
		DAEMON_TEST(test_accept_success),
		DAEMON_TEST(test_async_start_finish),
		DAEMON_TEST(test_signals_during_wait),
		DAEMON_TEST(test_daemon_refuses),
		DAEMON_TEST(test_refusal_without_reason),
		DAEMON_TEST(test_failure_after_success_clears_results),
		DAEMON_TEST(test_closed_without_reply),
		DAEMON_TEST(test_bad_replies),
		DAEMON_TEST(test_timeout),
		DAEMON_TEST(test_daemon_not_running),
		DAEMON_TEST(test_bad_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

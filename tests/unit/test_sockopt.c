// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The SOL_KTLS option store: values round-trip, errno follows setsockopt(2),
 * post-handshake getters refuse to answer before a handshake and never
 * truncate silently, a reused fd number starts fresh, the store is bounded,
 * and concurrent use from threads stays consistent.  Handshake outcomes are
 * injected through the store's internal interface (ktls_sockopt.h), as
 * ktls_client.c records them.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cmocka.h>

#include "ktls_internal.h"
#include "ktls_sockopt.h"
#include "unit_helpers.h"

struct sock_state {
	int fd, peer;
};

static int setup_socket(void **state)
{
	static struct sock_state s;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	s.fd = sv[0];
	s.peer = sv[1];
	*state = &s;
	return 0;
}

static int teardown_socket(void **state)
{
	struct sock_state *s = *state;

	ktls_forget(s->fd);
	close(s->fd);
	close(s->peer);
	return 0;
}

static int set_str(int fd, int opt, const char *value)
{
	return ktls_setsockopt(fd, SOL_KTLS, opt, value, (socklen_t)strlen(value));
}

static int set_int(int fd, int opt, int value)
{
	return ktls_setsockopt(fd, SOL_KTLS, opt, &value, sizeof(value));
}

static void assert_str_opt(int fd, int opt, const char *expected)
{
	char buf[1024];
	socklen_t len = sizeof(buf);

	memset(buf, 'Z', sizeof(buf));
	assert_int_equal(ktls_getsockopt(fd, SOL_KTLS, opt, buf, &len), 0);
	assert_string_equal(buf, expected);
	assert_int_equal(len, strlen(expected) + 1);
}

static void assert_int_opt(int fd, int opt, int expected)
{
	int value = -12345;
	socklen_t len = sizeof(value);

	assert_int_equal(ktls_getsockopt(fd, SOL_KTLS, opt, &value, &len), 0);
	assert_int_equal(value, expected);
	assert_int_equal(len, sizeof(int));
}

#define assert_fails(call, err)                                               \
	do {                                                                  \
		errno = 0;                                                    \
		assert_int_equal((call), -1);                                 \
		assert_int_equal(errno, (err));                               \
	} while (0)

/* ---- pre-handshake options ------------------------------------------------- */

static void test_defaults(void **state)
{
	struct sock_state *s = *state;

	assert_str_opt(s->fd, KTLS_SERVER_NAME, "");
	assert_str_opt(s->fd, KTLS_ALPN, "");
	assert_str_opt(s->fd, KTLS_PROFILE, "");
	assert_str_opt(s->fd, KTLS_PSK_IDENTITY, "");
	assert_int_opt(s->fd, KTLS_VERIFY, KTLS_VERIFY_DEFAULT);
	assert_int_opt(s->fd, KTLS_HANDSHAKE_TIMEOUT, 0);
	assert_str_opt(s->fd, KTLS_ERROR, "");
}

static void test_round_trip(void **state)
{
	struct sock_state *s = *state;

	assert_int_equal(set_str(s->fd, KTLS_SERVER_NAME, "example.com"), 0);
	/* a trailing NUL, as from sizeof("..."), is accepted and not stored */
	assert_int_equal(ktls_setsockopt(s->fd, SOL_KTLS, KTLS_PROFILE, "web", sizeof("web")), 0);
	assert_int_equal(set_str(s->fd, KTLS_PSK_IDENTITY, "client-7"), 0);
	assert_int_equal(set_str(s->fd, KTLS_ALPN, "h2,http/1.1"), 0);
	assert_int_equal(set_int(s->fd, KTLS_VERIFY, KTLS_VERIFY_NONE), 0);
	assert_int_equal(set_int(s->fd, KTLS_HANDSHAKE_TIMEOUT, 1500), 0);

	assert_str_opt(s->fd, KTLS_SERVER_NAME, "example.com");
	assert_str_opt(s->fd, KTLS_PROFILE, "web");
	assert_str_opt(s->fd, KTLS_PSK_IDENTITY, "client-7");
	assert_str_opt(s->fd, KTLS_ALPN, "h2,http/1.1");
	assert_int_opt(s->fd, KTLS_VERIFY, KTLS_VERIFY_NONE);
	assert_int_opt(s->fd, KTLS_HANDSHAKE_TIMEOUT, 1500);

	/* setting again replaces; an empty value clears */
	assert_int_equal(set_str(s->fd, KTLS_SERVER_NAME, "other.example"), 0);
	assert_str_opt(s->fd, KTLS_SERVER_NAME, "other.example");
	assert_int_equal(ktls_setsockopt(s->fd, SOL_KTLS, KTLS_SERVER_NAME, NULL, 0), 0);
	assert_str_opt(s->fd, KTLS_SERVER_NAME, "");
}

static void test_longest_values(void **state)
{
	struct sock_state *s = *state;
	char name[300];

	memset(name, 'n', 255);
	name[255] = '\0';
	assert_int_equal(set_str(s->fd, KTLS_SERVER_NAME, name), 0);
	assert_str_opt(s->fd, KTLS_SERVER_NAME, name);
	name[255] = 'n';
	name[256] = '\0';
	assert_fails(set_str(s->fd, KTLS_SERVER_NAME, name), EINVAL);
	assert_errmsg_contains("at most 255");
	assert_fails(set_str(s->fd, KTLS_PROFILE, name), EINVAL);
	assert_fails(set_str(s->fd, KTLS_PSK_IDENTITY, name), EINVAL);

	memset(name, 'p', 255);		/* one 255-byte protocol: 256 on the wire */
	name[255] = '\0';
	assert_int_equal(set_str(s->fd, KTLS_ALPN, name), 0);
	assert_str_opt(s->fd, KTLS_ALPN, name);
}

static void test_bad_values(void **state)
{
	struct sock_state *s = *state;
	long long wide = 1;

	assert_fails(ktls_setsockopt(s->fd, SOL_KTLS, KTLS_SERVER_NAME, "a\0b", 3), EINVAL);
	assert_fails(set_str(s->fd, KTLS_ALPN, ","), EINVAL);
	assert_fails(set_str(s->fd, KTLS_ALPN, "h2,,http/1.1"), EINVAL);
	assert_fails(set_str(s->fd, KTLS_ALPN, "h2,"), EINVAL);
	assert_errmsg_contains("KTLS_ALPN");
	assert_fails(set_int(s->fd, KTLS_VERIFY, 4), EINVAL);
	assert_fails(set_int(s->fd, KTLS_VERIFY, -1), EINVAL);
	assert_fails(set_int(s->fd, KTLS_HANDSHAKE_TIMEOUT, -1), EINVAL);
	assert_fails(ktls_setsockopt(s->fd, SOL_KTLS, KTLS_VERIFY, &wide, sizeof(wide)), EINVAL);
	assert_fails(ktls_setsockopt(s->fd, SOL_KTLS, KTLS_VERIFY, &wide, 2), EINVAL);
	assert_fails(ktls_setsockopt(s->fd, SOL_KTLS, KTLS_SERVER_NAME, NULL, 4), EFAULT);

	/* nothing of the above was stored */
	assert_str_opt(s->fd, KTLS_SERVER_NAME, "");
	assert_str_opt(s->fd, KTLS_ALPN, "");
	assert_int_opt(s->fd, KTLS_VERIFY, KTLS_VERIFY_DEFAULT);
}

static void test_bad_fd_level_option(void **state)
{
	struct sock_state *s = *state;
	int pipe_fds[2], closed_fd, value = 0;
	socklen_t len = sizeof(value);

	assert_int_equal(pipe(pipe_fds), 0);
	closed_fd = pipe_fds[1];
	close(closed_fd);
	assert_fails(set_str(closed_fd, KTLS_SERVER_NAME, "x"), EBADF);
	assert_fails(set_str(-1, KTLS_SERVER_NAME, "x"), EBADF);
	assert_fails(ktls_getsockopt(-1, SOL_KTLS, KTLS_VERIFY, &value, &len), EBADF);
	assert_fails(set_str(pipe_fds[0], KTLS_SERVER_NAME, "x"), ENOTSOCK);
	assert_errmsg_contains("not a socket");
	assert_fails(ktls_getsockopt(pipe_fds[0], SOL_KTLS, KTLS_VERIFY, &value, &len), ENOTSOCK);
	close(pipe_fds[0]);

	assert_fails(ktls_setsockopt(s->fd, SOL_SOCKET + 1000, KTLS_SERVER_NAME, "x", 1),
		     ENOPROTOOPT);
	assert_fails(ktls_getsockopt(s->fd, 0, KTLS_VERIFY, &value, &len), ENOPROTOOPT);
	assert_fails(set_int(s->fd, 99, 1), ENOPROTOOPT);
	assert_fails(ktls_getsockopt(s->fd, SOL_KTLS, 99, &value, &len), ENOPROTOOPT);
	/* the results are read-only */
	assert_fails(set_int(s->fd, KTLS_VERSION, KTLS_VERSION_1_3), ENOPROTOOPT);
	assert_fails(set_str(s->fd, KTLS_ERROR, "x"), ENOPROTOOPT);
	assert_fails(ktls_getsockopt(s->fd, SOL_KTLS, KTLS_VERIFY, &value, NULL), EFAULT);
}

static void test_sol_tls_passes_through(void **state)
{
	int tcp = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int value = 1, direct_rc, direct_errno;
	socklen_t len = sizeof(value);
	char info[64] = { 0 };

	assert_true(tcp >= 0);
	/* whatever the kernel answers, ktls_setsockopt answers the same */
	errno = 0;
	direct_rc = setsockopt(tcp, SOL_TLS, TLS_TX, info, sizeof(info));
	direct_errno = errno;
	errno = 0;
	assert_int_equal(ktls_setsockopt(tcp, SOL_TLS, TLS_TX, info, sizeof(info)), direct_rc);
	assert_int_equal(errno, direct_errno);
	assert_int_not_equal(direct_rc, 0);	/* no ULP: the kernel refuses */

	errno = 0;
	direct_rc = getsockopt(tcp, SOL_TLS, TLS_TX, info, &len);
	direct_errno = errno;
	len = sizeof(value);
	errno = 0;
	assert_int_equal(ktls_getsockopt(tcp, SOL_TLS, TLS_TX, info, &len), direct_rc);
	assert_int_equal(errno, direct_errno);
	close(tcp);
}

/* ---- after the handshake ------------------------------------------------------- */

static const int result_options[] = {
	KTLS_VERSION, KTLS_CIPHER, KTLS_ALPN_SELECTED, KTLS_PEER_CERT, KTLS_PEER_SUBJECT,
	KTLS_PEER_FINGERPRINT, KTLS_RESUMED, KTLS_GROUP, KTLS_SNI_RECEIVED,
};

static void assert_no_results(int fd)
{
	char buf[64];

	for (size_t i = 0; i < sizeof(result_options) / sizeof(result_options[0]); i++) {
		socklen_t len = sizeof(buf);

		assert_fails(ktls_getsockopt(fd, SOL_KTLS, result_options[i], buf, &len),
			     ENOTCONN);
	}
}

static void sample_reply(struct ktls_hs_reply *rep)
{
	memset(rep, 0, sizeof(*rep));
	rep->version = KTLS_VERSION_1_3;
	rep->cipher = KTLS_CIPHER_CHACHA20_POLY1305;
	strcpy(rep->group, "X25519");
	strcpy(rep->alpn, "h2");
	strcpy(rep->server_name, "sni.example");
	strcpy(rep->peer_subject, "CN=peer,O=Test");
	for (int i = 0; i < 32; i++)
		rep->peer_fingerprint[i] = (uint8_t)(0xa0 + i);
	rep->has_fingerprint = 1;
	rep->resumed = 1;
	rep->peer_cert_len = 300;
	for (int i = 0; i < 300; i++)
		rep->peer_cert[i] = (uint8_t)i;
}

static void test_results_before_handshake(void **state)
{
	struct sock_state *s = *state;

	assert_no_results(s->fd);
	assert_errmsg_contains("no completed handshake");
	assert_str_opt(s->fd, KTLS_ERROR, "");
	/* options being set does not make results appear */
	assert_int_equal(set_str(s->fd, KTLS_SERVER_NAME, "example.com"), 0);
	assert_no_results(s->fd);
}

static void test_results_after_handshake(void **state)
{
	struct sock_state *s = *state;
	static struct ktls_hs_reply rep;
	uint8_t fp[32], cert[400];
	socklen_t len;

	sample_reply(&rep);
	assert_int_equal(ktls_store_succeeded(s->fd, &rep), 0);
	assert_int_opt(s->fd, KTLS_VERSION, KTLS_VERSION_1_3);
	assert_int_opt(s->fd, KTLS_CIPHER, KTLS_CIPHER_CHACHA20_POLY1305);
	assert_int_opt(s->fd, KTLS_RESUMED, 1);
	assert_str_opt(s->fd, KTLS_GROUP, "X25519");
	assert_str_opt(s->fd, KTLS_ALPN_SELECTED, "h2");
	assert_str_opt(s->fd, KTLS_SNI_RECEIVED, "sni.example");
	assert_str_opt(s->fd, KTLS_PEER_SUBJECT, "CN=peer,O=Test");
	assert_str_opt(s->fd, KTLS_ERROR, "");

	len = sizeof(fp);
	assert_int_equal(ktls_getsockopt(s->fd, SOL_KTLS, KTLS_PEER_FINGERPRINT, fp, &len), 0);
	assert_int_equal(len, 32);
	assert_memory_equal(fp, rep.peer_fingerprint, 32);

	len = sizeof(cert);
	assert_int_equal(ktls_getsockopt(s->fd, SOL_KTLS, KTLS_PEER_CERT, cert, &len), 0);
	assert_int_equal(len, 300);
	assert_memory_equal(cert, rep.peer_cert, 300);
}

static void test_no_peer_certificate(void **state)
{
	struct sock_state *s = *state;
	static struct ktls_hs_reply rep;
	uint8_t buf[64];
	socklen_t len = sizeof(buf);

	memset(&rep, 0, sizeof(rep));
	rep.version = KTLS_VERSION_1_2;
	rep.cipher = KTLS_CIPHER_AES_256_GCM;
	assert_int_equal(ktls_store_succeeded(s->fd, &rep), 0);
	assert_int_equal(ktls_getsockopt(s->fd, SOL_KTLS, KTLS_PEER_CERT, buf, &len), 0);
	assert_int_equal(len, 0);
	len = sizeof(buf);
	assert_int_equal(ktls_getsockopt(s->fd, SOL_KTLS, KTLS_PEER_FINGERPRINT, buf, &len), 0);
	assert_int_equal(len, 0);
	assert_str_opt(s->fd, KTLS_PEER_SUBJECT, "");
	assert_int_opt(s->fd, KTLS_RESUMED, 0);
}

static void test_small_buffers(void **state)
{
	struct sock_state *s = *state;
	static struct ktls_hs_reply rep;
	char buf[400];
	socklen_t len;

	sample_reply(&rep);
	assert_int_equal(ktls_store_succeeded(s->fd, &rep), 0);

	/* strings: ERANGE and the size needed, nothing cut short */
	len = 6;	/* "X25519" needs 7 with its NUL */
	memset(buf, 'Z', sizeof(buf));
	assert_fails(ktls_getsockopt(s->fd, SOL_KTLS, KTLS_GROUP, buf, &len), ERANGE);
	assert_int_equal(len, 7);
	len = 7;
	assert_int_equal(ktls_getsockopt(s->fd, SOL_KTLS, KTLS_GROUP, buf, &len), 0);
	assert_string_equal(buf, "X25519");
	/* size query */
	len = 0;
	assert_fails(ktls_getsockopt(s->fd, SOL_KTLS, KTLS_PEER_SUBJECT, NULL, &len), ERANGE);
	assert_int_equal(len, strlen("CN=peer,O=Test") + 1);
	/* DER: the same */
	len = 299;
	assert_fails(ktls_getsockopt(s->fd, SOL_KTLS, KTLS_PEER_CERT, buf, &len), ERANGE);
	assert_int_equal(len, 300);
	/* fixed sizes: EINVAL */
	len = 31;
	assert_fails(ktls_getsockopt(s->fd, SOL_KTLS, KTLS_PEER_FINGERPRINT, buf, &len), EINVAL);
	len = sizeof(int) - 1;
	assert_fails(ktls_getsockopt(s->fd, SOL_KTLS, KTLS_VERSION, buf, &len), EINVAL);
	/* the pre-handshake strings too */
	assert_int_equal(set_str(s->fd, KTLS_SERVER_NAME, "example.com"), 0);
	len = 11;
	assert_fails(ktls_getsockopt(s->fd, SOL_KTLS, KTLS_SERVER_NAME, buf, &len), ERANGE);
	assert_int_equal(len, 12);
}

static void test_failure_then_retry(void **state)
{
	struct sock_state *s = *state;
	static struct ktls_hs_reply rep;
	struct ktls_hs_request req;

	sample_reply(&rep);
	assert_int_equal(ktls_store_succeeded(s->fd, &rep), 0);
	/* a later failure replaces the earlier success */
	ktls_store_failed(s->fd, "certificate verify failed: unknown CA");
	assert_str_opt(s->fd, KTLS_ERROR, "certificate verify failed: unknown CA");
	assert_no_results(s->fd);
	/* a new attempt forgets the old failure */
	assert_int_equal(ktls_store_begin(s->fd, KTLS_ROLE_CLIENT, &req), 0);
	assert_str_opt(s->fd, KTLS_ERROR, "");
}

/* KTLS_RECV_TICKETS: 0 by default, 0/1 only, and carried to the daemon
 * as the KTLS_REQ_RECV_TICKETS request flag, nothing else set. */
static void test_recv_tickets_flag(void **state)
{
	struct sock_state *s = *state;
	struct ktls_hs_request req;

	assert_int_opt(s->fd, KTLS_RECV_TICKETS, 0);
	assert_int_equal(ktls_store_begin(s->fd, KTLS_ROLE_CLIENT, &req), 0);
	assert_int_equal(req.flags, 0);
	assert_fails(set_int(s->fd, KTLS_RECV_TICKETS, 2), EINVAL);
	assert_fails(set_int(s->fd, KTLS_RECV_TICKETS, -1), EINVAL);
	assert_int_equal(set_int(s->fd, KTLS_RECV_TICKETS, 1), 0);
	assert_int_opt(s->fd, KTLS_RECV_TICKETS, 1);
	assert_int_equal(ktls_store_begin(s->fd, KTLS_ROLE_CLIENT, &req), 0);
	assert_int_equal(req.flags, KTLS_REQ_RECV_TICKETS);
	assert_int_equal(set_int(s->fd, KTLS_RECV_TICKETS, 0), 0);
	assert_int_equal(ktls_store_begin(s->fd, KTLS_ROLE_CLIENT, &req), 0);
	assert_int_equal(req.flags, 0);
}

static void test_begin_builds_request(void **state)
{
	struct sock_state *s = *state;
	struct ktls_hs_request req;
	int pipe_fds[2];

	assert_int_equal(set_str(s->fd, KTLS_SERVER_NAME, "example.com"), 0);
	assert_int_equal(set_str(s->fd, KTLS_ALPN, "h2,http/1.1"), 0);
	assert_int_equal(set_str(s->fd, KTLS_PROFILE, "internal"), 0);
	assert_int_equal(set_str(s->fd, KTLS_PSK_IDENTITY, "id"), 0);
	assert_int_equal(set_int(s->fd, KTLS_VERIFY, KTLS_VERIFY_REQUIRED), 0);
	assert_int_equal(set_int(s->fd, KTLS_HANDSHAKE_TIMEOUT, 2500), 0);

	memset(&req, 0x5a, sizeof(req));
	assert_int_equal(ktls_store_begin(s->fd, KTLS_ROLE_SERVER, &req), 0);
	assert_int_equal(req.role, KTLS_ROLE_SERVER);
	assert_int_equal(req.verify, KTLS_VERIFY_REQUIRED);
	assert_int_equal(req.timeout_ms, 2500);
	assert_string_equal(req.server_name, "example.com");
	assert_string_equal(req.profile, "internal");
	assert_string_equal(req.psk_identity, "id");
	assert_int_equal(req.alpn_len, 12);
	assert_memory_equal(req.alpn, "\x02h2\x08http/1.1", 12);

	assert_int_equal(pipe(pipe_fds), 0);
	assert_fails(ktls_store_begin(pipe_fds[0], KTLS_ROLE_CLIENT, &req), ENOTSOCK);
	close(pipe_fds[0]);
	close(pipe_fds[1]);
}

/* ---- identity, forgetting, bounds ------------------------------------------- */

static void test_reused_fd_starts_fresh(void **state)
{
	int a[2], b[2], number;
	unsigned int count;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, a), 0);
	number = a[0];
	assert_int_equal(set_str(number, KTLS_SERVER_NAME, "first.example"), 0);
	ktls_store_failed(number, "first socket failed");
	count = ktls_store_count();
	close(a[0]);	/* no ktls_forget: the application forgot */
	close(a[1]);

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, b), 0);
	assert_int_equal(b[0], number);		/* the kernel reuses the lowest number */
	assert_str_opt(number, KTLS_SERVER_NAME, "");
	assert_str_opt(number, KTLS_ERROR, "");
	assert_int_equal(set_str(number, KTLS_SERVER_NAME, "second.example"), 0);
	assert_str_opt(number, KTLS_SERVER_NAME, "second.example");
	assert_int_equal(ktls_store_count(), count);	/* replaced, not added */

	ktls_forget(number);
	close(b[0]);
	close(b[1]);
}

static void test_forget(void **state)
{
	struct sock_state *s = *state;
	unsigned int count = ktls_store_count();

	assert_int_equal(set_str(s->fd, KTLS_SERVER_NAME, "example.com"), 0);
	assert_int_equal(ktls_store_count(), count + 1);
	ktls_forget(s->fd);
	assert_int_equal(ktls_store_count(), count);
	assert_str_opt(s->fd, KTLS_SERVER_NAME, "");
	ktls_forget(s->fd);	/* twice is harmless */
	ktls_forget(-1);
	/* reading does not create entries */
	assert_str_opt(s->fd, KTLS_SERVER_NAME, "");
	assert_int_equal(ktls_store_count(), count);
}

static void test_store_is_bounded(void **state)
{
	unsigned int saved_max = ktls_store_max;
	unsigned int base = ktls_store_count();
	int socks[4][2], spare;

	ktls_store_max = base + 3;
	for (int i = 0; i < 4; i++)
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, socks[i]), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(set_str(socks[i][0], KTLS_PROFILE, "p"), 0);
	assert_fails(set_str(socks[3][0], KTLS_PROFILE, "p"), ENOMEM);
	assert_errmsg_contains("ktls_forget");
	/* existing entries still take new values when full */
	assert_int_equal(set_str(socks[0][0], KTLS_PROFILE, "q"), 0);

	/* a socket closed without ktls_forget is swept to make room; its fd
	 * number is taken by another file so the entry is really stale */
	close(socks[1][0]);
	spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_int_equal(spare, socks[1][0]);
	assert_int_equal(set_str(socks[3][0], KTLS_PROFILE, "p"), 0);
	assert_int_equal(ktls_store_count(), base + 3);

	ktls_store_max = saved_max;
	for (int i = 0; i < 4; i++) {
		ktls_forget(socks[i][0]);
		if (i != 1)
			close(socks[i][0]);
		close(socks[i][1]);
	}
	close(spare);
	assert_int_equal(ktls_store_count(), base);
}

/* ---- threads ------------------------------------------------------------------- */

#define THREADS 8
#define ROUNDS 300

static void *option_worker(void *arg)
{
	long id = (long)arg;
	char expected[64], got[64];
	long failures = 0;

	snprintf(expected, sizeof(expected), "thread-%ld.example", id);
	for (int round = 0; round < ROUNDS; round++) {
		socklen_t len = sizeof(got);
		int sv[2];

		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
			return (void *)-1L;
		if (set_str(sv[0], KTLS_SERVER_NAME, expected) < 0 ||
		    ktls_getsockopt(sv[0], SOL_KTLS, KTLS_SERVER_NAME, got, &len) < 0 ||
		    strcmp(got, expected) != 0)
			failures++;
		if (round % 2)
			ktls_forget(sv[0]);
		close(sv[0]);
		close(sv[1]);
	}
	return (void *)failures;
}

static void test_threads(void **state)
{
	pthread_t threads[THREADS];

	for (long i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&threads[i], NULL, option_worker, (void *)i), 0);
	for (int i = 0; i < THREADS; i++) {
		void *failures;

		assert_int_equal(pthread_join(threads[i], &failures), 0);
		assert_int_equal((long)failures, 0);
	}
}

#define SOCK_TEST(f) cmocka_unit_test_setup_teardown(f, setup_socket, teardown_socket)

int main(void)
{
	const struct CMUnitTest tests[] = {
		SOCK_TEST(test_defaults),
		SOCK_TEST(test_round_trip),
		SOCK_TEST(test_longest_values),
		SOCK_TEST(test_bad_values),
		SOCK_TEST(test_bad_fd_level_option),
		cmocka_unit_test(test_sol_tls_passes_through),
		SOCK_TEST(test_results_before_handshake),
		SOCK_TEST(test_results_after_handshake),
		SOCK_TEST(test_no_peer_certificate),
		SOCK_TEST(test_small_buffers),
		SOCK_TEST(test_failure_then_retry),
		SOCK_TEST(test_begin_builds_request),
		SOCK_TEST(test_recv_tickets_flag),
		cmocka_unit_test(test_reused_fd_starts_fresh),
		SOCK_TEST(test_forget),
		cmocka_unit_test(test_store_is_bounded),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

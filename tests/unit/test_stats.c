// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ktlsd's handshake statistics (daemon/engine/stats.c) and the status request
 * (daemon/doors/status.c): what a finished job adds to which counter, and what a
 * caller on the socket gets back, or is refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/clock.h"
#include "doors/status.h"
#include "engine/stats.h"

static struct ktls_status_reply before, after;

static void finish_job(const char *profile_name, uint64_t took_ms, uint32_t status)
{
	struct cfg_profile profile = { .name = (char *)(uintptr_t)profile_name };
	struct hs_job job = { .profile = profile_name ? &profile : NULL,
			      .started_ms = clock_now_ms() - took_ms };
	struct ktls_hs_reply rep = { .status = status };

	stats_handshake_done(&job, &rep);
}

static uint64_t failures_for(const struct ktls_status_reply *st, uint32_t err)
{
	for (unsigned i = 0; i < st->n_failures; i++)
		if (st->failures[i].key == err)
			return st->failures[i].count;
	return 0;
}

static uint64_t bucket_for(const struct ktls_status_reply *st, uint32_t le_ms)
{
	for (unsigned i = 0; i < st->n_latency; i++)
		if (st->latency[i].key == le_ms)
			return st->latency[i].count;
	return UINT64_MAX;	/* no such bucket: fails any comparison below */
}

static const struct ktls_status_profile *profile_in(const struct ktls_status_reply *st,
						   const char *name)
{
	for (unsigned i = 0; i < st->n_profiles; i++)
		if (strcmp(st->profiles[i].name, name) == 0)
			return &st->profiles[i];
	return NULL;
}

static void test_outcomes_counted(void **state)
{
	const struct ktls_status_profile *web, *none;

	memset(&before, 0, sizeof(before));
	stats_snapshot(&before);
	finish_job("web", 7, 0);
	finish_job("web", 7, ETIMEDOUT);
	finish_job("web", 40, ETIMEDOUT);
	finish_job(NULL, 0, EACCES);
	memset(&after, 0, sizeof(after));
	stats_snapshot(&after);

	assert_int_equal(failures_for(&after, ETIMEDOUT) - failures_for(&before, ETIMEDOUT), 2);
	assert_int_equal(failures_for(&after, EACCES) - failures_for(&before, EACCES), 1);
	assert_int_equal(failures_for(&after, ECONNRESET), 0);
	/* 7 ms lands in (5, 10], 40 ms in (20, 50], 0 ms in [0, 1] */
	assert_int_equal(bucket_for(&after, 10) - bucket_for(&before, 10), 2);
	assert_int_equal(bucket_for(&after, 50) - bucket_for(&before, 50), 1);
	assert_int_equal(bucket_for(&after, 1) - bucket_for(&before, 1), 1);
	assert_int_equal(after.latency[after.n_latency - 1].key, KTLS_STATUS_LE_INF);
	assert_in_range(after.latency_sum_ms - before.latency_sum_ms, 54, 58);
	web = profile_in(&after, "web");
	none = profile_in(&after, "-");
	assert_non_null(web);
	assert_non_null(none);
	assert_int_equal(web->ok, 1);
	assert_int_equal(web->failed, 2);
	assert_int_equal(none->failed, 1);
}

static void test_slow_handshake_in_last_bucket(void **state)
{
	stats_snapshot(&before);
	finish_job("slow", 31000, 0);
	stats_snapshot(&after);
	assert_int_equal(bucket_for(&after, KTLS_STATUS_LE_INF) -
			 bucket_for(&before, KTLS_STATUS_LE_INF), 1);
}

/* Names beyond the table's size are counted together, not lost. */
static void test_profile_table_overflow(void **state)
{
	const struct ktls_status_profile *other;
	char name[32];

	for (int i = 0; i < KTLS_STATUS_MAX_PROFILES + 10; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		finish_job(name, 1, 0);
	}
	stats_snapshot(&after);
	assert_int_equal(after.n_profiles, KTLS_STATUS_MAX_PROFILES);
	other = profile_in(&after, "(other)");
	assert_non_null(other);
	assert_true(other->ok >= 10);
	assert_non_null(profile_in(&after, "web"));	/* earlier names stay */
}

/* ---- the request on a socket ---- */

static int ask(int conn_end, struct ktls_status_reply *st)
{
	static uint8_t buf[KTLS_MSG_MAX];
	ssize_t got = recv(conn_end, buf, sizeof(buf), 0);

	if (got < 0)
		return -errno;
	return ktls_msg_decode_status(buf, (size_t)got, st);
}

static void test_status_served(void **state)
{
	int sv[2];

	atomic_store(&ktlsd_stats.handshakes_ok, 41);
	atomic_store(&ktlsd_stats.in_flight, 3);
	atomic_store(&ktlsd_stats.refused_busy, 17);
	atomic_store(&ktlsd_stats.accept_no_fd, 5);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	status_serve(sv[0], KTLS_MSG_HDR_LEN, -1);	/* we are our own peer: allowed */
	memset(&after, 0, sizeof(after));
	assert_int_equal(ask(sv[1], &after), 0);
	assert_int_equal(after.status, 0);
	assert_true(after.daemon_version[0] != '\0');
	assert_true(after.doors & KTLS_DOOR_UNIX);
	assert_int_equal(after.handshakes_ok, 41);
	assert_int_equal(after.in_flight, 3);
	assert_int_equal(after.refused_busy, 17);	/* the denial-of-service counters */
	assert_int_equal(after.accept_no_fd, 5);
	assert_true(after.fd_limit == UINT64_MAX);	/* no fd budget applied here */
	assert_non_null(profile_in(&after, "web"));
	close(sv[1]);
}

static void test_status_with_fd_refused(void **state)
{
	int sv[2], fd = dup(0);

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	status_serve(sv[0], KTLS_MSG_HDR_LEN, fd);
	assert_int_equal(ask(sv[1], &after), 0);
	assert_int_equal(after.status, EBADMSG);
	assert_int_equal(after.n_profiles, 0);
	assert_int_equal(fcntl(fd, F_GETFD), -1);	/* closed by status_serve */
	close(sv[1]);
}

/* A caller that is not root, not ktlsd's user and not in its group gets
 * EPERM and no numbers.  Needs root to become such a caller. */
static void test_status_refuses_stranger(void **state)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int listener, conn, child_status;
	pid_t child;

	if (geteuid() != 0)
		skip();
	snprintf(addr.sun_path, sizeof(addr.sun_path), "/tmp/test_stats.%d.sock", (int)getpid());
	unlink(addr.sun_path);
	listener = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	assert_int_equal(bind(listener, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(listener, 1), 0);
	chmod(addr.sun_path, 0666);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		static struct ktls_status_reply st;
		int fd;

		if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
			_exit(10);
		fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
		if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
			_exit(11);
		if (ask(fd, &st) < 0)
			_exit(12);
		_exit(st.status == EPERM && st.n_profiles == 0 && st.handshakes_ok == 0 &&
		      strstr(st.reason, "may not") ? 0 : 13);
	}
	conn = accept(listener, NULL, NULL);
	assert_true(conn >= 0);
	status_serve(conn, KTLS_MSG_HDR_LEN, -1);
	assert_int_equal(waitpid(child, &child_status, 0), child);
	close(listener);
	unlink(addr.sun_path);
	assert_true(WIFEXITED(child_status));
	assert_int_equal(WEXITSTATUS(child_status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_outcomes_counted),
		cmocka_unit_test(test_slow_handshake_in_last_bucket),
		cmocka_unit_test(test_profile_table_overflow),
		cmocka_unit_test(test_status_served),
		cmocka_unit_test(test_status_with_fd_refused),
		cmocka_unit_test(test_status_refuses_stranger),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

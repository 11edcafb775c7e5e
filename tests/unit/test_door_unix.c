// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * daemon/door_unix.c: the wait for a request on a new connection, the
 * listener out of descriptors, the per-uid limit on waiting connections,
 * and how the socket file gets its mode.
 *
 * A connection that sends nothing within REQUEST_WAIT_MS is dropped; one
 * whose request did arrive in time must be served even when the main
 * thread gets to the expiry pass before it gets to the readable event (an
 * overloaded host).  now_ms() is wrapped so the tests move the clock,
 * accept4() to run out of descriptors, bind() to play a user who swaps the
 * socket file for a symlink right after it was created.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../daemon/door_unix.h"
#include "ktls_proto.h"
#include "unit_files.h"

static uint64_t fake_now = 1000000;
static int accept_fails_with;		/* errno for accept4(), 0: the real one */
static const char *swap_after_bind;	/* a symlink target put in the socket's place */

uint64_t __wrap_now_ms(void);
uint64_t __wrap_now_ms(void)
{
	return fake_now;
}

int __real_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);
int __wrap_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);
int __wrap_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	if (accept_fails_with) {
		errno = accept_fails_with;
		return -1;
	}
	return __real_accept4(fd, addr, len, flags);
}

/* Another user, quick: the socket file becomes a symlink to a victim. */
int __real_bind(int fd, const struct sockaddr *addr, socklen_t len);
int __wrap_bind(int fd, const struct sockaddr *addr, socklen_t len);
int __wrap_bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	const struct sockaddr_un *un = (const struct sockaddr_un *)(const void *)addr;
	int rc = __real_bind(fd, addr, len);

	if (rc == 0 && swap_after_bind && un->sun_family == AF_UNIX && un->sun_path[0]) {
		unlink(un->sun_path);
		if (symlink(swap_after_bind, un->sun_path) < 0)
			return -1;
	}
	return rc;
}

/* The door's limits come from the current config. */
static int install_config(const char *text)
{
	struct cfg_ref *ref = calloc(1, sizeof(*ref));
	char err[256], path[] = "/tmp/test_door_unix.XXXXXX";
	int fd = -1, rc;

	if (!ref)
		return -1;
	if (text) {
		fd = mkstemp(path);
		if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
			return -1;
		close(fd);
	}
	rc = cfg_load(text ? path : NULL, &ref->cfg, err, sizeof(err));
	if (text)
		unlink(path);
	if (rc < 0) {
		fprintf(stderr, "config: %s\n", err);
		free(ref);
		return -1;
	}
	atomic_init(&ref->refs, 1);
	cfg_ref_install(ref);
	return 0;
}

static int group_setup(void **state)
{
	return install_config(NULL);
}

static int group_teardown(void **state)
{
	cfg_ref_install(NULL);
	return 0;
}

struct door {
	int listen_fd, epfd, client;
	struct sockaddr_un addr;
	socklen_t addr_len;
};

static int door_setup(void **state)
{
	static struct door d;
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	socklen_t len;

	/* Abstract name: nothing on disk to clean up. */
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
			  (size_t)snprintf(addr.sun_path + 1, sizeof(addr.sun_path) - 1,
					   "ktlsd-test-door-%d", (int)getpid()));
	d.listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	d.client = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	d.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d.listen_fd < 0 || d.client < 0 || d.epfd < 0 ||
	    bind(d.listen_fd, (struct sockaddr *)&addr, len) < 0 || listen(d.listen_fd, 8) < 0 ||
	    connect(d.client, (struct sockaddr *)&addr, len) < 0)
		return -1;
	d.addr = addr;
	d.addr_len = len;
	door_unix_accept(d.listen_fd, d.epfd);	/* now pending, deadline set */
	*state = &d;
	return 0;
}

static int door_teardown(void **state)
{
	struct door *d = *state;

	door_unix_close(-1, NULL);	/* frees whatever is still pending */
	accept_fails_with = 0;
	close(d->client);
	close(d->listen_fd);
	close(d->epfd);
	return 0;
}

/* What a client reads back: bytes of a reply, 0 for a plain hang-up. */
static ssize_t reads(int client, struct ktls_hs_reply *rep)
{
	static uint8_t buf[KTLS_MSG_MAX];
	struct timeval tv = { .tv_sec = 2 };
	ssize_t got;

	setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	got = recv(client, buf, sizeof(buf), 0);
	if (got > 0 && rep)
		assert_int_equal(ktls_msg_decode_reply(buf, (size_t)got, rep), 0);
	return got;
}

static ssize_t client_reads(const struct door *d)
{
	return reads(d->client, NULL);
}

static int another_client(const struct door *d)
{
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (const struct sockaddr *)&d->addr, d->addr_len), 0);
	return fd;
}

static void waits_until_the_deadline(void **state)
{
	struct door *d = *state;
	int t = door_unix_expire(d->epfd);

	assert_true(t > 0 && t <= 2000);	/* REQUEST_WAIT_MS ahead */
	fake_now += (uint64_t)t - 1;
	assert_int_equal(door_unix_expire(d->epfd), 1);
}

static void silent_connection_is_dropped(void **state)
{
	struct door *d = *state;

	fake_now += 2001;
	assert_int_equal(door_unix_expire(d->epfd), -1);	/* nothing pending */
	assert_int_equal(client_reads(d), 0);			/* closed, no reply */
}

/* The request is in the socket but unread at the deadline: served (here
 * refused as malformed, which proves it was read), not dropped. */
static void late_read_request_is_served(void **state)
{
	struct door *d = *state;
	static const char junk[] = "not a ktlsd request";

	assert_int_equal(send(d->client, junk, sizeof(junk), 0), (ssize_t)sizeof(junk));
	fake_now += 2001;
	assert_int_equal(door_unix_expire(d->epfd), -1);
	assert_true(client_reads(d) > 0);
}

/* ---- out of descriptors ---- */

static char listen_tag;	/* the main loop's ptr for the listener */

static int watched_ptrs(int epfd, void **ptrs, int max)
{
	struct epoll_event ev[8];
	int n = epoll_wait(epfd, ev, max < 8 ? max : 8, 0);

	for (int i = 0; i < n; i++)
		ptrs[i] = ev[i].data.ptr;
	return n;
}

/* Count the lines stderr (the log) gets while fn runs. */
static int log_lines_during(void (*fn)(struct door *), struct door *d, const char *needle)
{
	char buf[65536], *p;
	int saved = dup(2), fd = open("/tmp", O_TMPFILE | O_RDWR, 0600), lines = 0;
	ssize_t n;

	assert_true(saved >= 0 && fd >= 0);
	dup2(fd, 2);
	fn(d);
	dup2(saved, 2);
	close(saved);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	for (p = buf; (p = strstr(p, needle)) != NULL; p++)
		lines++;
	return lines;
}

/* EMFILE: the listener must leave the epoll set, or epoll reports it
 * again at once and the main thread spins (issue 9: 100% CPU). */
static void emfile_pauses_the_listener(void **state)
{
	struct door *d = *state;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &listen_tag };
	unsigned long before = atomic_load(&ktlsd_stats.accept_no_fd);
	int second = another_client(d), t, n;
	void *ptrs[8];

	assert_int_equal(epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->listen_fd, &ev), 0);
	assert_int_equal(watched_ptrs(d->epfd, ptrs, 8), 1);	/* a connection waits */
	accept_fails_with = EMFILE;
	door_unix_accept(d->listen_fd, d->epfd);
	assert_int_equal(watched_ptrs(d->epfd, ptrs, 8), 0);	/* not reported again */
	assert_int_equal(atomic_load(&ktlsd_stats.accept_no_fd), before + 1);
	t = door_unix_expire(d->epfd);
	assert_true(t > 0 && t <= 100);				/* a short pause */

	/* Fds back: after the pause the listener is watched again, with the
	 * door's own ptr, and the waiting connection is accepted. */
	accept_fails_with = 0;
	fake_now += (uint64_t)t;
	door_unix_expire(d->epfd);
	n = watched_ptrs(d->epfd, ptrs, 8);
	assert_int_equal(n, 1);
	assert_ptr_not_equal(ptrs[0], &listen_tag);
	door_unix_readable(d->epfd, ptrs[0]);
	assert_int_equal(send(second, "junk", 4, 0), 4);
	assert_int_equal(watched_ptrs(d->epfd, ptrs, 8), 1);
	door_unix_readable(d->epfd, ptrs[0]);
	assert_true(reads(second, NULL) > 0);			/* served: refused as junk */
	close(second);
}

/* One pause after another for 5 s: the log says so once (rate limit). */
static void pause_repeatedly(struct door *d)
{
	void *ptrs[8];

	door_unix_accept(d->listen_fd, d->epfd);	/* the first failure */
	for (int i = 0; i < 49; i++) {
		fake_now += 100;
		door_unix_expire(d->epfd);		/* watched again */
		assert_int_equal(watched_ptrs(d->epfd, ptrs, 8), 1);
		/* as the main loop dispatches; fails again: paused */
		if (ptrs[0] == &listen_tag)
			door_unix_accept(d->listen_fd, d->epfd);
		else
			door_unix_readable(d->epfd, ptrs[0]);
	}
}

static void emfile_is_logged_rarely(void **state)
{
	struct door *d = *state;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &listen_tag };
	unsigned long before = atomic_load(&ktlsd_stats.accept_no_fd);
	int second = another_client(d), lines;

	fake_now += 60000;	/* past any earlier test's report */
	assert_int_equal(epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->listen_fd, &ev), 0);
	accept_fails_with = ENFILE;
	lines = log_lines_during(pause_repeatedly, d, "accept on the application door");
	assert_int_equal(lines, 1);
	assert_true(atomic_load(&ktlsd_stats.accept_no_fd) >= before + 50);
	close(second);
}

/* ---- waiting connections per uid ---- */

static void waiting_limit_per_uid(void **state)
{
	struct door *d = *state;
	struct ktls_hs_reply rep;
	int more[4];

	assert_int_equal(install_config("[global]\nmax_waiting_per_uid = 2\n[profile p]\nrole = client\n"), 0);
	for (int i = 0; i < 4; i++)
		more[i] = another_client(d);
	/* the 4th has sent its request already: served, not counted */
	assert_int_equal(send(more[3], "junk", 4, 0), 4);
	door_unix_accept(d->listen_fd, d->epfd);	/* d->client is the 1st */
	/* the 2nd waits; the 3rd and 4th are over the limit: EAGAIN + reason */
	assert_true(reads(more[1], &rep) > 0);
	assert_int_equal(rep.status, EAGAIN);
	assert_non_null(strstr(rep.reason, "max_waiting_per_uid 2"));
	assert_true(reads(more[2], &rep) > 0);
	assert_int_equal(rep.status, EAGAIN);
	assert_true(reads(more[3], &rep) > 0);
	assert_int_equal(rep.status, EBADMSG);		/* read and refused as junk */
	/* the first two still wait for their requests */
	fake_now += 1;
	assert_true(door_unix_expire(d->epfd) > 0);
	for (int i = 0; i < 4; i++)
		close(more[i]);
	assert_int_equal(install_config(NULL), 0);
}

/* ---- the socket file's mode ---- */

static void socket_mode_without_following_symlinks(void **state)
{
	const char *victim, *sock_path;
	struct stat st;
	mode_t mask;
	int fd;

	assert_int_equal(unit_tmpdir_create("door"), 0);
	unit_write_text("victim", "root's secret\n", 0600);
	victim = strdup(unit_tmp_path("victim"));
	sock_path = strdup(unit_tmp_path("ktlsd.sock"));

	/* As every user may connect, the socket is 0666 whatever the umask,
	 * and the umask is ours again afterwards. */
	mask = umask(077);
	fd = door_unix_open(sock_path);
	assert_true(fd >= 0);
	assert_int_equal(lstat(sock_path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0666);
	assert_int_equal(umask(mask), 077);
	door_unix_close(fd, sock_path);

	/* Someone swaps the file for a symlink right after bind(): the
	 * victim's mode stays 0600 (chmod(path) would follow the link). */
	swap_after_bind = victim;
	fd = door_unix_open(sock_path);
	swap_after_bind = NULL;
	if (fd >= 0)
		door_unix_close(fd, sock_path);
	assert_int_equal(stat(victim, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	free((void *)(uintptr_t)victim);
	free((void *)(uintptr_t)sock_path);
	unit_tmpdir_remove();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(waits_until_the_deadline, door_setup,
						door_teardown),
		cmocka_unit_test_setup_teardown(silent_connection_is_dropped, door_setup,
						door_teardown),
		cmocka_unit_test_setup_teardown(late_read_request_is_served, door_setup,
						door_teardown),
		cmocka_unit_test_setup_teardown(emfile_pauses_the_listener, door_setup,
						door_teardown),
		cmocka_unit_test_setup_teardown(emfile_is_logged_rarely, door_setup,
						door_teardown),
		cmocka_unit_test_setup_teardown(waiting_limit_per_uid, door_setup,
						door_teardown),
		cmocka_unit_test(socket_mode_without_following_symlinks),
	};

	return cmocka_run_group_tests_name("daemon/door_unix.c", tests, group_setup,
					   group_teardown);
}

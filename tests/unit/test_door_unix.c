// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * daemon/doors/door_unix.c: the wait for a request on a new connection, the
 * listener out of descriptors, the per-uid limit on waiting connections,
 * the caller's groups in the profile ACL, and how the socket file gets its
 * mode.
 *
 * A connection that sends nothing within REQUEST_WAIT_MS is dropped; one
 * whose request did arrive in time must be served even when the main
 * thread gets to the expiry pass before it gets to the readable event (an
 * overloaded host).  clock_now_ms() is wrapped so the tests move the clock,
 * accept4() to run out of descriptors, bind() to play a user who swaps the
 * socket file for a symlink right after it was created, getsockopt() to
 * play a caller with other ids and groups (SO_PEERCRED, SO_PEERGROUPS as
 * the kernel answers them), job_submit() to see what reached the workers.
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
#include <netinet/in.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "doors/door_unix.h"
#include "engine/stats.h"
#include "ktls_proto.h"
#include "unit_files.h"

static uint64_t fake_now = 1000000;
static int accept_fails_with;		/* errno for accept4(), 0: the real one */
static const char *swap_after_bind;	/* a symlink target put in the socket's place */

uint64_t __wrap_clock_now_ms(void);
uint64_t __wrap_clock_now_ms(void)
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

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59
#endif

/* A caller with other ids: SO_PEERCRED and SO_PEERGROUPS answer for it
 * (on every socket: the test's only peers are its own clients). */
static struct {
	int on;
	uid_t uid;
	gid_t gid;
	unsigned n_groups;
	gid_t groups[100];
} fake_peer;

int __real_getsockopt(int fd, int level, int name, void *val, socklen_t *len);
int __wrap_getsockopt(int fd, int level, int name, void *val, socklen_t *len);
int __wrap_getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	struct ucred cred;
	socklen_t need = (socklen_t)(fake_peer.n_groups * sizeof(gid_t));

	if (!fake_peer.on || level != SOL_SOCKET || (name != SO_PEERCRED && name != SO_PEERGROUPS))
		return __real_getsockopt(fd, level, name, val, len);
	if (name == SO_PEERCRED) {
		if (__real_getsockopt(fd, level, name, &cred, &(socklen_t){ sizeof(cred) }) < 0)
			return -1;
		cred.uid = fake_peer.uid;
		cred.gid = fake_peer.gid;
		memcpy(val, &cred, *len < sizeof(cred) ? *len : sizeof(cred));
		*len = *len < sizeof(cred) ? *len : sizeof(cred);
		return 0;
	}
	/* As net/core/sock.c: all groups or ERANGE with the size needed. */
	if (*len < need) {
		*len = need;
		errno = ERANGE;
		return -1;
	}
	memcpy(val, fake_peer.groups, need);
	*len = need;
	return 0;
}

/* The request passed the door's checks: note the caller, hand back EAGAIN
 * (the door answers it) so no worker is needed. */
static struct peer_cred submitted;
static int n_submitted;

int __wrap_job_submit(struct hs_job *job, unsigned timeout_ms, char *reason, size_t reason_len);
int __wrap_job_submit(struct hs_job *job, unsigned timeout_ms, char *reason, size_t reason_len)
{
	(void)timeout_ms;
	submitted = job->caller;
	n_submitted++;
	snprintf(reason, reason_len, "test: reached job_submit");
	return -EAGAIN;
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

	assert_int_equal(install_config("[global]\nmax_waiting_per_uid = 2\n[profile p]\nrole = "
					"client\n"), 0);
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

/* ---- the caller's groups ---- */

/* An established loopback TCP connection: the socket a request passes;
 * *peer is the other end, to close once the request has been answered. */
static int tcp_socket(int *peer)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(l >= 0 && c >= 0);
	assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(l, 1), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&a, &alen), 0);
	assert_int_equal(connect(c, (struct sockaddr *)&a, sizeof(a)), 0);
	*peer = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	assert_true(*peer >= 0);
	close(l);
	return c;
}

/* One request for profile (role) from the fake caller, through the real
 * door: accepted, read, checked.  The reply's status: EPERM when the ACL
 * refused, EAGAIN from job_submit when it admitted. */
static uint32_t request_as(struct door *d, enum ktls_role role, const char *profile,
			   struct ktls_hs_reply *rep)
{
	struct ktls_hs_request req = { .role = (uint8_t)role, .verify = KTLS_VERIFY_REQUIRED };
	uint8_t buf[KTLS_MSG_MAX];
	int peer, c = another_client(d), sock = tcp_socket(&peer), len;

	snprintf(req.profile, sizeof(req.profile), "%s", profile);
	len = ktls_msg_encode_request(&req, buf, sizeof(buf));
	assert_true(len > 0);
	assert_true(ktls_ipc_send(c, buf, (size_t)len, sock) == len);
	close(sock);
	door_unix_accept(d->listen_fd, d->epfd);
	assert_true(reads(c, rep) > 0);
	close(c);
	close(peer);
	return rep->status;
}

static void fake_caller(uid_t uid, gid_t gid, unsigned n, const gid_t *groups)
{
	fake_peer.on = 1;
	fake_peer.uid = uid;
	fake_peer.gid = gid;
	fake_peer.n_groups = n;
	for (unsigned i = 0; i < n; i++)
		fake_peer.groups[i] = groups ? groups[i] : (gid_t)(20000 + i);
}

/* `usermod -aG`: a group the caller is in as a supplementary group admits
 * it like its primary group, in allowed_gids and in the default ACL of a
 * profile holding a PSK; the job carries the groups on to the SNI check.
 * A caller in more groups than the door keeps is judged by its primary
 * group and is told so. */
static void supplementary_groups_admit(void **state)
{
	struct door *d = *state;
	struct ktls_hs_reply rep;
	gid_t ktlsd_gid = getegid(), nobody = 65534;
	uid_t stranger = geteuid() == 65534 ? 65533 : 65534;
	gid_t many[100];

	assert_int_equal(install_config("[profile byg]\nrole = client\nallowed_gids = 4242\n"
					"[profile psk]\nrole = server\npsk_file = /p\n"), 0);
	/* allowed_gids: 4242 as a supplementary group */
	n_submitted = 0;
	fake_caller(stranger, nobody, 3, (const gid_t[]){ 100, 4242, 4343 });
	assert_int_equal(request_as(d, KTLS_ROLE_CLIENT, "byg", &rep), EAGAIN);
	assert_string_equal(rep.reason, "test: reached job_submit");
	assert_int_equal(n_submitted, 1);
	assert_int_equal(submitted.uid, stranger);
	assert_int_equal(submitted.n_groups, 3);
	assert_int_equal(submitted.groups[1], 4242);
	assert_int_equal(submitted.groups_over, 0);
	/* the same caller without it */
	fake_caller(stranger, nobody, 2, (const gid_t[]){ 100, 4343 });
	assert_int_equal(request_as(d, KTLS_ROLE_CLIENT, "byg", &rep), EPERM);
	assert_non_null(strstr(rep.reason, "may not use profile \"byg\""));
	/* the default ACL of a PSK profile: ktlsd's group as a supplementary one */
	fake_caller(stranger, nobody, 2, (const gid_t[]){ 100, ktlsd_gid });
	assert_int_equal(request_as(d, KTLS_ROLE_SERVER, "psk", &rep), EAGAIN);
	fake_caller(stranger, nobody, 1, (const gid_t[]){ 100 });
	assert_int_equal(request_as(d, KTLS_ROLE_SERVER, "psk", &rep), EPERM);
	assert_int_equal(n_submitted, 2);
	/* More groups than PEER_GROUPS_MAX: none kept (the kernel gives all or
	 * none), so 4242 among them does not admit; the reason says why.  The
	 * primary group still does. */
	for (unsigned i = 0; i < 100; i++)
		many[i] = (gid_t)(20000 + i);
	many[99] = 4242;
	fake_caller(stranger, nobody, 100, many);
	assert_int_equal(request_as(d, KTLS_ROLE_CLIENT, "byg", &rep), EPERM);
	assert_non_null(strstr(rep.reason, "more than " PEER_GROUPS_MAX_STR " groups"));
	fake_caller(stranger, 4242, 100, many);
	assert_int_equal(request_as(d, KTLS_ROLE_CLIENT, "byg", &rep), EAGAIN);
	assert_int_equal(submitted.n_groups, 0);
	assert_int_equal(submitted.groups_over, 100);
	/* exactly PEER_GROUPS_MAX still fit */
	many[PEER_GROUPS_MAX - 1] = 4242;
	fake_caller(stranger, nobody, PEER_GROUPS_MAX, many);
	assert_int_equal(request_as(d, KTLS_ROLE_CLIENT, "byg", &rep), EAGAIN);
	assert_int_equal(submitted.n_groups, PEER_GROUPS_MAX);
	fake_peer.on = 0;
	assert_int_equal(install_config(NULL), 0);
}

/* `ktls status` reads the groups through the same helper. */
static void status_sees_supplementary_groups(void **state)
{
	struct door *d = *state;
	uint8_t buf[KTLS_MSG_MAX];
	struct ktls_status_reply *st = calloc(1, sizeof(*st));
	uid_t stranger = geteuid() == 65534 ? 65533 : 65534;
	uint32_t status[2];

	assert_non_null(st);
	for (int i = 0; i < 2; i++) {
		int c = another_client(d), len = ktls_msg_encode_empty(KTLS_MSG_STATUS_REQ, buf,
									 sizeof(buf));
		ssize_t got;

		fake_caller(stranger, 65534, 2, (const gid_t[]){ 100, i ? getegid() : 101 });
		assert_true(len > 0);
		assert_int_equal(send(c, buf, (size_t)len, 0), len);
		door_unix_accept(d->listen_fd, d->epfd);
		got = recv(c, buf, sizeof(buf), 0);
		assert_true(got > 0);
		assert_int_equal(ktls_msg_decode_status(buf, (size_t)got, st), 0);
		status[i] = st->status;
		close(c);
	}
	fake_peer.on = 0;
	free(st);
	assert_int_equal(status[0], EPERM);
	assert_int_equal(status[1], 0);
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
		cmocka_unit_test_setup_teardown(supplementary_groups_admit, door_setup,
						door_teardown),
		cmocka_unit_test_setup_teardown(status_sees_supplementary_groups, door_setup,
						door_teardown),
		cmocka_unit_test(socket_mode_without_following_symlinks),
	};

	return cmocka_run_group_tests_name("daemon/doors/door_unix.c", tests, group_setup,
					   group_teardown);
}

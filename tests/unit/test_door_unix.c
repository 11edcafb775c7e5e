// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * daemon/door_unix.c: the wait for a request on a new connection.
 *
 * A connection that sends nothing within REQUEST_WAIT_MS is dropped; one
 * whose request did arrive in time must be served even when the main
 * thread gets to the expiry pass before it gets to the readable event (an
 * overloaded host).  now_ms() is wrapped so the tests move the clock.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../daemon/door_unix.h"
#include "ktls_proto.h"

static uint64_t fake_now = 1000000;

uint64_t __wrap_now_ms(void);
uint64_t __wrap_now_ms(void)
{
	return fake_now;
}

struct door {
	int listen_fd, epfd, client;
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
	door_unix_accept(d.listen_fd, d.epfd);	/* now pending, deadline set */
	*state = &d;
	return 0;
}

static int door_teardown(void **state)
{
	struct door *d = *state;

	door_unix_close(-1, NULL);	/* frees whatever is still pending */
	close(d->client);
	close(d->listen_fd);
	close(d->epfd);
	return 0;
}

/* What the client reads back: bytes of a reply, 0 for a plain hang-up. */
static ssize_t client_reads(const struct door *d)
{
	uint8_t buf[KTLS_MSG_MAX];
	struct timeval tv = { .tv_sec = 2 };

	setsockopt(d->client, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return recv(d->client, buf, sizeof(buf), 0);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(waits_until_the_deadline, door_setup,
						door_teardown),
		cmocka_unit_test_setup_teardown(silent_connection_is_dropped, door_setup,
						door_teardown),
		cmocka_unit_test_setup_teardown(late_read_request_is_served, door_setup,
						door_teardown),
	};

	return cmocka_run_group_tests_name("daemon/door_unix.c request wait", tests, NULL, NULL);
}

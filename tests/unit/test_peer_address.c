// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fd_peer_address() (daemon/doors/fdcheck.c), the peer= of every log line: the
 * address of a connected TCP socket, and "?:0" for anything getpeername()
 * refuses.  The old code then read ss.ss_family uninitialised (issue 9),
 * so whatever an earlier call left on the stack decided the format: the
 * stack is painted with AF_INET6 first to make that visible.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "doors/fdcheck.h"

/* Leaves AF_INET6 in every 16-bit slot of a stretch of stack that the next
 * call's locals will occupy. */
static __attribute__((noinline)) void paint_stack(void)
{
	volatile uint16_t junk[4096];

	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
		junk[i] = AF_INET6;
}

static void test_not_a_socket(void **state)
{
	char out[64];
	int fds[2];

	(void)state;
	assert_int_equal(pipe(fds), 0);
	paint_stack();
	fd_peer_address(fds[0], out, sizeof(out));
	assert_string_equal(out, "?:0");
	paint_stack();
	fd_peer_address(-1, out, sizeof(out));
	assert_string_equal(out, "?:0");
	close(fds[0]);
	close(fds[1]);
}

static void test_unconnected_socket(void **state)
{
	char out[64];
	int fd = socket(AF_INET6, SOCK_STREAM, 0);

	(void)state;
	if (fd < 0)
		skip();
	paint_stack();
	fd_peer_address(fd, out, sizeof(out));	/* ENOTCONN */
	assert_string_equal(out, "?:0");
	close(fd);
}

static void test_connected_tcp(void **state)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(addr);
	char out[64], want[64];
	int listener = socket(AF_INET, SOCK_STREAM, 0), fd = socket(AF_INET, SOCK_STREAM, 0);

	(void)state;
	assert_true(listener >= 0 && fd >= 0);
	assert_int_equal(bind(listener, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(listener, 1), 0);
	assert_int_equal(getsockname(listener, (struct sockaddr *)&addr, &len), 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	fd_peer_address(fd, out, sizeof(out));
	snprintf(want, sizeof(want), "127.0.0.1:%u", (unsigned)ntohs(addr.sin_port));
	assert_string_equal(out, want);
	close(fd);
	close(listener);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_not_a_socket),
		cmocka_unit_test(test_unconnected_socket),
		cmocka_unit_test(test_connected_tcp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

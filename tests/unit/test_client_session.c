// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sessions/client_session.c: what the end of a client handshake tells the
 * ticket memory.  A ktls_recv() caller skips the ticket wait for servers
 * remembered as sending no TLS 1.3 ticket, so a server must not be
 * remembered so for a ticket that merely came late: after a handshake that
 * resumed (the server accepted a ticket it issued, so it issues them), a
 * ticket missing from the wait is a late one.  Found by ktls-bench's
 * ktlsd-resume arm at concurrency 16 under load, where a late ticket cost
 * its worker resumption for the memory's 10 minutes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <gnutls/gnutls.h>

#include "base/clock.h"
#include "sessions/client_session.h"
#include "sessions/ticket_memory.h"

static int reset(void **state)
{
	(void)state;
	ticket_memory_clear();
	return 0;
}

/* A TLS 1.3 handshake of an enabled job that waited for tickets and saw
 * none; resumed as given.  The session is a fresh GnuTLS client session
 * (it carries no ticket, so nothing is kept in the cache). */
static void end_without_ticket(uint8_t id_byte, int resumed)
{
	struct client_session cs;
	struct hs_job job;
	struct ktls_hs_reply rep;
	gnutls_session_t session;

	memset(&cs, 0, sizeof(cs));
	memset(&job, 0, sizeof(job));
	memset(&rep, 0, sizeof(rep));
	cs.enabled = 1;
	cs.waited = 1;
	memset(cs.id, id_byte, sizeof(cs.id));
	rep.version = KTLS_VERSION_1_3;
	rep.resumed = resumed;
	assert_int_equal(gnutls_init(&session, GNUTLS_CLIENT), 0);
	client_session_end(&cs, &job, session, &rep);
	gnutls_deinit(session);
}

/* A full handshake that waited and got no ticket: that server sends none,
 * and is not waited for again. */
static void test_full_without_ticket_is_remembered(void **state)
{
	uint8_t id[CLIENT_CACHE_ID_LEN];

	(void)state;
	end_without_ticket(0x11, 0);
	memset(id, 0x11, sizeof(id));
	assert_int_equal(ticket_memory_expect(id, clock_now_ms()), 0);
}

/* A resumed handshake whose next ticket missed the wait: the server
 * issues tickets, and the next handshake must wait for one again. */
static void test_resumed_without_ticket_is_not(void **state)
{
	uint8_t id[CLIENT_CACHE_ID_LEN];

	(void)state;
	end_without_ticket(0x22, 1);
	memset(id, 0x22, sizeof(id));
	assert_int_equal(ticket_memory_expect(id, clock_now_ms()), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_full_without_ticket_is_remembered, reset),
		cmocka_unit_test_setup(test_resumed_without_ticket_is_not, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

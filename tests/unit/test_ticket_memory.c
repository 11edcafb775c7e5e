// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sessions/ticket_memory.c: which servers sent no ticket, so that a
 * ktls_recv() caller skips the ticket wait only for them (the client
 * session cache needs every other server's next ticket).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sessions/ticket_memory.h"

static void id_of(unsigned n, uint8_t id[CLIENT_CACHE_ID_LEN])
{
	memset(id, 0, CLIENT_CACHE_ID_LEN);
	memcpy(id, &n, sizeof(n));
}

static int reset(void **state)
{
	(void)state;
	ticket_memory_clear();
	return 0;
}

/* Unknown servers are expected to send tickets; one that sent none is
 * not waited for again; one that sends a ticket again is. */
static void test_note_and_expect(void **state)
{
	uint8_t a[CLIENT_CACHE_ID_LEN], b[CLIENT_CACHE_ID_LEN];

	(void)state;
	id_of(1, a);
	id_of(2, b);
	assert_int_equal(ticket_memory_expect(a, 1000), 1);
	ticket_memory_note(a, 0, 1000);
	assert_int_equal(ticket_memory_expect(a, 1001), 0);
	assert_int_equal(ticket_memory_expect(b, 1001), 1);	/* keys kept apart */
	ticket_memory_note(a, 1, 2000);
	assert_int_equal(ticket_memory_expect(a, 2001), 1);
}

/* A server that starts issuing tickets is looked at again after the TTL. */
static void test_forgotten_after_ttl(void **state)
{
	uint8_t a[CLIENT_CACHE_ID_LEN];

	(void)state;
	id_of(7, a);
	ticket_memory_note(a, 0, 5000);
	assert_int_equal(ticket_memory_expect(a, 5000 + TICKET_MEMORY_TTL_MS), 0);
	assert_int_equal(ticket_memory_expect(a, 5001 + TICKET_MEMORY_TTL_MS), 1);
}

/* Bounded: more ticketless servers than slots reuse the oldest slot. */
static void test_bounded(void **state)
{
	uint8_t id[CLIENT_CACHE_ID_LEN];

	(void)state;
	for (unsigned i = 0; i <= TICKET_MEMORY_SLOTS; i++) {
		id_of(100 + i, id);
		ticket_memory_note(id, 0, 10 + i);
	}
	id_of(100, id);		/* the oldest, pushed out */
	assert_int_equal(ticket_memory_expect(id, 10 + TICKET_MEMORY_SLOTS), 1);
	id_of(101, id);
	assert_int_equal(ticket_memory_expect(id, 10 + TICKET_MEMORY_SLOTS), 0);
	id_of(100 + TICKET_MEMORY_SLOTS, id);
	assert_int_equal(ticket_memory_expect(id, 10 + TICKET_MEMORY_SLOTS), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_note_and_expect, reset),
		cmocka_unit_test_setup(test_forgotten_after_ttl, reset),
		cmocka_unit_test_setup(test_bounded, reset),
	};

	return cmocka_run_group_tests_name("sessions/ticket_memory.c", tests, NULL, NULL);
}

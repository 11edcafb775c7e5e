// SPDX-License-Identifier: GPL-2.0-or-later
/* Servers that sent no ticket (sessions/ticket_memory.h): a fixed table of
 * cache key ids, searched linearly (512 slots of 40 bytes; looked at once
 * per client handshake by a ktls_recv() caller), under one lock. */
#include <pthread.h>
#include <string.h>

#include "sessions/ticket_memory.h"

struct ticketless {
	uint8_t id[CLIENT_CACHE_ID_LEN];
	uint64_t since_ms;		/* 0: the slot is free */
};

static struct ticketless slots[TICKET_MEMORY_SLOTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static struct ticketless *find(const uint8_t id[CLIENT_CACHE_ID_LEN], uint64_t now_ms)
{
	for (unsigned i = 0; i < TICKET_MEMORY_SLOTS; i++) {
		struct ticketless *t = &slots[i];

		if (t->since_ms && now_ms - t->since_ms > TICKET_MEMORY_TTL_MS)
			t->since_ms = 0;	/* expired: forget it */
		if (t->since_ms && memcmp(t->id, id, CLIENT_CACHE_ID_LEN) == 0)
			return t;
	}
	return NULL;
}

/* A free slot, else the oldest. */
static struct ticketless *free_slot(void)
{
	struct ticketless *oldest = &slots[0];

	for (unsigned i = 0; i < TICKET_MEMORY_SLOTS; i++) {
		if (!slots[i].since_ms)
			return &slots[i];
		if (slots[i].since_ms < oldest->since_ms)
			oldest = &slots[i];
	}
	return oldest;
}

void ticket_memory_note(const uint8_t id[CLIENT_CACHE_ID_LEN], int ticket_seen, uint64_t now_ms)
{
	struct ticketless *t;

	pthread_mutex_lock(&lock);
	t = find(id, now_ms);
	if (ticket_seen) {
		if (t)
			t->since_ms = 0;
	} else {
		if (!t) {
			t = free_slot();
			memcpy(t->id, id, CLIENT_CACHE_ID_LEN);
		}
		t->since_ms = now_ms ? now_ms : 1;
	}
	pthread_mutex_unlock(&lock);
}

int ticket_memory_expect(const uint8_t id[CLIENT_CACHE_ID_LEN], uint64_t now_ms)
{
	int expect;

	pthread_mutex_lock(&lock);
	expect = find(id, now_ms) == NULL;
	pthread_mutex_unlock(&lock);
	return expect;
}

void ticket_memory_clear(void)
{
	pthread_mutex_lock(&lock);
	memset(slots, 0, sizeof(slots));
	pthread_mutex_unlock(&lock);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Which servers sent no TLS 1.3 ticket the last time we waited for one.
 *
 * Why: an application reading with ktls_recv() (KTLS_RECV_TICKETS) does
 * not need the ticket wait for correctness, but the client session cache
 * needs the tickets, and a TLS 1.3 ticket is used once, so each resumed
 * handshake must collect the next.  Such a request waits for tickets only
 * while the server is not known to send none: the first handshake to a
 * server waits (and ends 50 ms after a ticket), a server that sent none
 * after a full handshake is remembered for TICKET_MEMORY_TTL_MS and not
 * waited for again (after a resumed one the ticket was only late: the
 * server issues them, client_session_end()).  No
 * secret is kept here: only cache key ids (client_cache.h) and times.
 */
#ifndef KTLSD_SESSIONS_TICKET_MEMORY_H
#define KTLSD_SESSIONS_TICKET_MEMORY_H

#include <stdint.h>

#include "sessions/client_cache.h"

#define TICKET_MEMORY_SLOTS 512			/* bounded; the oldest is reused */
#define TICKET_MEMORY_TTL_MS (10 * 60 * 1000)	/* a server may start issuing */

/* After a wait for tickets: did the server under this key send one? */
void ticket_memory_note(const uint8_t id[CLIENT_CACHE_ID_LEN], int ticket_seen, uint64_t now_ms);
/* 0 when the server under this key sent no ticket within the last wait
 * (not longer ago than the TTL), else 1 (also when unknown). */
int ticket_memory_expect(const uint8_t id[CLIENT_CACHE_ID_LEN], uint64_t now_ms);
void ticket_memory_clear(void);

#endif

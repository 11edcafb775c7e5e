/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The shared session store in the daemon: opened at start from [global]
 * session_store*, its sealing key derived from the ticket key
 * (ticket_keys.h), plugged under the TLS 1.2 session-ID cache
 * (session_db.h), its failures counted per profile (session_stats.h).
 */
#ifndef KTLSD_SESSIONS_SHARED_STORE_DAEMON_H
#define KTLSD_SESSIONS_SHARED_STORE_DAEMON_H

struct cfg;
struct shared_store;

/* At start, after the ticket key is loaded and before the sandbox (names
 * are resolved here).  A store that cannot be set up (a name that does
 * not resolve) is logged as an error and left out: ktlsd serves without
 * it rather than not at all.  Nothing to do for session_store = none. */
void shared_store_daemon_start(const struct cfg *cfg);
/* After a reload: the sealing key again (ticket_key_file may have been
 * rotated).  The servers and timeout are the start's. */
void shared_store_daemon_rekey(const struct cfg *cfg);
/* At shutdown, after the workers stopped. */
void shared_store_daemon_stop(void);
/* The open store, for add_once (0-RTT anti-replay); NULL when none. */
struct shared_store *shared_store_daemon(void);

#endif

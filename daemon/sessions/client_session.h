/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The client session cache's hooks in the handshake engine: which jobs
 * keep and resume sessions, what they are keyed by, what a resumed
 * handshake reports (engine/handshake.c calls these, client role only).
 */
#ifndef KTLSD_CLIENT_SESSION_H
#define KTLSD_CLIENT_SESSION_H

#include <gnutls/gnutls.h>

#include "engine/job.h"
#include "sessions/client_cache.h"

struct client_session {
	int enabled;			/* this job keeps the sessions it receives */
	int taken;			/* hit holds a cached session (prepare) */
	int offered;			/* ... handed to GnuTLS (offer) */
	uint8_t id[CLIENT_CACHE_ID_LEN];
	struct client_cache_hit hit;
	int ticket_seen;		/* a NewSessionTicket arrived ... */
	uint32_t ticket_lifetime_s;	/* ... with this lifetime (the last one) */
	uint32_t ticket_max_early;	/* ... and this early_data limit (0: none) */
	int waited;			/* the drain waited for tickets (not 0 ms) */
};

/* Does this client job use the cache?  Not for kernel requests (their
 * credentials come per request, from keyrings), not for PSK sessions (an
 * external PSK already spares the certificates), not when the profile
 * or [global] turned it off. */
int client_session_eligible(const struct hs_job *job, int uses_psk);

/* Before the handshake: key the job, take a cached session unless the
 * request said no_resume, hand it to GnuTLS.  verify is the mode in
 * effect.  Never fails the handshake: a cache problem is a full one. */
void client_session_begin(struct client_session *cs, const struct hs_job *job,
			  gnutls_session_t session, enum ktls_verify verify);

/* The same in two steps, for a caller that must see the cached session
 * before gnutls_init() (engine/early_send.h: the early data flag):
 * prepare keys the job and takes the session, offer hands it to GnuTLS. */
void client_session_prepare(struct client_session *cs, const struct hs_job *job,
			    enum ktls_verify verify);
void client_session_offer(struct client_session *cs, gnutls_session_t session);

/* A TLS 1.3 NewSessionTicket body's early_data max_early_data_size: 0 and
 * *max (0 without the extension), or -EBADMSG. */
int client_session_nst_max_early(const uint8_t *msg, size_t len, uint32_t *max);

/* A NewSessionTicket message body arrived (handshake hook): its lifetime
 * and (TLS 1.3) its early data limit. */
void client_session_ticket(struct client_session *cs, const gnutls_datum_t *msg);

/* After kTLS is installed and rep describes the session: a resumed
 * session reports its original's peer facts; count resumed or full for
 * the profile; keep what the server gave us for next time. */
void client_session_end(struct client_session *cs, const struct hs_job *job,
			gnutls_session_t session, struct ktls_hs_reply *rep);

void client_session_free(struct client_session *cs);

/* At start and after each reload, with the config now in force: the
 * cache's bounds, and every entry whose profile is gone, has the cache
 * off, or trusts something else now (CA, verify, priority, client
 * certificate) dropped. */
void client_session_apply_config(const struct cfg *cfg);

#endif

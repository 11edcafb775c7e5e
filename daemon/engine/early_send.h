/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Client TLS 1.3 0-RTT: the caller's first bytes (request TLV
 * KTLS_TLV_EARLY_DATA) sent as early data when the cached ticket the
 * handshake resumes with allows it, and what the server did with them
 * (reply TLVs 52-53).  libktls writes whatever was not accepted after the
 * handoff (lib/ktls_early.c).  engine/handshake.c calls these on the
 * client path only; the doors and the worker own and free the bytes.
 */
#ifndef KTLSD_EARLY_SEND_H
#define KTLSD_EARLY_SEND_H

#include <gnutls/gnutls.h>
#include <stddef.h>

#include "engine/job.h"
#include "ktls_proto.h"
#include "sessions/client_cache.h"

struct early_send {
	size_t ticket_max;		/* the offered ticket's max_early_data; 0: none */
	size_t queued;			/* bytes handed to GnuTLS as 0-RTT */
};

/* The door: replace the request's borrowed early bytes (they point into
 * the message buffer, ktls_proto.h) with the job's own copy.  0, -ENOMEM. */
int early_send_own(struct ktls_hs_request *req);
/* Wipe and free the request's copy (any time; idempotent). */
void early_send_drop(struct ktls_hs_request *req);

/* Before gnutls_init(): the init flags this client job needs, given the
 * cached session it will offer (hit, may be NULL; offered: it will be).
 * GNUTLS_ENABLE_EARLY_DATA only for an application request carrying early
 * bytes and a TLS 1.3 ticket whose max_early_data (hit->facts) is not 0:
 * with the flag GnuTLS 3.7 announces early data on any TLS 1.3
 * resumption, whatever the ticket allows. */
unsigned early_send_init_flags(struct early_send *es, const struct hs_job *job,
			       const struct client_cache_hit *hit, int offered);

/* After the cached session is set (offered): queue up to ticket_max of
 * the bytes; GnuTLS sends them right after the ClientHello. */
void early_send_queue(struct early_send *es, const struct hs_job *job,
		      gnutls_session_t session);

/* After the handshake: the reply's early status and accepted bytes,
 * counted for the profile; the job's copy is wiped. */
void early_send_end(struct early_send *es, struct hs_job *job, gnutls_session_t session,
		    struct ktls_hs_reply *rep);

/* "accepted", "rejected", "not_offered", "none" (logs, ktls(1)). */
const char *early_send_status_name(unsigned status);

/* Per-profile counters into st->early_client (`ktls status`). */
void early_send_snapshot(struct ktls_status_reply *st);

#endif

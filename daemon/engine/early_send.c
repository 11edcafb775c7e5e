// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Client TLS 1.3 0-RTT (early_send.h).
 *
 * When: an application request (never the kernel's: its peers do not
 * resume, and nothing there could resend) that carries early bytes, on a
 * handshake that offers a cached TLS 1.3 ticket whose max_early_data is
 * not 0.  The ticket is the one the session cache keyed for exactly this
 * request (profile, name, port, ALPN, verify, identity, trust), so early
 * data only ever goes to the server that issued the ticket, under the
 * verification the full handshake did.  No ticket: no early data (a full
 * handshake never carries any; GnuTLS sends it only when resuming).
 *
 * What the reply says: accepted (GNUTLS_SFLAGS_EARLY_DATA: the server's
 * EncryptedExtensions had early_data) with the bytes sent, which may be a
 * prefix when the caller gave more than the ticket allows; rejected (the
 * server skipped them, or did not resume); not offered.  libktls writes
 * the rest after the handoff.  GnuTLS encrypts 0-RTT records under the
 * early traffic key and EndOfEarlyData under the handshake key, so the
 * application traffic keys kTLS gets start at sequence 0 either way.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/profile_counters.h"
#include "engine/early_send.h"
#include "process/log.h"

int early_send_own(struct ktls_hs_request *req)
{
	uint8_t *copy;

	if (!req->early_data || !req->early_data_len) {
		req->early_data = NULL;
		req->early_data_len = 0;
		return 0;
	}
	copy = malloc(req->early_data_len);
	if (!copy) {
		req->early_data = NULL;
		req->early_data_len = 0;
		return -ENOMEM;
	}
	memcpy(copy, req->early_data, req->early_data_len);
	req->early_data = copy;
	return 0;
}

void early_send_drop(struct ktls_hs_request *req)
{
	if (req->early_data) {
		explicit_bzero(req->early_data, req->early_data_len);
		free(req->early_data);
	}
	req->early_data = NULL;
	req->early_data_len = 0;
}

unsigned early_send_init_flags(struct early_send *es, const struct hs_job *job,
			       const struct client_cache_hit *hit, int offered)
{
	memset(es, 0, sizeof(*es));
	if (job->origin != JOB_FROM_APP || job->override || job->req.role != KTLS_ROLE_CLIENT ||
	    !job->req.early_data_len || !offered)
		return 0;
	/* What the server's ticket said (client_session.c reads it from the
	 * NewSessionTicket), not gnutls_record_get_max_early_data_size() on
	 * the restored session: GnuTLS 3.7.9 starts a client at UINT32_MAX
	 * and keeps that, or a resumed ticket's value, for a ticket without
	 * the early_data extension, so every ticket would look 0-RTT-ready
	 * (t_early_client.sh met servers that then rejected or aborted). */
	es->ticket_max = hit && hit->tls13 ? hit->facts.max_early_data : 0;
	log_debug("early data for %s: %u bytes, the cached ticket allows %zu", job->peer_addr,
		  (unsigned)job->req.early_data_len, es->ticket_max);
	return es->ticket_max ? GNUTLS_ENABLE_EARLY_DATA : 0;
}

void early_send_queue(struct early_send *es, const struct hs_job *job,
		      gnutls_session_t session)
{
	size_t n = job->req.early_data_len;
	ssize_t rc;

	if (!es->ticket_max || !job->req.early_data)
		return;
	if (n > es->ticket_max)
		n = es->ticket_max;	/* the tail goes as 1-RTT (libktls) */
	rc = gnutls_record_send_early_data(session, job->req.early_data, n);
	if (rc < 0) {
		log_debug("early data for %s not queued: %s", job->peer_addr,
			  gnutls_strerror((int)rc));
		return;
	}
	es->queued = n;
}

/* ---- per-profile counters ---------------------------------------------------- */

static struct profile_counters early_counts = PROFILE_COUNTERS_INIT;

static void early_count(const char *profile, enum ktls_status_early_client_counter what)
{
	profile_counters_add(&early_counts, profile, (unsigned)what, 1);
}

void early_send_snapshot(struct ktls_status_reply *st)
{
	st->n_early_client = profile_counters_snapshot(&early_counts, st->early_client);
}

void early_send_end(struct early_send *es, struct hs_job *job, gnutls_session_t session,
		    struct ktls_hs_reply *rep)
{
	const char *profile = job->profile ? job->profile->name : NULL;

	rep->early_status = KTLS_EARLY_DATA_NONE;
	rep->early_accepted = 0;
	if (job->req.role == KTLS_ROLE_CLIENT && job->req.early_data_len) {
		if (!es->queued) {
			rep->early_status = KTLS_EARLY_DATA_NOT_SENT;
			early_count(profile, KTLS_EARLY_CLIENT_NOT_OFFERED);
		} else {
			early_count(profile, KTLS_EARLY_CLIENT_OFFERED);
			if (gnutls_session_get_flags(session) & GNUTLS_SFLAGS_EARLY_DATA) {
				rep->early_status = KTLS_EARLY_DATA_ACCEPTED;
				rep->early_accepted = (uint32_t)es->queued;
				early_count(profile, KTLS_EARLY_CLIENT_ACCEPTED);
			} else {
				rep->early_status = KTLS_EARLY_DATA_REJECTED;
				early_count(profile, KTLS_EARLY_CLIENT_REJECTED);
			}
		}
	}
	early_send_drop(&job->req);
}

const char *early_send_status_name(unsigned status)
{
	switch ((enum ktls_early_data_status)status) {
	case KTLS_EARLY_DATA_NONE: return "none";
	case KTLS_EARLY_DATA_NOT_SENT: return "not_offered";
	case KTLS_EARLY_DATA_ACCEPTED: return "accepted";
	case KTLS_EARLY_DATA_REJECTED: return "rejected";
	}
	return "?";
}

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
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static pthread_mutex_t early_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ktls_status_sessions early_counts[KTLS_STATUS_MAX_PROFILES];
static unsigned n_early_counts;

/* Bounded like session_stats.c: past the table, "(other)". */
static void early_count(const char *profile, enum ktls_status_early_client_counter what)
{
	unsigned i;

	if (!profile || !profile[0])
		profile = "-";
	pthread_mutex_lock(&early_lock);
	for (i = 0; i < n_early_counts; i++)
		if (!strncmp(early_counts[i].name, profile, KTLS_STATUS_NAME_MAX - 1))
			break;
	if (i == n_early_counts && n_early_counts < KTLS_STATUS_MAX_PROFILES) {
		snprintf(early_counts[i].name, sizeof(early_counts[i].name), "%s",
			 n_early_counts == KTLS_STATUS_MAX_PROFILES - 1 ? "(other)" : profile);
		n_early_counts++;
	}
	if (i == KTLS_STATUS_MAX_PROFILES)
		i = KTLS_STATUS_MAX_PROFILES - 1;
	early_counts[i].count[what]++;
	pthread_mutex_unlock(&early_lock);
}

void early_send_snapshot(struct ktls_status_reply *st)
{
	pthread_mutex_lock(&early_lock);
	memcpy(st->early_client, early_counts, n_early_counts * sizeof(early_counts[0]));
	st->n_early_client = (uint16_t)n_early_counts;
	pthread_mutex_unlock(&early_lock);
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

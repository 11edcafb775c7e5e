// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The client session cache's hooks in the handshake engine.
 *
 * What is kept: gnutls_session_get_data2() after a successful handshake,
 * which holds the server's ticket (TLS 1.3 NewSessionTicket, or a TLS 1.2
 * session ticket) or the TLS 1.2 session ID, with the master or
 * resumption secret that goes with it.  In TLS 1.3 that is only asked for
 * once a ticket has arrived: without one, GnuTLS would wait for it by
 * reading from the socket, and what it read would be lost to kTLS.
 *
 * What a resumed session reports: the peer facts of the full handshake it
 * descends from (certificate, subject, fingerprint, verified), kept with
 * the entry, because a resumed handshake carries no certificate and GnuTLS
 * need not restore one.  A resumption is only possible under the key that
 * verified those facts (client_cache.h), so they still hold.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "base/clock.h"
#include "keys/creds.h"
#include "process/log.h"
#include "sessions/client_session.h"
#include "sessions/session_stats.h"
#include "sessions/ticket_memory.h"

int client_session_eligible(const struct hs_job *job, int uses_psk)
{
	const struct cfg_ref *ref = job->cfg;

	return job->req.role == KTLS_ROLE_CLIENT && !job->override && !uses_psk &&
	       job->profile && job->profile->session_cache && job->profile->creds &&
	       (!ref || ref->cfg->session_cache_entries > 0);
}

/* The server's address when no name was given (verify none): a session
 * made with one server is never offered to another. */
static void peer_of(int fd, char *host, size_t host_len, uint16_t *port)
{
	struct sockaddr_storage ss = { .ss_family = AF_UNSPEC };
	socklen_t len = sizeof(ss);

	snprintf(host, host_len, "?");
	*port = 0;
	if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
		return;
	if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &sin->sin_addr, host, (socklen_t)host_len);
		*port = ntohs(sin->sin_port);
	} else if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &sin6->sin6_addr, host, (socklen_t)host_len);
		*port = ntohs(sin6->sin6_port);
	}
}

void client_session_prepare(struct client_session *cs, const struct hs_job *job,
			    enum ktls_verify verify)
{
	char address[INET6_ADDRSTRLEN + 8], server[KTLS_NAME_MAX + 8];
	struct client_cache_key key = { 0 };

	memset(cs, 0, sizeof(*cs));
	cs->enabled = 1;
	peer_of(job->sock_fd, address, sizeof(address), &key.port);
	/* "name:" and "addr:" cannot collide: a name is never "addr:..." */
	if (job->req.server_name[0])
		snprintf(server, sizeof(server), "name:%s", job->req.server_name);
	else
		snprintf(server, sizeof(server), "addr:%s", address);
	key.profile = job->profile->name;
	key.server = server;
	key.alpn = job->req.alpn;
	key.alpn_len = job->req.alpn_len;
	key.verify = (uint8_t)verify;
	key.client_identity = job->req.psk_identity;
	key.trust_digest = job->profile->creds->trust_digest;
	client_cache_key_id(&key, cs->id);
	if (job->req.no_resume)
		return;
	if (client_cache_take(cs->id, job->profile->name, clock_now_ms(), &cs->hit) < 0)
		return;
	cs->taken = 1;
}

void client_session_offer(struct client_session *cs, gnutls_session_t session)
{
	int rc;

	if (!cs->taken)
		return;
	rc = gnutls_session_set_data(session, cs->hit.data, cs->hit.len);
	if (rc < 0) {
		log_debug("cached session not usable: %s", gnutls_strerror(rc));
		client_cache_hit_free(&cs->hit);
		cs->taken = 0;
		return;
	}
	cs->offered = 1;
}

void client_session_begin(struct client_session *cs, const struct hs_job *job,
			  gnutls_session_t session, enum ktls_verify verify)
{
	client_session_prepare(cs, job, verify);
	client_session_offer(cs, session);
}

void client_session_ticket(struct client_session *cs, const gnutls_datum_t *msg)
{
	/* TLS 1.3 and TLS 1.2 NewSessionTicket both begin with a u32
	 * lifetime in seconds (RFC 8446 4.6.1, RFC 5077 3.3). */
	if (!msg || !msg->data || msg->size < 4)
		return;
	cs->ticket_lifetime_s = (uint32_t)msg->data[0] << 24 | (uint32_t)msg->data[1] << 16 |
				(uint32_t)msg->data[2] << 8 | msg->data[3];
	cs->ticket_seen = 1;
	/* a TLS 1.2 ticket does not parse as 1.3 or yields junk: keep()
	 * uses the value for TLS 1.3 sessions only */
	if (client_session_nst_max_early(msg->data, msg->size, &cs->ticket_max_early) < 0)
		cs->ticket_max_early = 0;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* RFC 8446 4.6.1: u32 lifetime, u32 age_add, nonce<0..255>,
 * ticket<1..2^16-1>, extensions<0..2^16-2>; early_data is type 42 with a
 * u32.  Every length is checked before the bytes behind it are read. */
int client_session_nst_max_early(const uint8_t *msg, size_t len, uint32_t *max)
{
	size_t off = 8, ext_end;

	*max = 0;
	if (!msg || len < off + 1 || len - off - 1 < msg[off])
		return -EBADMSG;
	off += 1 + (size_t)msg[off];				/* nonce */
	if (len - off < 2 || len - off - 2 < (size_t)(msg[off] << 8 | msg[off + 1]))
		return -EBADMSG;
	off += 2 + (size_t)(msg[off] << 8 | msg[off + 1]);	/* ticket */
	if (len - off < 2 || len - off - 2 != (size_t)(msg[off] << 8 | msg[off + 1]))
		return -EBADMSG;
	ext_end = len;
	for (off += 2; off < ext_end;) {
		size_t type, ext_len;

		if (ext_end - off < 4)
			return -EBADMSG;
		type = (size_t)(msg[off] << 8 | msg[off + 1]);
		ext_len = (size_t)(msg[off + 2] << 8 | msg[off + 3]);
		off += 4;
		if (ext_end - off < ext_len)
			return -EBADMSG;
		if (type == 42) {
			if (ext_len != 4)
				return -EBADMSG;
			*max = be32(msg + off);
		}
		off += ext_len;
	}
	return 0;
}

/* The peer facts of the handshake this one resumed. */
static void report_original(const struct client_cache_facts *f, struct ktls_hs_reply *rep)
{
	snprintf(rep->peer_subject, sizeof(rep->peer_subject), "%s", f->peer_subject);
	memcpy(rep->peer_fingerprint, f->peer_fingerprint, sizeof(rep->peer_fingerprint));
	rep->has_fingerprint = f->has_fingerprint;
	rep->peer_verified = f->peer_verified;
	rep->peer_cert_len = 0;
	if (f->peer_cert && f->peer_cert_len <= sizeof(rep->peer_cert)) {
		memcpy(rep->peer_cert, f->peer_cert, f->peer_cert_len);
		rep->peer_cert_len = f->peer_cert_len;
	}
}

/* Is there anything to resume with next time? */
static int resumable(const struct client_session *cs, gnutls_session_t session, int tls13)
{
	gnutls_datum_t sid = { NULL, 0 };
	int ticket = (gnutls_session_get_flags(session) & GNUTLS_SFLAGS_SESSION_TICKET) != 0;

	if (tls13)	/* see the top: never ask GnuTLS before a ticket came */
		return ticket && cs->ticket_seen && cs->ticket_lifetime_s > 0;
	if (ticket)
		return 1;
	return gnutls_session_get_id2(session, &sid) == 0 && sid.size > 0;
}

static void keep(struct client_session *cs, const struct hs_job *job, gnutls_session_t session,
		 const struct ktls_hs_reply *rep)
{
	int tls13 = rep->version == KTLS_VERSION_1_3;
	struct client_cache_facts facts = {
		.has_fingerprint = rep->has_fingerprint,
		.peer_verified = rep->peer_verified,
		.peer_cert = rep->peer_cert_len ? rep->peer_cert : NULL,
		.peer_cert_len = rep->peer_cert_len,
		.max_early_data = tls13 ? cs->ticket_max_early : 0,
	};
	gnutls_datum_t data = { NULL, 0 };
	uint32_t lifetime = cs->ticket_seen ? cs->ticket_lifetime_s : 0;
	int rc;

	if (!resumable(cs, session, tls13))
		return;
	snprintf(facts.peer_subject, sizeof(facts.peer_subject), "%s", rep->peer_subject);
	memcpy(facts.peer_fingerprint, rep->peer_fingerprint, sizeof(facts.peer_fingerprint));
	if (gnutls_session_get_data2(session, &data) < 0 || !data.data)
		return;
	rc = client_cache_put(cs->id, job->profile->name, job->profile->creds->trust_digest,
			      tls13, lifetime, data.data, data.size, &facts, clock_now_ms());
	log_debug("session for %s kept (lifetime %us, early data %u): %s", job->peer_addr,
		  (unsigned)lifetime, (unsigned)facts.max_early_data, rc < 0 ? strerror(-rc) : "ok");
	if (rc < 0 && rc != -EINVAL)
		log_debug("session for %s not kept: %s", job->peer_addr, strerror(-rc));
	gnutls_memset(data.data, 0, data.size);
	gnutls_free(data.data);
}

void client_session_end(struct client_session *cs, const struct hs_job *job,
			gnutls_session_t session, struct ktls_hs_reply *rep)
{
	const char *profile = job->profile ? job->profile->name : NULL;

	if (rep->resumed && cs->offered)
		report_original(&cs->hit.facts, rep);
	session_stats_count(profile, rep->resumed ? SESSION_STAT_RESUMED : SESSION_STAT_FULL);
	/* A server that resumed our ticket issues tickets: if the next one
	 * missed the wait, it came late (a loaded server), and remembering
	 * the server as ticketless would stop the waits, and so resumption
	 * to it, for TICKET_MEMORY_TTL_MS. */
	if (cs->enabled && cs->waited && rep->version == KTLS_VERSION_1_3)
		ticket_memory_note(cs->id, cs->ticket_seen || rep->resumed, clock_now_ms());
	if (cs->enabled)
		keep(cs, job, session, rep);
	client_cache_hit_free(&cs->hit);
}

void client_session_free(struct client_session *cs)
{
	if (cs)
		client_cache_hit_free(&cs->hit);
}

/* An entry stays across a reload only if its profile still exists, still
 * keeps sessions, and still trusts exactly what it trusted when the
 * session was verified (creds.h: trust_digest). */
static int still_trusted(const char *profile, const uint8_t *trust_digest, void *ctx)
{
	const struct cfg *cfg = ctx;
	const struct cfg_profile *p = cfg_find_profile(cfg, profile);

	return p && p->session_cache && p->creds &&
	       memcmp(p->creds->trust_digest, trust_digest, CLIENT_CACHE_DIGEST_LEN) == 0;
}

void client_session_apply_config(const struct cfg *cfg)
{
	size_t dropped;

	client_cache_configure(cfg->session_cache_entries, cfg->session_cache_bytes);
	dropped = client_cache_purge(still_trusted, (void *)(uintptr_t)cfg);
	if (dropped)
		log_info("session cache: %zu session%s dropped (profile gone, cache off, or its "
			 "trust changed)", dropped, dropped == 1 ? "" : "s");
}

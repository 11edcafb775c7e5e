// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The handshake engine: one non-blocking GnuTLS session per job.
 *
 * The socket we drive is the application's own open file description, so we
 * never change its flags (O_NONBLOCK would leak into the application):
 * GnuTLS's transport goes through send/recv with MSG_DONTWAIT instead.
 * GnuTLS reads a TLS stream exactly record by record (header, then body), so
 * when the handshake ends nothing past the peer's Finished has left the
 * kernel: early application data stays queued for kTLS RX to decrypt.
 *
 * TLS 1.3 NewSessionTicket: servers (OpenSSL, gnutls-serv) send tickets
 * even to a client that set GNUTLS_NO_TICKETS.  As a client we drain them
 * before the handoff (drain_tickets() below) so an application's plain
 * read() does not fail with EIO; ktls_recv() consumes any that come later.
 * With the profile's session cache on (sessions/client_session.h) the
 * tickets drained, TLS 1.2 tickets and session IDs are kept, and the next
 * handshake to the same server resumes with them.
 *
 * As a server we issue tickets and keep TLS 1.2 session IDs where the
 * profile says so (sessions/server_resume.c).  Every NewSessionTicket is
 * written inside gnutls_handshake(): TLS 1.2's before our Finished, TLS
 * 1.3's right after our Finished (GnuTLS 3.7 sends them before it reads
 * the client's Finished when it asked for no client certificate, after it
 * otherwise), always before the call returns success.  So all of them
 * have gone through GnuTLS's record layer (and its sequence numbers)
 * before hs_complete() reads the state for kTLS; t_resume_server.sh
 * checks data after resumption both ways.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "keys/creds.h"
#include "engine/handshake.h"
#include "engine/early_send.h"
#include "engine/hs_failure.h"
#include "ktls_gnutls.h"
#include "ktls_hkdf.h"
#include "process/log.h"
#include "engine/record_peek.h"
#include "sessions/client_session.h"
#include "sessions/ticket_memory.h"
#include "base/clock.h"
#include "sessions/server_resume.h"
#include "sessions/early_data.h"

struct hs_session {
	gnutls_session_t session;
	gnutls_psk_client_credentials_t psk_client;	/* per request identity */
	gnutls_psk_server_credentials_t psk_server;	/* per request keys (override) */
	struct hs_job *job;
	int role;
	int failure_errno;		/* with failure: set by our callbacks */
	unsigned verify_status;		/* verify_if_sent()'s verdict */
	char failure[KTLS_REASON_MAX];
	int psk_only;			/* the PSK authenticates the peer, or nothing does */
	int verifies_cert;		/* a peer certificate, if any, is verified */
	int has_alert;			/* on failure send alert, not the "appropriate" one */
	gnutls_alert_description_t alert;
	int handshake_done;		/* then draining tickets, see drain_tickets() */
	int wait_for_timer;		/* a partial record: poll by timer, not by EPOLLIN */
	int nodelay_borrowed;		/* we set TCP_NODELAY; hs_return_socket() clears it */
	uint64_t drain_until_ms;
	uint64_t hello_sent_ms;		/* client: first push (the ClientHello) */
	uint64_t answer_ms;		/* client: from it to the server's first bytes */
	unsigned tickets_drained;
	ssize_t read_budget;		/* bytes GnuTLS may read; -1: unlimited */
	struct srv_resume resume;	/* server: tickets and session IDs */
	struct client_session sess;	/* client: the session cache's part */
	struct early_srv early_in;	/* server: 0-RTT (sessions/early_data.h) */
	int sess_eligible;		/* client: the cache is used (prepared in hs_start) */
	struct early_send early_out;	/* client: 0-RTT (engine/early_send.h) */
	/* TLS 1.3 application traffic secrets (keylog), for the app's KeyUpdate */
	uint8_t client_secret[KTLS_SECRET_MAX], server_secret[KTLS_SECRET_MAX];
	unsigned client_secret_len, server_secret_len;
};

/*
 * GnuTLS queues a whole flight (TLS 1.3: ServerHello to Finished) and
 * flushes its records with one vector push.  One sendmsg() puts them on
 * the wire together: a push per record would let Nagle hold the second
 * small segment until the peer ACKs the first, which it delays (~40 ms).
 * A short write or EAGAIN is GnuTLS's to handle: it drops the bytes sent
 * from its queue and pushes the rest on the next hs_step().
 */
static ssize_t transport_vec_push(gnutls_transport_ptr_t ptr, const giovec_t *iov, int iovcnt)
{
	const struct hs_job *job = ptr;
	struct msghdr msg = { .msg_iov = (struct iovec *)(uintptr_t)iov,
			      .msg_iovlen = (size_t)iovcnt };

	if (job->hs->role == KTLS_ROLE_CLIENT && !job->hs->hello_sent_ms)
		job->hs->hello_sent_ms = clock_now_ms();
	return sendmsg(job->sock_fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
}

static ssize_t transport_pull(gnutls_transport_ptr_t ptr, void *data, size_t len)
{
	const struct hs_job *job = ptr;
	struct hs_session *hs = job->hs;
	ssize_t n;

	if (hs->read_budget == 0) {
		errno = EAGAIN;
		return -1;
	}
	if (hs->read_budget > 0 && len > (size_t)hs->read_budget)
		len = (size_t)hs->read_budget;
	n = recv(job->sock_fd, data, len, MSG_DONTWAIT);
	if (n > 0 && hs->read_budget > 0)
		hs->read_budget -= n;
	if (n > 0 && hs->hello_sent_ms && !hs->answer_ms)
		hs->answer_ms = clock_now_ms() - hs->hello_sent_ms + 1;	/* 0: not yet */
	return n;
}

/* GnuTLS asks "is there data within ms?"; we are event driven: never wait. */
static int transport_pull_timeout(gnutls_transport_ptr_t ptr, unsigned int ms)
{
	const struct hs_job *job = ptr;
	char byte;
	ssize_t n = recv(job->sock_fd, &byte, 1, MSG_DONTWAIT | MSG_PEEK);

	if (n > 0)
		return 1;
	if (n == 0)
		return 1;	/* EOF is "data": let the read report it */
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return 0;
	return -1;
}

static int is_ip_literal(const char *name)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, name, buf) == 1 || inet_pton(AF_INET6, name, buf) == 1;
}

static int set_alpn(gnutls_session_t s, const uint8_t *wire, uint16_t wire_len)
{
	gnutls_datum_t protos[32];
	unsigned n = 0;

	for (uint16_t off = 0; off < wire_len && n < 32;) {
		uint8_t len = wire[off];
		protos[n].data = (unsigned char *)(uintptr_t)(wire + off + 1);
		protos[n].size = len;
		n++;
		off += 1 + len;
	}
	return n ? gnutls_alpn_set_protocols(s, protos, n, 0) : 0;
}

/* PSK key exchange only where PSK credentials exist: see build_priority()
 * in creds.c for why a client must not offer it otherwise. */
static int uses_psk(const struct hs_session *hs, const struct creds *c)
{
	const struct hs_override *ov = hs->job->override;

	if (hs->role == KTLS_ROLE_SERVER)
		return hs->psk_server || c->psk_server;
	return (ov && ov->psk_key_len) || hs->job->req.psk_identity[0] || c->psk_client;
}

enum psk_mode { PSK_NONE, PSK_ONLY, PSK_OR_CERTIFICATE };

/* A session with PSK credentials is authenticated by the PSK alone, unless
 * its profile says psk_fallback = certificate.  A kernel request's own key
 * (auth mode PSK) never falls back: the kernel asked for PSK. */
static enum psk_mode psk_mode(const struct hs_session *hs, const struct cfg_profile *p)
{
	const struct hs_override *ov = hs->job->override;

	if (!uses_psk(hs, p->creds))
		return PSK_NONE;
	if ((ov && (ov->psk_key_len || ov->psk_lookup)) ||
	    p->psk_fallback != CFG_PSK_FALLBACK_CERTIFICATE)
		return PSK_ONLY;
	return PSK_OR_CERTIFICATE;
}

/* Point the session at a profile's credentials and priorities.  Called
 * again when SNI switches the profile, so it starts from no credentials.
 * A PSK-only session gets no certificate credentials at all: GnuTLS then
 * cannot accept (client) or offer (server) a certificate in their place,
 * and check_peer_auth() confirms it after the handshake. */
static int use_profile(struct hs_session *hs, const struct cfg_profile *p)
{
	struct creds *c = p->creds;
	const struct hs_override *ov = hs->job->override;
	enum psk_mode mode = psk_mode(hs, p);
	gnutls_priority_t priority = NULL;
	int rc = 0;

	switch (mode) {
	case PSK_NONE:
		priority = c->priority;
		break;
	case PSK_ONLY:
		priority = c->priority_psk;
		break;
	case PSK_OR_CERTIFICATE:
		priority = c->priority_psk_fallback;
		break;
	}
	gnutls_credentials_clear(hs->session);
	rc = priority ? gnutls_priority_set(hs->session,
					    priority) : GNUTLS_E_NO_PRIORITIES_WERE_SET;
	if (rc == 0 && mode != PSK_ONLY)
		rc = gnutls_credentials_set(hs->session, GNUTLS_CRD_CERTIFICATE,
					    ov && ov->x509 ? ov->x509 : c->x509);
	if (rc == 0 && hs->role == KTLS_ROLE_SERVER && hs->psk_server)
		rc = gnutls_credentials_set(hs->session, GNUTLS_CRD_PSK, hs->psk_server);
	else if (rc == 0 && hs->role == KTLS_ROLE_SERVER && c->psk_server)
		rc = gnutls_credentials_set(hs->session, GNUTLS_CRD_PSK, c->psk_server);
	gnutls_session_set_ptr(hs->session, c);	/* creds_psk_server_lookup() */
	hs->psk_only = mode == PSK_ONLY;
	hs->job->profile = p;
	return rc;
}

/* A profile's policy for this role: a "both" profile may leave verify
 * unset, meaning "verify servers, ask clients for nothing". */
static enum ktls_verify profile_verify(const struct hs_job *job, const struct cfg_profile *p)
{
	if (p->verify != KTLS_VERIFY_DEFAULT)
		return p->verify;
	return job->req.role == KTLS_ROLE_CLIENT ? KTLS_VERIFY_REQUIRED : KTLS_VERIFY_NONE;
}

static enum ktls_verify effective_verify(const struct hs_job *job)
{
	enum ktls_verify want = job->req.verify;

	return want == KTLS_VERIFY_DEFAULT ? profile_verify(job, job->profile) : want;
}

/* A request may tighten the profile's verification, never loosen it. */
static int check_verify_request(const struct hs_job *job, const struct cfg_profile *p,
				const char *how, char *reason, size_t reason_len)
{
	enum ktls_verify asked = job->req.verify, profile = profile_verify(job, p);

	if (asked == KTLS_VERIFY_DEFAULT || profile == KTLS_VERIFY_NONE)
		return 0;
	if (asked == KTLS_VERIFY_NONE || (asked == KTLS_VERIFY_OPTIONAL &&
					  profile == KTLS_VERIFY_REQUIRED)) {
		snprintf(reason, reason_len, "profile \"%s\"%s requires peer verification; "
			 "the request may not turn it off", p->name, how);
		return -EPERM;
	}
	return 0;
}

/*
 * Everything a request is checked against before a profile serves it,
 * whichever way the profile was chosen: named, the role default, or by the
 * peer's SNI (on_client_hello()).  The caller's ACL (application requests;
 * a kernel request has no local caller), then the request's settings: only
 * verification can be loosened by a request (ALPN, server name, timeout
 * and PSK identity choose within what the profile allows).
 */
static int check_request_fits(const struct hs_job *job, const struct cfg_profile *p,
			      const char *how, char *reason, size_t reason_len)
{
	const struct peer_cred *who = &job->caller;

	if (job->conn_fd >= 0 &&
	    !cfg_peer_allowed(p, who->uid, who->gid, who->groups, who->n_groups)) {
		snprintf(reason, reason_len, "uid %u gid %u may not use profile \"%s\"%s%s",
			 (unsigned)who->uid, (unsigned)who->gid, p->name, how,
			 who->groups_over ? " (the caller is in more than " PEER_GROUPS_MAX_STR
					    " groups: only its primary group counts)" : "");
		return -EPERM;
	}
	return check_verify_request(job, p, how, reason, reason_len);
}

static int use_client_psk(struct hs_session *hs, const char *identity,
			  const gnutls_datum_t *key, char *reason, size_t reason_len)
{
	int rc = gnutls_psk_allocate_client_credentials(&hs->psk_client);

	if (rc == 0)
		rc = gnutls_psk_set_client_credentials(hs->psk_client, identity, key,
						       GNUTLS_PSK_KEY_RAW);
	if (rc == 0)
		rc = gnutls_credentials_set(hs->session, GNUTLS_CRD_PSK, hs->psk_client);
	if (rc < 0) {
		snprintf(reason, reason_len, "PSK setup: %s", gnutls_strerror(rc));
		return -ENOMEM;
	}
	return 0;
}

/* A per-request key (kernel) wins; else the identity the application asked
 * for, from the profile's PSK file. */
static int setup_client_psk(struct hs_session *hs, char *reason, size_t reason_len)
{
	const struct hs_override *ov = hs->job->override;
	const char *identity = hs->job->req.psk_identity;
	const struct psk_entry *psk;
	gnutls_datum_t key;

	if (ov && ov->psk_key_len) {
		key.data = (unsigned char *)(uintptr_t)ov->psk_key;
		key.size = ov->psk_key_len;
		return use_client_psk(hs, ov->psk_identity, &key, reason, reason_len);
	}
	if (!identity[0]) {	/* the profile's PSK file: its first identity */
		const struct creds *c = hs->job->profile->creds;
		return c->psk_client ? (gnutls_credentials_set(hs->session, GNUTLS_CRD_PSK,
							       c->psk_client) < 0 ? -ENOMEM : 0) : 0;
	}
	psk = creds_find_psk(hs->job->profile->creds, identity);
	if (!psk) {
		snprintf(reason, reason_len, "profile \"%s\" has no PSK with identity \"%s\"",
			 hs->job->profile->name, identity);
		return -ENOKEY;
	}
	return use_client_psk(hs, psk->identity, &psk->key, reason, reason_len);
}

/* GnuTLS server PSK callback for per-request keys (struct hs_override). */
static int override_psk_lookup(gnutls_session_t session, const gnutls_datum_t *username,
			       gnutls_datum_t *key)
{
	struct hs_job *job = gnutls_transport_get_ptr(session);
	struct hs_override *ov = job->override;
	char identity[KTLS_NAME_MAX];
	uint8_t buf[64];
	unsigned key_len = 0;

	if (username->size >= sizeof(identity))
		return -1;
	memcpy(identity, username->data, username->size);
	identity[username->size] = '\0';
	if (ov->psk_lookup(ov, identity, buf, &key_len, sizeof(buf)) < 0) {
		snprintf(job->hs->failure, sizeof(job->hs->failure),
			 "unknown PSK identity \"%.200s\"", identity);
		job->hs->failure_errno = EKEYREJECTED;
		return -1;
	}
	key->data = gnutls_malloc(key_len);
	if (!key->data) {
		explicit_bzero(buf, sizeof(buf));
		return -1;
	}
	memcpy(key->data, buf, key_len);
	key->size = key_len;
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

/* A NewSessionTicket arrived (TLS 1.3 during the drain, TLS 1.2 in the
 * handshake): the session cache wants its lifetime. */
static int on_session_ticket(gnutls_session_t session, unsigned htype, unsigned when,
			     unsigned incoming, const gnutls_datum_t *msg)
{
	struct hs_job *job = gnutls_transport_get_ptr(session);

	if (incoming && htype == GNUTLS_HANDSHAKE_NEW_SESSION_TICKET)
		client_session_ticket(&job->hs->sess, msg);
	return 0;
}

static int setup_client(struct hs_session *hs, char *reason, size_t reason_len)
{
	struct hs_job *job = hs->job;
	const char *name = job->req.server_name;
	int rc;

	if (name[0] && !is_ip_literal(name))
		gnutls_server_name_set(hs->session, GNUTLS_NAME_DNS, name, strlen(name));
	/* PSK-only: the PSK is the server's proof, no certificate is taken.
	 * With psk_fallback a certificate is checked like any other. */
	if (effective_verify(job) != KTLS_VERIFY_NONE && !hs->psk_only) {
		if (!name[0]) {
			snprintf(reason, reason_len,
				 "a server name is required to verify the server "
				 "(set KTLS_SERVER_NAME, or KTLS_VERIFY none where allowed)");
			return -EINVAL;
		}
		gnutls_session_set_verify_cert(hs->session, name, 0);
		hs->verifies_cert = 1;
	}
	rc = setup_client_psk(hs, reason, reason_len);
	if (rc < 0)
		return rc;
	if (set_alpn(hs->session, job->req.alpn, job->req.alpn_len) < 0)
		return -EINVAL;
	if (hs->sess_eligible) {
		/* PRE: GnuTLS 3.7 hands the POST hook of a TLS 1.3 ticket the
		 * message already parsed (its extensions only). */
		gnutls_handshake_set_hook_function(hs->session, GNUTLS_HANDSHAKE_NEW_SESSION_TICKET,
						   GNUTLS_HOOK_PRE, on_session_ticket);
		client_session_offer(&hs->sess, hs->session);
		early_send_queue(&hs->early_out, job, hs->session);
	}
	return 0;
}

static int server_alpn(struct hs_session *hs)
{
	const struct creds *c = hs->job->profile->creds;

	if (hs->job->req.alpn_len)
		return set_alpn(hs->session, hs->job->req.alpn, hs->job->req.alpn_len);
	return c->n_alpn ? gnutls_alpn_set_protocols(hs->session, c->alpn, c->n_alpn, 0) : 0;
}

/*
 * Server resumption only where a resumed session means what a full one
 * would: a certificate profile (a PSK session's ticket would let its
 * holder skip the PSK lookup this request may depend on), no keys of the
 * request's own (the kernel's keyring keys), and the profile's own verify
 * policy (a resumed session inherits the original's client verification,
 * so a request that asks for more than the profile must see it done).
 * And only for applications: the kernel's peers (NFS, NVMe over TLS) do
 * not resume, and a TLS 1.3 ticket would be one more record for the peer's
 * kernel to meet after its handoff.
 */
static int resumption_allowed(const struct hs_session *hs, const struct cfg_profile *p)
{
	const struct hs_job *job = hs->job;

	return job->origin == JOB_FROM_APP && !job->override && psk_mode(hs, p) == PSK_NONE &&
	       (job->req.verify == KTLS_VERIFY_DEFAULT ||
		job->req.verify == profile_verify(job, p));
}

/* GNUTLS_CERT_REQUEST plus gnutls_session_set_verify_cert() fails a client
 * that sends no certificate (GnuTLS 3.7.9: "Error in the certificate",
 * status never set): verify what was sent, accept nothing sent. */
static int verify_if_sent(gnutls_session_t session)
{
	struct hs_job *job = gnutls_transport_get_ptr(session);
	unsigned n = 0;

	if (!gnutls_certificate_get_peers(session, &n) || n == 0)
		return 0;
	if (gnutls_certificate_verify_peers3(session, NULL, &job->hs->verify_status) < 0)
		job->hs->verify_status = GNUTLS_CERT_INVALID;
	return job->hs->verify_status ? -1 : 0;
}

static void server_cert_policy(struct hs_session *hs)
{
	hs->verifies_cert = 0;
	switch (effective_verify(hs->job)) {
	case KTLS_VERIFY_REQUIRED:
		gnutls_certificate_server_set_request(hs->session, GNUTLS_CERT_REQUIRE);
		gnutls_session_set_verify_cert(hs->session, NULL, 0);
		hs->verifies_cert = 1;
		break;
	case KTLS_VERIFY_OPTIONAL:
		gnutls_certificate_server_set_request(hs->session, GNUTLS_CERT_REQUEST);
		gnutls_session_set_verify_function(hs->session, verify_if_sent);
		hs->verifies_cert = 1;
		break;
	case KTLS_VERIFY_DEFAULT:
	case KTLS_VERIFY_NONE:
		gnutls_certificate_server_set_request(hs->session, GNUTLS_CERT_IGNORE);
		break;
	}
}

/* Fail the handshake from a GnuTLS callback: our errno and reason, and
 * the alert the peer gets. */
static int fail_in_callback(struct hs_session *hs, int err, gnutls_alert_description_t alert)
{
	hs->failure_errno = err;
	hs->alert = alert;
	hs->has_alert = 1;
	return GNUTLS_E_USER_ERROR;
}

/* After the ClientHello: a server request that named no profile follows
 * SNI, and the profile SNI picks is held to the request exactly like a
 * named one (check_request_fits()): a request cannot loosen it this way. */
static int on_client_hello(gnutls_session_t session)
{
	struct hs_job *job = gnutls_transport_get_ptr(session);
	struct hs_session *hs = job->hs;
	char sni[KTLS_NAME_MAX] = "", how[KTLS_NAME_MAX + 48];
	size_t sni_len = sizeof(sni) - 1;
	unsigned type;
	const struct cfg_profile *p = srv_resume_pinned(session, &hs->resume);

	if (p) {
		/* A TLS 1.2 session ID resumed: GnuTLS parses no SNI then; the
		 * session keeps the profile it was made under. */
		snprintf(how, sizeof(how), " (a resumed session made under it)");
		if (job->req.profile[0] && p != job->profile) {
			snprintf(hs->failure, sizeof(hs->failure), "a resumed session belongs "
				 "to profile \"%s\", not to the requested one", p->name);
			return fail_in_callback(hs, EPERM, GNUTLS_A_HANDSHAKE_FAILURE);
		}
	} else if (job->req.profile[0]) {
		p = job->profile;
	} else {
		if (gnutls_server_name_get(session, sni, &sni_len, &type, 0) < 0 ||
		    type != GNUTLS_NAME_DNS)
			sni[0] = '\0';
		p = cfg_select_profile(job->cfg->cfg, KTLS_ROLE_SERVER, NULL, sni);
		if (!p) {
			snprintf(hs->failure, sizeof(hs->failure),
				 "no server profile answers the name \"%s\"", sni);
			return fail_in_callback(hs, ENOENT, GNUTLS_A_UNRECOGNIZED_NAME);
		}
		snprintf(how, sizeof(how), " (selected by SNI \"%s\")", sni);
	}
	if (p != job->profile) {
		if (check_request_fits(job, p, how, hs->failure, sizeof(hs->failure)) < 0)
			return fail_in_callback(hs, EPERM, GNUTLS_A_ACCESS_DENIED);
		if (use_profile(hs, p) < 0)
			return GNUTLS_E_INTERNAL_ERROR;
		server_cert_policy(hs);
		if (server_alpn(hs) < 0)
			return GNUTLS_E_INTERNAL_ERROR;
	}
	/* The profile is final: tickets under its own key, if it and this
	 * request allow resumption at all. */
	hs->resume.allowed = resumption_allowed(hs, p);
	if (srv_resume_pinned(session, &hs->resume) && !hs->resume.allowed) {
		snprintf(hs->failure, sizeof(hs->failure), "a session of profile \"%s\" may not "
			 "be resumed by this request", p->name);
		return fail_in_callback(hs, EPERM, GNUTLS_A_HANDSHAKE_FAILURE);
	}
	if (srv_resume_profile(session, &hs->resume, p) < 0 ||
	    early_srv_profile(&hs->early_in, session, p) < 0)
		return GNUTLS_E_INTERNAL_ERROR;
	return 0;
}

/* The ClientHello as received: does it carry early data, with which
 * tickets (sessions/early_data.c)? */
static int on_server_hello_msg(gnutls_session_t session, unsigned htype, unsigned when,
			       unsigned incoming, const gnutls_datum_t *msg)
{
	struct hs_job *job = gnutls_transport_get_ptr(session);

	if (incoming && htype == GNUTLS_HANDSHAKE_CLIENT_HELLO)
		early_srv_client_hello(&job->hs->early_in, msg);
	return 0;
}

static int setup_server(struct hs_session *hs)
{
	gnutls_handshake_set_post_client_hello_function(hs->session, on_client_hello);
	gnutls_handshake_set_hook_function(hs->session, GNUTLS_HANDSHAKE_CLIENT_HELLO,
					   GNUTLS_HOOK_PRE, on_server_hello_msg);
	server_cert_policy(hs);
	return server_alpn(hs) < 0 ? -EINVAL : 0;
}

/* GnuTLS names every secret it derives here (this also keeps
 * SSLKEYLOGFILE from writing ours anywhere).  We keep the two that start
 * the application traffic key chains; everything else is ignored. */
static int keep_traffic_secret(gnutls_session_t session, const char *label,
			       const gnutls_datum_t *secret)
{
	struct hs_job *job = gnutls_transport_get_ptr(session);
	struct hs_session *hs = job->hs;
	uint8_t *dst = NULL;
	unsigned *dst_len = NULL;

	if (!strcmp(label, "CLIENT_TRAFFIC_SECRET_0")) {
		dst = hs->client_secret;
		dst_len = &hs->client_secret_len;
	} else if (!strcmp(label, "SERVER_TRAFFIC_SECRET_0")) {
		dst = hs->server_secret;
		dst_len = &hs->server_secret_len;
	}
	if (dst && secret->size <= KTLS_SECRET_MAX) {
		memcpy(dst, secret->data, secret->size);
		*dst_len = secret->size;
	}
	return 0;
}

/*
 * The vector push sends a flush in one sendmsg(), but some flights leave in
 * two: a server's ServerHello before its signature, a client's ClientHello
 * before its 0-RTT data.  Under Nagle the second waits for the peer's ACK
 * of the first (up to its delayed-ACK timeout).  So the handshake runs with
 * TCP_NODELAY, and the caller's own setting is back before it hears of the
 * outcome (hs_return_socket()): its socket options are never changed for
 * good.
 */
static void borrow_nodelay(struct hs_session *hs, int fd)
{
	int was = 0, on = 1;
	socklen_t len = sizeof(was);

	if (getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &was, &len) < 0 || was)
		return;		/* not TCP (a test's socketpair), or already on */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) == 0)
		hs->nodelay_borrowed = 1;
}

void hs_return_socket(struct hs_job *job)
{
	int off = 0;

	if (!job->hs || !job->hs->nodelay_borrowed || job->sock_fd < 0)
		return;
	(void)setsockopt(job->sock_fd, IPPROTO_TCP, TCP_NODELAY, &off, sizeof(off));
	job->hs->nodelay_borrowed = 0;
}

int hs_start(struct hs_job *job, char *reason, size_t reason_len)
{
	struct hs_session *hs = calloc(1, sizeof(*hs));
	unsigned flags = GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL;
	int rc;

	if (!hs) {
		snprintf(reason, reason_len, "out of memory");
		return -ENOMEM;
	}
	job->hs = hs;
	hs->job = job;
	hs->role = job->req.role;
	hs->read_budget = -1;
	borrow_nodelay(hs, job->sock_fd);
	rc = check_request_fits(job, job->profile, "", reason, reason_len);
	if (rc < 0)
		return rc;
	/* A client asks for tickets only when it will keep them; the cached
	 * session is taken now, because whether it may carry early data
	 * decides a gnutls_init() flag. */
	if (hs->role == KTLS_ROLE_SERVER) {
		flags |= GNUTLS_SERVER | (early_srv_wanted(&hs->early_in, job) ?
					  GNUTLS_ENABLE_EARLY_DATA : 0);
	} else {
		hs->sess_eligible = client_session_eligible(job, uses_psk(hs, job->profile->creds));
		flags |= GNUTLS_CLIENT | (hs->sess_eligible ? 0 : GNUTLS_NO_TICKETS);
		if (hs->sess_eligible) {
			client_session_prepare(&hs->sess, job, effective_verify(job));
			flags |= early_send_init_flags(&hs->early_out, job, &hs->sess.hit,
						       hs->sess.taken);
		}
	}
	if (hs->role == KTLS_ROLE_SERVER && job->override && job->override->psk_lookup) {
		if (gnutls_psk_allocate_server_credentials(&hs->psk_server) < 0) {
			snprintf(reason, reason_len, "out of memory");
			return -ENOMEM;
		}
		gnutls_psk_set_server_credentials_function2(hs->psk_server, override_psk_lookup);
	}
	if (gnutls_init(&hs->session, flags) < 0 || use_profile(hs, job->profile) < 0) {
		snprintf(reason, reason_len, "cannot set up a TLS session for profile \"%s\"",
			 job->profile->name);
		return -ENOMEM;
	}
	gnutls_transport_set_ptr(hs->session, job);
	gnutls_transport_set_vec_push_function(hs->session, transport_vec_push);
	gnutls_transport_set_pull_function(hs->session, transport_pull);
	gnutls_transport_set_pull_timeout_function(hs->session, transport_pull_timeout);
	if (hs->role == KTLS_ROLE_SERVER)
		(void)srv_resume_start(hs->session, &hs->resume, job->cfg->cfg, job->profile,
				       resumption_allowed(hs, job->profile));
	gnutls_session_set_keylog_function(hs->session, keep_traffic_secret);
	rc = hs->role == KTLS_ROLE_SERVER ? setup_server(hs) : setup_client(hs, reason, reason_len);
	if (rc < 0 && !reason[0])
		snprintf(reason, reason_len, "bad ALPN list in request");
	return rc;
}

int hs_wants_write(const struct hs_job *job)
{
	return !job->hs->handshake_done && gnutls_record_get_direction(job->hs->session) == 1;
}

int hs_wants_read(const struct hs_job *job)
{
	return !hs_wants_write(job) && !job->hs->wait_for_timer;
}

int hs_draining(const struct hs_job *job)
{
	return job->hs && job->hs->handshake_done;
}

/* GnuTLS error -> -errno and reason (hs_failure.c), from what this session
 * knows about why. */
static int map_failure(struct hs_session *hs, int gerr, char *reason, size_t reason_len)
{
	const struct hs_failure_facts facts = {
		.failure = hs->failure,
		.failure_errno = hs->failure_errno,
		.psk_only = hs->psk_only,
		.peer = hs->role == KTLS_ROLE_CLIENT ? "server" : "client",
		.server_name = hs->job->req.server_name,
		.verify_status = hs->verify_status ? hs->verify_status
						   : gnutls_session_get_verify_cert_status(hs->session),
		.alert = (int)gnutls_alert_get(hs->session),
	};

	return hs_failure_map(&facts, gerr, reason, reason_len);
}

/*
 * TLS 1.3 servers (OpenSSL, nginx, gnutls-serv) send NewSessionTicket records
 * right after our Finished, whether or not we asked for them.  Arriving
 * after the handoff they would make an application's plain read() fail with
 * EIO, so as a client we wait briefly for them: each complete record is
 * peeked and decrypted from a copy (record_peek.c); a record of tickets is
 * handed to GnuTLS, which may read exactly that record and no more; the
 * first data record, other handshake message (KeyUpdate) or EOF ends the
 * wait untouched for kTLS.
 * The wait is four round trips or twice the time the server took to answer
 * our ClientHello, whichever is longer, plus 100 ms (at most 5 s), cut to
 * 50 ms after each ticket taken (tickets come in a burst); a profile's
 * ticket_wait sets it instead (none: only what is already queued).  An
 * alert right after the handshake (a server rejecting our certificate in
 * TLS 1.3 says so only now) is handed to GnuTLS too, to report it.
 */
#define TICKET_GRACE_MS 50
/* Servers send one or two; more is a peer keeping us busy: the rest are
 * left to the application (ktls_recv() skips them). */
#define TICKETS_MAX 8
/* A record that has begun to arrive: the socket stays readable while its
 * rest is on the way, so "readable" cannot wake us; look again this often. */
#define PARTIAL_RECORD_POLL_MS 5
/* How long past the window a begun record may take to complete. */
#define PARTIAL_RECORD_MAX_MS 1000
/* The drain ends this long before the job's deadline, so that the worker
 * never fails a finished handshake for the tickets' sake. */
#define DRAIN_DEADLINE_MARGIN_MS 50
/* auto's ceiling: a loaded server answers late and sends its tickets late
 * alike (ktlsd serving 100 resumed handshakes at once in the VM: a
 * ticket came after the ~100 ms that four loopback round trips allowed,
 * and the application's read() failed with EIO).  Its cost, paid only to
 * a ticketless server that is slow to answer, is about twice the time it
 * took. */
#define TICKET_WAIT_AUTO_MAX_MS 5000

/*
 * Who decides the wait, in this order:
 *  1. the profile's ticket_wait, when an admin set one (none or a time):
 *     a time is a deliberate choice (a server known to send late, tickets
 *     worth keeping), so it holds for every caller;
 *  2. the request: a caller that reads with ktls_recv() (KTLS_RECV_TICKETS)
 *     consumes late tickets itself, so under auto it pays no wait (only
 *     the tickets already queued are taken) unless the session cache
 *     wants this server's next ticket and the server is not known to
 *     send none (sessions/ticket_memory.h): then it waits as auto does;
 *  3. auto: four round trips (TCP_INFO) or twice the server's answer to
 *     our ClientHello (hs->answer_ms: a round trip plus the server's
 *     load, which delays its tickets too), the longer, plus 100 ms, at
 *     most TICKET_WAIT_AUTO_MAX_MS.
 * *why names the rule for the debug log.
 */
static uint64_t drain_window_ms(const struct hs_job *job, const char **why)
{
	struct tcp_info info;
	socklen_t len = sizeof(info);
	uint64_t ms = 0;

	if (job->profile && job->profile->ticket_wait_ms != CFG_TICKET_WAIT_AUTO) {
		*why = "profile";
		return (uint64_t)job->profile->ticket_wait_ms;
	}
	/* A ktls_recv() caller needs no wait, but the session cache needs the
	 * next ticket: wait unless the server is known to send none
	 * (sessions/ticket_memory.h). */
	if (job->req.flags & KTLS_REQ_RECV_TICKETS) {
		if (!job->hs->sess.enabled ||
		    !ticket_memory_expect(job->hs->sess.id, clock_now_ms())) {
			*why = "request";
			return 0;
		}
		*why = "request, keeping tickets";
	} else {
		*why = "auto";
	}
	/* Servers make tickets after checking our Finished: allow for their
	 * CPU time too, not only the round trip (measured under emulation). */
	if (getsockopt(job->sock_fd, IPPROTO_TCP, TCP_INFO, &info, &len) == 0)
		ms = 4 * (uint64_t)info.tcpi_rtt / 1000;
	if (ms < 2 * job->hs->answer_ms)
		ms = 2 * job->hs->answer_ms;
	ms += 100;
	return ms > TICKET_WAIT_AUTO_MAX_MS ? TICKET_WAIT_AUTO_MAX_MS : ms;
}

static int wants_drain(const struct hs_session *hs)
{
	return hs->role == KTLS_ROLE_CLIENT &&
	       gnutls_protocol_get_version(hs->session) == GNUTLS_TLS1_3;
}

/* Let GnuTLS process exactly one queued record of record_len bytes. */
static int consume_ticket(struct hs_session *hs, size_t record_len, char *reason, size_t reason_len)
{
	char scratch[64];
	ssize_t n;

	hs->read_budget = (ssize_t)record_len;
	n = gnutls_record_recv(hs->session, scratch, sizeof(scratch));
	hs->read_budget = -1;
	if (n > 0) {	/* cannot happen: the record's inner type was handshake */
		explicit_bzero(scratch, sizeof(scratch));
		snprintf(reason, reason_len, "application data was read during the ticket drain");
		return -EPROTO;
	}
	if (n < 0 && n != GNUTLS_E_AGAIN && gnutls_error_is_fatal((int)n))
		return map_failure(hs, (int)n, reason, reason_len);
	hs->tickets_drained++;
	/* Servers send a burst (OpenSSL: two, written separately): wait a
	 * little for the next one, not the whole window; not at all for a
	 * ktls_recv() caller, which skips later tickets itself (GnuTLS's
	 * session data holds one ticket, the last: one per handshake is all
	 * the session cache gets anyway). */
	if (hs->job->req.flags & KTLS_REQ_RECV_TICKETS)
		hs->drain_until_ms = clock_now_ms();
	else if (hs->drain_until_ms > clock_now_ms() + TICKET_GRACE_MS)
		hs->drain_until_ms = clock_now_ms() + TICKET_GRACE_MS;
	return 0;
}

/* A fatal alert fails the handshake with its meaning; close_notify lets
 * the handoff go on (the application then reads EOF). */
static int consume_alert(struct hs_session *hs, size_t record_len, char *reason, size_t reason_len)
{
	char scratch[64];
	ssize_t n;

	hs->read_budget = (ssize_t)record_len;
	n = gnutls_record_recv(hs->session, scratch, sizeof(scratch));
	hs->read_budget = -1;
	if (n < 0 && gnutls_error_is_fatal((int)n))
		return map_failure(hs, (int)n, reason, reason_len);
	return 0;
}

/* The last moment the drain may wait: its window, never the deadline. */
static uint64_t drain_limit_ms(const struct hs_job *job, uint64_t until_ms)
{
	uint64_t last = job->deadline_ms > DRAIN_DEADLINE_MARGIN_MS ?
			job->deadline_ms - DRAIN_DEADLINE_MARGIN_MS : 0;

	return until_ms < last ? until_ms : last;
}

/* A record has begun: wait for its rest by timer (EPOLLIN is already
 * set and would wake us at once, over and over), within the window plus
 * PARTIAL_RECORD_MAX_MS; then hand it over as it is. */
static int wait_for_partial(struct hs_job *job)
{
	struct hs_session *hs = job->hs;
	uint64_t now = clock_now_ms(), limit = drain_limit_ms(job, hs->drain_until_ms +
							 PARTIAL_RECORD_MAX_MS);

	if (now >= limit)
		return 0;
	hs->wait_for_timer = 1;
	job->wake_ms = now + PARTIAL_RECORD_POLL_MS < limit ? now + PARTIAL_RECORD_POLL_MS
							    : limit;
	return -EAGAIN;
}

static int drain_tickets(struct hs_job *job, char *reason, size_t reason_len)
{
	struct hs_session *hs = job->hs;
	size_t record_len;
	int type, rc;

	hs->wait_for_timer = 0;
	while (hs->tickets_drained < TICKETS_MAX) {
		type = record_peek_inner_type(hs->session, job->sock_fd, &record_len);
		if (type == -EINPROGRESS)
			return wait_for_partial(job);
		if (type == -EAGAIN) {
			if (clock_now_ms() >= drain_limit_ms(job, hs->drain_until_ms))
				return 0;
			job->wake_ms = drain_limit_ms(job, hs->drain_until_ms);
			return -EAGAIN;
		}
		if (type == KTLS_RECORD_ALERT)
			return consume_alert(hs, record_len, reason, reason_len);
		if (type != KTLS_RECORD_HANDSHAKE) {
			/* Data before any ticket (a server answering 0-RTT data
			 * at once) cut the wait short: that says nothing about
			 * whether the server sends tickets (ticket_memory.h). */
			if (!hs->tickets_drained)
				hs->sess.waited = 0;
			/* data, EOF, not ours to open, or a KeyUpdate
			 * (RECORD_PEEK_NOT_TICKETS): had GnuTLS taken it, the
			 * kernel would get the next read key but the caller
			 * the traffic secret before it, and its ktls_recv()
			 * could follow no later KeyUpdate */
			return 0;
		}
		rc = consume_ticket(hs, record_len, reason, reason_len);
		if (rc < 0)
			return rc;
		if (clock_now_ms() >= drain_limit_ms(job, UINT64_MAX))
			return 0;	/* the deadline is near: hand over now */
	}
	return 0;
}

/*
 * How did the peer authenticate?  One check for both doors (the
 * application's and the kernel's), after every handshake: a session set up
 * as PSK-only must have used the PSK.  GnuTLS should already have refused
 * anything else (no certificate credentials, PSK key exchange only); this
 * makes sure that no peer holding no PSK ever gets a session.
 */
static int check_peer_auth(struct hs_session *hs, char *reason, size_t reason_len)
{
	const char *who = hs->role == KTLS_ROLE_CLIENT ? "server" : "client";

	if (!hs->psk_only || gnutls_auth_get_type(hs->session) == GNUTLS_CRD_PSK)
		return 0;
	if (hs->failure[0]) {	/* e.g. our lookup knew no such identity */
		snprintf(reason, reason_len, "%s", hs->failure);
		return -hs->failure_errno;
	}
	snprintf(reason, reason_len, "the profile authenticates by PSK, but the %s did not use a "
		 "known PSK (psk_fallback = certificate allows certificates)", who);
	return -EACCES;
}

int hs_step(struct hs_job *job, char *reason, size_t reason_len)
{
	struct hs_session *hs = job->hs;
	const char *why;
	uint64_t window;
	int rc;

	if (hs->handshake_done)
		return drain_tickets(job, reason, reason_len);
	rc = gnutls_handshake(hs->session);
	if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED ||
	    (rc < 0 && !gnutls_error_is_fatal(rc)))
		return -EAGAIN;
	if (rc < 0) {
		/* Tell the peer why (bad_certificate, handshake_failure, ...);
		 * best effort on a non-blocking socket. */
		if (hs->has_alert)
			(void)gnutls_alert_send(hs->session, GNUTLS_AL_FATAL, hs->alert);
		else
			(void)gnutls_alert_send_appropriate(hs->session, rc);
		if (hs->role == KTLS_ROLE_SERVER && !hs->failure[0] &&
		    early_srv_explain(&hs->early_in, hs->session, rc, hs->failure,
				      sizeof(hs->failure)))
			hs->failure_errno = EPROTO;
		return map_failure(hs, rc, reason, reason_len);
	}
	rc = check_peer_auth(hs, reason, reason_len);
	if (rc < 0) {
		(void)gnutls_alert_send(hs->session, GNUTLS_AL_FATAL, GNUTLS_A_HANDSHAKE_FAILURE);
		return rc;
	}
	if (!wants_drain(hs))
		return 0;
	hs->handshake_done = 1;
	window = drain_window_ms(job, &why);
	hs->sess.waited = hs->sess.enabled && window > 0;	/* ticket_memory_note() */
	log_debug("ticket wait peer=%s answer=%llums wait=%llums by=%s", job->peer_addr,
		  (unsigned long long)hs->answer_ms, (unsigned long long)window, why);
	hs->drain_until_ms = clock_now_ms() + window;
	return drain_tickets(job, reason, reason_len);
}

static void copy_str(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src ? src : "");
}

static void describe_peer_cert(gnutls_session_t s, struct ktls_hs_reply *rep)
{
	unsigned n = 0;
	const gnutls_datum_t *chain = gnutls_certificate_get_peers(s, &n);
	gnutls_x509_crt_t crt;
	gnutls_datum_t dn = { NULL, 0 };
	size_t fp_len = sizeof(rep->peer_fingerprint);

	if (!chain || n == 0)
		return;
	if (chain[0].size <= sizeof(rep->peer_cert)) {
		memcpy(rep->peer_cert, chain[0].data, chain[0].size);
		rep->peer_cert_len = (uint16_t)chain[0].size;
	}
	if (gnutls_fingerprint(GNUTLS_DIG_SHA256, &chain[0], rep->peer_fingerprint, &fp_len) == 0)
		rep->has_fingerprint = 1;
	if (gnutls_x509_crt_init(&crt) < 0)
		return;
	if (gnutls_x509_crt_import(crt, &chain[0], GNUTLS_X509_FMT_DER) == 0 &&
	    gnutls_x509_crt_get_dn3(crt, &dn, 0) == 0) {
		copy_str(rep->peer_subject, sizeof(rep->peer_subject), (const char *)dn.data);
		gnutls_free(dn.data);
	}
	gnutls_x509_crt_deinit(crt);
}

static void describe_session(struct hs_session *hs, struct ktls_hs_reply *rep)
{
	gnutls_session_t s = hs->session;
	gnutls_datum_t alpn;
	char sni[KTLS_NAME_MAX];
	size_t sni_len = sizeof(sni) - 1;
	unsigned type;

	rep->version = gnutls_protocol_get_version(s) == GNUTLS_TLS1_3 ? KTLS_VERSION_1_3
								       : KTLS_VERSION_1_2;
	rep->cipher = (uint16_t)ktls_cipher_from_gnutls(gnutls_cipher_get(s));
	copy_str(rep->group, sizeof(rep->group), gnutls_group_get_name(gnutls_group_get(s)));
	if (gnutls_alpn_get_selected_protocol(s, &alpn) == 0 && alpn.size < sizeof(rep->alpn)) {
		memcpy(rep->alpn, alpn.data, alpn.size);
		rep->alpn[alpn.size] = '\0';
	}
	if (hs->role == KTLS_ROLE_SERVER &&
	    gnutls_server_name_get(s, sni, &sni_len, &type, 0) == 0 && type == GNUTLS_NAME_DNS)
		copy_str(rep->server_name, sizeof(rep->server_name), sni);
	rep->resumed = gnutls_session_is_resumed(s) != 0;
	/* Verified only if we had GnuTLS check it: a certificate that came
	 * with verification off (or instead of a PSK) proves nothing. */
	rep->peer_verified = gnutls_certificate_get_peers(s, &type) != NULL &&
			     hs->verifies_cert && gnutls_auth_get_type(s) == GNUTLS_CRD_CERTIFICATE;
	describe_peer_cert(s, rep);
}

/* The secret must be the one the installed key came from: a key the
 * application derives from a wrong secret would fail at its first KeyUpdate
 * with a MAC error, far from here.  A mismatch just means no KeyUpdate. */
static int secret_matches(const uint8_t *secret, unsigned secret_len,
			  const struct ktls_crypto_params *p)
{
	uint8_t key[KTLS_MAX_KEY_LEN], iv[KTLS_MAX_SALT_LEN + KTLS_MAX_IV_LEN];
	size_t iv_len = (size_t)p->salt_len + p->iv_len;
	int ok = ktls_traffic_key_iv(ktls_hmac_gnutls, secret, secret_len, key, p->key_len,
				     iv, iv_len) == 0 &&
		 !memcmp(key, p->key, p->key_len) && !memcmp(iv, p->salt, p->salt_len) &&
		 !memcmp(iv + p->salt_len, p->iv, p->iv_len);

	explicit_bzero(key, sizeof(key));
	explicit_bzero(iv, sizeof(iv));
	return ok;
}

/* Application door, TLS 1.3: the caller's TX then RX secret into the
 * reply (the kernel door has no use for them and never gets them). */
static void hand_over_secrets(struct hs_session *hs, const struct ktls_crypto_params *tx,
			      const struct ktls_crypto_params *rx, struct ktls_hs_reply *rep)
{
	int client = hs->role == KTLS_ROLE_CLIENT;
	const uint8_t *ours = client ? hs->client_secret : hs->server_secret;
	const uint8_t *theirs = client ? hs->server_secret : hs->client_secret;
	unsigned n = hs->client_secret_len;

	if (hs->job->origin != JOB_FROM_APP || tx->version != KTLS_VERSION_1_3 || n == 0 ||
	    n != hs->server_secret_len || 2 * n > sizeof(rep->traffic_secrets))
		return;
	if (!secret_matches(ours, n, tx) || !secret_matches(theirs, n, rx)) {
		log_warnx("traffic secrets do not match the installed keys: "
			  "this connection will not rekey");
		return;
	}
	memcpy(rep->traffic_secrets, ours, n);
	memcpy(rep->traffic_secrets + n, theirs, n);
	rep->traffic_secrets_len = (uint16_t)(2 * n);
}

int hs_complete(struct hs_job *job, struct ktls_hs_reply *rep, char *reason, size_t reason_len)
{
	struct hs_session *hs = job->hs;
	struct ktls_crypto_params tx, rx;
	int rc;

	/* 0-RTT data is the daemon's to read: it never reaches the kernel. */
	if (hs->role == KTLS_ROLE_SERVER) {
		rc = early_srv_collect(&hs->early_in, hs->session, job->profile->name, rep,
				       reason, reason_len);
		if (rc < 0)
			return rc;
	}
	/* Decrypted-but-unread data would be lost: kTLS starts after it. */
	if (gnutls_record_check_pending(hs->session) > 0) {
		snprintf(reason, reason_len,
			 "peer data was buffered in userspace during the handshake");
		return -EPROTO;
	}
	rc = ktls_params_from_gnutls(hs->session, KTLS_DIR_TX, &tx);
	if (rc == 0)
		rc = ktls_params_from_gnutls(hs->session, KTLS_DIR_RX, &rx);
	if (rc == 0 && ktls_install_both(job->sock_fd, &tx, &rx) < 0)
		rc = -errno;
	/* Linux installs kernel TLS only on an established connection: a
	 * peer's FIN that came before the handoff makes it ENOTCONN. */
	if (rc == -ENOTCONN && hs->role == KTLS_ROLE_CLIENT && hs->early_out.queued) {
		snprintf(reason, reason_len,
			 "the server closed the connection before the handoff, likely after "
			 "answering our 0-RTT data (early data must not ask it to close: "
			 "kernel TLS needs an established connection)");
		rc = -ECONNRESET;
	} else if (rc == -ENOTCONN) {	/* e.g. a TLS 1.3 server rejecting our certificate */
		snprintf(reason, reason_len,
			 "the peer closed the connection right after the handshake "
			 "(it may have rejected our certificate)");
		rc = -ECONNRESET;
	} else if (rc < 0) {
		snprintf(reason, reason_len, "installing kernel TLS: %s", ktls_errmsg());
	}
	if (rc == 0)
		hand_over_secrets(hs, &tx, &rx, rep);
	ktls_params_wipe(&tx);
	ktls_params_wipe(&rx);
	if (rc == 0)
		describe_session(hs, rep);
	if (rc == 0 && hs->role == KTLS_ROLE_CLIENT)
		early_send_end(&hs->early_out, job, hs->session, rep);
	if (rc == 0 && hs->role == KTLS_ROLE_CLIENT)
		client_session_end(&hs->sess, job, hs->session, rep);
	if (rc == 0 && hs->role == KTLS_ROLE_SERVER)
		srv_resume_done(&hs->resume, job->profile, rep->resumed);
	return rc;
}

const char *hs_early_failed(struct hs_job *job)
{
	if (!job->hs || !job->hs->session || job->req.role != KTLS_ROLE_SERVER)
		return "-";
	return early_srv_failed(&job->hs->early_in, job->hs->session,
				job->profile ? job->profile->name : NULL);
}

const char *hs_early_note(const struct hs_job *job, const struct ktls_hs_reply *rep)
{
	if (!job->hs || job->req.role != KTLS_ROLE_SERVER)
		return "-";
	return early_srv_note(&job->hs->early_in, rep);
}

void hs_free(struct hs_session *hs)
{
	if (!hs)
		return;
	if (hs->session)
		gnutls_deinit(hs->session);	/* wipes its key schedule */
	if (hs->psk_client)
		gnutls_psk_free_client_credentials(hs->psk_client);
	if (hs->psk_server)
		gnutls_psk_free_server_credentials(hs->psk_server);
	client_session_free(&hs->sess);
	explicit_bzero(hs, sizeof(*hs));
	free(hs);
}

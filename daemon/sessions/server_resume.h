/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Server-side resumption for handshake.c: session tickets (TLS 1.2 RFC
 * 5077 and TLS 1.3 NewSessionTicket, under the profile's own ticket key)
 * and the TLS 1.2 session-ID cache (session_db.h).
 *
 * Order inside GnuTLS's ClientHello processing, which decides the hooks:
 *  1. a TLS 1.2 session ID is looked up (our retrieve function) before any
 *     extension is parsed, so before SNI can choose a profile: entries are
 *     therefore filed under the profile the request started with (named,
 *     or the default server profile), and carry the name of the profile
 *     the session was made under, which a resumption then keeps;
 *  2. SNI is parsed and our post-ClientHello hook runs: the profile is
 *     final there, and srv_resume_profile() enables tickets with its key;
 *  3. the ticket (TLS 1.2 SessionTicket, TLS 1.3 pre_shared_key) is parsed
 *     and opened with that key: one profile's ticket never opens under
 *     another (a full handshake follows, no error).
 */
#ifndef KTLSD_SERVER_RESUME_H
#define KTLSD_SERVER_RESUME_H

#include <gnutls/gnutls.h>

struct cfg;
struct cfg_profile;

struct srv_resume {
	const struct cfg *cfg;
	const struct cfg_profile *start;	/* files session IDs */
	const struct cfg_profile *resumed_from;	/* a fetched entry's own profile */
	const struct cfg_profile *tickets_for;	/* tickets enabled with its key */
	int allowed;				/* resumption at all (see below) */
};

/* The trust tag of p (server_resume.c): the profile name, a NUL, and what
 * verification means under it.  Length, or -ENAMETOOLONG. */
int srv_resume_trust_tag(const struct cfg_profile *p, char *out, size_t cap);

/* At gnutls_init time: session-ID functions (when start allows them) and
 * the start profile's lifetime.  allowed 0: this handshake neither issues
 * nor accepts tickets or session IDs (handshake.c decides: PSK sessions,
 * kernel requests with keys of their own, requests that change the
 * profile's verify policy).  0 or -errno. */
int srv_resume_start(gnutls_session_t s, struct srv_resume *r, const struct cfg *cfg,
		     const struct cfg_profile *start, int allowed);

/* The profile a session-ID resumption is bound to, or NULL when this
 * handshake is not resuming one: the post-ClientHello hook uses it
 * instead of SNI. */
const struct cfg_profile *srv_resume_pinned(gnutls_session_t s, const struct srv_resume *r);

/* The profile is final: its lifetime, its ticket key (when tickets are on).
 * Once per handshake (a second ClientHello after HelloRetryRequest must
 * name the same profile: -EPROTO otherwise).  0 or -errno. */
int srv_resume_profile(gnutls_session_t s, struct srv_resume *r, const struct cfg_profile *p);

/* A server handshake succeeded (kTLS installed): count it, resumed or full,
 * for the profile it ended under (session_stats.h). */
void srv_resume_done(const struct srv_resume *r, const struct cfg_profile *p, int resumed);

#endif

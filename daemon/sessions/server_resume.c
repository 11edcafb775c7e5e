// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Server-side resumption: GnuTLS's session database functions over
 * session_db, and per-profile ticket keys (server_resume.h says in which
 * order GnuTLS calls them, and why that decides where profiles come in).
 *
 * A session-ID entry is   u8 tag_len | trust tag | GnuTLS session data
 * filed under the start profile's namespace, where the trust tag (below)
 * names the profile the session was made under and what "verified" meant
 * there.  The same tag goes into the profile's ticket key.
 */
#include <errno.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "sessions/server_resume.h"
#include "sessions/session_db.h"
#include "sessions/session_stats.h"
#include "sessions/ticket_keys.h"

#define TAG_MAX 255

/*
 * "NAME\0verify=N\0ca=PATH": a resumed session inherits the original's
 * peer verification, so it may resume only where verification means the
 * same (same profile, verify policy and CA file).  A reload that changes
 * them voids the profile's tickets and session IDs: a full handshake.
 * (A CA file whose content changes under the same path is not seen.)
 * Returns the length, or -ENAMETOOLONG.
 */
int srv_resume_trust_tag(const struct cfg_profile *p, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%s%cverify=%d%cca=%s", p->name, 0, (int)p->verify, 0,
			 p->ca_file ? p->ca_file : "(system)");

	return n < 0 || (size_t)n >= cap || n > TAG_MAX ? -ENAMETOOLONG : n;
}

static int db_store(void *ptr, gnutls_datum_t key, gnutls_datum_t data)
{
	const struct srv_resume *r = ptr;
	/* The profile the session was made under: the final one. */
	const struct cfg_profile *made = r->tickets_for ? r->tickets_for : r->start;
	char tag[TAG_MAX + 1];
	int tag_len = srv_resume_trust_tag(made, tag, sizeof(tag)), rc;
	size_t len = 1 + (size_t)tag_len + data.size;
	uint8_t *blob;

	if (!r->allowed || !made->session_ids || tag_len < 0 || len > SESSION_DB_ENTRY_MAX)
		return 0;	/* not kept: the client will do a full handshake */
	blob = malloc(len);
	if (!blob)
		return -1;
	blob[0] = (uint8_t)tag_len;
	memcpy(blob + 1, tag, (size_t)tag_len);
	memcpy(blob + 1 + tag_len, data.data, data.size);
	rc = session_db_store(r->start, key.data, key.size, blob, len, made->session_lifetime_s);
	explicit_bzero(blob, len);
	free(blob);
	return rc < 0 ? -1 : 0;
}

static gnutls_datum_t db_retrieve(void *ptr, gnutls_datum_t key)
{
	struct srv_resume *r = ptr;
	gnutls_datum_t out = { NULL, 0 };
	const struct cfg_profile *made;
	uint8_t *blob = NULL;
	size_t len = 0, tag_len;
	char tag[TAG_MAX + 1], now_tag[TAG_MAX + 1];
	int now_len;

	if (!r->allowed)
		return out;
	if (session_db_fetch(r->start, key.data, key.size, &blob, &len) < 0) {
		session_stats_count(r->start->name, SESSION_STAT_CACHE_MISS);
		return out;
	}
	tag_len = len ? blob[0] : 0;
	if (len < 2 || tag_len == 0 || 1 + tag_len >= len)
		goto done;
	memcpy(tag, blob + 1, tag_len);
	tag[tag_len] = '\0';	/* the name ends at the first NUL */
	/* The profile must still exist, still be a server profile that keeps
	 * session IDs, with the same trust, in the config this handshake runs
	 * under. */
	made = cfg_find_profile(r->cfg, tag);
	if (!made || !(made->roles & CFG_ROLE_SERVER) || !made->session_ids)
		goto done;
	now_len = srv_resume_trust_tag(made, now_tag, sizeof(now_tag));
	if (now_len < 0 || (size_t)now_len != tag_len || memcmp(now_tag, tag, tag_len) != 0)
		goto done;
	out.data = gnutls_malloc(len - 1 - tag_len);
	if (!out.data)
		goto done;
	out.size = (unsigned)(len - 1 - tag_len);
	memcpy(out.data, blob + 1 + tag_len, out.size);
	r->resumed_from = made;
done:
	/* Found but unusable (its profile gone or its trust changed) is a
	 * miss too. */
	session_stats_count(r->start->name, out.data ? SESSION_STAT_CACHE_HIT :
						       SESSION_STAT_CACHE_MISS);
	explicit_bzero(blob, len);
	free(blob);
	return out;
}

static int db_remove(void *ptr, gnutls_datum_t key)
{
	const struct srv_resume *r = ptr;

	return session_db_remove(r->start, key.data, key.size) < 0 ? -1 : 0;
}

int srv_resume_start(gnutls_session_t s, struct srv_resume *r, const struct cfg *cfg,
		     const struct cfg_profile *start, int allowed)
{
	memset(r, 0, sizeof(*r));
	r->cfg = cfg;
	r->start = start;
	r->allowed = allowed;
	gnutls_db_set_cache_expiration(s, (int)start->session_lifetime_s);
	if (!start->session_ids)
		return 0;
	gnutls_db_set_ptr(s, r);
	gnutls_db_set_retrieve_function(s, db_retrieve);
	gnutls_db_set_store_function(s, db_store);
	gnutls_db_set_remove_function(s, db_remove);
	return 0;
}

const struct cfg_profile *srv_resume_pinned(gnutls_session_t s, const struct srv_resume *r)
{
	return r->resumed_from && gnutls_session_is_resumed(s) ? r->resumed_from : NULL;
}

int srv_resume_profile(gnutls_session_t s, struct srv_resume *r, const struct cfg_profile *p)
{
	uint8_t key[TICKET_KEY_SIZE];
	gnutls_datum_t k = { key, sizeof(key) };
	char tag[TAG_MAX + 1];
	int rc;

	if (r->tickets_for)
		return r->tickets_for == p ? 0 : -EPROTO;
	r->tickets_for = p;
	/* The lifetime first: GnuTLS's time-based ticket subkeys take their
	 * period from it when tickets are enabled. */
	gnutls_db_set_cache_expiration(s, (int)p->session_lifetime_s);
	if (!p->session_tickets || !r->allowed)
		return 0;
	rc = srv_resume_trust_tag(p, tag, sizeof(tag));
	if (rc >= 0)
		rc = ticket_keys_for_profile(tag, (size_t)rc, key);
	if (rc == 0 && gnutls_session_ticket_enable_server(s, &k) < 0)
		rc = -EINVAL;
	explicit_bzero(key, sizeof(key));
	return rc;
}

void srv_resume_done(const struct srv_resume *r, const struct cfg_profile *p, int resumed)
{
	(void)r;
	session_stats_count(p->name, resumed ? SESSION_STAT_RESUMED : SESSION_STAT_FULL);
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * TLS 1.3 0-RTT as a server: see early_data.h for the rules.
 *
 * GnuTLS decides inside the ClientHello's pre_shared_key processing: with
 * GNUTLS_ENABLE_EARLY_DATA set at gnutls_init() and an anti-replay context
 * enabled on the session, it checks the ticket's age against the window
 * and calls the context's add function; a negative return rejects the
 * early data (and only the early data).  Our add function ignores the key
 * GnuTLS hands it (12 bytes of the context's start time, then the binder:
 * a key no other process can match) and records the ticket identities of
 * the ClientHello instead, on this host and in the fleet's store.
 *
 * The add function learns which handshake it checks from a thread-local
 * pointer set by early_srv_profile(): GnuTLS calls it in the same
 * gnutls_handshake() call, on the same worker thread, right after our
 * post-ClientHello hook.
 *
 * GnuTLS's context is not thread-safe (it moves its start time forward
 * once a window has passed), so every worker thread takes one of its own
 * from a pool made at start: GnuTLS also refuses 0-RTT for tickets issued
 * before its context's start, so a context made later would refuse the
 * tickets already out.
 */
#include <errno.h>
#include <gnutls/crypto.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/profile_counters.h"
#include "config/config.h"
#include "engine/job.h"
#include "process/log.h"
#include "sessions/early_data.h"
#include "sessions/shared_store.h"
#include "sessions/shared_store_daemon.h"

#define EXT_PRE_SHARED_KEY 41
#define EXT_EARLY_DATA 42
#define CONTEXTS_MAX 256		/* worker threads with 0-RTT */
#define TABLE_PROBES 32

/* ---- this host's record of ticket identities ---- */

struct early_slot {
	uint8_t id[EARLY_ID_LEN];
	uint64_t expires_ms;		/* 0: never used */
};

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static struct early_slot table[EARLY_TABLE_SLOTS];

/*
 * Open addressing, TABLE_PROBES slots from the id's own.  An expired slot
 * may be reused but does not end the search (the id may sit further on);
 * a never-used slot ends it, since an id is always stored in the first
 * free slot of its run.  No room in the run: -ENOSPC (the caller rejects
 * the early data; a flood of 0-RTT attempts cannot make us accept one
 * unchecked).  The ids are SHA-256 outputs, so their first bytes index.
 */
int early_table_add(const uint8_t id[EARLY_ID_LEN], uint64_t now_ms, uint64_t ttl_ms)
{
	uint32_t home;
	struct early_slot *free_slot = NULL;
	int rc = -ENOSPC;

	memcpy(&home, id, sizeof(home));
	pthread_mutex_lock(&table_lock);
	for (unsigned i = 0; i < TABLE_PROBES; i++) {
		struct early_slot *s = &table[(home + i) % EARLY_TABLE_SLOTS];

		if (s->expires_ms == 0) {
			if (!free_slot)
				free_slot = s;
			break;
		}
		if (s->expires_ms <= now_ms) {
			if (!free_slot)
				free_slot = s;
			continue;
		}
		if (memcmp(s->id, id, EARLY_ID_LEN) == 0) {
			free_slot = NULL;
			rc = -EEXIST;
			break;
		}
	}
	if (free_slot) {
		memcpy(free_slot->id, id, EARLY_ID_LEN);
		free_slot->expires_ms = now_ms + ttl_ms;
		rc = 0;
	}
	pthread_mutex_unlock(&table_lock);
	return rc;
}

void early_table_clear(void)
{
	pthread_mutex_lock(&table_lock);
	memset(table, 0, sizeof(table));
	pthread_mutex_unlock(&table_lock);
}

enum early_why early_replay_check(const struct early_srv *e, uint64_t now_ms, unsigned ttl_s)
{
	struct shared_store *st = shared_store_daemon();
	int rc;

	if (e->ids_bad || e->n_ids == 0)
		return EARLY_WHY_UNCHECKED;
	for (unsigned i = 0; i < e->n_ids; i++) {
		rc = early_table_add(e->ids[i], now_ms, ttl_s * 1000ull);
		if (rc == -EEXIST)
			return EARLY_WHY_REPLAY;
		if (rc < 0)
			return EARLY_WHY_FULL;
	}
	/* The fleet: only "added now" means no other host saw it. */
	for (unsigned i = 0; st && i < e->n_ids; i++) {
		rc = shared_store_add_once(st, EARLY_STORE_NS, e->ids[i], EARLY_ID_LEN, ttl_s);
		if (rc == -EEXIST)
			return EARLY_WHY_REPLAY;
		if (rc < 0)
			return EARLY_WHY_STORE;
	}
	return EARLY_WHY_NONE;
}

/* ---- the ClientHello ---- */

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

int early_parse_psk_identities(const uint8_t *ext, size_t len,
			       uint8_t ids[][EARLY_ID_LEN], unsigned max, unsigned *n)
{
	size_t list_len, off = 2, id_len;

	*n = 0;
	if (len < 2)
		return -EBADMSG;
	list_len = be16(ext);
	if (list_len == 0 || list_len > len - 2)
		return -EBADMSG;
	while (off < 2 + list_len) {
		if (2 + list_len - off < 2)
			return -EBADMSG;
		id_len = be16(ext + off);
		off += 2;
		/* the identity, then its u32 obfuscated_ticket_age */
		if (id_len == 0 || 2 + list_len - off < id_len + 4)
			return -EBADMSG;
		if (*n == max)
			return -E2BIG;
		if (gnutls_hash_fast(GNUTLS_DIG_SHA256, ext + off, id_len, ids[*n]) < 0)
			return -EIO;
		(*n)++;
		off += id_len + 4;
	}
	return 0;
}

static int on_extension(void *ctx, unsigned tls_id, const unsigned char *data, unsigned size)
{
	struct early_srv *e = ctx;

	if (tls_id == EXT_EARLY_DATA)
		e->offered = 1;
	else if (tls_id == EXT_PRE_SHARED_KEY &&
		 early_parse_psk_identities(data, size, e->ids, EARLY_IDS_MAX, &e->n_ids) < 0)
		e->ids_bad = 1;
	return 0;
}

void early_srv_client_hello(struct early_srv *e, const gnutls_datum_t *msg)
{
	/* A second ClientHello (after HelloRetryRequest) may not carry early
	 * data (RFC 8446 4.2.10): what the first offered was rejected. */
	e->hellos++;
	e->ids_bad = 0;
	e->n_ids = 0;
	if (gnutls_ext_raw_parse(e, on_extension, msg, GNUTLS_EXT_RAW_FLAG_TLS_CLIENT_HELLO) < 0)
		e->ids_bad = 1;
}

/* ---- GnuTLS's anti-replay hook ---- */

static gnutls_anti_replay_t contexts[CONTEXTS_MAX];
static atomic_uint contexts_taken;
static unsigned contexts_made;
static unsigned record_ttl_s;		/* twice the window (early_data.h) */
static _Thread_local gnutls_anti_replay_t thread_context;
static _Thread_local struct early_srv *checking;	/* see the top of the file */

static int anti_replay_add(void *ptr, time_t exp_time, const gnutls_datum_t *key,
			   const gnutls_datum_t *data)
{
	struct early_srv *e = checking;

	(void)ptr;
	(void)exp_time;
	(void)key;
	(void)data;
	if (!e)
		return GNUTLS_E_DB_ERROR;
	e->checked = 1;
	e->why = early_replay_check(e, clock_now_ms(), record_ttl_s);
	return e->why == EARLY_WHY_NONE ? 0 : GNUTLS_E_DB_ENTRY_EXISTS;
}

int early_data_start(const struct cfg *cfg)
{
	record_ttl_s = 2 * (cfg->early_data_window_ms / 1000);
	for (; contexts_made < CONTEXTS_MAX; contexts_made++) {
		gnutls_anti_replay_t ar;

		if (gnutls_anti_replay_init(&ar) < 0)
			return -ENOMEM;
		gnutls_anti_replay_set_window(ar, cfg->early_data_window_ms);
		gnutls_anti_replay_set_add_function(ar, anti_replay_add);
		contexts[contexts_made] = ar;
	}
	return 0;
}

void early_data_stop(void)
{
	for (unsigned i = 0; i < contexts_made; i++)
		gnutls_anti_replay_deinit(contexts[i]);
	contexts_made = 0;
}

/* This thread's context, taken from the pool on first use; NULL when the
 * pool is empty (then 0-RTT is rejected on this thread). */
static gnutls_anti_replay_t my_context(void)
{
	unsigned i;

	if (thread_context)
		return thread_context;
	i = atomic_fetch_add(&contexts_taken, 1);
	if (i < contexts_made)
		thread_context = contexts[i];
	return thread_context;
}

/* ---- one handshake ---- */

int early_srv_wanted(struct early_srv *e, const struct hs_job *job)
{
	const struct cfg *cfg = job->cfg->cfg;
	int any = job->profile && job->profile->early_data_max;

	memset(e, 0, sizeof(*e));
	/* The kernel's peers never get early data: the kernel door has no
	 * way to hand it over. */
	if (job->origin != JOB_FROM_APP || job->req.role != KTLS_ROLE_SERVER)
		return 0;
	e->max = job->req.accept_early < KTLS_ACCEPT_EARLY_DATA_MAX ? job->req.accept_early
							      : KTLS_ACCEPT_EARLY_DATA_MAX;
	/* SNI may still choose the profile: any server profile with 0-RTT
	 * may turn out to be the one (early_srv_profile() decides). */
	for (size_t i = 0; !job->req.profile[0] && i < cfg->n_profiles; i++)
		if ((cfg->profiles[i].roles & CFG_ROLE_SERVER) && cfg->profiles[i].early_data_max)
			any = 1;
	return e->max && any;
}

int early_srv_profile(struct early_srv *e, gnutls_session_t s, const struct cfg_profile *p)
{
	gnutls_anti_replay_t ar;
	unsigned max;

	e->enabled = 0;
	e->checked = 0;
	e->why = EARLY_WHY_NONE;
	checking = NULL;
	if (!e->max) {
		e->why = EARLY_WHY_NOT_ASKED;
		return 0;
	}
	if (!p->early_data_max) {
		e->why = EARLY_WHY_PROFILE_OFF;
		return 0;
	}
	ar = my_context();
	if (!ar) {
		e->why = EARLY_WHY_UNCHECKED;
		return 0;
	}
	max = e->max < p->early_data_max ? e->max : p->early_data_max;
	/* Also what the tickets of this handshake advertise. */
	if (gnutls_record_set_max_early_data_size(s, max) < 0)
		return -EINVAL;
	gnutls_anti_replay_enable(s, ar);
	checking = e;
	e->enabled = 1;
	return 0;
}

/* Why early data that was offered was not accepted. */
static enum early_why rejected_why(const struct early_srv *e, gnutls_session_t s)
{
	if (!e->enabled)
		return e->why;
	if (e->hellos > 1)
		return EARLY_WHY_HRR;
	if (e->checked)
		return e->why != EARLY_WHY_NONE ? e->why : EARLY_WHY_OTHER;
	return gnutls_session_is_resumed(s) ? EARLY_WHY_STALE : EARLY_WHY_NOT_RESUMED;
}

static void count(const char *profile, enum ktls_status_early_counter what, uint64_t n);
static const char *why_name(enum early_why why);

int early_srv_collect(struct early_srv *e, gnutls_session_t s, const char *profile,
		      struct ktls_hs_reply *rep, char *reason, size_t reason_len)
{
	ssize_t n;

	checking = NULL;
	if (!e->offered)
		return 0;
	rep->early_flags = KTLS_EARLY_OFFERED;
	count(profile, KTLS_EARLY_STAT_OFFERED, 1);
	if (!e->enabled || !(gnutls_session_get_flags(s) & GNUTLS_SFLAGS_EARLY_DATA)) {
		e->why = rejected_why(e, s);
		if (e->why == EARLY_WHY_NONE)
			e->why = EARLY_WHY_UNCHECKED;
		count(profile, KTLS_EARLY_STAT_REJECTED, 1);
		if (e->why == EARLY_WHY_REPLAY) {
			rep->early_flags |= KTLS_EARLY_REPLAY;
			count(profile, KTLS_EARLY_STAT_REPLAY, 1);
		} else if (e->why == EARLY_WHY_STORE) {
			count(profile, KTLS_EARLY_STAT_STORE_ERROR, 1);
		}
		return 0;
	}
	/* GnuTLS kept at most max_early_data_size (more fails the
	 * handshake, RFC 8446 4.2.10), which is at most KTLS_ACCEPT_EARLY_DATA_MAX. */
	while (rep->early_len < sizeof(rep->early_data)) {
		n = gnutls_record_recv_early_data(s, rep->early_data + rep->early_len,
						  sizeof(rep->early_data) - rep->early_len);
		if (n == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE || n == 0)
			break;
		if (n < 0) {
			snprintf(reason, reason_len, "reading early data: %s",
				 gnutls_strerror((int)n));
			return -EIO;
		}
		rep->early_len = (uint16_t)(rep->early_len + n);
	}
	if (rep->early_len == sizeof(rep->early_data)) {
		uint8_t more;

		if (gnutls_record_recv_early_data(s, &more, 1) > 0) {
			snprintf(reason, reason_len, "more early data than a reply carries");
			return -EMSGSIZE;
		}
	}
	rep->early_flags |= KTLS_EARLY_ACCEPTED;
	count(profile, KTLS_EARLY_STAT_ACCEPTED, 1);
	count(profile, KTLS_EARLY_STAT_BYTES, rep->early_len);
	return 0;
}

const char *early_srv_failed(struct early_srv *e, gnutls_session_t s, const char *profile)
{
	static _Thread_local char note[48];

	checking = NULL;
	if (!e->offered)
		return "-";
	e->why = rejected_why(e, s);
	if (e->why == EARLY_WHY_NONE)
		e->why = EARLY_WHY_UNCHECKED;
	count(profile, KTLS_EARLY_STAT_OFFERED, 1);
	count(profile, KTLS_EARLY_STAT_REJECTED, 1);
	if (e->why == EARLY_WHY_REPLAY)
		count(profile, KTLS_EARLY_STAT_REPLAY, 1);
	else if (e->why == EARLY_WHY_STORE)
		count(profile, KTLS_EARLY_STAT_STORE_ERROR, 1);
	snprintf(note, sizeof(note), "rejected:%s", why_name(e->why));
	e->offered = 0;		/* counted once */
	return note;
}

int early_srv_explain(const struct early_srv *e, gnutls_session_t s, int gerr, char *failure,
		      size_t failure_len)
{
	if (!e->enabled || gerr != GNUTLS_E_UNEXPECTED_PACKET ||
	    !(gnutls_session_get_flags(s) & GNUTLS_SFLAGS_EARLY_DATA))
		return 0;
	snprintf(failure, failure_len, "the client sent more early data than the %zu bytes "
		 "the profile's early_data allows", gnutls_record_get_max_early_data_size(s));
	return 1;
}

static const char *why_name(enum early_why why)
{
	switch (why) {
	case EARLY_WHY_NONE: return "none";
	case EARLY_WHY_NOT_ASKED: return "not-requested";
	case EARLY_WHY_PROFILE_OFF: return "profile-off";
	case EARLY_WHY_NOT_RESUMED: return "not-resumed";
	case EARLY_WHY_STALE: return "outside-window";
	case EARLY_WHY_REPLAY: return "replay";
	case EARLY_WHY_STORE: return "store-unavailable";
	case EARLY_WHY_FULL: return "record-full";
	case EARLY_WHY_UNCHECKED: return "unchecked";
	case EARLY_WHY_HRR: return "hello-retry";
	case EARLY_WHY_OTHER: return "other";
	}
	return "?";
}

const char *early_srv_note(const struct early_srv *e, const struct ktls_hs_reply *rep)
{
	static _Thread_local char note[48];

	if (!(rep->early_flags & KTLS_EARLY_OFFERED))
		return "-";
	if (rep->early_flags & KTLS_EARLY_ACCEPTED) {
		snprintf(note, sizeof(note), "accepted:%u", (unsigned)rep->early_len);
		return note;
	}
	snprintf(note, sizeof(note), "rejected:%s", why_name(e->why));
	return note;
}

/* ---- counters per profile ---- */

static struct profile_counters stats = PROFILE_COUNTERS_INIT;

static void count(const char *profile, enum ktls_status_early_counter what, uint64_t n)
{
	profile_counters_add(&stats, profile, (unsigned)what, n);
}

void early_stats_snapshot(struct ktls_status_reply *st)
{
	st->n_early = profile_counters_snapshot(&stats, st->early);
}

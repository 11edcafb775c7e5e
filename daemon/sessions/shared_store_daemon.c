// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The shared session store wired into ktlsd (shared_store_daemon.h).
 *
 * Store errors are counted per profile: a store name carries a hash of
 * the profile name ("ktlsd1:" or "ktlsd1o:", then 32 hex digits of
 * SHA-256(name): session_db_key(), shared_store_once_name()), which is
 * matched against the profiles of the configuration in force.  Only
 * failures take this path, so its cost does not matter.
 */
#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <string.h>

#include "config/config.h"
#include "engine/config_ref.h"
#include "process/log.h"
#include "sessions/session_db.h"
#include "sessions/session_stats.h"
#include "sessions/shared_store.h"
#include "sessions/shared_store_daemon.h"
#include "sessions/ticket_keys.h"

#define HASH_HEX 32		/* hex digits of the profile hash in a name */

static struct shared_store *store;
static struct session_db_backend backend;

static int backend_store(void *ctx, const char *key, const uint8_t *data, size_t len,
			 unsigned ttl_s)
{
	return shared_store_put(ctx, key, data, len, ttl_s);
}

static int backend_fetch(void *ctx, const char *key, uint8_t **data, size_t *len)
{
	return shared_store_get(ctx, key, data, len);
}

static int backend_remove(void *ctx, const char *key)
{
	return shared_store_remove(ctx, key);
}

static int profile_hash_matches(const char *profile, const char *hex)
{
	static const char digits[] = "0123456789abcdef";
	uint8_t hash[32];

	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, profile, strlen(profile), hash) < 0)
		return 0;
	for (size_t i = 0; i < HASH_HEX / 2; i++)
		if (hex[2 * i] != digits[hash[i] >> 4] || hex[2 * i + 1] != digits[hash[i] & 15])
			return 0;
	return 1;
}

static void count_error(void *arg, const char *name)
{
	const char *colon = strchr(name, ':');
	struct cfg_ref *ref;
	const char *profile = NULL;

	if (colon && strlen(colon + 1) > HASH_HEX && colon[1 + HASH_HEX] == ':' &&
	    (ref = cfg_ref_current())) {
		for (size_t i = 0; !profile && i < ref->cfg->n_profiles; i++)
			if (profile_hash_matches(ref->cfg->profiles[i].name, colon + 1))
				profile = ref->cfg->profiles[i].name;
		/* session_stats copies the name before the reference goes */
		session_stats_count(profile, SESSION_STAT_STORE_ERROR);
		cfg_ref_put(ref);
		return;
	}
	session_stats_count(NULL, SESSION_STAT_STORE_ERROR);
}

static int seal_key(uint8_t key[SHARED_STORE_KEY_LEN])
{
	return ticket_keys_derive(SHARED_STORE_SEAL_LABEL, key, SHARED_STORE_KEY_LEN);
}

void shared_store_daemon_start(const struct cfg *cfg)
{
	struct shared_store_options opt = {
		.servers = cfg->session_store_servers,
		.timeout_ms = cfg->session_store_timeout_ms,
		.count_error = count_error,
	};
	uint8_t key[SHARED_STORE_KEY_LEN];
	char reason[256];
	int rc;

	if (cfg->session_store == CFG_STORE_NONE)
		return;
	rc = seal_key(key);
	if (rc == 0)
		rc = shared_store_open(&opt, key, &store, reason, sizeof(reason));
	else
		snprintf(reason, sizeof(reason), "no sealing key: %s", strerror(-rc));
	gnutls_memset(key, 0, sizeof(key));
	if (rc < 0) {
		log_error("session store (memcached %s) left out: %s; TLS 1.2 session IDs stay "
			  "on this host", cfg->session_store_servers, reason);
		return;
	}
	if (!ticket_keys_from_file())
		log_warnx("session_store without ticket_key_file: the sealing key is random, so "
			  "only this ktlsd, until it stops, can read what it stores; give every "
			  "host one ticket_key_file");
	backend = (struct session_db_backend){
		.name = "memcached",
		.store = backend_store,
		.fetch = backend_fetch,
		.remove = backend_remove,
		.ctx = store,
	};
	session_db_set_shared(&backend);
	log_info("session store: memcached %s (timeout %u ms)", cfg->session_store_servers,
		 cfg->session_store_timeout_ms);
}

void shared_store_daemon_rekey(const struct cfg *cfg)
{
	uint8_t key[SHARED_STORE_KEY_LEN];

	if (!store)
		return;
	if (cfg->session_store == CFG_STORE_NONE)
		log_warnx("session_store: turning the store off takes a restart; still using it");
	if (seal_key(key) == 0)
		shared_store_set_key(store, key);
	gnutls_memset(key, 0, sizeof(key));
}

void shared_store_daemon_stop(void)
{
	if (!store)
		return;
	session_db_set_shared(NULL);
	shared_store_close(store);
	store = NULL;
}

struct shared_store *shared_store_daemon(void)
{
	return store;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared by the config*.c files only: the key tables that config_values.c
 * fills and config.c reads by, and the profile name rule both apply.
 */
#ifndef KTLSD_CONFIG_INTERNAL_H
#define KTLSD_CONFIG_INTERNAL_H

#include <stddef.h>

#define PROFILE_NAME_MAX 64

/* Setters return 0, or -EINVAL/-ENOMEM with the reason in msg. */
typedef int key_setter(void *target, const char *value, char *reason, size_t reason_len);

struct key_def {
	const char *name;
	key_setter *set;
};

enum global_key {
	G_SOCKET, G_WORKERS, G_MAX_HANDSHAKES, G_HANDSHAKE_TIMEOUT, G_LOG, G_LOG_LEVEL,
	G_USER, G_GROUP, G_CLIENT_PROFILE, G_SERVER_PROFILE,
	G_MAX_HANDSHAKES_PER_UID, G_MAX_WAITING_PER_UID, G_KERNEL_RESERVE,	/* admission.c */
	G_SIGNERS,							/* keyproc.c */
	G_SESSION_STORE, G_SESSION_STORE_SERVERS, G_SESSION_STORE_TIMEOUT,	/* shared_store.c */
	G_TICKET_KEY_FILE,	/* sessions/ticket_keys.c */
	G_SESSION_CACHE_ENTRIES, G_SESSION_CACHE_BYTES,		/* sessions/client_cache.c */
	G_EARLY_DATA_WINDOW,					/* sessions/early_data.c */
	G_COUNT
};

enum profile_key {
	P_ROLE, P_CERTIFICATE, P_KEY, P_CA_FILE, P_PSK_FILE, P_PRIORITY, P_ALPN,
	P_SERVER_NAMES, P_VERIFY, P_ALLOWED_UIDS, P_ALLOWED_GIDS, P_HANDSHAKE_TIMEOUT,
	P_TICKET_WAIT, P_PSK_FALLBACK, P_SESSION_CACHE,
	P_SESSION_TICKETS, P_SESSION_IDS, P_SESSION_LIFETIME, P_RESUMPTION_PSK_ONLY,	/* server resumption */
	P_EARLY_DATA,							/* sessions/early_data.c */
	P_COUNT
};

enum kernel_key { K_CLIENT_PROFILE, K_SERVER_PROFILE, K_KEYRINGS, K_COUNT };

extern const struct key_def global_keys[G_COUNT];	/* target: struct cfg */
extern const struct key_def profile_keys[P_COUNT];	/* target: struct cfg_profile */
extern const struct key_def kernel_keys[K_COUNT];	/* target: struct cfg */

int valid_profile_name(const char *name);

struct cfg;
/* The denial-of-service limits' defaults (config_values.c). */
void cfg_limits_default(struct cfg *cfg);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ktlsd configuration: an INI file (inih) with a [global] section, a
 * [kernel] section for the kernel's handshake upcall, and named profiles
 * ([profile NAME]).  With no file, built-in defaults: one client
 * profile "default" that verifies servers against the system trust store.
 * A loaded config is immutable and shared by reference: SIGHUP builds a new
 * one and swaps it in; handshakes in flight keep the one they started with.
 */
#ifndef KTLSD_CONFIG_H
#define KTLSD_CONFIG_H

#include <stddef.h>
#include <sys/types.h>

#include "ktls.h"

#define CFG_DEFAULT_PATH "/etc/ktlsd/ktlsd.conf"
#define CFG_ROLE_CLIENT 1u
#define CFG_ROLE_SERVER 2u
#define CFG_KERNEL_KEYRINGS_MAX 8	/* [kernel] keyrings */
#define CFG_TICKET_WAIT_AUTO (-1)	/* ticket_wait = auto: from the round trip */
#define CFG_TICKET_WAIT_MAX_MS 5000
#define CFG_KEYRING_NAME_MAX 128
#define CFG_LIMIT_AUTO ((unsigned)-1)	/* a limit derived from the others (admission.c) */
#define CFG_SIGNERS_AUTO 0		/* signers: one per worker (keyproc.c) */
#define CFG_SIGNERS_MAX 64		/* = KP_SIGNERS_MAX */
#define CFG_SESSION_LIFETIME_DEFAULT 3600	/* s: server tickets and session IDs */
#define CFG_SESSION_LIFETIME_MAX 604800		/* s: RFC 8446 4.6.1, seven days */

struct creds;	/* creds.h: GnuTLS credentials built from a profile */

/* psk_fallback: what a PSK session may settle for when the peer has no PSK. */
enum cfg_psk_fallback {
	CFG_PSK_FALLBACK_NONE,		/* the PSK authenticates, or nothing does */
	CFG_PSK_FALLBACK_CERTIFICATE,	/* a certificate, verified as the profile says */
};

struct cfg_profile {
	char *name;
	unsigned roles;			/* CFG_ROLE_* it may serve; "role = client|server|both" */
	char *cert_file, *key_file;	/* server cert, or client cert for mTLS */
	char *ca_file;			/* NULL: system trust store */
	char *psk_file;			/* "identity:hexkey" per line */
	char *priority;			/* GnuTLS priority string; NULL: "NORMAL" */
	char *alpn;			/* server: offered/accepted "h2,http/1.1" */
	char **server_names;		/* server: SNI names this profile answers ("*.x" ok) */
	size_t n_server_names;
	enum ktls_verify verify;	/* client: verify server; server: client cert policy */
	enum cfg_psk_fallback psk_fallback;
	/* Empty uids and gids: any local user may use the profile, unless it
	 * holds a key or PSK (acl_default, see cfg_peer_allowed()). */
	uid_t *allowed_uids;
	size_t n_allowed_uids;
	gid_t *allowed_gids;
	size_t n_allowed_gids;
	int acl_default;		/* key or PSK, no ACL: root and ktlsd's ids only */
	unsigned handshake_timeout_ms;
	int ticket_wait_ms;		/* client, TLS 1.3: CFG_TICKET_WAIT_AUTO or a fixed wait */
	/* Server resumption (sessions/server_resume.c): issue and accept
	 * tickets (TLS 1.2 RFC 5077 and TLS 1.3), keep TLS 1.2 session IDs,
	 * for session_lifetime_s; PSK-only (no (EC)DHE) TLS 1.3 resumption
	 * only when resumption_psk_only. */
	int session_tickets, session_ids, resumption_psk_only;
	unsigned session_lifetime_s;
	int session_cache;		/* client: keep and resume sessions (sessions/) */
	/* Server, TLS 1.3: accept up to this many bytes of 0-RTT early data
	 * on resumption (sessions/early_data.c); 0: off (the default). */
	unsigned early_data_max;
	struct creds *creds;		/* filled by creds_load_all() */
};

/* [kernel]: requests from the kernel's handshake upcall (door_netlink.c). */
struct cfg_kernel {
	char *client_profile;		/* ClientHello; NULL: [global] client_profile */
	char *server_profile;		/* ServerHello; NULL: [global] server_profile */
	char *keyrings[CFG_KERNEL_KEYRINGS_MAX];	/* names, or decimal serials */
	size_t n_keyrings;
};

enum cfg_session_store { CFG_STORE_NONE, CFG_STORE_MEMCACHED };
#define CFG_STORE_DEFAULT_TIMEOUT_MS 100
#define CFG_EARLY_WINDOW_DEFAULT_MS 10000	/* RFC 8446 8.2: about ten seconds */
#define CFG_EARLY_WINDOW_MAX_MS 3600000

struct cfg {
	char *path;			/* NULL when running on built-in defaults */
	char *socket_path;
	unsigned workers;		/* 0: one per CPU */
	unsigned signers;		/* key process signers; CFG_SIGNERS_AUTO (set at start) */
	unsigned max_handshakes;	/* in flight, whole daemon */
	/* Denial-of-service limits (admission.c): a number, or CFG_LIMIT_AUTO */
	unsigned max_handshakes_per_uid;	/* in flight per application uid */
	unsigned max_waiting_per_uid;		/* connections yet to send a request */
	unsigned kernel_reserve;		/* of max_handshakes, only for the kernel */
	/* The client session cache (sessions/client_cache.h), host-wide */
	unsigned session_cache_entries;		/* 0: off */
	unsigned session_cache_bytes;
	unsigned handshake_timeout_ms;	/* default for profiles */
	int log_syslog;
	int log_level;			/* enum log_level */
	char *user, *group;		/* drop to these when started as root */
	char *client_profile;		/* used by client requests naming none */
	char *server_profile;		/* server requests with no profile and no SNI match */
	char *ticket_key_file;		/* NULL: a random ticket key per process */
	struct cfg_kernel kernel;
	/* the shared TLS 1.2 session store (sessions/shared_store.h) */
	enum cfg_session_store session_store;
	char *session_store_servers;	/* "HOST:PORT[,...]" as written */
	unsigned session_store_timeout_ms;
	/* 0-RTT anti-replay window (sessions/early_data.c); takes a restart */
	unsigned early_data_window_ms;
	struct cfg_profile *profiles;
	size_t n_profiles;
};

/* path NULL: built-in defaults.  Returns 0 or -errno; on error err holds
 * "file:line: message" (or "file: message"). */
int cfg_load(const char *path, struct cfg **out, char *reason, size_t reason_len);
/* The same from an open descriptor of path's file (read from its offset;
 * fd stays open): path names it in messages and in cfg->path. */
int cfg_load_fd(int fd, const char *path, struct cfg **out, char *reason, size_t reason_len);
void cfg_free(struct cfg *cfg);

const struct cfg_profile *cfg_find_profile(const struct cfg *cfg, const char *name);
/* Profile for a request: by name if given, else role default (server: by
 * SNI first).  NULL if none fits. */
const struct cfg_profile *cfg_select_profile(const struct cfg *cfg, enum ktls_role role,
					     const char *name, const char *sni);
/* Server-side SNI match only (exact, or "*.example.com" one label). */
const struct cfg_profile *cfg_profile_for_sni(const struct cfg *cfg, const char *sni);
/* May a local caller (uid, primary gid, n_groups supplementary groups; NULL
 * for none) use the profile?  allowed_gids and the default ACL admit a
 * member of the group whether it is primary or supplementary.  The default
 * ACL of a profile that holds a key or PSK admits root, ktlsd's own uid and
 * members of ktlsd's group (the process's effective ids when asked). */
int cfg_peer_allowed(const struct cfg_profile *p, uid_t uid, gid_t gid, const gid_t *groups,
		     size_t n_groups);
/* "uid 0, uid 1000, gid 27" or "any local user": for `ktlsd -n`. */
void cfg_describe_acl(const struct cfg *cfg, const struct cfg_profile *p, char *out,
		      size_t len);
/* The profile for a kernel request of this role: [kernel]'s, else the
 * [global] role default.  SNI plays no part.  NULL if none is configured. */
const struct cfg_profile *cfg_kernel_profile(const struct cfg *cfg, enum ktls_role role);

/* The keys the parser accepts in [global], [kernel] and [profile NAME], as
 * NULL-terminated lists (tests check ktlsd.conf(5) against them). */
const char *const *cfg_global_key_names(void);
const char *const *cfg_kernel_key_names(void);
const char *const *cfg_profile_key_names(void);

#endif

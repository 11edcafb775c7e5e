/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * GnuTLS credentials per profile, loaded once per config (start, SIGHUP),
 * never per handshake.  Key files are refused unless owned by the daemon's
 * user (or root) and not accessible by group or others.
 */
#ifndef KTLSD_CREDS_H
#define KTLSD_CREDS_H

#include <gnutls/gnutls.h>
#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"

struct creds {
	gnutls_certificate_credentials_t x509;	/* always set (trust + own cert) */
	gnutls_psk_client_credentials_t psk_client;	/* set when psk_file given */
	gnutls_psk_server_credentials_t psk_server;
	gnutls_priority_t priority;		/* profile priority limited to kernel ciphers */
	gnutls_priority_t priority_psk;		/* the same, PSK key exchange only */
	gnutls_priority_t priority_psk_fallback;	/* PSK or certificate; psk_fallback only */
	gnutls_datum_t *alpn;			/* server-side protocols, may be NULL */
	unsigned n_alpn;
	struct psk_entry *psk;			/* identity -> key, wiped on free */
	size_t n_psk;
	uint32_t keyproc_generation;		/* 0: own key in this process */
	/* SHA-256 over what decides what "verified" means for this profile
	 * (verify, priority, CA and client certificate paths and contents):
	 * the client session cache drops entries whose digest changed. */
	uint8_t trust_digest[32];
	uint8_t ca_digest[32], cert_digest[32];	/* of the files' bytes, as read;
						 * ca: the system store's CAs without ca_file */
};

struct psk_entry {
	char *identity;
	gnutls_datum_t key;
};

/* Priority suffix limiting ciphers to what the kernel can run, e.g.
 * ":-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305"; set by ktlsd
 * from its start-up kernel probe before loading credentials. */
void creds_set_kernel_ciphers(const char *priority_suffix);

/* Every profile's credentials; with key_process (keyproc_start() ran), private
 * keys are loaded there and files are opened through it.  0 / -errno. */
int creds_load_all(struct cfg *cfg, bool key_process, char *reason, size_t reason_len);
void creds_free_all(struct cfg *cfg);

/* Look up a PSK identity; NULL if unknown. */
const struct psk_entry *creds_find_psk(const struct creds *c, const char *identity);

/* The PSK server callback creds_load_all() installs on every psk_server
 * (gnutls_psk_set_server_credentials_function2): gnutls_session_get_ptr()
 * of the session must be the struct creds * of the profile in use.
 * Unknown identity: -1. */
int creds_psk_server_lookup(gnutls_session_t session, const gnutls_datum_t *username,
			    gnutls_datum_t *key);

#endif

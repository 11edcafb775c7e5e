/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Session ticket keys (RFC 5077 tickets, TLS 1.3 resumption PSKs).
 *
 * One master key per daemon: random at start (kept across reloads, so a
 * SIGHUP does not void outstanding tickets), or the 64 bytes of
 * [global] ticket_key_file, which several hosts (and restarts) share.
 * Nothing encrypts under the master itself: every use gets its own key
 *
 *   PRK = HKDF-Extract(SHA-256, salt "ktlsd ticket key v1", master)
 *   key = HKDF-Expand(SHA-256, PRK, info, length)
 *
 * with info "profile:" + the profile's trust tag (its name, verify policy
 * and CA file: server_resume.c) for a profile's GnuTLS ticket key (so a
 * ticket made under profile A cannot be opened under profile B, nor after
 * a reload changed what "verified" means under A), and
 * other labels for other uses (the shared session store's sealing key).
 * GnuTLS then derives time-based subkeys from the profile key (SHA3-512 of
 * the time step and the key; a step is 3 x session_lifetime), so hosts
 * sharing a file must share session_lifetime and keep their clocks close.
 *
 * The keys live in the network process (GnuTLS encrypts tickets inside the
 * handshake): see docs/architecture.md, threat model.
 */
#ifndef KTLSD_TICKET_KEYS_H
#define KTLSD_TICKET_KEYS_H

#include <stddef.h>
#include <stdint.h>

#define TICKET_KEY_SIZE 64		/* GnuTLS's TICKET_MASTER_KEY_SIZE */
#define TICKET_KEY_FILE_MAX 4096

/* The file: '#' comment lines and blank lines, and one line of exactly 128
 * hex digits (upper or lower case), spaces around it allowed.  0, or
 * -EINVAL with a reason (never quoting the key). */
int ticket_key_parse(const char *text, size_t len, uint8_t out[TICKET_KEY_SIZE], char *reason,
		     size_t reason_len);

/* A new key file at path (O_EXCL, mode 0600): 0 or -errno with reason set. */
int ticket_key_generate_file(const char *path, char *reason, size_t reason_len);

/* The derivation above from a given master: 0 or -errno. */
int ticket_key_derive_from(const uint8_t master[TICKET_KEY_SIZE], const void *info,
			   size_t info_len, uint8_t *out, size_t out_len);

/* The daemon's current master.  NULL (or "") file text: the process's own
 * random key (made on first use).  Installed atomically; handshakes
 * that already copied their key keep it.  0 or -errno. */
int ticket_keys_install(const uint8_t *file_master);
/* ticket_key_derive_from() with the current master (random if none was
 * installed yet).  Thread-safe.  0 or -errno. */
int ticket_keys_derive(const char *label, uint8_t *out, size_t out_len);
/* A profile's ticket key from the current master: info is "profile:" and
 * the profile's trust tag (server_resume.h; binary, tag_len bytes). */
int ticket_keys_for_profile(const char *tag, size_t tag_len, uint8_t out[TICKET_KEY_SIZE]);
/* 1 when the current master came from ticket_key_file. */
int ticket_keys_from_file(void);
void ticket_keys_wipe(void);		/* at exit */

struct cfg;
/* ticket_key_file.c: cfg's ticket_key_file (through the key process when
 * generation is not 0), parsed and installed; none named: the random
 * key.  0, or -errno with err set. */
int ticket_key_load(const struct cfg *cfg, uint32_t generation, char *reason, size_t reason_len);

#endif

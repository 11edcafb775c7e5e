/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Keys the kernel names by serial in a handshake request (keyutils).
 *
 * Conventions (those of tlshd, so that kernel consumers configured for it
 * work unchanged):
 *   - a PSK is a key of type "psk" (the NVMe keyring) or "user"; its
 *     description is the PSK identity and its payload the raw key;
 *   - a certificate and a private key are "user" keys holding DER (PEM is
 *     accepted too).  Keys of type "asymmetric" cannot be read back from
 *     user space (the type has no read operation), so they cannot carry our
 *     own certificate.
 * All functions return 0 / -errno and fill a reason on failure.  Key copies
 * are wiped before they are freed.
 */
#ifndef KTLSD_KEYRING_H
#define KTLSD_KEYRING_H

#include <gnutls/gnutls.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/config_ref.h"
#include "ktls_proto.h"

typedef int32_t kr_serial_t;	/* keyutils' key_serial_t */

#define KR_PSK_MAX 64		/* bytes; TLS 1.3 PSKs of NVMe are 32 or 48 */
#define KR_MAX_PSKS 32		/* PSKs gathered for one server request */

struct kr_psk {
	kr_serial_t serial;
	char identity[KTLS_NAME_MAX];
	uint8_t key[KR_PSK_MAX];
	unsigned key_len;
};

/* One PSK key: identity from its description, the key from its payload. */
int keyring_read_psk(kr_serial_t serial, struct kr_psk *out, char *reason, size_t reason_len);

/* Append the PSKs held in keyring (and in keyrings linked from it, `depth`
 * levels down) to list[*n..cap).  Keys of other types are skipped.  Returns
 * 0, or -errno if the keyring itself cannot be read. */
int keyring_collect_psks(kr_serial_t keyring, unsigned depth, struct kr_psk *list,
			 unsigned *n, unsigned cap);

/* Our process keyring's serial, 0 if we have none.  Kernel 6.4 to at least
 * 6.12 link the consumer's keyring (tls_handshake_args.ta_keyring) into the
 * process keyring of the process that sends ACCEPT, instead of naming it. */
kr_serial_t keyring_process_keyring(void);
/* Unlink everything but the configured keyrings (below) from our process
 * keyring, so that one consumer's keys are never visible to the next
 * request. */
void keyring_forget_linked(void);

/*
 * [kernel] keyrings (names, or decimal serials): each is found and linked
 * into our process keyring, which makes us the possessor of its keys, so
 *  - a PSK server request finds PSKs there (two levels down), and
 *  - certificates, private keys and PSKs the kernel names by serial can be
 *    read when they live there, even if their permissions grant nothing to
 *    our user (tlshd links the same keyrings into its session keyring).
 * Cheap when nothing changed: it works only when the list differs from the
 * one linked (start, SIGHUP) or an entry is still missing, retried at most
 * every KR_RELINK_MS.  A keyring that cannot be found or linked is logged,
 * a warning the first time, and skipped.  Main thread only.
 */
#define KR_RELINK_MS 10000
void keyring_link_configured(char *const *names, size_t n);
/* How many configured keyrings are linked now (logs, tests). */
unsigned keyring_configured_linked(void);

/* Store a verified peer's DER certificate as an "asymmetric" key named
 * "TLS x509 <name>" in our user keyring, expiring after ttl_s; its serial
 * is what DONE reports as the remote identity.  0 if that fails (reason). */
kr_serial_t keyring_store_peer_cert(const uint8_t *der, size_t der_len, const char *name,
				    unsigned ttl_s, char *reason, size_t reason_len);

/*
 * x509 credentials for a certificate + private key named by serial.
 * Building one means copying the profile's trust anchors (tens of ms for a
 * system store), so they are cached per (config, profile, serials, content
 * digest) and shared: a consumer that mounts with the same keys again gets
 * the same credentials.  A key updated under the same serial changes the
 * digest and so gets fresh credentials.  Call from one thread (the main
 * one); keyring_x509_put() may run on any thread.
 */
struct kr_x509;
int keyring_x509_get(struct cfg_ref *cfg, const struct cfg_profile *profile, kr_serial_t cert,
		     kr_serial_t privkey, struct kr_x509 **out, char *reason, size_t reason_len);
gnutls_certificate_credentials_t keyring_x509_creds(const struct kr_x509 *x);
void keyring_x509_put(struct kr_x509 *x);
/* Drop every cached entry not in use (shutdown, tests). */
void keyring_x509_flush(void);
/* Counters for tests and logs: cache hits and misses so far. */
void keyring_x509_stats(unsigned long *hits, unsigned long *misses);

#endif

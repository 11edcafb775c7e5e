/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal: the traffic secrets libktls keeps per socket for TLS 1.3
 * KeyUpdate (ktls_rekey.c), as the daemon client and ktls_recv() use them.
 */
#ifndef KTLS_REKEY_H
#define KTLS_REKEY_H

#include <stddef.h>
#include <stdint.h>

#include "ktls_hkdf.h"

/* Keep fd's current application traffic secrets: secrets is our TX secret
 * then our RX secret, each of the cipher suite's hash length (64 or 96
 * bytes in all).  Replaces what was kept for fd before.  0, or -1 + errno
 * (EINVAL: sizes do not fit the cipher; ENOMEM: no locked memory left). */
int ktls_secrets_keep(int fd, uint16_t version, uint16_t cipher, const uint8_t *secrets,
		      size_t len);

/* Wipe and drop what is kept for fd (ktls_forget, ktls_close). */
void ktls_secrets_drop(int fd);

/* The peer's KeyUpdate record (handshake messages, whole): install the next
 * RX key, and when the peer asks, send our KeyUpdate and install the next TX
 * key.  0, or -1 + errno with the reason (EKEYEXPIRED: cannot rekey here). */
int ktls_peer_key_update(int fd, int update_requested);

/* Does the running kernel take a second TLS_TX/TLS_RX (Linux 6.14+)?  Probed
 * once per process on a loopback pair: 1 yes, 0 no (reason recorded). */
int ktls_kernel_can_rekey(void);

/* The HMAC libktls uses; the unit tests may swap it (default AF_ALG). */
extern ktls_hmac_fn ktls_rekey_hmac;

#endif /* KTLS_REKEY_H */

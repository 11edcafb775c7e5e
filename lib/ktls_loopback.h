/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal: a connected TCP pair over 127.0.0.1 and keys nobody needs to
 * keep, the bench every kTLS probe runs on (ktls_probe(), `ktls check`, the
 * benchmark, the integration tests).  Not installed, not exported from
 * libktls.so; the programs get it from libktls.a.
 *
 * Errors follow the public contract (see ktls_internal.h): -1 with errno and
 * ktls_errmsg() saying which step failed.
 */
#ifndef KTLS_LOOPBACK_H
#define KTLS_LOOPBACK_H

#include <stdint.h>

#include "ktls.h"

/* Listening on 127.0.0.1 at a port the kernel picks (*port): the
 * descriptor. */
int ktls_loopback_listen(int backlog, int *port);

/* Connected to 127.0.0.1:port: the descriptor.  With io_timeout_s > 0 it has
 * SO_RCVTIMEO and SO_SNDTIMEO of that many seconds, so a stuck peer fails a
 * call instead of hanging the caller. */
int ktls_loopback_connect(int port, int io_timeout_s);

struct ktls_loopback_pair {
	int client;	/* the end that connected */
	int server;	/* the end accept() returned */
};

/* Both ends of one connection, close-on-exec, each with the I/O timeouts of
 * ktls_loopback_connect().  0; on failure both ends are -1. */
int ktls_loopback_pair_open(struct ktls_loopback_pair *pair, int io_timeout_s);
/* Closes the ends that are open and sets them to -1. */
void ktls_loopback_pair_close(struct ktls_loopback_pair *pair);

/*
 * Throwaway keys: the lengths cipher needs, every key, IV and salt byte
 * derived from seed, record sequence 0.  Two seeds give keys that fail each
 * other's authentication, so keys crossed between directions cannot pass a
 * round trip.  An unknown cipher gets zero lengths (ktls_install() then says
 * why).  Not secret, but wipe them like real keys (ktls_params_wipe()).
 */
void ktls_params_throwaway(struct ktls_crypto_params *p, int version, int cipher,
			   uint8_t seed);

#endif /* KTLS_LOOPBACK_H */

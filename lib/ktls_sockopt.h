/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal: the per-socket option store (ktls_sockopt.c) as the daemon client
 * (ktls_client.c) and the unit tests use it.  Not installed, not exported.
 */
#ifndef KTLS_SOCKOPT_H
#define KTLS_SOCKOPT_H

#include "ktls_proto.h"

/* Most sockets the store keeps options for at once; one more is ENOMEM.
 * A variable only so the unit tests can reach the limit with a few fds. */
#define KTLS_STORE_DEFAULT_MAX 65536
extern unsigned int ktls_store_max;

/* A handshake begins: fill req from the options set on fd (defaults where
 * none) and forget the outcome of any earlier handshake.  0, or -1 with
 * errno EBADF / ENOTSOCK (reason set) unless fd is an open socket. */
int ktls_store_begin(int fd, enum ktls_role role, struct ktls_hs_request *req);

/* The daemon reported success: keep the facts for the post-handshake
 * getters.  0, or -1 + ENOMEM (reason set). */
int ktls_store_succeeded(int fd, const struct ktls_hs_reply *rep);

/* A handshake failed: keep reason for KTLS_ERROR.  Best effort (a store
 * that is full just does not remember it). */
void ktls_store_failed(int fd, const char *reason);

/* After a successful handshake: take fd's KTLS_EARLY_DATA bytes out of
 * the store (*buf NULL if none); the caller wipes and frees them.  Taken
 * once: a later handshake on fd sends them no more. */
void ktls_store_take_early(int fd, uint8_t **buf, size_t *len);
/* ... and what became of them, for KTLS_EARLY_DATA_STATUS. */
void ktls_store_early_status(int fd, uint8_t status);

/* Entries currently held (for the tests). */
unsigned int ktls_store_count(void);

#endif /* KTLS_SOCKOPT_H */

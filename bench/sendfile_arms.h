/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One loopback connection of an in-process sendfile arm (sendfile_arms.c). */
#ifndef KTLS_BENCH_SENDFILE_ARMS_H
#define KTLS_BENCH_SENDFILE_ARMS_H

#include "bench.h"

struct bench_conn {
	enum arm_id arm;
	int send_fd, recv_fd;		/* server end sends, client end receives */
	gnutls_session_t send_session;	/* arm C only */
	int recv_ktls;			/* the receiver reads through kTLS RX */
};

/* Connect and handshake as the arm does; keys says where the keys came
 * from, note why it failed.  Returns 0 or -1. */
int arm_conn_setup(enum arm_id arm, const struct bench_ctx *ctx, int cipher, struct bench_conn *c,
		   char *keys, size_t keys_len, char *note, size_t note_len);
void arm_conn_close(struct bench_conn *c);

/* Send one object (the whole file of size bytes) the arm's way; with a
 * deadline (> 0) large objects may stop early.  buf: BENCH_RECORD_SIZE
 * bytes of scratch.  Returns bytes sent or -1. */
ssize_t arm_send_object(struct bench_conn *c, int file_fd, size_t size, double deadline,
			uint8_t *buf);
/* Application data from the receiving end: 0 at end of stream. */
ssize_t arm_recv(struct bench_conn *c, void *buf, size_t len);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kernel door: the net/handshake upcall (generic netlink family
 * "handshake", multicast group "tlshd"), the same protocol tlshd serves.
 * See door_netlink.c and docs/netlink.md.
 */
#ifndef KTLSD_DOOR_NETLINK_H
#define KTLSD_DOOR_NETLINK_H

#include <netlink/msg.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/job.h"

/* Start serving kernel requests: resolve the family, join the group, probe
 * what DONE accepts, and take requests already waiting.  Call once workers
 * run.  Returns an fd for the main epoll loop (EPOLLIN), or -errno after
 * logging once why the door is unavailable (no such family, no
 * CAP_NET_ADMIN); the application door keeps serving either way. */
int door_netlink_open(void);
/* The fd is readable: READY notifications; ACCEPT every waiting request. */
void door_netlink_readable(void);
/* Leave the group.  Call after workers_stop(): their last DONEs go out. */
void door_netlink_close(void);
int door_netlink_active(void);

/* ---- message codec (exposed for the golden-byte unit tests) ---- */

#define HSNL_MAX_PEERIDS 5	/* the kernel's tls_handshake_args.ta_my_peerids[] */

/* An ACCEPT reply.  Serials are 0 when absent (the kernel's TLS_NO_*). */
struct hsnl_accept {
	int sockfd;			/* -1: absent (then nothing can be answered) */
	uint32_t message_type;		/* enum handshake_msg_type */
	uint32_t auth_mode;		/* enum handshake_auth */
	uint32_t timeout_ms;		/* 0: absent */
	int32_t peerids[HSNL_MAX_PEERIDS];
	unsigned n_peerids;
	int32_t cert, privkey;
	int32_t keyring;
	char peername[KTLS_NAME_MAX];
};

/* Build ACCEPT (handler class TLSHD) / DONE into an empty msg.  DONE asks
 * for an ACK.  0 or -ENOBUFS. */
int hsnl_build_accept(struct nl_msg *msg, int family, uint32_t seq);
int hsnl_build_done(struct nl_msg *msg, int family, uint32_t seq, uint32_t status, int sockfd,
		    const int32_t *remote_auth, unsigned n_remote_auth);
/* Is nlh a READY notification for our handler class? */
int hsnl_is_ready(struct nlmsghdr *nlh, int family);
/* Parse an ACCEPT reply.  0, or -EBADMSG with a reason; out->sockfd is set
 * whenever the reply carried one, even if something else was wrong, so the
 * caller can still answer DONE and close it. */
int hsnl_parse_accept(struct nlmsghdr *nlh, int family, struct hsnl_accept *out, char *reason,
		      size_t reason_len);
/* The engine's outcome (0 or positive errno) -> the DONE status kernel
 * consumers understand: 0, EACCES (authentication failed), ETIMEDOUT,
 * EKEYREJECTED (unknown PSK identity), else EIO. */
uint32_t hsnl_done_status(uint32_t engine_status, int unknown_psk_identity);

#endif

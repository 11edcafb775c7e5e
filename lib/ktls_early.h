/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal: a client's KTLS_EARLY_DATA bytes after the handshake
 * (ktls_early.c).  Not installed, not exported.
 */
#ifndef KTLS_EARLY_H
#define KTLS_EARLY_H

#include <stddef.h>
#include <stdint.h>

/* What libktls does with len early bytes, given the daemon's report
 * (reply TLVs KTLS_TLV_EARLY_STATUS, KTLS_TLV_EARLY_ACCEPTED). */
struct ktls_early_plan {
	size_t resend_from;		/* write bytes [resend_from, len) after the handoff */
	uint8_t status;			/* enum ktls_early_data_status the caller reads */
};

/* 0, or -EPROTO for a report that cannot be true (more accepted than
 * sent, accepted bytes without "accepted", early status without bytes). */
int ktls_early_plan(uint8_t daemon_status, uint32_t accepted, size_t len,
		    struct ktls_early_plan *plan);

/* Write all len bytes on the kTLS socket fd, waiting (poll) when it is
 * non-blocking and full, at most timeout_ms in all.  0, or -1 + errno and
 * reason (the connection is then unusable: part may have been sent). */
int ktls_early_write(int fd, const uint8_t *buf, size_t len, int timeout_ms);

#endif /* KTLS_EARLY_H */

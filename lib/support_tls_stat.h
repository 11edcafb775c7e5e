/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel's kTLS counters (/proc/net/tls_stat), read the one way the
 * programs share (ktls-bench, the integration tests).  Built into
 * libktls-support.a, not into libktls.
 */
#ifndef SUPPORT_TLS_STAT_H
#define SUPPORT_TLS_STAT_H

struct tls_counters {
	long long tx_sw, rx_sw, curr_tx_sw, curr_rx_sw, decrypt_error;
};

/* -1 in every field when /proc/net/tls_stat is missing (no tls module). */
void tls_counters_read(struct tls_counters *c);

#endif /* SUPPORT_TLS_STAT_H */

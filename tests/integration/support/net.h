/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* TCP for tests: both ends on this host, in one run (a listener on
 * 127.0.0.1 and a whole pair come from lib/ktls_loopback.h). */
#ifndef INTEG_NET_H
#define INTEG_NET_H

/* SO_RCVTIMEO and SO_SNDTIMEO, so a stuck peer fails a check instead of
 * hanging the suite. */
void set_io_timeouts(int fd, int seconds);

/* Connected to host:port (dotted IPv4) with I/O timeouts of timeout_s;
 * -1 with errno on failure. */
int tcp_connect(const char *host, int port, int timeout_s);

#endif /* INTEG_NET_H */

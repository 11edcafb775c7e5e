/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The service manager's readiness protocol (sd_notify(3)), without
 * libsystemd: one datagram to $NOTIFY_SOCKET per state change.
 */
#ifndef KTLSD_SD_NOTIFY_H
#define KTLSD_SD_NOTIFY_H

/* Send "KEY=VALUE\n..." to $NOTIFY_SOCKET.  1 sent, 0 no service manager
 * listening ($NOTIFY_SOCKET unset), -errno on failure. */
int sd_notify_send(const char *state);
int sd_notifyf_send(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The states ktlsd reports; failures are logged at debug level only,
 * because a manager that stopped listening has nothing to learn. */
void sd_notify_ready(const char *status);	/* READY=1 + STATUS= + MAINPID= */
void sd_notify_reloading(void);			/* RELOADING=1 + MONOTONIC_USEC= */
void sd_notify_stopping(void);			/* STOPPING=1 */

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Socket activation (sd_listen_fds(3)) without libsystemd: take the
 * listening socket a service manager passed as fd 3.
 */
#ifndef KTLSD_SD_LISTEN_H
#define KTLSD_SD_LISTEN_H

#include <stddef.h>

#define SD_LISTEN_FDS_START 3

/* The passed listening AF_UNIX SOCK_SEQPACKET socket, made non-blocking and
 * close-on-exec; the LISTEN_* variables are removed either way.
 * -ENOENT: nothing was passed to us (start normally).  Any other -errno: a
 * socket was passed but is not one we can serve (why in reason). */
int sd_listen_seqpacket(char *reason, size_t reason_len);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Checks on the fd an application hands us, before any byte is read. */
#ifndef KTLSD_DOORS_FDCHECK_H
#define KTLSD_DOORS_FDCHECK_H

#include <stddef.h>

/* Is fd a connected TCP socket with no ULP?  0 or -errno with a
 * reason. */
int fd_check_tcp_socket(int fd, char *reason, size_t reason_len);
void fd_peer_address(int fd, char *out, size_t out_len);

#endif

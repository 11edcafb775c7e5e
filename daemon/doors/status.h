/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The status request (`ktls status`) on the application door. */
#ifndef KTLSD_DOORS_STATUS_H
#define KTLSD_DOORS_STATUS_H

#include <stddef.h>

/* Answer a STATUS_REQ (len bytes in the message, fd the one it
 * carried or -1) on conn, then close conn (and fd). */
void status_serve(int conn, size_t len, int fd);

#endif

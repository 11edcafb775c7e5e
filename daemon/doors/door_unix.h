/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The application door (AF_UNIX SOCK_SEQPACKET); see door_unix.c. */
#ifndef KTLSD_DOOR_UNIX_H
#define KTLSD_DOOR_UNIX_H

#include "engine/job.h"

/* Listening fd or -errno: the socket a service manager passed (LISTEN_FDS,
 * path then ignored), else path bound here.  Refuses to take over a socket
 * another daemon serves, and a passed fd that is not a SEQPACKET listener. */
int door_unix_open(const char *path);
/* Accept all waiting connections; each is added to epfd with its own ptr.
 * Out of descriptors, listen_fd is taken out of epfd for a while; it comes
 * back through door_unix_expire() with a ptr of ours. */
void door_unix_accept(int listen_fd, int epfd);
/* An epoll ptr of ours (a pending connection, or the listener back from a
 * pause) is readable: take its request, or accept. */
void door_unix_readable(int epfd, void *ptr);
/* Drop connections that sent nothing in time, watch the listener again
 * after a pause; ms to the next deadline or -1. */
int door_unix_expire(int epfd);
void door_unix_close(int listen_fd, const char *path);

#endif

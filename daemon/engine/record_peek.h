/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The next TLS 1.3 record's inner content type, peeked from a socket
 * (record_peek.c); the opening itself is record_open.h. */
#ifndef KTLSD_RECORD_PEEK_H
#define KTLSD_RECORD_PEEK_H

#include <gnutls/gnutls.h>
#include <stddef.h>

/* A handshake record holding anything but NewSessionTicket messages (a
 * KeyUpdate, a post-handshake CertificateRequest): not a ticket to drain.
 * Above every content type (a byte). */
#define RECORD_PEEK_NOT_TICKETS 0x100

/* Inner content type (22 handshake, 23 data, 21 alert) of the next complete
 * TLS 1.3 record queued on fd, decrypted from a peeked copy; the socket is
 * untouched.  22 only when every handshake message in the record is a
 * NewSessionTicket, RECORD_PEEK_NOT_TICKETS otherwise.  -EAGAIN: nothing
 * queued; -EINPROGRESS: part of a record is queued (the socket is readable, yet the record is not complete: do not
 * wait for "readable"); -ENODATA: EOF, or part of a record followed by the
 * peer's FIN (it will never complete); -EBADMSG: not a record we could
 * open; other -errno. *record_len: the record's size on the wire. */
int record_peek_inner_type(gnutls_session_t session, int fd, size_t *record_len);

#endif

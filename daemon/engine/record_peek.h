/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KTLSD_RECORD_PEEK_H
#define KTLSD_RECORD_PEEK_H

#include <gnutls/gnutls.h>
#include <stddef.h>

/* Inner content type (22 handshake, 23 data, 21 alert) of the next complete
 * TLS 1.3 record queued on fd, decrypted from a peeked copy; the socket is
 * untouched.  -EAGAIN: nothing queued; -EINPROGRESS: part of a record is
 * queued (the socket is readable, yet the record is not complete: do not
 * wait for "readable"); -ENODATA: EOF, or part of a record followed by the
 * peer's FIN (it will never complete); -EBADMSG: not a record we could
 * open; other -errno. *record_len: the record's size on the wire. */
int record_peek_inner_type(gnutls_session_t session, int fd, size_t *record_len);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Opening one TLS 1.3 protected record (RFC 8446 5.2-5.4) from bytes and
 * keys alone: no socket, no session, so it is tested against RFC 8448's
 * traces (tests/unit/test_record_open.c).  record_peek.c feeds it what it
 * peeked from a socket and the session's current read key.
 */
#ifndef KTLSD_RECORD_OPEN_H
#define KTLSD_RECORD_OPEN_H

#include <gnutls/gnutls.h>
#include <stddef.h>
#include <stdint.h>

#define RECORD_HEADER_LEN 5
#define RECORD_TAG_LEN 16	/* every TLS 1.3 AEAD kTLS runs */
#define RECORD_NONCE_LEN 12	/* RFC 8446 5.3: iv_length, 12 for all of them */

/* nonce = the 12-byte static iv xor the 64-bit sequence number seq (big
 * endian, as GnuTLS returns it), left-padded with zeros (RFC 8446 5.3). */
void record_nonce(const uint8_t iv[RECORD_NONCE_LEN], const unsigned char seq[8],
		  uint8_t nonce[RECORD_NONCE_LEN]);

/* Opens record (record_len bytes: the 5-byte header, which is the AEAD's
 * additional data, then ciphertext and tag) with cipher, key and the static
 * iv, as record number seq.  plain must hold record_len - RECORD_HEADER_LEN
 * bytes; *plain_len gets the content's length, without the inner type and
 * the zero padding.  The inner content type (RFC 8446 5.4: the last
 * non-zero byte of the plaintext; 22 handshake, 23 data, 21 alert), or
 * -EBADMSG when the record does not open (wrong key, sequence number or a
 * changed byte: the tag fails) or its plaintext is all padding; -EINVAL
 * when record_len cannot be a record or iv is not 12 bytes. */
int record_open(gnutls_cipher_algorithm_t cipher, const gnutls_datum_t *key,
		const gnutls_datum_t *iv, const unsigned char seq[8], const uint8_t *record,
		size_t record_len, uint8_t *plain, size_t *plain_len);

/* Are the handshake messages in plain (a handshake record's content,
 * len bytes) all NewSessionTickets (type 4)?  A message that runs on into
 * the next record counts by its type; an empty content is not tickets. */
int record_only_tickets(const uint8_t *plain, size_t len);

#endif

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * record_open(): TLS 1.3 nonce, AEAD open and inner content type, checked
 * against RFC 8448 section 3 ("Simple 1-RTT Handshake"), an oracle that owes
 * nothing to this code or to GnuTLS's record layer: the traffic keys and
 * IVs, the protected records as they went over the wire and their
 * plaintexts are the RFC's.  A record opens only if key, nonce (so the
 * sequence number) and header are all right, since the tag covers them.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "engine/record_open.h"

/* {server} derive write traffic keys for application data */
static const char server_app_key[] = "9f 02 28 3b 6c 9c 07 ef c2 6b b9 f2 ac 92 e3 56";
static const char server_app_iv[] = "cf 78 2b 88 dd 83 54 9a ad f1 e9 84";
/* {client} derive write traffic keys for application data */
static const char client_app_key[] = "17 42 2d da 59 6e d5 d9 ac d8 90 e3 c6 3f 50 51";
static const char client_app_iv[] = "5b 78 92 3d ee 08 57 90 33 e5 23 d9";

/* {server} send NewSessionTicket: the record, the server's first under its
 * application key (sequence number 0) */
static const char nst_record[] =
	"17 03 03 00 de 3a 6b 8f 90 41 4a 97 d6 95 9c 34 87 68 0d e5 13 4a 2b 24 0e 6c"
	"ff ac 11 6e 95 d4 1d 6a f8 f6 b5 80 dc f3 d1 1d 63 c7 58 db 28 9a 01 59 40 25"
	"2f 55 71 3e 06 1d c1 3e 07 88 91 a3 8e fb cf 57 53 ad 8e f1 70 ad 3c 73 53 d1"
	"6d 9d a7 73 b9 ca 7f 2b 9f a1 b6 c0 d4 a3 d0 3f 75 e0 9c 30 ba 1e 62 97 2a c4"
	"6f 75 f7 b9 81 be 63 43 9b 29 99 ce 13 06 46 15 13 98 91 d5 e4 c5 b4 06 f1 6e"
	"3f c1 81 a7 7c a4 75 84 00 25 db 2f 0a 77 f8 1b 5a b0 5b 94 c0 13 46 75 5f 69"
	"23 2c 86 51 9d 86 cb ee ac 87 aa c3 47 d1 43 f9 60 5d 64 f6 50 db 4d 02 3e 70"
	"e9 52 ca 49 fe 51 37 12 1c 74 bc 26 97 68 7e 24 87 46 d6 df 35 30 05 f3 bc e1"
	"86 96 12 9c 81 53 55 6b 3b 6c 67 79 b3 7b f1 59 85 68 4f";
/* ... and the NewSessionTicket handshake message inside it (205 octets) */
static const char nst_message[] =
	"04 00 00 c9 00 00 00 1e fa d6 aa c5 02 00 00 00 b2 2c 03 5d 82 93 59 ee 5f f7"
	"af 4e c9 00 00 00 00 26 2a 64 94 dc 48 6d 2c 8a 34 cb 33 fa 90 bf 1b 00 70 ad"
	"3c 49 88 83 c9 36 7c 09 a2 be 78 5a bc 55 cd 22 60 97 a3 a9 82 11 72 83 f8 2a"
	"03 a1 43 ef d3 ff 5d d3 6d 64 e8 61 be 7f d6 1d 28 27 db 27 9c ce 14 50 77 d4"
	"54 a3 66 4d 4e 6d a4 d2 9e e0 37 25 a6 a4 da fc d0 fc 67 d2 ae a7 05 29 51 3e"
	"3d a2 67 7f a5 90 6c 5b 3f 7d 8f 92 f2 28 bd a4 0d da 72 14 70 f9 fb f2 97 b5"
	"ae a6 17 64 6f ac 5c 03 27 2e 97 07 27 c6 21 a7 91 41 ef 5f 7d e6 50 5e 5b fb"
	"c3 88 e9 33 43 69 40 93 93 4a e4 d3 57 00 08 00 2a 00 04 00 00 04 00";
/* {client} send application_data: the client's first record under its
 * application key (sequence number 0), 50 bytes 00 01 ... 31 */
static const char client_data_record[] =
	"17 03 03 00 43 a2 3f 70 54 b6 2c 94 d0 af fa fe 82 28 ba 55 cb ef ac ea 42 f9"
	"14 aa 66 bc ab 3f 2b 98 19 a8 a5 b4 6b 39 5b d5 4a 9a 20 44 1e 2b 62 97 4e 1f"
	"5a 62 92 a2 97 70 14 bd 1e 3d ea e6 3a ee bb 21 69 49 15 e4";
/* {server} send application_data: the server's second record (sequence
 * number 1, after the ticket), the same 50 bytes */
static const char server_data_record[] =
	"17 03 03 00 43 2e 93 7e 11 ef 4a c7 40 e5 38 ad 36 00 5f c4 a4 69 32 fc 32 25"
	"d0 5f 82 aa 1b 36 e3 0e fa f9 7d 90 e6 df fc 60 2d cb 50 1a 59 a8 fc c4 9c 4b"
	"f2 e5 f0 a2 1c 00 47 c2 ab f3 32 54 0d d0 32 e1 67 c2 95 5d";

static const unsigned char seq0[8] = { 0 }, seq1[8] = { 0, 0, 0, 0, 0, 0, 0, 1 };

struct bytes {
	uint8_t data[512];
	size_t len;
};

static struct bytes hex(const char *s)
{
	struct bytes b = { .len = 0 };
	unsigned v;

	while (*s) {
		if (*s == ' ') {
			s++;
			continue;
		}
		assert_true(b.len < sizeof(b.data));
		assert_int_equal(sscanf(s, "%2x", &v), 1);
		b.data[b.len++] = (uint8_t)v;
		s += 2;
	}
	return b;
}

/* record_open() with one of the RFC's key/iv pairs. */
static int open_with(const char *key_hex, const char *iv_hex, const unsigned char seq[8],
		     const struct bytes *record, struct bytes *plain)
{
	struct bytes key = hex(key_hex), iv = hex(iv_hex);
	gnutls_datum_t k = { key.data, (unsigned)key.len }, i = { iv.data, (unsigned)iv.len };

	memset(plain, 0xa5, sizeof(*plain));
	return record_open(GNUTLS_CIPHER_AES_128_GCM, &k, &i, seq, record->data, record->len,
			   plain->data, &plain->len);
}

static void assert_counting_bytes(const struct bytes *plain)
{
	assert_int_equal(plain->len, 50);
	for (size_t i = 0; i < plain->len; i++)
		assert_int_equal(plain->data[i], i);
}

static void test_new_session_ticket_opens(void **state)
{
	struct bytes record = hex(nst_record), want = hex(nst_message), plain;

	assert_int_equal(record.len, 5 + 0xde);
	assert_int_equal(open_with(server_app_key, server_app_iv, seq0, &record, &plain), 22);
	assert_int_equal(plain.len, 205);
	assert_memory_equal(plain.data, want.data, want.len);
}

static void test_application_data_opens(void **state)
{
	struct bytes client = hex(client_data_record), server = hex(server_data_record), plain;

	assert_int_equal(open_with(client_app_key, client_app_iv, seq0, &client, &plain), 23);
	assert_counting_bytes(&plain);
	/* seq 1: the nonce's last byte is the IV's xor 1 */
	assert_int_equal(open_with(server_app_key, server_app_iv, seq1, &server, &plain), 23);
	assert_counting_bytes(&plain);
}

/* Attacker's bytes: a changed tag, ciphertext or header byte, a replay at
 * another sequence number, the other direction's key: none opens. */
static void test_changed_record_does_not_open(void **state)
{
	struct bytes record = hex(nst_record), plain;
	const size_t flips[] = { 0, 4, 5, 100, record.len - 17, record.len - 1 };

	for (size_t f = 0; f < sizeof(flips) / sizeof(flips[0]); f++) {
		struct bytes bad = record;

		bad.data[flips[f]] ^= 0x01;
		assert_int_equal(open_with(server_app_key, server_app_iv, seq0, &bad, &plain),
				 -EBADMSG);
		assert_int_equal(plain.len, 0);
	}
	assert_int_equal(open_with(server_app_key, server_app_iv, seq1, &record, &plain),
			 -EBADMSG);
	assert_int_equal(open_with(client_app_key, client_app_iv, seq0, &record, &plain),
			 -EBADMSG);
}

static void test_nonce_is_iv_xor_sequence(void **state)
{
	struct bytes iv = hex(server_app_iv);
	/* by hand: dd^01 83^02 54^03 9a^04 ad^05 f1^06 e9^07 84^08 */
	struct bytes want = hex("cf 78 2b 88 dc 81 57 9e a8 f7 ee 8c");
	const unsigned char seq[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	uint8_t nonce[RECORD_NONCE_LEN];

	record_nonce(iv.data, seq, nonce);
	assert_memory_equal(nonce, want.data, RECORD_NONCE_LEN);
	record_nonce(iv.data, seq0, nonce);
	assert_memory_equal(nonce, iv.data, RECORD_NONCE_LEN);
}

/* Seals inner (content, type, padding) under the RFC's server key as record
 * seq 0: what a peer could send, for the parse of the inner type. */
static struct bytes seal(const uint8_t *inner, size_t inner_len)
{
	struct bytes key = hex(server_app_key), iv = hex(server_app_iv), rec = { .len = 0 };
	gnutls_datum_t k = { key.data, (unsigned)key.len };
	gnutls_aead_cipher_hd_t aead;
	uint8_t nonce[RECORD_NONCE_LEN];
	size_t out_len = sizeof(rec.data) - RECORD_HEADER_LEN;
	const uint8_t header[RECORD_HEADER_LEN] = { 23, 3, 3, 0,
						    (uint8_t)(inner_len + RECORD_TAG_LEN) };

	record_nonce(iv.data, seq0, nonce);
	memcpy(rec.data, header, sizeof(header));
	assert_int_equal(gnutls_aead_cipher_init(&aead, GNUTLS_CIPHER_AES_128_GCM, &k), 0);
	assert_int_equal(gnutls_aead_cipher_encrypt(aead, nonce, sizeof(nonce), header,
						    sizeof(header), RECORD_TAG_LEN, inner, inner_len,
						    rec.data + RECORD_HEADER_LEN, &out_len), 0);
	gnutls_aead_cipher_deinit(aead);
	rec.len = RECORD_HEADER_LEN + out_len;
	return rec;
}

/* RFC 8446 5.4: zeros after the type are padding; a plaintext of zeros
 * only has no type and is refused. */
static void test_inner_type_after_padding(void **state)
{
	const uint8_t padded[] = { 'd', 'a', 't', 'a', 21, 0, 0, 0, 0, 0, 0, 0 };
	const uint8_t zero_content[] = { 0, 0, 22, 0 };
	const uint8_t all_padding[8] = { 0 };
	struct bytes rec, plain;

	rec = seal(padded, sizeof(padded));
	assert_int_equal(open_with(server_app_key, server_app_iv, seq0, &rec, &plain), 21);
	assert_int_equal(plain.len, 4);
	assert_memory_equal(plain.data, "data", 4);
	rec = seal(zero_content, sizeof(zero_content));
	assert_int_equal(open_with(server_app_key, server_app_iv, seq0, &rec, &plain), 22);
	assert_int_equal(plain.len, 2);
	rec = seal(all_padding, sizeof(all_padding));
	assert_int_equal(open_with(server_app_key, server_app_iv, seq0, &rec, &plain), -EBADMSG);
	assert_int_equal(plain.len, 0);
}

/* Which handshake records the ticket drain may hand to GnuTLS: tickets
 * only, coalesced or cut at the record's end; never a KeyUpdate (24), a
 * CertificateRequest (13), or a ticket with a KeyUpdate behind it. */
static void test_only_tickets(void **state)
{
	static const uint8_t ticket[] = { 4, 0, 0, 3, 0xa, 0xb, 0xc };
	static const uint8_t two_tickets[] = { 4, 0, 0, 1, 0xa, 4, 0, 0, 2, 0xb, 0xc };
	static const uint8_t key_update[] = { 24, 0, 0, 1, 0 };
	static const uint8_t ticket_then_key_update[] = { 4, 0, 0, 1, 0xa, 24, 0, 0, 1, 1 };
	static const uint8_t cert_request[] = { 13, 0, 0, 0 };
	static const uint8_t ticket_cut[] = { 4, 0, 0x10, 0, 0xa, 0xb };	/* 4096 bytes long */
	static const uint8_t header_cut[] = { 4, 0, 0, 1, 0xa, 4, 0 };

	(void)state;
	assert_true(record_only_tickets(ticket, sizeof(ticket)));
	assert_true(record_only_tickets(two_tickets, sizeof(two_tickets)));
	assert_true(record_only_tickets(ticket_cut, sizeof(ticket_cut)));
	assert_true(record_only_tickets(header_cut, sizeof(header_cut)));
	assert_false(record_only_tickets(key_update, sizeof(key_update)));
	assert_false(record_only_tickets(ticket_then_key_update, sizeof(ticket_then_key_update)));
	assert_false(record_only_tickets(cert_request, sizeof(cert_request)));
	assert_false(record_only_tickets(ticket, 0));
}

static void test_not_a_record(void **state)
{
	struct bytes record = hex(nst_record), plain;

	/* header + tag, no room for a type */
	record.len = RECORD_HEADER_LEN + RECORD_TAG_LEN;
	assert_int_equal(open_with(server_app_key, server_app_iv, seq0, &record, &plain), -EINVAL);
	record = hex(nst_record);
	assert_int_equal(open_with(server_app_key, "cf 78 2b 88 dd 83 54 9a", seq0, &record,
				   &plain), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_session_ticket_opens),
		cmocka_unit_test(test_only_tickets),
		cmocka_unit_test(test_application_data_opens),
		cmocka_unit_test(test_changed_record_does_not_open),
		cmocka_unit_test(test_nonce_is_iv_xor_sequence),
		cmocka_unit_test(test_inner_type_after_padding),
		cmocka_unit_test(test_not_a_record),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer harness for the ktlsd protocol codec (lib/ktls_msg.c, included
 * whole so the harness needs nothing else).  See tests/fuzz/README.md.
 *
 * Every input is offered as a request, a reply, a status reply and an ALPN
 * text.  Whatever decodes must re-encode, and the re-encoding must decode to
 * the very same struct; encoding that struct again must give the same bytes
 * (the encoder's output is canonical).  Any difference aborts, which
 * libFuzzer reports.
 */
#include <stdio.h>
#include <stdlib.h>

#include "../../lib/ktls_msg.c"

#include "fuzz_check.h"

static uint8_t encoded[KTLS_MSG_MAX], reencoded[KTLS_MSG_MAX];

static void round_trip_request(const uint8_t *data, size_t size)
{
	static struct ktls_hs_request req, again;
	int len, len2;

	if (ktls_msg_decode_request(data, size, &req) < 0)
		return;
	CHECK(ktls_msg_type(data, size) == KTLS_MSG_HANDSHAKE_REQ);
	len = ktls_msg_encode_request(&req, encoded, sizeof(encoded));
	/* not necessarily <= size: verify goes out even when it came absent */
	CHECK(len >= KTLS_MSG_HDR_LEN);
	CHECK(ktls_msg_decode_request(encoded, (size_t)len, &again) == 0);
	/* early_data points into each decoded buffer: compare the bytes */
	CHECK(req.early_data_len == again.early_data_len &&
	      (!req.early_data_len ||
	       memcmp(req.early_data, again.early_data, req.early_data_len) == 0));
	{
		uint8_t *ours = req.early_data, *theirs = again.early_data;

		req.early_data = again.early_data = NULL;
		CHECK(memcmp(&req, &again, sizeof(req)) == 0);
		req.early_data = ours;
		again.early_data = theirs;
	}
	len2 = ktls_msg_encode_request(&again, reencoded, sizeof(reencoded));
	CHECK(len2 == len && memcmp(encoded, reencoded, (size_t)len) == 0);
}

static void round_trip_reply(const uint8_t *data, size_t size)
{
	static struct ktls_hs_reply rep, again;
	int len, len2;

	if (ktls_msg_decode_reply(data, size, &rep) < 0)
		return;
	CHECK(ktls_msg_type(data, size) == KTLS_MSG_HANDSHAKE_REPLY);
	len = ktls_msg_encode_reply(&rep, encoded, sizeof(encoded));
	CHECK(len >= KTLS_MSG_HDR_LEN && (size_t)len <= size);	/* nothing added */
	CHECK(ktls_msg_decode_reply(encoded, (size_t)len, &again) == 0);
	CHECK(memcmp(&rep, &again, sizeof(rep)) == 0);
	len2 = ktls_msg_encode_reply(&again, reencoded, sizeof(reencoded));
	CHECK(len2 == len && memcmp(encoded, reencoded, (size_t)len) == 0);
}

static void round_trip_status(const uint8_t *data, size_t size)
{
	static struct ktls_status_reply st, again;
	int len, len2;

	if (ktls_msg_decode_status(data, size, &st) < 0)
		return;
	CHECK(ktls_msg_type(data, size) == KTLS_MSG_STATUS_REPLY);
	len = ktls_msg_encode_status(&st, encoded, sizeof(encoded));
	CHECK(len >= KTLS_MSG_HDR_LEN && (size_t)len <= size);	/* nothing added */
	CHECK(ktls_msg_decode_status(encoded, (size_t)len, &again) == 0);
	CHECK(memcmp(&st, &again, sizeof(st)) == 0);
	len2 = ktls_msg_encode_status(&again, reencoded, sizeof(reencoded));
	CHECK(len2 == len && memcmp(encoded, reencoded, (size_t)len) == 0);
}

/* The text form must give a list the wire validator accepts. */
static void check_alpn_text(const uint8_t *data, size_t size)
{
	char csv[600];
	uint8_t wire[KTLS_ALPN_MAX];
	uint16_t wire_len;

	if (size >= sizeof(csv))
		return;
	memcpy(csv, data, size);
	csv[size] = '\0';
	if (ktls_alpn_from_csv(csv, wire, &wire_len) < 0)
		return;
	CHECK(wire_len <= KTLS_ALPN_MAX);
	CHECK(alpn_wire_valid(wire, wire_len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	round_trip_request(data, size);
	round_trip_reply(data, size);
	round_trip_status(data, size);
	(void)ktls_msg_type(data, size);
	check_alpn_text(data, size);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for the key process's wire format (daemon/keys/keyproc_proto.c,
 * included whole so the harness needs nothing else).  See tests/fuzz/README.md.
 *
 * Every input is offered as a request (what the key process decodes) and
 * as a reply (what the network process decodes).  Whatever decodes must
 * re-encode to exactly the input (the format has no slack: fixed version,
 * zero reserved bytes, lengths given by the datagram), the re-encoding must
 * decode to the same fields, and data must point inside the input, within
 * its bounds.  Any difference aborts, which libFuzzer reports.
 */
#include <stdio.h>
#include <stdlib.h>

#include "keys/keyproc_proto.c"

#include "fuzz_check.h"

static uint8_t encoded[KP_REQ_MAX + KP_REP_MAX];

/* data/data_len lie inside [buf, buf + len) */
static int inside(const uint8_t *p, size_t n, const uint8_t *buf, size_t len)
{
	return p >= buf && p <= buf + len && n <= (size_t)(buf + len - p);
}

static void round_trip_request(const uint8_t *data, size_t size)
{
	struct kp_request rq, again;
	ssize_t len;

	if (kp_request_decode(data, size, &rq) < 0)
		return;
	CHECK(size <= KP_REQ_MAX);
	CHECK(inside(rq.data, rq.data_len, data, size));
	if (rq.type == KP_LOAD || rq.type == KP_OPEN)
		CHECK(rq.data_len >= 1 && rq.data_len < KP_NAME_MAX &&
		      !memchr(rq.data, '\0', rq.data_len));
	len = kp_request_encode(&rq, encoded, sizeof(encoded));
	CHECK(len >= KP_REQ_HDR_LEN);
	CHECK((size_t)len == size && memcmp(encoded, data, size) == 0);
	CHECK(kp_request_decode(encoded, (size_t)len, &again) == 0);
	CHECK(again.type == rq.type && again.id == rq.id && again.generation == rq.generation &&
	      again.index == rq.index && again.sign_algo == rq.sign_algo &&
	      again.flags == rq.flags && again.file == rq.file && again.data_len == rq.data_len);
	CHECK(again.data - encoded == rq.data - data);
	/* one byte short of what fits: refused, not overrun */
	CHECK(kp_request_encode(&rq, encoded, (size_t)len - 1) == -EMSGSIZE);
}

static void round_trip_reply(const uint8_t *data, size_t size)
{
	struct kp_reply rp, again;
	ssize_t len;

	if (kp_reply_decode(data, size, &rp) < 0)
		return;
	CHECK(size <= KP_REP_MAX);
	CHECK(rp.status <= 0 && rp.status >= -4095);
	CHECK(inside(rp.data, rp.data_len, data, size));
	len = kp_reply_encode(&rp, encoded, sizeof(encoded));
	CHECK(len >= KP_REP_HDR_LEN);
	CHECK((size_t)len == size && memcmp(encoded, data, size) == 0);
	CHECK(kp_reply_decode(encoded, (size_t)len, &again) == 0);
	CHECK(again.type == rp.type && again.id == rp.id && again.status == rp.status &&
	      again.pk_algo == rp.pk_algo && again.bits == rp.bits &&
	      again.data_len == rp.data_len);
	CHECK(again.data - encoded == rp.data - data);
	CHECK(kp_reply_encode(&rp, encoded, (size_t)len - 1) == -EMSGSIZE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	round_trip_request(data, size);
	round_trip_reply(data, size);
	return 0;
}

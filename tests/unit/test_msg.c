// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The ktlsd protocol codec against bytes written by hand from ktls_proto.h
 * (never produced by the encoder under test), and against every malformed
 * shape the decoder must refuse.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ktls_proto.h"

/* ---- golden messages ---------------------------------------------------------- */

/* role client, server name, ALPN "h2,http/1.1", profile "web", verify
 * required, timeout 5000 ms; no PSK identity (absent, not empty). */
static const uint8_t golden_request[] = {
	0x6b, 0x54, 0x4c, 0x53,	/* magic "kTLS" */
	0x01,			/* version */
	0x01,			/* HANDSHAKE_REQ */
	0x00, 0x00,		/* reserved */
	0x00, 0x00, 0x00, 0x44,	/* total length 68 */
	0x80, 0x01, 0x00, 0x01, 0x01,	/* ROLE = client */
	0x00, 0x02, 0x00, 0x0b, 'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'c', 'o', 'm',
	0x00, 0x03, 0x00, 0x0c, 0x02, 'h', '2', 0x08, 'h', 't', 't', 'p', '/', '1', '.', '1',
	0x80, 0x04, 0x00, 0x03, 'w', 'e', 'b',
	0x80, 0x05, 0x00, 0x01, 0x01,	/* VERIFY = required */
	0x00, 0x07, 0x00, 0x04, 0x00, 0x00, 0x13, 0x88,	/* TIMEOUT_MS = 5000 */
};

/* A request with nothing set but the role: role and verify still go out. */
static const uint8_t golden_minimal_request[] = {
	0x6b, 0x54, 0x4c, 0x53, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x16,
	0x80, 0x01, 0x00, 0x01, 0x02,	/* ROLE = server */
	0x80, 0x05, 0x00, 0x01, 0x00,	/* VERIFY = default */
};

static const uint8_t golden_reply[] = {
	0x6b, 0x54, 0x4c, 0x53, 0x01,
	0x02,			/* HANDSHAKE_REPLY */
	0x00, 0x00,
	0x00, 0x00, 0x00, 0x6c,	/* total length 108 */
	0x00, 0x20, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00,	/* STATUS = 0 */
	0x00, 0x22, 0x00, 0x02, 0x03, 0x04,		/* VERSION = TLS 1.3 */
	0x00, 0x23, 0x00, 0x02, 0x00, 0x01,		/* CIPHER = AES-128-GCM */
	0x00, 0x24, 0x00, 0x06, 'X', '2', '5', '5', '1', '9',
	0x00, 0x25, 0x00, 0x02, 'h', '2',
	0x00, 0x26, 0x00, 0x04, 'C', 'N', '=', 'a',
	0x00, 0x27, 0x00, 0x20,				/* PEER_FINGERPRINT */
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d,
	0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b,
	0x1c, 0x1d, 0x1e, 0x1f,
	0x00, 0x28, 0x00, 0x02, 0x30, 0x00,		/* PEER_CERT: empty SEQUENCE */
	0x00, 0x29, 0x00, 0x01, 0x01,			/* RESUMED */
	0x00, 0x2a, 0x00, 0x01, 0x01,			/* PEER_VERIFIED */
};

static const uint8_t golden_failure_reply[] = {
	0x6b, 0x54, 0x4c, 0x53, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1e,
	0x00, 0x20, 0x00, 0x04, 0x00, 0x00, 0x00, 0x0d,	/* STATUS = EACCES (13) */
	0x00, 0x21, 0x00, 0x06, 'd', 'e', 'n', 'i', 'e', 'd',
};

static const uint8_t golden_status_request[] = {
	0x6b, 0x54, 0x4c, 0x53, 0x01, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c,
};

static void golden_request_struct(struct ktls_hs_request *req)
{
	memset(req, 0, sizeof(*req));
	req->role = KTLS_ROLE_CLIENT;
	req->verify = KTLS_VERIFY_REQUIRED;
	req->timeout_ms = 5000;
	strcpy(req->server_name, "example.com");
	strcpy(req->profile, "web");
	memcpy(req->alpn, "\x02h2\x08http/1.1", 12);
	req->alpn_len = 12;
}

static void golden_reply_struct(struct ktls_hs_reply *rep)
{
	memset(rep, 0, sizeof(*rep));
	rep->version = KTLS_VERSION_1_3;
	rep->cipher = KTLS_CIPHER_AES_128_GCM;
	strcpy(rep->group, "X25519");
	strcpy(rep->alpn, "h2");
	strcpy(rep->peer_subject, "CN=a");
	for (int i = 0; i < 32; i++)
		rep->peer_fingerprint[i] = (uint8_t)i;
	rep->has_fingerprint = 1;
	rep->peer_cert[0] = 0x30;
	rep->peer_cert_len = 2;
	rep->resumed = 1;
	rep->peer_verified = 1;
}

/* ---- building malformed messages -------------------------------------------- */

/* A header with a correct total length in front of hand-written TLV bytes. */
static size_t with_header(uint8_t *out, uint8_t type, const uint8_t *tlvs, size_t tlv_len)
{
	size_t total = KTLS_MSG_HDR_LEN + tlv_len;
	const uint8_t header[KTLS_MSG_HDR_LEN] = {
		0x6b, 0x54, 0x4c, 0x53, 0x01, type, 0x00, 0x00,
		(uint8_t)(total >> 24), (uint8_t)(total >> 16), (uint8_t)(total >> 8),
		(uint8_t)total,
	};

	memcpy(out, header, sizeof(header));
	if (tlv_len)
		memcpy(out + KTLS_MSG_HDR_LEN, tlvs, tlv_len);
	return total;
}

#define ROLE_TLV 0x80, 0x01, 0x00, 0x01, 0x01
#define STATUS_TLV 0x00, 0x20, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00

static int decode_request_tlvs(const uint8_t *tlvs, size_t len, struct ktls_hs_request *req)
{
	static uint8_t msg[KTLS_MSG_MAX + 64];

	return ktls_msg_decode_request(msg, with_header(msg, KTLS_MSG_HANDSHAKE_REQ, tlvs, len),
				       req);
}

static int decode_reply_tlvs(const uint8_t *tlvs, size_t len, struct ktls_hs_reply *rep)
{
	static uint8_t msg[KTLS_MSG_MAX + 64];

	return ktls_msg_decode_reply(msg, with_header(msg, KTLS_MSG_HANDSHAKE_REPLY, tlvs, len),
				     rep);
}

#define assert_request_rejected(...)                                          \
	do {                                                                  \
		static const uint8_t tlvs_[] = { __VA_ARGS__ };               \
		struct ktls_hs_request req_;                                  \
		assert_int_equal(decode_request_tlvs(tlvs_, sizeof(tlvs_), &req_), -EBADMSG); \
	} while (0)

#define assert_reply_rejected(...)                                            \
	do {                                                                  \
		static const uint8_t tlvs_[] = { __VA_ARGS__ };               \
		struct ktls_hs_reply rep_;                                    \
		assert_int_equal(decode_reply_tlvs(tlvs_, sizeof(tlvs_), &rep_), -EBADMSG); \
	} while (0)

/* ---- encoding ------------------------------------------------------------------ */

static void test_encode_request_golden(void **state)
{
	struct ktls_hs_request req;
	uint8_t buf[256];

	golden_request_struct(&req);
	assert_int_equal(ktls_msg_encode_request(&req, buf, sizeof(buf)), sizeof(golden_request));
	assert_memory_equal(buf, golden_request, sizeof(golden_request));
}

/* The request flags: TLV 8, u32 big-endian, after the golden request's
 * TLVs; absent when zero (an older daemon sees nothing new); not critical,
 * and bits this side does not know survive decoding (the daemon ignores
 * them: a flag is a hint). */
static void test_request_flags(void **state)
{
	static const uint8_t flags_tlv[] = { 0x00, 0x08, 0x00, 0x04, 0x80, 0x00, 0x00, 0x01 };
	struct ktls_hs_request req, back;
	uint8_t buf[256];
	int n;

	golden_request_struct(&req);
	req.flags = KTLS_REQ_RECV_TICKETS | 0x80000000u;
	n = ktls_msg_encode_request(&req, buf, sizeof(buf));
	assert_int_equal(n, sizeof(golden_request) + sizeof(flags_tlv));
	assert_memory_equal(buf + KTLS_MSG_HDR_LEN, golden_request + KTLS_MSG_HDR_LEN,
			    sizeof(golden_request) - KTLS_MSG_HDR_LEN);
	assert_memory_equal(buf + sizeof(golden_request), flags_tlv, sizeof(flags_tlv));
	assert_int_equal(ktls_msg_decode_request(buf, (size_t)n, &back), 0);
	assert_int_equal(back.flags, KTLS_REQ_RECV_TICKETS | 0x80000000u);
	assert_memory_equal(&back, &req, sizeof(req));
}

static void test_encode_minimal_request_golden(void **state)
{
	struct ktls_hs_request req;
	uint8_t buf[256];

	memset(&req, 0, sizeof(req));
	req.role = KTLS_ROLE_SERVER;
	assert_int_equal(ktls_msg_encode_request(&req, buf, sizeof(buf)),
			 sizeof(golden_minimal_request));
	assert_memory_equal(buf, golden_minimal_request, sizeof(golden_minimal_request));
}

static void test_encode_reply_golden(void **state)
{
	static struct ktls_hs_reply rep;
	uint8_t buf[256];

	golden_reply_struct(&rep);
	assert_int_equal(ktls_msg_encode_reply(&rep, buf, sizeof(buf)), sizeof(golden_reply));
	assert_memory_equal(buf, golden_reply, sizeof(golden_reply));

	memset(&rep, 0, sizeof(rep));
	rep.status = EACCES;
	strcpy(rep.reason, "denied");
	assert_int_equal(ktls_msg_encode_reply(&rep, buf, sizeof(buf)),
			 sizeof(golden_failure_reply));
	assert_memory_equal(buf, golden_failure_reply, sizeof(golden_failure_reply));
}

static void test_encode_empty_golden(void **state)
{
	uint8_t buf[KTLS_MSG_HDR_LEN];

	assert_int_equal(ktls_msg_encode_empty(KTLS_MSG_STATUS_REQ, buf, sizeof(buf)),
			 KTLS_MSG_HDR_LEN);
	assert_memory_equal(buf, golden_status_request, sizeof(golden_status_request));
	assert_int_equal(ktls_msg_encode_empty(KTLS_MSG_STATUS_REQ, buf, sizeof(buf) - 1),
			 -EMSGSIZE);
	assert_int_equal(ktls_msg_encode_empty(0, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(ktls_msg_encode_empty(5, buf, sizeof(buf)), -EINVAL);
}

static void test_encode_too_small(void **state)
{
	struct ktls_hs_request req;
	uint8_t buf[256];

	golden_request_struct(&req);
	/* One byte short anywhere fails the whole message, never truncates. */
	assert_int_equal(ktls_msg_encode_request(&req, buf, sizeof(golden_request) - 1),
			 -EMSGSIZE);
	assert_int_equal(ktls_msg_encode_request(&req, buf, KTLS_MSG_HDR_LEN - 1), -EMSGSIZE);
	assert_int_equal(ktls_msg_encode_request(&req, buf, sizeof(golden_request)),
			 sizeof(golden_request));
}

static void test_encode_rejects_bad_request(void **state)
{
	struct ktls_hs_request req;
	uint8_t buf[2048];

	golden_request_struct(&req);
	req.role = 0;
	assert_int_equal(ktls_msg_encode_request(&req, buf, sizeof(buf)), -EINVAL);
	req.role = 3;
	assert_int_equal(ktls_msg_encode_request(&req, buf, sizeof(buf)), -EINVAL);

	golden_request_struct(&req);
	req.verify = 4;
	assert_int_equal(ktls_msg_encode_request(&req, buf, sizeof(buf)), -EINVAL);

	golden_request_struct(&req);
	memset(req.server_name, 'a', sizeof(req.server_name));	/* no NUL */
	assert_int_equal(ktls_msg_encode_request(&req, buf, sizeof(buf)), -EINVAL);

	golden_request_struct(&req);
	req.alpn_len = KTLS_ALPN_MAX + 1;
	assert_int_equal(ktls_msg_encode_request(&req, buf, sizeof(buf)), -EINVAL);

	golden_request_struct(&req);
	req.alpn[0] = 0x03;	/* "h2" claims three bytes: the list no longer adds up */
	assert_int_equal(ktls_msg_encode_request(&req, buf, sizeof(buf)), -EINVAL);
}

static void test_encode_rejects_bad_reply(void **state)
{
	static struct ktls_hs_reply rep;
	static uint8_t buf[KTLS_MSG_MAX];

	golden_reply_struct(&rep);
	rep.peer_cert_len = KTLS_PEER_CERT_MAX + 1;
	assert_int_equal(ktls_msg_encode_reply(&rep, buf, sizeof(buf)), -EINVAL);

	golden_reply_struct(&rep);
	rep.resumed = 2;
	assert_int_equal(ktls_msg_encode_reply(&rep, buf, sizeof(buf)), -EINVAL);

	golden_reply_struct(&rep);
	memset(rep.group, 'g', sizeof(rep.group));
	assert_int_equal(ktls_msg_encode_reply(&rep, buf, sizeof(buf)), -EINVAL);
}

/* ---- decoding the golden bytes -------------------------------------------- */

static void test_decode_request_golden(void **state)
{
	struct ktls_hs_request req, expected;

	golden_request_struct(&expected);
	assert_int_equal(ktls_msg_decode_request(golden_request, sizeof(golden_request), &req), 0);
	assert_int_equal(req.role, KTLS_ROLE_CLIENT);
	assert_int_equal(req.verify, KTLS_VERIFY_REQUIRED);
	assert_int_equal(req.timeout_ms, 5000);
	assert_string_equal(req.server_name, "example.com");
	assert_string_equal(req.profile, "web");
	assert_string_equal(req.psk_identity, "");
	assert_int_equal(req.alpn_len, 12);
	assert_memory_equal(req.alpn, "\x02h2\x08http/1.1", 12);
	assert_memory_equal(&req, &expected, sizeof(req));

	assert_int_equal(ktls_msg_decode_request(golden_minimal_request,
						 sizeof(golden_minimal_request), &req), 0);
	assert_int_equal(req.role, KTLS_ROLE_SERVER);
	assert_int_equal(req.verify, KTLS_VERIFY_DEFAULT);
	assert_int_equal(req.alpn_len, 0);
	assert_string_equal(req.server_name, "");
}

static void test_decode_reply_golden(void **state)
{
	static struct ktls_hs_reply rep, expected;

	golden_reply_struct(&expected);
	assert_int_equal(ktls_msg_decode_reply(golden_reply, sizeof(golden_reply), &rep), 0);
	assert_int_equal(rep.status, 0);
	assert_int_equal(rep.version, 0x0304);
	assert_int_equal(rep.cipher, KTLS_CIPHER_AES_128_GCM);
	assert_string_equal(rep.group, "X25519");
	assert_string_equal(rep.alpn, "h2");
	assert_string_equal(rep.peer_subject, "CN=a");
	assert_int_equal(rep.has_fingerprint, 1);
	assert_int_equal(rep.peer_fingerprint[31], 0x1f);
	assert_int_equal(rep.peer_cert_len, 2);
	assert_int_equal(rep.peer_cert[0], 0x30);
	assert_int_equal(rep.resumed, 1);
	assert_int_equal(rep.peer_verified, 1);
	assert_memory_equal(&rep, &expected, sizeof(rep));

	assert_int_equal(ktls_msg_decode_reply(golden_failure_reply,
					       sizeof(golden_failure_reply), &rep), 0);
	assert_int_equal(rep.status, EACCES);
	assert_string_equal(rep.reason, "denied");
	assert_int_equal(rep.version, 0);
	assert_int_equal(rep.has_fingerprint, 0);
}

static void test_msg_type(void **state)
{
	uint8_t msg[sizeof(golden_request)];

	assert_int_equal(ktls_msg_type(golden_request, sizeof(golden_request)),
			 KTLS_MSG_HANDSHAKE_REQ);
	assert_int_equal(ktls_msg_type(golden_reply, sizeof(golden_reply)),
			 KTLS_MSG_HANDSHAKE_REPLY);
	assert_int_equal(ktls_msg_type(golden_status_request, sizeof(golden_status_request)),
			 KTLS_MSG_STATUS_REQ);
	assert_int_equal(ktls_msg_type(golden_request, sizeof(golden_request) - 1), -EBADMSG);
	assert_int_equal(ktls_msg_type(golden_request, 0), -EBADMSG);
	assert_int_equal(ktls_msg_type(NULL, 12), -EBADMSG);
	memcpy(msg, golden_request, sizeof(msg));
	msg[5] = 9;	/* unknown message type */
	assert_int_equal(ktls_msg_type(msg, sizeof(msg)), -EBADMSG);
}

/* ---- malformed input ----------------------------------------------------------- */

/* One mutation of the golden request per header field. */
static void assert_header_mutation_rejected(size_t offset, uint8_t value)
{
	uint8_t msg[sizeof(golden_request)];
	struct ktls_hs_request req;

	memcpy(msg, golden_request, sizeof(msg));
	msg[offset] = value;
	assert_int_equal(ktls_msg_decode_request(msg, sizeof(msg), &req), -EBADMSG);
	assert_int_equal(ktls_msg_type(msg, sizeof(msg)), -EBADMSG);
}

static void test_decode_bad_header(void **state)
{
	struct ktls_hs_request req;
	static struct ktls_hs_reply rep;
	static uint8_t big[KTLS_MSG_MAX + 1];

	assert_header_mutation_rejected(0, 'K');	/* magic */
	assert_header_mutation_rejected(3, 'X');
	assert_header_mutation_rejected(4, 2);		/* protocol version */
	assert_header_mutation_rejected(4, 0);
	assert_header_mutation_rejected(5, 0);		/* message type */
	assert_header_mutation_rejected(6, 1);		/* reserved */
	assert_header_mutation_rejected(7, 1);
	assert_header_mutation_rejected(11, 0x45);	/* total length != received */
	assert_header_mutation_rejected(8, 0x01);

	/* shorter than a header, and longer than any message may be */
	assert_int_equal(ktls_msg_decode_request(golden_request, KTLS_MSG_HDR_LEN - 1, &req),
			 -EBADMSG);
	with_header(big, KTLS_MSG_HANDSHAKE_REQ, NULL, 0);
	big[8] = 0x00; big[9] = 0x00; big[10] = 0x80; big[11] = 0x01;	/* 32769 */
	assert_int_equal(ktls_msg_decode_request(big, sizeof(big), &req), -EBADMSG);

	/* a reply is not a request, and the other way round */
	assert_int_equal(ktls_msg_decode_request(golden_reply, sizeof(golden_reply), &req),
			 -EBADMSG);
	assert_int_equal(ktls_msg_decode_reply(golden_request, sizeof(golden_request), &rep),
			 -EBADMSG);
	assert_int_equal(ktls_msg_decode_reply(golden_status_request,
					       sizeof(golden_status_request), &rep), -EBADMSG);
}

static void test_decode_truncated_tlv(void **state)
{
	/* fewer than 4 bytes of TLV header left */
	assert_request_rejected(ROLE_TLV, 0x00);
	assert_request_rejected(ROLE_TLV, 0x00, 0x02, 0x00);
	/* value length runs past the end */
	assert_request_rejected(ROLE_TLV, 0x00, 0x02, 0x00, 0x03, 'a', 'b');
	assert_request_rejected(ROLE_TLV, 0x00, 0x02, 0xff, 0xff);
	/* even an unknown TLV must fit */
	assert_request_rejected(ROLE_TLV, 0x01, 0x00, 0x00, 0x02, 'x');
}

static void test_decode_duplicates(void **state)
{
	assert_request_rejected(ROLE_TLV, ROLE_TLV);
	assert_request_rejected(ROLE_TLV, 0x00, 0x02, 0x00, 0x01, 'a',
				0x00, 0x02, 0x00, 0x01, 'b');
	assert_request_rejected(ROLE_TLV, 0x00, 0x07, 0x00, 0x04, 0, 0, 0, 1,
				0x00, 0x07, 0x00, 0x04, 0, 0, 0, 1);
	assert_reply_rejected(STATUS_TLV, STATUS_TLV);
	assert_reply_rejected(STATUS_TLV, 0x00, 0x29, 0x00, 0x01, 0x01,
			      0x00, 0x29, 0x00, 0x01, 0x01);
}

static void test_decode_unknown_tlvs(void **state)
{
	static const uint8_t skipped[] = {
		0x7f, 0xff, 0x00, 0x03, 'x', 'y', 'z',	/* unknown, not critical */
		ROLE_TLV,
		0x00, 0x20, 0x00, 0x04, 0, 0, 0, 5,	/* a reply TLV: unknown here */
		0x00, 0x64, 0x00, 0x00,			/* unknown, empty */
	};
	struct ktls_hs_request req;

	assert_int_equal(decode_request_tlvs(skipped, sizeof(skipped), &req), 0);
	assert_int_equal(req.role, KTLS_ROLE_CLIENT);

	assert_request_rejected(ROLE_TLV, 0x80, 0x64, 0x00, 0x00);	/* unknown critical */
	assert_request_rejected(ROLE_TLV, 0xff, 0xff, 0x00, 0x01, 0x00);
	/* a critical request TLV inside a reply is unknown there */
	assert_reply_rejected(STATUS_TLV, ROLE_TLV);
}

static void test_decode_bad_strings(void **state)
{
	static uint8_t tlvs[8 + 4 + 600];
	struct ktls_hs_request req;
	static struct ktls_hs_reply rep;

	assert_request_rejected(ROLE_TLV, 0x00, 0x02, 0x00, 0x03, 'a', 0x00, 'b');
	assert_request_rejected(ROLE_TLV, 0x00, 0x02, 0x00, 0x01, 0x00);
	assert_reply_rejected(STATUS_TLV, 0x00, 0x21, 0x00, 0x02, 'x', 0x00);

	/* server name: 255 bytes fit (with the NUL), 256 do not */
	memcpy(tlvs, (const uint8_t[]){ ROLE_TLV, 0x00, 0x02, 0x00, 0xff }, 9);
	memset(tlvs + 9, 'n', 256);
	assert_int_equal(decode_request_tlvs(tlvs, 9 + 255, &req), 0);
	assert_int_equal(strlen(req.server_name), 255);
	tlvs[8] = 0x00; tlvs[7] = 0x01;		/* length 256 */
	assert_int_equal(decode_request_tlvs(tlvs, 9 + 256, &req), -EBADMSG);

	/* group: a 64-byte field holds 63 */
	memcpy(tlvs, (const uint8_t[]){ STATUS_TLV, 0x00, 0x24, 0x00, 63 }, 12);
	memset(tlvs + 12, 'g', 64);
	assert_int_equal(decode_reply_tlvs(tlvs, 12 + 63, &rep), 0);
	assert_int_equal(strlen(rep.group), 63);
	tlvs[11] = 64;
	assert_int_equal(decode_reply_tlvs(tlvs, 12 + 64, &rep), -EBADMSG);

	/* subject: 511 fit, 512 do not */
	memcpy(tlvs, (const uint8_t[]){ STATUS_TLV, 0x00, 0x26, 0x01, 0xff }, 12);
	memset(tlvs + 12, 's', 512);
	assert_int_equal(decode_reply_tlvs(tlvs, 12 + 511, &rep), 0);
	tlvs[10] = 0x02; tlvs[11] = 0x00;
	assert_int_equal(decode_reply_tlvs(tlvs, 12 + 512, &rep), -EBADMSG);
}

static void test_decode_bad_integers(void **state)
{
	assert_request_rejected(0x80, 0x01, 0x00, 0x01, 0x00);		/* role 0 */
	assert_request_rejected(0x80, 0x01, 0x00, 0x01, 0x03);		/* role 3 */
	assert_request_rejected(0x80, 0x01, 0x00, 0x02, 0x00, 0x01);	/* role as u16 */
	assert_request_rejected(0x80, 0x01, 0x00, 0x00);		/* role empty */
	assert_request_rejected(ROLE_TLV, 0x80, 0x05, 0x00, 0x01, 0x04);	/* verify 4 */
	assert_request_rejected(ROLE_TLV, 0x00, 0x07, 0x00, 0x02, 0x13, 0x88);
	assert_request_rejected(0x00, 0x02, 0x00, 0x01, 'a');		/* no role */
	assert_request_rejected();					/* nothing */

	assert_reply_rejected(0x00, 0x22, 0x00, 0x02, 0x03, 0x04);	/* no status */
	assert_reply_rejected(0x00, 0x20, 0x00, 0x02, 0x00, 0x00);	/* status as u16 */
	assert_reply_rejected(STATUS_TLV, 0x00, 0x22, 0x00, 0x04, 0, 0, 3, 4);
	assert_reply_rejected(STATUS_TLV, 0x00, 0x29, 0x00, 0x01, 0x02);	/* resumed 2 */
	assert_reply_rejected(STATUS_TLV, 0x00, 0x2a, 0x00, 0x00);	/* verified empty */
}

static void test_decode_bad_alpn(void **state)
{
	static uint8_t tlvs[8 + 4 + 300];
	struct ktls_hs_request req;
	size_t off;

	assert_request_rejected(ROLE_TLV, 0x00, 0x03, 0x00, 0x01, 0x00);	/* empty name */
	assert_request_rejected(ROLE_TLV, 0x00, 0x03, 0x00, 0x03, 0x03, 'h', '2');
	assert_request_rejected(ROLE_TLV, 0x00, 0x03, 0x00, 0x04, 0x02, 'h', '2', 0x00);
	assert_request_rejected(ROLE_TLV, 0x00, 0x03, 0x00, 0x04, 0x02, 'h', '2', 0x05);

	/* 256 bytes of list is the most: one 255-byte name */
	memcpy(tlvs, (const uint8_t[]){ ROLE_TLV, 0x00, 0x03, 0x01, 0x00, 0xff }, 10);
	memset(tlvs + 10, 'p', 255);
	assert_int_equal(decode_request_tlvs(tlvs, 9 + 256, &req), 0);
	assert_int_equal(req.alpn_len, 256);
	assert_int_equal(req.alpn[0], 255);

	/* 257 bytes: a well-formed list (254-byte name, 1-byte name) that is
	 * too long for the field */
	memcpy(tlvs, (const uint8_t[]){ ROLE_TLV, 0x00, 0x03, 0x01, 0x01, 0xfe }, 10);
	off = 10;
	memset(tlvs + off, 'p', 254);
	off += 254;
	tlvs[off++] = 0x01;
	tlvs[off++] = 'x';
	assert_int_equal(off, 9 + 257);
	assert_int_equal(decode_request_tlvs(tlvs, off, &req), -EBADMSG);
}

static void test_decode_bad_bytes(void **state)
{
	static uint8_t tlvs[8 + 4 + KTLS_PEER_CERT_MAX + 1];
	static struct ktls_hs_reply rep;

	/* fingerprint: exactly 32 bytes */
	memcpy(tlvs, (const uint8_t[]){ STATUS_TLV, 0x00, 0x27, 0x00, 31 }, 12);
	memset(tlvs + 12, 0xaa, 33);
	assert_int_equal(decode_reply_tlvs(tlvs, 12 + 31, &rep), -EBADMSG);
	tlvs[11] = 33;
	assert_int_equal(decode_reply_tlvs(tlvs, 12 + 33, &rep), -EBADMSG);
	tlvs[11] = 32;
	assert_int_equal(decode_reply_tlvs(tlvs, 12 + 32, &rep), 0);
	assert_int_equal(rep.has_fingerprint, 1);

	/* certificate: up to KTLS_PEER_CERT_MAX (16384 = 0x4000) */
	memcpy(tlvs, (const uint8_t[]){ STATUS_TLV, 0x00, 0x28, 0x40, 0x00 }, 12);
	memset(tlvs + 12, 0x30, KTLS_PEER_CERT_MAX + 1);
	assert_int_equal(decode_reply_tlvs(tlvs, 12 + KTLS_PEER_CERT_MAX, &rep), 0);
	assert_int_equal(rep.peer_cert_len, KTLS_PEER_CERT_MAX);
	tlvs[11] = 0x01;
	assert_int_equal(decode_reply_tlvs(tlvs, 12 + KTLS_PEER_CERT_MAX + 1, &rep), -EBADMSG);
}

static void test_decode_failure_zeroes(void **state)
{
	static struct ktls_hs_reply rep;
	static const uint8_t zero[sizeof(struct ktls_hs_reply)];

	/* a good prefix followed by garbage leaves nothing half-decoded */
	memset(&rep, 0x5a, sizeof(rep));
	assert_reply_rejected(STATUS_TLV, 0x00, 0x21, 0x00, 0x02, 'o', 'k', 0x80, 0x99, 0, 0);
	assert_int_equal(decode_reply_tlvs((const uint8_t[]){ 0x00, 0x21, 0x00, 0x01, 'x', 0x80,
							      0x99, 0x00, 0x00 }, 9, &rep),
			 -EBADMSG);
	assert_memory_equal(&rep, zero, sizeof(rep));
}

/* ---- ALPN from text ------------------------------------------------------------ */

static void test_alpn_from_csv(void **state)
{
	uint8_t wire[KTLS_ALPN_MAX];
	char csv[600];
	uint16_t len = 99;

	assert_int_equal(ktls_alpn_from_csv("h2,http/1.1", wire, &len), 0);
	assert_int_equal(len, 12);
	assert_memory_equal(wire, "\x02h2\x08http/1.1", 12);

	assert_int_equal(ktls_alpn_from_csv("", wire, &len), 0);
	assert_int_equal(len, 0);

	assert_int_equal(ktls_alpn_from_csv(",", wire, &len), -EINVAL);
	assert_int_equal(ktls_alpn_from_csv("h2,", wire, &len), -EINVAL);
	assert_int_equal(ktls_alpn_from_csv(",h2", wire, &len), -EINVAL);
	assert_int_equal(ktls_alpn_from_csv("h2,,http/1.1", wire, &len), -EINVAL);
	assert_int_equal(ktls_alpn_from_csv(NULL, wire, &len), -EINVAL);

	memset(csv, 'p', 255);
	csv[255] = '\0';
	assert_int_equal(ktls_alpn_from_csv(csv, wire, &len), 0);	/* 1 + 255 = 256 */
	assert_int_equal(len, 256);
	assert_int_equal(wire[0], 255);
	csv[255] = 'p';
	csv[256] = '\0';
	assert_int_equal(ktls_alpn_from_csv(csv, wire, &len), -EINVAL);	/* name too long */

	memset(csv, 'q', 127);		/* two names, 2 * (1 + 127) = 256: fits */
	csv[127] = ',';
	memset(csv + 128, 'r', 127);
	csv[255] = '\0';
	assert_int_equal(ktls_alpn_from_csv(csv, wire, &len), 0);
	assert_int_equal(len, 256);
	csv[255] = 'r';			/* 1 + 127 + 1 + 128 = 257: does not */
	csv[256] = '\0';
	assert_int_equal(ktls_alpn_from_csv(csv, wire, &len), -EINVAL);
}

/* ---- round trip at the limits -------------------------------------------- */

static void test_round_trip_full_reply(void **state)
{
	static struct ktls_hs_reply rep, back;
	static uint8_t buf[KTLS_MSG_MAX];
	int len;

	memset(&rep, 0, sizeof(rep));
	rep.status = 0xffffffffu;
	memset(rep.reason, 'r', sizeof(rep.reason) - 1);
	rep.version = 0xffff;
	rep.cipher = 0xfffe;
	memset(rep.group, 'g', sizeof(rep.group) - 1);
	memset(rep.alpn, 'a', sizeof(rep.alpn) - 1);
	memset(rep.server_name, 's', sizeof(rep.server_name) - 1);
	memset(rep.peer_subject, 'd', sizeof(rep.peer_subject) - 1);
	memset(rep.peer_fingerprint, 0xf0, sizeof(rep.peer_fingerprint));
	rep.has_fingerprint = 1;
	rep.resumed = 1;
	rep.peer_verified = 1;
	rep.peer_cert_len = KTLS_PEER_CERT_MAX;
	memset(rep.peer_cert, 0xce, KTLS_PEER_CERT_MAX);

	len = ktls_msg_encode_reply(&rep, buf, sizeof(buf));
	assert_true(len > KTLS_PEER_CERT_MAX);
	assert_int_equal(ktls_msg_decode_reply(buf, (size_t)len, &back), 0);
	assert_memory_equal(&rep, &back, sizeof(rep));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_request_golden),
		cmocka_unit_test(test_encode_minimal_request_golden),
		cmocka_unit_test(test_request_flags),
		cmocka_unit_test(test_encode_reply_golden),
		cmocka_unit_test(test_encode_empty_golden),
		cmocka_unit_test(test_encode_too_small),
		cmocka_unit_test(test_encode_rejects_bad_request),
		cmocka_unit_test(test_encode_rejects_bad_reply),
		cmocka_unit_test(test_decode_request_golden),
		cmocka_unit_test(test_decode_reply_golden),
		cmocka_unit_test(test_msg_type),
		cmocka_unit_test(test_decode_bad_header),
		cmocka_unit_test(test_decode_truncated_tlv),
		cmocka_unit_test(test_decode_duplicates),
		cmocka_unit_test(test_decode_unknown_tlvs),
		cmocka_unit_test(test_decode_bad_strings),
		cmocka_unit_test(test_decode_bad_integers),
		cmocka_unit_test(test_decode_bad_alpn),
		cmocka_unit_test(test_decode_bad_bytes),
		cmocka_unit_test(test_decode_failure_zeroes),
		cmocka_unit_test(test_alpn_from_csv),
		cmocka_unit_test(test_round_trip_full_reply),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

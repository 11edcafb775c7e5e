// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Encoding and decoding of key process messages (keyproc_proto.h).  Both
 * sides decode what the other sent with the same checks: the key process
 * trusts the network process no more than the network process trusts it.
 */
#include <errno.h>
#include <string.h>

#include "keys/keyproc_proto.h"

static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static int known_type(unsigned type)
{
	return type >= KP_LOAD && type <= KP_DATA;
}

/* ---- requests ---- */

static int name_ok(const struct kp_request *r)
{
	if (r->data_len == 0)
		return -EBADMSG;
	if (r->data_len >= KP_NAME_MAX)
		return -EMSGSIZE;
	return memchr(r->data, '\0', r->data_len) ? -EBADMSG : 0;
}

/* Bytes between the header and the data: SIGN_*: algorithm and flags;
 * OPEN: the file kind. */
static size_t request_extra(enum kp_type type)
{
	switch (type) {
	case KP_SIGN_DATA:
	case KP_SIGN_HASH:
		return 8;
	case KP_OPEN:
	case KP_DATA:
		return 4;
	case KP_LOAD:
	case KP_DROP:
	case KP_CONFIG:
		return 0;
	}
	return 0;
}

static int request_body_ok(const struct kp_request *r)
{
	switch (r->type) {
	case KP_LOAD:
		return name_ok(r);
	case KP_OPEN:
		if (r->file < KP_FILE_CERT || r->file > KP_FILE_PSK)
			return -EBADMSG;
		return name_ok(r);
	case KP_SIGN_DATA:
	case KP_SIGN_HASH:
	case KP_DATA:
		if (r->data_len == 0)
			return -EBADMSG;
		return r->data_len > KP_DATA_MAX ? -EMSGSIZE : 0;
	case KP_DROP:
	case KP_CONFIG:
		return r->data_len || r->index ? -EBADMSG : 0;
	}
	return -EPROTO;
}

ssize_t kp_request_encode(const struct kp_request *r, uint8_t *buf, size_t len)
{
	size_t extra = request_extra(r->type);
	size_t total = KP_REQ_HDR_LEN + extra + r->data_len;

	if (request_body_ok(r) < 0)
		return -EINVAL;
	if (len < total)
		return -EMSGSIZE;
	buf[0] = (uint8_t)r->type;
	buf[1] = KP_VERSION;
	buf[2] = buf[3] = 0;
	put_u32(buf + 4, r->id);
	put_u32(buf + 8, r->generation);
	put_u32(buf + 12, r->index);
	if (extra == 8) {
		put_u32(buf + 16, r->sign_algo);
		put_u32(buf + 20, r->flags);
	} else if (extra == 4)
		put_u32(buf + 16, r->type == KP_DATA ? r->offset : r->file);
	if (r->data_len)
		memcpy(buf + KP_REQ_HDR_LEN + extra, r->data, r->data_len);
	return (ssize_t)total;
}

int kp_request_decode(const uint8_t *buf, size_t len, struct kp_request *r)
{
	size_t body, extra;

	memset(r, 0, sizeof(*r));
	if (len < KP_REQ_HDR_LEN || buf[1] != KP_VERSION || buf[2] || buf[3])
		return -EBADMSG;
	if (!known_type(buf[0]))
		return -EPROTO;
	r->type = (enum kp_type)buf[0];
	r->id = get_u32(buf + 4);
	r->generation = get_u32(buf + 8);
	r->index = get_u32(buf + 12);
	body = len - KP_REQ_HDR_LEN;
	r->data = buf + KP_REQ_HDR_LEN;
	extra = request_extra(r->type);
	if (body < extra)
		return -EBADMSG;
	if (extra == 8) {
		r->sign_algo = get_u32(buf + 16);
		r->flags = get_u32(buf + 20);
	} else if (extra == 4 && r->type == KP_DATA)
		r->offset = get_u32(buf + 16);
	else if (extra == 4)
		r->file = get_u32(buf + 16);
	r->data += extra;
	body -= extra;
	r->data_len = body;
	return request_body_ok(r);
}

/* ---- replies ---- */

static int reply_body_ok(const struct kp_reply *r)
{
	if (r->status > 0)
		return -EBADMSG;
	if (r->status < 0)
		return r->data_len > KP_REASON_MAX ? -EMSGSIZE : 0;
	switch (r->type) {
	case KP_LOAD:
		return r->data_len ? -EBADMSG : 0;	/* pk_algo and bits are fields */
	case KP_SIGN_DATA:
	case KP_SIGN_HASH:
		if (r->data_len == 0)
			return -EBADMSG;
		return r->data_len > KP_SIG_MAX ? -EMSGSIZE : 0;
	case KP_DROP:
	case KP_CONFIG:
	case KP_OPEN:
	case KP_DATA:
		return r->data_len ? -EBADMSG : 0;
	}
	return -EPROTO;
}

ssize_t kp_reply_encode(const struct kp_reply *r, uint8_t *buf, size_t len)
{
	size_t extra = r->type == KP_LOAD && r->status == 0 ? 8 : 0;
	size_t total = KP_REP_HDR_LEN + extra + r->data_len;

	if (reply_body_ok(r) < 0)
		return -EINVAL;
	if (len < total)
		return -EMSGSIZE;
	buf[0] = (uint8_t)(r->type | KP_REPLY);
	buf[1] = KP_VERSION;
	buf[2] = buf[3] = 0;
	put_u32(buf + 4, r->id);
	put_u32(buf + 8, (uint32_t)r->status);
	if (extra) {
		put_u32(buf + 12, r->pk_algo);
		put_u32(buf + 16, r->bits);
	}
	if (r->data_len)
		memcpy(buf + KP_REP_HDR_LEN + extra, r->data, r->data_len);
	return (ssize_t)total;
}

int kp_reply_decode(const uint8_t *buf, size_t len, struct kp_reply *r)
{
	size_t body;

	memset(r, 0, sizeof(*r));
	if (len < KP_REP_HDR_LEN || buf[1] != KP_VERSION || buf[2] || buf[3] ||
	    !(buf[0] & KP_REPLY))
		return -EBADMSG;
	if (!known_type(buf[0] & ~KP_REPLY))
		return -EPROTO;
	r->type = (enum kp_type)(buf[0] & ~KP_REPLY);
	r->id = get_u32(buf + 4);
	r->status = (int32_t)get_u32(buf + 8);
	if (r->status < -4095)		/* not an errno */
		return -EBADMSG;
	body = len - KP_REP_HDR_LEN;
	r->data = buf + KP_REP_HDR_LEN;
	if (r->type == KP_LOAD && r->status == 0) {
		if (body != 8)
			return -EBADMSG;
		r->pk_algo = get_u32(buf + 12);
		r->bits = get_u32(buf + 16);
		r->data += 8;
		body = 0;
	}
	r->data_len = body;
	return reply_body_ok(r);
}

// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The ktlsd request protocol codec (format: ktls_proto.h).
 *
 * Both directions are table-driven: one row per TLV names the struct field it
 * fills, its wire shape and its limits, so the encoder and the decoder cannot
 * disagree about a field.  The decoder trusts nothing: every length is checked
 * before the bytes behind it are read, and anything that is not exactly what
 * the encoder could have produced (apart from unknown non-critical TLVs) is
 * -EBADMSG.  This file depends on nothing but libc, so the fuzz harness
 * (tests/fuzz/fuzz_msg.c) can #include it on its own.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ktls_proto.h"

enum tlv_shape {
	SHAPE_U8,	/* one byte, value within [min, max] */
	SHAPE_U16,
	SHAPE_U32,
	SHAPE_U64,
	SHAPE_STRING,	/* no NUL, at most size - 1 bytes, NUL-terminated in the struct */
	SHAPE_BYTES,	/* opaque, at most size bytes, length in a u16 field */
	SHAPE_ALPN,	/* SHAPE_BYTES holding a valid TLS ProtocolNameList body */
	SHAPE_BYTES_REF,	/* opaque, at most max bytes, held by a pointer in the
			 * struct (decode: into the buffer), length in a u16 */
	SHAPE_FIXED,	/* exactly size bytes; presence in a u8 flag */
	SHAPE_COUNTS,	/* struct ktls_status_count[]: (u32, u64)*; u16 count in aux */
	SHAPE_PROFILES,	/* struct ktls_status_profile[]: (u8 len, name, u64, u64)*;
			 * u16 count in aux */
	SHAPE_SESSIONS,	/* struct ktls_status_sessions[]: (u8 len, name, u8 n,
			 * u64 count[n])*; u16 count in aux */
};

struct tlv_field {
	uint16_t type;		/* enum ktls_tlv */
	enum tlv_shape shape;
	size_t offset;		/* of the value in the struct */
	size_t size;		/* of the value's storage in the struct */
	size_t aux_offset;	/* BYTES/ALPN: u16 length; FIXED: u8 presence flag;
				 * COUNTS/PROFILES/SESSIONS: u16 number of entries */
	uint32_t min, max;	/* U8 only: accepted range */
	bool always;		/* emitted even when zero, and required on decode */
};

#define FIELD(st, tlv, shape_, member, ...)                                   \
	{                                                                     \
		.type = (tlv), .shape = (shape_),                             \
		.offset = offsetof(struct st, member),                        \
		.size = sizeof(((struct st *)0)->member), __VA_ARGS__         \
	}

static const struct tlv_field request_fields[] = {
	FIELD(ktls_hs_request, KTLS_TLV_ROLE, SHAPE_U8, role,
	      .min = KTLS_ROLE_CLIENT, .max = KTLS_ROLE_SERVER, .always = true),
	FIELD(ktls_hs_request, KTLS_TLV_SERVER_NAME, SHAPE_STRING, server_name),
	FIELD(ktls_hs_request, KTLS_TLV_ALPN, SHAPE_ALPN, alpn,
	      .aux_offset = offsetof(struct ktls_hs_request, alpn_len)),
	FIELD(ktls_hs_request, KTLS_TLV_PROFILE, SHAPE_STRING, profile),
	/* verify is always sent so the daemon never has to guess, but a
	 * missing one decodes as KTLS_VERIFY_DEFAULT (see required_seen). */
	FIELD(ktls_hs_request, KTLS_TLV_VERIFY, SHAPE_U8, verify,
	      .min = KTLS_VERIFY_DEFAULT, .max = KTLS_VERIFY_NONE, .always = true),
	FIELD(ktls_hs_request, KTLS_TLV_PSK_IDENTITY, SHAPE_STRING, psk_identity),
	FIELD(ktls_hs_request, KTLS_TLV_TIMEOUT_MS, SHAPE_U32, timeout_ms),
	FIELD(ktls_hs_request, KTLS_TLV_REQ_FLAGS, SHAPE_U32, flags),
	FIELD(ktls_hs_request, KTLS_TLV_NO_RESUME, SHAPE_U8, no_resume, .min = 0, .max = 1),
	FIELD(ktls_hs_request, KTLS_TLV_ACCEPT_EARLY_DATA, SHAPE_U32, accept_early),
	FIELD(ktls_hs_request, KTLS_TLV_EARLY_DATA, SHAPE_BYTES_REF, early_data,
	      .aux_offset = offsetof(struct ktls_hs_request, early_data_len),
	      .max = KTLS_EARLY_DATA_MAX),
};

static const struct tlv_field reply_fields[] = {
	FIELD(ktls_hs_reply, KTLS_TLV_STATUS, SHAPE_U32, status, .always = true),
	FIELD(ktls_hs_reply, KTLS_TLV_REASON, SHAPE_STRING, reason),
	FIELD(ktls_hs_reply, KTLS_TLV_VERSION, SHAPE_U16, version),
	FIELD(ktls_hs_reply, KTLS_TLV_CIPHER, SHAPE_U16, cipher),
	FIELD(ktls_hs_reply, KTLS_TLV_GROUP, SHAPE_STRING, group),
	FIELD(ktls_hs_reply, KTLS_TLV_ALPN_SELECTED, SHAPE_STRING, alpn),
	FIELD(ktls_hs_reply, KTLS_TLV_PEER_SUBJECT, SHAPE_STRING, peer_subject),
	FIELD(ktls_hs_reply, KTLS_TLV_PEER_FINGERPRINT, SHAPE_FIXED, peer_fingerprint,
	      .aux_offset = offsetof(struct ktls_hs_reply, has_fingerprint)),
	FIELD(ktls_hs_reply, KTLS_TLV_PEER_CERT, SHAPE_BYTES, peer_cert,
	      .aux_offset = offsetof(struct ktls_hs_reply, peer_cert_len)),
	FIELD(ktls_hs_reply, KTLS_TLV_RESUMED, SHAPE_U8, resumed, .min = 0, .max = 1),
	FIELD(ktls_hs_reply, KTLS_TLV_PEER_VERIFIED, SHAPE_U8, peer_verified,
	      .min = 0, .max = 1),
	FIELD(ktls_hs_reply, KTLS_TLV_SERVER_NAME_SEEN, SHAPE_STRING, server_name),
	FIELD(ktls_hs_reply, KTLS_TLV_TRAFFIC_SECRETS, SHAPE_BYTES, traffic_secrets,
	      .aux_offset = offsetof(struct ktls_hs_reply, traffic_secrets_len)),
	FIELD(ktls_hs_reply, KTLS_TLV_EARLY_RECEIVED, SHAPE_BYTES, early_data,
	      .aux_offset = offsetof(struct ktls_hs_reply, early_len)),
	FIELD(ktls_hs_reply, KTLS_TLV_EARLY_FLAGS, SHAPE_U8, early_flags, .min = 0,
	      .max = KTLS_EARLY_OFFERED | KTLS_EARLY_ACCEPTED | KTLS_EARLY_REPLAY),
	FIELD(ktls_hs_reply, KTLS_TLV_EARLY_STATUS, SHAPE_U8, early_status,
	      .min = KTLS_EARLY_DATA_NONE, .max = KTLS_EARLY_DATA_REJECTED),
	FIELD(ktls_hs_reply, KTLS_TLV_EARLY_ACCEPTED, SHAPE_U32, early_accepted),
};

static const struct tlv_field status_fields[] = {
	FIELD(ktls_status_reply, KTLS_TLV_STATUS, SHAPE_U32, status, .always = true),
	FIELD(ktls_status_reply, KTLS_TLV_REASON, SHAPE_STRING, reason),
	FIELD(ktls_status_reply, KTLS_TLV_ST_DAEMON_VERSION, SHAPE_STRING, daemon_version),
	FIELD(ktls_status_reply, KTLS_TLV_ST_UPTIME_S, SHAPE_U64, uptime_s),
	FIELD(ktls_status_reply, KTLS_TLV_ST_DOORS, SHAPE_U8, doors,
	      .min = 0, .max = KTLS_STATUS_DOORS_ALL),
	FIELD(ktls_status_reply, KTLS_TLV_ST_HANDSHAKES_OK, SHAPE_U64, handshakes_ok),
	FIELD(ktls_status_reply, KTLS_TLV_ST_HANDSHAKES_FAILED, SHAPE_U64, handshakes_failed),
	FIELD(ktls_status_reply, KTLS_TLV_ST_REQUESTS_REJECTED, SHAPE_U64, requests_rejected),
	FIELD(ktls_status_reply, KTLS_TLV_ST_IN_FLIGHT, SHAPE_U32, in_flight),
	FIELD(ktls_status_reply, KTLS_TLV_ST_FAILURES, SHAPE_COUNTS, failures,
	      .aux_offset = offsetof(struct ktls_status_reply, n_failures)),
	FIELD(ktls_status_reply, KTLS_TLV_ST_LATENCY, SHAPE_COUNTS, latency,
	      .aux_offset = offsetof(struct ktls_status_reply, n_latency)),
	FIELD(ktls_status_reply, KTLS_TLV_ST_LATENCY_SUM_MS, SHAPE_U64, latency_sum_ms),
	FIELD(ktls_status_reply, KTLS_TLV_ST_PROFILES, SHAPE_PROFILES, profiles,
	      .aux_offset = offsetof(struct ktls_status_reply, n_profiles)),
	FIELD(ktls_status_reply, KTLS_TLV_ST_PROTECTIONS, SHAPE_U32, protections,
	      .min = 0, .max = KTLS_PROT_ALL),
	FIELD(ktls_status_reply, KTLS_TLV_ST_REFUSED_BUSY, SHAPE_U64, refused_busy),
	FIELD(ktls_status_reply, KTLS_TLV_ST_ACCEPT_NO_FD, SHAPE_U64, accept_no_fd),
	FIELD(ktls_status_reply, KTLS_TLV_ST_MAX_HANDSHAKES, SHAPE_U32, max_handshakes),
	FIELD(ktls_status_reply, KTLS_TLV_ST_KERNEL_RESERVE, SHAPE_U32, kernel_reserve),
	FIELD(ktls_status_reply, KTLS_TLV_ST_PER_UID_MAX, SHAPE_U32, per_uid_max),
	FIELD(ktls_status_reply, KTLS_TLV_ST_FD_LIMIT, SHAPE_U64, fd_limit),
	FIELD(ktls_status_reply, KTLS_TLV_ST_SESSIONS, SHAPE_SESSIONS, sessions,
	      .aux_offset = offsetof(struct ktls_status_reply, n_sessions)),
	FIELD(ktls_status_reply, KTLS_TLV_ST_EARLY, SHAPE_SESSIONS, early,
	      .aux_offset = offsetof(struct ktls_status_reply, n_early)),
	/* .max: the counters sent per entry (0: KTLS_STATUS_SESSION_COUNTERS) */
	FIELD(ktls_status_reply, KTLS_TLV_ST_EARLY_CLIENT, SHAPE_SESSIONS, early_client,
	      .aux_offset = offsetof(struct ktls_status_reply, n_early_client),
	      .max = KTLS_STATUS_EARLY_CLIENT_COUNTERS),
};

#define N_FIELDS(table) (sizeof(table) / sizeof((table)[0]))

/* The decoder remembers which rows it has seen in a 64-bit mask. */
_Static_assert(N_FIELDS(request_fields) <= 64 && N_FIELDS(reply_fields) <= 64 &&
	       N_FIELDS(status_fields) <= 64, "too many fields for the seen-mask");
/* A TLV length is a u16; every field must be expressible. */
_Static_assert(KTLS_PEER_CERT_MAX <= UINT16_MAX && KTLS_ALPN_MAX <= UINT16_MAX &&
	       KTLS_EARLY_DATA_MAX <= UINT16_MAX,
	       "field larger than a TLV can carry");

#define TLV_HDR_LEN 4
#define COUNT_WIRE_LEN 12		/* u32 key, u64 count */
#define PROFILE_COUNTS_WIRE_LEN 16	/* u64 ok, u64 failed, after the name */
#define SESSION_COUNTS_WIRE_LEN (1 + 8 * KTLS_STATUS_SESSION_COUNTERS)	/* as sent, at most */

/* Counters a SESSIONS-shaped row sends per entry. */
static size_t session_counters(const struct tlv_field *f)
{
	return f->max ? f->max : KTLS_STATUS_SESSION_COUNTERS;
}

/* The early data, a peer certificate and everything else of a reply fit
 * one message (the largest strings, TLV headers included, with room for
 * a few more small TLVs). */
_Static_assert(KTLS_MSG_HDR_LEN + 4 * 20 + KTLS_REASON_MAX + 64 + 2 * KTLS_NAME_MAX +
	       KTLS_SUBJECT_MAX + 32 + KTLS_PEER_CERT_MAX + 96 + 16 + KTLS_ACCEPT_EARLY_DATA_MAX +
	       256 <= KTLS_MSG_MAX, "early data and a peer certificate overflow a reply");
_Static_assert(KTLS_STATUS_EARLY_COUNTERS == KTLS_STATUS_SESSION_COUNTERS,
	       "the early list reuses the session list's entry");

/* A whole status list must fit one TLV. */
_Static_assert(KTLS_STATUS_MAX_PROFILES * (1 + (KTLS_STATUS_NAME_MAX - 1) +
					   PROFILE_COUNTS_WIRE_LEN) <= UINT16_MAX &&
	       KTLS_STATUS_MAX_FAILURES * COUNT_WIRE_LEN <= UINT16_MAX &&
	       KTLS_STATUS_MAX_PROFILES * (1 + (KTLS_STATUS_NAME_MAX - 1) +
					   SESSION_COUNTS_WIRE_LEN) <= UINT16_MAX,
	       "status list larger than a TLV can carry");

/* ---- big-endian helpers ---------------------------------------------------- */

static void put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put_u64(uint8_t *p, uint64_t v)
{
	put_u32(p, (uint32_t)(v >> 32));
	put_u32(p + 4, (uint32_t)v);
}

static uint16_t get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get_u64(const uint8_t *p)
{
	return (uint64_t)get_u32(p) << 32 | get_u32(p + 4);
}

/* ---- ALPN wire list -------------------------------------------------------- */

/* A ProtocolNameList body: (u8 len, name)+ with every len in 1..255 and the
 * entries exactly filling len bytes.  Empty is valid here: it means "none". */
static bool alpn_wire_valid(const uint8_t *wire, size_t len)
{
	size_t off = 0;

	while (off < len) {
		uint8_t entry_len = wire[off];

		if (entry_len == 0 || entry_len > len - off - 1)
			return false;
		off += 1 + (size_t)entry_len;
	}
	return true;
}

int ktls_alpn_from_csv(const char *csv, uint8_t *wire, uint16_t *wire_len)
{
	size_t out = 0;
	const char *entry = csv;

	if (!csv || !wire || !wire_len)
		return -EINVAL;
	*wire_len = 0;
	if (*csv == '\0')
		return 0;
	for (;;) {
		size_t entry_len = strcspn(entry, ",");

		if (entry_len == 0 || entry_len > 255 || out + 1 + entry_len > KTLS_ALPN_MAX)
			return -EINVAL;
		wire[out] = (uint8_t)entry_len;
		memcpy(wire + out + 1, entry, entry_len);
		out += 1 + entry_len;
		if (entry[entry_len] == '\0')
			break;
		entry += entry_len + 1;		/* past the comma; "a," fails above */
	}
	*wire_len = (uint16_t)out;
	return 0;
}

/* ---- status lists ------------------------------------------------------------ */

static size_t list_entries(const struct tlv_field *f, const uint8_t *base)
{
	uint16_t n;

	memcpy(&n, base + f->aux_offset, sizeof(n));
	return n;
}

static const struct ktls_status_count *counts_in(const struct tlv_field *f, const uint8_t *base)
{
	return (const struct ktls_status_count *)(const void *)(base + f->offset);
}

static const struct ktls_status_profile *profiles_in(const struct tlv_field *f,
						      const uint8_t *base)
{
	return (const struct ktls_status_profile *)(const void *)(base + f->offset);
}

static const struct ktls_status_sessions *sessions_in(const struct tlv_field *f,
						       const uint8_t *base)
{
	return (const struct ktls_status_sessions *)(const void *)(base + f->offset);
}

/* The name of a PROFILES or SESSIONS list entry. */
static const char *entry_name(const struct tlv_field *f, const uint8_t *base, size_t i)
{
	return f->shape == SHAPE_SESSIONS ? sessions_in(f, base)[i].name :
					    profiles_in(f, base)[i].name;
}

/* The wire length of a list; -EINVAL for what the decoder would refuse:
 * more entries than the array holds, an empty or unterminated name. */
static int list_wire_len(const struct tlv_field *f, const uint8_t *base, size_t *len)
{
	size_t n = list_entries(f, base), name_len;
	size_t entry_size = f->shape == SHAPE_SESSIONS ? sizeof(struct ktls_status_sessions) :
							 sizeof(struct ktls_status_profile);
	size_t counts_len = f->shape == SHAPE_SESSIONS ? 1 + 8 * session_counters(f) :
							 PROFILE_COUNTS_WIRE_LEN;

	*len = 0;
	if (f->shape == SHAPE_COUNTS) {
		if (n > f->size / sizeof(struct ktls_status_count))
			return -EINVAL;
		*len = n * COUNT_WIRE_LEN;
		return 0;
	}
	if (n > f->size / entry_size)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		name_len = strnlen(entry_name(f, base, i), KTLS_STATUS_NAME_MAX);
		if (name_len == 0 || name_len == KTLS_STATUS_NAME_MAX)
			return -EINVAL;
		*len += 1 + name_len + counts_len;
	}
	return 0;
}

static void put_list(const struct tlv_field *f, const uint8_t *base, uint8_t *out)
{
	size_t n = list_entries(f, base), name_len;

	for (size_t i = 0; i < n; i++) {
		if (f->shape == SHAPE_COUNTS) {
			put_u32(out, counts_in(f, base)[i].key);
			put_u64(out + 4, counts_in(f, base)[i].count);
			out += COUNT_WIRE_LEN;
			continue;
		}
		name_len = strlen(entry_name(f, base, i));
		*out = (uint8_t)name_len;
		memcpy(out + 1, entry_name(f, base, i), name_len);
		out += 1 + name_len;
		if (f->shape == SHAPE_SESSIONS) {
			*out++ = (uint8_t)session_counters(f);
			for (size_t c = 0; c < session_counters(f); c++, out += 8)
				put_u64(out, sessions_in(f, base)[i].count[c]);
			continue;
		}
		put_u64(out, profiles_in(f, base)[i].ok);
		put_u64(out + 8, profiles_in(f, base)[i].failed);
		out += PROFILE_COUNTS_WIRE_LEN;
	}
}

static int store_counts(const struct tlv_field *f, const uint8_t *value, size_t len,
			uint8_t *base)
{
	struct ktls_status_count *counts = (struct ktls_status_count *)(void *)(base + f->offset);
	size_t n = len / COUNT_WIRE_LEN;

	if (len % COUNT_WIRE_LEN || n > f->size / sizeof(*counts))
		return -EBADMSG;
	for (size_t i = 0; i < n; i++, value += COUNT_WIRE_LEN) {
		counts[i].key = get_u32(value);
		counts[i].count = get_u64(value + 4);
	}
	return (int)n;
}

static int store_profiles(const struct tlv_field *f, const uint8_t *value, size_t len,
			  uint8_t *base)
{
	struct ktls_status_profile *profiles =
		(struct ktls_status_profile *)(void *)(base + f->offset);
	size_t off = 0, n = 0, name_len;

	while (off < len) {
		if (n == f->size / sizeof(*profiles))
			return -EBADMSG;
		name_len = value[off];
		if (name_len == 0 || name_len >= sizeof(profiles[n].name) ||
		    len - off - 1 < name_len + PROFILE_COUNTS_WIRE_LEN ||
		    memchr(value + off + 1, '\0', name_len))
			return -EBADMSG;
		memcpy(profiles[n].name, value + off + 1, name_len);
		profiles[n].name[name_len] = '\0';
		off += 1 + name_len;
		profiles[n].ok = get_u64(value + off);
		profiles[n].failed = get_u64(value + off + 8);
		off += PROFILE_COUNTS_WIRE_LEN;
		n++;
	}
	return (int)n;
}

/* A newer sender may carry more counters than we know (kept: the first
 * KTLS_STATUS_SESSION_COUNTERS), an older one fewer (the rest stay 0). */
static int store_sessions(const struct tlv_field *f, const uint8_t *value, size_t len,
			  uint8_t *base)
{
	struct ktls_status_sessions *sessions =
		(struct ktls_status_sessions *)(void *)(base + f->offset);
	size_t off = 0, n = 0, name_len, n_counts;

	while (off < len) {
		if (n == f->size / sizeof(*sessions))
			return -EBADMSG;
		name_len = value[off];
		if (name_len == 0 || name_len >= sizeof(sessions[n].name) ||
		    len - off - 1 < name_len + 1 || memchr(value + off + 1, '\0', name_len))
			return -EBADMSG;
		memcpy(sessions[n].name, value + off + 1, name_len);
		sessions[n].name[name_len] = '\0';
		off += 1 + name_len;
		n_counts = value[off++];
		if ((len - off) / 8 < n_counts)
			return -EBADMSG;
		for (size_t c = 0; c < n_counts; c++, off += 8)
			if (c < KTLS_STATUS_SESSION_COUNTERS)
				sessions[n].count[c] = get_u64(value + off);
		n++;
	}
	return (int)n;
}

static int store_list(const struct tlv_field *f, const uint8_t *value, size_t len,
		      uint8_t *base)
{
	int n = f->shape == SHAPE_COUNTS ? store_counts(f, value, len, base) :
		f->shape == SHAPE_SESSIONS ? store_sessions(f, value, len, base) :
					     store_profiles(f, value, len, base);
	uint16_t n16;

	if (n < 0)
		return n;
	n16 = (uint16_t)n;
	memcpy(base + f->aux_offset, &n16, sizeof(n16));
	return 0;
}

/* ---- header ------------------------------------------------------------------ */

static bool msg_type_known(uint8_t type)
{
	switch ((enum ktls_msg_type)type) {
	case KTLS_MSG_HANDSHAKE_REQ:
	case KTLS_MSG_HANDSHAKE_REPLY:
	case KTLS_MSG_STATUS_REQ:
	case KTLS_MSG_STATUS_REPLY:
		return true;
	}
	return false;
}

static void put_header(uint8_t *buf, uint8_t type, size_t total)
{
	put_u32(buf, KTLS_PROTO_MAGIC);
	buf[4] = KTLS_PROTO_VERSION;
	buf[5] = type;
	put_u16(buf + 6, 0);
	put_u32(buf + 8, (uint32_t)total);
}

int ktls_msg_type(const uint8_t *buf, size_t len)
{
	if (!buf || len < KTLS_MSG_HDR_LEN || len > KTLS_MSG_MAX)
		return -EBADMSG;
	if (get_u32(buf) != KTLS_PROTO_MAGIC || buf[4] != KTLS_PROTO_VERSION)
		return -EBADMSG;
	if (get_u16(buf + 6) != 0 || get_u32(buf + 8) != len)
		return -EBADMSG;
	if (!msg_type_known(buf[5]))
		return -EBADMSG;
	return buf[5];
}

int ktls_msg_encode_empty(uint8_t type, uint8_t *buf, size_t cap)
{
	if (!buf || !msg_type_known(type))
		return -EINVAL;
	if (cap < KTLS_MSG_HDR_LEN)
		return -EMSGSIZE;
	put_header(buf, type, KTLS_MSG_HDR_LEN);
	return KTLS_MSG_HDR_LEN;
}

/* ---- encoder ----------------------------------------------------------------- */

/* Where one field's value lives in the struct and how long it is on the wire;
 * length 0 means "not set" for everything but the always-sent rows. */
struct field_view {
	const uint8_t *value;
	size_t len;
};

static int field_view(const struct tlv_field *f, const uint8_t *base, struct field_view *view)
{
	uint16_t stored_len;

	view->value = base + f->offset;
	switch (f->shape) {
	case SHAPE_U8:
		if (*view->value < f->min || *view->value > f->max)
			return -EINVAL;
		view->len = *view->value || f->always ? 1 : 0;
		return 0;
	case SHAPE_U16:
	case SHAPE_U32:
	case SHAPE_U64: {
		static const uint8_t zero[8];

		view->len = memcmp(view->value, zero, f->size) || f->always ? f->size : 0;
		return 0;
	}
	case SHAPE_STRING:
		view->len = strnlen((const char *)view->value, f->size);
		return view->len < f->size ? 0 : -EINVAL;	/* unterminated */
	case SHAPE_BYTES:
	case SHAPE_ALPN:
		memcpy(&stored_len, base + f->aux_offset, sizeof(stored_len));
		view->len = stored_len;
		if (view->len > f->size)
			return -EINVAL;
		if (f->shape == SHAPE_ALPN && !alpn_wire_valid(view->value, view->len))
			return -EINVAL;
		return 0;
	case SHAPE_FIXED:
		view->len = base[f->aux_offset] ? f->size : 0;
		return 0;
	case SHAPE_BYTES_REF:
		memcpy(&stored_len, base + f->aux_offset, sizeof(stored_len));
		memcpy(&view->value, base + f->offset, sizeof(view->value));
		view->len = stored_len;
		if (view->len > f->max || (view->len > 0 && !view->value))
			return -EINVAL;
		return 0;
	case SHAPE_COUNTS:
	case SHAPE_PROFILES:
	case SHAPE_SESSIONS:
		return list_wire_len(f, base, &view->len);
	}
	return -EINVAL;
}

static void put_value(const struct tlv_field *f, const struct field_view *view,
		      const uint8_t *base, uint8_t *out)
{
	uint16_t v16;
	uint32_t v32;
	uint64_t v64;

	switch (f->shape) {
	case SHAPE_U16:
		memcpy(&v16, view->value, sizeof(v16));
		put_u16(out, v16);
		return;
	case SHAPE_U32:
		memcpy(&v32, view->value, sizeof(v32));
		put_u32(out, v32);
		return;
	case SHAPE_U64:
		memcpy(&v64, view->value, sizeof(v64));
		put_u64(out, v64);
		return;
	case SHAPE_COUNTS:
	case SHAPE_PROFILES:
	case SHAPE_SESSIONS:
		put_list(f, base, out);
		return;
	case SHAPE_U8:
	case SHAPE_STRING:
	case SHAPE_BYTES:
	case SHAPE_ALPN:
	case SHAPE_FIXED:
	case SHAPE_BYTES_REF:
		memcpy(out, view->value, view->len);
		return;
	}
}

static int encode_message(uint8_t type, const struct tlv_field *fields, size_t n_fields,
			  const void *msg, uint8_t *buf, size_t cap)
{
	const uint8_t *base = msg;
	size_t off = KTLS_MSG_HDR_LEN;

	if (!msg || !buf)
		return -EINVAL;
	if (cap > KTLS_MSG_MAX)
		cap = KTLS_MSG_MAX;
	if (cap < KTLS_MSG_HDR_LEN)
		return -EMSGSIZE;
	for (size_t i = 0; i < n_fields; i++) {
		struct field_view view;
		int rc = field_view(&fields[i], base, &view);

		if (rc < 0)
			return rc;
		if (view.len == 0)
			continue;
		if (TLV_HDR_LEN + view.len > cap - off)
			return -EMSGSIZE;
		put_u16(buf + off, fields[i].type);
		put_u16(buf + off + 2, (uint16_t)view.len);
		put_value(&fields[i], &view, base, buf + off + TLV_HDR_LEN);
		off += TLV_HDR_LEN + view.len;
	}
	put_header(buf, type, off);
	return (int)off;
}

int ktls_msg_encode_request(const struct ktls_hs_request *req, uint8_t *buf, size_t cap)
{
	return encode_message(KTLS_MSG_HANDSHAKE_REQ, request_fields, N_FIELDS(request_fields),
			      req, buf, cap);
}

int ktls_msg_encode_reply(const struct ktls_hs_reply *rep, uint8_t *buf, size_t cap)
{
	return encode_message(KTLS_MSG_HANDSHAKE_REPLY, reply_fields, N_FIELDS(reply_fields),
			      rep, buf, cap);
}

/* ---- decoder ----------------------------------------------------------------- */

static const struct tlv_field *find_field(const struct tlv_field *fields, size_t n_fields,
					  uint16_t type, size_t *index)
{
	for (size_t i = 0; i < n_fields; i++) {
		if (fields[i].type == type) {
			*index = i;
			return &fields[i];
		}
	}
	return NULL;
}

static int store_value(const struct tlv_field *f, const uint8_t *value, size_t len,
		       uint8_t *base)
{
	uint8_t *dst = base + f->offset;
	uint16_t v16, len16;
	uint32_t v32;
	uint64_t v64;

	switch (f->shape) {
	case SHAPE_U8:
		if (len != 1 || value[0] < f->min || value[0] > f->max)
			return -EBADMSG;
		*dst = value[0];
		return 0;
	case SHAPE_U16:
		if (len != sizeof(v16))
			return -EBADMSG;
		v16 = get_u16(value);
		memcpy(dst, &v16, sizeof(v16));
		return 0;
	case SHAPE_U32:
		if (len != sizeof(v32))
			return -EBADMSG;
		v32 = get_u32(value);
		memcpy(dst, &v32, sizeof(v32));
		return 0;
	case SHAPE_U64:
		if (len != sizeof(v64))
			return -EBADMSG;
		v64 = get_u64(value);
		memcpy(dst, &v64, sizeof(v64));
		return 0;
	case SHAPE_COUNTS:
	case SHAPE_PROFILES:
	case SHAPE_SESSIONS:
		return store_list(f, value, len, base);
	case SHAPE_STRING:
		if (len >= f->size || memchr(value, '\0', len))
			return -EBADMSG;
		memcpy(dst, value, len);
		dst[len] = '\0';
		return 0;
	case SHAPE_ALPN:
		if (!alpn_wire_valid(value, len))
			return -EBADMSG;
		/* fall through */
	case SHAPE_BYTES:
		if (len > f->size)
			return -EBADMSG;
		memcpy(dst, value, len);
		len16 = (uint16_t)len;
		memcpy(base + f->aux_offset, &len16, sizeof(len16));
		return 0;
	case SHAPE_FIXED:
		if (len != f->size)
			return -EBADMSG;
		memcpy(dst, value, len);
		base[f->aux_offset] = 1;
		return 0;
	case SHAPE_BYTES_REF: {
		/* borrowed from the buffer being decoded (ktls_proto.h) */
		uint8_t *ref = len ? (uint8_t *)(uintptr_t)value : NULL;

		if (len > f->max)
			return -EBADMSG;
		memcpy(dst, &ref, sizeof(ref));
		len16 = (uint16_t)len;
		memcpy(base + f->aux_offset, &len16, sizeof(len16));
		return 0;
	}
	}
	return -EBADMSG;
}

/* Only the role of a request and the status of a reply are mandatory: a
 * message without them cannot be acted upon. */
static bool required_seen(const struct tlv_field *fields, size_t n_fields, uint64_t seen)
{
	for (size_t i = 0; i < n_fields; i++) {
		bool required = fields[i].type == KTLS_TLV_ROLE ||
				fields[i].type == KTLS_TLV_STATUS;

		if (required && !(seen & (UINT64_C(1) << i)))
			return false;
	}
	return true;
}

static int decode_tlvs(const struct tlv_field *fields, size_t n_fields, const uint8_t *buf,
		       size_t len, uint8_t *base)
{
	size_t off = KTLS_MSG_HDR_LEN, index = 0;
	uint64_t seen = 0;

	while (off < len) {
		const struct tlv_field *f;
		uint16_t type, value_len;

		if (len - off < TLV_HDR_LEN)
			return -EBADMSG;
		type = get_u16(buf + off);
		value_len = get_u16(buf + off + 2);
		off += TLV_HDR_LEN;
		if (value_len > len - off)
			return -EBADMSG;
		f = find_field(fields, n_fields, type, &index);
		if (!f && (type & KTLS_TLV_CRITICAL))
			return -EBADMSG;
		if (f) {
			if (seen & (UINT64_C(1) << index))
				return -EBADMSG;
			seen |= UINT64_C(1) << index;
			if (store_value(f, buf + off, value_len, base) < 0)
				return -EBADMSG;
		}
		off += value_len;
	}
	return required_seen(fields, n_fields, seen) ? 0 : -EBADMSG;
}

static int decode_message(uint8_t type, const struct tlv_field *fields, size_t n_fields,
			  const uint8_t *buf, size_t len, void *msg, size_t msg_size)
{
	int rc;

	if (!msg)
		return -EINVAL;
	memset(msg, 0, msg_size);
	if (ktls_msg_type(buf, len) != type)
		return -EBADMSG;
	rc = decode_tlvs(fields, n_fields, buf, len, msg);
	if (rc < 0)
		memset(msg, 0, msg_size);	/* no half-decoded message leaks out */
	return rc;
}

int ktls_msg_decode_request(const uint8_t *buf, size_t len, struct ktls_hs_request *req)
{
	return decode_message(KTLS_MSG_HANDSHAKE_REQ, request_fields, N_FIELDS(request_fields),
			      buf, len, req, sizeof(*req));
}

int ktls_msg_decode_reply(const uint8_t *buf, size_t len, struct ktls_hs_reply *rep)
{
	return decode_message(KTLS_MSG_HANDSHAKE_REPLY, reply_fields, N_FIELDS(reply_fields),
			      buf, len, rep, sizeof(*rep));
}

int ktls_msg_encode_status(const struct ktls_status_reply *st, uint8_t *buf, size_t cap)
{
	return encode_message(KTLS_MSG_STATUS_REPLY, status_fields, N_FIELDS(status_fields),
			      st, buf, cap);
}

int ktls_msg_decode_status(const uint8_t *buf, size_t len, struct ktls_status_reply *st)
{
	return decode_message(KTLS_MSG_STATUS_REPLY, status_fields, N_FIELDS(status_fields),
			      buf, len, st, sizeof(*st));
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The ktlsd request protocol, shared by libktls (client) and ktlsd (server).
 * Internal: not installed, not exported.
 *
 * Transport: an AF_UNIX SOCK_SEQPACKET connection per request.  The client
 * sends ONE message; a handshake request carries exactly one fd (the TCP
 * socket) in SCM_RIGHTS.  The daemon answers with ONE reply message and
 * closes.  SEQPACKET keeps message boundaries, so a short or long datagram
 * is detected (MSG_TRUNC) instead of being glued to the next one.
 *
 * Message = 12-byte header + TLVs, all integers big-endian:
 *   u32 magic 'kTLS' | u8 proto version (1) | u8 msg type | u16 zero
 *   | u32 total length (header included, <= KTLS_MSG_MAX)
 *   TLV: u16 type | u16 value length | value (no padding)
 * A list value (STATUS_REPLY) is its entries back to back, no count: the
 * TLV length says where it ends.
 * A TLV type with bit 15 set is critical: a receiver that does not know it
 * rejects the message; unknown non-critical TLVs are skipped.  A known TLV
 * may appear at most once; strings carry no NUL and must fit their field.
 */
#ifndef KTLS_PROTO_H
#define KTLS_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "ktls.h"

#define KTLS_PROTO_MAGIC 0x6b544c53u	/* "kTLS" */
#define KTLS_PROTO_VERSION 1
#define KTLS_MSG_HDR_LEN 12
#define KTLS_MSG_MAX 32768
#define KTLS_TLV_CRITICAL 0x8000

enum ktls_msg_type {
	KTLS_MSG_HANDSHAKE_REQ = 1,
	KTLS_MSG_HANDSHAKE_REPLY = 2,
	KTLS_MSG_STATUS_REQ = 3,
	KTLS_MSG_STATUS_REPLY = 4,
};

/* TLV types.  Request and reply share one number space. */
enum ktls_tlv {
	KTLS_TLV_ROLE = 1 | KTLS_TLV_CRITICAL,		/* u8 enum ktls_role */
	KTLS_TLV_SERVER_NAME = 2,			/* string */
	KTLS_TLV_ALPN = 3,				/* TLS wire list: (u8 len, name)+ */
	KTLS_TLV_PROFILE = 4 | KTLS_TLV_CRITICAL,	/* string */
	KTLS_TLV_VERIFY = 5 | KTLS_TLV_CRITICAL,	/* u8 enum ktls_verify */
	KTLS_TLV_PSK_IDENTITY = 6 | KTLS_TLV_CRITICAL,	/* string */
	KTLS_TLV_TIMEOUT_MS = 7,			/* u32 */
	KTLS_TLV_REQ_FLAGS = 8,				/* u32: KTLS_REQ_* bits; unknown
							 * bits are ignored, so not critical */
	KTLS_TLV_NO_RESUME = 9,				/* u8 1: offer no cached session;
							 * not critical: a daemon that does
							 * not know it never resumes */
	KTLS_TLV_ACCEPT_EARLY_DATA = 12,		/* u32: server, accept up to this
							 * many 0-RTT bytes; not critical:
							 * a daemon that does not know it
							 * rejects 0-RTT (the client resends) */
	KTLS_TLV_EARLY_DATA = 13,			/* bytes: client, to send as 0-RTT
							 * (at most KTLS_EARLY_DATA_MAX); not
							 * critical: a daemon that ignores it
							 * reports no early status, and libktls
							 * sends them after the handshake */

	KTLS_TLV_STATUS = 32,				/* u32: 0 or a positive errno */
	KTLS_TLV_REASON = 33,				/* string */
	KTLS_TLV_VERSION = 34,				/* u16 enum ktls_version */
	KTLS_TLV_CIPHER = 35,				/* u16 enum ktls_cipher */
	KTLS_TLV_GROUP = 36,				/* string, e.g. "X25519" */
	KTLS_TLV_ALPN_SELECTED = 37,			/* string */
	KTLS_TLV_PEER_SUBJECT = 38,			/* string (RFC 4514 DN) */
	KTLS_TLV_PEER_FINGERPRINT = 39,			/* 32 bytes SHA-256 of DER */
	KTLS_TLV_PEER_CERT = 40,			/* DER */
	KTLS_TLV_RESUMED = 41,				/* u8 */
	KTLS_TLV_PEER_VERIFIED = 42,			/* u8 */
	KTLS_TLV_SERVER_NAME_SEEN = 43,			/* string: SNI the client sent */
	/* TLS 1.3, application door only: the caller's TX then RX application
	 * traffic secret (2 x hash length), for KeyUpdate (lib/ktls_rekey.c) */
	KTLS_TLV_TRAFFIC_SECRETS = 44,			/* bytes, wiped after use */
	/* server, TLS 1.3 0-RTT (the request asked, KTLS_TLV_ACCEPT_EARLY_DATA) */
	KTLS_TLV_EARLY_RECEIVED = 50,			/* bytes: the early data accepted */
	KTLS_TLV_EARLY_FLAGS = 51,			/* u8: KTLS_EARLY_* (ktls.h) */
	/* client 0-RTT (daemon/engine/early_send.c) */
	KTLS_TLV_EARLY_STATUS = 52,			/* u8 enum ktls_early_data_status */
	KTLS_TLV_EARLY_ACCEPTED = 53,			/* u32: bytes the server accepted
							 * as 0-RTT (a prefix of the request's) */

	/* STATUS_REPLY (`ktls status`), with STATUS and REASON above:
	 * EPERM when the caller is neither root nor in ktlsd's group. */
	KTLS_TLV_ST_DAEMON_VERSION = 64,		/* string */
	KTLS_TLV_ST_UPTIME_S = 65,			/* u64 */
	KTLS_TLV_ST_DOORS = 66,				/* u8: KTLS_DOOR_* bits */
	KTLS_TLV_ST_HANDSHAKES_OK = 67,			/* u64 */
	KTLS_TLV_ST_HANDSHAKES_FAILED = 68,		/* u64 */
	KTLS_TLV_ST_REQUESTS_REJECTED = 69,		/* u64: refused before a handshake */
	KTLS_TLV_ST_IN_FLIGHT = 70,			/* u32 */
	KTLS_TLV_ST_FAILURES = 71,			/* list of (u32 errno, u64 count) */
	KTLS_TLV_ST_LATENCY = 72,			/* list of (u32 le_ms, u64 count) */
	KTLS_TLV_ST_LATENCY_SUM_MS = 73,		/* u64: all handshakes' durations */
	KTLS_TLV_ST_PROFILES = 74,			/* list of (u8 len, name, u64 ok,
							 * u64 failed) */
	KTLS_TLV_ST_PROTECTIONS = 90,			/* u32: KTLS_PROT_* bits */
	/* denial-of-service defences (ktlsd's admission.c, fd_budget.c) */
	KTLS_TLV_ST_REFUSED_BUSY = 80,			/* u64: EAGAIN, a limit was reached */
	KTLS_TLV_ST_ACCEPT_NO_FD = 81,			/* u64: accept() out of fds */
	KTLS_TLV_ST_MAX_HANDSHAKES = 82,		/* u32: in force (fd budget applied) */
	KTLS_TLV_ST_KERNEL_RESERVE = 83,		/* u32: of those, kernel only */
	KTLS_TLV_ST_PER_UID_MAX = 84,			/* u32: in flight per app uid */
	KTLS_TLV_ST_FD_LIMIT = 85,			/* u64: soft RLIMIT_NOFILE */
	/* session resumption (ktlsd's daemon/sessions/), 100-109 */
	KTLS_TLV_ST_SESSIONS = 100,			/* list of (u8 len, name, u8 n,
							 * u64 count[n]): per profile, the
							 * counters in the order below */
	/* 0-RTT per profile (ktlsd's sessions/early_data.c), 140-144 */
	KTLS_TLV_ST_EARLY = 140,			/* list as ST_SESSIONS, counters
							 * enum ktls_status_early_counter */
	/* client 0-RTT (ktlsd's daemon/engine/early_send.c), 145-149 */
	KTLS_TLV_ST_EARLY_CLIENT = 145,			/* list as ST_SESSIONS: per profile,
							 * enum ktls_status_early_client_counter */
};

#define KTLS_NAME_MAX 256	/* server name, profile, identity (incl. NUL) */
#define KTLS_ALPN_MAX 256	/* wire-format ALPN list */
#define KTLS_REASON_MAX 256
#define KTLS_SUBJECT_MAX 512
#define KTLS_PEER_CERT_MAX 16384

/* Request flags (KTLS_TLV_REQ_FLAGS).  Each is a hint a daemon that does
 * not know it may ignore without harm. */
#define KTLS_REQ_RECV_TICKETS 0x01u	/* the caller reads with ktls_recv(), which
					 * consumes late NewSessionTickets: no
					 * ticket wait needed (KTLS_RECV_TICKETS) */

struct ktls_hs_request {
	uint8_t role;			/* enum ktls_role */
	uint8_t verify;			/* enum ktls_verify */
	uint32_t timeout_ms;		/* 0: the profile's default */
	uint32_t flags;			/* KTLS_REQ_* */
	uint32_t accept_early;		/* server: 0-RTT bytes accepted, 0: none */
	uint8_t no_resume;		/* 1: a full handshake (client session cache) */
	char server_name[KTLS_NAME_MAX];
	char profile[KTLS_NAME_MAX];
	char psk_identity[KTLS_NAME_MAX];
	uint8_t alpn[KTLS_ALPN_MAX];	/* TLS wire format */
	uint16_t alpn_len;
	/* KTLS_TLV_EARLY_DATA: not copied into the struct (a job would carry
	 * 16 KiB for it).  Encode: the caller's bytes.  Decode: points INTO the
	 * decoded buffer, valid only as long as it; ktlsd copies it at once. */
	uint8_t *early_data;
	uint16_t early_data_len;
};

struct ktls_hs_reply {
	uint32_t status;		/* 0 or a positive errno */
	char reason[KTLS_REASON_MAX];
	uint16_t version, cipher;
	char group[64];
	char alpn[KTLS_NAME_MAX];
	char server_name[KTLS_NAME_MAX];	/* server role: SNI received */
	char peer_subject[KTLS_SUBJECT_MAX];
	uint8_t peer_fingerprint[32];
	uint8_t has_fingerprint, resumed, peer_verified;
	uint16_t peer_cert_len;
	uint8_t peer_cert[KTLS_PEER_CERT_MAX];
	uint16_t traffic_secrets_len;		/* 0, 64 or 96 */
	uint8_t traffic_secrets[96];
	uint8_t early_flags;			/* KTLS_EARLY_* */
	uint16_t early_len;
	uint8_t early_data[KTLS_ACCEPT_EARLY_DATA_MAX];
	uint8_t early_status;			/* enum ktls_early_data_status */
	uint32_t early_accepted;		/* bytes accepted as 0-RTT */
};

/* ---- status (`ktls status`) ---- */

#define KTLS_DOOR_UNIX 0x01		/* the application door */
#define KTLS_DOOR_NETLINK 0x02		/* the kernel's handshake upcall */
#define KTLS_STATUS_DOORS_ALL (KTLS_DOOR_UNIX | KTLS_DOOR_NETLINK)
#define KTLS_STATUS_MAX_FAILURES 32	/* distinct errno values */
#define KTLS_STATUS_MAX_BUCKETS 24	/* latency histogram buckets */
#define KTLS_STATUS_MAX_PROFILES 64
#define KTLS_STATUS_NAME_MAX 65		/* profile name, 1..64 bytes, incl. NUL */
#define KTLS_STATUS_LE_INF UINT32_MAX	/* the last bucket's bound: +Inf */

/* What keeps private keys from a compromised network process (ktlsd's
 * daemon/process/sandbox.h); a bit that is clear is a protection this host lacks. */
#define KTLS_PROT_KEYPROC 0x01		/* keys in a separate key process */
#define KTLS_PROT_KEYPROC_NODUMP 0x02	/* ... not dumpable: no ptrace, /proc/PID/mem */
#define KTLS_PROT_LANDLOCK_FS 0x04	/* network process cannot open key/PSK files */
#define KTLS_PROT_LANDLOCK_NET 0x08	/* ... nor bind or connect TCP */
#define KTLS_PROT_KEYPROC_SECCOMP 0x10	/* key process under its system call filter */
#define KTLS_PROT_NETWORK_SECCOMP 0x20	/* network process under its system call filter */
#define KTLS_PROT_ALL 0x3f

struct ktls_status_count {
	uint32_t key;			/* errno, or a bucket's upper bound in ms */
	uint64_t count;
};

struct ktls_status_profile {
	char name[KTLS_STATUS_NAME_MAX];
	uint64_t ok, failed;
};

/* Session counters per profile, in this order on the wire.  A sender with
 * more counters than a receiver knows is fine: the receiver keeps the first
 * KTLS_STATUS_SESSION_COUNTERS and skips the rest; fewer read as 0. */
enum ktls_status_session_counter {
	KTLS_SESSION_RESUMED,		/* handshakes that resumed a session */
	KTLS_SESSION_FULL,		/* handshakes that did not */
	KTLS_SESSION_CACHE_HIT,		/* a cached session found */
	KTLS_SESSION_CACHE_MISS,	/* looked up, none usable */
	KTLS_SESSION_CACHE_EVICT,	/* dropped unused: room, age, reload */
	KTLS_SESSION_STORE_ERROR,	/* the shared store failed or timed out */
};
#define KTLS_STATUS_SESSION_COUNTERS 6

/* 0-RTT counters per profile (KTLS_TLV_ST_EARLY), the same list format
 * and entry struct as the session counters. */
enum ktls_status_early_counter {
	KTLS_EARLY_STAT_OFFERED,	/* ClientHellos that carried early data */
	KTLS_EARLY_STAT_ACCEPTED,	/* ... whose early data was accepted */
	KTLS_EARLY_STAT_REJECTED,	/* ... rejected (any reason, replays too) */
	KTLS_EARLY_STAT_REPLAY,		/* ... rejected as replays (ticket seen) */
	KTLS_EARLY_STAT_STORE_ERROR,	/* ... rejected: the anti-replay store failed */
	KTLS_EARLY_STAT_BYTES,		/* early bytes accepted and handed over */
};
#define KTLS_STATUS_EARLY_COUNTERS 6

struct ktls_status_sessions {
	char name[KTLS_STATUS_NAME_MAX];
	uint64_t count[KTLS_STATUS_SESSION_COUNTERS];
};

/* Client early data per profile (KTLS_TLV_ST_EARLY_CLIENT), in this order
 * on the wire; kept in struct ktls_status_sessions entries (the first
 * KTLS_STATUS_EARLY_CLIENT_COUNTERS counts; the list has the same shape). */
enum ktls_status_early_client_counter {
	KTLS_EARLY_CLIENT_OFFERED,		/* handshakes that sent 0-RTT data */
	KTLS_EARLY_CLIENT_ACCEPTED,		/* ... the server accepted */
	KTLS_EARLY_CLIENT_REJECTED,		/* ... it rejected (libktls resent them) */
	KTLS_EARLY_CLIENT_NOT_OFFERED,		/* early bytes, but no ticket allowed 0-RTT */
};
#define KTLS_STATUS_EARLY_CLIENT_COUNTERS 4
_Static_assert(KTLS_STATUS_EARLY_CLIENT_COUNTERS <= KTLS_STATUS_SESSION_COUNTERS,
	       "early counters must fit a sessions entry");

/* Counters are since the daemon started.  The latency histogram is NOT
 * cumulative: latency[i].count handshakes took more than latency[i-1].key
 * and at most latency[i].key ms. */
struct ktls_status_reply {
	uint32_t status;		/* 0 or a positive errno */
	char reason[KTLS_REASON_MAX];
	char daemon_version[64];
	uint64_t uptime_s;
	uint8_t doors;			/* KTLS_DOOR_* */
	uint64_t handshakes_ok, handshakes_failed, requests_rejected;
	uint32_t in_flight;
	struct ktls_status_count failures[KTLS_STATUS_MAX_FAILURES];
	uint16_t n_failures;
	struct ktls_status_count latency[KTLS_STATUS_MAX_BUCKETS];
	uint16_t n_latency;
	uint64_t latency_sum_ms;
	struct ktls_status_profile profiles[KTLS_STATUS_MAX_PROFILES];
	uint16_t n_profiles;
	uint32_t protections;		/* KTLS_PROT_* */
	uint64_t refused_busy, accept_no_fd;	/* since start */
	uint32_t max_handshakes, kernel_reserve, per_uid_max;	/* limits in force */
	uint64_t fd_limit;
	struct ktls_status_sessions sessions[KTLS_STATUS_MAX_PROFILES];
	uint16_t n_sessions;
	struct ktls_status_sessions early[KTLS_STATUS_MAX_PROFILES];	/* 0-RTT */
	uint16_t n_early;
	struct ktls_status_sessions early_client[KTLS_STATUS_MAX_PROFILES];
	uint16_t n_early_client;
};

/* Encoders return the message length, or -errno (-EMSGSIZE, -EINVAL).
 * Decoders return 0, or -EBADMSG for anything malformed: bad magic, version,
 * type, length, truncated or overlong TLV, duplicate, bad string, unknown
 * critical TLV.  Decoders zero the struct first. */
int ktls_msg_encode_request(const struct ktls_hs_request *req, uint8_t *buf, size_t cap);
int ktls_msg_decode_request(const uint8_t *buf, size_t len, struct ktls_hs_request *req);
int ktls_msg_encode_reply(const struct ktls_hs_reply *rep, uint8_t *buf, size_t cap);
int ktls_msg_decode_reply(const uint8_t *buf, size_t len, struct ktls_hs_reply *rep);
int ktls_msg_encode_status(const struct ktls_status_reply *st, uint8_t *buf, size_t cap);
int ktls_msg_decode_status(const uint8_t *buf, size_t len, struct ktls_status_reply *st);

/* Peek the type of a message whose header is valid; -EBADMSG otherwise. */
int ktls_msg_type(const uint8_t *buf, size_t len);

/* Encode a header-only message (e.g. KTLS_MSG_STATUS_REQ). */
int ktls_msg_encode_empty(uint8_t type, uint8_t *buf, size_t cap);

/* ALPN: "h2,http/1.1" <-> TLS wire list.  0 / -EINVAL. */
int ktls_alpn_from_csv(const char *csv, uint8_t *wire, uint16_t *wire_len);

/* SCM_RIGHTS over SEQPACKET.  send: one message plus fd (fd < 0: none).
 * recv: one message; *fd gets the single passed fd or -1; a message with
 * two or more fds, or truncated control data, closes every received fd and
 * returns -EBADMSG; a datagram longer than cap returns -EMSGSIZE.
 * Both return bytes or -errno; both retry EINTR. */
ssize_t ktls_ipc_send(int sock, const void *buf, size_t len, int fd);
ssize_t ktls_ipc_recv(int sock, void *buf, size_t cap, int *fd);

/* Where the daemon listens: $KTLS_SOCKET, else KTLS_DEFAULT_SOCKET. */
#define KTLS_DEFAULT_SOCKET "/run/ktlsd/ktlsd.sock"
const char *ktls_socket_path(void);

/* A SOCK_SEQPACKET connection to the daemon's socket at path (libktls's
 * requests, and the CLI's and bench's probes and status requests): the
 * descriptor, or -1 + errno with ktls_errmsg() saying why (ENOENT and
 * ECONNREFUSED: ktlsd is not running). */
int ktls_daemon_connect(const char *path);

#endif /* KTLS_PROTO_H */

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The key process's wire format, one message per SOCK_SEQPACKET datagram.
 * All integers little-endian.
 *
 * Request: u8 type, u8 version (2), u16 zero, u32 id, u32 generation,
 *          u32 index, then the body:
 *   CONFIG     nothing; index must be 0.  Binds generation to a configuration
 *              the key process parsed itself (the first CONFIG: the one both
 *              processes parsed before the fork; later ones: the file re-read)
 *   LOAD       the profile's name (1..KP_NAME_MAX-1 bytes, no NUL): the key
 *              file is the one that configuration names for profile index
 *   OPEN       u32 enum kp_file, then the profile's name as for LOAD
 *   DATA       u32 offset, then 1..KP_DATA_MAX bytes: the first part(s) of
 *              data too long for one SIGN_DATA (offset 0 starts afresh; each
 *              part must follow the last; KP_SIGN_TOTAL_MAX in all)
 *   SIGN_DATA  u32 gnutls_sign_algorithm_t, u32 flags, data (1..KP_DATA_MAX);
 *              with KP_SIGN_CONTINUED in flags the data signed is what DATA
 *              collected followed by this
 *   SIGN_HASH  the same, with a hash (or TLS 1.0 MD5+SHA1) as the data
 *   DROP       nothing; index must be 0 (the whole generation goes)
 * Reply:   u8 type | KP_REPLY, u8 version, u16 zero, u32 id (the request's),
 *          i32 status (0 or -errno), then on success:
 *   LOAD       u32 gnutls_pk_algorithm_t, u32 bits
 *   SIGN_*     the signature (1..KP_SIG_MAX)
 *   CONFIG, OPEN, DATA, DROP  nothing (CONFIG and OPEN pass one read-only file
 *              descriptor with SCM_RIGHTS: the config file, none for built-in
 *              defaults; the profile's file)
 *          and on failure an optional reason (0..KP_REASON_MAX bytes, no NUL).
 *
 * No request carries a path: the network process names a file only by
 * (generation, profile index and name, kind), and the key process opens
 * what its own parse of the configuration says.
 */
#ifndef KTLSD_KEYPROC_PROTO_H
#define KTLSD_KEYPROC_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define KP_VERSION 2
#define KP_REPLY 0x80
#define KP_REQ_HDR_LEN 16
#define KP_REP_HDR_LEN 12
#define KP_NAME_MAX 256			/* profile name + NUL; config.c allows 64 */
/* TLS 1.3 CertificateVerify signs ~160 bytes and a TLS 1.2 ServerKeyExchange
 * about 2.1 KiB (8192-bit DHE), but a TLS 1.2 client CertificateVerify signs
 * every handshake message so far, certificate chains included. */
#define KP_DATA_MAX 65536
#define KP_SIG_MAX 2048			/* RSA-16384 */
/* EdDSA signs the message itself: GnuTLS hands a TLS 1.2 client's whole
 * transcript to sign_data, and the server chooses how big its Certificate
 * (up to GnuTLS's 128 KiB per message) and CertificateRequest are. */
#define KP_SIGN_TOTAL_MAX (1u << 20)
#define KP_SIGN_CONTINUED 0x80000000u	/* SIGN_DATA flag, ours: after DATA parts */
#define KP_REASON_MAX 512
#define KP_REQ_MAX (KP_REQ_HDR_LEN + 8 + KP_DATA_MAX)
#define KP_FILE_MAX (4u << 20)		/* a config, chain or CA file read through OPEN */
#define KP_REP_MAX (KP_REP_HDR_LEN + KP_SIG_MAX)

enum kp_type {
	KP_LOAD = 1,
	KP_SIGN_DATA = 2,
	KP_SIGN_HASH = 3,
	KP_DROP = 4,
	KP_CONFIG = 5,
	KP_OPEN = 6,
	KP_DATA = 7,
};

/* What OPEN opens; private keys are never opened for the network process. */
enum kp_file {
	KP_FILE_CERT = 1,		/* certificate (chain), public */
	KP_FILE_CA = 2,			/* ca_file, public */
	KP_FILE_PSK = 3,		/* psk_file, with the secret-file checks */
};

struct kp_request {
	enum kp_type type;
	uint32_t id, generation, index;
	uint32_t sign_algo, flags;	/* SIGN_* only */
	uint32_t file;			/* OPEN only: enum kp_file */
	uint32_t offset;		/* DATA only */
	const uint8_t *data;		/* LOAD, OPEN: profile name; SIGN_*: what to sign */
	size_t data_len;
};

struct kp_reply {
	enum kp_type type;
	uint32_t id;
	int32_t status;			/* 0 or -errno */
	uint32_t pk_algo, bits;		/* LOAD, status 0 */
	const uint8_t *data;		/* SIGN_*: signature; failure: reason text */
	size_t data_len;
};

/* Encoders: bytes written to buf, or -EINVAL (a field out of bounds) or
 * -EMSGSIZE (buf too small).  Decoders: 0, or -EBADMSG (truncated, bad
 * version, non-zero reserved, lengths that do not add up), -EMSGSIZE (a
 * field over its bound), -EPROTO (unknown type); data points into buf. */
ssize_t kp_request_encode(const struct kp_request *r, uint8_t *buf, size_t len);
int kp_request_decode(const uint8_t *buf, size_t len, struct kp_request *r);
ssize_t kp_reply_encode(const struct kp_reply *r, uint8_t *buf, size_t len);
int kp_reply_decode(const uint8_t *buf, size_t len, struct kp_reply *r);

#endif

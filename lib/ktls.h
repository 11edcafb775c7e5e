/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libktls - kernel TLS (kTLS) for applications.
 *
 * Two layers:
 *  1. The kernel layer: install negotiated TLS traffic keys into a connected
 *     TCP socket (TCP_ULP "tls" + SOL_TLS TLS_TX/TLS_RX), set kTLS knobs,
 *     send/receive control records, query what a socket has installed.
 *     It has no TLS library dependency: keys come in a neutral struct.
 *  2. The daemon client (see ktls_connect() below): hand a connected socket to
 *     ktlsd, which performs the handshake and installs the keys.
 *
 * Error convention: functions return -1 (or NULL) and set errno; a
 * human-readable reason for the last failure in this thread is available from
 * ktls_errmsg().  Nothing here prints.
 */
#ifndef KTLS_H
#define KTLS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Everything declared here is exported; the rest of the library is built
 * with -fvisibility=hidden. */
#pragma GCC visibility push(default)

/* Protocol versions, as on the wire. */
enum ktls_version {
	KTLS_VERSION_1_2 = 0x0303,
	KTLS_VERSION_1_3 = 0x0304,
};

/* AEAD ciphers the kernel can run.  Values are libktls's own (not the
 * kernel's TLS_CIPHER_* numbers) so the ABI does not depend on uapi headers. */
enum ktls_cipher {
	KTLS_CIPHER_AES_128_GCM = 1,
	KTLS_CIPHER_AES_256_GCM = 2,
	KTLS_CIPHER_AES_128_CCM = 3,
	KTLS_CIPHER_CHACHA20_POLY1305 = 4,
};
#define KTLS_CIPHER_COUNT 4

enum ktls_direction {
	KTLS_DIR_TX = 1,
	KTLS_DIR_RX = 2,
};

/* TLS record content types (RFC 8446 section 5.1). */
enum ktls_record_type {
	KTLS_RECORD_CHANGE_CIPHER_SPEC = 20,
	KTLS_RECORD_ALERT = 21,
	KTLS_RECORD_HANDSHAKE = 22,
	KTLS_RECORD_APPLICATION_DATA = 23,
};

#define KTLS_MAX_KEY_LEN 32
#define KTLS_MAX_IV_LEN 12
#define KTLS_MAX_SALT_LEN 4
#define KTLS_REC_SEQ_LEN 8

/*
 * Keys for one direction, in the kernel's split:
 *   TLS 1.3 (all AEADs but ChaCha20): salt = static IV[0..3], iv = IV[4..11]
 *   TLS 1.2 GCM/CCM: salt = 4-byte implicit IV, iv = explicit nonce
 *   ChaCha20-Poly1305: iv = the 12-byte IV, no salt
 * Lengths must match the cipher exactly (ktls_cipher_key_len() etc.), or
 * ktls_install() fails with EINVAL.  rec_seq is the next record's sequence
 * number, big-endian.  Wipe this struct after use (ktls_params_wipe()).
 */
struct ktls_crypto_params {
	uint16_t version;	/* enum ktls_version */
	uint16_t cipher;	/* enum ktls_cipher */
	uint8_t key_len, iv_len, salt_len;
	uint8_t key[KTLS_MAX_KEY_LEN];
	uint8_t iv[KTLS_MAX_IV_LEN];
	uint8_t salt[KTLS_MAX_SALT_LEN];
	uint8_t rec_seq[KTLS_REC_SEQ_LEN];
};

/* What a socket has installed, read back from the kernel (no key material). */
struct ktls_dir_info {
	int installed;		/* 0: this direction is not configured */
	uint16_t version;	/* enum ktls_version */
	uint16_t cipher;	/* enum ktls_cipher, 0 if unknown to libktls */
};

struct ktls_info {
	int ulp_attached;	/* the "tls" ULP is on the socket */
	struct ktls_dir_info tx, rx;
	int tx_zerocopy_ro;	/* -1: not supported by the kernel */
	int rx_expect_no_pad;	/* -1: not supported by the kernel */
};

/* ---- names and sizes ---------------------------------------------------- */
const char *ktls_cipher_name(int cipher);		/* "AES-128-GCM", NULL if unknown */
const char *ktls_version_name(int version);		/* "TLS1.3", NULL if unknown */
int ktls_cipher_from_name(const char *name);		/* -1 + EINVAL if unknown */
int ktls_cipher_key_len(int cipher);
int ktls_cipher_iv_len(int cipher);
int ktls_cipher_salt_len(int cipher);

/* ---- kernel layer ----------------------------------------------------------- */
/* Attach the "tls" ULP.  Succeeds if it is already attached. */
int ktls_attach_ulp(int fd);

/* Install keys for one direction (attaches the ULP first if needed).  A
 * second TX/RX install on TLS 1.3 is a rekey (KeyUpdate), which only newer
 * kernels accept. */
int ktls_install(int fd, enum ktls_direction dir, const struct ktls_crypto_params *params);

/* Install TX then RX.  Both or an error: the socket is unusable after a
 * partial failure and should be closed. */
int ktls_install_both(int fd, const struct ktls_crypto_params *tx,
		      const struct ktls_crypto_params *rx);

/* TLS 1.3 receive: expect no record padding, decrypt in place (RX installed
 * first).  The kernel falls back by itself if a peer pads. */
int ktls_set_rx_expect_no_pad(int fd, int enable);

/* sendfile() without copying file pages: the pages are encrypted straight
 * from the page cache, so the file MUST NOT change while it is being sent,
 * or the peer gets a record that fails authentication.  Opt-in. */
int ktls_set_tx_zerocopy_ro(int fd, int enable);

int ktls_query(int fd, struct ktls_info *info);

/* Does the running kernel run version x cipher?  Installs throwaway keys on
 * a loopback TCP pair and moves one record through.  0: yes; -1 + errno and
 * ktls_errmsg() otherwise.  Without CAP_NET_ADMIN the tls module must
 * already be loaded. */
int ktls_probe(enum ktls_version version, enum ktls_cipher cipher);

/* Send one record of the given content type (alert, handshake, ...). */
ssize_t ktls_send_record(int fd, uint8_t record_type, const void *buf, size_t len, int flags);
int ktls_send_alert(int fd, uint8_t level, uint8_t description);
int ktls_send_close_notify(int fd);

/* Receive one record's worth of data; *record_type gets its content type.
 * Unlike plain recv(), never fails with EIO on a non-data record. */
ssize_t ktls_recv_record(int fd, void *buf, size_t len, int flags, uint8_t *record_type);

/* Alert names per RFC 8446 section 6 ("close_notify", "bad_certificate"). */
const char *ktls_alert_name(uint8_t description);

void ktls_params_wipe(struct ktls_crypto_params *params);

/* Reason for the last failure in this thread ("" if none). */
const char *ktls_errmsg(void);

/* ---- daemon client: handshake offload through ktlsd ------------------------- */
/*
 * Usage:
 *   int fd = socket(...); connect(fd, ...);
 *   ktls_setsockopt(fd, SOL_KTLS, KTLS_SERVER_NAME, "example.com", 11);
 *   if (ktls_connect(fd) < 0) { ... ktls_errmsg() ... }
 *   write(fd, ...); sendfile(fd, ...); read(fd, ...);
 * The daemon socket is $KTLS_SOCKET or /run/ktlsd/ktlsd.sock.
 * Options are kept per socket (fd + inode) until ktls_forget(fd) or a new
 * socket reuses the fd number.  All functions are thread-safe.
 */
#define SOL_KTLS 0x6b746c73	/* our option level; SOL_TLS passes to the kernel */

enum ktls_role {
	KTLS_ROLE_CLIENT = 1,
	KTLS_ROLE_SERVER = 2,
};

enum ktls_verify {
	KTLS_VERIFY_DEFAULT = 0,	/* the profile decides */
	KTLS_VERIFY_REQUIRED = 1,	/* client: verify server; server: require client cert */
	KTLS_VERIFY_OPTIONAL = 2,	/* server: ask for a client cert, verify if given */
	KTLS_VERIFY_NONE = 3,		/* no peer verification (only if the profile allows) */
};

enum ktls_option {
	/* set before the handshake */
	KTLS_SERVER_NAME = 1,		/* char[]: SNI + hostname to verify */
	KTLS_ALPN = 2,			/* char[]: "h2,http/1.1" */
	KTLS_PROFILE = 3,		/* char[]: daemon profile name */
	KTLS_VERIFY = 4,		/* int: enum ktls_verify */
	KTLS_PSK_IDENTITY = 5,		/* char[]: TLS 1.3 PSK identity */
	KTLS_HANDSHAKE_TIMEOUT = 6,	/* int: milliseconds */
	KTLS_RECV_TICKETS = 7,		/* int 0/1: this application reads with
					 * ktls_recv() (client role): ktlsd need not
					 * wait for TLS 1.3 tickets before handing
					 * the socket over (see libktls(3)) */
	KTLS_NO_RESUME = 8,		/* int: 1 = a full handshake, no cached session */
	KTLS_EARLY_DATA = 11,
	KTLS_ACCEPT_EARLY_DATA = 12,	/* int: server role, accept up to this many bytes
					 * of TLS 1.3 0-RTT data (0: none, the default;
					 * at most KTLS_ACCEPT_EARLY_DATA_MAX); read them with
					 * getsockopt KTLS_EARLY_DATA (libktls(3)) */
	/* client: the first bytes to send, as TLS 1.3 0-RTT when a cached
	 * ticket allows it, else right after the handshake (1..
	 * KTLS_EARLY_DATA_MAX bytes; see libktls(3) for the contract) */
	/* read after the handshake */
	KTLS_VERSION = 16,		/* int: enum ktls_version */
	KTLS_CIPHER = 17,		/* int: enum ktls_cipher */
	KTLS_ALPN_SELECTED = 18,	/* char[] */
	KTLS_PEER_CERT = 19,		/* DER bytes */
	KTLS_PEER_SUBJECT = 20,		/* char[] */
	KTLS_PEER_FINGERPRINT = 21,	/* 32 bytes: SHA-256 of the DER */
	KTLS_RESUMED = 22,		/* int */
	KTLS_GROUP = 23,		/* char[]: key exchange group */
	KTLS_ERROR = 24,		/* char[]: reason of the last failed handshake */
	KTLS_SNI_RECEIVED = 25,		/* char[]: server role, the name the client sent */
	KTLS_EARLY_DATA_FLAGS = 28,	/* int: server role, KTLS_EARLY_* bits */
	KTLS_EARLY_DATA_STATUS = 29,	/* int: client, enum ktls_early_data_status */
};

/* Most bytes KTLS_EARLY_DATA takes (a server's max_early_data may be less:
 * the rest then goes right after the handshake). */
#define KTLS_EARLY_DATA_MAX 16384

/* What became of a client's KTLS_EARLY_DATA bytes (KTLS_EARLY_DATA_STATUS).
 * In every case but NONE all the bytes have reached the kernel's send queue
 * exactly once, in order, before ktls_connect() returned. */
enum ktls_early_data_status {
	KTLS_EARLY_DATA_NONE = 0,	/* no early bytes were set */
	KTLS_EARLY_DATA_NOT_SENT = 1,	/* no cached ticket allowed 0-RTT: all sent
					 * as ordinary data after the handshake */
	KTLS_EARLY_DATA_ACCEPTED = 2,	/* sent as 0-RTT and accepted (a tail past
					 * the server's limit followed as 1-RTT) */
	KTLS_EARLY_DATA_REJECTED = 3,	/* sent as 0-RTT, rejected by the server,
					 * sent again after the handshake */
};

/* KTLS_EARLY_DATA (11), got on a server socket after ktls_accept(): the
 * bytes the client sent as TLS 1.3 early data (0-RTT), which ktlsd
 * accepted under anti-replay and read itself.  They come before anything
 * read() returns on the socket.  *optlen = 0 when none were accepted.
 * Early data may have been replayed by an attacker within the window
 * ktlsd could not see (libktls(3)): act only on requests safe to repeat. */
#define KTLS_ACCEPT_EARLY_DATA_MAX 14336	/* the reply must hold it with a peer cert */
#define KTLS_EARLY_OFFERED 0x01u	/* the client sent early data */
#define KTLS_EARLY_ACCEPTED 0x02u	/* ... and it was accepted (KTLS_EARLY_DATA) */
#define KTLS_EARLY_REPLAY 0x04u		/* ... rejected: its ticket was seen in the window */

int ktls_setsockopt(int fd, int level, int optname, const void *optval, socklen_t optlen);
int ktls_getsockopt(int fd, int level, int optname, void *optval, socklen_t *optlen);

/* Blocking handshake through ktlsd; on success fd carries kTLS both ways. */
int ktls_connect(int fd);
int ktls_accept(int fd);

/* Async: start returns a descriptor that becomes readable when the daemon
 * answers; pass it to finish, which closes it.  Returns -1 on error. */
int ktls_handshake_start(int fd, enum ktls_role role);
int ktls_handshake_finish(int fd, int handle);

/* recv() for kTLS sockets: returns application data only.  NewSessionTickets
 * are consumed; close_notify reads as EOF (0); any other alert fails with
 * ECONNRESET and ktls_errmsg() names it.  A peer's TLS 1.3 KeyUpdate is
 * handled in passing: the next RX key is installed and, if the peer asked
 * for it, our own KeyUpdate is sent and the next TX key installed (so do not
 * write from another thread while reading).  Where that cannot be done
 * (Linux < 6.14, no traffic secret kept for fd) it fails with EKEYEXPIRED
 * and ktls_errmsg() says why; the connection is then over.  Other
 * handshake messages, or a malformed KeyUpdate, fail with EPROTO. */
ssize_t ktls_recv(int fd, void *buf, size_t len, int flags);

/* For callers that read with plain read()/recv(): when that fails with EIO
 * (a record that is not data, e.g. a ticket or a KeyUpdate, is next) or
 * EKEYEXPIRED (the kernel waits for the next receive key), call this, then
 * read again.  It handles at most one pending record, without blocking.
 * 0: read again; 1: the peer closed (close_notify or FIN); -1 + errno as
 * for ktls_recv(). */
int ktls_handle_record(int fd);

/* ---- TLS 1.3 key updates and AEAD limits (see libktls(3)) ------------------ */
/* Send a KeyUpdate and switch our sending side to the next key; with
 * request_peer_update the peer is asked to update its key too (its
 * KeyUpdate is handled by ktls_recv/ktls_handle_record).  Needs Linux 6.14+
 * and a TLS 1.3 handshake through ktlsd: EOPNOTSUPP otherwise, before
 * anything is sent.  No other thread may write to fd meanwhile. */
int ktls_rekey(int fd, int request_peer_update);

/* Records one key of cipher may seal (RFC 8446 5.5 style limits). */
uint64_t ktls_aead_limit(int cipher);

/* Records sealed under fd's current TX key (the kernel's record sequence
 * number); *cipher (may be NULL) gets the TX cipher. */
int ktls_tx_records(int fd, uint64_t *records, int *cipher);

/* Before sending len bytes: renews the TX key (ktls_rekey) when the AEAD
 * limit is near and returns how many of the len bytes may go out under the
 * current key (at least 1).  -1 + EKEYEXPIRED when the limit is reached and
 * the key cannot be renewed (old kernel, TLS 1.2): close the connection
 * cleanly (ktls_shutdown) instead of sending. */
ssize_t ktls_tx_prepare(int fd, size_t len);

/* ktls_forget(fd) (which wipes fd's traffic secrets), then close(fd). */
int ktls_close(int fd);

/* Send close_notify, then shutdown(how). */
int ktls_shutdown(int fd, int how);

/* Drop the options and wipe the traffic secrets libktls keeps for fd (call
 * before close(), or use ktls_close(); reuse of the fd number by another
 * socket is detected anyway, and the secrets of closed sockets are wiped
 * when their memory is needed). */
void ktls_forget(int fd);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif /* KTLS_H */

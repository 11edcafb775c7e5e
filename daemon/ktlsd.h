/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ktlsd's shared state.
 *
 * Concurrency model: the main thread owns the application door (a listening
 * AF_UNIX SOCK_SEQPACKET socket) and signals (signalfd).  It accepts a
 * request, checks the caller and the passed fd, picks a profile and hands a
 * job to one of N worker threads through job_submit() (worker.c), which
 * admits it against the limits (admission.c: in flight in total, per uid,
 * a share kept for kernel requests) or refuses it with EAGAIN.  Each
 * worker runs its own epoll loop driving many non-blocking GnuTLS
 * handshakes, each with a deadline; a worker never blocks on one peer.
 * The job carries a reference to the config it started with, so SIGHUP
 * can swap configs while handshakes are in flight.
 */
#ifndef KTLSD_KTLSD_H
#define KTLSD_KTLSD_H

#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "ktls_proto.h"

/* A config plus its loaded credentials, shared by reference. */
struct cfg_ref {
	struct cfg *cfg;
	atomic_uint refs;
};

struct cfg_ref *cfg_ref_current(void);	/* takes a reference */
void cfg_ref_put(struct cfg_ref *ref);
void cfg_ref_install(struct cfg_ref *ref);	/* becomes current; drops the old */

/* Counters for logs and `ktls status`. */
struct ktlsd_stats {
	atomic_ulong handshakes_ok, handshakes_failed, requests_rejected;
	atomic_uint in_flight;
	/* denial of service defences (admission.c, door_unix.c) */
	atomic_ulong refused_busy;	/* EAGAIN: a limit of admission.c was reached */
	atomic_ulong accept_no_fd;	/* accept() failed with EMFILE/ENFILE */
};
extern struct ktlsd_stats ktlsd_stats;

/* Supplementary groups kept per caller.  Bounded so a job's size does not
 * depend on the caller (NGROUPS_MAX is 65536); 64 covers ordinary users.
 * A caller in more groups has none recorded (see peer_cred_read()). */
#define PEER_GROUPS_MAX 64
#define PEER_GROUPS_STR_(n) #n
#define PEER_GROUPS_STR(n) PEER_GROUPS_STR_(n)
#define PEER_GROUPS_MAX_STR PEER_GROUPS_STR(PEER_GROUPS_MAX)	/* for messages */

/* Who asked, for ACLs and log lines: SO_PEERCRED, and SO_PEERGROUPS as of
 * connect() time.  A kernel request has none (all zero). */
struct peer_cred {
	pid_t pid;
	uid_t uid;
	gid_t gid;			/* primary group */
	unsigned n_groups;		/* groups[] used */
	unsigned groups_over;		/* > PEER_GROUPS_MAX: how many (none kept), else 0 */
	gid_t groups[PEER_GROUPS_MAX];	/* supplementary, as the kernel lists them */
};

/* door_unix.c: the credentials of conn's peer into *who.  0, or -errno if
 * SO_PEERCRED fails.  The supplementary groups are best effort and can
 * only admit, never refuse: none when the kernel has no SO_PEERGROUPS, and
 * none (groups_over set) when the caller is in more than PEER_GROUPS_MAX,
 * so such a caller is judged by its uid and primary group alone. */
int peer_cred_read(int conn, struct peer_cred *who);
/* Is gid the caller's primary or one of its recorded supplementary groups? */
int peer_cred_in_group(const struct peer_cred *who, gid_t gid);

struct hs_job;

/* Which door a job came through: the limits differ (admission.c). */
enum job_origin {
	JOB_FROM_APP,			/* application door: per-uid limits apply */
	JOB_FROM_KERNEL,		/* netlink door: may use the kernel's reserve */
};

/* Where a job's outcome goes: a reply on the application's request
 * connection, or DONE to the kernel (netlink door).  Called once, on the
 * worker, after kTLS is installed (or not) and before the job is freed.
 * Must not block. */
typedef void (*hs_done_fn)(struct hs_job *job, const struct ktls_hs_reply *rep);

/* Optional per-request credentials (the kernel names keys by serial): when
 * set, they replace the profile's for this handshake.  Freed with the job. */
struct hs_override {
	void *x509;			/* gnutls_certificate_credentials_t, or NULL */
	/* client PSK: used when psk_key_len > 0 */
	char psk_identity[KTLS_NAME_MAX];
	uint8_t psk_key[64];
	unsigned psk_key_len;
	/* server PSK: find the key for identity; 0, or -ENOKEY if unknown */
	int (*psk_lookup)(struct hs_override *ov, const char *identity,
			  uint8_t *key, unsigned *key_len, unsigned key_cap);
	void (*release)(struct hs_override *ov);	/* frees ov; wipes secrets */
};

/* One handshake request, from acceptance to reply. */
struct hs_job {
	hs_done_fn done;
	void *done_ctx;			/* the door's per-request state */
	int conn_fd;			/* unix door: request connection (watched for hang-up); else -1 */
	int sock_fd;			/* the application's TCP socket (our copy) */
	struct peer_cred caller;
	struct ktls_hs_request req;
	struct cfg_ref *cfg;
	const struct cfg_profile *profile;	/* server role: may change on SNI */
	uint64_t started_ms, deadline_ms;
	uint64_t wake_ms;		/* 0, or when the engine wants a step without I/O */
	char peer_addr[64];
	struct hs_session *hs;		/* handshake.c */
	struct hs_override *override;	/* may be NULL */
	enum job_origin origin;
	int admitted;			/* counted by admission.c until job_finish() */
	uint64_t id;			/* the worker's name for it in epoll (never reused) */
	struct hs_job *next;		/* worker list */
};

void hs_job_free(struct hs_job *job);

/* worker.c: admit a job (limits for its origin and caller, see
 * admission.c), stamp its start and deadline (timeout_ms from now) and
 * hand it to the least loaded worker, which owns it from then on.
 * 0, or -EAGAIN with a reason for the caller: the door still owns the job
 * and answers the refusal. */
int job_submit(struct hs_job *job, unsigned timeout_ms, char *reason, size_t reason_len);

/* fdcheck.c: is fd a connected TCP socket with no ULP?  0 or -errno with a
 * reason. */
int fd_check_tcp_socket(int fd, char *reason, size_t reason_len);
void fd_peer_address(int fd, char *out, size_t out_len);

/* reply.c: send a reply and close the request connection. */
void reply_send(int conn_fd, const struct ktls_hs_reply *rep);
void reply_job_done(struct hs_job *job, const struct ktls_hs_reply *rep);	/* hs_done_fn */
void reply_error(int conn_fd, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

uint64_t now_ms(void);

#endif

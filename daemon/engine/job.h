/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One handshake request, from acceptance by a door to its reply: what it
 * carries and how it ends.  The concurrency model is in docs/architecture.md. */
#ifndef KTLSD_ENGINE_JOB_H
#define KTLSD_ENGINE_JOB_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "doors/peer_cred.h"
#include "engine/config_ref.h"
#include "ktls_proto.h"

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

/* One handshake request, from acceptance to reply.  Freed, with all it
 * holds, by the worker that finishes it (worker.c job_finish()). */
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
	/* worker.c's indexes, so that no event costs a walk over every job
	 * in flight: the list (inbox, then all the worker's jobs), the id
	 * map's chain, and the place in the heap of due times. */
	struct hs_job *next, *prev;
	struct hs_job *id_next;
	size_t heap_at;			/* index + 1 in the heap; 0: not in it */
	uint64_t due_ms;		/* heap key: min(deadline_ms, wake_ms if set) */
};

#endif

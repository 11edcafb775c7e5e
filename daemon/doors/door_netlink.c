// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The kernel door: serve the net/handshake upcall, as tlshd does.
 *
 * A kernel consumer (NFS with xprtsec=tls|mtls, NVMe/TCP, a test module)
 * calls tls_client_hello_*() or tls_server_hello_*() on a connected kernel
 * socket.  The kernel queues the request and multicasts READY to the
 * "tlshd" group of the generic netlink family "handshake".  We answer with
 * ACCEPT (handler class TLSHD); the reply installs the socket as a new fd in
 * our process and names the parameters: ClientHello or ServerHello, the
 * authentication mode, key serials, the peer's name, a timeout.  The
 * handshake then runs on a worker like any application request; its end,
 * whatever it is, is reported with DONE (status, the fd, the peer identity),
 * and only then is our fd closed, because DONE names the socket by fd.
 *
 * Threads: READY and ACCEPT belong to the main thread (its epoll loop), so
 * requests are taken one at a time and everything read from keyrings is
 * read there, while the kernel's keyring link is in place.  DONE is sent
 * by whichever thread ends the job, on a netlink socket of that thread: the
 * kernel handles a netlink request inside sendmsg(), so the ACK is already
 * queued when send() returns and no other thread can take it.
 *
 * Sockets: READY arrives on a libnl socket that joined the group; ACCEPT
 * uses a socket of its own so that its reply never queues behind READYs.
 *
 * Every accepted request gets exactly one DONE, including those we cannot
 * even turn into a job.  A READY may be lost (socket overrun, or a daemon
 * restarted between READY and ACCEPT): every READY, and start-up, ACCEPTs
 * until the kernel has nothing left (EAGAIN), so a lost READY costs nothing.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "doors/door_netlink.h"
#include "doors/handshake_uapi.h"
#include "keys/keyring.h"
#include "process/log.h"
#include "engine/worker.h"
#include "base/clock.h"
#include "doors/fdcheck.h"
#include "engine/stats.h"

#define MAX_TIMEOUT_MS 600000u
#define DEFAULT_TIMEOUT_MS 10000u
#define PEER_CERT_KEY_TTL_S 600	/* the verified peer's certificate key */
#define DRAIN_MAX 1024		/* the kernel queues at most 50 per netns */
#define RECV_BUF 16384		/* an ACCEPT reply is one page at most */
#define REPLY_WAIT_MS 1000

/* The kernel's value for "this peer was authenticated, but there is no key
 * to show for it" (tlshd's convention); TLS_NO_PEERID (0) means "not". */
#define PEERID_PLACEHOLDER ((int32_t)-1)

/* Per request state; ov first: the engine frees us through ov.release. */
struct nl_request {
	struct hs_override ov;
	uint32_t auth_mode;		/* enum handshake_auth */
	enum ktls_role role;
	int32_t psk_serial;		/* client: offered; server: matched */
	int unknown_psk_identity;	/* server: the client named a PSK we lack */
	struct kr_x509 *x509;
	struct kr_psk *psks;		/* server: the candidates */
	unsigned n_psks;
	char peername[KTLS_NAME_MAX];
};

static struct nl_sock *mcast;		/* READY notifications */
static int accept_fd = -1;		/* ACCEPT and its reply, main thread */
static int family_id = -1;
static int remote_auth_ok = 1;		/* does DONE take REMOTE_AUTH? */
static int door_active;
static atomic_uint next_seq = 1;
static unsigned long requests_taken;

static pthread_once_t done_key_once = PTHREAD_ONCE_INIT;
static pthread_key_t done_key;
static __thread int done_fd = -1;

/* ---- DONE status (the message codec is in door_netlink_msg.c) ---- */

uint32_t hsnl_done_status(uint32_t engine_status, int unknown_psk_identity)
{
	if (engine_status == 0)
		return 0;
	if (unknown_psk_identity)
		return EKEYREJECTED;
	switch (engine_status) {
	case ETIMEDOUT:
		return ETIMEDOUT;
	case ENOKEY:		/* the server answered unknown_psk_identity */
		return EKEYREJECTED;
	case EACCES:		/* bad certificate, name mismatch, wrong PSK, alert */
	case EKEYREJECTED:	/* certificate not signed by a trusted CA */
	case EKEYEXPIRED:
	case EKEYREVOKED:
	case EPERM:		/* the profile's policy refused the peer */
		return EACCES;
	default:
		return EIO;
	}
}

/* ---- talking to the kernel ---- */

static void done_socket_close(void *value)
{
	close((int)(intptr_t)value - 1);
}

static void done_key_create(void)
{
	if (pthread_key_create(&done_key, done_socket_close) != 0)
		log_warnx("no thread-exit hook: DONE sockets of exiting threads leak");
}

/* This thread's socket for DONE (closed when the thread exits). */
static int done_socket(void)
{
	if (done_fd >= 0)
		return done_fd;
	pthread_once(&done_key_once, done_key_create);
	done_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (done_fd >= 0)
		pthread_setspecific(done_key, (void *)(intptr_t)(done_fd + 1));
	return done_fd;
}

static int send_msg(int fd, struct nl_msg *msg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

	if (sendto(fd, nlh, nlh->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	return 0;
}

/* The ACK (or error) for seq: already queued, see the top of the file. */
static int read_ack(int fd, uint32_t seq)
{
	uint8_t buf[4096];
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0 || (n < 0 && errno == EINTR)) {
		int rem = (int)n;

		for (struct nlmsghdr *nlh = (void *)buf; n > 0 && nlmsg_ok(nlh, rem);
		     nlh = nlmsg_next(nlh, &rem))
			if (nlh->nlmsg_seq == seq && nlh->nlmsg_type == NLMSG_ERROR &&
			    nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(struct nlmsgerr)))
				return ((struct nlmsgerr *)nlmsg_data(nlh))->error;
	}
	return -EAGAIN;
}

/* 0 if the kernel took it, else its -errno (-EBUSY: it no longer waits). */
static int send_done(int sockfd, uint32_t status, const int32_t *remote, unsigned n_remote)
{
	uint32_t seq = atomic_fetch_add(&next_seq, 1);
	int fd = done_socket(), rc;
	struct nl_msg *msg;

	if (fd < 0)
		return -errno;
	msg = nlmsg_alloc();
	if (!msg)
		return -ENOMEM;
	rc = hsnl_build_done(msg, family_id, seq, status, sockfd, remote,
			     remote_auth_ok ? n_remote : 0);
	if (rc == 0)
		rc = send_msg(fd, msg);
	nlmsg_free(msg);
	return rc < 0 ? rc : read_ack(fd, seq);
}

static void report_done(int sockfd, uint32_t status, const int32_t *remote, unsigned n_remote)
{
	int rc = send_done(sockfd, status, remote, n_remote);

	if (rc == -EBUSY)
		log_warnx("DONE(%s) for fd %d: the kernel no longer waits for this socket "
			  "(the consumer gave up)", status ? strerror((int)status) : "ok", sockfd);
	else if (rc < 0)
		log_warnx("DONE(%s) for fd %d failed: %s", status ? strerror((int)status) : "ok",
			  sockfd, strerror(-rc));
}

/* A request that never becomes a job: answer it here and now. */
static void refuse(int sockfd, uint32_t status, const char *reason)
{
	char peer[64] = "?";

	fd_peer_address(sockfd, peer, sizeof(peer));
	log_warnx("kernel handshake request refused peer=%s status=%s reason=\"%s\"", peer,
		  strerror((int)status), reason);
	atomic_fetch_add(&ktlsd_stats.requests_rejected, 1);
	report_done(sockfd, status, NULL, 0);
	close(sockfd);
}

/* ---- per-request credentials ---- */

static void request_release(struct hs_override *ov)
{
	struct nl_request *r = (struct nl_request *)ov;

	if (!r)
		return;
	keyring_x509_put(r->x509);
	if (r->psks) {
		explicit_bzero(r->psks, sizeof(*r->psks) * KR_MAX_PSKS);
		free(r->psks);
	}
	explicit_bzero(r, sizeof(*r));
	free(r);
}

/* Server PSK callback (worker thread): only what was gathered at ACCEPT. */
static int psk_lookup(struct hs_override *ov, const char *identity, uint8_t *key,
		      unsigned *key_len, unsigned key_cap)
{
	struct nl_request *r = (struct nl_request *)ov;

	for (unsigned i = 0; i < r->n_psks; i++) {
		const struct kr_psk *psk = &r->psks[i];

		if (strcmp(psk->identity, identity) != 0 || psk->key_len > key_cap)
			continue;
		memcpy(key, psk->key, psk->key_len);
		*key_len = psk->key_len;
		r->psk_serial = psk->serial;
		return 0;
	}
	r->unknown_psk_identity = 1;
	return -ENOKEY;
}

static uint32_t client_psk(struct nl_request *r, const struct hsnl_accept *a, char *reason,
			   size_t reason_len)
{
	struct kr_psk psk;

	if (a->n_peerids == 0) {
		snprintf(reason, reason_len, "PSK request names no key");
		return EKEYREJECTED;
	}
	/* GnuTLS offers one identity per ClientHello: the kernel's first. */
	if (keyring_read_psk(a->peerids[0], &psk, reason, reason_len) < 0)
		return EKEYREJECTED;
	snprintf(r->ov.psk_identity, sizeof(r->ov.psk_identity), "%s", psk.identity);
	memcpy(r->ov.psk_key, psk.key, psk.key_len);
	r->ov.psk_key_len = psk.key_len;
	r->psk_serial = psk.serial;
	explicit_bzero(&psk, sizeof(psk));
	return 0;
}

/* The keys a PSK server may use: the serials the kernel named, the keyring
 * it names (newer kernels) and the keyrings linked into our process
 * keyring: the consumer's (6.4..6.12 at least) and [kernel] keyrings. */
static uint32_t server_psks(struct nl_request *r, const struct hsnl_accept *a, char *reason,
			    size_t reason_len)
{
	char why[KTLS_REASON_MAX];
	kr_serial_t process_keyring = keyring_process_keyring();

	r->psks = calloc(KR_MAX_PSKS, sizeof(*r->psks));
	if (!r->psks) {
		snprintf(reason, reason_len, "out of memory");
		return EIO;
	}
	for (unsigned i = 0; i < a->n_peerids && r->n_psks < KR_MAX_PSKS; i++)
		if (a->peerids[i] && keyring_read_psk(a->peerids[i], &r->psks[r->n_psks],
						      why, sizeof(why)) == 0)
			r->n_psks++;
		else if (a->peerids[i])
			log_warnx("kernel PSK request: %s", why);
	if (a->keyring)
		keyring_collect_psks(a->keyring, 1, r->psks, &r->n_psks, KR_MAX_PSKS);
	if (process_keyring)
		keyring_collect_psks(process_keyring, 2, r->psks, &r->n_psks, KR_MAX_PSKS);
	if (r->n_psks == 0)
		log_warnx("kernel PSK server request: no PSK in the keys and keyrings it names; "
			  "every client identity will be unknown");
	r->ov.psk_lookup = psk_lookup;
	return 0;
}

static uint32_t x509_keys(struct nl_request *r, const struct hsnl_accept *a,
			  struct cfg_ref *cfg, const struct cfg_profile *p, char *reason,
			  size_t reason_len)
{
	unsigned long hits_before, hits_after, misses;
	uint64_t start_ms;
	int rc;

	if (!a->cert && !a->privkey)
		return 0;	/* the profile's own certificate, if any */
	if (!a->cert || !a->privkey) {
		snprintf(reason, reason_len, "x509 request names a %s but no %s",
			 a->cert ? "certificate" : "private key",
			 a->cert ? "private key" : "certificate");
		return EKEYREJECTED;
	}
	keyring_x509_stats(&hits_before, &misses);
	start_ms = clock_now_ms();
	rc = keyring_x509_get(cfg, p, a->cert, a->privkey, &r->x509, reason, reason_len);
	if (rc < 0)
		return rc == -ENOMEM ? EIO : EKEYREJECTED;
	keyring_x509_stats(&hits_after, &misses);
	log_debug("x509 credentials for keys %d/%d (profile %s): %s in %lu ms", a->cert,
		  a->privkey, p->name, hits_after > hits_before ? "cached" : "built",
		  (unsigned long)(clock_now_ms() - start_ms));
	r->ov.x509 = keyring_x509_creds(r->x509);
	return 0;
}

static uint32_t prepare_credentials(struct nl_request *r, const struct hsnl_accept *a,
				    struct cfg_ref *cfg, const struct cfg_profile *p,
				    char *reason, size_t reason_len)
{
	switch ((enum handshake_auth)a->auth_mode) {
	case HANDSHAKE_AUTH_PSK:
		return r->role == KTLS_ROLE_CLIENT ? client_psk(r, a, reason, reason_len)
						   : server_psks(r, a, reason, reason_len);
	case HANDSHAKE_AUTH_X509:
		return x509_keys(r, a, cfg, p, reason, reason_len);
	case HANDSHAKE_AUTH_UNAUTH:
		return 0;
	case HANDSHAKE_AUTH_UNSPEC:
		break;
	}
	snprintf(reason, reason_len, "unsupported authentication mode %u", a->auth_mode);
	return EIO;
}

/* ---- from ACCEPT to a job ---- */

/* [kernel] client_profile / server_profile, else the [global] defaults;
 * fixed for the request (SNI does not switch it, see fill_request()). */
static const struct cfg_profile *kernel_profile(const struct cfg *cfg, enum ktls_role role)
{
	return cfg_kernel_profile(cfg, role);
}

static unsigned job_timeout_ms(const struct hsnl_accept *a, const struct cfg *cfg,
			       const struct cfg_profile *p)
{
	unsigned t = p->handshake_timeout_ms ? p->handshake_timeout_ms : cfg->handshake_timeout_ms;

	if (a->timeout_ms)
		t = a->timeout_ms < MAX_TIMEOUT_MS ? a->timeout_ms : MAX_TIMEOUT_MS;
	return t ? t : DEFAULT_TIMEOUT_MS;
}

/* A client that verifies needs the name to verify against; we never guess
 * one from the address (no reverse DNS). */
static int client_needs_peername(const struct nl_request *r, const struct cfg_profile *p)
{
	return r->role == KTLS_ROLE_CLIENT && r->auth_mode != HANDSHAKE_AUTH_PSK &&
	       p->verify != KTLS_VERIFY_NONE && !r->peername[0];
}

static void fill_request(struct ktls_hs_request *req, const struct nl_request *r,
			 const struct cfg_profile *p, unsigned timeout_ms)
{
	memset(req, 0, sizeof(*req));
	req->role = (uint8_t)r->role;
	req->verify = KTLS_VERIFY_DEFAULT;
	req->timeout_ms = timeout_ms;
	/* Naming the profile also keeps SNI from switching a server's profile. */
	snprintf(req->profile, sizeof(req->profile), "%s", p->name);
	if (r->role == KTLS_ROLE_CLIENT)
		snprintf(req->server_name, sizeof(req->server_name), "%s", r->peername);
	/* A PSK client authenticates the server by the PSK: no certificate
	 * check, and handshake.c refuses a server that did not use it (PSK-only). */
	if (r->ov.psk_key_len)
		snprintf(req->psk_identity, sizeof(req->psk_identity), "%s", r->ov.psk_identity);
}

static void job_done(struct hs_job *job, const struct ktls_hs_reply *rep);

static struct hs_job *job_new(struct nl_request *r, const struct hsnl_accept *a,
			      struct cfg_ref *cfg, const struct cfg_profile *p)
{
	struct hs_job *job = calloc(1, sizeof(*job));
	unsigned timeout_ms = job_timeout_ms(a, cfg->cfg, p);

	if (!job)
		return NULL;
	*job = (struct hs_job){ .done = job_done, .done_ctx = r, .conn_fd = -1,
				.sock_fd = a->sockfd, .cfg = cfg, .profile = p,
				.override = &r->ov, .origin = JOB_FROM_KERNEL };
	fill_request(&job->req, r, p, timeout_ms);
	fd_peer_address(a->sockfd, job->peer_addr, sizeof(job->peer_addr));
	return job;
}

static struct nl_request *request_new(const struct hsnl_accept *a)
{
	struct nl_request *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->ov.release = request_release;
	r->auth_mode = a->auth_mode;
	r->role = a->message_type == HANDSHAKE_MSG_TYPE_SERVERHELLO ? KTLS_ROLE_SERVER
								    : KTLS_ROLE_CLIENT;
	snprintf(r->peername, sizeof(r->peername), "%s", a->peername);
	return r;
}

/* Everything that can refuse a request before a worker sees it.
 * 0, or the DONE status with a reason. */
static uint32_t admit(struct nl_request *r, const struct hsnl_accept *a, struct cfg_ref *cfg,
		      const struct cfg_profile *p, char *reason, size_t reason_len)
{
	const char *role = r->role == KTLS_ROLE_SERVER ? "server" : "client";

	if (!p) {
		snprintf(reason, reason_len, "no %s profile is configured for kernel requests",
			 role);
		return EIO;
	}
	if (client_needs_peername(r, p)) {
		snprintf(reason, reason_len, "the request names no peer, so profile \"%s\" cannot "
			 "verify the server (no reverse DNS lookup is made)", p->name);
		return EACCES;
	}
	return prepare_credentials(r, a, cfg, p, reason, reason_len);
}

static void start_request(const struct hsnl_accept *a)
{
	struct cfg_ref *cfg = cfg_ref_current();
	struct nl_request *r = request_new(a);
	const struct cfg_profile *p = NULL;
	char reason[KTLS_REASON_MAX] = "out of memory";
	struct hs_job *job = NULL;
	uint32_t status = EIO;

	if (r) {
		p = kernel_profile(cfg->cfg, r->role);
		status = admit(r, a, cfg, p, reason, sizeof(reason));
		if (status == 0 && !(job = job_new(r, a, cfg, p))) {
			snprintf(reason, sizeof(reason), "out of memory");
			status = EIO;
		}
	}
	if (job) {
		log_debug("kernel request fd=%d %s auth=%u peername=\"%s\" timeout=%ums "
			  "profile=%s", a->sockfd,
			  r->role == KTLS_ROLE_SERVER ? "ServerHello" : "ClientHello",
			  a->auth_mode, a->peername, a->timeout_ms, p->name);
		/* The limits (admission.c); busy is EIO to the kernel, as before.
		 * From here the worker owns job, r and the reference. */
		if (job_submit(job, job->req.timeout_ms, reason, sizeof(reason)) == 0) {
			requests_taken++;
			return;
		}
		free(job);
		status = EIO;
	}
	refuse(a->sockfd, status ? status : EIO, reason);
	request_release(r ? &r->ov : NULL);
	cfg_ref_put(cfg);
}

/* ---- the end of a kernel job (worker thread) ---- */

static unsigned remote_identity(const struct nl_request *r, const struct hs_job *job,
				const struct ktls_hs_reply *rep, int32_t *out)
{
	char why[KTLS_REASON_MAX] = "";
	const char *name;

	if (r->auth_mode == HANDSHAKE_AUTH_PSK && r->psk_serial) {
		out[0] = r->psk_serial;	/* PSK: one identity names both ends */
		return 1;
	}
	if (r->auth_mode != HANDSHAKE_AUTH_X509 || !rep->peer_verified || !rep->peer_cert_len)
		return 0;
	name = r->role == KTLS_ROLE_CLIENT ? r->peername
		: rep->peer_subject[0] ? rep->peer_subject : job->peer_addr;
	out[0] = keyring_store_peer_cert(rep->peer_cert, rep->peer_cert_len, name,
					 PEER_CERT_KEY_TTL_S, why, sizeof(why));
	if (!out[0]) {
		log_warnx("verified peer %s reported with a placeholder identity: %s", name, why);
		out[0] = PEERID_PLACEHOLDER;
	}
	return 1;
}

static void job_done(struct hs_job *job, const struct ktls_hs_reply *rep)
{
	struct nl_request *r = job->done_ctx;
	uint32_t status = rep->status;
	int32_t remote[1] = { 0 };
	unsigned n_remote = 0;

	/* A PSK request whose peer did not use the PSK never gets here as a
	 * success: handshake.c's check_peer_auth(), shared by both doors,
	 * fails it (the request's own key makes the session PSK-only). */
	if (status == 0)
		n_remote = remote_identity(r, job, rep, remote);
	status = hsnl_done_status(status, r->unknown_psk_identity);
	report_done(job->sock_fd, status, remote, n_remote);
	log_debug("DONE fd=%d status=%u remote=%d", job->sock_fd, status,
		  n_remote ? remote[0] : 0);
}

/* ---- READY and ACCEPT (main thread) ---- */

static int wait_readable(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, ms) == 1 ? 0 : -ETIMEDOUT;
}

/* Any ACCEPT reply carries an fd the kernel installed: answer it. */
static void handle_reply(struct nlmsghdr *nlh)
{
	char reason[KTLS_REASON_MAX];
	struct hsnl_accept a;

	if (hsnl_parse_accept(nlh, family_id, &a, reason, sizeof(reason)) == 0)
		start_request(&a);
	else if (a.sockfd >= 0)
		refuse(a.sockfd, EIO, reason);
	else
		log_warnx("kernel handshake: %s", reason);
}

/* The reply to our ACCEPT: a request, "none left" (EAGAIN) or an error. */
static int take_reply(uint32_t seq)
{
	static uint8_t buf[RECV_BUF];
	int rem, found = 0;
	ssize_t n;

	if (wait_readable(accept_fd, REPLY_WAIT_MS) < 0)
		return -ETIMEDOUT;
	n = recv(accept_fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0)
		return -errno;
	if ((size_t)n > sizeof(buf))
		return -EMSGSIZE;	/* cannot happen: replies fit in a page */
	rem = (int)n;
	for (struct nlmsghdr *nlh = (void *)buf; nlmsg_ok(nlh, rem); nlh = nlmsg_next(nlh, &rem)) {
		if (nlh->nlmsg_type != NLMSG_ERROR) {
			handle_reply(nlh);
			found |= nlh->nlmsg_seq == seq;
		} else if (nlh->nlmsg_seq == seq) {
			return nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(struct nlmsgerr)) ?
			       ((struct nlmsgerr *)nlmsg_data(nlh))->error : -EBADMSG;
		}
	}
	return found ? 1 : -EBADMSG;
}

/* 1: took a request; 0: none waiting; -errno. */
static int accept_one(void)
{
	uint32_t seq = atomic_fetch_add(&next_seq, 1);
	struct nl_msg *msg = nlmsg_alloc();
	int rc;

	if (!msg)
		return -ENOMEM;
	rc = hsnl_build_accept(msg, family_id, seq);
	if (rc == 0)
		rc = send_msg(accept_fd, msg);
	nlmsg_free(msg);
	if (rc == 0)
		rc = take_reply(seq);
	keyring_forget_linked();
	return rc == -EAGAIN ? 0 : rc;	/* EAGAIN: none left, or another agent won */
}

/* [kernel] keyrings go into our process keyring before any request is
 * read: at start, after a reload changed them, and while one is missing. */
static void link_kernel_keyrings(void)
{
	struct cfg_ref *cfg = cfg_ref_current();

	if (!cfg)
		return;
	keyring_link_configured(cfg->cfg->kernel.keyrings, cfg->cfg->kernel.n_keyrings);
	cfg_ref_put(cfg);
}

/* ACCEPT until the kernel has nothing for us.  0 or the first error. */
static int drain(void)
{
	int rc = 1;

	link_kernel_keyrings();

	for (unsigned i = 0; i < DRAIN_MAX && rc == 1; i++)
		rc = accept_one();
	if (rc < 0)
		log_warnx("ACCEPT failed: %s%s", strerror(-rc),
			  rc == -EPERM ? " (ACCEPT needs CAP_NET_ADMIN)" : "");
	return rc < 0 ? rc : 0;
}

void door_netlink_readable(void)
{
	static uint8_t buf[RECV_BUF];
	int ready = 0;
	ssize_t n;

	while ((n = recv(nl_socket_get_fd(mcast), buf, sizeof(buf), MSG_DONTWAIT)) != 0) {
		int rem = (int)n;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			/* ENOBUFS: notifications were lost; the drain finds them. */
			ready |= errno == ENOBUFS;
			break;
		}
		for (struct nlmsghdr *nlh = (void *)buf; nlmsg_ok(nlh, rem);
		     nlh = nlmsg_next(nlh, &rem))
			ready |= hsnl_is_ready(nlh, family_id);
	}
	if (ready)
		drain();
}

/* ---- start and stop ---- */

/* Does DONE take REMOTE_AUTH?  A DONE naming fd -1 fails EBADF after the
 * attributes passed validation, EINVAL if one is unknown to this kernel. */
static void probe_done_attributes(void)
{
	int32_t probe_id = 0;
	int rc = send_done(-1, 0, &probe_id, 1);

	remote_auth_ok = rc != -EINVAL;
	if (rc == -EBADF || rc == -EINVAL)
		log_info("kernel handshake: DONE %s the remote peer identity",
			 remote_auth_ok ? "carries" : "cannot carry");
	else
		log_info("kernel handshake: cannot probe DONE (%s); assuming it carries the "
			 "remote peer identity", strerror(rc < 0 ? -rc : EPROTO));
}

static int resolve_and_join(char *reason, size_t reason_len)
{
	int group, rc;

	mcast = nl_socket_alloc();
	if (!mcast || genl_connect(mcast) < 0) {
		snprintf(reason, reason_len, "cannot open a generic netlink socket");
		return -ENOTSUP;
	}
	family_id = genl_ctrl_resolve(mcast, HANDSHAKE_FAMILY_NAME);
	if (family_id < 0) {
		snprintf(reason, reason_len, "the kernel has no \"%s\" generic netlink family "
			 "(Linux < 6.4 or CONFIG_NET_HANDSHAKE off)", HANDSHAKE_FAMILY_NAME);
		return -ENOENT;
	}
	group = genl_ctrl_resolve_grp(mcast, HANDSHAKE_FAMILY_NAME, HANDSHAKE_MCGRP_TLSHD);
	if (group < 0) {
		snprintf(reason, reason_len, "family \"%s\" has no \"%s\" group",
			 HANDSHAKE_FAMILY_NAME,
			 HANDSHAKE_MCGRP_TLSHD);
		return -ENOENT;
	}
	nl_socket_disable_seq_check(mcast);
	rc = nl_socket_add_membership(mcast, group);
	if (rc == 0)
		rc = nl_socket_set_nonblocking(mcast);
	if (rc < 0) {
		snprintf(reason, reason_len, "joining group \"%s\": %s", HANDSHAKE_MCGRP_TLSHD,
			 nl_geterror(rc));
		return -EIO;
	}
	return 0;
}

static void close_sockets(void)
{
	if (mcast)
		nl_socket_free(mcast);	/* closes; the kernel drops the membership */
	mcast = NULL;
	if (accept_fd >= 0)
		close(accept_fd);
	accept_fd = -1;
}

int door_netlink_open(void)
{
	char why[256] = "";
	int rc = resolve_and_join(why, sizeof(why));

	if (rc == 0) {
		accept_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
		if (accept_fd < 0) {
			rc = -errno;
			snprintf(why, sizeof(why), "socket: %s", strerror(errno));
		}
	}
	if (rc == 0) {
		probe_done_attributes();
		/* Also the privilege check: ACCEPT is refused without
		 * CAP_NET_ADMIN, and a member that cannot ACCEPT would only
		 * make consumers wait for nothing instead of failing (ESRCH). */
		rc = drain();
		if (rc < 0)
			snprintf(why, sizeof(why), "ACCEPT: %s%s", strerror(-rc),
				 rc == -EPERM ? " (ktlsd needs CAP_NET_ADMIN for it)" : "");
	}
	if (rc < 0) {
		log_warnx("netlink door unavailable: %s; serving applications only", why);
		close_sockets();
		return rc;
	}
	door_active = 1;
	log_info("netlink door active: family \"%s\" (id %d), group \"%s\"",
		 HANDSHAKE_FAMILY_NAME, family_id, HANDSHAKE_MCGRP_TLSHD);
	return nl_socket_get_fd(mcast);
}

void door_netlink_close(void)
{
	if (door_active)
		log_info("netlink door closed after %lu kernel request%s", requests_taken,
			 requests_taken == 1 ? "" : "s");
	door_active = 0;
	close_sockets();
	if (done_fd >= 0)
		close(done_fd);
	done_fd = -1;
	keyring_x509_flush();
}

int door_netlink_active(void)
{
	return door_active;
}

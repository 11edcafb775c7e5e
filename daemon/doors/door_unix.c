// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The application door: an AF_UNIX SOCK_SEQPACKET socket, one request per
 * connection.  Runs on the main thread and never blocks: a connection that
 * has not sent its request within REQUEST_WAIT_MS is dropped, and only so
 * many connections may be waiting at once, in all and per uid (admission.c;
 * beyond that: EAGAIN and a reason).  Everything about the request is
 * checked here (size, format, the one passed fd, the caller's uid/gid
 * against the profile) before job_submit() applies the limits.
 *
 * Out of descriptors (accept() fails with EMFILE or ENFILE), the listening
 * socket stays readable, so watching it would spin the main thread: it is
 * taken out of the epoll set for ACCEPT_PAUSE_MS instead (connections wait
 * in the backlog meanwhile), the failure is counted for `ktls status`, and
 * repeated warnings are logged at most once per LOG_EVERY_MS.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "engine/admission.h"
#include "engine/early_send.h"
#include "doors/door_unix.h"
#include "process/log.h"
#include "doors/sd_listen.h"
#include "engine/stats.h"
#include "engine/worker.h"
#include "base/clock.h"
#include "doors/fdcheck.h"
#include "doors/reply.h"
#include "doors/status.h"

#define REQUEST_WAIT_MS 2000
#define MAX_TIMEOUT_MS 600000u
#define ACCEPT_PAUSE_MS 100	/* out of fds: the listener is not watched this long */
#define LOG_EVERY_MS 10000	/* a warning a peer can repeat: at most this often */

/* What an epoll ptr of ours points to (the main loop hands back any ptr it
 * does not know to door_unix_readable()). */
enum door_watch_kind { WATCH_PENDING, WATCH_LISTENER };

struct pending_conn {
	enum door_watch_kind kind;	/* first: the epoll ptr */
	int fd;
	uid_t uid;			/* counted in admission.c while waiting */
	uint64_t deadline_ms;
	struct pending_conn *next;
};

/* The listener while out of descriptors: unwatched until resume_ms, then
 * watched again with &listener as its epoll ptr. */
static struct {
	enum door_watch_kind kind;
	int fd;
	uint64_t resume_ms;		/* 0: watched */
} listener = { .kind = WATCH_LISTENER, .fd = -1 };

/* A warning that a peer can make us repeat. */
struct log_limit {
	uint64_t next_ms;
	unsigned long suppressed;
};

static struct log_limit accept_log, waiting_log, refused_log;
static struct pending_conn *pending;
static unsigned n_pending;
/* The socket came from the service manager: its file is not ours to remove. */
static int socket_passed_in;

/* A socket file is stale if nobody accepts on it. */
static int socket_in_use(const struct sockaddr_un *addr)
{
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	int in_use;

	if (fd < 0)
		return 0;
	in_use = connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0;
	close(fd);
	return in_use;
}

static int prepare_path(const char *path, const struct sockaddr_un *addr)
{
	char *copy = strdup(path);
	struct stat st;

	if (!copy)
		return -ENOMEM;
	/* Only the last component is ours to create; the parent is usually
	 * /run/ktlsd (systemd RuntimeDirectory=) or a test's temp dir. */
	if (mkdir(dirname(copy), 0755) < 0 && errno != EEXIST)
		log_warn("mkdir for %s", path);
	free(copy);
	if (lstat(path, &st) < 0)
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		log_warnx("%s exists and is not a socket; refusing to replace it", path);
		return -EEXIST;
	}
	if (socket_in_use(addr)) {
		log_warnx("another ktlsd is already serving %s", path);
		return -EADDRINUSE;
	}
	unlink(path);
	return 0;
}

/* Socket activation: the manager bound the socket (and owns its file). */
static int take_passed_socket(void)
{
	struct sockaddr_un addr = { 0 };
	socklen_t len = sizeof(addr);
	char why[256] = "";
	int fd = sd_listen_seqpacket(why, sizeof(why));

	if (fd == -ENOENT)
		return fd;
	if (fd < 0) {
		log_warnx("socket activation: %s", why);
		return fd;
	}
	if (getsockname(fd, (struct sockaddr *)&addr, &len) < 0 || len <= sizeof(sa_family_t))
		addr.sun_path[0] = '\0';
	log_info("application door: socket %s passed by the service manager",
		 addr.sun_path[0] ? addr.sun_path : "(unnamed)");
	socket_passed_in = 1;
	return fd;
}

int door_unix_open(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	mode_t old_mask;
	int fd, rc;

	fd = take_passed_socket();
	if (fd != -ENOENT)
		return fd;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		log_warnx("socket path too long: %s", path);
		return -ENAMETOOLONG;
	}
	strcpy(addr.sun_path, path);
	rc = prepare_path(path, &addr);
	if (rc < 0)
		return rc;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* Anyone may connect; the profile ACL (SO_PEERCRED) decides.  The
	 * mode 0666 comes from the umask at bind(), not from a chmod(path)
	 * after it: as root that would follow whatever another user put in
	 * the socket's place meanwhile (a symlink to /etc/shadow, say).  The
	 * umask is per process: we are still single-threaded here. */
	old_mask = umask(0111);
	rc = bind(fd, (struct sockaddr *)&addr, sizeof(addr));
	umask(old_mask);
	if (rc < 0 || listen(fd, SOMAXCONN) < 0) {
		rc = -errno;
		log_warn("listening on %s", path);
		close(fd);
		return rc;
	}
	log_info("application door listening on %s", path);
	return fd;
}

static void pending_remove(struct pending_conn *pc)
{
	for (struct pending_conn **pp = &pending; *pp; pp = &(*pp)->next)
		if (*pp == pc) {
			*pp = pc->next;
			n_pending--;
			admission_waiting_release(pc->uid);
			free(pc);
			return;
		}
}

/* 1: log now (and report how many were held back); 0: hold back. */
static int log_allowed(struct log_limit *limit, unsigned long *held_back)
{
	uint64_t now = clock_now_ms();

	if (now < limit->next_ms) {
		limit->suppressed++;
		return 0;
	}
	*held_back = limit->suppressed;
	limit->suppressed = 0;
	limit->next_ms = now + LOG_EVERY_MS;
	return 1;
}

/* Out of descriptors: stop watching the listener for a while. */
static void accept_pause(int listen_fd, int epfd, int err)
{
	unsigned long held_back;

	atomic_fetch_add(&ktlsd_stats.accept_no_fd, 1);
	epoll_ctl(epfd, EPOLL_CTL_DEL, listen_fd, NULL);
	listener.fd = listen_fd;
	listener.resume_ms = clock_now_ms() + ACCEPT_PAUSE_MS;
	if (log_allowed(&accept_log, &held_back))
		log_warnx("accept on the application door: %s; pausing %d ms (%lu more since "
			  "the last report; raise LimitNOFILE= or lower max_handshakes)",
			  strerror(err), ACCEPT_PAUSE_MS, held_back);
}

static void listener_resume(int epfd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &listener };

	listener.resume_ms = 0;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, listener.fd, &ev) < 0)
		log_warn("watching the application door again");
}

static bool request_waiting(int fd);
static void handle_request(int conn);

/* A new connection: its request is served at once if it is there (the
 * usual case: libktls sends right after connect), else it waits within
 * the limits, else it is answered EAGAIN.  Only a connection that has sent
 * nothing is refused this way: closing one with an unread request would
 * reach the caller as ECONNRESET instead of the reply. */
static void pending_add(int fd, int epfd, const struct admission_limits *lim,
			const struct cfg *cfg)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct peer_cred who = { 0 };
	struct pending_conn *pc;
	char reason[KTLS_REASON_MAX];
	unsigned long held_back;

	if (request_waiting(fd)) {
		handle_request(fd);
		return;
	}
	if (peer_cred_read(fd, &who) < 0) {
		reply_error(fd, EPERM, "cannot identify the caller");
		return;
	}
	if (n_pending >= lim->waiting) {
		atomic_fetch_add(&ktlsd_stats.refused_busy, 1);
		if (log_allowed(&waiting_log, &held_back))
			log_warnx("too many requests waiting (%u); refusing connections (%lu more "
				  "since the last report)", n_pending, held_back);
		reply_error(fd, EAGAIN, "ktlsd is busy: %u request connections waiting", n_pending);
		return;
	}
	if (admission_waiting_take(cfg, who.uid, reason, sizeof(reason)) < 0) {
		reply_error(fd, EAGAIN, "%s", reason);
		return;
	}
	pc = calloc(1, sizeof(*pc));
	if (!pc) {
		admission_waiting_release(who.uid);
		close(fd);
		return;
	}
	*pc = (struct pending_conn){ .kind = WATCH_PENDING, .fd = fd, .uid = who.uid,
				     .deadline_ms = clock_now_ms() + REQUEST_WAIT_MS, .next = pending };
	ev.data.ptr = pc;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		admission_waiting_release(who.uid);
		close(fd);
		free(pc);
		return;
	}
	pending = pc;
	n_pending++;
}

void door_unix_accept(int listen_fd, int epfd)
{
	struct cfg_ref *ref = cfg_ref_current();
	struct admission_limits lim;
	int fd;

	if (!ref)
		return;
	admission_limits(ref->cfg, &lim);
	while ((fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0)
		pending_add(fd, epfd, &lim, ref->cfg);
	if (errno == EMFILE || errno == ENFILE)
		accept_pause(listen_fd, epfd, errno);
	else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
		log_warn("accept on the application door");
	cfg_ref_put(ref);
}

static unsigned job_timeout_ms(const struct ktls_hs_request *req, const struct cfg *cfg,
			       const struct cfg_profile *p)
{
	unsigned t = p->handshake_timeout_ms ? p->handshake_timeout_ms : cfg->handshake_timeout_ms;

	if (req->timeout_ms)
		t = req->timeout_ms < MAX_TIMEOUT_MS ? req->timeout_ms : MAX_TIMEOUT_MS;
	return t ? t : 10000;
}

static const char *profile_missing(const struct ktls_hs_request *req)
{
	if (req->profile[0])
		return "no profile of that name serves this role";
	return req->role == KTLS_ROLE_SERVER ? "no server profile is configured"
					     : "no client profile is configured";
}

/* Refusals by a limit are counted; a line now and then says why. */
static void log_refusal(const char *reason)
{
	unsigned long held_back;

	if (log_allowed(&refused_log, &held_back))
		log_warnx("refusing requests with EAGAIN: %s (%lu more since the last report)",
			  reason, held_back);
}

/* Checks and job creation once request, fd and caller are known. */
static void dispatch(int conn, int sock, const struct ktls_hs_request *req,
		     const struct peer_cred *who)
{
	struct cfg_ref *ref = cfg_ref_current();
	const struct cfg_profile *p;
	struct hs_job *job;
	char reason[KTLS_REASON_MAX];
	int rc;

	rc = fd_check_tcp_socket(sock, reason, sizeof(reason));
	if (rc < 0) {
		reply_error(conn, -rc, "%s", reason);
		goto reject;
	}
	p = cfg_select_profile(ref->cfg, (enum ktls_role)req->role, req->profile[0] ? req->profile : NULL, NULL);
	if (!p) {
		reply_error(conn, ENOENT, "%s%s%s", profile_missing(req),
			    req->profile[0] ? ": " : "", req->profile);
		goto reject;
	}
	if (!cfg_peer_allowed(p, who->uid, who->gid, who->groups, who->n_groups)) {
		reply_error(conn, EPERM, "uid %u gid %u may not use profile \"%s\"%s",
			    (unsigned)who->uid, (unsigned)who->gid, p->name,
			    who->groups_over ? " (the caller is in more than " PEER_GROUPS_MAX_STR
					       " groups: only its primary group counts)" : "");
		goto reject;
	}
	job = calloc(1, sizeof(*job));
	if (!job) {
		reply_error(conn, ENOMEM, "out of memory");
		goto reject;
	}
	*job = (struct hs_job){ .done = reply_job_done, .conn_fd = conn, .sock_fd = sock,
				.caller = *who, .req = *req, .cfg = ref, .profile = p,
				.origin = JOB_FROM_APP };
	/* the early bytes point into the request buffer: the job's own copy */
	if (early_send_own(&job->req) < 0) {
		free(job);
		reply_error(conn, ENOMEM, "out of memory");
		goto reject;
	}
	fd_peer_address(sock, job->peer_addr, sizeof(job->peer_addr));
	rc = job_submit(job, job_timeout_ms(req, ref->cfg, p), reason, sizeof(reason));
	if (rc == 0)
		return;
	early_send_drop(&job->req);
	free(job);
	log_refusal(reason);
	reply_error(conn, -rc, "%s", reason);
reject:
	atomic_fetch_add(&ktlsd_stats.requests_rejected, 1);
	close(sock);
	cfg_ref_put(ref);
}

static void handle_request(int conn)
{
	uint8_t *buf = malloc(KTLS_MSG_MAX);
	struct ktls_hs_request req;
	struct peer_cred who = { 0 };
	int sock = -1, rc;
	ssize_t len;

	if (!buf) {
		close(conn);
		return;
	}
	len = ktls_ipc_recv(conn, buf, KTLS_MSG_MAX, &sock);
	if (len == 0 && sock < 0) {
		/* Connected and hung up: a liveness probe (ktls get/serve try
		 * the socket first), not a request to count as rejected. */
		close(conn);
		free(buf);
		return;
	}
	if (len < 0) {
		reply_error(conn, EBADMSG, "malformed request: %s", strerror((int)-len));
		goto reject;
	}
	if (ktls_msg_type(buf, (size_t)len) == KTLS_MSG_STATUS_REQ) {
		free(buf);
		status_serve(conn, (size_t)len, sock);	/* `ktls status`: not a handshake */
		return;
	}
	if (ktls_msg_type(buf, (size_t)len) != KTLS_MSG_HANDSHAKE_REQ ||
	    (rc = ktls_msg_decode_request(buf, (size_t)len, &req)) < 0) {
		reply_error(conn, EBADMSG, "malformed request (%zd bytes)", len);
		goto reject;
	}
	if (sock < 0) {
		reply_error(conn, EBADMSG, "request carries no socket (pass exactly one fd)");
		goto reject;
	}
	if (req.role != KTLS_ROLE_CLIENT && req.role != KTLS_ROLE_SERVER) {
		reply_error(conn, EINVAL, "unknown role %u", req.role);
		goto reject;
	}
	if (peer_cred_read(conn, &who) < 0) {
		reply_error(conn, EPERM, "cannot identify the caller");
		goto reject;
	}
	dispatch(conn, sock, &req, &who);	/* copies req's early bytes from buf */
	explicit_bzero(buf, (size_t)len);
	free(buf);
	return;
reject:
	atomic_fetch_add(&ktlsd_stats.requests_rejected, 1);
	if (sock >= 0)
		close(sock);
	explicit_bzero(buf, KTLS_MSG_MAX);	/* early data, if any */
	free(buf);
}

void door_unix_readable(int epfd, void *ptr)
{
	struct pending_conn *pc = ptr;
	int fd;

	if (*(const enum door_watch_kind *)ptr == WATCH_LISTENER) {
		door_unix_accept(listener.fd, epfd);
		return;
	}
	fd = pc->fd;
	epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
	pending_remove(pc);
	handle_request(fd);
}

/* Is a message (or the hang-up) there to read?  A one-byte peek at a
 * SOCK_SEQPACKET message leaves it whole. */
static bool request_waiting(int fd)
{
	uint8_t byte;

	return recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) >= 0;
}

int door_unix_expire(int epfd)
{
	uint64_t now = clock_now_ms(), next = UINT64_MAX;
	struct pending_conn *pc, *following;

	if (listener.resume_ms && listener.resume_ms <= now)
		listener_resume(epfd);
	if (listener.resume_ms)
		next = listener.resume_ms;

	for (pc = pending; pc; pc = following) {
		following = pc->next;
		if (pc->deadline_ms <= now && request_waiting(pc->fd)) {
			/* It came in time; we were late to read it (a busy
			 * main thread, or this very pass ran first). */
			door_unix_readable(epfd, pc);
		} else if (pc->deadline_ms <= now) {
			log_debug("dropping a request connection that sent nothing");
			epoll_ctl(epfd, EPOLL_CTL_DEL, pc->fd, NULL);
			close(pc->fd);
			pending_remove(pc);
		} else if (pc->deadline_ms < next) {
			next = pc->deadline_ms;
		}
	}
	return next == UINT64_MAX ? -1 : (int)(next - now);
}

void door_unix_close(int listen_fd, const char *path)
{
	while (pending) {
		close(pending->fd);
		pending_remove(pending);
	}
	listener.fd = -1;
	listener.resume_ms = 0;
	if (listen_fd >= 0) {
		close(listen_fd);
		if (!socket_passed_in)
			unlink(path);
	}
}

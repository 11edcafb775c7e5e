// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The application door: an AF_UNIX SOCK_SEQPACKET socket, one request per
 * connection.  Runs on the main thread and never blocks: a connection that
 * has not sent its request within REQUEST_WAIT_MS is dropped, and at most
 * MAX_PENDING connections may be waiting at once.  Everything about the
 * request is checked here (size, format, the one passed fd, the caller's
 * uid/gid against the profile) before a worker sees it.
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

#include "door_unix.h"
#include "log.h"
#include "sd_listen.h"
#include "stats.h"
#include "worker.h"

#define MAX_PENDING 256
#define REQUEST_WAIT_MS 2000
#define MAX_TIMEOUT_MS 600000u

struct pending_conn {
	int fd;
	uint64_t deadline_ms;
	struct pending_conn *next;
};

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
	/* Anyone may connect; the profile ACL (SO_PEERCRED) decides. */
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || chmod(path, 0666) < 0 ||
	    listen(fd, SOMAXCONN) < 0) {
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
			free(pc);
			return;
		}
}

void door_unix_accept(int listen_fd, int epfd)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct pending_conn *pc;
	int fd;

	while ((fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
		pc = n_pending < MAX_PENDING ? calloc(1, sizeof(*pc)) : NULL;
		if (!pc) {
			log_warnx("too many requests waiting (%u); dropping a connection", n_pending);
			close(fd);
			continue;
		}
		pc->fd = fd;
		pc->deadline_ms = now_ms() + REQUEST_WAIT_MS;
		ev.data.ptr = pc;
		if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			close(fd);
			free(pc);
			continue;
		}
		pc->next = pending;
		pending = pc;
		n_pending++;
	}
	if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
		log_warn("accept on the application door");
}

static int caller_of(int conn, struct peer_cred *who)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return -errno;
	who->pid = cred.pid;
	who->uid = cred.uid;
	who->gid = cred.gid;
	return 0;
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
	if (!cfg_peer_allowed(p, who->uid, who->gid)) {
		reply_error(conn, EPERM, "uid %u gid %u may not use profile \"%s\"",
			    (unsigned)who->uid, (unsigned)who->gid, p->name);
		goto reject;
	}
	if (atomic_load(&ktlsd_stats.in_flight) >= ref->cfg->max_handshakes) {
		reply_error(conn, EAGAIN, "ktlsd is busy (%u handshakes in flight)",
			    ref->cfg->max_handshakes);
		goto reject;
	}
	job = calloc(1, sizeof(*job));
	if (!job) {
		reply_error(conn, ENOMEM, "out of memory");
		goto reject;
	}
	*job = (struct hs_job){ .done = reply_job_done, .conn_fd = conn, .sock_fd = sock, .caller = *who, .req = *req,
				.cfg = ref, .profile = p, .started_ms = now_ms() };
	job->deadline_ms = job->started_ms + job_timeout_ms(req, ref->cfg, p);
	fd_peer_address(sock, job->peer_addr, sizeof(job->peer_addr));
	atomic_fetch_add(&ktlsd_stats.in_flight, 1);
	workers_submit(job);
	return;
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
	if (caller_of(conn, &who) < 0) {
		reply_error(conn, EPERM, "cannot identify the caller");
		goto reject;
	}
	free(buf);
	dispatch(conn, sock, &req, &who);
	return;
reject:
	atomic_fetch_add(&ktlsd_stats.requests_rejected, 1);
	if (sock >= 0)
		close(sock);
	free(buf);
}

void door_unix_readable(int epfd, void *pending_ptr)
{
	struct pending_conn *pc = pending_ptr;
	int fd = pc->fd;

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
	uint64_t now = now_ms(), next = UINT64_MAX;
	struct pending_conn *pc, *following;

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
	if (listen_fd >= 0) {
		close(listen_fd);
		if (!socket_passed_in)
			unlink(path);
	}
}

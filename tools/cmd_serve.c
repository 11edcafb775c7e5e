// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ktls serve: a static HTTPS file server whose handshakes are done by ktlsd
 * and whose bytes are encrypted by the kernel: headers go out with write(),
 * file bodies with sendfile() straight from the page cache into kTLS.
 *
 * Concurrency model: the main thread owns the listening socket and a
 * signalfd; it accepts and hands each connection to a thread of its own,
 * which does the blocking ktls_accept() and then the HTTP exchange.  A slow
 * or dead client therefore only ever holds its own thread, and every wait
 * in it is bounded: the handshake by ktlsd's timeout, a request head by
 * REQUEST_TIMEOUT_MS as a whole (not per read), a stalled send by
 * SEND_TIMEOUT_MS.  At most --max-clients connections exist at once; when
 * all slots are taken the main thread stops accepting (the kernel's backlog
 * holds newcomers) until a client thread ends and signals an eventfd.
 *
 * Shutdown (SIGTERM/SIGINT): stop accepting, shut the receive side of every
 * connection so that idle ones end and busy ones finish the response they
 * are sending, wait up to STOP_GRACE_MS for them, exit 0.
 *
 * Files are looked up beneath --root one path component at a time with
 * openat(O_NOFOLLOW): no "..", no symlinks, nothing but regular files (and a
 * directory's index.html), so a request cannot name anything outside root.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "http.h"
#include "ktls.h"
#include "ktls_proto.h"	/* ktls_socket_path() */
#include "support_io.h"

#define COMMAND "serve"
#define DEFAULT_MAX_CLIENTS 256
#define MAX_MAX_CLIENTS 65536
#define LISTEN_BACKLOG 1024
#define REQUEST_TIMEOUT_MS 15000	/* a whole request head, idle time included */
#define SEND_TIMEOUT_MS 30000		/* one stalled write or sendfile */
#define STOP_GRACE_MS 5000
#define ACCEPT_BACKOFF_MS 100
#define THREAD_STACK_SIZE (256 * 1024)
#define PEER_NAME_MAX 80
#define HEAD_BUFFER_SIZE 1024
#define INDEX_FILE "index.html"

struct serve_options {
	const char *root;
	const char *port;
	const char *bind_addr;	/* NULL: every address, IPv6 and IPv4 */
	const char *profile;	/* NULL: ktlsd's server_profile / SNI match */
	unsigned max_clients;
	int no_early_data;	/* --no-early-data: take no 0-RTT */
};

struct server {
	const struct serve_options *opt;
	int root_fd;
	int listen_fd;
	int signal_fd;
	int slot_freed_fd;	/* eventfd: a client thread ended */
	pthread_mutex_t lock;	/* guards what follows */
	unsigned active;
	int *client_fds;	/* max_clients slots, -1 when free */
	int stopping;
};

struct client {
	struct server *srv;
	unsigned slot;
	int fd;
	char peer[PEER_NAME_MAX];
	struct http_reader reader;
	size_t early_left;	/* bytes at the reader's front that came as 0-RTT */
};

/* What one request turned into, for the response and the log line. */
struct exchange {
	struct http_request req;
	int head_only;		/* HEAD: headers, no body */
	int early;		/* the request began in TLS 1.3 early data */
	int keep_alive;
	int status;
	int file_fd;		/* -1: no file, an error page */
	off_t file_size;
	const char *content_type;
	uint64_t body_sent;
	int64_t started_ms;
};

/* ---- logging ------------------------------------------------------------ */

static int64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void log_client(const struct client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* One fprintf per line: stdio locks the stream per call, so lines from
 * different threads do not interleave. */
static void log_client(const struct client *c, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "ktls serve: %s %s\n", c->peer, msg);
}

/* ---- command line ------------------------------------------------------- */

static void print_help(void)
{
	cli_help(COMMAND);
	printf("\n"
	       "      --root DIR          directory to serve (required)\n"
	       "      --port PORT         TCP port (required; 0 picks a free one)\n"
	       "      --bind ADDR         listen on ADDR only (default: all, IPv6 and IPv4)\n"
	       "      --profile NAME      ktlsd server profile (default: ktlsd chooses by SNI)\n"
	       "      --max-clients N     connections at once (default %d)\n"
	       "      --no-early-data     do not accept TLS 1.3 early data (0-RTT)\n"
	       "\nGET and HEAD, also from early data where the profile allows it (anything\n"
	       "else in early data gets 425 Too Early); one log line per request on stderr.  Exit status: 0 after\n"
	       "SIGTERM/SIGINT, 1 failure, 2 usage, 3 ktlsd not running.\n",
	       DEFAULT_MAX_CLIENTS);
}

static int parse_number(const char *arg, unsigned long min, unsigned long max,
			unsigned long *out)
{
	char *end;

	errno = 0;
	if (arg[0] < '0' || arg[0] > '9')
		return -1;
	*out = strtoul(arg, &end, 10);
	return errno || *end || *out < min || *out > max ? -1 : 0;
}

enum { OPT_ROOT = 256, OPT_PORT, OPT_BIND, OPT_PROFILE, OPT_MAX_CLIENTS, OPT_NO_EARLY_DATA };

static int check_options(const struct serve_options *opt)
{
	unsigned long port;

	if (!opt->root)
		return cli_usage_error(COMMAND, "--root DIR is required");
	if (!opt->port)
		return cli_usage_error(COMMAND, "--port PORT is required");
	if (parse_number(opt->port, 0, 65535, &port) < 0)
		return cli_usage_error(COMMAND, "--port wants a number from 0 to 65535");
	return -1;
}

/* Returns -1 to go on, else the exit status. */
static int parse_options(int argc, char **argv, struct serve_options *opt)
{
	static const struct option longopts[] = {
		{ "root", required_argument, NULL, OPT_ROOT },
		{ "port", required_argument, NULL, OPT_PORT },
		{ "bind", required_argument, NULL, OPT_BIND },
		{ "profile", required_argument, NULL, OPT_PROFILE },
		{ "max-clients", required_argument, NULL, OPT_MAX_CLIENTS },
		{ "no-early-data", no_argument, NULL, OPT_NO_EARLY_DATA },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long n;
	int c;

	*opt = (struct serve_options){ .max_clients = DEFAULT_MAX_CLIENTS };
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_ROOT: opt->root = optarg; break;
		case OPT_PORT: opt->port = optarg; break;
		case OPT_BIND: opt->bind_addr = optarg; break;
		case OPT_PROFILE: opt->profile = optarg; break;
		case OPT_NO_EARLY_DATA: opt->no_early_data = 1; break;
		case OPT_MAX_CLIENTS:
			if (parse_number(optarg, 1, MAX_MAX_CLIENTS, &n) < 0)
				return cli_usage_error(COMMAND, "--max-clients wants a number "
						       "from 1 to %d", MAX_MAX_CLIENTS);
			opt->max_clients = (unsigned)n;
			break;
		case 'h': print_help(); return CLI_EXIT_OK;
		case ':': return cli_usage_error(COMMAND, "%s needs a value", argv[optind - 1]);
		default: return cli_usage_error(COMMAND, "unknown option %s", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error(COMMAND, "unexpected argument %s", argv[optind]);
	return check_options(opt);
}

/* ---- files -------------------------------------------------------------- */

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The path of an origin-form target, query dropped, %XX decoded.  0 or
 * an HTTP status. */
static int decode_path(const char *target, char *out, size_t cap)
{
	size_t len = strcspn(target, "?#"), o = 0;

	if (target[0] != '/')
		return 400;	/* "*" and absolute-form are not for a file server */
	for (size_t i = 0; i < len; i++) {
		char c = target[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= len)
				return 400;
			hi = hex_digit(target[i + 1]);
			lo = hex_digit(target[i + 2]);
			if (hi < 0 || lo < 0)
				return 400;
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		if (c == '\0' || o + 1 >= cap)
			return 400;	/* a NUL would end the name early */
		out[o++] = c;
	}
	out[o] = '\0';
	return 0;
}

/* Error from openat() -> HTTP status. */
static int open_error_status(int err)
{
	switch (err) {
	case ENOENT:
	case ENOTDIR:
	case ENAMETOOLONG:
		return 404;
	case ELOOP:	/* a symlink, refused by O_NOFOLLOW */
	case EACCES:
	case EPERM:
		return 403;
	}
	return 500;
}

/* Walks path beneath root, component by component.  0 with *fd open on the
 * last component, or an HTTP status. */
static int open_beneath(int root_fd, char *path, int *fd)
{
	char *save = NULL, *name, *next;
	int dir = root_fd;

	*fd = -1;
	name = strtok_r(path, "/", &save);
	while (name) {
		next = strtok_r(NULL, "/", &save);
		if (!strcmp(name, ".")) {
			name = next;
			continue;
		}
		if (!strcmp(name, ".."))
			break;
		*fd = openat(dir, name, (next ? O_DIRECTORY : 0) | O_RDONLY | O_NOFOLLOW |
			     O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		if (dir != root_fd)
			close(dir);
		if (*fd < 0)
			return open_error_status(errno);
		dir = *fd;
		name = next;
	}
	if (name) {	/* stopped at ".." */
		if (dir != root_fd)
			close(dir);
		*fd = -1;
		return 403;
	}
	if (*fd < 0)
		*fd = dup(root_fd);	/* "/" itself */
	return *fd < 0 ? 500 : 0;
}

static const char *content_type_for(const char *path)
{
	static const struct { const char *ext, *type; } types[] = {
		{ ".html", "text/html; charset=utf-8" }, { ".htm", "text/html; charset=utf-8" },
		{ ".txt", "text/plain; charset=utf-8" }, { ".css", "text/css" },
		{ ".js", "text/javascript" }, { ".json", "application/json" },
		{ ".svg", "image/svg+xml" }, { ".png", "image/png" },
		{ ".jpg", "image/jpeg" }, { ".jpeg", "image/jpeg" }, { ".gif", "image/gif" },
		{ ".pdf", "application/pdf" }, { ".wasm", "application/wasm" },
	};
	const char *dot = strrchr(path, '.');

	for (size_t i = 0; dot && !strchr(dot, '/') && i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcasecmp(dot, types[i].ext))
			return types[i].type;
	return "application/octet-stream";
}

/* fd (beneath root) -> the file to send: itself, or a directory's
 * index.html.  0 or an HTTP status. */
static int settle_on_file(int *fd, struct stat *st, struct exchange *ex)
{
	if (fstat(*fd, st) < 0)
		return 500;
	if (S_ISDIR(st->st_mode)) {
		int dir = *fd;

		*fd = openat(dir, INDEX_FILE, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
			     O_CLOEXEC);
		close(dir);
		if (*fd < 0)
			return open_error_status(errno);	/* no directory listings */
		ex->content_type = content_type_for(INDEX_FILE);
		if (fstat(*fd, st) < 0)
			return 500;
	}
	return S_ISREG(st->st_mode) ? 0 : 403;	/* devices, FIFOs, sockets */
}

/* Fills ex with the file to send, or the error status. */
static void resolve_file(const struct server *srv, struct exchange *ex)
{
	char path[HTTP_TARGET_MAX];
	struct stat st;
	int fd = -1, status = decode_path(ex->req.target, path, sizeof(path));

	if (!status) {
		ex->content_type = content_type_for(path);
		status = open_beneath(srv->root_fd, path, &fd);
	}
	if (!status)
		status = settle_on_file(&fd, &st, ex);
	if (status) {
		if (fd >= 0)
			close(fd);
		ex->status = status;
		return;
	}
	ex->status = 200;
	ex->file_fd = fd;
	ex->file_size = st.st_size;
}

/* ---- responses ---------------------------------------------------------- */

static int send_head(struct client *c, struct exchange *ex, int64_t content_length,
		     const char *content_type, const char *extra)
{
	char head[HEAD_BUFFER_SIZE];
	int len = http_format_response_head(head, sizeof(head), ex->status, content_type,
					    content_length, ex->keep_alive, extra);

	if (len < 0)
		return -1;
	return io_write_all(c->fd, head, (size_t)len);
}

/* sendfile() from the page cache into kTLS until size bytes are out, in
 * pieces that keep the TX key below its AEAD limit: ktls_tx_prepare renews
 * the key (TLS 1.3 KeyUpdate) when the limit nears, or, where it cannot,
 * says so and we stop; the caller then closes with close_notify, so the
 * client sees a clean, short response rather than a key used past its
 * limit. */
static int send_file_body(struct client *c, struct exchange *ex)
{
	size_t size = (size_t)ex->file_size;

	while (ex->body_sent < size) {
		ssize_t allowed = ktls_tx_prepare(c->fd, size - (size_t)ex->body_sent);
		size_t sent;

		if (allowed < 0) {
			log_client(c, "stopping the response: %s", ktls_errmsg());
			return -1;
		}
		sent = io_sendfile_all(c->fd, ex->file_fd, (off_t)ex->body_sent, (size_t)allowed);
		ex->body_sent += sent;
		if (sent != (size_t)allowed) {
			if (!errno)
				errno = ENODATA;	/* the file shrank under us */
			return -1;
		}
	}
	return 0;
}

static int send_file_response(struct client *c, struct exchange *ex)
{
	if (send_head(c, ex, ex->file_size, ex->content_type, NULL) < 0)
		return -1;
	return ex->head_only ? 0 : send_file_body(c, ex);
}

static int send_error_response(struct client *c, struct exchange *ex)
{
	char body[128];
	int len = snprintf(body, sizeof(body), "%d %s\n", ex->status,
			   http_reason_phrase(ex->status));

	if (send_head(c, ex, len, "text/plain; charset=utf-8",
		      ex->status == 405 ? "Allow: GET, HEAD\r\n" : NULL) < 0)
		return -1;
	if (ex->head_only)
		return 0;
	if (io_write_all(c->fd, body, (size_t)len) < 0)
		return -1;
	ex->body_sent = (uint64_t)len;
	return 0;
}

static const char *send_error_reason(int err)
{
	switch (err) {
	case EAGAIN:
		return "client stopped reading (send timed out)";
	case ENODATA:
		return "file shrank while being sent";
	case EKEYEXPIRED:
		return "AEAD limit reached and the key cannot be renewed here";
	}
	return strerror(err);
}

static void log_exchange(const struct client *c, const struct exchange *ex, int send_errno)
{
	char request[HTTP_METHOD_MAX + HTTP_TARGET_MAX + 16] = "-";

	/* The parser let only visible ASCII into method and target. */
	if (ex->req.method[0])
		snprintf(request, sizeof(request), "%s %s HTTP/1.%d", ex->req.method,
			 ex->req.target, ex->req.minor_version);
	log_client(c, "\"%s\" %d %llu %lldms%s%s%s", request, ex->status,
		   (unsigned long long)ex->body_sent,
		   (long long)(monotonic_ms() - ex->started_ms), ex->early ? " 0-RTT" : "",
		   send_errno ? " aborted: " : "",
		   send_errno ? send_error_reason(send_errno) : "");
}

/* ---- one connection ----------------------------------------------------- */

static int request_has_body(const struct http_request *req)
{
	return req->framing.chunked || req->framing.content_length > 0;
}

static int server_stopping(struct server *srv)
{
	int stopping;

	pthread_mutex_lock(&srv->lock);
	stopping = srv->stopping;
	pthread_mutex_unlock(&srv->lock);
	return stopping;
}

/* Decides status and connection fate; the request line is already parsed. */
static void route(struct client *c, struct exchange *ex)
{
	int is_get = !strcmp(ex->req.method, "GET"), is_head = !strcmp(ex->req.method, "HEAD");

	ex->head_only = is_head;
	/* We never read request bodies: after one, the stream position of the
	 * next request is unknown, so the connection ends with this answer. */
	ex->keep_alive = http_request_keeps_alive(&ex->req) && !request_has_body(&ex->req) &&
			 !server_stopping(c->srv);
	/* Early data may be a replay (RFC 8446 8, RFC 8470): only requests
	 * that are safe to repeat are answered from it. */
	if (ex->early && !is_get && !is_head) {
		ex->status = 425;
		ex->keep_alive = 0;
	} else if (!is_get && !is_head)
		ex->status = 405;
	else
		resolve_file(c->srv, ex);
}

static int respond(struct client *c, struct exchange *ex)
{
	int rc = ex->file_fd >= 0 ? send_file_response(c, ex) : send_error_response(c, ex);
	int err = rc < 0 ? errno : 0;

	if (ex->file_fd >= 0)
		close(ex->file_fd);
	log_exchange(c, ex, err);
	return rc;
}

/* A request we cannot parse gets its status and the connection closed. */
static int parse_error_status(int err)
{
	switch (err) {
	case ENAMETOOLONG: return 414;
	case EFBIG: return 413;		/* a Content-Length beyond 2^62 */
	case EPROTONOSUPPORT: return 505;
	case ENOTSUP: return 501;
	}
	return 400;
}

static void respond_and_close(struct client *c, struct exchange *ex, int status)
{
	ex->status = status;
	ex->keep_alive = 0;
	respond(c, ex);
}

/* 1: ex->req holds a request; 0: the connection is done. */
static int read_request(struct client *c, struct exchange *ex)
{
	size_t head_len;
	int rc;

	http_reader_set_deadline(&c->reader, REQUEST_TIMEOUT_MS);
	rc = http_read_head(&c->reader, HTTP_REQUEST_HEAD_MAX, &head_len);
	ex->started_ms = monotonic_ms();
	if (rc == 0)
		return 0;
	if (rc < 0) {
		if (errno == EMSGSIZE)
			respond_and_close(c, ex, 431);
		else if (errno == EAGAIN && http_reader_buffered(&c->reader) > 0)
			respond_and_close(c, ex, 408);
		else if (errno != EAGAIN && errno != EPROTO && errno != ECONNRESET)
			log_client(c, "reading a request: %s", ktls_errmsg());
		return 0;
	}
	if (http_parse_request(http_reader_data(&c->reader), head_len, &ex->req) < 0) {
		respond_and_close(c, ex, parse_error_status(errno));
		return 0;
	}
	ex->early = c->early_left > 0;
	c->early_left -= head_len < c->early_left ? head_len : c->early_left;
	http_reader_consume(&c->reader, head_len);
	return 1;
}

static void serve_requests(struct client *c)
{
	for (;;) {
		struct exchange ex = { .file_fd = -1 };

		if (!read_request(c, &ex))
			return;
		route(c, &ex);
		if (respond(c, &ex) < 0 || !ex.keep_alive)
			return;
	}
}

static void log_session(const struct client *c)
{
	char group[64] = "?", alpn[256] = "", sni[256] = "";
	socklen_t len;
	int version = 0, cipher = 0;

	len = sizeof(version);
	ktls_getsockopt(c->fd, SOL_KTLS, KTLS_VERSION, &version, &len);
	len = sizeof(cipher);
	ktls_getsockopt(c->fd, SOL_KTLS, KTLS_CIPHER, &cipher, &len);
	len = sizeof(group);
	ktls_getsockopt(c->fd, SOL_KTLS, KTLS_GROUP, group, &len);
	len = sizeof(alpn);
	ktls_getsockopt(c->fd, SOL_KTLS, KTLS_ALPN_SELECTED, alpn, &len);
	len = sizeof(sni);
	ktls_getsockopt(c->fd, SOL_KTLS, KTLS_SNI_RECEIVED, sni, &len);
	log_client(c, "TLS by ktlsd: %s %s, group %s, ALPN %s, SNI %s",
		   ktls_version_name(version) ? ktls_version_name(version) : "?",
		   ktls_cipher_name(cipher) ? ktls_cipher_name(cipher) : "?", group,
		   alpn[0] ? alpn : "-", sni[0] ? sni : "-");
}

/* The 0-RTT bytes ktlsd accepted come before anything read() returns:
 * they go to the front of the reader, marked by early_left. */
static void take_early_data(struct client *c)
{
	static _Thread_local char early[KTLS_ACCEPT_EARLY_DATA_MAX];
	socklen_t len = sizeof(early);

	if (ktls_getsockopt(c->fd, SOL_KTLS, KTLS_EARLY_DATA, early, &len) < 0 || len == 0)
		return;
	if (http_reader_preload(&c->reader, early, len) == 0) {
		c->early_left = len;
		log_client(c, "early data: %u bytes (0-RTT)", (unsigned)len);
	}
	explicit_bzero(early, len);
}

static int client_handshake(struct client *c)
{
	int early_max = c->srv->opt->no_early_data ? 0 : KTLS_ACCEPT_EARLY_DATA_MAX, one = 1;
	const char *profile = c->srv->opt->profile;
	struct timeval send_timeout = { .tv_sec = SEND_TIMEOUT_MS / 1000 };

	if (profile && ktls_setsockopt(c->fd, SOL_KTLS, KTLS_PROFILE, profile,
				       (socklen_t)strlen(profile)) < 0) {
		log_client(c, "profile %s: %s", profile, ktls_errmsg());
		return -1;
	}
	/* Small writes leave at once, as nginx's tcp_nodelay does: the answer
	 * to 0-RTT data follows the session tickets, and under Nagle it
	 * waited for the client's (delayed) ACK of them, which cost a 0-RTT
	 * request more than the round trip it saves (ktls-bench ttfb). */
	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* Opt in to 0-RTT: only GET and HEAD are answered from it (route()). */
	if (ktls_setsockopt(c->fd, SOL_KTLS, KTLS_ACCEPT_EARLY_DATA, &early_max,
			    sizeof(early_max)) < 0) {
		log_client(c, "KTLS_ACCEPT_EARLY_DATA: %s", ktls_errmsg());
		return -1;
	}
	if (ktls_accept(c->fd) < 0) {
		int err = errno;

		log_client(c, "handshake through ktlsd failed: %s%s", ktls_errmsg(),
			   cli_daemon_unreachable(err) ? " (is ktlsd still running?)" : "");
		return -1;
	}
	log_session(c);
	take_early_data(c);
	/* After the handshake: the daemon works on this very socket until then. */
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof(send_timeout));
	return 0;
}

static void release_slot(struct client *c)
{
	struct server *srv = c->srv;
	uint64_t one = 1;

	pthread_mutex_lock(&srv->lock);
	/* Closed under the lock, so the stopping main thread never shuts down
	 * a number that a new socket has already reused. */
	ktls_forget(c->fd);
	close(c->fd);
	srv->client_fds[c->slot] = -1;
	srv->active--;
	pthread_mutex_unlock(&srv->lock);
	if (write(srv->slot_freed_fd, &one, sizeof(one)) < 0) {
		/* The counter cannot overflow at our rates; nothing to do. */
	}
}

static void *client_main(void *arg)
{
	struct client *c = arg;

	if (client_handshake(c) == 0) {
		serve_requests(c);
		ktls_shutdown(c->fd, SHUT_RDWR);	/* close_notify, then FIN */
	}
	release_slot(c);
	free(c);
	return NULL;
}

/* ---- accepting ---------------------------------------------------------- */

/* "[2001:db8::1]:443" or "192.0.2.1:443" (v4-mapped addresses unwrapped). */
static void format_peer(const struct sockaddr *sa, socklen_t len, char *out, size_t cap)
{
	char host[NI_MAXHOST], serv[NI_MAXSERV];
	const char *h = host;

	if (getnameinfo(sa, len, host, sizeof(host), serv, sizeof(serv),
			NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		snprintf(out, cap, "?");
		return;
	}
	if (!strncmp(h, "::ffff:", 7) && strchr(h, '.'))
		h += 7;
	snprintf(out, cap, strchr(h, ':') ? "[%s]:%s" : "%s:%s", h, serv);
}

static unsigned claim_slot_locked(struct server *srv, int fd)
{
	unsigned slot = 0;

	while (srv->client_fds[slot] >= 0)
		slot++;
	srv->client_fds[slot] = fd;
	srv->active++;
	return slot;
}

static int start_client(struct server *srv, int fd, const struct sockaddr *sa, socklen_t len)
{
	struct client *c = calloc(1, sizeof(*c));
	pthread_attr_t attr;
	pthread_t thread;
	int rc;

	if (!c)
		return -ENOMEM;
	c->srv = srv;
	c->fd = fd;
	format_peer(sa, len, c->peer, sizeof(c->peer));
	http_reader_init(&c->reader, fd);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, THREAD_STACK_SIZE);
	pthread_mutex_lock(&srv->lock);
	c->slot = claim_slot_locked(srv, fd);
	rc = pthread_create(&thread, &attr, client_main, c);
	if (rc) {
		srv->client_fds[c->slot] = -1;
		srv->active--;
		free(c);
	}
	pthread_mutex_unlock(&srv->lock);
	pthread_attr_destroy(&attr);
	return -rc;
}

static int slots_free(struct server *srv)
{
	int free_slots;

	pthread_mutex_lock(&srv->lock);
	free_slots = srv->active < srv->opt->max_clients;
	pthread_mutex_unlock(&srv->lock);
	return free_slots;
}

/* Accepts what is waiting, as long as there are free slots. */
static void accept_clients(struct server *srv)
{
	while (slots_free(srv)) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int fd = accept4(srv->listen_fd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC);
		int rc;

		if (fd < 0) {
			if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
				return;
			fprintf(stderr, "ktls serve: accept: %s\n", strerror(errno));
			/* EMFILE and the like: the listener stays readable, so
			 * pause rather than spin until a client ends. */
			poll(NULL, 0, ACCEPT_BACKOFF_MS);
			return;
		}
		rc = start_client(srv, fd, (struct sockaddr *)&ss, len);
		if (rc < 0) {
			fprintf(stderr, "ktls serve: cannot start a client thread: %s\n",
				strerror(-rc));
			close(fd);
			return;
		}
	}
}

/* ---- listening ---------------------------------------------------------- */

static int bind_and_listen(int family, const struct sockaddr *sa, socklen_t len)
{
	int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), on = 1, off = 0;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	/* Dual stack: IPv4 clients arrive as v4-mapped addresses. */
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
	if (bind(fd, sa, len) < 0 || listen(fd, LISTEN_BACKLOG) < 0) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

static int listen_any(const char *port)
{
	struct sockaddr_in6 six = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT,
				    .sin6_port = htons((uint16_t)atoi(port)) };
	struct sockaddr_in four = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY),
				    .sin_port = six.sin6_port };
	int fd = bind_and_listen(AF_INET6, (struct sockaddr *)&six, sizeof(six));

	if (fd >= 0 || errno != EAFNOSUPPORT)
		return fd;
	fprintf(stderr, "ktls serve: no IPv6 here; listening on IPv4 only\n");
	return bind_and_listen(AF_INET, (struct sockaddr *)&four, sizeof(four));
}

static int listen_on(const struct serve_options *opt)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE |
				  AI_NUMERICSERV };
	struct addrinfo *list, *ai;
	int fd = -1, rc;

	if (!opt->bind_addr)
		return listen_any(opt->port);
	rc = getaddrinfo(opt->bind_addr, opt->port, &hints, &list);
	if (rc != 0) {
		fprintf(stderr, "ktls serve: --bind %s: %s\n", opt->bind_addr, gai_strerror(rc));
		errno = EINVAL;
		return -1;
	}
	for (ai = list; ai && fd < 0; ai = ai->ai_next)
		fd = bind_and_listen(ai->ai_family, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(list);
	return fd;
}

static void describe_listener(const struct server *srv)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char where[PEER_NAME_MAX] = "?";

	if (getsockname(srv->listen_fd, (struct sockaddr *)&ss, &len) == 0)
		format_peer((struct sockaddr *)&ss, len, where, sizeof(where));
	fprintf(stderr, "ktls serve: serving %s on %s%s, profile %s, up to %u clients, "
		"ktlsd at %s\n", srv->opt->root, where,
		srv->opt->bind_addr ? "" : " (IPv6 and IPv4)",
		srv->opt->profile ? srv->opt->profile : "(ktlsd's choice)",
		srv->opt->max_clients, ktls_socket_path());
	if (access("/proc/net/tls_stat", F_OK) < 0)
		fprintf(stderr, "ktls serve: warning: the kernel's tls module is not loaded "
			"(no /proc/net/tls_stat): handshakes will fail until 'modprobe tls'\n");
}

/* ---- main loop ---------------------------------------------------------- */

static int open_signals(void)
{
	sigset_t mask;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	/* Blocked before any thread exists, so every thread inherits it and
	 * only the signalfd sees these signals. */
	if (pthread_sigmask(SIG_BLOCK, &mask, NULL) != 0)
		return -1;
	return signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
}

static void drain(int fd)
{
	uint64_t count;

	if (read(fd, &count, sizeof(count)) < 0) {
		/* EAGAIN: already drained */
	}
}

static void run_loop(struct server *srv)
{
	for (;;) {
		struct pollfd pfd[3] = {
			{ .fd = srv->signal_fd, .events = POLLIN },
			{ .fd = srv->slot_freed_fd, .events = POLLIN },
			/* Full: leave newcomers in the backlog until a slot frees. */
			{ .fd = slots_free(srv) ? srv->listen_fd : -1, .events = POLLIN },
		};
		struct signalfd_siginfo si;

		if (poll(pfd, 3, -1) < 0 && errno != EINTR) {
			fprintf(stderr, "ktls serve: poll: %s\n", strerror(errno));
			return;
		}
		if (pfd[0].revents && read(srv->signal_fd, &si, sizeof(si)) == sizeof(si)) {
			fprintf(stderr, "ktls serve: signal %u: stopping\n", si.ssi_signo);
			return;
		}
		if (pfd[1].revents)
			drain(srv->slot_freed_fd);
		if (pfd[2].revents)
			accept_clients(srv);
	}
}

/* Ends idle connections, lets busy ones finish, waits a bounded time. */
static void stop_clients(struct server *srv)
{
	int64_t deadline = monotonic_ms() + STOP_GRACE_MS;
	unsigned active;

	pthread_mutex_lock(&srv->lock);
	srv->stopping = 1;
	for (unsigned i = 0; i < srv->opt->max_clients; i++)
		if (srv->client_fds[i] >= 0)
			shutdown(srv->client_fds[i], SHUT_RD);
	active = srv->active;
	pthread_mutex_unlock(&srv->lock);
	while (active > 0 && monotonic_ms() < deadline) {
		struct pollfd pfd = { .fd = srv->slot_freed_fd, .events = POLLIN };

		poll(&pfd, 1, (int)(deadline - monotonic_ms()));
		drain(srv->slot_freed_fd);
		pthread_mutex_lock(&srv->lock);
		active = srv->active;
		pthread_mutex_unlock(&srv->lock);
	}
	if (active > 0)
		fprintf(stderr, "ktls serve: %u connection(s) still busy after %d ms; leaving "
			"them\n", active, STOP_GRACE_MS);
}

static int server_open(struct server *srv, const struct serve_options *opt)
{
	*srv = (struct server){ .opt = opt, .root_fd = -1, .listen_fd = -1, .signal_fd = -1,
				.slot_freed_fd = -1 };
	pthread_mutex_init(&srv->lock, NULL);
	srv->root_fd = open(opt->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (srv->root_fd < 0) {
		fprintf(stderr, "ktls serve: --root %s: %s\n", opt->root, strerror(errno));
		return CLI_EXIT_FAIL;
	}
	srv->client_fds = malloc(opt->max_clients * sizeof(*srv->client_fds));
	srv->signal_fd = open_signals();
	srv->slot_freed_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (!srv->client_fds || srv->signal_fd < 0 || srv->slot_freed_fd < 0) {
		fprintf(stderr, "ktls serve: cannot set up: %s\n", strerror(errno));
		return CLI_EXIT_FAIL;
	}
	memset(srv->client_fds, 0xff, opt->max_clients * sizeof(*srv->client_fds));
	srv->listen_fd = listen_on(opt);
	if (srv->listen_fd < 0) {
		fprintf(stderr, "ktls serve: cannot listen on port %s: %s\n", opt->port,
			strerror(errno));
		return CLI_EXIT_FAIL;
	}
	return CLI_EXIT_OK;
}

/* Client threads still busy after the grace period keep using srv, so
 * srv is static and what they touch is released only when none is left;
 * the process exits right after anyway. */
static void server_close(struct server *srv)
{
	unsigned active;

	if (srv->listen_fd >= 0)
		close(srv->listen_fd);
	srv->listen_fd = -1;
	pthread_mutex_lock(&srv->lock);
	active = srv->active;
	pthread_mutex_unlock(&srv->lock);
	if (active > 0)
		return;
	free(srv->client_fds);
	srv->client_fds = NULL;
	if (srv->root_fd >= 0)
		close(srv->root_fd);
	if (srv->signal_fd >= 0)
		close(srv->signal_fd);
	if (srv->slot_freed_fd >= 0)
		close(srv->slot_freed_fd);
	pthread_mutex_destroy(&srv->lock);
}

int cmd_serve(int argc, char **argv)
{
	static struct server srv;
	static struct serve_options opt;	/* srv->opt, also read by clients */
	int rc = parse_options(argc, argv, &opt);

	if (rc >= 0)
		return rc;
	rc = cli_require_daemon(COMMAND);
	if (rc)
		return rc;
	rc = server_open(&srv, &opt);
	if (rc == CLI_EXIT_OK) {
		describe_listener(&srv);
		run_loop(&srv);
		if (srv.listen_fd >= 0)
			close(srv.listen_fd);
		srv.listen_fd = -1;
		stop_clients(&srv);
		fprintf(stderr, "ktls serve: stopped\n");
	}
	server_close(&srv);
	return rc;
}

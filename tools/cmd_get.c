// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ktls get: fetch one https:// URL with the handshake done by ktlsd and the
 * bytes carried by kernel TLS.
 *
 * The TCP connection is ours; ktls_connect() hands it to ktlsd, which runs
 * the handshake (verifying the server as its profile says) and installs the
 * keys in the kernel.  From then on the request is a plain write() and the
 * response is read with ktls_recv(), which skips TLS 1.3 session tickets
 * and reads close_notify as the end of the stream.
 *
 * Trust anchors are not a client-side option: they belong to ktlsd profiles
 * (ca_file=), so that an application cannot widen what the daemon trusts.
 * `--cafile` is refused with a pointer to the profile setting.
 *
 * Exit status: 0 HTTP 2xx; 1 any other HTTP status, a malformed response, or
 * no TCP connection; 2 usage; 3 ktlsd not running; 4 the handshake or kTLS
 * failed (including the connection breaking while the body is read).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "cli.h"
#include "http.h"
#include "ktls.h"
#include "support_io.h"

#define COMMAND "get"
#define DEFAULT_ALPN "http/1.1"
#define DEFAULT_TIMEOUT_MS 30000
#define HTTPS_PORT "443"
#define ERROR_BODY_PREVIEW 1024	/* bytes of an error response shown on stderr */
#define CHUNK_LINE_MAX 1024
#define COPY_BUFFER_SIZE (256 * 1024)
#define REQUEST_MAX (HTTP_TARGET_MAX + 1024)

struct get_options {
	const char *url;
	const char *output;	/* NULL or "-": stdout */
	const char *sni;	/* NULL: the URL's host */
	const char *alpn;
	const char *profile;
	int insecure;
	int no_resume;		/* a full handshake, not a session ktlsd kept */
	int early_data;		/* the request as TLS 1.3 0-RTT data when it can */
	int timeout_ms;
	int timeout_given;	/* else the profile's handshake timeout applies */
};

struct url {
	char host[256];		/* without the brackets of an IPv6 literal */
	char port[6];
	char target[HTTP_TARGET_MAX];	/* origin-form: path and query */
	int ipv6_literal;
};

/* Where the body goes: the output for 2xx, else a preview on stderr. */
struct body_sink {
	int fd;			/* -1: discard */
	size_t limit;		/* bytes still to pass on; SIZE_MAX: all */
	uint64_t received;
};

struct fetch {
	const struct get_options *opt;
	const struct url *url;
	int fd;
	struct http_reader reader;
	struct http_response resp;
	int read_failed_in_transport;	/* errno came from the connection */
};

/* ---- command line ------------------------------------------------------- */

static int usage_error(const char *why)
{
	return cli_usage_error(COMMAND, "%s", why);
}

static int parse_timeout(const char *arg, int *out)
{
	char *end;
	long ms;

	errno = 0;
	ms = strtol(arg, &end, 10);
	if (errno || *end || end == arg || ms <= 0 || ms > INT_MAX / 2)
		return -1;
	*out = (int)ms;
	return 0;
}

static int refuse_cafile(void)
{
	fprintf(stderr,
		"ktls get: --cafile is not supported: whom to trust is decided by ktlsd, not\n"
		"  by the application.  Put the CA in a client profile of ktlsd.conf:\n"
		"    [profile mycas]\n"
		"    role = client\n"
		"    ca_file = /path/to/ca.pem\n"
		"  and select it with: ktls get --profile mycas URL\n");
	return CLI_EXIT_USAGE;
}

static void print_help(void)
{
	cli_help(COMMAND);
	printf("\n"
	       "  -o, --output FILE   write the body to FILE (default: stdout)\n"
	       "      --sni NAME      server name to send and verify (default: the URL's host)\n"
	       "      --alpn LIST     ALPN protocols to offer (default: " DEFAULT_ALPN ")\n"
	       "      --profile NAME  ktlsd client profile (its ca_file decides trust)\n"
	       "  -k, --insecure      do not verify the server (the profile must allow it)\n"
	       "      --no-resume     a full handshake: do not resume a session ktlsd kept\n"
	       "      --early-data    send the request in the first flight (TLS 1.3 0-RTT)\n"
	       "                      when a ticket ktlsd kept allows it, else right after\n"
	       "                      the handshake (only safe for requests that may be\n"
	       "                      replayed: GET)\n"
	       "      --timeout MS    give up when connecting, the handshake or any read\n"
	       "                      or write stalls this long (default %d)\n"
	       "\nNegotiated parameters go to stderr.  Exit status: 0 HTTP 2xx, 1 other\n"
	       "HTTP status or bad response, 2 usage, 3 ktlsd not running, 4 TLS/kTLS failure.\n",
	       DEFAULT_TIMEOUT_MS);
}

enum { OPT_SNI = 256, OPT_CAFILE, OPT_ALPN, OPT_PROFILE, OPT_TIMEOUT, OPT_NO_RESUME,
       OPT_EARLY_DATA };

/* Returns -1 to go on, else the exit status. */
static int parse_options(int argc, char **argv, struct get_options *opt)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "sni", required_argument, NULL, OPT_SNI },
		{ "cafile", required_argument, NULL, OPT_CAFILE },
		{ "alpn", required_argument, NULL, OPT_ALPN },
		{ "profile", required_argument, NULL, OPT_PROFILE },
		{ "insecure", no_argument, NULL, 'k' },
		{ "no-resume", no_argument, NULL, OPT_NO_RESUME },
		{ "early-data", no_argument, NULL, OPT_EARLY_DATA },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*opt = (struct get_options){ .alpn = DEFAULT_ALPN, .timeout_ms = DEFAULT_TIMEOUT_MS };
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:kh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': opt->output = optarg; break;
		case OPT_SNI: opt->sni = optarg; break;
		case OPT_CAFILE: return refuse_cafile();
		case OPT_ALPN: opt->alpn = optarg; break;
		case OPT_PROFILE: opt->profile = optarg; break;
		case 'k': opt->insecure = 1; break;
		case OPT_NO_RESUME: opt->no_resume = 1; break;
		case OPT_EARLY_DATA: opt->early_data = 1; break;
		case OPT_TIMEOUT:
			if (parse_timeout(optarg, &opt->timeout_ms) < 0)
				return usage_error("--timeout wants milliseconds (a positive number)");
			opt->timeout_given = 1;
			break;
		case 'h': print_help(); return CLI_EXIT_OK;
		case ':': return cli_usage_error(COMMAND, "%s needs a value", argv[optind - 1]);
		default: return cli_usage_error(COMMAND, "unknown option %s", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return usage_error(optind == argc ? "no URL given" : "one URL at a time");
	opt->url = argv[optind];
	return -1;
}

/* ---- URL ---------------------------------------------------------------- */

static int copy_span(char *dst, size_t cap, const char *src, size_t len)
{
	if (len == 0 || len >= cap)
		return -1;
	memcpy(dst, src, len);
	dst[len] = '\0';
	return 0;
}

static int parse_port(const char *s, size_t len, char port[6])
{
	unsigned long n = 0;

	if (len == 0 || len > 5 || strspn(s, "0123456789") < len)
		return -1;
	for (size_t i = 0; i < len; i++)
		n = n * 10 + (unsigned long)(s[i] - '0');
	if (n == 0 || n > 65535)
		return -1;
	snprintf(port, 6, "%lu", n);
	return 0;
}

/* "host", "host:port", "[v6]", "[v6]:port". */
static const char *parse_authority(const char *s, size_t len, struct url *u)
{
	const char *port = NULL;
	size_t host_len;

	if (memchr(s, '@', len))
		return "user names and passwords in URLs are not supported";
	if (len > 0 && s[0] == '[') {
		const char *close = memchr(s, ']', len);

		if (!close || copy_span(u->host, sizeof(u->host), s + 1, (size_t)(close - s - 1)))
			return "bad IPv6 address in brackets";
		u->ipv6_literal = 1;
		if (close + 1 < s + len && close[1] != ':')
			return "garbage after the IPv6 address";
		port = close + 1 < s + len ? close + 2 : NULL;
	} else {
		port = memchr(s, ':', len);
		host_len = port ? (size_t)(port - s) : len;
		if (copy_span(u->host, sizeof(u->host), s, host_len))
			return "no host name";
		if (strspn(u->host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "0123456789-._") != host_len)
			return "bad character in the host name";
		if (port)
			port++;
	}
	if (!port)
		snprintf(u->port, sizeof(u->port), HTTPS_PORT);
	else if (parse_port(port, (size_t)(s + len - port), u->port) < 0)
		return "bad port number";
	return NULL;
}

/* The path and query as they go on the request line: visible ASCII only,
 * so a space or a line break cannot end up in the request. */
static const char *parse_target(const char *s, struct url *u)
{
	size_t len = strcspn(s, "#");
	int need_slash = len == 0 || s[0] == '?';

	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return "the path has a blank or non-ASCII byte (percent-encode it)";
	if (len + (size_t)need_slash >= sizeof(u->target))
		return "the path is too long";
	snprintf(u->target, sizeof(u->target), "%s%.*s", need_slash ? "/" : "", (int)len, s);
	return NULL;
}

static const char *parse_url(const char *url, struct url *u)
{
	static const char scheme[] = "https://";
	const char *authority, *rest, *why;

	memset(u, 0, sizeof(*u));
	if (strncasecmp(url, scheme, sizeof(scheme) - 1) != 0)
		return strstr(url, "://") ? "only https:// URLs are supported"
					  : "the URL must start with https://";
	authority = url + sizeof(scheme) - 1;
	rest = authority + strcspn(authority, "/?#");
	why = parse_authority(authority, (size_t)(rest - authority), u);
	return why ? why : parse_target(rest, u);
}

/* ---- connecting --------------------------------------------------------- */

static int set_blocking(int fd, int blocking)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0)
		return -1;
	flags = blocking ? flags & ~O_NONBLOCK : flags | O_NONBLOCK;
	return fcntl(fd, F_SETFL, flags);
}

/* connect() within timeout_ms; the socket is left blocking, which is what
 * the daemon and our plain write()/sendfile() expect. */
static int connect_within(int fd, const struct addrinfo *ai, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int err = 0, rc;

	if (set_blocking(fd, 0) < 0)
		return -1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS)
		return -1;
	do
		rc = poll(&pfd, 1, timeout_ms);
	while (rc < 0 && errno == EINTR);
	if (rc == 0)
		errno = ETIMEDOUT;
	if (rc <= 0)
		return -1;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return -1;
	if (err) {
		errno = err;
		return -1;
	}
	return set_blocking(fd, 1);
}

static void format_address(const struct addrinfo *ai, char *buf, size_t len)
{
	if (getnameinfo(ai->ai_addr, ai->ai_addrlen, buf, (socklen_t)len, NULL, 0,
			NI_NUMERICHOST) != 0)
		snprintf(buf, len, "?");
}

/* Every address the name has, in getaddrinfo's order, until one answers. */
static int connect_tcp(const struct url *u, int timeout_ms)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *list, *ai;
	char addr[64];
	int rc, fd = -1, err = 0;

	rc = getaddrinfo(u->host, u->port, &hints, &list);
	if (rc != 0) {
		fprintf(stderr, "ktls get: cannot resolve %s: %s\n", u->host,
			rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return -1;
	}
	for (ai = list; ai; ai = ai->ai_next) {
		format_address(ai, addr, sizeof(addr));
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd >= 0 && connect_within(fd, ai, timeout_ms) == 0)
			break;
		err = errno;
		fprintf(stderr, "* %s port %s: %s\n", addr, u->port, strerror(err));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	if (fd >= 0)
		fprintf(stderr, "* connected to %s (%s) port %s\n", u->host, addr, u->port);
	else
		fprintf(stderr, "ktls get: cannot connect to %s port %s: %s\n", u->host, u->port,
			strerror(err));
	freeaddrinfo(list);
	return fd;
}

/* ---- handshake ---------------------------------------------------------- */

static int set_string_option(int fd, int option, const char *value, const char *what)
{
	if (ktls_setsockopt(fd, SOL_KTLS, option, value, (socklen_t)strlen(value)) == 0)
		return 0;
	fprintf(stderr, "ktls get: %s \"%s\": %s\n", what, value, ktls_errmsg());
	return -1;
}

static int set_handshake_options(int fd, const struct get_options *opt, const struct url *u)
{
	int verify_none = KTLS_VERIFY_NONE;
	int recv_tickets = 1;	/* we read with ktls_recv() (http.c) */

	if (set_string_option(fd, KTLS_SERVER_NAME, opt->sni ? opt->sni : u->host,
			      "server name") < 0 ||
	    set_string_option(fd, KTLS_ALPN, opt->alpn, "ALPN list") < 0 ||
	    (opt->profile && set_string_option(fd, KTLS_PROFILE, opt->profile, "profile") < 0))
		return -1;
	/* ktls_recv() consumes tickets that come after the handoff: ktlsd
	 * need not wait for them (unless the profile says so). */
	if (ktls_setsockopt(fd, SOL_KTLS, KTLS_RECV_TICKETS, &recv_tickets,
			    sizeof(recv_tickets)) < 0) {
		fprintf(stderr, "ktls get: %s\n", ktls_errmsg());
		return -1;
	}
	if (opt->timeout_given &&
	    ktls_setsockopt(fd, SOL_KTLS, KTLS_HANDSHAKE_TIMEOUT, &opt->timeout_ms,
			    sizeof(opt->timeout_ms)) < 0) {
		fprintf(stderr, "ktls get: --timeout: %s\n", ktls_errmsg());
		return -1;
	}
	if (opt->insecure &&
	    ktls_setsockopt(fd, SOL_KTLS, KTLS_VERIFY, &verify_none, sizeof(verify_none)) < 0) {
		fprintf(stderr, "ktls get: --insecure: %s\n", ktls_errmsg());
		return -1;
	}
	if (opt->no_resume &&
	    ktls_setsockopt(fd, SOL_KTLS, KTLS_NO_RESUME, &opt->no_resume,
			    sizeof(opt->no_resume)) < 0) {
		fprintf(stderr, "ktls get: --no-resume: %s\n", ktls_errmsg());
		return -1;
	}
	return 0;
}

static int get_int_option(int fd, int option)
{
	socklen_t len = sizeof(int);
	int value = 0;

	return ktls_getsockopt(fd, SOL_KTLS, option, &value, &len) == 0 ? value : -1;
}

static void get_string_option(int fd, int option, char *buf, size_t cap)
{
	socklen_t len = (socklen_t)cap;

	if (ktls_getsockopt(fd, SOL_KTLS, option, buf, &len) < 0 || len == 0)
		snprintf(buf, cap, "?");
}

static const char *or_unknown(const char *name)
{
	return name ? name : "?";
}

static void print_fingerprint(int fd)
{
	uint8_t sha256[32];
	socklen_t len = sizeof(sha256);
	char hex[3 * sizeof(sha256)] = "";

	if (ktls_getsockopt(fd, SOL_KTLS, KTLS_PEER_FINGERPRINT, sha256, &len) < 0 || len == 0) {
		fprintf(stderr, "* server certificate: none\n");
		return;
	}
	for (socklen_t i = 0; i < len; i++)	/* "AB:" each, the last ':' the NUL */
		snprintf(hex + 3 * i, sizeof(hex) - 3 * i, "%02X%s", sha256[i],
			 i + 1 < len ? ":" : "");
	fprintf(stderr, "* server certificate SHA-256: %s\n", hex);
}

static void print_kernel_state(int fd)
{
	struct ktls_info info;

	if (ktls_query(fd, &info) < 0) {
		fprintf(stderr, "* kernel TLS: cannot query: %s\n", ktls_errmsg());
		return;
	}
	fprintf(stderr, "* kernel TLS: TX %s, RX %s\n",
		info.tx.installed ? or_unknown(ktls_cipher_name(info.tx.cipher)) : "not installed",
		info.rx.installed ? or_unknown(ktls_cipher_name(info.rx.cipher)) : "not installed");
}

static void print_session(int fd, const struct get_options *opt)
{
	char group[64], alpn[256], subject[512];

	get_string_option(fd, KTLS_GROUP, group, sizeof(group));
	get_string_option(fd, KTLS_ALPN_SELECTED, alpn, sizeof(alpn));
	get_string_option(fd, KTLS_PEER_SUBJECT, subject, sizeof(subject));
	fprintf(stderr, "* handshake by ktlsd: %s, %s, group %s, ALPN %s, %s\n",
		or_unknown(ktls_version_name(get_int_option(fd, KTLS_VERSION))),
		or_unknown(ktls_cipher_name(get_int_option(fd, KTLS_CIPHER))), group,
		alpn[0] && strcmp(alpn, "?") ? alpn : "(none)",
		get_int_option(fd, KTLS_RESUMED) > 0 ? "resumed session" : "full handshake");
	fprintf(stderr, "* server certificate: %s%s\n", subject,
		opt->insecure ? " (NOT verified: --insecure)" : "");
	print_fingerprint(fd);
	print_kernel_state(fd);
}

/* We speak HTTP/1.1 only: a server that picked another protocol would
 * answer our request in a language we cannot read. */
static int check_alpn(int fd)
{
	char alpn[256] = "";
	socklen_t len = sizeof(alpn);

	if (ktls_getsockopt(fd, SOL_KTLS, KTLS_ALPN_SELECTED, alpn, &len) < 0 || len <= 1 ||
	    !strcmp(alpn, "http/1.1") || !strcmp(alpn, "http/1.0"))
		return 0;
	fprintf(stderr, "ktls get: the server chose ALPN \"%s\"; ktls get speaks HTTP/1.1 only\n",
		alpn);
	return -1;
}

static int build_request(const struct url *u, char *request, size_t cap);

static void print_early_data(int fd)
{
	static const char *const what[] = {
		[KTLS_EARLY_DATA_NONE] = "none",
		[KTLS_EARLY_DATA_NOT_SENT] = "not offered (no ticket allowed it); "
					     "request sent after the handshake",
		[KTLS_EARLY_DATA_ACCEPTED] = "accepted: the request went in the first flight",
		[KTLS_EARLY_DATA_REJECTED] = "rejected by the server; request sent again "
					     "after the handshake",
	};
	int status = get_int_option(fd, KTLS_EARLY_DATA_STATUS);

	fprintf(stderr, "* early data: %s\n", status >= 0 && status <= KTLS_EARLY_DATA_REJECTED ?
		what[status] : "?");
}

/* --early-data: the request is handed to libktls before the handshake;
 * ktls_connect() returns with it sent (libktls(3)). */
static int set_early_request(int fd, const struct url *u)
{
	char request[REQUEST_MAX];
	int len = build_request(u, request, sizeof(request));

	if (len < 0)
		return -1;
	if (ktls_setsockopt(fd, SOL_KTLS, KTLS_EARLY_DATA, request, (socklen_t)len) < 0) {
		fprintf(stderr, "ktls get: --early-data: %s\n", ktls_errmsg());
		return -1;
	}
	return 0;
}

static int handshake(int fd, const struct get_options *opt, const struct url *u)
{
	if (set_handshake_options(fd, opt, u) < 0)
		return CLI_EXIT_USAGE;
	if (opt->early_data && set_early_request(fd, u) < 0)
		return CLI_EXIT_USAGE;
	if (opt->insecure)
		fprintf(stderr, "* WARNING: --insecure: the server's identity is not checked\n");
	if (ktls_connect(fd) < 0) {
		int err = errno;

		cli_report_ktls_failure(COMMAND, "TLS handshake through ktlsd failed", err);
		return cli_daemon_unreachable(err) ? CLI_EXIT_NO_DAEMON : CLI_EXIT_TLS;
	}
	print_session(fd, opt);
	if (opt->early_data)
		print_early_data(fd);
	return check_alpn(fd) < 0 ? CLI_EXIT_TLS : CLI_EXIT_OK;
}

static void set_io_timeouts(int fd, int timeout_ms)
{
	struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = timeout_ms % 1000 * 1000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* ---- request and response ----------------------------------------------- */

/* The request's length, or -1 (said why). */
static int build_request(const struct url *u, char *request, size_t cap)
{
	const char *open = u->ipv6_literal ? "[" : "", *close = u->ipv6_literal ? "]" : "";
	int default_port = !strcmp(u->port, HTTPS_PORT);
	int len;

	len = snprintf(request, cap,
		       "GET %s HTTP/1.1\r\nHost: %s%s%s%s%s\r\nConnection: close\r\n"
		       "User-Agent: ktls/0.1\r\n\r\n",
		       u->target, open, u->host, close, default_port ? "" : ":",
		       default_port ? "" : u->port);
	if (len < 0 || (size_t)len >= cap) {
		fprintf(stderr, "ktls get: the request does not fit in %zu bytes\n", cap);
		return -1;
	}
	return len;
}

static int send_request(const struct fetch *f)
{
	char request[REQUEST_MAX];
	int len;

	if (f->opt->early_data)
		return 0;	/* ktls_connect() sent it (set_early_request) */
	len = build_request(f->url, request, sizeof(request));
	if (len < 0)
		return -1;
	if (io_write_all(f->fd, request, (size_t)len) < 0) {
		fprintf(stderr, "ktls get: sending the request: %s\n",
			errno == EAGAIN ? "timed out" : strerror(errno));
		return -1;
	}
	return 0;
}

static const char *read_error(const struct fetch *f, int err)
{
	static __thread char msg[320];
	const char *reason = ktls_errmsg();

	switch (err) {
	case EAGAIN:
		snprintf(msg, sizeof(msg), "no data from the server for %d ms", f->opt->timeout_ms);
		return msg;
	case EMSGSIZE:
		return "the response head is larger than 64 KiB";
	case EPROTO:
		return "the connection ended inside the response head";
	case ENOTSUP:
		return "the response uses a transfer coding other than chunked";
	case EPROTONOSUPPORT:
		return "the response is not HTTP/1.x";
	case EFBIG:
		return "the response's Content-Length is larger than 2^62 bytes";
	case EINVAL:
		return "malformed response";
	}
	return reason[0] ? reason : strerror(err);
}

/* 1xx responses are interim: the real one follows (RFC 9110 15.2). */
static int read_final_head(struct fetch *f)
{
	for (;;) {
		size_t head_len;
		int rc = http_read_head(&f->reader, HTTP_RESPONSE_HEAD_MAX, &head_len);

		if (rc <= 0) {
			f->read_failed_in_transport = rc < 0 && errno != EMSGSIZE &&
						      errno != EPROTO;
			fprintf(stderr, "ktls get: reading the response: %s\n",
				rc == 0 ? "the server closed the connection without answering"
					: read_error(f, errno));
			return -1;
		}
		if (http_parse_response(http_reader_data(&f->reader), head_len, &f->resp) < 0) {
			fprintf(stderr, "ktls get: %s\n", read_error(f, errno));
			return -1;
		}
		http_reader_consume(&f->reader, head_len);
		if (f->resp.status >= 200 || f->resp.status == 101)
			return 0;
	}
}

static int sink_write(struct body_sink *sink, const char *buf, size_t len)
{
	size_t pass = len < sink->limit ? len : sink->limit;

	sink->received += len;
	if (sink->fd < 0 || pass == 0)
		return 0;
	sink->limit -= sink->limit == SIZE_MAX ? 0 : pass;
	if (io_write_all(sink->fd, buf, pass) < 0) {
		fprintf(stderr, "ktls get: writing the body: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/* Up to want bytes (at most one read), or the end of the stream. */
static ssize_t read_body(struct fetch *f, char *buf, size_t want)
{
	ssize_t n = http_reader_read(&f->reader, buf, want);

	if (n < 0) {
		f->read_failed_in_transport = 1;
		fprintf(stderr, "ktls get: reading the body: %s\n", read_error(f, errno));
	}
	return n;
}

/* Exactly len bytes (len UINT64_MAX: until the server closes). */
static int copy_body(struct fetch *f, struct body_sink *sink, uint64_t len, char *buf)
{
	uint64_t left = len;

	while (left > 0) {
		size_t want = left < COPY_BUFFER_SIZE ? (size_t)left : COPY_BUFFER_SIZE;
		ssize_t n = read_body(f, buf, want);

		if (n < 0)
			return -1;
		if (n == 0) {
			if (len == UINT64_MAX)
				return 0;
			fprintf(stderr, "ktls get: the connection closed after %llu of %llu body "
				"bytes\n", (unsigned long long)(len - left), (unsigned long long)len);
			return -1;
		}
		if (sink_write(sink, buf, (size_t)n) < 0)
			return -1;
		if (len != UINT64_MAX)
			left -= (uint64_t)n;
	}
	return 0;
}

/* One line (chunk size, chunk end, trailer), consumed; its length through
 * the LF in *len, or -1. */
static int next_chunk_line(struct fetch *f, char *line, size_t cap, size_t *len)
{
	if (http_read_line(&f->reader, cap, len) < 0) {
		f->read_failed_in_transport = errno != EMSGSIZE && errno != EPROTO;
		fprintf(stderr, "ktls get: reading the chunked body: %s\n",
			errno == EMSGSIZE ? "chunk line too long" : read_error(f, errno));
		return -1;
	}
	memcpy(line, http_reader_data(&f->reader), *len);
	http_reader_consume(&f->reader, *len);
	return 0;
}

static int is_empty_line(const char *line, size_t len)
{
	return len == 1 || (len == 2 && line[0] == '\r');
}

/* RFC 9112 section 7.1: size line, data, CRLF; size 0 then trailers. */
static int copy_chunked(struct fetch *f, struct body_sink *sink, char *buf)
{
	char line[CHUNK_LINE_MAX];
	size_t len, trailer_bytes = 0;
	uint64_t size;

	for (;;) {
		if (next_chunk_line(f, line, sizeof(line), &len) < 0)
			return -1;
		if (http_parse_chunk_size(line, len, &size) < 0) {
			fprintf(stderr, "ktls get: malformed chunk size line\n");
			return -1;
		}
		if (size == 0)
			break;
		if (copy_body(f, sink, size, buf) < 0 ||
		    next_chunk_line(f, line, sizeof(line), &len) < 0)
			return -1;
		if (!is_empty_line(line, len)) {
			fprintf(stderr, "ktls get: chunk data longer than its size line said\n");
			return -1;
		}
	}
	do {
		if (next_chunk_line(f, line, sizeof(line), &len) < 0)
			return -1;
		trailer_bytes += len;
	} while (!is_empty_line(line, len) && trailer_bytes < HTTP_RESPONSE_HEAD_MAX);
	return is_empty_line(line, len) ? 0 : -1;
}

static int response_has_body(const struct http_response *resp)
{
	return resp->status != 204 && resp->status != 304;
}

static int copy_response_body(struct fetch *f, struct body_sink *sink)
{
	char *buf;
	int rc;

	if (!response_has_body(&f->resp))
		return 0;
	buf = malloc(COPY_BUFFER_SIZE);
	if (!buf) {
		fprintf(stderr, "ktls get: out of memory\n");
		return -1;
	}
	if (f->resp.framing.chunked)
		rc = copy_chunked(f, sink, buf);
	else if (f->resp.framing.content_length >= 0)
		rc = copy_body(f, sink, (uint64_t)f->resp.framing.content_length, buf);
	else
		rc = copy_body(f, sink, UINT64_MAX, buf);
	free(buf);
	return rc;
}

static int open_output(const char *path)
{
	int fd;

	if (!path || !strcmp(path, "-"))
		return STDOUT_FILENO;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0)
		fprintf(stderr, "ktls get: cannot write %s: %s\n", path, strerror(errno));
	return fd;
}

static void print_status(const struct fetch *f, const struct body_sink *sink)
{
	fprintf(stderr, "* HTTP/1.%d %d %s, %llu body bytes%s\n", f->resp.minor_version,
		f->resp.status, f->resp.reason, (unsigned long long)sink->received,
		f->resp.framing.chunked ? " (chunked)" : "");
}

/* The status decides where the body goes: the output for 2xx, a preview on
 * stderr for anything else (an error page is no download). */
static int receive_response(struct fetch *f)
{
	struct body_sink sink = { .fd = STDERR_FILENO, .limit = ERROR_BODY_PREVIEW };
	int success, rc;

	if (read_final_head(f) < 0)
		return f->read_failed_in_transport ? CLI_EXIT_TLS : CLI_EXIT_FAIL;
	success = f->resp.status >= 200 && f->resp.status < 300;
	if (success) {
		sink = (struct body_sink){ .fd = open_output(f->opt->output), .limit = SIZE_MAX };
		if (sink.fd < 0)
			return CLI_EXIT_FAIL;
	} else {
		fprintf(stderr, "ktls get: the server answered %d %s\n", f->resp.status,
			f->resp.reason);
	}
	rc = copy_response_body(f, &sink);
	if (sink.fd > STDERR_FILENO && close(sink.fd) < 0 && rc == 0) {
		fprintf(stderr, "ktls get: writing %s: %s\n", f->opt->output, strerror(errno));
		rc = -1;
	}
	if (!success && sink.received > 0)
		fputc('\n', stderr);
	print_status(f, &sink);
	if (rc < 0)
		return f->read_failed_in_transport ? CLI_EXIT_TLS : CLI_EXIT_FAIL;
	return success ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

static int fetch_over(int fd, const struct get_options *opt, const struct url *u)
{
	struct fetch *f = calloc(1, sizeof(*f));
	int rc;

	if (!f) {
		fprintf(stderr, "ktls get: out of memory\n");
		return CLI_EXIT_FAIL;
	}
	f->opt = opt;	/* field by field: a compound literal would be 80 KiB of stack */
	f->url = u;
	f->fd = fd;
	http_reader_init(&f->reader, fd);
	rc = send_request(f) < 0 ? CLI_EXIT_TLS : receive_response(f);
	free(f);
	return rc;
}

int cmd_get(int argc, char **argv)
{
	struct get_options opt;
	struct url url;
	const char *why;
	int fd, rc = parse_options(argc, argv, &opt);

	if (rc >= 0)
		return rc;
	why = parse_url(opt.url, &url);
	if (why)
		return cli_usage_error(COMMAND, "%s: %s", opt.url, why);
	rc = cli_require_daemon(COMMAND);
	if (rc)
		return rc;
	signal(SIGPIPE, SIG_IGN);	/* a closed connection is an error, not a death */
	fd = connect_tcp(&url, opt.timeout_ms);
	if (fd < 0)
		return CLI_EXIT_FAIL;
	rc = handshake(fd, &opt, &url);
	if (rc == CLI_EXIT_OK) {
		set_io_timeouts(fd, opt.timeout_ms);
		rc = fetch_over(fd, &opt, &url);
		ktls_shutdown(fd, SHUT_RDWR);
	}
	ktls_forget(fd);
	close(fd);
	return rc;
}

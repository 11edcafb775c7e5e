// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * HTTP/1.1 helpers for `ktls get` and `ktls serve` (see http.h for the
 * rules the parsers enforce and why).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "ktls.h"

#define CHUNK_SIZE_DIGITS_MAX 15	/* < 2^60: no overflow while parsing */

static int fail(int err)
{
	errno = err;
	return -1;
}

/* ---- reading ------------------------------------------------------------ */

void http_reader_init(struct http_reader *r, int fd)
{
	r->fd = fd;
	r->deadline_ms = 0;
	r->start = r->end = 0;
}

static int64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void http_reader_set_deadline(struct http_reader *r, int timeout_ms)
{
	r->deadline_ms = timeout_ms > 0 ? monotonic_ms() + timeout_ms : 0;
}

/* The socket's receive timeout becomes what is left until the deadline. */
static int arm_deadline(const struct http_reader *r)
{
	int64_t left = r->deadline_ms - monotonic_ms();
	struct timeval tv;

	if (left <= 0)
		return fail(EAGAIN);
	tv = (struct timeval){ .tv_sec = left / 1000, .tv_usec = left % 1000 * 1000 };
	return setsockopt(r->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

void http_reader_consume(struct http_reader *r, size_t n)
{
	r->start += n < http_reader_buffered(r) ? n : http_reader_buffered(r);
	if (r->start == r->end)
		r->start = r->end = 0;
}

int http_reader_preload(struct http_reader *r, const void *data, size_t len)
{
	if (http_reader_buffered(r) || len > sizeof(r->buf)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(r->buf, data, len);
	r->start = 0;
	r->end = len;
	return 0;
}

static ssize_t recv_retrying(const struct http_reader *r, void *buf, size_t len)
{
	ssize_t n;

	do {
		if (r->deadline_ms && arm_deadline(r) < 0)
			return -1;
		n = ktls_recv(r->fd, buf, len, 0);
	} while (n < 0 && errno == EINTR);
	return n;
}

ssize_t http_reader_fill(struct http_reader *r)
{
	ssize_t n;

	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, http_reader_buffered(r));
		r->end -= r->start;
		r->start = 0;
	}
	if (r->end == sizeof(r->buf)) {
		errno = ENOBUFS;
		return -1;
	}
	n = recv_retrying(r, r->buf + r->end, sizeof(r->buf) - r->end);
	if (n > 0)
		r->end += (size_t)n;
	return n;
}

/* Length of the head at p (through its empty line), 0 if not all there. */
static size_t find_head_end(const char *p, size_t len)
{
	const char *nl = p, *end = p + len;

	while ((nl = memchr(nl, '\n', (size_t)(end - nl))) != NULL) {
		nl++;
		if (nl < end && *nl == '\n')
			return (size_t)(nl + 1 - p);
		if (end - nl >= 2 && nl[0] == '\r' && nl[1] == '\n')
			return (size_t)(nl + 2 - p);
	}
	return 0;
}

/* RFC 9112 section 2.2: a server SHOULD ignore empty lines received before
 * a request line (some clients send CRLF after a body). */
static void skip_empty_lines(struct http_reader *r)
{
	while (http_reader_buffered(r) > 0) {
		char c = r->buf[r->start];

		if (c != '\r' && c != '\n')
			break;
		http_reader_consume(r, 1);
	}
}

int http_read_head(struct http_reader *r, size_t max, size_t *head_len)
{
	for (;;) {
		size_t have, end;
		ssize_t n;

		skip_empty_lines(r);
		have = http_reader_buffered(r);
		end = find_head_end(http_reader_data(r), have < max ? have : max);
		if (end) {
			*head_len = end;
			return 1;
		}
		if (have >= max) {
			errno = EMSGSIZE;
			return -1;
		}
		n = http_reader_fill(r);
		if (n < 0)
			return -1;
		if (n == 0) {
			if (http_reader_buffered(r) == 0)
				return 0;
			errno = EPROTO;
			return -1;
		}
	}
}

int http_read_line(struct http_reader *r, size_t max, size_t *line_len)
{
	for (;;) {
		size_t have = http_reader_buffered(r);
		const char *nl = memchr(http_reader_data(r), '\n', have < max ? have : max);
		ssize_t n;

		if (nl) {
			*line_len = (size_t)(nl + 1 - http_reader_data(r));
			return 1;
		}
		if (have >= max) {
			errno = EMSGSIZE;
			return -1;
		}
		n = http_reader_fill(r);
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = EPROTO;
			return -1;
		}
	}
}

ssize_t http_reader_read(struct http_reader *r, void *dst, size_t len)
{
	size_t have = http_reader_buffered(r);

	if (have == 0)
		return recv_retrying(r, dst, len);
	if (len > have)
		len = have;
	memcpy(dst, http_reader_data(r), len);
	http_reader_consume(r, len);
	return (ssize_t)len;
}

/* ---- parsing ------------------------------------------------------------ */

struct line_iter {
	const char *p, *end;
};

/* The next line without its CRLF (or LF); false when none is left. */
static bool next_line(struct line_iter *it, const char **line, size_t *len)
{
	const char *nl = memchr(it->p, '\n', (size_t)(it->end - it->p));

	if (!nl)
		return false;
	*line = it->p;
	*len = (size_t)(nl - it->p);
	if (*len > 0 && nl[-1] == '\r')
		(*len)--;
	it->p = nl + 1;
	return true;
}

/* RFC 9110 section 5.6.2 tchar. */
static bool is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static size_t token_len(const char *s, size_t len)
{
	size_t n = 0;

	while (n < len && is_tchar((unsigned char)s[n]))
		n++;
	return n;
}

/* RFC 9110 section 5.5: field-vchar, SP, HTAB; obs-text tolerated. */
static bool valid_field_value(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c != '\t' && (c < 0x20 || c == 0x7f))
			return false;
	}
	return true;
}

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static void trim_ows(const char **s, size_t *len)
{
	while (*len > 0 && is_ows(**s)) {
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && is_ows((*s)[*len - 1]))
		(*len)--;
}

static bool span_equals(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && strncasecmp(s, word, len) == 0;
}

/* 1*DIGIT (RFC 9110 section 8.6), leading zeros and all.  A number beyond
 * HTTP_CONTENT_LENGTH_MAX is EFBIG, and is found before it is computed: an
 * overflow would wrap to a negative length, which means "no body". */
static int parse_content_length(const char *v, size_t len, struct http_framing *f)
{
	bool too_big = false;
	int64_t n = 0;

	if (len == 0)
		return fail(EINVAL);
	for (size_t i = 0; i < len; i++) {
		int digit = v[i] - '0';

		if (v[i] < '0' || v[i] > '9')
			return fail(EINVAL);	/* every byte checked, even past too_big */
		if (n > (HTTP_CONTENT_LENGTH_MAX - digit) / 10)
			too_big = true;
		else
			n = n * 10 + digit;
	}
	if (too_big)
		return fail(EFBIG);
	/* Two different lengths: which one the next hop believes decides where
	 * the following message starts.  Refuse to choose. */
	if (f->content_length >= 0 && f->content_length != n)
		return fail(EINVAL);
	f->content_length = n;
	return 0;
}

/* Calls fn on each non-empty element of a comma-separated list. */
static int for_each_element(const char *v, size_t len,
			    int (*fn)(const char *elem, size_t len, struct http_framing *f),
			    struct http_framing *f)
{
	while (len > 0) {
		const char *comma = memchr(v, ',', len);
		size_t elem_len = comma ? (size_t)(comma - v) : len;
		const char *elem = v;

		v += elem_len;
		len -= elem_len;
		if (comma) {
			v++;
			len--;
		}
		trim_ows(&elem, &elem_len);
		if (elem_len > 0 && fn(elem, elem_len, f) < 0)
			return -1;
	}
	return 0;
}

static int connection_option(const char *elem, size_t len, struct http_framing *f)
{
	if (span_equals(elem, len, "close"))
		f->connection_close = true;
	else if (span_equals(elem, len, "keep-alive"))
		f->connection_keep_alive = true;
	return 0;
}

/* Only "chunked", once: compressed or stacked codings are not ours. */
static int transfer_coding(const char *elem, size_t len, struct http_framing *f)
{
	if (!span_equals(elem, len, "chunked"))
		return fail(ENOTSUP);
	if (f->chunked)
		return fail(EINVAL);
	f->chunked = true;
	return 0;
}

static int apply_field(const char *name, size_t name_len, const char *value, size_t value_len,
		       struct http_framing *f)
{
	if (span_equals(name, name_len, "content-length"))
		return parse_content_length(value, value_len, f);
	if (span_equals(name, name_len, "transfer-encoding"))
		return for_each_element(value, value_len, transfer_coding, f);
	if (span_equals(name, name_len, "connection"))
		return for_each_element(value, value_len, connection_option, f);
	if (span_equals(name, name_len, "host")) {
		if (f->has_host)
			return fail(EINVAL);	/* RFC 9112 section 3.2: exactly one */
		f->has_host = true;
	}
	return 0;
}

/* "name: value" lines up to the empty line, which must end the head. */
static int parse_fields(struct line_iter *it, struct http_framing *f)
{
	const char *line;
	size_t len, count = 0;

	*f = (struct http_framing){ .content_length = -1 };
	while (next_line(it, &line, &len)) {
		const char *value;
		size_t name_len, value_len;

		if (len == 0)
			return it->p == it->end ? 0 : fail(EINVAL);
		if (++count > HTTP_MAX_FIELDS)
			return fail(EINVAL);
		/* No blank before the colon, and no obs-fold continuation lines
		 * (RFC 9112 section 5.1 and 5.2): both must be rejected. */
		name_len = token_len(line, len);
		if (name_len == 0 || name_len == len || line[name_len] != ':')
			return fail(EINVAL);
		value = line + name_len + 1;
		value_len = len - name_len - 1;
		if (!valid_field_value(value, value_len))
			return fail(EINVAL);
		trim_ows(&value, &value_len);
		if (apply_field(line, name_len, value, value_len, f) < 0)
			return -1;
	}
	return fail(EINVAL);	/* no empty line */
}

/* "HTTP/1.x" -> x; -1 + errno otherwise. */
static int parse_version(const char *s, size_t len)
{
	if (len != 8 || strncmp(s, "HTTP/", 5) != 0 || s[6] != '.' ||
	    s[5] < '0' || s[5] > '9' || s[7] < '0' || s[7] > '9')
		return fail(EINVAL);
	if (s[5] != '1')
		return fail(EPROTONOSUPPORT);
	return s[7] - '0';
}

/* request-target: visible ASCII only (RFC 9112 section 3.2). */
static bool valid_target(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return len > 0;
}

static int parse_request_line(const char *line, size_t len, struct http_request *req)
{
	size_t method_len = token_len(line, len);
	const char *target, *sp, *version;
	size_t target_len;

	if (method_len == 0 || method_len >= sizeof(req->method) || method_len == len ||
	    line[method_len] != ' ')
		return fail(EINVAL);
	target = line + method_len + 1;
	sp = memchr(target, ' ', len - method_len - 1);
	if (!sp)
		return fail(EINVAL);
	target_len = (size_t)(sp - target);
	version = sp + 1;
	if (!valid_target(target, target_len))
		return fail(EINVAL);
	if (target_len >= sizeof(req->target))
		return fail(ENAMETOOLONG);
	req->minor_version = parse_version(version, (size_t)(line + len - version));
	if (req->minor_version < 0)
		return -1;
	memcpy(req->method, line, method_len);
	req->method[method_len] = '\0';
	memcpy(req->target, target, target_len);
	req->target[target_len] = '\0';
	return 0;
}

int http_parse_request(const char *head, size_t len, struct http_request *req)
{
	struct line_iter it = { head, head + len };
	const char *line;
	size_t line_len;

	memset(req, 0, sizeof(*req));
	if (!next_line(&it, &line, &line_len))
		return fail(EINVAL);
	if (parse_request_line(line, line_len, req) < 0)
		return -1;
	if (parse_fields(&it, &req->framing) < 0)
		return -1;
	/* A request with both is how smuggling is done (RFC 9112 6.1). */
	if (req->framing.chunked && req->framing.content_length >= 0)
		return fail(EINVAL);
	if (req->minor_version >= 1 && !req->framing.has_host)
		return fail(EINVAL);	/* RFC 9112 section 3.2: MUST respond 400 */
	return 0;
}

/* "HTTP/1.1 200 OK"; a missing reason phrase (even its space) is tolerated. */
static int parse_status_line(const char *line, size_t len, struct http_response *resp)
{
	const char *reason = "";
	size_t reason_len = 0;

	if (len < 12 || line[8] != ' ')
		return fail(EINVAL);
	resp->minor_version = parse_version(line, 8);
	if (resp->minor_version < 0)
		return -1;
	for (int i = 9; i < 12; i++) {
		if (line[i] < '0' || line[i] > '9')
			return fail(EINVAL);
		resp->status = resp->status * 10 + (line[i] - '0');
	}
	if (resp->status < 100)
		return fail(EINVAL);
	if (len > 12) {
		if (line[12] != ' ')
			return fail(EINVAL);
		reason = line + 13;
		reason_len = len - 13;
	}
	if (!valid_field_value(reason, reason_len))
		return fail(EINVAL);
	if (reason_len >= sizeof(resp->reason))
		reason_len = sizeof(resp->reason) - 1;
	memcpy(resp->reason, reason, reason_len);
	resp->reason[reason_len] = '\0';
	return 0;
}

int http_parse_response(const char *head, size_t len, struct http_response *resp)
{
	struct line_iter it = { head, head + len };
	const char *line;
	size_t line_len;

	memset(resp, 0, sizeof(*resp));
	if (!next_line(&it, &line, &line_len))
		return fail(EINVAL);
	if (parse_status_line(line, line_len, resp) < 0)
		return -1;
	if (parse_fields(&it, &resp->framing) < 0)
		return -1;
	/* RFC 9112 section 6.3: chunked framing wins over a length. */
	if (resp->framing.chunked)
		resp->framing.content_length = -1;
	return 0;
}

bool http_request_keeps_alive(const struct http_request *req)
{
	if (req->framing.connection_close)
		return false;
	if (req->minor_version == 0)
		return req->framing.connection_keep_alive;
	return true;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int http_parse_chunk_size(const char *line, size_t len, uint64_t *size)
{
	size_t digits = 0;
	uint64_t n = 0;

	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	while (digits < len && hex_value(line[digits]) >= 0) {
		if (digits == CHUNK_SIZE_DIGITS_MAX)
			return fail(EINVAL);
		n = n << 4 | (uint64_t)hex_value(line[digits++]);
	}
	if (digits == 0)
		return fail(EINVAL);
	/* What may follow: blanks and chunk extensions, which we ignore. */
	if (digits < len && !is_ows(line[digits]) && line[digits] != ';')
		return fail(EINVAL);
	if (!valid_field_value(line + digits, len - digits))
		return fail(EINVAL);
	*size = n;
	return 0;
}

/* ---- writing ------------------------------------------------------------ */

const char *http_reason_phrase(int status)
{
	switch (status) {
	case 200: return "OK";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 425: return "Too Early";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	}
	return "Unknown";
}

struct head_builder {
	char *buf;
	size_t cap, len;
	bool overflow;
};

static void append(struct head_builder *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void append(struct head_builder *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->buf + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->cap - b->len)
		b->overflow = true;
	else
		b->len += (size_t)n;
}

int http_format_response_head(char *buf, size_t cap, int status, const char *content_type,
			      int64_t content_length, bool keep_alive,
			      const char *extra_headers)
{
	struct head_builder b = { .buf = buf, .cap = cap };
	char date[64] = "";
	time_t now = time(NULL);
	struct tm tm;

	if (cap == 0)
		return fail(EMSGSIZE);
	/* IMF-fixdate (RFC 9110 section 5.6.7); the C locale spells the names. */
	if (gmtime_r(&now, &tm))
		strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	append(&b, "HTTP/1.1 %d %s\r\nServer: ktls/0.1\r\nDate: %s\r\n", status,
	       http_reason_phrase(status), date);
	if (content_type)
		append(&b, "Content-Type: %s\r\n", content_type);
	if (content_length >= 0)
		append(&b, "Content-Length: %lld\r\n", (long long)content_length);
	append(&b, "Connection: %s\r\n%s\r\n", keep_alive ? "keep-alive" : "close",
	       extra_headers ? extra_headers : "");
	if (b.overflow)
		return fail(EMSGSIZE);
	return (int)b.len;
}

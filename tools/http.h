/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Just enough HTTP/1.1 for `ktls get` and `ktls serve`, plus what both need
 *
 * Parsing is strict and bounded: a head (request or status line plus
 * headers) must fit its limit, lines end in CRLF (a bare LF is tolerated, as
 * RFC 9112 section 2.2 allows), obsolete line folding, bytes that cannot be
 * in a field, conflicting Content-Lengths and unknown transfer codings are
 * errors rather than guesses: a lenient parser on one side of a connection is
 * how request smuggling starts.
 *
 * Reading goes through ktls_recv(), so TLS 1.3 NewSessionTickets are skipped
 * and close_notify reads as end of stream.
 */
#ifndef KTLS_HTTP_H
#define KTLS_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HTTP_REQUEST_HEAD_MAX 8192		/* server: request line + headers */
#define HTTP_RESPONSE_HEAD_MAX (64 * 1024)	/* client: status line + headers */
#define HTTP_MAX_FIELDS 100
#define HTTP_METHOD_MAX 16
#define HTTP_TARGET_MAX 4096
#define HTTP_REASON_MAX 128
#define HTTP_CONTENT_LENGTH_MAX ((int64_t)1 << 62)

/* ---- reading ------------------------------------------------------------ */

/* Larger than one TLS record (16 KiB), so that ktls_recv() can read a whole
 * record straight into the free space instead of peeking first. */
#define HTTP_READER_CAP (HTTP_RESPONSE_HEAD_MAX + 16384)

/* Bytes read from fd and not consumed yet are buf[start..end). */
struct http_reader {
	int fd;
	int64_t deadline_ms;	/* CLOCK_MONOTONIC; 0: none */
	size_t start, end;
	char buf[HTTP_READER_CAP];
};

void http_reader_init(struct http_reader *r, int fd);

/* Reads after this fail with EAGAIN once timeout_ms have passed (0: no
 * deadline): bounds a whole request head, not just each read, so a client
 * trickling one byte at a time cannot hold a connection open for ever.
 * Sets SO_RCVTIMEO on the socket before each read. */
void http_reader_set_deadline(struct http_reader *r, int timeout_ms);
static inline size_t http_reader_buffered(const struct http_reader *r)
{
	return r->end - r->start;
}
static inline const char *http_reader_data(const struct http_reader *r)
{
	return r->buf + r->start;
}
void http_reader_consume(struct http_reader *r, size_t n);
/* Bytes that come before the socket's (TLS 1.3 early data, which ktlsd
 * read): only into an empty reader.  0, or -1 + EINVAL. */
int http_reader_preload(struct http_reader *r, const void *data, size_t len);

/* One ktls_recv() into the free space (moving unread bytes to the front
 * first).  Bytes read, 0 at the end of the stream, -1 + errno (EAGAIN: the
 * socket's receive timeout ran out; ENOBUFS: the buffer is full). */
ssize_t http_reader_fill(struct http_reader *r);

/* Wait for a whole head (up to and including the empty line) of at most max
 * bytes.  1: *head_len bytes at http_reader_data() are the head; 0: the
 * stream ended before its first byte (a clean close between messages); -1 +
 * errno: EMSGSIZE (longer than max), EPROTO (the stream ended inside it), or
 * whatever reading failed with. */
int http_read_head(struct http_reader *r, size_t max, size_t *head_len);

/* Wait for one line of at most max bytes, ending in LF.  1: *line_len
 * bytes (terminator included) at http_reader_data(); -1 + errno as above. */
int http_read_line(struct http_reader *r, size_t max, size_t *line_len);

/* Up to len bytes of the stream: what is buffered first, else one read
 * straight into dst.  Bytes, 0 at the end of the stream, -1 + errno. */
ssize_t http_reader_read(struct http_reader *r, void *dst, size_t len);

/* ---- parsing ------------------------------------------------------------ */

/* The header fields that decide how a message is framed and the connection
 * kept; the parsers ignore every other field after checking its syntax. */
struct http_framing {
	int64_t content_length;		/* -1: none given */
	bool chunked;			/* Transfer-Encoding: chunked */
	bool connection_close;		/* Connection: close */
	bool connection_keep_alive;	/* Connection: keep-alive */
	bool has_host;
};

struct http_request {
	char method[HTTP_METHOD_MAX];
	char target[HTTP_TARGET_MAX];
	int minor_version;		/* HTTP/1.x */
	struct http_framing framing;
};

struct http_response {
	int status;
	int minor_version;
	char reason[HTTP_REASON_MAX];
	struct http_framing framing;
};

/* 0, or -1 + errno: EINVAL malformed, ENAMETOOLONG the target does not fit,
 * EPROTONOSUPPORT not HTTP/1.x, ENOTSUP a transfer coding other than
 * chunked, EFBIG a Content-Length beyond HTTP_CONTENT_LENGTH_MAX. */
int http_parse_request(const char *head, size_t len, struct http_request *req);
int http_parse_response(const char *head, size_t len, struct http_response *resp);

/* Does the connection stay open after this request (RFC 9112 section 9.3)? */
bool http_request_keeps_alive(const struct http_request *req);

/* Chunk-size line ("1a2b;ext=1\r\n") -> size.  0 or -1 + EINVAL. */
int http_parse_chunk_size(const char *line, size_t len, uint64_t *size);

/* ---- writing ------------------------------------------------------------ */

const char *http_reason_phrase(int status);

/* Status line and headers, ending in the empty line.  content_length < 0
 * writes none; extra_headers (NULL or "Name: value\r\n" lines) go in as
 * they are.  Length written (excluding the NUL), or -1 + EMSGSIZE. */
int http_format_response_head(char *buf, size_t cap, int status, const char *content_type,
			      int64_t content_length, bool keep_alive,
			      const char *extra_headers);

#endif /* KTLS_HTTP_H */

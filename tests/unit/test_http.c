// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tools/http.c: the HTTP/1.1 subset of `ktls get` and `ktls serve`.
 *
 * The parser's job is to refuse what a lenient peer would guess at
 * (request smuggling starts there), so most cases here are refusals with
 * the errno the callers map to a status: EINVAL -> 400, ENAMETOOLONG ->
 * 414, EFBIG -> 413, EPROTONOSUPPORT -> 505, ENOTSUP -> 501.  The reader is
 * driven through a real socketpair (ktls_recv() reads plain sockets as data).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../tools/http.h"

#define S(lit) lit, sizeof(lit) - 1

static int parse_req(const char *head, size_t len, struct http_request *req)
{
	errno = 0;
	return http_parse_request(head, len, req);
}

static void assert_request_refused(const char *head, int err)
{
	struct http_request req;

	assert_int_equal(parse_req(head, strlen(head), &req), -1);
	assert_int_equal(errno, err);
}

/* ---- requests ----------------------------------------------------------- */

static void request_get_with_host(void **state)
{
	struct http_request req;

	(void)state;
	assert_int_equal(parse_req(S("GET /a/b.bin HTTP/1.1\r\nHost: x\r\n"
				     "Accept: */*\r\n\r\n"), &req), 0);
	assert_string_equal(req.method, "GET");
	assert_string_equal(req.target, "/a/b.bin");
	assert_int_equal(req.minor_version, 1);
	assert_true(req.framing.has_host);
	assert_int_equal(req.framing.content_length, -1);
	assert_false(req.framing.chunked);
	assert_true(http_request_keeps_alive(&req));
}

static void request_bare_lf_is_tolerated(void **state)
{
	struct http_request req;

	(void)state;
	assert_int_equal(parse_req(S("HEAD / HTTP/1.1\nHost: x\n\n"), &req), 0);
	assert_string_equal(req.method, "HEAD");
}

static void request_keep_alive_rules(void **state)
{
	struct http_request req;

	(void)state;
	assert_int_equal(parse_req(S("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
				   &req), 0);
	assert_false(http_request_keeps_alive(&req));
	/* HTTP/1.0 closes unless asked not to; Host is optional there. */
	assert_int_equal(parse_req(S("GET / HTTP/1.0\r\n\r\n"), &req), 0);
	assert_false(http_request_keeps_alive(&req));
	assert_int_equal(parse_req(S("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"),
				   &req), 0);
	assert_true(http_request_keeps_alive(&req));
	/* A list: "close" anywhere in it wins. */
	assert_int_equal(parse_req(S("GET / HTTP/1.1\r\nHost: x\r\n"
				     "Connection: upgrade, close\r\n\r\n"), &req), 0);
	assert_false(http_request_keeps_alive(&req));
}

static void request_framing_fields(void **state)
{
	struct http_request req;

	(void)state;
	assert_int_equal(parse_req(S("POST /u HTTP/1.1\r\nHost: x\r\nContent-Length: 42\r\n\r\n"),
				   &req), 0);
	assert_int_equal(req.framing.content_length, 42);
	/* The same length twice is one length (RFC 9110 8.6). */
	assert_int_equal(parse_req(S("POST /u HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n"
				     "content-length: 7\r\n\r\n"), &req), 0);
	assert_int_equal(req.framing.content_length, 7);
	assert_int_equal(parse_req(S("POST /u HTTP/1.1\r\nHost: x\r\n"
				     "Transfer-Encoding: chunked\r\n\r\n"), &req), 0);
	assert_true(req.framing.chunked);
}

static void request_refusals(void **state)
{
	char long_target[HTTP_TARGET_MAX + 64];
	int n;

	(void)state;
	assert_request_refused("", EINVAL);
	assert_request_refused("GET\r\n\r\n", EINVAL);
	assert_request_refused("GET /\r\n\r\n", EINVAL);		/* no version */
	assert_request_refused("GET / HTTP/1.1\r\n\r\n", EINVAL);	/* no Host */
	assert_request_refused("GET / HTTP/2.0\r\nHost: x\r\n\r\n", EPROTONOSUPPORT);
	assert_request_refused("GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", EINVAL);
	assert_request_refused("GET / HTTP/1.1\r\nHost: x\r\nBad Name: v\r\n\r\n", EINVAL);
	assert_request_refused("GET / HTTP/1.1\r\nHost: x\r\nX: a\x01z\r\n\r\n", EINVAL);
	assert_request_refused("GET /a b HTTP/1.1\r\nHost: x\r\n\r\n", EINVAL);
	/* Smuggling shapes: two lengths, a length with chunked, junk lengths. */
	assert_request_refused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
			       "Content-Length: 2\r\n\r\n", EINVAL);
	assert_request_refused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
			       "Transfer-Encoding: chunked\r\n\r\n", EINVAL);
	assert_request_refused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
			       EINVAL);
	assert_request_refused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n",
			       EINVAL);
	assert_request_refused("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
			       ENOTSUP);
	n = snprintf(long_target, sizeof(long_target), "GET /%0*d HTTP/1.1\r\nHost: x\r\n\r\n",
		     HTTP_TARGET_MAX, 0);
	assert_true(n > HTTP_TARGET_MAX && (size_t)n < sizeof(long_target));
	assert_request_refused(long_target, ENAMETOOLONG);
}

/* Content-Length is 1*DIGIT of any length: up to HTTP_CONTENT_LENGTH_MAX
 * (2^62) it is the length, beyond it EFBIG (413), and never a wrapped
 * negative number, which would read as "no body": the body would then be
 * taken for the next request.  19 nines overflowed int64_t (UBSan: signed
 * overflow) and came out negative. */
static void request_content_length_range(void **state)
{
	static const char *const too_big[] = {
		"9999999999999999999",		/* 19 digits: > INT64_MAX */
		"9223372036854775807",		/* INT64_MAX */
		"9223372036854775808",
		"4611686018427387905",		/* 2^62 + 1 */
		"18446744073709551616",		/* 2^64: wraps to 0 */
		"99999999999999999999",
		"000000000000000000009999999999999999999",
		"1000000000000000000000000000000000000000000000000000000000000000",
	};
	struct http_request req;
	char head[256];

	(void)state;
	for (size_t i = 0; i < sizeof(too_big) / sizeof(too_big[0]); i++) {
		snprintf(head, sizeof(head), "POST / HTTP/1.1\r\nHost: x\r\n"
			 "Content-Length: %s\r\n\r\n", too_big[i]);
		assert_int_equal(parse_req(head, strlen(head), &req), -1);
		assert_int_equal(errno, EFBIG);
	}
	/* The largest length there is, and leading zeros beyond 19 digits. */
	assert_int_equal(parse_req(S("POST / HTTP/1.1\r\nHost: x\r\n"
				     "Content-Length: 4611686018427387904\r\n\r\n"), &req), 0);
	assert_true(req.framing.content_length == HTTP_CONTENT_LENGTH_MAX);
	assert_int_equal(parse_req(S("POST / HTTP/1.1\r\nHost: x\r\n"
				     "Content-Length: 0000000000000000000000042\r\n\r\n"),
				   &req), 0);
	assert_int_equal(req.framing.content_length, 42);
	/* Syntax first: a bad byte after too many digits is still 400. */
	assert_request_refused("POST / HTTP/1.1\r\nHost: x\r\n"
			       "Content-Length: 99999999999999999999x\r\n\r\n", EINVAL);
	/* The same length twice is one length, even when spelled apart. */
	assert_int_equal(parse_req(S("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
				     "Content-Length: 005\r\n\r\n"), &req), 0);
	assert_int_equal(req.framing.content_length, 5);
}

/* ---- responses ------------------------------------------------------------ */

static void response_status_line(void **state)
{
	struct http_response resp;

	(void)state;
	assert_int_equal(http_parse_response(S("HTTP/1.1 404 Not Found\r\n"
					       "Content-Length: 9\r\n\r\n"), &resp), 0);
	assert_int_equal(resp.status, 404);
	assert_int_equal(resp.minor_version, 1);
	assert_string_equal(resp.reason, "Not Found");
	assert_int_equal(resp.framing.content_length, 9);
	/* No reason phrase, not even its space: tolerated. */
	assert_int_equal(http_parse_response(S("HTTP/1.0 200\r\n\r\n"), &resp), 0);
	assert_int_equal(resp.status, 200);
	assert_string_equal(resp.reason, "");
	/* Chunked wins over a length (RFC 9112 6.3). */
	assert_int_equal(http_parse_response(S("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n"
					       "Transfer-Encoding: chunked\r\n\r\n"), &resp), 0);
	assert_true(resp.framing.chunked);
	assert_int_equal(resp.framing.content_length, -1);
}

static void response_refusals(void **state)
{
	struct http_response resp;

	(void)state;
	assert_int_equal(http_parse_response(S("HTTP/1.1 20 OK\r\n\r\n"), &resp), -1);
	assert_int_equal(http_parse_response(S("HTTP/1.1 099 X\r\n\r\n"), &resp), -1);
	assert_int_equal(http_parse_response(S("HTTP/1.1 2x0 OK\r\n\r\n"), &resp), -1);
	assert_int_equal(http_parse_response(S("HTTP/1.1 200OK\r\n\r\n"), &resp), -1);
	assert_int_equal(http_parse_response(S("ICY 200 OK\r\n\r\n"), &resp), -1);
	/* `ktls get` would otherwise read a wrapped length as "until close". */
	errno = 0;
	assert_int_equal(http_parse_response(S("HTTP/1.1 200 OK\r\n"
					       "Content-Length: 9999999999999999999\r\n\r\n"),
					     &resp), -1);
	assert_int_equal(errno, EFBIG);
}

/* ---- chunk sizes --------------------------------------------------------- */

static void chunk_sizes(void **state)
{
	uint64_t n = 0;

	(void)state;
	assert_int_equal(http_parse_chunk_size(S("1a2B\r\n"), &n), 0);
	assert_int_equal(n, 0x1a2b);
	assert_int_equal(http_parse_chunk_size(S("0\r\n"), &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(http_parse_chunk_size(S("10;name=value\r\n"), &n), 0);
	assert_int_equal(n, 16);
	assert_int_equal(http_parse_chunk_size(S("ff \r\n"), &n), 0);
	assert_int_equal(n, 255);
	assert_int_equal(http_parse_chunk_size(S("\r\n"), &n), -1);
	assert_int_equal(http_parse_chunk_size(S("-1\r\n"), &n), -1);
	assert_int_equal(http_parse_chunk_size(S("12g\r\n"), &n), -1);
	/* 16 hex digits could overflow what we add to later: refused. */
	assert_int_equal(http_parse_chunk_size(S("1000000000000000\r\n"), &n), -1);
	assert_int_equal(errno, EINVAL);
	/* 15 are the most, and cannot overflow while parsing. */
	assert_int_equal(http_parse_chunk_size(S("fffffffffffffff\r\n"), &n), 0);
	assert_true(n == ((uint64_t)1 << 60) - 1);
}

/* ---- writing ------------------------------------------------------------- */

static void response_head_format(void **state)
{
	char buf[512], tiny[16];
	int n;

	(void)state;
	n = http_format_response_head(buf, sizeof(buf), 200, "text/plain", 5, true,
				      "X-Test: 1\r\n");
	assert_true(n > 0 && (size_t)n == strlen(buf));
	assert_memory_equal(buf, "HTTP/1.1 200 OK\r\n", 17);
	assert_non_null(strstr(buf, "\r\nContent-Type: text/plain\r\n"));
	assert_non_null(strstr(buf, "\r\nContent-Length: 5\r\n"));
	assert_non_null(strstr(buf, "\r\nX-Test: 1\r\n"));
	assert_null(strstr(buf, "Connection: close"));
	assert_string_equal(buf + n - 4, "\r\n\r\n");
	n = http_format_response_head(buf, sizeof(buf), 404, NULL, -1, false, NULL);
	assert_true(n > 0);
	assert_memory_equal(buf, "HTTP/1.1 404 Not Found\r\n", 24);
	assert_non_null(strstr(buf, "\r\nConnection: close\r\n"));
	assert_null(strstr(buf, "Content-Length"));
	/* What it wrote parses back as what it said. */
	{
		struct http_response resp;

		n = http_format_response_head(buf, sizeof(buf), 200, "a/b", 1234, true, NULL);
		assert_int_equal(http_parse_response(buf, (size_t)n, &resp), 0);
		assert_int_equal(resp.status, 200);
		assert_int_equal(resp.framing.content_length, 1234);
	}
	errno = 0;
	assert_int_equal(http_format_response_head(tiny, sizeof(tiny), 200, "text/plain", 5,
						   true, NULL), -1);
	assert_int_equal(errno, EMSGSIZE);
}

/* ---- the reader, over a socketpair --------------------------------------- */

struct pair {
	int peer;			/* we write the "network" side here */
	struct http_reader *r;		/* reads the other end */
};

static int pair_setup(void **state)
{
	struct pair *p = calloc(1, sizeof(*p));
	int sv[2];

	if (!p || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	p->r = malloc(sizeof(*p->r));
	if (!p->r)
		return -1;
	http_reader_init(p->r, sv[0]);
	p->peer = sv[1];
	*state = p;
	return 0;
}

static int pair_teardown(void **state)
{
	struct pair *p = *state;

	close(p->r->fd);
	if (p->peer >= 0)
		close(p->peer);
	free(p->r);
	free(p);
	return 0;
}

static void put(struct pair *p, const char *s)
{
	assert_int_equal(write(p->peer, s, strlen(s)), (ssize_t)strlen(s));
}

static void reader_head_then_body(void **state)
{
	struct pair *p = *state;
	char body[8];
	size_t len = 0;

	/* Two writes, so the head arrives in two reads; a leading CRLF (left
	 * over from a previous body) is skipped. */
	put(p, "\r\nGET / HTTP/1.1\r\nHo");
	put(p, "st: x\r\n\r\nbody!");
	assert_int_equal(http_read_head(p->r, HTTP_REQUEST_HEAD_MAX, &len), 1);
	assert_int_equal(len, strlen("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
	assert_memory_equal(http_reader_data(p->r), "GET / HTTP/1.1\r\n", 16);
	http_reader_consume(p->r, len);
	/* The body bytes that came with the head are not lost. */
	assert_int_equal(http_reader_read(p->r, body, sizeof(body)), 5);
	assert_memory_equal(body, "body!", 5);
	close(p->peer);
	p->peer = -1;
	assert_int_equal(http_reader_read(p->r, body, sizeof(body)), 0);
}

static void reader_clean_close_and_truncation(void **state)
{
	struct pair *p = *state;
	size_t len = 0;

	put(p, "GET / HTTP/1.1\r\nHost:");
	close(p->peer);
	p->peer = -1;
	errno = 0;
	assert_int_equal(http_read_head(p->r, HTTP_REQUEST_HEAD_MAX, &len), -1);
	assert_int_equal(errno, EPROTO);
}

static void reader_close_between_messages(void **state)
{
	struct pair *p = *state;
	size_t len = 0;

	close(p->peer);
	p->peer = -1;
	assert_int_equal(http_read_head(p->r, HTTP_REQUEST_HEAD_MAX, &len), 0);
}

static void reader_head_too_long(void **state)
{
	struct pair *p = *state;
	size_t len = 0;

	put(p, "GET / HTTP/1.1\r\nX-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n");
	errno = 0;
	assert_int_equal(http_read_head(p->r, 32, &len), -1);
	assert_int_equal(errno, EMSGSIZE);
}

static void reader_deadline(void **state)
{
	struct pair *p = *state;
	size_t len = 0;

	/* A client that trickles and stops: the deadline bounds the head. */
	put(p, "GET / HT");
	http_reader_set_deadline(p->r, 50);
	errno = 0;
	assert_int_equal(http_read_head(p->r, HTTP_REQUEST_HEAD_MAX, &len), -1);
	assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
}

static void reader_lines(void **state)
{
	struct pair *p = *state;
	size_t len = 0;
	uint64_t size = 0;

	put(p, "5\r\nhello\r\n0\r\n\r\n");
	assert_int_equal(http_read_line(p->r, 64, &len), 1);
	assert_int_equal(len, 3);
	assert_int_equal(http_parse_chunk_size(http_reader_data(p->r), len, &size), 0);
	assert_int_equal(size, 5);
	http_reader_consume(p->r, len);
	assert_memory_equal(http_reader_data(p->r), "hello", 5);
	http_reader_consume(p->r, 7);
	assert_int_equal(http_read_line(p->r, 64, &len), 1);
	assert_int_equal(len, 3);
	http_reader_consume(p->r, len);
	/* A line longer than allowed. */
	put(p, "0123456789abcdef0123\r\n");
	errno = 0;
	http_reader_consume(p->r, 2);
	assert_int_equal(http_read_line(p->r, 8, &len), -1);
	assert_int_equal(errno, EMSGSIZE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(request_get_with_host),
		cmocka_unit_test(request_bare_lf_is_tolerated),
		cmocka_unit_test(request_keep_alive_rules),
		cmocka_unit_test(request_framing_fields),
		cmocka_unit_test(request_refusals),
		cmocka_unit_test(request_content_length_range),
		cmocka_unit_test(response_status_line),
		cmocka_unit_test(response_refusals),
		cmocka_unit_test(chunk_sizes),
		cmocka_unit_test(response_head_format),
		cmocka_unit_test_setup_teardown(reader_head_then_body, pair_setup, pair_teardown),
		cmocka_unit_test_setup_teardown(reader_clean_close_and_truncation, pair_setup,
						pair_teardown),
		cmocka_unit_test_setup_teardown(reader_close_between_messages, pair_setup,
						pair_teardown),
		cmocka_unit_test_setup_teardown(reader_head_too_long, pair_setup, pair_teardown),
		cmocka_unit_test_setup_teardown(reader_deadline, pair_setup, pair_teardown),
		cmocka_unit_test_setup_teardown(reader_lines, pair_setup, pair_teardown),
	};

	return cmocka_run_group_tests_name("tools/http.c", tests, NULL, NULL);
}

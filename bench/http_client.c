// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Arm F's HTTPS client.  Each connection runs on its own thread and reads
 * responses with ktls_recv() (kernel decryption; TLS 1.3 handshake records
 * such as tickets are skipped there), parsing just enough HTTP: the status
 * line, Content-Length (or, for s_server's HTTP/1.0, the end of the stream)
 * and the body.  Keep-alive connections (nginx) keep up to PIPELINE_BYTES
 * of requests in flight, so small objects are not measured as round trips.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "http_client.h"
#include "ktls_loopback.h"

#define RECV_BUF (256 * 1024)
#define HEADER_MAX 4096
#define PIPELINE_BYTES (4 * 1024 * 1024)	/* of responses requested ahead */
#define PIPELINE_MAX 8

struct http_conn {
	struct http_job *job;
	int fd;
	gnutls_session_t session;
	/* response parser */
	char header[HEADER_MAX];
	size_t header_len;
	int in_body;
	long long body_left;		/* -1: until end of stream */
	struct object_check check;
	int checking;
	/* per pass */
	unsigned responses;
	unsigned long long body_bytes;
	double done_at;
	char err[160];
};

static int conn_fail(struct http_conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int conn_fail(struct http_conn *c, const char *fmt, ...)
{
	va_list ap;

	if (c->err[0])
		return -1;	/* the first reason is the real one */
	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	return -1;
}

static void conn_close(struct http_conn *c)
{
	if (c->session)
		gnutls_deinit(c->session);
	if (c->fd >= 0)
		close(c->fd);
	c->session = NULL;
	c->fd = -1;
}

static int conn_open(struct http_conn *c)
{
	const struct http_job *j = c->job;
	int rc;

	c->fd = ktls_loopback_connect(j->port, BENCH_IO_TIMEOUT_S);
	if (c->fd < 0)
		return conn_fail(c, "connect: %s", strerror(errno));
	rc = tls_session_new(&c->session, c->fd, 0, j->cipher, j->ctx->creds.client);
	if (rc == 0)
		rc = tls_handshake(c->session);
	if (rc < 0) {
		conn_close(c);
		return conn_fail(c, "handshake: %s", gnutls_strerror(rc));
	}
	if (tls_install(c->session, c->fd, 1) < 0) {
		conn_close(c);
		return conn_fail(c, "kTLS RX install: %s", ktls_errmsg());
	}
	c->in_body = 0;
	c->header_len = 0;
	return 0;
}

static int send_request(struct http_conn *c)
{
	char req[512];
	int len = snprintf(req, sizeof(req), c->job->one_per_conn ? "GET /%s HTTP/1.0\r\n\r\n"
			   : "GET /%s HTTP/1.1\r\nHost: " BENCH_SERVER_NAME "\r\n\r\n",
			   c->job->file_name);
	ssize_t n;

	do
		n = gnutls_record_send(c->session, req, (size_t)len);
	while (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED);
	return n == len ? 0 : conn_fail(c, "sending the request: %s", gnutls_strerror((int)n));
}

/* Status 200 and the body length: Content-Length, or to the end. */
static int parse_header(struct http_conn *c)
{
	const char *line = c->header;
	int status = 0;

	if (sscanf(line, "HTTP/1.%*d %d", &status) != 1 || status != 200)
		return conn_fail(c, "response: %.60s", line);
	c->body_left = -1;
	while ((line = strstr(line, "\r\n")) != NULL) {
		line += 2;
		if (!strncasecmp(line, "Content-Length:", 15))
			c->body_left = strtoll(line + 15, NULL, 10);
	}
	if (c->body_left >= 0 && (size_t)c->body_left != c->job->size)
		return conn_fail(c, "Content-Length is not the object size: %.60s", c->header);
	return 0;
}

/* Header bytes until the blank line; returns bytes used or -1. */
static ssize_t take_header(struct http_conn *c, const uint8_t *p, size_t n)
{
	size_t old = c->header_len, room = HEADER_MAX - 1 - old, take = n < room ? n : room;
	char *end;

	memcpy(c->header + old, p, take);
	c->header_len += take;
	c->header[c->header_len] = '\0';
	end = strstr(c->header, "\r\n\r\n");
	if (!end) {
		if (c->header_len == HEADER_MAX - 1)
			return conn_fail(c, "response header too long: %.60s", c->header);
		return (ssize_t)take;
	}
	end[2] = '\0';	/* keep the last header line's CRLF for the scan */
	take = (size_t)(end + 4 - c->header) - old;
	c->header_len = 0;
	c->in_body = 1;
	return parse_header(c) < 0 ? -1 : (ssize_t)take;
}

static void body_done(struct http_conn *c)
{
	c->in_body = 0;
	c->responses++;
}

/* Feed received bytes; returns the responses completed, or -1. */
static int feed(struct http_conn *c, const uint8_t *p, size_t n)
{
	int completed = 0;

	while (n > 0) {
		size_t take = n;

		if (!c->in_body) {
			ssize_t used = take_header(c, p, n);

			if (used < 0)
				return -1;
			p += used;
			n -= (size_t)used;
			if (c->in_body && c->body_left == 0)
				body_done(c), completed++;
			continue;
		}
		if (c->body_left >= 0 && (unsigned long long)c->body_left < take)
			take = (size_t)c->body_left;
		if (c->checking)
			object_check_feed(&c->check, p, take);
		c->body_bytes += take;
		p += take;
		n -= take;
		if (c->body_left >= 0 && (c->body_left -= (long long)take) == 0)
			body_done(c), completed++;
	}
	return completed;
}

/* Read until `want` more responses completed (keep-alive) or end of stream
 * (one per connection); *more_requests is called per completed response. */
static int read_responses(struct http_conn *c, uint8_t *buf, unsigned want, double deadline,
			  unsigned *outstanding)
{
	unsigned got = 0;

	while (c->job->one_per_conn || got < want) {
		ssize_t n = ktls_recv(c->fd, buf, RECV_BUF, 0);
		int done;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return conn_fail(c, "receiving: %s", ktls_errmsg());
		if (n == 0) {
			if (c->job->one_per_conn && c->in_body && c->body_left < 0) {
				body_done(c);
				return 0;
			}
			return conn_fail(c, "the server closed the connection");
		}
		done = feed(c, buf, (size_t)n);
		if (done < 0)
			return -1;
		got += (unsigned)done;
		for (; outstanding && done > 0; done--) {
			(*outstanding)--;
			if (now_s() < deadline && send_request(c) == 0)
				(*outstanding)++;
		}
		if (outstanding && *outstanding == 0)
			return 0;
	}
	return 0;
}

/* ---- one connection's work per pass ------------------------------------------------------ */

static int fetch_one_per_conn(struct http_conn *c, uint8_t *buf)
{
	int rc;

	if (conn_open(c) < 0 || send_request(c) < 0) {
		conn_close(c);
		return -1;
	}
	rc = read_responses(c, buf, 1, 0, NULL);
	conn_close(c);
	return rc;
}

static unsigned pipeline_depth(size_t size)
{
	size_t depth = PIPELINE_BYTES / size;

	return depth < 1 ? 1 : depth > PIPELINE_MAX ? PIPELINE_MAX : (unsigned)depth;
}

static int check_conn(struct http_conn *c, uint8_t *buf, unsigned objects)
{
	int rc = 0;

	c->checking = 1;
	if (object_check_init(&c->check, c->job->sha, c->job->size) < 0)
		return conn_fail(c, "cannot start SHA-256");
	for (unsigned i = 0; i < objects && rc == 0 && c->job->one_per_conn; i++)
		rc = fetch_one_per_conn(c, buf);
	for (unsigned i = 0; i < objects && rc == 0 && !c->job->one_per_conn; i++)
		rc = send_request(c);	/* all at once: pipelined */
	if (rc == 0 && !c->job->one_per_conn)
		rc = read_responses(c, buf, objects, 0, NULL);
	if (!object_check_done(&c->check, objects) && rc == 0)
		rc = conn_fail(c, "SHA-256 of a response body does NOT match the file");
	c->checking = 0;
	return rc;
}

static int timed_conn(struct http_conn *c, uint8_t *buf, double deadline)
{
	unsigned outstanding = 0, depth = pipeline_depth(c->job->size);

	if (c->job->one_per_conn) {
		while (now_s() < deadline)
			if (fetch_one_per_conn(c, buf) < 0)
				return -1;
		return 0;
	}
	for (; outstanding < depth; outstanding++)
		if (send_request(c) < 0)
			return -1;
	return read_responses(c, buf, ~0u, deadline, &outstanding);
}

/* ---- threads ------------------------------------------------------------------------------ */

struct pass {
	pthread_barrier_t start;
	double deadline;		/* 0: the check pass */
	unsigned objects;
};

struct worker {
	struct http_conn *conn;
	struct pass *pass;
	int rc;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	uint8_t *buf = malloc(RECV_BUF);

	pthread_barrier_wait(&w->pass->start);
	w->conn->responses = 0;
	w->conn->body_bytes = 0;
	if (!buf)
		w->rc = conn_fail(w->conn, "out of memory");
	else if (w->pass->deadline > 0)
		w->rc = timed_conn(w->conn, buf, w->pass->deadline);
	else
		w->rc = check_conn(w->conn, buf, w->pass->objects);
	w->conn->done_at = now_s();
	free(buf);
	return NULL;
}

static int run_pass(struct http_job *job, struct pass *p, double *start, char *note, size_t len)
{
	struct worker *w = calloc(job->conns, sizeof(*w));
	pthread_t *tids = calloc(job->conns, sizeof(*tids));
	int rc = 0;

	if (!w || !tids) {
		free(w);
		free(tids);
		snprintf(note, len, "out of memory");
		return -1;
	}
	pthread_barrier_init(&p->start, NULL, job->conns + 1);
	for (unsigned i = 0; i < job->conns; i++) {
		w[i] = (struct worker){ .conn = &job->conn[i], .pass = p };
		pthread_create(&tids[i], NULL, worker_main, &w[i]);
	}
	*start = now_s();
	if (p->deadline > 0)
		p->deadline += *start;
	pthread_barrier_wait(&p->start);
	for (unsigned i = 0; i < job->conns; i++) {
		pthread_join(tids[i], NULL);
		if (w[i].rc < 0 && rc == 0) {
			snprintf(note, len, "conn %u: %s", i, job->conn[i].err);
			rc = -1;
		}
	}
	pthread_barrier_destroy(&p->start);
	free(w);
	free(tids);
	return rc;
}

int http_job_open(struct http_job *job, char *note, size_t note_len)
{
	job->conn = calloc(job->conns, sizeof(*job->conn));
	if (!job->conn) {
		snprintf(note, note_len, "out of memory");
		return -1;
	}
	for (unsigned i = 0; i < job->conns; i++) {
		job->conn[i].job = job;
		job->conn[i].fd = -1;
		if (!job->one_per_conn && conn_open(&job->conn[i]) < 0) {
			snprintf(note, note_len, "conn %u: %s", i, job->conn[i].err);
			return -1;
		}
	}
	return 0;
}

int http_job_check(struct http_job *job, char *note, size_t note_len)
{
	struct pass p = { .objects = job->ctx->opts->verify_objects };
	double start;

	return run_pass(job, &p, &start, note, note_len);
}

int http_job_timed(struct http_job *job, double duration_s, char *note, size_t note_len)
{
	struct pass p = { .deadline = duration_s };
	double start, end = 0;
	int rc = run_pass(job, &p, &start, note, note_len);

	job->body_bytes = 0;
	for (unsigned i = 0; i < job->conns; i++) {
		job->body_bytes += job->conn[i].body_bytes;
		if (job->conn[i].done_at > end)
			end = job->conn[i].done_at;
	}
	job->seconds = end - start;
	return rc;
}

void http_job_close(struct http_job *job)
{
	for (unsigned i = 0; job->conn && i < job->conns; i++)
		conn_close(&job->conn[i]);
	free(job->conn);
	job->conn = NULL;
}

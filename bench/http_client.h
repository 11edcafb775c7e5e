/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The HTTPS client arm F uses against openssl s_server and nginx: GnuTLS
 * handshake, then kTLS RX only (responses are decrypted by the kernel and
 * never copied through a TLS library), requests still sent by GnuTLS.
 */
#ifndef KTLS_BENCH_HTTP_CLIENT_H
#define KTLS_BENCH_HTTP_CLIENT_H

#include "bench.h"

struct http_conn;

struct http_job {
	struct bench_ctx *ctx;
	int port, cipher;
	unsigned conns;
	int one_per_conn;		/* s_server: connect + handshake per object */
	const char *file_name;		/* path on the server, relative to its root */
	size_t size;
	const uint8_t *sha;
	struct http_conn *conn;		/* conns of them */
	/* the timed pass */
	unsigned long long body_bytes;
	double seconds;
};

/* 0 or -1 with the reason in note. */
int http_job_open(struct http_job *job, char *note, size_t note_len);
/* Every connection fetches verify_objects copies; each body's SHA-256 must match. */
int http_job_check(struct http_job *job, char *note, size_t note_len);
/* Fetch until the deadline; bodies are counted and discarded. */
int http_job_timed(struct http_job *job, double duration_s, char *note, size_t note_len);
void http_job_close(struct http_job *job);

#endif

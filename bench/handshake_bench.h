/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `ktls-bench handshake`: cells (handshake_bench.c) and their report
 * (handshake_report.c). */
#ifndef KTLS_BENCH_HANDSHAKE_H
#define KTLS_BENCH_HANDSHAKE_H

#include "bench.h"

#define HS_CIPHER KTLS_CIPHER_AES_128_GCM

/* HS_KTLSD is what a ktls_recv() caller does (the per-request flag where
 * libktls has it); HS_KTLSD_AUTO a plain read() caller (the profile's
 * ticket_wait = auto: the client waits for session tickets); HS_KTLSD_NONE
 * a profile with ticket_wait = none.  The last two differ from HS_KTLSD in
 * the client role only and run only there. */
/* HS_INPROC_RESUME and HS_KTLSD_RESUME are HS_INPROC and HS_KTLSD with
 * TLS 1.3 session resumption: the peer issues (server) or presents
 * (client) tickets, every worker does one full handshake before the cell
 * to get its first ticket, and each measured handshake must resume. */
enum hs_arm { HS_INPROC, HS_KTLSD, HS_KTLSD_AUTO, HS_KTLSD_NONE, HS_FORK, HS_INPROC_RESUME,
	      HS_KTLSD_RESUME };
#define HS_ARM_COUNT 7
/* A resumed arm fails its cell when fewer of its handshakes resumed. */
#define HS_RESUMED_MIN_SHARE 0.9

enum hs_role { HS_ROLE_CLIENT, HS_ROLE_SERVER };

struct hs_sample {
	double total;		/* the subject's call, seconds */
	double dispatch;	/* call -> first bytes at the peer (client role) */
	double completion;	/* peer done -> the call returned */
};

struct hs_samples {
	struct hs_sample *v;
	size_t n, cap;
};

struct hs_cell {
	enum hs_arm arm;
	enum hs_role role;
	enum cert_kind cert;
	const struct tls_peer_creds *creds;	/* the cert's, loaded once */
	const struct cert_files *files;		/* for the fork arm's reloads */
	unsigned concurrency;
	unsigned per_worker;		/* handshakes per worker; 0: until the deadline */
	pid_t ktlsd_pid;		/* the daemon's process tree for CPU; 0: unknown */
	int ktlsd_is_child;		/* ... and it is inside ours */
	double seconds;
	struct hs_samples samples;
	unsigned failures;
	size_t resumed;			/* handshakes the subject reported resumed */
	const gnutls_datum_t *ticket_key;	/* the resumed arms' GnuTLS ticket key */
	long long tls_tx_sw;		/* TlsTxSw installs during the cell */
	/* CPU seconds during the cell (user + system, from /proc: every thread
	 * and reaped child of the bench, ktlsd and every process below it);
	 * < 0 where unknown */
	double cpu_all;			/* all of it */
	double cpu_ktlsd;		/* ktlsd's process tree (key process, signers) */
	double cpu_peer;		/* the peer threads (getrusage per thread) */
	int ran;
	char error[160];		/* the first failure, or why skipped */
};

const char *hs_arm_name(enum hs_arm arm);
int hs_arm_resumes(enum hs_arm arm);

/* fork_arm.c: a single-threaded process that forks a child per handshake. */
struct forker {
	pid_t pid;
	int sock;
};
/* Call while the bench has no other threads. */
int forker_start(struct forker *f, int server, const struct cert_files *files);
int forker_handshake(struct forker *f, int fd);
void forker_stop(struct forker *f);
void hs_run_cell(struct hs_cell *cell, unsigned concurrency, double duration_s);

#endif

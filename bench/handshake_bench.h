/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `ktls-bench handshake`: cells (handshake_bench.c) and their report
 * (handshake_report.c). */
#ifndef KTLS_BENCH_HANDSHAKE_H
#define KTLS_BENCH_HANDSHAKE_H

#include "bench.h"

#define HS_CIPHER KTLS_CIPHER_AES_128_GCM

enum hs_arm { HS_INPROC, HS_KTLSD, HS_FORK };
#define HS_ARM_COUNT 3

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
	double seconds;
	struct hs_samples samples;
	unsigned failures;
	long long tls_tx_sw;		/* TlsTxSw installs during the cell */
	int ran;
	char error[160];		/* the first failure, or why skipped */
};

const char *hs_arm_name(enum hs_arm arm);

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

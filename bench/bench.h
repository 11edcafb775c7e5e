/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ktls-bench: side-by-side benchmarks of TLS data paths (sendfile) and of
 * handshake offload (ktlsd), shared declarations.
 *
 * One file per concern:
 *   main.c           command line, the run header, the sweep
 *   metrics.c        clocks, CPU accounting, /proc/net/tls_stat, SHA-256, host facts
 *   tls_setup.c      generated certificates, GnuTLS sessions, in-process handshakes
 *   ktlsd_ctl.c      starting our own ktlsd and handshaking through it
 *   sendfile_arms.c  arms A..E': how each arm sets up a connection and sends
 *   sendfile_run.c   one cell: verification pass, timed pass, accounting
 *   external_arms.c  arm F: openssl s_server and nginx, and their HTTPS client
 *   handshake_bench.c  handshakes/s, latency, ktlsd's own overhead
 *   report.c         table, CSV, gnuplot
 */
#ifndef KTLS_BENCH_H
#define KTLS_BENCH_H

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "ktls.h"
#include "support_tls_stat.h"

#define BENCH_RECORD_SIZE 16384		/* plaintext per record, every TLS arm */
#define BENCH_SERVER_NAME "localhost"
#define BENCH_MAX_CONNS 256
#define BENCH_MAX_SIZES 8
#define BENCH_MAX_CIPHERS 4
#define BENCH_MAX_HS_CONC 8
#define BENCH_IO_TIMEOUT_S 120		/* no single read or write waits longer */

/* ---- options --------------------------------------------------------------- */

struct bench_opts {
	int short_mode;			/* KTLS_BENCH_SHORT=1: seconds, asserts */
	double duration_s;		/* timed pass per cell */
	unsigned verify_objects;	/* objects per connection in the check pass */
	size_t sizes[BENCH_MAX_SIZES];
	unsigned n_sizes;
	int ciphers[BENCH_MAX_CIPHERS];	/* enum ktls_cipher */
	unsigned n_ciphers;
	unsigned conns_many;		/* "N": --conns, default one per CPU */
	int only_one_conn;		/* skip the N-connection cells */
	const char *arms;		/* letters to run, e.g. "ABCDEeF" */
	const char *csv_path;
	const char *plot_dir;		/* PNGs + gnuplot script go here */
	const char *ktlsd_path;		/* our own ktlsd binary */
	const char *ktlsd_socket;	/* use a running ktlsd instead */
	const char *work_dir;		/* where files, certs, configs live */
	/* handshake bench */
	double hs_duration_s;
	unsigned hs_conc[BENCH_MAX_HS_CONC];	/* the concurrency sweep, ascending */
	unsigned n_hs_conc;
	unsigned hs_handshakes;		/* per worker instead of a duration (0: off) */
	unsigned hs_arm_mask;		/* bit per enum hs_arm */
	unsigned hs_cert_mask;		/* bit per enum cert_kind */
	unsigned hs_role_mask;		/* bit 0 client, bit 1 server */
	double ktlsd_wait_s;		/* how long ktlsd may take to start */
	const char *ktlsd_global[8];	/* extra [global] lines for our ktlsd */
	unsigned n_ktlsd_global;
	int ttfb_nagle;			/* ttfb: leave Nagle on the client socket */
};

/* ---- child.c --------------------------------------------------------------- */

/* SIGTERM, then SIGKILL if pid has not exited within wait_s; reaped either way. */
void child_stop(pid_t pid, double wait_s);

/* ---- metrics.c ------------------------------------------------------------- */

double now_s(void);
double thread_cpu_s(void);		/* user + system of the calling thread */
double process_cpu_s(pid_t pid);	/* all threads of pid, from /proc; -1 if gone */
/* utime + stime + cutime + cstime of root and of every process below it
 * (parents from /proc/PID/stat), seconds; -1 if root is gone. */
double tree_cpu_s(pid_t root);
int thread_cycles_open(void);		/* perf_event_open cycles counter or -1 */
long long counter_read(int fd);		/* -1 if unavailable */

struct cpu_ticks {
	unsigned long long busy, softirq;	/* all CPUs, in clock ticks */
};
void cpu_ticks_read(struct cpu_ticks *t);
double cpu_ticks_seconds(unsigned long long ticks);

#define SHA256_LEN 32
/* Streaming check of a byte stream made of back-to-back copies of one object:
 * every object_size bytes must hash to want. */
struct object_check {
	gnutls_hash_hd_t hash;
	size_t object_size, in_object;
	uint8_t want[SHA256_LEN];
	unsigned long long objects_ok, objects_bad;
};
int object_check_init(struct object_check *oc, const uint8_t want[SHA256_LEN], size_t object_size);
void object_check_feed(struct object_check *oc, const void *buf, size_t len);
/* Objects completed and correct; a partial last object counts as bad. */
int object_check_done(struct object_check *oc, unsigned long long want_objects);
int sha256_file(int fd, size_t size, uint8_t out[SHA256_LEN]);

struct host_facts {
	char kernel[128], cpu_model[128], where[160];
	int emulated;			/* KTLSD_IN_VM=1 */
	unsigned cpus;
};
void host_facts_read(struct host_facts *h);

/* snprintf for messages that may be cut short (paths in reasons). */
void bench_text(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void bench_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void bench_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- tls_setup.c ------------------------------------------------------------- */

enum cert_kind { CERT_ECDSA_P256, CERT_RSA_2048 };
#define CERT_KIND_COUNT 2

struct cert_files {
	char cert[256], key[256];	/* PEM; the key file is mode 0600 */
};

/* Self-signed server certificates for BENCH_SERVER_NAME and 127.0.0.1 in dir. */
int certs_generate(const char *dir, enum cert_kind kind, struct cert_files *out);
const char *cert_kind_name(enum cert_kind kind);

/* The one priority every arm uses: TLS 1.3, one cipher, X25519. */
void bench_priority(int cipher, char *buf, size_t len);
const char *openssl_suite_name(int cipher);

struct tls_peer_creds {
	gnutls_certificate_credentials_t server, client;
};
int tls_creds_load(const struct cert_files *files, struct tls_peer_creds *out);
void tls_creds_free(struct tls_peer_creds *c);

/* A GnuTLS session on fd, ready for gnutls_handshake(); no session tickets. */
int tls_session_new(gnutls_session_t *out, int fd, int server, int cipher,
		    gnutls_certificate_credentials_t cred);
/* The same with session tickets: a server issues them under ticket_key
 * (gnutls_session_ticket_key_generate()), a client resumes from resume
 * (gnutls_session_get_data2(); NULL or empty: a full handshake, asking for
 * a ticket). */
int tls_session_new_resumable(gnutls_session_t *out, int fd, int server, int cipher,
			      gnutls_certificate_credentials_t cred,
			      const gnutls_datum_t *ticket_key, const gnutls_datum_t *resume);
/* Client, TLS 1.3: wait for the server's NewSessionTicket (up to timeout_ms)
 * and put the session to resume next time into *out (replaced; free with
 * gnutls_free()).  GnuTLS error code; GNUTLS_E_INVALID_SESSION when the
 * ticket is the one we had (not refreshed). */
int tls_collect_ticket(gnutls_session_t s, int fd, gnutls_datum_t *out, int timeout_ms);
int tls_handshake(gnutls_session_t session);
/* Both ends of a loopback pair in this process (the server end on a thread). */
int tls_handshake_pair(int server_fd, int client_fd, int cipher, const struct tls_peer_creds *c,
		       gnutls_session_t *server_out, gnutls_session_t *client_out);
/* Move a finished session into the kernel: TX and RX, or RX only. */
int tls_install(gnutls_session_t session, int fd, int rx_only);

/* ---- ktlsd_ctl.c ------------------------------------------------------------- */

struct ktlsd {
	pid_t pid;			/* 0: not ours (external) or not running */
	pid_t cpu_pid;			/* whose process tree is "ktlsd" in CPU sums; 0: unknown */
	char socket_path[256];
	char config_path[256];
	char log_path[256];
	int usable;
	double stop_wait_s;		/* SIGTERM, then this long before SIGKILL */
	char why_not[256];		/* when !usable */
};

/* Start ktlsd with server/client profiles per cipher and per certificate,
 * or attach to opts->ktlsd_socket.  Never fatal: sets k->usable. */
void ktlsd_start(struct ktlsd *k, const struct bench_opts *o, const struct cert_files *certs);
void ktlsd_stop(struct ktlsd *k);
/* NAME next to our own executable (build/ktls-bench -> build/NAME). */
void bench_sibling_path(const char *name, char *buf, size_t len);
/* Profile names in the config we write. */
void ktlsd_profile_name(char *buf, size_t len, int server, int cipher, enum cert_kind kind);
/* Handshake both ends of a loopback pair through the daemon. */
int ktlsd_handshake_pair(int server_fd, int client_fd, int cipher);
/* How a client asks about the wait for session tickets after its handshake. */
enum ktlsd_ticket_wait {
	KTLSD_TW_PROFILE,	/* the profile's ticket_wait = auto, nothing per request */
	KTLSD_TW_REQUEST,	/* auto, and the request says "I read with ktls_recv()" */
	KTLSD_TW_NONE,		/* a profile with ticket_wait = none */
	KTLSD_TW_KEEP,		/* as REQUEST, in a profile that waits up to 1 s for the
				 * ticket its cache keeps (ticket_wait = 1000ms) */
};
/* 1 if this libktls has the per-request "reads with ktls_recv()" flag. */
int ktlsd_has_recv_flag(void);
/* One end through the daemon, blocking (the handshake bench). */
int ktlsd_handshake_one(int fd, int server, int cipher, enum cert_kind kind,
			enum ktlsd_ticket_wait tw);

/* ---- sendfile arms ------------------------------------------------------------ */

enum arm_id {
	ARM_TCP_SENDFILE,	/* A */
	ARM_TCP_WRITE,		/* B */
	ARM_GNUTLS,		/* C */
	ARM_KTLS_WRITE,		/* D */
	ARM_KTLS_SENDFILE,	/* E */
	ARM_KTLS_SENDFILE_ZC,	/* E' */
	ARM_OPENSSL,		/* F: openssl s_server */
	ARM_NGINX,		/* F: nginx */
};
#define ARM_COUNT 8

struct arm_info {
	const char *tag;		/* "A".."F" as in the docs */
	char letter;			/* for --arms */
	const char *name;		/* short, for CSV and plots */
	const char *how;		/* one line for the table legend */
	int tls;			/* encrypts at all (runs per cipher) */
	int ktls_tx;			/* sender must show kTLS TX in tls_stat */
};
const struct arm_info *arm_info(enum arm_id arm);

struct cell_result {
	enum arm_id arm;
	int cipher;			/* 0 for plain TCP */
	size_t object_size;
	unsigned conns;
	char keys[48];			/* where the TLS keys came from */
	double seconds;
	unsigned long long bytes;
	double mb_per_s;
	double sender_cpu_s;		/* sender threads or server processes */
	long long sender_cycles;	/* sender threads, hardware counter; -1 if none */
	double softirq_s, machine_cpu_s;	/* all CPUs, /proc/stat */
	struct tls_counters ktls;	/* deltas while the cell's sockets were open */
	int verified;			/* 1 hashes matched, 0 mismatch */
	int ktls_ok;			/* kTLS engaged as the arm claims */
	int ran;			/* 0: skipped, see note */
	char note[160];
};

struct bench_ctx {
	const struct bench_opts *opts;
	struct host_facts host;
	struct cert_files certs[CERT_KIND_COUNT];
	struct tls_peer_creds creds;	/* ECDSA, for the data arms */
	struct ktlsd ktlsd;
	char work_dir[256];
	int own_work_dir;		/* made by us: removed at the end */
	int files[BENCH_MAX_SIZES];	/* one file per object size */
	char file_names[BENCH_MAX_SIZES][64];	/* relative to work_dir/www */
	uint8_t file_sha[BENCH_MAX_SIZES][SHA256_LEN];
};

/* sendfile_run.c: one (arm, cipher, size, conns) cell of the in-process arms. */
void run_cell(struct bench_ctx *ctx, unsigned size_index, struct cell_result *r);
/* external_arms.c: the same for ARM_OPENSSL / ARM_NGINX (servers per cipher). */
void run_external_cells(struct bench_ctx *ctx, enum arm_id arm, int cipher,
			struct cell_result *rows, unsigned *n_rows, unsigned max_rows);

/* ---- handshake_bench.c, handshake_report.c ----------------------------------------- */
int handshake_bench(struct bench_ctx *ctx);
/* ttfb.c: time to first response byte, full / resumed / 0-RTT (issue 12). */
int ttfb_bench(struct bench_ctx *ctx);
enum hs_list { HS_LIST_ARMS, HS_LIST_CERTS, HS_LIST_ROLES };
/* "ktlsd,inproc" -> a bit per arm (certificate, role); -1 on an unknown name. */
int hs_parse_list(enum hs_list what, const char *list, unsigned *mask);

/* ---- report.c ------------------------------------------------------------------ */
void report_header(const struct host_facts *h, const char *what);
void report_table(const struct cell_result *rows, unsigned n);
int report_csv(const char *path, const struct cell_result *rows, unsigned n,
	       const struct host_facts *h);
/* A CSV file whose first line names the run ("# ktls-bench WHAT; kernel ..."),
 * or NULL after a warning. */
FILE *report_csv_open(const char *path, const char *what, const struct host_facts *h);
int report_plots(const char *dir, const struct cell_result *rows, unsigned n,
		 const struct host_facts *h);
/* Run gnuplot on script (in dir); 0 if it exited 0. */
int run_gnuplot(const char *dir, const char *script);
double per_gb(double seconds, unsigned long long bytes);

#endif

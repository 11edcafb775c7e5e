// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ktls-bench: measure TLS data paths and handshake offload side by side.
 *
 *	ktls-bench sendfile [options]	arms A..F over loopback, table + CSV + plots
 *	ktls-bench handshake [options]	handshakes/s, latency, ktlsd's overhead
 *	ktls-bench ttfb [options]	first response byte: full, resumed, 0-RTT
 *
 * KTLS_BENCH_SHORT=1 turns either into a test: seconds long, one cipher,
 * every arm, exit status 1 if any arm failed its checks.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"
#include "support_io.h"

#define MAX_ROWS 512

static const char *const usage_text =
	"usage: ktls-bench sendfile [options]\n"
	"       ktls-bench handshake [options]\n"
	"       ktls-bench ttfb [options]\n"
	"sendfile options:\n"
	"  --duration S        timed pass per cell (default 3; 0.3 with KTLS_BENCH_SHORT=1)\n"
	"  --sizes LIST        object sizes, e.g. 4K,64K,1M,64M (the default)\n"
	"  --ciphers LIST      aes-128-gcm,aes-256-gcm,chacha20-poly1305 (the default)\n"
	"  --conns N           the \"many connections\" count (default: one per CPU)\n"
	"  --single            only 1 connection per cell\n"
	"  --arms LETTERS      A B C D E Z(=E') O(=openssl) N(=nginx); default all\n"
	"  --verify-objects N  objects per connection in the check pass (default 2)\n"
	"  --csv FILE          write every cell as CSV\n"
	"  --plots DIR         write gnuplot scripts, their data and PNGs there\n"
	"  --ktlsd PATH        the ktlsd binary to start (default: next to ktls-bench)\n"
	"  --ktlsd-socket PATH use a running ktlsd (its profiles: see bench/README.md)\n"
	"  --work-dir DIR      where files, certificates and configs go (default /tmp/...)\n"
	"handshake options:\n"
	"  --duration S        per cell (default 3; 0.5 with KTLS_BENCH_SHORT=1)\n"
	"  --concurrency LIST  handshakes in flight, a sweep (default 1,16,64; 1,2 short)\n"
	"  --handshakes N      N handshakes per worker per cell instead of a duration\n"
	"  --hs-arms LIST      inproc,ktlsd,ktlsd-auto,ktlsd-none,fork,inproc-resume,\n"
	"                      ktlsd-resume (default all)\n"
	"  --certs LIST        ecdsa,rsa (default both)\n"
	"  --roles LIST        client,server (default both)\n"
	"  --ktlsd-wait S      how long our ktlsd may take to start (default 60)\n"
	"  --ktlsd-global LINE a line for our ktlsd's [global], e.g. 'signers = 1' (up to 8)\n"
	"  --csv FILE, --plots DIR, --ktlsd, --ktlsd-socket, --work-dir as above\n"
	"ttfb options (a ktlsd client against ktls serve, one connection at a time):\n"
	"  --handshakes N      runs per mode: full, resumed, 0-RTT (default 20; 3 short)\n"
	"  --sizes SIZE        the object GET fetches: the first size (default 4K)\n"
	"  --nagle             no TCP_NODELAY on the client socket (ktlsd handshakes on it)\n"
	"  --csv FILE, --ktlsd, --ktlsd-wait, --work-dir as above\n";

static int parse_size(const char *s, size_t *out)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	switch (*end) {
	case 'K': case 'k': v <<= 10; end++; break;
	case 'M': case 'm': v <<= 20; end++; break;
	case 'G': case 'g': v <<= 30; end++; break;
	}
	if (*end || v == 0)
		return -1;
	*out = (size_t)v;
	return 0;
}

static int parse_sizes(const char *list, struct bench_opts *o)
{
	char buf[256], *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", list);
	o->n_sizes = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (o->n_sizes == BENCH_MAX_SIZES || parse_size(tok, &o->sizes[o->n_sizes++]) < 0)
			return -1;
	/* ascending, once each: the table and the plots rely on it */
	for (unsigned i = 1; i < o->n_sizes; i++)
		for (unsigned j = i; j > 0 && o->sizes[j - 1] >= o->sizes[j]; j--) {
			size_t t = o->sizes[j];

			if (o->sizes[j - 1] == t)
				return -1;
			o->sizes[j] = o->sizes[j - 1];
			o->sizes[j - 1] = t;
		}
	return o->n_sizes ? 0 : -1;
}

static int parse_ciphers(const char *list, struct bench_opts *o)
{
	char buf[256], *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", list);
	o->n_ciphers = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int c = ktls_cipher_from_name(tok);

		if (c < 0 || c == KTLS_CIPHER_AES_128_CCM || o->n_ciphers == BENCH_MAX_CIPHERS)
			return -1;
		o->ciphers[o->n_ciphers++] = c;
	}
	return o->n_ciphers ? 0 : -1;
}

static int parse_count(const char *s, unsigned max, unsigned *out);

/* Handshakes in flight: a list, kept ascending and unique (the plots'
 * x axis). */
static int parse_conc(const char *list, struct bench_opts *o)
{
	char buf[256], *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", list);
	o->n_hs_conc = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (o->n_hs_conc == BENCH_MAX_HS_CONC ||
		    parse_count(tok, BENCH_MAX_CONNS, &o->hs_conc[o->n_hs_conc++]) < 0)
			return -1;
	for (unsigned i = 1; i < o->n_hs_conc; i++)
		for (unsigned j = i; j > 0 && o->hs_conc[j - 1] >= o->hs_conc[j]; j--) {
			unsigned t = o->hs_conc[j];

			if (o->hs_conc[j - 1] == t)
				return -1;
			o->hs_conc[j] = o->hs_conc[j - 1];
			o->hs_conc[j - 1] = t;
		}
	return o->n_hs_conc ? 0 : -1;
}

static void set_defaults(struct bench_opts *o, unsigned cpus)
{
	memset(o, 0, sizeof(*o));
	o->short_mode = getenv("KTLS_BENCH_SHORT") && !strcmp(getenv("KTLS_BENCH_SHORT"), "1");
	o->duration_s = o->short_mode ? 0.3 : 3;
	o->hs_duration_s = o->short_mode ? 0.5 : 3;
	o->verify_objects = 2;
	parse_sizes(o->short_mode ? "4K,1M" : "4K,64K,1M,64M", o);
	parse_ciphers(o->short_mode ? "aes-128-gcm" : "aes-128-gcm,aes-256-gcm,chacha20-poly1305", o);
	o->conns_many = cpus < 2 ? 2 : cpus;
	(void)cpus;
	parse_conc(o->short_mode ? "1,2" : "1,16,64", o);
	o->hs_arm_mask = o->hs_cert_mask = o->hs_role_mask = ~0u;
	o->ktlsd_wait_s = 60;	/* the emulated VM probes ciphers slowly */
	o->arms = "ABCDEZON";
}

static int parse_count(const char *s, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*end || v == 0 || v > max)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static int parse_options(int argc, char **argv, struct bench_opts *o)
{
	static const struct option longopts[] = {
		{ "duration", required_argument, NULL, 'd' }, { "sizes", required_argument, NULL, 's' },
		{ "ciphers", required_argument, NULL, 'c' }, { "conns", required_argument, NULL, 'n' },
		{ "single", no_argument, NULL, '1' }, { "arms", required_argument, NULL, 'a' },
		{ "verify-objects", required_argument, NULL, 'v' },
		{ "csv", required_argument, NULL, 'o' }, { "plots", required_argument, NULL, 'p' },
		{ "ktlsd", required_argument, NULL, 'k' },
		{ "ktlsd-socket", required_argument, NULL, 'K' },
		{ "work-dir", required_argument, NULL, 'w' },
		{ "concurrency", required_argument, NULL, 'C' }, { "help", no_argument, NULL, 'h' },
		{ "handshakes", required_argument, NULL, 'H' },
		{ "hs-arms", required_argument, NULL, 'A' }, { "certs", required_argument, NULL, 'e' },
		{ "roles", required_argument, NULL, 'r' },
		{ "ktlsd-wait", required_argument, NULL, 'W' },
		{ "ktlsd-global", required_argument, NULL, 'G' },
		{ "nagle", no_argument, NULL, 'N' },
		{ NULL, 0, NULL, 0 },
	};
	int c, bad = 0;

	while (!bad && (c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': o->duration_s = o->hs_duration_s = strtod(optarg, NULL);
			  bad = o->duration_s <= 0; break;
		case 's': bad = parse_sizes(optarg, o) < 0; break;
		case 'c': bad = parse_ciphers(optarg, o) < 0; break;
		case 'n': bad = parse_count(optarg, BENCH_MAX_CONNS, &o->conns_many) < 0; break;
		case '1': o->only_one_conn = 1; break;
		case 'a': o->arms = optarg; break;
		case 'v': bad = parse_count(optarg, 1000, &o->verify_objects) < 0; break;
		case 'o': o->csv_path = optarg; break;
		case 'p': o->plot_dir = optarg; break;
		case 'k': o->ktlsd_path = optarg; break;
		case 'K': o->ktlsd_socket = optarg; break;
		case 'w': o->work_dir = optarg; break;
		case 'C': bad = parse_conc(optarg, o) < 0; break;
		case 'H': bad = parse_count(optarg, 1000000, &o->hs_handshakes) < 0; break;
		case 'A': bad = hs_parse_list(HS_LIST_ARMS, optarg, &o->hs_arm_mask) < 0; break;
		case 'e': bad = hs_parse_list(HS_LIST_CERTS, optarg, &o->hs_cert_mask) < 0; break;
		case 'r': bad = hs_parse_list(HS_LIST_ROLES, optarg, &o->hs_role_mask) < 0; break;
		case 'G': bad = o->n_ktlsd_global == 8 || strchr(optarg, '\n');
			  if (!bad)
				  o->ktlsd_global[o->n_ktlsd_global++] = optarg;
			  break;
		case 'W': o->ktlsd_wait_s = strtod(optarg, NULL); bad = o->ktlsd_wait_s <= 0; break;
		case 'N': o->ttfb_nagle = 1; break;
		case 'h': fputs(usage_text, stdout); exit(0);
		default: bad = 1;
		}
	}
	if (bad || optind != argc) {
		fputs(usage_text, stderr);
		return -1;
	}
	return 0;
}

/* ---- the run's files ----------------------------------------------------------------- */

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

/* Pseudo-random content (xorshift): incompressible, and a wrong byte
 * anywhere changes the hash. */
static int fill_file(int fd, size_t size)
{
	static uint64_t buf[8192];
	uint64_t x = 0x9e3779b97f4a7c15ull ^ size;

	for (size_t done = 0; done < size;) {
		size_t n = size - done < sizeof(buf) ? size - done : sizeof(buf);

		for (size_t i = 0; i < sizeof(buf) / sizeof(buf[0]); i++) {
			x ^= x << 13; x ^= x >> 7; x ^= x << 17;
			buf[i] = x;
		}
		if (io_write_all(fd, buf, n) < 0)
			return -1;
		done += n;
	}
	return 0;
}

static int make_files(struct bench_ctx *ctx)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/www", ctx->work_dir);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return -1;
	for (unsigned i = 0; i < ctx->opts->n_sizes; i++) {
		size_t size = ctx->opts->sizes[i];

		snprintf(ctx->file_names[i], sizeof(ctx->file_names[i]), "obj-%zu", size);
		snprintf(path, sizeof(path), "%s/www/%s", ctx->work_dir, ctx->file_names[i]);
		ctx->files[i] = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		/* Hashing reads it back: from here on it is in the page cache. */
		if (ctx->files[i] < 0 || fill_file(ctx->files[i], size) < 0 ||
		    sha256_file(ctx->files[i], size, ctx->file_sha[i]) < 0) {
			bench_warn("creating %s: %s", path, strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int context_open(struct bench_ctx *ctx, struct bench_opts *o)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->opts = o;
	host_facts_read(&ctx->host);
	for (unsigned i = 0; i < BENCH_MAX_SIZES; i++)
		ctx->files[i] = -1;
	if (o->work_dir) {
		snprintf(ctx->work_dir, sizeof(ctx->work_dir), "%s", o->work_dir);
		if (mkdir(ctx->work_dir, 0700) < 0 && errno != EEXIST)
			return -1;
	} else {
		snprintf(ctx->work_dir, sizeof(ctx->work_dir), "%s/ktls-bench.XXXXXX",
			 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
		if (!mkdtemp(ctx->work_dir))
			return -1;
		ctx->own_work_dir = 1;
	}
	o->work_dir = ctx->work_dir;
	for (int k = 0; k < CERT_KIND_COUNT; k++)
		if (certs_generate(ctx->work_dir, k, &ctx->certs[k]) < 0)
			return -1;
	if (tls_creds_load(&ctx->certs[CERT_ECDSA_P256], &ctx->creds) < 0)
		return -1;
	ktlsd_start(&ctx->ktlsd, o, ctx->certs);
	if (!ctx->ktlsd.usable)
		bench_warn("ktlsd unavailable (%s): arms that use it fall back to in-process "
			   "GnuTLS handshakes and say so", ctx->ktlsd.why_not);
	return 0;
}

static void context_close(struct bench_ctx *ctx)
{
	ktlsd_stop(&ctx->ktlsd);
	tls_creds_free(&ctx->creds);
	for (unsigned i = 0; i < BENCH_MAX_SIZES; i++)
		if (ctx->files[i] >= 0)
			close(ctx->files[i]);
	if (ctx->own_work_dir)
		nftw(ctx->work_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- the sendfile sweep ----------------------------------------------------------------- */

static int arm_selected(const struct bench_opts *o, enum arm_id arm)
{
	return strchr(o->arms, arm_info(arm)->letter) != NULL;
}

static void log_cell(const struct cell_result *r)
{
	const struct arm_info *a = arm_info(r->arm);
	char cycles[32] = "";

	if (!r->ran && !strncmp(r->note, "skipped:", 8)) {
		bench_log("%-3s %-17s %-17s %9zu B x%-3u %s", a->tag, a->name,
			  r->cipher ? ktls_cipher_name(r->cipher) : "-", r->object_size, r->conns,
			  r->note);
		return;
	}
	if (r->sender_cycles > 0 && r->bytes)
		snprintf(cycles, sizeof(cycles), "%6.2f cycles/B  ",
			 (double)r->sender_cycles / (double)r->bytes);
	bench_log("%-3s %-17s %-17s %9zu B x%-3u %9.2f MB/s  %7.2f s/GB  %s%s%s%s", a->tag, a->name,
		  r->cipher ? ktls_cipher_name(r->cipher) : "-", r->object_size, r->conns,
		  r->mb_per_s, per_gb(r->sender_cpu_s, r->bytes), cycles,
		  r->ran && r->verified && r->ktls_ok ? "ok" : "FAILED", r->note[0] ? ": " : "",
		  r->note);
}

static void sweep_in_process(struct bench_ctx *ctx, enum arm_id arm, int cipher,
			     struct cell_result *rows, unsigned *n)
{
	const struct bench_opts *o = ctx->opts;
	unsigned conns[2] = { 1, o->conns_many };

	for (unsigned s = 0; s < o->n_sizes; s++) {
		for (unsigned k = 0; k < (o->only_one_conn ? 1u : 2u) && *n < MAX_ROWS; k++) {
			struct cell_result *r = &rows[(*n)++];

			memset(r, 0, sizeof(*r));
			r->arm = arm;
			r->cipher = cipher;
			r->conns = conns[k];
			run_cell(ctx, s, r);
			log_cell(r);
		}
	}
}

static unsigned sweep(struct bench_ctx *ctx, struct cell_result *rows)
{
	const struct bench_opts *o = ctx->opts;
	unsigned n = 0;

	for (int arm = 0; arm < ARM_COUNT; arm++) {
		if (!arm_selected(o, arm))
			continue;
		if (!arm_info(arm)->tls) {
			sweep_in_process(ctx, arm, 0, rows, &n);
			continue;
		}
		for (unsigned c = 0; c < o->n_ciphers; c++) {
			unsigned first = n;

			if (arm == ARM_OPENSSL || arm == ARM_NGINX)
				run_external_cells(ctx, arm, o->ciphers[c], rows, &n, MAX_ROWS);
			else
				sweep_in_process(ctx, arm, o->ciphers[c], rows, &n);
			for (unsigned i = first; i < n && (arm == ARM_OPENSSL || arm == ARM_NGINX); i++)
				log_cell(&rows[i]);
		}
	}
	return n;
}

/* Short mode's verdict: every cell that ran moved verified bytes and used
 * kTLS exactly as its arm claims; a cell may be skipped only for a missing
 * external program. */
static int count_failures(const struct cell_result *rows, unsigned n)
{
	int failures = 0;

	for (unsigned i = 0; i < n; i++)
		if (rows[i].ran ? !(rows[i].verified && rows[i].ktls_ok && rows[i].bytes > 0)
				: strncmp(rows[i].note, "skipped:", 8) != 0)
			failures++;
	return failures;
}

static int cmd_sendfile(struct bench_ctx *ctx)
{
	struct cell_result *rows = calloc(MAX_ROWS, sizeof(*rows));
	unsigned n;
	int failures, rc = 0;

	if (!rows || make_files(ctx) < 0) {
		free(rows);
		return 2;
	}
	report_header(&ctx->host, "sendfile");
	printf("ktlsd: %s\n", ctx->ktlsd.usable ? ctx->ktlsd.socket_path : ctx->ktlsd.why_not);
	fflush(stdout);
	n = sweep(ctx, rows);
	report_table(rows, n);
	if (ctx->opts->csv_path && report_csv(ctx->opts->csv_path, rows, n, &ctx->host) < 0)
		rc = 2;
	if (ctx->opts->plot_dir && report_plots(ctx->opts->plot_dir, rows, n, &ctx->host) < 0)
		bench_warn("plots were not made (see above)");
	failures = count_failures(rows, n);
	printf("\n%u cells, %d failed their checks\n", n, failures);
	free(rows);
	if (failures && ctx->opts->short_mode)
		rc = 1;
	return rc;
}

int main(int argc, char **argv)
{
	struct bench_opts opts;
	struct bench_ctx ctx;
	struct host_facts host;
	const char *cmd = argc > 1 ? argv[1] : "";
	int rc;

	memset(&ctx, 0, sizeof(ctx));
	host_facts_read(&host);
	set_defaults(&opts, host.cpus);
	if (strcmp(cmd, "sendfile") && strcmp(cmd, "handshake") && strcmp(cmd, "ttfb")) {
		fputs(usage_text, strcmp(cmd, "--help") ? stderr : stdout);
		return strcmp(cmd, "--help") ? 2 : 0;
	}
	if (!strcmp(cmd, "ttfb"))
		parse_sizes("4K", &opts);	/* one small object, not the sweep's */
	if (parse_options(argc - 1, argv + 1, &opts) < 0)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (gnutls_global_init() < 0)
		return 2;
	if (context_open(&ctx, &opts) < 0) {
		bench_warn("cannot set up the run: %s", strerror(errno));
		context_close(&ctx);
		return 2;
	}
	if (!strcmp(cmd, "ttfb"))
		rc = make_files(&ctx) < 0 ? 2 : ttfb_bench(&ctx);
	else
		rc = !strcmp(cmd, "sendfile") ? cmd_sendfile(&ctx) : handshake_bench(&ctx);
	context_close(&ctx);
	gnutls_global_deinit();
	return rc;
}

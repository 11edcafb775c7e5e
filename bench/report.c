// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Output of `ktls-bench sendfile`: the header every run prints, a plain
 * text table grouped by (cipher, object size, connections) with ratios to
 * arm A (plain TCP sendfile, the ceiling) and arm C (userspace GnuTLS),
 * CSV with every number, and gnuplot scripts + PNGs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

double per_gb(double seconds, unsigned long long bytes)
{
	return bytes ? seconds / ((double)bytes / 1e9) : 0;
}

void report_header(const struct host_facts *h, const char *what)
{
	char when[64];
	time_t t = time(NULL);

	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %Z", localtime(&t));
	printf("ktls-bench %s -- %s\n", what, when);
	printf("kernel: %s\ncpu: %s (%u online)\nrun: %s\nGnuTLS: %s\n", h->kernel, h->cpu_model,
	       h->cpus, h->where, gnutls_check_version(NULL));
	if (h->emulated)
		printf("NOTE: emulated VM (QEMU TCG, no KVM): every instruction, AES-NI included, is\n"
		       "      emulated.  Absolute numbers and crypto-bound ratios are NOT meaningful;\n"
		       "      only that each arm works and which path it took is.  Run natively\n"
		       "      on a kTLS host (as root) for real numbers.\n");
}

static void size_label(size_t size, char *buf, size_t len)
{
	if (size % (1 << 20) == 0)
		snprintf(buf, len, "%zu MiB", size >> 20);
	else if (size % 1024 == 0)
		snprintf(buf, len, "%zu KiB", size >> 10);
	else
		snprintf(buf, len, "%zu B", size);
}

static const struct cell_result *find_row(const struct cell_result *rows, unsigned n,
					  enum arm_id arm, int cipher, size_t size, unsigned conns)
{
	for (unsigned i = 0; i < n; i++)
		if (rows[i].arm == arm && rows[i].cipher == cipher && rows[i].object_size == size &&
		    rows[i].conns == conns && rows[i].ran && rows[i].mb_per_s > 0)
			return &rows[i];
	return NULL;
}

static void ratio(char *buf, size_t len, const struct cell_result *r, const struct cell_result *base)
{
	if (!base || !r->ran || r->mb_per_s <= 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, r->mb_per_s / base->mb_per_s < 0.1 ? "%.3f" : "%.2f",
			 r->mb_per_s / base->mb_per_s);
}

static const char *check_word(const struct cell_result *r)
{
	if (!r->ran)
		return strncmp(r->note, "skipped:", 8) ? "FAIL" : "skip";
	return r->verified && r->ktls_ok ? "ok" : "FAIL";
}

static void print_row(const struct cell_result *r, const struct cell_result *rows, unsigned n,
		      int group_cipher)
{
	const struct arm_info *a = arm_info(r->arm);
	char vs_a[16], vs_c[16];

	ratio(vs_a, sizeof(vs_a), r, find_row(rows, n, ARM_TCP_SENDFILE, 0, r->object_size, r->conns));
	ratio(vs_c, sizeof(vs_c), r, find_row(rows, n, ARM_GNUTLS, group_cipher, r->object_size,
					      r->conns));
	if (!r->ran) {
		printf("  %-3s %-17s %9s  %s: %s\n", a->tag, a->name, "-", check_word(r), r->note);
		return;
	}
	printf("  %-3s %-17s %9.*f %5s %5s %8.2f %8.2f %8.2f %4lld/%-4lld %-4s %s%s%s\n", a->tag,
	       a->name, r->mb_per_s < 10 ? 2 : 1, r->mb_per_s, vs_a, vs_c, per_gb(r->sender_cpu_s, r->bytes),
	       per_gb(r->softirq_s, r->bytes), per_gb(r->machine_cpu_s, r->bytes), r->ktls.tx_sw,
	       r->ktls.rx_sw, check_word(r), r->keys, r->note[0] ? "; " : "", r->note);
}

/* The distinct values of one column, in order of first appearance. */
static unsigned distinct_ciphers(const struct cell_result *rows, unsigned n, int *out)
{
	unsigned k = 0;

	for (unsigned i = 0; i < n; i++) {
		unsigned j;

		for (j = 0; j < k && out[j] != rows[i].cipher; j++)
			;
		if (j == k && rows[i].cipher && k < BENCH_MAX_CIPHERS)
			out[k++] = rows[i].cipher;
	}
	return k;
}

static void print_group(const struct cell_result *rows, unsigned n, int cipher, size_t size,
			unsigned conns)
{
	char label[32];
	int any = 0;

	for (unsigned i = 0; i < n && !any; i++)
		any = rows[i].object_size == size && rows[i].conns == conns;
	if (!any)
		return;
	size_label(size, label, sizeof(label));
	printf("\n== %s, %s objects, %u connection%s\n", cipher ? ktls_cipher_name(cipher) : "no TLS",
	       label, conns, conns == 1 ? "" : "s");
	printf("  %-3s %-17s %9s %5s %5s %8s %8s %8s %9s %-4s %s\n", "arm", "", "MB/s", "xA",
	       "xC", "sndCPU", "softirq", "allCPU", "kTLS", "chk", "keys");
	for (int arm = 0; arm < ARM_COUNT; arm++)
		for (unsigned i = 0; i < n; i++)
			if ((int)rows[i].arm == arm && rows[i].object_size == size &&
			    rows[i].conns == conns && (rows[i].cipher == cipher || !rows[i].cipher))
				print_row(&rows[i], rows, n, cipher);
}

void report_table(const struct cell_result *rows, unsigned n)
{
	int ciphers[BENCH_MAX_CIPHERS];
	unsigned n_ciphers = distinct_ciphers(rows, n, ciphers);
	size_t sizes[64];
	unsigned conns[2] = { 1, 0 }, n_sizes = 0;

	for (unsigned i = 0; i < n; i++) {
		unsigned j;

		for (j = 0; j < n_sizes && sizes[j] != rows[i].object_size; j++)
			;
		if (j == n_sizes && n_sizes < 64)
			sizes[n_sizes++] = rows[i].object_size;
		if (rows[i].conns > 1)
			conns[1] = rows[i].conns;
	}
	printf("\narms:\n");
	for (int arm = 0; arm < ARM_COUNT; arm++)
		printf("  %-3s %-17s %s\n", arm_info(arm)->tag, arm_info(arm)->name,
		       arm_info(arm)->how);
	printf("\nMB/s: payload bytes received / time; xA, xC: MB/s relative to arm A (plain TCP\n"
	       "sendfile) and arm C (GnuTLS); sndCPU: sender CPU seconds per GB sent (thread\n"
	       "getrusage, or the server processes for F); softirq, allCPU: whole machine\n"
	       "(/proc/stat) per GB; kTLS: /proc/net/tls_stat TlsTxSw/TlsRxSw installs during the\n"
	       "cell, both ends; chk: SHA-256 check pass + byte counts + tls_stat as the arm claims.\n");
	if (!n_ciphers)
		ciphers[n_ciphers++] = 0;
	for (unsigned c = 0; c < n_ciphers; c++)
		for (unsigned s = 0; s < n_sizes; s++)
			for (unsigned k = 0; k < 2; k++)
				if (conns[k])
					print_group(rows, n, ciphers[c], sizes[s], conns[k]);
}

/* -1 where there was no hardware counter. */
static double cycles_per_byte(const struct cell_result *r)
{
	return r->sender_cycles < 0 || !r->bytes ? -1 : (double)r->sender_cycles / (double)r->bytes;
}

/* ---- CSV ------------------------------------------------------------------------------- */

static void csv_text(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

FILE *report_csv_open(const char *path, const char *what, const struct host_facts *h)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		bench_warn("cannot write %s: %s", path, strerror(errno));
		return NULL;
	}
	fprintf(f, "# ktls-bench %s; kernel %s; cpu %s; %s\n", what, h->kernel, h->cpu_model,
		h->where);
	return f;
}

int report_csv(const char *path, const struct cell_result *rows, unsigned n,
	       const struct host_facts *h)
{
	FILE *f = report_csv_open(path, "sendfile", h);

	if (!f)
		return -1;
	fprintf(f, "arm,name,cipher,object_bytes,conns,keys,seconds,bytes,mb_per_s,sender_cpu_s,"
		   "sender_cpu_s_per_gb,sender_cycles_per_byte,softirq_s_per_gb,machine_cpu_s_per_gb,"
		   "tls_tx_sw,tls_rx_sw,"
		   "tls_curr_tx_sw,tls_curr_rx_sw,tls_decrypt_error,ran,verified,ktls_ok,note\n");
	for (unsigned i = 0; i < n; i++) {
		const struct cell_result *r = &rows[i];

		fprintf(f, "%s,%s,%s,%zu,%u,", arm_info(r->arm)->tag, arm_info(r->arm)->name,
			r->cipher ? ktls_cipher_name(r->cipher) : "-", r->object_size, r->conns);
		csv_text(f, r->keys);
		fprintf(f, ",%.4f,%llu,%.2f,%.4f,%.4f,%.3f,%.4f,%.4f,%lld,%lld,%lld,%lld,%lld,%d,%d,%d,",
			r->seconds, r->bytes, r->mb_per_s, r->sender_cpu_s,
			per_gb(r->sender_cpu_s, r->bytes), cycles_per_byte(r),
			per_gb(r->softirq_s, r->bytes),
			per_gb(r->machine_cpu_s, r->bytes), r->ktls.tx_sw, r->ktls.rx_sw,
			r->ktls.curr_tx_sw, r->ktls.curr_rx_sw, r->ktls.decrypt_error, r->ran,
			r->verified, r->ktls_ok);
		csv_text(f, r->note);
		fputc('\n', f);
	}
	return fclose(f) == 0 ? 0 : -1;
}

/* ---- plots -------------------------------------------------------------------------------- */

static int arm_has_data(const struct cell_result *rows, unsigned n, enum arm_id arm, int cipher,
			unsigned conns)
{
	for (unsigned i = 0; i < n; i++)
		if (find_row(rows, n, arm, arm_info(arm)->tls ? cipher : 0, rows[i].object_size, conns))
			return 1;
	return 0;
}

/* One table per (cipher, conns): a row per object size, a column per arm,
 * "?" where a cell is missing (gnuplot's missing-data marker).  Returns a
 * bit per arm that has data (only those are plotted), or -1.  *max, *min
 * track the extremes, for the choice of scale. */
static int write_plot_data(const char *path, const struct cell_result *rows, unsigned n,
			   int cipher, unsigned conns, int cpu, double *max, double *min)
{
	FILE *f = fopen(path, "w");
	int with_data = 0;
	size_t last = 0;

	if (!f)
		return -1;
	fprintf(f, "size");
	for (int arm = 0; arm < ARM_COUNT; arm++) {
		fprintf(f, " %s", arm_info(arm)->name);
		if (arm_has_data(rows, n, arm, cipher, conns))
			with_data |= 1 << arm;
	}
	fputc('\n', f);
	for (unsigned i = 0; i < n; i++) {
		char label[32];

		if (rows[i].object_size <= last)
			continue;	/* sizes come in ascending order per arm */
		last = rows[i].object_size;
		size_label(last, label, sizeof(label));
		fprintf(f, "\"%s\"", label);
		for (int arm = 0; arm < ARM_COUNT; arm++) {
			const struct cell_result *r = find_row(rows, n, arm,
							       arm_info(arm)->tls ? cipher : 0, last, conns);
			double v = r ? (cpu ? per_gb(r->sender_cpu_s, r->bytes) : r->mb_per_s) : 0;

			if (v <= 0) {
				fprintf(f, " ?");
				continue;
			}
			fprintf(f, " %.3f", v);
			*max = v > *max ? v : *max;
			*min = *min == 0 || v < *min ? v : *min;
		}
		fputc('\n', f);
	}
	return fclose(f) == 0 ? with_data : -1;
}

/* Scripts name their files relative to their own directory (gnuplot runs
 * there), so a copied results directory can be re-plotted. */
static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* One histogram; every arm keeps its colour across panels and plots. */
static void plot_panel(FILE *f, const char *title, const char *dat, int with_data)
{
	const char *sep = "plot ";

	fprintf(f, "set title '%s'\n", title);
	if (!with_data) {
		fprintf(f, "set label 1 'no data' at graph 0.5,0.5 center\n"
			   "plot 2 notitle lc rgb 'white'\nunset label 1\n");
		return;
	}
	for (int arm = 0; arm < ARM_COUNT; arm++) {
		if (!(with_data & (1 << arm)))
			continue;
		fprintf(f, "%s'%s' using %d:xtic(1) title columnheader(%d) lc %d", sep,
			base_name(dat), arm + 2, arm + 2, arm + 1);
		sep = ", \\\n     ";
	}
	fputc('\n', f);
}

/* A log scale when the arms differ by more than 20x (plain TCP against
 * emulated crypto, say): otherwise the TLS arms would be invisible. */
static void write_plot_script(FILE *f, const char *png, const char *title, const char *ylabel,
			      const char *dat1, int with1, const char *datn, int with_n,
			      unsigned conns_many, int log_scale)
{
	char panel[64];

	fprintf(f, "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
		   "  set terminal pngcairo size 1400,560 noenhanced font ',10'\n"
		   "} else {\n  set terminal png size 1400,560 noenhanced\n}\n"
		   "set output '%s'\nset datafile missing '?'\nset style data histogram\n"
		   "set style histogram cluster gap 1\nset style fill solid 0.8 border -1\n"
		   "set boxwidth 0.9\nset grid ytics\nset key below\n"
		   "set ylabel '%s%s'\n%s"
		   "set multiplot layout 1,%d title '%s'\n",
		base_name(png), ylabel, log_scale ? ", log scale" : "",
		log_scale ? "set logscale y\n" : "set yrange [0:*]\n", datn ? 2 : 1, title);
	plot_panel(f, "1 connection", dat1, with1);
	if (datn) {
		snprintf(panel, sizeof(panel), "%u connections", conns_many);
		plot_panel(f, panel, datn, with_n);
	}
	fprintf(f, "unset multiplot\n");
}

static int plot_one(const char *dir, const struct cell_result *rows, unsigned n, int cipher,
		    unsigned conns_many, int cpu, const struct host_facts *h)
{
	const char *metric = cpu ? "cpu" : "throughput";
	const char *cname = cipher ? ktls_cipher_name(cipher) : "plain-TCP";
	char dat1[512], datn[512], script[512], png[512], title[256];
	double max = 0, min = 0;
	int with1, with_n = 0;
	FILE *f;

	snprintf(dat1, sizeof(dat1), "%s/%s-%s-1.dat", dir, metric, cname);
	snprintf(datn, sizeof(datn), "%s/%s-%s-n.dat", dir, metric, cname);
	snprintf(script, sizeof(script), "%s/%s-%s.gp", dir, metric, cname);
	snprintf(png, sizeof(png), "%s/%s-%s.png", dir, metric, cname);
	with1 = write_plot_data(dat1, rows, n, cipher, 1, cpu, &max, &min);
	if (conns_many)
		with_n = write_plot_data(datn, rows, n, cipher, conns_many, cpu, &max, &min);
	if (with1 < 0 || with_n < 0)
		return -1;
	snprintf(title, sizeof(title), "%s %s, %s%s", metric, cname, h->kernel,
		 h->emulated ? " -- EMULATED VM: absolute numbers not meaningful" : "");
	f = fopen(script, "w");
	if (!f)
		return -1;
	write_plot_script(f, png, title,
			  cpu ? "sender CPU seconds per GB (lower is better)" : "MB/s (higher is better)",
			  dat1, with1, conns_many ? datn : NULL, with_n, conns_many,
			  min > 0 && max / min > 20);
	fclose(f);
	return run_gnuplot(dir, script);
}

int run_gnuplot(const char *dir, const char *script)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (chdir(dir) < 0)
			_exit(127);
		execlp("gnuplot", "gnuplot", script, (char *)NULL);
		bench_warn("gnuplot: %s (install gnuplot-nox for plots)", strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -1;
	return 0;
}

int report_plots(const char *dir, const struct cell_result *rows, unsigned n,
		 const struct host_facts *h)
{
	int ciphers[BENCH_MAX_CIPHERS], rc = 0;
	unsigned n_ciphers = distinct_ciphers(rows, n, ciphers), conns_many = 0;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		bench_warn("mkdir %s: %s", dir, strerror(errno));
		return -1;
	}
	for (unsigned i = 0; i < n; i++)
		if (rows[i].conns > 1)
			conns_many = rows[i].conns;
	if (!n_ciphers)
		ciphers[n_ciphers++] = 0;	/* only plain TCP arms ran */
	for (unsigned c = 0; c < n_ciphers; c++)
		for (int cpu = 0; cpu < 2; cpu++)
			if (plot_one(dir, rows, n, ciphers[c], conns_many, cpu, h) < 0)
				rc = -1;
	if (rc == 0)
		printf("plots: %s/{throughput,cpu}-CIPHER.png\n", dir);
	return rc;
}

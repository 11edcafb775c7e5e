// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `ktls-bench handshake`: the sweep over (certificate, role, arm) at the
 * chosen concurrency, then ktlsd's own overhead at concurrency 1, and the
 * output: table, CSV, one gnuplot chart.
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench.h"
#include "handshake_bench.h"

/* the sweep at the chosen concurrency, then the overhead cells (each arm
 * in both roles at concurrency 1, ECDSA) */
#define MAIN_CELLS (CERT_KIND_COUNT * 2 * HS_ARM_COUNT)
#define MAX_CELLS (MAIN_CELLS + 2 * HS_ARM_COUNT)

static const char *role_name(enum hs_role role)
{
	return role == HS_ROLE_SERVER ? "server" : "client";
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Percentile q (0..1) of one field of the samples, in milliseconds. */
static double percentile_ms(const struct hs_samples *s, size_t field, double q)
{
	double *v, result;
	size_t idx;

	if (!s->n || !(v = malloc(s->n * sizeof(*v))))
		return 0;
	for (size_t i = 0; i < s->n; i++)
		v[i] = *(const double *)((const char *)&s->v[i] + field);
	qsort(v, s->n, sizeof(*v), cmp_double);
	idx = (size_t)ceil(q * (double)s->n);
	idx = idx ? idx - 1 : 0;
	result = v[idx] * 1000;
	free(v);
	return result;
}

#define P_TOTAL(s, q) percentile_ms(s, offsetof(struct hs_sample, total), q)
#define P_DISPATCH(s, q) percentile_ms(s, offsetof(struct hs_sample, dispatch), q)
#define P_COMPLETION(s, q) percentile_ms(s, offsetof(struct hs_sample, completion), q)

static double rate(const struct hs_cell *c)
{
	return c->seconds > 0 ? (double)c->samples.n / c->seconds : 0;
}

/* Did it work as claimed: handshakes done, none failed, each left kTLS
 * TX on the subject's socket (our peers never install keys). */
static int cell_ok(const struct hs_cell *c)
{
	return c->samples.n > 0 && c->failures == 0 &&
	       (c->tls_tx_sw < 0 || c->tls_tx_sw >= (long long)c->samples.n);
}

static void run_one(struct bench_ctx *ctx, struct hs_cell *c, const struct tls_peer_creds *creds,
		    unsigned concurrency)
{
	c->creds = &creds[c->cert];
	c->files = &ctx->certs[c->cert];
	if (c->arm == HS_KTLSD && !ctx->ktlsd.usable) {
		bench_text(c->error, sizeof(c->error), "skipped: ktlsd unavailable (%s)",
			 ctx->ktlsd.why_not);
		return;
	}
	c->ran = 1;
	hs_run_cell(c, concurrency, ctx->opts->hs_duration_s);
	bench_log("handshake %-10s %-6s %-6s x%u: %7.1f/s p50 %7.2f ms p99 %7.2f ms, %u failed%s%s",
		  cert_kind_name(c->cert), role_name(c->role), hs_arm_name(c->arm), concurrency,
		  rate(c), P_TOTAL(&c->samples, 0.5), P_TOTAL(&c->samples, 0.99), c->failures,
		  c->error[0] ? ": " : "", c->error);
}

/* ---- output ------------------------------------------------------------------------------ */

static void print_table(const struct hs_cell *cells, unsigned n, unsigned concurrency)
{
	printf("\n== handshakes: TLS 1.3, AES-128-GCM, X25519, client verifies; concurrency %u\n",
	       concurrency);
	printf("  %-10s %-6s %-6s %9s %9s %9s %7s %5s %7s %-4s %s\n", "cert", "role", "arm", "hs/s",
	       "p50 ms", "p99 ms", "count", "fail", "kTLS tx", "chk", "");
	for (unsigned i = 0; i < n && i < MAIN_CELLS; i++) {
		const struct hs_cell *c = &cells[i];

		if (!c->ran) {
			printf("  %-10s %-6s %-6s %9s  %s\n", cert_kind_name(c->cert), role_name(c->role),
			       hs_arm_name(c->arm), "-", c->error);
			continue;
		}
		printf("  %-10s %-6s %-6s %9.1f %9.2f %9.2f %7zu %5u %7lld %-4s %s\n",
		       cert_kind_name(c->cert), role_name(c->role), hs_arm_name(c->arm), rate(c),
		       P_TOTAL(&c->samples, 0.5), P_TOTAL(&c->samples, 0.99), c->samples.n,
		       c->failures, c->tls_tx_sw, cell_ok(c) ? "ok" : "FAIL", c->error);
	}
}

static const struct hs_cell *overhead_cell(const struct hs_cell *cells, unsigned n,
					   enum hs_arm arm, enum hs_role role)
{
	for (unsigned i = MAIN_CELLS; i < n; i++)
		if (cells[i].arm == arm && cells[i].role == role && cells[i].ran &&
		    cells[i].samples.n)
			return &cells[i];
	return NULL;
}

/* Dispatch is clean in the client role (the ClientHello is the subject's
 * first act), completion in the server role (the peer client is done once
 * its Finished is sent; the subject then checks it, installs the keys and,
 * through ktlsd, replies). */
static void print_overhead(const struct hs_cell *cells, unsigned n)
{
	double dispatch[HS_ARM_COUNT] = { 0 }, completion[HS_ARM_COUNT] = { 0 };
	int have[HS_ARM_COUNT] = { 0 };

	printf("\n== per-handshake phases at concurrency 1, ECDSA-P256 (p50, ms)\n"
	       "  dispatch:   client role, the call -> its ClientHello at the peer\n"
	       "  completion: server role, the peer sent its Finished -> the call returned\n");
	printf("  %-6s %12s %10s %12s %11s\n", "arm", "client total", "dispatch", "server total",
	       "completion");
	for (int arm = 0; arm < HS_ARM_COUNT; arm++) {
		const struct hs_cell *c = overhead_cell(cells, n, arm, HS_ROLE_CLIENT);
		const struct hs_cell *s = overhead_cell(cells, n, arm, HS_ROLE_SERVER);

		if (!c || !s)
			continue;
		have[arm] = 1;
		dispatch[arm] = P_DISPATCH(&c->samples, 0.5);
		completion[arm] = P_COMPLETION(&s->samples, 0.5);
		printf("  %-6s %12.3f %10.3f %12.3f %11.3f\n", hs_arm_name(arm),
		       P_TOTAL(&c->samples, 0.5), dispatch[arm], P_TOTAL(&s->samples, 0.5),
		       completion[arm]);
	}
	if (have[HS_INPROC] && have[HS_KTLSD])
		printf("  ktlsd's own cost per handshake (ktlsd - inproc): dispatch %+.3f ms (connect to\n"
		       "  the daemon, request + fd passing, queueing, session set-up), completion %+.3f ms\n"
		       "  (key install in the daemon, reply, our receive): about %+.3f ms\n",
		       dispatch[HS_KTLSD] - dispatch[HS_INPROC],
		       completion[HS_KTLSD] - completion[HS_INPROC],
		       dispatch[HS_KTLSD] - dispatch[HS_INPROC] + completion[HS_KTLSD] -
		       completion[HS_INPROC]);
}

static int write_csv(const char *path, const struct hs_cell *cells, unsigned n,
		     const struct host_facts *h)
{
	FILE *f = report_csv_open(path, "handshake", h);

	if (!f)
		return -1;
	fprintf(f, "cert,role,arm,concurrency,handshakes,failures,seconds,per_s,p50_ms,p99_ms,"
		   "dispatch_p50_ms,completion_p50_ms,tls_tx_sw,ran,ok,error\n");
	for (unsigned i = 0; i < n; i++) {
		const struct hs_cell *c = &cells[i];

		fprintf(f, "%s,%s,%s,%u,%zu,%u,%.3f,%.2f,%.3f,%.3f,%.3f,%.3f,%lld,%d,%d,\"%s\"\n",
			cert_kind_name(c->cert), role_name(c->role), hs_arm_name(c->arm),
			c->concurrency, c->samples.n, c->failures, c->seconds, rate(c),
			P_TOTAL(&c->samples, 0.5), P_TOTAL(&c->samples, 0.99),
			P_DISPATCH(&c->samples, 0.5), P_COMPLETION(&c->samples, 0.5), c->tls_tx_sw,
			c->ran, c->ran && cell_ok(c), c->error);
	}
	return fclose(f) == 0 ? 0 : -1;
}

static int write_plot(const char *dir, const struct hs_cell *cells, unsigned n,
		      unsigned concurrency, const struct host_facts *h)
{
	char dat[512], script[512];
	FILE *f;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -1;
	snprintf(dat, sizeof(dat), "%s/handshake.dat", dir);
	snprintf(script, sizeof(script), "%s/handshake.gp", dir);
	if (!(f = fopen(dat, "w")))
		return -1;
	fprintf(f, "case inproc ktlsd fork\n");
	for (unsigned i = 0; i + HS_ARM_COUNT <= n && i < MAIN_CELLS; i += HS_ARM_COUNT) {
		fprintf(f, "\"%s %s\"", cert_kind_name(cells[i].cert), role_name(cells[i].role));
		for (unsigned a = 0; a < HS_ARM_COUNT; a++)
			fprintf(f, cells[i + a].ran ? " %.2f" : " ?", rate(&cells[i + a]));
		fputc('\n', f);
	}
	fclose(f);
	if (!(f = fopen(script, "w")))
		return -1;
	fprintf(f, "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
		   "  set terminal pngcairo size 1000,500 noenhanced font ',10'\n"
		   "} else {\n  set terminal png size 1000,500 noenhanced\n}\n"
		   "set output 'handshake.png'\nset datafile missing '?'\n"
		   "set style data histogram\nset style histogram cluster gap 1\n"
		   "set style fill solid 0.8 border -1\nset grid ytics\nset yrange [0:*]\n"
		   "set ylabel 'handshakes/s (higher is better)'\n"
		   "set title 'TLS 1.3 handshakes, concurrency %u, %s%s'\n"
		   "plot for [i=2:4] 'handshake.dat' using i:xtic(1) title columnheader(i)\n",
		concurrency, h->kernel, h->emulated ? " -- EMULATED VM: not meaningful" : "");
	fclose(f);
	return run_gnuplot(dir, "handshake.gp");
}

/* ---- the sweep ----------------------------------------------------------------------------------- */

static unsigned sweep(struct bench_ctx *ctx, struct hs_cell *cells,
		      const struct tls_peer_creds *creds)
{
	unsigned n = 0, conc = ctx->opts->hs_concurrency;

	for (int cert = 0; cert < CERT_KIND_COUNT; cert++)
		for (int role = HS_ROLE_CLIENT; role <= HS_ROLE_SERVER; role++)
			for (int arm = 0; arm < HS_ARM_COUNT; arm++) {
				cells[n] = (struct hs_cell){ .arm = arm, .role = role, .cert = cert,
							     .concurrency = conc };
				run_one(ctx, &cells[n++], creds, conc);
			}
	for (int role = HS_ROLE_CLIENT; role <= HS_ROLE_SERVER; role++)
		for (int arm = 0; arm < HS_ARM_COUNT; arm++) {
			cells[n] = (struct hs_cell){ .arm = arm, .role = role,
						     .cert = CERT_ECDSA_P256, .concurrency = 1 };
			run_one(ctx, &cells[n++], creds, 1);
		}
	return n;
}

int handshake_bench(struct bench_ctx *ctx)
{
	static struct hs_cell cells[MAX_CELLS];
	struct tls_peer_creds creds[CERT_KIND_COUNT];
	unsigned n, failed = 0;

	for (int k = 0; k < CERT_KIND_COUNT; k++)
		if (tls_creds_load(&ctx->certs[k], &creds[k]) < 0)
			return 2;
	report_header(&ctx->host, "handshake");
	printf("ktlsd: %s\n", ctx->ktlsd.usable ? ctx->ktlsd.socket_path : ctx->ktlsd.why_not);
	n = sweep(ctx, cells, creds);
	print_table(cells, n, ctx->opts->hs_concurrency);
	print_overhead(cells, n);
	for (unsigned i = 0; i < n; i++)
		if (cells[i].ran && !cell_ok(&cells[i]))
			failed++;
	if (ctx->opts->csv_path)
		write_csv(ctx->opts->csv_path, cells, n, &ctx->host);
	if (ctx->opts->plot_dir && write_plot(ctx->opts->plot_dir, cells, n,
					      ctx->opts->hs_concurrency, &ctx->host) < 0)
		bench_warn("the handshake plot was not made");
	printf("\n%u cells, %u failed their checks\n", n, failed);
	for (unsigned i = 0; i < n; i++)
		free(cells[i].samples.v);
	for (int k = 0; k < CERT_KIND_COUNT; k++)
		tls_creds_free(&creds[k]);
	return failed && ctx->opts->short_mode ? 1 : 0;
}

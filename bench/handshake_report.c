// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `ktls-bench handshake`: the sweep over (concurrency, certificate, role,
 * arm), and the output: the table, ktlsd against in-process GnuTLS as
 * ratios (what users decide on: latency, throughput, CPU per handshake),
 * the ticket_wait rows side by side, ktlsd's own overhead at concurrency 1,
 * the CSV, and plots of throughput and p50/p99 against concurrency.
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

#define MAX_CELLS (BENCH_MAX_HS_CONC * CERT_KIND_COUNT * 2 * HS_ARM_COUNT)

static const char *role_name(enum hs_role role)
{
	return role == HS_ROLE_SERVER ? "server" : "client";
}

static const char *const list_names[][HS_ARM_COUNT] = {
	[HS_LIST_ARMS] = { "inproc", "ktlsd", "ktlsd-auto", "ktlsd-none", "fork", "inproc-resume",
			   "ktlsd-resume" },
	[HS_LIST_CERTS] = { "ecdsa", "rsa" },
	[HS_LIST_ROLES] = { "client", "server" },
};

int hs_parse_list(enum hs_list what, const char *list, unsigned *mask)
{
	char buf[256], *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", list);
	*mask = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned i;

		for (i = 0; i < HS_ARM_COUNT; i++)
			if (list_names[what][i] && !strcmp(tok, list_names[what][i]))
				break;
		if (i == HS_ARM_COUNT)
			return -1;
		*mask |= 1u << i;
	}
	return *mask ? 0 : -1;
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

/* CPU milliseconds per handshake; -1 if unknown. */
static double per_hs_ms(const struct hs_cell *c, double seconds)
{
	return seconds < 0 || !c->samples.n ? -1 : seconds * 1000 / (double)c->samples.n;
}

/* The subject's side: everything involved but the peer threads (caller,
 * ktlsd, its key process or signers; the forkers and their children). */
static double subject_cpu_ms(const struct hs_cell *c)
{
	return c->cpu_all < 0 ? -1 : per_hs_ms(c, c->cpu_all - c->cpu_peer);
}

static double ktlsd_cpu_ms(const struct hs_cell *c)
{
	return c->arm == HS_INPROC || c->arm == HS_FORK ? 0 : per_hs_ms(c, c->cpu_ktlsd);
}

/* A resumed arm's handshakes resumed (HS_RESUMED_MIN_SHARE of them), a
 * full arm's none. */
static int resumed_as_claimed(const struct hs_cell *c)
{
	if (!hs_arm_resumes(c->arm))
		return c->resumed == 0;
	return (double)c->resumed >= HS_RESUMED_MIN_SHARE * (double)c->samples.n;
}

/* Did it work as claimed: handshakes done, none failed, each left kTLS
 * TX on the subject's socket (our peers never install keys), resumed or
 * full as the arm says. */
static int cell_ok(const struct hs_cell *c)
{
	return c->samples.n > 0 && c->failures == 0 &&
	       (c->tls_tx_sw < 0 || c->tls_tx_sw >= (long long)c->samples.n) &&
	       resumed_as_claimed(c);
}

static int is_ktlsd_arm(enum hs_arm arm)
{
	return arm == HS_KTLSD || arm == HS_KTLSD_AUTO || arm == HS_KTLSD_NONE ||
	       arm == HS_KTLSD_RESUME;
}

static void run_one(struct bench_ctx *ctx, struct hs_cell *c, const struct tls_peer_creds *creds,
		    const gnutls_datum_t *ticket_key)
{
	c->creds = &creds[c->cert];
	c->files = &ctx->certs[c->cert];
	c->per_worker = ctx->opts->hs_handshakes;
	c->ticket_key = ticket_key;
	c->ktlsd_pid = ctx->ktlsd.usable ? ctx->ktlsd.cpu_pid : 0;
	c->ktlsd_is_child = ctx->ktlsd.pid > 0 && ctx->ktlsd.pid == ctx->ktlsd.cpu_pid;
	c->cpu_all = c->cpu_ktlsd = -1;
	if (is_ktlsd_arm(c->arm) && !ctx->ktlsd.usable) {
		bench_text(c->error, sizeof(c->error), "skipped: ktlsd unavailable (%s)",
			 ctx->ktlsd.why_not);
		return;
	}
	c->ran = 1;
	hs_run_cell(c, c->concurrency, ctx->opts->hs_duration_s);
	bench_log("handshake %-10s %-6s %-13s x%-3u: %7.1f/s p50 %8.2f ms p99 %8.2f ms, "
		  "cpu %6.2f ms/hs (ktlsd %5.2f), %zu/%zu resumed, %u failed%s%s",
		  cert_kind_name(c->cert), role_name(c->role), hs_arm_name(c->arm), c->concurrency,
		  rate(c), P_TOTAL(&c->samples, 0.5), P_TOTAL(&c->samples, 0.99), subject_cpu_ms(c),
		  ktlsd_cpu_ms(c), c->resumed, c->samples.n, c->failures, c->error[0] ? ": " : "",
		  c->error);
}

/* ---- finding cells ----------------------------------------------------------------------- */

static const struct hs_cell *find_cell(const struct hs_cell *cells, unsigned n, unsigned conc,
				       enum cert_kind cert, enum hs_role role, enum hs_arm arm)
{
	for (unsigned i = 0; i < n; i++)
		if (cells[i].concurrency == conc && cells[i].cert == cert &&
		    cells[i].role == role && cells[i].arm == arm && cells[i].ran &&
		    cells[i].samples.n)
			return &cells[i];
	return NULL;
}

/* ---- output ------------------------------------------------------------------------------ */

static void print_cpu(double ms)
{
	if (ms < 0)
		printf(" %8s", "?");
	else
		printf(" %8.2f", ms);
}

static void print_table(const struct hs_cell *cells, unsigned n)
{
	printf("\n== handshakes: TLS 1.3, AES-128-GCM, X25519, client verifies\n"
	       "  cpu: CPU ms per handshake of the side under test, every process involved\n"
	       "  (the caller's threads, ktlsd and its key process/signers, forked children;\n"
	       "  user + system from /proc/PID/stat), the peer's threads not counted;\n"
	       "  ktlsd: the daemon's share of it; resumed: handshakes that resumed a session\n"
	       "  (*-resume arms: at least %.0f%% must, the others none)\n",
	       HS_RESUMED_MIN_SHARE * 100);
	printf("  %4s %-10s %-6s %-13s %9s %9s %9s %8s %8s %7s %7s %5s %7s %-4s %s\n", "conc",
	       "cert", "role", "arm", "hs/s", "p50 ms", "p99 ms", "cpu", "ktlsd", "count",
	       "resumed", "fail", "kTLS tx", "chk", "");
	for (unsigned i = 0; i < n; i++) {
		const struct hs_cell *c = &cells[i];

		if (i && c->concurrency != cells[i - 1].concurrency)
			putchar('\n');
		if (!c->ran) {
			printf("  %4u %-10s %-6s %-13s %9s  %s\n", c->concurrency,
			       cert_kind_name(c->cert), role_name(c->role), hs_arm_name(c->arm), "-",
			       c->error);
			continue;
		}
		printf("  %4u %-10s %-6s %-13s %9.1f %9.2f %9.2f", c->concurrency,
		       cert_kind_name(c->cert), role_name(c->role), hs_arm_name(c->arm), rate(c),
		       P_TOTAL(&c->samples, 0.5), P_TOTAL(&c->samples, 0.99));
		print_cpu(subject_cpu_ms(c));
		print_cpu(ktlsd_cpu_ms(c));
		printf(" %7zu %7zu %5u %7lld %-4s %s\n", c->samples.n, c->resumed, c->failures,
		       c->tls_tx_sw, cell_ok(c) ? "ok" : "FAIL", c->error);
	}
}

static void print_ratio(double x, double y)
{
	if (x > 0 && y > 0)
		printf(" %9.2f", x / y);
	else
		printf(" %9s", "?");
}

/* What a user decides on: the daemon against the library floor, per
 * concurrency, certificate and role (and, for the client, per way of
 * handling session tickets). */
static void print_ratios(const struct hs_cell *cells, unsigned n, const struct bench_opts *o)
{
	static const enum hs_arm arms[] = { HS_KTLSD, HS_KTLSD_AUTO, HS_KTLSD_NONE, HS_FORK };

	printf("\n== against in-process GnuTLS (arm / inproc; p50 and cpu: lower is better,\n"
	       "   hs/s: higher is better)\n");
	printf("  %4s %-10s %-6s %-10s %9s %9s %9s %9s\n", "conc", "cert", "role", "arm",
	       "hs/s", "p50", "p99", "cpu");
	for (unsigned k = 0; k < o->n_hs_conc; k++)
		for (int cert = 0; cert < CERT_KIND_COUNT; cert++)
			for (int role = HS_ROLE_CLIENT; role <= HS_ROLE_SERVER; role++) {
				const struct hs_cell *base =
					find_cell(cells, n, o->hs_conc[k], cert, role, HS_INPROC);

				for (size_t a = 0; base && a < sizeof(arms) / sizeof(arms[0]); a++) {
					const struct hs_cell *c =
						find_cell(cells, n, o->hs_conc[k], cert, role, arms[a]);

					if (!c)
						continue;
					printf("  %4u %-10s %-6s %-10s", o->hs_conc[k],
					       cert_kind_name(cert), role_name(role),
					       hs_arm_name(arms[a]));
					print_ratio(rate(c), rate(base));
					print_ratio(P_TOTAL(&c->samples, 0.5),
						    P_TOTAL(&base->samples, 0.5));
					print_ratio(P_TOTAL(&c->samples, 0.99),
						    P_TOTAL(&base->samples, 0.99));
					print_ratio(subject_cpu_ms(c), subject_cpu_ms(base));
					putchar('\n');
				}
			}
}

/* The client's wait for session tickets, side by side. */
static void print_ticket_wait(const struct hs_cell *cells, unsigned n, const struct bench_opts *o)
{
	static const enum hs_arm arms[] = { HS_KTLSD_AUTO, HS_KTLSD_NONE, HS_KTLSD };

	printf("\n== ktlsd client, session tickets (our peer sends none): p50 ms / hs/s\n"
	       "  ktlsd-auto: profile ticket_wait = auto, a plain read() caller\n"
	       "  ktlsd-none: profile ticket_wait = none\n"
	       "  ktlsd:      auto, and the request says it reads with ktls_recv() (%s)\n",
	       ktlsd_has_recv_flag() ? "per-request flag set"
				     : "this libktls has no such flag: same as ktlsd-auto");
	printf("  %4s %-10s %20s %20s %20s\n", "conc", "cert", "ktlsd-auto", "ktlsd-none", "ktlsd");
	for (unsigned k = 0; k < o->n_hs_conc; k++)
		for (int cert = 0; cert < CERT_KIND_COUNT; cert++) {
			int any = 0;

			for (size_t a = 0; a < 3; a++)
				any |= find_cell(cells, n, o->hs_conc[k], cert, HS_ROLE_CLIENT,
						 arms[a]) != NULL;
			if (!any)
				continue;
			printf("  %4u %-10s", o->hs_conc[k], cert_kind_name(cert));
			for (size_t a = 0; a < 3; a++) {
				const struct hs_cell *c = find_cell(cells, n, o->hs_conc[k], cert,
								    HS_ROLE_CLIENT, arms[a]);
				char buf[32];

				if (c)
					snprintf(buf, sizeof(buf), "%.1f / %.1f",
						 P_TOTAL(&c->samples, 0.5), rate(c));
				else
					snprintf(buf, sizeof(buf), "-");
				printf(" %20s", buf);
			}
			putchar('\n');
		}
}

/* Resumed against full, the same subject, certificate, role and
 * concurrency: rate and CPU per handshake; for ktlsd with ECDSA, against
 * issue 11's targets (resumed CPU <= 0.5x full, at concurrency 16 rate >=
 * 1.8x full). */
static void print_resumed(const struct hs_cell *cells, unsigned n, const struct bench_opts *o)
{
	static const enum hs_arm full[] = { HS_INPROC, HS_KTLSD };
	static const enum hs_arm resumed[] = { HS_INPROC_RESUME, HS_KTLSD_RESUME };

	printf("\n== resumed against full (TLS 1.3 tickets, psk_dhe_ke): resumed / full\n"
	       "  cpu: CPU ms per handshake of the side under test, all processes (as above)\n"
	       "  target (ktlsd, ECDSA-P256): cpu <= 0.50, and at concurrency 16 hs/s >= 1.80\n");
	printf("  %4s %-10s %-6s %-6s %9s %9s %9s %9s %9s %9s  %s\n", "conc", "cert", "role", "via",
	       "full hs/s", "res hs/s", "x rate", "full cpu", "res cpu", "x cpu", "target");
	for (unsigned k = 0; k < o->n_hs_conc; k++)
		for (int cert = 0; cert < CERT_KIND_COUNT; cert++)
			for (int role = HS_ROLE_CLIENT; role <= HS_ROLE_SERVER; role++)
				for (size_t a = 0; a < 2; a++) {
					unsigned conc = o->hs_conc[k];
					const struct hs_cell *f = find_cell(cells, n, conc, cert, role,
									    full[a]);
					const struct hs_cell *r = find_cell(cells, n, conc, cert, role,
									    resumed[a]);
					double fc, rc;
					const char *verdict = "";

					if (!f || !r)
						continue;
					fc = subject_cpu_ms(f);
					rc = subject_cpu_ms(r);
					if (full[a] == HS_KTLSD && cert == CERT_ECDSA_P256 && fc > 0 &&
					    rc >= 0) {
						int cpu_met = rc <= 0.5 * fc;
						int rate_met = rate(r) >= 1.8 * rate(f);

						verdict = conc != 16 ? (cpu_met ? "cpu met" : "cpu MISSED")
							  : cpu_met && rate_met ? "cpu met, rate met"
							  : cpu_met ? "cpu met, rate MISSED"
							  : rate_met ? "cpu MISSED, rate met"
								     : "cpu MISSED, rate MISSED";
					}
					printf("  %4u %-10s %-6s %-6s %9.1f %9.1f", conc,
					       cert_kind_name(cert), role_name(role),
					       full[a] == HS_KTLSD ? "ktlsd" : "inproc", rate(f),
					       rate(r));
					print_ratio(rate(r), rate(f));
					print_cpu(fc);
					print_cpu(rc);
					print_ratio(rc, fc);
					printf("  %s\n", verdict);
				}
}

/* Dispatch is clean in the client role (the ClientHello is the subject's
 * first act), completion in the server role (the peer client is done once
 * its Finished is sent; the subject then checks it, installs the keys and,
 * through ktlsd, replies).  From the concurrency-1 ECDSA cells. */
static void print_overhead(const struct hs_cell *cells, unsigned n)
{
	static const enum hs_arm arms[] = { HS_INPROC, HS_KTLSD, HS_FORK };
	double dispatch[HS_ARM_COUNT] = { 0 }, completion[HS_ARM_COUNT] = { 0 };
	int have[HS_ARM_COUNT] = { 0 };

	if (!find_cell(cells, n, 1, CERT_ECDSA_P256, HS_ROLE_SERVER, HS_INPROC)) {
		printf("\n(no concurrency-1 ECDSA cells: no per-phase split)\n");
		return;
	}
	printf("\n== per-handshake phases at concurrency 1, ECDSA-P256 (p50, ms)\n"
	       "  dispatch:   client role, the call -> its ClientHello at the peer\n"
	       "  completion: server role, the peer sent its Finished -> the call returned\n");
	printf("  %-6s %12s %10s %12s %11s\n", "arm", "client total", "dispatch", "server total",
	       "completion");
	for (size_t a = 0; a < sizeof(arms) / sizeof(arms[0]); a++) {
		enum hs_arm arm = arms[a];
		const struct hs_cell *c = find_cell(cells, n, 1, CERT_ECDSA_P256, HS_ROLE_CLIENT, arm);
		const struct hs_cell *s = find_cell(cells, n, 1, CERT_ECDSA_P256, HS_ROLE_SERVER, arm);

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

static void csv_ms(FILE *f, double ms)
{
	if (ms < 0)
		fputs(",", f);
	else
		fprintf(f, ",%.3f", ms);
}

static int write_csv(const char *path, const struct hs_cell *cells, unsigned n,
		     const struct host_facts *h)
{
	FILE *f = report_csv_open(path, "handshake", h);

	if (!f)
		return -1;
	fprintf(f, "cert,role,arm,concurrency,handshakes,failures,seconds,per_s,p50_ms,p99_ms,"
		   "dispatch_p50_ms,completion_p50_ms,tls_tx_sw,cpu_ms_per_hs,caller_cpu_ms_per_hs,"
		   "ktlsd_cpu_ms_per_hs,peer_cpu_ms_per_hs,recv_flag,ran,ok,resumed,error\n");
	for (unsigned i = 0; i < n; i++) {
		const struct hs_cell *c = &cells[i];
		double subject = subject_cpu_ms(c), daemon = ktlsd_cpu_ms(c);

		fprintf(f, "%s,%s,%s,%u,%zu,%u,%.3f,%.2f,%.3f,%.3f,%.3f,%.3f,%lld",
			cert_kind_name(c->cert), role_name(c->role), hs_arm_name(c->arm),
			c->concurrency, c->samples.n, c->failures, c->seconds, rate(c),
			P_TOTAL(&c->samples, 0.5), P_TOTAL(&c->samples, 0.99),
			P_DISPATCH(&c->samples, 0.5), P_COMPLETION(&c->samples, 0.5), c->tls_tx_sw);
		csv_ms(f, subject);
		csv_ms(f, subject < 0 || daemon < 0 ? -1 : subject - daemon);
		csv_ms(f, daemon);
		csv_ms(f, per_hs_ms(c, c->cpu_peer));
		fprintf(f, ",%d,%d,%d,%zu,\"%s\"\n",
			(c->arm == HS_KTLSD || c->arm == HS_KTLSD_RESUME) &&
				c->role == HS_ROLE_CLIENT && ktlsd_has_recv_flag(),
			c->ran, c->ran && cell_ok(c), c->resumed, c->error);
	}
	return fclose(f) == 0 ? 0 : -1;
}

/* One data file per (certificate, role): a row per concurrency, for each
 * arm its hs/s, p50 and p99 ('?' where it did not run). */
static int write_plot_data(const char *dir, const struct hs_cell *cells, unsigned n,
			   const struct bench_opts *o, enum cert_kind cert, enum hs_role role)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/handshake-%s-%s.dat", dir, list_names[HS_LIST_CERTS][cert],
		 role_name(role));
	if (!(f = fopen(path, "w")))
		return -1;
	fprintf(f, "# concurrency, then per arm (inproc ktlsd ktlsd-auto ktlsd-none fork "
		   "inproc-resume ktlsd-resume): "
		   "hs/s p50_ms p99_ms\n");
	for (unsigned k = 0; k < o->n_hs_conc; k++) {
		fprintf(f, "%u", o->hs_conc[k]);
		for (int arm = 0; arm < HS_ARM_COUNT; arm++) {
			const struct hs_cell *c = find_cell(cells, n, o->hs_conc[k], cert, role, arm);

			if (c)
				fprintf(f, " %.2f %.3f %.3f", rate(c), P_TOTAL(&c->samples, 0.5),
					P_TOTAL(&c->samples, 0.99));
			else
				fputs(" ? ? ?", f);
		}
		fputc('\n', f);
	}
	return fclose(f);
}

/* The arms that ran in a panel, as gnuplot's "for [a in '...']" list of
 * their indexes in the data file. */
static void panel_arms(const struct hs_cell *cells, unsigned n, enum cert_kind cert,
		       enum hs_role role, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int arm = 0; arm < HS_ARM_COUNT; arm++)
		for (unsigned i = 0; i < n; i++)
			if (cells[i].cert == cert && cells[i].role == role && (int)cells[i].arm == arm &&
			    cells[i].ran && cells[i].samples.n) {
				used += (size_t)snprintf(buf + used, len - used, "%s%d",
							 used ? " " : "", arm);
				break;
			}
}

/* what: 0 throughput, 1 latency (p50 solid, p99 dashed). */
static int write_plot_script(const char *dir, int what, const struct hs_cell *cells,
			     unsigned n, const struct host_facts *h)
{
	char path[512];
	const char *name = what ? "handshake-latency" : "handshake-rate";
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.gp", dir, name);
	if (!(f = fopen(path, "w")))
		return -1;
	fprintf(f, "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
		   "  set terminal pngcairo size 1200,900 noenhanced font ',10'\n"
		   "} else {\n  set terminal png size 1200,900 noenhanced\n}\n"
		   "set output '%s.png'\nset datafile missing '?'\n"
		   "arms = 'inproc ktlsd ktlsd-auto ktlsd-none fork inproc-resume ktlsd-resume'\n"
		   "set logscale x 2\nset grid\nset key top left\nset xlabel 'handshakes in flight'\n"
		   "set ylabel '%s'\n%s"
		   "set multiplot layout 2,2 title 'TLS 1.3 handshakes against concurrency, %s%s'\n",
		name, what ? "ms (p50 solid, p99 dashed; lower is better)"
			   : "handshakes/s (higher is better)",
		what ? "set logscale y\n" : "set yrange [0:*]\n", h->kernel,
		h->emulated ? " -- EMULATED VM: ratios only" : "");
	for (int cert = 0; cert < CERT_KIND_COUNT; cert++)
		for (int role = HS_ROLE_CLIENT; role <= HS_ROLE_SERVER; role++) {
			const char *dat_cert = list_names[HS_LIST_CERTS][cert];
			char arms[32];

			panel_arms(cells, n, cert, role, arms, sizeof(arms));
			fprintf(f, "set title '%s, subject is the %s'\n", cert_kind_name(cert),
				role_name(role));
			if (!arms[0])
				fprintf(f, "set multiplot next\n");
			else if (!what)
				fprintf(f, "plot for [a in '%s'] 'handshake-%s-%s.dat' using 1:(column(2+3*a)) "
					   "with linespoints lc a+1 title word(arms, a+1)\n",
					arms, dat_cert, role_name(role));
			else
				fprintf(f, "plot for [a in '%s'] 'handshake-%s-%s.dat' using 1:(column(3+3*a)) "
					   "with linespoints lc a+1 title word(arms, a+1).' p50', "
					   "for [a in '%s'] '' using 1:(column(4+3*a)) with linespoints dt 2 "
					   "lc a+1 title word(arms, a+1).' p99'\n",
					arms, dat_cert, role_name(role), arms);
		}
	fprintf(f, "unset multiplot\n");
	if (fclose(f) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s.gp", name);
	return run_gnuplot(dir, path);
}

static int write_plots(const char *dir, const struct hs_cell *cells, unsigned n,
		       const struct bench_opts *o, const struct host_facts *h)
{
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -1;
	for (int cert = 0; cert < CERT_KIND_COUNT; cert++)
		for (int role = HS_ROLE_CLIENT; role <= HS_ROLE_SERVER; role++)
			if (write_plot_data(dir, cells, n, o, cert, role) < 0)
				return -1;
	return write_plot_script(dir, 0, cells, n, h) < 0 ||
	       write_plot_script(dir, 1, cells, n, h) < 0 ? -1 : 0;
}

/* ---- the sweep ----------------------------------------------------------------------------------- */

static int wanted(const struct bench_opts *o, enum cert_kind cert, enum hs_role role,
		  enum hs_arm arm)
{
	/* the ticket-wait variants differ from ktlsd only as a client */
	if ((arm == HS_KTLSD_AUTO || arm == HS_KTLSD_NONE) && role != HS_ROLE_CLIENT)
		return 0;
	return (o->hs_cert_mask >> cert & 1) && (o->hs_role_mask >> role & 1) &&
	       (o->hs_arm_mask >> arm & 1);
}

static unsigned sweep(struct bench_ctx *ctx, struct hs_cell *cells,
		      const struct tls_peer_creds *creds, const gnutls_datum_t *ticket_key)
{
	const struct bench_opts *o = ctx->opts;
	unsigned n = 0;

	for (unsigned k = 0; k < o->n_hs_conc; k++)
		for (int cert = 0; cert < CERT_KIND_COUNT; cert++)
			for (int role = HS_ROLE_CLIENT; role <= HS_ROLE_SERVER; role++)
				for (int arm = 0; arm < HS_ARM_COUNT; arm++) {
					if (!wanted(o, cert, role, arm) || n == MAX_CELLS)
						continue;
					cells[n] = (struct hs_cell){ .arm = arm, .role = role,
								     .cert = cert,
								     .concurrency = o->hs_conc[k] };
					run_one(ctx, &cells[n++], creds, ticket_key);
				}
	return n;
}

int handshake_bench(struct bench_ctx *ctx)
{
	static struct hs_cell cells[MAX_CELLS];
	struct tls_peer_creds creds[CERT_KIND_COUNT];
	gnutls_datum_t ticket_key = { NULL, 0 };
	unsigned n, failed = 0;

	for (int k = 0; k < CERT_KIND_COUNT; k++)
		if (tls_creds_load(&ctx->certs[k], &creds[k]) < 0)
			return 2;
	/* the in-process ticket issuers' key (the resumed arms' peers and
	 * inproc-resume as server), one for the run */
	if (gnutls_session_ticket_key_generate(&ticket_key) < 0)
		return 2;
	report_header(&ctx->host, "handshake");
	printf("ktlsd: %s (processes counted for CPU: %s)\n",
	       ctx->ktlsd.usable ? ctx->ktlsd.socket_path : ctx->ktlsd.why_not,
	       ctx->ktlsd.cpu_pid <= 0 ? "unknown"
	       : ctx->ktlsd.pid > 0 ? "our child and every process below it"
				    : "the socket's listener (SO_PEERCRED) and every process below it");
	printf("ktlsd client arm: %s\n", ktlsd_has_recv_flag()
	       ? "sets the per-request ktls_recv() flag (no ticket wait)"
	       : "this libktls has no per-request ticket flag");
	n = sweep(ctx, cells, creds, &ticket_key);
	print_table(cells, n);
	print_ratios(cells, n, ctx->opts);
	print_resumed(cells, n, ctx->opts);
	print_ticket_wait(cells, n, ctx->opts);
	print_overhead(cells, n);
	for (unsigned i = 0; i < n; i++)
		if (cells[i].ran && !cell_ok(&cells[i]))
			failed++;
	if (ctx->opts->csv_path)
		write_csv(ctx->opts->csv_path, cells, n, &ctx->host);
	if (ctx->opts->plot_dir && write_plots(ctx->opts->plot_dir, cells, n, ctx->opts,
					       &ctx->host) < 0)
		bench_warn("the handshake plots were not made");
	printf("\n%u cells, %u failed their checks\n", n, failed);
	for (unsigned i = 0; i < n; i++)
		free(cells[i].samples.v);
	for (int k = 0; k < CERT_KIND_COUNT; k++)
		tls_creds_free(&creds[k]);
	gnutls_memset(ticket_key.data, 0, ticket_key.size);
	gnutls_free(ticket_key.data);
	return failed && ctx->opts->short_mode ? 1 : 0;
}

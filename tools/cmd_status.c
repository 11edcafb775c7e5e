// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ktls status: what the running ktlsd has done since it started, from a
 * STATUS_REQ on its socket (ktls_proto.h): version, uptime, which doors are
 * open, handshakes by outcome and by failure reason, in flight, latency
 * percentiles and per-profile counts; or the same as Prometheus text
 * (--prometheus), for a node_exporter textfile or an HTTP wrapper.
 *
 * The daemon answers root, its own user and members of its group only.
 * Percentiles come from the daemon's fixed histogram, so they are bucket
 * bounds ("p90 <= 20 ms"), never interpolated guesses.
 *
 * Exit status: 0 shown, 1 the daemon refused or answered nonsense, 2 bad
 * usage, 3 no daemon on the socket.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "cli.h"
#include "ktls_proto.h"

#define STATUS_EXIT_NO_DAEMON 3
#define REPLY_TIMEOUT_S 10

struct status_options {
	const char *socket_path;
	int prometheus;
};

/* ---- asking ---- */

static int connect_daemon(const char *path)
{
	struct timeval timeout = { .tv_sec = REPLY_TIMEOUT_S };
	int fd = ktls_daemon_connect(path);

	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout)) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* A daemon from before STATUS_REQ answers with a handshake error reply. */
static int explain_handshake_reply(const uint8_t *buf, size_t len)
{
	struct ktls_hs_reply *rep = calloc(1, sizeof(*rep));

	if (rep && ktls_msg_decode_reply(buf, len, rep) == 0)
		fprintf(stderr, "ktls status: this ktlsd does not serve status requests (%s)\n",
			rep->reason[0] ? rep->reason : strerror((int)rep->status));
	else
		fprintf(stderr, "ktls status: the daemon's answer is not a status reply\n");
	free(rep);
	return CLI_EXIT_FAIL;
}

/* 0 with st filled, or an exit status after saying why. */
static int fetch_status(const char *path, struct ktls_status_reply *st)
{
	uint8_t *buf = malloc(KTLS_MSG_MAX);
	int fd, len, rc = CLI_EXIT_FAIL;
	ssize_t got;

	if (!buf)
		return CLI_EXIT_FAIL;
	fd = connect_daemon(path);
	if (fd < 0) {
		fprintf(stderr, "ktls status: cannot reach ktlsd at %s: %s\n", path, strerror(-fd));
		free(buf);
		return STATUS_EXIT_NO_DAEMON;
	}
	len = ktls_msg_encode_empty(KTLS_MSG_STATUS_REQ, buf, KTLS_MSG_MAX);
	got = len < 0 ? len : ktls_ipc_send(fd, buf, (size_t)len, -1);
	if (got >= 0)
		got = ktls_ipc_recv(fd, buf, KTLS_MSG_MAX, NULL);
	if (got < 0)
		fprintf(stderr, "ktls status: %s: %s\n", path,
			got == -EAGAIN ? "no answer in time" : strerror((int)-got));
	else if (ktls_msg_type(buf, (size_t)got) == KTLS_MSG_HANDSHAKE_REPLY)
		rc = explain_handshake_reply(buf, (size_t)got);
	else if (ktls_msg_decode_status(buf, (size_t)got, st) < 0)
		fprintf(stderr, "ktls status: malformed status reply (%zd bytes)\n", got);
	else if (st->status)
		fprintf(stderr, "ktls status: ktlsd refused: %s\n",
			st->reason[0] ? st->reason : strerror((int)st->status));
	else
		rc = CLI_EXIT_OK;
	close(fd);
	free(buf);
	return rc;
}

/* ---- numbers ---- */

static const char *errno_name(uint32_t err)
{
	static char unknown[16];
	const char *name = err ? strerrorname_np((int)err) : NULL;

	if (name)
		return name;
	if (!err)
		return "other";
	snprintf(unknown, sizeof(unknown), "E%u", err);
	return unknown;
}

static uint64_t latency_total(const struct ktls_status_reply *st)
{
	uint64_t total = 0;

	for (unsigned i = 0; i < st->n_latency; i++)
		total += st->latency[i].count;
	return total;
}

/* The bound of the first bucket holding the q-th fraction of handshakes
 * (nearest rank); KTLS_STATUS_LE_INF if it is the open last bucket. */
static uint32_t percentile_bound(const struct ktls_status_reply *st, double q)
{
	uint64_t total = latency_total(st), rank = (uint64_t)(q * (double)total + 0.999999),
		 seen = 0;

	if (rank == 0)
		rank = 1;
	for (unsigned i = 0; i < st->n_latency; i++) {
		seen += st->latency[i].count;
		if (seen >= rank)
			return st->latency[i].key;
	}
	return KTLS_STATUS_LE_INF;
}

/* ---- text ---- */

static void print_duration(uint64_t s)
{
	if (s >= 86400)
		printf("%llud %02lluh %02llum", (unsigned long long)(s / 86400),
		       (unsigned long long)(s % 86400 / 3600), (unsigned long long)(s % 3600 / 60));
	else
		printf("%lluh %02llum %02llus", (unsigned long long)(s / 3600),
		       (unsigned long long)(s % 3600 / 60), (unsigned long long)(s % 60));
}

static void print_percentile(const char *label, uint32_t bound, uint32_t last_finite)
{
	if (bound == KTLS_STATUS_LE_INF)
		printf("%s > %u ms", label, last_finite);
	else
		printf("%s <= %u ms", label, bound);
}

static void print_latency(const struct ktls_status_reply *st)
{
	uint64_t total = latency_total(st);
	uint32_t last_finite = st->n_latency > 1 ? st->latency[st->n_latency - 2].key : 0;

	if (!total) {
		printf("latency:    no handshake finished yet\n");
		return;
	}
	printf("latency:    ");
	print_percentile("p50", percentile_bound(st, 0.50), last_finite);
	print_percentile(", p90", percentile_bound(st, 0.90), last_finite);
	print_percentile(", p99", percentile_bound(st, 0.99), last_finite);
	printf(" (mean %.1f ms over %llu)\n", (double)st->latency_sum_ms / (double)total,
	       (unsigned long long)total);
}

/* What keeps private keys from a compromised network process; a missing
 * protection is named, never left out. */
static void print_protections(uint32_t prot)
{
	printf("key isolation: %s", prot & KTLS_PROT_KEYPROC ? "key process" :
	       "NONE (keys in the network process)");
	if (prot & KTLS_PROT_KEYPROC)
		printf(" (%s, %s)", prot & KTLS_PROT_KEYPROC_NODUMP ? "not dumpable" :
		       "DUMPABLE", prot & KTLS_PROT_KEYPROC_SECCOMP ? "seccomp" : "NO seccomp");
	printf("; network process: %s%s, %s\n", prot & KTLS_PROT_LANDLOCK_FS ?
	       "Landlock (no key or PSK file opens" : "NO Landlock (it can open key files",
	       prot & KTLS_PROT_LANDLOCK_FS ? (prot & KTLS_PROT_LANDLOCK_NET ?
	       ", no TCP bind/connect)" : ")") : ")",
	       prot & KTLS_PROT_NETWORK_SECCOMP ? "seccomp" : "NO seccomp");
}

/* The denial-of-service defences: limits in force and what they refused. */
static void print_limits(const struct ktls_status_reply *st)
{
	if (st->max_handshakes) {
		printf("limits:     %u handshakes in flight (%u kept for kernel requests), %u per "
		       "uid; ", st->max_handshakes, st->kernel_reserve, st->per_uid_max);
		if (st->fd_limit == UINT64_MAX)
			printf("no fd limit\n");
		else
			printf("fd limit %llu\n", (unsigned long long)st->fd_limit);
	}
	printf("refused:    %llu requests busy (EAGAIN: a limit reached); accept out of fds "
	       "%llu times\n", (unsigned long long)st->refused_busy,
	       (unsigned long long)st->accept_no_fd);
}

/* Names of the session counters, in wire order (ktls_proto.h): the column
 * heads here and the Prometheus "event" label. */
static const char *const session_counter_names[KTLS_STATUS_SESSION_COUNTERS] = {
	[KTLS_SESSION_RESUMED] = "resumed",
	[KTLS_SESSION_FULL] = "full",
	[KTLS_SESSION_CACHE_HIT] = "cache_hit",
	[KTLS_SESSION_CACHE_MISS] = "cache_miss",
	[KTLS_SESSION_CACHE_EVICT] = "cache_evict",
	[KTLS_SESSION_STORE_ERROR] = "store_error",
};

static void print_sessions(const struct ktls_status_reply *st)
{
	if (!st->n_sessions)
		return;
	printf("sessions:   %-24s", "PROFILE");
	for (unsigned c = 0; c < KTLS_STATUS_SESSION_COUNTERS; c++)
		printf(" %11s", session_counter_names[c]);
	printf("\n");
	for (unsigned i = 0; i < st->n_sessions; i++) {
		printf("            %-24s", st->sessions[i].name);
		for (unsigned c = 0; c < KTLS_STATUS_SESSION_COUNTERS; c++)
			printf(" %11llu", (unsigned long long)st->sessions[i].count[c]);
		printf("\n");
	}
}

/* 0-RTT counters (KTLS_TLV_ST_EARLY), in wire order. */
static const char *const early_counter_names[KTLS_STATUS_EARLY_COUNTERS] = {
	[KTLS_EARLY_STAT_OFFERED] = "offered",
	[KTLS_EARLY_STAT_ACCEPTED] = "accepted",
	[KTLS_EARLY_STAT_REJECTED] = "rejected",
	[KTLS_EARLY_STAT_REPLAY] = "replay",
	[KTLS_EARLY_STAT_STORE_ERROR] = "store_error",
	[KTLS_EARLY_STAT_BYTES] = "bytes",
};

static void print_early(const struct ktls_status_reply *st)
{
	if (!st->n_early)
		return;
	printf("early data: %-24s", "PROFILE");
	for (unsigned c = 0; c < KTLS_STATUS_EARLY_COUNTERS; c++)
		printf(" %11s", early_counter_names[c]);
	printf("\n");
	for (unsigned i = 0; i < st->n_early; i++) {
		printf("            %-24s", st->early[i].name);
		for (unsigned c = 0; c < KTLS_STATUS_EARLY_COUNTERS; c++)
			printf(" %11llu", (unsigned long long)st->early[i].count[c]);
		printf("\n");
	}
}

/* Client 0-RTT, in wire order (KTLS_TLV_ST_EARLY_CLIENT). */
static const char *const early_client_counter_names[KTLS_STATUS_EARLY_CLIENT_COUNTERS] = {
	[KTLS_EARLY_CLIENT_OFFERED] = "offered",
	[KTLS_EARLY_CLIENT_ACCEPTED] = "accepted",
	[KTLS_EARLY_CLIENT_REJECTED] = "rejected",
	[KTLS_EARLY_CLIENT_NOT_OFFERED] = "not_offered",
};

static void print_early_client(const struct ktls_status_reply *st)
{
	if (!st->n_early_client)
		return;
	printf("early data: %-24s", "PROFILE (client 0-RTT)");
	for (unsigned c = 0; c < KTLS_STATUS_EARLY_CLIENT_COUNTERS; c++)
		printf(" %11s", early_client_counter_names[c]);
	printf("\n");
	for (unsigned i = 0; i < st->n_early_client; i++) {
		printf("            %-24s", st->early_client[i].name);
		for (unsigned c = 0; c < KTLS_STATUS_EARLY_CLIENT_COUNTERS; c++)
			printf(" %11llu", (unsigned long long)st->early_client[i].count[c]);
		printf("\n");
	}
}

static void print_text(const struct ktls_status_reply *st)
{
	printf("ktlsd %s, up ", st->daemon_version[0] ? st->daemon_version : "(unknown version)");
	print_duration(st->uptime_s);
	printf("\ndoors:      unix %s, netlink %s\n",
	       st->doors & KTLS_DOOR_UNIX ? "active" : "inactive",
	       st->doors & KTLS_DOOR_NETLINK ? "active" : "inactive");
	print_protections(st->protections);
	printf("handshakes: %llu ok, %llu failed, %u in flight; %llu requests rejected before "
	       "a handshake\n", (unsigned long long)st->handshakes_ok,
	       (unsigned long long)st->handshakes_failed, st->in_flight,
	       (unsigned long long)st->requests_rejected);
	print_limits(st);
	if (st->n_failures) {
		printf("failed by reason:\n");
		for (unsigned i = 0; i < st->n_failures; i++)
			printf("  %-16s %10llu  %s\n", errno_name(st->failures[i].key),
			       (unsigned long long)st->failures[i].count,
			       st->failures[i].key ? strerror((int)st->failures[i].key) : "");
	}
	print_latency(st);
	if (st->n_profiles) {
		printf("profiles:   %-24s %10s %10s\n", "NAME", "OK", "FAILED");
		for (unsigned i = 0; i < st->n_profiles; i++)
			printf("            %-24s %10llu %10llu\n", st->profiles[i].name,
			       (unsigned long long)st->profiles[i].ok,
			       (unsigned long long)st->profiles[i].failed);
	}
	print_sessions(st);
	print_early(st);
	print_early_client(st);
}

/* ---- Prometheus text format 0.0.4 ---- */

static void print_label_value(const char *value)
{
	for (; *value; value++) {
		if (*value == '\\' || *value == '"')
			printf("\\%c", *value);
		else if (*value == '\n')
			printf("\\n");
		else
			putchar(*value);
	}
}

static void metric_header(const char *name, const char *type, const char *help)
{
	printf("# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void print_prometheus_histogram(const struct ktls_status_reply *st)
{
	uint64_t cumulative = 0;

	metric_header("ktlsd_handshake_duration_seconds", "histogram",
		      "Time from accepting a request to its outcome.");
	for (unsigned i = 0; i < st->n_latency; i++) {
		cumulative += st->latency[i].count;
		if (st->latency[i].key == KTLS_STATUS_LE_INF)
			printf("ktlsd_handshake_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
			       (unsigned long long)cumulative);
		else
			printf("ktlsd_handshake_duration_seconds_bucket{le=\"%g\"} %llu\n",
			       st->latency[i].key / 1000.0, (unsigned long long)cumulative);
	}
	printf("ktlsd_handshake_duration_seconds_sum %g\n", (double)st->latency_sum_ms / 1000.0);
	printf("ktlsd_handshake_duration_seconds_count %llu\n", (unsigned long long)cumulative);
}

static void print_prometheus_limits(const struct ktls_status_reply *st)
{
	metric_header("ktlsd_requests_refused_busy_total", "counter",
		      "Requests refused with EAGAIN because a limit was reached.");
	printf("ktlsd_requests_refused_busy_total %llu\n", (unsigned long long)st->refused_busy);
	metric_header("ktlsd_accept_no_fd_total", "counter",
		      "accept() failures on the application door for lack of descriptors.");
	printf("ktlsd_accept_no_fd_total %llu\n", (unsigned long long)st->accept_no_fd);
	if (!st->max_handshakes)
		return;
	metric_header("ktlsd_limit", "gauge", "Limits in force (after the fd budget).");
	printf("ktlsd_limit{limit=\"max_handshakes\"} %u\n", st->max_handshakes);
	printf("ktlsd_limit{limit=\"kernel_reserve\"} %u\n", st->kernel_reserve);
	printf("ktlsd_limit{limit=\"max_handshakes_per_uid\"} %u\n", st->per_uid_max);
	if (st->fd_limit != UINT64_MAX)
		printf("ktlsd_limit{limit=\"nofile\"} %llu\n", (unsigned long long)st->fd_limit);
}

static void print_prometheus(const struct ktls_status_reply *st)
{
	metric_header("ktlsd_info", "gauge", "ktlsd's version.");
	printf("ktlsd_info{version=\"");
	print_label_value(st->daemon_version);
	printf("\"} 1\n");
	metric_header("ktlsd_uptime_seconds", "gauge", "Seconds since ktlsd became ready.");
	printf("ktlsd_uptime_seconds %llu\n", (unsigned long long)st->uptime_s);
	metric_header("ktlsd_door_active", "gauge", "1 if the door serves requests.");
	printf("ktlsd_door_active{door=\"unix\"} %d\n", !!(st->doors & KTLS_DOOR_UNIX));
	printf("ktlsd_door_active{door=\"netlink\"} %d\n", !!(st->doors & KTLS_DOOR_NETLINK));
	metric_header("ktlsd_protection", "gauge",
		      "1 if the protection of private keys is in force.");
	printf("ktlsd_protection{mechanism=\"key_process\"} %d\n",
	       !!(st->protections & KTLS_PROT_KEYPROC));
	printf("ktlsd_protection{mechanism=\"key_process_not_dumpable\"} %d\n",
	       !!(st->protections & KTLS_PROT_KEYPROC_NODUMP));
	printf("ktlsd_protection{mechanism=\"key_process_seccomp\"} %d\n",
	       !!(st->protections & KTLS_PROT_KEYPROC_SECCOMP));
	printf("ktlsd_protection{mechanism=\"landlock_fs\"} %d\n",
	       !!(st->protections & KTLS_PROT_LANDLOCK_FS));
	printf("ktlsd_protection{mechanism=\"landlock_net\"} %d\n",
	       !!(st->protections & KTLS_PROT_LANDLOCK_NET));
	printf("ktlsd_protection{mechanism=\"network_seccomp\"} %d\n",
	       !!(st->protections & KTLS_PROT_NETWORK_SECCOMP));
	metric_header("ktlsd_handshakes_total", "counter", "Finished handshakes by result.");
	printf("ktlsd_handshakes_total{result=\"ok\"} %llu\n",
	       (unsigned long long)st->handshakes_ok);
	printf("ktlsd_handshakes_total{result=\"failed\"} %llu\n",
	       (unsigned long long)st->handshakes_failed);
	metric_header("ktlsd_handshake_failures_total", "counter",
		      "Failed handshakes by errno name.");
	for (unsigned i = 0; i < st->n_failures; i++)
		printf("ktlsd_handshake_failures_total{reason=\"%s\"} %llu\n",
		       errno_name(st->failures[i].key), (unsigned long long)st->failures[i].count);
	metric_header("ktlsd_requests_rejected_total", "counter",
		      "Requests refused before a handshake started.");
	printf("ktlsd_requests_rejected_total %llu\n", (unsigned long long)st->requests_rejected);
	metric_header("ktlsd_handshakes_in_flight", "gauge", "Handshakes running now.");
	printf("ktlsd_handshakes_in_flight %u\n", st->in_flight);
	print_prometheus_limits(st);
	print_prometheus_histogram(st);
	metric_header("ktlsd_profile_handshakes_total", "counter",
		      "Finished handshakes by profile and result.");
	for (unsigned i = 0; i < st->n_profiles; i++) {
		printf("ktlsd_profile_handshakes_total{profile=\"");
		print_label_value(st->profiles[i].name);
		printf("\",result=\"ok\"} %llu\n", (unsigned long long)st->profiles[i].ok);
		printf("ktlsd_profile_handshakes_total{profile=\"");
		print_label_value(st->profiles[i].name);
		printf("\",result=\"failed\"} %llu\n", (unsigned long long)st->profiles[i].failed);
	}
	metric_header("ktlsd_session_events_total", "counter",
		      "Session resumption by profile: resumed and full handshakes, session "
		      "cache hits, misses, evictions, shared store errors.");
	for (unsigned i = 0; i < st->n_sessions; i++) {
		for (unsigned c = 0; c < KTLS_STATUS_SESSION_COUNTERS; c++) {
			printf("ktlsd_session_events_total{profile=\"");
			print_label_value(st->sessions[i].name);
			printf("\",event=\"%s\"} %llu\n", session_counter_names[c],
			       (unsigned long long)st->sessions[i].count[c]);
		}
	}
	metric_header("ktlsd_early_data_total", "counter",
		      "TLS 1.3 0-RTT by profile: early data offered, accepted, rejected, "
		      "rejected as replays, rejected for a failed anti-replay store; bytes "
		      "accepted.");
	for (unsigned i = 0; i < st->n_early; i++) {
		for (unsigned c = 0; c < KTLS_STATUS_EARLY_COUNTERS; c++) {
			printf("ktlsd_early_data_total{profile=\"");
			print_label_value(st->early[i].name);
			printf("\",event=\"%s\"} %llu\n", early_counter_names[c],
			       (unsigned long long)st->early[i].count[c]);
		}
	}
	metric_header("ktlsd_client_early_data_total", "counter",
		      "Client TLS 1.3 0-RTT by profile: offered, accepted, rejected, and "
		      "requests with early data no ticket allowed.");
	for (unsigned i = 0; i < st->n_early_client; i++) {
		for (unsigned c = 0; c < KTLS_STATUS_EARLY_CLIENT_COUNTERS; c++) {
			printf("ktlsd_client_early_data_total{profile=\"");
			print_label_value(st->early_client[i].name);
			printf("\",event=\"%s\"} %llu\n", early_client_counter_names[c],
			       (unsigned long long)st->early_client[i].count[c]);
		}
	}
}

/* ---- command line ---- */

static void print_help(void)
{
	printf("usage: ktls status [--prometheus] [--socket PATH]\n"
	       "What the running ktlsd has done since it started: version, uptime,\n"
	       "open doors, handshakes ok/failed by reason, in flight, latency\n"
	       "percentiles, per-profile counts.\n\n"
	       "  -p, --prometheus   Prometheus text exposition format instead\n"
	       "  -s, --socket PATH  ktlsd's socket (default: $KTLS_SOCKET, else "
	       KTLS_DEFAULT_SOCKET ")\n\n"
	       "Only root, ktlsd's user and members of ktlsd's group may ask.\n"
	       "Exit status: 0 shown, 1 refused or a bad answer, 2 bad usage,\n"
	       "3 no ktlsd on the socket.\n");
}

/* 0 run, 1 help shown, -1 usage error (reported). */
static int parse_args(int argc, char **argv, struct status_options *o)
{
	static const struct option options[] = {
		{ "prometheus", no_argument, NULL, 'p' },
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int opt;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "ps:h", options, NULL)) != -1) {
		switch (opt) {
		case 'p': o->prometheus = 1; break;
		case 's': o->socket_path = optarg; break;
		case 'h': print_help(); return 1;
		default:
			cli_usage_error("status", "bad option '%s'", argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc) {
		cli_usage_error("status", "unexpected argument '%s'", argv[optind]);
		return -1;
	}
	return 0;
}

int cmd_status(int argc, char **argv)
{
	struct status_options o = { .socket_path = ktls_socket_path() };
	struct ktls_status_reply *st;
	int rc = parse_args(argc, argv, &o);

	if (rc)
		return rc > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	st = calloc(1, sizeof(*st));
	if (!st)
		return CLI_EXIT_FAIL;
	rc = fetch_status(o.socket_path, st);
	if (rc == CLI_EXIT_OK) {
		if (o.prometheus)
			print_prometheus(st);
		else
			print_text(st);
	}
	free(st);
	return rc;
}

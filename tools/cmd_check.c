// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ktls check: what does the RUNNING kernel's kTLS support?
 *
 * Nothing is inferred from version numbers or config files: every row is a
 * real probe on a fresh loopback TCP pair (127.0.0.1, ephemeral port), with
 * dummy keys of the right sizes.  Both ends get keys (the client's TX key is
 * the server's RX key and the other way round, with different bytes per
 * direction so crossed keys cannot pass), and a cipher counts as working only
 * when a record went through in each direction and decrypted to the bytes
 * that were sent.
 *
 * Exit status: 0 when kTLS is usable (the "tls" ULP attaches and at least one
 * version x cipher works both ways), 1 otherwise, with the one-line reason
 * as the last line on stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <netlink/errno.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "cli.h"
#include "ktls.h"
#include "ktls_loopback.h"

#define DETAIL_MAX 256
#define RECV_TIMEOUT_S 2
#define HANDSHAKE_GENL_FAMILY "handshake"
#define TLS_STAT_PATH "/proc/net/tls_stat"

enum probe_state {
	PROBE_SKIPPED,	/* not tried: detail says what it was waiting for */
	PROBE_YES,
	PROBE_NO,	/* tried and failed: detail says why */
};

struct probe {
	enum probe_state state;
	char detail[DETAIL_MAX];
};

struct suite_report {
	enum ktls_version version;
	enum ktls_cipher cipher;
	struct probe tx;	/* TX installs on both ends */
	struct probe rx;	/* RX installs on both ends */
	struct probe data;	/* one record each way, decrypted intact */
};

static const enum ktls_version probed_versions[] = { KTLS_VERSION_1_2, KTLS_VERSION_1_3 };
static const enum ktls_cipher probed_ciphers[] = {
	KTLS_CIPHER_AES_128_GCM, KTLS_CIPHER_AES_256_GCM,
	KTLS_CIPHER_AES_128_CCM, KTLS_CIPHER_CHACHA20_POLY1305,
};
_Static_assert(sizeof(probed_ciphers) / sizeof(probed_ciphers[0]) == KTLS_CIPHER_COUNT,
	       "ktls check must probe every cipher libktls knows");

#define VERSION_COUNT (sizeof(probed_versions) / sizeof(probed_versions[0]))
#define SUITE_COUNT (VERSION_COUNT * KTLS_CIPHER_COUNT)

struct check_report {
	char kernel_release[sizeof(((struct utsname *)0)->release)];
	struct probe ulp;
	struct suite_report suites[SUITE_COUNT];
	struct probe rx_expect_no_pad;
	struct probe tx_zerocopy_ro;
	struct probe rekey;
	struct probe handshake_family;
	int handshake_family_id;	/* -1 unless present */
	struct probe tls_stat;
	size_t working_suites;
	bool usable;
	char verdict[2 * DETAIL_MAX];
};

/* ---- probe results ------------------------------------------------------- */

#define PRINTF_LIKE(fmt_index, first_arg) __attribute__((format(printf, fmt_index, first_arg)))

static PRINTF_LIKE(3, 0) void probe_vset(struct probe *p, enum probe_state state,
					 const char *fmt, va_list ap)
{
	p->state = state;
	vsnprintf(p->detail, sizeof(p->detail), fmt, ap);
}

static PRINTF_LIKE(2, 3) void probe_yes(struct probe *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	probe_vset(p, PROBE_YES, fmt, ap);
	va_end(ap);
}

/* Yes, and nothing more to say. */
static void probe_pass(struct probe *p)
{
	p->state = PROBE_YES;
	p->detail[0] = '\0';
}

/* Returns -1 so a failing step can `return probe_no(...)`. */
static PRINTF_LIKE(2, 3) int probe_no(struct probe *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	probe_vset(p, PROBE_NO, fmt, ap);
	va_end(ap);
	return -1;
}

static PRINTF_LIKE(2, 3) void probe_skip(struct probe *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	probe_vset(p, PROBE_SKIPPED, fmt, ap);
	va_end(ap);
}

static const char *suite_name(const struct suite_report *s, char *buf, size_t size)
{
	snprintf(buf, size, "%s %s", ktls_version_name(s->version), ktls_cipher_name(s->cipher));
	return buf;
}

/* ---- loopback pairs and dummy keys ---------------------------------------- */

/* A connected 127.0.0.1 pair whose receives give up after RECV_TIMEOUT_S
 * (EAGAIN) instead of hanging the check on a kernel that swallowed a record;
 * on failure the reason goes to out. */
static int tcp_pair_open(struct ktls_loopback_pair *pair, struct probe *out)
{
	if (ktls_loopback_pair_open(pair, RECV_TIMEOUT_S) < 0)
		return probe_no(out, "%s", ktls_errmsg());
	return 0;
}

/* Keys of the sizes the suite needs, every byte derived from seed. */
static void dummy_params(struct ktls_crypto_params *p, const struct suite_report *s, uint8_t seed)
{
	ktls_params_throwaway(p, s->version, s->cipher, seed);
}

/* Seeds for the two directions; different so that keys crossed between the
 * directions fail authentication instead of passing. */
#define SEED_CLIENT_TO_SERVER 0x11
#define SEED_SERVER_TO_CLIENT 0x22
#define SEED_REKEY 0x33

static int install(int fd, enum ktls_direction dir, const struct ktls_crypto_params *p,
		   const char *end, struct probe *out)
{
	if (ktls_install(fd, dir, p) == 0)
		return 0;
	return probe_no(out, "%s: %s", end, ktls_errmsg());
}

/* ---- moving one record ---------------------------------------------------- */

static const char probe_message[] = "ktls check probe record";

/* The same bytes, sent through sendfile() from a memfd, so the kernel takes
 * its splice path (the one TLS_TX_ZEROCOPY_RO is about) rather than sendmsg. */
static int send_with_sendfile(int fd, struct probe *out)
{
	int file = memfd_create("ktls-check", MFD_CLOEXEC);
	off_t offset = 0;
	ssize_t sent;
	int rc = -1;

	if (file < 0)
		return probe_no(out, "memfd_create: %s", strerror(errno));
	if (write(file, probe_message, sizeof(probe_message)) != sizeof(probe_message)) {
		probe_no(out, "writing the memfd: %s", strerror(errno));
		goto out;
	}
	sent = sendfile(fd, file, &offset, sizeof(probe_message));
	if (sent != sizeof(probe_message)) {
		probe_no(out, "sendfile: %s", sent < 0 ? strerror(errno) : "short write");
		goto out;
	}
	rc = 0;
out:
	close(file);
	return rc;
}

static int send_message(int fd, bool use_sendfile, struct probe *out)
{
	ssize_t sent;

	if (use_sendfile)
		return send_with_sendfile(fd, out);
	sent = send(fd, probe_message, sizeof(probe_message), MSG_NOSIGNAL);
	if (sent != sizeof(probe_message))
		return probe_no(out, "send: %s", sent < 0 ? strerror(errno) : "short write");
	return 0;
}

static int receive_message(int fd, struct probe *out)
{
	char got[sizeof(probe_message)];
	size_t have = 0;
	uint8_t type;
	ssize_t n;

	while (have < sizeof(got)) {
		n = ktls_recv_record(fd, got + have, sizeof(got) - have, 0, &type);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return probe_no(out, "no record arrived within %d s", RECV_TIMEOUT_S);
		if (n < 0)
			return probe_no(out, "%s", ktls_errmsg());
		if (n == 0)
			return probe_no(out, "peer closed the connection");
		if (type != KTLS_RECORD_APPLICATION_DATA)
			return probe_no(out, "got a record of type %u, not application data",
					type);
		have += (size_t)n;
	}
	if (memcmp(got, probe_message, sizeof(got)))
		return probe_no(out, "record decrypted to different bytes than were sent");
	return 0;
}

/* One record from -> to; on failure out says which way and why. */
static int transfer(int from, int to, const char *way, bool use_sendfile, struct probe *out)
{
	struct probe step;

	if (send_message(from, use_sendfile, &step) == 0 && receive_message(to, &step) == 0)
		return 0;
	return probe_no(out, "%s: %s", way, step.detail);
}

/* The kernel must say it holds what we installed: otherwise a round trip of
 * plaintext through two untouched sockets would pass for kTLS. */
static int confirm_installed(int fd, const struct suite_report *s, const char *end,
			     struct probe *out)
{
	struct ktls_info info;

	if (ktls_query(fd, &info) < 0)
		return probe_no(out, "%s: %s", end, ktls_errmsg());
	if (!info.tx.installed || !info.rx.installed)
		return probe_no(out, "%s: kernel reports TX %s, RX %s", end,
				info.tx.installed ? "on" : "off", info.rx.installed ? "on" : "off");
	if (info.tx.cipher != s->cipher || info.rx.cipher != s->cipher ||
	    info.tx.version != s->version || info.rx.version != s->version)
		return probe_no(out, "%s: kernel reports other version/cipher than installed", end);
	return 0;
}

/* ---- the probes ----------------------------------------------------------- */

static void probe_ulp(struct probe *out)
{
	struct ktls_loopback_pair pair;

	if (tcp_pair_open(&pair, out) < 0)
		return;
	if (ktls_attach_ulp(pair.client) == 0)
		probe_pass(out);
	else
		probe_no(out, "%s", ktls_errmsg());
	ktls_loopback_pair_close(&pair);
}

static void probe_round_trip(const struct ktls_loopback_pair *pair, const struct suite_report *s,
			     struct probe *out)
{
	if (confirm_installed(pair->client, s, "client", out) < 0 ||
	    confirm_installed(pair->server, s, "server", out) < 0)
		return;
	if (transfer(pair->client, pair->server, "client->server", false, out) < 0 ||
	    transfer(pair->server, pair->client, "server->client", false, out) < 0)
		return;
	probe_pass(out);
}

static void probe_suite(struct suite_report *s)
{
	struct ktls_crypto_params to_server, to_client;
	struct ktls_loopback_pair pair;
	bool tx_ok, rx_ok;

	if (tcp_pair_open(&pair, &s->tx) < 0) {
		probe_skip(&s->rx, "no socket pair");
		probe_skip(&s->data, "no socket pair");
		return;
	}
	dummy_params(&to_server, s, SEED_CLIENT_TO_SERVER);
	dummy_params(&to_client, s, SEED_SERVER_TO_CLIENT);
	tx_ok = install(pair.client, KTLS_DIR_TX, &to_server, "client TX", &s->tx) == 0 &&
		install(pair.server, KTLS_DIR_TX, &to_client, "server TX", &s->tx) == 0;
	rx_ok = install(pair.server, KTLS_DIR_RX, &to_server, "server RX", &s->rx) == 0 &&
		install(pair.client, KTLS_DIR_RX, &to_client, "client RX", &s->rx) == 0;
	if (tx_ok)
		probe_pass(&s->tx);
	if (rx_ok)
		probe_pass(&s->rx);
	if (tx_ok && rx_ok)
		probe_round_trip(&pair, s, &s->data);
	else
		probe_skip(&s->data, "needs TX and RX");
	ktls_params_wipe(&to_server);
	ktls_params_wipe(&to_client);
	ktls_loopback_pair_close(&pair);
}

/* Client TX -> server RX only: what the one-way feature probes need. */
static int open_one_way(struct ktls_loopback_pair *pair, const struct suite_report *s,
			struct probe *out)
{
	struct ktls_crypto_params keys;
	int rc = -1;

	if (tcp_pair_open(pair, out) < 0)
		return -1;
	dummy_params(&keys, s, SEED_CLIENT_TO_SERVER);
	if (install(pair->client, KTLS_DIR_TX, &keys, "client TX", out) == 0 &&
	    install(pair->server, KTLS_DIR_RX, &keys, "server RX", out) == 0)
		rc = 0;
	ktls_params_wipe(&keys);
	if (rc < 0)
		ktls_loopback_pair_close(pair);
	return rc;
}

/* A knob on one end of a one-way pair (client TX -> server RX): it counts
 * when the kernel accepts it, reads it back as set, and a record still goes
 * through by the path the knob is about. */
struct knob {
	int (*set)(int fd, int enable);
	size_t read_back;		/* offset of its int in struct ktls_info */
	bool on_client;			/* a TX knob; an RX knob is on the server */
	bool use_sendfile;
	const char *way, *proof;
};

/* TLS 1.3 only: the receiver trusts that records carry no padding, so it can
 * decrypt in place. */
static const struct knob rx_expect_no_pad = {
	ktls_set_rx_expect_no_pad, offsetof(struct ktls_info, rx_expect_no_pad),
	false, false, "client->server", "",
};
/* The splice path (sendfile) may hand the kernel page-cache pages as is. */
static const struct knob tx_zerocopy_ro = {
	ktls_set_tx_zerocopy_ro, offsetof(struct ktls_info, tx_zerocopy_ro),
	true, true, "sendfile client->server", ", sendfile record verified",
};

static void probe_knob(const struct knob *k, const struct suite_report *s, struct probe *out)
{
	struct ktls_loopback_pair pair;
	struct ktls_info info;
	char name[64];
	int fd, value;

	if (open_one_way(&pair, s, out) < 0)
		return;
	fd = k->on_client ? pair.client : pair.server;
	if (k->set(fd, 1) < 0 || ktls_query(fd, &info) < 0)
		probe_no(out, "%s", ktls_errmsg());
	else if ((value = *(const int *)((const char *)&info + k->read_back)) != 1)
		probe_no(out, "accepted, but reads back as %d", value);
	else if (transfer(pair.client, pair.server, k->way, k->use_sendfile, out) == 0)
		probe_yes(out, "on %s%s", suite_name(s, name, sizeof(name)), k->proof);
	ktls_loopback_pair_close(&pair);
}

/* A second TX install on TLS 1.3 is how a KeyUpdate reaches the kernel;
 * kernels without rekey support refuse it (EBUSY). */
static void probe_rekey(const struct suite_report *s, struct probe *out)
{
	struct ktls_crypto_params first, second;
	struct ktls_loopback_pair pair;
	char name[64];

	if (tcp_pair_open(&pair, out) < 0)
		return;
	dummy_params(&first, s, SEED_CLIENT_TO_SERVER);
	dummy_params(&second, s, SEED_REKEY);
	if (install(pair.client, KTLS_DIR_TX, &first, "first TX", out) == 0 &&
	    install(pair.client, KTLS_DIR_TX, &second, "second TX", out) == 0)
		probe_yes(out, "second TX install accepted on %s",
			  suite_name(s, name, sizeof(name)));
	ktls_params_wipe(&first);
	ktls_params_wipe(&second);
	ktls_loopback_pair_close(&pair);
}

static const struct suite_report *first_working_suite(const struct check_report *r,
						      int version)
{
	for (size_t i = 0; i < SUITE_COUNT; i++)
		if (r->suites[i].data.state == PROBE_YES &&
		    (version == 0 || (int)r->suites[i].version == version))
			return &r->suites[i];
	return NULL;
}

static void probe_features(struct check_report *r)
{
	const struct suite_report *tls13 = first_working_suite(r, KTLS_VERSION_1_3);
	const struct suite_report *any = first_working_suite(r, 0);
	const char *no_tls13 = r->ulp.state == PROBE_YES ? "no TLS 1.3 cipher works" : "no TLS ULP";
	const char *no_cipher = r->ulp.state == PROBE_YES ? "no cipher works" : "no TLS ULP";

	if (tls13) {
		probe_knob(&rx_expect_no_pad, tls13, &r->rx_expect_no_pad);
		probe_rekey(tls13, &r->rekey);
	} else {
		probe_skip(&r->rx_expect_no_pad, "%s", no_tls13);
		probe_skip(&r->rekey, "%s", no_tls13);
	}
	if (any)
		probe_knob(&tx_zerocopy_ro, any, &r->tx_zerocopy_ro);
	else
		probe_skip(&r->tx_zerocopy_ro, "%s", no_cipher);
}

/* ktlsd receives handshake requests from the kernel over this family
 * (net/handshake, CONFIG_NET_HANDSHAKE). */
static void probe_handshake_family(struct check_report *r)
{
	struct nl_sock *sock = nl_socket_alloc();
	int id;

	r->handshake_family_id = -1;
	if (!sock) {
		probe_no(&r->handshake_family, "nl_socket_alloc: out of memory");
		return;
	}
	id = genl_connect(sock);
	if (id >= 0)
		id = genl_ctrl_resolve(sock, HANDSHAKE_GENL_FAMILY);
	if (id >= 0) {
		r->handshake_family_id = id;
		probe_yes(&r->handshake_family, "id %d", id);
	} else if (id == -NLE_OBJ_NOTFOUND) {
		probe_no(&r->handshake_family, "kernel built without CONFIG_NET_HANDSHAKE");
	} else {
		probe_no(&r->handshake_family, "generic netlink lookup failed: %s",
			 nl_geterror(id));
	}
	nl_socket_free(sock);
}

/* The tls module creates it when it loads, so probe it after the ULP. */
static void probe_tls_stat(struct probe *out)
{
	if (access(TLS_STAT_PATH, R_OK) == 0)
		probe_pass(out);
	else if (errno == ENOENT)
		probe_no(out, "the tls module is not loaded");
	else
		probe_no(out, "%s", strerror(errno));
}

static void probe_kernel_release(struct check_report *r)
{
	struct utsname uts;

	if (uname(&uts) < 0)
		snprintf(r->kernel_release, sizeof(r->kernel_release), "unknown (%s)",
			 strerror(errno));
	else
		snprintf(r->kernel_release, sizeof(r->kernel_release), "%s", uts.release);
}

static void probe_suites(struct check_report *r)
{
	for (size_t v = 0; v < VERSION_COUNT; v++) {
		for (size_t c = 0; c < KTLS_CIPHER_COUNT; c++) {
			struct suite_report *s = &r->suites[v * KTLS_CIPHER_COUNT + c];

			s->version = probed_versions[v];
			s->cipher = probed_ciphers[c];
			if (r->ulp.state != PROBE_YES) {
				probe_skip(&s->tx, "no TLS ULP");
				probe_skip(&s->rx, "no TLS ULP");
				probe_skip(&s->data, "no TLS ULP");
				continue;
			}
			probe_suite(s);
			if (s->data.state == PROBE_YES)
				r->working_suites++;
		}
	}
}

/* The first reason a suite does not work, for the one-line verdict. */
static const char *first_suite_failure(const struct suite_report *s)
{
	if (s->tx.state != PROBE_YES)
		return s->tx.detail;
	if (s->rx.state != PROBE_YES)
		return s->rx.detail;
	return s->data.detail;
}

static void decide(struct check_report *r)
{
	char name[64];

	r->usable = r->ulp.state == PROBE_YES && r->working_suites > 0;
	if (r->ulp.state != PROBE_YES)
		snprintf(r->verdict, sizeof(r->verdict), "kTLS unusable: %s", r->ulp.detail);
	else if (!r->usable)
		snprintf(r->verdict, sizeof(r->verdict),
			 "kTLS unusable: no version x cipher works both ways (%s: %s)",
			 suite_name(&r->suites[0], name, sizeof(name)),
			 first_suite_failure(&r->suites[0]));
	else
		snprintf(r->verdict, sizeof(r->verdict),
			 "kTLS usable: %zu of %zu version x cipher combinations work both ways",
			 r->working_suites, SUITE_COUNT);
}

static void run_probes(struct check_report *r)
{
	memset(r, 0, sizeof(*r));
	probe_kernel_release(r);
	probe_ulp(&r->ulp);
	probe_suites(r);
	probe_features(r);
	probe_handshake_family(r);
	probe_tls_stat(&r->tls_stat);
	decide(r);
}

/* ---- output: table -------------------------------------------------------- */

static const char *state_word(enum probe_state state, const char *yes, const char *no)
{
	switch (state) {
	case PROBE_YES:
		return yes;
	case PROBE_NO:
		return no;
	case PROBE_SKIPPED:
		return "skipped";
	}
	return "?";
}

#define LABEL_WIDTH 26

static void print_fact(const char *label, const struct probe *p, const char *yes, const char *no)
{
	printf("%-*s%s", LABEL_WIDTH, label, state_word(p->state, yes, no));
	if (p->detail[0])
		printf(" (%s)", p->detail);
	putchar('\n');
}

static const char *cell(const struct probe *p)
{
	return p->state == PROBE_SKIPPED ? "-" : state_word(p->state, "yes", "no");
}

/* Suite rows share the label column with the facts above and below them;
 * the note column is left off (no trailing blanks) when there is nothing to
 * say. */
static void print_suite_row(const char *label, const char *tx, const char *rx, const char *data,
			    const char *note)
{
	printf("%-*s%-5s%-5s", LABEL_WIDTH, label, tx, rx);
	if (note[0])
		printf("%-6s%s\n", data, note);
	else
		printf("%s\n", data);
}

static void print_suite(const struct suite_report *s)
{
	const char *note = s->data.state == PROBE_YES ? "" : first_suite_failure(s);
	char name[64];

	print_suite_row(suite_name(s, name, sizeof(name)), cell(&s->tx), cell(&s->rx),
			cell(&s->data), note);
}

static void print_table(const struct check_report *r)
{
	printf("%-*s%s\n", LABEL_WIDTH, "kernel release", r->kernel_release);
	print_fact("TLS ULP \"tls\"", &r->ulp, "yes", "no");
	putchar('\n');
	print_suite_row("version x cipher", "TX", "RX", "data", "note");
	for (size_t i = 0; i < SUITE_COUNT; i++)
		print_suite(&r->suites[i]);
	putchar('\n');
	print_fact("TLS_RX_EXPECT_NO_PAD", &r->rx_expect_no_pad, "yes", "no");
	print_fact("TLS_TX_ZEROCOPY_RO", &r->tx_zerocopy_ro, "yes", "no");
	print_fact("rekey (TLS 1.3 TX)", &r->rekey, "yes", "no");
	print_fact("genl \"" HANDSHAKE_GENL_FAMILY "\" family", &r->handshake_family, "present",
		   "absent");
	print_fact(TLS_STAT_PATH, &r->tls_stat, "present", "absent");
	putchar('\n');
}

/* ---- output: JSON --------------------------------------------------------- */

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void json_probe(const char *key, const struct probe *p)
{
	printf("\"%s\": {\"result\": \"%s\", \"detail\": ", key,
	       state_word(p->state, "yes", "no"));
	if (p->detail[0])
		json_string(p->detail);
	else
		fputs("null", stdout);
	putchar('}');
}

static void json_suite(const struct suite_report *s)
{
	printf("    {\"version\": \"%s\", \"cipher\": \"%s\", ", ktls_version_name(s->version),
	       ktls_cipher_name(s->cipher));
	json_probe("tx", &s->tx);
	fputs(", ", stdout);
	json_probe("rx", &s->rx);
	fputs(", ", stdout);
	json_probe("data", &s->data);
	putchar('}');
}

static void print_json(const struct check_report *r)
{
	fputs("{\n  \"kernel_release\": ", stdout);
	json_string(r->kernel_release);
	fputs(",\n  ", stdout);
	json_probe("tls_ulp", &r->ulp);
	fputs(",\n  \"suites\": [\n", stdout);
	for (size_t i = 0; i < SUITE_COUNT; i++) {
		json_suite(&r->suites[i]);
		fputs(i + 1 < SUITE_COUNT ? ",\n" : "\n", stdout);
	}
	fputs("  ],\n  ", stdout);
	json_probe("rx_expect_no_pad", &r->rx_expect_no_pad);
	fputs(",\n  ", stdout);
	json_probe("tx_zerocopy_ro", &r->tx_zerocopy_ro);
	fputs(",\n  ", stdout);
	json_probe("rekey", &r->rekey);
	fputs(",\n  ", stdout);
	json_probe("handshake_genl_family", &r->handshake_family);
	printf(",\n  \"handshake_genl_family_id\": ");
	if (r->handshake_family_id >= 0)
		printf("%d", r->handshake_family_id);
	else
		fputs("null", stdout);
	fputs(",\n  ", stdout);
	json_probe("tls_stat", &r->tls_stat);
	printf(",\n  \"usable\": %s,\n  \"verdict\": ", r->usable ? "true" : "false");
	json_string(r->verdict);
	fputs("\n}\n", stdout);
}

/* ---- command line --------------------------------------------------------- */

enum check_output { OUTPUT_TABLE, OUTPUT_QUIET, OUTPUT_JSON };
enum parse_result { PARSE_RUN, PARSE_HELP_SHOWN, PARSE_USAGE_ERROR };

static void print_help(void)
{
	cli_help("check");
	printf("\nEvery row is a real probe on loopback TCP pairs with dummy keys.\n"
	       "  --quiet  print only the verdict line\n"
	       "  --json   print the results as one JSON object\n"
	       "Exit status: 0 kTLS usable (the TLS ULP attaches and at least one\n"
	       "version x cipher works both ways), 1 not usable (the reason is the\n"
	       "last line on stderr), 2 bad usage.\n");
}

static enum parse_result parse_args(int argc, char **argv, enum check_output *output)
{
	static const struct option options[] = {
		{ "quiet", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	enum check_output wanted;
	int opt;

	*output = OUTPUT_TABLE;
	opterr = 0;	/* our own messages, prefixed "ktls check:" */
	while ((opt = getopt_long(argc, argv, "qjh", options, NULL)) != -1) {
		if (opt == 'h') {
			print_help();
			return PARSE_HELP_SHOWN;
		}
		if (opt != 'q' && opt != 'j') {
			if (optopt)
				cli_usage_error("check", "unknown option '-%c'", optopt);
			else
				cli_usage_error("check", "unknown option '%s'", argv[optind - 1]);
			return PARSE_USAGE_ERROR;
		}
		wanted = opt == 'q' ? OUTPUT_QUIET : OUTPUT_JSON;
		if (*output != OUTPUT_TABLE && *output != wanted) {
			cli_usage_error("check", "--quiet and --json exclude each other");
			return PARSE_USAGE_ERROR;
		}
		*output = wanted;
	}
	if (optind < argc) {
		cli_usage_error("check", "unexpected argument '%s'", argv[optind]);
		return PARSE_USAGE_ERROR;
	}
	return PARSE_RUN;
}

int cmd_check(int argc, char **argv)
{
	struct check_report report;
	enum check_output output;

	switch (parse_args(argc, argv, &output)) {
	case PARSE_RUN:
		break;
	case PARSE_HELP_SHOWN:
		return CLI_EXIT_OK;
	case PARSE_USAGE_ERROR:
		return CLI_EXIT_USAGE;
	}
	/* sendfile() has no MSG_NOSIGNAL: a probe peer that went away must
	 * fail that probe, not kill the check. */
	signal(SIGPIPE, SIG_IGN);
	run_probes(&report);
	if (output == OUTPUT_JSON)
		print_json(&report);
	else if (output == OUTPUT_TABLE)
		print_table(&report);
	if (!report.usable) {
		fflush(stdout);
		fprintf(stderr, "ktls check: %s\n", report.verdict);
		return CLI_EXIT_FAIL;
	}
	if (output != OUTPUT_JSON)
		printf("ktls check: %s\n", report.verdict);
	return CLI_EXIT_OK;
}

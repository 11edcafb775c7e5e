// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ktlsd: start-up, the main loop, reload and shutdown.
 *
 * Start-up order matters: probe the kernel (which ciphers kTLS can run),
 * read the config, fork the key process (single-threaded, before any key
 * or peer input exists here), load the credentials, open the doors, drop
 * privileges, sandbox this process (sandbox.c: from then on it opens no
 * credential file; reloads get them from the key process), then start
 * workers.  Signals arrive through a signalfd in the
 * main loop: no work in handlers.
 */
#include <errno.h>
#include <getopt.h>
#include <gnutls/gnutls.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "keys/creds.h"
#include "ktls_rekey.h"
#include "doors/door_netlink.h"
#include "doors/door_unix.h"
#include "engine/fd_budget.h"
#include "keys/keyproc.h"
#include "engine/config_ref.h"
#include "process/log.h"
#include "process/privdrop.h"
#include "process/sandbox.h"
#include "process/sd_notify.h"
#include "engine/stats.h"
#include "sessions/session_db.h"
#include "sessions/early_data.h"
#include "sessions/shared_store_daemon.h"
#include "sessions/ticket_keys.h"
#include "engine/worker.h"
#include "sessions/client_cache.h"
#include "sessions/client_session.h"

#ifndef KTLSD_VERSION
#define KTLSD_VERSION "0.1.0"
#endif

struct options {
	const char *config_path;
	int config_given;
	const char *socket_path;
	int foreground, check_only, debug;
	int no_netlink;			/* --no-netlink: applications only */
	unsigned workers;
};

/* Defined only by the test build's attack probe (tests/integration/attack):
 * runs with exactly this process's ids, capabilities and sandbox. */
extern void ktlsd_test_sandboxed(const struct cfg *cfg) __attribute__((weak));

static char listen_tag, signal_tag;	/* epoll ptrs for the two fixed fds */
static char netlink_tag;		/* and the kernel door's, when open */

static void usage(FILE *out)
{
	fprintf(out,
		"usage: ktlsd [options]\n"
		"  -c, --config FILE   configuration (default " CFG_DEFAULT_PATH
		" if it exists, else built-in defaults)\n"
		"  -s, --socket PATH   application socket (default: $KTLS_SOCKET, the config, "
		KTLS_DEFAULT_SOCKET ")\n"
		"  -f, --foreground    log to stderr (for terminals, tests and systemd)\n"
		"  -n, --check         check the configuration and credentials, then exit\n"
		"  -w, --workers N     handshake worker threads (default: one per CPU)\n"
		"  -d, --debug         debug logging\n"
		"      --no-netlink    do not serve the kernel's handshake upcall\n"
		"      --generate-ticket-key FILE  write a new session ticket key file "
		"(mode 0600) for ticket_key_file, then exit\n"
		"  -V, --version       print the version\n");
}

/* --generate-ticket-key FILE: the exit status. */
static int generate_ticket_key(const char *path)
{
	char err[512] = "";

	if (gnutls_global_init() < 0 || ticket_key_generate_file(path, err, sizeof(err)) < 0) {
		fprintf(stderr, "ktlsd: %s\n", err[0] ? err : "cannot generate a ticket key");
		return 1;
	}
	printf("ktlsd: wrote a new ticket key to %s (give every host that shares tickets "
	       "this file as [global] ticket_key_file)\n", path);
	return 0;
}

static void parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, 's' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "check", no_argument, NULL, 'n' },
		{ "workers", required_argument, NULL, 'w' },
		{ "debug", no_argument, NULL, 'd' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ "no-netlink", no_argument, NULL, 'N' },	/* long form only */
		{ "generate-ticket-key", required_argument, NULL, 'T' },	/* long only */
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "c:s:fnw:dVh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o->config_path = optarg; o->config_given = 1; break;
		case 's': o->socket_path = optarg; break;
		case 'f': o->foreground = 1; break;
		case 'n': o->check_only = 1; break;
		case 'd': o->debug = 1; break;
		case 'N': o->no_netlink = 1; break;
		case 'T': exit(generate_ticket_key(optarg));
		case 'w':
			o->workers = (unsigned)strtoul(optarg, &end, 10);
			if (*end || o->workers > 1024) {
				fprintf(stderr, "ktlsd: --workers wants a number 0..1024\n");
				exit(2);
			}
			break;
		case 'V': printf("ktlsd %s (GnuTLS %s)\n", KTLSD_VERSION, gnutls_check_version(NULL));
			  exit(0);
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (optind < argc) {
		usage(stderr);
		exit(2);
	}
	if (!o->config_given && access(CFG_DEFAULT_PATH, F_OK) == 0)
		o->config_path = CFG_DEFAULT_PATH;
}

/* Ask the kernel which ciphers it runs, for every profile's priorities. */
static int probe_kernel_ciphers(int must_work)
{
	static const struct { int cipher; const char *gnutls_name; } map[] = {
		{ KTLS_CIPHER_AES_128_GCM, "AES-128-GCM" },
		{ KTLS_CIPHER_AES_256_GCM, "AES-256-GCM" },
		{ KTLS_CIPHER_AES_128_CCM, "AES-128-CCM" },
		{ KTLS_CIPHER_CHACHA20_POLY1305, "CHACHA20-POLY1305" },
	};
	char suffix[256] = ":-CIPHER-ALL";
	char last_error[256] = "";
	int found = 0;

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (ktls_probe(KTLS_VERSION_1_3, map[i].cipher) < 0 &&
		    ktls_probe(KTLS_VERSION_1_2, map[i].cipher) < 0) {
			snprintf(last_error, sizeof(last_error), "%s", ktls_errmsg());
			if (errno == ENOENT && !found)
				break;	/* no TLS ULP at all: one message is enough */
			log_info("kernel kTLS cannot run %s: %s", map[i].gnutls_name, last_error);
			continue;
		}
		strcat(suffix, ":+");
		strcat(suffix, map[i].gnutls_name);
		found++;
	}
	if (!found) {
		if (must_work) {
			log_error("kernel TLS is unusable: %s", last_error);
			return -ENOPROTOOPT;
		}
		log_warnx("kernel TLS is unusable here (%s); checking the configuration anyway",
			  last_error);
		return 0;
	}
	creds_set_kernel_ciphers(suffix);
	log_info("kernel kTLS ciphers: %s", suffix + strlen(":-CIPHER-ALL:+"));
	/* Applications' TLS 1.3 connections rekey only where this says yes. */
	if (ktls_kernel_can_rekey())
		log_info("kernel kTLS rekey (TLS 1.3 KeyUpdate after the handoff): yes");
	else
		log_info("kernel kTLS rekey (TLS 1.3 KeyUpdate after the handoff): no, "
			 "Linux 6.14 or later needed (%s)", ktls_errmsg());
	return 0;
}

static struct cfg *read_config(const char *path)
{
	struct cfg *cfg = NULL;
	char err[512] = "";

	if (cfg_load(path, &cfg, err, sizeof(err)) < 0) {
		log_error("%s", err[0] ? err : "cannot load the configuration");
		cfg_free(cfg);
		return NULL;
	}
	return cfg;
}

/* The credentials, with the configured user's ids while still root (the
 * policy is creds.c's, the mechanism privdrop.c's). */
static int load_creds(struct cfg *cfg, char *reason, size_t reason_len)
{
	int as_user = privdrop_become_user(cfg, reason, reason_len), rc;

	if (as_user < 0)
		return as_user;
	rc = creds_load_all(cfg, keyproc_active(), reason, reason_len);
	if (as_user)
		privdrop_come_back();
	return rc;
}

/* cfg's credentials, and a reference to hand out; frees cfg on failure. */
static struct cfg_ref *with_creds(struct cfg *cfg)
{
	struct cfg_ref *ref = calloc(1, sizeof(*ref));
	char err[768] = "";

	if (!ref || load_creds(cfg, err, sizeof(err)) < 0) {
		log_error("%s", err[0] ? err : "cannot load the configuration");
		creds_free_all(cfg);
		cfg_free(cfg);
		free(ref);
		return NULL;
	}
	ref->cfg = cfg;
	atomic_init(&ref->refs, 1);
	return ref;
}

/*
 * A reload.  With the key process, the sandboxed network process opens no
 * file: the key process re-reads the config for a new key generation and
 * passes its descriptor, so both parse the same text, and later opens the
 * certificates, CA and PSK files it names (creds.c).
 */
static struct cfg_ref *load_config(const char *path)
{
	struct cfg *cfg = NULL;
	char err[768] = "";
	uint32_t generation = 0;
	int fd = -1, rc;

	if (!keyproc_active()) {
		cfg = read_config(path);
		return cfg ? with_creds(cfg) : NULL;
	}
	rc = keyproc_config(&generation, &fd, err, sizeof(err));
	if (rc == 0)
		rc = fd >= 0 ? cfg_load_fd(fd, path, &cfg, err, sizeof(err)) :
			       cfg_load(NULL, &cfg, err, sizeof(err));
	if (fd >= 0)
		close(fd);
	if (rc < 0) {
		log_error("%s", err[0] ? err : "cannot load the configuration");
		cfg_free(cfg);
		if (generation)
			keyproc_drop(generation);
		return NULL;
	}
	return with_creds(cfg);
}

/*
 * KTLSD_KEYPROC=0 keeps the private keys in this process, as before the key
 * process existed: a benchmark switch to measure what the separation costs,
 * not a configuration (it is loud for that reason).
 */
static void start_key_process(const struct cfg *cfg, int use_syslog)
{
	const char *env = getenv("KTLSD_KEYPROC");
	int rc;

	if (env && strcmp(env, "0") == 0) {
		log_warnx("KTLSD_KEYPROC=0: private keys are loaded into the network process "
			  "(a benchmark switch; do not run like this)");
		return;
	}
	rc = keyproc_start(cfg, use_syslog);
	if (rc < 0)
		fatalx("cannot start the key process: %s", strerror(-rc));
}

static void reload(const char *path)
{
	struct cfg_ref *ref;

	sd_notify_reloading();
	ref = load_config(path);
	if (!ref) {
		log_warnx("reload failed; still serving with the previous configuration");
		sd_notify_ready("reload failed; serving the previous configuration");
		return;
	}
	cfg_ref_install(ref);
	client_session_apply_config(ref->cfg);
	shared_store_daemon_rekey(ref->cfg);	/* ticket_key_file may have rotated */
	log_info("configuration reloaded from %s", path ? path : "built-in defaults");
	sd_notify_ready("configuration reloaded");
}

static int signals_open(void)
{
	sigset_t mask;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGCHLD);	/* the key process's death */
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -errno;
	return signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
}

/*
 * Returns 1 to keep running, 0 to stop, -1 to stop with a failure.
 *
 * A dead key process stops ktlsd: without it every certificate handshake
 * would fail while we looked healthy, and forking a new one from this
 * threaded, unprivileged process could neither run GnuTLS safely nor
 * reread root-only key files.  The service manager restarts us
 * (Restart=on-failure), as OpenBSD's privsep daemons do when a child is lost.
 */
static int on_signal(int sfd, const char *config_path)
{
	struct signalfd_siginfo si;

	while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			reload(config_path);
			continue;
		}
		if (si.ssi_signo == SIGCHLD) {
			if (!keyproc_reap())
				continue;
			log_error("stopping: without its key process ktlsd cannot sign; exiting "
				  "with status 1 so that the service manager restarts it");
			return -1;
		}
		log_info("signal %u: shutting down", si.ssi_signo);
		return 0;
	}
	return 1;
}

static int main_loop(int listen_fd, int sfd, int netlink_fd, const char *config_path)
{
	struct epoll_event ev, events[32];
	int epfd = epoll_create1(EPOLL_CLOEXEC), running = 1, timeout, n;

	if (epfd < 0)
		return -errno;
	ev = (struct epoll_event){ .events = EPOLLIN, .data.ptr = &listen_tag };
	epoll_ctl(epfd, EPOLL_CTL_ADD, listen_fd, &ev);
	ev = (struct epoll_event){ .events = EPOLLIN, .data.ptr = &signal_tag };
	epoll_ctl(epfd, EPOLL_CTL_ADD, sfd, &ev);
	ev = (struct epoll_event){ .events = EPOLLIN, .data.ptr = &netlink_tag };
	if (netlink_fd >= 0)
		epoll_ctl(epfd, EPOLL_CTL_ADD, netlink_fd, &ev);
	while (running > 0) {
		timeout = door_unix_expire(epfd);
		n = epoll_wait(epfd, events, 32, timeout);
		for (int i = 0; i < n && running > 0; i++) {
			if (events[i].data.ptr == &signal_tag)
				running = on_signal(sfd, config_path);
			else if (events[i].data.ptr == &listen_tag)
				door_unix_accept(listen_fd, epfd);
			else if (events[i].data.ptr == &netlink_tag)
				door_netlink_readable();
			else
				door_unix_readable(epfd, events[i].data.ptr);
		}
	}
	close(epfd);
	return running < 0 ? -EIO : 0;
}

/* path's directory into buf (for the sandbox's one write right). */
static const char *dirname_of(const char *path, char *buf, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(buf, len, ".");
	else if (slash == path)
		snprintf(buf, len, "/");
	else
		snprintf(buf, len, "%.*s", (int)(slash - path), path);
	return buf;
}

static const char *socket_path_for(const struct options *o, const struct cfg *cfg)
{
	const char *env = getenv("KTLS_SOCKET");

	if (o->socket_path)
		return o->socket_path;
	if (env && *env)
		return env;
	return cfg->socket_path ? cfg->socket_path : KTLS_DEFAULT_SOCKET;
}

/* `ktlsd -n`: who may use each profile through the application door. */
static void print_acls(const struct cfg *cfg)
{
	char acl[512];

	for (size_t i = 0; i < cfg->n_profiles; i++) {
		cfg_describe_acl(cfg, &cfg->profiles[i], acl, sizeof(acl));
		printf("ktlsd: profile %s: usable by %s\n", cfg->profiles[i].name, acl);
	}
}

int main(int argc, char **argv)
{
	struct options opt = { 0 };
	struct cfg_ref *ref;
	struct cfg *cfg;
	const char *socket_path;
	char socket_dir[4096];
	int listen_fd, netlink_fd = -1, sfd, rc;

	parse_options(argc, argv, &opt);
	log_init("ktlsd", 0, opt.debug ? LOG_LVL_DEBUG : LOG_LVL_INFO);
	if (gnutls_global_init() < 0)
		fatalx("cannot initialise GnuTLS");
	if (session_db_init(SESSION_DB_DEFAULT_ENTRIES, SESSION_DB_DEFAULT_BYTES) < 0)
		fatalx("cannot set up the session cache");
	if (probe_kernel_ciphers(!opt.check_only) < 0)
		return 1;
	cfg = read_config(opt.config_path);
	if (!cfg)
		return 1;
	keyproc_set_workers(opt.workers);	/* signers = auto follows -w */
	if (!opt.check_only)
		start_key_process(cfg, !opt.foreground && cfg->log_syslog);
	ref = with_creds(cfg);
	if (!ref) {
		keyproc_stop();
		return 1;
	}
	if (opt.check_only) {
		print_acls(ref->cfg);
		printf("ktlsd: configuration %s is valid (%zu profile%s)\n",
		       opt.config_path ? opt.config_path : "(built-in defaults)",
		       ref->cfg->n_profiles, ref->cfg->n_profiles == 1 ? "" : "s");
		cfg_ref_put(ref);
		return 0;
	}
	if (!opt.foreground && ref->cfg->log_syslog)
		log_init("ktlsd", 1, opt.debug ? LOG_LVL_DEBUG : (enum log_level)ref->cfg->log_level);
	else if (!opt.debug)
		log_set_level((enum log_level)ref->cfg->log_level);
	fd_budget_apply(ref->cfg);	/* may clamp max_handshakes, with a warning */
	cfg_ref_install(ref);
	client_session_apply_config(ref->cfg);
	/* after the ticket key (with_creds), before the sandbox: it resolves */
	shared_store_daemon_start(ref->cfg);
	/* before the first handshake: GnuTLS takes no 0-RTT on older tickets */
	if (early_data_start(ref->cfg) < 0)
		fatalx("out of memory for the 0-RTT anti-replay contexts");
	socket_path = socket_path_for(&opt, ref->cfg);
	sfd = signals_open();
	if (sfd < 0)
		fatal("signalfd");
	listen_fd = door_unix_open(socket_path);
	if (listen_fd < 0)
		fatalx("cannot open the application door %s: %s", socket_path, strerror(-listen_fd));
	/* Single-threaded still, so the workers inherit the dropped ids and
	 * the sandbox (Landlock restricts the calling thread and its future
	 * children only). */
	if (privdrop_apply(ref->cfg, !opt.no_netlink) < 0)
		fatalx("refusing to keep running as root");
	if (sandbox_network_process(ref->cfg, keyproc_active(),
				    dirname_of(socket_path, socket_dir, sizeof(socket_dir))) < 0)
		fatalx("refusing to run without the sandbox this kernel offers");
	if (ktlsd_test_sandboxed)	/* only in the test build (tests/integration/attack) */
		ktlsd_test_sandboxed(ref->cfg);
	rc = workers_start(opt.workers ? opt.workers : ref->cfg->workers);
	if (rc < 0)
		fatalx("cannot start workers: %s", strerror(-rc));
	/* After the workers: it takes requests that waited for an agent. */
	if (!opt.no_netlink)
		netlink_fd = door_netlink_open();
	else
		log_info("netlink door disabled (--no-netlink)");
	log_info("ktlsd %s ready (config: %s)", KTLSD_VERSION,
		 opt.config_path ? opt.config_path : "built-in defaults");
	stats_mark_start();
	sd_notify_ready("serving");
	rc = main_loop(listen_fd, sfd, netlink_fd, opt.config_path);
	sd_notify_stopping();
	workers_stop();
	shared_store_daemon_stop();
	early_data_stop();
	client_cache_clear();		/* wipes the sessions' secrets */
	if (netlink_fd >= 0)
		door_netlink_close();	/* after the workers' last DONEs */
	door_unix_close(listen_fd, socket_path);
	cfg_ref_install(NULL);		/* drops the last key generation */
	keyproc_stop();
	session_db_shutdown();		/* wipes the cached sessions */
	ticket_keys_wipe();
	gnutls_global_deinit();
	return rc < 0 ? 1 : 0;
}

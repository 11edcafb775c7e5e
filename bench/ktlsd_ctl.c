// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Our own ktlsd for the run: a config with one server and one client profile
 * per (certificate, cipher), written next to the generated certificates,
 * the daemon started in the foreground as our child, and libktls pointed at
 * its socket through $KTLS_SOCKET.  With --ktlsd-socket the bench uses a
 * running daemon instead, which must define the same profile names
 * (ktlsd_profile_name()).  Failing to get a daemon is never fatal: the
 * caller falls back to in-process handshakes and says so.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "ktls_proto.h"	/* ktls_daemon_connect() */

#define KTLSD_STOP_WAIT_S 10

/* The per-request "I read with ktls_recv(): no ticket wait" flag, where
 * libktls has one (issue 10); without it the KTLSD_TW_REQUEST arm is the
 * plain profile's. */
#ifdef KTLS_REQ_RECV_TICKETS
#define KTLSD_RECV_FLAG_KNOWN 1
static int recv_flag_set(int fd)
{
	int on = 1;

	return ktls_setsockopt(fd, SOL_KTLS, KTLS_RECV_TICKETS, &on, sizeof(on));
}
#define KTLS_RECV_FLAG_SET(fd) recv_flag_set(fd)
#else
#define KTLSD_RECV_FLAG_KNOWN 0
#define KTLS_RECV_FLAG_SET(fd) ((void)(fd), 0)
#endif

static const int profile_ciphers[] = {
	KTLS_CIPHER_AES_128_GCM, KTLS_CIPHER_AES_256_GCM, KTLS_CIPHER_CHACHA20_POLY1305,
};
#define N_PROFILE_CIPHERS (sizeof(profile_ciphers) / sizeof(profile_ciphers[0]))

void ktlsd_profile_name(char *buf, size_t len, int server, int cipher, enum cert_kind kind)
{
	size_t n;

	snprintf(buf, len, "bench-%s-%s-%s", server ? "srv" : "cli",
		 kind == CERT_ECDSA_P256 ? "ecdsa" : "rsa", ktls_cipher_name(cipher));
	for (n = 0; buf[n]; n++)
		buf[n] = (char)tolower((unsigned char)buf[n]);
}

static void write_profiles(FILE *f, const struct cert_files *certs)
{
	for (int kind = 0; kind < CERT_KIND_COUNT; kind++) {
		for (size_t i = 0; i < N_PROFILE_CIPHERS; i++) {
			char name[64], priority[160];

			bench_priority(profile_ciphers[i], priority, sizeof(priority));
			ktlsd_profile_name(name, sizeof(name), 1, profile_ciphers[i], kind);
			/* tickets on, as by default: the resumed arms' peer clients
			 * resume with them; the other peers ask for none */
			fprintf(f, "\n[profile %s]\nrole = server\ncertificate = %s\nkey = %s\n"
				   "priority = %s\nverify = none\nsession_tickets = on\n",
				name, certs[kind].cert, certs[kind].key, priority);
			/* ktls-bench ttfb's server (ktls serve): takes 0-RTT */
			fprintf(f, "\n[profile %s-early]\nrole = server\ncertificate = %s\n"
				   "key = %s\npriority = %s\nverify = none\nsession_tickets = on\n"
				   "early_data = 14k\n",
				name, certs[kind].cert, certs[kind].key, priority);
			ktlsd_profile_name(name, sizeof(name), 0, profile_ciphers[i], kind);
			/* the cache on, as by default: ktlsd-resume resumes from it;
			 * the other arms' peers send no tickets, so it stays empty */
			fprintf(f, "\n[profile %s]\nrole = client\nca_file = %s\nverify = required\n"
				   "priority = %s\nsession_cache = on\n",
				name, certs[kind].cert, priority);
			/* ktlsd-resume's: the ticket each resumption needs for the
			 * next is waited for up to 1 s (the wait ends 50 ms after
			 * it): under load the auto window (about 100 ms) misses
			 * some, and each miss makes the next handshake a full one */
			fprintf(f, "\n[profile %s-resume]\nrole = client\nca_file = %s\n"
				   "verify = required\npriority = %s\nsession_cache = on\n"
				   "ticket_wait = 1000ms\n",
				name, certs[kind].cert, priority);
			/* the same client without waiting for session tickets */
			fprintf(f, "\n[profile %s-twnone]\nrole = client\nca_file = %s\n"
				   "verify = required\npriority = %s\nticket_wait = none\n",
				name, certs[kind].cert, priority);
		}
	}
}

static int write_config(struct ktlsd *k, const struct bench_opts *o, const char *dir,
			const struct cert_files *certs)
{
	FILE *f;

	snprintf(k->config_path, sizeof(k->config_path), "%s/ktlsd.conf", dir);
	f = fopen(k->config_path, "w");
	if (!f)
		return -1;
	fprintf(f, "# written by ktls-bench for this run\n[global]\nsocket = %s\nworkers = 0\n"
		   "max_handshakes = 4096\nlog_level = warn\n", k->socket_path);
	for (unsigned i = 0; i < o->n_ktlsd_global; i++)	/* --ktlsd-global */
		fprintf(f, "%s\n", o->ktlsd_global[i]);
	write_profiles(f, certs);
	return fclose(f);
}

/* build/ktls-bench -> build/ktlsd (or build/ktls), so `make bench` needs
 * no install. */
void bench_sibling_path(const char *name, char *buf, size_t len)
{
	char self[512];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	snprintf(buf, len, "%s", name);
	if (n <= 0)
		return;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash) {
		*slash = '\0';
		bench_text(buf, len, "%s/%s", self, name);
	}
}

static int socket_answers(const char *path)
{
	int fd = ktls_daemon_connect(path);

	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

/* A running daemon's pid for the CPU sums: the peer of a connection to its
 * socket (SO_PEERCRED: whoever called listen()), if that process is named
 * ktlsd.  Under socket activation the listener is systemd's: then unknown. */
static pid_t external_daemon_pid(const char *path)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	char comm_path[64], comm[32] = "";
	int fd = ktls_daemon_connect(path);
	FILE *f;

	if (fd < 0)
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.pid <= 0) {
		close(fd);
		return 0;
	}
	close(fd);
	snprintf(comm_path, sizeof(comm_path), "/proc/%d/comm", (int)cred.pid);
	if (!(f = fopen(comm_path, "r")))
		return 0;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	comm[strcspn(comm, "\n")] = '\0';
	if (strcmp(comm, "ktlsd")) {
		bench_warn("the process listening on %s is %s, not ktlsd: ktlsd's CPU is not counted",
			   path, comm);
		return 0;
	}
	return cred.pid;
}

static void exec_ktlsd(const char *bin, const struct ktlsd *k)
{
	int log = open(k->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	prctl(PR_SET_PDEATHSIG, SIGTERM);	/* never outlive the bench */
	if (log >= 0) {
		dup2(log, STDOUT_FILENO);
		dup2(log, STDERR_FILENO);
	}
	execl(bin, bin, "--foreground", "--config", k->config_path, "--socket", k->socket_path,
	      (char *)NULL);
	fprintf(stderr, "exec %s: %s\n", bin, strerror(errno));
	_exit(127);
}

static void last_log_line(const char *path, char *buf, size_t len)
{
	char line[256];
	FILE *f = fopen(path, "r");

	snprintf(buf, len, "(no log)");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0])
			bench_text(buf, len, "%s", line);
	}
	fclose(f);
}

static int wait_ready(struct ktlsd *k, double wait_s)
{
	double give_up = now_s() + wait_s;
	int status;

	while (now_s() < give_up) {
		char last[200];

		if (socket_answers(k->socket_path))
			return 0;
		if (waitpid(k->pid, &status, WNOHANG) == k->pid) {
			last_log_line(k->log_path, last, sizeof(last));
			bench_text(k->why_not, sizeof(k->why_not), "ktlsd exited (status %d): %s",
				 WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
				 last);
			k->pid = 0;
			return -1;
		}
		usleep(50 * 1000);
	}
	bench_text(k->why_not, sizeof(k->why_not), "ktlsd did not open %s within %.0f s",
		 k->socket_path, wait_s);
	return -1;
}

void ktlsd_start(struct ktlsd *k, const struct bench_opts *o, const struct cert_files *certs)
{
	char bin[512];

	memset(k, 0, sizeof(*k));
	/* a slow start (valgrind) means a slow exit too */
	k->stop_wait_s = o->ktlsd_wait_s > KTLSD_STOP_WAIT_S ? o->ktlsd_wait_s : KTLSD_STOP_WAIT_S;
	if (o->ktlsd_socket) {
		snprintf(k->socket_path, sizeof(k->socket_path), "%s", o->ktlsd_socket);
		setenv("KTLS_SOCKET", k->socket_path, 1);
		k->usable = socket_answers(k->socket_path);
		if (!k->usable)
			bench_text(k->why_not, sizeof(k->why_not), "nothing answers on %s",
				 k->socket_path);
		else
			k->cpu_pid = external_daemon_pid(k->socket_path);
		return;
	}
	if (o->ktlsd_path)
		snprintf(bin, sizeof(bin), "%s", o->ktlsd_path);
	else
		bench_sibling_path("ktlsd", bin, sizeof(bin));
	snprintf(k->socket_path, sizeof(k->socket_path), "%s/ktlsd.sock", o->work_dir);
	snprintf(k->log_path, sizeof(k->log_path), "%s/ktlsd.log", o->work_dir);
	if (access(bin, X_OK) < 0) {
		bench_text(k->why_not, sizeof(k->why_not), "no ktlsd at %s", bin);
		return;
	}
	if (write_config(k, o, o->work_dir, certs) < 0) {
		bench_text(k->why_not, sizeof(k->why_not), "cannot write %s", k->config_path);
		return;
	}
	k->pid = fork();
	if (k->pid < 0) {
		k->pid = 0;
		bench_text(k->why_not, sizeof(k->why_not), "fork: %s", strerror(errno));
		return;
	}
	if (k->pid == 0)
		exec_ktlsd(bin, k);
	setenv("KTLS_SOCKET", k->socket_path, 1);
	k->usable = wait_ready(k, o->ktlsd_wait_s) == 0;
	k->cpu_pid = k->pid;
}

void ktlsd_stop(struct ktlsd *k)
{
	if (k->pid <= 0)
		return;
	child_stop(k->pid, k->stop_wait_s);
	k->pid = 0;
}

/* ---- handshakes through the daemon ------------------------------------------------------ */

static int set_profile(int fd, int server, int cipher, enum cert_kind kind,
		       enum ktlsd_ticket_wait tw)
{
	char name[80];
	size_t n;

	ktlsd_profile_name(name, sizeof(name), server, cipher, kind);
	n = strlen(name);
	if (!server && tw == KTLSD_TW_NONE)
		snprintf(name + n, sizeof(name) - n, "-twnone");
	if (!server && tw == KTLSD_TW_KEEP)
		snprintf(name + n, sizeof(name) - n, "-resume");
	if (ktls_setsockopt(fd, SOL_KTLS, KTLS_PROFILE, name, (socklen_t)strlen(name)) < 0)
		return -1;
	if (!server && ktls_setsockopt(fd, SOL_KTLS, KTLS_SERVER_NAME, BENCH_SERVER_NAME,
				       (socklen_t)strlen(BENCH_SERVER_NAME)) < 0)
		return -1;
	return 0;
}

/* Both requests go out before either answer is awaited: the daemon runs
 * the two ends on two of its workers. */
int ktlsd_handshake_pair(int server_fd, int client_fd, int cipher)
{
	int server_handle, client_handle, rc;

	if (set_profile(server_fd, 1, cipher, CERT_ECDSA_P256, KTLSD_TW_PROFILE) < 0 ||
	    set_profile(client_fd, 0, cipher, CERT_ECDSA_P256, KTLSD_TW_PROFILE) < 0)
		return -1;
	server_handle = ktls_handshake_start(server_fd, KTLS_ROLE_SERVER);
	if (server_handle < 0)
		return -1;
	client_handle = ktls_handshake_start(client_fd, KTLS_ROLE_CLIENT);
	if (client_handle < 0) {
		close(server_handle);
		return -1;
	}
	rc = ktls_handshake_finish(client_fd, client_handle);
	if (ktls_handshake_finish(server_fd, server_handle) < 0)
		rc = -1;
	return rc;
}

int ktlsd_has_recv_flag(void)
{
	return KTLSD_RECV_FLAG_KNOWN;
}

/* A client that reads with ktls_recv() needs no session tickets before it
 * reads (ktls_recv() skips them), so it says so per request where libktls
 * can (KTLS_RECV_FLAG_SET). */
int ktlsd_handshake_one(int fd, int server, int cipher, enum cert_kind kind,
			enum ktlsd_ticket_wait tw)
{
	if (set_profile(fd, server, cipher, kind, tw) < 0)
		return -1;
	if (!server && (tw == KTLSD_TW_REQUEST || tw == KTLSD_TW_KEEP) && KTLS_RECV_FLAG_SET(fd) < 0)
		return -1;
	return server ? ktls_accept(fd) : ktls_connect(fd);
}

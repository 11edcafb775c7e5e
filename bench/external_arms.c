// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Arm F: servers nobody here wrote, serving the same files with their own
 * kTLS, fetched by our client.
 *
 *   F1 openssl s_server -WWW -sendfile, "Options = KTLS" in an OPENSSL_CONF.
 *      It serves one connection at a time and one request per connection,
 *      so every object costs a handshake and there is no N-connection cell.
 *   F2 nginx, "sendfile on; ssl_conf_command Options KTLS;", N workers,
 *      keep-alive connections with a few requests in flight (http_client.c).
 *
 * One server process per cipher (TLS 1.3 only, that one suite, X25519, no
 * tickets), on loopback, from a config in the work dir.  Its CPU is read
 * from /proc (the master and every child) around the timed pass.  Our
 * client installs kTLS RX only, so every TlsTxSw install during a cell is
 * the server's own kTLS: that is the proof that it engaged.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "ktls_loopback.h"
#include "http_client.h"

#define SERVER_START_WAIT_S 30
#define SERVER_STOP_WAIT_S 10

struct server {
	pid_t pid;
	int port;
	int stdin_keep;			/* s_server quits at EOF on stdin */
	char log_path[512];
	char program[256];
};

/* ---- finding and running the servers --------------------------------------------------- */

/* The sbin directories too: nginx lives there and a user's PATH may lack them. */
static int find_program(const char *name, char *out, size_t len)
{
	const char *path = getenv("PATH");
	char dirs[1024];
	char *save = NULL;

	snprintf(dirs, sizeof(dirs), "%s:/usr/sbin:/sbin:/usr/bin", path ? path : "");
	for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(out, len, "%s/%s", d, name);
		if (*d && access(out, X_OK) == 0)
			return 0;
	}
	return -1;
}

static int free_port(void)
{
	int port, fd = ktls_loopback_listen(1, &port);

	if (fd < 0)
		return -1;
	close(fd);
	return port;
}

static void exec_server(struct server *s, char *const argv[], const char *cwd,
			const char *openssl_conf, int stdin_fd)
{
	int log = open(s->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	prctl(PR_SET_PDEATHSIG, SIGKILL);	/* never outlive the bench */
	if (log < 0 || chdir(cwd) < 0)
		_exit(127);
	dup2(stdin_fd, STDIN_FILENO);
	dup2(log, STDOUT_FILENO);
	dup2(log, STDERR_FILENO);
	if (openssl_conf)
		setenv("OPENSSL_CONF", openssl_conf, 1);
	execv(s->program, argv);
	fprintf(stderr, "exec %s: %s\n", s->program, strerror(errno));
	_exit(127);
}

static int wait_listening(struct server *s)
{
	double give_up = now_s() + SERVER_START_WAIT_S;

	while (now_s() < give_up) {
		int fd = ktls_loopback_connect(s->port, BENCH_IO_TIMEOUT_S);

		if (fd >= 0) {
			close(fd);	/* both servers log it and carry on */
			return 0;
		}
		if (waitpid(s->pid, NULL, WNOHANG) == s->pid) {
			s->pid = 0;
			return -1;
		}
		usleep(50 * 1000);
	}
	return -1;
}

static int server_spawn(struct server *s, char *const argv[], const char *cwd,
			const char *openssl_conf)
{
	int pipefd[2];

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -1;
	s->pid = fork();
	if (s->pid == 0)
		exec_server(s, argv, cwd, openssl_conf, pipefd[0]);
	close(pipefd[0]);
	s->stdin_keep = pipefd[1];
	if (s->pid < 0) {
		s->pid = 0;
		return -1;
	}
	return wait_listening(s);
}

static void server_stop(struct server *s)
{
	if (s->stdin_keep >= 0)
		close(s->stdin_keep);
	s->stdin_keep = -1;
	if (s->pid <= 0)
		return;
	child_stop(s->pid, SERVER_STOP_WAIT_S);
	s->pid = 0;
}

/* The server's CPU: the process and its children (nginx's workers). */
static double server_cpu_s(pid_t pid)
{
	double total = process_cpu_s(pid);
	DIR *d = opendir("/proc");
	struct dirent *e;

	while (d && (e = readdir(d))) {
		char path[300], buf[512], *p;
		int ppid = 0;
		FILE *f;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		buf[fread(buf, 1, sizeof(buf) - 1, f)] = '\0';
		fclose(f);
		p = strrchr(buf, ')');
		if (p && sscanf(p + 2, "%*c %d", &ppid) == 1 && ppid == pid)
			total += process_cpu_s(atoi(e->d_name));
	}
	if (d)
		closedir(d);
	return total;
}

/* ---- configs ------------------------------------------------------------------------------- */

static int write_openssl_conf(const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	/* system_default applies to every SSL_CTX s_server makes */
	fprintf(f, "openssl_conf = openssl_init\n[openssl_init]\nssl_conf = ssl_configuration\n"
		   "[ssl_configuration]\nsystem_default = ktls_defaults\n[ktls_defaults]\n"
		   "Options = KTLS\n");
	return fclose(f);
}

static int start_openssl(struct bench_ctx *ctx, int cipher, struct server *s)
{
	char conf[512], accept[64], www[512], cert[256], key[256], suite[64];
	char *argv[] = { s->program, "s_server", "-accept", accept, "-cert", cert, "-key", key,
			 "-tls1_3", "-ciphersuites", suite, "-groups", "X25519", "-num_tickets", "0",
			 "-WWW", "-sendfile", "-http_server_binmode", NULL };

	snprintf(cert, sizeof(cert), "%s", ctx->certs[CERT_ECDSA_P256].cert);
	snprintf(key, sizeof(key), "%s", ctx->certs[CERT_ECDSA_P256].key);
	snprintf(suite, sizeof(suite), "%s", openssl_suite_name(cipher));
	snprintf(conf, sizeof(conf), "%s/openssl-ktls.cnf", ctx->work_dir);
	snprintf(www, sizeof(www), "%s/www", ctx->work_dir);
	snprintf(s->log_path, sizeof(s->log_path), "%s/openssl-%s.log", ctx->work_dir,
		 ktls_cipher_name(cipher));
	s->port = free_port();
	snprintf(accept, sizeof(accept), "127.0.0.1:%d", s->port);
	if (write_openssl_conf(conf) < 0)
		return -1;
	return server_spawn(s, argv, www, conf);
}

static int write_nginx_conf(const char *path, const char *prefix, const struct bench_ctx *ctx,
			    int cipher, int port)
{
	const struct cert_files *c = &ctx->certs[CERT_ECDSA_P256];
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fprintf(f, "daemon off;\nmaster_process on;\nuser root;\nworker_processes %u;\n"
		   "pid %s/nginx.pid;\nerror_log %s/error.log warn;\n"
		   "events { worker_connections 1024; }\nhttp {\n  access_log off;\n",
		ctx->opts->conns_many, prefix, prefix);
	/* nginx creates (and chowns) its temp dirs; the VM's /var is read-only */
	fprintf(f, "  client_body_temp_path %s/body;\n  proxy_temp_path %s/proxy;\n"
		   "  fastcgi_temp_path %s/fastcgi;\n  uwsgi_temp_path %s/uwsgi;\n"
		   "  scgi_temp_path %s/scgi;\n", prefix, prefix, prefix, prefix, prefix);
	fprintf(f, "  sendfile on;\n  keepalive_requests 100000000;\n  keepalive_timeout 300s;\n"
		   "  default_type application/octet-stream;\n  server {\n"
		   "    listen 127.0.0.1:%d ssl;\n    ssl_certificate %s;\n"
		   "    ssl_certificate_key %s;\n    ssl_protocols TLSv1.3;\n"
		   "    ssl_ecdh_curve X25519;\n    ssl_conf_command Ciphersuites %s;\n"
		   "    ssl_conf_command Options KTLS;\n    ssl_conf_command NumTickets 0;\n"
		   "    root %s/www;\n  }\n}\n",
		port, c->cert, c->key, openssl_suite_name(cipher), ctx->work_dir);
	return fclose(f);
}

static int start_nginx(struct bench_ctx *ctx, int cipher, struct server *s)
{
	char prefix[320], conf[400], errlog[400];
	char *argv[] = { s->program, "-p", prefix, "-e", errlog, "-c", conf, NULL };

	snprintf(prefix, sizeof(prefix), "%s/nginx-%s", ctx->work_dir, ktls_cipher_name(cipher));
	snprintf(conf, sizeof(conf), "%s/nginx.conf", prefix);
	snprintf(errlog, sizeof(errlog), "%s/error.log", prefix);
	snprintf(s->log_path, sizeof(s->log_path), "%s/stderr.log", prefix);
	s->port = free_port();
	if (mkdir(prefix, 0700) < 0 && errno != EEXIST)
		return -1;
	if (write_nginx_conf(conf, prefix, ctx, cipher, s->port) < 0)
		return -1;
	return server_spawn(s, argv, prefix, NULL);
}

static void dump_log(const char *name, const char *path)
{
	char line[256];
	FILE *f = fopen(path, "r");

	bench_warn("%s did not start; %s:", name, path);
	while (f && fgets(line, sizeof(line), f))
		fprintf(stderr, "  %s", line);
	if (f)
		fclose(f);
}

/* ---- cells ---------------------------------------------------------------------------------- */

static void judge_external(struct cell_result *r, const struct tls_counters *before,
			   const struct tls_counters *after)
{
	long long n = r->conns;

	r->ktls.tx_sw = after->tx_sw - before->tx_sw;
	r->ktls.rx_sw = after->rx_sw - before->rx_sw;
	r->ktls.decrypt_error = after->decrypt_error - before->decrypt_error;
	/* connections come and go within the cell: the gauges say nothing */
	r->ktls.curr_tx_sw = r->ktls.curr_rx_sw = 0;
	r->ktls_ok = before->tx_sw >= 0 && r->ktls.tx_sw >= n && r->ktls.rx_sw >= n &&
		     r->ktls.decrypt_error == 0;
	if (before->tx_sw >= 0 && r->ktls.tx_sw == 0 && !r->note[0])
		snprintf(r->note, sizeof(r->note), "the server did NOT use kTLS (TlsTxSw +0)");
}

static void run_one(struct bench_ctx *ctx, const struct server *s, unsigned size_index,
		    struct cell_result *r)
{
	struct http_job job = {
		.ctx = ctx, .port = s->port, .cipher = r->cipher, .conns = r->conns,
		.one_per_conn = r->arm == ARM_OPENSSL, .file_name = ctx->file_names[size_index],
		.size = ctx->opts->sizes[size_index], .sha = ctx->file_sha[size_index],
	};
	struct tls_counters before, after;
	struct cpu_ticks t0, t1;
	double cpu0;

	r->object_size = job.size;
	r->sender_cycles = -1;	/* counted per thread; the servers are other processes */
	snprintf(r->keys, sizeof(r->keys), "%s", r->arm == ARM_OPENSSL ? "OpenSSL" : "nginx/OpenSSL");
	tls_counters_read(&before);
	r->ran = 1;
	if (http_job_open(&job, r->note, sizeof(r->note)) < 0 ||
	    http_job_check(&job, r->note, sizeof(r->note)) < 0) {
		http_job_close(&job);
		return;
	}
	r->verified = 1;
	cpu0 = server_cpu_s(s->pid);
	cpu_ticks_read(&t0);
	if (http_job_timed(&job, ctx->opts->duration_s, r->note, sizeof(r->note)) < 0)
		r->verified = 0;
	cpu_ticks_read(&t1);
	r->sender_cpu_s = server_cpu_s(s->pid) - cpu0;
	http_job_close(&job);
	tls_counters_read(&after);
	r->bytes = job.body_bytes;
	r->seconds = job.seconds;
	r->mb_per_s = r->seconds > 0 ? (double)r->bytes / 1e6 / r->seconds : 0;
	r->softirq_s = cpu_ticks_seconds(t1.softirq - t0.softirq);
	r->machine_cpu_s = cpu_ticks_seconds(t1.busy - t0.busy);
	judge_external(r, &before, &after);
}

static void skip_all(struct bench_ctx *ctx, enum arm_id arm, int cipher, struct cell_result *rows,
		     unsigned *n, unsigned max_rows, const char *why)
{
	for (unsigned i = 0; i < ctx->opts->n_sizes; i++) {
		for (unsigned k = 0; k < (ctx->opts->only_one_conn ? 1u : 2u) && *n < max_rows; k++) {
			struct cell_result *r = &rows[(*n)++];

			memset(r, 0, sizeof(*r));
			r->arm = arm;
			r->cipher = cipher;
			r->object_size = ctx->opts->sizes[i];
			r->conns = k ? ctx->opts->conns_many : 1;
			snprintf(r->note, sizeof(r->note), "%s", why);
		}
	}
}

void run_external_cells(struct bench_ctx *ctx, enum arm_id arm, int cipher,
			struct cell_result *rows, unsigned *n, unsigned max_rows)
{
	struct server s = { .stdin_keep = -1 };
	const char *name = arm == ARM_OPENSSL ? "openssl" : "nginx";
	unsigned first = *n;
	int rc;

	if (find_program(name, s.program, sizeof(s.program)) < 0) {
		skip_all(ctx, arm, cipher, rows, n, max_rows, arm == ARM_OPENSSL
			 ? "skipped: no openssl binary" : "skipped: nginx is not installed");
		return;
	}
	rc = arm == ARM_OPENSSL ? start_openssl(ctx, cipher, &s) : start_nginx(ctx, cipher, &s);
	if (rc < 0)
		dump_log(name, s.log_path);
	skip_all(ctx, arm, cipher, rows, n, max_rows, "");
	for (unsigned i = first; i < *n; i++) {
		struct cell_result *r = &rows[i];
		unsigned size_index = (i - first) / (ctx->opts->only_one_conn ? 1u : 2u);

		if (rc < 0)
			snprintf(r->note, sizeof(r->note), "%s did not start (its log is above)",
				 name);
		else if (arm == ARM_OPENSSL && r->conns > 1)
			snprintf(r->note, sizeof(r->note),
				 "skipped: s_server serves one connection at a time");
		else
			run_one(ctx, &s, size_index, r);
	}
	server_stop(&s);
}

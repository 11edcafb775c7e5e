// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What the bench measures with: clocks, CPU time (per thread, per process,
 * per machine), SHA-256 of streams, and the facts about the host that go
 * into every header.  The kernel's kTLS counters: lib/support_tls_stat.c.
 */
#include <dirent.h>
#include <errno.h>
#include <linux/perf_event.h>
#include <gnutls/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double timeval_s(const struct timeval *tv)
{
	return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

/* Loopback TCP delivers in the sender's softirq context, and software kTLS
 * encrypts inside sendmsg/sendfile, so this includes both. */
double thread_cpu_s(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_THREAD, &ru) < 0)
		return 0;
	return timeval_s(&ru.ru_utime) + timeval_s(&ru.ru_stime);
}

/* One /proc/PID/stat: its parent, its own CPU ticks (utime stime, fields
 * 14-15: every thread) and those of its reaped children (cutime cstime,
 * 16-17).  The command name in field 2 may contain spaces, so parse after
 * its ')'.  0 or -1. */
static int stat_read(pid_t pid, pid_t *ppid, unsigned long long *own,
		     unsigned long long *reaped)
{
	char path[64], buf[1024];
	unsigned long long ut, st, cut, cst;
	int parent;
	FILE *f;
	size_t n;
	char *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %llu %llu",
			 &parent, &ut, &st, &cut, &cst) != 5)
		return -1;
	*ppid = parent;
	*own = ut + st;
	*reaped = cut + cst;
	return 0;
}

/* utime + stime of every thread of pid. */
double process_cpu_s(pid_t pid)
{
	unsigned long long own, reaped;
	pid_t ppid;

	if (stat_read(pid, &ppid, &own, &reaped) < 0)
		return -1;
	return cpu_ticks_seconds(own);
}

struct proc_entry {
	pid_t pid, ppid;
	unsigned long long ticks;
	int in_tree;
};

/* Every process on the machine is read once, then the tree below root is
 * marked by repeated passes (a few levels: ktlsd, its key process or
 * signers).  A process that exited and was reaped inside the tree counts
 * through its parent's cutime/cstime; one that exits between our reads of
 * /proc is lost (its ticks are within one scan's jitter). */
double tree_cpu_s(pid_t root)
{
	struct proc_entry *v = NULL;
	size_t n = 0, cap = 0;
	unsigned long long sum = 0;
	struct dirent *de;
	int grew = 1, found = 0;
	DIR *d = opendir("/proc");

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		struct proc_entry e = { .pid = (pid_t)pid };
		unsigned long long own, reaped;

		if (*end || pid <= 0 || stat_read(e.pid, &e.ppid, &own, &reaped) < 0)
			continue;
		e.ticks = own + reaped;
		if (n == cap) {
			size_t ncap = cap ? 2 * cap : 256;
			struct proc_entry *g = realloc(v, ncap * sizeof(*g));

			if (!g)
				break;
			v = g;
			cap = ncap;
		}
		e.in_tree = e.pid == root;
		found |= e.in_tree;
		v[n++] = e;
	}
	closedir(d);
	while (grew) {
		grew = 0;
		for (size_t i = 0; i < n; i++) {
			if (v[i].in_tree)
				continue;
			for (size_t j = 0; j < n; j++)
				if (v[j].in_tree && v[j].pid == v[i].ppid) {
					v[i].in_tree = grew = 1;
					break;
				}
		}
	}
	for (size_t i = 0; i < n; i++)
		if (v[i].in_tree)
			sum += v[i].ticks;
	free(v);
	return found ? cpu_ticks_seconds(sum) : -1;
}

/* What `perf stat -e cycles` would count for the calling thread, user and
 * kernel.  -1 where there is no hardware counter (emulated VMs) or
 * perf_event_paranoid forbids it. */
int thread_cycles_open(void)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_HARDWARE,
		.size = sizeof(attr),
		.config = PERF_COUNT_HW_CPU_CYCLES,
		.exclude_hv = 1,
	};

	return (int)syscall(SYS_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
}

long long counter_read(int fd)
{
	uint64_t v;

	if (fd < 0 || read(fd, &v, sizeof(v)) != (ssize_t)sizeof(v))
		return -1;
	return (long long)v;
}

double cpu_ticks_seconds(unsigned long long ticks)
{
	long hz = sysconf(_SC_CLK_TCK);

	return (double)ticks / (double)(hz > 0 ? hz : 100);
}

/* The "cpu" line of /proc/stat: user nice system idle iowait irq softirq steal. */
void cpu_ticks_read(struct cpu_ticks *t)
{
	unsigned long long v[8] = { 0 };
	FILE *f = fopen("/proc/stat", "r");

	memset(t, 0, sizeof(*t));
	if (!f)
		return;
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5], &v[6], &v[7]) == 8) {
		t->busy = v[0] + v[1] + v[2] + v[5] + v[6];
		t->softirq = v[6];
	}
	fclose(f);
}

/* ---- hashing ----------------------------------------------------------------- */

int object_check_init(struct object_check *oc, const uint8_t want[SHA256_LEN], size_t object_size)
{
	memset(oc, 0, sizeof(*oc));
	memcpy(oc->want, want, SHA256_LEN);
	oc->object_size = object_size;
	return gnutls_hash_init(&oc->hash, GNUTLS_DIG_SHA256) < 0 ? -1 : 0;
}

void object_check_feed(struct object_check *oc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		size_t take = oc->object_size - oc->in_object;
		uint8_t got[SHA256_LEN];

		if (take > len)
			take = len;
		gnutls_hash(oc->hash, p, take);
		oc->in_object += take;
		p += take;
		len -= take;
		if (oc->in_object < oc->object_size)
			continue;
		gnutls_hash_output(oc->hash, got);	/* also resets for the next object */
		if (memcmp(got, oc->want, SHA256_LEN))
			oc->objects_bad++;
		else
			oc->objects_ok++;
		oc->in_object = 0;
	}
}

int object_check_done(struct object_check *oc, unsigned long long want_objects)
{
	int ok = oc->objects_bad == 0 && oc->in_object == 0 && oc->objects_ok == want_objects;

	gnutls_hash_deinit(oc->hash, NULL);
	oc->hash = NULL;
	return ok;
}

int sha256_file(int fd, size_t size, uint8_t out[SHA256_LEN])
{
	static uint8_t buf[1 << 16];
	gnutls_hash_hd_t h;
	size_t done = 0;

	if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0)
		return -1;
	while (done < size) {
		ssize_t n = pread(fd, buf, sizeof(buf), (off_t)done);

		if (n <= 0) {
			gnutls_hash_deinit(h, NULL);
			return -1;
		}
		gnutls_hash(h, buf, (size_t)n);
		done += (size_t)n;
	}
	gnutls_hash_deinit(h, out);
	return 0;
}

/* ---- the host ------------------------------------------------------------------ */

/* The first "model name", and whether the CPU flags say we are a guest. */
static void read_cpu_model(char *buf, size_t len, int *guest)
{
	char line[4096];
	FILE *f = fopen("/proc/cpuinfo", "r");

	snprintf(buf, len, "unknown");
	*guest = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (!colon)
			continue;
		if (!strncmp(line, "flags", 5) && strstr(colon, " hypervisor"))
			*guest = 1;
		if (strncmp(line, "model name", 10) || strcmp(buf, "unknown"))
			continue;
		colon += 2;
		colon[strcspn(colon, "\n")] = '\0';
		snprintf(buf, len, "%s", colon);
	}
	fclose(f);
}

void host_facts_read(struct host_facts *h)
{
	struct utsname u;
	const char *vm = getenv("KTLSD_IN_VM");
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int guest;

	memset(h, 0, sizeof(*h));
	if (uname(&u) == 0)
		bench_text(h->kernel, sizeof(h->kernel), "%s %s", u.release, u.machine);
	read_cpu_model(h->cpu_model, sizeof(h->cpu_model), &guest);
	h->cpus = cpus > 0 ? (unsigned)cpus : 1;
	h->emulated = vm && !strcmp(vm, "1");
	snprintf(h->where, sizeof(h->where), "%s",
		 h->emulated ? "EMULATED VM (QEMU TCG, tests/vm/run)"
		 : guest ? "native, in a virtual machine (hypervisor CPU flag)" : "native");
}

/* ---- logging ------------------------------------------------------------------------ */

void bench_text(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

void bench_log(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void bench_warn(const char *fmt, ...)
{
	va_list ap;

	fputs("ktls-bench: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

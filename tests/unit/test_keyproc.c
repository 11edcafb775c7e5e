// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The key process end to end: a real one forked by keyproc_start() serves
 * keys generated here.  Signatures made through the external privkey
 * (gnutls_privkey_import_ext4) must verify with the public key, for ECDSA
 * P-256 and for RSA-PSS with an RSA key (TLS 1.3's two common cases);
 * credentials loaded through it must complete TLS 1.3 handshakes; refusals
 * (bad file mode, unknown generation, wrong algorithm, malformed requests)
 * and a dead key process must fail cleanly, not hang.  The key process runs
 * under its seccomp filter (Seccomp: 2), which kills it on a network
 * socket, a file opened for writing, executable memory or a fork.
 *
 * test_sign_cost and test_handshake_cost print what a signature and a whole
 * handshake cost with and without the key process (KTLSD_BENCH_N sets the
 * count; docs/architecture.md has the numbers).
 */
#include <errno.h>
#include <fcntl.h>
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <dirent.h>

#include "config/config.h"
#include "keys/creds.h"
#include "keys/keyproc.h"
#include "keys/keyproc_proto.h"
#include "unit_files.h"

static struct cfg *base_cfg;	/* keyproc_start's: profiles naming the test keys */

/* The key process learns key paths only from the config file: one profile
 * per test key, named after it, at a fixed index. */
static const struct {
	const char *key, *profile;
	uint32_t index;
} key_profiles[] = {
	{ "ec.key", "ec", 0 }, { "rsa.key", "rsa", 1 }, { "loose.key", "loose", 2 },
	{ "junk.key", "junk", 3 }, { "ed.key", "ed", 4 },
};

static void write_base_config(void)
{
	char conf[2048];
	size_t used = 0;

	for (size_t i = 0; i < sizeof(key_profiles) / sizeof(key_profiles[0]); i++)
		used += (size_t)snprintf(conf + used, sizeof(conf) - used,
					 "[profile %s]\nrole = server\ncertificate = %s\n"
					 "key = %s\n", key_profiles[i].profile,
					 unit_tmp_path("ec.crt"),
					 unit_tmp_path(key_profiles[i].key));
	/* index 5: one PEM for certificate and key */
	used += (size_t)snprintf(conf + used, sizeof(conf) - used, "[profile combo]\nrole = "
				 "server\ncertificate = %s\nkey = %s\n",
				 unit_tmp_path("ec.key"), unit_tmp_path("ec.key"));
	unit_write_file("ktlsd.conf", conf, used, 0644);
}

/* A generation bound to the config file as it is now (re-read by the key
 * process), not kept for creds_load_all. */
static uint32_t new_generation(void)
{
	uint32_t gen = 0, again = 0;
	char err[512];

	if (keyproc_config(&gen, NULL, err, sizeof(err)) < 0)
		fail_msg("CONFIG: %s", err);
	assert_int_equal(keyproc_load_generation(&again, err, sizeof(err)), 0);
	assert_int_equal(again, gen);
	return gen;
}

/* keyproc_privkey for the profile that names key_name. */
static int privkey_for(uint32_t gen, const char *key_name, gnutls_privkey_t *key, char *reason,
		       size_t reason_len)
{
	for (size_t i = 0; i < sizeof(key_profiles) / sizeof(key_profiles[0]); i++)
		if (strcmp(key_profiles[i].key, key_name) == 0)
			return keyproc_privkey(gen, key_profiles[i].index, key_profiles[i].profile,
					       key, reason, reason_len);
	fail_msg("no profile for %s", key_name);
	return -1;
}

/* keyproc_start, and its first CONFIG (which binds base_cfg itself). */
static int start_bound(void)
{
	int rc = keyproc_start(base_cfg, 0);

	if (rc == 0)
		new_generation();
	return rc;
}

/* The public key of a key file, read here (the test may: it is no daemon). */
static gnutls_pubkey_t pubkey_of(const char *key_name)
{
	gnutls_privkey_t priv;
	gnutls_pubkey_t pub;
	gnutls_datum_t pem;

	assert_int_equal(gnutls_load_file(unit_tmp_path(key_name), &pem), 0);
	assert_int_equal(gnutls_privkey_init(&priv), 0);
	assert_int_equal(gnutls_privkey_import_x509_raw(priv, &pem, GNUTLS_X509_FMT_PEM,
							NULL, 0), 0);
	gnutls_free(pem.data);
	assert_int_equal(gnutls_pubkey_init(&pub), 0);
	assert_int_equal(gnutls_pubkey_import_privkey(pub, priv, 0, 0), 0);
	gnutls_privkey_deinit(priv);
	return pub;
}

/* unit_make_cert signs with SHA-256, which Ed25519 does not take. */
static void make_ed25519_cert(const char *cert_name, const char *key_name)
{
	gnutls_x509_privkey_t key;
	gnutls_x509_crt_t crt;
	gnutls_datum_t pem;
	unsigned char serial = 7;

	assert_int_equal(gnutls_x509_privkey_init(&key), 0);
	assert_int_equal(gnutls_x509_privkey_generate(key, GNUTLS_PK_EDDSA_ED25519, 256, 0), 0);
	assert_int_equal(gnutls_x509_crt_init(&crt), 0);
	gnutls_x509_crt_set_version(crt, 3);
	gnutls_x509_crt_set_serial(crt, &serial, 1);
	gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, "ed.test", 7);
	gnutls_x509_crt_set_activation_time(crt, time(NULL) - 3600);
	gnutls_x509_crt_set_expiration_time(crt, time(NULL) + 86400);
	gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE);
	assert_int_equal(gnutls_x509_crt_set_key(crt, key), 0);
	assert_int_equal(gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_UNKNOWN, 0), 0);
	assert_int_equal(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &pem), 0);
	unit_write_file(cert_name, pem.data, pem.size, 0644);
	gnutls_free(pem.data);
	/* PKCS#8: GnuTLS has no traditional PEM form for Ed25519 */
	assert_int_equal(gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_PEM, NULL,
							   GNUTLS_PKCS_PLAIN, &pem), 0);
	unit_write_file(key_name, pem.data, pem.size, 0600);
	gnutls_memset(pem.data, 0, pem.size);
	gnutls_free(pem.data);
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(key);
}

static int setup_all(void **state)
{
	char err[256];

	if (unit_tmpdir_create("keyproc") < 0 || gnutls_global_init() < 0)
		return -1;
	unit_make_cert("ec.crt", "ec.key", "ec.test", GNUTLS_PK_ECDSA,
		       GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1));
	unit_make_cert("rsa.crt", "rsa.key", "rsa.test", GNUTLS_PK_RSA, 2048);
	make_ed25519_cert("ed.crt", "ed.key");
	write_base_config();
	return cfg_load(unit_tmp_path("ktlsd.conf"), &base_cfg, err, sizeof(err));
}

static int teardown_all(void **state)
{
	cfg_free(base_cfg);
	gnutls_global_deinit();
	return unit_tmpdir_remove();
}

static int start(void **state)
{
	write_base_config();
	return start_bound();
}

static int stop(void **state)
{
	keyproc_stop();
	return 0;
}

/* ---- signatures ---- */

static void sign_and_verify(const char *key_name, gnutls_sign_algorithm_t algo)
{
	const gnutls_datum_t data = { (unsigned char *)"TLS 1.3, server CertificateVerify",
				      33 };
	const gnutls_datum_t other = { (unsigned char *)"TLS 1.3, server CertificateVerifz",
				       33 };
	uint32_t gen = new_generation();
	gnutls_pubkey_t pub = pubkey_of(key_name);
	gnutls_privkey_t key;
	gnutls_datum_t sig;
	char err[512];

	assert_int_equal(privkey_for(gen, key_name, &key, err, sizeof(err)), 0);
	assert_int_equal(gnutls_privkey_sign_data2(key, algo, 0, &data, &sig), 0);
	assert_int_equal(gnutls_pubkey_verify_data2(pub, algo, 0, &data, &sig), 0);
	/* falsifiable: the same signature does not fit other data */
	assert_int_equal(gnutls_pubkey_verify_data2(pub, algo, 0, &other, &sig),
			 GNUTLS_E_PK_SIG_VERIFY_FAILED);
	gnutls_free(sig.data);
	gnutls_privkey_deinit(key);
	gnutls_pubkey_deinit(pub);
	keyproc_drop(gen);
}

static void test_ecdsa_signature_verifies(void **state)
{
	sign_and_verify("ec.key", GNUTLS_SIGN_ECDSA_SECP256R1_SHA256);
	sign_and_verify("ec.key", GNUTLS_SIGN_ECDSA_SHA384);	/* TLS 1.2 style */
}

static void test_rsa_pss_signature_verifies(void **state)
{
	sign_and_verify("rsa.key", GNUTLS_SIGN_RSA_PSS_RSAE_SHA256);
	sign_and_verify("rsa.key", GNUTLS_SIGN_RSA_SHA256);	/* PKCS#1 v1.5, TLS 1.2 */
}

static void test_info_from_key_process(void **state)
{
	uint32_t gen = new_generation();
	gnutls_privkey_t key;
	unsigned bits = 0;
	char err[512];

	assert_int_equal(privkey_for(gen, "rsa.key", &key, err, sizeof(err)), 0);
	assert_int_equal(gnutls_privkey_get_pk_algorithm(key, &bits), GNUTLS_PK_RSA);
	assert_int_equal(bits, 2048);
	gnutls_privkey_deinit(key);
	/* the same (generation, index) twice: refused */
	assert_int_equal(privkey_for(gen, "rsa.key", &key, err, sizeof(err)), -EEXIST);
	keyproc_drop(gen);
}

static void test_key_process_refuses(void **state)
{
	const gnutls_datum_t data = { (unsigned char *)"x", 1 };
	uint32_t gen = new_generation();
	gnutls_privkey_t key;
	gnutls_datum_t sig;
	char err[512], want[512];

	/* its secret-file checks, with its reason passed through */
	unit_write_file("loose.key", "not a key", 9, 0640);
	snprintf(want, sizeof(want), "key file %s is readable by group/others (mode 0640); "
		 "chmod 600 it", unit_tmp_path("loose.key"));
	assert_int_equal(privkey_for(gen, "loose.key", &key, err, sizeof(err)),
			 -EPERM);
	assert_string_equal(err, want);
	unit_write_file("junk.key", "not a key", 9, 0600);
	assert_int_equal(privkey_for(gen, "junk.key", &key, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "junk.key"));

	/* an ECDSA key asked for an RSA signature */
	assert_int_equal(privkey_for(gen, "ec.key", &key, err, sizeof(err)), 0);
	assert_true(gnutls_privkey_sign_data2(key, GNUTLS_SIGN_RSA_PSS_RSAE_SHA256, 0, &data,
					      &sig) < 0);
	/* a dropped generation no longer signs */
	keyproc_drop(gen);
	assert_int_equal(gnutls_privkey_sign_data2(key, GNUTLS_SIGN_ECDSA_SECP256R1_SHA256, 0,
						   &data, &sig), GNUTLS_E_PK_SIGN_FAILED);
	gnutls_privkey_deinit(key);
}

/* OPEN: the key process opens what its own config names, by profile index
 * and name, never a private key (not even as a "certificate"). */
static void test_open_by_id(void **state)
{
	uint32_t gen = new_generation();
	gnutls_datum_t got, want;
	char err[512];
	int fd;

	fd = keyproc_open(gen, 0, "ec", KP_FILE_CERT, err, sizeof(err));
	assert_true(fd >= 0);
	assert_int_equal(gnutls_load_file(unit_tmp_path("ec.crt"), &want), 0);
	got.data = calloc(1, want.size + 1);
	assert_int_equal(read(fd, got.data, want.size + 1), want.size);
	assert_memory_equal(got.data, want.data, want.size);
	free(got.data);
	gnutls_free(want.data);
	close(fd);
	/* a certificate file that is a key file: refused */
	assert_int_equal(keyproc_open(gen, 5, "combo", KP_FILE_CERT, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "also a private key file"));
	/* the name must match the index; a file the profile lacks */
	assert_int_equal(keyproc_open(gen, 0, "rsa", KP_FILE_CERT, err, sizeof(err)), -ESTALE);
	assert_int_equal(keyproc_open(gen, 9, "ec", KP_FILE_CERT, err, sizeof(err)), -ESTALE);
	assert_int_equal(keyproc_open(gen, 0, "ec", KP_FILE_PSK, err, sizeof(err)), -ENOENT);
	/* a generation the key process never configured */
	assert_int_equal(keyproc_open(gen + 100, 0, "ec", KP_FILE_CERT, err, sizeof(err)),
			 -ENOKEY);
	keyproc_drop(gen);
	assert_int_equal(keyproc_open(gen, 0, "ec", KP_FILE_CERT, err, sizeof(err)), -ENOKEY);
}

/* Raw messages on a socketpair served by keyproc_serve in a child. */
static void test_serve_refuses_malformed(void **state)
{
	uint8_t *buf = calloc(1, KP_REQ_MAX + 64), reply[KP_REP_MAX];
	struct kp_reply rp;
	int sv[2];
	pid_t pid;

	assert_non_null(buf);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(sv[0]);
		if (keyproc_sandbox() < 0)	/* served as the key process is */
			_exit(2);
		keyproc_exit(keyproc_serve(sv[1]) == 0 ? 0 : 1);
	}
	close(sv[1]);

	/* unknown type 9 with a valid header shape: refused, no answer */
	memcpy(buf, "\x09\x02\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00", 16);
	assert_int_equal(send(sv[0], buf, 16, 0), 16);
	/* SIGN_DATA one byte over the bound: answered -EMSGSIZE, id 2 */
	memcpy(buf, "\x02\x02\x00\x00\x02\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00", 16);
	assert_int_equal(send(sv[0], buf, KP_REQ_MAX + 1, 0), KP_REQ_MAX + 1);
	assert_true(recv(sv[0], reply, sizeof(reply), 0) >= KP_REP_HDR_LEN);
	assert_int_equal(kp_reply_decode(reply, KP_REP_HDR_LEN, &rp), 0);
	assert_int_equal(rp.id, 2);
	assert_int_equal(rp.status, -EMSGSIZE);
	/* SIGN for a key never loaded: -ENOKEY, id 3 */
	memcpy(buf, "\x02\x02\x00\x00\x03\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00"
		    "\x01\x00\x00\x00\x00\x00\x00\x00" "abc", 27);
	assert_int_equal(send(sv[0], buf, 27, 0), 27);
	assert_int_equal(recv(sv[0], reply, sizeof(reply), 0), KP_REP_HDR_LEN);
	assert_int_equal(kp_reply_decode(reply, KP_REP_HDR_LEN, &rp), 0);
	assert_int_equal(rp.id, 3);
	assert_int_equal(rp.status, -ENOKEY);
	/* unknown flags: -EINVAL would come only after the key is found; a
	 * truncated header gets nothing, and the loop still runs: DROP answers */
	assert_int_equal(send(sv[0], buf, 5, 0), 5);
	memcpy(buf, "\x04\x02\x00\x00\x04\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00", 16);
	assert_int_equal(send(sv[0], buf, 16, 0), 16);
	assert_int_equal(recv(sv[0], reply, sizeof(reply), 0), KP_REP_HDR_LEN);
	assert_int_equal(kp_reply_decode(reply, KP_REP_HDR_LEN, &rp), 0);
	assert_int_equal(rp.id, 4);
	assert_int_equal(rp.status, 0);

	close(sv[0]);			/* EOF: the loop ends cleanly */
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	free(buf);
}

/* ---- signers ---- */

#define PAR_THREADS 8
#define PAR_SIGNATURES 25

struct par_arg {
	gnutls_privkey_t key;
	gnutls_pubkey_t pub;
	int failures;
};

/* PAR_SIGNATURES RSA-PSS signatures of distinct data, each verified. */
static void *par_sign(void *argp)
{
	struct par_arg *a = argp;
	char text[64];

	for (int i = 0; i < PAR_SIGNATURES; i++) {
		gnutls_datum_t data = { (unsigned char *)text, 0 }, sig = { NULL, 0 };

		data.size = (unsigned)snprintf(text, sizeof(text), "signature %p/%d", argp, i);
		if (gnutls_privkey_sign_data2(a->key, GNUTLS_SIGN_RSA_PSS_RSAE_SHA256, 0, &data,
					      &sig) < 0 ||
		    gnutls_pubkey_verify_data2(a->pub, GNUTLS_SIGN_RSA_PSS_RSAE_SHA256, 0, &data,
					       &sig) < 0)
			a->failures++;
		gnutls_free(sig.data);
	}
	return NULL;
}

/* Per thread of the key process: its CPU ticks and its Seccomp mode. */
static unsigned key_threads(long *ticks, int *seccomp, unsigned cap)
{
	char path[320], line[512];
	struct dirent *e;
	unsigned n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)keyproc_pid());
	d = opendir(path);
	assert_non_null(d);
	while ((e = readdir(d)) && n < cap) {
		unsigned long ut = 0, st = 0;
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stat", (int)keyproc_pid(), e->d_name);
		f = fopen(path, "r");
		assert_non_null(f);
		assert_non_null(fgets(line, sizeof(line), f));
		fclose(f);
		/* fields 14 and 15 (utime, stime), counted after the ")" of comm */
		assert_int_equal(sscanf(strrchr(line, ')') + 2,
					"%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
					&ut, &st), 2);
		ticks[n] = (long)(ut + st);
		seccomp[n] = -1;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/status", (int)keyproc_pid(),
			 e->d_name);
		f = fopen(path, "r");
		assert_non_null(f);
		while (fgets(line, sizeof(line), f))
			sscanf(line, "Seccomp: %d", &seccomp[n]);
		fclose(f);
		n++;
	}
	closedir(d);
	return n;
}

static double now_us(void);

/* A key process with n signers; PAR_THREADS threads sign through it at
 * once (all must verify).  Returns signatures per second. */
static double parallel_signing(unsigned n)
{
	struct par_arg args[PAR_THREADS];
	pthread_t th[PAR_THREADS];
	gnutls_pubkey_t pub = pubkey_of("rsa.key");
	gnutls_privkey_t key;
	char err[512];
	uint32_t gen;
	double t0;

	keyproc_stop();
	base_cfg->signers = n;
	assert_int_equal(start_bound(), 0);
	base_cfg->signers = CFG_SIGNERS_AUTO;
	assert_int_equal(keyproc_signers(), n);
	gen = new_generation();
	/* one key for all, as the workers share a profile's */
	assert_int_equal(privkey_for(gen, "rsa.key", &key, err, sizeof(err)), 0);
	t0 = now_us();
	for (int i = 0; i < PAR_THREADS; i++) {
		args[i] = (struct par_arg){ .key = key, .pub = pub };
		assert_int_equal(pthread_create(&th[i], NULL, par_sign, &args[i]), 0);
	}
	for (int i = 0; i < PAR_THREADS; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(args[i].failures, 0);
	}
	t0 = now_us() - t0;
	gnutls_privkey_deinit(key);
	gnutls_pubkey_deinit(pub);
	keyproc_drop(gen);
	return PAR_THREADS * PAR_SIGNATURES / (t0 / 1e6);
}

/*
 * signers = 4: the key process runs 4 threads, each under the system call
 * filter; PAR_THREADS workers signing at once all get valid signatures,
 * and every signer did some of the work (CPU time in each thread).  A
 * signer's socket refuses anything but DATA and SIGN (here: DROP, which
 * would change the key table from a signer thread).  The rates with 1, 2
 * and 4 signers are printed (this machine's cores bound them).
 */
static void test_parallel_signers(void **state)
{
	uint8_t buf[64], reply[KP_REP_MAX];
	struct kp_request rq = { .type = KP_DROP, .id = 77, .generation = 1 };
	struct kp_reply rp;
	long ticks[16];
	int seccomp[16];
	double one, two, four;
	unsigned n;
	ssize_t len;

	one = parallel_signing(1);
	two = parallel_signing(2);
	four = parallel_signing(4);
	printf("# %d threads signing RSA-2048 PSS at once: 1 signer %.0f/s, 2 signers %.0f/s, "
	       "4 signers %.0f/s (%ld CPUs online)\n", PAR_THREADS, one, two, four,
	       sysconf(_SC_NPROCESSORS_ONLN));
	n = key_threads(ticks, seccomp, 16);
	assert_int_equal(n, 4);
	for (unsigned i = 0; i < n; i++) {
		printf("# signer thread %u: %ld ticks of CPU, Seccomp %d\n", i, ticks[i],
		       seccomp[i]);
		assert_int_equal(seccomp[i], 2);	/* SECCOMP_MODE_FILTER, each */
		assert_true(ticks[i] > 0);		/* each signed */
	}
	/* a signer's socket: no DROP (nor LOAD, CONFIG, OPEN) */
	len = kp_request_encode(&rq, buf, sizeof(buf));
	assert_true(len > 0);
	assert_int_equal(send(keyproc_signer_fd(2), buf, (size_t)len, 0), len);
	assert_true(recv(keyproc_signer_fd(2), reply, sizeof(reply), 0) >= KP_REP_HDR_LEN);
	assert_int_equal(kp_reply_decode(reply, KP_REP_HDR_LEN, &rp), 0);
	assert_int_equal(rp.id, 77);
	assert_int_equal(rp.status, -EPERM);
}

/* ---- the system call filter ---- */

static void test_key_process_is_filtered(void **state)
{
	char path[64], line[256];
	int mode = -1;
	FILE *f;

	/* an answer first: the filter goes on just before serving */
	sign_and_verify("ec.key", GNUTLS_SIGN_ECDSA_SECP256R1_SHA256);
	snprintf(path, sizeof(path), "/proc/%d/status", (int)keyproc_pid());
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		sscanf(line, "Seccomp: %d", &mode);
	fclose(f);
	assert_int_equal(mode, 2);		/* SECCOMP_MODE_FILTER */
	sign_and_verify("rsa.key", GNUTLS_SIGN_RSA_PSS_RSAE_SHA256);	/* and serves on */
}

enum forbidden { NET_SOCKET, WRITE_OPEN, EXEC_MAP, FORK, UNIX_SOCKET };

/* The child's wait status after keyproc_sandbox() and one call. */
static int sandboxed(enum forbidden what)
{
	pid_t pid = fork();
	int status;
	long rc = -1;

	assert_true(pid >= 0);
	if (pid == 0) {
		if (keyproc_sandbox() < 0)
			_exit(2);
		switch (what) {
		case NET_SOCKET:	/* refused like any socket, not fatal */
			rc = socket(AF_INET, SOCK_STREAM, 0);
			keyproc_exit(rc < 0 && errno == EACCES ? 3 : 0);
			break;
		case WRITE_OPEN:
			rc = open(unit_tmp_path("written"), O_WRONLY | O_CREAT, 0600);
			break;
		case EXEC_MAP:
			rc = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS,
				  -1, 0) == MAP_FAILED ? -1 : 0;
			break;
		case FORK:
			rc = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
			break;
		case UNIX_SOCKET:	/* syslog's reconnection: refused, not fatal */
			rc = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
			keyproc_exit(rc < 0 && errno == EACCES ? 3 : 0);
			break;
		}
		keyproc_exit(rc >= 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void test_key_process_filter_kills(void **state)
{
	static const enum forbidden killed[] = { WRITE_OPEN, EXEC_MAP, FORK };
	int status;

	for (size_t i = 0; i < sizeof(killed) / sizeof(killed[0]); i++) {
		status = sandboxed(killed[i]);
		if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGSYS)
			fail_msg("case %zu: not killed by SIGSYS (status 0x%x)", i, status);
	}
	status = sandboxed(UNIX_SOCKET);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 3);	/* EACCES */
	status = sandboxed(NET_SOCKET);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 3);
	assert_int_equal(access(unit_tmp_path("written"), F_OK), -1);
}

/* A killed key process: signatures fail at once (no hang), reported. */
static void test_dead_key_process(void **state)
{
	const gnutls_datum_t data = { (unsigned char *)"x", 1 };
	uint32_t gen = new_generation();
	gnutls_privkey_t key;
	gnutls_datum_t sig;
	char err[512];
	time_t t0;

	assert_int_equal(privkey_for(gen, "ec.key", &key, err, sizeof(err)), 0);
	assert_true(keyproc_pid() > 0);
	assert_int_equal(kill(keyproc_pid(), SIGKILL), 0);
	t0 = time(NULL);
	assert_int_equal(gnutls_privkey_sign_data2(key, GNUTLS_SIGN_ECDSA_SECP256R1_SHA256, 0,
						   &data, &sig), GNUTLS_E_PK_SIGN_FAILED);
	assert_true(time(NULL) - t0 < 2);
	/* the socket closes a moment before the process can be reaped */
	for (int i = 0; i < 200 && keyproc_pid(); i++) {
		keyproc_reap();
		usleep(10000);
	}
	assert_int_equal(keyproc_pid(), 0);
	assert_int_equal(privkey_for(gen + 1, "ec.key", &key, err, sizeof(err)) < 0, 1);
	gnutls_privkey_deinit(key);
}

/* ---- credentials and handshakes ---- */

static struct cfg *load_server(const char *cert, const char *key, char *reason, size_t reason_len,
			       int *rc)
{
	struct cfg *cfg = NULL;
	char conf[1024];

	snprintf(conf, sizeof(conf), "[profile web]\nrole = server\ncertificate = %s\n"
		 "key = %s\n", unit_tmp_path(cert), unit_tmp_path(key));
	unit_write_file("ktlsd.conf", conf, strlen(conf), 0644);
	assert_int_equal(cfg_load(unit_tmp_path("ktlsd.conf"), &cfg, reason, reason_len), 0);
	*rc = creds_load_all(cfg, keyproc_active(), reason, reason_len);
	return cfg;
}

struct server_side {
	int fd, rc;
	const struct creds *creds;
};

static void *run_server(void *arg)
{
	struct server_side *srv = arg;
	gnutls_session_t s;

	gnutls_init(&s, GNUTLS_SERVER | GNUTLS_NO_TICKETS);
	gnutls_priority_set(s, srv->creds->priority);
	gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, srv->creds->x509);
	gnutls_transport_set_int(s, srv->fd);
	do
		srv->rc = gnutls_handshake(s);
	while (srv->rc < 0 && !gnutls_error_is_fatal(srv->rc));
	gnutls_deinit(s);
	shutdown(srv->fd, SHUT_RDWR);
	return NULL;
}

/* One handshake against creds with client priority prio; the server's
 * signature algorithm in *sign_algo. */
static int handshake(const struct creds *creds, const char *prio, int *sign_algo)
{
	gnutls_certificate_credentials_t anon;
	struct server_side srv = { .creds = creds };
	gnutls_session_t s;
	pthread_t thread;
	int fds[2], rc;

	assert_int_equal(gnutls_certificate_allocate_credentials(&anon), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
	srv.fd = fds[1];
	assert_int_equal(pthread_create(&thread, NULL, run_server, &srv), 0);
	gnutls_init(&s, GNUTLS_CLIENT);
	assert_int_equal(gnutls_priority_set_direct(s, prio, NULL), 0);
	gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, anon);
	gnutls_transport_set_int(s, fds[0]);
	do
		rc = gnutls_handshake(s);
	while (rc < 0 && !gnutls_error_is_fatal(rc));
	if (rc < 0)
		shutdown(fds[0], SHUT_RDWR);
	if (sign_algo)
		*sign_algo = gnutls_sign_algorithm_get(s);
	pthread_join(thread, NULL);
	gnutls_deinit(s);
	gnutls_certificate_free_credentials(anon);
	close(fds[0]);
	close(fds[1]);
	return rc < 0 ? rc : srv.rc;
}

static void test_tls13_handshakes_through_key_process(void **state)
{
	static const struct {
		const char *cert, *key, *prio;
		int algo;
	} cases[] = {
		{ "ec.crt", "ec.key", "NORMAL:-VERS-ALL:+VERS-TLS1.3",
		  GNUTLS_SIGN_ECDSA_SECP256R1_SHA256 },
		{ "rsa.crt", "rsa.key", "NORMAL:-VERS-ALL:+VERS-TLS1.3",
		  GNUTLS_SIGN_RSA_PSS_RSAE_SHA256 },
		{ "rsa.crt", "rsa.key", "NORMAL:-VERS-ALL:+VERS-TLS1.2:-SIGN-ALL:+SIGN-RSA-SHA256",
		  GNUTLS_SIGN_RSA_SHA256 },
		{ "ec.crt", "ec.key", "NORMAL:-VERS-ALL:+VERS-TLS1.2", -1 },
	};
	char err[768];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cfg *cfg;
		int rc, algo = 0;

		cfg = load_server(cases[i].cert, cases[i].key, err, sizeof(err), &rc);
		if (rc != 0)
			fail_msg("%s: %s", cases[i].key, err);
		assert_int_not_equal(cfg->profiles[0].creds->keyproc_generation, 0);
		rc = handshake(cfg->profiles[0].creds, cases[i].prio, &algo);
		if (rc != 0)
			fail_msg("%s with %s: %s", cases[i].key, cases[i].prio,
				 gnutls_strerror(rc));
		if (cases[i].algo >= 0)
			assert_int_equal(algo, cases[i].algo);
		creds_free_all(cfg);
		cfg_free(cfg);
	}
}

static void test_mismatched_key_refused_at_load(void **state)
{
	struct cfg *cfg;
	char err[768];
	int rc;

	cfg = load_server("ec.crt", "rsa.key", err, sizeof(err), &rc);
	assert_int_equal(rc, -EINVAL);
	assert_non_null(strstr(err, "profile web: certificate "));
	assert_non_null(strstr(err, "rsa.key"));
	assert_null(cfg->profiles[0].creds);
	cfg_free(cfg);
}

/*
 * TLS 1.2 client authentication signs the whole transcript so far
 * (CertificateVerify), the server's Certificate message included: a server
 * decides how big that is.  A 70 KB certificate pushes it over the key
 * process's 64 KiB data limit; the signature must still be made.
 */
struct big_server {
	int fd, rc, got_client_cert;
	gnutls_certificate_credentials_t x509;
};

static void *run_big_server(void *arg)
{
	struct big_server *srv = arg;
	gnutls_session_t s;
	unsigned n = 0;

	gnutls_init(&s, GNUTLS_SERVER | GNUTLS_NO_TICKETS);
	gnutls_priority_set_direct(s, "NORMAL:-VERS-ALL:+VERS-TLS1.2", NULL);
	gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, srv->x509);
	gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUEST);
	gnutls_transport_set_int(s, srv->fd);
	do
		srv->rc = gnutls_handshake(s);
	while (srv->rc < 0 && !gnutls_error_is_fatal(srv->rc));
	srv->got_client_cert = srv->rc == 0 && gnutls_certificate_get_peers(s, &n) && n > 0;
	gnutls_deinit(s);
	shutdown(srv->fd, SHUT_RDWR);
	return NULL;
}

/* A self-signed EC certificate carrying a pad_len-byte private extension. */
static void big_server_creds(gnutls_certificate_credentials_t *out, size_t pad_len)
{
	gnutls_x509_privkey_t key;
	gnutls_x509_crt_t crt;
	unsigned char *pad = calloc(1, pad_len), serial = 1;

	assert_non_null(pad);
	assert_int_equal(gnutls_x509_privkey_init(&key), 0);
	assert_int_equal(gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
			 GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0), 0);
	assert_int_equal(gnutls_x509_crt_init(&crt), 0);
	gnutls_x509_crt_set_version(crt, 3);
	gnutls_x509_crt_set_serial(crt, &serial, 1);
	gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, "big.test", 8);
	gnutls_x509_crt_set_issuer_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, "big.test", 8);
	gnutls_x509_crt_set_activation_time(crt, time(NULL) - 3600);
	gnutls_x509_crt_set_expiration_time(crt, time(NULL) + 86400);
	assert_int_equal(gnutls_x509_crt_set_key(crt, key), 0);
	assert_int_equal(gnutls_x509_crt_set_extension_by_oid(crt, "1.3.6.1.4.1.55555.1", pad,
							      pad_len, 0), 0);
	assert_int_equal(gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0), 0);
	assert_int_equal(gnutls_certificate_allocate_credentials(out), 0);
	assert_int_equal(gnutls_certificate_set_x509_key(*out, &crt, 1, key), 0);
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(key);
	free(pad);
}

static void test_tls12_client_cert_over_64k(void **state)
{
	struct big_server srv = { 0 };
	struct cfg *cfg = NULL;
	gnutls_session_t s;
	pthread_t thread;
	char conf[1024], err[768];
	int fds[2], rc;

	/* Ed25519: the one kind of key GnuTLS gives the transcript itself to
	 * sign (ECDSA and RSA signatures are asked for by hash) */
	snprintf(conf, sizeof(conf), "[profile mtls]\nrole = client\ncertificate = %s\n"
		 "key = %s\nverify = none\n", unit_tmp_path("ed.crt"), unit_tmp_path("ed.key"));
	unit_write_file("ktlsd.conf", conf, strlen(conf), 0644);
	assert_int_equal(cfg_load(unit_tmp_path("ktlsd.conf"), &cfg, err, sizeof(err)), 0);
	if (creds_load_all(cfg, true, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	assert_int_not_equal(cfg->profiles[0].creds->keyproc_generation, 0);
	big_server_creds(&srv.x509, 70000);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
	srv.fd = fds[1];
	assert_int_equal(pthread_create(&thread, NULL, run_big_server, &srv), 0);
	gnutls_init(&s, GNUTLS_CLIENT);
	assert_int_equal(gnutls_priority_set_direct(s, "NORMAL:-VERS-ALL:+VERS-TLS1.2", NULL), 0);
	gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cfg->profiles[0].creds->x509);
	gnutls_transport_set_int(s, fds[0]);
	do
		rc = gnutls_handshake(s);
	while (rc < 0 && !gnutls_error_is_fatal(rc));
	if (rc < 0)
		shutdown(fds[0], SHUT_RDWR);
	pthread_join(thread, NULL);
	gnutls_deinit(s);
	close(fds[0]);
	close(fds[1]);
	gnutls_certificate_free_credentials(srv.x509);
	creds_free_all(cfg);
	cfg_free(cfg);
	if (rc < 0 || srv.rc < 0)
		fail_msg("TLS 1.2 client certificate after a 70 KB server certificate: client %s, "
			 "server %s", gnutls_strerror(rc), gnutls_strerror(srv.rc));
	assert_true(srv.got_client_cert);
}

/* The same limit without a handshake: every signature kind GnuTLS may ask
 * the key process for, over 100 KB of data. */
static void test_sign_data_over_64k(void **state)
{
	static const struct {
		const char *key;
		gnutls_sign_algorithm_t algo;
	} cases[] = {
		{ "ec.key", GNUTLS_SIGN_ECDSA_SHA256 },
		{ "ec.key", GNUTLS_SIGN_ECDSA_SECP256R1_SHA256 },
		{ "rsa.key", GNUTLS_SIGN_RSA_SHA256 },
		{ "rsa.key", GNUTLS_SIGN_RSA_PSS_RSAE_SHA384 },
		/* EdDSA signs the message itself, not a hash: GnuTLS hands the
		 * whole transcript to the sign_data callback */
		{ "ed.key", GNUTLS_SIGN_EDDSA_ED25519 },
	};
	gnutls_datum_t data = { calloc(1, 100000), 100000 }, sig;
	char err[512];

	assert_non_null(data.data);
	memset(data.data, 'T', data.size);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t gen = new_generation();
		gnutls_pubkey_t pub = pubkey_of(cases[i].key);
		gnutls_privkey_t key;

		if (privkey_for(gen, cases[i].key, &key, err, sizeof(err)) < 0)
			fail_msg("%s: %s", cases[i].key, err);
		if (gnutls_privkey_sign_data2(key, cases[i].algo, 0, &data, &sig) < 0)
			fail_msg("%s over %u bytes: not signed",
				 gnutls_sign_get_name(cases[i].algo),
				 data.size);
		assert_int_equal(gnutls_pubkey_verify_data2(pub, cases[i].algo, 0, &data, &sig), 0);
		data.data[0] ^= 1;	/* falsifiable */
		assert_int_equal(gnutls_pubkey_verify_data2(pub, cases[i].algo, 0, &data, &sig),
				 GNUTLS_E_PK_SIG_VERIFY_FAILED);
		data.data[0] ^= 1;
		gnutls_free(sig.data);
		gnutls_privkey_deinit(key);
		gnutls_pubkey_deinit(pub);
		keyproc_drop(gen);
	}
	free(data.data);
}

/* ---- cost ---- */

static unsigned bench_n(unsigned dflt)
{
	const char *env = getenv("KTLSD_BENCH_N");

	return env && atoi(env) > 0 ? (unsigned)atoi(env) : dflt;
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static double sign_us(gnutls_privkey_t key, gnutls_sign_algorithm_t algo, unsigned n)
{
	const gnutls_datum_t data = { (unsigned char *)"0123456789abcdef0123456789abcdef", 32 };
	gnutls_datum_t sig;
	double t0 = now_us();

	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(gnutls_privkey_sign_data2(key, algo, 0, &data, &sig), 0);
		gnutls_free(sig.data);
	}
	return (now_us() - t0) / n;
}

static void test_sign_cost(void **state)
{
	static const struct {
		const char *key;
		gnutls_sign_algorithm_t algo;
	} cases[] = {
		{ "ec.key", GNUTLS_SIGN_ECDSA_SECP256R1_SHA256 },
		{ "rsa.key", GNUTLS_SIGN_RSA_PSS_RSAE_SHA256 },
	};
	unsigned n = (bench_n(200) + 9) / 10 * 10;
	char err[512];

	for (size_t i = 0; i < 2; i++) {
		uint32_t gen = new_generation();
		gnutls_privkey_t ext, local;
		gnutls_datum_t pem;
		double direct = 0, via = 0;

		assert_int_equal(privkey_for(gen, cases[i].key, &ext, err, sizeof(err)), 0);
		assert_int_equal(gnutls_load_file(unit_tmp_path(cases[i].key), &pem), 0);
		assert_int_equal(gnutls_privkey_init(&local), 0);
		assert_int_equal(gnutls_privkey_import_x509_raw(local, &pem, GNUTLS_X509_FMT_PEM,
								NULL, 0), 0);
		gnutls_free(pem.data);
		sign_us(ext, cases[i].algo, 5);		/* warm both */
		sign_us(local, cases[i].algo, 5);
		for (unsigned done = 0; done < n; done += 10) {	/* interleaved */
			direct += sign_us(local, cases[i].algo, 10) / (n / 10.0);
			via += sign_us(ext, cases[i].algo, 10) / (n / 10.0);
		}
		printf("# sign %-28s in process %8.1f us, via key process %8.1f us "
		       "(+%.1f us, n=%u)\n", gnutls_sign_get_name(cases[i].algo), direct, via,
		       via - direct, n);
		gnutls_privkey_deinit(ext);
		gnutls_privkey_deinit(local);
		keyproc_drop(gen);
	}
}

static double handshake_us(const struct creds *c, const char *prio, unsigned n)
{
	double t0 = now_us();

	for (unsigned i = 0; i < n; i++)
		assert_int_equal(handshake(c, prio, NULL), 0);
	return (now_us() - t0) / n;
}

/* Whole TLS 1.3 handshakes (both ends in this process), server key in the
 * key process or in process (creds loaded without a key process). */
static void test_handshake_cost(void **state)
{
	static const char *keys[][2] = { { "ec.crt", "ec.key" }, { "rsa.crt", "rsa.key" } };
	const char *prio = "NORMAL:-VERS-ALL:+VERS-TLS1.3";
	unsigned n = (bench_n(50) + 9) / 10 * 10;
	char err[768];

	for (size_t i = 0; i < 2; i++) {
		struct cfg *via_cfg, *local_cfg;
		double via, local;
		int rc;

		via_cfg = load_server(keys[i][0], keys[i][1], err, sizeof(err), &rc);
		assert_int_equal(rc, 0);
		keyproc_stop();
		local_cfg = load_server(keys[i][0], keys[i][1], err, sizeof(err), &rc);
		assert_int_equal(rc, 0);
		assert_int_equal(local_cfg->profiles[0].creds->keyproc_generation, 0);
		assert_int_equal(start_bound(), 0);
		/* via_cfg's generation was in the old key process: reload it */
		creds_free_all(via_cfg);
		assert_int_equal(creds_load_all(via_cfg, true, err, sizeof(err)), 0);

		handshake_us(via_cfg->profiles[0].creds, prio, 3);
		handshake_us(local_cfg->profiles[0].creds, prio, 3);
		/* interleaved in rounds of 10, so that load from elsewhere on the
		 * machine falls on both alike */
		local = via = 0;
		for (unsigned done = 0; done < n; done += 10) {
			local += handshake_us(local_cfg->profiles[0].creds, prio, 10) / (n / 10.0);
			via += handshake_us(via_cfg->profiles[0].creds, prio, 10) / (n / 10.0);
		}
		printf("# TLS 1.3 handshake, %-7s key: in process %8.1f us, via key process "
		       "%8.1f us (+%.1f us, n=%u)\n", keys[i][1], local, via, via - local, n);
		creds_free_all(via_cfg);
		cfg_free(via_cfg);
		creds_free_all(local_cfg);
		cfg_free(local_cfg);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ecdsa_signature_verifies, start, stop),
		cmocka_unit_test_setup_teardown(test_rsa_pss_signature_verifies, start, stop),
		cmocka_unit_test_setup_teardown(test_info_from_key_process, start, stop),
		cmocka_unit_test_setup_teardown(test_key_process_refuses, start, stop),
		cmocka_unit_test_setup_teardown(test_open_by_id, start, stop),
		cmocka_unit_test(test_serve_refuses_malformed),
		cmocka_unit_test_setup_teardown(test_parallel_signers, start, stop),
		cmocka_unit_test_setup_teardown(test_key_process_is_filtered, start, stop),
		cmocka_unit_test(test_key_process_filter_kills),
		cmocka_unit_test_setup_teardown(test_dead_key_process, start, stop),
		cmocka_unit_test_setup_teardown(test_tls13_handshakes_through_key_process,
						start, stop),
		cmocka_unit_test_setup_teardown(test_mismatched_key_refused_at_load, start, stop),
		cmocka_unit_test_setup_teardown(test_sign_data_over_64k, start, stop),
		cmocka_unit_test_setup_teardown(test_tls12_client_cert_over_64k, start, stop),
		cmocka_unit_test_setup_teardown(test_sign_cost, start, stop),
		cmocka_unit_test_setup_teardown(test_handshake_cost, start, stop),
	};

	return cmocka_run_group_tests(tests, setup_all, teardown_all);
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The key process: started by main() before any credential is loaded and
 * before the privilege drop, so it is forked from a single-threaded
 * process that has read no key and no peer input yet.  It then drops to
 * ktlsd's user with no capabilities (privdrop_apply), keeps only fds 0-2
 * (logging) and its socket, and answers LOAD / SIGN_DATA / SIGN_HASH / DROP one at a time.
 *
 * It reads key files itself, with secret_file.c's checks, so that the
 * network process never opens them.  It trusts its peer no more than a
 * stranger: every message is decoded with the bounds of keyproc_proto.c, a
 * (generation, index) it does not hold is refused, and so is a signature
 * algorithm that does not fit the key.
 *
 * Signers: one request at a time would make every certificate handshake
 * of every worker queue behind one thread, so the key process runs N
 * signers (config key signers; auto: one per worker), each on a socketpair
 * of its own.  Signer 0 is the main thread, which alone also answers
 * CONFIG/OPEN/LOAD/DROP; signers 1..N-1 are threads that answer DATA and
 * SIGN_* only.  Threads, not processes, so that the isolation stays
 * exactly that of the one process: they are created after the privilege
 * drop, PR_SET_DUMPABLE 0 and PDEATHSIG (all process-wide), before any
 * request is read, and each installs the same system call filter on
 * itself (seccomp filters are per thread) before it reads its socket; the
 * main thread installs it last.  The key table is read under a rwlock
 * while signing, changed under it by LOAD and DROP.
 */
#include <errno.h>
#include <fcntl.h>
#include <gnutls/abstract.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/reason.h"
#include "base/wipe.h"
#include "keys/keyproc.h"
#include "keys/keyproc_proto.h"
#include "keys/secret_file.h"
#include "ktls_proto.h"
#include "process/log.h"
#include "process/privdrop.h"
#include "process/seccomp_filter.h"

struct kp_slot {
	uint32_t generation, index;
	gnutls_privkey_t key;
	gnutls_pk_algorithm_t pk;
};

/* A generation's configuration, parsed by the key process itself. */
struct kp_config {
	uint32_t generation;
	const struct cfg *cfg;
};

static pthread_rwlock_t slots_lock = PTHREAD_RWLOCK_INITIALIZER;	/* the table below */
static struct kp_slot *slots;		/* key process only */
static size_t n_slots, cap_slots;
static struct kp_config *configs;	/* key process only */
static size_t n_configs;
static const struct cfg *start_cfg;	/* the one parsed before the fork */
static int start_cfg_bound;		/* the first CONFIG took it */

static int kp_socks[KP_SIGNERS_MAX];	/* network process: our ends, kp_n_socks of them */
static unsigned kp_n_socks;
static unsigned kp_workers;		/* keyproc_set_workers() */
static pid_t kp_child;
static atomic_bool dead;		/* read by workers, set by whoever sees it first */

/* ---- the key table (key process) ---- */

static struct kp_slot *find_slot(uint32_t generation, uint32_t index)
{
	for (size_t i = 0; i < n_slots; i++)
		if (slots[i].generation == generation && slots[i].index == index)
			return &slots[i];
	return NULL;
}

static int add_slot(const struct kp_slot *s)
{
	struct kp_slot *grown;

	if (n_slots == cap_slots) {
		grown = reallocarray(slots, cap_slots ? cap_slots * 2 : 8, sizeof(*slots));
		if (!grown)
			return -ENOMEM;
		slots = grown;
		cap_slots = cap_slots ? cap_slots * 2 : 8;
	}
	slots[n_slots++] = *s;
	return 0;
}

static void drop_generation(uint32_t generation)
{
	size_t kept = 0;

	pthread_rwlock_wrlock(&slots_lock);	/* no signer holds one of them */
	for (size_t i = 0; i < n_slots; i++) {
		if (slots[i].generation == generation)
			gnutls_privkey_deinit(slots[i].key);	/* wipes the key */
		else
			slots[kept++] = slots[i];
	}
	n_slots = kept;
	pthread_rwlock_unlock(&slots_lock);
	kept = 0;
	for (size_t i = 0; i < n_configs; i++) {
		if (configs[i].generation != generation)
			configs[kept++] = configs[i];
		else if (configs[i].cfg != start_cfg)
			cfg_free((struct cfg *)(uintptr_t)configs[i].cfg);
	}
	n_configs = kept;
}

/* ---- configurations (key process) ---- */

static const struct cfg *find_config(uint32_t generation)
{
	for (size_t i = 0; i < n_configs; i++)
		if (configs[i].generation == generation)
			return configs[i].cfg;
	return NULL;
}

/* Profile index of generation's configuration, which must be called name:
 * the network process parsed the same text, so a different name means the
 * file changed between the two reads (or a confused asker). */
static int find_profile(const struct kp_request *rq, const struct cfg_profile **out,
			char *reason, size_t reason_len)
{
	const struct cfg *cfg = find_config(rq->generation);
	const struct cfg_profile *p;

	if (!cfg) {
		reason_set(reason, reason_len, "key process: no configuration for generation %u",
			   rq->generation);
		return -ENOKEY;
	}
	p = rq->index < cfg->n_profiles ? &cfg->profiles[rq->index] : NULL;
	if (!p || strlen(p->name) != rq->data_len || memcmp(p->name, rq->data, rq->data_len)) {
		reason_set(reason, reason_len, "key process: profile %u of %s is not \"%.*s\" "
			   "(did the file change during the reload? reload again)", rq->index,
			   cfg->path ? cfg->path : "the built-in defaults", (int)rq->data_len,
			   (const char *)rq->data);
		return -ESTALE;
	}
	*out = p;
	return 0;
}

static int open_config_file(const char *path, char *reason, size_t reason_len)
{
	return secret_file_open_public("configuration", path, reason, reason_len);
}

/* The first CONFIG binds the configuration both processes parsed before
 * the fork; later ones re-read the same file (a reload): the paths of key
 * files come from the administrator's file, never from the asker. */
static int do_config(const struct kp_request *rq, int *fd, char *reason, size_t reason_len)
{
	const char *path = start_cfg ? start_cfg->path : NULL;
	struct kp_config *grown;
	struct cfg *fresh = NULL;
	int rc;

	if (!start_cfg)		/* keyproc_serve() without keyproc_start(): a test */
		return -ENOKEY;
	if (find_config(rq->generation))
		return -EEXIST;
	grown = reallocarray(configs, n_configs + 1, sizeof(*configs));
	if (!grown)
		return -ENOMEM;
	configs = grown;
	if (path) {
		*fd = open_config_file(path, reason, reason_len);
		if (*fd < 0)
			return *fd;
	}
	if (!start_cfg_bound) {
		start_cfg_bound = 1;
		configs[n_configs++] = (struct kp_config){ rq->generation, start_cfg };
		return 0;
	}
	rc = path ? cfg_load_fd(*fd, path, &fresh, reason, reason_len) :
		    cfg_load(NULL, &fresh, reason, reason_len);
	if (rc == 0 && *fd >= 0 && lseek(*fd, 0, SEEK_SET) < 0)
		rc = -errno;
	if (rc < 0) {
		cfg_free(fresh);
		return rc;
	}
	configs[n_configs++] = (struct kp_config){ rq->generation, fresh };
	return 0;
}

/* Is fd the same file as one of cfg's private keys?  A certificate file
 * that also holds the key (one PEM for both) must not be handed over. */
static int is_a_key_file(const struct cfg *cfg, int fd)
{
	struct stat st, key_st;

	if (fstat(fd, &st) < 0)
		return 1;
	for (size_t i = 0; i < cfg->n_profiles; i++)
		if (cfg->profiles[i].key_file && stat(cfg->profiles[i].key_file, &key_st) == 0 &&
		    key_st.st_dev == st.st_dev && key_st.st_ino == st.st_ino)
			return 1;
	return 0;
}

static int open_ticket_key(const struct kp_request *rq, int *fd, char *reason,
			   size_t reason_len)
{
	const struct cfg *cfg = find_config(rq->generation);
	int rc;

	if (!cfg) {
		reason_set(reason, reason_len, "key process: no configuration for generation %u",
			  rq->generation);
		return -ENOKEY;
	}
	if (!cfg->ticket_key_file) {
		reason_set(reason, reason_len, "the configuration names no ticket_key_file");
		return -ENOENT;
	}
	rc = secret_file_open("ticket_key_file", cfg->ticket_key_file, reason, reason_len);
	if (rc < 0)
		return rc;
	if (is_a_key_file(cfg, rc)) {
		close(rc);
		reason_set(reason, reason_len, "ticket_key_file %s is also a private key file",
			  cfg->ticket_key_file);
		return -EPERM;
	}
	*fd = rc;
	return 0;
}

static int do_open(const struct kp_request *rq, int *fd, char *reason, size_t reason_len)
{
	const struct cfg_profile *p;
	const char *path, *kind;
	int rc;

	/* The ticket key is the config's, not a profile's. */
	if (rq->file == KP_FILE_TICKET_KEY)
		return open_ticket_key(rq, fd, reason, reason_len);
	rc = find_profile(rq, &p, reason, reason_len);
	if (rc < 0)
		return rc;
	/* The decoder allows only these four; never the key_file. */
	if (rq->file == KP_FILE_CERT) {
		path = p->cert_file;
		kind = "certificate";
	} else if (rq->file == KP_FILE_CA) {
		path = p->ca_file;
		kind = "ca_file";
	} else {
		path = p->psk_file;
		kind = "psk file";
	}
	if (!path) {
		reason_set(reason, reason_len, "profile %s has no %s", p->name, kind);
		return -ENOENT;
	}
	rc = rq->file == KP_FILE_PSK ? secret_file_open(kind, path, reason, reason_len) :
				       secret_file_open_public(kind, path, reason, reason_len);
	if (rc < 0)
		return rc;
	if (is_a_key_file(find_config(rq->generation), rc)) {
		close(rc);
		reason_set(reason, reason_len, "%s %s is also a private key file: give the key "
			   "its own file (the network process never reads key files)", kind, path);
		return -EPERM;
	}
	*fd = rc;
	return 0;
}

/* ---- requests ---- */

static int do_load(const struct kp_request *rq, struct kp_reply *rp, char *reason,
		   size_t reason_len)
{
	const struct cfg_profile *p;
	const char *path;
	gnutls_datum_t pem = { NULL, 0 };
	struct kp_slot s = { .generation = rq->generation, .index = rq->index };
	unsigned bits = 0;
	int rc;

	if (find_slot(rq->generation, rq->index))
		return -EEXIST;
	rc = find_profile(rq, &p, reason, reason_len);
	if (rc < 0)
		return rc;
	path = p->key_file;
	if (!path) {
		reason_set(reason, reason_len, "profile %s has no key", p->name);
		return -ENOENT;
	}
	rc = secret_file_read("key file", path, &pem, reason, reason_len);
	if (rc < 0)
		return rc;
	rc = gnutls_privkey_init(&s.key);
	if (rc == 0)
		rc = gnutls_privkey_import_x509_raw(s.key, &pem, GNUTLS_X509_FMT_PEM, NULL, 0);
	wipe_datum(&pem);
	if (rc < 0) {
		reason_set(reason, reason_len, "key file %s: %s", path, gnutls_strerror(rc));
		gnutls_privkey_deinit(s.key);
		return -EINVAL;
	}
	s.pk = (gnutls_pk_algorithm_t)gnutls_privkey_get_pk_algorithm(s.key, &bits);
	pthread_rwlock_wrlock(&slots_lock);
	rc = add_slot(&s);
	pthread_rwlock_unlock(&slots_lock);
	if (rc < 0) {
		gnutls_privkey_deinit(s.key);
		return -ENOMEM;
	}
	rp->pk_algo = (uint32_t)s.pk;
	rp->bits = bits;
	return 0;
}

/* Flags GnuTLS may hand an external key's sign callbacks; others refused. */
#define KP_SIGN_FLAGS (GNUTLS_PRIVKEY_SIGN_FLAG_TLS1_RSA | GNUTLS_PRIVKEY_SIGN_FLAG_RSA_PSS | \
		       GNUTLS_PRIVKEY_FLAG_REPRODUCIBLE)

/* DATA parts of the next SIGN_DATA: one per socket (signer), since the
 * client sends a signature's parts on one socket under one lock. */
struct kp_pending {
	uint8_t *buf;
	size_t len, cap;
};

static void pending_clear(struct kp_pending *p)
{
	if (p->buf)
		explicit_bzero(p->buf, p->cap);
	p->len = 0;
}

static void pending_free(struct kp_pending *p)
{
	pending_clear(p);
	free(p->buf);
	p->buf = NULL;
	p->cap = 0;
}

static int do_data(const struct kp_request *rq, struct kp_pending *p)
{
	uint8_t *grown;
	size_t need;

	if (rq->offset == 0)
		pending_clear(p);
	if (rq->offset != p->len || p->len + rq->data_len > KP_SIGN_TOTAL_MAX) {
		pending_clear(p);
		return rq->offset != p->len ? -EPROTO : -EMSGSIZE;
	}
	need = p->len + rq->data_len;
	if (need > p->cap) {
		/* a fresh buffer, the old one wiped: realloc could leave a copy */
		grown = malloc(need);
		if (!grown) {
			pending_clear(p);
			return -ENOMEM;
		}
		if (p->len)
			memcpy(grown, p->buf, p->len);
		pending_clear(p);
		free(p->buf);
		p->buf = grown;
		p->cap = need;
		p->len = rq->offset;
	}
	memcpy(p->buf + p->len, rq->data, rq->data_len);
	p->len = need;
	return 0;
}

/* SIGN_DATA with KP_SIGN_CONTINUED: the DATA parts, then rq's data, into
 * *joined (the caller wipes and frees it). */
static int join_pending(const struct kp_request *rq, const struct kp_pending *p,
			gnutls_datum_t *joined)
{
	if (rq->type != KP_SIGN_DATA || p->len == 0)
		return -EPROTO;
	joined->data = malloc(p->len + rq->data_len);
	if (!joined->data)
		return -ENOMEM;
	memcpy(joined->data, p->buf, p->len);
	memcpy(joined->data + p->len, rq->data, rq->data_len);
	joined->size = (unsigned)(p->len + rq->data_len);
	return 0;
}

static int sign_with(const struct kp_slot *s, const struct kp_request *rq,
		     const gnutls_datum_t *data, gnutls_datum_t *sig);

static int do_sign_locked(const struct kp_request *rq, struct kp_pending *p,
			  gnutls_datum_t *sig)
{
	const struct kp_slot *s = find_slot(rq->generation, rq->index);
	gnutls_datum_t data = { (unsigned char *)(uintptr_t)rq->data, (unsigned)rq->data_len };
	gnutls_datum_t joined = { NULL, 0 };
	int rc;

	if (!s || rq->flags & ~(uint32_t)(KP_SIGN_FLAGS | KP_SIGN_CONTINUED)) {
		pending_clear(p);
		return !s ? -ENOKEY : -EINVAL;
	}
	if (rq->flags & KP_SIGN_CONTINUED) {
		rc = join_pending(rq, p, &joined);
		pending_clear(p);
		if (rc < 0)
			return rc;
		data = joined;
	}
	pending_clear(p);	/* parts never outlive the signature they were for */
	rc = sign_with(s, rq, &data, sig);
	wipe_datum(&joined);
	return rc;
}

/* Signers sign at once (a GnuTLS key may be used from several threads, as
 * by any threaded TLS server); LOAD and DROP wait for them. */
static int do_sign(const struct kp_request *rq, struct kp_pending *p, gnutls_datum_t *sig)
{
	int rc;

	pthread_rwlock_rdlock(&slots_lock);
	rc = do_sign_locked(rq, p, sig);
	pthread_rwlock_unlock(&slots_lock);
	return rc;
}

static int sign_with(const struct kp_slot *s, const struct kp_request *rq,
		     const gnutls_datum_t *data_in, gnutls_datum_t *sig)
{
	const gnutls_datum_t data = *data_in;
	gnutls_sign_algorithm_t algo = (gnutls_sign_algorithm_t)rq->sign_algo;
	unsigned flags = rq->flags & ~KP_SIGN_CONTINUED;
	int rc;

	/* TLS1_RSA is a raw PKCS#1 signature of what it is given: no algorithm. */
	if (!(flags & GNUTLS_PRIVKEY_SIGN_FLAG_TLS1_RSA && s->pk == GNUTLS_PK_RSA) &&
	    !gnutls_sign_supports_pk_algorithm(algo, s->pk))
		return -EOPNOTSUPP;
	if (rq->type == KP_SIGN_DATA)
		rc = gnutls_privkey_sign_data2(s->key, algo, flags, &data, sig);
	else
		rc = gnutls_privkey_sign_hash2(s->key, algo, flags, &data, sig);
	if (rc < 0) {
		log_warnx("key process: signature with %s failed: %s",
			  gnutls_sign_get_name(algo) ? gnutls_sign_get_name(algo) : "?",
			  gnutls_strerror(rc));
		return -EIO;
	}
	if (sig->size == 0 || sig->size > KP_SIG_MAX) {
		gnutls_free(sig->data);
		sig->data = NULL;
		return -EMSGSIZE;
	}
	return 0;
}

/* A signer thread touches only the key table (under its lock) and its
 * own pending parts: the rest of the state is the main thread's. */
static bool main_only(enum kp_type type)
{
	switch (type) {
	case KP_CONFIG:
	case KP_OPEN:
	case KP_LOAD:
	case KP_DROP:
		return true;
	case KP_DATA:
	case KP_SIGN_DATA:
	case KP_SIGN_HASH:
		return false;
	}
	return true;
}

static void answer(int fd, const struct kp_request *rq, struct kp_pending *pend, bool signer)
{
	uint8_t out[KP_REP_MAX];
	char reason[KP_REASON_MAX + 1] = "";
	gnutls_datum_t sig = { NULL, 0 };
	struct kp_reply rp = { .type = rq->type, .id = rq->id };
	int pass_fd = -1;
	ssize_t n;

	if (signer && main_only(rq->type)) {
		rp.status = -EPERM;
		snprintf(reason, sizeof(reason), "a signer's socket takes DATA and SIGN only");
	} else {
		switch (rq->type) {
		case KP_CONFIG:
			rp.status = do_config(rq, &pass_fd, reason, sizeof(reason));
			break;
		case KP_OPEN:
			rp.status = do_open(rq, &pass_fd, reason, sizeof(reason));
			break;
		case KP_DATA:
			rp.status = do_data(rq, pend);
			break;
		case KP_LOAD:
			rp.status = do_load(rq, &rp, reason, sizeof(reason));
			break;
		case KP_SIGN_DATA:
		case KP_SIGN_HASH:
			rp.status = do_sign(rq, pend, &sig);
			rp.data = sig.data;
			rp.data_len = rp.status == 0 ? sig.size : 0;
			break;
		case KP_DROP:
			drop_generation(rq->generation);
			break;
		}
	}
	if (rp.status < 0 && reason[0]) {
		rp.data = (const uint8_t *)reason;
		rp.data_len = strnlen(reason, KP_REASON_MAX);
	}
	if (rp.status < 0 && pass_fd >= 0) {
		close(pass_fd);
		pass_fd = -1;
	}
	n = kp_reply_encode(&rp, out, sizeof(out));
	gnutls_free(sig.data);
	if (n >= 0)
		n = ktls_ipc_send(fd, out, (size_t)n, pass_fd);
	if (n < 0)
		errno = (int)-n;
	if (pass_fd >= 0)
		close(pass_fd);
	if (n < 0)
		log_warnx("key process: cannot answer request %u: %s", rq->id, strerror(errno));
}

/* A message that does not decode still gets an answer when its header
 * names a request, so that the asking thread does not wait for nothing. */
static void refuse(int fd, const uint8_t *buf, size_t len, int why)
{
	uint8_t out[KP_REP_HDR_LEN];
	struct kp_reply rp = { .status = why };

	log_warnx("key process: refused a %zu-byte request: %s", len, strerror(-why));
	if (len < KP_REQ_HDR_LEN || buf[0] < KP_LOAD || buf[0] > KP_DATA)
		return;
	rp.type = (enum kp_type)buf[0];
	rp.id = (uint32_t)buf[4] | (uint32_t)buf[5] << 8 | (uint32_t)buf[6] << 16 |
		(uint32_t)buf[7] << 24;
	if (kp_reply_encode(&rp, out, sizeof(out)) == KP_REP_HDR_LEN)
		send(fd, out, sizeof(out), MSG_NOSIGNAL);
}

/* Requests on fd until EOF: 0, or -errno. */
static int serve_loop(int fd, struct kp_pending *pend, bool signer)
{
	uint8_t *in = malloc(KP_REQ_MAX + 1);
	struct kp_request rq;
	ssize_t n;
	int rc = 0;

	if (!in)
		return -ENOMEM;
	for (;;) {
		n = recv(fd, in, KP_REQ_MAX + 1, MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : 0;
			break;
		}
		if ((size_t)n > KP_REQ_MAX)
			refuse(fd, in, KP_REQ_HDR_LEN, -EMSGSIZE);
		else if ((rc = kp_request_decode(in, (size_t)n, &rq)) < 0)
			refuse(fd, in, (size_t)n, rc);
		else
			answer(fd, &rq, pend, signer);
		rc = 0;
	}
	explicit_bzero(in, KP_REQ_MAX + 1);	/* the last request's data */
	free(in);
	pending_free(pend);
	return rc;
}

int keyproc_serve_signer(int fd)
{
	struct kp_pending pend = { NULL, 0, 0 };

	return serve_loop(fd, &pend, true);
}

int keyproc_serve(int fd)
{
	struct kp_pending pend = { NULL, 0, 0 };
	int rc = serve_loop(fd, &pend, false);

	/* Signers may still be signing: they hold the read lock meanwhile. */
	pthread_rwlock_wrlock(&slots_lock);
	for (size_t i = 0; i < n_slots; i++)
		gnutls_privkey_deinit(slots[i].key);
	free(slots);
	slots = NULL;
	n_slots = cap_slots = 0;
	pthread_rwlock_unlock(&slots_lock);
	for (size_t i = 0; i < n_configs; i++)
		if (configs[i].cfg != start_cfg)
			cfg_free((struct cfg *)(uintptr_t)configs[i].cfg);
	free(configs);
	configs = NULL;
	n_configs = 0;
	return rc;
}

/* ---- the system call filter ---- */

/*
 * What the key process does after the drop, and nothing more (found with
 * strace on test_keyproc and a running ktlsd, then argued line by line):
 * LOAD is secret_file.c (lstat, open, fstat, geteuid, read, close);
 * signing is GnuTLS/nettle (getrandom, malloc: brk, mmap and friends);
 * serving is recv/send on fd 3; logging is write to stderr or syslog on
 * the socket opened at log_init.  glibc reopens that socket if syslogd
 * restarted: socket() and connect() fail with EACCES instead, so the key
 * process loses its (rare) log lines rather than its life, and a
 * compromised one cannot reach any other local service.  Files open
 * read-only, and no memory becomes executable.  Anything else kills the
 * process.
 */
static const struct seccomp_allow keyproc_syscalls[] = {
	/* LOAD */
	SECCOMP_ALLOW_ARG(openat, 2, O_ACCMODE | O_CREAT | O_TRUNC, O_RDONLY),
#ifdef __NR_open
	SECCOMP_ALLOW_ARG(open, 1, O_ACCMODE | O_CREAT | O_TRUNC, O_RDONLY),
#endif
#ifdef __NR_newfstatat
	SECCOMP_ALLOW(newfstatat),
#endif
#ifdef __NR_lstat
	SECCOMP_ALLOW(lstat),
	SECCOMP_ALLOW(stat),
#endif
	SECCOMP_ALLOW(fstat),
	SECCOMP_ALLOW(statx),
	SECCOMP_ALLOW(lseek),
	SECCOMP_ALLOW(fcntl),
	SECCOMP_ALLOW(close),
	SECCOMP_ALLOW(geteuid),
	SECCOMP_ALLOW(getuid),
	SECCOMP_ALLOW(getegid),
	SECCOMP_ALLOW(getgid),
	/* SIGN_* */
	SECCOMP_ALLOW(getrandom),
	SECCOMP_ALLOW(brk),
	SECCOMP_ALLOW_ARG(mmap, 2, PROT_EXEC, 0),
	SECCOMP_ALLOW_ARG(mprotect, 2, PROT_EXEC, 0),
	SECCOMP_ALLOW(munmap),
	SECCOMP_ALLOW(mremap),
	SECCOMP_ALLOW(madvise),
	SECCOMP_ALLOW(futex),
	/* serving, logging */
	SECCOMP_ALLOW(read),
	SECCOMP_ALLOW(write),
	SECCOMP_ALLOW(writev),
	SECCOMP_ALLOW(recvfrom),
	SECCOMP_ALLOW(recvmsg),
	SECCOMP_ALLOW(sendto),
	SECCOMP_ALLOW(sendmsg),
	SECCOMP_FAIL(socket, EACCES),
	SECCOMP_FAIL(connect, EACCES),
	SECCOMP_ALLOW(getpid),		/* syslog's LOG_PID */
	SECCOMP_ALLOW(getppid),
	SECCOMP_ALLOW(clock_gettime),	/* vDSO fallbacks */
	SECCOMP_ALLOW(gettimeofday),
#ifdef __NR_time
	SECCOMP_ALLOW(time),
#endif
	/* the end; sanitizers ask for the signal stack before a noreturn call */
	SECCOMP_ALLOW(sigaltstack),
	SECCOMP_ALLOW(rt_sigreturn),
	SECCOMP_ALLOW(exit),
	SECCOMP_ALLOW(exit_group),
};

/* exit_group itself, not _exit(): a sanitizer's _exit hook (leak check,
 * alternate signal stack) would make calls the filter kills. */
void keyproc_exit(int status)
{
	syscall(SYS_exit_group, status);
	_exit(status);		/* not reached */
}

int keyproc_sandbox(void)
{
	return seccomp_filter_install(keyproc_syscalls,
				      sizeof(keyproc_syscalls) / sizeof(keyproc_syscalls[0]));
}

/*
 * KTLSD_NO_KEYPROC_SECCOMP=1 leaves the filter out of the key process and
 * its signers, for measuring only: valgrind (bench/hs-callgrind.sh) makes
 * system calls of its own inside the process it runs (rt_sigprocmask
 * around every call, gettid, tgkill), which the list rightly kills.  The
 * key process says so at start, and sandbox.c leaves the key process's
 * seccomp bit out of `ktls status`, which then shows "NO seccomp".
 */
static bool filter_off;

/* The calling thread's filter, unless switched off: 0 or -errno. */
static int filter_self(void)
{
	return filter_off ? 0 : keyproc_sandbox();
}

/* ---- becoming the key process ---- */

/* Keep stdin/stdout/stderr (logging) and the n sockets, as fds 3..3+n-1;
 * close the rest, whatever the parent had open (nothing secret yet, but
 * nothing the key process needs either).  The sockets are first moved
 * above every target, so that no dup2() closes one still to be moved. */
#define KEEP_HIGH_FD (3 + KP_SIGNERS_MAX + 16)
static int keep_only(const int *socks, unsigned n)
{
	int high[KP_SIGNERS_MAX];

	for (unsigned i = 0; i < n; i++) {
		high[i] = fcntl(socks[i], F_DUPFD, KEEP_HIGH_FD + (int)i);
		if (high[i] < 0)
			return -errno;
	}
	for (unsigned i = 0; i < n; i++)
		if (dup2(high[i], 3 + (int)i) < 0)
			return -errno;
	if (close_range(3 + n, ~0u, 0) < 0) {
		for (long fd = 3 + n, max = sysconf(_SC_OPEN_MAX); fd < max && fd < 65536; fd++)
			close((int)fd);
	}
	return 3;
}

/* A signer thread: its filter first, then its socket (fd passed as the
 * argument).  A filter it cannot install ends the whole process. */
static void *signer_main(void *arg)
{
	int fd = (int)(intptr_t)arg, rc = filter_self();

	if (rc < 0 && rc != -ENOSYS) {
		log_error("key process: a signer cannot install its system call filter: %s",
			  strerror(-rc));
		keyproc_exit(1);
	}
	rc = keyproc_serve_signer(fd);
	if (rc < 0)
		log_warnx("key process: signer on fd %d: %s", fd, strerror(-rc));
	return NULL;
}

/* Signers 1..n-1 on fds 4..; signer 0 is the caller (fd 3).  Small stacks:
 * signing needs little, and the address space is the key process's. */
static int start_signers(unsigned n)
{
	pthread_attr_t attr;
	pthread_t th;
	int rc = 0;

	if (n <= 1)
		return 0;
	if (pthread_attr_init(&attr) != 0)
		return -ENOMEM;
	pthread_attr_setstacksize(&attr, 256 * 1024);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (unsigned i = 1; i < n && rc == 0; i++)
		rc = -pthread_create(&th, &attr, signer_main, (void *)(intptr_t)(3 + (int)i));
	pthread_attr_destroy(&attr);
	return rc;
}

/* glibc loads NSS modules (dlopen: an executable mapping) at the first
 * user or group lookup.  A reload's config parse looks names up under the
 * system call filter, which kills PROT_EXEC mappings: load them now. */
static void preload_name_services(void)
{
	endpwent();
	(void)getpwnam("root");
	(void)getgrnam("root");
}

static __attribute__((noreturn)) void key_process_main(const struct cfg *cfg, int use_syslog,
						       const int *socks, unsigned n, pid_t parent)
{
	int fd, rc;

	prctl(PR_SET_NAME, "ktlsd: keys", 0, 0, 0);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);	/* reloads are main's; it sends CONFIG */
	signal(SIGINT, SIG_IGN);	/* ^C: main shuts down, we see EOF */
	/* systemctl stop signals every process of the unit at once: main
	 * still needs us to drop its keys and finish handshakes in flight;
	 * we leave when it closes our socket (or dies: PDEATHSIG below). */
	signal(SIGTERM, SIG_IGN);
	/* The socket first, on fd 3: log_init may open syslog's socket, which
	 * must not be the descriptor dup2() then replaces. */
	fd = keep_only(socks, n);
	log_init("ktlsd", use_syslog, (enum log_level)cfg->log_level);
	if (fd < 0) {
		log_error("key process: cannot arrange its descriptors: %s", strerror(-fd));
		_exit(1);
	}
	start_cfg = cfg;
	privdrop_set_log_prefix("key process: ");
	if (privdrop_apply(cfg, 0) < 0) {
		log_error("key process: refusing to keep running as root");
		_exit(1);
	}
	/* Not dumpable: a process of the same uid (the network process, if an
	 * attacker runs code in it) can then neither ptrace us nor read our
	 * memory through /proc/PID/mem or process_vm_readv, and no core dump
	 * holds our keys.  The id change in privdrop_apply resets this flag
	 * from fs.suid_dumpable, so it is set after. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
		log_error("key process: cannot make itself non-dumpable: %s", strerror(errno));
		_exit(1);
	}
	/* ktlsd gone (killed, crashed): so are we.  SIGKILL, as SIGTERM is
	 * ignored; set after the drop, which clears it, and checked after for
	 * a parent that died before. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != parent)
		_exit(1);
	preload_name_services();
	filter_off = seccomp_filter_switched_off("KTLSD_NO_KEYPROC_SECCOMP");
	if (filter_off)
		log_warnx("KTLSD_NO_KEYPROC_SECCOMP=1: the key process and its signers run "
			  "WITHOUT their system call filter; code injected here could open "
			  "sockets, run programs and write files (for measuring only)");
	/* Signers now: after everything process-wide above, before any
	 * request is read; each filters itself before reading. */
	rc = start_signers(n);
	if (rc < 0) {
		log_error("key process: cannot start its signers: %s", strerror(-rc));
		_exit(1);
	}
	rc = filter_self();
	if (rc == -ENOSYS)	/* loud, but no reason to refuse the separation itself */
		log_warnx("key process: no system call filter on this architecture");
	else if (rc < 0) {
		log_error("key process: cannot install its system call filter: %s", strerror(-rc));
		_exit(1);
	}
	keyproc_exit(keyproc_serve(fd) < 0 ? 1 : 0);
}

void keyproc_set_workers(unsigned workers)
{
	kp_workers = workers;
}

unsigned keyproc_signers_for(const struct cfg *cfg)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned n = cfg->signers;

	if (n == CFG_SIGNERS_AUTO)
		n = kp_workers ? kp_workers : cfg->workers ? cfg->workers
							   : cpus > 0 ? (unsigned)cpus : 1;
	return n < 1 ? 1 : n > KP_SIGNERS_MAX ? KP_SIGNERS_MAX : n;
}

static void close_socks(int *socks, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (socks[i] >= 0)
			close(socks[i]);
		socks[i] = -1;
	}
}

int keyproc_start(const struct cfg *cfg, int use_syslog)
{
	unsigned n = keyproc_signers_for(cfg), made;
	int ours[KP_SIGNERS_MAX], theirs[KP_SIGNERS_MAX], sv[2], err;
	pid_t parent = getpid(), pid;

	if (kp_n_socks)
		return -EALREADY;
	for (made = 0; made < n; made++) {
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
			err = errno;
			close_socks(ours, made);
			close_socks(theirs, made);
			return -err;
		}
		ours[made] = sv[0];
		theirs[made] = sv[1];
	}
	pid = fork();
	if (pid < 0) {
		err = errno;
		close_socks(ours, n);
		close_socks(theirs, n);
		return -err;
	}
	if (pid == 0)
		key_process_main(cfg, use_syslog, theirs, n, parent);
	close_socks(theirs, n);
	memcpy(kp_socks, ours, n * sizeof(int));
	kp_n_socks = n;
	kp_child = pid;
	atomic_store(&dead, false);
	log_info("key process %d started with %u signer%s: private keys live there", (int)pid,
		 n, n == 1 ? "" : "s");
	return 0;
}

void keyproc_stop(void)
{
	close_socks(kp_socks, kp_n_socks);
	kp_n_socks = 0;
	if (kp_child > 0)
		waitpid(kp_child, NULL, 0);
	kp_child = 0;
}

bool keyproc_active(void)
{
	return kp_n_socks > 0;
}

pid_t keyproc_pid(void)
{
	return kp_child;
}

int keyproc_fd(void)
{
	return kp_n_socks ? kp_socks[0] : -1;
}

int keyproc_signer_fd(unsigned i)
{
	return i < kp_n_socks ? kp_socks[i] : -1;
}

unsigned keyproc_signers(void)
{
	return kp_n_socks;
}

void keyproc_mark_dead(const char *why)
{
	if (atomic_exchange(&dead, true))
		return;		/* said once: every later signature would repeat it */
	log_error("key process: %s; ktlsd stops (handshakes that need our private key "
		  "fail meanwhile)", why);
}

bool keyproc_dead(void)
{
	return atomic_load(&dead);
}

int keyproc_reap(void)
{
	int status;
	char why[64];

	if (kp_child <= 0 || waitpid(kp_child, &status, WNOHANG) != kp_child)
		return 0;
	if (WIFSIGNALED(status))
		snprintf(why, sizeof(why), "process %d killed by signal %d", (int)kp_child,
			 WTERMSIG(status));
	else
		snprintf(why, sizeof(why), "process %d exited with status %d", (int)kp_child,
			 WEXITSTATUS(status));
	kp_child = 0;
	atomic_store(&dead, true);	/* and keyproc_mark_dead() stays quiet */
	log_error("key process: %s", why);
	return 1;
}

// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * TLS 1.3 KeyUpdate after the handoff (RFC 8446 section 4.6.3).
 *
 * Where the secrets live: ktlsd hands the application its connection's
 * current client and server application traffic secrets in the handshake
 * reply (TLS 1.3 only); libktls keeps them here, per socket, in pages that
 * are mlock()ed (never swapped) and excluded from core dumps, wiped when the
 * socket is forgotten (ktls_forget, ktls_close) or found closed or reused.
 * From secret N, HKDF-Expand-Label gives secret N+1 and each key and IV
 * (ktls_hkdf.c, the kernel's HMAC through AF_ALG).  See docs/architecture.md
 * for why here and not in the daemon.
 *
 * Kernel protocol (Linux 6.14+, Documentation/networking/tls.rst):
 *  - RX: after a KeyUpdate record is read (recvmsg with a record-type cmsg),
 *    the kernel stops decrypting; reads fail with EKEYEXPIRED until a second
 *    setsockopt(TLS_RX) installs the next key.  Nothing is lost: later
 *    records wait encrypted in the socket.
 *  - TX: no pause; we send the KeyUpdate record under the old key, then
 *    setsockopt(TLS_TX) with the next key.  Record sequence restarts at 0.
 * Older kernels refuse the second install (EBUSY): RX then ends with
 * EKEYEXPIRED, and TX is refused BEFORE our KeyUpdate goes out (the probe
 * below), since a KeyUpdate we cannot follow would break the connection.
 *
 * One mutex guards the store and is held across a whole rekey (a few
 * syscalls): rekeys are rare, and this keeps two threads from deriving the
 * same generation twice.  A TX rekey must not race the application's own
 * writes on the socket (a record between our KeyUpdate and the new key would
 * be sealed with the old key): libktls(3) says so.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "ktls_internal.h"
#include "ktls_loopback.h"
#include "ktls_rekey.h"

#define HANDSHAKE_KEY_UPDATE 24
#define TLS13_IV_LEN 12
#define REKEY_PROBE_SEED_A 0x41
#define REKEY_PROBE_SEED_B 0x42

struct secret_slot {
	bool in_use;
	int fd;
	dev_t dev;
	ino_t ino;
	uint16_t cipher;
	uint8_t hash_len;
	uint8_t tx[KTLS_SECRET_MAX], rx[KTLS_SECRET_MAX];
};

/* One locked page of slots; pages are never returned (a process that once
 * had N connections keeps N slots' worth of locked memory). */
struct secret_page {
	struct secret_page *next;
	size_t size;			/* bytes mapped and locked */
	size_t n_slots;
	struct secret_slot slots[];
};

ktls_hmac_fn ktls_rekey_hmac = ktls_hmac_af_alg;

static pthread_mutex_t secrets_lock = PTHREAD_MUTEX_INITIALIZER;
static struct secret_page *pages;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

/* ---- fork() ------------------------------------------------------------------ */

/* No fork() while another thread holds the store: the child would inherit
 * the mutex locked, by a thread it does not have. */
static void fork_prepare(void)
{
	pthread_mutex_lock(&secrets_lock);
}

static void fork_parent(void)
{
	pthread_mutex_unlock(&secrets_lock);
}

/* A child keeps the pages (a pre-forking server's child goes on serving
 * the connection and may rekey it; MADV_DONTDUMP is inherited), but not
 * their memory locks (mlock(2)): lock them again, or its copies of the
 * secrets could be swapped out. */
static void fork_child(void)
{
	for (struct secret_page *p = pages; p; p = p->next)
		(void)mlock(p, p->size);
	pthread_mutex_unlock(&secrets_lock);
}

static void register_fork_handlers(void)
{
	(void)pthread_atfork(fork_prepare, fork_parent, fork_child);
}

/* ---- the locked store -------------------------------------------------------- */

static void slot_wipe(struct secret_slot *s)
{
	explicit_bzero(s, sizeof(*s));
}

static bool slot_is_socket(const struct secret_slot *s, const struct stat *st)
{
	return s->dev == st->st_dev && s->ino == st->st_ino;
}

static struct secret_page *page_new(void)
{
	long page_size = sysconf(_SC_PAGESIZE);
	size_t size = page_size > 0 ? (size_t)page_size : 4096;
	struct secret_page *p;

	while (size < sizeof(*p) + 4 * sizeof(struct secret_slot))
		size *= 2;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	/* Secrets that reach swap or a core file outlive the connection. */
	if (mlock(p, size) < 0) {
		munmap(p, size);
		return NULL;
	}
	(void)madvise(p, size, MADV_DONTDUMP);
	pthread_once(&atfork_once, register_fork_handlers);
	p->size = size;
	p->n_slots = (size - sizeof(*p)) / sizeof(struct secret_slot);
	p->next = pages;
	pages = p;
	return p;
}

/* fd's slot if it still holds the same socket; a stale one is wiped. */
static struct secret_slot *slot_find_locked(int fd, const struct stat *st)
{
	for (struct secret_page *p = pages; p; p = p->next)
		for (size_t i = 0; i < p->n_slots; i++) {
			struct secret_slot *s = &p->slots[i];

			if (!s->in_use || s->fd != fd)
				continue;
			if (st && slot_is_socket(s, st))
				return s;
			slot_wipe(s);
		}
	return NULL;
}

/* A free slot, after wiping those whose socket is gone. */
static struct secret_slot *slot_free_locked(void)
{
	struct secret_slot *free_slot = NULL;

	for (struct secret_page *p = pages; p; p = p->next)
		for (size_t i = 0; i < p->n_slots; i++) {
			struct secret_slot *s = &p->slots[i];
			struct stat st;

			if (s->in_use && (fstat(s->fd, &st) < 0 || !slot_is_socket(s, &st)))
				slot_wipe(s);
			if (!s->in_use && !free_slot)
				free_slot = s;
		}
	if (free_slot)
		return free_slot;
	return page_new() ? &pages->slots[0] : NULL;
}

static unsigned hash_len_of(uint16_t cipher)
{
	/* TLS_AES_256_GCM_SHA384; every other kTLS suite is SHA-256 */
	return cipher == KTLS_CIPHER_AES_256_GCM ? 48 : 32;
}

int ktls_secrets_keep(int fd, uint16_t version, uint16_t cipher, const uint8_t *secrets,
		      size_t len)
{
	struct secret_slot *s;
	struct stat st;
	unsigned hash_len = hash_len_of(cipher);

	if (version != KTLS_VERSION_1_3 || !ktls_cipher_row(cipher) || len != 2 * hash_len)
		return ktls_fail(EINVAL, "traffic secrets of %zu bytes do not fit %s %s", len,
				 ktls_version_name(version) ? ktls_version_name(version) : "?",
				 ktls_cipher_name(cipher) ? ktls_cipher_name(cipher) : "?");
	if (fstat(fd, &st) < 0)
		return ktls_fail(errno, "fd %d: %s", fd, strerror(errno));
	pthread_mutex_lock(&secrets_lock);
	s = slot_find_locked(fd, &st);
	if (!s)
		s = slot_free_locked();
	if (s) {
		slot_wipe(s);
		s->in_use = true;
		s->fd = fd;
		s->dev = st.st_dev;
		s->ino = st.st_ino;
		s->cipher = cipher;
		s->hash_len = (uint8_t)hash_len;
		memcpy(s->tx, secrets, hash_len);
		memcpy(s->rx, secrets + hash_len, hash_len);
	}
	pthread_mutex_unlock(&secrets_lock);
	if (!s)
		return ktls_fail(ENOMEM, "no locked memory for the traffic secrets "
					 "(RLIMIT_MEMLOCK reached?): this connection cannot rekey");
	return 0;
}

void ktls_secrets_drop(int fd)
{
	pthread_mutex_lock(&secrets_lock);
	slot_find_locked(fd, NULL);	/* wipes it: no socket matches NULL */
	pthread_mutex_unlock(&secrets_lock);
}

/* ---- kernel support ---------------------------------------------------------- */

static pthread_once_t probe_once = PTHREAD_ONCE_INIT;
static int probe_result;
static char probe_reason[160];

static void probe_rekey(void)
{
	struct ktls_crypto_params a, b;
	struct ktls_loopback_pair pair;

	if (ktls_loopback_pair_open(&pair, 2) < 0) {
		snprintf(probe_reason, sizeof(probe_reason), "rekey probe: %s", ktls_errmsg());
		return;
	}
	ktls_params_throwaway(&a, KTLS_VERSION_1_3, KTLS_CIPHER_AES_128_GCM, REKEY_PROBE_SEED_A);
	ktls_params_throwaway(&b, KTLS_VERSION_1_3, KTLS_CIPHER_AES_128_GCM, REKEY_PROBE_SEED_B);
	if (ktls_install(pair.client, KTLS_DIR_TX, &a) < 0)
		snprintf(probe_reason, sizeof(probe_reason), "rekey probe: %s", ktls_errmsg());
	else if (ktls_install(pair.client, KTLS_DIR_TX, &b) < 0)
		snprintf(probe_reason, sizeof(probe_reason), "%s", ktls_errmsg());
	else
		probe_result = 1;
	ktls_params_wipe(&a);
	ktls_params_wipe(&b);
	ktls_loopback_pair_close(&pair);
}

int ktls_kernel_can_rekey(void)
{
	pthread_once(&probe_once, probe_rekey);
	if (!probe_result)
		ktls_set_reason("%s", probe_reason);
	return probe_result;
}

/* EKEYEXPIRED/EOPNOTSUPP with the kernel version this needs. */
static int fail_old_kernel(int err, const char *what)
{
	struct utsname u;

	if (uname(&u) < 0)
		snprintf(u.release, sizeof(u.release), "?");
	return ktls_fail(err, "%s: this kernel (Linux %s) cannot install new TLS 1.3 keys "
			      "on a kTLS socket; Linux 6.14 or later is needed", what, u.release);
}

/* ---- one key change -------------------------------------------------------------- */

static int params_from_secret(const struct secret_slot *s, const uint8_t *secret,
			      struct ktls_crypto_params *p)
{
	const struct ktls_cipher_row *row = ktls_cipher_row(s->cipher);
	uint8_t iv[TLS13_IV_LEN];
	int rc;

	memset(p, 0, sizeof(*p));
	if (!row || row->salt_len + row->iv_len != TLS13_IV_LEN)
		return -EINVAL;
	p->version = KTLS_VERSION_1_3;
	p->cipher = s->cipher;
	p->key_len = row->key_len;
	p->iv_len = row->iv_len;
	p->salt_len = row->salt_len;
	rc = ktls_traffic_key_iv(ktls_rekey_hmac, secret, s->hash_len, p->key, row->key_len,
				 iv, sizeof(iv));
	/* The kernel's split of the TLS 1.3 nonce: salt = IV[0..3], iv = the
	 * rest (ChaCha20: no salt); rec_seq starts again at 0. */
	memcpy(p->salt, iv, row->salt_len);
	memcpy(p->iv, iv + row->salt_len, row->iv_len);
	explicit_bzero(iv, sizeof(iv));
	return rc;
}

static int fail_derive(int rc)
{
	if (rc == -EAFNOSUPPORT)
		return ktls_fail(EOPNOTSUPP, "computing the next traffic key needs the kernel's "
					     "AF_ALG socket family (blocked or not built)");
	if (rc == -ENOENT)
		return ktls_fail(EOPNOTSUPP, "computing the next traffic key needs the kernel's "
					     "hmac(sha256/384) through AF_ALG (modprobe algif_hash)");
	return ktls_fail(-rc, "computing the next traffic key: %s", strerror(-rc));
}

/* Next generation of secret into next, and its kernel params. */
static int derive_next(const struct secret_slot *s, const uint8_t *secret, uint8_t *next,
		       struct ktls_crypto_params *p)
{
	int rc;

	memcpy(next, secret, s->hash_len);
	rc = ktls_next_traffic_secret(ktls_rekey_hmac, next, s->hash_len);
	if (rc == 0)
		rc = params_from_secret(s, next, p);
	return rc < 0 ? fail_derive(rc) : 0;
}

static int tx_rekey_locked(int fd, struct secret_slot *s, int request_peer_update)
{
	const uint8_t key_update[5] = { HANDSHAKE_KEY_UPDATE, 0, 0, 1,
					request_peer_update ? 1 : 0 };
	uint8_t next[KTLS_SECRET_MAX];
	struct ktls_crypto_params p;
	ssize_t sent;
	int rc = derive_next(s, s->tx, next, &p);

	if (rc < 0)
		goto out;
	sent = ktls_send_record(fd, KTLS_RECORD_HANDSHAKE, key_update, sizeof(key_update),
				MSG_NOSIGNAL);
	if (sent != (ssize_t)sizeof(key_update)) {
		rc = sent < 0 ? -1 : ktls_fail(EIO, "short write of our KeyUpdate");
		goto out;
	}
	/* From here the peer reads with the next key: failing now breaks the
	 * connection, which is why the kernel was probed first. */
	if (ktls_install(fd, KTLS_DIR_TX, &p) < 0) {
		rc = ktls_fail(EPROTO, "KeyUpdate sent, but the next TX key was refused (%s); "
				       "the connection is unusable", ktls_errmsg());
		goto out;
	}
	memcpy(s->tx, next, s->hash_len);
out:
	explicit_bzero(next, sizeof(next));
	ktls_params_wipe(&p);
	return rc;
}

static int rx_rekey_locked(int fd, struct secret_slot *s)
{
	uint8_t next[KTLS_SECRET_MAX];
	struct ktls_crypto_params p;
	int rc = derive_next(s, s->rx, next, &p);

	if (rc == 0 && ktls_install(fd, KTLS_DIR_RX, &p) < 0) {
		if (errno == EBUSY || errno == EEXIST)
			rc = fail_old_kernel(EKEYEXPIRED, "peer sent a TLS 1.3 KeyUpdate");
		else
			rc = ktls_fail(EKEYEXPIRED, "peer sent a KeyUpdate; installing the next "
						    "RX key failed: %s", ktls_errmsg());
	}
	if (rc == 0)
		memcpy(s->rx, next, s->hash_len);
	explicit_bzero(next, sizeof(next));
	ktls_params_wipe(&p);
	return rc;
}

/* fd's slot, with the lock held; -1 + reason (lock released) if none. */
static struct secret_slot *lock_slot(int fd, int err, const char *what)
{
	struct secret_slot *s;
	struct stat st;

	if (fstat(fd, &st) < 0) {
		ktls_fail(errno == EBADF ? EBADF : errno, "fd %d is not open", fd);
		return NULL;
	}
	pthread_mutex_lock(&secrets_lock);
	s = slot_find_locked(fd, &st);
	if (!s) {
		pthread_mutex_unlock(&secrets_lock);
		ktls_fail(err, "%s: libktls holds no TLS 1.3 traffic secret for fd %d (not a "
			       "TLS 1.3 handshake through ktlsd, ktlsd too old, no locked "
			       "memory left (RLIMIT_MEMLOCK), or forgotten)", what, fd);
	}
	return s;
}

int ktls_peer_key_update(int fd, int update_requested)
{
	struct secret_slot *s = lock_slot(fd, EKEYEXPIRED, "peer sent a TLS 1.3 KeyUpdate");
	int rc;

	if (!s)
		return -1;
	rc = rx_rekey_locked(fd, s);
	/* RFC 8446 4.6.3: answer update_requested before our next data. */
	if (rc == 0 && update_requested)
		rc = tx_rekey_locked(fd, s, 0);
	pthread_mutex_unlock(&secrets_lock);
	return rc;
}

int ktls_rekey(int fd, int request_peer_update)
{
	struct secret_slot *s;
	int rc;

	ktls_clear_error();
	if (!ktls_kernel_can_rekey())
		return fail_old_kernel(EOPNOTSUPP, "ktls_rekey");
	s = lock_slot(fd, EOPNOTSUPP, "ktls_rekey");
	if (!s)
		return -1;
	rc = tx_rekey_locked(fd, s, request_peer_update);
	pthread_mutex_unlock(&secrets_lock);
	return rc;
}

int ktls_close(int fd)
{
	ktls_forget(fd);	/* drops the secrets too */
	return close(fd);
}

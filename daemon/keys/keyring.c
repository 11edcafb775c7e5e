// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Keys the kernel names by serial: PSKs, certificates, private keys (see
 * keyring.h for the conventions), and the cache of x509 credentials built
 * from them.
 *
 * Permissions: reading a key needs READ on it, which a key grants to its
 * possessor (a process that reaches it through its own thread, process or
 * session keyrings) or through its user/group/other bits.  For a request
 * whose consumer set a keyring, the kernel links that keyring into our
 * process keyring while it handles ACCEPT, which makes us its possessor for
 * exactly as long as we keep the link: door_netlink.c reads what it needs
 * right after ACCEPT and then unlinks everything (keyring_forget_linked)
 * except the keyrings [kernel] keyrings names, which stay linked for as long
 * as the configuration names them.
 */
#include <ctype.h>
#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <keyutils.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys/creds.h"
#include "keys/keyring.h"
#include "process/log.h"
#include "base/clock.h"

#define X509_CACHE_SLOTS 16

struct kr_x509 {
	struct cfg_ref *cfg;		/* keeps profile (and its trust) alive */
	const struct cfg_profile *profile;
	kr_serial_t cert, privkey;
	uint8_t digest[32];		/* SHA-256 over both payloads */
	gnutls_certificate_credentials_t creds;
	unsigned users;			/* jobs holding it */
	int cached;			/* in x509_cache[]; else freed by the last put */
	uint64_t last_used_ms;
};

/* [kernel] keyrings, as linked into our process keyring (main thread). */
struct configured_ring {
	char name[CFG_KEYRING_NAME_MAX + 1];
	kr_serial_t serial;		/* linked; 0: not found or not linkable */
	int warned;
};

static struct configured_ring rings[CFG_KERNEL_KEYRINGS_MAX];
static size_t n_rings;
static uint64_t rings_tried_ms;

static pthread_mutex_t x509_lock = PTHREAD_MUTEX_INITIALIZER;
static struct kr_x509 *x509_cache[X509_CACHE_SLOTS];
static unsigned long x509_hits, x509_misses;

/* ---- reading keys ---- */

struct payload {
	uint8_t *data;
	size_t len;
};

static void payload_wipe(struct payload *p)
{
	if (p->data) {
		explicit_bzero(p->data, p->len);
		free(p->data);
	}
	p->data = NULL;
	p->len = 0;
}

static int payload_read(kr_serial_t serial, struct payload *out)
{
	void *buf = NULL;
	long n = keyctl_read_alloc(serial, &buf);

	if (n < 0)
		return -errno;
	out->data = buf;
	out->len = (size_t)n;
	return 0;
}

/* A key's description is "type;uid;gid;perm;description"; the description
 * itself may contain ';', so split at the first four only. */
static int describe(kr_serial_t serial, char *type, size_t type_cap, char *desc, size_t desc_cap)
{
	char *text = NULL, *field;
	int rc = 0;

	if (keyctl_describe_alloc(serial, &text) < 0)
		return -errno;
	field = text;
	for (int i = 0; i < 4 && field; i++) {
		char *semi = strchr(field, ';');

		if (i == 0 && semi)
			snprintf(type, type_cap, "%.*s", (int)(semi - field), field);
		field = semi ? semi + 1 : NULL;
	}
	if (!field || snprintf(desc, desc_cap, "%s", field) >= (int)desc_cap)
		rc = -EBADMSG;
	free(text);
	return rc;
}

static int is_psk_type(const char *type)
{
	return strcmp(type, "psk") == 0 || strcmp(type, "user") == 0;
}

int keyring_read_psk(kr_serial_t serial, struct kr_psk *out, char *reason, size_t reason_len)
{
	char type[32] = "";
	struct payload p = { NULL, 0 };
	int rc;

	memset(out, 0, sizeof(*out));
	rc = describe(serial, type, sizeof(type), out->identity, sizeof(out->identity));
	if (rc < 0) {
		snprintf(reason, reason_len, "PSK key %d: cannot describe it: %s", serial,
			 strerror(-rc));
		return rc == -EBADMSG ? -EKEYREJECTED : rc;
	}
	if (!is_psk_type(type) || !out->identity[0]) {
		snprintf(reason, reason_len,
			 "key %d is of type \"%s\", not a PSK (\"psk\" or \"user\")",
			 serial, type);
		return -EKEYREJECTED;
	}
	rc = payload_read(serial, &p);
	if (rc < 0) {
		snprintf(reason, reason_len, "PSK key %d (%s): cannot read it: %s", serial,
			 out->identity,
			 strerror(-rc));
		return rc;
	}
	if (p.len == 0 || p.len > sizeof(out->key)) {
		snprintf(reason, reason_len, "PSK key %d (%s) is %zu bytes; 1 to %zu are usable",
			 serial,
			 out->identity, p.len, sizeof(out->key));
		payload_wipe(&p);
		return -EKEYREJECTED;
	}
	memcpy(out->key, p.data, p.len);
	out->key_len = (unsigned)p.len;
	out->serial = serial;
	payload_wipe(&p);
	return 0;
}

static void collect_one(kr_serial_t serial, unsigned depth, struct kr_psk *list, unsigned *n,
			unsigned cap)
{
	char type[32] = "", desc[KTLS_NAME_MAX], reason[KTLS_REASON_MAX];

	if (describe(serial, type, sizeof(type), desc, sizeof(desc)) < 0)
		return;		/* no VIEW permission: not ours to use */
	if (strcmp(type, "keyring") == 0) {
		if (depth > 0)
			keyring_collect_psks(serial, depth - 1, list, n, cap);
		return;
	}
	if (!is_psk_type(type) || *n >= cap)
		return;
	if (keyring_read_psk(serial, &list[*n], reason, sizeof(reason)) == 0)
		(*n)++;
	else
		log_debug("skipping key %d: %s", serial, reason);
}

int keyring_collect_psks(kr_serial_t keyring, unsigned depth, struct kr_psk *list,
			 unsigned *n, unsigned cap)
{
	struct payload p = { NULL, 0 };
	int rc = payload_read(keyring, &p);
	size_t count;

	if (rc < 0)
		return rc;
	/* A keyring's payload is its members' serials. */
	count = p.len / sizeof(kr_serial_t);
	for (size_t i = 0; i < count && *n < cap; i++) {
		kr_serial_t member;

		memcpy(&member, p.data + i * sizeof(member), sizeof(member));
		collect_one(member, depth, list, n, cap);
	}
	payload_wipe(&p);
	return 0;
}

kr_serial_t keyring_process_keyring(void)
{
	kr_serial_t id = keyctl_get_keyring_ID(KEY_SPEC_PROCESS_KEYRING, 0);

	return id > 0 ? id : 0;
}

static int is_configured(kr_serial_t serial)
{
	for (size_t i = 0; i < n_rings; i++)
		if (rings[i].serial && rings[i].serial == serial)
			return 1;
	return 0;
}

unsigned keyring_configured_linked(void)
{
	unsigned n = 0;

	for (size_t i = 0; i < n_rings; i++)
		n += rings[i].serial != 0;
	return n;
}

void keyring_forget_linked(void)
{
	struct payload p = { NULL, 0 };
	kr_serial_t member;

	if (!keyring_process_keyring())
		return;
	if (!keyring_configured_linked()) {
		if (keyctl_clear(KEY_SPEC_PROCESS_KEYRING) < 0)
			log_warn("cannot unlink the consumer keyrings from our process keyring");
		return;
	}
	if (payload_read(KEY_SPEC_PROCESS_KEYRING, &p) < 0) {
		log_warn("cannot list our process keyring to unlink the consumer keyrings");
		return;
	}
	for (size_t i = 0; i < p.len / sizeof(member); i++) {
		memcpy(&member, p.data + i * sizeof(member), sizeof(member));
		if (!is_configured(member) && keyctl_unlink(member, KEY_SPEC_PROCESS_KEYRING) < 0 &&
		    errno != ENOENT)
			log_warn("cannot unlink key %d from our process keyring", member);
	}
	payload_wipe(&p);
}

/* A configured name or serial -> the keyring's serial; 0 with a reason. */
static kr_serial_t find_keyring(const char *name, char *reason, size_t reason_len)
{
	char type[32] = "", desc[CFG_KEYRING_NAME_MAX + 1];
	kr_serial_t serial;
	int rc;

	if (!isdigit((unsigned char)name[0])) {
		/* request_key() without callout info, then /proc/keys: it
		 * finds keyrings we may view, possessed or not. */
		serial = find_key_by_type_and_desc("keyring", name, 0);
		if (serial < 0) {
			snprintf(reason, reason_len,
				 "no such keyring among those ktlsd may view (%s)",
				 strerror(errno));
			return 0;
		}
		return serial;
	}
	serial = (kr_serial_t)strtol(name, NULL, 10);	/* checked by config_values.c */
	rc = describe(serial, type, sizeof(type), desc, sizeof(desc));
	if (rc < 0 && rc != -EBADMSG) {	/* EBADMSG: a long description, type known */
		snprintf(reason, reason_len, "key %d: %s", serial, strerror(-rc));
		return 0;
	}
	if (strcmp(type, "keyring") != 0) {
		snprintf(reason, reason_len, "key %d is of type \"%s\", not a keyring", serial,
			 type);
		return 0;
	}
	return serial;
}

static void link_ring(struct configured_ring *ring)
{
	char reason[KTLS_REASON_MAX];
	kr_serial_t serial = find_keyring(ring->name, reason, sizeof(reason));

	if (serial && keyctl_link(serial, KEY_SPEC_PROCESS_KEYRING) < 0) {
		snprintf(reason, sizeof(reason), "cannot link keyring %d into our process "
			 "keyring (%s)", serial, strerror(errno));
		serial = 0;
	}
	if (serial) {
		ring->serial = serial;
		log_info("[kernel] keyring \"%s\" (key %d) linked: kernel requests may use "
			 "its keys", ring->name, serial);
	} else if (!ring->warned) {
		ring->warned = 1;
		log_warnx("[kernel] keyring \"%s\" is not used for now: %s; retried every "
			  "%u s", ring->name, reason, KR_RELINK_MS / 1000);
	} else {
		log_debug("[kernel] keyring \"%s\" still unusable: %s", ring->name, reason);
	}
}

static int same_rings(char *const *names, size_t n)
{
	if (n != n_rings)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], rings[i].name) != 0)
			return 0;
	return 1;
}

void keyring_link_configured(char *const *names, size_t n)
{
	uint64_t now = clock_now_ms();

	if (n > CFG_KERNEL_KEYRINGS_MAX)
		n = CFG_KERNEL_KEYRINGS_MAX;
	if (!same_rings(names, n)) {
		for (size_t i = 0; i < n_rings; i++)
			if (rings[i].serial)
				keyctl_unlink(rings[i].serial, KEY_SPEC_PROCESS_KEYRING);
		memset(rings, 0, sizeof(rings));
		for (size_t i = 0; i < n; i++)
			snprintf(rings[i].name, sizeof(rings[i].name), "%s", names[i]);
		n_rings = n;
	} else if (keyring_configured_linked() == n_rings || now - rings_tried_ms < KR_RELINK_MS) {
		return;
	}
	rings_tried_ms = now;
	for (size_t i = 0; i < n_rings; i++)
		if (!rings[i].serial)
			link_ring(&rings[i]);
}

kr_serial_t keyring_store_peer_cert(const uint8_t *der, size_t der_len, const char *name,
				    unsigned ttl_s, char *reason, size_t reason_len)
{
	char desc[KTLS_NAME_MAX + 16];
	kr_serial_t serial;

	snprintf(desc, sizeof(desc), "TLS x509 %s", name && name[0] ? name : "peer");
	/* "asymmetric" has no update: a second key of the same name replaces
	 * the first one's link, so peers do not pile up in the keyring. */
	serial = add_key("asymmetric", desc, der, der_len, KEY_SPEC_USER_KEYRING);
	if (serial < 0) {
		snprintf(reason, reason_len, "add_key(asymmetric, \"%s\"): %s", desc,
			 strerror(errno));
		return 0;
	}
	if (keyctl_set_timeout(serial, ttl_s) < 0)
		log_warn("key %d (%s): cannot set its expiry", serial, desc);
	return serial;
}

/* ---- x509 credentials ---- */

static int is_pem(const struct payload *p)
{
	static const char marker[] = "-----BEGIN";

	return p->len >= sizeof(marker) - 1 && memmem(p->data, p->len, marker,
						       sizeof(marker) - 1) != NULL;
}

static gnutls_x509_crt_fmt_t format_of(const struct payload *p)
{
	return is_pem(p) ? GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER;
}

/* Copy the profile's trust anchors: the credentials own their trust list,
 * so it cannot be shared, but copying certificates is cheaper than
 * re-reading and re-parsing the store. */
static int copy_trust(gnutls_certificate_credentials_t to,
		      gnutls_certificate_credentials_t from)
{
	gnutls_x509_trust_list_t src, dst;
	gnutls_x509_trust_list_iter_t iter = NULL;
	gnutls_x509_crt_t ca;
	int rc;

	gnutls_certificate_get_trust_list(from, &src);
	rc = gnutls_x509_trust_list_init(&dst, 0);
	if (rc < 0)
		return rc;
	while (gnutls_x509_trust_list_iter_get_ca(src, &iter, &ca) == 0)
		if (gnutls_x509_trust_list_add_cas(dst, &ca, 1, 0) != 1)
			gnutls_x509_crt_deinit(ca);
	gnutls_x509_trust_list_iter_deinit(iter);
	gnutls_certificate_set_trust_list(to, dst, 0);
	return 0;
}

static int set_key_pair(gnutls_certificate_credentials_t creds, const struct payload *cert,
			const struct payload *key, char *reason, size_t reason_len)
{
	gnutls_datum_t cert_d = { cert->data, (unsigned)cert->len };
	gnutls_datum_t key_d = { key->data, (unsigned)key->len };
	gnutls_x509_crt_t *chain = NULL;
	gnutls_x509_privkey_t pkey = NULL;
	unsigned n = 0;
	int rc;

	rc = gnutls_x509_crt_list_import2(&chain, &n, &cert_d, format_of(cert), 0);
	if (rc < 0) {
		snprintf(reason, reason_len, "certificate key: %s", gnutls_strerror(rc));
		return -EKEYREJECTED;
	}
	rc = gnutls_x509_privkey_init(&pkey);
	if (rc == 0)
		rc = gnutls_x509_privkey_import2(pkey, &key_d, format_of(key), NULL, 0);
	if (rc == 0)
		rc = gnutls_certificate_set_x509_key(creds, chain, n, pkey);
	if (rc < 0)
		snprintf(reason, reason_len, "private key / certificate pair: %s",
			 gnutls_strerror(rc));
	for (unsigned i = 0; i < n; i++)
		gnutls_x509_crt_deinit(chain[i]);
	gnutls_free(chain);
	gnutls_x509_privkey_deinit(pkey);
	return rc < 0 ? -EKEYREJECTED : 0;
}

static int build_creds(const struct cfg_profile *profile, const struct payload *cert,
		       const struct payload *key, gnutls_certificate_credentials_t *out,
		       char *reason, size_t reason_len)
{
	gnutls_certificate_credentials_t creds;
	int rc;

	if (gnutls_certificate_allocate_credentials(&creds) < 0) {
		snprintf(reason, reason_len, "out of memory");
		return -ENOMEM;
	}
	rc = set_key_pair(creds, cert, key, reason, reason_len);
	if (rc == 0 && copy_trust(creds, profile->creds->x509) < 0) {
		snprintf(reason, reason_len, "cannot copy the trust anchors of profile \"%s\"",
			 profile->name);
		rc = -ENOMEM;
	}
	if (rc < 0) {
		gnutls_certificate_free_credentials(creds);
		return rc;
	}
	*out = creds;
	return 0;
}

static void x509_free(struct kr_x509 *x)
{
	gnutls_certificate_free_credentials(x->creds);
	cfg_ref_put(x->cfg);
	free(x);
}

static int digest_of(const struct payload *cert, const struct payload *key, uint8_t out[32])
{
	gnutls_hash_hd_t h;
	uint32_t cert_len = (uint32_t)cert->len;	/* keeps (a|bc) apart from (ab|c) */

	if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0)
		return -ENOMEM;
	gnutls_hash(h, &cert_len, sizeof(cert_len));
	gnutls_hash(h, cert->data, cert->len);
	gnutls_hash(h, key->data, key->len);
	gnutls_hash_deinit(h, out);
	return 0;
}

/* Under x509_lock: entries of older configs that nobody uses go. */
static void purge_stale(const struct cfg_ref *current)
{
	for (unsigned i = 0; i < X509_CACHE_SLOTS; i++) {
		struct kr_x509 *x = x509_cache[i];

		if (x && x->users == 0 && x->cfg != current) {
			x509_cache[i] = NULL;
			x509_free(x);
		}
	}
}

static struct kr_x509 *lookup_locked(const struct cfg_ref *cfg, const struct cfg_profile *p,
				     kr_serial_t cert, kr_serial_t key, const uint8_t digest[32])
{
	for (unsigned i = 0; i < X509_CACHE_SLOTS; i++) {
		struct kr_x509 *x = x509_cache[i];

		if (x && x->cfg == cfg && x->profile == p && x->cert == cert &&
		    x->privkey == key && memcmp(x->digest, digest, 32) == 0)
			return x;
	}
	return NULL;
}

/* Under x509_lock: an empty slot, else the least recently used idle one. */
static void insert_locked(struct kr_x509 *x)
{
	int victim = -1;

	for (unsigned i = 0; i < X509_CACHE_SLOTS; i++) {
		struct kr_x509 *e = x509_cache[i];

		if (!e) {
			victim = (int)i;
			break;
		}
		if (e->users == 0 && (victim < 0 || e->last_used_ms <
				      x509_cache[victim]->last_used_ms))
			victim = (int)i;
	}
	if (victim < 0)
		return;		/* all in use: x stays private to its job */
	if (x509_cache[victim])
		x509_free(x509_cache[victim]);
	x509_cache[victim] = x;
	x->cached = 1;
}

static struct kr_x509 *take_cached(struct cfg_ref *cfg, const struct cfg_profile *p,
				   kr_serial_t cert, kr_serial_t key, const uint8_t digest[32])
{
	struct kr_x509 *x;

	pthread_mutex_lock(&x509_lock);
	purge_stale(cfg);
	x = lookup_locked(cfg, p, cert, key, digest);
	if (x) {
		x->users++;
		x->last_used_ms = clock_now_ms();
		x509_hits++;
	}
	pthread_mutex_unlock(&x509_lock);
	return x;
}

static int read_pair(kr_serial_t cert, kr_serial_t key, struct payload *c, struct payload *k,
		     char *reason, size_t reason_len)
{
	int rc = payload_read(cert, c);

	if (rc < 0) {
		snprintf(reason, reason_len, "certificate key %d: cannot read it: %s", cert,
			 strerror(-rc));
		return rc;
	}
	rc = payload_read(key, k);
	if (rc < 0) {
		snprintf(reason, reason_len, "private key %d: cannot read it: %s", key,
			 strerror(-rc));
		payload_wipe(c);
	}
	return rc;
}

static int make_entry(struct cfg_ref *cfg, const struct cfg_profile *p, kr_serial_t cert,
		      kr_serial_t key, const struct payload *c, const struct payload *k,
		      const uint8_t digest[32], struct kr_x509 **out, char *reason, size_t reason_len)
{
	struct kr_x509 *x = calloc(1, sizeof(*x));
	gnutls_certificate_credentials_t creds;
	int rc;

	if (!x) {
		snprintf(reason, reason_len, "out of memory");
		return -ENOMEM;
	}
	rc = build_creds(p, c, k, &creds, reason, reason_len);
	if (rc < 0) {
		free(x);
		return rc;
	}
	atomic_fetch_add(&cfg->refs, 1);
	*x = (struct kr_x509){ .cfg = cfg, .profile = p, .cert = cert, .privkey = key,
			       .creds = creds, .users = 1, .last_used_ms = clock_now_ms() };
	memcpy(x->digest, digest, 32);
	pthread_mutex_lock(&x509_lock);
	x509_misses++;
	insert_locked(x);
	pthread_mutex_unlock(&x509_lock);
	*out = x;
	return 0;
}

int keyring_x509_get(struct cfg_ref *cfg, const struct cfg_profile *profile, kr_serial_t cert,
		     kr_serial_t privkey, struct kr_x509 **out, char *reason, size_t reason_len)
{
	struct payload c = { NULL, 0 }, k = { NULL, 0 };
	uint8_t digest[32];
	int rc;

	*out = NULL;
	/* Read every time: a key updated under its old serial must not be
	 * answered from the cache. */
	rc = read_pair(cert, privkey, &c, &k, reason, reason_len);
	if (rc < 0)
		return rc;
	rc = digest_of(&c, &k, digest);
	if (rc == 0) {
		*out = take_cached(cfg, profile, cert, privkey, digest);
		if (!*out)
			rc = make_entry(cfg, profile, cert, privkey, &c, &k, digest, out, reason,
					reason_len);
	} else {
		snprintf(reason, reason_len, "out of memory");
	}
	payload_wipe(&c);
	payload_wipe(&k);
	return rc;
}

gnutls_certificate_credentials_t keyring_x509_creds(const struct kr_x509 *x)
{
	return x->creds;
}

void keyring_x509_put(struct kr_x509 *x)
{
	int free_it;

	if (!x)
		return;
	pthread_mutex_lock(&x509_lock);
	x->users--;
	x->last_used_ms = clock_now_ms();
	free_it = x->users == 0 && !x->cached;
	pthread_mutex_unlock(&x509_lock);
	if (free_it)
		x509_free(x);
}

void keyring_x509_flush(void)
{
	pthread_mutex_lock(&x509_lock);
	for (unsigned i = 0; i < X509_CACHE_SLOTS; i++) {
		struct kr_x509 *x = x509_cache[i];

		if (!x)
			continue;
		x509_cache[i] = NULL;
		if (x->users == 0)
			x509_free(x);
		else
			x->cached = 0;	/* its last put frees it */
	}
	pthread_mutex_unlock(&x509_lock);
}

void keyring_x509_stats(unsigned long *hits, unsigned long *misses)
{
	pthread_mutex_lock(&x509_lock);
	*hits = x509_hits;
	*misses = x509_misses;
	pthread_mutex_unlock(&x509_lock);
}

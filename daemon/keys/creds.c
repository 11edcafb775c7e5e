// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * GnuTLS credentials per profile, built once per config.  Secret files are
 * read by secret_file.c and PSK files parsed by creds_psk.c.  With the key
 * process running (keyproc.h) a profile's private key is loaded there and
 * only certificates are read here.
 *
 * Priorities: the profile's string is narrowed to what kTLS can carry, never
 * widened.  The kernel probe names the ciphers it supports; every other
 * cipher GnuTLS knows is removed ("-NAME") after the profile's own string,
 * and so are versions older than TLS 1.2.  Appending "+CIPHER" instead would
 * quietly re-enable a cipher the administrator had removed.
 */
#include <errno.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/reason.h"
#include "base/wipe.h"
#include "keys/creds.h"
#include "keys/creds_internal.h"
#include "keys/keyproc.h"
#include "keys/secret_file.h"
#include "sessions/ticket_keys.h"
#include "process/log.h"

#define DEFAULT_KERNEL_CIPHERS \
	":-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:+AES-128-CCM:+CHACHA20-POLY1305"
/* kTLS has no TLS 1.0/1.1 and no DTLS. */
#define OLD_VERSIONS_OFF ":-VERS-SSL3.0:-VERS-TLS1.0:-VERS-TLS1.1:-VERS-DTLS-ALL"

static char *kernel_ciphers;	/* NULL: DEFAULT_KERNEL_CIPHERS */

void creds_set_kernel_ciphers(const char *priority_suffix)
{
	free(kernel_ciphers);
	kernel_ciphers = NULL;
	if (priority_suffix && !(kernel_ciphers = strdup(priority_suffix)))
		log_warnx("out of memory: credentials use the default kernel ciphers %s",
			  DEFAULT_KERNEL_CIPHERS);
}

#define CHAIN_MAX 16		/* certificates in one certificate file */
#define KP_WHY_MAX 768		/* the key process's reason and the path */

/* ---- files ---- */

static const char *file_kind_name(enum kp_file kind)
{
	switch (kind) {
	case KP_FILE_CERT:
		return "certificate";
	case KP_FILE_CA:
		return "ca_file";
	case KP_FILE_PSK:
		return "psk file";
	case KP_FILE_TICKET_KEY:
		return "ticket_key_file";
	}
	return "file";
}

/*
 * With the key process, the network process opens no credential file
 * itself: after start-up its sandbox (sandbox.c) would not let it, and a
 * reload must work the same way as the start.  It names the file by
 * (generation, profile index and name, kind); the key process opens what
 * its own parse of the configuration says and passes the descriptor.
 */
int creds_read_file(const struct creds *c, const struct cfg_profile *p, uint32_t index,
		    enum kp_file kind, gnutls_datum_t *out, char *reason, size_t reason_len)
{
	const char *path = kind == KP_FILE_CERT ? p->cert_file :
			   kind == KP_FILE_CA ? p->ca_file : p->psk_file;
	int fd, rc;

	if (!c->keyproc_generation)
		return kind == KP_FILE_PSK ?
		       secret_file_read(file_kind_name(kind), path, out, reason, reason_len) :
		       secret_file_read_public(file_kind_name(kind), path, out, reason, reason_len);
	fd = keyproc_open(c->keyproc_generation, index, p->name, kind, reason, reason_len);
	if (fd < 0)
		return fd;
	rc = secret_file_read_fd(fd, path, out, reason, reason_len);
	close(fd);
	return rc;
}

/* ---- certificates and trust ---- */

static int load_key_pair_here(struct creds *c, const struct cfg_profile *p, char *reason,
			      size_t reason_len)
{
	gnutls_datum_t cert = { NULL, 0 }, key = { NULL, 0 };
	char why[256];
	int rc;

	rc = secret_file_read_public("certificate", p->cert_file, &cert, why, sizeof(why));
	if (rc == 0)
		rc = secret_file_read("key file", p->key_file, &key, why, sizeof(why));
	if (rc < 0) {
		reason_set(reason, reason_len, "profile %s: %s", p->name, why);
		wipe_datum(&cert);
		return rc;
	}
	(void)gnutls_hash_fast(GNUTLS_DIG_SHA256, cert.data, cert.size, c->cert_digest);
	rc = gnutls_certificate_set_x509_key_mem2(c->x509, &cert, &key, GNUTLS_X509_FMT_PEM,
						  NULL, 0);
	wipe_datum(&key);
	wipe_datum(&cert);
	if (rc < 0) {
		reason_set(reason, reason_len, "profile %s: certificate %s with key %s: %s",
			   p->name,
			   p->cert_file, p->key_file, gnutls_strerror(rc));
		return -EINVAL;
	}
	return 0;
}


/*
 * The key stays in the key process: the chain is ours, the privkey a
 * handle whose signatures are round trips (keyproc_client.c).  GnuTLS's
 * key/certificate match check in gnutls_certificate_set_key() signs once
 * through it, so a wrong key still fails here, at load.
 */
static int load_key_pair_keyproc(struct creds *c, const struct cfg_profile *p,
				 uint32_t index, char *reason, size_t reason_len)
{
	gnutls_pcert_st chain[CHAIN_MAX];
	gnutls_datum_t cert = { NULL, 0 };
	gnutls_privkey_t key = NULL;
	unsigned n = CHAIN_MAX;
	char why[KP_WHY_MAX];
	int rc;

	rc = creds_read_file(c, p, index, KP_FILE_CERT, &cert, why, sizeof(why));
	if (rc < 0) {
		reason_set(reason, reason_len, "profile %s: %s", p->name, why);
		return rc;
	}
	(void)gnutls_hash_fast(GNUTLS_DIG_SHA256, cert.data, cert.size, c->cert_digest);
	rc = gnutls_pcert_list_import_x509_raw(chain, &n, &cert, GNUTLS_X509_FMT_PEM,
					       GNUTLS_X509_CRT_LIST_SORT);
	wipe_datum(&cert);
	if (rc < 0) {
		reason_set(reason, reason_len, "profile %s: certificate %s: %s", p->name,
			   p->cert_file,
			   rc == GNUTLS_E_SHORT_MEMORY_BUFFER ? "more than 16 certificates" :
			   gnutls_strerror(rc));
		return -EINVAL;
	}
	rc = keyproc_privkey(c->keyproc_generation, index, p->name, &key, why, sizeof(why));
	if (rc < 0) {
		reason_set(reason, reason_len, "profile %s: %s", p->name, why);
		goto fail;
	}
	rc = gnutls_certificate_set_key(c->x509, NULL, 0, chain, (int)n, key);
	if (rc < 0) {
		reason_set(reason, reason_len, "profile %s: certificate %s with key %s: %s",
			   p->name,
			   p->cert_file, p->key_file, gnutls_strerror(rc));
		rc = -EINVAL;
		goto fail;
	}
	return 0;	/* chain entries and key now belong to c->x509 */
fail:
	if (key)
		gnutls_privkey_deinit(key);
	for (unsigned i = 0; i < n; i++)
		gnutls_pcert_deinit(&chain[i]);
	return rc;
}

static int load_key_pair(struct creds *c, const struct cfg_profile *p, uint32_t index,
			 char *reason, size_t reason_len)
{
	if (c->keyproc_generation)
		return load_key_pair_keyproc(c, p, index, reason, reason_len);
	return load_key_pair_here(c, p, reason, reason_len);
}

/* The system store's CAs as loaded, for the session cache's trust digest:
 * a CA an admin removes from it must not go on vouching, through resumed
 * sessions, for servers it verified before the reload.  No digest (zeros,
 * as for a profile that verifies nothing) only if GnuTLS cannot list them. */
static void digest_system_trust(struct creds *c)
{
	gnutls_x509_trust_list_t list;
	gnutls_x509_trust_list_iter_t iter = NULL;
	gnutls_x509_crt_t ca;
	gnutls_hash_hd_t h;
	gnutls_datum_t der;

	gnutls_certificate_get_trust_list(c->x509, &list);
	if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0)
		return;
	while (gnutls_x509_trust_list_iter_get_ca(list, &iter, &ca) == 0) {
		if (gnutls_x509_crt_export2(ca, GNUTLS_X509_FMT_DER, &der) == 0) {
			gnutls_hash(h, der.data, der.size);
			gnutls_free(der.data);
		}
		gnutls_x509_crt_deinit(ca);
	}
	gnutls_x509_trust_list_iter_deinit(iter);
	gnutls_hash_deinit(h, c->ca_digest);
}

/* A profile that may verify its peer needs trust anchors, and an empty
 * store is an error, never a quiet "verify against nothing".  The system
 * store is read by GnuTLS from its compiled-in location, which the
 * network process's sandbox keeps readable (sandbox.c). */
static int load_trust(struct creds *c, const struct cfg_profile *p, uint32_t index, char *reason,
		      size_t reason_len)
{
	gnutls_datum_t pem = { NULL, 0 };
	char why[KP_WHY_MAX];
	int n;

	if (!p->ca_file && p->verify == KTLS_VERIFY_NONE)
		return 0;
	if (!p->ca_file) {
		n = gnutls_certificate_set_x509_system_trust(c->x509);
		if (n > 0) {
			digest_system_trust(c);
			return 0;
		}
		reason_set(reason, reason_len,
			   "profile %s: system trust store is empty%s%s: install "
			   "ca-certificates or set ca_file", p->name, n < 0 ? ": " : "",
			   n < 0 ? gnutls_strerror(n) : "");
		return -ENOENT;
	}
	n = creds_read_file(c, p, index, KP_FILE_CA, &pem, why, sizeof(why));
	if (n < 0) {
		reason_set(reason, reason_len, "profile %s: %s", p->name, why);
		return n;
	}
	(void)gnutls_hash_fast(GNUTLS_DIG_SHA256, pem.data, pem.size, c->ca_digest);
	n = gnutls_certificate_set_x509_trust_mem(c->x509, &pem, GNUTLS_X509_FMT_PEM);
	wipe_datum(&pem);
	if (n > 0)
		return 0;
	reason_set(reason, reason_len, "profile %s: ca_file %s %s", p->name, p->ca_file,
		   n == 0 ? "holds no PEM certificate" : gnutls_strerror(n));
	return -EINVAL;
}

/* ---- priorities and ALPN ---- */

/* Is cipher named as "+NAME" in the kernel suffix? */
static int kernel_allows(const char *suffix, const char *cipher)
{
	size_t len = strlen(cipher);

	for (const char *t = suffix; (t = strstr(t, cipher)); t += len)
		if (t > suffix && t[-1] == '+' && (t[len] == ':' || t[len] == '\0'))
			return 1;
	return 0;
}

/* ":-X:-Y..." for every cipher GnuTLS knows and the kernel does not run,
 * then the version floor.  Caller frees. */
static char *kernel_restriction(void)
{
	const char *suffix = kernel_ciphers ? kernel_ciphers : DEFAULT_KERNEL_CIPHERS;
	const gnutls_cipher_algorithm_t *cipher;
	size_t len = sizeof(OLD_VERSIONS_OFF), used = 0;
	char *out;

	for (cipher = gnutls_cipher_list(); *cipher; cipher++)
		len += strlen(gnutls_cipher_get_name(*cipher)) + 2;
	out = malloc(len);
	if (!out)
		return NULL;
	for (cipher = gnutls_cipher_list(); *cipher; cipher++) {
		const char *name = gnutls_cipher_get_name(*cipher);

		if (!kernel_allows(suffix, name))
			used += (size_t)snprintf(out + used, len - used, ":-%s", name);
	}
	snprintf(out + used, len - used, "%s", OLD_VERSIONS_OFF);
	return out;
}

/* Narrowing left nothing: say whether versions or ciphers ran out. */
static void explain_empty_priority(const struct cfg_profile *p, const char *base,
				   size_t base_len, char *reason, size_t reason_len)
{
	gnutls_priority_t versions_only;
	char *text = NULL;
	int versions_left = 0;

	if (asprintf(&text, "%.*s%s", (int)base_len, base, OLD_VERSIONS_OFF) >= 0 &&
	    gnutls_priority_init2(&versions_only, text, NULL, 0) == 0) {
		versions_left = 1;
		gnutls_priority_deinit(versions_only);
	}
	free(text);
	if (versions_left)
		reason_set(reason, reason_len,
			   "profile %s: priority \"%s\" leaves no cipher the kernel "
			   "can run (%s)", p->name, base,
			   kernel_ciphers ? kernel_ciphers : DEFAULT_KERNEL_CIPHERS);
	else
		reason_set(reason, reason_len,
			   "profile %s: priority \"%s\" leaves neither TLS 1.2 nor "
			   "TLS 1.3", p->name, base);
}

static int check_priority_usable(const struct creds *c, const struct cfg_profile *p,
				 const char *base, char *reason, size_t reason_len)
{
	const unsigned *list;

	if (gnutls_priority_cipher_list(c->priority, &list) <= 0) {
		reason_set(reason, reason_len,
			   "profile %s: priority \"%s\" leaves no cipher the kernel "
			   "can run (%s)", p->name, base,
			   kernel_ciphers ? kernel_ciphers : DEFAULT_KERNEL_CIPHERS);
		return -EINVAL;
	}
	if (gnutls_priority_protocol_list(c->priority, &list) <= 0) {
		reason_set(reason, reason_len,
			   "profile %s: priority \"%s\" leaves neither TLS 1.2 nor "
			   "TLS 1.3", p->name, base);
		return -EINVAL;
	}
	return 0;
}

/* GnuTLS 3.7's NORMAL still offers plain-RSA key exchange (no forward
 * secrecy): only a profile's own priority string may ask for it. */
#define CREDS_DEFAULT_PRIORITY "NORMAL:-RSA"

static int init_priority(gnutls_priority_t *out, const struct cfg_profile *p,
			 const char *psk_kx, char *reason, size_t reason_len)
{
	const char *base = p->priority ? p->priority : CREDS_DEFAULT_PRIORITY, *err_pos = NULL;
	size_t base_len = strlen(base);
	char *restriction = kernel_restriction(), *full = NULL;
	int rc;

	while (base_len && base[base_len - 1] == ':')
		base_len--;
	if (!restriction ||
	    asprintf(&full, "%.*s%s%s", (int)base_len, base, psk_kx, restriction) < 0) {
		free(restriction);
		reason_set(reason, reason_len, "out of memory");
		return -ENOMEM;
	}
	free(restriction);
	rc = gnutls_priority_init2(out, full, &err_pos, 0);
	if (rc < 0) {
		*out = NULL;
		if (rc == GNUTLS_E_NO_PRIORITIES_WERE_SET)
			explain_empty_priority(p, base, base_len, reason, reason_len);
		else if (err_pos && err_pos >= full && err_pos < full + base_len)
			reason_set(reason, reason_len,
				   "profile %s: priority \"%s\" is invalid at position "
				   "%td (\"%.20s\"): %s", p->name, base, err_pos - full, err_pos,
				   gnutls_strerror(rc));
		else
			reason_set(reason, reason_len,
				   "profile %s: kernel cipher restriction rejected: %s",
				   p->name, gnutls_strerror(rc));
		free(full);
		return -EINVAL;
	}
	free(full);
	return 0;
}

/* Key exchanges in which the PSK alone authenticates the peer. */
static int psk_authenticates(const char *kx)
{
	return !strcmp(kx, "PSK") || !strcmp(kx, "DHE-PSK") || !strcmp(kx, "ECDHE-PSK");
}

/* ":+ECDHE-PSK:+DHE-PSK:+PSK" unless the admin's string mentions PSK (then
 * they decide which), then, if only_psk, ":-X" for every other key exchange
 * GnuTLS knows (certificate, anonymous, SRP, RSA-PSK).  Caller frees. */
static char *psk_kx_suffix(const char *base, int only_psk)
{
	const char *add = strstr(base, "PSK") ? "" : ":+ECDHE-PSK:+DHE-PSK:+PSK";
	const gnutls_kx_algorithm_t *kx;
	size_t len = strlen(add) + 1, used;
	char *out;

	for (kx = gnutls_kx_list(); only_psk && *kx; kx++)
		len += strlen(gnutls_kx_get_name(*kx)) + 2;
	out = malloc(len);
	if (!out)
		return NULL;
	used = (size_t)snprintf(out, len, "%s", add);
	for (kx = gnutls_kx_list(); only_psk && *kx; kx++)
		if (!psk_authenticates(gnutls_kx_get_name(*kx)))
			used += (size_t)snprintf(out + used, len - used, ":-%s",
						 gnutls_kx_get_name(*kx));
	return out;
}

/*
 * Up to three priorities per profile.
 *  - priority: no PSK key exchange.  A GnuTLS client whose priority has PSK
 *    kx sends psk_key_exchange_modes even with GNUTLS_NO_TICKETS, and
 *    servers answer that with NewSessionTicket records after the handshake,
 *    which a plain read() on the kTLS socket fails on (EIO).  So sessions
 *    without PSK credentials use this one.
 *  - priority_psk: PSK key exchange only.  A session with PSK credentials
 *    (a psk_file, a request's identity, the kernel's key) must not let a
 *    peer that lacks the PSK authenticate some other way: a server that
 *    answers with any certificate is refused (TLS 1.2 by the kx list; TLS
 *    1.3 also because handshake.c sets no certificate credentials on such
 *    a session and checks the negotiated auth type afterwards).
 *  - priority_psk_fallback: PSK and the certificate key exchanges, only
 *    for a profile with psk_fallback = certificate.
 * GnuTLS's NORMAL enables no PSK key exchange: it is added unless the
 * admin's string mentions PSK.
 */
static int build_priority(struct creds *c, const struct cfg_profile *p, char *reason,
			  size_t reason_len)
{
	const char *base = p->priority ? p->priority : CREDS_DEFAULT_PRIORITY;
	char *only = psk_kx_suffix(base, 1), *fallback = psk_kx_suffix(base, 0);
	int rc = only && fallback ? 0 : -ENOMEM;

	if (rc < 0)
		reason_set(reason, reason_len, "out of memory");
	/* resumption_psk_only (server profiles only, config.c): the PSK key
	 * exchanges become acceptable for TLS 1.3 resumption, so a client
	 * that prefers psk_ke gets it; with no PSK credentials they serve
	 * nothing else.  Without it GnuTLS resumes with psk_dhe_ke only. */
	if (rc == 0)
		rc = init_priority(&c->priority, p, p->resumption_psk_only ?
				   ":+ECDHE-PSK:+DHE-PSK:+PSK" : "", reason, reason_len);
	if (rc == 0)
		rc = init_priority(&c->priority_psk, p, only, reason, reason_len);
	if (rc == 0 && p->psk_fallback == CFG_PSK_FALLBACK_CERTIFICATE)
		rc = init_priority(&c->priority_psk_fallback, p, fallback, reason, reason_len);
	free(only);
	free(fallback);
	return rc < 0 ? rc : check_priority_usable(c, p, base, reason, reason_len);
}

/* p->alpn is canonical ("h2,http/1.1", no blanks, no empty items). */
static int split_alpn(struct creds *c, const struct cfg_profile *p)
{
	const char *item = p->alpn;
	size_t len;

	if (!item || !*item)
		return 0;
	c->alpn = calloc(strlen(item) / 2 + 1, sizeof(*c->alpn));
	if (!c->alpn)
		return -ENOMEM;
	while (*item) {
		len = strcspn(item, ",");
		c->alpn[c->n_alpn].data = (unsigned char *)strndup(item, len);
		if (!c->alpn[c->n_alpn].data)
			return -ENOMEM;
		c->alpn[c->n_alpn++].size = (unsigned)len;
		item += len + (item[len] == ',');
	}
	return 0;
}

/* ---- per profile ---- */

static void creds_free(struct creds *c)
{
	if (!c)
		return;
	if (c->x509)
		gnutls_certificate_free_credentials(c->x509);
	if (c->psk_client)
		gnutls_psk_free_client_credentials(c->psk_client);
	if (c->psk_server)
		gnutls_psk_free_server_credentials(c->psk_server);
	if (c->priority)
		gnutls_priority_deinit(c->priority);
	if (c->priority_psk)
		gnutls_priority_deinit(c->priority_psk);
	if (c->priority_psk_fallback)
		gnutls_priority_deinit(c->priority_psk_fallback);
	for (unsigned i = 0; i < c->n_alpn; i++)
		free(c->alpn[i].data);
	free(c->alpn);
	for (size_t i = 0; i < c->n_psk; i++) {
		free(c->psk[i].identity);
		wipe_datum(&c->psk[i].key);
	}
	free(c->psk);
	free(c);
}

static void digest_string(gnutls_hash_hd_t h, const char *s)
{
	uint32_t len = s ? (uint32_t)strlen(s) + 1 : 0;	/* NULL and "" differ */

	gnutls_hash(h, &len, sizeof(len));
	if (s)
		gnutls_hash(h, s, len);
}

/* The profile's trust, for the client session cache (creds.h): what the
 * config says and the trust anchors' bytes (ca_file's, or the system
 * store's as GnuTLS loaded them), so that a reload after either changed
 * drops the profile's sessions. */
static void trust_digest(struct creds *c, const struct cfg_profile *p)
{
	gnutls_hash_hd_t h;
	int verify = p->verify, fallback = p->psk_fallback;

	if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0) {
		/* cannot happen short of a broken GnuTLS: a digest no
		 * config produces, so no entry made under it matches later */
		memset(c->trust_digest, 0xff, sizeof(c->trust_digest));
		return;
	}
	gnutls_hash(h, &verify, sizeof(verify));
	gnutls_hash(h, &fallback, sizeof(fallback));
	digest_string(h, p->priority);
	digest_string(h, p->ca_file);
	digest_string(h, p->cert_file);
	digest_string(h, p->key_file);
	digest_string(h, p->psk_file);
	gnutls_hash(h, c->ca_digest, sizeof(c->ca_digest));
	gnutls_hash(h, c->cert_digest, sizeof(c->cert_digest));
	gnutls_hash_deinit(h, c->trust_digest);
}

static int creds_load_profile(const struct cfg_profile *p, uint32_t index, uint32_t generation,
			      struct creds **out, char *reason, size_t reason_len)
{
	struct creds *c = calloc(1, sizeof(*c));
	int rc = 0;

	if (!c || gnutls_certificate_allocate_credentials(&c->x509) < 0) {
		free(c);
		reason_set(reason, reason_len, "out of memory");
		return -ENOMEM;
	}
	c->keyproc_generation = generation;
	rc = load_trust(c, p, index, reason, reason_len);
	if (rc == 0 && p->cert_file && p->key_file)
		rc = load_key_pair(c, p, index, reason, reason_len);
	if (rc == 0 && p->psk_file)
		rc = creds_load_psk(c, p, index, reason, reason_len);
	if (rc == 0)
		rc = build_priority(c, p, reason, reason_len);
	if (rc == 0 && split_alpn(c, p) < 0) {
		reason_set(reason, reason_len, "out of memory");
		rc = -ENOMEM;
	}
	if (rc < 0) {
		creds_free(c);
		return rc;
	}
	trust_digest(c, p);
	*out = c;
	return 0;
}

/* One key generation per load: a reload's keys never replace the ones that
 * handshakes in flight still sign with. */
int creds_load_all(struct cfg *cfg, bool key_process, char *reason, size_t reason_len)
{
	uint32_t generation = 0;
	int rc;

	if (key_process) {
		rc = keyproc_load_generation(&generation, reason, reason_len);
		if (rc < 0)
			return rc;
	}

	for (size_t i = 0; i < cfg->n_profiles; i++) {
		rc = creds_load_profile(&cfg->profiles[i], (uint32_t)i, generation,
					&cfg->profiles[i].creds, reason, reason_len);
		if (rc < 0) {
			creds_free_all(cfg);
			if (generation)	/* the failing profile's key, if it loaded */
				keyproc_drop(generation);
			return rc;
		}
	}
	/* Last: installing the ticket key cannot be undone (and need not be:
	 * a config that gets this far is the one that will serve). */
	rc = ticket_key_load(cfg, generation, reason, reason_len);
	if (rc < 0) {
		creds_free_all(cfg);
		return rc;
	}
	return 0;
}

void creds_free_all(struct cfg *cfg)
{
	uint32_t generation = 0;

	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->n_profiles; i++) {
		if (cfg->profiles[i].creds && cfg->profiles[i].creds->keyproc_generation)
			generation = cfg->profiles[i].creds->keyproc_generation;
		creds_free(cfg->profiles[i].creds);
		cfg->profiles[i].creds = NULL;
	}
	if (generation)
		keyproc_drop(generation);
}

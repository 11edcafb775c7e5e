// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * GnuTLS credentials per profile, built once per config.
 *
 * Secrets (private keys, PSK files) are opened only after the file has
 * shown that nobody but us (or root) can read or replace it, and are read
 * from the very descriptor that was checked.  Their bytes live in memory
 * only as long as GnuTLS needs to parse them: PEM buffers are wiped right
 * after, PSK keys when the credentials are freed.
 *
 * Priorities: the profile's string is narrowed to what kTLS can carry, never
 * widened.  The kernel probe names the ciphers it supports; every other
 * cipher GnuTLS knows is removed ("-NAME") after the profile's own string,
 * and so are versions older than TLS 1.2.  Appending "+CIPHER" instead would
 * quietly re-enable a cipher the administrator had removed.
 */
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "creds.h"
#include "log.h"

#define SECRET_FILE_MAX (1u << 20)	/* a key or PSK file larger is not one */
#define PSK_KEY_MIN 16
#define PSK_KEY_MAX 64
#define PSK_IDENTITY_MAX 128

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

static void set_error(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static void wipe_datum(gnutls_datum_t *d)
{
	if (d->data) {
		gnutls_memset(d->data, 0, d->size);
		free(d->data);
	}
	d->data = NULL;
	d->size = 0;
}

/* ---- secret files ---- */

static int check_secret_stat(const char *kind, const char *path, const struct stat *st,
			     char *err, size_t errlen)
{
	unsigned mode = st->st_mode & 07777;

	if (!S_ISREG(st->st_mode)) {
		set_error(err, errlen, "%s %s is not a regular file", kind, path);
		return -EPERM;
	}
	if (st->st_uid != geteuid() && st->st_uid != 0) {
		set_error(err, errlen, "%s %s is owned by uid %u, not by ktlsd's user (uid %u) "
			  "or root; chown it", kind, path, (unsigned)st->st_uid,
			  (unsigned)geteuid());
		return -EPERM;
	}
	if (mode & 077) {
		set_error(err, errlen, "%s %s is %s by group/others (mode %04o); chmod 600 it",
			  kind, path, mode & 044 ? "readable" : "accessible", mode);
		return -EPERM;
	}
	return 0;
}

/* lstat first for a clear message about links; O_NOFOLLOW and fstat on
 * the descriptor then make sure that what we read is what we checked. */
static int open_secret_file(const char *kind, const char *path, char *err, size_t errlen)
{
	struct stat link_st, st;
	int fd, rc;

	if (lstat(path, &link_st) < 0) {
		rc = -errno;
		set_error(err, errlen, "%s %s: %s", kind, path, strerror(-rc));
		return rc;
	}
	if (S_ISLNK(link_st.st_mode)) {
		set_error(err, errlen, "%s %s is a symbolic link; name the file itself", kind, path);
		return -EPERM;
	}
	/* O_NONBLOCK: a FIFO swapped in after lstat must not block us. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		rc = errno == ELOOP ? -EPERM : -errno;
		set_error(err, errlen, "%s %s: %s", kind, path,
			  errno == ELOOP ? "became a symbolic link while being opened" :
			  strerror(errno));
		return rc;
	}
	rc = fstat(fd, &st) < 0 ? -errno : 0;
	if (rc < 0)
		set_error(err, errlen, "%s %s: %s", kind, path, strerror(-rc));
	else
		rc = check_secret_stat(kind, path, &st, err, errlen);
	if (rc == 0 && (st.st_dev != link_st.st_dev || st.st_ino != link_st.st_ino)) {
		set_error(err, errlen, "%s %s was replaced while being opened", kind, path);
		rc = -EPERM;
	}
	if (rc < 0) {
		close(fd);
		return rc;
	}
	return fd;
}

int creds_check_secret_file(const char *path, char *err, size_t errlen)
{
	int fd = open_secret_file("key file", path, err, errlen);

	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

/* Reads all of fd into out (NUL-terminated, size without the NUL).  The
 * buffer is sized once, so no partial copy of a secret is left behind by a
 * realloc. */
static int read_fd(int fd, const char *path, gnutls_datum_t *out, char *err, size_t errlen)
{
	struct stat st;
	size_t cap, total = 0;
	ssize_t n;
	unsigned char *buf;

	if (fstat(fd, &st) < 0) {
		set_error(err, errlen, "%s: %s", path, strerror(errno));
		return -EIO;
	}
	if (st.st_size > SECRET_FILE_MAX) {
		set_error(err, errlen, "%s is larger than 1 MiB", path);
		return -EFBIG;
	}
	cap = (size_t)st.st_size + 1;
	buf = malloc(cap);
	if (!buf) {
		set_error(err, errlen, "out of memory");
		return -ENOMEM;
	}
	while (total < cap && (n = read(fd, buf + total, cap - total)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			set_error(err, errlen, "%s: %s", path, strerror(errno));
			out->data = buf;
			out->size = (unsigned)cap;
			wipe_datum(out);
			return -EIO;
		}
		total += (size_t)n;
	}
	if (total == cap) {	/* grew since fstat: not a file we trust */
		set_error(err, errlen, "%s changed while being read", path);
		out->data = buf;
		out->size = (unsigned)cap;
		wipe_datum(out);
		return -EIO;
	}
	buf[total] = '\0';
	out->data = buf;
	out->size = (unsigned)total;
	return 0;
}

static int read_public_file(const char *kind, const char *path, gnutls_datum_t *out,
			    char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY), rc;

	if (fd < 0) {
		rc = -errno;
		set_error(err, errlen, "%s %s: %s", kind, path, strerror(-rc));
		return rc;
	}
	rc = read_fd(fd, path, out, err, errlen);
	close(fd);
	return rc;
}

static int read_secret_file(const char *kind, const char *path, gnutls_datum_t *out,
			    char *err, size_t errlen)
{
	int fd = open_secret_file(kind, path, err, errlen), rc;

	if (fd < 0)
		return fd;
	rc = read_fd(fd, path, out, err, errlen);
	close(fd);
	return rc;
}

/* ---- PSK files: "identity:hexkey" per line ---- */

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static const struct psk_entry *find_psk(const struct creds *c, const void *id, size_t len)
{
	for (size_t i = 0; c && i < c->n_psk; i++)
		if (strlen(c->psk[i].identity) == len && memcmp(c->psk[i].identity, id, len) == 0)
			return &c->psk[i];
	return NULL;
}

const struct psk_entry *creds_find_psk(const struct creds *c, const char *identity)
{
	return identity ? find_psk(c, identity, strlen(identity)) : NULL;
}

/* Never quotes the key in a message. */
static const char *check_psk_line(const char *identity, size_t id_len, const char *hex,
				  size_t hex_len)
{
	if (id_len == 0)
		return "empty identity: write identity:hexkey";
	if (id_len > PSK_IDENTITY_MAX)
		return "identity longer than 128 bytes";
	for (size_t i = 0; i < id_len; i++)
		if ((unsigned char)identity[i] <= ' ' || identity[i] == 0x7f)
			return "identity has a blank or control character";
	for (size_t i = 0; i < hex_len; i++)
		if (hex_value(hex[i]) < 0)
			return "key is not hexadecimal";
	if (hex_len % 2)
		return "key has an odd number of hex digits";
	if (hex_len / 2 < PSK_KEY_MIN || hex_len / 2 > PSK_KEY_MAX)
		return "key must be 16 to 64 bytes (32 to 128 hex digits)";
	return NULL;
}

static int add_psk(struct creds *c, const char *identity, size_t id_len, const char *hex,
		   size_t hex_len)
{
	struct psk_entry *grown, *e;

	grown = reallocarray(c->psk, c->n_psk + 1, sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	c->psk = grown;
	e = &c->psk[c->n_psk];
	e->identity = strndup(identity, id_len);
	e->key.size = (unsigned)(hex_len / 2);
	e->key.data = malloc(e->key.size);
	if (!e->identity || !e->key.data) {
		free(e->identity);
		free(e->key.data);
		return -ENOMEM;
	}
	for (size_t i = 0; i < e->key.size; i++)
		e->key.data[i] = (unsigned char)(hex_value(hex[2 * i]) << 4 |
						 hex_value(hex[2 * i + 1]));
	c->n_psk++;
	return 0;
}

/* One line (no newline); blank lines and # comments are skipped. */
static int parse_psk_line(struct creds *c, const char *path, unsigned lineno, char *line,
			  char *err, size_t errlen)
{
	char *end = line + strlen(line), *colon;
	const char *problem, *hex;
	size_t id_len;

	while (end > line && (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	line += strspn(line, " \t");
	if (!*line || *line == '#')
		return 0;
	colon = strchr(line, ':');
	if (!colon) {
		set_error(err, errlen, "%s:%u: expected identity:hexkey", path, lineno);
		return -EINVAL;
	}
	id_len = (size_t)(colon - line);
	while (id_len && (line[id_len - 1] == ' ' || line[id_len - 1] == '\t'))
		id_len--;
	hex = colon + 1 + strspn(colon + 1, " \t");
	problem = check_psk_line(line, id_len, hex, strlen(hex));
	if (!problem && find_psk(c, line, id_len))
		problem = "duplicate identity";
	if (problem) {
		set_error(err, errlen, "%s:%u: %s", path, lineno, problem);
		return -EINVAL;
	}
	if (add_psk(c, line, id_len, hex, strlen(hex)) < 0) {
		set_error(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

static int parse_psk_text(struct creds *c, const char *path, char *text, char *err,
			  size_t errlen)
{
	unsigned lineno = 1;
	char *line = text, *nl;
	int rc = 0;

	for (; rc == 0 && line; lineno++, line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		rc = parse_psk_line(c, path, lineno, line, err, errlen);
	}
	if (rc == 0 && c->n_psk == 0) {
		set_error(err, errlen, "%s: no PSK entries (write identity:hexkey lines)", path);
		rc = -EINVAL;
	}
	return rc;
}

/* GnuTLS's PSK server callback: the session's pointer (gnutls_session_set_ptr)
 * is the struct creds of the profile in use. */
int creds_psk_server_lookup(gnutls_session_t session, const gnutls_datum_t *username,
			    gnutls_datum_t *key)
{
	const struct creds *c = gnutls_session_get_ptr(session);
	const struct psk_entry *e = find_psk(c, username->data, username->size);

	if (!e)
		return -1;
	key->data = gnutls_malloc(e->key.size);
	if (!key->data)
		return -1;
	memcpy(key->data, e->key.data, e->key.size);
	key->size = e->key.size;
	return 0;
}

static int load_psk(struct creds *c, const struct cfg_profile *p, char *err, size_t errlen)
{
	gnutls_datum_t text = { NULL, 0 };
	char why[256];
	int rc = read_secret_file("psk file", p->psk_file, &text, why, sizeof(why));

	if (rc < 0) {
		set_error(err, errlen, "profile %s: %s", p->name, why);
		return rc;
	}
	rc = parse_psk_text(c, p->psk_file, (char *)text.data, err, errlen);
	wipe_datum(&text);
	if (rc < 0)
		return rc;
	if (gnutls_psk_allocate_server_credentials(&c->psk_server) < 0)
		goto nomem;
	gnutls_psk_set_server_credentials_function2(c->psk_server, creds_psk_server_lookup);
	if (!(p->roles & CFG_ROLE_CLIENT))
		return 0;
	/* The first identity is a client's default; requests may name another. */
	if (gnutls_psk_allocate_client_credentials(&c->psk_client) < 0 ||
	    gnutls_psk_set_client_credentials(c->psk_client, c->psk[0].identity,
					      &c->psk[0].key, GNUTLS_PSK_KEY_RAW) < 0)
		goto nomem;
	return 0;
nomem:
	set_error(err, errlen, "profile %s: cannot set up PSK credentials", p->name);
	return -ENOMEM;
}

/* ---- certificates and trust ---- */

static int load_key_pair(struct creds *c, const struct cfg_profile *p, char *err,
			 size_t errlen)
{
	gnutls_datum_t cert = { NULL, 0 }, key = { NULL, 0 };
	char why[256];
	int rc;

	rc = read_public_file("certificate", p->cert_file, &cert, why, sizeof(why));
	if (rc == 0)
		rc = read_secret_file("key file", p->key_file, &key, why, sizeof(why));
	if (rc < 0) {
		set_error(err, errlen, "profile %s: %s", p->name, why);
		wipe_datum(&cert);
		return rc;
	}
	rc = gnutls_certificate_set_x509_key_mem2(c->x509, &cert, &key, GNUTLS_X509_FMT_PEM,
						  NULL, 0);
	wipe_datum(&key);
	wipe_datum(&cert);
	if (rc < 0) {
		set_error(err, errlen, "profile %s: certificate %s with key %s: %s", p->name,
			  p->cert_file, p->key_file, gnutls_strerror(rc));
		return -EINVAL;
	}
	return 0;
}

/* A profile that may verify its peer needs trust anchors, and an empty
 * store is an error, never a quiet "verify against nothing". */
static int load_trust(struct creds *c, const struct cfg_profile *p, char *err, size_t errlen)
{
	struct stat st;
	int n;

	if (!p->ca_file && p->verify == KTLS_VERIFY_NONE)
		return 0;
	if (!p->ca_file) {
		n = gnutls_certificate_set_x509_system_trust(c->x509);
		if (n > 0)
			return 0;
		set_error(err, errlen, "profile %s: system trust store is empty%s%s: install "
			  "ca-certificates or set ca_file", p->name, n < 0 ? ": " : "",
			  n < 0 ? gnutls_strerror(n) : "");
		return -ENOENT;
	}
	if (stat(p->ca_file, &st) < 0) {
		n = -errno;
		set_error(err, errlen, "profile %s: ca_file %s: %s", p->name, p->ca_file,
			  strerror(-n));
		return n;
	}
	n = gnutls_certificate_set_x509_trust_file(c->x509, p->ca_file, GNUTLS_X509_FMT_PEM);
	if (n > 0)
		return 0;
	set_error(err, errlen, "profile %s: ca_file %s %s", p->name, p->ca_file,
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
				   size_t base_len, char *err, size_t errlen)
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
		set_error(err, errlen, "profile %s: priority \"%s\" leaves no cipher the kernel "
			  "can run (%s)", p->name, base,
			  kernel_ciphers ? kernel_ciphers : DEFAULT_KERNEL_CIPHERS);
	else
		set_error(err, errlen, "profile %s: priority \"%s\" leaves neither TLS 1.2 nor "
			  "TLS 1.3", p->name, base);
}

static int check_priority_usable(const struct creds *c, const struct cfg_profile *p,
				 const char *base, char *err, size_t errlen)
{
	const unsigned *list;

	if (gnutls_priority_cipher_list(c->priority, &list) <= 0) {
		set_error(err, errlen, "profile %s: priority \"%s\" leaves no cipher the kernel "
			  "can run (%s)", p->name, base,
			  kernel_ciphers ? kernel_ciphers : DEFAULT_KERNEL_CIPHERS);
		return -EINVAL;
	}
	if (gnutls_priority_protocol_list(c->priority, &list) <= 0) {
		set_error(err, errlen, "profile %s: priority \"%s\" leaves neither TLS 1.2 nor "
			  "TLS 1.3", p->name, base);
		return -EINVAL;
	}
	return 0;
}

static int build_priority(struct creds *c, const struct cfg_profile *p, char *err,
			  size_t errlen)
{
	const char *base = p->priority ? p->priority : "NORMAL", *err_pos = NULL;
	size_t base_len = strlen(base);
	char *restriction = kernel_restriction(), *full = NULL;
	int rc;

	while (base_len && base[base_len - 1] == ':')
		base_len--;
	/* GnuTLS's NORMAL enables no PSK key exchange, so TLS 1.3 PSK (from a
	 * psk_file or a kernel request's key) would never negotiate.  Add it
	 * unless the admin's string mentions PSK at all: then they decide.
	 * Without PSK credentials on a session GnuTLS offers none of it. */
	const char *psk_kx = strstr(base, "PSK") ? "" : ":+ECDHE-PSK:+DHE-PSK:+PSK";

	if (!restriction ||
	    asprintf(&full, "%.*s%s%s", (int)base_len, base, psk_kx, restriction) < 0) {
		free(restriction);
		set_error(err, errlen, "out of memory");
		return -ENOMEM;
	}
	free(restriction);
	rc = gnutls_priority_init2(&c->priority, full, &err_pos, 0);
	if (rc < 0) {
		c->priority = NULL;
		if (rc == GNUTLS_E_NO_PRIORITIES_WERE_SET)
			explain_empty_priority(p, base, base_len, err, errlen);
		else if (err_pos && err_pos >= full && err_pos < full + base_len)
			set_error(err, errlen, "profile %s: priority \"%s\" is invalid at position "
				  "%td (\"%.20s\"): %s", p->name, base, err_pos - full, err_pos,
				  gnutls_strerror(rc));
		else
			set_error(err, errlen, "profile %s: kernel cipher restriction rejected: %s",
				  p->name, gnutls_strerror(rc));
		free(full);
		return -EINVAL;
	}
	free(full);
	return check_priority_usable(c, p, base, err, errlen);
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

static int creds_load_profile(const struct cfg_profile *p, struct creds **out, char *err,
			      size_t errlen)
{
	struct creds *c = calloc(1, sizeof(*c));
	int rc = 0;

	if (!c || gnutls_certificate_allocate_credentials(&c->x509) < 0) {
		free(c);
		set_error(err, errlen, "out of memory");
		return -ENOMEM;
	}
	rc = load_trust(c, p, err, errlen);
	if (rc == 0 && p->cert_file && p->key_file)
		rc = load_key_pair(c, p, err, errlen);
	if (rc == 0 && p->psk_file)
		rc = load_psk(c, p, err, errlen);
	if (rc == 0)
		rc = build_priority(c, p, err, errlen);
	if (rc == 0 && split_alpn(c, p) < 0) {
		set_error(err, errlen, "out of memory");
		rc = -ENOMEM;
	}
	if (rc < 0) {
		creds_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

int creds_load_all(struct cfg *cfg, char *err, size_t errlen)
{
	int rc;

	for (size_t i = 0; i < cfg->n_profiles; i++) {
		rc = creds_load_profile(&cfg->profiles[i], &cfg->profiles[i].creds, err, errlen);
		if (rc < 0) {
			creds_free_all(cfg);
			return rc;
		}
	}
	return 0;
}

void creds_free_all(struct cfg *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->n_profiles; i++) {
		creds_free(cfg->profiles[i].creds);
		cfg->profiles[i].creds = NULL;
	}
}

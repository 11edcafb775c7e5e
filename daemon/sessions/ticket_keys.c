// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Session ticket keys: the master (random or from ticket_key_file), the
 * per-use keys derived from it, and the key file's format.  See
 * ticket_keys.h for the derivation and why.
 */
#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/hex.h"
#include "base/reason.h"
#include "sessions/ticket_keys.h"

#define TICKET_KEY_SALT "ktlsd ticket key v1"

static pthread_mutex_t master_lock = PTHREAD_MUTEX_INITIALIZER;
static uint8_t master[TICKET_KEY_SIZE];
static uint8_t random_master[TICKET_KEY_SIZE];
static int have_master, have_random, master_from_file;

/* One line, without its newline: blank or comment (1), the key (0, out
 * filled), or not a key line (-EINVAL). */
static int parse_line(const char *s, size_t n, uint8_t out[TICKET_KEY_SIZE])
{
	size_t i = 0, end = n, k;

	while (i < end && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
		i++;
	while (end > i && (s[end - 1] == ' ' || s[end - 1] == '\t' || s[end - 1] == '\r'))
		end--;
	if (i == end || s[i] == '#')
		return 1;
	if (end - i != 2 * TICKET_KEY_SIZE)
		return -EINVAL;
	for (k = 0; k < TICKET_KEY_SIZE; k++) {
		int hi = hex_digit_value(s[i + 2 * k]), lo = hex_digit_value(s[i + 2 * k + 1]);

		if (hi < 0 || lo < 0) {
			explicit_bzero(out, TICKET_KEY_SIZE);
			return -EINVAL;
		}
		out[k] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int ticket_key_parse(const char *text, size_t len, uint8_t out[TICKET_KEY_SIZE], char *reason,
		     size_t reason_len)
{
	uint8_t key[TICKET_KEY_SIZE];
	size_t pos = 0, lineno = 0;
	int found = 0, rc;

	if (!text || len > TICKET_KEY_FILE_MAX) {
		reason_set(reason, reason_len, "ticket key file is larger than a key file can be");
		return -EINVAL;
	}
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;

		lineno++;
		if (memchr(text + pos, '\0', n)) {
			reason_set(reason, reason_len,
				   "ticket key file holds a NUL byte: not a key file");
			rc = -EINVAL;
			goto out;
		}
		rc = parse_line(text + pos, n, key);
		if (rc < 0) {
			reason_set(reason, reason_len,
				   "ticket key file, line %zu: expected one line of %d hex digits "
				   "(make one with ktlsd --generate-ticket-key FILE)", lineno,
				   2 * TICKET_KEY_SIZE);
			goto out;
		}
		if (rc == 0) {
			if (found) {
				reason_set(reason, reason_len,
					   "ticket key file holds more than one key");
				rc = -EINVAL;
				goto out;
			}
			memcpy(out, key, TICKET_KEY_SIZE);
			found = 1;
		}
		pos += n + (nl ? 1 : 0);
	}
	rc = 0;
	if (!found) {
		reason_set(reason, reason_len, "ticket key file holds no key (make one with ktlsd "
			"--generate-ticket-key FILE)");
		rc = -EINVAL;
	}
out:
	explicit_bzero(key, sizeof(key));
	if (rc < 0)
		explicit_bzero(out, TICKET_KEY_SIZE);
	return rc;
}

int ticket_key_generate_file(const char *path, char *reason, size_t reason_len)
{
	static const char head[] = "# ktlsd session ticket key (ktlsd --generate-ticket-key).\n"
				   "# Secret: mode 0600, owned by ktlsd's user or root.  Every "
				   "host given this\n# file resumes the others' tickets.\n";
	uint8_t key[TICKET_KEY_SIZE];
	char text[sizeof(head) + 2 * TICKET_KEY_SIZE + 2];
	size_t len, off = 0;
	int fd, rc = 0;

	if (gnutls_rnd(GNUTLS_RND_KEY, key, sizeof(key)) < 0) {
		reason_set(reason, reason_len, "no random bytes from GnuTLS");
		return -EIO;
	}
	memcpy(text, head, sizeof(head) - 1);
	len = sizeof(head) - 1;
	for (size_t i = 0; i < sizeof(key); i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%02x", key[i]);
	text[len++] = '\n';
	explicit_bzero(key, sizeof(key));
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		rc = -errno;
		reason_set(reason, reason_len, "%s: %s%s", path, strerror(-rc),
			   rc == -EEXIST ? " (not overwritten: remove it first)" : "");
		goto out;
	}
	/* The umask may have taken bits away, never added any: 0600 exactly. */
	if (fchmod(fd, 0600) < 0)
		rc = -errno;
	while (rc == 0 && off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			rc = n < 0 ? -errno : -EIO;
		else
			off += (size_t)n;
	}
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc < 0) {
		reason_set(reason, reason_len, "%s: %s", path, strerror(-rc));
		(void)unlink(path);
	}
out:
	explicit_bzero(text, sizeof(text));
	return rc;
}

int ticket_key_derive_from(const uint8_t mkey[TICKET_KEY_SIZE], const void *info,
			   size_t info_len, uint8_t *out, size_t out_len)
{
	/* GnuTLS's datums are not const: work on copies. */
	uint8_t prk[32], ikm_buf[TICKET_KEY_SIZE], info_buf[1024];
	gnutls_datum_t ikm = { ikm_buf, TICKET_KEY_SIZE };
	gnutls_datum_t salt = { (unsigned char *)TICKET_KEY_SALT, sizeof(TICKET_KEY_SALT) - 1 };
	gnutls_datum_t k = { prk, sizeof(prk) };
	gnutls_datum_t inf = { info_buf, (unsigned)info_len };
	int rc;

	if (!out_len || out_len > 255 * 32 || info_len > sizeof(info_buf))
		return -EINVAL;
	memcpy(ikm_buf, mkey, TICKET_KEY_SIZE);
	memcpy(info_buf, info, info_len);
	rc = gnutls_hkdf_extract(GNUTLS_MAC_SHA256, &ikm, &salt, prk);
	if (rc == 0)
		rc = gnutls_hkdf_expand(GNUTLS_MAC_SHA256, &k, &inf, out, out_len);
	explicit_bzero(prk, sizeof(prk));
	explicit_bzero(ikm_buf, sizeof(ikm_buf));
	explicit_bzero(info_buf, info_len);
	if (rc < 0) {
		explicit_bzero(out, out_len);
		return -EIO;
	}
	return 0;
}

/* Under master_lock. */
static int ensure_master(void)
{
	if (have_master)
		return 0;
	if (!have_random) {
		if (gnutls_rnd(GNUTLS_RND_KEY, random_master, sizeof(random_master)) < 0)
			return -EIO;
		have_random = 1;
	}
	memcpy(master, random_master, sizeof(master));
	have_master = 1;
	master_from_file = 0;
	return 0;
}

int ticket_keys_install(const uint8_t *file_master)
{
	int rc = 0;

	pthread_mutex_lock(&master_lock);
	if (file_master) {
		memcpy(master, file_master, TICKET_KEY_SIZE);
		have_master = 1;
		master_from_file = 1;
	} else {
		have_master = 0;	/* back to the process's random key */
		rc = ensure_master();
	}
	pthread_mutex_unlock(&master_lock);
	return rc;
}

int ticket_keys_derive(const char *label, uint8_t *out, size_t out_len)
{
	int rc;

	pthread_mutex_lock(&master_lock);
	rc = ensure_master();
	if (rc == 0)
		rc = ticket_key_derive_from(master, label, strlen(label), out, out_len);
	pthread_mutex_unlock(&master_lock);
	return rc;
}

int ticket_keys_for_profile(const char *tag, size_t tag_len, uint8_t out[TICKET_KEY_SIZE])
{
	char info[1024];
	int rc;

	if (tag_len > sizeof(info) - 8)
		return -ENAMETOOLONG;
	memcpy(info, "profile:", 8);
	memcpy(info + 8, tag, tag_len);
	pthread_mutex_lock(&master_lock);
	rc = ensure_master();
	if (rc == 0)
		rc = ticket_key_derive_from(master, info, 8 + tag_len, out, TICKET_KEY_SIZE);
	pthread_mutex_unlock(&master_lock);
	return rc;
}

int ticket_keys_from_file(void)
{
	int r;

	pthread_mutex_lock(&master_lock);
	r = have_master && master_from_file;
	pthread_mutex_unlock(&master_lock);
	return r;
}

void ticket_keys_wipe(void)
{
	pthread_mutex_lock(&master_lock);
	explicit_bzero(master, sizeof(master));
	explicit_bzero(random_master, sizeof(random_master));
	have_master = have_random = master_from_file = 0;
	pthread_mutex_unlock(&master_lock);
}

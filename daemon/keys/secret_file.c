// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Reading the files that credentials come from, for creds.c and creds_psk.c:
 * certificates plainly, private keys and PSK files as secrets.
 *
 * Secrets (private keys, PSK files) are opened only after the file has
 * shown that nobody but us (or root) can read or replace it, and are read
 * from the very descriptor that was checked.  Their bytes live in memory
 * only as long as GnuTLS needs to parse them: PEM buffers are wiped right
 * after, PSK keys when the credentials are freed.
 */
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/reason.h"
#include "base/wipe.h"
#include "keys/secret_file.h"

#define SECRET_FILE_MAX (1u << 20)	/* a key or PSK file larger is not one */
#define PUBLIC_FILE_MAX (4u << 20)	/* CA bundles are ~200 KiB */

/* ---- secret files ---- */

static int check_secret_stat(const char *kind, const char *path, const struct stat *st,
			     char *reason, size_t reason_len)
{
	unsigned mode = st->st_mode & 07777;

	if (!S_ISREG(st->st_mode)) {
		reason_set(reason, reason_len, "%s %s is not a regular file", kind, path);
		return -EPERM;
	}
	if (st->st_uid != geteuid() && st->st_uid != 0) {
		reason_set(reason, reason_len,
			   "%s %s is owned by uid %u, not by ktlsd's user (uid %u) "
			   "or root; chown it", kind, path, (unsigned)st->st_uid,
			   (unsigned)geteuid());
		return -EPERM;
	}
	if (mode & 077) {
		reason_set(reason, reason_len,
			   "%s %s is %s by group/others (mode %04o); chmod 600 it",
			   kind, path, mode & 044 ? "readable" : "accessible", mode);
		return -EPERM;
	}
	return 0;
}

/* lstat first for a clear message about links; O_NOFOLLOW and fstat on
 * the descriptor then make sure that what we read is what we checked. */
static int open_secret_file(const char *kind, const char *path, char *reason, size_t reason_len)
{
	struct stat link_st, st;
	int fd, rc;

	if (lstat(path, &link_st) < 0) {
		rc = -errno;
		reason_set(reason, reason_len, "%s %s: %s", kind, path, strerror(-rc));
		return rc;
	}
	if (S_ISLNK(link_st.st_mode)) {
		reason_set(reason, reason_len, "%s %s is a symbolic link; name the file itself",
			   kind, path);
		return -EPERM;
	}
	/* O_NONBLOCK: a FIFO swapped in after lstat must not block us. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		rc = errno == ELOOP ? -EPERM : -errno;
		reason_set(reason, reason_len, "%s %s: %s", kind, path,
			   errno == ELOOP ? "became a symbolic link while being opened" :
			   strerror(errno));
		return rc;
	}
	rc = fstat(fd, &st) < 0 ? -errno : 0;
	if (rc < 0)
		reason_set(reason, reason_len, "%s %s: %s", kind, path, strerror(-rc));
	else
		rc = check_secret_stat(kind, path, &st, reason, reason_len);
	if (rc == 0 && (st.st_dev != link_st.st_dev || st.st_ino != link_st.st_ino)) {
		reason_set(reason, reason_len, "%s %s was replaced while being opened", kind, path);
		rc = -EPERM;
	}
	if (rc < 0) {
		close(fd);
		return rc;
	}
	return fd;
}

int open_secret_fd(const char *kind, const char *path, char *reason, size_t reason_len)
{
	return open_secret_file(kind, path, reason, reason_len);
}

/* Public files for the key process to pass on: a regular file, opened
 * without blocking (a FIFO swapped in must not stall the key process). */
int open_public_fd(const char *kind, const char *path, char *reason, size_t reason_len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK), rc;

	if (fd < 0) {
		rc = -errno;
		reason_set(reason, reason_len, "%s %s: %s", kind, path, strerror(-rc));
		return rc;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		reason_set(reason, reason_len, "%s %s is not a regular file", kind, path);
		close(fd);
		return -EINVAL;
	}
	return fd;
}

int creds_check_secret_file(const char *path, char *reason, size_t reason_len)
{
	int fd = open_secret_file("key file", path, reason, reason_len);

	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

/* Reads all of fd into out (NUL-terminated, size without the NUL).  The
 * buffer is sized once, so no partial copy of a secret is left behind by a
 * realloc. */
static int read_fd(int fd, const char *path, size_t max, gnutls_datum_t *out, char *reason,
		   size_t reason_len)
{
	struct stat st;
	size_t cap, total = 0;
	ssize_t n;
	unsigned char *buf;

	if (fstat(fd, &st) < 0) {
		reason_set(reason, reason_len, "%s: %s", path, strerror(errno));
		return -EIO;
	}
	if (st.st_size < 0 || (size_t)st.st_size > max) {
		reason_set(reason, reason_len, "%s is larger than %zu KiB", path, max >> 10);
		return -EFBIG;
	}
	cap = (size_t)st.st_size + 1;
	buf = malloc(cap);
	if (!buf) {
		reason_set(reason, reason_len, "out of memory");
		return -ENOMEM;
	}
	while (total < cap && (n = read(fd, buf + total, cap - total)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			reason_set(reason, reason_len, "%s: %s", path, strerror(errno));
			out->data = buf;
			out->size = (unsigned)cap;
			wipe_datum(out);
			return -EIO;
		}
		total += (size_t)n;
	}
	if (total == cap) {	/* grew since fstat: not a file we trust */
		reason_set(reason, reason_len, "%s changed while being read", path);
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

int read_public_file(const char *kind, const char *path, gnutls_datum_t *out,
		     char *reason, size_t reason_len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY), rc;

	if (fd < 0) {
		rc = -errno;
		reason_set(reason, reason_len, "%s %s: %s", kind, path, strerror(-rc));
		return rc;
	}
	rc = read_fd(fd, path, PUBLIC_FILE_MAX, out, reason, reason_len);
	close(fd);
	return rc;
}

int read_file_fd(int fd, const char *path, gnutls_datum_t *out, char *reason, size_t reason_len)
{
	return read_fd(fd, path, PUBLIC_FILE_MAX, out, reason, reason_len);
}

int read_secret_file(const char *kind, const char *path, gnutls_datum_t *out,
		     char *reason, size_t reason_len)
{
	int fd = open_secret_file(kind, path, reason, reason_len), rc;

	if (fd < 0)
		return fd;
	rc = read_fd(fd, path, SECRET_FILE_MAX, out, reason, reason_len);
	close(fd);
	return rc;
}

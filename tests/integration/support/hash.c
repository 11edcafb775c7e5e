// SPDX-License-Identifier: LGPL-2.1-or-later
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <unistd.h>

#include "hash.h"

#define READ_CHUNK (64 * 1024)

int file_sha256(const char *path, uint8_t digest[SHA256_LEN], size_t *len)
{
	uint8_t buf[READ_CHUNK];
	gnutls_hash_hd_t hash;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	*len = 0;
	if (fd < 0)
		return -1;
	if (gnutls_hash_init(&hash, GNUTLS_DIG_SHA256) < 0) {
		close(fd);
		return -1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		gnutls_hash(hash, buf, (size_t)n);
		*len += (size_t)n;
	}
	gnutls_hash_deinit(hash, digest);
	close(fd);
	return n < 0 ? -1 : 0;
}

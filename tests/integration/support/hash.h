/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* SHA-256 (GnuTLS) of what a test sent or received, to compare the two. */
#ifndef INTEG_HASH_H
#define INTEG_HASH_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32

/* The file's digest and size; -1 with errno if it cannot be read. */
int file_sha256(const char *path, uint8_t digest[SHA256_LEN], size_t *len);

#endif /* INTEG_HASH_H */

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What every harness shares: CHECK() aborts with the failed condition, so
 * libFuzzer keeps the input that broke a property (not only a crash), and
 * the entry point's prototype (-Wmissing-prototypes).
 */
#ifndef KTLS_FUZZ_CHECK_H
#define KTLS_FUZZ_CHECK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                           \
	do {                                                                  \
		if (!(cond)) {                                                \
			fprintf(stderr, "%s:%d: check failed: %s\n",          \
				__FILE__, __LINE__, #cond);                   \
			abort();                                              \
		}                                                             \
	} while (0)

#endif

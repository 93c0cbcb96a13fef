/* SPDX-License-Identifier: BSD-2-Clause */
/* SHA-256 (FIPS 180-4), for checking transfers end to end. */
#ifndef GNTRING_TEST_SHA256_H
#define GNTRING_TEST_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t h[8];
	uint64_t length;
	uint8_t block[64];
	size_t fill;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t n);
/* Writes 64 hex digits and a NUL into hex. */
void sha256_final_hex(struct sha256 *s, char hex[65]);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Shared by every fuzz target: the libFuzzer entry point, an input cursor
 * that reads zeros once the input is exhausted, and a check that aborts
 * (libFuzzer and the replay driver both report an abort with the input).
 */
#ifndef GNTDEV_FUZZ_H
#define GNTDEV_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz {
	const uint8_t *p;
	size_t n;
};

static inline int
fz_left(const struct fz *f)
{
	return f->n != 0;
}

static inline uint8_t
fz_u8(struct fz *f)
{
	uint8_t v = 0;

	if (f->n != 0) {
		v = *f->p++;
		f->n--;
	}
	return v;
}

/* n bytes, as n calls of fz_u8 would give them (zeros past the end). */
static inline void
fz_bytes(struct fz *f, uint8_t *dst, size_t n)
{
	size_t take = n < f->n ? n : f->n;

	memcpy(dst, f->p, take);
	memset(dst + take, 0, n - take);
	f->p += take;
	f->n -= take;
}

static inline uint16_t
fz_u16(struct fz *f)
{
	uint16_t v = fz_u8(f);

	return (uint16_t)(v | (uint16_t)fz_u8(f) << 8);
}

static inline uint32_t
fz_u32(struct fz *f)
{
	uint32_t v = fz_u16(f);

	return v | (uint32_t)fz_u16(f) << 16;
}

static inline uint64_t
fz_u64(struct fz *f)
{
	uint64_t v = fz_u32(f);

	return v | (uint64_t)fz_u32(f) << 32;
}

#define FZ_CHECK(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: check failed: %s: ",	\
			    __FILE__, __LINE__, #cond);			\
			fprintf(stderr, __VA_ARGS__);			\
			fputc('\n', stderr);				\
			abort();					\
		}							\
	} while (0)

#endif /* GNTDEV_FUZZ_H */

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Shared by the transfer test programs (libgntring and libxenvchan ends):
 * a deterministic byte stream any position of which can be regenerated,
 * option parsing, and the report line the test scripts compare.
 */
#ifndef GNTRING_TEST_XFER_COMMON_H
#define GNTRING_TEST_XFER_COMMON_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sha256.h"

struct xfer_opts {
	bool server;
	unsigned int peer_domid;
	const char *path;
	uint64_t send_bytes;	/* -b */
	uint64_t recv_bytes;	/* -B (default: -b) */
	size_t read_min;	/* -l (server) */
	size_t write_min;	/* -w (server) */
	uint32_t seed;		/* our stream: base (-s) + 1 server, + 2 client */
	uint32_t peer_seed;	/* the peer's stream */
	size_t max_chunk;	/* -c */
	bool zero_copy;		/* -z */
	bool threads;		/* -T */
	bool half_close;	/* -e: shut down writing, expect end of stream */
	bool messages;		/* -m: framed messages */
	int timeout_s;		/* -t: whole-run watchdog */
	bool recv_first;	/* -R: start sending only after receiving all */
	bool hostile;		/* -H: victim of a hostile peer (gntring_xfer) */
	bool use_wait;		/* -W: gntring_wait() instead of poll(2) */
	bool expect_death;	/* -D: the peer is killed; expect ECONNRESET */
};

/* Word i of stream `seed` (splitmix64). */
static inline uint64_t
xfer_word(uint32_t seed, uint64_t i)
{
	uint64_t x = i * 0x9E3779B97F4A7C15ull + ((uint64_t)seed << 32 | seed);

	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
	return x ^ (x >> 31);
}

/* Bytes [pos, pos + n) of stream `seed`. */
static inline void
xfer_fill(uint32_t seed, uint64_t pos, uint8_t *buf, size_t n)
{
	for (size_t k = 0; k < n;) {
		uint64_t w = xfer_word(seed, (pos + k) >> 3);
		unsigned int b = (unsigned int)((pos + k) & 7);

		for (; b < 8 && k < n; b++, k++)
			buf[k] = (uint8_t)(w >> (8 * b));
	}
}

/* Check bytes [pos, pos + n) against stream `seed`; false on mismatch. */
static inline bool
xfer_check(uint32_t seed, uint64_t pos, const uint8_t *buf, size_t n)
{
	uint8_t want[4096];

	for (size_t k = 0; k < n;) {
		size_t chunk = n - k < sizeof(want) ? n - k : sizeof(want);

		xfer_fill(seed, pos + k, want, chunk);
		if (memcmp(want, buf + k, chunk) != 0)
			return false;
		k += chunk;
	}
	return true;
}

static inline uint32_t
xfer_rand(uint32_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 17;
	*state ^= *state << 5;
	return *state;
}

static inline double
xfer_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline uint64_t
xfer_size_arg(const char *text)
{
	char *end;
	uint64_t v = strtoull(text, &end, 0);

	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	default: break;
	}
	if (*end != '\0') {
		fprintf(stderr, "bad size: %s\n", text);
		exit(2);
	}
	return v;
}

static inline void
xfer_usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s server|client peer-domid xenstore-path [-b send] [-B recv]\n"
		"       [-l read-min] [-w write-min] [-s seed-base] [-c max-chunk]\n"
		"       [-t timeout-s] [-z] [-T] [-e] [-m] [-R] [-H] [-W] [-D]\n", prog);
	exit(2);
}

static inline void
xfer_parse(int argc, char **argv, struct xfer_opts *o, const char *allowed)
{
	int c;
	bool recv_set = false;
	uint32_t base;

	memset(o, 0, sizeof(*o));
	if (argc < 4)
		xfer_usage(argv[0]);
	if (strcmp(argv[1], "server") == 0)
		o->server = true;
	else if (strcmp(argv[1], "client") != 0)
		xfer_usage(argv[0]);
	o->peer_domid = (unsigned int)strtoul(argv[2], NULL, 10);
	o->path = argv[3];
	o->send_bytes = 16u << 20;
	o->seed = o->server ? 1 : 2;
	o->peer_seed = o->server ? 2 : 1;
	o->max_chunk = 65536;
	o->timeout_s = 120;
	optind = 4;
	while ((c = getopt(argc, argv, allowed)) != -1) {
		switch (c) {
		case 'b': o->send_bytes = xfer_size_arg(optarg); break;
		case 'B': o->recv_bytes = xfer_size_arg(optarg); recv_set = true; break;
		case 'l': o->read_min = (size_t)xfer_size_arg(optarg); break;
		case 'w': o->write_min = (size_t)xfer_size_arg(optarg); break;
		case 's':
			base = (uint32_t)strtoul(optarg, NULL, 0);
			o->seed = base + (o->server ? 1 : 2);
			o->peer_seed = base + (o->server ? 2 : 1);
			break;
		case 'c': o->max_chunk = (size_t)xfer_size_arg(optarg); break;
		case 't': o->timeout_s = atoi(optarg); break;
		case 'z': o->zero_copy = true; break;
		case 'T': o->threads = true; break;
		case 'e': o->half_close = true; break;
		case 'm': o->messages = true; break;
		case 'R': o->recv_first = true; break;
		case 'H': o->hostile = true; break;
		case 'W': o->use_wait = true; break;
		case 'D': o->expect_death = true; break;
		default: xfer_usage(argv[0]);
		}
	}
	if (!recv_set)
		o->recv_bytes = o->send_bytes;
	if (o->max_chunk == 0 || o->max_chunk > (16u << 20))
		xfer_usage(argv[0]);
}

static inline void
xfer_report(const char *who, const char *what, uint64_t bytes,
	    struct sha256 *hash, double seconds)
{
	char hex[65];

	sha256_final_hex(hash, hex);
	printf("%s %s %" PRIu64 " sha256 %s %.3f s %.1f MiB/s\n", who, what,
	       bytes, hex, seconds,
	       seconds > 0 ? (double)bytes / seconds / 1048576.0 : 0.0);
	fflush(stdout);
}

#endif /* GNTRING_TEST_XFER_COMMON_H */

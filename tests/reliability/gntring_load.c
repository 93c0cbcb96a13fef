/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * gntring_load: many libgntring channels at once, in one process per side.
 *
 *	gntring_load -l [-n CHANNELS] [-b BYTES] [-r RING] [-t SECONDS] PEER DIR
 *	gntring_load    [-n CHANNELS] [-b BYTES] [-t SECONDS] PEER DIR
 *
 * The server (-l) listens on CHANNELS channels DIR/0, DIR/1, ... (relative
 * to its domain's home) and writes BYTES of a seeded stream on each; the
 * client connects to all of them in PEER's home and reads.  All channels
 * are open at once and served by one poll(2) loop.  The client checks every
 * byte against the stream it regenerates.  Each side prints one line per
 * channel, "CHANNEL BYTES FNV1A64", for the test to compare, then a
 * summary on stderr.  Exit 0 when every channel moved BYTES intact, 1
 * otherwise (and 1 after -t SECONDS, default 600).
 */
#include <sys/resource.h>

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gntring.h"

#define CHUNK	(64u * 1024u)

struct chan {
	struct gntring *g;
	uint64_t done;		/* bytes written (server) or read (client) */
	uint32_t rng;		/* stream position state */
	uint64_t fnv;
	bool finished;
};

static uint32_t
next_word(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

/* The stream of channel i: words of xorshift32, little-endian. */
static void
stream_fill(struct chan *c, uint8_t *buf, size_t n)
{
	size_t i;

	/* Stream positions stay word-aligned: callers move multiples of 4. */
	for (i = 0; i + 4 <= n; i += 4) {
		uint32_t w = next_word(&c->rng);

		buf[i] = (uint8_t)w;
		buf[i + 1] = (uint8_t)(w >> 8);
		buf[i + 2] = (uint8_t)(w >> 16);
		buf[i + 3] = (uint8_t)(w >> 24);
	}
}

static void
fnv_add(uint64_t *h, const uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		*h ^= b[i];
		*h *= 0x100000001b3ULL;
	}
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
usage(void)
{
	fprintf(stderr, "usage: gntring_load [-l] [-n channels] [-b bytes] "
		"[-r ring] [-t seconds] peer dir\n");
	exit(2);
}

/* Server: write what the ring takes; true when this channel is done. */
static int
serve(struct chan *c, uint64_t bytes, uint8_t *buf, uint8_t *pending,
      size_t *plen)
{
	ssize_t n;

	for (;;) {
		if (*plen == 0) {
			size_t want = bytes - c->done < CHUNK ?
			    (size_t)(bytes - c->done) : CHUNK;

			if (want == 0)
				break;
			stream_fill(c, pending, want);
			fnv_add(&c->fnv, pending, want);
			*plen = want;
		}
		n = gntring_write(c->g, pending, *plen);
		/* Ring full, or (-ENOTCONN) full before the client came. */
		if (n == -EAGAIN || n == -ENOTCONN)
			return 0;
		if (n < 0)
			return (int)n;
		memmove(pending, pending + n, *plen - (size_t)n);
		*plen -= (size_t)n;
		c->done += (uint64_t)n;
	}
	(void)buf;
	c->finished = true;
	return 0;
}

/* Client: read and check what there is; true when this channel is done. */
static int
drain(struct chan *c, uint64_t bytes, uint8_t *buf, uint8_t *want,
      size_t *have)
{
	ssize_t n;

	while (c->done < bytes) {
		/* Keep reads word-aligned against the regenerated stream. */
		size_t room = CHUNK - *have;

		n = gntring_read(c->g, buf + *have, room);
		if (n == -EAGAIN)
			return 0;
		if (n <= 0)
			return n == 0 ? -EPIPE : (int)n;
		*have += (size_t)n;
		if (*have >= 4) {
			size_t k = *have & ~(size_t)3;

			stream_fill(c, want, k);
			if (memcmp(buf, want, k) != 0)
				return -EILSEQ;
			fnv_add(&c->fnv, buf, k);
			c->done += k;
			memmove(buf, buf + k, *have - k);
			*have -= k;
		}
	}
	c->finished = true;
	return 0;
}

int
main(int argc, char **argv)
{
	unsigned int nchan = 200, i, left;
	uint64_t bytes = 16u << 20;
	size_t ring = 64u * 1024u;
	int timeout_s = 600, ch;
	bool server = false;
	struct chan *chans;
	struct pollfd *pfds;
	uint8_t **bufs, **aux;
	size_t *lens;
	char path[256];
	unsigned long peer;
	double start, deadline;
	struct rlimit rl;
	int rc = 0;

	while ((ch = getopt(argc, argv, "b:ln:r:t:")) != -1) {
		switch (ch) {
		case 'b': {
			char *end;

			bytes = strtoull(optarg, &end, 0);
			if (*end == 'K' || *end == 'k')
				bytes <<= 10;
			else if (*end == 'M' || *end == 'm')
				bytes <<= 20;
			bytes &= ~3ULL;
			break;
		}
		case 'l': server = true; break;
		case 'n': nchan = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'r': ring = strtoul(optarg, NULL, 0); break;
		case 't': timeout_s = atoi(optarg); break;
		default: usage();
		}
	}
	if (argc - optind != 2 || nchan == 0)
		usage();
	peer = strtoul(argv[optind], NULL, 0);
	/* Several descriptors per channel: take all we may. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	chans = calloc(nchan, sizeof(*chans));
	pfds = calloc(nchan, sizeof(*pfds));
	bufs = calloc(nchan, sizeof(*bufs));
	aux = calloc(nchan, sizeof(*aux));
	lens = calloc(nchan, sizeof(*lens));
	if (chans == NULL || pfds == NULL || bufs == NULL || aux == NULL ||
	    lens == NULL) {
		perror("calloc");
		return 1;
	}
	start = now_s();
	deadline = start + timeout_s;
	for (i = 0; i < nchan; i++) {
		if (server)
			snprintf(path, sizeof(path), "%s/%u", argv[optind + 1],
				 i);
		else
			snprintf(path, sizeof(path), "/local/domain/%lu/%s/%u",
				 peer, argv[optind + 1], i);
		chans[i].g = server ?
		    gntring_listen((uint16_t)peer, path, 0, ring,
				   GNTRING_NONBLOCK) :
		    gntring_connect((uint16_t)peer, path,
				    timeout_s < 20 ? timeout_s * 500 : 10000,
				    GNTRING_NONBLOCK);
		if (chans[i].g == NULL) {
			fprintf(stderr, "gntring_load: %s %s: %s\n",
				server ? "listen" : "connect", path,
				strerror(errno));
			rc = 1;
			goto out;
		}
		chans[i].rng = 0x9e3779b9u ^ (i * 2654435761u) ^ 1u;
		chans[i].fnv = 0xcbf29ce484222325ULL;
		bufs[i] = malloc(CHUNK);
		aux[i] = malloc(CHUNK);
		if (bufs[i] == NULL || aux[i] == NULL) {
			perror("malloc");
			rc = 1;
			goto out;
		}
		pfds[i].fd = gntring_fd(chans[i].g);
		pfds[i].events = POLLIN;
	}
	fprintf(stderr, "gntring_load: %s: %u channels open in %.2f s\n",
		server ? "server" : "client", nchan, now_s() - start);

	left = nchan;
	while (left > 0) {
		int timeout = (int)((deadline - now_s()) * 1000);

		if (timeout <= 0) {
			fprintf(stderr, "gntring_load: timed out with %u "
				"channels unfinished\n", left);
			rc = 1;
			goto out;
		}
		if (poll(pfds, nchan, timeout > 1000 ? 1000 : timeout) < 0 &&
		    errno != EINTR) {
			perror("poll");
			rc = 1;
			goto out;
		}
		for (i = 0; i < nchan; i++) {
			struct chan *c = &chans[i];
			int err;

			if (c->finished)
				continue;
			if (pfds[i].revents != 0) {
				err = gntring_process(c->g);
				if (err < 0) {
					fprintf(stderr, "gntring_load: channel "
						"%u: process: %s\n", i,
						strerror(-err));
					rc = 1;
					goto out;
				}
			}
			err = server ? serve(c, bytes, bufs[i], aux[i],
					     &lens[i]) :
			    drain(c, bytes, bufs[i], aux[i], &lens[i]);
			if (err < 0) {
				fprintf(stderr, "gntring_load: channel %u: %s "
					"after %" PRIu64 " bytes\n", i,
					strerror(-err), c->done);
				rc = 1;
				goto out;
			}
			if (c->finished) {
				left--;
				pfds[i].fd = -1;
				if (server)
					(void)gntring_shutdown_write(c->g);
			}
		}
	}
	for (i = 0; i < nchan; i++)
		printf("%u %" PRIu64 " %016" PRIx64 "\n", i, chans[i].done,
		       chans[i].fnv);
	fprintf(stderr, "gntring_load: %s: %u channels x %" PRIu64
		" bytes in %.2f s (%.1f MiB/s)\n", server ? "server" : "client",
		nchan, bytes, now_s() - start,
		(double)nchan * (double)bytes / 1048576.0 / (now_s() - start));
	/* The server waits for each client to finish reading. */
	if (server) {
		for (i = 0; i < nchan; i++) {
			enum gntring_state st;

			while ((st = gntring_state(chans[i].g)) !=
			       GNTRING_CLOSED && st != GNTRING_BROKEN &&
			       now_s() < deadline)
				(void)gntring_wait(chans[i].g, 1000);
		}
	}
out:
	for (i = 0; i < nchan; i++) {
		gntring_close(chans[i].g);
		free(bufs[i]);
		free(aux[i]);
	}
	free(chans);
	free(pfds);
	free(bufs);
	free(aux);
	free(lens);
	return rc;
}

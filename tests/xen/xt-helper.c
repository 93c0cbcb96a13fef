/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * xt-helper: small tools the real-Xen test image needs and busybox lacks.
 *
 *   xt-helper gen SIZE SEED [FILE FSIZE]...
 *                                  write SIZE deterministic bytes to stdout;
 *                                  then keep stdout open until each FILE
 *                                  holds FSIZE bytes (FSIZE 0: exists), at
 *                                  most 300 s: for peers that drop the whole
 *                                  channel when their input ends
 *   xt-helper unix-listen PATH     accept one UNIX-socket connection, then
 *                                  relay stdin -> socket and socket -> stdout
 *   xt-helper unix-connect PATH    the same, connecting (retries for 30 s)
 *   xt-helper count                copy stdin to stdout, print byte count
 *                                  to stderr at EOF
 *
 * SIZE accepts K/M/G suffixes (powers of two).  The relay half-closes the
 * socket when stdin reaches EOF and exits when the socket reaches EOF.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static unsigned long long parse_size(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);

	switch (*end) {
	case 'G': case 'g': v <<= 10; /* fall through */
	case 'M': case 'm': v <<= 10; /* fall through */
	case 'K': case 'k': v <<= 10; break;
	default: break;
	}
	return v;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* xorshift64*: fast, deterministic, the same on host and guest. */
static int do_gen(unsigned long long size, unsigned long long seed)
{
	static uint64_t buf[8192];
	uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;

	while (size > 0) {
		size_t n = sizeof(buf) < size ? sizeof(buf) : (size_t)size;

		for (size_t i = 0; i < (n + 7) / 8; i++) {
			x ^= x >> 12;
			x ^= x << 25;
			x ^= x >> 27;
			buf[i] = x * 0x2545F4914F6CDD1Dull;
		}
		if (write_all(1, buf, n) < 0) {
			perror("xt-helper gen: write");
			return 1;
		}
		size -= n;
	}
	return 0;
}

static int hold_until(char **pairs, int n)
{
	for (int i = 0; i < 3000; i++) {
		int done = 1;

		for (int k = 0; k + 1 < n; k += 2) {
			struct stat st;

			if (stat(pairs[k], &st) != 0 ||
			    (unsigned long long)st.st_size < parse_size(pairs[k + 1]))
				done = 0;
		}
		if (done)
			return 0;
		nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
	}
	return 1;
}

static int relay(int s)
{
	char buf[65536];
	int in_open = 1, sock_open = 1;

	while (sock_open) {
		struct pollfd p[2] = {
			{ .fd = in_open ? 0 : -1, .events = POLLIN },
			{ .fd = s, .events = POLLIN },
		};

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("xt-helper: poll");
			return 1;
		}
		if (in_open && (p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
			ssize_t n = read(0, buf, sizeof(buf));

			if (n <= 0) {
				in_open = 0;
				shutdown(s, SHUT_WR);
			} else if (write_all(s, buf, (size_t)n) < 0) {
				perror("xt-helper: write socket");
				return 1;
			}
		}
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = read(s, buf, sizeof(buf));

			if (n <= 0)
				sock_open = 0;
			else if (write_all(1, buf, (size_t)n) < 0) {
				perror("xt-helper: write stdout");
				return 1;
			}
		}
	}
	return 0;
}

static int do_unix(const char *path, int listening)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_STREAM, 0);

	if (s < 0 || strlen(path) >= sizeof(sa.sun_path)) {
		perror("xt-helper: socket");
		return 1;
	}
	strcpy(sa.sun_path, path);
	if (listening) {
		int c;

		unlink(path);
		if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
		    listen(s, 1) < 0) {
			perror("xt-helper: bind/listen");
			return 1;
		}
		c = accept(s, NULL, NULL);
		if (c < 0) {
			perror("xt-helper: accept");
			return 1;
		}
		close(s);
		return relay(c);
	}
	for (int i = 0; i < 300; i++) {
		if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return relay(s);
		nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
	}
	perror("xt-helper: connect");
	return 1;
}

static int do_count(void)
{
	char buf[65536];
	unsigned long long total = 0;
	ssize_t n;

	while ((n = read(0, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (write_all(1, buf, (size_t)n) < 0)
			break;
		total += (unsigned long long)n;
	}
	fprintf(stderr, "%llu\n", total);
	return 0;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc >= 4 && argc % 2 == 0 && strcmp(argv[1], "gen") == 0) {
		int rc = do_gen(parse_size(argv[2]), strtoull(argv[3], NULL, 0));

		if (rc == 0 && argc > 4)
			rc = hold_until(argv + 4, argc - 4);
		return rc;
	}
	if (argc == 3 && strcmp(argv[1], "unix-listen") == 0)
		return do_unix(argv[2], 1);
	if (argc == 3 && strcmp(argv[1], "unix-connect") == 0)
		return do_unix(argv[2], 0);
	if (argc == 2 && strcmp(argv[1], "count") == 0)
		return do_count();
	fprintf(stderr, "usage: xt-helper gen SIZE SEED [FILE FSIZE]... | unix-listen PATH | "
		"unix-connect PATH | count\n");
	return 64;
}

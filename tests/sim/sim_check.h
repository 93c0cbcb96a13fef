/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Shared by the simulator's C test programs: a failure counter with CHECK,
 * which reports and goes on, and a line protocol between a test and the
 * processes it runs in other domains (say one line; hear one line within a
 * deadline).  Each program is one translation unit, hence the statics.
 */
#ifndef SIM_CHECK_H
#define SIM_CHECK_H

#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static int failures;

#define CHECK(cond, ...)                                                  \
	do {                                                              \
		if (!(cond)) {                                            \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
			fprintf(stderr, __VA_ARGS__);                     \
			fputc('\n', stderr);                              \
			failures++;                                       \
		}                                                         \
	} while (0)

static inline double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Write one line (truncated to 254 bytes) to `fd`. */
static inline void
say(int fd, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	(void)!write(fd, buf, (size_t)n);
}

/* One line from `fd` within `ms` milliseconds; -1 on timeout or EOF. */
static inline int
hear(int fd, char *buf, size_t cap, int ms)
{
	double end = now_ms() + ms;
	size_t len = 0;

	while (len + 1 < cap) {
		struct pollfd p = { fd, POLLIN, 0 };
		int left = (int)(end - now_ms());

		if (left <= 0 || poll(&p, 1, left) != 1)
			return -1;
		if (read(fd, buf + len, 1) != 1)
			return -1;
		if (buf[len] == '\n') {
			buf[len] = '\0';
			return 0;
		}
		len++;
	}
	return -1;
}

#endif /* SIM_CHECK_H */

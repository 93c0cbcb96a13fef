/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Event-channel round trip in the simulator, through Debian's libxenevtchn:
 * domain 1 notifies, domain 2's poll wakes, it reads and unmasks the port
 * and notifies back, domain 1's poll wakes.  Prints median and p99.
 *
 *   xensim-evtchn-bench [-n ROUNDS] [-x XENSIM]
 *
 * Starts its own `xensim session` (the xensim next to this program, or -x),
 * and in it one process per domain.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xenevtchn.h>

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Wait for our port to fire (bounded), then unmask it. */
static int
wait_event(xenevtchn_handle *ev, int fd)
{
	struct pollfd p = { fd, POLLIN, 0 };
	int port;

	if (poll(&p, 1, 5000) != 1)
		return -1;
	port = xenevtchn_pending(ev);
	if (port < 0 || xenevtchn_unmask(ev, (unsigned)port) < 0)
		return -1;
	return port;
}

static int
role(const char *which, int rounds, int sock)
{
	xenevtchn_handle *ev = xenevtchn_open(NULL, 0);
	int port, fd, i;
	char msg[32];
	double *rt;

	if (ev == NULL) {
		perror("xenevtchn_open");
		return 1;
	}
	fd = xenevtchn_fd(ev);
	if (strcmp(which, "echo") == 0) {
		port = xenevtchn_bind_unbound_port(ev, 1);
		if (port < 0) {
			perror("bind_unbound_port");
			return 1;
		}
		snprintf(msg, sizeof(msg), "%d\n", port);
		if (write(sock, msg, strlen(msg)) < 0)
			return 1;
		/* Bounce every event back until the pinger stops. */
		for (i = 0; i < rounds + 100; i++) {
			if (wait_event(ev, fd) < 0)
				break;
			xenevtchn_notify(ev, (unsigned)port);
		}
		xenevtchn_close(ev);
		return 0;
	}
	{
		ssize_t n = read(sock, msg, sizeof(msg) - 1);
		int remote;

		if (n <= 0)
			return 1;
		msg[n] = '\0';
		remote = atoi(msg);
		port = xenevtchn_bind_interdomain(ev, 2, (unsigned)remote);
		if (port < 0) {
			perror("bind_interdomain");
			return 1;
		}
	}
	rt = calloc((size_t)rounds, sizeof(*rt));
	if (rt == NULL)
		return 1;
	for (i = -100; i < rounds; i++) { /* 100 rounds of warm-up */
		double t0 = now_us();

		xenevtchn_notify(ev, (unsigned)port);
		if (wait_event(ev, fd) < 0) {
			fprintf(stderr, "round %d: no reply\n", i);
			return 1;
		}
		if (i >= 0)
			rt[i] = now_us() - t0;
	}
	qsort(rt, (size_t)rounds, sizeof(*rt), cmp_double);
	printf("event round trip over %d rounds (notify, peer poll wakes, "
	       "notify back):\n", rounds);
	printf("  min %8.2f us\n  median %5.2f us\n  p90 %8.2f us\n"
	       "  p99 %8.2f us\n  max %8.2f us\n",
	       rt[0], rt[rounds / 2], rt[(rounds * 90) / 100],
	       rt[(rounds * 99) / 100], rt[rounds - 1]);
	free(rt);
	xenevtchn_close(ev);
	return 0;
}

int
main(int argc, char **argv)
{
	char self[PATH_MAX], xensim[PATH_MAX + 16], rounds_s[16], fd_s[16];
	const char *x = NULL;
	int rounds = 20000, opt, sv[2], st1, st2;
	pid_t a, b;
	ssize_t n;

	if (argc >= 5 && strcmp(argv[1], "--role") == 0)
		return role(argv[2], atoi(argv[3]), atoi(argv[4]));
	while ((opt = getopt(argc, argv, "n:x:")) != -1) {
		if (opt == 'n')
			rounds = atoi(optarg);
		else if (opt == 'x')
			x = optarg;
		else {
			fprintf(stderr, "usage: %s [-n ROUNDS] [-x XENSIM]\n", argv[0]);
			return 2;
		}
	}
	if (rounds < 100)
		rounds = 100;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return 1;
	self[n] = '\0';
	if (x == NULL) {
		char *slash = strrchr(self, '/');

		snprintf(xensim, sizeof(xensim), "%.*s/xensim",
			 slash ? (int)(slash - self) : 1, slash ? self : ".");
		x = xensim;
	}
	snprintf(rounds_s, sizeof(rounds_s), "%d", rounds);
	if (getenv("XENSIM_DIR") == NULL || getenv("XENSIM_BENCH_IN_SESSION") == NULL) {
		/* Re-run inside a private session. */
		setenv("XENSIM_BENCH_IN_SESSION", "1", 1);
		execl(x, "xensim", "session", "--check-leaks", "--", self, "-n",
		      rounds_s, "-x", x, (char *)NULL);
		perror(x);
		return 1;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return 1;
	snprintf(fd_s, sizeof(fd_s), "%d", sv[1]);
	a = fork();
	if (a == 0) {
		execl(x, "xensim", "run", "--domid", "2", "--", self, "--role",
		      "echo", rounds_s, fd_s, (char *)NULL);
		_exit(127);
	}
	snprintf(fd_s, sizeof(fd_s), "%d", sv[0]);
	b = fork();
	if (b == 0) {
		execl(x, "xensim", "run", "--domid", "1", "--", self, "--role",
		      "ping", rounds_s, fd_s, (char *)NULL);
		_exit(127);
	}
	close(sv[0]);
	close(sv[1]);
	waitpid(b, &st2, 0);
	kill(a, SIGTERM);
	waitpid(a, &st1, 0);
	return WIFEXITED(st2) ? WEXITSTATUS(st2) : 1;
}

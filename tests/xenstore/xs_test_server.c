/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A tiny xenstored for tests: the simulator's xenstore behind UNIX sockets.
 *
 *   xs_test_server [-i domid]... -l domid:path [-l domid:path]...
 *
 * Each -l listens on path; every client accepted there is a connection of
 * that domain.  Each -i introduces a domain at start.  One poll loop, no
 * threads; replies and watch events are queued per client and written when
 * the socket takes them.  SIGTERM or SIGINT ends it cleanly (exit 0).
 * Prints "ready" on stdout once all sockets listen.
 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "xenstore.h"

#define MAX_LISTENERS 8
#define READ_CHUNK    4096

struct listener {
	int fd;
	unsigned domid;
	const char *path;
};

struct client {
	struct client *next;
	int fd;
	struct xs_conn *conn;
	unsigned char *out;
	size_t out_len, out_cap;
	bool dead;                 /* out of memory queuing: drop it */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* The store's send callback: queue, the poll loop writes. */
static void client_queue(void *opaque, const void *buf, size_t len)
{
	struct client *cl = opaque;

	if (cl->dead)
		return;
	if (cl->out_len + len > cl->out_cap) {
		size_t ncap = (cl->out_len + len) * 2;
		unsigned char *n = realloc(cl->out, ncap);

		if (n == NULL) {
			cl->dead = true;
			return;
		}
		cl->out = n;
		cl->out_cap = ncap;
	}
	memcpy(cl->out + cl->out_len, buf, len);
	cl->out_len += len;
}

static int listen_on(const char *path)
{
	struct sockaddr_un sa;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "xs_test_server: path too long: %s\n", path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0) {
		perror("socket");
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(fd, 16) != 0) {
		perror(path);
		close(fd);
		return -1;
	}
	return fd;
}

static void client_free(struct client *cl)
{
	xs_conn_destroy(cl->conn);
	close(cl->fd);
	free(cl->out);
	free(cl);
}

static void accept_client(struct xs_store *st, const struct listener *l,
                          struct client **clients)
{
	struct client *cl;
	int fd = accept(l->fd, NULL, NULL);

	if (fd < 0)
		return;
	cl = calloc(1, sizeof(*cl));
	if (cl == NULL) {
		close(fd);
		return;
	}
	cl->fd = fd;
	cl->conn = xs_conn_create(st, l->domid, client_queue, cl);
	if (cl->conn == NULL) {
		close(fd);
		free(cl);
		return;
	}
	cl->next = *clients;
	*clients = cl;
}

/* Returns false when the client is to be dropped. */
static bool client_read(struct client *cl)
{
	unsigned char buf[READ_CHUNK];
	ssize_t n = read(cl->fd, buf, sizeof(buf));

	if (n < 0)
		return errno == EINTR || errno == EAGAIN;
	if (n == 0)
		return false;
	return xs_conn_input(cl->conn, buf, (size_t)n) == 0;
}

static bool client_write(struct client *cl)
{
	ssize_t n = send(cl->fd, cl->out, cl->out_len, MSG_NOSIGNAL);

	if (n < 0)
		return errno == EINTR || errno == EAGAIN;
	memmove(cl->out, cl->out + n, cl->out_len - (size_t)n);
	cl->out_len -= (size_t)n;
	return true;
}

static int parse_listener(char *arg, struct listener *l)
{
	char *colon = strchr(arg, ':'), *end;
	unsigned long domid;

	if (colon == NULL)
		return -1;
	*colon = '\0';
	domid = strtoul(arg, &end, 10);
	if (*end != '\0' || end == arg || domid > 0xFFFF)
		return -1;
	l->domid = (unsigned)domid;
	l->path = colon + 1;
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: xs_test_server [-i domid]... "
	                "-l domid:path [-l domid:path]...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct listener ls[MAX_LISTENERS];
	unsigned nls = 0, nintro = 0, i;
	unsigned long intro[16];
	struct client *clients = NULL, *cl, **pp;
	struct pollfd *pfds = NULL;
	struct xs_store *st;
	struct sigaction sa;
	int opt, rc = 0;

	while ((opt = getopt(argc, argv, "i:l:")) != -1) {
		switch (opt) {
		case 'i':
			if (nintro == sizeof(intro) / sizeof(intro[0]))
				usage();
			intro[nintro++] = strtoul(optarg, NULL, 10);
			break;
		case 'l':
			if (nls == MAX_LISTENERS || parse_listener(optarg, &ls[nls]) != 0)
				usage();
			nls++;
			break;
		default:
			usage();
		}
	}
	if (nls == 0 || optind != argc)
		usage();

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	st = xs_store_create();
	if (st == NULL)
		return 1;
	for (i = 0; i < nintro; i++)
		if (xs_store_introduce_domain(st, (unsigned)intro[i]) != 0)
			return 1;
	for (i = 0; i < nls; i++) {
		ls[i].fd = listen_on(ls[i].path);
		if (ls[i].fd < 0)
			return 1;
	}
	printf("ready\n");
	fflush(stdout);

	while (!stop) {
		unsigned n = nls, k;

		for (cl = clients; cl != NULL; cl = cl->next)
			n++;
		free(pfds);
		pfds = calloc(n, sizeof(*pfds));
		if (pfds == NULL) {
			rc = 1;
			break;
		}
		for (i = 0; i < nls; i++) {
			pfds[i].fd = ls[i].fd;
			pfds[i].events = POLLIN;
		}
		for (cl = clients, k = nls; cl != NULL; cl = cl->next, k++) {
			pfds[k].fd = cl->fd;
			pfds[k].events = POLLIN | (cl->out_len > 0 ? POLLOUT : 0);
		}
		/* A short timeout, so a signal between checks is not lost for long. */
		if (poll(pfds, n, 100) < 0) {
			if (errno == EINTR)
				continue;
			perror("poll");
			rc = 1;
			break;
		}
		/* Clients first (the list is as polled), then new ones. */
		for (pp = &clients, k = nls; (cl = *pp) != NULL; k++) {
			bool keep = !cl->dead;

			if (keep && (pfds[k].revents & POLLOUT))
				keep = client_write(cl);
			if (keep && (pfds[k].revents & (POLLIN | POLLHUP | POLLERR)))
				keep = client_read(cl);
			if (keep) {
				pp = &cl->next;
			} else {
				*pp = cl->next;
				client_free(cl);
			}
		}
		for (i = 0; i < nls; i++)
			if (pfds[i].revents & POLLIN)
				accept_client(st, &ls[i], &clients);
	}

	free(pfds);
	while ((cl = clients) != NULL) {
		clients = cl->next;
		client_free(cl);
	}
	for (i = 0; i < nls; i++) {
		close(ls[i].fd);
		unlink(ls[i].path);
	}
	xs_store_destroy(st);
	return rc;
}

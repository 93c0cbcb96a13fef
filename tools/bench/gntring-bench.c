/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * gntring-bench: libgntring against Debian's libxenvchan on the same wire,
 * in the Xen simulator, with a pipe, a UNIX stream socket and memcpy as
 * baselines, all in one run.
 *
 *   gntring-bench [--quick] [--json] [--json-file PATH] [--check]
 *                 [--reps N] [--seconds S] [--stat median|best|both]
 *                 [--rings LIST] [--chunks LIST] [--apis LIST] [--kinds LIST]
 *                 [--amount N] [--exp-libdir DIR] [--spin US]
 *                 [--pin SERVER_CPU,CLIENT_CPU | --no-pin]
 *
 * (see usage() and BENCHMARKS.md).  Environment: XENSIM (the simulator, by
 * default next to this program), XENSIM_DIR (a running instance to use),
 * GNTRING_SPIN_US (libgntring's spin before sleeping, gntring_set_spin(3);
 * --spin sets it), GNTRING_BENCH_WRAP (a wrapper command for the
 * simulated-domain workers,
 * e.g. "valgrind --tool=callgrind"), XENSIM_GNTALLOC_LIMIT (for the private
 * session; 16384 unless set, since 1 MiB rings need more than Linux's 1024).
 *
 * The orchestrator (this process) starts a private `xensim session` unless
 * XENSIM_DIR names a running one, then for each ring size starts two worker
 * pairs (libgntring, libxenvchan): the server as domain 1 and the client as
 * domain 0, each through `xensim run`.  Workers are this program again
 * (--worker); each gets a control socket as fd 3 and executes one command
 * at a time: send, receive, both ways, ping or pong.  The orchestrator
 * interleaves the libraries repetition by repetition, so that a change of
 * machine load hits them alike, and prints medians and ratios.
 *
 * Timing: the sender stamps the start, the receiver the end, both with
 * CLOCK_MONOTONIC, which is one clock for all processes of the machine.
 */
#define _GNU_SOURCE	/* pipe2, sched_setaffinity */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libxenvchan.h>
#include <xenevtchn.h>

#include "gntring.h"

static unsigned int bench_spin_us(void);
static const char *bench_spin_text(void);

#define CTL_FD		3	/* a worker's control socket */
#define PING_BYTES	64	/* ping-pong message size */
#define CTL_TIMEOUT_MS	120000	/* a command that takes longer is a hang */
#define KiB		1024u
#define MiB		(1024u * 1024u)

/* ------------------------------------------------------------------ */
/* What is measured                                                    */

enum api {
	API_COPY,	/* libgntring gntring_read/gntring_write */
	API_ZC,		/* libgntring reserve/commit, peek/consume */
	API_VCHAN,	/* Debian's libxenvchan */
	API_PIPE,	/* two pipes between two processes */
	API_UNIX,	/* a UNIX stream socket pair between two processes */
	API_EVTCHN,	/* bare simulated event channel: ping-pong floor */
	API_MEMCPY,	/* memcpy in one process */
	API_EXP,	/* copy API of the libgntring in --exp-libdir (A/B tests) */
	API_COUNT
};

static const char *const api_names[API_COUNT] = {
	"gntring", "gntring-zc", "xenvchan", "pipe", "unix", "evtchn", "memcpy",
	"gntring-exp",
};

enum kind { KIND_ONEWAY, KIND_BOTHWAYS, KIND_PINGPONG, KIND_COUNT };

static const char *const kind_names[KIND_COUNT] = {
	"oneway", "bothways", "pingpong",
};

/* Control protocol between the orchestrator and a worker. */
enum op {
	OP_SEND = 1,	/* write `bytes` in chunks of `chunk` */
	OP_RECV,	/* read `bytes` with a buffer of `chunk` */
	OP_BOTH,	/* write and read `bytes` each, non-blocking */
	OP_PING,	/* `iters` round trips of PING_BYTES, timed */
	OP_PONG,	/* echo `iters` messages */
	OP_QUIT,
};

struct ctl_cmd {
	uint32_t op;
	uint32_t api;
	uint64_t chunk;
	uint64_t bytes;
	uint64_t iters;
};

struct ctl_reply {
	int32_t status;		/* 0, or a negative errno */
	uint32_t pad;
	uint64_t t_start_ns;	/* the first byte was handed to the channel */
	uint64_t t_end_ns;	/* the last byte came out of it */
	uint64_t lat_median_ns;
	uint64_t lat_p99_ns;
	char msg[112];
};

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */

static const char *prog = "gntring-bench";

static _Noreturn void
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *
xmalloc(size_t n)
{
	void *p = malloc(n);

	if (p == NULL)
		die("out of memory");
	return p;
}

/* "64", "1K", "16K", "1M", "default" (vchan's 1K/2K rings) to bytes; 0 = default. */
static int
parse_size(const char *text, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (strcmp(text, "default") == 0) {
		*out = 0;
		return 0;
	}
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno != 0 || end == text)
		return -1;
	if (*end == 'K' || *end == 'k')
		v *= KiB, end++;
	else if (*end == 'M' || *end == 'm')
		v *= MiB, end++;
	if (*end != '\0')
		return -1;
	*out = v;
	return 0;
}

static const char *
size_label(uint64_t n, char *buf, size_t cap)
{
	if (n == 0)
		snprintf(buf, cap, "1K/2K");
	else if (n >= MiB && n % MiB == 0)
		snprintf(buf, cap, "%" PRIu64 "M", n / MiB);
	else if (n >= KiB && n % KiB == 0)
		snprintf(buf, cap, "%" PRIu64 "K", n / KiB);
	else
		snprintf(buf, cap, "%" PRIu64, n);
	return buf;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(const double *v, size_t n)
{
	double sorted[64];

	if (n == 0)
		return 0;
	if (n > 64)
		n = 64;
	memcpy(sorted, v, n * sizeof(*v));
	qsort(sorted, n, sizeof(*sorted), cmp_double);
	return n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Whole-message I/O on the control socket, bounded in time. */
static int
ctl_read(int fd, void *buf, size_t n, int timeout_ms)
{
	uint8_t *p = buf;

	while (n > 0) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int ready = poll(&pfd, 1, timeout_ms);
		ssize_t got;

		if (ready < 0 && errno == EINTR)
			continue;
		if (ready <= 0)
			return ready == 0 ? -ETIMEDOUT : -errno;
		got = read(fd, p, n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return got == 0 ? -EPIPE : -errno;
		p += got;
		n -= (size_t)got;
	}
	return 0;
}

static int
ctl_write(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;

	while (n > 0) {
		ssize_t put = send(fd, p, n, MSG_NOSIGNAL);

		if (put < 0 && errno == EINTR)
			continue;
		if (put < 0)
			return -errno;
		p += put;
		n -= (size_t)put;
	}
	return 0;
}

/*
 * Check pattern (--check): byte i of the stream is a function of i, so a
 * receiver can verify any piece it gets without knowing how it was cut.
 */
static inline uint8_t
pattern_byte(uint64_t pos)
{
	return (uint8_t)(pos ^ (pos >> 8) ^ (pos >> 16) ^ (pos >> 24));
}

static void
pattern_fill(uint8_t *buf, size_t n, uint64_t pos)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = pattern_byte(pos + i);
}

static bool
pattern_ok(const uint8_t *buf, size_t n, uint64_t pos)
{
	for (size_t i = 0; i < n; i++)
		if (buf[i] != pattern_byte(pos + i))
			return false;
	return true;
}

/*
 * A reader's work: read every byte, as a parser would (the zero-copy
 * reader in place).  Returned, and accumulated by the caller, so it is not
 * elided.
 */
static uint64_t
touch_bytes(const uint8_t *p, size_t n)
{
	uint64_t sum = 0, w;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		sum += w;
	}
	for (; i < n; i++)
		sum += p[i];
	return sum;
}

/*
 * A writer's work: produce the bytes of stream positions pos..pos+n-1
 * where they are to go (the copying writers in their buffer before the
 * write, the zero-copy writer in the ring), as an application generating
 * its data would.  With --check, the check pattern; else a cheap one.
 */
static void
produce_bytes(uint8_t *p, size_t n, uint64_t pos, bool check)
{
	size_t i = 0;

	if (check) {
		pattern_fill(p, n, pos);
		return;
	}
	for (; i + 8 <= n; i += 8) {
		uint64_t w = pos + i;

		memcpy(p + i, &w, 8);
	}
	for (; i < n; i++)
		p[i] = (uint8_t)(pos + i);
}

/* ------------------------------------------------------------------ */
/* One end of a channel, whatever carries it                           */

struct chan {
	enum api api;		/* the worker's library; COPY also serves ZC */
	struct gntring *g;
	struct libxenvchan *v;
	int rfd, wfd;		/* pipe / unix */
	xenevtchn_handle *evh;	/* evtchn */
	evtchn_port_t port;
	uint64_t sink;		/* the sum of every byte read */
	bool check;
};

/*
 * Write up to n bytes, those of stream positions pos..pos+n-1: the copying
 * APIs send buf, which the caller produced there; zero copy produces them
 * in the reserved span (buf is not read).  Blocking mode: all n (the
 * library waits for space).  Non-blocking mode: what fits now, possibly 0.
 * Negative errno on failure.
 */
static ssize_t
chan_write(struct chan *c, enum api api, const uint8_t *buf, size_t n,
	   uint64_t pos)
{
	ssize_t r;

	switch (api) {
	case API_COPY:
		r = gntring_write(c->g, buf, n);
		return r == -EAGAIN ? 0 : r;
	case API_ZC: {
		struct gntring_span span;
		size_t done = 0;

		r = gntring_write_reserve(c->g, 1, &span);
		if (r < 0)
			return r == -EAGAIN ? 0 : r;
		for (int s = 0; s < span.nseg && done < n; s++) {
			size_t k = span.seg[s].iov_len;

			if (k > n - done)
				k = n - done;
			produce_bytes(span.seg[s].iov_base, k, pos + done,
				      c->check);
			done += k;
		}
		r = gntring_write_commit(c->g, done);
		return r < 0 ? r : (ssize_t)done;
	}
	case API_VCHAN:
		r = libxenvchan_write(c->v, buf, n);
		return r < 0 ? -EPIPE : r;
	case API_EVTCHN:
		/* One event stands for a whole message. */
		return xenevtchn_notify(c->evh, c->port) < 0 ? -errno : (ssize_t)n;
	default:
		r = write(c->wfd, buf, n);
		if (r < 0)
			return errno == EAGAIN ? 0 : -errno;
		return r;
	}
}

/*
 * Read up to n bytes into buf (zero copy: process them in place instead).
 * Blocking mode: at least 1.  Non-blocking: possibly 0.  -EPIPE at end.
 */
static ssize_t
chan_read(struct chan *c, enum api api, uint8_t *buf, size_t n, uint64_t pos)
{
	ssize_t r;

	switch (api) {
	case API_COPY:
		r = gntring_read(c->g, buf, n);
		if (r == -EAGAIN)
			return 0;
		break;
	case API_ZC: {
		struct gntring_span span;
		size_t done = 0;

		r = gntring_read_peek(c->g, 1, &span);
		if (r <= 0)
			return r == -EAGAIN ? 0 : (r == 0 ? -EPIPE : r);
		for (int s = 0; s < span.nseg && done < n; s++) {
			size_t k = span.seg[s].iov_len;

			if (k > n - done)
				k = n - done;
			if (c->check && !pattern_ok(span.seg[s].iov_base, k,
						    pos + done))
				return -EILSEQ;
			c->sink += touch_bytes(span.seg[s].iov_base, k);
			done += k;
		}
		r = gntring_read_consume(c->g, done);
		return r < 0 ? r : (ssize_t)done;
	}
	case API_VCHAN:
		r = libxenvchan_read(c->v, buf, n);
		if (r < 0)
			return -EPIPE;
		break;
	case API_EVTCHN: {
		/* Wait for one event as libxenvchan_wait() does: read, unmask. */
		xenevtchn_port_or_error_t port = xenevtchn_pending(c->evh);

		if (port < 0 || xenevtchn_unmask(c->evh, (evtchn_port_t)port) < 0)
			return -errno;
		return (ssize_t)n;
	}
	default:
		r = read(c->rfd, buf, n);
		if (r < 0)
			return errno == EAGAIN ? 0 : -errno;
		break;
	}
	if (r == 0 && (api == API_COPY || api == API_PIPE || api == API_UNIX)) {
		/* 0 is end of stream for these, not "nothing now". */
		return -EPIPE;
	}
	if (r > 0 && c->check && !pattern_ok(buf, (size_t)r, pos))
		return -EILSEQ;
	/*
	 * The application uses what it reads: every reader sums its bytes,
	 * the copying ones in their buffer, zero copy in the ring, so that
	 * zero copy is not charged for work the others skip.
	 */
	if (r > 0 && api != API_EVTCHN)
		c->sink += touch_bytes(buf, (size_t)r);
	return r;
}

static void
chan_set_blocking(struct chan *c, bool blocking)
{
	switch (c->api) {
	case API_COPY:
	case API_ZC:
		gntring_set_blocking(c->g, blocking);
		break;
	case API_VCHAN:
		/* A signed 1-bit field in Debian's 4.17 header: -1 is "true". */
		c->v->blocking = blocking ? -1 : 0;
		break;
	case API_EVTCHN:
		break;
	default: {
		int fds[2] = { c->rfd, c->wfd };

		for (int i = 0; i < 2; i++) {
			int fl = fcntl(fds[i], F_GETFL);

			fcntl(fds[i], F_SETFL, blocking ? fl & ~O_NONBLOCK :
			      fl | O_NONBLOCK);
		}
	}
	}
}

/*
 * Non-blocking mode: sleep until reading or writing (as wanted) may
 * progress.  Each library arms its wake-ups its own way first.
 */
static int
chan_wait(struct chan *c, bool want_read, bool want_write)
{
	switch (c->api) {
	case API_COPY:
	case API_ZC: {
		int r = gntring_wait(c->g, -1);

		return r < 0 ? r : 0;
	}
	case API_VCHAN:
		/* data_ready/buffer_space arm the notify bits (spec §3.5). */
		if (want_read && libxenvchan_data_ready(c->v) > 0)
			return 0;
		if (want_write && libxenvchan_buffer_space(c->v) > 0)
			return 0;
		if (libxenvchan_is_open(c->v) == 0)
			return -EPIPE;
		return libxenvchan_wait(c->v) < 0 ? -EIO : 0;
	default: {
		struct pollfd pfd[2] = {
			{ .fd = c->rfd, .events = want_read ? POLLIN : 0 },
			{ .fd = c->wfd, .events = want_write ? POLLOUT : 0 },
		};

		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			return -errno;
		return 0;
	}
	}
}

/* ------------------------------------------------------------------ */
/* Worker: the measured loops                                           */

struct worker {
	struct chan chan;
	uint8_t *wbuf, *rbuf;
	size_t buf_cap;
};

static void
worker_buffers(struct worker *w, size_t chunk)
{
	if (chunk <= w->buf_cap)
		return;
	free(w->wbuf);
	free(w->rbuf);
	w->wbuf = xmalloc(chunk);
	w->rbuf = xmalloc(chunk);
	memset(w->wbuf, 0xa5, chunk);
	memset(w->rbuf, 0, chunk);
	w->buf_cap = chunk;
}

/* Does this writer produce its chunk in its buffer before writing it? */
static bool
writer_produces(enum api api)
{
	return api != API_ZC && api != API_EVTCHN;
}

/* Write `bytes` as chunks of `chunk`; a chunk is one write call each time it fits. */
static int
run_send(struct worker *w, enum api api, uint64_t bytes, size_t chunk,
	 uint64_t *t_start)
{
	uint64_t pos = 0;

	*t_start = now_ns();
	while (pos < bytes) {
		size_t len = bytes - pos < chunk ? (size_t)(bytes - pos) : chunk;
		size_t off = 0;

		if (writer_produces(api))
			produce_bytes(w->wbuf, len, pos, w->chan.check);
		while (off < len) {
			ssize_t r = chan_write(&w->chan, api, w->wbuf + off,
					       len - off, pos + off);

			if (r < 0)
				return (int)r;
			off += (size_t)r;
		}
		pos += len;
	}
	return 0;
}

static int
run_recv(struct worker *w, enum api api, uint64_t bytes, size_t chunk,
	 uint64_t *t_end)
{
	uint64_t pos = 0;

	while (pos < bytes) {
		size_t len = bytes - pos < chunk ? (size_t)(bytes - pos) : chunk;
		ssize_t r = chan_read(&w->chan, api, w->rbuf, len, pos);

		if (r < 0)
			return (int)r;
		pos += (size_t)r;
	}
	*t_end = now_ns();
	return 0;
}

/* Both directions at once from one thread: non-blocking, as select users do. */
static int
run_both(struct worker *w, enum api api, uint64_t bytes, size_t chunk,
	 uint64_t *t_start, uint64_t *t_end)
{
	uint64_t sent = 0, got = 0;
	size_t woff = 0;
	int err = 0;

	chan_set_blocking(&w->chan, false);
	*t_start = now_ns();
	while (sent < bytes || got < bytes) {
		bool progress = false;

		if (sent < bytes) {
			size_t len = bytes - sent + woff < chunk ?
				     (size_t)(bytes - sent + woff) : chunk;
			ssize_t r;

			if (woff == 0 && writer_produces(api))
				produce_bytes(w->wbuf, len, sent, w->chan.check);
			r = chan_write(&w->chan, api, w->wbuf + woff, len - woff,
				       sent);
			if (r < 0) {
				err = (int)r;
				break;
			}
			if (r > 0) {
				progress = true;
				sent += (size_t)r;
				woff += (size_t)r;
				if (woff == len)
					woff = 0;
			}
		}
		if (got < bytes) {
			size_t len = bytes - got < chunk ? (size_t)(bytes - got) : chunk;
			ssize_t r = chan_read(&w->chan, api, w->rbuf, len, got);

			if (r < 0) {
				err = (int)r;
				break;
			}
			if (r > 0) {
				progress = true;
				got += (size_t)r;
			}
		}
		if (!progress) {
			err = chan_wait(&w->chan, got < bytes, sent < bytes);
			if (err < 0)
				break;
		}
	}
	*t_end = now_ns();
	chan_set_blocking(&w->chan, true);
	return err;
}

static int
exchange_one(struct worker *w, enum api api, bool send_first)
{
	for (int step = 0; step < 2; step++) {
		bool sending = (step == 0) == send_first;
		size_t off = 0;

		while (off < PING_BYTES) {
			ssize_t r = sending ?
				chan_write(&w->chan, api, w->wbuf + off,
					   PING_BYTES - off, off) :
				chan_read(&w->chan, api, w->rbuf,
					  PING_BYTES - off, off);

			if (r < 0)
				return (int)r;
			off += (size_t)r;
		}
	}
	return 0;
}

static int
run_ping(struct worker *w, enum api api, uint64_t iters,
	 struct ctl_reply *rep)
{
	uint64_t *lat = xmalloc(iters * sizeof(*lat));
	int err = 0;

	pattern_fill(w->wbuf, PING_BYTES, 0);

	rep->t_start_ns = now_ns();
	for (uint64_t i = 0; i < iters && err == 0; i++) {
		uint64_t t0 = now_ns();

		err = exchange_one(w, api, true);
		lat[i] = now_ns() - t0;
	}
	rep->t_end_ns = now_ns();
	if (err == 0) {
		qsort(lat, iters, sizeof(*lat), cmp_u64);
		rep->lat_median_ns = lat[iters / 2];
		rep->lat_p99_ns = lat[iters - 1 - iters / 100];
	}
	free(lat);
	return err;
}

static int
run_pong(struct worker *w, enum api api, uint64_t iters)
{
	pattern_fill(w->wbuf, PING_BYTES, 0);
	for (uint64_t i = 0; i < iters; i++) {
		int err = exchange_one(w, api, false);

		if (err < 0)
			return err;
	}
	return 0;
}

/* Say hello (with a value for the orchestrator), then execute commands until QUIT. */
static int
worker_serve(struct chan *c, uint64_t hello_value)
{
	struct worker w = { .chan = *c };
	struct ctl_reply hello = { .lat_median_ns = hello_value };

	worker_buffers(&w, 64 * KiB);
	chan_set_blocking(&w.chan, true);
	if (ctl_write(CTL_FD, &hello, sizeof(hello)) < 0)
		return 1;
	for (;;) {
		struct ctl_cmd cmd;
		struct ctl_reply rep = { 0 };
		char go;
		int err = 0;

		if (ctl_read(CTL_FD, &cmd, sizeof(cmd), -1) < 0)
			return 1;
		if (cmd.op == OP_QUIT)
			break;
		worker_buffers(&w, cmd.chunk > PING_BYTES ? cmd.chunk : PING_BYTES);
		/* Ready, then wait for the go that both ends of the pair get. */
		if (ctl_write(CTL_FD, &rep, sizeof(rep)) < 0 ||
		    ctl_read(CTL_FD, &go, 1, -1) < 0)
			return 1;
		switch (cmd.op) {
		case OP_SEND:
			err = run_send(&w, cmd.api, cmd.bytes, cmd.chunk,
				       &rep.t_start_ns);
			break;
		case OP_RECV:
			err = run_recv(&w, cmd.api, cmd.bytes, cmd.chunk,
				       &rep.t_end_ns);
			break;
		case OP_BOTH:
			err = run_both(&w, cmd.api, cmd.bytes, cmd.chunk,
				       &rep.t_start_ns, &rep.t_end_ns);
			break;
		case OP_PING:
			err = run_ping(&w, cmd.api, cmd.iters, &rep);
			break;
		case OP_PONG:
			err = run_pong(&w, cmd.api, cmd.iters);
			break;
		default:
			err = -EINVAL;
		}
		rep.status = err;
		if (err < 0)
			snprintf(rep.msg, sizeof(rep.msg), "%s op %u: %s",
				 api_names[cmd.api], cmd.op, strerror(-err));
		if (ctl_write(CTL_FD, &rep, sizeof(rep)) < 0)
			return 1;
	}
	/* The peer may still need bytes we wrote: the orchestrator waits for both. */
	free(w.wbuf);
	free(w.rbuf);
	return 0;
}

/* Set up a simulated-domain channel end and serve (the --worker mode). */
static int
worker_main(bool server, enum api api, uint64_t ring, uint16_t peer,
	    const char *path, bool check)
{
	struct chan c = { .api = api, .rfd = -1, .wfd = -1, .check = check };
	struct ctl_reply fail = { .status = -EIO };
	int rc;

	if (api == API_EVTCHN) {
		/* The server's port travels to the client through the orchestrator. */
		xenevtchn_port_or_error_t port;

		c.evh = xenevtchn_open(NULL, 0);
		if (c.evh == NULL)
			goto fail;
		port = server ? xenevtchn_bind_unbound_port(c.evh, peer) :
				xenevtchn_bind_interdomain(c.evh, peer,
							   (evtchn_port_t)atoi(path));
		if (port < 0 || xenevtchn_unmask(c.evh, (evtchn_port_t)port) < 0)
			goto fail;
		c.port = (evtchn_port_t)port;
		rc = worker_serve(&c, c.port);
		xenevtchn_unbind(c.evh, c.port);
		xenevtchn_close(c.evh);
		return rc;
	}
	if (api == API_VCHAN) {
		if (server) {
			c.v = libxenvchan_server_init(NULL, peer, path, ring, ring);
		} else {
			/* libxenvchan's client does not wait for the server. */
			uint64_t deadline = now_ns() + 20000000000ull;

			while ((c.v = libxenvchan_client_init(NULL, peer, path)) == NULL &&
			       now_ns() < deadline)
				usleep(5000);
		}
		if (c.v != NULL) {
			c.v->blocking = -1;	/* never initialised by the library */
			while (server && libxenvchan_is_open(c.v) == 2)
				libxenvchan_wait(c.v);
		}
	} else {
		c.g = server ? gntring_listen(peer, path, ring, ring, 0) :
			       gntring_connect(peer, path, 20000, 0);
		while (server && c.g != NULL && gntring_state(c.g) == GNTRING_WAITING)
			gntring_wait(c.g, 1000);
	}
	if (c.g == NULL && c.v == NULL) {
fail:
		snprintf(fail.msg, sizeof(fail.msg), "%s %s init: %s",
			 api_names[api], server ? "server" : "client",
			 strerror(errno));
		ctl_write(CTL_FD, &fail, sizeof(fail));
		return 1;
	}
	rc = worker_serve(&c, 0);
	if (c.g != NULL)
		gntring_close(c.g);
	if (c.v != NULL)
		libxenvchan_close(c.v);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Orchestrator                                                         */

struct options {
	bool quick, json, check;
	const char *json_file;	/* --json-file: JSON there as well as the tables */
	int reps;
	double seconds;		/* target length of one measurement */
	uint64_t rings[8];
	int nrings;
	uint64_t chunks[8];
	int nchunks;
	uint64_t fixed_amount;		/* --amount: no calibration (for profiling) */
	const char *exp_libdir;		/* --exp-libdir: a second libgntring, A/B */
	bool skip_api[API_COUNT];	/* --apis leaves these out */
	bool skip_kind[KIND_COUNT];	/* --kinds leaves these out */
	bool no_pin;			/* --no-pin: the scheduler places workers */
	int pin[2];			/* --pin S,C: CPUs of server and client */
};

static char self_exe[PATH_MAX];
static char xensim_exe[PATH_MAX];

/* A running worker, reached through its control socket. */
struct peer {
	pid_t pid;
	int ctl;
};

struct pair {
	enum api api;		/* API_COPY pairs also run API_ZC */
	struct peer server, client;	/* server writes in one-way tests */
};

static void
peer_stop(struct peer *p, bool kill_it)
{
	struct ctl_cmd quit = { .op = OP_QUIT };

	if (p->pid <= 0)
		return;
	if (!kill_it)
		ctl_write(p->ctl, &quit, sizeof(quit));
	else
		kill(p->pid, SIGTERM);
	close(p->ctl);
	waitpid(p->pid, NULL, 0);
	p->pid = -1;
}

/* Start a worker: `argv` runs with fd 3 as its control socket. */
static const char *exp_libdir_env;	/* LD_LIBRARY_PATH for the next sim worker */

/*
 * The CPUs of every pair's server and client (-1: not pinned).  Two
 * workers left to the scheduler on a 2-CPU machine are now and then put on
 * one CPU, where they alternate by sleeping and waking, so that one case
 * measured 4 GB/s in some repetitions and 36 GB/s in others.  Pinned, each
 * figure measures the library with its two ends on two CPUs, every time.
 */
static int pin_cpu[2] = { -1, -1 };

static void
pin_self(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0) {
		fprintf(stderr, "%s: pin to CPU %d: %s\n", prog, cpu,
			strerror(errno));
		_exit(127);
	}
}

static void
peer_start(struct peer *p, bool server, char *const argv[],
	   void (*child_fn)(void *), void *arg)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		die("socketpair: %s", strerror(errno));
	p->pid = fork();
	if (p->pid < 0)
		die("fork: %s", strerror(errno));
	if (p->pid == 0) {
		if (dup2(sv[1], CTL_FD) < 0)
			_exit(127);
		/* Inherited through exec, by xensim run and the worker. */
		pin_self(pin_cpu[server ? 0 : 1]);
		if (argv != NULL) {
			if (exp_libdir_env != NULL)
				setenv("LD_LIBRARY_PATH", exp_libdir_env, 1);
			execv(argv[0], argv);
			fprintf(stderr, "%s: %s: %s\n", prog, argv[0], strerror(errno));
			_exit(127);
		}
		child_fn(arg);
		_exit(0);
	}
	close(sv[1]);
	p->ctl = sv[0];
}

/* The worker is set up; returns the value its hello carries. */
static uint64_t
peer_expect_hello(struct peer *p, const char *what)
{
	struct ctl_reply rep;
	int err = ctl_read(p->ctl, &rep, sizeof(rep), 60000);

	if (err < 0)
		die("%s: no answer from the worker: %s", what, strerror(-err));
	if (rep.status < 0)
		die("%s: %s", what, rep.msg);
	return rep.lat_median_ns;
}

static unsigned int pair_serial;

#define WORKER_ARGV_MAX 32

/*
 * The command line of a simulated-domain worker: xensim run --domid D --
 * [$GNTRING_BENCH_WRAP...] self --worker ROLE API RING PEER PATH CHECK.
 * The wrapper (e.g. "valgrind --tool=callgrind") is for profiling.
 */
static void
sim_worker_argv(char **argv, char *wrap_copy, bool server, enum api api,
		char *ringtext, char *path, bool check)
{
	const char *wrap = getenv("GNTRING_BENCH_WRAP");
	char *save = NULL, *word;
	int n = 0;

	argv[n++] = xensim_exe;
	argv[n++] = "run";
	argv[n++] = "--domid";
	argv[n++] = server ? "1" : "0";
	argv[n++] = "--";
	if (wrap != NULL) {
		snprintf(wrap_copy, 256, "%s", wrap);
		for (word = strtok_r(wrap_copy, " ", &save);
		     word != NULL && n < WORKER_ARGV_MAX - 10;
		     word = strtok_r(NULL, " ", &save))
			argv[n++] = word;
	}
	argv[n++] = self_exe;
	argv[n++] = "--worker";
	argv[n++] = server ? "server" : "client";
	argv[n++] = (char *)api_names[api == API_EXP ? API_COPY : api];
	argv[n++] = ringtext;
	argv[n++] = server ? "0" : "1";
	argv[n++] = path;
	argv[n++] = check ? "check" : "-";
	argv[n] = NULL;
}

static void
pair_start_sim(struct pair *pr, enum api api, uint64_t ring, bool check,
	       const char *libdir)
{
	char path[96], ringtext[32], srvpath[128], wrap_srv[256], wrap_cli[256];
	char *srv[WORKER_ARGV_MAX], *cli[WORKER_ARGV_MAX];

	pr->api = api;
	snprintf(path, sizeof(path), "data/gntring-bench/%d-%u", (int)getpid(),
		 pair_serial++);
	snprintf(srvpath, sizeof(srvpath), "/local/domain/1/%s", path);
	snprintf(ringtext, sizeof(ringtext), "%" PRIu64, ring);
	sim_worker_argv(srv, wrap_srv, true, api, ringtext, srvpath, check);
	sim_worker_argv(cli, wrap_cli, false, api, ringtext, srvpath, check);
	exp_libdir_env = libdir;
	peer_start(&pr->server, true, srv, NULL, NULL);
	if (api == API_EVTCHN) {
		/* The client binds to the port the server got. */
		snprintf(srvpath, sizeof(srvpath), "%" PRIu64,
			 peer_expect_hello(&pr->server, api_names[api]));
		peer_start(&pr->client, false, cli, NULL, NULL);
		exp_libdir_env = NULL;
		peer_expect_hello(&pr->client, api_names[api]);
		return;
	}
	peer_start(&pr->client, false, cli, NULL, NULL);
	exp_libdir_env = NULL;
	peer_expect_hello(&pr->server, api_names[api]);
	peer_expect_hello(&pr->client, api_names[api]);
}

/* Baselines: two forked processes joined by pipes or a socket pair. */
struct fd_end {
	enum api api;
	int rfd, wfd;
	bool check;
};

static void
fd_worker(void *arg)
{
	struct fd_end *e = arg;
	struct chan c = { .api = e->api, .rfd = e->rfd, .wfd = e->wfd,
			  .check = e->check };

	exit(worker_serve(&c, 0));
}

static void
pair_start_fds(struct pair *pr, enum api api, bool check)
{
	struct fd_end ends[2];
	int a[2], b[2];

	pr->api = api;
	if (api == API_PIPE) {
		if (pipe2(a, O_CLOEXEC) < 0 || pipe2(b, O_CLOEXEC) < 0)
			die("pipe: %s", strerror(errno));
		/* server writes a[1], reads b[0]; client the reverse */
		ends[0] = (struct fd_end){ api, b[0], a[1], check };
		ends[1] = (struct fd_end){ api, a[0], b[1], check };
	} else {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, a) < 0)
			die("socketpair: %s", strerror(errno));
		b[0] = b[1] = -1;
		ends[0] = (struct fd_end){ api, a[0], a[0], check };
		ends[1] = (struct fd_end){ api, a[1], a[1], check };
	}
	peer_start(&pr->server, true, NULL, fd_worker, &ends[0]);
	peer_start(&pr->client, false, NULL, fd_worker, &ends[1]);
	for (int i = 0; i < 2; i++) {
		close(a[i]);
		if (b[i] >= 0)
			close(b[i]);
	}
	peer_expect_hello(&pr->server, api_names[api]);
	peer_expect_hello(&pr->client, api_names[api]);
}

static void
pair_stop(struct pair *pr)
{
	peer_stop(&pr->server, false);
	peer_stop(&pr->client, false);
}

/* Run one command on both ends of a pair; the two replies. */
static void
pair_run(struct pair *pr, const struct ctl_cmd *srv_cmd,
	 const struct ctl_cmd *cli_cmd, struct ctl_reply *srv_rep,
	 struct ctl_reply *cli_rep)
{
	struct peer *ends[2] = { &pr->server, &pr->client };
	const struct ctl_cmd *cmds[2] = { srv_cmd, cli_cmd };
	struct ctl_reply *reps[2] = { srv_rep, cli_rep };
	char go = 'g';

	for (int i = 0; i < 2; i++)
		if (ctl_write(ends[i]->ctl, cmds[i], sizeof(*cmds[i])) < 0)
			die("%s: worker gone", api_names[srv_cmd->api]);
	for (int i = 0; i < 2; i++)
		if (ctl_read(ends[i]->ctl, reps[i], sizeof(*reps[i]), CTL_TIMEOUT_MS) < 0)
			die("%s: worker not ready", api_names[srv_cmd->api]);
	for (int i = 0; i < 2; i++)
		if (ctl_write(ends[i]->ctl, &go, 1) < 0)
			die("%s: worker gone", api_names[srv_cmd->api]);
	for (int i = 0; i < 2; i++) {
		int err = ctl_read(ends[i]->ctl, reps[i], sizeof(*reps[i]),
				   CTL_TIMEOUT_MS);

		if (err < 0)
			die("%s op %u: no result (%s): a hang or a crash",
			    api_names[srv_cmd->api], cmds[i]->op, strerror(-err));
		if (reps[i]->status < 0)
			die("%s", reps[i]->msg);
	}
}

/* One measurement: MB/s (throughput kinds) or round-trip latency. */
struct sample {
	double mbps;
	double lat_median_us, lat_p99_us;
	double seconds;
};

static struct sample
measure(struct pair *pr, enum api api, enum kind kind, uint64_t chunk,
	uint64_t amount)
{
	/* The experimental library's workers run the plain copy API. */
	struct ctl_cmd s = { .api = api == API_EXP ? API_COPY : api,
			     .chunk = chunk, .bytes = amount, .iters = amount };
	struct ctl_cmd c = s;
	struct ctl_reply sr, cr;
	struct sample out = { 0 };

	switch (kind) {
	case KIND_ONEWAY:
		s.op = OP_SEND;
		c.op = OP_RECV;
		pair_run(pr, &s, &c, &sr, &cr);
		out.seconds = (double)(cr.t_end_ns - sr.t_start_ns) / 1e9;
		out.mbps = (double)amount / out.seconds / 1e6;
		break;
	case KIND_BOTHWAYS: {
		s.op = c.op = OP_BOTH;
		pair_run(pr, &s, &c, &sr, &cr);
		uint64_t t0 = sr.t_start_ns < cr.t_start_ns ? sr.t_start_ns : cr.t_start_ns;
		uint64_t t1 = sr.t_end_ns > cr.t_end_ns ? sr.t_end_ns : cr.t_end_ns;

		out.seconds = (double)(t1 - t0) / 1e9;
		/* Bytes moved in both directions together. */
		out.mbps = 2.0 * (double)amount / out.seconds / 1e6;
		break;
	}
	default:
		s.op = OP_PONG;
		c.op = OP_PING;	/* the client (dom0) times the round trips */
		s.chunk = c.chunk = PING_BYTES;
		pair_run(pr, &s, &c, &sr, &cr);
		out.seconds = (double)(cr.t_end_ns - cr.t_start_ns) / 1e9;
		out.lat_median_us = (double)cr.lat_median_ns / 1e3;
		out.lat_p99_us = (double)cr.lat_p99_ns / 1e3;
		break;
	}
	return out;
}

/*
 * Pick the amount (bytes or round trips) for a measurement of about
 * `seconds`: grow a trial run until it lasts a tenth of that, then scale.
 * The trial runs double as warm-up.
 */
static uint64_t
calibrate(struct pair *pr, enum api api, enum kind kind, uint64_t chunk,
	  double seconds)
{
	uint64_t amount = kind == KIND_PINGPONG ? 64 :
			  (chunk * 4 > 256 * KiB ? chunk * 4 : 256 * KiB);
	uint64_t cap = kind == KIND_PINGPONG ? 2000000 : 64ull << 30;

	for (;;) {
		struct sample s = measure(pr, api, kind, chunk, amount);
		double grow;

		if (s.seconds <= 0)
			s.seconds = 1e-6;
		grow = seconds / s.seconds;
		if (s.seconds >= seconds / 10 || amount >= cap) {
			double scaled = (double)amount * grow;

			amount = scaled < 1 ? 1 : (uint64_t)scaled;
			break;
		}
		amount = (uint64_t)((double)amount * (grow > 64 ? 64 : grow));
	}
	if (amount > cap)
		amount = cap;
	if (kind != KIND_PINGPONG && amount < chunk)
		amount = chunk;
	return amount;
}

/* ------------------------------------------------------------------ */
/* Results                                                             */

#define MAX_REPS 64

struct result {
	enum kind kind;
	enum api api;
	uint64_t ring;	/* 0: vchan default; UINT64_MAX: not a ring */
	uint64_t chunk;
	uint64_t amount;
	int n;
	double value[MAX_REPS];		/* MB/s, or latency median µs */
	double p99[MAX_REPS];		/* latency p99 µs */
	double med, med_p99;
};

static struct result *results;
static size_t nresults, results_cap;

static struct result *
result_new(enum kind kind, enum api api, uint64_t ring, uint64_t chunk)
{
	struct result *r;

	if (nresults == results_cap) {
		results_cap = results_cap ? results_cap * 2 : 64;
		results = realloc(results, results_cap * sizeof(*results));
		if (results == NULL)
			die("out of memory");
	}
	r = &results[nresults++];
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->api = api;
	r->ring = ring;
	r->chunk = chunk;
	return r;
}

static const struct result *
result_find(enum kind kind, enum api api, uint64_t ring, uint64_t chunk)
{
	for (size_t i = 0; i < nresults; i++) {
		const struct result *r = &results[i];

		if (r->kind == kind && r->api == api && r->ring == ring &&
		    r->chunk == chunk)
			return r;
	}
	return NULL;
}

/*
 * --stat best: the fastest run instead of the median.  Interference from
 * other load only ever slows a run down, so on a busy machine the best run
 * is the steadier estimate of what the code itself costs.
 */
static bool stat_best;
static bool stat_both;	/* --stat both: the median tables, then the best ones */

static void
result_finish(struct result *r)
{
	bool lower_is_better = r->kind == KIND_PINGPONG;

	r->med = median(r->value, (size_t)r->n);
	r->med_p99 = median(r->p99, (size_t)r->n);
	if (!stat_best)
		return;
	for (int k = 0; k < r->n; k++) {
		if (k == 0 || (lower_is_better ? r->value[k] < r->med :
			       r->value[k] > r->med))
			r->med = r->value[k];
		if (k == 0 || r->p99[k] < r->med_p99)
			r->med_p99 = r->p99[k];
	}
}

static const char *
stat_name(void)
{
	return stat_best ? "best" : "median";
}

static void
progress(const char *fmt, ...)
{
	va_list ap;

	if (!isatty(STDERR_FILENO))
		return;
	va_start(ap, fmt);
	fputs("\r\033[K", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fflush(stderr);
}

/*
 * Measure `kind` for every pair at this chunk: calibrate each, then
 * `reps` rounds, each round visiting every pair once.
 */
static void
measure_interleaved(struct pair **pairs, const enum api *apis, int npairs,
		    enum kind kind, uint64_t ring, uint64_t chunk,
		    const struct options *o)
{
	struct pair *kept[8];
	enum api kept_apis[8];
	size_t res[8];	/* indices: result_new() may move the array */
	char rl[24], cl[24];
	int n = 0;

	if (o->skip_kind[kind])
		return;
	for (int i = 0; i < npairs; i++) {
		if (!o->skip_api[apis[i]]) {
			kept[n] = pairs[i];
			kept_apis[n++] = apis[i];
		}
	}
	pairs = kept;
	apis = kept_apis;
	npairs = n;
	for (int i = 0; i < npairs; i++) {
		progress("%s %s ring %s chunk %s: calibrating", api_names[apis[i]],
			 kind_names[kind], size_label(ring, rl, sizeof(rl)),
			 size_label(chunk, cl, sizeof(cl)));
		result_new(kind, apis[i], ring, chunk);
		res[i] = nresults - 1;
		results[res[i]].amount = o->fixed_amount ? o->fixed_amount :
			calibrate(pairs[i], apis[i], kind, chunk, o->seconds);
	}
	for (int rep = 0; rep < o->reps; rep++) {
		for (int i = 0; i < npairs; i++) {
			struct result *r = &results[res[i]];
			struct sample s = measure(pairs[i], apis[i], kind, chunk,
						  r->amount);

			progress("%s %s ring %s chunk %s: rep %d", api_names[apis[i]],
				 kind_names[kind], size_label(ring, rl, sizeof(rl)),
				 size_label(chunk, cl, sizeof(cl)), rep + 1);
			r->value[r->n] = kind == KIND_PINGPONG ? s.lat_median_us : s.mbps;
			r->p99[r->n] = s.lat_p99_us;
			r->n++;
		}
	}
	for (int i = 0; i < npairs; i++)
		result_finish(&results[res[i]]);
}

/* memcpy of `chunk` between two hot buffers: MB/s. */
static double
memcpy_rate(uint64_t chunk, double seconds, uint64_t *iters_io)
{
	static void *(*volatile copy_fn)(void *, const void *, size_t) = memcpy;
	uint8_t *src = xmalloc(chunk), *dst = xmalloc(chunk);
	uint64_t iters = *iters_io, t0, t1;

	memset(src, 0x5a, chunk);
	memset(dst, 0, chunk);
	if (iters == 0) {
		/* Calibrate: double until a tenth of the target. */
		for (iters = 16;; iters *= 2) {
			t0 = now_ns();
			for (uint64_t i = 0; i < iters; i++)
				copy_fn(dst, src, chunk);
			t1 = now_ns();
			if ((double)(t1 - t0) / 1e9 >= seconds / 10)
				break;
		}
		iters = (uint64_t)((double)iters * seconds /
				   ((double)(t1 - t0) / 1e9)) + 1;
		*iters_io = iters;
	}
	t0 = now_ns();
	for (uint64_t i = 0; i < iters; i++)
		copy_fn(dst, src, chunk);
	t1 = now_ns();
	free(src);
	free(dst);
	return (double)chunk * (double)iters / ((double)(t1 - t0) / 1e9) / 1e6;
}

/* ------------------------------------------------------------------ */
/* Report                                                              */

static char cpu_model[128] = "unknown";
static char load_start[64], load_end[64];

static void
read_loadavg(char *buf, size_t cap)
{
	FILE *f = fopen("/proc/loadavg", "r");

	snprintf(buf, cap, "unknown");
	if (f != NULL) {
		if (fgets(buf, (int)cap, f) != NULL)
			buf[strcspn(buf, "\n")] = '\0';
		fclose(f);
	}
}

static void
read_cpu_model(void)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256];

	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) == 0 && colon != NULL) {
			colon++;
			while (*colon == ' ' || *colon == '\t')
				colon++;
			colon[strcspn(colon, "\n")] = '\0';
			snprintf(cpu_model, sizeof(cpu_model), "%s", colon);
			break;
		}
	}
	fclose(f);
}

static double
value_of(enum kind kind, enum api api, uint64_t ring, uint64_t chunk)
{
	const struct result *r = result_find(kind, api, ring, chunk);

	return r != NULL ? r->med : 0;
}

static double
p99_of(enum api api, uint64_t ring)
{
	const struct result *r = result_find(KIND_PINGPONG, api, ring, PING_BYTES);

	return r != NULL ? r->med_p99 : 0;
}

static void
print_ratio(double num, double den)
{
	if (num > 0 && den > 0)
		printf(" %9.2f", num / den);
	else
		printf(" %9s", "-");
}

static void
print_throughput_table(const struct options *o, enum kind kind)
{
	bool exp = o->exp_libdir != NULL;
	char rl[24], cl[24];

	if (o->skip_kind[kind])
		return;
	printf("\n%s throughput, MB/s (10^6 B/s), %s of %d%s\n",
	       kind == KIND_ONEWAY ? "One-way" : "Both-ways (sum of both directions)",
	       stat_name(), o->reps, kind == KIND_ONEWAY ? "; domain 1 (server) writes, domain 0 reads" : "");
	printf("%-6s %-6s %10s %10s %10s", "ring", "chunk", "gntring", "gntring-zc",
	       "xenvchan");
	if (exp)
		printf(" %11s", "gntring-exp");
	printf(" %9s %9s %9s %9s %9s", "copy/vch", "zc/vch", "copy/pipe", "copy/mc2",
	       "zc/mc2");
	printf(exp ? " %9s\n" : "\n", "exp/vch");
	for (int i = 0; i < o->nrings; i++) {
		for (int j = 0; j < o->nchunks; j++) {
			uint64_t ring = o->rings[i], chunk = o->chunks[j];
			double copy = value_of(kind, API_COPY, ring, chunk);
			double zc = value_of(kind, API_ZC, ring, chunk);
			double vch = value_of(kind, API_VCHAN, ring, chunk);
			double ex = value_of(kind, API_EXP, ring, chunk);
			double pipe_v = value_of(kind, API_PIPE, UINT64_MAX, chunk);
			double mc = value_of(KIND_ONEWAY, API_MEMCPY, UINT64_MAX, chunk);

			printf("%-6s %-6s %10.1f %10.1f %10.1f",
			       size_label(ring, rl, sizeof(rl)),
			       size_label(chunk, cl, sizeof(cl)), copy, zc, vch);
			if (exp)
				printf(" %11.1f", ex);
			print_ratio(copy, vch);
			print_ratio(zc, vch);
			print_ratio(copy, pipe_v);
			/* A channel copies each byte twice: half of memcpy is the limit. */
			print_ratio(copy, mc / 2);
			print_ratio(zc, mc / 2);
			if (exp)
				print_ratio(ex, vch);
			printf("\n");
		}
	}
}

static void
print_report(const struct options *o, int argc, char **argv)
{
	struct utsname un;
	char cl[24], rl[24];

	uname(&un);
	printf("gntring-bench: libgntring %s vs libxenvchan (Debian, as shipped) in xensim\n",
	       gntring_version());
	printf("command:");
	for (int i = 0; i < argc; i++)
		printf(" %s", argv[i]);
	printf("\nmachine: %s, %ld CPUs online, %s %s\n", cpu_model,
	       sysconf(_SC_NPROCESSORS_ONLN), un.sysname, un.release);
	printf("loadavg: start %s; end %s\n", load_start, load_end);
	printf("xensim daemon busy-poll window: %s\n",
	       getenv("XENSIM_SPIN_US") ? getenv("XENSIM_SPIN_US") :
	       "simulator default (XENSIM_SPIN_US unset)");
	printf("libgntring spin before sleeping: %s\n", bench_spin_text());
	if (pin_cpu[0] >= 0)
		printf("placement: every server on CPU %d, every client on CPU %d "
		       "(--no-pin: the scheduler's choice)\n", pin_cpu[0],
		       pin_cpu[1]);
	else
		printf("placement: the scheduler's choice (not pinned)\n");
	if (o->exp_libdir != NULL)
		printf("gntring-exp: %s/libgntring.so.1\n", o->exp_libdir);
	printf("each figure: %s of %d runs of ~%.2f s%s\n", stat_name(), o->reps,
	       o->seconds,
	       o->check ? " (with data checks: slower)" : "");

	if (o->skip_kind[KIND_ONEWAY] && o->skip_kind[KIND_BOTHWAYS])
		goto tables;
	printf("\nBaselines, MB/s, %s of %d (pipe: default 64 KiB; unix: "
	       "default buffers)\n", stat_name(), o->reps);
	printf("%-6s %10s %10s %10s %10s %10s %10s\n", "chunk", "pipe-1way",
	       "unix-1way", "pipe-2way", "unix-2way", "memcpy", "memcpy/2");
	for (int j = 0; j < o->nchunks; j++) {
		uint64_t c = o->chunks[j];
		double mc = value_of(KIND_ONEWAY, API_MEMCPY, UINT64_MAX, c);

		printf("%-6s %10.1f %10.1f %10.1f %10.1f %10.1f %10.1f\n",
		       size_label(c, cl, sizeof(cl)),
		       value_of(KIND_ONEWAY, API_PIPE, UINT64_MAX, c),
		       value_of(KIND_ONEWAY, API_UNIX, UINT64_MAX, c),
		       value_of(KIND_BOTHWAYS, API_PIPE, UINT64_MAX, c),
		       value_of(KIND_BOTHWAYS, API_UNIX, UINT64_MAX, c), mc, mc / 2);
	}
tables:
	print_throughput_table(o, KIND_ONEWAY);
	print_throughput_table(o, KIND_BOTHWAYS);

	if (o->skip_kind[KIND_PINGPONG])
		goto legend;
	printf("\nPing-pong, %d B round trip, µs: median (p99), %s of %d runs\n"
	       "bare simulated event channel (two wake-ups, no data): %.1f (%.1f)\n",
	       PING_BYTES, stat_name(), o->reps,
	       value_of(KIND_PINGPONG, API_EVTCHN, UINT64_MAX, PING_BYTES),
	       p99_of(API_EVTCHN, UINT64_MAX));
	printf("pipe %.1f (%.1f), unix %.1f (%.1f)\n",
	       value_of(KIND_PINGPONG, API_PIPE, UINT64_MAX, PING_BYTES),
	       p99_of(API_PIPE, UINT64_MAX),
	       value_of(KIND_PINGPONG, API_UNIX, UINT64_MAX, PING_BYTES),
	       p99_of(API_UNIX, UINT64_MAX));
	printf("%-6s %18s %18s %18s", "ring", "gntring", "gntring-zc", "xenvchan");
	if (o->exp_libdir != NULL)
		printf(" %18s", "gntring-exp");
	printf(" %9s %9s", "copy/vch", "zc/vch");
	printf(o->exp_libdir != NULL ? " %9s\n" : "\n", "exp/vch");
	for (int i = 0; i < o->nrings; i++) {
		static const enum api cols[4] = { API_COPY, API_ZC, API_VCHAN, API_EXP };
		uint64_t ring = o->rings[i];
		int ncols = o->exp_libdir != NULL ? 4 : 3;
		double med[4];
		char cell[4][32];

		printf("%-6s", size_label(ring, rl, sizeof(rl)));
		for (int a = 0; a < ncols; a++) {
			med[a] = value_of(KIND_PINGPONG, cols[a], ring, PING_BYTES);
			snprintf(cell[a], sizeof(cell[a]), "%.1f (%.1f)", med[a],
				 p99_of(cols[a], ring));
			printf(" %18s", cell[a]);
		}
		print_ratio(med[0], med[2]);
		print_ratio(med[1], med[2]);
		if (ncols == 4)
			print_ratio(med[3], med[2]);
		printf("\n");
	}
legend:
	printf("\ncopy/vch, zc/vch: libgntring copy / zero-copy API over libxenvchan "
	       "(throughput: higher is better; latency: lower is better);\n"
	       "copy/pipe: over the pipe; copy/mc2, zc/mc2: over half of memcpy "
	       "bandwidth of the same chunk (each byte is copied twice).\n");
}

/* GNTRING_SPIN_US as the workers' libgntring reads it (0: unset or bad). */
static unsigned int
bench_spin_us(void)
{
	const char *v = getenv("GNTRING_SPIN_US");
	char *end;
	unsigned long us;

	if (v == NULL || *v == '\0' || *v == '-')
		return 0;
	us = strtoul(v, &end, 10);
	return *end == '\0' && us <= 1000 ? (unsigned int)us : 0;
}

static const char *
bench_spin_text(void)
{
	static char text[64];

	if (bench_spin_us() == 0)
		return "none (GNTRING_SPIN_US unset or 0)";
	snprintf(text, sizeof(text), "up to %u us, adaptive (GNTRING_SPIN_US)",
		 bench_spin_us());
	return text;
}

static void
print_json(FILE *out, const struct options *o)
{
	fprintf(out, "{\n  \"stat\": \"%s\",\n  \"cpu\": \"%s\",\n  \"cpus\": %ld,\n  \"loadavg_start\": \"%s\",\n"
	       "  \"loadavg_end\": \"%s\",\n  \"reps\": %d,\n  \"seconds\": %.3f,\n"
	       "  \"gntring_spin_us\": %u,\n",
	       stat_name(), cpu_model, sysconf(_SC_NPROCESSORS_ONLN),
	       load_start, load_end, o->reps, o->seconds, bench_spin_us());
	if (pin_cpu[0] >= 0)
		fprintf(out, "  \"pin\": {\"server_cpu\": %d, \"client_cpu\": %d},\n",
			pin_cpu[0], pin_cpu[1]);
	else
		fprintf(out, "  \"pin\": null,\n");
	fprintf(out, "  \"results\": [\n");
	for (size_t i = 0; i < nresults; i++) {
		const struct result *r = &results[i];

		fprintf(out, "    {\"kind\": \"%s\", \"api\": \"%s\", ",
		       kind_names[r->kind], api_names[r->api]);
		if (r->ring == UINT64_MAX)
			fprintf(out, "\"ring\": null, ");
		else if (r->ring == 0)
			fprintf(out, "\"ring\": \"1K/2K\", ");
		else
			fprintf(out, "\"ring\": %" PRIu64 ", ", r->ring);
		fprintf(out, "\"chunk\": %" PRIu64 ", \"amount\": %" PRIu64 ", ", r->chunk,
		       r->amount);
		double best = r->n > 0 ? r->value[0] : 0;

		for (int k = 1; k < r->n; k++)
			if (r->kind == KIND_PINGPONG ? r->value[k] < best :
			    r->value[k] > best)
				best = r->value[k];
		if (r->kind == KIND_PINGPONG)
			fprintf(out, "\"median_us\": %.3f, \"p99_us\": %.3f, \"best_us\": %.3f, "
			       "\"samples_us\": [", r->med, r->med_p99, best);
		else
			fprintf(out, "\"mbps\": %.3f, \"best_mbps\": %.3f, \"samples_mbps\": [",
			       r->med, best);
		for (int k = 0; k < r->n; k++)
			fprintf(out, "%s%.3f", k ? ", " : "", r->value[k]);
		fprintf(out, "]}%s\n", i + 1 < nresults ? "," : "");
	}
	fprintf(out, "  ]\n}\n");
}

/* ------------------------------------------------------------------ */
/* Main                                                                */

static void
usage(void)
{
	fprintf(stderr,
		"usage: gntring-bench [--quick] [--json] [--json-file PATH] [--check]\n"
		"                     [--reps N] [--seconds S] [--stat median|best|both]\n"
		"                     [--rings default,4K,64K,1M] "
		"[--chunks 64,1K,16K,256K]\n"
		"                     [--apis gntring,gntring-zc,xenvchan,pipe,unix,"
		"evtchn,memcpy]\n"
		"                     [--kinds oneway,bothways,pingpong] "
		"[--amount BYTES|ROUNDTRIPS]\n"
		"                     [--exp-libdir DIR (adds gntring-exp: the copy API "
		"of DIR/libgntring.so.1)]\n"
		"                     [--spin US (libgntring spins up to US "
		"microseconds before sleeping)]\n"
		"                     [--pin SERVER_CPU,CLIENT_CPU | --no-pin]\n");
	exit(2);
}

/* --pin S,C: two different CPUs that this process may run on. */
static int
parse_pin(const char *text, int pin[2])
{
	cpu_set_t allowed;
	char *end;
	long v[2];

	v[0] = strtol(text, &end, 10);
	if (end == text || *end != ',')
		return -1;
	text = end + 1;
	v[1] = strtol(text, &end, 10);
	if (end == text || *end != '\0' || v[0] == v[1] ||
	    sched_getaffinity(0, sizeof(allowed), &allowed) < 0)
		return -1;
	for (int i = 0; i < 2; i++) {
		if (v[i] < 0 || v[i] >= CPU_SETSIZE || !CPU_ISSET(v[i], &allowed))
			return -1;
		pin[i] = (int)v[i];
	}
	return 0;
}

/* Unless told otherwise: server and client on the first two CPUs we have. */
static void
choose_pin(const struct options *o)
{
	cpu_set_t allowed;
	int n = 0;

	if (o->no_pin)
		return;
	if (o->pin[0] >= 0) {
		pin_cpu[0] = o->pin[0];
		pin_cpu[1] = o->pin[1];
		return;
	}
	if (sched_getaffinity(0, sizeof(allowed), &allowed) < 0)
		return;
	for (int cpu = 0; cpu < CPU_SETSIZE && n < 2; cpu++)
		if (CPU_ISSET(cpu, &allowed))
			pin_cpu[n++] = cpu;
	if (n < 2)
		pin_cpu[0] = pin_cpu[1] = -1;	/* one CPU: nothing to choose */
}

static int
parse_list(const char *text, uint64_t *out, int cap)
{
	char buf[256], *save = NULL, *tok;
	int n = 0;

	snprintf(buf, sizeof(buf), "%s", text);
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		if (n == cap || parse_size(tok, &out[n]) < 0)
			return -1;
		n++;
	}
	return n;
}

/* A comma list of names: skip[] is set for every name not in it. */
static int
parse_names(const char *text, const char *const *names, int count, bool *skip)
{
	char buf[256], *save = NULL, *tok;

	for (int k = 0; k < count; k++)
		skip[k] = true;
	snprintf(buf, sizeof(buf), "%s", text);
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		int k = 0;

		while (k < count && strcmp(tok, names[k]) != 0)
			k++;
		if (k == count)
			return -1;
		skip[k] = false;
	}
	return 0;
}

static void
find_programs(void)
{
	ssize_t n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
	const char *env = getenv("XENSIM");
	char *slash;

	if (n <= 0)
		die("cannot find my own executable");
	self_exe[n] = '\0';
	if (env != NULL && env[0] != '\0') {
		snprintf(xensim_exe, sizeof(xensim_exe), "%s", env);
		return;
	}
	snprintf(xensim_exe, sizeof(xensim_exe), "%s", self_exe);
	slash = strrchr(xensim_exe, '/');
	if (slash != NULL)
		snprintf(slash + 1, sizeof(xensim_exe) - (size_t)(slash + 1 - xensim_exe),
			 "xensim");
}

static void
run_all(const struct options *o)
{
	struct pair base[3];
	enum api base_apis[3] = { API_PIPE, API_UNIX, API_EVTCHN };
	struct pair *base_ptrs[3] = { &base[0], &base[1], &base[2] };

	/* Baselines first: pipe and socket interleaved, then memcpy. */
	pair_start_fds(&base[0], API_PIPE, o->check);
	pair_start_fds(&base[1], API_UNIX, o->check);
	for (int j = 0; j < o->nchunks; j++) {
		measure_interleaved(base_ptrs, base_apis, 2, KIND_ONEWAY, UINT64_MAX,
				    o->chunks[j], o);
		measure_interleaved(base_ptrs, base_apis, 2, KIND_BOTHWAYS, UINT64_MAX,
				    o->chunks[j], o);
	}
	/* The bare event channel bounds every ping-pong in the simulator. */
	if (!o->skip_kind[KIND_PINGPONG] && !o->skip_api[API_EVTCHN])
		pair_start_sim(&base[2], API_EVTCHN, 0, false, NULL);
	else
		base[2].server.pid = base[2].client.pid = -1;
	measure_interleaved(base_ptrs, base_apis, 3, KIND_PINGPONG, UINT64_MAX,
			    PING_BYTES, o);
	for (int i = 0; i < 3; i++)
		pair_stop(&base[i]);
	for (int j = 0; j < o->nchunks && !o->skip_api[API_MEMCPY]; j++) {
		struct result *r = result_new(KIND_ONEWAY, API_MEMCPY, UINT64_MAX,
					      o->chunks[j]);

		progress("memcpy chunk %" PRIu64, o->chunks[j]);
		for (int rep = 0; rep < o->reps; rep++)
			r->value[r->n++] = memcpy_rate(o->chunks[j], o->seconds,
						       &r->amount);
		result_finish(r);
	}

	for (int i = 0; i < o->nrings; i++) {
		uint64_t ring = o->rings[i];
		struct pair gnt, vch, exp = { .server.pid = -1, .client.pid = -1 };
		struct pair *pairs[4] = { &gnt, &gnt, &vch, &exp };
		enum api apis[4] = { API_COPY, API_ZC, API_VCHAN, API_EXP };
		int npairs = o->exp_libdir != NULL ? 4 : 3;

		if (o->skip_api[API_COPY] && o->skip_api[API_ZC])
			gnt.server.pid = gnt.client.pid = -1;
		else
			pair_start_sim(&gnt, API_COPY, ring, o->check, NULL);
		if (o->skip_api[API_VCHAN])
			vch.server.pid = vch.client.pid = -1;
		else
			pair_start_sim(&vch, API_VCHAN, ring, o->check, NULL);
		if (o->exp_libdir != NULL && !o->skip_api[API_EXP])
			pair_start_sim(&exp, API_EXP, ring, o->check, o->exp_libdir);
		for (int j = 0; j < o->nchunks; j++) {
			measure_interleaved(pairs, apis, npairs, KIND_ONEWAY, ring,
					    o->chunks[j], o);
			measure_interleaved(pairs, apis, npairs, KIND_BOTHWAYS, ring,
					    o->chunks[j], o);
		}
		measure_interleaved(pairs, apis, npairs, KIND_PINGPONG, ring,
				    PING_BYTES, o);
		pair_stop(&gnt);
		pair_stop(&vch);
		pair_stop(&exp);
	}
	progress("");
}

/*
 * Keep fd 3 taken (by /dev/null) in the orchestrator, so that no pipe or
 * socket of a baseline pair lands there and is clobbered when a child
 * moves its control socket to fd 3.
 */
static void
reserve_ctl_fd(void)
{
	for (;;) {
		int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			die("/dev/null: %s", strerror(errno));
		if (fd > CTL_FD)
			close(fd);
		if (fd >= CTL_FD)
			return;
	}
}

static bool
sim_running(void)
{
	const char *dir = getenv("XENSIM_DIR");
	char sock[PATH_MAX];
	struct stat st;

	if (dir == NULL || dir[0] == '\0')
		return false;
	snprintf(sock, sizeof(sock), "%s/ctl.sock", dir);
	return stat(sock, &st) == 0;
}

static enum api
api_from_name(const char *name)
{
	for (int a = 0; a < API_COUNT; a++)
		if (strcmp(name, api_names[a]) == 0)
			return (enum api)a;
	die("unknown api %s", name);
	return API_COUNT;
}

int
main(int argc, char **argv)
{
	struct options o = {
		.reps = 5, .seconds = 0.3,
		.rings = { 0, 4 * KiB, 64 * KiB, MiB }, .nrings = 4,
		.chunks = { 64, KiB, 16 * KiB, 256 * KiB }, .nchunks = 4,
		.pin = { -1, -1 },
	};
	bool reps_set = false, secs_set = false, rings_set = false, chunks_set = false;

	/* --worker server|client API RING PEER PATH check|- */
	if (argc == 8 && strcmp(argv[1], "--worker") == 0) {
		uint64_t ring;

		prog = "gntring-bench worker";
		signal(SIGPIPE, SIG_IGN);
		if (parse_size(argv[4], &ring) < 0)
			usage();
		return worker_main(strcmp(argv[2], "server") == 0,
				   api_from_name(argv[3]), ring,
				   (uint16_t)atoi(argv[5]), argv[6],
				   strcmp(argv[7], "check") == 0);
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--quick") == 0)
			o.quick = true;
		else if (strcmp(a, "--json") == 0)
			o.json = true;
		else if (strcmp(a, "--json-file") == 0 && i + 1 < argc)
			o.json_file = argv[++i];
		else if (strcmp(a, "--check") == 0)
			o.check = true;
		else if (strcmp(a, "--reps") == 0 && i + 1 < argc) {
			o.reps = atoi(argv[++i]);
			reps_set = true;
		} else if (strcmp(a, "--seconds") == 0 && i + 1 < argc) {
			o.seconds = atof(argv[++i]);
			secs_set = true;
		} else if (strcmp(a, "--rings") == 0 && i + 1 < argc) {
			o.nrings = parse_list(argv[++i], o.rings, 8);
			rings_set = true;
		} else if (strcmp(a, "--chunks") == 0 && i + 1 < argc) {
			o.nchunks = parse_list(argv[++i], o.chunks, 8);
			chunks_set = true;
		} else if (strcmp(a, "--stat") == 0 && i + 1 < argc) {
			i++;
			if (strcmp(argv[i], "best") == 0)
				stat_best = true;
			else if (strcmp(argv[i], "both") == 0)
				stat_both = true;
			else if (strcmp(argv[i], "median") != 0)
				usage();
		} else if (strcmp(a, "--spin") == 0 && i + 1 < argc) {
			/* The workers inherit it: libgntring reads it. */
			if (setenv("GNTRING_SPIN_US", argv[++i], 1) < 0 ||
			    (bench_spin_us() == 0 && strcmp(argv[i], "0") != 0))
				usage();
		} else if (strcmp(a, "--no-pin") == 0) {
			o.no_pin = true;
		} else if (strcmp(a, "--pin") == 0 && i + 1 < argc) {
			if (parse_pin(argv[++i], o.pin) < 0)
				usage();
		} else if (strcmp(a, "--exp-libdir") == 0 && i + 1 < argc) {
			o.exp_libdir = argv[++i];
		} else if (strcmp(a, "--amount") == 0 && i + 1 < argc) {
			if (parse_size(argv[++i], &o.fixed_amount) < 0)
				usage();
		} else if (strcmp(a, "--apis") == 0 && i + 1 < argc) {
			if (parse_names(argv[++i], api_names, API_COUNT, o.skip_api) < 0)
				usage();
		} else if (strcmp(a, "--kinds") == 0 && i + 1 < argc) {
			if (parse_names(argv[++i], kind_names, KIND_COUNT, o.skip_kind) < 0)
				usage();
		} else
			usage();
	}
	if (o.quick) {
		/* A smoke run: every code path once, data checked, seconds in all. */
		if (!reps_set)
			o.reps = 1;
		if (!secs_set)
			o.seconds = 0.01;
		if (!rings_set) {
			o.rings[0] = 0;
			o.rings[1] = 64 * KiB;
			o.nrings = 2;
		}
		if (!chunks_set) {
			o.chunks[0] = 64;
			o.chunks[1] = 16 * KiB;
			o.chunks[2] = 256 * KiB;
			o.nchunks = 3;
		}
		o.check = true;
	}
	if (o.reps < 1 || o.reps > MAX_REPS || o.seconds <= 0 || o.nrings < 1 ||
	    o.nchunks < 1)
		usage();
	for (int i = 0; i < o.nrings; i++)
		if (o.rings[i] != 0 && (o.rings[i] < GNTRING_RING_MIN ||
					o.rings[i] > GNTRING_RING_MAX))
			die("ring sizes lie in [1K, 1M] (or 'default')");
	for (int j = 0; j < o.nchunks; j++)
		if (o.chunks[j] < 1 || o.chunks[j] > 64 * MiB)
			die("chunk sizes lie in [1, 64M]");

	find_programs();
	if (!sim_running()) {
		/* Re-run inside a private simulator session that ends with us. */
		char **args = xmalloc(((size_t)argc + 4) * sizeof(*args));
		int n = 0;

		if (getenv("GNTRING_BENCH_IN_SESSION") != NULL)
			die("xensim session started but XENSIM_DIR is not usable");
		if (access(xensim_exe, X_OK) != 0) {
			fprintf(stderr, "%s: skip: no simulator at %s (set XENSIM)\n",
				prog, xensim_exe);
			return 77;
		}
		setenv("GNTRING_BENCH_IN_SESSION", "1", 1);
		/*
		 * Up to three 1 MiB channels per domain at once (513 grants
		 * each) pass Linux's default gntalloc limit of 1024 pages,
		 * which the simulator applies; raise it as a Linux user
		 * raises xen_gntalloc.limit.  A caller's choice stands.
		 */
		setenv("XENSIM_GNTALLOC_LIMIT", "16384", 0);
		args[n++] = xensim_exe;
		args[n++] = "session";
		args[n++] = "--";
		args[n++] = self_exe;
		for (int i = 1; i < argc; i++)
			args[n++] = argv[i];
		args[n] = NULL;
		execv(xensim_exe, args);
		die("%s: %s", xensim_exe, strerror(errno));
	}
	signal(SIGPIPE, SIG_IGN);
	reserve_ctl_fd();
	choose_pin(&o);
	read_cpu_model();
	read_loadavg(load_start, sizeof(load_start));
	run_all(&o);
	read_loadavg(load_end, sizeof(load_end));
	/* Before --stat both turns to the best runs: its file has the medians. */
	if (o.json_file != NULL) {
		FILE *f = fopen(o.json_file, "w");

		if (f == NULL)
			die("%s: %s", o.json_file, strerror(errno));
		print_json(f, &o);
		if (fclose(f) != 0)
			die("%s: %s", o.json_file, strerror(errno));
	}
	if (o.json) {
		print_json(stdout, &o);
	} else {
		print_report(&o, argc, argv);
		if (stat_both) {
			stat_best = true;
			for (size_t i = 0; i < nresults; i++)
				result_finish(&results[i]);
			printf("\n==== The same runs, best instead of median ====\n");
			print_report(&o, argc, argv);
		}
	}
	return 0;
}

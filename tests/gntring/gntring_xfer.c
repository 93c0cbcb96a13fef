/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One end of a bidirectional transfer over libgntring, in either role.
 * Sends a seeded stream, checks the peer's stream byte by byte, prints the
 * sha256 of both directions.  Default: one thread, non-blocking, poll(2)
 * on gntring_fd(); -T: a blocking reader thread and a blocking writer
 * thread; -z: zero-copy spans mixed in; -m: framed messages; -e: half-close
 * and expect end of stream; -D: the peer is killed mid-stream, expect the
 * received stream to end in ECONNRESET (not end of stream) after checked
 * bytes.  Exit 0 on success, 1 on any failure.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>

#include "gntring.h"
#include "xfer_common.h"

struct xfer {
	struct xfer_opts o;
	struct gntring *g;
	uint64_t sent, got;
	bool shut, eof;
	bool reset;	/* a read returned -ECONNRESET: the peer died */
	struct sha256 sent_hash, got_hash;
	uint32_t wrng, rrng;
	uint8_t *wbuf, *rbuf;
	double start;
	volatile int failed;
};

static const char *
who(const struct xfer *x)
{
	return x->o.server ? "server" : "client";
}

static void
fail(struct xfer *x, const char *what, long err)
{
	fprintf(stderr, "%s: %s: %s (sent %" PRIu64 ", got %" PRIu64 ")\n",
		who(x), what, err < 0 ? strerror((int)-err) : "mismatch",
		x->sent, x->got);
	x->failed = 1;
}

/* One write step; returns >0 progress, 0 nothing possible now, <0 error. */
static long
step_write(struct xfer *x)
{
	size_t n = 1 + xfer_rand(&x->wrng) % x->o.max_chunk;
	long ret;

	if (x->sent >= x->o.send_bytes)
		return 0;
	if (n > x->o.send_bytes - x->sent)
		n = (size_t)(x->o.send_bytes - x->sent);
	if (x->o.messages) {
		size_t cap = gntring_write_size(x->g) - 4;

		if (n > cap)
			n = cap;
		xfer_fill(x->o.seed, x->sent, x->wbuf, n);
		ret = gntring_msg_send(x->g, x->wbuf, n);
		if (ret >= 0)
			ret = (long)n;
	} else if (x->o.zero_copy && (x->wrng & 3) == 0) {
		struct gntring_span span;
		size_t k = 0;

		ret = gntring_write_reserve(x->g, 1, &span);
		if (ret < 0)
			goto out;
		for (int s = 0; s < span.nseg && k < n; s++) {
			size_t take = span.seg[s].iov_len < n - k ?
				      span.seg[s].iov_len : n - k;

			xfer_fill(x->o.seed, x->sent + k, span.seg[s].iov_base, take);
			sha256_update(&x->sent_hash, span.seg[s].iov_base, take);
			k += take;
		}
		ret = gntring_write_commit(x->g, k);
		if (ret == 0) {
			x->sent += k;
			return (long)k;
		}
		return ret;
	} else if ((x->wrng & 3) == 1 && n > 1) {
		struct iovec iov[2] = { { x->wbuf, n / 3 },
					{ x->wbuf + n / 3, n - n / 3 } };

		xfer_fill(x->o.seed, x->sent, x->wbuf, n);
		ret = gntring_writev(x->g, iov, 2);
	} else {
		xfer_fill(x->o.seed, x->sent, x->wbuf, n);
		ret = gntring_write(x->g, x->wbuf, n);
	}
out:
	if (ret > 0) {
		sha256_update(&x->sent_hash, x->wbuf, (size_t)ret);
		x->sent += (uint64_t)ret;
	}
	if (ret == -EAGAIN || ret == -ENOTCONN)
		return 0;
	return ret;
}

static long
accept_bytes(struct xfer *x, const uint8_t *data, size_t n)
{
	if (x->o.hostile) {
		/* The bytes may be garbage: only the library's safety is tested. */
		x->got += n;
		return (long)n;
	}
	if (x->got + n > x->o.recv_bytes ||
	    !xfer_check(x->o.peer_seed, x->got, data, n)) {
		fail(x, "received bytes", 0);
		return -EBADMSG;
	}
	sha256_update(&x->got_hash, data, n);
	x->got += n;
	return (long)n;
}

/* One read step; >0 progress, 0 nothing now, <0 error; sets eof. */
static long
step_read(struct xfer *x)
{
	size_t n = 1 + xfer_rand(&x->rrng) % x->o.max_chunk;
	long ret;

	if (x->eof || x->reset ||
	    (x->got >= x->o.recv_bytes && !x->o.half_close))
		return 0;
	if (x->o.messages) {
		ret = gntring_msg_recv(x->g, x->rbuf, x->o.max_chunk);
	} else if (x->o.zero_copy && (x->rrng & 3) == 0) {
		struct gntring_span span;
		long k = 0;

		ret = gntring_read_peek(x->g, 1, &span);
		if (ret > 0) {
			/* Copy out before checking: the peer may rewrite the ring. */
			for (int s = 0; s < span.nseg; s++) {
				size_t len = span.seg[s].iov_len;

				if (len > x->o.max_chunk)
					len = x->o.max_chunk;
				memcpy(x->rbuf, span.seg[s].iov_base, len);
				if (accept_bytes(x, x->rbuf, len) < 0)
					return -EBADMSG;
				k += (long)len;
				if (len < span.seg[s].iov_len)
					break;
			}
			ret = gntring_read_consume(x->g, (size_t)k);
			return ret < 0 ? ret : k;
		}
	} else if ((x->rrng & 3) == 1 && n > 1) {
		struct iovec iov[2] = { { x->rbuf, n / 2 },
					{ x->rbuf + n / 2, n - n / 2 } };

		ret = gntring_readv(x->g, iov, 2);
	} else {
		ret = gntring_read(x->g, x->rbuf, n);
	}
	if (ret > 0)
		return accept_bytes(x, x->rbuf, (size_t)ret);
	if (ret == 0) {
		x->eof = true;
		return 1;
	}
	if (ret == -ECONNRESET && (x->o.expect_death || x->o.hostile)) {
		x->reset = true;
		return 1;
	}
	if (ret == -EAGAIN || ret == -ENOTCONN)
		return 0;
	return ret;
}

static bool
writing_done(const struct xfer *x)
{
	return x->sent >= x->o.send_bytes && (!x->o.half_close || x->shut);
}

static bool
reading_done(const struct xfer *x)
{
	if (x->reset)
		return true;
	return x->o.half_close ? x->eof : x->got >= x->o.recv_bytes;
}

static void
finish_writing(struct xfer *x)
{
	if (x->sent >= x->o.send_bytes && x->o.half_close && !x->shut) {
		int err = gntring_shutdown_write(x->g);

		if (err < 0)
			fail(x, "shutdown_write", err);
		x->shut = true;
	}
}

/*
 * Victim of a hostile peer (-H): the run must end in -EPROTO, a clean
 * close (end of stream, EPIPE), the peer's death (ECONNRESET: its live
 * byte went to 0 without the shutdown bit) or complete; never crash or
 * stall.
 */
static int
run_victim(struct xfer *x)
{
	struct pollfd pfd = { .fd = gntring_fd(x->g), .events = POLLIN };
	double last_progress = xfer_now();
	bool write_closed = false;
	const char *end = NULL;

	while (end == NULL) {
		long wrote = 0, read = 0;

		if (!write_closed) {
			wrote = step_write(x);
			if (wrote == -EPIPE) {
				write_closed = true;
				wrote = 0;
			}
		}
		read = step_read(x);
		if (wrote == -EPROTO || read == -EPROTO) {
			end = "eproto";
			break;
		}
		if (wrote < 0 || read < 0) {
			fail(x, "victim", wrote < 0 ? wrote : read);
			return 1;
		}
		if (x->reset) {
			end = "reset";
			break;
		}
		bool read_over = x->eof || x->got >= x->o.recv_bytes;
		bool write_over = write_closed || x->sent >= x->o.send_bytes;

		if (read_over && write_over && (x->eof || write_closed)) {
			end = "closed";
			break;
		}
		if (x->sent >= x->o.send_bytes && x->got >= x->o.recv_bytes) {
			end = "complete";
			break;
		}
		if (x->eof && !write_closed && wrote == 0) {
			/* The peer stopped writing; we may still have bytes for it. */
			int state = gntring_state(x->g);

			if (state == GNTRING_CLOSED) {
				end = "closed";
				break;
			}
		}
		if (wrote > 0 || read > 0) {
			last_progress = xfer_now();
			continue;
		}
		if (xfer_now() - last_progress > 8.0) {
			fail(x, "victim stalled for 8 s", -ETIMEDOUT);
			return 1;
		}
		/* Short polls: a hostile peer may have eaten our wake-up requests. */
		poll(&pfd, 1, 200);
		int state = gntring_process(x->g);
		if (state == GNTRING_BROKEN) {
			end = "eproto";
			break;
		}
		if (state < 0) {
			fail(x, "process", state);
			return 1;
		}
	}
	printf("%s END %s (sent %" PRIu64 ", got %" PRIu64 ", state %d)\n", who(x),
	       end, x->sent, x->got, (int)gntring_state(x->g));
	return 0;
}

static int
run_poll_loop(struct xfer *x)
{
	struct pollfd pfd = { .fd = gntring_fd(x->g), .events = POLLIN };

	while (!x->failed && !(writing_done(x) && reading_done(x))) {
		long wrote = 0, read = 0;

		if (!x->o.recv_first || reading_done(x))
			wrote = step_write(x);
		finish_writing(x);
		read = step_read(x);
		if (wrote < 0) {
			fail(x, "write", wrote);
			break;
		}
		if (read < 0) {
			if (read != -EBADMSG)
				fail(x, "read", read);
			break;
		}
		if (wrote > 0 || read > 0)
			continue;
		if (x->o.use_wait) {
			/* gntring_wait() instead of poll(2) + gntring_process(). */
			int ret = gntring_wait(x->g, 10000);

			if (ret <= 0) {
				fail(x, "gntring_wait", ret < 0 ? ret : -ETIMEDOUT);
				break;
			}
			continue;
		}
		int ready = poll(&pfd, 1, 10000);
		if (ready == 0) {
			fail(x, "no wake-up within 10 s", -ETIMEDOUT);
			break;
		}
		int state = gntring_process(x->g);
		if (state < 0) {
			fail(x, "process", state);
			break;
		}
		if (state == GNTRING_BROKEN) {
			fail(x, "channel broken", -EPROTO);
			break;
		}
	}
	return x->failed;
}

static void *
writer_thread(void *arg)
{
	struct xfer *x = arg;

	while (!x->failed && x->sent < x->o.send_bytes) {
		long ret = step_write(x);

		if (ret < 0) {
			fail(x, "blocking write", ret);
			break;
		}
	}
	finish_writing(x);
	return NULL;
}

static void *
reader_thread(void *arg)
{
	struct xfer *x = arg;

	while (!x->failed && !reading_done(x)) {
		long ret = step_read(x);

		if (ret < 0) {
			if (ret != -EBADMSG)
				fail(x, "blocking read", ret);
			break;
		}
	}
	return NULL;
}

static void
on_alarm(int sig)
{
	static const char msg[] = "gntring_xfer: watchdog expired\n";

	(void)sig;
	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(3);
}

int
main(int argc, char **argv)
{
	struct xfer x;
	unsigned int flags;

	memset(&x, 0, sizeof(x));
	xfer_parse(argc, argv, &x.o, "b:B:l:w:s:c:t:zTemRHWD");
	signal(SIGALRM, on_alarm);
	alarm((unsigned int)x.o.timeout_s);
	x.wbuf = malloc(x.o.max_chunk);
	x.rbuf = malloc(x.o.max_chunk);
	if (x.wbuf == NULL || x.rbuf == NULL)
		return 1;
	x.wrng = x.o.seed * 2654435761u | 1;
	x.rrng = x.o.peer_seed * 40503u | 1;
	sha256_init(&x.sent_hash);
	sha256_init(&x.got_hash);

	flags = x.o.threads && !x.o.hostile ? 0 : GNTRING_NONBLOCK;
	if (x.o.server)
		x.g = gntring_listen((uint16_t)x.o.peer_domid, x.o.path,
				     x.o.read_min, x.o.write_min, flags);
	else
		x.g = gntring_connect((uint16_t)x.o.peer_domid, x.o.path,
				      (x.o.timeout_s / 2) * 1000, flags);
	if (x.g == NULL) {
		fprintf(stderr, "%s: %s: %s\n", who(&x),
			x.o.server ? "gntring_listen" : "gntring_connect",
			strerror(errno));
		free(x.wbuf);
		free(x.rbuf);
		return 1;
	}
	/* gntring_set_spin's bounds, whatever GNTRING_SPIN_US chose. */
	if (gntring_set_spin(NULL, 10) != -EINVAL ||
	    gntring_set_spin(x.g, 1001) != -EINVAL) {
		fprintf(stderr, "%s: gntring_set_spin accepts bad arguments\n",
			who(&x));
		gntring_close(x.g);
		free(x.wbuf);
		free(x.rbuf);
		return 1;
	}
	printf("%s ready: read ring %zu, write ring %zu\n", who(&x),
	       gntring_read_size(x.g), gntring_write_size(x.g));
	fflush(stdout);
	x.start = xfer_now();

	if (x.o.hostile) {
		int rc = run_victim(&x);

		gntring_close(x.g);
		free(x.wbuf);
		free(x.rbuf);
		return rc;
	}
	if (x.o.threads) {
		pthread_t w, r;

		pthread_create(&r, NULL, reader_thread, &x);
		pthread_create(&w, NULL, writer_thread, &x);
		pthread_join(w, NULL);
		pthread_join(r, NULL);
	} else {
		run_poll_loop(&x);
	}
	double took = xfer_now() - x.start;

	if (x.o.expect_death) {
		/* The death must not read as end of stream, nor go unseen. */
		if (!x.failed && !x.reset)
			fail(&x, x.eof ? "the peer's death read as end of stream" :
			     "no ECONNRESET from the killed peer", -EPIPE);
		if (!x.failed)
			printf("%s END reset (got %" PRIu64 ")\n", who(&x), x.got);
	} else if (!x.failed && x.got != x.o.recv_bytes) {
		fail(&x, "short stream", -EPIPE);
	}
	printf("%s peer %s\n", who(&x),
	       gntring_peer_is_gntring(x.g) ? "libgntring" : "libxenvchan");
	xfer_report(who(&x), "sent", x.sent, &x.sent_hash, took);
	xfer_report(who(&x), "received", x.got, &x.got_hash, took);
	gntring_close(x.g);
	free(x.wbuf);
	free(x.rbuf);
	return x.failed;
}

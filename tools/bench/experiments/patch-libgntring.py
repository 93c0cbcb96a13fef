# SPDX-License-Identifier: BSD-2-Clause
# Experiments on libgntring (A/B in gntring-bench --exp-libdir); each is off
# unless its environment variable is set, so one build serves all variants.
import sys


def patch(p, a, b, optional=False):
    s = open(p).read()
    if s.count(a) != 1:
        if optional:
            print('patch-libgntring: %s: context not found, experiment skipped' % p)
            return
        sys.exit('patch-libgntring: %s: context not found:\n%s' % (p, a))
    open(p, 'w').write(s.replace(a, b))

# --- E_SPIN: spin on the peer index before arming a wake-up ---------------
patch('ring.h', """	atomic_uint events_sent;	/* statistics, for tests */
};""", """	atomic_uint events_sent;	/* statistics, for tests */
	uint32_t spin_ns;		/* EXPERIMENT: spin before arming a wake-up */
};""")
patch('ring.c', """#include <string.h>
""", """#include <string.h>
#include <time.h>
""")
patch('ring.c', """/* Reader: at least `want` bytes, arming WRITE and re-checking if short. */""", """/*
 * EXPERIMENT: wait for a peer index to move from `seen` for up to spin_ns,
 * without arming a wake-up: a peer running on another CPU usually answers
 * within a microsecond, far below the cost of an event round trip.
 */
static void
ring_spin(const uint32_t *p, uint32_t seen, uint32_t spin_ns)
{
	struct timespec ts;
	uint64_t start, now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	start = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	for (;;) {
		for (int i = 0; i < 32; i++) {
			if (atomic_load_explicit((_Atomic uint32_t *)(uintptr_t)p,
						 memory_order_relaxed) != seen)
				return;
			__builtin_ia32_pause();
		}
		clock_gettime(CLOCK_MONOTONIC, &ts);
		now = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
		if (now - start > spin_ns)
			return;
	}
}

/* Reader: at least `want` bytes, arming WRITE and re-checking if short. */""")
patch('ring.c', """	int err = ring_rd_used(r, used);

	if (err == 0 && *used < want) {
		ring_request(r, VCHAN_NOTIFY_WRITE);""", """	int err = ring_rd_used(r, used);

	if (err == 0 && *used < want && r->spin_ns > 0 &&
	    atomic_load(&r->peer) == RING_PEER_LIVE) {
		ring_spin(r->rd_prod_shared, r->rd_prod_seen, r->spin_ns);
		err = ring_rd_used(r, used);
	}
	if (err == 0 && *used < want) {
		ring_request(r, VCHAN_NOTIFY_WRITE);""")
patch('ring.c', """	int err = ring_wr_free(r, space);

	if (err == 0 && *space < want) {
		atomic_store(&r->wr_want_space, true);""", """	int err = ring_wr_free(r, space);

	if (err == 0 && *space < want && r->spin_ns > 0 &&
	    atomic_load(&r->peer) == RING_PEER_LIVE) {
		ring_spin(r->wr_cons_shared, r->wr_cons_seen, r->spin_ns);
		err = ring_wr_free(r, space);
	}
	if (err == 0 && *space < want) {
		atomic_store(&r->wr_want_space, true);""")
# --- E_FASTW: no seq_cst store (xchg) of wr_want_space on every write -------
patch('ring.c', """	if (err == 0 && *space >= want)
		atomic_store(&r->wr_want_space, false);""", """	if (err == 0 && *space >= want &&
	    (!exp_fastw || atomic_load_explicit(&r->wr_want_space, memory_order_relaxed)))
		atomic_store(&r->wr_want_space, false);""")
patch('ring.c', """/* Shared-memory atomics.""", """#include <stdlib.h>
int exp_fastw;	/* EXPERIMENT flag, set by the channel from GNTRING_EXP_FASTW */

/* Shared-memory atomics.""")

# --- channel: flags, spin budget, lazy event consumption, one poll ---------
patch('channel.c', """	bool polling;
	atomic_uint wake_seq;""", """	bool polling;
	bool lazy_pending;	/* EXPERIMENT: an event seen by poll, not yet taken */
	atomic_uint wake_seq;""")
patch('channel.c', """/* ------------------------------------------------------------------ */
/* Events                                                               */
""", """extern int exp_fastw;
static int exp_lazy, exp_onepoll;

static void
exp_setup(struct gntring *g)
{
	const char *spin = getenv("GNTRING_EXP_SPIN_US");

	exp_lazy = getenv("GNTRING_EXP_LAZY") != NULL;
	exp_onepoll = getenv("GNTRING_EXP_ONEPOLL") != NULL;
	exp_fastw = getenv("GNTRING_EXP_FASTW") != NULL;
	if (spin != NULL)
		g->ring.spin_ns = (uint32_t)atoi(spin) * 1000u;
}

/* EXPERIMENT: take exactly one event (one handle, one port, masked until unmask). */
static void
exp_take_one(struct gntring *g)
{
	xenevtchn_port_or_error_t port;

	pthread_mutex_lock(&g->consume_lock);
	port = xenevtchn_pending(g->evtchn);
	if (port >= 0)
		xenevtchn_unmask(g->evtchn, (evtchn_port_t)port);
	pthread_mutex_unlock(&g->consume_lock);
}

/* ------------------------------------------------------------------ */
/* Events                                                               */
""")
patch('channel.c', """	err = ring_init(&g->ring, &layout, channel_notify, g);
	if (err < 0)
		return channel_fail(g, -err);
	g->ring_ready = true;

	g->xs = xs_open(0);""", """	err = ring_init(&g->ring, &layout, channel_notify, g);
	if (err < 0)
		return channel_fail(g, -err);
	g->ring_ready = true;
	exp_setup(g);

	g->xs = xs_open(0);""")
patch('channel.c', """	err = ring_init(&g->ring, &layout, channel_notify, g);
	if (err < 0)
		return channel_fail(g, -err);
	g->ring_ready = true;
	err = ring_client_announce(&g->ring);""", """	err = ring_init(&g->ring, &layout, channel_notify, g);
	if (err < 0)
		return channel_fail(g, -err);
	g->ring_ready = true;
	exp_setup(g);
	err = ring_client_announce(&g->ring);""")
patch('channel.c', """		g->polling = true;
		pthread_mutex_unlock(&g->wait_lock);
""", """		g->polling = true;
		pthread_mutex_unlock(&g->wait_lock);

		if (g->lazy_pending) {
			/*
			 * EXPERIMENT: take the event the last poll saw only now,
			 * after the work it woke us for; the caller re-checks the
			 * ring before it really sleeps.
			 */
			g->lazy_pending = false;
			exp_take_one(g);
			atomic_fetch_add(&g->wake_seq, 1);
			pthread_mutex_lock(&g->wait_lock);
			g->polling = false;
			pthread_cond_broadcast(&g->wait_cond);
			continue;
		}
""")
patch('channel.c', """		if (ready > 0) {
			err = channel_consume_events(g);
		} else if""", """		if (ready > 0 && exp_lazy) {
			g->lazy_pending = true;
			atomic_fetch_add(&g->wake_seq, 1);
		} else if (ready > 0 && exp_onepoll) {
			exp_take_one(g);
			atomic_fetch_add(&g->wake_seq, 1);
		} else if (ready > 0) {
			err = channel_consume_events(g);
		} else if""", optional=True)	# libgntring now takes one event per poll

# --- E_FAST: single-buffer fast path for gntring_read / gntring_write -------
patch('ring.c', """ssize_t
ring_writev(struct ring *r, const struct iovec *iov, int iovcnt)
{""", """/*
 * EXPERIMENT: one buffer, no iovec walk, no zero-length second memcpy.
 * Same checks and the same memory ordering as ring_readv/ring_writev_mode.
 */
ssize_t
ring_read1(struct ring *r, void *buf, size_t want)
{
	uint32_t used, n, off, first;
	int err;

	r->rd_peeked = 0;
	err = ring_rd_wait_for(r, 1, &used);
	if (err < 0)
		return err;
	if (want == 0)
		return 0;
	if (used == 0) {
		err = ring_rd_short(r, 1, &used);
		if (err <= 0)
			return err;
	}
	n = want < used ? (uint32_t)want : used;
	off = r->rd_cons & (r->rd_size - 1);
	first = r->rd_size - off;
	if (n <= first) {
		memcpy(buf, r->rd_data + off, n);
	} else {
		memcpy(buf, r->rd_data + off, first);
		memcpy((uint8_t *)buf + first, r->rd_data, n - first);
	}
	ring_rd_release(r, n);
	return n;
}

ssize_t
ring_write1(struct ring *r, const void *buf, size_t want)
{
	uint32_t space, n, off, first;
	int err;

	r->wr_reserved = 0;
	err = ring_wr_check(r);
	if (err < 0)
		return err;
	if (want == 0)
		return 0;
	err = ring_wr_wait_for(r, want > r->wr_size ? r->wr_size : (uint32_t)want,
			       &space);
	if (err < 0)
		return err;
	if (space == 0)
		return ring_wr_nothing(r);
	n = want < space ? (uint32_t)want : space;
	off = r->wr_prod & (r->wr_size - 1);
	first = r->wr_size - off;
	if (n <= first) {
		memcpy(r->wr_data + off, buf, n);
	} else {
		memcpy(r->wr_data + off, buf, first);
		memcpy(r->wr_data, (const uint8_t *)buf + first, n - first);
	}
	ring_wr_publish(r, n);
	return n;
}

ssize_t
ring_writev(struct ring *r, const struct iovec *iov, int iovcnt)
{""")
patch('ring.h', """int ring_check_orders(""", """ssize_t ring_read1(struct ring *r, void *buf, size_t want);
ssize_t ring_write1(struct ring *r, const void *buf, size_t want);
int ring_check_orders(""")
patch('channel.c', """static int exp_lazy, exp_onepoll;""", """static int exp_lazy, exp_onepoll, exp_fast;""")
patch('channel.c', """	exp_fastw = getenv("GNTRING_EXP_FASTW") != NULL;""", """	exp_fastw = getenv("GNTRING_EXP_FASTW") != NULL;
	exp_fast = getenv("GNTRING_EXP_FAST") != NULL;""")
patch('channel.c', """	if (buf == NULL && n > 0)
		return -EINVAL;
	return gntring_readv(ring, &iov, 1);""", """	if (buf == NULL && n > 0)
		return -EINVAL;
	if (exp_fast && ring != NULL) {
		for (;;) {
			unsigned int seq = atomic_load(&ring->wake_seq);
			ssize_t ret = ring_read1(&ring->ring, buf, n);
			int err;

			if (!channel_should_wait(ring, ret))
				return ret;
			err = channel_sleep(ring, seq, -1);
			if (err < 0)
				return err;
		}
	}
	return gntring_readv(ring, &iov, 1);""")
patch('channel.c', """	if (buf == NULL && n > 0)
		return -EINVAL;
	return gntring_writev(ring, &iov, 1);""", """	if (buf == NULL && n > 0)
		return -EINVAL;
	if (exp_fast && ring != NULL) {
		size_t done = 0;

		for (;;) {
			unsigned int seq = atomic_load(&ring->wake_seq);
			ssize_t ret = ring_write1(&ring->ring, (const uint8_t *)buf + done,
						  n - done);
			int err;

			if (ret > 0) {
				done += (size_t)ret;
				if (done == n || !atomic_load(&ring->blocking))
					return (ssize_t)done;
				continue;
			}
			if (ret == 0)
				return (ssize_t)done;
			if (!channel_should_wait(ring, ret))
				return done > 0 ? (ssize_t)done : ret;
			err = channel_sleep(ring, seq, -1);
			if (err < 0)
				return done > 0 ? (ssize_t)done : err;
		}
	}
	return gntring_writev(ring, &iov, 1);""")

# --- E_TESTFIRST: look at our request byte before the locked fetch-and ------
# The seq_cst fence before it orders our index store before this load, so
# the Dekker pairing with ring_request() holds: either the requester sees
# our index, or we see its bit (and only then pay the locked RMW).
patch('ring.c', """	atomic_thread_fence(memory_order_seq_cst);
	old = ring_fetch_and8(r->req_to_us, (uint8_t)~bit);
	if ((old & bit) == 0)
		return;""", """	atomic_thread_fence(memory_order_seq_cst);
	if (exp_testfirst && (ring_load_acquire8(r->req_to_us) & bit) == 0)
		return;
	old = ring_fetch_and8(r->req_to_us, (uint8_t)~bit);
	if ((old & bit) == 0)
		return;""", optional=True)
patch('ring.c', """int exp_fastw;	/* EXPERIMENT flag, set by the channel from GNTRING_EXP_FASTW */""", """int exp_fastw;	/* EXPERIMENT flag, set by the channel from GNTRING_EXP_FASTW */
int exp_testfirst;	/* EXPERIMENT flag: GNTRING_EXP_TESTFIRST */""")
patch('channel.c', """extern int exp_fastw;""", """extern int exp_fastw, exp_testfirst;""")
patch('channel.c', """	exp_fast = getenv("GNTRING_EXP_FAST") != NULL;""", """	exp_fast = getenv("GNTRING_EXP_FAST") != NULL;
	exp_testfirst = getenv("GNTRING_EXP_TESTFIRST") != NULL;""")

# --- E_BLOCKREAD: wait in a blocking read of the event fd, not in poll -------
# Only for waits without a deadline; loses the 1 s re-check and the probe.
patch('channel.c', """static int exp_lazy, exp_onepoll, exp_fast;""", """static int exp_lazy, exp_onepoll, exp_fast, exp_blockread;""")
patch('channel.c', """	exp_fast = getenv("GNTRING_EXP_FAST") != NULL;""", """	exp_fast = getenv("GNTRING_EXP_FAST") != NULL;
	exp_blockread = getenv("GNTRING_EXP_BLOCKREAD") != NULL;""")
patch('channel.c', """		struct pollfd pfd = { .fd = xenevtchn_fd(g->evtchn),
				      .events = POLLIN };""", """		if (exp_blockread && timeout_ms < 0) {
			exp_take_one(g);	/* blocks in read() until an event */
			atomic_fetch_add(&g->wake_seq, 1);
			pthread_mutex_lock(&g->wait_lock);
			g->polling = false;
			pthread_cond_broadcast(&g->wait_cond);
			continue;
		}
		struct pollfd pfd = { .fd = xenevtchn_fd(g->evtchn),
				      .events = POLLIN };""")

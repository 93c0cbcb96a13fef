/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Channel setup and teardown over Xen's libraries (grant sharing and
 * mapping, event channels, xenstore), blocking waits, and the public API.
 * The data path itself is the ring engine (ring.c).
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <xenevtchn.h>
#include <xengnttab.h>
#include <xenstore.h>

#include "gntring.h"
#include "ring.h"

#define GNTRING_API __attribute__((visibility("default")))

/*
 * A blocking wait re-checks the channel this often (a hostile or buggy peer
 * may have eaten our wake-up request), and probes the peer's port with a
 * notify after CHANNEL_PROBE_MS of silence (a port that fails has no peer).
 */
#define CHANNEL_RECHECK_MS 1000
#define CHANNEL_PROBE_MS 10000

/*
 * Spinning (gntring_set_spin): the longest spin allowed, and how many waits
 * a channel whose spins stopped paying off sleeps outright before it tries
 * one spin again.
 */
#define CHANNEL_SPIN_MAX_US 1000
#define CHANNEL_SPIN_RETRY 64

/*
 * Spins in a row that saw the peer move without letting the call finish:
 * past this many the call sleeps, so a peer that only wiggles the page
 * cannot keep us spinning for ever.
 */
#define CHANNEL_SPIN_STREAK 64

struct gntring {
	struct ring ring;
	bool ring_ready;	/* ring_init() succeeded: the page is ours to close */
	bool aborting;		/* gntring_abort: close without ending the stream */
	enum ring_role role;
	uint16_t peer_domid;
	atomic_bool blocking;

	xenevtchn_handle *evtchn;
	evtchn_port_t port;	/* our local port */
	bool port_bound;

	/* Server. */
	xengntshr_handle *gntshr;
	struct xs_handle *xs;
	char *xs_path;		/* removed on close */
	bool xs_published;

	/* Client. */
	xengnttab_handle *gnttab;

	/* Mappings: the control page and the out-of-page rings. */
	void *ctrl_page;
	void *left_pages;
	uint32_t left_count;
	void *right_pages;
	uint32_t right_count;

	/*
	 * One thread polls the event channel at a time; the others sleep on
	 * the condition and are woken by each event it consumes.  wake_seq
	 * counts consumed events: a caller samples it before trying an
	 * operation, so an event consumed meanwhile is never slept through.
	 */
	pthread_mutex_t wait_lock;
	pthread_cond_t wait_cond;
	bool polling;
	atomic_uint wake_seq;
	/* poll-then-pending must not race another consumer, or pending blocks. */
	pthread_mutex_t consume_lock;
	atomic_llong last_event_ms;	/* last event consumed, or last probe */

	/*
	 * Spin before sleeping: the limit set by the user (0: never), the
	 * current budget, and the waits slept since it fell to 0.  Threads
	 * update the last two without a lock: they only steer a heuristic.
	 */
	atomic_uint spin_max_ns;
	atomic_uint spin_budget_ns;
	atomic_uint spin_idle;
};

/* ------------------------------------------------------------------ */
/* Events                                                               */

static int64_t
channel_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t
channel_now_ms(void)
{
	return channel_now_ns() / 1000000;
}

static int
channel_notify(void *ctx)
{
	struct gntring *g = ctx;

	if (xenevtchn_notify(g->evtchn, g->port) < 0)
		return -errno;
	return 0;
}

/* Take one pending event (the fd said readable) and unmask its port. */
static int
channel_take_event(struct gntring *g)
{
	xenevtchn_port_or_error_t port = xenevtchn_pending(g->evtchn);

	if (port < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	if (xenevtchn_unmask(g->evtchn, (evtchn_port_t)port) < 0)
		return -errno;
	atomic_store(&g->last_event_ms, channel_now_ms());
	atomic_fetch_add(&g->wake_seq, 1);
	return 1;
}

/*
 * Consume the pending events without blocking.  Returns 1 if any was
 * consumed, 0 if none, or a negative errno.  xenevtchn_pending() may block
 * even on a non-blocking fd, so poll first each time, holding consume_lock
 * so that no other consumer takes the event in between.  If a sleeping
 * thread holds the lock, it is the consumer: leave the events to it.
 */
static int
channel_consume_events(struct gntring *g)
{
	struct pollfd pfd = { .fd = xenevtchn_fd(g->evtchn), .events = POLLIN };
	int consumed = 0, err = 0;

	if (pthread_mutex_trylock(&g->consume_lock) != 0)
		return 0;
	for (int i = 0; i < 64; i++) {
		if (poll(&pfd, 1, 0) <= 0 || (pfd.revents & POLLIN) == 0)
			break;
		err = channel_take_event(g);
		if (err <= 0)
			break;
		consumed = 1;
	}
	pthread_mutex_unlock(&g->consume_lock);
	return err < 0 ? err : consumed;
}

static inline void
channel_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	atomic_signal_fence(memory_order_seq_cst);
#endif
}

/*
 * Watch the peer instead of sleeping: up to the current budget, until its
 * indices or live byte move.  Returns true if they did.  Nothing was asked
 * of the peer (ring_defer_request), so it sends no event for what it does
 * meanwhile.  The budget adapts: back to the limit after a spin that paid
 * off, halved after one that did not, so a peer that is slow, or that is
 * not running because we hold its CPU, soon costs nothing; after
 * CHANNEL_SPIN_RETRY waits at 0, one spin tries again.
 */
static bool
channel_spin(struct gntring *g)
{
	unsigned int max = atomic_load_explicit(&g->spin_max_ns,
						memory_order_relaxed);
	unsigned int budget = atomic_load_explicit(&g->spin_budget_ns,
						   memory_order_relaxed);
	struct ring_peer_marks before, now;
	int64_t start;

	if (max == 0)
		return false;
	if (budget == 0) {
		if (atomic_fetch_add_explicit(&g->spin_idle, 1,
					      memory_order_relaxed) + 1 <
		    CHANNEL_SPIN_RETRY)
			return false;
		atomic_store_explicit(&g->spin_idle, 0, memory_order_relaxed);
		budget = max;
	}
	ring_peer_marks(&g->ring, &before);
	start = channel_now_ns();
	for (unsigned int i = 1;; i++) {
		channel_cpu_relax();
		ring_peer_marks(&g->ring, &now);
		if (now.prod != before.prod || now.cons != before.cons ||
		    now.live != before.live) {
			atomic_store_explicit(&g->spin_budget_ns, max,
					      memory_order_relaxed);
			return true;
		}
		if ((i & 31) == 0 && channel_now_ns() - start >= budget)
			break;
	}
	budget /= 2;
	atomic_store_explicit(&g->spin_budget_ns, budget < 500 ? 0 : budget,
			      memory_order_relaxed);
	return false;
}

/*
 * Sleep until an event arrives after `seq` was sampled, or timeout_ms passes
 * (-1: forever).  Returns 1 (an event), 2 (a quiet second: re-check the
 * channel), 0 (timed out) or a negative errno.
 */
static int
channel_sleep(struct gntring *g, unsigned int seq, int timeout_ms)
{
	int64_t deadline = timeout_ms < 0 ? INT64_MAX :
			   channel_now_ms() + timeout_ms;
	bool recheck = false;
	int err = 0;

	pthread_mutex_lock(&g->wait_lock);
	while (atomic_load(&g->wake_seq) == seq) {
		int64_t left = deadline - channel_now_ms();

		if (left <= 0)
			break;
		if (g->polling) {
			/* Another thread polls: it wakes us for each event. */
			struct timespec ts;
			int64_t until = channel_now_ms() +
					(left < CHANNEL_RECHECK_MS ? left : CHANNEL_RECHECK_MS);

			ts.tv_sec = until / 1000;
			ts.tv_nsec = (until % 1000) * 1000000;
			pthread_cond_timedwait(&g->wait_cond, &g->wait_lock, &ts);
			continue;
		}
		g->polling = true;
		pthread_mutex_unlock(&g->wait_lock);

		/*
		 * The poller holds consume_lock while it sleeps, so the event
		 * poll reports is still there for xenevtchn_pending(): one
		 * poll, one pending, one unmask per wake-up.
		 */
		struct pollfd pfd = { .fd = xenevtchn_fd(g->evtchn),
				      .events = POLLIN };
		int slice = left < CHANNEL_RECHECK_MS ? (int)left : CHANNEL_RECHECK_MS;
		int ready, poll_errno;

		pthread_mutex_lock(&g->consume_lock);
		ready = poll(&pfd, 1, slice);
		poll_errno = errno;
		if (ready > 0 && (pfd.revents & POLLIN) != 0)
			err = channel_take_event(g);
		pthread_mutex_unlock(&g->consume_lock);

		if (ready > 0 && (pfd.revents & POLLIN) == 0) {
			/* The event channel itself failed: no peer behind it. */
			atomic_store(&g->ring.peer, RING_PEER_GONE);
			recheck = true;
		} else if (ready > 0) {
			/* An event was taken above. */
		} else if (ready == 0 && left > CHANNEL_RECHECK_MS) {
			/*
			 * A quiet second: let the caller re-check the rings and
			 * the live byte.  After longer silence, probe the port:
			 * a destroyed peer domain clears no live byte, but a
			 * notify that fails tells us (a live peer ignores a
			 * spurious event, which the protocol allows).
			 */
			int64_t now = channel_now_ms();

			if (now - atomic_load(&g->last_event_ms) >= CHANNEL_PROBE_MS) {
				atomic_store(&g->last_event_ms, now);
				if (channel_notify(g) < 0)
					atomic_store(&g->ring.peer, RING_PEER_GONE);
			}
			recheck = true;
		} else if (ready < 0 && poll_errno != EINTR) {
			err = -poll_errno;
		}

		pthread_mutex_lock(&g->wait_lock);
		g->polling = false;
		pthread_cond_broadcast(&g->wait_cond);
		if (err < 0 || recheck)
			break;
	}
	pthread_mutex_unlock(&g->wait_lock);
	if (err < 0)
		return err;
	if (atomic_load(&g->wake_seq) != seq)
		return 1;
	return recheck ? 2 : 0;
}

static bool
channel_should_wait(const struct gntring *g, ssize_t ret)
{
	return (ret == -EAGAIN || ret == -ENOTCONN) && atomic_load(&g->blocking);
}

/* The arguments of one ring call; each channel_op_* reads its own. */
struct channel_args {
	const struct iovec *iov;
	int iovcnt;
	void *buf;
	const void *cbuf;
	size_t n;			/* a byte count, or the minimum span */
	struct gntring_span *span;
};

/*
 * How a blocked data call waits: by spinning while gntring_set_spin allows
 * it and the spins pay off, else by sleeping for an event.
 */
struct channel_waiter {
	bool spin;		/* the next attempt may be followed by a spin */
	unsigned int streak;	/* spins since the call last slept */
};

static inline void
channel_waiter_init(struct gntring *ring, struct channel_waiter *w)
{
	w->spin = atomic_load_explicit(&ring->spin_max_ns,
				       memory_order_relaxed) != 0;
	w->streak = 0;
}

/*
 * Around an attempt: while we may spin, a short op asks the peer for
 * nothing.  ring_defer_request is false outside attempts, so a call that
 * does not spin (the default) never touches it: in a shared library each
 * access of a thread-local variable is a call to __tls_get_addr.
 */
static inline void
channel_attempt_begin(struct gntring *ring, const struct channel_waiter *w)
{
	if (w->spin)
		ring_defer_request = atomic_load(&ring->blocking);
}

static inline void
channel_attempt_end(const struct channel_waiter *w)
{
	if (w->spin)
		ring_defer_request = false;
}

/*
 * The attempt fell short and the call blocks: spin, or sleep for an event
 * after `seq`.  The caller attempts again either way: after a spin that
 * saw the peer move, to use it; after one that did not, with the request
 * armed, before it sleeps.  Returns 0 or a negative errno.
 */
static int
channel_wait_turn(struct gntring *ring, struct channel_waiter *w,
		  unsigned int seq)
{
	int err;

	if (w->spin) {
		w->spin = ++w->streak < CHANNEL_SPIN_STREAK &&
			  channel_spin(ring);
		return 0;
	}
	err = channel_sleep(ring, seq, -1);
	if (err < 0)
		return err;
	channel_waiter_init(ring, w);
	return 0;
}

/*
 * The blocking loop of every data call: run op until it succeeds, fails for
 * good, or the channel is non-blocking; else wait and retry.  The wake
 * sequence is sampled before op runs, so an event that lands between op
 * and the sleep is not lost.  Inlined, so each caller keeps a direct call
 * to its ring function.
 */
static inline ssize_t
channel_blocking(struct gntring *ring,
		 ssize_t (*op)(struct ring *, const struct channel_args *),
		 const struct channel_args *args)
{
	struct channel_waiter w;

	channel_waiter_init(ring, &w);
	for (;;) {
		unsigned int seq = atomic_load(&ring->wake_seq);
		ssize_t ret;
		int err;

		channel_attempt_begin(ring, &w);
		ret = op(&ring->ring, args);
		channel_attempt_end(&w);
		if (!channel_should_wait(ring, ret))
			return ret;
		err = channel_wait_turn(ring, &w, seq);
		if (err < 0)
			return err;
	}
}

/* ------------------------------------------------------------------ */
/* Teardown                                                             */

static void
channel_destroy(struct gntring *g)
{
	int saved = errno;

	if (g->ring_ready)
		ring_close_own(&g->ring, !g->aborting);
	if (g->gntshr != NULL) {
		if (g->left_pages != NULL)
			xengntshr_unshare(g->gntshr, g->left_pages, g->left_count);
		if (g->right_pages != NULL)
			xengntshr_unshare(g->gntshr, g->right_pages, g->right_count);
		if (g->ctrl_page != NULL)
			xengntshr_unshare(g->gntshr, g->ctrl_page, 1);
		xengntshr_close(g->gntshr);
	}
	if (g->gnttab != NULL) {
		if (g->left_pages != NULL)
			xengnttab_unmap(g->gnttab, g->left_pages, g->left_count);
		if (g->right_pages != NULL)
			xengnttab_unmap(g->gnttab, g->right_pages, g->right_count);
		if (g->ctrl_page != NULL)
			xengnttab_unmap(g->gnttab, g->ctrl_page, 1);
		xengnttab_close(g->gnttab);
	}
	if (g->xs != NULL) {
		if (g->xs_published)
			xs_rm(g->xs, XBT_NULL, g->xs_path);
		xs_close(g->xs);
	}
	if (g->evtchn != NULL) {
		if (g->port_bound)
			xenevtchn_unbind(g->evtchn, g->port);
		xenevtchn_close(g->evtchn);
	}
	pthread_cond_destroy(&g->wait_cond);
	pthread_mutex_destroy(&g->wait_lock);
	pthread_mutex_destroy(&g->consume_lock);
	free(g->xs_path);
	free(g);
	errno = saved;
}

/* GNTRING_SPIN_US: the default of gntring_set_spin() for new channels. */
static void
channel_spin_from_env(struct gntring *g)
{
	const char *v = getenv("GNTRING_SPIN_US");
	char *end;
	unsigned long us;

	if (v == NULL || *v == '\0')
		return;
	errno = 0;
	us = strtoul(v, &end, 10);
	if (errno == 0 && *end == '\0' && v[0] != '-' &&
	    us <= CHANNEL_SPIN_MAX_US)
		(void)gntring_set_spin(g, (unsigned int)us);
}

static struct gntring *
channel_alloc(uint16_t peer_domid, enum ring_role role, unsigned int flags)
{
	struct gntring *g = calloc(1, sizeof(*g));
	pthread_condattr_t attr;

	if (g == NULL)
		return NULL;
	g->role = role;
	g->peer_domid = peer_domid;
	atomic_init(&g->blocking, (flags & GNTRING_NONBLOCK) == 0);
	atomic_init(&g->wake_seq, 0);
	atomic_init(&g->last_event_ms, channel_now_ms());
	pthread_mutex_init(&g->wait_lock, NULL);
	pthread_mutex_init(&g->consume_lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&g->wait_cond, &attr);
	pthread_condattr_destroy(&attr);
	channel_spin_from_env(g);
	return g;
}

/* Fail a constructor: tear down, return NULL with errno = err. */
static struct gntring *
channel_fail(struct gntring *g, int err)
{
	channel_destroy(g);
	errno = err;
	return NULL;
}

/*
 * The hypervisor's answer to a grant or port that is not ours to map or
 * bind varies (EINVAL, EPERM, EFAULT, ENOENT); the contract says EACCES.
 */
static int
channel_refused(int err)
{
	switch (err) {
	case EINVAL:
	case EPERM:
	case EFAULT:
	case ENOENT:
	case ESRCH:
		return EACCES;
	default:
		return err;
	}
}

static int
channel_open_evtchn(struct gntring *g)
{
	g->evtchn = xenevtchn_open(NULL, 0);
	return g->evtchn == NULL ? -errno : 0;
}

/* In-page ring placement for orders 10 and 11. */
static uint8_t *
channel_in_page_ring(void *ctrl_page, unsigned int order)
{
	return (uint8_t *)ctrl_page + (order == VCHAN_SMALL_ORDER ?
				       VCHAN_SMALL_OFFSET : VCHAN_LARGE_OFFSET);
}

/* ------------------------------------------------------------------ */
/* Xenstore                                                             */

static int
channel_parse_u32(const char *text, uint32_t *value)
{
	char *end;
	unsigned long v;

	if (text == NULL || *text < '0' || *text > '9')
		return -EPROTO;
	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0 || v > UINT32_MAX)
		return -EPROTO;
	*value = (uint32_t)v;
	return 0;
}

static int
channel_read_self_domid(struct xs_handle *xs, uint32_t *domid)
{
	unsigned int len;
	char *text = xs_read(xs, XBT_NULL, "domid", &len);
	char *end;
	unsigned long v;

	if (text == NULL)
		return -errno;
	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno != 0 || *end != '\0' || end == text || v >= 0x7ff0) {
		free(text);
		return -EPROTO;
	}
	free(text);
	*domid = (uint32_t)v;
	return 0;
}

static int
channel_write_key(struct xs_handle *xs, xs_transaction_t t, const char *dir,
		  const char *name, uint32_t value, struct xs_permissions *perms)
{
	char key[PATH_MAX], text[16];
	int len;

	if (snprintf(key, sizeof(key), "%s/%s", dir, name) >= (int)sizeof(key))
		return -ENAMETOOLONG;
	len = snprintf(text, sizeof(text), "%u", value);
	if (!xs_write(xs, t, key, text, (unsigned int)len) ||
	    !xs_set_permissions(xs, t, key, perms, 2))
		return errno != 0 ? -errno : -EIO;
	return 0;
}

/* Publish ring-ref and event-channel in one transaction, readable by the peer. */
static int
channel_publish(struct gntring *g, uint32_t ref)
{
	struct xs_permissions perms[2];
	uint32_t self = 0;
	int err = channel_read_self_domid(g->xs, &self);

	if (err < 0)
		return err;
	perms[0].id = self;
	perms[0].perms = XS_PERM_NONE;
	perms[1].id = g->peer_domid;
	perms[1].perms = XS_PERM_READ;
	for (int attempt = 0; attempt < 100; attempt++) {
		xs_transaction_t t = xs_transaction_start(g->xs);

		if (t == XBT_NULL)
			return -errno;
		err = channel_write_key(g->xs, t, g->xs_path, "ring-ref", ref, perms);
		if (err == 0)
			err = channel_write_key(g->xs, t, g->xs_path,
						"event-channel", g->port, perms);
		if (err < 0) {
			xs_transaction_end(g->xs, t, true);
			return err;
		}
		if (xs_transaction_end(g->xs, t, false)) {
			g->xs_published = true;
			return 0;
		}
		if (errno != EAGAIN)
			return -errno;
	}
	return -EAGAIN;
}

/* Read both keys.  0, -ENOENT / -EACCES (not there for us yet), -EPROTO. */
static int
channel_read_keys(struct xs_handle *xs, const char *dir, uint32_t *ref,
		  uint32_t *port)
{
	char key[PATH_MAX];
	const char *names[2] = { "ring-ref", "event-channel" };
	uint32_t *values[2] = { ref, port };

	for (int i = 0; i < 2; i++) {
		unsigned int len;
		char *text;
		int err;

		if (snprintf(key, sizeof(key), "%s/%s", dir, names[i]) >=
		    (int)sizeof(key))
			return -ENAMETOOLONG;
		text = xs_read(xs, XBT_NULL, key, &len);
		if (text == NULL)
			return errno == EACCES || errno == EPERM ? -EACCES : -ENOENT;
		err = channel_parse_u32(text, values[i]);
		free(text);
		if (err < 0)
			return err;
	}
	return 0;
}

/*
 * Wait for the server's keys with a watch on the leaf `event-channel` (the
 * directory may not be readable for us); re-read both keys on each event.
 */
static int
channel_wait_keys(struct xs_handle *xs, const char *dir, int timeout_ms,
		  uint32_t *ref, uint32_t *port)
{
	char leaf[PATH_MAX];
	int64_t deadline = channel_now_ms() + timeout_ms;
	int err = channel_read_keys(xs, dir, ref, port);

	if (err != -ENOENT && err != -EACCES)
		return err;
	if (timeout_ms == 0)
		return err == -EACCES ? err : -ENOENT;
	if (snprintf(leaf, sizeof(leaf), "%s/event-channel", dir) >=
	    (int)sizeof(leaf))
		return -ENAMETOOLONG;
	if (!xs_watch(xs, leaf, "gntring"))
		return -errno;
	for (;;) {
		struct pollfd pfd = { .fd = xs_fileno(xs), .events = POLLIN };
		int64_t left = timeout_ms < 0 ? CHANNEL_RECHECK_MS :
			       deadline - channel_now_ms();
		char **event;

		err = channel_read_keys(xs, dir, ref, port);
		if (err != -ENOENT && err != -EACCES)
			break;
		if (left <= 0) {
			/*
			 * xenstored answers EACCES for a missing key under a
			 * directory we cannot read: while waiting, that is
			 * "no server yet", like ENOENT.
			 */
			err = -ETIMEDOUT;
			break;
		}
		if (pfd.fd < 0) {
			err = -EIO;
			break;
		}
		if (poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left) < 0 &&
		    errno != EINTR) {
			err = -errno;
			break;
		}
		while ((event = xs_check_watch(xs)) != NULL)
			free(event);
	}
	xs_unwatch(xs, leaf, "gntring");
	return err;
}

/* ------------------------------------------------------------------ */
/* Constructors                                                         */

GNTRING_API struct gntring *
gntring_listen(uint16_t peer_domid, const char *path, size_t read_min,
	       size_t write_min, unsigned int flags)
{
	unsigned int left_order, right_order;
	uint32_t refs[2 * (1u << (VCHAN_ORDER_MAX - VCHAN_PAGE_SHIFT))];
	uint32_t ctrl_ref = 0;
	struct ring_layout layout;
	struct gntring *g;
	int err;

	if (path == NULL || *path == '\0' || (flags & ~GNTRING_NONBLOCK) != 0 ||
	    ring_pick_orders(read_min, write_min, &left_order, &right_order) < 0) {
		errno = EINVAL;
		return NULL;
	}
	g = channel_alloc(peer_domid, RING_ROLE_SERVER, flags);
	if (g == NULL)
		return NULL;
	g->xs_path = strdup(path);
	if (g->xs_path == NULL)
		return channel_fail(g, ENOMEM);

	err = channel_open_evtchn(g);
	if (err < 0)
		return channel_fail(g, -err);
	xenevtchn_port_or_error_t port =
		xenevtchn_bind_unbound_port(g->evtchn, peer_domid);
	if (port < 0)
		return channel_fail(g, errno);
	g->port = (evtchn_port_t)port;
	g->port_bound = true;
	if (xenevtchn_unmask(g->evtchn, g->port) < 0)
		return channel_fail(g, errno);

	g->gntshr = xengntshr_open(NULL, 0);
	if (g->gntshr == NULL)
		return channel_fail(g, errno);
	g->ctrl_page = xengntshr_share_page_notify(g->gntshr, peer_domid,
						   &ctrl_ref, 1,
						   VCHAN_SRV_LIVE_OFFSET, g->port);
	if (g->ctrl_page == NULL)
		return channel_fail(g, errno);
	memset(g->ctrl_page, 0, VCHAN_PAGE_SIZE);

	/* Every ring page is granted writable, as libxenvchan does. */
	g->left_count = vchan_order_pages(left_order);
	g->right_count = vchan_order_pages(right_order);
	if (g->left_count > 0) {
		g->left_pages = xengntshr_share_pages(g->gntshr, peer_domid,
						      (int)g->left_count, refs, 1);
		if (g->left_pages == NULL)
			return channel_fail(g, errno);
	}
	if (g->right_count > 0) {
		g->right_pages = xengntshr_share_pages(g->gntshr, peer_domid,
						       (int)g->right_count,
						       refs + g->left_count, 1);
		if (g->right_pages == NULL)
			return channel_fail(g, errno);
	}

	struct vchan_ctrl *ctrl = g->ctrl_page;
	ring_server_prepare(ctrl, left_order, right_order);
	memcpy(ctrl->grants, refs,
	       sizeof(refs[0]) * (g->left_count + g->right_count));

	layout.role = RING_ROLE_SERVER;
	layout.ctrl = ctrl;
	layout.read_order = left_order;
	layout.read_data = g->left_pages != NULL ? g->left_pages :
			   channel_in_page_ring(ctrl, left_order);
	layout.write_order = right_order;
	layout.write_data = g->right_pages != NULL ? g->right_pages :
			    channel_in_page_ring(ctrl, right_order);
	err = ring_init(&g->ring, &layout, channel_notify, g);
	if (err < 0)
		return channel_fail(g, -err);
	g->ring_ready = true;

	g->xs = xs_open(0);
	if (g->xs == NULL)
		return channel_fail(g, errno != 0 ? errno : EIO);
	err = channel_publish(g, ctrl_ref);
	if (err < 0)
		return channel_fail(g, -err);
	return g;
}

/* Check the live bytes a server left for a new client. */
static int
channel_check_live(const struct vchan_ctrl *ctrl)
{
	/* A0: the server initialised both bytes before publishing the keys. */
	uint8_t srv = atomic_load_explicit(
		(_Atomic uint8_t *)(uintptr_t)&ctrl->srv_live, memory_order_acquire);
	uint8_t cli = atomic_load_explicit(
		(_Atomic uint8_t *)(uintptr_t)&ctrl->cli_live, memory_order_acquire);

	if (srv == VCHAN_LIVE_CLOSED)
		return -ECONNREFUSED;
	if (srv != VCHAN_LIVE_CONNECTED)
		return -EPROTO;
	if (cli == VCHAN_LIVE_CONNECTED)
		return -EBUSY;
	if (cli != VCHAN_LIVE_WAITING && cli != VCHAN_LIVE_CLOSED)
		return -EPROTO;
	return 0;
}

GNTRING_API struct gntring *
gntring_connect(uint16_t peer_domid, const char *path, int timeout_ms,
		unsigned int flags)
{
	uint32_t refs[2 * (1u << (VCHAN_ORDER_MAX - VCHAN_PAGE_SHIFT))];
	uint32_t ctrl_ref, remote_port;
	unsigned int left_order, right_order;
	struct ring_layout layout;
	struct vchan_ctrl *ctrl;
	struct gntring *g;
	int err;

	if (path == NULL || *path == '\0' || timeout_ms < -1 ||
	    (flags & ~GNTRING_NONBLOCK) != 0) {
		errno = EINVAL;
		return NULL;
	}
	g = channel_alloc(peer_domid, RING_ROLE_CLIENT, flags);
	if (g == NULL)
		return NULL;

	struct xs_handle *xs = xs_open(0);
	if (xs == NULL)
		return channel_fail(g, errno != 0 ? errno : EIO);
	err = channel_wait_keys(xs, path, timeout_ms, &ctrl_ref, &remote_port);
	xs_close(xs);
	if (err < 0)
		return channel_fail(g, -err);

	err = channel_open_evtchn(g);
	if (err < 0)
		return channel_fail(g, -err);
	xenevtchn_port_or_error_t port =
		xenevtchn_bind_interdomain(g->evtchn, peer_domid, remote_port);
	if (port < 0)
		return channel_fail(g, channel_refused(errno));
	g->port = (evtchn_port_t)port;
	g->port_bound = true;
	if (xenevtchn_unmask(g->evtchn, g->port) < 0)
		return channel_fail(g, errno);

	g->gnttab = xengnttab_open(NULL, 0);
	if (g->gnttab == NULL)
		return channel_fail(g, errno);
	g->ctrl_page = xengnttab_map_grant_ref_notify(g->gnttab, peer_domid,
						      ctrl_ref,
						      PROT_READ | PROT_WRITE,
						      VCHAN_CLI_LIVE_OFFSET,
						      g->port);
	if (g->ctrl_page == NULL)
		return channel_fail(g, channel_refused(errno));
	ctrl = g->ctrl_page;

	/* Geometry: read once into private variables, then validated.  Relaxed:
	 * the page was filled before the keys we read were published (A0). */
	left_order = atomic_load_explicit(
		(_Atomic uint16_t *)&ctrl->left_order, memory_order_relaxed);
	right_order = atomic_load_explicit(
		(_Atomic uint16_t *)&ctrl->right_order, memory_order_relaxed);
	err = ring_check_orders(left_order, right_order);
	if (err < 0)
		return channel_fail(g, -err);
	g->left_count = vchan_order_pages(left_order);
	g->right_count = vchan_order_pages(right_order);
	memcpy(refs, ctrl->grants,
	       sizeof(refs[0]) * (g->left_count + g->right_count));

	/* We write the left ring and only read the right one. */
	if (g->left_count > 0) {
		g->left_pages = xengnttab_map_domain_grant_refs(
			g->gnttab, g->left_count, peer_domid, refs,
			PROT_READ | PROT_WRITE);
		if (g->left_pages == NULL)
			return channel_fail(g, channel_refused(errno));
	}
	if (g->right_count > 0) {
		g->right_pages = xengnttab_map_domain_grant_refs(
			g->gnttab, g->right_count, peer_domid,
			refs + g->left_count, PROT_READ);
		if (g->right_pages == NULL)
			return channel_fail(g, channel_refused(errno));
	}

	err = channel_check_live(ctrl);
	if (err < 0)
		return channel_fail(g, -err);
	layout.role = RING_ROLE_CLIENT;
	layout.ctrl = ctrl;
	layout.read_order = right_order;
	layout.read_data = g->right_pages != NULL ? g->right_pages :
			   channel_in_page_ring(ctrl, right_order);
	layout.write_order = left_order;
	layout.write_data = g->left_pages != NULL ? g->left_pages :
			    channel_in_page_ring(ctrl, left_order);
	err = ring_init(&g->ring, &layout, channel_notify, g);
	if (err < 0)
		return channel_fail(g, -err);
	g->ring_ready = true;
	err = ring_client_announce(&g->ring);
	if (err < 0)
		return channel_fail(g, -err);
	return g;
}

GNTRING_API void
gntring_close(struct gntring *ring)
{
	if (ring != NULL)
		channel_destroy(ring);
}

GNTRING_API void
gntring_abort(struct gntring *ring)
{
	if (ring != NULL) {
		ring->aborting = true;
		channel_destroy(ring);
	}
}

/* ------------------------------------------------------------------ */
/* State and events                                                     */

GNTRING_API enum gntring_state
gntring_state(struct gntring *ring)
{
	if (ring == NULL)
		return GNTRING_BROKEN;
	return ring_state(&ring->ring);
}

GNTRING_API int
gntring_set_blocking(struct gntring *ring, bool blocking)
{
	if (ring == NULL)
		return -EINVAL;
	atomic_store(&ring->blocking, blocking);
	return 0;
}

GNTRING_API int
gntring_set_spin(struct gntring *ring, unsigned int max_us)
{
	static atomic_long cpus;	/* sysconf reads a file: once is enough */
	long online;
	unsigned int ns;

	if (ring == NULL || max_us > CHANNEL_SPIN_MAX_US)
		return -EINVAL;
	online = atomic_load_explicit(&cpus, memory_order_relaxed);
	if (online == 0) {
		online = sysconf(_SC_NPROCESSORS_ONLN);
		atomic_store_explicit(&cpus, online, memory_order_relaxed);
	}
	/* On one CPU the peer cannot move while we spin. */
	ns = online >= 2 ? max_us * 1000 : 0;
	atomic_store_explicit(&ring->spin_budget_ns, ns, memory_order_relaxed);
	atomic_store_explicit(&ring->spin_idle, 0, memory_order_relaxed);
	atomic_store_explicit(&ring->spin_max_ns, ns, memory_order_relaxed);
	return 0;
}

GNTRING_API size_t
gntring_read_size(const struct gntring *ring)
{
	return ring == NULL ? 0 : ring->ring.rd_size;
}

GNTRING_API size_t
gntring_write_size(const struct gntring *ring)
{
	return ring == NULL ? 0 : ring->ring.wr_size;
}

GNTRING_API int
gntring_fd(const struct gntring *ring)
{
	if (ring == NULL)
		return -EINVAL;
	return xenevtchn_fd(ring->evtchn);
}

GNTRING_API int
gntring_process(struct gntring *ring)
{
	int err;

	if (ring == NULL)
		return -EINVAL;
	err = channel_consume_events(ring);
	if (err < 0)
		return err;
	if (err > 0) {
		/* Wake threads sleeping behind another thread's poll. */
		pthread_mutex_lock(&ring->wait_lock);
		pthread_cond_broadcast(&ring->wait_cond);
		pthread_mutex_unlock(&ring->wait_lock);
	}
	return ring_process(&ring->ring);
}

/*
 * Something to do right now, by a look at the indices alone: nothing asked
 * of the peer, nothing validated (the call that follows does that).
 */
static bool
channel_has_work_unasked(struct gntring *g)
{
	if (ring_readable_hint(&g->ring) > 0)
		return true;
	return atomic_load(&g->ring.wr_want_space) &&
	       ring_writable_hint(&g->ring) > 0;
}

/* Is there something to do right now, after arming the wake-ups? */
static bool
channel_has_work(struct gntring *g)
{
	int state = ring_process(&g->ring);

	if (state == GNTRING_BROKEN || state == GNTRING_CLOSED)
		return true;
	return channel_has_work_unasked(g);
}

GNTRING_API int
gntring_wait(struct gntring *ring, int timeout_ms)
{
	struct channel_waiter w;
	int64_t deadline;

	if (ring == NULL || timeout_ms < -1)
		return -EINVAL;
	deadline = channel_now_ms() + timeout_ms;
	channel_waiter_init(ring, &w);
	for (;;) {
		unsigned int seq = atomic_load(&ring->wake_seq);
		int64_t left = timeout_ms < 0 ? -1 : deadline - channel_now_ms();
		int ret;

		/*
		 * While we may spin, look without asking the peer for data
		 * events: asking (channel_has_work) comes before any sleep.
		 */
		if (w.spin ? channel_has_work_unasked(ring) :
			     channel_has_work(ring))
			return 1;
		if (timeout_ms >= 0 && left <= 0)
			return channel_has_work(ring) ? 1 : 0;
		if (w.spin) {
			/*
			 * The data request a short non-blocking read left is
			 * ours (the reader owns gntring_wait): take it back,
			 * so the peer's writes send no event while we spin.
			 */
			ring_withdraw_request(&ring->ring, VCHAN_NOTIFY_WRITE);
			w.spin = ++w.streak < CHANNEL_SPIN_STREAK &&
				 channel_spin(ring);
			continue;
		}
		ret = channel_sleep(ring, seq, left > INT_MAX ? INT_MAX : (int)left);
		if (ret < 0 || ret == 1)
			return ret;
		/* Timed out or a quiet second: look again before giving up. */
		channel_waiter_init(ring, &w);
	}
}

GNTRING_API size_t
gntring_data_ready(struct gntring *ring)
{
	return ring == NULL ? 0 : ring_data_ready(&ring->ring);
}

GNTRING_API size_t
gntring_buffer_space(struct gntring *ring)
{
	return ring == NULL ? 0 : ring_buffer_space(&ring->ring);
}

/* ------------------------------------------------------------------ */
/* Data                                                                 */

static ssize_t
channel_op_readv(struct ring *r, const struct channel_args *a)
{
	return ring_readv(r, a->iov, a->iovcnt);
}

GNTRING_API ssize_t
gntring_readv(struct gntring *ring, const struct iovec *iov, int iovcnt)
{
	if (ring == NULL)
		return -EINVAL;
	return channel_blocking(ring, channel_op_readv,
				&(struct channel_args){ .iov = iov, .iovcnt = iovcnt });
}

static ssize_t
channel_op_read1(struct ring *r, const struct channel_args *a)
{
	return ring_read1(r, a->buf, a->n);
}

GNTRING_API ssize_t
gntring_read(struct gntring *ring, void *buf, size_t n)
{
	if (ring == NULL || (buf == NULL && n > 0))
		return -EINVAL;
	/* gntring_readv's loop, on the single-buffer path (no iovec). */
	return channel_blocking(ring, channel_op_read1,
				&(struct channel_args){ .buf = buf, .n = n });
}

/* Advance an iovec array past n bytes; returns the new count. */
static int
channel_iov_advance(struct iovec *iov, int iovcnt, size_t n, int *first)
{
	while (*first < iovcnt && n >= iov[*first].iov_len) {
		n -= iov[*first].iov_len;
		(*first)++;
	}
	if (*first < iovcnt && n > 0) {
		iov[*first].iov_base = (uint8_t *)iov[*first].iov_base + n;
		iov[*first].iov_len -= n;
	}
	return iovcnt - *first;
}

#define CHANNEL_IOV_MAX 1024

/*
 * A write attempt of gntring_write/gntring_writev moved nothing (ret <= 0).
 * Returns true to attempt again (after a spin or a sleep); else false with
 * *result: the bytes already written if any (the error comes next time),
 * else ret, or the wait's error.
 */
static bool
channel_write_retry(struct gntring *ring, struct channel_waiter *w,
		    unsigned int seq, ssize_t ret, size_t done,
		    ssize_t *result)
{
	int err;

	if (ret == 0) {
		*result = (ssize_t)done;
		return false;
	}
	if (!channel_should_wait(ring, ret)) {
		*result = done > 0 ? (ssize_t)done : ret;
		return false;
	}
	err = channel_wait_turn(ring, w, seq);
	if (err < 0) {
		*result = done > 0 ? (ssize_t)done : err;
		return false;
	}
	return true;
}

GNTRING_API ssize_t
gntring_writev(struct gntring *ring, const struct iovec *iov, int iovcnt)
{
	struct iovec local[CHANNEL_IOV_MAX];
	struct channel_waiter w;
	size_t done = 0;
	int first = 0;

	if (ring == NULL || iovcnt < 0 || iovcnt > CHANNEL_IOV_MAX ||
	    (iovcnt > 0 && iov == NULL))
		return -EINVAL;
	if (iovcnt > 0)
		memcpy(local, iov, sizeof(*iov) * (size_t)iovcnt);
	channel_waiter_init(ring, &w);
	for (;;) {
		unsigned int seq = atomic_load(&ring->wake_seq);
		int left = iovcnt - first;
		ssize_t ret, result;

		channel_attempt_begin(ring, &w);
		ret = ring_writev(&ring->ring, local + first, left);
		channel_attempt_end(&w);

		if (ret > 0) {
			done += (size_t)ret;
			if (!atomic_load(&ring->blocking) ||
			    channel_iov_advance(local, iovcnt, (size_t)ret,
						&first) == 0)
				return (ssize_t)done;
			continue;
		}
		if (!channel_write_retry(ring, &w, seq, ret, done, &result))
			return result;
	}
}

GNTRING_API ssize_t
gntring_write(struct gntring *ring, const void *buf, size_t n)
{
	const uint8_t *p = buf;
	struct channel_waiter w;
	size_t done = 0;

	if (ring == NULL || (buf == NULL && n > 0))
		return -EINVAL;
	/*
	 * gntring_writev's loop on the single-buffer path: no iovec array
	 * copied, no advance loop.  Same results: partial writes unless
	 * blocking; bytes written are reported, the error comes next time.
	 */
	channel_waiter_init(ring, &w);
	for (;;) {
		unsigned int seq = atomic_load(&ring->wake_seq);
		ssize_t ret, result;

		channel_attempt_begin(ring, &w);
		ret = ring_write1(&ring->ring, p + done, n - done);
		channel_attempt_end(&w);

		if (ret > 0) {
			done += (size_t)ret;
			if (!atomic_load(&ring->blocking) || done == n)
				return (ssize_t)done;
			continue;
		}
		if (!channel_write_retry(ring, &w, seq, ret, done, &result))
			return result;
	}
}

static ssize_t
channel_op_recv(struct ring *r, const struct channel_args *a)
{
	return ring_recv(r, a->buf, a->n);
}

GNTRING_API ssize_t
gntring_recv(struct gntring *ring, void *buf, size_t n)
{
	if (ring == NULL)
		return -EINVAL;
	return channel_blocking(ring, channel_op_recv,
				&(struct channel_args){ .buf = buf, .n = n });
}

static ssize_t
channel_op_send1(struct ring *r, const struct channel_args *a)
{
	return ring_send1(r, a->cbuf, a->n);
}

GNTRING_API ssize_t
gntring_send(struct gntring *ring, const void *buf, size_t n)
{
	if (ring == NULL || (buf == NULL && n > 0))
		return -EINVAL;
	return channel_blocking(ring, channel_op_send1,
				&(struct channel_args){ .cbuf = buf, .n = n });
}

static ssize_t
channel_op_write_reserve(struct ring *r, const struct channel_args *a)
{
	return ring_write_reserve(r, a->n, a->span);
}

GNTRING_API ssize_t
gntring_write_reserve(struct gntring *ring, size_t min, struct gntring_span *span)
{
	if (ring == NULL)
		return -EINVAL;
	return channel_blocking(ring, channel_op_write_reserve,
				&(struct channel_args){ .n = min, .span = span });
}

GNTRING_API int
gntring_write_commit(struct gntring *ring, size_t n)
{
	return ring == NULL ? -EINVAL : ring_write_commit(&ring->ring, n);
}

static ssize_t
channel_op_read_peek(struct ring *r, const struct channel_args *a)
{
	return ring_read_peek(r, a->n, a->span);
}

GNTRING_API ssize_t
gntring_read_peek(struct gntring *ring, size_t min, struct gntring_span *span)
{
	if (ring == NULL)
		return -EINVAL;
	return channel_blocking(ring, channel_op_read_peek,
				&(struct channel_args){ .n = min, .span = span });
}

GNTRING_API int
gntring_read_consume(struct gntring *ring, size_t n)
{
	return ring == NULL ? -EINVAL : ring_read_consume(&ring->ring, n);
}

static ssize_t
channel_op_msg_send(struct ring *r, const struct channel_args *a)
{
	return ring_msg_send(r, a->cbuf, a->n);
}

GNTRING_API ssize_t
gntring_msg_send(struct gntring *ring, const void *buf, size_t n)
{
	if (ring == NULL)
		return -EINVAL;
	return channel_blocking(ring, channel_op_msg_send,
				&(struct channel_args){ .cbuf = buf, .n = n });
}

static ssize_t
channel_op_msg_recv(struct ring *r, const struct channel_args *a)
{
	return ring_msg_recv(r, a->buf, a->n);
}

GNTRING_API ssize_t
gntring_msg_recv(struct gntring *ring, void *buf, size_t cap)
{
	if (ring == NULL)
		return -EINVAL;
	return channel_blocking(ring, channel_op_msg_recv,
				&(struct channel_args){ .buf = buf, .n = cap });
}

GNTRING_API int
gntring_shutdown_write(struct gntring *ring)
{
	return ring == NULL ? -EINVAL : ring_shutdown_write(&ring->ring);
}

GNTRING_API bool
gntring_peer_is_gntring(const struct gntring *ring)
{
	return ring != NULL && ring_peer_is_gntring(&ring->ring);
}

GNTRING_API const char *
gntring_version(void)
{
	return GNTRING_VERSION_STRING;
}

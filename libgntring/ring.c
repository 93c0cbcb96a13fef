/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The ring engine.  See ring.h for the contract.
 *
 * Memory ordering, named so each pair can be checked:
 *   R1  writer: release store of prod after copying data in.
 *   A1  reader: acquire load of prod before copying data out (pairs R1).
 *   R2  reader: release store of cons after copying data out.
 *   A2  writer: acquire load of cons before overwriting ring bytes (pairs R2).
 *   R3  a side: release of its live byte / shutdown bit after its last R1;
 *       on close, the shutdown bit first, then the live byte.
 *   A3  the other side: acquire of that byte, then re-load prod (pairs R3);
 *       the live byte is loaded before the shutdown bit, so a side that
 *       sees live = 0 from a close also sees the bit (a close never reads
 *       as a death).
 *   A0  setup: loads of what the server wrote before publishing the page;
 *       they pair with the xenstore publication (and, for a vchan server
 *       reused by successive clients, with its and the old client's R1/R2).
 *   F1  request: OR the bit into the peer's byte, full fence, re-load index.
 *   F2  send: store our index, full fence, fetch-and-clear our byte.
 *       F1 and F2 pair as a Dekker handshake: either the requester sees the
 *       new index, or the sender sees the request and sends an event.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "ring.h"

/*
 * The few functions every data call runs: inlined into each call, which
 * saves a call frame and its register saves apiece.
 */
#define RING_HOT inline __attribute__((always_inline))

/* Shared-memory atomics.  The page is plain memory shared with the peer. */
static inline uint32_t
ring_load_acquire32(const uint32_t *p)
{
	return atomic_load_explicit((_Atomic uint32_t *)(uintptr_t)p,
				    memory_order_acquire);
}

static inline void
ring_store_release32(uint32_t *p, uint32_t v)
{
	atomic_store_explicit((_Atomic uint32_t *)p, v, memory_order_release);
}

static inline uint8_t
ring_load_acquire8(const uint8_t *p)
{
	return atomic_load_explicit((_Atomic uint8_t *)(uintptr_t)p,
				    memory_order_acquire);
}

static inline void
ring_store_release8(uint8_t *p, uint8_t v)
{
	atomic_store_explicit((_Atomic uint8_t *)p, v, memory_order_release);
}

static inline uint8_t
ring_fetch_or8(uint8_t *p, uint8_t bits)
{
	return atomic_fetch_or_explicit((_Atomic uint8_t *)p, bits,
					memory_order_seq_cst);
}

static inline uint8_t
ring_fetch_and8(uint8_t *p, uint8_t bits)
{
	return atomic_fetch_and_explicit((_Atomic uint8_t *)p, bits,
					 memory_order_seq_cst);
}

/* ------------------------------------------------------------------ */
/* Geometry                                                            */

int
ring_check_orders(unsigned int left_order, unsigned int right_order)
{
	uint32_t grant_end, limit = VCHAN_PAGE_SIZE;

	if (left_order < VCHAN_ORDER_MIN || left_order > VCHAN_ORDER_MAX ||
	    right_order < VCHAN_ORDER_MIN || right_order > VCHAN_ORDER_MAX)
		return -EPROTO;
	/* Two in-page rings of the same order would overlap. */
	if (left_order == right_order && left_order < VCHAN_PAGE_SHIFT)
		return -EPROTO;
	if (left_order == VCHAN_SMALL_ORDER || right_order == VCHAN_SMALL_ORDER)
		limit = VCHAN_SMALL_OFFSET;
	else if (left_order == VCHAN_LARGE_ORDER ||
		 right_order == VCHAN_LARGE_ORDER)
		limit = VCHAN_LARGE_OFFSET;
	grant_end = VCHAN_CTRL_SIZE + 4u * (vchan_order_pages(left_order) +
					    vchan_order_pages(right_order));
	if (grant_end > limit)
		return -EPROTO;
	return 0;
}

/* Smallest order >= 12 whose ring holds `min` bytes. */
static unsigned int
ring_min_page_order(size_t min)
{
	unsigned int order = VCHAN_PAGE_SHIFT;

	while (((size_t)1 << order) < min)
		order++;
	return order;
}

int
ring_pick_orders(size_t left_min, size_t right_min, unsigned int *left_order,
		 unsigned int *right_order)
{
	if (left_min > GNTRING_RING_MAX || right_min > GNTRING_RING_MAX)
		return -EINVAL;
	/* libxenvchan's rules, in its order (spec §3.6). */
	if (left_min <= 1024 && right_min <= 2048) {
		*left_order = 10;
		*right_order = 11;
	} else if (left_min <= 2048 && right_min <= 1024) {
		*left_order = 11;
		*right_order = 10;
	} else if (left_min <= 2048) {
		*left_order = 11;
		*right_order = ring_min_page_order(right_min);
	} else if (right_min <= 2048) {
		*right_order = 11;
		*left_order = ring_min_page_order(left_min);
	} else {
		*left_order = ring_min_page_order(left_min);
		*right_order = ring_min_page_order(right_min);
	}
	return 0;
}

void
ring_server_prepare(struct vchan_ctrl *ctrl, unsigned int left_order,
		    unsigned int right_order)
{
	/* The page is not shared yet: plain stores are enough. */
	ctrl->left_order = (uint16_t)left_order;
	ctrl->right_order = (uint16_t)right_order;
	ctrl->cli_live = VCHAN_LIVE_WAITING;
	ctrl->srv_live = VCHAN_LIVE_CONNECTED;
	/* We want to hear of client writes; and we announce libgntring. */
	ctrl->cli_notify = VCHAN_NOTIFY_WRITE | GNTRING_NOTIFY_FEATURE;
	ctrl->srv_notify = 0;
}

int
ring_init(struct ring *r, const struct ring_layout *layout,
	  ring_notify_fn notify, void *notify_ctx)
{
	struct vchan_ctrl *ctrl = layout->ctrl;
	uint32_t rd_prod, rd_cons, wr_prod, wr_cons;

	if (ctrl == NULL || layout->read_data == NULL ||
	    layout->write_data == NULL || notify == NULL ||
	    layout->read_order < VCHAN_ORDER_MIN ||
	    layout->read_order > VCHAN_ORDER_MAX ||
	    layout->write_order < VCHAN_ORDER_MIN ||
	    layout->write_order > VCHAN_ORDER_MAX)
		return -EINVAL;

	memset(r, 0, sizeof(*r));
	r->ctrl = ctrl;
	r->role = layout->role;
	r->rd_data = layout->read_data;
	r->rd_size = 1u << layout->read_order;
	r->wr_data = layout->write_data;
	r->wr_size = 1u << layout->write_order;
	r->notify = notify;
	r->notify_ctx = notify_ctx;
	if (layout->role == RING_ROLE_SERVER) {
		r->rd_prod_shared = &ctrl->left.prod;
		r->rd_cons_shared = &ctrl->left.cons;
		r->wr_prod_shared = &ctrl->right.prod;
		r->wr_cons_shared = &ctrl->right.cons;
		r->own_live = &ctrl->srv_live;
		r->peer_live = &ctrl->cli_live;
		r->req_to_peer = &ctrl->cli_notify;
		r->req_to_us = &ctrl->srv_notify;
	} else {
		r->rd_prod_shared = &ctrl->right.prod;
		r->rd_cons_shared = &ctrl->right.cons;
		r->wr_prod_shared = &ctrl->left.prod;
		r->wr_cons_shared = &ctrl->left.cons;
		r->own_live = &ctrl->cli_live;
		r->peer_live = &ctrl->srv_live;
		r->req_to_peer = &ctrl->srv_notify;
		r->req_to_us = &ctrl->cli_notify;
	}
	atomic_init(&r->peer, layout->role == RING_ROLE_SERVER ?
		    RING_PEER_WAITING : RING_PEER_LIVE);

	/*
	 * Our own indices are read from the page exactly once, here: a fresh
	 * server page holds zeros, and a vchan server reused by a successive
	 * client continues from its old indices.  From now on they are ours.
	 */
	/* A0: the indices as the server left them (see the header comment). */
	rd_cons = ring_load_acquire32(r->rd_cons_shared);
	rd_prod = ring_load_acquire32(r->rd_prod_shared);
	wr_prod = ring_load_acquire32(r->wr_prod_shared);
	wr_cons = ring_load_acquire32(r->wr_cons_shared);
	if (rd_prod - rd_cons > r->rd_size || wr_prod - wr_cons > r->wr_size)
		return -EPROTO;
	r->rd_cons = rd_cons;
	r->rd_prod_seen = rd_prod;
	r->wr_prod = wr_prod;
	r->wr_cons_seen = wr_cons;
	return 0;
}

bool
ring_peer_is_gntring(const struct ring *r)
{
	return atomic_load(&r->peer_gntring);
}

/* ------------------------------------------------------------------ */
/* State                                                               */

static void
ring_set_broken(struct ring *r)
{
	atomic_store(&r->broken, true);
}

static bool
ring_is_broken(const struct ring *r)
{
	return atomic_load(&r->broken);
}

/*
 * The peer has connected: latch whether it speaks our extensions.  Called
 * after A3 saw cli_live = 1, which pairs with R3 in ring_client_announce():
 * the client stored its feature bit before that release.
 */
static void
ring_latch_peer_features(struct ring *r)
{
	uint8_t req = ring_load_acquire8(r->req_to_us);

	atomic_store(&r->peer_gntring, (req & GNTRING_NOTIFY_FEATURE) != 0);
}

/*
 * Refresh what we know of the peer from its live byte, read once.
 * A3: the acquire pairs with R3, the peer's release of its live byte.
 */
static RING_HOT enum ring_peer
ring_refresh_peer(struct ring *r)
{
	int seen = atomic_load(&r->peer);
	uint8_t live;

	if (seen == RING_PEER_GONE || ring_is_broken(r))
		return (enum ring_peer)seen;
	live = ring_load_acquire8(r->peer_live);
	switch (live) {
	case VCHAN_LIVE_CLOSED:
		/*
		 * A client that connected and closed (or died) before we
		 * looked: its feature bit preceded its cli_live = 1, so it
		 * is there now.  A client that never connected has none.
		 */
		if (seen == RING_PEER_WAITING)
			ring_latch_peer_features(r);
		atomic_store(&r->peer, RING_PEER_GONE);
		return RING_PEER_GONE;
	case VCHAN_LIVE_CONNECTED:
		if (seen == RING_PEER_WAITING) {
			/* Client's srv_notify store precedes its cli_live = 1. */
			ring_latch_peer_features(r);
			atomic_store(&r->peer, RING_PEER_LIVE);
		}
		return RING_PEER_LIVE;
	case VCHAN_LIVE_WAITING:
		if (r->role == RING_ROLE_SERVER && seen == RING_PEER_WAITING)
			return RING_PEER_WAITING;
		break;
	default:
		break;
	}
	/* A value out of range, or a step backwards (connected -> waiting). */
	ring_set_broken(r);
	return (enum ring_peer)seen;
}

enum gntring_state
ring_state(struct ring *r)
{
	enum ring_peer peer = ring_refresh_peer(r);

	if (ring_is_broken(r))
		return GNTRING_BROKEN;
	switch (peer) {
	case RING_PEER_WAITING:
		return GNTRING_WAITING;
	case RING_PEER_LIVE:
		return GNTRING_CONNECTED;
	default:
		return GNTRING_CLOSED;
	}
}

/* ------------------------------------------------------------------ */
/* Notify protocol                                                     */

/* request(bit): ask the peer for an event; the caller re-loads an index. */
static void
ring_request(struct ring *r, uint8_t bit)
{
	ring_fetch_or8(r->req_to_peer, bit);
	/* F1: the request is visible before we re-load the peer's index. */
	atomic_thread_fence(memory_order_seq_cst);
}

/* send(bit): after publishing our index, wake the peer if it asked. */
static void
ring_send(struct ring *r, uint8_t bit)
{
	uint8_t old;

	/* F2: our index store is visible before we look at the request. */
	atomic_thread_fence(memory_order_seq_cst);
	/*
	 * Usually the peer is not waiting: a plain load after F2 decides that
	 * without a locked operation.  Only a set bit is fetched and cleared,
	 * so one request gives one event.
	 */
	if ((atomic_load_explicit((_Atomic uint8_t *)r->req_to_us,
				  memory_order_relaxed) & bit) == 0)
		return;
	old = ring_fetch_and8(r->req_to_us, (uint8_t)~bit);
	if ((old & bit) == 0)
		return;
	atomic_fetch_add(&r->events_sent, 1);
	/* A port that cannot be notified has no peer behind it any more. */
	if (r->notify(r->notify_ctx) < 0)
		atomic_store(&r->peer, RING_PEER_GONE);
}

/* Wake the peer unconditionally (state changes). */
static void
ring_kick(struct ring *r)
{
	atomic_fetch_add(&r->events_sent, 1);
	if (r->notify(r->notify_ctx) < 0)
		atomic_store(&r->peer, RING_PEER_GONE);
}

/* ------------------------------------------------------------------ */
/* Index loads with validation                                          */

/*
 * Reader: bytes readable now.  A1: acquire of prod pairs with R1.
 * prod may only move forward and never past cons + size.
 */
static RING_HOT int
ring_rd_used(struct ring *r, uint32_t *used)
{
	uint32_t prod, now, before;

	if (ring_is_broken(r))
		return -EPROTO;
	prod = ring_load_acquire32(r->rd_prod_shared);
	now = prod - r->rd_cons;
	before = r->rd_prod_seen - r->rd_cons;
	if (now > r->rd_size || now < before) {
		ring_set_broken(r);
		return -EPROTO;
	}
	r->rd_prod_seen = prod;
	*used = now;
	return 0;
}

/*
 * Writer: bytes free now.  A2: acquire of cons pairs with R2, so the reader
 * is done with the bytes before we overwrite them.  cons may only move
 * forward and never past our prod.
 */
static RING_HOT int
ring_wr_free(struct ring *r, uint32_t *space)
{
	uint32_t cons, now, before;

	if (ring_is_broken(r))
		return -EPROTO;
	cons = ring_load_acquire32(r->wr_cons_shared);
	now = r->wr_prod - cons;
	before = r->wr_prod - r->wr_cons_seen;
	if (now > r->wr_size || now > before) {
		ring_set_broken(r);
		return -EPROTO;
	}
	r->wr_cons_seen = cons;
	*space = r->wr_size - now - r->wr_reserved;
	return 0;
}

_Thread_local bool ring_defer_request;

/* Reader: at least `want` bytes, arming WRITE and re-checking if short. */
static RING_HOT int
ring_rd_wait_for(struct ring *r, uint32_t want, uint32_t *used)
{
	int err = ring_rd_used(r, used);

	if (err == 0 && *used < want && !ring_defer_request) {
		ring_request(r, VCHAN_NOTIFY_WRITE);
		err = ring_rd_used(r, used);
	}
	return err;
}

/* Writer: at least `want` bytes of space, arming READ and re-checking if short. */
static RING_HOT int
ring_wr_wait_for(struct ring *r, uint32_t want, uint32_t *space)
{
	int err = ring_wr_free(r, space);

	/*
	 * wr_want_space is written by the writer only, so a relaxed load of
	 * it here sees our own last store: store it only when it changes
	 * (other threads read it in ring_process() and gntring_wait()).
	 */
	bool wanted = atomic_load_explicit(&r->wr_want_space,
					   memory_order_relaxed);

	if (err == 0 && *space < want && !ring_defer_request) {
		if (!wanted) {
			atomic_store(&r->wr_want_space, true);
			wanted = true;
		}
		ring_request(r, VCHAN_NOTIFY_READ);
		err = ring_wr_free(r, space);
	}
	if (err == 0 && *space >= want && wanted)
		atomic_store(&r->wr_want_space, false);
	return err;
}

static void ring_finish_drain_close(struct ring *r);

/* How the peer's stream stands, as far as the reader can tell. */
enum ring_peer_end {
	RING_END_OPEN,		/* the peer may write more */
	RING_END_CLEAN,		/* it ended its stream: end of stream after the data */
	RING_END_RESET,		/* a libgntring peer went away without ending it */
};

/*
 * Will the peer write no more, and did it end its stream?  A libgntring
 * peer ends it with the shutdown bit (gntring_shutdown_write, or
 * gntring_close before its live byte goes to 0); a live byte cleared by
 * its unmap-notify, or a vanished domain, without that bit is a death.
 * A libxenvchan peer has no such bit: its close and its death look alike,
 * and both are a clean end.
 */
static enum ring_peer_end
ring_peer_end(struct ring *r)
{
	bool gone = ring_refresh_peer(r) == RING_PEER_GONE;
	uint8_t req;

	if (!atomic_load(&r->peer_gntring))
		return gone ? RING_END_CLEAN : RING_END_OPEN;
	/*
	 * A3: pairs with R3, the peer's shutdown bit set after its last R1.
	 * Loaded after the live byte (A3 in ring_refresh_peer): the peer's
	 * close sets the bit before it releases live = 0 (R3 in
	 * ring_close_own), so a close seen as live = 0 shows the bit here.
	 */
	req = ring_load_acquire8(r->req_to_us);
	if ((req & GNTRING_NOTIFY_SHUTDOWN) != 0)
		return RING_END_CLEAN;
	return gone ? RING_END_RESET : RING_END_OPEN;
}

/*
 * The reader found fewer bytes than it needs.  Decide between end of
 * stream (the peer writes no more and, re-checked after seeing that, the
 * ring still holds less than `want`), ECONNRESET (the same, but a
 * libgntring peer went away without ending its stream), EAGAIN and
 * ENOTCONN.  Returns 1 when `want` bytes turned up after all, 0 for end
 * of stream, or a negative errno; *used is fresh for 1, 0 and ECONNRESET.
 */
static int
ring_rd_short(struct ring *r, uint32_t want, uint32_t *used)
{
	enum ring_peer_end end;
	enum ring_peer peer;
	int err;

	ring_finish_drain_close(r);
	end = ring_peer_end(r);
	if (end != RING_END_OPEN) {
		/*
		 * Re-load prod after A3: the bytes published before the
		 * shutdown bit or the live byte count, and are drained first.
		 */
		err = ring_rd_used(r, used);
		if (err < 0)
			return err;
		if (*used >= want)
			return 1;
		return end == RING_END_CLEAN ? 0 : -ECONNRESET;
	}
	if (ring_is_broken(r))
		return -EPROTO;
	peer = (enum ring_peer)atomic_load(&r->peer);
	return peer == RING_PEER_WAITING ? -ENOTCONN : -EAGAIN;
}

/* Can we write at all?  0, -EPROTO or -EPIPE. */
static RING_HOT int
ring_wr_check(struct ring *r)
{
	if (ring_refresh_peer(r) == RING_PEER_GONE)
		return -EPIPE;
	if (ring_is_broken(r))
		return -EPROTO;
	if (atomic_load(&r->shut_write) || atomic_load(&r->own_closed))
		return -EPIPE;
	return 0;
}

static int
ring_wr_nothing(struct ring *r)
{
	return atomic_load(&r->peer) == RING_PEER_WAITING ? -ENOTCONN : -EAGAIN;
}

/* ------------------------------------------------------------------ */
/* Copies across the wrap                                               */

static void
ring_copy_in(uint8_t *data, uint32_t size, uint32_t idx, const uint8_t *src,
	     uint32_t n)
{
	uint32_t off = idx & (size - 1);
	uint32_t first = n < size - off ? n : size - off;

	memcpy(data + off, src, first);
	if (n > first)
		memcpy(data, src + first, n - first);
}

static void
ring_copy_out(uint8_t *dst, const uint8_t *data, uint32_t size, uint32_t idx,
	      uint32_t n)
{
	uint32_t off = idx & (size - 1);
	uint32_t first = n < size - off ? n : size - off;

	memcpy(dst, data + off, first);
	if (n > first)
		memcpy(dst + first, data, n - first);
}

static size_t
ring_iov_total(const struct iovec *iov, int iovcnt)
{
	size_t total = 0;

	for (int i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > SSIZE_MAX - total)
			return SSIZE_MAX;
		total += iov[i].iov_len;
	}
	return total;
}

/* Copy n bytes from the iovecs into the write ring at wr_prod. */
static void
ring_copy_in_iov(struct ring *r, const struct iovec *iov, int iovcnt,
		 uint32_t n)
{
	uint32_t idx = r->wr_prod;

	for (int i = 0; i < iovcnt && n > 0; i++) {
		uint32_t chunk = iov[i].iov_len < n ? (uint32_t)iov[i].iov_len : n;

		ring_copy_in(r->wr_data, r->wr_size, idx, iov[i].iov_base, chunk);
		idx += chunk;
		n -= chunk;
	}
}

static void
ring_copy_out_iov(struct ring *r, const struct iovec *iov, int iovcnt,
		  uint32_t n)
{
	uint32_t idx = r->rd_cons;

	for (int i = 0; i < iovcnt && n > 0; i++) {
		uint32_t chunk = iov[i].iov_len < n ? (uint32_t)iov[i].iov_len : n;

		ring_copy_out(iov[i].iov_base, r->rd_data, r->rd_size, idx, chunk);
		idx += chunk;
		n -= chunk;
	}
}

/* Publish n more bytes written and wake the reader if it waits. */
static void
ring_wr_publish(struct ring *r, uint32_t n)
{
	r->wr_prod += n;
	/* R1: the data copied in is visible before the new prod (pairs A1). */
	ring_store_release32(r->wr_prod_shared, r->wr_prod);
	ring_send(r, VCHAN_NOTIFY_WRITE);
}

/* Release n bytes read and wake the writer if it waits for space. */
static void
ring_rd_release(struct ring *r, uint32_t n)
{
	r->rd_cons += n;
	/* R2: our copy-out is complete before the peer may reuse (pairs A2). */
	ring_store_release32(r->rd_cons_shared, r->rd_cons);
	ring_send(r, VCHAN_NOTIFY_READ);
}

/* ------------------------------------------------------------------ */
/* Stream and packet I/O                                                */

/*
 * The one decision path of a copying read: how many of `want` bytes to
 * take now.  1: take *n > 0 bytes at rd_cons; 0: want is 0, or end of
 * stream; or a negative errno.  The caller copies, then ring_rd_release().
 */
static RING_HOT int
ring_rd_begin(struct ring *r, size_t want, uint32_t *n)
{
	uint32_t used;
	int err;

	r->rd_peeked = 0;	/* a copying read ends a zero-copy peek */
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
	*n = want < used ? (uint32_t)want : used;
	return 1;
}

ssize_t
ring_readv(struct ring *r, const struct iovec *iov, int iovcnt)
{
	uint32_t n;
	int err;

	if (iovcnt < 0 || (iovcnt > 0 && iov == NULL))
		return -EINVAL;
	err = ring_rd_begin(r, ring_iov_total(iov, iovcnt), &n);
	if (err <= 0)
		return err;
	ring_copy_out_iov(r, iov, iovcnt, n);
	ring_rd_release(r, n);
	return n;
}

/* Single buffer: no iovec; one memcpy unless the span wraps. */
ssize_t
ring_read1(struct ring *r, void *buf, size_t n)
{
	uint32_t take;
	int err;

	if (buf == NULL && n > 0)
		return -EINVAL;
	err = ring_rd_begin(r, n, &take);
	if (err <= 0)
		return err;
	ring_copy_out(buf, r->rd_data, r->rd_size, r->rd_cons, take);
	ring_rd_release(r, take);
	return take;
}

/*
 * The one decision path of a copying write: how many of `want` bytes to
 * write now (all_or_nothing: exactly all, or nothing).  1: write *n > 0
 * bytes at wr_prod; 0: want is 0; or a negative errno.  The caller
 * copies, then ring_wr_publish().
 */
static RING_HOT int
ring_wr_begin(struct ring *r, size_t want, bool all_or_nothing, uint32_t *n)
{
	uint32_t space;
	int err;

	r->wr_reserved = 0;	/* a copying write cancels a reservation */
	err = ring_wr_check(r);
	if (err < 0)
		return err;
	if (want == 0)
		return 0;
	if (all_or_nothing && want > r->wr_size)
		return -EMSGSIZE;
	err = ring_wr_wait_for(r, want > r->wr_size ? r->wr_size : (uint32_t)want,
			       &space);
	if (err < 0)
		return err;
	if (space == 0 || (all_or_nothing && space < want))
		return ring_wr_nothing(r);
	*n = want < space ? (uint32_t)want : space;
	return 1;
}

/* Write up to the free space (all_or_nothing: exactly all, or nothing). */
static ssize_t
ring_writev_mode(struct ring *r, const struct iovec *iov, int iovcnt,
		 bool all_or_nothing)
{
	uint32_t n;
	int err;

	if (iovcnt < 0 || (iovcnt > 0 && iov == NULL))
		return -EINVAL;
	err = ring_wr_begin(r, ring_iov_total(iov, iovcnt), all_or_nothing, &n);
	if (err <= 0)
		return err;
	ring_copy_in_iov(r, iov, iovcnt, n);
	ring_wr_publish(r, n);
	return n;
}

/* Single buffer: no iovec; one memcpy unless the span wraps. */
static ssize_t
ring_write1_mode(struct ring *r, const void *buf, size_t n,
		 bool all_or_nothing)
{
	uint32_t put;
	int err;

	if (buf == NULL && n > 0)
		return -EINVAL;
	err = ring_wr_begin(r, n, all_or_nothing, &put);
	if (err <= 0)
		return err;
	ring_copy_in(r->wr_data, r->wr_size, r->wr_prod, buf, put);
	ring_wr_publish(r, put);
	return put;
}

ssize_t
ring_write1(struct ring *r, const void *buf, size_t n)
{
	return ring_write1_mode(r, buf, n, false);
}

ssize_t
ring_send1(struct ring *r, const void *buf, size_t n)
{
	return ring_write1_mode(r, buf, n, true);
}

ssize_t
ring_writev(struct ring *r, const struct iovec *iov, int iovcnt)
{
	return ring_writev_mode(r, iov, iovcnt, false);
}

ssize_t
ring_sendv(struct ring *r, const struct iovec *iov, int iovcnt)
{
	return ring_writev_mode(r, iov, iovcnt, true);
}

ssize_t
ring_recv(struct ring *r, void *buf, size_t n)
{
	uint32_t used;
	int err;

	if (buf == NULL && n > 0)
		return -EINVAL;
	r->rd_peeked = 0;
	if (ring_is_broken(r))
		return -EPROTO;
	if (n > r->rd_size)
		return -EMSGSIZE;
	if (n == 0)
		return 0;
	err = ring_rd_wait_for(r, (uint32_t)n, &used);
	if (err < 0)
		return err;
	if (used < n) {
		err = ring_rd_short(r, (uint32_t)n, &used);
		if (err <= 0)
			return err;
	}
	ring_copy_out(buf, r->rd_data, r->rd_size, r->rd_cons, (uint32_t)n);
	ring_rd_release(r, (uint32_t)n);
	return (ssize_t)n;
}

/* ------------------------------------------------------------------ */
/* Zero copy                                                            */

static void
ring_fill_span(struct gntring_span *span, uint8_t *data, uint32_t size,
	       uint32_t idx, uint32_t len)
{
	uint32_t off = idx & (size - 1);
	uint32_t first = len < size - off ? len : size - off;

	memset(span, 0, sizeof(*span));
	if (len == 0)
		return;
	span->seg[0].iov_base = data + off;
	span->seg[0].iov_len = first;
	span->nseg = 1;
	if (len > first) {
		span->seg[1].iov_base = data;
		span->seg[1].iov_len = len - first;
		span->nseg = 2;
	}
}

ssize_t
ring_write_reserve(struct ring *r, size_t min, struct gntring_span *span)
{
	uint32_t space;
	int err;

	if (span == NULL || min > r->wr_size)
		return -EINVAL;
	err = ring_wr_check(r);
	if (err < 0)
		return err;
	/* A reservation replaces an uncommitted one. */
	r->wr_reserved = 0;
	err = ring_wr_wait_for(r, min == 0 ? 1 : (uint32_t)min, &space);
	if (err < 0)
		return err;
	if (space == 0 || space < min)
		return ring_wr_nothing(r);
	ring_fill_span(span, r->wr_data, r->wr_size, r->wr_prod, space);
	r->wr_reserved = space;
	return space;
}

int
ring_write_commit(struct ring *r, size_t n)
{
	if (n > r->wr_reserved)
		return -EINVAL;
	if (ring_is_broken(r))
		return -EPROTO;
	r->wr_reserved = 0;
	if (n > 0)
		ring_wr_publish(r, (uint32_t)n);
	return 0;
}

ssize_t
ring_read_peek(struct ring *r, size_t min, struct gntring_span *span)
{
	uint32_t used;
	int err;

	if (span == NULL || min > r->rd_size)
		return -EINVAL;
	if (min == 0)
		min = 1;
	r->rd_peeked = 0;
	err = ring_rd_wait_for(r, (uint32_t)min, &used);
	if (err < 0)
		return err;
	if (used < min) {
		err = ring_rd_short(r, (uint32_t)min, &used);
		/* The peer died: hand out what is left before reporting it. */
		if (err == -ECONNRESET && used > 0)
			err = 0;
		if (err < 0)
			return err;
		/* End of stream: hand out what is left, < min bytes, or 0. */
		if (used == 0) {
			memset(span, 0, sizeof(*span));
			return 0;
		}
	}
	ring_fill_span(span, r->rd_data, r->rd_size, r->rd_cons, used);
	r->rd_peeked = used;
	return used;
}

int
ring_read_consume(struct ring *r, size_t n)
{
	if (n > r->rd_peeked)
		return -EINVAL;
	if (ring_is_broken(r))
		return -EPROTO;
	r->rd_peeked = 0;
	if (n > 0)
		ring_rd_release(r, (uint32_t)n);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Framed messages                                                      */

#define RING_MSG_HDR 4u

ssize_t
ring_msg_send(struct ring *r, const void *buf, size_t n)
{
	uint8_t hdr[RING_MSG_HDR];
	struct iovec iov[2];

	/* msg_recv returns 0 for end of stream: there are no empty messages. */
	if (buf == NULL || n == 0)
		return -EINVAL;
	if (n > r->wr_size - RING_MSG_HDR)
		return -EMSGSIZE;
	hdr[0] = (uint8_t)n;
	hdr[1] = (uint8_t)(n >> 8);
	hdr[2] = (uint8_t)(n >> 16);
	hdr[3] = (uint8_t)(n >> 24);
	iov[0].iov_base = hdr;
	iov[0].iov_len = sizeof(hdr);
	iov[1].iov_base = (void *)(uintptr_t)buf;
	iov[1].iov_len = n;
	ssize_t sent = ring_sendv(r, iov, 2);
	return sent < 0 ? sent : (ssize_t)n;
}

ssize_t
ring_msg_recv(struct ring *r, void *buf, size_t cap)
{
	uint8_t hdr[RING_MSG_HDR];
	uint32_t used, len;
	int err;

	if (buf == NULL && cap > 0)
		return -EINVAL;
	r->rd_peeked = 0;
	err = ring_rd_wait_for(r, RING_MSG_HDR, &used);
	if (err < 0)
		return err;
	if (used < RING_MSG_HDR) {
		err = ring_rd_short(r, RING_MSG_HDR, &used);
		if (err < 0)
			return err;
		if (err == 0) {
			if (used == 0)
				return 0;
			ring_set_broken(r);	/* a torn header at end of stream */
			return -EPROTO;
		}
	}
	/* Copy the length out once; the peer may rewrite the ring meanwhile. */
	ring_copy_out(hdr, r->rd_data, r->rd_size, r->rd_cons, RING_MSG_HDR);
	len = (uint32_t)hdr[0] | (uint32_t)hdr[1] << 8 |
	      (uint32_t)hdr[2] << 16 | (uint32_t)hdr[3] << 24;
	if (len == 0 || len > r->rd_size - RING_MSG_HDR) {
		ring_set_broken(r);
		return -EPROTO;
	}
	if (used < RING_MSG_HDR + len) {
		err = ring_rd_wait_for(r, RING_MSG_HDR + len, &used);
		if (err < 0)
			return err;
		if (used < RING_MSG_HDR + len) {
			err = ring_rd_short(r, RING_MSG_HDR + len, &used);
			if (err < 0)
				return err;
			if (err == 0) {
				ring_set_broken(r);	/* a torn message */
				return -EPROTO;
			}
		}
	}
	if (len > cap)
		return -EMSGSIZE;
	r->rd_cons += RING_MSG_HDR;	/* private until ring_rd_release() */
	ring_copy_out(buf, r->rd_data, r->rd_size, r->rd_cons, len);
	ring_rd_release(r, len);
	return len;
}

/* ------------------------------------------------------------------ */
/* Counts, process, close                                               */

size_t
ring_data_ready(struct ring *r)
{
	uint32_t used;

	ring_request(r, VCHAN_NOTIFY_WRITE);
	return ring_rd_used(r, &used) < 0 ? 0 : used;
}

size_t
ring_buffer_space(struct ring *r)
{
	uint32_t space;

	if (ring_wr_check(r) < 0)
		return 0;
	ring_request(r, VCHAN_NOTIFY_READ);
	return ring_wr_free(r, &space) < 0 ? 0 : space;
}

/*
 * vchan peer after our half-close: close fully once it has read everything.
 * Safe from the reader thread too: after shut_write, wr_prod is frozen, and
 * only equality with the peer's cons matters here.
 */
static void
ring_finish_drain_close(struct ring *r)
{
	if (!atomic_load(&r->close_when_drained) || atomic_load(&r->own_closed) ||
	    ring_is_broken(r))
		return;
	/* A2: pairs with R2, the peer's release of cons after reading. */
	if (ring_load_acquire32(r->wr_cons_shared) != r->wr_prod) {
		ring_request(r, VCHAN_NOTIFY_READ);
		if (ring_load_acquire32(r->wr_cons_shared) != r->wr_prod)
			return;
	}
	ring_close_own(r, true);
}

uint32_t
ring_readable_hint(const struct ring *r)
{
	/* A1: pairs with R1; not validated here, the next read does that. */
	uint32_t used = ring_load_acquire32(r->rd_prod_shared) - r->rd_cons;

	return used > r->rd_size ? 1 : used;
}

uint32_t
ring_writable_hint(const struct ring *r)
{
	/* A2: pairs with R2; not validated here, the next write does that. */
	uint32_t used = r->wr_prod - ring_load_acquire32(r->wr_cons_shared);

	return used > r->wr_size ? 1 : r->wr_size - used;
}

void
ring_withdraw_request(struct ring *r, uint8_t bit)
{
	if (atomic_load_explicit((_Atomic uint8_t *)r->req_to_peer,
				 memory_order_relaxed) & bit)
		ring_fetch_and8(r->req_to_peer, (uint8_t)~bit);
}

void
ring_peer_marks(const struct ring *r, struct ring_peer_marks *m)
{
	/* A1, A2, A3: pair with the peer's R1, R2, R3; validated later. */
	m->prod = ring_load_acquire32(r->rd_prod_shared);
	m->cons = ring_load_acquire32(r->wr_cons_shared);
	m->live = ring_load_acquire8(r->peer_live);
}

int
ring_process(struct ring *r)
{
	enum gntring_state state = ring_state(r);
	uint32_t used;

	if (state == GNTRING_BROKEN)
		return state;
	ring_finish_drain_close(r);
	/* Ask for the wake-ups we need: data when we have none, space if short. */
	if (ring_rd_used(r, &used) == 0 && used == 0)
		ring_request(r, VCHAN_NOTIFY_WRITE);
	if (atomic_load(&r->wr_want_space))
		ring_request(r, VCHAN_NOTIFY_READ);
	return ring_state(r);
}

int
ring_shutdown_write(struct ring *r)
{
	if (atomic_exchange(&r->shut_write, true))
		return 0;
	if (atomic_load(&r->peer_gntring)) {
		/* R3: the bit follows our last R1 (seq_cst RMW); pairs with A3. */
		ring_fetch_or8(r->req_to_peer, GNTRING_NOTIFY_SHUTDOWN);
		ring_send(r, VCHAN_NOTIFY_WRITE);
		return 0;
	}
	atomic_store(&r->close_when_drained, true);
	ring_finish_drain_close(r);
	return 0;
}

void
ring_close_own(struct ring *r, bool end_stream)
{
	if (atomic_exchange(&r->own_closed, true))
		return;
	/*
	 * A close ends our stream: set the shutdown bit before the live byte,
	 * so that a libgntring peer never takes it for a death (ECONNRESET).
	 * Whatever the peer: a server may close before it has latched its
	 * client's features, and a libxenvchan peer ignores the bit.
	 * R3: the bit follows our last R1 (seq_cst RMW); pairs with A3 in
	 * the peer's ring_peer_end().  An abort leaves the bit as it is.
	 */
	if (end_stream)
		ring_fetch_or8(r->req_to_peer, GNTRING_NOTIFY_SHUTDOWN);
	/*
	 * R3: our last index stores and the shutdown bit precede the live
	 * byte; pairs with A3 in the peer's ring_refresh_peer(), which loads
	 * the live byte before the bit.
	 */
	ring_store_release8(r->own_live, VCHAN_LIVE_CLOSED);
	ring_kick(r);
}

int
ring_client_announce(struct ring *r)
{
	/* A0: the server set cli_notify (and its feature bit) before publishing. */
	uint8_t req = ring_load_acquire8(r->req_to_us);

	atomic_store(&r->peer_gntring, (req & GNTRING_NOTIFY_FEATURE) != 0);
	/* vchan stores WRITE here at connect; we add the feature bit.  Relaxed:
	 * the release of cli_live below orders it for the server. */
	atomic_store_explicit((_Atomic uint8_t *)r->req_to_peer,
			      VCHAN_NOTIFY_WRITE | GNTRING_NOTIFY_FEATURE,
			      memory_order_relaxed);
	/* R3: the feature bit is visible before cli_live = 1 (server's A3). */
	ring_store_release8(r->own_live, VCHAN_LIVE_CONNECTED);
	ring_kick(r);
	return atomic_load(&r->peer) == RING_PEER_GONE ? -ECONNRESET : 0;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The ring engine: the data path of one channel end over a vchan control
 * page and two rings in plain memory.  It makes no Xen call: wake-ups go
 * through a callback, so the engine runs unchanged in unit tests and fuzzers.
 *
 * Every operation is non-blocking.  When it can do nothing it has already
 * asked the peer for the wake-up it needs (request, full fence, re-check),
 * so the caller may sleep on the event channel without losing a wake-up.
 *
 * Safety: our own indices and the geometry live in this struct, copied once
 * by ring_init(); the shared page is only a mailbox.  Each operation reads a
 * peer index once, with an acquire load, and checks it against our private
 * index.  A violation latches the end BROKEN and every later call returns
 * -EPROTO.  No access ever leaves [data, data + size) of either ring.
 *
 * Threads: one reader and one writer may use a ring at the same time (SPSC
 * per direction).  The rd_* fields belong to the reader, wr_* to the writer;
 * what both touch is atomic.
 */
#ifndef GNTRING_RING_H
#define GNTRING_RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "gntring.h"
#include "vchan_wire.h"

/* Wake the peer (send one event).  Returns 0 or a negative errno. */
typedef int (*ring_notify_fn)(void *ctx);

enum ring_role {
	RING_ROLE_SERVER,
	RING_ROLE_CLIENT,
};

/* What the peer's live byte has told us so far; it only moves forward. */
enum ring_peer {
	RING_PEER_WAITING,	/* server: cli_live is still 2 */
	RING_PEER_LIVE,
	RING_PEER_GONE,		/* closed, died, or its event channel failed */
};

/* The geometry ring_init() copies; the caller has validated it. */
struct ring_layout {
	enum ring_role role;
	struct vchan_ctrl *ctrl;	/* the shared control page */
	uint8_t *read_data;		/* the ring this end reads */
	unsigned int read_order;
	uint8_t *write_data;		/* the ring this end writes */
	unsigned int write_order;
};

struct ring {
	/* Geometry: set once by ring_init(), never re-read from the page. */
	struct vchan_ctrl *ctrl;
	enum ring_role role;
	uint8_t *rd_data;
	uint32_t rd_size;
	uint8_t *wr_data;
	uint32_t wr_size;
	uint32_t *rd_prod_shared;	/* peer writes: we validate */
	uint32_t *rd_cons_shared;	/* we publish rd_cons here */
	uint32_t *wr_prod_shared;	/* we publish wr_prod here */
	uint32_t *wr_cons_shared;	/* peer writes: we validate */
	uint8_t *own_live;
	uint8_t *peer_live;
	uint8_t *req_to_peer;	/* we OR requests in, the peer clears them */
	uint8_t *req_to_us;	/* the peer ORs requests in, we clear them */
	ring_notify_fn notify;
	void *notify_ctx;

	/* Reader side. */
	uint32_t rd_cons;	/* our consumer index: the truth */
	uint32_t rd_prod_seen;	/* the peer's producer index, last validated */
	uint32_t rd_peeked;	/* handed out by ring_read_peek(), not consumed */

	/* Writer side. */
	uint32_t wr_prod;	/* our producer index: the truth */
	uint32_t wr_cons_seen;	/* the peer's consumer index, last validated */
	uint32_t wr_reserved;	/* handed out by ring_write_reserve() */
	atomic_bool wr_want_space;	/* a write fell short: re-arm READ */

	/* Both sides. */
	atomic_bool broken;
	atomic_int peer;		/* enum ring_peer */
	atomic_bool peer_gntring;	/* latched when the peer connects */
	atomic_bool shut_write;		/* gntring_shutdown_write() was called */
	atomic_bool close_when_drained;	/* vchan peer: close fully once drained */
	atomic_bool own_closed;		/* our live byte is 0 */
	atomic_uint events_sent;	/* statistics, for tests */
};

/*
 * Take the geometry and the current indices (read once, validated) and
 * attach the notify callback.  The server has already initialised the page;
 * the client connects afterwards with ring_client_announce().
 * Returns 0, -EINVAL (bad layout) or -EPROTO (the indices are invalid).
 */
int ring_init(struct ring *r, const struct ring_layout *layout,
	      ring_notify_fn notify, void *notify_ctx);

/* Server: fill a fresh control page (zeroed by the caller) as vchan does. */
void ring_server_prepare(struct vchan_ctrl *ctrl, unsigned int left_order,
			 unsigned int right_order);

/* Client: announce ourselves (feature bit, cli_live = 1) and send the connect event. */
int ring_client_announce(struct ring *r);

/* Validate the geometry of a control page: orders and grant area. 0 or -EPROTO. */
int ring_check_orders(unsigned int left_order, unsigned int right_order);

/* Server: pick the orders for minimum sizes as libxenvchan does. 0 or -EINVAL. */
int ring_pick_orders(size_t left_min, size_t right_min,
		     unsigned int *left_order, unsigned int *right_order);

/* The peer's state, refreshed from its live byte (read once, validated). */
enum gntring_state ring_state(struct ring *r);

/*
 * Stream I/O: partial transfers.  read: 0 = end of stream; -ECONNRESET =
 * a libgntring peer went away without ending its stream (after draining).
 */
ssize_t ring_readv(struct ring *r, const struct iovec *iov, int iovcnt);
ssize_t ring_writev(struct ring *r, const struct iovec *iov, int iovcnt);

/* The same for one buffer: no iovec built, one memcpy unless it wraps. */
ssize_t ring_read1(struct ring *r, void *buf, size_t n);
ssize_t ring_write1(struct ring *r, const void *buf, size_t n);

/* All-or-nothing I/O. */
ssize_t ring_recv(struct ring *r, void *buf, size_t n);
ssize_t ring_sendv(struct ring *r, const struct iovec *iov, int iovcnt);
ssize_t ring_send1(struct ring *r, const void *buf, size_t n);

/* Zero copy. */
ssize_t ring_write_reserve(struct ring *r, size_t min, struct gntring_span *span);
int ring_write_commit(struct ring *r, size_t n);
ssize_t ring_read_peek(struct ring *r, size_t min, struct gntring_span *span);
int ring_read_consume(struct ring *r, size_t n);

/* Framed messages: 4-byte little-endian length, then the payload. */
ssize_t ring_msg_send(struct ring *r, const void *buf, size_t n);
ssize_t ring_msg_recv(struct ring *r, void *buf, size_t cap);

/* Counts, after arming the matching wake-up (vchan's data_ready/buffer_space). */
size_t ring_data_ready(struct ring *r);
size_t ring_buffer_space(struct ring *r);

/*
 * Bytes readable / writable now, without validation or side effects (the
 * next data call validates).  A corrupt index reads as 1: "go and look".
 */
uint32_t ring_readable_hint(const struct ring *r);
uint32_t ring_writable_hint(const struct ring *r);

/*
 * What a spinning waiter watches: the peer's producer index (our read
 * ring), its consumer index (our write ring) and its live byte, loaded
 * with acquire (A1, A2, A3) but not validated: the next call does that.
 */
struct ring_peer_marks {
	uint32_t prod;
	uint32_t cons;
	uint8_t live;
};
void ring_peer_marks(const struct ring *r, struct ring_peer_marks *m);

/*
 * Take back a request for an event (VCHAN_NOTIFY_WRITE or _READ) that only
 * the caller's side relies on.  The peer may already have taken it and
 * sent its event: then the caller gets a spurious wake-up, never a lost
 * one, as long as it asks again before it sleeps.
 */
void ring_withdraw_request(struct ring *r, uint8_t bit);

/*
 * Set by the channel layer around a call it may follow with a spin: a wait
 * that falls short then returns without asking the peer for an event (the
 * caller watches ring_peer_marks() instead, and calls again with it clear
 * before it sleeps).  Per thread, so no other caller of the ring is
 * affected.
 */
extern _Thread_local bool ring_defer_request;

/* Re-arm the wake-ups this end needs and finish a deferred close. */
int ring_process(struct ring *r);

/* Half-close (see gntring_shutdown_write). */
int ring_shutdown_write(struct ring *r);

/*
 * Mark our end closed (live byte 0) and wake the peer.  end_stream: first
 * end our stream (the shutdown bit), so that a libgntring peer reads end
 * of stream; without it, unless gntring_shutdown_write already ended it,
 * the peer reads ECONNRESET after our data, as after a death (an abort).
 */
void ring_close_own(struct ring *r, bool end_stream);

bool ring_peer_is_gntring(const struct ring *r);

#endif /* GNTRING_RING_H */

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libgntring: byte channels between Xen domains over granted pages.
 *
 * A channel is a pair of single-producer/single-consumer byte rings in pages
 * that the server grants to the client, one event channel for wake-ups, and
 * two xenstore keys for the rendezvous.  The wire is libxenvchan's, so either
 * end may be a libxenvchan peer (vchan-socket-proxy, Qubes qrexec, MirageOS).
 *
 * Threading: one channel may be used by one reader thread and one writer
 * thread at the same time; everything else needs external locking.
 *
 * Errors: calls that return int or ssize_t return a negative errno value on
 * failure and never touch errno.  Constructors return NULL and set errno.
 * Errors shared by all data calls:
 *   -EAGAIN     non-blocking channel, nothing could be done now;
 *   -EPIPE      writing, and the peer has closed (or shut down reading);
 *   -EPROTO     the peer broke the protocol; the channel is latched BROKEN;
 *   -ENOTCONN   the peer has not connected yet (blocking calls wait instead);
 *   -ECONNRESET reading, a libgntring peer went away without ending the
 *               stream (it died or its domain vanished before it closed or
 *               shut down its writing); returned once every byte it wrote
 *               has been read, and from then on.
 * Reads return 0 only at end of stream: the peer closed (or shut down its
 * writing) and every byte it wrote has been read.  A libxenvchan peer has
 * no way to mark the end of its stream, so its death cannot be told from
 * its close: both read as end of stream.
 */

#ifndef GNTRING_H
#define GNTRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

struct gntring;

/* Channel state, as seen by this end. */
enum gntring_state {
	GNTRING_WAITING = 1,	/* server: no client has connected yet */
	GNTRING_CONNECTED,	/* both ends live */
	GNTRING_CLOSED,		/* the peer closed or died; data may remain to read */
	GNTRING_BROKEN,		/* the peer violated the protocol; see gntring_read */
};

/* Smallest and largest ring, per direction: 1 KiB and 1 MiB (vchan orders 10..20). */
#define GNTRING_RING_MIN	1024u
#define GNTRING_RING_MAX	(1024u * 1024u)

/* Flags for gntring_listen() and gntring_connect(). */
#define GNTRING_NONBLOCK	0x1u	/* data calls return -EAGAIN instead of waiting */

/*
 * Server: share the rings with `peer_domid` and publish them under the
 * xenstore directory `path` (absolute, or relative to our domain's home) as
 * `ring-ref` and `event-channel`, in one transaction, readable by the peer
 * only.  `read_min` is the least size of the ring the client writes (vchan's
 * "left"), `write_min` of the ring we write ("right"); 0 means vchan's
 * default for that ring (1 KiB and 2 KiB).  Sizes are rounded up to a power
 * of two and placed as libxenvchan does.  Returns with the state WAITING; the
 * server may write before the client connects.  The keys are removed by
 * gntring_close().
 * NULL + errno: EINVAL (bad argument, size above GNTRING_RING_MAX), ENOMEM,
 * or the error of the grant, event-channel or xenstore operation that failed.
 */
struct gntring *gntring_listen(uint16_t peer_domid, const char *path,
			       size_t read_min, size_t write_min,
			       unsigned int flags);

/*
 * Client: connect to the server in domain `peer_domid` that published `path`.
 * Waits up to `timeout_ms` for the keys to appear (a xenstore watch; 0: do
 * not wait, -1: wait forever).  Validates everything the server wrote (ring
 * orders in [10, 20], placement, grant area, live bytes) before using it.
 * NULL + errno: ETIMEDOUT (no server in time), ENOENT (no server and
 * timeout_ms is 0), EPROTO (the server's page or keys are malformed), EACCES
 * (the grants or keys are not for us), EINVAL, ENOMEM, or the error of the
 * operation that failed.
 */
struct gntring *gntring_connect(uint16_t peer_domid, const char *path,
				int timeout_ms, unsigned int flags);

/*
 * Close: end our stream and mark our end closed (a libgntring peer reads
 * end of stream, not -ECONNRESET), wake the peer, unmap and ungrant
 * everything, and (server) remove the xenstore keys.  Data already written
 * stays readable by the peer.  NULL is accepted.
 */
void gntring_close(struct gntring *ring);

/*
 * Abort: as gntring_close, but without ending our stream (unless
 * gntring_shutdown_write did): a libgntring peer reads the data already
 * written, then -ECONNRESET, as after our death, so a failure is never
 * taken for a complete stream.  A libxenvchan peer sees a close.
 */
void gntring_abort(struct gntring *ring);

/* Current state.  Cheap; reads the shared page once. */
enum gntring_state gntring_state(struct gntring *ring);

/* Blocking mode: true makes the data calls wait; returns 0. */
int gntring_set_blocking(struct gntring *ring, bool blocking);

/*
 * Spin before sleeping: a blocking call or gntring_wait() that must wait
 * first watches the shared page for up to max_us microseconds (at most
 * 1000) for the peer to move, asking it for no event meanwhile, and sleeps
 * only if it did not.  The spin adapts: it stops soon when it does not pay
 * off.  0 (the default, or $GNTRING_SPIN_US at creation) never spins;
 * ignored on a single CPU.  Returns 0, or -EINVAL.
 */
int gntring_set_spin(struct gntring *ring, unsigned int max_us);

/* Ring sizes in bytes for this end: the ring we read and the ring we write. */
size_t gntring_read_size(const struct gntring *ring);
size_t gntring_write_size(const struct gntring *ring);

/*
 * An fd for poll(2): it is readable when there is something to do: data to
 * read, space freed, a state change.  Then call gntring_process().
 */
int gntring_fd(const struct gntring *ring);

/*
 * Consume pending events on the fd and re-arm the wake-ups this end needs.
 * Never blocks.  Returns the state (>0) or a negative errno.
 */
int gntring_process(struct gntring *ring);

/*
 * Wait until there is something to do, or `timeout_ms` passes (-1: forever).
 * Returns 1 (something to do), 0 (timed out) or a negative errno.
 */
int gntring_wait(struct gntring *ring, int timeout_ms);

/* Bytes readable now and bytes writable now (0 when broken). */
size_t gntring_data_ready(struct gntring *ring);
size_t gntring_buffer_space(struct gntring *ring);

/*
 * Stream I/O.  read returns 1..n bytes (blocking: waits for at least one),
 * 0 at end of stream, -ECONNRESET once drained if a libgntring peer went
 * away without ending its stream; write returns 1..n bytes (blocking: waits until all n
 * are written, or fails with the bytes written so far lost to nobody: a
 * short count is returned if some were written before the peer closed).
 */
ssize_t gntring_read(struct gntring *ring, void *buf, size_t n);
ssize_t gntring_write(struct gntring *ring, const void *buf, size_t n);
ssize_t gntring_readv(struct gntring *ring, const struct iovec *iov, int iovcnt);
ssize_t gntring_writev(struct gntring *ring, const struct iovec *iov, int iovcnt);

/*
 * All-or-nothing I/O: exactly n bytes or none.  -EMSGSIZE when n exceeds the
 * ring size.  recv returns 0 at end of stream with fewer than n bytes left
 * (-ECONNRESET instead when a libgntring peer went away without ending it).
 */
ssize_t gntring_recv(struct gntring *ring, void *buf, size_t n);
ssize_t gntring_send(struct gntring *ring, const void *buf, size_t n);

/*
 * Zero copy.  A span is at most two segments of the ring (split at the wrap).
 * write_reserve: find at least `min` bytes of free space (blocking: wait for
 * it), fill `span` with all the free space, return its total length.
 * write_commit: publish the first n bytes written into the reserved span
 * (n <= that length) and wake the reader if it waits.
 * read_peek: at least `min` bytes of data (blocking: wait), fill `span`
 * with all readable data, return its total; at end of stream what is left
 * (even fewer than `min` bytes), then 0 (-ECONNRESET if a libgntring peer
 * went away without ending its stream).
 * read_consume: release the first n bytes peeked.
 * The span stays valid until the matching commit/consume.  The peer can
 * write the shared memory at any moment; peeked data may change under the
 * reader (copy before validating it).  -EINVAL when min exceeds the ring
 * size or n the reserved/peeked length.
 */
struct gntring_span {
	struct iovec seg[2];
	int nseg;
};
ssize_t gntring_write_reserve(struct gntring *ring, size_t min,
			      struct gntring_span *span);
int gntring_write_commit(struct gntring *ring, size_t n);
ssize_t gntring_read_peek(struct gntring *ring, size_t min,
			  struct gntring_span *span);
int gntring_read_consume(struct gntring *ring, size_t n);

/*
 * Framed messages between libgntring peers: a 4-byte little-endian length
 * then the payload, written all or nothing.  msg_recv returns the payload
 * length, 0 at end of stream, -EMSGSIZE (message left in the ring) when it
 * does not fit in `cap`, -EPROTO for a length above the ring size or a
 * message cut by the end of the stream, -ECONNRESET when a libgntring peer
 * went away without ending its stream (a message it left incomplete too).
 */
ssize_t gntring_msg_send(struct gntring *ring, const void *buf, size_t n);
ssize_t gntring_msg_recv(struct gntring *ring, void *buf, size_t cap);

/*
 * Half-close: no more writes from this end.  A libgntring peer reads end of
 * stream once it has read everything before it, and may keep writing to us.
 * A libxenvchan peer has no half-close: it sees a full close once our ring
 * is drained (see gntring(3)).  Returns 0.
 */
int gntring_shutdown_write(struct gntring *ring);

/* True when the peer announced libgntring's extensions (half-close). */
bool gntring_peer_is_gntring(const struct gntring *ring);

/* Library version string, e.g. "1.0.0". */
const char *gntring_version(void);

#ifdef __cplusplus
}
#endif

#endif /* GNTRING_H */

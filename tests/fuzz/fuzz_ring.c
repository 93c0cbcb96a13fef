/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz target: the libgntring ring engine against a hostile peer.
 *
 * One end (server or client, ring orders and starting indices from the
 * input) runs on a control page and two rings, each in its own guarded
 * mapping: PROT_NONE pages around it, and under ASan the unused part of
 * the page before a small ring poisoned, so any access outside the 24-byte
 * header or outside [data, data + size) of a ring faults.  The input then
 * interleaves our operations (every data, zero-copy, message, count and
 * state call) with the peer's: honest production and consumption, and
 * hostile writes of any index, order, live or notify byte and of ring data.
 *
 * Checks after each step:
 *   - a call that reads the peer's producer index while it is invalid
 *     (past cons + size, or moved backwards) returns -EPROTO and latches the
 *     end broken; once broken, data calls fail (reads with -EPROTO);
 *   - every -EPROTO comes with the latch; counts and spans stay within the
 *     ring; the engine's private indices stay consistent;
 *   - while the peer is honest, bytes read are the bytes it produced and
 *     bytes it consumes are the bytes we wrote.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FUZZ_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define FUZZ_ASAN 1
#endif
#ifdef FUZZ_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#endif

#include "fuzz.h"
#include "ring.h"

#define ORDER_MIN	10
#define ORDER_MAX	16
#define MAXSTEPS	300
#define BUFSZ		(3u << ORDER_MAX)

static uint8_t *area[ORDER_MAX + 1][2];	/* guarded rings, by order and role */
static struct vchan_ctrl *ctrl;
static uint8_t buf[BUFSZ];

static struct {
	struct ring r;
	uint8_t *rd, *wr;
	uint32_t rd_size, wr_size;
	bool rdirty;		/* the peer may have lied about what we read */
	bool wdirty;		/* ... or we cannot predict what it consumes */
	bool fail_notify;
	unsigned events;
} S;

/* `size` bytes that end at a PROT_NONE page, with one before them too. */
static uint8_t *
guarded(size_t size)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t span = (size + pg - 1) / pg * pg;
	uint8_t *base;

	base = mmap(NULL, span + 2 * pg, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	FZ_CHECK(base != MAP_FAILED, "%s", "mmap");
	FZ_CHECK(mprotect(base, pg, PROT_NONE) == 0, "%s", "mprotect");
	FZ_CHECK(mprotect(base + pg + span, pg, PROT_NONE) == 0, "%s",
		 "mprotect");
	POISON(base + pg, span - size);
	return base + pg + span - size;
}

static uint8_t
pat_peer(uint32_t pos)
{
	return (uint8_t)(pos * 7u + 3u);
}

static uint8_t
pat_ours(uint32_t pos)
{
	return (uint8_t)(pos * 13u + 5u);
}

static int
notify_cb(void *ctx)
{
	(void)ctx;
	S.events++;
	return S.fail_notify ? -ENOTCONN : 0;
}

static bool
broken(void)
{
	return atomic_load(&S.r.broken);
}

/* Would reading the peer's producer index now be a violation? */
static bool
rd_violation(void)
{
	uint32_t prod = ((_Atomic uint32_t *)S.r.rd_prod_shared)[0];
	uint32_t now = prod - S.r.rd_cons;

	return now > S.rd_size || now < S.r.rd_prod_seen - S.r.rd_cons;
}

static void
check_span(const struct gntring_span *sp, ssize_t n, const uint8_t *data,
	   uint32_t size)
{
	size_t total = 0;
	int i;

	FZ_CHECK(sp->nseg >= 0 && sp->nseg <= 2, "nseg %d", sp->nseg);
	for (i = 0; i < sp->nseg; i++) {
		const uint8_t *b = sp->seg[i].iov_base;

		FZ_CHECK(b >= data && b + sp->seg[i].iov_len <= data + size &&
			 sp->seg[i].iov_len > 0, "span segment outside the ring");
		total += sp->seg[i].iov_len;
	}
	FZ_CHECK(total == (size_t)n, "span of %zu bytes for %zd", total, n);
}

static void
check_engine(void)
{
	const struct ring *r = &S.r;

	FZ_CHECK(r->rd_prod_seen - r->rd_cons <= S.rd_size, "%s",
		 "reader indices");
	FZ_CHECK(r->rd_peeked <= r->rd_prod_seen - r->rd_cons, "%s",
		 "peeked past prod");
	FZ_CHECK(r->wr_prod - r->wr_cons_seen <= S.wr_size, "%s",
		 "writer indices");
	FZ_CHECK(r->wr_reserved <= S.wr_size - (r->wr_prod - r->wr_cons_seen),
		 "%s", "reserved past the free space");
	FZ_CHECK(ring_readable_hint(r) <= S.rd_size, "%s", "readable hint");
	FZ_CHECK(ring_writable_hint(r) <= S.wr_size, "%s", "writable hint");
}

/* A read-side result: what the rules say, given the state before. */
static void
check_read(const char *what, ssize_t n, bool was_broken, bool violation,
	   size_t cap)
{
	if (was_broken || violation) {
		FZ_CHECK(n == -EPROTO, "%s: %zd on a %s ring", what, n,
			 was_broken ? "broken" : "violated");
		FZ_CHECK(broken(), "%s: violation not latched", what);
	}
	if (n == -EPROTO)
		FZ_CHECK(broken(), "%s: -EPROTO without the latch", what);
	FZ_CHECK(n <= (ssize_t)cap, "%s: %zd bytes for %zu", what, n, cap);
	/* A peer that died without ending its stream: not a violation. */
	if (n == -ECONNRESET)
		FZ_CHECK(!broken(), "%s: -ECONNRESET on a broken ring", what);
	if (n < 0)
		FZ_CHECK(n == -EPROTO || n == -EAGAIN || n == -ENOTCONN ||
			 n == -EINVAL || n == -EMSGSIZE || n == -ECONNRESET,
			 "%s: error %zd", what, n);
}

static void
check_write(const char *what, ssize_t n, bool was_broken, size_t cap)
{
	if (was_broken)
		FZ_CHECK(n < 0, "%s: %zd on a broken ring", what, n);
	if (n == -EPROTO)
		FZ_CHECK(broken(), "%s: -EPROTO without the latch", what);
	FZ_CHECK(n <= (ssize_t)cap, "%s: %zd bytes for %zu", what, n, cap);
	if (n < 0)
		FZ_CHECK(n == -EPROTO || n == -EAGAIN || n == -ENOTCONN ||
			 n == -EINVAL || n == -EMSGSIZE || n == -EPIPE,
			 "%s: error %zd", what, n);
}

/* Up to three iovecs over buf, lengths from the input. */
static int
make_iov(struct fz *f, struct iovec *iov, size_t *total)
{
	int n = 1 + fz_u8(f) % 3, i;
	size_t off = 0;

	*total = 0;
	for (i = 0; i < n; i++) {
		size_t len = fz_u16(f) % (BUFSZ / 3 + 1);

		iov[i].iov_base = buf + off;
		iov[i].iov_len = len;
		off += len;
		*total += len;
	}
	return n;
}

static void
verify_read(uint32_t from, size_t n)
{
	size_t i;

	if (S.rdirty)
		return;
	for (i = 0; i < n; i++)
		FZ_CHECK(buf[i] == pat_peer(from + (uint32_t)i),
			 "byte %zu read differs from the peer's", i);
}

static void
op_readv(struct fz *f)
{
	struct iovec iov[3];
	size_t total;
	int cnt = make_iov(f, iov, &total);
	bool b = broken(), v = rd_violation();
	uint32_t from = S.r.rd_cons;
	ssize_t n = ring_readv(&S.r, iov, cnt);

	check_read("readv", n, b, v, total);
	if (n > 0)
		verify_read(from, (size_t)n);
}

static void
op_recv(struct fz *f)
{
	size_t want = fz_u16(f) % (BUFSZ / 3 + 1);
	bool b = broken(), v = rd_violation() && want > 0 && want <= S.rd_size;
	uint32_t from = S.r.rd_cons;
	ssize_t n = ring_recv(&S.r, buf, want);

	check_read("recv", n, b, v, want);
	FZ_CHECK(n <= 0 || (size_t)n == want, "recv %zd of %zu", n, want);
	if (n > 0)
		verify_read(from, (size_t)n);
}

static void
op_writev(struct fz *f, bool all)
{
	struct iovec iov[3];
	size_t total, i;
	int cnt = make_iov(f, iov, &total);
	bool b = broken();
	ssize_t n;

	for (i = 0; i < total; i++)
		buf[i] = pat_ours(S.r.wr_prod + (uint32_t)i);
	n = all ? ring_sendv(&S.r, iov, cnt) : ring_writev(&S.r, iov, cnt);
	check_write(all ? "sendv" : "writev", n, b && total > 0, total);
	FZ_CHECK(!all || n <= 0 || (size_t)n == total, "sendv partial");
}

static void
op_reserve(struct fz *f)
{
	struct gntring_span sp;
	size_t min = fz_u16(f) % (S.wr_size + 2);
	bool b = broken();
	uint32_t pos = S.r.wr_prod;
	ssize_t n = ring_write_reserve(&S.r, min, &sp);
	int i;
	size_t j;

	check_write("reserve", n, b, S.wr_size);
	if (n <= 0)
		return;
	FZ_CHECK((size_t)n >= min, "reserve %zd < min %zu", n, min);
	check_span(&sp, n, S.wr, S.wr_size);
	for (i = 0; i < sp.nseg; i++)
		for (j = 0; j < sp.seg[i].iov_len; j++)
			((uint8_t *)sp.seg[i].iov_base)[j] = pat_ours(pos++);
}

static void
op_commit(struct fz *f)
{
	uint8_t how = fz_u8(f);
	size_t n = how & 1 ? S.r.wr_reserved : fz_u32(f) % (S.wr_size + 2);
	size_t had = S.r.wr_reserved;
	bool b = broken();
	int err = ring_write_commit(&S.r, n);

	if (n > had)
		FZ_CHECK(err == -EINVAL, "commit %zu of %zu: %d", n, had, err);
	else if (b)
		FZ_CHECK(err == -EPROTO, "commit on a broken ring: %d", err);
	else
		FZ_CHECK(err == 0, "commit %zu of %zu: %d", n, had, err);
}

static void
op_peek(struct fz *f)
{
	struct gntring_span sp;
	size_t min = fz_u16(f) % (S.rd_size + 2);
	bool b = broken(), v = rd_violation() && min <= S.rd_size;
	uint32_t pos = S.r.rd_cons;
	ssize_t n = ring_read_peek(&S.r, min, &sp);
	int i;
	size_t j;

	check_read("peek", n, b && min <= S.rd_size, v, S.rd_size);
	if (n <= 0)
		return;
	check_span(&sp, n, S.rd, S.rd_size);
	if (S.rdirty)
		return;
	for (i = 0; i < sp.nseg; i++)
		for (j = 0; j < sp.seg[i].iov_len; j++)
			FZ_CHECK(((uint8_t *)sp.seg[i].iov_base)[j] ==
				 pat_peer(pos++), "%s", "peeked byte differs");
}

static void
op_consume(struct fz *f)
{
	uint8_t how = fz_u8(f);
	size_t n = how & 1 ? S.r.rd_peeked : fz_u32(f) % (S.rd_size + 2);
	size_t had = S.r.rd_peeked;
	bool b = broken();
	int err = ring_read_consume(&S.r, n);

	if (n > had)
		FZ_CHECK(err == -EINVAL, "consume %zu of %zu: %d", n, had, err);
	else if (b)
		FZ_CHECK(err == -EPROTO, "consume on a broken ring: %d", err);
	else
		FZ_CHECK(err == 0, "consume %zu of %zu: %d", n, had, err);
}

static void
op_msg_send(struct fz *f)
{
	size_t n = fz_u16(f) % (S.wr_size + 2);
	bool b = broken();
	ssize_t got;

	memset(buf, fz_u8(f), n);
	got = ring_msg_send(&S.r, buf, n);
	check_write("msg_send", got, b && n > 0, n);
	FZ_CHECK(got <= 0 || (size_t)got == n, "msg_send partial");
	if (got > 0)
		S.wdirty = true;
}

static void
op_msg_recv(struct fz *f)
{
	size_t cap = fz_u16(f) % (BUFSZ / 3 + 1);
	bool b = broken(), v = rd_violation();
	ssize_t n = ring_msg_recv(&S.r, cap ? buf : NULL, cap);

	check_read("msg_recv", n, b, v, cap);
	if (n > 0)
		S.rdirty = true;	/* framing over our pattern */
}

/* The honest peer produces `k` bytes into the ring we read. */
static void
peer_produce(struct fz *f)
{
	uint32_t k = fz_u16(f);
	uint32_t prod = S.r.rd_prod_shared[0], cons = S.r.rd_cons_shared[0];
	uint32_t room = S.rd_size - (prod - cons), i;

	if (prod - cons > S.rd_size)
		return;
	if (k > room)
		k = room;
	for (i = 0; i < k; i++)
		S.rd[(prod + i) & (S.rd_size - 1)] = pat_peer(prod + i);
	atomic_store_explicit((_Atomic uint32_t *)S.r.rd_prod_shared, prod + k,
			      memory_order_release);
}

/* The honest peer consumes `k` bytes of what we wrote, and checks them. */
static void
peer_consume(struct fz *f)
{
	uint32_t k = fz_u16(f);
	uint32_t prod = S.r.wr_prod_shared[0], cons = S.r.wr_cons_shared[0];
	uint32_t i;

	if (prod - cons > S.wr_size)
		return;
	if (k > prod - cons)
		k = prod - cons;
	for (i = 0; i < k && !S.wdirty; i++)
		FZ_CHECK(S.wr[(cons + i) & (S.wr_size - 1)] ==
			 pat_ours(cons + i), "%s", "peer read other bytes");
	atomic_store_explicit((_Atomic uint32_t *)S.r.wr_cons_shared, cons + k,
			      memory_order_release);
}

/* The hostile peer writes a raw index, header byte or ring bytes. */
static void
peer_scribble(struct fz *f)
{
	uint8_t how = fz_u8(f);
	uint32_t *idx = (uint32_t *)ctrl;
	uint8_t *hdr = (uint8_t *)ctrl;

	switch (how & 3) {
	case 0: {			/* an index, raw or nudged */
		uint32_t *p = &idx[(how >> 2) & 3];

		if (how & 0x10)
			*p = fz_u32(f);
		else
			*p += (uint32_t)(int8_t)fz_u8(f);
		if (p == S.r.rd_prod_shared || p == S.r.rd_cons_shared)
			S.rdirty = true;
		if (p == S.r.wr_cons_shared || p == S.r.wr_prod_shared)
			S.wdirty = true;
		break;
	}
	case 1:				/* orders, live and notify bytes */
		hdr[16 + ((how >> 2) & 7)] = fz_u8(f);
		break;
	case 2: {			/* ring bytes */
		uint8_t *d = how & 4 ? S.rd : S.wr;
		uint32_t size = how & 4 ? S.rd_size : S.wr_size;

		d[fz_u32(f) & (size - 1)] = fz_u8(f);
		if (how & 4)
			S.rdirty = true;
		else
			S.wdirty = true;
		break;
	}
	default:			/* a live byte with a meaning */
		hdr[how & 4 ? VCHAN_CLI_LIVE_OFFSET : VCHAN_SRV_LIVE_OFFSET] =
		    (uint8_t)((how >> 3) % 3);
		break;
	}
}

static void
step(struct fz *f)
{
	uint8_t op = fz_u8(f);
	bool b = broken();

	switch (op % 22) {
	case 0: op_readv(f); break;
	case 1: op_recv(f); break;
	case 2: op_writev(f, false); break;
	case 3: op_writev(f, true); break;
	case 4: op_reserve(f); break;
	case 5: op_commit(f); break;
	case 6: op_peek(f); break;
	case 7: op_consume(f); break;
	case 8: op_msg_send(f); break;
	case 9: op_msg_recv(f); break;
	case 10: {
		bool v = rd_violation();
		size_t n = ring_data_ready(&S.r);

		FZ_CHECK(n <= S.rd_size, "data_ready %zu", n);
		FZ_CHECK(!(v || b) || (n == 0 && broken()),
			 "data_ready %zu on a violated ring", n);
		break;
	}
	case 11: {
		size_t n = ring_buffer_space(&S.r);

		FZ_CHECK(n <= S.wr_size, "buffer_space %zu", n);
		FZ_CHECK(!b || n == 0, "buffer_space %zu when broken", n);
		break;
	}
	case 12: {
		/* The state after re-arming (or a negative errno). */
		int st = ring_process(&S.r);

		FZ_CHECK(st < 0 || (st >= GNTRING_WAITING &&
			 st <= GNTRING_BROKEN), "process %d", st);
		FZ_CHECK((st == GNTRING_BROKEN || st == -EPROTO) == broken(),
			 "process %d and the latch disagree", st);
		break;
	}
	case 13: {
		int err = ring_shutdown_write(&S.r);

		FZ_CHECK(err <= 0, "shutdown %d", err);
		break;
	}
	case 14:
		ring_close_own(&S.r, true);
		break;
	case 15: {
		enum gntring_state st = ring_state(&S.r);

		FZ_CHECK(st >= GNTRING_WAITING && st <= GNTRING_BROKEN,
			 "state %d", st);
		FZ_CHECK((st == GNTRING_BROKEN) == broken(), "%s",
			 "state and latch disagree");
		break;
	}
	case 16:
		S.fail_notify = fz_u8(f) & 1;
		break;
	case 17:
	case 18:
		peer_produce(f);
		break;
	case 19:
		peer_consume(f);
		break;
	default:
		peer_scribble(f);
		break;
	}
	/* The latch never lets go. */
	FZ_CHECK(!b || broken(), "%s", "broken latch cleared");
	check_engine();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	struct ring_layout lay;
	uint32_t *idx;
	uint8_t how;
	int err, steps, o;

	if (ctrl == NULL) {
		ctrl = (struct vchan_ctrl *)guarded(4096);
		POISON((uint8_t *)ctrl + VCHAN_CTRL_SIZE, 4096 - VCHAN_CTRL_SIZE);
		for (o = ORDER_MIN; o <= ORDER_MAX; o++) {
			area[o][0] = guarded((size_t)1 << o);
			area[o][1] = guarded((size_t)1 << o);
		}
	}
	memset(&S, 0, sizeof(S));
	memset(ctrl, 0, VCHAN_CTRL_SIZE);
	how = fz_u8(&f);
	memset(&lay, 0, sizeof(lay));
	lay.role = how & 1 ? RING_ROLE_CLIENT : RING_ROLE_SERVER;
	lay.ctrl = ctrl;
	lay.read_order = ORDER_MIN + fz_u8(&f) % (ORDER_MAX - ORDER_MIN + 1);
	lay.write_order = ORDER_MIN + fz_u8(&f) % (ORDER_MAX - ORDER_MIN + 1);
	lay.read_data = S.rd = area[lay.read_order][0];
	lay.write_data = S.wr = area[lay.write_order][1];
	S.rd_size = 1u << lay.read_order;
	S.wr_size = 1u << lay.write_order;
	if (lay.role == RING_ROLE_SERVER)
		ring_server_prepare(ctrl, lay.read_order, lay.write_order);
	else
		ctrl->srv_live = VCHAN_LIVE_CONNECTED;
	idx = (uint32_t *)ctrl;
	switch ((how >> 1) & 3) {
	case 0:
		break;
	case 1:
		idx[0] = idx[1] = idx[2] = idx[3] = fz_u32(&f);
		break;
	default:
		for (o = 0; o < 4; o++)
			idx[o] = fz_u32(&f);
		break;
	}
	{
		uint32_t lc = idx[0], lp = idx[1], rc = idx[2], rp = idx[3];
		bool ok = lay.role == RING_ROLE_SERVER ?
		    lp - lc <= S.rd_size && rp - rc <= S.wr_size :
		    rp - rc <= S.rd_size && lp - lc <= S.wr_size;

		err = ring_init(&S.r, &lay, notify_cb, NULL);
		FZ_CHECK(ok ? err == 0 : err == -EPROTO, "ring_init %d (ok %d)",
			 err, ok);
		if (err != 0)
			return 0;
	}
	/* Existing bytes in the ring are not ours to predict. */
	if (S.r.rd_prod_seen != S.r.rd_cons)
		S.rdirty = true;
	if (S.r.wr_prod != S.r.wr_cons_seen)
		S.wdirty = true;
	if (lay.role == RING_ROLE_CLIENT && (how & 8))
		FZ_CHECK(ring_client_announce(&S.r) <= 0, "%s", "announce");
	for (steps = 0; steps < MAXSTEPS && fz_left(&f); steps++)
		step(&f);
	return 0;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests of the ring engine on plain memory: a server end and a client
 * end share one control page and two rings, as two domains would.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ring.h"

struct pair {
	uint8_t *page;
	uint8_t *left;		/* client -> server */
	uint8_t *right;		/* server -> client */
	unsigned int left_order, right_order;
	struct ring srv, cli;
	atomic_int srv_events;	/* events the server sent */
	atomic_int cli_events;
	int fail_notify;	/* make notify fail (a vanished peer) */
};

static int
count_srv(void *ctx)
{
	struct pair *p = ctx;

	atomic_fetch_add(&p->srv_events, 1);
	return p->fail_notify ? -EINVAL : 0;
}

static int
count_cli(void *ctx)
{
	struct pair *p = ctx;

	atomic_fetch_add(&p->cli_events, 1);
	return p->fail_notify ? -EINVAL : 0;
}

static uint8_t *
ring_area(struct pair *p, unsigned int order)
{
	if (order == 10)
		return p->page + 1024;
	if (order == 11)
		return p->page + 2048;
	return aligned_alloc(4096, (size_t)1 << order);
}

/* Server side only: the client connects with pair_connect(). */
static struct pair *
pair_new(unsigned int left_order, unsigned int right_order, uint32_t start)
{
	struct pair *p = calloc(1, sizeof(*p));
	struct vchan_ctrl *ctrl;
	struct ring_layout srv = { 0 };

	assert_non_null(p);
	p->page = aligned_alloc(4096, 4096);
	assert_non_null(p->page);
	memset(p->page, 0, 4096);
	ctrl = (struct vchan_ctrl *)p->page;
	p->left_order = left_order;
	p->right_order = right_order;
	p->left = ring_area(p, left_order);
	p->right = ring_area(p, right_order);
	ring_server_prepare(ctrl, left_order, right_order);
	ctrl->left.cons = ctrl->left.prod = start;
	ctrl->right.cons = ctrl->right.prod = start;

	srv.role = RING_ROLE_SERVER;
	srv.ctrl = ctrl;
	srv.read_data = p->left;
	srv.read_order = left_order;
	srv.write_data = p->right;
	srv.write_order = right_order;
	assert_int_equal(ring_init(&p->srv, &srv, count_srv, p), 0);
	return p;
}

static void
pair_connect(struct pair *p)
{
	struct ring_layout cli = { 0 };

	cli.role = RING_ROLE_CLIENT;
	cli.ctrl = (struct vchan_ctrl *)p->page;
	cli.read_data = p->right;
	cli.read_order = p->right_order;
	cli.write_data = p->left;
	cli.write_order = p->left_order;
	assert_int_equal(ring_init(&p->cli, &cli, count_cli, p), 0);
	assert_int_equal(ring_client_announce(&p->cli), 0);
}

static struct pair *
pair_open(unsigned int left_order, unsigned int right_order, uint32_t start)
{
	struct pair *p = pair_new(left_order, right_order, start);

	pair_connect(p);
	assert_int_equal(ring_state(&p->srv), GNTRING_CONNECTED);
	return p;
}

static void
pair_free(struct pair *p)
{
	if (p->left_order >= 12)
		free(p->left);
	if (p->right_order >= 12)
		free(p->right);
	free(p->page);
	free(p);
}

static struct vchan_ctrl *
ctrl_of(struct pair *p)
{
	return (struct vchan_ctrl *)p->page;
}

/* A partner order that makes a valid pair with `order`. */
static unsigned int
partner_order(unsigned int order)
{
	if (order == 10)
		return 11;
	if (order == 11)
		return 10;
	return 12;
}

/* Deterministic stream: byte i of stream `seed`. */
static uint8_t
stream_byte(uint32_t seed, uint64_t i)
{
	uint64_t x = (i + 1) * 0x9E3779B97F4A7C15ull ^ seed;

	x ^= x >> 29;
	x *= 0xBF58476D1CE4E5B9ull;
	x ^= x >> 32;
	return (uint8_t)x;
}

static uint32_t
rng_next(uint32_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 17;
	*state ^= *state << 5;
	return *state;
}

/* ------------------------------------------------------------------ */

static void
test_pick_orders(void **unused)
{
	static const struct {
		size_t left, right;
		unsigned int lo, ro;
	} table[] = {
		{ 0, 0, 10, 11 },	  { 2048, 1024, 11, 10 },
		{ 2048, 2048, 11, 12 },	  { 100, 5000, 11, 13 },
		{ 4096, 4096, 12, 12 },	  { 65536, 65536, 16, 16 },
		{ 1u << 20, 1u << 20, 20, 20 }, { 5000, 100, 13, 11 },
		{ 1025, 0, 11, 10 },
	};
	unsigned int lo, ro;

	(void)unused;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		assert_int_equal(ring_pick_orders(table[i].left, table[i].right,
						  &lo, &ro), 0);
		assert_int_equal(lo, table[i].lo);
		assert_int_equal(ro, table[i].ro);
		assert_int_equal(ring_check_orders(lo, ro), 0);
	}
	assert_int_equal(ring_pick_orders((1u << 20) + 1, 0, &lo, &ro), -EINVAL);
	assert_int_equal(ring_pick_orders(0, (1u << 20) + 1, &lo, &ro), -EINVAL);
}

static void
test_check_orders(void **unused)
{
	(void)unused;
	assert_int_equal(ring_check_orders(9, 12), -EPROTO);
	assert_int_equal(ring_check_orders(12, 21), -EPROTO);
	assert_int_equal(ring_check_orders(0xffff, 12), -EPROTO);
	assert_int_equal(ring_check_orders(10, 10), -EPROTO);
	assert_int_equal(ring_check_orders(11, 11), -EPROTO);
	assert_int_equal(ring_check_orders(12, 12), 0);
	assert_int_equal(ring_check_orders(10, 11), 0);
	/* 256 refs from byte 24 run into the ring at 1024. */
	assert_int_equal(ring_check_orders(10, 20), -EPROTO);
	assert_int_equal(ring_check_orders(10, 17), 0);	/* 32 refs */
	assert_int_equal(ring_check_orders(10, 19), 0);	/* 128 refs: 536 */
	assert_int_equal(ring_check_orders(11, 20), 0);
	assert_int_equal(ring_check_orders(20, 20), 0);
	for (unsigned int a = 10; a <= 20; a++)
		for (unsigned int b = 10; b <= 20; b++) {
			uint32_t refs = vchan_order_pages(a) + vchan_order_pages(b);
			uint32_t limit = (a == 10 || b == 10) ? 1024 :
					 (a == 11 || b == 11) ? 2048 : 4096;
			int ok = !(a == b && a < 12) && 24 + 4 * refs <= limit;

			assert_int_equal(ring_check_orders(a, b), ok ? 0 : -EPROTO);
		}
}

/* Move `total` bytes one way in random chunks, checking every byte. */
static void
transfer(struct ring *w, struct ring *r, uint64_t total, uint32_t seed,
	 size_t max_chunk)
{
	uint8_t *buf = malloc(max_chunk);
	uint64_t sent = 0, got = 0;
	uint32_t rng = seed | 1;

	assert_non_null(buf);
	while (got < total) {
		size_t n = 1 + rng_next(&rng) % max_chunk;
		ssize_t ret;

		if (n > total - sent)
			n = (size_t)(total - sent);
		for (size_t i = 0; i < n; i++)
			buf[i] = stream_byte(seed, sent + i);
		if (n > 0) {
			ret = ring_writev(w, &(struct iovec){ buf, n }, 1);
			assert_true(ret > 0 || ret == -EAGAIN);
			if (ret > 0)
				sent += (uint64_t)ret;
		}
		n = 1 + rng_next(&rng) % max_chunk;
		ret = ring_readv(r, &(struct iovec){ buf, n }, 1);
		assert_true(ret > 0 || ret == -EAGAIN);
		for (ssize_t i = 0; i < ret; i++)
			assert_int_equal(buf[i], stream_byte(seed, got + (uint64_t)i));
		if (ret > 0)
			got += (uint64_t)ret;
	}
	free(buf);
}

static void
test_every_order_across_wrap(void **unused)
{
	(void)unused;
	for (unsigned int order = 10; order <= 20; order++) {
		unsigned int other = partner_order(order);
		struct pair *p = pair_open(order, other, 0xFFFFFF00u);
		uint64_t volume = 3 * ((uint64_t)1 << order) + 4097;

		transfer(&p->cli, &p->srv, volume, order, ((size_t)1 << order) + 7);
		transfer(&p->srv, &p->cli, volume, order * 7, 777);
		/* The indices wrapped through 2^32 on the way. */
		assert_true(ctrl_of(p)->left.prod < 0xFFFFFF00u);
		pair_free(p);

		p = pair_open(other, order, 0x7FFFFFF0u);
		transfer(&p->srv, &p->cli, volume, order + 100, 3000);
		pair_free(p);
	}
}

static void
test_full_and_empty(void **unused)
{
	struct pair *p = pair_open(12, 12, 0xFFFFFFF0u);
	uint8_t buf[5000];
	ssize_t ret;

	(void)unused;
	memset(buf, 0xab, sizeof(buf));
	assert_int_equal(ring_readv(&p->srv, &(struct iovec){ buf, 10 }, 1), -EAGAIN);
	ret = ring_writev(&p->cli, &(struct iovec){ buf, sizeof(buf) }, 1);
	assert_int_equal(ret, 4096);	/* a completely full ring is legal */
	assert_int_equal(ring_writev(&p->cli, &(struct iovec){ buf, 1 }, 1), -EAGAIN);
	assert_int_equal(ring_data_ready(&p->srv), 4096);
	assert_int_equal(ring_buffer_space(&p->cli), 0);
	ret = ring_readv(&p->srv, &(struct iovec){ buf, sizeof(buf) }, 1);
	assert_int_equal(ret, 4096);
	assert_int_equal(ring_readv(&p->srv, &(struct iovec){ buf, 1 }, 1), -EAGAIN);
	assert_int_equal(ring_buffer_space(&p->cli), 4096);
	pair_free(p);
}

static void
test_spans_split_at_wrap(void **unused)
{
	struct pair *p = pair_open(12, 11, 0);
	struct gntring_span span;
	uint8_t buf[4096];
	ssize_t ret;

	(void)unused;
	/* Move the indices to 100 bytes before the end of the ring. */
	memset(buf, 1, sizeof(buf));
	assert_int_equal(ring_writev(&p->cli, &(struct iovec){ buf, 3996 }, 1), 3996);
	assert_int_equal(ring_readv(&p->srv, &(struct iovec){ buf, 3996 }, 1), 3996);

	ret = ring_write_reserve(&p->cli, 200, &span);
	assert_int_equal(ret, 4096);
	assert_int_equal(span.nseg, 2);
	assert_int_equal(span.seg[0].iov_len, 100);
	assert_int_equal(span.seg[1].iov_len, 3996);
	assert_ptr_equal(span.seg[0].iov_base, p->left + 3996);
	assert_ptr_equal(span.seg[1].iov_base, p->left);
	memset(span.seg[0].iov_base, 'a', 100);
	memset(span.seg[1].iov_base, 'b', 50);
	assert_int_equal(ring_write_commit(&p->cli, 4097), -EINVAL);
	assert_int_equal(ring_write_commit(&p->cli, 150), 0);
	assert_int_equal(ring_write_commit(&p->cli, 1), -EINVAL);

	ret = ring_read_peek(&p->srv, 150, &span);
	assert_int_equal(ret, 150);
	assert_int_equal(span.nseg, 2);
	assert_int_equal(span.seg[0].iov_len, 100);
	assert_int_equal(span.seg[1].iov_len, 50);
	assert_int_equal(((uint8_t *)span.seg[0].iov_base)[99], 'a');
	assert_int_equal(((uint8_t *)span.seg[1].iov_base)[0], 'b');
	assert_int_equal(ring_read_peek(&p->srv, 151, &span), -EAGAIN);
	assert_int_equal(ring_read_peek(&p->srv, 5000, &span), -EINVAL);
	assert_int_equal(ring_read_peek(&p->srv, 1, &span), 150);
	assert_int_equal(ring_read_consume(&p->srv, 151), -EINVAL);
	assert_int_equal(ring_read_consume(&p->srv, 120), 0);
	assert_int_equal(ring_data_ready(&p->srv), 30);
	assert_int_equal(ring_write_reserve(&p->cli, 5000, &span), -EINVAL);
	pair_free(p);
}

static void
test_notify_protocol(void **unused)
{
	struct pair *p = pair_open(12, 12, 0);
	uint8_t buf[4096];

	(void)unused;
	memset(buf, 7, sizeof(buf));
	/* The server asked for WRITE at setup: the first write wakes it, once. */
	assert_int_equal(ring_writev(&p->cli, &(struct iovec){ buf, 10 }, 1), 10);
	assert_int_equal(p->cli_events, 1 /* connect */ + 1);
	assert_int_equal(ring_writev(&p->cli, &(struct iovec){ buf, 10 }, 1), 10);
	assert_int_equal(ring_writev(&p->cli, &(struct iovec){ buf, 10 }, 1), 10);
	assert_int_equal(p->cli_events, 2);	/* nobody waits: no event */

	/* The server reads it all, then waits: it requests WRITE. */
	assert_int_equal(ring_readv(&p->srv, &(struct iovec){ buf, 100 }, 1), 30);
	assert_int_equal(p->srv_events, 0);	/* the client never asked for READ */
	assert_int_equal(ring_readv(&p->srv, &(struct iovec){ buf, 100 }, 1), -EAGAIN);
	assert_true(ctrl_of(p)->cli_notify & VCHAN_NOTIFY_WRITE);
	assert_int_equal(ring_writev(&p->cli, &(struct iovec){ buf, 5 }, 1), 5);
	assert_int_equal(p->cli_events, 3);
	assert_false(ctrl_of(p)->cli_notify & VCHAN_NOTIFY_WRITE);
	assert_int_equal(ring_readv(&p->srv, &(struct iovec){ buf, 100 }, 1), 5);

	/* The client fills the ring and waits for space: READ requested. */
	assert_int_equal(ring_writev(&p->cli, &(struct iovec){ buf, 4096 }, 1), 4096);
	assert_int_equal(ring_writev(&p->cli, &(struct iovec){ buf, 1 }, 1), -EAGAIN);
	assert_true(ctrl_of(p)->srv_notify & VCHAN_NOTIFY_READ);
	assert_int_equal(ring_readv(&p->srv, &(struct iovec){ buf, 1000 }, 1), 1000);
	assert_int_equal(p->srv_events, 1);
	assert_int_equal(ring_readv(&p->srv, &(struct iovec){ buf, 1000 }, 1), 1000);
	assert_int_equal(p->srv_events, 1);	/* one event per batch */

	/* A short write arms READ too (vchan's fast_get_buffer_space). */
	assert_int_equal(ring_writev(&p->cli, &(struct iovec){ buf, 4096 }, 1), 2000);
	assert_true(ctrl_of(p)->srv_notify & VCHAN_NOTIFY_READ);

	/* The feature bit survives the request traffic. */
	assert_true(ctrl_of(p)->cli_notify & GNTRING_NOTIFY_FEATURE);
	assert_true(ctrl_of(p)->srv_notify & GNTRING_NOTIFY_FEATURE);
	assert_true(ring_peer_is_gntring(&p->srv));
	assert_true(ring_peer_is_gntring(&p->cli));
	pair_free(p);
}

static void
test_hostile_prod(void **unused)
{
	static const uint32_t bad[] = { 0xffffffffu, 0x80000000u, 4097, 0x1001 };
	uint8_t buf[64];

	(void)unused;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pair *p = pair_open(12, 12, 1000);

		/* prod = cons + size is a full ring: legal. */
		ctrl_of(p)->left.prod = 1000 + 4096;
		assert_int_equal(ring_data_ready(&p->srv), 4096);
		ctrl_of(p)->left.prod = 1000 + bad[i];
		assert_int_equal(ring_readv(&p->srv, &(struct iovec){ buf, 64 }, 1),
				 -EPROTO);
		assert_int_equal(ring_state(&p->srv), GNTRING_BROKEN);
		/* Latched: even a repaired index does not unbreak it. */
		ctrl_of(p)->left.prod = 1000;
		assert_int_equal(ring_readv(&p->srv, &(struct iovec){ buf, 64 }, 1),
				 -EPROTO);
		assert_int_equal(ring_writev(&p->srv, &(struct iovec){ buf, 64 }, 1),
				 -EPROTO);
		assert_int_equal(ring_data_ready(&p->srv), 0);
		assert_int_equal(ring_buffer_space(&p->srv), 0);
		assert_int_equal(ring_msg_recv(&p->srv, buf, 64), -EPROTO);
		pair_free(p);
	}
}

static void
test_hostile_cons_and_rewind(void **unused)
{
	uint8_t buf[256];
	struct pair *p;

	(void)unused;
	memset(buf, 3, sizeof(buf));
	/* The reader's cons runs past our prod. */
	p = pair_open(12, 12, 0);
	assert_int_equal(ring_writev(&p->cli, &(struct iovec){ buf, 100 }, 1), 100);
	ctrl_of(p)->left.cons = 101;
	assert_int_equal(ring_writev(&p->cli, &(struct iovec){ buf, 1 }, 1), -EPROTO);
	pair_free(p);

	/* cons moves backwards. */
	p = pair_open(12, 12, 0);
	assert_int_equal(ring_writev(&p->cli, &(struct iovec){ buf, 100 }, 1), 100);
	assert_int_equal(ring_readv(&p->srv, &(struct iovec){ buf, 50 }, 1), 50);
	assert_int_equal(ring_writev(&p->cli, &(struct iovec){ buf, 1 }, 1), 1);
	ctrl_of(p)->left.cons = 10;
	assert_int_equal(ring_writev(&p->cli, &(struct iovec){ buf, 1 }, 1), -EPROTO);
	pair_free(p);

	/* prod moves backwards, still inside the ring. */
	p = pair_open(12, 12, 0);
	assert_int_equal(ring_writev(&p->cli, &(struct iovec){ buf, 100 }, 1), 100);
	assert_int_equal(ring_data_ready(&p->srv), 100);
	ctrl_of(p)->left.prod = 40;
	assert_int_equal(ring_readv(&p->srv, &(struct iovec){ buf, 1 }, 1), -EPROTO);
	pair_free(p);

	/* Invalid indices at setup. */
	p = pair_new(12, 12, 0);
	ctrl_of(p)->right.prod = 0x80000000u;
	{
		struct ring_layout cli = { RING_ROLE_CLIENT, ctrl_of(p), p->right,
					   12, p->left, 12 };
		struct ring c;

		assert_int_equal(ring_init(&c, &cli, count_cli, p), -EPROTO);
	}
	pair_free(p);
}

static void
test_own_index_not_trusted(void **unused)
{
	struct pair *p = pair_open(12, 12, 500);
	uint8_t buf[300];

	(void)unused;
	for (int i = 0; i < 300; i++)
		buf[i] = (uint8_t)i;
	assert_int_equal(ring_writev(&p->cli, &(struct iovec){ buf, 300 }, 1), 300);
	/* The peer scribbles over the server's own cons and the client's prod. */
	ctrl_of(p)->left.cons = 0xdeadbeef;
	memset(buf, 0, sizeof(buf));
	assert_int_equal(ring_readv(&p->srv, &(struct iovec){ buf, 100 }, 1), 100);
	assert_int_equal(buf[0], 0);
	assert_int_equal(buf[99], 99);
	/* Our private index was written back, not the scribble plus 100. */
	assert_int_equal(ctrl_of(p)->left.cons, 600);
	ctrl_of(p)->right.prod = 0x12345678;
	assert_int_equal(ring_writev(&p->srv, &(struct iovec){ buf, 10 }, 1), 10);
	assert_int_equal(ctrl_of(p)->right.prod, 510);
	assert_int_equal(ring_readv(&p->cli, &(struct iovec){ buf, 100 }, 1), 10);
	pair_free(p);
}

static void
test_state_machine(void **unused)
{
	struct pair *p = pair_new(10, 11, 0);
	uint8_t buf[64] = "hello";

	(void)unused;
	assert_int_equal(ring_state(&p->srv), GNTRING_WAITING);
	assert_int_equal(ring_readv(&p->srv, &(struct iovec){ buf, 8 }, 1), -ENOTCONN);
	/* The server may write before the client comes. */
	assert_int_equal(ring_writev(&p->srv, &(struct iovec){ buf, 5 }, 1), 5);
	pair_connect(p);
	assert_int_equal(p->cli_events, 1);	/* the connect event */
	assert_int_equal(ring_state(&p->srv), GNTRING_CONNECTED);
	assert_int_equal(ring_state(&p->cli), GNTRING_CONNECTED);
	assert_int_equal(ring_readv(&p->cli, &(struct iovec){ buf, 64 }, 1), 5);

	/* The client writes, then closes: the server drains, then reads EOF. */
	assert_int_equal(ring_writev(&p->cli, &(struct iovec){ "bye", 3 }, 1), 3);
	ring_close_own(&p->cli, true);
	assert_int_equal(ctrl_of(p)->cli_live, 0);
	assert_int_equal(ring_state(&p->srv), GNTRING_CLOSED);
	assert_int_equal(ring_readv(&p->srv, &(struct iovec){ buf, 64 }, 1), 3);
	assert_int_equal(ring_readv(&p->srv, &(struct iovec){ buf, 64 }, 1), 0);
	assert_int_equal(ring_writev(&p->srv, &(struct iovec){ buf, 1 }, 1), -EPIPE);
	/* A vchan-style client re-appearing does not reopen a closed end. */
	ctrl_of(p)->cli_live = 1;
	assert_int_equal(ring_state(&p->srv), GNTRING_CLOSED);
	pair_free(p);

	/* Invalid live bytes break the channel. */
	p = pair_open(10, 11, 0);
	ctrl_of(p)->cli_live = 7;
	assert_int_equal(ring_state(&p->srv), GNTRING_BROKEN);
	pair_free(p);
	p = pair_open(10, 11, 0);
	ctrl_of(p)->cli_live = 2;	/* connected -> waiting: backwards */
	assert_int_equal(ring_state(&p->srv), GNTRING_BROKEN);
	pair_free(p);
	p = pair_open(10, 11, 0);
	ctrl_of(p)->srv_live = 2;	/* only cli_live may say 2 */
	assert_int_equal(ring_readv(&p->cli, &(struct iovec){ buf, 1 }, 1), -EPROTO);
	assert_int_equal(ring_state(&p->cli), GNTRING_BROKEN);
	pair_free(p);

	/*
	 * The server dies (unmap-notify clears srv_live, no shutdown bit):
	 * the data drains, then the death is reported (test_peer_death).
	 */
	p = pair_open(10, 11, 0);
	assert_int_equal(ring_writev(&p->srv, &(struct iovec){ buf, 9 }, 1), 9);
	ctrl_of(p)->srv_live = 0;
	assert_int_equal(ring_state(&p->cli), GNTRING_CLOSED);
	assert_int_equal(ring_writev(&p->cli, &(struct iovec){ buf, 1 }, 1), -EPIPE);
	assert_int_equal(ring_readv(&p->cli, &(struct iovec){ buf, 64 }, 1), 9);
	assert_int_equal(ring_readv(&p->cli, &(struct iovec){ buf, 64 }, 1), -ECONNRESET);
	pair_free(p);

	/* A notify that fails means the peer's port is gone. */
	p = pair_open(12, 12, 0);
	ring_readv(&p->cli, &(struct iovec){ buf, 1 }, 1);	/* arm WRITE */
	p->fail_notify = 1;
	assert_int_equal(ring_writev(&p->srv, &(struct iovec){ buf, 1 }, 1), 1);
	assert_int_equal(ring_state(&p->srv), GNTRING_CLOSED);
	pair_free(p);
}

static void
test_framed_messages(void **unused)
{
	struct pair *p = pair_open(12, 11, 0xFFFFFFF0u);
	uint8_t out[4096], in[4096];

	(void)unused;
	for (int i = 0; i < 4096; i++)
		out[i] = (uint8_t)(i * 31);
	/* 0 is end of stream for msg_recv, so empty messages do not exist. */
	assert_int_equal(ring_msg_send(&p->cli, out, 0), -EINVAL);
	assert_int_equal(ring_msg_send(&p->cli, out, 17), 17);
	assert_int_equal(ring_msg_recv(&p->srv, in, 16), -EMSGSIZE);
	assert_int_equal(ring_msg_recv(&p->srv, in, 17), 17);
	assert_memory_equal(in, out, 17);
	assert_int_equal(ring_msg_recv(&p->srv, in, sizeof(in)), -EAGAIN);
	assert_int_equal(ring_msg_send(&p->cli, out, 4093), -EMSGSIZE);
	assert_int_equal(ring_msg_send(&p->cli, out, 4092), 4092);
	assert_int_equal(ring_msg_send(&p->cli, out, 1), -EAGAIN);	/* all or nothing */
	assert_int_equal(ring_msg_recv(&p->srv, in, sizeof(in)), 4092);
	assert_memory_equal(in, out, 4092);

	/* Many messages of random sizes across the wrap. */
	uint32_t rng = 99;
	for (int round = 0; round < 2000; round++) {
		size_t n = 1 + rng_next(&rng) % 1500;

		out[0] = (uint8_t)round;
		assert_int_equal(ring_msg_send(&p->cli, out, n), (ssize_t)n);
		assert_int_equal(ring_msg_recv(&p->srv, in, sizeof(in)), (ssize_t)n);
		assert_memory_equal(in, out, n);
	}

	/* A hostile length. */
	uint8_t evil[4] = { 0xfd, 0x0f, 0, 0 };	/* 4093 > 4096 - 4 */
	assert_int_equal(ring_writev(&p->cli, &(struct iovec){ evil, 4 }, 1), 4);
	assert_int_equal(ring_msg_recv(&p->srv, in, sizeof(in)), -EPROTO);
	assert_int_equal(ring_state(&p->srv), GNTRING_BROKEN);
	pair_free(p);

	/* An empty frame from a peer would read as end of stream. */
	p = pair_open(12, 11, 0);
	assert_int_equal(ring_writev(&p->cli, &(struct iovec){ "\0\0\0\0", 4 }, 1), 4);
	assert_int_equal(ring_msg_recv(&p->srv, in, sizeof(in)), -EPROTO);
	pair_free(p);

	/* A message torn by end of stream. */
	p = pair_open(12, 11, 0);
	uint8_t torn[6] = { 10, 0, 0, 0, 'x', 'y' };
	assert_int_equal(ring_writev(&p->cli, &(struct iovec){ torn, 6 }, 1), 6);
	ring_close_own(&p->cli, true);
	assert_int_equal(ring_msg_recv(&p->srv, in, sizeof(in)), -EPROTO);
	pair_free(p);
}

static void
test_all_or_nothing_and_vectors(void **unused)
{
	struct pair *p = pair_open(10, 11, 0);
	uint8_t a[600], b[600], c[2048];
	struct iovec iov[3];

	(void)unused;
	memset(a, 'a', sizeof(a));
	memset(b, 'b', sizeof(b));
	iov[0] = (struct iovec){ a, 600 };
	iov[1] = (struct iovec){ b, 600 };
	assert_int_equal(ring_sendv(&p->cli, iov, 2), -EMSGSIZE);	/* > 1024 */
	assert_int_equal(ring_writev(&p->cli, iov, 2), 1024);
	assert_int_equal(ring_recv(&p->srv, c, 1025), -EMSGSIZE);
	assert_int_equal(ring_recv(&p->srv, c, 600), 600);
	assert_int_equal(ring_recv(&p->srv, c, 600), -EAGAIN);
	iov[0] = (struct iovec){ c, 100 };
	iov[1] = (struct iovec){ c + 100, 0 };
	iov[2] = (struct iovec){ c + 100, 1000 };
	assert_int_equal(ring_readv(&p->srv, iov, 3), 424);
	assert_int_equal(c[99], 'b');
	assert_int_equal(c[423], 'b');
	iov[0] = (struct iovec){ a, 500 };
	iov[1] = (struct iovec){ b, 524 };
	assert_int_equal(ring_sendv(&p->cli, iov, 2), 1024);
	assert_int_equal(ring_sendv(&p->cli, iov, 1), -EAGAIN);
	/* End of stream with fewer bytes than asked. */
	ring_close_own(&p->cli, true);
	assert_int_equal(ring_recv(&p->srv, c, 1000), 1000);
	assert_int_equal(ring_recv(&p->srv, c, 1000), 0);
	assert_int_equal(ring_recv(&p->srv, c, 24), 24);
	assert_int_equal(ring_readv(&p->srv, iov, 1), 0);
	pair_free(p);
}

static void
test_half_close_gntring_peer(void **unused)
{
	struct pair *p = pair_open(12, 12, 0);
	uint8_t buf[64];

	(void)unused;
	assert_int_equal(ring_writev(&p->cli, &(struct iovec){ "last", 4 }, 1), 4);
	assert_int_equal(ring_shutdown_write(&p->cli), 0);
	assert_int_equal(ring_shutdown_write(&p->cli), 0);
	assert_true(ctrl_of(p)->srv_notify & GNTRING_NOTIFY_SHUTDOWN);
	assert_int_equal(ring_writev(&p->cli, &(struct iovec){ buf, 1 }, 1), -EPIPE);
	assert_int_equal(ring_readv(&p->srv, &(struct iovec){ buf, 64 }, 1), 4);
	assert_int_equal(ring_readv(&p->srv, &(struct iovec){ buf, 64 }, 1), 0);
	assert_int_equal(ring_state(&p->srv), GNTRING_CONNECTED);
	/* The other direction still works. */
	assert_int_equal(ring_writev(&p->srv, &(struct iovec){ "reply", 5 }, 1), 5);
	assert_int_equal(ring_readv(&p->cli, &(struct iovec){ buf, 64 }, 1), 5);
	assert_int_equal(ctrl_of(p)->cli_live, 1);
	pair_free(p);
}

static void
test_half_close_vchan_peer(void **unused)
{
	struct pair *p = pair_new(12, 12, 0);
	uint8_t buf[64];

	(void)unused;
	/* A libxenvchan server never sets the feature bit. */
	ctrl_of(p)->cli_notify &= (uint8_t)~GNTRING_NOTIFY_FEATURE;
	pair_connect(p);
	assert_false(ring_peer_is_gntring(&p->cli));
	assert_int_equal(ring_writev(&p->cli, &(struct iovec){ "tail", 4 }, 1), 4);
	assert_int_equal(ring_shutdown_write(&p->cli), 0);
	/* Not drained yet: still open, no shutdown bit (vchan would ignore it). */
	assert_int_equal(ctrl_of(p)->cli_live, 1);
	assert_false(ctrl_of(p)->srv_notify & GNTRING_NOTIFY_SHUTDOWN);
	int before = p->cli_events;
	assert_int_equal(ring_readv(&p->srv, &(struct iovec){ buf, 64 }, 1), 4);
	assert_int_equal(p->cli_events, before);
	/* The server's read consumed the last byte: our next process closes. */
	assert_int_equal(ring_process(&p->cli), GNTRING_CONNECTED);
	assert_int_equal(ctrl_of(p)->cli_live, 0);
	assert_int_equal(p->cli_events, before + 1);
	/* The vchan server sees a full close; it may still have data for us. */
	assert_int_equal(ring_state(&p->srv), GNTRING_CLOSED);
	pair_free(p);
}

/* The peer's live byte goes to 0 as its unmap-notify does it: no shutdown bit. */
static void
kill_live(uint8_t *live)
{
	atomic_store_explicit((_Atomic uint8_t *)live, 0, memory_order_release);
}

/* An abort (a close that does not end the stream) reads as a death. */
static void
test_abort(void **unused)
{
	struct pair *p = pair_open(12, 12, 0);
	uint8_t buf[64];

	(void)unused;
	assert_true(ring_peer_is_gntring(&p->cli));
	assert_int_equal(ring_writev(&p->srv, &(struct iovec){ "abc", 3 }, 1), 3);
	ring_close_own(&p->srv, false);
	assert_false(ctrl_of(p)->cli_notify & GNTRING_NOTIFY_SHUTDOWN);
	assert_int_equal(ring_state(&p->cli), GNTRING_CLOSED);
	assert_int_equal(ring_readv(&p->cli, &(struct iovec){ buf, 64 }, 1), 3);
	assert_memory_equal(buf, "abc", 3);
	assert_int_equal(ring_readv(&p->cli, &(struct iovec){ buf, 64 }, 1),
			 -ECONNRESET);
	pair_free(p);

	/* After a half-close the stream has ended: an abort reads as its end. */
	p = pair_open(12, 12, 0);
	assert_int_equal(ring_shutdown_write(&p->srv), 0);
	ring_close_own(&p->srv, false);
	assert_int_equal(ring_readv(&p->cli, &(struct iovec){ buf, 64 }, 1), 0);
	pair_free(p);
}

static void
test_peer_death(void **unused)
{
	struct pair *p = pair_open(12, 12, 0xFFFFFFFAu);
	struct gntring_span span;
	uint8_t buf[64];

	(void)unused;
	/* A libgntring server dies mid-stream: drain, then ECONNRESET, sticky. */
	assert_true(ring_peer_is_gntring(&p->cli));
	assert_int_equal(ring_writev(&p->srv, &(struct iovec){ "0123456789", 10 }, 1), 10);
	kill_live(&ctrl_of(p)->srv_live);
	assert_false(ctrl_of(p)->cli_notify & GNTRING_NOTIFY_SHUTDOWN);
	assert_int_equal(ring_state(&p->cli), GNTRING_CLOSED);
	/* recv: fewer than n left is no end of stream here, it is the death. */
	assert_int_equal(ring_recv(&p->cli, buf, 11), -ECONNRESET);
	assert_int_equal(ring_recv(&p->cli, buf, 4), 4);
	assert_memory_equal(buf, "0123", 4);
	/* peek: hands out what is left (fewer than min), then the death. */
	assert_int_equal(ring_read_peek(&p->cli, 8, &span), 6);
	assert_int_equal(ring_read_consume(&p->cli, 3), 0);
	assert_int_equal(ring_readv(&p->cli, &(struct iovec){ buf, 64 }, 1), 3);
	assert_memory_equal(buf, "789", 3);
	assert_int_equal(ring_readv(&p->cli, &(struct iovec){ buf, 64 }, 1), -ECONNRESET);
	assert_int_equal(ring_readv(&p->cli, &(struct iovec){ buf, 64 }, 1), -ECONNRESET);
	assert_int_equal(ring_recv(&p->cli, buf, 1), -ECONNRESET);
	assert_int_equal(ring_read_peek(&p->cli, 1, &span), -ECONNRESET);
	assert_int_equal(ring_msg_recv(&p->cli, buf, sizeof(buf)), -ECONNRESET);
	assert_int_equal(ring_state(&p->cli), GNTRING_CLOSED);	/* not BROKEN */
	assert_int_equal(ring_writev(&p->cli, &(struct iovec){ buf, 1 }, 1), -EPIPE);
	pair_free(p);

	/* A libgntring client dies: the server sees it the same way. */
	p = pair_open(10, 11, 0);
	assert_int_equal(ring_writev(&p->cli, &(struct iovec){ "ab", 2 }, 1), 2);
	kill_live(&ctrl_of(p)->cli_live);
	assert_int_equal(ring_readv(&p->srv, &(struct iovec){ buf, 64 }, 1), 2);
	assert_int_equal(ring_readv(&p->srv, &(struct iovec){ buf, 64 }, 1), -ECONNRESET);
	pair_free(p);

	/* ... even when it connected and died before the server looked. */
	p = pair_new(10, 11, 0);
	pair_connect(p);
	assert_int_equal(ring_writev(&p->cli, &(struct iovec){ "ab", 2 }, 1), 2);
	kill_live(&ctrl_of(p)->cli_live);
	assert_int_equal(ring_readv(&p->srv, &(struct iovec){ buf, 64 }, 1), 2);
	assert_int_equal(ring_readv(&p->srv, &(struct iovec){ buf, 64 }, 1), -ECONNRESET);
	assert_true(ring_peer_is_gntring(&p->srv));
	pair_free(p);

	/* A message torn by the death is the death, not a protocol error. */
	p = pair_open(12, 12, 0);
	uint8_t torn[6] = { 10, 0, 0, 0, 'x', 'y' };
	assert_int_equal(ring_writev(&p->srv, &(struct iovec){ torn, 6 }, 1), 6);
	kill_live(&ctrl_of(p)->srv_live);
	assert_int_equal(ring_msg_recv(&p->cli, buf, sizeof(buf)), -ECONNRESET);
	assert_int_equal(ring_state(&p->cli), GNTRING_CLOSED);
	pair_free(p);

	/* A vanished domain (its port cannot be notified) without the bit. */
	p = pair_open(12, 12, 0);
	assert_int_equal(ring_writev(&p->srv, &(struct iovec){ buf, 1 }, 1), 1);
	assert_int_equal(ring_readv(&p->cli, &(struct iovec){ buf, 1 }, 1), 1);
	assert_int_equal(ring_writev(&p->cli, &(struct iovec){ buf, 1 }, 1), 1);
	ring_readv(&p->cli, &(struct iovec){ buf, 1 }, 1);	/* arm WRITE */
	p->fail_notify = 1;
	assert_int_equal(ring_readv(&p->srv, &(struct iovec){ buf, 1 }, 1), 1);
	/* The server's read woke nobody... */
	assert_int_equal(ring_state(&p->srv), GNTRING_CONNECTED);
	assert_int_equal(ring_writev(&p->srv, &(struct iovec){ buf, 1 }, 1), 1);
	/* ...its write failed to notify: the client's port is gone. */
	assert_int_equal(ring_state(&p->srv), GNTRING_CLOSED);
	assert_int_equal(ctrl_of(p)->cli_live, 1);
	assert_int_equal(ring_readv(&p->srv, &(struct iovec){ buf, 1 }, 1), -ECONNRESET);
	pair_free(p);
}

static void
test_clean_end_vs_death(void **unused)
{
	struct pair *p = pair_open(12, 12, 0);
	uint8_t buf[64];

	(void)unused;
	/* gntring_close(): the shutdown bit is set before the live byte. */
	assert_int_equal(ring_writev(&p->srv, &(struct iovec){ "bye", 3 }, 1), 3);
	ring_close_own(&p->srv, true);
	assert_true(ctrl_of(p)->cli_notify & GNTRING_NOTIFY_SHUTDOWN);
	assert_int_equal(ctrl_of(p)->srv_live, 0);
	assert_int_equal(ring_readv(&p->cli, &(struct iovec){ buf, 64 }, 1), 3);
	assert_int_equal(ring_readv(&p->cli, &(struct iovec){ buf, 64 }, 1), 0);
	assert_int_equal(ring_recv(&p->cli, buf, 1), 0);
	pair_free(p);

	/* The same from the client side. */
	p = pair_open(12, 12, 0);
	ring_close_own(&p->cli, true);
	assert_true(ctrl_of(p)->srv_notify & GNTRING_NOTIFY_SHUTDOWN);
	assert_int_equal(ring_readv(&p->srv, &(struct iovec){ buf, 64 }, 1), 0);
	pair_free(p);

	/* Shut down writing, then died: the stream was ended, so 0. */
	p = pair_open(12, 12, 0);
	assert_int_equal(ring_writev(&p->srv, &(struct iovec){ "end", 3 }, 1), 3);
	assert_int_equal(ring_shutdown_write(&p->srv), 0);
	kill_live(&ctrl_of(p)->srv_live);
	assert_int_equal(ring_readv(&p->cli, &(struct iovec){ buf, 64 }, 1), 3);
	assert_int_equal(ring_readv(&p->cli, &(struct iovec){ buf, 64 }, 1), 0);
	pair_free(p);

	/* Shut down writing, then its domain vanished: 0 too. */
	p = pair_open(12, 12, 0);
	assert_int_equal(ring_shutdown_write(&p->cli), 0);
	atomic_store(&p->srv.peer, RING_PEER_GONE);
	assert_int_equal(ring_readv(&p->srv, &(struct iovec){ buf, 64 }, 1), 0);
	pair_free(p);

	/* A libxenvchan server has no shutdown bit: its death reads as 0. */
	p = pair_new(12, 12, 0);
	ctrl_of(p)->cli_notify &= (uint8_t)~GNTRING_NOTIFY_FEATURE;
	pair_connect(p);
	assert_false(ring_peer_is_gntring(&p->cli));
	assert_int_equal(ring_writev(&p->srv, &(struct iovec){ "vc", 2 }, 1), 2);
	kill_live(&ctrl_of(p)->srv_live);
	assert_int_equal(ring_readv(&p->cli, &(struct iovec){ buf, 64 }, 1), 2);
	assert_int_equal(ring_readv(&p->cli, &(struct iovec){ buf, 64 }, 1), 0);
	pair_free(p);

	/* A libxenvchan client (it stores srv_notify = WRITE at connect). */
	p = pair_new(12, 12, 0);
	pair_connect(p);
	ctrl_of(p)->srv_notify = VCHAN_NOTIFY_WRITE;
	assert_int_equal(ring_state(&p->srv), GNTRING_CONNECTED);
	assert_false(ring_peer_is_gntring(&p->srv));
	kill_live(&ctrl_of(p)->cli_live);
	assert_int_equal(ring_readv(&p->srv, &(struct iovec){ buf, 64 }, 1), 0);
	pair_free(p);

	/* A client that never connected: nothing to distinguish, 0. */
	p = pair_new(12, 12, 0);
	kill_live(&ctrl_of(p)->cli_live);
	assert_int_equal(ring_readv(&p->srv, &(struct iovec){ buf, 64 }, 1), 0);
	assert_false(ring_peer_is_gntring(&p->srv));
	pair_free(p);
}

/*
 * Two threads: the writer sends a stream, then closes or "dies" (clears
 * its live byte as the kernel would).  The reader must get every byte,
 * then exactly 0 or -ECONNRESET to match: the shutdown bit and the live
 * byte are honoured only after the data published before them (R3/A3),
 * and a close is never taken for a death.
 */
struct ending {
	struct pair *p;
	uint32_t total;
	bool die;
	long result;	/* reader: bytes got, or -1 on a wrong byte */
	long last;	/* reader: the final return value */
};

static void *
ending_writer(void *arg)
{
	struct ending *e = arg;
	uint8_t buf[1500];
	uint32_t sent = 0;

	while (sent < e->total) {
		uint32_t n = e->total - sent < sizeof(buf) ? e->total - sent :
			     (uint32_t)sizeof(buf);
		ssize_t ret;

		for (uint32_t i = 0; i < n; i++)
			buf[i] = stream_byte(7, sent + i);
		ret = ring_writev(&e->p->srv, &(struct iovec){ buf, n }, 1);
		if (ret == -EAGAIN) {
			sched_yield();
			continue;
		}
		if (ret <= 0)
			return (void *)1;
		sent += (uint32_t)ret;
	}
	if (e->die)
		kill_live(&ctrl_of(e->p)->srv_live);
	else
		ring_close_own(&e->p->srv, true);
	return NULL;
}

static void *
ending_reader(void *arg)
{
	struct ending *e = arg;
	uint8_t buf[700];
	long got = 0;

	for (;;) {
		ssize_t ret = ring_readv(&e->p->cli, &(struct iovec){ buf, sizeof(buf) }, 1);

		if (ret == -EAGAIN) {
			sched_yield();
			continue;
		}
		if (ret <= 0) {
			e->last = ret;
			break;
		}
		for (ssize_t i = 0; i < ret; i++)
			if (buf[i] != stream_byte(7, (uint64_t)got + (uint64_t)i))
				got = -1;
		if (got < 0)
			break;
		got += ret;
	}
	e->result = got;
	return NULL;
}

static void
test_ending_race(void **unused)
{
	const char *div_text = getenv("GNTRING_STRESS_DIV");
	int div = div_text != NULL && atoi(div_text) > 0 ? atoi(div_text) : 1;
	uint32_t rng = 5;

	(void)unused;
	for (int round = 0; round < 2000 / div; round++) {
		struct ending e = { 0 };
		pthread_t w, r;
		void *ret;

		e.p = pair_open(10, 11, rng_next(&rng));
		e.total = rng_next(&rng) % 5000;
		e.die = (round & 1) != 0;
		assert_int_equal(pthread_create(&r, NULL, ending_reader, &e), 0);
		assert_int_equal(pthread_create(&w, NULL, ending_writer, &e), 0);
		assert_int_equal(pthread_join(w, &ret), 0);
		assert_null(ret);
		assert_int_equal(pthread_join(r, NULL), 0);
		assert_int_equal(e.result, (long)e.total);
		assert_int_equal(e.last, e.die ? -ECONNRESET : 0);
		pair_free(e.p);
	}
}

/* ------------------------------------------------------------------ */
/* Two-thread SPSC stress, both directions at once.                    */

struct stress {
	struct ring *ring;
	uint64_t total;
	uint32_t seed;
	int use_spans;
};

static void *
stress_writer(void *arg)
{
	struct stress *s = arg;
	uint8_t buf[8192];
	uint64_t sent = 0;
	uint32_t rng = s->seed * 2 + 1;

	while (sent < s->total) {
		size_t n = 1 + rng_next(&rng) % sizeof(buf);
		ssize_t ret;

		if (n > s->total - sent)
			n = (size_t)(s->total - sent);
		if (s->use_spans && (rng & 1)) {
			struct gntring_span span;

			ret = ring_write_reserve(s->ring, 1, &span);
			if (ret == -EAGAIN) {
				sched_yield();
				continue;
			}
			if (ret < 0)
				return (void *)1;
			size_t k = 0;
			for (int g = 0; g < span.nseg && k < n; g++) {
				uint8_t *d = span.seg[g].iov_base;

				for (size_t i = 0; i < span.seg[g].iov_len && k < n; i++, k++)
					d[i] = stream_byte(s->seed, sent + k);
			}
			if (ring_write_commit(s->ring, k) < 0)
				return (void *)1;
			sent += k;
			continue;
		}
		for (size_t i = 0; i < n; i++)
			buf[i] = stream_byte(s->seed, sent + i);
		ret = ring_writev(s->ring, &(struct iovec){ buf, n }, 1);
		if (ret == -EAGAIN) {
			sched_yield();
			continue;
		}
		if (ret <= 0)
			return (void *)1;
		sent += (uint64_t)ret;
	}
	return NULL;
}

static void *
stress_reader(void *arg)
{
	struct stress *s = arg;
	uint8_t buf[8192];
	uint64_t got = 0;
	uint32_t rng = s->seed * 3 + 1;

	while (got < s->total) {
		size_t n = 1 + rng_next(&rng) % sizeof(buf);
		ssize_t ret;

		if (s->use_spans && (rng & 1)) {
			struct gntring_span span;

			ret = ring_read_peek(s->ring, 1, &span);
			if (ret == -EAGAIN) {
				sched_yield();
				continue;
			}
			if (ret <= 0)
				return (void *)1;
			size_t k = 0;
			for (int g = 0; g < span.nseg; g++) {
				const uint8_t *d = span.seg[g].iov_base;

				for (size_t i = 0; i < span.seg[g].iov_len; i++, k++)
					if (d[i] != stream_byte(s->seed, got + k))
						return (void *)2;
			}
			if (ring_read_consume(s->ring, k) < 0)
				return (void *)1;
			got += k;
			continue;
		}
		ret = ring_readv(s->ring, &(struct iovec){ buf, n }, 1);
		if (ret == -EAGAIN) {
			sched_yield();
			continue;
		}
		if (ret <= 0)
			return (void *)1;
		for (ssize_t i = 0; i < ret; i++)
			if (buf[i] != stream_byte(s->seed, got + (uint64_t)i))
				return (void *)2;
		got += (uint64_t)ret;
	}
	return NULL;
}

static void
stress_run(unsigned int lo, unsigned int ro, uint64_t total, int spans)
{
	struct pair *p = pair_open(lo, ro, 0xFFFF0000u);
	struct stress up = { &p->cli, total, 11, spans };
	struct stress up_r = { &p->srv, total, 11, spans };
	struct stress down = { &p->srv, total, 22, spans };
	struct stress down_r = { &p->cli, total, 22, spans };
	pthread_t t[4];
	void *ret;

	assert_int_equal(pthread_create(&t[0], NULL, stress_writer, &up), 0);
	assert_int_equal(pthread_create(&t[1], NULL, stress_reader, &up_r), 0);
	assert_int_equal(pthread_create(&t[2], NULL, stress_writer, &down), 0);
	assert_int_equal(pthread_create(&t[3], NULL, stress_reader, &down_r), 0);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], &ret), 0);
		assert_null(ret);
	}
	assert_int_equal(ring_state(&p->srv), GNTRING_CONNECTED);
	assert_int_equal(ring_state(&p->cli), GNTRING_CONNECTED);
	pair_free(p);
}

static void
test_spsc_stress(void **unused)
{
	/* Slow instrumented builds (TSan) scale the volume down. */
	const char *div_text = getenv("GNTRING_STRESS_DIV");
	uint64_t div = div_text != NULL && atoi(div_text) > 0 ?
		       (uint64_t)atoi(div_text) : 1;

	(void)unused;
	stress_run(10, 11, (8u << 20) / div, 0);
	stress_run(12, 16, (16u << 20) / div, 0);
	stress_run(20, 13, (16u << 20) / div, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pick_orders),
		cmocka_unit_test(test_check_orders),
		cmocka_unit_test(test_every_order_across_wrap),
		cmocka_unit_test(test_full_and_empty),
		cmocka_unit_test(test_spans_split_at_wrap),
		cmocka_unit_test(test_notify_protocol),
		cmocka_unit_test(test_hostile_prod),
		cmocka_unit_test(test_hostile_cons_and_rewind),
		cmocka_unit_test(test_own_index_not_trusted),
		cmocka_unit_test(test_state_machine),
		cmocka_unit_test(test_framed_messages),
		cmocka_unit_test(test_all_or_nothing_and_vectors),
		cmocka_unit_test(test_half_close_gntring_peer),
		cmocka_unit_test(test_half_close_vchan_peer),
		cmocka_unit_test(test_peer_death),
		cmocka_unit_test(test_abort),
		cmocka_unit_test(test_clean_end_vs_death),
		cmocka_unit_test(test_ending_race),
		cmocka_unit_test(test_spsc_stress),
	};

	return cmocka_run_group_tests_name("gntring ring engine", tests, NULL, NULL);
}

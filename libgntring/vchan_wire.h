/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The libxenvchan wire format, as libgntring speaks it.
 *
 * The server grants one 4096-byte control page.  It starts with a 24-byte
 * header, followed by the grant references of the out-of-page ring pages
 * (all pages of the left ring, then all pages of the right ring).  There is
 * no magic and no version: the layout itself is the protocol, so every
 * offset is pinned by a static assert below.
 *
 * Rings: "left" carries client -> server bytes, "right" server -> client.
 * Indices are free-running 32-bit byte counters; used = prod - cons mod 2^32;
 * the position of index i in a ring of size s is i & (s - 1).
 *
 * Order o places a ring of 2^o bytes: o = 10 at page offset 1024, o = 11 at
 * page offset 2048, o >= 12 in 2^(o-12) separate granted pages mapped
 * contiguously.  Orders stay constant once the page is shared.
 */
#ifndef GNTRING_VCHAN_WIRE_H
#define GNTRING_VCHAN_WIRE_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#define VCHAN_PAGE_SIZE		4096u
#define VCHAN_PAGE_SHIFT	12u

/* Order limits and the two in-page placements. */
#define VCHAN_ORDER_MIN		10u
#define VCHAN_ORDER_MAX		20u
#define VCHAN_SMALL_ORDER	10u
#define VCHAN_SMALL_OFFSET	1024u
#define VCHAN_LARGE_ORDER	11u
#define VCHAN_LARGE_OFFSET	2048u

/* Live bytes (cli_live, srv_live). */
#define VCHAN_LIVE_CLOSED	0u	/* exited or closed (also set by unmap-notify) */
#define VCHAN_LIVE_CONNECTED	1u
#define VCHAN_LIVE_WAITING	2u	/* cli_live only: no client yet */

/* Bits of the notify bytes that libxenvchan uses. */
#define VCHAN_NOTIFY_WRITE	0x01u	/* "tell me when you have produced" */
#define VCHAN_NOTIFY_READ	0x02u	/* "tell me when you have consumed" */

/*
 * libgntring extensions, in the notify byte a side writes its requests into
 * (server: cli_notify, client: srv_notify).  libxenvchan only ORs and clears
 * bits 0x1 and 0x2 there with atomic operations, so these survive.
 */
#define GNTRING_NOTIFY_FEATURE	0x80u	/* this side is libgntring */
#define GNTRING_NOTIFY_SHUTDOWN	0x40u	/* this side has shut down writing */

struct vchan_ring_indices {
	uint32_t cons;
	uint32_t prod;
};

struct vchan_ctrl {
	struct vchan_ring_indices left;		/* client -> server */
	struct vchan_ring_indices right;	/* server -> client */
	uint16_t left_order;
	uint16_t right_order;
	uint8_t cli_live;
	uint8_t srv_live;
	uint8_t cli_notify;	/* requests addressed to the client */
	uint8_t srv_notify;	/* requests addressed to the server */
	uint32_t grants[];	/* left pages first, then right pages */
};

#define VCHAN_CTRL_SIZE		24u
/* Unmap-notify offsets: the byte the kernel clears when a side's mapping goes. */
#define VCHAN_CLI_LIVE_OFFSET	20u
#define VCHAN_SRV_LIVE_OFFSET	21u

static_assert(offsetof(struct vchan_ctrl, left.cons) == 0, "left.cons");
static_assert(offsetof(struct vchan_ctrl, left.prod) == 4, "left.prod");
static_assert(offsetof(struct vchan_ctrl, right.cons) == 8, "right.cons");
static_assert(offsetof(struct vchan_ctrl, right.prod) == 12, "right.prod");
static_assert(offsetof(struct vchan_ctrl, left_order) == 16, "left_order");
static_assert(offsetof(struct vchan_ctrl, right_order) == 18, "right_order");
static_assert(offsetof(struct vchan_ctrl, cli_live) == VCHAN_CLI_LIVE_OFFSET,
	      "cli_live");
static_assert(offsetof(struct vchan_ctrl, srv_live) == VCHAN_SRV_LIVE_OFFSET,
	      "srv_live");
static_assert(offsetof(struct vchan_ctrl, cli_notify) == 22, "cli_notify");
static_assert(offsetof(struct vchan_ctrl, srv_notify) == 23, "srv_notify");
static_assert(offsetof(struct vchan_ctrl, grants) == VCHAN_CTRL_SIZE, "grants");
static_assert(sizeof(struct vchan_ctrl) == VCHAN_CTRL_SIZE, "header size");

/* Number of separately granted pages a ring of this order needs. */
static inline uint32_t
vchan_order_pages(unsigned int order)
{
	return order >= VCHAN_PAGE_SHIFT ? 1u << (order - VCHAN_PAGE_SHIFT) : 0;
}

#endif /* GNTRING_VCHAN_WIRE_H */

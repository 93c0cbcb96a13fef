/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz target: the simulator's xenstore (sim/xenstore.h) fed hostile byte
 * streams from several connections of several domains.
 *
 * Steps: a well-formed request (any type, including invalid ones, with a
 * payload of NUL-separated strings from a small dictionary of paths,
 * tokens, permissions and values, or raw bytes) split into random chunks;
 * raw bytes; domains introduced and released; connections dropped and
 * reopened as another domain; per-domain statistics.
 *
 * Every message a connection receives must be well formed: a whole header
 * plus at most XENSTORE_PAYLOAD_MAX bytes, as the header says.  Errors carry
 * one NUL-terminated errno name xs_wire.h knows; watch events carry "path\0
 * token\0".  Each request, as framed by a shadow parser of the bytes sent,
 * gets exactly one reply, in order, with its req_id and either its type or
 * XS_ERROR.  A connection that sent an oversized header is dead (-1) and
 * answers nothing more.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <xen/io/xs_wire.h>

#include "fuzz.h"
#include "xenstore.h"

#define NCONN		4
#define MAXSTEPS	300
#define QDEPTH		64

struct fconn {
	struct xs_conn *c;
	unsigned domid;
	bool dead;		/* our framing saw an oversized header */
	bool gone;		/* and the store said so (-1) */
	/* Shadow framing of what we sent. */
	uint8_t hdr[sizeof(struct xsd_sockmsg)];
	size_t hdr_have;
	uint32_t body_left;
	bool in_body;
	/* Requests framed and not answered yet. */
	uint32_t q_req[QDEPTH], q_type[QDEPTH];
	unsigned q_head, q_len;
	unsigned replies;
};

static struct xs_store *st;
static struct fconn conns[NCONN];

static const char *const dict[] = {
	"/", "/local", "/local/domain", "/local/domain/0", "/local/domain/1",
	"/local/domain/1/data", "/local/domain/1/data/vchan/0",
	"/local/domain/2/data/x", "data", "data/a", "data/a/b", "domid",
	"@introduceDomain", "@releaseDomain", "@other", "tok", "tok2",
	"r0", "n0", "b1", "w2", "r2", "n1", "1", "2", "5", "0", "T", "F",
	"CREATE", "NONE", "hello", "/tool/xenstored", "a//b", "/a/", "..",
	"/local/domain/1/data/vchan/0/ring-ref", "event-channel",
	"/local/domain/32767/x", "4294967295", "-1", "",
};
#define NDICT (sizeof(dict) / sizeof(dict[0]))

static bool
known_error(const uint8_t *p, uint32_t len)
{
	size_t i;

	if (len == 0 || p[len - 1] != '\0')
		return false;
	for (i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++)
		if (strcmp((const char *)p, xsd_errors[i].errstring) == 0)
			return strlen((const char *)p) + 1 == len;
	return false;
}

static void
on_send(void *opaque, const void *buf, size_t len)
{
	struct fconn *fc = opaque;
	struct xsd_sockmsg h;
	const uint8_t *p = (const uint8_t *)buf + sizeof(h);

	FZ_CHECK(len >= sizeof(h), "short message of %zu bytes", len);
	memcpy(&h, buf, sizeof(h));
	FZ_CHECK(h.len == len - sizeof(h), "header says %u, message has %zu",
		 h.len, len - sizeof(h));
	FZ_CHECK(h.len <= XENSTORE_PAYLOAD_MAX, "payload of %u bytes", h.len);
	FZ_CHECK(!fc->gone, "%s", "reply on a dead connection");
	if (h.type == XS_WATCH_EVENT) {
		const uint8_t *z = memchr(p, '\0', h.len);

		FZ_CHECK(z != NULL && memchr(z + 1, '\0',
			 h.len - (size_t)(z + 1 - p)) != NULL &&
			 p[h.len - 1] == '\0', "%s", "watch event not path\\0token\\0");
		return;
	}
	FZ_CHECK(fc->q_len > 0, "reply (type %u, req %u) to no request",
		 h.type, h.req_id);
	FZ_CHECK(h.req_id == fc->q_req[fc->q_head], "reply req_id %u, want %u",
		 h.req_id, fc->q_req[fc->q_head]);
	FZ_CHECK(h.type == XS_ERROR || h.type == fc->q_type[fc->q_head],
		 "reply type %u to request type %u", h.type,
		 fc->q_type[fc->q_head]);
	if (h.type == XS_ERROR)
		FZ_CHECK(known_error(p, h.len), "%s", "bad error payload");
	fc->q_head = (fc->q_head + 1) % QDEPTH;
	fc->q_len--;
	fc->replies++;
}

/* Frame what we send, as the store must, to know what it owes us. */
static void
shadow(struct fconn *fc, const uint8_t *b, size_t n)
{
	while (n > 0) {
		if (!fc->in_body) {
			size_t take = sizeof(fc->hdr) - fc->hdr_have;

			if (take > n)
				take = n;
			memcpy(fc->hdr + fc->hdr_have, b, take);
			fc->hdr_have += take;
			b += take;
			n -= take;
			if (fc->hdr_have == sizeof(fc->hdr)) {
				struct xsd_sockmsg h;

				memcpy(&h, fc->hdr, sizeof(h));
				if (h.len > XENSTORE_PAYLOAD_MAX) {
					fc->dead = true;
					return;
				}
				fc->body_left = h.len;
				fc->in_body = true;
			}
		}
		if (fc->in_body) {
			size_t take = fc->body_left < n ? fc->body_left : n;
			struct xsd_sockmsg h;

			fc->body_left -= (uint32_t)take;
			b += take;
			n -= take;
			if (fc->body_left > 0)
				return;
			memcpy(&h, fc->hdr, sizeof(h));
			FZ_CHECK(fc->q_len < QDEPTH, "%s", "queue");
			fc->q_req[(fc->q_head + fc->q_len) % QDEPTH] = h.req_id;
			fc->q_type[(fc->q_head + fc->q_len) % QDEPTH] = h.type;
			fc->q_len++;
			fc->in_body = false;
			fc->hdr_have = 0;
		}
	}
}

/* Feed bytes in chunks; each complete request must be answered at once. */
static void
feed(struct fz *f, struct fconn *fc, const uint8_t *b, size_t n)
{
	while (n > 0) {
		size_t chunk = 1 + fz_u8(f) % 64;
		bool was_dead = fc->dead;
		int rc;

		if (chunk > n || fz_u8(f) & 1)
			chunk = n;
		if (!was_dead)
			shadow(fc, b, chunk);
		rc = xs_conn_input(fc->c, b, chunk);
		if (was_dead)
			FZ_CHECK(rc == -1 || rc == 0, "input when dead: %d", rc);
		else if (fc->dead)
			FZ_CHECK(rc == -1, "oversized header: %d", rc);
		else
			FZ_CHECK(rc == 0, "input: %d", rc);
		FZ_CHECK(fc->dead || fc->q_len == 0, "%u requests unanswered",
			 fc->q_len);
		fc->gone = fc->dead;
		b += chunk;
		n -= chunk;
	}
}

static void
op_request(struct fz *f, struct fconn *fc)
{
	uint8_t msg[sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX + 64];
	struct xsd_sockmsg h;
	size_t len = 0;
	uint8_t nseg = fz_u8(f), i;

	h.type = fz_u8(f) % (XS_TYPE_COUNT + 2);
	h.req_id = fz_u8(f);
	h.tx_id = fz_u8(f) & 0x80 ? fz_u32(f) : fz_u8(f) % 4;
	for (i = 0; i < nseg % 6; i++) {
		uint8_t how = fz_u8(f);
		const uint8_t *s;
		size_t sl;
		uint8_t raw[256];

		if (how & 0x80) {
			sl = fz_u8(f);
			fz_bytes(f, raw, sl);
			s = raw;
		} else if ((how & 0x60) == 0x60) {
			/* Long strings reach the size limits. */
			sl = 1 + fz_u16(f) % (XENSTORE_PAYLOAD_MAX + 8);
			memset(raw, 'a' + (how & 7), sizeof(raw));
			s = NULL;
		} else {
			s = (const uint8_t *)dict[how % NDICT];
			sl = strlen((const char *)s);
		}
		if (len + sl + 1 > XENSTORE_PAYLOAD_MAX + 32)
			break;
		if (s != NULL)
			memcpy(msg + sizeof(h) + len, s, sl);
		else
			memset(msg + sizeof(h) + len, 'a' + (how & 7), sl);
		len += sl;
		if (!(how & 0x10))
			msg[sizeof(h) + len++] = '\0';
	}
	h.len = (uint32_t)len;
	if (fz_u8(f) == 0xff)
		h.len = fz_u32(f);	/* lie about the length */
	memcpy(msg, &h, sizeof(h));
	feed(f, fc, msg, sizeof(h) + len);
}

static void
open_conn(struct fconn *fc, unsigned domid)
{
	memset(fc, 0, sizeof(*fc));
	fc->domid = domid;
	fc->c = xs_conn_create(st, domid, on_send, fc);
	FZ_CHECK(fc->c != NULL, "%s", "xs_conn_create");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned domids[] = { 0, 1, 2, 5, 32752, 7 };
	struct fz f = { data, size };
	int i, steps;

	st = xs_store_create();
	FZ_CHECK(st != NULL, "%s", "xs_store_create");
	for (i = 0; i < NCONN; i++)
		open_conn(&conns[i], domids[i]);
	for (steps = 0; steps < MAXSTEPS && fz_left(&f); steps++) {
		uint8_t op = fz_u8(&f);
		struct fconn *fc = &conns[(op >> 4) % NCONN];
		unsigned domid = domids[fz_u8(&f) % 6];

		switch (op & 7) {
		case 0:
		case 1:
		case 2:
			op_request(&f, fc);
			break;
		case 3: {
			uint8_t raw[128];
			size_t n = fz_u8(&f) % sizeof(raw);

			fz_bytes(&f, raw, n);
			feed(&f, fc, raw, n);
			break;
		}
		case 4: {
			int rc = xs_store_introduce_domain(st, domid);

			FZ_CHECK(rc == 0 || (rc == -EINVAL && domid >= 32752),
				 "introduce %u: %d", domid, rc);
			break;
		}
		case 5: {
			int rc = xs_store_release_domain(st, domid);

			FZ_CHECK(rc == 0 || rc == -ENOENT, "release %u: %d",
				 domid, rc);
			break;
		}
		case 6:
			xs_conn_destroy(fc->c);
			open_conn(fc, domid);
			break;
		default: {
			struct xs_stats s;

			xs_store_domain_stats(st, domid, &s);
			FZ_CHECK(domid == 0 || s.nodes <= XS_QUOTA_NODES + 2,
				 "domain %u owns %u nodes", domid, s.nodes);
			FZ_CHECK(s.transactions <= NCONN * XS_QUOTA_TRANSACTIONS,
				 "%u transactions", s.transactions);
			FZ_CHECK(s.watches <= NCONN * XS_QUOTA_WATCHES,
				 "%u watches", s.watches);
			break;
		}
		}
	}
	/* Half the time close connections first; else the store frees them. */
	if (size & 1)
		for (i = 0; i < NCONN; i++)
			xs_conn_destroy(conns[i].c);
	xs_store_destroy(st);
	st = NULL;
	return 0;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit test of the simulator's fault injection (sim/xensim_fault.h): the
 * XENSIM_FAULTS grammar, every/nth/p/after decisions, replay by seed,
 * counters, and xenstore requests failed with an error reply while the
 * others reach the store.  Exit 0 on success, 1 on failure.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xen/io/xs_wire.h>

#include "xensim_fault.h"

static int failures;

#define CHECK(c)							\
	do {								\
		if (!(c)) {						\
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #c); \
			failures++;					\
		}							\
	} while (0)

static void
test_grammar(void)
{
	static const char *const bad[] = {
		"grant_access", "grant_access:", "nosuch:every=2",
		"grant_access:every=0", "grant_access:every=x",
		"map_grants:p=1.5", "map_grants:p=-0.1", "map_grants:after=3",
		"xs_write:p=0.1:err=ENOPE", "xs_write:p=0.1;seed=",
		"xs_write:p=0.1;rate=3", "grant_access:every=2:bogus=1",
	};
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CHECK(xensim_fault_configure(bad[i], err, sizeof(err)) == -EINVAL);
		CHECK(err[0] != '\0');
	}
	CHECK(xensim_fault_configure(NULL, err, sizeof(err)) == 0);
	CHECK(!xensim_fault_enabled());
	CHECK(xensim_fault_configure("", err, sizeof(err)) == 0);
	CHECK(!xensim_fault_should_fail(XENSIM_FAULT_GRANT_ACCESS));
	CHECK(xensim_fault_configure("grant_access:every=7,map_grants:p=0.05,"
	    "evtchn_bind:every=3,xs_write:p=0.1;seed=42", err,
	    sizeof(err)) == 0);
	CHECK(xensim_fault_enabled());
	CHECK(xensim_fault_site_armed(XENSIM_FAULT_EVTCHN_BIND));
	CHECK(!xensim_fault_site_armed(XENSIM_FAULT_EVTCHN_NOTIFY));
	CHECK(!xensim_fault_site_armed(XENSIM_FAULT_NSITES));
	CHECK(strcmp(xensim_fault_site_name(XENSIM_FAULT_XS_TRANSACTION),
		     "xs_transaction") == 0);
	CHECK(xensim_fault_site_name(XENSIM_FAULT_NSITES) == NULL);
}

static void
test_every_nth_after(void)
{
	uint64_t calls, inj;
	int i, n = 0;

	CHECK(xensim_fault_configure("evtchn_bind:every=3,"
	    "evtchn_alloc:nth=2,end_access:every=2:after=5", NULL, 0) == 0);
	for (i = 1; i <= 12; i++)
		CHECK(xensim_fault_should_fail(XENSIM_FAULT_EVTCHN_BIND) ==
		      (i % 3 == 0));
	for (i = 1; i <= 5; i++)
		CHECK(xensim_fault_should_fail(XENSIM_FAULT_EVTCHN_ALLOC) ==
		      (i == 2));
	for (i = 1; i <= 11; i++)
		CHECK(xensim_fault_should_fail(XENSIM_FAULT_END_ACCESS) ==
		      (i > 5 && (i - 5) % 2 == 0));
	for (i = 0; i < 100; i++)
		n += xensim_fault_should_fail(XENSIM_FAULT_GRANT_ACCESS);
	CHECK(n == 0);
	xensim_fault_counts(XENSIM_FAULT_EVTCHN_BIND, &calls, &inj);
	CHECK(calls == 12 && inj == 4);
	xensim_fault_counts(XENSIM_FAULT_GRANT_ACCESS, &calls, &inj);
	CHECK(calls == 0 && inj == 0);	/* unarmed sites do not count */
}

static void
test_probability(void)
{
	bool first[1000];
	int i, n = 0, same = 0;

	CHECK(xensim_fault_configure("all:p=0.25;seed=42", NULL, 0) == 0);
	for (i = 0; i < 1000; i++) {
		first[i] = xensim_fault_should_fail(XENSIM_FAULT_MAP_GRANTS);
		n += first[i];
		/* Another site's calls do not shift map_grants' decisions. */
		(void)xensim_fault_should_fail(XENSIM_FAULT_XS_READ);
	}
	CHECK(n > 180 && n < 320);
	CHECK(xensim_fault_configure("map_grants:p=0.25;seed=42", NULL, 0) == 0);
	for (i = 0; i < 1000; i++)
		same += xensim_fault_should_fail(XENSIM_FAULT_MAP_GRANTS) ==
		    first[i];
	CHECK(same == 1000);
	CHECK(xensim_fault_configure("map_grants:p=0.25;seed=43", NULL, 0) == 0);
	same = 0;
	for (i = 0; i < 1000; i++)
		same += xensim_fault_should_fail(XENSIM_FAULT_MAP_GRANTS) ==
		    first[i];
	CHECK(same < 1000);
	CHECK(xensim_fault_configure("map_grants:p=0", NULL, 0) == 0);
	for (i = 0; i < 100; i++)
		CHECK(!xensim_fault_should_fail(XENSIM_FAULT_MAP_GRANTS));
	CHECK(xensim_fault_configure("map_grants:p=1", NULL, 0) == 0);
	for (i = 0; i < 100; i++)
		CHECK(xensim_fault_should_fail(XENSIM_FAULT_MAP_GRANTS));
}

/* Replies from the store or the injector, split into messages. */
struct sink {
	uint32_t types[64], reqs[64];
	char errs[64][16];
	int n;
};

static void
sink_send(void *opaque, const void *buf, size_t len)
{
	struct sink *s = opaque;
	struct xsd_sockmsg h;

	if (len < sizeof(h) || s->n == 64) {
		failures++;
		return;
	}
	memcpy(&h, buf, sizeof(h));
	CHECK((size_t)h.len == len - sizeof(h));
	s->types[s->n] = h.type;
	s->reqs[s->n] = h.req_id;
	s->errs[s->n][0] = '\0';
	if (h.type == XS_ERROR && h.len < 16)
		memcpy(s->errs[s->n], (const char *)buf + sizeof(h), h.len);
	s->n++;
}

static size_t
msg(uint8_t *out, uint32_t type, uint32_t req, const char *a, const char *b)
{
	struct xsd_sockmsg h = { type, req, 0, 0 };
	size_t off = sizeof(h);

	memcpy(out + off, a, strlen(a) + 1);
	off += strlen(a) + 1;
	if (b != NULL) {
		memcpy(out + off, b, strlen(b));
		off += strlen(b);
	}
	h.len = (uint32_t)(off - sizeof(h));
	memcpy(out, &h, sizeof(h));
	return off;
}

static void
test_xenstore(void)
{
	struct xs_store *st = xs_store_create();
	struct sink s;
	struct xs_conn *c;
	uint8_t buf[8192];
	size_t len = 0, i;
	int k;

	memset(&s, 0, sizeof(s));
	CHECK(st != NULL);
	c = xs_conn_create(st, 0, sink_send, &s);
	CHECK(c != NULL);
	/* Writes 2 and 4 fail with ENOSPC; reads pass. */
	CHECK(xensim_fault_configure("xs_write:every=2:err=ENOSPC", NULL, 0) == 0);
	for (k = 1; k <= 4; k++)
		len += msg(buf + len, XS_WRITE, (uint32_t)k, "/t", "v");
	len += msg(buf + len, XS_READ, 5, "/t", NULL);
	/* Fed one byte at a time: framing must not care. */
	for (i = 0; i < len; i++)
		CHECK(xensim_fault_xs_input(c, buf + i, 1, sink_send, &s) == 0);
	CHECK(s.n == 5);
	for (k = 0; k < s.n && k < 5; k++)
		CHECK(s.reqs[k] == (uint32_t)k + 1);
	CHECK(s.types[0] == XS_WRITE && s.types[2] == XS_WRITE);
	CHECK(s.types[1] == XS_ERROR && strcmp(s.errs[1], "ENOSPC") == 0);
	CHECK(s.types[3] == XS_ERROR && s.types[4] == XS_READ);
	/* Transaction starts fail (EIO by default); ends always reach the store. */
	CHECK(xensim_fault_configure("xs_transaction:every=1", NULL, 0) == 0);
	s.n = 0;
	len = msg(buf, XS_TRANSACTION_START, 9, "", NULL);
	CHECK(xensim_fault_xs_input(c, buf, len, sink_send, &s) == 0);
	CHECK(s.n == 1 && s.types[0] == XS_ERROR &&
	      strcmp(s.errs[0], "EIO") == 0);
	len = msg(buf, XS_TRANSACTION_END, 10, "T", NULL);
	CHECK(xensim_fault_xs_input(c, buf, len, sink_send, &s) == 0);
	CHECK(s.n == 2 && s.types[1] == XS_ERROR &&
	      strcmp(s.errs[1], "ENOENT") == 0);	/* no such transaction */
	/* An oversized header still closes the connection. */
	{
		struct xsd_sockmsg h = { XS_READ, 1, 0, XENSTORE_PAYLOAD_MAX + 1 };

		CHECK(xensim_fault_xs_input(c, &h, sizeof(h), sink_send, &s) == -1);
	}
	xensim_fault_xs_forget(c);
	xs_conn_destroy(c);
	xs_store_destroy(st);
	CHECK(xensim_fault_configure(NULL, NULL, 0) == 0);
}

int
main(void)
{
	char line[512];

	test_grammar();
	test_every_nth_after();
	test_probability();
	test_xenstore();
	CHECK(xensim_fault_configure("grant_access:every=2", NULL, 0) == 0);
	(void)xensim_fault_should_fail(XENSIM_FAULT_GRANT_ACCESS);
	(void)xensim_fault_should_fail(XENSIM_FAULT_GRANT_ACCESS);
	xensim_fault_summary(line, sizeof(line));
	CHECK(strcmp(line, "faults: grant_access 1/2") == 0);
	printf("test_fault: %s (%d failures)\n", failures ? "FAIL" : "ok",
	       failures);
	return failures != 0;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests of the simulator's xenstore: real wire messages in through
 * xs_conn_input(), exact reply bytes out through the send callback.
 *
 * Fixture: a store with domains 5 and 7 introduced, and one connection each
 * for dom0, dom5 and dom7.  Each connection's output is captured; tests pop
 * messages off it in order and compare header fields and payload bytes.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include <xen/io/xs_wire.h>

#include "xenstore.h"

#define HDR sizeof(struct xsd_sockmsg)
/* A string literal as (pointer, length), embedded NULs included. */
#define LIT(s) (s), (sizeof(s) - 1)

struct capture {
	unsigned char *buf;
	size_t len, cap;
};

struct client {
	struct xs_conn *conn;
	struct capture out;
	unsigned domid;
	uint32_t last_req;
	uint32_t last_tx;
	int bytewise;          /* feed requests one byte at a time */
};

struct fixture {
	struct xs_store *st;
	struct client d0, d5, d7;
};

static uint32_t next_req_id = 100;

static void capture_send(void *opaque, const void *buf, size_t len)
{
	struct capture *c = opaque;

	if (c->len + len > c->cap) {
		size_t ncap = (c->len + len) * 2;

		c->buf = realloc(c->buf, ncap);
		assert_non_null(c->buf);
		c->cap = ncap;
	}
	memcpy(c->buf + c->len, buf, len);
	c->len += len;
}

static void client_open(struct fixture *f, struct client *cl, unsigned domid)
{
	memset(cl, 0, sizeof(*cl));
	cl->domid = domid;
	cl->conn = xs_conn_create(f->st, domid, capture_send, &cl->out);
	assert_non_null(cl->conn);
}

static void client_close(struct client *cl)
{
	if (cl->conn != NULL)
		xs_conn_destroy(cl->conn);
	cl->conn = NULL;
	free(cl->out.buf);
	memset(&cl->out, 0, sizeof(cl->out));
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->st = xs_store_create();
	assert_non_null(f->st);
	assert_int_equal(xs_store_introduce_domain(f->st, 5), 0);
	assert_int_equal(xs_store_introduce_domain(f->st, 7), 0);
	client_open(f, &f->d0, 0);
	client_open(f, &f->d5, 5);
	client_open(f, &f->d7, 7);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	client_close(&f->d0);
	client_close(&f->d5);
	client_close(&f->d7);
	xs_store_destroy(f->st);
	free(f);
	return 0;
}

/* Sends one raw message; returns what xs_conn_input returned. */
static int send_raw(struct client *cl, uint32_t type, uint32_t req_id,
                    uint32_t tx, uint32_t len_field, const void *p, size_t len)
{
	unsigned char *buf = malloc(HDR + len + 1);
	struct xsd_sockmsg h = { type, req_id, tx, len_field };
	size_t i;
	int rc = 0;

	assert_non_null(buf);
	memcpy(buf, &h, HDR);
	if (len > 0)
		memcpy(buf + HDR, p, len);
	if (cl->bytewise) {
		for (i = 0; i < HDR + len && rc == 0; i++)
			rc = xs_conn_input(cl->conn, buf + i, 1);
	} else {
		rc = xs_conn_input(cl->conn, buf, HDR + len);
	}
	free(buf);
	return rc;
}

static void req_tx(struct client *cl, uint32_t type, uint32_t tx,
                   const char *p, size_t len)
{
	cl->last_req = next_req_id++;
	cl->last_tx = tx;
	assert_int_equal(send_raw(cl, type, cl->last_req, tx, (uint32_t)len,
	                          p, len), 0);
}

static void req(struct client *cl, uint32_t type, const char *p, size_t len)
{
	req_tx(cl, type, 0, p, len);
}

/* Pops the first captured message. */
static void pop(struct client *cl, struct xsd_sockmsg *h, char *payload)
{
	assert_true(cl->out.len >= HDR);
	memcpy(h, cl->out.buf, HDR);
	assert_true(h->len <= XENSTORE_PAYLOAD_MAX);
	assert_true(cl->out.len >= HDR + h->len);
	memcpy(payload, cl->out.buf + HDR, h->len);
	payload[h->len] = '\0';
	memmove(cl->out.buf, cl->out.buf + HDR + h->len,
	        cl->out.len - HDR - h->len);
	cl->out.len -= HDR + h->len;
}

static void expect_msg(struct client *cl, uint32_t type, uint32_t req_id,
                       uint32_t tx, const char *p, size_t len)
{
	struct xsd_sockmsg h;
	char got[XENSTORE_PAYLOAD_MAX + 1];

	pop(cl, &h, got);
	if (h.type == XS_ERROR && type != XS_ERROR)
		fail_msg("expected type %u, got error %s", (unsigned)type, got);
	assert_int_equal(h.type, type);
	assert_int_equal(h.req_id, req_id);
	assert_int_equal(h.tx_id, tx);
	assert_int_equal(h.len, len);
	assert_memory_equal(got, p, len);
}

/* The reply to the last request. */
static void expect_reply(struct client *cl, uint32_t type, const char *p,
                         size_t len)
{
	expect_msg(cl, type, cl->last_req, cl->last_tx, p, len);
}

static void expect_ok(struct client *cl, uint32_t type)
{
	expect_reply(cl, type, LIT("OK\0"));
}

static void expect_err(struct client *cl, const char *err)
{
	struct xsd_sockmsg h;
	char got[XENSTORE_PAYLOAD_MAX + 1];

	pop(cl, &h, got);
	assert_int_equal(h.type, XS_ERROR);
	assert_int_equal(h.req_id, cl->last_req);
	assert_int_equal(h.tx_id, cl->last_tx);
	assert_int_equal(h.len, strlen(err) + 1);
	assert_string_equal(got, err);
}

static void expect_event(struct client *cl, const char *path, const char *token)
{
	char p[XENSTORE_PAYLOAD_MAX];
	size_t pl = strlen(path), tl = strlen(token);

	memcpy(p, path, pl + 1);
	memcpy(p + pl + 1, token, tl + 1);
	expect_msg(cl, XS_WATCH_EVENT, 0, 0, p, pl + tl + 2);
}

static void expect_nothing(struct client *cl)
{
	if (cl->out.len != 0) {
		struct xsd_sockmsg h;
		char got[XENSTORE_PAYLOAD_MAX + 1];

		pop(cl, &h, got);
		fail_msg("unexpected message type %u payload '%s'",
		         (unsigned)h.type, got);
	}
}

/* Builds "a\0b\0..." from NULL-terminated string args; returns length. */
static size_t strings(char *buf, ...)
{
	va_list ap;
	const char *s;
	size_t len = 0;

	va_start(ap, buf);
	while ((s = va_arg(ap, const char *)) != NULL) {
		memcpy(buf + len, s, strlen(s) + 1);
		len += strlen(s) + 1;
	}
	va_end(ap);
	return len;
}

static void do_write(struct client *cl, uint32_t tx, const char *path,
                     const char *value)
{
	char buf[XENSTORE_PAYLOAD_MAX];
	size_t pl = strlen(path), vl = strlen(value);

	memcpy(buf, path, pl + 1);
	memcpy(buf + pl + 1, value, vl);
	req_tx(cl, XS_WRITE, tx, buf, pl + 1 + vl);
}

static void write_ok(struct client *cl, uint32_t tx, const char *path,
                     const char *value)
{
	do_write(cl, tx, path, value);
	expect_ok(cl, XS_WRITE);
}

static void read_tx(struct client *cl, uint32_t tx, const char *path)
{
	req_tx(cl, XS_READ, tx, path, strlen(path) + 1);
}

static void read_expect(struct client *cl, uint32_t tx, const char *path,
                        const char *value)
{
	read_tx(cl, tx, path);
	expect_reply(cl, XS_READ, value, strlen(value));
}

static void read_expect_err(struct client *cl, uint32_t tx, const char *path,
                            const char *err)
{
	read_tx(cl, tx, path);
	expect_err(cl, err);
}

static void simple(struct client *cl, uint32_t type, uint32_t tx,
                   const char *arg)
{
	req_tx(cl, type, tx, arg, strlen(arg) + 1);
}

static void set_perms(struct client *cl, uint32_t tx, const char *path, ...)
{
	char buf[XENSTORE_PAYLOAD_MAX];
	size_t len = strlen(path) + 1;
	const char *s;
	va_list ap;

	memcpy(buf, path, len);
	va_start(ap, path);
	while ((s = va_arg(ap, const char *)) != NULL) {
		memcpy(buf + len, s, strlen(s) + 1);
		len += strlen(s) + 1;
	}
	va_end(ap);
	req_tx(cl, XS_SET_PERMS, tx, buf, len);
}

static void watch(struct client *cl, const char *path, const char *token)
{
	char buf[XENSTORE_PAYLOAD_MAX];

	req(cl, XS_WATCH, buf, strings(buf, path, token, NULL));
	expect_ok(cl, XS_WATCH);
	expect_event(cl, path, token);
}

static uint32_t tx_start(struct client *cl)
{
	struct xsd_sockmsg h;
	char got[XENSTORE_PAYLOAD_MAX + 1];
	unsigned long id;

	req(cl, XS_TRANSACTION_START, LIT("\0"));
	pop(cl, &h, got);
	assert_int_equal(h.type, XS_TRANSACTION_START);
	assert_int_equal(h.req_id, cl->last_req);
	assert_true(h.len >= 2);
	assert_int_equal(got[h.len - 1], '\0');
	assert_int_equal(strlen(got), h.len - 1);
	id = strtoul(got, NULL, 10);
	assert_true(id != 0);
	return (uint32_t)id;
}

static void tx_end(struct client *cl, uint32_t tx, int commit)
{
	req_tx(cl, XS_TRANSACTION_END, tx, commit ? "T" : "F", 2);
}

/* ------------------------------------------------------------------------ */
/* Basic requests                                                           */

static void test_initial_tree(void **state)
{
	struct fixture *f = *state;

	simple(&f->d0, XS_DIRECTORY, 0, "/");
	expect_reply(&f->d0, XS_DIRECTORY, LIT("local\0"));
	simple(&f->d0, XS_DIRECTORY, 0, "/local/domain");
	expect_reply(&f->d0, XS_DIRECTORY, LIT("5\0" "7\0"));
	simple(&f->d0, XS_GET_PERMS, 0, "/");
	expect_reply(&f->d0, XS_GET_PERMS, LIT("n0\0"));
	simple(&f->d0, XS_GET_PERMS, 0, "/local/domain");
	expect_reply(&f->d0, XS_GET_PERMS, LIT("n0\0"));
	read_expect(&f->d0, 0, "/", "");
	/* A domU cannot list the root. */
	simple(&f->d5, XS_DIRECTORY, 0, "/");
	expect_err(&f->d5, "EACCES");
}

static void test_write_read(void **state)
{
	struct fixture *f = *state;

	req(&f->d0, XS_WRITE, LIT("/a/b\0hello"));
	expect_ok(&f->d0, XS_WRITE);
	/* READ replies with the value only, no NUL. */
	read_expect(&f->d0, 0, "/a/b", "hello");
	/* WRITE made the parent, empty. */
	read_expect(&f->d0, 0, "/a", "");
	simple(&f->d0, XS_DIRECTORY, 0, "/a");
	expect_reply(&f->d0, XS_DIRECTORY, LIT("b\0"));
	/* Overwrite, empty value, binary value with a NUL in it. */
	write_ok(&f->d0, 0, "/a/b", "");
	read_expect(&f->d0, 0, "/a/b", "");
	req(&f->d0, XS_WRITE, LIT("/a/b\0x\0y"));
	expect_ok(&f->d0, XS_WRITE);
	simple(&f->d0, XS_READ, 0, "/a/b");
	expect_reply(&f->d0, XS_READ, LIT("x\0y"));
	read_expect_err(&f->d0, 0, "/a/nope", "ENOENT");
	/* Directory of a leaf is empty. */
	simple(&f->d0, XS_DIRECTORY, 0, "/a/b");
	expect_reply(&f->d0, XS_DIRECTORY, "", 0);
	/* Children listed in creation order. */
	write_ok(&f->d0, 0, "/a/z", "1");
	write_ok(&f->d0, 0, "/a/c", "2");
	simple(&f->d0, XS_DIRECTORY, 0, "/a");
	expect_reply(&f->d0, XS_DIRECTORY, LIT("b\0z\0c\0"));
	expect_nothing(&f->d0);
}

static void test_max_value(void **state)
{
	struct fixture *f = *state;
	char *buf = malloc(XENSTORE_PAYLOAD_MAX);
	size_t vlen = XENSTORE_PAYLOAD_MAX - 3;

	assert_non_null(buf);
	memcpy(buf, "/v", 3);
	memset(buf + 3, 'x', vlen);
	req(&f->d0, XS_WRITE, buf, XENSTORE_PAYLOAD_MAX);
	expect_ok(&f->d0, XS_WRITE);
	simple(&f->d0, XS_READ, 0, "/v");
	expect_reply(&f->d0, XS_READ, buf + 3, vlen);
	free(buf);
}

static void test_mkdir(void **state)
{
	struct fixture *f = *state;

	simple(&f->d0, XS_MKDIR, 0, "/m/n/o");
	expect_ok(&f->d0, XS_MKDIR);
	read_expect(&f->d0, 0, "/m/n/o", "");
	write_ok(&f->d0, 0, "/m/n", "keep");
	/* Existing: fine, value untouched. */
	simple(&f->d0, XS_MKDIR, 0, "/m/n");
	expect_ok(&f->d0, XS_MKDIR);
	read_expect(&f->d0, 0, "/m/n", "keep");
}

static void test_rm(void **state)
{
	struct fixture *f = *state;

	write_ok(&f->d0, 0, "/r/a/b/c", "1");
	write_ok(&f->d0, 0, "/r/x", "2");
	simple(&f->d0, XS_RM, 0, "/r/a");
	expect_ok(&f->d0, XS_RM);
	read_expect_err(&f->d0, 0, "/r/a/b/c", "ENOENT");
	read_expect_err(&f->d0, 0, "/r/a", "ENOENT");
	simple(&f->d0, XS_DIRECTORY, 0, "/r");
	expect_reply(&f->d0, XS_DIRECTORY, LIT("x\0"));
	/* Missing node, existing parent: fine.  Missing parent: ENOENT. */
	simple(&f->d0, XS_RM, 0, "/r/a");
	expect_ok(&f->d0, XS_RM);
	simple(&f->d0, XS_RM, 0, "/r/a/b");
	expect_err(&f->d0, "ENOENT");
	simple(&f->d0, XS_RM, 0, "/");
	expect_err(&f->d0, "EINVAL");
}

static void test_directory_part(void **state)
{
	struct fixture *f = *state;
	char path[64], name[40], all[8192], acc[8192], *got, gen[32], arg[64];
	size_t all_len = 0, acc_len = 0, glen, n;
	struct xsd_sockmsg h;
	unsigned i, rounds = 0;

	got = malloc(XENSTORE_PAYLOAD_MAX + 1);
	assert_non_null(got);
	/* 200 children of 31-byte names: 6400 bytes of list, over one payload. */
	for (i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "child-%025u", i);
		snprintf(path, sizeof(path), "/big/%s", name);
		simple(&f->d0, XS_MKDIR, 0, path);
		expect_ok(&f->d0, XS_MKDIR);
		memcpy(all + all_len, name, strlen(name) + 1);
		all_len += strlen(name) + 1;
	}
	simple(&f->d0, XS_DIRECTORY, 0, "/big");
	expect_err(&f->d0, "E2BIG");

	/* Reassemble the list the way libxenstore 4.17 does. */
	for (;;) {
		n = (size_t)snprintf(arg, sizeof(arg), "/big%c%zu", 0, acc_len);
		req(&f->d0, XS_DIRECTORY_PART, arg, n + 1);
		pop(&f->d0, &h, got);
		assert_int_equal(h.type, XS_DIRECTORY_PART);
		assert_int_equal(h.req_id, f->d0.last_req);
		glen = strlen(got) + 1;
		assert_true(h.len > glen);
		if (acc_len == 0)
			memcpy(gen, got, glen);
		else
			assert_string_equal(gen, got);
		assert_true(acc_len + h.len - glen <= sizeof(acc));
		memcpy(acc + acc_len, got + glen, h.len - glen);
		acc_len += h.len - glen;
		if (acc_len <= 1 || acc[acc_len - 2] == '\0')
			break;
		assert_true(++rounds < 10);
	}
	assert_true(rounds >= 1);  /* it really took more than one chunk */
	assert_int_equal(acc_len, all_len + 1);
	assert_memory_equal(acc, all, all_len);
	assert_int_equal(acc[all_len], '\0');

	/* Offset past the end: the empty list. */
	n = (size_t)snprintf(arg, sizeof(arg), "/big%c99999", 0);
	req(&f->d0, XS_DIRECTORY_PART, arg, n + 1);
	memcpy(path, gen, strlen(gen) + 1);
	path[strlen(gen) + 1] = '\0';
	expect_reply(&f->d0, XS_DIRECTORY_PART, path, strlen(gen) + 2);
	/* A leaf: also the empty list. */
	n = (size_t)snprintf(arg, sizeof(arg), "/big/child-%025u%c0", 0, 0);
	req(&f->d0, XS_DIRECTORY_PART, arg, n + 1);
	pop(&f->d0, &h, got);
	assert_int_equal(h.type, XS_DIRECTORY_PART);
	assert_int_equal(h.len, strlen(got) + 2);
	req(&f->d0, XS_DIRECTORY_PART, LIT("/big\0"));
	expect_err(&f->d0, "EINVAL");
	req(&f->d0, XS_DIRECTORY_PART, LIT("/big\0x\0"));
	expect_err(&f->d0, "EINVAL");
	free(got);
}

static void test_get_domain_path(void **state)
{
	struct fixture *f = *state;

	simple(&f->d5, XS_GET_DOMAIN_PATH, 0, "5");
	expect_reply(&f->d5, XS_GET_DOMAIN_PATH, LIT("/local/domain/5\0"));
	simple(&f->d5, XS_GET_DOMAIN_PATH, 0, "123");
	expect_reply(&f->d5, XS_GET_DOMAIN_PATH, LIT("/local/domain/123\0"));
	simple(&f->d5, XS_GET_DOMAIN_PATH, 0, "x1");
	expect_err(&f->d5, "EINVAL");
}

static void test_relative_paths(void **state)
{
	struct fixture *f = *state;

	read_expect(&f->d5, 0, "domid", "5");
	write_ok(&f->d5, 0, "data/k", "v");
	read_expect(&f->d0, 0, "/local/domain/5/data/k", "v");
	read_expect(&f->d5, 0, "/local/domain/5/data/k", "v");
	/* dom0's relative paths are under /local/domain/0. */
	write_ok(&f->d0, 0, "rel", "0");
	read_expect(&f->d0, 0, "/local/domain/0/rel", "0");
	/* The empty path resolves to a trailing slash: invalid. */
	read_expect_err(&f->d5, 0, "", "EINVAL");
}

static void test_invalid_paths(void **state)
{
	struct fixture *f = *state;
	static const char *const bad[] = {
		"/a//b", "/a/", "/a b", "/a.b", "/a\tb", "@foo", "//",
		"/\xff", "a//b",
	};
	char *longp = malloc(XENSTORE_ABS_PATH_MAX + 2);
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		read_expect_err(&f->d0, 0, bad[i], "EINVAL");
		do_write(&f->d0, 0, bad[i], "x");
		expect_err(&f->d0, "EINVAL");
	}
	/* Exactly the limit is fine; one more is not. */
	assert_non_null(longp);
	longp[0] = '/';
	memset(longp + 1, 'a', XENSTORE_ABS_PATH_MAX - 1);
	longp[XENSTORE_ABS_PATH_MAX] = '\0';
	write_ok(&f->d0, 0, longp, "x");
	longp[XENSTORE_ABS_PATH_MAX] = 'a';
	longp[XENSTORE_ABS_PATH_MAX + 1] = '\0';
	do_write(&f->d0, 0, longp, "x");
	expect_err(&f->d0, "EINVAL");
	/* A relative path that would pass the absolute limit. */
	memset(longp, 'b', XENSTORE_ABS_PATH_MAX - 5);
	longp[XENSTORE_ABS_PATH_MAX - 5] = '\0';
	do_write(&f->d5, 0, longp, "x");
	expect_err(&f->d5, "EINVAL");
	free(longp);
}

static void test_deep_path(void **state)
{
	struct fixture *f = *state;
	char *p = malloc(XENSTORE_ABS_PATH_MAX + 1);
	unsigned i;
	uint32_t tx;

	/* 1536 levels: the deepest tree a valid path can make. */
	assert_non_null(p);
	for (i = 0; i < XENSTORE_ABS_PATH_MAX / 2; i++) {
		p[2 * i] = '/';
		p[2 * i + 1] = 'd';
	}
	p[XENSTORE_ABS_PATH_MAX] = '\0';
	watch(&f->d0, "/d/d/d", "deep");
	write_ok(&f->d0, 0, p, "bottom");
	expect_event(&f->d0, p, "deep");
	read_expect(&f->d0, 0, p, "bottom");
	/* A transaction copies the deep tree; commit replays it. */
	tx = tx_start(&f->d0);
	write_ok(&f->d0, tx, p, "again");
	tx_end(&f->d0, tx, 1);
	expect_ok(&f->d0, XS_TRANSACTION_END);
	expect_event(&f->d0, p, "deep");
	simple(&f->d0, XS_RM, 0, "/d");
	expect_ok(&f->d0, XS_RM);
	/* The watched node reports its own removal, once. */
	expect_event(&f->d0, "/d/d/d", "deep");
	expect_nothing(&f->d0);
	free(p);
}

/* ------------------------------------------------------------------------ */
/* Permissions                                                              */

static void test_home_perms(void **state)
{
	struct fixture *f = *state;

	simple(&f->d0, XS_GET_PERMS, 0, "/local/domain/5");
	expect_reply(&f->d0, XS_GET_PERMS, LIT("n5\0"));
	simple(&f->d5, XS_GET_PERMS, 0, "domid");
	expect_reply(&f->d5, XS_GET_PERMS, LIT("n5\0"));
	/* Others cannot see into a home. */
	read_expect_err(&f->d7, 0, "/local/domain/5/domid", "EACCES");
	simple(&f->d7, XS_DIRECTORY, 0, "/local/domain/5");
	expect_err(&f->d7, "EACCES");
	simple(&f->d7, XS_GET_PERMS, 0, "/local/domain/5");
	expect_err(&f->d7, "EACCES");
	/* Missing node: ENOENT only where the caller may read the parent. */
	read_expect_err(&f->d7, 0, "/local/domain/5/nope", "EACCES");
	read_expect_err(&f->d5, 0, "/local/domain/5/nope", "ENOENT");
	/* Writing outside one's home needs write access on the ancestor. */
	do_write(&f->d5, 0, "/local/domain/7/x", "1");
	expect_err(&f->d5, "EACCES");
	do_write(&f->d5, 0, "/outside", "1");
	expect_err(&f->d5, "EACCES");
	simple(&f->d5, XS_MKDIR, 0, "/local/domain/7/x");
	expect_err(&f->d5, "EACCES");
	simple(&f->d5, XS_RM, 0, "/local/domain/7/domid");
	expect_err(&f->d5, "EACCES");
	simple(&f->d5, XS_RM, 0, "/local/domain/7/nope");
	expect_err(&f->d5, "EACCES");
	/* A domain may remove its own home (it owns it). */
	simple(&f->d7, XS_RM, 0, "/local/domain/7/domid");
	expect_ok(&f->d7, XS_RM);
}

static void test_perm_entries(void **state)
{
	struct fixture *f = *state;

	write_ok(&f->d5, 0, "data/x", "secret");
	simple(&f->d5, XS_GET_PERMS, 0, "data/x");
	expect_reply(&f->d5, XS_GET_PERMS, LIT("n5\0"));
	read_expect_err(&f->d7, 0, "/local/domain/5/data/x", "EACCES");

	/* Per-domain read for 7. */
	set_perms(&f->d5, 0, "data/x", "n5", "r7", NULL);
	expect_ok(&f->d5, XS_SET_PERMS);
	read_expect(&f->d7, 0, "/local/domain/5/data/x", "secret");
	simple(&f->d7, XS_GET_PERMS, 0, "/local/domain/5/data/x");
	expect_reply(&f->d7, XS_GET_PERMS, LIT("n5\0r7\0"));
	do_write(&f->d7, 0, "/local/domain/5/data/x", "no");
	expect_err(&f->d7, "EACCES");

	/* Write only: 7 can write but not read. */
	set_perms(&f->d5, 0, "data/x", "n5", "w7", NULL);
	expect_ok(&f->d5, XS_SET_PERMS);
	write_ok(&f->d7, 0, "/local/domain/5/data/x", "by7");
	read_expect_err(&f->d7, 0, "/local/domain/5/data/x", "EACCES");
	read_expect(&f->d5, 0, "data/x", "by7");

	/* The owner's letter is everyone else's default. */
	set_perms(&f->d5, 0, "data/x", "r5", NULL);
	expect_ok(&f->d5, XS_SET_PERMS);
	read_expect(&f->d7, 0, "/local/domain/5/data/x", "by7");
	/* An explicit entry overrides the default. */
	set_perms(&f->d5, 0, "data/x", "b5", "n7", NULL);
	expect_ok(&f->d5, XS_SET_PERMS);
	read_expect_err(&f->d7, 0, "/local/domain/5/data/x", "EACCES");

	/* Owner always has full access, whatever its own letter says. */
	set_perms(&f->d5, 0, "data/x", "n5", NULL);
	expect_ok(&f->d5, XS_SET_PERMS);
	read_expect(&f->d5, 0, "data/x", "by7");
	/* dom0 bypasses everything. */
	read_expect(&f->d0, 0, "/local/domain/5/data/x", "by7");
	write_ok(&f->d0, 0, "/local/domain/5/data/x", "dom0");
}

static void test_set_perms_rules(void **state)
{
	struct fixture *f = *state;

	write_ok(&f->d5, 0, "data/y", "v");
	set_perms(&f->d5, 0, "data/y", "n5", "b7", NULL);
	expect_ok(&f->d5, XS_SET_PERMS);
	/* 7 may read and write, but is not the owner. */
	set_perms(&f->d7, 0, "/local/domain/5/data/y", "b7", NULL);
	expect_err(&f->d7, "EACCES");
	set_perms(&f->d7, 0, "/local/domain/5/data/y", "n5", "b7", NULL);
	expect_err(&f->d7, "EACCES");
	/* The owner may not give the node away. */
	set_perms(&f->d5, 0, "data/y", "n7", NULL);
	expect_err(&f->d5, "EPERM");
	/* dom0 may. */
	set_perms(&f->d0, 0, "/local/domain/5/data/y", "n7", "r5", NULL);
	expect_ok(&f->d0, XS_SET_PERMS);
	simple(&f->d7, XS_GET_PERMS, 0, "/local/domain/5/data/y");
	expect_reply(&f->d7, XS_GET_PERMS, LIT("n7\0r5\0"));
	/* Bad perm strings. */
	set_perms(&f->d0, 0, "/local/domain/5/data/y", "x7", NULL);
	expect_err(&f->d0, "EINVAL");
	set_perms(&f->d0, 0, "/local/domain/5/data/y", "r", NULL);
	expect_err(&f->d0, "EINVAL");
	set_perms(&f->d0, 0, "/local/domain/5/data/y", "r99999", NULL);
	expect_err(&f->d0, "EINVAL");
	set_perms(&f->d0, 0, "/local/domain/5/data/y", NULL);
	expect_err(&f->d0, "EINVAL");
	/* Missing node. */
	set_perms(&f->d5, 0, "data/none", "n5", NULL);
	expect_err(&f->d5, "ENOENT");
	/* Too many entries for an unprivileged domain. */
	set_perms(&f->d5, 0, "domid", "n5", "r1", "r2", "r3", "r4", "r6", NULL);
	expect_err(&f->d5, "ENOSPC");
	set_perms(&f->d5, 0, "domid", "n5", "r1", "r2", "r3", "r4", NULL);
	expect_ok(&f->d5, XS_SET_PERMS);
}

static void test_create_inherits(void **state)
{
	struct fixture *f = *state;

	/* 5 shares a directory with 7, writable. */
	simple(&f->d5, XS_MKDIR, 0, "share");
	expect_ok(&f->d5, XS_MKDIR);
	set_perms(&f->d5, 0, "share", "n5", "b7", NULL);
	expect_ok(&f->d5, XS_SET_PERMS);
	/* 7 creates below: it owns what it creates, the rest is inherited. */
	write_ok(&f->d7, 0, "/local/domain/5/share/a/b", "x");
	simple(&f->d0, XS_GET_PERMS, 0, "/local/domain/5/share/a");
	expect_reply(&f->d0, XS_GET_PERMS, LIT("n7\0b7\0"));
	simple(&f->d0, XS_GET_PERMS, 0, "/local/domain/5/share/a/b");
	expect_reply(&f->d0, XS_GET_PERMS, LIT("n7\0b7\0"));
	/* 5 can no longer read what 7 made (owner n, 5 unlisted). */
	read_expect_err(&f->d5, 0, "share/a/b", "EACCES");
	/* dom0 creating keeps the inherited owner. */
	write_ok(&f->d0, 0, "/local/domain/5/share/z", "0");
	simple(&f->d0, XS_GET_PERMS, 0, "/local/domain/5/share/z");
	expect_reply(&f->d0, XS_GET_PERMS, LIT("n5\0b7\0"));
}

static void test_node_quota(void **state)
{
	struct fixture *f = *state;
	struct xs_stats s;
	char path[32];
	unsigned i, base;

	xs_store_domain_stats(f->st, 5, &s);
	base = s.nodes;
	assert_int_equal(base, 2);  /* home and domid */
	simple(&f->d5, XS_MKDIR, 0, "q");
	expect_ok(&f->d5, XS_MKDIR);
	for (i = 0; i < XS_QUOTA_NODES - base - 1; i++) {
		snprintf(path, sizeof(path), "q/%u", i);
		simple(&f->d5, XS_MKDIR, 0, path);
		expect_ok(&f->d5, XS_MKDIR);
	}
	xs_store_domain_stats(f->st, 5, &s);
	assert_int_equal(s.nodes, XS_QUOTA_NODES);
	simple(&f->d5, XS_MKDIR, 0, "q/one-more");
	expect_err(&f->d5, "ENOSPC");
	do_write(&f->d5, 0, "q/one-more", "x");
	expect_err(&f->d5, "ENOSPC");
	/* Writing existing nodes is still fine; removing frees quota. */
	write_ok(&f->d5, 0, "q/0", "x");
	simple(&f->d5, XS_RM, 0, "q/0");
	expect_ok(&f->d5, XS_RM);
	simple(&f->d5, XS_MKDIR, 0, "q/one-more");
	expect_ok(&f->d5, XS_MKDIR);
	/* dom0 is not limited. */
	simple(&f->d0, XS_MKDIR, 0, "/dom0-node");
	expect_ok(&f->d0, XS_MKDIR);
	/* Other domains' quota is separate. */
	write_ok(&f->d7, 0, "x", "1");
	simple(&f->d5, XS_RM, 0, "q");
	expect_ok(&f->d5, XS_RM);
	xs_store_domain_stats(f->st, 5, &s);
	assert_int_equal(s.nodes, base);
}

/* ------------------------------------------------------------------------ */
/* Transactions                                                             */

static void test_tx_commit_abort(void **state)
{
	struct fixture *f = *state;
	uint32_t tx;

	tx = tx_start(&f->d5);
	write_ok(&f->d5, tx, "data/ring-ref", "8");
	write_ok(&f->d5, tx, "data/event-channel", "3");
	read_expect(&f->d5, tx, "data/ring-ref", "8");
	simple(&f->d5, XS_DIRECTORY, tx, "data");
	expect_reply(&f->d5, XS_DIRECTORY, LIT("ring-ref\0event-channel\0"));
	/* Invisible outside until commit. */
	read_expect_err(&f->d5, 0, "data/ring-ref", "ENOENT");
	read_expect_err(&f->d0, 0, "/local/domain/5/data", "ENOENT");
	tx_end(&f->d5, tx, 1);
	expect_ok(&f->d5, XS_TRANSACTION_END);
	read_expect(&f->d0, 0, "/local/domain/5/data/ring-ref", "8");
	read_expect(&f->d0, 0, "/local/domain/5/data/event-channel", "3");
	/* The id is gone after the end. */
	read_expect_err(&f->d5, tx, "data/ring-ref", "ENOENT");

	tx = tx_start(&f->d5);
	write_ok(&f->d5, tx, "data/ring-ref", "9");
	simple(&f->d5, XS_RM, tx, "data/event-channel");
	expect_ok(&f->d5, XS_RM);
	tx_end(&f->d5, tx, 0);
	expect_ok(&f->d5, XS_TRANSACTION_END);
	read_expect(&f->d5, 0, "data/ring-ref", "8");
	read_expect(&f->d5, 0, "data/event-channel", "3");
}

static void test_tx_perms_inside(void **state)
{
	struct fixture *f = *state;
	uint32_t tx;

	/* The vchan server pattern: write, then restrict, in one transaction. */
	tx = tx_start(&f->d5);
	write_ok(&f->d5, tx, "data/vchan/7/1/ring-ref", "10");
	set_perms(&f->d5, tx, "data/vchan/7/1/ring-ref", "n5", "r7", NULL);
	expect_ok(&f->d5, XS_SET_PERMS);
	read_expect_err(&f->d7, 0, "/local/domain/5/data/vchan/7/1/ring-ref",
	                "EACCES");
	tx_end(&f->d5, tx, 1);
	expect_ok(&f->d5, XS_TRANSACTION_END);
	read_expect(&f->d7, 0, "/local/domain/5/data/vchan/7/1/ring-ref", "10");
	simple(&f->d0, XS_GET_PERMS, 0, "/local/domain/5/data/vchan/7/1/ring-ref");
	expect_reply(&f->d0, XS_GET_PERMS, LIT("n5\0r7\0"));
}

static void test_tx_conflict(void **state)
{
	struct fixture *f = *state;
	uint32_t tx, tx2;

	write_ok(&f->d0, 0, "/c/x", "1");
	/* Read x in the transaction, someone changes it, commit fails. */
	tx = tx_start(&f->d0);
	read_expect(&f->d0, tx, "/c/x", "1");
	write_ok(&f->d5, 0, "y", "unrelated");
	write_ok(&f->d0, 0, "/c/x", "2");
	read_expect(&f->d0, tx, "/c/x", "1");  /* still the snapshot */
	write_ok(&f->d0, tx, "/c/z", "from-tx");
	tx_end(&f->d0, tx, 1);
	expect_err(&f->d0, "EAGAIN");
	read_expect_err(&f->d0, 0, "/c/z", "ENOENT");
	/* The failed transaction is gone. */
	tx_end(&f->d0, tx, 0);
	expect_err(&f->d0, "ENOENT");

	/* Unrelated changes do not conflict. */
	tx = tx_start(&f->d0);
	read_expect(&f->d0, tx, "/c/x", "2");
	write_ok(&f->d0, tx, "/c/x", "3");
	write_ok(&f->d5, 0, "y", "still unrelated");
	tx_end(&f->d0, tx, 1);
	expect_ok(&f->d0, XS_TRANSACTION_END);
	read_expect(&f->d0, 0, "/c/x", "3");

	/* Two transactions writing the same node: the second commit loses. */
	tx = tx_start(&f->d0);
	tx2 = tx_start(&f->d7);
	write_ok(&f->d0, tx, "/local/domain/7/k", "a");
	write_ok(&f->d7, tx2, "k", "b");
	tx_end(&f->d7, tx2, 1);
	expect_ok(&f->d7, XS_TRANSACTION_END);
	tx_end(&f->d0, tx, 1);
	expect_err(&f->d0, "EAGAIN");
	read_expect(&f->d7, 0, "k", "b");

	/* Creation of a node the transaction found missing conflicts too. */
	tx = tx_start(&f->d0);
	read_expect_err(&f->d0, tx, "/c/new", "ENOENT");
	write_ok(&f->d0, 0, "/c/new", "x");
	write_ok(&f->d0, tx, "/c/other", "y");
	tx_end(&f->d0, tx, 1);
	expect_err(&f->d0, "EAGAIN");

	/* Removal under the transaction's feet. */
	tx = tx_start(&f->d0);
	write_ok(&f->d0, tx, "/c/x", "tx");
	simple(&f->d0, XS_RM, 0, "/c");
	expect_ok(&f->d0, XS_RM);
	tx_end(&f->d0, tx, 1);
	expect_err(&f->d0, "EAGAIN");
	read_expect_err(&f->d0, 0, "/c", "ENOENT");
}

static void test_tx_rm_recreate(void **state)
{
	struct fixture *f = *state;
	uint32_t tx;

	write_ok(&f->d0, 0, "/t/a/old1", "1");
	write_ok(&f->d0, 0, "/t/a/old2/deep", "2");
	write_ok(&f->d0, 0, "/t/keep", "k");
	tx = tx_start(&f->d0);
	simple(&f->d0, XS_RM, tx, "/t/a");
	expect_ok(&f->d0, XS_RM);
	write_ok(&f->d0, tx, "/t/a/new", "n");
	write_ok(&f->d0, tx, "/t/a/old2/fresh", "f");
	tx_end(&f->d0, tx, 1);
	expect_ok(&f->d0, XS_TRANSACTION_END);
	simple(&f->d0, XS_DIRECTORY, 0, "/t/a");
	expect_reply(&f->d0, XS_DIRECTORY, LIT("new\0old2\0"));
	simple(&f->d0, XS_DIRECTORY, 0, "/t/a/old2");
	expect_reply(&f->d0, XS_DIRECTORY, LIT("fresh\0"));
	read_expect(&f->d0, 0, "/t/a/old2", "");
	read_expect(&f->d0, 0, "/t/keep", "k");
}

static void test_tx_limits(void **state)
{
	struct fixture *f = *state;
	uint32_t ids[XS_QUOTA_TRANSACTIONS];
	struct xs_stats s;
	unsigned i;

	for (i = 0; i < XS_QUOTA_TRANSACTIONS; i++)
		ids[i] = tx_start(&f->d5);
	xs_store_domain_stats(f->st, 5, &s);
	assert_int_equal(s.transactions, XS_QUOTA_TRANSACTIONS);
	req(&f->d5, XS_TRANSACTION_START, LIT("\0"));
	expect_err(&f->d5, "ENOSPC");
	/* Ids are distinct. */
	for (i = 1; i < XS_QUOTA_TRANSACTIONS; i++)
		assert_true(ids[i] != ids[i - 1]);
	/* No nesting: START inside a transaction. */
	req_tx(&f->d5, XS_TRANSACTION_START, ids[0], LIT("\0"));
	expect_err(&f->d5, "EBUSY");
	/* Bad end argument, then a good one. */
	req_tx(&f->d5, XS_TRANSACTION_END, ids[0], LIT("X\0"));
	expect_err(&f->d5, "EINVAL");
	req_tx(&f->d5, XS_TRANSACTION_END, ids[0], LIT("T"));
	expect_err(&f->d5, "EINVAL");
	tx_end(&f->d5, ids[0], 0);
	expect_ok(&f->d5, XS_TRANSACTION_END);
	/* END without a transaction. */
	tx_end(&f->d5, 0, 1);
	expect_err(&f->d5, "ENOENT");
	/* Another connection's id is unknown here. */
	read_expect_err(&f->d7, ids[1], "domid", "ENOENT");
	/* Destroying the connection drops its transactions. */
	xs_conn_destroy(f->d5.conn);
	f->d5.conn = NULL;
	xs_store_domain_stats(f->st, 5, &s);
	assert_int_equal(s.transactions, 0);
}

static void test_tx_node_quota(void **state)
{
	struct fixture *f = *state;
	char path[32];
	uint32_t tx;
	unsigned i;

	/* Touching too many distinct nodes in one transaction. */
	tx = tx_start(&f->d0);
	for (i = 0; i < XS_QUOTA_TXN_NODES - 1; i++) {
		snprintf(path, sizeof(path), "/tq/%u", i);
		read_expect_err(&f->d0, tx, path, "ENOENT");
	}
	read_expect_err(&f->d0, tx, "/tq/last", "ENOENT");
	read_expect_err(&f->d0, tx, "/tq/over", "ENOSPC");
	tx_end(&f->d0, tx, 0);
	expect_ok(&f->d0, XS_TRANSACTION_END);
}

/* ------------------------------------------------------------------------ */
/* Watches                                                                  */

static void test_watch_basic(void **state)
{
	struct fixture *f = *state;
	struct xs_stats s;

	watch(&f->d0, "/w", "tok");
	xs_store_domain_stats(f->st, 0, &s);
	assert_int_equal(s.watches, 1);
	/* The node itself and descendants fire; reply comes first. */
	write_ok(&f->d0, 0, "/w", "1");
	expect_event(&f->d0, "/w", "tok");
	write_ok(&f->d0, 0, "/w/a/b", "1");
	expect_event(&f->d0, "/w/a/b", "tok");
	simple(&f->d0, XS_MKDIR, 0, "/w/m");
	expect_ok(&f->d0, XS_MKDIR);
	expect_event(&f->d0, "/w/m", "tok");
	/* MKDIR of an existing node changes nothing and fires nothing. */
	simple(&f->d0, XS_MKDIR, 0, "/w/m");
	expect_ok(&f->d0, XS_MKDIR);
	set_perms(&f->d0, 0, "/w/m", "r0", NULL);
	expect_ok(&f->d0, XS_SET_PERMS);
	expect_event(&f->d0, "/w/m", "tok");
	/* Siblings and prefixes that are not ancestors do not fire. */
	write_ok(&f->d0, 0, "/wx", "1");
	write_ok(&f->d0, 0, "/other", "1");
	expect_nothing(&f->d0);
	/* Events go to the other connection too, with req_id 0. */
	watch(&f->d7, "/local/domain/7", "home");
	write_ok(&f->d0, 0, "/local/domain/7/x", "1");
	expect_event(&f->d7, "/local/domain/7/x", "home");
	expect_nothing(&f->d0);
	/* A watch on a missing node fires once it appears. */
	watch(&f->d0, "/later/node", "t2");
	write_ok(&f->d0, 0, "/later/node/child", "1");
	expect_event(&f->d0, "/later/node/child", "t2");
	/* Two watches matching one change: one event each. */
	watch(&f->d0, "/later", "t3");
	write_ok(&f->d0, 0, "/later/node", "2");
	expect_event(&f->d0, "/later/node", "t2");
	expect_event(&f->d0, "/later/node", "t3");
	expect_nothing(&f->d0);
}

static void test_watch_rm(void **state)
{
	struct fixture *f = *state;

	write_ok(&f->d0, 0, "/r/a/b/c", "1");
	write_ok(&f->d0, 0, "/r/a/b2", "1");
	watch(&f->d0, "/r/a/b/c", "deep");
	watch(&f->d0, "/r/a", "mid");
	watch(&f->d0, "/r/a/b/nonexistent", "none");
	simple(&f->d0, XS_RM, 0, "/r/a");
	expect_ok(&f->d0, XS_RM);
	/* Each watched node that went away reports itself; children first. */
	expect_event(&f->d0, "/r/a/b/c", "deep");
	expect_event(&f->d0, "/r/a", "mid");
	expect_nothing(&f->d0);
	/* RM of a missing node fires nothing. */
	simple(&f->d0, XS_RM, 0, "/r/a");
	expect_ok(&f->d0, XS_RM);
	expect_nothing(&f->d0);
}

static void test_watch_perms(void **state)
{
	struct fixture *f = *state;

	write_ok(&f->d5, 0, "data/secret", "1");
	/* 7 may watch a node it cannot read; it gets only the first event. */
	watch(&f->d7, "/local/domain/5/data", "spy");
	write_ok(&f->d5, 0, "data/secret", "2");
	expect_nothing(&f->d7);
	/* Once readable, it hears. */
	set_perms(&f->d5, 0, "data/secret", "n5", "r7", NULL);
	expect_ok(&f->d5, XS_SET_PERMS);
	expect_event(&f->d7, "/local/domain/5/data/secret", "spy");
	write_ok(&f->d5, 0, "data/secret", "3");
	expect_event(&f->d7, "/local/domain/5/data/secret", "spy");
	/* Losing access is still reported (old perms allowed it)... */
	set_perms(&f->d5, 0, "data/secret", "n5", NULL);
	expect_ok(&f->d5, XS_SET_PERMS);
	expect_event(&f->d7, "/local/domain/5/data/secret", "spy");
	/* ...but nothing after. */
	write_ok(&f->d5, 0, "data/secret", "4");
	expect_nothing(&f->d7);
	/* dom0 hears everything. */
	watch(&f->d0, "/local/domain/5", "all");
	write_ok(&f->d5, 0, "data/secret", "5");
	expect_event(&f->d0, "/local/domain/5/data/secret", "all");
	/* A readable parent is enough (xenstored rule). */
	set_perms(&f->d5, 0, "data", "n5", "r7", NULL);
	expect_ok(&f->d5, XS_SET_PERMS);
	expect_event(&f->d7, "/local/domain/5/data", "spy");
	expect_event(&f->d0, "/local/domain/5/data", "all");
	write_ok(&f->d5, 0, "data/secret", "6");
	expect_event(&f->d7, "/local/domain/5/data/secret", "spy");
	expect_event(&f->d0, "/local/domain/5/data/secret", "all");
	expect_nothing(&f->d7);
	expect_nothing(&f->d0);
}

static void test_watch_relative(void **state)
{
	struct fixture *f = *state;

	watch(&f->d5, "data", "rel");
	write_ok(&f->d5, 0, "data/x", "1");
	expect_event(&f->d5, "data/x", "rel");
	write_ok(&f->d0, 0, "/local/domain/5/data", "1");
	expect_event(&f->d5, "data", "rel");
	/* The same path registered absolute is a different watch and reports absolute. */
	watch(&f->d5, "/local/domain/5/data", "abs");
	write_ok(&f->d5, 0, "data/y", "1");
	expect_event(&f->d5, "data/y", "rel");
	expect_event(&f->d5, "/local/domain/5/data/y", "abs");
	/* UNWATCH takes the relative form too. */
	req(&f->d5, XS_UNWATCH, LIT("data\0rel\0"));
	expect_ok(&f->d5, XS_UNWATCH);
	write_ok(&f->d5, 0, "data/z", "1");
	expect_event(&f->d5, "/local/domain/5/data/z", "abs");
	expect_nothing(&f->d5);
}

static void test_unwatch_and_limits(void **state)
{
	struct fixture *f = *state;
	char buf[64];
	struct xs_stats s;
	unsigned i;

	watch(&f->d5, "domid", "a");
	/* Same path and token again. */
	req(&f->d5, XS_WATCH, LIT("domid\0a\0"));
	expect_err(&f->d5, "EEXIST");
	/* Same path, other token: fine. */
	watch(&f->d5, "domid", "b");
	req(&f->d5, XS_UNWATCH, LIT("domid\0a\0"));
	expect_ok(&f->d5, XS_UNWATCH);
	req(&f->d5, XS_UNWATCH, LIT("domid\0a\0"));
	expect_err(&f->d5, "ENOENT");
	req(&f->d5, XS_UNWATCH, LIT("/bad//path\0a\0"));
	expect_err(&f->d5, "ENOENT");
	write_ok(&f->d5, 0, "domid", "5");
	expect_event(&f->d5, "domid", "b");
	expect_nothing(&f->d5);
	/* Malformed. */
	req(&f->d5, XS_WATCH, LIT("domid\0"));
	expect_err(&f->d5, "EINVAL");
	req(&f->d5, XS_WATCH, LIT("domid\0a\0extra\0"));
	expect_err(&f->d5, "EINVAL");
	req(&f->d5, XS_WATCH, LIT("/a//b\0t\0"));
	expect_err(&f->d5, "EINVAL");
	/* The tx_id of WATCH is ignored, even a bogus one. */
	req_tx(&f->d5, XS_WATCH, 4242, LIT("x\0t\0"));
	expect_ok(&f->d5, XS_WATCH);
	expect_event(&f->d5, "x", "t");
	/* Quota. */
	xs_store_domain_stats(f->st, 5, &s);
	for (i = s.watches; i < XS_QUOTA_WATCHES; i++) {
		snprintf(buf, sizeof(buf), "w%u", i);
		watch(&f->d5, buf, "q");
	}
	req(&f->d5, XS_WATCH, LIT("over\0q\0"));
	expect_err(&f->d5, "E2BIG");
	xs_store_domain_stats(f->st, 5, &s);
	assert_int_equal(s.watches, XS_QUOTA_WATCHES);
	/* RESET_WATCHES drops them all (and transactions). */
	(void)tx_start(&f->d5);
	req(&f->d5, XS_RESET_WATCHES, LIT("\0"));
	expect_ok(&f->d5, XS_RESET_WATCHES);
	xs_store_domain_stats(f->st, 5, &s);
	assert_int_equal(s.watches, 0);
	assert_int_equal(s.transactions, 0);
	write_ok(&f->d5, 0, "domid", "5");
	expect_nothing(&f->d5);
}

static void test_watch_tx(void **state)
{
	struct fixture *f = *state;
	uint32_t tx;

	watch(&f->d7, "/local/domain/7/data", "tx");
	tx = tx_start(&f->d7);
	write_ok(&f->d7, tx, "data/a", "1");
	write_ok(&f->d7, tx, "data/b", "1");
	write_ok(&f->d7, tx, "data/a", "2");
	/* Nothing until commit. */
	expect_nothing(&f->d7);
	tx_end(&f->d7, tx, 1);
	expect_ok(&f->d7, XS_TRANSACTION_END);
	/* One event per changed node, in order of first change. */
	expect_event(&f->d7, "/local/domain/7/data/a", "tx");
	expect_event(&f->d7, "/local/domain/7/data/b", "tx");
	expect_nothing(&f->d7);
	/* Abort: nothing ever. */
	tx = tx_start(&f->d7);
	write_ok(&f->d7, tx, "data/c", "1");
	tx_end(&f->d7, tx, 0);
	expect_ok(&f->d7, XS_TRANSACTION_END);
	expect_nothing(&f->d7);
	/* Failed commit: nothing either. */
	tx = tx_start(&f->d7);
	write_ok(&f->d7, tx, "data/a", "3");
	write_ok(&f->d0, 0, "/local/domain/7/data/a", "4");
	expect_event(&f->d7, "/local/domain/7/data/a", "tx");
	tx_end(&f->d7, tx, 1);
	expect_err(&f->d7, "EAGAIN");
	expect_nothing(&f->d7);
}

/* ------------------------------------------------------------------------ */
/* Domains                                                                  */

static void test_introduce_release(void **state)
{
	struct fixture *f = *state;
	struct xs_stats s;

	watch(&f->d0, "@introduceDomain", "in");
	watch(&f->d0, "@releaseDomain", "out");
	watch(&f->d5, "@releaseDomain", "peer-gone");
	watch(&f->d0, "/local/domain/9", "home9");
	assert_int_equal(xs_store_introduce_domain(f->st, 9), 0);
	expect_event(&f->d0, "/local/domain/9", "home9");
	expect_event(&f->d0, "/local/domain/9/domid", "home9");
	expect_event(&f->d0, "@introduceDomain", "in");
	expect_nothing(&f->d0);
	expect_nothing(&f->d5);
	read_expect(&f->d0, 0, "/local/domain/9/domid", "9");
	simple(&f->d0, XS_GET_PERMS, 0, "/local/domain/9");
	expect_reply(&f->d0, XS_GET_PERMS, LIT("n9\0"));
	xs_store_domain_stats(f->st, 9, &s);
	assert_int_equal(s.nodes, 2);
	/* Idempotent. */
	assert_int_equal(xs_store_introduce_domain(f->st, 9), 0);
	expect_nothing(&f->d0);
	assert_int_equal(xs_store_introduce_domain(f->st, 0x7FF0), -EINVAL);

	write_ok(&f->d0, 0, "/local/domain/9/device/x", "1");
	expect_event(&f->d0, "/local/domain/9/device/x", "home9");
	assert_int_equal(xs_store_release_domain(f->st, 9), 0);
	expect_event(&f->d0, "@releaseDomain", "out");
	expect_event(&f->d0, "/local/domain/9", "home9");
	expect_nothing(&f->d0);
	expect_event(&f->d5, "@releaseDomain", "peer-gone");
	expect_nothing(&f->d5);
	read_expect_err(&f->d0, 0, "/local/domain/9", "ENOENT");
	xs_store_domain_stats(f->st, 9, &s);
	assert_int_equal(s.nodes, 0);
	assert_int_equal(xs_store_release_domain(f->st, 9), -ENOENT);

	/* dom0 can close the special watches to domUs. */
	set_perms(&f->d5, 0, "@releaseDomain", "n0", NULL);
	expect_err(&f->d5, "EACCES");
	set_perms(&f->d0, 0, "@releaseDomain", "n0", NULL);
	expect_ok(&f->d0, XS_SET_PERMS);
	simple(&f->d0, XS_GET_PERMS, 0, "@releaseDomain");
	expect_reply(&f->d0, XS_GET_PERMS, LIT("n0\0"));
	assert_int_equal(xs_store_release_domain(f->st, 7), 0);
	expect_event(&f->d0, "@releaseDomain", "out");
	expect_nothing(&f->d5);
}

/*
 * dom0 wrote below /local/domain/9 before 9 was introduced (a server that
 * publishes for a domain yet to come): the home exists, made implicitly and
 * owned by dom0, and there may even be a stale "domid".  Introducing hands
 * the home and "domid" to the domain, as the toolstack does at creation, so
 * that the domain can read its id and write in its home; the nodes dom0 made
 * keep their perms.
 */
static void test_introduce_after_dom0_wrote_home(void **state)
{
	struct fixture *f = *state;
	struct client d9;
	struct xs_stats s;

	write_ok(&f->d0, 0, "/local/domain/9/data/x", "v");
	write_ok(&f->d0, 0, "/local/domain/9/domid", "42");
	simple(&f->d0, XS_GET_PERMS, 0, "/local/domain/9");
	expect_reply(&f->d0, XS_GET_PERMS, LIT("n0\0"));
	xs_store_domain_stats(f->st, 9, &s);
	assert_int_equal(s.nodes, 0);

	watch(&f->d0, "/local/domain/9", "home9");
	watch(&f->d0, "@introduceDomain", "in");
	assert_int_equal(xs_store_introduce_domain(f->st, 9), 0);
	expect_event(&f->d0, "/local/domain/9", "home9");
	expect_event(&f->d0, "/local/domain/9/domid", "home9");
	expect_event(&f->d0, "@introduceDomain", "in");
	expect_nothing(&f->d0);

	simple(&f->d0, XS_GET_PERMS, 0, "/local/domain/9");
	expect_reply(&f->d0, XS_GET_PERMS, LIT("n9\0"));
	simple(&f->d0, XS_GET_PERMS, 0, "/local/domain/9/domid");
	expect_reply(&f->d0, XS_GET_PERMS, LIT("n9\0"));
	simple(&f->d0, XS_GET_PERMS, 0, "/local/domain/9/data/x");
	expect_reply(&f->d0, XS_GET_PERMS, LIT("n0\0"));
	read_expect(&f->d0, 0, "/local/domain/9/data/x", "v");
	xs_store_domain_stats(f->st, 9, &s);
	assert_int_equal(s.nodes, 2);

	client_open(f, &d9, 9);
	read_expect(&d9, 0, "/local/domain/9/domid", "9");
	read_expect(&d9, 0, "domid", "9");
	simple(&d9, XS_DIRECTORY, 0, "/local/domain/9");
	expect_reply(&d9, XS_DIRECTORY, LIT("data\0domid\0"));
	write_ok(&d9, 0, "/local/domain/9/mine", "1");
	read_expect_err(&d9, 0, "/local/domain/9/data/x", "EACCES");
	expect_event(&f->d0, "/local/domain/9/mine", "home9");
	client_close(&d9);

	/* Re-introducing changes nothing; a released home is gone whole. */
	assert_int_equal(xs_store_introduce_domain(f->st, 9), 0);
	expect_nothing(&f->d0);
	assert_int_equal(xs_store_release_domain(f->st, 9), 0);
	expect_event(&f->d0, "/local/domain/9", "home9");
	expect_nothing(&f->d0);
	read_expect_err(&f->d0, 0, "/local/domain/9", "ENOENT");

	/* A home dom0 already gave to the domain, "domid" right: no events. */
	write_ok(&f->d0, 0, "/local/domain/10/domid", "10");
	set_perms(&f->d0, 0, "/local/domain/10", "n10", NULL);
	expect_ok(&f->d0, XS_SET_PERMS);
	set_perms(&f->d0, 0, "/local/domain/10/domid", "n10", NULL);
	expect_ok(&f->d0, XS_SET_PERMS);
	watch(&f->d0, "/local/domain/10", "home10");
	assert_int_equal(xs_store_introduce_domain(f->st, 10), 0);
	expect_event(&f->d0, "@introduceDomain", "in");
	expect_nothing(&f->d0);
	xs_store_domain_stats(f->st, 10, &s);
	assert_int_equal(s.nodes, 2);
}

static void test_domain_requests(void **state)
{
	struct fixture *f = *state;

	/* Over the wire, dom0 only. */
	req(&f->d5, XS_INTRODUCE, LIT("11\0" "1234\0" "3\0"));
	expect_err(&f->d5, "EACCES");
	req(&f->d0, XS_INTRODUCE, LIT("11\0" "1234\0" "3\0"));
	expect_ok(&f->d0, XS_INTRODUCE);
	read_expect(&f->d0, 0, "/local/domain/11/domid", "11");
	req(&f->d0, XS_INTRODUCE, LIT("11\0"));
	expect_err(&f->d0, "EINVAL");
	simple(&f->d0, XS_IS_DOMAIN_INTRODUCED, 0, "11");
	expect_reply(&f->d0, XS_IS_DOMAIN_INTRODUCED, LIT("T\0"));
	simple(&f->d5, XS_IS_DOMAIN_INTRODUCED, 0, "11");
	expect_err(&f->d5, "EACCES");
	simple(&f->d5, XS_RELEASE, 0, "11");
	expect_err(&f->d5, "EACCES");
	simple(&f->d0, XS_RELEASE, 0, "11");
	expect_ok(&f->d0, XS_RELEASE);
	simple(&f->d0, XS_IS_DOMAIN_INTRODUCED, 0, "11");
	expect_reply(&f->d0, XS_IS_DOMAIN_INTRODUCED, LIT("F\0"));
	simple(&f->d0, XS_RELEASE, 0, "11");
	expect_err(&f->d0, "ENOENT");
	simple(&f->d0, XS_RESUME, 0, "5");
	expect_ok(&f->d0, XS_RESUME);
	req(&f->d0, XS_CONTROL, LIT("print\0hello\0"));
	expect_err(&f->d0, "ENOSYS");
	req(&f->d5, XS_CONTROL, LIT("print\0hello\0"));
	expect_err(&f->d5, "EACCES");
	req(&f->d0, XS_SET_TARGET, LIT("5\0" "7\0"));
	expect_err(&f->d0, "ENOSYS");
}

/* ------------------------------------------------------------------------ */
/* Framing and hostile input                                                */

/* A scripted session; run whole and byte by byte, outputs must be equal. */
static void session(struct fixture *f, struct client *cl)
{
	uint32_t tx;

	watch(cl, "/s", "tok");
	write_ok(cl, 0, "/s/a", "1");
	expect_event(cl, "/s/a", "tok");
	read_expect(cl, 0, "/s/a", "1");
	tx = tx_start(cl);
	write_ok(cl, tx, "/s/b", "2");
	tx_end(cl, tx, 1);
	expect_ok(cl, XS_TRANSACTION_END);
	expect_event(cl, "/s/b", "tok");
	req(cl, XS_READ, LIT("/s/a"));  /* missing NUL */
	expect_err(cl, "EINVAL");
	simple(cl, XS_DIRECTORY, 0, "/s");
	expect_reply(cl, XS_DIRECTORY, LIT("a\0b\0"));
	(void)f;
}

static void test_framing_bytewise(void **state)
{
	struct fixture *f = *state;

	f->d0.bytewise = 1;
	session(f, &f->d0);
	expect_nothing(&f->d0);
}

static void test_framing_batched(void **state)
{
	struct fixture *f = *state;
	unsigned char buf[3 * (HDR + 8)];
	struct xsd_sockmsg h;
	size_t off = 0;
	unsigned i, chunk;
	char got[XENSTORE_PAYLOAD_MAX + 1];

	write_ok(&f->d0, 0, "/f", "v");
	/* Three READs in one buffer, fed in odd-sized chunks. */
	for (i = 0; i < 3; i++) {
		struct xsd_sockmsg m = { XS_READ, 500 + i, 0, 3 };

		memcpy(buf + off, &m, HDR);
		memcpy(buf + off + HDR, "/f", 3);
		off += HDR + 3;
	}
	for (i = 0; i < off; i += chunk) {
		chunk = 7;
		if (i + chunk > off)
			chunk = (unsigned)(off - i);
		assert_int_equal(xs_conn_input(f->d0.conn, buf + i, chunk), 0);
	}
	for (i = 0; i < 3; i++) {
		pop(&f->d0, &h, got);
		assert_int_equal(h.type, XS_READ);
		assert_int_equal(h.req_id, 500 + i);
		assert_int_equal(h.len, 1);
		assert_int_equal(got[0], 'v');
	}
	expect_nothing(&f->d0);
	/* A zero-length call changes nothing. */
	assert_int_equal(xs_conn_input(f->d0.conn, buf, 0), 0);
	expect_nothing(&f->d0);
}

static void test_hostile_messages(void **state)
{
	struct fixture *f = *state;
	char big[XENSTORE_PAYLOAD_MAX];

	/* Unknown and reply-only types. */
	req(&f->d5, 999, LIT("x\0"));
	expect_err(&f->d5, "EINVAL");
	req(&f->d5, XS_TYPE_COUNT, LIT("x\0"));
	expect_err(&f->d5, "EINVAL");
	req(&f->d5, XS_WATCH_EVENT, LIT("x\0t\0"));
	expect_err(&f->d5, "EINVAL");
	req(&f->d5, XS_ERROR, LIT("EINVAL\0"));
	expect_err(&f->d5, "EINVAL");
	req(&f->d5, XS_INVALID, "", 0);
	expect_err(&f->d5, "EINVAL");
	/* Missing or extra NULs. */
	req(&f->d5, XS_READ, "", 0);
	expect_err(&f->d5, "EINVAL");
	req(&f->d5, XS_READ, LIT("domid"));
	expect_err(&f->d5, "EINVAL");
	req(&f->d5, XS_READ, LIT("domid\0junk"));
	expect_err(&f->d5, "EINVAL");
	req(&f->d5, XS_READ, LIT("domid\0\0"));
	expect_err(&f->d5, "EINVAL");
	req(&f->d5, XS_WRITE, LIT("domid"));
	expect_err(&f->d5, "EINVAL");
	req(&f->d5, XS_RM, LIT("\0"));
	expect_err(&f->d5, "EINVAL");
	req(&f->d5, XS_SET_PERMS, LIT("domid"));
	expect_err(&f->d5, "EINVAL");
	req(&f->d5, XS_GET_DOMAIN_PATH, "", 0);
	expect_err(&f->d5, "EINVAL");
	/* A value-less WRITE is an empty value, not an error. */
	req(&f->d5, XS_WRITE, LIT("empty\0"));
	expect_ok(&f->d5, XS_WRITE);
	/* Bad transaction ids. */
	read_expect_err(&f->d5, 1, "domid", "ENOENT");
	read_expect_err(&f->d5, 0xFFFFFFFFu, "domid", "ENOENT");
	/* A full-size payload of garbage. */
	memset(big, 0x80, sizeof(big));
	req(&f->d5, XS_WRITE, big, sizeof(big));
	expect_err(&f->d5, "EINVAL");
	memset(big, 'a', sizeof(big));
	req(&f->d5, XS_READ, big, sizeof(big));
	expect_err(&f->d5, "EINVAL");
	big[sizeof(big) - 1] = '\0';
	req(&f->d5, XS_READ, big, sizeof(big));
	expect_err(&f->d5, "EINVAL");
	expect_nothing(&f->d5);
}

static void test_oversized_len(void **state)
{
	struct fixture *f = *state;

	watch(&f->d7, "/b", "t7");
	/* The header alone decides: no payload needs to follow. */
	assert_int_equal(send_raw(&f->d7, XS_READ, 1, 0,
	                          XENSTORE_PAYLOAD_MAX + 1, NULL, 0), -1);
	assert_int_equal(xs_conn_input(f->d7.conn, "x", 1), -1);
	expect_nothing(&f->d7);
	/* Other connections carry on; so does a byte-wise one at the limit. */
	f->d5.bytewise = 1;
	assert_int_equal(send_raw(&f->d5, XS_READ, 1, 0, 0xFFFFFFFFu, NULL, 0), -1);
	read_expect(&f->d0, 0, "/local/domain/5/domid", "5");
	/* A broken connection hears no more events; others do. */
	watch(&f->d0, "/b", "t");
	write_ok(&f->d0, 0, "/b", "1");
	expect_event(&f->d0, "/b", "t");
	expect_nothing(&f->d7);
}

/* Deterministic garbage: must never crash, leak or break framing. */
static void test_random_garbage(void **state)
{
	struct fixture *f = *state;
	static const uint32_t types[] = {
		XS_READ, XS_WRITE, XS_MKDIR, XS_RM, XS_DIRECTORY, XS_GET_PERMS,
		XS_SET_PERMS, XS_WATCH, XS_UNWATCH, XS_TRANSACTION_START,
		XS_TRANSACTION_END, XS_DIRECTORY_PART, XS_GET_DOMAIN_PATH,
		XS_RESET_WATCHES, XS_INTRODUCE, XS_RELEASE, 77,
	};
	static const char *const words[] = {
		"/", "a", "b", "domid", "/local/domain/5", "data", "@releaseDomain",
		"T", "F", "n5", "r7", "b0", "0", "1", "", "/x/y", "x/y",
	};
	uint64_t seed = 0x9E3779B97F4A7C15ULL;
	char payload[256];
	unsigned i, j, n;
	struct client *cls[3] = { &f->d0, &f->d5, &f->d7 };

	for (i = 0; i < 20000; i++) {
		struct client *cl;
		size_t len = 0;
		uint32_t type, tx;

		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		cl = cls[(seed >> 33) % 3];
		type = types[(seed >> 40) % (sizeof(types) / sizeof(types[0]))];
		tx = (seed >> 50) % 4 == 0 ? (uint32_t)((seed >> 20) % 12) : 0;
		n = (unsigned)((seed >> 13) % 4);
		for (j = 0; j < n; j++) {
			const char *w = words[(seed >> (j * 5)) %
			                      (sizeof(words) / sizeof(words[0]))];

			if (len + strlen(w) + 1 > sizeof(payload))
				break;
			memcpy(payload + len, w, strlen(w));
			len += strlen(w);
			if (((seed >> (j + 7)) & 3) != 0)
				payload[len++] = '\0';
		}
		cl->last_req = (uint32_t)i;
		assert_int_equal(send_raw(cl, type, (uint32_t)i, tx, (uint32_t)len,
		                          payload, len), 0);
		cl->out.len = 0;  /* replies and events are not checked here */
	}
	/* Still sane. */
	read_expect(&f->d0, 0, "/local/domain", "");
}

static void test_conn_destroy_cleans(void **state)
{
	struct fixture *f = *state;
	struct xs_stats s;
	uint32_t tx;

	watch(&f->d7, "domid", "x");
	tx = tx_start(&f->d7);
	write_ok(&f->d7, tx, "data/q", "1");
	xs_store_domain_stats(f->st, 7, &s);
	assert_int_equal(s.watches, 1);
	assert_int_equal(s.transactions, 1);
	client_close(&f->d7);
	xs_store_domain_stats(f->st, 7, &s);
	assert_int_equal(s.watches, 0);
	assert_int_equal(s.transactions, 0);
	write_ok(&f->d0, 0, "/local/domain/7/domid", "7");
}

/* Removal is reported to a watcher that could read the removed node. */
static void test_watch_rm_perms(void **state)
{
	struct fixture *f = *state;

	write_ok(&f->d5, 0, "data/vchan/7/1/event-channel", "3");
	write_ok(&f->d5, 0, "data/vchan/7/1/other", "3");
	set_perms(&f->d5, 0, "data/vchan/7/1/event-channel", "n5", "r7", NULL);
	expect_ok(&f->d5, XS_SET_PERMS);
	watch(&f->d7, "/local/domain/5/data/vchan/7/1/event-channel", "leaf");
	watch(&f->d7, "/local/domain/5/data/vchan/7/1/other", "hidden");
	simple(&f->d5, XS_RM, 0, "data/vchan");
	expect_ok(&f->d5, XS_RM);
	expect_event(&f->d7, "/local/domain/5/data/vchan/7/1/event-channel",
	             "leaf");
	expect_nothing(&f->d7);
}

static void test_owner_change_moves_quota(void **state)
{
	struct fixture *f = *state;
	struct xs_stats s5, s7;

	write_ok(&f->d5, 0, "gift", "x");
	xs_store_domain_stats(f->st, 5, &s5);
	xs_store_domain_stats(f->st, 7, &s7);
	assert_int_equal(s5.nodes, 3);
	assert_int_equal(s7.nodes, 2);
	set_perms(&f->d0, 0, "/local/domain/5/gift", "n7", NULL);
	expect_ok(&f->d0, XS_SET_PERMS);
	xs_store_domain_stats(f->st, 5, &s5);
	xs_store_domain_stats(f->st, 7, &s7);
	assert_int_equal(s5.nodes, 2);
	assert_int_equal(s7.nodes, 3);
	/* The same through a transaction. */
	{
		uint32_t tx = tx_start(&f->d0);

		set_perms(&f->d0, tx, "/local/domain/5/gift", "n5", NULL);
		expect_ok(&f->d0, XS_SET_PERMS);
		write_ok(&f->d0, tx, "/local/domain/5/more", "y");
		tx_end(&f->d0, tx, 1);
		expect_ok(&f->d0, XS_TRANSACTION_END);
	}
	xs_store_domain_stats(f->st, 5, &s5);
	xs_store_domain_stats(f->st, 7, &s7);
	assert_int_equal(s5.nodes, 4);
	assert_int_equal(s7.nodes, 2);
}

static void test_tx_quota_at_commit(void **state)
{
	struct fixture *f = *state;
	char path[32];
	uint32_t tx;
	unsigned i;

	/* Two disjoint sets of changes, each within quota, together over it. */
	simple(&f->d5, XS_MKDIR, 0, "ta");
	expect_ok(&f->d5, XS_MKDIR);
	simple(&f->d5, XS_MKDIR, 0, "tb");
	expect_ok(&f->d5, XS_MKDIR);
	tx = tx_start(&f->d5);
	for (i = 0; i < 990; i++) {
		snprintf(path, sizeof(path), "ta/%u", i);
		write_ok(&f->d5, tx, path, "");
	}
	for (i = 0; i < 10; i++) {
		snprintf(path, sizeof(path), "tb/%u", i);
		write_ok(&f->d5, 0, path, "");
	}
	tx_end(&f->d5, tx, 1);
	expect_err(&f->d5, "ENOSPC");
	read_expect_err(&f->d5, 0, "ta/0", "ENOENT");
}

/* The same byte stream split anywhere gives the same output bytes. */
static void test_framing_random_splits(void **state)
{
	struct capture whole = { NULL, 0, 0 }, split = { NULL, 0, 0 };
	struct xs_store *sa = xs_store_create(), *sb = xs_store_create();
	struct xs_conn *ca, *cb;
	unsigned char stream[8192];
	size_t len = 0, off;
	uint64_t seed = 12345;
	static const struct {
		uint32_t type, tx;
		const char *p;
		size_t len;
	} msgs[] = {
		{ XS_WATCH, 0, LIT("/s\0tok\0") },
		{ XS_WRITE, 0, LIT("/s/a\0value") },
		{ XS_TRANSACTION_START, 0, LIT("\0") },
		{ XS_WRITE, 1, LIT("/s/b\0in-tx") },
		{ XS_READ, 1, LIT("/s/b\0") },
		{ XS_READ, 0, LIT("/s/b\0") },
		{ XS_TRANSACTION_END, 1, LIT("T\0") },
		{ XS_DIRECTORY, 0, LIT("/s\0") },
		{ XS_GET_PERMS, 0, LIT("/s/a\0") },
		{ XS_RM, 0, LIT("/s\0") },
		{ 4242, 0, LIT("junk") },
		{ XS_READ, 0, "", 0 },
	};
	unsigned i, round;

	(void)state;
	assert_non_null(sa);
	assert_non_null(sb);
	for (i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		struct xsd_sockmsg h = { msgs[i].type, i + 1, msgs[i].tx,
		                         (uint32_t)msgs[i].len };

		memcpy(stream + len, &h, HDR);
		memcpy(stream + len + HDR, msgs[i].p, msgs[i].len);
		len += HDR + msgs[i].len;
	}
	for (round = 0; round < 20; round++) {
		ca = xs_conn_create(sa, 0, capture_send, &whole);
		cb = xs_conn_create(sb, 0, capture_send, &split);
		assert_int_equal(xs_conn_input(ca, stream, len), 0);
		for (off = 0; off < len;) {
			size_t chunk;

			seed = seed * 6364136223846793005ULL + 1;
			chunk = 1 + (size_t)((seed >> 33) % 40);
			if (chunk > len - off)
				chunk = len - off;
			assert_int_equal(xs_conn_input(cb, stream + off, chunk), 0);
			off += chunk;
		}
		assert_int_equal(whole.len, split.len);
		assert_memory_equal(whole.buf, split.buf, whole.len);
		whole.len = split.len = 0;
		xs_conn_destroy(ca);
		xs_conn_destroy(cb);
	}
	xs_store_destroy(sa);
	xs_store_destroy(sb);
	free(whole.buf);
	free(split.buf);
}

/* A store may be destroyed with connections, watches and transactions left. */
static void test_store_destroy_with_conns(void **state)
{
	struct xs_store *st = xs_store_create();
	struct client cl;

	(void)state;
	assert_non_null(st);
	memset(&cl, 0, sizeof(cl));
	cl.conn = xs_conn_create(st, 0, capture_send, &cl.out);
	assert_non_null(cl.conn);
	watch(&cl, "/x", "t");
	(void)tx_start(&cl);
	xs_store_destroy(st);
	free(cl.out.buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_initial_tree),
		T(test_write_read),
		T(test_max_value),
		T(test_mkdir),
		T(test_rm),
		T(test_directory_part),
		T(test_get_domain_path),
		T(test_relative_paths),
		T(test_invalid_paths),
		T(test_deep_path),
		T(test_home_perms),
		T(test_perm_entries),
		T(test_set_perms_rules),
		T(test_create_inherits),
		T(test_node_quota),
		T(test_tx_commit_abort),
		T(test_tx_perms_inside),
		T(test_tx_conflict),
		T(test_tx_rm_recreate),
		T(test_tx_limits),
		T(test_tx_node_quota),
		T(test_watch_basic),
		T(test_watch_rm),
		T(test_watch_perms),
		T(test_watch_relative),
		T(test_unwatch_and_limits),
		T(test_watch_tx),
		T(test_introduce_release),
		T(test_introduce_after_dom0_wrote_home),
		T(test_domain_requests),
		T(test_framing_bytewise),
		T(test_framing_batched),
		T(test_hostile_messages),
		T(test_oversized_len),
		T(test_random_garbage),
		T(test_conn_destroy_cleans),
		T(test_watch_rm_perms),
		T(test_owner_change_moves_quota),
		T(test_tx_quota_at_commit),
		cmocka_unit_test(test_framing_random_splits),
		cmocka_unit_test(test_store_destroy_with_conns),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

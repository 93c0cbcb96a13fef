/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Helpers shared by the core unit tests: a fixture with one core and one
 * file on the fake OS, ioctl wrappers with the FreeBSD ABI structs, and the
 * end-of-test check that nothing leaked.
 */

#ifndef _TEST_UTIL_H_
#define	_TEST_UTIL_H_

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "gntdev.h"
#include "gntdev_core.h"
#include "fake_os.h"

#define	PG		4096ULL
#define	TOP		0xFFFFFFFFFFFFF000ULL	/* first 1-page index */
#define	OS_FILE		((void *)0x1001)
#define	OS_FILE2	((void *)0x1002)

struct fx {
	struct gntdev_core	*core;
	struct gntdev_file	*file;
	struct gntdev_limits	 lim;
	uint32_t		 ids[64];
	struct ioctl_gntdev_grant_ref refs[64];
};

static inline void
fx_limits(struct gntdev_limits *lim)
{

	gntdev_limits_default(lim);
	lim->max_pages_per_ioctl = 1024;
	lim->max_pages_per_file = 4096;
	lim->max_pages_global = 8192;
	lim->eagain_retries = 10;
	lim->reclaim_interval_ms = 500;
}

static inline int
fx_setup(void **state)
{
	struct fx *fx;

	fake_reset();
	fx = calloc(1, sizeof(*fx));
	assert_non_null(fx);
	fx_limits(&fx->lim);
	assert_int_equal(gntdev_core_create(&fx->lim, FAKE_OS, &fx->core), 0);
	assert_int_equal(gntdev_file_open(fx->core, OS_FILE, &fx->file), 0);
	fake_user_add(fx->ids, sizeof(fx->ids));
	fake_user_add(fx->refs, sizeof(fx->refs));
	*state = fx;
	return (0);
}

/* Assert every counter of the core and every fake object is back at 0. */
static inline void
fx_assert_clean(struct gntdev_core *core)
{
	struct gntdev_stats st;

	gntdev_core_stats(core, &st);
	assert_int_equal(st.files, 0);
	assert_int_equal(st.shared_pages, 0);
	assert_int_equal(st.parked_pages, 0);
	assert_int_equal(st.grant_maps, 0);
	assert_int_equal(st.mapped_grants, 0);
	assert_int_equal(st.mappings, 0);
	assert_int_equal(st.notifies, 0);
	assert_int_equal(st.pages_accounted, 0);
}

static inline void
fx_assert_no_fake_leaks(void)
{
	struct fake_outstanding o;

	fake_outstanding(&o);
	assert_int_equal(o.allocs, 0);
	assert_int_equal(o.locks, 0);
	assert_int_equal(o.pages, 0);
	assert_int_equal(o.grants, 0);
	assert_int_equal(o.regions, 0);
	assert_int_equal(o.mapped, 0);
	assert_int_equal(o.evtchn_refs, 0);
	assert_int_equal(fake_violations(), 0);
}

/* With the file still open: no record, mapping or OS object left. */
static inline void
fx_assert_clean_open(struct fx *fx)
{
	struct gntdev_stats st;
	struct fake_outstanding o;

	gntdev_core_stats(fx->core, &st);
	assert_int_equal(st.files, 1);
	assert_int_equal(st.shared_pages, 0);
	assert_int_equal(st.parked_pages, 0);
	assert_int_equal(st.grant_maps, 0);
	assert_int_equal(st.mapped_grants, 0);
	assert_int_equal(st.mappings, 0);
	assert_int_equal(st.notifies, 0);
	assert_int_equal(st.pages_accounted, 0);
	gntdev_file_stats(fx->file, &st);
	assert_int_equal(st.pages_accounted, 0);
	fake_outstanding(&o);
	assert_int_equal(o.pages, 0);
	assert_int_equal(o.grants, 0);
	assert_int_equal(o.regions, 0);
	assert_int_equal(o.mapped, 0);
	assert_int_equal(o.evtchn_refs, 0);
	assert_int_equal(fake_violations(), 0);
}

/* `nmaps` grant maps in the file, none mapped, no region left. */
static inline void
fx_assert_unmapped(struct fx *fx, uint32_t nmaps)
{
	struct gntdev_stats st;
	struct fake_outstanding o;

	gntdev_core_stats(fx->core, &st);
	assert_int_equal(st.grant_maps, nmaps);
	assert_int_equal(st.mapped_grants, 0);
	assert_int_equal(st.mappings, 0);
	fake_outstanding(&o);
	assert_int_equal(o.regions, 0);
	assert_int_equal(o.mapped, 0);
	assert_int_equal(fake_violations(), 0);
}

/* Index in the log of the first call of `op` whose first argument is `a`. */
static inline long
fx_find_arg(enum fake_op op, uint64_t a)
{
	size_t i, n;
	const struct fake_call *c;

	n = fake_log_len();
	for (i = 0; i < n; i++) {
		c = fake_log_at(i);
		if (c->op == op && c->a == a)
			return ((long)i);
	}
	return (-1);
}

static inline int
fx_teardown(void **state)
{
	struct fx *fx;

	fx = *state;
	if (fx->file != NULL)
		gntdev_file_close(fx->file);
	fx_assert_clean(fx->core);
	assert_int_equal(gntdev_core_destroy(fx->core), 0);
	fx_assert_no_fake_leaks();
	free(fx);
	return (0);
}

static inline int
do_alloc(struct gntdev_file *f, uint16_t domid, uint16_t flags,
    uint32_t count, uint32_t *ids, uint64_t *indexp)
{
	struct ioctl_gntdev_alloc_gref a;
	int error;

	memset(&a, 0, sizeof(a));
	a.domid = domid;
	a.flags = flags;
	a.count = count;
	a.gref_ids = ids;
	error = gntdev_file_ioctl(f, IOCTL_GNTDEV_ALLOC_GREF, &a);
	/* Always written, so that callers need no initialiser. */
	if (indexp != NULL)
		*indexp = error == 0 ? a.index : 1;
	return (error);
}

static inline int
do_dealloc(struct gntdev_file *f, uint64_t index, uint32_t count)
{
	struct ioctl_gntdev_dealloc_gref d;

	memset(&d, 0, sizeof(d));
	d.index = index;
	d.count = count;
	return (gntdev_file_ioctl(f, IOCTL_GNTDEV_DEALLOC_GREF, &d));
}

static inline int
do_map(struct gntdev_file *f, uint32_t count,
    struct ioctl_gntdev_grant_ref *refs, uint64_t *indexp)
{
	struct ioctl_gntdev_map_grant_ref m;
	int error;

	memset(&m, 0, sizeof(m));
	m.count = count;
	m.refs = refs;
	error = gntdev_file_ioctl(f, IOCTL_GNTDEV_MAP_GRANT_REF, &m);
	if (indexp != NULL)
		*indexp = error == 0 ? m.index : 1;
	return (error);
}

static inline int
do_unmap(struct gntdev_file *f, uint64_t index, uint32_t count)
{
	struct ioctl_gntdev_unmap_grant_ref u;

	memset(&u, 0, sizeof(u));
	u.index = index;
	u.count = count;
	return (gntdev_file_ioctl(f, IOCTL_GNTDEV_UNMAP_GRANT_REF, &u));
}

static inline int
do_notify(struct gntdev_file *f, uint64_t index, uint32_t action,
    uint32_t port)
{
	struct ioctl_gntdev_unmap_notify n;

	memset(&n, 0, sizeof(n));
	n.index = index;
	n.action = action;
	n.event_channel_port = port;
	return (gntdev_file_ioctl(f, IOCTL_GNTDEV_SET_UNMAP_NOTIFY, &n));
}

static inline int
do_get_offset(struct gntdev_file *f, uint64_t vaddr, uint64_t *offp,
    uint32_t *countp)
{
	struct ioctl_gntdev_get_offset_for_vaddr g;
	int error;

	memset(&g, 0, sizeof(g));
	g.vaddr = vaddr;
	error = gntdev_file_ioctl(f, IOCTL_GNTDEV_GET_OFFSET_FOR_VADDR, &g);
	*offp = error == 0 ? g.offset : 1;
	*countp = error == 0 ? g.count : 0;
	return (error);
}

/* Fill refs[0..n) with domid `dom` and refs base, base+1, ... */
static inline void
fill_refs(struct ioctl_gntdev_grant_ref *refs, uint32_t n, uint32_t dom,
    uint32_t base)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		refs[i].domid = dom;
		refs[i].ref = base + i;
	}
}

#endif /* !_TEST_UTIL_H_ */

/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Unit tests of the gntdev core through its public API: every ioctl's
 * success path and error paths, mmap resolution, notifications, close with
 * live mappings, parked pages, limits.  Each test ends with the fixture
 * checking that every counter is 0 and nothing of the fake OS leaked.
 */

#include <stdlib.h>
#include <errno.h>

#include "test_util.h"

/* Position of the n-th logged call of `op`; fails the test when absent. */
static long
at(enum fake_op op, size_t n)
{
	long i;

	i = fake_find(op, n);
	assert_true(i >= 0);
	return (i);
}

/*
 * ------------------------------------------------------------------
 * Dispatch
 * ------------------------------------------------------------------
 */

static void
test_unknown_ioctl(void **state)
{
	struct fx *fx = *state;
	uint8_t buf[64];
	const unsigned long bad[] = {
		0,
		0x00184700UL,				/* Linux MAP_GRANT_REF */
		0x00104707UL,				/* Linux SET_UNMAP_NOTIFY */
		IOCTL_GNTDEV_ALLOC_GREF + (1UL << 16),	/* wrong size */
		IOCTL_GNTDEV_DEALLOC_GREF | GNTDEV_IOC_OUT, /* wrong dir */
		IOCTL_GNTDEV_SET_UNMAP_NOTIFY + 6,	/* number 6 */
		0xC0084504UL,				/* evtchn BIND_VIRQ */
		IOCTL_GNTDEV_MAP_GRANT_REF | (1UL << 32),
	};
	size_t i;

	memset(buf, 0, sizeof(buf));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(gntdev_file_ioctl(fx->file, bad[i], buf),
		    ENOTTY);
	assert_int_equal(gntdev_file_ioctl(fx->file,
	    IOCTL_GNTDEV_ALLOC_GREF, NULL), EINVAL);
	assert_int_equal(fake_count(FAKE_PAGE_ALLOC), 0);
}

static void
test_limits_api(void **state)
{
	struct fx *fx = *state;
	struct gntdev_limits l, d;
	struct gntdev_stats st;

	gntdev_core_get_limits(fx->core, &l);
	assert_memory_equal(&l, &fx->lim, sizeof(l));
	gntdev_limits_default(&d);
	assert_int_equal(d.max_pages_per_ioctl, GNTDEV_DEFAULT_MAX_PAGES_PER_IOCTL);
	assert_int_equal(d.max_pages_per_file, GNTDEV_DEFAULT_MAX_PAGES_PER_FILE);
	assert_int_equal(d.max_pages_global, GNTDEV_DEFAULT_MAX_PAGES_GLOBAL);
	assert_int_equal(d.eagain_retries, GNTDEV_DEFAULT_EAGAIN_RETRIES);
	assert_int_equal(d.reclaim_interval_ms,
	    GNTDEV_DEFAULT_RECLAIM_INTERVAL_MS);
	gntdev_core_set_limits(fx->core, &d);
	gntdev_core_get_limits(fx->core, &l);
	assert_memory_equal(&l, &d, sizeof(l));
	gntdev_file_stats(fx->file, &st);
	assert_int_equal(st.files, 1);
	gntdev_core_stats(fx->core, &st);
	assert_int_equal(st.files, 1);
}

/*
 * ------------------------------------------------------------------
 * ALLOC_GREF / DEALLOC_GREF
 * ------------------------------------------------------------------
 */

static void
test_alloc_basic(void **state)
{
	struct fx *fx = *state;
	struct gntdev_stats st;
	uint64_t idx, idx2;
	uint32_t r0;

	r0 = fake_next_ref();
	assert_int_equal(do_alloc(fx->file, 7, 0, 1, fx->ids, &idx), 0);
	assert_int_equal(idx, TOP);
	assert_int_equal(fx->ids[0], r0);
	assert_true(fake_grant_readonly(r0));
	assert_int_equal(fake_grant_domid(r0), 7);
	/* One copyout of the whole id array. */
	assert_int_equal(fake_count(FAKE_COPYOUT), 1);

	assert_int_equal(do_alloc(fx->file, 9, GNTDEV_ALLOC_FLAG_WRITABLE, 3,
	    fx->ids, &idx2), 0);
	assert_int_equal(idx2, TOP - 3 * PG);
	assert_int_equal(fx->ids[0], r0 + 1);
	assert_int_equal(fx->ids[2], r0 + 3);
	assert_false(fake_grant_readonly(r0 + 1));

	gntdev_core_stats(fx->core, &st);
	assert_int_equal(st.shared_pages, 4);
	assert_int_equal(st.pages_accounted, 4);
	gntdev_file_stats(fx->file, &st);
	assert_int_equal(st.shared_pages, 4);
	assert_int_equal(st.pages_accounted, 4);

	/* Pages are zeroed. */
	assert_int_equal(fake_grant_page(r0)[0], 0);
	assert_int_equal(do_dealloc(fx->file, idx, 1), 0);
	assert_null(fake_grant_page(r0));
	assert_int_equal(do_dealloc(fx->file, idx2, 3), 0);
	gntdev_core_stats(fx->core, &st);
	assert_int_equal(st.shared_pages, 0);
	/* The offsets came back: the same index again. */
	assert_int_equal(do_alloc(fx->file, 7, 0, 1, fx->ids, &idx), 0);
	assert_int_equal(idx, TOP);
}

static void
test_alloc_bad_count(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(do_alloc(fx->file, 1, 0, 0, fx->ids, NULL), EINVAL);
	assert_int_equal(do_alloc(fx->file, 1, 0, fx->lim.max_pages_per_ioctl + 1,
	    fx->ids, NULL), EINVAL);
	assert_int_equal(do_alloc(fx->file, 1, 0, 0xFFFFFFFFU, fx->ids, NULL),
	    EINVAL);
	assert_int_equal(fake_count(FAKE_PAGE_ALLOC), 0);
}

static void
test_alloc_efault(void **state)
{
	struct fx *fx = *state;
	uint64_t idx;
	uint32_t r0;

	r0 = fake_next_ref();
	/* A bad pointer, and a good one with too little room. */
	assert_int_equal(do_alloc(fx->file, 1, 0, 2, (uint32_t *)0x10, NULL),
	    EFAULT);
	assert_int_equal(do_alloc(fx->file, 1, 0, 65, fx->ids, NULL), EFAULT);
	/* Every grant made was revoked, every page freed. */
	assert_null(fake_grant_page(r0));
	assert_int_equal(fake_count(FAKE_END_ACCESS), 2 + 65);
	assert_int_equal(fake_count(FAKE_PAGE_FREE), 2 + 65);
	fx_assert_clean_open(fx);
	assert_int_equal(do_alloc(fx->file, 1, 0, 1, fx->ids, &idx), 0);
	assert_int_equal(idx, TOP);
	assert_int_equal(do_dealloc(fx->file, idx, 1), 0);
}

static void
test_alloc_page_fail(void **state)
{
	struct fx *fx = *state;
	uint64_t idx;

	fake_fail_nth(FAKE_PAGE_ALLOC, 3, ENOMEM);
	assert_int_equal(do_alloc(fx->file, 1, 0, 5, fx->ids, NULL), ENOMEM);
	assert_int_equal(fake_count(FAKE_GRANT_ACCESS), 2);
	assert_int_equal(fake_count(FAKE_END_ACCESS), 2);
	fake_fail_nth(FAKE_GRANT_ACCESS, 2, ENOSPC);
	assert_int_equal(do_alloc(fx->file, 1, 0, 5, fx->ids, NULL), ENOSPC);
	fake_fail_nth(FAKE_MALLOC, 4, ENOMEM);
	assert_int_equal(do_alloc(fx->file, 1, 0, 5, fx->ids, NULL), ENOMEM);
	fx_assert_clean_open(fx);
	/* No offset was lost. */
	assert_int_equal(do_alloc(fx->file, 1, 0, 1, fx->ids, &idx), 0);
	assert_int_equal(idx, TOP);
	assert_int_equal(do_dealloc(fx->file, idx, 1), 0);
}

static void
test_dealloc_errors(void **state)
{
	struct fx *fx = *state;
	uint64_t a, b, c;

	assert_int_equal(do_alloc(fx->file, 1, 0, 2, fx->ids, &a), 0);
	assert_int_equal(do_alloc(fx->file, 1, 0, 1, fx->ids, &b), 0);
	assert_int_equal(do_alloc(fx->file, 1, 0, 2, fx->ids, &c), 0);
	assert_int_equal(b, a - PG);
	assert_int_equal(c, b - 2 * PG);
	/* count 0, count over the limit, unaligned, unknown, overflow. */
	assert_int_equal(do_dealloc(fx->file, a, 0), EINVAL);
	assert_int_equal(do_dealloc(fx->file, a, fx->lim.max_pages_per_ioctl + 1),
	    EINVAL);
	assert_int_equal(do_dealloc(fx->file, a + 1, 1), EINVAL);
	assert_int_equal(do_dealloc(fx->file, a + 2048, 1), EINVAL);
	assert_int_equal(do_dealloc(fx->file, 0, 1), EINVAL);
	assert_int_equal(do_dealloc(fx->file, TOP, 2), EINVAL);
	assert_int_equal(do_dealloc(fx->file, a, 3), EINVAL);
	/* Starting inside a run is fine; running past its end is not. */
	assert_int_equal(do_dealloc(fx->file, c + PG, 5), EINVAL);
	/* Across several ALLOC calls, contiguous. */
	assert_int_equal(do_dealloc(fx->file, c + PG, 3), 0);
	/* Now a hole at b..c+PG: spanning it fails and changes nothing. */
	assert_int_equal(do_dealloc(fx->file, c, 4), EINVAL);
	assert_int_equal(do_dealloc(fx->file, c, 1), 0);
	assert_int_equal(do_dealloc(fx->file, a + PG, 1), 0);
	assert_int_equal(do_dealloc(fx->file, a + PG, 1), EINVAL);
}

static void
test_dealloc_offset_memory_fail(void **state)
{
	struct fx *fx = *state;
	uint64_t a, b, c;

	assert_int_equal(do_alloc(fx->file, 1, 0, 1, fx->ids, &a), 0);
	assert_int_equal(do_alloc(fx->file, 1, 0, 1, fx->ids, &b), 0);
	assert_int_equal(do_alloc(fx->file, 1, 0, 1, fx->ids, &c), 0);
	/* Freeing b alone makes a new free range: it takes the spare node. */
	assert_int_equal(do_dealloc(fx->file, b, 1), 0);
	/* With no memory for the next spare, DEALLOC fails and changes nothing. */
	fake_fail_nth(FAKE_MALLOC, 1, ENOMEM);
	assert_int_equal(do_dealloc(fx->file, a, 1), ENOMEM);
	assert_int_equal(fake_count(FAKE_END_ACCESS), 1);
	assert_int_equal(do_dealloc(fx->file, a, 1), 0);
	assert_int_equal(do_dealloc(fx->file, c, 1), 0);
	/* Everything merged back into one range: the top is free again. */
	assert_int_equal(do_alloc(fx->file, 1, 0, 3, fx->ids, &a), 0);
	assert_int_equal(a, TOP - 2 * PG);
	assert_int_equal(do_dealloc(fx->file, a, 3), 0);
}

/*
 * ------------------------------------------------------------------
 * MAP_GRANT_REF / mmap / UNMAP_GRANT_REF
 * ------------------------------------------------------------------
 */

static void
test_map_basic(void **state)
{
	struct fx *fx = *state;
	struct gntdev_mapping *m, *m2;
	struct gntdev_stats st;
	uint64_t idx;

	fill_refs(fx->refs, 3, 0x10005, 40);
	assert_int_equal(do_map(fx->file, 3, fx->refs, &idx), 0);
	assert_int_equal(idx, TOP - 2 * PG);
	/* No hypercall at ioctl time. */
	assert_int_equal(fake_count(FAKE_MAP_GRANTS), 0);
	assert_int_equal(fake_count(FAKE_REGION_ALLOC), 0);
	gntdev_core_stats(fx->core, &st);
	assert_int_equal(st.grant_maps, 1);
	assert_int_equal(st.pages_accounted, 3);
	assert_int_equal(st.mapped_grants, 0);

	assert_int_equal(gntdev_core_mmap(fx->file, idx, 3 * PG,
	    GNTDEV_PROT_READ | GNTDEV_PROT_WRITE, &m), 0);
	assert_true(gntdev_mapping_is_foreign(m));
	assert_int_equal(gntdev_mapping_npages(m), 3);
	assert_int_equal(gntdev_mapping_offset(m), idx);
	assert_false(gntdev_mapping_readonly(m));
	assert_non_null(gntdev_mapping_region(m));
	assert_null(gntdev_mapping_page(m, 0));
	assert_int_equal(fake_region_mapped(gntdev_mapping_region(m)), 3);
	assert_int_equal(fake_count(FAKE_REGION_ALLOC), 1);
	assert_int_equal(fake_count(FAKE_MAP_GRANTS), 1);
	assert_int_equal(fake_log_at((size_t)at(FAKE_MAP_GRANTS, 0))->b, 3);
	gntdev_core_stats(fx->core, &st);
	assert_int_equal(st.mapped_grants, 3);
	assert_int_equal(st.mappings, 1);

	/* A second mmap shares the map: same cookie, no new hypercall. */
	assert_int_equal(gntdev_core_mmap(fx->file, idx, 3 * PG,
	    GNTDEV_PROT_READ, &m2), 0);
	assert_ptr_equal(gntdev_mapping_cookie(m), gntdev_mapping_cookie(m2));
	assert_int_equal(fake_count(FAKE_MAP_GRANTS), 1);
	gntdev_file_stats(fx->file, &st);
	assert_int_equal(st.mappings, 2);
	assert_int_equal(st.mapped_grants, 3);

	/* Extra reference, as the OS may take on fork. */
	gntdev_mapping_ref(m);
	gntdev_mapping_release(m);
	gntdev_mapping_release(m2);
	gntdev_mapping_release(m);
	/* Still in the file: still mapped, and mmappable again. */
	assert_int_equal(fake_count(FAKE_UNMAP_GRANTS), 0);
	assert_int_equal(gntdev_core_mmap(fx->file, idx, 3 * PG,
	    GNTDEV_PROT_READ, &m), 0);
	assert_int_equal(fake_count(FAKE_MAP_GRANTS), 1);
	gntdev_mapping_release(m);
	assert_int_equal(do_unmap(fx->file, idx, 3), 0);
	assert_int_equal(fake_count(FAKE_UNMAP_GRANTS), 1);
	assert_int_equal(fake_log_at((size_t)at(FAKE_UNMAP_GRANTS, 0))->c, 3);
	assert_true(at(FAKE_UNMAP_GRANTS, 0) < at(FAKE_REGION_FREE, 0));
}

static void
test_map_ops_content(void **state)
{
	struct fx *fx = *state;
	struct gntdev_mapping *m;
	uint64_t idx;

	/* The 32-bit ABI domid is truncated to Xen's 16 bits. */
	fill_refs(fx->refs, 2, 0x12345, 77);
	assert_int_equal(do_map(fx->file, 2, fx->refs, &idx), 0);
	assert_int_equal(gntdev_core_mmap(fx->file, idx, 2 * PG,
	    GNTDEV_PROT_READ, &m), 0);
	assert_true(gntdev_mapping_readonly(m));
	assert_int_equal(fake_log_at((size_t)at(FAKE_MAP_GRANTS, 0))->c, 77);
	/* A writable mmap of a read-only map: EACCES. */
	assert_int_equal(gntdev_core_mmap(fx->file, idx, 2 * PG,
	    GNTDEV_PROT_READ | GNTDEV_PROT_WRITE, &m), EACCES);
	gntdev_mapping_release(m);
	assert_int_equal(do_unmap(fx->file, idx, 2), 0);
}

static void
test_map_errors(void **state)
{
	struct fx *fx = *state;
	uint64_t idx;

	fill_refs(fx->refs, 64, 1, 1);
	assert_int_equal(do_map(fx->file, 0, fx->refs, NULL), EINVAL);
	assert_int_equal(do_map(fx->file, fx->lim.max_pages_per_ioctl + 1,
	    fx->refs, NULL), EINVAL);
	assert_int_equal(do_map(fx->file, 0xFFFFFFFFU, fx->refs, NULL), EINVAL);
	/* Bad pointers: wholly, and running past the end (chunked copyin). */
	assert_int_equal(do_map(fx->file, 1, (void *)0x20, NULL), EFAULT);
	assert_int_equal(do_map(fx->file, 65, fx->refs, NULL), EFAULT);
	assert_int_equal(do_map(fx->file, 64, fx->refs + 1, NULL), EFAULT);
	/* Memory failures. */
	fake_fail_nth(FAKE_MALLOC, 1, ENOMEM);
	assert_int_equal(do_map(fx->file, 2, fx->refs, NULL), ENOMEM);
	fake_fail_nth(FAKE_MALLOC, 2, ENOMEM);
	assert_int_equal(do_map(fx->file, 2, fx->refs, NULL), ENOMEM);
	fx_assert_clean_open(fx);
	assert_int_equal(do_map(fx->file, 64, fx->refs, &idx), 0);
	assert_int_equal(idx, TOP - 63 * PG);
	assert_int_equal(fake_count(FAKE_COPYIN) >= 2, 1);
	assert_int_equal(do_unmap(fx->file, idx, 64), 0);
}

static void
test_unmap_errors(void **state)
{
	struct fx *fx = *state;
	uint64_t idx, a;

	fill_refs(fx->refs, 4, 1, 1);
	assert_int_equal(do_map(fx->file, 4, fx->refs, &idx), 0);
	assert_int_equal(do_alloc(fx->file, 1, 0, 1, fx->ids, &a), 0);
	assert_int_equal(do_unmap(fx->file, idx, 3), EINVAL);
	assert_int_equal(do_unmap(fx->file, idx, 5), EINVAL);
	assert_int_equal(do_unmap(fx->file, idx, 0), EINVAL);
	assert_int_equal(do_unmap(fx->file, idx + PG, 3), EINVAL);
	assert_int_equal(do_unmap(fx->file, idx + 1, 4), EINVAL);
	assert_int_equal(do_unmap(fx->file, a, 1), EINVAL);
	assert_int_equal(do_unmap(fx->file, TOP, 0xFFFFFFFFU), EINVAL);
	/* DEALLOC on a grant map is no more valid. */
	assert_int_equal(do_dealloc(fx->file, idx, 4), EINVAL);
	/* An isolated free takes the spare node ... */
	assert_int_equal(do_unmap(fx->file, idx, 4), 0);
	assert_int_equal(do_unmap(fx->file, idx, 4), EINVAL);
	assert_int_equal(do_dealloc(fx->file, a, 1), 0);
	assert_int_equal(do_map(fx->file, 1, fx->refs, &idx), 0);
	assert_int_equal(idx, TOP);
	assert_int_equal(do_map(fx->file, 1, fx->refs, &a), 0);
	assert_int_equal(do_unmap(fx->file, idx, 1), 0);
	/* ... so with no memory for a new one, UNMAP fails cleanly. */
	fake_fail_nth(FAKE_MALLOC, 1, ENOMEM);
	assert_int_equal(do_unmap(fx->file, a, 1), ENOMEM);
	assert_int_equal(do_unmap(fx->file, a, 1), 0);
}

static void
test_unmap_while_mmapped(void **state)
{
	struct fx *fx = *state;
	struct gntdev_mapping *m;
	struct gntdev_stats st;
	uint64_t idx, idx2;

	fill_refs(fx->refs, 2, 3, 10);
	assert_int_equal(do_map(fx->file, 2, fx->refs, &idx), 0);
	assert_int_equal(gntdev_core_mmap(fx->file, idx, 2 * PG,
	    GNTDEV_PROT_READ | GNTDEV_PROT_WRITE, &m), 0);
	assert_int_equal(do_unmap(fx->file, idx, 2), 0);
	/* Still mapped; the offsets are free again at once. */
	assert_int_equal(fake_region_mapped(gntdev_mapping_region(m)), 2);
	gntdev_core_stats(fx->core, &st);
	assert_int_equal(st.mapped_grants, 2);
	assert_int_equal(st.grant_maps, 1);
	gntdev_file_stats(fx->file, &st);
	assert_int_equal(st.mapped_grants, 0);
	assert_int_equal(st.grant_maps, 0);
	assert_int_equal(st.mappings, 0);
	assert_int_equal(do_map(fx->file, 2, fx->refs, &idx2), 0);
	assert_int_equal(idx2, idx);
	/* The old mapping cannot be found by mmap any more. */
	assert_int_equal(fake_count(FAKE_UNMAP_GRANTS), 0);
	gntdev_mapping_release(m);
	assert_int_equal(fake_count(FAKE_UNMAP_GRANTS), 1);
	assert_int_equal(do_unmap(fx->file, idx2, 2), 0);
}

static void
test_mmap_resolution_errors(void **state)
{
	struct fx *fx = *state;
	struct gntdev_mapping *m;
	uint64_t idx, a;

	fill_refs(fx->refs, 3, 1, 1);
	assert_int_equal(do_map(fx->file, 3, fx->refs, &idx), 0);
	assert_int_equal(do_alloc(fx->file, 1, 0, 2, fx->ids, &a), 0);
	assert_int_equal(gntdev_core_mmap(fx->file, idx, 0, 1, &m), EINVAL);
	assert_int_equal(gntdev_core_mmap(fx->file, idx, 100, 1, &m), EINVAL);
	assert_int_equal(gntdev_core_mmap(fx->file, idx + 1, PG, 1, &m),
	    EINVAL);
	assert_int_equal(gntdev_core_mmap(fx->file, idx, 2 * PG, 1, &m),
	    EINVAL);
	assert_int_equal(gntdev_core_mmap(fx->file, idx, 4 * PG, 1, &m),
	    EINVAL);
	assert_int_equal(gntdev_core_mmap(fx->file, idx + PG, 2 * PG, 1, &m),
	    EINVAL);
	assert_int_equal(gntdev_core_mmap(fx->file, 0, PG, 1, &m), EINVAL);
	assert_int_equal(gntdev_core_mmap(fx->file, TOP, 2 * PG, 1, &m),
	    EINVAL);
	assert_int_equal(gntdev_core_mmap(fx->file, a, 3 * PG, 1, &m), EINVAL);
	assert_int_equal(gntdev_core_mmap(fx->file, a, 0x100000000ULL * PG, 1,
	    &m), EINVAL);
	assert_int_equal(gntdev_core_mmap(fx->file, a, ~0ULL & ~(PG - 1), 1,
	    &m), EINVAL);
	assert_int_equal(fake_count(FAKE_REGION_ALLOC), 0);
	assert_int_equal(do_unmap(fx->file, idx, 3), 0);
	assert_int_equal(do_dealloc(fx->file, a, 2), 0);
}

static void
test_mmap_region_fail(void **state)
{
	struct fx *fx = *state;
	struct gntdev_mapping *m;
	uint64_t idx;

	fill_refs(fx->refs, 2, 1, 1);
	assert_int_equal(do_map(fx->file, 2, fx->refs, &idx), 0);
	fake_fail_nth(FAKE_REGION_ALLOC, 1, ENOMEM);
	assert_int_equal(gntdev_core_mmap(fx->file, idx, 2 * PG, 3, &m),
	    ENOMEM);
	/* The batch could not be issued at all. */
	fake_fail_nth(FAKE_MAP_GRANTS, 1, EIO);
	assert_int_equal(gntdev_core_mmap(fx->file, idx, 2 * PG, 3, &m),
	    EINVAL);
	assert_int_equal(fake_count(FAKE_UNMAP_GRANTS), 0);
	assert_int_equal(fake_count(FAKE_REGION_FREE), 1);
	/* Works afterwards. */
	assert_int_equal(gntdev_core_mmap(fx->file, idx, 2 * PG, 3, &m), 0);
	gntdev_mapping_release(m);
	assert_int_equal(do_unmap(fx->file, idx, 2), 0);
}

static void
test_mmap_partial_failure(void **state)
{
	struct fx *fx = *state;
	struct gntdev_mapping *m;
	uint64_t idx;
	int k;

	for (k = 0; k < 4; k++) {
		fake_log_clear();
		fill_refs(fx->refs, 4, 1, 200);
		fake_map_status(200 + (uint32_t)k,
		    k == 3 ? GNTDEV_GNTST_PERMISSION_DENIED :
		    GNTDEV_GNTST_BAD_GNTREF, 1);
		assert_int_equal(do_map(fx->file, 4, fx->refs, &idx), 0);
		assert_int_equal(gntdev_core_mmap(fx->file, idx, 4 * PG, 3,
		    &m), EINVAL);
		/* The three that succeeded were unmapped, the region freed. */
		assert_int_equal(fake_count(FAKE_UNMAP_GRANTS), 1);
		assert_int_equal(fake_log_at((size_t)at(FAKE_UNMAP_GRANTS,
		    0))->c, 3);
		assert_true(at(FAKE_UNMAP_GRANTS, 0) < at(FAKE_REGION_FREE, 0));
		assert_int_equal(fake_count(FAKE_SLEEP), 0);
		fx_assert_unmapped(fx, 1);
		/* A later mmap tries again, and succeeds. */
		assert_int_equal(gntdev_core_mmap(fx->file, idx, 4 * PG, 3,
		    &m), 0);
		gntdev_mapping_release(m);
		assert_int_equal(do_unmap(fx->file, idx, 4), 0);
	}
	/* All fail: nothing to unmap. */
	fake_log_clear();
	fill_refs(fx->refs, 1, 1, 300);
	fake_map_status(300, GNTDEV_GNTST_BAD_DOMAIN, 1);
	assert_int_equal(do_map(fx->file, 1, fx->refs, &idx), 0);
	assert_int_equal(gntdev_core_mmap(fx->file, idx, PG, 3, &m), EINVAL);
	assert_int_equal(fake_count(FAKE_UNMAP_GRANTS), 0);
	assert_int_equal(do_unmap(fx->file, idx, 1), 0);
}

static void
test_mmap_eagain_retry(void **state)
{
	struct fx *fx = *state;
	struct gntdev_mapping *m;
	uint64_t idx;
	size_t i;

	fill_refs(fx->refs, 4, 1, 500);
	/* Ref 501 is paged out for 3 tries, 503 for 1. */
	fake_map_status(501, GNTDEV_GNTST_EAGAIN, 3);
	fake_map_status(503, GNTDEV_GNTST_EAGAIN, 1);
	assert_int_equal(do_map(fx->file, 4, fx->refs, &idx), 0);
	assert_int_equal(gntdev_core_mmap(fx->file, idx, 4 * PG, 3, &m), 0);
	/* Batch of 4, then retries of only the eagain ops, batched. */
	assert_int_equal(fake_count(FAKE_MAP_GRANTS), 4);
	assert_int_equal(fake_log_at((size_t)at(FAKE_MAP_GRANTS, 0))->b, 4);
	assert_int_equal(fake_log_at((size_t)at(FAKE_MAP_GRANTS, 1))->b, 2);
	assert_int_equal(fake_log_at((size_t)at(FAKE_MAP_GRANTS, 2))->b, 1);
	assert_int_equal(fake_log_at((size_t)at(FAKE_MAP_GRANTS, 3))->b, 1);
	assert_int_equal(fake_log_at((size_t)at(FAKE_MAP_GRANTS, 3))->c, 501);
	assert_int_equal(fake_count(FAKE_SLEEP), 3);
	for (i = 0; i < 3; i++)
		assert_int_equal(fake_log_at((size_t)at(FAKE_SLEEP, i))->a,
		    1U << i);
	assert_int_equal(fake_region_mapped(gntdev_mapping_region(m)), 4);
	gntdev_mapping_release(m);
	assert_int_equal(do_unmap(fx->file, idx, 4), 0);
}

static void
test_mmap_eagain_bounded(void **state)
{
	struct fx *fx = *state;
	struct gntdev_mapping *m;
	static const unsigned want[] = { 1, 2, 4, 8, 16, 32, 64, 128, 256,
	    256 };
	struct gntdev_limits l;
	uint64_t idx;
	size_t i;

	fill_refs(fx->refs, 3, 1, 600);
	fake_map_status(602, GNTDEV_GNTST_EAGAIN, -1);
	assert_int_equal(do_map(fx->file, 3, fx->refs, &idx), 0);
	assert_int_equal(gntdev_core_mmap(fx->file, idx, 3 * PG, 3, &m),
	    EINVAL);
	assert_int_equal(fake_count(FAKE_SLEEP), 10);
	for (i = 0; i < 10; i++)
		assert_int_equal(fake_log_at((size_t)at(FAKE_SLEEP, i))->a,
		    want[i]);
	assert_int_equal(fake_count(FAKE_MAP_GRANTS), 11);
	assert_int_equal(fake_log_at((size_t)at(FAKE_UNMAP_GRANTS, 0))->c, 2);
	assert_int_equal(fake_slept_ms(), 767);

	/* eagain_retries = 0: no retry at all. */
	fake_log_clear();
	gntdev_core_get_limits(fx->core, &l);
	l.eagain_retries = 0;
	gntdev_core_set_limits(fx->core, &l);
	assert_int_equal(gntdev_core_mmap(fx->file, idx, 3 * PG, 3, &m),
	    EINVAL);
	assert_int_equal(fake_count(FAKE_SLEEP), 0);
	assert_int_equal(fake_count(FAKE_MAP_GRANTS), 1);

	/* The retry batch itself fails to be issued, or its memory. */
	l.eagain_retries = 5;
	gntdev_core_set_limits(fx->core, &l);
	fake_log_clear();
	fake_fail_nth(FAKE_MAP_GRANTS, 2, EIO);
	assert_int_equal(gntdev_core_mmap(fx->file, idx, 3 * PG, 3, &m),
	    EINVAL);
	assert_int_equal(fake_count(FAKE_MAP_GRANTS), 2);
	assert_int_equal(fake_log_at((size_t)at(FAKE_UNMAP_GRANTS, 0))->c, 2);
	fake_log_clear();
	fake_fail_nth(FAKE_MALLOC, 1, ENOMEM);
	assert_int_equal(gntdev_core_mmap(fx->file, idx, 3 * PG, 3, &m),
	    ENOMEM);
	assert_int_equal(fake_log_at((size_t)at(FAKE_UNMAP_GRANTS, 0))->c, 2);

	/* A signal during the second wait: EINTR, no more tries, undone. */
	fake_log_clear();
	fake_fail_nth(FAKE_SLEEP, 2, EINTR);
	assert_int_equal(gntdev_core_mmap(fx->file, idx, 3 * PG, 3, &m),
	    EINTR);
	assert_int_equal(fake_count(FAKE_SLEEP), 2);
	assert_int_equal(fake_count(FAKE_MAP_GRANTS), 2);
	assert_int_equal(fake_count(FAKE_UNMAP_GRANTS), 1);
	assert_int_equal(fake_log_at((size_t)at(FAKE_UNMAP_GRANTS, 0))->c, 2);
	assert_int_equal(fake_count(FAKE_REGION_FREE), 1);
	/* Nothing is left mapped: the next try starts afresh. */
	fake_log_clear();
	fake_map_status(602, GNTDEV_GNTST_OKAY, -1);
	assert_int_equal(gntdev_core_mmap(fx->file, idx, 3 * PG, 3, &m), 0);
	assert_int_equal(fake_count(FAKE_SLEEP), 0);
	gntdev_mapping_release(m);
	assert_int_equal(do_unmap(fx->file, idx, 3), 0);
}

static void
test_mmap_shared(void **state)
{
	struct fx *fx = *state;
	struct gntdev_mapping *m, *m2;
	struct gntdev_stats st;
	uint64_t a, b;
	uint32_t r0;

	r0 = fake_next_ref();
	assert_int_equal(do_alloc(fx->file, 1, 1, 2, fx->ids, &a), 0);
	assert_int_equal(do_alloc(fx->file, 1, 1, 1, fx->ids, &b), 0);
	/* One mmap over pages of both ALLOC calls. */
	assert_int_equal(gntdev_core_mmap(fx->file, b, 3 * PG,
	    GNTDEV_PROT_READ | GNTDEV_PROT_WRITE, &m), 0);
	assert_false(gntdev_mapping_is_foreign(m));
	assert_false(gntdev_mapping_readonly(m));
	assert_int_equal(gntdev_mapping_npages(m), 3);
	assert_int_equal(gntdev_mapping_offset(m), b);
	assert_null(gntdev_mapping_region(m));
	assert_null(gntdev_mapping_page(m, 3));
	/* Page 0 of the mapping is b (ref r0+2), page 1 is a (ref r0). */
	assert_ptr_equal(fake_page_data(gntdev_mapping_page(m, 0)),
	    fake_grant_page(r0 + 2));
	assert_ptr_equal(fake_page_data(gntdev_mapping_page(m, 1)),
	    fake_grant_page(r0));
	/* Shared pages may be mmapped more than once. */
	assert_int_equal(gntdev_core_mmap(fx->file, a, PG, GNTDEV_PROT_READ,
	    &m2), 0);
	assert_true(gntdev_mapping_readonly(m2));
	assert_ptr_not_equal(gntdev_mapping_cookie(m), gntdev_mapping_cookie(m2));
	gntdev_file_stats(fx->file, &st);
	assert_int_equal(st.mappings, 2);
	/* DEALLOC while mapped: the pages live on in the mappings. */
	assert_int_equal(do_dealloc(fx->file, b, 3), 0);
	assert_int_equal(fake_count(FAKE_END_ACCESS), 0);
	gntdev_core_stats(fx->core, &st);
	assert_int_equal(st.shared_pages, 3);
	assert_int_equal(st.pages_accounted, 3);
	gntdev_mapping_ref(m2);
	gntdev_mapping_release(m2);
	gntdev_mapping_release(m);
	/* b and a+PG are free now; a is still in m2. */
	assert_int_equal(fake_count(FAKE_END_ACCESS), 2);
	assert_non_null(fake_grant_page(r0));
	gntdev_mapping_release(m2);
	assert_int_equal(fake_count(FAKE_END_ACCESS), 3);
	assert_int_equal(fake_count(FAKE_PAGE_FREE), 3);
	/* A gref that left the file cannot be mmapped. */
	assert_int_equal(gntdev_core_mmap(fx->file, a, PG, 1, &m2), EINVAL);
	assert_int_equal(do_alloc(fx->file, 1, 1, 1, fx->ids, &a), 0);
	fake_fail_nth(FAKE_MALLOC, 1, ENOMEM);
	assert_int_equal(gntdev_core_mmap(fx->file, a, PG, 1, &m2), ENOMEM);
	fake_fail_nth(FAKE_MALLOC, 2, ENOMEM);
	assert_int_equal(gntdev_core_mmap(fx->file, a, PG, 1, &m2), ENOMEM);
	assert_int_equal(do_dealloc(fx->file, a, 1), 0);
}

/*
 * ------------------------------------------------------------------
 * GET_OFFSET_FOR_VADDR
 * ------------------------------------------------------------------
 */

static void
test_get_offset(void **state)
{
	struct fx *fx = *state;
	struct gntdev_file *f2;
	struct gntdev_mapping *m, *ms, *m2;
	uint64_t idx, a, off, idx2;
	uint32_t cnt;

	fill_refs(fx->refs, 3, 1, 1);
	assert_int_equal(do_map(fx->file, 3, fx->refs, &idx), 0);
	assert_int_equal(gntdev_core_mmap(fx->file, idx, 3 * PG, 1, &m), 0);
	assert_int_equal(do_alloc(fx->file, 1, 1, 1, fx->ids, &a), 0);
	assert_int_equal(gntdev_core_mmap(fx->file, a, PG, 3, &ms), 0);
	assert_int_equal(gntdev_file_open(fx->core, OS_FILE2, &f2), 0);
	assert_int_equal(do_map(f2, 3, fx->refs, &idx2), 0);
	assert_int_equal(gntdev_core_mmap(f2, idx2, 3 * PG, 1, &m2), 0);

	fake_vaddr_add(0x10000, 3 * PG, gntdev_mapping_cookie(m));
	fake_vaddr_add(0x20000, PG, gntdev_mapping_cookie(ms));
	fake_vaddr_add(0x30000, 3 * PG, gntdev_mapping_cookie(m2));
	fake_vaddr_add(0x40000, 2 * PG, gntdev_mapping_cookie(m));
	fake_vaddr_add(0x50000, PG, (void *)0x1234);

	assert_int_equal(do_get_offset(fx->file, 0x10000 + 2 * PG + 5, &off,
	    &cnt), 0);
	assert_int_equal(off, idx);
	assert_int_equal(cnt, 3);
	/* Shared mapping, another file's map, partial mapping, junk, none. */
	assert_int_equal(do_get_offset(fx->file, 0x20000, &off, &cnt), EINVAL);
	assert_int_equal(do_get_offset(fx->file, 0x30000, &off, &cnt), EINVAL);
	assert_int_equal(do_get_offset(f2, 0x30000, &off, &cnt), 0);
	assert_int_equal(off, idx2);
	assert_int_equal(do_get_offset(fx->file, 0x40000, &off, &cnt), EINVAL);
	assert_int_equal(do_get_offset(fx->file, 0x50000, &off, &cnt), EINVAL);
	assert_int_equal(do_get_offset(fx->file, 0x60000, &off, &cnt), EINVAL);
	/* After UNMAP_GRANT_REF the map is no longer this file's. */
	assert_int_equal(do_unmap(fx->file, idx, 3), 0);
	assert_int_equal(do_get_offset(fx->file, 0x10000, &off, &cnt), EINVAL);
	fake_vaddr_clear();
	gntdev_mapping_release(m);
	gntdev_mapping_release(ms);
	gntdev_mapping_release(m2);
	assert_int_equal(do_dealloc(fx->file, a, 1), 0);
	gntdev_file_close(f2);
}

/*
 * ------------------------------------------------------------------
 * SET_UNMAP_NOTIFY
 * ------------------------------------------------------------------
 */

static void
test_notify_gref(void **state)
{
	struct fx *fx = *state;
	struct gntdev_stats st;
	uint64_t a;
	uint32_t r0;
	uint8_t *p;
	long c, n, e;

	fake_evtchn_bind(5);
	r0 = fake_next_ref();
	assert_int_equal(do_alloc(fx->file, 1, 1, 2, fx->ids, &a), 0);
	p = fake_grant_page(r0 + 1);
	memset(p, 0xAA, PG);
	/* The second page, byte 17: per page, at index & ~4095. */
	assert_int_equal(do_notify(fx->file, a + PG + 17,
	    UNMAP_NOTIFY_CLEAR_BYTE | UNMAP_NOTIFY_SEND_EVENT, 5), 0);
	gntdev_core_stats(fx->core, &st);
	assert_int_equal(st.notifies, 1);
	gntdev_file_stats(fx->file, &st);
	assert_int_equal(st.notifies, 1);
	/* Keep the page alive after the revoke so the byte can be seen. */
	fake_set_busy(r0 + 1, true);
	assert_int_equal(do_dealloc(fx->file, a, 2), 0);
	assert_int_equal(p[17], 0);
	assert_int_equal(p[16], 0xAA);
	assert_int_equal(p[18], 0xAA);
	assert_int_equal(fake_count(FAKE_PAGE_CLEAR_BYTE), 1);
	assert_int_equal(fake_evtchn_sent(5), 1);
	c = at(FAKE_PAGE_CLEAR_BYTE, 0);
	n = at(FAKE_EVTCHN_NOTIFY, 0);
	e = fx_find_arg(FAKE_END_ACCESS, r0 + 1);
	assert_true(c < n);
	assert_true(n < at(FAKE_EVTCHN_PUT, 0));
	/* The notification fires before the revoke is even tried. */
	assert_true(n < e);
	gntdev_core_stats(fx->core, &st);
	assert_int_equal(st.notifies, 0);
	assert_int_equal(st.parked_pages, 1);
	fake_set_busy(r0 + 1, false);
	assert_int_equal(gntdev_core_reclaim(fx->core), 0);
	/* Fired once only. */
	assert_int_equal(fake_evtchn_sent(5), 1);
	assert_int_equal(fake_count(FAKE_PAGE_CLEAR_BYTE), 1);
}

static void
test_notify_gmap_order(void **state)
{
	struct fx *fx = *state;
	struct gntdev_mapping *m;
	uint8_t *d;
	uint64_t idx;
	long c, u, f, n;

	fake_evtchn_bind(9);
	fill_refs(fx->refs, 3, 1, 1);
	assert_int_equal(do_map(fx->file, 3, fx->refs, &idx), 0);
	assert_int_equal(gntdev_core_mmap(fx->file, idx, 3 * PG, 3, &m), 0);
	d = fake_region_data(gntdev_mapping_region(m), 1);
	memset(d, 0xAA, PG);
	/* Byte 7 of page 1 of the map: per map, any index inside it. */
	assert_int_equal(do_notify(fx->file, idx + PG + 7,
	    UNMAP_NOTIFY_CLEAR_BYTE | UNMAP_NOTIFY_SEND_EVENT, 9), 0);
	assert_int_equal(do_unmap(fx->file, idx, 3), 0);
	assert_int_equal(fake_evtchn_sent(9), 0);
	gntdev_mapping_release(m);
	assert_int_equal(fake_count(FAKE_REGION_CLEAR_BYTE), 1);
	assert_int_equal(fake_log_at((size_t)at(FAKE_REGION_CLEAR_BYTE, 0))->b,
	    1);
	assert_int_equal(fake_log_at((size_t)at(FAKE_REGION_CLEAR_BYTE, 0))->c,
	    7);
	c = at(FAKE_REGION_CLEAR_BYTE, 0);
	u = at(FAKE_UNMAP_GRANTS, 0);
	f = at(FAKE_REGION_FREE, 0);
	n = at(FAKE_EVTCHN_NOTIFY, 0);
	/* Clear while mapped, unmap, then wake the peer. */
	assert_true(c < u);
	assert_true(u < f);
	assert_true(f < n);
	assert_true(n < at(FAKE_EVTCHN_PUT, 0));
	assert_int_equal(fake_evtchn_sent(9), 1);
}

static void
test_notify_gmap_never_mapped(void **state)
{
	struct fx *fx = *state;
	uint64_t idx;

	fake_evtchn_bind(3);
	fill_refs(fx->refs, 2, 1, 1);
	assert_int_equal(do_map(fx->file, 2, fx->refs, &idx), 0);
	assert_int_equal(do_notify(fx->file, idx,
	    UNMAP_NOTIFY_CLEAR_BYTE | UNMAP_NOTIFY_SEND_EVENT, 3), 0);
	assert_int_equal(do_unmap(fx->file, idx, 2), 0);
	/* Event only: there is no mapped byte to clear. */
	assert_int_equal(fake_evtchn_sent(3), 1);
	assert_int_equal(fake_count(FAKE_REGION_CLEAR_BYTE), 0);
	assert_int_equal(fake_count(FAKE_EVTCHN_PUT), 1);
}

static void
test_notify_replace(void **state)
{
	struct fx *fx = *state;
	struct gntdev_stats st;
	uint64_t idx;

	fake_evtchn_bind(5);
	fake_evtchn_bind(6);
	fill_refs(fx->refs, 1, 1, 1);
	assert_int_equal(do_map(fx->file, 1, fx->refs, &idx), 0);
	assert_int_equal(do_notify(fx->file, idx, UNMAP_NOTIFY_SEND_EVENT, 5),
	    0);
	/* A failing call (port not bound) leaves the old one. */
	assert_int_equal(do_notify(fx->file, idx, UNMAP_NOTIFY_SEND_EVENT, 77),
	    EINVAL);
	fake_fail_nth(FAKE_EVTCHN_GET, 1, ENOMEM);
	assert_int_equal(do_notify(fx->file, idx, UNMAP_NOTIFY_SEND_EVENT, 6),
	    EINVAL);
	assert_int_equal(fake_count(FAKE_EVTCHN_PUT), 0);
	/* Replacing puts the old reference. */
	assert_int_equal(do_notify(fx->file, idx, UNMAP_NOTIFY_SEND_EVENT, 6),
	    0);
	assert_int_equal(fake_count(FAKE_EVTCHN_PUT), 1);
	assert_int_equal(fake_log_at((size_t)at(FAKE_EVTCHN_PUT, 0))->a, 5);
	gntdev_core_stats(fx->core, &st);
	assert_int_equal(st.notifies, 1);
	/* Action 0 disarms. */
	assert_int_equal(do_notify(fx->file, idx, 0, 0), 0);
	gntdev_core_stats(fx->core, &st);
	assert_int_equal(st.notifies, 0);
	assert_int_equal(do_notify(fx->file, idx, UNMAP_NOTIFY_SEND_EVENT, 5),
	    0);
	assert_int_equal(do_notify(fx->file, idx, UNMAP_NOTIFY_CLEAR_BYTE, 0),
	    0);
	assert_int_equal(do_notify(fx->file, idx, UNMAP_NOTIFY_SEND_EVENT, 6),
	    0);
	assert_int_equal(do_unmap(fx->file, idx, 1), 0);
	assert_int_equal(fake_evtchn_sent(5), 0);
	assert_int_equal(fake_evtchn_sent(6), 1);
}

static void
test_notify_errors(void **state)
{
	struct fx *fx = *state;
	struct gntdev_mapping *m;
	uint64_t idx, a, low;

	fake_evtchn_bind(5);
	fill_refs(fx->refs, 2, 1, 1);
	assert_int_equal(do_map(fx->file, 2, fx->refs, &idx), 0);
	assert_int_equal(do_alloc(fx->file, 1, 1, 1, fx->ids, &a), 0);
	assert_int_equal(a, idx - PG);
	assert_int_equal(do_notify(fx->file, idx, 0x4, 5), EINVAL);
	assert_int_equal(do_notify(fx->file, idx, 0x80000001U, 5), EINVAL);
	/* Nothing at the index: below everything, in a free page. */
	assert_int_equal(do_notify(fx->file, 0, 1, 5), EINVAL);
	assert_int_equal(do_notify(fx->file, a - PG, 1, 5), EINVAL);
	assert_int_equal(do_notify(fx->file, a - 5, 1, 5), EINVAL);
	assert_int_equal(fake_count(FAKE_EVTCHN_GET), 0);
	/* A read-only mapped map cannot have its byte cleared. */
	assert_int_equal(gntdev_core_mmap(fx->file, idx, 2 * PG,
	    GNTDEV_PROT_READ, &m), 0);
	assert_int_equal(do_notify(fx->file, idx + 5,
	    UNMAP_NOTIFY_CLEAR_BYTE, 0), EINVAL);
	assert_int_equal(do_notify(fx->file, idx + 5,
	    UNMAP_NOTIFY_SEND_EVENT, 5), 0);
	gntdev_mapping_release(m);
	/*
	 * A deallocated gref can no longer get a notification; its page,
	 * just past a map below it, belongs to no map either.
	 */
	assert_int_equal(do_map(fx->file, 1, fx->refs, &low), 0);
	assert_int_equal(low, a - PG);
	assert_int_equal(do_dealloc(fx->file, a, 1), 0);
	assert_int_equal(do_notify(fx->file, a, 1, 5), EINVAL);
	assert_int_equal(do_notify(fx->file, a + 4095, 1, 5), EINVAL);
	assert_int_equal(do_unmap(fx->file, low, 1), 0);
	assert_int_equal(do_unmap(fx->file, idx, 2), 0);
	assert_int_equal(fake_evtchn_sent(5), 1);
}

static void
test_notify_readonly_after_arm(void **state)
{
	struct fx *fx = *state;
	struct gntdev_mapping *m;
	uint64_t idx;

	/* Armed before a read-only first mmap: the byte is not written. */
	fill_refs(fx->refs, 1, 1, 1);
	assert_int_equal(do_map(fx->file, 1, fx->refs, &idx), 0);
	assert_int_equal(do_notify(fx->file, idx, UNMAP_NOTIFY_CLEAR_BYTE, 0),
	    0);
	assert_int_equal(gntdev_core_mmap(fx->file, idx, PG, GNTDEV_PROT_READ,
	    &m), 0);
	assert_int_equal(do_unmap(fx->file, idx, 1), 0);
	gntdev_mapping_release(m);
	assert_int_equal(fake_count(FAKE_REGION_CLEAR_BYTE), 0);
}

/*
 * ------------------------------------------------------------------
 * Close, parking, reclaim, limits
 * ------------------------------------------------------------------
 */

static void
test_close_with_live_mappings(void **state)
{
	struct fx *fx = *state;
	struct gntdev_mapping *ms, *mf, *ms2;
	struct gntdev_stats st;
	uint64_t a, idx, b;
	uint32_t r0;

	fake_evtchn_bind(4);
	fake_evtchn_bind(8);
	r0 = fake_next_ref();
	assert_int_equal(do_alloc(fx->file, 1, 1, 2, fx->ids, &a), 0);
	assert_int_equal(do_alloc(fx->file, 1, 1, 1, fx->ids, &b), 0);
	assert_int_equal(gntdev_core_mmap(fx->file, a, 2 * PG, 3, &ms), 0);
	assert_int_equal(gntdev_core_mmap(fx->file, b, PG, 3, &ms2), 0);
	gntdev_mapping_release(ms2);
	assert_int_equal(gntdev_core_mmap(fx->file, b, PG, 3, &ms2), 0);
	fill_refs(fx->refs, 2, 1, 1);
	assert_int_equal(do_map(fx->file, 2, fx->refs, &idx), 0);
	assert_int_equal(gntdev_core_mmap(fx->file, idx, 2 * PG, 3, &mf), 0);
	assert_int_equal(do_notify(fx->file, a + 1,
	    UNMAP_NOTIFY_CLEAR_BYTE | UNMAP_NOTIFY_SEND_EVENT, 4), 0);
	assert_int_equal(do_notify(fx->file, idx + 1,
	    UNMAP_NOTIFY_CLEAR_BYTE | UNMAP_NOTIFY_SEND_EVENT, 8), 0);
	/* An unmapped gref and an unmapped map die at close. */
	assert_int_equal(do_alloc(fx->file, 1, 1, 1, fx->ids, NULL), 0);
	assert_int_equal(do_map(fx->file, 1, fx->refs, NULL), 0);

	gntdev_file_close(fx->file);
	fx->file = NULL;
	gntdev_core_stats(fx->core, &st);
	assert_int_equal(st.files, 0);
	assert_int_equal(st.shared_pages, 3);
	assert_int_equal(st.grant_maps, 1);
	assert_int_equal(st.mapped_grants, 2);
	assert_int_equal(st.mappings, 3);
	assert_int_equal(st.notifies, 2);
	assert_int_equal(fake_evtchn_sent(4), 0);
	assert_int_equal(fake_evtchn_sent(8), 0);
	/* Mappings stay valid and usable. */
	assert_non_null(fake_grant_page(r0));
	gntdev_mapping_ref(ms);
	gntdev_mapping_ref(mf);
	gntdev_mapping_release(mf);
	gntdev_mapping_release(ms);
	/* Releases after close, from "any thread". */
	gntdev_mapping_release(mf);
	assert_int_equal(fake_evtchn_sent(8), 1);
	gntdev_mapping_release(ms);
	assert_int_equal(fake_evtchn_sent(4), 1);
	gntdev_mapping_release(ms2);
	/* The core cannot go while a file is open. */
}

static void
test_parked_and_reclaim(void **state)
{
	struct fx *fx = *state;
	struct gntdev_stats st;
	uint64_t a;
	uint32_t r0;

	r0 = fake_next_ref();
	assert_int_equal(do_alloc(fx->file, 1, 1, 3, fx->ids, &a), 0);
	fake_set_busy(r0, true);
	fake_set_busy(r0 + 2, true);
	assert_int_equal(do_dealloc(fx->file, a, 3), 0);
	gntdev_core_stats(fx->core, &st);
	assert_int_equal(st.parked_pages, 2);
	assert_int_equal(st.shared_pages, 0);
	/* Parked pages still count against the global limit. */
	assert_int_equal(st.pages_accounted, 2);
	gntdev_file_stats(fx->file, &st);
	assert_int_equal(st.pages_accounted, 0);
	assert_true(fake_count(FAKE_RECLAIM_SCHEDULE) >= 1);
	assert_int_equal(fake_log_at((size_t)at(FAKE_RECLAIM_SCHEDULE, 0))->a,
	    500);
	/* Never freed while the peer maps them. */
	assert_int_equal(fake_count(FAKE_PAGE_FREE), 1);
	assert_non_null(fake_grant_page(r0));

	fake_log_clear();
	assert_int_equal(gntdev_core_reclaim(fx->core), 2);
	assert_int_equal(fake_count(FAKE_RECLAIM_SCHEDULE), 1);
	assert_int_equal(fake_count(FAKE_END_ACCESS), 2);
	fake_set_busy(r0 + 2, false);
	fake_log_clear();
	assert_int_equal(gntdev_core_reclaim(fx->core), 1);
	assert_int_equal(fake_count(FAKE_PAGE_FREE), 1);
	assert_int_equal(fake_count(FAKE_RECLAIM_SCHEDULE), 1);
	/* Destroy refuses while a page is parked, and keeps the core. */
	gntdev_file_close(fx->file);
	fx->file = NULL;
	assert_int_equal(gntdev_core_destroy(fx->core), EBUSY);
	gntdev_core_stats(fx->core, &st);
	assert_int_equal(st.parked_pages, 1);
	fake_set_busy(r0, false);
	fake_log_clear();
	assert_int_equal(gntdev_core_reclaim(fx->core), 0);
	assert_int_equal(fake_count(FAKE_RECLAIM_SCHEDULE), 0);
	assert_int_equal(gntdev_core_reclaim(fx->core), 0);
}

static void
test_alloc_rollback_busy(void **state)
{
	struct fx *fx = *state;
	struct gntdev_stats st;

	/*
	 * The copyout fails; end_access of the first rolled-back grant says
	 * the peer maps it (it may have learnt the ref from a partial copy).
	 */
	fake_fail_nth(FAKE_COPYOUT, 1, EFAULT);
	fake_fail_nth(FAKE_END_ACCESS, 1, EBUSY);
	assert_int_equal(do_alloc(fx->file, 1, 1, 3, fx->ids, NULL), EFAULT);
	gntdev_core_stats(fx->core, &st);
	assert_int_equal(st.parked_pages, 1);
	assert_int_equal(st.shared_pages, 0);
	assert_int_equal(st.pages_accounted, 1);
	assert_int_equal(fake_count(FAKE_PAGE_FREE), 2);
	assert_int_equal(fake_count(FAKE_RECLAIM_SCHEDULE), 1);
	assert_int_equal(gntdev_core_reclaim(fx->core), 0);
}

static void
test_limits(void **state)
{
	struct fx *fx = *state;
	struct gntdev_file *f2;
	struct gntdev_limits l;
	uint64_t a, b, c;

	gntdev_core_get_limits(fx->core, &l);
	l.max_pages_per_ioctl = 4;
	l.max_pages_per_file = 6;
	l.max_pages_global = 10;
	gntdev_core_set_limits(fx->core, &l);
	fill_refs(fx->refs, 8, 1, 1);
	assert_int_equal(do_alloc(fx->file, 1, 1, 5, fx->ids, NULL), EINVAL);
	assert_int_equal(do_map(fx->file, 5, fx->refs, NULL), EINVAL);
	assert_int_equal(do_alloc(fx->file, 1, 1, 4, fx->ids, &a), 0);
	assert_int_equal(do_map(fx->file, 3, fx->refs, NULL), ENOSPC);
	assert_int_equal(do_alloc(fx->file, 1, 1, 3, fx->ids, NULL), ENOSPC);
	assert_int_equal(do_map(fx->file, 2, fx->refs, &b), 0);
	assert_int_equal(gntdev_file_open(fx->core, OS_FILE2, &f2), 0);
	/* 6 of 10 used globally. */
	assert_int_equal(do_alloc(f2, 1, 1, 4, fx->ids, &c), 0);
	assert_int_equal(do_map(f2, 1, fx->refs, NULL), ENOSPC);
	assert_int_equal(do_alloc(f2, 1, 1, 1, fx->ids, NULL), ENOSPC);
	assert_int_equal(fake_count(FAKE_PAGE_ALLOC), 8);
	/* Freeing makes room again. */
	assert_int_equal(do_dealloc(fx->file, a, 4), 0);
	assert_int_equal(do_map(f2, 1, fx->refs, NULL), 0);
	assert_int_equal(do_unmap(fx->file, b, 2), 0);
	gntdev_file_close(f2);
}

static void
test_limit_zero(void **state)
{
	struct fx *fx = *state;
	struct gntdev_limits l;
	uint64_t idx;

	/* A limit of 0 refuses everything (ENOSPC of offsets: test_offsets). */
	gntdev_core_get_limits(fx->core, &l);
	l.max_pages_per_ioctl = 0;
	gntdev_core_set_limits(fx->core, &l);
	assert_int_equal(do_map(fx->file, 1, fx->refs, &idx), EINVAL);
}

/*
 * ------------------------------------------------------------------
 * Construction failures
 * ------------------------------------------------------------------
 */

static void
test_create_open_failures(void **state)
{
	struct fx *fx = *state;
	struct gntdev_core *c;
	struct gntdev_file *f;

	fake_fail_nth(FAKE_MALLOC, 1, ENOMEM);
	assert_int_equal(gntdev_core_create(NULL, FAKE_OS, &c), ENOMEM);
	fake_fail_nth(FAKE_MUTEX_CREATE, 1, ENOMEM);
	assert_int_equal(gntdev_core_create(NULL, FAKE_OS, &c), ENOMEM);
	assert_int_equal(gntdev_core_create(NULL, FAKE_OS, &c), 0);
	gntdev_core_get_limits(c, &fx->lim);
	assert_int_equal(fx->lim.max_pages_per_ioctl,
	    GNTDEV_DEFAULT_MAX_PAGES_PER_IOCTL);
	fake_fail_nth(FAKE_MALLOC, 1, ENOMEM);
	assert_int_equal(gntdev_file_open(c, OS_FILE, &f), ENOMEM);
	fake_fail_nth(FAKE_MALLOC, 2, ENOMEM);
	assert_int_equal(gntdev_file_open(c, OS_FILE, &f), ENOMEM);
	fake_fail_nth(FAKE_SXLOCK_CREATE, 1, ENOMEM);
	assert_int_equal(gntdev_file_open(c, OS_FILE, &f), ENOMEM);
	assert_int_equal(gntdev_file_open(c, OS_FILE, &f), 0);
	/* Destroy with a file open or a mapping alive: EBUSY. */
	assert_int_equal(gntdev_core_destroy(c), EBUSY);
	gntdev_file_close(f);
	fx_assert_clean(c);
	assert_int_equal(gntdev_core_destroy(c), 0);
}

/*
 * A whole life cycle with one failure injected at the n-th call of one
 * step, for every step and n: whatever fails, nothing may leak and the
 * counters must come back to 0.
 */
static void
scenario(struct fx *fx)
{
	struct gntdev_mapping *ms, *mf;
	uint64_t a, idx;
	int ea, em;

	ms = mf = NULL;
	fill_refs(fx->refs, 4, 1, 1);
	fake_map_status(2, GNTDEV_GNTST_EAGAIN, 2);
	ea = do_alloc(fx->file, 1, 1, 3, fx->ids, &a);
	if (ea == 0) {
		(void)do_notify(fx->file, a + 3,
		    UNMAP_NOTIFY_CLEAR_BYTE | UNMAP_NOTIFY_SEND_EVENT, 5);
		if (gntdev_core_mmap(fx->file, a, 3 * PG, 3, &ms) != 0)
			ms = NULL;
	}
	em = do_map(fx->file, 4, fx->refs, &idx);
	if (em == 0) {
		(void)do_notify(fx->file, idx + PG,
		    UNMAP_NOTIFY_CLEAR_BYTE | UNMAP_NOTIFY_SEND_EVENT, 5);
		if (gntdev_core_mmap(fx->file, idx, 4 * PG, 3, &mf) != 0)
			mf = NULL;
	}
	if (ea == 0)
		(void)do_dealloc(fx->file, a, 3);
	if (em == 0)
		(void)do_unmap(fx->file, idx, 4);
	if (ms != NULL)
		gntdev_mapping_release(ms);
	if (mf != NULL && fx->file != NULL) {
		gntdev_file_close(fx->file);
		fx->file = NULL;
	}
	if (mf != NULL)
		gntdev_mapping_release(mf);
	(void)gntdev_core_reclaim(fx->core);
}

static void
test_fault_sweep(void **state)
{
	static const enum fake_op ops[] = { FAKE_MALLOC, FAKE_PAGE_ALLOC,
	    FAKE_GRANT_ACCESS, FAKE_COPYOUT, FAKE_COPYIN, FAKE_REGION_ALLOC,
	    FAKE_MAP_GRANTS, FAKE_EVTCHN_GET, FAKE_END_ACCESS };
	struct fx *fx;
	size_t i;
	uint64_t n, c0, total;
	int err;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		err = ops[i] == FAKE_END_ACCESS ? EBUSY :
		    ops[i] == FAKE_COPYOUT || ops[i] == FAKE_COPYIN ? EFAULT :
		    ENOMEM;
		/* Count the calls of a clean run, then fail each in turn. */
		fx_teardown(state);
		fx_setup(state);
		fx = *state;
		fake_evtchn_bind(5);
		c0 = fake_calls(ops[i]);
		scenario(fx);
		total = fake_calls(ops[i]) - c0;
		assert_true(total > 0);
		for (n = 1; n <= total; n++) {
			fx_teardown(state);
			fx_setup(state);
			fx = *state;
			fake_evtchn_bind(5);
			fake_fail_nth(ops[i], n, err);
			scenario(fx);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define	T(f)	cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
		T(test_unknown_ioctl),
		T(test_limits_api),
		T(test_alloc_basic),
		T(test_alloc_bad_count),
		T(test_alloc_efault),
		T(test_alloc_page_fail),
		T(test_alloc_rollback_busy),
		T(test_dealloc_errors),
		T(test_dealloc_offset_memory_fail),
		T(test_map_basic),
		T(test_map_ops_content),
		T(test_map_errors),
		T(test_unmap_errors),
		T(test_unmap_while_mmapped),
		T(test_mmap_resolution_errors),
		T(test_mmap_region_fail),
		T(test_mmap_partial_failure),
		T(test_mmap_eagain_retry),
		T(test_mmap_eagain_bounded),
		T(test_mmap_shared),
		T(test_get_offset),
		T(test_notify_gref),
		T(test_notify_gmap_order),
		T(test_notify_gmap_never_mapped),
		T(test_notify_replace),
		T(test_notify_errors),
		T(test_notify_readonly_after_arm),
		T(test_close_with_live_mappings),
		T(test_parked_and_reclaim),
		T(test_limits),
		T(test_limit_zero),
		T(test_create_open_failures),
		T(test_fault_sweep),
#undef T
	};

	return (cmocka_run_group_tests_name("gntdev_core", tests, NULL, NULL));
}

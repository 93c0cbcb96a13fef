/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * White-box tests of the mmap offset allocator and of the AVL tree under
 * it.  The core is #included so that its static functions can be called.
 *
 * Free ranges are written (start page, length).  The space is [0, 2^52)
 * pages; FreeBSD's scheme takes the first free range in ascending order
 * that fits and carves the pages off its end:
 *
 *   fresh:        [0 ..................................... 2^52)
 *   alloc 1:      [0 .................................. 2^52-1) x
 *   alloc 2:      [0 ............................ 2^52-3) x x  x
 */

#include <stdlib.h>
#include <errno.h>

#include "test_util.h"
#include "gntdev_core.c"

#define	SPACE	(1ULL << 52)

struct range {
	uint64_t	start, len;
};

/* Check every AVL, order and augmentation invariant; returns the height. */
static int
check_node(const struct gntdev_tnode *n, const struct gntdev_tnode *parent,
    uint64_t *countp)
{
	int hl, hr;
	uint64_t m;

	if (n == NULL)
		return (0);
	assert_ptr_equal(n->parent, parent);
	if (n->left != NULL)
		assert_true(n->left->key < n->key);
	if (n->right != NULL)
		assert_true(n->right->key > n->key);
	hl = check_node(n->left, n, countp);
	hr = check_node(n->right, n, countp);
	assert_true(hl - hr <= 1 && hr - hl <= 1);
	assert_int_equal(n->height, 1 + (hl > hr ? hl : hr));
	m = n->val;
	if (n->left != NULL && n->left->maxval > m)
		m = n->left->maxval;
	if (n->right != NULL && n->right->maxval > m)
		m = n->right->maxval;
	assert_int_equal(n->maxval, m);
	(*countp)++;
	return (n->height);
}

static void
check_tree(const struct gntdev_tree *t)
{
	uint64_t count;

	count = 0;
	(void)check_node(t->root, NULL, &count);
	assert_int_equal(count, t->count);
}

/* The free ranges in order; also checks that they are disjoint, unmerged. */
static size_t
dump(struct gntdev_file *f, struct range *r, size_t max)
{
	struct gntdev_tnode *n;
	size_t i;

	check_tree(&f->free);
	i = 0;
	for (n = gntdev_tree_first(&f->free); n != NULL;
	    n = gntdev_tree_next(n)) {
		assert_true(i < max);
		assert_true(n->val > 0);
		if (i > 0)
			assert_true(r[i - 1].start + r[i - 1].len < n->key);
		r[i].start = n->key;
		r[i].len = n->val;
		i++;
	}
	return (i);
}

static void
expect(struct gntdev_file *f, const struct range *want, size_t n)
{
	struct range got[64];
	size_t i, k;

	k = dump(f, got, 64);
	assert_int_equal(k, n);
	for (i = 0; i < n; i++) {
		assert_int_equal(got[i].start, want[i].start);
		assert_int_equal(got[i].len, want[i].len);
	}
}

static uint64_t
xalloc(struct gntdev_file *f, uint64_t count)
{
	uint64_t page = 0;	/* -O3 cannot see that a failed assert ends the test */

	assert_int_equal(gntdev_off_alloc(f, count, &page), 0);
	return (page);
}

static void
xfree(struct gntdev_file *f, uint64_t page, uint64_t count)
{

	assert_int_equal(gntdev_off_prepare(f), 0);
	gntdev_off_free(f, page, count);
}

static void
test_fresh_and_top(void **state)
{
	struct fx *fx = *state;
	struct gntdev_file *f = fx->file;

	expect(f, (struct range[]){ { 0, SPACE } }, 1);
	assert_int_equal(xalloc(f, 1), SPACE - 1);
	assert_int_equal((SPACE - 1) << 12, TOP);
	assert_int_equal(xalloc(f, 2), SPACE - 3);
	assert_int_equal(xalloc(f, 5), SPACE - 8);
	expect(f, (struct range[]){ { 0, SPACE - 8 } }, 1);
	xfree(f, SPACE - 3, 2);
	expect(f, (struct range[]){ { 0, SPACE - 8 }, { SPACE - 3, 2 } }, 2);
	/* The low range fits first, so the hole is not reused yet. */
	assert_int_equal(xalloc(f, 2), SPACE - 10);
	xfree(f, SPACE - 10, 2);
	xfree(f, SPACE - 8, 5);
	xfree(f, SPACE - 1, 1);
	expect(f, (struct range[]){ { 0, SPACE } }, 1);
}

static void
test_merge_cases(void **state)
{
	struct fx *fx = *state;
	struct gntdev_file *f = fx->file;
	uint64_t a, b, c;

	a = xalloc(f, 1);	/* SPACE-1 */
	b = xalloc(f, 2);	/* SPACE-3 */
	c = xalloc(f, 1);	/* SPACE-4 */
	/* Isolated: a new range. */
	xfree(f, a, 1);
	expect(f, (struct range[]){ { 0, c }, { a, 1 } }, 2);
	/* Right neighbour only: its start moves down. */
	xfree(f, b, 2);
	expect(f, (struct range[]){ { 0, c }, { b, 3 } }, 2);
	/* Both neighbours: one range. */
	xfree(f, c, 1);
	expect(f, (struct range[]){ { 0, SPACE } }, 1);

	a = xalloc(f, 1);
	b = xalloc(f, 2);
	c = xalloc(f, 1);
	/* Left neighbour only. */
	xfree(f, c, 1);
	expect(f, (struct range[]){ { 0, b } }, 1);
	xfree(f, b, 1);
	expect(f, (struct range[]){ { 0, b + 1 } }, 1);
	xfree(f, a, 1);
	expect(f, (struct range[]){ { 0, b + 1 }, { a, 1 } }, 2);
	xfree(f, b + 1, 1);
	expect(f, (struct range[]){ { 0, SPACE } }, 1);
}

static void
test_first_fit_order(void **state)
{
	struct fx *fx = *state;
	struct gntdev_file *f = fx->file;

	/* Take everything, then free (0,2), (100,5), (200,10), (1000,3). */
	assert_int_equal(xalloc(f, SPACE), 0);
	expect(f, NULL, 0);
	xfree(f, 200, 10);
	xfree(f, 0, 2);
	xfree(f, 1000, 3);
	xfree(f, 100, 5);
	expect(f, (struct range[]){ { 0, 2 }, { 100, 5 }, { 200, 10 },
	    { 1000, 3 } }, 4);
	assert_int_equal(xalloc(f, 1), 1);
	assert_int_equal(xalloc(f, 4), 101);
	assert_int_equal(xalloc(f, 6), 204);
	assert_int_equal(xalloc(f, 3), 201);
	/* (0,1) (100,1) (200,1) (1000,3): 2 pages only fit at 1000. */
	assert_int_equal(xalloc(f, 2), 1001);
	expect(f, (struct range[]){ { 0, 1 }, { 100, 1 }, { 200, 1 },
	    { 1000, 1 } }, 4);
	{
		uint64_t p;

		assert_int_equal(gntdev_off_alloc(f, 2, &p), ENOSPC);
	}
	/* Give everything back in a scattered order. */
	xfree(f, 1001, 2);
	xfree(f, 201, 3);
	xfree(f, 101, 4);
	xfree(f, 204, 6);
	xfree(f, 1, 1);
	xfree(f, 2, 98);
	xfree(f, 105, 95);
	xfree(f, 210, 790);
	xfree(f, 1003, SPACE - 1003);
	expect(f, (struct range[]){ { 0, SPACE } }, 1);
}

static void
test_exhaustion(void **state)
{
	struct fx *fx = *state;
	struct gntdev_file *f = fx->file;
	uint64_t p;

	assert_int_equal(xalloc(f, SPACE - 1), 1);
	assert_int_equal(gntdev_off_alloc(f, 2, &p), ENOSPC);
	assert_int_equal(xalloc(f, 1), 0);
	assert_int_equal(gntdev_off_alloc(f, 1, &p), ENOSPC);
	assert_int_equal(f->free.count, 0);
	xfree(f, 0, 1);
	xfree(f, 1, SPACE - 1);
	expect(f, (struct range[]){ { 0, SPACE } }, 1);
	assert_int_equal(gntdev_off_alloc(f, SPACE + 1, &p), ENOSPC);
	assert_int_equal(gntdev_off_alloc(f, ~0ULL, &p), ENOSPC);
}

/* A full offset space fails both ALLOC and MAP with ENOSPC, cleanly. */
static void
test_exhaustion_ioctl(void **state)
{
	struct fx *fx = *state;
	struct gntdev_file *f = fx->file;

	assert_int_equal(xalloc(f, SPACE), 0);
	fill_refs(fx->refs, 2, 1, 1);
	assert_int_equal(do_alloc(f, 1, 1, 2, fx->ids, NULL), ENOSPC);
	assert_int_equal(do_map(f, 2, fx->refs, NULL), ENOSPC);
	assert_int_equal(fake_count(FAKE_PAGE_ALLOC), 0);
	fx_assert_clean_open(fx);
	xfree(f, 0, SPACE);
	expect(f, (struct range[]){ { 0, SPACE } }, 1);
}

static void
test_missing_spare_is_defensive(void **state)
{
	struct fx *fx = *state;
	struct gntdev_file *f = fx->file;
	uint64_t a, b;

	a = xalloc(f, 1);
	b = xalloc(f, 1);
	(void)b;
	/* Never happens (callers prepare); the free is dropped, not a crash. */
	gntdev_os_free(f->spare);
	f->spare = NULL;
	gntdev_off_free(f, a, 1);
	expect(f, (struct range[]){ { 0, b } }, 1);
}

static void
test_index_to_page(void **state)
{
	uint64_t p;

	(void)state;
	assert_true(gntdev_index_to_page(TOP, 1, &p));
	assert_int_equal(p, SPACE - 1);
	assert_false(gntdev_index_to_page(TOP, 2, &p));
	assert_false(gntdev_index_to_page(TOP + 1, 1, &p));
	assert_false(gntdev_index_to_page(~0ULL, 1, &p));
	assert_true(gntdev_index_to_page(0, SPACE, &p));
	assert_false(gntdev_index_to_page(0, SPACE + 1, &p));
	assert_false(gntdev_index_to_page(PG, SPACE, &p));
	assert_false(gntdev_index_to_page(0, ~0ULL, &p));
	assert_true(gntdev_index_to_page(TOP - 0xFFFFULL * PG, 0x10000, &p));
	assert_false(gntdev_index_to_page(TOP - 0xFFFFULL * PG, 0x10001, &p));
}

/* Array sizes that do not fit a size_t are refused, not wrapped. */
static void
test_malloc_array_overflow(void **state)
{
	uint64_t c0;
	void *p;

	(void)state;
	c0 = fake_calls(FAKE_MALLOC);
	assert_null(gntdev_malloc_array(~0ULL, 8));
	assert_null(gntdev_malloc_array((uint64_t)((size_t)-1 / 4) + 1, 4));
	assert_int_equal(fake_calls(FAKE_MALLOC), c0);
	p = gntdev_malloc_array(3, 4);
	assert_non_null(p);
	gntdev_os_free(p);
}

/* A deterministic generator, so a failure can be replayed. */
static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static uint64_t
rng(void)
{

	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (rng_state);
}

/*
 * Random allocations and frees checked against a plain model: a sorted
 * array of free ranges with the same first-fit, carve-from-the-end rule.
 */
#define	MODEL_MAX	4096

static struct range model[MODEL_MAX];
static size_t nmodel;

static int
model_alloc(uint64_t count, uint64_t *pagep)
{
	size_t i;

	for (i = 0; i < nmodel; i++) {
		if (model[i].len < count)
			continue;
		model[i].len -= count;
		*pagep = model[i].start + model[i].len;
		if (model[i].len == 0) {
			memmove(&model[i], &model[i + 1],
			    (nmodel - i - 1) * sizeof(model[0]));
			nmodel--;
		}
		return (0);
	}
	return (ENOSPC);
}

static void
model_free(uint64_t page, uint64_t count)
{
	size_t i;

	for (i = 0; i < nmodel && model[i].start < page; i++)
		;
	memmove(&model[i + 1], &model[i], (nmodel - i) * sizeof(model[0]));
	model[i].start = page;
	model[i].len = count;
	nmodel++;
	if (i + 1 < nmodel && page + count == model[i + 1].start) {
		model[i].len += model[i + 1].len;
		memmove(&model[i + 1], &model[i + 2],
		    (nmodel - i - 2) * sizeof(model[0]));
		nmodel--;
	}
	if (i > 0 && model[i - 1].start + model[i - 1].len == page) {
		model[i - 1].len += model[i].len;
		memmove(&model[i], &model[i + 1],
		    (nmodel - i - 1) * sizeof(model[0]));
		nmodel--;
	}
}

static void
test_random_against_model(void **state)
{
	struct fx *fx = *state;
	struct gntdev_file *f = fx->file;
	static struct range live[MODEL_MAX];
	struct range got[MODEL_MAX / 2];
	size_t nlive, i, k, step;
	uint64_t count, p, q;
	int e1, e2;

	/* Work in a small window so that holes get reused and merged. */
	assert_int_equal(xalloc(f, SPACE - 3000), 3000);
	nmodel = 1;
	model[0] = (struct range){ 0, 3000 };
	nlive = 0;
	for (step = 0; step < 20000; step++) {
		if (nlive == 0 || (rng() % 3 != 0 && nlive < MODEL_MAX / 4)) {
			count = 1 + rng() % (rng() % 8 == 0 ? 200 : 8);
			e1 = gntdev_off_alloc(f, count, &p);
			e2 = model_alloc(count, &q);
			assert_int_equal(e1, e2);
			if (e1 == 0) {
				assert_int_equal(p, q);
				live[nlive++] = (struct range){ p, count };
			}
		} else {
			i = rng() % nlive;
			xfree(f, live[i].start, live[i].len);
			model_free(live[i].start, live[i].len);
			live[i] = live[--nlive];
		}
		if (step % 97 == 0 || step > 19900) {
			k = dump(f, got, MODEL_MAX / 2);
			assert_int_equal(k, nmodel);
			for (i = 0; i < k; i++) {
				assert_int_equal(got[i].start, model[i].start);
				assert_int_equal(got[i].len, model[i].len);
			}
		}
	}
	while (nlive > 0) {
		nlive--;
		xfree(f, live[nlive].start, live[nlive].len);
	}
	xfree(f, 3000, SPACE - 3000);
	expect(f, (struct range[]){ { 0, SPACE } }, 1);
}

/* The tree alone: random inserts and removes against a brute-force set. */
static void
test_tree_random(void **state)
{
	enum { N = 2000 };
	static struct gntdev_tnode nodes[N];
	static bool in[N];
	struct gntdev_tree t;
	struct gntdev_tnode *n, *best;
	size_t i, j, step;
	uint64_t key;

	(void)state;
	gntdev_tree_init(&t);
	assert_null(gntdev_tree_first(&t));
	assert_null(gntdev_tree_take_leaf(&t));
	assert_null(gntdev_tree_first_fit(&t, 0));
	memset(in, 0, sizeof(in));
	for (step = 0; step < 30000; step++) {
		i = rng() % N;
		if (!in[i]) {
			/* Keys spread over the whole 64-bit range. */
			nodes[i].key = ((uint64_t)i << 52) ^ (i * 0x9E37ULL) ^
			    (i & 1 ? 0x8000000000000000ULL : 0);
			nodes[i].val = rng() % 1000;
			gntdev_tree_insert(&t, &nodes[i]);
			in[i] = true;
		} else {
			gntdev_tree_remove(&t, &nodes[i]);
			in[i] = false;
		}
		if (step % 251 != 0)
			continue;
		check_tree(&t);
		key = rng();
		for (j = 0; j < 2; j++) {
			/* le: greatest key <= key. */
			best = NULL;
			for (i = 0; i < N; i++)
				if (in[i] && nodes[i].key <= key &&
				    (best == NULL || nodes[i].key > best->key))
					best = &nodes[i];
			assert_ptr_equal(gntdev_tree_le(&t, key), best);
			best = NULL;
			for (i = 0; i < N; i++)
				if (in[i] && nodes[i].key >= key &&
				    (best == NULL || nodes[i].key < best->key))
					best = &nodes[i];
			assert_ptr_equal(gntdev_tree_ge(&t, key), best);
			if (best != NULL) {
				key = best->key;
				assert_ptr_equal(gntdev_tree_find(&t, key), best);
			}
		}
		/* first_fit: the smallest key whose val >= v. */
		key = rng() % 1100;
		best = NULL;
		for (i = 0; i < N; i++)
			if (in[i] && nodes[i].val >= key &&
			    (best == NULL || nodes[i].key < best->key))
				best = &nodes[i];
		assert_ptr_equal(gntdev_tree_first_fit(&t, key), best);
		/* In-order walk is sorted and complete. */
		j = 0;
		for (n = gntdev_tree_first(&t); n != NULL;
		    n = gntdev_tree_next(n)) {
			if (gntdev_tree_next(n) != NULL)
				assert_true(gntdev_tree_next(n)->key > n->key);
			j++;
		}
		assert_int_equal(j, t.count);
	}
	assert_null(gntdev_tree_find(&t, 12345));
	j = 0;
	while (gntdev_tree_take_leaf(&t) != NULL)
		j++;
	assert_int_equal(t.count, 0);
	assert_null(t.root);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define	T(f)	cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
		T(test_fresh_and_top),
		T(test_merge_cases),
		T(test_first_fit_order),
		T(test_exhaustion),
		T(test_exhaustion_ioctl),
		T(test_missing_spare_is_defensive),
		T(test_index_to_page),
		T(test_malloc_array_overflow),
		T(test_random_against_model),
		T(test_tree_random),
#undef T
	};

	return (cmocka_run_group_tests_name("gntdev_offsets", tests, NULL,
	    NULL));
}

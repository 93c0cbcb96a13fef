/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Augmented AVL tree for the gntdev core; see gntdev_tree.h.
 *
 * Rebalancing walks from the changed node up to the root, recomputing the
 * height and the subtree maximum of every node on the way.  The walk always
 * goes to the root (instead of stopping once the height is unchanged)
 * because the maxima above may still change; that is O(log n) anyway.
 */

#include "gntdev_tree.h"

#ifndef NULL
#define	NULL	((void *)0)
#endif

static int
gntdev_tree_height(const struct gntdev_tnode *n)
{

	return (n != NULL ? n->height : 0);
}

static uint64_t
gntdev_tree_maxval(const struct gntdev_tnode *n)
{

	return (n != NULL ? n->maxval : 0);
}

/* Recompute height and subtree maximum of `n` from its children. */
static void
gntdev_tree_fix(struct gntdev_tnode *n)
{
	int hl, hr;
	uint64_t m, ml, mr;

	hl = gntdev_tree_height(n->left);
	hr = gntdev_tree_height(n->right);
	n->height = 1 + (hl > hr ? hl : hr);
	m = n->val;
	ml = gntdev_tree_maxval(n->left);
	mr = gntdev_tree_maxval(n->right);
	if (ml > m)
		m = ml;
	if (mr > m)
		m = mr;
	n->maxval = m;
}

/* Make `parent` (or the root when parent is NULL) point at `new` for `old`. */
static void
gntdev_tree_relink(struct gntdev_tree *tree, struct gntdev_tnode *parent,
    struct gntdev_tnode *old, struct gntdev_tnode *new)
{

	if (parent == NULL)
		tree->root = new;
	else if (parent->left == old)
		parent->left = new;
	else
		parent->right = new;
	if (new != NULL)
		new->parent = parent;
}

static struct gntdev_tnode *
gntdev_tree_rotate_left(struct gntdev_tree *tree, struct gntdev_tnode *x)
{
	struct gntdev_tnode *y;

	y = x->right;
	x->right = y->left;
	if (y->left != NULL)
		y->left->parent = x;
	gntdev_tree_relink(tree, x->parent, x, y);
	y->left = x;
	x->parent = y;
	gntdev_tree_fix(x);
	gntdev_tree_fix(y);
	return (y);
}

static struct gntdev_tnode *
gntdev_tree_rotate_right(struct gntdev_tree *tree, struct gntdev_tnode *x)
{
	struct gntdev_tnode *y;

	y = x->left;
	x->left = y->right;
	if (y->right != NULL)
		y->right->parent = x;
	gntdev_tree_relink(tree, x->parent, x, y);
	y->right = x;
	x->parent = y;
	gntdev_tree_fix(x);
	gntdev_tree_fix(y);
	return (y);
}

/* Restore the AVL property and the maxima from `n` up to the root. */
static void
gntdev_tree_rebalance(struct gntdev_tree *tree, struct gntdev_tnode *n)
{
	int bal;

	while (n != NULL) {
		gntdev_tree_fix(n);
		bal = gntdev_tree_height(n->left) - gntdev_tree_height(n->right);
		if (bal > 1) {
			if (gntdev_tree_height(n->left->left) <
			    gntdev_tree_height(n->left->right))
				(void)gntdev_tree_rotate_left(tree, n->left);
			n = gntdev_tree_rotate_right(tree, n);
		} else if (bal < -1) {
			if (gntdev_tree_height(n->right->right) <
			    gntdev_tree_height(n->right->left))
				(void)gntdev_tree_rotate_right(tree, n->right);
			n = gntdev_tree_rotate_left(tree, n);
		}
		n = n->parent;
	}
}

void
gntdev_tree_init(struct gntdev_tree *tree)
{

	tree->root = NULL;
	tree->count = 0;
}

void
gntdev_tree_insert(struct gntdev_tree *tree, struct gntdev_tnode *node)
{
	struct gntdev_tnode *p, **link;

	p = NULL;
	link = &tree->root;
	while (*link != NULL) {
		p = *link;
		if (node->key < p->key)
			link = &p->left;
		else
			link = &p->right;
	}
	node->left = node->right = NULL;
	node->parent = p;
	*link = node;
	tree->count++;
	gntdev_tree_rebalance(tree, node);
}

void
gntdev_tree_remove(struct gntdev_tree *tree, struct gntdev_tnode *n)
{
	struct gntdev_tnode *child, *s, *start;

	if (n->left != NULL && n->right != NULL) {
		/* Put the in-order successor `s` (no left child) in n's place. */
		s = n->right;
		while (s->left != NULL)
			s = s->left;
		if (s->parent == n) {
			start = s;
		} else {
			start = s->parent;
			start->left = s->right;
			if (s->right != NULL)
				s->right->parent = start;
			s->right = n->right;
			s->right->parent = s;
		}
		s->left = n->left;
		s->left->parent = s;
		gntdev_tree_relink(tree, n->parent, n, s);
	} else {
		child = n->left != NULL ? n->left : n->right;
		start = n->parent;
		gntdev_tree_relink(tree, n->parent, n, child);
	}
	n->left = n->right = n->parent = NULL;
	tree->count--;
	gntdev_tree_rebalance(tree, start);
}

void
gntdev_tree_update(struct gntdev_tnode *node)
{

	for (; node != NULL; node = node->parent)
		gntdev_tree_fix(node);
}

struct gntdev_tnode *
gntdev_tree_find(const struct gntdev_tree *tree, uint64_t key)
{
	struct gntdev_tnode *n;

	n = tree->root;
	while (n != NULL && n->key != key)
		n = key < n->key ? n->left : n->right;
	return (n);
}

struct gntdev_tnode *
gntdev_tree_le(const struct gntdev_tree *tree, uint64_t key)
{
	struct gntdev_tnode *n, *best;

	best = NULL;
	n = tree->root;
	while (n != NULL) {
		if (n->key > key) {
			n = n->left;
		} else {
			best = n;
			n = n->right;
		}
	}
	return (best);
}

struct gntdev_tnode *
gntdev_tree_ge(const struct gntdev_tree *tree, uint64_t key)
{
	struct gntdev_tnode *n, *best;

	best = NULL;
	n = tree->root;
	while (n != NULL) {
		if (n->key < key) {
			n = n->right;
		} else {
			best = n;
			n = n->left;
		}
	}
	return (best);
}

struct gntdev_tnode *
gntdev_tree_first(const struct gntdev_tree *tree)
{
	struct gntdev_tnode *n;

	n = tree->root;
	if (n == NULL)
		return (NULL);
	while (n->left != NULL)
		n = n->left;
	return (n);
}

struct gntdev_tnode *
gntdev_tree_next(const struct gntdev_tnode *n)
{
	const struct gntdev_tnode *p;

	if (n->right != NULL) {
		n = n->right;
		while (n->left != NULL)
			n = n->left;
		return ((struct gntdev_tnode *)(uintptr_t)n);
	}
	p = n->parent;
	while (p != NULL && p->right == n) {
		n = p;
		p = p->parent;
	}
	return ((struct gntdev_tnode *)(uintptr_t)p);
}

struct gntdev_tnode *
gntdev_tree_first_fit(const struct gntdev_tree *tree, uint64_t val)
{
	struct gntdev_tnode *n;

	n = tree->root;
	if (n == NULL || n->maxval < val)
		return (NULL);
	/*
	 * Invariant: the subtree at n holds a fit.  Prefer the left subtree
	 * (smaller keys), then n itself; otherwise the fit must be on the
	 * right.
	 */
	for (;;) {
		if (n->left != NULL && n->left->maxval >= val)
			n = n->left;
		else if (n->val >= val)
			return (n);
		else
			n = n->right;
	}
}

struct gntdev_tnode *
gntdev_tree_take_leaf(struct gntdev_tree *tree)
{
	struct gntdev_tnode *n;

	n = tree->root;
	if (n == NULL)
		return (NULL);
	while (n->left != NULL || n->right != NULL)
		n = n->left != NULL ? n->left : n->right;
	gntdev_tree_relink(tree, n->parent, n, NULL);
	n->parent = NULL;
	tree->count--;
	return (n);
}

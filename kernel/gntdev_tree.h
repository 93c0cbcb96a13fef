/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Intrusive AVL tree with parent pointers, keyed by a 64-bit unsigned key,
 * private to the gntdev core.
 *
 * Each node also carries a value and the maximum value of its subtree, so
 * that "the first node in key order whose value is at least v" is found by
 * one descent (the mmap offset allocator stores free-range lengths there).
 * Trees that do not need it leave the value at 0.
 *
 * Every operation is O(log n), iterative, and allocates nothing: the caller
 * owns the memory of the nodes.  Keys are compared with < and >, never by
 * subtraction.  Locking is the caller's business.
 */

#ifndef _GNTDEV_TREE_H_
#define	_GNTDEV_TREE_H_

#ifdef _KERNEL
#include <sys/types.h>
#else
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#endif

struct gntdev_tnode {
	struct gntdev_tnode	*left;
	struct gntdev_tnode	*right;
	struct gntdev_tnode	*parent;
	uint64_t		 key;
	uint64_t		 val;
	uint64_t		 maxval;	/* max of val over the subtree */
	int			 height;	/* 1 for a leaf */
};

struct gntdev_tree {
	struct gntdev_tnode	*root;
	uint64_t		 count;
};

void	gntdev_tree_init(struct gntdev_tree *tree);
/* Insert `node` (key and val set by the caller; keys must be unique). */
void	gntdev_tree_insert(struct gntdev_tree *tree, struct gntdev_tnode *node);
void	gntdev_tree_remove(struct gntdev_tree *tree, struct gntdev_tnode *node);
/*
 * The caller changed node->val, or node->key without moving the node past
 * any neighbour in key order: recompute the subtree maxima above it.
 */
void	gntdev_tree_update(struct gntdev_tnode *node);

struct gntdev_tnode *gntdev_tree_find(const struct gntdev_tree *tree,
	    uint64_t key);
/* Greatest key <= `key`, smallest key >= `key`; NULL when none. */
struct gntdev_tnode *gntdev_tree_le(const struct gntdev_tree *tree,
	    uint64_t key);
struct gntdev_tnode *gntdev_tree_ge(const struct gntdev_tree *tree,
	    uint64_t key);
struct gntdev_tnode *gntdev_tree_first(const struct gntdev_tree *tree);
struct gntdev_tnode *gntdev_tree_next(const struct gntdev_tnode *node);
/* First node in key order with val >= `val`; NULL when none. */
struct gntdev_tnode *gntdev_tree_first_fit(const struct gntdev_tree *tree,
	    uint64_t val);
/*
 * Teardown: unlink and return some leaf, without rebalancing.  Only for
 * emptying a tree that is being destroyed; other operations must not be
 * mixed in.  NULL when the tree is empty.
 */
struct gntdev_tnode *gntdev_tree_take_leaf(struct gntdev_tree *tree);

#endif /* !_GNTDEV_TREE_H_ */

/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * OS-neutral core of /dev/xen/gntdev.  See gntdev_core.h for the contract
 * and gntdev_os.h for the services it uses.
 *
 * Records.
 *   - struct gntdev_gref: one shared page (ALLOC_GREF).  Its `users` count
 *     is 1 while it is in its file's gref tree, plus 1 for every shared
 *     mapping that covers it.  At 0 it is released: notification, revoke,
 *     free (or park, while the peer still maps it).
 *   - struct gntdev_gmap: one foreign grant map (MAP_GRANT_REF).  `refs` is
 *     1 while it is in its file, plus 1 per mapping reference.  Its mapping
 *     object is embedded, so every mmap of one map shares one cookie.
 *   - struct gntdev_mapping (shared kind): one mmap of shared pages, with a
 *     reference count of its own and an array of the grefs it covers.
 *
 * Locking.
 *   - file->sx protects the file's trees (grefs, gmaps by index and by
 *     address, free offsets), the `in_file` state of its records, their
 *     notifications and the mapping state of its gmaps.  Taken by ioctl,
 *     mmap and close, never by a mapping release.
 *   - core->mtx protects every reference count (gref users, gmap refs,
 *     shared mapping refs), the parked list, the counters and the limits.
 *     It is held only for short stretches and never across a gntdev_os_*
 *     call other than the lock calls, so nothing sleeps under it.
 *   A record whose count drops to 0 is no longer reachable from any file,
 *   so whoever dropped it owns it and tears it down without locks.
 */

#include "gntdev_os.h"
#include "gntdev_core.h"
#include "gntdev.h"
#include "gntdev_tree.h"

#ifdef _KERNEL
#include <sys/errno.h>
#else
#include <errno.h>
#endif

#ifndef NULL
#define	NULL	((void *)0)
#endif

/* The file-offset space: 2^64 bytes, i.e. 2^52 pages. */
#define	GNTDEV_OFF_PAGES	(1ULL << (64 - GNTDEV_PAGE_SHIFT))
#define	GNTDEV_PAGE_MASK	((uint64_t)GNTDEV_PAGE_SIZE - 1)
#define	GNTDEV_U32_MAX		0xffffffffU
#define	GNTDEV_NOTIFY_ACTIONS	(UNMAP_NOTIFY_CLEAR_BYTE | UNMAP_NOTIFY_SEND_EVENT)
#define	GNTDEV_EAGAIN_MAX_MS	256U
#define	GNTDEV_COPYIN_CHUNK	32	/* grant refs copied in per call */

#define	GNTDEV_CONTAINER(ptr, type, member)				\
	((type *)(void *)((char *)(ptr) - __builtin_offsetof(type, member)))

/* An armed unmap notification. */
struct gntdev_notify {
	uint32_t		 action;	/* UNMAP_NOTIFY_*; 0: none */
	uint32_t		 page;		/* page of the byte (gmap only) */
	uint32_t		 offset;	/* byte within that page */
	struct gntdev_os_evtchn	*ev;		/* with SEND_EVENT */
};

struct gntdev_gref {
	struct gntdev_tnode	 node;		/* file gref tree, key = page */
	struct gntdev_gref	*next;		/* parked or work list */
	struct gntdev_os_page	*page;
	uint32_t		 ref;
	bool			 granted;
	bool			 in_file;
	uint32_t		 users;		/* core mtx */
	struct gntdev_notify	 notify;
};

struct gntdev_mapping {
	struct gntdev_core	*core;
	bool			 foreign;
	bool			 readonly;
	uint32_t		 npages;
	uint64_t		 page;		/* first page of the mmap offset */
	/* Shared kind only. */
	uint32_t		 refs;		/* core mtx */
	struct gntdev_file	*file;		/* core mtx; NULL once closed */
	struct gntdev_mapping	*fprev, *fnext;	/* file's shared mappings */
	struct gntdev_gref	**grefs;
};

struct gntdev_gmap {
	struct gntdev_mapping	 mapping;	/* first: the cookie */
	struct gntdev_tnode	 node;		/* file gmap tree, key = page */
	struct gntdev_tnode	 anode;		/* file address tree */
	struct gntdev_gmap	*next;		/* work list */
	struct gntdev_file	*file;		/* valid while in_file */
	uint32_t		 count;
	uint32_t		 refs;		/* core mtx */
	bool			 in_file;	/* file sx and core mtx */
	bool			 mapped;
	struct gntdev_map_op	*ops;
	struct gntdev_os_region	*region;
	struct gntdev_notify	 notify;
};

struct gntdev_core {
	void			*os;
	struct gntdev_os_mutex	*mtx;
	struct gntdev_limits	 lim;
	struct gntdev_stats	 st;
	struct gntdev_gref	*parked;	/* revoked, peer still maps */
};

struct gntdev_file {
	struct gntdev_core	*core;
	void			*os_file;
	struct gntdev_os_sxlock	*sx;
	struct gntdev_tree	 grefs;
	struct gntdev_tree	 gmaps;
	struct gntdev_tree	 gmaps_by_addr;
	struct gntdev_tree	 free;		/* free offset ranges, in pages */
	struct gntdev_tnode	*spare;		/* node for the next free */
	struct gntdev_mapping	*shmaps;	/* core mtx */
	struct gntdev_stats	 st;		/* sx, except mappings: mtx */
};

/* Work collected under a lock and done after it is dropped. */
struct gntdev_work {
	struct gntdev_gref	*grefs;
	struct gntdev_gmap	*gmaps;
};

/*
 * ------------------------------------------------------------------
 * Small helpers
 * ------------------------------------------------------------------
 */

static void
gntdev_lock(struct gntdev_core *core)
{

	gntdev_os_mutex_lock(core->mtx);
}

static void
gntdev_unlock(struct gntdev_core *core)
{

	gntdev_os_mutex_unlock(core->mtx);
}

/*
 * Zeroed array of `n` elements of `size` bytes; NULL when out of memory or
 * when the size does not fit a size_t (32-bit kernels with large limits).
 */
static void *
gntdev_malloc_array(uint64_t n, size_t size)
{

	if (n > (size_t)-1 / size)
		return (NULL);
	return (gntdev_os_malloc((size_t)n * size));
}

static void
gntdev_get_lim(struct gntdev_core *core, struct gntdev_limits *lim)
{

	gntdev_lock(core);
	*lim = core->lim;
	gntdev_unlock(core);
}

/* A count is valid for one request when 1 <= count <= max_pages_per_ioctl. */
static bool
gntdev_count_ok(const struct gntdev_limits *lim, uint64_t count)
{

	return (count != 0 && count <= lim->max_pages_per_ioctl);
}

/*
 * Turn a byte index from user space into a page number such that
 * [page, page + count) lies inside the offset space.  False when the index
 * is not page-aligned or the range would run past 2^64 bytes.
 */
static bool
gntdev_index_to_page(uint64_t index, uint64_t count, uint64_t *pagep)
{
	uint64_t page;

	if ((index & GNTDEV_PAGE_MASK) != 0)
		return (false);
	page = index >> GNTDEV_PAGE_SHIFT;
	if (count > GNTDEV_OFF_PAGES - page)
		return (false);
	*pagep = page;
	return (true);
}

/*
 * Reserve `count` pages against the per-file and global limits.  Caller
 * holds the file sx.
 */
static int
gntdev_account(struct gntdev_file *file, const struct gntdev_limits *lim,
    uint32_t count)
{
	struct gntdev_core *core;
	int error;

	core = file->core;
	if ((uint64_t)file->st.pages_accounted + count > lim->max_pages_per_file)
		return (ENOSPC);
	error = 0;
	gntdev_lock(core);
	if ((uint64_t)core->st.pages_accounted + count > core->lim.max_pages_global)
		error = ENOSPC;
	else
		core->st.pages_accounted += count;
	gntdev_unlock(core);
	if (error == 0)
		file->st.pages_accounted += count;
	return (error);
}

/* Give back pages of the global reservation.  Caller holds core->mtx. */
static void
gntdev_unaccount_locked(struct gntdev_core *core, uint32_t count)
{

	core->st.pages_accounted -= count;
}

/* Undo gntdev_account() whole.  Caller holds the file sx. */
static void
gntdev_unaccount(struct gntdev_file *file, uint32_t count)
{

	file->st.pages_accounted -= count;
	gntdev_lock(file->core);
	gntdev_unaccount_locked(file->core, count);
	gntdev_unlock(file->core);
}

/*
 * ------------------------------------------------------------------
 * mmap offset allocator
 *
 * A set of free page ranges in file->free, keyed by start page, each node
 * carrying its length as the augmented value.  Allocation takes the first
 * range in ascending order that is long enough and carves the pages off its
 * end, as FreeBSD's driver does, so user space sees the same indices.
 * Freeing merges with the neighbours.  Allocating never needs memory;
 * freeing needs at most one node, which callers secure beforehand with
 * gntdev_off_prepare() so that a free can never fail and lose offsets.
 * ------------------------------------------------------------------
 */

static int
gntdev_off_prepare(struct gntdev_file *file)
{

	if (file->spare == NULL) {
		file->spare = gntdev_os_malloc(sizeof(*file->spare));
		if (file->spare == NULL)
			return (ENOMEM);
	}
	return (0);
}

static void
gntdev_off_discard(struct gntdev_file *file, struct gntdev_tnode *n)
{

	if (file->spare == NULL)
		file->spare = n;
	else
		gntdev_os_free(n);
}

static int
gntdev_off_alloc(struct gntdev_file *file, uint64_t count, uint64_t *pagep)
{
	struct gntdev_tnode *n;

	n = gntdev_tree_first_fit(&file->free, count);
	if (n == NULL)
		return (ENOSPC);
	n->val -= count;
	*pagep = n->key + n->val;
	if (n->val == 0) {
		gntdev_tree_remove(&file->free, n);
		gntdev_off_discard(file, n);
	} else
		gntdev_tree_update(n);
	return (0);
}

static void
gntdev_off_free(struct gntdev_file *file, uint64_t page, uint64_t count)
{
	struct gntdev_tnode *l, *r, *n;
	bool ml, mr;

	l = gntdev_tree_le(&file->free, page);
	r = gntdev_tree_ge(&file->free, page + count);
	ml = l != NULL && l->key + l->val == page;
	mr = r != NULL && r->key == page + count;
	if (ml && mr) {
		l->val += count + r->val;
		gntdev_tree_remove(&file->free, r);
		gntdev_off_discard(file, r);
		gntdev_tree_update(l);
	} else if (ml) {
		l->val += count;
		gntdev_tree_update(l);
	} else if (mr) {
		/* Moving the start down keeps r between l and its successor. */
		r->key = page;
		r->val += count;
		gntdev_tree_update(r);
	} else {
		n = file->spare;
		file->spare = NULL;
		/* gntdev_off_prepare() guarantees a spare node here. */
		if (n == NULL)
			return;
		n->key = page;
		n->val = count;
		gntdev_tree_insert(&file->free, n);
	}
}

/*
 * ------------------------------------------------------------------
 * Notifications
 * ------------------------------------------------------------------
 */

/*
 * Install `new` as the notification of a record in the file, replacing the
 * old one.  The old event reference, if any, is returned in *oldevp for the
 * caller to put after dropping its locks.
 */
static void
gntdev_notify_set(struct gntdev_file *file, struct gntdev_notify *cur,
    const struct gntdev_notify *new, struct gntdev_os_evtchn **oldevp)
{
	struct gntdev_core *core;
	int delta;

	core = file->core;
	*oldevp = cur->ev;
	delta = (new->action != 0) - (cur->action != 0);
	*cur = *new;
	file->st.notifies += delta;
	gntdev_lock(core);
	core->st.notifies += delta;
	gntdev_unlock(core);
}

/* Send the event of a firing notification and drop its reference. */
static void
gntdev_notify_event(struct gntdev_core *core, struct gntdev_notify *n)
{

	if (n->ev != NULL) {
		gntdev_os_evtchn_notify(core->os, n->ev);
		gntdev_os_evtchn_put(core->os, n->ev);
		n->ev = NULL;
	}
	if (n->action != 0) {
		n->action = 0;
		gntdev_lock(core);
		core->st.notifies--;
		gntdev_unlock(core);
	}
}

/*
 * ------------------------------------------------------------------
 * Shared pages
 * ------------------------------------------------------------------
 */

/* Free a gref record whose grant is gone (or was never made). */
static void
gntdev_gref_free(struct gntdev_core *core, struct gntdev_gref *gref)
{

	if (gref->page != NULL)
		gntdev_os_page_free(core->os, gref->page);
	gntdev_os_free(gref);
}

/*
 * Revoke the grant of a page nobody of ours uses any more (if it was ever
 * granted), then free it; if the peer still maps it, park it instead so
 * that the page is never reused while a foreign domain can see it.  `live`
 * says the page was counted in shared_pages.  The page stays accounted
 * against the global limit until freed.
 */
static void
gntdev_gref_revoke(struct gntdev_core *core, struct gntdev_gref *gref,
    bool live)
{
	uint32_t interval;
	int error;

	error = 0;
	if (gref->granted)
		error = gntdev_os_end_access(core->os, gref->ref);
	gntdev_lock(core);
	if (live)
		core->st.shared_pages--;
	if (error == 0) {
		gntdev_unaccount_locked(core, 1);
		gntdev_unlock(core);
		gntdev_gref_free(core, gref);
		return;
	}
	/* EBUSY, or anything else: we cannot prove the peer let go. */
	gref->next = core->parked;
	core->parked = gref;
	core->st.parked_pages++;
	interval = core->lim.reclaim_interval_ms;
	gntdev_unlock(core);
	gntdev_os_reclaim_schedule(core->os, interval);
}

/* Last user gone: fire the notification (byte, then event), then revoke. */
static void
gntdev_gref_release(struct gntdev_core *core, struct gntdev_gref *gref)
{

	if ((gref->notify.action & UNMAP_NOTIFY_CLEAR_BYTE) != 0)
		gntdev_os_page_clear_byte(core->os, gref->page,
		    gref->notify.offset);
	gntdev_notify_event(core, &gref->notify);
	gntdev_gref_revoke(core, gref, true);
}

/* Drop one user of `gref`; queue it on `w` if that was the last.  mtx held. */
static void
gntdev_gref_drop_locked(struct gntdev_gref *gref, struct gntdev_work *w)
{

	if (--gref->users == 0) {
		gref->next = w->grefs;
		w->grefs = gref;
	}
}

/*
 * ------------------------------------------------------------------
 * Grant maps
 * ------------------------------------------------------------------
 */

/*
 * Last reference gone.  For a mapped map: clear the byte while the grant
 * is still mapped, unmap all grants in one batch, free the region; then
 * send the event, so that the peer it wakes may reclaim its pages at once.
 * A map that was never mapped still sends its event.
 */
static void
gntdev_gmap_release(struct gntdev_core *core, struct gntdev_gmap *gmap)
{

	if (gmap->mapped) {
		if ((gmap->notify.action & UNMAP_NOTIFY_CLEAR_BYTE) != 0 &&
		    !gmap->mapping.readonly)
			gntdev_os_region_clear_byte(core->os, gmap->region,
			    gmap->notify.page, gmap->notify.offset);
		/*
		 * Nobody is left to report a failure to, and keeping the
		 * record would not make a second try more likely to work.
		 */
		(void)gntdev_os_unmap_grants(core->os, gmap->region, gmap->ops,
		    gmap->count);
		gntdev_os_region_free(core->os, gmap->region);
		gmap->region = NULL;
		gmap->mapped = false;
		gntdev_lock(core);
		core->st.mapped_grants -= gmap->count;
		gntdev_unlock(core);
	}
	gntdev_notify_event(core, &gmap->notify);
	gntdev_lock(core);
	core->st.grant_maps--;
	gntdev_unaccount_locked(core, gmap->count);
	gntdev_unlock(core);
	gntdev_os_free(gmap->ops);
	gntdev_os_free(gmap);
}

static void
gntdev_gmap_drop_locked(struct gntdev_gmap *gmap, struct gntdev_work *w)
{

	if (--gmap->refs == 0) {
		gmap->next = w->gmaps;
		w->gmaps = gmap;
	}
}

/* Release everything queued on `w`.  No locks held. */
static void
gntdev_work_run(struct gntdev_core *core, struct gntdev_work *w)
{
	struct gntdev_gref *gref;
	struct gntdev_gmap *gmap;

	while ((gref = w->grefs) != NULL) {
		w->grefs = gref->next;
		gref->next = NULL;
		gntdev_gref_release(core, gref);
	}
	while ((gmap = w->gmaps) != NULL) {
		w->gmaps = gmap->next;
		gntdev_gmap_release(core, gmap);
	}
}

/*
 * Map the grants of `gmap` into a new region: one batched call, then the
 * ops still at GNTST_eagain are retried, in one batch each time, with an
 * exponential backoff (1, 2, 4, ... ms, at most 256 ms between tries) for
 * at most eagain_retries tries.  All or nothing: if any op is not OKAY in
 * the end, the ones that succeeded are unmapped, the region freed, EINVAL;
 * the same with EINTR if a signal interrupts a wait.
 * Caller holds the file sx.
 */
static int
gntdev_gmap_map(struct gntdev_file *file, struct gntdev_gmap *gmap,
    bool readonly, const struct gntdev_limits *lim)
{
	struct gntdev_core *core;
	struct gntdev_os_region *region;
	struct gntdev_map_op *retry;
	uint32_t i, n, tries, delay;
	int error;

	core = file->core;
	error = gntdev_os_region_alloc(core->os, gmap->count, &region);
	if (error != 0)
		return (error);
	for (i = 0; i < gmap->count; i++) {
		gmap->ops[i].page = i;
		gmap->ops[i].readonly = readonly;
		gmap->ops[i].status = GNTDEV_GNTST_GENERAL_ERROR;
		gmap->ops[i].handle = 0;
	}
	retry = NULL;
	error = gntdev_os_map_grants(core->os, region, gmap->ops, gmap->count);
	if (error != 0) {
		/* Nothing was performed: no op is OKAY. */
		for (i = 0; i < gmap->count; i++)
			gmap->ops[i].status = GNTDEV_GNTST_GENERAL_ERROR;
		error = 0;
		goto fail;
	}
	delay = 1;
	for (tries = 0; tries < lim->eagain_retries; tries++) {
		n = 0;
		for (i = 0; i < gmap->count; i++)
			if (gmap->ops[i].status == GNTDEV_GNTST_EAGAIN)
				n++;
		if (n == 0)
			break;
		if (retry == NULL) {
			retry = gntdev_malloc_array(n, sizeof(*retry));
			if (retry == NULL) {
				error = ENOMEM;
				goto fail;
			}
		}
		n = 0;
		for (i = 0; i < gmap->count; i++)
			if (gmap->ops[i].status == GNTDEV_GNTST_EAGAIN)
				retry[n++] = gmap->ops[i];
		error = gntdev_os_sleep_ms(core->os, delay);
		if (error != 0)
			goto fail;
		if (delay < GNTDEV_EAGAIN_MAX_MS)
			delay *= 2;
		if (gntdev_os_map_grants(core->os, region, retry, n) != 0)
			goto fail;	/* the retried ops stay at EAGAIN */
		/* Retried ops keep their region page: put the results back. */
		for (i = 0; i < n; i++)
			gmap->ops[retry[i].page] = retry[i];
	}
	for (i = 0; i < gmap->count; i++)
		if (gmap->ops[i].status != GNTDEV_GNTST_OKAY)
			goto fail;
	gntdev_os_free(retry);
	gmap->region = region;
	gmap->mapped = true;
	gmap->mapping.readonly = readonly;
	file->st.mapped_grants += gmap->count;
	gntdev_lock(core);
	core->st.mapped_grants += gmap->count;
	gntdev_unlock(core);
	return (0);

fail:
	for (i = 0; i < gmap->count; i++)
		if (gmap->ops[i].status == GNTDEV_GNTST_OKAY)
			break;
	if (i < gmap->count)
		(void)gntdev_os_unmap_grants(core->os, region, gmap->ops,
		    gmap->count);
	for (i = 0; i < gmap->count; i++)
		gmap->ops[i].status = GNTDEV_GNTST_GENERAL_ERROR;
	gntdev_os_region_free(core->os, region);
	gntdev_os_free(retry);
	return (error != 0 ? error : EINVAL);
}

/* Take `gmap` out of its file (offsets are the caller's business). */
static void
gntdev_gmap_unlink(struct gntdev_file *file, struct gntdev_gmap *gmap,
    struct gntdev_work *w)
{
	struct gntdev_core *core;

	core = file->core;
	gntdev_tree_remove(&file->gmaps, &gmap->node);
	gntdev_tree_remove(&file->gmaps_by_addr, &gmap->anode);
	file->st.grant_maps--;
	file->st.pages_accounted -= gmap->count;
	if (gmap->mapped)
		file->st.mapped_grants -= gmap->count;
	if (gmap->notify.action != 0)
		file->st.notifies--;
	gntdev_lock(core);
	gmap->in_file = false;
	gmap->file = NULL;
	file->st.mappings -= gmap->refs - 1;
	gntdev_gmap_drop_locked(gmap, w);
	gntdev_unlock(core);
}

/* Take `gref` out of its file and drop the file's use of it. */
static void
gntdev_gref_unlink(struct gntdev_file *file, struct gntdev_gref *gref,
    struct gntdev_work *w)
{

	gntdev_tree_remove(&file->grefs, &gref->node);
	gref->in_file = false;
	file->st.shared_pages--;
	file->st.pages_accounted--;
	if (gref->notify.action != 0)
		file->st.notifies--;
	gntdev_lock(file->core);
	gntdev_gref_drop_locked(gref, w);
	gntdev_unlock(file->core);
}

/*
 * ------------------------------------------------------------------
 * ioctl handlers.  Each runs with the file sx held.
 * ------------------------------------------------------------------
 */

/*
 * IOCTL_GNTDEV_ALLOC_GREF: allocate `count` zeroed pages, grant each to
 * `domid` (read-only unless GNTDEV_ALLOC_FLAG_WRITABLE), write the grant
 * refs to the user array `gref_ids` and return the mmap index of the pages.
 * All or nothing: on any failure (EINVAL count, ENOSPC limits or offsets,
 * ENOMEM, the grant error, EFAULT copying the ids out) every page granted
 * so far is revoked (parked if the peer already maps it), the rest freed,
 * the offsets returned, and the file is as before.
 */
static int
gntdev_ioctl_alloc_gref(struct gntdev_file *file,
    struct ioctl_gntdev_alloc_gref *arg)
{
	struct gntdev_core *core;
	struct gntdev_limits lim;
	struct gntdev_gref *gref, *list;
	uint32_t *ids, i, made;
	uint64_t page;
	bool readonly;
	int error;

	core = file->core;
	gntdev_get_lim(core, &lim);
	if (!gntdev_count_ok(&lim, arg->count))
		return (EINVAL);
	readonly = (arg->flags & GNTDEV_ALLOC_FLAG_WRITABLE) == 0;
	error = gntdev_off_prepare(file);
	if (error != 0)
		return (error);
	ids = gntdev_malloc_array(arg->count, sizeof(*ids));
	if (ids == NULL)
		return (ENOMEM);
	error = gntdev_account(file, &lim, arg->count);
	if (error != 0) {
		gntdev_os_free(ids);
		return (error);
	}
	error = gntdev_off_alloc(file, arg->count, &page);
	if (error != 0)
		goto unaccount;

	list = NULL;
	made = 0;
	for (i = 0; i < arg->count; i++) {
		gref = gntdev_os_malloc(sizeof(*gref));
		if (gref == NULL) {
			error = ENOMEM;
			goto rollback;
		}
		gref->next = list;
		list = gref;
		made++;
		gref->node.key = page + i;
		error = gntdev_os_page_alloc(core->os, &gref->page);
		if (error != 0) {
			gref->page = NULL;
			goto rollback;
		}
		error = gntdev_os_grant_access(core->os, arg->domid,
		    gref->page, readonly, &gref->ref);
		if (error != 0)
			goto rollback;
		gref->granted = true;
		ids[i] = gref->ref;
	}
	error = gntdev_os_copyout(file->os_file, ids,
	    (void *)arg->gref_ids, sizeof(*ids) * arg->count);
	if (error != 0)
		goto rollback;

	gntdev_lock(core);
	core->st.shared_pages += arg->count;
	gntdev_unlock(core);
	file->st.shared_pages += arg->count;
	while ((gref = list) != NULL) {
		list = gref->next;
		gref->next = NULL;
		gref->in_file = true;
		gref->users = 1;
		gntdev_tree_insert(&file->grefs, &gref->node);
	}
	gntdev_os_free(ids);
	arg->index = page << GNTDEV_PAGE_SHIFT;
	return (0);

rollback:
	/*
	 * The ids may have reached user space (a partial copyout) and so a
	 * peer: revoke like any other release, parking if still mapped.  Each
	 * record gives back its own page of the reservation when freed.
	 */
	while ((gref = list) != NULL) {
		list = gref->next;
		gref->next = NULL;
		gntdev_gref_revoke(core, gref, false);
	}
	gntdev_off_free(file, page, arg->count);
	file->st.pages_accounted -= arg->count;
	gntdev_lock(core);
	gntdev_unaccount_locked(core, arg->count - made);
	gntdev_unlock(core);
	gntdev_os_free(ids);
	return (error);

unaccount:
	gntdev_unaccount(file, arg->count);
	gntdev_os_free(ids);
	return (error);
}

/*
 * Find `count` grefs of the file at consecutive pages from `page`.  Returns
 * the first, or NULL if any is missing.
 */
static struct gntdev_gref *
gntdev_gref_run(struct gntdev_file *file, uint64_t page, uint64_t count)
{
	struct gntdev_tnode *first, *n;
	uint64_t i;

	first = gntdev_tree_find(&file->grefs, page);
	n = first;
	for (i = 1; i < count && n != NULL; i++) {
		n = gntdev_tree_next(n);
		if (n != NULL && n->key != page + i)
			n = NULL;
	}
	if (n == NULL)
		return (NULL);
	return (GNTDEV_CONTAINER(first, struct gntdev_gref, node));
}

/*
 * IOCTL_GNTDEV_DEALLOC_GREF: stop sharing `count` pages that are
 * contiguous in the file starting exactly at `index` (EINVAL otherwise;
 * they may come from several ALLOC calls).  Their offsets are free at once;
 * each page lives on while a mapping covers it, then fires its notification
 * and is revoked.
 */
static int
gntdev_ioctl_dealloc_gref(struct gntdev_file *file,
    struct ioctl_gntdev_dealloc_gref *arg)
{
	struct gntdev_core *core;
	struct gntdev_limits lim;
	struct gntdev_gref *gref;
	struct gntdev_tnode *n, *next;
	struct gntdev_work w = { NULL, NULL };
	uint64_t page;
	uint32_t i;
	int error;

	core = file->core;
	gntdev_get_lim(core, &lim);
	if (!gntdev_count_ok(&lim, arg->count) ||
	    !gntdev_index_to_page(arg->index, arg->count, &page))
		return (EINVAL);
	gref = gntdev_gref_run(file, page, arg->count);
	if (gref == NULL)
		return (EINVAL);
	error = gntdev_off_prepare(file);
	if (error != 0)
		return (error);
	n = &gref->node;
	for (i = 0; i < arg->count; i++) {
		next = gntdev_tree_next(n);
		gntdev_gref_unlink(file,
		    GNTDEV_CONTAINER(n, struct gntdev_gref, node), &w);
		n = next;
	}
	gntdev_off_free(file, page, arg->count);
	gntdev_work_run(core, &w);
	return (0);
}

/*
 * IOCTL_GNTDEV_MAP_GRANT_REF: record `count` foreign grants read from the
 * user array `refs` (EFAULT on a bad pointer) and return the mmap index for
 * them.  No hypercall here: the grants are mapped by the first mmap, so a
 * bad ref fails there.  EINVAL for a bad count, ENOSPC over a limit.
 */
static int
gntdev_ioctl_map_grant_ref(struct gntdev_file *file,
    struct ioctl_gntdev_map_grant_ref *arg)
{
	struct ioctl_gntdev_grant_ref refs[GNTDEV_COPYIN_CHUNK];
	struct gntdev_core *core;
	struct gntdev_limits lim;
	struct gntdev_gmap *gmap;
	uint32_t i, j, n;
	uint64_t page;
	int error;

	core = file->core;
	gntdev_get_lim(core, &lim);
	if (!gntdev_count_ok(&lim, arg->count))
		return (EINVAL);
	gmap = gntdev_os_malloc(sizeof(*gmap));
	if (gmap == NULL)
		return (ENOMEM);
	gmap->ops = gntdev_malloc_array(arg->count, sizeof(*gmap->ops));
	if (gmap->ops == NULL) {
		error = ENOMEM;
		goto fail;
	}
	for (i = 0; i < arg->count; i += n) {
		n = arg->count - i;
		if (n > GNTDEV_COPYIN_CHUNK)
			n = GNTDEV_COPYIN_CHUNK;
		/*
		 * A user address is a number: arithmetic on it as a C pointer
		 * is undefined for NULL or near the top of the address space.
		 */
		error = gntdev_os_copyin(file->os_file,
		    (const void *)((uintptr_t)arg->refs +
		    (uintptr_t)i * sizeof(refs[0])), refs, sizeof(refs[0]) * n);
		if (error != 0)
			goto fail;
		for (j = 0; j < n; j++) {
			gmap->ops[i + j].page = i + j;
			/* The ABI's domid is 32 bits; Xen's is 16. */
			gmap->ops[i + j].domid = (uint16_t)refs[j].domid;
			gmap->ops[i + j].ref = refs[j].ref;
			gmap->ops[i + j].status = GNTDEV_GNTST_GENERAL_ERROR;
		}
	}
	error = gntdev_account(file, &lim, arg->count);
	if (error != 0)
		goto fail;
	error = gntdev_off_alloc(file, arg->count, &page);
	if (error != 0) {
		gntdev_unaccount(file, arg->count);
		goto fail;
	}
	gmap->mapping.core = core;
	gmap->mapping.foreign = true;
	gmap->mapping.npages = arg->count;
	gmap->mapping.page = page;
	gmap->file = file;
	gmap->count = arg->count;
	gmap->refs = 1;
	gmap->in_file = true;
	gmap->node.key = page;
	gmap->anode.key = (uint64_t)(uintptr_t)gmap;
	gntdev_tree_insert(&file->gmaps, &gmap->node);
	gntdev_tree_insert(&file->gmaps_by_addr, &gmap->anode);
	file->st.grant_maps++;
	gntdev_lock(core);
	core->st.grant_maps++;
	gntdev_unlock(core);
	arg->index = page << GNTDEV_PAGE_SHIFT;
	return (0);

fail:
	gntdev_os_free(gmap->ops);
	gntdev_os_free(gmap);
	return (error);
}

/*
 * IOCTL_GNTDEV_UNMAP_GRANT_REF: forget the grant map that starts exactly at
 * `index` and has exactly `count` pages (EINVAL otherwise).  Its offsets
 * are free at once; the grants stay mapped until the last mapping of the
 * map is released, so this is legal while it is still mmapped.
 */
static int
gntdev_ioctl_unmap_grant_ref(struct gntdev_file *file,
    struct ioctl_gntdev_unmap_grant_ref *arg)
{
	struct gntdev_core *core;
	struct gntdev_tnode *n;
	struct gntdev_gmap *gmap;
	struct gntdev_work w = { NULL, NULL };
	uint64_t page;
	int error;

	core = file->core;
	if (arg->count == 0 ||
	    !gntdev_index_to_page(arg->index, arg->count, &page))
		return (EINVAL);
	n = gntdev_tree_find(&file->gmaps, page);
	if (n == NULL)
		return (EINVAL);
	gmap = GNTDEV_CONTAINER(n, struct gntdev_gmap, node);
	if (gmap->count != arg->count)
		return (EINVAL);
	error = gntdev_off_prepare(file);
	if (error != 0)
		return (error);
	gntdev_gmap_unlink(file, gmap, &w);
	gntdev_off_free(file, page, arg->count);
	gntdev_work_run(core, &w);
	return (0);
}

/*
 * IOCTL_GNTDEV_GET_OFFSET_FOR_VADDR: return the index and count of the
 * grant map of this file that the caller has mapped at `vaddr`.  EINVAL
 * when nothing of ours is mapped there, when it is a shared-page mapping
 * (as FreeBSD), a map of another file or one already unmapped with
 * UNMAP_GRANT_REF, or when the mapping is not exactly the whole map (after a
 * partial munmap).  The cookie from the OS is only compared, never
 * dereferenced: the map it named may be gone by now.
 */
static int
gntdev_ioctl_get_offset_for_vaddr(struct gntdev_file *file,
    struct ioctl_gntdev_get_offset_for_vaddr *arg)
{
	struct gntdev_tnode *n;
	struct gntdev_gmap *gmap;
	void *cookie;
	uint64_t len;

	if (gntdev_os_vaddr_lookup(file->os_file, arg->vaddr, &cookie,
	    &len) != 0)
		return (EINVAL);
	n = gntdev_tree_find(&file->gmaps_by_addr, (uint64_t)(uintptr_t)cookie);
	if (n == NULL)
		return (EINVAL);
	gmap = GNTDEV_CONTAINER(n, struct gntdev_gmap, anode);
	if (len != (uint64_t)gmap->count << GNTDEV_PAGE_SHIFT)
		return (EINVAL);
	arg->offset = gmap->mapping.page << GNTDEV_PAGE_SHIFT;
	arg->count = gmap->count;
	return (0);
}

/*
 * IOCTL_GNTDEV_SET_UNMAP_NOTIFY: arm (or, with action 0, disarm) the
 * notification of the shared page at `index & ~4095` (per page), else of
 * the grant map whose range contains `index` (per map); neither: EINVAL.
 * Unknown action bits: EINVAL.  CLEAR_BYTE on a map already mapped
 * read-only: EINVAL, since the byte could not be written (Linux checks
 * this; FreeBSD's old driver does not).  With SEND_EVENT a reference on the
 * port is taken first (EINVAL if it is not bound), so a failing call leaves
 * the old notification as it was; a successful one replaces it and puts
 * the old port reference.
 */
static int
gntdev_ioctl_set_unmap_notify(struct gntdev_file *file,
    struct ioctl_gntdev_unmap_notify *arg)
{
	struct gntdev_core *core;
	struct gntdev_notify new, *cur;
	struct gntdev_os_evtchn *oldev;
	struct gntdev_tnode *n;
	struct gntdev_gmap *gmap;
	struct gntdev_gref *gref;
	uint64_t page, rel;

	core = file->core;
	if ((arg->action & ~(uint32_t)GNTDEV_NOTIFY_ACTIONS) != 0)
		return (EINVAL);
	page = arg->index >> GNTDEV_PAGE_SHIFT;
	new.action = arg->action;
	new.page = 0;
	new.offset = (uint32_t)(arg->index & GNTDEV_PAGE_MASK);
	new.ev = NULL;
	n = gntdev_tree_find(&file->grefs, page);
	if (n != NULL) {
		gref = GNTDEV_CONTAINER(n, struct gntdev_gref, node);
		cur = &gref->notify;
	} else {
		n = gntdev_tree_le(&file->gmaps, page);
		if (n == NULL)
			return (EINVAL);
		gmap = GNTDEV_CONTAINER(n, struct gntdev_gmap, node);
		rel = page - gmap->mapping.page;
		if (rel >= gmap->count)
			return (EINVAL);
		if ((arg->action & UNMAP_NOTIFY_CLEAR_BYTE) != 0 &&
		    gmap->mapped && gmap->mapping.readonly)
			return (EINVAL);
		new.page = (uint32_t)rel;
		cur = &gmap->notify;
	}
	if ((arg->action & UNMAP_NOTIFY_SEND_EVENT) != 0 &&
	    gntdev_os_evtchn_get(core->os, file->os_file,
	    arg->event_channel_port, &new.ev) != 0)
		return (EINVAL);
	gntdev_notify_set(file, cur, &new, &oldev);
	if (oldev != NULL)
		gntdev_os_evtchn_put(core->os, oldev);
	return (0);
}

/*
 * ------------------------------------------------------------------
 * Public entry points
 * ------------------------------------------------------------------
 */

void
gntdev_limits_default(struct gntdev_limits *lim)
{

	lim->max_pages_per_ioctl = GNTDEV_DEFAULT_MAX_PAGES_PER_IOCTL;
	lim->max_pages_per_file = GNTDEV_DEFAULT_MAX_PAGES_PER_FILE;
	lim->max_pages_global = GNTDEV_DEFAULT_MAX_PAGES_GLOBAL;
	lim->eagain_retries = GNTDEV_DEFAULT_EAGAIN_RETRIES;
	lim->reclaim_interval_ms = GNTDEV_DEFAULT_RECLAIM_INTERVAL_MS;
}

int
gntdev_core_create(const struct gntdev_limits *lim, void *os,
    struct gntdev_core **corep)
{
	struct gntdev_core *core;
	int error;

	core = gntdev_os_malloc(sizeof(*core));
	if (core == NULL)
		return (ENOMEM);
	error = gntdev_os_mutex_create("gntdev core", &core->mtx);
	if (error != 0) {
		gntdev_os_free(core);
		return (error);
	}
	core->os = os;
	if (lim != NULL)
		core->lim = *lim;
	else
		gntdev_limits_default(&core->lim);
	*corep = core;
	return (0);
}

int
gntdev_core_destroy(struct gntdev_core *core)
{
	bool busy;

	gntdev_lock(core);
	busy = core->st.files != 0 || core->st.mappings != 0 ||
	    core->st.grant_maps != 0 || core->st.shared_pages != 0;
	gntdev_unlock(core);
	if (busy || gntdev_core_reclaim(core) != 0)
		return (EBUSY);
	gntdev_os_mutex_destroy(core->mtx);
	gntdev_os_free(core);
	return (0);
}

void
gntdev_core_set_limits(struct gntdev_core *core,
    const struct gntdev_limits *lim)
{

	gntdev_lock(core);
	core->lim = *lim;
	gntdev_unlock(core);
}

void
gntdev_core_get_limits(struct gntdev_core *core, struct gntdev_limits *lim)
{

	gntdev_get_lim(core, lim);
}

void
gntdev_core_stats(struct gntdev_core *core, struct gntdev_stats *st)
{

	gntdev_lock(core);
	*st = core->st;
	gntdev_unlock(core);
}

/*
 * Retry revoking every parked page.  The list is taken whole under the
 * mutex and worked on without it (end_access is a hypercall); pages still
 * mapped by their peer go back on the list and a retry is scheduled.
 */
uint32_t
gntdev_core_reclaim(struct gntdev_core *core)
{
	struct gntdev_gref *gref, *list, *keep, *last;
	uint32_t freed, left, interval;

	gntdev_lock(core);
	list = core->parked;
	core->parked = NULL;
	gntdev_unlock(core);

	keep = last = NULL;
	freed = 0;
	while ((gref = list) != NULL) {
		list = gref->next;
		if (gntdev_os_end_access(core->os, gref->ref) == 0) {
			gntdev_gref_free(core, gref);
			freed++;
			continue;
		}
		gref->next = keep;
		keep = gref;
		if (last == NULL)
			last = gref;
	}

	gntdev_lock(core);
	if (keep != NULL) {
		last->next = core->parked;
		core->parked = keep;
	}
	core->st.parked_pages -= freed;
	gntdev_unaccount_locked(core, freed);
	left = core->st.parked_pages;
	interval = core->lim.reclaim_interval_ms;
	gntdev_unlock(core);
	if (left != 0)
		gntdev_os_reclaim_schedule(core->os, interval);
	return (left);
}

int
gntdev_file_open(struct gntdev_core *core, void *os_file,
    struct gntdev_file **filep)
{
	struct gntdev_file *file;
	struct gntdev_tnode *n;
	int error;

	file = gntdev_os_malloc(sizeof(*file));
	if (file == NULL)
		return (ENOMEM);
	n = gntdev_os_malloc(sizeof(*n));
	if (n == NULL) {
		gntdev_os_free(file);
		return (ENOMEM);
	}
	error = gntdev_os_sxlock_create("gntdev file", &file->sx);
	if (error != 0) {
		gntdev_os_free(n);
		gntdev_os_free(file);
		return (error);
	}
	file->core = core;
	file->os_file = os_file;
	gntdev_tree_init(&file->grefs);
	gntdev_tree_init(&file->gmaps);
	gntdev_tree_init(&file->gmaps_by_addr);
	gntdev_tree_init(&file->free);
	/* The whole offset space is free. */
	n->key = 0;
	n->val = GNTDEV_OFF_PAGES;
	gntdev_tree_insert(&file->free, n);
	file->st.files = 1;
	gntdev_lock(core);
	core->st.files++;
	gntdev_unlock(core);
	*filep = file;
	return (0);
}

/*
 * Last close: every gref and gmap leaves the file (each released now if
 * no mapping holds it), shared mappings are detached from the file, and
 * the offset space is freed.  Mappings still held stay valid.
 */
void
gntdev_file_close(struct gntdev_file *file)
{
	struct gntdev_core *core;
	struct gntdev_work w = { NULL, NULL };
	struct gntdev_tnode *n;
	struct gntdev_mapping *m;
	struct gntdev_gref *gref;
	struct gntdev_gmap *gmap;

	core = file->core;
	gntdev_os_sxlock_lock(file->sx);
	/* Taking leaves empties each tree without rebalancing work. */
	while ((n = gntdev_tree_take_leaf(&file->grefs)) != NULL) {
		gref = GNTDEV_CONTAINER(n, struct gntdev_gref, node);
		gntdev_lock(core);
		gref->in_file = false;
		gntdev_gref_drop_locked(gref, &w);
		gntdev_unlock(core);
	}
	while ((n = gntdev_tree_take_leaf(&file->gmaps)) != NULL) {
		gmap = GNTDEV_CONTAINER(n, struct gntdev_gmap, node);
		gntdev_lock(core);
		gmap->in_file = false;
		gmap->file = NULL;
		gntdev_gmap_drop_locked(gmap, &w);
		gntdev_unlock(core);
	}
	gntdev_lock(core);
	while ((m = file->shmaps) != NULL) {
		file->shmaps = m->fnext;
		m->file = NULL;
		m->fprev = m->fnext = NULL;
	}
	core->st.files--;
	gntdev_unlock(core);
	while ((n = gntdev_tree_take_leaf(&file->free)) != NULL)
		gntdev_os_free(n);
	gntdev_os_free(file->spare);
	gntdev_os_sxlock_unlock(file->sx);
	gntdev_os_sxlock_destroy(file->sx);
	gntdev_os_free(file);
	gntdev_work_run(core, &w);
}

void
gntdev_file_stats(struct gntdev_file *file, struct gntdev_stats *st)
{

	gntdev_os_sxlock_lock(file->sx);
	gntdev_lock(file->core);
	*st = file->st;
	gntdev_unlock(file->core);
	gntdev_os_sxlock_unlock(file->sx);
}

int
gntdev_file_ioctl(struct gntdev_file *file, unsigned long cmd, void *data)
{
	int error;

	if (data == NULL)
		return (EINVAL);
	gntdev_os_sxlock_lock(file->sx);
	switch (cmd) {
	case IOCTL_GNTDEV_SET_UNMAP_NOTIFY:
		error = gntdev_ioctl_set_unmap_notify(file, data);
		break;
	case IOCTL_GNTDEV_ALLOC_GREF:
		error = gntdev_ioctl_alloc_gref(file, data);
		break;
	case IOCTL_GNTDEV_DEALLOC_GREF:
		error = gntdev_ioctl_dealloc_gref(file, data);
		break;
	case IOCTL_GNTDEV_MAP_GRANT_REF:
		error = gntdev_ioctl_map_grant_ref(file, data);
		break;
	case IOCTL_GNTDEV_UNMAP_GRANT_REF:
		error = gntdev_ioctl_unmap_grant_ref(file, data);
		break;
	case IOCTL_GNTDEV_GET_OFFSET_FOR_VADDR:
		error = gntdev_ioctl_get_offset_for_vaddr(file, data);
		break;
	default:
		error = ENOTTY;
		break;
	}
	gntdev_os_sxlock_unlock(file->sx);
	return (error);
}

/*
 * mmap of shared pages: a new mapping that holds one user on each page it
 * covers.  Caller holds the file sx.
 */
static int
gntdev_mmap_shared(struct gntdev_file *file, struct gntdev_gref *first,
    uint32_t count, int prot, struct gntdev_mapping **mapp)
{
	struct gntdev_core *core;
	struct gntdev_mapping *m;
	struct gntdev_tnode *n;
	uint32_t i;

	core = file->core;
	m = gntdev_os_malloc(sizeof(*m));
	if (m == NULL)
		return (ENOMEM);
	m->grefs = gntdev_malloc_array(count, sizeof(*m->grefs));
	if (m->grefs == NULL) {
		gntdev_os_free(m);
		return (ENOMEM);
	}
	m->core = core;
	m->foreign = false;
	m->readonly = (prot & GNTDEV_PROT_WRITE) == 0;
	m->npages = count;
	m->page = first->node.key;
	m->refs = 1;
	m->file = file;
	n = &first->node;
	for (i = 0; i < count; i++) {
		m->grefs[i] = GNTDEV_CONTAINER(n, struct gntdev_gref, node);
		n = gntdev_tree_next(n);
	}
	gntdev_lock(core);
	for (i = 0; i < count; i++)
		m->grefs[i]->users++;
	m->fprev = NULL;
	m->fnext = file->shmaps;
	if (m->fnext != NULL)
		m->fnext->fprev = m;
	file->shmaps = m;
	file->st.mappings++;
	core->st.mappings++;
	gntdev_unlock(core);
	*mapp = m;
	return (0);
}

int
gntdev_core_mmap(struct gntdev_file *file, uint64_t offset, uint64_t size,
    int prot, struct gntdev_mapping **mapp)
{
	struct gntdev_core *core;
	struct gntdev_limits lim;
	struct gntdev_gref *gref;
	struct gntdev_gmap *gmap;
	struct gntdev_tnode *n;
	uint64_t count, page;
	int error;

	core = file->core;
	if (size == 0 || (size & GNTDEV_PAGE_MASK) != 0)
		return (EINVAL);
	count = size >> GNTDEV_PAGE_SHIFT;
	if (count > GNTDEV_U32_MAX || !gntdev_index_to_page(offset, count, &page))
		return (EINVAL);
	gntdev_get_lim(core, &lim);
	gntdev_os_sxlock_lock(file->sx);
	gref = gntdev_gref_run(file, page, count);
	if (gref != NULL) {
		error = gntdev_mmap_shared(file, gref, (uint32_t)count, prot,
		    mapp);
		goto out;
	}
	n = gntdev_tree_find(&file->gmaps, page);
	gmap = n != NULL ? GNTDEV_CONTAINER(n, struct gntdev_gmap, node) : NULL;
	if (gmap == NULL || gmap->count != count) {
		error = EINVAL;
		goto out;
	}
	if (!gmap->mapped) {
		error = gntdev_gmap_map(file, gmap,
		    (prot & GNTDEV_PROT_WRITE) == 0, &lim);
		if (error != 0)
			goto out;
	} else if (gmap->mapping.readonly && (prot & GNTDEV_PROT_WRITE) != 0) {
		error = EACCES;
		goto out;
	}
	gntdev_lock(core);
	gmap->refs++;
	file->st.mappings++;
	core->st.mappings++;
	gntdev_unlock(core);
	*mapp = &gmap->mapping;
	error = 0;
out:
	gntdev_os_sxlock_unlock(file->sx);
	return (error);
}

void
gntdev_mapping_ref(struct gntdev_mapping *map)
{
	struct gntdev_core *core;
	struct gntdev_gmap *gmap;

	core = map->core;
	gntdev_lock(core);
	if (map->foreign) {
		gmap = GNTDEV_CONTAINER(map, struct gntdev_gmap, mapping);
		gmap->refs++;
		if (gmap->in_file)
			gmap->file->st.mappings++;
	} else {
		map->refs++;
		if (map->file != NULL)
			map->file->st.mappings++;
	}
	core->st.mappings++;
	gntdev_unlock(core);
}

/*
 * Drop a mapping reference.  Called from any thread, also after the file
 * was closed (the FreeBSD pager destructor), so it never takes the file sx:
 * everything it touches is under the core mutex, and what it ends up
 * owning is released after the mutex is dropped.
 */
void
gntdev_mapping_release(struct gntdev_mapping *map)
{
	struct gntdev_core *core;
	struct gntdev_gmap *gmap;
	struct gntdev_work w = { NULL, NULL };
	uint32_t i;
	bool last;

	core = map->core;
	last = false;
	gntdev_lock(core);
	core->st.mappings--;
	if (map->foreign) {
		gmap = GNTDEV_CONTAINER(map, struct gntdev_gmap, mapping);
		if (gmap->in_file)
			gmap->file->st.mappings--;
		gntdev_gmap_drop_locked(gmap, &w);
	} else {
		if (map->file != NULL)
			map->file->st.mappings--;
		if (--map->refs == 0) {
			last = true;
			if (map->file != NULL) {
				if (map->fprev != NULL)
					map->fprev->fnext = map->fnext;
				else
					map->file->shmaps = map->fnext;
				if (map->fnext != NULL)
					map->fnext->fprev = map->fprev;
			}
			for (i = 0; i < map->npages; i++)
				gntdev_gref_drop_locked(map->grefs[i], &w);
		}
	}
	gntdev_unlock(core);
	if (last) {
		gntdev_os_free(map->grefs);
		gntdev_os_free(map);
	}
	gntdev_work_run(core, &w);
}

bool
gntdev_mapping_is_foreign(const struct gntdev_mapping *map)
{

	return (map->foreign);
}

uint32_t
gntdev_mapping_npages(const struct gntdev_mapping *map)
{

	return (map->npages);
}

uint64_t
gntdev_mapping_offset(const struct gntdev_mapping *map)
{

	return (map->page << GNTDEV_PAGE_SHIFT);
}

bool
gntdev_mapping_readonly(const struct gntdev_mapping *map)
{

	return (map->readonly);
}

struct gntdev_os_page *
gntdev_mapping_page(const struct gntdev_mapping *map, uint32_t i)
{

	if (map->foreign || i >= map->npages)
		return (NULL);
	return (map->grefs[i]->page);
}

struct gntdev_os_region *
gntdev_mapping_region(const struct gntdev_mapping *map)
{

	if (!map->foreign)
		return (NULL);
	return (((const struct gntdev_gmap *)map)->region);
}

void *
gntdev_mapping_cookie(const struct gntdev_mapping *map)
{

	return ((void *)(uintptr_t)map);
}

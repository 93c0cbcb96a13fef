/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz target: the gntdev core behind its FreeBSD ioctl ABI, on the fake OS
 * of tests/core.
 *
 * The input is a little program.  Three bytes pick small limits, then each
 * step is an op byte and its arguments (see the OP_* list): open and close
 * files, the six ioctls with argument structures taken from the input (user
 * pointers valid, short, NULL or wild), mmaps, mapping references and
 * releases, touching mapped memory, a peer mapping one of our grants (busy),
 * grant statuses, reclaim, and one-shot failures of any fake OS step.
 *
 * A model of what should be alive is kept next to the core.  After each
 * step: the core's and every file's counters equal the model's, the offsets
 * of a file's live records never overlap, every grant a peer maps is still
 * granted (its page alive), the fake saw no locking or freeing violation,
 * and outcomes the model can decide are checked (an ioctl on something that
 * does not exist must fail; a success must return what the model expects).
 * At the end everything is released and closed: all counters are zero and
 * the fake has no page, grant, region, event-channel reference, lock or
 * allocation outstanding.  Memory errors are ASan's to find.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fake_os.h"
#include "fuzz.h"
#include "gntdev.h"
#include "gntdev_core.h"

#define NFILES		4
#define NSLOTS		24
#define MAXPAGES	1024
#define MAXGMAPS	256
#define MAXSTEPS	400
#define UREFS		64	/* entries in the user arrays */
#define MAXSTATUS	200	/* fake_map_status() calls per input (fake: 256) */
#define VADDR_BASE	0x7f0000000000ULL

enum op {
	OP_OPEN, OP_CLOSE, OP_ALLOC, OP_DEALLOC, OP_MAP, OP_UNMAP,
	OP_VADDR, OP_NOTIFY, OP_MMAP, OP_REF, OP_RELEASE, OP_TOUCH,
	OP_BUSY, OP_STATUS, OP_FAIL, OP_RECLAIM, OP_BIND, OP_BADCMD,
	OP_LIMITS, OP_COUNT
};

struct mfile {
	struct gntdev_file *f;	/* NULL: slot closed */
	int id;			/* generation, so records name one open */
};

struct mpage {			/* one shared page (ALLOC_GREF) */
	int fid;
	uint64_t page;
	uint32_t ref;
	bool in_file;
	int maprefs;		/* slots holding a mapping that covers it */
	uint32_t action;	/* armed notification */
	bool busy;		/* a peer maps it (fake_set_busy) */
};

struct mgmap {			/* one grant map (MAP_GRANT_REF) */
	int fid;
	uint64_t page;
	uint32_t count;
	bool in_file;
	int maprefs;
	bool mapped;
	bool readonly;
	struct gntdev_mapping *m;	/* once mmapped: the one mapping */
	uint32_t action;
};

struct mslot {			/* one mapping reference we hold */
	struct gntdev_mapping *m;
	bool foreign;
	int gid;		/* foreign */
	int *pids;		/* shared: the pages it covers */
	uint32_t n;
};

static struct {
	struct gntdev_core *core;
	struct mfile files[NFILES];
	int next_fid;
	struct mpage pages[MAXPAGES];
	int npages;
	struct mgmap gmaps[MAXGMAPS];
	int ngmaps;
	struct mslot slots[NSLOTS];
	struct gntdev_limits lim;
	int nstatus;
	bool bound[16];
	uint32_t uids[UREFS + 8];
	struct ioctl_gntdev_grant_ref urefs[UREFS + 8];
} M;

static void page_unfile(struct mpage *p);
static void gmap_unfile(struct mgmap *g);

static bool
page_alive(const struct mpage *p)
{
	return p->in_file || p->maprefs > 0;
}

static bool
gmap_alive(const struct mgmap *g)
{
	return g->in_file || g->maprefs > 0;
}

static bool
file_open(int fid)
{
	int i;

	for (i = 0; i < NFILES; i++)
		if (M.files[i].f != NULL && M.files[i].id == fid)
			return true;
	return false;
}

/* Expected counters of one file (fid >= 0) or of the whole core (-1). */
static void
model_stats(int fid, struct gntdev_stats *st)
{
	const struct mslot *s;
	int i;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < NFILES; i++)
		if (M.files[i].f != NULL && (fid < 0 || M.files[i].id == fid))
			st->files++;
	for (i = 0; i < M.npages; i++) {
		const struct mpage *p = &M.pages[i];

		if (fid >= 0 ? !p->in_file || p->fid != fid : !page_alive(p))
			continue;
		st->shared_pages++;
		st->pages_accounted++;
		if (p->action != 0)
			st->notifies++;
	}
	for (i = 0; i < M.ngmaps; i++) {
		const struct mgmap *g = &M.gmaps[i];

		if (fid >= 0 ? !g->in_file || g->fid != fid : !gmap_alive(g))
			continue;
		st->grant_maps++;
		st->pages_accounted += g->count;
		if (g->mapped)
			st->mapped_grants += g->count;
		if (g->action != 0)
			st->notifies++;
	}
	for (i = 0; i < NSLOTS; i++) {
		s = &M.slots[i];
		if (s->m == NULL)
			continue;
		if (fid < 0)
			st->mappings++;
		else if (s->foreign && M.gmaps[s->gid].in_file &&
			 M.gmaps[s->gid].fid == fid)
			st->mappings++;
		else if (!s->foreign && s->n > 0 &&
			 M.pages[s->pids[0]].fid == fid && file_open(fid))
			st->mappings++;
	}
}

static void
check_stats(const char *what, const struct gntdev_stats *got,
	    const struct gntdev_stats *want, uint32_t parked)
{
	FZ_CHECK(got->files == want->files, "%s files %u != %u", what,
		 got->files, want->files);
	FZ_CHECK(got->shared_pages == want->shared_pages,
		 "%s shared_pages %u != %u", what, got->shared_pages,
		 want->shared_pages);
	FZ_CHECK(got->grant_maps == want->grant_maps, "%s grant_maps %u != %u",
		 what, got->grant_maps, want->grant_maps);
	FZ_CHECK(got->mapped_grants == want->mapped_grants,
		 "%s mapped_grants %u != %u", what, got->mapped_grants,
		 want->mapped_grants);
	FZ_CHECK(got->mappings == want->mappings, "%s mappings %u != %u", what,
		 got->mappings, want->mappings);
	FZ_CHECK(got->notifies == want->notifies, "%s notifies %u != %u", what,
		 got->notifies, want->notifies);
	FZ_CHECK(got->pages_accounted == want->pages_accounted + parked,
		 "%s pages_accounted %u != %u + %u parked", what,
		 got->pages_accounted, want->pages_accounted, parked);
}

/* Does [page, page+count) meet a live record of file fid? */
static bool
overlaps(int fid, uint64_t page, uint64_t count, int skip_page, int skip_gmap)
{
	int i;

	for (i = 0; i < M.npages; i++) {
		const struct mpage *p = &M.pages[i];

		if (i != skip_page && p->in_file && p->fid == fid &&
		    p->page >= page && p->page - page < count)
			return true;
	}
	for (i = 0; i < M.ngmaps; i++) {
		const struct mgmap *g = &M.gmaps[i];

		if (i == skip_gmap || !g->in_file || g->fid != fid)
			continue;
		if (page < g->page + g->count && g->page < page + count)
			return true;
	}
	return false;
}

static int
model_regions(void)
{
	int i, n = 0;

	for (i = 0; i < M.ngmaps; i++)
		n += gmap_alive(&M.gmaps[i]) && M.gmaps[i].mapped;
	return n;
}

static int
model_evtchn_refs(void)
{
	int i, n = 0;

	for (i = 0; i < M.npages; i++)
		n += page_alive(&M.pages[i]) &&
		    (M.pages[i].action & UNMAP_NOTIFY_SEND_EVENT) != 0;
	for (i = 0; i < M.ngmaps; i++)
		n += gmap_alive(&M.gmaps[i]) &&
		    (M.gmaps[i].action & UNMAP_NOTIFY_SEND_EVENT) != 0;
	return n;
}

static void
check_invariants(void)
{
	struct gntdev_stats got, want;
	struct fake_outstanding o;
	int i;

	gntdev_core_stats(M.core, &got);
	model_stats(-1, &want);
	check_stats("core", &got, &want, got.parked_pages);
	for (i = 0; i < NFILES; i++) {
		if (M.files[i].f == NULL)
			continue;
		gntdev_file_stats(M.files[i].f, &got);
		model_stats(M.files[i].id, &want);
		check_stats("file", &got, &want, 0);
	}
	/* No two live records of a file share an offset. */
	for (i = 0; i < M.npages; i++)
		if (M.pages[i].in_file)
			FZ_CHECK(!overlaps(M.pages[i].fid, M.pages[i].page, 1,
					   i, -1), "page %d overlaps", i);
	for (i = 0; i < M.ngmaps; i++)
		if (M.gmaps[i].in_file)
			FZ_CHECK(!overlaps(M.gmaps[i].fid, M.gmaps[i].page,
					   M.gmaps[i].count, -1, i),
				 "gmap %d overlaps", i);
	/* A page a peer maps is still granted, and its memory is alive. */
	for (i = 0; i < M.npages; i++) {
		uint8_t *d;

		if (!M.pages[i].busy)
			continue;
		d = fake_grant_page(M.pages[i].ref);
		FZ_CHECK(d != NULL, "busy ref %u revoked", M.pages[i].ref);
		d[i % 4096] ^= 0x5a;	/* the peer writes: ASan sees a UAF */
	}
	/* What the fake holds agrees with the core's counters and the model. */
	fake_outstanding(&o);
	gntdev_core_stats(M.core, &got);
	FZ_CHECK(o.mapped == (long)got.mapped_grants, "fake mapped %ld != %u",
		 o.mapped, got.mapped_grants);
	FZ_CHECK(o.pages == (long)(got.shared_pages + got.parked_pages) &&
		 o.grants == o.pages, "fake pages %ld grants %ld, core %u+%u",
		 o.pages, o.grants, got.shared_pages, got.parked_pages);
	FZ_CHECK(o.regions == model_regions(), "fake regions %ld != %d",
		 o.regions, model_regions());
	FZ_CHECK(o.evtchn_refs == model_evtchn_refs(),
		 "fake evtchn refs %ld != %d", o.evtchn_refs,
		 model_evtchn_refs());
	FZ_CHECK(fake_violations() == 0, "fake saw %u violations",
		 fake_violations());
}

/* A user pointer: the real array, shifted (maybe past its end), NULL, wild. */
static void *
user_ptr(struct fz *f, void *base)
{
	uint8_t how = fz_u8(f);

	switch (how & 3) {
	case 0:
		return base;
	case 1:
		return (uint8_t *)base + (how >> 2) * 4;
	case 2:
		return NULL;
	default:
		return (void *)(uintptr_t)fz_u64(f);
	}
}

static uint32_t
pick_count(struct fz *f)
{
	uint8_t c = fz_u8(f);

	if (c == 0xff)
		return fz_u32(f);
	return c % 40;
}

static struct mfile *
pick_file(struct fz *f, int *slot)
{
	*slot = fz_u8(f) % NFILES;
	return M.files[*slot].f != NULL ? &M.files[*slot] : NULL;
}

/* An index: of a live record of the file, or raw from the input. */
static uint64_t
pick_index(struct fz *f, int fid)
{
	uint8_t how = fz_u8(f);
	int i, n = 0, want = how >> 2;

	if ((how & 3) == 3)
		return fz_u64(f);
	for (i = 0; i < M.npages + M.ngmaps; i++) {
		bool in = i < M.npages ?
		    M.pages[i].in_file && M.pages[i].fid == fid :
		    M.gmaps[i - M.npages].in_file &&
		    M.gmaps[i - M.npages].fid == fid;

		if (in && n++ == want) {
			uint64_t pg = i < M.npages ? M.pages[i].page :
			    M.gmaps[i - M.npages].page;

			return (pg << 12) + (how & 1) * 4096 +
			    (how & 2) * 8;
		}
	}
	return (uint64_t)fz_u16(f) << 12;
}

static void
op_open(struct fz *f)
{
	int slot;
	struct gntdev_file *file;

	if (pick_file(f, &slot) != NULL)
		return;
	if (gntdev_file_open(M.core, &M.files[slot], &file) != 0)
		return;
	M.files[slot].f = file;
	M.files[slot].id = M.next_fid++;
}

static void
op_close(struct fz *f)
{
	struct mfile *mf;
	int slot, i;

	mf = pick_file(f, &slot);
	if (mf == NULL)
		return;
	gntdev_file_close(mf->f);
	for (i = 0; i < M.npages; i++)
		if (M.pages[i].fid == mf->id && M.pages[i].in_file)
			page_unfile(&M.pages[i]);
	for (i = 0; i < M.ngmaps; i++)
		if (M.gmaps[i].fid == mf->id && M.gmaps[i].in_file)
			gmap_unfile(&M.gmaps[i]);
	mf->f = NULL;
}

static void
op_alloc(struct fz *f)
{
	struct ioctl_gntdev_alloc_gref a;
	struct mfile *mf;
	uint32_t *ids;
	uint32_t i;
	int slot, err;

	mf = pick_file(f, &slot);
	memset(&a, 0, sizeof(a));
	a.domid = fz_u16(f);
	a.flags = fz_u8(f);
	a.count = pick_count(f);
	a.index = fz_u64(f);
	a.gref_ids = user_ptr(f, M.uids);
	if (mf == NULL || M.npages + (int)(a.count < 64 ? a.count : 64) > MAXPAGES)
		return;
	memset(M.uids, 0xee, sizeof(M.uids));
	err = gntdev_file_ioctl(mf->f, IOCTL_GNTDEV_ALLOC_GREF, &a);
	if (err != 0) {
		FZ_CHECK(err == EINVAL || err == ENOSPC || err == ENOMEM ||
			 err == EFAULT || err == EBUSY,
			 "alloc: unexpected error %d", err);
		return;
	}
	FZ_CHECK(a.count >= 1 && a.count <= M.lim.max_pages_per_ioctl,
		 "alloc of %u pages succeeded", a.count);
	FZ_CHECK((a.index & 4095) == 0, "alloc index %#llx",
		 (unsigned long long)a.index);
	FZ_CHECK(!overlaps(mf->id, a.index >> 12, a.count, -1, -1),
		 "alloc at %#llx overlaps a live record",
		 (unsigned long long)a.index);
	ids = a.gref_ids;
	for (i = 0; i < a.count; i++) {
		struct mpage *p = &M.pages[M.npages++];

		memset(p, 0, sizeof(*p));
		p->fid = mf->id;
		p->page = (a.index >> 12) + i;
		p->ref = ids[i];
		p->in_file = true;
		FZ_CHECK(fake_grant_page(p->ref) != NULL, "alloc ref %u", p->ref);
		FZ_CHECK(fake_grant_domid(p->ref) == a.domid, "alloc domid");
		FZ_CHECK(fake_grant_readonly(p->ref) ==
			 ((a.flags & GNTDEV_ALLOC_FLAG_WRITABLE) == 0),
			 "alloc readonly");
	}
}

/* Release one record of the model (out of its file). */
static void
page_unfile(struct mpage *p)
{
	p->in_file = false;
	if (p->maprefs == 0)
		p->action = 0;
}

static void
gmap_unfile(struct mgmap *g)
{
	g->in_file = false;
	if (g->maprefs == 0) {
		g->action = 0;
		g->mapped = false;
		g->m = NULL;
	}
}

/* Model page of file fid at `page` in the file, or -1. */
static int
find_page(int fid, uint64_t page)
{
	int i;

	for (i = 0; i < M.npages; i++)
		if (M.pages[i].in_file && M.pages[i].fid == fid &&
		    M.pages[i].page == page)
			return i;
	return -1;
}

/* Model pages for a run [page, page+count) of the file, or false. */
static bool
page_run(int fid, uint64_t page, uint64_t count)
{
	uint64_t i;

	if (count == 0 || count > MAXPAGES)
		return false;
	for (i = 0; i < count; i++)
		if (find_page(fid, page + i) < 0)
			return false;
	return true;
}

static int
find_gmap(int fid, uint64_t page)
{
	int i;

	for (i = 0; i < M.ngmaps; i++)
		if (M.gmaps[i].in_file && M.gmaps[i].fid == fid &&
		    M.gmaps[i].page == page)
			return i;
	return -1;
}

static void
op_dealloc(struct fz *f)
{
	struct ioctl_gntdev_dealloc_gref a;
	struct mfile *mf;
	uint64_t i;
	bool run;
	int slot, err;

	mf = pick_file(f, &slot);
	memset(&a, 0, sizeof(a));
	if (mf == NULL)
		return;
	a.index = pick_index(f, mf->id);
	a.count = pick_count(f);
	run = (a.index & 4095) == 0 && a.count <= M.lim.max_pages_per_ioctl &&
	    page_run(mf->id, a.index >> 12, a.count);
	err = gntdev_file_ioctl(mf->f, IOCTL_GNTDEV_DEALLOC_GREF, &a);
	if (err != 0) {
		FZ_CHECK(err == EINVAL || err == ENOMEM, "dealloc error %d", err);
		FZ_CHECK(!run || err == ENOMEM, "dealloc of a run: %d", err);
		return;
	}
	FZ_CHECK(run, "dealloc of %#llx+%u succeeded without pages",
		 (unsigned long long)a.index, a.count);
	for (i = 0; i < a.count; i++)
		page_unfile(&M.pages[find_page(mf->id, (a.index >> 12) + i)]);
}

static void
op_map(struct fz *f)
{
	struct ioctl_gntdev_map_grant_ref a;
	struct mfile *mf;
	struct mgmap *g;
	uint32_t i;
	int slot, err;

	mf = pick_file(f, &slot);
	memset(&a, 0, sizeof(a));
	a.count = pick_count(f);
	a.pad0 = fz_u8(f);
	a.index = fz_u64(f);
	for (i = 0; i < UREFS + 8; i++) {
		uint8_t how = fz_u8(f);

		M.urefs[i].domid = how & 0x80 ? fz_u32(f) : how & 3;
		if ((how & 0x40) == 0 && M.npages > 0)
			M.urefs[i].ref = M.pages[(how & 0x3f) % M.npages].ref;
		else
			M.urefs[i].ref = 100 + (how & 0x3f);
		if (how == 0)
			break;
	}
	a.refs = user_ptr(f, M.urefs);
	if (mf == NULL || M.ngmaps == MAXGMAPS)
		return;
	err = gntdev_file_ioctl(mf->f, IOCTL_GNTDEV_MAP_GRANT_REF, &a);
	if (err != 0) {
		FZ_CHECK(err == EINVAL || err == ENOSPC || err == ENOMEM ||
			 err == EFAULT || err == EBUSY,
			 "map: unexpected error %d", err);
		return;
	}
	FZ_CHECK(a.count >= 1 && a.count <= M.lim.max_pages_per_ioctl,
		 "map of %u pages succeeded", a.count);
	FZ_CHECK((a.index & 4095) == 0, "map index");
	FZ_CHECK(!overlaps(mf->id, a.index >> 12, a.count, -1, -1),
		 "map at %#llx overlaps", (unsigned long long)a.index);
	g = &M.gmaps[M.ngmaps++];
	memset(g, 0, sizeof(*g));
	g->fid = mf->id;
	g->page = a.index >> 12;
	g->count = a.count;
	g->in_file = true;
}

static void
op_unmap(struct fz *f)
{
	struct ioctl_gntdev_unmap_grant_ref a;
	struct mfile *mf;
	int slot, err, gid;

	mf = pick_file(f, &slot);
	memset(&a, 0, sizeof(a));
	if (mf == NULL)
		return;
	a.index = pick_index(f, mf->id);
	a.count = fz_u8(f) & 0x80 ? pick_count(f) : 0xffffffffu;
	gid = (a.index & 4095) == 0 ? find_gmap(mf->id, a.index >> 12) : -1;
	if (gid >= 0 && a.count == 0xffffffffu)
		a.count = M.gmaps[gid].count;
	err = gntdev_file_ioctl(mf->f, IOCTL_GNTDEV_UNMAP_GRANT_REF, &a);
	if (err != 0) {
		FZ_CHECK(err == EINVAL || err == ENOMEM, "unmap error %d", err);
		FZ_CHECK(gid < 0 || M.gmaps[gid].count != a.count ||
			 err == ENOMEM, "unmap of a map: %d", err);
		return;
	}
	FZ_CHECK(gid >= 0 && M.gmaps[gid].count == a.count,
		 "unmap of %#llx+%u succeeded without a map",
		 (unsigned long long)a.index, a.count);
	gmap_unfile(&M.gmaps[gid]);
}

static void
op_vaddr(struct fz *f)
{
	struct ioctl_gntdev_get_offset_for_vaddr a;
	struct mfile *mf;
	struct mslot *s;
	uint64_t len;
	int slot, err, gid = -1;
	uint8_t how;

	mf = pick_file(f, &slot);
	s = &M.slots[fz_u8(f) % NSLOTS];
	how = fz_u8(f);
	memset(&a, 0, sizeof(a));
	a.vaddr = VADDR_BASE + (uint64_t)fz_u8(f) * 4096 + fz_u8(f);
	if (mf == NULL)
		return;
	fake_vaddr_clear();
	len = 0;
	if (s->m != NULL) {
		len = (uint64_t)s->n * 4096;
		if (how & 1)
			len = (uint64_t)(how >> 1) * 4096;
		if (len != 0)
			fake_vaddr_add(VADDR_BASE, len,
				       gntdev_mapping_cookie(s->m));
		if (s->foreign)
			gid = s->gid;
	}
	err = gntdev_file_ioctl(mf->f, IOCTL_GNTDEV_GET_OFFSET_FOR_VADDR, &a);
	fake_vaddr_clear();
	if (gid < 0 || !M.gmaps[gid].in_file || M.gmaps[gid].fid != mf->id ||
	    len != (uint64_t)M.gmaps[gid].count * 4096 ||
	    a.vaddr - VADDR_BASE >= len) {
		FZ_CHECK(err == EINVAL, "get_offset: %d, model says EINVAL", err);
		return;
	}
	FZ_CHECK(err == 0, "get_offset failed: %d", err);
	FZ_CHECK(a.offset == M.gmaps[gid].page << 12 &&
		 a.count == M.gmaps[gid].count, "get_offset result");
}

static void
op_notify(struct fz *f)
{
	struct ioctl_gntdev_unmap_notify a;
	struct mfile *mf;
	int slot, err, pid, gid = -1, i;
	uint64_t page;

	mf = pick_file(f, &slot);
	memset(&a, 0, sizeof(a));
	if (mf == NULL)
		return;
	a.index = pick_index(f, mf->id);
	if (fz_u8(f) & 1)
		a.index += fz_u16(f);
	a.action = fz_u8(f);
	if (a.action & 0x80)
		a.action = fz_u32(f);
	else
		a.action &= 3;
	a.event_channel_port = fz_u8(f) % 20;
	page = a.index >> 12;
	pid = find_page(mf->id, page);
	if (pid < 0)
		for (i = 0; i < M.ngmaps; i++)
			if (M.gmaps[i].in_file && M.gmaps[i].fid == mf->id &&
			    page >= M.gmaps[i].page &&
			    page - M.gmaps[i].page < M.gmaps[i].count)
				gid = i;
	err = gntdev_file_ioctl(mf->f, IOCTL_GNTDEV_SET_UNMAP_NOTIFY, &a);
	if (err != 0) {
		FZ_CHECK(err == EINVAL, "notify error %d", err);
		/* Decidable refusals only; a failed port lookup may be injected. */
		if ((a.action & ~3u) == 0 && (pid >= 0 || gid >= 0) &&
		    (a.action & UNMAP_NOTIFY_SEND_EVENT) == 0 &&
		    !(gid >= 0 && (a.action & UNMAP_NOTIFY_CLEAR_BYTE) &&
		      M.gmaps[gid].mapped && M.gmaps[gid].readonly))
			FZ_CHECK(0, "notify refused a valid request");
		return;
	}
	FZ_CHECK((a.action & ~3u) == 0, "notify took action %#x", a.action);
	FZ_CHECK(pid >= 0 || gid >= 0, "notify at %#llx without a record",
		 (unsigned long long)a.index);
	FZ_CHECK((a.action & UNMAP_NOTIFY_SEND_EVENT) == 0 ||
		 (a.event_channel_port < 16 && M.bound[a.event_channel_port]),
		 "notify took unbound port %u", a.event_channel_port);
	if (pid >= 0)
		M.pages[pid].action = a.action;
	else
		M.gmaps[gid].action = a.action;
}

static struct mslot *
free_slot(void)
{
	int i;

	for (i = 0; i < NSLOTS; i++)
		if (M.slots[i].m == NULL)
			return &M.slots[i];
	return NULL;
}

static void
op_mmap(struct fz *f)
{
	struct gntdev_mapping *m;
	struct mfile *mf;
	struct mslot *s;
	uint64_t off, size, count, i;
	int slot, err, prot, gid;
	bool run;

	mf = pick_file(f, &slot);
	if (mf == NULL)
		return;
	off = pick_index(f, mf->id);
	size = fz_u8(f);
	if (size == 0xff)
		size = fz_u64(f);
	else if ((size & 0x80) == 0)
		size = (size & 0x7f) * 4096;
	prot = fz_u8(f) & 3;
	s = free_slot();
	if (s == NULL)
		return;
	count = size >> 12;
	run = (size & 4095) == 0 && (off & 4095) == 0 &&
	    page_run(mf->id, off >> 12, count);
	gid = !run && (off & 4095) == 0 ? find_gmap(mf->id, off >> 12) : -1;
	if (gid >= 0 && (size & 4095) != 0)
		gid = -1;
	if (gid >= 0 && M.gmaps[gid].count != count)
		gid = -1;
	err = gntdev_core_mmap(mf->f, off, size, prot, &m);
	if (err != 0) {
		FZ_CHECK(err == EINVAL || err == ENOMEM || err == EACCES ||
			 err == EFAULT || err == EBUSY, "mmap error %d", err);
		FZ_CHECK(err != EACCES || (gid >= 0 && M.gmaps[gid].mapped &&
			 M.gmaps[gid].readonly && (prot & 2)), "mmap EACCES");
		return;
	}
	FZ_CHECK(run || gid >= 0, "mmap %#llx+%#llx without a record",
		 (unsigned long long)off, (unsigned long long)size);
	FZ_CHECK(gntdev_mapping_npages(m) == count, "mmap npages");
	FZ_CHECK(gntdev_mapping_offset(m) == off, "mmap offset");
	memset(s, 0, sizeof(*s));
	s->m = m;
	s->n = (uint32_t)count;
	if (run) {
		FZ_CHECK(!gntdev_mapping_is_foreign(m), "shared mmap is foreign");
		FZ_CHECK(gntdev_mapping_readonly(m) == ((prot & 2) == 0),
			 "shared mmap readonly");
		s->pids = malloc(count * sizeof(*s->pids));
		FZ_CHECK(s->pids != NULL, "%s", "malloc");
		for (i = 0; i < count; i++) {
			int pid = find_page(mf->id, (off >> 12) + i);

			s->pids[i] = pid;
			M.pages[pid].maprefs++;
			FZ_CHECK(fake_page_data(gntdev_mapping_page(m,
			    (uint32_t)i)) == fake_grant_page(M.pages[pid].ref),
				 "shared mmap page %llu", (unsigned long long)i);
		}
		return;
	}
	FZ_CHECK(gntdev_mapping_is_foreign(m), "foreign mmap not foreign");
	FZ_CHECK(M.gmaps[gid].m == NULL || M.gmaps[gid].m == m,
		 "second mmap of a map gave another mapping");
	FZ_CHECK(fake_region_mapped(gntdev_mapping_region(m)) == count,
		 "foreign mmap: region not mapped");
	if (!M.gmaps[gid].mapped) {
		M.gmaps[gid].mapped = true;
		M.gmaps[gid].readonly = (prot & 2) == 0;
	}
	FZ_CHECK(gntdev_mapping_readonly(m) == M.gmaps[gid].readonly,
		 "foreign readonly");
	M.gmaps[gid].m = m;
	M.gmaps[gid].maprefs++;
	s->foreign = true;
	s->gid = gid;
}

static void
slot_drop_model(struct mslot *s)
{
	uint32_t i;

	if (s->foreign) {
		struct mgmap *g = &M.gmaps[s->gid];

		if (--g->maprefs == 0 && !g->in_file) {
			g->action = 0;
			g->mapped = false;
			g->m = NULL;
		}
	} else {
		for (i = 0; i < s->n; i++) {
			struct mpage *p = &M.pages[s->pids[i]];

			if (--p->maprefs == 0 && !p->in_file)
				p->action = 0;
		}
		free(s->pids);
	}
	memset(s, 0, sizeof(*s));
}

static void
op_ref(struct fz *f)
{
	struct mslot *s = &M.slots[fz_u8(f) % NSLOTS], *d;
	uint32_t i;

	d = free_slot();
	if (s->m == NULL || d == NULL)
		return;
	gntdev_mapping_ref(s->m);
	*d = *s;
	if (s->foreign) {
		M.gmaps[s->gid].maprefs++;
		return;
	}
	d->pids = malloc(s->n * sizeof(*d->pids));
	FZ_CHECK(d->pids != NULL, "%s", "malloc");
	memcpy(d->pids, s->pids, s->n * sizeof(*d->pids));
	for (i = 0; i < s->n; i++)
		M.pages[s->pids[i]].maprefs++;
}

static void
op_release(struct fz *f)
{
	struct mslot *s = &M.slots[fz_u8(f) % NSLOTS];
	struct gntdev_mapping *m = s->m;

	if (m == NULL)
		return;
	slot_drop_model(s);
	gntdev_mapping_release(m);
}

/* The process touches memory it has mapped. */
static void
op_touch(struct fz *f)
{
	struct mslot *s = &M.slots[fz_u8(f) % NSLOTS];
	uint8_t v = fz_u8(f);
	uint32_t i;

	if (s->m == NULL)
		return;
	for (i = 0; i < s->n; i++) {
		uint8_t *d = s->foreign ?
		    fake_region_data(gntdev_mapping_region(s->m), i) :
		    fake_page_data(gntdev_mapping_page(s->m, i));

		if (gntdev_mapping_readonly(s->m))
			v ^= d[v * 16];
		else
			d[(i * 131 + v) % 4096] = v;
	}
}

/* A peer maps (or unmaps) one of our grants. */
static void
op_busy(struct fz *f)
{
	struct mpage *p;
	uint8_t how = fz_u8(f);

	if (M.npages == 0)
		return;
	p = &M.pages[fz_u16(f) % M.npages];
	if ((how & 1) && !p->busy && fake_grant_page(p->ref) != NULL) {
		fake_set_busy(p->ref, true);
		p->busy = true;
	} else if (!(how & 1) && p->busy) {
		fake_set_busy(p->ref, false);
		p->busy = false;
	}
}

static void
op_status(struct fz *f)
{
	static const int16_t st[] = {
		GNTDEV_GNTST_OKAY, GNTDEV_GNTST_GENERAL_ERROR,
		GNTDEV_GNTST_BAD_DOMAIN, GNTDEV_GNTST_BAD_GNTREF,
		GNTDEV_GNTST_PERMISSION_DENIED, GNTDEV_GNTST_EAGAIN,
		GNTDEV_GNTST_EAGAIN, GNTDEV_GNTST_BAD_PAGE,
	};
	uint8_t how = fz_u8(f);
	uint32_t ref = 100 + fz_u8(f) % 64;

	if (M.nstatus++ >= MAXSTATUS)
		return;
	fake_map_status(ref, st[how & 7], (int)(how >> 3) % 5 - 1);
}

static const enum fake_op fail_ops[] = {
	FAKE_MALLOC, FAKE_SXLOCK_CREATE, FAKE_PAGE_ALLOC, FAKE_GRANT_ACCESS,
	FAKE_END_ACCESS, FAKE_REGION_ALLOC, FAKE_MAP_GRANTS, FAKE_EVTCHN_GET,
	FAKE_COPYIN, FAKE_COPYOUT,
};
#define NFAIL (sizeof(fail_ops) / sizeof(fail_ops[0]))

static void
op_fail(struct fz *f)
{
	static const int errs[] = { ENOMEM, EINVAL, EFAULT, EBUSY };
	uint8_t how = fz_u8(f);

	fake_fail_nth(fail_ops[how % NFAIL], 1 + fz_u8(f) % 8,
		      errs[(how >> 4) & 3]);
}

static void
op_reclaim(void)
{
	struct gntdev_stats st;
	uint32_t left = gntdev_core_reclaim(M.core);

	gntdev_core_stats(M.core, &st);
	FZ_CHECK(left == st.parked_pages, "reclaim left %u, parked %u", left,
		 st.parked_pages);
}

static void
op_badcmd(struct fz *f)
{
	uint8_t buf[64];
	struct mfile *mf;
	unsigned long cmd;
	int slot, err;

	mf = pick_file(f, &slot);
	cmd = fz_u32(f);
	memset(buf, fz_u8(f), sizeof(buf));
	if (mf == NULL)
		return;
	switch (cmd) {
	case IOCTL_GNTDEV_SET_UNMAP_NOTIFY:
	case IOCTL_GNTDEV_ALLOC_GREF:
	case IOCTL_GNTDEV_DEALLOC_GREF:
	case IOCTL_GNTDEV_MAP_GRANT_REF:
	case IOCTL_GNTDEV_UNMAP_GRANT_REF:
	case IOCTL_GNTDEV_GET_OFFSET_FOR_VADDR:
		return;
	}
	err = gntdev_file_ioctl(mf->f, cmd, (cmd & 1) ? NULL : buf);
	FZ_CHECK(err == ENOTTY || ((cmd & 1) && err == EINVAL),
		 "unknown cmd %#lx: %d", cmd, err);
}

static void
op_limits(struct fz *f)
{
	M.lim.max_pages_per_ioctl = 1 + fz_u8(f) % 48;
	M.lim.max_pages_per_file = 1 + fz_u8(f) % 160;
	M.lim.max_pages_global = 1 + fz_u8(f) % 320;
	M.lim.eagain_retries = fz_u8(f) % 4;
	gntdev_core_set_limits(M.core, &M.lim);
}

static void
step(struct fz *f)
{
	switch ((enum op)(fz_u8(f) % OP_COUNT)) {
	case OP_OPEN: op_open(f); break;
	case OP_CLOSE: op_close(f); break;
	case OP_ALLOC: op_alloc(f); break;
	case OP_DEALLOC: op_dealloc(f); break;
	case OP_MAP: op_map(f); break;
	case OP_UNMAP: op_unmap(f); break;
	case OP_VADDR: op_vaddr(f); break;
	case OP_NOTIFY: op_notify(f); break;
	case OP_MMAP: op_mmap(f); break;
	case OP_REF: op_ref(f); break;
	case OP_RELEASE: op_release(f); break;
	case OP_TOUCH: op_touch(f); break;
	case OP_BUSY: op_busy(f); break;
	case OP_STATUS: op_status(f); break;
	case OP_FAIL: op_fail(f); break;
	case OP_RECLAIM: op_reclaim(); break;
	case OP_BIND: {
		uint32_t port = fz_u8(f) % 16;

		fake_evtchn_bind(port);
		M.bound[port] = true;
		break;
	}
	case OP_BADCMD: op_badcmd(f); break;
	case OP_LIMITS: op_limits(f); break;
	case OP_COUNT: break;
	}
}

/* Release everything; nothing may be left anywhere. */
static void
teardown(void)
{
	struct gntdev_stats st, zero;
	struct fake_outstanding o;
	unsigned int i;
	int j;

	for (i = 0; i < NFAIL; i++)
		fake_fail_nth(fail_ops[i], 0, 0);
	for (j = 0; j < NSLOTS; j++) {
		struct gntdev_mapping *m = M.slots[j].m;

		if (m == NULL)
			continue;
		slot_drop_model(&M.slots[j]);
		gntdev_mapping_release(m);
		check_invariants();
	}
	for (j = 0; j < NFILES; j++) {
		if (M.files[j].f == NULL)
			continue;
		gntdev_file_close(M.files[j].f);
		M.files[j].f = NULL;
	}
	for (j = 0; j < M.npages; j++) {
		M.pages[j].in_file = false;
		M.pages[j].action = 0;
	}
	for (j = 0; j < M.ngmaps; j++)
		gmap_unfile(&M.gmaps[j]);
	check_invariants();
	/* The peers let go of our pages; the parked ones can go now. */
	for (j = 0; j < M.npages; j++)
		if (M.pages[j].busy)
			fake_set_busy(M.pages[j].ref, false);
	FZ_CHECK(gntdev_core_reclaim(M.core) == 0, "%s", "pages stay parked");
	gntdev_core_stats(M.core, &st);
	memset(&zero, 0, sizeof(zero));
	FZ_CHECK(memcmp(&st, &zero, sizeof(st)) == 0,
		 "stats not zero at the end: files %u shared %u parked %u "
		 "maps %u mapped %u mappings %u notifies %u accounted %u",
		 st.files, st.shared_pages, st.parked_pages, st.grant_maps,
		 st.mapped_grants, st.mappings, st.notifies,
		 st.pages_accounted);
	FZ_CHECK(gntdev_core_destroy(M.core) == 0, "%s", "destroy");
	fake_outstanding(&o);
	FZ_CHECK(o.allocs == 0 && o.locks == 0 && o.pages == 0 &&
		 o.grants == 0 && o.regions == 0 && o.mapped == 0 &&
		 o.evtchn_refs == 0,
		 "fake outstanding: allocs %ld locks %ld pages %ld grants %ld "
		 "regions %ld mapped %ld evtchn %ld", o.allocs, o.locks,
		 o.pages, o.grants, o.regions, o.mapped, o.evtchn_refs);
	FZ_CHECK(fake_violations() == 0, "violations %u", fake_violations());
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	int steps;

	fake_reset();
	memset(&M, 0, sizeof(M));
	fake_user_add(M.uids, sizeof(M.uids) - 8 * sizeof(M.uids[0]));
	fake_user_add(M.urefs, sizeof(M.urefs) - 8 * sizeof(M.urefs[0]));
	gntdev_limits_default(&M.lim);
	M.lim.max_pages_per_ioctl = 1 + fz_u8(&f) % 48;
	M.lim.max_pages_per_file = 1 + fz_u8(&f) % 160;
	M.lim.max_pages_global = 1 + fz_u8(&f) % 320;
	M.lim.eagain_retries = 3;
	FZ_CHECK(gntdev_core_create(&M.lim, FAKE_OS, &M.core) == 0, "%s",
		 "core create");
	for (steps = 0; steps < MAXSTEPS && fz_left(&f); steps++) {
		step(&f);
		check_invariants();
	}
	teardown();
	return 0;
}

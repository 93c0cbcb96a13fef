/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * FreeBSD glue of /dev/xen/gntdev.
 *
 * Everything that is policy (records, offsets, validation, notifications,
 * limits, parking of pages a peer still maps) lives in the OS-neutral core,
 * ../gntdev_core.c.  This file is what only FreeBSD can do:
 *
 *   - the OS contract of ../gntdev_os.h, with the FreeBSD 14 KPI;
 *   - two cdev pagers: a managed-device pager (OBJT_MGTDEVICE) for foreign
 *     grants mapped into an unpopulated physical range, and a device pager
 *     (OBJT_DEVICE) handing out fake pages for our own shared pages;
 *   - the cdevsw (open, ioctl, mmap_single) with per-open state kept through
 *     devfs_set_cdevpriv(9);
 *   - the hw.xen.gntdev sysctl tree;
 *   - newbus and module glue on the xenpv bus.
 *
 * Reference counting between the VM and the core.  gntdev_core_mmap() hands
 * d_mmap_single a mapping reference; d_mmap_single always gives it back
 * before returning.  Each VM object we create owns exactly one mapping
 * reference of its own: the pager constructor takes it and the pager
 * destructor drops it.  The VM, not us, decides when an object dies (last
 * munmap, process exit), and the core does the unmap or page release when
 * the last reference of all goes.
 *
 * Locks of the glue, in the order they may be taken:
 *   sc_gobj_sx	serializes the creation of foreign-map VM objects (sleeps);
 *   sc_limits_sx	serializes read-modify-write of the limits (sleeps);
 *   sc_state_mtx	open count, VM object count and the detaching flag;
 *   sc_gobj_mtx	the foreign-object hash and the counts in its entries;
 *   sc_reclaim_mtx	the reclaim callout (callout_init_mtx) and its deadline.
 * The core's own mutex is a leaf below all of them: detach reads the core's
 * counters with sc_state_mtx held.  No other glue mutex is held across a
 * call into the core or the VM, and no sx lock is taken with a mutex held.
 */

#include <sys/param.h>
#include <sys/systm.h>
#include <sys/bus.h>
#include <sys/callout.h>
#include <sys/conf.h>
#include <sys/filio.h>
#include <sys/kernel.h>
#include <sys/limits.h>
#include <sys/lock.h>
#include <sys/malloc.h>
#include <sys/mman.h>
#include <sys/module.h>
#include <sys/mutex.h>
#include <sys/proc.h>
#include <sys/queue.h>
#include <sys/rman.h>
#include <sys/rwlock.h>
#include <sys/stddef.h>
#include <sys/sx.h>
#include <sys/sysctl.h>
#include <sys/taskqueue.h>
#include <sys/time.h>

#include <vm/vm.h>
#include <vm/vm_param.h>
#include <vm/pmap.h>
#include <vm/vm_map.h>
#include <vm/vm_object.h>
#include <vm/vm_page.h>
#include <vm/vm_pager.h>

#include <xen/xen-os.h>
#include <xen/hypervisor.h>
#include <xen/error.h>
#include <xen/gnttab.h>
#include <xen/xen_intr.h>

#include "gntdev.h"
#include "gntdev_os.h"
#include "gntdev_core.h"

MALLOC_DEFINE(M_GNTDEV, "gntdev", "Xen grant-table user-space device");

/* The core counts in 4 KiB pages; so do Xen grants. */
CTASSERT(PAGE_SIZE == GNTDEV_PAGE_SIZE);

/* The core's grant status values are Xen's, copied through unchanged. */
CTASSERT(GNTST_okay == GNTDEV_GNTST_OKAY);
CTASSERT(GNTST_general_error == GNTDEV_GNTST_GENERAL_ERROR);
CTASSERT(GNTST_bad_domain == GNTDEV_GNTST_BAD_DOMAIN);
CTASSERT(GNTST_bad_gntref == GNTDEV_GNTST_BAD_GNTREF);
CTASSERT(GNTST_bad_handle == GNTDEV_GNTST_BAD_HANDLE);
CTASSERT(GNTST_permission_denied == GNTDEV_GNTST_PERMISSION_DENIED);
CTASSERT(GNTST_bad_page == GNTDEV_GNTST_BAD_PAGE);
CTASSERT(GNTST_eagain == GNTDEV_GNTST_EAGAIN);

/* Buckets of the foreign-object hash; grows with nothing, it is a cache. */
#define	GNTDEV_GOBJ_HASH_SIZE	64

/* Limits accepted from sysctl(8) and loader tunables. */
#define	GNTDEV_MAX_PAGES_PER_IOCTL_LIMIT	(1U << 20)	/* 4 GiB */
#define	GNTDEV_MAX_EAGAIN_RETRIES		1000U
#define	GNTDEV_MAX_RECLAIM_INTERVAL_MS		3600000U	/* 1 hour */

struct gntdev_gobj;
LIST_HEAD(gntdev_gobj_list, gntdev_gobj);

/* The one instance, child of xenpv. */
struct gntdev_softc {
	device_t		 sc_dev;
	struct cdev		*sc_cdev;
	struct gntdev_core	*sc_core;

	struct mtx		 sc_state_mtx;
	u_int			 sc_nopen;	/* open files, incl. opening */
	u_int			 sc_nobjects;	/* VM objects not destroyed */
	bool			 sc_detaching;

	struct sx		 sc_gobj_sx;
	struct mtx		 sc_gobj_mtx;
	struct gntdev_gobj_list	*sc_gobj_hash;
	u_long			 sc_gobj_hashmask;

	struct mtx		 sc_reclaim_mtx;
	struct callout		 sc_reclaim_callout;
	struct task		 sc_reclaim_task;
	sbintime_t		 sc_reclaim_when;	/* pending deadline */
	bool			 sc_reclaim_stopped;

	struct sx		 sc_limits_sx;
	struct sysctl_ctx_list	 sc_sysctl_ctx;
};

/* Per open file description (the core's os_file). */
struct gntdev_priv {
	struct gntdev_softc	*p_sc;
	struct gntdev_file	*p_file;
};

/*
 * The handle of a foreign-map VM object: one per grant map, found by the
 * core's cookie.  It is not the cookie itself because it must count the VM
 * objects that use it (see gntdev_mmap_foreign()).  Freed when no object
 * and no d_mmap_single uses it.
 */
struct gntdev_gobj {
	LIST_ENTRY(gntdev_gobj)	 g_link;	/* sc_gobj_mtx */
	struct gntdev_softc	*g_sc;
	void			*g_cookie;	/* gntdev_mapping_cookie() */
	struct gntdev_mapping	*g_map;		/* changes only at g_nobj 0 */
	u_int			 g_nobj;	/* VM objects, live or dying */
	u_int			 g_busy;	/* d_mmap_single in progress */
};

/* The handle of a shared-page VM object: one per mmap. */
struct gntdev_shm {
	struct gntdev_softc	*s_sc;
	struct gntdev_mapping	*s_map;
};

/* The opaque types of gntdev_os.h. */
struct gntdev_os_page {
	vm_page_t		 m;		/* wired, not in any object */
};

struct gntdev_os_region {
	struct resource		*res;
	int			 rid;
	vm_paddr_t		 base;
	uint32_t		 npages;
	bool			 leak;		/* an unmap failed: keep it */
};

struct gntdev_os_evtchn {
	xen_intr_handle_t	 handle;
};

struct gntdev_os_mutex {
	struct mtx		 mtx;
};

struct gntdev_os_sxlock {
	struct sx		 sx;
};

static d_open_t		gntdev_open;
static d_ioctl_t	gntdev_ioctl;
static d_mmap_single_t	gntdev_mmap_single;

static struct cdevsw gntdev_cdevsw = {
	.d_version =		D_VERSION,
	.d_open =		gntdev_open,
	.d_ioctl =		gntdev_ioctl,
	.d_mmap_single =	gntdev_mmap_single,
	.d_name =		"gntdev",
};

static int	gntdev_gmap_pg_ctor(void *handle, vm_ooffset_t size,
		    vm_prot_t prot, vm_ooffset_t foff, struct ucred *cred,
		    u_short *color);
static void	gntdev_gmap_pg_dtor(void *handle);
static int	gntdev_gmap_pg_fault(vm_object_t object, vm_ooffset_t offset,
		    int prot, vm_page_t *mres);
static int	gntdev_shm_pg_ctor(void *handle, vm_ooffset_t size,
		    vm_prot_t prot, vm_ooffset_t foff, struct ucred *cred,
		    u_short *color);
static void	gntdev_shm_pg_dtor(void *handle);
static int	gntdev_shm_pg_fault(vm_object_t object, vm_ooffset_t offset,
		    int prot, vm_page_t *mres);

static struct cdev_pager_ops gntdev_gmap_pg_ops = {
	.cdev_pg_fault =	gntdev_gmap_pg_fault,
	.cdev_pg_ctor =		gntdev_gmap_pg_ctor,
	.cdev_pg_dtor =		gntdev_gmap_pg_dtor,
};

static struct cdev_pager_ops gntdev_shm_pg_ops = {
	.cdev_pg_fault =	gntdev_shm_pg_fault,
	.cdev_pg_ctor =		gntdev_shm_pg_ctor,
	.cdev_pg_dtor =		gntdev_shm_pg_dtor,
};

static void	gntdev_reclaim_timeout(void *arg);
static void	gntdev_reclaim_task(void *arg, int pending);

/*
 * ------------------------------------------------------------------
 * OS contract (../gntdev_os.h)
 * ------------------------------------------------------------------
 */

/* The core never calls this with one of its mutexes held. */
void *
gntdev_os_malloc(size_t size)
{

	return (malloc(size, M_GNTDEV, M_WAITOK | M_ZERO));
}

void
gntdev_os_free(void *ptr)
{

	free(ptr, M_GNTDEV);
}

int
gntdev_os_mutex_create(const char *name, struct gntdev_os_mutex **mtxp)
{
	struct gntdev_os_mutex *m;

	m = malloc(sizeof(*m), M_GNTDEV, M_WAITOK | M_ZERO);
	/* mtx_init(9) keeps the name pointer: the core passes literals. */
	mtx_init(&m->mtx, name, NULL, MTX_DEF);
	*mtxp = m;
	return (0);
}

void
gntdev_os_mutex_destroy(struct gntdev_os_mutex *m)
{

	mtx_destroy(&m->mtx);
	free(m, M_GNTDEV);
}

void
gntdev_os_mutex_lock(struct gntdev_os_mutex *m)
{

	mtx_lock(&m->mtx);
}

void
gntdev_os_mutex_unlock(struct gntdev_os_mutex *m)
{

	mtx_unlock(&m->mtx);
}

int
gntdev_os_sxlock_create(const char *name, struct gntdev_os_sxlock **sxp)
{
	struct gntdev_os_sxlock *s;

	s = malloc(sizeof(*s), M_GNTDEV, M_WAITOK | M_ZERO);
	sx_init(&s->sx, name);
	*sxp = s;
	return (0);
}

void
gntdev_os_sxlock_destroy(struct gntdev_os_sxlock *s)
{

	sx_destroy(&s->sx);
	free(s, M_GNTDEV);
}

void
gntdev_os_sxlock_lock(struct gntdev_os_sxlock *s)
{

	sx_xlock(&s->sx);
}

void
gntdev_os_sxlock_unlock(struct gntdev_os_sxlock *s)
{

	sx_xunlock(&s->sx);
}

/*
 * A zeroed, wired page outside any VM object.  VM_ALLOC_WAITFAIL sleeps
 * once for free memory and then gives up, so that a large ALLOC_GREF under
 * memory pressure fails with ENOMEM instead of waiting forever.
 */
int
gntdev_os_page_alloc(void *os __unused, struct gntdev_os_page **pagep)
{
	struct gntdev_os_page *p;
	vm_page_t m;

	m = vm_page_alloc_noobj(VM_ALLOC_NORMAL | VM_ALLOC_WIRED |
	    VM_ALLOC_ZERO | VM_ALLOC_WAITFAIL);
	if (m == NULL)
		return (ENOMEM);
	p = malloc(sizeof(*p), M_GNTDEV, M_WAITOK | M_ZERO);
	p->m = m;
	*pagep = p;
	return (0);
}

/*
 * The core frees a page only when no mapping of ours covers it (each of
 * our VM objects holds a mapping reference until its destructor, which runs
 * after the last pmap entry is gone) and the grant has been revoked.
 * Someone else may still hold a wiring, though: pmap_extract_and_hold()
 * (vm_fault_quick_hold_pages(), used by pipes, physio, aio) resolves the
 * fake page's physical address to this real page and wires it.  Then the
 * holder's vm_page_unwire() frees the page, which has no object, when it
 * drops the last wiring; we must not.
 */
void
gntdev_os_page_free(void *os __unused, struct gntdev_os_page *p)
{

	KASSERT(p->m->object == NULL, ("gntdev: shared page %p in an object",
	    p->m));
	if (vm_page_unwire_noq(p->m))
		vm_page_free(p->m);
	free(p, M_GNTDEV);
}

/* The quick mapping is per-CPU and disables preemption: one store only. */
void
gntdev_os_page_clear_byte(void *os __unused, struct gntdev_os_page *p,
    uint32_t offset)
{
	vm_offset_t va;

	KASSERT(offset < PAGE_SIZE, ("gntdev: byte offset %u", offset));
	va = pmap_quick_enter_page(p->m);
	*((volatile uint8_t *)va + offset) = 0;
	pmap_quick_remove_page(va);
}

/*
 * The third argument of gnttab_grant_foreign_access() is declared as flags
 * in xen/gnttab.h; the 14 implementation tests it as a boolean.  Passing
 * GTF_readonly or 0 is right under either reading.
 */
int
gntdev_os_grant_access(void *os __unused, uint16_t domid,
    struct gntdev_os_page *p, bool readonly, uint32_t *refp)
{
	grant_ref_t ref;
	int error;

	error = gnttab_grant_foreign_access(domid, atop(VM_PAGE_TO_PHYS(p->m)),
	    readonly ? GTF_readonly : 0, &ref);
	if (error != 0)
		return (error);
	*refp = ref;
	return (0);
}

/*
 * Revoke a grant.  The query avoids a doomed compare-and-swap in the common
 * "still mapped" case; gnttab_end_foreign_access_ref() is the real test
 * (0: the peer mapped it in between).  Only a revoked entry goes back to
 * the free list.
 */
int
gntdev_os_end_access(void *os __unused, uint32_t ref)
{

	if (gnttab_query_foreign_access(ref) != 0)
		return (EBUSY);
	if (gnttab_end_foreign_access_ref(ref) == 0)
		return (EBUSY);
	gnttab_free_grant_reference(ref);
	return (0);
}

/*
 * Address space for foreign grants: an unpopulated physical range from the
 * xenpv bus.  Its XENMEM_ALLOC method registers the fictitious vm_pages of
 * the range (vm_phys_fictitious_reg_range()) and XENMEM_FREE unregisters
 * them, which is what privcmd(4) relies on too; we only check it.
 */
int
gntdev_os_region_alloc(void *os, uint32_t npages,
    struct gntdev_os_region **regionp)
{
	struct gntdev_softc *sc;
	struct gntdev_os_region *r;
	vm_page_t m;

	sc = os;
	KASSERT(npages > 0, ("gntdev: empty region"));
	r = malloc(sizeof(*r), M_GNTDEV, M_WAITOK | M_ZERO);
	r->rid = 0;
	r->npages = npages;
	r->res = xenmem_alloc(sc->sc_dev, &r->rid, ptoa((size_t)npages));
	if (r->res == NULL) {
		free(r, M_GNTDEV);
		return (ENOMEM);
	}
	r->base = (vm_paddr_t)rman_get_start(r->res);
	/*
	 * Checked at run time, not only under INVARIANTS: some versions of
	 * xenpv ask rman for no alignment at all, and every page of the
	 * range must be a fictitious page for the pager.
	 */
	m = PHYS_TO_VM_PAGE(r->base);
	if ((r->base & PAGE_MASK) != 0 || m == NULL ||
	    (m->flags & PG_FICTITIOUS) == 0) {
		device_printf(sc->sc_dev,
		    "unusable region at %#jx for %u pages\n",
		    (uintmax_t)r->base, npages);
		(void)xenmem_free(sc->sc_dev, r->rid, r->res);
		free(r, M_GNTDEV);
		return (ENOMEM);
	}
	*regionp = r;
	return (0);
}

/*
 * True when some page of the region is still used by someone other than
 * the fictitious-page registration itself (one wiring, no object): a VM
 * object that did not die, or a wiring taken by pmap_extract_and_hold()
 * for I/O on a user buffer that was mapped from us.  Unregistering the
 * range would free vm_page structures that are still referenced.
 */
static bool
gntdev_region_busy(struct gntdev_os_region *r)
{
	vm_page_t m;
	uint32_t i;

	for (i = 0; i < r->npages; i++) {
		m = PHYS_TO_VM_PAGE(r->base + ptoa((vm_paddr_t)i));
		if (m == NULL)
			continue;
		if (m->object != NULL ||
		    VPRC_WIRE_COUNT(atomic_load_int(&m->ref_count)) != 1)
			return (true);
	}
	return (false);
}

/*
 * Give the range back, unless an unmap of one of its grants failed (a
 * foreign frame may then still sit at that guest-physical address, and
 * handing the range to the next map would alias it) or one of its pages is
 * still referenced (see gntdev_region_busy()).  Leaking a little address
 * space is the safe choice.
 */
void
gntdev_os_region_free(void *os, struct gntdev_os_region *r)
{
	struct gntdev_softc *sc;
	int error __diagused;

	sc = os;
	if (r->leak || gntdev_region_busy(r)) {
		device_printf(sc->sc_dev,
		    "keeping %u pages at %#jx: %s\n", r->npages,
		    (uintmax_t)r->base, r->leak ? "grants still mapped" :
		    "pages still referenced");
		free(r, M_GNTDEV);
		return;
	}
	error = xenmem_free(sc->sc_dev, r->rid, r->res);
	KASSERT(error == 0, ("gntdev: xenmem_free: %d", error));
	free(r, M_GNTDEV);
}

/* A hypercall's negative Xen errno as a positive errno(2) value. */
static int
gntdev_xen_error(int error)
{

	if (error < 0)
		return (xen_translate_error(error));
	return (EIO);
}

/*
 * One batched GNTTABOP_map_grant_ref.  FreeBSD has no gnttab_set_map_op(),
 * so the operations are filled here.  host_addr is a guest-physical address
 * in the region (HVM/PVH: the grant is put in our physmap there).  n is
 * bounded by the core's per-ioctl limit.
 */
int
gntdev_os_map_grants(void *os __unused, struct gntdev_os_region *r,
    struct gntdev_map_op *ops, uint32_t n)
{
	struct gnttab_map_grant_ref *gops;
	uint32_t i;
	int error;

	KASSERT(n > 0, ("gntdev: empty map batch"));
	gops = mallocarray(n, sizeof(*gops), M_GNTDEV, M_WAITOK | M_ZERO);
	for (i = 0; i < n; i++) {
		KASSERT(ops[i].page < r->npages,
		    ("gntdev: op %u page %u of %u", i, ops[i].page, r->npages));
		gops[i].host_addr = r->base + ptoa((vm_paddr_t)ops[i].page);
		gops[i].flags = GNTMAP_host_map |
		    (ops[i].readonly ? GNTMAP_readonly : 0);
		gops[i].ref = ops[i].ref;
		gops[i].dom = ops[i].domid;
	}
	error = HYPERVISOR_grant_table_op(GNTTABOP_map_grant_ref, gops, n);
	if (error != 0) {
		/*
		 * The call itself failed.  Xen rejects a bad command or count
		 * before doing anything, but a fault copying an op in or out
		 * stops the batch half way, and then the statuses are lost.
		 * The core will treat every op as failed; keep the range
		 * out of reuse in case some grant did get mapped.
		 */
		r->leak = true;
		free(gops, M_GNTDEV);
		return (gntdev_xen_error(error));
	}
	for (i = 0; i < n; i++) {
		ops[i].status = gops[i].status;
		ops[i].handle = gops[i].handle;
	}
	free(gops, M_GNTDEV);
	return (0);
}

/*
 * Undo the OKAY ops in one batched GNTTABOP_unmap_grant_ref.  An op that
 * fails to unmap marks the region to be leaked (see region_free) and the
 * call returns EIO; the core cannot do better than go on.
 */
int
gntdev_os_unmap_grants(void *os, struct gntdev_os_region *r,
    struct gntdev_map_op *ops, uint32_t n)
{
	struct gntdev_softc *sc;
	struct gnttab_unmap_grant_ref *uops;
	uint32_t i, j, cnt;
	int error;

	sc = os;
	cnt = 0;
	for (i = 0; i < n; i++)
		if (ops[i].status == GNTDEV_GNTST_OKAY)
			cnt++;
	if (cnt == 0)
		return (0);
	uops = mallocarray(cnt, sizeof(*uops), M_GNTDEV, M_WAITOK | M_ZERO);
	for (i = 0, j = 0; i < n; i++) {
		if (ops[i].status != GNTDEV_GNTST_OKAY)
			continue;
		KASSERT(ops[i].page < r->npages,
		    ("gntdev: op %u page %u of %u", i, ops[i].page, r->npages));
		uops[j].host_addr = r->base + ptoa((vm_paddr_t)ops[i].page);
		uops[j].dev_bus_addr = 0;
		uops[j].handle = ops[i].handle;
		j++;
	}
	KASSERT(j == cnt, ("gntdev: unmap count %u != %u", j, cnt));
	error = HYPERVISOR_grant_table_op(GNTTABOP_unmap_grant_ref, uops, cnt);
	if (error != 0) {
		r->leak = true;
		error = gntdev_xen_error(error);
		device_printf(sc->sc_dev, "unmap of %u grants failed: %d\n",
		    cnt, error);
	} else {
		for (j = 0; j < cnt; j++) {
			if (uops[j].status == GNTST_okay)
				continue;
			r->leak = true;
			error = EIO;
			device_printf(sc->sc_dev,
			    "unmap of grant at %#jx failed: status %d\n",
			    (uintmax_t)uops[j].host_addr, uops[j].status);
		}
	}
	free(uops, M_GNTDEV);
	return (error);
}

/*
 * Clear one byte of a mapped, writable foreign page (the core checks both)
 * through a temporary kernel mapping of its fictitious page.
 */
void
gntdev_os_region_clear_byte(void *os __unused, struct gntdev_os_region *r,
    uint32_t page, uint32_t offset)
{
	vm_offset_t va;
	vm_page_t m;

	KASSERT(page < r->npages, ("gntdev: page %u of %u", page, r->npages));
	KASSERT(offset < PAGE_SIZE, ("gntdev: byte offset %u", offset));
	m = PHYS_TO_VM_PAGE(r->base + ptoa((vm_paddr_t)page));
	KASSERT(m != NULL && (m->flags & PG_FICTITIOUS) != 0,
	    ("gntdev: no fictitious page for region page %u", page));
	if (m == NULL)
		return;
	va = pmap_quick_enter_page(m);
	*((volatile uint8_t *)va + offset) = 0;
	pmap_quick_remove_page(va);
}

/*
 * A signal ends the wait (EINTR or ERESTART from pause_sig()): the mmap
 * then fails with EINTR rather than restart and wait all over again.
 * EWOULDBLOCK is the normal end of the pause.
 */
int
gntdev_os_sleep_ms(void *os __unused, unsigned int ms)
{
	uint64_t t;
	int error;

	t = howmany((uint64_t)ms * hz, 1000);
	if (t == 0)
		t = 1;
	if (t > INT_MAX)
		t = INT_MAX;
	error = pause_sig("gntmap", (int)t);
	if (error == EINTR || error == ERESTART)
		return (EINTR);
	return (0);
}

/*
 * Take a reference on a port some file already bound (typically through
 * /dev/xen/evtchn).  xen_intr cannot tell who bound it, so any bound port is
 * accepted, as in the old driver.  Not marked "may sleep" in the contract:
 * the record is allocated M_NOWAIT.
 */
int
gntdev_os_evtchn_get(void *os __unused, void *os_file __unused,
    uint32_t port, struct gntdev_os_evtchn **evp)
{
	struct gntdev_os_evtchn *ev;

	ev = malloc(sizeof(*ev), M_GNTDEV, M_NOWAIT | M_ZERO);
	if (ev == NULL)
		return (ENOMEM);
	if (xen_intr_get_evtchn_from_port(port, &ev->handle) != 0) {
		free(ev, M_GNTDEV);
		return (EINVAL);
	}
	*evp = ev;
	return (0);
}

void
gntdev_os_evtchn_notify(void *os __unused, struct gntdev_os_evtchn *ev)
{

	xen_intr_signal(ev->handle);
}

void
gntdev_os_evtchn_put(void *os __unused, struct gntdev_os_evtchn *ev)
{

	xen_intr_unbind(&ev->handle);
	free(ev, M_GNTDEV);
}

/* Both run in the ioctl's thread, on curproc's address space. */
int
gntdev_os_copyin(void *os_file __unused, const void *uaddr, void *kaddr,
    size_t len)
{

	return (copyin(uaddr, kaddr, len));
}

int
gntdev_os_copyout(void *os_file __unused, const void *kaddr, void *uaddr,
    size_t len)
{

	return (copyout(kaddr, uaddr, len));
}

/*
 * Find our mapping at vaddr in the calling process.  vm_map_lookup() is
 * not used: it is made for faults and may create shadow or anonymous
 * objects as a side effect.  Under the map read lock the entry holds a
 * reference on its object, so the object, its type and its handle are
 * stable; the cookie itself is only compared by the core, never
 * dereferenced, so it may go stale once the lock is dropped.
 */
int
gntdev_os_vaddr_lookup(void *os_file __unused, uint64_t vaddr,
    void **cookiep, uint64_t *lenp)
{
	vm_map_t map;
	vm_map_entry_t entry;
	vm_object_t obj;
	struct gntdev_gobj *gobj;
	struct gntdev_shm *shm;
	int error;

	if (vaddr != (vm_offset_t)vaddr)
		return (EINVAL);
	map = &curproc->p_vmspace->vm_map;
	error = EINVAL;
	vm_map_lock_read(map);
	if (!vm_map_lookup_entry(map, (vm_offset_t)vaddr, &entry) ||
	    (entry->eflags & MAP_ENTRY_IS_SUB_MAP) != 0)
		goto out;
	obj = entry->object.vm_object;
	if (obj == NULL)
		goto out;
	if (obj->type == OBJT_MGTDEVICE &&
	    obj->un_pager.devp.ops == &gntdev_gmap_pg_ops) {
		gobj = obj->handle;
		*cookiep = gobj->g_cookie;
	} else if (obj->type == OBJT_DEVICE &&
	    obj->un_pager.devp.ops == &gntdev_shm_pg_ops) {
		/* The core refuses these (as FreeBSD always did). */
		shm = obj->handle;
		*cookiep = gntdev_mapping_cookie(shm->s_map);
	} else
		goto out;
	*lenp = entry->end - entry->start;
	error = 0;
out:
	vm_map_unlock_read(map);
	return (error);
}

/*
 * Deferred reclaim of parked pages.  gntdev_core_reclaim() makes
 * hypercalls and may sleep, so the callout (which may not sleep) only
 * enqueues a task on taskqueue_thread, which runs it.  Requests coalesce:
 * the callout is moved only to an earlier deadline, and a task already
 * queued is not queued twice (taskqueue(9)).
 */
void
gntdev_os_reclaim_schedule(void *os, unsigned int delay_ms)
{
	struct gntdev_softc *sc;
	sbintime_t when;

	sc = os;
	mtx_lock(&sc->sc_reclaim_mtx);
	if (sc->sc_reclaim_stopped)
		goto out;
	if (delay_ms == 0) {
		taskqueue_enqueue(taskqueue_thread, &sc->sc_reclaim_task);
		goto out;
	}
	when = sbinuptime() + (sbintime_t)delay_ms * SBT_1MS;
	if (!callout_pending(&sc->sc_reclaim_callout) ||
	    when < sc->sc_reclaim_when) {
		sc->sc_reclaim_when = when;
		callout_reset_sbt(&sc->sc_reclaim_callout, when, SBT_1MS,
		    gntdev_reclaim_timeout, sc, C_ABSOLUTE);
	}
out:
	mtx_unlock(&sc->sc_reclaim_mtx);
}

/* Callout, with sc_reclaim_mtx held (callout_init_mtx). */
static void
gntdev_reclaim_timeout(void *arg)
{
	struct gntdev_softc *sc;

	sc = arg;
	mtx_assert(&sc->sc_reclaim_mtx, MA_OWNED);
	if (!sc->sc_reclaim_stopped)
		taskqueue_enqueue(taskqueue_thread, &sc->sc_reclaim_task);
}

/* Task: the core reschedules itself while pages stay parked. */
static void
gntdev_reclaim_task(void *arg, int pending __unused)
{
	struct gntdev_softc *sc;

	sc = arg;
	KASSERT(sc->sc_core != NULL, ("gntdev: reclaim without a core"));
	(void)gntdev_core_reclaim(sc->sc_core);
}

/*
 * ------------------------------------------------------------------
 * Pagers
 * ------------------------------------------------------------------
 */

/*
 * Foreign grants: OBJT_MGTDEVICE, one VM object per grant map.
 *
 * All mmaps of one grant map must share one object, because a fictitious
 * page can belong to only one object at a time.  cdev_pager_allocate()
 * returns the existing object for a handle, but it calls the constructor on
 * every call and the destructor only once per object, so a constructor
 * that takes a reference would leak one per later mmap.  Hence:
 * d_mmap_single looks the object up first (cdev_pager_lookup()) and calls
 * cdev_pager_allocate() only to create one, serialized by sc_gobj_sx so
 * that no other thread creates it in between; then constructor and
 * destructor pair up exactly, one per object.
 *
 * A dying object (last reference gone, destructor not yet run) is skipped
 * by the lookup but still owns the fictitious pages it faulted in until
 * vm_object_terminate() detaches them just before the destructor.  A new
 * object must not fault those pages in earlier, so creation waits until the
 * handle's object count g_nobj, dropped by the destructor, reaches 0.
 */

static struct gntdev_gobj_list *
gntdev_gobj_bucket(struct gntdev_softc *sc, void *cookie)
{

	return (&sc->sc_gobj_hash[((uintptr_t)cookie >> 6) &
	    sc->sc_gobj_hashmask]);
}

/* Drop a d_mmap_single's hold on gobj, freeing it if nothing uses it. */
static void
gntdev_gobj_unbusy(struct gntdev_gobj *gobj)
{
	struct gntdev_softc *sc;
	bool dofree;

	sc = gobj->g_sc;
	mtx_lock(&sc->sc_gobj_mtx);
	KASSERT(gobj->g_busy > 0, ("gntdev: gobj %p not busy", gobj));
	gobj->g_busy--;
	dofree = gobj->g_busy == 0 && gobj->g_nobj == 0;
	if (dofree)
		LIST_REMOVE(gobj, g_link);
	mtx_unlock(&sc->sc_gobj_mtx);
	if (dofree)
		free(gobj, M_GNTDEV);
}

static int
gntdev_mmap_foreign(struct gntdev_softc *sc, struct gntdev_mapping *map,
    vm_ooffset_t foff, vm_size_t size, int nprot, vm_object_t *objp)
{
	struct gntdev_gobj_list *bucket;
	struct gntdev_gobj *gobj, *new;
	vm_object_t obj;
	void *cookie;
	u_int nobj;

	cookie = gntdev_mapping_cookie(map);
	bucket = gntdev_gobj_bucket(sc, cookie);
	new = malloc(sizeof(*new), M_GNTDEV, M_WAITOK | M_ZERO);

	sx_xlock(&sc->sc_gobj_sx);
	mtx_lock(&sc->sc_gobj_mtx);
	LIST_FOREACH(gobj, bucket, g_link)
		if (gobj->g_cookie == cookie)
			break;
	if (gobj == NULL) {
		gobj = new;
		new = NULL;
		gobj->g_sc = sc;
		gobj->g_cookie = cookie;
		LIST_INSERT_HEAD(bucket, gobj, g_link);
	}
	gobj->g_busy++;
	mtx_unlock(&sc->sc_gobj_mtx);
	free(new, M_GNTDEV);

	for (;;) {
		/* Referenced for us, as cdev_pager_allocate() would do. */
		obj = cdev_pager_lookup(gobj);
		if (obj != NULL) {
			KASSERT(gntdev_mapping_cookie(gobj->g_map) == cookie,
			    ("gntdev: gobj %p map changed", gobj));
			break;
		}
		mtx_lock(&sc->sc_gobj_mtx);
		nobj = gobj->g_nobj;
		if (nobj == 0)
			gobj->g_map = map;	/* the ctor references it */
		mtx_unlock(&sc->sc_gobj_mtx);
		if (nobj == 0) {
			obj = cdev_pager_allocate(gobj, OBJT_MGTDEVICE,
			    &gntdev_gmap_pg_ops, size, nprot, foff,
			    curthread->td_ucred);
			break;
		}
		/* An earlier object of this map is being torn down. */
		pause("gntdobj", 1);
	}
	sx_xunlock(&sc->sc_gobj_sx);
	gntdev_gobj_unbusy(gobj);
	if (obj == NULL)
		return (EINVAL);
	*objp = obj;
	return (0);
}

/*
 * Count the VM objects whose destructor has not finished.  The core's
 * counters drop inside gntdev_mapping_release(), before a destructor is
 * done with the core and with M_GNTDEV, so detach must also wait for this
 * count: the drop is the last thing a destructor does.
 */
static void
gntdev_objects_count(struct gntdev_softc *sc, bool created)
{

	mtx_lock(&sc->sc_state_mtx);
	if (created)
		sc->sc_nobjects++;
	else {
		KASSERT(sc->sc_nobjects > 0,
		    ("gntdev: object count underflow"));
		sc->sc_nobjects--;
	}
	mtx_unlock(&sc->sc_state_mtx);
}

/* Runs only when a new object is about to be created (see above). */
static int
gntdev_gmap_pg_ctor(void *handle, vm_ooffset_t size __unused,
    vm_prot_t prot __unused, vm_ooffset_t foff __unused,
    struct ucred *cred __unused, u_short *color)
{
	struct gntdev_gobj *gobj;
	struct gntdev_softc *sc;
	struct gntdev_mapping *map;

	gobj = handle;
	sc = gobj->g_sc;
	sx_assert(&sc->sc_gobj_sx, SA_XLOCKED);
	mtx_lock(&sc->sc_gobj_mtx);
	gobj->g_nobj++;
	map = gobj->g_map;
	mtx_unlock(&sc->sc_gobj_mtx);
	gntdev_mapping_ref(map);
	gntdev_objects_count(sc, true);
	*color = 0;
	return (0);
}

/*
 * The object is dead: every pmap entry of it is gone and its pages were
 * detached by vm_object_terminate().  Dropping the object's reference may
 * be the last one, in which case the core clears the notify byte, unmaps
 * the grants (hypercall), frees the region and sends the event: it sleeps,
 * as the destructor is allowed to.
 */
static void
gntdev_gmap_pg_dtor(void *handle)
{
	struct gntdev_gobj *gobj;
	struct gntdev_softc *sc;
	struct gntdev_mapping *map;
	bool dofree;

	gobj = handle;
	sc = gobj->g_sc;
	mtx_lock(&sc->sc_gobj_mtx);
	KASSERT(gobj->g_nobj > 0, ("gntdev: gobj %p has no object", gobj));
	map = gobj->g_map;
	gobj->g_nobj--;
	dofree = gobj->g_busy == 0 && gobj->g_nobj == 0;
	if (dofree)
		LIST_REMOVE(gobj, g_link);
	mtx_unlock(&sc->sc_gobj_mtx);
	if (dofree)
		free(gobj, M_GNTDEV);
	gntdev_mapping_release(map);
	gntdev_objects_count(sc, false);
}

/*
 * The page of map that a fault at object offset falls in.  The pindex
 * space of both pagers' objects is the file offset space, where a map
 * starts at its mmap index, near 2^64.  The difference is taken in
 * uint64_t, whatever the signedness of vm_ooffset_t (signed in older
 * FreeBSD): an offset below the map's wraps to a huge value that fails the
 * bound.
 *
 * Both fault handlers fail with VM_PAGER_BAD, never VM_PAGER_FAIL: on FAIL
 * vm_fault() moves on to the backing object and, finding none, would map
 * a zero-filled page in our object; BAD makes the access fault (SIGBUS).
 */
static bool
gntdev_fault_index(const struct gntdev_mapping *map, vm_ooffset_t offset,
    uint32_t *idx)
{
	uint64_t rel;

	rel = (uint64_t)offset - gntdev_mapping_offset(map);
	if (rel >= (uint64_t)gntdev_mapping_npages(map) << PAGE_SHIFT)
		return (false);
	*idx = (uint32_t)(rel >> PAGE_SHIFT);
	return (true);
}

/*
 * Fault on a foreign map: hand out the fictitious page of the region page
 * that backs the faulting offset.  The core maps all grants of a map or
 * none, so a live map has every page.
 */
static int
gntdev_gmap_pg_fault(vm_object_t object, vm_ooffset_t offset,
    int prot __unused, vm_page_t *mres)
{
	struct gntdev_gobj *gobj;
	struct gntdev_mapping *map;
	struct gntdev_os_region *r;
	vm_pindex_t pidx;
	vm_page_t page;
	uint32_t idx;

	VM_OBJECT_ASSERT_WLOCKED(object);
	gobj = object->handle;
	map = gobj->g_map;	/* stable: this object holds g_nobj */
	KASSERT(*mres != NULL, ("gntdev: device fault without a page"));
	r = gntdev_mapping_region(map);
	if (r == NULL || !gntdev_fault_index(map, offset, &idx))
		return (VM_PAGER_BAD);
	KASSERT(idx < r->npages, ("gntdev: region too small"));
	pidx = OFF_TO_IDX(offset);

	page = PHYS_TO_VM_PAGE(r->base + ((vm_paddr_t)idx << PAGE_SHIFT));
	if (page == NULL || (page->flags & PG_FICTITIOUS) == 0)
		return (VM_PAGER_BAD);
	KASSERT(vm_page_wired(page), ("gntdev: page %p not wired", page));
	/* See the comment above gntdev_gobj_bucket(). */
	KASSERT(page->object == NULL, ("gntdev: page %p in object %p", page,
	    page->object));
	if (page->object != NULL || !vm_page_tryxbusy(page))
		return (VM_PAGER_BAD);
	vm_page_valid(page);
	/* dev_pager_getpages() always passes its busy placeholder. */
	vm_page_replace(page, object, pidx, *mres);
	*mres = page;
	return (VM_PAGER_OK);
}

/*
 * Our own shared pages: OBJT_DEVICE, one VM object per mmap, with a handle
 * of its own so that cdev_pager_allocate() always creates a new object and
 * constructor and destructor pair up.  The core allows several mmaps of the
 * same pages at once; a real page can be in only one object, so each object
 * gets fake pages (vm_page_getfake()) for the physical address of the wired
 * page, as the device pager does for d_mmap devices.  Fake pages are
 * unmanaged: their pmap entries are not tracked, which is sound because the
 * real page stays allocated until the object's destructor drops its mapping
 * reference, and by then no pmap entry of the object is left.
 */
static int
gntdev_mmap_shared(struct gntdev_softc *sc, struct gntdev_mapping *map,
    vm_ooffset_t foff, vm_size_t size, int nprot, vm_object_t *objp)
{
	struct gntdev_shm *shm;
	vm_object_t obj;

	shm = malloc(sizeof(*shm), M_GNTDEV, M_WAITOK | M_ZERO);
	shm->s_sc = sc;
	shm->s_map = map;
	obj = cdev_pager_allocate(shm, OBJT_DEVICE, &gntdev_shm_pg_ops, size,
	    nprot, foff, curthread->td_ucred);
	if (obj == NULL) {
		/* Refused before the constructor ran: nothing to undo. */
		free(shm, M_GNTDEV);
		return (EINVAL);
	}
	*objp = obj;
	return (0);
}

static int
gntdev_shm_pg_ctor(void *handle, vm_ooffset_t size __unused,
    vm_prot_t prot __unused, vm_ooffset_t foff __unused,
    struct ucred *cred __unused, u_short *color)
{
	struct gntdev_shm *shm;

	shm = handle;
	gntdev_mapping_ref(shm->s_map);
	gntdev_objects_count(shm->s_sc, true);
	*color = 0;
	return (0);
}

/* Last reference may release pages: notification, revoke, free (sleeps). */
static void
gntdev_shm_pg_dtor(void *handle)
{
	struct gntdev_softc *sc;
	struct gntdev_shm *shm;

	shm = handle;
	sc = shm->s_sc;
	gntdev_mapping_release(shm->s_map);
	free(shm, M_GNTDEV);
	gntdev_objects_count(sc, false);
}

static int
gntdev_shm_pg_fault(vm_object_t object, vm_ooffset_t offset,
    int prot __unused, vm_page_t *mres)
{
	struct gntdev_shm *shm;
	struct gntdev_os_page *p;
	vm_paddr_t paddr;
	vm_memattr_t memattr;
	vm_page_t page;
	uint32_t idx;

	VM_OBJECT_ASSERT_WLOCKED(object);
	KASSERT(*mres != NULL, ("gntdev: device fault without a page"));
	shm = object->handle;
	if (!gntdev_fault_index(shm->s_map, offset, &idx))
		return (VM_PAGER_BAD);
	p = gntdev_mapping_page(shm->s_map, idx);
	if (p == NULL)
		return (VM_PAGER_BAD);
	paddr = VM_PAGE_TO_PHYS(p->m);
	memattr = pmap_page_get_memattr(p->m);

	if (((*mres)->flags & PG_FICTITIOUS) != 0) {
		/*
		 * Our own fake page from an earlier fault, invalidated since
		 * (msync(MS_INVALIDATE) does that): refresh it.  It is still
		 * on the object's fake-page list, and dev_pager_getpages()
		 * appends every page we return, so unlink it first or it
		 * would be listed twice.
		 */
		page = *mres;
		TAILQ_REMOVE(&object->un_pager.devp.devp_pglist, page,
		    plinks.q);
		vm_page_updatefake(page, paddr, memattr);
	} else {
		/*
		 * vm_page_getfake() sleeps (M_WAITOK): drop the object lock
		 * as the device pager does.  The placeholder *mres stays
		 * exclusive-busy, so nobody else touches this pindex.
		 */
		VM_OBJECT_WUNLOCK(object);
		page = vm_page_getfake(paddr, memattr);
		VM_OBJECT_WLOCK(object);
		vm_page_replace(page, object, (*mres)->pindex, *mres);
		*mres = page;
	}
	vm_page_valid(page);
	return (VM_PAGER_OK);
}

/*
 * ------------------------------------------------------------------
 * cdev methods
 * ------------------------------------------------------------------
 */

/* Last close of the file, or a failed open. */
static void
gntdev_priv_dtor(void *arg)
{
	struct gntdev_priv *priv;
	struct gntdev_softc *sc;

	priv = arg;
	sc = priv->p_sc;
	gntdev_file_close(priv->p_file);
	free(priv, M_GNTDEV);
	mtx_lock(&sc->sc_state_mtx);
	KASSERT(sc->sc_nopen > 0, ("gntdev: open count underflow"));
	sc->sc_nopen--;
	mtx_unlock(&sc->sc_state_mtx);
}

/*
 * Counting the open before the core is touched is what lets detach decide,
 * under one mutex, that no file exists and none can appear.
 */
static int
gntdev_open(struct cdev *cdev, int oflags __unused, int devtype __unused,
    struct thread *td __unused)
{
	struct gntdev_softc *sc;
	struct gntdev_priv *priv;
	int error;

	sc = cdev->si_drv1;
	mtx_lock(&sc->sc_state_mtx);
	if (sc->sc_detaching) {
		mtx_unlock(&sc->sc_state_mtx);
		return (ENXIO);
	}
	sc->sc_nopen++;
	mtx_unlock(&sc->sc_state_mtx);

	priv = malloc(sizeof(*priv), M_GNTDEV, M_WAITOK | M_ZERO);
	priv->p_sc = sc;
	error = gntdev_file_open(sc->sc_core, priv, &priv->p_file);
	if (error != 0) {
		free(priv, M_GNTDEV);
		mtx_lock(&sc->sc_state_mtx);
		sc->sc_nopen--;
		mtx_unlock(&sc->sc_state_mtx);
		return (error);
	}
	/* On success devfs runs the destructor at last close or if we fail. */
	error = devfs_set_cdevpriv(priv, gntdev_priv_dtor);
	if (error != 0)
		gntdev_priv_dtor(priv);
	return (error);
}

/*
 * The generic ioctl layer has already copied in IOCPARM_LEN(cmd) bytes and
 * copies them out on success for OUT commands, which is what the core
 * expects.  FIONBIO and FIOASYNC come from fcntl(2); nothing here blocks
 * and nothing signals, so only the harmless settings are accepted.
 */
static int
gntdev_ioctl(struct cdev *cdev __unused, u_long cmd, caddr_t data,
    int fflag __unused, struct thread *td __unused)
{
	struct gntdev_priv *priv;
	int error;

	error = devfs_get_cdevpriv((void **)&priv);
	if (error != 0)
		return (error);
	switch (cmd) {
	case FIONBIO:
		return (0);
	case FIOASYNC:
		return (*(int *)data != 0 ? EINVAL : 0);
	default:
		return (gntdev_file_ioctl(priv->p_file, cmd, data));
	}
}

/*
 * The core resolves the offset (shared pages first, then grant maps) and,
 * for the first mmap of a grant map, maps the grants.  Whatever happens
 * next, its mapping reference is given back here: each VM object holds its
 * own, taken by its pager constructor.
 */
static int
gntdev_mmap_single(struct cdev *cdev, vm_ooffset_t *offset, vm_size_t size,
    vm_object_t *objp, int nprot)
{
	struct gntdev_softc *sc;
	struct gntdev_priv *priv;
	struct gntdev_mapping *map;
	int error, prot;

	sc = cdev->si_drv1;
	error = devfs_get_cdevpriv((void **)&priv);
	if (error != 0)
		return (error);
	prot = 0;
	if ((nprot & (VM_PROT_READ | VM_PROT_EXECUTE)) != 0)
		prot |= GNTDEV_PROT_READ;
	if ((nprot & VM_PROT_WRITE) != 0)
		prot |= GNTDEV_PROT_READ | GNTDEV_PROT_WRITE;
	error = gntdev_core_mmap(priv->p_file, *offset, size, prot, &map);
	if (error != 0)
		return (error);
	KASSERT((uint64_t)*offset == gntdev_mapping_offset(map) &&
	    size == (vm_size_t)IDX_TO_OFF(gntdev_mapping_npages(map)),
	    ("gntdev: mapping %p does not match the mmap", map));
	if (gntdev_mapping_is_foreign(map))
		error = gntdev_mmap_foreign(sc, map, *offset, size, nprot,
		    objp);
	else
		error = gntdev_mmap_shared(sc, map, *offset, size, nprot,
		    objp);
	gntdev_mapping_release(map);
	return (error);
}

/*
 * ------------------------------------------------------------------
 * sysctl: hw.xen.gntdev
 * ------------------------------------------------------------------
 */

struct gntdev_limit_desc {
	const char	*name;
	size_t		 off;
	uint32_t	 min;
	uint32_t	 max;
	const char	*descr;
};

static const struct gntdev_limit_desc gntdev_limit_descs[] = {
	{ "max_pages_per_ioctl",
	    offsetof(struct gntdev_limits, max_pages_per_ioctl),
	    1, GNTDEV_MAX_PAGES_PER_IOCTL_LIMIT,
	    "Most pages one ALLOC_GREF or MAP_GRANT_REF may ask for" },
	{ "max_pages_per_file",
	    offsetof(struct gntdev_limits, max_pages_per_file),
	    1, UINT32_MAX,
	    "Most pages, shared and mapped, one open file may hold" },
	{ "max_pages_global",
	    offsetof(struct gntdev_limits, max_pages_global),
	    1, UINT32_MAX,
	    "Most pages, shared, mapped and parked, of the whole system" },
	{ "eagain_retries",
	    offsetof(struct gntdev_limits, eagain_retries),
	    0, GNTDEV_MAX_EAGAIN_RETRIES,
	    "Retries of a grant that stays at GNTST_eagain before mmap fails" },
	{ "reclaim_interval_ms",
	    offsetof(struct gntdev_limits, reclaim_interval_ms),
	    1, GNTDEV_MAX_RECLAIM_INTERVAL_MS,
	    "Milliseconds between retries to free pages a peer still maps" },
};

struct gntdev_stat_desc {
	const char	*name;
	size_t		 off;
	const char	*descr;
};

static const struct gntdev_stat_desc gntdev_stat_descs[] = {
	{ "files", offsetof(struct gntdev_stats, files), "Open files" },
	{ "shared_pages", offsetof(struct gntdev_stats, shared_pages),
	    "Shared pages in files or mappings" },
	{ "parked_pages", offsetof(struct gntdev_stats, parked_pages),
	    "Pages revoked by us but still mapped by a peer" },
	{ "grant_maps", offsetof(struct gntdev_stats, grant_maps),
	    "Grant maps alive" },
	{ "mapped_grants", offsetof(struct gntdev_stats, mapped_grants),
	    "Foreign grants mapped now" },
	{ "mappings", offsetof(struct gntdev_stats, mappings),
	    "Mapping references held by VM objects" },
	{ "notifies", offsetof(struct gntdev_stats, notifies),
	    "Armed unmap notifications" },
	{ "pages_accounted", offsetof(struct gntdev_stats, pages_accounted),
	    "Pages counted against max_pages_global" },
};

static uint32_t *
gntdev_u32_field(void *base, size_t off)
{

	return ((uint32_t *)((char *)base + off));
}

/* Read-modify-write of one limit; sc_limits_sx orders concurrent writers. */
static int
gntdev_sysctl_limit(SYSCTL_HANDLER_ARGS)
{
	const struct gntdev_limit_desc *d;
	struct gntdev_softc *sc;
	struct gntdev_limits lim;
	uint32_t val;
	int error;

	sc = arg1;
	KASSERT(arg2 >= 0 && (size_t)arg2 < nitems(gntdev_limit_descs),
	    ("gntdev: limit %jd", (intmax_t)arg2));
	d = &gntdev_limit_descs[arg2];
	sx_xlock(&sc->sc_limits_sx);
	if (sc->sc_core == NULL) {
		error = ENXIO;
		goto out;
	}
	gntdev_core_get_limits(sc->sc_core, &lim);
	val = *gntdev_u32_field(&lim, d->off);
	error = sysctl_handle_32(oidp, &val, 0, req);
	if (error != 0 || req->newptr == NULL)
		goto out;
	if (val < d->min || val > d->max) {
		error = EINVAL;
		goto out;
	}
	*gntdev_u32_field(&lim, d->off) = val;
	gntdev_core_set_limits(sc->sc_core, &lim);
out:
	sx_xunlock(&sc->sc_limits_sx);
	return (error);
}

static int
gntdev_sysctl_stat(SYSCTL_HANDLER_ARGS)
{
	const struct gntdev_stat_desc *d;
	struct gntdev_softc *sc;
	struct gntdev_stats st;
	uint32_t val;
	int error;

	sc = arg1;
	KASSERT(arg2 >= 0 && (size_t)arg2 < nitems(gntdev_stat_descs),
	    ("gntdev: stat %jd", (intmax_t)arg2));
	d = &gntdev_stat_descs[arg2];
	sx_slock(&sc->sc_limits_sx);
	if (sc->sc_core == NULL) {
		sx_sunlock(&sc->sc_limits_sx);
		return (ENXIO);
	}
	gntdev_core_stats(sc->sc_core, &st);
	sx_sunlock(&sc->sc_limits_sx);
	val = *gntdev_u32_field(&st, d->off);
	error = sysctl_handle_32(oidp, &val, 0, req);
	return (error);
}

/*
 * Loader tunables hw.xen.gntdev.<limit>, read before the core exists so
 * that it starts with them.  The sysctls carry CTLFLAG_NOFETCH: the values
 * are fetched (and range-checked) here, once.
 */
static void
gntdev_fetch_tunables(device_t dev, struct gntdev_limits *lim)
{
	const struct gntdev_limit_desc *d;
	char name[64];
	u_int val;
	size_t i;

	for (i = 0; i < nitems(gntdev_limit_descs); i++) {
		d = &gntdev_limit_descs[i];
		snprintf(name, sizeof(name), "hw.xen.gntdev.%s", d->name);
		if (getenv_uint(name, &val) == 0)
			continue;
		if (val < d->min || val > d->max) {
			device_printf(dev, "ignoring %s=%u: not in [%u, %u]\n",
			    name, val, d->min, d->max);
			continue;
		}
		*gntdev_u32_field(lim, d->off) = val;
	}
}

/*
 * hw.xen is not a static node of the kernel; SYSCTL_ADD_NODE() reuses it
 * if some other driver created it already, and removes it with the last
 * user.
 */
static void
gntdev_sysctl_attach(struct gntdev_softc *sc)
{
	struct sysctl_ctx_list *ctx;
	struct sysctl_oid *xen, *node, *stats;
	size_t i;

	ctx = &sc->sc_sysctl_ctx;
	sysctl_ctx_init(ctx);
	xen = SYSCTL_ADD_NODE(ctx, SYSCTL_STATIC_CHILDREN(_hw), OID_AUTO,
	    "xen", CTLFLAG_RD | CTLFLAG_MPSAFE, NULL, "Xen");
	node = SYSCTL_ADD_NODE(ctx, SYSCTL_CHILDREN(xen), OID_AUTO,
	    "gntdev", CTLFLAG_RD | CTLFLAG_MPSAFE, NULL,
	    "Xen grant-table user-space device");
	for (i = 0; i < nitems(gntdev_limit_descs); i++)
		SYSCTL_ADD_PROC(ctx, SYSCTL_CHILDREN(node), OID_AUTO,
		    gntdev_limit_descs[i].name,
		    CTLTYPE_U32 | CTLFLAG_RWTUN | CTLFLAG_NOFETCH |
		    CTLFLAG_MPSAFE, sc, (intmax_t)i, gntdev_sysctl_limit, "IU",
		    gntdev_limit_descs[i].descr);
	stats = SYSCTL_ADD_NODE(ctx, SYSCTL_CHILDREN(node), OID_AUTO,
	    "stats", CTLFLAG_RD | CTLFLAG_MPSAFE, NULL, "Counters");
	for (i = 0; i < nitems(gntdev_stat_descs); i++)
		SYSCTL_ADD_PROC(ctx, SYSCTL_CHILDREN(stats), OID_AUTO,
		    gntdev_stat_descs[i].name,
		    CTLTYPE_U32 | CTLFLAG_RD | CTLFLAG_MPSAFE, sc, (intmax_t)i,
		    gntdev_sysctl_stat, "IU", gntdev_stat_descs[i].descr);
}

/*
 * ------------------------------------------------------------------
 * newbus and module glue
 * ------------------------------------------------------------------
 */

static void
gntdev_identify(driver_t *driver __unused, device_t parent)
{

	if (!xen_domain())
		return;
	/* identify runs again on every kldload: add the child once. */
	if (device_find_child(parent, "gntdev", -1) != NULL)
		return;
	if (BUS_ADD_CHILD(parent, 0, "gntdev", -1) == NULL)
		device_printf(parent, "cannot add gntdev child\n");
}

static int
gntdev_probe(device_t dev)
{

	device_set_desc(dev, "Xen grant-table user-space device");
	return (BUS_PROBE_NOWILDCARD);
}

/* Undo whatever attach set up; the core and the cdev are gone already. */
static void
gntdev_teardown(struct gntdev_softc *sc)
{

	KASSERT(sc->sc_core == NULL && sc->sc_cdev == NULL,
	    ("gntdev: teardown with a live core or cdev"));
	sysctl_ctx_free(&sc->sc_sysctl_ctx);
	callout_drain(&sc->sc_reclaim_callout);
	taskqueue_drain(taskqueue_thread, &sc->sc_reclaim_task);
	hashdestroy(sc->sc_gobj_hash, M_GNTDEV, sc->sc_gobj_hashmask);
	sx_destroy(&sc->sc_limits_sx);
	mtx_destroy(&sc->sc_reclaim_mtx);
	mtx_destroy(&sc->sc_gobj_mtx);
	sx_destroy(&sc->sc_gobj_sx);
	mtx_destroy(&sc->sc_state_mtx);
}

/* Stop the reclaim machinery and wait until no callout or task runs. */
static void
gntdev_reclaim_stop(struct gntdev_softc *sc)
{

	mtx_lock(&sc->sc_reclaim_mtx);
	sc->sc_reclaim_stopped = true;
	callout_stop(&sc->sc_reclaim_callout);
	mtx_unlock(&sc->sc_reclaim_mtx);
	callout_drain(&sc->sc_reclaim_callout);
	taskqueue_drain(taskqueue_thread, &sc->sc_reclaim_task);
}

static int
gntdev_attach(device_t dev)
{
	struct gntdev_softc *sc;
	struct gntdev_limits lim;
	struct gntdev_core *core;
	struct make_dev_args args;
	int error;

	sc = device_get_softc(dev);
	sc->sc_dev = dev;
	mtx_init(&sc->sc_state_mtx, "gntdev state", NULL, MTX_DEF);
	sx_init(&sc->sc_gobj_sx, "gntdev objects");
	mtx_init(&sc->sc_gobj_mtx, "gntdev object hash", NULL, MTX_DEF);
	sc->sc_gobj_hash = hashinit(GNTDEV_GOBJ_HASH_SIZE, M_GNTDEV,
	    &sc->sc_gobj_hashmask);
	mtx_init(&sc->sc_reclaim_mtx, "gntdev reclaim", NULL, MTX_DEF);
	callout_init_mtx(&sc->sc_reclaim_callout, &sc->sc_reclaim_mtx, 0);
	TASK_INIT(&sc->sc_reclaim_task, 0, gntdev_reclaim_task, sc);
	sx_init(&sc->sc_limits_sx, "gntdev limits");

	gntdev_limits_default(&lim);
	gntdev_fetch_tunables(dev, &lim);
	error = gntdev_core_create(&lim, sc, &core);
	if (error != 0) {
		device_printf(dev, "cannot create the core: %d\n", error);
		sysctl_ctx_init(&sc->sc_sysctl_ctx);
		gntdev_teardown(sc);
		return (error);
	}
	sc->sc_core = core;
	gntdev_sysctl_attach(sc);

	/*
	 * make_dev_s(9) rather than make_dev_credf(9): it sets si_drv1
	 * before the node appears, so an early open never sees it NULL.
	 * Not MAKEDEV_ETERNAL: detach destroys the node.
	 */
	make_dev_args_init(&args);
	args.mda_flags = MAKEDEV_CHECKNAME | MAKEDEV_WAITOK;
	args.mda_devsw = &gntdev_cdevsw;
	args.mda_cr = NULL;
	args.mda_uid = UID_ROOT;
	args.mda_gid = GID_WHEEL;
	args.mda_mode = 0600;
	args.mda_si_drv1 = sc;
	error = make_dev_s(&args, &sc->sc_cdev, "xen/gntdev");
	if (error != 0) {
		device_printf(dev, "cannot create xen/gntdev: %d\n", error);
		sc->sc_cdev = NULL;
		gntdev_reclaim_stop(sc);
		sx_xlock(&sc->sc_limits_sx);
		/* Nothing was opened: a fresh core is never busy. */
		(void)gntdev_core_destroy(core);
		sc->sc_core = NULL;
		sx_xunlock(&sc->sc_limits_sx);
		gntdev_teardown(sc);
		return (error);
	}
	return (0);
}

/*
 * Refuse while anything is live: open files (or opens in progress), VM
 * objects holding mappings, pages a peer still maps.  Once no file is open
 * and sc_detaching is set, nothing can create new state: every method but
 * open needs an open file, and open is refused.
 */
static int
gntdev_detach(device_t dev)
{
	struct gntdev_softc *sc;
	struct gntdev_stats st;
	struct gntdev_gobj *gobj __diagused;
	struct gntdev_limits lim;
	u_long i;
	int error;

	sc = device_get_softc(dev);
	mtx_lock(&sc->sc_state_mtx);
	if (sc->sc_nopen != 0 || sc->sc_nobjects != 0) {
		mtx_unlock(&sc->sc_state_mtx);
		return (EBUSY);
	}
	gntdev_core_stats(sc->sc_core, &st);
	if (st.files != 0 || st.mappings != 0 || st.grant_maps != 0 ||
	    st.shared_pages != 0 || st.parked_pages != 0) {
		mtx_unlock(&sc->sc_state_mtx);
		return (EBUSY);
	}
	sc->sc_detaching = true;
	mtx_unlock(&sc->sc_state_mtx);

	gntdev_reclaim_stop(sc);
	sx_xlock(&sc->sc_limits_sx);
	error = gntdev_core_destroy(sc->sc_core);
	if (error != 0) {
		/* A peer still maps a parked page: keep retrying. */
		gntdev_core_get_limits(sc->sc_core, &lim);
		sx_xunlock(&sc->sc_limits_sx);
		mtx_lock(&sc->sc_reclaim_mtx);
		sc->sc_reclaim_stopped = false;
		mtx_unlock(&sc->sc_reclaim_mtx);
		gntdev_os_reclaim_schedule(sc, lim.reclaim_interval_ms);
		mtx_lock(&sc->sc_state_mtx);
		sc->sc_detaching = false;
		mtx_unlock(&sc->sc_state_mtx);
		return (error);
	}
	sc->sc_core = NULL;
	sx_xunlock(&sc->sc_limits_sx);

	/* No mapping left means no VM object of ours, so no handle. */
	for (i = 0; i <= sc->sc_gobj_hashmask; i++) {
		gobj = LIST_FIRST(&sc->sc_gobj_hash[i]);
		KASSERT(gobj == NULL, ("gntdev: gobj %p left", gobj));
	}
	destroy_dev(sc->sc_cdev);
	sc->sc_cdev = NULL;
	gntdev_teardown(sc);
	return (0);
}

static device_method_t gntdev_methods[] = {
	DEVMETHOD(device_identify,	gntdev_identify),
	DEVMETHOD(device_probe,		gntdev_probe),
	DEVMETHOD(device_attach,	gntdev_attach),
	DEVMETHOD(device_detach,	gntdev_detach),

	DEVMETHOD_END
};

static driver_t gntdev_driver = {
	"gntdev",
	gntdev_methods,
	sizeof(struct gntdev_softc),
};

/*
 * This driver replaces sys/dev/xen/gntdev/gntdev.c, which sys/conf/files
 * builds into every kernel with options XENHVM (GENERIC on amd64).  Both
 * declare the module "xenpv/gntdev", so gntdev.ko cannot be loaded into such
 * a kernel: module_register() refuses the name and kldload(8) fails with
 * EEXIST.  Use it in a kernel whose sys/conf/files no longer lists the old
 * driver (see gntdev(4)).
 *
 * No MODULE_DEPEND on xenpv: xenpv declares no MODULE_VERSION, so the
 * dependency could never resolve in a kld ("depends on xenpv - not
 * available").  The xenpv bus and the Xen symbols used here come with
 * options XENHVM; without it the kld fails to link.
 */
DRIVER_MODULE(gntdev, xenpv, gntdev_driver, NULL, NULL);
MODULE_VERSION(gntdev, 1);

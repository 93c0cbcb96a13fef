/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The simulated machine: machine memory, domains, grant tables and event
 * channels, and the gntdev_os.h contract the device core runs on.
 *
 * Machine memory is one sparse memfd; a frame is a 4 KiB page of it.  Freed
 * frames are punched out so their memory goes back to the host, and read as
 * zeroes when reused.  Frames are handed out next-fit so that pages
 * allocated one after the other are contiguous and a multi-page share maps
 * with one mmap.
 *
 * The daemon is single-threaded, so the core's locks are empty shells.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "gntdev_os.h"
#include "xensim_daemon.h"
#include "xensim_fault.h"

static int machine_fd = -1;
static uint8_t *machine_mem;
static uint64_t *frame_bitmap;  /* 1 bit per frame, 1 = in use */
static uint64_t frame_cursor;
static uint64_t frames_in_use;
static uint64_t *evw_area;      /* event-channel state words (proto.h) */
static struct xensim_domain *domains[XENSIM_MAX_DOMID + 1];

int
xensim_machine_init(void)
{
	size_t size = (size_t)XENSIM_MACHINE_FRAMES * XENSIM_PAGE_SIZE;

	machine_fd = memfd_create("xensim-machine", MFD_CLOEXEC);
	if (machine_fd < 0)
		return -errno;
	if (ftruncate(machine_fd, (off_t)(XENSIM_EVW_OFFSET +
		(uint64_t)XENSIM_EVW_DOMAINS * XENSIM_EVW_DOMAIN_BYTES)) < 0)
		return -errno;
	machine_mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_NORESERVE, machine_fd, 0);
	if (machine_mem == MAP_FAILED)
		return -errno;
	/* Never punched: generations must outlive a destroyed domain. */
	evw_area = mmap(NULL, (size_t)XENSIM_EVW_DOMAINS *
			XENSIM_EVW_DOMAIN_BYTES, PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_NORESERVE, machine_fd,
			(off_t)XENSIM_EVW_OFFSET);
	if (evw_area == MAP_FAILED)
		return -errno;
	frame_bitmap = calloc(XENSIM_MACHINE_FRAMES / 64, sizeof(uint64_t));
	if (frame_bitmap == NULL)
		return -ENOMEM;
	/* Frame 0 is never handed out, so a zero frame always means "none". */
	frame_bitmap[0] = 1;
	frame_cursor = 1;
	return 0;
}

int xensim_machine_memfd(void) { return machine_fd; }
uint8_t *xensim_machine_mem(void) { return machine_mem; }
uint64_t xensim_frames_used(void) { return frames_in_use; }

int
xensim_frame_alloc(uint64_t *framep)
{
	uint64_t i, f;

	for (i = 0; i < XENSIM_MACHINE_FRAMES; i++) {
		f = (frame_cursor + i) % XENSIM_MACHINE_FRAMES;
		if (frame_bitmap[f / 64] == UINT64_MAX) {
			/* Skip a full word quickly. */
			i += 63 - (f % 64);
			continue;
		}
		if (!(frame_bitmap[f / 64] & (1ULL << (f % 64)))) {
			frame_bitmap[f / 64] |= 1ULL << (f % 64);
			frame_cursor = f + 1;
			frames_in_use++;
			*framep = f;
			return 0;
		}
	}
	return ENOMEM;
}

void
xensim_frame_free(uint64_t frame)
{
	if (frame == 0 || frame >= XENSIM_MACHINE_FRAMES ||
	    !(frame_bitmap[frame / 64] & (1ULL << (frame % 64))))
		return;
	/* Give the memory back; the next user reads zeroes. */
	(void)fallocate(machine_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			(off_t)(frame * XENSIM_PAGE_SIZE), XENSIM_PAGE_SIZE);
	frame_bitmap[frame / 64] &= ~(1ULL << (frame % 64));
	frames_in_use--;
}

/* ---- domains ---- */

struct xensim_domain *
xensim_domain_get(uint32_t domid)
{
	return domid <= XENSIM_MAX_DOMID ? domains[domid] : NULL;
}

struct xensim_domain *
xensim_domain_lookup(uint32_t domid)
{
	struct xensim_domain *d = xensim_domain_get(domid);

	return d != NULL && d->alive ? d : NULL;
}

int
xensim_domain_create(uint32_t domid, struct xensim_domain **dp)
{
	struct xensim_domain *d;
	struct gntdev_limits lim;
	int error;

	if (domid > XENSIM_MAX_DOMID)
		return EINVAL;
	if (domains[domid] != NULL) {
		*dp = domains[domid];
		return 0;
	}
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return ENOMEM;
	d->domid = (uint16_t)domid;
	d->reclaim_tfd = -1;
	d->ctl_listen = -1;
	d->xs_listen = -1;
	gntdev_limits_default(&lim);
	/* Retry parked pages soon; the daemon also kicks it on every unmap. */
	lim.reclaim_interval_ms = 200;
	error = gntdev_core_create(&lim, d, &d->core);
	if (error != 0) {
		free(d);
		return error;
	}
	domains[domid] = d;
	*dp = d;
	return 0;
}

/* ---- grant tables ---- */

int
xensim_grant_add(struct xensim_domain *d, uint16_t grantee, uint64_t frame,
		 bool readonly, uint32_t *refp)
{
	uint32_t i, ref;

	if (d->gnttab_used + XENSIM_GNTTAB_RESERVED >= d->gnttab_cap) {
		uint32_t ncap = d->gnttab_cap ? d->gnttab_cap * 2 : 512;
		struct xensim_grant *n;

		if (ncap > XENSIM_GNTTAB_MAX)
			ncap = XENSIM_GNTTAB_MAX;
		if (ncap > d->gnttab_cap) {
			n = realloc(d->gnttab, ncap * sizeof(*n));
			if (n == NULL)
				return ENOMEM;
			memset(n + d->gnttab_cap, 0,
			       (ncap - d->gnttab_cap) * sizeof(*n));
			d->gnttab = n;
			d->gnttab_cap = ncap;
		}
	}
	for (i = 0; i < d->gnttab_cap; i++) {
		ref = d->gnttab_hint + i;
		if (ref >= d->gnttab_cap)
			ref = ref - d->gnttab_cap;
		if (ref < XENSIM_GNTTAB_RESERVED || d->gnttab[ref].in_use)
			continue;
		d->gnttab[ref].in_use = true;
		d->gnttab[ref].readonly = readonly;
		d->gnttab[ref].grantee = grantee;
		d->gnttab[ref].frame = frame;
		d->gnttab[ref].maps = 0;
		d->gnttab[ref].gntalloc = false;
		d->gnttab_used++;
		d->gnttab_hint = ref + 1;
		*refp = ref;
		return 0;
	}
	return ENOSPC; /* as Linux's gnttab_grant_foreign_access */
}

int
xensim_grant_end(struct xensim_domain *d, uint32_t ref)
{
	if (ref >= d->gnttab_cap || !d->gnttab[ref].in_use)
		return EINVAL;
	if (d->gnttab[ref].maps > 0)
		return EBUSY;
	memset(&d->gnttab[ref], 0, sizeof(d->gnttab[ref]));
	d->gnttab_used--;
	return 0;
}

/* ---- event channels ---- */

struct xensim_port *
xensim_port_get(struct xensim_domain *d, uint32_t port)
{
	if (d == NULL || port == 0 || port >= d->ports_cap)
		return NULL;
	return &d->ports[port];
}

/*
 * The shared state word of a port.  The shims' fast path (xensim_shim.c)
 * sets MASKED/PENDING there with compare-and-swap; everything else in it
 * is the daemon's, republished by xensim_evw_sync at every change.
 */
static uint64_t *
xensim_evw(struct xensim_domain *d, uint32_t port)
{
	if (d == NULL || port == 0 || port >= XENSIM_EVW_PORTS ||
	    d->domid >= XENSIM_EVW_DOMAINS)
		return NULL;
	return &evw_area[(size_t)d->domid * XENSIM_EVW_PORTS + port];
}

/*
 * Publish the port's binding in its word under a new generation, so that
 * any doorbell a shim learnt for the old binding stops being used.  Masked
 * and pending survive a change of binding, not a close.
 */
void
xensim_evw_sync(struct xensim_domain *d, uint32_t port)
{
	struct xensim_port *p = xensim_port_get(d, port);
	uint64_t *w = xensim_evw(d, port);
	uint64_t old, nw, flags = 0, keep = 0;
	uint32_t gen;

	if (p == NULL || w == NULL)
		return;
	if (p->state != XENSIM_PORT_FREE) {
		keep = XENSIM_EVW_MASKED | XENSIM_EVW_PENDING |
		       XENSIM_EVW_RINGING;
		if (p->owner != NULL)
			flags |= XENSIM_EVW_BOUND |
				(uint64_t)((uint32_t)p->owner->id &
					   XENSIM_EVW_OWNER_MASK)
				<< XENSIM_EVW_OWNER_SHIFT;
		if (p->state == XENSIM_PORT_INTERDOMAIN)
			flags |= XENSIM_EVW_CONNECTED;
	}
	old = __atomic_load_n(w, __ATOMIC_ACQUIRE);
	do {
		gen = XENSIM_EVW_GEN(old) + 1;
		if (gen == 0)
			gen = 1;
		nw = (uint64_t)gen << 32 | flags | (old & keep);
	} while (!__atomic_compare_exchange_n(w, &old, nw, false,
					      __ATOMIC_ACQ_REL,
					      __ATOMIC_ACQUIRE));
	p->wgen = gen;
}

/* The port's word, repaired first if someone scribbled on it. */
static uint64_t *
xensim_evw_checked(struct xensim_domain *d, uint32_t port)
{
	struct xensim_port *p = xensim_port_get(d, port);
	uint64_t *w = xensim_evw(d, port);

	if (p == NULL || w == NULL)
		return NULL;
	if (XENSIM_EVW_GEN(__atomic_load_n(w, __ATOMIC_ACQUIRE)) != p->wgen)
		xensim_evw_sync(d, port);
	return w;
}

static int
xensim_port_new(struct xensim_domain *d, uint32_t *portp)
{
	uint32_t p;

	for (p = 1; p < d->ports_cap; p++)
		if (d->ports[p].state == XENSIM_PORT_FREE)
			goto found;
	if (d->ports_cap >= XENSIM_EVTCHN_MAX)
		return ENOSPC;
	{
		uint32_t ncap = d->ports_cap ? d->ports_cap * 2 : 64;
		struct xensim_port *n;

		if (ncap > XENSIM_EVTCHN_MAX)
			ncap = XENSIM_EVTCHN_MAX;
		n = realloc(d->ports, ncap * sizeof(*n));
		if (n == NULL)
			return ENOMEM;
		memset(n + d->ports_cap, 0, (ncap - d->ports_cap) * sizeof(*n));
		p = d->ports_cap ? d->ports_cap : 1;
		d->ports = n;
		d->ports_cap = ncap;
	}
found:
	memset(&d->ports[p], 0, offsetof(struct xensim_port, gen));
	d->ports[p].owner = NULL;
	d->ports[p].refs = 1;
	d->ports_used++;
	xensim_evw_sync(d, p);
	*portp = p;
	return 0;
}

int
xensim_evtchn_alloc_unbound(struct xensim_domain *d, uint32_t remote,
			    uint32_t *portp)
{
	int error;

	if (remote == XSL_DOMID_SELF)
		remote = d->domid;
	if (remote > XENSIM_MAX_DOMID)
		return ESRCH;
	error = xensim_port_new(d, portp);
	if (error != 0)
		return error;
	d->ports[*portp].state = XENSIM_PORT_UNBOUND;
	d->ports[*portp].remote_dom = (uint16_t)remote;
	return 0;
}

int
xensim_evtchn_bind_interdomain(struct xensim_domain *d, uint32_t rdom,
			       uint32_t rport, uint32_t *portp)
{
	struct xensim_domain *rd;
	struct xensim_port *rp;
	int error;

	if (rdom == XSL_DOMID_SELF)
		rdom = d->domid;
	rd = xensim_domain_lookup(rdom);
	if (rd == NULL)
		return ESRCH;
	rp = xensim_port_get(rd, rport);
	/* Xen: the remote port must be unbound and offered to us. */
	if (rp == NULL || rp->state != XENSIM_PORT_UNBOUND ||
	    rp->remote_dom != d->domid)
		return EINVAL;
	error = xensim_port_new(d, portp);
	if (error != 0)
		return error;
	rp = &rd->ports[rport]; /* d == rd may have moved the array */
	d->ports[*portp].state = XENSIM_PORT_INTERDOMAIN;
	d->ports[*portp].remote_dom = rd->domid;
	d->ports[*portp].remote_port = rport;
	rp->state = XENSIM_PORT_INTERDOMAIN;
	rp->remote_dom = d->domid;
	rp->remote_port = *portp;
	xensim_evw_sync(rd, rport);
	xensim_evw_sync(d, *portp);
	/* Xen raises the new port so that nothing sent before is lost. */
	return 0;
}

int
xensim_evtchn_bind_virq(struct xensim_domain *d, uint32_t virq,
			uint32_t *portp)
{
	uint32_t p;
	int error;

	if (virq >= XENSIM_NR_VIRQS)
		return EINVAL;
	for (p = 1; p < d->ports_cap; p++)
		if (d->ports[p].state == XENSIM_PORT_VIRQ &&
		    d->ports[p].virq == virq)
			return EEXIST;
	error = xensim_port_new(d, portp);
	if (error != 0)
		return error;
	d->ports[*portp].state = XENSIM_PORT_VIRQ;
	d->ports[*portp].virq = virq;
	return 0;
}

static void
xensim_port_raise(struct xensim_domain *d, uint32_t port)
{
	struct xensim_port *p = xensim_port_get(d, port);
	uint64_t *w, old;

	if (p == NULL || p->state == XENSIM_PORT_FREE)
		return;
	w = xensim_evw_checked(d, port);
	if (w == NULL)
		return;
	old = __atomic_load_n(w, __ATOMIC_ACQUIRE);
	for (;;) {
		/* No file, or masked: only remembered. */
		if (p->owner == NULL || (old & XENSIM_EVW_MASKED)) {
			if (old & XENSIM_EVW_PENDING)
				return;
			if (__atomic_compare_exchange_n(w, &old,
					old | XENSIM_EVW_PENDING, false,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
				return;
			continue;
		}
		/* Linux's late EOI: silent until user space writes it back. */
		if (__atomic_compare_exchange_n(w, &old,
				(old | XENSIM_EVW_MASKED) & ~(uint64_t)
				XENSIM_EVW_PENDING, false, __ATOMIC_ACQ_REL,
				__ATOMIC_ACQUIRE))
			break;
	}
	xensim_file_deliver(p->owner, port);
}

void
xensim_evtchn_send(struct xensim_domain *d, uint32_t port)
{
	struct xensim_port *p = xensim_port_get(d, port);

	if (p == NULL || p->state != XENSIM_PORT_INTERDOMAIN)
		return; /* Xen: sending on an unbound port does nothing */
	xensim_port_raise(xensim_domain_get(p->remote_dom), p->remote_port);
}

void
xensim_evtchn_unmask(struct xensim_domain *d, uint32_t port)
{
	struct xensim_port *p = xensim_port_get(d, port);
	uint64_t *w, old;

	if (p == NULL || p->owner == NULL)
		return;
	w = xensim_evw_checked(d, port);
	if (w == NULL)
		return;
	old = __atomic_load_n(w, __ATOMIC_ACQUIRE);
	for (;;) {
		if (!(old & XENSIM_EVW_MASKED))
			return;
		if (old & XENSIM_EVW_PENDING) {
			/* Raised while masked: delivered now, stays masked. */
			if (__atomic_compare_exchange_n(w, &old,
					old & ~(uint64_t)XENSIM_EVW_PENDING,
					false, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE)) {
				xensim_file_deliver(p->owner, port);
				return;
			}
			continue;
		}
		if (__atomic_compare_exchange_n(w, &old,
				old & ~(uint64_t)XENSIM_EVW_MASKED, false,
				__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			return;
	}
}

/*
 * A shim marked the port masked for a delivery and could not ring its
 * doorbell: deliver it here.  If it is no longer masked, this is a send.
 */
void
xensim_evtchn_deliver_owed(struct xensim_domain *d, uint32_t port)
{
	struct xensim_port *p = xensim_port_get(d, port);
	uint64_t *w;

	if (p == NULL || p->state == XENSIM_PORT_FREE || p->owner == NULL)
		return;
	w = xensim_evw_checked(d, port);
	if (w != NULL &&
	    (__atomic_load_n(w, __ATOMIC_ACQUIRE) & XENSIM_EVW_MASKED))
		xensim_file_deliver(p->owner, port);
	else
		xensim_port_raise(d, port);
}

/*
 * A process can die in a fast-path notify between marking the remote port
 * masked and ringing its doorbell (xensim_shim.c); that event would never
 * come and the port would stay masked for good.  The shim marks the span
 * with RINGING.  Called as a file that had `port` bound closes, when no
 * process can be inside such a span for it any more: a RINGING left on the
 * remote end is a delivery its sender did not finish, so finish it.  (If
 * the sender died after the write and before clearing RINGING, the owner
 * sees one spurious event, which every evtchn user tolerates.)
 */
void
xensim_evtchn_unstrand_remote(struct xensim_domain *d, uint32_t port)
{
	struct xensim_port *p = xensim_port_get(d, port), *rp;
	struct xensim_domain *rd;
	uint64_t *w, old, nw;

	if (p == NULL || p->state != XENSIM_PORT_INTERDOMAIN)
		return;
	rd = xensim_domain_get(p->remote_dom);
	rp = xensim_port_get(rd, p->remote_port);
	if (rp == NULL || rp->state != XENSIM_PORT_INTERDOMAIN)
		return;
	w = xensim_evw_checked(rd, p->remote_port);
	if (w == NULL)
		return;
	/* Pairs with the release CAS that sets RINGING in shim_notify_fast. */
	old = __atomic_load_n(w, __ATOMIC_ACQUIRE);
	do {
		if (!(old & XENSIM_EVW_RINGING))
			return;
		nw = old & ~(uint64_t)XENSIM_EVW_RINGING;
		if (old & XENSIM_EVW_MASKED)
			nw &= ~(uint64_t)XENSIM_EVW_PENDING; /* delivered now */
	} while (!__atomic_compare_exchange_n(w, &old, nw, false,
					      __ATOMIC_ACQ_REL,
					      __ATOMIC_ACQUIRE));
	if ((old & XENSIM_EVW_MASKED) && rp->owner != NULL)
		xensim_file_deliver(rp->owner, p->remote_port);
}

void
xensim_port_close(struct xensim_domain *d, uint32_t port)
{
	struct xensim_port *p = xensim_port_get(d, port), *rp;

	if (p == NULL || p->state == XENSIM_PORT_FREE)
		return;
	if (p->state == XENSIM_PORT_INTERDOMAIN) {
		/* The peer's end goes back to unbound, offered to us. */
		rp = xensim_port_get(xensim_domain_get(p->remote_dom),
				     p->remote_port);
		if (rp != NULL && rp->state == XENSIM_PORT_INTERDOMAIN) {
			rp->state = XENSIM_PORT_UNBOUND;
			rp->remote_dom = d->domid;
			rp->remote_port = 0;
			/* The peer's doorbells to us stop being used. */
			xensim_evw_sync(xensim_domain_get(p->remote_dom),
					p->remote_port);
		}
	}
	if (p->owner != NULL && p->owner->nbound > 0)
		p->owner->nbound--;
	memset(p, 0, offsetof(struct xensim_port, gen));
	p->owner = NULL;
	p->gen++;
	d->ports_used--;
	xensim_evw_sync(d, port);
}

void
xensim_port_put(struct xensim_domain *d, uint32_t port)
{
	struct xensim_port *p = xensim_port_get(d, port);

	if (p == NULL || p->state == XENSIM_PORT_FREE || p->refs == 0)
		return;
	if (--p->refs == 0)
		xensim_port_close(d, port);
}

/* ---- gntdev_os.h ---- */

struct gntdev_os_mutex { int held; };
struct gntdev_os_sxlock { int held; };

/* A page is its frame number, offset by one so that no page is NULL. */
static struct gntdev_os_page *
page_of_frame(uint64_t frame)
{
	return (struct gntdev_os_page *)(uintptr_t)(frame + 1);
}

static uint64_t
frame_of_page(const struct gntdev_os_page *page)
{
	return (uint64_t)(uintptr_t)page - 1;
}

uint64_t xensim_page_frame(const struct gntdev_os_page *page);
uint64_t
xensim_page_frame(const struct gntdev_os_page *page)
{
	return frame_of_page(page);
}

void *
gntdev_os_malloc(size_t size)
{
	return calloc(1, size ? size : 1);
}

void
gntdev_os_free(void *ptr)
{
	free(ptr);
}

int
gntdev_os_mutex_create(const char *name, struct gntdev_os_mutex **mtxp)
{
	(void)name;
	*mtxp = calloc(1, sizeof(**mtxp));
	return *mtxp ? 0 : ENOMEM;
}

void gntdev_os_mutex_destroy(struct gntdev_os_mutex *mtx) { free(mtx); }
void gntdev_os_mutex_lock(struct gntdev_os_mutex *mtx) { mtx->held++; }
void gntdev_os_mutex_unlock(struct gntdev_os_mutex *mtx) { mtx->held--; }

int
gntdev_os_sxlock_create(const char *name, struct gntdev_os_sxlock **sxp)
{
	(void)name;
	*sxp = calloc(1, sizeof(**sxp));
	return *sxp ? 0 : ENOMEM;
}

void gntdev_os_sxlock_destroy(struct gntdev_os_sxlock *sx) { free(sx); }
void gntdev_os_sxlock_lock(struct gntdev_os_sxlock *sx) { sx->held++; }
void gntdev_os_sxlock_unlock(struct gntdev_os_sxlock *sx) { sx->held--; }

int
gntdev_os_page_alloc(void *os, struct gntdev_os_page **pagep)
{
	uint64_t frame;
	int error;

	(void)os;
	error = xensim_frame_alloc(&frame);
	if (error != 0)
		return error;
	*pagep = page_of_frame(frame);
	return 0;
}

void
gntdev_os_page_free(void *os, struct gntdev_os_page *page)
{
	(void)os;
	xensim_frame_free(frame_of_page(page));
}

void
gntdev_os_page_clear_byte(void *os, struct gntdev_os_page *page,
			  uint32_t offset)
{
	uint64_t frame = frame_of_page(page);

	(void)os;
	if (frame < XENSIM_MACHINE_FRAMES && offset < XENSIM_PAGE_SIZE)
		__atomic_store_n(&machine_mem[frame * XENSIM_PAGE_SIZE + offset],
				 0, __ATOMIC_SEQ_CST);
}

int
gntdev_os_grant_access(void *os, uint16_t domid, struct gntdev_os_page *page,
		       bool readonly, uint32_t *refp)
{
	struct xensim_domain *d = os;
	int error;

	if (xensim_fault_should_fail(XENSIM_FAULT_GRANT_ACCESS))
		return ENOSPC;	/* as a full grant table */
	error = xensim_grant_add(d, domid, frame_of_page(page), readonly, refp);
	if (error == 0 && d->gntalloc_granting) {
		d->gnttab[*refp].gntalloc = true;
		d->gntalloc_pages++;
	}
	return error;
}

int
gntdev_os_end_access(void *os, uint32_t ref)
{
	struct xensim_domain *d = os;

	/* Released by the core: no longer counted, whatever happens next. */
	if (ref < d->gnttab_cap && d->gnttab[ref].in_use &&
	    d->gnttab[ref].gntalloc) {
		d->gnttab[ref].gntalloc = false;
		d->gntalloc_pages--;
	}
	if (xensim_fault_should_fail(XENSIM_FAULT_END_ACCESS))
		return EBUSY;	/* as if still mapped: the core parks the page */
	return xensim_grant_end(d, ref);
}

int
gntdev_os_region_alloc(void *os, uint32_t npages,
		       struct gntdev_os_region **regionp)
{
	struct xensim_region *r;

	if (npages == 0 || npages > XENSIM_MACHINE_FRAMES)
		return ENOMEM;
	r = calloc(1, sizeof(*r) + (size_t)npages * sizeof(r->page[0]));
	if (r == NULL)
		return ENOMEM;
	r->mapper = os;
	r->npages = npages;
	*regionp = (struct gntdev_os_region *)r;
	return 0;
}

void
gntdev_os_region_free(void *os, struct gntdev_os_region *region)
{
	(void)os;
	free(region);
}

int
gntdev_os_map_grants(void *os, struct gntdev_os_region *region,
		     struct gntdev_map_op *ops, uint32_t n)
{
	struct xensim_domain *me = os, *gd;
	struct xensim_region *r = (struct xensim_region *)region;
	struct xensim_grant *g;
	uint32_t i;

	if (xensim_fault_should_fail(XENSIM_FAULT_MAP_GRANTS)) {
		for (i = 0; i < n; i++) {
			ops[i].handle = UINT32_MAX;
			ops[i].status = GNTDEV_GNTST_GENERAL_ERROR;
		}
		return 0;
	}
	for (i = 0; i < n; i++) {
		struct gntdev_map_op *op = &ops[i];

		op->handle = UINT32_MAX;
		if (op->page >= r->npages || r->page[op->page].mapped) {
			op->status = GNTDEV_GNTST_GENERAL_ERROR;
			continue;
		}
		gd = xensim_domain_get(op->domid);
		if (gd == NULL || (!gd->alive && gd->gnttab_used == 0)) {
			op->status = GNTDEV_GNTST_BAD_DOMAIN;
			continue;
		}
		if (op->ref >= gd->gnttab_cap || !gd->gnttab[op->ref].in_use) {
			op->status = GNTDEV_GNTST_BAD_GNTREF;
			continue;
		}
		g = &gd->gnttab[op->ref];
		/* Granted to someone else, or read-only mapped writable. */
		if (g->grantee != me->domid || (g->readonly && !op->readonly)) {
			op->status = GNTDEV_GNTST_PERMISSION_DENIED;
			continue;
		}
		g->maps++;
		r->page[op->page].frame = g->frame;
		r->page[op->page].granter = gd->domid;
		r->page[op->page].ref = op->ref;
		r->page[op->page].mapped = true;
		op->handle = op->page;
		op->status = GNTDEV_GNTST_OKAY;
	}
	return 0;
}

int
gntdev_os_unmap_grants(void *os, struct gntdev_os_region *region,
		       struct gntdev_map_op *ops, uint32_t n)
{
	struct xensim_region *r = (struct xensim_region *)region;
	struct xensim_domain *gd;
	uint32_t i, pg;

	(void)os;
	for (i = 0; i < n; i++) {
		if (ops[i].status != GNTDEV_GNTST_OKAY)
			continue;
		pg = ops[i].handle;
		if (pg >= r->npages || !r->page[pg].mapped)
			continue;
		gd = xensim_domain_get(r->page[pg].granter);
		if (gd != NULL && r->page[pg].ref < gd->gnttab_cap &&
		    gd->gnttab[r->page[pg].ref].maps > 0) {
			gd->gnttab[r->page[pg].ref].maps--;
			/* The granter may be waiting to revoke: retry now. */
			if (gd->gnttab[r->page[pg].ref].maps == 0)
				xensim_reclaim_arm(gd, 0);
		}
		r->page[pg].mapped = false;
		r->page[pg].frame = 0;
	}
	return 0;
}

void
gntdev_os_region_clear_byte(void *os, struct gntdev_os_region *region,
			    uint32_t page, uint32_t offset)
{
	struct xensim_region *r = (struct xensim_region *)region;
	uint64_t frame;

	(void)os;
	if (page >= r->npages || !r->page[page].mapped ||
	    offset >= XENSIM_PAGE_SIZE)
		return;
	frame = r->page[page].frame;
	__atomic_store_n(&machine_mem[frame * XENSIM_PAGE_SIZE + offset], 0,
			 __ATOMIC_SEQ_CST);
}

/* The daemon's signals are not the calling domain's: never interrupted. */
int
gntdev_os_sleep_ms(void *os, unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	(void)os;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	return 0;
}

int
gntdev_os_evtchn_get(void *os, void *os_file, uint32_t port,
		     struct gntdev_os_evtchn **evp)
{
	struct xensim_domain *d = os;
	struct xensim_port *p = xensim_port_get(d, port);
	struct xensim_evref *ev;

	(void)os_file;
	/* Linux's evtchn_get: the port must be bound through /dev/xen/evtchn. */
	if (p == NULL || p->state == XENSIM_PORT_FREE || p->owner == NULL)
		return EINVAL;
	ev = calloc(1, sizeof(*ev));
	if (ev == NULL)
		return ENOMEM;
	ev->domid = d->domid;
	ev->port = port;
	ev->gen = p->gen;
	p->refs++;
	*evp = (struct gntdev_os_evtchn *)ev;
	return 0;
}

void
gntdev_os_evtchn_notify(void *os, struct gntdev_os_evtchn *evh)
{
	struct xensim_evref *ev = (struct xensim_evref *)evh;
	struct xensim_domain *d = xensim_domain_get(ev->domid);
	struct xensim_port *p = xensim_port_get(d, ev->port);

	(void)os;
	if (p != NULL && p->gen == ev->gen)
		xensim_evtchn_send(d, ev->port);
}

void
gntdev_os_evtchn_put(void *os, struct gntdev_os_evtchn *evh)
{
	struct xensim_evref *ev = (struct xensim_evref *)evh;
	struct xensim_domain *d = xensim_domain_get(ev->domid);
	struct xensim_port *p = xensim_port_get(d, ev->port);

	(void)os;
	if (p != NULL && p->gen == ev->gen)
		xensim_port_put(d, ev->port);
	free(ev);
}

static int
uctx_find(void *os_file, uint64_t uaddr, size_t len, uint32_t *ip,
	  size_t *offp)
{
	struct xensim_file *f = os_file;
	struct xensim_uctx *u = f != NULL ? f->uctx : NULL;
	uint32_t i;

	if (u == NULL)
		return EFAULT;
	for (i = 0; i < u->nsegs; i++) {
		if (!u->seg[i].valid || uaddr < u->seg[i].uaddr)
			continue;
		if (uaddr - u->seg[i].uaddr > u->seg[i].len ||
		    len > u->seg[i].len - (uaddr - u->seg[i].uaddr))
			continue;
		*ip = i;
		*offp = (size_t)(uaddr - u->seg[i].uaddr);
		return 0;
	}
	return EFAULT;
}

int
gntdev_os_copyin(void *os_file, const void *uaddr, void *kaddr, size_t len)
{
	struct xensim_file *f = os_file;
	uint32_t i;
	size_t off;

	if (len == 0)
		return 0;
	if (uctx_find(os_file, (uint64_t)(uintptr_t)uaddr, len, &i, &off))
		return EFAULT;
	memcpy(kaddr, f->uctx->seg[i].bytes + off, len);
	return 0;
}

int
gntdev_os_copyout(void *os_file, const void *kaddr, void *uaddr, size_t len)
{
	struct xensim_file *f = os_file;
	uint32_t i;
	size_t off;

	if (len == 0)
		return 0;
	if (uctx_find(os_file, (uint64_t)(uintptr_t)uaddr, len, &i, &off))
		return EFAULT;
	memcpy(f->uctx->seg[i].bytes + off, kaddr, len);
	f->uctx->seg[i].dirty = true;
	return 0;
}

int
gntdev_os_vaddr_lookup(void *os_file, uint64_t vaddr, void **cookiep,
		       uint64_t *lenp)
{
	struct xensim_file *f = os_file;

	if (f == NULL || f->uctx == NULL || f->uctx->proc == NULL)
		return EINVAL;
	return xensim_proc_vaddr_lookup(f->uctx->proc, vaddr, cookiep, lenp);
}

void
gntdev_os_reclaim_schedule(void *os, unsigned int delay_ms)
{
	xensim_reclaim_arm(os, delay_ms);
}

/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Fake OS for the gntdev core unit tests; see fake_os.h.
 */

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "fake_os.h"

#define	FAKE_REF_BASE	100U
#define	FAKE_MAX_USER	64
#define	FAKE_MAX_VADDR	64
#define	FAKE_MAX_PORTS	64
#define	FAKE_MAX_STATUS	256

int fake_os_token;

struct gntdev_os_page {
	uint8_t		data[GNTDEV_PAGE_SIZE];
	uint32_t	id;
	uint32_t	grants;		/* active grants of this page */
};

struct gntdev_os_region {
	uint32_t	id;
	uint32_t	npages;
	uint8_t		*data;
	bool		*mapped;
};

struct gntdev_os_evtchn {
	uint32_t	port;
};

struct gntdev_os_mutex {
	pthread_mutex_t	m;
};

struct gntdev_os_sxlock {
	pthread_mutex_t	m;
};

struct fake_grant {
	struct gntdev_os_page	*page;
	uint16_t		 domid;
	bool			 readonly;
	bool			 active;
	bool			 busy;
};

struct fake_inject {
	uint64_t	calls;
	uint64_t	nth;
	int		nth_err;
	uint64_t	from;
	int		from_err;
};

struct fake_status {
	uint32_t	ref;
	int16_t		status;
	int		times;
};

struct fake_user {
	uintptr_t	addr;
	size_t		len;
};

struct fake_vaddr {
	uint64_t	vaddr;
	uint64_t	len;
	void		*cookie;
};

struct fake_port {
	uint32_t	port;
	uint64_t	sent;
};

static pthread_mutex_t fk_mtx = PTHREAD_MUTEX_INITIALIZER;
static struct {
	struct fake_call	*log;
	size_t			 len, cap;
	bool			 log_allocs;
	struct fake_outstanding	 out;
	unsigned		 violations;
	struct fake_inject	 inj[FAKE_NOPS];
	struct fake_grant	*grants;
	size_t			 ngrants;
	struct fake_status	 status[FAKE_MAX_STATUS];
	size_t			 nstatus;
	struct fake_user	 user[FAKE_MAX_USER];
	struct fake_vaddr	 vaddr[FAKE_MAX_VADDR];
	struct fake_port	 ports[FAKE_MAX_PORTS];
	size_t			 nports;
	uint32_t		 next_page_id;
	uint32_t		 next_region_id;
	uint32_t		 next_handle;
	uint64_t		 slept_ms;
} fk;

/* Locks held by this thread: the core's rules are checked against them. */
static _Thread_local int tl_mutexes;
static _Thread_local int tl_sxlocks;

static void
fk_lock(void)
{

	pthread_mutex_lock(&fk_mtx);
}

static void
fk_unlock(void)
{

	pthread_mutex_unlock(&fk_mtx);
}

static void
fk_log(enum fake_op op, uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
	struct fake_call *nl;

	if ((op == FAKE_MALLOC || op == FAKE_FREE) && !fk.log_allocs)
		return;
	if (fk.len == fk.cap) {
		fk.cap = fk.cap != 0 ? fk.cap * 2 : 256;
		nl = realloc(fk.log, fk.cap * sizeof(*nl));
		if (nl == NULL)
			abort();
		fk.log = nl;
	}
	fk.log[fk.len++] = (struct fake_call){ op, a, b, c, d };
}

/* Count a call of `op` and say whether it must fail (0: no). fk held. */
static int
fk_inject(enum fake_op op)
{
	struct fake_inject *in;

	in = &fk.inj[op];
	in->calls++;
	if (in->nth != 0 && in->calls == in->nth) {
		in->nth = 0;
		return (in->nth_err);
	}
	if (in->from_err != 0 && in->calls >= in->from)
		return (in->from_err);
	return (0);
}

/* A call that may sleep (or otherwise must not run under a mutex). */
static void
fk_may_sleep(void)
{

	if (tl_mutexes != 0)
		fk.violations++;
}

void
fake_reset(void)
{
	size_t i;

	fk_lock();
	free(fk.log);
	free(fk.grants);
	memset(&fk, 0, sizeof(fk));
	fk.next_page_id = 1;
	fk.next_region_id = 1;
	fk.next_handle = 1;
	for (i = 0; i < FAKE_MAX_USER; i++)
		fk.user[i].addr = 0;
	fk_unlock();
}

size_t
fake_log_len(void)
{
	size_t n;

	fk_lock();
	n = fk.len;
	fk_unlock();
	return (n);
}

const struct fake_call *
fake_log_at(size_t i)
{
	const struct fake_call *c;

	fk_lock();
	c = i < fk.len ? &fk.log[i] : NULL;
	fk_unlock();
	return (c);
}

void
fake_log_clear(void)
{

	fk_lock();
	fk.len = 0;
	fk_unlock();
}

void
fake_log_allocs(bool on)
{

	fk_lock();
	fk.log_allocs = on;
	fk_unlock();
}

size_t
fake_count(enum fake_op op)
{
	size_t i, n;

	n = 0;
	fk_lock();
	for (i = 0; i < fk.len; i++)
		if (fk.log[i].op == op)
			n++;
	fk_unlock();
	return (n);
}

long
fake_find(enum fake_op op, size_t n)
{
	size_t i;
	long r;

	r = -1;
	fk_lock();
	for (i = 0; i < fk.len; i++) {
		if (fk.log[i].op != op)
			continue;
		if (n-- == 0) {
			r = (long)i;
			break;
		}
	}
	fk_unlock();
	return (r);
}

uint64_t
fake_calls(enum fake_op op)
{
	uint64_t n;

	fk_lock();
	n = fk.inj[op].calls;
	fk_unlock();
	return (n);
}

void
fake_outstanding(struct fake_outstanding *o)
{

	fk_lock();
	*o = fk.out;
	fk_unlock();
}

unsigned
fake_violations(void)
{
	unsigned v;

	fk_lock();
	v = fk.violations;
	fk_unlock();
	return (v);
}

void
fake_fail_nth(enum fake_op op, uint64_t nth, int err)
{

	fk_lock();
	fk.inj[op].nth = fk.inj[op].calls + nth;
	fk.inj[op].nth_err = err;
	fk_unlock();
}

void
fake_fail_from(enum fake_op op, uint64_t nth, int err)
{

	fk_lock();
	fk.inj[op].from = fk.inj[op].calls + nth;
	fk.inj[op].from_err = err;
	fk_unlock();
}

void
fake_map_status(uint32_t ref, int16_t status, int times)
{
	size_t i;

	fk_lock();
	for (i = 0; i < fk.nstatus; i++)
		if (fk.status[i].ref == ref)
			break;
	if (i == fk.nstatus) {
		if (fk.nstatus == FAKE_MAX_STATUS)
			abort();
		fk.nstatus++;
	}
	fk.status[i] = (struct fake_status){ ref, status, times };
	fk_unlock();
}

/* Status of the next map try of `ref`.  fk held. */
static int16_t
fk_map_status(uint32_t ref)
{
	size_t i;

	for (i = 0; i < fk.nstatus; i++) {
		if (fk.status[i].ref != ref || fk.status[i].times == 0)
			continue;
		if (fk.status[i].times > 0)
			fk.status[i].times--;
		return (fk.status[i].status);
	}
	return (GNTDEV_GNTST_OKAY);
}

static struct fake_grant *
fk_grant(uint32_t ref)
{

	if (ref < FAKE_REF_BASE || ref - FAKE_REF_BASE >= fk.ngrants)
		return (NULL);
	return (&fk.grants[ref - FAKE_REF_BASE]);
}

void
fake_set_busy(uint32_t ref, bool busy)
{
	struct fake_grant *g;

	fk_lock();
	g = fk_grant(ref);
	if (g != NULL)
		g->busy = busy;
	fk_unlock();
}

uint32_t
fake_next_ref(void)
{
	uint32_t r;

	fk_lock();
	r = FAKE_REF_BASE + (uint32_t)fk.ngrants;
	fk_unlock();
	return (r);
}

uint8_t *
fake_grant_page(uint32_t ref)
{
	struct fake_grant *g;
	uint8_t *p;

	fk_lock();
	g = fk_grant(ref);
	p = g != NULL && g->active ? g->page->data : NULL;
	fk_unlock();
	return (p);
}

bool
fake_grant_readonly(uint32_t ref)
{
	struct fake_grant *g;
	bool ro;

	fk_lock();
	g = fk_grant(ref);
	ro = g != NULL && g->readonly;
	fk_unlock();
	return (ro);
}

uint16_t
fake_grant_domid(uint32_t ref)
{
	struct fake_grant *g;
	uint16_t d;

	fk_lock();
	g = fk_grant(ref);
	d = g != NULL ? g->domid : 0;
	fk_unlock();
	return (d);
}

uint8_t *
fake_page_data(struct gntdev_os_page *page)
{

	return (page->data);
}

uint8_t *
fake_region_data(struct gntdev_os_region *region, uint32_t page)
{

	return (region->data + (size_t)page * GNTDEV_PAGE_SIZE);
}

uint32_t
fake_region_id(struct gntdev_os_region *region)
{

	return (region->id);
}

uint32_t
fake_region_mapped(struct gntdev_os_region *region)
{
	uint32_t i, n;

	n = 0;
	fk_lock();
	for (i = 0; i < region->npages; i++)
		n += region->mapped[i];
	fk_unlock();
	return (n);
}

static struct fake_port *
fk_port(uint32_t port)
{
	size_t i;

	for (i = 0; i < fk.nports; i++)
		if (fk.ports[i].port == port)
			return (&fk.ports[i]);
	return (NULL);
}

void
fake_evtchn_bind(uint32_t port)
{

	fk_lock();
	if (fk_port(port) == NULL && fk.nports < FAKE_MAX_PORTS)
		fk.ports[fk.nports++] = (struct fake_port){ port, 0 };
	fk_unlock();
}

uint64_t
fake_evtchn_sent(uint32_t port)
{
	struct fake_port *p;
	uint64_t n;

	fk_lock();
	p = fk_port(port);
	n = p != NULL ? p->sent : 0;
	fk_unlock();
	return (n);
}

void
fake_user_add(void *addr, size_t len)
{
	size_t i;

	fk_lock();
	for (i = 0; i < FAKE_MAX_USER; i++) {
		if (fk.user[i].addr == 0) {
			fk.user[i].addr = (uintptr_t)addr;
			fk.user[i].len = len;
			break;
		}
	}
	fk_unlock();
}

void
fake_user_remove(void *addr)
{
	size_t i;

	fk_lock();
	for (i = 0; i < FAKE_MAX_USER; i++)
		if (fk.user[i].addr == (uintptr_t)addr)
			fk.user[i].addr = 0;
	fk_unlock();
}

/* Is [addr, addr+len) inside one registered user buffer?  fk held. */
static bool
fk_user_ok(uintptr_t addr, size_t len)
{
	size_t i;

	for (i = 0; i < FAKE_MAX_USER; i++) {
		if (fk.user[i].addr == 0 || addr < fk.user[i].addr)
			continue;
		if (addr - fk.user[i].addr <= fk.user[i].len &&
		    len <= fk.user[i].len - (addr - fk.user[i].addr))
			return (true);
	}
	return (false);
}

void
fake_vaddr_add(uint64_t vaddr, uint64_t len, void *cookie)
{
	size_t i;

	fk_lock();
	for (i = 0; i < FAKE_MAX_VADDR; i++) {
		if (fk.vaddr[i].len == 0) {
			fk.vaddr[i] = (struct fake_vaddr){ vaddr, len, cookie };
			break;
		}
	}
	fk_unlock();
}

void
fake_vaddr_clear(void)
{

	fk_lock();
	memset(fk.vaddr, 0, sizeof(fk.vaddr));
	fk_unlock();
}

uint64_t
fake_slept_ms(void)
{
	uint64_t n;

	fk_lock();
	n = fk.slept_ms;
	fk_unlock();
	return (n);
}

/*
 * ------------------------------------------------------------------
 * gntdev_os.h
 * ------------------------------------------------------------------
 */

void *
gntdev_os_malloc(size_t size)
{
	void *p;
	int err;

	fk_lock();
	fk_may_sleep();
	err = fk_inject(FAKE_MALLOC);
	p = err == 0 ? calloc(1, size) : NULL;
	if (p != NULL)
		fk.out.allocs++;
	fk_log(FAKE_MALLOC, size, p != NULL, 0, 0);
	fk_unlock();
	return (p);
}

void
gntdev_os_free(void *ptr)
{

	if (ptr == NULL)
		return;
	fk_lock();
	if (tl_mutexes != 0)
		fk.violations++;
	fk.out.allocs--;
	fk_log(FAKE_FREE, 0, 0, 0, 0);
	fk_unlock();
	free(ptr);
}

int
gntdev_os_mutex_create(const char *name, struct gntdev_os_mutex **mtxp)
{
	struct gntdev_os_mutex *m;
	int err;

	(void)name;
	fk_lock();
	fk_may_sleep();
	err = fk_inject(FAKE_MUTEX_CREATE);
	fk_log(FAKE_MUTEX_CREATE, (uint64_t)err, 0, 0, 0);
	if (err == 0)
		fk.out.locks++;
	fk_unlock();
	if (err != 0)
		return (err);
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		abort();
	pthread_mutex_init(&m->m, NULL);
	*mtxp = m;
	return (0);
}

void
gntdev_os_mutex_destroy(struct gntdev_os_mutex *mtx)
{

	pthread_mutex_destroy(&mtx->m);
	free(mtx);
	fk_lock();
	fk.out.locks--;
	fk_unlock();
}

void
gntdev_os_mutex_lock(struct gntdev_os_mutex *mtx)
{

	if (tl_mutexes != 0) {
		fk_lock();
		fk.violations++;
		fk_unlock();
	}
	pthread_mutex_lock(&mtx->m);
	tl_mutexes++;
}

void
gntdev_os_mutex_unlock(struct gntdev_os_mutex *mtx)
{

	tl_mutexes--;
	pthread_mutex_unlock(&mtx->m);
}

int
gntdev_os_sxlock_create(const char *name, struct gntdev_os_sxlock **sxp)
{
	struct gntdev_os_sxlock *sx;
	int err;

	(void)name;
	fk_lock();
	fk_may_sleep();
	err = fk_inject(FAKE_SXLOCK_CREATE);
	fk_log(FAKE_SXLOCK_CREATE, (uint64_t)err, 0, 0, 0);
	if (err == 0)
		fk.out.locks++;
	fk_unlock();
	if (err != 0)
		return (err);
	sx = calloc(1, sizeof(*sx));
	if (sx == NULL)
		abort();
	pthread_mutex_init(&sx->m, NULL);
	*sxp = sx;
	return (0);
}

void
gntdev_os_sxlock_destroy(struct gntdev_os_sxlock *sx)
{

	pthread_mutex_destroy(&sx->m);
	free(sx);
	fk_lock();
	fk.out.locks--;
	fk_unlock();
}

void
gntdev_os_sxlock_lock(struct gntdev_os_sxlock *sx)
{

	/* An sx lock may not be taken under a mutex, nor two at once. */
	if (tl_mutexes != 0 || tl_sxlocks != 0) {
		fk_lock();
		fk.violations++;
		fk_unlock();
	}
	pthread_mutex_lock(&sx->m);
	tl_sxlocks++;
}

void
gntdev_os_sxlock_unlock(struct gntdev_os_sxlock *sx)
{

	tl_sxlocks--;
	pthread_mutex_unlock(&sx->m);
}

int
gntdev_os_page_alloc(void *os, struct gntdev_os_page **pagep)
{
	struct gntdev_os_page *p;
	int err;

	(void)os;
	fk_lock();
	fk_may_sleep();
	err = fk_inject(FAKE_PAGE_ALLOC);
	if (err != 0) {
		fk_log(FAKE_PAGE_ALLOC, 0, (uint64_t)err, 0, 0);
		fk_unlock();
		return (err);
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		abort();
	p->id = fk.next_page_id++;
	fk.out.pages++;
	fk_log(FAKE_PAGE_ALLOC, p->id, 0, 0, 0);
	fk_unlock();
	*pagep = p;
	return (0);
}

void
gntdev_os_page_free(void *os, struct gntdev_os_page *page)
{

	(void)os;
	fk_lock();
	fk_may_sleep();
	/* Never free a page a grant still exposes. */
	if (page->grants != 0)
		fk.violations++;
	fk.out.pages--;
	fk_log(FAKE_PAGE_FREE, page->id, 0, 0, 0);
	fk_unlock();
	free(page);
}

void
gntdev_os_page_clear_byte(void *os, struct gntdev_os_page *page,
    uint32_t offset)
{

	(void)os;
	fk_lock();
	fk_may_sleep();
	if (offset >= GNTDEV_PAGE_SIZE)
		fk.violations++;
	else
		page->data[offset] = 0;
	fk_log(FAKE_PAGE_CLEAR_BYTE, page->id, offset, 0, 0);
	fk_unlock();
}

int
gntdev_os_grant_access(void *os, uint16_t domid, struct gntdev_os_page *page,
    bool readonly, uint32_t *refp)
{
	struct fake_grant *ng;
	uint32_t ref;
	int err;

	(void)os;
	fk_lock();
	fk_may_sleep();
	err = fk_inject(FAKE_GRANT_ACCESS);
	if (err != 0) {
		fk_log(FAKE_GRANT_ACCESS, domid, page->id, readonly, 0);
		fk_unlock();
		return (err);
	}
	ng = realloc(fk.grants, (fk.ngrants + 1) * sizeof(*ng));
	if (ng == NULL)
		abort();
	fk.grants = ng;
	ref = FAKE_REF_BASE + (uint32_t)fk.ngrants;
	fk.grants[fk.ngrants++] = (struct fake_grant){ page, domid, readonly,
	    true, false };
	page->grants++;
	fk.out.grants++;
	fk_log(FAKE_GRANT_ACCESS, domid, page->id, readonly, ref);
	fk_unlock();
	*refp = ref;
	return (0);
}

int
gntdev_os_end_access(void *os, uint32_t ref)
{
	struct fake_grant *g;
	int err;

	(void)os;
	fk_lock();
	fk_may_sleep();
	g = fk_grant(ref);
	err = fk_inject(FAKE_END_ACCESS);
	if (g == NULL || !g->active) {
		fk.violations++;
		err = EINVAL;
	} else if (err == 0 && g->busy) {
		err = EBUSY;
	}
	if (err == 0) {
		g->active = false;
		g->page->grants--;
		fk.out.grants--;
	}
	fk_log(FAKE_END_ACCESS, ref, (uint64_t)err, 0, 0);
	fk_unlock();
	return (err);
}

int
gntdev_os_region_alloc(void *os, uint32_t npages,
    struct gntdev_os_region **regionp)
{
	struct gntdev_os_region *r;
	int err;

	(void)os;
	fk_lock();
	fk_may_sleep();
	err = fk_inject(FAKE_REGION_ALLOC);
	if (err != 0) {
		fk_log(FAKE_REGION_ALLOC, npages, 0, (uint64_t)err, 0);
		fk_unlock();
		return (err);
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		abort();
	r->data = calloc(npages, GNTDEV_PAGE_SIZE);
	r->mapped = calloc(npages, sizeof(*r->mapped));
	if (r->data == NULL || r->mapped == NULL)
		abort();
	r->id = fk.next_region_id++;
	r->npages = npages;
	fk.out.regions++;
	fk_log(FAKE_REGION_ALLOC, npages, r->id, 0, 0);
	fk_unlock();
	*regionp = r;
	return (0);
}

void
gntdev_os_region_free(void *os, struct gntdev_os_region *region)
{
	uint32_t i;

	(void)os;
	fk_lock();
	fk_may_sleep();
	for (i = 0; i < region->npages; i++)
		if (region->mapped[i])
			fk.violations++;
	fk.out.regions--;
	fk_log(FAKE_REGION_FREE, region->id, 0, 0, 0);
	fk_unlock();
	free(region->data);
	free(region->mapped);
	free(region);
}

int
gntdev_os_map_grants(void *os, struct gntdev_os_region *region,
    struct gntdev_map_op *ops, uint32_t n)
{
	struct gntdev_map_op *op;
	uint32_t i;
	int err;

	(void)os;
	fk_lock();
	fk_may_sleep();
	err = fk_inject(FAKE_MAP_GRANTS);
	fk_log(FAKE_MAP_GRANTS, region->id, n, n != 0 ? ops[0].ref : 0,
	    (uint64_t)err);
	if (err != 0) {
		fk_unlock();
		return (err);
	}
	for (i = 0; i < n; i++) {
		op = &ops[i];
		if (op->page >= region->npages || region->mapped[op->page]) {
			fk.violations++;
			op->status = GNTDEV_GNTST_GENERAL_ERROR;
			continue;
		}
		op->status = fk_map_status(op->ref);
		if (op->status == GNTDEV_GNTST_OKAY) {
			region->mapped[op->page] = true;
			op->handle = fk.next_handle++;
			fk.out.mapped++;
		}
	}
	fk_unlock();
	return (0);
}

int
gntdev_os_unmap_grants(void *os, struct gntdev_os_region *region,
    struct gntdev_map_op *ops, uint32_t n)
{
	uint32_t i, undone;

	(void)os;
	fk_lock();
	fk_may_sleep();
	undone = 0;
	for (i = 0; i < n; i++) {
		if (ops[i].status != GNTDEV_GNTST_OKAY)
			continue;
		if (ops[i].page >= region->npages ||
		    !region->mapped[ops[i].page]) {
			fk.violations++;
			continue;
		}
		region->mapped[ops[i].page] = false;
		fk.out.mapped--;
		undone++;
	}
	fk_log(FAKE_UNMAP_GRANTS, region->id, n, undone, 0);
	fk_unlock();
	return (0);
}

void
gntdev_os_region_clear_byte(void *os, struct gntdev_os_region *region,
    uint32_t page, uint32_t offset)
{

	(void)os;
	fk_lock();
	fk_may_sleep();
	/* The byte must be cleared while its grant is still mapped. */
	if (page >= region->npages || offset >= GNTDEV_PAGE_SIZE ||
	    !region->mapped[page])
		fk.violations++;
	else
		region->data[(size_t)page * GNTDEV_PAGE_SIZE + offset] = 0;
	fk_log(FAKE_REGION_CLEAR_BYTE, region->id, page, offset, 0);
	fk_unlock();
}

int
gntdev_os_sleep_ms(void *os, unsigned int ms)
{
	int err;

	(void)os;
	fk_lock();
	fk_may_sleep();
	err = fk_inject(FAKE_SLEEP);
	fk.slept_ms += ms;
	fk_log(FAKE_SLEEP, ms, (uint64_t)err, 0, 0);
	fk_unlock();
	return (err);
}

int
gntdev_os_evtchn_get(void *os, void *os_file, uint32_t port,
    struct gntdev_os_evtchn **evp)
{
	struct gntdev_os_evtchn *ev;
	int err;

	(void)os;
	(void)os_file;
	fk_lock();
	fk_may_sleep();
	err = fk_inject(FAKE_EVTCHN_GET);
	if (err == 0 && fk_port(port) == NULL)
		err = EINVAL;
	fk_log(FAKE_EVTCHN_GET, port, (uint64_t)err, 0, 0);
	if (err == 0)
		fk.out.evtchn_refs++;
	fk_unlock();
	if (err != 0)
		return (err);
	ev = calloc(1, sizeof(*ev));
	if (ev == NULL)
		abort();
	ev->port = port;
	*evp = ev;
	return (0);
}

void
gntdev_os_evtchn_notify(void *os, struct gntdev_os_evtchn *ev)
{
	struct fake_port *p;

	(void)os;
	fk_lock();
	fk_may_sleep();
	p = fk_port(ev->port);
	if (p != NULL)
		p->sent++;
	fk_log(FAKE_EVTCHN_NOTIFY, ev->port, 0, 0, 0);
	fk_unlock();
}

void
gntdev_os_evtchn_put(void *os, struct gntdev_os_evtchn *ev)
{

	(void)os;
	fk_lock();
	fk_may_sleep();
	fk.out.evtchn_refs--;
	fk_log(FAKE_EVTCHN_PUT, ev->port, 0, 0, 0);
	fk_unlock();
	free(ev);
}

int
gntdev_os_copyin(void *os_file, const void *uaddr, void *kaddr, size_t len)
{
	int err;

	(void)os_file;
	fk_lock();
	fk_may_sleep();
	err = fk_inject(FAKE_COPYIN);
	if (err == 0 && !fk_user_ok((uintptr_t)uaddr, len))
		err = EFAULT;
	fk_log(FAKE_COPYIN, (uintptr_t)uaddr, len, (uint64_t)err, 0);
	fk_unlock();
	if (err == 0)
		memcpy(kaddr, uaddr, len);
	return (err);
}

int
gntdev_os_copyout(void *os_file, const void *kaddr, void *uaddr, size_t len)
{
	int err;

	(void)os_file;
	fk_lock();
	fk_may_sleep();
	err = fk_inject(FAKE_COPYOUT);
	if (err == 0 && !fk_user_ok((uintptr_t)uaddr, len))
		err = EFAULT;
	fk_log(FAKE_COPYOUT, (uintptr_t)uaddr, len, (uint64_t)err, 0);
	fk_unlock();
	if (err == 0)
		memcpy(uaddr, kaddr, len);
	return (err);
}

int
gntdev_os_vaddr_lookup(void *os_file, uint64_t vaddr, void **cookiep,
    uint64_t *lenp)
{
	size_t i;
	int err;

	(void)os_file;
	err = EINVAL;
	fk_lock();
	fk_may_sleep();
	for (i = 0; i < FAKE_MAX_VADDR; i++) {
		if (fk.vaddr[i].len != 0 && vaddr >= fk.vaddr[i].vaddr &&
		    vaddr - fk.vaddr[i].vaddr < fk.vaddr[i].len) {
			*cookiep = fk.vaddr[i].cookie;
			*lenp = fk.vaddr[i].len;
			err = 0;
			break;
		}
	}
	fk_log(FAKE_VADDR_LOOKUP, vaddr, (uint64_t)err, 0, 0);
	fk_unlock();
	return (err);
}

void
gntdev_os_reclaim_schedule(void *os, unsigned int delay_ms)
{

	(void)os;
	fk_lock();
	fk_may_sleep();
	fk_log(FAKE_RECLAIM_SCHEDULE, delay_ms, 0, 0, 0);
	fk_unlock();
}

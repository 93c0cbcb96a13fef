/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * A fake of gntdev_os.h for unit tests of the core, in user space.
 *
 * It records every call in order (fake_log), can fail any step on demand,
 * keeps real 4096-byte buffers for pages and region pages so that cleared
 * bytes can be observed, tracks every outstanding object (allocations,
 * pages, grants, regions, mapped grants, event-channel references, locks)
 * and checks the core's locking rules: no may-sleep call and no second
 * mutex while a mutex is held.  It is thread-safe.
 *
 * Grant refs are handed out from 100 upwards; page ids and region ids from
 * 1 upwards.  The `os` pointer for gntdev_core_create() is FAKE_OS.
 */

#ifndef _FAKE_OS_H_
#define	_FAKE_OS_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gntdev_os.h"

#define	FAKE_OS		((void *)&fake_os_token)
extern int fake_os_token;

enum fake_op {
	FAKE_MALLOC,
	FAKE_FREE,
	FAKE_MUTEX_CREATE,
	FAKE_SXLOCK_CREATE,
	FAKE_PAGE_ALLOC,	/* a = page id */
	FAKE_PAGE_FREE,		/* a = page id */
	FAKE_PAGE_CLEAR_BYTE,	/* a = page id, b = offset */
	FAKE_GRANT_ACCESS,	/* a = domid, b = page id, c = readonly, d = ref */
	FAKE_END_ACCESS,	/* a = ref, b = result */
	FAKE_REGION_ALLOC,	/* a = npages, b = region id */
	FAKE_REGION_FREE,	/* a = region id */
	FAKE_MAP_GRANTS,	/* a = region id, b = n, c = first ref */
	FAKE_UNMAP_GRANTS,	/* a = region id, b = n, c = OKAY ops undone */
	FAKE_REGION_CLEAR_BYTE,	/* a = region id, b = page, c = offset */
	FAKE_SLEEP,		/* a = ms, b = result */
	FAKE_EVTCHN_GET,	/* a = port, b = result */
	FAKE_EVTCHN_NOTIFY,	/* a = port */
	FAKE_EVTCHN_PUT,	/* a = port */
	FAKE_COPYIN,		/* a = uaddr, b = len, c = result */
	FAKE_COPYOUT,		/* a = uaddr, b = len, c = result */
	FAKE_VADDR_LOOKUP,	/* a = vaddr, b = result */
	FAKE_RECLAIM_SCHEDULE,	/* a = delay ms */
	FAKE_NOPS
};

struct fake_call {
	enum fake_op	op;
	uint64_t	a, b, c, d;
};

/* Outstanding objects; all zero when nothing leaked. */
struct fake_outstanding {
	long	allocs;
	long	locks;
	long	pages;
	long	grants;
	long	regions;
	long	mapped;
	long	evtchn_refs;
};

void	fake_reset(void);
/* Log of calls; malloc/free are recorded only when fake_log_allocs(true). */
size_t	fake_log_len(void);
const struct fake_call *fake_log_at(size_t i);
void	fake_log_clear(void);
void	fake_log_allocs(bool on);
/* Number of logged calls of `op`; index of the n-th (0-based) or -1. */
size_t	fake_count(enum fake_op op);
long	fake_find(enum fake_op op, size_t n);
/* Calls of `op` made so far (logged or not). */
uint64_t fake_calls(enum fake_op op);

void	fake_outstanding(struct fake_outstanding *o);
/* Locking-rule violations seen (see above); must stay 0. */
unsigned fake_violations(void);

/* Make the `nth` (1-based, counted from now) call of `op` fail with `err`. */
void	fake_fail_nth(enum fake_op op, uint64_t nth, int err);
/* Make every call of `op` from the `nth` on fail with `err` (0: stop). */
void	fake_fail_from(enum fake_op op, uint64_t nth, int err);

/* Map ops for `ref` get `status` for the next `times` tries (-1: always). */
void	fake_map_status(uint32_t ref, int16_t status, int times);
/* end_access(ref) gives EBUSY while `busy`. */
void	fake_set_busy(uint32_t ref, bool busy);
/* The ref the fake will hand out next, and the page behind a granted ref. */
uint32_t fake_next_ref(void);
uint8_t	*fake_grant_page(uint32_t ref);
bool	fake_grant_readonly(uint32_t ref);
uint16_t fake_grant_domid(uint32_t ref);
/* Data of a page or region page. */
uint8_t	*fake_page_data(struct gntdev_os_page *page);
uint8_t	*fake_region_data(struct gntdev_os_region *region, uint32_t page);
uint32_t fake_region_id(struct gntdev_os_region *region);
/* How many grants of `region` are mapped now. */
uint32_t fake_region_mapped(struct gntdev_os_region *region);

/* Event channels: ports bound (evtchn_get succeeds) and sends per port. */
void	fake_evtchn_bind(uint32_t port);
uint64_t fake_evtchn_sent(uint32_t port);

/* User memory: [addr, addr+len) is valid for copyin/copyout. */
void	fake_user_add(void *addr, size_t len);
void	fake_user_remove(void *addr);

/* vaddr lookup table. */
void	fake_vaddr_add(uint64_t vaddr, uint64_t len, void *cookie);
void	fake_vaddr_clear(void);

/* Total of sleep_ms and last reclaim_schedule delay. */
uint64_t fake_slept_ms(void);

#endif /* !_FAKE_OS_H_ */

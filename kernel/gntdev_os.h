/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The contract between the OS-neutral gntdev core and the system it runs in.
 *
 * The core (gntdev_core.c) includes this header and nothing else of the OS.
 * Three parties implement it:
 *   - kernel/freebsd/gntdev_freebsd.c, with the FreeBSD 14 KPI;
 *   - the simulator (sim/), in user space, against simulated grant tables;
 *   - the unit tests (tests/core/), with fakes that record every call and can
 *     fail any step on demand.
 *
 * Conventions:
 *   - Functions that can fail return 0 or a positive errno value.
 *   - `os` is the opaque pointer given to gntdev_core_create(); `os_file` the
 *     one given to gntdev_file_open().  The FreeBSD glue may ignore them.
 *   - "May sleep" functions are never called with a gntdev_os_mutex held.
 *     The core holds at most one file sxlock and, inside it, at most one
 *     mutex; it never holds two mutexes at once.
 */

#ifndef _GNTDEV_OS_H_
#define	_GNTDEV_OS_H_

#ifdef _KERNEL
#include <sys/types.h>
#else
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#endif

#define	GNTDEV_PAGE_SHIFT	12
#define	GNTDEV_PAGE_SIZE	(1U << GNTDEV_PAGE_SHIFT)

/* Opaque OS objects; each implementation defines the structs. */
struct gntdev_os_page;		/* one zeroed, wired page of our memory */
struct gntdev_os_region;	/* address space for mapping foreign grants */
struct gntdev_os_evtchn;	/* a reference on a bound event channel */
struct gntdev_os_mutex;		/* short lock, never held across a sleep */
struct gntdev_os_sxlock;	/* lock that may be held across sleeps */

/* Memory for the core's own records.  Zeroed.  May sleep.  NULL on failure. */
void	*gntdev_os_malloc(size_t size);
void	 gntdev_os_free(void *ptr);

/* Locks.  Creation may sleep; it fails only with ENOMEM. */
int	 gntdev_os_mutex_create(const char *name, struct gntdev_os_mutex **mtxp);
void	 gntdev_os_mutex_destroy(struct gntdev_os_mutex *mtx);
void	 gntdev_os_mutex_lock(struct gntdev_os_mutex *mtx);
void	 gntdev_os_mutex_unlock(struct gntdev_os_mutex *mtx);
int	 gntdev_os_sxlock_create(const char *name, struct gntdev_os_sxlock **sxp);
void	 gntdev_os_sxlock_destroy(struct gntdev_os_sxlock *sx);
void	 gntdev_os_sxlock_lock(struct gntdev_os_sxlock *sx);
void	 gntdev_os_sxlock_unlock(struct gntdev_os_sxlock *sx);

/*
 * Our own pages, shared with other domains (ALLOC_GREF).
 * page_alloc gives a zeroed, wired page (ENOMEM on failure; may sleep).
 * page_free is called only once no foreign domain can map the page any more.
 */
int	 gntdev_os_page_alloc(void *os, struct gntdev_os_page **pagep);
void	 gntdev_os_page_free(void *os, struct gntdev_os_page *page);
void	 gntdev_os_page_clear_byte(void *os, struct gntdev_os_page *page,
	    uint32_t offset);

/*
 * Grant `page` to `domid` (read-only or writable) and return the grant ref.
 * end_access revokes it: 0 when the entry is gone and the ref is free again;
 * EBUSY when the foreign domain still maps the page, in which case nothing
 * changed and the core retries later.
 */
int	 gntdev_os_grant_access(void *os, uint16_t domid,
	    struct gntdev_os_page *page, bool readonly, uint32_t *refp);
int	 gntdev_os_end_access(void *os, uint32_t ref);

/*
 * Foreign grants.  A region is the address space for `npages` foreign pages
 * (FreeBSD: an unpopulated physical range from xenmem_alloc()).  Mapping is
 * one batched hypercall over `n` operations; each op says which region page
 * it fills and gets its own status (GNTDEV_GNTST_*) and handle.  The return
 * value is an errno only when the batch could not be issued at all; then no
 * op was performed.  unmap_grants undoes the ops whose status is OKAY.
 */
#define	GNTDEV_GNTST_OKAY		0
#define	GNTDEV_GNTST_GENERAL_ERROR	(-1)
#define	GNTDEV_GNTST_BAD_DOMAIN		(-2)
#define	GNTDEV_GNTST_BAD_GNTREF		(-3)
#define	GNTDEV_GNTST_BAD_HANDLE		(-4)
#define	GNTDEV_GNTST_PERMISSION_DENIED	(-8)
#define	GNTDEV_GNTST_BAD_PAGE		(-9)
#define	GNTDEV_GNTST_EAGAIN		(-12)

struct gntdev_map_op {
	uint32_t	page;		/* in: page index within the region */
	uint16_t	domid;		/* in: granting domain */
	uint32_t	ref;		/* in: grant reference */
	bool		readonly;	/* in */
	int16_t		status;		/* out: GNTDEV_GNTST_* */
	uint32_t	handle;		/* out: valid when status is OKAY */
};

int	 gntdev_os_region_alloc(void *os, uint32_t npages,
	    struct gntdev_os_region **regionp);
void	 gntdev_os_region_free(void *os, struct gntdev_os_region *region);
int	 gntdev_os_map_grants(void *os, struct gntdev_os_region *region,
	    struct gntdev_map_op *ops, uint32_t n);
int	 gntdev_os_unmap_grants(void *os, struct gntdev_os_region *region,
	    struct gntdev_map_op *ops, uint32_t n);
/* Clear one byte of a mapped, writable region page. */
void	 gntdev_os_region_clear_byte(void *os, struct gntdev_os_region *region,
	    uint32_t page, uint32_t offset);

/*
 * Sleep about `ms` milliseconds (retry of GNTST_eagain ops).  Returns 0,
 * or EINTR when a signal to the calling thread cut the sleep short, so
 * that a process waiting on a grant that never comes can be killed.
 */
int	 gntdev_os_sleep_ms(void *os, unsigned int ms);

/*
 * Event channels.  evtchn_get takes a reference on `port`, which the calling
 * file's owner must already have bound; EINVAL otherwise.  notify signals the
 * remote end; put drops the reference.  notify and put never sleep on a lock
 * the core holds.
 */
int	 gntdev_os_evtchn_get(void *os, void *os_file, uint32_t port,
	    struct gntdev_os_evtchn **evp);
void	 gntdev_os_evtchn_notify(void *os, struct gntdev_os_evtchn *ev);
void	 gntdev_os_evtchn_put(void *os, struct gntdev_os_evtchn *ev);

/* User memory of the calling process.  EFAULT on a bad address.  May sleep. */
int	 gntdev_os_copyin(void *os_file, const void *uaddr, void *kaddr,
	    size_t len);
int	 gntdev_os_copyout(void *os_file, const void *kaddr, void *uaddr,
	    size_t len);

/*
 * GET_OFFSET_FOR_VADDR: find the mapping of the calling process that contains
 * `vaddr`.  On success *cookiep is the cookie the core gave for that mapping
 * (gntdev_mapping_cookie()) and *lenp the length of the whole mapping in
 * bytes.  EINVAL when nothing of ours is mapped there.
 */
int	 gntdev_os_vaddr_lookup(void *os_file, uint64_t vaddr, void **cookiep,
	    uint64_t *lenp);

/*
 * Ask the OS to call gntdev_core_reclaim() once, `delay_ms` milliseconds from
 * now (0: as soon as possible, from a context that may sleep).  Requests
 * coalesce: an earlier pending call satisfies a later request.
 */
void	 gntdev_os_reclaim_schedule(void *os, unsigned int delay_ms);

#endif /* !_GNTDEV_OS_H_ */

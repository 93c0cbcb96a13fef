/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * OS-neutral core of the gntdev device.
 *
 * The core owns all the logic of /dev/xen/gntdev that is not a kernel KPI
 * call: per-open-file state, the mmap offset allocator, records of shared
 * pages (ALLOC_GREF) and of foreign grant maps (MAP_GRANT_REF), argument
 * validation, unmap notifications, limits, and the deferred release of pages
 * that a foreign domain still maps.  It reaches the system only through
 * gntdev_os.h.  Errors are positive errno values, as in the FreeBSD kernel.
 *
 * Lifetimes.
 *   - A core is one system's state (one per kernel; one per domain in the
 *     simulator).  A file is one open file description.
 *   - A grant map (MAP_GRANT_REF) holds one reference for the file, dropped
 *     by UNMAP_GRANT_REF or close, and one per mapping reference the OS took
 *     with gntdev_core_mmap().  Its grants are mapped by one batched
 *     hypercall at the first mmap and stay mapped until the last reference
 *     goes, so a map may be mmapped, munmapped and mmapped again.
 *   - When the last reference goes: the notify byte is cleared (if the map
 *     was ever mapped), the grants are unmapped, and then the notify event is
 *     sent.  The event is sent also for a map that was never mmapped (Linux
 *     behaves so; FreeBSD's old driver leaked it).  Each fires once.
 *   - A shared page (ALLOC_GREF) lives in its file until DEALLOC_GREF or
 *     close, and in every mapping that covers it.  When both are gone, its
 *     notification fires (byte cleared, then event), its grant is revoked and
 *     the page freed.  If the foreign domain still maps it, the page is
 *     parked and revoking is retried on a timer until the peer lets go; the
 *     page is never freed or reused while a peer maps it.
 */

#ifndef _GNTDEV_CORE_H_
#define	_GNTDEV_CORE_H_

#include "gntdev_os.h"

struct gntdev_core;
struct gntdev_file;
struct gntdev_mapping;

/*
 * Tunable limits.  A request whose count is 0 or above max_pages_per_ioctl
 * fails with EINVAL.  A request that would take a file above
 * max_pages_per_file, or the whole system above max_pages_global (mapped
 * grants and shared pages together, parked pages included), fails with
 * ENOSPC.  A grant still at GNTST_eagain after eagain_retries retries fails
 * the mmap (EINVAL; EINTR if a signal comes during a wait).  Parked pages
 * are retried every reclaim_interval_ms.
 */
struct gntdev_limits {
	uint32_t	max_pages_per_ioctl;
	uint32_t	max_pages_per_file;
	uint32_t	max_pages_global;
	uint32_t	eagain_retries;
	uint32_t	reclaim_interval_ms;
};

#define	GNTDEV_DEFAULT_MAX_PAGES_PER_IOCTL	65536U	/* 256 MiB */
#define	GNTDEV_DEFAULT_MAX_PAGES_PER_FILE	262144U	/* 1 GiB */
#define	GNTDEV_DEFAULT_MAX_PAGES_GLOBAL		1048576U	/* 4 GiB */
#define	GNTDEV_DEFAULT_EAGAIN_RETRIES		10U	/* ~1 s of backoff */
#define	GNTDEV_DEFAULT_RECLAIM_INTERVAL_MS	1000U

/* Fill `lim` with the defaults above. */
void	gntdev_limits_default(struct gntdev_limits *lim);

/* Counters, for status reports and for tests that check nothing leaked. */
struct gntdev_stats {
	uint32_t	files;		/* open files */
	uint32_t	shared_pages;	/* shared pages in files or mappings */
	uint32_t	parked_pages;	/* revoked by us, still mapped by a peer */
	uint32_t	grant_maps;	/* grant maps alive (any reference) */
	uint32_t	mapped_grants;	/* foreign grants mapped right now */
	uint32_t	mappings;	/* mapping references held by the OS */
	uint32_t	notifies;	/* armed notifications */
	uint32_t	pages_accounted;	/* pages counted against the global limit */
};

/*
 * The system.  `os` is passed back to every gntdev_os_* call.
 * gntdev_core_destroy() requires every file closed and every mapping
 * released; it then revokes parked pages it can and returns EBUSY (leaving
 * the core intact) if a peer still maps some.
 */
int	gntdev_core_create(const struct gntdev_limits *lim, void *os,
	    struct gntdev_core **corep);
int	gntdev_core_destroy(struct gntdev_core *core);
/* Change the limits at run time; they apply to later requests. */
void	gntdev_core_set_limits(struct gntdev_core *core,
	    const struct gntdev_limits *lim);
void	gntdev_core_get_limits(struct gntdev_core *core,
	    struct gntdev_limits *lim);
void	gntdev_core_stats(struct gntdev_core *core, struct gntdev_stats *st);

/*
 * Retry revoking parked pages.  Called by the OS after
 * gntdev_os_reclaim_schedule(); reschedules itself while pages remain.
 * Returns the number of pages still parked.  May sleep.
 */
uint32_t gntdev_core_reclaim(struct gntdev_core *core);

/* One open file.  `os_file` is passed back to per-file gntdev_os_* calls. */
int	gntdev_file_open(struct gntdev_core *core, void *os_file,
	    struct gntdev_file **filep);
/* Last close.  Mappings the OS still holds stay valid until released. */
void	gntdev_file_close(struct gntdev_file *file);
/* Counters of one file (files is 1). */
void	gntdev_file_stats(struct gntdev_file *file, struct gntdev_stats *st);

/*
 * An ioctl on the FreeBSD ABI (include/gntdev.h).  `data` is the argument
 * already copied in, GNTDEV_IOC_LEN(cmd) bytes, as FreeBSD's generic ioctl
 * layer does; the caller copies it back out when 0 is returned and the
 * command has the OUT direction.  Arrays behind user pointers go through
 * gntdev_os_copyin/copyout.  Unknown commands give ENOTTY.  May sleep.
 */
int	gntdev_file_ioctl(struct gntdev_file *file, unsigned long cmd,
	    void *data);

/*
 * mmap of `size` bytes at file offset `offset` with protection
 * GNTDEV_PROT_* (write implies read).  Resolution, as FreeBSD's driver:
 *   1. size/PAGE_SIZE shared pages of this file start exactly at `offset`,
 *      contiguous in file order (they may come from several ALLOC calls):
 *      a shared mapping.
 *   2. else a grant map starts exactly at `offset` with exactly that many
 *      pages: a foreign mapping; the first one maps the grants (read-only
 *      when `prot` lacks WRITE; later writable mmaps of a read-only map fail
 *      with EACCES).
 *   3. else EINVAL.  size 0 or not a page multiple: EINVAL.
 * On success *mapp holds one mapping reference.  Errors: EINVAL, ENOMEM,
 * EACCES, and the map errors: EINVAL when a grant failed (bad domain, bad
 * ref, permission), ENOMEM when the region cannot be allocated.  May sleep.
 */
#define	GNTDEV_PROT_READ	0x1
#define	GNTDEV_PROT_WRITE	0x2
int	gntdev_core_mmap(struct gntdev_file *file, uint64_t offset,
	    uint64_t size, int prot, struct gntdev_mapping **mapp);

/* Take and drop mapping references.  The last release may sleep. */
void	gntdev_mapping_ref(struct gntdev_mapping *map);
void	gntdev_mapping_release(struct gntdev_mapping *map);

/* What the OS needs to build the mapping. */
bool	gntdev_mapping_is_foreign(const struct gntdev_mapping *map);
uint32_t gntdev_mapping_npages(const struct gntdev_mapping *map);
uint64_t gntdev_mapping_offset(const struct gntdev_mapping *map);
bool	gntdev_mapping_readonly(const struct gntdev_mapping *map);
/* Shared mapping: page i (0 <= i < npages). */
struct gntdev_os_page *gntdev_mapping_page(const struct gntdev_mapping *map,
	    uint32_t i);
/* Foreign mapping: the region its grants are mapped in, page i = region page i. */
struct gntdev_os_region *gntdev_mapping_region(const struct gntdev_mapping *map);
/*
 * Cookie that identifies this mapping to gntdev_os_vaddr_lookup().  For a
 * foreign mapping it is the same for every mapping reference of one grant
 * map, so the FreeBSD glue can use it as the VM object handle.
 */
void	*gntdev_mapping_cookie(const struct gntdev_mapping *map);

#endif /* !_GNTDEV_CORE_H_ */

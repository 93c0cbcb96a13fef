/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * User-space ABI of FreeBSD's /dev/xen/gntdev: map pages that other Xen
 * domains granted to us, and grant our own pages to other domains.
 *
 * Every number and layout here is FreeBSD's sys/xen/gntdev.h, so that Xen's
 * unmodified libxengnttab FreeBSD backend works against this device.  The
 * ioctl values are spelled out with FreeBSD's encoding so that the header
 * compiles to the same numbers on any host (the simulator and the unit tests
 * run on Linux, whose _IOW() encodes differently).  Static assertions at the
 * end pin every size, offset and value.
 *
 * Offsets ("index") are opaque 64-bit mmap offsets handed out by the device,
 * allocated downward from 2^64; as off_t they are negative, which FreeBSD's
 * mmap accepts for devices.  Pass them to mmap(2) unchanged.
 */

#ifndef _GNTDEV_ABI_H_
#define	_GNTDEV_ABI_H_

#ifdef _KERNEL
#include <sys/types.h>
#else
#include <stdint.h>
#endif

/* FreeBSD <sys/ioccom.h> encoding: dir | (len & 0x1fff) << 16 | group << 8 | num. */
#define	GNTDEV_IOC_VOID		0x20000000UL
#define	GNTDEV_IOC_OUT		0x40000000UL
#define	GNTDEV_IOC_IN		0x80000000UL
#define	GNTDEV_IOC_INOUT	(GNTDEV_IOC_IN | GNTDEV_IOC_OUT)
#define	GNTDEV_IOCPARM_MASK	0x1fffUL
#define	GNTDEV_IOC(dir, group, num, len)				\
	((unsigned long)((dir) | (((unsigned long)(len) & GNTDEV_IOCPARM_MASK) << 16) | \
	    ((unsigned long)(group) << 8) | (unsigned long)(num)))
#define	GNTDEV_IOW(group, num, type)					\
	GNTDEV_IOC(GNTDEV_IOC_IN, (group), (num), sizeof(type))
#define	GNTDEV_IOWR(group, num, type)					\
	GNTDEV_IOC(GNTDEV_IOC_INOUT, (group), (num), sizeof(type))
/* Length field of an encoded command, and whether the kernel copies back. */
#define	GNTDEV_IOC_LEN(cmd)	(((cmd) >> 16) & GNTDEV_IOCPARM_MASK)
#define	GNTDEV_IOC_DIR(cmd)	((cmd) & 0xe0000000UL)

/* Action flags of IOCTL_GNTDEV_SET_UNMAP_NOTIFY. */
#define	UNMAP_NOTIFY_CLEAR_BYTE	0x1
#define	UNMAP_NOTIFY_SEND_EVENT	0x2

/*
 * Set a notification for when a page is no longer mapped: clear the byte at
 * `index` (a byte address in the file-offset space: an ALLOC or MAP index
 * plus a byte offset) and/or send an event on `event_channel_port`, which the
 * caller must have bound (for example through /dev/xen/evtchn).
 */
struct ioctl_gntdev_unmap_notify {
	uint64_t	index;			/* in */
	uint32_t	action;			/* in: UNMAP_NOTIFY_* */
	uint32_t	event_channel_port;	/* in */
};
#define	IOCTL_GNTDEV_SET_UNMAP_NOTIFY					\
	GNTDEV_IOW('E', 0, struct ioctl_gntdev_unmap_notify)

/* Grant `count` new zeroed pages of ours to `domid`. */
#define	GNTDEV_ALLOC_FLAG_WRITABLE	1
struct ioctl_gntdev_alloc_gref {
	uint16_t	domid;		/* in */
	uint16_t	flags;		/* in: GNTDEV_ALLOC_FLAG_* */
	uint32_t	count;		/* in */
	uint64_t	index;		/* out: mmap offset of the pages */
	uint32_t	*gref_ids;	/* in: user array of count entries, filled */
};
#define	IOCTL_GNTDEV_ALLOC_GREF						\
	GNTDEV_IOWR('E', 1, struct ioctl_gntdev_alloc_gref)

/* Stop sharing `count` pages starting at `index` (pages live on while mapped). */
struct ioctl_gntdev_dealloc_gref {
	uint64_t	index;		/* in */
	uint32_t	count;		/* in */
};
#define	IOCTL_GNTDEV_DEALLOC_GREF					\
	GNTDEV_IOW('E', 2, struct ioctl_gntdev_dealloc_gref)

/* One foreign grant: the granting domain (truncated to 16 bits) and its ref. */
struct ioctl_gntdev_grant_ref {
	uint32_t	domid;
	uint32_t	ref;
};

/* Record `count` foreign grants for a later mmap at the returned index. */
struct ioctl_gntdev_map_grant_ref {
	uint32_t	count;		/* in */
	uint32_t	pad0;
	uint64_t	index;		/* out */
	struct ioctl_gntdev_grant_ref *refs;	/* in: user array of count */
};
#define	IOCTL_GNTDEV_MAP_GRANT_REF					\
	GNTDEV_IOWR('E', 3, struct ioctl_gntdev_map_grant_ref)

/* Forget a grant map; the grants are unmapped when the last mapping goes. */
struct ioctl_gntdev_unmap_grant_ref {
	uint64_t	index;		/* in */
	uint32_t	count;		/* in */
};
#define	IOCTL_GNTDEV_UNMAP_GRANT_REF					\
	GNTDEV_IOW('E', 4, struct ioctl_gntdev_unmap_grant_ref)

/* Find the index and count of the grant map mapped at `vaddr`. */
struct ioctl_gntdev_get_offset_for_vaddr {
	uint64_t	vaddr;		/* in */
	uint64_t	offset;		/* out */
	uint32_t	count;		/* out */
};
#define	IOCTL_GNTDEV_GET_OFFSET_FOR_VADDR				\
	GNTDEV_IOWR('E', 5, struct ioctl_gntdev_get_offset_for_vaddr)

#if defined(__LP64__) || defined(_LP64)
#ifdef _KERNEL
#include <sys/stddef.h>
#else
#include <stddef.h>
#endif
#ifdef __cplusplus
#define	GNTDEV_ABI_ASSERT(e, m)	static_assert(e, m)
#else
#define	GNTDEV_ABI_ASSERT(e, m)	_Static_assert(e, m)
#endif
GNTDEV_ABI_ASSERT(sizeof(struct ioctl_gntdev_unmap_notify) == 16, "unmap_notify size");
GNTDEV_ABI_ASSERT(offsetof(struct ioctl_gntdev_unmap_notify, index) == 0, "unmap_notify.index");
GNTDEV_ABI_ASSERT(offsetof(struct ioctl_gntdev_unmap_notify, action) == 8, "unmap_notify.action");
GNTDEV_ABI_ASSERT(offsetof(struct ioctl_gntdev_unmap_notify, event_channel_port) == 12,
    "unmap_notify.event_channel_port");
GNTDEV_ABI_ASSERT(sizeof(struct ioctl_gntdev_alloc_gref) == 24, "alloc_gref size");
GNTDEV_ABI_ASSERT(offsetof(struct ioctl_gntdev_alloc_gref, domid) == 0, "alloc_gref.domid");
GNTDEV_ABI_ASSERT(offsetof(struct ioctl_gntdev_alloc_gref, flags) == 2, "alloc_gref.flags");
GNTDEV_ABI_ASSERT(offsetof(struct ioctl_gntdev_alloc_gref, count) == 4, "alloc_gref.count");
GNTDEV_ABI_ASSERT(offsetof(struct ioctl_gntdev_alloc_gref, index) == 8, "alloc_gref.index");
GNTDEV_ABI_ASSERT(offsetof(struct ioctl_gntdev_alloc_gref, gref_ids) == 16, "alloc_gref.gref_ids");
GNTDEV_ABI_ASSERT(sizeof(struct ioctl_gntdev_dealloc_gref) == 16, "dealloc_gref size");
GNTDEV_ABI_ASSERT(offsetof(struct ioctl_gntdev_dealloc_gref, count) == 8, "dealloc_gref.count");
GNTDEV_ABI_ASSERT(sizeof(struct ioctl_gntdev_grant_ref) == 8, "grant_ref size");
GNTDEV_ABI_ASSERT(offsetof(struct ioctl_gntdev_grant_ref, ref) == 4, "grant_ref.ref");
GNTDEV_ABI_ASSERT(sizeof(struct ioctl_gntdev_map_grant_ref) == 24, "map_grant_ref size");
GNTDEV_ABI_ASSERT(offsetof(struct ioctl_gntdev_map_grant_ref, pad0) == 4, "map_grant_ref.pad0");
GNTDEV_ABI_ASSERT(offsetof(struct ioctl_gntdev_map_grant_ref, index) == 8, "map_grant_ref.index");
GNTDEV_ABI_ASSERT(offsetof(struct ioctl_gntdev_map_grant_ref, refs) == 16, "map_grant_ref.refs");
GNTDEV_ABI_ASSERT(sizeof(struct ioctl_gntdev_unmap_grant_ref) == 16, "unmap_grant_ref size");
GNTDEV_ABI_ASSERT(offsetof(struct ioctl_gntdev_unmap_grant_ref, count) == 8, "unmap_grant_ref.count");
GNTDEV_ABI_ASSERT(sizeof(struct ioctl_gntdev_get_offset_for_vaddr) == 24, "get_offset size");
GNTDEV_ABI_ASSERT(offsetof(struct ioctl_gntdev_get_offset_for_vaddr, offset) == 8,
    "get_offset.offset");
GNTDEV_ABI_ASSERT(offsetof(struct ioctl_gntdev_get_offset_for_vaddr, count) == 16,
    "get_offset.count");
GNTDEV_ABI_ASSERT(IOCTL_GNTDEV_SET_UNMAP_NOTIFY == 0x80104500UL, "SET_UNMAP_NOTIFY value");
GNTDEV_ABI_ASSERT(IOCTL_GNTDEV_ALLOC_GREF == 0xC0184501UL, "ALLOC_GREF value");
GNTDEV_ABI_ASSERT(IOCTL_GNTDEV_DEALLOC_GREF == 0x80104502UL, "DEALLOC_GREF value");
GNTDEV_ABI_ASSERT(IOCTL_GNTDEV_MAP_GRANT_REF == 0xC0184503UL, "MAP_GRANT_REF value");
GNTDEV_ABI_ASSERT(IOCTL_GNTDEV_UNMAP_GRANT_REF == 0x80104504UL, "UNMAP_GRANT_REF value");
GNTDEV_ABI_ASSERT(IOCTL_GNTDEV_GET_OFFSET_FOR_VADDR == 0xC0184505UL,
    "GET_OFFSET_FOR_VADDR value");
#undef GNTDEV_ABI_ASSERT
#endif /* LP64 */

#endif /* !_GNTDEV_ABI_H_ */

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Declaration-only stand-in for <vm/vm_object.h>, used by the compile check
 * of the gntdev FreeBSD glue against the FreeBSD 14 KPI (see
 * kernel/freebsd/kpi-check/README.md).  This is not FreeBSD's header: it
 * declares only what the glue and the core use, with FreeBSD 14's names,
 * types and signatures, and nothing here is ever compiled into code.
 */

#ifndef	KPI_STUB_VM_VM_OBJECT_H_
#define	KPI_STUB_VM_VM_OBJECT_H_

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/_rwlock.h>

struct cdev_pager_ops;
struct vm_page;

/* Only the members the glue and the macros below read. */
struct vm_object {
	struct rwlock	lock;
	objtype_t	type;			/* type of pager */
	void		*handle;
	union {
		struct {
			TAILQ_HEAD(, vm_page)		devp_pglist;
			const struct cdev_pager_ops	*ops;
			void				*dev;
		} devp;
	} un_pager;
};

#define	IDX_TO_OFF(idx)	(((vm_ooffset_t)(idx)) << PAGE_SHIFT)
#define	OFF_TO_IDX(off)	((vm_pindex_t)(((vm_ooffset_t)(off)) >> PAGE_SHIFT))

#define	VM_OBJECT_ASSERT_WLOCKED(object)				\
	rw_assert(&(object)->lock, RA_WLOCKED)
#define	VM_OBJECT_WLOCK(object)						\
	rw_wlock(&(object)->lock)
#define	VM_OBJECT_WUNLOCK(object)					\
	rw_wunlock(&(object)->lock)

#endif /* !KPI_STUB_VM_VM_OBJECT_H_ */

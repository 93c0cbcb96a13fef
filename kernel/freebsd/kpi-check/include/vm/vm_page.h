/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Declaration-only stand-in for <vm/vm_page.h>, used by the compile check of
 * the gntdev FreeBSD glue against the FreeBSD 14 KPI (see
 * kernel/freebsd/kpi-check/README.md).  This is not FreeBSD's header: it
 * declares only what the glue and the core use, with FreeBSD 14's names,
 * types and signatures, and nothing here is ever compiled into code.
 */

#ifndef	KPI_STUB_VM_VM_PAGE_H_
#define	KPI_STUB_VM_VM_PAGE_H_

#include <sys/types.h>
#include <sys/queue.h>
#include <vm/pmap.h>

/* Only the members the glue and the macros below read. */
struct vm_page {
	union {
		TAILQ_ENTRY(vm_page) q;		/* a pager's page list */
	} plinks;
	vm_object_t		object;		/* which object am I in */
	vm_pindex_t		pindex;		/* offset into object */
	vm_paddr_t		phys_addr;	/* physical address */
	struct md_page		md;		/* machine dependent */
	u_int			ref_count;	/* page references */
	volatile u_int		busy_lock;	/* busy owners lock */
	uint8_t			flags;		/* PG_* */
};

#define	VPRC_BLOCKED		0x40000000u
#define	VPRC_OBJREF		0x80000000u
#define	VPRC_WIRE_COUNT(c)	((c) & ~(VPRC_BLOCKED | VPRC_OBJREF))

#define	PG_FICTITIOUS		0x02

/* Allocation class and the flags vm_page_alloc_noobj() accepts. */
#define	VM_ALLOC_NORMAL		0
#define	VM_ALLOC_INTERRUPT	1
#define	VM_ALLOC_SYSTEM		2
#define	VM_ALLOC_WAITOK		0x0008
#define	VM_ALLOC_WAITFAIL	0x0010
#define	VM_ALLOC_WIRED		0x0020
#define	VM_ALLOC_ZERO		0x0040
#define	VM_ALLOC_NOFREE		0x0100
#define	VM_ALLOC_NOWAIT		0x8000

#define	VM_PAGE_TO_PHYS(entry)	((entry)->phys_addr)
vm_page_t	PHYS_TO_VM_PAGE(vm_paddr_t pa);

vm_page_t	vm_page_alloc_noobj(int req);
void		vm_page_free(vm_page_t m);
vm_page_t	vm_page_getfake(vm_paddr_t paddr, vm_memattr_t memattr);
void		vm_page_updatefake(vm_page_t m, vm_paddr_t paddr,
		    vm_memattr_t memattr);
void		vm_page_replace(vm_page_t mnew, vm_object_t object,
		    vm_pindex_t pindex, vm_page_t mold);
bool		vm_page_unwire_noq(vm_page_t m);
void		vm_page_valid(vm_page_t m);
int		vm_page_tryxbusy(vm_page_t m);
void		vm_page_xunbusy_hard(vm_page_t m);

/*
 * A statement macro in FreeBSD 14 (fast path, then vm_page_xunbusy_hard());
 * the stand-in keeps it a statement and checks the argument.
 */
#define	vm_page_xunbusy(m) do {						\
	vm_page_xunbusy_hard(m);					\
} while (0)

/* A static inline in FreeBSD. */
bool		vm_page_wired(vm_page_t m);

#endif /* !KPI_STUB_VM_VM_PAGE_H_ */

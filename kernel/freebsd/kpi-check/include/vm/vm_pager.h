/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Declaration-only stand-in for <vm/vm_pager.h>, used by the compile check
 * of the gntdev FreeBSD glue against the FreeBSD 14 KPI (see
 * kernel/freebsd/kpi-check/README.md).  This is not FreeBSD's header: it
 * declares only what the glue and the core use, with FreeBSD 14's names,
 * types and signatures, and nothing here is ever compiled into code.
 */

#ifndef	KPI_STUB_VM_VM_PAGER_H_
#define	KPI_STUB_VM_VM_PAGER_H_

#include <sys/types.h>

struct ucred;

#define	VM_PAGER_OK	0
#define	VM_PAGER_BAD	1

struct cdev_pager_ops {
	int	(*cdev_pg_fault)(vm_object_t vm_obj, vm_ooffset_t offset,
		    int prot, vm_page_t *mres);
	int	(*cdev_pg_populate)(vm_object_t vm_obj, vm_pindex_t pidx,
		    int fault_type, vm_prot_t max_prot, vm_pindex_t *first,
		    vm_pindex_t *last);
	int	(*cdev_pg_ctor)(void *handle, vm_ooffset_t size,
		    vm_prot_t prot, vm_ooffset_t foff, struct ucred *cred,
		    u_short *color);
	void	(*cdev_pg_dtor)(void *handle);
};

vm_object_t	cdev_pager_allocate(void *handle, enum obj_type tp,
		    const struct cdev_pager_ops *ops, vm_ooffset_t size,
		    vm_prot_t prot, vm_ooffset_t foff, struct ucred *cred);
vm_object_t	cdev_pager_lookup(void *handle);

#endif /* !KPI_STUB_VM_VM_PAGER_H_ */

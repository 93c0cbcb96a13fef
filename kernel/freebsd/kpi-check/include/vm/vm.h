/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Declaration-only stand-in for <vm/vm.h>, used by the compile check of the
 * gntdev FreeBSD glue against the FreeBSD 14 KPI (see
 * kernel/freebsd/kpi-check/README.md).  This is not FreeBSD's header: it
 * declares only what the glue and the core use, with FreeBSD 14's names,
 * types and signatures, and nothing here is ever compiled into code.
 */

#ifndef	KPI_STUB_VM_VM_H_
#define	KPI_STUB_VM_VM_H_

#include <sys/types.h>

typedef u_char vm_prot_t;

#define	VM_PROT_NONE	((vm_prot_t)0x00)
#define	VM_PROT_READ	((vm_prot_t)0x01)
#define	VM_PROT_WRITE	((vm_prot_t)0x02)
#define	VM_PROT_EXECUTE	((vm_prot_t)0x04)

/*
 * Pager types.  The glue names only OBJT_DEVICE and OBJT_MGTDEVICE and
 * relies on no value.
 */
enum obj_type {
	OBJT_INVALID,
	OBJT_SWAP,
	OBJT_VNODE,
	OBJT_DEVICE,
	OBJT_PHYS,
	OBJT_DEAD,
	OBJT_SG,
	OBJT_MGTDEVICE,
	OBJT_FIRST_DYN,
};
typedef u_char objtype_t;

union vm_map_object;
typedef union vm_map_object vm_map_object_t;

struct vm_map_entry;
typedef struct vm_map_entry *vm_map_entry_t;

struct vm_map;
typedef struct vm_map *vm_map_t;

struct vm_object;
typedef struct vm_object *vm_object_t;

struct vm_page;
typedef struct vm_page *vm_page_t;

#endif /* !KPI_STUB_VM_VM_H_ */

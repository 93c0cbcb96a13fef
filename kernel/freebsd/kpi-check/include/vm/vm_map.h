/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Declaration-only stand-in for <vm/vm_map.h>, used by the compile check of
 * the gntdev FreeBSD glue against the FreeBSD 14 KPI (see
 * kernel/freebsd/kpi-check/README.md).  This is not FreeBSD's header: it
 * declares only what the glue and the core use, with FreeBSD 14's names,
 * types and signatures, and nothing here is ever compiled into code.
 */

#ifndef	KPI_STUB_VM_VM_MAP_H_
#define	KPI_STUB_VM_VM_MAP_H_

#include <sys/types.h>
#include <sys/lock.h>

typedef u_int vm_eflags_t;

union vm_map_object {
	struct vm_object	*vm_object;	/* object object */
	struct vm_map		*sub_map;	/* belongs to another map */
};

/* Only the members the glue reads. */
struct vm_map_entry {
	vm_offset_t		start;
	vm_offset_t		end;
	union vm_map_object	object;
	vm_eflags_t		eflags;
};

#define	MAP_ENTRY_IS_SUB_MAP	0x00000002

struct vm_map {
	struct vm_map_entry	header;
};

struct vmspace {
	struct vm_map		vm_map;
};

void		_vm_map_lock_read(vm_map_t map, const char *file, int line);
void		_vm_map_unlock_read(vm_map_t map, const char *file, int line);
#define	vm_map_lock_read(map)	_vm_map_lock_read(map, LOCK_FILE, LOCK_LINE)
#define	vm_map_unlock_read(map)						\
	_vm_map_unlock_read(map, LOCK_FILE, LOCK_LINE)

boolean_t	vm_map_lookup_entry(vm_map_t map, vm_offset_t address,
		    vm_map_entry_t *entry);

#endif /* !KPI_STUB_VM_VM_MAP_H_ */

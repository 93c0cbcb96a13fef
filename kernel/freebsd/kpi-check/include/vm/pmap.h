/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Declaration-only stand-in for <vm/pmap.h>, used by the compile check of
 * the gntdev FreeBSD glue against the FreeBSD 14 KPI (see
 * kernel/freebsd/kpi-check/README.md).  This is not FreeBSD's header: it
 * declares only what the glue and the core use, with FreeBSD 14's names,
 * types and signatures, and nothing here is ever compiled into code.
 */

#ifndef	KPI_STUB_VM_PMAP_H_
#define	KPI_STUB_VM_PMAP_H_

#include <machine/pmap.h>

vm_offset_t	pmap_quick_enter_page(vm_page_t m);
void		pmap_quick_remove_page(vm_offset_t addr);

#endif /* !KPI_STUB_VM_PMAP_H_ */

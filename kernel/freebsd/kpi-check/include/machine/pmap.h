/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Declaration-only stand-in for <machine/pmap.h>, used by the compile check
 * of the gntdev FreeBSD glue against the FreeBSD 14 KPI (see
 * kernel/freebsd/kpi-check/README.md).  This is not FreeBSD's header: it
 * declares only what the glue and the core use, with FreeBSD 14's names,
 * types and signatures, and nothing here is ever compiled into code.
 */

#ifndef	KPI_STUB_MACHINE_PMAP_H_
#define	KPI_STUB_MACHINE_PMAP_H_

#include <sys/types.h>

/* amd64: only the member pmap_page_get_memattr() reads. */
struct md_page {
	int		pat_mode;
};

#define	pmap_page_get_memattr(m)	((vm_memattr_t)(m)->md.pat_mode)

#endif /* !KPI_STUB_MACHINE_PMAP_H_ */

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Declaration-only stand-in for <xen/gnttab.h>, used by the compile check of
 * the gntdev FreeBSD glue against the FreeBSD 14 KPI (see
 * kernel/freebsd/kpi-check/README.md).  This is not FreeBSD's header: it
 * declares only what the glue and the core use, with FreeBSD 14's names,
 * types and signatures, and nothing here is ever compiled into code.
 */

#ifndef	KPI_STUB_XEN_GNTTAB_H_
#define	KPI_STUB_XEN_GNTTAB_H_

#include <xen/xen-os.h>
#include <xen/hypervisor.h>
#include <contrib/xen/grant_table.h>

int	gnttab_grant_foreign_access(domid_t domid, unsigned long frame,
	    int flags, grant_ref_t *result);
int	gnttab_end_foreign_access_ref(grant_ref_t ref);
int	gnttab_query_foreign_access(grant_ref_t ref);
void	gnttab_free_grant_reference(grant_ref_t ref);

#endif /* !KPI_STUB_XEN_GNTTAB_H_ */

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Declaration-only stand-in for <xen/xen-os.h>, used by the compile check of
 * the gntdev FreeBSD glue against the FreeBSD 14 KPI (see
 * kernel/freebsd/kpi-check/README.md).  This is not FreeBSD's header: it
 * declares only what the glue and the core use, with FreeBSD 14's names,
 * types and signatures, and nothing here is ever compiled into code.
 */

#ifndef	KPI_STUB_XEN_XEN_OS_H_
#define	KPI_STUB_XEN_XEN_OS_H_

#include <sys/types.h>
#include <contrib/xen/xen.h>
#include <contrib/xen/event_channel.h>

/* device_t comes from <sys/bus.h>, included first, as in FreeBSD. */
struct resource;

/* A static inline testing vm_guest == VM_GUEST_XEN in FreeBSD 14. */
bool	xen_domain(void);

/* Unpopulated physical ranges from the xenpv bus, for foreign maps. */
struct resource	*xenmem_alloc(device_t dev, int *res_id, size_t size);
int		 xenmem_free(device_t dev, int res_id, struct resource *res);

#endif /* !KPI_STUB_XEN_XEN_OS_H_ */

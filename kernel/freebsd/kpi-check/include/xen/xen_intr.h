/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Declaration-only stand-in for <xen/xen_intr.h>, used by the compile check
 * of the gntdev FreeBSD glue against the FreeBSD 14 KPI (see
 * kernel/freebsd/kpi-check/README.md).  This is not FreeBSD's header: it
 * declares only what the glue and the core use, with FreeBSD 14's names,
 * types and signatures, and nothing here is ever compiled into code.
 */

#ifndef	KPI_STUB_XEN_XEN_INTR_H_
#define	KPI_STUB_XEN_XEN_INTR_H_

#include <contrib/xen/event_channel.h>

typedef void *xen_intr_handle_t;

int		xen_intr_get_evtchn_from_port(evtchn_port_t port,
		    xen_intr_handle_t *handlep);
void		xen_intr_signal(xen_intr_handle_t handle);
void		xen_intr_unbind(xen_intr_handle_t *handle);

#endif /* !KPI_STUB_XEN_XEN_INTR_H_ */

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Declaration-only stand-in for <machine/xen/hypercall.h>, used by the
 * compile check of the gntdev FreeBSD glue against the FreeBSD 14 KPI (see
 * kernel/freebsd/kpi-check/README.md).  This is not FreeBSD's header: it
 * declares only what the glue and the core use, with FreeBSD 14's names,
 * types and signatures, and nothing here is ever compiled into code.
 */

#ifndef	KPI_STUB_MACHINE_XEN_HYPERCALL_H_
#define	KPI_STUB_MACHINE_XEN_HYPERCALL_H_

/* amd64: a static inline (_hypercall3 through the hypercall page). */
int	HYPERVISOR_grant_table_op(unsigned int cmd, void *uop,
	    unsigned int count);

#endif /* !KPI_STUB_MACHINE_XEN_HYPERCALL_H_ */

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Declaration-only stand-in for <xen/error.h>, used by the compile check of
 * the gntdev FreeBSD glue against the FreeBSD 14 KPI (see
 * kernel/freebsd/kpi-check/README.md).  This is not FreeBSD's header: it
 * declares only what the glue and the core use, with FreeBSD 14's names,
 * types and signatures, and nothing here is ever compiled into code.
 */

#ifndef	KPI_STUB_XEN_ERROR_H_
#define	KPI_STUB_XEN_ERROR_H_

/* A static inline over a table of Xen errno values in FreeBSD. */
int	xen_translate_error(int error);

#endif /* !KPI_STUB_XEN_ERROR_H_ */

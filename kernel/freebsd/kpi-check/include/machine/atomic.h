/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Declaration-only stand-in for <machine/atomic.h>, used by the compile
 * check of the gntdev FreeBSD glue against the FreeBSD 14 KPI (see
 * kernel/freebsd/kpi-check/README.md).  This is not FreeBSD's header: it
 * declares only what the glue and the core use, with FreeBSD 14's names,
 * types and signatures, and nothing here is ever compiled into code.
 */

#ifndef	KPI_STUB_MACHINE_ATOMIC_H_
#define	KPI_STUB_MACHINE_ATOMIC_H_

#include <sys/types.h>

/* A macro in FreeBSD 14 (sys/atomic_common.h); same argument and result. */
u_int	atomic_load_int(const volatile u_int *p);

#endif /* !KPI_STUB_MACHINE_ATOMIC_H_ */

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Declaration-only stand-in for <sys/_callout.h>, used by the compile check
 * of the gntdev FreeBSD glue against the FreeBSD 14 KPI (see
 * kernel/freebsd/kpi-check/README.md).  This is not FreeBSD's header: it
 * declares only what the glue and the core use, with FreeBSD 14's names,
 * types and signatures, and nothing here is ever compiled into code.
 */

#ifndef	KPI_STUB_SYS__CALLOUT_H_
#define	KPI_STUB_SYS__CALLOUT_H_

#include <sys/types.h>

struct lock_object;

typedef void callout_func_t(void *);

/* Only the member that callout_pending() reads. */
struct callout {
	short		c_iflags;
};

#endif /* !KPI_STUB_SYS__CALLOUT_H_ */

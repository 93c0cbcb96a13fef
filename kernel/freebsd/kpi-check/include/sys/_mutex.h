/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Declaration-only stand-in for <sys/_mutex.h>, used by the compile check of
 * the gntdev FreeBSD glue against the FreeBSD 14 KPI (see
 * kernel/freebsd/kpi-check/README.md).  This is not FreeBSD's header: it
 * declares only what the glue and the core use, with FreeBSD 14's names,
 * types and signatures, and nothing here is ever compiled into code.
 */

#ifndef	KPI_STUB_SYS__MUTEX_H_
#define	KPI_STUB_SYS__MUTEX_H_

#include <sys/_lock.h>

struct mtx {
	struct lock_object	lock_object;
	volatile uintptr_t	mtx_lock;
};

#endif /* !KPI_STUB_SYS__MUTEX_H_ */

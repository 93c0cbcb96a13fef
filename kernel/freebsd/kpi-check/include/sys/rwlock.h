/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Declaration-only stand-in for <sys/rwlock.h>, used by the compile check of
 * the gntdev FreeBSD glue against the FreeBSD 14 KPI (see
 * kernel/freebsd/kpi-check/README.md).  This is not FreeBSD's header: it
 * declares only what the glue and the core use, with FreeBSD 14's names,
 * types and signatures, and nothing here is ever compiled into code.
 */

#ifndef	KPI_STUB_SYS_RWLOCK_H_
#define	KPI_STUB_SYS_RWLOCK_H_

#include <sys/_lock.h>
#include <sys/_rwlock.h>

#define	RA_WLOCKED	LA_XLOCKED

/* rwlock(9) signatures (macros over _rw_*() in FreeBSD). */
void	rw_wlock(struct rwlock *rw);
void	rw_wunlock(struct rwlock *rw);
#ifdef INVARIANTS
void	rw_assert(const struct rwlock *rw, int what);
#else
#define	rw_assert(rw, what)	(void)0
#endif

#endif /* !KPI_STUB_SYS_RWLOCK_H_ */

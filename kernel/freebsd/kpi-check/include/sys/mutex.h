/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Declaration-only stand-in for <sys/mutex.h>, used by the compile check of
 * the gntdev FreeBSD glue against the FreeBSD 14 KPI (see
 * kernel/freebsd/kpi-check/README.md).  This is not FreeBSD's header: it
 * declares only what the glue and the core use, with FreeBSD 14's names,
 * types and signatures, and nothing here is ever compiled into code.
 */

#ifndef	KPI_STUB_SYS_MUTEX_H_
#define	KPI_STUB_SYS_MUTEX_H_

#include <sys/_lock.h>
#include <sys/_mutex.h>

#define	MTX_DEF		0x00000000

#define	MA_OWNED	LA_XLOCKED

/* Macros over _mtx_*() in FreeBSD; these are their mutex(9) signatures. */
void	mtx_init(struct mtx *m, const char *name, const char *type, int opts);
void	mtx_destroy(struct mtx *m);
void	mtx_lock(struct mtx *m);
void	mtx_unlock(struct mtx *m);
#ifdef INVARIANTS
void	mtx_assert(const struct mtx *m, int what);
#else
#define	mtx_assert(m, what)	(void)0
#endif

#endif /* !KPI_STUB_SYS_MUTEX_H_ */

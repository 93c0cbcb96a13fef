/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Declaration-only stand-in for <sys/sx.h>, used by the compile check of the
 * gntdev FreeBSD glue against the FreeBSD 14 KPI (see
 * kernel/freebsd/kpi-check/README.md).  This is not FreeBSD's header: it
 * declares only what the glue and the core use, with FreeBSD 14's names,
 * types and signatures, and nothing here is ever compiled into code.
 */

#ifndef	KPI_STUB_SYS_SX_H_
#define	KPI_STUB_SYS_SX_H_

#include <sys/_lock.h>
#include <sys/_sx.h>

#define	SA_XLOCKED	LA_XLOCKED

/* sx(9) signatures (some are macros over _sx_*() in FreeBSD). */
void	sx_init(struct sx *sx, const char *description);
void	sx_destroy(struct sx *sx);
void	sx_slock(struct sx *sx);
void	sx_sunlock(struct sx *sx);
void	sx_xlock(struct sx *sx);
void	sx_xunlock(struct sx *sx);
#ifdef INVARIANTS
void	sx_assert(const struct sx *sx, int what);
#else
#define	sx_assert(sx, what)	(void)0
#endif

#endif /* !KPI_STUB_SYS_SX_H_ */

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Declaration-only stand-in for <sys/callout.h>, used by the compile check
 * of the gntdev FreeBSD glue against the FreeBSD 14 KPI (see
 * kernel/freebsd/kpi-check/README.md).  This is not FreeBSD's header: it
 * declares only what the glue and the core use, with FreeBSD 14's names,
 * types and signatures, and nothing here is ever compiled into code.
 */

#ifndef	KPI_STUB_SYS_CALLOUT_H_
#define	KPI_STUB_SYS_CALLOUT_H_

#include <sys/_callout.h>

#define	CALLOUT_PENDING		0x0004	/* c_iflags */

#define	C_ABSOLUTE		0x0200

struct mtx;

#define	callout_pending(c)	((c)->c_iflags & CALLOUT_PENDING)

/* callout(9) signatures; several are macros in FreeBSD. */
void	callout_init_mtx(struct callout *c, struct mtx *mtx, int flags);
int	callout_reset_sbt(struct callout *c, sbintime_t sbt, sbintime_t pr,
	    callout_func_t *func, void *arg, int flags);
int	callout_stop(struct callout *c);
int	callout_drain(struct callout *c);

#endif /* !KPI_STUB_SYS_CALLOUT_H_ */

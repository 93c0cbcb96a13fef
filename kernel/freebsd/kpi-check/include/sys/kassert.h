/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Declaration-only stand-in for <sys/kassert.h>, used by the compile check
 * of the gntdev FreeBSD glue against the FreeBSD 14 KPI (see
 * kernel/freebsd/kpi-check/README.md).  This is not FreeBSD's header: it
 * declares only what the glue and the core use, with FreeBSD 14's names,
 * types and signatures, and nothing here is ever compiled into code.
 */

#ifndef	KPI_STUB_SYS_KASSERT_H_
#define	KPI_STUB_SYS_KASSERT_H_

#include <sys/cdefs.h>

/* As in a kernel with and without options INVARIANTS. */
#ifdef INVARIANTS
void	kassert_panic(const char *fmt, ...) __printflike(1, 2);
#define	KASSERT(exp, msg) do {						\
	if (__predict_false(!(exp)))					\
		kassert_panic msg;					\
} while (0)
#else
#define	KASSERT(exp, msg) do {						\
} while (0)
#endif

#define	CTASSERT(x)	_Static_assert(x, "compile-time assertion failed")

#endif /* !KPI_STUB_SYS_KASSERT_H_ */

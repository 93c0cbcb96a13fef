/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Declaration-only stand-in for <sys/param.h>, used by the compile check of
 * the gntdev FreeBSD glue against the FreeBSD 14 KPI (see
 * kernel/freebsd/kpi-check/README.md).  This is not FreeBSD's header: it
 * declares only what the glue and the core use, with FreeBSD 14's names,
 * types and signatures, and nothing here is ever compiled into code.
 */

#ifndef	KPI_STUB_SYS_PARAM_H_
#define	KPI_STUB_SYS_PARAM_H_

#ifndef NULL
#define	NULL	((void *)0)
#endif

#include <sys/types.h>

#ifdef _KERNEL
#include <sys/cdefs.h>
#include <sys/errno.h>
#include <sys/time.h>
#endif

#include <machine/param.h>

#define	howmany(x, y)	(((x) + ((y) - 1)) / (y))
#define	nitems(x)	(sizeof((x)) / sizeof((x)[0]))

#endif /* !KPI_STUB_SYS_PARAM_H_ */

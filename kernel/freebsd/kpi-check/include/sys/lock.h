/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Declaration-only stand-in for <sys/lock.h>, used by the compile check of
 * the gntdev FreeBSD glue against the FreeBSD 14 KPI (see
 * kernel/freebsd/kpi-check/README.md).  This is not FreeBSD's header: it
 * declares only what the glue and the core use, with FreeBSD 14's names,
 * types and signatures, and nothing here is ever compiled into code.
 */

#ifndef	KPI_STUB_SYS_LOCK_H_
#define	KPI_STUB_SYS_LOCK_H_

#include <sys/_lock.h>

/* Assertion kinds, shared by mutex(9), sx(9) and rwlock(9). */
#define	LA_UNLOCKED	0x00000000
#define	LA_LOCKED	0x00000001
#define	LA_SLOCKED	0x00000002
#define	LA_XLOCKED	0x00000004

/* A kernel without LOCK_DEBUG passes no file and line. */
#define	LOCK_FILE	NULL
#define	LOCK_LINE	0

#endif /* !KPI_STUB_SYS_LOCK_H_ */

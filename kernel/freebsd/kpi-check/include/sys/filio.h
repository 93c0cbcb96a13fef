/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Declaration-only stand-in for <sys/filio.h>, used by the compile check of
 * the gntdev FreeBSD glue against the FreeBSD 14 KPI (see
 * kernel/freebsd/kpi-check/README.md).  This is not FreeBSD's header: it
 * declares only what the glue and the core use, with FreeBSD 14's names,
 * types and signatures, and nothing here is ever compiled into code.
 */

#ifndef	KPI_STUB_SYS_FILIO_H_
#define	KPI_STUB_SYS_FILIO_H_

#include <sys/ioccom.h>

#define	FIOASYNC	_IOW('f', 125, int)	/* set/clear async i/o */
#define	FIONBIO		_IOW('f', 126, int)	/* set/clear non-blocking i/o */

#endif /* !KPI_STUB_SYS_FILIO_H_ */

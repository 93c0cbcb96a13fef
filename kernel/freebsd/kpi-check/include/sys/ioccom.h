/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Declaration-only stand-in for <sys/ioccom.h>, used by the compile check of
 * the gntdev FreeBSD glue against the FreeBSD 14 KPI (see
 * kernel/freebsd/kpi-check/README.md).  This is not FreeBSD's header: it
 * declares only what the glue and the core use, with FreeBSD 14's names,
 * types and signatures, and nothing here is ever compiled into code.
 */

#ifndef	KPI_STUB_SYS_IOCCOM_H_
#define	KPI_STUB_SYS_IOCCOM_H_

#define	IOCPARM_MASK	0x1fff
#define	IOC_IN		0x80000000

#define	_IOC(inout, group, num, len)					\
	((unsigned long)((inout) | (((len) & IOCPARM_MASK) << 16) |	\
	    ((group) << 8) | (num)))
#define	_IOW(g, n, t)	_IOC(IOC_IN, (g), (n), sizeof(t))

#endif /* !KPI_STUB_SYS_IOCCOM_H_ */

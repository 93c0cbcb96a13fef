/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Declaration-only stand-in for <sys/errno.h>, used by the compile check of
 * the gntdev FreeBSD glue against the FreeBSD 14 KPI (see
 * kernel/freebsd/kpi-check/README.md).  This is not FreeBSD's header: it
 * declares only what the glue and the core use, with FreeBSD 14's names,
 * types and signatures, and nothing here is ever compiled into code.
 */

#ifndef	KPI_STUB_SYS_ERRNO_H_
#define	KPI_STUB_SYS_ERRNO_H_

/* Only the values the glue and the core return. */
#define	EINTR		4
#define	EIO		5
#define	ENXIO		6
#define	ENOMEM		12
#define	EACCES		13
#define	EFAULT		14
#define	EBUSY		16
#define	EEXIST		17
#define	EINVAL		22
#define	ENOTTY		25
#define	ENOSPC		28
#define	EAGAIN		35
#ifdef _KERNEL
#define	ERESTART	(-1)	/* in-kernel only: restart the syscall */
#endif

#endif /* !KPI_STUB_SYS_ERRNO_H_ */

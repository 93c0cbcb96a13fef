/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Declaration-only stand-in for <sys/proc.h>, used by the compile check of
 * the gntdev FreeBSD glue against the FreeBSD 14 KPI (see
 * kernel/freebsd/kpi-check/README.md).  This is not FreeBSD's header: it
 * declares only what the glue and the core use, with FreeBSD 14's names,
 * types and signatures, and nothing here is ever compiled into code.
 */

#ifndef	KPI_STUB_SYS_PROC_H_
#define	KPI_STUB_SYS_PROC_H_

#include <sys/pcpu.h>

struct ucred;
struct vmspace;

/* Only the members the glue reads. */
struct proc {
	struct vmspace	*p_vmspace;
};

struct thread {
	struct proc	*td_proc;
	struct ucred	*td_ucred;
};

#endif /* !KPI_STUB_SYS_PROC_H_ */

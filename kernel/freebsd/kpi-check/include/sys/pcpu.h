/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Declaration-only stand-in for <sys/pcpu.h>, used by the compile check of
 * the gntdev FreeBSD glue against the FreeBSD 14 KPI (see
 * kernel/freebsd/kpi-check/README.md).  This is not FreeBSD's header: it
 * declares only what the glue and the core use, with FreeBSD 14's names,
 * types and signatures, and nothing here is ever compiled into code.
 */

#ifndef	KPI_STUB_SYS_PCPU_H_
#define	KPI_STUB_SYS_PCPU_H_

#include <sys/cdefs.h>

struct thread;

/* amd64 reads it from the per-CPU area (an inline in <machine/pcpu.h>). */
struct thread	*__curthread(void) __pure2;
#define	curthread	(__curthread())
#define	curproc		(curthread->td_proc)

#endif /* !KPI_STUB_SYS_PCPU_H_ */

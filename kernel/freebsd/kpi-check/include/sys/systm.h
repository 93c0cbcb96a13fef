/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Declaration-only stand-in for <sys/systm.h>, used by the compile check of
 * the gntdev FreeBSD glue against the FreeBSD 14 KPI (see
 * kernel/freebsd/kpi-check/README.md).  This is not FreeBSD's header: it
 * declares only what the glue and the core use, with FreeBSD 14's names,
 * types and signatures, and nothing here is ever compiled into code.
 */

#ifndef	KPI_STUB_SYS_SYSTM_H_
#define	KPI_STUB_SYS_SYSTM_H_

#include <sys/cdefs.h>
#include <sys/types.h>
#include <machine/atomic.h>
#include <sys/kassert.h>
#include <sys/stdint.h>
#include <sys/pcpu.h>

struct malloc_type;

int	snprintf(char *str, size_t size, const char *format, ...)
	    __printflike(3, 4);

int	copyin(const void * __restrict udaddr, void * __restrict kaddr,
	    size_t len);
int	copyout(const void * __restrict kaddr, void * __restrict udaddr,
	    size_t len);

void	*hashinit(int count, struct malloc_type *type, u_long *hashmask);
void	hashdestroy(void *vhashtbl, struct malloc_type *type, u_long hashmask);

int	getenv_uint(const char *name, unsigned int *data);

int	pause(const char *wmesg, int timo);
int	pause_sig(const char *wmesg, int timo);

/* Marks a variable that only assertions read. */
#ifdef INVARIANTS
#define	__diagused
#else
#define	__diagused	__unused
#endif

#endif /* !KPI_STUB_SYS_SYSTM_H_ */

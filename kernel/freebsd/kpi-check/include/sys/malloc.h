/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Declaration-only stand-in for <sys/malloc.h>, used by the compile check of
 * the gntdev FreeBSD glue against the FreeBSD 14 KPI (see
 * kernel/freebsd/kpi-check/README.md).  This is not FreeBSD's header: it
 * declares only what the glue and the core use, with FreeBSD 14's names,
 * types and signatures, and nothing here is ever compiled into code.
 */

#ifndef	KPI_STUB_SYS_MALLOC_H_
#define	KPI_STUB_SYS_MALLOC_H_

#include <sys/param.h>

#define	M_NOWAIT	0x0001
#define	M_WAITOK	0x0002
#define	M_ZERO		0x0100

struct malloc_type {
	const char	*ks_shortdesc;
};

/*
 * FreeBSD defines the array and registers it with SYSINIT/SYSUNINIT; the
 * long description is not stored.
 */
#define	MALLOC_DEFINE(type, shortdesc, longdesc)			\
	struct malloc_type type[1] = {					\
		{ .ks_shortdesc = (shortdesc) }				\
	}
#define	MALLOC_DECLARE(type)						\
	extern struct malloc_type type[1]

void	*malloc(size_t size, struct malloc_type *type, int flags)
	    __malloc_like __result_use_check __alloc_size(1);
void	*mallocarray(size_t nmemb, size_t size, struct malloc_type *type,
	    int flags) __malloc_like __result_use_check __alloc_size2(1, 2);
void	free(void *addr, struct malloc_type *type);

#endif /* !KPI_STUB_SYS_MALLOC_H_ */

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Declaration-only stand-in for <sys/cdefs.h>, used by the compile check of
 * the gntdev FreeBSD glue against the FreeBSD 14 KPI (see
 * kernel/freebsd/kpi-check/README.md).  This is not FreeBSD's header: it
 * declares only what the glue and the core use, with FreeBSD 14's names,
 * types and signatures, and nothing here is ever compiled into code.
 */

#ifndef	KPI_STUB_SYS_CDEFS_H_
#define	KPI_STUB_SYS_CDEFS_H_

/* Attribute and helper macros, spelled for gcc and clang. */
#define	__unused		__attribute__((__unused__))
#define	__used			__attribute__((__used__))
#define	__pure2			__attribute__((__const__))
#define	__malloc_like		__attribute__((__malloc__))
#define	__result_use_check	__attribute__((__warn_unused_result__))
#define	__alloc_size(x)		__attribute__((__alloc_size__(x)))
#define	__alloc_size2(n, x)	__attribute__((__alloc_size__(n, x)))
#define	__printflike(fmtarg, firstvararg)				\
	__attribute__((__format__(__printf__, fmtarg, firstvararg)))
#define	__predict_true(exp)	__builtin_expect((exp), 1)
#define	__predict_false(exp)	__builtin_expect((exp), 0)
#define	__offsetof(type, field)	__builtin_offsetof(type, field)
#define	__restrict		restrict

#endif /* !KPI_STUB_SYS_CDEFS_H_ */

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Declaration-only stand-in for <sys/kobj.h>, used by the compile check of
 * the gntdev FreeBSD glue against the FreeBSD 14 KPI (see
 * kernel/freebsd/kpi-check/README.md).  This is not FreeBSD's header: it
 * declares only what the glue and the core use, with FreeBSD 14's names,
 * types and signatures, and nothing here is ever compiled into code.
 */

#ifndef	KPI_STUB_SYS_KOBJ_H_
#define	KPI_STUB_SYS_KOBJ_H_

#include <sys/types.h>

struct kobjop_desc;
typedef struct kobjop_desc *kobjop_desc_t;
typedef int (*kobjop_t)(void);
typedef struct kobj_ops *kobj_ops_t;
typedef struct kobj_class *kobj_class_t;

typedef struct kobj_method {
	kobjop_desc_t	desc;
	kobjop_t	func;
} kobj_method_t;

/* The first three members are set positionally by drivers. */
struct kobj_class {
	const char	*name;
	kobj_method_t	*methods;
	size_t		 size;
	kobj_class_t	*baseclasses;
	u_int		 refs;
	kobj_ops_t	 ops;
};

/*
 * As in FreeBSD, the conditional expression makes the compiler check FUNC
 * against the method's type NAME##_t.  The detour through void (*)(void)
 * only keeps gcc's -Wcast-function-type quiet about the cast to kobjop_t.
 */
#define	KOBJMETHOD(NAME, FUNC)						\
	{ &NAME##_desc,							\
	    (kobjop_t)(void (*)(void))(1 ? FUNC : (NAME##_t *)NULL) }
#define	KOBJMETHOD_END	{ NULL, NULL }

#endif /* !KPI_STUB_SYS_KOBJ_H_ */

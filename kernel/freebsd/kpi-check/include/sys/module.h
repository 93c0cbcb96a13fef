/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Declaration-only stand-in for <sys/module.h>, used by the compile check of
 * the gntdev FreeBSD glue against the FreeBSD 14 KPI (see
 * kernel/freebsd/kpi-check/README.md).  This is not FreeBSD's header: it
 * declares only what the glue and the core use, with FreeBSD 14's names,
 * types and signatures, and nothing here is ever compiled into code.
 */

#ifndef	KPI_STUB_SYS_MODULE_H_
#define	KPI_STUB_SYS_MODULE_H_

#include <sys/types.h>

struct module;
typedef struct module *module_t;
typedef int (*modeventhand_t)(module_t, int, void *);

struct mod_depend {
	int	md_ver_minimum;
	int	md_ver_preferred;
	int	md_ver_maximum;
};

struct mod_version {
	int	mv_version;
};

/*
 * FreeBSD records these in the module's metadata linker set; here they
 * only type-check their arguments.
 */
#define	MODULE_DEPEND(module, mdepend, vmin, vpref, vmax)		\
	static const struct mod_depend _##module##_depend_on_##mdepend	\
	    __used = { (vmin), (vpref), (vmax) }

#define	MODULE_VERSION(module, version)					\
	static const struct mod_version _##module##_version __used = {	\
		(version)						\
	}

#endif /* !KPI_STUB_SYS_MODULE_H_ */

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Declaration-only stand-in for <sys/bus.h>, used by the compile check of
 * the gntdev FreeBSD glue against the FreeBSD 14 KPI (see
 * kernel/freebsd/kpi-check/README.md).  This is not FreeBSD's header: it
 * declares only what the glue and the core use, with FreeBSD 14's names,
 * types and signatures, and nothing here is ever compiled into code.
 */

#ifndef	KPI_STUB_SYS_BUS_H_
#define	KPI_STUB_SYS_BUS_H_

#include <sys/types.h>
#include <sys/kobj.h>
#include <sys/module.h>

typedef struct _device *device_t;
typedef struct kobj_class driver_t;
typedef struct kobj_method device_method_t;

#define	DEVMETHOD	KOBJMETHOD
#define	DEVMETHOD_END	KOBJMETHOD_END

#define	BUS_PROBE_NOWILDCARD	(-2000000000)

device_t	device_find_child(device_t dev, const char *classname,
		    int unit);
void		*device_get_softc(device_t dev);
int		device_printf(device_t dev, const char *, ...)
		    __printflike(2, 3);
void		device_set_desc(device_t dev, const char *desc);

struct driver_module_data {
	modeventhand_t	 dmd_chainevh;
	void		*dmd_chainarg;
	const char	*dmd_busname;
	kobj_class_t	 dmd_driver;
};

/*
 * FreeBSD 14: five arguments (no devclass).  FreeBSD casts the driver to
 * kobj_class_t; taking its address unconverted here also checks that it
 * is a driver_t.
 */
#define	DRIVER_MODULE(name, busname, driver, evh, arg)			\
	static struct driver_module_data				\
	    name##_##busname##_driver_mod __used = {			\
		.dmd_chainevh = (evh),					\
		.dmd_chainarg = (arg),					\
		.dmd_busname = #busname,				\
		.dmd_driver = &(driver),				\
	}

/* Generated from the kobj interface files by the module build. */
#include "device_if.h"
#include "bus_if.h"

#endif /* !KPI_STUB_SYS_BUS_H_ */

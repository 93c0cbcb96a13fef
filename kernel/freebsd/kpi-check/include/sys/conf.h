/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Declaration-only stand-in for <sys/conf.h>, used by the compile check of
 * the gntdev FreeBSD glue against the FreeBSD 14 KPI (see
 * kernel/freebsd/kpi-check/README.md).  This is not FreeBSD's header: it
 * declares only what the glue and the core use, with FreeBSD 14's names,
 * types and signatures, and nothing here is ever compiled into code.
 */

#ifndef	KPI_STUB_SYS_CONF_H_
#define	KPI_STUB_SYS_CONF_H_

#include <sys/types.h>

struct thread;
struct ucred;
struct vm_object;

/* Only the member the glue reads. */
struct cdev {
	void		*si_drv1;
};

typedef int d_open_t(struct cdev *dev, int oflags, int devtype,
    struct thread *td);
typedef int d_ioctl_t(struct cdev *dev, u_long cmd, caddr_t data,
    int fflag, struct thread *td);
typedef int d_mmap_single_t(struct cdev *cdev, vm_ooffset_t *offset,
    vm_size_t size, struct vm_object **object, int nprot);

#define	D_VERSION_04	0x5c48c353
#define	D_VERSION	D_VERSION_04

/* The members the glue sets, in FreeBSD's order. */
struct cdevsw {
	int		 d_version;
	const char	*d_name;
	d_open_t	*d_open;
	d_ioctl_t	*d_ioctl;
	d_mmap_single_t	*d_mmap_single;
};

#define	MAKEDEV_WAITOK		0x08
#define	MAKEDEV_ETERNAL		0x10
#define	MAKEDEV_CHECKNAME	0x20

#ifdef KLD_MODULE
#define	MAKEDEV_ETERNAL_KLD	0
#else
#define	MAKEDEV_ETERNAL_KLD	MAKEDEV_ETERNAL
#endif

struct make_dev_args {
	size_t		 mda_size;
	int		 mda_flags;
	struct cdevsw	*mda_devsw;
	struct ucred	*mda_cr;
	uid_t		 mda_uid;
	gid_t		 mda_gid;
	int		 mda_mode;
	int		 mda_unit;
	void		*mda_si_drv1;
	void		*mda_si_drv2;
};

void	make_dev_args_init_impl(struct make_dev_args *args, size_t sz);
#define	make_dev_args_init(a)						\
	make_dev_args_init_impl((a), sizeof(struct make_dev_args))
int	make_dev_s(struct make_dev_args *args, struct cdev **cdev,
	    const char *fmt, ...) __printflike(3, 4);
void	destroy_dev(struct cdev *dev);

typedef void d_priv_dtor_t(void *data);
int	devfs_get_cdevpriv(void **datap);
int	devfs_set_cdevpriv(void *priv, d_priv_dtor_t *dtr);

#define	UID_ROOT	0
#define	GID_WHEEL	0

#endif /* !KPI_STUB_SYS_CONF_H_ */

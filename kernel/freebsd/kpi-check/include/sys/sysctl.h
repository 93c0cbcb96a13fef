/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Declaration-only stand-in for <sys/sysctl.h>, used by the compile check of
 * the gntdev FreeBSD glue against the FreeBSD 14 KPI (see
 * kernel/freebsd/kpi-check/README.md).  This is not FreeBSD's header: it
 * declares only what the glue and the core use, with FreeBSD 14's names,
 * types and signatures, and nothing here is ever compiled into code.
 */

#ifndef	KPI_STUB_SYS_SYSCTL_H_
#define	KPI_STUB_SYS_SYSCTL_H_

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/kassert.h>

#define	CTLTYPE		0xf
#define	CTLTYPE_NODE	1
#define	CTLTYPE_U32	0xf

#define	CTLFLAG_RD	0x80000000
#define	CTLFLAG_WR	0x40000000
#define	CTLFLAG_RW	(CTLFLAG_RD | CTLFLAG_WR)
#define	CTLFLAG_TUN	0x00080000
#define	CTLFLAG_RWTUN	(CTLFLAG_RW | CTLFLAG_TUN)
#define	CTLFLAG_MPSAFE	0x00040000
#define	CTLFLAG_NOFETCH	0x00001000

#define	OID_AUTO	(-1)

/* A KLD may name the type in the access flags of a node. */
#ifdef KLD_MODULE
#define	SYSCTL_CT_ASSERT_MASK	CTLTYPE
#else
#define	SYSCTL_CT_ASSERT_MASK	0
#endif

struct sysctl_oid;
struct sysctl_req;

#define	SYSCTL_HANDLER_ARGS	struct sysctl_oid *oidp, void *arg1,	\
	intmax_t arg2, struct sysctl_req *req

/* Only the member the glue reads. */
struct sysctl_req {
	const void	*newptr;
};

/* An RB tree head in FreeBSD 14; opaque to drivers. */
struct sysctl_oid_list {
	struct sysctl_oid	*rbh_root;
};

struct sysctl_oid {
	struct sysctl_oid_list	 oid_children;
};

struct sysctl_ctx_entry;
TAILQ_HEAD(sysctl_ctx_list, sysctl_ctx_entry);

int	sysctl_handle_32(SYSCTL_HANDLER_ARGS);

int	sysctl_ctx_init(struct sysctl_ctx_list *clist);
int	sysctl_ctx_free(struct sysctl_ctx_list *clist);

struct sysctl_oid *sysctl_add_oid(struct sysctl_ctx_list *clist,
	    struct sysctl_oid_list *parent, int nbr, const char *name, int kind,
	    void *arg1, intmax_t arg2, int (*handler)(SYSCTL_HANDLER_ARGS),
	    const char *fmt, const char *descr, const char *label);

#define	SYSCTL_DECL(name)						\
	extern struct sysctl_oid sysctl__##name

#define	SYSCTL_CHILDREN(oid_ptr)	(&(oid_ptr)->oid_children)
#define	SYSCTL_STATIC_CHILDREN(oid_name)				\
	(&sysctl__##oid_name.oid_children)

SYSCTL_DECL(_hw);

/* The dynamic-oid macros the glue uses; the access flags are checked. */
#define	SYSCTL_ADD_NODE(ctx, parent, nbr, name, access, handler, descr)	\
({									\
	CTASSERT(((access) & CTLTYPE) == 0 ||				\
	    ((access) & SYSCTL_CT_ASSERT_MASK) == CTLTYPE_NODE);	\
	sysctl_add_oid(ctx, parent, nbr, name, CTLTYPE_NODE | (access),	\
	    NULL, 0, handler, "N", descr, NULL);			\
})

#define	SYSCTL_ADD_PROC(ctx, parent, nbr, name, access, ptr, arg,	\
	    handler, fmt, descr)					\
({									\
	CTASSERT(((access) & CTLTYPE) != 0);				\
	sysctl_add_oid(ctx, parent, nbr, name, (access), (ptr), (arg),	\
	    (handler), (fmt), descr, NULL);				\
})

#endif /* !KPI_STUB_SYS_SYSCTL_H_ */

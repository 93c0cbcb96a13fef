/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Declaration-only stand-in for <contrib/xen/grant_table.h>, used by the
 * compile check of the gntdev FreeBSD glue against the FreeBSD 14 KPI (see
 * kernel/freebsd/kpi-check/README.md).  This is not FreeBSD's header: it
 * declares only what the glue and the core use, with FreeBSD 14's names,
 * types and signatures, and nothing here is ever compiled into code.
 */

#ifndef	KPI_STUB_CONTRIB_XEN_GRANT_TABLE_H_
#define	KPI_STUB_CONTRIB_XEN_GRANT_TABLE_H_

#include <contrib/xen/xen.h>

typedef uint32_t grant_ref_t;
typedef uint32_t grant_handle_t;

/* Grant entry flags (the flags argument of gnttab_grant_foreign_access). */
#define	_GTF_readonly		2
#define	GTF_readonly		(1U << _GTF_readonly)

#define	GNTTABOP_map_grant_ref		0
#define	GNTTABOP_unmap_grant_ref	1

#define	_GNTMAP_host_map	1
#define	GNTMAP_host_map		(1 << _GNTMAP_host_map)
#define	_GNTMAP_readonly	2
#define	GNTMAP_readonly		(1 << _GNTMAP_readonly)

struct gnttab_map_grant_ref {
	/* IN */
	uint64_t	host_addr;
	uint32_t	flags;		/* GNTMAP_* */
	grant_ref_t	ref;
	domid_t		dom;
	/* OUT */
	int16_t		status;		/* GNTST_* */
	grant_handle_t	handle;
	uint64_t	dev_bus_addr;
};

struct gnttab_unmap_grant_ref {
	/* IN */
	uint64_t	host_addr;
	uint64_t	dev_bus_addr;
	grant_handle_t	handle;
	/* OUT */
	int16_t		status;		/* GNTST_* */
};

#define	GNTST_okay		(0)
#define	GNTST_general_error	(-1)
#define	GNTST_bad_domain	(-2)
#define	GNTST_bad_gntref	(-3)
#define	GNTST_bad_handle	(-4)
#define	GNTST_permission_denied	(-8)
#define	GNTST_bad_page		(-9)
#define	GNTST_eagain		(-12)

#endif /* !KPI_STUB_CONTRIB_XEN_GRANT_TABLE_H_ */

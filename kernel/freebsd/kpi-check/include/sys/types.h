/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Declaration-only stand-in for <sys/types.h>, used by the compile check of
 * the gntdev FreeBSD glue against the FreeBSD 14 KPI (see
 * kernel/freebsd/kpi-check/README.md).  This is not FreeBSD's header: it
 * declares only what the glue and the core use, with FreeBSD 14's names,
 * types and signatures, and nothing here is ever compiled into code.
 */

#ifndef	KPI_STUB_SYS_TYPES_H_
#define	KPI_STUB_SYS_TYPES_H_

#include <sys/cdefs.h>

/* amd64 (LP64) widths, as FreeBSD's <machine/_types.h> gives them. */
typedef	signed char		int8_t;
typedef	unsigned char		uint8_t;
typedef	short			int16_t;
typedef	unsigned short		uint16_t;
typedef	int			int32_t;
typedef	unsigned int		uint32_t;
typedef	long			int64_t;
typedef	unsigned long		uint64_t;
typedef	long			intptr_t;
typedef	unsigned long		uintptr_t;
typedef	long			intmax_t;
typedef	unsigned long		uintmax_t;
typedef	unsigned long		size_t;

typedef	unsigned char		u_char;
typedef	unsigned short		u_short;
typedef	unsigned int		u_int;
typedef	unsigned long		u_long;

typedef	char			*caddr_t;
typedef	int64_t			off_t;
typedef	uint32_t		uid_t;
typedef	uint32_t		gid_t;
typedef	int64_t			sbintime_t;

/* VM types; in FreeBSD 14 vm_ooffset_t is unsigned (it was signed before). */
typedef	uint64_t		vm_offset_t;
typedef	uint64_t		vm_ooffset_t;
typedef	uint64_t		vm_paddr_t;
typedef	uint64_t		vm_pindex_t;
typedef	uint64_t		vm_size_t;
typedef	char			vm_memattr_t;

typedef	uintmax_t		rman_res_t;

#ifdef _KERNEL
typedef	int			boolean_t;
#if !defined(__bool_true_false_are_defined)
#define	__bool_true_false_are_defined	1
#define	false	0
#define	true	1
typedef	_Bool			bool;
#endif
#endif

#endif /* !KPI_STUB_SYS_TYPES_H_ */

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Declaration-only stand-in for <sys/_task.h>, used by the compile check of
 * the gntdev FreeBSD glue against the FreeBSD 14 KPI (see
 * kernel/freebsd/kpi-check/README.md).  This is not FreeBSD's header: it
 * declares only what the glue and the core use, with FreeBSD 14's names,
 * types and signatures, and nothing here is ever compiled into code.
 */

#ifndef	KPI_STUB_SYS__TASK_H_
#define	KPI_STUB_SYS__TASK_H_

#include <sys/types.h>
#include <sys/queue.h>

typedef void task_fn_t(void *context, int pending);

struct task {
	STAILQ_ENTRY(task)	 ta_link;
	uint16_t		 ta_pending;
	uint8_t			 ta_priority;
	uint8_t			 ta_flags;
	task_fn_t		*ta_func;
	void			*ta_context;
};

#endif /* !KPI_STUB_SYS__TASK_H_ */

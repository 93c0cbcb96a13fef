/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Declaration-only stand-in for <sys/taskqueue.h>, used by the compile check
 * of the gntdev FreeBSD glue against the FreeBSD 14 KPI (see
 * kernel/freebsd/kpi-check/README.md).  This is not FreeBSD's header: it
 * declares only what the glue and the core use, with FreeBSD 14's names,
 * types and signatures, and nothing here is ever compiled into code.
 */

#ifndef	KPI_STUB_SYS_TASKQUEUE_H_
#define	KPI_STUB_SYS_TASKQUEUE_H_

#include <sys/queue.h>
#include <sys/_task.h>

struct taskqueue;

/* The assignments type-check the handler and its argument. */
#define	TASK_INIT_FLAGS(task, priority, func, context, flags) do {	\
	(task)->ta_pending = 0;						\
	(task)->ta_priority = (priority);				\
	(task)->ta_flags = (flags);					\
	(task)->ta_func = (func);					\
	(task)->ta_context = (context);					\
} while (0)
#define	TASK_INIT(task, priority, func, context)			\
	TASK_INIT_FLAGS(task, priority, func, context, 0)

int	taskqueue_enqueue(struct taskqueue *queue, struct task *task);
void	taskqueue_drain(struct taskqueue *queue, struct task *task);

#define	TASKQUEUE_DECLARE(name)						\
	extern struct taskqueue *taskqueue_##name

TASKQUEUE_DECLARE(thread);

#endif /* !KPI_STUB_SYS_TASKQUEUE_H_ */

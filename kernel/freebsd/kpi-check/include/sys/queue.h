/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Declaration-only stand-in for <sys/queue.h>, used by the compile check of
 * the gntdev FreeBSD glue against the FreeBSD 14 KPI (see
 * kernel/freebsd/kpi-check/README.md).  This is not FreeBSD's header: it
 * declares only what the glue and the core use, with FreeBSD 14's names,
 * types and signatures, and nothing here is ever compiled into code.
 */

#ifndef	KPI_STUB_SYS_QUEUE_H_
#define	KPI_STUB_SYS_QUEUE_H_

/* The list(3) forms the glue and the other stubs use. */
#define	LIST_HEAD(name, type)						\
	struct name {							\
		struct type	*lh_first;				\
	}

#define	LIST_ENTRY(type)						\
	struct {							\
		struct type	*le_next;				\
		struct type	**le_prev;				\
	}

#define	LIST_FIRST(head)	((head)->lh_first)
#define	LIST_NEXT(elm, field)	((elm)->field.le_next)

#define	LIST_FOREACH(var, head, field)					\
	for ((var) = LIST_FIRST(head); (var) != NULL;			\
	    (var) = LIST_NEXT(var, field))

#define	LIST_INSERT_HEAD(head, elm, field) do {				\
	LIST_NEXT(elm, field) = LIST_FIRST(head);			\
	if (LIST_NEXT(elm, field) != NULL)				\
		LIST_FIRST(head)->field.le_prev =			\
		    &LIST_NEXT(elm, field);				\
	LIST_FIRST(head) = (elm);					\
	(elm)->field.le_prev = &LIST_FIRST(head);			\
} while (0)

#define	LIST_REMOVE(elm, field) do {					\
	if (LIST_NEXT(elm, field) != NULL)				\
		LIST_NEXT(elm, field)->field.le_prev =			\
		    (elm)->field.le_prev;				\
	*(elm)->field.le_prev = LIST_NEXT(elm, field);			\
} while (0)

#define	STAILQ_ENTRY(type)						\
	struct {							\
		struct type	*stqe_next;				\
	}

#define	TAILQ_HEAD(name, type)						\
	struct name {							\
		struct type	*tqh_first;				\
		struct type	**tqh_last;				\
	}

#define	TAILQ_ENTRY(type)						\
	struct {							\
		struct type	*tqe_next;				\
		struct type	**tqe_prev;				\
	}

#define	TAILQ_REMOVE(head, elm, field) do {				\
	if ((elm)->field.tqe_next != NULL)				\
		(elm)->field.tqe_next->field.tqe_prev =			\
		    (elm)->field.tqe_prev;				\
	else								\
		(head)->tqh_last = (elm)->field.tqe_prev;		\
	*(elm)->field.tqe_prev = (elm)->field.tqe_next;			\
} while (0)

#endif /* !KPI_STUB_SYS_QUEUE_H_ */

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Internals of the simulator daemon: the simulated machine (memory, domains,
 * grant tables, event channels; xensim_hv.c), and the daemon's objects that
 * the machine and the gntdev OS glue need to see (xensim_daemon.c).
 */
#ifndef XENSIM_DAEMON_H
#define XENSIM_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "gntdev_core.h"
#include "xensim_proto.h"

#define XENSIM_MAX_DOMID        0x7fefu /* DOMID_FIRST_RESERVED - 1 */
#define XENSIM_GNTTAB_RESERVED  8u      /* refs 0..7 are Xen's own */
#define XENSIM_GNTTAB_MAX       32768u  /* 64 frames of v1 entries */
#define XENSIM_EVTCHN_MAX       4096u   /* 2-level ABI on a 64-bit guest */
#define XENSIM_NR_VIRQS         24u

/* One v1 grant entry plus the map counts Xen keeps beside it. */
struct xensim_grant {
	bool     in_use;
	bool     readonly;
	uint16_t grantee;
	uint64_t frame;
	uint32_t maps;          /* active foreign mappings of this entry */
	bool     gntalloc;      /* a gntalloc page counted in gntalloc_pages */
};

enum xensim_port_state {
	XENSIM_PORT_FREE = 0,
	XENSIM_PORT_UNBOUND,
	XENSIM_PORT_INTERDOMAIN,
	XENSIM_PORT_VIRQ,
};

struct xensim_file;

/*
 * Masked and pending live in the port's shared state word (xensim_proto.h,
 * XENSIM_EVW_*), where the shims' fast path flips them too.
 */
struct xensim_port {
	uint8_t  state;
	uint16_t remote_dom;
	uint32_t remote_port;
	uint32_t virq;
	uint32_t refs;          /* binding by a file + gntdev notify refs */
	uint32_t gen;           /* bumped at every close */
	uint32_t wgen;          /* generation published in the state word */
	struct xensim_file *owner; /* evtchn file it is delivered to */
};

/* What an epoll event refers to. */
struct xensim_eptag {
	int   type;
	void *obj;
};

struct xensim_domain {
	uint16_t domid;
	bool     alive;         /* introduced and not destroyed */
	struct gntdev_core *core;
	struct xensim_grant *gnttab;
	uint32_t gnttab_cap;    /* entries allocated so far */
	uint32_t gnttab_used;
	uint32_t gnttab_hint;
	/*
	 * Linux gntalloc's global page count (gref_size): pages allocated
	 * through the domain's gntalloc files and not yet released by the
	 * core (in a file or mmapped).  Counted on the grant entries: each
	 * granted during a gntalloc ALLOC (gntalloc_granting) is tagged, and
	 * untagged at its first end of access, which the core makes when it
	 * releases the page, even if the peer still maps it and the page is
	 * parked (Linux 6.1 frees it then by the deferred timer, uncounted).
	 */
	uint32_t gntalloc_pages;
	bool     gntalloc_granting;
	struct xensim_port *ports;
	uint32_t ports_cap;
	uint32_t ports_used;
	int      reclaim_tfd;   /* timerfd for gntdev_core_reclaim */
	uint64_t reclaim_due_ns; /* 0: not armed */
	int      ctl_listen;    /* dom-<id>.sock */
	int      xs_listen;     /* xs-<id>.sock */
	struct xensim_eptag tag_reclaim, tag_ctl, tag_xs;
};

/* A region for foreign grants: which frame each page shows. */
struct xensim_region {
	struct xensim_domain *mapper;
	uint32_t npages;
	struct {
		uint64_t frame;
		uint16_t granter;
		uint32_t ref;
		bool     mapped;
	} page[];
};

/* A reference on a bound port, taken by the gntdev core for notifications. */
struct xensim_evref {
	uint16_t domid;
	uint32_t port;
	uint32_t gen;
};

/* Per-request view of the caller's user memory (marshalled by the shim). */
struct xensim_uctx {
	struct xensim_proc *proc;
	uint32_t nsegs;
	struct {
		uint64_t uaddr;
		uint32_t len;
		bool     valid;
		bool     dirty;
		uint8_t *bytes;
	} seg[XENSIM_MAX_SEGS];
};

/* One open device file (the daemon keeps one end of a socketpair). */
struct xensim_file {
	struct xensim_eptag tag;
	uint64_t id;
	int      kind;          /* enum xensim_kind */
	int      sock;
	ino_t    client_ino;    /* inode of the end given to the process */
	bool     writable;      /* opened O_RDWR / O_WRONLY */
	struct xensim_domain *dom;
	struct gntdev_file *gf; /* gntdev and gntalloc */
	struct xensim_uctx *uctx; /* during an ioctl */
	uint64_t gntalloc_index; /* gntalloc: bytes allocated so far (Linux's index) */
	/* evtchn */
	bool     restricted;
	uint16_t restrict_domid;
	uint32_t nbound;
	uint8_t *outb;          /* port bytes not yet written to the socket */
	size_t   outb_len, outb_cap;
	uint8_t  inpart[4];     /* partial unmask write */
	uint32_t inpart_len;
	bool     want_out;
	bool     eof;
	uint32_t ep_events;     /* what epoll watches now */
	struct xensim_file *next;
};

/* machine (xensim_hv.c) */
int  xensim_machine_init(void);
int  xensim_machine_memfd(void);
uint8_t *xensim_machine_mem(void);
int  xensim_frame_alloc(uint64_t *framep);
void xensim_frame_free(uint64_t frame);
uint64_t xensim_frames_used(void);

struct xensim_domain *xensim_domain_get(uint32_t domid);
struct xensim_domain *xensim_domain_lookup(uint32_t domid); /* alive only */
int  xensim_domain_create(uint32_t domid, struct xensim_domain **dp);

int  xensim_grant_add(struct xensim_domain *d, uint16_t grantee,
		      uint64_t frame, bool readonly, uint32_t *refp);
int  xensim_grant_end(struct xensim_domain *d, uint32_t ref);

int  xensim_evtchn_alloc_unbound(struct xensim_domain *d, uint32_t remote,
				 uint32_t *portp);
int  xensim_evtchn_bind_interdomain(struct xensim_domain *d, uint32_t rdom,
				    uint32_t rport, uint32_t *portp);
int  xensim_evtchn_bind_virq(struct xensim_domain *d, uint32_t virq,
			     uint32_t *portp);
struct xensim_port *xensim_port_get(struct xensim_domain *d, uint32_t port);
void xensim_evtchn_send(struct xensim_domain *d, uint32_t port);
void xensim_evtchn_unmask(struct xensim_domain *d, uint32_t port);
void xensim_port_put(struct xensim_domain *d, uint32_t port);
void xensim_port_close(struct xensim_domain *d, uint32_t port);
void xensim_evw_sync(struct xensim_domain *d, uint32_t port);
void xensim_evtchn_deliver_owed(struct xensim_domain *d, uint32_t port);
void xensim_evtchn_unstrand_remote(struct xensim_domain *d, uint32_t port);

/* daemon (xensim_daemon.c), called by the machine */
void xensim_file_deliver(struct xensim_file *f, uint32_t port);
void xensim_reclaim_arm(struct xensim_domain *d, unsigned int delay_ms);
int  xensim_proc_vaddr_lookup(struct xensim_proc *p, uint64_t vaddr,
			      void **cookiep, uint64_t *lenp);
int  xensim_daemon_main(const char *dir, int ready_fd);

#endif /* XENSIM_DAEMON_H */

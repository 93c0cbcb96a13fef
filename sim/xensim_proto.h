/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Wire protocol between the preload shim (libxensim.so) and the daemon, and
 * the Linux device ABI numbers the simulator answers.
 *
 * Every process of a domain opens one control connection (SOCK_SEQPACKET) to
 * $XENSIM_DIR/dom-<domid>.sock; the socket it connects to is its domain.
 * One request, one reply, in order, except XENSIM_OP_NOTIFY, which has no
 * reply.  A message is a struct xensim_hdr and then its body; a message
 * larger than XENSIM_INLINE_MAX travels in a memfd passed with SCM_RIGHTS
 * (the datagram then carries only the header with XENSIM_F_MEMFD).
 *
 * Request body: `datalen` bytes of ioctl argument, then `nsegs` segments,
 * each a struct xensim_seg followed by `len` bytes (user memory the ioctl
 * refers to through a pointer or an inline array; the daemon's copyin and
 * copyout work on these copies).  Reply body: `datalen` bytes to copy back
 * to the ioctl argument, then the segments the daemon wrote, then `nruns`
 * struct xensim_run (frames of machine memory for an mmap).
 */

#ifndef XENSIM_PROTO_H
#define XENSIM_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define XENSIM_PAGE_SIZE        4096u
#define XENSIM_INLINE_MAX       (60u * 1024u)
#define XENSIM_MSG_MAX          (16u * 1024u * 1024u) /* memfd messages */
#define XENSIM_MAX_SEGS         4u
#define XENSIM_MAX_ARRAY        (1u << 20) /* entries in a marshalled array */

/* Machine memory: one sparse memfd of this many 4 KiB frames. */
#define XENSIM_MACHINE_FRAMES   (1u << 20) /* 4 GiB */

/*
 * Event-channel state words, after the frames in the same memfd: one
 * uint64_t per port, XENSIM_EVW_PORTS per domain, domain N's at
 * XENSIM_EVW_OFFSET + N * XENSIM_EVW_DOMAIN_BYTES.  Every shim maps the
 * slices of the domains it notifies, the daemon all of them.  Bits 0..31:
 * flags below and the owner file's id (low 27 bits); bits 32..63: a
 * generation the daemon bumps at every change of binding or connection.
 * The daemon keeps the authority: it rewrites a word from its own state
 * whenever the binding changes; the shims only flip MASKED, PENDING and
 * RINGING with compare-and-swap, under the generation they were told.
 * RINGING spans a shim's delivery, from masking the port to writing it
 * into the owner's socket, so that the daemon can finish a delivery whose
 * sender died in between.
 */
#define XENSIM_EVW_PORTS        4096u   /* = XENSIM_EVTCHN_MAX */
#define XENSIM_EVW_DOMAIN_BYTES (XENSIM_EVW_PORTS * 8u)
#define XENSIM_EVW_DOMAINS      0x7ff0u
#define XENSIM_EVW_OFFSET       ((uint64_t)XENSIM_MACHINE_FRAMES * 4096u)
#define XENSIM_EVW_PENDING      0x1u    /* raised while masked */
#define XENSIM_EVW_MASKED       0x2u    /* delivered, not yet unmasked */
#define XENSIM_EVW_BOUND        0x4u    /* bound by the evtchn file in OWNER */
#define XENSIM_EVW_CONNECTED    0x8u    /* interdomain, the other end bound */
#define XENSIM_EVW_OWNER_SHIFT  4
#define XENSIM_EVW_OWNER_MASK   0x07ffffffu
#define XENSIM_EVW_RINGING      0x80000000u /* a shim is delivering it */
#define XENSIM_EVW_GEN(w)       ((uint32_t)((w) >> 32))
#define XENSIM_EVW_OWNER(w) \
	((uint32_t)((w) >> XENSIM_EVW_OWNER_SHIFT) & XENSIM_EVW_OWNER_MASK)

enum xensim_op {
	XENSIM_OP_HELLO = 1,    /* reply: memfd read-write and read-only */
	XENSIM_OP_OPEN,         /* a = kind, b = O_ACCMODE; reply: id, fd */
	XENSIM_OP_ADOPT,        /* a = socket inode; reply: id, kind */
	XENSIM_OP_IOCTL,        /* id, a = cmd, b = user address of argument */
	XENSIM_OP_MMAP,         /* id, a = offset, b = vaddr, c = len, prot */
	XENSIM_OP_MUNMAP,       /* b = vaddr, c = len */
	XENSIM_OP_NOTIFY,       /* id, a = port, c = XENSIM_NOTIFY_*; one way */
	XENSIM_OP_EVTFAST,      /* id, a = port (0: the file's own doorbell);
				 * reply: a = port's gen, b = remote domid,
				 * c = remote port | remote gen << 32, fd =
				 * doorbell of the remote end's file */
};

/* XENSIM_OP_NOTIFY's c: what the shim already did on the fast path. */
#define XENSIM_NOTIFY_SEND      0u      /* plain send */
#define XENSIM_NOTIFY_OWED_REMOTE 1u    /* remote end marked masked, its
					 * doorbell failed: deliver it */
#define XENSIM_NOTIFY_OWED_SELF 2u      /* this port marked masked at an
					 * unmask, doorbell failed: deliver */

enum xensim_kind {
	XENSIM_KIND_GNTDEV = 1,
	XENSIM_KIND_GNTALLOC,
	XENSIM_KIND_EVTCHN,
};

#define XENSIM_F_MEMFD          0x1u    /* body is in the passed memfd */
#define XENSIM_F_READONLY       0x2u    /* reply to MMAP: read-only frames */

struct xensim_hdr {
	uint32_t op;            /* request: enum xensim_op; reply: same op */
	uint32_t flags;         /* XENSIM_F_* */
	uint64_t id;            /* file id */
	uint64_t a, b, c;       /* operation arguments or results */
	int32_t  ret;           /* reply: result (>= 0) or -1 */
	int32_t  err;           /* reply: errno when ret is -1 */
	uint32_t prot;          /* MMAP: PROT_* */
	uint32_t datalen;
	uint32_t nsegs;
	uint32_t nruns;
	uint64_t total;         /* XENSIM_F_MEMFD: bytes in the memfd */
};

#define XENSIM_SEG_VALID        0x1u    /* the user memory was readable */

struct xensim_seg {
	uint64_t uaddr;
	uint32_t len;
	uint32_t flags;
};

struct xensim_run {
	uint64_t frame;
	uint32_t count;
	uint32_t pad;
};

/*
 * Linux device ABI (spec gntdev-abi.md §4, §6.3).  Linux's _IOC with dir
 * NONE is size << 16 | type << 8 | nr; named XSL_* so that they never clash
 * with include/gntdev.h's FreeBSD names.
 */
#define XSL_IOC(type, nr, size) \
	((unsigned long)(((size) << 16) | ((type) << 8) | (nr)))
#define XSL_IOC_SIZE(cmd)       (((cmd) >> 16) & 0x3fffu)
#define XSL_IOC_TYPE(cmd)       (((cmd) >> 8) & 0xffu)

#define XSL_GNTDEV_MAP_GRANT_REF        XSL_IOC('G', 0, 24)
#define XSL_GNTDEV_UNMAP_GRANT_REF      XSL_IOC('G', 1, 16)
#define XSL_GNTDEV_GET_OFFSET_FOR_VADDR XSL_IOC('G', 2, 24)
#define XSL_GNTDEV_SET_MAX_GRANTS       XSL_IOC('G', 3, 4)
#define XSL_GNTDEV_SET_UNMAP_NOTIFY     XSL_IOC('G', 7, 16)
#define XSL_GNTALLOC_ALLOC_GREF         XSL_IOC('G', 5, 24)
#define XSL_GNTALLOC_DEALLOC_GREF       XSL_IOC('G', 6, 16)
#define XSL_GNTALLOC_SET_UNMAP_NOTIFY   XSL_IOC('G', 7, 16)
#define XSL_EVTCHN_BIND_VIRQ            XSL_IOC('E', 0, 4)
#define XSL_EVTCHN_BIND_INTERDOMAIN     XSL_IOC('E', 1, 8)
#define XSL_EVTCHN_BIND_UNBOUND_PORT    XSL_IOC('E', 2, 4)
#define XSL_EVTCHN_UNBIND               XSL_IOC('E', 3, 4)
#define XSL_EVTCHN_NOTIFY               XSL_IOC('E', 4, 4)
#define XSL_EVTCHN_RESET                XSL_IOC('E', 5, 0)
#define XSL_EVTCHN_RESTRICT_DOMID       XSL_IOC('E', 6, 2)

/* Header of Linux's inline-array ioctls (map_grant_ref, alloc_gref). */
#define XSL_INLINE_HDR          16u

#define XSL_DOMID_SELF          0x7ff0u
#define XSL_DOMID_FIRST_RESERVED 0x7ff0u

/*
 * Message transport shared by the shim and the daemon (xensim_proto.c).
 * send: one message; bodies above XENSIM_INLINE_MAX go through a memfd.
 * `fds` (up to 2) are passed with it.  Returns 0 or -errno.
 * recv: one message, header first, into `inl` (capacity XENSIM_RECV_INLINE)
 * or, when it came in a memfd, into a malloc'd buffer; *bufp says which (the
 * caller frees it when it is not `inl`).  Received descriptors go to fds[]
 * (-1 when absent), close-on-exec.  Returns 0, -ECONNRESET at EOF, -EAGAIN
 * on a non-blocking socket with nothing to read, or -errno.
 */
#define XENSIM_RECV_INLINE      (sizeof(struct xensim_hdr) + XENSIM_INLINE_MAX)
int xensim_msg_send(int sock, const struct xensim_hdr *hdr, const void *body,
		    size_t bodylen, const int *fds, int nfds);
int xensim_msg_recv(int sock, void *inl, void **bufp, size_t *lenp,
		    int fds[2]);

#endif /* XENSIM_PROTO_H */

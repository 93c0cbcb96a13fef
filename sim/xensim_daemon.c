/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * xensimd: the simulated machine's daemon.  One thread, one epoll loop.
 *
 * Sockets in $XENSIM_DIR:
 *   ctl.sock        management (the xensim command): text requests
 *   dom-<N>.sock    control connections of domain N's processes (the shim)
 *   xs-<N>.sock     xenstore connections of domain N's processes
 * Each device file a process opens is a socketpair: the process holds one
 * end, the daemon the other, so the daemon sees EOF exactly at the last
 * close anywhere (fork, dup, exec, death), and the evtchn end carries the
 * delivered ports as 4-byte words (and the unmask writes back).
 *
 * Everything read from a socket is hostile: lengths, ids, ports, frames and
 * addresses are checked before use.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "gntdev.h"
#include "xenstore.h"
#include "xensim_daemon.h"
#include "xensim_fault.h"

uint64_t xensim_page_frame(const struct gntdev_os_page *page);

enum {
	EP_MGMT_LISTEN = 1,
	EP_MGMT,
	EP_CTL_LISTEN,
	EP_PROC,
	EP_XS_LISTEN,
	EP_XS,
	EP_FILE,
	EP_RECLAIM,
	EP_SIGNAL,
};

/* One piece of a process's mapping (munmap may split a mapping). */
struct xensim_holder {
	struct gntdev_mapping *m;
	uint64_t start, len;
	uint32_t nfrags;
};

struct xensim_frag {
	uint64_t start, end;
	struct xensim_holder *h;
	struct xensim_frag *next;
};

/* A process of a domain, through its control connection. */
struct xensim_proc {
	struct xensim_eptag tag;
	int sock;
	pid_t pid;
	struct xensim_domain *dom;
	struct xensim_frag *frags;
	struct xensim_proc *next;
};

struct xensim_xs {
	struct xensim_eptag tag;
	int sock;
	pid_t pid;
	struct xensim_domain *dom;
	struct xs_conn *xc;
	uint8_t *out;
	size_t out_len, out_cap;
	bool want_out, dead;
	struct xensim_xs *next;
};

/* A management connection; `xensim run` keeps its one open while it runs. */
struct xensim_mgmt {
	struct xensim_eptag tag;
	int sock;
	int att_domid;          /* -1: not a launcher */
	pid_t att_pid;          /* the command's process */
	pid_t att_pgid;         /* its process group, 0 if it has none */
	struct xensim_mgmt *next;
};

static const char *xd_dir;
static int xd_epfd = -1;
static int xd_mgmt_listen = -1;
static int xd_memfd_ro = -1;
static bool xd_stop;
static struct xs_store *xd_store;
static struct xensim_file *xd_files;
static struct xensim_proc *xd_procs;
static struct xensim_xs *xd_xss;
static struct xensim_mgmt *xd_mgmts;
static uint64_t xd_next_file_id = 1;
/* Linux gntalloc's `limit` module parameter, per domain (XENSIM_GNTALLOC_LIMIT). */
#define XD_GNTALLOC_LIMIT_DEFAULT 1024u
static uint32_t xd_gntalloc_limit = XD_GNTALLOC_LIMIT_DEFAULT;
static struct xensim_eptag xd_tag_mgmt_listen = { EP_MGMT_LISTEN, NULL };
static struct xensim_eptag xd_tag_signal = { EP_SIGNAL, NULL };

static void
xd_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "xensimd: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static int
xd_ep_add(int fd, uint32_t events, struct xensim_eptag *tag)
{
	struct epoll_event ev = { .events = events, .data.ptr = tag };

	return epoll_ctl(xd_epfd, EPOLL_CTL_ADD, fd, &ev);
}

static void
xd_ep_mod(int fd, uint32_t events, struct xensim_eptag *tag)
{
	struct epoll_event ev = { .events = events, .data.ptr = tag };

	(void)epoll_ctl(xd_epfd, EPOLL_CTL_MOD, fd, &ev);
}

static void
xd_ep_del(int fd)
{
	(void)epoll_ctl(xd_epfd, EPOLL_CTL_DEL, fd, NULL);
}

static pid_t
xd_peer_pid(int sock)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return 0;
	return cr.pid;
}

static int
xd_listen(const char *name, int type)
{
	struct sockaddr_un sa;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", xd_dir,
			     name) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	(void)unlink(sa.sun_path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 64) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

static void
xd_unlink(const char *fmt, unsigned int n)
{
	char path[512], name[64];

	snprintf(name, sizeof(name), fmt, n);
	snprintf(path, sizeof(path), "%s/%s", xd_dir, name);
	(void)unlink(path);
}

/* ---- timers ---- */

static uint64_t
xd_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void
xensim_reclaim_arm(struct xensim_domain *d, unsigned int delay_ms)
{
	uint64_t due = xd_now_ns() + (uint64_t)delay_ms * 1000000ULL + 1;
	struct itimerspec its;

	if (d->reclaim_tfd < 0)
		return;
	if (d->reclaim_due_ns != 0 && d->reclaim_due_ns <= due)
		return; /* an earlier call is pending */
	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = (time_t)(due / 1000000000ULL);
	its.it_value.tv_nsec = (long)(due % 1000000000ULL);
	if (timerfd_settime(d->reclaim_tfd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
		d->reclaim_due_ns = due;
}

static void
xd_reclaim_fire(struct xensim_domain *d)
{
	uint64_t n;

	if (read(d->reclaim_tfd, &n, sizeof(n)) < 0 && errno == EAGAIN)
		return;
	d->reclaim_due_ns = 0;
	(void)gntdev_core_reclaim(d->core);
}

/* ---- domains ---- */

static int
xd_domain_introduce(uint32_t domid)
{
	struct xensim_domain *d;
	char name[64];
	int error, fd;

	error = xensim_domain_create(domid, &d);
	if (error != 0)
		return -error;
	if (d->reclaim_tfd < 0) {
		d->reclaim_tfd = timerfd_create(CLOCK_MONOTONIC,
						TFD_CLOEXEC | TFD_NONBLOCK);
		if (d->reclaim_tfd < 0)
			return -errno;
		d->tag_reclaim.type = EP_RECLAIM;
		d->tag_reclaim.obj = d;
		xd_ep_add(d->reclaim_tfd, EPOLLIN, &d->tag_reclaim);
	}
	if (d->alive)
		return 0;
	snprintf(name, sizeof(name), "dom-%u.sock", domid);
	fd = xd_listen(name, SOCK_SEQPACKET);
	if (fd < 0)
		return fd;
	d->ctl_listen = fd;
	d->tag_ctl.type = EP_CTL_LISTEN;
	d->tag_ctl.obj = d;
	xd_ep_add(fd, EPOLLIN, &d->tag_ctl);
	snprintf(name, sizeof(name), "xs-%u.sock", domid);
	fd = xd_listen(name, SOCK_STREAM);
	if (fd < 0)
		return fd;
	d->xs_listen = fd;
	d->tag_xs.type = EP_XS_LISTEN;
	d->tag_xs.obj = d;
	xd_ep_add(fd, EPOLLIN, &d->tag_xs);
	d->alive = true;
	(void)xs_store_introduce_domain(xd_store, domid);
	return 0;
}

/* ---- event-channel files ---- */

/*
 * What epoll watches for a file.  Unmask writes are read as they come: a
 * shim's fast-path notify only marks a masked port pending in its state
 * word, so the unmask must redeliver at once.  (The shim handles the unmask
 * writes of programs that call write() itself; only the rest come here.)
 */
static void
xd_file_update_events(struct xensim_file *f)
{
	uint32_t ev = EPOLLRDHUP | EPOLLIN;

	if (f->want_out)
		ev |= EPOLLOUT;
	if (ev != f->ep_events) {
		f->ep_events = ev;
		xd_ep_mod(f->sock, ev, &f->tag);
	}
}

static void
xd_file_flush(struct xensim_file *f)
{
	ssize_t n;

	while (f->outb_len > 0) {
		n = send(f->sock, f->outb, f->outb_len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		memmove(f->outb, f->outb + n, f->outb_len - (size_t)n);
		f->outb_len -= (size_t)n;
	}
	f->want_out = f->outb_len > 0;
	xd_file_update_events(f);
}

/* Process the unmask writes waiting in an evtchn file's socket. */
static void
xd_file_poll_unmask(struct xensim_file *f)
{
	uint8_t buf[4096];
	ssize_t n;
	size_t i;

	while (!f->eof) {
		n = recv(f->sock, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			f->eof = true; /* closed by epoll's HUP, not here */
			return;
		}
		if (f->kind != XENSIM_KIND_EVTCHN)
			continue; /* the gntdev devices have no write() */
		/* A stream of 4-byte ports, split anywhere. */
		for (i = 0; i < (size_t)n; i++) {
			struct xensim_port *p;
			uint32_t port;

			f->inpart[f->inpart_len++] = buf[i];
			if (f->inpart_len < 4)
				continue;
			memcpy(&port, f->inpart, 4);
			f->inpart_len = 0;
			p = xensim_port_get(f->dom, port);
			/* Unknown ports are ignored, as Linux does. */
			if (p != NULL && p->owner == f)
				xensim_evtchn_unmask(f->dom, port);
		}
	}
}

void
xensim_file_deliver(struct xensim_file *f, uint32_t port)
{
	if (f->outb_len + 4 > f->outb_cap) {
		size_t ncap = f->outb_cap ? f->outb_cap * 2 : 64;
		uint8_t *n;

		/* Delivery masks the port, so at most one word per bound port. */
		if (ncap > 4 * (XENSIM_EVTCHN_MAX + 16))
			return;
		n = realloc(f->outb, ncap);
		if (n == NULL)
			return;
		f->outb = n;
		f->outb_cap = ncap;
	}
	memcpy(f->outb + f->outb_len, &port, 4);
	f->outb_len += 4;
	xd_file_flush(f);
}

static struct xensim_file *
xd_file_find(uint64_t id, struct xensim_domain *d)
{
	struct xensim_file *f;

	for (f = xd_files; f != NULL; f = f->next)
		if (f->id == id)
			return f->dom == d ? f : NULL;
	return NULL;
}

static void
xd_evtchn_unbind_all(struct xensim_file *f)
{
	struct xensim_domain *d = f->dom;
	uint32_t p;

	for (p = 1; p < d->ports_cap && f->nbound > 0; p++) {
		if (d->ports[p].state != XENSIM_PORT_FREE &&
		    d->ports[p].owner == f) {
			xensim_evtchn_unstrand_remote(d, p);
			d->ports[p].owner = NULL;
			f->nbound--;
			xensim_evw_sync(d, p);
			xensim_port_put(d, p);
		}
	}
}

static void
xd_file_close(struct xensim_file *f)
{
	struct xensim_file **pp;

	for (pp = &xd_files; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == f) {
			*pp = f->next;
			break;
		}
	}
	if (f->kind == XENSIM_KIND_EVTCHN)
		xd_evtchn_unbind_all(f);
	else if (f->gf != NULL)
		gntdev_file_close(f->gf);
	xd_ep_del(f->sock);
	close(f->sock);
	free(f->outb);
	free(f);
}

static void
xd_file_input(struct xensim_file *f, uint32_t events)
{
	if (events & EPOLLOUT)
		xd_file_flush(f);
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP)))
		return;
	xd_file_poll_unmask(f);
	if (f->eof || (events & (EPOLLHUP | EPOLLERR)))
		xd_file_close(f);
}

/* ---- process mappings ---- */

static void
xd_holder_drop(struct xensim_holder *h)
{
	if (--h->nfrags == 0) {
		gntdev_mapping_release(h->m);
		free(h);
	}
}

int
xensim_proc_vaddr_lookup(struct xensim_proc *p, uint64_t vaddr,
			 void **cookiep, uint64_t *lenp)
{
	struct xensim_frag *fr;

	for (fr = p->frags; fr != NULL; fr = fr->next) {
		if (vaddr < fr->start || vaddr >= fr->end)
			continue;
		*cookiep = gntdev_mapping_cookie(fr->h->m);
		if (fr->h->nfrags == 1 && fr->start == fr->h->start &&
		    fr->end - fr->start == fr->h->len)
			*lenp = fr->h->len;
		else
			*lenp = fr->end - fr->start; /* broken up by munmap */
		return 0;
	}
	return EINVAL;
}

/* Forget [start, end) of a process's mappings; release what is gone. */
static int
xd_proc_unmap(struct xensim_proc *p, uint64_t start, uint64_t end)
{
	struct xensim_frag **pp = &p->frags, *fr, *tail;
	int found = 0;

	while ((fr = *pp) != NULL) {
		if (end <= fr->start || start >= fr->end) {
			pp = &fr->next;
			continue;
		}
		found = 1;
		if (start <= fr->start && end >= fr->end) {
			*pp = fr->next;
			xd_holder_drop(fr->h);
			free(fr);
			continue;
		}
		if (start > fr->start && end < fr->end) {
			/* A hole in the middle: split in two pieces. */
			tail = malloc(sizeof(*tail));
			if (tail == NULL)
				return -ENOMEM;
			tail->start = end;
			tail->end = fr->end;
			tail->h = fr->h;
			tail->h->nfrags++;
			tail->next = fr->next;
			fr->end = start;
			fr->next = tail;
			pp = &tail->next;
			continue;
		}
		if (start <= fr->start)
			fr->start = end;
		else
			fr->end = start;
		pp = &fr->next;
	}
	return found;
}

static void
xd_proc_close(struct xensim_proc *p)
{
	struct xensim_proc **pp;

	for (pp = &xd_procs; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	/* What the kernel does at exit: the mappings go (unmap notify). */
	(void)xd_proc_unmap(p, 0, UINT64_MAX);
	xd_ep_del(p->sock);
	close(p->sock);
	free(p);
}

/* ---- requests from the shim ---- */

struct xd_reply {
	struct xensim_hdr h;
	uint8_t *body;
	size_t len, cap;
	int fds[2];
	int nfds;
};

static int
xd_reply_put(struct xd_reply *r, const void *data, size_t len)
{
	if (r->len + len > r->cap) {
		size_t ncap = r->cap ? r->cap : 256;
		uint8_t *n;

		while (ncap < r->len + len)
			ncap *= 2;
		n = realloc(r->body, ncap);
		if (n == NULL)
			return -ENOMEM;
		r->body = n;
		r->cap = ncap;
	}
	memcpy(r->body + r->len, data, len);
	r->len += len;
	return 0;
}

static void
xd_fail(struct xd_reply *r, int err)
{
	r->h.ret = -1;
	r->h.err = err;
}

static int
xd_open_file(struct xensim_proc *p, const struct xensim_hdr *q,
	     struct xd_reply *r)
{
	struct xensim_file *f;
	struct stat st;
	int sv[2], error;

	if (q->a < XENSIM_KIND_GNTDEV || q->a > XENSIM_KIND_EVTCHN)
		return EINVAL;
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return ENOMEM;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		error = errno;
		free(f);
		return error;
	}
	if (fstat(sv[1], &st) < 0 || fcntl(sv[0], F_SETFL, O_NONBLOCK) < 0) {
		error = errno;
		goto fail;
	}
	f->tag.type = EP_FILE;
	f->tag.obj = f;
	f->id = xd_next_file_id++;
	f->kind = (int)q->a;
	f->sock = sv[0];
	f->client_ino = st.st_ino;
	f->writable = (q->b & O_ACCMODE) != O_RDONLY;
	f->dom = p->dom;
	if (f->kind != XENSIM_KIND_EVTCHN) {
		error = gntdev_file_open(p->dom->core, f, &f->gf);
		if (error != 0)
			goto fail;
	}
	f->ep_events = EPOLLRDHUP | EPOLLIN;
	if (xd_ep_add(f->sock, f->ep_events, &f->tag) < 0) {
		error = errno;
		if (f->gf != NULL)
			gntdev_file_close(f->gf);
		goto fail;
	}
	f->next = xd_files;
	xd_files = f;
	r->h.id = f->id;
	r->h.a = (uint64_t)st.st_ino;
	r->fds[0] = sv[1];
	r->nfds = 1;
	return 0;
fail:
	close(sv[0]);
	close(sv[1]);
	free(f);
	return error;
}

/* Linux evtchn ioctls; the result is the port or 0. */
static int
xd_ioctl_evtchn(struct xensim_file *f, unsigned long cmd, const uint8_t *data,
		size_t len, int *retp)
{
	struct xensim_domain *d = f->dom;
	struct xensim_port *p;
	uint32_t a = 0, b = 0, port;
	int error;

	if (XSL_IOC_SIZE(cmd) > len)
		return EFAULT;
	if (len >= 4)
		memcpy(&a, data, 4);
	if (len >= 8)
		memcpy(&b, data + 4, 4);
	switch (cmd) {
	case XSL_EVTCHN_BIND_VIRQ:
		if (f->restricted)
			return EACCES;
		error = xensim_evtchn_bind_virq(d, a, &port);
		break;
	case XSL_EVTCHN_BIND_INTERDOMAIN:
		if (f->restricted && a != f->restrict_domid)
			return EACCES;
		if (xensim_fault_should_fail(XENSIM_FAULT_EVTCHN_BIND))
			return EINVAL;
		error = xensim_evtchn_bind_interdomain(d, a, b, &port);
		break;
	case XSL_EVTCHN_BIND_UNBOUND_PORT:
		if (f->restricted)
			return EACCES;
		if (xensim_fault_should_fail(XENSIM_FAULT_EVTCHN_ALLOC))
			return ENOSPC;
		error = xensim_evtchn_alloc_unbound(d, a, &port);
		break;
	case XSL_EVTCHN_UNBIND:
		if (a >= XENSIM_EVTCHN_MAX)
			return EINVAL;
		p = xensim_port_get(d, a);
		if (p == NULL || p->owner != f)
			return ENOTCONN;
		p->owner = NULL;
		f->nbound--;
		xensim_evw_sync(d, a);
		xensim_port_put(d, a);
		*retp = 0;
		return 0;
	case XSL_EVTCHN_NOTIFY:
		p = xensim_port_get(d, a);
		if (p == NULL || p->owner != f)
			return ENOTCONN;
		if (xensim_fault_should_fail(XENSIM_FAULT_EVTCHN_NOTIFY))
			return ENOTCONN;
		xensim_evtchn_send(d, a);
		*retp = 0;
		return 0;
	case XSL_EVTCHN_RESET:
		*retp = 0;
		return 0;
	case XSL_EVTCHN_RESTRICT_DOMID: {
		uint16_t dom;

		memcpy(&dom, data, 2);
		if (f->restricted)
			return EACCES;
		if (dom == 0 || dom >= XSL_DOMID_FIRST_RESERVED)
			return EINVAL;
		f->restricted = true;
		f->restrict_domid = dom;
		*retp = 0;
		return 0;
	}
	default:
		return ENOSYS; /* Linux evtchn: not ENOTTY */
	}
	if (error != 0)
		return error;
	d->ports[port].owner = f;
	f->nbound++;
	xensim_evw_sync(d, port);
	*retp = (int)port;
	return 0;
}

/* A FreeBSD-ABI ioctl straight into the core. */
static int
xd_ioctl_freebsd(struct xensim_file *f, unsigned long cmd, const uint8_t *data,
		 size_t len, struct xd_reply *r)
{
	union {
		struct ioctl_gntdev_unmap_notify n;
		struct ioctl_gntdev_alloc_gref a;
		struct ioctl_gntdev_dealloc_gref d;
		struct ioctl_gntdev_map_grant_ref m;
		struct ioctl_gntdev_unmap_grant_ref u;
		struct ioctl_gntdev_get_offset_for_vaddr g;
		uint8_t raw[64];
	} arg;
	size_t alen = GNTDEV_IOC_LEN(cmd);
	int error;

	if (alen > sizeof(arg))
		return ENOTTY; /* none of ours; the core would say so too */
	memset(&arg, 0, sizeof(arg));
	if (cmd & GNTDEV_IOC_IN) {
		if (len < alen)
			return EFAULT;
		memcpy(&arg, data, alen);
	}
	error = gntdev_file_ioctl(f->gf, cmd, &arg);
	if (error == 0 && (cmd & GNTDEV_IOC_OUT))
		error = -xd_reply_put(r, &arg, alen);
	return error;
}

/* The other end of a daemon socket is closed and nothing is left to read. */
static bool
xd_sock_finished(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLRDHUP };
	char c;

	if (poll(&pfd, 1, 0) <= 0 ||
	    !(pfd.revents & (POLLRDHUP | POLLHUP | POLLERR)))
		return false;
	return recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0 ||
	       (pfd.revents & POLLERR);
}

/*
 * Linux frees a gntalloc file's pages at its last close and a process's
 * mappings at its exit, so an ALLOC made after them finds the pages gone.
 * The daemon hears of both through sockets, possibly after that ALLOC: before
 * refusing one for the limit, take in the closes and exits of domain d that
 * have already happened (not those of the caller `self` or of its file
 * `cur`).  Closing here is safe: the event loop restarts its batch after a
 * process request.
 */
static void
xd_gntalloc_reap(struct xensim_domain *d, struct xensim_proc *self,
		 struct xensim_file *cur)
{
	struct xensim_proc *p, *pn;
	struct xensim_file *f, *fn;

	for (p = xd_procs; p != NULL; p = pn) {
		pn = p->next;
		if (p->dom == d && p != self && xd_sock_finished(p->sock))
			xd_proc_close(p);
	}
	for (f = xd_files; f != NULL; f = fn) {
		fn = f->next;
		if (f->dom == d && f != cur && f->kind == XENSIM_KIND_GNTALLOC &&
		    xd_sock_finished(f->sock))
			xd_file_close(f);
	}
}

/* Checks Linux makes before the map lookup of SET_UNMAP_NOTIFY. */
static int
xd_notify_precheck(struct xensim_file *f, const uint8_t *data, size_t len)
{
	struct ioctl_gntdev_unmap_notify n;
	struct xensim_port *p;

	if (len < sizeof(n))
		return EFAULT;
	memcpy(&n, data, sizeof(n));
	if (n.action & ~(uint32_t)(UNMAP_NOTIFY_CLEAR_BYTE | UNMAP_NOTIFY_SEND_EVENT))
		return EINVAL;
	if (n.action & UNMAP_NOTIFY_SEND_EVENT) {
		p = xensim_port_get(f->dom, n.event_channel_port);
		if (p == NULL || p->state == XENSIM_PORT_FREE || p->owner == NULL)
			return EINVAL;
	}
	return 0;
}

static int
xd_ioctl_gntdev(struct xensim_file *f, unsigned long cmd, uint64_t uarg,
		const uint8_t *data, size_t len, struct xd_reply *r)
{
	int error;

	if (GNTDEV_IOC_DIR(cmd) != 0) {
		if (f->kind != XENSIM_KIND_GNTDEV)
			return ENOTTY;
		return xd_ioctl_freebsd(f, cmd, data, len, r);
	}
	if (f->kind == XENSIM_KIND_GNTDEV && cmd == XSL_GNTDEV_MAP_GRANT_REF) {
		struct ioctl_gntdev_map_grant_ref m;

		if (len < XSL_INLINE_HDR)
			return EFAULT;
		memset(&m, 0, sizeof(m));
		memcpy(&m.count, data, 4);
		/* The inline refs are a segment at their user address. */
		m.refs = (struct ioctl_gntdev_grant_ref *)(uintptr_t)
			(uarg + XSL_INLINE_HDR);
		error = gntdev_file_ioctl(f->gf, IOCTL_GNTDEV_MAP_GRANT_REF, &m);
		if (error == 0) {
			uint8_t out[XSL_INLINE_HDR];

			memcpy(out, data, XSL_INLINE_HDR);
			memcpy(out + 8, &m.index, 8);
			error = -xd_reply_put(r, out, sizeof(out));
		}
		return error;
	}
	if (f->kind == XENSIM_KIND_GNTALLOC && cmd == XSL_GNTALLOC_ALLOC_GREF) {
		struct xensim_domain *d = f->dom;
		struct ioctl_gntdev_alloc_gref a;

		if (len < XSL_INLINE_HDR)
			return EFAULT;
		memset(&a, 0, sizeof(a));
		memcpy(&a, data, 8); /* domid, flags, count */
		/*
		 * Linux's global limit: the pages all gntalloc files of the
		 * kernel (here: of the domain) hold, plus these, at most
		 * `limit`; else ENOSPC, before anything is allocated.
		 */
		if ((uint64_t)d->gntalloc_pages + a.count > xd_gntalloc_limit)
			xd_gntalloc_reap(d, f->uctx != NULL ? f->uctx->proc :
					 NULL, f);
		if ((uint64_t)d->gntalloc_pages + a.count > xd_gntalloc_limit)
			return ENOSPC;
		if (a.count == 0) {
			/*
			 * Linux allocates nothing and answers the file's
			 * running index (bytes it has allocated so far: 0 on a
			 * fresh file), unchanged.  The core, like FreeBSD,
			 * refuses a count of 0, so it is not asked.  The
			 * number is Linux's; the core's indices count down
			 * from 2^64, so no page of this file lives there.
			 */
			a.index = f->gntalloc_index;
			error = 0;
		} else {
			a.gref_ids = (uint32_t *)(uintptr_t)
				(uarg + XSL_INLINE_HDR);
			d->gntalloc_granting = true;
			error = gntdev_file_ioctl(f->gf, IOCTL_GNTDEV_ALLOC_GREF,
						  &a);
			d->gntalloc_granting = false;
		}
		if (error == 0) {
			uint8_t out[XSL_INLINE_HDR];

			f->gntalloc_index += (uint64_t)a.count * XENSIM_PAGE_SIZE;
			memcpy(out, data, 8);
			memcpy(out + 8, &a.index, 8);
			error = -xd_reply_put(r, out, sizeof(out));
		}
		return error;
	}
	if (f->kind == XENSIM_KIND_GNTALLOC && cmd == XSL_GNTALLOC_DEALLOC_GREF)
		return xd_ioctl_freebsd(f, IOCTL_GNTDEV_DEALLOC_GREF, data, len,
					r);
	if (f->kind == XENSIM_KIND_GNTDEV && cmd == XSL_GNTDEV_UNMAP_GRANT_REF) {
		error = xd_ioctl_freebsd(f, IOCTL_GNTDEV_UNMAP_GRANT_REF, data,
					 len, r);
		return error == EINVAL ? ENOENT : error;
	}
	if (f->kind == XENSIM_KIND_GNTDEV &&
	    cmd == XSL_GNTDEV_GET_OFFSET_FOR_VADDR)
		return xd_ioctl_freebsd(f, IOCTL_GNTDEV_GET_OFFSET_FOR_VADDR,
					data, len, r);
	if (cmd == XSL_GNTDEV_SET_UNMAP_NOTIFY) { /* same number in gntalloc */
		error = xd_notify_precheck(f, data, len);
		if (error != 0)
			return error;
		error = xd_ioctl_freebsd(f, IOCTL_GNTDEV_SET_UNMAP_NOTIFY, data,
					 len, r);
		return error == EINVAL ? ENOENT : error;
	}
	/* SET_MAX_GRANTS, GRANT_COPY, dma-buf and the rest: not here. */
	return ENOTTY;
}

static int
xd_do_ioctl(struct xensim_proc *p, const struct xensim_hdr *q,
	    const uint8_t *body, size_t bodylen, struct xd_reply *r)
{
	struct xensim_file *f = xd_file_find(q->id, p->dom);
	struct xensim_uctx u;
	size_t off;
	uint32_t i;
	int error, ret = 0;

	if (f == NULL)
		return EBADF;
	if (q->datalen > bodylen || q->nsegs > XENSIM_MAX_SEGS)
		return EPROTO;
	memset(&u, 0, sizeof(u));
	u.proc = p;
	off = q->datalen;
	for (i = 0; i < q->nsegs; i++) {
		struct xensim_seg s;

		if (bodylen - off < sizeof(s))
			return EPROTO;
		memcpy(&s, body + off, sizeof(s));
		off += sizeof(s);
		if (s.len > bodylen - off)
			return EPROTO;
		u.seg[i].uaddr = s.uaddr;
		u.seg[i].len = s.len;
		u.seg[i].valid = (s.flags & XENSIM_SEG_VALID) != 0;
		u.seg[i].bytes = (uint8_t *)(uintptr_t)(body + off);
		off += s.len;
	}
	u.nsegs = q->nsegs;
	f->uctx = &u;
	if (f->kind == XENSIM_KIND_EVTCHN)
		error = xd_ioctl_evtchn(f, (unsigned long)q->a, body, q->datalen,
					&ret);
	else
		error = xd_ioctl_gntdev(f, (unsigned long)q->a, q->b, body,
					q->datalen, r);
	f->uctx = NULL;
	if (error != 0)
		return error;
	r->h.ret = ret;
	r->h.datalen = (uint32_t)r->len;
	for (i = 0; i < u.nsegs; i++) {
		struct xensim_seg s = { u.seg[i].uaddr, u.seg[i].len,
					XENSIM_SEG_VALID };

		if (!u.seg[i].dirty)
			continue;
		if (xd_reply_put(r, &s, sizeof(s)) < 0 ||
		    xd_reply_put(r, u.seg[i].bytes, s.len) < 0)
			return ENOMEM;
		r->h.nsegs++;
	}
	return 0;
}

static int
xd_do_mmap(struct xensim_proc *p, const struct xensim_hdr *q,
	   struct xd_reply *r)
{
	struct xensim_file *f = xd_file_find(q->id, p->dom);
	struct gntdev_mapping *m;
	struct xensim_holder *h;
	struct xensim_frag *fr;
	struct xensim_region *reg = NULL;
	struct xensim_run run = { 0, 0, 0 };
	uint32_t i, n;
	int prot, error;

	if (f == NULL)
		return EBADF;
	if (f->kind == XENSIM_KIND_EVTCHN)
		return ENODEV;
	if (q->c == 0 || (q->c % XENSIM_PAGE_SIZE) != 0 || (q->b % XENSIM_PAGE_SIZE) != 0 ||
	    q->b + q->c < q->b)
		return EINVAL;
	if ((q->prot & 0x2) && !f->writable)
		return EACCES;
	prot = GNTDEV_PROT_READ | ((q->prot & 0x2) ? GNTDEV_PROT_WRITE : 0);
	error = gntdev_core_mmap(f->gf, q->a, q->c, prot, &m);
	if (error != 0)
		return (error == EINVAL && f->kind == XENSIM_KIND_GNTALLOC) ?
			ENOENT : error;
	n = gntdev_mapping_npages(m);
	if ((uint64_t)n * XENSIM_PAGE_SIZE != q->c) {
		gntdev_mapping_release(m);
		return EINVAL;
	}
	if (gntdev_mapping_is_foreign(m)) {
		reg = (struct xensim_region *)gntdev_mapping_region(m);
		if (gntdev_mapping_readonly(m))
			r->h.flags |= XENSIM_F_READONLY;
	}
	for (i = 0; i < n; i++) {
		uint64_t frame = reg != NULL ? reg->page[i].frame :
			xensim_page_frame(gntdev_mapping_page(m, i));

		if (run.count > 0 && frame == run.frame + run.count) {
			run.count++;
			continue;
		}
		if (run.count > 0) {
			if (xd_reply_put(r, &run, sizeof(run)) < 0)
				goto nomem;
			r->h.nruns++;
		}
		run.frame = frame;
		run.count = 1;
	}
	if (xd_reply_put(r, &run, sizeof(run)) < 0)
		goto nomem;
	r->h.nruns++;
	h = calloc(1, sizeof(*h));
	fr = calloc(1, sizeof(*fr));
	if (h == NULL || fr == NULL) {
		free(h);
		free(fr);
		goto nomem;
	}
	/* A new mapping replaces whatever the process had there. */
	(void)xd_proc_unmap(p, q->b, q->b + q->c);
	h->m = m;
	h->start = q->b;
	h->len = q->c;
	h->nfrags = 1;
	fr->start = q->b;
	fr->end = q->b + q->c;
	fr->h = h;
	fr->next = p->frags;
	p->frags = fr;
	return 0;
nomem:
	gntdev_mapping_release(m);
	return ENOMEM;
}

/* A one-way NOTIFY: a send, or a delivery a shim's doorbell owed. */
static void
xd_notify(struct xensim_domain *d, struct xensim_port *p, uint32_t port,
	  uint64_t how)
{
	if (how == XENSIM_NOTIFY_OWED_SELF) {
		xensim_evtchn_deliver_owed(d, port);
	} else if (how == XENSIM_NOTIFY_OWED_REMOTE) {
		if (p->state == XENSIM_PORT_INTERDOMAIN)
			xensim_evtchn_deliver_owed(
				xensim_domain_get(p->remote_dom),
				p->remote_port);
	} else {
		xensim_evtchn_send(d, port);
	}
}

/*
 * The fast path's doorbell for a port bound by this file: the socket of
 * the file the other end is bound to (the process then writes the port
 * into it itself), with both ends' generations.  Port 0: the file's own
 * socket, for an unmask that finds its port pending.
 */
static int
xd_evtfast(struct xensim_proc *p, const struct xensim_hdr *q,
	   struct xd_reply *r)
{
	struct xensim_file *f = xd_file_find(q->id, p->dom);
	struct xensim_port *a, *b;

	if (f == NULL || f->kind != XENSIM_KIND_EVTCHN)
		return EBADF;
	/*
	 * Faults on notify are injected here, in the ioctl: no doorbell, and
	 * EOPNOTSUPP tells the shim to send every notify as an ioctl.
	 */
	if (q->a != 0 && xensim_fault_site_armed(XENSIM_FAULT_EVTCHN_NOTIFY))
		return EOPNOTSUPP;
	if (q->a == 0) {
		r->fds[0] = f->sock;
		r->nfds = 1;
		return 0;
	}
	a = q->a < XENSIM_EVTCHN_MAX ?
		xensim_port_get(p->dom, (uint32_t)q->a) : NULL;
	if (a == NULL || a->owner != f)
		return ENOTCONN;
	if (a->state != XENSIM_PORT_INTERDOMAIN)
		return EAGAIN;
	b = xensim_port_get(xensim_domain_get(a->remote_dom), a->remote_port);
	if (b == NULL || b->owner == NULL ||
	    b->state != XENSIM_PORT_INTERDOMAIN)
		return EAGAIN;
	r->h.a = a->wgen;
	r->h.b = a->remote_dom;
	r->h.c = (uint64_t)a->remote_port | (uint64_t)b->wgen << 32;
	r->fds[0] = b->owner->sock;
	r->nfds = 1;
	return 0;
}

static void
xd_proc_input(struct xensim_proc *p)
{
	static uint8_t inl[XENSIM_RECV_INLINE];
	int budget;

	for (budget = 0; budget < 1; budget++) { /* epoll is level-triggered */
		struct xd_reply r;
		struct xensim_hdr q;
		void *buf;
		size_t len;
		int fds[2], rc, error = 0;
		const uint8_t *body;

		rc = xensim_msg_recv(p->sock, inl, &buf, &len, fds);
		if (rc == -EAGAIN)
			return;
		if (rc < 0) {
			xd_proc_close(p);
			return;
		}
		if (fds[0] >= 0)
			close(fds[0]);
		if (fds[1] >= 0)
			close(fds[1]);
		memcpy(&q, buf, sizeof(q));
		body = (const uint8_t *)buf + sizeof(q);
		len -= sizeof(q);
		memset(&r, 0, sizeof(r));
		r.h.op = q.op;
		r.fds[0] = r.fds[1] = -1;
		switch (q.op) {
		case XENSIM_OP_HELLO:
			r.fds[0] = xensim_machine_memfd();
			r.fds[1] = xd_memfd_ro;
			r.nfds = 2;
			r.h.a = XENSIM_MACHINE_FRAMES;
			r.h.b = p->dom->domid;
			break;
		case XENSIM_OP_OPEN:
			error = xd_open_file(p, &q, &r);
			break;
		case XENSIM_OP_ADOPT: {
			struct xensim_file *f;

			error = ENOENT;
			for (f = xd_files; f != NULL; f = f->next) {
				if (f->dom == p->dom &&
				    (uint64_t)f->client_ino == q.a) {
					r.h.id = f->id;
					r.h.a = (uint64_t)f->kind;
					error = 0;
					break;
				}
			}
			break;
		}
		case XENSIM_OP_IOCTL:
			error = xd_do_ioctl(p, &q, body, len, &r);
			break;
		case XENSIM_OP_MMAP:
			error = xd_do_mmap(p, &q, &r);
			break;
		case XENSIM_OP_EVTFAST:
			error = xd_evtfast(p, &q, &r);
			break;
		case XENSIM_OP_MUNMAP:
			if (q.b + q.c < q.b)
				error = EINVAL;
			else
				error = xd_proc_unmap(p, q.b, q.b + q.c) < 0 ?
					ENOMEM : 0;
			break;
		case XENSIM_OP_NOTIFY: {
			struct xensim_file *f = xd_file_find(q.id, p->dom);
			struct xensim_port *port;

			if (f != NULL && f->kind == XENSIM_KIND_EVTCHN &&
			    q.a < UINT32_MAX) {
				port = xensim_port_get(p->dom, (uint32_t)q.a);
				if (port != NULL && port->owner == f)
					xd_notify(p->dom, port, (uint32_t)q.a,
						  q.c);
			}
			if (buf != inl)
				free(buf);
			continue; /* one way */
		}
		default:
			error = EPROTO;
			break;
		}
		if (buf != inl)
			free(buf);
		if (error != 0) {
			r.len = 0;
			r.h.datalen = r.h.nsegs = r.h.nruns = 0;
			xd_fail(&r, error);
		}
		if (r.h.ret >= 0)
			r.h.err = 0;
		rc = xensim_msg_send(p->sock, &r.h, r.body, r.len,
				     r.nfds > 0 && r.fds[0] >= 0 ? r.fds : NULL,
				     r.nfds > 0 && r.fds[0] >= 0 ? r.nfds : 0);
		if (q.op == XENSIM_OP_OPEN && r.fds[0] >= 0)
			close(r.fds[0]); /* the process has it now */
		free(r.body);
		if (rc < 0) {
			xd_proc_close(p);
			return;
		}
	}
}

/* ---- xenstore connections ---- */

static void
xd_xs_flush(struct xensim_xs *x)
{
	ssize_t n;

	while (x->out_len > 0 && !x->dead) {
		n = send(x->sock, x->out, x->out_len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			x->dead = true;
			break;
		}
		memmove(x->out, x->out + n, x->out_len - (size_t)n);
		x->out_len -= (size_t)n;
	}
	if ((x->out_len > 0) != x->want_out && !x->dead) {
		x->want_out = x->out_len > 0;
		xd_ep_mod(x->sock, EPOLLIN | (x->want_out ? EPOLLOUT : 0),
			  &x->tag);
	}
}

static void
xd_xs_send(void *opaque, const void *buf, size_t len)
{
	struct xensim_xs *x = opaque;

	if (x->dead)
		return;
	if (x->out_len + len > x->out_cap) {
		size_t ncap = x->out_cap ? x->out_cap : 4096;
		uint8_t *n;

		while (ncap < x->out_len + len)
			ncap *= 2;
		/* A client that never reads loses its connection. */
		if (ncap > 16u * 1024 * 1024) {
			x->dead = true;
			return;
		}
		n = realloc(x->out, ncap);
		if (n == NULL) {
			x->dead = true;
			return;
		}
		x->out = n;
		x->out_cap = ncap;
	}
	memcpy(x->out + x->out_len, buf, len);
	x->out_len += len;
	xd_xs_flush(x);
}

static void
xd_xs_close(struct xensim_xs *x)
{
	struct xensim_xs **pp;

	for (pp = &xd_xss; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == x) {
			*pp = x->next;
			break;
		}
	}
	xensim_fault_xs_forget(x->xc);
	xs_conn_destroy(x->xc);
	xd_ep_del(x->sock);
	close(x->sock);
	free(x->out);
	free(x);
}

static void
xd_xs_reap(void)
{
	struct xensim_xs *x, *next;

	for (x = xd_xss; x != NULL; x = next) {
		next = x->next;
		if (x->dead)
			xd_xs_close(x);
	}
}

static void
xd_xs_input(struct xensim_xs *x, uint32_t events)
{
	uint8_t buf[16384];
	ssize_t n;

	if (events & EPOLLOUT)
		xd_xs_flush(x);
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	for (;;) {
		n = recv(x->sock, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0 || xensim_fault_xs_input(x->xc, buf, (size_t)n,
						    xd_xs_send, x) < 0) {
			x->dead = true;
			return;
		}
	}
}

static void
xd_xs_accept(struct xensim_domain *d)
{
	struct xensim_xs *x;
	int fd;

	while ((fd = accept4(d->xs_listen, NULL, NULL,
			     SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
		x = calloc(1, sizeof(*x));
		if (x == NULL) {
			close(fd);
			continue;
		}
		x->tag.type = EP_XS;
		x->tag.obj = x;
		x->sock = fd;
		x->pid = xd_peer_pid(fd);
		x->dom = d;
		x->xc = xs_conn_create(xd_store, d->domid, xd_xs_send, x);
		if (x->xc == NULL || xd_ep_add(fd, EPOLLIN, &x->tag) < 0) {
			if (x->xc != NULL)
				xs_conn_destroy(x->xc);
			close(fd);
			free(x);
			continue;
		}
		x->next = xd_xss;
		xd_xss = x;
	}
}

static void
xd_ctl_accept(struct xensim_domain *d)
{
	struct xensim_proc *p;
	int fd;

	while ((fd = accept4(d->ctl_listen, NULL, NULL,
			     SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
		p = calloc(1, sizeof(*p));
		if (p == NULL) {
			close(fd);
			continue;
		}
		p->tag.type = EP_PROC;
		p->tag.obj = p;
		p->sock = fd;
		p->pid = xd_peer_pid(fd);
		p->dom = d;
		if (xd_ep_add(fd, EPOLLIN, &p->tag) < 0) {
			close(fd);
			free(p);
			continue;
		}
		p->next = xd_procs;
		xd_procs = p;
	}
}

/* ---- management ---- */

struct xd_counts {
	uint64_t grants, maps, mapped, shared, parked, ports, files, nodes;
	uint64_t procs;
};

static bool
xd_pid_alive(pid_t pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

static void
xd_domain_counts(struct xensim_domain *d, struct xd_counts *c)
{
	struct gntdev_stats st;
	struct xs_stats xs;
	struct xensim_proc *p;
	struct xensim_xs *x;
	struct xensim_mgmt *m;
	pid_t pids[256];
	unsigned int npids = 0, i;

#define ADD_PID(pid_)                                                   \
	do {                                                            \
		for (i = 0; i < npids && pids[i] != (pid_); i++)        \
			;                                               \
		if (i == npids && npids < 256 && (pid_) > 0)            \
			pids[npids++] = (pid_);                         \
	} while (0)

	memset(c, 0, sizeof(*c));
	gntdev_core_stats(d->core, &st);
	c->grants = d->gnttab_used;
	c->maps = st.grant_maps;
	c->mapped = st.mapped_grants;
	c->shared = st.shared_pages;
	c->parked = st.parked_pages;
	c->files = st.files;
	c->ports = d->ports_used;
	xs_store_domain_stats(xd_store, d->domid, &xs);
	c->nodes = xs.nodes;
	for (p = xd_procs; p != NULL; p = p->next)
		if (p->dom == d)
			ADD_PID(p->pid);
	for (x = xd_xss; x != NULL; x = x->next)
		if (x->dom == d)
			ADD_PID(x->pid);
	for (m = xd_mgmts; m != NULL; m = m->next)
		if (m->att_domid == (int)d->domid && xd_pid_alive(m->att_pid))
			ADD_PID(m->att_pid);
#undef ADD_PID
	c->procs = npids;
}

static size_t
xd_status(char *out, size_t cap, bool json)
{
	struct xd_counts c, t;
	size_t len = 0;
	uint32_t id;
	bool first = true;

#define OUT(...)                                                        \
	do {                                                            \
		int n_ = snprintf(out + len, cap - len, __VA_ARGS__);   \
		if (n_ > 0)                                             \
			len += (size_t)n_ < cap - len ? (size_t)n_ : cap - len - 1; \
	} while (0)

	memset(&t, 0, sizeof(t));
	if (json)
		OUT("{\"domains\":[");
	else
		OUT("%-7s %7s %7s %7s %7s %7s %7s %7s %7s %6s\n", "domain",
		    "grants", "maps", "mapped", "shared", "parked", "ports",
		    "files", "xsnodes", "procs");
	for (id = 0; id <= XENSIM_MAX_DOMID; id++) {
		struct xensim_domain *d = xensim_domain_get(id);

		if (d == NULL)
			continue;
		xd_domain_counts(d, &c);
		t.grants += c.grants;
		t.maps += c.maps;
		t.mapped += c.mapped;
		t.shared += c.shared;
		t.parked += c.parked;
		t.ports += c.ports;
		t.files += c.files;
		t.nodes += c.nodes;
		t.procs += c.procs;
		if (json)
			OUT("%s{\"domid\":%u,\"alive\":%s,\"grants\":%llu,"
			    "\"grant_maps\":%llu,\"mapped_grants\":%llu,"
			    "\"shared_pages\":%llu,\"parked_pages\":%llu,"
			    "\"ports\":%llu,\"files\":%llu,\"xenstore_nodes\":%llu,"
			    "\"processes\":%llu}",
			    first ? "" : ",", id, d->alive ? "true" : "false",
			    (unsigned long long)c.grants,
			    (unsigned long long)c.maps,
			    (unsigned long long)c.mapped,
			    (unsigned long long)c.shared,
			    (unsigned long long)c.parked,
			    (unsigned long long)c.ports,
			    (unsigned long long)c.files,
			    (unsigned long long)c.nodes,
			    (unsigned long long)c.procs);
		else
			OUT("%-7u %7llu %7llu %7llu %7llu %7llu %7llu %7llu %7llu %6llu%s\n",
			    id, (unsigned long long)c.grants,
			    (unsigned long long)c.maps,
			    (unsigned long long)c.mapped,
			    (unsigned long long)c.shared,
			    (unsigned long long)c.parked,
			    (unsigned long long)c.ports,
			    (unsigned long long)c.files,
			    (unsigned long long)c.nodes,
			    (unsigned long long)c.procs,
			    d->alive ? "" : " (destroyed)");
		first = false;
	}
	if (json)
		OUT("],\"total\":{\"grants\":%llu,\"grant_maps\":%llu,"
		    "\"mapped_grants\":%llu,\"shared_pages\":%llu,"
		    "\"parked_pages\":%llu,\"ports\":%llu,\"files\":%llu,"
		    "\"xenstore_nodes\":%llu,\"processes\":%llu,"
		    "\"machine_frames\":%llu}}\n",
		    (unsigned long long)t.grants, (unsigned long long)t.maps,
		    (unsigned long long)t.mapped, (unsigned long long)t.shared,
		    (unsigned long long)t.parked, (unsigned long long)t.ports,
		    (unsigned long long)t.files, (unsigned long long)t.nodes,
		    (unsigned long long)t.procs,
		    (unsigned long long)xensim_frames_used());
	else
		OUT("%-7s %7llu %7llu %7llu %7llu %7llu %7llu %7llu %7llu %6llu\n",
		    "total", (unsigned long long)t.grants,
		    (unsigned long long)t.maps, (unsigned long long)t.mapped,
		    (unsigned long long)t.shared, (unsigned long long)t.parked,
		    (unsigned long long)t.ports, (unsigned long long)t.files,
		    (unsigned long long)t.nodes, (unsigned long long)t.procs);
#undef OUT
	return len;
}

static uint64_t
xd_leaks(void)
{
	struct xd_counts c;
	uint64_t sum = 0;
	uint32_t id;

	for (id = 0; id <= XENSIM_MAX_DOMID; id++) {
		struct xensim_domain *d = xensim_domain_get(id);

		if (d == NULL)
			continue;
		xd_domain_counts(d, &c);
		sum += c.grants + c.maps + c.mapped + c.shared + c.parked +
		       c.ports;
	}
	return sum;
}

/* SIGKILL the processes of domain `domid` (-1: all domains). */
static void
xd_kill(int domid)
{
	struct xensim_proc *p;
	struct xensim_xs *x;
	struct xensim_mgmt *m;
	pid_t self = getpid();

	for (m = xd_mgmts; m != NULL; m = m->next) {
		if (m->att_domid < 0 || (domid >= 0 && m->att_domid != domid))
			continue;
		if (m->att_pgid > 1 && m->att_pgid != getpgrp())
			(void)kill(-m->att_pgid, SIGKILL);
		if (m->att_pid > 1 && m->att_pid != self)
			(void)kill(m->att_pid, SIGKILL);
	}
	for (p = xd_procs; p != NULL; p = p->next)
		if ((domid < 0 || p->dom->domid == domid) && p->pid > 1 &&
		    p->pid != self)
			(void)kill(p->pid, SIGKILL);
	for (x = xd_xss; x != NULL; x = x->next)
		if ((domid < 0 || x->dom->domid == domid) && x->pid > 1 &&
		    x->pid != self)
			(void)kill(x->pid, SIGKILL);
}

/* The domain is gone: drop whatever its processes left, close its ports. */
static void
xd_release(struct xensim_domain *d)
{
	struct xensim_proc *p, *pn;
	struct xensim_file *f, *fn;
	struct xensim_xs *x;
	uint32_t port;

	for (p = xd_procs; p != NULL; p = pn) {
		pn = p->next;
		if (p->dom == d)
			xd_proc_close(p);
	}
	for (f = xd_files; f != NULL; f = fn) {
		fn = f->next;
		if (f->dom == d)
			xd_file_close(f);
	}
	for (x = xd_xss; x != NULL; x = x->next)
		if (x->dom == d)
			x->dead = true;
	xd_xs_reap();
	for (port = 1; port < d->ports_cap; port++)
		xensim_port_close(d, port);
	if (d->alive) {
		xd_ep_del(d->ctl_listen);
		close(d->ctl_listen);
		xd_ep_del(d->xs_listen);
		close(d->xs_listen);
		d->ctl_listen = d->xs_listen = -1;
		xd_unlink("dom-%u.sock", d->domid);
		xd_unlink("xs-%u.sock", d->domid);
		d->alive = false;
		(void)xs_store_release_domain(xd_store, d->domid);
	}
	xensim_reclaim_arm(d, 0);
}

static void
xd_mgmt_close(struct xensim_mgmt *m)
{
	struct xensim_mgmt **pp;

	for (pp = &xd_mgmts; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == m) {
			*pp = m->next;
			break;
		}
	}
	xd_ep_del(m->sock);
	close(m->sock);
	free(m);
}

static void
xd_mgmt_input(struct xensim_mgmt *m)
{
	static char out[256 * 1024];
	char req[256], arg[64];
	ssize_t n;
	size_t len = 0;
	unsigned int a = 0, b = 0, c = 0;

	n = recv(m->sock, req, sizeof(req) - 1, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		xd_mgmt_close(m);
		return;
	}
	req[n] = '\0';
	arg[0] = '\0';
	if (strcmp(req, "ping") == 0) {
		len = (size_t)snprintf(out, sizeof(out), "ok %d", (int)getpid());
	} else if (sscanf(req, "introduce %u", &a) == 1) {
		int rc = a <= XENSIM_MAX_DOMID ? xd_domain_introduce(a) : -EINVAL;

		len = (size_t)snprintf(out, sizeof(out), rc == 0 ? "ok" :
				       "error %s", strerror(-rc));
	} else if (sscanf(req, "attach %u %u %u", &a, &b, &c) == 3) {
		m->att_domid = a <= XENSIM_MAX_DOMID ? (int)a : -1;
		m->att_pid = (pid_t)b;
		m->att_pgid = (pid_t)c;
		len = (size_t)snprintf(out, sizeof(out), "ok");
	} else if (strcmp(req, "status") == 0) {
		len = xd_status(out, sizeof(out), false);
	} else if (strcmp(req, "status-json") == 0) {
		len = xd_status(out, sizeof(out), true);
	} else if (strcmp(req, "leaks") == 0) {
		len = (size_t)snprintf(out, sizeof(out), "%llu",
				       (unsigned long long)xd_leaks());
	} else if (sscanf(req, "procs %63s", arg) == 1) {
		struct xd_counts cnt;
		unsigned long long sum = 0;
		uint32_t id;

		for (id = 0; id <= XENSIM_MAX_DOMID; id++) {
			struct xensim_domain *d = xensim_domain_get(id);

			if (d == NULL || (strcmp(arg, "all") != 0 &&
					  (unsigned long)atol(arg) != id))
				continue;
			xd_domain_counts(d, &cnt);
			sum += cnt.procs;
		}
		len = (size_t)snprintf(out, sizeof(out), "%llu", sum);
	} else if (sscanf(req, "kill %63s", arg) == 1) {
		xd_kill(strcmp(arg, "all") == 0 ? -1 : atoi(arg));
		len = (size_t)snprintf(out, sizeof(out), "ok");
	} else if (sscanf(req, "release %u", &a) == 1) {
		struct xensim_domain *d = xensim_domain_get(a);

		if (d == NULL || !d->alive) {
			len = (size_t)snprintf(out, sizeof(out),
					       "error no such domain");
		} else {
			xd_release(d);
			len = (size_t)snprintf(out, sizeof(out), "ok");
		}
	} else if (strcmp(req, "stop") == 0) {
		xd_stop = true;
		len = (size_t)snprintf(out, sizeof(out), "ok");
	} else {
		len = (size_t)snprintf(out, sizeof(out), "error unknown request");
	}
	if (send(m->sock, out, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		xd_mgmt_close(m);
}

static void
xd_mgmt_accept(void)
{
	struct xensim_mgmt *m;
	int fd;

	while ((fd = accept4(xd_mgmt_listen, NULL, NULL,
			     SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
		m = calloc(1, sizeof(*m));
		if (m == NULL) {
			close(fd);
			continue;
		}
		m->tag.type = EP_MGMT;
		m->tag.obj = m;
		m->sock = fd;
		m->att_domid = -1;
		if (xd_ep_add(fd, EPOLLIN, &m->tag) < 0) {
			close(fd);
			free(m);
			continue;
		}
		m->next = xd_mgmts;
		xd_mgmts = m;
	}
}

static void
xd_cleanup(void)
{
	uint32_t id;

	for (id = 0; id <= XENSIM_MAX_DOMID; id++) {
		struct xensim_domain *d = xensim_domain_get(id);

		if (d != NULL && d->alive) {
			xd_unlink("dom-%u.sock", id);
			xd_unlink("xs-%u.sock", id);
		}
	}
	{
		char path[512];

		snprintf(path, sizeof(path), "%s/ctl.sock", xd_dir);
		(void)unlink(path);
	}
}

/*
 * XENSIM_GNTALLOC_LIMIT: the gntalloc page limit of each domain, as Linux's
 * xen_gntalloc.limit module parameter (default 1024).  -1 when the value is
 * not a whole number from 0 to 2^32-1.
 */
static int
xd_gntalloc_limit_from_env(void)
{
	const char *env = getenv("XENSIM_GNTALLOC_LIMIT");
	unsigned long long v;
	char *end;

	if (env == NULL || *env == '\0')
		return 0;
	if (*env < '0' || *env > '9')
		return -1;
	errno = 0;
	v = strtoull(env, &end, 10);
	if (errno != 0 || *end != '\0' || v > UINT32_MAX)
		return -1;
	xd_gntalloc_limit = (uint32_t)v;
	return 0;
}

/* XENSIM_SPIN_US: busy-poll window after activity (0 turns it off). */
static uint64_t
xd_spin_ns(void)
{
	const char *env = getenv("XENSIM_SPIN_US");
	long us = env != NULL ? atol(env) : 50;

	if (us < 0)
		us = 0;
	if (us > 10000)
		us = 10000;
	return (uint64_t)us * 1000ULL;
}

int
xensim_daemon_main(const char *dir, int ready_fd)
{
	struct epoll_event evs[64];
	char path[512], memfd_path[64];
	sigset_t sigs;
	uint64_t spin_ns, last_ns = 0;
	int sfd, lockfd, i, n, rc;

	xd_dir = dir;
	signal(SIGPIPE, SIG_IGN);
	{
		char ferr[256];

		if (xensim_fault_configure_from_env(ferr, sizeof(ferr)) != 0) {
			xd_log("XENSIM_FAULTS: %s", ferr);
			return 1;
		}
		xensim_fault_set_log(stderr);
		if (xensim_fault_enabled())
			xd_log("fault injection: %s", getenv("XENSIM_FAULTS"));
	}
	if (xd_gntalloc_limit_from_env() != 0) {
		xd_log("XENSIM_GNTALLOC_LIMIT: not a page count: %s",
		       getenv("XENSIM_GNTALLOC_LIMIT"));
		return 1;
	}
	if (xd_gntalloc_limit != XD_GNTALLOC_LIMIT_DEFAULT)
		xd_log("gntalloc limit: %u pages per domain", xd_gntalloc_limit);
	{
		/* One descriptor per device file: take all we may. */
		struct rlimit rl;

		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			(void)setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	snprintf(path, sizeof(path), "%s/xensimd.lock", dir);
	lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lockfd < 0 || flock(lockfd, LOCK_EX | LOCK_NB) < 0) {
		xd_log("another daemon runs in %s", dir);
		return 1;
	}
	rc = xensim_machine_init();
	if (rc < 0) {
		xd_log("machine memory: %s", strerror(-rc));
		return 1;
	}
	/* A read-only view of machine memory, for read-only grant maps. */
	snprintf(memfd_path, sizeof(memfd_path), "/proc/self/fd/%d",
		 xensim_machine_memfd());
	xd_memfd_ro = open(memfd_path, O_RDONLY | O_CLOEXEC);
	if (xd_memfd_ro < 0) {
		xd_log("read-only memfd: %s", strerror(errno));
		return 1;
	}
	xd_store = xs_store_create();
	xd_epfd = epoll_create1(EPOLL_CLOEXEC);
	if (xd_store == NULL || xd_epfd < 0) {
		xd_log("setup failed");
		return 1;
	}
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd >= 0)
		xd_ep_add(sfd, EPOLLIN, &xd_tag_signal);
	xd_mgmt_listen = xd_listen("ctl.sock", SOCK_SEQPACKET);
	if (xd_mgmt_listen < 0) {
		xd_log("ctl.sock: %s", strerror(-xd_mgmt_listen));
		return 1;
	}
	xd_ep_add(xd_mgmt_listen, EPOLLIN, &xd_tag_mgmt_listen);
	rc = xd_domain_introduce(0);
	if (rc < 0) {
		xd_log("domain 0: %s", strerror(-rc));
		xd_cleanup();
		return 1;
	}
	if (ready_fd >= 0) {
		(void)!write(ready_fd, "R", 1);
		close(ready_fd);
	}
	spin_ns = xd_spin_ns();
	while (!xd_stop) {
		/*
		 * Right after activity, poll without sleeping for a few tens
		 * of microseconds: waking a sleeping daemon costs more than
		 * an event round trip should.
		 */
		n = epoll_wait(xd_epfd, evs, 64,
			       spin_ns > 0 && xd_now_ns() - last_ns < spin_ns ?
			       0 : -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (n == 0)
			continue;
		if (spin_ns > 0)
			last_ns = xd_now_ns();
		for (i = 0; i < n && !xd_stop; i++) {
			struct xensim_eptag *tag = evs[i].data.ptr;
			int type = tag->type;

			switch (type) {
			case EP_MGMT_LISTEN:
				xd_mgmt_accept();
				break;
			case EP_MGMT:
				xd_mgmt_input(tag->obj);
				break;
			case EP_CTL_LISTEN:
				xd_ctl_accept(tag->obj);
				break;
			case EP_PROC:
				xd_proc_input(tag->obj);
				break;
			case EP_XS_LISTEN:
				xd_xs_accept(tag->obj);
				break;
			case EP_XS:
				xd_xs_input(tag->obj, evs[i].events);
				break;
			case EP_FILE:
				xd_file_input(tag->obj, evs[i].events);
				break;
			case EP_RECLAIM:
				xd_reclaim_fire(tag->obj);
				break;
			case EP_SIGNAL:
				xd_stop = true;
				break;
			}
			/*
			 * A close above may free an object a later event of
			 * this batch points to: restart the batch then.
			 */
			if (type == EP_PROC || type == EP_FILE ||
			    type == EP_MGMT || type == EP_XS) {
				xd_xs_reap();
				break;
			}
		}
	}
	if (xensim_fault_enabled()) {
		char line[1024];

		xensim_fault_summary(line, sizeof(line));
		xd_log("%s", line);
	}
	xd_cleanup();
	return 0;
}

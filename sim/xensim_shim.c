/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libxensim.so: the preload shim that stands at the syscall boundary of a
 * process in a simulated domain.
 *
 * It interposes open/openat (and their fortified and 64-bit names) of
 * /dev/xen/{gntdev,gntalloc,evtchn}, ioctl, mmap and munmap.  Everything
 * else goes straight to the next definition (libc) through dlsym(RTLD_NEXT).
 *
 * A device open returns a real descriptor: one end of a socketpair whose
 * other end the daemon holds.  ioctls and mmaps go over the process's control
 * connection ($XENSIM_DIR/dom-$XENSIM_DOMID.sock).  Mapped and shared pages
 * are mmaps of the machine-memory memfd, so data moves between domains
 * through plain shared memory.  The descriptor table entries carry the
 * socket's inode, checked with fstat on every use, so a descriptor closed
 * and reused behind our back is never mistaken for a device; descriptors
 * inherited across exec are recognised by asking the daemon (ADOPT).
 *
 * User memory is read and written with process_vm_readv/writev on ourselves
 * so that a bad pointer gives EFAULT instead of a crash.  One mutex guards
 * the connection and the tables; fork gives the child its own connection.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "gntdev.h"
#include "xensim_proto.h"

#define SHIM_EXPORT __attribute__((visibility("default")))
#define SHIM_PORT_CACHE 16
#define SHIM_BELL_FD_MIN 256    /* doorbells stay out of the low numbers */
#define SHIM_EVT_SLICES 64      /* domains whose state words we map */

/*
 * A port this descriptor bound, and its fast path (see shim_notify_fast):
 * the doorbell into the file the other end is bound to, learnt from the
 * daemon under generation gen_a of our port's word and gen_b of the
 * remote's.
 */
struct shim_port {
	uint32_t port;
	uint32_t gen_a;         /* 0: no doorbell learnt */
	uint32_t slow_gen;      /* the daemon said "no fast path" at this gen */
	bool     slow_ioctl;    /* ... and "ask me": notify faults are armed */
	uint16_t rdom;
	uint32_t rport;
	uint32_t gen_b;
	int      bell;          /* -1: none */
	ino_t    bell_ino;
};

struct shim_fd {
	ino_t    ino;           /* 0: free */
	uint64_t id;
	int      kind;
	uint32_t nports;
	struct shim_port ports[SHIM_PORT_CACHE]; /* bound ports */
	int      self_bell;     /* our own file's doorbell, for unmask */
	ino_t    self_bell_ino;
	bool     self_tried;
};

struct shim_evslice {
	uint32_t  domid;
	uint64_t *words;
};

struct shim_vma {
	uintptr_t start, end;
};

static pthread_mutex_t shim_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t shim_once = PTHREAD_ONCE_INIT;
static int shim_sock = -1;
static ino_t shim_sock_ino;
static int shim_memfd = -1, shim_memfd_ro = -1;
static struct shim_fd *shim_fds;
static int shim_nfds;
static struct shim_vma *shim_vmas;
static size_t shim_nvmas, shim_capvmas;
static uint8_t shim_inl[XENSIM_RECV_INLINE];
static uint32_t shim_domid = UINT32_MAX;
static struct shim_evslice shim_slices[SHIM_EVT_SLICES];
static unsigned int shim_nslices;
/* Descriptors that were evtchn files here: write() looks only at these. */
#define SHIM_EVT_BITMAP_FDS 4096
static uint64_t shim_evt_fdbits[SHIM_EVT_BITMAP_FDS / 64];

static int (*real_open)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_ioctl)(int, unsigned long, ...);
static void *(*real_mmap)(void *, size_t, int, int, int, off_t);
static int (*real_munmap)(void *, size_t);
static ssize_t (*real_write)(int, const void *, size_t);

static void
shim_atfork_prepare(void)
{
	pthread_mutex_lock(&shim_lock);
}

static void
shim_atfork_parent(void)
{
	pthread_mutex_unlock(&shim_lock);
}

static void
shim_atfork_child(void)
{
	pthread_mutex_init(&shim_lock, NULL);
	/* The child gets its own connection; grant maps are not inherited. */
	if (shim_sock >= 0)
		close(shim_sock);
	shim_sock = -1;
	shim_nvmas = 0;
}

static void
shim_init(void)
{
	real_open = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
	real_openat = (int (*)(int, const char *, int, ...))dlsym(RTLD_NEXT,
								   "openat");
	real_ioctl = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
	real_mmap = (void *(*)(void *, size_t, int, int, int, off_t))
		dlsym(RTLD_NEXT, "mmap");
	real_munmap = (int (*)(void *, size_t))dlsym(RTLD_NEXT, "munmap");
	real_write = (ssize_t (*)(int, const void *, size_t))
		dlsym(RTLD_NEXT, "write");
	pthread_atfork(shim_atfork_prepare, shim_atfork_parent,
		       shim_atfork_child);
}

static void
shim_resolve(void)
{
	pthread_once(&shim_once, shim_init);
}

/* Resolved at load, so that write() in a signal handler never inits. */
__attribute__((constructor)) static void
shim_load(void)
{
	shim_resolve();
}

static int
shim_kind_of_path(const char *path)
{
	if (path == NULL || strncmp(path, "/dev/xen/", 9) != 0)
		return 0;
	if (strcmp(path + 9, "gntdev") == 0)
		return XENSIM_KIND_GNTDEV;
	if (strcmp(path + 9, "gntalloc") == 0)
		return XENSIM_KIND_GNTALLOC;
	if (strcmp(path + 9, "evtchn") == 0)
		return XENSIM_KIND_EVTCHN;
	if (strcmp(path + 9, "privcmd") == 0)
		return -1;
	return 0;
}

/* ---- the control connection (shim_lock held) ---- */

static int
shim_request(const struct xensim_hdr *q, const void *body, size_t len,
	     struct xensim_hdr *rep, void **rbufp, size_t *rlenp, int fds[2])
{
	void *buf;
	size_t blen;
	int rc, tmp[2];

	rc = xensim_msg_send(shim_sock, q, body, len, NULL, 0);
	if (rc < 0)
		return rc;
	rc = xensim_msg_recv(shim_sock, shim_inl, &buf, &blen, fds ? fds : tmp);
	if (rc < 0)
		return rc;
	if (fds == NULL) {
		if (tmp[0] >= 0)
			close(tmp[0]);
		if (tmp[1] >= 0)
			close(tmp[1]);
	}
	memcpy(rep, buf, sizeof(*rep));
	if (rbufp != NULL) {
		*rbufp = buf;
		*rlenp = blen;
	} else if (buf != shim_inl) {
		free(buf);
	}
	return 0;
}

static void
shim_free_reply(void *buf)
{
	if (buf != shim_inl)
		free(buf);
}

/* Make sure this process has a live connection; 0 or -errno. */
static int
shim_connect(void)
{
	const char *dir = getenv("XENSIM_DIR"), *dom = getenv("XENSIM_DOMID");
	struct sockaddr_un sa;
	struct xensim_hdr q, r;
	struct stat st;
	int fd, fds[2], rc;

	if (shim_sock >= 0) {
		if (fstat(shim_sock, &st) == 0 && st.st_ino == shim_sock_ino)
			return 0;
		shim_sock = -1; /* closed behind our back */
	}
	if (dir == NULL || dom == NULL)
		return -ENOENT;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/dom-%s.sock",
			     dir, dom) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		close(fd);
		return rc == -ECONNREFUSED ? -ENOENT : rc;
	}
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	shim_sock = fd;
	shim_sock_ino = st.st_ino;
	memset(&q, 0, sizeof(q));
	q.op = XENSIM_OP_HELLO;
	rc = shim_request(&q, NULL, 0, &r, NULL, NULL, fds);
	if (rc < 0 || fds[0] < 0 || fds[1] < 0) {
		if (rc >= 0) {
			if (fds[0] >= 0)
				close(fds[0]);
			if (fds[1] >= 0)
				close(fds[1]);
		}
		close(fd);
		shim_sock = -1;
		return rc < 0 ? rc : -EPROTO;
	}
	if (shim_memfd >= 0)
		close(shim_memfd);
	if (shim_memfd_ro >= 0)
		close(shim_memfd_ro);
	shim_memfd = fds[0];
	shim_memfd_ro = fds[1];
	shim_domid = (uint32_t)r.b;
	return 0;
}

/* ---- descriptor table (shim_lock held) ---- */

static struct shim_fd *
shim_fd_slot(int fd, bool create)
{
	if (fd < 0)
		return NULL;
	if (fd >= shim_nfds) {
		int n = shim_nfds ? shim_nfds : 64;
		struct shim_fd *t;

		if (!create)
			return NULL;
		while (n <= fd)
			n *= 2;
		t = realloc(shim_fds, (size_t)n * sizeof(*t));
		if (t == NULL)
			return NULL;
		memset(t + shim_nfds, 0, (size_t)(n - shim_nfds) * sizeof(*t));
		shim_fds = t;
		shim_nfds = n;
	}
	return &shim_fds[fd];
}

/* Close a doorbell we hold, unless the program reused its number. */
static void
shim_bell_close(int *fdp, ino_t ino)
{
	struct stat st;

	if (*fdp >= 0 && fstat(*fdp, &st) == 0 && st.st_ino == ino)
		close(*fdp);
	*fdp = -1;
}

static void
shim_port_drop_bell(struct shim_port *sp)
{
	shim_bell_close(&sp->bell, sp->bell_ino);
	sp->gen_a = 0;
}

/* Forget an entry (its descriptor was closed): its doorbells go. */
static void
shim_fd_release(struct shim_fd *e)
{
	uint32_t i;

	if (e->ino != 0) {
		for (i = 0; i < e->nports; i++)
			shim_port_drop_bell(&e->ports[i]);
		shim_bell_close(&e->self_bell, e->self_bell_ino);
	}
	memset(e, 0, sizeof(*e));
	e->self_bell = -1;
}

static void
shim_fd_init(struct shim_fd *e, ino_t ino, uint64_t id, int kind, int fd)
{
	shim_fd_release(e);
	e->ino = ino;
	e->id = id;
	e->kind = kind;
	if (kind == XENSIM_KIND_EVTCHN && fd < SHIM_EVT_BITMAP_FDS)
		__atomic_fetch_or(&shim_evt_fdbits[fd / 64], 1ULL << (fd % 64),
				  __ATOMIC_RELAXED);
}

/*
 * Before taking a new doorbell: release those of evtchn descriptors the
 * program closed since (close() is not interposed).
 */
static void
shim_fd_sweep(void)
{
	struct stat st;
	int fd;

	for (fd = 0; fd < shim_nfds; fd++) {
		struct shim_fd *e = &shim_fds[fd];

		if (e->ino == 0 || e->kind != XENSIM_KIND_EVTCHN ||
		    (e->nports == 0 && e->self_bell < 0))
			continue;
		if (fstat(fd, &st) < 0 || st.st_ino != e->ino)
			shim_fd_release(e);
	}
}

/*
 * The device file behind `fd`, or NULL if it is not one of ours.  Entries
 * are checked against the descriptor's inode; an unknown socket may be a
 * device inherited across exec, which the daemon recognises.
 */
static struct shim_fd *
shim_fd_lookup(int fd)
{
	struct shim_fd *e = shim_fd_slot(fd, false);
	struct xensim_hdr q, r;
	struct stat st;

	if (fstat(fd, &st) < 0)
		return NULL;
	if (e != NULL && e->ino != 0) {
		if (e->ino == st.st_ino)
			return e;
		shim_fd_release(e); /* closed and reused */
	}
	if (!S_ISSOCK(st.st_mode) || getenv("XENSIM_DIR") == NULL)
		return NULL;
	if (shim_connect() < 0)
		return NULL;
	memset(&q, 0, sizeof(q));
	q.op = XENSIM_OP_ADOPT;
	q.a = (uint64_t)st.st_ino;
	if (shim_request(&q, NULL, 0, &r, NULL, NULL, NULL) < 0 || r.ret < 0)
		return NULL;
	e = shim_fd_slot(fd, true);
	if (e == NULL)
		return NULL;
	shim_fd_init(e, st.st_ino, r.id, (int)r.a, fd);
	return e;
}

/* ---- open ---- */

static int
shim_open_dev(int kind, int flags)
{
	struct xensim_hdr q, r;
	struct shim_fd *e;
	int fds[2], rc, fd;

	pthread_mutex_lock(&shim_lock);
	rc = shim_connect();
	if (rc < 0)
		goto out;
	memset(&q, 0, sizeof(q));
	q.op = XENSIM_OP_OPEN;
	q.a = (uint64_t)kind;
	q.b = (uint64_t)(flags & O_ACCMODE);
	rc = shim_request(&q, NULL, 0, &r, NULL, NULL, fds);
	if (rc < 0)
		goto out;
	if (fds[1] >= 0)
		close(fds[1]);
	if (r.ret < 0 || fds[0] < 0) {
		if (fds[0] >= 0)
			close(fds[0]);
		rc = r.ret < 0 ? -r.err : -EPROTO;
		goto out;
	}
	fd = fds[0];
	/* It arrived close-on-exec; honour the caller's flags. */
	if (!(flags & O_CLOEXEC))
		(void)fcntl(fd, F_SETFD, 0);
	if (flags & O_NONBLOCK)
		(void)fcntl(fd, F_SETFL, O_NONBLOCK);
	e = shim_fd_slot(fd, true);
	if (e == NULL) {
		close(fd);
		rc = -ENOMEM;
		goto out;
	}
	shim_fd_init(e, (ino_t)r.a, r.id, kind, fd);
	rc = fd;
out:
	pthread_mutex_unlock(&shim_lock);
	if (rc < 0) {
		errno = -rc;
		return -1;
	}
	return rc;
}

static int
shim_open_common(int dirfd, const char *path, int flags, mode_t mode,
		 bool at)
{
	int kind;

	shim_resolve();
	kind = shim_kind_of_path(path);
	if (kind < 0 && getenv("XENSIM_DIR") != NULL) {
		/*
		 * privcmd: libxenctrl must open (vchan-socket-proxy's client
		 * opens it); every hypercall ioctl then fails with ENOTTY,
		 * as on a kernel without the call, which callers tolerate.
		 */
		return real_open("/dev/null", flags & (O_ACCMODE | O_CLOEXEC |
						       O_NONBLOCK));
	}
	if (kind > 0 && getenv("XENSIM_DIR") != NULL &&
	    getenv("XENSIM_DOMID") != NULL)
		return shim_open_dev(kind, flags);
	if (at)
		return real_openat(dirfd, path, flags, mode);
	return real_open(path, flags, mode);
}

static mode_t
shim_mode_arg(int flags, va_list ap)
{
	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
		return (mode_t)va_arg(ap, int);
	return 0;
}

SHIM_EXPORT int
open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = shim_mode_arg(flags, ap);
	va_end(ap);
	return shim_open_common(AT_FDCWD, path, flags, mode, false);
}

SHIM_EXPORT int
open64(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = shim_mode_arg(flags, ap);
	va_end(ap);
	return shim_open_common(AT_FDCWD, path, flags, mode, false);
}

SHIM_EXPORT int
openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = shim_mode_arg(flags, ap);
	va_end(ap);
	return shim_open_common(dirfd, path, flags, mode, true);
}

SHIM_EXPORT int
openat64(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = shim_mode_arg(flags, ap);
	va_end(ap);
	return shim_open_common(dirfd, path, flags, mode, true);
}

int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);

SHIM_EXPORT int
__open_2(const char *path, int flags)
{
	return shim_open_common(AT_FDCWD, path, flags, 0, false);
}

SHIM_EXPORT int
__open64_2(const char *path, int flags)
{
	return shim_open_common(AT_FDCWD, path, flags, 0, false);
}

SHIM_EXPORT int
__openat_2(int dirfd, const char *path, int flags)
{
	return shim_open_common(dirfd, path, flags, 0, true);
}

SHIM_EXPORT int
__openat64_2(int dirfd, const char *path, int flags)
{
	return shim_open_common(dirfd, path, flags, 0, true);
}

/* ---- user memory ---- */

/*
 * Whether [uaddr, uaddr + len) lies between our own frame and the top of
 * the calling thread's stack: that memory is mapped, so it can be read
 * directly.  libxenevtchn's arguments (NOTIFY's struct, the unmask word)
 * live there; process_vm_readv, which turns a bad pointer into EFAULT,
 * costs more than the rest of a notify.
 */
static __thread uintptr_t shim_stack_lo, shim_stack_hi;
static __thread bool shim_stack_known;

static bool
shim_on_stack(uint64_t uaddr, size_t len)
{
	uintptr_t here = (uintptr_t)__builtin_frame_address(0);

	if (!shim_stack_known) {
		pthread_attr_t at;
		size_t size;
		void *lo;

		shim_stack_known = true;
		if (pthread_getattr_np(pthread_self(), &at) == 0) {
			if (pthread_attr_getstack(&at, &lo, &size) == 0) {
				shim_stack_lo = (uintptr_t)lo;
				shim_stack_hi = (uintptr_t)lo + size;
			}
			pthread_attr_destroy(&at);
		}
	}
	/* Not on a signal's alternate stack, and the range above us. */
	return here >= shim_stack_lo && here < shim_stack_hi &&
		uaddr >= here && uaddr + len >= uaddr &&
		uaddr + len <= shim_stack_hi;
}

static int
shim_uread(uint64_t uaddr, void *buf, size_t len)
{
	struct iovec local = { buf, len };
	struct iovec remote = { (void *)(uintptr_t)uaddr, len };

	if (len == 0)
		return 0;
	if (shim_on_stack(uaddr, len)) {
		memcpy(buf, (const void *)(uintptr_t)uaddr, len);
		return 0;
	}
	return process_vm_readv(getpid(), &local, 1, &remote, 1, 0) ==
		(ssize_t)len ? 0 : -EFAULT;
}

static int
shim_uwrite(uint64_t uaddr, const void *buf, size_t len)
{
	struct iovec local = { (void *)(uintptr_t)buf, len };
	struct iovec remote = { (void *)(uintptr_t)uaddr, len };

	if (len == 0)
		return 0;
	return process_vm_writev(getpid(), &local, 1, &remote, 1, 0) ==
		(ssize_t)len ? 0 : -EFAULT;
}

/* ---- ioctl ---- */

struct shim_marshal {
	uint8_t *buf;
	size_t len, cap;
	uint32_t nsegs;
};

static int
shim_put(struct shim_marshal *m, const void *data, size_t len)
{
	if (m->len + len > m->cap) {
		size_t ncap = m->cap ? m->cap : 256;
		uint8_t *n;

		while (ncap < m->len + len)
			ncap *= 2;
		n = realloc(m->buf, ncap);
		if (n == NULL)
			return -ENOMEM;
		m->buf = n;
		m->cap = ncap;
	}
	memcpy(m->buf + m->len, data, len);
	m->len += len;
	return 0;
}

/* A segment of user memory: its bytes if readable, else marked invalid. */
static int
shim_put_seg(struct shim_marshal *m, uint64_t uaddr, uint64_t len)
{
	struct xensim_seg s;
	size_t at;

	if (len > (uint64_t)XENSIM_MAX_ARRAY * 8)
		return -EINVAL;
	s.uaddr = uaddr;
	s.len = (uint32_t)len;
	s.flags = XENSIM_SEG_VALID;
	at = m->len;
	if (shim_put(m, &s, sizeof(s)) < 0)
		return -ENOMEM;
	if (m->len + len > m->cap) {
		uint8_t *n = realloc(m->buf, m->len + (size_t)len);

		if (n == NULL)
			return -ENOMEM;
		m->buf = n;
		m->cap = m->len + (size_t)len;
	}
	if (shim_uread(uaddr, m->buf + m->len, (size_t)len) < 0) {
		s.flags = 0;
		s.len = 0;
		memcpy(m->buf + at, &s, sizeof(s));
		len = 0;
	}
	m->len += (size_t)len;
	m->nsegs++;
	return 0;
}

static struct shim_port *
shim_port_find(struct shim_fd *e, uint32_t port)
{
	uint32_t i;

	for (i = 0; i < e->nports; i++)
		if (e->ports[i].port == port)
			return &e->ports[i];
	return NULL;
}

static void
shim_port_add(struct shim_fd *e, uint32_t port)
{
	struct shim_port *sp;

	if (e->nports >= SHIM_PORT_CACHE || shim_port_find(e, port) != NULL)
		return;
	sp = &e->ports[e->nports++];
	memset(sp, 0, sizeof(*sp));
	sp->port = port;
	sp->bell = -1;
}

static void
shim_port_forget(struct shim_fd *e, uint32_t port)
{
	struct shim_port *sp = shim_port_find(e, port);

	if (sp == NULL)
		return;
	shim_port_drop_bell(sp);
	*sp = e->ports[--e->nports];
}

/* ---- event-channel fast path ---- */

/*
 * Domain `domid`'s state words (xensim_proto.h, XENSIM_EVW_*): a slice of
 * the machine memfd, mapped once.  They survive fork (no MADV_DONTFORK).
 */
static uint64_t *
shim_evw(uint32_t domid, uint32_t port)
{
	unsigned int i;
	void *va;

	if (port == 0 || port >= XENSIM_EVW_PORTS ||
	    domid >= XENSIM_EVW_DOMAINS)
		return NULL;
	for (i = 0; i < shim_nslices; i++)
		if (shim_slices[i].domid == domid)
			return &shim_slices[i].words[port];
	if (shim_nslices >= SHIM_EVT_SLICES ||
	    (shim_memfd < 0 && shim_connect() < 0))
		return NULL;
	va = real_mmap(NULL, XENSIM_EVW_DOMAIN_BYTES, PROT_READ | PROT_WRITE,
		       MAP_SHARED, shim_memfd, (off_t)(XENSIM_EVW_OFFSET +
		       (uint64_t)domid * XENSIM_EVW_DOMAIN_BYTES));
	if (va == MAP_FAILED)
		return NULL;
	shim_slices[shim_nslices].domid = domid;
	shim_slices[shim_nslices].words = va;
	shim_nslices++;
	return &((uint64_t *)va)[port];
}

/* A doorbell received from the daemon: moved up, its inode noted. */
static int
shim_bell_take(int fd, ino_t *inop)
{
	struct stat st;
	int hi;

	hi = fcntl(fd, F_DUPFD_CLOEXEC, SHIM_BELL_FD_MIN);
	if (hi >= 0) {
		close(fd);
		fd = hi;
	}
	if (fstat(fd, &st) < 0) {
		close(fd);
		return -1;
	}
	*inop = st.st_ino;
	return fd;
}

/* Ring a doorbell: the port lands in the remote file's read queue. */
static int
shim_bell_ring(int fd, ino_t ino, uint32_t port)
{
	struct stat st;
	ssize_t n;

	if (fd < 0 || fstat(fd, &st) < 0 || st.st_ino != ino)
		return -EBADF;
	do {
		n = send(fd, &port, 4, MSG_DONTWAIT | MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n == 4)
		return 0;
	/* The file is closed: nobody can read it, as with Linux. */
	if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
		return 0;
	return n < 0 ? -errno : -EIO;
}

/* A NOTIFY with no reply (the daemon checks it all again). */
static int
shim_notify_oneway(struct shim_fd *e, uint32_t port, uint64_t how)
{
	struct xensim_hdr q;
	int rc;

	rc = shim_connect();
	if (rc < 0)
		return rc;
	memset(&q, 0, sizeof(q));
	q.op = XENSIM_OP_NOTIFY;
	q.id = e->id;
	q.a = port;
	q.c = how;
	rc = xensim_msg_send(shim_sock, &q, NULL, 0, NULL, 0);
	return rc < 0 ? rc : 0;
}

/* Ask the daemon for the doorbell of `port` (0: our own file's). */
static int
shim_evtfast(struct shim_fd *e, uint32_t port, struct xensim_hdr *r,
	     int *bellp, ino_t *inop)
{
	struct xensim_hdr q;
	int fds[2], rc;

	*bellp = -1;
	rc = shim_connect();
	if (rc < 0)
		return rc;
	shim_fd_sweep();
	memset(&q, 0, sizeof(q));
	q.op = XENSIM_OP_EVTFAST;
	q.id = e->id;
	q.a = port;
	rc = shim_request(&q, NULL, 0, r, NULL, NULL, fds);
	if (rc < 0)
		return rc;
	if (fds[1] >= 0)
		close(fds[1]);
	if (r->ret < 0 || fds[0] < 0) {
		if (fds[0] >= 0)
			close(fds[0]);
		return r->ret < 0 ? -r->err : -EPROTO;
	}
	*bellp = shim_bell_take(fds[0], inop);
	return *bellp < 0 ? -EBADF : 0;
}

static bool
shim_evw_ours(uint64_t w, const struct shim_fd *e)
{
	return (w & XENSIM_EVW_BOUND) &&
		XENSIM_EVW_OWNER(w) == ((uint32_t)e->id & XENSIM_EVW_OWNER_MASK);
}

/*
 * XENSIM_TEST_DIE=notify-masked: the process SIGKILLs itself in a fast-path
 * notify right after marking the remote port masked, before ringing its
 * doorbell: the moment a death would strand a delivery.  Test use only.
 * Read at the first notify: in an ASan process, shim_init runs too early
 * (from the runtime's own first calls) to see it.
 */
static bool
shim_die_after_mask(void)
{
	static int die = -1;

	if (die < 0) {
		const char *v = getenv("XENSIM_TEST_DIE");

		die = v != NULL && strcmp(v, "notify-masked") == 0;
	}
	return die == 1;
}

/*
 * IOCTL_EVTCHN_NOTIFY without the daemon.  Our port's word says whether
 * this file still has it bound and connected; the remote end's word, under
 * the generation the daemon gave us with the doorbell, holds its mask:
 * masked → only mark it pending (its unmask delivers it); otherwise mark it
 * masked and write the port into the remote file's socket ourselves.
 * Returns 0 when done, 1 when the daemon must answer (ENOTCONN and the
 * like), 2 when a one-way NOTIFY to the daemon will do.
 */
static int
shim_notify_fast(struct shim_fd *e, uint32_t port)
{
	struct shim_port *sp = shim_port_find(e, port);
	uint64_t *wa, *wb, a, b;

	if (sp == NULL)
		return 1;
	wa = shim_evw(shim_domid, port);
	if (wa == NULL)
		return 2;
	a = __atomic_load_n(wa, __ATOMIC_ACQUIRE);
	if (!shim_evw_ours(a, e))
		return 1; /* unbound behind our back (a fork sharing the fd) */
	if (!(a & XENSIM_EVW_CONNECTED))
		return 2; /* unbound, VIRQ: nothing to wake */
	if (sp->gen_a != XENSIM_EVW_GEN(a)) {
		struct xensim_hdr r;
		ino_t ino;
		int bell, rc;

		shim_port_drop_bell(sp);
		if (sp->slow_gen == XENSIM_EVW_GEN(a))
			return sp->slow_ioctl ? 1 : 2;
		rc = shim_evtfast(e, port, &r, &bell, &ino);
		if (rc < 0) {
			sp->slow_gen = XENSIM_EVW_GEN(a);
			sp->slow_ioctl = rc == -EOPNOTSUPP;
			return sp->slow_ioctl ? 1 : 2;
		}
		sp->gen_a = (uint32_t)r.a;
		sp->rdom = (uint16_t)r.b;
		sp->rport = (uint32_t)r.c;
		sp->gen_b = (uint32_t)(r.c >> 32);
		sp->bell = bell;
		sp->bell_ino = ino;
		if (sp->gen_a != XENSIM_EVW_GEN(a))
			return 2;
	}
	wb = shim_evw(sp->rdom, sp->rport);
	if (wb == NULL)
		return 2;
	b = __atomic_load_n(wb, __ATOMIC_ACQUIRE);
	for (;;) {
		if (XENSIM_EVW_GEN(b) != sp->gen_b || !(b & XENSIM_EVW_BOUND))
			return 2; /* the remote end changed: the daemon knows */
		if (b & XENSIM_EVW_MASKED) {
			if ((b & XENSIM_EVW_PENDING) ||
			    __atomic_compare_exchange_n(wb, &b,
					b | XENSIM_EVW_PENDING, false,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
				return 0;
			continue;
		}
		/*
		 * RINGING until the port is written: should we die before,
		 * the daemon finishes the delivery when our file closes
		 * (pairs with xensim_evtchn_unstrand_remote).
		 */
		if (__atomic_compare_exchange_n(wb, &b, b | XENSIM_EVW_MASKED |
						XENSIM_EVW_RINGING, false,
						__ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE))
			break;
	}
	if (shim_die_after_mask())
		raise(SIGKILL);
	if (shim_bell_ring(sp->bell, sp->bell_ino, sp->rport) != 0) {
		/*
		 * Marked masked but not written (the program closed our
		 * doorbell, say): the daemon delivers it, and we learn a new
		 * one next time.
		 */
		shim_port_drop_bell(sp);
		(void)shim_notify_oneway(e, port, XENSIM_NOTIFY_OWED_REMOTE);
	}
	/* Delivered or handed over: the span ends (release: after the write). */
	__atomic_fetch_and(wb, ~(uint64_t)XENSIM_EVW_RINGING, __ATOMIC_RELEASE);
	return 0;
}

/*
 * An unmask written by the program (4 bytes per port): handled here when
 * the port's word says this file has it bound.  Returns true if handled.
 */
static bool
shim_unmask_fast(struct shim_fd *e, uint32_t port)
{
	uint64_t *w = shim_evw(shim_domid, port), x;

	if (w == NULL)
		return false;
	x = __atomic_load_n(w, __ATOMIC_ACQUIRE);
	if (!shim_evw_ours(x, e))
		return false; /* the daemon decides (unknown: ignored) */
	if ((x & XENSIM_EVW_PENDING) && e->self_bell < 0) {
		struct xensim_hdr r;

		if (e->self_tried)
			return false;
		e->self_tried = true;
		if (shim_evtfast(e, 0, &r, &e->self_bell, &e->self_bell_ino) < 0)
			return false;
	}
	for (;;) {
		if (!(x & XENSIM_EVW_MASKED))
			return true; /* enabling an enabled port: nothing */
		if (x & XENSIM_EVW_PENDING) {
			if (e->self_bell < 0)
				return false;
			/* Raised while masked: delivered now, stays masked. */
			if (__atomic_compare_exchange_n(w, &x,
					x & ~(uint64_t)XENSIM_EVW_PENDING, false,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
				break;
			continue;
		}
		if (__atomic_compare_exchange_n(w, &x,
				x & ~(uint64_t)XENSIM_EVW_MASKED, false,
				__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			return true;
	}
	if (shim_bell_ring(e->self_bell, e->self_bell_ino, port) < 0) {
		shim_bell_close(&e->self_bell, e->self_bell_ino);
		e->self_tried = false;
		(void)shim_notify_oneway(e, port, XENSIM_NOTIFY_OWED_SELF);
	}
	return true;
}

/* Build the request body for `cmd`: the argument and its arrays. */
static int
shim_marshal_ioctl(struct shim_fd *e, unsigned long cmd, uint64_t uarg,
		   struct shim_marshal *m, size_t *datalenp)
{
	uint8_t hdr[64];
	uint32_t count;
	size_t len;
	int rc;

	if (e->kind != XENSIM_KIND_EVTCHN && (cmd & 0xe0000000UL) != 0) {
		/* FreeBSD ABI: fixed struct, arrays behind pointers. */
		len = GNTDEV_IOC_LEN(cmd);
		if (len > sizeof(hdr))
			len = 0; /* not one of ours; the daemon says ENOTTY */
		if (!(cmd & GNTDEV_IOC_IN))
			len = 0;
		if (shim_uread(uarg, hdr, len) < 0)
			return -EFAULT;
		if (shim_put(m, hdr, len) < 0)
			return -ENOMEM;
		*datalenp = len;
		if (cmd == IOCTL_GNTDEV_ALLOC_GREF ||
		    cmd == IOCTL_GNTDEV_MAP_GRANT_REF) {
			uint64_t ptr;

			memcpy(&count, hdr + (cmd == IOCTL_GNTDEV_ALLOC_GREF ? 4 : 0),
			       4);
			memcpy(&ptr, hdr + 16, 8);
			if (count > XENSIM_MAX_ARRAY)
				return -EINVAL;
			rc = shim_put_seg(m, ptr, (uint64_t)count *
					  (cmd == IOCTL_GNTDEV_ALLOC_GREF ? 4 : 8));
			if (rc < 0)
				return rc;
		}
		return 0;
	}
	if ((e->kind == XENSIM_KIND_GNTDEV && cmd == XSL_GNTDEV_MAP_GRANT_REF) ||
	    (e->kind == XENSIM_KIND_GNTALLOC && cmd == XSL_GNTALLOC_ALLOC_GREF)) {
		/* Linux ABI: inline array after a 16-byte header. */
		if (shim_uread(uarg, hdr, XSL_INLINE_HDR) < 0)
			return -EFAULT;
		memcpy(&count, hdr + (cmd == XSL_GNTDEV_MAP_GRANT_REF ? 0 : 4), 4);
		if (count > XENSIM_MAX_ARRAY)
			return -EINVAL;
		if (shim_put(m, hdr, XSL_INLINE_HDR) < 0)
			return -ENOMEM;
		*datalenp = XSL_INLINE_HDR;
		return shim_put_seg(m, uarg + XSL_INLINE_HDR, (uint64_t)count *
				    (cmd == XSL_GNTDEV_MAP_GRANT_REF ? 8 : 4));
	}
	len = XSL_IOC_SIZE(cmd);
	if (len > sizeof(hdr))
		len = 0;
	if (shim_uread(uarg, hdr, len) < 0)
		return -EFAULT;
	if (shim_put(m, hdr, len) < 0)
		return -ENOMEM;
	*datalenp = len;
	return 0;
}

/* Copy the reply's data and segments back to user memory. */
static int
shim_unmarshal(const struct xensim_hdr *r, const uint8_t *body, size_t len,
	       uint64_t uarg)
{
	size_t off;
	uint32_t i;

	if (r->datalen > len)
		return -EPROTO;
	if (shim_uwrite(uarg, body, r->datalen) < 0)
		return -EFAULT;
	off = r->datalen;
	for (i = 0; i < r->nsegs; i++) {
		struct xensim_seg s;

		if (len - off < sizeof(s))
			return -EPROTO;
		memcpy(&s, body + off, sizeof(s));
		off += sizeof(s);
		if (s.len > len - off)
			return -EPROTO;
		if (shim_uwrite(s.uaddr, body + off, s.len) < 0)
			return -EFAULT;
		off += s.len;
	}
	return 0;
}

static int
shim_ioctl(struct shim_fd *e, unsigned long cmd, uint64_t uarg)
{
	struct shim_marshal m = { NULL, 0, 0, 0 };
	struct xensim_hdr q, r;
	size_t datalen = 0, rlen;
	void *rbuf;
	int rc;

	if (e->kind == XENSIM_KIND_EVTCHN && cmd == XSL_EVTCHN_NOTIFY) {
		uint32_t port;

		if (shim_uread(uarg, &port, 4) < 0)
			return -EFAULT;
		rc = shim_notify_fast(e, port);
		if (rc == 0)
			return 0;
		if (rc == 2) /* our own bound port: no reply needed */
			return shim_notify_oneway(e, port, XENSIM_NOTIFY_SEND);
	}
	rc = shim_connect();
	if (rc < 0)
		return rc;
	rc = shim_marshal_ioctl(e, cmd, uarg, &m, &datalen);
	if (rc < 0) {
		free(m.buf);
		return rc;
	}
	memset(&q, 0, sizeof(q));
	q.op = XENSIM_OP_IOCTL;
	q.id = e->id;
	q.a = cmd;
	q.b = uarg;
	q.datalen = (uint32_t)datalen;
	q.nsegs = m.nsegs;
	rc = shim_request(&q, m.buf, m.len, &r, &rbuf, &rlen, NULL);
	free(m.buf);
	if (rc < 0)
		return rc;
	if (r.ret < 0) {
		rc = r.err > 0 ? -r.err : -EIO;
	} else {
		rc = shim_unmarshal(&r, (const uint8_t *)rbuf + sizeof(r),
				    rlen - sizeof(r), uarg);
		if (rc == 0)
			rc = r.ret;
	}
	shim_free_reply(rbuf);
	if (rc >= 0 && e->kind == XENSIM_KIND_EVTCHN) {
		uint32_t port = 0;

		if (cmd == XSL_EVTCHN_BIND_INTERDOMAIN ||
		    cmd == XSL_EVTCHN_BIND_UNBOUND_PORT ||
		    cmd == XSL_EVTCHN_BIND_VIRQ)
			shim_port_add(e, (uint32_t)rc);
		/* Bound by this file (inherited across exec): fast next time. */
		if (cmd == XSL_EVTCHN_NOTIFY && shim_uread(uarg, &port, 4) == 0)
			shim_port_add(e, port);
		if (cmd == XSL_EVTCHN_UNBIND && shim_uread(uarg, &port, 4) == 0)
			shim_port_forget(e, port);
	}
	return rc;
}

SHIM_EXPORT int
ioctl(int fd, unsigned long cmd, ...)
{
	unsigned long type = (cmd >> 8) & 0xff;
	struct shim_fd *e;
	va_list ap;
	void *arg;
	int rc;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	shim_resolve();
	if (fd < 0 || (type != 'E' && type != 'G'))
		return real_ioctl(fd, cmd, arg);
	pthread_mutex_lock(&shim_lock);
	e = shim_fd_lookup(fd);
	if (e == NULL) {
		pthread_mutex_unlock(&shim_lock);
		return real_ioctl(fd, cmd, arg);
	}
	rc = shim_ioctl(e, cmd, (uint64_t)(uintptr_t)arg);
	pthread_mutex_unlock(&shim_lock);
	if (rc < 0) {
		errno = -rc;
		return -1;
	}
	return rc;
}

/*
 * write() on an evtchn file: each 4-byte port is an unmask, done on the
 * port's state word when this file has it bound (shim_unmask_fast); the
 * other ports go on to the daemon through the socket.  Any other
 * descriptor costs one bit test.  read() and poll() are not interposed.
 */
SHIM_EXPORT ssize_t
write(int fd, const void *buf, size_t count)
{
	uint32_t ports[1024], rest[1024];
	struct shim_fd *e;
	struct stat st;
	size_t i, nrest = 0;
	ssize_t rc;

	shim_resolve();
	if (fd < 0 || fd >= SHIM_EVT_BITMAP_FDS ||
	    !(__atomic_load_n(&shim_evt_fdbits[fd / 64], __ATOMIC_RELAXED) &
	      (1ULL << (fd % 64))) ||
	    count < 4 || count > sizeof(ports) || count % 4 != 0)
		return real_write(fd, buf, count);
	pthread_mutex_lock(&shim_lock);
	e = shim_fd_slot(fd, false);
	if (e == NULL || e->ino == 0 || e->kind != XENSIM_KIND_EVTCHN ||
	    fstat(fd, &st) < 0 || st.st_ino != e->ino) {
		/* Not (or no longer) an evtchn file: stop looking at it. */
		__atomic_fetch_and(&shim_evt_fdbits[fd / 64],
				   ~(1ULL << (fd % 64)), __ATOMIC_RELAXED);
		pthread_mutex_unlock(&shim_lock);
		return real_write(fd, buf, count);
	}
	if (shim_uread((uint64_t)(uintptr_t)buf, ports, count) < 0) {
		pthread_mutex_unlock(&shim_lock);
		return real_write(fd, buf, count);
	}
	for (i = 0; i < count / 4; i++)
		if (!shim_unmask_fast(e, ports[i]))
			rest[nrest++] = ports[i];
	pthread_mutex_unlock(&shim_lock);
	if (nrest == 0)
		return (ssize_t)count;
	rc = real_write(fd, rest, nrest * 4);
	return rc < 0 ? rc : (ssize_t)count;
}

/* ---- mmap / munmap ---- */

static void
shim_vma_add(uintptr_t start, uintptr_t end)
{
	if (shim_nvmas == shim_capvmas) {
		size_t n = shim_capvmas ? shim_capvmas * 2 : 16;
		struct shim_vma *t = realloc(shim_vmas, n * sizeof(*t));

		if (t == NULL)
			return;
		shim_vmas = t;
		shim_capvmas = n;
	}
	shim_vmas[shim_nvmas].start = start;
	shim_vmas[shim_nvmas].end = end;
	shim_nvmas++;
}

/* Remove [start, end) from the table; true if it overlapped anything. */
static bool
shim_vma_remove(uintptr_t start, uintptr_t end)
{
	bool hit = false;
	size_t i = 0;

	while (i < shim_nvmas) {
		struct shim_vma *v = &shim_vmas[i];

		if (end <= v->start || start >= v->end) {
			i++;
			continue;
		}
		hit = true;
		if (start <= v->start && end >= v->end) {
			shim_vmas[i] = shim_vmas[--shim_nvmas];
			continue;
		}
		if (start > v->start && end < v->end) {
			uintptr_t tail_end = v->end;

			v->end = start;
			shim_vma_add(end, tail_end);
			i++;
			continue;
		}
		if (start <= v->start)
			v->start = end;
		else
			v->end = start;
		i++;
	}
	return hit;
}

static void
shim_forget_range(uintptr_t va, size_t len)
{
	struct xensim_hdr q, r;

	memset(&q, 0, sizeof(q));
	q.op = XENSIM_OP_MUNMAP;
	q.b = va;
	q.c = len;
	(void)shim_request(&q, NULL, 0, &r, NULL, NULL, NULL);
}

static void *
shim_mmap_dev(struct shim_fd *e, void *addr, size_t len, int prot, int flags,
	      off_t off)
{
	struct xensim_hdr q, r;
	uint8_t *va;
	void *rbuf;
	size_t rlen, pos = 0;
	uint32_t i;
	int rc, mfd;

	if (e->kind == XENSIM_KIND_EVTCHN)
		return (errno = ENODEV, MAP_FAILED);
	if ((flags & MAP_TYPE) != MAP_SHARED || len == 0 ||
	    ((uint64_t)off & (XENSIM_PAGE_SIZE - 1)) != 0)
		return (errno = EINVAL, MAP_FAILED);
	len = (len + XENSIM_PAGE_SIZE - 1) & ~(size_t)(XENSIM_PAGE_SIZE - 1);
	rc = shim_connect();
	if (rc < 0)
		return (errno = -rc, MAP_FAILED);
	/* Reserve the addresses first, so the daemon knows where it lives. */
	va = real_mmap(addr, len, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
		       (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)), -1, 0);
	if (va == MAP_FAILED)
		return MAP_FAILED;
	memset(&q, 0, sizeof(q));
	q.op = XENSIM_OP_MMAP;
	q.id = e->id;
	q.a = (uint64_t)off;
	q.b = (uint64_t)(uintptr_t)va;
	q.c = len;
	q.prot = (uint32_t)prot;
	rc = shim_request(&q, NULL, 0, &r, &rbuf, &rlen, NULL);
	if (rc < 0 || r.ret < 0) {
		real_munmap(va, len);
		if (rc == 0)
			shim_free_reply(rbuf);
		return (errno = rc < 0 ? -rc : r.err, MAP_FAILED);
	}
	mfd = ((r.flags & XENSIM_F_READONLY) && !(prot & PROT_WRITE)) ?
		shim_memfd_ro : shim_memfd;
	if ((uint64_t)r.nruns * sizeof(struct xensim_run) > rlen - sizeof(r))
		goto fail;
	for (i = 0; i < r.nruns; i++) {
		struct xensim_run run;

		memcpy(&run, (uint8_t *)rbuf + sizeof(r) + i * sizeof(run),
		       sizeof(run));
		if (run.count == 0 ||
		    (uint64_t)run.count * XENSIM_PAGE_SIZE > len - pos ||
		    real_mmap(va + pos, (size_t)run.count * XENSIM_PAGE_SIZE,
			      prot, MAP_SHARED | MAP_FIXED, mfd,
			      (off_t)(run.frame * XENSIM_PAGE_SIZE)) ==
		    MAP_FAILED)
			goto fail;
		pos += (size_t)run.count * XENSIM_PAGE_SIZE;
	}
	if (pos != len)
		goto fail;
	shim_free_reply(rbuf);
	/* Linux gntdev mappings are not copied into children. */
	(void)madvise(va, len, MADV_DONTFORK);
	shim_vma_add((uintptr_t)va, (uintptr_t)va + len);
	return va;
fail:
	shim_free_reply(rbuf);
	real_munmap(va, len);
	shim_forget_range((uintptr_t)va, len);
	errno = ENOMEM;
	return MAP_FAILED;
}

static void *
shim_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	struct shim_fd *e;
	void *ret;

	shim_resolve();
	if (fd < 0 || (flags & MAP_ANONYMOUS))
		return real_mmap(addr, len, prot, flags, fd, off);
	pthread_mutex_lock(&shim_lock);
	e = shim_fd_lookup(fd);
	if (e == NULL) {
		pthread_mutex_unlock(&shim_lock);
		return real_mmap(addr, len, prot, flags, fd, off);
	}
	ret = shim_mmap_dev(e, addr, len, prot, flags, off);
	pthread_mutex_unlock(&shim_lock);
	return ret;
}

SHIM_EXPORT void *
mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return shim_mmap(addr, len, prot, flags, fd, off);
}

SHIM_EXPORT void *
mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return shim_mmap(addr, len, prot, flags, fd, off);
}

SHIM_EXPORT int
munmap(void *addr, size_t len)
{
	uintptr_t start = (uintptr_t)addr, end;
	int rc, saved;

	shim_resolve();
	rc = real_munmap(addr, len);
	if (rc < 0 || len == 0)
		return rc;
	saved = errno;
	end = start + ((len + XENSIM_PAGE_SIZE - 1) &
		       ~(size_t)(XENSIM_PAGE_SIZE - 1));
	pthread_mutex_lock(&shim_lock);
	/* Tell the daemon only about grant mappings (unmap notify). */
	if (shim_nvmas > 0 && shim_vma_remove(start, end) &&
	    shim_connect() == 0)
		shim_forget_range(start, end - start);
	pthread_mutex_unlock(&shim_lock);
	errno = saved;
	return rc;
}

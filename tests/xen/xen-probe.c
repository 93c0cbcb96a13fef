/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * xen-probe: edge cases of the Linux grant-table, event-channel and
 * xenstore interfaces, one line per case ("name: outcome"), where the
 * outcome is "ok", "ok <detail>" or "E<NAME>" (the errno of the failing
 * call).  It runs on the real Xen (run-xen-tests) and in the simulator; the
 * two outputs are compared, and every difference must be listed, with a
 * reason, in deviations.txt.
 *
 * Usage: xen-probe [--xs-only] [--self DOMID] [--peer DOMID]
 *
 *   --self   this domain's id (default: xenstore "domid", else 0)
 *   --peer   another domain's id, used as the grantee of grants this
 *            domain must not be able to map (default 1; need not exist)
 *   --xs-only  only the xenstore cases (for an unprivileged domain)
 *
 * Uses Debian's libxengnttab, libxenevtchn and libxenstore, and raw ioctls
 * on /dev/xen/{gntdev,gntalloc} where the libraries hide the case.  Nothing
 * printed depends on domain ids, grant references or port numbers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xenevtchn.h>
#include <xengnttab.h>
#include <xenstore.h>
#include <xen/sys/gntalloc.h>
#include <xen/sys/gntdev.h>

#define PAGE 4096u
#define NONEXISTENT_DOMID 999u
#define FREE_PORT 4000u	/* a port number no one has bound */

static unsigned self_id, peer_id = 1;
static char line[512];

static const char *ename(int e)
{
	const char *n = strerrorname_np(e);

	return n ? n : "E?";
}

/* Outcome helpers: each case fills line[] through one of these. */
static void ok(const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(line, sizeof(line), "ok");

	if (fmt) {
		line[n++] = ' ';
		va_start(ap, fmt);
		vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
		va_end(ap);
	}
}

static void err(int e) { snprintf(line, sizeof(line), "%s", ename(e)); }

static void out(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
}

static uint32_t fnv(const void *p, size_t n)
{
	const unsigned char *c = p;
	uint32_t h = 2166136261u;

	while (n--)
		h = (h ^ *c++) * 16777619u;
	return h;
}

static void fill(void *p, size_t n, unsigned seed)
{
	unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		c[i] = (unsigned char)(i * 31u + seed);
}

/* Wait up to ms for an event on xce; returns the port or -1. */
static int wait_event(xenevtchn_handle *xce, int ms)
{
	struct pollfd p = { .fd = xenevtchn_fd(xce), .events = POLLIN };
	int port;

	if (poll(&p, 1, ms) != 1)
		return -1;
	port = xenevtchn_pending(xce);
	if (port >= 0)
		xenevtchn_unmask(xce, (evtchn_port_t)port);
	return port;
}

/* --- raw gntdev helpers ------------------------------------------------ */

static int gntdev_map_raw(int fd, unsigned domid, uint32_t ref, uint32_t count,
			  uint64_t *index)
{
	size_t sz = sizeof(struct ioctl_gntdev_map_grant_ref) +
		    (count ? count - 1 : 0) * sizeof(struct ioctl_gntdev_grant_ref);
	struct ioctl_gntdev_map_grant_ref *m = calloc(1, sz);
	int rc;

	if (!m)
		return -ENOMEM;
	m->count = count;
	for (uint32_t i = 0; i < count; i++) {
		m->refs[i].domid = domid;
		m->refs[i].ref = ref + i;
	}
	rc = ioctl(fd, IOCTL_GNTDEV_MAP_GRANT_REF, m);
	if (rc == 0 && index)
		*index = m->index;
	free(m);
	return rc < 0 ? -errno : 0;
}

static int gntdev_unmap_raw(int fd, uint64_t index, uint32_t count)
{
	struct ioctl_gntdev_unmap_grant_ref u = { .index = index, .count = count };

	return ioctl(fd, IOCTL_GNTDEV_UNMAP_GRANT_REF, &u) < 0 ? -errno : 0;
}

/* A page this domain shares with itself, through gntalloc. */
struct share {
	xengntshr_handle *h;
	void *p;
	uint32_t ref;
};

static int share_self(struct share *s, unsigned domid, int writable, unsigned seed)
{
	s->h = xengntshr_open(NULL, 0);
	if (!s->h)
		return -errno;
	s->p = xengntshr_share_pages(s->h, domid, 1, &s->ref, writable);
	if (!s->p) {
		int e = errno;

		xengntshr_close(s->h);
		return -e;
	}
	fill(s->p, PAGE, seed);
	return 0;
}

static void unshare(struct share *s)
{
	if (s->p)
		xengntshr_unshare(s->h, s->p, 1);
	if (s->h)
		xengntshr_close(s->h);
}

/* --- grant-table cases ------------------------------------------------- */

static void c_map_self_grant(void)
{
	struct share s = { 0 };
	xengnttab_handle *g = xengnttab_open(NULL, 0);
	unsigned char *m;
	int rc = share_self(&s, self_id, 1, 7);

	if (!g || rc)
		return err(g ? -rc : errno);
	m = xengnttab_map_grant_ref(g, self_id, s.ref, PROT_READ | PROT_WRITE);
	if (!m) {
		err(errno);
	} else {
		int same = fnv(m, PAGE) == fnv(s.p, PAGE);

		m[100] = 0x5a;	/* write through the mapping, read in the share */
		ok("same=%d write_seen=%d", same, ((unsigned char *)s.p)[100] == 0x5a);
		xengnttab_unmap(g, m, 1);
	}
	xengnttab_close(g);
	unshare(&s);
}

static void map_one(unsigned grantee, int writable, unsigned mapper_dom,
		    uint32_t ref_override, int prot)
{
	struct share s = { 0 };
	xengnttab_handle *g = xengnttab_open(NULL, 0);
	void *m;
	int rc = share_self(&s, grantee, writable, 9);

	if (!g || rc)
		return err(g ? -rc : errno);
	m = xengnttab_map_grant_ref(g, mapper_dom,
				    ref_override ? ref_override : s.ref, prot);
	if (!m) {
		err(errno);
	} else {
		ok("same=%d", fnv(m, PAGE) == fnv(s.p, PAGE));
		xengnttab_unmap(g, m, 1);
	}
	xengnttab_close(g);
	unshare(&s);
}

static void c_map_ro_grant_readonly(void) { map_one(self_id, 0, self_id, 0, PROT_READ); }
static void c_map_ro_grant_writable(void)
{
	map_one(self_id, 0, self_id, 0, PROT_READ | PROT_WRITE);
}
static void c_map_grant_for_other_domain(void)
{
	map_one(peer_id, 1, self_id, 0, PROT_READ | PROT_WRITE);
}
static void c_map_bad_ref(void)
{
	map_one(self_id, 1, self_id, 0xFFFFF, PROT_READ);
}
static void c_map_nonexistent_domain(void)
{
	map_one(self_id, 1, NONEXISTENT_DOMID, 0, PROT_READ);
}

static void c_gntdev_map_count_zero(void)
{
	int fd = open("/dev/xen/gntdev", O_RDWR | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return err(errno);
	rc = gntdev_map_raw(fd, self_id, 1, 0, NULL);
	rc ? err(-rc) : ok(NULL);
	close(fd);
}

static void c_gntdev_map_count_huge(void)
{
	int fd = open("/dev/xen/gntdev", O_RDWR | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return err(errno);
	rc = gntdev_map_raw(fd, self_id, 1, 1u << 20, NULL);
	rc ? err(-rc) : ok(NULL);
	close(fd);
}

static void c_gntdev_unmap_twice(void)
{
	int fd = open("/dev/xen/gntdev", O_RDWR | O_CLOEXEC);
	uint64_t idx = 0;
	int rc, rc2;

	if (fd < 0)
		return err(errno);
	rc = gntdev_map_raw(fd, self_id, 1, 1, &idx);
	if (rc) {
		err(-rc);
	} else {
		rc = gntdev_unmap_raw(fd, idx, 1);
		rc2 = gntdev_unmap_raw(fd, idx, 1);
		out("first=%s second=%s", rc ? ename(-rc) : "ok", rc2 ? ename(-rc2) : "ok");
	}
	close(fd);
}

static void c_gntdev_unmap_unknown_index(void)
{
	int fd = open("/dev/xen/gntdev", O_RDWR | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return err(errno);
	rc = gntdev_unmap_raw(fd, 0x123000, 1);
	rc ? err(-rc) : ok(NULL);
	close(fd);
}

static void c_gntdev_unmap_wrong_count(void)
{
	int fd = open("/dev/xen/gntdev", O_RDWR | O_CLOEXEC);
	uint64_t idx = 0;
	int rc;

	if (fd < 0)
		return err(errno);
	rc = gntdev_map_raw(fd, self_id, 1, 2, &idx);
	if (rc == 0)
		rc = gntdev_unmap_raw(fd, idx, 1);
	rc ? err(-rc) : ok(NULL);
	close(fd);
}

static void c_gntdev_set_unmap_notify_unknown_index(void)
{
	int fd = open("/dev/xen/gntdev", O_RDWR | O_CLOEXEC);
	struct ioctl_gntdev_unmap_notify n = {
		.index = 0x123000, .action = UNMAP_NOTIFY_CLEAR_BYTE,
	};

	if (fd < 0)
		return err(errno);
	ioctl(fd, IOCTL_GNTDEV_SET_UNMAP_NOTIFY, &n) < 0 ? err(errno) : ok(NULL);
	close(fd);
}

static void c_gntdev_set_unmap_notify_bad_action(void)
{
	int fd = open("/dev/xen/gntdev", O_RDWR | O_CLOEXEC);
	struct ioctl_gntdev_unmap_notify n = { .action = 0x4 };
	int rc;

	if (fd < 0)
		return err(errno);
	rc = gntdev_map_raw(fd, self_id, 1, 1, &n.index);
	if (rc)
		err(-rc);
	else
		ioctl(fd, IOCTL_GNTDEV_SET_UNMAP_NOTIFY, &n) < 0 ? err(errno) : ok(NULL);
	close(fd);
}

/* mmap a raw map of a self grant with the given flags/length/offset shift. */
static void mmap_variant(int flags, size_t len, off_t shift, int prot)
{
	struct share s = { 0 };
	int fd = open("/dev/xen/gntdev", O_RDWR | O_CLOEXEC);
	uint64_t idx = 0;
	int rc = share_self(&s, self_id, 1, 3);
	void *m;

	if (fd < 0 || rc)
		return err(fd < 0 ? errno : -rc);
	rc = gntdev_map_raw(fd, self_id, s.ref, 1, &idx);
	if (rc) {
		err(-rc);
	} else {
		m = mmap(NULL, len, prot, flags, fd, (off_t)idx + shift);
		if (m == MAP_FAILED) {
			err(errno);
		} else {
			ok("same=%d", fnv(m, PAGE) == fnv(s.p, PAGE));
			munmap(m, len);
		}
		gntdev_unmap_raw(fd, idx, 1);
	}
	close(fd);
	unshare(&s);
}

static void c_gntdev_mmap_shared(void) { mmap_variant(MAP_SHARED, PAGE, 0, PROT_READ | PROT_WRITE); }
static void c_gntdev_mmap_private(void) { mmap_variant(MAP_PRIVATE, PAGE, 0, PROT_READ | PROT_WRITE); }
static void c_gntdev_mmap_too_long(void) { mmap_variant(MAP_SHARED, 2 * PAGE, 0, PROT_READ); }
static void c_gntdev_mmap_wrong_offset(void) { mmap_variant(MAP_SHARED, PAGE, PAGE, PROT_READ); }

static void c_gntdev_get_offset_non_gntdev(void)
{
	int fd = open("/dev/xen/gntdev", O_RDWR | O_CLOEXEC);
	void *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct ioctl_gntdev_get_offset_for_vaddr q = { .vaddr = (uintptr_t)p };

	if (fd < 0)
		return err(errno);
	ioctl(fd, IOCTL_GNTDEV_GET_OFFSET_FOR_VADDR, &q) < 0 ? err(errno) : ok(NULL);
	munmap(p, PAGE);
	close(fd);
}

static void c_gntdev_get_offset_unmapped(void)
{
	int fd = open("/dev/xen/gntdev", O_RDWR | O_CLOEXEC);
	struct ioctl_gntdev_get_offset_for_vaddr q = { .vaddr = 0x10000 };

	if (fd < 0)
		return err(errno);
	ioctl(fd, IOCTL_GNTDEV_GET_OFFSET_FOR_VADDR, &q) < 0 ? err(errno) : ok(NULL);
	close(fd);
}

static void c_gntdev_get_offset_ok(void)
{
	struct share s = { 0 };
	int fd = open("/dev/xen/gntdev", O_RDWR | O_CLOEXEC);
	uint64_t idx = 0;
	int rc = share_self(&s, self_id, 1, 3);

	if (fd < 0 || rc)
		return err(fd < 0 ? errno : -rc);
	rc = gntdev_map_raw(fd, self_id, s.ref, 1, &idx);
	if (rc) {
		err(-rc);
	} else {
		void *m = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, (off_t)idx);
		struct ioctl_gntdev_get_offset_for_vaddr q = { .vaddr = (uintptr_t)m + 100 };

		if (m == MAP_FAILED) {
			err(errno);
		} else {
			if (ioctl(fd, IOCTL_GNTDEV_GET_OFFSET_FOR_VADDR, &q) < 0)
				err(errno);
			else
				ok("offset_is_index=%d count=%u", q.offset == idx, q.count);
			munmap(m, PAGE);
		}
		gntdev_unmap_raw(fd, idx, 1);
	}
	close(fd);
	unshare(&s);
}

/* UNMAP_GRANT_REF while still mmapped: allowed; the mapping stays usable. */
static void c_gntdev_unmap_while_mmapped(void)
{
	struct share s = { 0 };
	int fd = open("/dev/xen/gntdev", O_RDWR | O_CLOEXEC);
	uint64_t idx = 0;
	int rc = share_self(&s, self_id, 1, 5);

	if (fd < 0 || rc)
		return err(fd < 0 ? errno : -rc);
	rc = gntdev_map_raw(fd, self_id, s.ref, 1, &idx);
	if (rc) {
		err(-rc);
	} else {
		void *m = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, (off_t)idx);

		if (m == MAP_FAILED) {
			err(errno);
		} else {
			rc = gntdev_unmap_raw(fd, idx, 1);
			if (rc)
				err(-rc);
			else
				ok("still_same=%d", fnv(m, PAGE) == fnv(s.p, PAGE));
			munmap(m, PAGE);
		}
	}
	close(fd);
	unshare(&s);
}

/*
 * A child maps our page with an unmap notification (clear byte 5, send an
 * event) and exits without unmapping: the kernel must do both.
 */
static void c_unmap_notify_on_mapper_exit(void)
{
	struct share s = { 0 };
	xenevtchn_handle *e = xenevtchn_open(NULL, 0);
	int lport, rc = share_self(&s, self_id, 1, 1);
	pid_t pid;
	int st, ev;

	if (!e || rc)
		return err(e ? -rc : errno);
	((unsigned char *)s.p)[5] = 0xAA;
	lport = xenevtchn_bind_unbound_port(e, self_id);
	if (lport < 0) {
		err(errno);
		goto out;
	}
	pid = fork();
	if (pid == 0) {
		xengnttab_handle *g = xengnttab_open(NULL, 0);
		xenevtchn_handle *ce = xenevtchn_open(NULL, 0);
		int cport = ce ? xenevtchn_bind_interdomain(ce, self_id, (uint32_t)lport) : -1;
		void *m = g && cport >= 0 ?
			xengnttab_map_grant_ref_notify(g, self_id, s.ref, PROT_READ | PROT_WRITE,
						       5, (uint32_t)cport) : NULL;

		_exit(m ? 0 : 10 + (errno & 63));
	}
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		out("child failed %s", WIFEXITED(st) && WEXITSTATUS(st) >= 10 ?
		    ename(WEXITSTATUS(st) - 10) : "?");
		goto out;
	}
	ev = wait_event(e, 3000);
	ok("byte_cleared=%d event=%d", ((unsigned char *)s.p)[5] == 0, ev == lport);
out:
	xenevtchn_close(e);
	unshare(&s);
}

/* The sharer (gntalloc) sets the notification and dies: the mapper sees it. */
static void c_unmap_notify_on_sharer_exit(void)
{
	xenevtchn_handle *e = xenevtchn_open(NULL, 0);
	xengnttab_handle *g = xengnttab_open(NULL, 0);
	int lport, pfd[2], bfd[2], st, cerr = 0;	/* child->parent, parent->child */
	uint32_t ref = 0;
	pid_t pid;
	unsigned char *m;

	if (!e || !g || pipe(pfd) < 0)
		return err(errno);
	if (pipe(bfd) < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return err(errno);
	}
	lport = xenevtchn_bind_unbound_port(e, self_id);
	if (lport < 0) {
		err(errno);
		goto out;
	}
	pid = fork();
	if (pid == 0) {
		xengntshr_handle *h = xengntshr_open(NULL, 0);
		xenevtchn_handle *ce = xenevtchn_open(NULL, 0);
		int cport = ce ? xenevtchn_bind_interdomain(ce, self_id, (uint32_t)lport) : -1;
		uint32_t r = 0;
		unsigned char *p = h && cport >= 0 ?
			xengntshr_share_page_notify(h, self_id, &r, 1, 7, (uint32_t)cport) : NULL;
		char c;

		int cerrno = p ? 0 : errno;

		if (p)
			p[7] = 0xBB;
		if (write(pfd[1], &r, sizeof(r)) != sizeof(r) ||
		    write(pfd[1], &cerrno, sizeof(cerrno)) != sizeof(cerrno) || !p)
			_exit(1);
		/* Wait until the parent has mapped, then die. */
		if (read(bfd[0], &c, 1) < 0)
			_exit(2);
		_exit(0);
	}
	if (read(pfd[0], &ref, sizeof(ref)) != sizeof(ref) ||
	    read(pfd[0], &cerr, sizeof(cerr)) != sizeof(cerr) || cerr) {
		out("child failed: %s", cerr ? ename(cerr) : "?");
		if (write(bfd[1], "x", 1) != 1)
			kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		goto out;
	}
	m = xengnttab_map_grant_ref(g, self_id, ref, PROT_READ);
	if (write(bfd[1], "x", 1) != 1)
		m = NULL;
	waitpid(pid, &st, 0);
	if (!m) {
		err(errno);
		goto out;
	}
	{
		int ev = wait_event(e, 3000);

		ok("byte_cleared=%d event=%d", m[7] == 0, ev == lport);
	}
	xengnttab_unmap(g, m, 1);
out:
	close(pfd[0]);
	close(pfd[1]);
	close(bfd[0]);
	close(bfd[1]);
	xengnttab_close(g);
	xenevtchn_close(e);
}

/* Linux keeps grant references 0-7 for itself (GNTTAB_NR_RESERVED_ENTRIES). */
static void c_gntshr_refs_not_reserved(void)
{
	xengntshr_handle *h = xengntshr_open(NULL, 0);
	uint32_t refs[16], min = UINT32_MAX;
	void *p;

	if (!h)
		return err(errno);
	p = xengntshr_share_pages(h, self_id, 16, refs, 1);
	if (!p) {
		err(errno);
	} else {
		for (int i = 0; i < 16; i++)
			if (refs[i] < min)
				min = refs[i];
		ok("min_ref_ge_8=%d", min >= 8);
		xengntshr_unshare(h, p, 16);
	}
	xengntshr_close(h);
}

/* --- gntalloc cases ---------------------------------------------------- */

static int gntalloc_raw(int fd, unsigned domid, uint16_t flags, uint32_t count,
			uint64_t *index)
{
	size_t sz = sizeof(struct ioctl_gntalloc_alloc_gref) + (count ? count - 1 : 0) * 4;
	struct ioctl_gntalloc_alloc_gref *a = calloc(1, sz);
	int rc;

	if (!a)
		return -ENOMEM;
	a->domid = (uint16_t)domid;
	a->flags = flags;
	a->count = count;
	rc = ioctl(fd, IOCTL_GNTALLOC_ALLOC_GREF, a);
	if (rc == 0 && index)
		*index = a->index;
	free(a);
	return rc < 0 ? -errno : 0;
}

static void gntalloc_count(uint32_t count)
{
	int fd = open("/dev/xen/gntalloc", O_RDWR | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return err(errno);
	rc = gntalloc_raw(fd, self_id, GNTALLOC_FLAG_WRITABLE, count, NULL);
	rc ? err(-rc) : ok(NULL);
	close(fd);
}

static void c_gntalloc_count_zero(void) { gntalloc_count(0); }
static void c_gntalloc_count_1024(void) { gntalloc_count(1024); }
static void c_gntalloc_count_1025(void) { gntalloc_count(1025); }

/* The limit is global: two files of 600 pages each. */
static void c_gntalloc_limit_across_files(void)
{
	int a = open("/dev/xen/gntalloc", O_RDWR | O_CLOEXEC);
	int b = open("/dev/xen/gntalloc", O_RDWR | O_CLOEXEC);
	int ra, rb;

	if (a < 0 || b < 0)
		return err(errno);
	ra = gntalloc_raw(a, self_id, GNTALLOC_FLAG_WRITABLE, 600, NULL);
	rb = gntalloc_raw(b, self_id, GNTALLOC_FLAG_WRITABLE, 600, NULL);
	out("first=%s second=%s", ra ? ename(-ra) : "ok", rb ? ename(-rb) : "ok");
	close(a);
	close(b);
}

static void c_gntalloc_dealloc_unknown(void)
{
	int fd = open("/dev/xen/gntalloc", O_RDWR | O_CLOEXEC);
	struct ioctl_gntalloc_dealloc_gref d = { .index = 0x5000, .count = 1 };

	if (fd < 0)
		return err(errno);
	ioctl(fd, IOCTL_GNTALLOC_DEALLOC_GREF, &d) < 0 ? err(errno) : ok(NULL);
	close(fd);
}

static void c_gntalloc_dealloc_twice(void)
{
	int fd = open("/dev/xen/gntalloc", O_RDWR | O_CLOEXEC);
	struct ioctl_gntalloc_dealloc_gref d = { .count = 1 };
	int rc, r1, r2;

	if (fd < 0)
		return err(errno);
	rc = gntalloc_raw(fd, self_id, GNTALLOC_FLAG_WRITABLE, 1, &d.index);
	if (rc) {
		err(-rc);
	} else {
		r1 = ioctl(fd, IOCTL_GNTALLOC_DEALLOC_GREF, &d) < 0 ? errno : 0;
		r2 = ioctl(fd, IOCTL_GNTALLOC_DEALLOC_GREF, &d) < 0 ? errno : 0;
		out("first=%s second=%s", r1 ? ename(r1) : "ok", r2 ? ename(r2) : "ok");
	}
	close(fd);
}

static void c_gntalloc_set_unmap_notify_unknown(void)
{
	int fd = open("/dev/xen/gntalloc", O_RDWR | O_CLOEXEC);
	struct ioctl_gntalloc_unmap_notify n = {
		.index = 0x5000, .action = UNMAP_NOTIFY_CLEAR_BYTE,
	};

	if (fd < 0)
		return err(errno);
	ioctl(fd, IOCTL_GNTALLOC_SET_UNMAP_NOTIFY, &n) < 0 ? err(errno) : ok(NULL);
	close(fd);
}

static void gntalloc_mmap(int flags, size_t len)
{
	int fd = open("/dev/xen/gntalloc", O_RDWR | O_CLOEXEC);
	uint64_t idx = 0;
	int rc;

	if (fd < 0)
		return err(errno);
	rc = gntalloc_raw(fd, self_id, GNTALLOC_FLAG_WRITABLE, 1, &idx);
	if (rc) {
		err(-rc);
	} else {
		void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, (off_t)idx);

		if (m == MAP_FAILED) {
			err(errno);
		} else {
			ok("zeroed=%d", fnv(m, PAGE) == fnv((char[PAGE]){ 0 }, PAGE));
			munmap(m, len);
		}
	}
	close(fd);
}

static void c_gntalloc_mmap_shared(void) { gntalloc_mmap(MAP_SHARED, PAGE); }
static void c_gntalloc_mmap_private(void) { gntalloc_mmap(MAP_PRIVATE, PAGE); }
static void c_gntalloc_mmap_too_long(void) { gntalloc_mmap(MAP_SHARED, 2 * PAGE); }

/* --- event-channel cases ----------------------------------------------- */

static void c_evtchn_loopback(void)
{
	xenevtchn_handle *a = xenevtchn_open(NULL, 0), *b = xenevtchn_open(NULL, 0);
	int pa, pb, ev1, ev2;

	if (!a || !b)
		return err(errno);
	pa = xenevtchn_bind_unbound_port(a, self_id);
	pb = pa < 0 ? -1 : xenevtchn_bind_interdomain(b, self_id, (uint32_t)pa);
	if (pb < 0) {
		err(errno);
	} else {
		xenevtchn_notify(b, (uint32_t)pb);
		ev1 = wait_event(a, 3000);
		xenevtchn_notify(a, (uint32_t)pa);
		ev2 = wait_event(b, 3000);
		ok("a_got=%d b_got=%d", ev1 == pa, ev2 == pb);
	}
	xenevtchn_close(a);
	xenevtchn_close(b);
}

static void c_evtchn_bind_unoffered_port(void)
{
	xenevtchn_handle *a = xenevtchn_open(NULL, 0);

	if (!a)
		return err(errno);
	xenevtchn_bind_interdomain(a, self_id, FREE_PORT) < 0 ? err(errno) : ok(NULL);
	xenevtchn_close(a);
}

static void c_evtchn_bind_port_offered_to_other(void)
{
	xenevtchn_handle *a = xenevtchn_open(NULL, 0), *b = xenevtchn_open(NULL, 0);
	int pa;

	if (!a || !b)
		return err(errno);
	pa = xenevtchn_bind_unbound_port(a, peer_id);
	if (pa < 0)
		err(errno);
	else
		xenevtchn_bind_interdomain(b, self_id, (uint32_t)pa) < 0 ? err(errno) : ok(NULL);
	xenevtchn_close(a);
	xenevtchn_close(b);
}

static void c_evtchn_bind_already_connected(void)
{
	xenevtchn_handle *a = xenevtchn_open(NULL, 0), *b = xenevtchn_open(NULL, 0);
	int pa, pb;

	if (!a || !b)
		return err(errno);
	pa = xenevtchn_bind_unbound_port(a, self_id);
	pb = pa < 0 ? -1 : xenevtchn_bind_interdomain(b, self_id, (uint32_t)pa);
	if (pb < 0)
		err(errno);
	else
		xenevtchn_bind_interdomain(b, self_id, (uint32_t)pa) < 0 ? err(errno) : ok(NULL);
	xenevtchn_close(a);
	xenevtchn_close(b);
}

static void c_evtchn_bind_nonexistent_domain(void)
{
	xenevtchn_handle *a = xenevtchn_open(NULL, 0);

	if (!a)
		return err(errno);
	xenevtchn_bind_interdomain(a, NONEXISTENT_DOMID, 1) < 0 ? err(errno) : ok(NULL);
	xenevtchn_close(a);
}

static void c_evtchn_unbound_for_nonexistent_domain(void)
{
	xenevtchn_handle *a = xenevtchn_open(NULL, 0);

	if (!a)
		return err(errno);
	xenevtchn_bind_unbound_port(a, NONEXISTENT_DOMID) < 0 ? err(errno) : ok(NULL);
	xenevtchn_close(a);
}

static void c_evtchn_notify_unbound_port(void)
{
	xenevtchn_handle *a = xenevtchn_open(NULL, 0);

	if (!a)
		return err(errno);
	xenevtchn_notify(a, FREE_PORT) < 0 ? err(errno) : ok(NULL);
	xenevtchn_close(a);
}

/* Notify a port bound by another handle (another open file). */
static void c_evtchn_notify_port_of_other_handle(void)
{
	xenevtchn_handle *a = xenevtchn_open(NULL, 0), *b = xenevtchn_open(NULL, 0);
	int pa;

	if (!a || !b)
		return err(errno);
	pa = xenevtchn_bind_unbound_port(a, self_id);
	if (pa < 0)
		err(errno);
	else
		xenevtchn_notify(b, (uint32_t)pa) < 0 ? err(errno) : ok(NULL);
	xenevtchn_close(a);
	xenevtchn_close(b);
}

static void c_evtchn_unbind_twice(void)
{
	xenevtchn_handle *a = xenevtchn_open(NULL, 0);
	int pa, r1, r2;

	if (!a)
		return err(errno);
	pa = xenevtchn_bind_unbound_port(a, self_id);
	if (pa < 0) {
		err(errno);
	} else {
		r1 = xenevtchn_unbind(a, (uint32_t)pa) < 0 ? errno : 0;
		r2 = xenevtchn_unbind(a, (uint32_t)pa) < 0 ? errno : 0;
		out("first=%s second=%s", r1 ? ename(r1) : "ok", r2 ? ename(r2) : "ok");
	}
	xenevtchn_close(a);
}

/* The peer closes; notifying our end is still accepted (and goes nowhere). */
static void c_evtchn_notify_after_peer_close(void)
{
	xenevtchn_handle *a = xenevtchn_open(NULL, 0), *b = xenevtchn_open(NULL, 0);
	int pa, pb;

	if (!a || !b)
		return err(errno);
	pa = xenevtchn_bind_unbound_port(a, self_id);
	pb = pa < 0 ? -1 : xenevtchn_bind_interdomain(b, self_id, (uint32_t)pa);
	if (pb < 0) {
		err(errno);
		xenevtchn_close(a);
	} else {
		xenevtchn_close(a);
		xenevtchn_notify(b, (uint32_t)pb) < 0 ? err(errno) : ok(NULL);
	}
	xenevtchn_close(b);
}

/* --- xenstore cases ------------------------------------------------------ */

static struct xs_handle *xs;
static char mypath[128];

static void xs_res(bool r) { r ? ok(NULL) : err(errno); }

static void c_xs_read_missing(void)
{
	char p[192];
	unsigned len;
	void *v;

	snprintf(p, sizeof(p), "%s/xt-probe/missing", mypath);
	v = xs_read(xs, XBT_NULL, p, &len);
	v ? ok(NULL) : err(errno);
	free(v);
}

static void c_xs_write_read_own(void)
{
	char p[192];
	unsigned len;
	char *v;

	snprintf(p, sizeof(p), "%s/xt-probe/a", mypath);
	if (!xs_write(xs, XBT_NULL, p, "hello", 5))
		return err(errno);
	v = xs_read(xs, XBT_NULL, p, &len);
	v ? ok("%.*s", (int)len, v) : err(errno);
	free(v);
}

static void c_xs_read_other_domain_node(void)
{
	unsigned len;
	char p[64];
	void *v;

	/* dom0's node when we are not dom0, else one of an unused domid. */
	snprintf(p, sizeof(p), "/local/domain/%u/xt-probe-private",
		 self_id ? 0 : NONEXISTENT_DOMID);
	v = xs_read(xs, XBT_NULL, p, &len);
	v ? ok(NULL) : err(errno);
	free(v);
}

static void c_xs_write_other_domain_node(void)
{
	char p[64];

	snprintf(p, sizeof(p), "/local/domain/%u/xt-probe-private",
		 self_id ? 0 : NONEXISTENT_DOMID);
	xs_res(xs_write(xs, XBT_NULL, p, "x", 1));
}

static void c_xs_write_top_level(void)
{
	xs_res(xs_write(xs, XBT_NULL, "/xt-probe-top", "x", 1));
}

static void c_xs_rm_missing(void)
{
	char p[192];

	snprintf(p, sizeof(p), "%s/xt-probe/none/deeper", mypath);
	xs_res(xs_rm(xs, XBT_NULL, p));
}

static void c_xs_directory_missing(void)
{
	char p[192];
	unsigned n;
	char **d;

	snprintf(p, sizeof(p), "%s/xt-probe/nodir", mypath);
	d = xs_directory(xs, XBT_NULL, p, &n);
	d ? ok("%u", n) : err(errno);
	free(d);
}

static void c_xs_write_bad_path(void)
{
	xs_res(xs_write(xs, XBT_NULL, "/local/domain/bad path!", "x", 1));
}

static void c_xs_perms_roundtrip(void)
{
	char p[192], s[128] = "";
	struct xs_permissions set[2] = {
		{ .id = self_id, .perms = XS_PERM_NONE },
		{ .id = peer_id, .perms = XS_PERM_READ },
	}, *got;
	unsigned n;

	snprintf(p, sizeof(p), "%s/xt-probe/perm", mypath);
	if (!xs_write(xs, XBT_NULL, p, "v", 1) || !xs_set_permissions(xs, XBT_NULL, p, set, 2))
		return err(errno);
	got = xs_get_permissions(xs, XBT_NULL, p, &n);
	if (!got)
		return err(errno);
	for (unsigned i = 0; i < n; i++) {
		size_t l = strlen(s);

		snprintf(s + l, sizeof(s) - l, "%s%s:%s", i ? "," : "",
			 got[i].id == self_id ? "self" : got[i].id == peer_id ? "peer" : "other",
			 got[i].perms == XS_PERM_NONE ? "n" : got[i].perms == XS_PERM_READ ? "r" :
			 got[i].perms == XS_PERM_WRITE ? "w" : "b");
	}
	ok("%s", s);
	free(got);
}

static void c_xs_transaction_conflict(void)
{
	char p[192];
	unsigned len;
	xs_transaction_t t;
	void *v;

	snprintf(p, sizeof(p), "%s/xt-probe/tx", mypath);
	if (!xs_write(xs, XBT_NULL, p, "0", 1))
		return err(errno);
	t = xs_transaction_start(xs);
	if (t == XBT_NULL)
		return err(errno);
	v = xs_read(xs, t, p, &len);
	free(v);
	xs_write(xs, t, p, "1", 1);
	xs_write(xs, XBT_NULL, p, "2", 1);
	xs_res(xs_transaction_end(xs, t, false));
}

static void c_xs_watch_fires(void)
{
	char p[192], **ev;
	unsigned n;
	int got = 0;

	snprintf(p, sizeof(p), "%s/xt-probe/w", mypath);
	if (!xs_watch(xs, p, "tok"))
		return err(errno);
	xs_write(xs, XBT_NULL, p, "1", 1);
	/*
	 * Both events (the watch's own, then the write's) within one 15 s
	 * deadline, under the case's 20 s alarm: a TCG guest busy beside
	 * dom0's cases once took more than 3 s for the second.
	 */
	struct timespec t0, now;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 2; i++) {
		struct pollfd pf = { .fd = xs_fileno(xs), .events = POLLIN };
		long left;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left = 15000 - ((now.tv_sec - t0.tv_sec) * 1000 +
				(now.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0 || poll(&pf, 1, (int)left) != 1)
			break;
		ev = xs_read_watch(xs, &n);
		if (ev)
			got++;
		free(ev);
	}
	xs_unwatch(xs, p, "tok");
	ok("events=%d", got);
}

/* --- table ----------------------------------------------------------------- */

struct probe_case {
	const char *name;
	void (*fn)(void);
	int xs;
};

#define C(n) { #n, c_##n, 0 }
#define X(n) { #n, c_##n, 1 }
static const struct probe_case cases[] = {
	C(map_self_grant),
	C(map_ro_grant_readonly),
	C(map_ro_grant_writable),
	C(map_grant_for_other_domain),
	C(map_bad_ref),
	C(map_nonexistent_domain),
	C(gntdev_map_count_zero),
	C(gntdev_map_count_huge),
	C(gntdev_unmap_twice),
	C(gntdev_unmap_unknown_index),
	C(gntdev_unmap_wrong_count),
	C(gntdev_set_unmap_notify_unknown_index),
	C(gntdev_set_unmap_notify_bad_action),
	C(gntdev_mmap_shared),
	C(gntdev_mmap_private),
	C(gntdev_mmap_too_long),
	C(gntdev_mmap_wrong_offset),
	C(gntdev_get_offset_non_gntdev),
	C(gntdev_get_offset_unmapped),
	C(gntdev_get_offset_ok),
	C(gntdev_unmap_while_mmapped),
	C(unmap_notify_on_mapper_exit),
	C(unmap_notify_on_sharer_exit),
	C(gntshr_refs_not_reserved),
	C(gntalloc_count_zero),
	C(gntalloc_count_1024),
	C(gntalloc_count_1025),
	C(gntalloc_limit_across_files),
	C(gntalloc_dealloc_unknown),
	C(gntalloc_dealloc_twice),
	C(gntalloc_set_unmap_notify_unknown),
	C(gntalloc_mmap_shared),
	C(gntalloc_mmap_private),
	C(gntalloc_mmap_too_long),
	C(evtchn_loopback),
	C(evtchn_bind_unoffered_port),
	C(evtchn_bind_port_offered_to_other),
	C(evtchn_bind_already_connected),
	C(evtchn_bind_nonexistent_domain),
	C(evtchn_unbound_for_nonexistent_domain),
	C(evtchn_notify_unbound_port),
	C(evtchn_notify_port_of_other_handle),
	C(evtchn_unbind_twice),
	C(evtchn_notify_after_peer_close),
	X(xs_read_missing),
	X(xs_write_read_own),
	X(xs_read_other_domain_node),
	X(xs_write_other_domain_node),
	X(xs_write_top_level),
	X(xs_rm_missing),
	X(xs_directory_missing),
	X(xs_write_bad_path),
	X(xs_perms_roundtrip),
	X(xs_transaction_conflict),
	X(xs_watch_fires),
};

static void on_alarm(int sig)
{
	(void)sig;
	static const char m[] = "xen-probe: case timed out\n";
	if (write(2, m, sizeof(m) - 1) < 0)
		_exit(3);
	_exit(3);
}

int main(int argc, char **argv)
{
	int xs_only = 0, have_self = 0;
	const char *prefix = argc > 0 && getenv("XEN_PROBE_PREFIX") ?
			     getenv("XEN_PROBE_PREFIX") : "";

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--xs-only") == 0) {
			xs_only = 1;
		} else if (strcmp(argv[i], "--self") == 0 && i + 1 < argc) {
			self_id = (unsigned)strtoul(argv[++i], NULL, 0);
			have_self = 1;
		} else if (strcmp(argv[i], "--peer") == 0 && i + 1 < argc) {
			peer_id = (unsigned)strtoul(argv[++i], NULL, 0);
		} else {
			fprintf(stderr, "usage: xen-probe [--xs-only] [--self DOMID] [--peer DOMID]\n");
			return 64;
		}
	}
	signal(SIGALRM, on_alarm);
	setvbuf(stdout, NULL, _IOLBF, 0);

	xs = xs_open(0);
	if (xs && !have_self) {
		unsigned len;
		char *v = xs_read(xs, XBT_NULL, "domid", &len);

		if (v)
			self_id = (unsigned)strtoul(v, NULL, 10);
		free(v);
	}
	if (peer_id == self_id)
		peer_id = self_id + 1;
	snprintf(mypath, sizeof(mypath), "/local/domain/%u/data", self_id);
	if (xs && self_id == 0) {
		/* The node c_xs_*_other_domain_node reads from an unprivileged domain. */
		xs_write(xs, XBT_NULL, "/local/domain/0/xt-probe-private", "secret", 6);
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (xs_only && !cases[i].xs)
			continue;
		if (cases[i].xs && !xs) {
			printf("%s%s: no-xenstore\n", prefix, cases[i].name);
			continue;
		}
		line[0] = 0;
		errno = 0;
		alarm(20);
		cases[i].fn();
		alarm(0);
		printf("%s%s: %s\n", prefix, cases[i].name, line);
	}
	if (xs) {
		char p[192];

		snprintf(p, sizeof(p), "%s/xt-probe", mypath);
		xs_rm(xs, XBT_NULL, p);
		if (self_id == 0) {
			snprintf(p, sizeof(p), "/local/domain/%u", NONEXISTENT_DOMID);
			xs_rm(xs, XBT_NULL, p);
		}
		xs_close(xs);
	}
	return 0;
}

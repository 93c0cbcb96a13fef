/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * End-to-end scenarios of the simulator, each with several domains.
 *
 *   xensim_e2e SCENARIO XENSIM
 *
 * runs inside `xensim session`; it starts each role of the scenario as
 * `XENSIM run --domid N -- xensim_e2e ROLE FD`, where FD is one end of a
 * socketpair to this orchestrator, which relays one-line messages between
 * the roles.  Every wait is bounded; exit status 0 means the scenario held.
 *
 * Scenarios:
 *   freebsd     FreeBSD gntdev ABI only (include/gntdev.h): ALLOC_GREF,
 *               mmap, MAP_GRANT_REF, mmap, SET_UNMAP_NOTIFY, UNMAP, DEALLOC
 *               across two domains, bytes checked both ways.
 *   isolation   Debian's libxengnttab/libxenevtchn/libxenstore: each breach
 *               fails with the errno Xen and Linux give.
 *   killnotify  SIGKILL of a process that maps a peer's page with an unmap
 *               notification: the byte is cleared and the peer's event fd
 *               wakes within 100 ms.
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
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xenevtchn.h>
#include <xengnttab.h>
#include <xenstore.h>

#include "gntdev.h"
#include "sim_check.h"

#define PAGE 4096u

/* ---- orchestration ---- */

struct role {
	const char *name;
	int domid;
	pid_t pid;
	int fd;
};

static void
spawn(const char *xensim, struct role *r)
{
	char self[4096], fdarg[16], dom[16];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	int sv[2];

	if (n <= 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
		perror("spawn");
		exit(1);
	}
	self[n] = '\0';
	r->pid = fork();
	if (r->pid == 0) {
		close(sv[0]);
		snprintf(fdarg, sizeof(fdarg), "%d", sv[1]);
		snprintf(dom, sizeof(dom), "%d", r->domid);
		execl(xensim, "xensim", "run", "--domid", dom, "--", self,
		      r->name, fdarg, (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	fcntl(sv[0], F_SETFD, FD_CLOEXEC);
	r->fd = sv[0];
}

static int
reap(struct role *r, int ms)
{
	double end = now_ms() + ms;
	int status;

	while (now_ms() < end) {
		if (waitpid(r->pid, &status, WNOHANG) == r->pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
		usleep(5000);
	}
	kill(r->pid, SIGTERM);
	waitpid(r->pid, &status, 0);
	fprintf(stderr, "role %s did not finish\n", r->name);
	return 124;
}

/* Relay one line from `a` to `b`. */
static int
relay(struct role *a, struct role *b, int ms)
{
	char line[256];

	if (hear(a->fd, line, sizeof(line), ms) < 0) {
		fprintf(stderr, "no message from %s\n", a->name);
		return -1;
	}
	say(b->fd, "%s", line);
	return 0;
}

/* ---- scenario freebsd ---- */

static const char *
pattern_byte_msg(void)
{
	return "hello from domain 1";
}

static int
role_fbsd_share(int fd)
{
	struct ioctl_gntdev_alloc_gref alloc;
	struct ioctl_gntdev_dealloc_gref dealloc;
	struct ioctl_gntdev_unmap_notify notify;
	uint32_t grefs[2] = { 0, 0 };
	char line[256];
	uint8_t *p;
	int dev;

	dev = open("/dev/xen/gntdev", O_RDWR | O_CLOEXEC);
	CHECK(dev >= 0, "open gntdev: %s", strerror(errno));
	if (dev < 0)
		return 1;
	memset(&alloc, 0, sizeof(alloc));
	alloc.domid = 2;
	alloc.flags = GNTDEV_ALLOC_FLAG_WRITABLE;
	alloc.count = 2;
	alloc.gref_ids = grefs;
	CHECK(ioctl(dev, IOCTL_GNTDEV_ALLOC_GREF, &alloc) == 0,
	      "ALLOC_GREF: %s", strerror(errno));
	CHECK(alloc.index == 0xFFFFFFFFFFFFE000ULL, "index %#llx",
	      (unsigned long long)alloc.index);
	CHECK(grefs[0] >= 8 && grefs[1] >= 8 && grefs[0] != grefs[1],
	      "grefs %u %u", grefs[0], grefs[1]);
	p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, dev,
		 (off_t)alloc.index);
	CHECK(p != MAP_FAILED, "mmap shared: %s", strerror(errno));
	if (p == MAP_FAILED)
		return 1;
	memset(p, 0xA5, 2 * PAGE);
	memcpy(p, pattern_byte_msg(), strlen(pattern_byte_msg()) + 1);
	p[PAGE + 100] = 0x5A;
	/* A notification on a shared page is accepted. */
	memset(&notify, 0, sizeof(notify));
	notify.index = alloc.index + PAGE + 7;
	notify.action = UNMAP_NOTIFY_CLEAR_BYTE;
	CHECK(ioctl(dev, IOCTL_GNTDEV_SET_UNMAP_NOTIFY, &notify) == 0,
	      "SET_UNMAP_NOTIFY shared: %s", strerror(errno));
	say(fd, "%u %u", grefs[0], grefs[1]);
	if (hear(fd, line, sizeof(line), 10000) < 0 || strcmp(line, "done") != 0) {
		CHECK(0, "mapper did not finish");
		return 1;
	}
	/* The mapper wrote into page 1; its unmap cleared byte 5 of page 0. */
	CHECK(memcmp(p + PAGE, "reply from domain 2", 20) == 0,
	      "reply not seen: %.20s", (char *)p + PAGE);
	CHECK(p[5] == 0, "unmap notify did not clear byte 5 (%#x)", p[5]);
	CHECK(p[4] == 'o' && p[6] == 'f', "neighbours of the byte changed");
	CHECK(munmap(p, 2 * PAGE) == 0, "munmap: %s", strerror(errno));
	memset(&dealloc, 0, sizeof(dealloc));
	dealloc.index = alloc.index;
	dealloc.count = 2;
	CHECK(ioctl(dev, IOCTL_GNTDEV_DEALLOC_GREF, &dealloc) == 0,
	      "DEALLOC_GREF: %s", strerror(errno));
	/* Deallocated: neither mmap nor a second DEALLOC. */
	CHECK(ioctl(dev, IOCTL_GNTDEV_DEALLOC_GREF, &dealloc) == -1 &&
	      errno == EINVAL, "second DEALLOC: %s", strerror(errno));
	close(dev);
	return failures ? 1 : 0;
}

static int
role_fbsd_map(int fd)
{
	struct ioctl_gntdev_grant_ref refs[2];
	struct ioctl_gntdev_map_grant_ref map;
	struct ioctl_gntdev_unmap_grant_ref unmap;
	struct ioctl_gntdev_unmap_notify notify;
	struct ioctl_gntdev_get_offset_for_vaddr off;
	unsigned int g0, g1;
	char line[256];
	uint8_t *p;
	int dev;

	if (hear(fd, line, sizeof(line), 10000) < 0 ||
	    sscanf(line, "%u %u", &g0, &g1) != 2) {
		CHECK(0, "no grefs");
		return 1;
	}
	dev = open("/dev/xen/gntdev", O_RDWR);
	CHECK(dev >= 0, "open gntdev: %s", strerror(errno));
	if (dev < 0)
		return 1;
	refs[0].domid = 1;
	refs[0].ref = g0;
	refs[1].domid = 1;
	refs[1].ref = g1;
	memset(&map, 0, sizeof(map));
	map.count = 2;
	map.refs = refs;
	CHECK(ioctl(dev, IOCTL_GNTDEV_MAP_GRANT_REF, &map) == 0,
	      "MAP_GRANT_REF: %s", strerror(errno));
	p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, dev,
		 (off_t)map.index);
	CHECK(p != MAP_FAILED, "mmap foreign: %s", strerror(errno));
	if (p == MAP_FAILED)
		return 1;
	CHECK(strcmp((char *)p, pattern_byte_msg()) == 0, "page 0: %.20s",
	      (char *)p);
	CHECK(p[PAGE + 100] == 0x5A && p[PAGE - 1] == 0xA5 &&
	      p[2 * PAGE - 1] == 0xA5, "pattern mismatch");
	memset(&off, 0, sizeof(off));
	off.vaddr = (uint64_t)(uintptr_t)(p + PAGE + 3);
	CHECK(ioctl(dev, IOCTL_GNTDEV_GET_OFFSET_FOR_VADDR, &off) == 0 &&
	      off.offset == map.index && off.count == 2,
	      "GET_OFFSET_FOR_VADDR: %s", strerror(errno));
	memset(&notify, 0, sizeof(notify));
	notify.index = map.index + 5;
	notify.action = UNMAP_NOTIFY_CLEAR_BYTE;
	CHECK(ioctl(dev, IOCTL_GNTDEV_SET_UNMAP_NOTIFY, &notify) == 0,
	      "SET_UNMAP_NOTIFY: %s", strerror(errno));
	notify.action = 0x4;
	CHECK(ioctl(dev, IOCTL_GNTDEV_SET_UNMAP_NOTIFY, &notify) == -1 &&
	      errno == EINVAL, "bad action: %s", strerror(errno));
	memcpy(p + PAGE, "reply from domain 2", 20);
	/* UNMAP while mapped is legal; the grants go with the last munmap. */
	memset(&unmap, 0, sizeof(unmap));
	unmap.index = map.index;
	unmap.count = 2;
	CHECK(ioctl(dev, IOCTL_GNTDEV_UNMAP_GRANT_REF, &unmap) == 0,
	      "UNMAP_GRANT_REF: %s", strerror(errno));
	CHECK(ioctl(dev, IOCTL_GNTDEV_UNMAP_GRANT_REF, &unmap) == -1 &&
	      errno == EINVAL, "second UNMAP: %s", strerror(errno));
	CHECK(p[0] == 'h', "mapping gone before munmap");
	CHECK(munmap(p, 2 * PAGE) == 0, "munmap: %s", strerror(errno));
	close(dev);
	say(fd, "done");
	return failures ? 1 : 0;
}

static int
scenario_freebsd(const char *xensim)
{
	struct role share = { "fbsd-share", 1, 0, -1 };
	struct role map = { "fbsd-map", 2, 0, -1 };
	int a, b;

	spawn(xensim, &share);
	spawn(xensim, &map);
	if (relay(&share, &map, 10000) == 0)
		(void)relay(&map, &share, 10000);
	a = reap(&share, 10000);
	b = reap(&map, 10000);
	if (a == 0 && b == 0)
		printf("freebsd ABI: 2 pages shared, mapped, notified, unmapped "
		       "and deallocated across domains 1 and 2: ok\n");
	return a || b;
}

/* ---- scenario isolation ---- */

static int
role_iso_owner(int fd)
{
	xengntshr_handle *shr = xengntshr_open(NULL, 0);
	xenevtchn_handle *ev = xenevtchn_open(NULL, 0);
	struct xs_handle *xs = xs_open(0);
	uint32_t rw_ref = 0, ro_ref = 0;
	xenevtchn_port_or_error_t port;
	char line[256];
	void *rw, *ro;

	CHECK(shr && ev && xs, "open handles: %s", strerror(errno));
	if (!shr || !ev || !xs)
		return 1;
	rw = xengntshr_share_pages(shr, 2, 1, &rw_ref, 1);
	ro = xengntshr_share_pages(shr, 2, 1, &ro_ref, 0);
	CHECK(rw && ro, "share: %s", strerror(errno));
	port = xenevtchn_bind_unbound_port(ev, 2);
	CHECK(port > 0, "bind_unbound_port: %s", strerror(errno));
	CHECK(xs_write(xs, XBT_NULL, "/local/domain/1/data/secret", "s3cret", 6),
	      "xs_write: %s", strerror(errno));
	say(fd, "%u %u %d", rw_ref, ro_ref, port);
	if (hear(fd, line, sizeof(line), 15000) < 0)
		CHECK(0, "no end message");
	if (rw)
		xengntshr_unshare(shr, rw, 1);
	if (ro)
		xengntshr_unshare(shr, ro, 1);
	xs_rm(xs, XBT_NULL, "/local/domain/1/data");
	xenevtchn_close(ev);
	xengntshr_close(shr);
	xs_close(xs);
	return failures ? 1 : 0;
}

/* Domain 3: nothing was granted or offered to it. */
static int
role_iso_intruder(int fd)
{
	xengnttab_handle *gt = xengnttab_open(NULL, 0);
	xenevtchn_handle *ev = xenevtchn_open(NULL, 0);
	struct xs_handle *xs = xs_open(0);
	unsigned int rw_ref, ro_ref, len;
	int port;
	char line[256];
	void *p;

	CHECK(gt && ev && xs, "open handles");
	if (!gt || !ev || !xs || hear(fd, line, sizeof(line), 10000) < 0 ||
	    sscanf(line, "%u %u %d", &rw_ref, &ro_ref, &port) != 3)
		return 1;
	errno = 0;
	p = xengnttab_map_grant_ref(gt, 1, rw_ref, PROT_READ);
	CHECK(p == NULL && errno == EINVAL,
	      "mapping a grant made to domain 2: %p %s", p, strerror(errno));
	printf("isolation: map of another domain's grant -> %s\n",
	       strerror(errno));
	errno = 0;
	CHECK(xenevtchn_bind_interdomain(ev, 1, (unsigned)port) == -1 &&
	      errno == EINVAL, "binding a port offered to domain 2: %s",
	      strerror(errno));
	printf("isolation: bind of a port offered to another domain -> %s\n",
	       strerror(errno));
	errno = 0;
	CHECK(xs_read(xs, XBT_NULL, "/local/domain/1/data/secret", &len) == NULL &&
	      errno == EACCES, "reading another domain's node: %s",
	      strerror(errno));
	printf("isolation: xenstore read of another domain's node -> %s\n",
	       strerror(errno));
	errno = 0;
	CHECK(!xs_write(xs, XBT_NULL, "/local/domain/1/data/evil", "x", 1) &&
	      errno == EACCES, "writing under another domain: %s",
	      strerror(errno));
	printf("isolation: xenstore write under another domain -> %s\n",
	       strerror(errno));
	xenevtchn_close(ev);
	xengnttab_close(gt);
	xs_close(xs);
	say(fd, "done");
	return failures ? 1 : 0;
}

/* Domain 2: the rightful grantee, but the read-only grant stays read-only. */
static int
role_iso_grantee(int fd)
{
	xengnttab_handle *gt = xengnttab_open(NULL, 0);
	xenevtchn_handle *ev = xenevtchn_open(NULL, 0);
	unsigned int rw_ref, ro_ref;
	int port, local;
	char line[256];
	void *p;

	if (!gt || !ev || hear(fd, line, sizeof(line), 10000) < 0 ||
	    sscanf(line, "%u %u %d", &rw_ref, &ro_ref, &port) != 3)
		return 1;
	errno = 0;
	p = xengnttab_map_grant_ref(gt, 1, ro_ref, PROT_READ | PROT_WRITE);
	CHECK(p == NULL && errno == EINVAL,
	      "writable map of a read-only grant: %p %s", p, strerror(errno));
	printf("isolation: writable map of a read-only grant -> %s\n",
	       strerror(errno));
	p = xengnttab_map_grant_ref(gt, 1, ro_ref, PROT_READ);
	CHECK(p != NULL, "read-only map of a read-only grant: %s",
	      strerror(errno));
	if (p != NULL)
		xengnttab_unmap(gt, p, 1);
	p = xengnttab_map_grant_ref(gt, 1, rw_ref, PROT_READ | PROT_WRITE);
	CHECK(p != NULL, "map of our own grant: %s", strerror(errno));
	if (p != NULL)
		xengnttab_unmap(gt, p, 1);
	local = xenevtchn_bind_interdomain(ev, 1, (unsigned)port);
	CHECK(local > 0, "bind of the port offered to us: %s", strerror(errno));
	/* Once bound, the port is no longer on offer. */
	if (local > 0)
		xenevtchn_unbind(ev, (unsigned)local);
	xenevtchn_close(ev);
	xengnttab_close(gt);
	say(fd, "done");
	return failures ? 1 : 0;
}

static int
scenario_isolation(const char *xensim)
{
	struct role owner = { "iso-owner", 1, 0, -1 };
	struct role grantee = { "iso-grantee", 2, 0, -1 };
	struct role intruder = { "iso-intruder", 3, 0, -1 };
	char line[256];
	int a, b, c;

	spawn(xensim, &owner);
	spawn(xensim, &grantee);
	spawn(xensim, &intruder);
	if (hear(owner.fd, line, sizeof(line), 10000) == 0) {
		say(intruder.fd, "%s", line);
		say(grantee.fd, "%s", line);
		(void)hear(intruder.fd, line, sizeof(line), 10000);
		(void)hear(grantee.fd, line, sizeof(line), 10000);
		say(owner.fd, "end");
	}
	a = reap(&owner, 10000);
	b = reap(&grantee, 10000);
	c = reap(&intruder, 10000);
	return a || b || c;
}

/* ---- scenario killnotify ---- */

static int
role_kill_peer(int fd)
{
	xengntshr_handle *shr = xengntshr_open(NULL, 0);
	xenevtchn_handle *ev = xenevtchn_open(NULL, 0);
	xenevtchn_port_or_error_t port;
	uint32_t ref = 0;
	char line[256];
	volatile uint8_t *p;
	int victim_pid, evfd;
	double t0, t_event = -1, t_byte = -1;

	if (!shr || !ev)
		return 1;
	p = xengntshr_share_pages(shr, 2, 1, &ref, 1);
	port = xenevtchn_bind_unbound_port(ev, 2);
	CHECK(p != NULL && port > 0, "setup: %s", strerror(errno));
	if (p == NULL || port <= 0)
		return 1;
	p[20] = 1;
	say(fd, "%u %d", ref, port);
	if (hear(fd, line, sizeof(line), 10000) < 0 ||
	    sscanf(line, "ready %d", &victim_pid) != 1) {
		CHECK(0, "victim not ready");
		return 1;
	}
	/* The victim's bind raised nothing yet; start from a quiet port. */
	evfd = xenevtchn_fd(ev);
	{
		struct pollfd pf = { evfd, POLLIN, 0 };

		while (poll(&pf, 1, 0) == 1) {
			int pend = xenevtchn_pending(ev);

			if (pend >= 0)
				xenevtchn_unmask(ev, (unsigned)pend);
		}
	}
	CHECK(p[20] == 1, "byte not set before the kill");
	t0 = now_ms();
	kill(victim_pid, SIGKILL);
	while (now_ms() - t0 < 1000 && (t_event < 0 || t_byte < 0)) {
		struct pollfd pf = { evfd, POLLIN, 0 };

		if (t_byte < 0 && p[20] == 0)
			t_byte = now_ms() - t0;
		if (t_event < 0 && poll(&pf, 1, 1) == 1) {
			t_event = now_ms() - t0;
			if (p[20] == 0 && t_byte < 0)
				t_byte = t_event;
		}
	}
	printf("kill-notify: byte cleared after %.3f ms, event after %.3f ms\n",
	       t_byte, t_event);
	CHECK(t_byte >= 0 && t_byte <= 100, "byte cleared after %.3f ms", t_byte);
	CHECK(t_event >= 0 && t_event <= 100, "event after %.3f ms", t_event);
	CHECK(xenevtchn_pending(ev) == port, "pending port");
	xengntshr_unshare(shr, (void *)(uintptr_t)p, 1);
	xenevtchn_close(ev);
	xengntshr_close(shr);
	say(fd, "done");
	return failures ? 1 : 0;
}

static int
role_kill_victim(int fd)
{
	xengnttab_handle *gt = xengnttab_open(NULL, 0);
	xenevtchn_handle *ev = xenevtchn_open(NULL, 0);
	unsigned int ref;
	int port, local;
	char line[256];
	void *p;

	if (!gt || !ev || hear(fd, line, sizeof(line), 10000) < 0 ||
	    sscanf(line, "%u %d", &ref, &port) != 2)
		return 1;
	local = xenevtchn_bind_interdomain(ev, 1, (unsigned)port);
	CHECK(local > 0, "bind: %s", strerror(errno));
	p = xengnttab_map_grant_ref_notify(gt, 1, ref, PROT_READ | PROT_WRITE,
					   20, (evtchn_port_t)local);
	CHECK(p != NULL, "map with notify: %s", strerror(errno));
	if (p == NULL || local <= 0)
		return 1;
	say(fd, "ready %d", (int)getpid());
	for (;;)
		pause(); /* until SIGKILL */
}

static int
scenario_killnotify(const char *xensim)
{
	struct role peer = { "kill-peer", 1, 0, -1 };
	struct role victim = { "kill-victim", 2, 0, -1 };
	char line[256];
	int a;

	spawn(xensim, &peer);
	spawn(xensim, &victim);
	if (relay(&peer, &victim, 10000) == 0 && relay(&victim, &peer, 10000) == 0)
		(void)hear(peer.fd, line, sizeof(line), 10000);
	a = reap(&peer, 10000);
	(void)reap(&victim, 10000);
	return a;
}

int
main(int argc, char **argv)
{
	int fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	alarm(60); /* no scenario may hang */
	if (argc != 3) {
		fprintf(stderr, "usage: xensim_e2e freebsd|isolation|killnotify XENSIM\n");
		return 2;
	}
	if (strcmp(argv[1], "freebsd") == 0)
		return scenario_freebsd(argv[2]);
	if (strcmp(argv[1], "isolation") == 0)
		return scenario_isolation(argv[2]);
	if (strcmp(argv[1], "killnotify") == 0)
		return scenario_killnotify(argv[2]);
	fd = atoi(argv[2]);
	if (strcmp(argv[1], "fbsd-share") == 0)
		return role_fbsd_share(fd);
	if (strcmp(argv[1], "fbsd-map") == 0)
		return role_fbsd_map(fd);
	if (strcmp(argv[1], "iso-owner") == 0)
		return role_iso_owner(fd);
	if (strcmp(argv[1], "iso-intruder") == 0)
		return role_iso_intruder(fd);
	if (strcmp(argv[1], "iso-grantee") == 0)
		return role_iso_grantee(fd);
	if (strcmp(argv[1], "kill-peer") == 0)
		return role_kill_peer(fd);
	if (strcmp(argv[1], "kill-victim") == 0)
		return role_kill_victim(fd);
	fprintf(stderr, "unknown role %s\n", argv[1]);
	return 2;
}

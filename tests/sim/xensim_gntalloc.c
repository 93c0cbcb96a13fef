/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Linux gntalloc in the simulator: ALLOC_GREF of 0 pages and the global page
 * limit (per simulated domain), through the raw /dev/xen/gntalloc ioctls.
 * Runs as a domain (`xensim run`); gntalloc_limit.sh drives it.
 *
 *   xensim_gntalloc count0
 *	count 0 succeeds with Linux's running index of the file (0 fresh,
 *	then the bytes allocated), allocates nothing and leaves no page at
 *	that index; the FreeBSD ABI still refuses count 0 with EINVAL.
 *   xensim_gntalloc limit LIMIT
 *	the domain's limit is LIMIT pages: over one file, across files,
 *	deallocated-but-mmapped pages count until munmap, closed files and
 *	exited processes give theirs back at once, a page parked because a
 *	peer (here: the domain itself, through gntdev) still maps it does not
 *	count.
 *   xensim_gntalloc hold N
 *	allocates N pages, prints "held", and keeps them until stdin ends.
 *   xensim_gntalloc alloc N
 *	one ALLOC of N pages; prints "ok" or the errno name.
 * Exit status 0 when every check held.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <xen/sys/gntalloc.h>
#include <xengnttab.h>

#include "gntdev.h"
#include "sim_check.h"

#define PAGE 4096u

static unsigned self_dom;

static int
ga_open(void)
{
	int fd = open("/dev/xen/gntalloc", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		perror("open /dev/xen/gntalloc");
		exit(2);
	}
	return fd;
}

/* ALLOC_GREF of `count` pages granted to this domain; 0 or an errno. */
static int
ga_alloc(int fd, uint32_t count, uint64_t *index, uint32_t *ids)
{
	size_t sz = sizeof(struct ioctl_gntalloc_alloc_gref) +
		(count ? count - 1 : 0) * sizeof(uint32_t);
	struct ioctl_gntalloc_alloc_gref *a = calloc(1, sz);
	int rc;

	if (a == NULL)
		return ENOMEM;
	a->domid = (uint16_t)self_dom;
	a->flags = GNTALLOC_FLAG_WRITABLE;
	a->count = count;
	a->index = 0xdeadbeef;
	rc = ioctl(fd, IOCTL_GNTALLOC_ALLOC_GREF, a) < 0 ? errno : 0;
	if (rc == 0 && index != NULL)
		*index = a->index;
	if (rc == 0 && ids != NULL)
		memcpy(ids, a->gref_ids, count * sizeof(uint32_t));
	free(a);
	return rc;
}

static int
ga_dealloc(int fd, uint64_t index, uint32_t count)
{
	struct ioctl_gntalloc_dealloc_gref d = { .index = index, .count = count };

	return ioctl(fd, IOCTL_GNTALLOC_DEALLOC_GREF, &d) < 0 ? errno : 0;
}

/* Exactly `n` more pages fit in the domain: n succeed, n + 1 do not. */
static void
check_room(uint32_t n, const char *when)
{
	int fd = ga_open();
	int rc;

	rc = ga_alloc(fd, n + 1, NULL, NULL);
	CHECK(rc == ENOSPC, "%s: %u+1 pages: %s, want ENOSPC", when, n,
	      strerror(rc));
	if (n > 0) {
		rc = ga_alloc(fd, n, NULL, NULL);
		CHECK(rc == 0, "%s: %u pages: %s", when, n, strerror(rc));
		rc = ga_alloc(fd, 1, NULL, NULL);
		CHECK(rc == ENOSPC, "%s: one more: %s, want ENOSPC", when,
		      strerror(rc));
	}
	close(fd);
}

static void
count0(void)
{
	int fd = ga_open(), dev, rc;
	uint64_t idx = 1, idx2 = 0;
	void *m;

	rc = ga_alloc(fd, 0, &idx, NULL);
	CHECK(rc == 0 && idx == 0, "count 0 on a fresh file: %s index %#llx",
	      strerror(rc), (unsigned long long)idx);
	CHECK(ga_alloc(fd, 2, &idx2, NULL) == 0, "2 pages");
	rc = ga_alloc(fd, 0, &idx, NULL);
	CHECK(rc == 0 && idx == 2 * PAGE,
	      "count 0 after 2 pages: %s index %#llx, want 0x2000",
	      strerror(rc), (unsigned long long)idx);
	CHECK(idx != idx2, "count 0 answered a live index");
	/* Nothing lives there. */
	m = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)idx);
	CHECK(m == MAP_FAILED && errno == ENOENT,
	      "mmap at the count-0 index: %s", m == MAP_FAILED ?
	      strerror(errno) : "mapped");
	if (m != MAP_FAILED)
		munmap(m, PAGE);
	CHECK(ga_dealloc(fd, idx, 1) == EINVAL, "dealloc at the count-0 index");
	/* It allocated nothing: the limit still has room for 1022 more. */
	check_room(1024 - 2, "after count 0");
	CHECK(ga_dealloc(fd, idx2, 2) == 0, "dealloc the 2 pages");
	close(fd);

	/* FreeBSD's ABI on gntdev keeps EINVAL for 0 pages. */
	dev = open("/dev/xen/gntdev", O_RDWR | O_CLOEXEC);
	CHECK(dev >= 0, "open gntdev: %s", strerror(errno));
	if (dev >= 0) {
		uint32_t ref = 0;
		struct ioctl_gntdev_alloc_gref a = {
			.domid = (uint16_t)self_dom, .count = 0,
			.gref_ids = &ref,
		};

		CHECK(ioctl(dev, IOCTL_GNTDEV_ALLOC_GREF, &a) < 0 &&
		      errno == EINVAL, "FreeBSD ABI count 0: want EINVAL");
		close(dev);
	}
}

static void
limit(uint32_t lim)
{
	int a = ga_open(), b = ga_open(), rc;
	uint64_t ia = 0, ib = 0, ic = 0;
	uint32_t half = lim / 2 + 1, ref = 0;
	xengnttab_handle *gt;
	void *m, *peer;
	pid_t pid;
	int st;

	/* One file: the limit, then nothing. */
	check_room(lim, "empty domain");

	/* Across files: the limit is global. */
	CHECK(ga_alloc(a, half, &ia, NULL) == 0, "first file, %u pages", half);
	rc = ga_alloc(b, half, NULL, NULL);
	CHECK(rc == ENOSPC, "second file, %u pages: %s, want ENOSPC", half,
	      strerror(rc));
	check_room(lim - half, "one file holds half");
	/* DEALLOC of pages nobody maps gives them back. */
	CHECK(ga_dealloc(a, ia, half) == 0, "dealloc");
	check_room(lim, "after dealloc");

	/* Deallocated but still mmapped: counted until munmap. */
	CHECK(ga_alloc(a, 3, &ia, NULL) == 0, "3 pages");
	m = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, a,
		 (off_t)ia);
	CHECK(m != MAP_FAILED, "mmap 3 pages: %s", strerror(errno));
	CHECK(ga_dealloc(a, ia, 3) == 0, "dealloc mmapped pages");
	check_room(lim - 3, "deallocated, still mmapped");
	if (m != MAP_FAILED)
		munmap(m, 3 * PAGE);
	check_room(lim, "after munmap");

	/* Closed with a live mmap: counted until munmap, then given back. */
	CHECK(ga_alloc(b, 5, &ib, NULL) == 0, "5 pages");
	m = mmap(NULL, 5 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, b,
		 (off_t)ib);
	CHECK(m != MAP_FAILED, "mmap 5 pages: %s", strerror(errno));
	close(b);
	check_room(lim - 5, "closed, still mmapped");
	if (m != MAP_FAILED)
		munmap(m, 5 * PAGE);
	check_room(lim, "after munmap of a closed file's pages");

	/* A closed file gives its pages back at once (no race with the next ALLOC). */
	b = ga_open();
	CHECK(ga_alloc(b, lim, NULL, NULL) == 0, "all %u pages", lim);
	close(b);
	check_room(lim, "right after close");

	/* A process that exits with pages allocated and mmapped. */
	pid = fork();
	if (pid == 0) {
		int c = ga_open();
		uint64_t ic2 = 0;

		if (ga_alloc(c, lim, &ic2, NULL) != 0)
			_exit(1);
		if (mmap(NULL, PAGE, PROT_READ, MAP_SHARED, c, (off_t)ic2) ==
		    MAP_FAILED)
			_exit(2);
		_exit(0);
	}
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	      WEXITSTATUS(st) == 0, "child holding the limit failed");
	check_room(lim, "right after the child exited");

	/*
	 * Parked: a page released by its file while the peer (this domain,
	 * through gntdev) still maps it no longer counts, as on Linux 6.1.
	 */
	gt = xengnttab_open(NULL, 0);
	CHECK(gt != NULL, "xengnttab_open: %s", strerror(errno));
	if (gt == NULL)
		goto out;
	b = ga_open();
	CHECK(ga_alloc(b, 1, &ic, &ref) == 0, "1 page to map");
	peer = xengnttab_map_grant_ref(gt, self_dom, ref, PROT_READ);
	CHECK(peer != NULL, "map own grant: %s", strerror(errno));
	close(b);
	check_room(lim, "page parked by its peer's map");
	if (peer != NULL)
		xengnttab_unmap(gt, peer, 1);
	xengnttab_close(gt);
	check_room(lim, "after the peer let go");
out:
	close(a);
}

static void
hold(uint32_t n)
{
	int fd = ga_open();
	char c;
	int rc = ga_alloc(fd, n, NULL, NULL);

	if (rc != 0) {
		printf("%s\n", strerrorname_np(rc));
		exit(1);
	}
	printf("held\n");
	fflush(stdout);
	while (read(0, &c, 1) > 0)
		;
	close(fd);
}

int
main(int argc, char **argv)
{
	const char *dom = getenv("XENSIM_DOMID");

	if (argc < 2 || dom == NULL) {
		fprintf(stderr, "usage: xensim_gntalloc count0|limit N|hold N|alloc N"
			" (in xensim run)\n");
		return 2;
	}
	self_dom = (unsigned)atoi(dom);
	if (strcmp(argv[1], "count0") == 0) {
		count0();
	} else if (strcmp(argv[1], "limit") == 0 && argc == 3) {
		limit((uint32_t)strtoul(argv[2], NULL, 0));
	} else if (strcmp(argv[1], "hold") == 0 && argc == 3) {
		hold((uint32_t)strtoul(argv[2], NULL, 0));
	} else if (strcmp(argv[1], "alloc") == 0 && argc == 3) {
		int fd = ga_open();
		int rc = ga_alloc(fd, (uint32_t)strtoul(argv[2], NULL, 0),
				  NULL, NULL);

		printf("%s\n", rc ? strerrorname_np(rc) : "ok");
		close(fd);
		return rc ? 1 : 0;
	} else {
		fprintf(stderr, "xensim_gntalloc: bad arguments\n");
		return 2;
	}
	if (failures == 0)
		printf("%s: ok\n", argv[1]);
	return failures ? 1 : 0;
}

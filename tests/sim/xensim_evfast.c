/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The simulator's event fast path (a process rings the remote file's
 * doorbell itself, masks live in shared state words) keeps Linux's evtchn
 * semantics.  Run inside `xensim session --check-leaks`:
 *
 *   xensim_evfast SCENARIO XENSIM
 *
 * Each role runs as `XENSIM run --domid N -- xensim_evfast ROLE FD`; FD is a
 * socketpair to this orchestrator, which relays one-line messages.
 *
 * Scenarios:
 *   mask     second notify before the unmask is delivered exactly once, at
 *            the unmask (both by the shim's write() and by a raw write
 *            syscall that only the daemon sees); 2000 exact round trips;
 *            ENOTCONN after unbind, for a port of another descriptor, and
 *            after a forked child that shares the descriptor unbinds.
 *   death    notifying a peer that was SIGKILLed, and one whose descriptor
 *            was closed, is harmless (no SIGPIPE, returns 0); the daemon
 *            holds as many descriptors after 20 bind/notify/death cycles as
 *            before.
 *   storm    a hostile domain floods NOTIFY (its own port, every port
 *            number), unmask writes of every port number and UNBINDs of
 *            ports it does not own, while two other domains run exact round
 *            trips: they see exactly their events, their ports stay bound,
 *            and the storm port is delivered at most once per unmask.
 *   stranded a process dies inside a fast-path notify, after marking the
 *            remote port masked and before ringing its doorbell
 *            (XENSIM_TEST_DIE=notify-masked): the peer still gets the
 *            event, exactly once, when the dead process's file closes.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xenevtchn.h>

#include "sim_check.h"

#define EVTCHN_NOTIFY   0x00044504UL    /* Linux IOCTL_EVTCHN_NOTIFY */
#define EVTCHN_UNBIND   0x00044503UL

static int
hear_int(int fd, int ms)
{
	char line[64];

	if (hear(fd, line, sizeof(line), ms) < 0)
		return -1;
	return atoi(line);
}

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
	char self[PATH_MAX], fdarg[16], dom[16];
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
		if (waitpid(r->pid, &status, WNOHANG) == r->pid) {
			close(r->fd);
			return WIFEXITED(status) ? WEXITSTATUS(status) :
				128 + WTERMSIG(status);
		}
		usleep(5000);
	}
	kill(r->pid, SIGKILL);
	waitpid(r->pid, &status, 0);
	close(r->fd);
	fprintf(stderr, "role %s did not finish\n", r->name);
	return 124;
}

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

/* ---- event helpers ---- */

/* Hear domain 1's port on the line and bind an interdomain port to it. */
static int
bind_to_heard_port(xenevtchn_handle *ev, int fd)
{
	int remote = hear_int(fd, 10000);
	int port = xenevtchn_bind_interdomain(ev, 1, (unsigned)remote);

	CHECK(port > 0, "bind_interdomain: %s", strerror(errno));
	return port;
}

/* The next delivered port within `ms`, -1 if none (not unmasked). */
static int
next_port(xenevtchn_handle *ev, int ms)
{
	struct pollfd p = { xenevtchn_fd(ev), POLLIN, 0 };

	if (poll(&p, 1, ms) != 1)
		return -1;
	return xenevtchn_pending(ev);
}

/* Whether anything is readable now or within `ms`. */
static bool
quiet(xenevtchn_handle *ev, int ms)
{
	struct pollfd p = { xenevtchn_fd(ev), POLLIN, 0 };

	return poll(&p, 1, ms) == 0;
}

static int
raw_notify(int fd, uint32_t port)
{
	return ioctl(fd, EVTCHN_NOTIFY, &port);
}

/* ---- scenario mask ---- */

static int
role_mask_a(int fd)
{
	xenevtchn_handle *ev = xenevtchn_open(NULL, 0);
	int port, got, i;
	uint32_t p32;

	if (ev == NULL)
		return 1;
	port = xenevtchn_bind_unbound_port(ev, 2);
	CHECK(port > 0, "bind_unbound_port: %s", strerror(errno));
	say(fd, "%d", port);
	/* B notifies twice before we unmask. */
	CHECK(hear_int(fd, 10000) == 1, "no 'sent' from B");
	got = next_port(ev, 5000);
	CHECK(got == port, "first delivery: %d", got);
	CHECK(quiet(ev, 100), "second notify delivered while masked");
	CHECK(xenevtchn_unmask(ev, (unsigned)port) == 0, "unmask");
	got = next_port(ev, 5000);
	CHECK(got == port, "pending notify not delivered at unmask: %d", got);
	CHECK(quiet(ev, 100), "delivered twice");
	CHECK(xenevtchn_unmask(ev, (unsigned)port) == 0, "unmask");
	CHECK(quiet(ev, 100), "spurious delivery after unmask");
	say(fd, "2");
	/* Again, unmasking with a raw write() syscall (only the daemon). */
	CHECK(hear_int(fd, 10000) == 3, "no second 'sent' from B");
	got = next_port(ev, 5000);
	CHECK(got == port, "first delivery (raw): %d", got);
	CHECK(quiet(ev, 100), "second notify delivered while masked (raw)");
	p32 = (uint32_t)port;
	CHECK(syscall(SYS_write, xenevtchn_fd(ev), &p32, 4) == 4, "raw unmask");
	got = next_port(ev, 5000);
	CHECK(got == port, "pending not delivered at raw unmask: %d", got);
	CHECK(quiet(ev, 100), "delivered twice (raw)");
	CHECK(syscall(SYS_write, xenevtchn_fd(ev), &p32, 4) == 4, "raw unmask");
	say(fd, "4");
	/* Exact round trips: every event is one notify. */
	for (i = 0; i < 2000; i++) {
		got = next_port(ev, 5000);
		if (got != port) {
			CHECK(0, "round %d: got %d", i, got);
			break;
		}
		CHECK(xenevtchn_unmask(ev, (unsigned)port) == 0, "unmask");
		CHECK(xenevtchn_notify(ev, (unsigned)port) == 0, "notify back");
	}
	/* B closed its doorbells; A closes its own, then 200 more rounds. */
	CHECK(hear_int(fd, 10000) == 7, "no 'closed' from B");
	for (i = 256; i < 1024; i++)
		close(i);
	for (i = 0; i < 200; i++) {
		got = next_port(ev, 5000);
		if (got != port) {
			CHECK(0, "round %d after closing doorbells: got %d", i,
			      got);
			break;
		}
		CHECK(xenevtchn_unmask(ev, (unsigned)port) == 0, "unmask");
		CHECK(xenevtchn_notify(ev, (unsigned)port) == 0, "notify back");
	}
	CHECK(quiet(ev, 100), "extra event after the round trips");
	/* B unbinds: our end stays bound by us, so NOTIFY still succeeds. */
	CHECK(hear_int(fd, 10000) == 5, "no 'unbound' from B");
	CHECK(xenevtchn_notify(ev, (unsigned)port) == 0,
	      "notify after the peer unbound: %s", strerror(errno));
	say(fd, "6");
	xenevtchn_close(ev);
	return failures ? 1 : 0;
}

static int
role_mask_b(int fd)
{
	xenevtchn_handle *ev = xenevtchn_open(NULL, 0);
	xenevtchn_handle *other = xenevtchn_open(NULL, 0);
	int port, other_port, i, got, efd, st;
	pid_t child;

	if (ev == NULL || other == NULL)
		return 1;
	efd = xenevtchn_fd(ev);
	port = bind_to_heard_port(ev, fd);
	CHECK(xenevtchn_notify(ev, (unsigned)port) == 0, "notify 1");
	CHECK(xenevtchn_notify(ev, (unsigned)port) == 0, "notify 2");
	say(fd, "1");
	CHECK(hear_int(fd, 10000) == 2, "A did not finish step 1");
	CHECK(xenevtchn_notify(ev, (unsigned)port) == 0, "notify 3");
	CHECK(xenevtchn_notify(ev, (unsigned)port) == 0, "notify 4");
	say(fd, "3");
	CHECK(hear_int(fd, 10000) == 4, "A did not finish step 2");
	for (i = 0; i < 2000; i++) {
		CHECK(xenevtchn_notify(ev, (unsigned)port) == 0, "notify");
		got = next_port(ev, 5000);
		if (got != port) {
			CHECK(0, "round %d: got %d", i, got);
			break;
		}
		CHECK(xenevtchn_unmask(ev, (unsigned)port) == 0, "unmask");
	}
	/*
	 * The program closes every descriptor it does not know of (the
	 * shim's doorbells among them): events still arrive exactly once.
	 */
	for (i = 256; i < 1024; i++)
		close(i);
	say(fd, "7");
	for (i = 0; i < 200; i++) {
		CHECK(xenevtchn_notify(ev, (unsigned)port) == 0, "notify");
		got = next_port(ev, 5000);
		if (got != port) {
			CHECK(0, "round %d after closing doorbells: got %d", i,
			      got);
			break;
		}
		CHECK(xenevtchn_unmask(ev, (unsigned)port) == 0, "unmask");
	}
	/* A port of another descriptor is not ours. */
	other_port = xenevtchn_bind_unbound_port(other, 1);
	CHECK(other_port > 0, "bind_unbound_port: %s", strerror(errno));
	CHECK(raw_notify(efd, (uint32_t)other_port) == -1 && errno == ENOTCONN,
	      "notify on another fd's port: %s", strerror(errno));
	CHECK(raw_notify(efd, 4000) == -1 && errno == ENOTCONN,
	      "notify on a free port: %s", strerror(errno));
	/* A forked child sharing the descriptor unbinds: ENOTCONN here. */
	child = fork();
	if (child == 0) {
		uint32_t p32 = (uint32_t)other_port;

		_exit(ioctl(xenevtchn_fd(other), EVTCHN_UNBIND, &p32) == 0 ?
		      0 : 1);
	}
	CHECK(waitpid(child, &st, 0) == child && WIFEXITED(st) &&
	      WEXITSTATUS(st) == 0, "child's UNBIND failed");
	CHECK(raw_notify(xenevtchn_fd(other), (uint32_t)other_port) == -1 &&
	      errno == ENOTCONN, "notify after a sharer unbound: %s",
	      strerror(errno));
	/* Our own unbind. */
	CHECK(xenevtchn_unbind(ev, (unsigned)port) == 0, "unbind: %s",
	      strerror(errno));
	CHECK(xenevtchn_notify(ev, (unsigned)port) == -1 && errno == ENOTCONN,
	      "notify after unbind: %s", strerror(errno));
	CHECK(quiet(ev, 100), "event on an unbound port");
	say(fd, "5");
	CHECK(hear_int(fd, 10000) == 6, "A did not finish");
	CHECK(quiet(ev, 100), "A's notify reached an unbound port");
	xenevtchn_close(other);
	xenevtchn_close(ev);
	return failures ? 1 : 0;
}

static int
scenario_mask(const char *xensim)
{
	struct role a = { "mask-a", 1, 0, -1 }, b = { "mask-b", 2, 0, -1 };
	int ra, rb, i;

	spawn(xensim, &a);
	spawn(xensim, &b);
	/* A: port, B: sent, A: step 1, B: sent, A: step 2, B: doorbells
	 * closed, B: unbound, A: done. */
	const char *order = "ababab" "ba";

	for (i = 0; order[i] != '\0'; i++)
		if (relay(order[i] == 'a' ? &a : &b, order[i] == 'a' ? &b : &a,
			  20000) < 0)
			break;
	ra = reap(&a, 20000);
	rb = reap(&b, 20000);
	if (ra == 0 && rb == 0)
		printf("mask-until-unmask, exact round trips, ENOTCONN: ok\n");
	return ra || rb;
}

/* ---- scenario death ---- */

/* The daemon of our session: the process holding $XENSIM_DIR/xensimd.lock. */
static pid_t
daemon_pid(void)
{
	const char *dir = getenv("XENSIM_DIR");
	char want[PATH_MAX], path[PATH_MAX + 64], link[PATH_MAX];
	struct dirent *de, *fe;
	DIR *proc, *fds;
	pid_t found = -1;

	if (dir == NULL)
		return -1;
	snprintf(want, sizeof(want), "%s/xensimd.lock", dir);
	proc = opendir("/proc");
	if (proc == NULL)
		return -1;
	while (found < 0 && (de = readdir(proc)) != NULL) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd", de->d_name);
		fds = opendir(path);
		if (fds == NULL)
			continue;
		while ((fe = readdir(fds)) != NULL) {
			ssize_t n;

			snprintf(path, sizeof(path), "/proc/%s/fd/%s",
				 de->d_name, fe->d_name);
			n = readlink(path, link, sizeof(link) - 1);
			if (n <= 0)
				continue;
			link[n] = '\0';
			if (strcmp(link, want) == 0) {
				found = atoi(de->d_name);
				break;
			}
		}
		closedir(fds);
	}
	closedir(proc);
	return found;
}

static int
count_fds(pid_t pid)
{
	char path[64];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* The victim binds, is notified once, reports, and waits to be killed. */
static int
role_death_victim(int fd)
{
	xenevtchn_handle *ev = xenevtchn_open(NULL, 0);
	int port;

	if (ev == NULL)
		return 1;
	port = xenevtchn_bind_unbound_port(ev, 2);
	say(fd, "%d", port);
	CHECK(next_port(ev, 5000) == port, "victim: no event");
	say(fd, "got");
	for (;;)
		pause();
}

/* The survivor notifies before and after the victim's death. */
static int
role_death_survivor(int fd)
{
	xenevtchn_handle *ev = xenevtchn_open(NULL, 0);
	int port, i;

	if (ev == NULL)
		return 1;
	port = bind_to_heard_port(ev, fd);
	CHECK(xenevtchn_notify(ev, (unsigned)port) == 0, "notify");
	say(fd, "sent");
	CHECK(hear_int(fd, 10000) == 1, "no word of the death");
	/* The victim is dead: notifies are harmless, whatever path. */
	for (i = 0; i < 1000; i++)
		if (xenevtchn_notify(ev, (unsigned)port) != 0) {
			CHECK(0, "notify after death: %s", strerror(errno));
			break;
		}
	CHECK(quiet(ev, 50), "event from a dead peer");
	CHECK(xenevtchn_unbind(ev, (unsigned)port) == 0, "unbind");
	xenevtchn_close(ev);
	say(fd, "done");
	return failures ? 1 : 0;
}

/* Close instead of death, without an unbind: the doorbell must fail. */
static int
role_close_a(int fd)
{
	xenevtchn_handle *ev = xenevtchn_open(NULL, 0);
	int port;

	if (ev == NULL)
		return 1;
	port = xenevtchn_bind_unbound_port(ev, 2);
	say(fd, "%d", port);
	CHECK(next_port(ev, 5000) == port, "no event");
	CHECK(xenevtchn_unmask(ev, (unsigned)port) == 0, "unmask");
	xenevtchn_close(ev);
	say(fd, "closed");
	return failures ? 1 : 0;
}

static int
one_death_cycle(const char *xensim, bool kill_it)
{
	struct role v = { kill_it ? "death-victim" : "close-a", 1, 0, -1 };
	struct role s = { "death-survivor", 2, 0, -1 };
	char line[64];
	int rv, rs;

	spawn(xensim, &v);
	spawn(xensim, &s);
	if (relay(&v, &s, 20000) < 0 || hear(s.fd, line, sizeof(line),
					     20000) < 0 ||
	    hear(v.fd, line, sizeof(line), 20000) < 0) {
		kill(v.pid, SIGKILL);
		kill(s.pid, SIGKILL);
		reap(&v, 1000);
		reap(&s, 1000);
		return 1;
	}
	if (kill_it) {
		/* SIGKILL the whole `xensim run` group of the victim. */
		kill(v.pid, SIGKILL);
		rv = reap(&v, 20000);
		rv = (rv == 128 + SIGKILL || rv == 137) ? 0 : rv;
		usleep(100000); /* the daemon sees the EOF */
	} else {
		rv = reap(&v, 20000);
	}
	say(s.fd, "1");
	(void)hear(s.fd, line, sizeof(line), 20000);
	rs = reap(&s, 20000);
	CHECK(rv == 0 && rs == 0, "cycle: victim %d survivor %d", rv, rs);
	return rv || rs;
}

static int
scenario_death(const char *xensim)
{
	pid_t dpid = daemon_pid();
	int before, after = -1, i, rc = 0;
	double end;

	CHECK(dpid > 0, "daemon not found");
	if (dpid <= 0)
		return 1;
	/* A first cycle introduces the domains (their sockets count). */
	rc |= one_death_cycle(xensim, true);
	usleep(200000);
	before = count_fds(dpid);
	for (i = 0; i < 10 && rc == 0; i++) {
		rc |= one_death_cycle(xensim, true);
		rc |= one_death_cycle(xensim, false);
	}
	/* Bounded wait for the last closes to reach the daemon. */
	for (end = now_ms() + 5000; now_ms() < end; usleep(50000)) {
		after = count_fds(dpid);
		if (after == before)
			break;
	}
	CHECK(after == before, "daemon descriptors: %d before, %d after",
	      before, after);
	if (rc == 0 && failures == 0)
		printf("notify after death/close harmless; daemon fds %d -> %d: "
		       "ok\n", before, after);
	return rc || failures;
}

/* ---- scenario stranded ---- */

/* Runs with XENSIM_TEST_DIE=notify-masked: its first notify kills it. */
static int
role_stranded_victim(int fd)
{
	xenevtchn_handle *ev = xenevtchn_open(NULL, 0);
	int port;

	if (ev == NULL)
		return 1;
	port = xenevtchn_bind_unbound_port(ev, 2);
	say(fd, "%d", port);
	CHECK(hear_int(fd, 10000) == 1, "the survivor did not bind");
	(void)xenevtchn_notify(ev, (unsigned)port);
	CHECK(0, "still alive after a notify meant to kill");
	return 1;
}

static int
role_stranded_survivor(int fd)
{
	xenevtchn_handle *ev = xenevtchn_open(NULL, 0);
	int port, got;

	if (ev == NULL)
		return 1;
	port = bind_to_heard_port(ev, fd);
	say(fd, "1");
	/* The victim's death is bounded by the orchestrator's reap. */
	got = next_port(ev, 10000);
	CHECK(got == port, "the stranded event never came: %d", got);
	CHECK(xenevtchn_unmask(ev, (unsigned)port) == 0, "unmask");
	CHECK(quiet(ev, 100), "the stranded event came twice");
	CHECK(xenevtchn_unbind(ev, (unsigned)port) == 0, "unbind");
	xenevtchn_close(ev);
	say(fd, "done");
	return failures ? 1 : 0;
}

static int
scenario_stranded(const char *xensim)
{
	struct role v = { "stranded-victim", 1, 0, -1 };
	struct role s = { "stranded-survivor", 2, 0, -1 };
	char line[64];
	int rv, rs;

	setenv("XENSIM_TEST_DIE", "notify-masked", 1);
	spawn(xensim, &v);
	unsetenv("XENSIM_TEST_DIE");
	spawn(xensim, &s);
	if (relay(&v, &s, 20000) < 0 || relay(&s, &v, 20000) < 0)
		CHECK(0, "the ends never met");
	rv = reap(&v, 20000);
	CHECK(rv == 128 + SIGKILL, "the victim ended with %d, not SIGKILL", rv);
	CHECK(hear(s.fd, line, sizeof(line), 20000) == 0, "survivor silent");
	rs = reap(&s, 20000);
	CHECK(rs == 0, "survivor exit %d", rs);
	if (failures == 0)
		printf("death between mask and doorbell: event delivered "
		       "once: ok\n");
	return failures != 0;
}

/* ---- scenario storm ---- */

static int
role_storm_a(int fd)
{
	xenevtchn_handle *ev = xenevtchn_open(NULL, 0);
	int p_good, p_hostile, got, rounds = 0, storm = 0;
	bool hostile_masked = false;
	double end;

	if (ev == NULL)
		return 1;
	p_good = xenevtchn_bind_unbound_port(ev, 2);
	p_hostile = xenevtchn_bind_unbound_port(ev, 3);
	say(fd, "%d %d", p_good, p_hostile);
	/* Echo domain 2's events; take the storm port's as they come. */
	end = now_ms() + 30000;
	while (now_ms() < end && rounds < 3000) {
		got = next_port(ev, 5000);
		if (got == p_good) {
			rounds++;
			CHECK(xenevtchn_unmask(ev, (unsigned)got) == 0, "unmask");
			CHECK(xenevtchn_notify(ev, (unsigned)got) == 0, "notify");
		} else if (got == p_hostile) {
			/* Delivered at most once per unmask. */
			CHECK(!hostile_masked, "storm port delivered twice");
			storm++;
			hostile_masked = true;
		} else {
			CHECK(0, "unexpected port %d", got);
			break;
		}
		/* The storm port stays masked a while, then is unmasked. */
		if (hostile_masked && rounds % 7 == 0) {
			hostile_masked = false;
			CHECK(xenevtchn_unmask(ev, (unsigned)p_hostile) == 0,
			      "unmask storm");
		}
	}
	CHECK(rounds == 3000, "only %d rounds", rounds);
	say(fd, "%d", storm);
	xenevtchn_close(ev);
	return failures ? 1 : 0;
}

static int
role_storm_b(int fd)
{
	xenevtchn_handle *ev = xenevtchn_open(NULL, 0);
	int remote, port, i, got;
	char line[64];

	if (ev == NULL)
		return 1;
	if (hear(fd, line, sizeof(line), 10000) < 0)
		return 1;
	remote = atoi(line);
	port = xenevtchn_bind_interdomain(ev, 1, (unsigned)remote);
	CHECK(port > 0, "bind_interdomain: %s", strerror(errno));
	say(fd, "%d", port);
	CHECK(hear_int(fd, 10000) == 1, "storm did not start");
	for (i = 0; i < 3000; i++) {
		CHECK(xenevtchn_notify(ev, (unsigned)port) == 0, "notify");
		got = next_port(ev, 5000);
		if (got != port) {
			CHECK(0, "round %d: got %d", i, got);
			break;
		}
		CHECK(xenevtchn_unmask(ev, (unsigned)port) == 0, "unmask");
	}
	CHECK(quiet(ev, 50), "extra event");
	say(fd, "done");
	xenevtchn_close(ev);
	return failures ? 1 : 0;
}

static int
role_storm_hostile(int fd)
{
	xenevtchn_handle *ev = xenevtchn_open(NULL, 0);
	int remote, port, efd, n = 0;
	uint32_t p, buf[1024];
	char line[64];
	double end;

	if (ev == NULL)
		return 1;
	if (hear(fd, line, sizeof(line), 10000) < 0)
		return 1;
	remote = atoi(strchr(line, ' ') ? strchr(line, ' ') + 1 : line);
	port = xenevtchn_bind_interdomain(ev, 1, (unsigned)remote);
	CHECK(port > 0, "bind_interdomain: %s", strerror(errno));
	efd = xenevtchn_fd(ev);
	(void)fcntl(efd, F_SETFL, O_NONBLOCK);
	say(fd, "1");
	for (p = 0; p < 1024; p++)
		buf[p] = p * 4 + 1;
	end = now_ms() + 60000;
	while (now_ms() < end) {
		struct pollfd pf = { fd, POLLIN, 0 };

		if (poll(&pf, 1, 0) == 1)
			break; /* told to stop */
		for (p = 0; p < 64; p++)
			(void)raw_notify(efd, (uint32_t)port);
		for (p = 0; p < 4100; p += 37) {
			uint32_t u = p;

			if (p != (uint32_t)port)
				CHECK(raw_notify(efd, p) == -1 &&
				      errno == ENOTCONN, "notify %u", p);
			if (p != (uint32_t)port)
				CHECK(ioctl(efd, EVTCHN_UNBIND, &u) == -1,
				      "unbound someone's port %u", p);
		}
		/* Unmask writes of every port number, ours among them. */
		(void)!write(efd, buf, sizeof(buf));
		(void)!syscall(SYS_write, efd, buf, sizeof(buf));
		while (read(efd, line, sizeof(line)) > 0)
			;
		n++;
	}
	say(fd, "%d", n);
	xenevtchn_close(ev);
	return failures ? 1 : 0;
}

static int
scenario_storm(const char *xensim)
{
	struct role a = { "storm-a", 1, 0, -1 }, b = { "storm-b", 2, 0, -1 };
	struct role h = { "storm-hostile", 3, 0, -1 };
	char line[64], ports[64];
	int ra, rb, rh, storms = -1, bursts = -1;

	spawn(xensim, &a);
	spawn(xensim, &b);
	spawn(xensim, &h);
	if (hear(a.fd, ports, sizeof(ports), 20000) < 0) {
		CHECK(0, "no ports from a");
		goto out;
	}
	say(b.fd, "%s", ports);
	say(h.fd, "%s", ports);
	if (hear(b.fd, line, sizeof(line), 20000) < 0 ||
	    hear(h.fd, line, sizeof(line), 20000) < 0) {
		CHECK(0, "bind failed");
		goto out;
	}
	say(b.fd, "1");
	if (hear(b.fd, line, sizeof(line), 60000) < 0)
		CHECK(0, "b did not finish");
	storms = hear_int(a.fd, 20000);
	say(h.fd, "stop");
	bursts = hear_int(h.fd, 20000);
out:
	ra = reap(&a, 20000);
	rb = reap(&b, 20000);
	rh = reap(&h, 20000);
	if (ra == 0 && rb == 0 && rh == 0 && failures == 0)
		printf("3000 exact round trips beside %d storm bursts (%d storm "
		       "deliveries): ok\n", bursts, storms);
	return ra || rb || rh || failures;
}

int
main(int argc, char **argv)
{
	int fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_DFL); /* a doorbell must never raise it */
	alarm(200); /* no scenario may hang */
	if (argc != 3) {
		fprintf(stderr, "usage: xensim_evfast "
			"mask|death|storm|stranded XENSIM\n");
		return 2;
	}
	if (strcmp(argv[1], "mask") == 0)
		return scenario_mask(argv[2]);
	if (strcmp(argv[1], "death") == 0)
		return scenario_death(argv[2]);
	if (strcmp(argv[1], "storm") == 0)
		return scenario_storm(argv[2]);
	if (strcmp(argv[1], "stranded") == 0)
		return scenario_stranded(argv[2]);
	fd = atoi(argv[2]);
	if (strcmp(argv[1], "mask-a") == 0)
		return role_mask_a(fd);
	if (strcmp(argv[1], "mask-b") == 0)
		return role_mask_b(fd);
	if (strcmp(argv[1], "death-victim") == 0)
		return role_death_victim(fd);
	if (strcmp(argv[1], "death-survivor") == 0)
		return role_death_survivor(fd);
	if (strcmp(argv[1], "close-a") == 0)
		return role_close_a(fd);
	if (strcmp(argv[1], "stranded-victim") == 0)
		return role_stranded_victim(fd);
	if (strcmp(argv[1], "stranded-survivor") == 0)
		return role_stranded_survivor(fd);
	if (strcmp(argv[1], "storm-a") == 0)
		return role_storm_a(fd);
	if (strcmp(argv[1], "storm-b") == 0)
		return role_storm_b(fd);
	if (strcmp(argv[1], "storm-hostile") == 0)
		return role_storm_hostile(fd);
	fprintf(stderr, "unknown role %s\n", argv[1]);
	return 2;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * xensim: command line of the Xen simulator.
 *
 *   xensim start | stop | daemon
 *   xensim run --domid N [--] CMD [ARGS...]
 *   xensim status [--json]
 *   xensim destroy --domid N
 *   xensim session [--check-leaks] -- CMD [ARGS...]
 *
 * The instance is $XENSIM_DIR, by default $XDG_RUNTIME_DIR/xensim or
 * /tmp/xensim-$UID.  Every wait here is bounded.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "xensim_daemon.h"

static char xs_dir[PATH_MAX];
static pid_t run_child = -1;
static bool run_child_pgrp;

static void
usage(void)
{
	fprintf(stderr,
		"usage: xensim start | stop | daemon\n"
		"       xensim run --domid N [--] CMD [ARGS...]\n"
		"       xensim status [--json]\n"
		"       xensim destroy --domid N\n"
		"       xensim session [--check-leaks] -- CMD [ARGS...]\n");
	exit(2);
}

static int
resolve_dir(void)
{
	const char *env = getenv("XENSIM_DIR"), *rt = getenv("XDG_RUNTIME_DIR");
	struct stat st;

	if (env != NULL && env[0] != '\0')
		snprintf(xs_dir, sizeof(xs_dir), "%s", env);
	else if (rt != NULL && rt[0] != '\0' && stat(rt, &st) == 0 &&
		 access(rt, W_OK) == 0)
		snprintf(xs_dir, sizeof(xs_dir), "%s/xensim", rt);
	else
		snprintf(xs_dir, sizeof(xs_dir), "/tmp/xensim-%u",
			 (unsigned)getuid());
	if (mkdir(xs_dir, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "xensim: %s: %s\n", xs_dir, strerror(errno));
		return -1;
	}
	return 0;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* A management connection; -1 if no daemon answers. */
static int
mgmt_connect(void)
{
	struct sockaddr_un sa;
	struct timeval tv = { 10, 0 };
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/ctl.sock",
			     xs_dir) >= sizeof(sa.sun_path))
		return -1;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* Send one request on `fd`; the reply (NUL-terminated) in `out`. */
static int
mgmt_ask_fd(int fd, const char *req, char *out, size_t cap)
{
	ssize_t n;

	if (send(fd, req, strlen(req), MSG_NOSIGNAL) < 0)
		return -1;
	n = recv(fd, out, cap - 1, 0);
	if (n <= 0)
		return -1;
	out[n] = '\0';
	return 0;
}

static int
mgmt_ask(const char *req, char *out, size_t cap)
{
	int fd = mgmt_connect(), rc;

	if (fd < 0)
		return -1;
	rc = mgmt_ask_fd(fd, req, out, cap);
	close(fd);
	return rc;
}

static long
mgmt_number(const char *req)
{
	char out[64];

	if (mgmt_ask(req, out, sizeof(out)) < 0)
		return -1;
	return atol(out);
}

static bool
daemon_alive(void)
{
	char out[64];

	return mgmt_ask("ping", out, sizeof(out)) == 0 &&
	       strncmp(out, "ok", 2) == 0;
}

/*
 * Start a daemon in the background; returns once it accepts requests.
 * With `session`, the daemon dies with its parent.  *pidp gets its pid.
 */
static int
cmd_start(bool session, pid_t *pidp)
{
	char logpath[PATH_MAX + 32], c;
	struct pollfd pfd;
	int pfds[2], fd;
	pid_t pid;

	if (daemon_alive())
		return 0;
	if (pipe2(pfds, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(pfds[0]);
		if (session)
			prctl(PR_SET_PDEATHSIG, SIGTERM);
		else
			setsid();
		snprintf(logpath, sizeof(logpath), "%s/xensimd.log", xs_dir);
		fd = open("/dev/null", O_RDONLY);
		if (fd >= 0) {
			dup2(fd, 0);
			close(fd);
		}
		fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		_exit(xensim_daemon_main(xs_dir, pfds[1]));
	}
	close(pfds[1]);
	pfd.fd = pfds[0];
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 10000) != 1 || read(pfds[0], &c, 1) != 1) {
		close(pfds[0]);
		fprintf(stderr, "xensim: the daemon did not start (see %s/xensimd.log)\n",
			xs_dir);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -1;
	}
	close(pfds[0]);
	if (pidp != NULL)
		*pidp = pid;
	return 0;
}

static int
cmd_stop(pid_t pid)
{
	char out[64];
	double t0 = now_s();

	if (mgmt_ask("stop", out, sizeof(out)) < 0)
		return 0; /* nothing runs */
	while (now_s() - t0 < 5.0) {
		if (pid > 0) {
			if (waitpid(pid, NULL, WNOHANG) == pid)
				return 0;
		} else if (!daemon_alive()) {
			return 0;
		}
		sleep_ms(10);
	}
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	return 0;
}

static int
cmd_status(bool json)
{
	static char out[256 * 1024];

	if (mgmt_ask(json ? "status-json" : "status", out, sizeof(out)) < 0) {
		fprintf(stderr, "xensim: no daemon in %s\n", xs_dir);
		return 1;
	}
	fputs(out, stdout);
	return 0;
}

static const char *
shim_path(void)
{
	static char path[PATH_MAX];
	const char *env = getenv("XENSIM_SHIM");
	char exe[PATH_MAX], *slash;
	ssize_t n;

	if (env != NULL && env[0] != '\0')
		return env;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return "libxensim.so";
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash != NULL)
		*slash = '\0';
	if ((size_t)snprintf(path, sizeof(path), "%s/../lib/libxensim.so",
			     exe) >= sizeof(path))
		return "libxensim.so";
	return path;
}

static void
run_forward(int sig)
{
	if (run_child > 0)
		kill(run_child_pgrp ? -run_child : run_child, sig);
}

static int
exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

static int
cmd_run(int argc, char **argv)
{
	char out[256], req[128], buf[PATH_MAX * 2], val[64];
	const char *pre, *asan;
	struct sigaction sa;
	long domid = -1;
	int i, fd, status;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--domid") == 0 && i + 1 < argc) {
			char *end;

			domid = strtol(argv[++i], &end, 0);
			if (*end != '\0')
				usage();
		} else if (strncmp(argv[i], "--domid=", 8) == 0) {
			domid = atol(argv[i] + 8);
		} else if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else {
			break;
		}
	}
	if (domid < 0 || domid > XENSIM_MAX_DOMID || i >= argc)
		usage();
	fd = mgmt_connect();
	if (fd < 0) {
		fprintf(stderr, "xensim: no daemon in %s (xensim start)\n", xs_dir);
		return 1;
	}
	snprintf(req, sizeof(req), "introduce %ld", domid);
	if (mgmt_ask_fd(fd, req, out, sizeof(out)) < 0 ||
	    strncmp(out, "ok", 2) != 0) {
		fprintf(stderr, "xensim: domain %ld: %s\n", domid, out);
		return 1;
	}
	run_child_pgrp = !isatty(STDIN_FILENO);
	run_child = fork();
	if (run_child < 0) {
		perror("xensim: fork");
		return 1;
	}
	if (run_child == 0) {
		close(fd);
		/* Its own group, so that destroy can kill what it spawns. */
		if (run_child_pgrp)
			setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		pre = getenv("LD_PRELOAD");
		if (pre != NULL && pre[0] != '\0')
			snprintf(buf, sizeof(buf), "%s:%s", shim_path(), pre);
		else
			snprintf(buf, sizeof(buf), "%s", shim_path());
		setenv("LD_PRELOAD", buf, 1);
		/* An ASan-built CMD must accept a preload before its runtime. */
		asan = getenv("ASAN_OPTIONS");
		snprintf(buf, sizeof(buf), "%s%sverify_asan_link_order=0",
			 asan ? asan : "", asan && asan[0] ? ":" : "");
		setenv("ASAN_OPTIONS", buf, 1);
		setenv("XENSIM_DIR", xs_dir, 1);
		snprintf(val, sizeof(val), "%ld", domid);
		setenv("XENSIM_DOMID", val, 1);
		snprintf(buf, sizeof(buf), "%s/xs-%ld.sock", xs_dir, domid);
		setenv("XENSTORED_PATH", buf, 1);
		execvp(argv[i], argv + i);
		fprintf(stderr, "xensim: %s: %s\n", argv[i], strerror(errno));
		_exit(127);
	}
	if (run_child_pgrp)
		setpgid(run_child, run_child);
	snprintf(req, sizeof(req), "attach %ld %d %d", domid, (int)run_child,
		 run_child_pgrp ? (int)run_child : 0);
	(void)mgmt_ask_fd(fd, req, out, sizeof(out));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = run_forward;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	while (waitpid(run_child, &status, 0) < 0) {
		if (errno != EINTR) {
			status = 1 << 8;
			break;
		}
	}
	close(fd);
	/*
	 * _exit: skip the exit-time hooks.  This wrapper owns nothing to
	 * flush or check, and under ASan, LeakSanitizer's exit-time check
	 * hangs here after a forwarded SIGTERM (its ptrace tracer waits for
	 * a stop that never comes), which would hang every `xensim run`
	 * stopped by a signal.
	 */
	fflush(NULL);
	_exit(exit_code(status));
}

static int
wait_for(const char *req, double seconds)
{
	double t0 = now_s();
	long n;

	for (;;) {
		n = mgmt_number(req);
		if (n == 0)
			return 0;
		if (n < 0 || now_s() - t0 > seconds)
			return -1;
		sleep_ms(20);
	}
}

static int
cmd_destroy(int argc, char **argv)
{
	char req[64], out[256];
	long domid = -1;
	int i;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--domid") == 0 && i + 1 < argc)
			domid = atol(argv[++i]);
		else if (strncmp(argv[i], "--domid=", 8) == 0)
			domid = atol(argv[i] + 8);
		else
			usage();
	}
	if (domid < 0)
		usage();
	snprintf(req, sizeof(req), "kill %ld", domid);
	if (mgmt_ask(req, out, sizeof(out)) < 0) {
		fprintf(stderr, "xensim: no daemon in %s\n", xs_dir);
		return 1;
	}
	snprintf(req, sizeof(req), "procs %ld", domid);
	if (wait_for(req, 3.0) < 0)
		fprintf(stderr, "xensim: domain %ld: processes remain\n", domid);
	snprintf(req, sizeof(req), "release %ld", domid);
	if (mgmt_ask(req, out, sizeof(out)) < 0 || strncmp(out, "ok", 2) != 0) {
		fprintf(stderr, "xensim: destroy %ld: %s\n", domid, out);
		return 1;
	}
	return 0;
}

static void
remove_dir(const char *dir)
{
	char path[PATH_MAX + 300];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (d != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(dir);
}

static int
cmd_session(int argc, char **argv)
{
	char tmpl[] = "/tmp/xensim-session.XXXXXX";
	bool check = false, leaked = false;
	pid_t daemon_pid = -1, child;
	int i, status, rc;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--check-leaks") == 0)
			check = true;
		else if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else
			break;
	}
	if (i >= argc)
		usage();
	if (mkdtemp(tmpl) == NULL) {
		perror("xensim: mkdtemp");
		return 1;
	}
	snprintf(xs_dir, sizeof(xs_dir), "%s", tmpl);
	setenv("XENSIM_DIR", xs_dir, 1);
	if (cmd_start(true, &daemon_pid) < 0) {
		remove_dir(xs_dir);
		return 1;
	}
	child = fork();
	if (child < 0) {
		perror("xensim: fork");
		rc = 1;
		goto out;
	}
	if (child == 0) {
		execvp(argv[i], argv + i);
		fprintf(stderr, "xensim: %s: %s\n", argv[i], strerror(errno));
		_exit(127);
	}
	signal(SIGINT, SIG_IGN);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	rc = exit_code(status);
	/* Stragglers: whatever the command left running in a domain. */
	if (wait_for("procs all", 0.5) < 0) {
		char out[64];

		(void)mgmt_ask("kill all", out, sizeof(out));
		if (wait_for("procs all", 3.0) < 0)
			fprintf(stderr, "xensim session: processes remain\n");
	}
	if (wait_for("leaks", 3.0) < 0) {
		leaked = true;
		if (check) {
			fprintf(stderr, "xensim session: leaked resources:\n");
			fflush(stdout);
			cmd_status(false);
			fflush(stdout);
		}
	}
out:
	cmd_stop(daemon_pid);
	if (check && leaked) {
		char logpath[PATH_MAX + 32], line[512];
		FILE *lf;

		snprintf(logpath, sizeof(logpath), "%s/xensimd.log", xs_dir);
		lf = fopen(logpath, "r");
		if (lf != NULL) {
			while (fgets(line, sizeof(line), lf) != NULL)
				fputs(line, stderr);
			fclose(lf);
		}
	}
	remove_dir(xs_dir);
	if (check && leaked)
		return rc != 0 ? rc : 1;
	return rc;
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "session") == 0)
		return cmd_session(argc - 2, argv + 2);
	if (resolve_dir() < 0)
		return 1;
	if (strcmp(argv[1], "daemon") == 0)
		return xensim_daemon_main(xs_dir, -1);
	if (strcmp(argv[1], "start") == 0)
		return cmd_start(false, NULL) < 0 ? 1 : 0;
	if (strcmp(argv[1], "stop") == 0)
		return cmd_stop(-1);
	if (strcmp(argv[1], "status") == 0)
		return cmd_status(argc > 2 && strcmp(argv[2], "--json") == 0);
	if (strcmp(argv[1], "run") == 0)
		return cmd_run(argc - 2, argv + 2);
	if (strcmp(argv[1], "destroy") == 0)
		return cmd_destroy(argc - 2, argv + 2);
	usage();
	return 2;
}

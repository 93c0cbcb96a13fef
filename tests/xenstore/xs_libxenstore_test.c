/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Wire compatibility: Debian's unmodified libxenstore against the
 * simulator's xenstore.
 *
 *   xs_libxenstore_test <path to xs_test_server>
 *
 * Starts the test server with sockets for dom0, dom5 and dom7, points
 * libxenstore at each through XENSTORED_PATH, and exercises the library
 * calls a toolstack and libxenvchan make.  Exit 0 on success, 1 on failure.
 */

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xenstore.h>

#define WATCH_TIMEOUT_MS 5000

static int failures;
static int checks;

#define CHECK(cond) check((cond), #cond, __LINE__)

static void check(bool ok, const char *what, int line)
{
	checks++;
	if (!ok) {
		failures++;
		fprintf(stderr, "FAIL line %d: %s (errno %d %s)\n", line, what,
		        errno, strerror(errno));
	}
}

static char sockdir[64];
static char sock0[128], sock5[128], sock7[128];

static struct xs_handle *open_as(const char *sock)
{
	struct xs_handle *h;

	setenv("XENSTORED_PATH", sock, 1);
	h = xs_open(0);
	if (h == NULL) {
		fprintf(stderr, "xs_open(%s): %s\n", sock, strerror(errno));
		exit(1);
	}
	return h;
}

static bool wait_connectable(const char *path)
{
	struct timespec pause = { 0, 10 * 1000 * 1000 };
	struct sockaddr_un sa;
	int i, fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	for (i = 0; i < 500; i++) {
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			close(fd);
			return true;
		}
		if (fd >= 0)
			close(fd);
		nanosleep(&pause, NULL);
	}
	return false;
}

/* Next watch event within the timeout, or NULL.  Caller frees. */
static char **next_event(struct xs_handle *h)
{
	struct pollfd pfd = { xs_fileno(h), POLLIN, 0 };
	char **ev = xs_check_watch(h);

	if (ev != NULL)
		return ev;
	if (poll(&pfd, 1, WATCH_TIMEOUT_MS) <= 0)
		return NULL;
	return xs_check_watch(h);
}

static void expect_event(struct xs_handle *h, const char *path,
                         const char *token, int line)
{
	char **ev = next_event(h);

	checks++;
	if (ev == NULL || strcmp(ev[XS_WATCH_PATH], path) != 0 ||
	    strcmp(ev[XS_WATCH_TOKEN], token) != 0) {
		failures++;
		fprintf(stderr, "FAIL line %d: expected event %s/%s, got %s/%s\n",
		        line, path, token, ev ? ev[XS_WATCH_PATH] : "(none)",
		        ev ? ev[XS_WATCH_TOKEN] : "(none)");
	}
	free(ev);
}

static void expect_no_event(struct xs_handle *h, int line)
{
	struct pollfd pfd = { xs_fileno(h), POLLIN, 0 };
	char **ev;

	poll(&pfd, 1, 200);
	ev = xs_check_watch(h);
	checks++;
	if (ev != NULL) {
		failures++;
		fprintf(stderr, "FAIL line %d: unexpected event %s/%s\n", line,
		        ev[XS_WATCH_PATH], ev[XS_WATCH_TOKEN]);
	}
	free(ev);
}

static bool read_is(struct xs_handle *h, xs_transaction_t t, const char *path,
                    const char *want)
{
	unsigned int len;
	char *v = xs_read(h, t, path, &len);
	bool ok = v != NULL && len == strlen(want) && strcmp(v, want) == 0;

	free(v);
	return ok;
}

static bool write_str(struct xs_handle *h, xs_transaction_t t,
                      const char *path, const char *v)
{
	return xs_write(h, t, path, v, (unsigned int)strlen(v));
}

static void test_basic(struct xs_handle *h0, struct xs_handle *h5)
{
	char data[] = "x", *s, **dir;
	unsigned int n, i;
	bool found5 = false;

	s = xs_get_domain_path(h0, 5);
	CHECK(s != NULL && strcmp(s, "/local/domain/5") == 0);
	free(s);

	CHECK(write_str(h0, XBT_NULL, "/test/a", "hello"));
	CHECK(read_is(h0, XBT_NULL, "/test/a", "hello"));
	CHECK(xs_mkdir(h0, XBT_NULL, "/test/dir/sub"));
	CHECK(read_is(h0, XBT_NULL, "/test/dir/sub", ""));
	dir = xs_directory(h0, XBT_NULL, "/test", &n);
	CHECK(dir != NULL && n == 2 && strcmp(dir[0], "a") == 0 &&
	      strcmp(dir[1], "dir") == 0);
	free(dir);
	CHECK(xs_rm(h0, XBT_NULL, "/test/dir"));
	errno = 0;
	CHECK(xs_read(h0, XBT_NULL, "/test/dir/sub", NULL) == NULL &&
	      errno == ENOENT);
	dir = xs_directory(h0, XBT_NULL, "/local/domain", &n);
	for (i = 0; dir != NULL && i < n; i++)
		found5 |= strcmp(dir[i], "5") == 0;
	CHECK(found5);
	free(dir);

	/* A domU: relative paths under its home. */
	CHECK(read_is(h5, XBT_NULL, "domid", "5"));
	CHECK(write_str(h5, XBT_NULL, "data/x", "1"));
	CHECK(read_is(h0, XBT_NULL, "/local/domain/5/data/x", "1"));
	errno = 0;
	CHECK(!write_str(h5, XBT_NULL, "/not-mine", "1") && errno == EACCES);
	/* An invalid path fails the call, not the connection. */
	errno = 0;
	CHECK(!write_str(h5, XBT_NULL, "/a//b", "1") && errno == EINVAL);
	CHECK(read_is(h5, XBT_NULL, "domid", "5"));
	errno = 0;
	CHECK(xs_control_command(h0, "print", data, sizeof(data)) == NULL &&
	      errno == ENOSYS);
}

static void test_big_directory(struct xs_handle *h0)
{
	char path[80], **dir;
	unsigned int n, i;
	bool ok = true;

	/* Over one payload of names: libxenstore falls back to DIRECTORY_PART. */
	for (i = 0; i < 300; i++) {
		snprintf(path, sizeof(path), "/big/entry-with-a-long-name-%04u", i);
		if (!xs_mkdir(h0, XBT_NULL, path))
			ok = false;
	}
	CHECK(ok);
	dir = xs_directory(h0, XBT_NULL, "/big", &n);
	CHECK(dir != NULL && n == 300);
	for (i = 0; dir != NULL && i < n && i < 300; i++) {
		snprintf(path, sizeof(path), "entry-with-a-long-name-%04u", i);
		if (strcmp(dir[i], path) != 0)
			ok = false;
	}
	CHECK(ok);
	free(dir);
	CHECK(xs_rm(h0, XBT_NULL, "/big"));
}

static void test_perms(struct xs_handle *h0, struct xs_handle *h5,
                       struct xs_handle *h7)
{
	struct xs_permissions set[2] = {
		{ .id = 5, .perms = XS_PERM_NONE },
		{ .id = 7, .perms = XS_PERM_READ },
	};
	struct xs_permissions *got;
	unsigned int n;

	CHECK(write_str(h5, XBT_NULL, "data/shared", "s"));
	errno = 0;
	CHECK(xs_read(h7, XBT_NULL, "/local/domain/5/data/shared", NULL) == NULL &&
	      errno == EACCES);
	CHECK(xs_set_permissions(h5, XBT_NULL, "data/shared", set, 2));
	CHECK(read_is(h7, XBT_NULL, "/local/domain/5/data/shared", "s"));
	got = xs_get_permissions(h7, XBT_NULL, "/local/domain/5/data/shared", &n);
	CHECK(got != NULL && n == 2 && got[0].id == 5 &&
	      got[0].perms == XS_PERM_NONE && got[1].id == 7 &&
	      got[1].perms == XS_PERM_READ);
	free(got);
	errno = 0;
	CHECK(!write_str(h7, XBT_NULL, "/local/domain/5/data/shared", "no") &&
	      errno == EACCES);
	/* Not the owner. */
	errno = 0;
	CHECK(!xs_set_permissions(h7, XBT_NULL, "/local/domain/5/data/shared",
	                          set, 2) && errno == EACCES);
	/* The owner cannot give it away; dom0 can. */
	set[0].id = 7;
	errno = 0;
	CHECK(!xs_set_permissions(h5, XBT_NULL, "data/shared", set, 1) &&
	      errno == EPERM);
	CHECK(xs_set_permissions(h0, XBT_NULL, "/local/domain/5/data/shared",
	                         set, 1));
	got = xs_get_permissions(h0, XBT_NULL, "/local/domain/5/data/shared", &n);
	CHECK(got != NULL && n == 1 && got[0].id == 7);
	free(got);
}

static void test_transactions(struct xs_handle *h0, struct xs_handle *h5)
{
	struct xs_permissions perms[2] = {
		{ .id = 5, .perms = XS_PERM_NONE },
		{ .id = 7, .perms = XS_PERM_READ },
	};
	xs_transaction_t t;
	int tries;
	bool done = false;

	/* libxenvchan's server setup, with its retry loop. */
	for (tries = 0; tries < 5 && !done; tries++) {
		t = xs_transaction_start(h5);
		CHECK(t != XBT_NULL);
		CHECK(write_str(h5, t, "data/vchan/7/1/ring-ref", "8"));
		CHECK(xs_set_permissions(h5, t, "data/vchan/7/1/ring-ref", perms, 2));
		CHECK(write_str(h5, t, "data/vchan/7/1/event-channel", "3"));
		CHECK(xs_set_permissions(h5, t, "data/vchan/7/1/event-channel",
		                         perms, 2));
		CHECK(read_is(h5, t, "data/vchan/7/1/ring-ref", "8"));
		errno = 0;
		CHECK(xs_read(h0, XBT_NULL, "/local/domain/5/data/vchan", NULL) == NULL &&
		      errno == ENOENT);
		done = xs_transaction_end(h5, t, false);
		if (!done && errno != EAGAIN)
			break;
	}
	CHECK(done);
	CHECK(read_is(h0, XBT_NULL, "/local/domain/5/data/vchan/7/1/ring-ref", "8"));

	/* Abort. */
	t = xs_transaction_start(h5);
	CHECK(write_str(h5, t, "data/aborted", "1"));
	CHECK(xs_transaction_end(h5, t, true));
	errno = 0;
	CHECK(xs_read(h5, XBT_NULL, "data/aborted", NULL) == NULL && errno == ENOENT);

	/* Conflict: EAGAIN, as callers expect. */
	t = xs_transaction_start(h5);
	CHECK(read_is(h5, t, "data/x", "1"));
	CHECK(write_str(h0, XBT_NULL, "/local/domain/5/data/x", "2"));
	CHECK(write_str(h5, t, "data/y", "from-tx"));
	errno = 0;
	CHECK(!xs_transaction_end(h5, t, false) && errno == EAGAIN);
	errno = 0;
	CHECK(xs_read(h5, XBT_NULL, "data/y", NULL) == NULL && errno == ENOENT);
	/* A bogus transaction id. */
	errno = 0;
	CHECK(xs_read(h5, 777, "data/x", NULL) == NULL && errno == ENOENT);
}

static void test_watches(struct xs_handle *h0, struct xs_handle *h5,
                         struct xs_handle *h7)
{
	xs_transaction_t t;

	/* The peer watches the leaf it may read, as Qubes' vchan client does. */
	CHECK(xs_watch(h7, "/local/domain/5/data/vchan/7/1/event-channel", "ev"));
	expect_event(h7, "/local/domain/5/data/vchan/7/1/event-channel", "ev",
	             __LINE__);
	CHECK(write_str(h5, XBT_NULL, "data/vchan/7/1/event-channel", "4"));
	expect_event(h7, "/local/domain/5/data/vchan/7/1/event-channel", "ev",
	             __LINE__);

	/* Relative watch, reported relative. */
	CHECK(xs_watch(h5, "data", "rel"));
	expect_event(h5, "data", "rel", __LINE__);
	CHECK(write_str(h5, XBT_NULL, "data/z", "1"));
	expect_event(h5, "data/z", "rel", __LINE__);

	/* Transaction: events at commit only. */
	t = xs_transaction_start(h5);
	CHECK(write_str(h5, t, "data/t", "1"));
	expect_no_event(h5, __LINE__);
	CHECK(xs_transaction_end(h5, t, false));
	expect_event(h5, "data/t", "rel", __LINE__);

	/* Unreadable changes are not reported to 7. */
	CHECK(xs_watch(h7, "/local/domain/5/data", "dir"));
	expect_event(h7, "/local/domain/5/data", "dir", __LINE__);
	CHECK(write_str(h5, XBT_NULL, "data/private", "p"));
	expect_event(h5, "data/private", "rel", __LINE__);
	expect_no_event(h7, __LINE__);

	CHECK(xs_unwatch(h5, "data", "rel"));
	CHECK(write_str(h5, XBT_NULL, "data/after", "1"));
	expect_no_event(h5, __LINE__);
	errno = 0;
	CHECK(!xs_unwatch(h5, "data", "rel") && errno == ENOENT);

	/* Removal of the node a watch sits on. */
	CHECK(xs_rm(h5, XBT_NULL, "data/vchan"));
	expect_event(h7, "/local/domain/5/data/vchan/7/1/event-channel", "ev",
	             __LINE__);
	CHECK(xs_unwatch(h7, "/local/domain/5/data", "dir"));
	(void)h0;
}

static void test_domains(struct xs_handle *h0, struct xs_handle *h5)
{
	CHECK(xs_watch(h0, "@introduceDomain", "in"));
	expect_event(h0, "@introduceDomain", "in", __LINE__);
	CHECK(xs_watch(h0, "@releaseDomain", "out"));
	expect_event(h0, "@releaseDomain", "out", __LINE__);
	CHECK(xs_watch(h5, "@releaseDomain", "peer"));
	expect_event(h5, "@releaseDomain", "peer", __LINE__);

	CHECK(!xs_is_domain_introduced(h0, 9));
	CHECK(xs_introduce_domain(h0, 9, 1234, 3));
	expect_event(h0, "@introduceDomain", "in", __LINE__);
	CHECK(xs_is_domain_introduced(h0, 9));
	CHECK(read_is(h0, XBT_NULL, "/local/domain/9/domid", "9"));
	errno = 0;
	CHECK(!xs_introduce_domain(h5, 10, 1, 1) && errno == EACCES);

	CHECK(xs_release_domain(h0, 9));
	expect_event(h0, "@releaseDomain", "out", __LINE__);
	expect_event(h5, "@releaseDomain", "peer", __LINE__);
	CHECK(!xs_is_domain_introduced(h0, 9));
	errno = 0;
	CHECK(xs_read(h0, XBT_NULL, "/local/domain/9", NULL) == NULL &&
	      errno == ENOENT);
}

int main(int argc, char **argv)
{
	struct xs_handle *h0, *h5, *h7;
	char l0[160], l5[160], l7[160];
	int status;
	pid_t pid;

	if (argc != 2) {
		fprintf(stderr, "usage: xs_libxenstore_test <xs_test_server>\n");
		return 2;
	}
	snprintf(sockdir, sizeof(sockdir), "/tmp/xs-interop.XXXXXX");
	if (mkdtemp(sockdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(sock0, sizeof(sock0), "%s/dom0.sock", sockdir);
	snprintf(sock5, sizeof(sock5), "%s/dom5.sock", sockdir);
	snprintf(sock7, sizeof(sock7), "%s/dom7.sock", sockdir);
	snprintf(l0, sizeof(l0), "0:%s", sock0);
	snprintf(l5, sizeof(l5), "5:%s", sock5);
	snprintf(l7, sizeof(l7), "7:%s", sock7);

	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		execl(argv[1], argv[1], "-i", "5", "-i", "7", "-l", l0, "-l", l5,
		      "-l", l7, (char *)NULL);
		perror(argv[1]);
		_exit(127);
	}
	if (!wait_connectable(sock0) || !wait_connectable(sock5) ||
	    !wait_connectable(sock7)) {
		fprintf(stderr, "server did not come up\n");
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return 1;
	}

	h0 = open_as(sock0);
	h5 = open_as(sock5);
	h7 = open_as(sock7);
	test_basic(h0, h5);
	test_big_directory(h0);
	test_perms(h0, h5, h7);
	test_transactions(h0, h5);
	test_watches(h0, h5, h7);
	test_domains(h0, h5);
	xs_close(h7);
	xs_close(h5);
	xs_close(h0);

	kill(pid, SIGTERM);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		fprintf(stderr, "FAIL: server did not exit cleanly (status %d)\n",
		        status);
		failures++;
	}
	unlink(sock0);
	unlink(sock5);
	unlink(sock7);
	rmdir(sockdir);
	printf("%d checks, %d failed\n", checks, failures);
	return failures == 0 ? 0 : 1;
}

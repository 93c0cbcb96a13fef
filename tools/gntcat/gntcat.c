/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * gntcat: pipe a byte stream between two Xen domains over libgntring.
 *
 * One poll loop moves bytes in both directions at once:
 *
 *	local input  --read-->  to_chan  --gntring_write-->  channel
 *	local output <--write-- to_local <--gntring_read---  channel
 *
 * The local side is stdin/stdout, a UNIX stream socket (-U) or a command
 * on a socketpair (-e).  Every descriptor is non-blocking; a step that
 * would block just leaves its buffer as it is until poll says otherwise.
 * End of local input becomes gntring_shutdown_write(); end of the channel
 * stream closes the local output.  The session ends when both directions
 * are finished and every received byte has been written out.
 */

#define _GNU_SOURCE

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "gntcat_args.h"
#include "gntring.h"

extern char **environ;

#define BUFFER_SIZE		(256u * 1024u)
#define CONNECT_SLICE_MS	200	/* a pending signal is noticed this fast */
#define PROGRESS_TTY_MS		250
#define PROGRESS_LOG_MS		1000
/*
 * A libxenvchan peer cannot write once it has seen our close; this long a
 * quiet channel after that means nothing more is coming.
 */
#define VCHAN_PEER_GRACE_MS	250

/* A byte queue: data[head, tail) is pending. */
struct buffer {
	unsigned char	*data;
	size_t		 head;
	size_t		 tail;
	size_t		 cap;
};

struct session {
	struct gntring	*ring;
	int		 in_fd;		/* local input */
	int		 out_fd;	/* local output; == in_fd for a socket */
	bool		 out_is_socket;
	struct buffer	 to_chan;
	struct buffer	 to_local;
	bool		 in_done;	/* local input ended or abandoned */
	bool		 chan_shut;	/* gntring_shutdown_write() done */
	bool		 chan_eof;	/* channel end of stream read */
	bool		 out_done;	/* local output closed */
	bool		 peer_refused;	/* peer closed with our data unsent */
	bool		 peer_died;	/* peer went away without ending its stream */
	bool		 peer_gntring;	/* peer knows half-close */
	int64_t		 quiet_since_ms; /* see VCHAN_PEER_GRACE_MS; -1 unset */
	uint64_t	 sent;
	uint64_t	 received;
	int64_t		 start_ms;
	int64_t		 last_report_ms;
	bool		 progress_shown;
};

static struct gntcat_options opt;

static volatile sig_atomic_t caught_signal;
static sigset_t stop_signals;	/* blocked except while we sleep in ppoll */
static sigset_t sleep_mask;	/* the mask ppoll sleeps with */
static const char *created_socket;	/* -U client: ours to unlink */
static int stdio_flags[2] = { -1, -1 };	/* stdin/stdout flags to restore */

static void usage(void) __attribute__((noreturn));
static int64_t now_ms(void);
static void on_stop_signal(int);
static void setup_signals(void);
static void die_of_caught_signal(void) __attribute__((noreturn));
static bool take_pending_signal(void);
static void restore_stdio_flags(void);
static int set_nonblocking(int);
static int buffer_init(struct buffer *);
static size_t buffer_len(const struct buffer *);
static size_t buffer_room(struct buffer *);
static void buffer_consumed(struct buffer *, size_t);
static int channel_error(const char *, int);
static int fill_from_local(struct session *);
static int drain_to_channel(struct session *);
static bool peer_has_read_all(struct session *);
static int fill_from_channel(struct session *);
static int drain_to_local(struct session *);
static int finish_directions(struct session *);
static int pump(struct session *);
static bool session_finished(const struct session *);
static int poll_timeout(struct session *);
static void report_progress(struct session *, bool);
static int bridge(struct gntring *, int, int, bool);
static int wait_for_client(struct gntring *);
static struct gntring *listen_channel(int *);
static struct gntring *connect_channel(int *);
static void describe_channel(struct gntring *);
static int spawn_command(pid_t *);
static void reap_command(pid_t, bool);
static int connect_local_socket(void);
static int listen_local_socket(void);
static int accept_local(int, int *);
static int serve_channel(struct gntring *);
static int run_server(void);
static int run_client(void);

static void
usage(void)
{
	fprintf(stderr,
	    "usage: gntcat [-kqv] [-e command] [-U socket] [-w seconds] domid path\n"
	    "       gntcat -l [-kqv] [-e command] [-r size] [-s size] [-U socket] domid path\n");
	exit(EX_USAGE);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---------------------------------------------------------------------
 * Signals: SIGINT, SIGTERM and SIGHUP stay blocked except inside ppoll(),
 * so a stop request is seen at one well-defined point, and every exit
 * path closes the channel (which removes the server's xenstore keys).
 */

static void
on_stop_signal(int signo)
{
	caught_signal = signo;
}

static void
setup_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);	/* EPIPE is reported where it happens */

	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGINT);
	sigaddset(&stop_signals, SIGTERM);
	sigaddset(&stop_signals, SIGHUP);
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;		/* no SA_RESTART: ppoll must return */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigprocmask(SIG_BLOCK, &stop_signals, &sleep_mask);
	sigdelset(&sleep_mask, SIGINT);
	sigdelset(&sleep_mask, SIGTERM);
	sigdelset(&sleep_mask, SIGHUP);
}

/* After cleaning up: die of the signal, so the parent sees what happened. */
static void
die_of_caught_signal(void)
{
	int signo = caught_signal;

	if (created_socket != NULL)
		unlink(created_socket);
	restore_stdio_flags();
	signal(signo, SIG_DFL);
	sigprocmask(SIG_UNBLOCK, &stop_signals, NULL);
	raise(signo);
	_exit(128 + signo);
}

/* For waits that cannot use ppoll: collect a blocked stop signal. */
static bool
take_pending_signal(void)
{
	struct timespec zero = { 0, 0 };
	int signo;

	if (caught_signal != 0)
		return true;
	signo = sigtimedwait(&stop_signals, NULL, &zero);
	if (signo > 0)
		caught_signal = signo;
	return caught_signal != 0;
}

/* stdin/stdout may be shared with a shell: give back their blocking mode. */
static void
restore_stdio_flags(void)
{
	for (int fd = 0; fd < 2; fd++)
		if (stdio_flags[fd] != -1)
			fcntl(fd, F_SETFL, stdio_flags[fd]);
}

static int
set_nonblocking(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags == -1 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1)
		return -1;
	return 0;
}

/* --------------------------------------------------------------------- */

static int
buffer_init(struct buffer *buf)
{
	buf->data = malloc(BUFFER_SIZE);
	buf->head = buf->tail = 0;
	buf->cap = BUFFER_SIZE;
	return buf->data == NULL ? -1 : 0;
}

static size_t
buffer_len(const struct buffer *buf)
{
	return buf->tail - buf->head;
}

/*
 * Free space at the tail.  Compacts once the head has passed the middle,
 * so that each compaction moves at most half a buffer and frees at least
 * as much: a small ring drained a few bytes at a time must not cost a
 * memmove of the whole buffer per wake-up.
 */
static size_t
buffer_room(struct buffer *buf)
{
	if (buf->tail == buf->cap && buf->head >= buf->cap / 2) {
		memmove(buf->data, buf->data + buf->head, buffer_len(buf));
		buf->tail -= buf->head;
		buf->head = 0;
	}
	return buf->cap - buf->tail;
}

static void
buffer_consumed(struct buffer *buf, size_t n)
{
	buf->head += n;
	if (buf->head == buf->tail)
		buf->head = buf->tail = 0;
}

/* Map a failed channel call to a message and an exit code. */
static int
channel_error(const char *what, int negerr)
{
	if (negerr == -EPROTO) {
		warnx("protocol violation by peer");
		return EX_PROTOCOL;
	}
	warnx("channel %s: %s", what, strerror(-negerr));
	return EX_IOERR;
}

/* local input -> to_chan */
static int
fill_from_local(struct session *s)
{
	size_t room;
	ssize_t n;

	if (s->in_done || (room = buffer_room(&s->to_chan)) == 0)
		return 0;
	n = read(s->in_fd, s->to_chan.data + s->to_chan.tail, room);
	if (n > 0) {
		s->to_chan.tail += (size_t)n;
		return 1;
	}
	if (n == 0) {
		s->in_done = true;
		return 1;
	}
	if (errno == EAGAIN || errno == EINTR)
		return 0;
	warn("%s: read", s->out_is_socket ? "local socket" : "stdin");
	return -EX_IOERR;
}

/* to_chan -> channel; half-close once local input is over and sent */
static int
drain_to_channel(struct session *s)
{
	ssize_t n;

	if (buffer_len(&s->to_chan) > 0 && !s->peer_refused) {
		n = gntring_write(s->ring, s->to_chan.data + s->to_chan.head,
		    buffer_len(&s->to_chan));
		if (n > 0) {
			buffer_consumed(&s->to_chan, (size_t)n);
			s->sent += (uint64_t)n;
			return 1;
		}
		if (n == -EAGAIN || n == -ENOTCONN)
			return 0;
		if (n == -EPIPE) {
			/* Keep delivering what the peer sent, then fail. */
			s->peer_refused = true;
			s->in_done = true;
			return 1;
		}
		return -channel_error("write", (int)n);
	}
	if (s->in_done && !s->chan_shut && buffer_len(&s->to_chan) == 0) {
		if (!peer_has_read_all(s))
			return 0;
		gntring_shutdown_write(s->ring);
		s->chan_shut = true;
		return 1;
	}
	return 0;
}

/*
 * May we shut down writing yet?  A libgntring peer reads our end of stream
 * after the data, so at once.  A libxenvchan peer sees a plain close, and
 * only once it has read everything (the library sees to that); waiting
 * here until our ring is empty means that, from the moment we shut down,
 * the peer knows we have closed and can send nothing more.
 */
static bool
peer_has_read_all(struct session *s)
{
	if (s->peer_gntring || gntring_state(s->ring) != GNTRING_CONNECTED)
		return true;
	/* Also asks for an event when the peer reads. */
	return gntring_buffer_space(s->ring) == gntring_write_size(s->ring);
}

/* channel -> to_local */
static int
fill_from_channel(struct session *s)
{
	size_t room;
	ssize_t n;

	if (s->chan_eof || (room = buffer_room(&s->to_local)) == 0)
		return 0;
	n = gntring_read(s->ring, s->to_local.data + s->to_local.tail, room);
	if (n > 0) {
		s->to_local.tail += (size_t)n;
		s->received += (uint64_t)n;
		s->quiet_since_ms = -1;
		return 1;
	}
	if (n == 0) {
		s->chan_eof = true;
		return 1;
	}
	if (n == -ECONNRESET) {
		/*
		 * A libgntring peer died (or its domain vanished) before it
		 * ended its stream: what it sent is truncated.  Deliver what
		 * came, as for a clean end, then fail.
		 */
		s->peer_died = true;
		s->chan_eof = true;
		return 1;
	}
	if (n == -EAGAIN || n == -ENOTCONN)
		return 0;
	return -channel_error("read", (int)n);
}

/* to_local -> local output; close it once the channel stream is over */
static int
drain_to_local(struct session *s)
{
	ssize_t n;

	if (buffer_len(&s->to_local) > 0) {
		n = write(s->out_fd, s->to_local.data + s->to_local.head,
		    buffer_len(&s->to_local));
		if (n > 0) {
			buffer_consumed(&s->to_local, (size_t)n);
			return 1;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		warn("%s: write", s->out_is_socket ? "local socket" : "stdout");
		return -EX_IOERR;
	}
	if (s->chan_eof && !s->out_done) {
		s->out_done = true;
		if (s->out_is_socket) {
			/* The local peer reads end of stream; it may still
			 * send, and a peer that already left is no error. */
			shutdown(s->out_fd, SHUT_WR);
			return 1;
		}
		/* Close stdout so that its reader sees end of file now, and
		 * keep fd 1 taken so no later open() lands on it. */
		if (close(STDOUT_FILENO) == -1 && errno != EINTR) {
			warn("stdout: close");
			return -EX_IOERR;
		}
		stdio_flags[1] = -1;
		n = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (n >= 0 && n != STDOUT_FILENO) {
			dup2((int)n, STDOUT_FILENO);
			close((int)n);
		}
		return 1;
	}
	return 0;
}

/*
 * Decide when a direction is over although its own end-of-stream marker
 * will not come.
 */
static int
finish_directions(struct session *s)
{
	int64_t now;

	/* The peer has gone for good: it will read nothing more. */
	if (s->chan_eof && !s->in_done &&
	    gntring_state(s->ring) == GNTRING_CLOSED) {
		if (buffer_len(&s->to_chan) > 0)
			s->peer_refused = true;
		s->in_done = true;
		return 1;
	}

	/*
	 * A libxenvchan peer has no half-close: our shutdown, made once it
	 * had read our ring empty, is a close to it, and from then on it
	 * cannot write.  Some (vchan-socket-proxy) never close their end
	 * after that, so once their ring stays empty for a short grace
	 * period, their stream is over.
	 */
	if (s->chan_shut && !s->peer_gntring && !s->chan_eof &&
	    buffer_len(&s->to_local) == 0 &&
	    gntring_data_ready(s->ring) == 0) {
		now = now_ms();
		if (s->quiet_since_ms < 0)
			s->quiet_since_ms = now;
		else if (now - s->quiet_since_ms >= VCHAN_PEER_GRACE_MS) {
			s->chan_eof = true;
			return 1;
		}
	}
	return 0;
}

/* Move bytes until nothing moves without waiting. */
static int
pump(struct session *s)
{
	int (*const steps[])(struct session *) = {
		fill_from_local, drain_to_channel, fill_from_channel,
		drain_to_local, finish_directions,
	};
	bool moved;
	int rc;

	do {
		moved = false;
		for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
			rc = steps[i](s);
			if (rc < 0)
				return -rc;
			moved |= rc > 0;
		}
	} while (moved);
	return 0;
}

static bool
session_finished(const struct session *s)
{
	return s->in_done && (s->chan_shut || s->peer_refused) &&
	    s->chan_eof && s->out_done;
}

/* Sleep forever unless progress lines or the vchan grace timer need us. */
static int
poll_timeout(struct session *s)
{
	int timeout = -1;

	if (opt.verbosity > 0)
		timeout = isatty(STDERR_FILENO) ? PROGRESS_TTY_MS :
		    PROGRESS_LOG_MS;
	if (s->quiet_since_ms >= 0 &&
	    (timeout < 0 || timeout > VCHAN_PEER_GRACE_MS / 5))
		timeout = VCHAN_PEER_GRACE_MS / 5;
	return timeout;
}

/* -v: a progress line at most every PROGRESS_*_MS, and the final summary. */
static void
report_progress(struct session *s, bool final)
{
	int64_t now = now_ms();
	bool tty = isatty(STDERR_FILENO);
	double seconds = (double)(now - s->start_ms) / 1000.0;
	double rate = seconds > 0 ?
	    (double)(s->sent + s->received) / 1e6 / seconds : 0;

	if (opt.verbosity <= 0)
		return;
	if (final) {
		fprintf(stderr, "%sgntcat: sent %llu bytes, received %llu bytes "
		    "in %.3f s (%.1f MB/s)\n", tty && s->progress_shown ?
		    "\r\033[K" : "", (unsigned long long)s->sent,
		    (unsigned long long)s->received, seconds, rate);
		return;
	}
	if (now - s->last_report_ms < (tty ? PROGRESS_TTY_MS : PROGRESS_LOG_MS))
		return;
	s->last_report_ms = now;
	s->progress_shown = true;
	fprintf(stderr, "%sgntcat: sent %.1f MiB, received %.1f MiB, "
	    "%.1f MB/s%s", tty ? "\r\033[K" : "",
	    (double)s->sent / 1048576.0, (double)s->received / 1048576.0,
	    rate, tty ? "" : "\n");
}

/*
 * The poll loop of one connection.  Returns 0 once both directions are
 * done and delivered, else an EX_* code after saying why.
 */
static int
bridge(struct gntring *ring, int in_fd, int out_fd, bool is_socket)
{
	enum { POLL_LOCAL_IN, POLL_LOCAL_OUT, POLL_CHANNEL, POLL_COUNT };
	struct pollfd pfd[POLL_COUNT];
	struct session s;
	int rc, timeout, state;

	memset(&s, 0, sizeof(s));
	s.ring = ring;
	s.in_fd = in_fd;
	s.out_fd = out_fd;
	s.out_is_socket = is_socket;
	s.peer_gntring = gntring_peer_is_gntring(ring);
	s.quiet_since_ms = -1;
	s.start_ms = s.last_report_ms = now_ms();
	if (in_fd < 0)
		s.in_done = true;	/* stdin was closed: nothing to send */
	if (buffer_init(&s.to_chan) == -1 || buffer_init(&s.to_local) == -1) {
		warn("buffers");
		rc = EX_OSERR;
		goto out;
	}

	for (;;) {
		if ((rc = pump(&s)) != 0)
			goto out;
		report_progress(&s, false);
		if (session_finished(&s))
			break;

		/* local input: only while there is room to put it */
		pfd[POLL_LOCAL_IN].fd = s.in_done ? -1 : in_fd;
		pfd[POLL_LOCAL_IN].events = POLLIN;
		pfd[POLL_LOCAL_IN].revents = 0;
		if (buffer_room(&s.to_chan) == 0)
			pfd[POLL_LOCAL_IN].fd = -1;
		/* local output: only while there is data for it */
		pfd[POLL_LOCAL_OUT].fd = buffer_len(&s.to_local) > 0 ? out_fd : -1;
		pfd[POLL_LOCAL_OUT].events = POLLOUT;
		pfd[POLL_LOCAL_OUT].revents = 0;
		/*
		 * channel: only while we want data or space from it, since its
		 * fd may stay readable for data we have no room for yet.
		 */
		pfd[POLL_CHANNEL].fd = gntring_fd(ring);
		pfd[POLL_CHANNEL].events = POLLIN;
		pfd[POLL_CHANNEL].revents = 0;
		if ((s.chan_eof || buffer_room(&s.to_local) == 0) &&
		    (buffer_len(&s.to_chan) == 0 || s.peer_refused) &&
		    (s.chan_shut || !s.in_done))
			pfd[POLL_CHANNEL].fd = -1;

		timeout = poll_timeout(&s);
		if (ppoll(pfd, POLL_COUNT, timeout < 0 ? NULL :
		    &(struct timespec){ timeout / 1000,
		    (long)(timeout % 1000) * 1000000 }, &sleep_mask) == -1) {
			if (errno != EINTR) {
				warn("poll");
				rc = EX_OSERR;
				goto out;
			}
		}
		if (caught_signal != 0) {
			rc = -1;
			goto out;
		}
		if (pfd[POLL_CHANNEL].revents != 0) {
			state = gntring_process(ring);
			if (state < 0) {
				rc = channel_error("events", state);
				goto out;
			}
			if (state == GNTRING_BROKEN) {
				rc = channel_error("events", -EPROTO);
				goto out;
			}
		}
	}
	if (s.peer_died) {
		warnx("peer died before end of stream");
		rc = EX_IOERR;
	} else if (s.peer_refused) {
		warnx("peer closed before end of stream");
		rc = EX_IOERR;
	}
out:
	if (rc >= 0)
		report_progress(&s, true);
	free(s.to_chan.data);
	free(s.to_local.data);
	return rc;
}

/* Server: sleep until a client maps the rings (or has come and gone). */
static int
wait_for_client(struct gntring *ring)
{
	struct pollfd pfd = { .fd = gntring_fd(ring), .events = POLLIN };
	int state;

	for (;;) {
		state = gntring_process(ring);
		if (state < 0)
			return channel_error("events", state);
		if (state == GNTRING_BROKEN)
			return channel_error("events", -EPROTO);
		if (state != GNTRING_WAITING)
			return 0;
		if (ppoll(&pfd, 1, NULL, &sleep_mask) == -1 && errno != EINTR) {
			warn("poll");
			return EX_OSERR;
		}
		if (caught_signal != 0)
			return -1;
	}
}

static struct gntring *
listen_channel(int *rc)
{
	struct gntring *ring;

	ring = gntring_listen(opt.domid, opt.path, opt.read_ring,
	    opt.write_ring, GNTRING_NONBLOCK);
	if (ring == NULL) {
		warn("cannot listen at %s", opt.path);
		*rc = errno == EACCES || errno == EPERM ? EX_NOPERM : EX_OSERR;
		return NULL;
	}
	if (opt.verbosity > 0)
		fprintf(stderr, "gntcat: listening at %s for domain %u "
		    "(read ring %zu bytes, write ring %zu bytes)\n", opt.path,
		    opt.domid, gntring_read_size(ring),
		    gntring_write_size(ring));
	return ring;
}

/*
 * Client: connect, waiting up to -w seconds in short slices so that a
 * stop signal is not held back for the whole wait.
 */
static struct gntring *
connect_channel(int *rc)
{
	struct gntring *ring;
	int64_t deadline = now_ms() + (int64_t)opt.wait_seconds * 1000;
	int64_t left;
	int slice, error;

	for (;;) {
		left = deadline - now_ms();
		slice = left <= 0 ? 0 :
		    left < CONNECT_SLICE_MS ? (int)left : CONNECT_SLICE_MS;
		ring = gntring_connect(opt.domid, opt.path, slice,
		    GNTRING_NONBLOCK);
		if (ring != NULL)
			return ring;
		error = errno;
		/* EINVAL, EACCES: maybe keys left by a dead server, which
		 * a new one may yet replace. */
		if ((error != ETIMEDOUT && error != ENOENT &&
		    error != EINVAL && error != EACCES) || left <= 0)
			break;
		if (take_pending_signal()) {
			*rc = -1;
			return NULL;
		}
		if (error != ETIMEDOUT) {
			/* the library did not wait; do it here */
			ppoll(NULL, 0, &(struct timespec){ 0,
			    (long)slice * 1000000 }, &sleep_mask);
			if (caught_signal != 0) {
				*rc = -1;
				return NULL;
			}
		}
	}
	switch (error) {
	case ENOENT:
	case ETIMEDOUT:
		if (opt.wait_seconds > 0)
			warnx("no server at %s after %d s", opt.path,
			    opt.wait_seconds);
		else
			warnx("no server at %s", opt.path);
		*rc = EX_UNAVAILABLE;
		break;
	case EACCES:
	case EPERM:
		warnx("%s: permission denied: the server's grants or keys "
		    "are not for this domain, or it died", opt.path);
		*rc = EX_NOPERM;
		break;
	case EPROTO:
		warnx("protocol violation by the server at %s: malformed "
		    "ring page or keys", opt.path);
		*rc = EX_PROTOCOL;
		break;
	case EINVAL:
		/* Our arguments are valid: the event channel named at PATH
		 * is not offered to this domain. */
		warnx("no server for this domain at %s: stale keys of a "
		    "server that died, or a server for another domain",
		    opt.path);
		*rc = EX_UNAVAILABLE;
		break;
	case ESRCH:
		warnx("domain %u does not exist", opt.domid);
		*rc = EX_NOHOST;
		break;
	default:
		warnx("cannot connect to %s: %s", opt.path, strerror(error));
		*rc = EX_OSERR;
		break;
	}
	return NULL;
}

static void
describe_channel(struct gntring *ring)
{
	if (opt.verbosity > 0)
		fprintf(stderr, "gntcat: connected to domain %u at %s (read "
		    "ring %zu bytes, write ring %zu bytes, peer %s)\n",
		    opt.domid, opt.path, gntring_read_size(ring),
		    gntring_write_size(ring), gntring_peer_is_gntring(ring) ?
		    "libgntring" : "libxenvchan, no half-close");
}

/* -e: /bin/sh -c command, its stdin and stdout one end of a socketpair. */
static int
spawn_command(pid_t *pid)
{
	char *const argv[] = { "sh", "-c", (char *)opt.command, NULL };
	posix_spawn_file_actions_t actions;
	posix_spawnattr_t attr;
	sigset_t defaults, empty;
	int pair[2], error;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == -1) {
		warn("socketpair");
		return -1;
	}
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_adddup2(&actions, pair[1], STDIN_FILENO);
	posix_spawn_file_actions_adddup2(&actions, pair[1], STDOUT_FILENO);
	/* The command gets no handle on the channel or our other fds. */
	posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
	posix_spawnattr_init(&attr);
	sigemptyset(&defaults);
	sigaddset(&defaults, SIGPIPE);	/* ignored here, inherited by exec */
	sigemptyset(&empty);
	posix_spawnattr_setsigdefault(&attr, &defaults);
	posix_spawnattr_setsigmask(&attr, &empty);
	posix_spawnattr_setflags(&attr,
	    POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
	error = posix_spawn(pid, "/bin/sh", &actions, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&actions);
	posix_spawnattr_destroy(&attr);
	close(pair[1]);
	if (error != 0) {
		errno = error;
		warn("cannot run /bin/sh");
		close(pair[0]);
		return -1;
	}
	if (set_nonblocking(pair[0]) == -1) {
		warn("fcntl");
		close(pair[0]);
		return -1;
	}
	return pair[0];
}

/* Collect the -e command; after a failed session, stop it first. */
static void
reap_command(pid_t pid, bool stop)
{
	int status;

	if (stop)
		kill(pid, SIGTERM);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return;
	if (opt.verbosity < 0 || stop)
		return;
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		warnx("command exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		warnx("command killed by signal %d", WTERMSIG(status));
}

/* -l -U: reach the local service once a client has arrived. */
static int
connect_local_socket(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	strncpy(sun.sun_path, opt.socket_path, sizeof(sun.sun_path) - 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		warn("socket");
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    set_nonblocking(fd) == -1) {
		warn("%s", opt.socket_path);
		close(fd);
		return -1;
	}
	return fd;
}

/* -U without -l: the local socket that clients of the bridge connect to. */
static int
listen_local_socket(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	strncpy(sun.sun_path, opt.socket_path, sizeof(sun.sun_path) - 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1)
		err(EX_OSERR, "socket");
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		err(errno == EADDRINUSE ? EX_CANTCREAT : EX_OSERR, "%s",
		    opt.socket_path);
	created_socket = opt.socket_path;
	if (listen(fd, 5) == -1) {
		unlink(created_socket);
		err(EX_OSERR, "%s: listen", opt.socket_path);
	}
	if (opt.verbosity > 0)
		fprintf(stderr, "gntcat: listening on %s\n", opt.socket_path);
	return fd;
}

/* Wait for one local connection; 0 with *conn set, -1 on a stop signal. */
static int
accept_local(int listen_fd, int *conn)
{
	struct pollfd pfd = { .fd = listen_fd, .events = POLLIN };

	for (;;) {
		*conn = accept4(listen_fd, NULL, NULL,
		    SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (*conn >= 0)
			return 0;
		if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED) {
			warn("%s: accept", opt.socket_path);
			return EX_OSERR;
		}
		if (ppoll(&pfd, 1, NULL, &sleep_mask) == -1 && errno != EINTR) {
			warn("poll");
			return EX_OSERR;
		}
		if (caught_signal != 0)
			return -1;
	}
}

/*
 * Bridge a connected channel to whatever the options name as the local
 * side.  Returns 0, an EX_* code, or -1 for a stop signal.
 */
static int
serve_channel(struct gntring *ring)
{
	pid_t child = -1;
	int fd, rc;

	describe_channel(ring);
	if (opt.command != NULL) {
		if ((fd = spawn_command(&child)) == -1)
			return EX_OSERR;
		rc = bridge(ring, fd, fd, true);
		close(fd);
		reap_command(child, rc != 0);
		return rc;
	}
	if (opt.socket_path != NULL && opt.listen) {
		if ((fd = connect_local_socket()) == -1)
			return EX_UNAVAILABLE;
		rc = bridge(ring, fd, fd, true);
		close(fd);
		return rc;
	}
	return bridge(ring, stdio_flags[0] == -1 ? -1 : STDIN_FILENO,
	    STDOUT_FILENO, false);
}

/*
 * Close a channel after a session that ended with rc: 0 ends the stream;
 * a failure or a signal aborts it, so that a gntcat peer reports the
 * stream cut short instead of taking what it got for all of it.
 */
static void
finish_channel(struct gntring *ring, int rc)
{
	if (rc == 0)
		gntring_close(ring);
	else
		gntring_abort(ring);
}

static int
run_server(void)
{
	struct gntring *ring;
	int rc;

	do {
		if ((ring = listen_channel(&rc)) == NULL)
			return rc;
		rc = wait_for_client(ring);
		if (rc == 0)
			rc = serve_channel(ring);
		finish_channel(ring, rc);
		if (rc == -1)
			return rc;
	} while (opt.keep);
	return rc;
}

static int
run_client(void)
{
	struct gntring *ring;
	int listen_fd, conn, rc;

	if (opt.socket_path == NULL) {
		if ((ring = connect_channel(&rc)) == NULL)
			return rc;
		rc = serve_channel(ring);
		finish_channel(ring, rc);
		return rc;
	}

	/* -U: one channel connection per local connection, one at a time. */
	listen_fd = listen_local_socket();
	do {
		if ((rc = accept_local(listen_fd, &conn)) != 0)
			break;
		if ((ring = connect_channel(&rc)) != NULL) {
			describe_channel(ring);
			rc = bridge(ring, conn, conn, true);
			finish_channel(ring, rc);
		}
		close(conn);
	} while (opt.keep && rc != -1);
	close(listen_fd);
	unlink(opt.socket_path);
	created_socket = NULL;
	return rc;
}

int
main(int argc, char *argv[])
{
	int rc;

	if (gntcat_parse_args(argc, argv, &opt) != 0) {
		if (opt.error != NULL)
			warnx("%s", opt.error);
		usage();
	}
	setup_signals();

	if (opt.command == NULL && opt.socket_path == NULL) {
		/* Non-blocking stdio; the flags go back on exit. */
		for (int fd = 0; fd < 2; fd++) {
			int flags = fcntl(fd, F_GETFL);

			if (flags == -1) {
				if (fd == STDOUT_FILENO)
					err(EX_IOERR, "stdout");
				continue;	/* closed stdin: send nothing */
			}
			if (fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1)
				err(EX_OSERR, "fcntl");
			stdio_flags[fd] = flags;
		}
		atexit(restore_stdio_flags);
	}

	rc = opt.listen ? run_server() : run_client();
	if (rc == -1)
		die_of_caught_signal();
	return rc;
}

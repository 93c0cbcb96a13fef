/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The same transfer as gntring_xfer, with Debian's libxenvchan at this end:
 * the interop peer.  Non-blocking, select(2) on the event channel fd, as
 * vchan-socket-proxy drives it.  Exit 0 on success, 1 on any failure.
 */
#include <errno.h>
#include <signal.h>
#include <sys/select.h>

#include <libxenvchan.h>

#include "xfer_common.h"

static void
on_alarm(int sig)
{
	static const char msg[] = "vchan_xfer: watchdog expired\n";

	(void)sig;
	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(3);
}

static struct libxenvchan *
open_vchan(const struct xfer_opts *o)
{
	double deadline = xfer_now() + o->timeout_s / 2;

	if (o->server)
		return libxenvchan_server_init(NULL, (int)o->peer_domid, o->path,
					       o->read_min, o->write_min);
	/* libxenvchan's client does not wait for the server: retry. */
	for (;;) {
		struct libxenvchan *v = libxenvchan_client_init(NULL,
								(int)o->peer_domid,
								o->path);

		if (v != NULL || xfer_now() > deadline)
			return v;
		usleep(20000);
	}
}

int
main(int argc, char **argv)
{
	const char *who = argc > 1 ? argv[1] : "?";
	struct sha256 sent_hash, got_hash;
	uint64_t sent = 0, got = 0;
	struct xfer_opts o;
	uint8_t *wbuf, *rbuf;
	uint32_t wrng, rrng;
	int failed = 0;

	/*
	 * -z, -T and -W only matter to the libgntring end: accepted, ignored.
	 * -e: read until the peer closes (vchan has no half-close: a libgntring
	 * peer that shuts down writing closes fully once we drained its ring).
	 */
	xfer_parse(argc, argv, &o, "b:B:l:w:s:c:t:RzTeW");
	signal(SIGALRM, on_alarm);
	alarm((unsigned int)o.timeout_s);
	wbuf = malloc(o.max_chunk);
	rbuf = malloc(o.max_chunk);
	if (wbuf == NULL || rbuf == NULL)
		return 1;
	wrng = o.seed * 2654435761u | 1;
	rrng = o.peer_seed * 40503u | 1;
	sha256_init(&sent_hash);
	sha256_init(&got_hash);

	struct libxenvchan *v = open_vchan(&o);
	if (v == NULL) {
		fprintf(stderr, "%s: libxenvchan init failed: %s\n", who,
			strerror(errno));
		return 1;
	}
	v->blocking = 0;	/* never initialised by libxenvchan itself */
	printf("%s ready (libxenvchan)\n", who);
	fflush(stdout);
	double start = xfer_now();

	bool eof = false;

	while (sent < o.send_bytes || (o.half_close ? !eof : got < o.recv_bytes)) {
		int progress = 0;

		if (sent < o.send_bytes && (!o.recv_first || got >= o.recv_bytes)) {
			size_t n = 1 + xfer_rand(&wrng) % o.max_chunk;
			int ret;

			if (n > o.send_bytes - sent)
				n = (size_t)(o.send_bytes - sent);
			xfer_fill(o.seed, sent, wbuf, n);
			ret = libxenvchan_write(v, wbuf, n);
			if (ret < 0) {
				fprintf(stderr, "%s: write: peer closed\n", who);
				failed = 1;
				break;
			}
			sha256_update(&sent_hash, wbuf, (size_t)ret);
			sent += (uint64_t)ret;
			progress |= ret > 0;
		}
		if (got < o.recv_bytes || (o.half_close && !eof)) {
			size_t n = 1 + xfer_rand(&rrng) % o.max_chunk;
			int ret;

			if (!o.half_close && n > o.recv_bytes - got)
				n = (size_t)(o.recv_bytes - got);
			ret = libxenvchan_read(v, rbuf, n);
			if (ret < 0 && o.half_close) {
				printf("%s peer closed after %" PRIu64 " bytes\n", who, got);
				eof = true;
				if (got != o.recv_bytes) {
					fprintf(stderr, "%s: expected %" PRIu64 " bytes\n",
						who, o.recv_bytes);
					failed = 1;
					break;
				}
				continue;
			}
			if (ret < 0) {
				fprintf(stderr, "%s: read: peer closed at %" PRIu64 "\n",
					who, got);
				failed = 1;
				break;
			}
			if (ret > 0 && (got + (uint64_t)ret > o.recv_bytes ||
					!xfer_check(o.peer_seed, got, rbuf, (size_t)ret))) {
				fprintf(stderr, "%s: received bytes differ at %" PRIu64 "\n",
					who, got);
				failed = 1;
				break;
			}
			sha256_update(&got_hash, rbuf, (size_t)ret);
			got += (uint64_t)ret;
			progress |= ret > 0;
		}
		if (progress)
			continue;
		/* Arm both wake-ups, as vchan-socket-proxy's loop does. */
		if (libxenvchan_data_ready(v) > 0 ||
		    (sent < o.send_bytes && libxenvchan_buffer_space(v) > 0))
			continue;
		int fd = libxenvchan_fd_for_select(v);
		fd_set rfds;
		struct timeval tv = { .tv_sec = 10 };

		FD_ZERO(&rfds);
		FD_SET(fd, &rfds);
		if (select(fd + 1, &rfds, NULL, NULL, &tv) <= 0) {
			fprintf(stderr, "%s: no wake-up within 10 s\n", who);
			failed = 1;
			break;
		}
		if (libxenvchan_wait(v) < 0) {
			fprintf(stderr, "%s: wait: %s\n", who, strerror(errno));
			failed = 1;
			break;
		}
	}
	double took = xfer_now() - start;

	xfer_report(who, "sent", sent, &sent_hash, took);
	xfer_report(who, "received", got, &got_hash, took);
	libxenvchan_close(v);
	free(wbuf);
	free(rbuf);
	return failed;
}

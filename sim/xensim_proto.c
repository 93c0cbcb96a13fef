/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Message transport between shim and daemon; see xensim_proto.h.  Linked
 * into both, so it uses only plain syscalls (no mmap: the shim interposes
 * it, and a memfd body is moved with pread/pwrite).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "xensim_proto.h"

static int
xensim_send_fds(int sock, struct iovec *iov, int niov, const int *fds,
		int nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 3)];
		struct cmsghdr align;
	} ctl;
	struct msghdr msg;
	ssize_t n;

	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = iov;
	msg.msg_iovlen = (size_t)niov;
	if (nfds > 0) {
		struct cmsghdr *cm;

		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)nfds);
	}
	do {
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : 0;
}

int
xensim_msg_send(int sock, const struct xensim_hdr *hdr, const void *body,
		size_t bodylen, const int *fds, int nfds)
{
	struct xensim_hdr h = *hdr;
	struct iovec iov[2];
	int allfds[3], memfd, rc;
	size_t off;

	if (nfds < 0 || nfds > 2 || bodylen > XENSIM_MSG_MAX)
		return -EINVAL;
	if (bodylen <= XENSIM_INLINE_MAX) {
		h.flags &= ~XENSIM_F_MEMFD;
		iov[0].iov_base = &h;
		iov[0].iov_len = sizeof(h);
		iov[1].iov_base = (void *)(uintptr_t)body;
		iov[1].iov_len = bodylen;
		return xensim_send_fds(sock, iov, bodylen ? 2 : 1, fds, nfds);
	}
	/* Too big for one datagram: the body goes in a memfd. */
	memfd = memfd_create("xensim-msg", MFD_CLOEXEC);
	if (memfd < 0)
		return -errno;
	for (off = 0; off < bodylen;) {
		ssize_t n = pwrite(memfd, (const char *)body + off,
				   bodylen - off, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : -EIO;
			close(memfd);
			return rc;
		}
		off += (size_t)n;
	}
	h.flags |= XENSIM_F_MEMFD;
	h.total = bodylen;
	iov[0].iov_base = &h;
	iov[0].iov_len = sizeof(h);
	allfds[0] = memfd;
	if (nfds > 0)
		memcpy(&allfds[1], fds, sizeof(int) * (size_t)nfds);
	rc = xensim_send_fds(sock, iov, 1, allfds, nfds + 1);
	close(memfd);
	return rc;
}

int
xensim_msg_recv(int sock, void *inl, void **bufp, size_t *lenp, int fds[2])
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 3)];
		struct cmsghdr align;
	} ctl;
	struct msghdr msg;
	struct iovec iov;
	struct cmsghdr *cm;
	struct xensim_hdr h;
	int got[3] = { -1, -1, -1 }, ngot = 0, memfd, i;
	ssize_t n;
	char *big;
	size_t off;

	fds[0] = fds[1] = -1;
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = inl;
	iov.iov_len = XENSIM_RECV_INLINE;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	do {
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	for (cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
			size_t cnt = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			int tmp[3];

			if (cnt > 3)
				cnt = 3;
			memcpy(tmp, CMSG_DATA(cm), cnt * sizeof(int));
			for (i = 0; i < (int)cnt; i++) {
				if (ngot < 3)
					got[ngot++] = tmp[i];
				else
					close(tmp[i]);
			}
		}
	}
	if (n == 0) {
		for (i = 0; i < ngot; i++)
			close(got[i]);
		return -ECONNRESET;
	}
	if ((size_t)n < sizeof(h) || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		for (i = 0; i < ngot; i++)
			close(got[i]);
		return -EPROTO;
	}
	memcpy(&h, inl, sizeof(h));
	if (!(h.flags & XENSIM_F_MEMFD)) {
		for (i = 0; i < ngot && i < 2; i++)
			fds[i] = got[i];
		for (; i < ngot; i++)
			close(got[i]);
		*bufp = inl;
		*lenp = (size_t)n;
		return 0;
	}
	/* The body is in the first descriptor. */
	memfd = got[0];
	if (memfd < 0 || h.total > XENSIM_MSG_MAX) {
		for (i = 0; i < ngot; i++)
			close(got[i]);
		return -EPROTO;
	}
	big = malloc(sizeof(h) + h.total);
	if (big == NULL) {
		for (i = 0; i < ngot; i++)
			close(got[i]);
		return -ENOMEM;
	}
	memcpy(big, &h, sizeof(h));
	for (off = 0; off < h.total;) {
		ssize_t r = pread(memfd, big + sizeof(h) + off, h.total - off,
				  (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			free(big);
			for (i = 0; i < ngot; i++)
				close(got[i]);
			return -EPROTO;
		}
		off += (size_t)r;
	}
	close(memfd);
	for (i = 1; i < ngot && i < 3; i++)
		fds[i - 1] = got[i];
	*bufp = big;
	*lenp = sizeof(h) + h.total;
	return 0;
}

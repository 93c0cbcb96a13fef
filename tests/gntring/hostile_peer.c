/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A hostile vchan peer, for the hostile-peer suite.  Two modes:
 *
 *   hostile_peer corrupt SERVER-DOMID PATH [-s seed] [-n count] [-d max-delay-ms]
 *     Runs in the client's domain next to a real client: maps the server's
 *     control page (and in-page rings) a second time and, at seeded random
 *     moments, writes hostile values into indices, orders, live bytes,
 *     notify bytes, grant refs or ring data.  Both libgntring ends must end
 *     in -EPROTO or a clean close.
 *
 *   hostile_peer server CLIENT-DOMID PATH -k case [-t lifetime-s]
 *     A server that publishes a malformed channel (bad orders, grant area,
 *     live bytes, indices, keys, grants).  The libgntring client must refuse
 *     it cleanly.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <xenevtchn.h>
#include <xengnttab.h>
#include <xenstore.h>

#include "vchan_wire.h"

static uint32_t
rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void
sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static char *
read_key(struct xs_handle *xs, const char *path, const char *name)
{
	char key[512];
	unsigned int len;

	snprintf(key, sizeof(key), "%s/%s", path, name);
	return xs_read(xs, XBT_NULL, key, &len);
}

/* ------------------------------------------------------------------ */

static int
corrupt(unsigned int server, const char *path, uint32_t seed, int count,
	unsigned int max_delay)
{
	struct xs_handle *xs = xs_open(0);
	xengnttab_handle *gt = xengnttab_open(NULL, 0);
	char *text = NULL;
	uint8_t *page;
	uint32_t s = seed * 2654435761u | 1;

	if (xs == NULL || gt == NULL) {
		perror("hostile_peer: open");
		return 2;
	}
	for (int i = 0; i < 500 && text == NULL; i++) {
		text = read_key(xs, path, "ring-ref");
		if (text == NULL)
			sleep_ms(10);
	}
	if (text == NULL) {
		fprintf(stderr, "hostile_peer: no ring-ref\n");
		return 2;
	}
	page = xengnttab_map_grant_ref(gt, server, (uint32_t)strtoul(text, NULL, 10),
				       PROT_READ | PROT_WRITE);
	free(text);
	if (page == NULL) {
		/* The victims may have finished and closed already. */
		printf("channel gone before it could be mapped: %s\n", strerror(errno));
		xengnttab_close(gt);
		xs_close(xs);
		return 0;
	}
	struct vchan_ctrl *ctrl = (struct vchan_ctrl *)page;
	uint32_t lsize = 1u << (ctrl->left_order & 31);
	uint32_t rsize = 1u << (ctrl->right_order & 31);

	for (int n = 0; n < count; n++) {
		uint32_t what = rnd(&s) % 12, pick = rnd(&s) % 6;
		uint32_t *idx = NULL, size = 0, value;

		sleep_ms(rnd(&s) % (max_delay + 1));
		switch (what) {
		case 0: idx = &ctrl->left.cons; size = lsize; break;
		case 1: idx = &ctrl->left.prod; size = lsize; break;
		case 2: idx = &ctrl->right.cons; size = rsize; break;
		case 3: idx = &ctrl->right.prod; size = rsize; break;
		default: break;
		}
		if (idx != NULL) {
			uint32_t base = __atomic_load_n(idx, __ATOMIC_RELAXED);
			uint32_t values[6] = { 0xffffffffu, 0x80000000u, base + size,
					       base + size + 1, base - 1, rnd(&s) };

			value = values[pick];
			__atomic_store_n(idx, value, __ATOMIC_RELAXED);
			printf("corrupt index %u: %" PRIu32 " -> %" PRIu32 "\n", what,
			       base, value);
			continue;
		}
		switch (what) {
		case 4:
			ctrl->left_order = (uint16_t)rnd(&s);
			ctrl->right_order = (uint16_t)rnd(&s);
			printf("corrupt orders\n");
			break;
		case 5:
		case 6: {
			static const uint8_t live[] = { 0, 2, 3, 0xff, 7, 0 };
			uint8_t *byte = what == 5 ? &ctrl->cli_live : &ctrl->srv_live;

			__atomic_store_n(byte, live[pick], __ATOMIC_RELAXED);
			printf("corrupt %s_live = %u\n", what == 5 ? "cli" : "srv",
			       live[pick]);
			break;
		}
		case 7:
		case 8: {
			uint8_t *byte = what == 7 ? &ctrl->cli_notify : &ctrl->srv_notify;
			uint8_t v = (uint8_t)rnd(&s);

			__atomic_store_n(byte, v, __ATOMIC_RELAXED);
			printf("corrupt %s_notify = 0x%02x\n", what == 7 ? "cli" : "srv", v);
			break;
		}
		case 9:
			ctrl->grants[0] = rnd(&s);
			printf("corrupt grants[0]\n");
			break;
		default:
			/* Scribble over the in-page ring area (data, not metadata). */
			for (int i = 0; i < 64; i++)
				page[1024 + rnd(&s) % 3072] = (uint8_t)rnd(&s);
			printf("corrupt ring bytes\n");
			break;
		}
		fflush(stdout);
	}
	xengnttab_unmap(gt, page, 1);
	xengnttab_close(gt);
	xs_close(xs);
	return 0;
}

/* ------------------------------------------------------------------ */

enum evil_case {
	EVIL_ORDER9 = 1,
	EVIL_ORDER21,
	EVIL_SAME_IN_PAGE,
	EVIL_GRANT_OVERLAP,
	EVIL_SRV_LIVE3,
	EVIL_CLI_LIVE1,
	EVIL_INDICES,
	EVIL_REF_TEXT,
	EVIL_REF_ZERO,
	EVIL_BAD_GRANTS,
	EVIL_SRV_CLOSED,
	EVIL_BAD_PORT,
	EVIL_CASES
};

static int
publish(struct xs_handle *xs, const char *path, unsigned int peer,
	const char *ref, const char *port)
{
	char key[512];
	struct xs_permissions perms[2] = { { 0, XS_PERM_NONE },
					   { peer, XS_PERM_READ } };
	unsigned int len;
	char *self = xs_read(xs, XBT_NULL, "domid", &len);

	if (self == NULL)
		return -1;
	perms[0].id = (unsigned int)strtoul(self, NULL, 10);
	free(self);
	snprintf(key, sizeof(key), "%s/ring-ref", path);
	if (!xs_write(xs, XBT_NULL, key, ref, (unsigned int)strlen(ref)) ||
	    !xs_set_permissions(xs, XBT_NULL, key, perms, 2))
		return -1;
	snprintf(key, sizeof(key), "%s/event-channel", path);
	if (!xs_write(xs, XBT_NULL, key, port, (unsigned int)strlen(port)) ||
	    !xs_set_permissions(xs, XBT_NULL, key, perms, 2))
		return -1;
	return 0;
}

static int
evil_server(unsigned int peer, const char *path, int which, int lifetime)
{
	struct xs_handle *xs = xs_open(0);
	xenevtchn_handle *ev = xenevtchn_open(NULL, 0);
	xengntshr_handle *gs = xengntshr_open(NULL, 0);
	uint32_t ref = 0, ring_refs[2];
	char ref_text[16], port_text[16];
	void *rings = NULL;
	int port;

	if (xs == NULL || ev == NULL || gs == NULL) {
		perror("hostile_peer: open");
		return 2;
	}
	port = xenevtchn_bind_unbound_port(ev, peer);
	uint8_t *page = xengntshr_share_page_notify(gs, peer, &ref, 1,
						    VCHAN_SRV_LIVE_OFFSET,
						    (evtchn_port_t)port);
	if (port < 0 || page == NULL) {
		perror("hostile_peer: share");
		return 2;
	}
	memset(page, 0, VCHAN_PAGE_SIZE);
	struct vchan_ctrl *ctrl = (struct vchan_ctrl *)page;

	ctrl->left_order = 10;
	ctrl->right_order = 11;
	ctrl->cli_live = VCHAN_LIVE_WAITING;
	ctrl->srv_live = VCHAN_LIVE_CONNECTED;
	ctrl->cli_notify = VCHAN_NOTIFY_WRITE;
	snprintf(ref_text, sizeof(ref_text), "%u", ref);
	snprintf(port_text, sizeof(port_text), "%d", port);
	switch (which) {
	case EVIL_ORDER9: ctrl->left_order = 9; break;
	case EVIL_ORDER21: ctrl->left_order = 12; ctrl->right_order = 21; break;
	case EVIL_SAME_IN_PAGE: ctrl->right_order = 10; break;
	case EVIL_GRANT_OVERLAP:
		/* 256 refs from byte 24 run into the ring at 1024. */
		ctrl->right_order = 20;
		for (int i = 0; i < 256; i++)
			ctrl->grants[i] = 0x41414141;
		break;
	case EVIL_SRV_LIVE3: ctrl->srv_live = 3; break;
	case EVIL_CLI_LIVE1: ctrl->cli_live = 1; break;
	case EVIL_INDICES: ctrl->right.prod = 0x80000000u; break;
	case EVIL_REF_TEXT: strcpy(ref_text, "12abc"); break;
	case EVIL_REF_ZERO: strcpy(ref_text, "0"); break;
	case EVIL_BAD_GRANTS:
		/* Valid orders; one real page, one reference that is not ours. */
		ctrl->left_order = 12;
		ctrl->right_order = 12;
		rings = xengntshr_share_pages(gs, peer, 1, ring_refs, 1);
		ctrl->grants[0] = ring_refs[0];
		ctrl->grants[1] = 0x7ffffff0;
		break;
	case EVIL_SRV_CLOSED: ctrl->srv_live = 0; break;
	case EVIL_BAD_PORT: strcpy(port_text, "4000"); break;
	default:
		fprintf(stderr, "hostile_peer: unknown case %d\n", which);
		return 2;
	}
	if (publish(xs, path, peer, ref_text, port_text) < 0) {
		perror("hostile_peer: publish");
		return 2;
	}
	printf("evil server case %d published\n", which);
	fflush(stdout);
	sleep_ms((unsigned int)lifetime * 1000);
	xs_rm(xs, XBT_NULL, path);
	if (rings != NULL)
		xengntshr_unshare(gs, rings, 1);
	xengntshr_unshare(gs, page, 1);
	xengntshr_close(gs);
	xenevtchn_unbind(ev, (evtchn_port_t)port);
	xenevtchn_close(ev);
	xs_close(xs);
	return 0;
}

int
main(int argc, char **argv)
{
	uint32_t seed = 1;
	int count = 3, which = 0, lifetime = 3, c;
	unsigned int max_delay = 400;

	if (argc < 4) {
		fprintf(stderr, "usage: %s corrupt|server domid path [-s seed] "
			"[-n count] [-d max-delay-ms] [-k case] [-t lifetime-s]\n",
			argv[0]);
		return 2;
	}
	optind = 4;
	while ((c = getopt(argc, argv, "s:n:d:k:t:")) != -1) {
		switch (c) {
		case 's': seed = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'n': count = atoi(optarg); break;
		case 'd': max_delay = (unsigned int)atoi(optarg); break;
		case 'k': which = atoi(optarg); break;
		case 't': lifetime = atoi(optarg); break;
		default: return 2;
		}
	}
	if (strcmp(argv[1], "corrupt") == 0)
		return corrupt((unsigned int)strtoul(argv[2], NULL, 10), argv[3],
			       seed, count, max_delay);
	if (strcmp(argv[1], "server") == 0)
		return evil_server((unsigned int)strtoul(argv[2], NULL, 10), argv[3],
				   which, lifetime);
	return 2;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Cross-check our wire header against the one Debian ships with libxenvchan
 * (xen/io/libxenvchan.h): same offsets, sizes and notify bit values.
 */
#include <stddef.h>
#include <stdio.h>

#include <xen/io/libxenvchan.h>

enum {
	DEBIAN_NOTIFY_WRITE = VCHAN_NOTIFY_WRITE,
	DEBIAN_NOTIFY_READ = VCHAN_NOTIFY_READ,
};
#undef VCHAN_NOTIFY_WRITE
#undef VCHAN_NOTIFY_READ

#include "vchan_wire.h"

#define SAME_FIELD(ours, theirs)                                              \
	static_assert(offsetof(struct vchan_ctrl, ours) ==                    \
			      offsetof(struct vchan_interface, theirs) &&     \
		      sizeof(((struct vchan_ctrl *)0)->ours) ==               \
			      sizeof(((struct vchan_interface *)0)->theirs),  \
		      #ours)

SAME_FIELD(left.cons, left.cons);
SAME_FIELD(left.prod, left.prod);
SAME_FIELD(right.cons, right.cons);
SAME_FIELD(right.prod, right.prod);
SAME_FIELD(left_order, left_order);
SAME_FIELD(right_order, right_order);
SAME_FIELD(cli_live, cli_live);
SAME_FIELD(srv_live, srv_live);
SAME_FIELD(cli_notify, cli_notify);
SAME_FIELD(srv_notify, srv_notify);
static_assert(offsetof(struct vchan_ctrl, grants) ==
	      offsetof(struct vchan_interface, grants), "grants");
static_assert(sizeof(struct vchan_ctrl) == sizeof(struct vchan_interface),
	      "header size");
static_assert(VCHAN_NOTIFY_WRITE == DEBIAN_NOTIFY_WRITE, "WRITE bit");
static_assert(VCHAN_NOTIFY_READ == DEBIAN_NOTIFY_READ, "READ bit");
/* Our extension bits must stay clear of vchan's. */
static_assert(((GNTRING_NOTIFY_FEATURE | GNTRING_NOTIFY_SHUTDOWN) &
	       (DEBIAN_NOTIFY_WRITE | DEBIAN_NOTIFY_READ)) == 0, "extension bits");

int
main(void)
{
	printf("vchan wire header matches xen/io/libxenvchan.h (%zu bytes)\n",
	       sizeof(struct vchan_interface));
	return 0;
}

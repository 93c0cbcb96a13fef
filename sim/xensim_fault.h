/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fault injection for the simulator: make chosen grant, mapping, event
 * channel and xenstore operations fail, so that tests can see every
 * program end with a clear error (or recover) and nothing leak.
 *
 * The daemon reads XENSIM_FAULTS once at start:
 *
 *	XENSIM_FAULTS="RULE[,RULE...][;seed=N]"
 *	RULE = SITE:every=N | SITE:p=F | SITE:nth=N   (then optional :after=M)
 *
 * every=N fails calls N, 2N, 3N, ... of the site; nth=N fails call N only;
 * p=F fails each call with probability F (0..1), from a generator seeded
 * with `seed` (default 1) and the site, so a site's decisions depend only on
 * its own call count and a run can be replayed.  after=M spares the first
 * M calls.  SITE is one of the names below, or "all".  xenstore sites may
 * add err=NAME (an xs_wire.h errno name) for the error reply; the default
 * is EIO.
 *
 * What a fault does at each site (the errors Xen or Linux would give):
 *   grant_access     granting a page fails: ENOSPC (table full)
 *   end_access       revoking a grant fails: EBUSY (the core parks the page)
 *   map_grants       a map batch fails: every op GNTST_general_error
 *   evtchn_alloc     allocating an unbound port fails: ENOSPC
 *   evtchn_bind      binding an interdomain port fails: EINVAL
 *   evtchn_notify    an evtchn notify ioctl fails: ENOTCONN (not
 *                    delivered).  While this site is armed the daemon
 *                    gives out no doorbell, so the shims send every
 *                    notify as an ioctl, through this site.
 *   xs_read          XS_READ, XS_DIRECTORY, XS_GET_PERMS, XS_GET_DOMAIN_PATH
 *   xs_write         XS_WRITE, XS_MKDIR, XS_RM, XS_SET_PERMS
 *   xs_watch         XS_WATCH, XS_UNWATCH
 *   xs_transaction   XS_TRANSACTION_START
 * A failed xenstore request gets an XS_ERROR reply and never reaches the
 * store.  XS_TRANSACTION_END is never failed: xenstored ends the
 * transaction even when the commit fails, and a reply kept from the store
 * would leave it open there.
 *
 * Not thread-safe: the daemon is one thread.
 */
#ifndef XENSIM_FAULT_H
#define XENSIM_FAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "xenstore.h"

enum xensim_fault_site {
	XENSIM_FAULT_GRANT_ACCESS,
	XENSIM_FAULT_END_ACCESS,
	XENSIM_FAULT_MAP_GRANTS,
	XENSIM_FAULT_EVTCHN_ALLOC,
	XENSIM_FAULT_EVTCHN_BIND,
	XENSIM_FAULT_EVTCHN_NOTIFY,
	XENSIM_FAULT_XS_READ,
	XENSIM_FAULT_XS_WRITE,
	XENSIM_FAULT_XS_WATCH,
	XENSIM_FAULT_XS_TRANSACTION,
	XENSIM_FAULT_NSITES
};

/*
 * Replace the configuration with `spec` (NULL or "" = no faults) and reset
 * the counters.  Returns 0, or -EINVAL with a message in err[errlen].
 */
int xensim_fault_configure(const char *spec, char *err, size_t errlen);

/* xensim_fault_configure(getenv("XENSIM_FAULTS")). */
int xensim_fault_configure_from_env(char *err, size_t errlen);

/* Is any site armed? */
bool xensim_fault_enabled(void);

/* Is `site` armed? */
bool xensim_fault_site_armed(enum xensim_fault_site site);

/* Count a call of `site`; true when this call must fail. */
bool xensim_fault_should_fail(enum xensim_fault_site site);

/* Calls seen and faults injected at `site` since configure. */
void xensim_fault_counts(enum xensim_fault_site site, uint64_t *calls,
			 uint64_t *injected);

/* "grant_access", ...; NULL for a bad site. */
const char *xensim_fault_site_name(enum xensim_fault_site site);

/*
 * One line: "faults: SITE injected/calls ..." for armed sites (or
 * "faults: none").  Returns snprintf's count.
 */
int xensim_fault_summary(char *buf, size_t len);

/* Where each injected fault is logged, one line each (NULL: nowhere). */
void xensim_fault_set_log(FILE *fp);

/*
 * xenstore: feed bytes from a connection.  With no xenstore site armed this
 * is xs_conn_input().  Otherwise whole requests are framed here; those
 * chosen to fail are answered with an XS_ERROR through `send` (with
 * `opaque`) and the rest go to the store.  Returns what xs_conn_input()
 * returns (-1: an oversized header, close the connection), or -1 for no
 * memory.  Call xensim_fault_xs_forget() before xs_conn_destroy().
 */
int xensim_fault_xs_input(struct xs_conn *c, const void *buf, size_t len,
			  xs_send_fn *send, void *opaque);
void xensim_fault_xs_forget(struct xs_conn *c);

/* The site of a xenstore request type (XENSIM_FAULT_NSITES: none). */
enum xensim_fault_site xensim_fault_xs_site(uint32_t type);

#endif /* XENSIM_FAULT_H */

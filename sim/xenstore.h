/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The simulator's xenstore: a transport-free model of xenstored.
 *
 * The daemon owns the sockets.  It creates one xs_store per machine, one
 * xs_conn per client connection (with the client's domain id), feeds the
 * bytes it reads from the client to xs_conn_input(), and writes whatever the
 * store hands to the connection's send callback back to the client.  The wire
 * format is Xen's (xen/io/xs_wire.h): a struct xsd_sockmsg header followed by
 * at most XENSTORE_PAYLOAD_MAX bytes of payload, in both directions.
 *
 * Semantics follow the C xenstored of Xen 4.17: node permissions (the first
 * entry is the owner and the default for everyone else; domain 0 bypasses
 * them), relative paths under /local/domain/<domid>, watches (fired once on
 * registration, then for every change of the node or a descendant, filtered
 * by read permission), transactions (snapshot + optimistic commit; a
 * conflicting commit fails with EAGAIN and the caller retries), and the
 * special watches @introduceDomain and @releaseDomain.
 *
 * Quota errors use the strings xenstored uses, since xs_wire.h knows no
 * "EQUOTA": ENOSPC for nodes, transactions and permission entries, E2BIG for
 * watches.
 *
 * Threading: none.  The caller serialises all calls on one store.  A send
 * callback may queue bytes but must not call back into the store.
 * Trust: every byte from a connection is treated as hostile.  This is a test
 * tool, not a security boundary between host processes.
 */

#ifndef XENSIM_XENSTORE_H
#define XENSIM_XENSTORE_H

#include <stddef.h>

/* Limits, with xenstored's defaults where it has one. */
#define XS_QUOTA_TRANSACTIONS     10   /* open transactions per connection */
#define XS_QUOTA_WATCHES          128  /* watches per connection */
#define XS_QUOTA_NODES            1000 /* nodes owned by one unprivileged domain */
#define XS_QUOTA_PERMS            5    /* permission entries per node, unprivileged */
#define XS_QUOTA_TXN_NODES        1024 /* distinct nodes one transaction touches */
#define XS_MAX_VALUE_LEN          4096 /* bytes in a node's value */

struct xs_store;                 /* the whole tree, transactions, watches */
struct xs_conn;                  /* one client connection, with its domain id */

/* Queue bytes to the client: always one whole message (header + payload). */
typedef void xs_send_fn(void *opaque, const void *buf, size_t len);

/* NULL on ENOMEM; creates "/", "/local", "/local/domain" owned by dom0. */
struct xs_store *xs_store_create(void);

/* Frees the tree and any connections still attached to the store. */
void xs_store_destroy(struct xs_store *st);

/*
 * Creates /local/domain/<domid> (owner domid, no access for others; dom0
 * always has access) with the child "domid" = "<domid>", and fires
 * @introduceDomain.  If dom0 made the home earlier (by writing below it), the
 * home and its "domid" get exactly these perms and that value, as the
 * toolstack gives a new domain its home; other nodes there keep theirs.
 * Idempotent: introducing an introduced domain does nothing.  Returns 0,
 * -EINVAL for a domid >= DOMID_FIRST_RESERVED, -ENOMEM.
 */
int xs_store_introduce_domain(struct xs_store *st, unsigned domid);

/*
 * Fires @releaseDomain, then removes the /local/domain/<domid> subtree (with
 * the watch events of that removal).  Nodes elsewhere and connections of the
 * domain are left alone.  Returns 0, or -ENOENT if domid was not introduced.
 */
int xs_store_release_domain(struct xs_store *st, unsigned domid);

/* One connection of domain domid; NULL on ENOMEM.  Domain 0 is privileged. */
struct xs_conn *xs_conn_create(struct xs_store *st, unsigned domid,
                               xs_send_fn *send, void *opaque);

/* Drops the connection's watches and open transactions. */
void xs_conn_destroy(struct xs_conn *c);

/*
 * Feeds raw bytes from the socket, split anywhere.  Each complete message is
 * processed and answered through the send callback (watch events for this and
 * other connections go through theirs).  Returns 0, or -1 when the client sent
 * a header with len > XENSTORE_PAYLOAD_MAX: the stream cannot be framed any
 * more, the connection ignores all further input, and the caller should close
 * it.
 */
int xs_conn_input(struct xs_conn *c, const void *buf, size_t len);

struct xs_stats { unsigned nodes, watches, transactions; };

/* Nodes owned by domid, and the watches and open transactions of its conns. */
void xs_store_domain_stats(struct xs_store *st, unsigned domid,
                           struct xs_stats *out);

#endif /* XENSIM_XENSTORE_H */

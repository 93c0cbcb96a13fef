/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The simulator's xenstore (see xenstore.h for the contract).
 *
 * Layout of this file: small helpers (perms, paths, owner counts), the tree,
 * transactions, watch events, the request handlers (one per wire type), the
 * dispatcher and framing, and the public functions.
 *
 * Transactions.  TRANSACTION_START copies the whole tree (the stores the
 * simulator runs hold a few thousand nodes at most).  Requests inside the
 * transaction work on the copy with the same code as outside.  Every node a
 * transaction touches is recorded once with the generation it had in the
 * copy ("accessed"); nodes it changed are marked dirty.  At commit, any
 * accessed node whose generation in the live tree differs (changed, created
 * or deleted since) makes the commit fail with EAGAIN.  Otherwise the dirty
 * nodes are copied into the live tree, parents first, and the watch events
 * the transaction collected fire.  Every change of a node (value, perms,
 * children) gives it a new generation from one store-wide counter, so a
 * deleted and re-created node never looks unchanged.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xen/io/xs_wire.h>

#include "xenstore.h"

#define XS_HDR_LEN          sizeof(struct xsd_sockmsg)
#define XS_PATH_BUF         (XENSTORE_ABS_PATH_MAX + 1)
#define XS_DOMID_RESERVED   0x7FF0U   /* DOMID_FIRST_RESERVED */
#define XS_DOMID_MAX_DIGITS 5

/* Access bits of a permission entry, and the owner bit perm_for() adds. */
#define XS_ACC_NONE  0U
#define XS_ACC_READ  1U
#define XS_ACC_WRITE 2U
#define XS_ACC_OWNER 4U

struct xs_perm {
	unsigned domid;
	unsigned access;
};

/* v[0] is the owner; its access is what every unlisted domain gets. */
struct xs_perms {
	struct xs_perm *v;
	unsigned n;
};

struct xs_node {
	char *name;                /* one path component; "" for the root */
	struct xs_node *parent;
	struct xs_node **kids;     /* in creation order, as DIRECTORY lists them */
	unsigned nkids, kids_cap;
	char *value;
	unsigned value_len;
	struct xs_perms perms;
	uint64_t gen;
};

struct xs_owner_count {
	unsigned domid;
	unsigned nodes;
};

struct xs_tree {
	struct xs_node *root;
	struct xs_owner_count *counts;  /* nodes per owner, for quota and stats */
	unsigned ncounts, counts_cap;
};

/*
 * A change to report to watchers.  A watcher may see it if it can read the
 * node under any of the captured permission sets: the node's perms after the
 * change, before it (SET_PERMS, or an earlier change in a transaction), or
 * the parent's.
 */
struct xs_event {
	char *path;
	bool exact;                /* only watches on exactly this path match */
	struct xs_perms perms[3];
};

struct xs_event_list {
	struct xs_event *v;
	unsigned n, cap;
};

struct xs_access {
	char *path;
	uint64_t gen;              /* 0: the node did not exist */
	bool dirty;
	bool check;                /* compare gen at commit */
};

struct xs_txn {
	struct xs_txn *next;
	uint32_t id;
	struct xs_tree tree;
	struct xs_access *acc;
	unsigned nacc, acc_cap;
	struct xs_event_list events;
	char **removed;            /* roots of subtrees this transaction removed */
	unsigned nremoved, removed_cap;
	unsigned start_owned;      /* nodes the conn's domain owned at start */
};

struct xs_watch {
	struct xs_watch *next;
	char *path;                /* absolute, or "@special" */
	char *token;
	size_t rel_prefix;         /* registered relative: strip this many bytes */
};

struct xs_conn {
	struct xs_store *st;
	struct xs_conn *prev, *next;
	unsigned domid;
	xs_send_fn *send;
	void *opaque;
	struct xs_watch *watches;
	unsigned nwatches;
	struct xs_txn *txns;
	unsigned ntxns;
	bool broken;               /* unframeable input seen; ignore the rest */
	size_t in_used;
	/* One partial message; +1 to NUL-terminate the payload in place. */
	unsigned char in[XS_HDR_LEN + XENSTORE_PAYLOAD_MAX + 1];
};

struct xs_special {
	const char *name;
	struct xs_perms perms;
};

enum { XS_SPECIAL_INTRODUCE, XS_SPECIAL_RELEASE, XS_NSPECIAL };

struct xs_store {
	struct xs_tree tree;
	uint64_t gen;
	uint32_t next_txn_id;
	struct xs_conn *conns;
	struct xs_special special[XS_NSPECIAL];
	unsigned *introduced;
	unsigned nintroduced, introduced_cap;
	struct xs_event_list pending;  /* fired after the current reply */
};

/* One request being processed, or an internal change made as dom0. */
struct xs_req {
	struct xs_store *st;
	struct xs_conn *c;         /* NULL for internal changes */
	unsigned domid;
	struct xsd_sockmsg hdr;
	char *data;                /* payload, NUL-terminated at data[len] */
	unsigned len;
	struct xs_txn *txn;
	struct xs_tree *tree;      /* the transaction's copy, or the live tree */
};

/* ------------------------------------------------------------------------ */
/* Small helpers                                                            */

static bool grow(void **v, unsigned *cap, unsigned want, size_t elem)
{
	unsigned ncap;
	void *nv;

	if (want <= *cap)
		return true;
	ncap = *cap ? *cap * 2 : 8;
	while (ncap < want)
		ncap *= 2;
	nv = realloc(*v, (size_t)ncap * elem);
	if (nv == NULL)
		return false;
	*v = nv;
	*cap = ncap;
	return true;
}

static char *dup_bytes(const char *s, size_t len)
{
	char *d = malloc(len + 1);

	if (d != NULL) {
		if (len > 0)
			memcpy(d, s, len);
		d[len] = '\0';
	}
	return d;
}

static char *dup_str(const char *s)
{
	return dup_bytes(s, strlen(s));
}

/* Strict decimal: 1..max_digits digits, nothing else. */
static bool parse_uint(const char *s, unsigned max_digits, unsigned long *out)
{
	unsigned long v = 0;
	unsigned i;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= max_digits)
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (i == 0)
		return false;
	*out = v;
	return true;
}

static bool parse_domid(const char *s, unsigned *domid)
{
	unsigned long v;

	if (!parse_uint(s, XS_DOMID_MAX_DIGITS, &v) || v > 0xFFFFUL)
		return false;
	*domid = (unsigned)v;
	return true;
}

/* ------------------------------------------------------------------------ */
/* Permissions                                                              */

static void perms_free(struct xs_perms *p)
{
	free(p->v);
	p->v = NULL;
	p->n = 0;
}

static int perms_copy(struct xs_perms *dst, const struct xs_perms *src)
{
	dst->v = NULL;
	dst->n = 0;
	if (src == NULL || src->n == 0)
		return 0;
	dst->v = malloc(src->n * sizeof(*src->v));
	if (dst->v == NULL)
		return ENOMEM;
	memcpy(dst->v, src->v, src->n * sizeof(*src->v));
	dst->n = src->n;
	return 0;
}

static int perms_single(struct xs_perms *p, unsigned owner, unsigned access)
{
	p->v = malloc(sizeof(*p->v));
	if (p->v == NULL)
		return ENOMEM;
	p->v[0].domid = owner;
	p->v[0].access = access;
	p->n = 1;
	return 0;
}

static unsigned perms_owner(const struct xs_perms *p)
{
	return p->n > 0 ? p->v[0].domid : 0;
}

/* What domid may do, as xenstored decides it: dom0 and the owner get all. */
static unsigned perm_for(unsigned domid, const struct xs_perms *p)
{
	unsigned i;

	if (p->n == 0)
		return domid == 0 ? XS_ACC_READ | XS_ACC_WRITE | XS_ACC_OWNER : 0;
	if (domid == 0 || p->v[0].domid == domid)
		return XS_ACC_READ | XS_ACC_WRITE | XS_ACC_OWNER;
	for (i = 1; i < p->n; i++)
		if (p->v[i].domid == domid)
			return p->v[i].access;
	return p->v[0].access;
}

/* "r5" style; returns false on anything else. */
static bool perm_parse(const char *s, struct xs_perm *out)
{
	switch (s[0]) {
	case 'n': out->access = XS_ACC_NONE; break;
	case 'r': out->access = XS_ACC_READ; break;
	case 'w': out->access = XS_ACC_WRITE; break;
	case 'b': out->access = XS_ACC_READ | XS_ACC_WRITE; break;
	default: return false;
	}
	return parse_domid(s + 1, &out->domid);
}

/* Writes "<letter><domid>\0" for each entry; returns bytes, or 0 if cap is short. */
static size_t perms_format(const struct xs_perms *p, char *buf, size_t cap)
{
	static const char letters[] = "nrwb";
	size_t used = 0;
	unsigned i;
	int n;

	for (i = 0; i < p->n; i++) {
		n = snprintf(buf + used, cap - used, "%c%u",
		             letters[p->v[i].access & 3U], p->v[i].domid);
		if (n < 0 || (size_t)n + 1 > cap - used)
			return 0;
		used += (size_t)n + 1;
	}
	return used;
}

/* ------------------------------------------------------------------------ */
/* Paths                                                                    */

static bool path_char_ok(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '-' || ch == '/' ||
	       ch == '_' || ch == '@';
}

static bool path_valid(const char *p)
{
	size_t len = strlen(p), i;

	if (p[0] != '/' || len > XENSTORE_ABS_PATH_MAX)
		return false;
	if (len > 1 && p[len - 1] == '/')
		return false;
	for (i = 0; i < len; i++) {
		if (!path_char_ok(p[i]))
			return false;
		if (p[i] == '/' && p[i + 1] == '/')
			return false;
	}
	return true;
}

static int home_path(unsigned domid, char *out, size_t cap)
{
	return snprintf(out, cap, "/local/domain/%u", domid);
}

/*
 * Canonical absolute form of a client's node path.  Relative paths live
 * under the client's home; *rel_prefix (if asked) gets the length of the
 * prefix that was added, so watch events can be reported relative again.
 */
static int path_resolve(unsigned domid, const char *in, char out[XS_PATH_BUF],
                        size_t *rel_prefix)
{
	size_t len = strlen(in);
	int n;

	if (rel_prefix != NULL)
		*rel_prefix = 0;
	if (in[0] == '/') {
		if (len > XENSTORE_ABS_PATH_MAX)
			return EINVAL;
		memcpy(out, in, len + 1);
	} else {
		if (in[0] == '@' || len > XENSTORE_REL_PATH_MAX)
			return EINVAL;
		n = snprintf(out, XS_PATH_BUF, "/local/domain/%u/%s", domid, in);
		if (n < 0 || n >= XS_PATH_BUF)
			return EINVAL;
		if (rel_prefix != NULL)
			*rel_prefix = (size_t)n - len - 1;
	}
	return path_valid(out) ? 0 : EINVAL;
}

/* Parent of a valid absolute path other than "/". */
static void path_parent(const char *path, char out[XS_PATH_BUF])
{
	const char *slash = strrchr(path, '/');
	size_t len = (size_t)(slash - path);

	if (len == 0)
		len = 1;
	memcpy(out, path, len);
	out[len] = '\0';
}

/* Is path the watched path or below it?  "/" covers everything. */
static bool path_is_child(const char *path, const char *watched)
{
	size_t len = strlen(watched);

	if (strcmp(watched, "/") == 0)
		return true;
	return strncmp(path, watched, len) == 0 &&
	       (path[len] == '/' || path[len] == '\0');
}

static unsigned path_depth(const char *path)
{
	unsigned d = 0;

	if (strcmp(path, "/") == 0)
		return 0;
	for (; *path != '\0'; path++)
		d += *path == '/';
	return d;
}

/* ------------------------------------------------------------------------ */
/* Owner counts                                                             */

static struct xs_owner_count *count_find(const struct xs_tree *t, unsigned domid)
{
	unsigned i;

	for (i = 0; i < t->ncounts; i++)
		if (t->counts[i].domid == domid)
			return &t->counts[i];
	return NULL;
}

static unsigned tree_owned(const struct xs_tree *t, unsigned domid)
{
	const struct xs_owner_count *oc = count_find(t, domid);

	return oc != NULL ? oc->nodes : 0;
}

/* Make sure a counter exists, so that later increments cannot fail. */
static int count_reserve(struct xs_tree *t, unsigned domid)
{
	if (count_find(t, domid) != NULL)
		return 0;
	if (!grow((void **)&t->counts, &t->counts_cap, t->ncounts + 1,
	          sizeof(*t->counts)))
		return ENOMEM;
	t->counts[t->ncounts].domid = domid;
	t->counts[t->ncounts].nodes = 0;
	t->ncounts++;
	return 0;
}

static void count_add(struct xs_tree *t, unsigned domid, int delta)
{
	struct xs_owner_count *oc = count_find(t, domid);

	if (oc == NULL)
		return;  /* reserved by every caller that adds */
	if (delta < 0 && oc->nodes < (unsigned)-delta)
		oc->nodes = 0;
	else
		oc->nodes += (unsigned)delta;
}

/* ------------------------------------------------------------------------ */
/* Tree                                                                     */

static struct xs_node *node_new(const char *name, size_t name_len)
{
	struct xs_node *n = calloc(1, sizeof(*n));

	if (n == NULL)
		return NULL;
	n->name = dup_bytes(name, name_len);
	if (n->name == NULL) {
		free(n);
		return NULL;
	}
	return n;
}

/* Frees a detached subtree.  Depth is bounded by the path length limit. */
static void node_free(struct xs_node *n)
{
	unsigned i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nkids; i++)
		node_free(n->kids[i]);
	free(n->kids);
	free(n->name);
	free(n->value);
	perms_free(&n->perms);
	free(n);
}

static struct xs_node *node_child(const struct xs_node *n, const char *name,
                                  size_t len)
{
	unsigned i;

	for (i = 0; i < n->nkids; i++)
		if (strncmp(n->kids[i]->name, name, len) == 0 &&
		    n->kids[i]->name[len] == '\0')
			return n->kids[i];
	return NULL;
}

static int node_attach(struct xs_node *parent, struct xs_node *kid)
{
	if (!grow((void **)&parent->kids, &parent->kids_cap, parent->nkids + 1,
	          sizeof(*parent->kids)))
		return ENOMEM;
	parent->kids[parent->nkids++] = kid;
	kid->parent = parent;
	return 0;
}

static void node_detach(struct xs_node *kid)
{
	struct xs_node *p = kid->parent;
	unsigned i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nkids; i++) {
		if (p->kids[i] == kid) {
			memmove(&p->kids[i], &p->kids[i + 1],
			        (p->nkids - i - 1) * sizeof(*p->kids));
			p->nkids--;
			break;
		}
	}
	kid->parent = NULL;
}

/*
 * Deepest existing node on the way to path, and how many bytes of path it
 * stands for: path[*matched] == '\0' means the node is the path itself.
 */
static struct xs_node *tree_walk(const struct xs_tree *t, const char *path,
                                 size_t *matched)
{
	struct xs_node *n = t->root, *kid;
	size_t m = 0, clen;

	if (strcmp(path, "/") == 0) {
		*matched = 1;
		return n;
	}
	while (path[m] == '/') {
		clen = strcspn(path + m + 1, "/");
		kid = node_child(n, path + m + 1, clen);
		if (kid == NULL)
			break;
		n = kid;
		m += 1 + clen;
	}
	*matched = m;
	return n;
}

static struct xs_node *tree_lookup(const struct xs_tree *t, const char *path)
{
	size_t m;
	struct xs_node *n = tree_walk(t, path, &m);

	return path[m] == '\0' ? n : NULL;
}

static void subtree_uncount(struct xs_tree *t, const struct xs_node *n)
{
	unsigned i;

	count_add(t, perms_owner(&n->perms), -1);
	for (i = 0; i < n->nkids; i++)
		subtree_uncount(t, n->kids[i]);
}

/* Removes a non-root subtree, bumping the parent's generation. */
static void tree_remove(struct xs_store *st, struct xs_tree *t, struct xs_node *n)
{
	struct xs_node *parent = n->parent;

	subtree_uncount(t, n);
	node_detach(n);
	if (parent != NULL)
		parent->gen = ++st->gen;
	node_free(n);
}

static struct xs_node *node_copy(const struct xs_node *src)
{
	struct xs_node *n = node_new(src->name, strlen(src->name));
	unsigned i;

	if (n == NULL)
		return NULL;
	n->gen = src->gen;
	if (perms_copy(&n->perms, &src->perms) != 0)
		goto fail;
	if (src->value_len > 0) {
		n->value = dup_bytes(src->value, src->value_len);
		if (n->value == NULL)
			goto fail;
		n->value_len = src->value_len;
	}
	for (i = 0; i < src->nkids; i++) {
		struct xs_node *kid = node_copy(src->kids[i]);

		if (kid == NULL)
			goto fail;
		if (node_attach(n, kid) != 0) {
			node_free(kid);
			goto fail;
		}
	}
	return n;
fail:
	node_free(n);
	return NULL;
}

static void tree_free(struct xs_tree *t)
{
	node_free(t->root);
	free(t->counts);
	memset(t, 0, sizeof(*t));
}

static int tree_copy(struct xs_tree *dst, const struct xs_tree *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->root = node_copy(src->root);
	if (dst->root == NULL)
		return ENOMEM;
	if (src->ncounts > 0) {
		dst->counts = malloc(src->ncounts * sizeof(*src->counts));
		if (dst->counts == NULL) {
			tree_free(dst);
			return ENOMEM;
		}
		memcpy(dst->counts, src->counts,
		       src->ncounts * sizeof(*src->counts));
		dst->ncounts = dst->counts_cap = src->ncounts;
	}
	return 0;
}

static int node_set_value(struct xs_node *n, const char *value, unsigned len)
{
	char *v = NULL;

	if (len > 0) {
		v = dup_bytes(value, len);
		if (v == NULL)
			return ENOMEM;
	}
	free(n->value);
	n->value = v;
	n->value_len = len;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Watch events                                                             */

static void event_free(struct xs_event *ev)
{
	unsigned i;

	free(ev->path);
	for (i = 0; i < 3; i++)
		perms_free(&ev->perms[i]);
}

static void events_clear(struct xs_event_list *l)
{
	unsigned i;

	for (i = 0; i < l->n; i++)
		event_free(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/*
 * Queues an event: to the transaction (fired at commit) or to the store
 * (fired after the reply).  A transaction keeps one event per changed path,
 * as xenstored fires one per changed node at commit.  Under memory pressure
 * an event is dropped; watches are allowed to miss nothing else.
 */
static void event_add(struct xs_req *r, const char *path, bool exact,
                      const struct xs_perms *now, const struct xs_perms *before,
                      const struct xs_perms *parent)
{
	struct xs_event_list *l = r->txn != NULL ? &r->txn->events : &r->st->pending;
	struct xs_event ev;
	unsigned i;

	memset(&ev, 0, sizeof(ev));
	if (r->txn != NULL && !exact) {
		for (i = 0; i < l->n; i++) {
			struct xs_event *old = &l->v[i];

			if (old->exact || strcmp(old->path, path) != 0)
				continue;
			if (perms_copy(&ev.perms[0], now) != 0 ||
			    perms_copy(&ev.perms[2], parent) != 0) {
				event_free(&ev);
				return;
			}
			/* Keep the oldest perms too: a watcher who lost access still hears. */
			if (old->perms[1].n == 0) {
				old->perms[1] = old->perms[0];
			} else {
				perms_free(&old->perms[0]);
			}
			perms_free(&old->perms[2]);
			old->perms[0] = ev.perms[0];
			old->perms[2] = ev.perms[2];
			return;
		}
	}
	ev.path = dup_str(path);
	ev.exact = exact;
	if (ev.path == NULL || perms_copy(&ev.perms[0], now) != 0 ||
	    perms_copy(&ev.perms[1], before) != 0 ||
	    perms_copy(&ev.perms[2], parent) != 0 ||
	    !grow((void **)&l->v, &l->cap, l->n + 1, sizeof(*l->v))) {
		event_free(&ev);
		return;
	}
	l->v[l->n++] = ev;
}

static void conn_send(struct xs_conn *c, uint32_t type, uint32_t req_id,
                      uint32_t tx_id, const void *data, size_t len)
{
	unsigned char buf[XS_HDR_LEN + XENSTORE_PAYLOAD_MAX];
	struct xsd_sockmsg hdr;

	if (len > XENSTORE_PAYLOAD_MAX)
		return;
	hdr.type = type;
	hdr.req_id = req_id;
	hdr.tx_id = tx_id;
	hdr.len = (uint32_t)len;
	memcpy(buf, &hdr, XS_HDR_LEN);
	if (len > 0)
		memcpy(buf + XS_HDR_LEN, data, len);
	c->send(c->opaque, buf, XS_HDR_LEN + len);
}

/* "path\0token\0", the path made relative again if the watch was. */
static void watch_send(struct xs_conn *c, const struct xs_watch *w,
                       const char *path)
{
	char buf[XENSTORE_PAYLOAD_MAX];
	size_t plen, tlen;

	if (w->rel_prefix > 0 && strncmp(path, w->path, w->rel_prefix) == 0) {
		path += w->rel_prefix;
		if (*path == '/')
			path++;
	}
	plen = strlen(path);
	tlen = strlen(w->token);
	if (plen + tlen + 2 > sizeof(buf))
		return;  /* xenstored drops over-long events too */
	memcpy(buf, path, plen + 1);
	memcpy(buf + plen + 1, w->token, tlen + 1);
	conn_send(c, XS_WATCH_EVENT, 0, 0, buf, plen + tlen + 2);
}

/* Index of a special watch name, or -1. */
static int special_index(const struct xs_store *st, const char *name)
{
	int i;

	for (i = 0; i < XS_NSPECIAL; i++)
		if (strcmp(st->special[i].name, name) == 0)
			return i;
	return -1;
}

static bool event_visible(const struct xs_store *st, const struct xs_event *ev,
                          unsigned domid)
{
	unsigned i;
	int sp;

	if (domid == 0)
		return true;
	if (ev->path[0] == '@') {
		sp = special_index(st, ev->path);
		return sp >= 0 &&
		       (perm_for(domid, &st->special[sp].perms) & XS_ACC_READ);
	}
	for (i = 0; i < 3; i++)
		if (ev->perms[i].n > 0 &&
		    (perm_for(domid, &ev->perms[i]) & XS_ACC_READ))
			return true;
	return false;
}

static void event_fire(struct xs_store *st, const struct xs_event *ev)
{
	struct xs_conn *c;
	struct xs_watch *w;

	for (c = st->conns; c != NULL; c = c->next) {
		if (c->broken || !event_visible(st, ev, c->domid))
			continue;
		for (w = c->watches; w != NULL; w = w->next) {
			if (ev->exact ? strcmp(ev->path, w->path) == 0
			              : path_is_child(ev->path, w->path))
				watch_send(c, w, ev->path);
		}
	}
}

static void fire_pending(struct xs_store *st)
{
	struct xs_event_list l = st->pending;
	unsigned i;

	/* Detach first: nothing fired here may queue more, but be safe. */
	memset(&st->pending, 0, sizeof(st->pending));
	for (i = 0; i < l.n; i++)
		event_fire(st, &l.v[i]);
	events_clear(&l);
}

static void special_event(struct xs_store *st, const char *name)
{
	struct xs_req r;

	memset(&r, 0, sizeof(r));
	r.st = st;
	event_add(&r, name, false, NULL, NULL, NULL);
}

/* ------------------------------------------------------------------------ */
/* Transactions                                                             */

static struct xs_access *txn_find_access(struct xs_txn *t, const char *path)
{
	unsigned i;

	for (i = 0; i < t->nacc; i++)
		if (strcmp(t->acc[i].path, path) == 0)
			return &t->acc[i];
	return NULL;
}

static bool txn_under_removed(const struct xs_txn *t, const char *path)
{
	unsigned i;

	for (i = 0; i < t->nremoved; i++)
		if (path_is_child(path, t->removed[i]))
			return true;
	return false;
}

/*
 * Records the first access of path in a transaction, before any change.  A
 * path first met inside a subtree the transaction already removed needs no
 * check: whatever it was at the start, the commit replaces it wholesale.
 */
static int txn_access(struct xs_req *r, const char *path, bool dirty)
{
	struct xs_txn *t = r->txn;
	struct xs_access *a;
	const struct xs_node *n;

	if (t == NULL)
		return 0;
	a = txn_find_access(t, path);
	if (a == NULL) {
		if (t->nacc >= XS_QUOTA_TXN_NODES)
			return ENOSPC;
		if (!grow((void **)&t->acc, &t->acc_cap, t->nacc + 1,
		          sizeof(*t->acc)))
			return ENOMEM;
		a = &t->acc[t->nacc];
		a->path = dup_str(path);
		if (a->path == NULL)
			return ENOMEM;
		n = tree_lookup(&t->tree, path);
		a->gen = n != NULL ? n->gen : 0;
		a->check = n != NULL || !txn_under_removed(t, path);
		a->dirty = false;
		t->nacc++;
	}
	a->dirty |= dirty;
	return 0;
}

static void txn_free(struct xs_txn *t)
{
	unsigned i;

	for (i = 0; i < t->nacc; i++)
		free(t->acc[i].path);
	free(t->acc);
	for (i = 0; i < t->nremoved; i++)
		free(t->removed[i]);
	free(t->removed);
	events_clear(&t->events);
	tree_free(&t->tree);
	free(t);
}

static struct xs_txn *txn_find(const struct xs_conn *c, uint32_t id)
{
	struct xs_txn *t;

	for (t = c->txns; t != NULL; t = t->next)
		if (t->id == id)
			return t;
	return NULL;
}

static void txn_unlink(struct xs_conn *c, struct xs_txn *t)
{
	struct xs_txn **pp;

	for (pp = &c->txns; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			c->ntxns--;
			return;
		}
	}
}

/* Makes the live node at path look like the transaction's copy. */
static int txn_apply_path(struct xs_store *st, struct xs_txn *t, const char *path)
{
	struct xs_tree *live = &st->tree;
	struct xs_node *tn = tree_lookup(&t->tree, path);
	struct xs_node *gn = tree_lookup(live, path);
	struct xs_node *parent;
	char ppath[XS_PATH_BUF];
	unsigned i, old_owner;
	int err;

	if (tn == NULL) {
		if (gn != NULL && gn != live->root)
			tree_remove(st, live, gn);
		return 0;
	}
	if (gn == NULL) {
		path_parent(path, ppath);
		parent = tree_lookup(live, ppath);
		if (parent == NULL)
			return EAGAIN;  /* cannot happen: the parent was accessed */
		old_owner = perms_owner(&tn->perms);
		if (count_reserve(live, old_owner) != 0)
			return ENOMEM;
		gn = node_new(tn->name, strlen(tn->name));
		if (gn == NULL || node_attach(parent, gn) != 0) {
			node_free(gn);
			return ENOMEM;
		}
		parent->gen = ++st->gen;
		count_add(live, old_owner, 1);
		/* Counted under its final owner already; no change of owner below. */
		if (perms_copy(&gn->perms, &tn->perms) != 0)
			return ENOMEM;
	} else {
		/* Children the transaction removed (new ones are dirty paths of their own). */
		for (i = 0; i < gn->nkids;) {
			struct xs_node *kid = gn->kids[i];

			if (node_child(tn, kid->name, strlen(kid->name)) == NULL)
				tree_remove(st, live, kid);
			else
				i++;
		}
	}
	err = node_set_value(gn, tn->value, tn->value_len);
	if (err != 0)
		return err;
	old_owner = perms_owner(&gn->perms);
	if (count_reserve(live, perms_owner(&tn->perms)) != 0)
		return ENOMEM;
	{
		struct xs_perms np;

		if (perms_copy(&np, &tn->perms) != 0)
			return ENOMEM;
		perms_free(&gn->perms);
		gn->perms = np;
	}
	if (old_owner != perms_owner(&gn->perms)) {
		count_add(live, old_owner, -1);
		count_add(live, perms_owner(&gn->perms), 1);
	}
	gn->gen = ++st->gen;
	return 0;
}

/* Children of a committed node in the transaction's order, as DIRECTORY shows. */
static void txn_order_kids(struct xs_store *st, struct xs_txn *t, const char *path)
{
	const struct xs_node *tn = tree_lookup(&t->tree, path);
	struct xs_node *gn = tree_lookup(&st->tree, path);
	unsigned i, j, placed = 0;

	if (tn == NULL || gn == NULL)
		return;
	for (i = 0; i < tn->nkids; i++) {
		for (j = placed; j < gn->nkids; j++) {
			if (strcmp(gn->kids[j]->name, tn->kids[i]->name) == 0) {
				struct xs_node *k = gn->kids[j];

				memmove(&gn->kids[placed + 1], &gn->kids[placed],
				        (j - placed) * sizeof(*gn->kids));
				gn->kids[placed++] = k;
				break;
			}
		}
	}
}

static int txn_commit(struct xs_req *r, struct xs_txn *t)
{
	struct xs_store *st = r->st;
	const struct xs_node *n;
	unsigned i, j, *order, *depth, now, live_owned;
	int err = 0;

	for (i = 0; i < t->nacc; i++) {
		if (!t->acc[i].check)
			continue;
		n = tree_lookup(&st->tree, t->acc[i].path);
		if ((n != NULL ? n->gen : 0) != t->acc[i].gen)
			return EAGAIN;
	}
	if (r->domid != 0) {
		now = tree_owned(&t->tree, r->domid);
		live_owned = tree_owned(&st->tree, r->domid);
		if (now > t->start_owned &&
		    live_owned + (now - t->start_owned) > XS_QUOTA_NODES)
			return ENOSPC;
	}
	/* Parents before children; stable, so siblings keep their order. */
	order = malloc((t->nacc + 1) * sizeof(*order));
	depth = malloc((t->nacc + 1) * sizeof(*depth));
	if (order == NULL || depth == NULL) {
		free(order);
		free(depth);
		return ENOMEM;
	}
	for (i = 0; i < t->nacc; i++) {
		depth[i] = path_depth(t->acc[i].path);
		for (j = i; j > 0 && depth[order[j - 1]] > depth[i]; j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
	for (i = 0; i < t->nacc && err == 0; i++)
		if (t->acc[order[i]].dirty)
			err = txn_apply_path(st, t, t->acc[order[i]].path);
	for (i = 0; i < t->nacc && err == 0; i++)
		if (t->acc[i].dirty)
			txn_order_kids(st, t, t->acc[i].path);
	free(order);
	free(depth);
	if (err != 0)
		return err;
	/* Hand the collected events to the store, to fire after the reply. */
	for (i = 0; i < t->events.n; i++) {
		if (!grow((void **)&st->pending.v, &st->pending.cap,
		          st->pending.n + 1, sizeof(*st->pending.v))) {
			event_free(&t->events.v[i]);
			continue;
		}
		st->pending.v[st->pending.n++] = t->events.v[i];
	}
	t->events.n = 0;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Node operations shared by the handlers                                   */

/*
 * Finds path with access need.  When the node is missing, the error depends
 * on the nearest existing ancestor, as in xenstored: ENOENT if the caller
 * has the same access there, EACCES otherwise (so nothing leaks).
 */
static int req_get_node(struct xs_req *r, const char *path, unsigned need,
                        struct xs_node **out)
{
	struct xs_node *n;
	size_t m;
	int err;

	*out = NULL;
	err = txn_access(r, path, false);
	if (err != 0)
		return err;
	n = tree_walk(r->tree, path, &m);
	if (path[m] == '\0') {
		if ((perm_for(r->domid, &n->perms) & need) != need)
			return EACCES;
		*out = n;
		return 0;
	}
	return (perm_for(r->domid, &n->perms) & need) ? ENOENT : EACCES;
}

/*
 * Creates path and its missing parents.  New nodes inherit the perms of their
 * parent; an unprivileged creator becomes the owner.  The caller has checked
 * write access on the nearest existing ancestor.
 */
static int req_create(struct xs_req *r, const char *path, struct xs_node **out)
{
	struct xs_node *n, *kid;
	char prefix[XS_PATH_BUF];
	size_t m, clen;
	unsigned missing = 0, owner;
	const char *p;
	int err;

	n = tree_walk(r->tree, path, &m);
	if (path[m] == '\0') {
		*out = n;
		return 0;
	}
	for (p = path + m; *p != '\0'; p++)
		missing += *p == '/';
	owner = r->domid != 0 ? r->domid : perms_owner(&n->perms);
	if (r->domid != 0 &&
	    tree_owned(r->tree, r->domid) + missing > XS_QUOTA_NODES)
		return ENOSPC;
	err = count_reserve(r->tree, owner);
	if (err != 0)
		return err;

	/* Record the ancestor and every new path before changing anything. */
	memcpy(prefix, path, m);
	prefix[m] = '\0';
	err = txn_access(r, m > 0 ? prefix : "/", true);
	for (p = path + m; err == 0 && *p == '/';) {
		clen = strcspn(p + 1, "/");
		p += 1 + clen;
		memcpy(prefix, path, (size_t)(p - path));
		prefix[p - path] = '\0';
		err = txn_access(r, prefix, true);
	}
	if (err != 0)
		return err;

	for (p = path + m; *p == '/';) {
		clen = strcspn(p + 1, "/");
		kid = node_new(p + 1, clen);
		if (kid == NULL || perms_copy(&kid->perms, &n->perms) != 0 ||
		    node_attach(n, kid) != 0) {
			node_free(kid);
			return ENOMEM;
		}
		if (kid->perms.n > 0)
			kid->perms.v[0].domid = owner;
		kid->gen = ++r->st->gen;
		n->gen = kid->gen;
		count_add(r->tree, owner, 1);
		n = kid;
		p += 1 + clen;
	}
	*out = n;
	return 0;
}

static const struct xs_perms *parent_perms(const struct xs_node *n)
{
	return n->parent != NULL ? &n->parent->perms : NULL;
}

/* Events for a removal: post-order, the root of it matched as a subtree. */
static void events_for_removal(struct xs_req *r, const struct xs_node *n,
                               char *path, size_t plen, bool exact)
{
	size_t nlen;
	unsigned i;

	for (i = 0; i < n->nkids; i++) {
		nlen = strlen(n->kids[i]->name);
		if (plen + 1 + nlen >= XS_PATH_BUF)
			continue;  /* cannot exist: created through valid paths */
		path[plen] = '/';
		memcpy(path + plen + 1, n->kids[i]->name, nlen + 1);
		events_for_removal(r, n->kids[i], path, plen + 1 + nlen, true);
		path[plen] = '\0';
	}
	event_add(r, path, exact, &n->perms, NULL, parent_perms(n));
}

static int req_remove(struct xs_req *r, struct xs_node *n, const char *path)
{
	char buf[XS_PATH_BUF];
	int err;

	path_parent(path, buf);
	err = txn_access(r, buf, false);
	if (err == 0)
		err = txn_access(r, path, true);
	if (err == 0 && r->txn != NULL) {
		struct xs_txn *t = r->txn;
		char *copy = dup_str(path);

		if (copy == NULL ||
		    !grow((void **)&t->removed, &t->removed_cap,
		          t->nremoved + 1, sizeof(*t->removed))) {
			free(copy);
			err = ENOMEM;
		} else {
			t->removed[t->nremoved++] = copy;
		}
	}
	if (err != 0)
		return err;
	memcpy(buf, path, strlen(path) + 1);
	events_for_removal(r, n, buf, strlen(buf), false);
	tree_remove(r->st, r->tree, n);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Replies                                                                  */

static void reply_error(struct xs_req *r, int err)
{
	const char *s = "EINVAL";
	unsigned i;

	for (i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++) {
		if (xsd_errors[i].errnum == err) {
			s = xsd_errors[i].errstring;
			break;
		}
	}
	conn_send(r->c, XS_ERROR, r->hdr.req_id, r->hdr.tx_id, s, strlen(s) + 1);
}

static void reply(struct xs_req *r, uint32_t type, const void *data, size_t len)
{
	if (len > XENSTORE_PAYLOAD_MAX) {
		reply_error(r, E2BIG);
		return;
	}
	conn_send(r->c, type, r->hdr.req_id, r->hdr.tx_id, data, len);
}

static void reply_ok(struct xs_req *r)
{
	reply(r, r->hdr.type, "OK", sizeof("OK"));
}

/* ------------------------------------------------------------------------ */
/* Payload parsing                                                          */

static unsigned count_strings(const struct xs_req *r)
{
	unsigned i, n = 0;

	for (i = 0; i < r->len; i++)
		n += r->data[i] == '\0';
	return n;
}

/* The payload must be exactly one string with its NUL. */
static const char *one_arg(const struct xs_req *r)
{
	if (r->len == 0 || memchr(r->data, '\0', r->len) != r->data + r->len - 1)
		return NULL;
	return r->data;
}

static const char *second_arg(const struct xs_req *r)
{
	return r->data + strlen(r->data) + 1;
}

/*
 * The request's one path argument, resolved into `path` and looked up with
 * access `need`.  ENOENT leaves `path` resolved, for the callers that
 * create or tolerate a missing node.
 */
static int req_arg_node(struct xs_req *r, unsigned need,
                        char path[XS_PATH_BUF], struct xs_node **np)
{
	const char *arg = one_arg(r);
	int err;

	if (arg == NULL)
		return EINVAL;
	err = path_resolve(r->domid, arg, path, NULL);
	if (err == 0)
		err = req_get_node(r, path, need, np);
	return err;
}

/* ------------------------------------------------------------------------ */
/* Request handlers: return 0 once replied, or an errno to send as ERROR    */

static int op_read(struct xs_req *r)
{
	char path[XS_PATH_BUF];
	struct xs_node *n;
	int err;

	err = req_arg_node(r, XS_ACC_READ, path, &n);
	if (err != 0)
		return err;
	reply(r, XS_READ, n->value, n->value_len);
	return 0;
}

/* The children's names, each NUL-terminated; *len 0 for none. */
static char *children_blob(const struct xs_node *n, size_t *len)
{
	size_t total = 0, off = 0, l;
	unsigned i;
	char *blob;

	for (i = 0; i < n->nkids; i++)
		total += strlen(n->kids[i]->name) + 1;
	blob = malloc(total + 1);
	if (blob == NULL)
		return NULL;
	for (i = 0; i < n->nkids; i++) {
		l = strlen(n->kids[i]->name) + 1;
		memcpy(blob + off, n->kids[i]->name, l);
		off += l;
	}
	blob[off] = '\0';
	*len = total;
	return blob;
}

static int op_directory(struct xs_req *r)
{
	char path[XS_PATH_BUF], *blob;
	struct xs_node *n;
	size_t len;
	int err;

	err = req_arg_node(r, XS_ACC_READ, path, &n);
	if (err != 0)
		return err;
	blob = children_blob(n, &len);
	if (blob == NULL)
		return ENOMEM;
	reply(r, XS_DIRECTORY, blob, len);  /* E2BIG when too long */
	free(blob);
	return 0;
}

/*
 * Reply: "<generation>\0" then whole names from the byte offset on, and one
 * more "\0" when the list ends in this chunk (libxenstore looks for it).
 */
static int op_directory_part(struct xs_req *r)
{
	char path[XS_PATH_BUF], gen[24], *blob, *out;
	unsigned long off;
	size_t blob_len, genlen, maxlen, take = 0, l;
	struct xs_node *n;
	int err;

	if (count_strings(r) != 2)
		return EINVAL;
	if (!parse_uint(second_arg(r), 10, &off))
		return EINVAL;
	err = path_resolve(r->domid, r->data, path, NULL);
	if (err == 0)
		err = req_get_node(r, path, XS_ACC_READ, &n);
	if (err != 0)
		return err;
	genlen = (size_t)snprintf(gen, sizeof(gen), "%llu",
	                          (unsigned long long)n->gen) + 1;
	blob = children_blob(n, &blob_len);
	if (blob == NULL)
		return ENOMEM;
	out = malloc(XENSTORE_PAYLOAD_MAX);
	if (out == NULL) {
		free(blob);
		return ENOMEM;
	}
	memcpy(out, gen, genlen);
	if (off < blob_len) {
		maxlen = XENSTORE_PAYLOAD_MAX - genlen - 1;
		while (off + take < blob_len) {
			l = strlen(blob + off + take) + 1;
			if (take + l > maxlen)
				break;
			take += l;
		}
		memcpy(out + genlen, blob + off, take);
	}
	if (off + take >= blob_len)
		out[genlen + take++] = '\0';
	reply(r, XS_DIRECTORY_PART, out, genlen + take);
	free(out);
	free(blob);
	return 0;
}

static int op_get_perms(struct xs_req *r)
{
	const char *arg = one_arg(r);
	const struct xs_perms *perms;
	char path[XS_PATH_BUF], *buf;
	struct xs_node *n;
	size_t len;
	int err;

	if (arg == NULL)
		return EINVAL;
	if (arg[0] == '@') {
		int sp = special_index(r->st, arg);

		if (sp < 0)
			return EINVAL;
		perms = &r->st->special[sp].perms;
		if (!(perm_for(r->domid, perms) & XS_ACC_READ))
			return EACCES;
	} else {
		err = path_resolve(r->domid, arg, path, NULL);
		if (err == 0)
			err = req_get_node(r, path, XS_ACC_READ, &n);
		if (err != 0)
			return err;
		perms = &n->perms;
	}
	/* At most 7 bytes per entry ("b65535\0"). */
	buf = malloc((size_t)perms->n * 8 + 1);
	if (buf == NULL)
		return ENOMEM;
	len = perms_format(perms, buf, (size_t)perms->n * 8 + 1);
	reply(r, XS_GET_PERMS, buf, len);
	free(buf);
	return 0;
}

static int op_write(struct xs_req *r)
{
	char path[XS_PATH_BUF], *value;
	struct xs_node *n;
	unsigned vlen;
	int err;

	if (count_strings(r) < 1)
		return EINVAL;
	vlen = r->len - (unsigned)strlen(r->data) - 1;
	if (vlen > XS_MAX_VALUE_LEN)
		return ENOSPC;
	value = r->data + strlen(r->data) + 1;
	err = path_resolve(r->domid, r->data, path, NULL);
	if (err == 0)
		err = req_get_node(r, path, XS_ACC_WRITE, &n);
	if (err == ENOENT)
		err = req_create(r, path, &n);
	if (err == 0)
		err = txn_access(r, path, true);
	if (err == 0)
		err = node_set_value(n, value, vlen);
	if (err != 0)
		return err;
	n->gen = ++r->st->gen;
	event_add(r, path, false, &n->perms, NULL, parent_perms(n));
	reply_ok(r);
	return 0;
}

static int op_mkdir(struct xs_req *r)
{
	char path[XS_PATH_BUF];
	struct xs_node *n;
	int err;

	err = req_arg_node(r, XS_ACC_WRITE, path, &n);
	if (err == ENOENT) {
		err = req_create(r, path, &n);
		if (err == 0)
			event_add(r, path, false, &n->perms, NULL,
			          parent_perms(n));
	}
	if (err != 0)
		return err;
	reply_ok(r);
	return 0;
}

static int op_rm(struct xs_req *r)
{
	char path[XS_PATH_BUF], ppath[XS_PATH_BUF];
	struct xs_node *n;
	int err;

	err = req_arg_node(r, XS_ACC_WRITE, path, &n);
	if (err == ENOENT) {
		/* Removing what is not there is fine if the parent is. */
		path_parent(path, ppath);
		err = txn_access(r, ppath, false);
		if (err == 0 && tree_lookup(r->tree, ppath) == NULL)
			err = ENOENT;
		if (err == 0)
			reply_ok(r);
		return err;
	}
	if (err != 0)
		return err;
	if (n == r->tree->root)
		return EINVAL;
	err = req_remove(r, n, path);
	if (err != 0)
		return err;
	reply_ok(r);
	return 0;
}

static int op_set_perms(struct xs_req *r)
{
	struct xs_perms np = { NULL, 0 }, old;
	struct xs_special *sp;
	char path[XS_PATH_BUF];
	const char *s;
	struct xs_node *n;
	unsigned nstr = count_strings(r), i, old_owner;
	int err;

	if (nstr < 2)
		return EINVAL;
	np.n = nstr - 1;
	if (r->domid != 0 && np.n > XS_QUOTA_PERMS)
		return ENOSPC;
	np.v = malloc(np.n * sizeof(*np.v));
	if (np.v == NULL)
		return ENOMEM;
	s = second_arg(r);
	for (i = 0; i < np.n; i++, s += strlen(s) + 1) {
		if (!perm_parse(s, &np.v[i])) {
			perms_free(&np);
			return EINVAL;
		}
	}

	if (r->data[0] == '@') {
		int idx = special_index(r->st, r->data);

		sp = idx >= 0 ? &r->st->special[idx] : NULL;
		err = sp == NULL ? EINVAL : 0;
		if (err == 0 && (perm_for(r->domid, &sp->perms) &
		                 (XS_ACC_WRITE | XS_ACC_OWNER)) !=
		                (XS_ACC_WRITE | XS_ACC_OWNER))
			err = EACCES;
		if (err != 0) {
			perms_free(&np);
			return err;
		}
		perms_free(&sp->perms);
		sp->perms = np;
		reply_ok(r);
		return 0;
	}

	err = path_resolve(r->domid, r->data, path, NULL);
	if (err == 0)
		err = req_get_node(r, path, XS_ACC_WRITE | XS_ACC_OWNER, &n);
	/* Only dom0 may hand a node to another owner. */
	if (err == 0 && r->domid != 0 && np.v[0].domid != perms_owner(&n->perms))
		err = EPERM;
	if (err == 0)
		err = count_reserve(r->tree, np.v[0].domid);
	if (err == 0)
		err = txn_access(r, path, true);
	if (err != 0) {
		perms_free(&np);
		return err;
	}
	old = n->perms;
	old_owner = perms_owner(&old);
	n->perms = np;
	if (old_owner != np.v[0].domid) {
		count_add(r->tree, old_owner, -1);
		count_add(r->tree, np.v[0].domid, 1);
	}
	n->gen = ++r->st->gen;
	event_add(r, path, false, &n->perms, &old, parent_perms(n));
	perms_free(&old);
	reply_ok(r);
	return 0;
}

static int op_watch(struct xs_req *r)
{
	struct xs_conn *c = r->c;
	char path[XS_PATH_BUF];
	const char *token;
	struct xs_watch *w, **tail;
	size_t rel = 0;
	int err;

	if (count_strings(r) != 2)
		return EINVAL;
	token = second_arg(r);
	if (r->data[0] == '@') {
		if (strlen(r->data) > XENSTORE_REL_PATH_MAX)
			return EINVAL;
		memcpy(path, r->data, strlen(r->data) + 1);
	} else {
		err = path_resolve(r->domid, r->data, path, &rel);
		if (err != 0)
			return err;
	}
	for (w = c->watches; w != NULL; w = w->next)
		if (strcmp(w->path, path) == 0 && strcmp(w->token, token) == 0)
			return EEXIST;
	if (c->nwatches >= XS_QUOTA_WATCHES)
		return E2BIG;
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return ENOMEM;
	w->path = dup_str(path);
	w->token = dup_str(token);
	w->rel_prefix = rel;
	if (w->path == NULL || w->token == NULL) {
		free(w->path);
		free(w->token);
		free(w);
		return ENOMEM;
	}
	/* Append, so events go out in registration order. */
	for (tail = &c->watches; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = w;
	c->nwatches++;
	reply_ok(r);
	/* The one event every new watch gets at once, whatever it can read. */
	watch_send(c, w, w->path);
	return 0;
}

static int op_unwatch(struct xs_req *r)
{
	struct xs_conn *c = r->c;
	char path[XS_PATH_BUF];
	const char *token;
	struct xs_watch **pp, *w;

	if (count_strings(r) != 2)
		return EINVAL;
	token = second_arg(r);
	if (r->data[0] == '@') {
		if (strlen(r->data) >= XS_PATH_BUF)
			return ENOENT;
		memcpy(path, r->data, strlen(r->data) + 1);
	} else if (path_resolve(r->domid, r->data, path, NULL) != 0) {
		return ENOENT;  /* no watch can have that path */
	}
	for (pp = &c->watches; (w = *pp) != NULL; pp = &w->next) {
		if (strcmp(w->path, path) == 0 && strcmp(w->token, token) == 0) {
			*pp = w->next;
			c->nwatches--;
			free(w->path);
			free(w->token);
			free(w);
			reply_ok(r);
			return 0;
		}
	}
	return ENOENT;
}

static int op_transaction_start(struct xs_req *r)
{
	struct xs_conn *c = r->c;
	struct xs_store *st = r->st;
	struct xs_txn *t;
	char idstr[16];
	int err;

	if (r->txn != NULL)
		return EBUSY;  /* no nesting */
	if (c->ntxns >= XS_QUOTA_TRANSACTIONS)
		return ENOSPC;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return ENOMEM;
	err = tree_copy(&t->tree, &st->tree);
	if (err != 0) {
		free(t);
		return err;
	}
	do {
		t->id = st->next_txn_id++;
	} while (t->id == 0 || txn_find(c, t->id) != NULL);
	t->start_owned = tree_owned(&st->tree, c->domid);
	t->next = c->txns;
	c->txns = t;
	c->ntxns++;
	snprintf(idstr, sizeof(idstr), "%u", (unsigned)t->id);
	reply(r, XS_TRANSACTION_START, idstr, strlen(idstr) + 1);
	return 0;
}

static int op_transaction_end(struct xs_req *r)
{
	const char *arg = one_arg(r);
	struct xs_txn *t = r->txn;
	int err = 0;

	if (arg == NULL || (strcmp(arg, "T") != 0 && strcmp(arg, "F") != 0))
		return EINVAL;
	if (t == NULL)
		return ENOENT;
	/* Gone whatever the outcome: after EAGAIN the client starts anew. */
	txn_unlink(r->c, t);
	r->txn = NULL;
	r->tree = &r->st->tree;
	if (arg[0] == 'T')
		err = txn_commit(r, t);
	txn_free(t);
	if (err != 0)
		return err;
	reply_ok(r);
	return 0;
}

static int op_get_domain_path(struct xs_req *r)
{
	const char *arg = one_arg(r);
	char path[XS_PATH_BUF];
	unsigned domid;
	int n;

	if (arg == NULL || !parse_domid(arg, &domid))
		return EINVAL;
	n = home_path(domid, path, sizeof(path));
	reply(r, XS_GET_DOMAIN_PATH, path, (size_t)n + 1);
	return 0;
}

static bool domain_introduced(const struct xs_store *st, unsigned domid)
{
	unsigned i;

	for (i = 0; i < st->nintroduced; i++)
		if (st->introduced[i] == domid)
			return true;
	return false;
}

static int introduce_domain(struct xs_store *st, unsigned domid);
static int release_domain(struct xs_store *st, unsigned domid);

static int op_introduce(struct xs_req *r)
{
	unsigned domid;
	int err;

	/* <domid>|<mfn>|<evtchn>|: only the domid means anything here. */
	if (count_strings(r) < 3 || !parse_domid(r->data, &domid))
		return EINVAL;
	err = introduce_domain(r->st, domid);
	if (err != 0)
		return -err;
	reply_ok(r);
	return 0;
}

static int op_release(struct xs_req *r)
{
	const char *arg = one_arg(r);
	unsigned domid;
	int err;

	if (arg == NULL || !parse_domid(arg, &domid))
		return EINVAL;
	err = release_domain(r->st, domid);
	if (err != 0)
		return -err;
	reply_ok(r);
	return 0;
}

static int op_is_domain_introduced(struct xs_req *r)
{
	const char *arg = one_arg(r);
	unsigned domid;

	if (arg == NULL || !parse_domid(arg, &domid))
		return EINVAL;
	reply(r, XS_IS_DOMAIN_INTRODUCED,
	      domain_introduced(r->st, domid) ? "T" : "F", 2);
	return 0;
}

static int op_resume(struct xs_req *r)
{
	const char *arg = one_arg(r);
	unsigned domid;

	if (arg == NULL || !parse_domid(arg, &domid))
		return EINVAL;
	if (!domain_introduced(r->st, domid))
		return ENOENT;
	reply_ok(r);
	return 0;
}

static int op_not_simulated(struct xs_req *r)
{
	(void)r;
	return ENOSYS;
}

static void conn_drop_state(struct xs_conn *c)
{
	struct xs_watch *w;
	struct xs_txn *t;

	while ((w = c->watches) != NULL) {
		c->watches = w->next;
		free(w->path);
		free(w->token);
		free(w);
	}
	c->nwatches = 0;
	while ((t = c->txns) != NULL) {
		c->txns = t->next;
		txn_free(t);
	}
	c->ntxns = 0;
}

static int op_reset_watches(struct xs_req *r)
{
	conn_drop_state(r->c);
	r->txn = NULL;
	r->tree = &r->st->tree;
	reply_ok(r);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Dispatch and framing                                                     */

#define XS_OP_PRIV  1U   /* dom0 only */
#define XS_OP_NOTX  2U   /* tx_id ignored */

static const struct {
	int (*fn)(struct xs_req *r);
	unsigned flags;
} xs_ops[XS_TYPE_COUNT] = {
	[XS_CONTROL]              = { op_not_simulated, XS_OP_PRIV },
	[XS_DIRECTORY]            = { op_directory, 0 },
	[XS_READ]                 = { op_read, 0 },
	[XS_GET_PERMS]            = { op_get_perms, 0 },
	[XS_WATCH]                = { op_watch, XS_OP_NOTX },
	[XS_UNWATCH]              = { op_unwatch, XS_OP_NOTX },
	[XS_TRANSACTION_START]    = { op_transaction_start, 0 },
	[XS_TRANSACTION_END]      = { op_transaction_end, 0 },
	[XS_INTRODUCE]            = { op_introduce, XS_OP_PRIV },
	[XS_RELEASE]              = { op_release, XS_OP_PRIV },
	[XS_GET_DOMAIN_PATH]      = { op_get_domain_path, 0 },
	[XS_WRITE]                = { op_write, 0 },
	[XS_MKDIR]                = { op_mkdir, 0 },
	[XS_RM]                   = { op_rm, 0 },
	[XS_SET_PERMS]            = { op_set_perms, 0 },
	[XS_IS_DOMAIN_INTRODUCED] = { op_is_domain_introduced, XS_OP_PRIV },
	[XS_RESUME]               = { op_resume, XS_OP_PRIV },
	[XS_SET_TARGET]           = { op_not_simulated, XS_OP_PRIV },
	[XS_RESET_WATCHES]        = { op_reset_watches, 0 },
	[XS_DIRECTORY_PART]       = { op_directory_part, 0 },
};

static void process_message(struct xs_conn *c, const struct xsd_sockmsg *hdr,
                            char *data)
{
	struct xs_req r;
	int err;

	memset(&r, 0, sizeof(r));
	r.st = c->st;
	r.c = c;
	r.domid = c->domid;
	r.hdr = *hdr;
	r.data = data;
	r.len = hdr->len;
	r.tree = &c->st->tree;

	if (hdr->type >= XS_TYPE_COUNT || xs_ops[hdr->type].fn == NULL) {
		reply_error(&r, EINVAL);
		return;
	}
	if ((xs_ops[hdr->type].flags & XS_OP_PRIV) && c->domid != 0) {
		reply_error(&r, EACCES);
		return;
	}
	if (!(xs_ops[hdr->type].flags & XS_OP_NOTX) && hdr->tx_id != 0) {
		r.txn = txn_find(c, hdr->tx_id);
		if (r.txn == NULL) {
			reply_error(&r, ENOENT);
			return;
		}
		r.tree = &r.txn->tree;
	}
	err = xs_ops[hdr->type].fn(&r);
	if (err != 0)
		reply_error(&r, err);
	fire_pending(c->st);
}

int xs_conn_input(struct xs_conn *c, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	struct xsd_sockmsg hdr;
	size_t want, take;

	if (c->broken)
		return -1;
	if (len == 0)
		return 0;
	for (;;) {
		if (c->in_used < XS_HDR_LEN) {
			take = XS_HDR_LEN - c->in_used;
			if (take > len)
				take = len;
			memcpy(c->in + c->in_used, p, take);
			c->in_used += take;
			p += take;
			len -= take;
			if (c->in_used < XS_HDR_LEN)
				return 0;
		}
		memcpy(&hdr, c->in, XS_HDR_LEN);
		if (hdr.len > XENSTORE_PAYLOAD_MAX) {
			c->broken = true;
			return -1;
		}
		want = XS_HDR_LEN + hdr.len - c->in_used;
		take = want < len ? want : len;
		if (take > 0)
			memcpy(c->in + c->in_used, p, take);
		c->in_used += take;
		p += take;
		len -= take;
		if (c->in_used < XS_HDR_LEN + hdr.len)
			return 0;
		c->in[c->in_used] = '\0';
		c->in_used = 0;
		process_message(c, &hdr, (char *)c->in + XS_HDR_LEN);
		if (len == 0)
			return 0;
	}
}

/* ------------------------------------------------------------------------ */
/* Public functions                                                         */

struct xs_store *xs_store_create(void)
{
	static const char *const special_names[XS_NSPECIAL] = {
		[XS_SPECIAL_INTRODUCE] = "@introduceDomain",
		[XS_SPECIAL_RELEASE] = "@releaseDomain",
	};
	struct xs_store *st = calloc(1, sizeof(*st));
	struct xs_req r;
	struct xs_node *n;
	unsigned i;

	if (st == NULL)
		return NULL;
	st->next_txn_id = 1;
	st->tree.root = node_new("", 0);
	if (st->tree.root == NULL ||
	    perms_single(&st->tree.root->perms, 0, XS_ACC_NONE) != 0 ||
	    count_reserve(&st->tree, 0) != 0)
		goto fail;
	count_add(&st->tree, 0, 1);
	st->tree.root->gen = ++st->gen;
	/*
	 * Special watches: xenstored lets only dom0 hear them unless dom0 opens
	 * them with SET_PERMS.  Here everyone may, so that a domU's
	 * vchan-socket-proxy sees @releaseDomain; SET_PERMS still narrows it.
	 */
	for (i = 0; i < XS_NSPECIAL; i++) {
		st->special[i].name = special_names[i];
		if (perms_single(&st->special[i].perms, 0, XS_ACC_READ) != 0)
			goto fail;
	}
	memset(&r, 0, sizeof(r));
	r.st = st;
	r.tree = &st->tree;
	if (req_create(&r, "/local/domain", &n) != 0)
		goto fail;
	return st;
fail:
	xs_store_destroy(st);
	return NULL;
}

void xs_store_destroy(struct xs_store *st)
{
	unsigned i;

	if (st == NULL)
		return;
	while (st->conns != NULL)
		xs_conn_destroy(st->conns);
	tree_free(&st->tree);
	for (i = 0; i < XS_NSPECIAL; i++)
		perms_free(&st->special[i].perms);
	free(st->introduced);
	events_clear(&st->pending);
	free(st);
}

/* Whether n's perms are exactly "n<domid>". */
static bool node_is_only(const struct xs_node *n, unsigned domid)
{
	return n->perms.n == 1 && n->perms.v[0].domid == domid &&
	       n->perms.v[0].access == XS_ACC_NONE;
}

/*
 * Hands node n (at path) to domid alone: perms "n<domid>", as the toolstack
 * sets on a new domain's home.  Queues the change's watch event (`fresh`: the
 * node was just created, so there is no "before" to report); nothing when the
 * node already has exactly these perms.
 */
static int claim_node(struct xs_req *r, const char *path, struct xs_node *n,
                      unsigned domid, bool fresh)
{
	struct xs_perms np, old;
	unsigned old_owner = perms_owner(&n->perms);
	int err;

	if (!fresh && node_is_only(n, domid))
		return 0;
	err = count_reserve(r->tree, domid);
	if (err == 0)
		err = perms_single(&np, domid, XS_ACC_NONE);
	if (err != 0)
		return err;
	old = n->perms;
	n->perms = np;
	if (old_owner != domid) {
		count_add(r->tree, old_owner, -1);
		count_add(r->tree, domid, 1);
	}
	n->gen = ++r->st->gen;
	event_add(r, path, false, &n->perms, fresh ? NULL : &old,
	          parent_perms(n));
	perms_free(&old);
	return 0;
}

/*
 * Both domain helpers queue their events; the caller fires them.
 *
 * Introducing makes sure the home exists and belongs to the domain, and that
 * its "domid" node holds the id and is the domain's, even when dom0 wrote
 * below the home before the domain was introduced (the home then exists,
 * created implicitly with dom0 as owner): the toolstack gives a new domain
 * its home when it creates it.  Other nodes dom0 made there keep their perms.
 */
static int introduce_domain(struct xs_store *st, unsigned domid)
{
	char path[XS_PATH_BUF], value[8];
	struct xs_node *home, *n;
	struct xs_req r;
	bool fresh;
	int err, vlen;

	if (domid >= XS_DOMID_RESERVED)
		return -EINVAL;
	if (domain_introduced(st, domid))
		return 0;
	if (!grow((void **)&st->introduced, &st->introduced_cap,
	          st->nintroduced + 1, sizeof(*st->introduced)))
		return -ENOMEM;
	memset(&r, 0, sizeof(r));
	r.st = st;
	r.tree = &st->tree;

	home_path(domid, path, sizeof(path));
	home = tree_lookup(&st->tree, path);
	fresh = home == NULL;
	err = fresh ? req_create(&r, path, &home) : 0;
	if (err == 0)
		err = claim_node(&r, path, home, domid, fresh);
	if (err != 0)
		return -err;

	vlen = snprintf(value, sizeof(value), "%u", domid);
	strcat(path, "/domid");
	n = tree_lookup(&st->tree, path);
	fresh = n == NULL;
	if (fresh) {
		/* Inherits the home's perms: the domain's already. */
		err = req_create(&r, path, &n);
		if (err == 0)
			err = node_set_value(n, value, (unsigned)vlen);
		if (err != 0)
			return -err;
		event_add(&r, path, false, &n->perms, NULL, parent_perms(n));
	} else {
		/* One event for the change, whatever it was. */
		bool set = n->value_len != (unsigned)vlen ||
		           memcmp(n->value, value, (size_t)vlen) != 0;

		if (set) {
			err = node_set_value(n, value, (unsigned)vlen);
			if (err != 0)
				return -err;
			n->gen = ++st->gen;
		}
		if (!node_is_only(n, domid)) {
			err = claim_node(&r, path, n, domid, false);
			if (err != 0)
				return -err;
		} else if (set) {
			event_add(&r, path, false, &n->perms, NULL,
			          parent_perms(n));
		}
	}
	st->introduced[st->nintroduced++] = domid;
	special_event(st, "@introduceDomain");
	return 0;
}

static int release_domain(struct xs_store *st, unsigned domid)
{
	char path[XS_PATH_BUF];
	struct xs_node *home;
	struct xs_req r;
	unsigned i;

	for (i = 0; i < st->nintroduced; i++)
		if (st->introduced[i] == domid)
			break;
	if (i == st->nintroduced)
		return -ENOENT;
	st->introduced[i] = st->introduced[--st->nintroduced];

	special_event(st, "@releaseDomain");
	memset(&r, 0, sizeof(r));
	r.st = st;
	r.tree = &st->tree;
	home_path(domid, path, sizeof(path));
	home = tree_lookup(&st->tree, path);
	if (home != NULL)
		(void)req_remove(&r, home, path);  /* no transaction: cannot fail */
	return 0;
}

int xs_store_introduce_domain(struct xs_store *st, unsigned domid)
{
	int err = introduce_domain(st, domid);

	fire_pending(st);
	return err;
}

int xs_store_release_domain(struct xs_store *st, unsigned domid)
{
	int err = release_domain(st, domid);

	fire_pending(st);
	return err;
}

struct xs_conn *xs_conn_create(struct xs_store *st, unsigned domid,
                               xs_send_fn *send, void *opaque)
{
	struct xs_conn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->st = st;
	c->domid = domid;
	c->send = send;
	c->opaque = opaque;
	c->next = st->conns;
	if (st->conns != NULL)
		st->conns->prev = c;
	st->conns = c;
	return c;
}

void xs_conn_destroy(struct xs_conn *c)
{
	if (c == NULL)
		return;
	conn_drop_state(c);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		c->st->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	free(c);
}

void xs_store_domain_stats(struct xs_store *st, unsigned domid,
                           struct xs_stats *out)
{
	const struct xs_conn *c;

	memset(out, 0, sizeof(*out));
	out->nodes = tree_owned(&st->tree, domid);
	for (c = st->conns; c != NULL; c = c->next) {
		if (c->domid != domid)
			continue;
		out->watches += c->nwatches;
		out->transactions += c->ntxns;
	}
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fault injection for the simulator; see xensim_fault.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <xen/io/xs_wire.h>

#include "xensim_fault.h"

enum fault_mode {
	FAULT_OFF,
	FAULT_EVERY,
	FAULT_NTH,
	FAULT_PROB,
};

struct fault_rule {
	enum fault_mode mode;
	uint64_t n;		/* every / nth */
	double p;		/* prob */
	uint64_t after;		/* calls spared first */
	uint64_t rng;		/* xorshift64* state */
	const char *xs_err;	/* xenstore error name, or NULL */
	uint64_t calls;
	uint64_t injected;
};

static const char *const site_names[XENSIM_FAULT_NSITES] = {
	[XENSIM_FAULT_GRANT_ACCESS] = "grant_access",
	[XENSIM_FAULT_END_ACCESS] = "end_access",
	[XENSIM_FAULT_MAP_GRANTS] = "map_grants",
	[XENSIM_FAULT_EVTCHN_ALLOC] = "evtchn_alloc",
	[XENSIM_FAULT_EVTCHN_BIND] = "evtchn_bind",
	[XENSIM_FAULT_EVTCHN_NOTIFY] = "evtchn_notify",
	[XENSIM_FAULT_XS_READ] = "xs_read",
	[XENSIM_FAULT_XS_WRITE] = "xs_write",
	[XENSIM_FAULT_XS_WATCH] = "xs_watch",
	[XENSIM_FAULT_XS_TRANSACTION] = "xs_transaction",
};

static struct fault_rule rules[XENSIM_FAULT_NSITES];
static FILE *fault_log;

/* ---- configuration ---- */

static int
fault_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* splitmix64: spreads a seed and a site into a non-zero xorshift state. */
static uint64_t
fault_seed(uint64_t seed, unsigned int site)
{
	uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (site + 1);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return z != 0 ? z : 1;
}

static bool
parse_u64(const char *s, size_t len, uint64_t *out)
{
	char buf[32], *end;
	unsigned long long v;

	if (len == 0 || len >= sizeof(buf) || s[0] < '0' || s[0] > '9')
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	v = strtoull(buf, &end, 10);
	if (*end != '\0' || errno != 0)
		return false;
	*out = v;
	return true;
}

static bool
parse_prob(const char *s, size_t len, double *out)
{
	char buf[32], *end;
	double v;

	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	v = strtod(buf, &end);
	if (*end != '\0' || !(v >= 0.0 && v <= 1.0))
		return false;
	*out = v;
	return true;
}

static const char *
xs_error_name(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++)
		if (strlen(xsd_errors[i].errstring) == len &&
		    memcmp(xsd_errors[i].errstring, s, len) == 0)
			return xsd_errors[i].errstring;
	return NULL;
}

/* One "SITE:key=value[:key=value...]" of length len into *r. */
static int
parse_rule(const char *s, size_t len, struct fault_rule *r, int *sitep,
	   char *err, size_t errlen)
{
	const char *colon = memchr(s, ':', len), *p, *end = s + len;
	int site;

	if (colon == NULL)
		return fault_err(err, errlen, "fault rule \"%.*s\": no ':'",
				 (int)len, s);
	for (site = 0; site < XENSIM_FAULT_NSITES; site++)
		if (strlen(site_names[site]) == (size_t)(colon - s) &&
		    memcmp(site_names[site], s, (size_t)(colon - s)) == 0)
			break;
	if (site == XENSIM_FAULT_NSITES &&
	    !(colon - s == 3 && memcmp(s, "all", 3) == 0))
		return fault_err(err, errlen, "fault rule \"%.*s\": unknown site",
				 (int)len, s);
	*sitep = site;	/* NSITES: all */
	memset(r, 0, sizeof(*r));
	for (p = colon + 1; p < end;) {
		const char *q = memchr(p, ':', (size_t)(end - p));
		const char *eq;
		size_t klen, vlen;

		if (q == NULL)
			q = end;
		eq = memchr(p, '=', (size_t)(q - p));
		if (eq == NULL)
			return fault_err(err, errlen,
					 "fault rule \"%.*s\": no '='", (int)len, s);
		klen = (size_t)(eq - p);
		vlen = (size_t)(q - eq - 1);
		if (klen == 5 && memcmp(p, "every", 5) == 0) {
			r->mode = FAULT_EVERY;
			if (!parse_u64(eq + 1, vlen, &r->n) || r->n == 0)
				goto bad;
		} else if (klen == 3 && memcmp(p, "nth", 3) == 0) {
			r->mode = FAULT_NTH;
			if (!parse_u64(eq + 1, vlen, &r->n) || r->n == 0)
				goto bad;
		} else if (klen == 1 && p[0] == 'p') {
			r->mode = FAULT_PROB;
			if (!parse_prob(eq + 1, vlen, &r->p))
				goto bad;
		} else if (klen == 5 && memcmp(p, "after", 5) == 0) {
			if (!parse_u64(eq + 1, vlen, &r->after))
				goto bad;
		} else if (klen == 3 && memcmp(p, "err", 3) == 0) {
			r->xs_err = xs_error_name(eq + 1, vlen);
			if (r->xs_err == NULL)
				goto bad;
		} else {
			goto bad;
		}
		p = q + 1;
	}
	if (r->mode == FAULT_OFF)
		return fault_err(err, errlen,
				 "fault rule \"%.*s\": needs every=, nth= or p=",
				 (int)len, s);
	return 0;
bad:
	return fault_err(err, errlen, "fault rule \"%.*s\": bad setting",
			 (int)len, s);
}

int
xensim_fault_configure(const char *spec, char *err, size_t errlen)
{
	struct fault_rule next[XENSIM_FAULT_NSITES], r;
	const char *semi, *end, *p;
	uint64_t seed = 1;
	int site = XENSIM_FAULT_NSITES, i, rc;

	memset(next, 0, sizeof(next));
	if (spec == NULL)
		spec = "";
	end = spec + strlen(spec);
	semi = strchr(spec, ';');
	if (semi != NULL) {
		const char *o = semi + 1;

		if (strncmp(o, "seed=", 5) != 0 ||
		    !parse_u64(o + 5, (size_t)(end - o - 5), &seed))
			return fault_err(err, errlen,
					 "faults: bad options \"%s\" (seed=N)", o);
		end = semi;
	}
	for (p = spec; p < end;) {
		const char *q = memchr(p, ',', (size_t)(end - p));

		if (q == NULL)
			q = end;
		if (q > p) {
			rc = parse_rule(p, (size_t)(q - p), &r, &site, err,
					errlen);
			if (rc != 0)
				return rc;
			for (i = 0; i < XENSIM_FAULT_NSITES; i++)
				if (site == XENSIM_FAULT_NSITES || site == i)
					next[i] = r;
		}
		p = q + 1;
	}
	for (i = 0; i < XENSIM_FAULT_NSITES; i++)
		next[i].rng = fault_seed(seed, (unsigned int)i);
	memcpy(rules, next, sizeof(rules));
	return 0;
}

int
xensim_fault_configure_from_env(char *err, size_t errlen)
{
	return xensim_fault_configure(getenv("XENSIM_FAULTS"), err, errlen);
}

bool
xensim_fault_site_armed(enum xensim_fault_site site)
{
	return (unsigned int)site < XENSIM_FAULT_NSITES &&
	       rules[site].mode != FAULT_OFF;
}

bool
xensim_fault_enabled(void)
{
	int i;

	for (i = 0; i < XENSIM_FAULT_NSITES; i++)
		if (xensim_fault_site_armed((enum xensim_fault_site)i))
			return true;
	return false;
}

/* ---- decisions ---- */

static uint64_t
fault_next(struct fault_rule *r)
{
	uint64_t x = r->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	r->rng = x;
	return x * 0x2545f4914f6cdd1dULL;
}

bool
xensim_fault_should_fail(enum xensim_fault_site site)
{
	struct fault_rule *r;
	uint64_t k;
	bool fail = false;

	if ((unsigned int)site >= XENSIM_FAULT_NSITES)
		return false;
	r = &rules[site];
	if (r->mode == FAULT_OFF)
		return false;
	k = ++r->calls;
	if (k > r->after) {
		k -= r->after;
		switch (r->mode) {
		case FAULT_EVERY:
			fail = k % r->n == 0;
			break;
		case FAULT_NTH:
			fail = k == r->n;
			break;
		case FAULT_PROB:
			/* 53 random bits as a double in [0, 1). */
			fail = (double)(fault_next(r) >> 11) *
			    (1.0 / 9007199254740992.0) < r->p;
			break;
		case FAULT_OFF:
			break;
		}
	}
	if (fail) {
		r->injected++;
		if (fault_log != NULL) {
			fprintf(fault_log, "fault: %s call %llu fails\n",
				site_names[site], (unsigned long long)r->calls);
			fflush(fault_log);
		}
	}
	return fail;
}

void
xensim_fault_counts(enum xensim_fault_site site, uint64_t *calls,
		    uint64_t *injected)
{
	if ((unsigned int)site >= XENSIM_FAULT_NSITES) {
		*calls = *injected = 0;
		return;
	}
	*calls = rules[site].calls;
	*injected = rules[site].injected;
}

const char *
xensim_fault_site_name(enum xensim_fault_site site)
{
	if ((unsigned int)site >= XENSIM_FAULT_NSITES)
		return NULL;
	return site_names[site];
}

int
xensim_fault_summary(char *buf, size_t len)
{
	size_t off;
	int i, n;

	n = snprintf(buf, len, "faults:");
	if (n < 0)
		return n;
	off = (size_t)n;
	for (i = 0; i < XENSIM_FAULT_NSITES; i++) {
		if (rules[i].mode == FAULT_OFF)
			continue;
		n = snprintf(off < len ? buf + off : NULL,
			     off < len ? len - off : 0, " %s %llu/%llu",
			     site_names[i],
			     (unsigned long long)rules[i].injected,
			     (unsigned long long)rules[i].calls);
		if (n < 0)
			return n;
		off += (size_t)n;
	}
	if (!xensim_fault_enabled()) {
		n = snprintf(off < len ? buf + off : NULL,
			     off < len ? len - off : 0, " none");
		if (n < 0)
			return n;
		off += (size_t)n;
	}
	return (int)off;
}

void
xensim_fault_set_log(FILE *fp)
{
	fault_log = fp;
}

/* ---- xenstore ---- */

enum xensim_fault_site
xensim_fault_xs_site(uint32_t type)
{
	switch (type) {
	case XS_READ:
	case XS_DIRECTORY:
	case XS_DIRECTORY_PART:
	case XS_GET_PERMS:
	case XS_GET_DOMAIN_PATH:
		return XENSIM_FAULT_XS_READ;
	case XS_WRITE:
	case XS_MKDIR:
	case XS_RM:
	case XS_SET_PERMS:
		return XENSIM_FAULT_XS_WRITE;
	case XS_WATCH:
	case XS_UNWATCH:
		return XENSIM_FAULT_XS_WATCH;
	case XS_TRANSACTION_START:
		return XENSIM_FAULT_XS_TRANSACTION;
	default:
		return XENSIM_FAULT_NSITES;
	}
}

/* Framing state of one connection while xenstore faults are armed. */
struct fault_xs {
	struct xs_conn *c;
	struct fault_xs *next;
	uint8_t msg[sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX];
	size_t have;
	bool dead;
};

static struct fault_xs *fault_xss;

static bool
xs_sites_armed(void)
{
	return rules[XENSIM_FAULT_XS_READ].mode != FAULT_OFF ||
	    rules[XENSIM_FAULT_XS_WRITE].mode != FAULT_OFF ||
	    rules[XENSIM_FAULT_XS_WATCH].mode != FAULT_OFF ||
	    rules[XENSIM_FAULT_XS_TRANSACTION].mode != FAULT_OFF;
}

static struct fault_xs *
fault_xs_get(struct xs_conn *c)
{
	struct fault_xs *fx;

	for (fx = fault_xss; fx != NULL; fx = fx->next)
		if (fx->c == c)
			return fx;
	fx = calloc(1, sizeof(*fx));
	if (fx == NULL)
		return NULL;
	fx->c = c;
	fx->next = fault_xss;
	fault_xss = fx;
	return fx;
}

void
xensim_fault_xs_forget(struct xs_conn *c)
{
	struct fault_xs **pp, *fx;

	for (pp = &fault_xss; (fx = *pp) != NULL; pp = &fx->next) {
		if (fx->c == c) {
			*pp = fx->next;
			free(fx);
			return;
		}
	}
}

/* A whole request in fx->msg: fail it with an error reply, or pass it on. */
static int
fault_xs_request(struct fault_xs *fx, xs_send_fn *send, void *opaque)
{
	struct xsd_sockmsg h;
	enum xensim_fault_site site;
	uint8_t reply[sizeof(h) + 16];
	const char *name;

	memcpy(&h, fx->msg, sizeof(h));
	site = xensim_fault_xs_site(h.type);
	if (site == XENSIM_FAULT_NSITES || !xensim_fault_should_fail(site))
		return xs_conn_input(fx->c, fx->msg, fx->have);
	name = rules[site].xs_err;
	if (name == NULL)
		name = "EIO";
	h.type = XS_ERROR;
	h.len = (uint32_t)strlen(name) + 1;
	memcpy(reply, &h, sizeof(h));
	memcpy(reply + sizeof(h), name, h.len);
	send(opaque, reply, sizeof(h) + h.len);
	return 0;
}

int
xensim_fault_xs_input(struct xs_conn *c, const void *buf, size_t len,
		      xs_send_fn *send, void *opaque)
{
	const uint8_t *b = buf;
	struct fault_xs *fx;
	struct xsd_sockmsg h;
	size_t want, take;
	int rc;

	if (!xs_sites_armed())
		return xs_conn_input(c, buf, len);
	fx = fault_xs_get(c);
	if (fx == NULL)
		return -1;
	if (fx->dead)
		return -1;
	while (len > 0) {
		want = sizeof(h);
		if (fx->have >= sizeof(h)) {
			memcpy(&h, fx->msg, sizeof(h));
			want += h.len;
		}
		take = want - fx->have < len ? want - fx->have : len;
		memcpy(fx->msg + fx->have, b, take);
		fx->have += take;
		b += take;
		len -= take;
		if (fx->have == sizeof(h)) {
			memcpy(&h, fx->msg, sizeof(h));
			if (h.len > XENSTORE_PAYLOAD_MAX) {
				/* Let the store see it and refuse it. */
				fx->dead = true;
				return xs_conn_input(c, fx->msg, fx->have);
			}
		}
		if (fx->have >= sizeof(h)) {
			memcpy(&h, fx->msg, sizeof(h));
			if (fx->have == sizeof(h) + h.len) {
				rc = fault_xs_request(fx, send, opaque);
				fx->have = 0;
				if (rc < 0) {
					fx->dead = true;
					return rc;
				}
			}
		}
	}
	return 0;
}

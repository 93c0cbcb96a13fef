/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * gntcat's command line; see gntcat_args.h and gntcat(1).
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gntcat_args.h"
#include "gntring.h"

static int fail(struct gntcat_options *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
static long long parse_number(const char *, long long, long long,
    const char **);
static int parse_ring_size(struct gntcat_options *, const char *,
    const char *, size_t *);

/* Record what was wrong with the command line; returns -1. */
static int
fail(struct gntcat_options *out, const char *fmt, ...)
{
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	free(out->error);
	out->error = len >= 0 ? malloc((size_t)len + 1) : NULL;
	if (out->error != NULL) {
		va_start(ap, fmt);
		vsnprintf(out->error, (size_t)len + 1, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/*
 * strtonum(3) for glibc: the whole of `text` must be a decimal integer in
 * [min, max].  On failure returns 0 and points *errstr at "invalid",
 * "too small" or "too large"; on success *errstr is NULL.
 */
static long long
parse_number(const char *text, long long min, long long max,
    const char **errstr)
{
	char *end;
	long long value;

	*errstr = "invalid";
	/* strtoll would skip blanks and take a "+"; the grammar has neither,
	 * and a "-" only where the range has negative numbers. */
	if (text == NULL || text[0] == '\0')
		return 0;
	if (!isdigit((unsigned char)text[0]) &&
	    !(min < 0 && text[0] == '-' && isdigit((unsigned char)text[1])))
		return 0;
	errno = 0;
	value = strtoll(text, &end, 10);
	if (*end != '\0')
		return 0;
	if ((errno == ERANGE && value == LLONG_MIN) || value < min) {
		*errstr = "too small";
		return 0;
	}
	if ((errno == ERANGE && value == LLONG_MAX) || value > max) {
		*errstr = "too large";
		return 0;
	}
	*errstr = NULL;
	return value;
}

/*
 * A ring size: digits with an optional K or M suffix (binary units), in
 * [1K, 1M], rounded up to a power of two as the wire requires.
 */
static int
parse_ring_size(struct gntcat_options *out, const char *flag,
    const char *text, size_t *sizep)
{
	char digits[32];
	const char *errstr;
	size_t len = strlen(text), size;
	long long value, unit = 1;

	if (len > 0 && strchr("kK", text[len - 1]) != NULL)
		unit = 1024;
	else if (len > 0 && strchr("mM", text[len - 1]) != NULL)
		unit = 1024 * 1024;
	if (unit != 1)
		len--;
	if (len == 0 || len >= sizeof(digits))
		return fail(out, "%s: invalid ring size \"%s\" (1K..1M)", flag,
		    text);
	memcpy(digits, text, len);
	digits[len] = '\0';
	value = parse_number(digits, 0, GNTRING_RING_MAX / unit, &errstr);
	if (errstr == NULL && value * unit < GNTRING_RING_MIN)
		errstr = "too small";
	if (errstr != NULL)
		return fail(out, "%s: ring size \"%s\" is %s (1K..1M)", flag,
		    text, errstr);
	for (size = GNTRING_RING_MIN; size < (size_t)(value * unit); size <<= 1)
		continue;
	*sizep = size;
	return 0;
}

int
gntcat_parse_args(int argc, char **argv, struct gntcat_options *out)
{
	const char *errstr;
	bool rflag = false, sflag = false, qflag = false, vflag = false;
	int ch;

	memset(out, 0, sizeof(*out));
	out->read_ring = GNTCAT_DEFAULT_RING_SIZE;
	out->write_ring = GNTCAT_DEFAULT_RING_SIZE;
	out->wait_seconds = -1;

	while ((ch = getopt(argc, argv, "e:klqr:s:U:vw:")) != -1) {
		switch (ch) {
		case 'e':
			if (optarg[0] == '\0')
				return fail(out, "-e: empty command");
			out->command = optarg;
			break;
		case 'k':
			out->keep = true;
			break;
		case 'l':
			out->listen = true;
			break;
		case 'q':
			qflag = true;
			break;
		case 'r':
			if (parse_ring_size(out, "-r", optarg,
			    &out->read_ring) != 0)
				return -1;
			rflag = true;
			break;
		case 's':
			if (parse_ring_size(out, "-s", optarg,
			    &out->write_ring) != 0)
				return -1;
			sflag = true;
			break;
		case 'U':
			if (optarg[0] == '\0' ||
			    strlen(optarg) >= sizeof(((struct sockaddr_un *)0)->sun_path))
				return fail(out, "-U: socket path is empty or "
				    "longer than %zu bytes",
				    sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
			out->socket_path = optarg;
			break;
		case 'v':
			vflag = true;
			break;
		case 'w':
			out->wait_seconds = (int)parse_number(optarg, 0,
			    GNTCAT_WAIT_SECONDS_MAX, &errstr);
			if (errstr != NULL)
				return fail(out, "-w: seconds \"%s\" is %s "
				    "(0..%d)", optarg, errstr,
				    GNTCAT_WAIT_SECONDS_MAX);
			break;
		default:
			return -1;	/* getopt has said why */
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 2)
		return fail(out, argc < 2 ? "missing domid or path" :
		    "too many arguments");

	/* Reject conflicts before anything touches Xen. */
	if (qflag && vflag)
		return fail(out, "cannot use -q and -v");
	if (out->command != NULL && out->socket_path != NULL)
		return fail(out, "cannot use -e and -U");
	if (!out->listen && (rflag || sflag))
		return fail(out, "-r and -s need -l: the server sizes the rings");
	if (out->listen && out->wait_seconds >= 0)
		return fail(out, "cannot use -w with -l");
	if (out->keep && !out->listen && out->socket_path == NULL)
		return fail(out, "-k needs -l or -U");
	if (out->keep && out->listen && out->command == NULL &&
	    out->socket_path == NULL)
		return fail(out, "-k -l needs -e or -U: stdin can serve only once");
	out->verbosity = vflag ? 1 : qflag ? -1 : 0;
	if (out->wait_seconds < 0)
		out->wait_seconds = 0;

	out->domid = (uint16_t)parse_number(argv[0], 0, GNTCAT_DOMID_MAX,
	    &errstr);
	if (errstr != NULL)
		return fail(out, "domid \"%s\" is %s (0..%d)", argv[0], errstr,
		    GNTCAT_DOMID_MAX);
	if (argv[1][0] == '\0' || strlen(argv[1]) > GNTCAT_XS_PATH_MAX)
		return fail(out, "path is empty or longer than %d bytes",
		    GNTCAT_XS_PATH_MAX);
	out->path = argv[1];
	return 0;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * gntcat's command line, parsed apart from main() so that it can be tested
 * (and fuzzed) without running the tool.
 */
#ifndef GNTCAT_ARGS_H
#define GNTCAT_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GNTCAT_DEFAULT_RING_SIZE	(256u * 1024u)
#define GNTCAT_DOMID_MAX	32751	/* DOMID_FIRST_RESERVED - 1 */
#define GNTCAT_XS_PATH_MAX	3072	/* xenstore's XENSTORE_ABS_PATH_MAX */
#define GNTCAT_WAIT_SECONDS_MAX	86400

struct gntcat_options {
	bool		 listen;	/* -l: server */
	bool		 keep;		/* -k: serve successive clients */
	int		 verbosity;	/* -1 quiet (-q), 0, 1 verbose (-v) */
	const char	*command;	/* -e */
	const char	*socket_path;	/* -U */
	size_t		 read_ring;	/* -r: ring we read */
	size_t		 write_ring;	/* -s: ring we write */
	int		 wait_seconds;	/* -w: client waits for the server */
	uint16_t	 domid;
	const char	*path;
	char		*error;		/* malloc'd message after a failure */
};

/*
 * Parse the command line with getopt(3) into *out (defaults first).  The
 * strings in *out point into argv.  Returns 0, or -1 for a bad command line:
 * then out->error says why (NULL when getopt has already said it, or when
 * no memory was left for the message) and the caller shows the usage.
 * The caller frees out->error.  Uses getopt's globals: set optind before a
 * second call.
 */
int gntcat_parse_args(int argc, char **argv, struct gntcat_options *out);

#endif /* GNTCAT_ARGS_H */

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz target: gntcat's command-line parsing (tools/gntcat/gntcat_args.h).
 * The input is the argument list, NUL-separated (at most 16 arguments after
 * "gntcat").  A successful parse must give options gntcat(1) allows: a
 * domid in 0..32751, a path of 1..3072 bytes, ring sizes that are powers of
 * two in [1K, 1M] (and not chosen by a client), no -e with -U, no -w with
 * -l, -k only with -l or -U; a failed one a message or none, never a crash.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "gntcat_args.h"
#include "gntring.h"

#define MAXARGS 16

static bool
power_of_two_ring(size_t n)
{
	return n >= GNTRING_RING_MIN && n <= GNTRING_RING_MAX &&
	    (n & (n - 1)) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy, *argv[MAXARGS + 2];
	struct gntcat_options o;
	size_t i, start = 0;
	int argc = 0, rc;

	copy = malloc(size + 1);
	FZ_CHECK(copy != NULL, "%s", "malloc");
	memcpy(copy, data, size);
	copy[size] = '\0';
	argv[argc++] = (char *)"gntcat";
	for (i = 0; i <= size && argc <= MAXARGS; i++) {
		if (copy[i] != '\0')
			continue;
		argv[argc++] = copy + start;
		start = i + 1;
	}
	argv[argc] = NULL;

	optind = 0;		/* glibc: start over */
	opterr = 0;
	rc = gntcat_parse_args(argc, argv, &o);
	if (rc != 0) {
		FZ_CHECK(rc == -1, "rc %d", rc);
		FZ_CHECK(o.error == NULL || o.error[0] != '\0', "%s",
			 "empty message");
		free(o.error);
		free(copy);
		return 0;
	}
	FZ_CHECK(o.error == NULL, "%s", "message on success");
	FZ_CHECK(o.domid <= GNTCAT_DOMID_MAX, "domid %u", o.domid);
	FZ_CHECK(o.path != NULL && o.path[0] != '\0' &&
		 strlen(o.path) <= GNTCAT_XS_PATH_MAX, "%s", "path");
	FZ_CHECK(power_of_two_ring(o.read_ring) &&
		 power_of_two_ring(o.write_ring), "rings %zu %zu",
		 o.read_ring, o.write_ring);
	FZ_CHECK(o.listen || (o.read_ring == GNTCAT_DEFAULT_RING_SIZE &&
		 o.write_ring == GNTCAT_DEFAULT_RING_SIZE), "%s",
		 "client chose ring sizes");
	FZ_CHECK(!(o.command != NULL && o.socket_path != NULL), "%s", "-e -U");
	FZ_CHECK(o.command == NULL || o.command[0] != '\0', "%s", "empty -e");
	FZ_CHECK(o.socket_path == NULL || (o.socket_path[0] != '\0' &&
		 strlen(o.socket_path) < 108), "%s", "-U path");
	FZ_CHECK(o.wait_seconds >= 0 &&
		 o.wait_seconds <= GNTCAT_WAIT_SECONDS_MAX, "wait %d",
		 o.wait_seconds);
	FZ_CHECK(!o.listen || o.wait_seconds == 0, "%s", "-w with -l");
	FZ_CHECK(!o.keep || o.listen || o.socket_path != NULL, "%s", "-k");
	FZ_CHECK(!(o.keep && o.listen) || o.command != NULL ||
		 o.socket_path != NULL, "%s", "-k -l");
	FZ_CHECK(o.verbosity >= -1 && o.verbosity <= 1, "verbosity %d",
		 o.verbosity);
	free(copy);
	return 0;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Replay driver: runs a fuzz target's entry point on files, or on every
 * file of directories, with any compiler and no libFuzzer, so that the
 * committed corpora (and crash reproducers in them) are checked by every
 * build.  A failing check aborts with the name of the input printed first.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int
run_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *data = NULL;
	size_t len = 0, cap = 0, n;

	if (fp == NULL) {
		perror(path);
		return -1;
	}
	for (;;) {
		if (len == cap) {
			uint8_t *nd;

			cap = cap ? cap * 2 : 4096;
			nd = realloc(data, cap);
			if (nd == NULL)
				abort();
			data = nd;
		}
		n = fread(data + len, 1, cap - len, fp);
		if (n == 0)
			break;
		len += n;
	}
	fclose(fp);
	fprintf(stderr, "replay: %s (%zu bytes)\n", path, len);
	LLVMFuzzerTestOneInput(data, len);
	free(data);
	return 0;
}

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
main(int argc, char **argv)
{
	int i, files = 0, errors = 0;

	for (i = 1; i < argc; i++) {
		struct stat sb;
		struct dirent *de;
		char **names = NULL;
		size_t nn = 0, k;
		DIR *d;

		if (stat(argv[i], &sb) != 0) {
			perror(argv[i]);
			errors++;
			continue;
		}
		if (!S_ISDIR(sb.st_mode)) {
			errors += run_file(argv[i]) != 0;
			files++;
			continue;
		}
		d = opendir(argv[i]);
		if (d == NULL) {
			perror(argv[i]);
			errors++;
			continue;
		}
		while ((de = readdir(d)) != NULL) {
			char *p;

			if (de->d_name[0] == '.')
				continue;
			names = realloc(names, (nn + 1) * sizeof(*names));
			p = malloc(strlen(argv[i]) + strlen(de->d_name) + 2);
			if (names == NULL || p == NULL)
				abort();
			sprintf(p, "%s/%s", argv[i], de->d_name);
			names[nn++] = p;
		}
		closedir(d);
		qsort(names, nn, sizeof(*names), cmp);
		for (k = 0; k < nn; k++) {
			errors += run_file(names[k]) != 0;
			files++;
			free(names[k]);
		}
		free(names);
	}
	printf("replayed %d inputs, %d unreadable\n", files, errors);
	return errors != 0 || files == 0;
}

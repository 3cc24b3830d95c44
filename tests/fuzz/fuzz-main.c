/* SPDX-License-Identifier: MIT */
/*
 * Replay driver for the fuzz targets when the compiler has no libFuzzer (gcc):
 * every argument is an input file or a directory of input files, each passed
 * once to LLVMFuzzerTestOneInput().  With clang the targets link libFuzzer
 * instead, which replays the same corpus with -runs=0.
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t replayed;

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rbe");
	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	size_t cap = 4096, len = 0;
	uint8_t *buf = malloc(cap);
	while (buf) {
		len += fread(buf + len, 1, cap - len, f);
		if (len < cap)
			break;
		uint8_t *bigger = realloc(buf, cap * 2);
		if (!bigger) {
			free(buf);
			buf = NULL;
			break;
		}
		buf = bigger;
		cap *= 2;
	}
	bool failed = ferror(f) || !buf;
	fclose(f);
	if (failed) {
		fprintf(stderr, "%s: read failed\n", path);
		free(buf);
		return -1;
	}
	/* an exact-size copy, so ASan sees reads past the input */
	uint8_t *exact = malloc(len ? len : 1);
	if (!exact) {
		free(buf);
		return -1;
	}
	memcpy(exact, buf, len);
	free(buf);
	LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	replayed++;
	return 0;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int replay_dir(const char *path)
{
	DIR *dir = opendir(path);
	if (!dir) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *ent;
	int ret = 0;
	while ((ent = readdir(dir))) {
		if (ent->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			char **bigger = realloc(names, cap * sizeof(*names));
			if (!bigger) {
				ret = -1;
				break;
			}
			names = bigger;
		}
		names[n] = malloc(strlen(path) + strlen(ent->d_name) + 2);
		if (!names[n]) {
			ret = -1;
			break;
		}
		sprintf(names[n], "%s/%s", path, ent->d_name);
		n++;
	}
	closedir(dir);
	if (n)
		qsort(names, n, sizeof(*names), compare_names);
	for (size_t i = 0; i < n; i++) {
		if (ret == 0 && replay_file(names[i]) < 0)
			ret = -1;
		free(names[i]);
	}
	free(names);
	return ret;
}

int main(int argc, char **argv)
{
	int ret = 0;
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-')
			continue; /* libFuzzer options (-runs=0 …) mean nothing here */
		struct stat st;
		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		if ((S_ISDIR(st.st_mode) ? replay_dir(argv[i]) : replay_file(argv[i])) < 0)
			ret = 1;
	}
	printf("%zu inputs replayed\n", replayed);
	if (replayed == 0) {
		fprintf(stderr, "no inputs\n");
		return 1;
	}
	return ret;
}

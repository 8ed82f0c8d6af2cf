/*
 * driver - a main() for the fuzz harnesses when libFuzzer is not linked:
 * replays files and directories of inputs through LLVMFuzzerTestOneInput
 * (the CI regression step under gcc+ASan, reproducing a crash), reads one
 * input from stdin without arguments, and is the AFL++ target when built
 * with afl-clang-fast (persistent mode through __AFL_LOOP). Must never skip
 * an input silently: an unreadable file fails the run.
 */
#include <config.h>
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Largest input replayed; larger files are an error, not a truncation. */
#define DRIVER_MAX_INPUT (16u * 1024 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

/* Read a whole stream into a malloc'd buffer; NULL on error or over the limit. */
static uint8_t *driver_read(FILE *f, size_t *len_r)
{
	size_t cap = 65536, len = 0, n;
	uint8_t *buf = malloc(cap);

	if (buf == NULL)
		return NULL;
	while ((n = fread(buf + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap) {
			if (cap >= DRIVER_MAX_INPUT) {
				free(buf);
				return NULL;
			}
			cap *= 2;
			uint8_t *nb = realloc(buf, cap);
			if (nb == NULL) {
				free(buf);
				return NULL;
			}
			buf = nb;
		}
	}
	if (ferror(f)) {
		free(buf);
		return NULL;
	}
	*len_r = len;
	return buf;
}

/* Run one file; false when it cannot be read. */
static bool driver_run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	size_t len = 0;

	if (f == NULL) {
		fprintf(stderr, "driver: %s: %s\n", path, strerror(errno));
		return false;
	}
	buf = driver_read(f, &len);
	fclose(f);
	if (buf == NULL) {
		fprintf(stderr, "driver: %s: unreadable or larger than %u bytes\n", path, DRIVER_MAX_INPUT);
		return false;
	}
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return true;
}

/* Run a file, or every regular file in a directory (not recursive). */
static bool driver_run_path(const char *path, size_t *count)
{
	struct stat st;
	bool ok = true;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "driver: %s: %s\n", path, strerror(errno));
		return false;
	}
	if (!S_ISDIR(st.st_mode)) {
		(*count)++;
		return driver_run_file(path);
	}
	DIR *d = opendir(path);
	struct dirent *de;
	if (d == NULL) {
		fprintf(stderr, "driver: %s: %s\n", path, strerror(errno));
		return false;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		size_t l = strlen(path) + strlen(de->d_name) + 2;
		char *p = malloc(l);
		if (p == NULL)
			abort();
		snprintf(p, l, "%s/%s", path, de->d_name);
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
			(*count)++;
			ok = driver_run_file(p) && ok;
		}
		free(p);
	}
	closedir(d);
	return ok;
}

/* Replay every argument (file or directory); stdin when there is none. */
int main(int argc, char **argv)
{
	size_t count = 0;
	bool ok = true;

	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	if (argc < 2) {
#ifdef __AFL_LOOP
		while (__AFL_LOOP(1000)) {
#endif
			size_t len = 0;
			uint8_t *buf = driver_read(stdin, &len);
			if (buf == NULL)
				return 1;
			LLVMFuzzerTestOneInput(buf, len);
			free(buf);
#ifdef __AFL_LOOP
		}
#endif
		return 0;
	}
	for (int i = 1; i < argc; i++)
		ok = driver_run_path(argv[i], &count) && ok;
	fprintf(stderr, "%s: replayed %zu inputs\n", argv[0], count);
	return ok ? 0 : 1;
}

/*
 * bench-mime - one MIME reader on a list of messages, for callgrind: each
 * file is parsed once to warm up (not counted), then REPS times inside bench_mime_one
 * (the function bench/mime/run toggles collection on), with
 * hd_message_parse (the fast path first, mime-fast.c) or with
 * hd_message_parse_gmime (always GMime, the reader before the fast path).
 * Prints how many files the fast path reads. It must never be installed.
 *
 * Usage: bench-mime fast|gmime REPS FILE...
 */
#include <config.h>
#include "mime.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parse one message with the chosen reader (the function callgrind counts). */
__attribute__((noinline)) void bench_mime_one(const char *data, size_t len, bool gmime)
{
	struct hd_message *m = gmime ? hd_message_parse_gmime(data, len, NULL)
				     : hd_message_parse(data, len, NULL);
	hd_message_deinit(&m);
}

/* A whole file, malloc'd; NULL when unreadable. */
static char *bench_slurp(const char *path, size_t *len_r)
{
	FILE *f = fopen(path, "rb");
	struct strbuf sb;
	char buf[65536];
	size_t n;

	if (f == NULL)
		return NULL;
	sb_init(&sb);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sb_append(&sb, buf, n);
	fclose(f);
	*len_r = sb.len;
	return sb.s;
}

/* Warm up, count the fast path's share, then parse every file REPS times. */
int main(int argc, char **argv)
{
	size_t files = 0, simple = 0, bytes = 0;
	bool gmime;
	long reps;

	if (argc < 4 || (strcmp(argv[1], "fast") != 0 && strcmp(argv[1], "gmime") != 0) ||
	    (reps = atol(argv[2])) <= 0) {
		fprintf(stderr, "usage: %s fast|gmime REPS FILE...\n", argv[0]);
		return 2;
	}
	gmime = strcmp(argv[1], "gmime") == 0;
	hd_mime_init();
	for (int i = 3; i < argc; i++) {
		size_t len;
		char *data = bench_slurp(argv[i], &len);

		if (data == NULL) {
			fprintf(stderr, "bench-mime: cannot read %s\n", argv[i]);
			return 1;
		}
		/* warm-up, not counted: called directly, since a helper with the
		   same body as bench_mime_one is folded into it by gcc -O2 */
		struct hd_message *m = gmime ? hd_message_parse_gmime(data, len, NULL)
					     : hd_message_parse(data, len, NULL);
		hd_message_deinit(&m);
		files++;
		bytes += len;
		simple += hd_mime_is_simple(data, len);
		free(data);
	}
	printf("%zu files, %zu bytes, %zu read by the fast path\n", files, bytes, simple);
	for (int i = 3; i < argc; i++) {
		size_t len;
		char *data = bench_slurp(argv[i], &len);

		for (long r = 0; r < reps; r++)
			bench_mime_one(data, len, gmime);
		free(data);
	}
	return 0;
}

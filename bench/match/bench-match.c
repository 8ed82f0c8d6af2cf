/*
 * bench-match - warm throughput of the matching path on 4 MB of ASCII and of
 * mixed UTF-8 text: hd_norm_text() alone, and normalise + match as the engine
 * runs it (hd_tone_scan(): normalise, one automaton pass, hits), for a policy
 * of 3 tone phrases and one of 10,000; memchr over the same buffer is
 * printed beside as the ceiling. Not part of `make check`; run bench/match/run.
 *
 * Must never: time a cold first pass (buffers are reused: M_MMAP_THRESHOLD is
 * raised so the allocator keeps the big blocks), or use input it did not get
 * from the files given (the generator is deterministic).
 */
#include <config.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "diag.h"
#include "norm.h"
#include "policy.h"
#include "tone.h"
#include "util.h"

#define BENCH_RUNS_DEFAULT 9
#define BENCH_MAX_HITS 100	/* HD_LIMIT_FINDINGS_DEFAULT */

/* Seconds on the monotonic clock. */
static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A whole file into memory; exits on error. */
static char *slurp(const char *path, size_t *len_r)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0) {
		perror(path);
		exit(1);
	}
	rewind(f);
	buf = xmalloc((size_t)n + 1);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		perror(path);
		exit(1);
	}
	fclose(f);
	buf[n] = '\0';
	*len_r = (size_t)n;
	return buf;
}

/* A policy file; exits on a load error. */
static struct hd_policy *load(const char *path)
{
	struct hd_diag d;
	struct hd_policy *p;

	hd_diag_init(&d);
	p = hd_policy_load(path, &d);
	if (p == NULL) {
		fprintf(stderr, "%s: %s\n", path, d.lines.n ? d.lines.v[0] : "load failed");
		exit(1);
	}
	hd_diag_free(&d);
	return p;
}

/* Best seconds of memchr over text (a byte that is never there). */
static double best_memchr(const char *text, size_t len, int runs)
{
	double best = 1e9;
	const void *volatile sink;

	for (int i = 0; i < runs; i++) {
		double t = now();
		sink = memchr(text, '\x01', len);
		t = now() - t;
		if (t < best)
			best = t;
	}
	(void)sink;
	return best;
}

/* Best seconds of hd_norm_text over text. */
static double best_norm(const char *text, size_t len, int runs)
{
	double best = 1e9;

	for (int i = 0; i < runs + 1; i++) {
		double t = now();
		struct hd_normtext *nt = hd_norm_text(text, len);
		t = now() - t;
		hd_normtext_deinit(&nt);
		if (i > 0 && t < best)	/* the first run only warms the heap */
			best = t;
	}
	return best;
}

/* Best seconds of hd_tone_scan (normalise + match + hits) over text. */
static double best_tone(const struct hd_policy *p, const char *text, size_t len, int runs,
			size_t *hits_r)
{
	double best = 1e9;

	for (int i = 0; i < runs + 1; i++) {
		struct hd_tone_hit *hits;
		double t = now();
		size_t n = hd_tone_scan(p, text, len, BENCH_MAX_HITS, &hits);
		t = now() - t;
		hd_tone_hits_free(hits, n);
		*hits_r = n;
		if (i > 0 && t < best)
			best = t;
	}
	return best;
}

/* Time one text against both policies and print a block of figures. */
static void bench_text(const char *label, const char *path, const struct hd_policy *small,
		       const struct hd_policy *big, int runs)
{
	size_t len, nonascii = 0, hs, hb;
	char *text = slurp(path, &len);
	double mb, tm, tn, ts, tb;

	for (size_t i = 0; i < len; i++)
		nonascii += (unsigned char)text[i] >= 0x80;
	mb = (double)len / (1024.0 * 1024.0);
	tm = best_memchr(text, len, runs);
	tn = best_norm(text, len, runs);
	ts = best_tone(small, text, len, runs, &hs);
	tb = best_tone(big, text, len, runs, &hb);
	printf("%s: %s, %zu bytes, %.0f%% bytes >= 0x80\n", label, path, len, 100.0 * (double)nonascii / (double)len);
	printf("  memchr                          %9.1f MB/s\n", mb / tm);
	printf("  normalise                       %9.1f MB/s  (%.0fx memchr time)\n", mb / tn, tn / tm);
	printf("  normalise+match,     3 phrases  %9.1f MB/s  (%.0fx memchr time, %zu hits)\n", mb / ts, ts / tm, hs);
	printf("  normalise+match, 10000 phrases  %9.1f MB/s  (%.0fx memchr time, %zu hits; %.2fx the 3-phrase time)\n",
	       mb / tb, tb / tm, hb, tb / ts);
	free(text);
}

/* bench-match SMALL.yaml BIG.yaml ASCII.txt MIXED.txt [runs] */
int main(int argc, char **argv)
{
	struct hd_policy *small, *big;
	int runs;

	if (argc < 5) {
		fprintf(stderr, "usage: bench-match SMALL.yaml BIG.yaml ASCII.txt MIXED.txt [runs]\n");
		return 2;
	}
	runs = argc > 5 ? atoi(argv[5]) : BENCH_RUNS_DEFAULT;
	if (runs < 1)
		runs = 1;
	mallopt(M_MMAP_THRESHOLD, 256 << 20);
	mallopt(M_TRIM_THRESHOLD, 512 << 20);
	small = load(argv[1]);
	big = load(argv[2]);
	printf("command: %s %s %s %s %s %d (warm, best of %d)\n", argv[0], argv[1], argv[2], argv[3], argv[4], runs, runs);
	bench_text("ascii", argv[3], small, big, runs);
	bench_text("mixed", argv[4], small, big, runs);
	printf("targets: normalise+match ascii >= 200 MB/s, mixed >= 100 MB/s\n");
	hd_policy_unref(&small);
	hd_policy_unref(&big);
	return 0;
}

/*
 * bench-amounts - the amount scanner's speed on 1..8 MB of the worst input
 * seen (issue 17: "$1 $1 ..." in a reply, 27 s for 3.9 MB), on ordinary
 * prose with amounts that grant nothing, and on a 4 KB agent reply with a
 * quote (issue 15), each beside the scanner as it was before its word
 * tables were indexed (tests/unit/lib-policy/amount-oracle.h), run
 * interleaved in the same process. Prints MB/s and the ratio; the scan must
 * stay linear, so MB/s must not fall as the size grows. The last row is
 * the engine's pair of scans on that reply (its agent text, then the whole
 * text to tag what the quote split removed): the whole text again beside
 * the whole text from the agent text's last mark (hd_amount_scan_rest).
 */
#include <config.h>
#include "amount.h"
#include "util.h"
#include "amount-oracle.h"
#include "quote.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BENCH_ROUNDS 3	/* interleaved runs of each scanner; the fastest counts */

typedef size_t bench_scan_fn(const char *, const char *, struct hd_amount **);

/* Fill a buffer of n bytes by repeating unit. */
static char *bench_fill(size_t n, const char *unit)
{
	size_t ul = strlen(unit);
	char *s = xmalloc(n + 1);

	for (size_t i = 0; i < n; i += ul)
		memcpy(s + i, unit, i + ul <= n ? ul : n - i);
	s[n] = '\0';
	return s;
}

/* CPU seconds for reps scans of s with scan; *found_r is the last count. */
static double bench_scan(bench_scan_fn *scan, const char *s, size_t reps, size_t *found_r)
{
	struct timespec t0, t1;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	for (size_t r = 0; r < reps; r++) {
		struct hd_amount *a;
		*found_r = scan(s, "USD", &a);
		hd_amounts_free(a, *found_r);
	}
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
	return (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
}

/* Time both scanners on s, interleaved, and print one row. */
static void bench_row(const char *name, const char *s, size_t reps)
{
	double tn = 1e9, to = 1e9;
	size_t fn = 0, fo = 0, len = strlen(s);

	for (int r = 0; r < BENCH_ROUNDS; r++) {
		double t = bench_scan(oracle_hd_amount_scan, s, reps, &fo);
		if (t < to)
			to = t;
		t = bench_scan(hd_amount_scan, s, reps, &fn);
		if (t < tn)
			tn = t;
	}
	if (fn != fo) {
		fprintf(stderr, "%s: indexed scanner found %zu amounts, old one %zu\n", name, fn, fo);
		exit(1);
	}
	double mb = (double)len * (double)reps / (1 << 20);
	printf("%-12s %8zu %5zu %9.1f %9.1f %9.2f %8.1f %7.2fx\n", name, len, reps,
	       tn / (double)reps * 1e6, to / (double)reps * 1e6, mb / tn, mb / to, to / tn);
}

/* CPU seconds for reps of the engine's two scans, the own text's and the
   whole text's; resume: the whole text from the own text's mark. */
static double bench_pair(const char *own, const char *whole, bool resume, size_t reps, size_t *found_r)
{
	struct timespec t0, t1;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	for (size_t r = 0; r < reps; r++) {
		struct hd_amount *a, *b;
		struct hd_amount_mark mark = { 0 };
		size_t na = resume ? hd_amount_scan_marked(own, "USD", &a, &mark) : hd_amount_scan(own, "USD", &a);
		bool rest = mark.prefix > 0 && strncmp(whole, own, mark.prefix) == 0;
		size_t nb = rest ? hd_amount_scan_rest(whole, &mark, "USD", &b) : hd_amount_scan(whole, "USD", &b);
		hd_amounts_free(a, na);
		hd_amounts_free(b, nb);
		*found_r = (rest ? mark.count : 0) + nb;
	}
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
	return (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
}

/* Time the engine's pair of scans, the whole text again and from the own
   text's mark, interleaved, and print one row. */
static void bench_pair_row(const char *name, const char *whole, size_t reps)
{
	struct hd_quote_split sp;
	double tn = 1e9, to = 1e9;
	size_t fn = 0, fo = 0, len = strlen(whole);

	hd_quote_split(whole, len, NULL, &sp);
	for (int r = 0; r < BENCH_ROUNDS; r++) {
		double t = bench_pair(sp.agent, whole, false, reps, &fo);
		if (t < to)
			to = t;
		t = bench_pair(sp.agent, whole, true, reps, &fn);
		if (t < tn)
			tn = t;
	}
	if (fn != fo) {
		fprintf(stderr, "%s: from the mark %zu amounts, whole text %zu\n", name, fn, fo);
		exit(1);
	}
	double mb = (double)(len + strlen(sp.agent)) * (double)reps / (1 << 20);
	printf("%-12s %8zu %5zu %9.1f %9.1f %9.2f %8.1f %7.2fx   (agent text %zu bytes, then the whole)\n", name,
	       len, reps, tn / (double)reps * 1e6, to / (double)reps * 1e6, mb / tn, mb / to, to / tn,
	       strlen(sp.agent));
	hd_quote_split_free(&sp);
}

/* Read a whole file, or exit. */
static char *bench_read(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *s;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		perror(path);
		exit(2);
	}
	s = xmalloc((size_t)n + 1);
	if (fread(s, 1, (size_t)n, f) != (size_t)n) {
		perror(path);
		exit(2);
	}
	s[n] = '\0';
	fclose(f);
	return s;
}

int main(int argc, char **argv)
{
	static const struct { const char *name, *unit; } inputs[] = {
		{ "dollar-ones", "$1 " },
		{ "prose", "You paid \xe2\x82\xac" "90,00 for order 12345 on 3.4.2025; refunds over $100 need approval. " },
	};

	printf("%-12s %8s %5s %9s %9s %9s %8s %8s\n", "input", "bytes", "reps", "us/scan", "old us",
	       "MB/s", "old MB/s", "speedup");
	for (size_t k = 0; k < sizeof(inputs) / sizeof(inputs[0]); k++)
		for (size_t mb = 1; mb <= 8; mb *= 2) {
			char *s = bench_fill(mb << 20, inputs[k].unit);
			bench_row(inputs[k].name, s, 1);
			free(s);
		}
	if (argc > 1) {
		/* The reply as the engine sees it: the message body, no header. */
		char *msg = bench_read(argv[1]), *body = strstr(msg, "\n\n");
		bench_row("reply-4k", body != NULL ? body + 2 : msg, 2000);
		printf("%-12s %8s %5s %9s %9s %9s %8s %8s\n", "own+history", "bytes", "reps", "us/pair", "2 scans",
		       "MB/s", "2 scans", "speedup");
		bench_pair_row("reply-4k", body != NULL ? body + 2 : msg, 2000);
		free(msg);
	}
	return 0;
}

/*
 * bench-quotes - precision and recall of quote detection per mail client
 * and language over tests/data/replies (through the engine, see
 * tests/unit/engine/replies-corpus.c) and over the reply-parser fixtures
 * of tests/data/replies/crisp, line by line, then the cost of splitting 1, 2 and
 * 4 MB of text, which must grow linearly. Usage: bench-quotes CORPUS_DIR
 *
 * bench-quotes --cost N FILE... splits and fingerprints each file's text N
 * times in bench_quotes_one(), for callgrind --toggle-collect (run prints
 * the instructions per KB of real replies, beside a baseline build's).
 */
#include <config.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "util.h"
#include "quote.h"
#include "replies-corpus.h"

/* Seconds of CPU time. */
static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A reply of about size bytes mixing every kind of line the splitter looks at. */
static char *mixed_text(size_t size)
{
	static const char *const lines[] = {
		"Thanks for waiting, we have looked into your order today.\n",
		"> and the quoted line of the customer, calm down they said\n",
		"On Mon, 30 Nov 2026 at 16:00, Pat <pat@example.net> wrote:\n",
		"From: Pat Customer <pat@example.net>\n",
		"Note: the parcel left the warehouse at 10:30:\n",
		"---- a title between dashes ----\n",
		"Subject: Order 4411\n",
		"\n",
	};
	struct strbuf sb;

	sb_init(&sb);
	for (size_t i = 0; sb.len < size; i++)
		sb_puts(&sb, lines[i % (sizeof(lines) / sizeof(lines[0]))]);
	return sb_steal(&sb);
}

/* Print a ratio or "-" when undefined. */
static void ratio(unsigned a, unsigned b)
{
	if (b == 0)
		printf(" %9s", "-");
	else
		printf(" %9.2f", (double)a / b);
}

/* What the engine does with a text part: split it (as hd_message_parse),
   remember its lines (as hd_engine_thread_record), split it again with a
   thread (as hd_message_requote). The function callgrind's toggle counts. */
__attribute__((noinline)) size_t bench_quotes_one(const char *text, size_t len)
{
	struct hd_quote_split sp;
	uint32_t *h;
	size_t n;

	hd_quote_split(text, len, NULL, &sp);
	n = hd_quote_fingerprint(sp.agent, strlen(sp.agent), &h);
	hd_quote_split_free(&sp);
	struct hd_quote_thread t = { h, n };
	hd_quote_split(text, len, &t, &sp);
	n += sp.found;
	hd_quote_split_free(&sp);
	free(h);
	return n;
}

/* --cost N FILE...: every file's text N times; prints the bytes done. */
static int bench_cost(int argc, char **argv)
{
	long rounds = atol(argv[2]);
	size_t bytes = 0, sum = 0;

	for (int i = 3; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		char buf[1 << 16];
		size_t len;
		if (f == NULL)
			continue;
		len = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[len] = '\0';
		len = strlen(buf);
		for (long r = 0; r < rounds; r++)
			sum += bench_quotes_one(buf, len);
		bytes += len * (size_t)rounds;
	}
	printf("bytes %zu checksum %zu\n", bytes, sum);
	return 0;
}

int main(int argc, char **argv)
{
	struct corpus_tally *t;
	size_t n;
	unsigned tp = 0, fn = 0, fp = 0, tn = 0, tagged = 0;

	if (argc >= 3 && strcmp(argv[1], "--cost") == 0)
		return bench_cost(argc, argv);

	if (argc != 2) {
		fprintf(stderr, "usage: bench-quotes CORPUS_DIR\n");
		return 2;
	}
	n = corpus_run(argv[1], NULL, &t);
	if (n == (size_t)-1)
		return 1;
	printf("%-22s %4s %4s %4s %4s %9s %9s %7s\n", "category", "TP", "FN", "FP", "TN",
	       "precision", "recall", "tagged");
	for (size_t i = 0; i < n; i++) {
		printf("%-22s %4u %4u %4u %4u", t[i].name, t[i].tp, t[i].fn, t[i].fp, t[i].tn);
		ratio(t[i].tp, t[i].tp + t[i].fp);
		ratio(t[i].tp, t[i].tp + t[i].fn);
		printf(" %7u\n", t[i].tagged);
		tp += t[i].tp;
		fn += t[i].fn;
		fp += t[i].fp;
		tn += t[i].tn;
		tagged += t[i].tagged;
	}
	printf("%-22s %4u %4u %4u %4u", "ALL", tp, fn, fp, tn);
	ratio(tp, tp + fp);
	ratio(tp, tp + fn);
	printf(" %7u\n\n", tagged);
	free(t);

	/* the reply-parser fixtures, line by line */
	struct fixture_tally ft;
	char *fdir = xasprintf("%s/crisp", argv[1]);
	if (fixtures_run(fdir, NULL, &ft) == 0) {
		printf("fixtures (crisp-oss/email-reply-parser): %u of %u entirely right;"
		       " lines: TP %u FN %u FP %u TN %u, precision", ft.right, ft.total, ft.tp, ft.fn,
		       ft.fp, ft.tn);
		ratio(ft.tp, ft.tp + ft.fp);
		printf(", recall");
		ratio(ft.tp, ft.tp + ft.fn);
		printf("\n\n");
		fp += ft.fp;
		fn += ft.fn;
	}
	free(fdir);

	printf("%-10s %12s %12s\n", "text", "split (ms)", "ns/byte");
	for (size_t mb = 1; mb <= 4; mb *= 2) {
		char *text = mixed_text(mb << 20);
		size_t len = strlen(text);
		struct hd_quote_split sp;
		double best = 1e9;
		for (int r = 0; r < 3; r++) {
			double t0 = now();
			hd_quote_split(text, len, NULL, &sp);
			double dt = now() - t0;
			hd_quote_split_free(&sp);
			if (dt < best)
				best = dt;
		}
		printf("%-10s %12.1f %12.1f\n", mb == 1 ? "1 MB" : mb == 2 ? "2 MB" : "4 MB",
		       best * 1e3, best * 1e9 / (double)len);
		free(text);
	}
	return fp == 0 && fn == 0 ? 0 : 1;
}

/*
 * bench-bounds - time and peak memory of every parser that reads a
 * stranger's bytes at n, 2n, 4n and 8n bytes of an input shaped to hurt it
 * (deep nesting, many small items), and the ratio per doubling: linear is
 * about 2x, quadratic 4x. Each run is a forked child: CPU time measured
 * inside it (load on the machine changes little), peak RSS from wait4()
 * less the peak of the same child on an empty input. Not part of make check.
 * Usage: bench-bounds [BASE_KIB] [REPEATS]
 */
#include <config.h>
#include "util.h"
#include "html.h"
#include "quote.h"
#include "mime.h"
#include "norm.h"
#include "amount.h"
#include "diag.h"
#include "yamldoc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static struct hd_limits lim, open_lim;	/* the defaults; every count limit off */

/* Repeat unit until len bytes (whole units), between head and tail. */
static char *fill(const char *head, const char *unit, const char *tail, size_t len, size_t *len_r)
{
	struct strbuf sb;
	size_t ul = strlen(unit);

	sb_init(&sb);
	sb_puts(&sb, head);
	while (sb.len + ul + strlen(tail) <= len)
		sb_puts(&sb, unit);
	sb_puts(&sb, tail);
	*len_r = sb.len;
	return sb_steal(&sb);
}

/* Shapes: each unit repeated is what costs a parser most per byte (nesting,
   many short items, amounts without a grant word so the scan never stops). */

/* Nested multiparts: each level opens a boundary and a text part. */
static char *gen_mime_depth(size_t len, size_t *len_r)
{
	struct strbuf sb;
	size_t depth = 0;

	sb_init(&sb);
	sb_puts(&sb, "From: a@b\nSubject: deep\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b0\n\n");
	while (sb.len < len / 2) {
		depth++;
		sb_printf(&sb, "--b%zu\nContent-Type: multipart/mixed; boundary=b%zu\n\n", depth - 1, depth);
		sb_printf(&sb, "--b%zu\nContent-Type: text/plain\n\nlevel %zu text\n", depth, depth);
	}
	for (size_t d = depth + 1; d-- > 0;)
		sb_printf(&sb, "--b%zu--\n", d);
	*len_r = sb.len;
	return sb_steal(&sb);
}

static char *gen_mime_parts(size_t len, size_t *len_r)
{
	return fill("From: a@b\nSubject: parts\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=x\n\n",
		    "--x\nContent-Type: text/plain\n\nrefund please\n", "--x--\n", len, len_r);
}

static char *gen_headers(size_t len, size_t *len_r)
{
	return fill("From: a@b\n", "X-Many: a header value\nX-OTRS-Queue: q\n", "\nbody\n", len, len_r);
}

static char *gen_html(size_t len, size_t *len_r)
{
	return fill("<html><body>", "<div><b>x &amp; &#233;<blockquote>q<p>", "</body></html>", len, len_r);
}

static char *gen_quotes(size_t len, size_t *len_r)
{
	return fill("Hi,\n", "> quoted line of text\nOn Mon, 1 Dec 2026, Pat <p@x> wrote:\nName: value\n",
		    "-- \nsig\n", len, len_r);
}

static char *gen_norm(size_t len, size_t *len_r)
{
	return fill("", "ｆｕｌｌ ﬁle Straße d\xd0\xb0ta e\xcc\x81\xcc\x81\xcc\x81 \xe2\x80\x8b\xc2\xad \xff ", "", len, len_r);
}

static char *gen_amounts(size_t len, size_t *len_r)
{
	return fill("", "$1 $2 your invoice of $500.00 and 40 EUR, 20% more. ", "", len, len_r);
}

static char *gen_yaml(size_t len, size_t *len_r)
{
	return fill("phrases:\n", "  - { id: p, text: [\"calm down\", 'as i said'], action: tag }\n", "", len, len_r);
}

static void run_mime(const char *s, size_t n)
{
	struct hd_message *m = hd_message_parse(s, n, &lim);
	char *t = hd_message_text(m);
	free(t);
	hd_message_deinit(&m);
}

/* The same with no count limit: GMime and our walk over all of it. */
static void run_mime_open(const char *s, size_t n)
{
	struct hd_message *m = hd_message_parse(s, n, &open_lim);
	char *t = hd_message_text(m);
	free(t);
	hd_message_deinit(&m);
}

static void run_html(const char *s, size_t n)
{
	free(hd_html_to_text(s, n, 0, (size_t)64 << 20, NULL));
}

static void run_quotes(const char *s, size_t n)
{
	struct hd_quote_split sp;
	hd_quote_split(s, n, NULL, &sp);
	hd_quote_split_free(&sp);
}

static void run_norm(const char *s, size_t n)
{
	struct hd_normtext *nt = hd_norm_text(s, n);
	hd_normtext_deinit(&nt);
}

static void run_amounts(const char *s, size_t n)
{
	struct hd_amount *a = NULL;
	size_t k = hd_amount_scan(s, "USD", &a);
	hd_amounts_free(a, k);
}

static void run_yaml(const char *s, size_t n)
{
	struct hd_diag d;
	hd_diag_init(&d);
	struct hd_ynode *y = hd_yaml_load_buffer("b.yaml", s, n, &d);
	hd_ynode_deinit(&y);
	hd_diag_free(&d);
}

static const struct parser {
	const char *name;
	char *(*gen)(size_t, size_t *);
	void (*run)(const char *, size_t);
} parsers[] = {
	{ "html", gen_html, run_html },
	{ "quotes", gen_quotes, run_quotes },
	{ "mime-depth", gen_mime_depth, run_mime },
	{ "mime-parts", gen_mime_parts, run_mime },
	{ "header-count", gen_headers, run_mime },
	{ "mime-depth*", gen_mime_depth, run_mime_open },
	{ "mime-parts*", gen_mime_parts, run_mime_open },
	{ "header-count*", gen_headers, run_mime_open },
	{ "normalisation", gen_norm, run_norm },
	{ "amounts", gen_amounts, run_amounts },
	{ "yaml", gen_yaml, run_yaml },
};

/* Run once in a child: CPU seconds and peak RSS in KiB. */
static void measure(const struct parser *p, const char *s, size_t n, double *cpu_r, long *rss_r)
{
	int fd[2];
	pid_t pid;
	struct rusage ru;
	int st;

	if (pipe(fd) < 0)
		abort();
	pid = fork();
	if (pid == 0) {
		struct timespec a, b;
		double t;
		close(fd[0]);
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
		if (n > 0)
			p->run(s, n);
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
		t = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
		if (write(fd[1], &t, sizeof(t)) != sizeof(t))
			_exit(1);
		_exit(0);
	}
	close(fd[1]);
	if (read(fd[0], cpu_r, sizeof(*cpu_r)) != sizeof(*cpu_r))
		*cpu_r = -1;
	close(fd[0]);
	wait4(pid, &st, 0, &ru);
	*rss_r = ru.ru_maxrss;
}

int main(int argc, char **argv)
{
	size_t base = (argc > 1 ? strtoul(argv[1], NULL, 10) : 256) * 1024;
	int reps = argc > 2 ? atoi(argv[2]) : 3;

	hd_mime_init();
	hd_limits_init(&lim);
	lim.message_bytes = lim.text_bytes = (size_t)1 << 30;
	open_lim = lim;
	open_lim.mime_depth = open_lim.mime_parts = open_lim.header_count = 1000000;
	log_set_sink(NULL, LOG_LVL_ERROR);
	printf("# * = with mime_depth, mime_parts and header_count raised to 10^6 (else the defaults cut)\n");
	printf("%-14s %9s %10s %10s %7s %7s\n", "parser", "bytes", "cpu ms", "peak KiB", "t x2", "mem x2");
	for (size_t i = 0; i < sizeof(parsers) / sizeof(parsers[0]); i++) {
		const struct parser *p = &parsers[i];
		double prev_t = 0, t;
		long prev_m = 0, rss0, rss;
		double dummy;

		measure(p, "", 0, &dummy, &rss0);
		for (int k = 0; k < 4; k++) {
			size_t len;
			char *s = p->gen(base << k, &len);
			double best = 1e9;
			long mem = 0;
			for (int r = 0; r < reps; r++) {
				measure(p, s, len, &t, &rss);
				if (t < best)
					best = t;
				mem = rss - rss0;
			}
			if (k == 0)
				printf("%-14s %9zu %10.1f %10ld %7s %7s\n", p->name, len, best * 1e3, mem, "", "");
			else
				printf("%-14s %9zu %10.1f %10ld %7.2f %7.2f\n", p->name, len, best * 1e3, mem,
				       best / prev_t, prev_m > 0 ? (double)mem / (double)prev_m : 0.0);
			prev_t = best;
			prev_m = mem;
			free(s);
		}
	}
	return 0;
}

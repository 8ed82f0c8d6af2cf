/*
 * bench-tone - throughput of the tone path (normalise + Aho-Corasick match)
 * on a generated 4 MB agent reply, for a policy of 3 phrases and one of
 * 10,000, to show that the cost per byte does not grow with the number of
 * phrases. memchr over the same buffer is printed as a ceiling. Not part of
 * `make check`; run bench/tone/run.
 *
 * Must never: depend on anything but the engine's norm/matcher/tone modules,
 * or use non-deterministic input (the PRNG is seeded with a constant).
 */
#include <config.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "matcher.h"
#include "norm.h"
#include "tone.h"
#include "util.h"

#define BENCH_TEXT_BYTES (4u * 1024 * 1024)
#define BENCH_RUNS_DEFAULT 7
#define BENCH_MAX_HITS 100	/* HD_LIMIT_FINDINGS_DEFAULT */

/* Deterministic PRNG (xorshift64*). */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545F4914F6CDD1Dull) >> 32);
}

/* Seconds on the monotonic clock. */
static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sentences of realistic support replies; %N = order number, %D = day,
   %P = first name. A few carry typographic quotes and dashes. */
static const char *const sentences[] = {
	"Thank you for contacting Acme Support.",
	"I am sorry to hear that your order %N has not arrived yet.",
	"I have checked with our warehouse and the parcel left on %D.",
	"Could you please confirm the delivery address on your account?",
	"I understand how frustrating this is, and I want to get it resolved for you today.",
	"Our records show that the payment was authorised but not yet captured.",
	"I\xe2\x80\x99ve escalated this to our billing team, who will get back to you within one business day.",
	"In the meantime, you can track the parcel from the \xe2\x80\x9cMy orders\xe2\x80\x9d page.",
	"If the item arrives damaged, please keep the packaging and send us a photo.",
	"We can offer a replacement or a full refund \xe2\x80\x94 whichever you prefer.",
	"Let me find out what went wrong and come back to you.",
	"I have applied a credit of ten dollars to your account as a goodwill gesture.",
	"Please note that the refund may take up to five working days to appear on your statement.",
	"Hi %P, thanks for your patience while we looked into this.",
	"The technician visit is booked for %D between nine and twelve.",
	"Your subscription renews automatically unless you cancel before the end of the billing period.",
	"I can see two charges on %D; one of them is a pending authorisation that will drop off.",
	"We\xe2\x80\x99re updating the app this week, which should fix the login problem you reported.",
	"Could you try clearing the cache and signing in again?",
	"If that does not help, reply to this email with a screenshot of the error message.",
	"Kind regards,\nSam\nAcme Customer Support",
	"Best wishes, %P \xe2\x80\x93 Acme Support",
	"I have forwarded your feedback to the product team.",
	"As a next step, I will call the courier and ask them to re-deliver the parcel.",
	"Thanks again for reaching out, and have a lovely day.",
};
#define NSENTENCES (sizeof(sentences) / sizeof(sentences[0]))

static const char *const names[] = { "Anna", "Jos\xc3\xa9", "Priya", "Tom", "Zo\xc3\xab", "Mohammed", "Li" };
static const char *const days[] = { "Monday", "Tuesday", "12 March", "the 3rd", "Friday 14 June" };

/* Generate len bytes of agent replies into a new buffer. */
static char *gen_text(size_t len)
{
	struct strbuf sb;

	sb_init(&sb);
	while (sb.len < len) {
		/* About one reply in a thousand sentences breaks the tone policy. */
		const char *s = rnd() % 1000 == 0 ? "Please calm down, it is not our fault." :
			sentences[rnd() % NSENTENCES];
		for (; *s; s++) {
			if (s[0] == '%' && s[1] == 'N') {
				sb_printf(&sb, "#%06u", rnd() % 1000000);
				s++;
			} else if (s[0] == '%' && s[1] == 'D') {
				sb_puts(&sb, days[rnd() % 5]);
				s++;
			} else if (s[0] == '%' && s[1] == 'P') {
				sb_puts(&sb, names[rnd() % 7]);
				s++;
			} else {
				sb_putc(&sb, *s);
			}
		}
		switch (rnd() % 8) {
		case 0: sb_puts(&sb, "\r\n\r\n"); break;
		case 1: sb_puts(&sb, "\r\n"); break;
		default: sb_putc(&sb, ' '); break;
		}
	}
	sb_truncate(&sb, len);
	return sb_steal(&sb);
}

/* Words used to generate phrases: the reply vocabulary plus rude ones. */
static const char *const words[] = {
	"calm", "down", "not", "our", "fault", "problem", "you", "should", "have",
	"read", "the", "manual", "obviously", "as", "i", "said", "before", "per",
	"my", "last", "email", "we", "cannot", "help", "your", "order", "refund",
	"account", "please", "just", "stop", "complaining", "already", "told",
	"that", "is", "policy", "deal", "with", "it", "whatever", "clearly",
	"didn't", "listen", "again", "nothing", "can", "do", "wrong", "blame",
	"courier", "parcel", "billing", "team", "support", "again", "honestly",
};
#define NWORDS (sizeof(words) / sizeof(words[0]))

/* Add a phrase rule with one match phrase to p. */
static void add_phrase(struct hd_policy *p, const char *id, const char *match)
{
	struct hd_phrase *ph;

	p->phrases = xrealloc(p->phrases, (p->nphrases + 1) * sizeof(*p->phrases));
	ph = &p->phrases[p->nphrases++];
	memset(ph, 0, sizeof(*ph));
	ph->id = xstrdup(id);
	sv_init(&ph->match);
	sv_init(&ph->unless);
	sv_init(&ph->examples_bad);
	sv_init(&ph->examples_good);
	sv_push(&ph->match, match);
}

/* A policy of n phrases: the three real ones, then generated 2-5 word
   phrases (rarely present in the text, but sharing its words). */
static struct hd_policy *gen_policy(size_t n)
{
	struct hd_policy *p = xcalloc(1, sizeof(*p));
	static const char *const real[] = { "calm down", "not our fault", "you should have read" };

	p->file = xstrdup("bench.yaml");
	p->tone_action = HD_ACTION_REJECT;
	for (size_t i = 0; i < n; i++) {
		char id[32];

		snprintf(id, sizeof(id), "p%zu", i);
		if (i < 3) {
			add_phrase(p, id, real[i]);
		} else {
			struct strbuf sb;
			size_t nw = 2 + rnd() % 4;

			sb_init(&sb);
			for (size_t w = 0; w < nw; w++) {
				if (w > 0)
					sb_putc(&sb, ' ');
				sb_puts(&sb, words[rnd() % NWORDS]);
			}
			add_phrase(p, id, sb.s);
			sb_free(&sb);
		}
	}
	return p;
}

/* Free a generated policy. */
static void free_policy(struct hd_policy *p)
{
	for (size_t i = 0; i < p->nphrases; i++) {
		free(p->phrases[i].id);
		sv_free(&p->phrases[i].match);
		sv_free(&p->phrases[i].unless);
		sv_free(&p->phrases[i].examples_bad);
		sv_free(&p->phrases[i].examples_good);
	}
	free(p->phrases);
	hd_tone_index_deinit(&p->tone);
	free(p->file);
	free(p);
}

/* Scan callback: count every match. */
static bool count_match(const struct hd_match *m, void *ctx)
{
	(*(size_t *)ctx)++;
	return true;
}

/* Results for one policy size. */
struct result {
	size_t nphrases;
	double compile, norm, match, tone;	/* best seconds */
	size_t matches, hits;
};

/* Time compile, normalise, match and the whole tone scan for n phrases. */
static struct result bench_policy(size_t n, const char *text, size_t len, int runs)
{
	struct result r = { .nphrases = n, .compile = 1e9, .norm = 1e9, .match = 1e9, .tone = 1e9 };
	struct hd_policy *p = gen_policy(n);
	struct hd_diag d;

	hd_diag_init(&d);
	for (int i = 0; i < runs; i++) {
		double t0 = now();
		if (!hd_tone_compile(p, &d)) {
			fprintf(stderr, "compile failed: %s\n", d.lines.n ? d.lines.v[0] : "?");
			exit(1);
		}
		t0 = now() - t0;
		if (t0 < r.compile)
			r.compile = t0;
	}
	hd_diag_free(&d);

	for (int i = 0; i < runs; i++) {
		struct hd_matcher *m = hd_matcher_new();
		struct hd_normtext *nt;
		struct hd_tone_hit *hits;
		double t0, t1, t2;

		for (size_t k = 0; k < p->nphrases; k++)
			hd_matcher_add(m, p->phrases[k].match.v[0], (int)k);
		hd_matcher_build(m);
		t0 = now();
		nt = hd_norm_text(text, len);
		t1 = now();
		r.matches = 0;
		hd_matcher_scan(m, nt, count_match, &r.matches);
		t2 = now();
		if (t1 - t0 < r.norm)
			r.norm = t1 - t0;
		if (t2 - t1 < r.match)
			r.match = t2 - t1;
		hd_normtext_deinit(&nt);
		hd_matcher_deinit(&m);

		t0 = now();
		r.hits = hd_tone_scan(p, text, len, BENCH_MAX_HITS, &hits);
		t1 = now();
		hd_tone_hits_free(hits, r.hits);
		if (t1 - t0 < r.tone)
			r.tone = t1 - t0;
	}
	free_policy(p);
	return r;
}

/* Print one result line. */
static void print_result(const struct result *r, size_t len)
{
	double mb = (double)len / (1024.0 * 1024.0);

	printf("%6zu phrases: compile %8.2f ms | normalise %7.1f MB/s | match %7.1f MB/s | "
	       "normalise+match %7.1f MB/s (%6.1f ms, %zu matches) | hd_tone_scan %7.1f MB/s (%zu hits)\n",
	       r->nphrases, r->compile * 1e3, mb / r->norm, mb / r->match,
	       mb / (r->norm + r->match), (r->norm + r->match) * 1e3, r->matches,
	       mb / r->tone, r->hits);
}

/* Generate the text, run both policy sizes and memchr, print a summary. */
int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : BENCH_RUNS_DEFAULT;
	size_t len = BENCH_TEXT_BYTES;
	char *text = gen_text(len);
	double mb = (double)len / (1024.0 * 1024.0), best_memchr = 1e9;
	struct result small, large;
	const void *volatile sink = NULL;

	if (runs < 1)
		runs = 1;
	/* BENCH_WARM=1: keep big blocks on the heap so repeated scans reuse
	   memory instead of faulting in fresh pages from mmap every time. */
	if (getenv("BENCH_WARM") && *getenv("BENCH_WARM") == '1') {
		mallopt(M_MMAP_THRESHOLD, 256 << 20);
		mallopt(M_TRIM_THRESHOLD, 512 << 20);
	}
	printf("command: %s%s %d\n", getenv("BENCH_WARM") ? "BENCH_WARM=1 " : "", argv[0], runs);
	printf("text: %zu bytes of generated agent replies, best of %d runs\n", len, runs);
	for (int i = 0; i < runs; i++) {
		double t0 = now();
		sink = memchr(text, '\x01', len);	/* never present: full pass */
		t0 = now() - t0;
		if (t0 < best_memchr)
			best_memchr = t0;
	}
	(void)sink;
	small = bench_policy(3, text, len, runs);
	large = bench_policy(10000, text, len, runs);
	print_result(&small, len);
	print_result(&large, len);
	printf("memchr ceiling: %.1f MB/s\n", mb / best_memchr);
	printf("ratio 10000/3 (normalise+match time): %.2fx (target <= 1.5x)\n",
	       (large.norm + large.match) / (small.norm + small.match));
	printf("ratio 10000/3 (match only): %.2fx; (hd_tone_scan): %.2fx\n",
	       large.match / small.match, large.tone / small.tone);
	free(text);
	return 0;
}

/* test-matcher - Aho-Corasick matching on word boundaries, checked against a
   brute-force matcher on generated pattern sets. */
#include <config.h>
#include <check.h>
#include "check-run.h"
#include "test-util.h"
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "matcher.h"
#include "norm.h"
#include "util.h"

/* Matches collected by a scan. */
struct collected {
	struct hd_match *v;
	size_t n, cap;
	size_t stop_after;	/* 0 = never stop */
};

/* Scan callback: append the match. */
static bool collect(const struct hd_match *m, void *ctx)
{
	struct collected *c = ctx;

	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		c->v = xrealloc(c->v, c->cap * sizeof(*c->v));
	}
	c->v[c->n++] = *m;
	return c->stop_after == 0 || c->n < c->stop_after;
}

/* Normalise text and scan it with m. */
static struct collected scan_text(const struct hd_matcher *m, const char *text)
{
	struct collected c = { 0 };
	struct hd_normtext *nt = hd_norm_text(text, strlen(text));

	hd_matcher_scan(m, nt, collect, &c);
	hd_normtext_deinit(&nt);
	return c;
}

/* Build a matcher from NULL-terminated patterns with ids 0, 1, ... */
static struct hd_matcher *build(const char *const *pats)
{
	struct hd_matcher *m = hd_matcher_new();

	for (int i = 0; pats[i] != NULL; i++)
		ck_assert_msg(hd_matcher_add(m, pats[i], i), "add \"%s\"", pats[i]);
	hd_matcher_build(m);
	return m;
}

/* Number of matches of a one-pattern matcher in text. */
static size_t count_one(const char *pattern, const char *text)
{
	const char *pats[] = { pattern, NULL };
	struct hd_matcher *m = build(pats);
	struct collected c = scan_text(m, text);
	size_t n = c.n;

	free(c.v);
	hd_matcher_deinit(&m);
	ck_assert_ptr_null(m);
	return n;
}

START_TEST(word_bounded)
{
	ck_assert_uint_eq(count_one("calm down", "Please calm down."), 1);
	ck_assert_uint_eq(count_one("calm down", "calm down"), 1);
	ck_assert_uint_eq(count_one("calm down", "The calm downtown office."), 0);
	ck_assert_uint_eq(count_one("calm down", "xcalm down"), 0);
	ck_assert_uint_eq(count_one("calm down", "calm down_"), 0);
	ck_assert_uint_eq(count_one("calm down", "calm down2"), 0);
	ck_assert_uint_eq(count_one("calm down", "calm d\xc3\xa9" "down"), 0);
	ck_assert_uint_eq(count_one("calm down", "(calm down)"), 1);
	ck_assert_uint_eq(count_one("calm down", "CALM\r\n   Down, calm down!"), 2);
	ck_assert_uint_eq(count_one("calm down", "calm-down"), 0);
	/* Letters beyond ASCII are word characters too. */
	ck_assert_uint_eq(count_one("calm", "calm\xc3\xa9"), 0);
	ck_assert_uint_eq(count_one("caf\xc3\xa9", "un CAFE\xcc\x81 noir"), 1);
	/* Patterns whose edges are not word characters match next to words. */
	ck_assert_uint_eq(count_one("!!!", "wow!!! ok"), 1);
	ck_assert_uint_eq(count_one("$100", "only$100"), 1);
	ck_assert_uint_eq(count_one("$100", "only $1000"), 0);
	ck_assert_uint_eq(count_one("$100", "only $100."), 1);
	/* Patterns are normalised like text. */
	ck_assert_uint_eq(count_one("  CALM \t Down ", "please calm down"), 1);
	ck_assert_uint_eq(count_one("that\xe2\x80\x99s not", "That's not it"), 1);
	ck_assert_uint_eq(count_one("that's not", "That\xe2\x80\x99s not it"), 1);
}
END_TEST

START_TEST(overlapping)
{
	const char *pats[] = { "not our", "not our fault", "our fault", "fault", "our", NULL };
	struct hd_matcher *m = build(pats);
	const char *text = "It is NOT our fault.";
	struct collected c = scan_text(m, text);

	/* "it is not our fault." : not our [6,13), our [10,13), then at 19:
	   not our fault [6,19), our fault [10,19), fault [14,19). */
	ck_assert_uint_eq(c.n, 5);
	ck_assert_int_eq(c.v[0].id, 0);
	ck_assert_uint_eq(c.v[0].start, 6);
	ck_assert_uint_eq(c.v[0].end, 13);
	ck_assert_int_eq(c.v[1].id, 4);
	ck_assert_uint_eq(c.v[1].start, 10);
	ck_assert_int_eq(c.v[2].id, 1);
	ck_assert_uint_eq(c.v[2].start, 6);
	ck_assert_uint_eq(c.v[2].end, 19);
	ck_assert_int_eq(c.v[3].id, 2);
	ck_assert_int_eq(c.v[4].id, 3);
	ck_assert_uint_eq(c.v[4].start, 14);
	for (size_t i = 1; i < c.n; i++)
		ck_assert(c.v[i].end >= c.v[i - 1].end);
	free(c.v);

	/* The callback can stop the scan. */
	{
		struct collected d = { .stop_after = 2 };
		struct hd_normtext *nt = hd_norm_text(text, strlen(text));
		hd_matcher_scan(m, nt, collect, &d);
		ck_assert_uint_eq(d.n, 2);
		hd_normtext_deinit(&nt);
		free(d.v);
	}
	ck_assert(hd_matcher_matches(m, "fault", 5));
	ck_assert(!hd_matcher_matches(m, "faulty", 6));
	ck_assert_uint_eq(hd_matcher_count(m), 5);
	hd_matcher_deinit(&m);
}
END_TEST

START_TEST(shared_ids_and_duplicates)
{
	struct hd_matcher *m = hd_matcher_new();
	struct collected c;

	ck_assert(hd_matcher_add(m, "not our fault", 7));
	ck_assert(hd_matcher_add(m, "not our problem", 7));
	ck_assert(hd_matcher_add(m, "NOT OUR FAULT", 9));	/* same normalised text */
	hd_matcher_build(m);
	c = scan_text(m, "not our problem, not our fault");
	ck_assert_uint_eq(c.n, 3);
	ck_assert_int_eq(c.v[0].id, 7);
	ck_assert((c.v[1].id == 7 && c.v[2].id == 9) || (c.v[1].id == 9 && c.v[2].id == 7));
	ck_assert_uint_eq(c.v[1].end, c.v[2].end);
	free(c.v);
	/* Immutable once built. */
	ck_assert(!hd_matcher_add(m, "more", 1));
	ck_assert_uint_eq(hd_matcher_count(m), 3);
	hd_matcher_deinit(&m);
}
END_TEST

START_TEST(limits)
{
	struct hd_matcher *m = hd_matcher_new();
	char *big = xmalloc(HD_MATCHER_MAX_PATTERN_BYTES + 2);
	struct collected c;

	ck_assert(!hd_matcher_add(m, "", 1));
	ck_assert(!hd_matcher_add(m, " \t\r\n", 1));
	ck_assert(!hd_matcher_add(m, "\xc2\xad\xe2\x80\x8b", 1));	/* only ignorables */
	memset(big, 'a', HD_MATCHER_MAX_PATTERN_BYTES + 1);
	big[HD_MATCHER_MAX_PATTERN_BYTES + 1] = '\0';
	ck_assert(!hd_matcher_add(m, big, 1));
	big[HD_MATCHER_MAX_PATTERN_BYTES] = '\0';
	ck_assert(hd_matcher_add(m, big, 2));
	ck_assert_uint_eq(hd_matcher_count(m), 1);
	hd_matcher_build(m);
	c = scan_text(m, big);
	ck_assert_uint_eq(c.n, 1);
	ck_assert_int_eq(c.v[0].id, 2);
	free(c.v);
	free(big);
	hd_matcher_deinit(&m);

	/* An empty matcher matches nothing. */
	m = hd_matcher_new();
	hd_matcher_build(m);
	ck_assert(!hd_matcher_matches(m, "anything", 8));
	hd_matcher_deinit(&m);
	hd_matcher_deinit(&m);	/* NULL is fine */
}
END_TEST

/* Deterministic PRNG (xorshift32). */
#define rnd hd_test_xorshift32

/* True when the match [s, e) of text (normalised) is word-bounded. */
static bool bounded(const char *t, size_t len, size_t s, size_t e)
{
	return !hd_norm_inside_word(t, len, s) && !hd_norm_inside_word(t, len, e);
}

/* qsort comparator: matches by end, then start descending, then id. */
static int cmp_match(const void *a, const void *b)
{
	const struct hd_match *x = a, *y = b;

	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	if (x->start != y->start)
		return x->start > y->start ? -1 : 1;
	return (x->id > y->id) - (x->id < y->id);
}

/* Compare the automaton with brute force for these patterns and text. */
static void compare_brute(char **pats, size_t npats, const char *text, size_t dense)
{
	struct hd_matcher *m = hd_matcher_new();
	struct hd_normtext *nt = hd_norm_text(text, strlen(text));
	struct collected got = { 0 }, want = { 0 };

	for (size_t i = 0; i < npats; i++)
		ck_assert(hd_matcher_add(m, pats[i], (int)i));
	hd_matcher_set_dense_bytes(m, dense);
	hd_matcher_build(m);
	hd_matcher_scan(m, nt, collect, &got);
	for (size_t i = 0; i < npats; i++) {
		char *p = hd_norm_string(pats[i]);
		size_t pl = strlen(p);
		const char *h = nt->text;

		while ((h = strstr(h, p)) != NULL) {
			size_t s = (size_t)(h - nt->text);
			if (bounded(nt->text, nt->len, s, s + pl)) {
				struct hd_match w = { (int)i, s, s + pl };
				collect(&w, &want);
			}
			h++;
		}
		free(p);
	}
	for (size_t i = 1; i < got.n; i++)
		ck_assert_msg(got.v[i].end >= got.v[i - 1].end, "not in end order at %zu", i);
	ck_assert_uint_eq(got.n, want.n);
	qsort(got.v, got.n, sizeof(*got.v), cmp_match);
	qsort(want.v, want.n, sizeof(*want.v), cmp_match);
	for (size_t i = 0; i < got.n; i++) {
		ck_assert_int_eq(got.v[i].id, want.v[i].id);
		ck_assert_uint_eq(got.v[i].start, want.v[i].start);
		ck_assert_uint_eq(got.v[i].end, want.v[i].end);
	}
	free(got.v);
	free(want.v);
	hd_normtext_deinit(&nt);
	hd_matcher_deinit(&m);
}

START_TEST(small_alphabet_against_brute_force)
{
	/* Tiny alphabet: heavy overlap exercises fail and dictionary links. */
	uint32_t st = 12345 + (uint32_t)_i;
	size_t npats = 40;
	char **pats = xcalloc(npats, sizeof(*pats));
	char text[4001];

	for (size_t i = 0; i < npats; i++) {
		size_t len = 1 + rnd(&st) % 6;
		pats[i] = xcalloc(len + 1, 1);
		for (size_t k = 0; k < len; k++) {
			uint32_t r = rnd(&st) % 7;
			pats[i][k] = r < 3 ? 'a' : r < 5 ? 'b' : r < 6 ? ' ' : '.';
		}
		if (pats[i][0] == ' ' || pats[i][len - 1] == ' ')
			pats[i][0] = pats[i][len - 1] = 'a';
	}
	for (size_t k = 0; k < sizeof(text) - 1; k++) {
		uint32_t r = rnd(&st) % 8;
		text[k] = r < 3 ? 'a' : r < 5 ? 'b' : r < 6 ? ' ' : r < 7 ? '.' : 'c';
	}
	text[sizeof(text) - 1] = '\0';
	/* Fully dense, only the root dense, and a few dense rows. */
	compare_brute(pats, npats, text, HD_MATCHER_DENSE_MAX_BYTES);
	compare_brute(pats, npats, text, 0);
	compare_brute(pats, npats, text, 200);
	for (size_t i = 0; i < npats; i++)
		free(pats[i]);
	free(pats);
}
END_TEST

static const char *const vocab[] = {
	"calm", "down", "not", "our", "fault", "problem", "policy", "refund", "you",
	"should", "have", "read", "the", "manual", "obviously", "as", "i", "said",
	"before", "per", "my", "last", "email", "unfortunately", "cannot", "help",
	"customer", "service", "team", "will", "get", "back", "to", "soon", "we",
	"apologise", "for", "inconvenience", "caf\xc3\xa9", "na\xc3\xafve", "please",
};
#define NVOCAB (sizeof(vocab) / sizeof(vocab[0]))

START_TEST(many_patterns_against_brute_force)
{
	/* Enough patterns that the automaton has deep sparse states. */
	uint32_t st = 987654321u;
	size_t npats = 6000;
	char **pats = xcalloc(npats, sizeof(*pats));
	struct strbuf text;

	for (size_t i = 0; i < npats; i++) {
		struct strbuf sb;
		size_t words = 1 + rnd(&st) % 4;

		sb_init(&sb);
		for (size_t w = 0; w < words; w++) {
			if (w > 0)
				sb_putc(&sb, ' ');
			sb_puts(&sb, vocab[rnd(&st) % NVOCAB]);
		}
		/* Some patterns with a random suffix so the trie gets deep. */
		if (rnd(&st) % 2)
			sb_printf(&sb, " x%u", rnd(&st) % 50);
		pats[i] = sb_steal(&sb);
	}
	sb_init(&text);
	for (size_t w = 0; w < 3000; w++) {
		uint32_t r = rnd(&st) % 20;
		if (w > 0)
			sb_puts(&text, r == 0 ? ",\n" : r == 1 ? ". " : " ");
		if (r == 2)
			sb_printf(&text, "x%u", rnd(&st) % 50);
		else if (r == 3)
			sb_printf(&text, "%sX", vocab[rnd(&st) % NVOCAB]);
		else
			sb_puts(&text, vocab[rnd(&st) % NVOCAB]);
	}
	compare_brute(pats, npats, text.s, HD_MATCHER_DENSE_MAX_BYTES);
	compare_brute(pats, npats, text.s, 0);
	sb_free(&text);
	for (size_t i = 0; i < npats; i++)
		free(pats[i]);
	free(pats);
}
END_TEST

/* Shared state of the thread test. */
struct thread_arg {
	const struct hd_matcher *m;
	const struct hd_normtext *nt;
	size_t n;
};

/* Thread body: scan the shared text with the shared matcher. */
static void *thread_scan(void *p)
{
	struct thread_arg *a = p;
	struct collected c = { 0 };

	for (int round = 0; round < 20; round++) {
		c.n = 0;
		hd_matcher_scan(a->m, a->nt, collect, &c);
	}
	a->n = c.n;
	free(c.v);
	return NULL;
}

START_TEST(concurrent_scans)
{
	const char *pats[] = { "calm down", "not our fault", "our", NULL };
	struct hd_matcher *m = build(pats);
	struct strbuf sb;
	struct hd_normtext *nt;
	pthread_t th[4];
	struct thread_arg args[4];

	sb_init(&sb);
	for (int i = 0; i < 500; i++)
		sb_puts(&sb, "Please calm down, it is not our fault. ");
	nt = hd_norm_text(sb.s, sb.len);
	for (int i = 0; i < 4; i++) {
		args[i] = (struct thread_arg){ m, nt, 0 };
		ck_assert_int_eq(pthread_create(&th[i], NULL, thread_scan, &args[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		ck_assert_uint_eq(args[i].n, 1500);
	}
	hd_normtext_deinit(&nt);
	sb_free(&sb);
	hd_matcher_deinit(&m);
}
END_TEST

/* Build the suite. */
static Suite *matcher_suite(void)
{
	Suite *s = suite_create("matcher");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, word_bounded);
	tcase_add_test(tc, overlapping);
	tcase_add_test(tc, shared_ids_and_duplicates);
	tcase_add_test(tc, limits);
	tcase_add_loop_test(tc, small_alphabet_against_brute_force, 0, 8);
	tcase_add_test(tc, many_patterns_against_brute_force);
	tcase_add_test(tc, concurrent_scans);
	suite_add_tcase(s, tc);
	return s;
}

/* Run the suite; non-zero exit on failure. */
int main(void)
{
	int failed = hd_check_run(matcher_suite());
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* test-norm - Unicode normalisation for matching, offsets and word boundaries. */
#include <config.h>
#include <check.h>
#include "check-run.h"
#include "test-util.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#include "norm.h"

/* Normalise s and compare with want. */
static void expect_norm(const char *s, const char *want)
{
	char *got = hd_norm_string(s);

	ck_assert_msg(strcmp(got, want) == 0, "norm(\"%s\") = \"%s\", want \"%s\"", s, got, want);
	free(got);
}

/* Check the structural promises of a normalised text for input s. */
static void check_invariants(const char *s, size_t len)
{
	struct hd_normtext *nt = hd_norm_text(s, len);
	utf8proc_ssize_t off = 0;

	ck_assert_uint_eq(strlen(nt->text), nt->len);
	ck_assert_uint_eq(nt->orig[nt->len], len);
	for (size_t i = 0; i < nt->len; i++) {
		ck_assert_msg(nt->orig[i] < len, "orig[%zu] out of range", i);
		if (i > 0)
			ck_assert_msg(nt->orig[i] >= nt->orig[i - 1], "orig not monotonic at %zu", i);
	}
	/* Output is valid UTF-8, never starts or ends with a space, no double spaces. */
	while (off < (utf8proc_ssize_t)nt->len) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)nt->text + off,
						      (utf8proc_ssize_t)nt->len - off, &cp);
		ck_assert_msg(k > 0, "invalid UTF-8 in output at %zd", off);
		off += k;
	}
	if (nt->len > 0) {
		ck_assert(nt->text[0] != ' ');
		ck_assert(nt->text[nt->len - 1] != ' ');
	}
	ck_assert_ptr_null(strstr(nt->text, "  "));
	hd_normtext_deinit(&nt);
	ck_assert_ptr_null(nt);
}

/* The original text of the first occurrence of needle in normalised s. */
static char *orig_slice(const char *s, const char *needle)
{
	struct hd_normtext *nt = hd_norm_text(s, strlen(s));
	const char *hit = strstr(nt->text, needle);
	char *out = NULL;

	if (hit != NULL) {
		size_t start = (size_t)(hit - nt->text), end = start + strlen(needle);
		size_t ostart = nt->orig[start], oend = hd_norm_orig_end(nt, s, end);
		out = strndup(s + ostart, oend - ostart);
	}
	hd_normtext_deinit(&nt);
	return out;
}

START_TEST(evasions)
{
	expect_norm("ca\xc2\xadlm down", "calm down");		/* soft hyphen */
	expect_norm("c\xe2\x80\x8b" "alm d\xe2\x80\x8c" "o\xe2\x80\x8dwn", "calm down"); /* ZWSP/ZWNJ/ZWJ */
	expect_norm("ca\xe2\x81\xa0lm\xef\xbb\xbf down\xef\xb8\x8f", "calm down"); /* WJ, BOM, VS16 */
	expect_norm("that\xe2\x80\x99s not our fault", "that's not our fault");
	expect_norm("c\xd0\xb0lm down", "calm down");		/* Cyrillic a */
	expect_norm("\xd0\xa1\xd0\x90LM D\xd0\x9eWN", "calm down");	/* Cyrillic capitals */
	expect_norm("\xef\xbc\xa3\xef\xbc\xa1\xef\xbc\xac\xef\xbc\xad \xef\xbd\x84\xef\xbd\x8f\xef\xbd\x97\xef\xbd\x8e",
		    "calm down");				/* fullwidth */
	expect_norm("CALM DOWN", "calm down");
	expect_norm("calm\r\n   down", "calm down");
	expect_norm("calm\n\n\t down", "calm down");
	expect_norm("calm\xc2\xa0" "down", "calm down");		/* NBSP */
	expect_norm("calm\xe3\x80\x80\xe2\x80\x82\xe2\x80\xa8" "down", "calm down"); /* U+3000, U+2002, U+2028 */
	expect_norm("  \t calm down \r\n ", "calm down");
	expect_norm("\xce\x97\xce\x95LP", "help");			/* Greek capital Eta, Epsilon */
	expect_norm("\xf0\x9d\x90\x9c\xf0\x9d\x90\x9a\xf0\x9d\x90\xa5\xf0\x9d\x90\xa6", "calm"); /* math bold */
}
END_TEST

START_TEST(quotes_dashes_composition)
{
	expect_norm("\xe2\x80\x9cyes\xe2\x80\x9d \xe2\x80\x98no\xe2\x80\x99 \xe2\x80\x9bx\xe2\x80\xb2 \xe2\x80\x9eq\xe2\x80\xb3",
		    "\"yes\" 'no' 'x' \"q\"");
	expect_norm("a\xe2\x80\x90" "b\xe2\x80\x91" "c\xe2\x80\x92" "d\xe2\x80\x93" "e\xe2\x80\x94" "f\xe2\x80\x95" "g\xe2\x88\x92" "h",
		    "a-b-c-d-e-f-g-h");
	/* Decomposed and precomposed forms meet; case folding beyond ASCII. */
	expect_norm("CAFE\xcc\x81", "caf\xc3\xa9");
	expect_norm("Caf\xc3\xa9", "caf\xc3\xa9");
	expect_norm("CAF\xc3\x89", "caf\xc3\xa9");
	expect_norm("STRASSE stra\xc3\x9f" "e", "strasse strasse");
	expect_norm("\xef\xac\x81ne", "fine");				/* ligature fi */
	/* Greek capital Sigma is not a confusable: it folds to sigma, not o. */
	expect_norm("\xce\xa3", "\xcf\x83");
	/* Genuine non-Latin text keeps its letters where no confusable exists. */
	expect_norm("\xd0\x9f\xd0\xbb\xd0\xb0\xd0\xbd", "\xd0\xbf\xd0\xbb" "a" "\xd0\xbd");
}
END_TEST

START_TEST(ascii_never_confusable)
{
	for (int c = 0x21; c < 0x7F; c++) {
		char in[4] = { 'x', (char)c, 'x', 0 };
		char want[4] = { 'x', (char)((c >= 'A' && c <= 'Z') ? c + 32 : c), 'x', 0 };
		expect_norm(in, want);
	}
	/* Controls and white space only separate. */
	for (int c = 0x01; c <= 0x20; c++) {
		char in[4] = { 'a', (char)c, 'b', 0 };
		expect_norm(in, "a b");
	}
	expect_norm("a\x7f" "b", "a b");
	/* A NUL inside the length separates like white space. */
	{
		struct hd_normtext *nt = hd_norm_text("a\0b", 3);
		ck_assert_str_eq(nt->text, "a b");
		hd_normtext_deinit(&nt);
	}
}
END_TEST

START_TEST(offsets)
{
	char *s;

	s = orig_slice("Please ca\xc2\xadlm  down now.", "calm down");
	ck_assert_str_eq(s, "ca\xc2\xadlm  down");
	free(s);
	s = orig_slice("Please calm\r\n down\xe2\x80\x8b now.", "calm down");
	ck_assert_str_eq(s, "calm\r\n down");
	free(s);
	s = orig_slice("\xe2\x80\x8b\xe2\x80\x8b  C\xd0\xb0LM down", "calm down");
	ck_assert_str_eq(s, "C\xd0\xb0LM down");
	free(s);
	s = orig_slice("x \xef\xbc\xa3\xef\xbc\xa1\xef\xbc\xac\xef\xbc\xad y", "calm");
	ck_assert_str_eq(s, "\xef\xbc\xa3\xef\xbc\xa1\xef\xbc\xac\xef\xbc\xad");
	free(s);
	s = orig_slice("That\xe2\x80\x99s not our fault!", "that's not");
	ck_assert_str_eq(s, "That\xe2\x80\x99s not");
	free(s);
	s = orig_slice("un cafe\xcc\x81 noir", "caf\xc3\xa9");
	ck_assert_str_eq(s, "cafe\xcc\x81");
	free(s);
	s = orig_slice("calm down", "calm down");
	ck_assert_str_eq(s, "calm down");
	free(s);

	/* Exact orig values for a simple case. */
	{
		const char *in = " a\xc2\xad" "B  c";
		struct hd_normtext *nt = hd_norm_text(in, strlen(in));
		ck_assert_str_eq(nt->text, "ab c");
		ck_assert_uint_eq(nt->orig[0], 1);
		ck_assert_uint_eq(nt->orig[1], 4);
		ck_assert_uint_eq(nt->orig[2], 5);
		ck_assert_uint_eq(nt->orig[3], 7);
		ck_assert_uint_eq(nt->orig[4], 8);
		hd_normtext_deinit(&nt);
	}
}
END_TEST

START_TEST(invariants)
{
	static const char *samples[] = {
		"", " ", "\r\n", "plain ascii text.", "  lead and trail  ",
		"ca\xc2\xadlm \xe2\x80\x8b down \xc2\xa0\xc2\xa0 now",
		"\xff\xfe\xfd", "a\xc3", "\xe2\x82", "\xf0\x9f\x98", "\xed\xa0\x80", "\xc0\xaf",
		"e\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81"
		"\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81",
		"\xef\xb7\xba x", "\xcc\x81 leading mark", "\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4",
	};
	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++)
		check_invariants(samples[i], strlen(samples[i]));
	/* Every byte value in every position class. */
	{
		char buf[3 * 256];
		for (int b = 0; b < 256; b++) {
			buf[3 * b] = 'a';
			buf[3 * b + 1] = (char)b;
			buf[3 * b + 2] = ' ';
		}
		check_invariants(buf, sizeof(buf));
	}
}
END_TEST

START_TEST(invalid_utf8)
{
	expect_norm("a\xff" "b", "a\xef\xbf\xbd" "b");
	expect_norm("a\xc3", "a\xef\xbf\xbd");				/* truncated at end */
	expect_norm("\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd");		/* overlong */
	expect_norm("\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"); /* surrogate */
	expect_norm("\xe2\x82 x", "\xef\xbf\xbd\xef\xbf\xbd x");
	/* Valid text around survives. */
	expect_norm("Calm\xfe" "Down", "calm\xef\xbf\xbd" "down");
}
END_TEST

START_TEST(word_boundaries)
{
	const char *t = "calm downtown_x caf\xc3\xa9 it's";
	size_t n = strlen(t);

	ck_assert(hd_norm_is_word_boundary(t, n, 0));
	ck_assert(!hd_norm_is_word_boundary(t, n, 2));
	ck_assert(hd_norm_is_word_boundary(t, n, 4));		/* "calm|" */
	ck_assert(hd_norm_is_word_boundary(t, n, 5));		/* "|downtown" */
	ck_assert(!hd_norm_is_word_boundary(t, n, 9));		/* "down|town" */
	ck_assert(!hd_norm_is_word_boundary(t, n, 14));		/* "_" is a word character */
	ck_assert(hd_norm_is_word_boundary(t, n, 15));
	ck_assert(!hd_norm_is_word_boundary(t, n, 19));		/* "caf|é": é is a letter */
	ck_assert(hd_norm_is_word_boundary(t, n, 21));		/* "café|" */
	ck_assert(hd_norm_is_word_boundary(t, n, 24));		/* "it|'s" */
	ck_assert(hd_norm_is_word_boundary(t, n, n));
	ck_assert(!hd_norm_is_word_boundary("a  b", 4, 2));	/* between two spaces */

	ck_assert(hd_norm_inside_word(t, n, 9));
	ck_assert(!hd_norm_inside_word(t, n, 4));
	ck_assert(!hd_norm_inside_word(t, n, 0));
	ck_assert(!hd_norm_inside_word(t, n, n));
	ck_assert(!hd_norm_inside_word("a  b", 4, 2));
	ck_assert(hd_norm_inside_word(t, n, 19));		/* "caf|é" */

	ck_assert(hd_norm_is_word_cp('a'));
	ck_assert(hd_norm_is_word_cp('7'));
	ck_assert(hd_norm_is_word_cp('_'));
	ck_assert(!hd_norm_is_word_cp('\''));
	ck_assert(!hd_norm_is_word_cp(' '));
	ck_assert(hd_norm_is_word_cp(0x0430));			/* Cyrillic a */
	ck_assert(hd_norm_is_word_cp(0x0301));			/* combining mark */
	ck_assert(hd_norm_is_word_cp(0x0663));			/* Arabic-Indic three */
	ck_assert(!hd_norm_is_word_cp(0xFFFD));
	ck_assert(!hd_norm_is_word_cp(0x2014));
}
END_TEST

/* Deterministic PRNG (xorshift32) for the oracle test. */
static uint32_t oracle_rng = 2463534242u;
static uint32_t oracle_rnd(void)
{
	return hd_test_xorshift32(&oracle_rng);
}

/* Append the UTF-8 of cp to buf at *n. */
static void put_utf8(char *buf, size_t *n, utf8proc_int32_t cp)
{
	*n += (size_t)utf8proc_encode_char(cp, (utf8proc_uint8_t *)buf + *n);
}

/* Assert that the fast paths and the general path agree on s: same text,
   same length and the same origin of every output byte. */
static void expect_same_as_general(const char *s, size_t len)
{
	struct hd_normtext *fast = hd_norm_text(s, len), *ref = hd_norm_text_general(s, len);

	ck_assert_uint_eq(fast->len, ref->len);
	ck_assert_int_eq(memcmp(fast->text, ref->text, ref->len + 1), 0);
	for (size_t i = 0; i <= ref->len; i++)
		ck_assert_uint_eq(fast->orig[i], ref->orig[i]);
	hd_normtext_deinit(&fast);
	hd_normtext_deinit(&ref);
}

START_TEST(fast_path_oracle)
{
	/* Pieces that meet every branch: ASCII of every class, ASCII before a
	   combining mark, spaces and controls of both kinds, ignorables,
	   confusables, compatibility forms, quotes and dashes, long
	   decompositions, invalid and truncated UTF-8, and CJK code points
	   that collide in the cluster cache. */
	static const char *const pieces[] = {
		"a", "Z", "q", "0", "_", "'", "-", " ", "  ", "\t", "\r\n", "\n", "\x01", "\x7f", ".",
		"e\xcc\x81", "A\xcc\x88", "\xcc\x81", "\xc3\xa9", "\xc3\x89", "\xc3\x9f",
		"\xd0\xb0", "\xd0\x90", "\xce\x97", "\xce\xb7", "\xc4\xb1", "\xe2\x80\x99",
		"\xe2\x80\x9c", "\xe2\x80\x94", "\xe2\x88\x92", "\xc2\xad", "\xe2\x80\x8b",
		"\xc2\xa0", "\xe2\x80\xa8", "\xc2\x85", "\xef\xb7\xba", "\xef\xbc\xa1",
		"\xef\xac\x81", "\xe2\x84\xab", "\xc2\xa8", "\xed\x95\x9c", "\xff", "\xc3",
		"\xe2\x82", "\xf0\x9f\x98\x80", "\xef\xbb\xbf", "\xe2\x80\x8d",
	};
	size_t npieces = sizeof(pieces) / sizeof(pieces[0]);
	char buf[4096];

	for (int iter = 0; iter < 2000; iter++) {
		size_t n = 0, want = oracle_rnd() % 120;
		int mode = iter % 4;	/* 0: ASCII only, 1: pieces, 2: pieces + CJK, 3: raw bytes */

		for (size_t k = 0; k < want && n + 8 < sizeof(buf); k++) {
			uint32_t r = oracle_rnd();

			if (mode == 0) {
				buf[n++] = (char)(r % 128);
			} else if (mode == 3) {
				buf[n++] = (char)(r % 256);
			} else if (mode == 2 && r % 3 == 0) {
				put_utf8(buf, &n, (utf8proc_int32_t)(0x4E00 + (r >> 8) % 0x5000));
			} else {
				const char *p = pieces[(r >> 4) % npieces];
				size_t pl = strlen(p);

				memcpy(buf + n, p, pl);
				n += pl;
			}
		}
		expect_same_as_general(buf, n);
		/* hd_norm_string (its own ASCII loop) gives the same text. */
		{
			char *z = strndup(buf, n), *got = hd_norm_string(z);
			struct hd_normtext *ref = hd_norm_text_general(z, strlen(z));

			ck_assert_str_eq(got, ref->text);
			free(got);
			free(z);
			hd_normtext_deinit(&ref);
		}
	}
	/* A long run so that the cache is overwritten many times. */
	{
		size_t n = 0;
		for (utf8proc_int32_t cp = 0x400; n + 8 < sizeof(buf); cp = cp == 0x4FF ? 0x400 : cp + 1) {
			put_utf8(buf, &n, cp);
			if (cp % 7 == 0)
				buf[n++] = ' ';
		}
		expect_same_as_general(buf, n);
	}
}
END_TEST

/* Build the suite. */
static Suite *norm_suite(void)
{
	Suite *s = suite_create("norm");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, evasions);
	tcase_add_test(tc, quotes_dashes_composition);
	tcase_add_test(tc, ascii_never_confusable);
	tcase_add_test(tc, offsets);
	tcase_add_test(tc, invariants);
	tcase_add_test(tc, invalid_utf8);
	tcase_add_test(tc, word_boundaries);
	tcase_add_test(tc, fast_path_oracle);
	suite_add_tcase(s, tc);
	return s;
}

/* Run the suite; non-zero exit on failure. */
int main(void)
{
	int failed = hd_check_run(norm_suite());
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

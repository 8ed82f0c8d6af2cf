/* test-amount - amounts in agents' words and their kind. */
#include <config.h>
#include <check.h>
#include "check-run.h"
#include "test-util.h"
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "util.h"
#include "amount.h"
#include "amount-int.h"
#include "amount-oracle.h"

/* Scan s and expect exactly one amount with these properties. */
static void expect_one(const char *s, enum hd_amount_kind kind, double value,
		       const char *currency, bool percent, const char *text)
{
	struct hd_amount *a;
	size_t n = hd_amount_scan(s, "USD", &a);

	ck_assert_msg(n == 1, "'%s': %zu amounts", s, n);
	ck_assert_int_eq(a[0].kind, kind);
	ck_assert_msg(fabs(a[0].value - value) < 0.001, "'%s': value %f", s, a[0].value);
	ck_assert_str_eq(a[0].currency, currency);
	ck_assert_int_eq(a[0].percent, percent);
	ck_assert_str_eq(a[0].text, text);
	hd_amounts_free(a, n);
}

START_TEST(spec_examples)
{
	expect_one("I have issued a refund of $250.00 to your card.", HD_AMOUNT_REFUND, 250.0, "USD", false, "$250.00");
	expect_one("We credited 40 EUR to your account.", HD_AMOUNT_CREDIT, 40.0, "EUR", false, "40 EUR");
	expect_one("You will be refunded USD 200 within 5 days.", HD_AMOUNT_REFUND, 200.0, "USD", false, "USD 200");
	expect_one("Here is 20% off your next order.", HD_AMOUNT_DISCOUNT, 20.0, "", true, "20%");
	expect_one("I waived the $15 fee.", HD_AMOUNT_CREDIT, 15.0, "USD", false, "$15");
	expect_one("A refund of \xc2\xa3" "1,250.50 is on its way.", HD_AMOUNT_REFUND, 1250.5, "GBP", false, "\xc2\xa3" "1,250.50");
	expect_one("We will reimburse 40,50 EUR.", HD_AMOUNT_REFUND, 40.5, "EUR", false, "40,50 EUR");
	expect_one("a 15 percent discount", HD_AMOUNT_DISCOUNT, 15.0, "", true, "15 percent");
}
END_TEST

START_TEST(not_money_of_a_kind)
{
	struct hd_amount *a;

	/* Amounts without a refund/credit/discount word in their sentence do not count. */
	ck_assert_uint_eq(hd_amount_scan("Your invoice of $500 is due. We refund nothing.", "USD", &a), 0);
	hd_amounts_free(a, 0);
	ck_assert_uint_eq(hd_amount_scan("Flight A320 costs 300 and 20 items", "USD", &a), 0);
	hd_amounts_free(a, 0);
	/* "off" makes only a percentage a discount. */
	ck_assert_uint_eq(hd_amount_scan("Turn $5 off and on again.", "USD", &a), 0);
	hd_amounts_free(a, 0);
}
END_TEST

START_TEST(several_and_lines)
{
	struct hd_amount *a;
	size_t n = hd_amount_scan("Hello,\n\nI refunded $30.\nI also credited $70 as goodwill.\n", "USD", &a);

	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(a[0].kind, HD_AMOUNT_REFUND);
	ck_assert_int_eq(a[0].line, 3);
	ck_assert_int_eq(a[1].kind, HD_AMOUNT_CREDIT);
	ck_assert_int_eq(a[1].line, 4);
	hd_amounts_free(a, n);
}
END_TEST

START_TEST(declared)
{
	struct hd_amount a;

	ck_assert(hd_amount_parse("250", "USD", &a));
	ck_assert(fabs(a.value - 250) < 0.001);
	ck_assert_str_eq(a.currency, "USD");
	free(a.text);
	ck_assert(hd_amount_parse(" $99.95 ", "USD", &a));
	ck_assert(fabs(a.value - 99.95) < 0.001);
	free(a.text);
	ck_assert(hd_amount_parse("20%", "USD", &a));
	ck_assert(a.percent);
	free(a.text);
	ck_assert(!hd_amount_parse("lots", "USD", &a));
	ck_assert(!hd_amount_parse("250 apples", "USD", &a));
}
END_TEST

/* Scan s and expect exactly n amounts. */
static void expect_count(const char *s, size_t want)
{
	struct hd_amount *a;
	size_t n = hd_amount_scan(s, "USD", &a);

	ck_assert_msg(n == want, "'%s': %zu amounts, want %zu", s, n, want);
	hd_amounts_free(a, n);
}

/* Currency words in the common currencies and languages, and European
   number formats ("5.000,00 EUR" is five thousand, not 5.00). */
START_TEST(currency_words_and_formats)
{
	static const struct {
		const char *text;
		enum hd_amount_kind kind;
		double value;
		const char *currency, *written;
	} cases[] = {
		{ "We'll refund you 60 dollars.", HD_AMOUNT_REFUND, 60.0, "USD", "60 dollars" },
		{ "We credited 40 euros to your account.", HD_AMOUNT_CREDIT, 40.0, "EUR", "40 euros" },
		{ "A refund of \xc2\xa3" "15 is on its way.", HD_AMOUNT_REFUND, 15.0, "GBP", "\xc2\xa3" "15" },
		{ "Zwrot 100 z\xc5\x82 zosta\xc5\x82 zlecony.", HD_AMOUNT_REFUND, 100.0, "PLN", "100 z\xc5\x82" },
		{ "We refunded 500 yen.", HD_AMOUNT_REFUND, 500.0, "JPY", "500 yen" },
		{ "I refunded 20 pounds.", HD_AMOUNT_REFUND, 20.0, "GBP", "20 pounds" },
		{ "Wir haben 30 Franken erstattet.", HD_AMOUNT_REFUND, 30.0, "CHF", "30 Franken" },
		{ "Le remboursement de 25 euros est fait.", HD_AMOUNT_REFUND, 25.0, "EUR", "25 euros" },
		{ "We refunded \xe2\x82\xb9" "800.", HD_AMOUNT_REFUND, 800.0, "INR", "\xe2\x82\xb9" "800" },
		{ "A refund of \xe2\x82\xac" "5.000,00 is on its way.", HD_AMOUNT_REFUND, 5000.0, "EUR", "\xe2\x82\xac" "5.000,00" },
		{ "We refund 5.000 EUR.", HD_AMOUNT_REFUND, 5000.0, "EUR", "5.000 EUR" },
		{ "We refund 1.250,00 EUR.", HD_AMOUNT_REFUND, 1250.0, "EUR", "1.250,00 EUR" },
		{ "A refund of \xc2\xa5" "90000 was made.", HD_AMOUNT_REFUND, 90000.0, "JPY", "\xc2\xa5" "90000" },
		{ "A refund of 12,50 \xe2\x82\xac was made.", HD_AMOUNT_REFUND, 12.5, "EUR", "12,50 \xe2\x82\xac" },
		{ "A refund of $1,250,000 was made.", HD_AMOUNT_REFUND, 1250000.0, "USD", "$1,250,000" },
		{ "A refund of $0.125 was made.", HD_AMOUNT_REFUND, 0.125, "USD", "$0.125" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_one(cases[i].text, cases[i].kind, cases[i].value, cases[i].currency, false, cases[i].written);
	/* a currency name is a whole word: "euro" is not "europe" */
	expect_count("We refund 5 europeans.", 0);
}
END_TEST

START_TEST(governed_by_the_grant)
{
	/* the $90 is what was paid, not what is refunded */
	expect_one("I issued a partial refund of $30 (of the $90 you paid).", HD_AMOUNT_REFUND, 30.0, "USD",
		   false, "$30");
	expect_one("You paid $90 and we refunded $30 today.", HD_AMOUNT_REFUND, 30.0, "USD", false, "$30");
	expect_one("The $15 fee was waived.", HD_AMOUNT_CREDIT, 15.0, "USD", false, "$15");
	/* a rule grants nothing */
	expect_count("Refunds over $100 need approval.", 0);
	expect_count("Refunds need manager approval above $100.", 0);
	expect_count("Refunds of $100 need manager approval.", 0);
	/* passive voice: the amount before the verb, not the next one */
	{
		struct hd_amount *a;
		size_t n = hd_amount_scan("Your $120 was refunded in full, and a $20 credit was added.", "USD", &a);
		ck_assert_uint_eq(n, 2);
		ck_assert(fabs(a[0].value - 120) < 0.001 && a[0].kind == HD_AMOUNT_REFUND);
		ck_assert(fabs(a[1].value - 20) < 0.001 && a[1].kind == HD_AMOUNT_CREDIT);
		hd_amounts_free(a, n);
	}
	/* two grants in one sentence are two amounts */
	expect_count("I refunded $30 and credited $20.", 2);
}
END_TEST

START_TEST(linear_on_many_amounts)
{
	/* 1 MB of "$1 " took 5 s (27 s for 3.9 MB in a reply): 800 bytes
	   searched around every amount */
	size_t n = 1 << 20;
	char *s = xmalloc(n + 64);
	struct hd_amount *a;
	size_t got;
	clock_t t0 = clock();

	memset(s, ' ', n);
	for (size_t i = 0; i + 3 < n; i += 3)
		memcpy(s + i, "$1 ", 3);
	s[n - 1] = '\0';
	got = hd_amount_scan(s, "USD", &a);
	ck_assert_uint_le(got, HD_AMOUNT_MAX);
	hd_amounts_free(a, got);
	ck_assert_msg((double)(clock() - t0) / CLOCKS_PER_SEC < 1.0, "1 MB of amounts took %.2f s",
		      (double)(clock() - t0) / CLOCKS_PER_SEC);
	free(s);
}
END_TEST

/* A small deterministic generator (xorshift64*), so a failure is repeatable. */
static uint64_t eq_state;
static uint32_t eq_rand(void)
{
	return (uint32_t)(hd_test_xorshift64s(&eq_state) >> 32);
}

/* A random number below n. */
static size_t eq_below(size_t n)
{
	return eq_rand() % n;
}

/* Pieces the inputs are built from, beside the oracle's own word tables. */
static const char *const eq_glue[] = {
	" ", " ", " ", " ", "  ", "\xc2\xa0", "\xe2\x80\xaf", ".", ". ", ",", "!", "?", "(", ")", "[", "]",
	"\n", "\n\n", "\n \t\r\n", "\t", "\r\n", "'", "-", ":", ";", "/", "%", "$", "or more", "or less",
	"of", "the", "a", "your", "we", "to", "refunds", "Europe", "USDA", "20k", "3rd", "0.", "dollarsign",
	"\xc3\xa9", "\xe2\x82\xac\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xe5\x86\x86\xe5\x85\x83", "\xd0\xb4\xd0\xbe",
	"per cent", "pour cent", "por ciento", "per cento", "percent", "Prozent", "procent",
};
#define EQ_NGLUE (sizeof(eq_glue) / sizeof(eq_glue[0]))

/* Append a random number: digits in groups marked by a comma, a dot, an
   apostrophe or a no-break space; now and then longer than a number may be. */
static void eq_number(struct strbuf *sb)
{
	static const char *const seps[] = { ",", ".", "'", "\xc2\xa0", "\xe2\x80\xaf", ",", "." };
	size_t groups = 1 + eq_below(4);

	for (size_t g = 0; g < groups; g++) {
		size_t nd = g == 0 ? 1 + eq_below(4) : (eq_below(4) == 0 ? 1 + eq_below(5) : 3);
		if (g > 0)
			sb_puts(sb, seps[eq_below(sizeof(seps) / sizeof(seps[0]))]);
		for (size_t d = 0; d < nd; d++)
			sb_putc(sb, (char)('0' + (eq_below(3) == 0 ? 0 : eq_below(10))));
	}
	if (eq_below(30) == 0)
		for (size_t d = 0; d < 45; d++)
			sb_putc(sb, (char)('0' + eq_below(10)));
}

/* Append a word of a table, its case changed or cut or grown now and then. */
static void eq_word(struct strbuf *sb)
{
	const char *w;
	size_t k = eq_below(5), len, at = sb->len;

	if (k == 0)
		w = oracle_amount_currencies[eq_below(ORACLE_NELEM(oracle_amount_currencies))].tok;
	else if (k == 1)
		w = oracle_amount_kinds[eq_below(ORACLE_NELEM(oracle_amount_kinds))].word;
	else if (k == 2)
		w = oracle_amount_thresholds[eq_below(ORACLE_NELEM(oracle_amount_thresholds))];
	else if (k == 3)
		w = oracle_amount_rule_words[eq_below(ORACLE_NELEM(oracle_amount_rule_words))];
	else
		w = eq_glue[eq_below(EQ_NGLUE)];
	len = strlen(w);
	if (len > 1 && eq_below(8) == 0)
		len -= 1 + eq_below(len - 1);	/* a prefix: "refun", "dolla" */
	sb_append(sb, w, len);
	if (eq_below(8) == 0)
		sb_putc(sb, "sdAz9$"[eq_below(6)]);	/* grown: "refundss", "USD9" */
	for (size_t i = at; i < sb->len; i++)
		if (eq_below(6) == 0 && (unsigned char)sb->s[i] < 0x80)
			sb->s[i] = (char)(isupper((unsigned char)sb->s[i]) ? tolower((unsigned char)sb->s[i])
									   : toupper((unsigned char)sb->s[i]));
}

/* Build one random input of npieces pieces, then mutate a quarter of them. */
static char *eq_input(size_t npieces)
{
	struct strbuf sb;

	sb_init(&sb);
	for (size_t i = 0; i < npieces; i++) {
		size_t k = eq_below(10);
		if (k < 4)
			eq_word(&sb);
		else if (k < 7)
			eq_number(&sb);
		else
			sb_puts(&sb, eq_glue[eq_below(4) == 0 ? eq_below(EQ_NGLUE) : 0]);
		if (eq_below(4) != 0)
			sb_putc(&sb, ' ');	/* most pieces stand apart, some touch */
	}
	/* Random bytes (never NUL) put in, put over, or bytes taken out. */
	for (size_t m = eq_below(4) == 0 ? eq_below(6) : 0; m > 0 && sb.len > 0; m--) {
		size_t at = eq_below(sb.len);
		char c = (char)(1 + eq_below(255));
		if (eq_below(3) == 0) {
			memmove(sb.s + at, sb.s + at + 1, sb.len - at);
			sb.len--;
		} else if (eq_below(2) == 0) {
			sb.s[at] = c;
		} else {
			char *rest = xstrdup(sb.s + at);
			sb_truncate(&sb, at);
			sb_putc(&sb, c);
			sb_puts(&sb, rest);
			free(rest);
		}
	}
	return sb_steal(&sb);
}

/* s with its control and non-ASCII bytes escaped, for a failure message. */
static const char *eq_show(const char *s)
{
	return hd_test_show(s, strlen(s));
}

/* Assert that two amounts are the same in every field. */
static void eq_same_amount(const char *in, size_t i, const struct hd_amount *x, const struct hd_amount *y)
{
	ck_assert_msg(x->kind == y->kind && x->value == y->value && strcmp(x->currency, y->currency) == 0 &&
		      x->percent == y->percent && strcmp(x->text, y->text) == 0 && x->line == y->line,
		      "amount %zu differs on '%s': indexed %d %.17g %s %d '%s' line %d, oracle %d %.17g %s %d '%s' line %d",
		      i, eq_show(in), x->kind, x->value, x->currency, x->percent, x->text, x->line,
		      y->kind, y->value, y->currency, y->percent, y->text, y->line);
}

/* Assert that the scanner and the oracle find the same amounts in s. */
static void eq_scan_same(const char *s, const char *dflt)
{
	struct hd_amount *a, *b;
	size_t na = hd_amount_scan(s, dflt, &a), nb = oracle_hd_amount_scan(s, dflt, &b);

	ck_assert_msg(na == nb, "'%s' (default %s): indexed %zu amounts, oracle %zu", eq_show(s),
		      dflt ? dflt : "NULL", na, nb);
	for (size_t i = 0; i < na; i++)
		eq_same_amount(s, i, &a[i], &b[i]);
	hd_amounts_free(a, na);
	hd_amounts_free(b, nb);
}

/* Assert that hd_amount_parse and the oracle's parse agree on s. */
static void eq_parse_same(const char *s, const char *dflt)
{
	struct hd_amount a, b;
	bool ra = hd_amount_parse(s, dflt, &a), rb = oracle_hd_amount_parse(s, dflt, &b);

	ck_assert_msg(ra == rb, "parse '%s': indexed %d, oracle %d", eq_show(s), ra, rb);
	if (ra) {
		eq_same_amount(s, 0, &a, &b);
		free(a.text);
		free(b.text);
	}
}

/* Assert that every word lookup on [w, w+len) equals a walk of the oracle's tables. */
static void eq_words_same(const char *w, size_t len)
{
	bool ga = false, gb = false;
	int ka = amount_kind_of(w, len, &ga), kb = oracle_amount_kind_of(w, len, &gb);
	struct amount_word_info wi = amount_word_lookup(w, len);
	const char *ia = NULL, *ib = NULL;
	size_t ca = len ? amount_currency_at(w, w + len, &ia) : 0;
	size_t cb = len ? oracle_amount_currency_at(w, w + len, &ib) : 0;
	char *z = xstrndup(w, len);

	ck_assert_msg(ka == kb && (ka < 0 || ga == gb), "kind of '%s': %d/%d, oracle %d/%d", eq_show(z), ka, ga, kb, gb);
	ck_assert_msg(wi.kind == kb && (kb < 0 || wi.generic == gb), "lookup kind of '%s'", eq_show(z));
	ck_assert_msg(amount_is_threshold(w, len) == oracle_amount_is_threshold(w, len) &&
		      wi.threshold == oracle_amount_is_threshold(w, len), "threshold '%s'", eq_show(z));
	ck_assert_msg(amount_is_rule_word(w, len) == oracle_amount_is_rule_word(w, len) &&
		      wi.rule == oracle_amount_is_rule_word(w, len), "rule word '%s'", eq_show(z));
	ck_assert_msg(amount_word_off(w, len) == oracle_amount_word_off(w, len), "off '%s'", eq_show(z));
	ck_assert_msg(ca == cb && (ca == 0 || strcmp(ia, ib) == 0), "currency at '%s': %zu %s, oracle %zu %s",
		      eq_show(z), ca, ca ? ia : "", cb, cb ? ib : "");
	ck_assert_msg(len == 0 || cb == 0 || amount_currency_may_start((unsigned char)w[0]),
		      "'%s' is a currency but its first byte is rejected", eq_show(z));
	free(z);
}

/* Every table word, in upper case, cut to every prefix and grown by a byte,
   looks up as the oracle's walk of the tables says; so does every byte. */
START_TEST(index_equals_tables)
{
	const char *all[400];
	size_t n = 0;

	amount_words_init();
	for (size_t i = 0; i < ORACLE_NELEM(oracle_amount_currencies); i++)
		all[n++] = oracle_amount_currencies[i].tok;
	for (size_t i = 0; i < ORACLE_NELEM(oracle_amount_kinds); i++)
		all[n++] = oracle_amount_kinds[i].word;
	for (size_t i = 0; i < ORACLE_NELEM(oracle_amount_thresholds); i++)
		all[n++] = oracle_amount_thresholds[i];
	for (size_t i = 0; i < ORACLE_NELEM(oracle_amount_rule_words); i++)
		all[n++] = oracle_amount_rule_words[i];
	for (size_t i = 0; i < EQ_NGLUE; i++)
		all[n++] = eq_glue[i];
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(all[i]);
		char up[64], grown[72];
		for (size_t k = 0; k <= len; k++)
			eq_words_same(all[i], k);
		for (size_t k = 0; k < len; k++)
			up[k] = (char)toupper((unsigned char)all[i][k]);
		eq_words_same(up, len);
		for (const char *g = "s0$ a\xc3"; *g; g++) {
			snprintf(grown, sizeof(grown), "%s%c", all[i], *g);
			eq_words_same(grown, len + 1);
			eq_scan_same(grown, "USD");
		}
	}
	for (int c = 1; c < 256; c++) {
		char s[3] = { (char)c, '7', '\0' };
		eq_words_same(s, 1);
		eq_words_same(s, 2);
	}
}
END_TEST

/* The indexed scanner finds exactly what the table walk found, on thousands
   of random and mutated texts made of the tables' words, numbers, separators,
   currency symbols and UTF-8, with every kind of default currency. */
START_TEST(scan_equals_oracle)
{
	static const char *const dflts[] = { "USD", "EUR", "CAD", NULL, "CA" };
	size_t found = 0;

	eq_state = 0x9e3779b97f4a7c15ULL;
	for (size_t i = 0; i < 20000; i++) {
		char *s = eq_input(1 + eq_below(i % 10 == 0 ? 400 : 40));
		const char *d = dflts[eq_below(sizeof(dflts) / sizeof(dflts[0]))];
		struct hd_amount *a;
		size_t n = hd_amount_scan(s, d, &a);
		found += n;
		hd_amounts_free(a, n);
		eq_scan_same(s, d);
		free(s);
		s = eq_input(1 + eq_below(4));
		eq_parse_same(s, d);
		free(s);
	}
	/* The inputs must reach the granting paths, or the comparison proves little. */
	ck_assert_msg(found > 5000, "only %zu granted amounts in 20000 inputs", found);
}
END_TEST

/* The scanner's shortcuts (the byte classes, the word filter, a currency
   only as a whole word, a number converted only when it is an amount, the
   percent words after '%' or 'p' only) change nothing: every byte, in the
   places where each shortcut decides, scans as the oracle does. */
START_TEST(shortcuts_equal_oracle)
{
	static const char *const shapes[] = {
		"a refund of $5%c0 USD.", "%cUSD 5 refund", "refund %c5 EUR", "refund 5%cEUR",
		"5 %cpercent refund", "a refund of 5 per%ccent", "credit US%c$5", "credit U%cSD200",
		"refund%c 40 EUR", "refund 40 EU%c", "refund 40 EUR%c", "20% o%cf your order",
		"waived (the %c$15) fee", "refund 1%c234,50 EUR", "refund 7 z%c\xc5\x82", "rabat 7 %cK\xc4\x8d",
		"over%c $100 refund", "refund $100 or%c more", "refund $100 or m%cre", "%c\xe2\x82\xac" "5 refund",
	};
	char s[128];

	for (size_t k = 0; k < sizeof(shapes) / sizeof(shapes[0]); k++)
		for (int c = 1; c < 256; c++) {
			const char *at = strstr(shapes[k], "%c");	/* the byte goes there */
			snprintf(s, sizeof(s), "%.*s%c%s", (int)(at - shapes[k]), shapes[k], c, at + 2);
			eq_scan_same(s, "USD");
			eq_parse_same(s, "EUR");
		}
	/* Words that pass the word filter but are none of the table's, and
	   table words in other cases, beside amounts. */
	eq_scan_same("and AND aNd of the line 01 of invoice 1234 and a refund of 12 and 40 AND USD", "USD");
	eq_scan_same("Refund OR MORE: 30 Dollars or Less, 40 EURO, 50 EUROS, 60 Europe, 70 EUROPEAN", "USD");
	eq_scan_same("credit 5 kr, 6 KR, 7 kronor, 8 kr5, 9 krona; refunds over 10 kr need approval", "SEK");
}
END_TEST

/* A longer text that starts with the same bytes as a scanned one, up to a
   mark, scans from that mark to what a scan from its start finds: fixed
   cases, then generated texts cut anywhere and given any other tail. */
START_TEST(scan_resumes_at_mark)
{
	static const char *const dflts[] = { "USD", "EUR", NULL };
	struct hd_amount_mark mark;
	struct hd_amount *a, *b, *c;
	size_t na, nb, nc, resumed = 0, with_amounts = 0;

	/* The agent's words, then the history: the mark is the blank line
	   before "Alice", and only the history is read again. */
	na = hd_amount_scan_marked("A refund of $5 is on its way.\n\nAlice\n", "USD", &a, &mark);
	ck_assert_uint_eq(na, 1);
	ck_assert_uint_eq(mark.count, 1);
	ck_assert_uint_eq(mark.resume, 30);
	ck_assert_uint_eq(mark.prefix, 31);
	ck_assert_int_eq(mark.line, 2);
	nb = hd_amount_scan_rest("A refund of $5 is on its way.\n\nAlice\n\n> We credited $7.\n", &mark, "USD", &b);
	ck_assert_uint_eq(nb, 1);
	ck_assert(fabs(b[0].value - 7) < 0.001 && b[0].kind == HD_AMOUNT_CREDIT && b[0].line == 5);
	hd_amounts_free(a, na);
	hd_amounts_free(b, nb);
	/* No blank line: no mark, and the rest is the whole scan (a sentence
	   may go on into the history: "we refund\n> $50"). */
	na = hd_amount_scan_marked("We will refund\n", "USD", &a, &mark);
	ck_assert_uint_eq(mark.prefix, 0);
	nb = hd_amount_scan_rest("We will refund\n> $50 soon\n", &mark, "USD", &b);
	ck_assert_uint_eq(nb, 1);
	hd_amounts_free(a, na);
	hd_amounts_free(b, nb);

	eq_state = 0x2545f4914f6cdd1dULL;
	for (size_t i = 0; i < 20000; i++) {
		static const char *const blank[] = { "\n\n", "\r\n\r\n", "\n \t\r\n", ".\n\n", "\n\n\n" };
		struct strbuf sb;
		const char *d = dflts[eq_below(sizeof(dflts) / sizeof(dflts[0]))];
		char *whole, *own, *tail;
		size_t len, cut;

		/* Paragraphs: a mark needs a blank line. */
		sb_init(&sb);
		for (size_t p = 1 + eq_below(5); p > 0; p--) {
			char *para = eq_input(1 + eq_below(i % 10 == 0 ? 100 : 20));
			sb_puts(&sb, para);
			sb_puts(&sb, blank[eq_below(sizeof(blank) / sizeof(blank[0]))]);
			free(para);
		}
		whole = sb_steal(&sb);
		len = strlen(whole);
		cut = eq_below(len + 1);
		/* The agent's text: a prefix of the whole, and now and then a
		   tail of its own (a signature the whole does not have). */
		tail = eq_below(3) == 0 ? eq_input(1 + eq_below(8)) : xstrdup("");
		own = xasprintf("%.*s%s", (int)cut, whole, tail);
		na = hd_amount_scan_marked(own, d, &a, &mark);
		eq_scan_same(own, d);
		nb = oracle_hd_amount_scan(whole, d, &b);
		if (mark.prefix > 0 && strncmp(whole, own, mark.prefix) == 0) {
			ck_assert_msg(mark.count <= na && mark.count <= nb && mark.resume < mark.prefix,
				      "'%s': mark %zu/%zu/%zu, own %zu, whole %zu", eq_show(whole),
				      mark.count, mark.resume, mark.prefix, na, nb);
			for (size_t k = 0; k < mark.count; k++)
				eq_same_amount(whole, k, &a[k], &b[k]);
			nc = hd_amount_scan_rest(whole, &mark, d, &c);
			ck_assert_msg(mark.count + nc == nb, "'%s' from %zu: %zu + %zu amounts, oracle %zu",
				      eq_show(whole), mark.resume, mark.count, nc, nb);
			for (size_t k = 0; k < nc; k++)
				eq_same_amount(whole, mark.count + k, &c[k], &b[mark.count + k]);
			hd_amounts_free(c, nc);
			resumed++;
			with_amounts += nb > mark.count && mark.count > 0;
		}
		hd_amounts_free(a, na);
		hd_amounts_free(b, nb);
		free(own);
		free(tail);
		free(whole);
	}
	/* The cases must reach the resumed path, with amounts on both sides. */
	ck_assert_msg(resumed > 5000 && with_amounts > 200, "resumed %zu times, %zu with amounts on both sides",
		      resumed, with_amounts);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("amount");
	TCase *tc = tcase_create("amount");
	int failed;

	tcase_add_test(tc, spec_examples);
	tcase_add_test(tc, not_money_of_a_kind);
	tcase_add_test(tc, several_and_lines);
	tcase_add_test(tc, declared);
	tcase_add_test(tc, currency_words_and_formats);
	tcase_add_test(tc, governed_by_the_grant);
	tcase_add_test(tc, linear_on_many_amounts);
	tcase_add_test(tc, index_equals_tables);
	tcase_add_test(tc, scan_equals_oracle);
	tcase_add_test(tc, shortcuts_equal_oracle);
	tcase_add_test(tc, scan_resumes_at_mark);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	failed = hd_check_run(s);
	return failed ? 1 : 0;
}

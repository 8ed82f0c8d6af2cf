/* test-amount - amounts in agents' words and their kind. */
#include <config.h>
#include <check.h>
#include "check-run.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "util.h"
#include "amount.h"

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
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	failed = hd_check_run(s);
	return failed ? 1 : 0;
}

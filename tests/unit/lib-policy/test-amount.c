/* test-amount - amounts in agents' words and their kind. */
#include <config.h>
#include <check.h>
#include "check-run.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
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

int main(void)
{
	Suite *s = suite_create("amount");
	TCase *tc = tcase_create("amount");
	int failed;

	tcase_add_test(tc, spec_examples);
	tcase_add_test(tc, not_money_of_a_kind);
	tcase_add_test(tc, several_and_lines);
	tcase_add_test(tc, declared);
	suite_add_tcase(s, tc);
	failed = hd_check_run(s);
	return failed ? 1 : 0;
}

/* test-replies - the reply corpus (tests/data/replies): for every mail
   client and language, a phrase or amount in the agent's new words is found
   and one only in the customer's quote is never blamed on the agent. */
#include <config.h>
#include <check.h>
#include "check-run.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util.h"
#include "replies-corpus.h"

static unsigned wrong_count;

/* Print each wrong outcome so that a failure says which client. */
static void on_wrong(const char *category, const char *variant, const char *what)
{
	fprintf(stderr, "replies: %s / %s: %s\n", category, variant, what);
	wrong_count++;
}

START_TEST(corpus_all_right)
{
	const char *top = getenv("TOP_SRCDIR") ? getenv("TOP_SRCDIR") : TOP_SRCDIR;
	char *dir = xasprintf("%s/tests/data/replies", top);
	struct corpus_tally *t;
	size_t n = corpus_run(dir, on_wrong, &t);
	unsigned pos = 0, neg = 0;

	ck_assert_msg(n != (size_t)-1, "cannot read %s", dir);
	ck_assert_uint_ge(n, 40);	/* every client and language of issue 10 */
	for (size_t i = 0; i < n; i++) {
		pos += t[i].tp + t[i].fn;
		neg += t[i].fp + t[i].tn;
		/* a layout only the structure shows: the quote is tagged, not refused */
		if (strncmp(t[i].name, "uncertain-", 10) == 0)
			ck_assert_uint_eq(t[i].tagged, 3);
		else
			ck_assert_msg(t[i].tagged == 0, "%s: tagged %u", t[i].name, t[i].tagged);
	}
	ck_assert_uint_eq(pos, 3 * n);
	ck_assert_uint_eq(neg, 3 * n);
	ck_assert_msg(wrong_count == 0, "%u wrong outcomes (see above)", wrong_count);
	free(t);
	free(dir);
}
END_TEST

/* The reply-parser fixtures: every line split as their writers expect. */
START_TEST(fixtures_all_right)
{
	const char *top = getenv("TOP_SRCDIR") ? getenv("TOP_SRCDIR") : TOP_SRCDIR;
	char *dir = xasprintf("%s/tests/data/replies/crisp", top);
	struct fixture_tally t;

	wrong_count = 0;
	ck_assert_int_eq(fixtures_run(dir, on_wrong, &t), 0);
	ck_assert_uint_ge(t.total, 30);
	ck_assert_uint_eq(t.fn, 0);	/* the writer's words are never dropped */
	ck_assert_msg(wrong_count == 0, "%u fixtures wrong (see above)", wrong_count);
	ck_assert_uint_eq(t.right, t.total);
	free(dir);
}
END_TEST

/* The suite. */
static Suite *replies_suite(void)
{
	Suite *s = suite_create("replies");
	TCase *tc = tcase_create("corpus");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, corpus_all_right);
	tcase_add_test(tc, fixtures_all_right);
	suite_add_tcase(s, tc);
	return s;
}

/* Run the suite; exit status non-zero when a check failed. */
int main(void)
{
	return hd_check_run(replies_suite()) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

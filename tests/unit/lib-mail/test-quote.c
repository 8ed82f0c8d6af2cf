/*
 * test-quote - the agent's own words: '>' quotes, attributions in several
 * languages and wrapped, Outlook separators and header blocks, signatures,
 * and the cases that must stay whole (false and uncertain splits).
 */
#include <config.h>
#include "quote.h"
#include "util.h"

#include <check.h>
#include "check-run.h"
#include <stdlib.h>
#include <string.h>

/* Strip text and compare the result and the outcome. */
static void expect(const char *text, const char *want, enum hd_quote_result want_r)
{
	enum hd_quote_result r = (enum hd_quote_result)-1;
	char *out = hd_quote_strip(text, strlen(text), &r);

	ck_assert_msg(strcmp(out, want) == 0, "input:\n%s\ngot:\n%s\nwant:\n%s", text, out, want);
	ck_assert_msg(r == want_r, "input:\n%s\nresult %d, want %d", text, (int)r, (int)want_r);
	free(out);
}

START_TEST(test_no_quote)
{
	expect("Hello,\n\nYour refund is on its way.\n\nAlice\n",
	       "Hello,\n\nYour refund is on its way.\n\nAlice\n", HD_QUOTE_NONE);
	expect("", "", HD_QUOTE_NONE);
	/* "wrote:" inside a sentence is not an attribution */
	expect("As I wrote: the fix is ready.\nAlice", "As I wrote: the fix is ready.\nAlice",
	       HD_QUOTE_NONE);
	/* a line that merely starts with "On" */
	expect("On Monday we deploy the fix.\nAlice", "On Monday we deploy the fix.\nAlice",
	       HD_QUOTE_NONE);
	/* a dash rule is not a signature */
	expect("Steps:\n---\nreboot", "Steps:\n---\nreboot", HD_QUOTE_NONE);
}
END_TEST

START_TEST(test_gt_lines)
{
	expect("Hi\n> quoted line\n>> deeper\nMore of mine", "Hi\nMore of mine", HD_QUOTE_FOUND);
	expect("  > indented quote\nmine", "mine", HD_QUOTE_FOUND);
	expect("mine\n\n> trailing quote\n>\n", "mine", HD_QUOTE_FOUND);
}
END_TEST

START_TEST(test_attribution_english)
{
	expect("Please calm down.\n\nAlice\n\n"
	       "On Thu, 3 Dec 2026 at 16:45, Frank <frank@example.net> wrote:\n"
	       "> it is not our fault\n> really\n",
	       "Please calm down.\n\nAlice", HD_QUOTE_FOUND);
	/* bottom-posted reply: the words below the quote are kept */
	expect("On Mon, 30 Nov 2026, Bob <bob@example.net> wrote:\n> question?\n\nMy answer.",
	       "My answer.", HD_QUOTE_FOUND);
	/* wrapped over two and three lines */
	expect("Mine.\n\nOn Mon, Nov 30, 2026 at 10:02 AM Bob Smith\n<bob@example.net> wrote:\n> q\n",
	       "Mine.", HD_QUOTE_FOUND);
	expect("Mine.\n\nOn Mon, Nov 30, 2026 at 10:02 AM\nBob Smith from the\nExample Net team wrote:\n> q\n",
	       "Mine.", HD_QUOTE_FOUND);
	/* top-posted, history without '>' but a dated attribution */
	expect("Mine.\n\nOn 30/11/2026 10:02, Bob wrote:\nthe old text, not quoted\n",
	       "Mine.", HD_QUOTE_FOUND);
}
END_TEST

START_TEST(test_attribution_languages)
{
	static const char *const attrs[] = {
		"Am 30.11.2026 um 10:02 schrieb Bob Smith <bob@example.net>:",
		"Le lun. 30 nov. 2026 à 10:02, Bob <bob@example.net> a écrit :",
		"El lun, 30 nov 2026 a las 10:02, Bob (<bob@example.net>) escribió:",
		"Op ma 30 nov. 2026 om 10:02 schreef Bob <bob@example.net>:",
		"Il giorno lun 30 nov 2026 alle ore 10:02 Bob <bob@example.net> ha scritto:",
		"Em seg., 30 de nov. de 2026 às 10:02, Bob <bob@example.net> escreveu:",
		"Den mån 30 nov. 2026 kl 10:02 skrev Bob <bob@example.net>:",
	};
	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		/* with '>' quotes */
		char *text = xasprintf("Meine Antwort.\n\n%s\n> alter Text\n", attrs[i]);
		expect(text, "Meine Antwort.", HD_QUOTE_FOUND);
		free(text);
		/* without '>' (top-posting client) */
		text = xasprintf("Meine Antwort.\n%s\nalter Text\n", attrs[i]);
		expect(text, "Meine Antwort.", HD_QUOTE_FOUND);
		free(text);
	}
}
END_TEST

START_TEST(test_outlook)
{
	expect("Mine.\n\n-----Original Message-----\nFrom: Bob\nSent: Monday\nold\n",
	       "Mine.", HD_QUOTE_FOUND);
	expect("Mine.\n----- Original Message -----\nold\n", "Mine.", HD_QUOTE_FOUND);
	expect("Meins.\n-----Ursprüngliche Nachricht-----\nVon: Bob\nalt\n", "Meins.",
	       HD_QUOTE_FOUND);
	expect("Mine.\n---------- Forwarded message ---------\nFrom: Bob\n", "Mine.", HD_QUOTE_FOUND);
	expect("Mine.\n\n________________________________\nFrom: Bob Smith <bob@example.net>\n"
	       "Sent: Monday, November 30, 2026 10:02 AM\nTo: Support <support@support.example.com>\n"
	       "Subject: Outage\n\nnot our fault\n",
	       "Mine.", HD_QUOTE_FOUND);
	expect("Mine.\n*From:* Bob\n*Date:* Mon, 30 Nov 2026\n*Subject:* x\n\nold\n", "Mine.",
	       HD_QUOTE_FOUND);
	expect("Meins.\nVon: Bob\nGesendet: Montag\nAn: Support\nBetreff: x\nalt", "Meins.",
	       HD_QUOTE_FOUND);
}
END_TEST

START_TEST(test_signature)
{
	expect("Regards,\nCarol\n-- \nCarol, Billing\n+1 555 0100\n", "Regards,\nCarol",
	       HD_QUOTE_FOUND);
	expect("Regards,\nCarol\n--\nCarol, Billing\n", "Regards,\nCarol", HD_QUOTE_FOUND);
	expect("Regards,\r\nCarol\r\n-- \r\nsig\r\n", "Regards,\nCarol", HD_QUOTE_FOUND);
	/* "-- text" is not a signature separator */
	expect("a\n-- not a sig\nb", "a\n-- not a sig\nb", HD_QUOTE_NONE);
}
END_TEST

START_TEST(test_uncertain)
{
	/* a lone From: line without Sent:/To: */
	expect("Mine.\nFrom: the billing team\nwe checked everything\n",
	       "Mine.\nFrom: the billing team\nwe checked everything\n", HD_QUOTE_UNCERTAIN);
	/* "wrote:" without an "On" start */
	expect("Mine.\nBob Smith wrote:\nsomething\n", "Mine.\nBob Smith wrote:\nsomething\n",
	       HD_QUOTE_UNCERTAIN);
	/* "On ... wrote:" with no date, no address and no '>' after: could be the agent */
	expect("On the call I wrote:\nplease calm down\n", "On the call I wrote:\nplease calm down\n",
	       HD_QUOTE_UNCERTAIN);
	/* the "On" start is too far above "wrote:" */
	expect("On Monday\nthe team\nand then\nBob wrote:\nmore\n",
	       "On Monday\nthe team\nand then\nBob wrote:\nmore\n", HD_QUOTE_UNCERTAIN);
	/* an uncertain line before a certain cut: the cut still applies */
	expect("Mine.\nFrom: the billing team\n-- \nsig\n", "Mine.\nFrom: the billing team",
	       HD_QUOTE_FOUND);
}
END_TEST

START_TEST(test_null_result_pointer)
{
	char *out = hd_quote_strip("x\n> y", 5, NULL);
	ck_assert_str_eq(out, "x");
	free(out);
	out = hd_quote_strip(NULL, 0, NULL);
	ck_assert_str_eq(out, "");
	free(out);
}
END_TEST

/* All test cases. */
static Suite *quote_suite(void)
{
	Suite *s = suite_create("quote");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_no_quote);
	tcase_add_test(tc, test_gt_lines);
	tcase_add_test(tc, test_attribution_english);
	tcase_add_test(tc, test_attribution_languages);
	tcase_add_test(tc, test_outlook);
	tcase_add_test(tc, test_signature);
	tcase_add_test(tc, test_uncertain);
	tcase_add_test(tc, test_null_result_pointer);
	suite_add_tcase(s, tc);
	return s;
}

/* Run the suite; exit status non-zero when a check failed. */
int main(void)
{
	int failed = hd_check_run(quote_suite());
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

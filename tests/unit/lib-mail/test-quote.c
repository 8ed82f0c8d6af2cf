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

/* Each attribution cuts below mine: over '>' lines, and over unmarked history
   right below it (top-posting client) or after a blank line. */
static void expect_attributions(const char *const *attrs, size_t n, const char *mine)
{
	static const struct { const char *above, *below; } layouts[] = {
		{ "\n\n", "\n> " }, { "\n", "\n" }, { "\n\n", "\n\n" },
	};
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < sizeof(layouts) / sizeof(layouts[0]); k++) {
			char *text = xasprintf("%s%s%s%splease calm down\n", mine, layouts[k].above,
					       attrs[i], layouts[k].below);
			expect(text, mine, HD_QUOTE_FOUND);
			free(text);
		}
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
	expect_attributions(attrs, sizeof(attrs) / sizeof(attrs[0]), "Meine Antwort.");
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
	/* the line a phone adds under the writer's words, in a few languages */
	expect("Mine.\n\nSent from my iPhone\n\n> q\nold", "Mine.", HD_QUOTE_FOUND);
	expect("Meins.\nVon meinem iPhone gesendet\nalt", "Meins.", HD_QUOTE_FOUND);
	expect("Le mien.\nEnvoyé de mon iPhone\nvieux", "Le mien.", HD_QUOTE_FOUND);
	/* ... but not a sentence that says so */
	expect("It was sent from my iPhone app to all users.\nok", "It was sent from my iPhone app to all users.\nok",
	       HD_QUOTE_NONE);
	/* "-- text" is not a signature separator */
	expect("a\n-- not a sig\nb", "a\n-- not a sig\nb", HD_QUOTE_NONE);
}
END_TEST

START_TEST(test_uncertain)
{
	/* a lone From: line without Sent:/To: is the agent's (one header is no block) */
	expect("Mine.\nFrom: the billing team\nwe checked everything\n",
	       "Mine.\nFrom: the billing team\nwe checked everything\n", HD_QUOTE_NONE);
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

/* The attributions of the issue: other languages, no verb, no colon. */
START_TEST(test_attribution_structure)
{
	static const char *const attrs[] = {
		"In data 30 settembre 2017 18:30, Mario Rossi <mario@example.it> ha scritto:",
		"W dniu 30.09.2017 o 18:30, Jan Kowalski <jan@example.pl> napisał(a):",
		"Dne 30. 9. 2017 18:30 napsal(a) Jan Novák <jan@example.cz>:",
		"Στις 30/9/2017 6:30 μ.μ., ο/η Γιώργος <g@example.gr> έγραψε:",
		"Pe 30 sept. 2017, la 18:30, Ion Popescu <ion@example.ro> a scris:",
		"På lør. 30. sep. 2017 kl. 18:30 skrev Ola Nordmann <ola@example.no>:",
		"Op 30 sep. 2017, om 18:30 heeft Jan Jansen <jan@example.nl> het volgende geschreven:",
		"ср, 30 апр. 2025 г. в 15:19, Иван Петров <ivan@example.ru>:",
		"30.09.2017, 18:30, \"Иван Петров\" <ivan@example.ru>:",
		"Matti Meikäläinen <matti@example.fi> kirjoitti 30.9.2017 kello 18.30:",
		"2017년 9월 30일 (토) 오후 6:30, 김철수 <kim@example.kr>님이 작성:",
		"Mario <mario@example.com> 于2017年9月30日周六 下午6:30写道：",
		"On 30 Sep 2017, at 18:30, Bob <bob@example.com> wrote",
		"30 Eylül 2017 18:30 tarihinde Ali <ali@example.com.tr> şunu yazdı:",
	};
	expect_attributions(attrs, sizeof(attrs) / sizeof(attrs[0]), "Agent words.");
	/* Zoho puts the attribution between dashes */
	expect("Agent words.\n\n---- On Sat, 30 Sep 2017 18:30:00 +0200 Bob <bob@example.com> wrote ----\n\n"
	       "calm down\n", "Agent words.", HD_QUOTE_FOUND);
}
END_TEST

/* Header blocks in other languages and variants. */
START_TEST(test_header_blocks)
{
	static const char *const blocks[] = {
		"De : Jean Dupont <jean@example.fr>\nEnvoyé le : samedi 30 septembre 2017 18:30\n"
		"À : Support <support@example.com>\nObjet : Panne",
		"-------- Oprindelig besked --------\nFra: Jens <jens@example.dk>\nDato: 30. sep. 2017 18.30\n"
		"Til: support@example.com\nEmne: Nedbrud",
		"من: أحمد <ahmed@example.com>\nتم الإرسال: السبت، 30 سبتمبر، 2017 18:30\n"
		"إلى: support@example.com\nالموضوع: انقطاع",
		"От: Иван <ivan@example.ru>\nОтправлено: 30 сентября 2017 г. 18:30\nКому: support@example.com\n"
		"Тема: Сбой",
		"-------- Пересылаемое сообщение --------\n30.09.2017, 18:30, \"Иван\" <ivan@example.ru>:",
		"-------- Пересылаемое сообщение --------\nОт кого: Иван <ivan@example.ru>\n"
		"Кому: support@example.com\nДата: Суббота, 30 сентября 2017, 18:30 +03:00\nТема: Сбой",
		"Message du : 30/09/2017 18:30\nDe : jean@example.fr\nA : support@example.com\nObjet : Panne",
		/* a language without word lists: the structure names the block with a separator */
		"________________________________\nKutoka: Juma <juma@example.co.tz>\n"
		"Imetumwa: 30 Septemba 2017 18:30\nKwa: support@example.com",
	};
	for (size_t i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++) {
		char *text = xasprintf("Agent words.\n\n%s\n\nplease calm down\n", blocks[i]);
		expect(text, "Agent words.", HD_QUOTE_FOUND);
		free(text);
	}
}
END_TEST

/* Structure without any known word: the text below is uncertain, not cut. */
START_TEST(test_regions)
{
	const char *text = "Agent words.\n\nKutoka: Juma <juma@example.co.tz>\n"
			   "Imetumwa: 30 Septemba 2017 18:30\nKwa: support@example.com\n\ncalm down\n";
	struct hd_quote_split sp;
	struct hd_quote_region *r;
	size_t n;

	hd_quote_split(text, strlen(text), NULL, &sp);
	ck_assert(!sp.found);
	ck_assert(sp.uncertain);
	ck_assert_str_eq(sp.agent, text);
	ck_assert_str_eq(sp.certain, "Agent words.");
	hd_quote_split_free(&sp);
	ck_assert_ptr_null(sp.agent);

	n = hd_quote_regions(text, strlen(text), NULL, &r);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(r[0].kind, HD_QUOTE_AGENT);
	ck_assert_int_eq(r[1].kind, HD_QUOTE_UNSURE);
	ck_assert_uint_eq(r[0].off, 0);
	ck_assert_uint_eq(r[1].off + r[1].len, strlen(text));
	ck_assert(strncmp(text + r[1].off, "Kutoka", 6) == 0 || r[1].off == r[0].len);
	free(r);

	/* a quote, agent text and a signature */
	text = "Hi\n> q1\n> q2\nmine\n-- \nsig";
	n = hd_quote_regions(text, strlen(text), NULL, &r);
	ck_assert_uint_eq(n, 4);
	ck_assert_int_eq(r[1].kind, HD_QUOTE_QUOTED);
	ck_assert(strncmp(text + r[1].off, "> q1\n> q2\n", r[1].len) == 0);
	ck_assert_int_eq(r[2].kind, HD_QUOTE_AGENT);
	ck_assert_int_eq(r[3].kind, HD_QUOTE_QUOTED);
	free(r);

	/* a colon line with only an address or only a date is the agent's */
	expect("Write to billing@example.com:\nplease calm down", "Write to billing@example.com:\nplease calm down",
	       HD_QUOTE_NONE);
	expect("On Monday at 10:00 we do this:\nplease calm down", "On Monday at 10:00 we do this:\nplease calm down",
	       HD_QUOTE_NONE);
	/* agent lines that merely look like fields stay the agent's */
	expect("Order: 1234\nStatus: shipped\nCarrier: DHL\nthanks", "Order: 1234\nStatus: shipped\nCarrier: DHL\nthanks",
	       HD_QUOTE_NONE);
}
END_TEST

/* A line's fingerprint is what stores already hold (thread_lines): FNV-1a
   over the folded words, pinned here so no speed-up changes a value. The
   first is worked out independently (Python); the other two are the values
   of the code before the ASCII fast path. */
START_TEST(test_fingerprint_values)
{
	static const struct { const char *line; uint32_t hash; } cases[] = {
		{ "> Your service has been down since this morning.", 0x8992d58bu },
		{ "Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\x96LN, wir warten seit Montag auf Antwort!", 0x64a6b4c1u },
		{ "\xce\x9a\xce\x91\xce\x9b\xce\x97\xce\x9c\xce\x95\xce\xa1\xce\x91 \xcf\x83\xce\xb1\xcf\x82, "
		  "\xce\xb7 \xcf\x80\xce\xb1\xcf\x81\xce\xb1\xce\xb3\xce\xb3\xce\xb5\xce\xbb\xce\xaf\xce\xb1 55 "
		  "\xce\xbb\xce\xb5\xce\xaf\xcf\x80\xce\xb5\xce\xb9 \xce\xb1\xce\xba\xcf\x8c\xce\xbc\xce\xb1", 0x29c8122fu },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t *h = NULL;
		size_t n = hd_quote_fingerprint(cases[i].line, strlen(cases[i].line), &h);
		ck_assert_uint_eq(n, 1);
		ck_assert_msg(h[0] == cases[i].hash, "line %zu: 0x%08x, want 0x%08x", i,
			      h[0], cases[i].hash);
		free(h);
	}
}
END_TEST

/* Lines of the thread's earlier messages are quoted whatever the style. */
START_TEST(test_thread)
{
	const char *customer = "Hello,\nYour service has been down since this morning.\n"
			       "Calm down is what your colleague told me, unacceptable!\nOrder 55 still missing.\nBob\n";
	const char *reply = "Dear Bob,\nsorry for the outage.\n\n"
			    "=== you said ===\nYour service has been down since this morning.\n"
			    "Calm down is what your colleague told me, unacceptable!\n=== end ===\n"
			    "It is fixed now.\n";
	uint32_t *h;
	size_t n = hd_quote_fingerprint(customer, strlen(customer), &h);
	struct hd_quote_thread t = { h, n };
	struct hd_quote_split sp;

	ck_assert_uint_eq(n, 3);	/* "Hello," and "Bob" are too short to remember */
	for (size_t i = 1; i < n; i++)
		ck_assert(h[i - 1] < h[i]);
	hd_quote_split(reply, strlen(reply), &t, &sp);
	ck_assert(sp.found);
	ck_assert(sp.thread);
	ck_assert_ptr_null(strstr(sp.agent, "Calm down"));
	ck_assert_ptr_nonnull(strstr(sp.agent, "It is fixed now."));
	ck_assert_ptr_nonnull(strstr(sp.agent, "sorry for the outage."));
	hd_quote_split_free(&sp);
	/* without the thread the pasted lines are the agent's */
	hd_quote_split(reply, strlen(reply), NULL, &sp);
	ck_assert(!sp.found);
	ck_assert_ptr_nonnull(strstr(sp.agent, "Calm down"));
	hd_quote_split_free(&sp);
	/* one short matching line alone is not a quote */
	const char *one = "Dear Bob,\nOrder 55 still missing.\nFixed.\n";
	hd_quote_split(one, strlen(one), &t, &sp);
	ck_assert(!sp.found);
	hd_quote_split_free(&sp);
	free(h);
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
	tcase_add_test(tc, test_attribution_structure);
	tcase_add_test(tc, test_header_blocks);
	tcase_add_test(tc, test_regions);
	tcase_add_test(tc, test_thread);
	tcase_add_test(tc, test_fingerprint_values);
	suite_add_tcase(s, tc);
	return s;
}

/* Run the suite; exit status non-zero when a check failed. */
int main(void)
{
	int failed = hd_check_run(quote_suite());
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

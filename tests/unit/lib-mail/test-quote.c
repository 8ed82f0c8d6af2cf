/*
 * test-quote - the agent's own words: '>' quotes, attributions in several
 * languages and wrapped, Outlook separators and header blocks, signatures,
 * and the cases that must stay whole (false and uncertain splits); and the
 * fast split against the code before its speed-ups (quote-oracle.h) on the
 * repository's samples and on generated text.
 */
#include <config.h>
#include "quote.h"
#include "quote-int.h"
#include "util.h"

#include <check.h>
#include "check-run.h"
#include "test-util.h"
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "quote-oracle.h"

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

/* ---- the fast split against the oracle (quote-oracle.h) ---- */

/* Fail with the message when cond is false; unlike ck_assert() it costs
   Check no message when it holds, so millions of comparisons stay cheap. */
#define EQ_CHECK(cond, ...) do { if (!(cond)) ck_abort_msg(__VA_ARGS__); } while (0)

/* How often the generated and sampled texts reached each outcome: the
   comparison proves little if the interesting paths are never taken. */
static struct {
	unsigned texts, found, uncertain, thread, kinds[8], hdrs[4], wrote, title, mobile;
} eq_seen;

static uint64_t eq_state = 0x9e3779b97f4a7c15ULL;

/* xorshift64*: the same inputs on every run. */
static uint64_t eq_rand(void)
{
	return hd_test_xorshift64s(&eq_state);
}

/* A random number below n (n > 0). */
static size_t eq_below(size_t n)
{
	return (size_t)(eq_rand() % n);
}

/* s[0..len) with control and non-ASCII bytes escaped, for a failure message. */
#define eq_show hd_test_show

/* The line-level recognisers on one line, fast against oracle. */
static void eq_line(const char *s, size_t len)
{
	char f1[HD_QUOTE_FOLD_MAX], f2[ORACLE_QUOTE_FOLD_MAX];
	enum quote_hdr h1;
	enum oracle_quote_hdr h2;
	const char *n1, *n2;
	size_t nl1, nl2, fl1, fl2, cut = eq_below((len < sizeof(f1) ? len : sizeof(f1)) + 1);

	EQ_CHECK((int)quote_classify(s, len, &h1) == (int)oracle_quote_classify(s, len, &h2),
		 "line kind of '%s'", eq_show(s, len));
	EQ_CHECK((int)h1 == (int)h2, "header kind of '%s'", eq_show(s, len));
	eq_seen.kinds[quote_classify(s, len, &h1) & 7]++;
	eq_seen.hdrs[h1 & 3]++;
	/* folds of the line and of a prefix, into a full and a short buffer */
	fl1 = quote_fold(s, len, f1, sizeof(f1));
	fl2 = oracle_quote_fold(s, len, f2, sizeof(f2));
	EQ_CHECK(fl1 == fl2, "fold length of '%s'", eq_show(s, len));
	EQ_CHECK(memcmp(f1, f2, fl1) == 0, "fold of '%s'", eq_show(s, len));
	EQ_CHECK(quote_fold(s, len, f1, cut) == oracle_quote_fold(s, len, f2, cut),
		 "fold length of '%s' cut at %zu", eq_show(s, len), cut);
	EQ_CHECK(memcmp(f1, f2, len < cut ? len : cut) == 0, "fold of '%s' cut at %zu",
		      eq_show(s, len), cut);
	fl1 = quote_fold(s, len, f1, sizeof(f1));
	oracle_quote_fold(s, len, f2, sizeof(f2));
	bool w = oracle_quote_words_wrote(f2, fl1);
	eq_seen.wrote += w;
	EQ_CHECK(quote_words_wrote(f1, fl1) == w, "wrote in '%s'", eq_show(s, len));
	EQ_CHECK(quote_words_attr_start(f1, fl1) == oracle_quote_words_attr_start(f2, fl1),
		 "quote_words_attr_start on '%s'", eq_show(s, len));
	EQ_CHECK(quote_words_mobile_sig(f1, fl1) == oracle_quote_words_mobile_sig(f2, fl1),
		 "quote_words_mobile_sig on '%s'", eq_show(s, len));
	EQ_CHECK(quote_words_title(f1, fl1) == oracle_quote_words_title(f2, fl1),
		 "quote_words_title on '%s'", eq_show(s, len));
	EQ_CHECK(quote_words_header(f1, fl1) == (enum quote_hdr)oracle_quote_words_header(f2, fl1),
		 "quote_words_header on '%s'", eq_show(s, len));
	/* the raw forms: a title over the first want bytes of a fold of more */
	size_t want = len > 0 ? eq_below(len + 1) : 0;
	bool t = want <= sizeof(f2) && oracle_quote_words_title(f2, want);
	eq_seen.title += t;
	EQ_CHECK(quote_words_title_raw(s, want, len) == t, "title of '%s' (%zu)",
		      eq_show(s, len), want);
	fl2 = oracle_quote_fold(s, len < ORACLE_QUOTE_MOBILE_PREFIX ? len : ORACLE_QUOTE_MOBILE_PREFIX,
				f2, sizeof(f2));
	bool m = oracle_quote_words_mobile_sig(f2, fl2);
	eq_seen.mobile += m;
	EQ_CHECK(quote_words_mobile_sig_raw(s, len) == m, "mobile signature '%s'", eq_show(s, len));
	/* the last word, as quote_attribution() looks at it */
	size_t b = len;
	unsigned high = 0;
	while (b > 0 && oracle_qa_wordch((unsigned char)s[b - 1]))
		high |= (unsigned char)s[--b];
	fl2 = oracle_quote_fold(s + b, len - b, f2, sizeof(f2));
	EQ_CHECK(quote_words_wrote_word(s + b, len - b, high < 0x80) ==
		      (fl2 > 0 && oracle_quote_words_wrote(f2, fl2)), "last word of '%s'", eq_show(s, len));
	bool hn = quote_header_name(s, len, &n1, &nl1);
	EQ_CHECK(hn == oracle_quote_header_name(s, len, &n2, &nl2),
		 "hn == oracle_quote_header_name on '%s'", eq_show(s, len));
	EQ_CHECK(!hn || (n1 == n2 && nl1 == nl2),
		 "!hn ||  on '%s'", eq_show(s, len));
	EQ_CHECK(quote_has_address(s, len) == oracle_quote_has_address(s, len),
		 "quote_has_address on '%s'", eq_show(s, len));
	EQ_CHECK(quote_has_datetime(s, len) == oracle_quote_has_datetime(s, len),
		 "quote_has_datetime on '%s'", eq_show(s, len));
}

/* Two splits the same in every field. */
static void eq_split_same(const char *text, size_t len, const struct hd_quote_split *a,
			  const struct hd_quote_split *b)
{
	EQ_CHECK(strcmp(a->agent, b->agent) == 0, "agent text differs on '%s'", eq_show(text, len));
	EQ_CHECK(strcmp(a->certain, b->certain) == 0, "certain text differs on '%s'",
		      eq_show(text, len));
	EQ_CHECK(a->found == b->found && a->uncertain == b->uncertain && a->thread == b->thread,
		      "flags differ on '%s'", eq_show(text, len));
}

/* Split, regions and strip of text with thread t (may be NULL), fast
   against oracle. */
static void eq_split(const char *text, size_t len, const struct hd_quote_thread *t)
{
	struct hd_quote_split a, b;
	struct hd_quote_region *ra, *rb;
	size_t na, nb;

	hd_quote_split(text, len, t, &a);
	oracle_hd_quote_split(text, len, t, &b);
	eq_split_same(text, len, &a, &b);
	eq_seen.found += a.found;
	eq_seen.uncertain += a.uncertain;
	eq_seen.thread += a.thread;
	hd_quote_split_free(&a);
	oracle_hd_quote_split_free(&b);
	na = hd_quote_regions(text, len, t, &ra);
	nb = oracle_hd_quote_regions(text, len, t, &rb);
	EQ_CHECK(na == nb, "regions %zu, oracle %zu on '%s'", na, nb, eq_show(text, len));
	for (size_t i = 0; i < na; i++)
		EQ_CHECK(ra[i].off == rb[i].off && ra[i].len == rb[i].len && ra[i].kind == rb[i].kind,
			      "region %zu differs on '%s'", i, eq_show(text, len));
	free(ra);
	free(rb);
}

/* Everything the quote module answers about text, fast against oracle;
   prev is an earlier text whose lines serve as a thread. */
static void eq_text(const char *text, size_t len, const char *prev, size_t prev_len)
{
	uint32_t *ha, *hb;
	size_t na = hd_quote_fingerprint(text, len, &ha), nb = oracle_hd_quote_fingerprint(text, len, &hb);
	enum hd_quote_result r1, r2;
	char *s1, *s2;

	eq_seen.texts++;
	EQ_CHECK(na == nb, "fingerprints %zu, oracle %zu on '%s'", na, nb, eq_show(text, len));
	for (size_t i = 0; i < na; i++)
		EQ_CHECK(ha[i] == hb[i], "fingerprint %zu: 0x%08x, oracle 0x%08x on '%s'", i, ha[i],
			      hb[i], eq_show(text, len));
	eq_split(text, len, NULL);
	/* its own lines as the thread: every long line matches */
	struct hd_quote_thread own = { hb, nb };
	eq_split(text, len, &own);
	free(ha);
	free(hb);
	if (prev != NULL) {
		nb = oracle_hd_quote_fingerprint(prev, prev_len, &hb);
		struct hd_quote_thread t = { hb, nb };
		eq_split(text, len, &t);
		free(hb);
	}
	s1 = hd_quote_strip(text, len, &r1);
	s2 = oracle_hd_quote_strip(text, len, &r2);
	EQ_CHECK(strcmp(s1, s2) == 0 && r1 == r2, "strip differs on '%s'", eq_show(text, len));
	free(s1);
	free(s2);
	for (const char *p = text, *end = text + len; p <= end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl != NULL ? nl : end;
		eq_line(p, (size_t)(e - p));
		if (nl == NULL)
			break;
		p = nl + 1;
	}
}

/* Upper-case the two-byte letters quote_fold() lowers (Latin-1, Latin
   Extended-A, Greek, Cyrillic), now and then, and ASCII letters. */
static void eq_upper(char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 'a' && c <= 'z' && eq_below(3) == 0) {
			s[i] = (char)(c - 32);
			continue;
		}
		if (c < 0xc0 || c >= 0xe0 || i + 1 >= len || ((unsigned char)s[i + 1] & 0xc0) != 0x80)
			continue;
		unsigned cp = ((unsigned)(c & 0x1f) << 6) | ((unsigned char)s[i + 1] & 0x3f), up = cp;
		if (cp >= 0xe0 && cp <= 0xfe && cp != 0xf7)
			up = cp - 0x20;
		else if ((cp >= 0x100 && cp <= 0x137) || (cp >= 0x14a && cp <= 0x177))
			up = cp & ~1u;
		else if (cp >= 0x13a && cp <= 0x148 && !(cp & 1))
			up = cp - 1;
		else if (cp >= 0x3b1 && cp <= 0x3c9)
			up = cp - 0x20;
		else if (cp >= 0x430 && cp <= 0x44f)
			up = cp - 0x20;
		else if (cp >= 0x450 && cp <= 0x45f)
			up = cp - 0x50;
		if (up != cp && eq_below(2) == 0) {
			s[i] = (char)(0xc0 | (up >> 6));
			s[i + 1] = (char)(0x80 | (up & 0x3f));
		}
		i++;
	}
}

/* A word of one of the oracle's lists. */
static const char *eq_listword(void)
{
#define EQ_PICK(a) (a)[eq_below(ORACLE_QNELEM(a))]
	switch (eq_below(8)) {
	case 0: return EQ_PICK(oracle_qw_wrote);
	case 1: return EQ_PICK(oracle_qw_wrote_cjk);
	case 2: return EQ_PICK(oracle_qw_titles);
	case 3: return EQ_PICK(oracle_qw_attr_start);
	case 4: return EQ_PICK(oracle_qw_mobile_sig);
	case 5: return EQ_PICK(oracle_qw_hdr_from);
	case 6: return EQ_PICK(oracle_qw_hdr_sent);
	default: return EQ_PICK(oracle_qw_hdr_other);
	}
#undef EQ_PICK
}

/* Pieces lines are made of, beside the list words. */
static const char *const eq_pieces[] = {
	" ", " ", " ", "  ", "\t", ":", ": ", "\xef\xbc\x9a", ",", ".", "!", "?", "*", "**", ">", "> ",
	">> ", "-", "--", "-- ", "-----", "_____", "=====", "<", ">", "\"", "(", ")", "@", "/",
	"bob@example.net", "<pat@example.co.uk>", "x@y", "30.09.17", "9/30/2017", "2026", "1999",
	"10:02", "18.30", "12", "Mon, 30 Nov 2026", "Bob Smith", "Pat", "calm down", "thanks",
	"invoice 1234", "wrote", "WROTE", "Wrote:", "schrieb", "a écrit", "On", "Am", "Le", "From",
	"Sent", "To", "Subject", "Original Message", "Sent from my iPhone", "\xe2\x80\x8e",
	"\xe2\x80\x8f", "\xe2\x80\xab", "\xc3\xa9", "\xc3\x89", "\xce\x91\xcf\x80\xcf\x8c",
	"\xd0\x9f\xd0\xb8\xd1\x81\xd0\xb0\xd0\xbb", "\xe5\x86\x99\xe9\x81\x93", "\xf0\x9f\x98\x80",
	"\xc3", "\x80", "\xef\xbc", "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
};

/* One generated line, without its end. */
static void eq_gen_line(struct strbuf *sb)
{
	size_t at = sb->len, k = eq_below(20);

	if (k == 0)
		return;				/* blank */
	if (k == 1) {				/* long: over a marker's and a fold chunk's size */
		size_t n = 380 + eq_below(900);
		while (sb->len - at < n)
			sb_puts(sb, eq_below(4) == 0 ? "\xc3\x84" : eq_below(3) == 0 ? " " : "Ab");
		return;
	}
	for (size_t n = 1 + eq_below(8), i = 0; i < n; i++) {
		if (eq_below(3) == 0)
			sb_puts(sb, eq_listword());
		else
			sb_puts(sb, eq_pieces[eq_below(sizeof(eq_pieces) / sizeof(eq_pieces[0]))]);
		if (eq_below(3) != 0)
			sb_putc(sb, ' ');
	}
	if (eq_below(3) == 0)
		sb_putc(sb, ':');
	eq_upper(sb->s + at, sb->len - at);
}

/* One generated text of up to 24 lines, LF or CRLF, mutated now and then. */
static char *eq_gen_text(size_t *len_r)
{
	struct strbuf sb;
	size_t n = 1 + eq_below(24);

	sb_init(&sb);
	for (size_t i = 0; i < n; i++) {
		eq_gen_line(&sb);
		if (i + 1 < n || eq_below(2) == 0)
			sb_puts(&sb, eq_below(4) == 0 ? "\r\n" : "\n");
	}
	for (size_t m = eq_below(4) == 0 ? 1 + eq_below(6) : 0; m > 0 && sb.len > 0; m--) {
		size_t at = eq_below(sb.len);
		if (eq_below(3) == 0)
			sb.s[at] = (char)eq_below(256);	/* NUL too: lengths are passed */
		else if (eq_below(2) == 0)
			sb.s[at] = '\n';
		else
			sb.s[at] = ':';
	}
	*len_r = sb.len;
	return sb_steal(&sb);
}

/* Generated texts: 4000 of them (QUOTE_ORACLE_ROUNDS, from the seed
   QUOTE_ORACLE_SEED, for a longer search), each against the one before as a
   thread. */
START_TEST(test_oracle_generated)
{
	const char *rounds_env = getenv("QUOTE_ORACLE_ROUNDS"), *seed_env = getenv("QUOTE_ORACLE_SEED");
	long rounds = rounds_env != NULL ? atol(rounds_env) : 4000;
	char *prev = NULL;
	size_t prev_len = 0;

	if (seed_env != NULL)
		eq_state = strtoull(seed_env, NULL, 0) | 1;

	/* lines made for the edges: a NUL in a header name, a full-width
	   colon, a colon just past the longest name, a pair across 800 bytes */
	static const struct { const char *s; size_t len; } edges[] = {
		{ "Fr\0m: Bob <bob@example.net>", 27 }, { "From\xef\xbc\x9a Bob", 11 },
		{ "Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa: x", 44 },
		{ "Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa: x", 43 },
		{ "x@y.z", 5 }, { "ab@c.d", 6 }, { "\xc3", 1 }, { "\xc3\x84", 2 },
	};
	for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
		eq_text(edges[i].s, edges[i].len, NULL, 0);
	char *wide = xmalloc(2000);
	for (size_t at = 795; at < 805; at++) {
		memset(wide, 'A', 2000);
		for (size_t k = 0; k + 1 < 2000; k += 2)
			if (k % 7 == 0 || k == at) {
				wide[k] = '\xc3';
				wide[k + 1] = '\x84';
			}
		wide[at] = '\xc3';
		wide[at + 1] = '\x84';
		eq_text(wide, 2000, NULL, 0);
	}
	free(wide);
	memset(&eq_seen, 0, sizeof(eq_seen));
	for (long i = 0; i < rounds; i++) {
		size_t len;
		char *text = eq_gen_text(&len);
		eq_text(text, len, prev, prev_len);
		free(prev);
		prev = text;
		prev_len = len;
	}
	free(prev);
	/* the comparison went through every outcome and kind of line */
	ck_assert_uint_gt(eq_seen.found, 100);
	ck_assert_uint_gt(eq_seen.uncertain, 100);
	ck_assert_uint_gt(eq_seen.thread, 100);
	for (int k = QK_TEXT; k <= QK_HEADER; k++)
		ck_assert_msg(eq_seen.kinds[k] > 10, "line kind %d seen %u times", k, eq_seen.kinds[k]);
	for (int h = QH_FROM; h <= QH_OTHER; h++)
		ck_assert_msg(eq_seen.hdrs[h] > 10, "header kind %d seen %u times", h, eq_seen.hdrs[h]);
	ck_assert_uint_gt(eq_seen.wrote, 100);
	ck_assert_uint_gt(eq_seen.title, 10);
	ck_assert_uint_gt(eq_seen.mobile, 10);
}
END_TEST

/* Every file under dir (recursively, up to 1 MB each), whole and with a
   few bytes changed, against oracle. */
static void eq_dir(const char *dir, char **prev, size_t *prev_len)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		struct stat st;
		char *path, *text;
		size_t len;
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			eq_dir(path, prev, prev_len);
		} else if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size < (1 << 20) &&
			   (f = fopen(path, "rb")) != NULL) {
			text = xmalloc((size_t)st.st_size + 1);
			len = fread(text, 1, (size_t)st.st_size, f);
			fclose(f);
			text[len] = '\0';
			len = strlen(text);	/* the engine's texts end at a NUL */
			eq_text(text, len, *prev, *prev_len);
			for (int m = 0; m < 3 && len > 0; m++) {
				char *mut = xstrndup(text, len);
				for (int k = 0; k < 4; k++)
					mut[eq_below(len)] = "\n:>-@ \xc3\xe5"[eq_below(9)];
				eq_upper(mut, strlen(mut));
				eq_text(mut, strlen(mut), text, len);
				free(mut);
			}
			free(*prev);
			*prev = text;
			*prev_len = len;
		}
		free(path);
	}
	closedir(d);
}

/* The repository's samples: replies in many clients and languages, the
   scanner's golden cases, the fuzz corpora. */
START_TEST(test_oracle_samples)
{
	static const char *const dirs[] = {
		"tests/data/replies", "tests/data/mime", "contrib/samples", "tests/scan/cases",
		"fuzz/corpus", "tests/fuzz/regress",
	};
	char *prev = NULL;
	size_t prev_len = 0;

	memset(&eq_seen, 0, sizeof(eq_seen));
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char *dir = xasprintf("%s/%s", TOP_SRCDIR, dirs[i]);
		eq_dir(dir, &prev, &prev_len);
		free(dir);
	}
	free(prev);
	ck_assert_uint_gt(eq_seen.texts, 500);
	ck_assert_uint_gt(eq_seen.found, 50);
	ck_assert_uint_gt(eq_seen.thread, 50);
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
	tc = tcase_create("oracle");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_oracle_generated);
	tcase_add_test(tc, test_oracle_samples);
	suite_add_tcase(s, tc);
	return s;
}

/* Run the suite; exit status non-zero when a check failed. */
int main(void)
{
	int failed = hd_check_run(quote_suite());
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/*
 * test-html - HTML to text: inline and block tags, entities, script/style,
 * comments, attribute quoting, quoted-history dropping, bounds.
 */
#include <config.h>
#include "html.h"
#include "util.h"

#include <check.h>
#include "check-run.h"
#include <stdlib.h>
#include <string.h>

#define BIG (1024 * 1024)

/* Convert a C string with the given flags; returns allocated text. */
static char *conv(const char *html, int flags, bool *qf)
{
	return hd_html_to_text(html, strlen(html), flags, BIG, qf);
}

/* Assert conversion result equals want. */
static void expect(const char *html, int flags, const char *want)
{
	char *t = conv(html, flags, NULL);
	ck_assert_str_eq(t, want);
	free(t);
}

START_TEST(test_inline_adds_nothing)
{
	expect("Please ca<b>lm</b> down", 0, "Please calm down");
	expect("<span>ca</span><i>l</i><a href=\"x\">m</a> <strong>down</strong>", 0, "calm down");
	expect("not <font color=red>our</font> <em>fa</em><u>ult</u>", 0, "not our fault");
	expect("x<sub>2</sub><sup>3</sup><small>s</small>", 0, "x23s");
}
END_TEST

START_TEST(test_block_breaks)
{
	expect("<p>one</p><p>two</p>", 0, "one\ntwo");
	expect("a<br>b<br/>c", 0, "a\nb\nc");
	expect("<div>x</div>y", 0, "x\ny");
	expect("<ul><li>first</li><li>second</li></ul>", 0, "first\nsecond");
	expect("<h1>Title</h1>text<hr>end", 0, "Title\ntext\nend");
	expect("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", 0, "a b\nc");
	expect("a<br><br><br><br>b", 0, "a\n\nb");
}
END_TEST

START_TEST(test_whitespace)
{
	expect("  calm \n\t  down  ", 0, "calm down");
	expect("<p>\n  calm\n  down\n</p>", 0, "calm down");
	expect("<pre>a  b\nc</pre>d", 0, "a  b\nc\nd");
}
END_TEST

START_TEST(test_entities)
{
	expect("a&nbsp;b &amp; &lt;c&gt; &quot;d&quot; &apos;e&apos;", 0,
	       "a b & <c> \"d\" 'e'");
	expect("&lsquo;x&rsquo; &ldquo;y&rdquo;", 0,
	       "\xe2\x80\x98x\xe2\x80\x99 \xe2\x80\x9cy\xe2\x80\x9d");
	expect("a&mdash;b&ndash;c&hellip;", 0, "a\xe2\x80\x94" "b\xe2\x80\x93" "c\xe2\x80\xa6");
	expect("cal&shy;m do&#8203;wn", 0, "calm down");
	expect("&#99;&#x61;&#X6C;m", 0, "calm");
	expect("caf&eacute; &#233; &#xE9;", 0, "caf\xc3\xa9 \xc3\xa9 \xc3\xa9");
	expect("&#128512;", 0, "\xf0\x9f\x98\x80");
	expect("it&#146;s", 0, "it\xe2\x80\x99s");
	expect("&#0; &#x110000; &#xD800;", 0, "\xef\xbf\xbd \xef\xbf\xbd \xef\xbf\xbd");
	expect("&unknown; &amp &lt &rsquo x", 0, "&unknown; & < &rsquo x");
	expect("AT&T & co &#; &#x;", 0, "AT&T & co &#; &#x;");
	/* the whole WHATWG table: white space and invisible names do not hide words */
	expect("calm&Tab;down calm&NewLine;down calm&numsp;down calm&MediumSpace;down", 0,
	       "calm down calm down calm down calm down");
	expect("ca&NoBreak;lm do&ZeroWidthSpace;wn &InvisibleTimes;x", 0, "calm down x");
	expect("&Alpha;&alpha; &Rarr; &heartsuit; &fjlig;", 0,
	       "\xce\x91\xce\xb1 \xe2\x86\xa0 \xe2\x99\xa5 fj");
	/* two code points, legacy prefixes, case matters */
	expect("&NotEqualTilde;", 0, "\xe2\x89\x82\xcc\xb8");
	expect("&notit; &copy2 &AMP; &Amp;", 0, "\xc2\xacit; \xc2\xa9" "2 & &Amp;");
	/* first, last and beyond the table */
	expect("&AElig;&zwnj;&zzz;", 0, "\xc3\x86&zzz;");
}
END_TEST

START_TEST(test_script_style_comments)
{
	expect("<script>if (a<b) alert('calm down')</script>ok", 0, "ok");
	expect("<STYLE type=text/css>p{x:y}</STYLE>ok", 0, "ok");
	expect("<head><title>calm down</title></head><body>ok</body>", 0, "ok");
	expect("ok<script>never closed calm down", 0, "ok");
	expect("<script>a</scriptx>still script</script>after", 0, "after");
	expect("a<!-- calm down -->b", 0, "ab");
	expect("a<!-- never closed calm down", 0, "a");
	expect("<![CDATA[x<y]]>z", 0, "x<yz");
	expect("<!DOCTYPE html><?xml version=\"1.0\"?>ok", 0, "ok");
}
END_TEST

START_TEST(test_attributes_and_malformed)
{
	expect("<a title=\"x > y\" href='z>w'>link</a>", 0, "link");
	expect("<p class=a id=b>t</p>", 0, "t");
	expect("<p>hello <b>world", 0, "hello world");
	expect("text <b class='never closed", 0, "text");
	expect("a < b and x<3 and 1 <= 2", 0, "a < b and x<3 and 1 <= 2");
	expect("</>lone", 0, "</>lone");
	expect("", 0, "");
	/* NUL bytes are skipped, never end the text early */
	char *t = hd_html_to_text("ca\0lm down", 10, 0, BIG, NULL);
	ck_assert_str_eq(t, "calm down");
	free(t);
}
END_TEST

START_TEST(test_gmail_quote)
{
	const char *h = "<div>mine</div><div class=\"gmail_quote\"><div>q1<div>q2</div></div>"
			"q3</div><div>after</div>";
	bool qf = true;
	char *t = conv(h, 0, &qf);
	ck_assert_str_eq(t, "mine\nq1\nq2\nq3\nafter");
	ck_assert(!qf);
	free(t);
	t = conv(h, HD_HTML_DROP_QUOTES, &qf);
	ck_assert_str_eq(t, "mine\nafter");
	ck_assert(qf);
	free(t);
	expect("new<div class='gmail_quote_container other'>old</div>", HD_HTML_DROP_QUOTES, "new");
	expect("new<DIV CLASS=gmail_quote>old</DIV>", HD_HTML_DROP_QUOTES, "new");
	/* a class that only contains the word is not a quote */
	expect("new<div class='not_gmail_quote_x'>kept</div>", HD_HTML_DROP_QUOTES, "new\nkept");
}
END_TEST

START_TEST(test_blockquote_cite)
{
	expect("mine<blockquote type=\"cite\">not our fault<blockquote>inner</blockquote>"
	       "still</blockquote>tail", HD_HTML_DROP_QUOTES, "mine\ntail");
	/* a plain blockquote (Yandex, mail.ru) is quoted history too */
	expect("mine<blockquote>not our fault</blockquote>tail", HD_HTML_DROP_QUOTES, "mine\ntail");
	expect("mine<blockquote>indented</blockquote>", 0, "mine\nindented");
	expect("mine<div class=moz-cite-prefix>On x wrote:</div><blockquote type=cite>q</blockquote>",
	       HD_HTML_DROP_QUOTES, "mine");
}
END_TEST

START_TEST(test_outlook_separators)
{
	bool qf = false;
	char *t = conv("<p>Reply</p><div id=\"divRplyFwdMsg\"><b>From:</b> x</div><p>quoted</p>",
		       HD_HTML_DROP_QUOTES, &qf);
	ck_assert_str_eq(t, "Reply");
	ck_assert(qf);
	free(t);
	expect("<p>Reply</p><div style=\"border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0in\">"
	       "<p class=MsoNormal><b>From:</b> Bob<br><b>Sent:</b> Monday</p></div><p>old text</p>",
	       HD_HTML_DROP_QUOTES, "Reply");
	/* border-top without a From: line after it is just a styled box */
	expect("<p>Reply</p><div style=\"border-top:1px solid\">Box text</div><p>more</p>",
	       HD_HTML_DROP_QUOTES, "Reply\nBox text\nmore");
	expect("mine<hr id=\"stopSpelling\">old quoted text", HD_HTML_DROP_QUOTES, "mine");
	expect("mine<hr>own text", HD_HTML_DROP_QUOTES, "mine\nown text");
}
END_TEST

START_TEST(test_deep_nesting_bounded)
{
	struct strbuf sb;
	bool qf = false;

	sb_init(&sb);
	sb_puts(&sb, "mine<div class=gmail_quote>");
	for (int i = 0; i < 5000; i++)
		sb_puts(&sb, "<div>");
	sb_puts(&sb, "quoted");
	for (int i = 0; i < 5000; i++)
		sb_puts(&sb, "</div>");
	sb_puts(&sb, "</div>");
	char *t = hd_html_to_text(sb.s, sb.len, HD_HTML_DROP_QUOTES, BIG, &qf);
	ck_assert(qf);
	ck_assert(strncmp(t, "mine", 4) == 0);
	ck_assert(strstr(t, "quoted") == NULL);
	free(t);
	sb_free(&sb);
}
END_TEST

START_TEST(test_max_out)
{
	char *t = hd_html_to_text("<p>abcdefghijklmnop</p>", 23, 0, 10, NULL);
	ck_assert_uint_eq(strlen(t), 10);
	ck_assert_str_eq(t, "abcdefghij");
	free(t);
	/* never cut inside a UTF-8 sequence */
	t = hd_html_to_text("\xc3\xa9\xc3\xa9\xc3\xa9", 6, 0, 5, NULL);
	ck_assert_str_eq(t, "\xc3\xa9\xc3\xa9");
	free(t);
	t = hd_html_to_text("&eacute;&eacute;&eacute;", 24, 0, 3, NULL);
	ck_assert_str_eq(t, "\xc3\xa9");
	free(t);
	t = hd_html_to_text("abc", 3, 0, 0, NULL);
	ck_assert_str_eq(t, "");
	free(t);
}
END_TEST

/* All test cases. */
static Suite *html_suite(void)
{
	Suite *s = suite_create("html");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_inline_adds_nothing);
	tcase_add_test(tc, test_block_breaks);
	tcase_add_test(tc, test_whitespace);
	tcase_add_test(tc, test_entities);
	tcase_add_test(tc, test_script_style_comments);
	tcase_add_test(tc, test_attributes_and_malformed);
	tcase_add_test(tc, test_gmail_quote);
	tcase_add_test(tc, test_blockquote_cite);
	tcase_add_test(tc, test_outlook_separators);
	tcase_add_test(tc, test_deep_nesting_bounded);
	tcase_add_test(tc, test_max_out);
	suite_add_tcase(s, tc);
	return s;
}

/* Run the suite; exit status non-zero when a check failed. */
int main(void)
{
	int failed = hd_check_run(html_suite());
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

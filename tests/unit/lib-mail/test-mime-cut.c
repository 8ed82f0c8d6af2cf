/*
 * test-mime-cut - the MIME part pre-pass (mime-cut.c): it counts delimiter
 * lines of declared boundaries only, cuts at the one that goes past the
 * limit, leaves a message within the limit whole, and keeps hostile part
 * floods from reaching GMime (parse time does not grow with the flood).
 */
#include <config.h>
#include "mime.h"
#include "util.h"

#include <check.h>
#include "check-run.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <gmime/gmime.h>

/* A multipart/mixed message of n tiny text parts. */
static char *flood(size_t n, size_t *len_r)
{
	struct strbuf sb;

	sb_init(&sb);
	sb_puts(&sb, "From: a@example.net\nSubject: parts\nMIME-Version: 1.0\n"
		"Content-Type: multipart/mixed; boundary=\"=b=\"\n\npreamble\n");
	for (size_t i = 0; i < n; i++)
		sb_puts(&sb, "--=b=\nContent-Type: text/plain\n\nx\n");
	sb_puts(&sb, "--=b=--\n");
	*len_r = sb.len;
	return sb_steal(&sb);
}

/* CPU seconds of this process. */
static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds of three parses of a message with the default limits. */
static double parse_cpu(const char *data, size_t len)
{
	struct hd_limits lim;
	struct hd_message *m;
	double t0;

	hd_limits_init(&lim);
	t0 = cpu_now();
	for (int i = 0; i < 3; i++) {
		m = hd_message_parse(data, len, &lim);
		hd_message_deinit(&m);
	}
	return cpu_now() - t0;
}

START_TEST(test_cut_counts_declared_boundaries)
{
	static const char msg[] =
		"Content-Type: multipart/mixed; BOUNDARY=outer\n\n"
		"-- \nnot a delimiter: a signature line\n"
		"-----Original Message-----\n"
		"--outer\nContent-Type: multipart/alternative; boundary=\"in ner\"\n\n"
		"--in ner\nContent-Type: text/plain\n\nt\n"
		"--in ner\nContent-Type: text/html\n\n<p>t</p>\n"
		"--in ner--\n"
		"--outer\nContent-Type: text/plain\n\nthird\n"
		"--outer--\n";
	size_t len = sizeof(msg) - 1;
	const char *third = strstr(msg, "--outer\nContent-Type: text/plain");

	/* root, outer part 1 (the alternative), text, html, outer part 2 = 5 */
	ck_assert_uint_eq(hd_mime_parts_cut(msg, len, 5), len);
	ck_assert_uint_eq(hd_mime_parts_cut(msg, len, 500), len);
	/* at 4 the second outer part is one too many: cut right before it */
	ck_assert_uint_eq(hd_mime_parts_cut(msg, len, 4), (size_t)(third - msg));
	/* no boundary declared: nothing is a delimiter */
	ck_assert_uint_eq(hd_mime_parts_cut("a\n--x\n--x\n", 10, 1), 10);
	/* ... but past 4 per part (+16) other "--" lines, the rest is cut too */
	{
		struct strbuf sb;

		sb_init(&sb);
		for (int i = 0; i < 100; i++)
			sb_puts(&sb, "--undeclared\nx\n");
		ck_assert_uint_eq(hd_mime_parts_cut(sb.s, sb.len, 100), sb.len);
		ck_assert_uint_eq(hd_mime_parts_cut(sb.s, sb.len, 10), (4 * 10 + 16) * 15);
		sb_free(&sb);
	}
}
END_TEST

START_TEST(test_cut_too_many_declarations)
{
	struct strbuf sb;
	size_t cut;

	sb_init(&sb);
	for (int i = 0; i < 100; i++)
		sb_printf(&sb, "Content-Type: multipart/mixed; boundary=b%d\n", i);
	cut = hd_mime_parts_cut(sb.s, sb.len, 10);
	ck_assert_uint_lt(cut, sb.len);
	ck_assert_uint_gt(cut, 0);
	sb_free(&sb);
}
END_TEST

START_TEST(test_flood_is_partial)
{
	struct hd_limits lim;
	size_t len;
	char *data = flood(2000, &len);
	struct hd_message *m;

	hd_limits_init(&lim);
	m = hd_message_parse(data, len, &lim);
	ck_assert(m->truncated);
	ck_assert_uint_le(m->nparts, lim.mime_parts);
	ck_assert_uint_gt(m->nparts, lim.mime_parts / 2);
	ck_assert_uint_eq(m->notes.n > 0, 1);
	{
		bool noted = false;

		for (size_t i = 0; i < m->notes.n; i++)
			noted |= strstr(m->notes.v[i], "MIME part limit 500 reached") != NULL;
		ck_assert(noted);
	}
	hd_message_deinit(&m);
	free(data);
	/* within the limit: whole, no note */
	data = flood(100, &len);
	m = hd_message_parse(data, len, &lim);
	ck_assert(!m->truncated);
	ck_assert_uint_eq(m->nparts, 100);
	hd_message_deinit(&m);
	free(data);
}
END_TEST


/* A message of n forged headers, then a multipart body of two text parts. */
static char *header_flood(size_t n, size_t *len_r)
{
	struct strbuf sb;

	sb_init(&sb);
	sb_puts(&sb, "From: a@example.net\nSubject: headers\n");
	for (size_t i = 0; i < n; i++)
		sb_printf(&sb, "X-Helpdesk-%zu: x\n\tfolded\n", i);
	sb_puts(&sb, "MIME-Version: 1.0\nContent-Type : multipart/mixed; boundary=b\n\n"
		"--b\nContent-Type: text/plain\n\nfirst\n--b\nContent-Type: text/plain\n\nsecond\n--b--\n");
	*len_r = sb.len;
	return sb_steal(&sb);
}

START_TEST(test_header_flood_cut)
{
	struct hd_limits lim;
	size_t len, clen;
	char *data = header_flood(3000, &len), *cut;
	struct hd_message *m;

	ck_assert_ptr_null(hd_mime_headers_cut(data, len, 5000, &clen));
	cut = hd_mime_headers_cut(data, len, 1000, &clen);
	ck_assert_ptr_nonnull(cut);
	ck_assert_uint_lt(clen, len);
	/* the fields that say how to read the body survive, the body is whole */
	ck_assert_ptr_nonnull(strstr(cut, "\nContent-Type : multipart/mixed; boundary=b\n\n--b\n"));
	ck_assert_ptr_nonnull(strstr(cut, "X-Helpdesk-997: x\n\tfolded\n"));
	ck_assert_ptr_null(strstr(cut, "X-Helpdesk-998:"));
	free(cut);
	hd_limits_init(&lim);
	m = hd_message_parse(data, len, &lim);
	ck_assert(m->truncated);
	ck_assert_uint_eq(m->nheaders, lim.header_count);
	ck_assert_uint_eq(m->nparts, 2);
	ck_assert_str_eq(m->parts[1].text, "second");
	hd_message_deinit(&m);
	free(data);
}
END_TEST

/* GMime used to build every part and every header before the limits were
   counted: a flood of 100k cost ~100 times one of 1k. Now both stop at the
   limit. _i: 0 parts, 1 headers. */
START_TEST(test_flood_cost_bounded)
{
	static char *(*const make[])(size_t, size_t *) = { flood, header_flood };
	size_t small_len, big_len;
	char *small = make[_i](1000, &small_len), *big = make[_i](100000, &big_len);
	double t_small = parse_cpu(small, small_len), t_big = parse_cpu(big, big_len);

	ck_assert_msg(t_big < 20 * t_small + 0.05, "%s: 100k took %.3f s, 1k %.3f s",
		      _i == 0 ? "parts" : "headers", t_big, t_small);
	free(small);
	free(big);
}
END_TEST

/* The suite. */
static Suite *mime_cut_suite(void)
{
	Suite *s = suite_create("mime-cut");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_cut_counts_declared_boundaries);
	tcase_add_test(tc, test_cut_too_many_declarations);
	tcase_add_test(tc, test_flood_is_partial);
	tcase_add_test(tc, test_header_flood_cut);
	tcase_add_loop_test(tc, test_flood_cost_bounded, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

/* Run the suite; exit status non-zero when a check failed. */
int main(void)
{
	int failed;

	hd_mime_init();
	failed = hd_check_run(mime_cut_suite());
	g_mime_shutdown();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

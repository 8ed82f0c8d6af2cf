/*
 * test-props - the fuzz harnesses' property checkers (fuzz/props.c) fail on
 * deliberately bad engine output and pass on good output: a checker that
 * cannot fail would make every fuzz campaign report a false "no findings".
 */
#include <config.h>
#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include "check-run.h"
#include "props.h"
#include "verdict.h"
#include "util.h"

START_TEST(test_header_field)
{
	char long_line[1100];

	ck_assert_ptr_null(props_header_field("X-Helpdesk-Team", "billing"));
	ck_assert_ptr_null(props_header_field("X-Helpdesk-Findings", "a,\r\n b"));	/* CRLF folding */
	ck_assert_ptr_null(props_header_field("X-Helpdesk-Findings", "a,\n\tb"));	/* LF folding */
	ck_assert_ptr_nonnull(props_header_field("X-Bad", "a\r\nInjected: yes"));	/* CRLF, no blank */
	ck_assert_ptr_nonnull(props_header_field("X-Bad", "a\nInjected: yes"));
	ck_assert_ptr_nonnull(props_header_field("X-Bad", "a\rb"));			/* bare CR */
	ck_assert_ptr_nonnull(props_header_field("X-Bad", "a\r\n"));			/* trailing break */
	ck_assert_ptr_nonnull(props_header_field("X Bad", "v"));			/* space in name */
	ck_assert_ptr_nonnull(props_header_field("X:Bad", "v"));			/* colon in name */
	ck_assert_ptr_nonnull(props_header_field("X-B\xc3\xa4" "d", "v"));		/* 8-bit name */
	ck_assert_ptr_nonnull(props_header_field("", "v"));
	memset(long_line, 'a', sizeof(long_line) - 1);
	long_line[sizeof(long_line) - 1] = '\0';
	ck_assert_ptr_nonnull(props_header_field("X-Long", long_line));		/* 1099 > 998 */
	long_line[990] = '\n';
	long_line[991] = ' ';
	ck_assert_ptr_null(props_header_field("X-Long", long_line));			/* folded in two */
}
END_TEST

START_TEST(test_verdict_headers)
{
	struct hd_verdict *v = hd_verdict_new();

	hd_verdict_add_header(v, "X-Helpdesk-Team", "billing");
	ck_assert_ptr_null(props_verdict_headers(v));
	hd_verdict_add_header(v, "X-Helpdesk-Rule", "x\r\nBcc: victim@example.net");
	ck_assert_ptr_nonnull(props_verdict_headers(v));
	hd_verdict_deinit(&v);
	v = hd_verdict_new();
	sv_push(&v->headers_inserted, "X-Priority");
	sv_push(&v->headers_inserted, "1\n");
	ck_assert_ptr_nonnull(props_verdict_headers(v));
	hd_verdict_deinit(&v);
}
END_TEST

START_TEST(test_header_names)
{
	const char msg[] = "From: a@b\r\nX-OTRS-Queue : Raw\r\n\tfolded\r\nSubject: s\r\n\r\nX-Not: body\r\n";
	size_t n;
	char **names = props_header_names(msg, sizeof(msg) - 1, &n);

	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(names[0], "From");
	ck_assert_str_eq(names[1], "X-OTRS-Queue");
	ck_assert_str_eq(names[2], "Subject");
	props_names_free(names, n);
	/* A line that is no field ends the block, as in the MTA. */
	const char *bad = "From: a@b\nX-MS-Importanceal; rulsk-Priority: high\nX-Priority: 1\n\n";
	names = props_header_names(bad, strlen(bad), &n);
	ck_assert_uint_eq(n, 1);
	props_names_free(names, n);
}
END_TEST

START_TEST(test_control_headers)
{
	char *in[] = { "From", "X-OTRS-Queue", "X-Helpdesk-Priority", "X-Priority" };
	struct hd_verdict *v = hd_verdict_new();

	/* Znuny (1): X-OTRS-Queue must be in headers_removed; X-Helpdesk-* the milter drops. */
	ck_assert_ptr_nonnull(props_control_headers_gone(in, 4, v, 1));
	sv_push(&v->headers_removed, "x-otrs-queue");
	ck_assert_ptr_null(props_control_headers_gone(in, 4, v, 1));
	/* osTicket (4): X-Priority is its control header and was not removed. */
	ck_assert_ptr_nonnull(props_control_headers_gone(in, 4, v, 4));
	/* No helpdesk: only ours count, and the milter drops those. */
	ck_assert_ptr_null(props_control_headers_gone(in, 4, v, 0));
	ck_assert(props_is_control_header("RT-Send-CC", 3));
	ck_assert(props_is_control_header("X-Zammad-Ticket-Group", 2));
	ck_assert(!props_is_control_header("X-Zammad-Ticket-Group", 1));
	ck_assert(props_is_control_header("x-helpdesk-anything", 0));
	hd_verdict_deinit(&v);
}
END_TEST

START_TEST(test_control_lines)
{
	ck_assert_ptr_nonnull(props_text_without_control_lines("Hello\n#exception policy=x tier=2\nBye\n"));
	ck_assert_ptr_nonnull(props_text_without_control_lines("Hello\n  #STATUS resolved"));
	ck_assert_ptr_nonnull(props_text_without_control_lines("#status"));
	ck_assert_ptr_nonnull(props_text_without_control_lines("\t#exception: x\r\n"));
	ck_assert_ptr_null(props_text_without_control_lines("Hello\n#statusquo is fine\n"));
	ck_assert_ptr_null(props_text_without_control_lines("> #status resolved\n"));
	ck_assert_ptr_null(props_text_without_control_lines("see #exception\n"));
	ck_assert_ptr_null(props_text_without_control_lines(""));
	ck_assert_ptr_null(props_text_without_control_lines(NULL));
}
END_TEST

START_TEST(test_time_bound)
{
	ck_assert_ptr_null(props_time_within(0.5, 1000));
	ck_assert_ptr_nonnull(props_time_within(100.0, 1000));
	ck_assert_ptr_null(props_time_within(5.0, 100000));		/* the bound grows with the input */
	ck_assert(props_time_bound(2000) > props_time_bound(1000));
	ck_assert(props_cpu_seconds() >= 0);
}
END_TEST

START_TEST(test_require_aborts)
{
	props_require("test-props", NULL);		/* holds: returns */
	props_require("test-props", "deliberately violated");
}
END_TEST

/* Build the suite. */
static Suite *props_suite(void)
{
	Suite *s = suite_create("props");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_header_field);
	tcase_add_test(tc, test_verdict_headers);
	tcase_add_test(tc, test_header_names);
	tcase_add_test(tc, test_control_headers);
	tcase_add_test(tc, test_control_lines);
	tcase_add_test(tc, test_time_bound);
	tcase_add_test_raise_signal(tc, test_require_aborts, SIGABRT);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	int failed = hd_check_run(props_suite());
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

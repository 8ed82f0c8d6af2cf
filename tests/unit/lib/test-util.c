/* test-util - time, civil dates, addresses, strings and ids. */
#include <config.h>
#include <check.h>
#include "check-run.h"
#include <stdlib.h>
#include <string.h>
#include "util.h"
#include "ticket.h"
#include "verdict.h"

START_TEST(rfc3339)
{
	time_t t;
	char buf[32];

	ck_assert(time_parse_rfc3339("2026-11-30T12:15:00Z", &t));
	ck_assert_int_eq((long long)t, 1796040900LL);
	time_format_utc(t, buf);
	ck_assert_str_eq(buf, "2026-11-30T12:15:00Z");
	/* An offset is applied: 13:15+01:00 is 12:15Z. */
	ck_assert(time_parse_rfc3339("2026-11-30T13:15:00+01:00", &t));
	time_format_utc(t, buf);
	ck_assert_str_eq(buf, "2026-11-30T12:15:00Z");
	ck_assert(time_parse_rfc3339("2026-03-29T00:59:59.123-05:30", &t));
	time_format_utc(t, buf);
	ck_assert_str_eq(buf, "2026-03-29T06:29:59Z");
	ck_assert(!time_parse_rfc3339("2026-11-30 12:15", &t));
	ck_assert(!time_parse_rfc3339("2026-13-01T00:00:00Z", &t));
	ck_assert(!time_parse_rfc3339("2026-11-30T12:15:00Zjunk", &t));
	ck_assert(!time_parse_rfc3339("", &t));
}
END_TEST

START_TEST(civil)
{
	int y, m, d;

	ck_assert_int_eq(days_from_civil(1970, 1, 1), 0);
	ck_assert_int_eq(days_from_civil(2000, 3, 1), 11017);
	civil_from_days(days_from_civil(2024, 2, 29), &y, &m, &d);
	ck_assert_int_eq(y, 2024);
	ck_assert_int_eq(m, 2);
	ck_assert_int_eq(d, 29);
	civil_from_days(-1, &y, &m, &d);
	ck_assert_int_eq(y, 1969);
	ck_assert_int_eq(m, 12);
	ck_assert_int_eq(d, 31);
}
END_TEST

START_TEST(addresses)
{
	char *a = addr_normalise(" <Alice@Support.Example.COM> ");
	ck_assert_str_eq(a, "alice@support.example.com");
	ck_assert_str_eq(addr_domain(a), "support.example.com");
	free(a);
	ck_assert_ptr_null(addr_normalise("<>"));
	ck_assert_ptr_null(addr_normalise(NULL));
	ck_assert_str_eq(addr_domain("nodomain"), "");
}
END_TEST

START_TEST(strings)
{
	struct strbuf sb;
	struct strvec sv;

	sb_init(&sb);
	for (int i = 0; i < 1000; i++)
		sb_printf(&sb, "%d,", i % 10);
	ck_assert_uint_eq(sb.len, 2000);
	ck_assert_int_eq(sb.s[1998], '9');
	sb_truncate(&sb, 3);
	ck_assert_str_eq(sb.s, "0,1");
	sb_free(&sb);
	sv_init(&sv);
	sv_push(&sv, "X-Helpdesk-Team");
	ck_assert(sv_contains_ci(&sv, "x-helpdesk-team"));
	ck_assert(!sv_contains_ci(&sv, "x-helpdesk"));
	ck_assert_ptr_null(sv.v[sv.n]);
	sv_free(&sv);
}
END_TEST

START_TEST(ids)
{
	char *a = hd_id_from_seed("HD-", "acme|<root@example.net>");
	char *b = hd_id_from_seed("HD-", "acme|<root@example.net>");
	char *c = hd_id_from_seed("HD-", "acme|<other@example.net>");
	char *subj, *t;

	ck_assert_str_eq(a, b);		/* same thread, same id */
	ck_assert_str_ne(a, c);
	ck_assert_uint_eq(strlen(a), 3 + HD_ID_CHARS);
	subj = xasprintf("Re: [%s] invoice", a);
	t = hd_ticket_from_subject(subj);
	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(t, a);
	free(t);
	free(subj);
	ck_assert_ptr_null(hd_ticket_from_subject("XHD-ABCDEFGHJK and HD-ABC"));
	free(a);
	free(b);
	free(c);
}
END_TEST

START_TEST(verdict_json)
{
	struct hd_verdict *v = hd_verdict_new();
	struct hd_finding *f;
	char *j;

	v->direction = HD_DIR_OUTBOUND;
	v->action = HD_VERDICT_REJECT;
	hd_verdict_set_reply(v, "550", "5.7.1");
	sv_push(&v->reply_lines, "line \"one\"\n");
	hd_verdict_add_header(v, "X-Helpdesk-Tone", "flagged; rules=calm-down");
	f = hd_verdict_add_finding(v, "tone", "calm-down", "calm down");
	f->line = 3;
	j = hd_verdict_to_json(v);
	ck_assert_str_eq(j,
		"{\"direction\":\"outbound\",\"action\":\"reject\",\"smtp_reply\":{\"code\":\"550\","
		"\"xcode\":\"5.7.1\",\"lines\":[\"line \\\"one\\\"\\n\"]},\"team\":null,\"priority\":null,"
		"\"ticket\":null,\"agent\":null,\"headers_removed\":[],\"headers_added\":[[\"X-Helpdesk-Tone\","
		"\"flagged; rules=calm-down\"]],\"recipients_added\":[],\"findings\":[{\"kind\":\"tone\","
		"\"rule\":\"calm-down\",\"text\":\"calm down\",\"line\":3}]}");
	free(j);
	hd_verdict_deinit(&v);
	ck_assert_ptr_null(v);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("util");
	int failed;

	tcase_add_test(tc, rfc3339);
	tcase_add_test(tc, civil);
	tcase_add_test(tc, addresses);
	tcase_add_test(tc, strings);
	tcase_add_test(tc, ids);
	tcase_add_test(tc, verdict_json);
	suite_add_tcase(s, tc);
	failed = hd_check_run(s);
	return failed ? 1 : 0;
}

/* test-kpi - the KPI report on a store built through the engine with a fixed
   clock: eight tickets over two weeks and two teams (met, breached late,
   breached unanswered, not yet due, at risk), tone findings, exceptions
   granted and approved, a refused hand-off and escalations. Every expected
   number is worked out by hand in the comments from
   tests/data/engine/policy.yaml (London = UTC in December). */
#include <config.h>
#include <check.h>
#include "check-run.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util.h"
#include "diag.h"
#include "policy.h"
#include "store.h"
#include "mime.h"
#include "engine.h"
#include "kpi.h"

static struct hd_policy *pol;
static struct hd_store *store;
static struct hd_limits lim;
static char *tickets[9];

/* KPIs added to the engine test policy for this test. */
static const char kpis_yaml[] =
	"kpis:\n"
	"  first_response_attainment: { target: 95%, review: monthly, owner: Ops }\n"
	"  median_first_response: { target: 2h, review: weekly, owner: Ops }\n"
	"  tone_flags_per_agent: { target: 2, review: quarterly, owner: Leads }\n"
	"  exception_rate: { target: 10%, review: monthly, owner: Leads }\n"
	"  resolution_attainment: { target: 90%, review: monthly, owner: Ops }\n"
	"  csat: { target: 4.5, review: monthly, owner: Ops }\n";

/* Source tree root: TOP_SRCDIR env wins over the compiled-in path. */
static const char *top(void)
{
	const char *t = getenv("TOP_SRCDIR");
	return t ? t : TOP_SRCDIR;
}

/* Run the engine on one message at a fixed time; returns the ticket id (allocated). */
static char *run(const char *msg, const char *from, const char *rcpt, const char *auth, const char *at)
{
	struct hd_engine e = { .policy = pol, .store = store, .limits = &lim };
	const char *rcpts[1] = { rcpt };
	struct hd_engine_input in = { .queue_id = "KPIQ", .mail_from = from, .rcpts = rcpts, .nrcpts = 1,
				      .auth_user = auth, .client_ip = "192.0.2.1",
				      .data = msg, .len = strlen(msg), .fd = -1 };
	struct hd_verdict *v = NULL;
	char *err = NULL, *ticket;

	ck_assert(time_parse_rfc3339(at, &in.received));
	ck_assert_msg(hd_engine_run(&e, &in, &v, &err) == 0, "engine: %s", err ? err : "");
	ticket = v->ticket ? xstrdup(v->ticket) : NULL;
	hd_verdict_deinit(&v);
	return ticket;
}

/* A customer opens ticket n. */
static void open_ticket(int n, const char *mailbox, const char *subject, const char *body, const char *at)
{
	char *msg = xasprintf("From: Pat <pat@example.net>\nTo: %s\nMessage-ID: <t%d@example.net>\n"
			      "Subject: %s\n\n%s\n", mailbox, n, subject, body);

	tickets[n] = run(msg, "pat@example.net", mailbox, NULL, at);
	ck_assert_ptr_nonnull(tickets[n]);
	free(msg);
}

/* An agent replies on ticket n (extra: headers, may be ""). */
static void reply(const char *agent, int n, const char *extra, const char *body, const char *at)
{
	char *msg = xasprintf("Subject: Re: ticket %d\nReferences: <t%d@example.net>\n%s\n%s\n", n, n, extra, body);
	char *t = run(msg, agent, "pat@example.net", agent, at);

	free(t);
	free(msg);
}

/* Keep the id of the first pending exception record. */
static bool pending_id(const struct hd_audit_row *row, void *ctx)
{
	char **id = ctx;

	if (*id == NULL && row->action && strcmp(row->action, "reject") == 0)
		*id = xstrdup(row->rule);
	return true;
}

#define ALICE "alice@support.example.com"
#define BOB "bob@support.example.com"
#define DAVE "dave@support.example.com"
#define BILLING "billing@support.example.com"
#define TECH "support@support.example.com"

static void setup(void)
{
	struct hd_diag d;
	char *path = xasprintf("%s/tests/data/engine/policy.yaml", top()), *err = NULL, *data;
	struct strbuf sb;
	FILE *f = fopen(path, "r");
	char buf[4096];
	size_t n;

	ck_assert_ptr_nonnull(f);
	sb_init(&sb);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sb_append(&sb, buf, n);
	fclose(f);
	sb_puts(&sb, kpis_yaml);
	data = sb_steal(&sb);
	hd_mime_init();
	hd_limits_init(&lim);
	hd_diag_init(&d);
	pol = hd_policy_load_buffer("policy+kpis", data, strlen(data), &d);
	for (size_t i = 0; i < d.lines.n; i++)
		fprintf(stderr, "%s\n", d.lines.v[i]);
	ck_assert_ptr_nonnull(pol);
	hd_diag_free(&d);
	free(data);
	free(path);
	store = hd_store_open(":memory:", &err);
	ck_assert_msg(store != NULL, "store: %s", err ? err : "");

	/* Week 49 (Mon 30 Nov - Sun 6 Dec). */
	/* T1 billing standard, due Tue 15:30; Alice answers Tue 10:00: met, 1.5h + 1h = 150 min. */
	open_ticket(1, BILLING, "Invoice", "My invoice looks wrong.", "2026-11-30T16:00:00Z");
	/* Alice's first try is refused for tone: no reply, no first response. */
	reply(ALICE, 1, "", "Please calm down, I am on it.", "2026-12-01T09:30:00Z");
	reply(ALICE, 1, "", "We are fixing it today.", "2026-12-01T10:00:00Z");
	/* T2 billing standard opened Mon 09:00, due Mon 17:00; answered Tue 10:00:
	   breached, Mon 8.5h + Tue 1h = 570 min. */
	open_ticket(2, BILLING, "Invoice twice", "Charged twice.", "2026-11-30T09:00:00Z");
	reply(ALICE, 2, "", "Looking into it.", "2026-12-01T10:00:00Z");
	/* A refund over Alice's limit: refused, approved by Dave, sent again (1 exception, tier 3). */
	reply(ALICE, 2, "", "I have issued a refund of $200.00 to your card.", "2026-12-01T11:00:00Z");
	{
		struct hd_audit_filter af = { .kind = "exception" };
		char *exc = NULL, *approve, *aerr = NULL, *t;

		ck_assert(hd_store_audit(store, &af, pending_id, &exc, &aerr) == HD_STORE_OK);
		ck_assert_ptr_nonnull(exc);
		approve = xasprintf("Subject: ok\n\napprove %s\n", exc);
		t = run(approve, DAVE, "approvals@support.example.com", DAVE, "2026-12-01T11:10:00Z");
		free(t);
		free(approve);
		free(exc);
	}
	reply(ALICE, 2, "", "I have issued a refund of $200.00 to your card.", "2026-12-01T11:15:00Z");
	/* T3 technical critical (wall 1h) opened Tue 08:00, Bob answers 09:30: breached, 90 min. */
	open_ticket(3, TECH, "outage", "Everything is down.", "2026-12-01T08:00:00Z");
	reply(BOB, 3, "", "We are on it.", "2026-12-01T09:30:00Z");
	/* T4 technical critical opened Wed 12:00 with a legal threat, never answered:
	   due 13:00, breached unanswered by the report's clock. */
	open_ticket(4, TECH, "outage again", "My lawyer will hear about this.", "2026-12-02T12:00:00Z");
	/* A hand-off without the checklist: refused. */
	{
		char *t = run("Subject: Fwd: customer\n\nCustomer: Pat\nPlease take over.\n", ALICE,
			      "lead@support.example.com", ALICE, "2026-12-01T12:00:00Z");
		free(t);
	}

	/* Week 50 (Mon 7 Dec - ). */
	/* T5 technical high (4h on the 24h calendar) opened Mon 10:00, due 14:00; Bob answers
	   15:00 with a tag-only phrase: breached, 300 min, one finding. */
	open_ticket(5, TECH, "urgent help", "Cannot log in.", "2026-12-07T10:00:00Z");
	reply(BOB, 5, "", "This is not our fault, but I reset it.", "2026-12-07T15:00:00Z");
	/* T8 technical standard opened Mon 12:00, Alice answers 13:00: met, 60 min; later she
	   grants a tier-2 refund-window exception herself. */
	open_ticket(8, TECH, "Question", "How do I export?", "2026-12-07T12:00:00Z");
	reply(ALICE, 8, "", "Here is how.", "2026-12-07T13:00:00Z");
	reply(ALICE, 8, "X-Helpdesk-Exception-Request: policy=refund-window; tier=2; reason=\"3 days late\"\n",
	      "We accept the late return.", "2026-12-07T14:00:00Z");
	/* T6 billing standard opened Tue 8 Dec 09:00, due 17:00: not due at 12:00, 3h of 8h used. */
	open_ticket(6, BILLING, "Question", "Where is my receipt?", "2026-12-08T09:00:00Z");
	/* T7 billing high (4h business) opened 09:00, due 13:00: at 12:00 3h of 4h = 75%: at risk. */
	open_ticket(7, BILLING, "urgent invoice", "Please fix.", "2026-12-08T09:00:00Z");
}

static void teardown(void)
{
	for (size_t i = 0; i < sizeof(tickets) / sizeof(tickets[0]); i++)
		xfree(&tickets[i]);
	hd_store_deinit(&store);
	hd_policy_unref(&pol);
}

/* Build the report as of Tue 8 Dec 12:00 UTC. */
static struct hd_kpi_report *build(time_t since, time_t until, enum hd_kpi_by by)
{
	struct hd_kpi_report *r = NULL;
	char *err = NULL;
	time_t at;

	ck_assert(time_parse_rfc3339("2026-12-08T12:00:00Z", &at));
	ck_assert_msg(hd_kpi_report_build(pol, store, since, until, at, by, &r, &err) == 0, "%s", err);
	return r;
}

/* Check one first-response group. */
static void check_sla(const struct hd_kpi_sla *g, const char *key, long tickets_n, long met, long breached,
		      long unanswered, long pending, double attainment, long median, long p90)
{
	ck_assert_str_eq(g->key, key);
	ck_assert_int_eq(g->tickets, tickets_n);
	ck_assert_int_eq(g->met, met);
	ck_assert_int_eq(g->breached, breached);
	ck_assert_int_eq(g->breached_unanswered, unanswered);
	ck_assert_int_eq(g->pending, pending);
	ck_assert_msg(attainment < 0 ? g->attainment < 0 : (g->attainment > attainment - 0.05 &&
							    g->attainment < attainment + 0.05),
		      "%s attainment %.2f, expected %.2f", key, g->attainment, attainment);
	ck_assert_int_eq(g->median, median);
	ck_assert_int_eq(g->p90, p90);
}

START_TEST(first_response_counts_unanswered_breaches)
{
	struct hd_kpi_report *r = build(0, 0, HD_KPI_BY_TEAM);

	/* met: T1 T8; breached: T2 T3 T5 late, T4 unanswered; pending T6 T7 -> 2 / 6.
	   answered minutes 60 90 150 300 570: nearest-rank median = 3rd, p90 = 5th. */
	check_sla(&r->total, "all", 8, 2, 4, 1, 2, 33.33, 150, 570);
	ck_assert_uint_eq(r->ngroups, 2);
	/* billing T1 met 150, T2 breached 570, T6 T7 pending */
	check_sla(&r->groups[0], "billing", 4, 1, 1, 0, 2, 50.0, 150, 570);
	/* technical T3 90 T5 300 breached, T4 unanswered, T8 met 60: minutes 60 90 300 */
	check_sla(&r->groups[1], "technical", 4, 1, 3, 1, 0, 25.0, 90, 300);
	ck_assert_uint_eq(r->nweeks, 2);
	/* W49: T1 met; T2 T3 T4 breached; minutes 90 150 570 */
	check_sla(&r->weeks[0], "2026-W49", 4, 1, 3, 1, 0, 25.0, 150, 570);
	/* W50: T8 met, T5 breached, T6 T7 pending; minutes 60 300 */
	check_sla(&r->weeks[1], "2026-W50", 4, 1, 1, 0, 2, 50.0, 60, 300);
	ck_assert_int_eq(r->inbound, 8);
	hd_kpi_report_free(&r);
	ck_assert_ptr_null(r);
}
END_TEST

START_TEST(by_agent_and_period)
{
	struct hd_kpi_report *r = build(0, 0, HD_KPI_BY_AGENT);
	time_t since, until;

	/* "(no reply)" sorts first: T4 breached, T6 T7 pending. */
	ck_assert_uint_eq(r->ngroups, 3);
	check_sla(&r->groups[0], "(no reply)", 3, 0, 1, 1, 2, 0.0, -1, -1);
	check_sla(&r->groups[1], ALICE, 3, 2, 1, 0, 0, 66.67, 150, 570);
	check_sla(&r->groups[2], BOB, 2, 0, 2, 0, 0, 0.0, 90, 300);
	hd_kpi_report_free(&r);

	/* Only Mon 7 Dec: T5 breached, T8 met; the backlog now is the same. */
	ck_assert(time_parse_rfc3339("2026-12-07T00:00:00Z", &since));
	ck_assert(time_parse_rfc3339("2026-12-08T00:00:00Z", &until));
	r = build(since, until, HD_KPI_BY_WEEK);
	check_sla(&r->total, "all", 2, 1, 1, 0, 0, 50.0, 60, 300);
	ck_assert_uint_eq(r->ngroups, 1);
	ck_assert_str_eq(r->groups[0].key, "2026-W50");
	ck_assert_int_eq(r->awaiting, 3);
	/* records of that day: T5 and T8 inbound, Bob's and Alice's two replies */
	ck_assert_int_eq(r->inbound, 2);
	ck_assert_int_eq(r->replies, 3);
	hd_kpi_report_free(&r);
}
END_TEST

START_TEST(backlog_overdue_and_at_risk_oldest_first)
{
	struct hd_kpi_report *r = build(0, 0, HD_KPI_BY_TEAM);

	/* T4 (6 days, overdue), T6 (3h, 37.5% used), T7 (3h, 75% used: at risk). */
	ck_assert_int_eq(r->awaiting, 3);
	ck_assert_int_eq(r->overdue, 1);
	ck_assert_int_eq(r->at_risk, 1);
	ck_assert_int_eq(r->backlog[1], 2);	/* 1-4h */
	ck_assert_int_eq(r->backlog[5], 1);	/* 3-7 days */
	ck_assert_int_eq(r->backlog[0] + r->backlog[2] + r->backlog[3] + r->backlog[4] + r->backlog[6], 0);
	ck_assert_uint_eq(r->nopen, 2);
	ck_assert_str_eq(r->open[0].ticket, tickets[4]);
	ck_assert(r->open[0].overdue);
	ck_assert_int_eq(r->open[0].elapsed, 6 * 1440);	/* wall clock, critical */
	ck_assert_str_eq(r->open[1].ticket, tickets[7]);
	ck_assert(!r->open[1].overdue);
	ck_assert_int_eq(r->open[1].elapsed, 180);
	ck_assert_int_eq(r->open[1].target, 240);
	hd_kpi_report_free(&r);
}
END_TEST

START_TEST(agents_findings_exceptions_escalations)
{
	struct hd_kpi_report *r = build(0, 0, HD_KPI_BY_TEAM);

	/* Alice: 5 replies delivered (T1, T2, refund resent, T8, T8 exception); the
	   tone-refused, the first refund try and the hand-off were refused. Bob: 2. */
	ck_assert_int_eq(r->replies, 7);
	ck_assert_uint_eq(r->nagents, 2);
	ck_assert_str_eq(r->agents[0].agent, ALICE);
	ck_assert_int_eq(r->agents[0].replies, 5);
	ck_assert_int_eq(r->agents[0].tone, 1);
	ck_assert_int_eq(r->agents[0].exceptions, 2);
	ck_assert_int_eq(r->agents[0].handoff, 1);
	ck_assert(r->agents[0].exception_rate > 0.3999 && r->agents[0].exception_rate < 0.4001);
	ck_assert_str_eq(r->agents[1].agent, BOB);
	ck_assert_int_eq(r->agents[1].replies, 2);
	ck_assert_int_eq(r->agents[1].tone, 1);
	ck_assert_int_eq(r->agents[1].exceptions, 0);
	ck_assert(r->agents[1].exception_rate == 0);
	ck_assert_int_eq(r->tone_by_rule.total, 2);
	ck_assert_uint_eq(r->tone_by_rule.n, 2);
	ck_assert_str_eq(r->tone_by_rule.v[0].key, "calm-down");
	ck_assert_str_eq(r->tone_by_rule.v[1].key, "not-our-fault");
	/* exceptions: tier 2 refund-window (Alice's own authority), tier 3 authority (Dave) */
	ck_assert_int_eq(r->exc_by_status.total, 2);
	ck_assert_uint_eq(r->exc_by_tier.n, 2);
	ck_assert_str_eq(r->exc_by_tier.v[0].key, "tier 2");
	ck_assert_str_eq(r->exc_by_tier.v[1].key, "tier 3");
	ck_assert_int_eq(r->exc_by_tier.v[1].n, 1);
	ck_assert_uint_eq(r->exc_by_policy.n, 2);
	ck_assert_str_eq(r->exc_by_policy.v[0].key, "authority");
	ck_assert_str_eq(r->exc_by_policy.v[1].key, "refund-window");
	ck_assert_uint_eq(r->exc_by_approver.n, 2);
	ck_assert_str_eq(r->exc_by_approver.v[0].key, "(agent's own authority)");
	ck_assert_str_eq(r->exc_by_approver.v[1].key, DAVE);
	ck_assert_int_eq(r->handoff_refusals, 1);
	/* T3: critical-priority; T4: critical-priority and legal-threat in one record */
	ck_assert_int_eq(r->escalations_by_trigger.total, 3);
	ck_assert_str_eq(r->escalations_by_trigger.v[0].key, "critical-priority");
	ck_assert_int_eq(r->escalations_by_trigger.v[0].n, 2);
	ck_assert_str_eq(r->escalations_by_trigger.v[1].key, "legal-threat");
	hd_kpi_report_free(&r);
}
END_TEST

START_TEST(policy_kpis_against_targets_and_reviews)
{
	struct hd_kpi_report *r = build(0, 0, HD_KPI_BY_TEAM);
	char buf[32];
	time_t due;

	ck_assert_uint_eq(r->nkpis, 6);
	/* 33.3% against 95%: missed */
	ck_assert_int_eq(r->kpis[0].status, HD_KPI_MISSED);
	hd_kpi_value_text(&r->kpis[0], buf);
	ck_assert_str_eq(buf, "33.3%");
	/* effective 2026-01-01 + monthly = 2026-02-01, long past on 8 Dec */
	ck_assert(time_parse_rfc3339("2026-02-01T00:00:00Z", &due));
	ck_assert_int_eq(r->kpis[0].review_due, due);
	ck_assert(r->kpis[0].review_overdue);
	/* median 150 min against 2h: missed; weekly review due 2026-01-08 */
	ck_assert_int_eq(r->kpis[1].status, HD_KPI_MISSED);
	hd_kpi_value_text(&r->kpis[1], buf);
	ck_assert_str_eq(buf, "2h30m");
	ck_assert(time_parse_rfc3339("2026-01-08T00:00:00Z", &due));
	ck_assert_int_eq(r->kpis[1].review_due, due);
	/* 2 findings over 2 active agents = 1 against at most 2: met */
	ck_assert_int_eq(r->kpis[2].status, HD_KPI_MET);
	hd_kpi_value_text(&r->kpis[2], buf);
	ck_assert_str_eq(buf, "1.000");
	/* 2 exceptions over 7 replies = 0.286 against 10%: missed */
	ck_assert_int_eq(r->kpis[3].status, HD_KPI_MISSED);
	hd_kpi_value_text(&r->kpis[3], buf);
	ck_assert_str_eq(buf, "0.286");
	/* not in this store: said, not guessed */
	ck_assert_int_eq(r->kpis[4].status, HD_KPI_NOT_MEASURED);
	ck_assert_int_eq(r->kpis[5].status, HD_KPI_NOT_MEASURED);
	hd_kpi_value_text(&r->kpis[5], buf);
	ck_assert_str_eq(buf, "n/a");
	hd_kpi_report_free(&r);

	/* Before the first review date nothing is overdue. */
	{
		char *err = NULL;
		time_t at;

		ck_assert(time_parse_rfc3339("2026-01-05T00:00:00Z", &at));
		ck_assert(hd_kpi_report_build(pol, store, 0, 0, at, HD_KPI_BY_TEAM, &r, &err) == 0);
		ck_assert(!r->kpis[0].review_overdue);
		ck_assert(!r->kpis[1].review_overdue);
		hd_kpi_report_free(&r);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("kpi");
	TCase *tc = tcase_create("kpi");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, first_response_counts_unanswered_breaches);
	tcase_add_test(tc, by_agent_and_period);
	tcase_add_test(tc, backlog_overdue_and_at_risk_oldest_first);
	tcase_add_test(tc, agents_findings_exceptions_escalations);
	tcase_add_test(tc, policy_kpis_against_targets_and_reviews);
	suite_add_tcase(s, tc);
	return hd_check_run(s) == 0 ? 0 : 1;
}

/* test-state - ticket life with a fixed clock (SPEC s.11): #status pending
   pauses the resolution clock, the customer's answer reopens the ticket and
   stamps the moved due time, next-reply met and breached, resolution with
   pauses, reopening a resolved ticket, and a pause across New York's DST
   change. Calendars have a lunch break (09:00-12:30, 13:30-17:30 = 7h30 a
   day); London is on GMT (= UTC) in November and December. Weekdays:
   2026-11-30 Mon, 12-01 Tue, 12-02 Wed, 12-03 Thu; 2026-03-07 Sat,
   03-08 Sun (New York DST starts 07:00Z), 03-09 Mon. */
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

#include "engine-check.h"

static const char POLICY[] =
	"policy: { name: life, version: 1 }\n"
	"scope: { teams: { billing: { mailboxes: [billing@support.example.com], calendar: london },\n"
	"                  us: { mailboxes: [us@support.example.com], calendar: newyork } } }\n"
	"calendars:\n"
	"  london: { timezone: Europe/London, hours: { mon-fri: [\"09:00-12:30\", \"13:30-17:30\"] } }\n"
	"  newyork: { timezone: America/New_York, hours: { mon-sun: [\"09:00-12:30\", \"13:30-17:30\"] } }\n"
	"priorities: [ { name: standard } ]\n"
	"sla: { email: { standard: { first_response: 8h, resolution: 16h, next_reply: 4h,\n"
	"                            warn_at: [75%, 90%], pause_on: [pending] } } }\n"
	"roles: { currency: USD, agent: { refund: 50 } }\n"
	"agents: { alice@support.example.com: { role: agent, team: billing } }\n";

static void setup(void)
{
	struct hd_diag d;
	char *err = NULL;

	hd_mime_init();
	hd_limits_init(&lim);
	hd_diag_init(&d);
	pol = hd_policy_load_buffer("life.yaml", POLICY, strlen(POLICY), &d);
	for (size_t i = 0; i < d.lines.n; i++)
		fprintf(stderr, "%s\n", d.lines.v[i]);
	ck_assert_ptr_nonnull(pol);
	hd_diag_free(&d);
	store = hd_store_open(":memory:", &err);
	ck_assert_msg(store != NULL, "store: %s", err ? err : "");
}

static void teardown(void)
{
	hd_store_deinit(&store);
	hd_policy_unref(&pol);
}

/* Count audit records of a kind (and action, when not NULL) on a ticket. */
struct count_ctx {
	const char *action;
	size_t n;
};
static bool count_row(const struct hd_audit_row *row, void *ctx)
{
	struct count_ctx *c = ctx;
	if (c->action == NULL || (row->action && strcmp(row->action, c->action) == 0))
		c->n++;
	return true;
}
static size_t records(const char *ticket, const char *kind, const char *action)
{
	struct hd_audit_filter f = { .ticket = ticket, .kind = kind };
	struct count_ctx c = { action, 0 };
	char *err = NULL;

	ck_assert(hd_store_audit(store, &f, count_row, &c, &err) == HD_STORE_OK);
	return c.n;
}

#define ALICE "alice@support.example.com"

START_TEST(pause_resume_next_reply_resolution)
{
	struct hd_verdict *v = run("From: pat@example.net\nMessage-ID: <c1@example.net>\n"
				   "Subject: Invoice\n\nMy invoice is wrong.\n", "pat@example.net",
				   "billing@support.example.com", NULL, "2026-11-30T10:00:00Z");
	char *ticket = xstrdup(added(v, "X-Helpdesk-Ticket"));
	struct hd_ticket_state st;
	char *err = NULL;

	/* 16h from Mon 10:00: Mon 6h30, Tue 7h30, Wed 09:00 + 2h. */
	ck_assert_str_eq(added(v, "X-Helpdesk-Resolution-Due"), "2026-12-02T11:00:00Z");
	ck_assert_ptr_null(added(v, "X-Helpdesk-State"));
	hd_verdict_deinit(&v);

	/* Alice answers Mon 11:00 and waits for the customer: 1h counted. */
	v = run("Message-ID: <a1@support.example.com>\nIn-Reply-To: <c1@example.net>\n"
		"Subject: Re: Invoice\n\nCould you send the invoice number?\n#status pending\n"
		"Thanks\n", ALICE, "pat@example.net", ALICE, "2026-11-30T11:00:00Z");
	ck_assert_int_eq(v->action, HD_VERDICT_ACCEPT);
	ck_assert_str_eq(added(v, "X-Helpdesk-State"),
			 "pending; since=2026-11-30T11:00:00Z; paused=0m");
	ck_assert_ptr_nonnull(v->body);
	ck_assert_str_eq(v->body, "Could you send the invoice number?\nThanks\n");
	ck_assert_ptr_nonnull(added(v, "X-Helpdesk-First-Response"));
	hd_verdict_deinit(&v);

	/* Pat answers Tue 10:00: paused Mon 11:00-12:30, 13:30-17:30, Tue 09:00-10:00
	   = 6h30. 15h left from Tue 10:00: Tue 6h30, Wed 7h30, Thu 09:00 + 1h. */
	v = run("From: pat@example.net\nMessage-ID: <c2@example.net>\nIn-Reply-To: "
		"<a1@support.example.com>\nSubject: Re: Invoice\n\nIt is 4711.\n",
		"pat@example.net", "billing@support.example.com", NULL, "2026-12-01T10:00:00Z");
	ck_assert_str_eq(added(v, "X-Helpdesk-Ticket"), ticket);
	ck_assert_str_eq(added(v, "X-Helpdesk-State"),
			 "open; since=2026-12-01T10:00:00Z; paused=6h30m");
	ck_assert_str_eq(added(v, "X-Helpdesk-Resolution-Due"), "2026-12-03T10:00:00Z");
	/* next reply 4h: Tue 10:00-12:30, 13:30-15:00. */
	ck_assert_str_eq(added(v, "X-Helpdesk-Next-Reply-Due"), "2026-12-01T15:00:00Z");
	hd_verdict_deinit(&v);

	/* Alice resolves Tue 16:00 by header: next reply 5h, breached; open time
	   1h + 5h = 6h of 16h: resolution met. */
	v = run("Message-ID: <a2@support.example.com>\nIn-Reply-To: <c2@example.net>\n"
		"X-Helpdesk-Status-Request: resolved\nSubject: Re: Invoice\n\nCorrected.\n",
		ALICE, "pat@example.net", ALICE, "2026-12-01T16:00:00Z");
	ck_assert_str_eq(added(v, "X-Helpdesk-Next-Reply"),
			 "breached; elapsed=5h; target=4h; due=2026-12-01T15:00:00Z");
	ck_assert_str_eq(added(v, "X-Helpdesk-State"),
			 "resolved; since=2026-12-01T16:00:00Z; paused=6h30m");
	ck_assert_str_eq(added(v, "X-Helpdesk-Resolution"),
			 "met; elapsed=6h; paused=6h30m; due=2026-12-03T10:00:00Z");
	hd_verdict_deinit(&v);

	/* Pat writes again Wed 09:30: reopened; resolved time is not paused, so the
	   due time stays and is not stamped again; a new next-reply clock runs. */
	v = run("From: pat@example.net\nMessage-ID: <c3@example.net>\nIn-Reply-To: "
		"<a2@support.example.com>\nSubject: Re: Invoice\n\nStill wrong.\n",
		"pat@example.net", "billing@support.example.com", NULL, "2026-12-02T09:30:00Z");
	ck_assert_str_eq(added(v, "X-Helpdesk-State"),
			 "open; since=2026-12-02T09:30:00Z; paused=6h30m");
	ck_assert_ptr_null(added(v, "X-Helpdesk-Resolution-Due"));
	ck_assert_str_eq(added(v, "X-Helpdesk-Next-Reply-Due"), "2026-12-02T14:30:00Z");
	hd_verdict_deinit(&v);

	/* Alice answers within 30 minutes: met; no state change. */
	v = run("Message-ID: <a3@support.example.com>\nIn-Reply-To: <c3@example.net>\n"
		"Subject: Re: Invoice\n\nLooking.\n", ALICE, "pat@example.net", ALICE,
		"2026-12-02T10:00:00Z");
	ck_assert_str_eq(added(v, "X-Helpdesk-Next-Reply"),
			 "met; elapsed=30m; target=4h; due=2026-12-02T14:30:00Z");
	ck_assert_ptr_null(added(v, "X-Helpdesk-State"));
	hd_verdict_deinit(&v);

	ck_assert_int_eq(hd_store_ticket_state_get(store, ticket, &st, &err), HD_STORE_OK);
	ck_assert_int_eq(st.state, HD_STATE_OPEN);
	ck_assert_int_eq(st.paused, 6 * 3600 + 1800);
	/* 1h + 5h open, 2h resolved (Tue 16:00-17:30, Wed 09:00-09:30). */
	ck_assert_int_eq(st.counted, 8 * 3600);
	ck_assert_int_eq(st.next_reply_from, 0);
	hd_ticket_state_free(&st);
	ck_assert_uint_eq(records(ticket, "state", NULL), 4);
	ck_assert_uint_eq(records(ticket, "state", "pending"), 1);
	ck_assert_uint_eq(records(ticket, "sla", "breached"), 1);
	ck_assert_uint_eq(records(ticket, "sla", "met"), 3);	/* first response, resolution, next reply */
	free(ticket);
}
END_TEST

START_TEST(status_requests_checked)
{
	struct hd_verdict *v = run("From: pat@example.net\nMessage-ID: <d1@example.net>\n"
				   "Subject: Login\n\nCannot log in.\n", "pat@example.net",
				   "billing@support.example.com", NULL, "2026-11-30T10:00:00Z");
	char *ticket = xstrdup(added(v, "X-Helpdesk-Ticket"));
	hd_verdict_deinit(&v);

	/* An unknown state is refused, and nothing changes. */
	v = run("Message-ID: <b1@support.example.com>\nIn-Reply-To: <d1@example.net>\n"
		"Subject: Re: Login\n\nDone.\n#status closed\n", ALICE, "pat@example.net", ALICE,
		"2026-11-30T11:00:00Z");
	ck_assert_int_eq(v->action, HD_VERDICT_REJECT);
	hd_verdict_deinit(&v);
	ck_assert_uint_eq(records(ticket, "state", NULL), 0);
	/* A pending ticket stays pending on a second agent message and says so. */
	v = run("Message-ID: <b2@support.example.com>\nIn-Reply-To: <d1@example.net>\n"
		"Subject: Re: Login\n\n#status pending\nWhich browser?\n", ALICE,
		"pat@example.net", ALICE, "2026-11-30T11:00:00Z");
	ck_assert_str_eq(v->body, "Which browser?\n");
	hd_verdict_deinit(&v);
	v = run("Message-ID: <b3@support.example.com>\nIn-Reply-To: <d1@example.net>\n"
		"Subject: Re: Login\n\nAlso: which version?\n", ALICE, "pat@example.net", ALICE,
		"2026-11-30T12:00:00Z");
	ck_assert_str_eq(added(v, "X-Helpdesk-State"),
			 "pending; since=2026-11-30T11:00:00Z; paused=0m");
	hd_verdict_deinit(&v);
	ck_assert_uint_eq(records(ticket, "state", NULL), 1);
	free(ticket);
}
END_TEST

START_TEST(pause_across_new_york_dst)
{
	struct hd_verdict *v = run("From: kim@example.org\nMessage-ID: <n1@example.org>\n"
				   "Subject: Order\n\nWhere is my order?\n", "kim@example.org",
				   "us@support.example.com", NULL, "2026-03-07T21:00:00Z");
	/* Sat 16:00 EST; 16h: Sat 1h30, Sun (EDT) 7h30, Mon 3h30 + 3h30 -> Mon
	   17:00 EDT = 21:00Z. */
	ck_assert_str_eq(added(v, "X-Helpdesk-Resolution-Due"), "2026-03-09T21:00:00Z");
	hd_verdict_deinit(&v);
	/* Pending at Sat 17:00 EST (22:00Z): 1h counted. */
	v = run("Message-ID: <u1@support.example.com>\nIn-Reply-To: <n1@example.org>\n"
		"Subject: Re: Order\n\n#status pending\nYour order number?\n", ALICE,
		"kim@example.org", ALICE, "2026-03-07T22:00:00Z");
	hd_verdict_deinit(&v);
	/* Kim answers Mon 10:00 EDT (14:00Z): paused Sat 30m + Sun 7h30 + Mon 1h = 9h;
	   15h left: Mon 6h30, Tue 7h30, Wed 09:00 EDT + 1h = 14:00Z. */
	v = run("From: kim@example.org\nMessage-ID: <n2@example.org>\nIn-Reply-To: "
		"<u1@support.example.com>\nSubject: Re: Order\n\n12345\n", "kim@example.org",
		"us@support.example.com", NULL, "2026-03-09T14:00:00Z");
	ck_assert_str_eq(added(v, "X-Helpdesk-State"), "open; since=2026-03-09T14:00:00Z; paused=9h");
	ck_assert_str_eq(added(v, "X-Helpdesk-Resolution-Due"), "2026-03-11T14:00:00Z");
	hd_verdict_deinit(&v);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("state");
	TCase *tc = tcase_create("state");
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, pause_resume_next_reply_resolution);
	tcase_add_test(tc, status_requests_checked);
	tcase_add_test(tc, pause_across_new_york_dst);
	suite_add_tcase(s, tc);
	failed = hd_check_run(s);
	return failed ? 1 : 0;
}

/* test-engine - the decisions end to end on tests/data/engine/policy.yaml,
   with a real SQLite store for threads, first response and approvals. */
#include <config.h>
#include <check.h>
#include "check-run.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "util.h"
#include "diag.h"
#include "policy.h"
#include "store.h"
#include "mime.h"
#include "engine.h"
#include "engine-int.h"	/* hd_engine_put_quoted */
#include "verdict.h"

#include "engine-check.h"

/* Source tree root: TOP_SRCDIR env wins over the compiled-in path. */
static const char *top(void)
{
	const char *t = getenv("TOP_SRCDIR");
	return t ? t : TOP_SRCDIR;
}

static void setup(void)
{
	struct hd_diag d;
	char *path = xasprintf("%s/tests/data/engine/policy.yaml", top());
	char *err = NULL;

	hd_mime_init();
	hd_limits_init(&lim);
	hd_diag_init(&d);
	pol = hd_policy_load(path, &d);
	for (size_t i = 0; i < d.lines.n; i++)
		fprintf(stderr, "%s\n", d.lines.v[i]);
	ck_assert_ptr_nonnull(pol);
	hd_diag_free(&d);
	free(path);
	store = hd_store_open(":memory:", &err);
	ck_assert_msg(store != NULL, "store: %s", err ? err : "");
}

static void teardown(void)
{
	hd_store_deinit(&store);
	hd_policy_unref(&pol);
}

/* The first finding of a kind, or NULL. */
static const struct hd_finding *finding_of(const struct hd_verdict *v, const char *kind)
{
	for (size_t i = 0; i < v->nfindings; i++)
		if (strcmp(v->findings[i].kind, kind) == 0)
			return &v->findings[i];
	return NULL;
}

#define CUSTOMER_MAIL(id, subject, body) \
	"From: Pat Customer <pat@example.net>\nTo: billing@support.example.com\n" \
	"Message-ID: <" id ">\nSubject: " subject "\nDate: Mon, 30 Nov 2026 16:00:00 +0000\n\n" body "\n"

START_TEST(inbound_standard_deadlines)
{
	struct hd_verdict *v = run(CUSTOMER_MAIL("m1@example.net", "Invoice question",
						 "Hello, my invoice looks wrong."),
				   "pat@example.net", "billing@support.example.com", NULL,
				   "2026-11-30T16:00:00Z");

	ck_assert_int_eq(v->direction, HD_DIR_INBOUND);
	ck_assert_int_eq(v->action, HD_VERDICT_ACCEPT);
	ck_assert_str_eq(added(v, "X-Helpdesk-Policy"), "test-support v7");
	ck_assert_str_eq(added(v, "X-Helpdesk-Team"), "billing");
	ck_assert(strncmp(added(v, "X-Helpdesk-Priority"), "standard; ", 10) == 0);
	ck_assert(strncmp(added(v, "X-Helpdesk-Ticket"), "HD-", 3) == 0);
	/* Mon 16:00 London (= UTC in winter): 1.5h left Monday, 6.5h Tuesday from 09:00. */
	ck_assert_str_eq(added(v, "X-Helpdesk-First-Response-Due"), "2026-12-01T15:30:00Z");
	/* 40h: Mon 1.5 + Tue..Fri 4 x 8.5 = 35.5h; 4.5h more from Mon 7 Dec 09:00. */
	ck_assert_str_eq(added(v, "X-Helpdesk-Resolution-Due"), "2026-12-07T13:30:00Z");
	ck_assert_ptr_null(added(v, "X-Helpdesk-Escalation"));
	ck_assert_uint_eq(v->recipients_added.n, 0);
	hd_verdict_deinit(&v);
}
END_TEST

START_TEST(inbound_critical_escalates_backup_out_of_hours)
{
	/* 20:00 London on a Monday: outside the primary's hours, so the backup. */
	struct hd_verdict *v = run(CUSTOMER_MAIL("m2@example.net", "Help",
						 "Our site is\n   down since this morning!"),
				   "pat@example.net", "billing@support.example.com", NULL,
				   "2026-11-30T20:00:00Z");
	const char *p = added(v, "X-Helpdesk-Priority");

	ck_assert_msg(strstr(p, "critical; ") == p, "%s", p);
	ck_assert_msg(strstr(p, "by=words") && strstr(p, "site is"), "%s", p);
	/* clock: wall → plain 1h and 8h. */
	ck_assert_str_eq(added(v, "X-Helpdesk-First-Response-Due"), "2026-11-30T21:00:00Z");
	ck_assert_str_eq(added(v, "X-Helpdesk-Resolution-Due"), "2026-12-01T04:00:00Z");
	ck_assert_str_eq(added(v, "X-Helpdesk-Escalation"),
			 "lead; contact=ops@support.example.com; trigger=critical-priority; backup=yes");
	ck_assert_uint_eq(v->recipients_added.n, 1);
	ck_assert_str_eq(v->recipients_added.v[0], "ops@support.example.com");
	hd_verdict_deinit(&v);

	/* Within hours the primary; the legal trigger fires too. */
	v = run(CUSTOMER_MAIL("m3@example.net", "Refund", "I will ask my lawyer about a chargeback."),
		"pat@bigcorp.example", "billing@support.example.com", NULL, "2026-11-30T10:00:00Z");
	ck_assert(strncmp(added(v, "X-Helpdesk-Priority"), "critical; ", 10) == 0);
	ck_assert(strstr(added(v, "X-Helpdesk-Priority"), "by=sender_domain") != NULL);
	ck_assert_str_eq(added(v, "X-Helpdesk-Escalation"),
			 "lead; contact=lead@support.example.com; trigger=critical-priority,legal-threat; backup=no");
	hd_verdict_deinit(&v);
}
END_TEST

START_TEST(forged_headers_removed_and_scope)
{
	struct hd_verdict *v = run("X-Helpdesk-Priority: critical\nx-helpdesk-ticket: HD-FAKE\n"
				   "X-HELPDESK-Team: vip\nFrom: alice@support.example.com\n"
				   "Subject: URGENT please\nMessage-ID: <m4@example.net>\n\nhi\n",
				   "pat@example.net", "billing@support.example.com", NULL,
				   "2026-11-30T10:00:00Z");

	/* A From: of an agent makes nobody an agent: still inbound. */
	ck_assert_int_eq(v->direction, HD_DIR_INBOUND);
	ck_assert_uint_eq(v->headers_removed.n, 3);
	ck_assert_str_eq(v->headers_removed.v[0], "X-Helpdesk-Priority");
	ck_assert_str_eq(v->headers_removed.v[1], "x-helpdesk-ticket");
	ck_assert_str_eq(v->headers_removed.v[2], "X-HELPDESK-Team");
	ck_assert(strncmp(added(v, "X-Helpdesk-Priority"), "high; ", 6) == 0);
	ck_assert_str_ne(added(v, "X-Helpdesk-Ticket"), "HD-FAKE");
	hd_verdict_deinit(&v);

	/* Out of scope: no header added, forged ones still removed. */
	v = run("X-Helpdesk-Team: x\nSubject: hi\n\nhello\n", "a@example.net", "someone@example.org",
		NULL, "2026-11-30T10:00:00Z");
	ck_assert_int_eq(v->direction, HD_DIR_OUT_OF_SCOPE);
	ck_assert_uint_eq(v->headers_added.n, 0);
	ck_assert_uint_eq(v->headers_removed.n, 1);
	hd_verdict_deinit(&v);
}
END_TEST

START_TEST(outbound_tone)
{
	struct hd_verdict *v = run("From: alice@support.example.com\nTo: pat@example.net\n"
				   "Subject: Re: Invoice\nMessage-ID: <r1@support.example.com>\n\n"
				   "Hello Pat,\n\nPlease calm\ndown, I am on it.\n\n"
				   "On Mon, 30 Nov 2026, Pat wrote:\n> It is not our fault, you said.\n",
				   "alice@support.example.com", "pat@example.net", "alice@support.example.com",
				   "2026-11-30T11:00:00Z");
	const struct hd_finding *f = finding_of(v, "tone");

	ck_assert_int_eq(v->direction, HD_DIR_OUTBOUND);
	ck_assert_int_eq(v->action, HD_VERDICT_REJECT);
	ck_assert_str_eq(v->reply_code, "550");
	ck_assert_str_eq(v->reply_xcode, "5.7.1");
	ck_assert_ptr_nonnull(f);
	ck_assert_str_eq(f->rule, "calm-down");
	ck_assert_str_eq(f->suggest, "I understand how frustrating this is.");
	ck_assert_int_eq(f->line, 3);
	/* The quoted "not our fault" is the customer's, not the agent's. */
	for (size_t i = 0; i < v->nfindings; i++)
		ck_assert_str_ne(v->findings[i].rule ? v->findings[i].rule : "", "not-our-fault");
	ck_assert(v->reply_lines.n >= 2);
	ck_assert_msg(strstr(v->reply_lines.v[1], "I understand how frustrating this is.") != NULL,
		      "%s", v->reply_lines.v[1]);
	hd_verdict_deinit(&v);

	/* Without SMTP AUTH and from an untrusted client, alice is not an agent. */
	v = run("From: alice@support.example.com\nSubject: x\n\ncalm down\n", "alice@support.example.com",
		"billing@support.example.com", NULL, "2026-11-30T11:00:00Z");
	ck_assert_int_eq(v->direction, HD_DIR_INBOUND);
	hd_verdict_deinit(&v);

	/* A tag-only phrase is delivered and flagged. */
	v = run("Subject: Re: x\n\nThis is not our fault.\n", "bob@support.example.com", "pat@example.net",
		"bob@support.example.com", "2026-11-30T11:00:00Z");
	ck_assert_int_eq(v->action, HD_VERDICT_ACCEPT);
	ck_assert_str_eq(added(v, "X-Helpdesk-Tone"), "flagged; rules=not-our-fault");
	hd_verdict_deinit(&v);
}
END_TEST

/* A phrase only in text the quote split is unsure of is tagged, not refused;
   the same phrase in the agent's certain words keeps its action. */
START_TEST(tone_uncertain_split_tags)
{
#define UNSURE_HISTORY "Kutoka: Pat <pat@example.net>\nImetumwa: 30 Novemba 2026 16:00\n" \
	"Kwa: billing@support.example.com\n\nPlease calm down, you said.\n"
	struct hd_verdict *v = run("Subject: Re: x\n\nHello Pat,\nIt is fixed.\n\n" UNSURE_HISTORY,
				   "bob@support.example.com", "pat@example.net",
				   "bob@support.example.com", "2026-11-30T11:00:00Z");
	const struct hd_finding *f = finding_of(v, "tone");

	ck_assert_int_eq(v->action, HD_VERDICT_ACCEPT);
	ck_assert_ptr_nonnull(f);
	ck_assert_str_eq(f->rule, "calm-down");
	ck_assert_str_eq(f->action, "tag");
	ck_assert_ptr_nonnull(strstr(f->detail, "in=uncertain-quote"));
	ck_assert_str_eq(added(v, "X-Helpdesk-Tone"),
			 "flagged; rules=calm-down; tagged=calm-down; reason=uncertain-quote-split");
	ck_assert_ptr_nonnull(finding_of(v, "quote"));
	hd_verdict_deinit(&v);

	v = run("Subject: Re: x\n\nHello Pat,\nplease calm down.\n\n" UNSURE_HISTORY,
		"bob@support.example.com", "pat@example.net", "bob@support.example.com",
		"2026-11-30T11:00:00Z");
	ck_assert_int_eq(v->action, HD_VERDICT_REJECT);
	ck_assert_str_eq(finding_of(v, "tone")->action, "reject");
	hd_verdict_deinit(&v);

	/* an amount only there is tagged and not counted against the agent's limit */
	v = run("Subject: Re: x\n\nHello Pat,\nwe are checking.\n\nKutoka: Pat <pat@example.net>\n"
		"Imetumwa: 30 Novemba 2026 16:00\nKwa: billing@support.example.com\n\n"
		"I want a refund of $900.\n", "alice@support.example.com", "pat@example.net",
		"alice@support.example.com", "2026-11-30T11:00:00Z");
	ck_assert_int_eq(v->action, HD_VERDICT_ACCEPT);
	ck_assert_str_eq(finding_of(v, "authority")->rule, "uncertain-quote");
	ck_assert_str_eq(finding_of(v, "authority")->action, "tag");
	hd_verdict_deinit(&v);
#undef UNSURE_HISTORY
}
END_TEST

/* The customer's lines, pasted by the agent without any quote marker, are
   known from the thread and never blamed on the agent. */
START_TEST(thread_fingerprint_quotes)
{
	struct hd_verdict *v = run(CUSTOMER_MAIL("fp1@example.net", "Outage",
						 "Your service is down again since Monday morning.\n"
						 "Your colleague told me to calm down, that is not our fault he said."),
				   "pat@example.net", "billing@support.example.com", NULL,
				   "2026-11-30T16:00:00Z");
	hd_verdict_deinit(&v);
	v = run("Subject: Re: Outage\nMessage-ID: <fpr@support.example.com>\nIn-Reply-To: <fp1@example.net>\n\n"
		"Hello Pat,\nsorry about this. About what you wrote:\n\n"
		"  Your service is down again since Monday morning.\n"
		"  Your colleague told me to calm down, that is not our fault he said.\n\n"
		"That was wrong of us; the service is back.\n",
		"alice@support.example.com", "pat@example.net", "alice@support.example.com",
		"2026-11-30T17:00:00Z");
	ck_assert_int_eq(v->action, HD_VERDICT_ACCEPT);
	ck_assert_ptr_null(finding_of(v, "tone"));
	ck_assert_str_eq(added(v, "X-Helpdesk-Tone"), "clean");
	hd_verdict_deinit(&v);
	/* the same words as the agent's own, on a ticket that never held them */
	v = run("Subject: Re: Other\nMessage-ID: <fpr2@support.example.com>\nIn-Reply-To: <nothing@example.net>\n\n"
		"Your colleague told me to calm down, that is not our fault he said.\n",
		"alice@support.example.com", "pat@example.net", "alice@support.example.com",
		"2026-11-30T17:00:00Z");
	ck_assert_int_eq(v->action, HD_VERDICT_REJECT);
	hd_verdict_deinit(&v);
}
END_TEST

START_TEST(thread_and_first_response)
{
	struct hd_verdict *v = run(CUSTOMER_MAIL("t1@example.net", "Invoice", "Wrong invoice."),
				   "pat@example.net", "billing@support.example.com", NULL,
				   "2026-11-30T16:00:00Z");
	char *ticket = xstrdup(added(v, "X-Helpdesk-Ticket"));
	hd_verdict_deinit(&v);

	/* The customer's follow-up continues the ticket and stamps no new deadlines. */
	v = run("From: pat@example.net\nSubject: Re: Invoice\nMessage-ID: <t2@example.net>\n"
		"In-Reply-To: <t1@example.net>\nReferences: <t1@example.net>\n\nAny news?\n",
		"pat@example.net", "billing@support.example.com", NULL, "2026-11-30T16:30:00Z");
	ck_assert_str_eq(added(v, "X-Helpdesk-Ticket"), ticket);
	ck_assert_ptr_null(added(v, "X-Helpdesk-First-Response-Due"));
	hd_verdict_deinit(&v);

	/* An agent mail on the thread to a colleague is no response to the customer. */
	v = run("Subject: Re: Invoice\nMessage-ID: <a0@support.example.com>\nReferences: <t1@example.net>\n\n"
		"Bob, can you look at this one?\n", "alice@support.example.com", "bob@support.example.com",
		"alice@support.example.com", "2026-12-01T09:00:00Z");
	ck_assert_str_eq(added(v, "X-Helpdesk-Ticket"), ticket);
	ck_assert_ptr_null(added(v, "X-Helpdesk-First-Response"));
	hd_verdict_deinit(&v);

	/* Alice answers Tuesday 10:00: 1.5h + 1h = 2h30m of business time, target 8h: met. */
	v = run("Subject: Re: Invoice\nMessage-ID: <a1@support.example.com>\nIn-Reply-To: <t2@example.net>\n"
		"References: <t1@example.net> <t2@example.net>\n\nWe are fixing it today.\n",
		"alice@support.example.com", "pat@example.net", "alice@support.example.com",
		"2026-12-01T10:00:00Z");
	ck_assert_str_eq(added(v, "X-Helpdesk-Ticket"), ticket);
	ck_assert_str_eq(added(v, "X-Helpdesk-Tone"), "clean");
	ck_assert_str_eq(added(v, "X-Helpdesk-First-Response"),
			 "met; elapsed=2h30m; target=8h; due=2026-12-01T15:30:00Z; priority=standard");
	hd_verdict_deinit(&v);

	/* Only the first reply is the first response. */
	v = run("Subject: Re: Invoice\nMessage-ID: <a2@support.example.com>\nReferences: <t1@example.net>\n\nDone.\n",
		"alice@support.example.com", "pat@example.net", "alice@support.example.com",
		"2026-12-02T10:00:00Z");
	ck_assert_ptr_null(added(v, "X-Helpdesk-First-Response"));
	hd_verdict_deinit(&v);
	free(ticket);
}
END_TEST

START_TEST(authority_and_approval)
{
	const char *reply = "Subject: Re: Refund\nReferences: <r0@example.net>\n\n"
			    "I have issued a refund of $200.00 to your card.\n";
	struct hd_verdict *v = run(reply, "alice@support.example.com", "pat@example.net",
				   "alice@support.example.com", "2026-11-30T11:00:00Z");
	const struct hd_finding *f = finding_of(v, "authority");
	char *exc, *approve;

	ck_assert_int_eq(v->action, HD_VERDICT_REJECT);
	ck_assert_ptr_nonnull(f);
	ck_assert(strncmp(f->id, "EXC-", 4) == 0);
	ck_assert_msg(strstr(f->text, "limit of 50.00 USD for role agent") && strstr(f->text, "team_lead"),
		      "%s", f->text);
	ck_assert(strncmp(added(v, "X-Helpdesk-Authority"), "exceeded; amount=200.00; currency=USD; kind=refund", 50) == 0);
	exc = xstrdup(f->id);
	approve = xasprintf("Subject: ok\n\napprove %s\n", exc);
	hd_verdict_deinit(&v);

	/* Alice cannot approve her own exception; Bob's role may not approve. */
	v = run(approve, "alice@support.example.com", "approvals@support.example.com",
		"alice@support.example.com", "2026-11-30T11:05:00Z");
	ck_assert_int_eq(v->action, HD_VERDICT_REJECT);
	ck_assert(strstr(finding_of(v, "approval")->text, "your own") != NULL);
	hd_verdict_deinit(&v);
	v = run(approve, "bob@support.example.com", "approvals@support.example.com",
		"bob@support.example.com", "2026-11-30T11:06:00Z");
	ck_assert_int_eq(v->action, HD_VERDICT_REJECT);
	hd_verdict_deinit(&v);
	/* A From: header naming the team lead approves nothing without AUTH. */
	v = run("From: dave@support.example.com\nSubject: ok\n\napprove EXC-X\n", "dave@support.example.com",
		"approvals@support.example.com", NULL, "2026-11-30T11:06:30Z");
	ck_assert_int_ne(v->direction, HD_DIR_OUTBOUND);
	hd_verdict_deinit(&v);

	/* Nor does Dave's envelope sender from a trusted client: approvals need AUTH. */
	{
		struct hd_engine e = { .policy = pol, .store = store, .limits = &lim };
		const char *rc[1] = { "approvals@support.example.com" };
		struct hd_engine_input in = { .mail_from = "dave@support.example.com", .rcpts = rc, .nrcpts = 1,
					      .client_ip = "127.0.0.1", .client_trusted = true,
					      .data = approve, .len = strlen(approve), .fd = -1 };
		char *err = NULL;
		ck_assert(time_parse_rfc3339("2026-11-30T11:07:00Z", &in.received));
		ck_assert(hd_engine_run(&e, &in, &v, &err) == 0);
		ck_assert_int_eq(v->direction, HD_DIR_OUTBOUND);
		ck_assert_int_eq(v->action, HD_VERDICT_REJECT);
		ck_assert(strstr(finding_of(v, "approval")->text, "SMTP AUTH") != NULL);
		hd_verdict_deinit(&v);
	}

	/* Dave (team_lead, refund limit 250) approves. */
	v = run(approve, "dave@support.example.com", "approvals@support.example.com",
		"dave@support.example.com", "2026-11-30T11:10:00Z");
	ck_assert_int_eq(v->action, HD_VERDICT_ACCEPT);
	ck_assert_str_eq(finding_of(v, "approval")->id, exc);
	hd_verdict_deinit(&v);

	/* Alice sends the same reply again: accepted and stamped with the approver. */
	v = run(reply, "alice@support.example.com", "pat@example.net", "alice@support.example.com",
		"2026-11-30T11:15:00Z");
	ck_assert_int_eq(v->action, HD_VERDICT_ACCEPT);
	ck_assert_msg(strstr(added(v, "X-Helpdesk-Exception"), "approved-by=dave@support.example.com") != NULL,
		      "%s", added(v, "X-Helpdesk-Exception"));
	ck_assert(strncmp(added(v, "X-Helpdesk-Exception"), exc, strlen(exc)) == 0);
	ck_assert(strncmp(added(v, "X-Helpdesk-Authority"), "approved; ", 10) == 0);
	hd_verdict_deinit(&v);

	/* The approval was for that one send (SPEC s.6): the same reply again,
	   here to another recipient, needs a new approval under a new id. */
	v = run(reply, "alice@support.example.com", "other@example.net", "alice@support.example.com",
		"2026-11-30T11:16:00Z");
	ck_assert_int_eq(v->action, HD_VERDICT_REJECT);
	f = finding_of(v, "authority");
	ck_assert_ptr_nonnull(f);
	ck_assert(strncmp(f->id, "EXC-", 4) == 0);
	ck_assert_str_ne(f->id, exc);
	hd_verdict_deinit(&v);
	v = run(reply, "alice@support.example.com", "pat@example.net", "alice@support.example.com",
		"2026-12-03T09:00:00Z");
	ck_assert_int_eq(v->action, HD_VERDICT_REJECT);
	hd_verdict_deinit(&v);

	/* A bigger amount is a different reply and needs its own approval. */
	v = run("Subject: Re: Refund\nReferences: <r0@example.net>\n\nI refunded $240.\n",
		"alice@support.example.com", "pat@example.net", "alice@support.example.com",
		"2026-11-30T11:20:00Z");
	ck_assert_int_eq(v->action, HD_VERDICT_REJECT);
	hd_verdict_deinit(&v);
	free(exc);
	free(approve);
}
END_TEST

/* Record callback counting approval records and keeping their ticket. */
static bool approval_row(const struct hd_audit_row *row, void *ctx)
{
	char **ticket_r = ctx;

	if (row->action != NULL && strcmp(row->action, "approve") == 0) {
		free(*ticket_r);
		*ticket_r = xstrdup(row->ticket ? row->ticket : "(none)");
	}
	return true;
}

/* Only a whole "approve EXC-..." command line approves; the approval is
   chained under the ticket it approves. */
START_TEST(approval_whole_line)
{
	const char *reply = "Subject: Re: Refund\nReferences: <w0@example.net>\n\n"
			    "I have issued a refund of $200.00 to your card.\n";
	struct hd_verdict *v = run(reply, "alice@support.example.com", "pat@example.net",
				   "alice@support.example.com", "2026-11-30T11:00:00Z");
	static const struct { const char *before, *after; } not_approvals[] = {
		{ "I do NOT approve ", "\n" }, { "disapprove ", "\n" },
		{ "Please don't approve ", " yet.\n" },
		{ "approve ", " once the customer confirms\n" }, { "> approve ", "\n" },
	};
	struct hd_audit_filter af = { .kind = "approval" };
	char *exc, *ticket, *msg, *chained = NULL, *err = NULL;

	ck_assert_int_eq(v->action, HD_VERDICT_REJECT);
	exc = xstrdup(finding_of(v, "authority")->id);
	ticket = xstrdup(added(v, "X-Helpdesk-Ticket"));
	hd_verdict_deinit(&v);
	for (size_t i = 0; i < sizeof(not_approvals) / sizeof(not_approvals[0]); i++) {
		char *line = xasprintf("%s%s%s", not_approvals[i].before, exc, not_approvals[i].after);

		msg = xasprintf("Subject: about %s\n\n%s", exc, line);
		v = run(msg, "dave@support.example.com", "approvals@support.example.com",
			"dave@support.example.com", "2026-11-30T11:05:00Z");
		ck_assert_msg(v->action == HD_VERDICT_REJECT, "approved by: %s", line);
		hd_verdict_deinit(&v);
		free(msg);
		free(line);
		v = run(reply, "alice@support.example.com", "pat@example.net",
			"alice@support.example.com", "2026-11-30T11:06:00Z");
		ck_assert_int_eq(v->action, HD_VERDICT_REJECT);
		hd_verdict_deinit(&v);
	}
	msg = xasprintf("Subject: ok\n\nFine by me.\n\n  Approve: %s.\n", exc);
	v = run(msg, "dave@support.example.com", "approvals@support.example.com",
		"dave@support.example.com", "2026-11-30T11:10:00Z");
	ck_assert_int_eq(v->action, HD_VERDICT_ACCEPT);
	ck_assert_str_eq(finding_of(v, "approval")->id, exc);
	hd_verdict_deinit(&v);
	ck_assert_int_eq(hd_store_audit(store, &af, approval_row, &chained, &err), HD_STORE_OK);
	ck_assert_ptr_nonnull(chained);
	ck_assert_str_eq(chained, ticket);
	v = run(reply, "alice@support.example.com", "pat@example.net", "alice@support.example.com",
		"2026-11-30T11:15:00Z");
	ck_assert_int_eq(v->action, HD_VERDICT_ACCEPT);
	hd_verdict_deinit(&v);
	free(chained);
	free(msg);
	free(ticket);
	free(exc);
}
END_TEST

/* The notice for notify_command carries no control character of the
   sender's subject: one line per finding, nothing else. */
START_TEST(notify_text_has_no_controls)
{
	struct hd_verdict *v = run("Subject: =?utf-8?q?Re:_x=0D=0A-_\"forged\"_(rule_x):_y=1B[31m?=\n\n"
				   "Sorry, rules are rules.\n", "bob@support.example.com", "pat@example.net",
				   "bob@support.example.com", "2026-11-30T11:00:00Z");
	size_t lines = 0;

	ck_assert_ptr_nonnull(v->notify_text);
	for (const unsigned char *p = (const unsigned char *)v->notify_text; *p; p++) {
		ck_assert_msg(*p >= 0x20 || *p == '\n', "control 0x%02x in the notice", *p);
		lines += *p == '\n';
	}
	ck_assert_uint_eq(lines, 2);	/* the heading and one finding */
	ck_assert_ptr_nonnull(strstr(v->notify_text, "Re: x  - \"forged\""));
	hd_verdict_deinit(&v);
}
END_TEST

/* Matched text quoted into a header is cut on a UTF-8 boundary. */
START_TEST(quoted_detail_keeps_utf8)
{
	struct strbuf sb;
	struct strbuf in;

	sb_init(&in);
	sb_putc(&in, 'a');
	for (int i = 0; i < 60; i++)
		sb_puts(&in, "\xc3\xa9");	/* e-acute: two bytes */
	sb_init(&sb);
	hd_engine_put_quoted(&sb, in.s);
	/* 'a' and 39 whole characters fit in 80 bytes; half of the 40th does not */
	ck_assert_uint_eq(sb.len, 2 + 1 + 39 * 2);
	ck_assert(sb.s[sb.len - 1] == '"');
	ck_assert((unsigned char)sb.s[sb.len - 2] == 0xa9);
	sb_free(&sb);
	sb_free(&in);
}
END_TEST

START_TEST(exception_tiers_and_handoff)
{
	/* Tier 2 under refund-window: reps may grant it themselves. */
	struct hd_verdict *v = run("Subject: Re: late return\nX-Helpdesk-Exception-Request: policy=refund-window; "
				   "tier=2; reason=\"3 days late\"\n\nWe accept the late return.\n",
				   "alice@support.example.com", "pat@example.net", "alice@support.example.com",
				   "2026-11-30T11:00:00Z");
	ck_assert_int_eq(v->action, HD_VERDICT_ACCEPT);
	ck_assert(strstr(added(v, "X-Helpdesk-Exception"), "tier=2; policy=refund-window") != NULL);
	/* The request header itself is removed before delivery. */
	ck_assert_str_eq(v->headers_removed.v[0], "X-Helpdesk-Exception-Request");
	hd_verdict_deinit(&v);

	/* Tier 3 always needs approval; a missing reason is named. */
	v = run("Subject: Re: x\n\nHello\n#exception policy=goodwill tier=3\n", "alice@support.example.com",
		"pat@example.net", "alice@support.example.com", "2026-11-30T11:00:00Z");
	ck_assert_int_eq(v->action, HD_VERDICT_REJECT);
	ck_assert(strstr(finding_of(v, "exception")->text, "'reason'") != NULL);
	hd_verdict_deinit(&v);

	/* Hand-off to the lead without the checklist. */
	v = run("Subject: Fwd: angry customer\n\nCustomer: Pat\nPlease take over.\n", "alice@support.example.com",
		"lead@support.example.com", "alice@support.example.com", "2026-11-30T11:00:00Z");
	ck_assert_int_eq(v->action, HD_VERDICT_REJECT);
	ck_assert_str_eq(finding_of(v, "handoff")->text, "Summary:, Steps tried:");
	hd_verdict_deinit(&v);
}
END_TEST

START_TEST(exception_line_removed_before_delivery)
{
	/* Plain text: the #exception line goes, everything else stays. */
	struct hd_verdict *v = run("Subject: Re: late return\nContent-Type: text/plain\n\nHello Pat,\n"
				   "  #exception policy=refund-window tier=2 reason=\"3 days late\"\n"
				   "We accept the late return.\n",
				   "alice@support.example.com", "pat@example.net", "alice@support.example.com",
				   "2026-11-30T11:00:00Z");
	ck_assert_int_eq(v->action, HD_VERDICT_ACCEPT);
	ck_assert(strstr(added(v, "X-Helpdesk-Exception"), "policy=refund-window") != NULL);
	ck_assert_ptr_nonnull(v->body);
	ck_assert_str_eq(v->body, "Hello Pat,\nWe accept the late return.\n");
	hd_verdict_deinit(&v);

	/* Inside base64 the line cannot be cut out: refused, never delivered. */
	v = run("Subject: Re: late return\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n"
		"I2V4Y2VwdGlvbiBwb2xpY3k9cmVmdW5kLXdpbmRvdyB0aWVyPTIgcmVhc29uPWxhdGUKT0sK\n",
		"alice@support.example.com", "pat@example.net", "alice@support.example.com",
		"2026-11-30T11:00:00Z");
	ck_assert_int_eq(v->action, HD_VERDICT_REJECT);
	{
		bool named = false;
		for (size_t i = 0; i < v->nfindings; i++)
			if (strcmp(v->findings[i].rule, "request-line") == 0 &&
			    strstr(v->findings[i].text, "could not be removed") != NULL)
				named = true;
		ck_assert(named);
	}
	ck_assert_ptr_null(v->body);
	hd_verdict_deinit(&v);

	/* multipart/alternative: gone from the plain and the HTML part. */
	v = run("Subject: Re: late return\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=b\n\n"
		"--b\nContent-Type: text/plain\n\nHi\n#exception policy=refund-window tier=2 reason=late\nDone.\n"
		"--b\nContent-Type: text/html\n\n<p>Hi</p>\n<p>#exception policy=refund-window tier=2 reason=late</p>\n"
		"<p>Done.</p>\n--b--\n",
		"alice@support.example.com", "pat@example.net", "alice@support.example.com",
		"2026-11-30T11:00:00Z");
	ck_assert_int_eq(v->action, HD_VERDICT_ACCEPT);
	ck_assert_ptr_nonnull(v->body);
	ck_assert_ptr_null(strstr(v->body, "#exception"));
	ck_assert_ptr_nonnull(strstr(v->body, "<p>Done.</p>"));
	ck_assert_ptr_nonnull(strstr(v->body, "--b--"));
	hd_verdict_deinit(&v);

	/* No request line: the body is left alone. */
	v = run("Subject: Re: x\n\nAll good.\n", "alice@support.example.com", "pat@example.net",
		"alice@support.example.com", "2026-11-30T11:00:00Z");
	ck_assert_ptr_null(v->body);
	hd_verdict_deinit(&v);
}
END_TEST

/* Number of findings of a kind whose action is act. */
static size_t count_findings(const struct hd_verdict *v, const char *kind, const char *act)
{
	size_t n = 0;

	for (size_t i = 0; i < v->nfindings; i++)
		if (strcmp(v->findings[i].kind, kind) == 0 && v->findings[i].action &&
		    strcmp(v->findings[i].action, act) == 0)
			n++;
	return n;
}

/* Run an agent reply from Alice to Pat. */
static struct hd_verdict *alice(const char *msg)
{
	return run(msg, "alice@support.example.com", "pat@example.net", "alice@support.example.com",
		   "2026-11-30T11:00:00Z");
}

/* Alice's reply is refused with a finding of that kind. */
static void expect_refused_for(const char *msg, const char *kind)
{
	struct hd_verdict *v = alice(msg);

	ck_assert_int_eq(v->action, HD_VERDICT_REJECT);
	ck_assert_msg(finding_of(v, kind) != NULL, "no %s finding", kind);
	hd_verdict_deinit(&v);
}

#define ALT_REPLY(plain, html) \
	"Subject: Re: Refund\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=b\n\n" \
	"--b\nContent-Type: text/plain\n\n" plain "\n--b\nContent-Type: text/html\n\n" html "\n--b--\n"

START_TEST(authority_every_alternative)
{
	/* Issue 17: the HTML the customer sees says $4,900, the plain text $10. */
	struct hd_verdict *v = alice(ALT_REPLY("I refunded $10.", "<p>I refunded $4,900.</p>"));

	ck_assert_int_eq(v->action, HD_VERDICT_REJECT);
	ck_assert_msg(strncmp(added(v, "X-Helpdesk-Authority"), "exceeded; amount=4900.00", 24) == 0, "%s",
		      added(v, "X-Helpdesk-Authority"));
	hd_verdict_deinit(&v);
}
END_TEST

START_TEST(authority_one_amount_one_finding)
{
	/* Issue 14: one refund written in both alternatives and declared once. */
	struct hd_verdict *v = alice(ALT_REPLY("I have issued a refund of $200.00.\n"
					       "#exception policy=refund-window tier=1 reason=late amount=200",
					       "<p>I have issued a refund of 200 dollars.</p>\n"
					       "<p>#exception policy=refund-window tier=1 reason=late amount=200</p>"));
	size_t lines = 0;

	ck_assert_int_eq(v->action, HD_VERDICT_REJECT);
	ck_assert_uint_eq(count_findings(v, "exception", "reject") + count_findings(v, "authority", "reject"), 1);
	for (size_t i = 0; i < v->reply_lines.n; i++)
		if (strstr(v->reply_lines.v[i], "200.00 USD exceeds") != NULL)
			lines++;
	ck_assert_uint_eq(lines, 1);
	hd_verdict_deinit(&v);
}
END_TEST

START_TEST(authority_below_signature_and_markers)
{
	struct hd_verdict *v;

	/* Text below "-- " is the agent's own: counted and refused. */
	expect_refused_for("Subject: Re: Refund\n\nHello Pat,\n\n-- \nAlice\n"
			   "P.S. I have issued a refund of $900 to your card.\n", "authority");
	/* Tone below the signature is the agent's too. */
	expect_refused_for("Subject: Re: Refund\n\nHello Pat,\n\n-- \nAlice\nPlease calm down.\n", "tone");

	/* Below a typed "-----Original Message-----" or in a typed '>' block the
	   amount is never skipped silently: it is tagged with the reason. */
	v = alice("Subject: Re: Refund\n\nHello Pat,\n-----Original Message-----\n"
		  "I have issued a refund of $900 to your card.\n");
	ck_assert_uint_eq(count_findings(v, "authority", "tag"), 1);
	ck_assert_ptr_nonnull(strstr(finding_of(v, "authority")->detail, "quoted"));
	hd_verdict_deinit(&v);
	v = alice("Subject: Re: Refund\n\nHello Pat,\n\nOn Mon, 30 Nov 2026 at 10:00, Pat <pat@example.net> wrote:\n"
		  "> I have issued a refund of $900 to your card.\n");
	ck_assert_uint_eq(count_findings(v, "authority", "tag"), 1);
	hd_verdict_deinit(&v);
}
END_TEST

START_TEST(exception_line_one_rule)
{
	/* A tag before the word: removed before delivery AND read as a request
	   (tier 3 needs approval), never one without the other. */
	struct hd_verdict *v;

	expect_refused_for("Subject: Re: x\nContent-Type: text/plain\n\nHello\n"
			   "<b>#exception policy=goodwill tier=3 reason=late</b>\n", "exception");

	/* In the customer's quoted history: removed, not read, tagged. */
	v = alice("Subject: Re: x\nContent-Type: text/plain\n\nHello\n\n-----Original Message-----\n"
		  "From: Pat <pat@example.net>\nSent: Monday\nTo: billing\n\n"
		  "#exception policy=goodwill tier=1 reason=quoted\n");
	ck_assert_int_eq(v->action, HD_VERDICT_ACCEPT);
	ck_assert_ptr_null(added(v, "X-Helpdesk-Exception"));
	ck_assert_uint_eq(count_findings(v, "exception", "tag"), 1);
	ck_assert_ptr_nonnull(v->body);
	ck_assert_ptr_null(strstr(v->body, "#exception"));
	hd_verdict_deinit(&v);

	/* "#exceptionally" is a word, not a request: not refused, not removed. */
	v = alice("Subject: Re: x\n\nHello\n#exceptionally quick fix today\n");
	ck_assert_int_eq(v->action, HD_VERDICT_ACCEPT);
	ck_assert_ptr_null(v->body);
	hd_verdict_deinit(&v);
}
END_TEST

/* The reply is accepted and no part of the secret reaches the customer. */
static void expect_removed_whole(const char *msg, const char *secret, const char *kept)
{
	struct hd_verdict *v = alice(msg);

	ck_assert_int_eq(v->action, HD_VERDICT_ACCEPT);
	ck_assert_ptr_nonnull(v->body);
	ck_assert_msg(strstr(v->body, secret) == NULL, "leaked '%s' in: %s", secret, v->body);
	ck_assert_msg(strstr(v->body, kept) != NULL, "lost '%s' in: %s", kept, v->body);
	hd_verdict_deinit(&v);
}

START_TEST(exception_line_wrapped_removed_whole)
{
	/* QP soft break */
	expect_removed_whole("Subject: Re: x\nContent-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\n"
			     "Hello Pat,\n#exception policy=refund-window tier=2 reason=3=20days=20late=20secret=\ninternal=\nnote\n"
			     "We accept the late return.\n", "note", "We accept");
	/* HTML source line break inside the rendered line */
	expect_removed_whole("Subject: Re: x\nContent-Type: text/html\n\n<p>Hello Pat,</p>\n"
			     "<p>#exception policy=refund-window tier=2 reason=\"3 days late,\ninternal note\"</p>\n"
			     "<p>We accept the late return.</p>\n", "internal", "We accept");
	/* format=flowed soft line break */
	expect_removed_whole("Subject: Re: x\nContent-Type: text/plain; format=flowed\n\nHello Pat,\n"
			     "#exception policy=refund-window tier=2 reason=\"3 days late, \ninternal note\"\n"
			     "We accept the late return.\n", "internal", "We accept");
}
END_TEST

START_TEST(exception_header_without_reason)
{
	/* The customer's copy names the exception, never the internal reason. */
	struct hd_verdict *v = alice("Subject: Re: late return\nX-Helpdesk-Exception-Request: policy=refund-window; "
				     "tier=2; reason=\"customer is a pain\"\n\nWe accept the late return.\n");
	const char *h = added(v, "X-Helpdesk-Exception");

	ck_assert_int_eq(v->action, HD_VERDICT_ACCEPT);
	ck_assert_ptr_nonnull(h);
	ck_assert_msg(strstr(h, "reason=") == NULL && strstr(h, "pain") == NULL, "%s", h);
	ck_assert_ptr_nonnull(strstr(h, "tier=2; policy=refund-window"));
	ck_assert_ptr_nonnull(strstr(h, "approved-by="));
	hd_verdict_deinit(&v);
}
END_TEST

/* The outbound record's detail, or "" (for the monitor-mode test). */
static bool outbound_detail(const struct hd_audit_row *row, void *ctx)
{
	char **d = ctx;

	free(*d);
	*d = xstrdup(row->detail ? row->detail : "");
	return true;
}

/* mode: monitor decides, stamps and records, but never refuses or holds;
   the verdict and the record say what enforce mode would have done. */
START_TEST(monitor_mode_never_refuses)
{
	struct hd_audit_filter f = { .kind = "outbound" };
	const struct hd_finding *fi;
	struct hd_verdict *v;
	char *detail = NULL, *err = NULL, *json;

	pol->monitor[HD_SECTION_TONE] = true;
	pol->monitor[HD_SECTION_HANDOFF] = true;
	v = run("Subject: Re: Invoice\n\nPlease calm down, I am on it.\n", "alice@support.example.com",
		"pat@example.net", "alice@support.example.com", "2026-11-30T11:00:00Z");
	ck_assert_int_eq(v->action, HD_VERDICT_ACCEPT);
	fi = finding_of(v, "tone");
	ck_assert_ptr_nonnull(fi);
	ck_assert_str_eq(fi->rule, "calm-down");	/* still decided */
	ck_assert_str_eq(fi->action, "tag");
	ck_assert_str_eq(fi->would, "reject");
	ck_assert_str_eq(v->monitor_would, "reject");
	ck_assert_ptr_nonnull(added(v, "X-Helpdesk-Tone"));	/* still stamped */
	ck_assert_str_eq(added(v, "X-Helpdesk-Monitor"), "reject; sections=tone");
	json = hd_verdict_to_json(v);
	ck_assert_ptr_nonnull(strstr(json, "\"monitor_would\":\"reject\""));
	free(json);
	ck_assert_int_eq(hd_store_audit(store, &f, outbound_detail, &detail, &err), HD_STORE_OK);
	ck_assert_str_eq(detail, "{\"monitor\":{\"would\":\"reject\",\"sections\":[\"tone\"]}}");
	hd_verdict_deinit(&v);

	/* Hand-off in monitor mode: delivered, not refused. */
	v = run("Subject: Fwd: angry customer\n\nCustomer: Pat\nPlease take over.\n", "alice@support.example.com",
		"lead@support.example.com", "alice@support.example.com", "2026-11-30T11:00:00Z");
	ck_assert_int_eq(v->action, HD_VERDICT_ACCEPT);
	ck_assert_str_eq(finding_of(v, "handoff")->would, "reject");
	hd_verdict_deinit(&v);

	/* Authority stays enforced: monitor is per section. */
	v = run("Subject: Re: x\n\nI have issued a refund of $200.00 to your card.\n", "alice@support.example.com",
		"pat@example.net", "alice@support.example.com", "2026-11-30T11:00:00Z");
	ck_assert_int_eq(v->action, HD_VERDICT_REJECT);
	ck_assert_ptr_null(v->monitor_would);
	hd_verdict_deinit(&v);
	free(detail);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("engine");
	TCase *tc = tcase_create("engine");
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, inbound_standard_deadlines);
	tcase_add_test(tc, inbound_critical_escalates_backup_out_of_hours);
	tcase_add_test(tc, forged_headers_removed_and_scope);
	tcase_add_test(tc, outbound_tone);
	tcase_add_test(tc, tone_uncertain_split_tags);
	tcase_add_test(tc, thread_fingerprint_quotes);
	tcase_add_test(tc, thread_and_first_response);
	tcase_add_test(tc, authority_and_approval);
	tcase_add_test(tc, approval_whole_line);
	tcase_add_test(tc, notify_text_has_no_controls);
	tcase_add_test(tc, quoted_detail_keeps_utf8);
	tcase_add_test(tc, exception_tiers_and_handoff);
	tcase_add_test(tc, exception_line_removed_before_delivery);
	tcase_add_test(tc, authority_every_alternative);
	tcase_add_test(tc, authority_one_amount_one_finding);
	tcase_add_test(tc, authority_below_signature_and_markers);
	tcase_add_test(tc, exception_line_one_rule);
	tcase_add_test(tc, exception_line_wrapped_removed_whole);
	tcase_add_test(tc, exception_header_without_reason);
	tcase_add_test(tc, monitor_mode_never_refuses);
	suite_add_tcase(s, tc);
	failed = hd_check_run(s);
	return failed ? 1 : 0;
}

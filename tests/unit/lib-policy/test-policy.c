/*
 * test-policy - the policy loader: the shipped example policy loads clean and
 * says what it should; every class of mistake is reported at the exact
 * file:line:column with the expected message; several errors are all
 * reported; durations, actions and lookups behave.
 */
#include <config.h>

#include <check.h>
#include "check-run.h"
#include "test-util.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy.h"
#include "matcher.h"
#include "norm.h"
#include "tone.h"

/* The source root: $TOP_SRCDIR, else the build-time macro. */
static const char *top_srcdir(void)
{
	const char *e = getenv("TOP_SRCDIR");

	return e != NULL && *e != '\0' ? e : TOP_SRCDIR;
}

/* Load conf/policy.yaml; the test fails on any diagnostic. */
static struct hd_policy *load_example(void)
{
	char *path = xasprintf("%s/conf/policy.yaml", top_srcdir());
	struct hd_diag d;
	struct hd_policy *p;
	size_t i;

	hd_diag_init(&d);
	p = hd_policy_load(path, &d);
	for (i = 0; i < d.lines.n; i++)
		fprintf(stderr, "%s\n", d.lines.v[i]);
	ck_assert_uint_eq(hd_diag_count(&d), 0);
	ck_assert_ptr_nonnull(p);
	hd_diag_free(&d);
	free(path);
	return p;
}

/* Load a policy from text; *d keeps the diagnostics. */
static struct hd_policy *load_text(const char *text, struct hd_diag *d)
{
	hd_diag_init(d);
	return hd_policy_load_buffer("t.yaml", text, strlen(text), d);
}

START_TEST(test_example_loads_and_selftests)
{
	struct hd_policy *p = load_example();
	struct hd_diag d;

	hd_diag_init(&d);
	ck_assert_uint_eq(hd_policy_selftest(p, &d), 0);
	ck_assert_uint_eq(hd_diag_count(&d), 0);
	hd_diag_free(&d);
	ck_assert_str_eq(p->name, "acme-support");
	ck_assert_str_eq(p->version, "3");
	ck_assert_str_eq(p->effective, "2026-12-01");
	ck_assert_str_eq(p->review, "quarterly");
	ck_assert_ptr_nonnull(p->tone);
	hd_policy_unref(&p);
	ck_assert_ptr_null(p);
}
END_TEST

START_TEST(test_example_teams_and_agents)
{
	struct hd_policy *p = load_example();
	const struct hd_team *t;
	const struct hd_agent *a;

	ck_assert_uint_eq(p->nteams, 2);
	t = hd_policy_team_for_mailbox(p, "<Billing@Support.EXAMPLE.com>");
	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(t->name, "billing");
	ck_assert_str_eq(t->calendar->name, "london");
	ck_assert_ptr_eq(hd_policy_team_for_mailbox(p, "invoices@support.example.com"), t);
	t = hd_policy_team_for_mailbox(p, "support@support.example.com");
	ck_assert_str_eq(t->name, "technical");
	ck_assert_str_eq(t->calendar->name, "always");
	ck_assert_ptr_null(hd_policy_team_for_mailbox(p, "someone@example.com"));
	ck_assert_ptr_eq(hd_policy_team(p, "technical"), t);

	ck_assert_uint_eq(p->nagents, 5);
	a = hd_policy_agent(p, "DAVE@support.example.com");
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(a->address, "dave@support.example.com");
	ck_assert_str_eq(a->role->name, "team_lead");
	ck_assert_str_eq(a->team->name, "billing");
	a = hd_policy_agent(p, "carol@support.example.com");
	ck_assert_str_eq(a->role->name, "supervisor");
	ck_assert_int_eq(a->role->rank, 2);
	a = hd_policy_agent(p, "erin@support.example.com");
	ck_assert_str_eq(a->role->name, "manager");
	ck_assert_str_eq(a->team->name, "technical");
	a = hd_policy_agent(p, "alice@support.example.com");
	ck_assert_str_eq(a->role->name, "agent");
	ck_assert(!a->role->can_approve);
	ck_assert(a->role->has_limit[HD_AMOUNT_REFUND]);
	ck_assert(a->role->limit[HD_AMOUNT_REFUND] == 50.0);
	ck_assert(a->role->limit[HD_AMOUNT_DISCOUNT] == 10.0);
	ck_assert(hd_policy_role(p, "team_lead")->can_approve);
	ck_assert(hd_policy_role(p, "manager")->limit[HD_AMOUNT_CREDIT] == 10000.0);
	ck_assert_str_eq(p->currency, "USD");
	ck_assert_ptr_null(hd_policy_agent(p, "billing@support.example.com"));
	hd_policy_unref(&p);
}
END_TEST

START_TEST(test_example_priorities_and_sla)
{
	struct hd_policy *p = load_example();
	const struct hd_priority *crit, *high, *std;
	const struct hd_sla_target *t;
	size_t i;

	ck_assert_uint_eq(p->npriorities, 3);
	crit = hd_policy_priority(p, "critical");
	high = hd_policy_priority(p, "high");
	std = hd_policy_priority(p, "standard");
	ck_assert_ptr_eq(std, &p->priorities[2]);
	ck_assert_ptr_null(std->when);
	ck_assert_str_eq(std->rule_name, "standard");
	ck_assert_str_eq(crit->rule_name, "outage-or-key-account");
	ck_assert_int_eq(crit->when->type, HD_COND_ANY);
	ck_assert_uint_eq(crit->when->nchildren, 2);
	ck_assert_int_eq(crit->when->children[0]->type, HD_COND_WORDS);
	ck_assert_ptr_nonnull(crit->when->children[0]->matcher);
	ck_assert_int_eq(crit->when->children[1]->type, HD_COND_SENDER_DOMAIN);
	ck_assert_str_eq(crit->when->children[1]->values.v[0], "bigcorp.example");
	ck_assert_int_eq(high->when->children[0]->type, HD_COND_HEADER);
	ck_assert_str_eq(high->when->children[0]->header, "X-Priority");
	ck_assert_uint_eq(high->when->children[0]->values.n, 3);

	t = hd_policy_sla(p, "email", crit);
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(t->first_response, 60);
	ck_assert_int_eq(t->resolution, 480);
	ck_assert(t->wall);
	t = hd_policy_sla(p, NULL, high);
	ck_assert_int_eq(t->first_response, 240);
	ck_assert_int_eq(t->resolution, 16 * 60);
	ck_assert(!t->wall);
	t = hd_policy_sla(p, "social", high);
	ck_assert_int_eq(t->resolution, 90);
	ck_assert_ptr_null(hd_policy_sla(p, "phone", high));
	for (i = 0; i < p->nchannels; i++)
		ck_assert(p->channels[i].enforced == (strcmp(p->channels[i].name, "email") == 0));
	ck_assert_uint_eq(p->nchannels, 4);
	hd_policy_unref(&p);
}
END_TEST

START_TEST(test_example_calendars)
{
	struct hd_policy *p = load_example();
	const struct hd_calendar *c = hd_policy_calendar(p, "london");
	int d;

	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->timezone, "Europe/London");
	ck_assert_ptr_nonnull(c->tz);
	for (d = 1; d <= 5; d++) {
		ck_assert_uint_eq(c->nhours[d], 1);
		ck_assert_int_eq(c->hours[d][0].start, 9 * 60);
		ck_assert_int_eq(c->hours[d][0].end, 17 * 60 + 30);
	}
	ck_assert_uint_eq(c->nhours[0], 0);
	ck_assert_uint_eq(c->nhours[6], 0);
	ck_assert_uint_ge(c->nholidays, 3);
	ck_assert_int_eq(c->holidays[0], days_from_civil(2026, 12, 25));
	ck_assert_int_eq(c->holidays[1], days_from_civil(2026, 12, 28));
	ck_assert_int_eq(c->holidays[2], days_from_civil(2027, 1, 1));

	c = hd_policy_calendar(p, "newyork");
	ck_assert_str_eq(c->timezone, "America/New_York");
	ck_assert_uint_eq(c->nhours[3], 2);
	ck_assert_int_eq(c->hours[3][0].end, 12 * 60);
	ck_assert_int_eq(c->hours[3][1].start, 13 * 60);
	ck_assert_uint_eq(c->nhours[6], 1);
	ck_assert_uint_eq(c->nhours[0], 0);

	c = hd_policy_calendar(p, "always");
	for (d = 0; d < 7; d++) {
		ck_assert_uint_eq(c->nhours[d], 1);
		ck_assert_int_eq(c->hours[d][0].start, 0);
		ck_assert_int_eq(c->hours[d][0].end, 24 * 60);
	}
	ck_assert_ptr_null(hd_policy_calendar(p, "paris"));
	hd_policy_unref(&p);
}
END_TEST

START_TEST(test_example_escalation_tone_exceptions_kpis)
{
	struct hd_policy *p = load_example();
	const struct hd_esc_level *l = hd_policy_level(p, "lead");
	const struct hd_exc_policy *e;
	size_t i;
	bool seen_tag = false, seen_calm = false;

	ck_assert_str_eq(l->primary, "dave@support.example.com");
	ck_assert_str_eq(l->backup, "ops@support.example.com");
	ck_assert_str_eq(l->primary_hours->name, "london");
	ck_assert_uint_ge(p->ntriggers, 2);
	ck_assert_str_eq(p->triggers[0].name, "critical-priority");
	ck_assert_int_eq(p->triggers[0].when->type, HD_COND_PRIORITY);
	ck_assert_ptr_eq(p->triggers[0].notify, l);
	ck_assert_str_eq(p->triggers[1].name, "legal-threat");
	ck_assert(sv_contains_ci(&p->triggers[1].when->values, "chargeback"));
	ck_assert(sv_contains_ci(&p->handoff_to, "lead@support.example.com"));
	ck_assert(sv_contains_ci(&p->handoff_require, "Steps tried:"));

	ck_assert_int_eq(p->tone_action, HD_ACTION_REJECT);
	ck_assert_uint_ge(p->nphrases, 8);
	for (i = 0; i < p->nphrases; i++) {
		if (strcmp(p->phrases[i].id, "not-our-fault") == 0) {
			seen_tag = true;
			ck_assert_int_eq(p->phrases[i].action, HD_ACTION_TAG);
		}
		if (strcmp(p->phrases[i].id, "calm-down") == 0) {
			seen_calm = true;
			ck_assert_uint_ge(p->phrases[i].unless.n, 1);
			ck_assert_uint_ge(p->phrases[i].examples_bad.n, 1);
			ck_assert_uint_ge(p->phrases[i].examples_good.n, 1);
			ck_assert_int_eq(p->phrases[i].action, HD_ACTION_NONE);
		}
	}
	ck_assert(seen_tag && seen_calm);

	ck_assert_int_eq(p->tiers[1], HD_TIER_REP);
	ck_assert_int_eq(p->tiers[2], HD_TIER_PER_POLICY);
	ck_assert_int_eq(p->tiers[3], HD_TIER_APPROVAL);
	e = hd_policy_exc_policy(p, "refund-window");
	ck_assert(e->tier2_rep);
	e = hd_policy_exc_policy(p, "goodwill-credit");
	ck_assert(!e->tier2_rep);
	ck_assert_int_eq(e->kind, HD_AMOUNT_CREDIT);
	ck_assert_ptr_nonnull(hd_policy_exc_policy(p, "fee-waiver"));
	ck_assert_ptr_null(hd_policy_exc_policy(p, "nope"));
	ck_assert_str_eq(p->approvals_mailbox, "approvals@support.example.com");
	ck_assert(sv_contains_ci(&p->exc_require, "reason"));

	ck_assert_uint_ge(p->nkpis, 4);
	ck_assert_str_eq(p->kpis[0].name, "first_response_attainment");
	ck_assert_str_eq(p->kpis[0].target, "95%");
	ck_assert_str_eq(p->kpis[0].review, "monthly");
	ck_assert_str_eq(p->kpis[0].owner, "Support Ops Lead");
	hd_policy_unref(&p);
}
END_TEST

START_TEST(test_refcount)
{
	struct hd_policy *p = load_example();
	struct hd_policy *q = hd_policy_ref(p);

	ck_assert_ptr_eq(p, q);
	ck_assert_int_eq(p->refcount, 2);
	hd_policy_unref(&q);
	ck_assert_ptr_null(q);
	ck_assert_int_eq(p->refcount, 1);
	ck_assert_str_eq(p->name, "acme-support");	/* still alive */
	hd_policy_unref(&p);
	hd_policy_unref(&p);	/* NULL is fine */
}
END_TEST

/* One bad file and exactly the diagnostics it must give ("*" at the end of an
   expectation: prefix match, for text that comes from another module). */
struct bad_case {
	const char *file;
	const char *want[8];
};

static const struct bad_case BAD[] = {
	{ "unknown-key.yaml", { "2:35: unknown key 'ownr' in policy (did you mean 'owner'?; expected one of: name, version, effective, owner, review, description)" } },
	{ "wrong-type.yaml", { "33:12: tone.phrases must be a list of { id, match, suggest }, not a mapping" } },
	{ "bad-duration.yaml", { "17:29: bad duration '4x' for sla.email.high.first_response (expected minutes or hours like 90m, 4h, 1h30m)" } },
	{ "zero-duration.yaml", { "18:33: bad duration '0m' for sla.email.standard.first_response (must be more than zero; expected minutes or hours like 90m, 4h, 1h30m)" } },
	{ "sla-order.yaml", { "17:29: sla.email.high: first_response is longer than resolution (240 > 120 minutes)" } },
	{ "unknown-timezone.yaml", { "9:15: unknown time zone 'Europe/Londn' for calendars.london.timezone (expected an IANA name like Europe/London or UTC)" } },
	{ "undefined-calendar.yaml", { "6:52: undefined calendar 'londn' for scope.teams.tech.calendar (did you mean 'london'?; defined: london)" } },
	{ "undefined-team.yaml", { "25:36: undefined team 'tehc' for agents.b@x.example.team (did you mean 'tech'?; defined: billing, tech)" } },
	{ "undefined-role.yaml", { "24:24: undefined role 'agnet' for agents.a@x.example.role (did you mean 'agent'?; defined: agent, lead)" } },
	{ "undefined-level.yaml", { "30:57: undefined escalation level 'leed' for escalation.triggers[0].notify (did you mean 'lead'?; defined: lead)" } },
	{ "undefined-trigger-priority.yaml", { "30:51: undefined priority 'hihg' for escalation.triggers[0].when.priority (did you mean 'high'?; defined: high, standard)" } },
	{ "sla-unknown-priority.yaml", { "19:5: undefined priority 'urgent' for sla.email (defined: high, standard)" } },
	{ "sla-missing-priority.yaml", { "16:3: sla.email has no target for priority 'standard' (an enforced channel needs first_response and resolution for every priority)" } },
	{ "inverted-hours.yaml", { "10:23: bad hours '17:30-09:00' for calendars.london.hours.mon-fri (the end is not after the start; open hours cannot run past midnight, split them across two days)" } },
	{ "bad-time.yaml", { "10:23: bad time in '09:00-25:00' for calendars.london.hours.mon-fri (expected 00:00 to 24:00, hours 00-23 and minutes 00-59; 24:00 only as an end)" } },
	{ "bad-hours-syntax.yaml", { "10:23: bad hours '9am to 5pm' for calendars.london.hours.mon-fri (expected HH:MM-HH:MM like 09:00-17:30, several separated by commas, or closed)" } },
	{ "overlapping-hours.yaml", { "10:62: overlapping hours on wednesday in calendars.london.hours: 09:00-12:00 and 11:30-13:00" } },
	{ "bad-weekday.yaml", { "10:14: bad weekdays 'mon-fro' in calendars.london.hours (expected days like mon-fri, sat, mon,wed or mon-sun; the week runs from mon to sun)" } },
	{ "backwards-weekday.yaml", { "10:14: bad weekdays 'fri-mon' in calendars.london.hours (expected days like mon-fri, sat, mon,wed or mon-sun; the week runs from mon to sun)" } },
	{ "closed-and-open.yaml", { "10:43: wednesday is both closed and open in calendars.london.hours" } },
	{ "no-open-hours.yaml", { "10:12: calendars.london.hours has no open hours at all (deadlines could never be computed)" } },
	{ "duplicate-phrase.yaml", { "35:13: duplicate phrase id 'calm-down' in tone.phrases (first given at line 34)" } },
	{ "duplicate-mailbox.yaml", { "6:41: mailbox 'billing@x.example' is listed twice: in team 'billing' (line 5) and in scope.teams.tech.mailboxes" } },
	{ "duplicate-agent.yaml", { "25:3: duplicate agent 'a@x.example' in agents (first given at line 24)" } },
	{ "duplicate-key.yaml", { "6:5: duplicate key 'billing' in scope.teams (first given at line 5)",
				  "25:36: undefined team 'tech' for agents.b@x.example.team (defined: billing)" } },
	{ "agent-is-mailbox.yaml", { "25:3: agent 'tech@x.example' is also a support mailbox of team 'tech' (an address is either an agent or a mailbox)" } },
	{ "empty-priorities.yaml", { "12:13: priorities must list at least one priority (the last one, without 'when', is the default)" } },
	{ "default-not-last.yaml", { "13:5: priority 'standard' has no 'when', so it matches everything, but it is not the last one (the priorities after it could never match)",
				     "14:5: the last priority 'high' must have no 'when': it is the default for mail that no rule matches" } },
	{ "duplicate-priority.yaml", { "14:13: duplicate priority 'high' in priorities (first given at line 13)",
				       "17:3: sla.email has no target for priority 'high' (an enforced channel needs first_response and resolution for every priority)" } },
	{ "priority-in-priorities.yaml", { "13:27: a 'priority' condition cannot be used in priorities[0].when (the priority is what these rules decide; use it in escalation triggers)" } },
	{ "empty-condition.yaml", { "13:25: priorities[0].when is an empty condition (give at least one of: any, all, words, subject_words, sender, sender_domain, header, priority, team)" } },
	{ "bad-condition-type.yaml", { "13:25: priorities[0].when must be a condition mapping (with any of: any, all, words, subject_words, sender, sender_domain, header, priority, team), not a list" } },
	{ "bad-percentage.yaml", { "22:47: bad percentage '120%' for roles.lead.discount (expected 0% to 100% like 10% or 12.5%)" } },
	{ "bad-amount.yaml", { "22:19: bad amount '$250' for roles.lead.refund (expected a number of USD like 250 or 99.50, without a currency sign)" } },
	{ "falling-limits.yaml", { "22:32: credit limit of role 'lead' (90) is lower than that of 'agent' (100) listed before it (roles go in order of rising authority)" } },
	{ "bad-currency.yaml", { "20:13: bad currency 'dollars' for roles.currency (expected an ISO 4217 code of three capital letters like USD, EUR or GBP)" } },
	{ "bad-date.yaml", { "11:28: bad date '2026-02-30' for calendars.london.holidays (expected a real date as YYYY-MM-DD, like 2026-12-25)" } },
	{ "bad-effective.yaml", { "2:46: bad date '2026-13-01' for policy.effective (expected a real date as YYYY-MM-DD, like 2026-12-01)" } },
	{ "bad-tier.yaml", { "36:35: bad tier '4' in exceptions.tiers (expected 1, 2 or 3)" } },
	{ "bad-tier-rule.yaml", { "36:38: unknown tier rule 'aproval' for exceptions.tiers.3 (did you mean 'approval'?; expected one of: rep, per-policy, approval)" } },
	{ "bad-max-tier.yaml", { "38:49: bad tier '5' for exceptions.policies.refund-window.max_tier (expected 1, 2 or 3)",
				 "38:58: unknown amount kind 'refnd' for exceptions.policies.refund-window.kind (did you mean 'refund'?; expected one of: refund, credit, discount)" } },
	{ "bad-require-field.yaml", { "37:27: unknown field 'reson' for exceptions.require (did you mean 'reason'?; expected one of: policy, tier, reason, amount)" } },
	{ "missing-approvals-mailbox.yaml", { "36:3: exceptions need approval for some tiers but exceptions.approvals_mailbox is not set (where approvers send 'approve EXC-...')" } },
	{ "missing-name.yaml", { "2:9: missing required key 'name' in policy (the policy's name)" } },
	{ "missing-version.yaml", { "2:9: missing required key 'version' in policy (the policy's version, like 3)" } },
	{ "missing-teams.yaml", { "3:8: missing required key 'teams' in scope (name: { mailboxes, calendar })" } },
	{ "missing-priorities.yaml", { "2:1: missing required section 'priorities' (an ordered list of { name, when }; the last one, without 'when', is the default)" } },
	{ "bad-address.yaml", { "25:3: bad address 'bob' for agents (expected local@domain like billing@support.example.com)" } },
	{ "bad-action.yaml", { "32:11: unknown action 'block' for tone.action (expected one of: reject, hold, tag, notify)" } },
	{ "bad-phrase.yaml", { "34:7: missing required key 'match' in tone.phrases[0] (the prohibited phrases)" } },
	{ "backup-missing.yaml", { "28:53: escalation.levels.lead has primary_hours but no backup (who is notified outside those hours?)" } },
	{ "bad-kpi-target.yaml", { "39:19: bad target 'high' for kpis.csat.target (expected a percentage like 95%, a duration like 4h or a number like 4.5)",
				   "39:33: unknown review cadence 'montly' for kpis.csat.review (did you mean 'monthly'?; expected one of: daily, weekly, fortnightly, monthly, quarterly, half-yearly, yearly, annually)" } },
	{ "bad-bool.yaml", { "38:33: bad value 'sometimes' for exceptions.policies.refund-window.tier2_rep (expected true or false)" } },
	{ "alias.yaml", { "21:10: anchors and aliases are not supported (anchor '&lim')" } },
	{ "syntax-error.yaml", { "5:64: did not find expected ',' or ']' (while parsing a flow sequence)" } },
	{ "not-a-mapping.yaml", { "2:1: the policy file must be a mapping of sections (policy, scope, calendars, priorities, ...), not a list" } },
	{ "many-errors.yaml", {
		"9:15: unknown time zone 'Mars/Olympus' for calendars.london.timezone (expected an IANA name like Europe/London or UTC)",
		"11:16: bad date '2026-02-30' for calendars.london.holidays (expected a real date as YYYY-MM-DD, like 2026-12-25)",
		"17:29: bad duration '4x' for sla.email.high.first_response (expected minutes or hours like 90m, 4h, 1h30m)",
		"22:47: bad percentage '120%' for roles.lead.discount (expected 0% to 100% like 10% or 12.5%)",
		"24:46: unknown key 'nmae' in agents.a@x.example (did you mean 'name'?; expected one of: role, team, name)",
		"30:57: undefined escalation level 'leed' for escalation.triggers[0].notify (did you mean 'lead'?; defined: lead)" } },
};

START_TEST(test_bad_file)
{
	const struct bad_case *bc = &BAD[_i];
	char *path = xasprintf("%s/tests/data/policy/%s", top_srcdir(), bc->file);
	struct hd_diag d;
	struct hd_policy *p;
	size_t nwant = 0, i;

	while (nwant < 8 && bc->want[nwant] != NULL)
		nwant++;
	hd_diag_init(&d);
	p = hd_policy_load(path, &d);
	ck_assert_msg(p == NULL, "%s loaded", bc->file);
	if (hd_diag_count(&d) != nwant)
		for (i = 0; i < d.lines.n; i++)
			fprintf(stderr, "got: %s\n", d.lines.v[i]);
	ck_assert_uint_eq(hd_diag_count(&d), nwant);
	for (i = 0; i < nwant; i++) {
		char *want = xasprintf("%s:%s", path, bc->want[i]);
		size_t wl = strlen(want);

		if (want[wl - 1] == '*')
			ck_assert_msg(strncmp(d.lines.v[i], want, wl - 1) == 0,
				      "got '%s', want '%s'", d.lines.v[i], want);
		else
			ck_assert_str_eq(d.lines.v[i], want);
		free(want);
	}
	hd_diag_free(&d);
	free(path);
}
END_TEST

START_TEST(test_good_minimal_file)
{
	char *path = xasprintf("%s/tests/data/policy/good-minimal.yaml", top_srcdir());
	struct hd_diag d;
	struct hd_policy *p;

	hd_diag_init(&d);
	p = hd_policy_load(path, &d);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(hd_diag_count(&d), 0);
	/* no exceptions.require: the default fields */
	ck_assert_uint_eq(p->exc_require.n, 3);
	ck_assert_str_eq(p->exc_require.v[2], "reason");
	ck_assert_int_eq(p->channels[0].targets[0].first_response, 240);
	hd_policy_unref(&p);
	hd_diag_free(&d);
	free(path);
}
END_TEST

/* A minimal valid policy with hooks for the parts a test changes. */
#define MINI_HEAD \
	"policy: { name: t, version: 1 }\n" \
	"scope: { teams: { billing: { mailboxes: B@X.example, calendar: c } } }\n"
#define MINI_PRIO "priorities: [ { name: standard } ]\n"

START_TEST(test_hours_forms)
{
	struct hd_diag d;
	struct hd_policy *p = load_text(MINI_HEAD MINI_PRIO
		"calendars:\n"
		"  c:\n"
		"    timezone: UTC\n"
		"    hours:\n"
		"      Monday: [\"09:00-12:00\", \"12:00-13:00\"]\n"
		"      \"tue, thu\": \"08:00-10:00,14:00-24:00\"\n"
		"      wed-wed: \"9:30-10:00\"\n"
		"      sat: closed\n", &d);
	const struct hd_calendar *c;

	ck_assert_ptr_nonnull(p);
	c = p->calendars[0];
	ck_assert_uint_eq(c->nhours[1], 1);		/* touching intervals merged */
	ck_assert_int_eq(c->hours[1][0].start, 540);
	ck_assert_int_eq(c->hours[1][0].end, 780);
	ck_assert_uint_eq(c->nhours[2], 2);
	ck_assert_uint_eq(c->nhours[4], 2);
	ck_assert_int_eq(c->hours[4][1].end, 1440);
	ck_assert_uint_eq(c->nhours[3], 1);
	ck_assert_int_eq(c->hours[3][0].start, 570);
	ck_assert_uint_eq(c->nhours[5], 0);
	ck_assert_uint_eq(c->nhours[6], 0);
	ck_assert_uint_eq(c->nhours[0], 0);
	ck_assert_str_eq(p->teams[0].mailboxes.v[0], "b@x.example");
	hd_policy_unref(&p);
	hd_diag_free(&d);
}
END_TEST

/* mode: per section; default enforce; a bad value names the choices. */
START_TEST(test_section_modes)
{
	struct hd_diag d;
	struct hd_policy *p = load_text(MINI_HEAD MINI_PRIO
		"calendars: { c: { timezone: UTC, hours: { mon-fri: \"09:00-17:00\" } } }\n"
		"roles: { mode: monitor, agent: { refund: 50 } }\n"
		"tone: { mode: monitor, phrases: [ { id: x, match: \"calm down\" } ] }\n"
		"exceptions: { mode: enforce, tiers: { 1: rep, 2: rep, 3: rep } }\n"
		"escalation: { handoff: { to: [l@x.example], require: [\"A:\"], mode: monitor } }\n", &d);

	for (size_t i = 0; i < d.lines.n; i++)
		fprintf(stderr, "%s\n", d.lines.v[i]);
	ck_assert_ptr_nonnull(p);
	ck_assert(p->monitor[HD_SECTION_TONE]);
	ck_assert(p->monitor[HD_SECTION_AUTHORITY]);
	ck_assert(!p->monitor[HD_SECTION_EXCEPTIONS]);
	ck_assert(p->monitor[HD_SECTION_HANDOFF]);
	ck_assert_uint_eq(p->nroles, 1);		/* mode is not a role */
	hd_policy_unref(&p);
	hd_diag_free(&d);

	p = load_text(MINI_HEAD MINI_PRIO
		"calendars: { c: { timezone: UTC, hours: { mon-fri: \"09:00-17:00\" } } }\n"
		"tone: { mode: watch }\n", &d);
	ck_assert_ptr_null(p);
	ck_assert_msg(d.lines.n >= 1 && strstr(d.lines.v[0], "tone.mode") != NULL &&
		      strstr(d.lines.v[0], "monitor") != NULL, "%s", d.lines.n ? d.lines.v[0] : "");
	hd_diag_free(&d);

	p = load_example();
	for (int i = 0; i < HD_SECTION_COUNT; i++)
		ck_assert(!p->monitor[i]);		/* default: enforce */
	hd_policy_unref(&p);
}
END_TEST

START_TEST(test_conditions)
{
	struct hd_diag d;
	struct hd_policy *p = load_text(MINI_HEAD
		"calendars: { c: { timezone: UTC, hours: { mon-sun: \"00:00-24:00\" } } }\n"
		"priorities:\n"
		"  - name: vip\n"
		"    when: { sender: [\"<Boss@BigCorp.example>\"], sender_domain: \"@BigCorp.Example\" }\n"
		"  - name: hdr\n"
		"    when: { header: { X-Priority: \"1\", Importance: [high] }, team: billing }\n"
		"  - { name: standard }\n", &d);
	const struct hd_cond *c;

	ck_assert_uint_eq(hd_diag_count(&d), 0);
	ck_assert_ptr_nonnull(p);
	c = p->priorities[0].when;
	ck_assert_int_eq(c->type, HD_COND_ALL);
	ck_assert_uint_eq(c->nchildren, 2);
	ck_assert_int_eq(c->children[0]->type, HD_COND_SENDER);
	ck_assert_str_eq(c->children[0]->values.v[0], "boss@bigcorp.example");
	ck_assert_int_eq(c->children[1]->type, HD_COND_SENDER_DOMAIN);
	ck_assert_str_eq(c->children[1]->values.v[0], "bigcorp.example");
	ck_assert_int_eq(c->line, 6);
	ck_assert_int_eq(c->column, 11);
	c = p->priorities[1].when;
	ck_assert_int_eq(c->type, HD_COND_ALL);
	ck_assert_int_eq(c->children[0]->type, HD_COND_ALL);	/* two headers: both */
	ck_assert_str_eq(c->children[0]->children[1]->header, "Importance");
	ck_assert_int_eq(c->children[1]->type, HD_COND_TEAM);
	ck_assert_str_eq(p->priorities[1].rule_name, "hdr");
	hd_policy_unref(&p);
	hd_diag_free(&d);
}
END_TEST

/* First match of one condition's own matcher (the reference). */
struct own_first { bool found; size_t start, end; };
static bool own_first_cb(const struct hd_match *m, void *ctx)
{
	struct own_first *f = ctx;

	f->found = true;
	f->start = m->start;
	f->end = m->end;
	return false;
}

/* Compare every words/subject_words condition under c with its slot in hits. */
static size_t check_cond_hits(const struct hd_cond *c, const struct hd_normtext *nall,
			      const struct hd_normtext *nsubj, const struct hd_cond_hit *hits)
{
	size_t checked = 0;

	for (size_t i = 0; i < c->nchildren; i++)
		checked += check_cond_hits(c->children[i], nall, nsubj, hits);
	if (c->type == HD_COND_WORDS || c->type == HD_COND_SUBJECT_WORDS) {
		struct own_first f = { 0 };

		ck_assert_int_ge(c->slot, 0);
		hd_matcher_scan(c->matcher, c->type == HD_COND_WORDS ? nall : nsubj, own_first_cb, &f);
		ck_assert_int_eq(hits[c->slot].found, f.found);
		if (f.found) {
			ck_assert_uint_eq(hits[c->slot].start, f.start);
			ck_assert_uint_eq(hits[c->slot].end, f.end);
		}
		checked++;
	}
	return checked;
}

/* Deterministic PRNG (xorshift32). */
static uint32_t cond_rng = 1234567u;
static uint32_t cond_rnd(void)
{
	return hd_test_xorshift32(&cond_rng);
}

START_TEST(test_cond_words_one_pass)
{
	/* One pass of the policy's condition automaton gives every words and
	   subject_words condition the first match its own matcher reports, on
	   random texts of overlapping words; for this test's policy and for
	   conf/policy.yaml (priority rules and escalation triggers). */
	static const char *const vocab[] = {
		"site", "is", "down", "Site is down", "outage", "OUTAGE report", "data", "loss",
		"urgent", "asap", "cannot", "log", "in", "lawyer", "cancel", "switch", "provider",
		"downtown", "is-down", "\xc3\xbc" "ber", "d\xd0\xbewn", "--", ",", ".", "\n",
	};
	struct hd_diag d;
	struct hd_policy *pols[2];

	pols[0] = load_text(MINI_HEAD
		"calendars: { c: { timezone: UTC, hours: { mon-sun: \"00:00-24:00\" } } }\n"
		"priorities:\n"
		"  - name: a\n"
		"    when: { any: [ { words: [\"site is down\", outage, down] }, { subject_words: [urgent, \"cannot log in\"] } ] }\n"
		"  - name: b\n"
		"    when: { all: [ { words: [\"is down\", data loss, site] }, { words: [down, \"outage report\"] } ] }\n"
		"  - name: c\n"
		"    when: { subject_words: [down, \"site is\", \"\xc3\xbc" "ber\"] }\n"
		"  - { name: standard }\n", &d);
	ck_assert_uint_eq(hd_diag_count(&d), 0);
	hd_diag_free(&d);
	pols[1] = load_example();
	ck_assert_uint_eq(pols[0]->ncond_slots, 5);
	ck_assert_ptr_nonnull(pols[0]->cond_words);
	for (int pi = 0; pi < 2; pi++) {
		const struct hd_policy *p = pols[pi];

		ck_assert_uint_gt(p->ncond_slots, 0);
		for (int iter = 0; iter < 500; iter++) {
			struct strbuf all, subj;
			struct hd_normtext *nall, *nsubj;
			struct hd_cond_hit *hits = xcalloc(p->ncond_slots, sizeof(*hits));
			size_t checked = 0;

			sb_init(&all);
			sb_init(&subj);
			for (size_t w = 0, nw = cond_rnd() % 40; w < nw; w++) {
				sb_puts(&all, vocab[cond_rnd() % (sizeof(vocab) / sizeof(vocab[0]))]);
				sb_putc(&all, ' ');
			}
			for (size_t w = 0, nw = cond_rnd() % 6; w < nw; w++) {
				sb_puts(&subj, vocab[cond_rnd() % (sizeof(vocab) / sizeof(vocab[0]))]);
				sb_putc(&subj, ' ');
			}
			nall = hd_norm_text(all.s, all.len);
			nsubj = hd_norm_text(subj.s, subj.len);
			hd_policy_cond_scan(p, nall, false, hits);
			hd_policy_cond_scan(p, nsubj, true, hits);
			for (size_t i = 0; i < p->npriorities; i++)
				if (p->priorities[i].when)
					checked += check_cond_hits(p->priorities[i].when, nall, nsubj, hits);
			for (size_t i = 0; i < p->ntriggers; i++)
				if (p->triggers[i].when)
					checked += check_cond_hits(p->triggers[i].when, nall, nsubj, hits);
			ck_assert_uint_eq(checked, p->ncond_slots);
			free(hits);
			hd_normtext_deinit(&nall);
			hd_normtext_deinit(&nsubj);
			sb_free(&all);
			sb_free(&subj);
		}
	}
	hd_policy_unref(&pols[0]);
	hd_policy_unref(&pols[1]);
}
END_TEST

START_TEST(test_selftest_failure)
{
	struct hd_diag d;
	struct hd_policy *p = load_text(MINI_HEAD MINI_PRIO
		"calendars: { c: { timezone: UTC, hours: { mon-sun: \"00:00-24:00\" } } }\n"
		"tone:\n"
		"  phrases:\n"
		"    - { id: x, match: \"calm down\", examples: { bad: [\"all is well\"], good: [\"please calm down\"] } }\n",
		&d);

	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(hd_policy_selftest(p, &d), 2);
	ck_assert_uint_eq(hd_diag_count(&d), 2);
	hd_policy_unref(&p);
	hd_diag_free(&d);
}
END_TEST

START_TEST(test_too_many_errors)
{
	struct strbuf sb;
	struct hd_diag d;
	struct hd_policy *p;
	int i;

	sb_init(&sb);
	sb_puts(&sb, MINI_HEAD MINI_PRIO "calendars: { c: { timezone: UTC, hours: { mon: \"09:00-10:00\" }, holidays: [");
	for (i = 0; i < 150; i++)
		sb_printf(&sb, "%s2026-02-%02d", i ? ", " : "", 30 + i % 2);
	sb_puts(&sb, "] } }\n");
	hd_diag_init(&d);
	p = hd_policy_load_buffer("t.yaml", sb.s, sb.len, &d);
	ck_assert_ptr_null(p);
	ck_assert_uint_eq(hd_diag_count(&d), HD_POLICY_MAX_ERRORS + 1);
	ck_assert_str_eq(d.lines.v[HD_POLICY_MAX_ERRORS],
			 "t.yaml:1:1: too many errors; only the first 100 are shown");
	hd_diag_free(&d);
	sb_free(&sb);
}
END_TEST

START_TEST(test_part_day_and_ics_holidays)
{
	struct hd_diag d;
	char ics[] = "/tmp/hd-test-policy-ics-XXXXXX";
	const char *text = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n"
		"BEGIN:VEVENT\r\nUID:1\r\nSUMMARY:Boxing Day\r\nDTSTART;VALUE=DATE:20261226\r\n"
		"END:VEVENT\r\nBEGIN:VEVENT\r\nUID:2\r\nSUMMARY:Christmas again\r\n"
		"DTSTART;VALUE=DATE:20261225\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:3\r\n"
		"SUMMARY:Training\r\nDTSTART:20261201T100000Z\r\nDTEND:20261201T120000Z\r\n"
		"END:VEVENT\r\nEND:VCALENDAR\r\n";
	int fd = mkstemp(ics);
	struct hd_policy *p;
	struct strbuf sb;
	const struct hd_calendar *c;

	ck_assert(fd >= 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	sb_init(&sb);
	sb_printf(&sb, MINI_HEAD MINI_PRIO "calendars: { c: { timezone: Europe/London, hours: "
		  "{ mon-fri: [\"09:00-12:30\", \"13:30-17:30\"] }, holidays: [2026-12-25, "
		  "{ date: 2026-12-24, from: \"13:00\" }, { date: 2026-12-31, until: \"10:00\" }], "
		  "holidays_ics: %s } }\n", ics);
	hd_diag_init(&d);
	p = hd_policy_load_buffer("t.yaml", sb.s, sb.len, &d);
	ck_assert_msg(p != NULL, "%s", d.lines.n ? d.lines.v[0] : "?");
	c = p->calendars[0];
	ck_assert_uint_eq(c->nholidays, 2);		/* 12-25 once, 12-26 */
	ck_assert_int_eq(c->holidays[1], days_from_civil(2026, 12, 26));
	ck_assert_uint_eq(c->npart, 2);
	ck_assert_int_eq(c->part[0].day, days_from_civil(2026, 12, 24));
	ck_assert_int_eq(c->part[0].from, 780);
	ck_assert_int_eq(c->part[0].until, 1440);
	ck_assert_int_eq(c->part[1].from, 0);
	ck_assert_int_eq(c->part[1].until, 600);
	ck_assert_uint_eq(c->nclosed, 1);
	/* Thu 12-24: 09:00-12:30 + 13:30-13:00 closed = 3h30 (GMT). */
	ck_assert_int_eq(hd_calendar_elapsed(c, (time_t)days_from_civil(2026, 12, 24) * 86400,
					     (time_t)days_from_civil(2026, 12, 25) * 86400, false), 12600);
	/* Tue 12-01: 7h30 minus the 10:00-12:00Z training = 5h30. */
	ck_assert_int_eq(hd_calendar_elapsed(c, (time_t)days_from_civil(2026, 12, 1) * 86400,
					     (time_t)days_from_civil(2026, 12, 2) * 86400, false), 19800);
	hd_policy_unref(&p);
	hd_diag_free(&d);
	sb_truncate(&sb, 0);
	sb_puts(&sb, MINI_HEAD MINI_PRIO "calendars: { c: { timezone: UTC, hours: { mon: "
		"\"09:00-10:00\" }, holidays: [{ date: 2026-12-24, from: \"13:00\", until: "
		"\"12:00\" }], holidays_ics: /nonexistent.ics } }\n");
	hd_diag_init(&d);
	p = hd_policy_load_buffer("t.yaml", sb.s, sb.len, &d);
	ck_assert_ptr_null(p);
	ck_assert_uint_eq(hd_diag_count(&d), 2);
	ck_assert_msg(strstr(d.lines.v[0], "closes nothing") != NULL, "%s", d.lines.v[0]);
	ck_assert_msg(strstr(d.lines.v[1], "cannot read /nonexistent.ics") != NULL, "%s",
		      d.lines.v[1]);
	hd_diag_free(&d);
	sb_free(&sb);
	unlink(ics);
}
END_TEST

START_TEST(test_duration_parse)
{
	long m = -1;

	ck_assert(hd_duration_parse("90m", &m) && m == 90);
	ck_assert(hd_duration_parse("4h", &m) && m == 240);
	ck_assert(hd_duration_parse("1h30m", &m) && m == 90);
	ck_assert(hd_duration_parse("0m", &m) && m == 0);
	ck_assert(hd_duration_parse("8784h", &m) && m == 8784 * 60);
	m = 7;
	ck_assert(!hd_duration_parse("4x", &m));
	ck_assert(!hd_duration_parse("", &m));
	ck_assert(!hd_duration_parse("h", &m));
	ck_assert(!hd_duration_parse("m", &m));
	ck_assert(!hd_duration_parse("-4h", &m));
	ck_assert(!hd_duration_parse("4", &m));
	ck_assert(!hd_duration_parse("30m1h", &m));
	ck_assert(!hd_duration_parse("1h1h", &m));
	ck_assert(!hd_duration_parse("1.5h", &m));
	ck_assert(!hd_duration_parse("4 h", &m));
	ck_assert(!hd_duration_parse("8785h", &m));
	ck_assert(!hd_duration_parse("99999999999999999999999h", &m));
	ck_assert(!hd_duration_parse(NULL, &m));
	ck_assert_int_eq(m, 7);
}
END_TEST

START_TEST(test_names)
{
	enum hd_action a = HD_ACTION_NONE;

	ck_assert(hd_action_parse("Reject", &a) && a == HD_ACTION_REJECT);
	ck_assert(hd_action_parse("tag", &a) && a == HD_ACTION_TAG);
	ck_assert(hd_action_parse("notify", &a) && a == HD_ACTION_NOTIFY);
	ck_assert(hd_action_parse("hold", &a) && a == HD_ACTION_HOLD);
	ck_assert(!hd_action_parse("block", &a));
	ck_assert_int_eq(a, HD_ACTION_HOLD);
	ck_assert_str_eq(hd_action_name(HD_ACTION_REJECT), "reject");
	ck_assert_str_eq(hd_action_name(HD_ACTION_NONE), "none");
	ck_assert_str_eq(hd_action_name(HD_ACTION_TAG), "tag");
	ck_assert(HD_ACTION_REJECT > HD_ACTION_HOLD && HD_ACTION_HOLD > HD_ACTION_TAG);
	ck_assert_str_eq(hd_amount_kind_name(HD_AMOUNT_REFUND), "refund");
	ck_assert_str_eq(hd_amount_kind_name(HD_AMOUNT_CREDIT), "credit");
	ck_assert_str_eq(hd_amount_kind_name(HD_AMOUNT_DISCOUNT), "discount");
}
END_TEST

/* The suite. */
static Suite *policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("example");
	TCase *tb = tcase_create("errors");
	TCase *tu = tcase_create("units");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_example_loads_and_selftests);
	tcase_add_test(tc, test_example_teams_and_agents);
	tcase_add_test(tc, test_example_priorities_and_sla);
	tcase_add_test(tc, test_example_calendars);
	tcase_add_test(tc, test_example_escalation_tone_exceptions_kpis);
	tcase_add_test(tc, test_refcount);
	tcase_add_loop_test(tb, test_bad_file, 0, (int)(sizeof(BAD) / sizeof(BAD[0])));
	tcase_add_test(tb, test_good_minimal_file);
	tcase_add_test(tb, test_too_many_errors);
	tcase_add_test(tu, test_hours_forms);
	tcase_add_test(tu, test_conditions);
	tcase_add_test(tu, test_cond_words_one_pass);
	tcase_add_test(tu, test_section_modes);
	tcase_add_test(tu, test_selftest_failure);
	tcase_add_test(tu, test_duration_parse);
	tcase_add_test(tu, test_part_day_and_ics_holidays);
	tcase_add_test(tu, test_names);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, tb);
	suite_add_tcase(s, tu);
	return s;
}

int main(void)
{
	int failed = hd_check_run(policy_suite());
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

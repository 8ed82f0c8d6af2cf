/*
 * test-policy-helpdesk - the policy's helpdesk: section: a good section
 * loads with per-team overrides and defaults; every class of mistake in
 * tests/data/policy/helpdesk/ is reported at its file:line:column.
 */
#include <config.h>

#include <check.h>
#include "check-run.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "net.h"

/* The source root: $TOP_SRCDIR, else the build-time macro. */
static const char *top_srcdir(void)
{
	const char *e = getenv("TOP_SRCDIR");

	return e != NULL && *e != '\0' ? e : TOP_SRCDIR;
}

/* Load tests/data/policy/helpdesk/NAME; diagnostics stay in *d. */
static struct hd_policy *load_case(const char *name, struct hd_diag *d)
{
	char *path = xasprintf("%s/tests/data/policy/helpdesk/%s", top_srcdir(), name);
	struct hd_policy *p;

	hd_diag_init(d);
	p = hd_policy_load(path, d);
	free(path);
	return p;
}

START_TEST(test_good_section)
{
	struct hd_diag d;
	struct hd_policy *p = load_case("good-znuny.yaml", &d);
	const struct hd_helpdesk *b, *t;

	for (size_t i = 0; i < d.lines.n; i++)
		fprintf(stderr, "%s\n", d.lines.v[i]);
	ck_assert_ptr_nonnull(p);
	b = hd_policy_helpdesk(p, "billing");
	t = hd_policy_helpdesk(p, "tech");
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(b->kind, HD_HELPDESK_ZNUNY);
	ck_assert_str_eq(hd_pairs_get(&b->priorities, "high"), "4 high");
	ck_assert_str_eq(hd_pairs_get(&b->queues, "billing"), "Billing");
	ck_assert_str_eq(hd_pairs_get(&b->slas, "high"), "Gold");
	ck_assert_str_eq(b->due_field, "HelpdeskDue");	/* default */
	ck_assert_str_eq(b->ticket_tag, "Ticket#");	/* default */
	ck_assert_str_eq(b->agent_header, "X-Znuny-Agent");
	ck_assert(hd_netlist_contains(b->relay, "192.0.2.44"));
	ck_assert(!hd_netlist_contains(b->relay, "198.51.100.7"));
	/* tech has its own kind: nothing inherited from the znuny settings. */
	ck_assert_int_eq(t->kind, HD_HELPDESK_RT);
	ck_assert_str_eq(hd_pairs_get(&t->priorities, "high"), "80");
	ck_assert_ptr_null(hd_pairs_get(&t->queues, "billing"));
	ck_assert_str_eq(hd_pairs_get(&t->addresses, "tech"), "rt-tech@rt.x.example");
	ck_assert_str_eq(t->agent_header, "X-RT-Originator");	/* RT's default */
	ck_assert_str_eq(t->ticket_tag, "rt.x.example");
	ck_assert(hd_netlist_contains(t->relay, "198.51.100.7"));
	ck_assert_str_eq(hd_helpdesk_kind_name(t->kind), "rt");
	hd_policy_unref(&p);
	hd_diag_free(&d);
}
END_TEST

START_TEST(test_no_section)
{
	struct hd_diag d;
	char *path = xasprintf("%s/conf/policy.yaml", top_srcdir());
	struct hd_policy *p;

	hd_diag_init(&d);
	p = hd_policy_load(path, &d);
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_null(hd_policy_helpdesk(p, "billing"));
	hd_policy_unref(&p);
	hd_diag_free(&d);
	free(path);
}
END_TEST

static const struct {
	const char *file;
	const char *errors[5];
} bad_cases[] = {
	{ "bad-kind.yaml", { "19:9: unknown helpdesk kind 'zamad' for helpdesk.kind (did you mean 'zammad'?; expected one of: none, znuny, zammad, rt, osticket)" } },
	{ "missing-priority.yaml", { "20:15: helpdesk.priorities has no value for priority 'standard' (a zammad helpdesk needs one for every priority, e.g. \"3 high\")" } },
	{ "bad-osticket.yaml", { "20:15: helpdesk.priorities.high: osticket reads X-Priority 1 (highest) to 5 (lowest), not 'urgent'" } },
	{ "rt-no-address.yaml", { "21:14: helpdesk.addresses has no RT address for team 'tech' (an address like rt-tech@rt.example.com, or \"+tech\" for rt-mailgate --extension)" } },
	{ "bad-refs.yaml", {
		"23:3: unknown key 'queus' in helpdesk (did you mean 'queues'?; expected one of: kind, priorities, queues, addresses, slas, service, due_field, agent_header, ticket_tag, relay, teams)",
		"20:55: undefined priority 'urgent' in helpdesk.priorities",
		"21:13: undefined team 'sales' in helpdesk.queues",
		"22:14: helpdesk.addresses is only for kind rt (RT routes by address); znuny routes by queues" } },
	{ "relay-no-header.yaml", {
		"21:10: helpdesk.relay: bad prefix length '/33' in '10.0.0.0/33' (0-32)",
		"19:3: helpdesk.agent_header is required with relay for kind zammad (the header the helpdesk writes with the agent's address on outgoing mail)" } },
	{ "bad-value.yaml", {
		"20:23: helpdesk.priorities.high must be 1 to 200 printable characters on one line",
		"21:17: helpdesk.agent_header must be a header field name (letters, digits, '-', '_'; at most 76)" } },
};

START_TEST(test_bad_section)
{
	struct hd_diag d;
	struct hd_policy *p = load_case(bad_cases[_i].file, &d);

	ck_assert_ptr_null(p);
	for (size_t k = 0; k < 5 && bad_cases[_i].errors[k]; k++) {
		char *want = xasprintf("%s/tests/data/policy/helpdesk/%s:%s", top_srcdir(),
				       bad_cases[_i].file, bad_cases[_i].errors[k]);
		bool found = false;

		for (size_t j = 0; j < d.lines.n; j++)
			found = found || strcmp(d.lines.v[j], want) == 0;
		if (!found) {
			for (size_t j = 0; j < d.lines.n; j++)
				fprintf(stderr, "got: %s\n", d.lines.v[j]);
			ck_abort_msg("missing diagnostic: %s", want);
		}
		free(want);
	}
	hd_policy_unref(&p);
	hd_diag_free(&d);
}
END_TEST

/* Suite of this module. */
static Suite *suite(void)
{
	Suite *s = suite_create("policy-helpdesk");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_good_section);
	tcase_add_test(tc, test_no_section);
	tcase_add_loop_test(tc, test_bad_section, 0, sizeof(bad_cases) / sizeof(bad_cases[0]));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return hd_check_run(suite()) == 0 ? 0 : 1;
}

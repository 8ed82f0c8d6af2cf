/*
 * ctl-card - helpdeskctl card: print the policy's one-page quick reference
 * (response targets, authority, escalation, phrases, KPIs). It only reads the
 * policy and must never change it.
 */
#include <config.h>
#include "util.h"
#include "policy.h"
#include "ctl.h"
#include "report.h"

#include <stdio.h>
#include <string.h>

#define CARD_USAGE "usage: helpdeskctl card --policy FILE [--format text|html]\n"

/* helpdeskctl card --policy FILE [--format text|html]: the one-page quick reference. */
int cmd_card(int argc, char **argv)
{
	const char *path = NULL, *format = "text";
	struct hd_policy *p;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--policy") == 0 && i + 1 < argc)
			path = argv[++i];
		else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc)
			format = argv[++i];
		else if (strncmp(argv[i], "--format=", 9) == 0)
			format = argv[i] + 9;
		else if (strcmp(argv[i], "--help") == 0) {
			printf(CARD_USAGE);
			return 0;
		} else if (path == NULL && argv[i][0] != '-')
			path = argv[i];
		else {
			fprintf(stderr, "helpdeskctl card: unknown argument '%s'\n" CARD_USAGE, argv[i]);
			return 1;
		}
	}
	if (path == NULL) {
		fprintf(stderr, CARD_USAGE);
		return 1;
	}
	if (strcmp(format, "text") != 0 && strcmp(format, "html") != 0) {
		fprintf(stderr, "helpdeskctl card: --format %s: use text or html\n", format);
		return 1;
	}
	if ((p = ctl_load_policy(path, false)) == NULL)
		return 1;
	if (strcmp(format, "html") == 0) {
		report_card_html(stdout, p);
		hd_policy_unref(&p);
		return 0;
	}
	printf("%s v%s — quick reference", p->name, p->version);
	if (p->effective)
		printf(" (effective %s)", p->effective);
	printf("\n");
	if (p->owner)
		printf("Owner: %s%s%s\n", p->owner, p->review ? "; review: " : "", p->review ? p->review : "");
	printf("\nRESPONSE TARGETS\n");
	for (size_t c = 0; c < p->nchannels; c++) {
		const struct hd_sla_channel *ch = &p->channels[c];
		for (size_t i = 0; i < ch->ntargets; i++) {
			char a[32], b[32];
			snprintf(a, sizeof(a), "%ldh%02ldm", ch->targets[i].first_response / 60, ch->targets[i].first_response % 60);
			snprintf(b, sizeof(b), "%ldh%02ldm", ch->targets[i].resolution / 60, ch->targets[i].resolution % 60);
			printf("  %-7s %-10s first response %-8s resolution %-8s %s%s\n", ch->name,
			       ch->targets[i].priority->name, a, b, ch->targets[i].wall ? "(wall clock)" : "(business hours)",
			       ch->enforced ? "" : " [not enforced by mail]");
		}
	}
	printf("\nAUTHORITY (%s)\n", p->currency ? p->currency : "USD");
	for (size_t i = 0; i < p->nroles; i++) {
		const struct hd_role *r = &p->roles[i];
		printf("  %-12s", r->name);
		for (int k = 0; k < HD_AMOUNT_KIND_COUNT; k++)
			if (r->has_limit[k])
				printf(" %s %g%s", hd_amount_kind_name((enum hd_amount_kind)k), r->limit[k],
				       k == HD_AMOUNT_DISCOUNT ? "%" : "");
		printf("%s\n", r->can_approve ? "  (approves)" : "");
	}
	printf("\nESCALATION\n");
	for (size_t i = 0; i < p->nlevels; i++)
		printf("  %-10s %s%s%s%s\n", p->levels[i].name, p->levels[i].primary,
		       p->levels[i].backup ? ", backup " : "", p->levels[i].backup ? p->levels[i].backup : "",
		       p->levels[i].primary_hours ? " (outside primary hours)" : "");
	for (size_t i = 0; i < p->ntriggers; i++)
		printf("  when %-20s -> %s\n", p->triggers[i].name, p->triggers[i].notify->name);
	if (p->handoff_require.n) {
		printf("  hand-off must include:");
		for (size_t i = 0; i < p->handoff_require.n; i++)
			printf(" %s", p->handoff_require.v[i]);
		printf("\n");
	}
	printf("\nNEVER WRITE -> WRITE INSTEAD\n");
	for (size_t i = 0; i < p->nphrases; i++) {
		const struct hd_phrase *ph = &p->phrases[i];
		printf("  \"%s\"", ph->match.n ? ph->match.v[0] : "");
		for (size_t k = 1; k < ph->match.n; k++)
			printf(", \"%s\"", ph->match.v[k]);
		printf(" -> %s\n", ph->suggest ? ph->suggest : "(rephrase)");
	}
	if (p->approvals_mailbox)
		printf("\nEXCEPTIONS: approvals go to %s (\"approve EXC-...\")\n", p->approvals_mailbox);
	if (p->nkpis) {
		printf("\nKPIs\n");
		for (size_t i = 0; i < p->nkpis; i++)
			printf("  %-28s target %-6s review %-10s owner %s\n", p->kpis[i].name,
			       p->kpis[i].target ? p->kpis[i].target : "-", p->kpis[i].review ? p->kpis[i].review : "-",
			       p->kpis[i].owner ? p->kpis[i].owner : "-");
	}
	hd_policy_unref(&p);
	return 0;
}

/*
 * ctl-report - helpdeskctl report: count a period's audit records into KPIs
 * (first-response attainment, tone flags, exceptions, hand-off refusals),
 * overall and per agent. It only reads the store and must never write to it.
 */
#include <config.h>
#include "util.h"
#include "store.h"
#include "ctl.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One agent's counters. */
struct agent_stat {
	char *agent;
	long tone, exceptions, met, breached;
};
/* The report's counters, overall and per agent. */
struct report_ctx {
	long met, breached, inbound, escalations, tone, exceptions, approvals, handoff;
	struct agent_stat *agents;
	size_t nagents;
};

/* Per-agent counters. */
static struct agent_stat *agent_stat(struct report_ctx *r, const char *agent)
{
	for (size_t i = 0; i < r->nagents; i++)
		if (strcmp(r->agents[i].agent, agent) == 0)
			return &r->agents[i];
	r->agents = xrealloc(r->agents, (r->nagents + 1) * sizeof(*r->agents));
	memset(&r->agents[r->nagents], 0, sizeof(r->agents[0]));
	r->agents[r->nagents].agent = xstrdup(agent);
	return &r->agents[r->nagents++];
}

/* Count one record into the report. */
static bool report_row(const struct hd_audit_row *row, void *ctx)
{
	struct report_ctx *r = ctx;
	struct agent_stat *a = row->agent ? agent_stat(r, row->agent) : NULL;

	if (strcmp(row->kind, "sla") == 0 && row->action) {
		bool met = strcmp(row->action, "met") == 0;
		met ? r->met++ : r->breached++;
		if (a)
			met ? a->met++ : a->breached++;
	} else if (strcmp(row->kind, "inbound") == 0) {
		r->inbound++;
	} else if (strcmp(row->kind, "escalation") == 0) {
		r->escalations++;
	} else if (strcmp(row->kind, "tone") == 0) {
		r->tone++;
		if (a)
			a->tone++;
	} else if (strcmp(row->kind, "exception") == 0) {
		r->exceptions++;
		if (a)
			a->exceptions++;
	} else if (strcmp(row->kind, "approval") == 0) {
		r->approvals++;
	} else if (strcmp(row->kind, "handoff") == 0) {
		r->handoff++;
	}
	return true;
}

/* helpdeskctl report --store URI [--since T] [--until T] */
int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "store", required_argument, NULL, 's' }, { "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'U' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct hd_audit_filter f = { 0 };
	struct report_ctx r = { 0 };
	const char *uri = NULL;
	struct hd_store *s;
	char *err = NULL;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': uri = optarg; break;
		case 'S':
		case 'U':
			if (!ctl_parse_when(optarg, c == 'S' ? &f.since : &f.until))
				return 1;
			break;
		case 'h':
			printf("usage: helpdeskctl report --store URI [--since TIME] [--until TIME]\n"
			       "First-response attainment, tone flags and exceptions per agent.\n");
			return 0;
		default: return 1;
		}
	}
	if (uri == NULL) {
		fprintf(stderr, "usage: helpdeskctl report --store URI [--since TIME] [--until TIME]\n");
		return 1;
	}
	if ((s = hd_store_open(uri, &err)) == NULL || hd_store_audit(s, &f, report_row, &r, &err) != HD_STORE_OK) {
		fprintf(stderr, "helpdeskctl: store: %s\n", err);
		free(err);
		hd_store_deinit(&s);
		return 1;
	}
	printf("Inbound messages:           %ld\n", r.inbound);
	printf("Escalations:                %ld\n", r.escalations);
	if (r.met + r.breached)
		printf("First-response attainment:  %.1f%% (%ld met, %ld breached)\n",
		       100.0 * (double)r.met / (double)(r.met + r.breached), r.met, r.breached);
	else
		printf("First-response attainment:  n/a (no first responses)\n");
	printf("Tone flags:                 %ld\n", r.tone);
	printf("Exception decisions:        %ld (approvals: %ld)\n", r.exceptions, r.approvals);
	printf("Hand-off refusals:          %ld\n", r.handoff);
	if (r.nagents) {
		printf("\n%-32s %6s %6s %9s %10s\n", "AGENT", "MET", "BREACH", "TONE", "EXCEPTION");
		for (size_t i = 0; i < r.nagents; i++) {
			printf("%-32s %6ld %6ld %9ld %10ld\n", r.agents[i].agent, r.agents[i].met,
			       r.agents[i].breached, r.agents[i].tone, r.agents[i].exceptions);
			free(r.agents[i].agent);
		}
	}
	free(r.agents);
	hd_store_deinit(&s);
	return 0;
}

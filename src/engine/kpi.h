#ifndef HD_KPI_H
#define HD_KPI_H
/*
 * kpi - the figures of helpdeskctl report, computed once from the store and
 * the policy so that every format (table, CSV, JSON, HTML) shows the same
 * numbers. First-response attainment is counted as helpdesks count SLA
 * achievement: a ticket whose due time passed with no reply is a breach now,
 * not a missing figure; tickets not yet due and unanswered are "pending" and
 * left out. Times are business minutes on the team's calendar (wall minutes
 * for `clock: wall` targets); median and 90th percentile use the
 * nearest-rank method. Reads only.
 */
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct hd_policy;
struct hd_kpi;
struct hd_store;

/* Share of the target elapsed (percent) from which an unanswered ticket is at risk. */
#define HD_KPI_AT_RISK_PERCENT 75
/* Tickets listed as overdue or at risk (the counts cover all of them). */
#define HD_KPI_OPEN_LIST_MAX 200
/* Keys listed per tally (rules, policies, approvers...); the rest are
   summed into one "(N others)" entry. */
#define HD_KPI_TALLY_MAX 50
/* Backlog age buckets (see hd_kpi_backlog_label). */
#define HD_KPI_BACKLOG_BUCKETS 7

/* What the group table breaks first response down by (--by). */
enum hd_kpi_by { HD_KPI_BY_TEAM, HD_KPI_BY_PRIORITY, HD_KPI_BY_AGENT, HD_KPI_BY_WEEK };
const char *hd_kpi_by_name(enum hd_kpi_by by);
bool hd_kpi_by_parse(const char *s, enum hd_kpi_by *by_r);

/* First-response figures of one group (or of everything). */
struct hd_kpi_sla {
	char *key;		/* team, priority, agent ("(no reply)") or week "2026-W49" */
	time_t week_start;	/* HD_KPI_BY_WEEK: Monday 00:00 UTC */
	long tickets;		/* opened in the period */
	long met, breached;	/* breached includes breached_unanswered */
	long breached_unanswered;	/* due passed, no reply yet */
	long pending;		/* no reply, not due yet: not counted */
	double attainment;	/* percent of met + breached; < 0: none counted */
	long median, p90;	/* business minutes to first reply; -1: no replies */
	long *minutes;		/* every answered ticket's time, sorted */
	size_t nminutes, cminutes;
};

/* A key and how often it was counted. */
struct hd_kpi_count {
	char *key;
	long n;
};
/* Slots of an open-addressing index over entries whose first member is
   their key (kpi.c, while counting). */
struct hd_kpi_index {
	size_t *slots, nslots;	/* entry index + 1; 0 = empty */
};
struct hd_kpi_tally {
	struct hd_kpi_count *v;
	size_t n, cap;
	long total;		/* of every key, also those folded into "(N others)" */
	struct hd_kpi_index index;
};

/* One agent's figures for the period. */
struct hd_kpi_agent {
	char *agent;
	long replies;		/* outbound messages */
	long tone;		/* tone findings */
	long exceptions;	/* exceptions recorded */
	long handoff;		/* hand-off refusals */
	double exception_rate;	/* exceptions per reply; < 0 without replies */
};

/* An unanswered ticket overdue or at risk now. */
struct hd_kpi_open {
	char *ticket, *team, *priority;
	time_t opened, due;
	long elapsed, target;	/* business (or wall) minutes */
	bool overdue;
};

enum hd_kpi_status { HD_KPI_MET, HD_KPI_MISSED, HD_KPI_NOT_MEASURED };
const char *hd_kpi_status_name(enum hd_kpi_status st);

/* One KPI of the policy's kpis: section, measured. */
struct hd_kpi_value {
	const struct hd_kpi *kpi;	/* name, target, review, owner */
	enum hd_kpi_status status;
	double value;			/* in unit; meaningless when not measured */
	const char *unit;		/* "percent", "minutes", "count", "ratio" */
	bool higher_is_better;
	char *note;			/* how it was measured or why it was not */
	time_t review_due;		/* 0 = unknown (no effective date) */
	bool review_overdue;
};

struct hd_kpi_report {
	time_t since, until, at;	/* since/until 0 = open */
	enum hd_kpi_by by;
	const char *policy_name, *policy_version;
	long inbound, replies;
	struct hd_kpi_sla total;
	struct hd_kpi_sla *groups;	size_t ngroups;	/* by `by`, sorted by key */
	struct hd_kpi_sla *weeks;	size_t nweeks;	/* always, oldest first */
	/* unanswered now */
	long overdue, at_risk, awaiting;
	struct hd_kpi_open *open;	size_t nopen;	/* overdue or at risk, oldest first */
	long backlog[HD_KPI_BACKLOG_BUCKETS];
	struct hd_kpi_agent *agents;	size_t nagents;	/* sorted by address */
	struct hd_kpi_tally tone_by_rule, exc_by_tier, exc_by_policy, exc_by_approver,
		exc_by_status, escalations_by_trigger, approvals_by_approver;
	long handoff_refusals;
	struct hd_kpi_value *kpis;	size_t nkpis;	/* in policy order */
	/* Figures this version cannot measure yet, with the reason. */
	const char *not_measured_note;
};

/* Compute the report for [since, until) as of `at` (the clock for "now").
   0, or -1 with *error_r (store error). */
int hd_kpi_report_build(const struct hd_policy *p, struct hd_store *s, time_t since,
			time_t until, time_t at, enum hd_kpi_by by,
			struct hd_kpi_report **report_r, char **error_r);
void hd_kpi_report_free(struct hd_kpi_report **r);

/* Set r->kpis: each KPI of the policy measured from the counted figures
   against its target, with its review date (kpi-measure.c; called by
   hd_kpi_report_build). */
void hd_kpi_measure(const struct hd_policy *p, struct hd_kpi_report *r);

/* Decimals a KPI value is shown with, the same in every format. */
int hd_kpi_value_decimals(const struct hd_kpi_value *v);
/* A KPI value as shown: "48.0%", "2h05m", "0.125", "3"; "n/a" when not measured. */
void hd_kpi_value_text(const struct hd_kpi_value *v, char buf[32]);

/* Label of a backlog age bucket, e.g. "1-4h". */
const char *hd_kpi_backlog_label(size_t bucket);
/* Minutes as "2h05m" (or "-" when negative). */
void hd_kpi_fmt_minutes(long minutes, char buf[32]);
/* ISO week label "2026-W49" of a Monday 00:00 UTC. */
void hd_kpi_week_label(time_t monday, char buf[16]);

#endif

/*
 * kpi-measure - set each KPI the policy's kpis: section names against the
 * counted figures: which figure a KPI name means, the target parsed as a
 * percentage, a duration or a number, met or missed in the right direction,
 * and the review date (effective date plus one review cadence), overdue once
 * it has passed. A KPI the store cannot measure says why; nothing is
 * guessed. Pure computation on a built report.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "policy.h"
#include "kpi.h"

/* Months (or, when negative, days) in one review cadence. */
static const struct {
	const char *name;
	int months, days;
} cadences[] = {
	{ "daily", 0, 1 }, { "weekly", 0, 7 }, { "fortnightly", 0, 14 }, { "monthly", 1, 0 },
	{ "quarterly", 3, 0 }, { "half-yearly", 6, 0 }, { "yearly", 12, 0 }, { "annually", 12, 0 },
};

/* Days in a month of the proleptic Gregorian calendar. */
static int month_days(int y, int m)
{
	static const int d[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 29 : d[m - 1];
}

/* Review date: effective (YYYY-MM-DD) plus one cadence, 00:00 UTC; 0 when unknown. */
static time_t review_due(const char *effective, const char *cadence)
{
	int y, m, d;
	size_t i;

	if (effective == NULL || cadence == NULL || sscanf(effective, "%4d-%2d-%2d", &y, &m, &d) != 3 ||
	    m < 1 || m > 12 || d < 1 || d > 31)
		return 0;
	for (i = 0; i < sizeof(cadences) / sizeof(cadences[0]) && strcmp(cadences[i].name, cadence); i++)
		;
	if (i == sizeof(cadences) / sizeof(cadences[0]))
		return 0;
	m += cadences[i].months;
	y += (m - 1) / 12;
	m = (m - 1) % 12 + 1;
	if (d > month_days(y, m))
		d = month_days(y, m);
	return (time_t)(days_from_civil(y, m, d) + cadences[i].days) * 86400;
}

/* A target as a number in the KPI's unit: percent, minutes or plain. */
static bool target_value(const char *s, const char *unit, double *v_r)
{
	char *end;
	long minutes;

	if (s == NULL)
		return false;
	if (strcmp(unit, "minutes") == 0)
		return hd_duration_parse(s, &minutes) && (*v_r = (double)minutes, true);
	*v_r = strtod(s, &end);
	if (end == s)
		return false;
	/* a ratio KPI given as a percentage: 5% = 0.05 */
	if (*end == '%' && strcmp(unit, "ratio") == 0)
		*v_r /= 100.0;
	return *end == '\0' || (*end == '%' && end[1] == '\0');
}

/* Set v from the counted figures for a KPI name; false when the name is unknown. */
static bool measure_one(const struct hd_kpi_report *r, const char *name, struct hd_kpi_value *v)
{
	if (strcmp(name, "first_response_attainment") == 0) {
		v->unit = "percent";
		v->higher_is_better = true;
		if (r->total.attainment < 0) {
			v->note = xstrdup("no ticket of the period is answered or past its due time");
			return true;
		}
		v->value = r->total.attainment;
		v->note = xasprintf("%ld met, %ld breached (%ld of them unanswered past due), %ld not due yet",
				    r->total.met, r->total.breached, r->total.breached_unanswered,
				    r->total.pending);
	} else if (strcmp(name, "median_first_response") == 0 || strcmp(name, "p90_first_response") == 0 ||
		   strcmp(name, "first_response_p90") == 0) {
		long m = strcmp(name, "median_first_response") == 0 ? r->total.median : r->total.p90;

		v->unit = "minutes";
		if (m < 0) {
			v->note = xstrdup("no ticket of the period has a first reply");
			return true;
		}
		v->value = (double)m;
		v->note = xasprintf("business time over %zu answered tickets", r->total.nminutes);
	} else if (strcmp(name, "tone_flags_per_agent") == 0) {
		long active = 0, worst = -1;
		const char *who = NULL;

		v->unit = "ratio";
		for (size_t i = 0; i < r->nagents; i++) {
			if (r->agents[i].replies == 0 && r->agents[i].tone == 0)
				continue;
			active++;
			if (r->agents[i].tone > worst) {
				worst = r->agents[i].tone;
				who = r->agents[i].agent;
			}
		}
		if (active == 0) {
			v->note = xstrdup("no agent replied in the period");
			return true;
		}
		v->value = (double)r->tone_by_rule.total / (double)active;
		v->note = xasprintf("%ld findings over %ld active agents; most: %s (%ld)",
				    r->tone_by_rule.total, active, who, worst);
	} else if (strcmp(name, "exception_rate") == 0 || strcmp(name, "exceptions_per_reply") == 0) {
		v->unit = "ratio";
		if (r->replies == 0) {
			v->note = xstrdup("no agent replied in the period");
			return true;
		}
		v->value = (double)r->exc_by_status.total / (double)r->replies;
		v->note = xasprintf("%ld exceptions over %ld replies", r->exc_by_status.total, r->replies);
	} else if (strcmp(name, "handoff_refusals") == 0 || strcmp(name, "escalations") == 0) {
		bool h = name[0] == 'h';

		v->unit = "count";
		v->value = (double)(h ? r->handoff_refusals : r->escalations_by_trigger.total);
		v->note = xstrdup(h ? "hand-offs refused for a missing checklist line"
				    : "escalation triggers fired on inbound mail");
	} else if (strcmp(name, "resolution_attainment") == 0 ||
		   strcmp(name, "next_reply_attainment") == 0 || strcmp(name, "median_resolution") == 0) {
		v->unit = strncmp(name, "median", 6) == 0 ? "minutes" : "percent";
		v->higher_is_better = v->unit[0] == 'p';
		v->note = xstrdup(r->not_measured_note);
		return true;
	} else if (strcmp(name, "csat") == 0) {
		v->unit = "count";
		v->higher_is_better = true;
		v->note = xstrdup("customer satisfaction scores are not in the audit store");
		return true;
	} else {
		return false;
	}
	v->status = HD_KPI_MET;	/* set against the target by the caller */
	return true;
}

/* Measure every KPI of the policy against its target and review date. */
void hd_kpi_measure(const struct hd_policy *p, struct hd_kpi_report *r)
{
	r->kpis = xcalloc(p->nkpis + 1, sizeof(*r->kpis));
	for (size_t i = 0; i < p->nkpis; i++) {
		struct hd_kpi_value *v = &r->kpis[r->nkpis++];
		const struct hd_kpi *k = &p->kpis[i];
		double target;

		v->kpi = k;
		v->status = HD_KPI_NOT_MEASURED;
		v->unit = "count";
		v->review_due = review_due(p->effective, k->review ? k->review : p->review);
		v->review_overdue = v->review_due != 0 && r->at >= v->review_due;
		if (k->name == NULL || !measure_one(r, k->name, v)) {
			v->note = xasprintf("helpdeskctl does not know how to measure '%s' from the store",
					    k->name ? k->name : "");
			continue;
		}
		if (v->status == HD_KPI_NOT_MEASURED)
			continue;
		if (!target_value(k->target, v->unit, &target)) {
			v->status = HD_KPI_NOT_MEASURED;
			char *n = xasprintf("%s; target '%s' is not comparable", v->note,
					    k->target ? k->target : "(none)");
			free(v->note);
			v->note = n;
			continue;
		}
		v->status = (v->higher_is_better ? v->value >= target : v->value <= target)
			? HD_KPI_MET : HD_KPI_MISSED;
	}
}

/* Decimals a KPI value is shown with, the same in every format. */
int hd_kpi_value_decimals(const struct hd_kpi_value *v)
{
	return strcmp(v->unit, "percent") == 0 ? 1 : strcmp(v->unit, "ratio") == 0 ? 3 : 0;
}

/* A KPI value as shown: "48.0%", "2h05m", "0.125", "3"; "n/a" when not measured. */
void hd_kpi_value_text(const struct hd_kpi_value *v, char buf[32])
{
	if (v->status == HD_KPI_NOT_MEASURED)
		snprintf(buf, 32, "n/a");
	else if (strcmp(v->unit, "minutes") == 0)
		hd_kpi_fmt_minutes((long)v->value, buf);
	else
		snprintf(buf, 32, "%.*f%s", hd_kpi_value_decimals(v), v->value,
			 strcmp(v->unit, "percent") == 0 ? "%" : "");
}

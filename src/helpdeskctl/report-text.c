/*
 * report-text - the KPI report as a terminal table and as CSV in long form
 * (section,key,metric,value: one number a row, ready for a pivot table).
 * Only formats the computed report; in the table, control characters of
 * store values are replaced; CSV fields are quoted when they need it
 * and a leading = + - @ is neutralised, so a hostile subject or name cannot
 * become a spreadsheet formula.
 */
#include <config.h>
#include "util.h"
#include "policy.h"
#include "report.h"
#include "ctl.h"

#include <stdio.h>
#include <string.h>

/* Minutes as text, "-" when there is none. */
static const char *mins(long m, char buf[32])
{
	hd_kpi_fmt_minutes(m, buf);
	return buf;
}

/* Print one group's first-response line. */
static void table_sla(FILE *f, const struct hd_kpi_sla *g)
{
	char a[32], m[32], p[32], k[CTL_TTY_MAX];

	report_fmt_pct(g->attainment, a);
	fprintf(f, "  %-28s %7ld %5ld %8ld %10ld %7ld %7s %8s %8s\n", ctl_tty(g->key, k), g->tickets, g->met,
		g->breached, g->breached_unanswered, g->pending, a, mins(g->median, m), mins(g->p90, p));
}

/* Print a tally as "key n" lines under a heading. */
static void table_tally(FILE *f, const char *title, const struct hd_kpi_tally *t)
{
	char k[CTL_TTY_MAX];

	fprintf(f, "\n%s (%ld)\n", title, t->total);
	for (size_t i = 0; i < t->n; i++)
		fprintf(f, "  %-40s %6ld\n", ctl_tty(t->v[i].key, k), t->v[i].n);
}

/* The report as a terminal table. */
void report_table(FILE *f, const struct hd_kpi_report *r)
{
	char a[32], b[32], k1[CTL_TTY_MAX], k2[CTL_TTY_MAX], k3[CTL_TTY_MAX];

	time_format_utc(r->at, a);
	fprintf(f, "KPI report: %s v%s, as of %s\n", r->policy_name, r->policy_version, a);
	fprintf(f, "Inbound messages: %ld; agent replies: %ld\n", r->inbound, r->replies);
	fprintf(f, "\nKPIs\n  %-28s %-9s %-9s %-12s %-10s %-12s %s\n", "NAME", "VALUE", "TARGET",
		"STATUS", "REVIEW", "REVIEW DUE", "OWNER");
	for (size_t i = 0; i < r->nkpis; i++) {
		const struct hd_kpi_value *v = &r->kpis[i];

		hd_kpi_value_text(v, a);
		if (v->review_due)
			time_format_utc(v->review_due, b), b[10] = '\0';
		else
			snprintf(b, sizeof(b), "-");
		fprintf(f, "  %-28s %-9s %-9s %-12s %-10s %-10s%s %s\n", v->kpi->name, a,
			v->kpi->target ? v->kpi->target : "-", hd_kpi_status_name(v->status),
			v->kpi->review ? v->kpi->review : "-", b, v->review_overdue ? " OVERDUE" : "        ",
			v->kpi->owner ? v->kpi->owner : "-");
		fprintf(f, "  %-28s (%s)\n", "", v->note);
	}
	fprintf(f, "\nFirst response by %s (breached includes unanswered past due)\n", hd_kpi_by_name(r->by));
	fprintf(f, "  %-28s %7s %5s %8s %10s %7s %7s %8s %8s\n", "GROUP", "TICKETS", "MET", "BREACHED",
		"UNANSWERED", "PENDING", "ATTAIN", "MEDIAN", "P90");
	for (size_t i = 0; i < r->ngroups; i++)
		table_sla(f, &r->groups[i]);
	table_sla(f, &r->total);
	fprintf(f, "\nFirst response by week\n");
	for (size_t i = 0; i < r->nweeks; i++)
		table_sla(f, &r->weeks[i]);
	fprintf(f, "\nWaiting for a first reply now: %ld (overdue %ld, at risk %ld)\n", r->awaiting,
		r->overdue, r->at_risk);
	for (size_t i = 0; i < HD_KPI_BACKLOG_BUCKETS; i++)
		fprintf(f, "  age %-12s %6ld\n", hd_kpi_backlog_label(i), r->backlog[i]);
	for (size_t i = 0; i < r->nopen; i++) {
		const struct hd_kpi_open *o = &r->open[i];

		time_format_utc(o->opened, a);
		time_format_utc(o->due, b);
		fprintf(f, "  %-8s %-16s %-12s %-10s opened %s due %s\n", o->overdue ? "OVERDUE" : "at risk",
			ctl_tty(o->ticket, k1), ctl_tty(o->team, k2), ctl_tty(o->priority, k3), a, b);
	}
	fprintf(f, "\nAgents\n  %-36s %7s %5s %10s %9s %8s\n", "AGENT", "REPLIES", "TONE", "EXCEPTIONS",
		"EXC/REPLY", "HANDOFF");
	for (size_t i = 0; i < r->nagents; i++) {
		const struct hd_kpi_agent *g = &r->agents[i];

		if (g->exception_rate < 0)
			snprintf(a, sizeof(a), "n/a");
		else
			snprintf(a, sizeof(a), "%.3f", g->exception_rate);
		fprintf(f, "  %-36s %7ld %5ld %10ld %9s %8ld\n", ctl_tty(g->agent, k1), g->replies, g->tone,
			g->exceptions, a, g->handoff);
	}
	table_tally(f, "Tone findings by rule", &r->tone_by_rule);
	table_tally(f, "Exceptions by tier", &r->exc_by_tier);
	table_tally(f, "Exceptions by policy", &r->exc_by_policy);
	table_tally(f, "Exceptions by status", &r->exc_by_status);
	table_tally(f, "Exceptions by approver", &r->exc_by_approver);
	table_tally(f, "Escalations by trigger", &r->escalations_by_trigger);
	fprintf(f, "\nHand-off refusals: %ld\n", r->handoff_refusals);
	fprintf(f, "\nNot measured: %s.\n", r->not_measured_note);
}

/* One CSV row section,key,metric,value. */
static void csv_row(FILE *f, const char *section, const char *key, const char *metric, const char *value)
{
	ctl_csv_field(f, section);
	fputc(',', f);
	ctl_csv_field(f, key);
	fputc(',', f);
	ctl_csv_field(f, metric);
	fputc(',', f);
	ctl_csv_field(f, value);
	fputs("\r\n", f);
}

/* A number as a CSV row. */
static void csv_num(FILE *f, const char *section, const char *key, const char *metric, long n)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%ld", n);
	csv_row(f, section, key, metric, buf);
}

/* One group's first-response figures as rows; numbers as in the JSON. */
static void csv_sla(FILE *f, const char *section, const struct hd_kpi_sla *g)
{
	char buf[32];

	csv_num(f, section, g->key, "tickets", g->tickets);
	csv_num(f, section, g->key, "met", g->met);
	csv_num(f, section, g->key, "breached", g->breached);
	csv_num(f, section, g->key, "breached_unanswered", g->breached_unanswered);
	csv_num(f, section, g->key, "pending", g->pending);
	if (g->attainment >= 0) {
		snprintf(buf, sizeof(buf), "%.1f", g->attainment);
		csv_row(f, section, g->key, "attainment_percent", buf);
	}
	if (g->median >= 0) {
		csv_num(f, section, g->key, "median_minutes", g->median);
		csv_num(f, section, g->key, "p90_minutes", g->p90);
	}
}

/* A tally as rows. */
static void csv_tally(FILE *f, const char *section, const struct hd_kpi_tally *t)
{
	for (size_t i = 0; i < t->n; i++)
		csv_num(f, section, t->v[i].key, "count", t->v[i].n);
}

/* The report as CSV: section,key,metric,value. */
void report_csv(FILE *f, const struct hd_kpi_report *r)
{
	char buf[64], sec[32];

	csv_row(f, "section", "key", "metric", "value");
	time_format_utc(r->at, buf);
	csv_row(f, "report", "all", "at", buf);
	csv_num(f, "report", "all", "inbound", r->inbound);
	csv_num(f, "report", "all", "replies", r->replies);
	for (size_t i = 0; i < r->nkpis; i++) {
		const struct hd_kpi_value *v = &r->kpis[i];

		if (v->status != HD_KPI_NOT_MEASURED) {
			snprintf(buf, sizeof(buf), "%.*f", hd_kpi_value_decimals(v), v->value);
			csv_row(f, "kpi", v->kpi->name, "value", buf);
		}
		csv_row(f, "kpi", v->kpi->name, "unit", v->unit);
		csv_row(f, "kpi", v->kpi->name, "target", v->kpi->target ? v->kpi->target : "");
		csv_row(f, "kpi", v->kpi->name, "status", hd_kpi_status_name(v->status));
		csv_row(f, "kpi", v->kpi->name, "owner", v->kpi->owner ? v->kpi->owner : "");
		csv_row(f, "kpi", v->kpi->name, "review", v->kpi->review ? v->kpi->review : "");
		if (v->review_due) {
			time_format_utc(v->review_due, buf);
			csv_row(f, "kpi", v->kpi->name, "review_due", buf);
		}
		csv_row(f, "kpi", v->kpi->name, "review_overdue", v->review_overdue ? "yes" : "no");
	}
	csv_sla(f, "first_response", &r->total);
	snprintf(sec, sizeof(sec), "by_%s", hd_kpi_by_name(r->by));
	for (size_t i = 0; i < r->ngroups; i++)
		csv_sla(f, sec, &r->groups[i]);
	for (size_t i = 0; i < r->nweeks; i++)
		csv_sla(f, "week", &r->weeks[i]);
	csv_num(f, "unanswered", "all", "awaiting", r->awaiting);
	csv_num(f, "unanswered", "all", "overdue", r->overdue);
	csv_num(f, "unanswered", "all", "at_risk", r->at_risk);
	for (size_t i = 0; i < HD_KPI_BACKLOG_BUCKETS; i++)
		csv_num(f, "backlog_age", hd_kpi_backlog_label(i), "tickets", r->backlog[i]);
	for (size_t i = 0; i < r->nopen; i++) {
		csv_row(f, "open", r->open[i].ticket, "state", r->open[i].overdue ? "overdue" : "at_risk");
		time_format_utc(r->open[i].opened, buf);
		csv_row(f, "open", r->open[i].ticket, "opened", buf);
		csv_num(f, "open", r->open[i].ticket, "elapsed_minutes", r->open[i].elapsed);
	}
	for (size_t i = 0; i < r->nagents; i++) {
		const struct hd_kpi_agent *g = &r->agents[i];

		csv_num(f, "agent", g->agent, "replies", g->replies);
		csv_num(f, "agent", g->agent, "tone", g->tone);
		csv_num(f, "agent", g->agent, "exceptions", g->exceptions);
		csv_num(f, "agent", g->agent, "handoff_refusals", g->handoff);
		if (g->exception_rate >= 0) {
			snprintf(buf, sizeof(buf), "%.3f", g->exception_rate);
			csv_row(f, "agent", g->agent, "exception_rate", buf);
		}
	}
	csv_tally(f, "tone_rule", &r->tone_by_rule);
	csv_tally(f, "exception_tier", &r->exc_by_tier);
	csv_tally(f, "exception_policy", &r->exc_by_policy);
	csv_tally(f, "exception_status", &r->exc_by_status);
	csv_tally(f, "exception_approver", &r->exc_by_approver);
	csv_tally(f, "escalation_trigger", &r->escalations_by_trigger);
	csv_num(f, "handoff", "all", "refusals", r->handoff_refusals);
}

/*
 * report-json - the KPI report as one JSON object for a dashboard. Numbers
 * carry the precision the other formats show (percent 1 decimal, ratios 3,
 * minutes whole), "none" is null. Only formats; every string goes through
 * the verdict's JSON string escaper.
 */
#include <config.h>
#include "util.h"
#include "policy.h"
#include "verdict.h"
#include "report.h"

#include <stdio.h>

/* Write s as a JSON string (null for NULL). */
static void json_str(FILE *f, const char *s)
{
	struct strbuf sb;

	if (s == NULL) {
		fputs("null", f);
		return;
	}
	sb_init(&sb);
	hd_json_string(&sb, s);
	fputs(sb.s, f);
	sb_free(&sb);
}

/* Write a time as an RFC 3339 string, null for 0. */
static void json_time(FILE *f, time_t t)
{
	char buf[32];

	if (t == 0) {
		fputs("null", f);
		return;
	}
	time_format_utc(t, buf);
	fprintf(f, "\"%s\"", buf);
}

/* Write ,"key": and a string value (null for NULL). */
static void json_kstr(FILE *f, const char *key, const char *s)
{
	fprintf(f, ",\"%s\":", key);
	json_str(f, s);
}

/* Write ,"key": and a time (null for 0). */
static void json_ktime(FILE *f, const char *key, time_t t)
{
	fprintf(f, ",\"%s\":", key);
	json_time(f, t);
}

/* Write minutes, null when negative. */
static void json_minutes(FILE *f, long m)
{
	if (m < 0)
		fputs("null", f);
	else
		fprintf(f, "%ld", m);
}

/* One group's first-response object. */
static void json_sla(FILE *f, const struct hd_kpi_sla *g)
{
	fputs("{\"key\":", f);
	json_str(f, g->key);
	if (g->week_start)
		json_ktime(f, "week_start", g->week_start);
	fprintf(f, ",\"tickets\":%ld,\"met\":%ld,\"breached\":%ld,\"breached_unanswered\":%ld,\"pending\":%ld,"
		"\"attainment\":", g->tickets, g->met, g->breached, g->breached_unanswered, g->pending);
	if (g->attainment < 0)
		fputs("null", f);
	else
		fprintf(f, "%.1f", g->attainment);
	fputs(",\"median_minutes\":", f);
	json_minutes(f, g->median);
	fputs(",\"p90_minutes\":", f);
	json_minutes(f, g->p90);
	fputc('}', f);
}

/* An array of groups. */
static void json_slas(FILE *f, const struct hd_kpi_sla *v, size_t n)
{
	fputc('[', f);
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputc(',', f);
		json_sla(f, &v[i]);
	}
	fputc(']', f);
}

/* A tally as [{"key":..,"count":..}]. */
static void json_tally(FILE *f, const struct hd_kpi_tally *t)
{
	fputc('[', f);
	for (size_t i = 0; i < t->n; i++) {
		fputs(i ? ",{\"key\":" : "{\"key\":", f);
		json_str(f, t->v[i].key);
		fprintf(f, ",\"count\":%ld}", t->v[i].n);
	}
	fputc(']', f);
}

/* The policy's KPIs. */
static void json_kpis(FILE *f, const struct hd_kpi_report *r)
{
	fputc('[', f);
	for (size_t i = 0; i < r->nkpis; i++) {
		const struct hd_kpi_value *v = &r->kpis[i];

		fputs(i ? ",{\"name\":" : "{\"name\":", f);
		json_str(f, v->kpi->name);
		fputs(",\"value\":", f);
		if (v->status == HD_KPI_NOT_MEASURED)
			fputs("null", f);
		else
			fprintf(f, "%.*f", hd_kpi_value_decimals(v), v->value);
		json_kstr(f, "unit", v->unit);
		json_kstr(f, "target", v->kpi->target);
		json_kstr(f, "status", hd_kpi_status_name(v->status));
		json_kstr(f, "owner", v->kpi->owner);
		json_kstr(f, "review", v->kpi->review);
		json_ktime(f, "review_due", v->review_due);
		fprintf(f, ",\"review_overdue\":%s", v->review_overdue ? "true" : "false");
		json_kstr(f, "note", v->note);
		fputc('}', f);
	}
	fputc(']', f);
}

/* Unanswered tickets now: counts, age buckets, the overdue and at-risk list. */
static void json_unanswered(FILE *f, const struct hd_kpi_report *r)
{
	fprintf(f, "{\"awaiting\":%ld,\"overdue\":%ld,\"at_risk\":%ld,\"backlog\":[", r->awaiting,
		r->overdue, r->at_risk);
	for (size_t i = 0; i < HD_KPI_BACKLOG_BUCKETS; i++)
		fprintf(f, "%s{\"age\":\"%s\",\"tickets\":%ld}", i ? "," : "", hd_kpi_backlog_label(i),
			r->backlog[i]);
	fputs("],\"tickets\":[", f);
	for (size_t i = 0; i < r->nopen; i++) {
		const struct hd_kpi_open *o = &r->open[i];

		fputs(i ? ",{\"ticket\":" : "{\"ticket\":", f);
		json_str(f, o->ticket);
		json_kstr(f, "team", o->team);
		json_kstr(f, "priority", o->priority);
		json_ktime(f, "opened", o->opened);
		json_ktime(f, "due", o->due);
		fprintf(f, ",\"elapsed_minutes\":%ld,\"target_minutes\":%ld,\"state\":\"%s\"}", o->elapsed,
			o->target, o->overdue ? "overdue" : "at_risk");
	}
	fputs("]}", f);
}

/* The report as one JSON object. */
void report_json(FILE *f, const struct hd_kpi_report *r)
{
	fputs("{\"policy\":{\"name\":", f);
	json_str(f, r->policy_name);
	json_kstr(f, "version", r->policy_version);
	fputs("},\"period\":{\"since\":", f);
	json_time(f, r->since);
	json_ktime(f, "until", r->until);
	json_ktime(f, "at", r->at);
	fprintf(f, "},\"by\":\"%s\",\"inbound\":%ld,\"replies\":%ld,\"kpis\":", hd_kpi_by_name(r->by),
		r->inbound, r->replies);
	json_kpis(f, r);
	fputs(",\"first_response\":", f);
	json_sla(f, &r->total);
	fputs(",\"groups\":", f);
	json_slas(f, r->groups, r->ngroups);
	fputs(",\"weeks\":", f);
	json_slas(f, r->weeks, r->nweeks);
	fputs(",\"unanswered\":", f);
	json_unanswered(f, r);
	fputs(",\"agents\":[", f);
	for (size_t i = 0; i < r->nagents; i++) {
		const struct hd_kpi_agent *g = &r->agents[i];

		fputs(i ? ",{\"agent\":" : "{\"agent\":", f);
		json_str(f, g->agent);
		fprintf(f, ",\"replies\":%ld,\"tone\":%ld,\"exceptions\":%ld,\"handoff_refusals\":%ld,"
			"\"exception_rate\":", g->replies, g->tone, g->exceptions, g->handoff);
		if (g->exception_rate < 0)
			fputs("null}", f);
		else
			fprintf(f, "%.3f}", g->exception_rate);
	}
	fputs("],\"tone_by_rule\":", f);
	json_tally(f, &r->tone_by_rule);
	fprintf(f, ",\"exceptions\":{\"total\":%ld,\"by_tier\":", r->exc_by_status.total);
	json_tally(f, &r->exc_by_tier);
	fputs(",\"by_policy\":", f);
	json_tally(f, &r->exc_by_policy);
	fputs(",\"by_status\":", f);
	json_tally(f, &r->exc_by_status);
	fputs(",\"by_approver\":", f);
	json_tally(f, &r->exc_by_approver);
	fprintf(f, "},\"handoff_refusals\":%ld,\"escalations_by_trigger\":", r->handoff_refusals);
	json_tally(f, &r->escalations_by_trigger);
	json_kstr(f, "not_measured", r->not_measured_note);
	fputs("}\n", f);
}

/*
 * report-html - the KPI report as one self-contained HTML page: inline CSS
 * (A4 print rules), inline SVG charts (report-svg.c) each followed by the
 * table of its numbers, no script, font, image or link to fetch; a Content
 * Security Policy forbids any load. Every cell holding a number names its
 * JSON path in data-k, so a test can check the page against the JSON
 * report. Every value from the store or policy is HTML-escaped. Only
 * formats.
 */
#include <config.h>
#include "util.h"
#include "policy.h"
#include "report.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bars in a per-agent chart; the table lists every agent. */
#define REPORT_CHART_BARS_MAX 25

/* Write s with & < > " ' escaped. */
void html_put(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
	}
}

/* The shared head: title, no-load policy, screen and A4 print CSS; opens <body>. */
void html_begin(FILE *f, const char *title)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	      "style-src 'unsafe-inline'; img-src data:\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>", f);
	html_put(f, title);
	fputs("</title>\n<style>\n"
	      "body{font-family:\"DejaVu Sans\",\"Liberation Sans\",Arial,sans-serif;color:#111;"
	      "background:#fff;max-width:60rem;margin:1.5rem auto;padding:0 1rem;font-size:11pt;line-height:1.4}\n"
	      "h1{font-size:1.6rem;margin:.2rem 0}h2{font-size:1.25rem;border-bottom:2px solid #1f3a5f;"
	      "margin-top:1.6rem}h3{font-size:1.05rem}\n"
	      "table{border-collapse:collapse;margin:.4rem 0 1rem;font-size:.92rem}\n"
	      "th,td{border:1px solid #777;padding:.2rem .45rem;text-align:left;vertical-align:top}\n"
	      "th{background:#e8edf3}td.n{text-align:right;font-variant-numeric:tabular-nums}\n"
	      "caption{text-align:left;font-weight:bold;padding:.2rem 0;white-space:nowrap}\n"
	      "figure{margin:.6rem 0}figcaption{font-weight:bold;margin-bottom:.2rem}\n"
	      ".chart{max-width:100%;height:auto}.chart .lbl{font-size:12px;fill:#111}"
	      ".chart .num{font-size:12px;fill:#111;font-weight:bold}\n"
	      ".chart .bar{fill:#1f4e79}.chart .below{fill:url(#hatch);stroke:#8a2a0a}"
	      ".chart .grid{stroke:#bbb;stroke-width:1}.chart .target{stroke:#111;stroke-width:2;stroke-dasharray:6 4}\n"
	      ".missed,.overdue{color:#8a1c0a;font-weight:bold}.met{color:#135e1f;font-weight:bold}\n"
	      ".note{color:#333;font-size:.9rem}\n"
	      "@page{size:A4;margin:14mm 12mm}\n"
	      "@media print{body{max-width:none;margin:0;padding:0;font-size:9.5pt}"
	      "h2{break-after:avoid}figure,table,tr{break-inside:avoid}"
	      ".chart{width:100%}section{break-inside:auto}}\n"
	      "</style>\n</head>\n<body>\n", f);
}

/* Open a table with a caption and header cells (a NULL-terminated list). */
void html_table_open(FILE *f, const char *caption, const char *const *cols)
{
	fputs("<table><caption>", f);
	html_put(f, caption);
	fputs("</caption><thead><tr>", f);
	for (; *cols; cols++)
		fprintf(f, "<th scope=\"col\">%s</th>", *cols);
	fputs("</tr></thead><tbody>\n", f);
}

/* <td class="n" data-k="PATH">text</td>; path is printf-formatted. */
static void td_num(FILE *f, const char *text, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void td_num(FILE *f, const char *text, const char *fmt, ...)
{
	va_list ap;

	fputs("<td class=\"n\" data-k=\"", f);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputs("\">", f);
	html_put(f, text);
	fputs("</td>", f);
}

/* A long as a numeric cell. */
static void td_long(FILE *f, long n, const char *path, const char *field)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%ld", n);
	td_num(f, buf, "%s.%s", path, field);
}

/* A text cell, escaped. */
static void td_text(FILE *f, const char *s)
{
	fputs("<td>", f);
	html_put(f, s);
	fputs("</td>", f);
}

/* Open a row with its escaped header cell. */
static void tr_head(FILE *f, const char *key)
{
	fputs("<tr><th scope=\"row\">", f);
	html_put(f, key);
	fputs("</th>", f);
}

/* A table of first-response groups; path is the JSON array's name. */
static void html_sla_table(FILE *f, const char *caption, const char *col, const char *path,
			   const struct hd_kpi_sla *v, size_t n)
{
	char a[32], p[64];

	fputs("<table><caption>", f);
	html_put(f, caption);
	fprintf(f, "</caption>\n<thead><tr><th scope=\"col\">%s</th><th scope=\"col\">Tickets</th>"
		"<th scope=\"col\">Met</th><th scope=\"col\">Breached</th><th scope=\"col\">of which unanswered</th>"
		"<th scope=\"col\">Not due yet</th><th scope=\"col\">Attainment</th><th scope=\"col\">Median</th>"
		"<th scope=\"col\">90th pct</th></tr></thead><tbody>\n", col);
	for (size_t i = 0; i < n; i++) {
		const struct hd_kpi_sla *g = &v[i];

		if (n == 1 && strcmp(path, "first_response") == 0)
			snprintf(p, sizeof(p), "%s", path);
		else
			snprintf(p, sizeof(p), "%s[%zu]", path, i);
		tr_head(f, g->key);
		td_long(f, g->tickets, p, "tickets");
		td_long(f, g->met, p, "met");
		td_long(f, g->breached, p, "breached");
		td_long(f, g->breached_unanswered, p, "breached_unanswered");
		td_long(f, g->pending, p, "pending");
		report_fmt_pct(g->attainment, a);
		td_num(f, a, "%s.attainment", p);
		hd_kpi_fmt_minutes(g->median, a);
		td_num(f, a, "%s.median_minutes", p);
		hd_kpi_fmt_minutes(g->p90, a);
		td_num(f, a, "%s.p90_minutes", p);
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table>\n", f);
}

/* A tally as a chart (when asked) and its table. */
static void html_tally(FILE *f, const char *id, const char *title, const char *col,
		       const char *path, const struct hd_kpi_tally *t, bool chart)
{
	if (chart) {
		struct svg_bar *bars = xcalloc(t->n + 1, sizeof(*bars));
		char (*txt)[32] = xcalloc(t->n + 1, sizeof(*txt));

		for (size_t i = 0; i < t->n; i++) {
			snprintf(txt[i], 32, "%ld", t->v[i].n);
			bars[i] = (struct svg_bar){ t->v[i].key, (double)t->v[i].n, txt[i] };
		}
		fputs("<figure><figcaption>", f);
		html_put(f, title);
		fputs(" (chart; the table below gives the numbers)</figcaption>\n", f);
		svg_bars(f, id, title, bars, t->n);
		fputs("</figure>\n", f);
		free(bars);
		free(txt);
	}
	fputs("<table><caption>", f);
	html_put(f, title);
	fprintf(f, "</caption><thead><tr><th scope=\"col\">%s</th><th scope=\"col\">Count</th></tr></thead><tbody>\n", col);
	for (size_t i = 0; i < t->n; i++) {
		char p[96];

		snprintf(p, sizeof(p), "%s[%zu]", path, i);
		tr_head(f, t->v[i].key);
		td_long(f, t->v[i].n, p, "count");
		fputs("</tr>\n", f);
	}
	if (t->n == 0)
		fputs("<tr><td colspan=\"2\">None in this period.</td></tr>\n", f);
	fputs("</tbody></table>\n", f);
}

/* The policy's KPIs against target, owner and review date. */
static void html_kpis(FILE *f, const struct hd_kpi_report *r)
{
	char v[32], d[32];

	static const char *const cols[] = { "KPI", "Value", "Target", "Status", "Owner", "Review",
					     "How measured", NULL };

	fputs("<section><h2 id=\"kpis\">KPIs against their targets</h2>\n", f);
	html_table_open(f, "The policy's KPIs", cols);
	for (size_t i = 0; i < r->nkpis; i++) {
		const struct hd_kpi_value *k = &r->kpis[i];
		const char *st = hd_kpi_status_name(k->status);

		hd_kpi_value_text(k, v);
		tr_head(f, k->kpi->name);
		if (k->status == HD_KPI_NOT_MEASURED)
			td_text(f, v);
		else
			td_num(f, v, "kpis[%zu].value", i);
		td_text(f, k->kpi->target ? k->kpi->target : "-");
		fprintf(f, "<td class=\"%s\">%s%s</td>", k->status == HD_KPI_MET ? "met" : k->status == HD_KPI_MISSED ? "missed" : "",
			k->status == HD_KPI_MET ? "&#10003; " : k->status == HD_KPI_MISSED ? "&#10007; " : "", st);
		td_text(f, k->kpi->owner ? k->kpi->owner : "-");
		fputs("<td>", f);
		html_put(f, k->kpi->review ? k->kpi->review : "-");
		if (k->review_due) {
			time_format_utc(k->review_due, d);
			d[10] = '\0';
			fprintf(f, "; due %s%s", d, k->review_overdue ? " <span class=\"overdue\">(overdue)</span>" : "");
		}
		fputs("</td>", f);
		fputs("<td class=\"note\">", f);
		html_put(f, k->note);
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody></table></section>\n", f);
}

/* First response: weekly chart and table, then the --by table. */
static void html_first_response(FILE *f, const struct hd_kpi_report *r)
{
	char caption[96];
	static const char *const cols[] = { "Team", "Priority", "Agent (first reply)", "Week" };

	fputs("<section><h2 id=\"first-response\">First response</h2>\n<p>A ticket whose due time passed "
	      "without a reply counts as breached; tickets not yet due and unanswered are left out. Times are "
	      "business hours on the team's calendar.</p>\n", f);
	html_sla_table(f, "All tickets of the period", "Scope", "first_response", &r->total, 1);
	fputs("<figure><figcaption>Weekly attainment against the target (chart; the table below gives the "
	      "numbers)</figcaption>\n", f);
	svg_weekly(f, r, report_fr_target(r));
	fputs("</figure>\n", f);
	html_sla_table(f, "Per week (weeks start Monday, UTC)", "Week", "weeks", r->weeks, r->nweeks);
	if (r->by != HD_KPI_BY_WEEK) {	/* per week is shown above */
		snprintf(caption, sizeof(caption), "Per %s", hd_kpi_by_name(r->by));
		html_sla_table(f, caption, cols[r->by], "groups", r->groups, r->ngroups);
	}
	fputs("</section>\n", f);
}

/* Tickets waiting for a first reply now: age chart, counts, overdue and at-risk list. */
static void html_unanswered(FILE *f, const struct hd_kpi_report *r)
{
	struct svg_bar bars[HD_KPI_BACKLOG_BUCKETS];
	char txt[HD_KPI_BACKLOG_BUCKETS][32], a[32], b[32];
	static const char *const age_cols[] = { "Age", "Tickets", NULL };
	static const char *const open_cols[] = { "State", "Ticket", "Team", "Priority", "Opened", "Due",
						 "Elapsed", NULL };

	fputs("<section><h2 id=\"unanswered\">Waiting for a first reply now</h2>\n<p>", f);
	fprintf(f, "Tickets waiting for a first reply: <span data-k=\"unanswered.awaiting\">%ld</span>; "
		"overdue: <span%s data-k=\"unanswered.overdue\">%ld</span>; "
		"at risk (%d%% or more of the target used): <span data-k=\"unanswered.at_risk\">%ld</span>.</p>\n",
		r->awaiting, r->overdue ? " class=\"overdue\"" : "", r->overdue, HD_KPI_AT_RISK_PERCENT, r->at_risk);
	for (size_t i = 0; i < HD_KPI_BACKLOG_BUCKETS; i++) {
		snprintf(txt[i], 32, "%ld", r->backlog[i]);
		bars[i] = (struct svg_bar){ hd_kpi_backlog_label(i), (double)r->backlog[i], txt[i] };
	}
	fputs("<figure><figcaption>Backlog age (chart; the table below gives the numbers)</figcaption>\n", f);
	svg_bars(f, "age", "Tickets waiting for a first reply, by age", bars, HD_KPI_BACKLOG_BUCKETS);
	fputs("</figure>\n", f);
	html_table_open(f, "Backlog age", age_cols);
	for (size_t i = 0; i < HD_KPI_BACKLOG_BUCKETS; i++) {
		char p[64];

		snprintf(p, sizeof(p), "unanswered.backlog[%zu]", i);
		fprintf(f, "<tr><th scope=\"row\">%s</th>", hd_kpi_backlog_label(i));
		td_long(f, r->backlog[i], p, "tickets");
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table>\n", f);
	html_table_open(f, "Overdue and at risk, oldest first", open_cols);
	for (size_t i = 0; i < r->nopen; i++) {
		const struct hd_kpi_open *o = &r->open[i];

		fprintf(f, "<tr><td class=\"%s\">%s</td>", o->overdue ? "overdue" : "",
			o->overdue ? "&#9888; overdue" : "at risk");
		td_text(f, o->ticket);
		td_text(f, o->team);
		td_text(f, o->priority);
		time_format_utc(o->opened, a);
		time_format_utc(o->due, b);
		td_text(f, a);
		td_text(f, b);
		hd_kpi_fmt_minutes(o->elapsed, a);
		td_num(f, a, "unanswered.tickets[%zu].elapsed_minutes", i);
		fputs("</tr>\n", f);
	}
	if (r->nopen == 0)
		fputs("<tr><td colspan=\"7\">None.</td></tr>\n", f);
	fputs("</tbody></table></section>\n", f);
}

/* Most first, then by label. */
static int bar_cmp(const void *a, const void *b)
{
	const struct svg_bar *x = a, *y = b;

	if (x->value != y->value)
		return x->value > y->value ? -1 : 1;
	return strcmp(x->label, y->label);
}

/* Agents: findings chart and the per-agent table with exception rates. */
static void html_agents(FILE *f, const struct hd_kpi_report *r)
{
	struct svg_bar *bars = xcalloc(r->nagents + 1, sizeof(*bars));
	char (*txt)[32] = xcalloc(r->nagents + 1, sizeof(*txt));
	char a[32];
	static const char *const cols[] = { "Agent", "Replies", "Tone findings", "Exceptions",
					    "Exceptions per reply", "Hand-offs refused", NULL };

	size_t nbars = r->nagents < REPORT_CHART_BARS_MAX ? r->nagents : REPORT_CHART_BARS_MAX;

	for (size_t i = 0; i < r->nagents; i++) {
		snprintf(txt[i], 32, "%ld", r->agents[i].tone);
		bars[i] = (struct svg_bar){ r->agents[i].agent, (double)r->agents[i].tone, txt[i] };
	}
	qsort(bars, r->nagents, sizeof(*bars), bar_cmp);
	fputs("<section><h2 id=\"agents\">Agents</h2>\n<figure><figcaption>Tone findings per agent", f);
	if (nbars < r->nagents)
		fprintf(f, ", the %zu with most of %zu", nbars, r->nagents);
	fputs(" (chart; the table below gives the numbers)</figcaption>\n", f);
	svg_bars(f, "tone", "Tone findings per agent", bars, nbars);
	fputs("</figure>\n", f);
	html_table_open(f, "Per agent: replies, findings, exceptions per reply, refused hand-offs", cols);
	for (size_t i = 0; i < r->nagents; i++) {
		const struct hd_kpi_agent *g = &r->agents[i];
		char p[64];

		snprintf(p, sizeof(p), "agents[%zu]", i);
		tr_head(f, g->agent);
		td_long(f, g->replies, p, "replies");
		td_long(f, g->tone, p, "tone");
		td_long(f, g->exceptions, p, "exceptions");
		if (g->exception_rate < 0)
			td_text(f, "n/a");
		else {
			snprintf(a, sizeof(a), "%.3f", g->exception_rate);
			td_num(f, a, "%s.exception_rate", p);
		}
		td_long(f, g->handoff, p, "handoff_refusals");
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table>\n", f);
	html_tally(f, "rules", "Tone findings per rule", "Rule", "tone_by_rule", &r->tone_by_rule, false);
	fputs("</section>\n", f);
	free(bars);
	free(txt);
}

/* The report as one self-contained HTML page. */
void report_html(FILE *f, const struct hd_kpi_report *r)
{
	char a[32], b[32], title[256];

	snprintf(title, sizeof(title), "KPI report: %s v%s", r->policy_name, r->policy_version);
	html_begin(f, title);
	fputs("<header><h1>", f);
	html_put(f, title);
	time_format_utc(r->at, a);
	fprintf(f, "</h1>\n<p>As of %s. Period: ", a);
	if (r->since)
		time_format_utc(r->since, b);
	fputs(r->since ? b : "the beginning", f);
	fputs(" to ", f);
	if (r->until)
		time_format_utc(r->until, b);
	fputs(r->until ? b : "now", f);
	fprintf(f, ". Inbound messages: <span data-k=\"inbound\">%ld</span>; agent replies: "
		"<span data-k=\"replies\">%ld</span>.</p></header>\n<main>\n", r->inbound, r->replies);
	html_kpis(f, r);
	html_first_response(f, r);
	html_unanswered(f, r);
	html_agents(f, r);
	fprintf(f, "<section><h2 id=\"exceptions\">Exceptions</h2>\n<p>Exceptions recorded: "
		"<span data-k=\"exceptions.total\">%ld</span>.</p>\n", r->exc_by_status.total);
	html_tally(f, "tier", "Exceptions by tier", "Tier", "exceptions.by_tier", &r->exc_by_tier, true);
	html_tally(f, "policy", "Exceptions by policy", "Policy", "exceptions.by_policy", &r->exc_by_policy, true);
	html_tally(f, "status", "Exceptions by status", "Status", "exceptions.by_status", &r->exc_by_status, false);
	html_tally(f, "approver", "Exceptions by approver", "Approver", "exceptions.by_approver",
		   &r->exc_by_approver, false);
	fputs("</section>\n<section><h2 id=\"escalations\">Escalations and hand-offs</h2>\n", f);
	html_tally(f, "esc", "Escalations by trigger", "Trigger", "escalations_by_trigger",
		   &r->escalations_by_trigger, false);
	fprintf(f, "<p>Hand-offs refused for a missing checklist line: <span data-k=\"handoff_refusals\">%ld"
		"</span>.</p></section>\n</main>\n<footer><p class=\"note\">Not measured: ", r->handoff_refusals);
	html_put(f, r->not_measured_note);
	fputs(".</p></footer>\n</body>\n</html>\n", f);
}

#ifndef HD_REPORT_H
#define HD_REPORT_H
/*
 * report - private to helpdeskctl: the renderers of a computed KPI report
 * (src/engine/kpi.h) and of the policy card. Every renderer formats the
 * numbers of one struct hd_kpi_report and must never count anything itself,
 * so table, CSV, JSON and HTML always agree. Every value that came from the
 * store or the policy is escaped for the format it is written in.
 */
#include <stdio.h>
#include "kpi.h"

struct hd_policy;

/* report-text.c: the terminal table and the CSV (section,key,metric,value). */
void report_table(FILE *f, const struct hd_kpi_report *r);
void report_csv(FILE *f, const struct hd_kpi_report *r);
/* report-json.c: one JSON object. */
void report_json(FILE *f, const struct hd_kpi_report *r);
/* report-html.c: one self-contained HTML page with inline SVG charts. */
void report_html(FILE *f, const struct hd_kpi_report *r);
/* report-card.c: the policy's quick-reference card as one printable HTML page. */
void report_card_html(FILE *f, const struct hd_policy *p);

/* report-html.c: write s with & < > " ' escaped for HTML text and attributes. */
void html_put(FILE *f, const char *s);
/* report-html.c: open a table with an escaped caption and header cells (a
   NULL-terminated list of literal labels), up to <tbody>. */
void html_table_open(FILE *f, const char *caption, const char *const *cols);
/* report-html.c: the shared <head> (title, print CSS for A4), then <body>. */
void html_begin(FILE *f, const char *title);

/* report-svg.c: one horizontal bar chart of labelled counts, with a <title>
   and <desc> for screen readers; each bar carries its number as text. */
struct svg_bar {
	const char *label;
	double value;
	const char *text;	/* shown at the bar's end */
};
void svg_bars(FILE *f, const char *id, const char *title, const struct svg_bar *bars, size_t n);
/* report-svg.c: weekly attainment as columns against a dashed target line. */
void svg_weekly(FILE *f, const struct hd_kpi_report *r, double target);

/* Attainment as "48.0%" (or "n/a" when none counted). */
void report_fmt_pct(double pct, char buf[32]);
/* Target of first_response_attainment in percent, or -1 when the policy has none. */
double report_fr_target(const struct hd_kpi_report *r);

#endif

/*
 * report-svg - inline SVG charts for the HTML report: horizontal bars of
 * labelled counts and weekly attainment columns against a dashed target
 * line. Every chart has a <title> and <desc>, every bar its number written
 * beside it, and "below target" is shown by a hatch pattern and words, never
 * by colour alone. Labels are HTML-escaped. Only formats.
 */
#include <config.h>
#include "util.h"
#include "report.h"

#include <stdio.h>
#include <string.h>

#define SVG_WIDTH 640
#define SVG_LABEL_W 210
#define SVG_ROW_H 22
#define SVG_BAR_W (SVG_WIDTH - SVG_LABEL_W - 60)
#define SVG_WEEK_H 220
#define SVG_WEEK_TOP 20
#define SVG_WEEK_BOTTOM 40
/* Column width below which a week's percentage is left to the table. */
#define SVG_WEEK_LABEL_W 36

/* One horizontal bar chart of labelled counts. */
void svg_bars(FILE *f, const char *id, const char *title, const struct svg_bar *bars, size_t n)
{
	double max = 0;
	int h = (int)(n ? n : 1) * SVG_ROW_H + 10;

	for (size_t i = 0; i < n; i++)
		if (bars[i].value > max)
			max = bars[i].value;
	fprintf(f, "<svg class=\"chart\" role=\"img\" aria-labelledby=\"%s-t %s-d\" viewBox=\"0 0 %d %d\" "
		"width=\"%d\" height=\"%d\" xmlns=\"http://www.w3.org/2000/svg\">\n<title id=\"%s-t\">",
		id, id, SVG_WIDTH, h, SVG_WIDTH, h, id);
	html_put(f, title);
	fprintf(f, "</title><desc id=\"%s-d\">", id);
	for (size_t i = 0; i < n; i++) {
		html_put(f, bars[i].label);
		fprintf(f, ": ");
		html_put(f, bars[i].text);
		fputs(i + 1 < n ? "; " : ".", f);
	}
	if (n == 0)
		fputs("No data in this period.", f);
	fputs("</desc>\n", f);
	if (n == 0)
		fprintf(f, "<text x=\"0\" y=\"16\" class=\"lbl\">No data in this period.</text>\n");
	for (size_t i = 0; i < n; i++) {
		int y = (int)i * SVG_ROW_H + 4;
		int w = max > 0 ? (int)(bars[i].value / max * SVG_BAR_W + 0.5) : 0;

		fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"lbl\" text-anchor=\"end\">", SVG_LABEL_W - 8, y + 14);
		html_put(f, bars[i].label);
		fprintf(f, "</text><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" class=\"bar\"/>"
			"<text x=\"%d\" y=\"%d\" class=\"num\">", SVG_LABEL_W, y, w > 0 ? w : 1, SVG_ROW_H - 6,
			SVG_LABEL_W + w + 6, y + 14);
		html_put(f, bars[i].text);
		fputs("</text>\n", f);
	}
	fputs("</svg>\n", f);
}

/* Weekly first-response attainment as columns against the target line. */
void svg_weekly(FILE *f, const struct hd_kpi_report *r, double target)
{
	int plot_h = SVG_WEEK_H - SVG_WEEK_TOP - SVG_WEEK_BOTTOM, left = 44;
	int colw = r->nweeks ? (SVG_WIDTH - left - 10) / (int)r->nweeks : 0;
	char pct[32];

	if (colw > 80)
		colw = 80;
	fprintf(f, "<svg class=\"chart\" role=\"img\" aria-labelledby=\"wk-t wk-d\" viewBox=\"0 0 %d %d\" "
		"width=\"%d\" height=\"%d\" xmlns=\"http://www.w3.org/2000/svg\">\n"
		"<title id=\"wk-t\">First-response attainment per week</title><desc id=\"wk-d\">",
		SVG_WIDTH, SVG_WEEK_H, SVG_WIDTH, SVG_WEEK_H);
	if (target >= 0)
		fprintf(f, "Target %.1f%%. ", target);
	for (size_t i = 0; i < r->nweeks; i++) {
		report_fmt_pct(r->weeks[i].attainment, pct);
		fprintf(f, "%s: %s%s; ", r->weeks[i].key, pct,
			target >= 0 && r->weeks[i].attainment >= 0 && r->weeks[i].attainment < target
			? " (below target)" : "");
	}
	fputs("</desc>\n<defs><pattern id=\"hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
	      "patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#fff\"/>"
	      "<rect width=\"3\" height=\"6\" fill=\"#8a2a0a\"/></pattern></defs>\n", f);
	/* axis and grid: 0, 50, 100 % */
	for (int g = 0; g <= 100; g += 50) {
		int y = SVG_WEEK_TOP + plot_h - plot_h * g / 100;

		fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"grid\"/>"
			"<text x=\"%d\" y=\"%d\" class=\"lbl\" text-anchor=\"end\">%d%%</text>\n",
			left, y, SVG_WIDTH - 6, y, left - 4, y + 4, g);
	}
	/* narrow columns: numbers stay in the table below, week labels thin out */
	int gap = colw / 5 > 1 ? colw / 5 : 1, every = (SVG_WEEK_LABEL_W + colw - 1) / (colw ? colw : 1);
	for (size_t i = 0; i < r->nweeks; i++) {
		const struct hd_kpi_sla *w = &r->weeks[i];
		double a = w->attainment < 0 ? 0 : w->attainment;
		int x = left + (int)i * colw + gap, bw = colw - 2 * gap, bh = (int)(a * plot_h / 100 + 0.5);
		bool below = target >= 0 && w->attainment >= 0 && w->attainment < target;

		report_fmt_pct(w->attainment, pct);
		fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" class=\"%s\"/>",
			x, SVG_WEEK_TOP + plot_h - bh, bw > 1 ? bw : 1, bh, below ? "below" : "bar");
		if (colw >= SVG_WEEK_LABEL_W)
			fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"num\" text-anchor=\"middle\">%s</text>",
				x + bw / 2, SVG_WEEK_TOP + plot_h - bh - 4, pct);
		if (i % (size_t)every == 0)
			fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"lbl\" text-anchor=\"middle\">%s</text>",
				x + bw / 2, SVG_WEEK_H - SVG_WEEK_BOTTOM + 16, w->key + 5);
		fputc('\n', f);
	}
	if (target >= 0) {
		int y = SVG_WEEK_TOP + plot_h - (int)(target * plot_h / 100 + 0.5);

		fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"target\"/>"
			"<text x=\"%d\" y=\"%d\" class=\"lbl\" text-anchor=\"end\">target %.1f%%</text>\n",
			left, y, SVG_WIDTH - 6, y, SVG_WIDTH - 6, y - 4, target);
	}
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" class=\"bar\"/>"
		"<text x=\"%d\" y=\"%d\" class=\"lbl\">at or above target</text>"
		"<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" class=\"below\"/>"
		"<text x=\"%d\" y=\"%d\" class=\"lbl\">below target (hatched)</text>\n</svg>\n",
		left, SVG_WEEK_H - 16, left + 18, SVG_WEEK_H - 6, left + 180, SVG_WEEK_H - 16,
		left + 198, SVG_WEEK_H - 6);
}

/*
 * ctl-report - helpdeskctl report: the policy's KPIs for a period, computed
 * once by the engine's kpi module and written as a table, CSV, JSON or one
 * self-contained HTML page (report-*.c). It only reads the store and the
 * policy and must never write to the store.
 */
#include <config.h>
#include "util.h"
#include "policy.h"
#include "store.h"
#include "kpi.h"
#include "ctl.h"
#include "report.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#define REPORT_USAGE \
	"usage: helpdeskctl report --store URI --policy FILE [--since TIME] [--until TIME]\n" \
	"       [--at TIME] [--by team|priority|agent|week] [--format table|csv|json|html]\n" \
	"       [--output FILE]\n"

/* Attainment as "48.0%" (or "n/a" when none counted). */
void report_fmt_pct(double pct, char buf[32])
{
	if (pct < 0)
		snprintf(buf, 32, "n/a");
	else
		snprintf(buf, 32, "%.1f%%", pct);
}

/* Target of first_response_attainment in percent, or -1 when the policy has none. */
double report_fr_target(const struct hd_kpi_report *r)
{
	for (size_t i = 0; i < r->nkpis; i++)
		if (r->kpis[i].kpi->name && strcmp(r->kpis[i].kpi->name, "first_response_attainment") == 0 &&
		    r->kpis[i].kpi->target)
			return strtod(r->kpis[i].kpi->target, NULL);
	return -1;
}

/* The formats and their writers. */
static const struct {
	const char *name;
	void (*write)(FILE *f, const struct hd_kpi_report *r);
} report_formats[] = {
	{ "table", report_table }, { "csv", report_csv }, { "json", report_json }, { "html", report_html },
};

/* helpdeskctl report --store URI --policy FILE [...] */
int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "store", required_argument, NULL, 's' }, { "policy", required_argument, NULL, 'p' },
		{ "since", required_argument, NULL, 'S' }, { "until", required_argument, NULL, 'U' },
		{ "at", required_argument, NULL, 'a' }, { "by", required_argument, NULL, 'b' },
		{ "format", required_argument, NULL, 'f' }, { "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	const char *uri = NULL, *policy = NULL, *format = "table", *output = NULL;
	time_t since = 0, until = 0, at = time(NULL);
	enum hd_kpi_by by = HD_KPI_BY_TEAM;
	struct hd_kpi_report *r = NULL;
	struct hd_policy *p;
	struct hd_store *s;
	char *err = NULL;
	FILE *f = stdout;
	int c, ret = 1;
	bool missing = false;
	size_t fmt;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': uri = optarg; break;
		case 'p': policy = optarg; break;
		case 'f': format = optarg; break;
		case 'o': output = optarg; break;
		case 'S':
		case 'U':
		case 'a':
			if (!ctl_parse_when(optarg, c == 'S' ? &since : c == 'U' ? &until : &at))
				return 1;
			break;
		case 'b':
			if (!hd_kpi_by_parse(optarg, &by)) {
				fprintf(stderr, "helpdeskctl: --by %s: use team, priority, agent or week\n", optarg);
				return 1;
			}
			break;
		case 'h':
			printf(REPORT_USAGE "The policy's KPIs against their targets: first-response attainment\n"
			       "(a passed due time with no reply is a breach), business-hour median and\n"
			       "90th percentile, unanswered tickets overdue and at risk now, tone findings,\n"
			       "exceptions, hand-off refusals and escalations. --at fixes the clock.\n");
			return 0;
		default: return 1;
		}
	}
	if (uri == NULL || policy == NULL || optind < argc) {
		fprintf(stderr, REPORT_USAGE);
		return 1;
	}
	for (fmt = 0; fmt < sizeof(report_formats) / sizeof(report_formats[0]) &&
		      strcmp(report_formats[fmt].name, format) != 0; fmt++)
		;
	if (fmt == sizeof(report_formats) / sizeof(report_formats[0])) {
		fprintf(stderr, "helpdeskctl: --format %s: use table, csv, json or html\n", format);
		return 1;
	}
	if ((p = ctl_load_policy(policy, false)) == NULL)
		return 1;
	if ((s = hd_store_open_existing(uri, &missing, &err)) == NULL ||
	    hd_kpi_report_build(p, s, since, until, at, by, &r, &err) != 0) {
		fprintf(stderr, "helpdeskctl: store: %s\n", err);
		if (missing)
			ret = EX_NOINPUT;
		goto out;
	}
	if (output != NULL && (f = fopen(output, "w")) == NULL) {
		fprintf(stderr, "helpdeskctl: cannot write %s: %s (check the directory exists and is writable)\n",
			output, strerror(errno));
		goto out;
	}
	report_formats[fmt].write(f, r);
	if (fflush(f) != 0 || ferror(f) || (f != stdout && fclose(f) != 0)) {
		fprintf(stderr, "helpdeskctl: writing the report failed: %s\n", strerror(errno));
		goto out;
	}
	ret = 0;
out:
	free(err);
	hd_kpi_report_free(&r);
	hd_store_deinit(&s);
	hd_policy_unref(&p);
	return ret;
}

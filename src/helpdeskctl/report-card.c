/*
 * report-card - the policy's quick-reference card as one printable HTML page
 * (helpdeskctl card --format html): response targets, authority, escalation,
 * phrases with their better wording, exceptions and KPIs, in tables sized
 * for one A4 sheet. Self-contained like the report (report-html.c's head);
 * every policy value is HTML-escaped. Only formats.
 */
#include <config.h>
#include "util.h"
#include "policy.h"
#include "report.h"

#include <stdio.h>

/* One escaped cell. */
static void card_td(FILE *f, const char *s)
{
	fputs("<td>", f);
	html_put(f, s);
	fputs("</td>", f);
}

/* The escaped items of a list, each between open and close, comma-separated. */
static void card_list(FILE *f, const struct strvec *v, const char *open, const char *close)
{
	for (size_t i = 0; i < v->n; i++) {
		fprintf(f, "%s%s", i ? ", " : "", open);
		html_put(f, v->v[i]);
		fputs(close, f);
	}
}

/* Response targets of every channel. */
static void card_targets(FILE *f, const struct hd_policy *p)
{
	static const char *const cols[] = { "Channel", "Priority", "First response", "Resolution", "Clock", NULL };
	char a[32], b[32];

	html_table_open(f, "Response targets", cols);
	for (size_t c = 0; c < p->nchannels; c++) {
		const struct hd_sla_channel *ch = &p->channels[c];

		for (size_t i = 0; i < ch->ntargets; i++) {
			hd_kpi_fmt_minutes(ch->targets[i].first_response, a);
			hd_kpi_fmt_minutes(ch->targets[i].resolution, b);
			fputs("<tr>", f);
			card_td(f, ch->name);
			card_td(f, ch->targets[i].priority->name);
			card_td(f, a);
			card_td(f, b);
			fprintf(f, "<td>%s%s</td></tr>\n", ch->targets[i].wall ? "wall clock" : "business hours",
				ch->enforced ? "" : " (not enforced by mail)");
		}
	}
	fputs("</tbody></table>\n", f);
}

/* Authority limits per role. */
static void card_authority(FILE *f, const struct hd_policy *p)
{
	static const char *const cols[] = { "Role", "Refund", "Credit", "Discount", "Approves exceptions", NULL };
	char caption[64];

	snprintf(caption, sizeof(caption), "Authority (%s)", p->currency ? p->currency : "USD");
	html_table_open(f, caption, cols);
	for (size_t i = 0; i < p->nroles; i++) {
		const struct hd_role *r = &p->roles[i];

		fputs("<tr>", f);
		card_td(f, r->name);
		for (int k = 0; k < HD_AMOUNT_KIND_COUNT; k++) {
			if (r->has_limit[k])
				fprintf(f, "<td class=\"n\">%g%s</td>", r->limit[k], k == HD_AMOUNT_DISCOUNT ? "%" : "");
			else
				fputs("<td>-</td>", f);
		}
		fprintf(f, "<td>%s</td></tr>\n", r->can_approve ? "yes" : "no");
	}
	fputs("</tbody></table>\n", f);
}

/* Escalation levels (full width), then opens the two columns: triggers and
   the hand-off checklist on the left. */
static void card_escalation(FILE *f, const struct hd_policy *p)
{
	static const char *const lv[] = { "Level", "Primary", "Backup (outside primary hours)", NULL };
	static const char *const tr[] = { "When", "Notify", NULL };

	html_table_open(f, "Escalation contacts", lv);
	for (size_t i = 0; i < p->nlevels; i++) {
		fputs("<tr>", f);
		card_td(f, p->levels[i].name);
		card_td(f, p->levels[i].primary);
		card_td(f, p->levels[i].backup ? p->levels[i].backup : "-");
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table>\n<div class=\"cols\">\n<div>\n", f);
	html_table_open(f, "Escalation triggers", tr);
	for (size_t i = 0; i < p->ntriggers; i++) {
		fputs("<tr>", f);
		card_td(f, p->triggers[i].name);
		card_td(f, p->triggers[i].notify->name);
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table>\n", f);
	if (p->handoff_require.n) {
		fputs("<p><strong>A hand-off must include:</strong> ", f);
		card_list(f, &p->handoff_require, "<code>", "</code>");
		fputs("</p>\n", f);
	}
}

/* Phrases never to write, with what to write instead. */
static void card_phrases(FILE *f, const struct hd_policy *p)
{
	static const char *const cols[] = { "Never write", "Write instead", NULL };

	html_table_open(f, "Tone: never write, write instead", cols);
	for (size_t i = 0; i < p->nphrases; i++) {
		const struct hd_phrase *ph = &p->phrases[i];

		fputs("<tr><td>", f);
		card_list(f, &ph->match, "&ldquo;", "&rdquo;");
		fputs("</td>", f);
		card_td(f, ph->suggest ? ph->suggest : "(rephrase)");
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table>\n", f);
}

/* The quick-reference card as one printable HTML page. */
void report_card_html(FILE *f, const struct hd_policy *p)
{
	static const char *const kc[] = { "KPI", "Target", "Review", "Owner", NULL };
	char title[256];

	snprintf(title, sizeof(title), "%s v%s: quick reference", p->name, p->version);
	html_begin(f, title);
	fputs("<style>body{font-size:10pt}table{width:100%}"
	      ".cols{display:grid;grid-template-columns:1fr 1fr;column-gap:1.2rem}.cols>div{min-width:0}"
	      "td,th{overflow-wrap:break-word}@page{margin:9mm 10mm}@media print{body{font-size:7.2pt;line-height:1.2}"
	      "th,td{padding:.05rem .3rem}table{margin:.15rem 0 .5rem}h1{font-size:13pt}p{margin:.3rem 0}}"
	      "</style>\n<header><h1>", f);
	html_put(f, title);
	fputs("</h1><p>", f);
	if (p->effective) {
		fputs("Effective ", f);
		html_put(f, p->effective);
		fputs(". ", f);
	}
	if (p->owner) {
		fputs("Owner: ", f);
		html_put(f, p->owner);
		fputs(p->review ? "; review: " : ".", f);
		html_put(f, p->review);
	}
	fputs("</p></header>\n<main>\n", f);
	card_targets(f, p);
	card_phrases(f, p);
	card_escalation(f, p);
	fputs("</div>\n<div>\n", f);
	card_authority(f, p);
	if (p->approvals_mailbox) {
		fputs("<p><strong>Exceptions:</strong> approvals go to <code>", f);
		html_put(f, p->approvals_mailbox);
		fputs("</code> (&ldquo;approve EXC-...&rdquo;).</p>\n", f);
	}
	fputs("</div>\n</div>\n", f);
	if (p->nkpis) {
		html_table_open(f, "KPIs", kc);
		for (size_t i = 0; i < p->nkpis; i++) {
			fputs("<tr>", f);
			card_td(f, p->kpis[i].name);
			card_td(f, p->kpis[i].target ? p->kpis[i].target : "-");
			card_td(f, p->kpis[i].review ? p->kpis[i].review : "-");
			card_td(f, p->kpis[i].owner ? p->kpis[i].owner : "-");
			fputs("</tr>\n", f);
		}
		fputs("</tbody></table>\n", f);
	}
	fputs("</main>\n</body>\n</html>\n", f);
}

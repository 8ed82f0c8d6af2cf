/*
 * engine-priority - conditions (words, subject words, sender, sender
 * domain, header, priority, team), the priority of an inbound message and
 * the SLA deadlines of a ticket being opened, on the team's calendar.
 * sender and sender_domain match the envelope sender only, never the From:
 * header: anyone can write a From: line, and it must not buy priority or
 * escalation (as it never makes anyone an agent, SPEC s.3).
 * words and subject_words conditions are answered from one pass of the
 * policy's condition automaton per text (hd_policy_cond_scan), not one scan
 * per condition. Matched text is quoted into headers only through
 * hd_engine_put_quoted()
 * (bounded, no CR/LF, no quotes). Must never change the policy or write to
 * the store: the ticket row is queued on the run.
 */
#include <config.h>
#include "engine-int.h"
#include "matcher.h"
#include "calendar.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Slice of the original text behind a normalised match. */
static char *match_orig(const char *orig, const struct hd_normtext *nt, size_t start, size_t end)
{
	size_t a = nt->orig[start], b = nt->orig[end];
	if (b < a)
		b = a;
	return xstrndup(orig + a, b - a);
}

/* The first match a scan found, if any. */
struct first_match {
	bool found;
	size_t start, end;
};

/* Matcher callback: keep the first match and stop. */
static bool first_cb(const struct hd_match *m, void *ctx)
{
	struct first_match *fm = ctx;
	fm->found = true;
	fm->start = m->start;
	fm->end = m->end;
	return false;
}

/* Run a matcher over normalised text; on a hit describe it in why. */
static bool scan_first(const struct hd_matcher *m, const struct hd_normtext *nt, const char *orig,
		       const char *label, struct strbuf *why)
{
	struct first_match fm = { 0 };

	if (m == NULL || nt == NULL)
		return false;
	hd_matcher_scan(m, nt, first_cb, &fm);
	if (!fm.found)
		return false;
	char *t = match_orig(orig, nt, fm.start, fm.end);
	sb_printf(why, "by=%s; matched=", label);
	hd_engine_put_quoted(why, t);
	free(t);
	return true;
}

/* A words (subject false) or subject_words condition through the policy's
   one automaton: the first time a condition of the kind is asked for, one
   pass over the text finds the first match of every condition of that
   kind; on a hit describe it in why as scan_first does. */
static bool cond_words_eval(struct run *r, const struct hd_cond *c, bool subject,
			    struct strbuf *why)
{
	const struct hd_normtext *nt = subject ? r->nsubject : r->nall;
	const char *orig = subject ? r->msg->subject : r->alltext;
	bool *scanned = subject ? &r->cond_subject_scanned : &r->cond_words_scanned;
	const struct hd_cond_hit *h;

	if (nt == NULL)
		return false;
	if (r->cond_hits == NULL)
		r->cond_hits = xcalloc(r->p->ncond_slots, sizeof(*r->cond_hits));
	if (!*scanned) {
		hd_policy_cond_scan(r->p, nt, subject, r->cond_hits);
		*scanned = true;
	}
	h = &r->cond_hits[c->slot];
	if (!h->found)
		return false;
	{
		char *t = match_orig(orig, nt, h->start, h->end);
		sb_printf(why, "by=%s; matched=", subject ? "subject_words" : "words");
		hd_engine_put_quoted(why, t);
		free(t);
	}
	return true;
}

/* True when addr's domain is dom or a subdomain of it. */
static bool domain_matches(const char *addr, const char *dom)
{
	const char *d = addr_domain(addr);
	size_t dl = strlen(d), nl = strlen(dom);

	if (nl == 0 || dl < nl)
		return false;
	if (strcasecmp(d + dl - nl, dom) != 0)
		return false;
	return dl == nl || d[dl - nl - 1] == '.';
}

/* Evaluate a condition tree; why receives what matched. */
bool hd_engine_cond_eval(struct run *r, const struct hd_cond *c, struct strbuf *why)
{
	switch (c->type) {
	case HD_COND_ANY:
		for (size_t i = 0; i < c->nchildren; i++)
			if (hd_engine_cond_eval(r, c->children[i], why))
				return true;
		return false;
	case HD_COND_ALL:
		for (size_t i = 0; i < c->nchildren; i++) {
			if (i > 0 && why->len > 0)
				sb_puts(why, "; ");
			if (!hd_engine_cond_eval(r, c->children[i], why))
				return false;
		}
		return true;
	case HD_COND_WORDS:
		if (c->slot >= 0 && r->p->cond_words != NULL)
			return cond_words_eval(r, c, false, why);
		return scan_first(c->matcher, r->nall, r->alltext, "words", why);
	case HD_COND_SUBJECT_WORDS:
		if (c->slot >= 0 && r->p->cond_words != NULL)
			return cond_words_eval(r, c, true, why);
		return scan_first(c->matcher, r->nsubject, r->msg->subject, "subject_words", why);
	case HD_COND_SENDER:
		for (size_t i = 0; i < c->values.n; i++) {
			if (r->sender && strcasecmp(r->sender, c->values.v[i]) == 0) {
				sb_printf(why, "by=sender; matched=");
				hd_engine_put_quoted(why, r->sender);
				return true;
			}
		}
		return false;
	case HD_COND_SENDER_DOMAIN:
		for (size_t i = 0; i < c->values.n; i++) {
			if (r->sender && domain_matches(r->sender, c->values.v[i])) {
				sb_printf(why, "by=sender_domain; matched=");
				hd_engine_put_quoted(why, c->values.v[i]);
				return true;
			}
		}
		return false;
	case HD_COND_HEADER:
		for (size_t i = 0; i < r->msg->nheaders; i++) {
			const struct hd_header *h = &r->msg->headers[i];
			if (strcasecmp(h->name, c->header) != 0 || c->matcher == NULL)
				continue;
			const char *val = h->decoded ? h->decoded : h->value;
			struct hd_normtext *nt = hd_norm_text(val, strlen(val));
			struct strbuf w;
			sb_init(&w);
			bool hit = scan_first(c->matcher, nt, val, "header", &w);
			hd_normtext_deinit(&nt);
			if (hit) {
				sb_printf(why, "by=header; header=%s; %s", c->header, w.s + strlen("by=header; "));
				sb_free(&w);
				return true;
			}
			sb_free(&w);
		}
		return false;
	case HD_COND_PRIORITY:
		if (r->prio && sv_contains_ci(&c->values, r->prio->name)) {
			sb_printf(why, "by=priority; matched=%s", r->prio->name);
			return true;
		}
		return false;
	case HD_COND_TEAM:
		if (r->team && sv_contains_ci(&c->values, r->team->name)) {
			sb_printf(why, "by=team; matched=%s", r->team->name);
			return true;
		}
		return false;
	}
	return false;
}

/* The rule name for header and record: the rule's own name, else the priority's. */
const char *hd_engine_priority_rule(const struct run *r)
{
	if (r->prio == NULL)
		return NULL;
	return r->prio->rule_name ? r->prio->rule_name : r->prio->name;
}

/* Priority: first rule whose condition matches; the last one is the default. */
void hd_engine_decide_priority(struct run *r)
{
	struct strbuf why, hdr;

	sb_init(&why);
	for (size_t i = 0; i < r->p->npriorities; i++) {
		const struct hd_priority *pr = &r->p->priorities[i];
		sb_truncate(&why, 0);
		if (pr->when == NULL || hd_engine_cond_eval(r, pr->when, &why)) {
			r->prio = pr;
			break;
		}
	}
	if (r->prio == NULL) {
		sb_free(&why);
		return;
	}
	sb_init(&hdr);
	sb_printf(&hdr, "%s; rule=%s; ", r->prio->name, hd_engine_priority_rule(r));
	if (why.len)
		sb_puts(&hdr, why.s);
	else
		sb_puts(&hdr, "by=default");
	hd_verdict_add_header(r->v, "X-Helpdesk-Priority", hdr.s);
	r->v->priority = xstrdup(r->prio->name);
	sb_free(&hdr);
	sb_free(&why);
}

/* SLA deadlines on the team calendar for a ticket being opened. */
void hd_engine_decide_sla(struct run *r)
{
	const struct hd_sla_target *t = hd_policy_sla(r->p, "email", r->prio);
	const struct hd_calendar *cal = r->team->calendar;
	time_t fr = 0, res = 0;
	char buf[32];

	r->newticket.id = r->ticket;
	r->newticket.team = r->team->name;
	r->newticket.priority = r->prio ? r->prio->name : NULL;
	r->newticket.customer = r->sender;
	r->newticket.opened = r->in->received;
	r->newticket.policy_version = r->p->version;
	r->write_ticket = true;
	if (t == NULL || cal == NULL)
		return;
	if (hd_calendar_add(cal, r->in->received, t->first_response, t->wall, &fr)) {
		time_format_utc(fr, buf);
		hd_verdict_add_header(r->v, "X-Helpdesk-First-Response-Due", buf);
		r->newticket.first_response_due = fr;
	}
	if (hd_calendar_add(cal, r->in->received, t->resolution, t->wall, &res)) {
		time_format_utc(res, buf);
		hd_verdict_add_header(r->v, "X-Helpdesk-Resolution-Due", buf);
		r->newticket.resolution_due = res;
	}
	if (fr == 0 || res == 0)
		hd_verdict_add_finding(r->v, "sla", r->prio->name,
				       "calendar has no open hours within the search window; no deadline stamped")
			->action = xstrdup("accept");
}

/*
 * engine - decides what happens to one message under the policy: direction
 * and scope (SPEC s.3), team, priority, ticket, SLA deadlines, escalation,
 * tone, authority, exceptions and approvals, hand-off checklist, first
 * response. Both helpdesk-milter and helpdeskctl call hd_engine_run(); there
 * is no second implementation of any decision. Identity comes only from SMTP
 * AUTH or a trusted client's envelope sender, never from From:. Headers it
 * writes are built from the policy and its own decisions, never copied from
 * the message. Store writes happen in one transaction at the end, so a
 * failure leaves nothing half-written.
 */
#include <config.h>
#include "engine.h"
#include "policy.h"
#include "store.h"
#include "mime.h"
#include "norm.h"
#include "matcher.h"
#include "tone.h"
#include "amount.h"
#include "ticket.h"
#include "calendar.h"
#include "engine-helpdesk.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define HD_HEADER_PREFIX "X-Helpdesk-"
#define HD_DETAIL_TEXT_MAX 80		/* bytes of matched text quoted in a header */
#define HD_REPLY_LINES_MAX 30		/* lines of a multi-line SMTP reply */
#define HD_APPROVE_IDS_MAX 32		/* exception ids approved by one mail */
#define HD_RECORDS_MAX 256		/* audit records written for one message */

/* An audit record waiting for the end-of-message transaction. */
struct pending {
	char *kind, *rule, *action, *text, *detail;
};

/* A declared exception (header or #exception line). */
struct exc_request {
	char *policy, *reason, *amount_text, *source;
	int tier;
	bool has_amount;
	struct hd_amount amount;
};

struct run {
	const struct hd_engine *e;
	const struct hd_policy *p;
	const struct hd_engine_input *in;
	struct hd_message *msg;
	struct hd_verdict *v;
	char *sender;			/* envelope sender, bare lower-case */
	char *from_addr;		/* From: address, bare lower-case (conditions only) */
	char *alltext;			/* subject + text, what `words` conditions see */
	struct hd_normtext *nall, *nsubject;
	const struct hd_agent *agent;
	const struct hd_team *team;
	const struct hd_priority *prio;
	char *ticket;
	bool opening;
	struct hd_ticket stored;	/* the ticket row when the store knows it */
	bool have_stored;
	struct hd_ticket newticket;
	bool write_ticket;
	time_t first_response_at;	/* set when this reply is the first response */
	struct pending *recs;
	size_t nrecs;
	struct hd_exception *excs;	/* exceptions to insert */
	size_t nexcs;
	struct { char *id; char *approver; } *decisions;
	size_t ndecisions;
	enum hd_action strongest;
	char *error;
};

/* Queue an audit record. */
static void rec_add(struct run *r, const char *kind, const char *rule, const char *action,
		    const char *text, char *detail_owned)
{
	if (r->nrecs >= HD_RECORDS_MAX) {
		free(detail_owned);
		return;
	}
	r->recs = xrealloc(r->recs, (r->nrecs + 1) * sizeof(*r->recs));
	r->recs[r->nrecs].kind = xstrdup(kind);
	r->recs[r->nrecs].rule = xstrdup(rule);
	r->recs[r->nrecs].action = xstrdup(action);
	r->recs[r->nrecs].text = xstrdup(text);
	r->recs[r->nrecs].detail = detail_owned;
	r->nrecs++;
}

/* Append a header-safe, quoted rendering of s (no CR/LF, no quotes, bounded). */
static void put_quoted(struct strbuf *sb, const char *s)
{
	size_t n = 0;

	sb_putc(sb, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p && n < HD_DETAIL_TEXT_MAX; p++, n++) {
		if (*p < 0x20 || *p == '"' || *p == '\\' || *p == 0x7f)
			sb_putc(sb, ' ');
		else
			sb_putc(sb, (char)*p);
	}
	sb_putc(sb, '"');
}

/* Slice of the original text behind a normalised match. */
static char *match_orig(const char *orig, const struct hd_normtext *nt, size_t start, size_t end)
{
	size_t a = nt->orig[start], b = nt->orig[end];
	if (b < a)
		b = a;
	return xstrndup(orig + a, b - a);
}

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
	put_quoted(why, t);
	free(t);
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
static bool cond_eval(struct run *r, const struct hd_cond *c, struct strbuf *why)
{
	switch (c->type) {
	case HD_COND_ANY:
		for (size_t i = 0; i < c->nchildren; i++)
			if (cond_eval(r, c->children[i], why))
				return true;
		return false;
	case HD_COND_ALL:
		for (size_t i = 0; i < c->nchildren; i++) {
			if (i > 0 && why->len > 0)
				sb_puts(why, "; ");
			if (!cond_eval(r, c->children[i], why))
				return false;
		}
		return true;
	case HD_COND_WORDS:
		return scan_first(c->matcher, r->nall, r->alltext, "words", why);
	case HD_COND_SUBJECT_WORDS:
		return scan_first(c->matcher, r->nsubject, r->msg->subject, "subject_words", why);
	case HD_COND_SENDER:
		for (size_t i = 0; i < c->values.n; i++) {
			const char *hit = NULL;
			if (r->sender && strcasecmp(r->sender, c->values.v[i]) == 0)
				hit = r->sender;
			else if (r->from_addr && strcasecmp(r->from_addr, c->values.v[i]) == 0)
				hit = r->from_addr;
			if (hit) {
				sb_printf(why, "by=sender; matched=");
				put_quoted(why, hit);
				return true;
			}
		}
		return false;
	case HD_COND_SENDER_DOMAIN:
		for (size_t i = 0; i < c->values.n; i++) {
			const char *hit = NULL;
			if (r->sender && domain_matches(r->sender, c->values.v[i]))
				hit = r->sender;
			else if (r->from_addr && domain_matches(r->from_addr, c->values.v[i]))
				hit = r->from_addr;
			if (hit) {
				sb_printf(why, "by=sender_domain; matched=");
				put_quoted(why, c->values.v[i]);
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

/* "1h30m" style rendering of minutes. */
static void fmt_minutes(long minutes, char buf[32])
{
	if (minutes >= 60 && minutes % 60)
		snprintf(buf, 32, "%ldh%02ldm", minutes / 60, minutes % 60);
	else if (minutes >= 60)
		snprintf(buf, 32, "%ldh", minutes / 60);
	else
		snprintf(buf, 32, "%ldm", minutes);
}

/* Every X-Helpdesk-* header already present is listed for removal. */
static void list_forged_headers(struct run *r)
{
	size_t plen = strlen(HD_HEADER_PREFIX);

	for (size_t i = 0; i < r->msg->nheaders; i++)
		if (strncasecmp(r->msg->headers[i].name, HD_HEADER_PREFIX, plen) == 0)
			sv_push(&r->v->headers_removed, r->msg->headers[i].name);
}

/* Find the agent for the sender identity: SMTP AUTH, else a trusted envelope sender. */
static const struct hd_agent *find_agent(struct run *r)
{
	const struct hd_policy *p = r->p;
	const char *auth = r->in->auth_user;

	if (auth && *auth) {
		char *a = addr_normalise(auth);
		const struct hd_agent *ag = a ? hd_policy_agent(p, a) : NULL;
		/* A bare login name matches an agent's local part when that is unique. */
		if (ag == NULL && a && strchr(a, '@') == NULL) {
			size_t al = strlen(a), hits = 0;
			for (size_t i = 0; i < p->nagents; i++)
				if (strncmp(p->agents[i].address, a, al) == 0 && p->agents[i].address[al] == '@') {
					ag = &p->agents[i];
					hits++;
				}
			if (hits != 1)
				ag = NULL;
		}
		free(a);
		return ag;
	}
	{	/* a helpdesk relay names its agent in its own header, never in From: */
		char *ra = hd_helpdesk_relay_agent(p, r->in->client_ip, r->msg);
		const struct hd_agent *ag = ra ? hd_policy_agent(p, ra) : NULL;
		free(ra);
		if (ag)
			return ag;
	}
	if (r->in->client_trusted && r->sender)
		return hd_policy_agent(p, r->sender);
	return NULL;
}

/* Resolve the ticket: subject tag, the store's thread links, else the root id. */
static int resolve_ticket(struct run *r)
{
	const struct hd_message *m = r->msg;
	char *tag = hd_ticket_from_subject(m->subject);
	const char *root;
	char *seed;

	if (tag) {
		r->ticket = tag;
		r->opening = false;
	}
	if (r->ticket == NULL && r->e->store) {
		const char *ids[3 + 64];
		size_t n = 0;
		char *hk = hd_helpdesk_thread_key(r->p, r->team ? r->team->name : NULL, r->in->client_ip, m->subject);
		if (hk)
			ids[n++] = hk;
		if (m->in_reply_to)
			ids[n++] = m->in_reply_to;
		for (size_t i = m->references.n; i > 0 && n < sizeof(ids) / sizeof(ids[0]); i--)
			ids[n++] = m->references.v[i - 1];
		if (n > 0) {
			char *err = NULL;
			int rc = hd_store_ticket_by_message(r->e->store, ids, n, &r->ticket, &err);
			if (rc == HD_STORE_ERROR) {
				r->error = xasprintf("store: %s", err ? err : "ticket lookup failed");
				free(err);
				free(hk);
				return -1;
			}
		}
		free(hk);
	}
	if (r->ticket == NULL) {
		root = m->references.n ? m->references.v[0] : m->in_reply_to ? m->in_reply_to : m->message_id;
		if (root)
			seed = xasprintf("%s|%s", r->p->name, root);
		else
			seed = xasprintf("%s|%s|%s|%lld", r->p->name, r->sender ? r->sender : "",
					 m->subject, (long long)r->in->received);
		r->ticket = hd_id_from_seed(HD_TICKET_PREFIX, seed);
		free(seed);
		r->opening = m->references.n == 0 && m->in_reply_to == NULL;
	}
	if (r->e->store) {
		char *err = NULL;
		int rc = hd_store_ticket_get(r->e->store, r->ticket, &r->stored, &err);
		if (rc == HD_STORE_ERROR) {
			r->error = xasprintf("store: %s", err ? err : "ticket read failed");
			free(err);
			return -1;
		}
		r->have_stored = rc == HD_STORE_OK;
		/* With a store, a ticket opens exactly when the store has not seen it. */
		r->opening = !r->have_stored;
	}
	return 0;
}

/* Common headers of every in-scope message. */
static void stamp_common(struct run *r)
{
	char *v = xasprintf("%s v%s", r->p->name, r->p->version);
	hd_verdict_add_header(r->v, "X-Helpdesk-Policy", v);
	free(v);
	hd_verdict_add_header(r->v, "X-Helpdesk-Ticket", r->ticket);
	r->v->ticket = xstrdup(r->ticket);
}

/* Priority: first rule whose condition matches; the last one is the default. */
static void decide_priority(struct run *r)
{
	struct strbuf why, hdr;

	sb_init(&why);
	for (size_t i = 0; i < r->p->npriorities; i++) {
		const struct hd_priority *pr = &r->p->priorities[i];
		sb_truncate(&why, 0);
		if (pr->when == NULL || cond_eval(r, pr->when, &why)) {
			r->prio = pr;
			break;
		}
	}
	if (r->prio == NULL) {
		sb_free(&why);
		return;
	}
	sb_init(&hdr);
	sb_printf(&hdr, "%s; rule=%s; ", r->prio->name, r->prio->rule_name ? r->prio->rule_name : r->prio->name);
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
static void decide_sla(struct run *r)
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

/* Escalation: add each fired level's contact (backup outside primary hours). */
static void decide_escalation(struct run *r)
{
	for (size_t li = 0; li < r->p->nlevels; li++) {
		const struct hd_esc_level *lvl = &r->p->levels[li];
		struct strbuf triggers, why;
		sb_init(&triggers);
		sb_init(&why);
		for (size_t i = 0; i < r->p->ntriggers; i++) {
			const struct hd_trigger *t = &r->p->triggers[i];
			if (t->notify != lvl)
				continue;
			sb_truncate(&why, 0);
			if (t->when && cond_eval(r, t->when, &why)) {
				if (triggers.len)
					sb_putc(&triggers, ',');
				sb_puts(&triggers, t->name);
			}
		}
		if (triggers.len) {
			bool backup = lvl->backup && lvl->primary_hours &&
				      !hd_calendar_is_open(lvl->primary_hours, r->in->received);
			const char *contact = backup ? lvl->backup : lvl->primary;
			char *h = xasprintf("%s; contact=%s; trigger=%s; backup=%s", lvl->name, contact,
					    triggers.s, backup ? "yes" : "no");
			bool already = false;
			for (size_t k = 0; k < r->in->nrcpts; k++) {
				char *a = addr_normalise(r->in->rcpts[k]);
				if (a && strcmp(a, contact) == 0)
					already = true;
				free(a);
			}
			if (!already && !sv_contains_ci(&r->v->recipients_added, contact))
				sv_push(&r->v->recipients_added, contact);
			hd_verdict_add_header(r->v, "X-Helpdesk-Escalation", h);
			rec_add(r, "escalation", triggers.s, "notify", contact,
				xasprintf("{\"level\":\"%s\",\"backup\":%s}", lvl->name, backup ? "true" : "false"));
			free(h);
		}
		sb_free(&triggers);
		sb_free(&why);
	}
}

/* Notes from the MIME reader about limits become findings and a header. */
static void report_limits(struct run *r)
{
	bool partial = r->in->truncated || r->msg->truncated;

	if (r->in->truncated)
		hd_verdict_add_finding(r->v, "limit", "message_bytes",
				       "message larger than limits.message_bytes: only the first part was inspected")
			->action = xstrdup("accept");
	for (size_t i = 0; i < r->msg->notes.n; i++)
		hd_verdict_add_finding(r->v, "limit", "mime", r->msg->notes.v[i])->action = xstrdup("accept");
	if (partial)
		hd_verdict_add_header(r->v, "X-Helpdesk-Inspection",
				      "partial; reason=limit; see findings");
}

/* Inbound: team, priority, ticket, deadlines, escalation. */
static int run_inbound(struct run *r)
{
	struct strbuf all;

	r->v->direction = HD_DIR_INBOUND;
	sb_init(&all);
	sb_puts(&all, r->msg->subject);
	sb_putc(&all, '\n');
	{
		char *t = hd_message_text(r->msg);
		sb_puts(&all, t);
		free(t);
	}
	r->alltext = sb_steal(&all);
	sb_free(&all);
	r->nall = hd_norm_text(r->alltext, strlen(r->alltext));
	r->nsubject = hd_norm_text(r->msg->subject, strlen(r->msg->subject));

	if (resolve_ticket(r) < 0)
		return -1;
	stamp_common(r);
	hd_verdict_add_header(r->v, "X-Helpdesk-Team", r->team->name);
	r->v->team = xstrdup(r->team->name);
	decide_priority(r);
	if (r->opening)
		decide_sla(r);
	decide_escalation(r);
	hd_helpdesk_inbound(r->p, r->team->name, r->msg, r->in, r->opening, r->v);
	report_limits(r);
	rec_add(r, "inbound", r->prio ? r->prio->name : NULL, "accept", r->msg->subject,
		xasprintf("{\"opening\":%s}", r->opening ? "true" : "false"));
	return 0;
}

/* Add a finding with an action and keep the strongest action. */
static struct hd_finding *finding(struct run *r, const char *kind, const char *rule,
				  const char *text, enum hd_action act)
{
	struct hd_finding *f = hd_verdict_add_finding(r->v, kind, rule, text);
	f->action = xstrdup(hd_action_name(act));
	if (act > r->strongest)
		r->strongest = act;
	return f;
}

/* Tone: scan the subject and the agent's own words of every text part. */
static void decide_tone(struct run *r)
{
	struct strbuf rules;
	struct strvec seen;
	size_t max = r->e->limits->findings;

	sb_init(&rules);
	sv_init(&seen);
	for (size_t pi = 0; pi <= r->msg->nparts; pi++) {
		const char *text = pi == 0 ? r->msg->subject : r->msg->parts[pi - 1].agent_text;
		struct hd_tone_hit *hits = NULL;
		size_t n;

		if (pi > 0 && r->msg->parts[pi - 1].quote_uncertain)
			hd_verdict_add_finding(r->v, "quote", "uncertain-split",
					       "quoted history could not be told apart with certainty; the whole text was scanned")
				->action = xstrdup("accept");
		if (text == NULL || r->p->tone == NULL)
			continue;
		n = hd_tone_scan(r->p, text, strlen(text), max, &hits);
		for (size_t i = 0; i < n; i++) {
			char *key = xasprintf("%s|%s", hits[i].phrase->id, hits[i].text);
			str_lower(key);
			if (sv_contains_ci(&seen, key)) {	/* multipart/alternative twins */
				free(key);
				continue;
			}
			sv_push_owned(&seen, key);
			struct hd_finding *f = finding(r, "tone", hits[i].phrase->id, hits[i].text, hits[i].action);
			f->suggest = xstrdup(hits[i].phrase->suggest);
			f->line = pi == 0 ? 0 : hits[i].line;
			if (pi == 0)
				f->detail = xstrdup("in=subject");
			if (strstr(rules.s, hits[i].phrase->id) == NULL) {
				if (rules.len)
					sb_putc(&rules, ',');
				sb_puts(&rules, hits[i].phrase->id);
			}
			struct strbuf detail;
			sb_init(&detail);
			sb_printf(&detail, "{\"line\":%d,\"suggest\":", f->line);
			hd_json_string(&detail, hits[i].phrase->suggest);
			sb_putc(&detail, '}');
			rec_add(r, "tone", hits[i].phrase->id, hd_action_name(hits[i].action), hits[i].text,
				sb_steal(&detail));
			sb_free(&detail);
		}
		hd_tone_hits_free(hits, n);
	}
	if (rules.len) {
		char *h = xasprintf("flagged; rules=%s", rules.s);
		hd_verdict_add_header(r->v, "X-Helpdesk-Tone", h);
		free(h);
	} else {
		hd_verdict_add_header(r->v, "X-Helpdesk-Tone", "clean");
	}
	sb_free(&rules);
	sv_free(&seen);
}

/* Parse "k=v; k2=\"v 2\"" or "k=v k2=v2" into a vector of k, v pairs. */
static void parse_kv(const char *s, struct strvec *kv)
{
	const char *p = s;

	while (*p) {
		while (*p == ' ' || *p == ';' || *p == '\t' || *p == ',')
			p++;
		const char *k = p;
		while (*p && *p != '=' && *p != ' ' && *p != ';')
			p++;
		if (*p != '=' || p == k) {
			while (*p && *p != ' ' && *p != ';')
				p++;
			continue;
		}
		char *key = xstrndup(k, (size_t)(p - k));
		p++;
		struct strbuf val;
		sb_init(&val);
		if (*p == '"') {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && p[1])
					p++;
				sb_putc(&val, *p);
			}
			if (*p == '"')
				p++;
		} else {
			while (*p && *p != ';' && *p != ' ' && *p != '\t')
				sb_putc(&val, *p++);
		}
		str_lower(key);
		sv_push_owned(kv, key);
		sv_push_owned(kv, sb_steal(&val));
		sb_free(&val);
	}
}

/* Value of key in a k/v vector, or NULL. */
static const char *kv_get(const struct strvec *kv, const char *key)
{
	for (size_t i = 0; i + 1 < kv->n; i += 2)
		if (strcmp(kv->v[i], key) == 0)
			return kv->v[i + 1];
	return NULL;
}

/* Collect exception requests from the header and #exception lines. */
static size_t collect_requests(struct run *r, struct exc_request *reqs, size_t max,
			       struct strvec *problems)
{
	size_t n = 0;
	struct strvec sources;

	sv_init(&sources);
	for (size_t i = 0; i < r->msg->nheaders; i++)
		if (strcasecmp(r->msg->headers[i].name, "X-Helpdesk-Exception-Request") == 0)
			sv_push(&sources, r->msg->headers[i].value);
	for (size_t pi = 0; pi < r->msg->nparts; pi++) {
		const char *t = r->msg->parts[pi].agent_text;
		if (t == NULL || (r->msg->parts[pi].alt_group >= 0 && pi > 0 &&
				  r->msg->parts[pi - 1].alt_group == r->msg->parts[pi].alt_group))
			continue;
		for (const char *line = t; line && *line;) {
			const char *eol = strchr(line, '\n');
			size_t len = eol ? (size_t)(eol - line) : strlen(line);
			const char *l = line;
			while (l < line + len && (*l == ' ' || *l == '\t'))
				l++;
			if ((size_t)(line + len - l) > 10 && strncasecmp(l, "#exception", 10) == 0)
				sv_push_owned(&sources, xstrndup(l + 10, (size_t)(line + len - l - 10)));
			line = eol ? eol + 1 : NULL;
		}
	}
	for (size_t i = 0; i < sources.n && n < max; i++) {
		struct strvec kv;
		struct exc_request *q = &reqs[n];
		sv_init(&kv);
		parse_kv(sources.v[i], &kv);
		memset(q, 0, sizeof(*q));
		q->source = xstrdup(sources.v[i]);
		q->policy = xstrdup(kv_get(&kv, "policy"));
		q->reason = xstrdup(kv_get(&kv, "reason"));
		q->tier = kv_get(&kv, "tier") ? atoi(kv_get(&kv, "tier")) : 0;
		for (size_t k = 0; k < r->p->exc_require.n; k++)
			if (kv_get(&kv, r->p->exc_require.v[k]) == NULL || !*kv_get(&kv, r->p->exc_require.v[k]))
				sv_push_owned(problems, xasprintf("exception request lacks the required field '%s'",
								  r->p->exc_require.v[k]));
		if (kv_get(&kv, "amount")) {
			q->amount_text = xstrdup(kv_get(&kv, "amount"));
			if (hd_amount_parse(q->amount_text, r->p->currency, &q->amount))
				q->has_amount = true;
			else
				sv_push_owned(problems, xasprintf("exception amount '%s' is not an amount", q->amount_text));
		}
		if (q->policy && hd_policy_exc_policy(r->p, q->policy) == NULL)
			sv_push_owned(problems, xasprintf("unknown exception policy '%s'", q->policy));
		if (q->tier != 0 && (q->tier < 1 || q->tier > 3))
			sv_push_owned(problems, xasprintf("exception tier %d is not 1, 2 or 3", q->tier));
		sv_free(&kv);
		n++;
	}
	sv_free(&sources);
	return n;
}

/* Free an exception request's strings. */
static void request_free(struct exc_request *q)
{
	free(q->policy);
	free(q->reason);
	free(q->amount_text);
	free(q->source);
	free(q->amount.text);
}

/* The lowest-ranked role allowed to approve value of kind, or NULL. */
static const struct hd_role *approver_role(const struct hd_policy *p, enum hd_amount_kind kind,
					   double value, int above_rank)
{
	for (size_t i = 0; i < p->nroles; i++) {
		const struct hd_role *ro = &p->roles[i];
		if (ro->rank <= above_rank || !ro->can_approve)
			continue;
		if (value < 0 || (ro->has_limit[kind] && ro->limit[kind] + 1e-9 >= value))
			return ro;
	}
	return NULL;
}

/* Render an amount for humans and headers. */
static char *fmt_amount(const struct hd_amount *a)
{
	return a->percent ? xasprintf("%g%%", a->value) : xasprintf("%.2f %s", a->value, a->currency);
}

/* Authority and exceptions for an outbound reply. Returns the exception
   granted (approved) header value, if any, in *granted_r. */
static int decide_authority(struct run *r)
{
	const struct hd_role *role = r->agent->role;
	struct hd_amount *amts = NULL;
	size_t namts = 0;
	struct exc_request reqs[8];
	size_t nreqs;
	struct strvec problems, needs;
	struct strbuf fp;
	const char *worst = NULL;
	char *worst_detail = NULL;
	int worst_rank = -1, rc = 0;

	sv_init(&problems);
	sv_init(&needs);
	for (size_t pi = 0; pi < r->msg->nparts; pi++) {
		const struct hd_textpart *tp = &r->msg->parts[pi];
		struct hd_amount *a;
		size_t n;
		/* One alternative of a group is enough: the same words twice are one amount. */
		if (tp->alt_group >= 0 && pi > 0 && r->msg->parts[pi - 1].alt_group == tp->alt_group)
			continue;
		n = hd_amount_scan(tp->agent_text ? tp->agent_text : "", r->p->currency, &a);
		amts = xrealloc(amts, (namts + n + 1) * sizeof(*amts));
		memcpy(amts + namts, a, n * sizeof(*a));
		namts += n;
		free(a);
	}
	nreqs = collect_requests(r, reqs, sizeof(reqs) / sizeof(reqs[0]), &problems);
	for (size_t i = 0; i < nreqs; i++)
		if (reqs[i].has_amount) {
			const struct hd_exc_policy *ep = hd_policy_exc_policy(r->p, reqs[i].policy ? reqs[i].policy : "");
			amts = xrealloc(amts, (namts + 1) * sizeof(*amts));
			amts[namts] = reqs[i].amount;
			amts[namts].text = xstrdup(reqs[i].amount_text);
			amts[namts].kind = reqs[i].amount.percent ? HD_AMOUNT_DISCOUNT : ep ? ep->kind : HD_AMOUNT_REFUND;
			namts++;
		}

	/* The fingerprint of "this reply": ticket, agent, amounts and requests. */
	sb_init(&fp);
	sb_printf(&fp, "%s|%s", r->ticket, r->agent->address);
	for (size_t i = 0; i < namts; i++)
		sb_printf(&fp, "|%s:%.2f%s", hd_amount_kind_name(amts[i].kind), amts[i].value,
			  amts[i].percent ? "%" : amts[i].currency);
	for (size_t i = 0; i < nreqs; i++)
		sb_printf(&fp, "|exc:%s:%d", reqs[i].policy ? reqs[i].policy : "", reqs[i].tier);

	/* Amounts against the role's limits. */
	for (size_t i = 0; i < namts; i++) {
		const struct hd_amount *a = &amts[i];
		bool has = role && role->has_limit[a->kind];
		double lim = has ? role->limit[a->kind] : 0;
		bool within = has && a->value <= lim + 1e-9;
		char *am = fmt_amount(a);
		char *limtxt = a->percent ? xasprintf("%g%%", lim) : xasprintf("%.2f %s", lim, r->p->currency);
		if (!within) {
			const struct hd_role *ar = approver_role(r->p, a->kind, a->value, role ? role->rank : -1);
			sv_push_owned(&needs, xasprintf("%s %s exceeds the %s limit of %s for role %s; %s%s%s",
				hd_amount_kind_name(a->kind), am, hd_amount_kind_name(a->kind), limtxt,
				role ? role->name : "(none)", ar ? "a " : "no role may approve it",
				ar ? ar->name : "", ar ? " may approve it" : ""));
		}
		int rank = within ? 0 : 2;
		if (rank > worst_rank) {
			worst_rank = rank;
			worst = within ? "within" : "exceeded";
			free(worst_detail);
			worst_detail = xasprintf("amount=%.2f; currency=%s; kind=%s; role=%s; limit=%s",
				a->value, a->percent ? "%" : a->currency, hd_amount_kind_name(a->kind),
				role ? role->name : "none", limtxt);
		}
		free(am);
		free(limtxt);
	}
	/* Tiers: 1 a rep may grant, 2 per policy, 3 always needs approval. */
	for (size_t i = 0; i < nreqs; i++) {
		const struct hd_exc_policy *ep = reqs[i].policy ? hd_policy_exc_policy(r->p, reqs[i].policy) : NULL;
		int tier = reqs[i].tier;
		if (tier < 1 || tier > 3)
			continue;
		enum hd_tier_rule rule = r->p->tiers[tier];
		bool rep_may = rule == HD_TIER_REP || (rule == HD_TIER_PER_POLICY && ep && ep->tier2_rep);
		if (ep && ep->max_tier && tier > ep->max_tier)
			sv_push_owned(&problems, xasprintf("exception policy '%s' allows tier %d at most", ep->name, ep->max_tier));
		if (!rep_may)
			sv_push_owned(&needs, xasprintf("a tier %d exception under '%s' needs an approver", tier,
							reqs[i].policy ? reqs[i].policy : "?"));
	}

	char *excid = NULL;
	const char *excstatus = NULL;
	struct hd_exception found = { 0 };
	bool have_found = false;
	if (needs.n > 0 || nreqs > 0) {
		char *seed = xasprintf("exception|%s", fp.s);
		excid = hd_id_from_seed("EXC-", seed);
		free(seed);
		if (r->e->store) {
			char *err = NULL;
			int frc = hd_store_exception_find(r->e->store, r->ticket, r->agent->address, fp.s, &found, &err);
			if (frc == HD_STORE_ERROR) {
				r->error = xasprintf("store: %s", err ? err : "exception lookup failed");
				free(err);
				rc = -1;
				goto out;
			}
			have_found = frc == HD_STORE_OK;
			if (have_found)
				excstatus = found.status;
		}
	}

	if (problems.n > 0) {
		for (size_t i = 0; i < problems.n; i++) {
			struct hd_finding *f = finding(r, "exception", "request", problems.v[i], HD_ACTION_REJECT);
			f->id = xstrdup(excid);
		}
	} else if (needs.n > 0 && !(have_found && strcmp(excstatus, "approved") == 0)) {
		for (size_t i = 0; i < needs.n; i++) {
			struct hd_finding *f = finding(r, nreqs ? "exception" : "authority", "authority", needs.v[i],
						       HD_ACTION_REJECT);
			f->id = xstrdup(excid);
			f->suggest = r->p->approvals_mailbox
				? xasprintf("ask an approver to send \"approve %s\" to %s, then send this reply again",
					    excid, r->p->approvals_mailbox)
				: xasprintf("ask an approver to approve %s", excid);
		}
		if (!have_found) {
			struct hd_exception *x;
			r->excs = xrealloc(r->excs, (r->nexcs + 1) * sizeof(*r->excs));
			x = &r->excs[r->nexcs++];
			memset(x, 0, sizeof(*x));
			x->id = xstrdup(excid);
			x->ticket = xstrdup(r->ticket);
			x->agent = xstrdup(r->agent->address);
			x->policy = xstrdup(nreqs && reqs[0].policy ? reqs[0].policy : "authority");
			x->reason = xstrdup(nreqs && reqs[0].reason ? reqs[0].reason : needs.v[0]);
			x->tier = nreqs ? reqs[0].tier : 3;
			x->amount = -1;
			for (size_t i = 0; i < namts; i++)
				if (amts[i].value > x->amount) {
					x->amount = amts[i].value;
					free(x->kind);
					free(x->currency);
					x->kind = xstrdup(hd_amount_kind_name(amts[i].kind));
					x->currency = xstrdup(amts[i].percent ? "%" : amts[i].currency);
				}
			x->status = xstrdup("pending");
			x->fingerprint = xstrdup(fp.s);
			x->created = r->in->received;
		}
		rec_add(r, "exception", excid, "reject", needs.v[0], xasprintf("{\"status\":\"pending\"}"));
	} else if (needs.n > 0 || nreqs > 0) {
		/* Approved earlier (needs) or within the rep's own authority (no needs). */
		bool approved = needs.n > 0;
		const char *pol = nreqs && reqs[0].policy ? reqs[0].policy : "authority";
		int tier = nreqs ? reqs[0].tier : 3;
		struct strbuf h;
		sb_init(&h);
		sb_printf(&h, "%s; tier=%d; policy=%s; reason=", excid, tier, pol);
		put_quoted(&h, nreqs && reqs[0].reason ? reqs[0].reason : approved ? "over authority" : "");
		sb_printf(&h, "; approved-by=%s", approved ? found.approver : r->agent->address);
		hd_verdict_add_header(r->v, "X-Helpdesk-Exception", h.s);
		struct hd_finding *f = finding(r, "exception", pol, approved ? "approved exception applied" :
					       "exception granted within the agent's own authority", HD_ACTION_NONE);
		free(f->action);
		f->action = xstrdup("accept");
		f->id = xstrdup(excid);
		rec_add(r, "exception", excid, "accept", pol,
			xasprintf("{\"tier\":%d,\"approved_by\":\"%s\"}", tier,
				  approved ? found.approver : r->agent->address));
		if (approved && worst && strcmp(worst, "exceeded") == 0)
			worst = "approved";
		sb_free(&h);
	}
	if (worst) {
		char *h = xasprintf("%s; %s", worst, worst_detail);
		hd_verdict_add_header(r->v, "X-Helpdesk-Authority", h);
		rec_add(r, "authority", worst, worst, worst_detail, NULL);
		free(h);
	}
out:
	free(worst_detail);
	free(excid);
	if (have_found)
		hd_exception_free(&found);
	for (size_t i = 0; i < nreqs; i++)
		request_free(&reqs[i]);
	hd_amounts_free(amts, namts);
	sv_free(&problems);
	sv_free(&needs);
	sb_free(&fp);
	return rc;
}

/* Approvals: "approve EXC-..." in an approver's mail to approvals_mailbox. */
static int decide_approvals(struct run *r)
{
	struct strvec ids, refusals;
	const struct hd_role *role = r->agent->role;

	sv_init(&ids);
	sv_init(&refusals);
	for (size_t pi = 0; pi < r->msg->nparts; pi++) {
		const char *t = r->msg->parts[pi].agent_text;
		for (const char *p = t; p && (p = strcasestr(p, "approve")) != NULL; p += 7) {
			const char *q = p + 7;
			while (*q == ' ' || *q == ':' || *q == '\t')
				q++;
			while (strncmp(q, "EXC-", 4) == 0 && ids.n < HD_APPROVE_IDS_MAX) {
				size_t n = 4;
				while (isalnum((unsigned char)q[n]))
					n++;
				char *id = xstrndup(q, n);
				if (!sv_contains_ci(&ids, id))
					sv_push_owned(&ids, id);
				else
					free(id);
				q += n;
				while (*q == ' ' || *q == ',' || (*q == 'a' && q[1] == 'n' && q[2] == 'd'))
					q += *q == 'a' ? 3 : 1;
			}
		}
	}
	if (ids.n == 0)
		sv_push(&refusals, "no \"approve EXC-...\" line found in your own words");
	/* Approvers are identified by SMTP AUTH only (SPEC s.6), never by a
	   trusted client's envelope sender. */
	if (r->in->auth_user == NULL || r->in->auth_user[0] == '\0') {
		sv_push(&refusals, "approvals need SMTP AUTH: log in to send them");
		sv_free(&ids);
		sv_init(&ids);
	}
	for (size_t i = 0; i < ids.n; i++) {
		struct hd_exception x;
		char *err = NULL;
		int rc = r->e->store ? hd_store_exception_get(r->e->store, ids.v[i], &x, &err) : HD_STORE_NOT_FOUND;
		if (rc == HD_STORE_ERROR) {
			r->error = xasprintf("store: %s", err ? err : "exception read failed");
			free(err);
			sv_free(&ids);
			sv_free(&refusals);
			return -1;
		}
		if (rc == HD_STORE_NOT_FOUND) {
			sv_push_owned(&refusals, xasprintf("%s: no such exception", ids.v[i]));
			continue;
		}
		const struct hd_agent *req = hd_policy_agent(r->p, x.agent);
		enum hd_amount_kind kind = HD_AMOUNT_REFUND;
		for (int k = 0; k < HD_AMOUNT_KIND_COUNT; k++)
			if (x.kind && strcmp(x.kind, hd_amount_kind_name((enum hd_amount_kind)k)) == 0)
				kind = (enum hd_amount_kind)k;
		if (strcmp(x.status, "pending") != 0)
			sv_push_owned(&refusals, xasprintf("%s: already %s", ids.v[i], x.status));
		else if (strcmp(x.agent, r->agent->address) == 0)
			sv_push_owned(&refusals, xasprintf("%s: you cannot approve your own exception", ids.v[i]));
		else if (role == NULL || !role->can_approve)
			sv_push_owned(&refusals, xasprintf("%s: role %s may not approve exceptions", ids.v[i],
							   role ? role->name : "(none)"));
		else if (req && req->role && role->rank <= req->role->rank)
			sv_push_owned(&refusals, xasprintf("%s: role %s may not approve for role %s", ids.v[i],
							   role->name, req->role->name));
		else if (x.amount >= 0 && (!role->has_limit[kind] || role->limit[kind] + 1e-9 < x.amount))
			sv_push_owned(&refusals, xasprintf("%s: %s %.2f exceeds your own %s limit of %.2f",
							   ids.v[i], x.kind, x.amount, x.kind,
							   role->has_limit[kind] ? role->limit[kind] : 0.0));
		else {
			r->decisions = xrealloc(r->decisions, (r->ndecisions + 1) * sizeof(*r->decisions));
			r->decisions[r->ndecisions].id = xstrdup(ids.v[i]);
			r->decisions[r->ndecisions].approver = xstrdup(r->agent->address);
			r->ndecisions++;
			struct hd_finding *f = hd_verdict_add_finding(r->v, "approval", x.policy, "approved");
			f->id = xstrdup(ids.v[i]);
			f->action = xstrdup("accept");
			rec_add(r, "approval", ids.v[i], "approve", x.policy,
				xasprintf("{\"requested_by\":\"%s\",\"ticket\":\"%s\"}", x.agent, x.ticket ? x.ticket : ""));
		}
		hd_exception_free(&x);
	}
	if (refusals.n > 0) {
		/* All or nothing: a mail with any refused approval approves none. */
		for (size_t i = 0; i < r->ndecisions; i++) {
			free(r->decisions[i].id);
			free(r->decisions[i].approver);
		}
		r->ndecisions = 0;
		for (size_t i = 0; i < refusals.n; i++) {
			struct hd_finding *f = finding(r, "approval", "refused", refusals.v[i], HD_ACTION_REJECT);
			(void)f;
			rec_add(r, "approval", "refused", "reject", refusals.v[i], NULL);
		}
	}
	sv_free(&ids);
	sv_free(&refusals);
	return 0;
}

/* Hand-off: a forward to an escalation contact must carry the checklist. */
static void decide_handoff(struct run *r)
{
	bool to_handoff = false;
	struct strbuf missing;
	char *text;

	for (size_t i = 0; i < r->in->nrcpts && !to_handoff; i++) {
		char *a = addr_normalise(r->in->rcpts[i]);
		if (a && sv_contains_ci(&r->p->handoff_to, a))
			to_handoff = true;
		free(a);
	}
	if (!to_handoff || r->p->handoff_require.n == 0)
		return;
	text = hd_message_text(r->msg);
	sb_init(&missing);
	for (size_t i = 0; i < r->p->handoff_require.n; i++) {
		const char *label = r->p->handoff_require.v[i];
		bool found = false;
		for (const char *line = text; line && *line && !found;) {
			const char *l = line;
			while (*l == ' ' || *l == '\t' || *l == '>')
				l++;
			if (strncasecmp(l, label, strlen(label)) == 0)
				found = true;
			line = strchr(line, '\n');
			if (line)
				line++;
		}
		if (!found) {
			if (missing.len)
				sb_puts(&missing, ", ");
			sb_puts(&missing, label);
		}
	}
	if (missing.len) {
		struct hd_finding *f = finding(r, "handoff", "checklist", missing.s, HD_ACTION_REJECT);
		f->suggest = xasprintf("add these lines to the hand-off: %s", missing.s);
		rec_add(r, "handoff", "checklist", "reject", missing.s, NULL);
	}
	sb_free(&missing);
	free(text);
}

/* First agent reply on a ticket: met or breached against the target. */
static void decide_first_response(struct run *r)
{
	const struct hd_team *team;
	const struct hd_priority *prio;
	const struct hd_sla_target *t;
	long elapsed, target;
	char eb[32], tb[32], due[32];
	bool met;

	if (!r->have_stored || r->stored.first_response_at != 0)
		return;
	team = hd_policy_team(r->p, r->stored.team ? r->stored.team : "");
	prio = hd_policy_priority(r->p, r->stored.priority ? r->stored.priority : "");
	t = hd_policy_sla(r->p, "email", prio);
	if (team == NULL || team->calendar == NULL || t == NULL)
		return;
	elapsed = hd_calendar_elapsed(team->calendar, r->stored.opened, r->in->received, t->wall) / 60;
	target = t->first_response;
	met = r->stored.first_response_due ? r->in->received <= r->stored.first_response_due : elapsed <= target;
	fmt_minutes(elapsed, eb);
	fmt_minutes(target, tb);
	if (r->stored.first_response_due)
		time_format_utc(r->stored.first_response_due, due);
	else
		snprintf(due, sizeof(due), "unknown");
	char *h = xasprintf("%s; elapsed=%s; target=%s; due=%s; priority=%s", met ? "met" : "breached",
			    eb, tb, due, prio->name);
	hd_verdict_add_header(r->v, "X-Helpdesk-First-Response", h);
	rec_add(r, "sla", "first-response", met ? "met" : "breached", h,
		xasprintf("{\"elapsed_minutes\":%ld,\"target_minutes\":%ld}", elapsed, target));
	free(h);
	r->first_response_at = r->in->received;
}

/* True when a line (after blanks and leading HTML tags) is an #exception line. */
static bool is_exception_line(const char *p, size_t len)
{
	const char *e = p + len;

	for (;;) {
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		if (p < e && *p == '<') {
			const char *gt = memchr(p, '>', (size_t)(e - p));
			if (gt == NULL)
				return false;
			p = gt + 1;
			continue;
		}
		break;
	}
	return (size_t)(e - p) >= 10 && strncasecmp(p, "#exception", 10) == 0 &&
	       (e - p == 10 || !isalnum((unsigned char)p[10]));
}

/* True when any text part still shows an #exception line to the reader. */
static bool message_shows_exception(const struct hd_message *m)
{
	for (size_t pi = 0; pi < m->nparts; pi++)
		for (const char *l = m->parts[pi].text; l && *l;) {
			const char *eol = strchr(l, '\n');
			size_t len = eol ? (size_t)(eol - l) : strlen(l);
			if (is_exception_line(l, len))
				return true;
			l = eol ? eol + 1 : NULL;
		}
	return false;
}

/* Read the whole raw message the engine was given (memory or spool file). */
static char *raw_message(const struct hd_engine_input *in, size_t *len_r)
{
	struct strbuf sb;
	char buf[65536];
	off_t off = 0;
	ssize_t n;

	if (in->data) {
		*len_r = in->len;
		return xstrndup(in->data, in->len);
	}
	sb_init(&sb);
	while (sb.len < in->len &&
	       (n = pread(in->fd, buf, sizeof(buf) < in->len - sb.len ? sizeof(buf) : in->len - sb.len, off)) > 0) {
		sb_append(&sb, buf, (size_t)n);
		off += n;
	}
	*len_r = sb.len;
	return sb_steal(&sb);
}

/* Remove #exception lines from the body before delivery (SPEC s.6: the
   customer never sees them). Lines are dropped from the raw body, which
   covers 7bit, 8bit and quoted-printable text and HTML; if the re-read
   message still shows one (a base64 part, a QP soft break), the reply is
   refused instead, so a request line can never reach the customer. */
static void strip_exception_lines(struct run *r)
{
	bool any = false;
	size_t len, body_off = 0;
	char *raw;
	struct strbuf out;
	struct hd_message *check;

	for (size_t pi = 0; pi < r->msg->nparts && !any; pi++)
		for (const char *l = r->msg->parts[pi].text; l && *l && !any;) {
			const char *eol = strchr(l, '\n');
			any = is_exception_line(l, eol ? (size_t)(eol - l) : strlen(l));
			l = eol ? eol + 1 : NULL;
		}
	if (!any)
		return;
	if (r->in->truncated) {
		finding(r, "exception", "request-line",
			"an #exception line cannot be removed from a message larger than limits.message_bytes",
			HD_ACTION_REJECT)->suggest = xstrdup("use the X-Helpdesk-Exception-Request header instead");
		return;
	}
	raw = raw_message(r->in, &len);
	for (size_t i = 0; i + 1 < len; i++)
		if (raw[i] == '\n' && (raw[i + 1] == '\n' || (raw[i + 1] == '\r' && i + 2 < len && raw[i + 2] == '\n'))) {
			body_off = i + (raw[i + 1] == '\n' ? 2 : 3);
			break;
		}
	sb_init(&out);
	if (body_off > 0) {
		bool soft_break = false;
		for (size_t i = body_off; i < len;) {
			const char *nl = memchr(raw + i, '\n', len - i);
			size_t end = nl ? (size_t)(nl - raw) + 1 : len;
			size_t tl = end - i;
			while (tl > 0 && (raw[i + tl - 1] == '\n' || raw[i + tl - 1] == '\r'))
				tl--;
			if (soft_break || !is_exception_line(raw + i, tl))
				sb_append(&out, raw + i, end - i);
			soft_break = tl > 0 && raw[i + tl - 1] == '=';
			i = end;
		}
	}
	/* Check what the customer would see. */
	{
		struct strbuf whole;
		sb_init(&whole);
		sb_append(&whole, raw, body_off);
		sb_append(&whole, out.s ? out.s : "", out.len);
		check = hd_message_parse(whole.s, whole.len, r->e->limits);
		sb_free(&whole);
	}
	if (body_off == 0 || message_shows_exception(check)) {
		finding(r, "exception", "request-line",
			"an #exception line could not be removed (it is inside an encoded part)",
			HD_ACTION_REJECT)->suggest = xstrdup("use the X-Helpdesk-Exception-Request header instead");
		sb_free(&out);
	} else {
		r->v->body_len = out.len;
		r->v->body = sb_steal(&out);
		sb_free(&out);
	}
	hd_message_deinit(&check);
	free(raw);
}

/* Outbound: ticket, approvals, tone, authority, exceptions, hand-off, first response. */
static int run_outbound(struct run *r)
{
	bool approvals_only = r->p->approvals_mailbox != NULL && r->in->nrcpts > 0;

	r->v->direction = HD_DIR_OUTBOUND;
	r->v->agent = xstrdup(r->agent->address);
	for (size_t i = 0; i < r->in->nrcpts; i++) {
		char *a = addr_normalise(r->in->rcpts[i]);
		if (!a || !r->p->approvals_mailbox || strcmp(a, r->p->approvals_mailbox) != 0)
			approvals_only = false;
		free(a);
	}
	if (resolve_ticket(r) < 0)
		return -1;
	if (r->have_stored) {
		r->v->team = xstrdup(r->stored.team);
		r->v->priority = xstrdup(r->stored.priority);
	}
	stamp_common(r);
	report_limits(r);
	if (approvals_only)
		return decide_approvals(r);
	decide_tone(r);
	if (decide_authority(r) < 0)
		return -1;
	decide_handoff(r);
	strip_exception_lines(r);
	if (r->strongest < HD_ACTION_HOLD)
		decide_first_response(r);
	rec_add(r, "outbound", NULL, r->strongest >= HD_ACTION_HOLD ? hd_action_name(r->strongest) : "accept",
		r->msg->subject, NULL);
	return 0;
}

/* Turn the strongest finding action into the MTA action and reply text. */
static void finish_action(struct run *r)
{
	struct hd_verdict *v = r->v;

	if (r->strongest == HD_ACTION_REJECT) {
		v->action = HD_VERDICT_REJECT;
		hd_verdict_set_reply(v, "550", "5.7.1");
		sv_push_owned(&v->reply_lines, xasprintf("helpdesk-milter: not sent: this message breaks the %s v%s policy",
							 r->p->name, r->p->version));
		for (size_t i = 0; i < v->nfindings && v->reply_lines.n < HD_REPLY_LINES_MAX; i++) {
			const struct hd_finding *f = &v->findings[i];
			if (f->action == NULL || strcmp(f->action, "reject") != 0)
				continue;
			if (strcmp(f->kind, "tone") == 0 && f->line > 0)
				sv_push_owned(&v->reply_lines, xasprintf("line %d: \"%s\" (rule %s): write instead: %s",
					f->line, f->text, f->rule, f->suggest ? f->suggest : "rephrase"));
			else if (strcmp(f->kind, "tone") == 0)
				sv_push_owned(&v->reply_lines, xasprintf("in the subject: \"%s\" (rule %s): write instead: %s",
					f->text, f->rule, f->suggest ? f->suggest : "rephrase"));
			else if (strcmp(f->kind, "handoff") == 0)
				sv_push_owned(&v->reply_lines, xasprintf("hand-off checklist incomplete: missing %s", f->text));
			else
				sv_push_owned(&v->reply_lines, xasprintf("%s%s%s%s%s%s", f->text,
					f->id ? " [" : "", f->id ? f->id : "", f->id ? "]" : "",
					f->suggest ? ": " : "", f->suggest ? f->suggest : ""));
		}
	} else if (r->strongest == HD_ACTION_HOLD) {
		struct strbuf why;
		v->action = HD_VERDICT_HOLD;
		sb_init(&why);
		sb_puts(&why, "helpdesk-milter hold:");
		for (size_t i = 0; i < v->nfindings; i++)
			if (v->findings[i].action && strcmp(v->findings[i].action, "hold") == 0)
				sb_printf(&why, " %s:%s", v->findings[i].kind, v->findings[i].rule);
		v->hold_reason = sb_steal(&why);
		sb_free(&why);
	}
	if (r->strongest == HD_ACTION_NOTIFY || r->strongest == HD_ACTION_HOLD || r->strongest == HD_ACTION_REJECT) {
		struct strbuf n;
		bool any = false;
		sb_init(&n);
		sb_printf(&n, "Your message \"%s\" on ticket %s was flagged under %s v%s:\n", r->msg->subject,
			  r->ticket ? r->ticket : "-", r->p->name, r->p->version);
		for (size_t i = 0; i < v->nfindings; i++)
			if (v->findings[i].action && strcmp(v->findings[i].action, "notify") == 0) {
				sb_printf(&n, "- \"%s\" (rule %s): %s\n", v->findings[i].text, v->findings[i].rule,
					  v->findings[i].suggest ? v->findings[i].suggest : "");
				any = true;
			}
		if (any) {
			v->notify_text = sb_steal(&n);
			v->notify_to = xstrdup(r->agent ? r->agent->address : NULL);
		}
		sb_free(&n);
	}
}

/* Write everything decided in one transaction. */
static int write_store(struct run *r)
{
	struct hd_store *s = r->e->store;
	char *err = NULL;

	if (s == NULL)
		return 0;
	if (hd_store_begin(s, &err) != HD_STORE_OK)
		goto fail;
	if (r->write_ticket && hd_store_ticket_open(s, &r->newticket, &err) != HD_STORE_OK)
		goto fail_rb;
	if (r->msg->message_id && r->ticket && r->v->action != HD_VERDICT_REJECT &&
	    hd_store_link_message(s, r->msg->message_id, r->ticket, &err) != HD_STORE_OK)
		goto fail_rb;
	{	/* the helpdesk's ticket number threads later mail to this ticket */
		char *hk = hd_helpdesk_thread_key(r->p, r->v->team, r->in->client_ip, r->msg->subject);
		int lrc = hk && r->ticket ? hd_store_link_message(s, hk, r->ticket, &err) : HD_STORE_OK;
		free(hk);
		if (lrc != HD_STORE_OK)
			goto fail_rb;
	}
	if (r->first_response_at && r->v->action == HD_VERDICT_ACCEPT &&
	    hd_store_ticket_first_response(s, r->ticket, r->first_response_at, r->agent->address, &err) != HD_STORE_OK)
		goto fail_rb;
	for (size_t i = 0; i < r->nexcs; i++)
		if (hd_store_exception_add(s, &r->excs[i], &err) != HD_STORE_OK)
			goto fail_rb;
	for (size_t i = 0; i < r->ndecisions; i++)
		if (hd_store_exception_decide(s, r->decisions[i].id, "approved", r->decisions[i].approver,
					      r->in->received, &err) != HD_STORE_OK)
			goto fail_rb;
	for (size_t i = 0; i < r->nrecs; i++) {
		struct hd_record rec = {
			.at = r->in->received, .kind = r->recs[i].kind, .queue_id = r->in->queue_id,
			.message_id = r->msg->message_id, .ticket = r->ticket,
			.team = r->v->team, .priority = r->v->priority,
			.agent = r->agent ? r->agent->address : NULL, .rule = r->recs[i].rule,
			.action = r->recs[i].action, .text = r->recs[i].text, .detail = r->recs[i].detail,
			.policy_name = r->p->name, .policy_version = r->p->version,
		};
		if (hd_store_append(s, &rec, &err) != HD_STORE_OK)
			goto fail_rb;
	}
	if (hd_store_commit(s, &err) != HD_STORE_OK)
		goto fail_rb;
	return 0;
fail_rb:
	hd_store_rollback(s);
fail:
	r->error = xasprintf("store: %s", err ? err : "write failed");
	free(err);
	return -1;
}

/* Release everything a run holds except the verdict. */
static void run_free(struct run *r)
{
	hd_message_deinit(&r->msg);
	free(r->sender);
	free(r->from_addr);
	free(r->alltext);
	hd_normtext_deinit(&r->nall);
	hd_normtext_deinit(&r->nsubject);
	free(r->ticket);
	if (r->have_stored)
		hd_ticket_free(&r->stored);
	for (size_t i = 0; i < r->nrecs; i++) {
		free(r->recs[i].kind);
		free(r->recs[i].rule);
		free(r->recs[i].action);
		free(r->recs[i].text);
		free(r->recs[i].detail);
	}
	free(r->recs);
	for (size_t i = 0; i < r->nexcs; i++)
		hd_exception_free(&r->excs[i]);
	free(r->excs);
	for (size_t i = 0; i < r->ndecisions; i++) {
		free(r->decisions[i].id);
		free(r->decisions[i].approver);
	}
	free(r->decisions);
}

/* Bare address out of a From: header value ("Name <a@b>" or "a@b"). */
static char *from_address(const char *from)
{
	const char *lt = from ? strrchr(from, '<') : NULL;
	if (lt) {
		const char *gt = strchr(lt, '>');
		char *raw = xstrndup(lt + 1, gt ? (size_t)(gt - lt - 1) : strlen(lt + 1));
		char *a = addr_normalise(raw);
		free(raw);
		return a;
	}
	return from && strchr(from, '@') ? addr_normalise(from) : NULL;
}

/* Decide one message. */
int hd_engine_run(const struct hd_engine *e, const struct hd_engine_input *in,
		  struct hd_verdict **verdict_r, char **error_r)
{
	struct run r;
	int rc = 0;

	memset(&r, 0, sizeof(r));
	r.e = e;
	r.p = e->policy;
	r.in = in;
	r.v = hd_verdict_new();
	if (r.p == NULL) {
		*error_r = xstrdup("no policy loaded");
		hd_verdict_deinit(&r.v);
		return -1;
	}
	r.msg = in->data ? hd_message_parse(in->data, in->len, e->limits)
			 : hd_message_parse_fd(in->fd, e->limits);
	r.sender = addr_normalise(in->mail_from);
	r.from_addr = from_address(r.msg->from);
	list_forged_headers(&r);

	r.agent = find_agent(&r);
	if (r.agent) {
		rc = run_outbound(&r);
	} else {
		for (size_t i = 0; i < in->nrcpts && i < e->limits->recipients && r.team == NULL; i++) {
			char *a = addr_normalise(in->rcpts[i]);
			if (a)
				r.team = hd_policy_team_for_mailbox(r.p, a);
			free(a);
		}
		if (r.team)
			rc = run_inbound(&r);
	}
	if (rc == 0 && r.v->direction != HD_DIR_OUT_OF_SCOPE) {
		finish_action(&r);
		rc = write_store(&r);
		hd_helpdesk_seal(e->seal, r.msg, r.v);
	}
	if (r.v->direction == HD_DIR_OUT_OF_SCOPE) {
		/* Out of scope: untouched, but forged X-Helpdesk-* headers still go. */
		sv_free(&r.v->headers_added);
		sv_init(&r.v->headers_added);
		hd_helpdesk_learn_thread(e->store, r.p, in->client_ip, r.msg);
	}
	if (rc < 0) {
		*error_r = r.error ? r.error : xstrdup("internal error");
		r.error = NULL;
		hd_verdict_deinit(&r.v);
	} else {
		*verdict_r = r.v;
	}
	free(r.error);
	run_free(&r);
	return rc;
}

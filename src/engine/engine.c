/*
 * engine - decides what happens to one message under the policy: direction
 * and scope (SPEC s.3), team, priority, ticket, SLA deadlines, escalation,
 * tone, authority, exceptions and approvals, hand-off checklist, first
 * response. Both helpdesk-milter and helpdeskctl call hd_engine_run(); there
 * is no second implementation of any decision. This file holds the run:
 * parse, pick the direction, call the decisions (one engine-*.c file each,
 * sharing engine-int.h) in their order, turn the findings into the MTA
 * action, and write to the store. Identity comes only from SMTP AUTH or a
 * trusted client's envelope sender, never from From:. Headers it writes are
 * built from the policy and its own decisions, never copied from the
 * message. Store writes happen here only, in one transaction at the end, so
 * a failure leaves nothing half-written.
 */
#include <config.h>
#include "engine-int.h"
#include "engine-helpdesk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HD_DETAIL_TEXT_MAX 80		/* bytes of matched text quoted in a header */
#define HD_REPLY_LINES_MAX 30		/* lines of a multi-line SMTP reply */
#define HD_RECORDS_MAX 256		/* audit records written for one message */

/* Queue an audit record (dropped past HD_RECORDS_MAX). */
void hd_engine_rec_add(struct run *r, const char *kind, const char *rule, const char *action,
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
void hd_engine_put_quoted(struct strbuf *sb, const char *s)
{
	size_t n = 0;

	sb_putc(sb, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p && n < HD_DETAIL_TEXT_MAX; p++, n++) {
		/* never cut a UTF-8 sequence in two: stop before one that does not fit */
		size_t seq = *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : *p >= 0xc0 ? 2 : 1;

		if (n + seq > HD_DETAIL_TEXT_MAX)
			break;
		if (*p < 0x20 || *p == '"' || *p == '\\' || *p == 0x7f)
			sb_putc(sb, ' ');
		else
			sb_putc(sb, (char)*p);
	}
	sb_putc(sb, '"');
}

/* Append s (may be NULL) with every control character as a space: what a
   sender wrote (a subject with CR, LF, ESC) must not shape the lines of a
   notice that notify_command reads. */
static void put_printable(struct strbuf *sb, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; p != NULL && *p; p++)
		sb_putc(sb, *p < 0x20 || *p == 0x7f ? ' ' : (char)*p);
}

/* The names of the sections that take `mode:`, by enum hd_section. */
static const char *const section_names[HD_SECTION_COUNT] = { "tone", "authority", "exceptions", "handoff" };

/* The policy section a finding kind belongs to; HD_SECTION_COUNT for none
   (approvals and limits are always enforced). */
static enum hd_section finding_section(const char *kind)
{
	static const char *const kinds[HD_SECTION_COUNT] = { "tone", "authority", "exception", "handoff" };

	for (int i = 0; i < HD_SECTION_COUNT; i++)
		if (strcmp(kind, kinds[i]) == 0)
			return (enum hd_section)i;
	return HD_SECTION_COUNT;
}

/* Add a finding with an action and keep the strongest action. This is the
   one place monitor mode acts: a finding of a monitored section that would
   refuse or hold is only tagged, and what enforce mode would have done is
   kept in the finding and in r->would. */
struct hd_finding *hd_engine_finding_add(struct run *r, const char *kind, const char *rule,
					 const char *text, enum hd_action act)
{
	struct hd_finding *f = hd_verdict_add_finding(r->v, kind, rule, text);
	enum hd_section sec = finding_section(kind);

	if (act > r->would)
		r->would = act;
	if (sec != HD_SECTION_COUNT && r->p->monitor[sec] && act >= HD_ACTION_HOLD) {
		f->would = xstrdup(hd_action_name(act));
		r->monitored[sec] = true;
		act = HD_ACTION_TAG;
	}
	f->action = xstrdup(hd_action_name(act));
	if (act > r->strongest)
		r->strongest = act;
	return f;
}

/* Monitor mode: when a monitored section softened the outcome, stamp and
   state what enforce mode would have done; the detail JSON for the record
   (NULL when enforce mode would have done the same). */
static char *monitor_note(struct run *r)
{
	struct strbuf h, d;
	bool any = false;

	if (r->would <= r->strongest)
		return NULL;
	sb_init(&h);
	sb_init(&d);
	sb_printf(&h, "%s; sections=", hd_action_name(r->would));
	sb_printf(&d, "{\"monitor\":{\"would\":\"%s\",\"sections\":[", hd_action_name(r->would));
	for (int i = 0; i < HD_SECTION_COUNT; i++) {
		if (!r->monitored[i])
			continue;
		sb_printf(&h, "%s%s", any ? "," : "", section_names[i]);
		sb_printf(&d, "%s\"%s\"", any ? "," : "", section_names[i]);
		any = true;
	}
	sb_puts(&d, "]}}");
	hd_verdict_add_header(r->v, "X-Helpdesk-Monitor", h.s);
	r->v->monitor_would = xstrdup(hd_action_name(r->would));
	sb_free(&h);
	return sb_steal(&d);
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

	if (hd_engine_resolve_ticket(r) < 0 || hd_engine_state_load(r) < 0)
		return -1;
	hd_engine_stamp_common(r);
	hd_verdict_add_header(r->v, "X-Helpdesk-Team", r->team->name);
	r->v->team = xstrdup(r->team->name);
	hd_engine_decide_priority(r);
	if (r->opening) {
		hd_engine_decide_sla(r);
		hd_engine_state_open(r);
	} else {
		hd_engine_state_inbound(r);
	}
	hd_engine_decide_escalation(r);
	hd_helpdesk_inbound(r->p, r->team->name, r->msg, r->in, r->opening, r->v);
	report_limits(r);
	hd_engine_rec_add(r, "inbound", hd_engine_priority_rule(r), "accept", r->msg->subject,
			  xasprintf("{\"opening\":%s}", r->opening ? "true" : "false"));
	return 0;
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
	if (hd_engine_resolve_ticket(r) < 0 || hd_engine_thread_requote(r) < 0 ||
	    hd_engine_state_load(r) < 0)
		return -1;
	if (r->have_stored) {
		r->v->team = xstrdup(r->stored.team);
		r->v->priority = xstrdup(r->stored.priority);
	}
	hd_engine_stamp_common(r);
	report_limits(r);
	if (approvals_only)
		return hd_engine_decide_approvals(r);
	hd_engine_decide_tone(r);
	if (hd_engine_decide_authority(r) < 0)
		return -1;
	hd_engine_decide_handoff(r);
	hd_engine_strip_exception_lines(r);
	if (r->strongest < HD_ACTION_HOLD)
		hd_engine_decide_first_response(r);
	if (r->strongest < HD_ACTION_HOLD)
		hd_engine_state_outbound(r);
	hd_engine_rec_add(r, "outbound", NULL,
			  r->strongest >= HD_ACTION_HOLD ? hd_action_name(r->strongest) : "accept",
			  r->msg->subject, monitor_note(r));
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
		sb_puts(&n, "Your message \"");
		put_printable(&n, r->msg->subject);
		sb_printf(&n, "\" on ticket %s was flagged under %s v%s:\n",
			  r->ticket ? r->ticket : "-", r->p->name, r->p->version);
		for (size_t i = 0; i < v->nfindings; i++)
			if (v->findings[i].action && strcmp(v->findings[i].action, "notify") == 0) {
				sb_puts(&n, "- \"");
				put_printable(&n, v->findings[i].text);
				sb_printf(&n, "\" (rule %s): ", v->findings[i].rule);
				put_printable(&n, v->findings[i].suggest);
				sb_putc(&n, '\n');
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
	bool sent = r->v->action == HD_VERDICT_ACCEPT || r->v->action == HD_VERDICT_HOLD;

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
	if (r->v->direction == HD_DIR_INBOUND && r->ticket &&
	    hd_engine_thread_record(r, &err) != HD_STORE_OK)
		goto fail_rb;
	if (r->first_response_at && r->v->action == HD_VERDICT_ACCEPT &&
	    hd_store_ticket_first_response(s, r->ticket, r->first_response_at, r->agent->address, &err) != HD_STORE_OK)
		goto fail_rb;
	if (r->write_state && (r->v->direction == HD_DIR_INBOUND || r->v->action == HD_VERDICT_ACCEPT) &&
	    hd_store_ticket_state_put(s, &r->st, &err) != HD_STORE_OK)
		goto fail_rb;
	for (size_t i = 0; i < r->nexcs; i++)
		if (hd_store_exception_add(s, &r->excs[i], &err) != HD_STORE_OK)
			goto fail_rb;
	for (size_t i = 0; i < r->ndecisions; i++) {
		struct hd_record why = {
			.queue_id = r->in->queue_id, .message_id = r->msg->message_id,
			.text = "approved", .detail = r->decisions[i].detail,
			.policy_name = r->p->name, .policy_version = r->p->version,
		};
		if (hd_store_exception_decide(s, r->decisions[i].id, "approved", r->decisions[i].approver,
					      r->in->received, &why, &err) != HD_STORE_OK)
			goto fail_rb;
	}
	/* An approval allows one send (SPEC s.6): used up only when the reply
	   goes out, and only once even when two copies race. */
	for (size_t i = 0; i < r->consumes.n && sent; i++) {
		struct hd_record why = {
			.queue_id = r->in->queue_id, .message_id = r->msg->message_id,
			.text = "approval used by this send",
			.policy_name = r->p->name, .policy_version = r->p->version,
		};
		int crc = hd_store_exception_consume(s, r->consumes.v[i], r->agent->address,
						     r->in->received, &why, &err);
		if (crc == HD_STORE_ERROR)
			goto fail_rb;
		if (crc == HD_STORE_NOT_FOUND) {
			err = xasprintf("approval %s was used by another send meanwhile; "
					"send the reply again", r->consumes.v[i]);
			goto fail_rb;
		}
	}
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
	for (size_t i = 0; r->own_text != NULL && r->msg != NULL && i < r->msg->nparts; i++)
		free(r->own_text[i]);
	free(r->own_text);
	hd_message_deinit(&r->msg);
	free(r->sender);
	free(r->alltext);
	hd_normtext_deinit(&r->nall);
	hd_normtext_deinit(&r->nsubject);
	free(r->cond_hits);
	free(r->ticket);
	if (r->have_stored)
		hd_ticket_free(&r->stored);
	hd_ticket_state_free(&r->st);
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
		free(r->decisions[i].detail);
	}
	free(r->decisions);
	sv_free(&r->consumes);
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
	hd_engine_list_forged_headers(&r);

	r.agent = hd_engine_find_agent(&r);
	if (r.agent) {
		rc = run_outbound(&r);
	} else {
		r.team = hd_engine_find_team(&r);
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

/*
 * verdict - holds one message's decision and writes it as the SPEC s.8 JSON.
 * A verdict copies every string it keeps, so it never points into a policy
 * that a reload may free. It must never decide anything itself.
 */
#include <config.h>
#include "verdict.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Name of a direction as in the JSON. */
const char *hd_direction_name(enum hd_direction d)
{
	switch (d) {
	case HD_DIR_INBOUND: return "inbound";
	case HD_DIR_OUTBOUND: return "outbound";
	default: return "out-of-scope";
	}
}

/* Name of an MTA action as in the JSON. */
const char *hd_verdict_action_name(enum hd_verdict_action a)
{
	switch (a) {
	case HD_VERDICT_REJECT: return "reject";
	case HD_VERDICT_TEMPFAIL: return "tempfail";
	case HD_VERDICT_HOLD: return "hold";
	case HD_VERDICT_DISCARD: return "discard";
	default: return "accept";
	}
}

/* A new, empty accept verdict. */
struct hd_verdict *hd_verdict_new(void)
{
	struct hd_verdict *v = xcalloc(1, sizeof(*v));

	v->direction = HD_DIR_OUT_OF_SCOPE;
	v->action = HD_VERDICT_ACCEPT;
	sv_init(&v->reply_lines);
	sv_init(&v->headers_removed);
	sv_init(&v->headers_added);
	sv_init(&v->recipients_added);
	sv_init(&v->headers_inserted);
	sv_init(&v->recipients_removed);
	return v;
}

/* Free a finding's strings. */
static void finding_free(struct hd_finding *f)
{
	free(f->kind);
	free(f->rule);
	free(f->text);
	free(f->suggest);
	free(f->action);
	free(f->id);
	free(f->detail);
	free(f->would);
}

/* Free a verdict and clear the caller's pointer. */
void hd_verdict_deinit(struct hd_verdict **vp)
{
	struct hd_verdict *v = *vp;

	if (v == NULL)
		return;
	sv_free(&v->reply_lines);
	sv_free(&v->headers_removed);
	sv_free(&v->headers_added);
	sv_free(&v->recipients_added);
	sv_free(&v->headers_inserted);
	sv_free(&v->recipients_removed);
	for (size_t i = 0; i < v->nfindings; i++)
		finding_free(&v->findings[i]);
	free(v->findings);
	free(v->team);
	free(v->priority);
	free(v->ticket);
	free(v->agent);
	free(v->hold_reason);
	free(v->monitor_would);
	free(v->notify_text);
	free(v->notify_to);
	free(v->body);
	free(v);
	*vp = NULL;
}

/* Queue a header to add. */
void hd_verdict_add_header(struct hd_verdict *v, const char *name, const char *value)
{
	sv_push(&v->headers_added, name);
	sv_push(&v->headers_added, value);
}

/* Append a finding and return it for optional fields. */
struct hd_finding *hd_verdict_add_finding(struct hd_verdict *v, const char *kind,
					  const char *rule, const char *text)
{
	struct hd_finding *f;

	if (v->nfindings == v->findings_cap) {
		v->findings_cap = v->findings_cap ? v->findings_cap * 2 : 8;
		v->findings = xrealloc(v->findings, v->findings_cap * sizeof(*v->findings));
	}
	f = &v->findings[v->nfindings++];
	memset(f, 0, sizeof(*f));
	f->kind = xstrdup(kind);
	f->rule = xstrdup(rule);
	f->text = xstrdup(text);
	return f;
}

/* Set the SMTP reply code and enhanced status code. */
void hd_verdict_set_reply(struct hd_verdict *v, const char *code, const char *xcode)
{
	v->has_reply = true;
	snprintf(v->reply_code, sizeof(v->reply_code), "%s", code);
	snprintf(v->reply_xcode, sizeof(v->reply_xcode), "%s", xcode);
}

/* The verdict for an internal failure under the configured on_failure. */
struct hd_verdict *hd_verdict_failure(bool tempfail, const char *reason)
{
	struct hd_verdict *v = hd_verdict_new();

	if (tempfail) {
		v->action = HD_VERDICT_TEMPFAIL;
		hd_verdict_set_reply(v, "451", "4.3.0");
		sv_push_owned(&v->reply_lines,
			      xasprintf("helpdesk-milter: temporary failure: %s; please retry", reason));
	}
	hd_verdict_add_finding(v, "failure", "on_failure", reason)->action =
		xstrdup(tempfail ? "tempfail" : "accept");
	return v;
}

/* Append s as a JSON string literal (UTF-8 passes through; controls escaped). */
void hd_json_string(struct strbuf *sb, const char *s)
{
	if (s == NULL) {
		sb_puts(sb, "null");
		return;
	}
	sb_putc(sb, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': sb_puts(sb, "\\\""); break;
		case '\\': sb_puts(sb, "\\\\"); break;
		case '\n': sb_puts(sb, "\\n"); break;
		case '\r': sb_puts(sb, "\\r"); break;
		case '\t': sb_puts(sb, "\\t"); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				sb_printf(sb, "\\u%04x", *p);
			else
				sb_putc(sb, (char)*p);
		}
	}
	sb_putc(sb, '"');
}

/* Append a JSON array of strings. */
static void json_strvec(struct strbuf *sb, const struct strvec *sv)
{
	sb_putc(sb, '[');
	for (size_t i = 0; i < sv->n; i++) {
		if (i)
			sb_putc(sb, ',');
		hd_json_string(sb, sv->v[i]);
	}
	sb_putc(sb, ']');
}

/* [["name","value"],...] of a name, value, ... vector. */
static void json_pairs(struct strbuf *sb, const struct strvec *sv)
{
	sb_putc(sb, '[');
	for (size_t i = 0; i + 1 < sv->n; i += 2) {
		if (i)
			sb_putc(sb, ',');
		sb_putc(sb, '[');
		hd_json_string(sb, sv->v[i]);
		sb_putc(sb, ',');
		hd_json_string(sb, sv->v[i + 1]);
		sb_putc(sb, ']');
	}
	sb_putc(sb, ']');
}

/* Append ,"key":value for an optional string field (omitted when NULL). */
static void json_opt(struct strbuf *sb, const char *key, const char *val)
{
	if (val == NULL)
		return;
	sb_printf(sb, ",\"%s\":", key);
	hd_json_string(sb, val);
}

/* Serialise the verdict as the SPEC s.8 JSON object. */
char *hd_verdict_to_json(const struct hd_verdict *v)
{
	struct strbuf sb;

	sb_init(&sb);
	sb_printf(&sb, "{\"direction\":\"%s\",\"action\":\"%s\",\"smtp_reply\":",
		  hd_direction_name(v->direction), hd_verdict_action_name(v->action));
	if (v->has_reply) {
		sb_puts(&sb, "{\"code\":");
		hd_json_string(&sb, v->reply_code);
		sb_puts(&sb, ",\"xcode\":");
		hd_json_string(&sb, v->reply_xcode);
		sb_puts(&sb, ",\"lines\":");
		json_strvec(&sb, &v->reply_lines);
		sb_putc(&sb, '}');
	} else {
		sb_puts(&sb, "null");
	}
	sb_puts(&sb, ",\"team\":");
	hd_json_string(&sb, v->team);
	sb_puts(&sb, ",\"priority\":");
	hd_json_string(&sb, v->priority);
	sb_puts(&sb, ",\"ticket\":");
	hd_json_string(&sb, v->ticket);
	sb_puts(&sb, ",\"agent\":");
	hd_json_string(&sb, v->agent);
	sb_puts(&sb, ",\"headers_removed\":");
	json_strvec(&sb, &v->headers_removed);
	sb_puts(&sb, ",\"headers_added\":");
	json_pairs(&sb, &v->headers_added);
	sb_puts(&sb, ",\"recipients_added\":");
	json_strvec(&sb, &v->recipients_added);
	sb_puts(&sb, ",\"findings\":[");
	for (size_t i = 0; i < v->nfindings; i++) {
		const struct hd_finding *f = &v->findings[i];
		if (i)
			sb_putc(&sb, ',');
		sb_puts(&sb, "{\"kind\":");
		hd_json_string(&sb, f->kind);
		json_opt(&sb, "rule", f->rule);
		json_opt(&sb, "text", f->text);
		json_opt(&sb, "suggest", f->suggest);
		json_opt(&sb, "action", f->action);
		json_opt(&sb, "id", f->id);
		json_opt(&sb, "detail", f->detail);
		json_opt(&sb, "would", f->would);
		if (f->line > 0)
			sb_printf(&sb, ",\"line\":%d", f->line);
		sb_putc(&sb, '}');
	}
	sb_putc(&sb, ']');
	json_opt(&sb, "hold_reason", v->hold_reason);
	if (v->headers_inserted.n) {
		sb_puts(&sb, ",\"headers_inserted\":");
		json_pairs(&sb, &v->headers_inserted);
	}
	if (v->recipients_removed.n) {
		sb_puts(&sb, ",\"recipients_removed\":");
		json_strvec(&sb, &v->recipients_removed);
	}
	json_opt(&sb, "monitor_would", v->monitor_would);
	if (v->body)
		sb_puts(&sb, ",\"body_replaced\":true");
	sb_putc(&sb, '}');
	return sb_steal(&sb);
}

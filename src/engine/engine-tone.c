/*
 * engine-tone - scans the subject and the agent's own words of every text
 * part of an outbound reply for the policy's tone phrases (quoted history
 * is not the agent's and is not scanned). Each hit becomes a finding with
 * its action and suggestion; a multipart/alternative twin counts once.
 * A hit only in text the quote split is unsure of is tagged (engine-quote.c).
 * Text below a "-- " signature is the agent's and is scanned.
 * Must never scan quoted history when the split is certain.
 */
#include <config.h>
#include "engine-int.h"
#include "tone.h"

#include <stdlib.h>
#include <string.h>

/* Tone: scan the subject and the agent's own words of every text part. */
void hd_engine_decide_tone(struct run *r)
{
	struct strbuf rules, unsure_rules;
	struct strvec seen;
	size_t max = r->e->limits->findings;

	sb_init(&rules);
	sb_init(&unsure_rules);
	sv_init(&seen);
	for (size_t pi = 0; pi <= r->msg->nparts; pi++) {
		/* the agent's own words include the signature (engine-amounts.c) */
		const char *text = pi == 0 ? r->msg->subject : hd_engine_own_text(r, pi - 1);
		struct hd_tone_hit *hits = NULL, *certain = NULL;
		size_t n, ncertain = 0;
		bool split_unsure;

		if (pi > 0 && r->msg->parts[pi - 1].quote_uncertain)
			hd_verdict_add_finding(r->v, "quote", "uncertain-split",
					       "quoted history could not be told apart with certainty; findings only in that part are tagged")
				->action = xstrdup("accept");
		if (text == NULL || r->p->tone == NULL)
			continue;
		n = hd_tone_scan(r->p, text, strlen(text), max, &hits);
		split_unsure = n > 0 && hd_engine_tone_certain(r, pi == 0 ? NULL : &r->msg->parts[pi - 1],
							       &certain, &ncertain);
		for (size_t i = 0; i < n; i++) {
			char *key = xasprintf("%s|%s", hits[i].phrase->id, hits[i].text);
			str_lower(key);
			if (sv_contains_ci(&seen, key)) {	/* multipart/alternative twins */
				free(key);
				continue;
			}
			sv_push_owned(&seen, key);
			bool unsure = split_unsure && !hd_engine_tone_phrase_in(certain, ncertain, &hits[i]);
			enum hd_action act = unsure && hits[i].action > HD_ACTION_TAG ? HD_ACTION_TAG
										 : hits[i].action;
			struct hd_finding *f = hd_engine_finding_add(r, "tone", hits[i].phrase->id, hits[i].text, act);
			f->suggest = xstrdup(hits[i].phrase->suggest);
			f->line = pi == 0 ? 0 : hits[i].line;
			if (pi == 0)
				f->detail = xstrdup("in=subject");
			if (unsure) {
				f->detail = xstrdup("in=uncertain-quote; why=" HD_ENGINE_UNSURE_WHY);
				if (strstr(unsure_rules.s, hits[i].phrase->id) == NULL) {
					if (unsure_rules.len)
						sb_putc(&unsure_rules, ',');
					sb_puts(&unsure_rules, hits[i].phrase->id);
				}
			}
			if (strstr(rules.s, hits[i].phrase->id) == NULL) {
				if (rules.len)
					sb_putc(&rules, ',');
				sb_puts(&rules, hits[i].phrase->id);
			}
			struct strbuf detail;
			sb_init(&detail);
			sb_printf(&detail, "{\"line\":%d,\"suggest\":", f->line);
			hd_json_string(&detail, hits[i].phrase->suggest);
			if (unsure)
				sb_puts(&detail, ",\"uncertain_quote\":true,\"why\":\"" HD_ENGINE_UNSURE_WHY "\"");
			sb_putc(&detail, '}');
			hd_engine_rec_add(r, "tone", hits[i].phrase->id, hd_action_name(act), hits[i].text,
				sb_steal(&detail));
			sb_free(&detail);
		}
		hd_tone_hits_free(hits, n);
		hd_tone_hits_free(certain, ncertain);
	}
	if (rules.len && unsure_rules.len) {
		char *h = xasprintf("flagged; rules=%s; tagged=%s; reason=uncertain-quote-split",
				    rules.s, unsure_rules.s);
		hd_verdict_add_header(r->v, "X-Helpdesk-Tone", h);
		free(h);
	} else if (rules.len) {
		char *h = xasprintf("flagged; rules=%s", rules.s);
		hd_verdict_add_header(r->v, "X-Helpdesk-Tone", h);
		free(h);
	} else {
		hd_verdict_add_header(r->v, "X-Helpdesk-Tone", "clean");
	}
	sb_free(&rules);
	sb_free(&unsure_rules);
	sv_free(&seen);
}

/*
 * engine-quote - what the thread and the quote split mean for a run: an
 * inbound message leaves the hashes of the customer's lines on its ticket;
 * an outbound reply on a known ticket is split again with them, so that the
 * customer's pasted words count as quoted; and a tone phrase or an amount
 * found only in the part the split is unsure of is tagged, never refused or
 * counted. Must never store the customer's text, and never soften a finding
 * in text that is certainly the agent's.
 */
#include <config.h>
#include "engine-int.h"
#include "store-fingerprint.h"
#include "tone.h"
#include "amount.h"

#include <stdlib.h>
#include <string.h>

/* Public entry: see engine-int.h. */
int hd_engine_thread_record(struct run *r, char **err_r)
{
	int rc = HD_STORE_OK;

	for (size_t i = 0; i < r->msg->nparts && rc == HD_STORE_OK; i++) {
		const char *t = r->msg->parts[i].agent_text;
		uint32_t *h = NULL;
		size_t n = t != NULL ? hd_quote_fingerprint(t, strlen(t), &h) : 0;
		rc = hd_store_thread_add(r->e->store, r->ticket, h, n, err_r);
		free(h);
	}
	return rc;
}

/* Public entry: see engine-int.h. */
int hd_engine_thread_requote(struct run *r)
{
	uint32_t *h = NULL;
	size_t n = 0;
	char *err = NULL;

	if (r->e->store == NULL || !r->have_stored)
		return 0;
	if (hd_store_thread_get(r->e->store, r->ticket, &h, &n, &err) != HD_STORE_OK) {
		r->error = xasprintf("store: %s", err ? err : "thread lookup failed");
		free(err);
		return -1;
	}
	if (n > 0) {
		struct hd_quote_thread t = { h, n };
		hd_message_requote(r->msg, &t);
	}
	free(h);
	return 0;
}

/* Public entry: see engine-int.h. */
bool hd_engine_tone_certain(struct run *r, const struct hd_textpart *tp,
			    struct hd_tone_hit **hits_r, size_t *n_r)
{
	*hits_r = NULL;
	*n_r = 0;
	if (tp == NULL || !tp->quote_uncertain || tp->agent_certain == NULL || r->p->tone == NULL)
		return false;
	*n_r = hd_tone_scan(r->p, tp->agent_certain, strlen(tp->agent_certain),
			    r->e->limits->findings, hits_r);
	return true;
}

/* Public entry: see engine-int.h. */
bool hd_engine_tone_phrase_in(const struct hd_tone_hit *hits, size_t n,
			      const struct hd_tone_hit *hit)
{
	for (size_t i = 0; i < n; i++)
		if (hits[i].phrase == hit->phrase)
			return true;
	return false;
}

/* Public entry: see engine-int.h. */
size_t hd_engine_amounts_unsure(struct run *r, const struct hd_textpart *tp,
				struct hd_amount **unsure_r)
{
	struct hd_amount *all = NULL, *certain = NULL, *unsure = NULL;
	size_t n, nc, nu = 0;
	bool *used;

	*unsure_r = NULL;
	if (!tp->quote_uncertain || tp->agent_certain == NULL)
		return 0;
	n = hd_amount_scan(tp->agent_text ? tp->agent_text : "", r->p->currency, &all);
	nc = hd_amount_scan(tp->agent_certain, r->p->currency, &certain);
	used = xcalloc(nc + 1, sizeof(*used));
	unsure = xcalloc(n + 1, sizeof(*unsure));
	for (size_t i = 0; i < n; i++) {
		bool is_certain = false;

		for (size_t k = 0; k < nc && !is_certain; k++)
			if (!used[k] && strcmp(certain[k].text, all[i].text) == 0)
				is_certain = used[k] = true;
		if (is_certain)
			continue;
		struct hd_finding *f = hd_verdict_add_finding(r->v, "authority", "uncertain-quote",
							      all[i].text);
		f->action = xstrdup(hd_action_name(HD_ACTION_TAG));
		f->detail = xstrdup("in=uncertain-quote; why=" HD_ENGINE_UNSURE_WHY "; not counted");
		hd_engine_rec_add(r, "authority", "uncertain-quote", "tag", all[i].text,
				  xstrdup("{\"uncertain_quote\":true,\"why\":\"" HD_ENGINE_UNSURE_WHY "\"}"));
		unsure[nu] = all[i];
		unsure[nu++].text = xstrdup(all[i].text);
	}
	free(used);
	hd_amounts_free(all, n);
	hd_amounts_free(certain, nc);
	*unsure_r = unsure;
	return nu;
}

/*
 * engine-thread - which ticket a message belongs to (subject tag, the
 * store's thread links, else an id derived from the thread root) and
 * whether it opens it; the first agent reply on a ticket, met or breached
 * against the first-response target. Must never open a ticket the store
 * already knows.
 */
#include <config.h>
#include "engine-int.h"
#include "engine-helpdesk.h"
#include "ticket.h"
#include "calendar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Message-ids (In-Reply-To and the newest References) looked up in the store. */
#define HD_THREAD_IDS_MAX (3 + 64)	/* helpdesk key, In-Reply-To, References */

/* "1h30m" style rendering of minutes. */
void hd_engine_fmt_minutes(long minutes, char buf[32])
{
	if (minutes >= 60 && minutes % 60)
		snprintf(buf, 32, "%ldh%02ldm", minutes / 60, minutes % 60);
	else if (minutes >= 60)
		snprintf(buf, 32, "%ldh", minutes / 60);
	else
		snprintf(buf, 32, "%ldm", minutes);
}

/* Resolve the ticket: subject tag, the store's thread links, else the root id. */
int hd_engine_resolve_ticket(struct run *r)
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
		const char *ids[HD_THREAD_IDS_MAX];
		size_t n = 0;
		char *hk = hd_helpdesk_thread_key(r->p, r->team ? r->team->name : NULL,
						  r->in->client_ip, m->subject);
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
void hd_engine_stamp_common(struct run *r)
{
	char *v = xasprintf("%s v%s", r->p->name, r->p->version);
	hd_verdict_add_header(r->v, "X-Helpdesk-Policy", v);
	free(v);
	hd_verdict_add_header(r->v, "X-Helpdesk-Ticket", r->ticket);
	r->v->ticket = xstrdup(r->ticket);
}

/* Whether the reply goes to the ticket's customer (an envelope recipient):
   an agent mail with the ticket's references to a colleague, an escalation
   contact or themselves is no response to the customer. A ticket stored
   without a customer (an empty envelope sender) takes any reply. */
static bool to_customer(const struct run *r)
{
	const char *customer = r->stored.customer;

	if (customer == NULL || customer[0] == '\0')
		return true;
	for (size_t i = 0; i < r->in->nrcpts; i++) {
		char *rc = addr_normalise(r->in->rcpts[i]);
		bool hit = rc != NULL && strcasecmp(rc, customer) == 0;

		free(rc);
		if (hit)
			return true;
	}
	return false;
}

/* First agent reply on a ticket: met or breached against the target. */
void hd_engine_decide_first_response(struct run *r)
{
	const struct hd_team *team;
	const struct hd_priority *prio;
	const struct hd_sla_target *t;
	long elapsed, target;
	char eb[32], tb[32], due[32];
	bool met;

	if (!r->have_stored || r->stored.first_response_at != 0 || !to_customer(r))
		return;
	team = hd_policy_team(r->p, r->stored.team ? r->stored.team : "");
	prio = hd_policy_priority(r->p, r->stored.priority ? r->stored.priority : "");
	t = hd_policy_sla(r->p, "email", prio);
	if (team == NULL || team->calendar == NULL || t == NULL)
		return;
	elapsed = hd_calendar_elapsed(team->calendar, r->stored.opened, r->in->received, t->wall) / 60;
	target = t->first_response;
	met = r->stored.first_response_due ? r->in->received <= r->stored.first_response_due : elapsed <= target;
	hd_engine_fmt_minutes(elapsed, eb);
	hd_engine_fmt_minutes(target, tb);
	if (r->stored.first_response_due)
		time_format_utc(r->stored.first_response_due, due);
	else
		snprintf(due, sizeof(due), "unknown");
	char *h = xasprintf("%s; elapsed=%s; target=%s; due=%s; priority=%s", met ? "met" : "breached",
			    eb, tb, due, prio->name);
	hd_verdict_add_header(r->v, "X-Helpdesk-First-Response", h);
	hd_engine_rec_add(r, "sla", "first-response", met ? "met" : "breached", h,
		xasprintf("{\"elapsed_minutes\":%ld,\"target_minutes\":%ld}", elapsed, target));
	free(h);
	r->first_response_at = r->in->received;
}

/*
 * engine-state - ticket life (SPEC s.11): the state an agent sets with a
 * `#status pending|resolved` line or an X-Helpdesk-Status-Request header, a
 * customer message reopening a pending or resolved ticket, the pause of the
 * resolution clock in the states the policy names (pause_on), the
 * resolution due time that moves and is stamped again on the next message,
 * the next-reply clock each customer follow-up starts and the agent's answer
 * stops (met or breached), and resolution attainment. Every change is a
 * `state` record; attainments are `sla` records. Times count on the team
 * calendar unless the target says clock: wall. Must never write to the store
 * (engine.c writes r->st in the message's transaction) and never change the
 * state of a message that is refused or held.
 */
#include <config.h>
#include "engine-int.h"
#include "calendar.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The team calendar and SLA target of the stored ticket; false when none. */
static bool state_clock(struct run *r, const struct hd_calendar **cal_r,
			const struct hd_sla_target **t_r)
{
	const struct hd_team *team = hd_policy_team(r->p, r->stored.team ? r->stored.team : "");
	const struct hd_priority *prio = hd_policy_priority(r->p, r->stored.priority ?
							    r->stored.priority : "");

	*cal_r = team ? team->calendar : NULL;
	*t_r = hd_policy_sla(r->p, "email", prio);
	return *cal_r != NULL && *t_r != NULL;
}

/* "2h05m" style rendering of seconds (rounded down to minutes). */
static void fmt_seconds(long seconds, char buf[32])
{
	hd_engine_fmt_minutes(seconds / 60, buf);
}

/* Read the ticket's state; a ticket from before states is open since it opened. */
int hd_engine_state_load(struct run *r)
{
	char *err = NULL;
	int rc;

	if (!r->have_stored || r->e->store == NULL)
		return 0;
	rc = hd_store_ticket_state_get(r->e->store, r->ticket, &r->st, &err);
	if (rc == HD_STORE_ERROR) {
		r->error = xasprintf("store: %s", err ? err : "ticket state read failed");
		free(err);
		return -1;
	}
	if (rc == HD_STORE_NOT_FOUND) {
		r->st.id = xstrdup(r->ticket);
		r->st.state = HD_STATE_OPEN;
		r->st.since = r->stored.opened;
		r->st.resolution_due = r->stored.resolution_due;
		r->st.stamped_due = r->stored.resolution_due;
	}
	r->have_state = true;
	return 0;
}

/* A ticket being opened starts open, its resolution due as stamped. */
void hd_engine_state_open(struct run *r)
{
	memset(&r->st, 0, sizeof(r->st));
	r->st.id = xstrdup(r->ticket);
	r->st.state = HD_STATE_OPEN;
	r->st.since = r->in->received;
	r->st.resolution_due = r->newticket.resolution_due;
	r->st.stamped_due = r->newticket.resolution_due;
	r->have_state = true;
	r->write_state = true;
}

/* Move the ticket to state `to` at the message's time: the time since the
   last change counts toward resolution or is paused, and leaving a paused
   state moves the resolution due time. Records kind state. */
static void state_change(struct run *r, int to, const char *why)
{
	const struct hd_calendar *cal;
	const struct hd_sla_target *t;
	time_t now = r->in->received;
	int from = r->st.state;
	bool was_paused, have = state_clock(r, &cal, &t);
	long spent;
	char pb[32], since[32];

	if (to == from)
		return;
	was_paused = have && (t->pause_on & (1u << from));
	spent = have ? hd_calendar_elapsed(cal, r->st.since, now, t->wall) : 0;
	if (was_paused)
		r->st.paused += spent;
	else
		r->st.counted += spent;	/* a state the policy does not pause counts */
	r->st.state = to;
	r->st.since = now;
	if (to == HD_STATE_OPEN && was_paused) {
		time_t due;
		long left = t->resolution * 60L - r->st.counted;

		if (hd_calendar_add_seconds(cal, now, left > 0 ? left : 0, t->wall, &due))
			r->st.resolution_due = due;
	}
	if (to == HD_STATE_RESOLVED)
		r->st.resolved_at = now;
	else if (from == HD_STATE_RESOLVED)
		r->st.resolved_at = 0;
	if (to != HD_STATE_OPEN) {
		r->st.next_reply_from = 0;
		r->st.next_reply_due = 0;
	}
	r->write_state = true;
	fmt_seconds(r->st.paused, pb);
	time_format_utc(now, since);
	char *h = xasprintf("%s; since=%s; paused=%s", hd_ticket_state_name(to), since, pb);
	hd_verdict_add_header(r->v, "X-Helpdesk-State", h);
	r->state_stamped = true;
	hd_engine_rec_add(r, "state", why, hd_ticket_state_name(to), h,
		xasprintf("{\"from\":\"%s\",\"to\":\"%s\",\"paused_seconds\":%ld,"
			  "\"counted_seconds\":%ld}", hd_ticket_state_name(from),
			  hd_ticket_state_name(to), r->st.paused, r->st.counted));
	free(h);
}

/* X-Helpdesk-State on a message of a ticket not open, unless a change stamped it. */
static void state_stamp_current(struct run *r)
{
	char pb[32], since[32];

	if (r->st.state == HD_STATE_OPEN || r->state_stamped)
		return;
	fmt_seconds(r->st.paused, pb);
	time_format_utc(r->st.since, since);
	char *h = xasprintf("%s; since=%s; paused=%s", hd_ticket_state_name(r->st.state), since, pb);
	hd_verdict_add_header(r->v, "X-Helpdesk-State", h);
	free(h);
}

/* Stamp the resolution due time again when a pause moved it. */
static void state_stamp_moved_due(struct run *r)
{
	char buf[32];

	if (r->st.state != HD_STATE_OPEN || r->st.resolution_due == 0 ||
	    r->st.resolution_due == r->st.stamped_due)
		return;
	time_format_utc(r->st.resolution_due, buf);
	hd_verdict_add_header(r->v, "X-Helpdesk-Resolution-Due", buf);
	r->st.stamped_due = r->st.resolution_due;
	r->write_state = true;
}

/* Customer message on a known ticket: reopen, start the next-reply clock,
   stamp a moved resolution due time. */
void hd_engine_state_inbound(struct run *r)
{
	const struct hd_calendar *cal;
	const struct hd_sla_target *t;
	char buf[32];

	if (!r->have_state || r->opening)
		return;
	if (r->st.state != HD_STATE_OPEN)
		state_change(r, HD_STATE_OPEN, "customer-reply");
	state_stamp_moved_due(r);
	state_stamp_current(r);
	if (r->stored.first_response_at == 0 || r->st.next_reply_from != 0 ||
	    !state_clock(r, &cal, &t) || t->next_reply <= 0)
		return;
	if (!hd_calendar_add(cal, r->in->received, t->next_reply, t->wall, &r->st.next_reply_due))
		return;
	r->st.next_reply_from = r->in->received;
	r->write_state = true;
	time_format_utc(r->st.next_reply_due, buf);
	hd_verdict_add_header(r->v, "X-Helpdesk-Next-Reply-Due", buf);
}

/* The state the agent asks for: X-Helpdesk-Status-Request or a #status line
   in the agent's own text; -1 when none, -2 when unknown (*bad_r names it). */
static int state_requested(struct run *r, char **bad_r)
{
	const struct hd_header *h = hd_message_header(r->msg, "X-Helpdesk-Status-Request");
	char word[32];

	*bad_r = NULL;
	word[0] = '\0';
	if (h != NULL)
		sscanf(h->value, " %31[A-Za-z]", word);
	for (size_t pi = 0; word[0] == '\0' && pi < r->msg->nparts; pi++)
		for (const char *l = r->msg->parts[pi].agent_text; l && *l && word[0] == '\0';) {
			/* the one rule for control lines (engine-exception-lines.c) */
			const char *eol = strchr(l, '\n'), *args;
			size_t len = eol ? (size_t)(eol - l) : strlen(l), alen;
			const char *cw = hd_engine_control_line(l, len, &args, &alen);

			if (cw != NULL && strcmp(cw, "status") == 0) {
				char *a = xstrndup(args, alen);

				if (sscanf(a, " %31[A-Za-z]", word) != 1)
					snprintf(word, sizeof(word), "?");
				free(a);
			}
			l = eol ? eol + 1 : NULL;
		}
	if (word[0] == '\0')
		return -1;
	int st = hd_ticket_state_parse(word);
	if (st != HD_STATE_PENDING && st != HD_STATE_RESOLVED) {
		*bad_r = xstrdup(word);
		return -2;
	}
	return st;
}

/* Resolution attainment on a resolving reply. */
static void state_resolution(struct run *r)
{
	const struct hd_calendar *cal;
	const struct hd_sla_target *t;
	char eb[32], pb[32], due[32];
	bool met;

	if (!state_clock(r, &cal, &t))
		return;
	/* open time counted against the target: paused time never counts */
	met = r->st.counted <= t->resolution * 60L;
	fmt_seconds(r->st.counted, eb);
	fmt_seconds(r->st.paused, pb);
	if (r->st.resolution_due)
		time_format_utc(r->st.resolution_due, due);
	else
		snprintf(due, sizeof(due), "unknown");
	char *h = xasprintf("%s; elapsed=%s; paused=%s; due=%s", met ? "met" : "breached", eb,
			    pb, due);
	hd_verdict_add_header(r->v, "X-Helpdesk-Resolution", h);
	hd_engine_rec_add(r, "sla", "resolution", met ? "met" : "breached", h,
		xasprintf("{\"elapsed_seconds\":%ld,\"paused_seconds\":%ld,\"target_minutes\":%ld}",
			  r->st.counted, r->st.paused, t->resolution));
	free(h);
}

/* Agent reply: answer a running next-reply clock, apply a status request,
   stamp a moved resolution due time. */
void hd_engine_state_outbound(struct run *r)
{
	const struct hd_calendar *cal;
	const struct hd_sla_target *t;
	char *bad = NULL;
	int want;

	if (!r->have_state)
		return;
	want = state_requested(r, &bad);
	if (want == -2) {
		char *text = xasprintf("unknown #status '%s'", bad);
		hd_engine_finding_add(r, "state", "status-request", text, HD_ACTION_REJECT)
			->suggest = xstrdup("write #status pending or #status resolved");
		free(text);
		free(bad);
		return;
	}
	if (r->st.next_reply_from != 0 && state_clock(r, &cal, &t)) {
		long elapsed = hd_calendar_elapsed(cal, r->st.next_reply_from, r->in->received,
						   t->wall);
		bool met = r->in->received <= r->st.next_reply_due;
		char eb[32], tb[32], due[32];

		fmt_seconds(elapsed, eb);
		fmt_seconds(t->next_reply * 60L, tb);
		time_format_utc(r->st.next_reply_due, due);
		char *h = xasprintf("%s; elapsed=%s; target=%s; due=%s", met ? "met" : "breached",
				    eb, tb, due);
		hd_verdict_add_header(r->v, "X-Helpdesk-Next-Reply", h);
		hd_engine_rec_add(r, "sla", "next-reply", met ? "met" : "breached", h,
			xasprintf("{\"elapsed_seconds\":%ld,\"target_minutes\":%ld}", elapsed,
				  t->next_reply));
		free(h);
		r->st.next_reply_from = 0;
		r->st.next_reply_due = 0;
		r->write_state = true;
	}
	if (want >= 0 && want != r->st.state) {
		state_change(r, want, "agent-request");	/* counts the time up to now */
		if (want == HD_STATE_RESOLVED)
			state_resolution(r);
	}
	state_stamp_moved_due(r);
	state_stamp_current(r);
}

/*
 * engine-sla-watch - which SLA events an open ticket has reached at a given
 * time (SPEC s.11), for helpdeskctl sla-watch: for each running clock
 * (first response until the first agent reply, next reply while a
 * follow-up waits, resolution with the paused time left out), every
 * warn_at share of the target counted on the team calendar and the breach,
 * with the escalation contact the policy names for it (the backup outside
 * the primary's hours). Pure decision: must never read or write the store
 * or send anything.
 */
#include <config.h>
#include "engine-int.h"
#include "calendar.h"

#include <string.h>

/* Append the crossed thresholds of one clock. */
static size_t clock_events(const struct hd_policy *p, const struct hd_sla_target *t,
			   int clock, time_t started, time_t due, long counted, long target,
			   time_t now, struct hd_sla_event *out, size_t n)
{
	const struct hd_esc_level *warn = p->on_warning[clock], *breach = p->on_breach[clock];
	int shares[HD_SLA_MAX_WARN + 1];
	size_t ns = 0;

	if (target <= 0)
		return n;
	for (size_t i = 0; i < t->nwarn && i < HD_SLA_MAX_WARN; i++)
		shares[ns++] = t->warn_at[i];
	shares[ns++] = 100;
	for (size_t i = 0; i < ns && n < HD_SLA_EVENTS_MAX; i++) {
		const struct hd_esc_level *l = shares[i] == 100 ? breach : warn;
		bool crossed = shares[i] == 100 ? (due != 0 ? now >= due : counted >= target) :
			       counted * 100 >= (long)shares[i] * target;
		struct hd_sla_event *e = &out[n];

		if (!crossed || l == NULL)
			continue;
		memset(e, 0, sizeof(*e));
		e->clock = clock;
		e->threshold = shares[i];
		e->started = started;
		e->due = due;
		e->counted = counted;
		e->target = target;
		e->level = l->name;
		e->backup = l->backup != NULL && l->primary_hours != NULL &&
			    !hd_calendar_is_open(l->primary_hours, now);
		e->to = e->backup ? l->backup : l->primary;
		n++;
	}
	return n;
}

/* Every event an open ticket has reached at now, lowest first. */
size_t hd_engine_sla_events(const struct hd_policy *p, const struct hd_open_ticket *ot,
			    time_t now, struct hd_sla_event out[HD_SLA_EVENTS_MAX])
{
	const struct hd_team *team = hd_policy_team(p, ot->t.team ? ot->t.team : "");
	const struct hd_priority *prio = hd_policy_priority(p, ot->t.priority ? ot->t.priority : "");
	const struct hd_sla_target *t = hd_policy_sla(p, "email", prio);
	const struct hd_calendar *cal = team ? team->calendar : NULL;
	size_t n = 0;

	if (t == NULL || cal == NULL || ot->st.state != HD_STATE_OPEN)
		return 0;
	if (ot->t.first_response_at == 0)
		n = clock_events(p, t, HD_SLA_FIRST_RESPONSE, ot->t.opened, ot->t.first_response_due,
				 hd_calendar_elapsed(cal, ot->t.opened, now, t->wall),
				 t->first_response * 60L, now, out, n);
	if (ot->st.next_reply_from != 0)
		n = clock_events(p, t, HD_SLA_NEXT_REPLY, ot->st.next_reply_from,
				 ot->st.next_reply_due,
				 hd_calendar_elapsed(cal, ot->st.next_reply_from, now, t->wall),
				 t->next_reply * 60L, now, out, n);
	n = clock_events(p, t, HD_SLA_RESOLUTION, ot->t.opened, ot->st.resolution_due,
			 ot->st.counted + hd_calendar_elapsed(cal, ot->st.since, now, t->wall),
			 t->resolution * 60L, now, out, n);
	return n;
}

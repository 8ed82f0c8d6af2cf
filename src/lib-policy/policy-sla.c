/*
 * policy-sla - reads sla: the first-response, resolution and next-reply
 * targets of each channel (email, chat, phone, social) per priority, on the
 * business or the wall clock, the sla-watch warning shares (warn_at), the
 * states whose time does not count (pause_on), and whether the channel is
 * enforced.
 *
 * Must never: accept a target for an undefined priority or a zero or
 * over-long duration, or let an enforced channel miss a priority (the milter
 * could not give that mail a deadline).
 */
#include <config.h>
#include "policy-int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* What a duration looks like, for messages. */
static const char *const DURATION_HINT = "expected minutes or hours like 90m, 4h, 1h30m";

/* Channels, keys of one target, and clocks. */
static const char *const CHANNELS[] = { "email", "chat", "phone", "social", NULL };
static const char *const SLA_KEYS[] = { "first_response", "resolution", "clock", "next_reply",
					 "warn_at", "pause_on", NULL };
/* Ticket state names by enum hd_state. */
static const char *const STATE_NAMES[] = { "open", "pending", "resolved", NULL };
/* Clock names by enum hd_sla_clock. */
static const char *const CLOCK_NAMES[] = { "first-response", "next-reply", "resolution", NULL };

/* Name of a ticket state. */
const char *hd_ticket_state_name(enum hd_state s)
{
	return s >= 0 && s < HD_STATE_COUNT ? STATE_NAMES[s] : NULL;
}

/* A ticket state by name, or -1. */
int hd_ticket_state_parse(const char *name)
{
	for (int i = 0; name != NULL && STATE_NAMES[i] != NULL; i++)
		if (strcasecmp(name, STATE_NAMES[i]) == 0)
			return i;
	return -1;
}

/* Name of an SLA clock. */
const char *hd_sla_clock_name(enum hd_sla_clock c)
{
	return c >= 0 && c < HD_SLA_CLOCK_COUNT ? CLOCK_NAMES[c] : NULL;
}

/* warn_at: [75%, 90%]: ascending shares strictly between 0 and 100. */
static void load_warn_at(struct ploader *ld, struct hd_sla_target *t, const struct hd_ynode *n,
			 const char *path)
{
	struct strvec v;

	sv_init(&v);
	if (pl_want_strings(ld, n, path, "shares like [75%, 90%]", &v)) {
		if (v.n > HD_SLA_MAX_WARN)
			pl_err(ld, n, "too many shares in %s (limit %d)", path, HD_SLA_MAX_WARN);
		for (size_t i = 0; i < v.n && i < HD_SLA_MAX_WARN; i++) {
			char *end = NULL;
			long pct = strtol(v.v[i], &end, 10);

			if (end == v.v[i] || strcmp(end, "%") != 0 || pct <= 0 || pct >= 100 ||
			    (t->nwarn > 0 && pct <= t->warn_at[t->nwarn - 1])) {
				pl_err(ld, pl_item_at(n, i), "bad share '%s' in %s (expected ascending "
				       "percentages between 1%% and 99%%, like [75%%, 90%%])", v.v[i],
				       path);
				continue;
			}
			t->warn_at[t->nwarn++] = (int)pct;
		}
	}
	sv_free(&v);
}

/* pause_on: [pending]: states whose time does not count toward resolution. */
static void load_pause_on(struct ploader *ld, struct hd_sla_target *t, const struct hd_ynode *n,
			  const char *path)
{
	struct strvec v;

	sv_init(&v);
	t->pause_on = 0;
	if (pl_want_strings(ld, n, path, "states like [pending]", &v)) {
		for (size_t i = 0; i < v.n; i++) {
			int st = hd_ticket_state_parse(v.v[i]);

			if (st < 0 || st == HD_STATE_OPEN)
				pl_bad_choice(ld, pl_item_at(n, i), "state", v.v[i], path,
					      STATE_NAMES + 1);
			else
				t->pause_on |= 1u << st;
		}
	}
	sv_free(&v);
}
static const char *const CLOCKS[] = { "business", "wall", NULL };

/* True when s has the form of a duration (digits 'h', digits 'm', or both),
   whatever its size: tells "too long" apart from "malformed". */
static bool duration_syntax_ok(const char *s)
{
	const char *q = s;
	bool h = false, m = false;

	while (*q != '\0') {
		if (!isdigit((unsigned char)*q))
			return false;
		while (isdigit((unsigned char)*q))
			q++;
		if (*q == 'h' && !h && !m)
			h = true;
		else if (*q == 'm' && !m)
			m = true;
		else
			return false;
		q++;
	}
	return h || m;
}

/* One SLA target { first_response, resolution, clock }. */
static void load_sla_target(struct ploader *ld, struct hd_sla_target *t,
			    const struct hd_ynode *v, const char *path)
{
	static const char *const which[2] = { "first_response", "resolution" };
	long *dst[2] = { &t->first_response, &t->resolution };
	const struct hd_ynode *n;
	int i;

	t->pause_on = 1u << HD_STATE_PENDING;
	if (!pl_want_map_keys(ld, v, path, "first_response, resolution, clock, next_reply, "
			      "warn_at, pause_on", SLA_KEYS))
		return;
	if ((n = hd_ymap_get(v, "next_reply")) != NULL) {
		char *kp = pl_path_key(path, "next_reply");
		const char *s = pl_want_scalar(ld, n, kp, "a duration like 8h");

		if (s != NULL && (!hd_duration_parse(s, &t->next_reply) || t->next_reply == 0))
			pl_err(ld, n, "bad duration '%s' for %s (%s)", s, kp, DURATION_HINT);
		free(kp);
	}
	if ((n = hd_ymap_get(v, "warn_at")) != NULL) {
		char *kp = pl_path_key(path, "warn_at");
		load_warn_at(ld, t, n, kp);
		free(kp);
	}
	if ((n = hd_ymap_get(v, "pause_on")) != NULL) {
		char *kp = pl_path_key(path, "pause_on");
		load_pause_on(ld, t, n, kp);
		free(kp);
	}
	for (i = 0; i < 2; i++) {
		char *kp = pl_path_key(path, which[i]);
		const char *s;

		if ((n = pl_want_key(ld, v, which[i], path, DURATION_HINT)) != NULL &&
		    (s = pl_want_scalar(ld, n, kp, "a duration like 4h")) != NULL) {
			if (!hd_duration_parse(s, dst[i]) && duration_syntax_ok(s))
				pl_err(ld, n, "duration '%s' for %s is too long (at most %ld hours)", s,
				       kp, HD_POLICY_MAX_DURATION_MINUTES / 60);
			else if (!hd_duration_parse(s, dst[i]))
				pl_err(ld, n, "bad duration '%s' for %s (%s)", s, kp, DURATION_HINT);
			else if (*dst[i] == 0)
				pl_err(ld, n, "bad duration '%s' for %s (must be more than zero; %s)",
				       s, kp, DURATION_HINT);
		}
		free(kp);
	}
	if (t->first_response > 0 && t->resolution > 0 && t->first_response > t->resolution)
		pl_err(ld, hd_ymap_get(v, "first_response"), "%s: first_response is longer than "
		       "resolution (%ld > %ld minutes)", path, t->first_response, t->resolution);
	if ((n = hd_ymap_get(v, "clock")) != NULL) {
		char *cp = pl_path_key(path, "clock");
		const char *s = pl_want_scalar(ld, n, cp, "wall or business");

		if (s != NULL && strcmp(s, "wall") == 0)
			t->wall = true;
		else if (s != NULL && strcmp(s, "business") != 0)
			pl_bad_choice(ld, n, "clock", s, cp, CLOCKS);
		free(cp);
	}
}

/* sla: channel -> { enforced, priority -> target }. */
void pl_load_sla(struct ploader *ld, const struct hd_ynode *root)
{
	const struct hd_ynode *sla;
	struct hd_policy *p = ld->p;
	size_t i, j, k;

	sla = pl_get_map(ld, root, "sla", "sla", "channel: { priority: { first_response, "
			 "resolution } }", CHANNELS);
	if (sla == NULL)
		return;
	p->channels = xcalloc(sla->n, sizeof(*p->channels));
	for (i = 0; i < sla->n; i++) {
		if (pl_key_repeated(sla, i))
			continue;	/* reported by pl_check_keys */
		const char *cname = sla->keys[i]->scalar;
		const struct hd_ynode *v = sla->items[i], *en;
		char *path = pl_path_key("sla", cname);
		struct hd_sla_channel *ch;
		struct strvec defined;

		for (k = 0; CHANNELS[k] != NULL && strcmp(CHANNELS[k], cname) != 0; k++)
			;
		if (CHANNELS[k] == NULL ||
		    !pl_want_map_keys(ld, v, path, "priority: { first_response, resolution, "
				      "clock }, enforced", NULL)) {
			free(path);
			continue;
		}
		ch = &p->channels[p->nchannels++];
		ch->name = xstrdup(cname);
		ch->enforced = strcmp(cname, "email") == 0;
		ch->targets = xcalloc(v->n, sizeof(*ch->targets));
		if ((en = hd_ymap_get(v, "enforced")) != NULL && !hd_yscalar_bool(en, &ch->enforced))
			pl_err(ld, en, "bad value '%s' for %s.enforced (expected true or false)",
			       en->type == HD_Y_SCALAR ? en->scalar : hd_ynode_type_name(en), path);
		pl_named_list(PL_NAMED(p->priorities, p->npriorities), &defined);
		for (j = 0; j < v->n; j++) {
			if (pl_key_repeated(v, j))
				continue;	/* reported by pl_check_keys */
			const char *pn = v->keys[j]->scalar;
			const struct hd_priority *pr;
			char *tp;

			if (strcmp(pn, "enforced") == 0)
				continue;
			pr = hd_policy_priority(p, pn);
			if (pr == NULL) {
				pl_bad_ref(ld, v->keys[j], "priority", pn, path, &defined);
				continue;
			}
			tp = pl_path_key(path, pn);
			ch->targets[ch->ntargets].priority = pr;
			load_sla_target(ld, &ch->targets[ch->ntargets], v->items[j], tp);
			ch->ntargets++;
			free(tp);
		}
		if (ch->enforced) {
			for (j = 0; j < p->npriorities; j++) {
				if (p->priorities[j].name == NULL ||
				    hd_policy_sla(p, ch->name, &p->priorities[j]) != NULL)
					continue;
				pl_err(ld, sla->keys[i], "%s has no target for priority '%s' (an "
				       "enforced channel needs first_response and resolution for "
				       "every priority)", path, p->priorities[j].name);
			}
		}
		sv_free(&defined);
		free(path);
	}
}

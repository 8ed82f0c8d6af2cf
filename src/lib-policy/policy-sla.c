/*
 * policy-sla - reads sla: the first-response and resolution targets of each
 * channel (email, chat, phone, social) per priority, on the business or the
 * wall clock, and whether the channel is enforced.
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

/* What a duration looks like, for messages. */
static const char *const DURATION_HINT = "expected minutes or hours like 90m, 4h, 1h30m";

/* Channels, keys of one target, and clocks. */
static const char *const CHANNELS[] = { "email", "chat", "phone", "social", NULL };
static const char *const SLA_KEYS[] = { "first_response", "resolution", "clock", NULL };
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

	if (!pl_want_map_keys(ld, v, path, "first_response, resolution, clock", SLA_KEYS))
		return;
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

/*
 * policy-escalation - reads escalation: the levels (primary and backup
 * addresses, the primary's hours), the triggers (name, `when` condition,
 * level to notify) and the hand-off (where it goes, which field labels it
 * must carry).
 *
 * Must never: accept a trigger that notifies an undefined level, or primary
 * hours without a backup for the rest of the time.
 */
#include <config.h>
#include "policy-int.h"

#include <stdlib.h>
#include <string.h>

/* Keys of escalation, of one level, of one trigger and of handoff. */
static const char *const ESC_KEYS[] = { "levels", "triggers", "handoff", "on_warning",
					 "on_breach", NULL };
/* Keys of on_warning / on_breach given per clock. */
static const char *const SLA_CLOCK_KEYS[] = { "first_response", "next_reply", "resolution",
					      NULL };

/* on_warning / on_breach: one level for every clock, or { clock: level }. */
static void load_sla_levels(struct ploader *ld, const struct hd_ynode *esc, const char *key,
			    const struct hd_esc_level *out[HD_SLA_CLOCK_COUNT])
{
	const struct hd_ynode *n = hd_ymap_get(esc, key);
	struct hd_policy *p = ld->p;
	char *path;

	if (n == NULL)
		return;
	path = pl_path_key("escalation", key);
	if (n->type == HD_Y_SCALAR) {
		const struct hd_esc_level *l = pl_want_ref(ld, n, path, "a level name",
			"escalation level", PL_NAMED(p->levels, p->nlevels));
		for (int c = 0; c < HD_SLA_CLOCK_COUNT; c++)
			out[c] = l;
	} else if (pl_want_map_keys(ld, n, path, "a level, or first_response, next_reply, "
				    "resolution: level", SLA_CLOCK_KEYS)) {
		for (int c = 0; c < HD_SLA_CLOCK_COUNT; c++) {
			const struct hd_ynode *v = hd_ymap_get(n, SLA_CLOCK_KEYS[c]);
			char *cp;

			if (v == NULL)
				continue;
			cp = pl_path_key(path, SLA_CLOCK_KEYS[c]);
			out[c] = pl_want_ref(ld, v, cp, "a level name", "escalation level",
					     PL_NAMED(p->levels, p->nlevels));
			free(cp);
		}
	}
	free(path);
}
static const char *const LEVEL_KEYS[] = { "primary", "backup", "primary_hours", NULL };
static const char *const TRIGGER_KEYS[] = { "name", "when", "notify", NULL };
static const char *const HANDOFF_KEYS[] = { "to", "require", "mode", NULL };

/* escalation: { levels, triggers, handoff }. */
void pl_load_escalation(struct ploader *ld, const struct hd_ynode *root)
{
	const struct hd_ynode *esc, *lv, *tr, *ho;
	struct hd_policy *p = ld->p;
	size_t i, j;

	esc = pl_get_map(ld, root, "escalation", "escalation", "levels, triggers, handoff",
			 ESC_KEYS);
	if (esc == NULL)
		return;
	if ((lv = pl_get_map(ld, esc, "levels", "escalation.levels",
			     "name: { primary, backup, primary_hours }", NULL)) != NULL) {
		p->levels = xcalloc(lv->n, sizeof(*p->levels));
		for (i = 0; i < lv->n; i++) {
			if (pl_key_repeated(lv, i))
				continue;	/* reported by pl_check_keys */
			const struct hd_ynode *v = lv->items[i], *n;
			char *path = pl_path_key("escalation.levels", lv->keys[i]->scalar);
			struct hd_esc_level *l = &p->levels[p->nlevels++];

			if (pl_want_name(ld, lv->keys[i], "escalation.levels") != NULL)
				l->name = xstrdup(lv->keys[i]->scalar);
			if (!pl_want_map_keys(ld, v, path, "primary, backup, primary_hours",
					      LEVEL_KEYS)) {
				free(path);
				continue;
			}
			pl_load_address_key(ld, v, "primary", path, true, &l->primary);
			pl_load_address_key(ld, v, "backup", path, false, &l->backup);
			if ((n = hd_ymap_get(v, "primary_hours")) != NULL) {
				char *hp = pl_path_key(path, "primary_hours");

				l->primary_hours = pl_want_calendar(ld, n, hp);
				if (hd_ymap_get(v, "backup") == NULL)
					pl_err(ld, n, "%s has primary_hours but no backup (who is "
					       "notified outside those hours?)", path);
				free(hp);
			}
			free(path);
		}
	}
	if ((tr = hd_ymap_get(esc, "triggers")) != NULL) {
		if (tr->type != HD_Y_SEQ) {
			pl_err(ld, tr, "escalation.triggers must be a list of { name, when, notify }, "
			       "not %s", hd_ynode_type_name(tr));
		} else {
			p->triggers = xcalloc(tr->n, sizeof(*p->triggers));
			for (i = 0; i < tr->n; i++) {
				const struct hd_ynode *it = tr->items[i], *n;
				char *path = pl_path_index("escalation.triggers", i);
				struct hd_trigger *t = &p->triggers[p->ntriggers++];
				const char *s;

				if (!pl_want_map_keys(ld, it, path, "name, when, notify",
						      TRIGGER_KEYS)) {
					free(path);
					continue;
				}
				if ((n = pl_want_key(ld, it, "name", path, "the trigger's name")) != NULL) {
					char *np = pl_path_key(path, "name");

					if ((s = pl_want_name(ld, n, np)) != NULL) {
						for (j = 0; j + 1 < p->ntriggers; j++)
							if (p->triggers[j].name &&
							    strcmp(p->triggers[j].name, s) == 0)
								pl_err(ld, n, "duplicate trigger '%s' "
								       "in escalation.triggers", s);
						t->name = xstrdup(s);
					}
					free(np);
				}
				if ((n = pl_want_key(ld, it, "when", path, "the condition")) != NULL) {
					char *wp = pl_path_key(path, "when");

					t->when = pl_parse_cond(ld, n, wp, true);
					free(wp);
				}
				if ((n = pl_want_key(ld, it, "notify", path, "an escalation level")) != NULL) {
					char *np = pl_path_key(path, "notify");

					t->notify = pl_want_ref(ld, n, np, "a level name",
								"escalation level",
								PL_NAMED(p->levels, p->nlevels));
					free(np);
				}
				free(path);
			}
		}
	}
	load_sla_levels(ld, esc, "on_warning", p->on_warning);
	load_sla_levels(ld, esc, "on_breach", p->on_breach);
	if ((ho = pl_get_map(ld, esc, "handoff", "escalation.handoff", "to, require, mode",
			     HANDOFF_KEYS)) != NULL) {
		const struct hd_ynode *n;
		struct strvec raw;

		pl_load_mode_key(ld, ho, "escalation.handoff", HD_SECTION_HANDOFF);
		sv_init(&raw);
		if ((n = pl_want_key(ld, ho, "to", "escalation.handoff",
				     "the addresses a hand-off is sent to")) != NULL &&
		    pl_want_strings(ld, n, "escalation.handoff.to", "an address", &raw)) {
			for (i = 0; i < raw.n; i++) {
				char *a = pl_want_address(ld, pl_item_at(n, i), raw.v[i],
							  "escalation.handoff.to");

				if (a != NULL)
					sv_push_owned(&p->handoff_to, a);
			}
		}
		sv_free(&raw);
		if ((n = pl_want_key(ld, ho, "require", "escalation.handoff",
				     "the field labels a hand-off must carry")) != NULL)
			pl_want_strings(ld, n, "escalation.handoff.require", "a field label like "
					"\"Customer:\"", &p->handoff_require);
	}
}

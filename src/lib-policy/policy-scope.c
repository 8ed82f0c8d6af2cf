/*
 * policy-scope - reads the sections that say what the policy is and what it
 * covers: policy: (name, version, effective date, owner, review cadence),
 * scope: (the teams, their support mailboxes and calendars) and priorities:
 * (the ordered rules; the last one, without `when`, is the default).
 *
 * Must never: let one mailbox belong to two teams, or accept a priority list
 * whose catch-all is not last (the rules after it could never match).
 */
#include <config.h>
#include "policy-int.h"

#include <stdlib.h>
#include <string.h>

/* Keys of policy, scope, one team and one priority. */
static const char *const META_KEYS[] = { "name", "version", "effective", "owner", "review",
					 "description", NULL };
static const char *const SCOPE_KEYS[] = { "teams", NULL };
static const char *const TEAM_KEYS[] = { "mailboxes", "calendar", NULL };
static const char *const PRIO_KEYS[] = { "name", "when", "rule", NULL };

/* policy: { name, version, effective, owner, review, description }. */
void pl_load_meta(struct ploader *ld, const struct hd_ynode *root)
{
	const struct hd_ynode *m = hd_ymap_get(root, "policy"), *v;
	struct hd_policy *p = ld->p;
	const char *s;
	long day;

	if (m == NULL) {
		pl_err(ld, root, "missing required section 'policy' (name and version of the "
		       "policy, e.g. policy: { name: acme-support, version: 3 })");
		return;
	}
	if (!pl_want_map_keys(ld, m, "policy", "name, version, effective, owner, review",
			      META_KEYS))
		return;
	if ((v = pl_want_key(ld, m, "name", "policy", "the policy's name")) != NULL &&
	    (s = pl_want_name(ld, v, "policy.name")) != NULL)
		p->name = xstrdup(s);
	if ((v = pl_want_key(ld, m, "version", "policy", "the policy's version, like 3")) != NULL &&
	    (s = pl_want_scalar(ld, v, "policy.version", "a version like 3 or 2.1")) != NULL) {
		if (!pl_valid_name(s))
			pl_err(ld, v, "bad version '%s' for policy.version (expected letters, digits, "
			       "'.', '_' or '-', like 3 or 2.1)", s);
		else
			p->version = xstrdup(s);
	}
	if ((v = hd_ymap_get(m, "effective")) != NULL &&
	    (s = pl_want_scalar(ld, v, "policy.effective", "a date like 2026-12-01")) != NULL) {
		if (!pl_parse_date(s, &day))
			pl_err(ld, v, "bad date '%s' for policy.effective (expected a real date as "
			       "YYYY-MM-DD, like 2026-12-01)", s);
		else
			p->effective = xstrdup(s);
	}
	pl_load_string_key(ld, m, "owner", "policy", "a string", &p->owner);
	if ((v = hd_ymap_get(m, "review")) != NULL &&
	    (s = pl_want_scalar(ld, v, "policy.review", "a review cadence like quarterly")) != NULL) {
		size_t i;

		for (i = 0; PL_CADENCES[i] != NULL && strcmp(PL_CADENCES[i], s) != 0; i++)
			;
		if (PL_CADENCES[i] == NULL)
			pl_bad_choice(ld, v, "review cadence", s, "policy.review", PL_CADENCES);
		else
			p->review = xstrdup(s);
	}
	if ((v = hd_ymap_get(m, "description")) != NULL)
		pl_want_scalar(ld, v, "policy.description", "a string");
}

/* scope: { teams: name -> { mailboxes, calendar } }. */
void pl_load_scope(struct ploader *ld, const struct hd_ynode *root)
{
	const struct hd_ynode *scope = hd_ymap_get(root, "scope"), *teams;
	struct hd_policy *p = ld->p;
	size_t i, j, k, l;

	if (scope == NULL) {
		pl_err(ld, root, "missing required section 'scope' (the teams and their support "
		       "mailboxes: scope: { teams: { billing: { mailboxes: [...], calendar: ... } } })");
		return;
	}
	if (!pl_want_map_keys(ld, scope, "scope", "teams", SCOPE_KEYS))
		return;
	teams = pl_want_key(ld, scope, "teams", "scope", "name: { mailboxes, calendar }");
	if (teams == NULL || !pl_want_map(ld, teams, "scope.teams", "name: { mailboxes, calendar }"))
		return;
	if (teams->n == 0) {
		pl_err(ld, teams, "scope.teams must define at least one team");
		return;
	}
	pl_check_keys(ld, teams, NULL, "scope.teams");
	p->teams = xcalloc(teams->n, sizeof(*p->teams));
	for (i = 0; i < teams->n; i++) {
		if (pl_key_repeated(teams, i))
			continue;	/* reported by pl_check_keys */
		const struct hd_ynode *v = teams->items[i], *mb, *cn;
		char *path = pl_path_key("scope.teams", teams->keys[i]->scalar);
		struct hd_team *t = &p->teams[p->nteams++];

		t->line = teams->keys[i]->line;
		t->column = teams->keys[i]->column;
		sv_init(&t->mailboxes);
		if (pl_want_name(ld, teams->keys[i], "scope.teams") != NULL)
			t->name = xstrdup(teams->keys[i]->scalar);
		if (!pl_want_map_keys(ld, v, path, "mailboxes, calendar", TEAM_KEYS)) {
			free(path);
			continue;
		}
		mb = pl_want_key(ld, v, "mailboxes", path, "the team's support addresses");
		if (mb != NULL) {
			struct strvec raw;
			char *mp = pl_path_key(path, "mailboxes");

			sv_init(&raw);
			pl_want_strings(ld, mb, mp, "an address", &raw);
			for (j = 0; j < raw.n; j++) {
				char *a = pl_want_address(ld, pl_item_at(mb, j), raw.v[j], mp);
				bool dup = false;

				if (a == NULL)
					continue;
				for (k = 0; k < p->nteams && !dup; k++) {
					for (l = 0; l < p->teams[k].mailboxes.n; l++) {
						if (strcmp(p->teams[k].mailboxes.v[l], a) != 0)
							continue;
						pl_err(ld, pl_item_at(mb, j), "mailbox '%s' is listed twice: "
						       "in team '%s' (line %d) and in %s", a,
						       p->teams[k].name ? p->teams[k].name : "?",
						       p->teams[k].line, mp);
						dup = true;
						break;
					}
				}
				if (dup)
					free(a);
				else
					sv_push_owned(&t->mailboxes, a);
			}
			sv_free(&raw);
			free(mp);
		}
		cn = pl_want_key(ld, v, "calendar", path, "the business-hours calendar of the team");
		if (cn != NULL) {
			char *cp = pl_path_key(path, "calendar");

			t->calendar = pl_want_calendar(ld, cn, cp);
			free(cp);
		}
		free(path);
	}
}

/* priorities: [{ name, when, rule }], the last one without `when`. */
void pl_load_priorities(struct ploader *ld, const struct hd_ynode *root)
{
	const struct hd_ynode *pl = hd_ymap_get(root, "priorities");
	struct hd_policy *p = ld->p;
	size_t i, j;

	if (pl == NULL) {
		pl_err(ld, root, "missing required section 'priorities' (an ordered list of "
		       "{ name, when }; the last one, without 'when', is the default)");
		return;
	}
	if (pl->type != HD_Y_SEQ) {
		pl_err(ld, pl, "priorities must be a list of { name, when } (evaluated in order), "
		       "not %s", hd_ynode_type_name(pl));
		return;
	}
	if (pl->n == 0) {
		pl_err(ld, pl, "priorities must list at least one priority (the last one, "
		       "without 'when', is the default)");
		return;
	}
	p->priorities = xcalloc(pl->n, sizeof(*p->priorities));
	for (i = 0; i < pl->n; i++) {
		const struct hd_ynode *it = pl->items[i], *v;
		struct hd_priority *pr = &p->priorities[p->npriorities++];
		char *path = pl_path_index("priorities", i);
		const char *s;

		pr->line = it->line;
		pr->column = it->column;
		if (!pl_want_map_keys(ld, it, path, "name, when, rule", PRIO_KEYS)) {
			free(path);
			continue;
		}
		if ((v = pl_want_key(ld, it, "name", path, "the priority's name")) != NULL) {
			char *np = pl_path_key(path, "name");

			if ((s = pl_want_name(ld, v, np)) != NULL) {
				for (j = 0; j + 1 < p->npriorities; j++) {
					if (p->priorities[j].name != NULL &&
					    strcmp(p->priorities[j].name, s) == 0) {
						pl_err(ld, v, "duplicate priority '%s' in priorities "
						       "(first given at line %d)", s,
						       p->priorities[j].line);
						break;
					}
				}
				pr->name = xstrdup(s);
			}
			free(np);
		}
		if ((v = hd_ymap_get(it, "rule")) != NULL) {
			char *rp = pl_path_key(path, "rule");

			if ((s = pl_want_name(ld, v, rp)) != NULL)
				pr->rule_name = xstrdup(s);
			free(rp);
		}
		if (pr->rule_name == NULL && pr->name != NULL)
			pr->rule_name = xstrdup(pr->name);
		if ((v = hd_ymap_get(it, "when")) != NULL) {
			char *wp = pl_path_key(path, "when");

			pr->when = pl_parse_cond(ld, v, wp, false);
			free(wp);
		}
		if (v == NULL && i + 1 < pl->n)
			pl_err(ld, it, "priority '%s' has no 'when', so it matches everything, but it "
			       "is not the last one (the priorities after it could never match)",
			       pr->name ? pr->name : "?");
		if (v != NULL && i + 1 == pl->n)
			pl_err(ld, it, "the last priority '%s' must have no 'when': it is the default "
			       "for mail that no rule matches", pr->name ? pr->name : "?");
		free(path);
	}
}

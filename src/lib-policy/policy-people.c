/*
 * policy-people - reads who acts under the policy: roles: (the currency and
 * each role's refund, credit and discount authority, in rising order, and
 * whether it may approve) and agents: (address, role, team, display name).
 *
 * Must never: accept a role whose limit is below that of a role listed before
 * it, an agent listed twice, or an agent address that is also a support
 * mailbox (mail from it would be both a reply and a request).
 */
#include <config.h>
#include "policy-int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* Keys of one role and of one agent. */
static const char *const ROLE_KEYS[] = { "refund", "credit", "discount", "approve", NULL };
static const char *const AGENT_KEYS[] = { "role", "team", "name", NULL };

/* roles: { currency, role -> { refund, credit, discount, approve } } in rising order. */
void pl_load_roles(struct ploader *ld, const struct hd_ynode *root)
{
	const struct hd_ynode *roles, *cur;
	struct hd_policy *p = ld->p;
	size_t i, j;
	int k;

	p->currency = xstrdup("USD");
	roles = pl_get_map(ld, root, "roles", "roles", "currency and role: { refund, credit, "
			   "discount }", NULL);
	if (roles == NULL)
		return;
	pl_load_mode_key(ld, roles, "roles", HD_SECTION_AUTHORITY);
	if ((cur = hd_ymap_get(roles, "currency")) != NULL) {
		const char *s = pl_want_scalar(ld, cur, "roles.currency", "a currency code like USD");

		if (s != NULL && (strlen(s) != 3 || !isupper((unsigned char)s[0]) ||
				  !isupper((unsigned char)s[1]) || !isupper((unsigned char)s[2])))
			pl_err(ld, cur, "bad currency '%s' for roles.currency (expected an ISO 4217 "
			       "code of three capital letters like USD, EUR or GBP)", s);
		else if (s != NULL) {
			free(p->currency);
			p->currency = xstrdup(s);
		}
	}
	p->roles = xcalloc(roles->n, sizeof(*p->roles));
	for (i = 0; i < roles->n; i++) {
		if (pl_key_repeated(roles, i))
			continue;	/* reported by pl_check_keys */
		const struct hd_ynode *v = roles->items[i], *n;
		const char *rname = roles->keys[i]->scalar;
		char *path;
		struct hd_role *r;

		if (strcmp(rname, "currency") == 0 || strcmp(rname, "mode") == 0)
			continue;
		path = pl_path_key("roles", rname);
		r = &p->roles[p->nroles];
		r->rank = (int)p->nroles;
		p->nroles++;
		if (pl_want_name(ld, roles->keys[i], "roles") != NULL)
			r->name = xstrdup(rname);
		if (!pl_want_map_keys(ld, v, path, "refund, credit, discount, approve",
				      ROLE_KEYS)) {
			free(path);
			continue;
		}
		for (k = 0; k < HD_AMOUNT_KIND_COUNT; k++) {
			char *kp = pl_path_key(path, PL_AMOUNT_KINDS[k]);
			const char *s;

			if ((n = hd_ymap_get(v, PL_AMOUNT_KINDS[k])) != NULL &&
			    (s = pl_want_scalar(ld, n, kp, k == HD_AMOUNT_DISCOUNT ?
						"a percentage like 10%" : "an amount like 250")) != NULL) {
				if (k == HD_AMOUNT_DISCOUNT && !pl_parse_percent(s, &r->limit[k]))
					pl_err(ld, n, "bad percentage '%s' for %s (expected 0%% to 100%% "
					       "like 10%% or 12.5%%)", s, kp);
				else if (k != HD_AMOUNT_DISCOUNT &&
					 (!pl_parse_number(s, strlen(s), &r->limit[k]) ||
					  r->limit[k] > HD_POLICY_MAX_AMOUNT))
					pl_err(ld, n, "bad amount '%s' for %s (expected a number of %s "
					       "like 250 or 99.50, without a currency sign)", s, kp,
					       p->currency);
				else
					r->has_limit[k] = true;
			}
			free(kp);
		}
		r->can_approve = r->rank > 0;
		if ((n = hd_ymap_get(v, "approve")) != NULL && !hd_yscalar_bool(n, &r->can_approve))
			pl_err(ld, n, "bad value '%s' for %s.approve (expected true or false)",
			       n->type == HD_Y_SCALAR ? n->scalar : hd_ynode_type_name(n), path);
		/* authority rises with rank: a higher role's limit may not be lower */
		for (j = 0; j + 1 < p->nroles; j++) {
			const struct hd_role *lo = &p->roles[j];

			for (k = 0; k < HD_AMOUNT_KIND_COUNT; k++) {
				if (!lo->has_limit[k] || !r->has_limit[k] || r->limit[k] >= lo->limit[k])
					continue;
				pl_err(ld, hd_ymap_get(v, PL_AMOUNT_KINDS[k]), "%s limit of role '%s' "
				       "(%g) is lower than that of '%s' (%g) listed before it (roles go "
				       "in order of rising authority)", PL_AMOUNT_KINDS[k],
				       r->name ? r->name : "?", r->limit[k],
				       lo->name ? lo->name : "?", lo->limit[k]);
			}
		}
		free(path);
	}
}

/* agents: address -> { role, team, name }. */
void pl_load_agents(struct ploader *ld, const struct hd_ynode *root)
{
	const struct hd_ynode *agents = hd_ymap_get(root, "agents");
	struct hd_policy *p = ld->p;
	size_t i, j;

	if (agents == NULL)
		return;
	if (!pl_want_map(ld, agents, "agents", "address: { role, team, name }"))
		return;
	p->agents = xcalloc(agents->n, sizeof(*p->agents));
	for (i = 0; i < agents->n; i++) {
		const struct hd_ynode *key = agents->keys[i], *v = agents->items[i], *n;
		char *addr = pl_want_address(ld, key, key->scalar, "agents");
		char *path;
		struct hd_agent *a;
		const struct hd_team *mt;

		if (addr == NULL)
			continue;
		for (j = 0; j < p->nagents; j++)
			if (strcmp(p->agents[j].address, addr) == 0)
				break;
		if (j < p->nagents) {
			for (size_t q = 0; q < i; q++) {
				char *o = pl_parse_address(agents->keys[q]->scalar);
				bool same = o != NULL && strcmp(o, addr) == 0;

				free(o);
				if (same) {
					pl_err(ld, key, "duplicate agent '%s' in agents (first given at "
					       "line %d)", addr, agents->keys[q]->line);
					break;
				}
			}
			free(addr);
			continue;
		}
		if ((mt = hd_policy_team_for_mailbox(p, addr)) != NULL)
			pl_err(ld, key, "agent '%s' is also a support mailbox of team '%s' (an address "
			       "is either an agent or a mailbox)", addr, mt->name);
		a = &p->agents[p->nagents++];
		a->address = addr;
		path = pl_path_key("agents", addr);
		if (!pl_want_map_keys(ld, v, path, "role, team, name", AGENT_KEYS)) {
			free(path);
			continue;
		}
		if ((n = pl_want_key(ld, v, "role", path, "one of the roles")) != NULL) {
			char *rp = pl_path_key(path, "role");

			a->role = pl_want_ref(ld, n, rp, "a role name", "role",
					      PL_NAMED(p->roles, p->nroles));
			free(rp);
		}
		if ((n = hd_ymap_get(v, "team")) != NULL) {
			char *tp = pl_path_key(path, "team");

			a->team = pl_want_ref(ld, n, tp, "a team name", "team",
					      PL_NAMED(p->teams, p->nteams));
			free(tp);
		}
		pl_load_string_key(ld, v, "name", path, "the agent's display name", &a->name);
		free(path);
	}
}

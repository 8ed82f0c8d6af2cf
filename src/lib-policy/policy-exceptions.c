/*
 * policy-exceptions - reads exceptions: who may grant each tier (rep,
 * per-policy, approval), the named exception policies, the fields an
 * exception must carry and the approvals mailbox; gives the defaults when
 * the section is absent.
 *
 * Must never: accept tiers that need approval without an approvals mailbox
 * or without a role that may approve.
 */
#include <config.h>
#include "policy-int.h"

#include <stdlib.h>
#include <string.h>

/* Keys of exceptions, its tiers and tier rules (in enum hd_tier_rule order), the keys
   of one exception policy, and the fields an exception may be required to carry. */
static const char *const EXC_KEYS[] = { "tiers", "policies", "require", "approvals_mailbox", "mode",
					NULL };
static const char *const TIER_KEYS[] = { "1", "2", "3", NULL };
static const char *const TIER_RULES[] = { "rep", "per-policy", "approval", NULL };
static const char *const EXCPOL_KEYS[] = { "tier2_rep", "max_tier", "kind", NULL };
static const char *const EXC_FIELDS[] = { "policy", "tier", "reason", "amount", NULL };

/* exceptions: { tiers, policies, require, approvals_mailbox }. */
void pl_load_exceptions(struct ploader *ld, const struct hd_ynode *root)
{
	const struct hd_ynode *exc, *n;
	struct hd_policy *p = ld->p;
	size_t i, j;
	bool needs_approval = false;

	p->tiers[0] = HD_TIER_REP;
	p->tiers[1] = HD_TIER_REP;
	p->tiers[2] = HD_TIER_PER_POLICY;
	p->tiers[3] = HD_TIER_APPROVAL;
	exc = pl_get_map(ld, root, "exceptions", "exceptions",
			 "tiers, policies, require, approvals_mailbox, mode", EXC_KEYS);
	if (exc == NULL) {
		sv_push(&p->exc_require, "policy");
		sv_push(&p->exc_require, "tier");
		sv_push(&p->exc_require, "reason");
		return;
	}
	pl_load_mode_key(ld, exc, "exceptions", HD_SECTION_EXCEPTIONS);
	if ((n = hd_ymap_get(exc, "tiers")) != NULL &&
	    pl_want_map(ld, n, "exceptions.tiers", "1: rep, 2: per-policy, 3: approval")) {
		for (i = 0; i < n->n; i++) {
			if (pl_key_repeated(n, i))
				continue;	/* reported by pl_check_keys */
			const char *k = n->keys[i]->scalar, *s;
			char *tp = pl_path_key("exceptions.tiers", k);

			for (j = 0; TIER_KEYS[j] != NULL && strcmp(TIER_KEYS[j], k) != 0; j++)
				;
			if (TIER_KEYS[j] == NULL) {
				pl_err(ld, n->keys[i], "bad tier '%s' in exceptions.tiers (expected 1, "
				       "2 or 3)", k);
			} else if ((s = pl_want_scalar(ld, n->items[i], tp,
						       "rep, per-policy or approval")) != NULL) {
				size_t r;

				for (r = 0; TIER_RULES[r] != NULL && strcmp(TIER_RULES[r], s); r++)
					;
				if (TIER_RULES[r] == NULL)
					pl_bad_choice(ld, n->items[i], "tier rule", s, tp, TIER_RULES);
				else
					p->tiers[j + 1] = (enum hd_tier_rule)r;
			}
			free(tp);
		}
		pl_check_keys(ld, n, NULL, "exceptions.tiers");
	}
	if ((n = pl_get_map(ld, exc, "policies", "exceptions.policies",
			    "name: { tier2_rep, max_tier, kind }", NULL)) != NULL) {
		p->exc_policies = xcalloc(n->n, sizeof(*p->exc_policies));
		for (i = 0; i < n->n; i++) {
			if (pl_key_repeated(n, i))
				continue;	/* reported by pl_check_keys */
			const struct hd_ynode *v = n->items[i], *f;
			char *path = pl_path_key("exceptions.policies", n->keys[i]->scalar);
			struct hd_exc_policy *ep = &p->exc_policies[p->nexc_policies++];

			ep->kind = HD_AMOUNT_REFUND;
			if (pl_want_name(ld, n->keys[i], "exceptions.policies") != NULL)
				ep->name = xstrdup(n->keys[i]->scalar);
			if (hd_ynode_is_null(v) ||
			    !pl_want_map_keys(ld, v, path, "tier2_rep, max_tier, kind", EXCPOL_KEYS)) {
				free(path);
				continue;
			}
			if ((f = hd_ymap_get(v, "tier2_rep")) != NULL && !hd_yscalar_bool(f, &ep->tier2_rep))
				pl_err(ld, f, "bad value '%s' for %s.tier2_rep (expected true or false)",
				       f->type == HD_Y_SCALAR ? f->scalar : hd_ynode_type_name(f), path);
			if ((f = hd_ymap_get(v, "max_tier")) != NULL) {
				long t;

				if (!hd_yscalar_long(f, 1, 3, &t))
					pl_err(ld, f, "bad tier '%s' for %s.max_tier (expected 1, 2 or 3)",
					       f->type == HD_Y_SCALAR ? f->scalar :
					       hd_ynode_type_name(f), path);
				else
					ep->max_tier = (int)t;
			}
			if ((f = hd_ymap_get(v, "kind")) != NULL) {
				char *kp = pl_path_key(path, "kind");
				const char *s = pl_want_scalar(ld, f, kp, "refund, credit or discount");
				size_t k;

				for (k = 0; s && PL_AMOUNT_KINDS[k] && strcmp(PL_AMOUNT_KINDS[k], s); k++)
					;
				if (s != NULL && PL_AMOUNT_KINDS[k] == NULL)
					pl_bad_choice(ld, f, "amount kind", s, kp, PL_AMOUNT_KINDS);
				else if (s != NULL)
					ep->kind = (enum hd_amount_kind)k;
				free(kp);
			}
			free(path);
		}
	}
	if ((n = hd_ymap_get(exc, "require")) != NULL) {
		if (pl_want_strings(ld, n, "exceptions.require", "a field name", &p->exc_require)) {
			for (i = 0; i < p->exc_require.n; i++) {
				for (j = 0; EXC_FIELDS[j] && strcmp(EXC_FIELDS[j], p->exc_require.v[i]); j++)
					;
				if (EXC_FIELDS[j] == NULL)
					pl_bad_choice(ld, pl_item_at(n, i), "field", p->exc_require.v[i],
						      "exceptions.require", EXC_FIELDS);
			}
		}
	} else {
		sv_push(&p->exc_require, "policy");
		sv_push(&p->exc_require, "tier");
		sv_push(&p->exc_require, "reason");
	}
	pl_load_address_key(ld, exc, "approvals_mailbox", "exceptions", false, &p->approvals_mailbox);
	for (i = 1; i <= 3; i++)
		if (p->tiers[i] == HD_TIER_APPROVAL)
			needs_approval = true;
	for (i = 0; i < p->nexc_policies && p->tiers[2] == HD_TIER_PER_POLICY; i++)
		if (!p->exc_policies[i].tier2_rep)
			needs_approval = true;
	if (needs_approval && hd_ymap_get(exc, "approvals_mailbox") == NULL)
		pl_err(ld, exc, "exceptions need approval for some tiers but "
		       "exceptions.approvals_mailbox is not set (where approvers send "
		       "'approve EXC-...')");
	if (needs_approval && p->nroles > 0) {
		for (i = 0; i < p->nroles && !p->roles[i].can_approve; i++)
			;
		if (i == p->nroles)
			pl_err(ld, exc, "exceptions need approval for some tiers but no role may "
			       "approve (set approve: true on a role)");
	}
}

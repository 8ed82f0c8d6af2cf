/*
 * policy - loads the written customer-service policy (SPEC s.7) from YAML into
 * an immutable, reference-counted struct hd_policy, validating every section
 * and reporting every problem as "file:line:column: message" with what was
 * expected, so an administrator can fix the whole file in one pass. This file
 * is the core: load, build (which runs the section loaders of policy-*.c in
 * dependency order), free, references, lookups, the self-test and the
 * action, amount-kind and duration helpers.
 *
 * Must never: hand out a partially valid policy (any error gives NULL), keep
 * global mutable state (policies are shared read-only between threads), or
 * read anything but the policy file and the system time-zone data.
 */
#include <config.h>
#include "policy-int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "matcher.h"
#include "tone.h"

/* The sections of a policy file. */
static const char *const TOP_KEYS[] = { "policy", "scope", "calendars", "priorities", "sla",
					"roles", "agents", "escalation", "tone", "exceptions",
					"kpis", "helpdesk", NULL };

/* Action names by enum hd_action. */
static const char *const ACTION_NAMES[] = {
	[HD_ACTION_NONE] = "none", [HD_ACTION_TAG] = "tag", [HD_ACTION_NOTIFY] = "notify",
	[HD_ACTION_HOLD] = "hold", [HD_ACTION_REJECT] = "reject",
};

/* Name of an action. */
const char *hd_action_name(enum hd_action a)
{
	if ((unsigned)a < sizeof(ACTION_NAMES) / sizeof(ACTION_NAMES[0]))
		return ACTION_NAMES[a];
	return "none";
}

/* Parse reject | hold | tag | notify (case-insensitive). */
bool hd_action_parse(const char *s, enum hd_action *a_r)
{
	int a;

	if (s == NULL)
		return false;
	for (a = HD_ACTION_TAG; a <= HD_ACTION_REJECT; a++) {
		if (strcasecmp(s, ACTION_NAMES[a]) == 0) {
			*a_r = (enum hd_action)a;
			return true;
		}
	}
	return false;
}

/* Name of an amount kind. */
const char *hd_amount_kind_name(enum hd_amount_kind k)
{
	if ((unsigned)k < HD_AMOUNT_KIND_COUNT)
		return PL_AMOUNT_KINDS[k];
	return "unknown";
}

/* A duration "90m", "4h", "1h30m" in minutes; false when malformed or too long. */
bool hd_duration_parse(const char *s, long *minutes_r)
{
	long total = 0;
	bool seen_h = false, seen_m = false;
	const char *q = s;

	if (s == NULL || *s == '\0')
		return false;
	while (*q != '\0') {
		long v = 0;

		if (!isdigit((unsigned char)*q))
			return false;
		while (isdigit((unsigned char)*q)) {
			v = v * 10 + (*q - '0');
			if (v > HD_POLICY_MAX_DURATION_MINUTES)
				return false;
			q++;
		}
		if (*q == 'h' && !seen_h && !seen_m) {
			if (v > HD_POLICY_MAX_DURATION_MINUTES / 60)
				return false;
			total += v * 60;
			seen_h = true;
		} else if (*q == 'm' && !seen_m) {
			total += v;
			seen_m = true;
		} else {
			return false;
		}
		q++;
		if (total > HD_POLICY_MAX_DURATION_MINUTES)
			return false;
	}
	*minutes_r = total;
	return true;
}

/* Free everything a policy owns. */
static void policy_free(struct hd_policy *p)
{
	size_t i, j;

	if (p == NULL)
		return;
	free(p->file);
	free(p->name);
	free(p->version);
	free(p->effective);
	free(p->owner);
	free(p->review);
	for (i = 0; i < p->ncalendars; i++)
		hd_calendar_deinit(&p->calendars[i]);
	free(p->calendars);
	for (i = 0; i < p->nteams; i++) {
		free(p->teams[i].name);
		sv_free(&p->teams[i].mailboxes);
	}
	free(p->teams);
	for (i = 0; i < p->npriorities; i++) {
		free(p->priorities[i].name);
		free(p->priorities[i].rule_name);
		pl_cond_free(&p->priorities[i].when);
	}
	free(p->priorities);
	for (i = 0; i < p->nchannels; i++) {
		free(p->channels[i].name);
		free(p->channels[i].targets);
	}
	free(p->channels);
	free(p->currency);
	for (i = 0; i < p->nroles; i++)
		free(p->roles[i].name);
	free(p->roles);
	for (i = 0; i < p->nagents; i++) {
		free(p->agents[i].address);
		free(p->agents[i].name);
	}
	free(p->agents);
	for (i = 0; i < p->nlevels; i++) {
		free(p->levels[i].name);
		free(p->levels[i].primary);
		free(p->levels[i].backup);
	}
	free(p->levels);
	for (i = 0; i < p->ntriggers; i++) {
		free(p->triggers[i].name);
		pl_cond_free(&p->triggers[i].when);
	}
	free(p->triggers);
	hd_matcher_deinit(&p->cond_words);
	free(p->cond_slot_subject);
	sv_free(&p->handoff_to);
	sv_free(&p->handoff_require);
	hd_tone_index_deinit(&p->tone);
	for (i = 0; i < p->nphrases; i++) {
		struct hd_phrase *ph = &p->phrases[i];

		free(ph->id);
		free(ph->suggest);
		sv_free(&ph->match);
		sv_free(&ph->unless);
		sv_free(&ph->examples_bad);
		sv_free(&ph->examples_good);
	}
	free(p->phrases);
	for (i = 0; i < p->nexc_policies; i++)
		free(p->exc_policies[i].name);
	free(p->exc_policies);
	sv_free(&p->exc_require);
	free(p->approvals_mailbox);
	for (j = 0; j < p->nkpis; j++) {
		free(p->kpis[j].name);
		free(p->kpis[j].target);
		free(p->kpis[j].review);
		free(p->kpis[j].owner);
	}
	free(p->kpis);
	hd_policy_helpdesk_free(p);
	free(p);
}

/* Keep at most HD_POLICY_MAX_ERRORS of this load's diagnostics, then say so. */
static void trim_errors(struct ploader *ld)
{
	struct strvec *sv = &ld->diag->lines;

	if (pl_nerrors(ld) <= HD_POLICY_MAX_ERRORS)
		return;
	while (sv->n > ld->base + HD_POLICY_MAX_ERRORS) {
		sv->n--;
		free(sv->v[sv->n]);
		sv->v[sv->n] = NULL;
	}
	hd_diag_add(ld->diag, ld->file, 1, 1, "too many errors; only the first %d are shown",
		    HD_POLICY_MAX_ERRORS);
}

/* Build and validate a policy from a parsed tree; NULL when anything is wrong. */
static struct hd_policy *policy_build(const char *name, const struct hd_ynode *root,
				      struct hd_diag *diag, size_t base)
{
	struct ploader ld = { .file = name, .diag = diag, .base = base };
	struct hd_policy *p = xcalloc(1, sizeof(*p));

	p->refcount = 1;
	p->file = xstrdup(name);
	sv_init(&p->handoff_to);
	sv_init(&p->handoff_require);
	sv_init(&p->exc_require);
	ld.p = p;
	if (root->type != HD_Y_MAP) {
		pl_err(&ld, root, "the policy file must be a mapping of sections (policy, scope, "
		       "calendars, priorities, ...), not %s", hd_ynode_type_name(root));
		policy_free(p);
		return NULL;
	}
	pl_check_keys(&ld, root, TOP_KEYS, "the policy file");
	pl_load_meta(&ld, root);
	pl_load_calendars(&ld, root);
	pl_load_scope(&ld, root);
	pl_load_priorities(&ld, root);
	pl_load_sla(&ld, root);
	pl_load_roles(&ld, root);
	pl_load_agents(&ld, root);
	pl_load_escalation(&ld, root);
	if (pl_nerrors(&ld) == 0)
		pl_index_cond_words(&ld);
	pl_load_tone(&ld, root);
	pl_load_exceptions(&ld, root);
	pl_load_kpis(&ld, root);
	if (pl_nerrors(&ld) == 0)
		hd_policy_helpdesk_load(p, name, root, diag);
	if (pl_nerrors(&ld) > 0) {
		trim_errors(&ld);
		policy_free(p);
		return NULL;
	}
	return p;
}

/* Load and validate a policy from a buffer. */
struct hd_policy *hd_policy_load_buffer(const char *name, const char *data, size_t len,
					struct hd_diag *diag)
{
	size_t base = hd_diag_count(diag);
	struct hd_ynode *root;
	struct hd_policy *p;

	if (len > HD_POLICY_MAX_FILE_BYTES) {
		hd_diag_add(diag, name, 1, 1, "policy file is larger than %u bytes",
			    (unsigned)HD_POLICY_MAX_FILE_BYTES);
		return NULL;
	}
	root = hd_yaml_load_buffer(name, data, len, diag);
	if (root == NULL)
		return NULL;
	p = policy_build(name, root, diag, base);
	hd_ynode_deinit(&root);
	return p;
}

/* Load and validate a policy file. */
struct hd_policy *hd_policy_load(const char *path, struct hd_diag *diag)
{
	size_t base = hd_diag_count(diag);
	struct hd_ynode *root = hd_yaml_load_file(path, diag);
	struct hd_policy *p;

	if (root == NULL)
		return NULL;
	p = policy_build(path, root, diag, base);
	hd_ynode_deinit(&root);
	return p;
}

/* Run the tone examples as self-tests. */
size_t hd_policy_selftest(const struct hd_policy *p, struct hd_diag *diag)
{
	return hd_tone_selftest(p, diag);
}

/* Take a reference. */
struct hd_policy *hd_policy_ref(struct hd_policy *p)
{
	if (p != NULL)
		__atomic_add_fetch(&p->refcount, 1, __ATOMIC_RELAXED);
	return p;
}

/* Drop a reference; frees at zero; sets *pp to NULL. */
void hd_policy_unref(struct hd_policy **pp)
{
	struct hd_policy *p = *pp;

	*pp = NULL;
	if (p != NULL && __atomic_sub_fetch(&p->refcount, 1, __ATOMIC_ACQ_REL) == 0)
		policy_free(p);
}

/* The element of a named array whose name is name (NULL name: none), or NULL. */
const void *pl_named_find(struct pl_named a, const char *name)
{
	const char *e = a.base;
	size_t i;

	for (i = 0; name != NULL && i < a.n; i++, e += a.size) {
		const char *en = *(char *const *)(const void *)(e + a.name_off);

		if (en != NULL && strcmp(en, name) == 0)
			return e;
	}
	return NULL;
}

/* The names of a named array's elements that have one, for messages. */
void pl_named_list(struct pl_named a, struct strvec *sv)
{
	const char *e = a.base;
	size_t i;

	sv_init(sv);
	for (i = 0; i < a.n; i++, e += a.size) {
		const char *en = *(char *const *)(const void *)(e + a.name_off);

		if (en != NULL)
			sv_push(sv, en);
	}
}

/* Team whose mailbox list has addr. */
const struct hd_team *hd_policy_team_for_mailbox(const struct hd_policy *p, const char *addr)
{
	char *a = addr_normalise(addr);
	const struct hd_team *t = NULL;
	size_t i, j;

	if (p == NULL || a == NULL) {
		free(a);
		return NULL;
	}
	for (i = 0; i < p->nteams && t == NULL; i++)
		for (j = 0; j < p->teams[i].mailboxes.n; j++)
			if (strcmp(p->teams[i].mailboxes.v[j], a) == 0) {
				t = &p->teams[i];
				break;
			}
	free(a);
	return t;
}

/* Team by name. */
const struct hd_team *hd_policy_team(const struct hd_policy *p, const char *name)
{
	return p == NULL ? NULL : pl_named_find(PL_NAMED(p->teams, p->nteams), name);
}

/* Agent by address. */
const struct hd_agent *hd_policy_agent(const struct hd_policy *p, const char *addr)
{
	char *a = addr_normalise(addr);
	const struct hd_agent *r = NULL;
	size_t i;

	for (i = 0; p != NULL && a != NULL && i < p->nagents; i++)
		if (strcmp(p->agents[i].address, a) == 0) {
			r = &p->agents[i];
			break;
		}
	free(a);
	return r;
}

/* Role by name. */
const struct hd_role *hd_policy_role(const struct hd_policy *p, const char *name)
{
	return p == NULL ? NULL : pl_named_find(PL_NAMED(p->roles, p->nroles), name);
}

/* Priority by name. */
const struct hd_priority *hd_policy_priority(const struct hd_policy *p, const char *name)
{
	return p == NULL ? NULL : pl_named_find(PL_NAMED(p->priorities, p->npriorities), name);
}

/* Calendar by name. */
const struct hd_calendar *hd_policy_calendar(const struct hd_policy *p, const char *name)
{
	size_t i;

	for (i = 0; p != NULL && name != NULL && i < p->ncalendars; i++)
		if (strcmp(p->calendars[i]->name, name) == 0)
			return p->calendars[i];
	return NULL;
}

/* Escalation level by name. */
const struct hd_esc_level *hd_policy_level(const struct hd_policy *p, const char *name)
{
	return p == NULL ? NULL : pl_named_find(PL_NAMED(p->levels, p->nlevels), name);
}

/* Exception policy by name. */
const struct hd_exc_policy *hd_policy_exc_policy(const struct hd_policy *p, const char *name)
{
	return p == NULL ? NULL : pl_named_find(PL_NAMED(p->exc_policies, p->nexc_policies), name);
}

/* SLA target of a channel (NULL channel = email) for a priority. */
const struct hd_sla_target *hd_policy_sla(const struct hd_policy *p, const char *channel,
					  const struct hd_priority *prio)
{
	size_t i, j;

	if (p == NULL || prio == NULL)
		return NULL;
	if (channel == NULL)
		channel = "email";
	for (i = 0; i < p->nchannels; i++) {
		if (strcmp(p->channels[i].name, channel) != 0)
			continue;
		for (j = 0; j < p->channels[i].ntargets; j++)
			if (p->channels[i].targets[j].priority == prio)
				return &p->channels[i].targets[j];
	}
	return NULL;
}

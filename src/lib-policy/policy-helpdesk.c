/*
 * policy-helpdesk - loads the policy's `helpdesk:` section (SPEC s.7, s.12):
 * which helpdesk (Znuny/OTRS, Zammad, Request Tracker, osTicket) reads each
 * team's mail, how our priorities and teams map to its priorities and
 * queues, its relay network and the header naming its agents. Every problem
 * is reported as file:line:column with what was expected.
 *
 * Must never: accept a native value that could break a header (control
 * characters, over HD_HELPDESK_MAX_VALUE bytes), or leave a priority of the
 * policy without a native value for a helpdesk that needs one.
 */
#include <config.h>
#include "policy.h"

#include <ctype.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"
#include "yamldoc.h"

#define HD_HELPDESK_MAX_HEADER_NAME 76	/* agent_header, due_field */

static const char *const HELPDESK_KEYS[] = { "kind", "priorities", "queues", "addresses", "slas",
					     "service", "due_field", "agent_header", "ticket_tag",
					     "relay", "teams", NULL };
static const char *const KINDS[] = { "none", "znuny", "zammad", "rt", "osticket", NULL };

/* Loader state for the section. */
struct hloader {
	const char *file;
	struct hd_diag *diag;
	struct hd_policy *p;
	size_t errors;
};

/* Report an error at a node. */
static void herr(struct hloader *ld, const struct hd_ynode *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void herr(struct hloader *ld, const struct hd_ynode *at, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	hd_diag_add(ld->diag, ld->file, at ? at->line : 1, at ? at->column : 1, "%s", msg);
	ld->errors++;
}

/* Name of a helpdesk kind as written in the policy. */
const char *hd_helpdesk_kind_name(enum hd_helpdesk_kind k)
{
	return (size_t)k < sizeof(KINDS) / sizeof(KINDS[0]) - 1 ? KINDS[k] : "none";
}

/* Value of key in a pairs vector, or NULL. */
const char *hd_pairs_get(const struct strvec *pairs, const char *key)
{
	for (size_t i = 0; key != NULL && i + 1 < pairs->n; i += 2)
		if (strcmp(pairs->v[i], key) == 0)
			return pairs->v[i + 1];
	return NULL;
}

/* A native value fit for a header: printable, bounded, no CR/LF. */
static bool value_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > HD_HELPDESK_MAX_VALUE)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

/* A header field name: letters, digits, '-' and '_'. */
static bool header_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > HD_HELPDESK_MAX_HEADER_NAME)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return false;
	return true;
}

/* The scalar text of a node, or NULL after an error. */
static const char *want_text(struct hloader *ld, const struct hd_ynode *n, const char *path,
			     const char *what)
{
	if (n != NULL && n->type == HD_Y_SCALAR && !hd_ynode_is_null(n) && n->scalar[0] != '\0')
		return n->scalar;
	herr(ld, n, "%s must be %s, not %s", path, what, hd_ynode_type_name(n));
	return NULL;
}

/* True when name is a priority of the policy. */
static bool is_priority(const struct hd_policy *p, const char *name)
{
	return hd_policy_priority(p, name) != NULL;
}

/* True when name is a team of the policy. */
static bool is_team(const struct hd_policy *p, const char *name)
{
	return hd_policy_team(p, name) != NULL;
}

/* A map of our name -> native value into pairs; keys checked by is_known. */
static void load_pairs(struct hloader *ld, const struct hd_ynode *map, const char *path,
		       const char *keywhat, bool (*is_known)(const struct hd_policy *, const char *),
		       struct strvec *pairs)
{
	if (map->type != HD_Y_MAP) {
		herr(ld, map, "%s must be a mapping of %s to values, not %s", path, keywhat,
		     hd_ynode_type_name(map));
		return;
	}
	ld->errors += hd_ymap_check_keys(map, NULL, path, ld->file, ld->diag);
	sv_free(pairs);
	sv_init(pairs);
	for (size_t i = 0; i < map->n; i++) {
		const char *k = map->keys[i]->scalar;
		char *vp = xasprintf("%s.%s", path, k);
		const char *v = want_text(ld, map->items[i], vp, "a string");

		if (!is_known(ld->p, k))
			herr(ld, map->keys[i], "undefined %s '%s' in %s", keywhat, k, path);
		else if (v != NULL && !value_ok(v))
			herr(ld, map->items[i], "%s must be 1 to %d printable characters on one line",
			     vp, HD_HELPDESK_MAX_VALUE);
		else if (v != NULL && hd_pairs_get(pairs, k) == NULL) {
			sv_push(pairs, k);
			sv_push(pairs, v);
		}
		free(vp);
	}
}

/* Copy a pairs/strings vector. */
static void sv_copy(struct strvec *dst, const struct strvec *src)
{
	sv_init(dst);
	for (size_t i = 0; i < src->n; i++)
		sv_push(dst, src->v[i]);
}

/* A new entry inheriting everything from base (or empty). */
static void entry_init(struct hd_helpdesk *h, const struct hd_helpdesk *base)
{
	memset(h, 0, sizeof(*h));
	sv_init(&h->priorities);
	sv_init(&h->queues);
	sv_init(&h->addresses);
	sv_init(&h->slas);
	sv_init(&h->relay_cidrs);
	if (base == NULL)
		return;
	h->kind = base->kind;
	sv_copy(&h->priorities, &base->priorities);
	sv_copy(&h->queues, &base->queues);
	sv_copy(&h->addresses, &base->addresses);
	sv_copy(&h->slas, &base->slas);
	sv_copy(&h->relay_cidrs, &base->relay_cidrs);
	h->service = base->service ? xstrdup(base->service) : NULL;
	h->due_field = base->due_field ? xstrdup(base->due_field) : NULL;
	h->agent_header = base->agent_header ? xstrdup(base->agent_header) : NULL;
	h->ticket_tag = base->ticket_tag ? xstrdup(base->ticket_tag) : NULL;
}

/* Release one entry. */
static void entry_free(struct hd_helpdesk *h)
{
	free(h->team);
	sv_free(&h->priorities);
	sv_free(&h->queues);
	sv_free(&h->addresses);
	sv_free(&h->slas);
	sv_free(&h->relay_cidrs);
	free(h->service);
	free(h->due_field);
	free(h->agent_header);
	free(h->ticket_tag);
	hd_netlist_deinit(&h->relay);
}

/* Replace *dst with a checked single-line string from n. */
static void load_string(struct hloader *ld, const struct hd_ynode *n, const char *path,
			bool header_name, char **dst)
{
	const char *s = want_text(ld, n, path, header_name ? "a header field name" : "a string");

	if (s == NULL)
		return;
	if (header_name ? !header_name_ok(s) : !value_ok(s)) {
		herr(ld, n, header_name ? "%s must be a header field name (letters, digits, '-', '_'; "
			    "at most 76)" : "%s must be 1 to 200 printable characters on one line", path);
		return;
	}
	free(*dst);
	*dst = xstrdup(s);
}

/* Keys mapping our names to native values, and single-string keys. */
static const struct {
	const char *key, *keywhat;
	bool (*known)(const struct hd_policy *, const char *);
	size_t off;
} PAIR_KEYS[] = {
	{ "priorities", "priority", is_priority, offsetof(struct hd_helpdesk, priorities) },
	{ "queues", "team", is_team, offsetof(struct hd_helpdesk, queues) },
	{ "addresses", "team", is_team, offsetof(struct hd_helpdesk, addresses) },
	{ "slas", "priority", is_priority, offsetof(struct hd_helpdesk, slas) },
};
static const struct {
	const char *key;
	bool header_name;
	size_t off;
} STRING_KEYS[] = {
	{ "service", false, offsetof(struct hd_helpdesk, service) },
	{ "due_field", true, offsetof(struct hd_helpdesk, due_field) },
	{ "agent_header", true, offsetof(struct hd_helpdesk, agent_header) },
	{ "ticket_tag", false, offsetof(struct hd_helpdesk, ticket_tag) },
};

/* The keys of one entry (top level or one team's) over what it inherited. */
static void load_entry_keys(struct hloader *ld, struct hd_helpdesk *h, const struct hd_ynode *map,
			    const char *path)
{
	const struct hd_ynode *n;

	for (size_t i = 0; i < sizeof(PAIR_KEYS) / sizeof(PAIR_KEYS[0]); i++)
		if ((n = hd_ymap_get(map, PAIR_KEYS[i].key)) != NULL) {
			char *kp = xasprintf("%s.%s", path, PAIR_KEYS[i].key);
			load_pairs(ld, n, kp, PAIR_KEYS[i].keywhat, PAIR_KEYS[i].known,
				   (struct strvec *)((char *)h + PAIR_KEYS[i].off));
			free(kp);
		}
	for (size_t i = 0; i < sizeof(STRING_KEYS) / sizeof(STRING_KEYS[0]); i++)
		if ((n = hd_ymap_get(map, STRING_KEYS[i].key)) != NULL) {
			char *kp = xasprintf("%s.%s", path, STRING_KEYS[i].key);
			load_string(ld, n, kp, STRING_KEYS[i].header_name,
				    (char **)((char *)h + STRING_KEYS[i].off));
			free(kp);
		}
	if ((n = hd_ymap_get(map, "relay")) != NULL) {
		sv_free(&h->relay_cidrs);
		sv_init(&h->relay_cidrs);
		if (n->type == HD_Y_SCALAR && !hd_ynode_is_null(n))
			sv_push(&h->relay_cidrs, n->scalar);
		else if (n->type == HD_Y_SEQ)
			for (size_t i = 0; i < n->n; i++)
				if (n->items[i]->type == HD_Y_SCALAR)
					sv_push(&h->relay_cidrs, n->items[i]->scalar);
				else
					herr(ld, n->items[i], "%s.relay[%zu] must be a network like "
					     "192.0.2.0/24, not %s", path, i, hd_ynode_type_name(n->items[i]));
		else
			herr(ld, n, "%s.relay must be a network or a list of networks like "
			     "[192.0.2.0/24], not %s", path, hd_ynode_type_name(n));
	}
}

/* The kind: key of an entry; false after an error. */
static bool load_kind(struct hloader *ld, struct hd_helpdesk *h, const struct hd_ynode *map,
		      const char *path)
{
	const struct hd_ynode *n = hd_ymap_get(map, "kind");
	const char *s;

	if (n == NULL)
		return true;
	if ((s = want_text(ld, n, path, "a helpdesk kind")) == NULL)
		return false;
	for (size_t i = 0; KINDS[i] != NULL; i++)
		if (strcmp(KINDS[i], s) == 0) {
			h->kind = (enum hd_helpdesk_kind)i;
			return true;
		}
	{
		const char *dym = hd_did_you_mean(s, KINDS);
		herr(ld, n, "unknown helpdesk kind '%s' for %s.kind (%s%s%sexpected one of: none, "
		     "znuny, zammad, rt, osticket)", s, path, dym ? "did you mean '" : "",
		     dym ? dym : "", dym ? "'?; " : "");
	}
	return false;
}

/* Is s a whole number within [lo, hi]? */
static bool number_in(const char *s, long lo, long hi)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)s[0]))
		return false;
	v = strtol(s, &end, 10);
	return *end == '\0' && v >= lo && v <= hi;
}

/* Whether this entry covers team t (its own team, or every team without one). */
static bool covers(const struct hd_policy *p, const struct hd_helpdesk *h, const char *t,
		   size_t nentries)
{
	if (h->team != NULL)
		return strcmp(h->team, t) == 0;
	for (size_t i = 1; i < nentries; i++)
		if (strcmp(p->helpdesks[i].team, t) == 0)
			return false;
	return true;
}

/* Defaults and cross-checks of one finished entry; reported at `at`. */
static void finish_entry(struct hloader *ld, struct hd_helpdesk *h, const struct hd_ynode *at,
			 const char *path, size_t nentries)
{
	const struct hd_policy *p = ld->p;
	const char *kind = hd_helpdesk_kind_name(h->kind);
	const struct hd_ynode *pat = hd_ymap_get(at, "priorities"), *aat = hd_ymap_get(at, "addresses");
	const struct hd_ynode *rat = hd_ymap_get(at, "relay");

	if (h->kind == HD_HELPDESK_NONE)
		return;
	if (h->due_field == NULL && h->kind == HD_HELPDESK_ZNUNY)
		h->due_field = xstrdup("HelpdeskDue");
	if (h->due_field == NULL && h->kind == HD_HELPDESK_ZAMMAD)
		h->due_field = xstrdup("helpdesk_due");
	if (h->agent_header == NULL && h->kind == HD_HELPDESK_RT)
		h->agent_header = xstrdup("X-RT-Originator");
	if (h->ticket_tag == NULL && (h->kind == HD_HELPDESK_ZNUNY || h->kind == HD_HELPDESK_ZAMMAD))
		h->ticket_tag = xstrdup("Ticket#");
	for (size_t i = 0; i < p->npriorities; i++) {
		const char *v = hd_pairs_get(&h->priorities, p->priorities[i].name);
		if (v == NULL)
			herr(ld, pat ? pat : at, "%s.priorities has no value for priority '%s' (a %s helpdesk needs "
			     "one for every priority, e.g. %s)", path, p->priorities[i].name, kind,
			     h->kind == HD_HELPDESK_ZNUNY ? "\"5 very high\"" :
			     h->kind == HD_HELPDESK_ZAMMAD ? "\"3 high\"" :
			     h->kind == HD_HELPDESK_RT ? "90 (0-99)" : "1 (X-Priority 1-5, 1 highest)");
		else if (h->kind == HD_HELPDESK_OSTICKET && !number_in(v, 1, 5))
			herr(ld, pat ? pat : at, "%s.priorities.%s: osticket reads X-Priority 1 (highest) to 5 "
			     "(lowest), not '%s'", path, p->priorities[i].name, v);
		else if (h->kind == HD_HELPDESK_RT && !number_in(v, 0, 99))
			herr(ld, pat ? pat : at, "%s.priorities.%s: an RT priority is a number 0-99, not '%s'",
			     path, p->priorities[i].name, v);
	}
	if (h->addresses.n > 0 && h->kind != HD_HELPDESK_RT)
		herr(ld, aat ? aat : at, "%s.addresses is only for kind rt (RT routes by address); %s routes by "
		     "queues", path, kind);
	if ((h->slas.n > 0 || h->service) && h->kind != HD_HELPDESK_ZNUNY)
		herr(ld, at, "%s.slas and %s.service are only for kind znuny", path, path);
	if (h->kind == HD_HELPDESK_RT)
		for (size_t i = 0; i < p->nteams; i++) {
			const char *a = hd_pairs_get(&h->addresses, p->teams[i].name);
			if (!covers(p, h, p->teams[i].name, nentries))
				continue;
			if (a == NULL)
				herr(ld, aat ? aat : at, "%s.addresses has no RT address for team '%s' (an address "
				     "like rt-%s@rt.example.com, or \"+%s\" for rt-mailgate --extension)",
				     path, p->teams[i].name, p->teams[i].name, p->teams[i].name);
			else if (a[0] != '+' && strchr(a, '@') == NULL)
				herr(ld, aat ? aat : at, "%s.addresses.%s must be an address or \"+extension\", not '%s'",
				     path, p->teams[i].name, a);
		}
	if (h->relay_cidrs.n > 0) {
		char *err = NULL;
		h->relay = hd_netlist_parse((const char *const *)h->relay_cidrs.v, h->relay_cidrs.n, &err);
		if (h->relay == NULL)
			herr(ld, rat ? rat : at, "%s.relay: %s", path, err ? err : "bad network");
		free(err);
		if (h->agent_header == NULL)
			herr(ld, at, "%s.agent_header is required with relay for kind %s (the header "
			     "the helpdesk writes with the agent's address on outgoing mail)", path, kind);
	}
}

/* Load the helpdesk: section. */
size_t hd_policy_helpdesk_load(struct hd_policy *p, const char *file, const struct hd_ynode *root,
			       struct hd_diag *diag)
{
	struct hloader ld = { .file = file, .diag = diag, .p = p };
	const struct hd_ynode *sec = hd_ymap_get(root, "helpdesk"), *teams;
	size_t nentries;

	if (sec == NULL || hd_ynode_is_null(sec))
		return 0;
	if (sec->type != HD_Y_MAP) {
		herr(&ld, sec, "helpdesk must be a mapping (kind, priorities, queues, ...), not %s",
		     hd_ynode_type_name(sec));
		return ld.errors;
	}
	ld.errors += hd_ymap_check_keys(sec, HELPDESK_KEYS, "helpdesk", file, diag);
	teams = hd_ymap_get(sec, "teams");
	if (teams != NULL && teams->type != HD_Y_MAP) {
		herr(&ld, teams, "helpdesk.teams must be a mapping of team names to helpdesk "
		     "settings, not %s", hd_ynode_type_name(teams));
		teams = NULL;
	}
	nentries = 1 + (teams ? teams->n : 0);
	p->helpdesks = xcalloc(nentries, sizeof(*p->helpdesks));
	entry_init(&p->helpdesks[0], NULL);
	p->nhelpdesks = 1;
	load_kind(&ld, &p->helpdesks[0], sec, "helpdesk");
	load_entry_keys(&ld, &p->helpdesks[0], sec, "helpdesk");
	for (size_t i = 0; teams != NULL && i < teams->n; i++) {
		const struct hd_ynode *tm = teams->items[i], *kn;
		const char *tname = teams->keys[i]->scalar;
		char *path = xasprintf("helpdesk.teams.%s", tname);
		struct hd_helpdesk *h = &p->helpdesks[p->nhelpdesks];
		struct hd_helpdesk probe;

		if (!is_team(p, tname)) {
			herr(&ld, teams->keys[i], "undefined team '%s' in helpdesk.teams", tname);
		} else if (tm->type != HD_Y_MAP) {
			herr(&ld, tm, "%s must be a mapping (kind, priorities, ...), not %s", path,
			     hd_ynode_type_name(tm));
		} else {
			static const char *const *keys = HELPDESK_KEYS;
			/* Inherit the all-teams settings only for the same kind. */
			entry_init(&probe, NULL);
			probe.kind = p->helpdesks[0].kind;
			kn = hd_ymap_get(tm, "kind");
			load_kind(&ld, &probe, tm, path);
			entry_init(h, probe.kind == p->helpdesks[0].kind ? &p->helpdesks[0] : NULL);
			h->kind = probe.kind;
			entry_free(&probe);
			h->team = xstrdup(tname);
			h->line = kn ? kn->line : tm->line;
			h->column = kn ? kn->column : tm->column;
			if (hd_ymap_get(tm, "teams") != NULL)
				herr(&ld, hd_ymap_get(tm, "teams"), "%s cannot have teams of its own", path);
			ld.errors += hd_ymap_check_keys(tm, keys, path, file, diag);
			load_entry_keys(&ld, h, tm, path);
			p->nhelpdesks++;
		}
		free(path);
	}
	finish_entry(&ld, &p->helpdesks[0], sec, "helpdesk", p->nhelpdesks);
	for (size_t i = 1; i < p->nhelpdesks; i++) {
		char *path = xasprintf("helpdesk.teams.%s", p->helpdesks[i].team);
		const struct hd_ynode *tm = hd_ymap_get(teams, p->helpdesks[i].team);
		finish_entry(&ld, &p->helpdesks[i], tm, path, p->nhelpdesks);
		free(path);
	}
	return ld.errors;
}

/* Release the section. */
void hd_policy_helpdesk_free(struct hd_policy *p)
{
	for (size_t i = 0; i < p->nhelpdesks; i++)
		entry_free(&p->helpdesks[i]);
	free(p->helpdesks);
	p->helpdesks = NULL;
	p->nhelpdesks = 0;
}

/* The helpdesk of a team, or NULL. */
const struct hd_helpdesk *hd_policy_helpdesk(const struct hd_policy *p, const char *team)
{
	const struct hd_helpdesk *h = NULL;

	if (p == NULL || p->nhelpdesks == 0)
		return NULL;
	for (size_t i = 1; team != NULL && i < p->nhelpdesks; i++)
		if (strcmp(p->helpdesks[i].team, team) == 0)
			h = &p->helpdesks[i];
	if (h == NULL)
		h = &p->helpdesks[0];
	return h->kind == HD_HELPDESK_NONE ? NULL : h;
}

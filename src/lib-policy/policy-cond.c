/*
 * policy-cond - reads the `when:` conditions of priority rules and escalation
 * triggers (SPEC s.7) into struct hd_cond trees: any/all, words and
 * subject_words (compiled into matchers), sender, sender_domain, header,
 * priority and team, checking that every name referred to is defined. Once
 * all are read, the words of every words and subject_words condition go
 * into one automaton for the policy (pl_index_cond_words), so the engine
 * finds them all in one pass over a message (hd_policy_cond_scan).
 *
 * Must never: evaluate a condition against mail (the engine does), accept a
 * `priority` condition in the priority rules themselves (the priority is what
 * they decide), or return a partial tree (any error frees it and gives NULL).
 */
#include <config.h>
#include "policy-int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "matcher.h"

/* Keys of a condition mapping. */
static const char *const COND_KEYS[] = { "any", "all", "words", "subject_words", "sender",
					 "sender_domain", "header", "priority", "team", NULL };

/* A domain name: letters, digits, '-', '.', not starting or ending with '.'. */
static bool valid_domain(const char *d)
{
	size_t i, len = strlen(d);

	if (len == 0 || len > 253 || d[0] == '.' || d[len - 1] == '.' || strstr(d, "..") != NULL)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)d[i];

		if (!isalnum(c) && c != '-' && c != '.')
			return false;
	}
	return true;
}

/* Free a condition tree. */
void pl_cond_free(struct hd_cond **cp)
{
	struct hd_cond *c = *cp;
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nchildren; i++)
		pl_cond_free(&c->children[i]);
	free(c->children);
	free(c->header);
	sv_free(&c->values);
	hd_matcher_deinit(&c->matcher);
	free(c);
	*cp = NULL;
}

/* A new condition node at a position. */
static struct hd_cond *cond_new(enum hd_cond_type type, const struct hd_ynode *at)
{
	struct hd_cond *c = xcalloc(1, sizeof(*c));

	c->type = type;
	c->slot = -1;
	sv_init(&c->values);
	c->line = at->line;
	c->column = at->column;
	return c;
}

/* Append a child to an any/all condition. */
static void cond_add_child(struct hd_cond *c, struct hd_cond *child)
{
	c->children = xrealloc(c->children, (c->nchildren + 1) * sizeof(*c->children));
	c->children[c->nchildren++] = child;
}

/* Compile the words of a condition into its matcher; false after an error. */
static bool cond_compile_words(struct ploader *ld, struct hd_cond *c, const struct hd_ynode *v,
			       const char *path)
{
	size_t i;
	bool ok = true;

	c->matcher = hd_matcher_new();
	for (i = 0; i < c->values.n; i++) {
		if (!hd_matcher_add(c->matcher, c->values.v[i], (int)i)) {
			pl_err(ld, pl_item_at(v, i), "bad word '%s' for %s (empty after normalisation "
			       "or longer than %d bytes)", c->values.v[i], path,
			       HD_MATCHER_MAX_PATTERN_BYTES);
			ok = false;
		}
	}
	hd_matcher_build(c->matcher);
	return ok;
}

/* One key of a condition mapping as a condition; NULL after an error. */
static struct hd_cond *parse_cond_key(struct ploader *ld, const struct hd_ynode *key,
				      const struct hd_ynode *v, const char *path,
				      bool allow_priority)
{
	const char *k = key->scalar;
	char *kp = pl_path_key(path, k);
	struct hd_cond *c = NULL;
	size_t i;
	bool ok = true;

	if (strcmp(k, "any") == 0 || strcmp(k, "all") == 0) {
		c = cond_new(k[1] == 'n' ? HD_COND_ANY : HD_COND_ALL, key);
		if (v->type != HD_Y_SEQ || v->n == 0) {
			pl_err(ld, v, "%s must be a non-empty list of conditions, not %s", kp,
			       v->type == HD_Y_SEQ ? "an empty list" : hd_ynode_type_name(v));
			ok = false;
		}
		for (i = 0; ok && i < v->n; i++) {
			char *ip = pl_path_index(kp, i);
			struct hd_cond *child = pl_parse_cond(ld, v->items[i], ip, allow_priority);

			free(ip);
			if (child == NULL)
				ok = false;
			else
				cond_add_child(c, child);
		}
	} else if (strcmp(k, "words") == 0 || strcmp(k, "subject_words") == 0) {
		c = cond_new(k[0] == 'w' ? HD_COND_WORDS : HD_COND_SUBJECT_WORDS, key);
		ok = pl_want_strings(ld, v, kp, "a word or phrase", &c->values) &&
		     cond_compile_words(ld, c, v, kp);
	} else if (strcmp(k, "sender") == 0) {
		struct strvec raw;

		c = cond_new(HD_COND_SENDER, key);
		sv_init(&raw);
		ok = pl_want_strings(ld, v, kp, "an address", &raw);
		for (i = 0; i < raw.n; i++) {
			char *a = pl_want_address(ld, pl_item_at(v, i), raw.v[i], kp);

			if (a == NULL)
				ok = false;
			else
				sv_push_owned(&c->values, a);
		}
		sv_free(&raw);
	} else if (strcmp(k, "sender_domain") == 0) {
		struct strvec raw;

		c = cond_new(HD_COND_SENDER_DOMAIN, key);
		sv_init(&raw);
		ok = pl_want_strings(ld, v, kp, "a domain", &raw);
		for (i = 0; i < raw.n; i++) {
			char *d = xstrdup(raw.v[i][0] == '@' ? raw.v[i] + 1 : raw.v[i]);

			str_lower(d);
			if (!valid_domain(d)) {
				pl_err(ld, pl_item_at(v, i), "bad domain '%s' for %s (expected a domain "
				       "like bigcorp.example; subdomains are included)", raw.v[i], kp);
				free(d);
				ok = false;
				continue;
			}
			sv_push_owned(&c->values, d);
		}
		sv_free(&raw);
	} else if (strcmp(k, "header") == 0) {
		if (!pl_want_map(ld, v, kp, "header name: word or [words]")) {
			ok = false;
		} else if (v->n == 0) {
			pl_err(ld, v, "%s must name at least one header", kp);
			ok = false;
		} else {
			pl_check_keys(ld, v, NULL, kp);
			if (v->n > 1)
				c = cond_new(HD_COND_ALL, key);
			for (i = 0; i < v->n; i++) {
				const struct hd_ynode *hk = v->keys[i];
				char *hp = pl_path_key(kp, hk->scalar);
				struct hd_cond *h = cond_new(HD_COND_HEADER, hk);
				size_t j, hl = strlen(hk->scalar);
				bool hok = hl > 0 && hl <= HD_POLICY_MAX_HEADER_NAME;

				for (j = 0; hok && j < hl; j++) {
					unsigned char ch = (unsigned char)hk->scalar[j];

					hok = ch > ' ' && ch < 0x7f && ch != ':';
				}
				if (!hok) {
					pl_err(ld, hk, "bad header name '%s' in %s (expected a header "
					       "field name like X-Priority, without ':')", hk->scalar, kp);
					ok = false;
				}
				h->header = xstrdup(hk->scalar);
				if (!pl_want_strings(ld, v->items[i], hp, "a word or phrase", &h->values) ||
				    !cond_compile_words(ld, h, v->items[i], hp))
					ok = false;
				free(hp);
				if (c == NULL)
					c = h;
				else
					cond_add_child(c, h);
			}
		}
	} else if (strcmp(k, "priority") == 0 || strcmp(k, "team") == 0) {
		bool prio = k[0] == 'p';
		struct strvec defined;

		c = cond_new(prio ? HD_COND_PRIORITY : HD_COND_TEAM, key);
		if (prio && !allow_priority) {
			pl_err(ld, key, "a 'priority' condition cannot be used in %s (the priority "
			       "is what these rules decide; use it in escalation triggers)", path);
			ok = false;
		} else if (pl_want_strings(ld, v, kp, prio ? "a priority name" : "a team name",
					   &c->values)) {
			pl_named_list(prio ? PL_NAMED(ld->p->priorities, ld->p->npriorities) :
				      PL_NAMED(ld->p->teams, ld->p->nteams), &defined);
			for (i = 0; i < c->values.n; i++) {
				if (!sv_contains_ci(&defined, c->values.v[i])) {
					pl_bad_ref(ld, pl_item_at(v, i), prio ? "priority" : "team",
						   c->values.v[i], kp, &defined);
					ok = false;
				}
			}
			sv_free(&defined);
		} else {
			ok = false;
		}
	} else {
		ok = false;	/* unknown key: already reported by pl_check_keys */
	}
	free(kp);
	if (!ok)
		pl_cond_free(&c);
	return c;
}

/* A `when:` condition mapping (several keys = all of them); NULL after an error. */
struct hd_cond *pl_parse_cond(struct ploader *ld, const struct hd_ynode *n, const char *path,
			      bool allow_priority)
{
	struct hd_cond *all = NULL, *c;
	size_t i;
	bool ok = true;

	if (n == NULL || n->type != HD_Y_MAP) {
		pl_err(ld, n, "%s must be a condition mapping (with any of: any, all, words, "
		       "subject_words, sender, sender_domain, header, priority, team), not %s",
		       path, hd_ynode_type_name(n));
		return NULL;
	}
	if (n->n == 0) {
		pl_err(ld, n, "%s is an empty condition (give at least one of: any, all, words, "
		       "subject_words, sender, sender_domain, header, priority, team)", path);
		return NULL;
	}
	if (pl_check_keys(ld, n, COND_KEYS, path) > 0)
		ok = false;
	if (n->n > 1)
		all = cond_new(HD_COND_ALL, n);
	for (i = 0; i < n->n; i++) {
		c = parse_cond_key(ld, n->keys[i], n->items[i], path, allow_priority);
		if (c == NULL) {
			ok = false;
			continue;
		}
		if (all == NULL) {
			all = c;
		} else {
			cond_add_child(all, c);
		}
	}
	if (!ok)
		pl_cond_free(&all);
	return all;
}

/* Give every words / subject_words condition of c a slot and add its words
   to m under that slot. */
static void cond_index(struct hd_policy *p, struct hd_cond *c, struct hd_matcher *m)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->nchildren; i++)
		cond_index(p, c->children[i], m);
	if (c->type != HD_COND_WORDS && c->type != HD_COND_SUBJECT_WORDS)
		return;
	c->slot = (int)p->ncond_slots++;
	p->cond_slot_subject = xrealloc(p->cond_slot_subject,
					p->ncond_slots * sizeof(*p->cond_slot_subject));
	p->cond_slot_subject[c->slot] = c->type == HD_COND_SUBJECT_WORDS;
	/* Each word was accepted by the condition's own matcher. */
	for (size_t i = 0; i < c->values.n; i++)
		(void)hd_matcher_add(m, c->values.v[i], c->slot);
}

/* Build the policy's one automaton of condition words (after the priority
   rules and the escalation triggers are read without errors). */
void pl_index_cond_words(struct ploader *ld)
{
	struct hd_policy *p = ld->p;
	struct hd_matcher *m = hd_matcher_new();

	for (size_t i = 0; i < p->npriorities; i++)
		cond_index(p, p->priorities[i].when, m);
	for (size_t i = 0; i < p->ntriggers; i++)
		cond_index(p, p->triggers[i].when, m);
	hd_matcher_build(m);
	p->cond_words = m;
}

/* State of one hd_policy_cond_scan. */
struct cond_scan {
	const struct hd_policy *p;
	struct hd_cond_hit *hits;
	bool subject;
	size_t left;		/* conditions of this kind not found yet */
};

/* Matcher callback: the first match of each condition of the wanted kind;
   stops once every one has its match. */
static bool cond_scan_hit(const struct hd_match *m, void *ctx)
{
	struct cond_scan *cs = ctx;
	struct hd_cond_hit *h = &cs->hits[m->id];

	if (cs->p->cond_slot_subject[m->id] != cs->subject || h->found)
		return true;
	h->found = true;
	h->start = m->start;
	h->end = m->end;
	return --cs->left > 0;
}

/* One pass over nt for every condition of one kind (see policy.h). */
void hd_policy_cond_scan(const struct hd_policy *p, const struct hd_normtext *nt, bool subject,
			 struct hd_cond_hit *hits)
{
	struct cond_scan cs = { .p = p, .hits = hits, .subject = subject, .left = 0 };

	if (p->cond_words == NULL || nt == NULL)
		return;
	for (size_t i = 0; i < p->ncond_slots; i++)
		if (p->cond_slot_subject[i] == subject && !hits[i].found)
			cs.left++;
	if (cs.left > 0)
		hd_matcher_scan(p->cond_words, nt, cond_scan_hit, &cs);
}

/*
 * policy-tone - reads tone: the default action and the prohibited phrases
 * (id, match, suggest, unless, action, examples), then has tone.c compile
 * them into the phrase index once the whole policy so far is valid.
 *
 * Must never: scan text (tone.c does), compile an index while the load has
 * errors, or accept more than HD_POLICY_MAX_PHRASES phrases.
 */
#include <config.h>
#include "policy-int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "matcher.h"
#include "tone.h"

/* Keys of tone, of one phrase and of its examples; the actions. */
static const char *const TONE_KEYS[] = { "action", "phrases", "mode", NULL };
static const char *const PHRASE_KEYS[] = { "id", "match", "suggest", "unless", "action",
					   "examples", NULL };
static const char *const EXAMPLE_KEYS[] = { "bad", "good", NULL };
static const char *const ACTIONS[] = { "reject", "hold", "tag", "notify", NULL };

/* One tone phrase. */
static void load_phrase(struct ploader *ld, struct hd_phrase *ph, const struct hd_ynode *it,
			const char *path)
{
	const struct hd_ynode *n;
	char *kp;
	const char *s;
	size_t i;

	sv_init(&ph->match);
	sv_init(&ph->unless);
	sv_init(&ph->examples_bad);
	sv_init(&ph->examples_good);
	ph->line = it->line;
	ph->column = it->column;
	if (!pl_want_map_keys(ld, it, path, "id, match, suggest, unless, action, examples",
			      PHRASE_KEYS))
		return;
	if ((n = pl_want_key(ld, it, "id", path, "the rule id shown to agents and auditors")) != NULL) {
		kp = pl_path_key(path, "id");
		if ((s = pl_want_name(ld, n, kp)) != NULL)
			ph->id = xstrdup(s);
		free(kp);
	}
	if ((n = pl_want_key(ld, it, "match", path, "the prohibited phrases")) != NULL) {
		kp = pl_path_key(path, "match");
		if (pl_want_strings(ld, n, kp, "a phrase", &ph->match)) {
			for (i = 0; i < ph->match.n; i++)
				if (strlen(ph->match.v[i]) > HD_MATCHER_MAX_PATTERN_BYTES)
					pl_err(ld, pl_item_at(n, i), "phrase in %s is longer than %d bytes",
					       kp, HD_MATCHER_MAX_PATTERN_BYTES);
		}
		free(kp);
	}
	pl_load_string_key(ld, it, "suggest", path, "the better wording", &ph->suggest);
	pl_load_strings_key(ld, it, "unless", path, "a context phrase", &ph->unless);
	if ((n = hd_ymap_get(it, "action")) != NULL) {
		kp = pl_path_key(path, "action");
		if ((s = pl_want_scalar(ld, n, kp, "reject, hold, tag or notify")) != NULL &&
		    !hd_action_parse(s, &ph->action))
			pl_bad_choice(ld, n, "action", s, kp, ACTIONS);
		free(kp);
	}
	if ((n = hd_ymap_get(it, "examples")) != NULL) {
		kp = pl_path_key(path, "examples");
		if (pl_want_map_keys(ld, n, kp, "bad: [...], good: [...]", EXAMPLE_KEYS)) {
			pl_load_strings_key(ld, n, "bad", kp, "an example text",
					    &ph->examples_bad);
			pl_load_strings_key(ld, n, "good", kp, "an example text",
					    &ph->examples_good);
		}
		free(kp);
	}
}

/* First phrase with the same id among the earlier ones, by an open
   addressing table of phrase indexes (slots hold index + 1): one lookup per
   phrase instead of a comparison with every earlier one. */
static const struct hd_phrase *phrase_id_seen(const struct hd_policy *p, uint32_t *slots,
					      size_t mask, size_t i)
{
	const char *id = p->phrases[i].id;
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (const unsigned char *c = (const unsigned char *)id; *c; c++)
		h = (h ^ *c) * 16777619u;
	for (size_t k = h & mask;; k = (k + 1) & mask) {
		if (slots[k] == 0) {
			slots[k] = (uint32_t)i + 1;
			return NULL;
		}
		if (strcmp(p->phrases[slots[k] - 1].id, id) == 0)
			return &p->phrases[slots[k] - 1];
	}
}

/* tone: { action, phrases }; compiles the phrase index when the section is valid. */
void pl_load_tone(struct ploader *ld, const struct hd_ynode *root)
{
	const struct hd_ynode *tone = hd_ymap_get(root, "tone"), *n;
	struct hd_policy *p = ld->p;
	size_t before = pl_nerrors(ld), i;

	p->tone_action = HD_ACTION_REJECT;
	if (tone != NULL && pl_want_map_keys(ld, tone, "tone", "action, phrases, mode", TONE_KEYS)) {
		pl_load_mode_key(ld, tone, "tone", HD_SECTION_TONE);
		if ((n = hd_ymap_get(tone, "action")) != NULL) {
			const char *s = pl_want_scalar(ld, n, "tone.action", "reject, hold, tag or notify");

			if (s != NULL && !hd_action_parse(s, &p->tone_action))
				pl_bad_choice(ld, n, "action", s, "tone.action", ACTIONS);
		}
		if ((n = hd_ymap_get(tone, "phrases")) != NULL) {
			if (n->type != HD_Y_SEQ) {
				pl_err(ld, n, "tone.phrases must be a list of { id, match, suggest }, "
				       "not %s", hd_ynode_type_name(n));
			} else if (n->n > HD_POLICY_MAX_PHRASES) {
				pl_err(ld, n, "too many phrases in tone.phrases (limit %d)",
				       HD_POLICY_MAX_PHRASES);
			} else {
				size_t mask = 16;
				uint32_t *slots;

				while (mask < 2 * n->n)
					mask *= 2;
				slots = xcalloc(mask, sizeof(*slots));
				mask--;
				p->phrases = xcalloc(n->n, sizeof(*p->phrases));
				for (i = 0; i < n->n; i++) {
					struct hd_phrase *ph = &p->phrases[p->nphrases++];
					char *path = pl_path_index("tone.phrases", i);
					const struct hd_phrase *first;

					load_phrase(ld, ph, n->items[i], path);
					if (ph->id && (first = phrase_id_seen(p, slots, mask, i)) != NULL)
						pl_err(ld, hd_ymap_get(n->items[i], "id"),
						       "duplicate phrase id '%s' in tone.phrases "
						       "(first given at line %d)", ph->id, first->line);
					free(path);
				}
				free(slots);
			}
		}
	}
	if (pl_nerrors(ld) == before && !hd_tone_compile(p, ld->diag) && pl_nerrors(ld) == before)
		pl_err(ld, tone, "the tone phrases could not be compiled");
}

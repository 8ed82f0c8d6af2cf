/*
 * policy-kpis - reads kpis: each KPI's target (a percentage, a duration or a
 * number), review cadence and owner, for `helpdeskctl report`.
 *
 * Must never: accept a target that is none of those forms or an unknown
 * review cadence.
 */
#include <config.h>
#include "policy-int.h"

#include <stdlib.h>
#include <string.h>

/* Keys of one KPI. */
static const char *const KPI_KEYS[] = { "target", "review", "owner", NULL };

/* kpis: name -> { target, review, owner }. */
void pl_load_kpis(struct ploader *ld, const struct hd_ynode *root)
{
	const struct hd_ynode *kpis;
	struct hd_policy *p = ld->p;
	size_t i, j;

	kpis = pl_get_map(ld, root, "kpis", "kpis", "name: { target, review, owner }", NULL);
	if (kpis == NULL)
		return;
	p->kpis = xcalloc(kpis->n, sizeof(*p->kpis));
	for (i = 0; i < kpis->n; i++) {
		if (pl_key_repeated(kpis, i))
			continue;	/* reported by pl_check_keys */
		const struct hd_ynode *v = kpis->items[i], *n;
		char *path = pl_path_key("kpis", kpis->keys[i]->scalar), *kp;
		struct hd_kpi *k = &p->kpis[p->nkpis++];
		const char *s;

		if (pl_want_name(ld, kpis->keys[i], "kpis") != NULL)
			k->name = xstrdup(kpis->keys[i]->scalar);
		if (!pl_want_map_keys(ld, v, path, "target, review, owner", KPI_KEYS)) {
			free(path);
			continue;
		}
		if ((n = pl_want_key(ld, v, "target", path, "like 95% or 4h")) != NULL) {
			double d;
			long m;

			kp = pl_path_key(path, "target");
			if ((s = pl_want_scalar(ld, n, kp, "a target like 95% or 4h")) != NULL) {
				if (pl_parse_percent(s, &d) || hd_duration_parse(s, &m) ||
				    pl_parse_number(s, strlen(s), &d))
					k->target = xstrdup(s);
				else
					pl_err(ld, n, "bad target '%s' for %s (expected a percentage "
					       "like 95%%, a duration like 4h or a number like 4.5)",
					       s, kp);
			}
			free(kp);
		}
		if ((n = hd_ymap_get(v, "review")) != NULL) {
			kp = pl_path_key(path, "review");
			if ((s = pl_want_scalar(ld, n, kp, "a review cadence like monthly")) != NULL) {
				for (j = 0; PL_CADENCES[j] && strcmp(PL_CADENCES[j], s); j++)
					;
				if (PL_CADENCES[j] == NULL)
					pl_bad_choice(ld, n, "review cadence", s, kp, PL_CADENCES);
				else
					k->review = xstrdup(s);
			}
			free(kp);
		}
		pl_load_string_key(ld, v, "owner", path, "who owns the KPI", &k->owner);
		free(path);
	}
}

/*
 * tone - finds the policy's prohibited phrases in an agent's own text
 * (SPEC s.4, s.7). One matcher holds every `match` phrase of every rule (the
 * pattern id is the rule's index), a second one every `unless` phrase; a hit
 * is cancelled when an `unless` phrase of the same rule matches a span that
 * contains it. Hits quote the original words and give their line. The
 * policy's examples are run as self-tests so a policy cannot claim to catch
 * what it does not.
 *
 * Must never: decide the verdict (the engine does, from the findings), keep
 * mutable state in the shared index, or report more than max_hits hits.
 */
#include <config.h>
#include "tone.h"
#include "matcher.h"
#include "norm.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* `unless` matches remembered per scan; beyond this, further `unless`
   matches are ignored (so phrases are flagged rather than missed). */
#define HD_TONE_MAX_UNLESS_MATCHES 100000

struct hd_tone_index {
	struct hd_matcher *match;	/* id = index in p->phrases */
	struct hd_matcher *unless;	/* id = index in p->phrases */
};

/* A remembered `unless` match. */
struct unless_span {
	int id;
	size_t start, end;
	size_t max_end;		/* largest end among spans of this id up to here */
};

/* State of one scan. */
struct tone_scan {
	const struct hd_policy *p;
	const char *orig;		/* the text as given */
	const struct hd_normtext *nt;
	struct unless_span *spans;	/* sorted by (id, start) after collection */
	size_t nspans, capspans;
	/* Results. */
	struct hd_tone_hit *hits;
	size_t nhits, caphits, max_hits;
	size_t *hit_start, *hit_end;	/* normalised span of each hit, for dedupe */
	/* Line counting cursor in the original text. */
	size_t line_pos;
	int line;
	/* Self-test mode: only look for phrase want_id. */
	int want_id;
	bool found;
};

/* Free an index and clear the caller's pointer. */
void hd_tone_index_deinit(struct hd_tone_index **idxp)
{
	struct hd_tone_index *idx = *idxp;

	if (idx == NULL)
		return;
	hd_matcher_deinit(&idx->match);
	hd_matcher_deinit(&idx->unless);
	free(idx);
	*idxp = NULL;
}

/* Build an index of p's phrases; NULL with diagnostics on a bad phrase. */
static struct hd_tone_index *tone_build(const struct hd_policy *p, struct hd_diag *diag)
{
	struct hd_tone_index *idx = xcalloc(1, sizeof(*idx));
	const char *file = p->file ? p->file : "policy";
	bool ok = true;

	idx->match = hd_matcher_new();
	idx->unless = hd_matcher_new();
	for (size_t i = 0; i < p->nphrases; i++) {
		const struct hd_phrase *ph = &p->phrases[i];

		for (size_t k = 0; k < ph->match.n; k++) {
			if (hd_matcher_add(idx->match, ph->match.v[k], (int)i))
				continue;
			hd_diag_add(diag, file, ph->line, ph->column,
				    "tone phrase '%s': match phrase \"%s\" is empty after normalisation or longer than %d bytes",
				    ph->id, ph->match.v[k], HD_MATCHER_MAX_PATTERN_BYTES);
			ok = false;
		}
		for (size_t k = 0; k < ph->unless.n; k++) {
			if (hd_matcher_add(idx->unless, ph->unless.v[k], (int)i))
				continue;
			hd_diag_add(diag, file, ph->line, ph->column,
				    "tone phrase '%s': unless phrase \"%s\" is empty after normalisation or longer than %d bytes",
				    ph->id, ph->unless.v[k], HD_MATCHER_MAX_PATTERN_BYTES);
			ok = false;
		}
	}
	if (!ok) {
		hd_tone_index_deinit(&idx);
		return NULL;
	}
	hd_matcher_build(idx->match);
	hd_matcher_build(idx->unless);
	return idx;
}

/* Build the index for p->phrases into p->tone; false + diag on a bad phrase. */
bool hd_tone_compile(struct hd_policy *p, struct hd_diag *diag)
{
	struct hd_tone_index *idx = tone_build(p, diag);

	if (idx == NULL)
		return false;
	hd_tone_index_deinit(&p->tone);
	p->tone = idx;
	return true;
}

/* Matcher callback: remember an `unless` span. */
static bool collect_unless(const struct hd_match *hit, void *ctx)
{
	struct tone_scan *ts = ctx;

	if (ts->nspans >= HD_TONE_MAX_UNLESS_MATCHES)
		return false;
	if (ts->nspans == ts->capspans) {
		ts->capspans = ts->capspans ? ts->capspans * 2 : 16;
		ts->spans = xrealloc(ts->spans, ts->capspans * sizeof(*ts->spans));
	}
	ts->spans[ts->nspans].id = hit->id;
	ts->spans[ts->nspans].start = hit->start;
	ts->spans[ts->nspans].end = hit->end;
	ts->nspans++;
	return true;
}

/* qsort comparator: spans by id, then start. */
static int cmp_span(const void *a, const void *b)
{
	const struct unless_span *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return (x->end > y->end) - (x->end < y->end);
}

/* Sort the `unless` spans and compute running maximum ends per id. */
static void spans_prepare(struct tone_scan *ts)
{
	if (ts->nspans == 0)
		return;	/* spans may be NULL: qsort(NULL, 0) is undefined */
	qsort(ts->spans, ts->nspans, sizeof(*ts->spans), cmp_span);
	for (size_t i = 0; i < ts->nspans; i++) {
		size_t prev = (i > 0 && ts->spans[i - 1].id == ts->spans[i].id) ?
			ts->spans[i - 1].max_end : 0;
		ts->spans[i].max_end = ts->spans[i].end > prev ? ts->spans[i].end : prev;
	}
}

/* True when an `unless` span of rule id contains [start, end). */
static bool spans_cancel(const struct tone_scan *ts, int id, size_t start, size_t end)
{
	size_t lo = 0, hi = ts->nspans;

	/* Last span with (id, span.start) <= (id, start). */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct unless_span *sp = &ts->spans[mid];

		if (sp->id < id || (sp->id == id && sp->start <= start))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return false;
	lo--;
	return ts->spans[lo].id == id && ts->spans[lo].max_end >= end;
}

/* 1-based line of original offset off, counting forward from the cursor. */
static int tone_line(struct tone_scan *ts, size_t off)
{
	if (off < ts->line_pos) {
		ts->line_pos = 0;
		ts->line = 1;
	}
	while (ts->line_pos < off) {
		const char *nl = memchr(ts->orig + ts->line_pos, '\n', off - ts->line_pos);
		if (nl == NULL) {
			ts->line_pos = off;
			break;
		}
		ts->line++;
		ts->line_pos = (size_t)(nl - ts->orig) + 1;
	}
	return ts->line;
}

/* True when a hit of rule id with the same normalised words exists. */
static bool tone_is_duplicate(const struct tone_scan *ts, const struct hd_phrase *ph,
			      size_t start, size_t end)
{
	const char *text = ts->nt->text;

	for (size_t i = 0; i < ts->nhits; i++) {
		if (ts->hits[i].phrase != ph || ts->hit_end[i] - ts->hit_start[i] != end - start)
			continue;
		if (memcmp(text + ts->hit_start[i], text + start, end - start) == 0)
			return true;
	}
	return false;
}

/* Matcher callback: turn a phrase match into a hit unless cancelled. */
static bool collect_hit(const struct hd_match *m, void *ctx)
{
	struct tone_scan *ts = ctx;
	const struct hd_phrase *ph = &ts->p->phrases[m->id];
	struct hd_tone_hit *h;
	size_t ostart, oend;

	if (ts->want_id >= 0 && m->id != ts->want_id)
		return true;
	if (spans_cancel(ts, m->id, m->start, m->end))
		return true;
	if (ts->want_id >= 0) {
		ts->found = true;
		return false;
	}
	if (tone_is_duplicate(ts, ph, m->start, m->end))
		return true;
	if (ts->nhits >= ts->max_hits)
		return false;
	if (ts->nhits == ts->caphits) {
		ts->caphits = ts->caphits ? ts->caphits * 2 : 8;
		ts->hits = xrealloc(ts->hits, ts->caphits * sizeof(*ts->hits));
		ts->hit_start = xrealloc(ts->hit_start, ts->caphits * sizeof(*ts->hit_start));
		ts->hit_end = xrealloc(ts->hit_end, ts->caphits * sizeof(*ts->hit_end));
	}
	ostart = ts->nt->orig[m->start];
	oend = hd_norm_orig_end(ts->nt, ts->orig, m->end);
	h = &ts->hits[ts->nhits];
	h->phrase = ph;
	h->text = xstrndup(ts->orig + ostart, oend - ostart);
	h->line = tone_line(ts, ostart);
	h->action = ph->action != HD_ACTION_NONE ? ph->action : ts->p->tone_action;
	ts->hit_start[ts->nhits] = m->start;
	ts->hit_end[ts->nhits] = m->end;
	ts->nhits++;
	return ts->nhits < ts->max_hits;
}

/* Normalise text and run both matchers of idx into ts. */
static void tone_run(const struct hd_tone_index *idx, struct tone_scan *ts,
		     const char *text, size_t len)
{
	struct hd_normtext *nt = hd_norm_text(text, len);

	ts->orig = text;
	ts->nt = nt;
	ts->line_pos = 0;
	ts->line = 1;
	if (hd_matcher_count(idx->unless) > 0) {
		hd_matcher_scan(idx->unless, nt, collect_unless, ts);
		spans_prepare(ts);
	}
	hd_matcher_scan(idx->match, nt, collect_hit, ts);
	free(ts->spans);
	ts->spans = NULL;
	ts->nspans = ts->capspans = 0;
	ts->nt = NULL;
	hd_normtext_deinit(&nt);
}

/* Scan text for prohibited phrases; returns the number of hits in *hits_r. */
size_t hd_tone_scan(const struct hd_policy *p, const char *text, size_t len,
		    size_t max_hits, struct hd_tone_hit **hits_r)
{
	struct tone_scan ts = { 0 };

	*hits_r = NULL;
	if (p->tone == NULL || max_hits == 0 || len == 0)
		return 0;
	ts.p = p;
	ts.max_hits = max_hits;
	ts.want_id = -1;
	tone_run(p->tone, &ts, text, len);
	free(ts.hit_start);
	free(ts.hit_end);
	*hits_r = ts.hits;
	return ts.nhits;
}

/* Free hits returned by hd_tone_scan. */
void hd_tone_hits_free(struct hd_tone_hit *hits, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(hits[i].text);
	free(hits);
}

/* True when text produces a (not cancelled) hit of phrase index id. */
static bool tone_example_hits(const struct hd_policy *p, const struct hd_tone_index *idx,
			      const char *text, int id)
{
	struct tone_scan ts = { 0 };

	ts.p = p;
	ts.max_hits = 1;
	ts.want_id = id;
	tone_run(idx, &ts, text, strlen(text));
	return ts.found;
}

/* Run every phrase's examples; failures go to diag. Returns failures. */
size_t hd_tone_selftest(const struct hd_policy *p, struct hd_diag *diag)
{
	struct hd_tone_index *own = NULL;
	const struct hd_tone_index *idx = p->tone;
	const char *file = p->file ? p->file : "policy";
	size_t failures = 0;

	if (idx == NULL) {
		/* Not compiled yet: build a private index for the test. */
		size_t before = hd_diag_count(diag);

		own = tone_build(p, diag);
		if (own == NULL)
			return hd_diag_count(diag) - before;
		idx = own;
	}
	for (size_t i = 0; i < p->nphrases; i++) {
		const struct hd_phrase *ph = &p->phrases[i];

		for (size_t k = 0; k < ph->examples_bad.n; k++) {
			if (tone_example_hits(p, idx, ph->examples_bad.v[k], (int)i))
				continue;
			hd_diag_add(diag, file, ph->line, ph->column,
				    "tone phrase '%s': example \"%s\" did not match (expected a hit)",
				    ph->id, ph->examples_bad.v[k]);
			failures++;
		}
		for (size_t k = 0; k < ph->examples_good.n; k++) {
			if (!tone_example_hits(p, idx, ph->examples_good.v[k], (int)i))
				continue;
			hd_diag_add(diag, file, ph->line, ph->column,
				    "tone phrase '%s': good example \"%s\" matched (expected no hit)",
				    ph->id, ph->examples_good.v[k]);
			failures++;
		}
	}
	hd_tone_index_deinit(&own);
	return failures;
}

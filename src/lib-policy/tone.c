/*
 * tone - finds the policy's prohibited phrases in an agent's own text
 * (SPEC s.4, s.7). One matcher holds every `match` and every `unless`
 * phrase of every rule (pattern id 2 * rule index, + 1 for `unless`), so the
 * text is scanned once; a hit is cancelled when an `unless` phrase of the
 * same rule matches a span that contains it. A match waits in a queue until
 * the scan is far enough past its start that no `unless` span still to come
 * can contain it (the longest `unless` phrase away), then is decided in the
 * order the matcher reported it. Hits quote the original words and give
 * their line. The
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
	struct hd_matcher *all;		/* id = 2 * index in p->phrases (+ 1: unless) */
	size_t max_unless;		/* longest normalised `unless` phrase, bytes */
};

/* A remembered `unless` match, or a `match` match waiting for its decision. */
struct unless_span {
	int id;
	size_t start, end;
};

/* State of one scan. */
struct tone_scan {
	const struct hd_policy *p;
	const char *orig;		/* the text as given */
	const struct hd_normtext *nt;
	size_t max_unless;
	struct unless_span *spans;	/* in the order reported: by end */
	size_t nspans, capspans;
	struct unless_span *pending;	/* matches not decided yet, [head, npending) */
	size_t head, npending, cappending;
	bool stopped;			/* a decision said stop */
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
	hd_matcher_deinit(&idx->all);
	free(idx);
	*idxp = NULL;
}

/* Build an index of p's phrases; NULL with diagnostics on a bad phrase. */
static struct hd_tone_index *tone_build(const struct hd_policy *p, struct hd_diag *diag)
{
	struct hd_tone_index *idx = xcalloc(1, sizeof(*idx));
	const char *file = p->file ? p->file : "policy";
	bool ok = true;

	idx->all = hd_matcher_new();
	for (size_t i = 0; i < p->nphrases; i++) {
		const struct hd_phrase *ph = &p->phrases[i];

		for (size_t k = 0; k < ph->match.n; k++) {
			if (hd_matcher_add(idx->all, ph->match.v[k], 2 * (int)i))
				continue;
			hd_diag_add(diag, file, ph->line, ph->column,
				    "tone phrase '%s': match phrase \"%s\" is empty after normalisation or longer than %d bytes",
				    ph->id, ph->match.v[k], HD_MATCHER_MAX_PATTERN_BYTES);
			ok = false;
		}
		for (size_t k = 0; k < ph->unless.n; k++) {
			if (hd_matcher_add(idx->all, ph->unless.v[k], 2 * (int)i + 1)) {
				char *norm = hd_norm_string(ph->unless.v[k]);
				size_t nl = strlen(norm);

				if (nl > idx->max_unless)
					idx->max_unless = nl;
				free(norm);
				continue;
			}
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
	hd_matcher_build(idx->all);
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

/* Remember an `unless` span; beyond the cap further ones are ignored (the
   phrase is then flagged rather than missed). */
static void tone_add_unless(struct tone_scan *ts, int id, size_t start, size_t end)
{
	if (ts->nspans >= HD_TONE_MAX_UNLESS_MATCHES)
		return;
	if (ts->nspans == ts->capspans) {
		ts->capspans = ts->capspans ? ts->capspans * 2 : 16;
		ts->spans = xrealloc(ts->spans, ts->capspans * sizeof(*ts->spans));
	}
	ts->spans[ts->nspans].id = id;
	ts->spans[ts->nspans].start = start;
	ts->spans[ts->nspans].end = end;
	ts->nspans++;
}

/* True when an `unless` span of rule id contains [start, end). Spans are
   in order of end and none is longer than max_unless, so only those ending
   in [end, start + max_unless] can. */
static bool spans_cancel(const struct tone_scan *ts, int id, size_t start, size_t end)
{
	size_t lo = 0, hi = ts->nspans;

	while (lo < hi) {	/* first span with span.end >= end */
		size_t mid = (lo + hi) / 2;

		if (ts->spans[mid].end < end)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < ts->nspans && ts->spans[i].end <= start + ts->max_unless; i++)
		if (ts->spans[i].id == id && ts->spans[i].start <= start)
			return true;
	return false;
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

/* Decide a phrase match whose `unless` spans are all known: a hit unless
   cancelled. False to stop the scan. */
static bool collect_hit(struct tone_scan *ts, const struct unless_span *m)
{
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

/* Decide the waiting matches that start before limit (all: SIZE_MAX), in
   the order reported; false once a decision said stop. */
static bool pending_decide(struct tone_scan *ts, size_t limit)
{
	while (ts->head < ts->npending && ts->pending[ts->head].start < limit) {
		if (!collect_hit(ts, &ts->pending[ts->head++])) {
			ts->stopped = true;
			return false;
		}
	}
	if (ts->head == ts->npending)
		ts->head = ts->npending = 0;
	return true;
}

/* Matcher callback: an `unless` span is remembered, a phrase match waits
   until no `unless` span still to come can contain it. Every span reported
   later ends at m->end or after and starts at most max_unless before its
   end, so a match starting before m->end - max_unless is decided now. */
static bool tone_match(const struct hd_match *m, void *ctx)
{
	struct tone_scan *ts = ctx;

	if (m->id & 1) {
		tone_add_unless(ts, m->id / 2, m->start, m->end);
	} else {
		if (ts->npending == ts->cappending) {
			if (ts->head > 0) {	/* reuse the decided front */
				memmove(ts->pending, ts->pending + ts->head,
					(ts->npending - ts->head) * sizeof(*ts->pending));
				ts->npending -= ts->head;
				ts->head = 0;
			}
			if (ts->npending == ts->cappending) {
				ts->cappending = ts->cappending ? ts->cappending * 2 : 16;
				ts->pending = xrealloc(ts->pending, ts->cappending * sizeof(*ts->pending));
			}
		}
		ts->pending[ts->npending].id = m->id / 2;
		ts->pending[ts->npending].start = m->start;
		ts->pending[ts->npending].end = m->end;
		ts->npending++;
	}
	if (m->end <= ts->max_unless)
		return true;
	return pending_decide(ts, m->end - ts->max_unless);
}

/* Normalise text and run idx's one matcher into ts. */
static void tone_run(const struct hd_tone_index *idx, struct tone_scan *ts,
		     const char *text, size_t len)
{
	struct hd_normtext *nt = hd_norm_text(text, len);

	ts->orig = text;
	ts->nt = nt;
	ts->max_unless = idx->max_unless;
	ts->line_pos = 0;
	ts->line = 1;
	hd_matcher_scan(idx->all, nt, tone_match, ts);
	if (!ts->stopped)
		pending_decide(ts, SIZE_MAX);
	free(ts->spans);
	ts->spans = NULL;
	ts->nspans = ts->capspans = 0;
	free(ts->pending);
	ts->pending = NULL;
	ts->head = ts->npending = ts->cappending = 0;
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

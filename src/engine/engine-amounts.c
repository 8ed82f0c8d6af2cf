/*
 * engine-amounts - which amounts of an outbound reply are the agent's: every
 * text part is read, every alternative too (the HTML the customer sees may
 * differ from the plain text), and the agent's own words include the text
 * below a "-- " signature. An amount the quote split removed (below a quote
 * marker the agent could have typed) is never skipped silently: it is
 * tagged, with the reason, and not counted. One amount written several ways
 * or in several alternatives is one amount. Must never count the same grant
 * twice, and never drop an amount without a trace.
 */
#include <config.h>
#include "engine-int.h"
#include "amount.h"
#include "quote.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Is the line [l, l+len) a signature separator ("-- " or "--")? */
static bool is_sig_line(const char *l, size_t len)
{
	if (len > 0 && l[len - 1] == '\r')
		len--;
	return (len == 3 && memcmp(l, "-- ", 3) == 0) || (len == 2 && memcmp(l, "--", 2) == 0);
}

/* Public entry: see engine-int.h. */
const char *hd_engine_own_text(struct run *r, size_t pi)
{
	const struct hd_textpart *tp = &r->msg->parts[pi];
	bool sig = false;
	char *copy;

	if (r->own_text == NULL)
		r->own_text = xcalloc(r->msg->nparts + 1, sizeof(*r->own_text));
	if (r->own_text[pi] != NULL)
		return r->own_text[pi];
	/* HTML parts: the quote split also dropped HTML quotes; keep it. */
	if (tp->text == NULL || strcmp(tp->content_type, "text/html") == 0) {
		r->own_text[pi] = xstrdup(tp->agent_text ? tp->agent_text : "");
		return r->own_text[pi];
	}
	/* Blank the signature separators and split again: the split then
	   stops at real history only, and the signature stays the agent's. */
	copy = xstrdup(tp->text);
	for (char *l = copy; l && *l;) {
		char *eol = strchr(l, '\n');
		size_t len = eol ? (size_t)(eol - l) : strlen(l);
		if (is_sig_line(l, len)) {
			memset(l, ' ', len);
			sig = true;
		}
		l = eol ? eol + 1 : NULL;
	}
	if (sig) {
		enum hd_quote_result qr;
		r->own_text[pi] = hd_quote_strip(copy, strlen(copy), &qr);
		if (r->own_text[pi] == NULL)
			r->own_text[pi] = xstrdup("");
	} else {
		r->own_text[pi] = xstrdup(tp->agent_text ? tp->agent_text : "");
	}
	free(copy);
	return r->own_text[pi];
}

/* The same amount: kind, value and currency (or percentage). */
static bool amount_same(const struct hd_amount *a, const struct hd_amount *b)
{
	return a->kind == b->kind && a->percent == b->percent && fabs(a->value - b->value) < 0.005 &&
	       (a->percent || strcmp(a->currency, b->currency) == 0);
}

/* Index of an amount equal to a in v[0..n), or n. */
static size_t amount_find(const struct hd_amount *v, size_t n, const struct hd_amount *a)
{
	size_t i = 0;

	while (i < n && !amount_same(&v[i], a))
		i++;
	return i;
}

/* Public entry: see engine-int.h. */
void hd_engine_amounts_add(struct hd_amount **v, size_t *n, struct hd_amount *a)
{
	if (amount_find(*v, *n, a) < *n) {
		free(a->text);
		return;
	}
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = *a;
}

/* Public entry: see engine-int.h. */
size_t hd_engine_amounts(struct run *r, struct hd_amount **amts_r, struct hd_amount **tagged_r,
			 size_t *ntagged_r)
{
	struct hd_amount *own = NULL, *tagged = NULL;
	size_t nown = 0, ntagged = 0;

	for (size_t pi = 0; pi < r->msg->nparts; pi++) {
		const struct hd_textpart *tp = &r->msg->parts[pi];
		const char *own_text = hd_engine_own_text(r, pi);
		struct hd_amount *a, *all, *unsure;
		struct hd_amount_mark mark;
		size_t n = hd_amount_scan_marked(own_text, r->p->currency, &a, &mark), nall;
		/* Only in the part the split is unsure of: tagged there, not counted. */
		size_t nunsure = hd_engine_amounts_unsure(r, tp, &unsure);

		for (size_t i = 0; i < n; i++) {
			if (amount_find(unsure, nunsure, &a[i]) < nunsure)
				free(a[i].text);
			else
				hd_engine_amounts_add(&own, &nown, &a[i]);
		}
		free(a);
		if (tp->quote_found && tp->text != NULL) {
			/* What the split removed: tagged, not counted, never silent.
			   When the whole text begins with the agent's words (plain
			   text, no signature blanked before the mark), its scan up
			   to the mark is theirs, and what it found there is all in
			   own or unsure: read only the rest, the history once. */
			if (mark.prefix > 0 && strncmp(tp->text, own_text, mark.prefix) == 0)
				nall = hd_amount_scan_rest(tp->text, &mark, r->p->currency, &all);
			else
				nall = hd_amount_scan(tp->text, r->p->currency, &all);
			for (size_t i = 0; i < nall; i++) {
				if (amount_find(own, nown, &all[i]) < nown ||
				    amount_find(unsure, nunsure, &all[i]) < nunsure) {
					free(all[i].text);
					continue;
				}
				hd_engine_amounts_add(&tagged, &ntagged, &all[i]);
			}
			free(all);
		}
		hd_amounts_free(unsure, nunsure);
	}
	*amts_r = own;
	*tagged_r = tagged;
	*ntagged_r = ntagged;
	return nown;
}

/* Public entry: see engine-int.h. */
void hd_engine_amounts_tag(struct run *r, const struct hd_amount *tagged, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct hd_amount *a = &tagged[i];
		char *text = a->percent
			? xasprintf("%s %g%% below a quote marker was not counted", hd_amount_kind_name(a->kind), a->value)
			: xasprintf("%s %.2f %s below a quote marker was not counted", hd_amount_kind_name(a->kind),
				    a->value, a->currency);
		struct hd_finding *f = hd_engine_finding_add(r, "authority", "quoted-history", text, HD_ACTION_TAG);
		f->detail = xstrdup("in=quoted-history; why=the quote split removed it; not counted");
		hd_engine_rec_add(r, "authority", "quoted-history", "tag", text,
				  xstrdup("{\"quoted_history\":true,\"counted\":false}"));
		free(text);
	}
}

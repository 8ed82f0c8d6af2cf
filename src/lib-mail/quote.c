/*
 * quote - splits a plain-text reply into the sender's own new words and the
 * history below them. Every line gets a kind (quote-attrib.c), then one pass
 * from the top decides: '>' lines are quoted; a certain marker (signature,
 * separator title, attribution or header block the structure and the word
 * lists agree on) cuts everything below; a half-certain marker makes what
 * follows uncertain; runs of lines the thread's earlier customer messages
 * held are quoted whatever their style. It must never drop text it is unsure
 * about, and never do more than a bounded amount of work per line.
 */
#include <config.h>
#include "quote.h"
#include "quote-int.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* Split text into classified lines (LF or CRLF). */
static struct quote_line *quote_lines(const char *text, size_t len, size_t *n_r)
{
	size_t n = 1, cap;
	struct quote_line *l;

	for (size_t i = 0; i < len; i++)
		if (text[i] == '\n')
			n++;
	cap = n;
	l = xcalloc(cap, sizeof(*l));
	n = 0;
	for (const char *p = text, *end = text + len; p <= end && n < cap;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl != NULL ? nl : end;
		l[n].s = p;
		l[n].len = (size_t)(e - p);
		if (l[n].len > 0 && p[l[n].len - 1] == '\r')
			l[n].len--;
		l[n].kind = quote_classify(l[n].s, l[n].len, &l[n].hdr);
		n++;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	*n_r = n;
	return l;
}

/* FNV-1a over a line's words, one space between them. */
struct line_hash {
	uint64_t h;
	size_t out;		/* bytes hashed */
	bool space;		/* a separator is pending */
};

/* Hash one folded byte: a word byte, or a separator that becomes one space
   before the next word byte. */
static inline void line_hash_step(struct line_hash *st, unsigned char c, bool word)
{
	if (!word) {
		st->space = st->out > 0;
		return;
	}
	if (st->space) {
		st->h = (st->h ^ ' ') * 0x100000001b3ULL;
		st->out++;
		st->space = false;
	}
	st->h = (st->h ^ c) * 0x100000001b3ULL;
	st->out++;
}

/* Normalise a line (fold case, drop quote marks, punctuation and spacing) and
   hash it; returns the normalised length, 0 when nothing is left. */
static size_t quote_line_hash(const char *s, size_t len, uint32_t *hash_r)
{
	char fold[HD_QUOTE_FOLD_MAX];
	struct line_hash st = { 0xcbf29ce484222325ULL, 0, false };

	while (len > 0 && (*s == '>' || *s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	/* An all-ASCII line (most are) needs no folding buffer: there
	   quote_fold only lower-cases. Other lines are folded as before, in
	   the same chunks, so every hash stays what the store holds. */
	size_t ascii = 0;
	while (ascii < len && (unsigned char)s[ascii] < 0x80)
		ascii++;
	for (size_t i = 0; ascii == len && i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c + 32);
		line_hash_step(&st, c, (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'));
	}
	for (size_t off = ascii == len ? len : 0; off < len;) {
		size_t fl = quote_fold(s + off, len - off, fold, sizeof(fold));
		for (size_t i = 0; i < fl; i++) {
			unsigned char c = (unsigned char)fold[i];
			line_hash_step(&st, c, (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80);
		}
		off += fl;
	}
	*hash_r = (uint32_t)(st.h ^ (st.h >> 32));
	return st.out;
}

/* Sort helper for the hashes. */
static int quote_cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* Public entry: see quote.h. */
size_t hd_quote_fingerprint(const char *text, size_t len, uint32_t **hashes_r)
{
	uint32_t *h = NULL;
	size_t n = 0, cap = 0, u = 0;
	const char *p = text != NULL ? text : "", *end = p + (text != NULL ? len : 0);

	while (p < end && n < HD_QUOTE_FP_MAX) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl != NULL ? nl : end;
		uint32_t v;
		if (quote_line_hash(p, (size_t)(e - p), &v) >= HD_QUOTE_FP_MIN) {
			if (n == cap) {
				cap = cap ? cap * 2 : 16;
				h = xrealloc(h, cap * sizeof(*h));
			}
			h[n++] = v;
		}
		p = nl != NULL ? nl + 1 : end;
	}
	if (n > 0) {
		qsort(h, n, sizeof(*h), quote_cmp_u32);
		for (size_t i = 0; i < n; i++)
			if (u == 0 || h[u - 1] != h[i])
				h[u++] = h[i];
	}
	*hashes_r = h;
	return u;
}

/* Mark runs of lines the thread already held: two or more lines in a row
   (blank lines between do not break a run), or one long line, are quoted. */
static bool quote_mark_thread(struct quote_line *l, size_t n, const struct hd_quote_thread *t)
{
	size_t *norm = xcalloc(n, sizeof(*norm));
	bool any = false;

	for (size_t i = 0; i < n; i++) {
		uint32_t v;
		if (l[i].kind == QK_BLANK)
			continue;
		norm[i] = quote_line_hash(l[i].s, l[i].len, &v);
		l[i].thread = norm[i] >= HD_QUOTE_FP_MIN &&
			      bsearch(&v, t->hashes, t->n, sizeof(v), quote_cmp_u32) != NULL;
	}
	for (size_t i = 0; i < n;) {
		if (!l[i].thread) {
			i++;
			continue;
		}
		size_t j = i, hits = 0, last = i;
		bool long_line = false;
		for (; j < n && (l[j].thread || l[j].kind == QK_BLANK); j++)
			if (l[j].thread) {
				hits++;
				last = j;
				long_line |= norm[j] >= HD_QUOTE_FP_LONG;
			}
		if (hits >= 2 || long_line) {
			for (size_t k = i; k <= last; k++)
				l[k].region = HD_QUOTE_QUOTED;
			any = true;
		}
		i = j;
	}
	free(norm);
	return any;
}

/* Index of the next non-blank line at or after i (n when none). */
static size_t quote_next(const struct quote_line *l, size_t n, size_t i)
{
	while (i < n && l[i].kind == QK_BLANK)
		i++;
	return i;
}

/* Is the last non-blank line before i a separator? */
static bool quote_after_separator(const struct quote_line *l, size_t i)
{
	while (i > 0 && l[i - 1].kind == QK_BLANK)
		i--;
	return i > 0 && (l[i - 1].kind == QK_SEPARATOR || l[i - 1].kind == QK_DASHTITLE);
}

/* The pass from the top: regions for every line. */
static void quote_decide(struct quote_line *l, size_t n)
{
	size_t cut = n, unsure = n, start;

	for (size_t i = 0; i < n && cut == n; i++) {
		enum quote_conf c = QC_NONE;
		switch (l[i].kind) {
		case QK_QUOTED:
			l[i].region = HD_QUOTE_QUOTED;
			continue;
		case QK_SIG:
		case QK_ORIGINAL:
			cut = i;
			continue;
		case QK_DASHTITLE:
			c = quote_dashtitle(l, n, i);
			start = i;
			break;
		case QK_HEADER:
			if (i > 0 && l[i - 1].kind == QK_HEADER)
				continue;	/* the block was judged at its first line */
			c = quote_header_block(l, n, i, quote_after_separator(l, i));
			start = i;
			break;
		case QK_TEXT:
			c = quote_attribution(l, n, i, &start);
			if (c != QC_NONE && l[quote_next(l, n, i + 1)].kind == QK_QUOTED) {
				/* bottom or inline quoting: only the marker and the '>' lines go */
				for (size_t k = start; k <= i; k++)
					l[k].region = HD_QUOTE_QUOTED;
				continue;
			}
			break;
		default:
			continue;
		}
		if (c == QC_STRONG)
			cut = start;
		else if (c == QC_WEAK && unsure == n)
			unsure = start;
	}
	if (cut < n) {
		/* the separator and blank lines just above the history go too */
		while (cut > 0 && (l[cut - 1].kind == QK_SEPARATOR || l[cut - 1].kind == QK_BLANK))
			cut--;
		for (size_t i = cut; i < n; i++)
			l[i].region = HD_QUOTE_QUOTED;
	}
	for (size_t i = unsure; i < cut; i++)
		if (l[i].region == HD_QUOTE_AGENT)
			l[i].region = HD_QUOTE_UNSURE;
}

/* Classify and decide; returns the lines (caller frees). */
static struct quote_line *quote_run(const char *text, size_t len,
				    const struct hd_quote_thread *thread, size_t *n_r,
				    bool *thread_r)
{
	struct quote_line *l = quote_lines(text, len, n_r);

	quote_decide(l, *n_r);
	*thread_r = thread != NULL && thread->n > 0 && quote_mark_thread(l, *n_r, thread);
	return l;
}

/* Public entry: see quote.h. */
size_t hd_quote_regions(const char *text, size_t len, const struct hd_quote_thread *thread,
			struct hd_quote_region **regions_r)
{
	struct hd_quote_region *r;
	size_t n, nr = 0;
	bool th;
	struct quote_line *l;

	if (text == NULL) {
		text = "";
		len = 0;
	}
	l = quote_run(text, len, thread, &n, &th);
	r = xcalloc(n, sizeof(*r));
	for (size_t i = 0; i < n; i++) {
		size_t off = (size_t)(l[i].s - text);
		size_t end = i + 1 < n ? (size_t)(l[i + 1].s - text) : len;
		if (nr > 0 && r[nr - 1].kind == (enum hd_quote_kind)l[i].region) {
			r[nr - 1].len = end - r[nr - 1].off;
			continue;
		}
		r[nr].off = off;
		r[nr].len = end - off;
		r[nr].kind = (enum hd_quote_kind)l[i].region;
		nr++;
	}
	free(l);
	*regions_r = r;
	return nr;
}

/* Join the kept lines: leading blank lines and a trailing dropped tail go. */
static char *quote_join(const struct quote_line *l, size_t n, bool keep_unsure)
{
	struct strbuf sb;
	bool first = true;
	size_t last = n;

#define QUOTE_KEEP(x) ((x).region == HD_QUOTE_AGENT || \
		       (keep_unsure && (x).region == HD_QUOTE_UNSURE))
	while (last > 0 && (!QUOTE_KEEP(l[last - 1]) || l[last - 1].kind == QK_BLANK))
		last--;
	sb_init(&sb);
	for (size_t i = 0; i < last; i++) {
		if (!QUOTE_KEEP(l[i]) || (first && l[i].kind == QK_BLANK))
			continue;
		if (!first)
			sb_putc(&sb, '\n');
		sb_append(&sb, l[i].s, l[i].len);
		first = false;
	}
#undef QUOTE_KEEP
	return sb.s;
}

/* Public entry: see quote.h. */
void hd_quote_split(const char *text, size_t len, const struct hd_quote_thread *thread,
		    struct hd_quote_split *split_r)
{
	struct quote_line *l;
	size_t n;

	memset(split_r, 0, sizeof(*split_r));
	if (text == NULL) {
		text = "";
		len = 0;
	}
	l = quote_run(text, len, thread, &n, &split_r->thread);
	for (size_t i = 0; i < n; i++) {
		split_r->found |= l[i].region == HD_QUOTE_QUOTED;
		split_r->uncertain |= l[i].region == HD_QUOTE_UNSURE;
	}
	split_r->agent = split_r->found ? quote_join(l, n, true) : xstrndup(text, len);
	split_r->certain = split_r->found || split_r->uncertain ? quote_join(l, n, false)
								 : xstrndup(text, len);
	free(l);
}

/* Public entry: see quote.h. */
void hd_quote_split_free(struct hd_quote_split *split)
{
	free(split->agent);
	free(split->certain);
	split->agent = split->certain = NULL;
}

/* Public entry: see quote.h. */
char *hd_quote_strip(const char *text, size_t len, enum hd_quote_result *result_r)
{
	struct hd_quote_split sp;

	hd_quote_split(text, len, NULL, &sp);
	if (result_r != NULL)
		*result_r = sp.found ? HD_QUOTE_FOUND
			  : sp.uncertain ? HD_QUOTE_UNCERTAIN : HD_QUOTE_NONE;
	free(sp.certain);
	return sp.agent;
}

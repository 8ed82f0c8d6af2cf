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

	for (const char *p = text, *end = text + len;
	     p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
		n++;
	cap = n;
	l = xmalloc(cap * sizeof(*l));	/* every field is set below */
	n = 0;
	for (const char *p = text, *end = text + len; p <= end && n < cap;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl != NULL ? nl : end;
		l[n] = (struct quote_line){ .s = p, .len = (size_t)(e - p), .region = HD_QUOTE_AGENT };
		if (l[n].len > 0 && p[l[n].len - 1] == '\r')
			l[n].len--;
		l[n].kind = quote_classify_trim(l[n].s, l[n].len, &l[n].hdr, &l[n].t, &l[n].tlen);
		n++;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	*n_r = n;
	return l;
}

/* What a byte hashes as: an ASCII letter or digit its lower case, any
   other ASCII byte 0 (a separator), a byte >= 0x80 1 (a word byte that
   quote_fold() may change: see quote_line_hash()). */
#define QH_LOW(c) [c] = (c) | 0x20
static const uint8_t quote_hash_byte[256] = {
	QH_LOW('0'), QH_LOW('1'), QH_LOW('2'), QH_LOW('3'), QH_LOW('4'), QH_LOW('5'), QH_LOW('6'),
	QH_LOW('7'), QH_LOW('8'), QH_LOW('9'),
	QH_LOW('A'), QH_LOW('B'), QH_LOW('C'), QH_LOW('D'), QH_LOW('E'), QH_LOW('F'), QH_LOW('G'),
	QH_LOW('H'), QH_LOW('I'), QH_LOW('J'), QH_LOW('K'), QH_LOW('L'), QH_LOW('M'), QH_LOW('N'),
	QH_LOW('O'), QH_LOW('P'), QH_LOW('Q'), QH_LOW('R'), QH_LOW('S'), QH_LOW('T'), QH_LOW('U'),
	QH_LOW('V'), QH_LOW('W'), QH_LOW('X'), QH_LOW('Y'), QH_LOW('Z'),
	QH_LOW('a'), QH_LOW('b'), QH_LOW('c'), QH_LOW('d'), QH_LOW('e'), QH_LOW('f'), QH_LOW('g'),
	QH_LOW('h'), QH_LOW('i'), QH_LOW('j'), QH_LOW('k'), QH_LOW('l'), QH_LOW('m'), QH_LOW('n'),
	QH_LOW('o'), QH_LOW('p'), QH_LOW('q'), QH_LOW('r'), QH_LOW('s'), QH_LOW('t'), QH_LOW('u'),
	QH_LOW('v'), QH_LOW('w'), QH_LOW('x'), QH_LOW('y'), QH_LOW('z'),
	[0x80 ... 0xff] = 1,
};
#undef QH_LOW

#define QUOTE_FNV_PRIME 0x100000001b3ULL

/* Normalise a line (fold case, drop quote marks, punctuation and spacing) and
   hash it: FNV-1a over its folded words, one space between them. Returns the
   normalised length, 0 when nothing is left. The values are what stores
   hold: this one pass folds as quote_fold() did over the line in chunks of
   HD_QUOTE_FOLD_MAX bytes (an all-ASCII line only lower-cased), so a pair
   of bytes across a chunk's end stays unfolded. */
static size_t quote_line_hash(const char *s, size_t len, uint32_t *hash_r)
{
	const unsigned char *u;
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t out = 0, i = 0;

	while (len > 0 && (*s == '>' || *s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	u = (const unsigned char *)s;
	while (i < len) {
		unsigned v = quote_hash_byte[u[i]];
		if (v == 0) {			/* separators: one space before the next word */
			while (++i < len && quote_hash_byte[u[i]] == 0)
				;
			if (i < len && out > 0) {
				h = (h ^ ' ') * QUOTE_FNV_PRIME;
				out++;
			}
			continue;
		}
		size_t from = i;
		while (v > 1) {
			h = (h ^ v) * QUOTE_FNV_PRIME;
			if (++i == len)
				break;
			v = quote_hash_byte[u[i]];
		}
		out += i - from;
		if (i == len || v == 0)
			continue;
		unsigned c = u[i], d;
		if (c >= 0xc0 && c < 0xe0 && i + 1 < len && (i + 1) % HD_QUOTE_FOLD_MAX != 0 &&
		    ((d = u[i + 1]) & 0xc0) == 0x80) {
			/* a two-byte letter: quote_fold()'s lower case */
			unsigned cp = ((c & 0x1f) << 6) | (d & 0x3f), lo = quote_fold_cp(cp);
			if (lo != cp && lo < 0x800) {
				c = 0xc0 | (lo >> 6);
				d = 0x80 | (lo & 0x3f);
			}
			h = (h ^ c) * QUOTE_FNV_PRIME;
			h = (h ^ d) * QUOTE_FNV_PRIME;
			out += 2;
			i += 2;
		} else {
			h = (h ^ c) * QUOTE_FNV_PRIME;	/* any other byte >= 0x80 as it is */
			out++;
			i++;
		}
	}
	*hash_r = (uint32_t)(h ^ (h >> 32));
	return out;
}

/* Sort helper for the hashes. */
static int quote_cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* Sort the hashes: by insertion when there are few (a message's lines),
   where qsort's calls per comparison cost more than the moves. */
static void quote_sort_u32(uint32_t *h, size_t n)
{
	if (n > HD_QUOTE_FP_INSERTION) {
		qsort(h, n, sizeof(*h), quote_cmp_u32);
		return;
	}
	for (size_t i = 1; i < n; i++) {
		uint32_t v = h[i];
		size_t j = i;
		for (; j > 0 && h[j - 1] > v; j--)
			h[j] = h[j - 1];
		h[j] = v;
	}
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
		quote_sort_u32(h, n);
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
	bool first = true;
	size_t last = n, size = 0, o = 0;
	char *out;

#define QUOTE_KEEP(x) ((x).region == HD_QUOTE_AGENT || \
		       (keep_unsure && (x).region == HD_QUOTE_UNSURE))
	while (last > 0 && (!QUOTE_KEEP(l[last - 1]) || l[last - 1].kind == QK_BLANK))
		last--;
	/* measured first, then copied into one allocation */
	for (size_t i = 0; i < last; i++) {
		if (!QUOTE_KEEP(l[i]) || (first && l[i].kind == QK_BLANK))
			continue;
		size += (first ? 0 : 1) + l[i].len;
		first = false;
	}
	out = xmalloc(size + 1);
	first = true;
	for (size_t i = 0; i < last; i++) {
		if (!QUOTE_KEEP(l[i]) || (first && l[i].kind == QK_BLANK))
			continue;
		if (!first)
			out[o++] = '\n';
		memcpy(out + o, l[i].s, l[i].len);
		o += l[i].len;
		first = false;
	}
#undef QUOTE_KEEP
	out[o] = '\0';
	return out;
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

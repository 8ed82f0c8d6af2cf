/*
 * norm - turns text as an agent wrote it into the one form phrases are
 * matched in (SPEC s.7): NFKC with Unicode case folding (utf8proc), default
 * ignorable characters dropped, curly quotes and dashes folded to ASCII, a
 * small table of UTS #39 confusables mapped to Latin for non-ASCII letters,
 * and every run of white space and control characters collapsed to a single
 * space. Every output byte remembers the input offset it came from.
 *
 * Must never: map an ASCII character to another letter (only A-Z are lower
 * cased), read past len, keep state between calls, or fail on invalid UTF-8
 * (each bad byte becomes U+FFFD).
 */
#include <config.h>
#include "norm.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* Room for one code point's full compatibility decomposition plus folding
   (U+FDFA expands to 18 code points) times the cluster size. */
#define NORM_CP_EXPANSION 24
#define NORM_CLUSTER_BUF (HD_NORM_MAX_CLUSTER * NORM_CP_EXPANSION)

/* utf8proc options for one code point: compatibility decomposition, case
   folding, default ignorables removed. Composition happens per cluster. */
#define NORM_DECOMPOSE_OPTS (UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT | \
			     UTF8PROC_CASEFOLD | UTF8PROC_IGNORE | UTF8PROC_STABLE)

/*
 * Confusables: a compact subset of Unicode's confusables.txt (UTS #39,
 * security mechanisms data, "MA" table) - the entries whose skeleton is one
 * ASCII Latin letter and whose source is a Cyrillic, Greek, Armenian or
 * non-ASCII Latin letter commonly used to disguise English words. Applied to
 * the code point as written (before case folding, since e.g. Greek capital
 * Eta looks like H but its lower case eta looks like n); the ASCII target is
 * then case folded like any other letter. ASCII input is never in the table.
 * Sorted by code point for binary search.
 */
struct confusable {
	uint32_t cp;
	char ascii;
};
static const struct confusable confusables[] = {
	{ 0x0131, 'i' },	/* LATIN SMALL LETTER DOTLESS I */
	{ 0x01C0, 'l' },	/* LATIN LETTER DENTAL CLICK */
	{ 0x0237, 'j' },	/* LATIN SMALL LETTER DOTLESS J */
	{ 0x0251, 'a' },	/* LATIN SMALL LETTER ALPHA */
	{ 0x0261, 'g' },	/* LATIN SMALL LETTER SCRIPT G */
	{ 0x0269, 'i' },	/* LATIN SMALL LETTER IOTA */
	{ 0x0391, 'A' },	/* GREEK CAPITAL LETTER ALPHA */
	{ 0x0392, 'B' },	/* GREEK CAPITAL LETTER BETA */
	{ 0x0395, 'E' },	/* GREEK CAPITAL LETTER EPSILON */
	{ 0x0396, 'Z' },	/* GREEK CAPITAL LETTER ZETA */
	{ 0x0397, 'H' },	/* GREEK CAPITAL LETTER ETA */
	{ 0x0399, 'I' },	/* GREEK CAPITAL LETTER IOTA */
	{ 0x039A, 'K' },	/* GREEK CAPITAL LETTER KAPPA */
	{ 0x039C, 'M' },	/* GREEK CAPITAL LETTER MU */
	{ 0x039D, 'N' },	/* GREEK CAPITAL LETTER NU */
	{ 0x039F, 'O' },	/* GREEK CAPITAL LETTER OMICRON */
	{ 0x03A1, 'P' },	/* GREEK CAPITAL LETTER RHO */
	{ 0x03A4, 'T' },	/* GREEK CAPITAL LETTER TAU */
	{ 0x03A5, 'Y' },	/* GREEK CAPITAL LETTER UPSILON */
	{ 0x03A7, 'X' },	/* GREEK CAPITAL LETTER CHI */
	{ 0x03B1, 'a' },	/* GREEK SMALL LETTER ALPHA */
	{ 0x03B3, 'y' },	/* GREEK SMALL LETTER GAMMA */
	{ 0x03B7, 'n' },	/* GREEK SMALL LETTER ETA */
	{ 0x03B9, 'i' },	/* GREEK SMALL LETTER IOTA */
	{ 0x03BA, 'k' },	/* GREEK SMALL LETTER KAPPA */
	{ 0x03BD, 'v' },	/* GREEK SMALL LETTER NU */
	{ 0x03BF, 'o' },	/* GREEK SMALL LETTER OMICRON */
	{ 0x03C1, 'p' },	/* GREEK SMALL LETTER RHO */
	{ 0x03C3, 'o' },	/* GREEK SMALL LETTER SIGMA */
	{ 0x03C5, 'u' },	/* GREEK SMALL LETTER UPSILON */
	{ 0x03C7, 'x' },	/* GREEK SMALL LETTER CHI */
	{ 0x03F2, 'c' },	/* GREEK LUNATE SIGMA SYMBOL */
	{ 0x03F3, 'j' },	/* GREEK LETTER YOT */
	{ 0x0405, 'S' },	/* CYRILLIC CAPITAL LETTER DZE */
	{ 0x0406, 'I' },	/* CYRILLIC CAPITAL LETTER BYELORUSSIAN-UKRAINIAN I */
	{ 0x0408, 'J' },	/* CYRILLIC CAPITAL LETTER JE */
	{ 0x0410, 'A' },	/* CYRILLIC CAPITAL LETTER A */
	{ 0x0412, 'B' },	/* CYRILLIC CAPITAL LETTER VE */
	{ 0x0415, 'E' },	/* CYRILLIC CAPITAL LETTER IE */
	{ 0x041A, 'K' },	/* CYRILLIC CAPITAL LETTER KA */
	{ 0x041C, 'M' },	/* CYRILLIC CAPITAL LETTER EM */
	{ 0x041D, 'H' },	/* CYRILLIC CAPITAL LETTER EN */
	{ 0x041E, 'O' },	/* CYRILLIC CAPITAL LETTER O */
	{ 0x0420, 'P' },	/* CYRILLIC CAPITAL LETTER ER */
	{ 0x0421, 'C' },	/* CYRILLIC CAPITAL LETTER ES */
	{ 0x0422, 'T' },	/* CYRILLIC CAPITAL LETTER TE */
	{ 0x0423, 'Y' },	/* CYRILLIC CAPITAL LETTER U */
	{ 0x0425, 'X' },	/* CYRILLIC CAPITAL LETTER HA */
	{ 0x0430, 'a' },	/* CYRILLIC SMALL LETTER A */
	{ 0x0435, 'e' },	/* CYRILLIC SMALL LETTER IE */
	{ 0x043E, 'o' },	/* CYRILLIC SMALL LETTER O */
	{ 0x0440, 'p' },	/* CYRILLIC SMALL LETTER ER */
	{ 0x0441, 'c' },	/* CYRILLIC SMALL LETTER ES */
	{ 0x0443, 'y' },	/* CYRILLIC SMALL LETTER U */
	{ 0x0445, 'x' },	/* CYRILLIC SMALL LETTER HA */
	{ 0x0455, 's' },	/* CYRILLIC SMALL LETTER DZE */
	{ 0x0456, 'i' },	/* CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I */
	{ 0x0458, 'j' },	/* CYRILLIC SMALL LETTER JE */
	{ 0x04AE, 'Y' },	/* CYRILLIC CAPITAL LETTER STRAIGHT U */
	{ 0x04AF, 'y' },	/* CYRILLIC SMALL LETTER STRAIGHT U */
	{ 0x04BA, 'H' },	/* CYRILLIC CAPITAL LETTER SHHA */
	{ 0x04BB, 'h' },	/* CYRILLIC SMALL LETTER SHHA */
	{ 0x04C0, 'l' },	/* CYRILLIC LETTER PALOCHKA */
	{ 0x04CF, 'l' },	/* CYRILLIC SMALL LETTER PALOCHKA */
	{ 0x0501, 'd' },	/* CYRILLIC SMALL LETTER KOMI DE */
	{ 0x051A, 'Q' },	/* CYRILLIC CAPITAL LETTER QA */
	{ 0x051B, 'q' },	/* CYRILLIC SMALL LETTER QA */
	{ 0x051C, 'W' },	/* CYRILLIC CAPITAL LETTER WE */
	{ 0x051D, 'w' },	/* CYRILLIC SMALL LETTER WE */
	{ 0x0555, 'O' },	/* ARMENIAN CAPITAL LETTER OH */
	{ 0x0566, 'q' },	/* ARMENIAN SMALL LETTER ZA */
	{ 0x0570, 'h' },	/* ARMENIAN SMALL LETTER HO */
	{ 0x0578, 'n' },	/* ARMENIAN SMALL LETTER VO */
	{ 0x057D, 'u' },	/* ARMENIAN SMALL LETTER SEH */
	{ 0x0581, 'g' },	/* ARMENIAN SMALL LETTER CO */
	{ 0x0585, 'o' },	/* ARMENIAN SMALL LETTER OH */
};

/* Output under construction: text plus the parallel origin array. */
struct normbuf {
	char *text;
	size_t *orig;
	size_t len, cap;
	bool pending_space;	/* white space seen since the last output */
	size_t space_orig;	/* where that white space began */
};

/* Lower case for ASCII letters, identity for other bytes. */
static inline unsigned char ascii_lower(unsigned char b)
{
	return (b >= 'A' && b <= 'Z') ? (unsigned char)(b + ('a' - 'A')) : b;
}

/* ASCII as the fast path writes it: 0 for white space and control
   characters (collapsed), A-Z lower cased, every other byte as it is. */
static const unsigned char ascii_fold[128] = {
	['!'] = '!', ['"'] = '"', ['#'] = '#', ['$'] = '$', ['%'] = '%', ['&'] = '&',
	['\''] = '\'', ['('] = '(', [')'] = ')', ['*'] = '*', ['+'] = '+', [','] = ',',
	['-'] = '-', ['.'] = '.', ['/'] = '/', ['0'] = '0', ['1'] = '1', ['2'] = '2',
	['3'] = '3', ['4'] = '4', ['5'] = '5', ['6'] = '6', ['7'] = '7', ['8'] = '8',
	['9'] = '9', [':'] = ':', [';'] = ';', ['<'] = '<', ['='] = '=', ['>'] = '>',
	['?'] = '?', ['@'] = '@', ['A'] = 'a', ['B'] = 'b', ['C'] = 'c', ['D'] = 'd',
	['E'] = 'e', ['F'] = 'f', ['G'] = 'g', ['H'] = 'h', ['I'] = 'i', ['J'] = 'j',
	['K'] = 'k', ['L'] = 'l', ['M'] = 'm', ['N'] = 'n', ['O'] = 'o', ['P'] = 'p',
	['Q'] = 'q', ['R'] = 'r', ['S'] = 's', ['T'] = 't', ['U'] = 'u', ['V'] = 'v',
	['W'] = 'w', ['X'] = 'x', ['Y'] = 'y', ['Z'] = 'z', ['['] = '[', ['\\'] = '\\',
	[']'] = ']', ['^'] = '^', ['_'] = '_', ['`'] = '`', ['a'] = 'a', ['b'] = 'b',
	['c'] = 'c', ['d'] = 'd', ['e'] = 'e', ['f'] = 'f', ['g'] = 'g', ['h'] = 'h',
	['i'] = 'i', ['j'] = 'j', ['k'] = 'k', ['l'] = 'l', ['m'] = 'm', ['n'] = 'n',
	['o'] = 'o', ['p'] = 'p', ['q'] = 'q', ['r'] = 'r', ['s'] = 's', ['t'] = 't',
	['u'] = 'u', ['v'] = 'v', ['w'] = 'w', ['x'] = 'x', ['y'] = 'y', ['z'] = 'z',
	['{'] = '{', ['|'] = '|', ['}'] = '}', ['~'] = '~',
};

/* Offset of the first byte >= 0x80 in s[i..len), or len; eight bytes a step. */
static size_t ascii_run_end(const char *s, size_t i, size_t len)
{
	while (i + 8 <= len) {
		uint64_t w;

		memcpy(&w, s + i, sizeof(w));
		if (w & 0x8080808080808080ull)
			break;
		i += 8;
	}
	while (i < len && (unsigned char)s[i] < 0x80)
		i++;
	return i;
}

/* Make room for n more output bytes. */
static void normbuf_reserve(struct normbuf *nb, size_t n)
{
	if (nb->len + n + 1 <= nb->cap)
		return;
	while (nb->len + n + 1 > nb->cap)
		nb->cap *= 2;
	nb->text = xrealloc(nb->text, nb->cap);
	nb->orig = xrealloc(nb->orig, nb->cap * sizeof(*nb->orig));
}

/* Note white space at input offset off; it is written lazily so runs
   collapse and leading/trailing space disappears. */
static inline void normbuf_space(struct normbuf *nb, size_t off)
{
	if (nb->len > 0 && !nb->pending_space) {
		nb->pending_space = true;
		nb->space_orig = off;
	}
}

/* Write the pending space, if any, before a visible character. */
static inline void normbuf_flush_space(struct normbuf *nb)
{
	if (nb->pending_space) {
		nb->text[nb->len] = ' ';
		nb->orig[nb->len] = nb->space_orig;
		nb->len++;
		nb->pending_space = false;
	}
}

/* Append one code point's UTF-8 encoding, all bytes from input offset off. */
static void normbuf_put_cp(struct normbuf *nb, utf8proc_int32_t cp, size_t off)
{
	utf8proc_uint8_t enc[4];
	utf8proc_ssize_t n = utf8proc_encode_char(cp, enc);

	normbuf_reserve(nb, 5);
	normbuf_flush_space(nb);
	for (utf8proc_ssize_t k = 0; k < n; k++) {
		nb->text[nb->len] = (char)enc[k];
		nb->orig[nb->len] = off;
		nb->len++;
	}
}

/* The confusable table's ASCII letter for cp, or 0. */
static char confusable_lookup(utf8proc_int32_t cp)
{
	size_t lo = 0, hi = sizeof(confusables) / sizeof(confusables[0]);

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (confusables[mid].cp == (uint32_t)cp)
			return confusables[mid].ascii;
		if (confusables[mid].cp < (uint32_t)cp)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* Fold a typographic quote or dash to its ASCII form; other code points
   are returned unchanged. */
static utf8proc_int32_t fold_punct(utf8proc_int32_t cp)
{
	switch (cp) {
	case 0x2018: case 0x2019: case 0x201B: case 0x2032:	/* ‘ ’ ‛ ′ */
	case 0x02BC: case 0x00B4: case 0xFF07:			/* ʼ ´ ＇ */
		return '\'';
	case 0x201C: case 0x201D: case 0x201E: case 0x201F:	/* “ ” „ ‟ */
	case 0x2033: case 0xFF02:				/* ″ ＂ */
		return '"';
	case 0x2010: case 0x2011: case 0x2012: case 0x2013:	/* ‐ ‑ ‒ – */
	case 0x2014: case 0x2015: case 0x2212: case 0x2043:	/* — ― − ⁃ */
	case 0xFE58: case 0xFE63: case 0xFF0D:			/* ﹘ ﹣ － */
		return '-';
	}
	return cp;
}

/* Fold one code point as written: quotes and dashes, then confusable
   letters (non-ASCII only). */
static utf8proc_int32_t fold_written(utf8proc_int32_t cp)
{
	utf8proc_int32_t f;
	char c;

	if (cp < 0x80)
		return cp;
	f = fold_punct(cp);
	if (f != cp)
		return f;
	c = confusable_lookup(cp);
	return c ? (utf8proc_int32_t)c : cp;
}

/* True for code points that separate words as white space does: Unicode
   space separators, line/paragraph separators and control characters. */
static bool is_space_cp(utf8proc_int32_t cp)
{
	utf8proc_category_t cat;

	if (cp < 0x80)
		return cp <= 0x20 || cp == 0x7F;
	cat = utf8proc_category(cp);
	return cat == UTF8PROC_CATEGORY_ZS || cat == UTF8PROC_CATEGORY_ZL ||
	       cat == UTF8PROC_CATEGORY_ZP || cat == UTF8PROC_CATEGORY_CC;
}

/* True for code points dropped entirely: default ignorables (soft hyphen,
   zero-width characters, variation selectors, BOM) and other format (Cf)
   characters. */
static bool is_ignorable_cp(utf8proc_int32_t cp)
{
	if (cp < 0x80)
		return false;
	return utf8proc_get_property(cp)->ignorable ||
	       utf8proc_category(cp) == UTF8PROC_CATEGORY_CF;
}

/* Decode one code point at s[0..n); invalid UTF-8 gives U+FFFD over one byte.
   Returns the number of bytes consumed. */
static size_t decode_cp(const char *s, size_t n, utf8proc_int32_t *cp_r)
{
	utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s,
					      (utf8proc_ssize_t)(n > 4 ? 4 : n), cp_r);
	if (k <= 0) {
		*cp_r = 0xFFFD;
		return 1;
	}
	return (size_t)k;
}

/* Canonical ordering (stable by combining class) of the marks in buf. */
static void canonical_order(utf8proc_int32_t *buf, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		utf8proc_int32_t c = buf[i];
		int cc = utf8proc_get_property(c)->combining_class;
		size_t j = i;

		if (cc == 0)
			continue;
		while (j > 0) {
			int pc = utf8proc_get_property(buf[j - 1])->combining_class;
			if (pc == 0 || pc <= cc)
				break;
			buf[j] = buf[j - 1];
			j--;
		}
		buf[j] = c;
	}
}

/* In a cluster's result: white space (collapsed by the output buffer). */
#define NORM_SPACE (-1)

/* Normalise one cluster (a base code point and its combining marks) into
   out[]: the code points to write, NORM_SPACE for white space; ignorable
   characters are already dropped. Returns how many (at most
   NORM_CLUSTER_BUF). */
static size_t norm_cluster_cps(const utf8proc_int32_t *cps, size_t ncps, utf8proc_int32_t *out)
{
	utf8proc_int32_t buf[NORM_CLUSTER_BUF];
	utf8proc_ssize_t n = 0;
	size_t nout = 0;
	int boundclass = 0;

	for (size_t i = 0; i < ncps; i++) {
		utf8proc_int32_t cp = cps[i];
		utf8proc_ssize_t k;

		if (is_space_cp(cp)) {
			out[nout++] = NORM_SPACE;
			continue;
		}
		if (is_ignorable_cp(cp))
			continue;
		cp = fold_written(cp);
		k = utf8proc_decompose_char(cp, buf + n, NORM_CLUSTER_BUF - n,
					    NORM_DECOMPOSE_OPTS, &boundclass);
		if (k < 0 || k > NORM_CLUSTER_BUF - n) {
			/* Cannot happen with the sizes above; keep the character. */
			if (n < NORM_CLUSTER_BUF)
				buf[n++] = 0xFFFD;
			continue;
		}
		n += k;
	}
	if (n == 0)
		return nout;
	canonical_order(buf, (size_t)n);
	n = utf8proc_normalize_utf32(buf, n, UTF8PROC_COMPOSE | UTF8PROC_STABLE);
	for (utf8proc_ssize_t i = 0; i < n && nout < NORM_CLUSTER_BUF; i++) {
		utf8proc_int32_t cp = buf[i];

		if (is_space_cp(cp)) {
			out[nout++] = NORM_SPACE;
			continue;
		}
		if (is_ignorable_cp(cp))
			continue;
		/* Compatibility forms may decompose to a curly quote or dash. */
		if (cp >= 0x80)
			cp = fold_punct(cp);
		out[nout++] = cp;
	}
	return nout;
}

/* Append a cluster's result (from norm_cluster_cps), all from input offset off. */
static void norm_emit(struct normbuf *nb, const utf8proc_int32_t *out, size_t nout, size_t off)
{
	for (size_t i = 0; i < nout; i++) {
		if (out[i] == NORM_SPACE)
			normbuf_space(nb, off);
		else
			normbuf_put_cp(nb, out[i], off);
	}
}

/*
 * The result of a cluster that is one code point depends on that code point
 * alone, so one call keeps the last results in a small direct-mapped cache,
 * already encoded: text in a non-Latin script repeats few code points, and
 * each then costs a lookup and a copy instead of utf8proc's decomposition,
 * composition and encoding. A 0 byte in a result stands for white space (a
 * result never holds U+0000: it is a control character, i.e. white space).
 * Results longer than NORM_CACHE_BYTES are not cached. Local to one call
 * (no shared state).
 */
#define NORM_CACHE_SIZE 256	/* power of two */
#define NORM_CACHE_BYTES 27

struct norm_cache_entry {
	utf8proc_int32_t cp;	/* -1: empty */
	uint8_t nbytes;
	char bytes[NORM_CACHE_BYTES];
};

/* Append a cached result, all from input offset off. */
static void norm_emit_cached(struct normbuf *nb, const struct norm_cache_entry *e, size_t off)
{
	normbuf_reserve(nb, (size_t)e->nbytes + 1);
	for (size_t k = 0; k < e->nbytes; k++) {
		if (e->bytes[k] == 0) {
			normbuf_space(nb, off);
			continue;
		}
		normbuf_flush_space(nb);
		nb->text[nb->len] = e->bytes[k];
		nb->orig[nb->len] = off;
		nb->len++;
	}
}

/* Normalise and append one cluster, through the cache when it is one code point. */
static void norm_cluster(struct normbuf *nb, struct norm_cache_entry *cache,
			 const utf8proc_int32_t *cps, size_t ncps, size_t off)
{
	utf8proc_int32_t out[NORM_CLUSTER_BUF];
	size_t nout;

	if (cache != NULL && ncps == 1) {
		struct norm_cache_entry *e = &cache[(uint32_t)cps[0] & (NORM_CACHE_SIZE - 1)];
		size_t nb_bytes = 0;
		bool fits = true;

		if (e->cp == cps[0]) {
			norm_emit_cached(nb, e, off);
			return;
		}
		nout = norm_cluster_cps(cps, 1, out);
		for (size_t k = 0; k < nout && fits; k++) {
			utf8proc_uint8_t enc[4];
			utf8proc_ssize_t n = out[k] == NORM_SPACE ? 1 : utf8proc_encode_char(out[k], enc);

			if (nb_bytes + (size_t)n > NORM_CACHE_BYTES) {
				fits = false;
				break;
			}
			if (out[k] == NORM_SPACE)
				e->bytes[nb_bytes] = 0;
			else
				memcpy(e->bytes + nb_bytes, enc, (size_t)n);
			nb_bytes += (size_t)n;
		}
		if (fits) {
			e->cp = cps[0];
			e->nbytes = (uint8_t)nb_bytes;
			norm_emit_cached(nb, e, off);
			return;
		}
		e->cp = -1;	/* the bytes were overwritten */
	} else {
		nout = norm_cluster_cps(cps, ncps, out);
	}
	norm_emit(nb, out, nout, off);
}

/* Normalise len bytes; general_only skips the ASCII fast path and the
   cluster cache (the reference the fast paths are tested against). */
static struct hd_normtext *norm_text(const char *s, size_t len, bool general_only)
{
	struct hd_normtext *nt = xcalloc(1, sizeof(*nt));
	struct normbuf nb = { 0 };
	struct norm_cache_entry cache[NORM_CACHE_SIZE];
	bool cache_ready = false;	/* emptied at the first cluster: ASCII text never pays */
	size_t i = 0;
	size_t next_at = 0, next_len = 0;	/* a code point decoded ahead */
	utf8proc_int32_t next_cp = 0;

	nb.cap = len + 16;
	nb.text = xmalloc(nb.cap);
	nb.orig = xmalloc(nb.cap * sizeof(*nb.orig));

	while (i < len) {
		unsigned char b = (unsigned char)s[i];
		utf8proc_int32_t cps[HD_NORM_MAX_CLUSTER];
		size_t ncps, j;

		/* Fast path: a run of ASCII bytes, each not followed by a possible
		   combining mark (the last byte before a non-ASCII one takes the
		   slow path). Output is at most one byte per input byte plus one
		   pending space; locals keep the loop free of reloads. */
		if (!general_only && b < 0x80) {
			size_t end = ascii_run_end(s, i, len);

			if (end < len)
				end--;	/* may carry a combining mark */
			if (end > i) {
				char *out;
				size_t *org, o;
				bool pend;
				size_t sorig;

				normbuf_reserve(&nb, end - i + 1);
				out = nb.text;
				org = nb.orig;
				o = nb.len;
				pend = nb.pending_space;
				sorig = nb.space_orig;
				for (; i < end; i++) {
					unsigned char c = ascii_fold[(unsigned char)s[i]];

					if (c != 0) {
						if (pend) {
							out[o] = ' ';
							org[o++] = sorig;
							pend = false;
						}
						out[o] = (char)c;
						org[o++] = i;
					} else if (o > 0 && !pend) {
						pend = true;
						sorig = i;
					}
				}
				nb.len = o;
				nb.pending_space = pend;
				nb.space_orig = sorig;
				continue;
			}
		}

		/* Slow path: a base code point and the combining marks after it.
		   The code point that ended the previous cluster was decoded
		   already: it is this one's base. */
		if (next_at == i && next_len > 0) {
			cps[0] = next_cp;
			j = i + next_len;
		} else {
			j = i + decode_cp(s + i, len - i, &cps[0]);
		}
		next_len = 0;
		ncps = 1;
		while (j < len && ncps < HD_NORM_MAX_CLUSTER && (unsigned char)s[j] >= 0x80) {
			utf8proc_int32_t cp;
			size_t k = decode_cp(s + j, len - j, &cp);

			if (utf8proc_get_property(cp)->combining_class == 0) {
				next_at = j;
				next_cp = cp;
				next_len = k;
				break;
			}
			cps[ncps++] = cp;
			j += k;
		}
		if (!general_only && !cache_ready) {
			for (size_t k = 0; k < NORM_CACHE_SIZE; k++)
				cache[k].cp = -1;
			cache_ready = true;
		}
		norm_cluster(&nb, general_only ? NULL : cache, cps, ncps, i);
		i = j;
	}

	nb.text[nb.len] = '\0';
	nb.orig[nb.len] = len;
	nt->text = nb.text;
	nt->orig = nb.orig;
	nt->len = nb.len;
	return nt;
}

/* Normalise len bytes of (possibly invalid) UTF-8. */
struct hd_normtext *hd_norm_text(const char *s, size_t len)
{
	return norm_text(s, len, false);
}

/* The same without the fast paths: the reference for tests. */
struct hd_normtext *hd_norm_text_general(const char *s, size_t len)
{
	return norm_text(s, len, true);
}

/* Free a normalised text and clear the caller's pointer. */
void hd_normtext_deinit(struct hd_normtext **ntp)
{
	struct hd_normtext *nt = *ntp;

	if (nt == NULL)
		return;
	free(nt->text);
	free(nt->orig);
	free(nt);
	*ntp = NULL;
}

/* Normalise a NUL-terminated string into a new allocated string. An ASCII
   string (every pattern of most policies) takes hd_norm_text's fast path
   throughout, so it is folded here in one allocation, without offsets. */
char *hd_norm_string(const char *s)
{
	size_t len = strlen(s);
	struct hd_normtext *nt;
	char *out;

	if (ascii_run_end(s, 0, len) == len) {
		size_t o = 0;
		bool pend = false;

		out = xmalloc(len + 1);
		for (size_t i = 0; i < len; i++) {
			unsigned char c = ascii_fold[(unsigned char)s[i]];

			if (c == 0) {
				pend = o > 0;
				continue;
			}
			if (pend)
				out[o++] = ' ';
			pend = false;
			out[o++] = (char)c;
		}
		out[o] = '\0';
		return out;
	}
	nt = hd_norm_text(s, len);
	out = nt->text;

	nt->text = NULL;
	hd_normtext_deinit(&nt);
	return out;
}

/* True when the code point is a word character (letter, mark, number, '_'). */
bool hd_norm_is_word_cp(long cp)
{
	utf8proc_category_t cat;

	if (cp < 0x80)
		return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
		       (cp >= '0' && cp <= '9') || cp == '_';
	if (cp > 0x10FFFF)
		return false;
	cat = utf8proc_category((utf8proc_int32_t)cp);
	return cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_NO;
}

/* Word-ness of the code point starting at text[off] (off < len). */
static bool word_at(const char *text, size_t len, size_t off)
{
	utf8proc_int32_t cp;

	decode_cp(text + off, len - off, &cp);
	return hd_norm_is_word_cp(cp);
}

/* Word-ness of the code point ending just before text[off] (off > 0). */
static bool word_before(const char *text, size_t off)
{
	size_t start = off - 1;

	/* Step back over at most three continuation bytes to the lead byte. */
	while (start > 0 && off - start < 4 && ((unsigned char)text[start] & 0xC0) == 0x80)
		start--;
	return word_at(text, off, start);
}

/* True when off is the start or end of the text or of a word run. */
bool hd_norm_is_word_boundary(const char *text, size_t len, size_t off)
{
	if (off == 0 || off >= len)
		return true;
	return word_before(text, off) != word_at(text, len, off);
}

/* True when word characters lie on both sides of off. */
bool hd_norm_inside_word(const char *text, size_t len, size_t off)
{
	if (off == 0 || off >= len)
		return false;
	return word_at(text, len, off) && word_before(text, off);
}

/* Original offset just past the source of text[end - 1], trimmed of white
   space and ignorables that produced no output. */
size_t hd_norm_orig_end(const struct hd_normtext *nt, const char *s, size_t end)
{
	size_t last, e;

	if (end == 0)
		return nt->orig[0];
	last = nt->orig[end - 1];
	e = nt->orig[end];
	while (e > last + 1) {
		size_t start = e - 1;
		utf8proc_int32_t cp;

		while (start > last && e - start < 4 && ((unsigned char)s[start] & 0xC0) == 0x80)
			start--;
		if (decode_cp(s + start, e - start, &cp) != e - start)
			break;
		if (!is_space_cp(cp) && !is_ignorable_cp(cp))
			break;
		e = start;
	}
	return e;
}

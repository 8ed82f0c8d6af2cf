/*
 * quote-attrib - recognises the markers above quoted history by their
 * structure, in any language: an attribution is a short line (or a few
 * wrapped lines) ending in ':' or in a "wrote" verb that carries an address
 * or a date/time; a header block is three or more "Name: value" lines, one
 * with an address and one with a date. The word lists of quote-words.c only
 * raise confidence. Every test looks at a bounded number of bytes and lines,
 * so the whole split stays linear in the size of the text.
 */
#include <config.h>
#include "quote-int.h"

#include <string.h>

/* Is the byte an ASCII digit? */
static bool qa_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* Word bytes: ASCII letters and digits 1, any UTF-8 byte 2. */
static const uint8_t qa_word[256] = {
	['0' ... '9'] = 1, ['A' ... 'Z'] = 1, ['a' ... 'z'] = 1, [0x80 ... 0xff] = 2,
};

/* Is the byte part of a word (ASCII letter or digit, or any UTF-8 byte)? */
static inline bool qa_wordch(unsigned char c)
{
	return qa_word[c] != 0;
}

/* Bytes a header name never holds: digits and the punctuation of a
   sentence or a URL ("@<>/.,;()[]\"=#?!|\\{}+&%$"), and NUL. */
static const uint8_t qa_hdr_bad[256] = {
	[0] = 1, ['0' ... '9'] = 1, ['@'] = 1, ['<'] = 1, ['>'] = 1, ['/'] = 1, ['.'] = 1,
	[','] = 1, [';'] = 1, ['('] = 1, [')'] = 1, ['['] = 1, [']'] = 1, ['"'] = 1, ['='] = 1,
	['#'] = 1, ['?'] = 1, ['!'] = 1, ['|'] = 1, ['\\'] = 1, ['{'] = 1, ['}'] = 1, ['+'] = 1,
	['&'] = 1, ['%'] = 1, ['$'] = 1,
};

/* Length of an invisible direction mark (U+200E, U+200F, U+202A-U+202E) at s. */
static size_t qa_mark(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;

	if (len >= 3 && u[0] == 0xe2 && u[1] == 0x80 &&
	    (u[2] == 0x8e || u[2] == 0x8f || (u[2] >= 0xaa && u[2] <= 0xae)))
		return 3;
	return 0;
}

/* Drop blanks and direction marks at both ends. */
void quote_trim(const char **s, size_t *len)
{
	unsigned char first = *len > 0 ? (unsigned char)**s : 0;
	unsigned char last = *len > 0 ? (unsigned char)(*s)[*len - 1] : 0;

	/* most lines start and end in neither a blank nor a mark (0xe2 ...) */
	if (first != ' ' && first != '\t' && first != 0xe2 && last != ' ' && last != '\t' &&
	    !(last >= 0x8e && last <= 0xae))
		return;
	for (;;) {
		size_t m = qa_mark(*s, *len);
		if (*len > 0 && (**s == ' ' || **s == '\t'))
			m = 1;
		if (m == 0)
			break;
		*s += m;
		*len -= m;
	}
	for (;;) {
		if (*len > 0 && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
			(*len)--;
		else if (*len >= 3 && qa_mark(*s + *len - 3, 3) == 3)
			*len -= 3;
		else
			break;
	}
}

/* Does the text hold an email address (word@domain.tld)? */
bool quote_has_address(const char *s, size_t len)
{
	for (size_t i = 1; i + 3 < len; i++) {
		const char *at = memchr(s + i, '@', len - 3 - i);
		if (at == NULL)
			break;
		i = (size_t)(at - s);
		if (!qa_wordch((unsigned char)s[i - 1]))
			continue;
		bool dot = false;
		size_t j = i + 1;
		while (j < len && (qa_wordch((unsigned char)s[j]) || s[j] == '.' || s[j] == '-')) {
			if (s[j] == '.' && j > i + 1)
				dot = true;
			j++;
		}
		if (dot)
			return true;
	}
	return false;
}

/* Does the text hold a date or a time: a year 19xx/20xx, "10:02", "30.09.17"? */
bool quote_has_datetime(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (!qa_digit((unsigned char)s[i]) || (i > 0 && qa_digit((unsigned char)s[i - 1])))
			continue;
		size_t j = i;
		while (j < len && qa_digit((unsigned char)s[j]))
			j++;
		size_t run = j - i;
		if (run == 4 && (s[i] == '1' || s[i] == '2') && (s[i + 1] == '9' || s[i + 1] == '0'))
			return true;
		if (run > 2 || j + 2 >= len)
			continue;
		char sep = s[j];
		size_t k = j + 1, r2;
		while (k < len && qa_digit((unsigned char)s[k]))
			k++;
		r2 = k - j - 1;
		if (sep == ':' && r2 == 2)
			return true;	/* a time */
		if ((sep == '.' || sep == '/' || sep == '-') && r2 >= 1 && r2 <= 2 &&
		    k + 2 < len && s[k] == sep && qa_digit((unsigned char)s[k + 1]) &&
		    qa_digit((unsigned char)s[k + 2]))
			return true;	/* 30.09.17, 9/30/2017 */
	}
	return false;
}

/* Is the line "Name: value" with a short name of words (no digits, no
   punctuation of a sentence or a URL)? Leading '*' (HTML bold) is skipped. */
bool quote_header_name(const char *s, size_t len, const char **name_r, size_t *name_len_r)
{
	size_t words = 1, colon, window;

	while (len > 0 && *s == '*') {
		s++;
		len--;
	}
	/* No colon (nor the first byte of a full-width one) within the
	   name's reach: the loop below could only say no. */
	window = len < HD_QUOTE_HDR_NAME_MAX + 1 ? len : HD_QUOTE_HDR_NAME_MAX + 1;
	if (memchr(s, ':', window) == NULL && memchr(s, 0xef, window) == NULL)
		return false;
	for (colon = 0; colon < len && colon <= HD_QUOTE_HDR_NAME_MAX; colon++) {
		unsigned char c = (unsigned char)s[colon];
		if (c == ':' || (c == 0xef && colon + 2 < len &&
				 (unsigned char)s[colon + 1] == 0xbc &&
				 (unsigned char)s[colon + 2] == 0x9a))
			break;
		if (qa_hdr_bad[c])
			return false;
		if (c == ' ' && colon > 0 && s[colon - 1] != ' ')
			words++;
	}
	if (colon >= len || colon > HD_QUOTE_HDR_NAME_MAX)
		return false;
	if (s[colon] == ':' && colon + 1 < len && s[colon + 1] == '/')
		return false;	/* a URL */
	size_t nl = colon;
	while (nl > 0 && (s[nl - 1] == ' ' || s[nl - 1] == '*'))
		nl--;
	if (nl == 0 || s[0] == '-' || words > HD_QUOTE_HDR_WORDS_MAX + (nl < colon ? 1 : 0))
		return false;
	*name_r = s;
	*name_len_r = nl;
	return true;
}

/* Give a line its kind; for a header line also which header. */
enum quote_kind quote_classify(const char *s, size_t len, enum quote_hdr *hdr_r)
{
	const char *t;
	size_t tlen;

	return quote_classify_trim(s, len, hdr_r, &t, &tlen);
}

/* quote_classify(), and the line trimmed (quote_trim()) in *t_r, *tlen_r. */
enum quote_kind quote_classify_trim(const char *s, size_t len, enum quote_hdr *hdr_r,
				    const char **t_r, size_t *tlen_r)
{
	char fold[HD_QUOTE_FOLD_MAX];
	const char *name;
	size_t nl, lead = 0, fl;

	*hdr_r = QH_UNKNOWN;
	if ((len == 3 && memcmp(s, "-- ", 3) == 0) || (len == 2 && memcmp(s, "--", 2) == 0)) {
		*t_r = s;
		*tlen_r = len;	/* not trimmed: no decision reads it */
		return QK_SIG;
	}
	quote_trim(&s, &len);
	*t_r = s;
	*tlen_r = len;
	if (len == 0)
		return QK_BLANK;
	if (s[0] == '>')
		return QK_QUOTED;
	if (len > HD_QUOTE_LINE_MAX)
		return QK_TEXT;
	while (lead < len && (s[lead] == '-' || s[lead] == '_' || s[lead] == '='))
		lead++;
	if (lead == len)
		return lead >= HD_QUOTE_SEP_MIN ? QK_SEPARATOR : QK_TEXT;
	if (lead >= 2) {
		const char *t = s + lead;
		size_t tl = len - lead, trail = 0;
		while (tl > 0 && (t[tl - 1] == '-' || t[tl - 1] == '_' || t[tl - 1] == '=')) {
			tl--;
			trail++;
		}
		quote_trim(&t, &tl);
		if (tl > 0 && t[tl - 1] == ':')
			tl--;
		quote_trim(&t, &tl);
		if (quote_words_title_raw(t, tl, tl))
			return QK_ORIGINAL;
		return trail >= 2 ? QK_DASHTITLE : QK_TEXT;
	}
	/* Folding keeps lengths (len <= HD_QUOTE_LINE_MAX fits the buffer) and
	   ASCII punctuation: only the bytes a test reads are folded, and only
	   when a word of the list could be there: the first bytes for a phone
	   signature, the line but its ':' for a title. */
	if (len <= HD_QUOTE_MOBILE_MAX && quote_words_mobile_sig_raw(s, len))
		return QK_SIG;	/* what follows is history or signature */
	if (s[len - 1] == ':' && quote_words_title_raw(s, len - 1, len))
		return QK_ORIGINAL;	/* "Begin forwarded message:" */
	if (quote_header_name(s, len, &name, &nl)) {
		fl = quote_fold(name, nl, fold, sizeof(fold));
		*hdr_r = quote_words_header(fold, fl);
		/* "Bob Smith wrote:" has no value: a header only when the name is known */
		const char *v = memchr(name + nl, ':', len - (size_t)(name + nl - s));
		size_t vl = v != NULL ? len - (size_t)(v + 1 - s) : 0;
		if (v != NULL)
			v++;
		while (vl > 0 && (*v == ' ' || *v == '*')) {
			v++;
			vl--;
		}
		if (vl > 0 || *hdr_r != QH_UNKNOWN)
			return QK_HEADER;
		*hdr_r = QH_UNKNOWN;
	}
	return QK_TEXT;
}

/* Header lines from i: a block when three or more, one with an address and
   one with a date; STRONG when the names are known or a separator is above. */
enum quote_conf quote_header_block(const struct quote_line *l, size_t n, size_t i,
				   bool after_separator)
{
	size_t headers = 0, known = 0;
	bool from = false, sent = false, other = false, addr = false, date = false;

	for (size_t j = i; j < n && j < i + HD_QUOTE_HDR_WINDOW; j++) {
		if (l[j].kind != QK_HEADER &&
		    !(l[j].kind == QK_TEXT && j > i && j + 1 < n && l[j + 1].kind == QK_HEADER))
			break;	/* only a wrapped value may sit between two headers */
		if (l[j].kind == QK_HEADER) {
			headers++;
			known += l[j].hdr != QH_UNKNOWN;
			from |= l[j].hdr == QH_FROM;
			sent |= l[j].hdr == QH_SENT;
			other |= l[j].hdr == QH_OTHER;
		}
		size_t len = l[j].len < HD_QUOTE_LINE_MAX ? l[j].len : HD_QUOTE_LINE_MAX;
		addr |= quote_has_address(l[j].s, len);
		date |= quote_has_datetime(l[j].s, len);
	}
	if (headers < 3)
		return QC_NONE;
	if (from && sent && other)
		return QC_STRONG;
	if (addr && date)
		return known >= 2 || after_separator ? QC_STRONG : QC_WEAK;
	return QC_NONE;
}

/* Does the (trimmed) line end in ':' or a full-width colon? */
static bool qa_colon_end(const char *s, size_t len)
{
	return (len > 0 && s[len - 1] == ':') ||
	       (len >= 3 && memcmp(s + len - 3, "\xef\xbc\x9a", 3) == 0);
}

/* Does the line end a sentence (so cannot be the first half of an attribution)? */
static bool qa_sentence_end(const char *s, size_t len)
{
	quote_trim(&s, &len);
	return len == 0 || s[len - 1] == '.' || s[len - 1] == '!' || s[len - 1] == '?';
}

/* Evidence of an attribution in the lines start..i joined. */
struct qa_evidence {
	bool wrote, addr, date, named;	/* named: "Name" <addr>, (addr), «addr» */
};

/* Collect evidence over lines start..i (each at most a marker line long). */
static void qa_collect(const struct quote_line *l, size_t start, size_t i,
		       struct qa_evidence *ev)
{
	char fold[HD_QUOTE_FOLD_MAX];

	memset(ev, 0, sizeof(*ev));
	for (size_t k = start; k <= i; k++) {
		size_t len = l[k].len < HD_QUOTE_LINE_MAX ? l[k].len : HD_QUOTE_LINE_MAX;
		size_t fl = quote_fold(l[k].s, len, fold, sizeof(fold));
		ev->wrote |= quote_words_wrote(fold, fl);
		ev->addr |= quote_has_address(l[k].s, len);
		ev->date |= quote_has_datetime(l[k].s, len);
		ev->named |= memchr(l[k].s, '<', len) != NULL || memchr(l[k].s, '"', len) != NULL ||
			     memchr(l[k].s, '(', len) != NULL;
	}
}

/* Line i ends an attribution? Finds where it starts (wrapped lines above). */
enum quote_conf quote_attribution(const struct quote_line *l, size_t n, size_t i,
				  size_t *start_r)
{
	char fold[HD_QUOTE_FOLD_MAX];
	const char *s = l[i].t;	/* trimmed by quote_classify_trim() */
	size_t len = l[i].tlen, start = i, total;
	struct qa_evidence ev;
	bool colon, wrote_end = false;

	if (l[i].kind != QK_TEXT || len == 0 || len > HD_QUOTE_LINE_MAX)
		return QC_NONE;
	colon = qa_colon_end(s, len);
	if (!colon) {
		/* Only the last word is looked at (folded when a verb could be
		   there): folding keeps lengths and which bytes are word bytes,
		   and most lines end in no verb at all. */
		const unsigned char *u = (const unsigned char *)s;
		size_t b = len;
		bool ascii = true;
		/* ASCII letters and digits four at a time, then the rest */
		while (b >= 4 && qa_word[u[b - 1]] == 1 && qa_word[u[b - 2]] == 1 &&
		       qa_word[u[b - 3]] == 1 && qa_word[u[b - 4]] == 1)
			b -= 4;
		while (b > 0 && qa_word[u[b - 1]] != 0) {
			ascii &= u[b - 1] < 0x80;
			b--;
		}
		wrote_end = quote_words_wrote_word(s + b, len - b, ascii);
		if (!wrote_end)
			return QC_NONE;
	}
	/* history must follow */
	size_t next = i + 1;
	while (next < n && l[next].kind == QK_BLANK)
		next++;
	if (next >= n)
		return QC_NONE;
	total = len;
	for (size_t k = i; k-- > 0 && k + HD_QUOTE_ATTR_LINES > i;) {
		if (l[k].kind != QK_TEXT || qa_sentence_end(l[k].s, l[k].len))
			break;
		total += l[k].len + 1;
		if (total > HD_QUOTE_LINE_MAX)
			break;
		size_t fl = quote_fold(l[k].s, l[k].len, fold, sizeof(fold));
		const char *f = fold;
		quote_trim(&f, &fl);
		if (quote_words_attr_start(f, fl)) {
			start = k;
			break;
		}
		if (quote_has_datetime(l[k].s, l[k].len) || quote_has_address(l[k].s, l[k].len))
			start = k;
	}
	qa_collect(l, start, i, &ev);
	*start_r = start;
	if (ev.wrote && (ev.addr || ev.date))
		return QC_STRONG;
	if (colon && ev.addr && ev.date && ev.named)
		return QC_STRONG;	/* "30.09.2017, 18:30, "Name" <addr>:" */
	/* "Bob wrote:", "<addr> 30.09.2017 [verb we do not know]:": only a doubt.
	   An address or a date alone is not: agents write "mail billing@...:". */
	if (colon && (ev.wrote || (ev.addr && ev.date)))
		return QC_WEAK;
	return QC_NONE;
}

/* "---- some words ----": the Zoho attribution, or a title over a header block. */
enum quote_conf quote_dashtitle(const struct quote_line *l, size_t n, size_t i)
{
	char fold[HD_QUOTE_FOLD_MAX];
	size_t len = l[i].len < HD_QUOTE_LINE_MAX ? l[i].len : HD_QUOTE_LINE_MAX;
	size_t fl = quote_fold(l[i].s, len, fold, sizeof(fold)), j;

	if (quote_words_wrote(fold, fl) &&
	    (quote_has_address(l[i].s, len) || quote_has_datetime(l[i].s, len)))
		return QC_STRONG;
	for (j = i + 1; j < n && l[j].kind == QK_BLANK; j++)
		;
	if (j < n && l[j].kind == QK_HEADER)
		return quote_header_block(l, n, j, true);
	return QC_NONE;
}

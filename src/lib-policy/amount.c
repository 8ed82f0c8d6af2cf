/*
 * amount - a one-pass scanner for money amounts and percentages, and a
 * sentence-local reader that decides which of them an agent grants as a
 * refund, a credit or a discount: the amount a grant word governs ("a
 * refund of $30 (of the $90 you paid)" grants 30), never a threshold in a
 * rule ("Refunds over $100 need approval"). Word tables are in
 * amount-words.c. It must never guess a kind from outside the amount's own
 * sentence, never read past the text's end, and never do more than a
 * bounded amount of work per byte (a reply full of "$1" stays linear).
 * Most words and numbers of a reply are no amount ("line 01", "invoice
 * 1234"), so the scan refuses them cheaply: a byte class table, a word's
 * currency test folded into its one word lookup (AMOUNT_CURRENCY_SHAPE in
 * amount-int.h), a number converted only once a currency or a percent
 * makes it an amount, and a sentence without both an amount and a grant
 * word dropped without being read again.
 */
#include <config.h>
#include "amount-int.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stdio.h>

#define HD_AMOUNT_NUMBER_MAX 40		/* bytes of one number ("1.250.000,00") */
#define HD_AMOUNT_SENTENCE_TOKENS 128	/* tokens read before a sentence is cut */
#define HD_AMOUNT_GOVERN_AFTER 10	/* words a grant word looks ahead for its amount */
#define HD_AMOUNT_GOVERN_BEFORE 5	/* words it looks back ("the $15 fee was waived") */

/* What a kept token of a sentence is. */
enum tok_type { TOK_WORD, TOK_AMOUNT };

/* A token the rules read: an amount, a grant word, a threshold word, "or",
   "more" or "less". Other words and the parentheses are only counted: the
   rules measure distances in tokens but never match them. */
struct amount_tok {
	enum tok_type type;
	const char *s;
	size_t len;
	size_t at;		/* its place among all the sentence's tokens */
	int kind;		/* words: enum hd_amount_kind or -1 */
	bool generic;		/* words: "refunds", a rule's subject */
	int depth;		/* parentheses around the token */
	int line;
	int granted;		/* amounts: kind granted, or -1 */
	size_t dist;		/* amounts: words to the granting word */
	struct hd_amount a;	/* amounts only: set by whoever pushes one */
};

/* One sentence being read. */
struct amount_sentence {
	struct amount_tok tok[HD_AMOUNT_SENTENCE_TOKENS];	/* the kept ones */
	size_t ntok;		/* tokens kept */
	size_t n;		/* tokens read, kept or not */
	size_t namounts, nkinds;	/* amounts and grant words among the tokens */
	size_t n0;		/* amounts found before the scan began (hd_amount_scan_rest) */
	int depth;
	bool rule;		/* a rule word ("need", "approval") was read */
};

/* What a byte is to the scanner's loop. */
enum amount_class {
	CL_OTHER = 0,		/* skipped */
	CL_END,			/* the NUL at the text's end */
	CL_WORD,		/* a letter or a UTF-8 byte (amount_is_wordc, not a digit) */
	CL_DIGIT,
	CL_NL,
	CL_DOT,			/* ends a sentence before a space or the end */
	CL_STOP,		/* '!' and '?' */
	CL_OPEN,		/* '(' '[' */
	CL_CLOSE,		/* ')' ']' */
	CL_DOLLAR,		/* the one currency byte that is no word byte */
};

static const unsigned char amount_class[256] = {
	[0] = CL_END, ['0' ... '9'] = CL_DIGIT, ['A' ... 'Z'] = CL_WORD, ['a' ... 'z'] = CL_WORD, [0x80 ... 0xff] = CL_WORD,
	['\n'] = CL_NL, ['.'] = CL_DOT, ['!'] = CL_STOP, ['?'] = CL_STOP,
	['('] = CL_OPEN, ['['] = CL_OPEN, [')'] = CL_CLOSE, [']'] = CL_CLOSE, ['$'] = CL_DOLLAR,
};

/* A number as read, before it is converted. */
struct amount_number {
	const char *p;		/* its first digit */
	size_t len;		/* its bytes, marks included */
	const char *decimal;	/* its decimal mark, or NULL */
};

/* Read a number: digits with ',', '.', ''' or no-break-space groups and
   at most one decimal mark. "5.000,00" and "5.000" are five thousand,
   "1,250.50" and "40,50" are what they say. Returns its length or 0; the
   value is number_value()'s, for the few numbers that are amounts. */
static size_t number_scan(const char *p, const char *end, struct amount_number *num)
{
	size_t n = 0, o = 0, nseps = 0, last_sep_at = 0, last_sep_byte = 0, after_last = 0;
	char last_sep = 0;
	bool mixed = false, repeated = false;

	if (p >= end || !amount_is_digit((unsigned char)*p))
		return 0;
	for (size_t max = (size_t)(end - p);;) {
		unsigned char c;
		size_t sl = 0, run = 0;
		/* A group of digits, then perhaps a mark and another group. */
		while (n < max && o < HD_AMOUNT_NUMBER_MAX && amount_is_digit((unsigned char)p[n])) {
			n++;
			o++;
			run++;
		}
		after_last += run;
		if (n >= max || o >= HD_AMOUNT_NUMBER_MAX)
			break;
		c = (unsigned char)p[n];
		if (c == ',' || c == '.' || c == '\'')
			sl = 1;
		else if (c == 0xc2 && p + n + 1 < end && (unsigned char)p[n + 1] == 0xa0)
			sl = 2;		/* no-break space */
		else if (c == 0xe2 && p + n + 2 < end && (unsigned char)p[n + 1] == 0x80 &&
			 (unsigned char)p[n + 2] == 0xaf)
			sl = 3;		/* narrow no-break space */
		if (sl == 0 || p + n + sl >= end || !amount_is_digit((unsigned char)p[n + sl]))
			break;
		char sep = sl == 1 ? (char)c : ' ';
		if (nseps > 0 && sep != last_sep)
			mixed = true;
		if (nseps > 0 && sep == last_sep)
			repeated = true;
		nseps++;
		last_sep = sep;
		last_sep_at = o;
		last_sep_byte = n;
		after_last = 0;
		n += sl;
	}
	/* The last mark is a decimal one when the marks are mixed ("1.250,00"),
	   or when it is a lone ',' or '.' not followed by exactly three digits
	   ("40,50", "1.5"), or when it follows a bare zero ("0.125"). */
	bool decimal = nseps > 0 && (last_sep == ',' || last_sep == '.') &&
		       (mixed || (!repeated && (after_last != 3 || (last_sep_at == 1 && p[0] == '0'))));
	num->p = p;
	num->len = n;
	num->decimal = decimal ? p + last_sep_byte : NULL;
	return n;
}

/* The value of a number number_scan() read: its digits, with a '.' for
   its decimal mark, converted. */
static double number_value(const struct amount_number *num)
{
	char clean[HD_AMOUNT_NUMBER_MAX + 2];
	size_t k = 0;

	for (const char *c = num->p; c < num->p + num->len; c++) {
		if (amount_is_digit((unsigned char)*c))
			clean[k++] = *c;
		else if (c == num->decimal)
			clean[k++] = '.';
	}
	clean[k] = '\0';
	return strtod(clean, NULL);
}

/* Parse a number and convert it; returns its length or 0. */
static size_t number_at(const char *p, const char *end, double *v_r)
{
	struct amount_number num;
	size_t n = number_scan(p, end, &num);

	if (n > 0)
		*v_r = number_value(&num);
	return n;
}

/* Skip spaces and no-break spaces between a number and its currency. */
static const char *skip_blanks(const char *t, const char *end)
{
	for (;;) {
		if (t < end && *t == ' ')
			t++;
		else if (t + 1 < end && (unsigned char)t[0] == 0xc2 && (unsigned char)t[1] == 0xa0)
			t += 2;
		else
			return t;
	}
}

/* Percent words after a number ("20 percent", "20 Prozent"). */
static size_t percent_at(const char *t, const char *end)
{
#define PW(s) { s, sizeof(s) - 1 }
	static const struct { const char *w; size_t len; } words[] = {
		PW("%"), PW("percent"), PW("per cent"), PW("prozent"), PW("procent"),
		PW("pour cent"), PW("por ciento"), PW("per cento"),
	};
#undef PW
	/* Each word starts with '%' or a 'p': most numbers stop here. */
	if (t >= end || (*t != '%' && (*t | 0x20) != 'p'))
		return 0;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t wl = words[i].len;
		if ((size_t)(end - t) >= wl && strncasecmp(t, words[i].w, wl) == 0 &&
		    (wl == 1 || t + wl == end || !amount_is_wordc((unsigned char)t[wl])))
			return wl;
	}
	return 0;
}

/* False when no currency token can start at t, as amount_currency_at()
   would find, told cheaply for the common case of a plain word after a
   number ("invoice 1234 and"): letters not followed by a digit or a '$'
   are a currency only as a whole word (AMOUNT_CURRENCY_SHAPE). */
static bool currency_may_be_at(const char *t, const char *end)
{
	const char *e = t;

	while (e < end && amount_class[(unsigned char)*e] == CL_WORD)
		e++;
	if (e == t || (e < end && (amount_is_digit((unsigned char)*e) || *e == '$')))
		return true;	/* no word here, or one the slow test must read */
	return amount_word_may_be(t, (size_t)(e - t)) && amount_word_lookup(t, (size_t)(e - t)).currency;
}

/* Finish an amount read at [p, q): its value, and its currency unless it
   is a percentage; returns its length, leaving a->text NULL. */
static size_t amount_done(const char *p, const char *q, const struct amount_number *num, const char *iso,
			  const char *dflt, struct hd_amount *a)
{
	a->value = number_value(num);	/* only now: most numbers are no amount */
	if (!a->percent)	/* every ISO code, dflt included, is 3 bytes */
		strcpy(a->currency, iso && *iso ? iso : (dflt && strlen(dflt) == 3 ? dflt : "USD"));
	return (size_t)(q - p);	/* a->text is the caller's: most amounts grant nothing */
}

/* Try to read one amount that starts with a number at p: number
   [currency|%|percent]; 0 when p is no digit (no currency token starts
   with one, so amount_at() at a digit is this). */
static size_t amount_number_at(const char *p, const char *end, const char *dflt, struct hd_amount *a)
{
	const char *iso = NULL, *r, *t;
	struct amount_number num;
	size_t n;

	if (!amount_is_digit((unsigned char)*p))
		return 0;
	memset(a, 0, sizeof(*a));
	/* Most numbers are digits and no mark ("01", "1234"): number_scan()
	   would read just these; any byte a mark may start with goes to it. */
	for (r = p + 1; r < end && r - p < HD_AMOUNT_NUMBER_MAX && amount_is_digit((unsigned char)*r);)
		r++;
	if (r < end && r - p < HD_AMOUNT_NUMBER_MAX &&
	    (*r == ',' || *r == '.' || *r == '\'' || (unsigned char)*r == 0xc2 || (unsigned char)*r == 0xe2)) {
		n = number_scan(p, end, &num);
		r = p + n;
	} else {
		num.p = p;
		num.len = (size_t)(r - p);
		num.decimal = NULL;
	}
	if (r < end && amount_is_wordc((unsigned char)*r) && (unsigned char)*r < 0x80 &&
	    !(r + 1 < end && (r[0] == 'z' || r[0] == 'K') && (unsigned char)r[1] >= 0x80))
		return 0;	/* "20k", "3rd": not an amount (but "100zł" is) */
	t = skip_blanks(r, end);
	if ((n = percent_at(t, end)) > 0)
		a->percent = true;
	else if (!currency_may_be_at(t, end) || (n = amount_currency_at(t, end, &iso)) == 0)
		return 0;
	return amount_done(p, t + n, &num, iso, dflt, a);
}

/* Try to read one amount at p: [currency] number [currency|%|percent];
   returns its length, leaving a->text NULL. */
static size_t amount_at(const char *p, const char *end, const char *dflt, struct hd_amount *a)
{
	const char *q, *iso = NULL;
	struct amount_number num;
	size_t n;

	/* Most words start no amount: leave before touching *a. */
	if ((n = amount_currency_at(p, end, &iso)) == 0)
		return amount_number_at(p, end, dflt, a);
	memset(a, 0, sizeof(*a));
	q = skip_blanks(p + n, end);
	if ((n = number_scan(q, end, &num)) == 0)
		return 0;
	return amount_done(p, q + n, &num, iso, dflt, a);
}

/* Is the amount token at i a threshold: "over $100", "$100 or more"? The
   tokens around it that are not kept were no table word, so none of these. */
static bool sentence_threshold(const struct amount_sentence *st, size_t i)
{
	const struct amount_tok *t = st->tok;
	size_t at = t[i].at;

	if (i > 0 && t[i - 1].at + 1 == at && t[i - 1].type == TOK_WORD &&
	    amount_is_threshold(t[i - 1].s, t[i - 1].len))
		return true;
	if (at + 2 < st->n && i + 2 < st->ntok && t[i + 1].at == at + 1 && t[i + 2].at == at + 2 &&
	    t[i + 1].type == TOK_WORD && t[i + 2].type == TOK_WORD &&
	    (t[i + 1].len == 2 && strncasecmp(t[i + 1].s, "or", 2) == 0) &&
	    (t[i + 2].len == 4 && (strncasecmp(t[i + 2].s, "more", 4) == 0 ||
				   strncasecmp(t[i + 2].s, "less", 4) == 0)))
		return true;
	return false;
}

/* Give the amount at j the kind of the grant word at k, if nearer. */
static void sentence_grant(struct amount_sentence *st, size_t k, size_t j, size_t dist, bool percent_only)
{
	struct amount_tok *a = &st->tok[j];
	int kind = st->tok[k].kind;

	if (percent_only && !a->a.percent)
		return;
	if (a->a.percent)
		kind = HD_AMOUNT_DISCOUNT;
	else if (kind == HD_AMOUNT_DISCOUNT)
		kind = HD_AMOUNT_CREDIT;	/* a money discount is a credit */
	if (a->granted < 0 || dist < a->dist) {
		a->granted = kind;
		a->dist = dist;
	}
}

/* The amount the grant word at k governs: the nearest one at its own
   parenthesis depth, after it ("a refund of $30") or before it ("$120 was
   refunded"), the one after winning a tie; another grant word in between
   governs what lies beyond it. Distances count every token between, kept
   or not. */
static void sentence_govern(struct amount_sentence *st, size_t k)
{
	const struct amount_tok *t = st->tok;
	bool off = amount_word_off(t[k].s, t[k].len);
	size_t at = t[k].at, lim = off ? 2 : HD_AMOUNT_GOVERN_BEFORE;
	size_t after = SIZE_MAX, before = SIZE_MAX, da = SIZE_MAX, db = SIZE_MAX;

	if (t[k].generic && st->rule)
		return;		/* "Refunds over $100 need approval": a rule, no grant */
	for (size_t j = k + 1; !off && j < st->ntok && t[j].at - at - 1 < HD_AMOUNT_GOVERN_AFTER; j++) {
		if (t[j].type == TOK_WORD && t[j].kind >= 0)
			break;
		if (t[j].type == TOK_AMOUNT && t[j].depth == t[k].depth) {
			after = j;
			da = t[j].at - at - 1;
			break;
		}
	}
	for (size_t j = k; j-- > 0 && at - t[j].at - 1 < lim;) {
		if (t[j].type == TOK_WORD && t[j].kind >= 0)
			break;
		if (t[j].type == TOK_AMOUNT && t[j].depth == t[k].depth) {
			before = j;
			db = at - t[j].at - 1;
			break;
		}
	}
	if (after != SIZE_MAX && da <= db)
		sentence_grant(st, k, after, da, false);
	else if (before != SIZE_MAX)
		sentence_grant(st, k, before, db, off);
}

/* Start an empty sentence (every count and flag; tokens are set as pushed). */
static void sentence_reset(struct amount_sentence *st)
{
	st->n = 0;
	st->ntok = 0;
	st->namounts = 0;
	st->nkinds = 0;
	st->depth = 0;
	st->rule = false;
}

/* Decide the sentence's grants and move them to the output. */
static void sentence_flush(struct amount_sentence *st, struct hd_amount **out, size_t *n)
{
	size_t namounts = 0, nkinds = 0, lone = 0, kind_at = 0;

	/* Without an amount and a grant word nothing is granted: drop it unread. */
	if (st->namounts == 0 || st->nkinds == 0)
		goto done;
	for (size_t i = 0; i < st->ntok; i++) {
		struct amount_tok *t = &st->tok[i];
		if (t->type == TOK_AMOUNT) {
			namounts++;
			lone = i;
		} else if (t->type == TOK_WORD && t->kind >= 0) {
			nkinds++;
			kind_at = i;
		}
	}
	if (namounts > 0 && nkinds > 0) {
		for (size_t k = 0; k < st->ntok; k++)
			if (st->tok[k].type == TOK_WORD && st->tok[k].kind >= 0)
				sentence_govern(st, k);
		/* One amount and a grant word farther away: still that grant. */
		if (namounts == 1 && st->tok[lone].granted < 0 && !(st->tok[kind_at].generic && st->rule) &&
		    !amount_word_off(st->tok[kind_at].s, st->tok[kind_at].len))
			sentence_grant(st, kind_at, lone, 0, false);
	}
	for (size_t i = 0; i < st->ntok; i++) {
		struct amount_tok *t = &st->tok[i];
		if (t->type != TOK_AMOUNT)
			continue;
		if (t->granted >= 0 && !sentence_threshold(st, i) && *n < HD_AMOUNT_MAX) {
			t->a.kind = (enum hd_amount_kind)t->granted;
			t->a.line = t->line;
			t->a.text = xstrndup(t->s, t->len);
			*out = xrealloc(*out, (*n - st->n0 + 1) * sizeof(**out));
			(*out)[(*n)++ - st->n0] = t->a;
		}
	}
done:
	sentence_reset(st);
}

/* Count a token, cutting the sentence when it is full; returns its place. */
static inline size_t sentence_count(struct amount_sentence *st, struct hd_amount **out, size_t *n)
{
	if (st->n == HD_AMOUNT_SENTENCE_TOKENS)
		sentence_flush(st, out, n);
	return st->n++;
}

/* Keep the token just counted: an amount or a word the rules read. */
static struct amount_tok *sentence_keep(struct amount_sentence *st, enum tok_type type, const char *s,
					size_t len, int line)
{
	struct amount_tok *t = &st->tok[st->ntok++];

	/* Every field but the amount, which only TOK_AMOUNT reads and its caller sets. */
	t->type = type;
	t->s = s;
	t->len = len;
	t->at = st->n - 1;
	t->kind = -1;
	t->generic = false;
	t->granted = -1;
	t->dist = 0;
	t->line = line;
	t->depth = st->depth;
	return t;
}

/* Count a parenthesis: it changes the depth of what follows. */
static void sentence_paren(struct amount_sentence *st, struct hd_amount **out, size_t *n, bool open)
{
	sentence_count(st, out, n);
	if (open)
		st->depth++;
	else if (st->depth > 0)
		st->depth--;
}

/* Push the amount a, read at [s, s+len). */
static void sentence_push_amount(struct amount_sentence *st, struct hd_amount **out, size_t *n,
				 const char *s, size_t len, int line, const struct hd_amount *a)
{
	sentence_count(st, out, n);
	sentence_keep(st, TOK_AMOUNT, s, len, line)->a = *a;
	st->namounts++;
}

/* Push the word [w, w+len) with what the word tables say of it; only a
   grant word, a threshold word and "or", "more", "less" are kept. */
static void sentence_push_word(struct amount_sentence *st, struct hd_amount **out, size_t *n,
			       const char *w, size_t len, int line, struct amount_word_info wi)
{
	struct amount_tok *t;

	sentence_count(st, out, n);
	if (wi.kind >= 0) {
		t = sentence_keep(st, TOK_WORD, w, len, line);
		t->kind = wi.kind;
		t->generic = wi.generic;
		st->nkinds++;
		return;
	}
	if (wi.rule)
		st->rule = true;
	if (wi.threshold || wi.or_more)
		sentence_keep(st, TOK_WORD, w, len, line);
}

/* Find every granted amount in text from start, which is at the given
   line, with n0 amounts found before it; returns the count found from
   start. *mark_r (may be NULL) is the last blank line where a scan of a
   text that starts with the same bytes would be in the same state. */
static size_t amount_scan_run(const char *text, const char *start, int line, size_t n0,
			      const char *default_currency, struct hd_amount **amounts_r,
			      struct hd_amount_mark *mark_r)
{
	const char *end = start + strlen(start);	/* *end is NUL, the one CL_END: loops stop there */
	struct amount_sentence *st = xmalloc(sizeof(*st));	/* tokens are set as pushed */
	struct hd_amount *out = NULL;
	size_t n = n0;

	amount_words_init();
	st->n0 = n0;
	sentence_reset(st);
	for (const char *p = start; n < HD_AMOUNT_MAX;) {
		const char *w = p, *q;
		struct hd_amount a;
		struct amount_word_info wi;
		size_t len;

		switch ((enum amount_class)amount_class[(unsigned char)*p]) {
		case CL_END:
			break;
		case CL_OTHER:
			do
				p++;
			while (amount_class[(unsigned char)*p] == CL_OTHER);
			continue;
		case CL_NL:
			q = p + 1;
			while (q < end && (*q == ' ' || *q == '\t' || *q == '\r'))
				q++;
			if (q < end && *q == '\n') {
				sentence_flush(st, &out, &n);	/* a blank line ends a sentence */
				/* Every byte read so far is before q (hd_amount_scan_marked). */
				if (mark_r != NULL) {
					mark_r->resume = (size_t)(p + 1 - text);
					mark_r->prefix = (size_t)(q + 1 - text);
					mark_r->line = line + 1;
					mark_r->count = n;
				}
			}
			line++;
			p++;
			continue;
		case CL_DOT:
			if (p + 1 == end || isspace((unsigned char)p[1]))
				sentence_flush(st, &out, &n);
			p++;
			continue;
		case CL_STOP:
			sentence_flush(st, &out, &n);
			p++;
			continue;
		case CL_OPEN:
		case CL_CLOSE:
			sentence_paren(st, &out, &n, amount_class[(unsigned char)*p] == CL_OPEN);
			p++;
			continue;
		case CL_DOLLAR:
			if ((len = amount_at(p, end, default_currency, &a)) > 0) {
				sentence_push_amount(st, &out, &n, p, len, line, &a);
				p += len;
			} else {
				p++;
			}
			continue;
		case CL_WORD:
		next_word:
			w = p;
			/* Letters only, and no digit or '$' after them: a currency
			   token starts here only if it is the whole word, which the
			   word lookup says (AMOUNT_CURRENCY_SHAPE). */
			while (amount_class[(unsigned char)*p] == CL_WORD)
				p++;
			if (amount_class[(unsigned char)*p] != CL_DIGIT && *p != '$') {
				if (!amount_word_may_be(w, (size_t)(p - w))) {
					sentence_count(st, &out, &n);	/* most words: only counted */
					while (amount_class[(unsigned char)*p] == CL_OTHER)
						p++;	/* and the space after them */
					if (amount_class[(unsigned char)*p] == CL_WORD && n < HD_AMOUNT_MAX)
						goto next_word;	/* the next word, without the switch */
					continue;
				}
				wi = amount_word_lookup(w, (size_t)(p - w));
				if (wi.currency && (len = amount_at(w, end, default_currency, &a)) > 0) {
					sentence_push_amount(st, &out, &n, w, len, line, &a);
					p = w + len;
				} else {
					sentence_push_word(st, &out, &n, w, (size_t)(p - w), line, wi);
				}
				continue;
			}
			/* "USD200", "€5", "US$": try an amount here. */
			p = w;
			if ((len = amount_at(p, end, default_currency, &a)) > 0) {
				sentence_push_amount(st, &out, &n, p, len, line, &a);
				p += len;
				continue;
			}
			goto word;
		case CL_DIGIT:
			if ((len = amount_number_at(p, end, default_currency, &a)) > 0) {
				sentence_push_amount(st, &out, &n, p, len, line, &a);
				p += len;
				continue;
			}
		word:	/* No amount: a word, with a digit in it or a '$' after it;
			   no table word holds a digit (amount-int.h). */
			while (p < end && amount_is_wordc((unsigned char)*p))
				p++;
			if (amount_is_digit((unsigned char)*w))
				sentence_count(st, &out, &n);
			else
				sentence_push_word(st, &out, &n, w, (size_t)(p - w), line,
						   amount_word_lookup(w, (size_t)(p - w)));
			continue;
		}
		break;		/* CL_END */
	}
	sentence_flush(st, &out, &n);
	free(st);
	*amounts_r = out;
	return n - n0;
}

/* Find every granted amount in text, in one pass. */
size_t hd_amount_scan(const char *text, const char *default_currency, struct hd_amount **amounts_r)
{
	return amount_scan_run(text, text, 1, 0, default_currency, amounts_r, NULL);
}

/* hd_amount_scan(), and the last point a longer text's scan may resume at.
   At a blank line (a '\n', blanks, a '\n' at q) the sentence is flushed
   and nothing is pending; and every decision until then read no byte past
   q: a word reads the byte that ends it, a number, a currency token, a
   percent word and the blanks between them stop at a '\n' (none of them
   holds one), a '.' reads one byte on, a '\n' reads the blanks after it.
   So the scan of any text whose first mark.prefix bytes are these is, up
   to there, this scan: the same amounts, the same state. */
size_t hd_amount_scan_marked(const char *text, const char *default_currency, struct hd_amount **amounts_r,
			     struct hd_amount_mark *mark_r)
{
	memset(mark_r, 0, sizeof(*mark_r));
	return amount_scan_run(text, text, 1, 0, default_currency, amounts_r, mark_r);
}

/* The amounts hd_amount_scan(text) finds after the first mark->count,
   text starting with the mark->prefix bytes the mark was taken on. */
size_t hd_amount_scan_rest(const char *text, const struct hd_amount_mark *mark, const char *default_currency,
			   struct hd_amount **amounts_r)
{
	if (mark->prefix == 0)
		return hd_amount_scan(text, default_currency, amounts_r);
	return amount_scan_run(text, text + mark->resume, mark->line, mark->count, default_currency, amounts_r,
			       NULL);
}

/* Parse a declared amount ("250", "$250.00", "250 USD", "20%"). */
bool hd_amount_parse(const char *s, const char *default_currency, struct hd_amount *a_r)
{
	const char *end;
	size_t len;

	amount_words_init();
	memset(a_r, 0, sizeof(*a_r));
	while (*s == ' ')
		s++;
	end = s + strlen(s);
	while (end > s && end[-1] == ' ')
		end--;
	len = amount_at(s, end, default_currency, a_r);
	if (len == 0) {
		double v;
		size_t n = number_at(s, end, &v);
		if (n == 0 || s + n != end)
			return false;
		memset(a_r, 0, sizeof(*a_r));
		a_r->value = v;
		snprintf(a_r->currency, sizeof(a_r->currency), "%s",
			 default_currency && strlen(default_currency) == 3 ? default_currency : "USD");
		a_r->text = xstrndup(s, n);
		return true;
	}
	if (s + len != end)
		return false;
	a_r->text = xstrndup(s, len);
	return true;
}

/* Free an array of amounts. */
void hd_amounts_free(struct hd_amount *a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(a[i].text);
	free(a);
}

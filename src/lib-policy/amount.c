/*
 * amount - a one-pass scanner for money amounts and percentages, and a
 * sentence-local reader that decides which of them an agent grants as a
 * refund, a credit or a discount: the amount a grant word governs ("a
 * refund of $30 (of the $90 you paid)" grants 30), never a threshold in a
 * rule ("Refunds over $100 need approval"). Word tables are in
 * amount-words.c. It must never guess a kind from outside the amount's own
 * sentence, never read past the text's end, and never do more than a
 * bounded amount of work per byte (a reply full of "$1" stays linear).
 */
#include <config.h>
#include "amount-int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stdio.h>

#define HD_AMOUNT_NUMBER_MAX 40		/* bytes of one number ("1.250.000,00") */
#define HD_AMOUNT_SENTENCE_TOKENS 128	/* tokens read before a sentence is cut */
#define HD_AMOUNT_GOVERN_AFTER 10	/* words a grant word looks ahead for its amount */
#define HD_AMOUNT_GOVERN_BEFORE 5	/* words it looks back ("the $15 fee was waived") */

/* What a token of a sentence is. */
enum tok_type { TOK_WORD, TOK_AMOUNT, TOK_OPEN, TOK_CLOSE };

struct amount_tok {
	enum tok_type type;
	const char *s;
	size_t len;
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
	struct amount_tok tok[HD_AMOUNT_SENTENCE_TOKENS];
	size_t n;
	int depth;
	bool rule;		/* a rule word ("need", "approval") was read */
};

/* Parse a number: digits with ',', '.', ''' or no-break-space groups and
   at most one decimal mark. "5.000,00" and "5.000" are five thousand,
   "1,250.50" and "40,50" are what they say. Returns its length or 0. */
static size_t number_at(const char *p, const char *end, double *v_r)
{
	char digits[HD_AMOUNT_NUMBER_MAX + 1];
	size_t n = 0, o = 0, nseps = 0, last_sep_at = 0, after_last = 0;
	char last_sep = 0;
	bool mixed = false, repeated = false;

	if (p >= end || !isdigit((unsigned char)*p))
		return 0;
	while (p + n < end && o < HD_AMOUNT_NUMBER_MAX) {
		unsigned char c = (unsigned char)p[n];
		size_t sl = 0;
		if (isdigit(c)) {
			digits[o++] = (char)c;
			after_last++;
			n++;
			continue;
		}
		if (c == ',' || c == '.' || c == '\'')
			sl = 1;
		else if (c == 0xc2 && p + n + 1 < end && (unsigned char)p[n + 1] == 0xa0)
			sl = 2;		/* no-break space */
		else if (c == 0xe2 && p + n + 2 < end && (unsigned char)p[n + 1] == 0x80 &&
			 (unsigned char)p[n + 2] == 0xaf)
			sl = 3;		/* narrow no-break space */
		if (sl == 0 || p + n + sl >= end || !isdigit((unsigned char)p[n + sl]))
			break;
		char sep = sl == 1 ? (char)c : ' ';
		if (nseps > 0 && sep != last_sep)
			mixed = true;
		if (nseps > 0 && sep == last_sep)
			repeated = true;
		nseps++;
		last_sep = sep;
		last_sep_at = o;
		after_last = 0;
		n += sl;
	}
	digits[o] = '\0';
	/* The last mark is a decimal one when the marks are mixed ("1.250,00"),
	   or when it is a lone ',' or '.' not followed by exactly three digits
	   ("40,50", "1.5"), or when it follows a bare zero ("0.125"). */
	bool decimal = nseps > 0 && (last_sep == ',' || last_sep == '.') &&
		       (mixed || (!repeated && (after_last != 3 || (last_sep_at == 1 && digits[0] == '0'))));
	{
		char clean[HD_AMOUNT_NUMBER_MAX + 2];
		size_t k = 0;
		for (size_t i = 0; i < o; i++) {
			if (decimal && i == last_sep_at)
				clean[k++] = '.';
			clean[k++] = digits[i];
		}
		clean[k] = '\0';
		*v_r = strtod(clean, NULL);
	}
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
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t wl = words[i].len;
		if ((size_t)(end - t) >= wl && strncasecmp(t, words[i].w, wl) == 0 &&
		    (wl == 1 || t + wl == end || !amount_is_wordc((unsigned char)t[wl])))
			return wl;
	}
	return 0;
}

/* Try to read one amount at p: [currency] number [currency|%|percent];
   returns its length, leaving a->text NULL. */
static size_t amount_at(const char *p, const char *end, const char *dflt, struct hd_amount *a)
{
	const char *q = p, *iso = NULL;
	size_t n;
	double v;

	/* Most words start no amount: leave before touching *a. */
	if ((n = amount_currency_at(q, end, &iso)) == 0 && !isdigit((unsigned char)*q))
		return 0;
	memset(a, 0, sizeof(*a));
	if (n > 0) {
		q = skip_blanks(q + n, end);
		if ((n = number_at(q, end, &v)) == 0)
			return 0;
		q += n;
	} else if ((n = number_at(q, end, &v)) > 0) {
		const char *r = q + n, *t = skip_blanks(r, end);
		size_t pl;
		if (r < end && amount_is_wordc((unsigned char)*r) && (unsigned char)*r < 0x80 &&
		    !(r + 1 < end && (r[0] == 'z' || r[0] == 'K') && (unsigned char)r[1] >= 0x80))
			return 0;	/* "20k", "3rd": not an amount (but "100zł" is) */
		if ((pl = percent_at(t, end)) > 0) {
			a->percent = true;
			q = t + pl;
		} else if ((n = amount_currency_at(t, end, &iso)) > 0) {
			q = t + n;
		} else {
			return 0;
		}
	} else {
		return 0;
	}
	a->value = v;
	if (!a->percent)	/* every ISO code, dflt included, is 3 bytes */
		strcpy(a->currency, iso && *iso ? iso : (dflt && strlen(dflt) == 3 ? dflt : "USD"));
	return (size_t)(q - p);	/* a->text is the caller's: most amounts grant nothing */
}

/* Is the amount token at i a threshold: "over $100", "$100 or more"? */
static bool sentence_threshold(const struct amount_sentence *st, size_t i)
{
	if (i > 0 && st->tok[i - 1].type == TOK_WORD && amount_is_threshold(st->tok[i - 1].s, st->tok[i - 1].len))
		return true;
	if (i + 2 < st->n && st->tok[i + 1].type == TOK_WORD && st->tok[i + 2].type == TOK_WORD &&
	    (st->tok[i + 1].len == 2 && strncasecmp(st->tok[i + 1].s, "or", 2) == 0) &&
	    (st->tok[i + 2].len == 4 && (strncasecmp(st->tok[i + 2].s, "more", 4) == 0 ||
					 strncasecmp(st->tok[i + 2].s, "less", 4) == 0)))
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
   governs what lies beyond it. */
static void sentence_govern(struct amount_sentence *st, size_t k)
{
	bool off = amount_word_off(st->tok[k].s, st->tok[k].len);
	size_t after = st->n, before = st->n, da = (size_t)-1, db = (size_t)-1, words = 0;

	if (st->tok[k].generic && st->rule)
		return;		/* "Refunds over $100 need approval": a rule, no grant */
	for (size_t j = k + 1; !off && j < st->n && words < HD_AMOUNT_GOVERN_AFTER; j++, words++) {
		if (st->tok[j].type == TOK_WORD && st->tok[j].kind >= 0)
			break;
		if (st->tok[j].type == TOK_AMOUNT && st->tok[j].depth == st->tok[k].depth) {
			after = j;
			da = words;
			break;
		}
	}
	words = 0;
	for (size_t j = k; j-- > 0 && words < (off ? 2 : HD_AMOUNT_GOVERN_BEFORE); words++) {
		if (st->tok[j].type == TOK_WORD && st->tok[j].kind >= 0)
			break;
		if (st->tok[j].type == TOK_AMOUNT && st->tok[j].depth == st->tok[k].depth) {
			before = j;
			db = words;
			break;
		}
	}
	if (after < st->n && da <= db)
		sentence_grant(st, k, after, da, false);
	else if (before < st->n)
		sentence_grant(st, k, before, db, off);
}

/* Decide the sentence's grants and move them to the output. */
static void sentence_flush(struct amount_sentence *st, struct hd_amount **out, size_t *n)
{
	size_t namounts = 0, nkinds = 0, lone = 0, kind_at = 0;

	for (size_t i = 0; i < st->n; i++) {
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
		for (size_t k = 0; k < st->n; k++)
			if (st->tok[k].type == TOK_WORD && st->tok[k].kind >= 0)
				sentence_govern(st, k);
		/* One amount and a grant word farther away: still that grant. */
		if (namounts == 1 && st->tok[lone].granted < 0 && !(st->tok[kind_at].generic && st->rule) &&
		    !amount_word_off(st->tok[kind_at].s, st->tok[kind_at].len))
			sentence_grant(st, kind_at, lone, 0, false);
	}
	for (size_t i = 0; i < st->n; i++) {
		struct amount_tok *t = &st->tok[i];
		if (t->type != TOK_AMOUNT)
			continue;
		if (t->granted >= 0 && !sentence_threshold(st, i) && *n < HD_AMOUNT_MAX) {
			t->a.kind = (enum hd_amount_kind)t->granted;
			t->a.line = t->line;
			t->a.text = xstrndup(t->s, t->len);
			*out = xrealloc(*out, (*n + 1) * sizeof(**out));
			(*out)[(*n)++] = t->a;
		}
	}
	st->n = 0;
	st->depth = 0;
	st->rule = false;
}

/* Add a token, cutting the sentence when it is full. */
static struct amount_tok *sentence_push(struct amount_sentence *st, struct hd_amount **out, size_t *n,
					enum tok_type type, const char *s, size_t len, int line)
{
	struct amount_tok *t;

	if (st->n == HD_AMOUNT_SENTENCE_TOKENS)
		sentence_flush(st, out, n);
	if (type == TOK_CLOSE && st->depth > 0)
		st->depth--;
	t = &st->tok[st->n++];
	/* Every field but the amount, which only TOK_AMOUNT reads and its caller sets. */
	t->type = type;
	t->s = s;
	t->len = len;
	t->kind = -1;
	t->generic = false;
	t->granted = -1;
	t->dist = 0;
	t->line = line;
	t->depth = st->depth;
	if (type == TOK_OPEN)
		st->depth++;
	return t;
}

/* Find every granted amount in text, in one pass. */
size_t hd_amount_scan(const char *text, const char *default_currency, struct hd_amount **amounts_r)
{
	const char *end = text + strlen(text);
	struct amount_sentence *st = xmalloc(sizeof(*st));	/* tokens are set as pushed */
	struct hd_amount *out = NULL;
	size_t n = 0;
	int line = 1;

	amount_words_init();
	st->n = 0;
	st->depth = 0;
	st->rule = false;
	for (const char *p = text; p < end && n < HD_AMOUNT_MAX;) {
		unsigned char c = (unsigned char)*p;
		struct hd_amount a;
		size_t len;

		if (c == '\n') {
			const char *q = p + 1;
			while (q < end && (*q == ' ' || *q == '\t' || *q == '\r'))
				q++;
			if (q < end && *q == '\n')
				sentence_flush(st, &out, &n);	/* a blank line ends a sentence */
			line++;
			p++;
			continue;
		}
		if (c == '.' || c == '!' || c == '?') {
			if (c != '.' || p + 1 == end || isspace((unsigned char)p[1]))
				sentence_flush(st, &out, &n);
			p++;
			continue;
		}
		if (c == '(' || c == ')' || c == '[' || c == ']') {
			sentence_push(st, &out, &n, c == '(' || c == '[' ? TOK_OPEN : TOK_CLOSE, p, 1, line);
			p++;
			continue;
		}
		/* Only a digit or a currency token's first byte can start an amount. */
		if ((c == '$' || amount_is_wordc(c)) && (isdigit(c) || amount_currency_may_start(c)) &&
		    (len = amount_at(p, end, default_currency, &a)) > 0) {
			sentence_push(st, &out, &n, TOK_AMOUNT, p, len, line)->a = a;
			p += len;
			continue;
		}
		if (amount_is_wordc(c)) {
			const char *w = p;
			while (p < end && amount_is_wordc((unsigned char)*p))
				p++;
			struct amount_word_info wi = amount_word_lookup(w, (size_t)(p - w));
			struct amount_tok *t = sentence_push(st, &out, &n, TOK_WORD, w, (size_t)(p - w), line);
			t->kind = wi.kind;
			t->generic = wi.kind >= 0 && wi.generic;
			if (wi.kind < 0 && wi.rule)
				st->rule = true;
			continue;
		}
		p++;
	}
	sentence_flush(st, &out, &n);
	free(st);
	*amounts_r = out;
	return n;
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

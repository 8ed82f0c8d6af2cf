/*
 * amount-oracle - the amount scanner as it was before its word tables were
 * indexed (amount.c and amount-words.c at commit 11f6499), every name
 * prefixed oracle_ and static: test-amount.c compares the indexed scanner
 * with it on generated inputs, and bench/amounts compares their speed. It
 * must never change: it is the reference the indexed scanner must equal.
 */
#ifndef HD_AMOUNT_ORACLE_H
#define HD_AMOUNT_ORACLE_H
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "util.h"
#include "amount.h"

/* True for an ASCII letter or digit or a UTF-8 lead/continuation byte. */
static inline bool oracle_amount_is_wordc(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

/* Currency tokens: symbols (may touch the number), ISO codes and names
   (whole words). An empty ISO code means "the policy's dollar currency". */
static const struct { const char *tok; const char *iso; } oracle_amount_currencies[] = {
	/* symbols, longest first where one is a prefix of another */
	{ "US$", "USD" }, { "C$", "CAD" }, { "CA$", "CAD" }, { "A$", "AUD" },
	{ "AU$", "AUD" }, { "NZ$", "NZD" }, { "HK$", "HKD" }, { "S$", "SGD" },
	{ "R$", "BRL" }, { "$", "" }, { "\xe2\x82\xac", "EUR" }, { "\xc2\xa3", "GBP" },
	{ "\xc2\xa5", "JPY" }, { "\xef\xbf\xa5", "JPY" }, { "\xe5\x86\x86", "JPY" },
	{ "\xe5\x85\x83", "CNY" }, { "\xe2\x82\xb9", "INR" }, { "\xe2\x82\xbd", "RUB" },
	{ "\xe2\x82\xa9", "KRW" }, { "z\xc5\x82", "PLN" }, { "K\xc4\x8d", "CZK" },
	/* ISO codes */
	{ "USD", "USD" }, { "EUR", "EUR" }, { "GBP", "GBP" }, { "JPY", "JPY" },
	{ "CNY", "CNY" }, { "RMB", "CNY" }, { "AUD", "AUD" }, { "CAD", "CAD" },
	{ "CHF", "CHF" }, { "HKD", "HKD" }, { "SGD", "SGD" }, { "NZD", "NZD" },
	{ "SEK", "SEK" }, { "NOK", "NOK" }, { "DKK", "DKK" }, { "PLN", "PLN" },
	{ "CZK", "CZK" }, { "INR", "INR" }, { "BRL", "BRL" }, { "MXN", "MXN" },
	{ "RUB", "RUB" }, { "KRW", "KRW" },
	/* names in English, German, French, Spanish, Portuguese, Italian,
	   Dutch, Polish, Russian, Japanese/Chinese */
	{ "dollars", "" }, { "dollar", "" }, { "bucks", "" }, { "d\xc3\xb3lares", "" },
	{ "d\xc3\xb3lar", "" }, { "dollari", "" }, { "dollaro", "" },
	{ "\xd0\xb4\xd0\xbe\xd0\xbb\xd0\xbb\xd0\xb0\xd1\x80\xd0\xbe\xd0\xb2", "" },
	{ "euros", "EUR" }, { "euro", "EUR" }, { "\xd0\xb5\xd0\xb2\xd1\x80\xd0\xbe", "EUR" },
	{ "pounds", "GBP" }, { "pound", "GBP" }, { "quid", "GBP" }, { "sterling", "GBP" },
	{ "pfund", "GBP" }, { "livres", "GBP" }, { "libras", "GBP" }, { "sterline", "GBP" },
	{ "yen", "JPY" }, { "yuan", "CNY" }, { "renminbi", "CNY" },
	{ "francs", "CHF" }, { "franc", "CHF" }, { "franken", "CHF" }, { "franchi", "CHF" },
	{ "z\xc5\x82otych", "PLN" }, { "z\xc5\x82ote", "PLN" }, { "z\xc5\x82oty", "PLN" },
	{ "zloty", "PLN" }, { "zlotys", "PLN" },
	{ "rupees", "INR" }, { "rupee", "INR" }, { "reais", "BRL" }, { "pesos", "MXN" },
	{ "rubles", "RUB" }, { "roubles", "RUB" }, { "ruble", "RUB" },
	{ "\xd1\x80\xd1\x83\xd0\xb1\xd0\xbb\xd0\xb5\xd0\xb9", "RUB" },
	{ "\xd1\x80\xd1\x83\xd0\xb1", "RUB" }, { "kronor", "SEK" }, { "kroner", "NOK" },
	{ "kr", "SEK" },
};

/* Words that make an amount a refund, credit or discount (several languages). */
static const struct { const char *word; enum hd_amount_kind kind; bool generic; } oracle_amount_kinds[] = {
	{ "refund", HD_AMOUNT_REFUND, false }, { "refunded", HD_AMOUNT_REFUND, false },
	{ "refunding", HD_AMOUNT_REFUND, false }, { "refunds", HD_AMOUNT_REFUND, true },
	{ "reimburse", HD_AMOUNT_REFUND, false }, { "reimbursed", HD_AMOUNT_REFUND, false },
	{ "reimbursement", HD_AMOUNT_REFUND, false }, { "reimbursements", HD_AMOUNT_REFUND, true },
	{ "chargeback", HD_AMOUNT_REFUND, false }, { "repay", HD_AMOUNT_REFUND, false },
	{ "erstattet", HD_AMOUNT_REFUND, false }, { "erstatten", HD_AMOUNT_REFUND, false },
	{ "erstattung", HD_AMOUNT_REFUND, false }, { "r\xc3\xbc" "ckerstattung", HD_AMOUNT_REFUND, false },
	{ "rembourser", HD_AMOUNT_REFUND, false }, { "rembours\xc3\xa9", HD_AMOUNT_REFUND, false },
	{ "remboursement", HD_AMOUNT_REFUND, false }, { "reembolso", HD_AMOUNT_REFUND, false },
	{ "reembolsar", HD_AMOUNT_REFUND, false }, { "reembolsado", HD_AMOUNT_REFUND, false },
	{ "rimborso", HD_AMOUNT_REFUND, false }, { "rimborsato", HD_AMOUNT_REFUND, false },
	{ "terugbetaling", HD_AMOUNT_REFUND, false }, { "zwrot", HD_AMOUNT_REFUND, false },
	{ "zwr\xc3\xb3" "cimy", HD_AMOUNT_REFUND, false },
	{ "\xd0\xb2\xd0\xbe\xd0\xb7\xd0\xb2\xd1\x80\xd0\xb0\xd1\x82", HD_AMOUNT_REFUND, false },
	{ "credit", HD_AMOUNT_CREDIT, false }, { "credited", HD_AMOUNT_CREDIT, false },
	{ "crediting", HD_AMOUNT_CREDIT, false }, { "credits", HD_AMOUNT_CREDIT, true },
	{ "voucher", HD_AMOUNT_CREDIT, false }, { "vouchers", HD_AMOUNT_CREDIT, true },
	{ "goodwill", HD_AMOUNT_CREDIT, false }, { "waive", HD_AMOUNT_CREDIT, false },
	{ "waived", HD_AMOUNT_CREDIT, false }, { "waiving", HD_AMOUNT_CREDIT, false },
	{ "waiver", HD_AMOUNT_CREDIT, false }, { "compensation", HD_AMOUNT_CREDIT, false },
	{ "gutschrift", HD_AMOUNT_CREDIT, false }, { "gutgeschrieben", HD_AMOUNT_CREDIT, false },
	{ "avoir", HD_AMOUNT_CREDIT, false }, { "cr\xc3\xa9" "dit", HD_AMOUNT_CREDIT, false },
	{ "cr\xc3\xa9" "dito", HD_AMOUNT_CREDIT, false }, { "tegoed", HD_AMOUNT_CREDIT, false },
	{ "discount", HD_AMOUNT_DISCOUNT, false }, { "discounted", HD_AMOUNT_DISCOUNT, false },
	{ "discounts", HD_AMOUNT_DISCOUNT, true }, { "rabatt", HD_AMOUNT_DISCOUNT, false },
	{ "remise", HD_AMOUNT_DISCOUNT, false }, { "descuento", HD_AMOUNT_DISCOUNT, false },
	{ "sconto", HD_AMOUNT_DISCOUNT, false }, { "korting", HD_AMOUNT_DISCOUNT, false },
	{ "rabat", HD_AMOUNT_DISCOUNT, false }, { "off", HD_AMOUNT_DISCOUNT, false },
};

/* Words right before an amount that make it a threshold ("over $100"). */
static const char *const oracle_amount_thresholds[] = {
	"over", "above", "exceeding", "exceeds", "exceed", "under", "below", "beyond",
	"than", "\xc3\xbc" "ber", "m\xc3\xa1s", "oltre", "powy\xc5\xbc" "ej",
};

/* Words that make a sentence about refunds in general a rule. */
static const char *const oracle_amount_rule_words[] = {
	"need", "needs", "require", "requires", "required", "must", "policy", "approval",
	"approved", "allowed", "only", "limit", "limited",
};

#define ORACLE_NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* True when [w, w+len) equals word, ASCII case-insensitively. */
static bool oracle_amount_word_is(const char *w, size_t len, const char *word)
{
	return strlen(word) == len && strncasecmp(w, word, len) == 0;
}

/* Match a currency token at p; returns its length and ISO code, or 0. */
static size_t oracle_amount_currency_at(const char *p, const char *end, const char **iso_r)
{
	for (size_t i = 0; i < ORACLE_NELEM(oracle_amount_currencies); i++) {
		size_t n;
		if (tolower((unsigned char)*p) != tolower((unsigned char)oracle_amount_currencies[i].tok[0]))
			continue;	/* cheap first-byte test: this runs at every word start */
		n = strlen(oracle_amount_currencies[i].tok);
		if ((size_t)(end - p) < n || strncasecmp(p, oracle_amount_currencies[i].tok, n) != 0)
			continue;
		/* Codes and names stand as words: "USD" but not "USDA", "euro" not
		   "europe"; a digit may touch any of them ("€5", "USD200"). */
		if (p + n < end && oracle_amount_is_wordc((unsigned char)p[n]) && !isdigit((unsigned char)p[n]))
			continue;
		*iso_r = oracle_amount_currencies[i].iso;
		return n;
	}
	return 0;
}

/* Kind of a word, or -1; *generic_r says a plural noun ("refunds"). */
static int oracle_amount_kind_of(const char *w, size_t len, bool *generic_r)
{
	for (size_t i = 0; i < ORACLE_NELEM(oracle_amount_kinds); i++)
		if (oracle_amount_word_is(w, len, oracle_amount_kinds[i].word)) {
			*generic_r = oracle_amount_kinds[i].generic;
			return oracle_amount_kinds[i].kind;
		}
	return -1;
}

/* True for "off", which makes only a percentage a discount. */
static bool oracle_amount_word_off(const char *w, size_t len)
{
	return oracle_amount_word_is(w, len, "off");
}

/* True when the word before an amount makes it a threshold. */
static bool oracle_amount_is_threshold(const char *w, size_t len)
{
	for (size_t i = 0; i < ORACLE_NELEM(oracle_amount_thresholds); i++)
		if (oracle_amount_word_is(w, len, oracle_amount_thresholds[i]))
			return true;
	return false;
}

/* True when the word states a rule ("need", "approval"...). */
static bool oracle_amount_is_rule_word(const char *w, size_t len)
{
	for (size_t i = 0; i < ORACLE_NELEM(oracle_amount_rule_words); i++)
		if (oracle_amount_word_is(w, len, oracle_amount_rule_words[i]))
			return true;
	return false;
}

#define ORACLE_HD_AMOUNT_NUMBER_MAX 40		/* bytes of one number ("1.250.000,00") */
#define ORACLE_HD_AMOUNT_SENTENCE_TOKENS 128	/* tokens read before a sentence is cut */
#define ORACLE_HD_AMOUNT_GOVERN_AFTER 10	/* words a grant word looks ahead for its amount */
#define ORACLE_HD_AMOUNT_GOVERN_BEFORE 5	/* words it looks back ("the $15 fee was waived") */

/* What a token of a sentence is. */
enum oracle_tok_type { ORACLE_TOK_WORD, ORACLE_TOK_AMOUNT, ORACLE_TOK_OPEN, ORACLE_TOK_CLOSE };

struct oracle_amount_tok {
	enum oracle_tok_type type;
	const char *s;
	size_t len;
	int kind;		/* words: enum hd_amount_kind or -1 */
	bool generic;		/* words: "refunds", a rule's subject */
	int depth;		/* parentheses around the token */
	int line;
	int granted;		/* amounts: kind granted, or -1 */
	size_t dist;		/* amounts: words to the granting word */
	struct hd_amount a;	/* amounts */
};

/* One sentence being read. */
struct oracle_amount_sentence {
	struct oracle_amount_tok tok[ORACLE_HD_AMOUNT_SENTENCE_TOKENS];
	size_t n;
	int depth;
	bool rule;		/* a rule word ("need", "approval") was read */
};

/* Parse a number: digits with ',', '.', ''' or no-break-space groups and
   at most one decimal mark. "5.000,00" and "5.000" are five thousand,
   "1,250.50" and "40,50" are what they say. Returns its length or 0. */
static size_t oracle_number_at(const char *p, const char *end, double *v_r)
{
	char digits[ORACLE_HD_AMOUNT_NUMBER_MAX + 1];
	size_t n = 0, o = 0, nseps = 0, last_sep_at = 0, after_last = 0;
	char last_sep = 0;
	bool mixed = false, repeated = false;

	if (p >= end || !isdigit((unsigned char)*p))
		return 0;
	while (p + n < end && o < ORACLE_HD_AMOUNT_NUMBER_MAX) {
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
		char clean[ORACLE_HD_AMOUNT_NUMBER_MAX + 2];
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
static const char *oracle_skip_blanks(const char *t, const char *end)
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
static size_t oracle_percent_at(const char *t, const char *end)
{
	static const char *const words[] = { "%", "percent", "per cent", "prozent", "procent", "pour cent", "por ciento", "per cento" };
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t wl = strlen(words[i]);
		if ((size_t)(end - t) >= wl && strncasecmp(t, words[i], wl) == 0 &&
		    (wl == 1 || t + wl == end || !oracle_amount_is_wordc((unsigned char)t[wl])))
			return wl;
	}
	return 0;
}

/* Try to read one amount at p: [currency] number [currency|%|percent]. */
static size_t oracle_amount_at(const char *p, const char *end, const char *dflt, struct hd_amount *a)
{
	const char *q = p, *iso = NULL;
	size_t n;
	double v;

	memset(a, 0, sizeof(*a));
	if ((n = oracle_amount_currency_at(q, end, &iso)) > 0) {
		q = oracle_skip_blanks(q + n, end);
		if ((n = oracle_number_at(q, end, &v)) == 0)
			return 0;
		q += n;
	} else if ((n = oracle_number_at(q, end, &v)) > 0) {
		const char *r = q + n, *t = oracle_skip_blanks(r, end);
		size_t pl;
		if (r < end && oracle_amount_is_wordc((unsigned char)*r) && (unsigned char)*r < 0x80 &&
		    !(r + 1 < end && (r[0] == 'z' || r[0] == 'K') && (unsigned char)r[1] >= 0x80))
			return 0;	/* "20k", "3rd": not an amount (but "100zł" is) */
		if ((pl = oracle_percent_at(t, end)) > 0) {
			a->percent = true;
			q = t + pl;
		} else if ((n = oracle_amount_currency_at(t, end, &iso)) > 0) {
			q = t + n;
		} else {
			return 0;
		}
	} else {
		return 0;
	}
	a->value = v;
	if (!a->percent)
		snprintf(a->currency, sizeof(a->currency), "%s",
			 iso && *iso ? iso : (dflt && strlen(dflt) == 3 ? dflt : "USD"));
	a->text = xstrndup(p, (size_t)(q - p));
	return (size_t)(q - p);
}

/* Is the amount token at i a threshold: "over $100", "$100 or more"? */
static bool oracle_sentence_threshold(const struct oracle_amount_sentence *st, size_t i)
{
	if (i > 0 && st->tok[i - 1].type == ORACLE_TOK_WORD && oracle_amount_is_threshold(st->tok[i - 1].s, st->tok[i - 1].len))
		return true;
	if (i + 2 < st->n && st->tok[i + 1].type == ORACLE_TOK_WORD && st->tok[i + 2].type == ORACLE_TOK_WORD &&
	    (st->tok[i + 1].len == 2 && strncasecmp(st->tok[i + 1].s, "or", 2) == 0) &&
	    (st->tok[i + 2].len == 4 && (strncasecmp(st->tok[i + 2].s, "more", 4) == 0 ||
					 strncasecmp(st->tok[i + 2].s, "less", 4) == 0)))
		return true;
	return false;
}

/* Give the amount at j the kind of the grant word at k, if nearer. */
static void oracle_sentence_grant(struct oracle_amount_sentence *st, size_t k, size_t j, size_t dist, bool percent_only)
{
	struct oracle_amount_tok *a = &st->tok[j];
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
static void oracle_sentence_govern(struct oracle_amount_sentence *st, size_t k)
{
	bool off = oracle_amount_word_off(st->tok[k].s, st->tok[k].len);
	size_t after = st->n, before = st->n, da = (size_t)-1, db = (size_t)-1, words = 0;

	if (st->tok[k].generic && st->rule)
		return;		/* "Refunds over $100 need approval": a rule, no grant */
	for (size_t j = k + 1; !off && j < st->n && words < ORACLE_HD_AMOUNT_GOVERN_AFTER; j++, words++) {
		if (st->tok[j].type == ORACLE_TOK_WORD && st->tok[j].kind >= 0)
			break;
		if (st->tok[j].type == ORACLE_TOK_AMOUNT && st->tok[j].depth == st->tok[k].depth) {
			after = j;
			da = words;
			break;
		}
	}
	words = 0;
	for (size_t j = k; j-- > 0 && words < (off ? 2 : ORACLE_HD_AMOUNT_GOVERN_BEFORE); words++) {
		if (st->tok[j].type == ORACLE_TOK_WORD && st->tok[j].kind >= 0)
			break;
		if (st->tok[j].type == ORACLE_TOK_AMOUNT && st->tok[j].depth == st->tok[k].depth) {
			before = j;
			db = words;
			break;
		}
	}
	if (after < st->n && da <= db)
		oracle_sentence_grant(st, k, after, da, false);
	else if (before < st->n)
		oracle_sentence_grant(st, k, before, db, off);
}

/* Decide the sentence's grants and move them to the output. */
static void oracle_sentence_flush(struct oracle_amount_sentence *st, struct hd_amount **out, size_t *n)
{
	size_t namounts = 0, nkinds = 0, lone = 0, kind_at = 0;

	for (size_t i = 0; i < st->n; i++) {
		struct oracle_amount_tok *t = &st->tok[i];
		if (t->type == ORACLE_TOK_AMOUNT) {
			namounts++;
			lone = i;
		} else if (t->type == ORACLE_TOK_WORD && t->kind >= 0) {
			nkinds++;
			kind_at = i;
		}
	}
	if (namounts > 0 && nkinds > 0) {
		for (size_t k = 0; k < st->n; k++)
			if (st->tok[k].type == ORACLE_TOK_WORD && st->tok[k].kind >= 0)
				oracle_sentence_govern(st, k);
		/* One amount and a grant word farther away: still that grant. */
		if (namounts == 1 && st->tok[lone].granted < 0 && !(st->tok[kind_at].generic && st->rule) &&
		    !oracle_amount_word_off(st->tok[kind_at].s, st->tok[kind_at].len))
			oracle_sentence_grant(st, kind_at, lone, 0, false);
	}
	for (size_t i = 0; i < st->n; i++) {
		struct oracle_amount_tok *t = &st->tok[i];
		if (t->type != ORACLE_TOK_AMOUNT)
			continue;
		if (t->granted >= 0 && !oracle_sentence_threshold(st, i) && *n < HD_AMOUNT_MAX) {
			t->a.kind = (enum hd_amount_kind)t->granted;
			t->a.line = t->line;
			*out = xrealloc(*out, (*n + 1) * sizeof(**out));
			(*out)[(*n)++] = t->a;
		} else {
			free(t->a.text);
		}
	}
	st->n = 0;
	st->depth = 0;
	st->rule = false;
}

/* Add a token, cutting the sentence when it is full. */
static struct oracle_amount_tok *oracle_sentence_push(struct oracle_amount_sentence *st, struct hd_amount **out, size_t *n,
					enum oracle_tok_type type, const char *s, size_t len, int line)
{
	struct oracle_amount_tok *t;

	if (st->n == ORACLE_HD_AMOUNT_SENTENCE_TOKENS)
		oracle_sentence_flush(st, out, n);
	if (type == ORACLE_TOK_CLOSE && st->depth > 0)
		st->depth--;
	t = &st->tok[st->n++];
	memset(t, 0, sizeof(*t));
	t->type = type;
	t->s = s;
	t->len = len;
	t->kind = -1;
	t->granted = -1;
	t->line = line;
	t->depth = st->depth;
	if (type == ORACLE_TOK_OPEN)
		st->depth++;
	return t;
}

/* Find every granted amount in text, in one pass. */
static size_t oracle_hd_amount_scan(const char *text, const char *default_currency, struct hd_amount **amounts_r)
{
	const char *end = text + strlen(text);
	struct oracle_amount_sentence *st = xcalloc(1, sizeof(*st));
	struct hd_amount *out = NULL;
	size_t n = 0;
	int line = 1;

	for (const char *p = text; p < end && n < HD_AMOUNT_MAX;) {
		unsigned char c = (unsigned char)*p;
		struct hd_amount a;
		size_t len;

		if (c == '\n') {
			const char *q = p + 1;
			while (q < end && (*q == ' ' || *q == '\t' || *q == '\r'))
				q++;
			if (q < end && *q == '\n')
				oracle_sentence_flush(st, &out, &n);	/* a blank line ends a sentence */
			line++;
			p++;
			continue;
		}
		if (c == '.' || c == '!' || c == '?') {
			if (c != '.' || p + 1 == end || isspace((unsigned char)p[1]))
				oracle_sentence_flush(st, &out, &n);
			p++;
			continue;
		}
		if (c == '(' || c == ')' || c == '[' || c == ']') {
			oracle_sentence_push(st, &out, &n, c == '(' || c == '[' ? ORACLE_TOK_OPEN : ORACLE_TOK_CLOSE, p, 1, line);
			p++;
			continue;
		}
		if ((c == '$' || oracle_amount_is_wordc(c)) && (len = oracle_amount_at(p, end, default_currency, &a)) > 0) {
			oracle_sentence_push(st, &out, &n, ORACLE_TOK_AMOUNT, p, len, line)->a = a;
			p += len;
			continue;
		}
		if (oracle_amount_is_wordc(c)) {
			const char *w = p;
			while (p < end && oracle_amount_is_wordc((unsigned char)*p))
				p++;
			bool generic = false;
			int kind = oracle_amount_kind_of(w, (size_t)(p - w), &generic);
			struct oracle_amount_tok *t = oracle_sentence_push(st, &out, &n, ORACLE_TOK_WORD, w, (size_t)(p - w), line);
			t->kind = kind;
			t->generic = generic;
			if (kind < 0 && oracle_amount_is_rule_word(w, (size_t)(p - w)))
				st->rule = true;
			continue;
		}
		p++;
	}
	oracle_sentence_flush(st, &out, &n);
	free(st);
	*amounts_r = out;
	return n;
}

/* Parse a declared amount ("250", "$250.00", "250 USD", "20%"). */
static bool oracle_hd_amount_parse(const char *s, const char *default_currency, struct hd_amount *a_r)
{
	const char *end;
	size_t len;

	while (*s == ' ')
		s++;
	end = s + strlen(s);
	while (end > s && end[-1] == ' ')
		end--;
	len = oracle_amount_at(s, end, default_currency, a_r);
	if (len == 0) {
		double v;
		size_t n = oracle_number_at(s, end, &v);
		if (n == 0 || s + n != end)
			return false;
		memset(a_r, 0, sizeof(*a_r));
		a_r->value = v;
		snprintf(a_r->currency, sizeof(a_r->currency), "%s",
			 default_currency && strlen(default_currency) == 3 ? default_currency : "USD");
		a_r->text = xstrndup(s, n);
		return true;
	}
	if (s + len != end) {
		free(a_r->text);
		return false;
	}
	return true;
}

#endif

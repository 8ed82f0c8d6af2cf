/*
 * amount - a small scanner for money amounts and percentages, and a
 * sentence-local classifier that decides whether each is a refund, a credit
 * or a discount. It must never guess a kind from outside the amount's own
 * sentence, and never read past the text's end.
 */
#include <config.h>
#include "amount.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stdio.h>

/* Currency symbols and codes recognised, with their ISO code. */
static const struct { const char *tok; const char *iso; } currencies[] = {
	{ "US$", "USD" }, { "$", "" }, { "\xe2\x82\xac", "EUR" }, { "\xc2\xa3", "GBP" },
	{ "USD", "USD" }, { "EUR", "EUR" }, { "GBP", "GBP" }, { "CAD", "CAD" },
	{ "AUD", "AUD" }, { "CHF", "CHF" }, { "NZD", "NZD" }, { "JPY", "JPY" },
	{ "SEK", "SEK" }, { "NOK", "NOK" }, { "DKK", "DKK" },
};

/* Words that make an amount in the same sentence a refund, credit or discount. */
static const struct { const char *word; enum hd_amount_kind kind; } kind_words[] = {
	{ "refund", HD_AMOUNT_REFUND }, { "refunded", HD_AMOUNT_REFUND },
	{ "refunding", HD_AMOUNT_REFUND }, { "refunds", HD_AMOUNT_REFUND },
	{ "reimburse", HD_AMOUNT_REFUND }, { "reimbursed", HD_AMOUNT_REFUND },
	{ "reimbursement", HD_AMOUNT_REFUND }, { "chargeback", HD_AMOUNT_REFUND },
	{ "credit", HD_AMOUNT_CREDIT }, { "credited", HD_AMOUNT_CREDIT },
	{ "crediting", HD_AMOUNT_CREDIT }, { "credits", HD_AMOUNT_CREDIT },
	{ "voucher", HD_AMOUNT_CREDIT }, { "goodwill", HD_AMOUNT_CREDIT },
	{ "waive", HD_AMOUNT_CREDIT }, { "waived", HD_AMOUNT_CREDIT },
	{ "waiving", HD_AMOUNT_CREDIT }, { "waiver", HD_AMOUNT_CREDIT },
	{ "compensation", HD_AMOUNT_CREDIT }, { "discount", HD_AMOUNT_DISCOUNT },
	{ "discounted", HD_AMOUNT_DISCOUNT }, { "off", HD_AMOUNT_DISCOUNT },
};

/* True for an ASCII letter or digit or a UTF-8 lead/continuation byte. */
static bool is_wordc(unsigned char c)
{
	return isalnum(c) || c >= 0x80;
}

/* Match a currency token at p; returns its length and ISO code, or 0. */
static size_t currency_at(const char *p, const char *end, const char **iso_r)
{
	for (size_t i = 0; i < sizeof(currencies) / sizeof(currencies[0]); i++) {
		size_t n = strlen(currencies[i].tok);
		if ((size_t)(end - p) < n || strncasecmp(p, currencies[i].tok, n) != 0)
			continue;
		/* Codes must stand as words: "USD" but not "USDA". */
		if (isalpha((unsigned char)p[0]) && p + n < end && isalpha((unsigned char)p[n]))
			continue;
		*iso_r = currencies[i].iso;
		return n;
	}
	return 0;
}

/* Parse a number like 1,250.00 or 40,50 at p; returns its length or 0. */
static size_t number_at(const char *p, const char *end, double *v_r)
{
	char buf[64];
	size_t n = 0, o = 0;
	int digits_after_sep = -1;
	char sep = 0;

	if (p >= end || !isdigit((unsigned char)*p))
		return 0;
	while (p + n < end && o < sizeof(buf) - 1) {
		char c = p[n];
		if (isdigit((unsigned char)c)) {
			buf[o++] = c;
			if (digits_after_sep >= 0)
				digits_after_sep++;
			n++;
		} else if ((c == ',' || c == '.') && p + n + 1 < end && isdigit((unsigned char)p[n + 1])) {
			if (digits_after_sep >= 0 && sep == '.' )
				break;
			sep = c;
			digits_after_sep = 0;
			buf[o++] = c;
			n++;
		} else {
			break;
		}
	}
	buf[o] = '\0';
	/* Thousands separators are commas followed by three digits; a comma
	   followed by exactly two digits at the end is a decimal comma. */
	{
		char clean[64];
		size_t k = 0;
		char *last_comma = strrchr(buf, ',');
		bool decimal_comma = last_comma && strchr(buf, '.') == NULL && strlen(last_comma + 1) == 2;
		for (size_t i = 0; buf[i]; i++) {
			if (buf[i] == ',') {
				if (decimal_comma && &buf[i] == last_comma)
					clean[k++] = '.';
				continue;
			}
			clean[k++] = buf[i];
		}
		clean[k] = '\0';
		*v_r = strtod(clean, NULL);
	}
	return n;
}

/* Classify by the kind word nearest to [a, b) within its sentence. */
static bool classify(const char *text, const char *a, const char *b, const char *end,
		     bool percent, enum hd_amount_kind *kind_r)
{
	const char *s = a, *e = b;
	size_t best = (size_t)-1;
	bool found = false;

	/* Sentence bounds: stop at ". ", "!", "?", or a blank line. */
	while (s > text && (size_t)(a - s) < HD_AMOUNT_SENTENCE_MAX) {
		char c = s[-1];
		if (c == '!' || c == '?' || (c == '.' && (s == a || isspace((unsigned char)*s))) ||
		    (c == '\n' && s - 1 > text && s[-2] == '\n'))
			break;
		s--;
	}
	while (e < end && (size_t)(e - b) < HD_AMOUNT_SENTENCE_MAX) {
		char c = *e;
		if (c == '!' || c == '?' || (c == '.' && (e + 1 == end || isspace((unsigned char)e[1]))) ||
		    (c == '\n' && e + 1 < end && e[1] == '\n'))
			break;
		e++;
	}
	for (const char *p = s; p < e;) {
		if (!is_wordc((unsigned char)*p)) {
			p++;
			continue;
		}
		const char *w = p;
		while (p < e && is_wordc((unsigned char)*p))
			p++;
		size_t wl = (size_t)(p - w);
		for (size_t i = 0; i < sizeof(kind_words) / sizeof(kind_words[0]); i++) {
			if (strlen(kind_words[i].word) != wl || strncasecmp(w, kind_words[i].word, wl) != 0)
				continue;
			enum hd_amount_kind k = kind_words[i].kind;
			/* A percentage is a discount; "off" only qualifies percentages. */
			if (percent)
				k = HD_AMOUNT_DISCOUNT;
			else if (k == HD_AMOUNT_DISCOUNT && strcasecmp(kind_words[i].word, "off") == 0)
				continue;
			else if (k == HD_AMOUNT_DISCOUNT)
				k = HD_AMOUNT_CREDIT;	/* a money discount is a credit */
			size_t dist = w >= b ? (size_t)(w - b) : (size_t)(a - p);
			if (dist < best) {
				best = dist;
				*kind_r = k;
				found = true;
			}
		}
	}
	return found;
}

/* Count newlines before p. */
static int line_of(const char *text, const char *p)
{
	int line = 1;
	for (const char *q = text; q < p; q++)
		if (*q == '\n')
			line++;
	return line;
}

/* Try to read one amount at p: [currency] number [currency|%|percent]. */
static size_t amount_at(const char *p, const char *end, const char *dflt, struct hd_amount *a)
{
	const char *q = p, *iso = NULL;
	size_t n;
	double v;

	memset(a, 0, sizeof(*a));
	if ((n = currency_at(q, end, &iso)) > 0) {
		q += n;
		while (q < end && *q == ' ')
			q++;
		if ((n = number_at(q, end, &v)) == 0)
			return 0;
		q += n;
	} else if ((n = number_at(q, end, &v)) > 0) {
		const char *r = q + n, *t;
		q = r;
		t = r;
		while (t < end && *t == ' ')
			t++;
		if (t < end && *t == '%') {
			a->percent = true;
			q = t + 1;
		} else if ((size_t)(end - t) >= 7 && strncasecmp(t, "percent", 7) == 0) {
			a->percent = true;
			q = t + 7;
		} else if ((n = currency_at(t, end, &iso)) > 0 && !(isalpha((unsigned char)*t) && t == r)) {
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

/* Find every classified amount in text. */
size_t hd_amount_scan(const char *text, const char *default_currency, struct hd_amount **amounts_r)
{
	const char *end = text + strlen(text);
	struct hd_amount *out = NULL;
	size_t n = 0;

	for (const char *p = text; p < end && n < HD_AMOUNT_MAX;) {
		struct hd_amount a;
		size_t len;

		/* An amount starts at a word start: not inside "A320" or "x$5". */
		if (p > text && (isalnum((unsigned char)p[-1]) || p[-1] == '.' || p[-1] == ',')) {
			p++;
			continue;
		}
		len = amount_at(p, end, default_currency, &a);
		if (len == 0) {
			p++;
			continue;
		}
		if (classify(text, p, p + len, end, a.percent, &a.kind)) {
			a.line = line_of(text, p);
			out = xrealloc(out, (n + 1) * sizeof(*out));
			out[n++] = a;
		} else {
			free(a.text);
		}
		p += len;
	}
	*amounts_r = out;
	return n;
}

/* Parse a declared amount ("250", "$250.00", "250 USD", "20%"). */
bool hd_amount_parse(const char *s, const char *default_currency, struct hd_amount *a_r)
{
	const char *end;
	size_t len;

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
	if (s + len != end) {
		free(a_r->text);
		return false;
	}
	return true;
}

/* Free an array of amounts. */
void hd_amounts_free(struct hd_amount *a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(a[i].text);
	free(a);
}

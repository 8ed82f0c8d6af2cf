/*
 * amount-words - the word tables of the amount scanner: currency symbols,
 * codes and names in the common currencies and languages, the words that
 * make an amount a refund, credit or discount, and the words that make it a
 * threshold in a rule rather than a grant. Tables only, no scanning; it must
 * never match inside a longer word (callers pass whole words).
 */
#include <config.h>
#include "amount-int.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

/* Currency tokens: symbols (may touch the number), ISO codes and names
   (whole words). An empty ISO code means "the policy's dollar currency". */
static const struct { const char *tok; const char *iso; } amount_currencies[] = {
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
static const struct { const char *word; enum hd_amount_kind kind; bool generic; } amount_kinds[] = {
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
static const char *const amount_thresholds[] = {
	"over", "above", "exceeding", "exceeds", "exceed", "under", "below", "beyond",
	"than", "\xc3\xbc" "ber", "m\xc3\xa1s", "oltre", "powy\xc5\xbc" "ej",
};

/* Words that make a sentence about refunds in general a rule. */
static const char *const amount_rule_words[] = {
	"need", "needs", "require", "requires", "required", "must", "policy", "approval",
	"approved", "allowed", "only", "limit", "limited",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* True when [w, w+len) equals word, ASCII case-insensitively. */
static bool amount_word_is(const char *w, size_t len, const char *word)
{
	return strlen(word) == len && strncasecmp(w, word, len) == 0;
}

/* Match a currency token at p; returns its length and ISO code, or 0. */
size_t amount_currency_at(const char *p, const char *end, const char **iso_r)
{
	for (size_t i = 0; i < NELEM(amount_currencies); i++) {
		size_t n;
		if (tolower((unsigned char)*p) != tolower((unsigned char)amount_currencies[i].tok[0]))
			continue;	/* cheap first-byte test: this runs at every word start */
		n = strlen(amount_currencies[i].tok);
		if ((size_t)(end - p) < n || strncasecmp(p, amount_currencies[i].tok, n) != 0)
			continue;
		/* Codes and names stand as words: "USD" but not "USDA", "euro" not
		   "europe"; a digit may touch any of them ("€5", "USD200"). */
		if (p + n < end && amount_is_wordc((unsigned char)p[n]) && !isdigit((unsigned char)p[n]))
			continue;
		*iso_r = amount_currencies[i].iso;
		return n;
	}
	return 0;
}

/* Kind of a word, or -1; *generic_r says a plural noun ("refunds"). */
int amount_kind_of(const char *w, size_t len, bool *generic_r)
{
	for (size_t i = 0; i < NELEM(amount_kinds); i++)
		if (amount_word_is(w, len, amount_kinds[i].word)) {
			*generic_r = amount_kinds[i].generic;
			return amount_kinds[i].kind;
		}
	return -1;
}

/* True for "off", which makes only a percentage a discount. */
bool amount_word_off(const char *w, size_t len)
{
	return amount_word_is(w, len, "off");
}

/* True when the word before an amount makes it a threshold. */
bool amount_is_threshold(const char *w, size_t len)
{
	for (size_t i = 0; i < NELEM(amount_thresholds); i++)
		if (amount_word_is(w, len, amount_thresholds[i]))
			return true;
	return false;
}

/* True when the word states a rule ("need", "approval"...). */
bool amount_is_rule_word(const char *w, size_t len)
{
	for (size_t i = 0; i < NELEM(amount_rule_words); i++)
		if (amount_word_is(w, len, amount_rule_words[i]))
			return true;
	return false;
}

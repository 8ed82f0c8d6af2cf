/*
 * amount-words - the word tables of the amount scanner: currency symbols,
 * codes and names in the common currencies and languages, the words that
 * make an amount a refund, credit or discount, and the words that make it a
 * threshold in a rule rather than a grant. Tables and their lookups only, no
 * scanning; it must never match inside a longer word (callers pass whole
 * words). The lookups run at every word of every reply, so the tables are
 * indexed once per process (amount_words_init): currency tokens by their
 * folded first byte, in table order, with their lengths; every word, and
 * every currency token that is a whole word ("euro", "USD", the euro
 * sign), in one open-addressing hash behind a filter of the (first byte,
 * last byte, length) and (second byte, last byte, length) the words have,
 * so most words of a reply are refused by a load or two, inline in the
 * scanner (amount_word_may_be). A
 * lookup must give exactly what a walk of the tables in order gives
 * (tests/unit/lib-policy/test-amount.c compares them). The build checks the
 * shapes the scanner's shortcuts rely on (amount-int.h) and stops if a table
 * breaks them.
 */
#include <config.h>
#include "amount-int.h"

#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "util.h"

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

/* The words of "$100 or more", "$50 or less": a threshold after the amount. */
static const char *const amount_or_more[] = { "or", "more", "less" };

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#define AMOUNT_WORD_SLOTS 512		/* hash slots (a power of two, > 2x the words) */
#define AMOUNT_NWORDS (NELEM(amount_kinds) + NELEM(amount_thresholds) + NELEM(amount_rule_words) + \
		       NELEM(amount_currencies) + NELEM(amount_or_more))

_Static_assert(NELEM(amount_currencies) < 256, "cur_start and cur_order hold a currency index in a byte");
_Static_assert(AMOUNT_WORD_SLOTS >= 2 * AMOUNT_NWORDS && AMOUNT_NWORDS < 65535,
	       "the word hash stays at most half full, its slots hold a word index in 16 bits");
_Static_assert((AMOUNT_WORD_SLOTS & (AMOUNT_WORD_SLOTS - 1)) == 0, "AMOUNT_WORD_SLOTS is a power of two");
_Static_assert(AMOUNT_TOKEN_MAX <= 32, "a word's length is a bit of a 32-bit filter cell");

/* What the word index knows of one word. */
struct amount_word {
	char folded[AMOUNT_TOKEN_MAX];	/* ASCII-lowercased */
	size_t len;
	struct amount_word_info info;
};

/* The index, built once by amount_words_init() and read-only after. */
static struct {
	size_t cur_len[NELEM(amount_currencies)];
	char cur_folded[NELEM(amount_currencies)][AMOUNT_TOKEN_MAX];
	/* currencies whose folded first byte is b, in table order:
	   cur_order[cur_start[b]] .. cur_order[cur_start[b + 1] - 1] */
	uint8_t cur_start[257];
	uint8_t cur_order[NELEM(amount_currencies)];
	struct amount_word words[AMOUNT_NWORDS];
	size_t nwords;
	uint16_t slot[AMOUNT_WORD_SLOTS];	/* index + 1 into words, 0 empty */
} amount_ix;
uint32_t amount_word_filter[2][32 * 32];
static pthread_once_t amount_ix_once = PTHREAD_ONCE_INIT;

/* True when the n bytes at p equal the folded token f, ASCII case-insensitively. */
static inline bool amount_eq_folded(const char *p, const char *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (amount_fold((unsigned char)p[i]) != (unsigned char)f[i])
			return false;
	return true;
}

/* A table that does not fit the index is a programming error: stop. */
static void amount_words_broken(const char *what)
{
	log_error("amount-words: cannot index '%s'", what);
	abort();
}

/* Hash slot of a word, from its key. */
static inline size_t amount_word_hash(const char *w, size_t len)
{
	size_t h = amount_word_key(w, len);
	return (h ^ (h >> 5)) & (AMOUNT_WORD_SLOTS - 1);
}

/* Find a word in the hash; NULL when it is in none of the word tables. */
static const struct amount_word *amount_word_find(const char *w, size_t len)
{
	if (!amount_word_may_be(w, len))
		return NULL;
	for (size_t h = amount_word_hash(w, len);; h = (h + 1) & (AMOUNT_WORD_SLOTS - 1)) {
		const struct amount_word *e;
		if (amount_ix.slot[h] == 0)
			return NULL;
		e = &amount_ix.words[amount_ix.slot[h] - 1];
		if (e->len == len && amount_eq_folded(w, e->folded, len))
			return e;
	}
}

/* Add a word to the hash, or return the entry it already has (first wins). */
static struct amount_word *amount_word_add(const char *word)
{
	size_t len = strlen(word), h;
	struct amount_word *e;

	if (len == 0 || len >= AMOUNT_TOKEN_MAX)
		amount_words_broken(word);
	for (h = amount_word_hash(word, len); amount_ix.slot[h] != 0; h = (h + 1) & (AMOUNT_WORD_SLOTS - 1)) {
		e = &amount_ix.words[amount_ix.slot[h] - 1];
		if (e->len == len && amount_eq_folded(word, e->folded, len))
			return e;
	}
	e = &amount_ix.words[amount_ix.nwords++];
	for (size_t i = 0; i < len; i++)
		e->folded[i] = (char)amount_fold((unsigned char)word[i]);
	e->len = len;
	e->info.kind = -1;
	amount_ix.slot[h] = (uint16_t)amount_ix.nwords;
	{
		amount_word_filter[0][amount_word_filter_cell(word, len)] |= (uint32_t)1 << len;
		amount_word_filter[1][amount_word_filter_cell2(word, len)] |= (uint32_t)1 << len;
	}
	return e;
}

/* Build the index (once, by pthread_once). */
static void amount_words_build(void)
{
	size_t count[256] = { 0 }, at[256];

	for (size_t i = 0; i < NELEM(amount_currencies); i++) {
		const char *t = amount_currencies[i].tok;
		size_t n = strlen(t);
		if (n == 0 || n >= AMOUNT_TOKEN_MAX)
			amount_words_broken(t);
		amount_ix.cur_len[i] = n;
		for (size_t k = 0; k < n; k++)
			amount_ix.cur_folded[i][k] = (char)amount_fold((unsigned char)t[k]);
		count[(unsigned char)amount_ix.cur_folded[i][0]]++;
	}
	/* A counting sort by first byte keeps the table order within a byte. */
	for (size_t b = 0, sum = 0; b < 256; b++) {
		amount_ix.cur_start[b] = (uint8_t)sum;
		at[b] = sum;
		sum += count[b];
		amount_ix.cur_start[b + 1] = (uint8_t)sum;
	}
	for (size_t i = 0; i < NELEM(amount_currencies); i++)
		amount_ix.cur_order[at[(unsigned char)amount_ix.cur_folded[i][0]]++] = (uint8_t)i;

	/* A whole-word currency token is a word too; "US$" and "$" are not,
	   and the scanner tries an amount at every word before a '$'. */
	for (size_t i = 0; i < NELEM(amount_currencies); i++) {
		const char *t = amount_currencies[i].tok;
		size_t n = amount_ix.cur_len[i];
		for (size_t k = 0; k < n; k++)
			if (!(amount_is_wordc((unsigned char)t[k]) && !isdigit((unsigned char)t[k])) &&
			    !(t[k] == '$' && k == n - 1))
				amount_words_broken(t);	/* breaks AMOUNT_CURRENCY_SHAPE */
		if (t[n - 1] != '$')
			amount_word_add(t)->info.currency = true;
	}
	for (size_t i = 0; i < NELEM(amount_kinds); i++) {
		struct amount_word *e = amount_word_add(amount_kinds[i].word);
		if (e->info.kind < 0) {
			e->info.kind = amount_kinds[i].kind;
			e->info.generic = amount_kinds[i].generic;
		}
	}
	for (size_t i = 0; i < NELEM(amount_thresholds); i++)
		amount_word_add(amount_thresholds[i])->info.threshold = true;
	for (size_t i = 0; i < NELEM(amount_rule_words); i++)
		amount_word_add(amount_rule_words[i])->info.rule = true;
	for (size_t i = 0; i < NELEM(amount_or_more); i++)
		amount_word_add(amount_or_more[i])->info.or_more = true;
	/* No table word holds a digit: the scanner looks up no word that does. */
	for (size_t i = 0; i < amount_ix.nwords; i++)
		for (size_t k = 0; k < amount_ix.words[i].len; k++)
			if (isdigit((unsigned char)amount_ix.words[i].folded[k]))
				amount_words_broken(amount_ix.words[i].folded);
}

/* Index the word tables; every entry point of the scanner calls it first. */
void amount_words_init(void)
{
	if (pthread_once(&amount_ix_once, amount_words_build) != 0)
		amount_words_broken("pthread_once");
}

/* True when a currency token starts with the byte c (any case). */
bool amount_currency_may_start(unsigned char c)
{
	unsigned char f = amount_fold(c);
	return amount_ix.cur_start[f + 1] > amount_ix.cur_start[f];
}

/* Match a currency token at p; returns its length and ISO code, or 0. */
size_t amount_currency_at(const char *p, const char *end, const char **iso_r)
{
	unsigned char f = amount_fold((unsigned char)*p), f1;

	if (amount_ix.cur_start[f] == amount_ix.cur_start[f + 1])
		return 0;	/* most bytes start no currency token */
	f1 = p + 1 < end ? amount_fold((unsigned char)p[1]) : 0;

	/* The first byte matches by the index; the second rejects most of the rest. */
	for (size_t k = amount_ix.cur_start[f]; k < amount_ix.cur_start[f + 1]; k++) {
		size_t i = amount_ix.cur_order[k], n = amount_ix.cur_len[i];
		if ((size_t)(end - p) < n || (n > 1 && (unsigned char)amount_ix.cur_folded[i][1] != f1) ||
		    (n > 2 && !amount_eq_folded(p + 2, amount_ix.cur_folded[i] + 2, n - 2)))
			continue;
		/* Codes and names stand as words: "USD" but not "USDA", "euro" not
		   "europe"; a digit may touch any of them ("€5", "USD200"). */
		if (p + n < end && amount_is_wordc((unsigned char)p[n]) && !amount_is_digit((unsigned char)p[n]))
			continue;
		*iso_r = amount_currencies[i].iso;
		return n;
	}
	return 0;
}

/* What the word tables say of a whole word (kind -1 and all false: nothing). */
struct amount_word_info amount_word_lookup(const char *w, size_t len)
{
	static const struct amount_word_info none = { .kind = -1 };
	const struct amount_word *e = amount_word_find(w, len);

	return e != NULL ? e->info : none;
}

/* Kind of a word, or -1; *generic_r says a plural noun ("refunds"). */
int amount_kind_of(const char *w, size_t len, bool *generic_r)
{
	const struct amount_word *e = amount_word_find(w, len);

	if (e == NULL || e->info.kind < 0)
		return -1;
	*generic_r = e->info.generic;
	return e->info.kind;
}

/* True for "off", which makes only a percentage a discount. */
bool amount_word_off(const char *w, size_t len)
{
	return len == 3 && amount_eq_folded(w, "off", 3);
}

/* True when the word before an amount makes it a threshold. */
bool amount_is_threshold(const char *w, size_t len)
{
	const struct amount_word *e = amount_word_find(w, len);
	return e != NULL && e->info.threshold;
}

/* True when the word states a rule ("need", "approval"...). */
bool amount_is_rule_word(const char *w, size_t len)
{
	const struct amount_word *e = amount_word_find(w, len);
	return e != NULL && e->info.rule;
}

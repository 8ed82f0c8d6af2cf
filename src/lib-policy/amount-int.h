#ifndef HD_AMOUNT_INT_H
#define HD_AMOUNT_INT_H
/*
 * amount-int - private to amount*.c: the word tables (amount-words.c) the
 * scanner (amount.c) reads, and their index. Nothing else includes it
 * (but the amount tests).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "amount.h"

/* True for an ASCII letter or digit or a UTF-8 lead/continuation byte. */
static inline bool amount_is_wordc(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

/* True for an ASCII digit: isdigit() in every locale, without its call. */
static inline bool amount_is_digit(unsigned char c)
{
	return (unsigned)(c - '0') < 10u;
}

/* What the word tables say of one whole word. */
struct amount_word_info {
	int kind;		/* enum hd_amount_kind, or -1 */
	bool generic;		/* a plural noun ("refunds"), a rule's subject */
	bool threshold;		/* "over", "under": makes the next amount a threshold */
	bool rule;		/* "need", "approval": the sentence states a rule */
	bool currency;		/* a currency token, whole ("euro", "USD", the euro sign) */
	bool or_more;		/* "or", "more", "less": of "$100 or more" */
};

/*
 * AMOUNT_CURRENCY_SHAPE, which amount_words_init() checks (it aborts when a
 * table breaks it) and the scanner relies on: every byte of a currency
 * token is a word byte but not a digit, except a '$', which only ends one
 * ("US$", "$"); no table word holds a digit. So a currency token starts at
 * a word only when the word is the whole token (currency above), or the
 * word holds a digit ("USD200", the euro sign before a 5), or a '$' follows it ("US$").
 */

#define AMOUNT_TOKEN_MAX 24		/* bytes of the longest table word, and more (< 32) */

/* ASCII lowercase of a byte; other bytes are themselves (the C locale's tolower). */
static inline unsigned char amount_fold(unsigned char c)
{
	return (unsigned)(c - 'A') < 26u ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* A word's key, from its length and its folded first, second and last
   bytes: the word hash's slot is taken from it. */
static inline size_t amount_word_key(const char *w, size_t len)
{
	return len * 131u + amount_fold((unsigned char)w[0]) * 31u +
	       amount_fold((unsigned char)w[len > 1 ? 1 : 0]) * 7u + amount_fold((unsigned char)w[len - 1]);
}

/* The word filter's cells of [w, w+len): the low five bits of its first
   and last bytes, and of its second and last, the same for both cases of
   a letter. */
static inline size_t amount_word_filter_cell(const char *w, size_t len)
{
	return ((size_t)((unsigned char)w[0] & 31u) << 5) | ((unsigned char)w[len - 1] & 31u);
}
static inline size_t amount_word_filter_cell2(const char *w, size_t len)
{
	return ((size_t)((unsigned char)w[len > 1 ? 1 : 0] & 31u) << 5) | ((unsigned char)w[len - 1] & 31u);
}

/* The word filter: bit len of a cell is set when some word the lookup
   knows has len bytes and that cell (set by amount_words_init()). */
extern uint32_t amount_word_filter[2][32 * 32];

/* False when no table word can be [w, w+len): most words, in a load or two. */
static inline bool amount_word_may_be(const char *w, size_t len)
{
	if (len - 1 >= AMOUNT_TOKEN_MAX - 1)
		return false;	/* empty, or longer than any table word */
	return (amount_word_filter[0][amount_word_filter_cell(w, len)] >> len & 1u) &&
	       (amount_word_filter[1][amount_word_filter_cell2(w, len)] >> len & 1u);
}

/* Index the word tables (once per process); call before any lookup below. */
void amount_words_init(void);
/* True when some currency token starts with the byte c (any case). */
bool amount_currency_may_start(unsigned char c);
/* Everything the word tables say of [w, w+len), in one lookup. */
struct amount_word_info amount_word_lookup(const char *w, size_t len);
/* Match a currency token at p; returns its length and ISO code, or 0. */
size_t amount_currency_at(const char *p, const char *end, const char **iso_r);
/* Kind of a word, or -1; *generic_r says a plural noun ("refunds"). */
int amount_kind_of(const char *w, size_t len, bool *generic_r);
/* True for "off", which makes only a percentage a discount. */
bool amount_word_off(const char *w, size_t len);
/* True when the word before an amount makes it a threshold ("over"). */
bool amount_is_threshold(const char *w, size_t len);
/* True when the word states a rule ("need", "approval"...). */
bool amount_is_rule_word(const char *w, size_t len);

#endif

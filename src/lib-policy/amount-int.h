#ifndef HD_AMOUNT_INT_H
#define HD_AMOUNT_INT_H
/*
 * amount-int - private to amount*.c: the word tables (amount-words.c) the
 * scanner (amount.c) reads, and their index. Nothing else includes it
 * (but the amount tests).
 */
#include <stdbool.h>
#include <stddef.h>
#include "amount.h"

/* True for an ASCII letter or digit or a UTF-8 lead/continuation byte. */
static inline bool amount_is_wordc(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

/* What the word tables say of one whole word. */
struct amount_word_info {
	int kind;		/* enum hd_amount_kind, or -1 */
	bool generic;		/* a plural noun ("refunds"), a rule's subject */
	bool threshold;		/* "over", "under": makes the next amount a threshold */
	bool rule;		/* "need", "approval": the sentence states a rule */
};

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

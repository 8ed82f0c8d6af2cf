#ifndef HD_AMOUNT_H
#define HD_AMOUNT_H
/*
 * amount - finds refund, credit and discount amounts written in plain words
 * in an agent's text ("a refund of $250.00", "credited 40 EUR", "USD 200",
 * "20% off", "waived the $15 fee", "60 dollars", "5.000,00 EUR", "100 zł").
 * An amount counts only when a grant word in its sentence governs it: "your
 * invoice of $500" is not a refund, "a refund of $30 (of the $90 you paid)"
 * grants 30, "Refunds over $100 need approval" grants nothing. Linear time.
 */
#include <stdbool.h>
#include <stddef.h>
#include "policy.h"

#define HD_AMOUNT_MAX 64		/* amounts reported per text */
#define HD_AMOUNT_SENTENCE_MAX 400	/* bytes of context searched each side */

struct hd_amount {
	enum hd_amount_kind kind;
	double value;
	char currency[4];	/* ISO code; "" for a percentage */
	bool percent;
	char *text;		/* the amount as written, e.g. "$250.00" */
	int line;		/* 1-based line in the text */
};

/* Scan text; default_currency is used for a bare "$" when the policy uses a
   dollar currency, else "USD". Returns the count; *amounts_r is allocated. */
size_t hd_amount_scan(const char *text, const char *default_currency,
		      struct hd_amount **amounts_r);
/* Parse a declared amount like "250", "$250.00", "250 USD", "20%". */
bool hd_amount_parse(const char *s, const char *default_currency, struct hd_amount *a_r);
void hd_amounts_free(struct hd_amount *a, size_t n);

#endif

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
/* A point of a scan where the scan of a longer text with the same first
   bytes is in the same state (after a blank line, nothing pending), so
   that scan may start there: hd_amount_scan_rest(). */
struct hd_amount_mark {
	size_t prefix;		/* bytes the longer text must share; 0: no mark */
	size_t resume;		/* where its scan goes on */
	int line;		/* the line there */
	size_t count;		/* amounts found before it */
};

/* hd_amount_scan(), and *mark_r: its last mark (prefix 0 when none). */
size_t hd_amount_scan_marked(const char *text, const char *default_currency, struct hd_amount **amounts_r,
			     struct hd_amount_mark *mark_r);
/* What hd_amount_scan(text) finds after its first mark->count amounts,
   which are those of the scan that gave the mark: text must begin with
   the mark->prefix bytes of that scan's text (the caller checks). Without
   a mark, all of hd_amount_scan(text). */
size_t hd_amount_scan_rest(const char *text, const struct hd_amount_mark *mark, const char *default_currency,
			   struct hd_amount **amounts_r);
/* Parse a declared amount like "250", "$250.00", "250 USD", "20%". */
bool hd_amount_parse(const char *s, const char *default_currency, struct hd_amount *a_r);
void hd_amounts_free(struct hd_amount *a, size_t n);

#endif

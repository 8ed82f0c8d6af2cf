#ifndef HD_QUOTE_H
#define HD_QUOTE_H
/*
 * quote - finds where an agent's own words end in a plain-text reply:
 * ">" quoted lines, "On <date>, <name> wrote:" attributions (wrapped over up
 * to three lines, common non-English forms), Outlook "-----Original
 * Message-----" and From:/Sent:/To:/Subject: blocks, and the "-- " signature.
 * When unsure it keeps everything and says so: a missed phrase is worse than
 * a scanned quote.
 */
#include <stdbool.h>
#include <stddef.h>

enum hd_quote_result {
	HD_QUOTE_NONE,		/* nothing quoted: all text is the agent's */
	HD_QUOTE_FOUND,		/* quoted history/signature removed */
	HD_QUOTE_UNCERTAIN,	/* looked like a quote but unsure: kept all */
};

/* Returns the agent's own text (allocated) and the result in *result_r. */
char *hd_quote_strip(const char *text, size_t len, enum hd_quote_result *result_r);

#endif

#ifndef HD_HTML_H
#define HD_HTML_H
/*
 * html - reduces HTML to plain text for matching: inline tags add nothing,
 * block tags add a line break, entities are decoded, script/style dropped.
 * Optionally drops quoted history (gmail_quote, any blockquote,
 * divRplyFwdMsg and the Outlook border-top separator with all that follows).
 * A tolerant state machine: any byte sequence gives some text, never an error.
 */
#include <stdbool.h>
#include <stddef.h>

#define HD_HTML_DROP_QUOTES 0x1

/* Convert; output is at most max_out bytes. *quote_found_r (may be NULL) is
   set when quoted history was dropped. */
char *hd_html_to_text(const char *html, size_t len, int flags, size_t max_out,
		      bool *quote_found_r);

#endif

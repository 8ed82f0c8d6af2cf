#ifndef HD_QUOTE_INT_H
#define HD_QUOTE_INT_H
/*
 * quote-int - what quote.c, quote-attrib.c and quote-words.c share: the line
 * record, the structural tests (address, date/time, "Name: value"), the
 * attribution and header-block recognisers, and the word lists that only add
 * confidence to what the structure already suggests.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HD_QUOTE_LINE_MAX	400	/* bytes of a line looked at as a marker */
#define HD_QUOTE_FOLD_MAX	(HD_QUOTE_LINE_MAX * 2) /* folded marker text */
#define HD_QUOTE_ATTR_LINES	3	/* an attribution may wrap over this many lines */
#define HD_QUOTE_HDR_NAME_MAX	40	/* bytes of a header name ("Envoyé le") */
#define HD_QUOTE_HDR_WORDS_MAX	4	/* words of a header name */
#define HD_QUOTE_HDR_WINDOW	8	/* lines of a header block looked at */
#define HD_QUOTE_SEP_MIN	5	/* "_____" / "-----" separator length */
#define HD_QUOTE_MOBILE_MAX	80	/* bytes of a "Sent from my phone" line */
#define HD_QUOTE_MOBILE_PREFIX	64	/* bytes compared: longer than any in quote-words.c */
#define HD_QUOTE_FP_INSERTION	64	/* fingerprints sorted by insertion, more by qsort */

/* What a line is, before any decision. */
enum quote_kind {
	QK_TEXT,
	QK_BLANK,
	QK_QUOTED,		/* "> ..." */
	QK_SIG,			/* "-- ", "Sent from my iPhone" */
	QK_ORIGINAL,		/* "-----Original Message-----" and translations */
	QK_DASHTITLE,		/* "---- some words ----": needs more evidence */
	QK_SEPARATOR,		/* "________________" */
	QK_HEADER,		/* "Name: value" */
};

/* Which header a name is, from the word lists. */
enum quote_hdr {
	QH_UNKNOWN,
	QH_FROM,
	QH_SENT,		/* sent / date */
	QH_OTHER,		/* to / cc / subject */
};

/* How sure a recogniser is. */
enum quote_conf {
	QC_NONE,
	QC_WEAK,		/* looks like a marker: what follows is uncertain */
	QC_STRONG,		/* a marker: what follows is quoted history */
};

struct quote_line {
	const char *s;
	size_t len;		/* without CR/LF */
	const char *t;		/* the line without blanks and marks at its ends */
	size_t tlen;		/* (quote_trim() as quote_classify() found it) */
	enum quote_kind kind;
	enum quote_hdr hdr;	/* QK_HEADER: which header */
	uint8_t region;		/* enum hd_quote_kind */
	bool thread;		/* matches a line of the thread's earlier messages */
};

/* The lower case of a two-byte code point cp in the scripts quote_fold()
   folds (Latin-1, Latin Extended-A, Greek, Cyrillic); cp when none. The
   one table of quote_fold() and the line hash of quote.c. */
static inline unsigned quote_fold_cp(unsigned cp)
{
	if (cp >= 0xc0 && cp <= 0xde && cp != 0xd7)
		return cp + 0x20;				/* Latin-1 */
	if ((cp >= 0x100 && cp <= 0x137) || (cp >= 0x14a && cp <= 0x177))
		return cp | 1;					/* Latin Ext-A pairs */
	if (cp >= 0x139 && cp <= 0x148 && (cp & 1))
		return cp + 1;
	if (cp >= 0x391 && cp <= 0x3a9)
		return cp + 0x20;				/* Greek */
	if (cp >= 0x410 && cp <= 0x42f)
		return cp + 0x20;				/* Cyrillic */
	if (cp >= 0x400 && cp <= 0x40f)
		return cp + 0x50;
	return cp;
}

/* quote-words.c */
size_t quote_fold(const char *s, size_t len, char *out, size_t outmax);
bool quote_words_wrote(const char *folded, size_t len);
bool quote_words_wrote_word(const char *s, size_t len, bool ascii);
bool quote_words_title(const char *folded, size_t len);
bool quote_words_title_raw(const char *s, size_t want, size_t avail);
bool quote_words_attr_start(const char *folded, size_t len);
bool quote_words_mobile_sig(const char *folded, size_t len);
bool quote_words_mobile_sig_raw(const char *s, size_t len);
enum quote_hdr quote_words_header(const char *folded, size_t len);

/* quote-attrib.c */
void quote_trim(const char **s, size_t *len);
bool quote_has_address(const char *s, size_t len);
bool quote_has_datetime(const char *s, size_t len);
bool quote_header_name(const char *s, size_t len, const char **name_r, size_t *name_len_r);
enum quote_kind quote_classify(const char *s, size_t len, enum quote_hdr *hdr_r);
enum quote_kind quote_classify_trim(const char *s, size_t len, enum quote_hdr *hdr_r,
				    const char **t_r, size_t *tlen_r);
enum quote_conf quote_header_block(const struct quote_line *l, size_t n, size_t i,
				   bool after_separator);
enum quote_conf quote_attribution(const struct quote_line *l, size_t n, size_t i,
				  size_t *start_r);
enum quote_conf quote_dashtitle(const struct quote_line *l, size_t n, size_t i);

#endif

#ifndef HD_QUOTE_H
#define HD_QUOTE_H
/*
 * quote - finds where an agent's own words end in a plain-text reply, in any
 * language: ">" quoted lines, attributions ("On <date>, <name> wrote:", and
 * any short line ending in ':' or a "wrote" verb that carries an address or
 * a date), Outlook separators and "Name: value" header blocks, the "-- "
 * signature, and lines the thread's earlier customer messages already held.
 * Every line ends up in one region: certainly the agent's, certainly quoted,
 * or uncertain. Uncertain text is kept: a missed phrase is worse than a
 * scanned quote, and the engine only tags what it finds there.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HD_QUOTE_FP_MIN		16	/* normalised bytes of a line worth a fingerprint */
#define HD_QUOTE_FP_LONG	40	/* one matching line this long is a quote on its own */
#define HD_QUOTE_FP_MAX		4096	/* fingerprints kept from one message */

enum hd_quote_result {
	HD_QUOTE_NONE,		/* nothing quoted: all text is the agent's */
	HD_QUOTE_FOUND,		/* quoted history/signature removed */
	HD_QUOTE_UNCERTAIN,	/* looked like a quote but unsure: kept all */
};

/* Whose words a region is. */
enum hd_quote_kind {
	HD_QUOTE_AGENT,		/* certainly the sender's own */
	HD_QUOTE_QUOTED,	/* certainly quoted history or signature */
	HD_QUOTE_UNSURE,	/* below a marker the structure only half shows */
};

/* A run of whole lines of the input: bytes [off, off + len). */
struct hd_quote_region {
	size_t off, len;
	enum hd_quote_kind kind;
};

/* The thread's earlier customer lines: sorted hd_quote_fingerprint() values. */
struct hd_quote_thread {
	const uint32_t *hashes;
	size_t n;
};

/* The outcome of one split. */
struct hd_quote_split {
	char *agent;		/* certain and uncertain text: what is scanned */
	char *certain;		/* only the certain agent text */
	bool found;		/* something was removed as quoted */
	bool uncertain;		/* some text is uncertain */
	bool thread;		/* lines matched the thread's earlier messages */
};

/* Regions of text in order, covering it; returns their number. thread may be NULL. */
size_t hd_quote_regions(const char *text, size_t len, const struct hd_quote_thread *thread,
			struct hd_quote_region **regions_r);
/* Split text into the agent's words (with and without the uncertain part). */
void hd_quote_split(const char *text, size_t len, const struct hd_quote_thread *thread,
		    struct hd_quote_split *split_r);
void hd_quote_split_free(struct hd_quote_split *split);

/* Returns the agent's own text (allocated) and the result in *result_r. */
char *hd_quote_strip(const char *text, size_t len, enum hd_quote_result *result_r);

/* Non-reversible hashes of the text's lines worth remembering (normalised:
   case, quote marks, punctuation and spacing ignored), sorted and unique.
   Returns their number (at most HD_QUOTE_FP_MAX); *hashes_r is allocated. */
size_t hd_quote_fingerprint(const char *text, size_t len, uint32_t **hashes_r);

#endif

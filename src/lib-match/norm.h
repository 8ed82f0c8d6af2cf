#ifndef HD_NORM_H
#define HD_NORM_H
/*
 * norm - Unicode normalisation for matching (SPEC s.7 matching rule):
 * NFKC case folding (utf8proc), default-ignorable characters removed (soft
 * hyphen, zero-width), curly quotes and dashes folded to ASCII, TR39
 * confusables mapped to Latin for non-ASCII letters only, white space runs
 * (including line breaks) collapsed to one space. Keeps, for every output
 * byte, the offset of the original byte it came from, so findings can quote
 * the original text and its line. Never allocates unbounded memory: input is
 * capped by the caller's limit.
 */
#include <stdbool.h>
#include <stddef.h>

/* Code points of one base character and its combining marks that are composed
   together; a longer run of marks is processed in pieces. */
#define HD_NORM_MAX_CLUSTER 16

struct hd_normtext {
	char *text;		/* normalised UTF-8, NUL-terminated */
	size_t len;
	size_t *orig;		/* orig[i]: offset in the input of text[i]'s source; orig[len] = input length */
};

/* Normalise len bytes of (possibly invalid) UTF-8. Invalid bytes become U+FFFD. */
struct hd_normtext *hd_norm_text(const char *s, size_t len);
/* The same result by the general, code point by code point path only (no
   ASCII fast path, no cache of cluster results): the oracle the fast
   paths are tested against. Not for production use: it is slower. */
struct hd_normtext *hd_norm_text_general(const char *s, size_t len);
void hd_normtext_deinit(struct hd_normtext **nt);
/* Normalise a short string (a pattern) into a new allocated string. */
char *hd_norm_string(const char *s);
/* True when the code point at text[off] starts/ends a word character run. */
bool hd_norm_is_word_boundary(const char *text, size_t len, size_t off);
/* True when off lies inside a run of word characters, i.e. the code points on
   both sides of off are word characters (letter, mark, number or '_'). A
   match edge is acceptable exactly when this is false. */
bool hd_norm_inside_word(const char *text, size_t len, size_t off);
/* True when the code point is a word character (letter, mark, number, '_'). */
bool hd_norm_is_word_cp(long cp);
/* Original offset just past the source of text[end - 1], with white space
   and ignorable characters that produced no output trimmed off; s is the
   text given to hd_norm_text. [orig[start], this) quotes a match. */
size_t hd_norm_orig_end(const struct hd_normtext *nt, const char *s, size_t end);

#endif

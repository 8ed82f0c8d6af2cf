#ifndef HD_FUZZ_PROPS_H
#define HD_FUZZ_PROPS_H
/*
 * props - the properties the fuzz harnesses check on every input, written
 * independently of the engine (an oracle must not share the code it checks).
 * Each checker returns NULL when the property holds, else a static sentence
 * saying what broke; props_require() aborts with it so the fuzzer keeps the
 * input. The checkers are unit-tested on bad outputs in tests/fuzz/test-props.c.
 */
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct hd_verdict;
struct hd_policy;

/* A header field as it will be written: NULL when name/value are valid
   RFC 5322 (printable ASCII name without ':', value without CR, LF or NUL
   except CRLF/LF folding followed by a blank, no line over 998 bytes). */
const char *props_header_field(const char *name, const char *value);
/* Every header the verdict adds or inserts. */
const char *props_verdict_headers(const struct hd_verdict *v);

/* The names of the top-level header block of a raw message, one allocated
   string each, in order; *n_r their number. Returns the array (free with
   props_names_free). Stops at the first empty line, at a line that is not a
   field (no ':' or a name outside RFC 5322 ftext), or at the end. */
char **props_header_names(const char *data, size_t len, size_t *n_r);
void props_names_free(char **names, size_t n);

/* kind: enum hd_helpdesk_kind of the message's team (0 none). True when the
   header name from the input is ours (X-Helpdesk-*) or in that helpdesk's
   control namespace. */
bool props_is_control_header(const char *name, int helpdesk_kind);
/* No input header that is ours or the helpdesk's control header is left in
   the delivered header set: what the milter removes (every X-Helpdesk-*, and
   each name in headers_removed, all instances) against the input names. */
const char *props_control_headers_gone(char *const *input_names, size_t n,
				       const struct hd_verdict *v, int helpdesk_kind);

/* True when the line (no newline) is a "#exception"/"#status" control line:
   optional blanks, '#', the word (any case) not followed by a word character. */
bool props_is_control_line(const char *line, size_t len);
/* No control line in text. */
const char *props_text_without_control_lines(const char *text);

/* The bound on the engine's CPU time for an input of len bytes. */
double props_time_bound(size_t len);
/* NULL when seconds is within props_time_bound(len). */
const char *props_time_within(double seconds, size_t len);

/* CPU seconds used by this process so far. */
double props_cpu_seconds(void);

/* abort() with the message and the harness name on stderr when why != NULL. */
void props_require(const char *harness, const char *why);

#endif

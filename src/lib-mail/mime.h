#ifndef HD_MIME_H
#define HD_MIME_H
/*
 * mime - reads a raw RFC 5322 message through GMime into what the engine
 * needs: decoded headers, thread identifiers, and the text of every text part
 * converted to UTF-8 (any transfer encoding and charset; text/html reduced to
 * text; format=flowed unwrapped), plus the agent's own new words with quoted
 * history and signature removed. Bounded by struct hd_limits: past a limit it
 * keeps what it read and records a note; it never fails on malformed MIME.
 */
#include <stdbool.h>
#include <stddef.h>
#include "util.h"
#include "hd-limits.h"
#include "quote.h"

struct hd_header {
	char *name;
	char *value;		/* unfolded raw value */
	char *decoded;		/* RFC 2047 decoded, UTF-8 */
};

struct hd_textpart {
	char *content_type;	/* "text/plain" or "text/html" */
	char *text;		/* whole decoded text, UTF-8 */
	char *agent_text;	/* only the new words: quotes and signature removed */
	char *agent_certain;	/* agent_text less the part the split is unsure of */
	char *quote_src;	/* HTML parts: the text with HTML quotes dropped */
	bool quote_found;	/* a quote or signature was removed */
	bool quote_uncertain;	/* split unsure: agent_text keeps the unsure part */
	bool quote_html;	/* the HTML held a quote element */
	bool quote_thread;	/* lines matched the thread's earlier messages */
	bool forwarded;		/* a forwarded message: no words of the agent */
	int alt_group;		/* parts of one multipart/alternative share it; -1 none */
};

struct hd_message {
	struct hd_header *headers;
	size_t nheaders;
	char *subject;		/* decoded, "" when absent */
	char *from;		/* decoded From: value, "" when absent */
	char *message_id;	/* without <>, NULL when absent */
	char *in_reply_to;	/* first id, without <>, NULL when absent */
	struct strvec references; /* ids without <>, oldest first */
	struct hd_textpart *parts;
	size_t nparts;
	struct strvec notes;	/* limits hit and repairs made, one sentence each */
	bool truncated;		/* something was not inspected because of a limit */
};

/* Longest boundary the part pre-pass (mime-cut.c) matches (RFC 2046: 70). */
#define HD_MIME_BOUNDARY_MAX 200
/* Boundaries declared beyond two per allowed part (text may mention some). */
#define HD_MIME_BOUNDARY_SLACK 16
/* Other lines beginning with "--" allowed per part before the rest is cut
   (signatures, "-----Original Message-----", undeclared boundaries). */
#define HD_MIME_DASH_LINES_PER_PART 4
/* Bytes of a raw message to hand GMime so that it builds at most about
   max_parts parts: len when within the limit, else the offset of the
   delimiter line (or boundary declaration, or other "--" line) that goes
   past it. Linear. */
size_t hd_mime_parts_cut(const char *data, size_t len, size_t max_parts);
/* A copy of a raw message whose top-level header block has more than
   max_headers fields, without the fields past that limit except the ones
   that say how to read the body (Content-Type, Content-Transfer-Encoding,
   MIME-Version); NULL when the message is within the limit. Linear. */
char *hd_mime_headers_cut(const char *data, size_t len, size_t max_headers, size_t *len_r);
/* Parse a message from memory. Never returns NULL: malformed input yields a
   message with what could be read and a note. */
struct hd_message *hd_message_parse(const char *data, size_t len, const struct hd_limits *lim);
/* Same, always through GMime: the reference the fast path (mime-fast.c)
   is compared with in tests and fuzzing. */
struct hd_message *hd_message_parse_gmime(const char *data, size_t len,
					  const struct hd_limits *lim);
/* Whether hd_message_parse() reads this message without GMime (one text
   part or a one-level multipart in plain form, mime-fast.c), before the
   limits cut it: for tests and fuzzing, which compare the two readers. */
bool hd_mime_is_simple(const char *data, size_t len);
/* The first thing in which two parsed messages differ ("part text", ...),
   or NULL when they are the same in every field. */
const char *hd_message_diff(const struct hd_message *a, const struct hd_message *b);
/* Same, reading from an open file descriptor (not closed, position ignored). */
struct hd_message *hd_message_parse_fd(int fd, const struct hd_limits *lim);
void hd_message_deinit(struct hd_message **msg);

/* First header with that name (case-insensitive), or NULL. */
const struct hd_header *hd_message_header(const struct hd_message *msg, const char *name);
/* Inbound text: all parts joined (one alternative per group, plain preferred). */
char *hd_message_text(const struct hd_message *msg);

/* Split every part again, now knowing the thread's earlier lines. */
void hd_message_requote(struct hd_message *msg, const struct hd_quote_thread *thread);

/* Must be called once before any thread parses (wraps g_mime_init). */
void hd_mime_init(void);

#endif

/*
 * mime-int - what mime.c (the GMime walk) and mime-text.c (bytes to valid
 * UTF-8, notes) share. Private to src/lib-mail/mime*.c: never include it
 * anywhere else; the public interface is mime.h.
 */
#ifndef HD_MIME_INT_H
#define HD_MIME_INT_H

#include "mime.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <gmime/gmime.h>

#define HD_MIME_CHARSET_NAME_MAX 40	/* bytes of a charset name quoted in a note */
#define HD_MIME_ICONV_BUF	4096	/* iconv output chunk */

/* Notes given at most once per message. */
enum mime_note_id {
	MN_MESSAGE_BYTES = 1u << 0,
	MN_DEPTH = 1u << 1,
	MN_PARTS = 1u << 2,
	MN_HEADER_COUNT = 1u << 3,
	MN_HEADER_BYTES = 1u << 4,
	MN_TEXT_BYTES = 1u << 5,
	MN_INVALID_UTF8 = 1u << 6,
	MN_UNDECLARED_8BIT = 1u << 7,
	MN_FALLBACK = 1u << 8,
	MN_EMPTY = 1u << 9,
	MN_READ = 1u << 10,
};

/* Per-parse state; lives on the caller's stack, so parses never share state. */
struct mime_ctx {
	struct hd_message *msg;
	struct hd_limits lim;
	GMimeParserOptions *opts;
	size_t text_left;	/* decoded text bytes still allowed */
	unsigned notes_done;	/* enum mime_note_id bits */
	uint32_t warnings_seen;	/* GMimeParserWarning codes already noted */
	struct strvec charsets_noted;
	int next_group;
	size_t parts_cap;
};

void mime_note(struct mime_ctx *ctx, unsigned id, bool truncated, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
size_t mime_utf8_cut(const char *s, size_t len, size_t max);
bool mime_is_ascii(const char *s, size_t len);
bool mime_utf8_valid(const char *s, size_t len);
char *mime_make_valid(const char *in, size_t len, bool *bad_r);
char *mime_to_utf8(struct mime_ctx *ctx, char *in, size_t len, const char *charset);
void mime_normalise_newlines(char *s);
char *mime_unflow(const char *s, bool delsp);

/* mime.c: one header field (spans: name, raw value after the colon) into
   the message, under the count and size limits; false at the count limit. */
bool mime_add_header(struct mime_ctx *ctx, const char *name, size_t nlen,
		     const char *raw, size_t rlen);
/* mime.c: one text/plain or text/html leaf from its transfer-decoded bytes
   (malloc'd, rawlen + 1 bytes, consumed) and Content-Type parameters. */
void mime_text_bytes(struct mime_ctx *ctx, char *raw, size_t rawlen, bool html,
		     const char *charset, const char *format, const char *delsp,
		     int group, bool forwarded);
/* mime-fast.c: read a plain one-part or one-level multipart message
   without GMime, exactly as the GMime walk would; false (the message
   untouched) when it is not one. */
bool mime_fast_parse(struct mime_ctx *ctx, const char *data, size_t len);

#endif

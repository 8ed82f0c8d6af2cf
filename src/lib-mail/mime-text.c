/*
 * mime-text - turns the bytes of a text part into valid UTF-8 for the reader
 * of mime.c: charset conversion with iconv (windows-1252 for undeclared
 * 8-bit and for Latin-1, as mail clients do), NUL bytes dropped, invalid
 * sequences repaired with U+FFFD, newlines normalised, format=flowed undone,
 * and the per-message notes that say what was repaired or cut. Must never
 * fail on any input and never return text that is not valid UTF-8.
 */
#include <config.h>
#include "mime-int.h"

#include <errno.h>
#include <iconv.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* windows-1252 0x80-0x9f; other bytes are Latin-1. */
static const uint16_t mime_cp1252[32] = {
	0x20ac, 0xfffd, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0xfffd, 0x017d, 0xfffd,
	0xfffd, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0xfffd, 0x017e, 0x0178,
};

/* Add a note (once per id when id is non-zero); may mark the message truncated. */
void mime_note(struct mime_ctx *ctx, unsigned id, bool truncated, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (truncated)
		ctx->msg->truncated = true;
	if (id != 0 && (ctx->notes_done & id))
		return;
	ctx->notes_done |= id;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	sv_push(&ctx->msg->notes, buf);
}

/* Length of s cut to at most max bytes without splitting a UTF-8 sequence. */
size_t mime_utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

/* Append a code point as UTF-8. */
static void mime_put_cp(struct strbuf *sb, uint32_t cp)
{
	char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else {
		b[0] = (char)(0xe0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	}
	sb_append(sb, b, n);
}

/* windows-1252 to UTF-8; never fails. */
static char *mime_from_cp1252(const char *in, size_t len)
{
	struct strbuf sb;

	sb_init(&sb);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c >= 0x80 && c <= 0x9f)
			mime_put_cp(&sb, mime_cp1252[c - 0x80]);
		else
			mime_put_cp(&sb, c);
	}
	return sb.s;
}

/* Is s[0..len) all ASCII? 32 bytes at a time (four words, so that the
   loads do not wait on one another), then eight. */
bool mime_is_ascii(const char *s, size_t len)
{
	const uint64_t high = 0x8080808080808080ull;
	uint64_t acc = 0, w0, w1, w2, w3;
	size_t i = 0;

	for (; i + 32 <= len; i += 32) {
		memcpy(&w0, s + i, 8);
		memcpy(&w1, s + i + 8, 8);
		memcpy(&w2, s + i + 16, 8);
		memcpy(&w3, s + i + 24, 8);
		acc |= (w0 | w1) | (w2 | w3);
	}
	for (; i + 8 <= len; i += 8) {
		memcpy(&w0, s + i, 8);
		acc |= w0;
	}
	for (; i < len; i++)
		acc |= (unsigned char)s[i];
	return (acc & high) == 0;
}

/* Is s[0..len) valid UTF-8 without NUL bytes? ASCII is checked first. */
bool mime_utf8_valid(const char *s, size_t len)
{
	if (mime_is_ascii(s, len))
		return memchr(s, '\0', len) == NULL;
	return g_utf8_validate(s, (gssize)len, NULL);
}

/* Copy valid UTF-8, replacing invalid bytes with U+FFFD; *bad_r when any was. */
char *mime_make_valid(const char *in, size_t len, bool *bad_r)
{
	*bad_r = false;
	if (mime_utf8_valid(in, len))
		return xstrndup(in, len);
	*bad_r = true;
	gchar *v = g_utf8_make_valid(in, (gssize)len);
	char *out = xstrdup(v);
	g_free(v);
	return out;
}

/* Remove NUL bytes in place; returns the new length. */
static size_t mime_drop_nul(char *s, size_t len)
{
	const char *z = memchr(s, '\0', len);
	size_t w;

	if (z == NULL)
		return len;
	w = (size_t)(z - s);
	for (size_t r = w; r < len; r++)
		if (s[r] != '\0')
			s[w++] = s[r];
	if (w < len)
		s[w] = '\0';
	return w;
}

/* Charset name safe to quote in a note. */
static void mime_charset_label(const char *cs, char out[HD_MIME_CHARSET_NAME_MAX + 1])
{
	size_t n = 0;

	for (; *cs != '\0' && n < HD_MIME_CHARSET_NAME_MAX; cs++)
		out[n++] = (*cs > 0x20 && *cs < 0x7f && *cs != '"') ? *cs : '?';
	out[n] = '\0';
}

/* Convert with iconv; invalid input bytes become U+FFFD. Returns NULL when the
   charset is unknown to iconv. */
static char *mime_iconv(const char *in, size_t len, const char *charset, bool *bad_r)
{
	iconv_t cd = g_mime_iconv_open("UTF-8", charset);
	struct strbuf sb;
	char buf[HD_MIME_ICONV_BUF];
	char *inp = (char *)in;
	size_t inleft = len;

	*bad_r = false;
	if (cd == (iconv_t)-1)
		return NULL;
	sb_init(&sb);
	while (inleft > 0) {
		char *outp = buf;
		size_t outleft = sizeof(buf);
		size_t r = iconv(cd, &inp, &inleft, &outp, &outleft);
		sb_append(&sb, buf, (size_t)(outp - buf));
		if (r != (size_t)-1 || errno == E2BIG)
			continue;
		/* EILSEQ, EINVAL or anything else: replace one byte and go on */
		sb_append(&sb, "\xef\xbf\xbd", 3);
		*bad_r = true;
		inp++;
		inleft--;
		iconv(cd, NULL, NULL, NULL, NULL);
	}
	{
		char *outp = buf;
		size_t outleft = sizeof(buf);
		iconv(cd, NULL, NULL, &outp, &outleft);
		sb_append(&sb, buf, (size_t)(outp - buf));
	}
	g_mime_iconv_close(cd);
	sb.len = mime_drop_nul(sb.s, sb.len);	/* U+0000 from wide charsets */
	/* iconv output should be valid; make sure */
	bool bad2;
	char *out = mime_make_valid(sb.s, sb.len, &bad2);
	sb_free(&sb);
	*bad_r = *bad_r || bad2;
	return out;
}

/* Charsets in which NUL bytes are part of characters. */
static bool mime_charset_wide(const char *cs)
{
	return strncasecmp(cs, "utf-16", 6) == 0 || strncasecmp(cs, "utf-32", 6) == 0 ||
	       strncasecmp(cs, "ucs", 3) == 0 || strncasecmp(cs, "utf16", 5) == 0 ||
	       strncasecmp(cs, "utf32", 5) == 0;
}

/* Charsets that read every ASCII byte as ASCII: text in them that is all
   ASCII needs no conversion. */
static bool mime_charset_ascii_superset(const char *cs)
{
	return strncasecmp(cs, "iso-8859-", 9) == 0 || strncasecmp(cs, "windows-125", 11) == 0 ||
	       strncasecmp(cs, "cp125", 5) == 0;
}

/* in[0..len) as a C string: in itself, NUL-terminated (in has room for it). */
static char *mime_take(char *in, size_t len)
{
	in[len] = '\0';
	return in;
}

/* Decode bytes in the declared charset to UTF-8; never fails. NUL bytes are
   dropped (the text is a C string). Consumes in (len + 1 bytes, malloc'd):
   text that is already valid UTF-8 is returned in place, without a copy;
   otherwise in is freed and the converted text returned. */
char *mime_to_utf8(struct mime_ctx *ctx, char *in, size_t len, const char *charset)
{
	char label[HD_MIME_CHARSET_NAME_MAX + 1];
	bool bad = false;
	char *out;

	if (charset == NULL || !mime_charset_wide(charset))
		len = mime_drop_nul(in, len);

	if (charset == NULL || *charset == '\0' || strcasecmp(charset, "us-ascii") == 0 ||
	    strcasecmp(charset, "ascii") == 0) {
		if (mime_utf8_valid(in, len))
			return mime_take(in, len);
		mime_note(ctx, MN_UNDECLARED_8BIT, false,
			  "8-bit text without a charset read as windows-1252");
		out = mime_from_cp1252(in, len);
		free(in);
		return out;
	}
	if (strcasecmp(charset, "utf-8") == 0 || strcasecmp(charset, "utf8") == 0) {
		if (mime_utf8_valid(in, len))
			return mime_take(in, len);
		out = mime_make_valid(in, len, &bad);
		free(in);
	} else if (mime_charset_ascii_superset(charset) && mime_is_ascii(in, len)) {
		return mime_take(in, len);	/* NULs were dropped above */
	} else {
		/* GMime maps some placeholder names to the locale charset; they
		   still mean "unknown" */
		bool placeholder = strcasecmp(charset, "x-unknown") == 0 ||
				   strcasecmp(charset, "unknown") == 0 ||
				   strcasecmp(charset, "unknown-8bit") == 0;
		out = placeholder ? NULL : mime_iconv(in, len, charset, &bad);
		if (out == NULL) {
			mime_charset_label(charset, label);
			if (!sv_contains_ci(&ctx->charsets_noted, label)) {
				sv_push(&ctx->charsets_noted, label);
				mime_note(ctx, 0, false,
					  "unknown charset \"%s\" read as UTF-8 or else windows-1252",
					  label);
			}
			if (mime_utf8_valid(in, len))
				return mime_take(in, len);
			out = mime_from_cp1252(in, len);
			free(in);
			return out;
		}
		free(in);
	}
	if (bad)
		mime_note(ctx, MN_INVALID_UTF8, false,
			  "invalid bytes for the declared charset replaced with U+FFFD");
	return out;
}

/* CRLF and lone CR to LF; NUL bytes dropped. In place. */
void mime_normalise_newlines(char *s)
{
	char *w = strchr(s, '\r'), *r = w;

	if (w == NULL)
		return;
	while (*r != '\0') {	/* here *r is a CR */
		char *next;
		size_t n;

		if (r[1] != '\n')
			*w++ = '\n';
		r++;
		next = strchr(r, '\r');
		n = next != NULL ? (size_t)(next - r) : strlen(r);
		memmove(w, r, n);
		w += n;
		r += n;
	}
	*w = '\0';
}

/* RFC 3676 format=flowed: join soft-broken lines, undo space-stuffing. */
char *mime_unflow(const char *s, bool delsp)
{
	struct strbuf sb;
	bool joining = false;	/* previous line was flowed */
	size_t prev_depth = 0;

	sb_init(&sb);
	while (*s != '\0') {
		const char *nl = strchr(s, '\n');
		size_t len = nl != NULL ? (size_t)(nl - s) : strlen(s);
		const char *l = s;
		size_t depth = 0;

		while (depth < len && l[depth] == '>')
			depth++;
		const char *c = l + depth;
		size_t clen = len - depth;
		if (clen > 0 && *c == ' ') {	/* space-stuffing */
			c++;
			clen--;
		}
		bool sig = clen == 3 && memcmp(c, "-- ", 3) == 0;
		bool flowed = !sig && clen > 0 && c[clen - 1] == ' ';
		if (joining && depth != prev_depth) {
			sb_putc(&sb, '\n');	/* quote depth changed: the paragraph ended */
			joining = false;
		}
		if (!joining)
			for (size_t i = 0; i < depth; i++)
				sb_putc(&sb, '>');
		if (!joining && depth > 0)
			sb_putc(&sb, ' ');
		sb_append(&sb, c, flowed && delsp ? clen - 1 : clen);
		if (!flowed && nl != NULL)
			sb_putc(&sb, '\n');
		joining = flowed;
		prev_depth = depth;
		if (nl == NULL)
			break;
		s = nl + 1;
	}
	return sb.s;
}


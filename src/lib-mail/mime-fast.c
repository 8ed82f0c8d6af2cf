/*
 * mime-fast - reads the commonest message without GMime: one text part
 * (Content-Type text/... or none), 7bit, 8bit, binary, quoted-printable or
 * base64, with header fields of the plain "Name: value" form (values may
 * hold 8-bit bytes: GMime keeps them raw too). GMime builds a parser, a
 * stream, a header list, content-type and parameter objects and a filter
 * chain for it and frees them again: two thirds of the parse outside quote
 * splitting.
 * Here the header block is scanned once in place and the body is handed to
 * the same decoding mime.c uses (mime_text_bytes()).
 *
 * It must never give a result that differs from the GMime walk in mime.c:
 * it accepts only what it reads exactly as GMime does and says "not mine"
 * (false, before touching the message) for anything else - a multipart, a
 * message/rfc822, an unusual header line, a parameter in a form it does not
 * read (RFC 2231, comments, escapes, encoded words), a repeated Content-*
 * field, a header block without its blank line. fuzz/fuzz-mime compares the
 * two readers on every input it is given (hd_message_parse_gmime()).
 */
#include <config.h>
#include "mime-int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <gmime/gmime.h>

#define FAST_HEADERS_STACK	32	/* header fields kept without a heap array */
#define FAST_PARAM_MAX		64	/* bytes of a parameter value read here */

/* One header field as spans of the message: name, and the raw value after
   the colon up to the end of its last line (folds inside, no final CRLF). */
struct fast_hdr {
	const char *name, *raw;
	size_t nlen, rlen;
};

/* What the fast path reads of Content-Type and Content-Disposition. */
struct fast_params {
	char charset[FAST_PARAM_MAX + 1];
	char format[FAST_PARAM_MAX + 1];
	char delsp[FAST_PARAM_MAX + 1];
	bool has_charset, has_format, has_delsp;
};

/* Characters of a header name read here (a subset of RFC 5322 ftext). */
static inline bool fast_name_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.';
}

/* Characters of a token (type, subtype, parameter name or value) read here:
   a subset of RFC 2045 token without '*', '%' and '\'' (RFC 2231). */
static inline bool fast_token_char(unsigned char c)
{
	return fast_name_char(c) || c == '+';
}

/* Blank inside a raw value: CR and LF only ever precede a fold's blank,
   so reading them as blanks is reading the unfolded value. */
static inline bool fast_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Skip blanks. */
static const char *fast_skip(const char *p, const char *end)
{
	while (p < end && fast_blank(*p))
		p++;
	return p;
}

/* A token at p; its end, or p when there is none. */
static const char *fast_token(const char *p, const char *end)
{
	while (p < end && fast_token_char((unsigned char)*p))
		p++;
	return p;
}

/* Whether a span equals a lower-case ASCII word, case-insensitively. */
static bool fast_is(const char *s, size_t n, const char *word)
{
	return strlen(word) == n && strncasecmp(s, word, n) == 0;
}

/* Copy a parameter value the caller reads; false when too long. */
static bool fast_keep(char out[FAST_PARAM_MAX + 1], bool *has, const char *v, size_t n)
{
	if (*has || n > FAST_PARAM_MAX)
		return false;	/* a repeated parameter: not read here */
	memcpy(out, v, n);
	out[n] = '\0';
	*has = true;
	return true;
}

/* Read "token [/ token] *(; name=value)" in the strict form; the first token
   (and subtype) as spans, the parameters the reader needs into *pr (NULL:
   parameters are checked but not kept). False: not in that form. */
static bool fast_params_read(const char *p, const char *end, bool subtype,
			     const char **type_r, size_t *tlen_r,
			     const char **sub_r, size_t *slen_r, struct fast_params *pr)
{
	const char *t;

	p = fast_skip(p, end);
	t = fast_token(p, end);
	if (t == p)
		return false;
	*type_r = p;
	*tlen_r = (size_t)(t - p);
	p = t;
	if (subtype) {
		if (p == end || *p != '/')
			return false;
		p++;
		t = fast_token(p, end);
		if (t == p)
			return false;
		*sub_r = p;
		*slen_r = (size_t)(t - p);
		p = t;
	}
	p = fast_skip(p, end);
	while (p < end) {
		const char *name, *val;
		size_t nlen, vlen;

		if (*p != ';')
			return false;
		p = fast_skip(p + 1, end);
		name = p;
		p = fast_token(p, end);
		nlen = (size_t)(p - name);
		if (nlen == 0 || p == end || *p != '=')
			return false;	/* also a trailing ";" */
		p++;
		if (p < end && *p == '"') {
			val = ++p;
			p = fast_token(p, end);
			if (p == end || *p != '"')
				return false;	/* blanks, escapes, specials in quotes */
			vlen = (size_t)(p - val);
			p++;
		} else {
			val = p;
			p = fast_token(p, end);
			vlen = (size_t)(p - val);
		}
		if (vlen == 0)
			return false;
		p = fast_skip(p, end);
		if (pr == NULL)
			continue;
		if (fast_is(name, nlen, "charset") && !fast_keep(pr->charset, &pr->has_charset, val, vlen))
			return false;
		if (fast_is(name, nlen, "format") && !fast_keep(pr->format, &pr->has_format, val, vlen))
			return false;
		if (fast_is(name, nlen, "delsp") && !fast_keep(pr->delsp, &pr->has_delsp, val, vlen))
			return false;
	}
	return true;
}

/* Scan the header block: fields as spans into *hs (grown on the heap past
   the stack array), the body offset into *body_r. False: not read here. */
static bool fast_headers(const char *data, size_t len, struct fast_hdr **hs, size_t *n_r,
			 size_t *cap, struct fast_hdr *stack, const char **body_r)
{
	const char *p = data, *end = data + len;
	size_t n = 0;

	for (;;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e;

		if (nl == NULL)
			return false;	/* no blank line ends the header block */
		e = nl > p && nl[-1] == '\r' ? nl - 1 : nl;
		if (e == p) {
			*body_r = nl + 1;
			break;
		}
		for (const char *q = p; q < e; q++) {
			unsigned char c = (unsigned char)*q;
			if ((c < 0x20 && c != '\t') || c == 0x7f)
				return false;	/* controls, CR, NUL */
		}
		if (*p == ' ' || *p == '\t') {
			const char *q = p;
			while (q < e && (*q == ' ' || *q == '\t'))
				q++;
			if (n == 0 || q == e)
				return false;	/* no field to fold into; a blank line */
			(*hs)[n - 1].rlen = (size_t)(e - (*hs)[n - 1].raw);
		} else {
			const char *q = p;
			while (q < e && fast_name_char((unsigned char)*q))
				q++;
			if (q == p || q == e || *q != ':')
				return false;	/* not "Name:" */
			if (n == *cap) {
				struct fast_hdr *grown = xmalloc(2 * *cap * sizeof(*grown));
				memcpy(grown, *hs, n * sizeof(*grown));
				if (*hs != stack)
					free(*hs);
				*hs = grown;
				*cap *= 2;
			}
			(*hs)[n++] = (struct fast_hdr){ p, q + 1, (size_t)(q - p),
							(size_t)(e - (q + 1)) };
		}
		p = nl + 1;
	}
	*n_r = n;
	return n > 0;
}

/* The transfer-decoded body, malloc'd with room for a NUL, or NULL when the
   encoding is not one read here. */
static char *fast_body(const char *body, size_t blen, const struct fast_hdr *cte,
		       size_t *len_r)
{
	GMimeContentEncoding enc = GMIME_CONTENT_ENCODING_DEFAULT;
	char *out;

	if (cte != NULL) {
		const char *a = fast_skip(cte->raw, cte->raw + cte->rlen);
		const char *b = fast_token(a, cte->raw + cte->rlen);
		size_t n = (size_t)(b - a);

		if (fast_skip(b, cte->raw + cte->rlen) != cte->raw + cte->rlen)
			return NULL;
		if (fast_is(a, n, "base64"))
			enc = GMIME_CONTENT_ENCODING_BASE64;
		else if (fast_is(a, n, "quoted-printable"))
			enc = GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE;
		else if (!fast_is(a, n, "7bit") && !fast_is(a, n, "8bit") && !fast_is(a, n, "binary"))
			return NULL;
	}
	if (enc == GMIME_CONTENT_ENCODING_DEFAULT) {
		out = xmalloc(blen + 1);
		memcpy(out, body, blen);
		*len_r = blen;
		return out;
	}
	GMimeEncoding st;
	g_mime_encoding_init_decode(&st, enc);
	out = xmalloc(g_mime_encoding_outlen(&st, blen) + 1);
	*len_r = g_mime_encoding_flush(&st, body, blen, out);
	return out;
}

/* What the fast path read of a message, before anything goes into it. */
struct fast_plan {
	struct fast_hdr stack[FAST_HEADERS_STACK], *hs;
	size_t n, cap;
	struct fast_params pr;
	bool html;
	char *raw;		/* transfer-decoded body; NULL: no text part */
	size_t rawlen;
};

/* Free what a plan holds. */
static void fast_plan_free(struct fast_plan *pl)
{
	if (pl->hs != pl->stack)
		free(pl->hs);
	pl->hs = pl->stack;
	free(pl->raw);
	pl->raw = NULL;
}

/* Read the message into *pl; false (nothing held) when it is not one the
   fast path reads. want_body: decode the body of a text part. */
static bool fast_plan(const char *data, size_t len, bool want_body, struct fast_plan *pl)
{
	const struct fast_hdr *ctype = NULL, *cte = NULL, *disp = NULL;
	const char *body = NULL, *type = NULL, *sub = NULL;
	size_t tlen = 0, slen = 0;
	bool attachment = false, ok;

	memset(&pl->pr, 0, sizeof(pl->pr));
	pl->hs = pl->stack;
	pl->n = 0;
	pl->cap = FAST_HEADERS_STACK;
	pl->html = false;
	pl->raw = NULL;
	pl->rawlen = 0;
	ok = fast_headers(data, len, &pl->hs, &pl->n, &pl->cap, pl->stack, &body);
	for (size_t i = 0; ok && i < pl->n; i++) {
		const struct fast_hdr *h = &pl->hs[i];
		const struct fast_hdr **slot = NULL;

		if (h->nlen < 12 || strncasecmp(h->name, "content-", 8) != 0)
			continue;
		if (fast_is(h->name, h->nlen, "content-type"))
			slot = &ctype;
		else if (fast_is(h->name, h->nlen, "content-transfer-encoding"))
			slot = &cte;
		else if (fast_is(h->name, h->nlen, "content-disposition"))
			slot = &disp;
		if (slot == NULL)
			continue;
		if (*slot != NULL)
			ok = false;	/* which one GMime reads is its business */
		*slot = h;
	}
	if (ok && ctype != NULL) {
		ok = fast_params_read(ctype->raw, ctype->raw + ctype->rlen, true,
				      &type, &tlen, &sub, &slen, &pl->pr) &&
		     fast_is(type, tlen, "text");
		pl->html = ok && fast_is(sub, slen, "html");
		if (ok && !pl->html && !fast_is(sub, slen, "plain"))
			sub = NULL;	/* text/csv and the like: no text part */
	}
	if (ok && disp != NULL) {
		const char *d;
		size_t dlen;

		ok = fast_params_read(disp->raw, disp->raw + disp->rlen, false, &d, &dlen,
				      NULL, NULL, NULL);
		attachment = ok && fast_is(d, dlen, "attachment");
	}
	if (ok && (ctype == NULL || sub != NULL) && !attachment) {
		/* the encoding is checked even when the body is not wanted */
		pl->raw = fast_body(body, (size_t)(data + len - body), cte, &pl->rawlen);
		ok = pl->raw != NULL;
		if (ok && !want_body) {
			free(pl->raw);
			pl->raw = NULL;
		}
	}
	if (!ok)
		fast_plan_free(pl);
	return ok;
}

/* Public entry: see mime.h. */
bool hd_mime_is_simple(const char *data, size_t len)
{
	struct fast_plan pl;

	if (len >= 5 && memcmp(data, "From ", 5) == 0) {
		const char *nl = memchr(data, '\n', len);
		size_t skip = nl != NULL ? (size_t)(nl + 1 - data) : len;
		data += skip;
		len -= skip;
	}
	if (len == 0 || !fast_plan(data, len, false, &pl))
		return false;
	fast_plan_free(&pl);
	return true;
}

/* Public to mime.c: see mime-int.h. */
bool mime_fast_parse(struct mime_ctx *ctx, const char *data, size_t len)
{
	struct fast_plan pl;
	const struct fast_params *pr = &pl.pr;

	if (!fast_plan(data, len, ctx->lim.mime_parts >= 1, &pl))
		return false;
	/* From here on the message is read as mime.c's walk reads it. */
	for (size_t i = 0; i < pl.n; i++)
		if (!mime_add_header(ctx, pl.hs[i].name, pl.hs[i].nlen, pl.hs[i].raw, pl.hs[i].rlen))
			break;
	if (ctx->lim.mime_parts < 1)
		mime_note(ctx, MN_PARTS, true,
			  "MIME part limit %zu reached; further parts not inspected",
			  ctx->lim.mime_parts);
	else if (pl.raw != NULL)
		mime_text_bytes(ctx, pl.raw, pl.rawlen, pl.html,
				pr->has_charset ? pr->charset : NULL,
				!pl.html && pr->has_format ? pr->format : NULL,
				!pl.html && pr->has_delsp ? pr->delsp : NULL, -1, false);
	pl.raw = NULL;		/* mime_text_bytes() took it */
	fast_plan_free(&pl);
	return true;
}

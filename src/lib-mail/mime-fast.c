/*
 * mime-fast - reads the commonest messages without GMime: one text part
 * (Content-Type text/... or none), or a one-level multipart/alternative or
 * /mixed of leaf parts (text, or media types that give no text), 7bit,
 * 8bit, binary, quoted-printable or base64, with header fields of the plain
 * "Name: value" form (values may hold 8-bit bytes: GMime keeps them raw
 * too). GMime builds a parser, a stream, header lists, content-type and
 * parameter objects and a filter chain for them and frees them again: two
 * thirds of the parse outside quote splitting. Here each header block is
 * scanned once in place and each text body is handed to the same decoding
 * mime.c uses (mime_text_bytes()), in the order mime.c's walk would.
 *
 * It must never give a result that differs from the GMime walk in mime.c:
 * it accepts only what it reads exactly as GMime does and says "not mine"
 * (false, before touching the message) for anything else - nesting,
 * message/rfc822, a digest, an unusual header or delimiter line, a
 * parameter in a form it does not read (RFC 2231, comments, escapes,
 * encoded words), a repeated Content-* field, a header block without its
 * blank line. fuzz/fuzz-mime compares the two readers on every input it is
 * given (hd_message_parse_gmime()), test-mime on its edge cases.
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
	char boundary[FAST_PARAM_MAX + 1];
	bool has_charset, has_format, has_delsp, has_boundary;
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

/* The end of a quoted-string's contents at p: printable ASCII without
   '"' and '\\', and without "=?" (GMime decodes encoded words in loose
   parameters). Stops at the closing quote or at anything else. */
static const char *fast_quoted(const char *p, const char *end)
{
	while (p < end && *p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\' &&
	       !(*p == '=' && p + 1 < end && p[1] == '?'))
		p++;
	return p;
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
			p = fast_quoted(p, end);
			if (p == end || *p != '"')
				return false;	/* escapes, controls, 8-bit in quotes */
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
		/* a value the reader uses is a plain token (a boundary may hold
		   the specials mail programs put in it, not blanks) */
		bool token = fast_token(val, val + vlen) == val + vlen;
		if (fast_is(name, nlen, "charset") &&
		    (!token || !fast_keep(pr->charset, &pr->has_charset, val, vlen)))
			return false;
		if (fast_is(name, nlen, "format") &&
		    (!token || !fast_keep(pr->format, &pr->has_format, val, vlen)))
			return false;
		if (fast_is(name, nlen, "delsp") &&
		    (!token || !fast_keep(pr->delsp, &pr->has_delsp, val, vlen)))
			return false;
		if (fast_is(name, nlen, "boundary") &&
		    (memchr(val, ' ', vlen) != NULL ||
		     !fast_keep(pr->boundary, &pr->has_boundary, val, vlen)))
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

#define FAST_PARTS_MAX	16	/* parts of a multipart read here; more: GMime */

/* One leaf as the walk reads it. */
struct fast_leaf {
	struct fast_params pr;
	bool html;
	char *raw;		/* transfer-decoded text; NULL: no text part */
	size_t rawlen;
};

/* What the fast path read of a message, before anything goes into it. */
struct fast_plan {
	struct fast_hdr stack[FAST_HEADERS_STACK], *hs;	/* top-level fields */
	size_t n, cap;
	bool multipart, alternative;
	struct fast_leaf leaves[FAST_PARTS_MAX];	/* one, or a multipart's parts */
	size_t nleaves;
};

/* Free what a plan holds. */
static void fast_plan_free(struct fast_plan *pl)
{
	if (pl->hs != pl->stack)
		free(pl->hs);
	pl->hs = pl->stack;
	for (size_t i = 0; i < pl->nleaves; i++) {
		free(pl->leaves[i].raw);
		pl->leaves[i].raw = NULL;
	}
	pl->nleaves = 0;
}

/* The Content-Type, -Transfer-Encoding and -Disposition fields of a header
   block; false when one is repeated. */
static bool fast_content_fields(const struct fast_hdr *hs, size_t n, const struct fast_hdr **ctype,
				const struct fast_hdr **cte, const struct fast_hdr **disp)
{
	*ctype = *cte = *disp = NULL;
	for (size_t i = 0; i < n; i++) {
		const struct fast_hdr *h = &hs[i];
		const struct fast_hdr **slot = NULL;

		if (h->nlen < 12 || strncasecmp(h->name, "content-", 8) != 0)
			continue;
		if (fast_is(h->name, h->nlen, "content-type"))
			slot = ctype;
		else if (fast_is(h->name, h->nlen, "content-transfer-encoding"))
			slot = cte;
		else if (fast_is(h->name, h->nlen, "content-disposition"))
			slot = disp;
		if (slot == NULL)
			continue;
		if (*slot != NULL)
			return false;	/* which one GMime reads is its business */
		*slot = h;
	}
	return true;
}

/* Read one leaf (the message itself, or a part of a multipart): its type,
   disposition and, for a text part, the decoded body. in_multipart: other
   media types are read too (they give no text part). False: not read here
   (a multipart or message inside, a form the fast path does not read). */
static bool fast_leaf_read(const struct fast_hdr *ctype, const struct fast_hdr *cte,
			   const struct fast_hdr *disp, const char *body, size_t blen,
			   bool in_multipart, bool want_body, struct fast_leaf *lf)
{
	const char *type = NULL, *sub = NULL;
	size_t tlen = 0, slen = 0;
	bool text = true;

	memset(lf, 0, sizeof(*lf));
	if (ctype != NULL) {
		if (!fast_params_read(ctype->raw, ctype->raw + ctype->rlen, true, &type, &tlen,
				      &sub, &slen, &lf->pr))
			return false;
		if (fast_is(type, tlen, "text")) {
			lf->html = fast_is(sub, slen, "html");
			text = lf->html || fast_is(sub, slen, "plain");
		} else if (in_multipart && (fast_is(type, tlen, "application") ||
					    fast_is(type, tlen, "image") ||
					    fast_is(type, tlen, "audio") ||
					    fast_is(type, tlen, "video"))) {
			text = false;
		} else {
			return false;	/* multipart, message, and the rest: GMime */
		}
	}
	if (disp != NULL) {
		const char *d;
		size_t dlen;

		if (!fast_params_read(disp->raw, disp->raw + disp->rlen, false, &d, &dlen,
				      NULL, NULL, NULL))
			return false;
		if (fast_is(d, dlen, "attachment"))
			text = false;
	}
	if (!text)
		return true;
	/* the encoding is checked even when the body is not wanted */
	lf->raw = fast_body(body, blen, cte, &lf->rawlen);
	if (lf->raw == NULL)
		return false;
	if (!want_body) {
		free(lf->raw);
		lf->raw = NULL;
		lf->rawlen = 0;
		lf->html = false;
		return true;
	}
	return true;
}

/* One part of a multipart: [p, end) runs from after its delimiter line to
   the start of the next one; the newline before that delimiter is the
   delimiter's. */
static bool fast_part(const char *p, const char *end, bool want_body, struct fast_plan *pl)
{
	struct fast_hdr stack[FAST_HEADERS_STACK], *hs = stack;
	const struct fast_hdr *ctype, *cte, *disp;
	const char *body = NULL, *cend = end;
	size_t n = 0, cap = FAST_HEADERS_STACK;
	bool ok;

	if (pl->nleaves == FAST_PARTS_MAX || end == p || end[-1] != '\n')
		return false;
	cend--;
	if (cend > p && cend[-1] == '\r')
		cend--;
	ok = fast_headers(p, (size_t)(end - p), &hs, &n, &cap, stack, &body) && body <= cend &&
	     fast_content_fields(hs, n, &ctype, &cte, &disp) &&
	     fast_leaf_read(ctype, cte, disp, body, (size_t)(cend - body), true, want_body,
			    &pl->leaves[pl->nleaves]);
	if (hs != stack)
		free(hs);
	if (ok)
		pl->nleaves++;
	return ok;
}

/* The parts of a one-level multipart with boundary b: every line that
   begins with "--b" must be a delimiter ("--b") or the close ("--b--")
   exactly, the close must come, and nothing may follow it that looks like
   a delimiter. False: GMime's business. */
static bool fast_multipart(const char *body, const char *end, const char *b, bool want_body,
			   struct fast_plan *pl)
{
	size_t blen = strlen(b);
	const char *part = NULL;	/* start of the part being read */
	bool closed = false;

	for (const char *p = body; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *next = nl != NULL ? nl + 1 : end;
		const char *e = nl != NULL && nl > p && nl[-1] == '\r' ? nl - 1 : (nl ? nl : end);

		if ((size_t)(e - p) >= 2 + blen && p[0] == '-' && p[1] == '-' &&
		    memcmp(p + 2, b, blen) == 0) {
			const char *r = p + 2 + blen;
			bool close = e - r == 2 && r[0] == '-' && r[1] == '-';

			/* a delimiter or close at the very end without its
			   newline: GMime keeps a CR of the part before it */
			if (closed || (e != r && !close) || nl == NULL)
				return false;
			if (part != NULL && !fast_part(part, p, want_body, pl))
				return false;
			if (close)
				closed = true;
			part = close ? NULL : next;
		}
		p = next;
	}
	return closed && pl->nleaves > 0;
}

/* Read the message into *pl; false (nothing held) when it is not one the
   fast path reads. want_body: decode the bodies of text parts. */
static bool fast_plan(const char *data, size_t len, bool want_body, struct fast_plan *pl)
{
	const struct fast_hdr *ctype = NULL, *cte = NULL, *disp = NULL;
	const char *body = NULL, *type, *sub;
	size_t tlen, slen;
	struct fast_params pr;
	bool ok;

	pl->hs = pl->stack;
	pl->n = 0;
	pl->cap = FAST_HEADERS_STACK;
	pl->multipart = pl->alternative = false;
	pl->nleaves = 0;
	ok = fast_headers(data, len, &pl->hs, &pl->n, &pl->cap, pl->stack, &body) &&
	     fast_content_fields(pl->hs, pl->n, &ctype, &cte, &disp);
	memset(&pr, 0, sizeof(pr));
	if (ok && ctype != NULL &&
	    fast_params_read(ctype->raw, ctype->raw + ctype->rlen, true, &type, &tlen, &sub, &slen,
			     &pr) &&
	    fast_is(type, tlen, "multipart")) {
		pl->multipart = true;
		pl->alternative = fast_is(sub, slen, "alternative");
		ok = (pl->alternative || fast_is(sub, slen, "mixed")) && pr.has_boundary &&
		     cte == NULL && disp == NULL &&
		     fast_multipart(body, data + len, pr.boundary, want_body, pl);
	} else if (ok) {
		ok = fast_leaf_read(ctype, cte, disp, body, (size_t)(data + len - body), false,
				    want_body, &pl->leaves[0]);
		pl->nleaves = ok ? 1 : 0;
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

/* Hand one leaf's text to mime.c, as mime_walk's text leaf does. */
static void fast_leaf_emit(struct mime_ctx *ctx, struct fast_leaf *lf, int group)
{
	const struct fast_params *pr = &lf->pr;

	if (lf->raw == NULL)
		return;
	mime_text_bytes(ctx, lf->raw, lf->rawlen, lf->html, pr->has_charset ? pr->charset : NULL,
			!lf->html && pr->has_format ? pr->format : NULL,
			!lf->html && pr->has_delsp ? pr->delsp : NULL, group, false);
	lf->raw = NULL;		/* mime_text_bytes() took it */
}

/* Public to mime.c: see mime-int.h. */
bool mime_fast_parse(struct mime_ctx *ctx, const char *data, size_t len)
{
	struct fast_plan pl;
	size_t seen = 0;

	if (!fast_plan(data, len, ctx->lim.mime_parts >= 1, &pl))
		return false;
	/* From here on the message is read as mime.c's walk reads it. */
	for (size_t i = 0; i < pl.n; i++)
		if (!mime_add_header(ctx, pl.hs[i].name, pl.hs[i].nlen, pl.hs[i].raw, pl.hs[i].rlen))
			break;
	if (++seen > ctx->lim.mime_parts) {
		mime_note(ctx, MN_PARTS, true,
			  "MIME part limit %zu reached; further parts not inspected",
			  ctx->lim.mime_parts);
	} else if (!pl.multipart) {
		fast_leaf_emit(ctx, &pl.leaves[0], -1);
	} else {
		int group = pl.alternative ? ctx->next_group++ : -1;

		for (size_t i = 0; i < pl.nleaves; i++) {
			if (++seen > ctx->lim.mime_parts) {
				mime_note(ctx, MN_PARTS, true,
					  "MIME part limit %zu reached; further parts not inspected",
					  ctx->lim.mime_parts);
				break;
			}
			if (ctx->lim.mime_depth < 1) {
				mime_note(ctx, MN_DEPTH, true,
					  "MIME depth limit %zu reached; deeper parts not inspected",
					  ctx->lim.mime_depth);
				continue;
			}
			fast_leaf_emit(ctx, &pl.leaves[i], group);
		}
	}
	fast_plan_free(&pl);
	return true;
}

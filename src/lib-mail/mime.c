/*
 * mime - reads one raw message through GMime into struct hd_message: decoded
 * headers, thread ids, and the UTF-8 text of every text/plain and text/html
 * part that is not an attachment, with the sender's own new words split off
 * (quote.c, html.c). It walks the MIME tree with an explicit stack, counts
 * parts, depth, headers and text bytes against struct hd_limits, and records a
 * note for every limit hit or repair. It must never fail on any input, never
 * recurse on message structure, and never keep global mutable state beyond
 * the one-time GMime initialisation.
 *
 * Forwarded messages (message/rfc822 parts) are included in the part list and
 * in hd_message_text(), because a customer forwarding "the site is down" mail
 * is still telling support about an outage; their agent_text is empty because
 * they are never the sender's own words.
 */
#include <config.h>
#include "mime-int.h"
#include "html.h"
#include "quote.h"

#include <errno.h>
#include <iconv.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gmime/gmime.h>

#define HD_MIME_READ_CHUNK	65536	/* bytes per read() from a descriptor */

/* One MIME object waiting on the walk stack. */
struct mime_frame {
	GMimeObject *obj;
	size_t depth;
	int group;
	bool forwarded;
};

static pthread_once_t mime_once = PTHREAD_ONCE_INIT;

/* pthread_once body. */
static void mime_init_once(void)
{
	g_mime_init();
}

/* Initialise GMime once for the process. */
void hd_mime_init(void)
{
	pthread_once(&mime_once, mime_init_once);
}

/* Bytes of a part's content after transfer decoding, malloc'd, with room
   for a NUL after them. The decoded bytes are taken from GMime's buffer,
   not copied (GLib allocates with malloc since 2.46, so free() is right). */
static char *mime_part_bytes(GMimePart *part, size_t *len_r)
{
	GMimeDataWrapper *dw = g_mime_part_get_content(part);
	GMimeStream *mem;
	GByteArray *ba;

	*len_r = 0;
	if (dw == NULL)
		return xstrdup("");
	mem = g_mime_stream_mem_new();
	g_mime_data_wrapper_write_to_stream(dw, mem);
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
	g_object_unref(mem);
	*len_r = ba->len;
	g_byte_array_append(ba, (const guint8 *)"", 1);
	return (char *)g_byte_array_free(ba, FALSE);
}

static void mime_split_part(struct hd_textpart *tp, const struct hd_quote_thread *thread);

/* Append a text part, charging its text against the text budget. */
static void mime_add_part(struct mime_ctx *ctx, const char *ctype, char *text,
			  bool html_src, const char *html, size_t html_len,
			  int group, bool forwarded)
{
	struct hd_message *m = ctx->msg;
	struct hd_textpart *tp;
	size_t len = strlen(text);

	if (len > ctx->text_left) {
		len = mime_utf8_cut(text, len, ctx->text_left);
		text[len] = '\0';
		mime_note(ctx, MN_TEXT_BYTES, true,
			  "decoded text limit of %zu bytes reached; the rest was not inspected",
			  ctx->lim.text_bytes);
	}
	ctx->text_left -= len;
	if (m->nparts == ctx->parts_cap) {
		ctx->parts_cap = ctx->parts_cap ? ctx->parts_cap * 2 : 4;
		m->parts = xrealloc(m->parts, ctx->parts_cap * sizeof(*m->parts));
	}
	tp = &m->parts[m->nparts++];
	memset(tp, 0, sizeof(*tp));
	tp->content_type = xstrdup(ctype);
	tp->text = text;
	tp->alt_group = group;
	if (forwarded) {
		tp->agent_text = xstrdup("");
		tp->agent_certain = xstrdup("");
		tp->quote_found = true;
		tp->forwarded = true;
		return;
	}
	if (html_src) {
		bool hq = false;
		tp->quote_src = hd_html_to_text(html, html_len, HD_HTML_DROP_QUOTES, len, &hq);
		tp->quote_html = hq;
	}
	mime_split_part(tp, NULL);
}

/* Split a part into the agent's words, certain and uncertain (see quote.h). */
static void mime_split_part(struct hd_textpart *tp, const struct hd_quote_thread *thread)
{
	const char *src = tp->quote_src != NULL ? tp->quote_src : tp->text;
	struct hd_quote_split sp;

	hd_quote_split(src, strlen(src), thread, &sp);
	free(tp->agent_text);
	free(tp->agent_certain);
	tp->agent_text = sp.agent;
	tp->agent_certain = sp.certain;
	tp->quote_found = tp->quote_html || sp.found;
	tp->quote_uncertain = sp.uncertain;
	tp->quote_thread = sp.thread;
}

/* Public entry: see mime.h. */
void hd_message_requote(struct hd_message *msg, const struct hd_quote_thread *thread)
{
	for (size_t i = 0; i < msg->nparts; i++)
		if (!msg->parts[i].forwarded)
			mime_split_part(&msg->parts[i], thread);
}

/* Decode one text/plain or text/html leaf from its transfer-decoded bytes
   (raw: malloc'd, len + 1 bytes, consumed) and its Content-Type parameters
   (NULL when absent). Shared by the GMime walk and mime-fast.c. */
void mime_text_bytes(struct mime_ctx *ctx, char *raw, size_t rawlen, bool html,
		     const char *charset, const char *format, const char *delsp,
		     int group, bool forwarded)
{
	char *text = mime_to_utf8(ctx, raw, rawlen, charset);
	mime_normalise_newlines(text);
	if (html) {
		size_t hlen = strlen(text);
		char *plain = hd_html_to_text(text, hlen, 0, ctx->text_left + 8, NULL);
		mime_add_part(ctx, "text/html", plain, true, text, hlen, group, forwarded);
		free(text);
		return;
	}
	if (format != NULL && strcasecmp(format, "flowed") == 0) {
		char *u = mime_unflow(text, delsp != NULL && strcasecmp(delsp, "yes") == 0);
		free(text);
		text = u;
	}
	mime_add_part(ctx, "text/plain", text, false, NULL, 0, group, forwarded);
}

/* Decode one text/plain or text/html leaf of GMime's tree. */
static void mime_text_leaf(struct mime_ctx *ctx, GMimeObject *obj, bool html, int group,
			   bool forwarded)
{
	size_t rawlen;
	char *raw = mime_part_bytes(GMIME_PART(obj), &rawlen);

	mime_text_bytes(ctx, raw, rawlen, html,
			g_mime_object_get_content_type_parameter(obj, "charset"),
			html ? NULL : g_mime_object_get_content_type_parameter(obj, "format"),
			html ? NULL : g_mime_object_get_content_type_parameter(obj, "delsp"),
			group, forwarded);
}

/* Walk the MIME tree with an explicit stack, bounded by depth and part count. */
static void mime_walk(struct mime_ctx *ctx, GMimeObject *root)
{
	struct mime_frame *stack;
	size_t n = 0, cap = 16, seen = 0;

	if (root == NULL)
		return;
	stack = xmalloc(cap * sizeof(*stack));
	stack[n++] = (struct mime_frame){ root, 0, -1, false };
	while (n > 0) {
		struct mime_frame f = stack[--n];
		if (++seen > ctx->lim.mime_parts) {
			mime_note(ctx, MN_PARTS, true,
				  "MIME part limit %zu reached; further parts not inspected",
				  ctx->lim.mime_parts);
			break;
		}
		if (f.depth > ctx->lim.mime_depth) {
			mime_note(ctx, MN_DEPTH, true,
				  "MIME depth limit %zu reached; deeper parts not inspected",
				  ctx->lim.mime_depth);
			continue;
		}
		if (GMIME_IS_MULTIPART(f.obj)) {
			GMimeMultipart *mp = GMIME_MULTIPART(f.obj);
			int count = g_mime_multipart_get_count(mp);
			int group = f.group;
			GMimeContentType *ct = g_mime_object_get_content_type(f.obj);
			if (ct != NULL && g_mime_content_type_is_type(ct, "multipart", "alternative"))
				group = ctx->next_group++;
			for (int i = count; i-- > 0;) {
				if (n == cap) {
					cap *= 2;
					stack = xrealloc(stack, cap * sizeof(*stack));
				}
				stack[n++] = (struct mime_frame){ g_mime_multipart_get_part(mp, i),
								   f.depth + 1, group, f.forwarded };
			}
			continue;
		}
		if (GMIME_IS_MESSAGE_PART(f.obj)) {
			GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(f.obj));
			GMimeObject *body = inner != NULL ? g_mime_message_get_mime_part(inner) : NULL;
			if (body != NULL) {
				if (n == cap) {
					cap *= 2;
					stack = xrealloc(stack, cap * sizeof(*stack));
				}
				stack[n++] = (struct mime_frame){ body, f.depth + 1, -1, true };
			}
			continue;
		}
		if (!GMIME_IS_PART(f.obj))
			continue;
		const char *disp = g_mime_object_get_disposition(f.obj);
		if (disp != NULL && strcasecmp(disp, "attachment") == 0)
			continue;
		GMimeContentType *ct = g_mime_object_get_content_type(f.obj);
		if (ct == NULL)
			continue;
		if (g_mime_content_type_is_type(ct, "text", "plain"))
			mime_text_leaf(ctx, f.obj, false, f.group, f.forwarded);
		else if (g_mime_content_type_is_type(ct, "text", "html"))
			mime_text_leaf(ctx, f.obj, true, f.group, f.forwarded);
	}
	free(stack);
}

/* Record GMime's structural repairs as notes (once per kind). */
static void mime_parser_warning(gint64 offset, GMimeParserWarning code, const gchar *item,
				gpointer user_data)
{
	struct mime_ctx *ctx = user_data;
	const char *what = NULL;
	bool trunc = false;

	switch (code) {
	case GMIME_WARN_MALFORMED_MULTIPART:
		what = "a multipart has no readable parts";
		break;
	case GMIME_WARN_TRUNCATED_MESSAGE:
		what = "the message is truncated (a closing MIME boundary is missing)";
		break;
	case GMIME_WARN_MALFORMED_MESSAGE:
		what = "the message is malformed";
		break;
	case GMIME_WARN_INVALID_CONTENT_TYPE:
		what = "an invalid Content-Type was read as application/octet-stream";
		break;
	case GMIME_CRIT_INVALID_HEADER_NAME:
		what = "an invalid header name was skipped";
		break;
	case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY:
		what = "a multipart lacks its boundary parameter";
		break;
	case GMIME_CRIT_NESTING_OVERFLOW:
		what = "the MIME parser's nesting limit was exceeded";
		trunc = true;
		break;
	case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT:
		what = "a MIME part has neither headers nor content";
		break;
	default:
		return;		/* cosmetic: duplicated headers, 8-bit headers, ... */
	}
	if ((unsigned)code < 32) {
		if (ctx->warnings_seen & (1u << code))
			return;
		ctx->warnings_seen |= 1u << code;
	}
	mime_note(ctx, 0, trunc, "MIME structure repaired: %s", what);
}

/* Whether c is dropped or trimmed when unfolding a header value. */
static inline bool mime_fold_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Unfold a raw header value: drop the CR and LF of folds, trim blanks.
   Trimming SP, HT, CR and LF from both ends and then dropping CR and LF
   inside is the same as dropping CR and LF first and trimming SP and HT. */
static char *mime_unfold(const char *raw, size_t len, size_t *len_r)
{
	const char *a = raw, *b = raw + len;
	char *out, *w;

	while (a < b && mime_fold_space(*a))
		a++;
	while (b > a && mime_fold_space(b[-1]))
		b--;
	out = w = xmalloc((size_t)(b - a) + 1);
	while (a < b) {
		const char *nl = memchr(a, '\n', (size_t)(b - a));
		const char *e = nl != NULL ? nl : b;

		for (const char *cr; (cr = memchr(a, '\r', (size_t)(e - a))) != NULL; a = cr + 1) {
			memcpy(w, a, (size_t)(cr - a));
			w += cr - a;
		}
		memcpy(w, a, (size_t)(e - a));
		w += e - a;
		a = nl != NULL ? nl + 1 : b;
	}
	*w = '\0';
	*len_r = (size_t)(w - out);
	return out;
}

/* Whether "=?" occurs in s[0..len) (glibc's memmem costs ten times more
   on a short value). */
static bool mime_has_encoded_word(const char *s, size_t len)
{
	const char *end = s + len;

	for (const char *p = s; (p = memchr(p, '=', (size_t)(end - p))) != NULL; p++)
		if (p + 1 < end && p[1] == '?')
			return true;
	return false;
}

/* Add one header (name and raw value as spans), applying the count and
   size limits. Returns false at the count limit. */
bool mime_add_header(struct mime_ctx *ctx, const char *name, size_t nlen,
		     const char *raw, size_t rlen)
{
	struct hd_message *m = ctx->msg;
	struct hd_header *h;
	char *value;
	size_t vlen;

	if (m->nheaders >= ctx->lim.header_count) {
		mime_note(ctx, MN_HEADER_COUNT, true,
			  "header limit %zu reached; further headers not inspected",
			  ctx->lim.header_count);
		return false;
	}
	value = mime_unfold(raw, rlen, &vlen);
	if (vlen > ctx->lim.header_bytes) {
		vlen = mime_utf8_cut(value, vlen, ctx->lim.header_bytes);
		value[vlen] = '\0';
		mime_note(ctx, MN_HEADER_BYTES, true,
			  "header value longer than %zu bytes truncated", ctx->lim.header_bytes);
	}
	if ((m->nheaders & (m->nheaders - 1)) == 0)	/* grow at powers of two */
		m->headers = xrealloc(m->headers, (m->nheaders ? m->nheaders * 2 : 1) * sizeof(*h));
	h = &m->headers[m->nheaders++];
	h->name = xstrndup(name, nlen);
	h->value = value;
	bool bad;
	if (mime_is_ascii(value, vlen) && !mime_has_encoded_word(value, vlen)) {
		/* no encoded word: GMime's decoding (loose mode) gives the value
		   back unchanged (checked on 200,000 random ASCII values) */
		h->decoded = xstrndup(value, vlen);
	} else {
		gchar *dec = g_mime_utils_header_decode_text(ctx->opts, value);
		h->decoded = mime_make_valid(dec != NULL ? dec : "", dec != NULL ? strlen(dec) : 0,
					     &bad);
		g_free(dec);
	}
	size_t dlen = strlen(h->decoded);
	if (dlen > ctx->lim.header_bytes)
		h->decoded[mime_utf8_cut(h->decoded, dlen, ctx->lim.header_bytes)] = '\0';
	return true;
}

/* A header with its place in the message, for putting the lists back in order. */
struct mime_hdr_ref {
	GMimeHeader *h;
	gint64 offset;
	size_t seq;
};

/* qsort order: position in the message, then list order. */
static int mime_hdr_cmp(const void *a, const void *b)
{
	const struct mime_hdr_ref *x = a, *y = b;

	if (x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Collect the top-level headers in message order: of the top object and,
   when it is a message whose Content-* headers GMime keeps on its body
   part, of that part too (NULL: none). */
static void mime_headers(struct mime_ctx *ctx, GMimeObject *top, GMimeObject *body)
{
	GMimeHeaderList *lists[2];
	struct mime_hdr_ref *refs;
	size_t n = 0, total = 0;

	lists[0] = g_mime_object_get_header_list(top);
	lists[1] = body != NULL ? g_mime_object_get_header_list(body) : NULL;
	for (int l = 0; l < 2; l++)
		if (lists[l] != NULL)
			total += (size_t)g_mime_header_list_get_count(lists[l]);
	refs = xcalloc(total ? total : 1, sizeof(*refs));
	for (int l = 0; l < 2; l++) {
		int count = lists[l] != NULL ? g_mime_header_list_get_count(lists[l]) : 0;
		for (int i = 0; i < count && n < total; i++) {
			GMimeHeader *h = g_mime_header_list_get_header_at(lists[l], i);
			if (h == NULL || g_mime_header_get_name(h) == NULL)
				continue;
			refs[n].h = h;
			refs[n].offset = g_mime_header_get_offset(h);
			refs[n].seq = n;
			n++;
		}
	}
	qsort(refs, n, sizeof(*refs), mime_hdr_cmp);
	for (size_t i = 0; i < n; i++) {
		const char *name = g_mime_header_get_name(refs[i].h);
		const char *raw = g_mime_header_get_raw_value(refs[i].h);
		if (raw == NULL)
			raw = "";
		if (!mime_add_header(ctx, name, strlen(name), raw, strlen(raw)))
			break;
	}
	free(refs);
}

/* Headers straight from the bytes when GMime produced no message. */
static void mime_fallback(struct mime_ctx *ctx, const char *data, size_t len)
{
	struct strbuf name, val;
	const char *p = data, *end = data + len;
	bool have = false;

	sb_init(&name);
	sb_init(&val);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl != NULL ? nl : end;
		size_t l = (size_t)(e - p);
		if (l > 0 && p[l - 1] == '\r')
			l--;
		if (l == 0) {		/* end of the header block */
			p = nl != NULL ? nl + 1 : end;
			break;
		}
		if ((*p == ' ' || *p == '\t') && have) {
			sb_putc(&val, ' ');
			sb_append(&val, p, l);
		} else {
			if (have && !mime_add_header(ctx, name.s, strlen(name.s), val.s, strlen(val.s)))
				have = false;
			const char *colon = memchr(p, ':', l);
			sb_truncate(&name, 0);
			sb_truncate(&val, 0);
			have = colon != NULL && colon > p;
			if (have) {
				sb_append(&name, p, (size_t)(colon - p));
				sb_append(&val, colon + 1, l - (size_t)(colon + 1 - p));
			}
		}
		p = nl != NULL ? nl + 1 : end;
	}
	if (have)
		mime_add_header(ctx, name.s, strlen(name.s), val.s, strlen(val.s));
	sb_free(&name);
	sb_free(&val);
	if (p < end) {
		char *body = xmalloc((size_t)(end - p) + 1);
		memcpy(body, p, (size_t)(end - p));
		body[end - p] = '\0';
		char *text = mime_to_utf8(ctx, body, (size_t)(end - p), NULL);
		mime_normalise_newlines(text);
		mime_add_part(ctx, "text/plain", text, false, NULL, 0, -1, false);
	}
}

/* Strip <> and blanks from an id GMime could not parse. */
static char *mime_bare_id(const char *v)
{
	while (*v == ' ' || *v == '\t' || *v == '<')
		v++;
	size_t l = strlen(v);
	while (l > 0 && (v[l - 1] == ' ' || v[l - 1] == '\t' || v[l - 1] == '>'))
		l--;
	return l > 0 ? xstrndup(v, l) : NULL;
}

/* Subject, From and the thread ids from the kept headers. */
static void mime_thread_fields(struct mime_ctx *ctx)
{
	struct hd_message *m = ctx->msg;
	const struct hd_header *h;

	h = hd_message_header(m, "Subject");
	m->subject = xstrdup(h != NULL ? h->decoded : "");
	h = hd_message_header(m, "From");
	m->from = xstrdup(h != NULL ? h->decoded : "");
	h = hd_message_header(m, "Message-ID");
	if (h != NULL) {
		char *id = g_mime_utils_decode_message_id(h->value);
		m->message_id = id != NULL && *id != '\0' ? xstrdup(id) : mime_bare_id(h->value);
		g_free(id);
	}
	h = hd_message_header(m, "In-Reply-To");
	if (h != NULL) {
		GMimeReferences *r = g_mime_references_parse(ctx->opts, h->value);
		if (r != NULL && g_mime_references_length(r) > 0)
			m->in_reply_to = xstrdup(g_mime_references_get_message_id(r, 0));
		else
			m->in_reply_to = mime_bare_id(h->value);
		if (r != NULL)
			g_mime_references_free(r);
	}
	h = hd_message_header(m, "References");
	if (h != NULL) {
		GMimeReferences *r = g_mime_references_parse(ctx->opts, h->value);
		if (r != NULL) {
			for (int i = 0; i < g_mime_references_length(r); i++)
				sv_push(&m->references, g_mime_references_get_message_id(r, i));
			g_mime_references_free(r);
		}
	}
}

/* Parse a message; fast: try mime-fast.c before GMime. */
static struct hd_message *mime_parse(const char *data, size_t len, const struct hd_limits *lim,
				     bool fast)
{
	struct hd_message *m = xcalloc(1, sizeof(*m));
	struct mime_ctx ctx;
	char *hcut = NULL;	/* data without the headers past the limit */

	hd_mime_init();
	memset(&ctx, 0, sizeof(ctx));
	ctx.msg = m;
	if (lim != NULL)
		ctx.lim = *lim;
	else
		hd_limits_init(&ctx.lim);
	ctx.text_left = ctx.lim.text_bytes;
	sv_init(&m->references);
	sv_init(&m->notes);
	sv_init(&ctx.charsets_noted);
	if (data == NULL)
		len = 0;
	if (len > ctx.lim.message_bytes) {
		mime_note(&ctx, MN_MESSAGE_BYTES, true,
			  "message larger than %zu bytes; only the first %zu bytes inspected",
			  ctx.lim.message_bytes, ctx.lim.message_bytes);
		len = ctx.lim.message_bytes;
	}
	/* an mbox "From " line is not a header */
	if (len >= 5 && memcmp(data, "From ", 5) == 0) {
		const char *nl = memchr(data, '\n', len);
		size_t skip = nl != NULL ? (size_t)(nl + 1 - data) : len;
		data += skip;
		len -= skip;
	}
	if (len == 0)
		mime_note(&ctx, MN_EMPTY, false, "the message is empty");
	/* Bound the headers and parts before GMime builds them (mime-cut.c). */
	if (len > 0) {
		size_t cut;

		hcut = hd_mime_headers_cut(data, len, ctx.lim.header_count, &cut);
		if (hcut != NULL) {
			mime_note(&ctx, MN_HEADER_COUNT, true,
				  "header limit %zu reached; further headers not inspected",
				  ctx.lim.header_count);
			data = hcut;
			len = cut;
		}
		cut = hd_mime_parts_cut(data, len, ctx.lim.mime_parts);

		if (cut < len) {
			mime_note(&ctx, MN_PARTS, true,
				  "MIME part limit %zu reached; further parts not inspected",
				  ctx.lim.mime_parts);
			len = cut;
		}
	}

	ctx.opts = g_mime_parser_options_new();
	g_mime_parser_options_set_rfc2047_compliance_mode(ctx.opts, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_parameter_compliance_mode(ctx.opts, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_warning_callback(ctx.opts, mime_parser_warning, &ctx);

	GMimeObject *gm = NULL;
	GByteArray *borrowed = NULL;
	if (len > 0 && fast && mime_fast_parse(&ctx, data, len)) {
		len = 0;	/* read: no GMime, no fallback */
	} else if (len > 0) {
		/* GMime reads the caller's bytes in place: the array borrows
		   them (the stream does not own it, nothing writes to it) and
		   gives them back below, once GMime's objects, whose parts
		   read from this stream, are gone. */
		GMimeStream *stream;
		if (len <= G_MAXUINT) {
			borrowed = g_byte_array_new_take((guint8 *)data, len);
			stream = g_mime_stream_mem_new_with_byte_array(borrowed);
			g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(stream), FALSE);
		} else {
			stream = g_mime_stream_mem_new_with_buffer(data, len);
		}
		GMimeParser *parser = g_mime_parser_new_with_stream(stream);
		g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
		/* The top level is read as a MIME part, not as a message: its
		   headers are the same, but GMime then does not parse every
		   address and date header into objects nobody reads here (a
		   third of GMime's time on a small message). */
		gm = g_mime_parser_construct_part(parser, ctx.opts);
		g_object_unref(parser);
		g_object_unref(stream);
	}
	if (gm != NULL) {
		mime_headers(&ctx, gm, NULL);
		mime_walk(&ctx, gm);
		g_object_unref(gm);
	}
	if (borrowed != NULL)
		(void)g_byte_array_free(borrowed, FALSE);	/* the bytes stay the caller's */
	if (gm == NULL && len > 0) {
		mime_note(&ctx, MN_FALLBACK, false,
			  "no MIME message could be read; headers were read directly");
		mime_fallback(&ctx, data, len);
	}
	mime_thread_fields(&ctx);
	g_mime_parser_options_free(ctx.opts);
	sv_free(&ctx.charsets_noted);
	free(hcut);
	return m;
}

/* Public entry: see mime.h. */
struct hd_message *hd_message_parse(const char *data, size_t len, const struct hd_limits *lim)
{
	return mime_parse(data, len, lim, true);
}

/* Public entry: see mime.h. */
struct hd_message *hd_message_parse_gmime(const char *data, size_t len,
					  const struct hd_limits *lim)
{
	return mime_parse(data, len, lim, false);
}

/* Public entry: see mime.h. A regular file is mapped and parsed in place
   (no copy of a spooled message on the heap); anything else is read from
   offset 0, or sequentially when the descriptor cannot seek (a pipe). */
struct hd_message *hd_message_parse_fd(int fd, const struct hd_limits *lim)
{
	struct hd_limits l;
	struct strbuf sb;
	struct stat st;
	size_t want;
	bool seekable = true, failed = false;
	int err = 0;

	if (lim != NULL)
		l = *lim;
	else
		hd_limits_init(&l);
	want = l.message_bytes + 1;	/* one more byte tells that it was larger */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    (uintmax_t)st.st_size <= SIZE_MAX) {
		size_t maplen = (size_t)st.st_size < want ? (size_t)st.st_size : want;
		void *map = mmap(NULL, maplen, PROT_READ, MAP_PRIVATE, fd, 0);

		if (map != MAP_FAILED) {
			(void)madvise(map, maplen, MADV_SEQUENTIAL);
			struct hd_message *m = hd_message_parse(map, maplen, &l);
			munmap(map, maplen);
			return m;
		}
	}
	sb_init(&sb);
	while (sb.len < want) {
		char buf[HD_MIME_READ_CHUNK];
		size_t chunk = want - sb.len < sizeof(buf) ? want - sb.len : sizeof(buf);
		ssize_t r;
		if (seekable) {
			r = pread(fd, buf, chunk, (off_t)sb.len);
			if (r < 0 && errno == ESPIPE && sb.len == 0) {
				seekable = false;
				continue;
			}
		} else {
			r = read(fd, buf, chunk);
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			failed = true;
			err = errno;
			break;
		}
		if (r == 0)
			break;
		sb_append(&sb, buf, (size_t)r);
	}
	struct hd_message *m = hd_message_parse(sb.s, sb.len, &l);
	if (failed) {
		sv_push_owned(&m->notes, xasprintf("reading the message failed after %zu bytes: %s",
						   sb.len, strerror(err)));
		m->truncated = true;
	}
	sb_free(&sb);
	return m;
}

/* Free everything and set the caller's pointer to NULL. */
void hd_message_deinit(struct hd_message **msgp)
{
	struct hd_message *m = *msgp;

	if (m == NULL)
		return;
	for (size_t i = 0; i < m->nheaders; i++) {
		free(m->headers[i].name);
		free(m->headers[i].value);
		free(m->headers[i].decoded);
	}
	free(m->headers);
	for (size_t i = 0; i < m->nparts; i++) {
		free(m->parts[i].content_type);
		free(m->parts[i].text);
		free(m->parts[i].agent_text);
		free(m->parts[i].agent_certain);
		free(m->parts[i].quote_src);
	}
	free(m->parts);
	free(m->subject);
	free(m->from);
	free(m->message_id);
	free(m->in_reply_to);
	sv_free(&m->references);
	sv_free(&m->notes);
	free(m);
	*msgp = NULL;
}

/* First header with that name, case-insensitive. */
const struct hd_header *hd_message_header(const struct hd_message *msg, const char *name)
{
	for (size_t i = 0; i < msg->nheaders; i++)
		if (strcasecmp(msg->headers[i].name, name) == 0)
			return &msg->headers[i];
	return NULL;
}

/* The part that speaks for an alternative group: the first non-empty
   text/plain, else the first part of the group. */
static size_t mime_group_choice(const struct hd_message *msg, int group)
{
	size_t first = (size_t)-1;

	for (size_t i = 0; i < msg->nparts; i++) {
		if (msg->parts[i].alt_group != group)
			continue;
		if (first == (size_t)-1)
			first = i;
		if (strcmp(msg->parts[i].content_type, "text/plain") == 0 &&
		    msg->parts[i].text[0] != '\0')
			return i;
	}
	return first;
}

/* All text joined by newlines, one alternative per group. */
char *hd_message_text(const struct hd_message *msg)
{
	struct strbuf sb;

	sb_init(&sb);
	for (size_t i = 0; i < msg->nparts; i++) {
		const struct hd_textpart *p = &msg->parts[i];
		if (p->alt_group >= 0 && mime_group_choice(msg, p->alt_group) != i)
			continue;
		if (sb.len > 0)
			sb_putc(&sb, '\n');
		sb_puts(&sb, p->text);
	}
	return sb.s;
}

/* Whether two C strings (either may be NULL) differ. */
static bool mime_str_differ(const char *a, const char *b)
{
	return a == NULL || b == NULL ? a != b : strcmp(a, b) != 0;
}

/* Whether two string vectors differ. */
static bool mime_sv_differ(const struct strvec *a, const struct strvec *b)
{
	if (a->n != b->n)
		return true;
	for (size_t i = 0; i < a->n; i++)
		if (mime_str_differ(a->v[i], b->v[i]))
			return true;
	return false;
}

/* Public entry: see mime.h. */
const char *hd_message_diff(const struct hd_message *a, const struct hd_message *b)
{
	if (a->nheaders != b->nheaders)
		return "header count";
	for (size_t i = 0; i < a->nheaders; i++) {
		const struct hd_header *x = &a->headers[i], *y = &b->headers[i];
		if (mime_str_differ(x->name, y->name))
			return "header name";
		if (mime_str_differ(x->value, y->value))
			return "header value";
		if (mime_str_differ(x->decoded, y->decoded))
			return "decoded header value";
	}
	if (mime_str_differ(a->subject, b->subject) || mime_str_differ(a->from, b->from))
		return "subject or from";
	if (mime_str_differ(a->message_id, b->message_id) ||
	    mime_str_differ(a->in_reply_to, b->in_reply_to) ||
	    mime_sv_differ(&a->references, &b->references))
		return "thread ids";
	if (a->nparts != b->nparts)
		return "part count";
	for (size_t i = 0; i < a->nparts; i++) {
		const struct hd_textpart *x = &a->parts[i], *y = &b->parts[i];
		if (mime_str_differ(x->content_type, y->content_type))
			return "part content type";
		if (mime_str_differ(x->text, y->text))
			return "part text";
		if (mime_str_differ(x->agent_text, y->agent_text) ||
		    mime_str_differ(x->agent_certain, y->agent_certain) ||
		    mime_str_differ(x->quote_src, y->quote_src))
			return "part agent text";
		if (x->quote_found != y->quote_found || x->quote_uncertain != y->quote_uncertain ||
		    x->quote_html != y->quote_html || x->quote_thread != y->quote_thread ||
		    x->forwarded != y->forwarded || x->alt_group != y->alt_group)
			return "part flags";
	}
	if (mime_sv_differ(&a->notes, &b->notes))
		return "notes";
	if (a->truncated != b->truncated)
		return "truncated";
	return NULL;
}

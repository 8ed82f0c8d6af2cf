/*
 * engine-exception-lines - the control lines an agent writes in a reply
 * (`#exception ...`, SPEC s.6; `#status ...`, SPEC s.11): one rule says what such a line is, used both
 * to read it (engine-authority.c) and to remove it before delivery, so a
 * line is never removed without being read or read without being removed.
 * Lines are dropped from the raw body whole, across a quoted-printable soft
 * break, an HTML source line break or a format=flowed soft break; the result
 * is parsed again and must read exactly as the original less those lines,
 * else the reply is refused. Must never let any part of a control line
 * reach the customer.
 */
#include <config.h>
#include "engine-int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* Words that make "#word ..." at the start of a line a control line. */
static const char *const control_words[] = { "exception", "status" };

/* Tags that end a rendered HTML line: what follows is a new line. */
static const char *const control_html_breaks[] = {
	"br", "p", "div", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6",
	"blockquote", "hr", "table", "ul", "ol", "pre",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Public entry: see engine-int.h. */
const char *hd_engine_control_line(const char *p, size_t len, const char **args_r, size_t *args_len_r)
{
	const char *e = p + len;

	for (;;) {
		while (p < e && (*p == ' ' || *p == '\t' || *p == '\r'))
			p++;
		if (p < e && *p == '<') {
			const char *gt = memchr(p, '>', (size_t)(e - p));
			if (gt == NULL)
				return NULL;
			p = gt + 1;
			continue;
		}
		break;
	}
	if (p >= e || *p != '#')
		return NULL;
	p++;
	for (size_t i = 0; i < NELEM(control_words); i++) {
		size_t wl = strlen(control_words[i]);
		if ((size_t)(e - p) < wl || strncasecmp(p, control_words[i], wl) != 0 ||
		    (p + wl < e && (isalnum((unsigned char)p[wl]) || p[wl] == '-' || p[wl] == '_')))
			continue;
		const char *a = p + wl, *ae = e;
		/* Trailing blanks and closing tags ("</b>") are not arguments. */
		for (;;) {
			while (ae > a && isspace((unsigned char)ae[-1]))
				ae--;
			if (ae > a && ae[-1] == '>') {
				const char *lt = ae - 1;
				while (lt > a && *lt != '<')
					lt--;
				if (*lt == '<') {
					ae = lt;
					continue;
				}
			}
			break;
		}
		*args_r = a;
		*args_len_r = (size_t)(ae - a);
		return control_words[i];
	}
	return NULL;
}

/* True when the line is a control line (arguments ignored). */
static bool is_control_line(const char *p, size_t len)
{
	const char *a;
	size_t al;

	return hd_engine_control_line(p, len, &a, &al) != NULL;
}

/* Text with control lines removed and every blank run made one space:
   what the customer must read once the lines are gone. */
static char *text_without_control(const char *text, bool drop)
{
	struct strbuf sb;
	bool space = false;

	sb_init(&sb);
	for (const char *l = text; l && *l;) {
		const char *eol = strchr(l, '\n');
		size_t len = eol ? (size_t)(eol - l) : strlen(l);
		if (!drop || !is_control_line(l, len))
			for (size_t i = 0; i < len; i++) {
				if (isspace((unsigned char)l[i])) {
					space = sb.len > 0;
					continue;
				}
				if (space)
					sb_putc(&sb, ' ');
				space = false;
				sb_putc(&sb, l[i]);
			}
		space = sb.len > 0;
		l = eol ? eol + 1 : NULL;
	}
	if (sb.s == NULL)
		sb_puts(&sb, "");
	return sb_steal(&sb);
}

/* True when every part of got reads as the same part of orig less its
   control lines (nothing of them left, nothing else lost). */
static bool message_reads_stripped(const struct hd_message *orig, const struct hd_message *got)
{
	if (orig->nparts != got->nparts)
		return false;
	for (size_t pi = 0; pi < orig->nparts; pi++) {
		char *want = text_without_control(orig->parts[pi].text, true);
		char *have = text_without_control(got->parts[pi].text, false);
		bool same = strcmp(want, have) == 0;
		free(want);
		free(have);
		if (!same)
			return false;
	}
	return true;
}

/* Read the whole raw message the engine was given (memory or spool file). */
static char *raw_message(const struct hd_engine_input *in, size_t *len_r)
{
	struct strbuf sb;
	char buf[65536];
	off_t off = 0;
	ssize_t n;

	if (in->data) {
		*len_r = in->len;
		return xstrndup(in->data, in->len);
	}
	sb_init(&sb);
	while (sb.len < in->len &&
	       (n = pread(in->fd, buf, sizeof(buf) < in->len - sb.len ? sizeof(buf) : in->len - sb.len, off)) > 0) {
		sb_append(&sb, buf, (size_t)n);
		off += n;
	}
	*len_r = sb.len;
	return sb_steal(&sb);
}

/* How the raw lines being walked are encoded, from the last part headers. */
struct raw_ctx {
	bool html, flowed, qp;
};

/* Update the context from one (unfolded) part header. */
static void raw_ctx_line(struct raw_ctx *c, const char *s, size_t len)
{
	char *l = xstrndup(s, len);

	str_lower(l);
	if (strncmp(l, "content-type:", 13) == 0) {
		c->html = strstr(l, "text/html") != NULL;
		c->flowed = strstr(l, "format=flowed") != NULL || strstr(l, "format=\"flowed\"") != NULL;
	} else if (strncmp(l, "content-transfer-encoding:", 26) == 0) {
		c->qp = strstr(l, "quoted-printable") != NULL;
	}
	free(l);
}

/* Offset in s of the first tag that ends a rendered HTML line, or len. */
static size_t html_line_end(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] != '<')
			continue;
		size_t k = i + 1 + (i + 1 < len && s[i + 1] == '/');
		for (size_t t = 0; t < NELEM(control_html_breaks); t++) {
			size_t tl = strlen(control_html_breaks[t]);
			if (k + tl <= len && strncasecmp(s + k, control_html_breaks[t], tl) == 0 &&
			    (k + tl == len || !isalnum((unsigned char)s[k + tl])))
				return i;
		}
	}
	return len;
}

/* One raw line: [off, end) with the text [off, off + tl) before CR/LF. */
struct raw_line {
	size_t off, end, tl;
};

/* The raw line starting at i. */
static struct raw_line raw_line_at(const char *raw, size_t len, size_t i)
{
	const char *nl = memchr(raw + i, '\n', len - i);
	struct raw_line l = { i, nl ? (size_t)(nl - raw) + 1 : len, 0 };

	l.tl = l.end - i;
	while (l.tl > 0 && (raw[i + l.tl - 1] == '\n' || raw[i + l.tl - 1] == '\r'))
		l.tl--;
	return l;
}

/* Does the raw line go on in the next one (a soft break of its encoding)? */
static bool raw_line_continues(const struct raw_ctx *c, const char *raw, const struct raw_line *l)
{
	if (l->tl == 0)
		return false;
	if (c->qp && raw[l->off + l->tl - 1] == '=')
		return true;
	return c->flowed && raw[l->off + l->tl - 1] == ' ' && !(l->tl == 3 && memcmp(raw + l->off, "-- ", 3) == 0);
}

/* The context set by the header block [i, end) up to its blank line;
   *body_r is where the block's body starts. */
static struct raw_ctx raw_headers_ctx(const char *raw, size_t end, size_t i, size_t *body_r)
{
	struct raw_ctx c = { false, false, false };

	while (i < end) {
		struct raw_line l = raw_line_at(raw, end, i);
		struct strbuf h;
		if (l.tl == 0) {
			i = l.end;
			break;
		}
		sb_init(&h);
		sb_append(&h, raw + i, l.tl);
		for (i = l.end; i < end && (raw[i] == ' ' || raw[i] == '\t');) {	/* folded */
			struct raw_line f = raw_line_at(raw, end, i);
			sb_append(&h, raw + i, f.tl);
			i = f.end;
		}
		raw_ctx_line(&c, h.s, h.len);
		sb_free(&h);
	}
	*body_r = i;
	return c;
}

/* Is the raw line at l a MIME boundary: "--x" followed by headers? */
static bool raw_is_boundary(const char *raw, size_t len, const struct raw_line *l)
{
	struct raw_line n;
	size_t k = 0;

	if (l->tl < 3 || raw[l->off] != '-' || raw[l->off + 1] != '-' || isspace((unsigned char)raw[l->off + 2]))
		return false;
	if (l->end >= len)
		return true;
	n = raw_line_at(raw, len, l->end);
	while (k < n.tl && (isalnum((unsigned char)raw[n.off + k]) || raw[n.off + k] == '-'))
		k++;
	return n.tl == 0 || (k > 0 && k < n.tl && raw[n.off + k] == ':');
}

/* Drop the control line starting at raw line l whole: its soft-broken
   continuations and, in HTML, the source lines up to the tag that ends the
   rendered line (that tag and what follows are kept). Returns where the
   walk goes on; *soft_r says that place continues a soft-broken line. */
static size_t strip_one(const char *raw, size_t len, const struct raw_ctx *ctx, struct raw_line l,
			struct strbuf *out, bool *soft_r)
{
	const char *args;
	size_t args_len, from;

	(void)hd_engine_control_line(raw + l.off, l.tl, &args, &args_len);
	from = (size_t)(args - (raw + l.off));
	*soft_r = false;
	for (;;) {
		bool soft = raw_line_continues(ctx, raw, &l);
		if (ctx->html) {
			size_t cut = from + html_line_end(raw + l.off + from, l.tl - from);
			if (cut < l.tl) {
				sb_append(out, raw + l.off + cut, l.end - l.off - cut);
				*soft_r = soft;
				return l.end;
			}
		}
		if (l.end >= len)
			return len;
		struct raw_line next = raw_line_at(raw, len, l.end);
		if (!soft && !(ctx->html && next.tl > 0 && !raw_is_boundary(raw, len, &next)))
			return next.off;
		l = next;
		from = 0;
	}
}

/* Copy the body with every control line dropped whole. */
static void strip_body(const char *raw, size_t len, size_t body_off, struct raw_ctx ctx, struct strbuf *out)
{
	bool prev_soft = false;

	for (size_t i = body_off; i < len;) {
		struct raw_line l = raw_line_at(raw, len, i);
		if (!prev_soft && raw_is_boundary(raw, len, &l)) {
			size_t body;
			ctx = raw_headers_ctx(raw, len, l.end, &body);
			sb_append(out, raw + i, body - i);
			i = body;
			continue;
		}
		if (prev_soft || !is_control_line(raw + i, l.tl)) {
			prev_soft = raw_line_continues(&ctx, raw, &l);
			sb_append(out, raw + i, l.end - i);
			i = l.end;
			continue;
		}
		i = strip_one(raw, len, &ctx, l, out, &prev_soft);
	}
}

/* The top-level headers set the context of a single-part body. */
static struct raw_ctx raw_top_ctx(const char *raw, size_t body_off)
{
	size_t body;

	return raw_headers_ctx(raw, body_off, 0, &body);
}

/* Refuse the reply: the lines cannot be removed safely. */
static void strip_refuse(struct run *r, const char *why)
{
	hd_engine_finding_add(r, "exception", "request-line", why, HD_ACTION_REJECT)->suggest =
		xstrdup("use the X-Helpdesk-Exception-Request header instead");
}

/* Remove control lines from the body before delivery (SPEC s.6: the
   customer never sees them), or refuse the reply when the re-read message
   does not read exactly as the original less those lines. */
void hd_engine_strip_exception_lines(struct run *r)
{
	bool any = false;
	size_t len, body_off = 0;
	char *raw;
	struct strbuf out;
	struct hd_message *check = NULL;

	for (size_t pi = 0; pi < r->msg->nparts && !any; pi++)
		for (const char *l = r->msg->parts[pi].text; l && *l && !any;) {
			const char *eol = strchr(l, '\n');
			any = is_control_line(l, eol ? (size_t)(eol - l) : strlen(l));
			l = eol ? eol + 1 : NULL;
		}
	if (!any)
		return;
	if (r->in->truncated) {
		strip_refuse(r, "an #exception line cannot be removed from a message larger than limits.message_bytes");
		return;
	}
	raw = raw_message(r->in, &len);
	for (size_t i = 0; i + 1 < len; i++)
		if (raw[i] == '\n' && (raw[i + 1] == '\n' || (raw[i + 1] == '\r' && i + 2 < len && raw[i + 2] == '\n'))) {
			body_off = i + (raw[i + 1] == '\n' ? 2 : 3);
			break;
		}
	sb_init(&out);
	if (body_off > 0) {
		struct strbuf whole;
		strip_body(raw, len, body_off, raw_top_ctx(raw, body_off), &out);
		sb_init(&whole);
		sb_append(&whole, raw, body_off);
		sb_append(&whole, out.s ? out.s : "", out.len);
		check = hd_message_parse(whole.s, whole.len, r->e->limits);
		sb_free(&whole);
	}
	if (check == NULL || !message_reads_stripped(r->msg, check)) {
		strip_refuse(r, "an #exception line could not be removed whole (it is inside an encoded part or "
				"shares a line with other text)");
		sb_free(&out);
	} else {
		r->v->body_len = out.len;
		r->v->body = sb_steal(&out);
		sb_free(&out);
	}
	if (check != NULL)
		hd_message_deinit(&check);
	free(raw);
}

/*
 * engine-exception-lines - removes agent request lines (#exception, SPEC
 * s.6, and #status, SPEC s.11) from an outbound body before delivery: the
 * customer never sees them. Lines are
 * dropped from the raw body; the result is parsed again and, if a line
 * still shows (an encoded part, a QP soft break), the reply is refused.
 * Must never let a request line reach the customer.
 */
#include <config.h>
#include "engine-int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* Request keywords whose lines never reach the customer. */
static const char *const REQUEST_WORDS[] = { "#exception", "#status", NULL };

/* True when a line (after blanks and leading HTML tags) is a request line. */
static bool is_exception_line(const char *p, size_t len)
{
	const char *e = p + len;
	size_t kl;

	for (;;) {
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		if (p < e && *p == '<') {
			const char *gt = memchr(p, '>', (size_t)(e - p));
			if (gt == NULL)
				return false;
			p = gt + 1;
			continue;
		}
		break;
	}
	for (size_t i = 0; REQUEST_WORDS[i] != NULL; i++) {
		kl = strlen(REQUEST_WORDS[i]);
		if ((size_t)(e - p) >= kl && strncasecmp(p, REQUEST_WORDS[i], kl) == 0 &&
		    ((size_t)(e - p) == kl || !isalnum((unsigned char)p[kl])))
			return true;
	}
	return false;
}

/* True when any text part still shows an #exception line to the reader. */
static bool message_shows_exception(const struct hd_message *m)
{
	for (size_t pi = 0; pi < m->nparts; pi++)
		for (const char *l = m->parts[pi].text; l && *l;) {
			const char *eol = strchr(l, '\n');
			size_t len = eol ? (size_t)(eol - l) : strlen(l);
			if (is_exception_line(l, len))
				return true;
			l = eol ? eol + 1 : NULL;
		}
	return false;
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

/* Remove #exception lines from the body before delivery (SPEC s.6: the
   customer never sees them). Lines are dropped from the raw body, which
   covers 7bit, 8bit and quoted-printable text and HTML; if the re-read
   message still shows one (a base64 part, a QP soft break), the reply is
   refused instead, so a request line can never reach the customer. */
void hd_engine_strip_exception_lines(struct run *r)
{
	bool any = false;
	size_t len, body_off = 0;
	char *raw;
	struct strbuf out;
	struct hd_message *check;

	for (size_t pi = 0; pi < r->msg->nparts && !any; pi++)
		for (const char *l = r->msg->parts[pi].text; l && *l && !any;) {
			const char *eol = strchr(l, '\n');
			any = is_exception_line(l, eol ? (size_t)(eol - l) : strlen(l));
			l = eol ? eol + 1 : NULL;
		}
	if (!any)
		return;
	if (r->in->truncated) {
		hd_engine_finding_add(r, "exception", "request-line",
			"an #exception line cannot be removed from a message larger than limits.message_bytes",
			HD_ACTION_REJECT)->suggest = xstrdup("use the X-Helpdesk-Exception-Request header instead");
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
		bool soft_break = false;
		for (size_t i = body_off; i < len;) {
			const char *nl = memchr(raw + i, '\n', len - i);
			size_t end = nl ? (size_t)(nl - raw) + 1 : len;
			size_t tl = end - i;
			while (tl > 0 && (raw[i + tl - 1] == '\n' || raw[i + tl - 1] == '\r'))
				tl--;
			if (soft_break || !is_exception_line(raw + i, tl))
				sb_append(&out, raw + i, end - i);
			soft_break = tl > 0 && raw[i + tl - 1] == '=';
			i = end;
		}
	}
	/* Check what the customer would see. */
	{
		struct strbuf whole;
		sb_init(&whole);
		sb_append(&whole, raw, body_off);
		sb_append(&whole, out.s ? out.s : "", out.len);
		check = hd_message_parse(whole.s, whole.len, r->e->limits);
		sb_free(&whole);
	}
	if (body_off == 0 || message_shows_exception(check)) {
		hd_engine_finding_add(r, "exception", "request-line",
			"an #exception line could not be removed (it is inside an encoded part)",
			HD_ACTION_REJECT)->suggest = xstrdup("use the X-Helpdesk-Exception-Request header instead");
		sb_free(&out);
	} else {
		r->v->body_len = out.len;
		r->v->body = sb_steal(&out);
		sb_free(&out);
	}
	hd_message_deinit(&check);
	free(raw);
}

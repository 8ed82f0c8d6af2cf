/*
 * html - a tolerant HTML to plain-text state machine for phrase matching.
 * Inline tags add nothing (so "ca<b>lm</b> down" reads "calm down"), block
 * tags add a line break, entities become UTF-8, script/style/title content is
 * dropped. With HD_HTML_DROP_QUOTES it also drops quoted history (Gmail,
 * Thunderbird/Apple, Yahoo, Outlook). It must never fail, never read past
 * len, never write more than max_out bytes, and never nest without bound.
 */
#include <config.h>
#include "html.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HD_HTML_TAGNAME_MAX	16	/* bytes of a tag name kept */
#define HD_HTML_ATTRNAME_MAX	16	/* bytes of an attribute name kept */
#define HD_HTML_ATTR_MAX	512	/* bytes of an attribute value kept */
#define HD_HTML_NEST_MAX	256	/* nesting depth counted inside a dropped quote */
#define HD_HTML_ENTITY_MAX	32	/* bytes of an entity name */
#define HD_HTML_LOOKAHEAD	4096	/* raw bytes examined after an Outlook separator */
#define HD_HTML_SEP_WORD_MAX	64	/* text bytes checked for a "From:" after it */
#define HD_HTML_SEP_CHECKS_MAX	32	/* separator look-aheads per document */

/* One parsed tag: only the attributes the converter looks at are kept. */
struct html_tag {
	char name[HD_HTML_TAGNAME_MAX + 1];
	bool end;		/* </name> */
	bool self_closing;	/* <name/> */
	char cls[HD_HTML_ATTR_MAX + 1];
	char id[HD_HTML_ATTR_MAX + 1];
	char type[HD_HTML_ATTR_MAX + 1];
	char style[HD_HTML_ATTR_MAX + 1];
};

/* States of the attribute scanner inside a tag. */
enum html_attr_state {
	HA_BEFORE_NAME,
	HA_NAME,
	HA_AFTER_NAME,
	HA_BEFORE_VALUE,
	HA_VALUE_DQ,
	HA_VALUE_SQ,
	HA_VALUE_UNQ,
};

/* Output state: collapses white space and line breaks, honours max_out. */
struct html_out {
	struct strbuf sb;
	size_t max_out;
	bool full;		/* max_out reached: stop */
	bool space;		/* a space is pending before the next visible byte */
	int pre;		/* inside <pre>: keep white space */
};

/* The converter's state over one document. */
struct html_conv {
	const char *p, *end;
	int flags;
	struct html_out out;
	bool quote_found;
	/* dropping a quoted element: its tag name and the open depth */
	char drop_name[HD_HTML_TAGNAME_MAX + 1];
	int drop_depth;
	bool stop;		/* everything that follows is quoted history */
	int sep_checks;		/* look-aheads done, bounded so that the work stays linear */
};

/* Tags that end a line of text; sorted (strcmp), searched by halves. */
static const char *const html_block_tags[] = {
	"address", "article", "aside", "blockquote", "body", "br", "caption",
	"center", "dd", "div", "dl", "dt", "fieldset", "figcaption", "figure",
	"footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "head", "header",
	"hr", "html", "li", "main", "nav", "ol", "option", "p", "pre", "section",
	"table", "tbody", "tfoot", "thead", "tr", "ul",
};

/* Tags whose content is never text for a reader. */
static const char *const html_raw_tags[] = { "script", "style", "template", "title" }; /* sorted */

/* The WHATWG named character references; the legacy ones may appear
   without ';'. Generated (see gen-html-entities.py), sorted by name. */
struct html_entity {
	const char *name;
	uint32_t cp, cp2;	/* cp2: a second code point, or 0 */
	bool legacy;
};
static const struct html_entity html_entities[] = {
#include "html-entities.inc"
};

/* HTML5: numeric references 0x80-0x9f mean their windows-1252 characters. */
static const uint16_t html_cp1252[32] = {
	0x20ac, 0xfffd, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0xfffd, 0x017d, 0xfffd,
	0xfffd, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0xfffd, 0x017e, 0x0178,
};

/* ASCII letter test that ignores the locale. */
static bool html_is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* ASCII white space as HTML defines it. */
static bool html_is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* True when name is in the list (sorted by strcmp): a search by halves,
   since most tags (a, b, span, font, ...) are in no list and a scan of the
   41 block tags cost 41 strcmp calls per tag. */
static bool html_in_list(const char *name, const char *const *list, size_t n)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = strcmp(name, list[mid]);

		if (r == 0)
			return true;
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return false;
}

/* Length of the UTF-8 sequence a lead byte announces (1 for stray bytes). */
static size_t html_utf8_seqlen(unsigned char b)
{
	if (b >= 0xf0 && b < 0xf8)
		return 4;
	if (b >= 0xe0)
		return b < 0xf0 ? 3 : 1;
	if (b >= 0xc0)
		return 2;
	return 1;
}

/* Drop an incomplete UTF-8 sequence left at the end by the max_out cut. */
static void html_out_trim_utf8(struct html_out *o)
{
	size_t l = o->sb.len, back = 0;

	while (l > 0 && back < 4 && ((unsigned char)o->sb.s[l - 1] & 0xc0) == 0x80) {
		l--;
		back++;
	}
	if (l == 0)
		return;
	size_t need = html_utf8_seqlen((unsigned char)o->sb.s[l - 1]);
	if (need > 1 && back + 1 < need)
		sb_truncate(&o->sb, l - 1);
}

/* Append bytes unless that would pass max_out; then stop for good. */
static void html_out_raw(struct html_out *o, const char *s, size_t n)
{
	if (o->full)
		return;
	if (o->sb.len + n > o->max_out) {
		sb_append(&o->sb, s, o->max_out - o->sb.len);
		html_out_trim_utf8(o);
		o->full = true;
		return;
	}
	sb_append(&o->sb, s, n);
}

/* True when nothing or only a line break was written last. */
static bool html_out_at_line_start(const struct html_out *o)
{
	return o->sb.len == 0 || o->sb.s[o->sb.len - 1] == '\n';
}

/* Visible bytes: write the pending space first. */
static void html_out_text(struct html_out *o, const char *s, size_t n)
{
	if (o->space && !html_out_at_line_start(o))
		html_out_raw(o, " ", 1);
	o->space = false;
	html_out_raw(o, s, n);
}

/* A white-space byte of the document. */
static void html_out_space(struct html_out *o, unsigned char c)
{
	if (o->pre > 0) {
		if (c == '\r')
			return;
		o->space = false;
		html_out_raw(o, c == '\n' ? "\n" : " ", 1);
		return;
	}
	o->space = true;
}

/* A line break from a block tag: at most one blank line in a row. */
static void html_out_break(struct html_out *o, bool forced)
{
	size_t l = o->sb.len;

	o->space = false;
	if (l == 0)
		return;
	/* drop trailing blanks of the line */
	while (l > 0 && o->sb.s[l - 1] == ' ')
		l--;
	sb_truncate(&o->sb, l);
	if (l == 0)
		return;
	if (o->sb.s[l - 1] != '\n')
		html_out_raw(o, "\n", 1);
	else if (forced && !(l >= 2 && o->sb.s[l - 2] == '\n'))
		html_out_raw(o, "\n", 1);
}

/* Encode a code point as UTF-8 into buf; returns the length. */
static size_t html_utf8(uint32_t cp, char buf[4])
{
	if (cp < 0x80) {
		buf[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		buf[0] = (char)(0xc0 | (cp >> 6));
		buf[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		buf[0] = (char)(0xe0 | (cp >> 12));
		buf[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		buf[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	buf[0] = (char)(0xf0 | (cp >> 18));
	buf[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	buf[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	buf[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Write one decoded character: invisible ones vanish, wide spaces are spaces. */
static void html_out_codepoint(struct html_out *o, uint32_t cp)
{
	char buf[4];

	if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		cp = 0xfffd;
	if (cp >= 0x80 && cp <= 0x9f)
		cp = html_cp1252[cp - 0x80];
	switch (cp) {
	case 0xad: case 0x200b: case 0x200c: case 0x200d: case 0x200e:
	case 0x200f: case 0x2060: case 0x2061: case 0x2062: case 0x2063:
	case 0x2064: case 0xfeff:
		return;		/* invisible: must not split a word */
	case 0xa0: case 0x1680: case 0x2000: case 0x2001: case 0x2002:
	case 0x2003: case 0x2004: case 0x2005: case 0x2006: case 0x2007:
	case 0x2008: case 0x2009: case 0x200a: case 0x202f: case 0x205f:
	case 0x3000: case '\t': case ' ': case '\n': case '\r': case '\f':
		html_out_space(o, ' ');
		return;
	default:
		break;
	}
	html_out_text(o, buf, html_utf8(cp, buf));
}

/* Compare a counted name with a table entry (bytes, as the table is sorted). */
static int html_entity_cmp(const char *name, size_t len, const char *entry)
{
	int r = strncmp(name, entry, len);
	if (r != 0)
		return r;
	return entry[len] == '\0' ? 0 : -1;
}

/* Binary search of the named references; NULL when the name is not one. */
static const struct html_entity *html_entity_find(const char *name, size_t len)
{
	size_t lo = 0, hi = sizeof(html_entities) / sizeof(html_entities[0]);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = html_entity_cmp(name, len, html_entities[mid].name);
		if (r == 0)
			return &html_entities[mid];
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* Decode an entity at p (pointing at '&'); returns bytes consumed or 0. */
static size_t html_entity(struct html_conv *c, const char *p)
{
	const char *q = p + 1;
	size_t avail = (size_t)(c->end - q);

	if (avail > 0 && *q == '#') {
		uint32_t cp = 0;
		bool hex = false, any = false;
		q++;
		if (q < c->end && (*q == 'x' || *q == 'X')) {
			hex = true;
			q++;
		}
		for (; q < c->end; q++) {
			unsigned char d = (unsigned char)*q;
			int v;
			if (d >= '0' && d <= '9')
				v = d - '0';
			else if (hex && d >= 'a' && d <= 'f')
				v = d - 'a' + 10;
			else if (hex && d >= 'A' && d <= 'F')
				v = d - 'A' + 10;
			else
				break;
			any = true;
			if (cp <= 0x10ffff)
				cp = cp * (hex ? 16 : 10) + (uint32_t)v;
		}
		if (!any)
			return 0;
		if (q < c->end && *q == ';')
			q++;
		html_out_codepoint(&c->out, cp);
		return (size_t)(q - p);
	}
	char name[HD_HTML_ENTITY_MAX + 1];
	size_t n = 0;
	while (q + n < c->end && n < HD_HTML_ENTITY_MAX &&
	       (html_is_alpha((unsigned char)q[n]) || (q[n] >= '0' && q[n] <= '9'))) {
		name[n] = q[n];
		n++;
	}
	name[n] = '\0';
	if (n == 0)
		return 0;
	bool semi = q + n < c->end && q[n] == ';';
	const struct html_entity *e = html_entity_find(name, n);
	if (e != NULL && (semi || e->legacy)) {
		html_out_codepoint(&c->out, e->cp);
		if (e->cp2 != 0)
			html_out_codepoint(&c->out, e->cp2);
		return 1 + n + (semi ? 1 : 0);
	}
	/* "&notit": the longest legacy name that starts it, as browsers read text */
	for (size_t k = n; k-- > 1;) {
		e = html_entity_find(name, k);
		if (e != NULL && e->legacy) {
			html_out_codepoint(&c->out, e->cp);
			return 1 + k;
		}
	}
	return 0;
}

/* Keep an attribute value the converter needs. */
static void html_tag_set_attr(struct html_tag *t, const char *name, const char *value)
{
	char *dst = NULL;

	if (strcmp(name, "class") == 0)
		dst = t->cls;
	else if (strcmp(name, "id") == 0)
		dst = t->id;
	else if (strcmp(name, "type") == 0)
		dst = t->type;
	else if (strcmp(name, "style") == 0)
		dst = t->style;
	if (dst != NULL && dst[0] == '\0') {
		strncpy(dst, value, HD_HTML_ATTR_MAX);
		dst[HD_HTML_ATTR_MAX] = '\0';
	}
}

/* Parse a start or end tag at p ('<'); fills t and returns the byte after '>'.
   An unterminated tag swallows the rest, as browsers do. */
static const char *html_parse_tag(const char *p, const char *end, struct html_tag *t)
{
	enum html_attr_state st = HA_BEFORE_NAME;
	char aname[HD_HTML_ATTRNAME_MAX + 1], aval[HD_HTML_ATTR_MAX + 1];
	size_t an = 0, av = 0, n = 0;

	memset(t, 0, sizeof(*t));
	p++;
	if (p < end && *p == '/') {
		t->end = true;
		p++;
	}
	while (p < end && !html_is_space((unsigned char)*p) && *p != '>' && *p != '/') {
		if (n < HD_HTML_TAGNAME_MAX) {
			unsigned char ch = (unsigned char)*p;
			t->name[n++] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
		}
		p++;
	}
	t->name[n] = '\0';
	aname[0] = aval[0] = '\0';
	for (; p < end; p++) {
		unsigned char ch = (unsigned char)*p;
		switch (st) {
		case HA_BEFORE_NAME:
			if (ch == '>')
				return p + 1;
			if (ch == '/') {
				t->self_closing = true;
				break;
			}
			if (html_is_space(ch))
				break;
			t->self_closing = false;
			an = 0;
			aname[an++] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
			aname[an] = '\0';
			st = HA_NAME;
			break;
		case HA_NAME:
			if (ch == '=' || html_is_space(ch) || ch == '>' || ch == '/') {
				if (ch == '=') {
					st = HA_BEFORE_VALUE;
				} else if (ch == '>') {
					return p + 1;
				} else {
					st = ch == '/' ? HA_BEFORE_NAME : HA_AFTER_NAME;
					if (ch == '/')
						t->self_closing = true;
				}
				break;
			}
			if (an < HD_HTML_ATTRNAME_MAX) {
				aname[an++] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
				aname[an] = '\0';
			}
			break;
		case HA_AFTER_NAME:
			if (ch == '=') {
				st = HA_BEFORE_VALUE;
			} else if (ch == '>') {
				return p + 1;
			} else if (!html_is_space(ch)) {
				p--;	/* a new attribute starts here */
				st = HA_BEFORE_NAME;
			}
			break;
		case HA_BEFORE_VALUE:
			av = 0;
			aval[0] = '\0';
			if (html_is_space(ch))
				break;
			if (ch == '"') {
				st = HA_VALUE_DQ;
			} else if (ch == '\'') {
				st = HA_VALUE_SQ;
			} else if (ch == '>') {
				return p + 1;
			} else {
				aval[av++] = (char)ch;
				aval[av] = '\0';
				st = HA_VALUE_UNQ;
			}
			break;
		case HA_VALUE_DQ:
		case HA_VALUE_SQ:
			if ((st == HA_VALUE_DQ && ch == '"') || (st == HA_VALUE_SQ && ch == '\'')) {
				html_tag_set_attr(t, aname, aval);
				st = HA_BEFORE_NAME;
			} else if (av < HD_HTML_ATTR_MAX) {
				aval[av++] = (char)ch;
				aval[av] = '\0';
			}
			break;
		case HA_VALUE_UNQ:
			if (html_is_space(ch) || ch == '>') {
				html_tag_set_attr(t, aname, aval);
				st = HA_BEFORE_NAME;
				if (ch == '>')
					return p + 1;
			} else if (av < HD_HTML_ATTR_MAX) {
				aval[av++] = (char)ch;
				aval[av] = '\0';
			}
			break;
		}
	}
	return end;
}

/* True when the space-separated class list holds word. */
static bool html_class_has(const char *cls, const char *word)
{
	size_t wl = strlen(word);

	for (const char *p = cls; *p != '\0';) {
		while (*p != '\0' && html_is_space((unsigned char)*p))
			p++;
		const char *s = p;
		while (*p != '\0' && !html_is_space((unsigned char)*p))
			p++;
		if ((size_t)(p - s) == wl && strncasecmp(s, word, wl) == 0)
			return true;
	}
	return false;
}

/* Case-insensitive substring test (no GNU strcasestr). */
static bool html_contains_ci(const char *hay, const char *needle)
{
	size_t nl = strlen(needle);

	for (; *hay != '\0'; hay++)
		if (strncasecmp(hay, needle, nl) == 0)
			return true;
	return false;
}

static char *html_convert(const char *html, size_t len, int flags, size_t max_out,
			  bool *quote_found_r);

/* An Outlook separator is followed by a "From:" header line (or its translation). */
static bool html_separator_follows(const char *p, const char *end)
{
	static const char *const from_words[] = {
		"From:", "Von:", "De:", "De :", "Da:", "Van:", "Från:", "Fra:", "Od:",
	};
	size_t n = (size_t)(end - p);
	bool found = false;

	if (n > HD_HTML_LOOKAHEAD)
		n = HD_HTML_LOOKAHEAD;
	char *text = html_convert(p, n, 0, HD_HTML_SEP_WORD_MAX, NULL);
	const char *t = text;
	while (*t != '\0' && (html_is_space((unsigned char)*t) || *t == '*'))
		t++;
	for (size_t i = 0; i < sizeof(from_words) / sizeof(from_words[0]) && !found; i++)
		if (strncasecmp(t, from_words[i], strlen(from_words[i])) == 0)
			found = true;
	free(text);
	return found;
}

/* Decide whether a start tag opens quoted history; may set c->stop. */
static bool html_quote_start(struct html_conv *c, const struct html_tag *t, const char *after)
{
	if (strcmp(t->name, "div") == 0) {
		if (html_class_has(t->cls, "gmail_quote") ||
		    html_class_has(t->cls, "gmail_quote_container") ||
		    html_class_has(t->cls, "yahoo_quoted") ||
		    html_class_has(t->cls, "moz-cite-prefix"))
			return true;
		if (strcasecmp(t->id, "divRplyFwdMsg") == 0 ||
		    strcasecmp(t->id, "appendonsend") == 0) {
			c->stop = true;
			return true;
		}
		if (c->sep_checks < HD_HTML_SEP_CHECKS_MAX &&
		    html_contains_ci(t->style, "border-top") &&
		    (c->sep_checks++, html_separator_follows(after, c->end))) {
			c->stop = true;
			return true;
		}
	}
	if (strcmp(t->name, "blockquote") == 0)
		return true;	/* type=cite or plain (Yandex, mail.ru): quoted either way */
	if (strcmp(t->name, "hr") == 0 && strcasecmp(t->id, "stopSpelling") == 0) {
		c->stop = true;
		return true;
	}
	return false;
}

/* Skip the content of script/style up to its end tag; returns the new position. */
static const char *html_skip_raw(const char *p, const char *end, const char *name)
{
	size_t nl = strlen(name);

	for (; p < end; p++) {
		if (*p != '<' || p + 2 + nl > end || p[1] != '/' ||
		    strncasecmp(p + 2, name, nl) != 0)
			continue;
		if (p + 2 + nl < end) {
			unsigned char ch = (unsigned char)p[2 + nl];
			if (!html_is_space(ch) && ch != '>' && ch != '/')
				continue;
		}
		const char *gt = memchr(p, '>', (size_t)(end - p));
		return gt != NULL ? gt + 1 : end;
	}
	return end;
}

/* Find a byte sequence; NULL when absent. */
static const char *html_find(const char *p, const char *end, const char *needle)
{
	size_t nl = strlen(needle);

	for (; p + nl <= end; p++)
		if (memcmp(p, needle, nl) == 0)
			return p;
	return NULL;
}

/* Handle one tag: quote dropping, raw-text elements, line breaks. Returns the new position. */
static const char *html_handle_tag(struct html_conv *c, const struct html_tag *t, const char *after)
{
	if (t->name[0] == '\0')
		return after;
	/* inside a dropped element: only count its nesting */
	if (c->drop_depth > 0) {
		if (strcmp(t->name, c->drop_name) == 0 && !t->self_closing) {
			if (t->end)
				c->drop_depth--;
			else if (c->drop_depth < HD_HTML_NEST_MAX)
				c->drop_depth++;
			/* past the bound we stop counting: at worst quoted text is kept */
		}
		if (!t->end && html_in_list(t->name, html_raw_tags,
					    sizeof(html_raw_tags) / sizeof(html_raw_tags[0])))
			return html_skip_raw(after, c->end, t->name);
		if (c->drop_depth == 0)
			html_out_break(&c->out, false);
		return after;
	}
	if (!t->end && (c->flags & HD_HTML_DROP_QUOTES) && html_quote_start(c, t, after)) {
		c->quote_found = true;
		if (c->stop)
			return c->end;		/* all that follows is history */
		if (t->self_closing)
			return after;		/* an empty quote element */
		strcpy(c->drop_name, t->name);
		c->drop_depth = 1;
		html_out_break(&c->out, false);
		return after;
	}
	if (!t->end && !t->self_closing &&
	    html_in_list(t->name, html_raw_tags, sizeof(html_raw_tags) / sizeof(html_raw_tags[0])))
		return html_skip_raw(after, c->end, t->name);
	if (strcmp(t->name, "pre") == 0) {
		if (t->end && c->out.pre > 0)
			c->out.pre--;
		else if (!t->end && !t->self_closing && c->out.pre < HD_HTML_NEST_MAX)
			c->out.pre++;
	}
	if (strcmp(t->name, "br") == 0) {
		html_out_break(&c->out, true);
	} else if (strcmp(t->name, "td") == 0 || strcmp(t->name, "th") == 0 ||
		   strcmp(t->name, "img") == 0) {
		c->out.space = true;	/* cells are separate words */
	} else if (html_in_list(t->name, html_block_tags,
				sizeof(html_block_tags) / sizeof(html_block_tags[0]))) {
		html_out_break(&c->out, false);
	}
	return after;
}

/* The state machine over the document. */
static char *html_convert(const char *html, size_t len, int flags, size_t max_out,
			  bool *quote_found_r)
{
	struct html_conv c;
	struct html_tag tag;

	memset(&c, 0, sizeof(c));
	c.p = html;
	c.end = html + len;
	c.flags = flags;
	sb_init(&c.out.sb);
	c.out.max_out = max_out;

	while (c.p < c.end && !c.out.full && !c.stop) {
		unsigned char ch = (unsigned char)*c.p;
		if (ch == '<') {
			const char *q = c.p + 1;
			if (c.end - c.p >= 4 && memcmp(c.p, "<!--", 4) == 0) {
				const char *e = html_find(c.p + 4, c.end, "-->");
				c.p = e != NULL ? e + 3 : c.end;
				continue;
			}
			if (c.end - c.p >= 9 && memcmp(c.p, "<![CDATA[", 9) == 0) {
				const char *s = c.p + 9;
				const char *e = html_find(s, c.end, "]]>");
				if (e == NULL)
					e = c.end;
				if (c.drop_depth == 0)
					for (const char *x = s; x < e; x++) {
						if (html_is_space((unsigned char)*x))
							html_out_space(&c.out, (unsigned char)*x);
						else if (*x != '\0')
							html_out_text(&c.out, x, 1);
					}
				c.p = e < c.end ? e + 3 : c.end;
				continue;
			}
			if (q < c.end && (*q == '!' || *q == '?')) {
				const char *e = memchr(q, '>', (size_t)(c.end - q));
				c.p = e != NULL ? e + 1 : c.end;
				continue;
			}
			if (q < c.end && (html_is_alpha((unsigned char)*q) ||
					  (*q == '/' && q + 1 < c.end &&
					   html_is_alpha((unsigned char)q[1])))) {
				const char *after = html_parse_tag(c.p, c.end, &tag);
				c.p = html_handle_tag(&c, &tag, after);
				continue;
			}
			/* a lone '<' is text */
		}
		if (c.drop_depth > 0) {
			c.p++;
			continue;
		}
		if (ch == '&') {
			size_t n = html_entity(&c, c.p);
			if (n > 0) {
				c.p += n;
				continue;
			}
		}
		if (html_is_space(ch)) {
			html_out_space(&c.out, ch);
		} else if (ch != '\0') {
			/* a run of plain text in one append, not byte by byte */
			const char *r = c.p + 1;

			while (r < c.end && *r != '<' && *r != '&' && *r != '\0' &&
			       !html_is_space((unsigned char)*r))
				r++;
			html_out_text(&c.out, c.p, (size_t)(r - c.p));
			c.p = r;
			continue;
		}
		c.p++;
	}
	/* trim trailing white space */
	size_t l = c.out.sb.len;
	while (l > 0 && (c.out.sb.s[l - 1] == ' ' || c.out.sb.s[l - 1] == '\n'))
		l--;
	sb_truncate(&c.out.sb, l);
	if (quote_found_r != NULL)
		*quote_found_r = c.quote_found;
	return c.out.sb.s;	/* ownership passes to the caller */
}

/* Public entry: see html.h. */
char *hd_html_to_text(const char *html, size_t len, int flags, size_t max_out,
		      bool *quote_found_r)
{
	if (html == NULL)
		len = 0;
	return html_convert(html != NULL ? html : "", len, flags, max_out, quote_found_r);
}

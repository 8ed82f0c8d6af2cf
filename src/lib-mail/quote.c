/*
 * quote - splits a plain-text reply into the sender's own new words and the
 * history below them. An explicit classifier gives every line a kind ('>'
 * quote, attribution, Outlook separator or header block, signature), then a
 * scan decides what to drop. It must never drop text it is unsure about: a
 * tone rule missing the agent's words is worse than one scanning a quote, so
 * doubtful cases keep everything and report HD_QUOTE_UNCERTAIN.
 */
#include <config.h>
#include "quote.h"
#include "util.h"

#include <stdlib.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>

#define HD_QUOTE_ATTR_LINES	3	/* an attribution may wrap over this many lines */
#define HD_QUOTE_ATTR_MAX	400	/* bytes of a (joined) attribution */
#define HD_QUOTE_HDR_WINDOW	6	/* lines after From: searched for Sent:/To: */
#define HD_QUOTE_SEP_MIN	5	/* "_____" / "-----" separator length */

/* What a line is. */
enum quote_kind {
	QK_TEXT,
	QK_BLANK,
	QK_QUOTED,		/* "> ..." */
	QK_SIG,			/* "-- " */
	QK_ORIGINAL,		/* "-----Original Message-----" and translations */
	QK_SEPARATOR,		/* "________________" */
	QK_HDR_FROM,		/* "From:" */
	QK_HDR_SENT,		/* "Sent:" / "Date:" */
	QK_HDR_TO,		/* "To:" / "Subject:" / "Cc:" */
};

struct quote_line {
	const char *s;
	size_t len;		/* without CR/LF */
	enum quote_kind kind;
	bool drop;
};

/* Title of Outlook-style separators, between runs of dashes. */
static const char *const quote_original_titles[] = {
	"original message", "ursprüngliche nachricht", "original-nachricht",
	"message d'origine", "message d’origine", "mensaje original",
	"oorspronkelijk bericht", "messaggio originale", "mensagem original",
	"ursprungligt meddelande", "opprinnelig melding", "forwarded message",
	"weitergeleitete nachricht", "message transféré", "mensaje reenviado",
};

static const char *const quote_hdr_from[] = {
	"from:", "von:", "de:", "de :", "da:", "van:", "från:", "fra:",
};
static const char *const quote_hdr_sent[] = {
	"sent:", "date:", "gesendet:", "datum:", "envoyé :", "envoyé:", "enviado:",
	"enviada:", "enviado el:", "inviato:", "verzonden:", "skickat:", "sendt:",
	"data:", "fecha:",
};
static const char *const quote_hdr_to[] = {
	"to:", "subject:", "cc:", "an:", "betreff:", "à :", "à:", "objet :",
	"objet:", "para:", "asunto:", "a:", "oggetto:", "aan:", "onderwerp:",
	"till:", "ämne:", "til:", "emne:", "assunto:", "cc :",
};

/* First words of an attribution ("On ... wrote:", "Am ... schrieb ...:"). */
static const char *const quote_attr_start[] = {
	"on ", "am ", "le ", "el ", "op ", "il ", "em ", "den ",
};
/* The verb that must appear in it. */
static const char *const quote_attr_verb[] = {
	"wrote", "schrieb", "a écrit", "escribió", "schreef", "ha scritto",
	"escreveu", "skrev", "écrit",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Case-insensitive (ASCII) prefix test on a counted string. */
static bool quote_prefix(const char *s, size_t len, const char *prefix)
{
	size_t pl = strlen(prefix);
	return len >= pl && strncasecmp(s, prefix, pl) == 0;
}

/* True when the line starts with one of the words. */
static bool quote_prefix_any(const char *s, size_t len, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (quote_prefix(s, len, list[i]))
			return true;
	return false;
}

/* Is the byte a word character (ASCII alnum or part of a UTF-8 sequence)? */
static bool quote_wordch(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c >= 0x80;
}

/* Case-insensitive search of a whole word in a counted string. */
static bool quote_has_word(const char *s, size_t len, const char *word)
{
	size_t wl = strlen(word);
	int first = tolower((unsigned char)word[0]);

	for (size_t i = 0; i + wl <= len; i++) {
		/* Cheap first-byte test before the full compare (hot path). */
		if (tolower((unsigned char)s[i]) != first || strncasecmp(s + i, word, wl) != 0)
			continue;
		if (i > 0 && quote_wordch((unsigned char)s[i - 1]))
			continue;
		if (i + wl < len && quote_wordch((unsigned char)s[i + wl]))
			continue;
		return true;
	}
	return false;
}

/* Skip leading blanks. */
static void quote_ltrim(const char **s, size_t *len)
{
	while (*len > 0 && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*len)--;
	}
}

/* Drop trailing blanks. */
static void quote_rtrim(const char *s, size_t *len)
{
	while (*len > 0 && (s[*len - 1] == ' ' || s[*len - 1] == '\t'))
		(*len)--;
}

/* "-----Original Message-----", "----- Original Message -----", ... */
static bool quote_is_original(const char *s, size_t len)
{
	size_t lead = 0;

	while (lead < len && (s[lead] == '-' || s[lead] == '_'))
		lead++;
	if (lead < 2)
		return false;
	s += lead;
	len -= lead;
	quote_ltrim(&s, &len);
	while (len > 0 && (s[len - 1] == '-' || s[len - 1] == '_' || s[len - 1] == ' '))
		len--;
	for (size_t i = 0; i < NELEM(quote_original_titles); i++)
		if (len == strlen(quote_original_titles[i]) &&
		    strncasecmp(s, quote_original_titles[i], len) == 0)
			return true;
	return false;
}

/* Give a line its kind. */
static enum quote_kind quote_classify(const char *s, size_t len)
{
	const char *t = s;
	size_t tl = len;

	if ((len == 3 && memcmp(s, "-- ", 3) == 0) || (len == 2 && memcmp(s, "--", 2) == 0))
		return QK_SIG;
	quote_ltrim(&t, &tl);
	quote_rtrim(t, &tl);
	if (tl == 0)
		return QK_BLANK;
	if (t[0] == '>')
		return QK_QUOTED;
	if (quote_is_original(t, tl))
		return QK_ORIGINAL;
	size_t sep = 0;
	while (sep < tl && (t[sep] == '_' || t[sep] == '-' || t[sep] == '='))
		sep++;
	if (sep == tl && sep >= HD_QUOTE_SEP_MIN)
		return QK_SEPARATOR;
	while (tl > 0 && *t == '*') {	/* "*From:* Bob" from HTML bold */
		t++;
		tl--;
	}
	if (quote_prefix_any(t, tl, quote_hdr_from, NELEM(quote_hdr_from)))
		return QK_HDR_FROM;
	if (quote_prefix_any(t, tl, quote_hdr_sent, NELEM(quote_hdr_sent)))
		return QK_HDR_SENT;
	if (quote_prefix_any(t, tl, quote_hdr_to, NELEM(quote_hdr_to)))
		return QK_HDR_TO;
	return QK_TEXT;
}

/* From: at i starts a header block when Sent:/Date: and To:/Subject: follow closely. */
static bool quote_header_block(const struct quote_line *l, size_t n, size_t i)
{
	bool sent = false, to = false;

	for (size_t j = i + 1; j < n && j <= i + HD_QUOTE_HDR_WINDOW; j++) {
		if (l[j].kind == QK_HDR_SENT)
			sent = true;
		else if (l[j].kind == QK_HDR_TO)
			to = true;
		else if (l[j].kind == QK_BLANK && j > i + 1)
			break;
	}
	return sent && to;
}

/* Does line i end an attribution ("...wrote:")? */
static bool quote_attr_end(const struct quote_line *l)
{
	const char *s = l->s;
	size_t len = l->len;

	quote_rtrim(s, &len);
	if (l->kind != QK_TEXT || len == 0 || s[len - 1] != ':')
		return false;
	for (size_t k = 0; k < NELEM(quote_attr_verb); k++)
		if (quote_has_word(s, len, quote_attr_verb[k]))
			return true;
	return false;
}

/* Outcome of looking at an attribution candidate. */
enum quote_attr_result {
	QA_NONE,		/* no attribution start: uncertain */
	QA_QUOTED,		/* attribution followed by '>' lines: drop it only */
	QA_CUT,			/* confident attribution over unmarked history: cut */
	QA_DOUBT,		/* has a start but too little evidence */
};

/* Look back from the "wrote:" line i for the line that starts it. */
static enum quote_attr_result quote_attribution(const struct quote_line *l, size_t n,
						size_t i, size_t *start_r)
{
	size_t lo = i + 1 >= HD_QUOTE_ATTR_LINES ? i + 1 - HD_QUOTE_ATTR_LINES : 0;
	size_t j = i + 1, total = 0;
	bool evidence = false;

	for (size_t k = i + 1; k-- > lo;) {
		if (l[k].kind != QK_TEXT)
			break;
		total += l[k].len + 1;
		if (total > HD_QUOTE_ATTR_MAX)
			break;
		const char *s = l[k].s;
		size_t len = l[k].len;
		quote_ltrim(&s, &len);
		if (quote_prefix_any(s, len, quote_attr_start, NELEM(quote_attr_start))) {
			j = k;
			break;
		}
	}
	if (j > i)
		return QA_NONE;
	*start_r = j;
	for (size_t k = j; k <= i; k++)
		for (size_t b = 0; b < l[k].len; b++)
			if ((l[k].s[b] >= '0' && l[k].s[b] <= '9') || l[k].s[b] == '@')
				evidence = true;
	for (size_t k = i + 1; k < n; k++) {
		if (l[k].kind == QK_BLANK)
			continue;
		if (l[k].kind == QK_QUOTED)
			return QA_QUOTED;
		break;
	}
	return evidence ? QA_CUT : QA_DOUBT;
}

/* Split text into lines (LF or CRLF). */
static struct quote_line *quote_split(const char *text, size_t len, size_t *n_r)
{
	size_t n = 1, cap;
	struct quote_line *l;

	for (size_t i = 0; i < len; i++)
		if (text[i] == '\n')
			n++;
	cap = n;
	l = xcalloc(cap, sizeof(*l));
	n = 0;
	for (const char *p = text, *end = text + len; p <= end && n < cap;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl != NULL ? nl : end;
		l[n].s = p;
		l[n].len = (size_t)(e - p);
		if (l[n].len > 0 && p[l[n].len - 1] == '\r')
			l[n].len--;
		l[n].kind = quote_classify(l[n].s, l[n].len);
		n++;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	*n_r = n;
	return l;
}

/* Public entry: see quote.h. */
char *hd_quote_strip(const char *text, size_t len, enum hd_quote_result *result_r)
{
	struct quote_line *l;
	size_t n, cut, start;
	bool found = false, uncertain = false;
	struct strbuf sb;

	if (text == NULL)
		len = 0;
	l = quote_split(text != NULL ? text : "", len, &n);
	cut = n;
	for (size_t i = 0; i < n && cut == n; i++) {
		switch (l[i].kind) {
		case QK_QUOTED:
			l[i].drop = true;
			found = true;
			break;
		case QK_SIG:
		case QK_ORIGINAL:
			cut = i;
			break;
		case QK_HDR_FROM:
			if (quote_header_block(l, n, i))
				cut = i;
			else
				uncertain = true;	/* a lone From: line */
			break;
		case QK_TEXT:
			if (!quote_attr_end(&l[i]))
				break;
			switch (quote_attribution(l, n, i, &start)) {
			case QA_QUOTED:
				for (size_t k = start; k <= i; k++)
					l[k].drop = true;
				found = true;
				break;
			case QA_CUT:
				cut = start;
				break;
			case QA_NONE:
			case QA_DOUBT:
				uncertain = true;
				break;
			}
			break;
		default:
			break;
		}
	}
	if (cut < n) {
		found = true;
		/* the separator line and blank lines just above the history go too */
		while (cut > 0 && (l[cut - 1].kind == QK_SEPARATOR || l[cut - 1].kind == QK_BLANK))
			cut--;
	}
	sb_init(&sb);
	if (!found) {
		if (len > 0)
			sb_append(&sb, text, len);
	} else {
		bool first = true;
		size_t last = cut;
		while (last > 0 && (l[last - 1].drop || l[last - 1].kind == QK_BLANK))
			last--;
		for (size_t i = 0; i < last; i++) {
			if (l[i].drop || (first && l[i].kind == QK_BLANK))
				continue;
			if (!first)
				sb_putc(&sb, '\n');
			sb_append(&sb, l[i].s, l[i].len);
			first = false;
		}
	}
	free(l);
	if (result_r != NULL)
		*result_r = found ? HD_QUOTE_FOUND : uncertain ? HD_QUOTE_UNCERTAIN : HD_QUOTE_NONE;
	return sb.s;
}

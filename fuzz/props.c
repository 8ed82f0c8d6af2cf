/*
 * props - the properties every fuzz harness checks (see props.h): headers we
 * write are valid RFC 5322, forged control headers are gone, control lines
 * never reach a delivered part, the engine answers within a time bound.
 * Written from the SPEC, not from the engine's code: it must never call the
 * engine's own rule for what it checks (engine-helpdesk.c's namespaces,
 * engine-exception-lines.c's control line), or a bug there would check itself.
 */
#include <config.h>
#include "props.h"
#include "util.h"
#include "verdict.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* RFC 5322 s.2.1.1: a line is at most 998 characters without its CRLF. */
#define PROPS_LINE_MAX 998
/* The engine's CPU budget: a base for GMime and policy work plus a cost per
   input byte; generous (sanitizers slow code 2-5x) yet far below what a
   quadratic path costs at the harnesses' -max_len. */
#define PROPS_TIME_BASE_SECONDS 2.0
#define PROPS_TIME_PER_BYTE_SECONDS 100e-6

/* Helpdesk kinds as in policy.h's enum hd_helpdesk_kind. */
enum { PROPS_HD_NONE, PROPS_HD_ZNUNY, PROPS_HD_ZAMMAD, PROPS_HD_RT, PROPS_HD_OSTICKET };

/* Public entry: see props.h. */
const char *props_header_field(const char *name, const char *value)
{
	size_t col;

	if (name == NULL || *name == '\0')
		return "header name is empty";
	for (const char *p = name; *p; p++)
		if ((unsigned char)*p <= 32 || (unsigned char)*p >= 127 || *p == ':')
			return "header name has a byte outside printable ASCII or a ':'";
	if (value == NULL)
		return "header value is NULL";
	col = strlen(name) + 2;		/* "Name: " */
	for (const char *p = value; *p; p++) {
		if (*p == '\r' || *p == '\n') {
			if (*p == '\r' && p[1] != '\n')
				return "header value has a bare CR";
			if (*p == '\r')
				p++;
			if (p[1] != ' ' && p[1] != '\t')
				return "header value has a line break not followed by a blank (not folding)";
			col = 0;
			continue;
		}
		if (++col > PROPS_LINE_MAX)
			return "header line longer than 998 bytes";
	}
	if (strlen(value) > 0 && (value[strlen(value) - 1] == '\n'))
		return "header value ends with a line break";
	return NULL;
}

/* Check name, value pairs of a verdict header list. */
static const char *props_header_pairs(const struct strvec *sv)
{
	const char *why;

	if (sv->n % 2 != 0)
		return "header list of the verdict is not name, value pairs";
	for (size_t i = 0; i + 1 < sv->n; i += 2)
		if ((why = props_header_field(sv->v[i], sv->v[i + 1])) != NULL)
			return why;
	return NULL;
}

/* Public entry: see props.h. */
const char *props_verdict_headers(const struct hd_verdict *v)
{
	const char *why = props_header_pairs(&v->headers_added);

	return why != NULL ? why : props_header_pairs(&v->headers_inserted);
}

/* RFC 5322 ftext: printable ASCII but ':'. */
static bool props_ftext(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 33 || (unsigned char)s[i] > 126 || s[i] == ':')
			return false;
	return true;
}

/* Public entry: see props.h. */
char **props_header_names(const char *data, size_t len, size_t *n_r)
{
	char **names = NULL;
	size_t n = 0, cap = 0, i = 0;

	while (i < len) {
		size_t e = i;
		while (e < len && data[e] != '\n')
			e++;
		size_t l = e - i;
		if (l > 0 && data[i + l - 1] == '\r')
			l--;
		if (l == 0)
			break;			/* end of the header block */
		if (data[i] != ' ' && data[i] != '\t') {
			/* A line that is no "name:" field ends the header block, as
			   in the MTA (Postfix's cleanup) and GMime. */
			const char *colon = memchr(data + i, ':', l);
			size_t nl = colon != NULL ? (size_t)(colon - (data + i)) : 0;
			while (nl > 0 && (data[i + nl - 1] == ' ' || data[i + nl - 1] == '\t'))
				nl--;
			if (nl == 0 || !props_ftext(data + i, nl))
				break;
			if (n == cap) {
				cap = cap ? cap * 2 : 16;
				names = xrealloc(names, cap * sizeof(*names));
			}
			names[n++] = xstrndup(data + i, nl);
		}
		i = e + 1;
	}
	*n_r = n;
	return names;
}

/* Public entry: see props.h. */
void props_names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* True when name ends with suffix, any case. */
static bool props_ends_ci(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);

	return n >= s && strcasecmp(name + n - s, suffix) == 0;
}

/* Public entry: see props.h. SPEC s.4 (ours) and s.12 (theirs). */
bool props_is_control_header(const char *name, int helpdesk_kind)
{
	if (str_has_prefix_ci(name, "X-Helpdesk-"))
		return true;
	switch (helpdesk_kind) {
	case PROPS_HD_ZNUNY:
		return str_has_prefix_ci(name, "X-OTRS-") || str_has_prefix_ci(name, "X-OTOBO-") ||
		       str_has_prefix_ci(name, "X-OFORK-");
	case PROPS_HD_ZAMMAD:
		return str_has_prefix_ci(name, "X-Zammad-");
	case PROPS_HD_RT:
		return str_has_prefix_ci(name, "RT-") || str_has_prefix_ci(name, "X-RT-");
	case PROPS_HD_OSTICKET:
		return props_ends_ci(name, "priority") || props_ends_ci(name, "importance");
	default:
		return false;
	}
}

/* Public entry: see props.h. */
const char *props_control_headers_gone(char *const *input_names, size_t n,
				       const struct hd_verdict *v, int helpdesk_kind)
{
	for (size_t i = 0; i < n; i++) {
		const char *name = input_names[i];
		if (!props_is_control_header(name, helpdesk_kind))
			continue;
		/* The milter removes every X-Helpdesk-* itself (SPEC s.4). */
		if (str_has_prefix_ci(name, "X-Helpdesk-"))
			continue;
		if (!sv_contains_ci(&v->headers_removed, name))
			return "a helpdesk control header from the input survives into the delivered headers";
	}
	return NULL;
}

/* Public entry: see props.h. */
bool props_is_control_line(const char *line, size_t len)
{
	static const char *const words[] = { "exception", "status" };
	size_t i = 0;

	while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
		i++;
	if (i >= len || line[i] != '#')
		return false;
	i++;
	for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++) {
		size_t wl = strlen(words[w]);
		if (len - i < wl || strncasecmp(line + i, words[w], wl) != 0)
			continue;
		if (i + wl == len)
			return true;
		unsigned char c = (unsigned char)line[i + wl];
		if (!isalnum(c) && c != '_' && c != '-')
			return true;
	}
	return false;
}

/* Public entry: see props.h. */
const char *props_text_without_control_lines(const char *text)
{
	const char *p = text;

	if (text == NULL)
		return NULL;
	while (*p) {
		const char *e = strchr(p, '\n');
		size_t l = e != NULL ? (size_t)(e - p) : strlen(p);
		if (props_is_control_line(p, l))
			return "a #exception/#status control line reaches a delivered text part";
		if (e == NULL)
			break;
		p = e + 1;
	}
	return NULL;
}

/* Public entry: see props.h. */
double props_time_bound(size_t len)
{
	return PROPS_TIME_BASE_SECONDS + PROPS_TIME_PER_BYTE_SECONDS * (double)len;
}

/* Public entry: see props.h. */
const char *props_time_within(double seconds, size_t len)
{
	return seconds <= props_time_bound(len) ? NULL :
		"the engine took longer than the time bound for this input size";
}

/* Public entry: see props.h. */
double props_cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Public entry: see props.h. */
void props_require(const char *harness, const char *why)
{
	if (why == NULL)
		return;
	fprintf(stderr, "%s: property violated: %s\n", harness, why);
	abort();
}

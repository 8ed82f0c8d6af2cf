/*
 * util - allocation, strings, logging and time helpers shared by every module.
 * Allocation failure is fatal by design: a milter that limps on after malloc
 * fails could half-apply a verdict, while an abort makes the MTA apply its
 * milter_default_action (tempfail) and retry. Never returns NULL.
 */
#include <config.h>
#include "util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <glib.h>

/* Log that memory ran out and abort. */
static void oom(size_t n)
{
	log_error("out of memory allocating %zu bytes", n);
	abort();
}

/* malloc that cannot return NULL. */
void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (p == NULL)
		oom(n);
	return p;
}

/* calloc that cannot return NULL and checks n * size for overflow. */
void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (p == NULL)
		oom(n * size);
	return p;
}

/* realloc that cannot return NULL. */
void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (q == NULL)
		oom(n);
	return q;
}

/* strdup that cannot return NULL; NULL in gives NULL out. */
char *xstrdup(const char *s)
{
	return s == NULL ? NULL : xstrndup(s, strlen(s));
}

/* Copy at most n bytes of s into a new NUL-terminated string. */
char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* printf into a new string. */
char *xasprintf(const char *fmt, ...)
{
	struct strbuf sb;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom(0);
	sb_init(&sb);
	sb.cap = (size_t)n + 1;
	sb.s = xrealloc(sb.s, sb.cap);
	va_start(ap, fmt);
	vsnprintf(sb.s, sb.cap, fmt, ap);
	va_end(ap);
	sb.len = (size_t)n;
	return sb.s;
}

/* Free *pp and clear the caller's pointer. */
void xfree(void *pp)
{
	void **p = pp;
	free(*p);
	*p = NULL;
}

/* Start an empty string. */
void sb_init(struct strbuf *sb)
{
	sb->cap = 64;
	sb->len = 0;
	sb->s = xmalloc(sb->cap);
	sb->s[0] = '\0';
}

/* Make room for n more bytes plus the NUL. */
static void sb_grow(struct strbuf *sb, size_t n)
{
	if (sb->len + n + 1 <= sb->cap)
		return;
	if (sb->cap == 0)
		sb->cap = 64;
	while (sb->len + n + 1 > sb->cap) {
		if (sb->cap > ((size_t)-1) / 2)
			oom(sb->len + n + 1);
		sb->cap *= 2;
	}
	sb->s = xrealloc(sb->s, sb->cap);
}

/* Append n bytes. */
void sb_append(struct strbuf *sb, const char *s, size_t n)
{
	sb_grow(sb, n);
	if (n)
		memcpy(sb->s + sb->len, s, n);
	sb->len += n;
	sb->s[sb->len] = '\0';
}

/* Append a C string. */
void sb_puts(struct strbuf *sb, const char *s)
{
	sb_append(sb, s, strlen(s));
}

/* Append one byte. */
void sb_putc(struct strbuf *sb, char c)
{
	sb_append(sb, &c, 1);
}

/* Append formatted text. */
void sb_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	sb_grow(sb, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(sb->s + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
}

/* Cut the string back to len bytes. */
void sb_truncate(struct strbuf *sb, size_t len)
{
	if (len < sb->len) {
		sb->len = len;
		sb->s[len] = '\0';
	}
}

/* Give the string to the caller; sb is left empty, holding no memory, and
   may be appended to again or freed. */
char *sb_steal(struct strbuf *sb)
{
	char *s = sb->s;

	if (s == NULL)
		s = xstrdup("");
	sb->s = NULL;
	sb->len = sb->cap = 0;
	return s;
}

/* Release the string. */
void sb_free(struct strbuf *sb)
{
	xfree(&sb->s);
	sb->len = sb->cap = 0;
}

/* Start an empty vector. */
void sv_init(struct strvec *sv)
{
	sv->v = xcalloc(1, sizeof(char *));
	sv->n = 0;
	sv->cap = 1;
}

/* Append a string the vector takes ownership of. */
void sv_push_owned(struct strvec *sv, char *s)
{
	if (sv->n + 2 > sv->cap) {
		sv->cap = sv->cap * 2 + 2;
		sv->v = xrealloc(sv->v, sv->cap * sizeof(char *));
	}
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
}

/* Append a copy of s. */
void sv_push(struct strvec *sv, const char *s)
{
	sv_push_owned(sv, xstrdup(s));
}

/* Case-insensitive membership test. */
bool sv_contains_ci(const struct strvec *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strcasecmp(sv->v[i], s) == 0)
			return true;
	return false;
}

/* qsort/bsearch order of an sv_index: strcasecmp of the strings. */
static int sv_index_cmp(const void *a, const void *b)
{
	return strcasecmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sort pointers to sv's strings case-insensitively. */
void sv_index_build(struct sv_index *ix, const struct strvec *sv)
{
	ix->n = sv->n;
	ix->v = NULL;
	if (sv->n == 0)
		return;
	ix->v = xmalloc(sv->n * sizeof(*ix->v));
	for (size_t i = 0; i < sv->n; i++)
		ix->v[i] = sv->v[i];
	qsort(ix->v, ix->n, sizeof(*ix->v), sv_index_cmp);
}

/* True when s equals one of the indexed strings, ignoring ASCII case. */
bool sv_index_contains_ci(const struct sv_index *ix, const char *s)
{
	return ix->n > 0 && bsearch(&s, ix->v, ix->n, sizeof(*ix->v), sv_index_cmp) != NULL;
}

/* Free the view (not the strings). */
void sv_index_free(struct sv_index *ix)
{
	free(ix->v);
	ix->v = NULL;
	ix->n = 0;
}

/* Free every string and the vector. */
void sv_free(struct strvec *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	xfree(&sv->v);
	sv->n = sv->cap = 0;
}

static log_sink_fn *log_sink;
static enum log_level log_max = LOG_LVL_INFO;

/* Default sink: one line on stderr. */
static void log_stderr(enum log_level level, const char *msg)
{
	static const char *const names[] = { "", "", "", "error", "warning", "notice", "info", "debug" };
	fprintf(stderr, "%s: %s\n", names[level], msg);
}

/* Route log lines to sink for levels up to max_level. */
void log_set_sink(log_sink_fn *sink, enum log_level max_level)
{
	log_sink = sink;
	log_max = max_level;
}

/* Format and emit one log line; control characters are replaced. */
void log_msg(enum log_level level, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;

	if (level > log_max)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	(log_sink ? log_sink : log_stderr)(level, buf);
}

/* ASCII case-insensitive equality; NULLs are equal only to each other. */
bool str_ieq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcasecmp(a, b) == 0;
}

/* ASCII case-insensitive prefix test. */
bool str_has_prefix_ci(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* Lower-case ASCII letters in place. */
void str_lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* Bare lower-case address from "<User@Example.COM>" or " user@x "; NULL if empty. */
char *addr_normalise(const char *addr)
{
	const char *b, *e;
	char *r;

	if (addr == NULL)
		return NULL;
	b = addr;
	while (*b == ' ' || *b == '\t' || *b == '<')
		b++;
	e = b + strlen(b);
	while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '>' || e[-1] == '\r' || e[-1] == '\n'))
		e--;
	if (e == b)
		return NULL;
	r = xstrndup(b, (size_t)(e - b));
	str_lower(r);
	return r;
}

/* Domain part after the last '@', or "". */
const char *addr_domain(const char *addr)
{
	const char *at = addr ? strrchr(addr, '@') : NULL;
	return at ? at + 1 : "";
}

/* Howard Hinnant's days_from_civil: days since 1970-01-01. */
long days_from_civil(int y, int m, int d)
{
	long yy = y - (m <= 2);
	long era = (yy >= 0 ? yy : yy - 399) / 400;
	long yoe = yy - era * 400;
	long doy = (153L * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Inverse of days_from_civil. */
void civil_from_days(long z, int *y_r, int *m_r, int *d_r)
{
	z += 719468;
	long era = (z >= 0 ? z : z - 146096) / 146097;
	long doe = z - era * 146097;
	long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long y = yoe + era * 400;
	long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long mp = (5 * doy + 2) / 153;
	long d = doy - (153 * mp + 2) / 5 + 1;
	long m = mp < 10 ? mp + 3 : mp - 9;
	*y_r = (int)(y + (m <= 2));
	*m_r = (int)m;
	*d_r = (int)d;
}

/* Format t as RFC 3339 UTC. */
void time_format_utc(time_t t, char buf[32])
{
	long days = (long)(t >= 0 ? t / 86400 : (t - 86399) / 86400);
	long secs = (long)(t - (time_t)days * 86400);
	int y, m, d;

	char tmp[96];

	civil_from_days(days, &y, &m, &d);
	snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02ld:%02ld:%02ldZ", y, m, d,
		 secs / 3600, (secs / 60) % 60, secs % 60);
	snprintf(buf, 32, "%.31s", tmp);
}

/* Parse n decimal digits. */
static bool parse_digits(const char **p, int n, int *v_r)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return false;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*v_r = v;
	return true;
}

/* Parse an RFC 3339 timestamp into a time_t. */
bool time_parse_rfc3339(const char *s, time_t *t_r)
{
	const char *p = s;
	int y, mo, d, h, mi, se = 0, oh = 0, om = 0, sign = 0;

	if (!parse_digits(&p, 4, &y) || *p++ != '-' || !parse_digits(&p, 2, &mo) ||
	    *p++ != '-' || !parse_digits(&p, 2, &d) || (*p != 'T' && *p != 't' && *p != ' '))
		return false;
	p++;
	if (!parse_digits(&p, 2, &h) || *p++ != ':' || !parse_digits(&p, 2, &mi))
		return false;
	if (*p == ':') {
		p++;
		if (!parse_digits(&p, 2, &se))
			return false;
		if (*p == '.')
			for (p++; isdigit((unsigned char)*p); p++)
				;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '+' ? 1 : -1;
		if (!parse_digits(&p, 2, &oh) || *p++ != ':' || !parse_digits(&p, 2, &om))
			return false;
	} else {
		return false;
	}
	if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return false;
	*t_r = (time_t)days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se
		- sign * (oh * 3600 + om * 60);
	return true;
}

/* SHA-256 as hex, through GLib's checksum (GLib comes with GMime). */
void sha256_hex(const void *data, size_t len, char out[65])
{
	gchar *hex = g_compute_checksum_for_data(G_CHECKSUM_SHA256, data, len);
	memcpy(out, hex, 64);
	out[64] = '\0';
	g_free(hex);
}

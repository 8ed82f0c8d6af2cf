#ifndef HD_UTIL_H
#define HD_UTIL_H
/*
 * util - allocation that cannot silently fail, growable strings and string
 * vectors, logging, and RFC 3339 time. Everything else in the engine builds
 * on these; this module must never depend on any other module.
 */
#include <stddef.h>
#include <stdbool.h>
#include <stdarg.h>
#include <time.h>

/* Allocation: on exhaustion these log and abort(); callers never check NULL. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* free(*p) and set *p to NULL. */
void xfree(void *pp);

/* Growable NUL-terminated byte string. */
struct strbuf {
	char *s;
	size_t len, cap;
};
void sb_init(struct strbuf *sb);
void sb_append(struct strbuf *sb, const char *s, size_t n);
void sb_puts(struct strbuf *sb, const char *s);
void sb_putc(struct strbuf *sb, char c);
void sb_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_truncate(struct strbuf *sb, size_t len);
/* Hand the string over to the caller (never NULL) and reset sb. */
char *sb_steal(struct strbuf *sb);
void sb_free(struct strbuf *sb);

/* Vector of owned strings, NULL-terminated for convenience. */
struct strvec {
	char **v;
	size_t n, cap;
};
void sv_init(struct strvec *sv);
void sv_push(struct strvec *sv, const char *s);
void sv_push_owned(struct strvec *sv, char *s);
bool sv_contains_ci(const struct strvec *sv, const char *s);
/* A sorted, case-insensitive view of a vector's strings (still owned by
   the vector), for many lookups: O(log n) each where sv_contains_ci is
   O(n), so checking every header of a message against a list as long as
   the message stays O(n log n). */
struct sv_index {
	const char **v;
	size_t n;
};
void sv_index_build(struct sv_index *ix, const struct strvec *sv);
bool sv_index_contains_ci(const struct sv_index *ix, const char *s);
void sv_index_free(struct sv_index *ix);
void sv_free(struct strvec *sv);

/* Logging. The default sink writes to stderr; the daemon installs syslog. */
enum log_level { LOG_LVL_ERROR = 3, LOG_LVL_WARNING = 4, LOG_LVL_NOTICE = 5,
		 LOG_LVL_INFO = 6, LOG_LVL_DEBUG = 7 };
typedef void log_sink_fn(enum log_level level, const char *msg);
void log_set_sink(log_sink_fn *sink, enum log_level max_level);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_LVL_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_LVL_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

/* Strings. */
bool str_ieq(const char *a, const char *b);
bool str_has_prefix_ci(const char *s, const char *prefix);
void str_lower(char *s);
/* Lower-cased bare address: strips <>, surrounding space; NULL for empty. */
char *addr_normalise(const char *addr);
/* Pointer to the domain part of a bare address, or "" when there is none. */
const char *addr_domain(const char *addr);

/* Time: RFC 3339 in UTC with a Z suffix, e.g. 2026-11-30T12:15:00Z. */
void time_format_utc(time_t t, char buf[32]);
/* Parses RFC 3339 (Z or +hh:mm offsets, optional fraction); false on error. */
bool time_parse_rfc3339(const char *s, time_t *t_r);
/* Days since 1970-01-01 for a proleptic Gregorian date, and back. */
long days_from_civil(int y, int m, int d);
void civil_from_days(long z, int *y_r, int *m_r, int *d_r);

/* SHA-256 of a buffer as 64 lowercase hex digits plus NUL. */
void sha256_hex(const void *data, size_t len, char out[65]);

#endif

/*
 * tz-int - what tz.c (TZif files, lookups) and tz-rule.c (civil arithmetic and
 * POSIX TZ rules) share. Private to src/lib-policy/tz*.c: never include it
 * anywhere else; the public interface is tz.h.
 */
#ifndef HD_TZ_INT_H
#define HD_TZ_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define HD_TZ_DEFAULT_DIR "/usr/share/zoneinfo"
/* Longest zone name accepted ("America/Argentina/ComodRivadavia" is 32). */
#define HD_TZ_MAX_NAME_LEN 255
/* Local time types per file (the type index is one byte). */
#define HD_TZ_MAX_TYPES 256
/* Bytes of abbreviation strings and leap-second records per file. */
#define HD_TZ_MAX_CHARS 4096
#define HD_TZ_MAX_LEAPS 4096
/* Longest POSIX TZ footer string. */
#define HD_TZ_MAX_RULE_LEN 256
/* Largest |UT offset| accepted, seconds (RFC 8536 allows -89999..93599). */
#define HD_TZ_MAX_UTOFF (26L * 3600)
/* Offset hours in a POSIX TZ string, and rule-time hours (RFC 8536 s3.3.1). */
#define HD_TZ_MAX_OFFSET_HOURS 24
#define HD_TZ_MAX_RULE_HOURS 167
/* Instants are clamped to +-2^50 s (about 35 million years) so civil
   arithmetic never overflows. */
#define HD_TZ_TIME_LIMIT ((int64_t)1 << 50)
/* hd_tz_from_local looks for offset changes this far either side. */
#define HD_TZ_WINDOW (2L * 86400)
#define HD_TZ_MAX_WINDOW_CHANGES 16
#define HD_TZ_MAX_WINDOW_STEPS 256

/* One local time type of a TZif file. */
struct hd_tz_type {
	int32_t utoff;		/* seconds east of UTC */
	bool isdst;
};

/* The three date forms of a POSIX TZ rule. */
enum hd_tz_date_kind {
	HD_TZ_DATE_JULIAN1,	/* Jn: 1..365, February 29 never counted */
	HD_TZ_DATE_JULIAN0,	/* n: 0..365, February 29 counted */
	HD_TZ_DATE_MWD,		/* Mm.w.d: day d of week w of month m */
};

/* A rule date plus the local time of day of the change. */
struct hd_tz_date {
	enum hd_tz_date_kind kind;
	int n, month, week, wday;
	long secs;		/* may be negative or beyond 24h */
};

/* A parsed POSIX TZ string. */
struct hd_tz_rule {
	long std_utoff, dst_utoff;	/* seconds east of UTC */
	bool has_dst;
	struct hd_tz_date start, end;	/* start: in standard time; end: in DST */
};

struct hd_tz {
	char *name;
	size_t ntrans;
	int64_t *trans;			/* strictly ascending */
	unsigned char *trans_type;
	size_t ntypes;
	struct hd_tz_type types[HD_TZ_MAX_TYPES];
	bool has_rule;
	struct hd_tz_rule rule;
};

/* Result codes of the POSIX TZ string parser. */
enum hd_tz_rule_result {
	HD_TZ_RULE_OK,
	HD_TZ_RULE_TOO_LONG,
	HD_TZ_RULE_BAD_STD_NAME,
	HD_TZ_RULE_BAD_STD_OFFSET,
	HD_TZ_RULE_BAD_DST_NAME,
	HD_TZ_RULE_BAD_DST_OFFSET,
	HD_TZ_RULE_BAD_START,
	HD_TZ_RULE_BAD_END,
	HD_TZ_RULE_TRAILING,
};


/* Civil arithmetic (tz-rule.c). */
int64_t hd_tz_floor_div(int64_t a, int64_t b);
int64_t hd_tz_clamp_time(int64_t t);
int hd_tz_weekday_of(int64_t days);

/* POSIX TZ rules (tz-rule.c). */
const char *hd_tz_rule_result_text(enum hd_tz_rule_result r);
enum hd_tz_rule_result hd_tz_rule_parse(const char *s, struct hd_tz_rule *r);
long hd_tz_rule_utoff(const struct hd_tz_rule *r, int64_t t);
bool hd_tz_rule_next(const struct hd_tz_rule *r, int64_t t, int64_t *next_r);

#endif

/*
 * tz-rule - civil (proleptic Gregorian) arithmetic and the POSIX TZ rule of a
 * TZif footer (RFC 8536 s3.3): parsing the string and giving the offset and
 * the next change at any instant. Pure functions over their arguments.
 * Must never call localtime(), mktime() or tzset(), nor read or set TZ.
 */
#include <config.h>
#include "tz-int.h"
#include "util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* Human text for a TZ string parse result. */
const char *hd_tz_rule_result_text(enum hd_tz_rule_result r)
{
	switch (r) {
	case HD_TZ_RULE_OK: return "ok";
	case HD_TZ_RULE_TOO_LONG: return "too long";
	case HD_TZ_RULE_BAD_STD_NAME: return "bad standard-time name";
	case HD_TZ_RULE_BAD_STD_OFFSET: return "bad standard-time offset";
	case HD_TZ_RULE_BAD_DST_NAME: return "bad daylight-time name";
	case HD_TZ_RULE_BAD_DST_OFFSET: return "bad daylight-time offset";
	case HD_TZ_RULE_BAD_START: return "bad daylight-time start rule";
	case HD_TZ_RULE_BAD_END: return "bad daylight-time end rule";
	case HD_TZ_RULE_TRAILING: return "unexpected characters at the end";
	}
	return "?";
}

/* ---- civil arithmetic ---- */

/* Floor division for possibly negative numerators. */
int64_t hd_tz_floor_div(int64_t a, int64_t b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* Clamp an instant into the supported range. */
int64_t hd_tz_clamp_time(int64_t t)
{
	if (t > HD_TZ_TIME_LIMIT)
		return HD_TZ_TIME_LIMIT;
	if (t < -HD_TZ_TIME_LIMIT)
		return -HD_TZ_TIME_LIMIT;
	return t;
}

/* Weekday (0 = Sunday) of a day number; 1970-01-01 was a Thursday. */
int hd_tz_weekday_of(int64_t days)
{
	return (int)(((days % 7) + 11) % 7);
}

/* True for a Gregorian leap year. */
static bool is_leap(long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days in month m (1-12) of year y. */
static int month_days(long y, int m)
{
	static const int len[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 && is_leap(y) ? 29 : len[m - 1];
}

/* UTC year of an instant. */
static int year_of(int64_t t)
{
	int y, m, d;
	civil_from_days((long)hd_tz_floor_div(t, 86400), &y, &m, &d);
	return y;
}

/* ---- POSIX TZ rule ---- */

/* Day number (days since the epoch) of a rule date in a year. */
static int64_t rule_day(const struct hd_tz_date *d, int year)
{
	int64_t jan1 = days_from_civil(year, 1, 1), first, day;
	int len;

	switch (d->kind) {
	case HD_TZ_DATE_JULIAN1:
		day = jan1 + d->n - 1;
		if (is_leap(year) && d->n >= 60)
			day++;
		return day;
	case HD_TZ_DATE_JULIAN0:
		return jan1 + d->n;
	case HD_TZ_DATE_MWD:
		break;
	}
	first = days_from_civil(year, d->month, 1);
	len = month_days(year, d->month);
	day = first + (d->wday - hd_tz_weekday_of(first) + 7) % 7 + 7L * (d->week - 1);
	while (day >= first + len)
		day -= 7;
	return day;
}

/* One offset change produced by a rule. */
struct hd_tz_change {
	int64_t at;
	long utoff;
};

/* The changes of years y-1..y+1 in chronological order; a later year's change
   sorts after an earlier year's at the same instant (year-round DST). */
static size_t rule_changes(const struct hd_tz_rule *r, int y, struct hd_tz_change out[6])
{
	size_t n = 0;

	for (int yy = y - 1; yy <= y + 1; yy++) {
		struct hd_tz_change s = {
			rule_day(&r->start, yy) * 86400 + r->start.secs - r->std_utoff, r->dst_utoff };
		struct hd_tz_change e = {
			rule_day(&r->end, yy) * 86400 + r->end.secs - r->dst_utoff, r->std_utoff };
		if (e.at < s.at) {
			out[n++] = e;
			out[n++] = s;
		} else {
			out[n++] = s;
			out[n++] = e;
		}
	}
	/* Stable insertion sort: keeps generation order for equal instants. */
	for (size_t i = 1; i < n; i++) {
		struct hd_tz_change c = out[i];
		size_t j = i;
		while (j > 0 && out[j - 1].at > c.at) {
			out[j] = out[j - 1];
			j--;
		}
		out[j] = c;
	}
	return n;
}

/* UT offset the rule gives at an instant. */
long hd_tz_rule_utoff(const struct hd_tz_rule *r, int64_t t)
{
	struct hd_tz_change ch[6];
	size_t n;
	long off = r->std_utoff;

	if (!r->has_dst)
		return r->std_utoff;
	n = rule_changes(r, year_of(t), ch);
	for (size_t i = 0; i < n && ch[i].at <= t; i++)
		off = ch[i].utoff;
	return off;
}

/* First rule change strictly after t. */
bool hd_tz_rule_next(const struct hd_tz_rule *r, int64_t t, int64_t *next_r)
{
	struct hd_tz_change ch[6];

	if (!r->has_dst)
		return false;
	for (int y = year_of(t); y <= year_of(t) + 3; y++) {
		size_t n = rule_changes(r, y, ch);
		for (size_t i = 0; i < n; i++) {
			if (ch[i].at > t) {
				*next_r = ch[i].at;
				return true;
			}
		}
	}
	return false;
}

/* Parse a zone abbreviation: three or more letters, or <...> with
   letters, digits, '+' and '-'. */
static bool rule_parse_name(const char **pp)
{
	const char *p = *pp;
	size_t n = 0;

	if (*p == '<') {
		p++;
		while (isalnum((unsigned char)p[n]) || p[n] == '+' || p[n] == '-')
			n++;
		if (n < 3 || p[n] != '>')
			return false;
		*pp = p + n + 1;
		return true;
	}
	while (isalpha((unsigned char)p[n]))
		n++;
	if (n < 3)
		return false;
	*pp = p + n;
	return true;
}

/* Parse [+-]hh[:mm[:ss]] with hh <= max_hours into signed seconds. */
static bool rule_parse_hms(const char **pp, int max_hours, long *secs_r)
{
	const char *p = *pp;
	long sign = 1, h = 0, m = 0, s = 0;
	int digits = 0;

	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	while (isdigit((unsigned char)*p) && digits < 3) {
		h = h * 10 + (*p++ - '0');
		digits++;
	}
	if (digits == 0 || isdigit((unsigned char)*p) || h > max_hours)
		return false;
	for (int part = 0; part < 2 && *p == ':'; part++) {
		long v = 0;
		p++;
		if (!isdigit((unsigned char)p[0]))
			return false;
		v = p[0] - '0';
		p++;
		if (isdigit((unsigned char)*p))
			v = v * 10 + (*p++ - '0');
		if (v > 59)
			return false;
		if (part == 0)
			m = v;
		else
			s = v;
	}
	*secs_r = sign * (h * 3600 + m * 60 + s);
	*pp = p;
	return true;
}

/* Parse a bounded decimal number. */
static bool rule_parse_num(const char **pp, int lo, int hi, int *v_r)
{
	const char *p = *pp;
	int v = 0, digits = 0;

	while (isdigit((unsigned char)*p) && digits < 4) {
		v = v * 10 + (*p++ - '0');
		digits++;
	}
	if (digits == 0 || isdigit((unsigned char)*p) || v < lo || v > hi)
		return false;
	*v_r = v;
	*pp = p;
	return true;
}

/* Parse a rule date (Jn, n or Mm.w.d) and its optional /time. */
static bool rule_parse_date(const char **pp, struct hd_tz_date *d)
{
	const char *p = *pp;

	memset(d, 0, sizeof(*d));
	if (*p == 'J') {
		p++;
		d->kind = HD_TZ_DATE_JULIAN1;
		if (!rule_parse_num(&p, 1, 365, &d->n))
			return false;
	} else if (*p == 'M') {
		p++;
		d->kind = HD_TZ_DATE_MWD;
		if (!rule_parse_num(&p, 1, 12, &d->month) || *p++ != '.' ||
		    !rule_parse_num(&p, 1, 5, &d->week) || *p++ != '.' ||
		    !rule_parse_num(&p, 0, 6, &d->wday))
			return false;
	} else {
		d->kind = HD_TZ_DATE_JULIAN0;
		if (!rule_parse_num(&p, 0, 365, &d->n))
			return false;
	}
	d->secs = 2 * 3600;
	if (*p == '/') {
		p++;
		if (!rule_parse_hms(&p, HD_TZ_MAX_RULE_HOURS, &d->secs))
			return false;
	}
	*pp = p;
	return true;
}

/* Parse a whole POSIX TZ string: std offset [dst [offset] [,start,end]]. */
enum hd_tz_rule_result hd_tz_rule_parse(const char *s, struct hd_tz_rule *r)
{
	const char *p = s;
	long off;

	memset(r, 0, sizeof(*r));
	if (strlen(s) > HD_TZ_MAX_RULE_LEN)
		return HD_TZ_RULE_TOO_LONG;
	if (!rule_parse_name(&p))
		return HD_TZ_RULE_BAD_STD_NAME;
	if (!rule_parse_hms(&p, HD_TZ_MAX_OFFSET_HOURS, &off))
		return HD_TZ_RULE_BAD_STD_OFFSET;
	r->std_utoff = -off;
	if (*p == '\0')
		return HD_TZ_RULE_OK;
	if (!rule_parse_name(&p))
		return HD_TZ_RULE_BAD_DST_NAME;
	r->has_dst = true;
	r->dst_utoff = r->std_utoff + 3600;
	if (*p != ',' && *p != '\0') {
		if (!rule_parse_hms(&p, HD_TZ_MAX_OFFSET_HOURS, &off))
			return HD_TZ_RULE_BAD_DST_OFFSET;
		r->dst_utoff = -off;
	}
	if (*p == '\0') {
		/* No rule: the customary US default, as glibc and tzcode do. */
		const char *dflt = "M3.2.0", *dflt_end = "M11.1.0";
		rule_parse_date(&dflt, &r->start);
		rule_parse_date(&dflt_end, &r->end);
		return HD_TZ_RULE_OK;
	}
	if (*p++ != ',' || !rule_parse_date(&p, &r->start))
		return HD_TZ_RULE_BAD_START;
	if (*p++ != ',' || !rule_parse_date(&p, &r->end))
		return HD_TZ_RULE_BAD_END;
	if (*p != '\0')
		return HD_TZ_RULE_TRAILING;
	return HD_TZ_RULE_OK;
}


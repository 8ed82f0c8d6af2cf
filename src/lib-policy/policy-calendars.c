/*
 * policy-calendars - reads calendars: (time zone, weekly open hours,
 * holidays) into struct hd_calendar, checking every weekday's hours (no
 * overlaps, nothing past midnight, at most HD_CAL_MAX_INTERVALS_PER_DAY
 * intervals) and every holiday date; resolves other sections' references to
 * a calendar by name.
 *
 * Must never: compute deadlines (calendar.c does), read anything but the
 * policy tree and the system time-zone data, or accept a calendar that is
 * never open (its deadlines could not be computed).
 */
#include <config.h>
#include "policy-int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tz.h"
#include "calendar-ics.h"

/* Day names by wday (0 = Sunday), for messages. */
static const char *const DAY_NAMES[7] = { "sunday", "monday", "tuesday", "wednesday",
					  "thursday", "friday", "saturday" };
/* Day tokens in week order Monday..Sunday (the order ranges run in). */
static const char *const DAY_TOKENS[7] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };
/* Keys of one calendar. */
static const char *const CAL_KEYS[] = { "timezone", "hours", "holidays", "holidays_ics", NULL };
/* Keys of a part-day holiday. */
static const char *const PART_KEYS[] = { "date", "from", "until", NULL };

/* Parse a day token ("mon", "monday", case-insensitive) as 0=Mon..6=Sun, or -1. */
static int day_token(const char *s, size_t len)
{
	static const char *const full[7] = { "monday", "tuesday", "wednesday", "thursday",
					     "friday", "saturday", "sunday" };
	int i;

	while (len > 0 && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	for (i = 0; i < 7; i++) {
		if ((len == 3 && strncasecmp(s, DAY_TOKENS[i], 3) == 0) ||
		    (len == strlen(full[i]) && strncasecmp(s, full[i], len) == 0))
			return i;
	}
	return -1;
}

/* Weekday spec "mon-fri", "sat", "mon,wed", "mon-wed,fri" as a mask of wdays
   (bit 0 = Sunday); false when malformed or a range runs backwards. */
static bool parse_days(const char *s, unsigned *mask_r)
{
	unsigned mask = 0;
	const char *p = s;

	for (;;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		const char *dash = memchr(p, '-', len);
		int a, b, d;

		if (dash != NULL) {
			a = day_token(p, (size_t)(dash - p));
			b = day_token(dash + 1, len - (size_t)(dash - p) - 1);
		} else {
			a = b = day_token(p, len);
		}
		if (a < 0 || b < 0 || b < a)
			return false;
		for (d = a; d <= b; d++)
			mask |= 1u << ((d + 1) % 7);
		if (end == NULL)
			break;
		p = end + 1;
	}
	*mask_r = mask;
	return true;
}

/* Result of parsing one "HH:MM-HH:MM" interval. */
enum interval_result { IV_OK, IV_SYNTAX, IV_BAD_TIME, IV_INVERTED };

/* "HH:MM" (00:00..24:00) in minutes; -1 when malformed or out of range. */
static int parse_hhmm(const char *s, size_t len, bool *syntax_ok_r)
{
	int h, m;

	while (len > 0 && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	*syntax_ok_r = false;
	if ((len != 5 && len != 4) || s[len - 3] != ':' || !isdigit((unsigned char)s[0]) ||
	    !isdigit((unsigned char)s[len - 2]) || !isdigit((unsigned char)s[len - 1]) ||
	    (len == 5 && !isdigit((unsigned char)s[1])))
		return -1;
	*syntax_ok_r = true;
	h = len == 5 ? (s[0] - '0') * 10 + (s[1] - '0') : s[0] - '0';
	m = (s[len - 2] - '0') * 10 + (s[len - 1] - '0');
	if (m > 59 || h > 24 || (h == 24 && m != 0))
		return -1;
	return h * 60 + m;
}

/* One interval "09:00-17:30" (text of length len). */
static enum interval_result parse_interval(const char *s, size_t len, struct hd_interval *iv)
{
	const char *dash = memchr(s, '-', len);
	bool sa, sb;

	if (dash == NULL)
		return IV_SYNTAX;
	iv->start = parse_hhmm(s, (size_t)(dash - s), &sa);
	iv->end = parse_hhmm(dash + 1, len - (size_t)(dash - s) - 1, &sb);
	if (!sa || !sb)
		return IV_SYNTAX;
	if (iv->start < 0 || iv->end < 0 || iv->start == 24 * 60)
		return IV_BAD_TIME;
	if (iv->end <= iv->start)
		return IV_INVERTED;
	return IV_OK;
}

/* An interval staged for one weekday, with where it was written. */
struct staged_iv {
	struct hd_interval iv;
	const struct hd_ynode *at;
};

/* Per-weekday staging while a calendar's hours are read. */
struct hours_stage {
	struct staged_iv iv[7][HD_CAL_MAX_INTERVALS_PER_DAY];
	size_t n[7];
	bool overflow[7];
	unsigned closed, open;	/* wday masks */
	const struct hd_ynode *closed_at[7], *open_at[7];
};

/* Read one hours value (scalar or list; "closed" or comma-separated intervals). */
static void read_hours_value(struct ploader *ld, struct hours_stage *st, unsigned mask,
			     const struct hd_ynode *v, const char *path)
{
	struct strvec texts;
	size_t i;
	int d;

	sv_init(&texts);
	if (!pl_want_strings(ld, v, path, "hours like \"09:00-17:30\" or \"closed\"", &texts)) {
		sv_free(&texts);
		return;
	}
	for (i = 0; i < texts.n; i++) {
		const char *s = texts.v[i];
		const struct hd_ynode *at = pl_item_at(v, i);

		while (isspace((unsigned char)*s))
			s++;
		if (strcasecmp(s, "closed") == 0) {
			for (d = 0; d < 7; d++) {
				if (!(mask & (1u << d)))
					continue;
				st->closed |= 1u << d;
				st->closed_at[d] = at;
			}
			continue;
		}
		for (;;) {
			const char *end = strchr(s, ',');
			size_t len = end ? (size_t)(end - s) : strlen(s);
			struct hd_interval iv;
			enum interval_result r = parse_interval(s, len, &iv);
			int shown = (int)len;

			while (shown > 0 && isspace((unsigned char)s[shown - 1]))
				shown--;
			while (shown > 0 && isspace((unsigned char)*s)) {
				s++;
				len--;
				shown--;
			}
			if (r == IV_SYNTAX) {
				pl_err(ld, at, "bad hours '%.*s' for %s (expected HH:MM-HH:MM like "
				       "09:00-17:30, several separated by commas, or closed)",
				       shown, s, path);
			} else if (r == IV_BAD_TIME) {
				pl_err(ld, at, "bad time in '%.*s' for %s (expected 00:00 to 24:00, "
				       "hours 00-23 and minutes 00-59; 24:00 only as an end)",
				       shown, s, path);
			} else if (r == IV_INVERTED) {
				pl_err(ld, at, "bad hours '%.*s' for %s (the end is not after the "
				       "start; open hours cannot run past midnight, split them "
				       "across two days)", shown, s, path);
			} else {
				for (d = 0; d < 7; d++) {
					if (!(mask & (1u << d)))
						continue;
					st->open |= 1u << d;
					st->open_at[d] = at;
					if (st->n[d] == HD_CAL_MAX_INTERVALS_PER_DAY) {
						if (!st->overflow[d])
							pl_err(ld, at, "too many intervals on %s in %s "
							       "(limit %d)", DAY_NAMES[d], path,
							       HD_CAL_MAX_INTERVALS_PER_DAY);
						st->overflow[d] = true;
						continue;
					}
					st->iv[d][st->n[d]].iv = iv;
					st->iv[d][st->n[d]].at = at;
					st->n[d]++;
				}
			}
			if (end == NULL)
				break;
			s = end + 1;
		}
	}
	sv_free(&texts);
}

/* Order staged intervals by start. */
static int staged_cmp(const void *a, const void *b)
{
	const struct staged_iv *x = a, *y = b;

	return x->iv.start != y->iv.start ? (x->iv.start < y->iv.start ? -1 : 1) :
	       (x->iv.end < y->iv.end ? -1 : x->iv.end > y->iv.end);
}

/* Read calendars.NAME.hours into cal. */
static void load_hours(struct ploader *ld, struct hd_calendar *cal, const struct hd_ynode *h,
		       const char *path)
{
	struct hours_stage *st;
	size_t i, j, before = pl_nerrors(ld);
	const struct hd_ynode *last_at = NULL;
	struct hd_interval last_a = { 0, 0 }, last_b = { 0, 0 };
	int d;

	if (!pl_want_map_keys(ld, h, path, "days: hours, like mon-fri: \"09:00-17:30\"", NULL))
		return;
	st = xcalloc(1, sizeof(*st));
	for (i = 0; i < h->n; i++) {
		if (pl_key_repeated(h, i))
			continue;	/* reported by pl_check_keys */
		const struct hd_ynode *k = h->keys[i];
		unsigned mask;
		char *kp;

		if (!parse_days(k->scalar, &mask)) {
			pl_err(ld, k, "bad weekdays '%s' in %s (expected days like mon-fri, sat, "
			       "mon,wed or mon-sun; the week runs from mon to sun)", k->scalar, path);
			continue;
		}
		kp = pl_path_key(path, k->scalar);
		read_hours_value(ld, st, mask, h->items[i], kp);
		free(kp);
	}
	for (d = 0; d < 7; d++) {
		struct staged_iv *v = st->iv[d];
		char a[32], b[32];

		if ((st->closed & st->open) & (1u << d)) {
			pl_err(ld, st->closed_at[d], "%s is both closed and open in %s",
			       DAY_NAMES[d], path);
			continue;
		}
		qsort(v, st->n[d], sizeof(*v), staged_cmp);
		for (i = 0, j = 0; i < st->n[d]; i++) {
			if (j > 0 && v[i].iv.start < cal->hours[d][j - 1].end) {
				const struct hd_interval *p = &cal->hours[d][j - 1];

				/* the same clash on several days of one range: report once */
				if (last_at == v[i].at && last_a.start == p->start &&
				    last_a.end == p->end && last_b.start == v[i].iv.start &&
				    last_b.end == v[i].iv.end)
					continue;
				last_at = v[i].at;
				last_a = *p;
				last_b = v[i].iv;
				snprintf(a, sizeof(a), "%02d:%02d-%02d:%02d", p->start / 60,
					 p->start % 60, p->end / 60, p->end % 60);
				snprintf(b, sizeof(b), "%02d:%02d-%02d:%02d", v[i].iv.start / 60,
					 v[i].iv.start % 60, v[i].iv.end / 60, v[i].iv.end % 60);
				pl_err(ld, v[i].at, "overlapping hours on %s in %s: %s and %s",
				       DAY_NAMES[d], path, a, b);
				continue;
			}
			if (j > 0 && v[i].iv.start == cal->hours[d][j - 1].end) {
				cal->hours[d][j - 1].end = v[i].iv.end;	/* touching: merge */
				continue;
			}
			cal->hours[d][j++] = v[i].iv;
		}
		cal->nhours[d] = j;
	}
	if (st->open == 0 && pl_nerrors(ld) == before)
		pl_err(ld, h, "%s has no open hours at all (deadlines could never be computed)",
		       path);
	free(st);
}

/* Order days. */
static int long_cmp(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

/* Order part-day holidays by day. */
static int part_cmp(const void *a, const void *b)
{
	const struct hd_part_holiday *x = a, *y = b;

	return x->day < y->day ? -1 : x->day > y->day;
}

/* One time of a part-day holiday ("13:00"); def when absent, -1 after an error. */
static int part_time(struct ploader *ld, const struct hd_ynode *it, const char *key, int def,
		     const char *path)
{
	const struct hd_ynode *n = hd_ymap_get(it, key);
	bool syntax_ok;
	int m;

	if (n == NULL)
		return def;
	m = n->type == HD_Y_SCALAR ? parse_hhmm(n->scalar, strlen(n->scalar), &syntax_ok) : -1;
	if (m < 0)
		pl_err(ld, n, "bad %s time in %s (expected HH:MM like 13:00)", key, path);
	return m;
}

/* A part-day holiday { date: 2026-12-24, from: "13:00", until: "24:00" }. */
static void load_part_holiday(struct ploader *ld, struct hd_calendar *cal,
			      const struct hd_ynode *it, const char *path)
{
	const struct hd_ynode *dn;
	struct hd_part_holiday ph;

	if (!pl_want_map_keys(ld, it, path, "date, from, until", PART_KEYS))
		return;
	dn = pl_want_key(ld, it, "date", path, "a date like 2026-12-24");
	if (dn == NULL)
		return;
	if (dn->type != HD_Y_SCALAR || !pl_parse_date(dn->scalar, &ph.day)) {
		pl_err(ld, dn, "bad date in %s (expected YYYY-MM-DD like 2026-12-24)", path);
		return;
	}
	ph.from = part_time(ld, it, "from", 0, path);
	ph.until = part_time(ld, it, "until", 24 * 60, path);
	if (ph.from < 0 || ph.until < 0)
		return;
	if (ph.until <= ph.from) {
		pl_err(ld, it, "part-day holiday %s in %s closes nothing (until is not after "
		       "from)", dn->scalar, path);
		return;
	}
	for (size_t j = 0; j < cal->npart; j++)
		if (cal->part[j].day == ph.day) {
			pl_err(ld, dn, "duplicate holiday '%s' in %s", dn->scalar, path);
			return;
		}
	cal->part[cal->npart++] = ph;
}

/* Read calendars.NAME.holidays into cal (sorted): dates and part-day maps. */
static void load_holidays(struct ploader *ld, struct hd_calendar *cal,
			  const struct hd_ynode *h, const char *path)
{
	size_t i, j;

	if (hd_ynode_is_null(h))
		return;
	if (h->type != HD_Y_SEQ) {
		pl_err(ld, h, "%s must be a list of dates like [2026-12-25, { date: 2026-12-24, "
		       "from: \"13:00\" }], not %s",
		       path, hd_ynode_type_name(h));
		return;
	}
	if (h->n > HD_CAL_MAX_HOLIDAYS) {
		pl_err(ld, h, "too many holidays in %s (limit %d)", path, HD_CAL_MAX_HOLIDAYS);
		return;
	}
	cal->holidays = xcalloc(h->n, sizeof(long));
	cal->part = xcalloc(h->n, sizeof(*cal->part));
	for (i = 0; i < h->n; i++) {
		const struct hd_ynode *it = h->items[i];
		long day;

		if (it->type == HD_Y_MAP) {
			load_part_holiday(ld, cal, it, path);
			continue;
		}

		if (it->type != HD_Y_SCALAR || !pl_parse_date(it->scalar, &day)) {
			pl_err(ld, it, "bad date '%s' for %s (expected a real date as YYYY-MM-DD, "
			       "like 2026-12-25)", it->type == HD_Y_SCALAR ? it->scalar : "",
			       path);
			continue;
		}
		for (j = 0; j < cal->nholidays; j++)
			if (cal->holidays[j] == day)
				break;
		if (j < cal->nholidays) {
			pl_err(ld, it, "duplicate holiday '%s' in %s", it->scalar, path);
			continue;
		}
		cal->holidays[cal->nholidays++] = day;
	}
	qsort(cal->holidays, cal->nholidays, sizeof(long), long_cmp);
	qsort(cal->part, cal->npart, sizeof(*cal->part), part_cmp);
}

/* Read calendars.NAME.holidays_ics: its all-day events join the holidays
   (a day listed twice is one holiday), timed events become closed periods. */
static void load_holidays_ics(struct ploader *ld, struct hd_calendar *cal,
			      const struct hd_ynode *n, const char *path)
{
	const char *file = pl_want_scalar(ld, n, path, "the path of an iCalendar file");
	long *days = NULL;
	size_t ndays = 0, j, k;
	char *err = NULL;

	char *full;
	const char *slash;

	if (file == NULL)
		return;
	/* a relative path is read next to the policy file */
	slash = ld->file ? strrchr(ld->file, '/') : NULL;
	full = file[0] != '/' && slash != NULL ?
	       xasprintf("%.*s/%s", (int)(slash - ld->file), ld->file, file) : xstrdup(file);
	if (!hd_calendar_ics_read(cal, full, &days, &ndays, &err)) {
		pl_err(ld, n, "%s: %s", path, err);
		free(err);
		free(full);
		return;
	}
	free(full);
	if (cal->nholidays + ndays > HD_CAL_MAX_HOLIDAYS) {
		pl_err(ld, n, "too many holidays in %s with the policy's own (limit %d)", path,
		       HD_CAL_MAX_HOLIDAYS);
		free(days);
		return;
	}
	cal->holidays = xrealloc(cal->holidays, (cal->nholidays + ndays + 1) * sizeof(long));
	memcpy(cal->holidays + cal->nholidays, days, ndays * sizeof(long));
	cal->nholidays += ndays;
	free(days);
	qsort(cal->holidays, cal->nholidays, sizeof(long), long_cmp);
	for (j = 0, k = 0; j < cal->nholidays; j++)
		if (k == 0 || cal->holidays[k - 1] != cal->holidays[j])
			cal->holidays[k++] = cal->holidays[j];
	cal->nholidays = k;
	hd_calendar_closed_normalise(cal);
}

/* calendars: name -> { timezone, hours, holidays }. */
void pl_load_calendars(struct ploader *ld, const struct hd_ynode *root)
{
	const struct hd_ynode *cals;
	struct hd_policy *p = ld->p;
	size_t i;

	cals = pl_get_map(ld, root, "calendars", "calendars", "name: { timezone, hours, holidays }",
			  NULL);
	if (cals == NULL)
		return;
	p->calendars = xcalloc(cals->n, sizeof(*p->calendars));
	for (i = 0; i < cals->n; i++) {
		if (pl_key_repeated(cals, i))
			continue;	/* reported by pl_check_keys */
		const struct hd_ynode *v = cals->items[i], *tzn;
		char *path = pl_path_key("calendars", cals->keys[i]->scalar);
		struct hd_calendar *cal;
		const char *tzname;

		if (pl_want_name(ld, cals->keys[i], "calendars") == NULL ||
		    !pl_want_map_keys(ld, v, path, "timezone, hours, holidays, holidays_ics", CAL_KEYS)) {
			free(path);
			continue;
		}
		cal = xcalloc(1, sizeof(*cal));
		cal->name = xstrdup(cals->keys[i]->scalar);
		p->calendars[p->ncalendars++] = cal;
		tzn = pl_want_key(ld, v, "timezone", path, "an IANA time zone like Europe/London");
		if (tzn != NULL) {
			char *tp = pl_path_key(path, "timezone");

			tzname = pl_want_scalar(ld, tzn, tp, "an IANA time zone like Europe/London");
			if (tzname != NULL) {
				char *err = NULL;

				cal->timezone = xstrdup(tzname);
				cal->tz = hd_tz_load(tzname, NULL, &err);
				if (cal->tz == NULL)
					pl_err(ld, tzn, "unknown time zone '%s' for %s (expected an IANA "
					       "name like Europe/London or UTC)", tzname, tp);
				free(err);
			}
			free(tp);
		}
		if (pl_want_key(ld, v, "hours", path, "open hours per weekday") != NULL) {
			char *hp = pl_path_key(path, "hours");

			load_hours(ld, cal, hd_ymap_get(v, "hours"), hp);
			free(hp);
		}
		if (hd_ymap_get(v, "holidays") != NULL) {
			char *hp = pl_path_key(path, "holidays");

			load_holidays(ld, cal, hd_ymap_get(v, "holidays"), hp);
			free(hp);
		}
		if (hd_ymap_get(v, "holidays_ics") != NULL && cal->tz != NULL) {
			char *hp = pl_path_key(path, "holidays_ics");

			load_holidays_ics(ld, cal, hd_ymap_get(v, "holidays_ics"), hp);
			free(hp);
		}
		free(path);
	}
}

/* Names of the defined calendars. */
static void calendar_names(const struct hd_policy *p, struct strvec *sv)
{
	size_t i;

	sv_init(sv);
	for (i = 0; i < p->ncalendars; i++)
		sv_push(sv, p->calendars[i]->name);
}

/* Resolve a calendar reference; NULL after an error. */
const struct hd_calendar *pl_want_calendar(struct ploader *ld, const struct hd_ynode *n,
					   const char *path)
{
	const char *name = pl_want_scalar(ld, n, path, "a calendar name");
	const struct hd_calendar *cal;
	struct strvec defined;

	if (name == NULL)
		return NULL;
	cal = hd_policy_calendar(ld->p, name);
	if (cal == NULL) {
		calendar_names(ld->p, &defined);
		pl_bad_ref(ld, n, "calendar", name, path, &defined);
		sv_free(&defined);
	}
	return cal;
}

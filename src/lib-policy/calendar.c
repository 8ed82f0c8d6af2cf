/*
 * calendar - business-hours arithmetic over open intervals per weekday,
 * whole-day and part-day holidays, closed periods and a time zone (SPEC s.7).
 * A part-day holiday's local times are mapped to UTC like open hours, and a
 * closed period is already in UTC, so both stay exact across DST. Open time is real elapsed
 * seconds between UTC instants: every local day's intervals are mapped to UTC
 * with hd_tz_from_local, so a 09:00-17:00 day stays 8 hours across a DST
 * change while a 00:00-24:00 day lasts 23 or 25 hours.
 * Pure computation: must never do I/O, log, or keep state between calls.
 */
#include <config.h>
#include "calendar.h"
#include "tz.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* An open interval of one local day mapped to UTC: [start, end). */
struct hd_span {
	time_t start, end;
};

/* Floor division of an instant into days. */
static long floor_days(time_t t)
{
	return (long)(t >= 0 ? t / 86400 : -((-(t + 1)) / 86400) - 1);
}

/* Weekday (0 = Sunday) of a day number; 1970-01-01 was a Thursday. */
static int cal_weekday(long day)
{
	return (int)(((day % 7) + 11) % 7);
}

/* Local day number (days_from_civil) of an instant in the calendar's zone. */
static long cal_local_day(const struct hd_calendar *cal, time_t t)
{
	struct hd_localtime lt;

	if (cal->tz == NULL)
		return floor_days(t);
	hd_tz_to_local(cal->tz, t, &lt);
	return days_from_civil(lt.year, lt.month, lt.day);
}

/* UTC instant of `minute` minutes after local midnight of a local day. */
static time_t cal_from_local(const struct hd_calendar *cal, long day, int minute)
{
	int y, m, d;

	if (cal->tz == NULL)
		return (time_t)day * 86400 + (time_t)minute * 60;
	civil_from_days(day, &y, &m, &d);
	return hd_tz_from_local(cal->tz, y, m, d, 0, minute, 0);
}

/* Order of two day numbers, for bsearch. */
static int cal_day_cmp(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;
	return x < y ? -1 : x > y;
}

/* True when the local day is a holiday. */
static bool cal_is_holiday(const struct hd_calendar *cal, long day)
{
	size_t n = cal->nholidays < HD_CAL_MAX_HOLIDAYS ? cal->nholidays : HD_CAL_MAX_HOLIDAYS;

	if (cal->holidays == NULL || n == 0)
		return false;
	return bsearch(&day, cal->holidays, n, sizeof(long), cal_day_cmp) != NULL;
}

/* Order of a day number and a part-day holiday, for bsearch. */
static int cal_part_cmp(const void *a, const void *b)
{
	long x = *(const long *)a, y = ((const struct hd_part_holiday *)b)->day;
	return x < y ? -1 : x > y;
}

/* Cut the closed period [a, b) out of n spans (in order); returns the new
   count. A split that does not fit ends the day at a (closes more, never
   less). */
static size_t cal_cut(struct hd_span *sp, size_t n, time_t a, time_t b)
{
	for (size_t i = 0; i < n && b > a; i++) {
		if (sp[i].end <= a || sp[i].start >= b)
			continue;
		if (sp[i].start >= a && sp[i].end <= b) {		/* wholly closed */
			memmove(&sp[i], &sp[i + 1], (n - i - 1) * sizeof(*sp));
			n--;
			i--;
		} else if (sp[i].start < a && sp[i].end > b) {		/* split in two */
			if (n == HD_CAL_MAX_SPANS_PER_DAY) {
				sp[i].end = a;
				return i + 1;
			}
			memmove(&sp[i + 2], &sp[i + 1], (n - i - 1) * sizeof(*sp));
			sp[i + 1].start = b;
			sp[i + 1].end = sp[i].end;
			sp[i].end = a;
			n++;
			i++;
		} else if (sp[i].start < a) {
			sp[i].end = a;
		} else {
			sp[i].start = b;
		}
	}
	return n;
}

/* Cut the day's part-day holiday and the closed periods out of its spans. */
static size_t cal_cut_closures(const struct hd_calendar *cal, long day, struct hd_span *sp,
			       size_t n)
{
	const struct hd_part_holiday *ph;
	size_t lo = 0, hi = cal->nclosed;

	if (n == 0)
		return 0;
	ph = cal->npart ? bsearch(&day, cal->part, cal->npart, sizeof(*cal->part),
				   cal_part_cmp) : NULL;
	if (ph != NULL)
		n = cal_cut(sp, n, cal_from_local(cal, day, ph->from),
			    cal_from_local(cal, day, ph->until));
	/* first closed period ending after the day's first open instant */
	while (n > 0 && lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cal->closed[mid].end <= sp[0].start)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; n > 0 && i < cal->nclosed && cal->closed[i].start < sp[n - 1].end; i++)
		n = cal_cut(sp, n, cal->closed[i].start, cal->closed[i].end);
	return n;
}

/* The open spans of one local day in UTC, in order; empty spans (an interval
   swallowed by a DST gap) and malformed intervals are left out, holidays and
   closed periods cut out. */
static size_t cal_day_spans(const struct hd_calendar *cal, long day,
			    struct hd_span out[HD_CAL_MAX_SPANS_PER_DAY])
{
	int wday = cal_weekday(day);
	size_t n = cal->nhours[wday], k = 0;

	if (n > HD_CAL_MAX_INTERVALS_PER_DAY)
		n = HD_CAL_MAX_INTERVALS_PER_DAY;
	if (n == 0 || cal_is_holiday(cal, day))
		return 0;
	for (size_t i = 0; i < n; i++) {
		const struct hd_interval *iv = &cal->hours[wday][i];
		time_t s, e;

		if (iv->start < 0 || iv->end > 1440 || iv->start >= iv->end)
			continue;
		s = cal_from_local(cal, day, iv->start);
		e = cal_from_local(cal, day, iv->end);
		if (k > 0 && s < out[k - 1].end)
			s = out[k - 1].end;	/* never count time twice */
		if (e <= s)
			continue;
		out[k].start = s;
		out[k].end = e;
		k++;
	}
	return cal_cut_closures(cal, day, out, k);
}

/* True when t falls inside open hours (start inclusive, end exclusive). */
bool hd_calendar_is_open(const struct hd_calendar *cal, time_t t)
{
	struct hd_span sp[HD_CAL_MAX_SPANS_PER_DAY];
	long d = cal_local_day(cal, t);

	/* Neighbouring days too: a zone may move midnight across t. */
	for (long day = d - 1; day <= d + 1; day++) {
		size_t n = cal_day_spans(cal, day, sp);
		for (size_t i = 0; i < n; i++)
			if (sp[i].start <= t && t < sp[i].end)
				return true;
	}
	return false;
}

/* The instant at which `minutes` of open (or wall) time has elapsed. */
bool hd_calendar_add(const struct hd_calendar *cal, time_t received, long minutes,
		     bool wall, time_t *deadline_r)
{
	if (minutes > HD_CAL_MAX_MINUTES)
		return false;
	return hd_calendar_add_seconds(cal, received, minutes < 0 ? 0 : minutes * 60L, wall,
				       deadline_r);
}

/* The instant at which `seconds` of open (or wall) time has elapsed. */
bool hd_calendar_add_seconds(const struct hd_calendar *cal, time_t received, long seconds,
			     bool wall, time_t *deadline_r)
{
	struct hd_span sp[HD_CAL_MAX_SPANS_PER_DAY];
	long day, empty = 0;
	time_t need;

	if (seconds < 0)
		seconds = 0;
	if (seconds > HD_CAL_MAX_MINUTES * 60)
		return false;
	need = (time_t)seconds;
	if (wall) {
		*deadline_r = received + need;
		return true;
	}
	/* Start a day early: the previous local day's hours may still run. */
	day = cal_local_day(cal, received) - 1;
	for (long walked = 0; walked < HD_CAL_MAX_WALK_DAYS; walked++, day++) {
		size_t n = cal_day_spans(cal, day, sp);
		bool open = false;

		for (size_t i = 0; i < n; i++) {
			time_t from;

			if (sp[i].end <= received)
				continue;
			open = true;
			from = sp[i].start > received ? sp[i].start : received;
			if (sp[i].end - from >= need) {
				*deadline_r = from + need;
				return true;
			}
			need -= sp[i].end - from;
		}
		if (open)
			empty = 0;
		else if (++empty > HD_CAL_MAX_SEARCH_DAYS)
			return false;
	}
	return false;
}

/* Open seconds between from and to; wall = the plain difference. */
long hd_calendar_elapsed(const struct hd_calendar *cal, time_t from, time_t to, bool wall)
{
	struct hd_span sp[HD_CAL_MAX_SPANS_PER_DAY];
	long first, last, total = 0;

	if (to <= from)
		return 0;
	if (wall)
		return (long)(to - from);
	if (to - from > (time_t)HD_CAL_MAX_WALK_DAYS * 86400)
		to = from + (time_t)HD_CAL_MAX_WALK_DAYS * 86400;
	first = cal_local_day(cal, from) - 1;
	last = cal_local_day(cal, to) + 1;
	for (long day = first; day <= last; day++) {
		size_t n = cal_day_spans(cal, day, sp);
		for (size_t i = 0; i < n; i++) {
			time_t s = sp[i].start > from ? sp[i].start : from;
			time_t e = sp[i].end < to ? sp[i].end : to;
			if (e > s)
				total += (long)(e - s);
		}
	}
	return total;
}

/* Order closed periods by start. */
static int cal_closed_cmp(const void *a, const void *b)
{
	const struct hd_closed *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* Sort and merge the closed periods; empty ones are dropped. */
void hd_calendar_closed_normalise(struct hd_calendar *cal)
{
	size_t j = 0;

	qsort(cal->closed, cal->nclosed, sizeof(*cal->closed), cal_closed_cmp);
	for (size_t i = 0; i < cal->nclosed; i++) {
		if (cal->closed[i].end <= cal->closed[i].start)
			continue;
		if (j > 0 && cal->closed[i].start <= cal->closed[j - 1].end) {
			if (cal->closed[i].end > cal->closed[j - 1].end)
				cal->closed[j - 1].end = cal->closed[i].end;
			continue;
		}
		cal->closed[j++] = cal->closed[i];
	}
	cal->nclosed = j;
}

/* Free a calendar's contents and the calendar; sets *cal to NULL. */
void hd_calendar_deinit(struct hd_calendar **cal)
{
	if (cal == NULL || *cal == NULL)
		return;
	free((*cal)->name);
	free((*cal)->timezone);
	hd_tz_deinit(&(*cal)->tz);
	free((*cal)->holidays);
	free((*cal)->part);
	free((*cal)->closed);
	free(*cal);
	*cal = NULL;
}

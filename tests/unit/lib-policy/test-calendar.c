/* test-calendar - business-hours deadlines and elapsed open time (SPEC s.7)
   with real zone data. Calendars are built by hand from calendar.h fields.
   Weekdays used below: 2026-03-27 Fri, 03-28 Sat, 03-29 Sun (London DST
   starts 01:00Z), 03-30 Mon; 2026-03-06 Fri, 03-08 Sun (New York DST starts
   07:00Z), 03-09 Mon; 2026-10-25 Sun (London DST ends 01:00Z); 2026-10-30
   Fri, 11-01 Sun (New York DST ends 06:00Z), 11-02 Mon; 2026-11-30 Mon;
   2026-12-24 Thu, 12-25 Fri, 12-28 Mon, 12-29 Tue. London is on GMT (= UTC)
   in November and December. */
#include <config.h>
#include <check.h>
#include "check-run.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "calendar.h"
#include "calendar-ics.h"
#include "tz.h"
#include "util.h"

enum { SUN, MON, TUE, WED, THU, FRI, SAT };

/* UTC instant of a civil date-time. */
static time_t utc(int y, int mo, int d, int h, int mi)
{
	return (time_t)days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60;
}

/* A calendar with no hours in the named zone. */
static struct hd_calendar *cal_new(const char *zone)
{
	struct hd_calendar *cal = xcalloc(1, sizeof(*cal));
	char *err = NULL;

	cal->name = xstrdup("test");
	cal->timezone = xstrdup(zone);
	cal->tz = hd_tz_load(zone, NULL, &err);
	ck_assert_msg(cal->tz != NULL, "%s", err ? err : "?");
	return cal;
}

/* Append the interval h1:m1-h2:m2 to weekdays from..to. */
static void cal_hours(struct hd_calendar *cal, int from, int to, int h1, int m1, int h2, int m2)
{
	for (int d = from; d <= to; d++) {
		cal->hours[d][cal->nhours[d]].start = h1 * 60 + m1;
		cal->hours[d][cal->nhours[d]].end = h2 * 60 + m2;
		cal->nhours[d]++;
	}
}

/* Add a holiday (dates must be added in ascending order). */
static void cal_holiday(struct hd_calendar *cal, int y, int m, int d)
{
	cal->holidays = xrealloc(cal->holidays, (cal->nholidays + 1) * sizeof(long));
	cal->holidays[cal->nholidays++] = days_from_civil(y, m, d);
}

/* Expect the deadline of `minutes` from received to be want. */
static void expect_add(const struct hd_calendar *cal, time_t received, long minutes, bool wall,
		       time_t want)
{
	time_t got = 0;
	char r[32], g[32], w[32];

	time_format_utc(received, r);
	time_format_utc(want, w);
	ck_assert_msg(hd_calendar_add(cal, received, minutes, wall, &got),
		      "%s + %ldm: no deadline, want %s", r, minutes, w);
	time_format_utc(got, g);
	ck_assert_msg(got == want, "%s + %ldm%s: got %s, want %s", r, minutes,
		      wall ? " wall" : "", g, w);
}

/* London office hours mon-fri 09:00-17:30 with the SPEC holidays. */
static struct hd_calendar *london_office(void)
{
	struct hd_calendar *cal = cal_new("Europe/London");

	cal_hours(cal, MON, FRI, 9, 0, 17, 30);
	cal_holiday(cal, 2026, 12, 25);
	cal_holiday(cal, 2026, 12, 28);
	return cal;
}

/* Receipt before opening, inside, at and after closing. */
START_TEST(receipt_times)
{
	struct hd_calendar *cal = london_office();

	/* Tue 12-01 07:00 (closed): clock starts 09:00; +1h = 10:00. */
	expect_add(cal, utc(2026, 12, 1, 7, 0), 60, false, utc(2026, 12, 1, 10, 0));
	/* Tue 10:15 (open): +1h = 11:15. */
	expect_add(cal, utc(2026, 12, 1, 10, 15), 60, false, utc(2026, 12, 1, 11, 15));
	/* Tue 17:00: 30 min left today, 30 min from Wed 09:00 -> Wed 09:30. */
	expect_add(cal, utc(2026, 12, 1, 17, 0), 60, false, utc(2026, 12, 2, 9, 30));
	/* Exactly 17:30 is closed: starts Wed 09:00 -> 10:00. */
	expect_add(cal, utc(2026, 12, 1, 17, 30), 60, false, utc(2026, 12, 2, 10, 0));
	/* Tue 18:00 -> Wed 10:00. */
	expect_add(cal, utc(2026, 12, 1, 18, 0), 60, false, utc(2026, 12, 2, 10, 0));
	/* Exactly 8h30 from 09:00 ends at the close, 17:30. */
	expect_add(cal, utc(2026, 12, 1, 9, 0), 510, false, utc(2026, 12, 1, 17, 30));
	/* Zero minutes: the first open instant at or after receipt. */
	expect_add(cal, utc(2026, 12, 1, 10, 15), 0, false, utc(2026, 12, 1, 10, 15));
	expect_add(cal, utc(2026, 12, 1, 17, 30), 0, false, utc(2026, 12, 2, 9, 0));

	ck_assert(!hd_calendar_is_open(cal, utc(2026, 12, 1, 8, 59) + 59));
	ck_assert(hd_calendar_is_open(cal, utc(2026, 12, 1, 9, 0)));
	ck_assert(hd_calendar_is_open(cal, utc(2026, 12, 1, 17, 29) + 59));
	ck_assert(!hd_calendar_is_open(cal, utc(2026, 12, 1, 17, 30)));
	ck_assert(!hd_calendar_is_open(cal, utc(2026, 12, 5, 12, 0)));	/* Saturday */
	hd_calendar_deinit(&cal);
	ck_assert_ptr_null(cal);
}
END_TEST

/* Weekends and a target spanning several days. */
START_TEST(weekend_and_multiday)
{
	struct hd_calendar *cal = london_office();

	/* Fri 12-04 16:00 + 4h: 1h30 Friday, 2h30 from Mon 12-07 09:00 -> 11:30. */
	expect_add(cal, utc(2026, 12, 4, 16, 0), 240, false, utc(2026, 12, 7, 11, 30));
	/* Sat 12-05 12:00 + 1h -> Mon 10:00. */
	expect_add(cal, utc(2026, 12, 5, 12, 0), 60, false, utc(2026, 12, 7, 10, 0));
	/* Mon 11-30 09:00 + 40h: Mon-Thu 4 x 8h30 = 34h, 6h on Fri 12-04 -> 15:00. */
	expect_add(cal, utc(2026, 11, 30, 9, 0), 2400, false, utc(2026, 12, 4, 15, 0));
	/* Wed 12-02 12:00 + 40h: Wed 5h30, Thu+Fri 17h (22h30), Mon+Tue 17h
	   (39h30), 30 min on Wed 12-09 -> 09:30. */
	expect_add(cal, utc(2026, 12, 2, 12, 0), 2400, false, utc(2026, 12, 9, 9, 30));
	hd_calendar_deinit(&cal);
}
END_TEST

/* Holidays are whole closed days; 12-25 (Fri) + weekend + 12-28 (Mon). */
START_TEST(holidays)
{
	struct hd_calendar *cal = london_office();

	/* Thu 12-24 17:00 + 8h: 30 min Thursday, then Tue 12-29 09:00 + 7h30 = 16:30. */
	expect_add(cal, utc(2026, 12, 24, 17, 0), 480, false, utc(2026, 12, 29, 16, 30));
	/* Received on the holiday itself. */
	expect_add(cal, utc(2026, 12, 25, 10, 0), 60, false, utc(2026, 12, 29, 10, 0));
	ck_assert(!hd_calendar_is_open(cal, utc(2026, 12, 25, 10, 0)));
	ck_assert(!hd_calendar_is_open(cal, utc(2026, 12, 28, 10, 0)));
	ck_assert(hd_calendar_is_open(cal, utc(2026, 12, 29, 10, 0)));
	/* Elapsed open time from Thu 12-24 17:00 to Tue 12-29 10:00: 30 min + 1h. */
	ck_assert_int_eq(hd_calendar_elapsed(cal, utc(2026, 12, 24, 17, 0),
					     utc(2026, 12, 29, 10, 0), false), 5400);
	hd_calendar_deinit(&cal);
}
END_TEST

/* Wall clock: received + minutes exactly, holidays and nights included. */
START_TEST(wall_clock)
{
	struct hd_calendar *cal = london_office();

	expect_add(cal, utc(2026, 12, 25, 10, 0), 60, true, utc(2026, 12, 25, 11, 0));
	expect_add(cal, utc(2026, 12, 24, 17, 0), 480, true, utc(2026, 12, 25, 1, 0));
	/* Across London's spring change: 1h wall = 3600 s. */
	expect_add(cal, utc(2026, 3, 29, 0, 30), 60, true, utc(2026, 3, 29, 1, 30));
	ck_assert_int_eq(hd_calendar_elapsed(cal, utc(2026, 12, 24, 17, 0),
					     utc(2026, 12, 29, 10, 0), true),
			 (long)(utc(2026, 12, 29, 10, 0) - utc(2026, 12, 24, 17, 0)));
	hd_calendar_deinit(&cal);
}
END_TEST

/* London DST: office hours keep their local times; open time is real time. */
START_TEST(london_dst)
{
	struct hd_calendar *cal = london_office();
	struct hd_calendar *all = cal_new("Europe/London");
	struct hd_calendar *sundays = cal_new("Europe/London");
	struct hd_calendar *daily = cal_new("Europe/London");

	/* Fri 03-27 16:00 GMT(=Z) + 4h: 1h30 Friday; Mon 03-30 opens 09:00 BST
	   = 08:00Z; 2h30 later = 10:30Z (11:30 BST). */
	expect_add(cal, utc(2026, 3, 27, 16, 0), 240, false, utc(2026, 3, 30, 10, 30));
	/* Mon 03-30 09:00 BST = 08:00Z is open, 07:59Z is not; 17:30 BST = 16:30Z closes. */
	ck_assert(hd_calendar_is_open(cal, utc(2026, 3, 30, 8, 0)));
	ck_assert(!hd_calendar_is_open(cal, utc(2026, 3, 30, 7, 59)));
	ck_assert(hd_calendar_is_open(cal, utc(2026, 3, 30, 16, 29)));
	ck_assert(!hd_calendar_is_open(cal, utc(2026, 3, 30, 16, 30)));
	/* Autumn: Fri 10-23 16:00 BST = 15:00Z + 4h: 1h30 Friday (to 16:30Z);
	   Mon 10-26 09:00 GMT = 09:00Z + 2h30 = 11:30Z. */
	expect_add(cal, utc(2026, 10, 23, 15, 0), 240, false, utc(2026, 10, 26, 11, 30));

	/* 24x7 in London: 24h of open time from Sat 03-28 12:00Z is 24 real
	   hours later, 03-29 12:00Z, though the local clock moved 25h. */
	cal_hours(all, SUN, SAT, 0, 0, 24, 0);
	expect_add(all, utc(2026, 3, 28, 12, 0), 1440, false, utc(2026, 3, 29, 12, 0));
	expect_add(all, utc(2026, 10, 24, 12, 0), 1440, false, utc(2026, 10, 25, 12, 0));
	/* Any receipt time, any target: the same as wall time. */
	for (time_t t = utc(2026, 3, 20, 0, 0); t < utc(2026, 11, 1, 0, 0); t += 7 * 3600 + 60)
		expect_add(all, t, 90, false, t + 5400);
	ck_assert_int_eq(hd_calendar_elapsed(all, utc(2026, 3, 28, 0, 0), utc(2026, 3, 30, 0, 0),
					     false), 2 * 86400);

	/* Open only on Sundays 00:00-24:00: the spring-forward Sunday lasts 23h
	   (03-29 00:00Z .. 23:00Z), the fall-back Sunday 25h (10-24 23:00Z ..
	   10-26 00:00Z). Counted over the whole surrounding week. */
	cal_hours(sundays, SUN, SUN, 0, 0, 24, 0);
	ck_assert_int_eq(hd_calendar_elapsed(sundays, utc(2026, 3, 25, 0, 0),
					     utc(2026, 4, 1, 0, 0), false), 23 * 3600);
	ck_assert_int_eq(hd_calendar_elapsed(sundays, utc(2026, 10, 21, 0, 0),
					     utc(2026, 10, 28, 0, 0), false), 25 * 3600);
	/* 23h from Sat 03-28 12:00Z ends at the close, 03-29 23:00Z; 24h rolls
	   over to the next Sunday 04-05 00:00 BST = 04-04 23:00Z, +1h = 04-05 00:00Z. */
	expect_add(sundays, utc(2026, 3, 28, 12, 0), 23 * 60, false, utc(2026, 3, 29, 23, 0));
	expect_add(sundays, utc(2026, 3, 28, 12, 0), 24 * 60, false, utc(2026, 4, 5, 0, 0));

	/* Daily 09:00-17:00: the DST Sundays still give 8h
	   (03-29 08:00Z-16:00Z BST; 10-25 09:00Z-17:00Z GMT). */
	cal_hours(daily, SUN, SAT, 9, 0, 17, 0);
	ck_assert_int_eq(hd_calendar_elapsed(daily, utc(2026, 3, 29, 0, 0), utc(2026, 3, 30, 0, 0),
					     false), 8 * 3600);
	ck_assert_int_eq(hd_calendar_elapsed(daily, utc(2026, 10, 25, 0, 0), utc(2026, 10, 26, 0, 0),
					     false), 8 * 3600);
	/* Sat 03-28 16:00 GMT + 2h: 1h Saturday, Sunday 08:00Z + 1h = 09:00Z. */
	expect_add(daily, utc(2026, 3, 28, 16, 0), 120, false, utc(2026, 3, 29, 9, 0));

	hd_calendar_deinit(&cal);
	hd_calendar_deinit(&all);
	hd_calendar_deinit(&sundays);
	hd_calendar_deinit(&daily);
}
END_TEST

/* New York DST, office hours mon-fri 09:00-17:00. */
START_TEST(new_york_dst)
{
	struct hd_calendar *cal = cal_new("America/New_York");
	struct hd_calendar *all = cal_new("America/New_York");

	cal_hours(cal, MON, FRI, 9, 0, 17, 0);
	/* Fri 03-06 15:00 EST = 20:00Z + 4h: 2h Friday (to 22:00Z); Mon 03-09
	   09:00 EDT = 13:00Z + 2h = 15:00Z. */
	expect_add(cal, utc(2026, 3, 6, 20, 0), 240, false, utc(2026, 3, 9, 15, 0));
	/* Fri 10-30 15:00 EDT = 19:00Z + 4h: 2h Friday (to 21:00Z); Mon 11-02
	   09:00 EST = 14:00Z + 2h = 16:00Z. */
	expect_add(cal, utc(2026, 10, 30, 19, 0), 240, false, utc(2026, 11, 2, 16, 0));
	/* Elapsed across that weekend: Fri 19:00Z..21:00Z + Mon 14:00Z..16:00Z. */
	ck_assert_int_eq(hd_calendar_elapsed(cal, utc(2026, 10, 30, 19, 0),
					     utc(2026, 11, 2, 16, 0), false), 4 * 3600);
	ck_assert(hd_calendar_is_open(cal, utc(2026, 11, 2, 14, 0)));
	ck_assert(!hd_calendar_is_open(cal, utc(2026, 11, 2, 13, 59)));

	/* 24x7: 24h from Sat 03-07 12:00Z is 03-08 12:00Z. */
	cal_hours(all, SUN, SAT, 0, 0, 24, 0);
	expect_add(all, utc(2026, 3, 7, 12, 0), 1440, false, utc(2026, 3, 8, 12, 0));
	expect_add(all, utc(2026, 10, 31, 12, 0), 1440, false, utc(2026, 11, 1, 12, 0));
	hd_calendar_deinit(&cal);
	hd_calendar_deinit(&all);
}
END_TEST

/* 24x7 UTC: open time is wall time. */
START_TEST(always_utc)
{
	struct hd_calendar *cal = cal_new("UTC");

	cal_hours(cal, SUN, SAT, 0, 0, 24, 0);
	/* Thu 12-24 17:00 + 40h = Sat 12-26 09:00. */
	expect_add(cal, utc(2026, 12, 24, 17, 0), 2400, false, utc(2026, 12, 26, 9, 0));
	expect_add(cal, utc(2026, 12, 31, 23, 30), 60, false, utc(2027, 1, 1, 0, 30));
	ck_assert(hd_calendar_is_open(cal, utc(2026, 12, 27, 0, 0)));
	ck_assert_int_eq(hd_calendar_elapsed(cal, utc(2026, 12, 24, 17, 0),
					     utc(2026, 12, 29, 10, 0), false),
			 (long)(utc(2026, 12, 29, 10, 0) - utc(2026, 12, 24, 17, 0)));
	hd_calendar_deinit(&cal);
}
END_TEST

/* Split days: 09:00-12:00 and 13:00-17:00 (UTC). */
START_TEST(split_days)
{
	struct hd_calendar *cal = cal_new("UTC");

	cal_hours(cal, MON, FRI, 9, 0, 12, 0);
	cal_hours(cal, MON, FRI, 13, 0, 17, 0);
	/* Mon 11-30 11:00 + 2h: 1h to noon, 1h from 13:00 -> 14:00. */
	expect_add(cal, utc(2026, 11, 30, 11, 0), 120, false, utc(2026, 11, 30, 14, 0));
	/* Received at lunch 12:30 + 1h -> 14:00. */
	expect_add(cal, utc(2026, 11, 30, 12, 30), 60, false, utc(2026, 11, 30, 14, 0));
	/* 3h from 09:00 ends exactly at noon. */
	expect_add(cal, utc(2026, 11, 30, 9, 0), 180, false, utc(2026, 11, 30, 12, 0));
	/* 8h from 09:00 = 7h Monday, 1h Tuesday -> Tue 10:00. */
	expect_add(cal, utc(2026, 11, 30, 9, 0), 480, false, utc(2026, 12, 1, 10, 0));
	ck_assert(!hd_calendar_is_open(cal, utc(2026, 11, 30, 12, 30)));
	ck_assert(hd_calendar_is_open(cal, utc(2026, 11, 30, 13, 0)));
	/* Whole Monday: 3h + 4h. */
	ck_assert_int_eq(hd_calendar_elapsed(cal, utc(2026, 11, 30, 0, 0), utc(2026, 12, 1, 0, 0),
					     false), 7 * 3600);
	hd_calendar_deinit(&cal);
}
END_TEST

/* Monday 18:00-24:00 then Tuesday 00:00-06:00 form one continuous shift. */
START_TEST(through_midnight)
{
	struct hd_calendar *cal = cal_new("UTC");

	cal_hours(cal, MON, MON, 18, 0, 24, 0);
	cal_hours(cal, TUE, TUE, 0, 0, 6, 0);
	/* Mon 11-30 23:00 + 2h: 1h Monday, 1h Tuesday -> Tue 01:00. */
	expect_add(cal, utc(2026, 11, 30, 23, 0), 120, false, utc(2026, 12, 1, 1, 0));
	/* + 7h: 1h Monday + the whole 6h Tuesday -> Tue 06:00. */
	expect_add(cal, utc(2026, 11, 30, 23, 0), 420, false, utc(2026, 12, 1, 6, 0));
	/* + 8h: the next shift starts Mon 12-07 18:00 -> 19:00. */
	expect_add(cal, utc(2026, 11, 30, 23, 0), 480, false, utc(2026, 12, 7, 19, 0));
	/* 1h before midnight on Monday ends at 24:00 = Tue 00:00. */
	expect_add(cal, utc(2026, 11, 30, 23, 0), 60, false, utc(2026, 12, 1, 0, 0));
	ck_assert(hd_calendar_is_open(cal, utc(2026, 12, 1, 0, 0)));
	ck_assert(hd_calendar_is_open(cal, utc(2026, 11, 30, 23, 59)));
	ck_assert(!hd_calendar_is_open(cal, utc(2026, 12, 1, 6, 0)));
	/* Mon 22:00 .. Tue 02:00 = 4h. */
	ck_assert_int_eq(hd_calendar_elapsed(cal, utc(2026, 11, 30, 22, 0), utc(2026, 12, 1, 2, 0),
					     false), 4 * 3600);
	hd_calendar_deinit(&cal);
}
END_TEST

/* No open hours, or none within HD_CAL_MAX_SEARCH_DAYS: no deadline. */
START_TEST(never_open)
{
	struct hd_calendar *cal = cal_new("Europe/London");
	time_t got = 12345;
	long monday = days_from_civil(2026, 11, 30);

	ck_assert(!hd_calendar_add(cal, utc(2026, 12, 1, 10, 0), 60, false, &got));
	ck_assert_int_eq(got, 12345);
	ck_assert_int_eq(hd_calendar_elapsed(cal, utc(2026, 1, 1, 0, 0), utc(2027, 1, 1, 0, 0),
					     false), 0);
	ck_assert(!hd_calendar_is_open(cal, utc(2026, 12, 1, 10, 0)));
	/* Wall clock needs no hours. */
	expect_add(cal, utc(2026, 12, 1, 10, 0), 60, true, utc(2026, 12, 1, 11, 0));

	/* Open Mondays 09:00-10:00 (GMT in winter), but the next 300 Mondays
	   (2100 days > HD_CAL_MAX_SEARCH_DAYS = 1830) are holidays. */
	cal_hours(cal, MON, MON, 9, 0, 10, 0);
	cal->holidays = xmalloc(300 * sizeof(long));
	for (int w = 0; w < 300; w++)
		cal->holidays[w] = monday + 7L * w;
	cal->nholidays = 300;
	ck_assert(!hd_calendar_add(cal, utc(2026, 11, 30, 8, 0), 60, false, &got));
	/* Only 200 Mondays (1400 days): the first open Monday is 2026-11-30 +
	   1400 days = 2030-09-30, in BST: 09:00 BST = 08:00Z, +1h = 09:00Z. */
	cal->nholidays = 200;
	ck_assert_int_eq(monday + 1400, days_from_civil(2030, 9, 30));
	expect_add(cal, utc(2026, 11, 30, 8, 0), 60, false, utc(2030, 9, 30, 9, 0));
	hd_calendar_deinit(&cal);
}
END_TEST

/* Elapsed open time across a weekend, and degenerate ranges. */
START_TEST(elapsed_weekend)
{
	struct hd_calendar *cal = london_office();

	/* Fri 12-04 16:00 .. Mon 12-07 10:00: 1h30 Friday + 1h Monday. */
	ck_assert_int_eq(hd_calendar_elapsed(cal, utc(2026, 12, 4, 16, 0), utc(2026, 12, 7, 10, 0),
					     false), 9000);
	/* Entirely in the weekend. */
	ck_assert_int_eq(hd_calendar_elapsed(cal, utc(2026, 12, 5, 8, 0), utc(2026, 12, 6, 20, 0),
					     false), 0);
	/* A whole week Mon 00:00 .. next Mon 00:00: 5 x 8h30. */
	ck_assert_int_eq(hd_calendar_elapsed(cal, utc(2026, 11, 30, 0, 0), utc(2026, 12, 7, 0, 0),
					     false), 5 * 30600);
	/* to <= from. */
	ck_assert_int_eq(hd_calendar_elapsed(cal, utc(2026, 12, 7, 10, 0), utc(2026, 12, 4, 16, 0),
					     false), 0);
	ck_assert_int_eq(hd_calendar_elapsed(cal, utc(2026, 12, 7, 10, 0), utc(2026, 12, 7, 10, 0),
					     true), 0);
	/* elapsed and add agree: the open time up to a deadline is the target. */
	for (time_t t = utc(2026, 3, 20, 0, 0); t < utc(2026, 4, 10, 0, 0); t += 5 * 3600 + 17 * 60) {
		time_t d;
		ck_assert(hd_calendar_add(cal, t, 16 * 60, false, &d));
		ck_assert_int_eq(hd_calendar_elapsed(cal, t, d, false), 16 * 3600);
	}
	hd_calendar_deinit(&cal);
	hd_calendar_deinit(&cal);	/* already NULL: no-op */
}
END_TEST

/* Every day 09:00-12:30 and 13:30-17:30 (a lunch break) in a zone. */
static struct hd_calendar *lunch_daily(const char *zone)
{
	struct hd_calendar *cal = cal_new(zone);

	cal_hours(cal, SUN, SAT, 9, 0, 12, 30);
	cal_hours(cal, SUN, SAT, 13, 30, 17, 30);
	return cal;
}

/* Add a part-day holiday closing [from, until) local minutes (ascending days). */
static void cal_part(struct hd_calendar *cal, int y, int m, int d, int from, int until)
{
	cal->part = xrealloc(cal->part, (cal->npart + 1) * sizeof(*cal->part));
	cal->part[cal->npart].day = days_from_civil(y, m, d);
	cal->part[cal->npart].from = from;
	cal->part[cal->npart].until = until;
	cal->npart++;
}

/* London spring and autumn DST Sundays with a lunch break and part-day holidays. */
START_TEST(london_dst_lunch_part_day)
{
	struct hd_calendar *cal = lunch_daily("Europe/London");

	/* Sun 03-29 from 15:00 (BST) closed; Sun 10-25 closed until 10:00 (GMT). */
	cal_part(cal, 2026, 3, 29, 15 * 60, 1440);
	cal_part(cal, 2026, 10, 25, 0, 10 * 60);
	/* Sat 03-28 (GMT) open 13:30Z-17:30Z: from 16:00Z 1h30 left. Sun 03-29
	   (BST) 08:00Z-11:30Z and 12:30Z-14:00Z (15:00 BST) = 5h. 6h target:
	   1h30 + 3h30 by 11:30Z, 1h from 12:30Z -> 13:30Z. */
	expect_add(cal, utc(2026, 3, 28, 16, 0), 6 * 60, false, utc(2026, 3, 29, 13, 30));
	/* 8h: 6h30 by Sunday's early close, Mon 03-30 08:00Z + 1h30 = 09:30Z. */
	expect_add(cal, utc(2026, 3, 28, 16, 0), 8 * 60, false, utc(2026, 3, 30, 9, 30));
	ck_assert(hd_calendar_is_open(cal, utc(2026, 3, 29, 13, 59)));
	ck_assert(!hd_calendar_is_open(cal, utc(2026, 3, 29, 14, 0)));
	ck_assert(!hd_calendar_is_open(cal, utc(2026, 3, 29, 12, 0)));	/* lunch 13:00 BST */
	/* Sat 7h30 + Sun 5h. */
	ck_assert_int_eq(hd_calendar_elapsed(cal, utc(2026, 3, 28, 0, 0), utc(2026, 3, 30, 0, 0),
					     false), 45000);
	/* Sat 10-24 (BST) 12:30Z-16:30Z: from 16:00Z 30m left; Sun 10-25 (GMT)
	   opens 10:00Z (part-day) -> 2h target ends 11:30Z. */
	expect_add(cal, utc(2026, 10, 24, 16, 0), 120, false, utc(2026, 10, 25, 11, 30));
	/* Sun 10-25: 10:00Z-12:30Z + 13:30Z-17:30Z = 6h30. */
	ck_assert_int_eq(hd_calendar_elapsed(cal, utc(2026, 10, 25, 0, 0), utc(2026, 10, 26, 0, 0),
					     false), 23400);
	for (time_t t = utc(2026, 3, 27, 0, 0); t < utc(2026, 4, 1, 0, 0); t += 3 * 3600 + 7 * 60) {
		time_t d;
		ck_assert(hd_calendar_add(cal, t, 5 * 60, false, &d));
		ck_assert_int_eq(hd_calendar_elapsed(cal, t, d, false), 5 * 3600);
	}
	hd_calendar_deinit(&cal);
}
END_TEST

/* New York spring DST Sunday: a part-day holiday in the middle of the day. */
START_TEST(new_york_dst_lunch_part_day)
{
	struct hd_calendar *cal = lunch_daily("America/New_York");

	/* Sun 03-08 closed 10:00-14:00 EDT = 14:00Z-18:00Z. */
	cal_part(cal, 2026, 3, 8, 10 * 60, 14 * 60);
	/* Sat 03-07 (EST) 13:30-17:30 = 18:30Z-22:30Z: from 22:00Z 30m left.
	   Sun (EDT) 09:00 = 13:00Z to 14:00Z: 1h; 18:00Z-21:30Z. 3h target:
	   30m + 1h, 1h30 from 18:00Z -> 19:30Z. */
	expect_add(cal, utc(2026, 3, 7, 22, 0), 180, false, utc(2026, 3, 8, 19, 30));
	/* Sunday: 1h + 3h30. */
	ck_assert_int_eq(hd_calendar_elapsed(cal, utc(2026, 3, 8, 5, 0), utc(2026, 3, 9, 4, 0),
					     false), 16200);
	ck_assert(!hd_calendar_is_open(cal, utc(2026, 3, 8, 16, 45)));	/* lunch, holiday */
	ck_assert(hd_calendar_is_open(cal, utc(2026, 3, 8, 13, 0)));
	hd_calendar_deinit(&cal);
}
END_TEST

/* Write a file under /tmp and return its allocated path. */
static char *write_tmp(const char *text)
{
	char *path = xstrdup("/tmp/hd-test-ics-XXXXXX");
	int fd = mkstemp(path);

	ck_assert(fd >= 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

/* iCalendar holidays: all-day events, a TZID event and a floating event
   across New York's autumn DST change; recurring events are refused. */
START_TEST(ics_holidays)
{
	struct hd_calendar *cal = lunch_daily("America/New_York");
	char *path = write_tmp(
		"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
		"BEGIN:VEVENT\r\nUID:1\r\nSUMMARY:Christmas\r\n"
		"DTSTART;VALUE=DATE:20261225\r\nDTEND;VALUE=DATE:20261227\r\nEND:VEVENT\r\n"
		"BEGIN:VEVENT\r\nUID:2\r\nSUMMARY:Meeting\r\n"
		"DTSTART;TZID=America/New_York:20261101T093000\r\n"
		"DTEND;TZID=America/New_York:20261101T110000\r\nEND:VEVENT\r\n"
		"BEGIN:VEVENT\r\nUID:3\r\nSUMMARY:Offsite\r\n"
		"DTSTART:20261102T090000\r\nDTEND:20261102T170000\r\nEND:VEVENT\r\n"
		"END:VCALENDAR\r\n");
	char *bad = write_tmp(
		"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
		"BEGIN:VEVENT\r\nUID:4\r\nSUMMARY:Weekly\r\nRRULE:FREQ=WEEKLY\r\n"
		"DTSTART;VALUE=DATE:20261225\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n");
	long *days = NULL;
	size_t ndays = 0;
	char *err = NULL;

	ck_assert_msg(hd_calendar_ics_read(cal, path, &days, &ndays, &err), "%s", err);
	ck_assert_int_eq(ndays, 2);
	ck_assert_int_eq(days[0], days_from_civil(2026, 12, 25));
	ck_assert_int_eq(days[1], days_from_civil(2026, 12, 26));
	cal->holidays = days;
	cal->nholidays = ndays;
	hd_calendar_closed_normalise(cal);
	ck_assert_int_eq(cal->nclosed, 2);
	/* 09:30-11:00 EST on Sun 11-01 (DST ended 06:00Z) = 14:30Z-16:00Z. */
	ck_assert_int_eq(cal->closed[0].start, utc(2026, 11, 1, 14, 30));
	ck_assert_int_eq(cal->closed[0].end, utc(2026, 11, 1, 16, 0));
	/* Sunday (EST) 14:00Z-17:30Z, 18:30Z-22:30Z minus the meeting = 6h. */
	ck_assert_int_eq(hd_calendar_elapsed(cal, utc(2026, 11, 1, 5, 0), utc(2026, 11, 2, 5, 0),
					     false), 6 * 3600);
	/* 1h from 14:15Z: 15m, then 45m from 16:00Z. */
	expect_add(cal, utc(2026, 11, 1, 14, 15), 60, false, utc(2026, 11, 1, 16, 45));
	/* Floating 09:00-17:00 on Mon 11-02 in the calendar's zone: 22:00Z-22:30Z left. */
	ck_assert_int_eq(hd_calendar_elapsed(cal, utc(2026, 11, 2, 5, 0), utc(2026, 11, 3, 5, 0),
					     false), 1800);
	ck_assert(!hd_calendar_is_open(cal, utc(2026, 12, 25, 15, 0)));
	ck_assert(!hd_calendar_is_open(cal, utc(2026, 12, 26, 15, 0)));
	ck_assert(hd_calendar_is_open(cal, utc(2026, 12, 27, 15, 0)));

	ck_assert(!hd_calendar_ics_read(cal, bad, &days, &ndays, &err));
	ck_assert_msg(strstr(err, "recurs") != NULL, "%s", err);
	free(err);
	err = NULL;
	ck_assert(!hd_calendar_ics_read(cal, "/nonexistent/h.ics", &days, &ndays, &err));
	ck_assert_msg(strstr(err, "cannot read") != NULL, "%s", err);
	free(err);
	unlink(path);
	unlink(bad);
	free(path);
	free(bad);
	hd_calendar_deinit(&cal);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("calendar");
	TCase *tc = tcase_create("calendar");
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, receipt_times);
	tcase_add_test(tc, weekend_and_multiday);
	tcase_add_test(tc, holidays);
	tcase_add_test(tc, wall_clock);
	tcase_add_test(tc, london_dst);
	tcase_add_test(tc, new_york_dst);
	tcase_add_test(tc, always_utc);
	tcase_add_test(tc, split_days);
	tcase_add_test(tc, through_midnight);
	tcase_add_test(tc, never_open);
	tcase_add_test(tc, london_dst_lunch_part_day);
	tcase_add_test(tc, new_york_dst_lunch_part_day);
	tcase_add_test(tc, ics_holidays);
	tcase_add_test(tc, elapsed_weekend);
	suite_add_tcase(s, tc);
	failed = hd_check_run(s);
	return failed ? 1 : 0;
}

/* test-tz - TZif reading, POSIX TZ rules, and UTC <-> local conversion
   against the system zone data (/usr/share/zoneinfo) and tests/data/tz. */
#include <config.h>
#include <check.h>
#include "check-run.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "tz.h"
#include "util.h"

/* UTC instant of a civil date-time (util's days_from_civil). */
static time_t utc(int y, int mo, int d, int h, int mi, int s)
{
	return (time_t)days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

/* The fixture directory tests/data/tz. */
static char *data_dir(void)
{
	const char *top = getenv("TOP_SRCDIR");
	if (top == NULL || *top == '\0')
		top = TOP_SRCDIR;
	return xasprintf("%s/tests/data/tz", top);
}

/* Load a zone from dir (NULL = system) or fail the test with the message. */
static struct hd_tz *load(const char *name, const char *dir)
{
	char *err = NULL;
	struct hd_tz *tz = hd_tz_load(name, dir, &err);

	ck_assert_msg(tz != NULL, "load %s: %s", name, err ? err : "?");
	ck_assert_ptr_null(err);
	ck_assert_str_eq(hd_tz_name(tz), name);
	return tz;
}

/* Expect t to read as the given local time and offset. */
static void expect_local(const struct hd_tz *tz, time_t t, int y, int mo, int d,
			 int h, int mi, int s, int wday, long off)
{
	struct hd_localtime lt;
	char buf[32];

	hd_tz_to_local(tz, t, &lt);
	time_format_utc(t, buf);
	ck_assert_msg(lt.year == y && lt.month == mo && lt.day == d && lt.hour == h &&
		      lt.minute == mi && lt.second == s && lt.wday == wday && lt.utc_offset == off,
		      "%s at %s: got %04d-%02d-%02d %02d:%02d:%02d wday %d off %ld, "
		      "want %04d-%02d-%02d %02d:%02d:%02d wday %d off %ld", hd_tz_name(tz), buf,
		      lt.year, lt.month, lt.day, lt.hour, lt.minute, lt.second, lt.wday,
		      lt.utc_offset, y, mo, d, h, mi, s, wday, off);
}

/* Expect local civil time to map to the UTC instant want. */
static void expect_utc(const struct hd_tz *tz, int y, int mo, int d, int h, int mi, int s,
		       time_t want)
{
	time_t got = hd_tz_from_local(tz, y, mo, d, h, mi, s);
	char g[32], w[32];

	time_format_utc(got, g);
	time_format_utc(want, w);
	ck_assert_msg(got == want, "%s local %04d-%02d-%02d %02d:%02d:%02d -> %s, want %s",
		      hd_tz_name(tz), y, mo, d, h, mi, s, g, w);
}

/* Expect hd_tz_load to fail with a message containing `want`. */
static void expect_load_error(const char *name, const char *dir, const char *want)
{
	char *err = NULL;
	struct hd_tz *tz = hd_tz_load(name, dir, &err);

	ck_assert_msg(tz == NULL, "'%s' loaded", name);
	ck_assert_ptr_nonnull(err);
	ck_assert_msg(strstr(err, want) != NULL, "'%s': message '%s' lacks '%s'", name, err, want);
	free(err);
}

/* Expect a POSIX TZ rule to be rejected. */
static void expect_bad_rule(const char *rule)
{
	char *err = NULL;
	struct hd_tz *tz = hd_tz_from_posix("x", rule, &err);

	ck_assert_msg(tz == NULL, "rule '%s' accepted", rule);
	ck_assert_ptr_nonnull(err);
	ck_assert_msg(strstr(err, "invalid TZ rule") != NULL, "%s", err);
	free(err);
}

/* The UTC instants of the 2026 changes, anchored to raw epoch seconds. */
START_TEST(anchors)
{
	/* days_from_civil(2026,3,29) = 20541; 20541*86400 + 3600 = 1774746000 */
	ck_assert_int_eq(utc(2026, 3, 29, 1, 0, 0), 1774746000);
	ck_assert_int_eq(utc(2026, 10, 25, 1, 0, 0), 1792890000);
	ck_assert_int_eq(utc(2026, 3, 8, 7, 0, 0), 1772953200);
	ck_assert_int_eq(utc(2026, 11, 1, 6, 0, 0), 1793512800);
}
END_TEST

/* London: GMT -> BST at 2026-03-29 01:00Z (Sunday), BST -> GMT 2026-10-25 01:00Z. */
START_TEST(london_2026)
{
	struct hd_tz *tz = load("Europe/London", NULL);

	/* Spring: one second before, local 00:59:59 GMT; at 01:00Z local jumps to 02:00 BST. */
	expect_local(tz, utc(2026, 3, 29, 0, 59, 59), 2026, 3, 29, 0, 59, 59, 0, 0);
	expect_local(tz, utc(2026, 3, 29, 1, 0, 0), 2026, 3, 29, 2, 0, 0, 0, 3600);
	/* Summer noon local = 11:00Z. */
	expect_local(tz, utc(2026, 7, 1, 11, 0, 0), 2026, 7, 1, 12, 0, 0, 3, 3600);
	/* Autumn: 00:59:59Z is 01:59:59 BST; 01:00Z is 01:00 GMT (01:xx happens twice). */
	expect_local(tz, utc(2026, 10, 25, 0, 59, 59), 2026, 10, 25, 1, 59, 59, 0, 3600);
	expect_local(tz, utc(2026, 10, 25, 1, 0, 0), 2026, 10, 25, 1, 0, 0, 0, 0);
	/* Local midnight of Saturday 2026-03-28 (GMT) is 00:00Z. */
	expect_utc(tz, 2026, 3, 28, 0, 0, 0, utc(2026, 3, 28, 0, 0, 0));
	/* 2026-07-01 12:00 BST = 11:00Z. */
	expect_utc(tz, 2026, 7, 1, 12, 0, 0, utc(2026, 7, 1, 11, 0, 0));
	/* 2026-12-01 12:00 GMT = 12:00Z. */
	expect_utc(tz, 2026, 12, 1, 12, 0, 0, utc(2026, 12, 1, 12, 0, 0));
	hd_tz_deinit(&tz);
	ck_assert_ptr_null(tz);
}
END_TEST

/* New York: EST -> EDT 2026-03-08 07:00Z, EDT -> EST 2026-11-01 06:00Z. */
START_TEST(new_york_2026)
{
	struct hd_tz *tz = load("America/New_York", NULL);

	/* 06:59:59Z = 01:59:59 EST (-5h); 07:00Z = 03:00 EDT (-4h). Sunday. */
	expect_local(tz, utc(2026, 3, 8, 6, 59, 59), 2026, 3, 8, 1, 59, 59, 0, -18000);
	expect_local(tz, utc(2026, 3, 8, 7, 0, 0), 2026, 3, 8, 3, 0, 0, 0, -14400);
	/* 05:59:59Z = 01:59:59 EDT; 06:00Z = 01:00 EST. */
	expect_local(tz, utc(2026, 11, 1, 5, 59, 59), 2026, 11, 1, 1, 59, 59, 0, -14400);
	expect_local(tz, utc(2026, 11, 1, 6, 0, 0), 2026, 11, 1, 1, 0, 0, 0, -18000);
	/* Local time before UTC midnight: 2026-01-01 03:00Z = 2025-12-31 22:00 EST (Wednesday). */
	expect_local(tz, utc(2026, 1, 1, 3, 0, 0), 2025, 12, 31, 22, 0, 0, 3, -18000);
	/* 2026-01-15 09:00 EST = 14:00Z; 2026-06-15 09:00 EDT = 13:00Z. */
	expect_utc(tz, 2026, 1, 15, 9, 0, 0, utc(2026, 1, 15, 14, 0, 0));
	expect_utc(tz, 2026, 6, 15, 9, 0, 0, utc(2026, 6, 15, 13, 0, 0));
	hd_tz_deinit(&tz);
}
END_TEST

/* Gaps map to the transition instant; overlaps to the earlier instant. */
START_TEST(gap_and_overlap)
{
	struct hd_tz *lon = load("Europe/London", NULL);
	struct hd_tz *ny = load("America/New_York", NULL);

	/* London 2026-03-29 01:00-02:00 local does not exist; clocks jumped at 01:00Z. */
	expect_utc(lon, 2026, 3, 29, 1, 0, 0, utc(2026, 3, 29, 1, 0, 0));
	expect_utc(lon, 2026, 3, 29, 1, 30, 0, utc(2026, 3, 29, 1, 0, 0));
	expect_utc(lon, 2026, 3, 29, 1, 59, 59, utc(2026, 3, 29, 1, 0, 0));
	/* 02:00 BST is the transition instant itself; 00:59:59 GMT one second before. */
	expect_utc(lon, 2026, 3, 29, 2, 0, 0, utc(2026, 3, 29, 1, 0, 0));
	expect_utc(lon, 2026, 3, 29, 0, 59, 59, utc(2026, 3, 29, 0, 59, 59));
	/* London 2026-10-25 01:30 occurs at 00:30Z (BST) and 01:30Z (GMT): earlier. */
	expect_utc(lon, 2026, 10, 25, 1, 30, 0, utc(2026, 10, 25, 0, 30, 0));
	expect_utc(lon, 2026, 10, 25, 1, 0, 0, utc(2026, 10, 25, 0, 0, 0));
	/* 02:00 GMT exists once: 02:00Z. 00:59 BST once: 23:59Z the day before. */
	expect_utc(lon, 2026, 10, 25, 2, 0, 0, utc(2026, 10, 25, 2, 0, 0));
	expect_utc(lon, 2026, 10, 25, 0, 59, 0, utc(2026, 10, 24, 23, 59, 0));

	/* New York 2026-03-08 02:00-03:00 is missing; the jump was at 07:00Z. */
	expect_utc(ny, 2026, 3, 8, 2, 0, 0, utc(2026, 3, 8, 7, 0, 0));
	expect_utc(ny, 2026, 3, 8, 2, 30, 0, utc(2026, 3, 8, 7, 0, 0));
	expect_utc(ny, 2026, 3, 8, 3, 0, 0, utc(2026, 3, 8, 7, 0, 0));
	expect_utc(ny, 2026, 3, 8, 3, 30, 0, utc(2026, 3, 8, 7, 30, 0));
	/* 2026-11-01 01:30 occurs at 05:30Z (EDT) and 06:30Z (EST): earlier. */
	expect_utc(ny, 2026, 11, 1, 1, 30, 0, utc(2026, 11, 1, 5, 30, 0));
	/* 02:00 EST = 07:00Z (02:00 EDT never shows: at 06:00Z it became 01:00 EST). */
	expect_utc(ny, 2026, 11, 1, 2, 0, 0, utc(2026, 11, 1, 7, 0, 0));
	hd_tz_deinit(&lon);
	hd_tz_deinit(&ny);
}
END_TEST

/* Out-of-range fields are normalised (hour 24, minute 1440, month 13). */
START_TEST(normalised_fields)
{
	struct hd_tz *lon = load("Europe/London", NULL);

	/* 2026-03-28 24:00 = 2026-03-29 00:00 GMT = 00:00Z. */
	expect_utc(lon, 2026, 3, 28, 24, 0, 0, utc(2026, 3, 29, 0, 0, 0));
	/* 2026-03-29 00:00 + 1440 min = 2026-03-30 00:00 BST = 2026-03-29 23:00Z:
	   the spring-forward day lasted 23 hours. */
	expect_utc(lon, 2026, 3, 29, 0, 1440, 0, utc(2026, 3, 29, 23, 0, 0));
	/* 2026-10-25 24:00 = 2026-10-26 00:00 GMT: the day lasted 25 hours
	   (it began 2026-10-24 23:00Z). */
	expect_utc(lon, 2026, 10, 25, 24, 0, 0, utc(2026, 10, 26, 0, 0, 0));
	expect_utc(lon, 2026, 10, 25, 0, 0, 0, utc(2026, 10, 24, 23, 0, 0));
	/* Month 13 of 2026 = January 2027 (GMT); month 0 = December 2025. */
	expect_utc(lon, 2026, 13, 1, 0, 0, 0, utc(2027, 1, 1, 0, 0, 0));
	expect_utc(lon, 2026, 0, 1, 0, 0, 0, utc(2025, 12, 1, 0, 0, 0));
	/* Day 0 of April = March 31 (BST): 2026-03-31 00:00 BST = 03-30 23:00Z. */
	expect_utc(lon, 2026, 4, 0, 0, 0, 0, utc(2026, 3, 30, 23, 0, 0));
	hd_tz_deinit(&lon);
}
END_TEST

/* 2080 lies beyond the tables; the footer rule decides.
   2080-01-01 is a Monday and 2080 is a leap year, so March 1 is day 60
   (Friday) and March 31 a Sunday: London changes 2080-03-31 01:00Z and
   2080-10-27 01:00Z (last Sundays), New York 2080-03-10 07:00Z (2nd Sunday
   of March) and 2080-11-03 06:00Z (1st Sunday of November). */
START_TEST(far_future)
{
	struct hd_tz *lon = load("Europe/London", NULL);
	struct hd_tz *ny = load("America/New_York", NULL);

	ck_assert_int_eq(utc(2080, 3, 31, 1, 0, 0), 3479072400);
	expect_local(lon, utc(2080, 3, 31, 0, 59, 59), 2080, 3, 31, 0, 59, 59, 0, 0);
	expect_local(lon, utc(2080, 3, 31, 1, 0, 0), 2080, 3, 31, 2, 0, 0, 0, 3600);
	expect_local(lon, utc(2080, 10, 27, 0, 59, 59), 2080, 10, 27, 1, 59, 59, 0, 3600);
	expect_local(lon, utc(2080, 10, 27, 1, 0, 0), 2080, 10, 27, 1, 0, 0, 0, 0);
	expect_local(ny, utc(2080, 3, 10, 6, 59, 59), 2080, 3, 10, 1, 59, 59, 0, -18000);
	expect_local(ny, utc(2080, 3, 10, 7, 0, 0), 2080, 3, 10, 3, 0, 0, 0, -14400);
	expect_local(ny, utc(2080, 11, 3, 5, 59, 59), 2080, 11, 3, 1, 59, 59, 0, -14400);
	expect_local(ny, utc(2080, 11, 3, 6, 0, 0), 2080, 11, 3, 1, 0, 0, 0, -18000);
	expect_utc(ny, 2080, 3, 10, 2, 30, 0, utc(2080, 3, 10, 7, 0, 0));	/* gap */
	expect_utc(ny, 2080, 11, 3, 1, 30, 0, utc(2080, 11, 3, 5, 30, 0));	/* overlap */
	hd_tz_deinit(&lon);
	hd_tz_deinit(&ny);
}
END_TEST

/* A slim file (transitions to 2007, then only the footer) agrees with the
   system file hour by hour from 2000 to 2100, and both round-trip. */
START_TEST(slim_matches_fat)
{
	char *dir = data_dir();
	struct hd_tz *slim = load("America/New_York", dir);
	struct hd_tz *fat = load("America/New_York", NULL);
	long changes = 0, prev = 0;

	for (time_t t = utc(2000, 1, 1, 0, 0, 0); t < utc(2100, 1, 1, 0, 0, 0); t += 3600) {
		struct hd_localtime a, b;
		hd_tz_to_local(slim, t, &a);
		hd_tz_to_local(fat, t, &b);
		ck_assert_msg(a.utc_offset == b.utc_offset && a.hour == b.hour && a.day == b.day,
			      "slim/fat differ at %lld", (long long)t);
		ck_assert_msg(a.utc_offset == -18000 || a.utc_offset == -14400, "offset %ld", a.utc_offset);
		if (a.utc_offset != prev)
			changes++;
		prev = a.utc_offset;
		/* Round trip, except the repeated hour, which maps to the earlier instant. */
		if (hd_tz_from_local(slim, a.year, a.month, a.day, a.hour, a.minute, a.second) != t)
			ck_assert_msg(a.utc_offset == -18000 &&
				      hd_tz_from_local(slim, a.year, a.month, a.day, a.hour, a.minute,
						       a.second) == t - 3600, "round trip at %lld",
				      (long long)t);
	}
	/* 100 years x 2 changes, plus the initial value. */
	ck_assert_int_eq(changes, 201);
	hd_tz_deinit(&slim);
	hd_tz_deinit(&fat);
	free(dir);
}
END_TEST

/* UTC: offset 0 everywhere; works even without zone files. */
START_TEST(utc_zone)
{
	struct hd_tz *tz = load("UTC", NULL);
	struct hd_tz *builtin = load("UTC", "/nonexistent-zoneinfo");

	expect_local(tz, utc(2026, 3, 29, 1, 0, 0), 2026, 3, 29, 1, 0, 0, 0, 0);
	expect_local(tz, 0, 1970, 1, 1, 0, 0, 0, 4, 0);		/* a Thursday */
	expect_local(tz, -1, 1969, 12, 31, 23, 59, 59, 3, 0);
	expect_utc(tz, 2080, 7, 4, 12, 0, 0, utc(2080, 7, 4, 12, 0, 0));
	expect_local(builtin, utc(2026, 7, 1, 9, 0, 0), 2026, 7, 1, 9, 0, 0, 3, 0);
	expect_utc(builtin, 2026, 7, 1, 9, 0, 0, utc(2026, 7, 1, 9, 0, 0));
	/* Other zones still need their file. */
	expect_load_error("Europe/London", "/nonexistent-zoneinfo", "unknown time zone 'Europe/London'");
	hd_tz_deinit(&tz);
	hd_tz_deinit(&builtin);
}
END_TEST

/* Unknown and unsafe names fail with a clear message. */
START_TEST(bad_names)
{
	char *long_name = xmalloc(400);

	expect_load_error("Europe/Lndon", NULL, "unknown time zone 'Europe/Lndon'");
	expect_load_error("Europe", NULL, "unknown time zone 'Europe'");	/* a directory */
	expect_load_error("../../etc/passwd", NULL, "invalid time zone name");
	expect_load_error("Europe/../../etc/passwd", NULL, "'..' not allowed");
	expect_load_error("/etc/localtime", NULL, "absolute path");
	expect_load_error("Europe/London;id", NULL, "invalid time zone name");
	expect_load_error("Europe/Lon don", NULL, "invalid time zone name");
	expect_load_error("zone.tab", NULL, "invalid time zone name");
	expect_load_error("", NULL, "empty name");
	memset(long_name, 'A', 399);
	long_name[399] = '\0';
	expect_load_error(long_name, NULL, "name too long");
	free(long_name);
}
END_TEST

/* Broken files are rejected with the reason. */
START_TEST(bad_files)
{
	char *dir = data_dir();

	expect_load_error("Test/Truncated", dir, "not a valid TZif file: truncated");
	expect_load_error("Test/NotTZif", dir, "no TZif magic");
	expect_load_error("Test/BadFooter", dir, "bad TZ string footer 'XYZ5ABC,M13.1.0,M11.1.0'");
	free(dir);
}
END_TEST

/* A version-1 file (32-bit data only) still gives the 2026 London changes. */
START_TEST(version1_file)
{
	char *dir = data_dir();
	struct hd_tz *tz = load("Test/V1", dir);

	expect_local(tz, utc(2026, 3, 29, 0, 59, 59), 2026, 3, 29, 0, 59, 59, 0, 0);
	expect_local(tz, utc(2026, 3, 29, 1, 0, 0), 2026, 3, 29, 2, 0, 0, 0, 3600);
	expect_local(tz, utc(2026, 10, 25, 1, 0, 0), 2026, 10, 25, 1, 0, 0, 0, 0);
	expect_utc(tz, 2026, 10, 25, 1, 30, 0, utc(2026, 10, 25, 0, 30, 0));
	hd_tz_deinit(&tz);
	free(dir);
}
END_TEST

/* Test/Footer: +02:30 standard, footer <+0230>-2:30<+04>-4,J60/-1,300/26:30.
   DST starts on J60 (March 1; February 29 never counted) at -1:00 standard
   time, i.e. the day before at 23:00 +02:30 = 20:30Z; it ends on zero-based
   day 300 (October 28 in 2026, October 27 in leap 2028) at 26:30 DST, i.e.
   the next day 02:30 +04 = 22:30Z on day 300. Found through TZDIR. */
START_TEST(footer_rule_forms)
{
	char *dir = data_dir();
	struct hd_tz *tz;
	char *err = NULL;

	setenv("TZDIR", dir, 1);
	tz = load("Test/Footer", NULL);
	expect_local(tz, utc(2026, 2, 28, 20, 29, 59), 2026, 2, 28, 22, 59, 59, 6, 9000);
	expect_local(tz, utc(2026, 2, 28, 20, 30, 0), 2026, 3, 1, 0, 30, 0, 0, 14400);
	expect_local(tz, utc(2026, 10, 28, 22, 29, 59), 2026, 10, 29, 2, 29, 59, 4, 14400);
	expect_local(tz, utc(2026, 10, 28, 22, 30, 0), 2026, 10, 29, 1, 0, 0, 4, 9000);
	expect_local(tz, utc(2028, 2, 29, 20, 30, 0), 2028, 3, 1, 0, 30, 0, 3, 14400);
	expect_local(tz, utc(2028, 10, 27, 22, 30, 0), 2028, 10, 28, 1, 0, 0, 6, 9000);
	/* The gap 2026-02-28 23:00..03-01 00:30 local: 23:30 -> 20:30Z. */
	expect_utc(tz, 2026, 2, 28, 23, 30, 0, utc(2026, 2, 28, 20, 30, 0));
	hd_tz_deinit(&tz);
	unsetenv("TZDIR");
	/* Not in the system directory. */
	tz = hd_tz_load("Test/Footer", NULL, &err);
	ck_assert_ptr_null(tz);
	free(err);
	free(dir);
}
END_TEST

/* POSIX TZ strings parsed directly, as footers are. */
START_TEST(posix_rules)
{
	char *err = NULL;
	struct hd_tz *tz;

	/* Same rule as London: the 2026 changes at 01:00Z. */
	tz = hd_tz_from_posix("uk", "GMT0BST,M3.5.0/1,M10.5.0", &err);
	ck_assert_ptr_nonnull(tz);
	ck_assert_str_eq(hd_tz_name(tz), "uk");
	expect_local(tz, utc(2026, 3, 29, 1, 0, 0), 2026, 3, 29, 2, 0, 0, 0, 3600);
	expect_local(tz, utc(2026, 10, 25, 0, 59, 59), 2026, 10, 25, 1, 59, 59, 0, 3600);
	expect_local(tz, utc(2026, 10, 25, 1, 0, 0), 2026, 10, 25, 1, 0, 0, 0, 0);
	hd_tz_deinit(&tz);

	/* US rule, default 02:00 change times. */
	tz = hd_tz_from_posix("us", "EST5EDT,M3.2.0,M11.1.0", &err);
	ck_assert_ptr_nonnull(tz);
	expect_local(tz, utc(2026, 3, 8, 7, 0, 0), 2026, 3, 8, 3, 0, 0, 0, -14400);
	expect_local(tz, utc(2026, 11, 1, 6, 0, 0), 2026, 11, 1, 1, 0, 0, 0, -18000);
	hd_tz_deinit(&tz);

	/* Quoted names, fixed +03:00: noon UTC is 15:00. */
	tz = hd_tz_from_posix("plus3", "<+03>-3", &err);
	ck_assert_ptr_nonnull(tz);
	expect_local(tz, utc(2026, 6, 1, 12, 0, 0), 2026, 6, 1, 15, 0, 0, 1, 10800);
	expect_utc(tz, 2026, 6, 1, 0, 0, 0, utc(2026, 5, 31, 21, 0, 0));
	hd_tz_deinit(&tz);

	/* Southern hemisphere (Sydney): DST from first Sunday of October 02:00
	   AEST to first Sunday of April 03:00 AEDT. 2026-04-05 03:00 AEDT =
	   04-04 16:00Z; 2026-10-04 02:00 AEST = 10-03 16:00Z. */
	tz = hd_tz_from_posix("syd", "AEST-10AEDT,M10.1.0,M4.1.0/3", &err);
	ck_assert_ptr_nonnull(tz);
	expect_local(tz, utc(2026, 1, 15, 0, 0, 0), 2026, 1, 15, 11, 0, 0, 4, 39600);
	expect_local(tz, utc(2026, 4, 4, 15, 59, 59), 2026, 4, 5, 2, 59, 59, 0, 39600);
	expect_local(tz, utc(2026, 4, 4, 16, 0, 0), 2026, 4, 5, 2, 0, 0, 0, 36000);
	expect_local(tz, utc(2026, 10, 3, 16, 0, 0), 2026, 10, 4, 3, 0, 0, 0, 39600);
	hd_tz_deinit(&tz);

	/* Year-round DST (tzcode's idiom): always -4. */
	tz = hd_tz_from_posix("dst", "EST5EDT,0/0,J365/25", &err);
	ck_assert_ptr_nonnull(tz);
	expect_local(tz, utc(2026, 1, 1, 4, 0, 0), 2026, 1, 1, 0, 0, 0, 4, -14400);
	expect_local(tz, utc(2026, 7, 1, 4, 0, 0), 2026, 7, 1, 0, 0, 0, 3, -14400);
	expect_local(tz, utc(2026, 12, 31, 23, 0, 0), 2026, 12, 31, 19, 0, 0, 4, -14400);
	hd_tz_deinit(&tz);

	/* Negative rule time: Greenland-style -02 / -01 changing at -1:00 on
	   the last Saturday of March, i.e. 23:00 on the Friday before. 2026-03-28
	   is the last Saturday; 03-27 23:00 -02 = 03-28 01:00Z, when local time
	   jumps to Saturday 00:00 -01. */
	tz = hd_tz_from_posix("gl", "<-02>2<-01>,M3.5.6/-1,M10.5.6/0", &err);
	ck_assert_ptr_nonnull(tz);
	expect_local(tz, utc(2026, 3, 28, 0, 59, 59), 2026, 3, 27, 22, 59, 59, 5, -7200);
	expect_local(tz, utc(2026, 3, 28, 1, 0, 0), 2026, 3, 28, 0, 0, 0, 6, -3600);
	hd_tz_deinit(&tz);

	expect_bad_rule("");
	expect_bad_rule("AB5");			/* name too short */
	expect_bad_rule("EST");			/* no offset */
	expect_bad_rule("EST25");		/* offset hours > 24 */
	expect_bad_rule("EST5EDT,M13.1.0,M11.1.0");
	expect_bad_rule("EST5EDT,M3.6.0,M11.1.0");
	expect_bad_rule("EST5EDT,M3.2.0");	/* no end */
	expect_bad_rule("EST5EDT,M3.2.0,M11.1.0x");
	expect_bad_rule("EST5EDT,J0,J365");	/* J is 1..365 */
	expect_bad_rule("EST5EDT,M3.2.0/168,M11.1.0");	/* rule time > 167h */
	expect_bad_rule("<+0>-3");		/* quoted name too short */
}
END_TEST

/* Work for one thread: hourly conversions over 2026 with a shared zone. */
struct thread_job {
	const struct hd_tz *tz;
	long sum;
};

/* Convert both ways and sum the offsets (the same in every thread). */
static void *thread_run(void *arg)
{
	struct thread_job *job = arg;

	for (time_t t = utc(2026, 1, 1, 0, 0, 0); t < utc(2027, 1, 1, 0, 0, 0); t += 3600) {
		struct hd_localtime lt;
		hd_tz_to_local(job->tz, t, &lt);
		job->sum += lt.utc_offset;
		if (hd_tz_from_local(job->tz, lt.year, lt.month, lt.day, lt.hour, lt.minute,
				     lt.second) > t)
			job->sum = -1000000000L;
	}
	return NULL;
}

/* One loaded zone shared by several threads gives every thread the same
   answers. London 2026: BST from 03-29 01:00Z to 10-25 01:00Z, i.e.
   3 (March 29-31) + 30+31+30+31+31+30 (Apr-Sep) + 24 (October) = 210 days
   = 5040 hours at +3600 s each; every other hour adds 0. */
START_TEST(threads_share_zone)
{
	struct hd_tz *tz = load("Europe/London", NULL);
	struct thread_job jobs[4];
	pthread_t th[4];
	long bst_hours = (days_from_civil(2026, 10, 25) - days_from_civil(2026, 3, 29)) * 24;

	ck_assert_int_eq(bst_hours, 5040);
	for (int i = 0; i < 4; i++) {
		jobs[i].tz = tz;
		jobs[i].sum = 0;
		ck_assert_int_eq(pthread_create(&th[i], NULL, thread_run, &jobs[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		ck_assert_int_eq(jobs[i].sum, bst_hours * 3600);
	}
	hd_tz_deinit(&tz);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tz");
	TCase *tc = tcase_create("tz");
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, anchors);
	tcase_add_test(tc, london_2026);
	tcase_add_test(tc, new_york_2026);
	tcase_add_test(tc, gap_and_overlap);
	tcase_add_test(tc, normalised_fields);
	tcase_add_test(tc, far_future);
	tcase_add_test(tc, slim_matches_fat);
	tcase_add_test(tc, utc_zone);
	tcase_add_test(tc, bad_names);
	tcase_add_test(tc, bad_files);
	tcase_add_test(tc, version1_file);
	tcase_add_test(tc, footer_rule_forms);
	tcase_add_test(tc, posix_rules);
	tcase_add_test(tc, threads_share_zone);
	suite_add_tcase(s, tc);
	failed = hd_check_run(s);
	return failed ? 1 : 0;
}

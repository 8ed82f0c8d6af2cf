#ifndef HD_TZ_H
#define HD_TZ_H
/*
 * tz - thread-safe time-zone conversion from the system TZif files
 * (/usr/share/zoneinfo), including the POSIX TZ footer rule for instants past
 * the last transition. Never touches the TZ environment variable or calls
 * localtime(): several calendars in several zones are used from many threads.
 */
#include <stdbool.h>
#include <time.h>

struct hd_tz;

/* Named limits of the TZif reader. */
#define HD_TZ_MAX_FILE_BYTES (256 * 1024)
#define HD_TZ_MAX_TRANSITIONS 4096

/* Local civil time in a zone. */
struct hd_localtime {
	int year, month, day;	/* month 1-12, day 1-31 */
	int hour, minute, second;
	int wday;		/* 0 = Sunday ... 6 = Saturday */
	long utc_offset;	/* seconds east of UTC */
};

/* Load a zone by IANA name ("Europe/London", "UTC"). On failure returns NULL
   and sets *error_r to an allocated message. zoneinfo_dir NULL = system default
   (env TZDIR, else /usr/share/zoneinfo). Names with ".." or a leading '/' fail. */
struct hd_tz *hd_tz_load(const char *name, const char *zoneinfo_dir, char **error_r);
void hd_tz_deinit(struct hd_tz **tz);
const char *hd_tz_name(const struct hd_tz *tz);

/* UTC instant -> local civil time. */
void hd_tz_to_local(const struct hd_tz *tz, time_t t, struct hd_localtime *lt_r);

/* Local civil time (y-m-d h:m:s, fields may be normalised e.g. hour 24)
   -> UTC instant. In a gap (spring forward) the result is the instant the
   clocks jumped past, i.e. the first valid instant after the gap; in an
   overlap (fall back) the earlier instant. */
time_t hd_tz_from_local(const struct hd_tz *tz, int year, int month, int day,
			int hour, int minute, int second);

/* A zone from a POSIX TZ rule string alone ("EST5EDT,M3.2.0,M11.1.0",
   "<+03>-3"), as in a TZif footer; name is what hd_tz_name() reports.
   NULL with an allocated *error_r when the rule is malformed. */
struct hd_tz *hd_tz_from_posix(const char *name, const char *rule, char **error_r);

#endif

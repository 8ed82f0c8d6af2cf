#ifndef HD_CALENDAR_H
#define HD_CALENDAR_H
/*
 * calendar - business-hours arithmetic: open intervals per weekday, whole-day
 * and part-day holidays, closed periods (timed iCalendar events) and a time
 * zone. Computes the instant at which a number of open
 * minutes (or wall minutes) has elapsed from a receive time, and the open time
 * elapsed between two instants. Pure computation: no I/O, no global state.
 */
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct hd_tz;

#define HD_CAL_MAX_INTERVALS_PER_DAY 16
#define HD_CAL_MAX_HOLIDAYS 1024
/* Part-day holidays and closed periods (timed iCalendar events) per calendar. */
#define HD_CAL_MAX_CLOSURES 4096
/* Open spans one local day can split into after closures are cut out; a day
   cut into more pieces closes from the start of the piece that did not fit. */
#define HD_CAL_MAX_SPANS_PER_DAY (2 * HD_CAL_MAX_INTERVALS_PER_DAY)
/* A deadline search gives up after this many calendar days with no open time. */
#define HD_CAL_MAX_SEARCH_DAYS (366 * 5)
/* Largest target hd_calendar_add accepts (100 years); larger gives false. */
#define HD_CAL_MAX_MINUTES (366L * 100 * 1440)
/* No computation walks more calendar days than this; hd_calendar_elapsed
   counts at most this many days after `from`. */
#define HD_CAL_MAX_WALK_DAYS (366L * 100)

/* An open interval in minutes since local midnight, 0 <= start < end <= 1440. */
struct hd_interval {
	int start, end;
};

/* A part-day holiday: local day (days_from_civil) closed in [from, until)
   minutes since local midnight (until 1440 = to the end of the day). */
struct hd_part_holiday {
	long day;
	int from, until;
};

/* A closed period between two UTC instants [start, end). */
struct hd_closed {
	time_t start, end;
};

struct hd_calendar {
	char *name;
	char *timezone;			/* IANA name as written */
	struct hd_tz *tz;		/* owned */
	struct hd_interval hours[7][HD_CAL_MAX_INTERVALS_PER_DAY]; /* [0] = Sunday */
	size_t nhours[7];		/* intervals sorted, non-overlapping */
	long *holidays;			/* sorted days since epoch (days_from_civil) */
	size_t nholidays;
	struct hd_part_holiday *part;	/* sorted by day, one per day */
	size_t npart;
	struct hd_closed *closed;	/* sorted by start, merged, non-overlapping */
	size_t nclosed;
};

/* True when the instant falls inside open hours (start inclusive, end exclusive). */
bool hd_calendar_is_open(const struct hd_calendar *cal, time_t t);

/* Deadline: the instant at which `minutes` of open time, counted from
   `received`, has elapsed. Receipt outside open hours starts the clock at the
   next opening. With wall = true, plain wall-clock minutes are added instead.
   Returns false when no open time exists within HD_CAL_MAX_SEARCH_DAYS. */
bool hd_calendar_add(const struct hd_calendar *cal, time_t received, long minutes,
		     bool wall, time_t *deadline_r);

/* The same with a target in seconds (a remaining time after a pause). */
bool hd_calendar_add_seconds(const struct hd_calendar *cal, time_t received, long seconds,
			     bool wall, time_t *deadline_r);

/* Open seconds between from and to (0 if to <= from); wall = plain difference. */
long hd_calendar_elapsed(const struct hd_calendar *cal, time_t from, time_t to, bool wall);

/* Sort and merge cal->closed (after it was filled in any order). */
void hd_calendar_closed_normalise(struct hd_calendar *cal);

/* Free a calendar's contents and the calendar; sets *cal to NULL. */
void hd_calendar_deinit(struct hd_calendar **cal);

#endif

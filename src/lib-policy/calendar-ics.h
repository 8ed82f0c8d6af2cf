#ifndef HD_CALENDAR_ICS_H
#define HD_CALENDAR_ICS_H
/*
 * calendar-ics - reads holidays from an iCalendar file (holidays_ics:,
 * SPEC s.7) with libical: all-day events close whole local days, timed
 * events close the calendar between their UTC instants.
 */
#include <stdbool.h>
#include <stddef.h>

struct hd_calendar;

/* Largest iCalendar file read. */
#define HD_CAL_MAX_ICS_BYTES (4L * 1024 * 1024)

/* Read path: whole days of all-day events into *days_r (allocated, unsorted,
   *ndays_r of them), timed events appended to cal->closed (not yet
   normalised). Floating times are in the calendar's zone, TZID names
   are read from the system zone data. False with an allocated *error_r
   (unreadable file, bad event, recurring event, a limit passed). */
bool hd_calendar_ics_read(struct hd_calendar *cal, const char *path, long **days_r,
			  size_t *ndays_r, char **error_r);

#endif

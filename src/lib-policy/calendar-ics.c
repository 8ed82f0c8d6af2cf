/*
 * calendar-ics - turns the events of an iCalendar file into closures of a
 * business calendar: an all-day event (DTSTART;VALUE=DATE) closes each local
 * day up to its DTEND (exclusive, one day without DTEND); a timed event
 * closes [DTSTART, DTEND) converted to UTC with the system zone data (TZID),
 * as UTC (Z) or, floating, in the calendar's own zone, so closures stay exact
 * across DST. Must never expand recurrences silently wrong: an event with
 * RRULE/RDATE is refused with a message saying to list the dates instead;
 * never read more than HD_CAL_MAX_ICS_BYTES.
 */
#include <config.h>
#include "calendar-ics.h"
#include "calendar.h"
#include "tz.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libical/ical.h>

/* Read a whole file of at most HD_CAL_MAX_ICS_BYTES; NULL with *error_r. */
static char *ics_slurp(const char *path, char **error_r)
{
	FILE *f = fopen(path, "r");
	struct strbuf sb;
	char buf[8192];
	size_t n;

	if (f == NULL) {
		*error_r = xasprintf("cannot read %s: %s (check holidays_ics)", path,
				     strerror(errno));
		return NULL;
	}
	sb_init(&sb);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		if (sb.len + n > (size_t)HD_CAL_MAX_ICS_BYTES) {
			fclose(f);
			sb_free(&sb);
			*error_r = xasprintf("%s is larger than %ld bytes: split it or list the "
					     "holidays in the policy", path, HD_CAL_MAX_ICS_BYTES);
			return NULL;
		}
		sb_append(&sb, buf, n);
	}
	fclose(f);
	sb_putc(&sb, '\0');
	return sb_steal(&sb);
}

/* UTC instant of a timed DTSTART/DTEND property; false with *error_r. */
static bool ics_instant(const struct hd_calendar *cal, icalproperty *prop,
			struct icaltimetype t, time_t *t_r, char **error_r)
{
	icalparameter *tzp = prop ? icalproperty_get_first_parameter(prop, ICAL_TZID_PARAMETER)
				  : NULL;
	const char *tzid = tzp ? icalparameter_get_tzid(tzp) : NULL;

	if (icaltime_is_utc(t)) {
		*t_r = (time_t)days_from_civil(t.year, t.month, t.day) * 86400 +
		       t.hour * 3600 + t.minute * 60 + t.second;
		return true;
	}
	if (tzid != NULL) {
		/* "/mozilla.org/.../Europe/Berlin" style prefixes end in the IANA name */
		const char *name = tzid;
		struct hd_tz *tz = NULL;
		char *err = NULL;

		while (name != NULL && (tz = hd_tz_load(name, NULL, &err)) == NULL) {
			const char *slash = strchr(name + 1, '/');
			free(err);
			err = NULL;
			name = slash ? slash + 1 : NULL;
		}
		if (tz == NULL) {
			*error_r = xasprintf("unknown TZID '%s' (use an IANA name like "
					     "Europe/Berlin)", tzid);
			return false;
		}
		*t_r = hd_tz_from_local(tz, t.year, t.month, t.day, t.hour, t.minute, t.second);
		hd_tz_deinit(&tz);
		return true;
	}
	if (cal->tz == NULL) {
		*t_r = (time_t)days_from_civil(t.year, t.month, t.day) * 86400 +
		       t.hour * 3600 + t.minute * 60 + t.second;
		return true;
	}
	*t_r = hd_tz_from_local(cal->tz, t.year, t.month, t.day, t.hour, t.minute, t.second);
	return true;
}

/* One VEVENT as whole days or a closed period; false with *error_r. */
static bool ics_event(struct hd_calendar *cal, icalcomponent *ev, long **days, size_t *ndays,
		      size_t *cap_closed, char **error_r)
{
	icalproperty *ps = icalcomponent_get_first_property(ev, ICAL_DTSTART_PROPERTY);
	icalproperty *pe = icalcomponent_get_first_property(ev, ICAL_DTEND_PROPERTY);
	const char *summary = icalcomponent_get_summary(ev);
	struct icaltimetype s, e;
	char *why = NULL;

	if (summary == NULL)
		summary = "(no summary)";
	if (icalcomponent_get_first_property(ev, ICAL_RRULE_PROPERTY) != NULL ||
	    icalcomponent_get_first_property(ev, ICAL_RDATE_PROPERTY) != NULL) {
		*error_r = xasprintf("event '%s' recurs (RRULE/RDATE): export the single "
				     "dates instead", summary);
		return false;
	}
	if (ps == NULL) {
		*error_r = xasprintf("event '%s' has no DTSTART", summary);
		return false;
	}
	s = icalproperty_get_dtstart(ps);
	e = pe ? icalproperty_get_dtend(pe) : icaltime_null_time();
	if (s.is_date) {
		long first = days_from_civil(s.year, s.month, s.day), last = first + 1;

		if (!icaltime_is_null_time(e) && e.is_date)
			last = days_from_civil(e.year, e.month, e.day);
		if (last <= first)
			last = first + 1;
		for (long d = first; d < last; d++) {
			if (*ndays >= HD_CAL_MAX_HOLIDAYS) {
				*error_r = xasprintf("more than %d holiday days (limit)",
						     HD_CAL_MAX_HOLIDAYS);
				return false;
			}
			(*days)[(*ndays)++] = d;
		}
		return true;
	}
	if (icaltime_is_null_time(e)) {
		*error_r = xasprintf("timed event '%s' has no DTEND", summary);
		return false;
	}
	if (cal->nclosed >= HD_CAL_MAX_CLOSURES) {
		*error_r = xasprintf("more than %d closures (limit)", HD_CAL_MAX_CLOSURES);
		return false;
	}
	if (cal->nclosed == *cap_closed) {
		*cap_closed = *cap_closed ? *cap_closed * 2 : 16;
		cal->closed = xrealloc(cal->closed, *cap_closed * sizeof(*cal->closed));
	}
	if (!ics_instant(cal, ps, s, &cal->closed[cal->nclosed].start, &why) ||
	    !ics_instant(cal, pe, e, &cal->closed[cal->nclosed].end, &why)) {
		*error_r = xasprintf("event '%s': %s", summary, why);
		free(why);
		return false;
	}
	cal->nclosed++;
	return true;
}

/* Read an iCalendar file's events into whole days and closed periods. */
bool hd_calendar_ics_read(struct hd_calendar *cal, const char *path, long **days_r,
			  size_t *ndays_r, char **error_r)
{
	char *text = ics_slurp(path, error_r), *err = NULL;
	icalcomponent *root, *vcal, *ev;
	size_t cap_closed = cal->nclosed;
	bool ok = true;

	*days_r = NULL;
	*ndays_r = 0;
	if (text == NULL)
		return false;
	root = icalparser_parse_string(text);
	free(text);
	if (root == NULL) {
		*error_r = xasprintf("%s is not an iCalendar file (expected BEGIN:VCALENDAR)",
				     path);
		return false;
	}
	*days_r = xcalloc(HD_CAL_MAX_HOLIDAYS, sizeof(long));
	vcal = icalcomponent_isa(root) == ICAL_VCALENDAR_COMPONENT ? root :
	       icalcomponent_get_first_component(root, ICAL_VCALENDAR_COMPONENT);
	for (; ok && vcal != NULL; vcal = vcal == root ? NULL :
	     icalcomponent_get_next_component(root, ICAL_VCALENDAR_COMPONENT))
		for (ev = icalcomponent_get_first_component(vcal, ICAL_VEVENT_COMPONENT);
		     ok && ev != NULL;
		     ev = icalcomponent_get_next_component(vcal, ICAL_VEVENT_COMPONENT))
			ok = ics_event(cal, ev, days_r, ndays_r, &cap_closed, &err);
	icalcomponent_free(root);
	if (!ok) {
		*error_r = xasprintf("%s: %s", path, err);
		free(err);
		free(*days_r);
		*days_r = NULL;
		*ndays_r = 0;
	}
	return ok;
}

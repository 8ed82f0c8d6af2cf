/*
 * tz - time-zone conversion from the system TZif files (RFC 8536). Reads
 * version 1, 2 and 3 files (the 64-bit section when there is one) and applies
 * the POSIX TZ footer rule to instants after the last transition, so slim
 * zone files work for any future date. A loaded zone is immutable and may be
 * shared by any number of threads.
 * Must never call localtime(), mktime() or tzset(), nor read or set TZ: the
 * process-wide zone belongs to nobody here, and several zones are used at once.
 */
#include <config.h>
#include "tz.h"
#include "tz-int.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Result codes of the TZif reader. */
enum hd_tzif_result {
	HD_TZIF_OK,
	HD_TZIF_TRUNCATED,
	HD_TZIF_BAD_MAGIC,
	HD_TZIF_BAD_COUNTS,
	HD_TZIF_TOO_MANY_TRANSITIONS,
	HD_TZIF_UNSORTED,
	HD_TZIF_BAD_TYPE_INDEX,
	HD_TZIF_BAD_TYPE,
	HD_TZIF_BAD_FOOTER,
};

/* Human text for a TZif reader result. */
static const char *tzif_result_text(enum hd_tzif_result r)
{
	switch (r) {
	case HD_TZIF_OK: return "ok";
	case HD_TZIF_TRUNCATED: return "truncated";
	case HD_TZIF_BAD_MAGIC: return "no TZif magic";
	case HD_TZIF_BAD_COUNTS: return "inconsistent header counts";
	case HD_TZIF_TOO_MANY_TRANSITIONS: return "too many transitions";
	case HD_TZIF_UNSORTED: return "transitions not in ascending order";
	case HD_TZIF_BAD_TYPE_INDEX: return "transition refers to a missing time type";
	case HD_TZIF_BAD_TYPE: return "bad local time type";
	case HD_TZIF_BAD_FOOTER: return "bad TZ string footer";
	}
	return "?";
}

/* ---- lookups ---- */

/* UT offset in effect at an instant. */
static long tz_utoff(const struct hd_tz *tz, int64_t t)
{
	size_t lo, hi;

	if (tz->ntrans == 0)
		return tz->has_rule ? hd_tz_rule_utoff(&tz->rule, t) : tz->types[0].utoff;
	if (t < tz->trans[0])
		return tz->types[0].utoff;
	if (t >= tz->trans[tz->ntrans - 1] && tz->has_rule)
		return hd_tz_rule_utoff(&tz->rule, t);
	/* Largest i with trans[i] <= t. */
	lo = 0;
	hi = tz->ntrans;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (tz->trans[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return tz->types[tz->trans_type[lo]].utoff;
}

/* First transition (table or rule) strictly after t. */
static bool tz_next_change(const struct hd_tz *tz, int64_t t, int64_t *next_r)
{
	if (tz->ntrans > 0 && t < tz->trans[tz->ntrans - 1]) {
		size_t lo = 0, hi = tz->ntrans - 1;	/* trans[hi] > t */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (tz->trans[mid] > t)
				hi = mid;
			else
				lo = mid + 1;
		}
		*next_r = tz->trans[lo];
		return true;
	}
	if (tz->has_rule)
		return hd_tz_rule_next(&tz->rule, t, next_r);
	return false;
}

/* Convert a UTC instant to local civil time. */
void hd_tz_to_local(const struct hd_tz *tz, time_t t, struct hd_localtime *lt_r)
{
	int64_t tt = hd_tz_clamp_time((int64_t)t);
	long off = tz_utoff(tz, tt);
	int64_t local = tt + off;
	int64_t days = hd_tz_floor_div(local, 86400);
	long secs = (long)(local - days * 86400);

	civil_from_days((long)days, &lt_r->year, &lt_r->month, &lt_r->day);
	lt_r->hour = (int)(secs / 3600);
	lt_r->minute = (int)(secs / 60 % 60);
	lt_r->second = (int)(secs % 60);
	lt_r->wday = hd_tz_weekday_of(days);
	lt_r->utc_offset = off;
}

/* Convert local civil time (fields may be out of range) to a UTC instant. */
time_t hd_tz_from_local(const struct hd_tz *tz, int year, int month, int day,
			int hour, int minute, int second)
{
	struct { int64_t start; long utoff; } seg[HD_TZ_MAX_WINDOW_CHANGES];
	int64_t m0 = (int64_t)month - 1, y = (int64_t)year + hd_tz_floor_div(m0, 12);
	int64_t local, t, next;
	size_t n = 0;

	if (y > 30000000)
		y = 30000000;
	if (y < -30000000)
		y = -30000000;
	m0 -= hd_tz_floor_div(m0, 12) * 12;
	local = ((int64_t)days_from_civil((int)y, (int)m0 + 1, 1) + day - 1) * 86400
		+ (int64_t)hour * 3600 + (int64_t)minute * 60 + second;
	local = hd_tz_clamp_time(local);

	/* The offsets in effect around local, as segments [start, next start). */
	t = local - HD_TZ_WINDOW;
	seg[n].start = t;
	seg[n++].utoff = tz_utoff(tz, t);
	for (int step = 0; step < HD_TZ_MAX_WINDOW_STEPS && n < HD_TZ_MAX_WINDOW_CHANGES; step++) {
		long off;
		if (!tz_next_change(tz, t, &next) || next > local + HD_TZ_WINDOW)
			break;
		off = tz_utoff(tz, next);
		if (off != seg[n - 1].utoff) {
			seg[n].start = next;
			seg[n++].utoff = off;
		}
		t = next;
	}
	/* The earliest instant whose local time is `local`. */
	for (size_t i = 0; i < n; i++) {
		int64_t cand = local - seg[i].utoff;
		if (cand >= seg[i].start && (i + 1 == n || cand < seg[i + 1].start))
			return (time_t)cand;
	}
	/* In a gap: the instant the clocks jumped past `local`. */
	for (size_t i = 1; i < n; i++) {
		if (seg[i].start + seg[i].utoff > local)
			return (time_t)seg[i].start;
	}
	return (time_t)(local - seg[0].utoff);
}

/* ---- loading ---- */

/* The zone's name as loaded. */
const char *hd_tz_name(const struct hd_tz *tz)
{
	return tz->name;
}

/* A copy of s safe to show in a message: printable ASCII, bounded length. */
static char *tz_printable(const char *s)
{
	struct strbuf sb;

	sb_init(&sb);
	for (size_t i = 0; s[i] != '\0' && i < 64; i++)
		sb_putc(&sb, isprint((unsigned char)s[i]) ? s[i] : '?');
	if (strlen(s) > 64)
		sb_puts(&sb, "...");
	return sb_steal(&sb);
}

/* Check a zone name; on failure *why_r says why. */
static bool tz_name_valid(const char *name, const char **why_r)
{
	size_t len = strlen(name);

	if (len == 0)
		*why_r = "empty name";
	else if (len > HD_TZ_MAX_NAME_LEN)
		*why_r = "name too long";
	else if (name[0] == '/')
		*why_r = "absolute path";
	else if (strstr(name, "..") != NULL)
		*why_r = "'..' not allowed";
	else if (strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			"0123456789/_+-") != len)
		*why_r = "only letters, digits, '/', '_', '+' and '-' allowed";
	else
		return true;
	return false;
}

/* A new zone with a single fixed offset type and no rule. */
static struct hd_tz *tz_new(const char *name)
{
	struct hd_tz *tz = xcalloc(1, sizeof(*tz));
	tz->name = xstrdup(name);
	tz->ntypes = 1;
	return tz;
}

/* Free a zone; sets *tz to NULL. */
void hd_tz_deinit(struct hd_tz **tz)
{
	if (tz == NULL || *tz == NULL)
		return;
	free((*tz)->name);
	free((*tz)->trans);
	free((*tz)->trans_type);
	free(*tz);
	*tz = NULL;
}

/* Big-endian 32-bit unsigned. */
static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Big-endian 64-bit signed. */
static int64_t be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* The counts of a TZif header. */
struct hd_tzif_header {
	char version;
	size_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

#define HD_TZIF_HEADER_LEN 44

/* Read and check a TZif header at buf[pos]. */
static enum hd_tzif_result tzif_header(const unsigned char *buf, size_t len, size_t pos,
				       struct hd_tzif_header *h)
{
	const unsigned char *p = buf + pos;

	if (len - pos < 4 || memcmp(p, "TZif", 4) != 0)
		return HD_TZIF_BAD_MAGIC;
	if (len - pos < HD_TZIF_HEADER_LEN)
		return HD_TZIF_TRUNCATED;
	h->version = (char)p[4];
	h->isutcnt = be32(p + 20);
	h->isstdcnt = be32(p + 24);
	h->leapcnt = be32(p + 28);
	h->timecnt = be32(p + 32);
	h->typecnt = be32(p + 36);
	h->charcnt = be32(p + 40);
	if (h->typecnt == 0 || h->typecnt > HD_TZ_MAX_TYPES || h->charcnt > HD_TZ_MAX_CHARS ||
	    h->leapcnt > HD_TZ_MAX_LEAPS ||
	    (h->isutcnt != 0 && h->isutcnt != h->typecnt) ||
	    (h->isstdcnt != 0 && h->isstdcnt != h->typecnt))
		return HD_TZIF_BAD_COUNTS;
	if (h->timecnt > HD_TZ_MAX_TRANSITIONS)
		return HD_TZIF_TOO_MANY_TRANSITIONS;
	return HD_TZIF_OK;
}

/* Bytes of the data block that follows a header. */
static size_t tzif_block_len(const struct hd_tzif_header *h, size_t timesize)
{
	return h->timecnt * timesize + h->timecnt + h->typecnt * 6 + h->charcnt +
		h->leapcnt * (timesize + 4) + h->isstdcnt + h->isutcnt;
}

/* Load transitions and types from the data block at buf[pos]. */
static enum hd_tzif_result tzif_block(struct hd_tz *tz, const unsigned char *buf, size_t len,
				      size_t pos, const struct hd_tzif_header *h, size_t timesize)
{
	const unsigned char *p = buf + pos, *idx, *types;

	if (len - pos < tzif_block_len(h, timesize))
		return HD_TZIF_TRUNCATED;
	idx = p + h->timecnt * timesize;
	types = idx + h->timecnt;
	tz->ntrans = h->timecnt;
	tz->trans = tz->ntrans ? xmalloc(tz->ntrans * sizeof(*tz->trans)) : NULL;
	tz->trans_type = tz->ntrans ? xmalloc(tz->ntrans) : NULL;
	for (size_t i = 0; i < h->timecnt; i++) {
		tz->trans[i] = timesize == 8 ? be64(p + i * 8) : (int32_t)be32(p + i * 4);
		if (i > 0 && tz->trans[i] <= tz->trans[i - 1])
			return HD_TZIF_UNSORTED;
		if (idx[i] >= h->typecnt)
			return HD_TZIF_BAD_TYPE_INDEX;
		tz->trans_type[i] = idx[i];
	}
	tz->ntypes = h->typecnt;
	for (size_t i = 0; i < h->typecnt; i++) {
		int32_t utoff = (int32_t)be32(types + i * 6);
		if (utoff < -HD_TZ_MAX_UTOFF || utoff > HD_TZ_MAX_UTOFF || types[i * 6 + 4] > 1 ||
		    (h->charcnt > 0 && types[i * 6 + 5] >= h->charcnt))
			return HD_TZIF_BAD_TYPE;
		tz->types[i].utoff = utoff;
		tz->types[i].isdst = types[i * 6 + 4] == 1;
	}
	return HD_TZIF_OK;
}

/* Parse a whole TZif file into tz; *footer_r gets the footer on a bad footer. */
static enum hd_tzif_result tzif_parse(struct hd_tz *tz, const unsigned char *buf, size_t len,
				      char **footer_r)
{
	struct hd_tzif_header h;
	enum hd_tzif_result res;
	size_t pos = 0;
	const unsigned char *nl;

	if ((res = tzif_header(buf, len, 0, &h)) != HD_TZIF_OK)
		return res;
	if (h.version == '\0')
		return tzif_block(tz, buf, len, HD_TZIF_HEADER_LEN, &h, 4);
	pos = HD_TZIF_HEADER_LEN + tzif_block_len(&h, 4);
	if (pos > len)
		return HD_TZIF_TRUNCATED;
	if ((res = tzif_header(buf, len, pos, &h)) != HD_TZIF_OK)
		return res;
	pos += HD_TZIF_HEADER_LEN;
	if ((res = tzif_block(tz, buf, len, pos, &h, 8)) != HD_TZIF_OK)
		return res;
	pos += tzif_block_len(&h, 8);
	/* Footer: "\n" TZ-string "\n". */
	if (pos >= len || buf[pos] != '\n')
		return HD_TZIF_BAD_FOOTER;
	pos++;
	nl = memchr(buf + pos, '\n', len - pos);
	if (nl == NULL)
		return HD_TZIF_BAD_FOOTER;
	if (nl > buf + pos) {
		char *footer = xstrndup((const char *)buf + pos, (size_t)(nl - (buf + pos)));
		if (strlen(footer) != (size_t)(nl - (buf + pos)) ||
		    hd_tz_rule_parse(footer, &tz->rule) != HD_TZ_RULE_OK) {
			*footer_r = footer;
			return HD_TZIF_BAD_FOOTER;
		}
		free(footer);
		tz->has_rule = true;
	}
	return HD_TZIF_OK;
}

/* Outcome of reading a zone file. */
enum hd_tz_read_result { HD_TZ_READ_OK, HD_TZ_READ_MISSING, HD_TZ_READ_TOO_LARGE, HD_TZ_READ_ERROR };

/* Read a regular file of at most HD_TZ_MAX_FILE_BYTES; *errno_r on error. */
static enum hd_tz_read_result tz_read_file(const char *path, unsigned char **buf_r, size_t *len_r,
					   int *errno_r)
{
	struct stat st;
	unsigned char *buf;
	size_t len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0) {
		*errno_r = errno;
		return errno == ENOENT || errno == ENOTDIR ? HD_TZ_READ_MISSING : HD_TZ_READ_ERROR;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return HD_TZ_READ_MISSING;
	}
	if (st.st_size > HD_TZ_MAX_FILE_BYTES) {
		close(fd);
		return HD_TZ_READ_TOO_LARGE;
	}
	buf = xmalloc(HD_TZ_MAX_FILE_BYTES + 1);
	for (;;) {
		ssize_t r = read(fd, buf + len, HD_TZ_MAX_FILE_BYTES + 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			*errno_r = errno;
			close(fd);
			free(buf);
			return HD_TZ_READ_ERROR;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > HD_TZ_MAX_FILE_BYTES) {
			close(fd);
			free(buf);
			return HD_TZ_READ_TOO_LARGE;
		}
	}
	close(fd);
	*buf_r = buf;
	*len_r = len;
	return HD_TZ_READ_OK;
}

/* Load a zone by IANA name from zoneinfo_dir, $TZDIR or the system directory. */
struct hd_tz *hd_tz_load(const char *name, const char *zoneinfo_dir, char **error_r)
{
	const char *why, *dir = zoneinfo_dir;
	char *path, *shown, *footer = NULL;
	unsigned char *buf = NULL;
	size_t len = 0;
	int err = 0;
	struct hd_tz *tz;
	enum hd_tzif_result res;

	*error_r = NULL;
	if (name == NULL)
		name = "";
	shown = tz_printable(name);
	if (!tz_name_valid(name, &why)) {
		*error_r = xasprintf("invalid time zone name '%s': %s", shown, why);
		free(shown);
		return NULL;
	}
	if (dir == NULL || *dir == '\0')
		dir = getenv("TZDIR");
	if (dir == NULL || *dir == '\0')
		dir = HD_TZ_DEFAULT_DIR;
	path = xasprintf("%s/%s", dir, name);
	switch (tz_read_file(path, &buf, &len, &err)) {
	case HD_TZ_READ_OK:
		break;
	case HD_TZ_READ_MISSING:
		if (strcmp(name, "UTC") == 0 || strcmp(name, "Etc/UTC") == 0) {
			/* UTC needs no data; work even without a zoneinfo tree. */
			free(path);
			free(shown);
			return tz_new(name);
		}
		*error_r = xasprintf("unknown time zone '%s' (no zone file %s)", shown, path);
		goto fail;
	case HD_TZ_READ_TOO_LARGE:
		*error_r = xasprintf("time zone '%s': %s is larger than %d bytes", shown, path,
				     HD_TZ_MAX_FILE_BYTES);
		goto fail;
	case HD_TZ_READ_ERROR:
		errno = err;	/* %m: glibc's thread-safe strerror */
		*error_r = xasprintf("time zone '%s': cannot read %s: %m", shown, path);
		goto fail;
	}
	tz = tz_new(name);
	res = tzif_parse(tz, buf, len, &footer);
	free(buf);
	if (res != HD_TZIF_OK) {
		char *f = footer ? tz_printable(footer) : NULL;
		*error_r = xasprintf("time zone '%s': %s is not a valid TZif file: %s%s%s%s",
				     shown, path, tzif_result_text(res), f ? " '" : "",
				     f ? f : "", f ? "'" : "");
		free(f);
		free(footer);
		hd_tz_deinit(&tz);
		goto fail;
	}
	free(path);
	free(shown);
	return tz;
fail:
	free(path);
	free(shown);
	return NULL;
}

/* A zone defined by a POSIX TZ string alone. */
struct hd_tz *hd_tz_from_posix(const char *name, const char *rule, char **error_r)
{
	struct hd_tz *tz = tz_new(name != NULL ? name : rule);
	enum hd_tz_rule_result res = hd_tz_rule_parse(rule, &tz->rule);

	*error_r = NULL;
	if (res != HD_TZ_RULE_OK) {
		char *shown = tz_printable(rule);
		*error_r = xasprintf("invalid TZ rule '%s': %s", shown, hd_tz_rule_result_text(res));
		free(shown);
		hd_tz_deinit(&tz);
		return NULL;
	}
	tz->has_rule = true;
	tz->types[0].utoff = (int32_t)tz->rule.std_utoff;
	return tz;
}

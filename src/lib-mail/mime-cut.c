/*
 * mime-cut - cheap pre-passes over a raw message that bound what GMime will
 * build, because GMime builds everything before anything can count it:
 *  - MIME parts: learn every boundary a boundary= parameter declares, count
 *    the delimiter lines of those boundaries, and parse only up to the
 *    delimiter that would start one part too many (285k tiny parts in 10 MB
 *    took 588 MB and 11 s);
 *  - top-level headers: past limits.header_count, keep only the fields that
 *    say how to read the body (200k forged headers in 4 MB took 150 MB).
 *
 * It must stay linear in the message size (one pass, a hash set of
 * boundaries), never allocate more than the boundaries it keeps, and never
 * cut a message that is within the limit. Counting every delimiter of every
 * known boundary over-counts rather than under-counts what GMime builds.
 */
#include <config.h>
#include "mime.h"
#include "util.h"

#include <string.h>
#include <strings.h>
#include <glib.h>

/* The boundary parameter value starting at p (after "boundary="): quoted or
   a token; NULL when empty. */
static char *cut_boundary_value(const char *p, const char *end)
{
	const char *q;

	if (p < end && *p == '"') {
		q = ++p;
		while (q < end && *q != '"')
			q++;
	} else {
		q = p;
		while (q < end && *q != ';' && *q != ' ' && *q != '\t' && *q != '\r' && *q != '\n')
			q++;
	}
	if (q == p || (size_t)(q - p) > HD_MIME_BOUNDARY_MAX)
		return NULL;
	return g_strndup(p, (gsize)(q - p));
}

/* Learn the boundaries a line declares ("boundary=" in any case). Returns
   false when the set is full. */
static bool cut_learn(GHashTable *set, const char *line, const char *end, size_t max_set)
{
	static const char key[] = "boundary=";
	const char *p = line;

	while ((size_t)(end - p) >= sizeof(key) - 1) {
		const char *hit = memchr(p, '=', (size_t)(end - p));

		if (hit == NULL)
			break;
		if ((size_t)(hit - line) >= sizeof(key) - 2 &&
		    strncasecmp(hit - (sizeof(key) - 2), key, sizeof(key) - 1) == 0) {
			char *b = cut_boundary_value(hit + 1, end);

			if (b != NULL) {
				if (g_hash_table_size(set) >= max_set) {
					g_free(b);
					return false;
				}
				g_hash_table_add(set, b);	/* frees a duplicate */
			}
		}
		p = hit + 1;
	}
	return true;
}

/* Whether a line beginning with "--" opens a part of a known boundary (a
   closing delimiter "--b--" opens none). */
static bool cut_is_delimiter(GHashTable *set, const char *line, const char *end)
{
	const char *b = line + 2, *e = end;
	char *key;
	bool hit;

	while (e > b && (e[-1] == '\r' || e[-1] == '\n' || e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if (e == b || (size_t)(e - b) > HD_MIME_BOUNDARY_MAX)
		return false;
	key = g_strndup(b, (gsize)(e - b));
	hit = g_hash_table_contains(set, key);
	g_free(key);
	return hit;
}

/* Public entry: see mime.h. */
size_t hd_mime_parts_cut(const char *data, size_t len, size_t max_parts)
{
	/* A multipart and its boundary are one part: more boundaries than
	   parts allowed (with room for ones only mentioned in text) is too many. */
	size_t max_set = max_parts * 2 + HD_MIME_BOUNDARY_SLACK;
	/* Lines that begin with "--" but are no delimiter of a declared
	   boundary: a boundary in a form not read here (RFC 2231 continuations)
	   still needs one such line per part, so past this many the rest is
	   not parsed either. */
	size_t max_dashes = max_parts * HD_MIME_DASH_LINES_PER_PART + HD_MIME_BOUNDARY_SLACK;
	size_t parts = 1, dashes = 0, cut = len;	/* the message itself is a part */
	GHashTable *set = NULL;		/* made at the first line with a '=' */
	const char *eq = NULL;		/* the next '=' (end: none); NULL: not looked for */

	for (const char *line = data, *end = data + len; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *next = nl != NULL ? nl + 1 : end;

		if (next - line > 2 && line[0] == '-' && line[1] == '-' &&
		    (set != NULL && cut_is_delimiter(set, line, next) ? ++parts > max_parts
								      : ++dashes > max_dashes)) {
			cut = (size_t)(line - data);
			break;
		}
		if (eq == NULL || eq < line) {	/* one search across lines without '=' */
			eq = memchr(line, '=', (size_t)(end - line));
			if (eq == NULL)
				eq = end;
		}
		if (eq < next) {
			if (set == NULL)
				set = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
			if (!cut_learn(set, line, next, max_set)) {
				cut = (size_t)(line - data);
				break;
			}
		}
		line = next;
	}
	if (set != NULL)
		g_hash_table_destroy(set);
	return cut;
}

/* Whether a header field (its first line) names one that says how to read
   the body, kept even past the header count limit. */
static bool cut_structural(const char *line, const char *end)
{
	static const char *const names[] = { "Content-Type", "Content-Transfer-Encoding",
					     "MIME-Version" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t n = strlen(names[i]);
		const char *p = line + n;

		if ((size_t)(end - line) <= n || strncasecmp(line, names[i], n) != 0)
			continue;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p < end && *p == ':')
			return true;
	}
	return false;
}

/* Public entry: see mime.h. */
char *hd_mime_headers_cut(const char *data, size_t len, size_t max_headers, size_t *len_r)
{
	const char *end = data + len, *line = data, *body = end;
	size_t fields = 0;
	bool keep = true;
	struct strbuf sb;

	/* count the fields of the header block */
	for (const char *p = data; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *next = nl != NULL ? nl + 1 : end;

		if (next - p == 1 || (next - p == 2 && p[0] == '\r')) {
			body = p;
			break;
		}
		if (*p != ' ' && *p != '\t')
			fields++;
		p = next;
	}
	if (fields <= max_headers)
		return NULL;
	sb_init(&sb);
	fields = 0;
	while (line < body) {
		const char *nl = memchr(line, '\n', (size_t)(body - line));
		const char *next = nl != NULL ? nl + 1 : body;

		if (*line != ' ' && *line != '\t')
			keep = ++fields <= max_headers || cut_structural(line, next);
		if (keep)
			sb_append(&sb, line, (size_t)(next - line));
		line = next;
	}
	sb_append(&sb, body, (size_t)(end - body));
	*len_r = sb.len;
	return sb_steal(&sb);
}

/*
 * policy - loads the written customer-service policy (SPEC s.7) from YAML into
 * an immutable, reference-counted struct hd_policy, validating every section
 * and reporting every problem as "file:line:column: message" with what was
 * expected, so an administrator can fix the whole file in one pass.
 *
 * Must never: hand out a partially valid policy (any error gives NULL), keep
 * global mutable state (policies are shared read-only between threads), or
 * read anything but the policy file and the system time-zone data.
 */
#include <config.h>
#include "policy.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "matcher.h"
#include "tone.h"
#include "tz.h"
#include "yamldoc.h"

/* Longest name of a team, priority, calendar, role, level, trigger, phrase id. */
#define HD_POLICY_MAX_NAME 64
/* Longest duration accepted: one year of minutes. */
#define HD_POLICY_MAX_DURATION_MINUTES (366L * 24 * 60)
/* Largest authority amount accepted, in currency units. */
#define HD_POLICY_MAX_AMOUNT 1e12
/* Longest header field name in a `header:` condition. */
#define HD_POLICY_MAX_HEADER_NAME 76

static const char *const DURATION_HINT = "expected minutes or hours like 90m, 4h, 1h30m";
static const char *const DAY_NAMES[7] = { "sunday", "monday", "tuesday", "wednesday",
					  "thursday", "friday", "saturday" };
/* Day tokens in week order Monday..Sunday (the order ranges run in). */
static const char *const DAY_TOKENS[7] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };

static const char *const TOP_KEYS[] = { "policy", "scope", "calendars", "priorities", "sla",
					"roles", "agents", "escalation", "tone", "exceptions",
					"kpis", "helpdesk", NULL };
static const char *const META_KEYS[] = { "name", "version", "effective", "owner", "review",
					 "description", NULL };
static const char *const SCOPE_KEYS[] = { "teams", NULL };
static const char *const TEAM_KEYS[] = { "mailboxes", "calendar", NULL };
static const char *const CAL_KEYS[] = { "timezone", "hours", "holidays", NULL };
static const char *const PRIO_KEYS[] = { "name", "when", "rule", NULL };
static const char *const COND_KEYS[] = { "any", "all", "words", "subject_words", "sender",
					 "sender_domain", "header", "priority", "team", NULL };
static const char *const CHANNELS[] = { "email", "chat", "phone", "social", NULL };
static const char *const SLA_KEYS[] = { "first_response", "resolution", "clock", NULL };
static const char *const CLOCKS[] = { "business", "wall", NULL };
static const char *const ROLE_KEYS[] = { "refund", "credit", "discount", "approve", NULL };
static const char *const AGENT_KEYS[] = { "role", "team", "name", NULL };
static const char *const ESC_KEYS[] = { "levels", "triggers", "handoff", NULL };
static const char *const LEVEL_KEYS[] = { "primary", "backup", "primary_hours", NULL };
static const char *const TRIGGER_KEYS[] = { "name", "when", "notify", NULL };
static const char *const HANDOFF_KEYS[] = { "to", "require", NULL };
static const char *const TONE_KEYS[] = { "action", "phrases", NULL };
static const char *const PHRASE_KEYS[] = { "id", "match", "suggest", "unless", "action",
					   "examples", NULL };
static const char *const EXAMPLE_KEYS[] = { "bad", "good", NULL };
static const char *const ACTIONS[] = { "reject", "hold", "tag", "notify", NULL };
static const char *const EXC_KEYS[] = { "tiers", "policies", "require", "approvals_mailbox",
					NULL };
static const char *const TIER_KEYS[] = { "1", "2", "3", NULL };
static const char *const TIER_RULES[] = { "rep", "per-policy", "approval", NULL };
static const char *const EXCPOL_KEYS[] = { "tier2_rep", "max_tier", "kind", NULL };
static const char *const AMOUNT_KINDS[] = { "refund", "credit", "discount", NULL };
static const char *const EXC_FIELDS[] = { "policy", "tier", "reason", "amount", NULL };
static const char *const KPI_KEYS[] = { "target", "review", "owner", NULL };
static const char *const CADENCES[] = { "daily", "weekly", "fortnightly", "monthly",
					"quarterly", "half-yearly", "yearly", "annually", NULL };

/* Loader state for one policy file. */
struct ploader {
	const char *file;
	struct hd_diag *diag;
	size_t base;		/* diagnostics present before this load */
	struct hd_policy *p;
};

/* Errors this load has reported so far. */
static size_t nerrors(const struct ploader *ld)
{
	return hd_diag_count(ld->diag) - ld->base;
}

/* Report an error at a node (or 1:1); silently stops past the error limit. */
static void perr(struct ploader *ld, const struct hd_ynode *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void perr(struct ploader *ld, const struct hd_ynode *at, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (nerrors(ld) > HD_POLICY_MAX_ERRORS)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	hd_diag_add(ld->diag, ld->file, at ? at->line : 1, at ? at->column : 1, "%s", msg);
}

/* Unknown / duplicate keys of a map, unless the error limit is reached. */
static size_t check_keys(struct ploader *ld, const struct hd_ynode *map,
			 const char *const *allowed, const char *section)
{
	if (nerrors(ld) > HD_POLICY_MAX_ERRORS)
		return 0;
	return hd_ymap_check_keys(map, allowed, section, ld->file, ld->diag);
}

/* "a, b, c" of a NULL-terminated list (or "none"); caller frees. */
static char *join_names(const char *const *names)
{
	struct strbuf sb;
	size_t i;

	sb_init(&sb);
	for (i = 0; names != NULL && names[i] != NULL; i++)
		sb_printf(&sb, "%s%s", i ? ", " : "", names[i]);
	if (sb.len == 0)
		sb_puts(&sb, "none");
	return sb_steal(&sb);
}

/* Report a value outside a fixed set, with a suggestion. */
static void bad_choice(struct ploader *ld, const struct hd_ynode *at, const char *what,
		       const char *value, const char *path, const char *const *choices)
{
	const char *dym = hd_did_you_mean(value, choices);
	char *all = join_names(choices);

	if (dym != NULL)
		perr(ld, at, "unknown %s '%s' for %s (did you mean '%s'?; expected one of: %s)",
		     what, value, path, dym, all);
	else
		perr(ld, at, "unknown %s '%s' for %s (expected one of: %s)", what, value, path, all);
	free(all);
}

/* Report a reference to an undefined name, with the defined ones. */
static void bad_ref(struct ploader *ld, const struct hd_ynode *at, const char *what,
		    const char *value, const char *path, const struct strvec *defined)
{
	const char *const *names = (const char *const *)defined->v;
	const char *dym = hd_did_you_mean(value, names);
	char *all = join_names(names);

	if (dym != NULL)
		perr(ld, at, "undefined %s '%s' for %s (did you mean '%s'?; defined: %s)",
		     what, value, path, dym, all);
	else
		perr(ld, at, "undefined %s '%s' for %s (defined: %s)", what, value, path, all);
	free(all);
}

/* True when key i of a map repeats an earlier key (a duplicate, reported once). */
static bool key_repeated(const struct hd_ynode *map, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (strcmp(map->keys[j]->scalar, map->keys[i]->scalar) == 0)
			return true;
	return false;
}

/* "base.key" as a new string. */
static char *path_key(const char *base, const char *key)
{
	return xasprintf("%s.%s", base, key);
}

/* "base[i]" as a new string. */
static char *path_index(const char *base, size_t i)
{
	return xasprintf("%s[%zu]", base, i);
}

/* The node must be a mapping; otherwise report what was expected. */
static bool want_map(struct ploader *ld, const struct hd_ynode *n, const char *path,
		     const char *what)
{
	if (n != NULL && n->type == HD_Y_MAP)
		return true;
	perr(ld, n, "%s must be a mapping (%s), not %s", path, what, hd_ynode_type_name(n));
	return false;
}

/* The node must be a non-empty scalar; returns its text or NULL after an error. */
static const char *want_scalar(struct ploader *ld, const struct hd_ynode *n, const char *path,
			       const char *what)
{
	if (n != NULL && n->type == HD_Y_SCALAR && !hd_ynode_is_null(n) && n->scalar[0] != '\0')
		return n->scalar;
	perr(ld, n, "%s must be %s, not %s", path, what, hd_ynode_type_name(n));
	return NULL;
}

/* A required key of a map, or NULL after "missing required key". */
static const struct hd_ynode *want_key(struct ploader *ld, const struct hd_ynode *map,
				       const char *key, const char *path, const char *what)
{
	const struct hd_ynode *v = hd_ymap_get(map, key);

	if (v == NULL)
		perr(ld, map, "missing required key '%s' in %s (%s)", key, path, what);
	return v;
}

/* A scalar or a list of scalars into sv (appended); false after an error.
   An empty list or empty value is an error. */
static bool want_strings(struct ploader *ld, const struct hd_ynode *n, const char *path,
			 const char *what, struct strvec *sv)
{
	size_t i;
	bool ok = true;

	if (n != NULL && n->type == HD_Y_SCALAR && !hd_ynode_is_null(n) && n->scalar[0] != '\0') {
		sv_push(sv, n->scalar);
		return true;
	}
	if (n == NULL || n->type != HD_Y_SEQ || n->n == 0) {
		perr(ld, n, "%s must be %s or a non-empty list of them, not %s", path, what,
		     n && n->type == HD_Y_SEQ ? "an empty list" : hd_ynode_type_name(n));
		return false;
	}
	for (i = 0; i < n->n; i++) {
		const struct hd_ynode *it = n->items[i];

		if (it->type != HD_Y_SCALAR || hd_ynode_is_null(it) || it->scalar[0] == '\0') {
			char *ip = path_index(path, i);

			perr(ld, it, "%s must be %s, not %s", ip, what, hd_ynode_type_name(it));
			free(ip);
			ok = false;
			continue;
		}
		sv_push(sv, it->scalar);
	}
	return ok;
}

/* A node that is the i-th value of a list or a scalar: where to report item i. */
static const struct hd_ynode *item_at(const struct hd_ynode *n, size_t i)
{
	if (n != NULL && n->type == HD_Y_SEQ && i < n->n)
		return n->items[i];
	return n;
}

/* A name: 1..HD_POLICY_MAX_NAME of letters, digits, '.', '_', '-', starting alnum. */
static bool valid_name(const char *s)
{
	size_t i;

	if (s == NULL || !isalnum((unsigned char)s[0]))
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i >= HD_POLICY_MAX_NAME)
			return false;
		if (!isalnum(c) && c != '.' && c != '_' && c != '-')
			return false;
	}
	return true;
}

/* Check a name and report it when bad; returns the name or NULL. */
static const char *want_name(struct ploader *ld, const struct hd_ynode *n, const char *path)
{
	const char *s = want_scalar(ld, n, path, "a name");

	if (s != NULL && !valid_name(s)) {
		perr(ld, n, "bad name '%s' for %s (expected up to %d letters, digits, '.', '_' "
		     "or '-', starting with a letter or digit)", s, path, HD_POLICY_MAX_NAME);
		return NULL;
	}
	return s;
}

/* A lower-case bare address local@domain, or NULL when malformed. */
static char *parse_address(const char *s)
{
	char *a = addr_normalise(s);
	const char *at;
	size_t i;

	if (a == NULL)
		return NULL;
	at = strchr(a, '@');
	if (at == NULL || at == a || at[1] == '\0' || strchr(at + 1, '@') != NULL ||
	    at[1] == '.' || a[strlen(a) - 1] == '.')
		goto bad;
	for (i = 0; a[i] != '\0'; i++) {
		unsigned char c = (unsigned char)a[i];

		if (c <= ' ' || c >= 0x7f || strchr("<>,;:\"()[]\\", c) != NULL)
			goto bad;
	}
	return a;
bad:
	free(a);
	return NULL;
}

/* Parse and report one address; returns an allocated lower-case copy or NULL. */
static char *want_address(struct ploader *ld, const struct hd_ynode *at, const char *s,
			  const char *path)
{
	char *a = parse_address(s);

	if (a == NULL)
		perr(ld, at, "bad address '%s' for %s (expected local@domain like "
		     "billing@support.example.com)", s, path);
	return a;
}

/* A domain name: letters, digits, '-', '.', not starting or ending with '.'. */
static bool valid_domain(const char *d)
{
	size_t i, len = strlen(d);

	if (len == 0 || len > 253 || d[0] == '.' || d[len - 1] == '.' || strstr(d, "..") != NULL)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)d[i];

		if (!isalnum(c) && c != '-' && c != '.')
			return false;
	}
	return true;
}

/* A date YYYY-MM-DD (proleptic Gregorian) as days since the epoch. */
static bool parse_date(const char *s, long *days_r)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, d, dim;
	size_t i;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
			return false;
	y = atoi(s);
	m = atoi(s + 5);
	d = atoi(s + 8);
	if (y < 1970 || y > 9999 || m < 1 || m > 12)
		return false;
	dim = mdays[m - 1];
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		dim = 29;
	if (d < 1 || d > dim)
		return false;
	*days_r = days_from_civil(y, m, d);
	return true;
}

/* A non-negative decimal number like 250 or 99.50 (no sign, no exponent). */
static bool parse_number(const char *s, size_t len, double *v_r)
{
	size_t i, dots = 0, digits = 0;
	char buf[64];

	if (len == 0 || len >= sizeof(buf))
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (++dots > 1 || i == 0 || i == len - 1)
				return false;
		} else if (isdigit((unsigned char)s[i])) {
			digits++;
		} else {
			return false;
		}
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
	*v_r = strtod(buf, NULL);
	return digits > 0;
}

/* A percentage "10%" or "12.5%" in [0, 100]. */
static bool parse_percent(const char *s, double *v_r)
{
	size_t len = strlen(s);

	if (len < 2 || s[len - 1] != '%' || !parse_number(s, len - 1, v_r))
		return false;
	return *v_r <= 100.0;
}

/* Name of an action. */
const char *hd_action_name(enum hd_action a)
{
	switch (a) {
	case HD_ACTION_TAG:
		return "tag";
	case HD_ACTION_NOTIFY:
		return "notify";
	case HD_ACTION_HOLD:
		return "hold";
	case HD_ACTION_REJECT:
		return "reject";
	case HD_ACTION_NONE:
	default:
		return "none";
	}
}

/* Parse reject | hold | tag | notify (case-insensitive). */
bool hd_action_parse(const char *s, enum hd_action *a_r)
{
	static const struct { const char *name; enum hd_action a; } map[] = {
		{ "tag", HD_ACTION_TAG }, { "notify", HD_ACTION_NOTIFY },
		{ "hold", HD_ACTION_HOLD }, { "reject", HD_ACTION_REJECT },
	};
	size_t i;

	if (s == NULL)
		return false;
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strcasecmp(s, map[i].name) == 0) {
			*a_r = map[i].a;
			return true;
		}
	}
	return false;
}

/* Name of an amount kind. */
const char *hd_amount_kind_name(enum hd_amount_kind k)
{
	switch (k) {
	case HD_AMOUNT_REFUND:
		return "refund";
	case HD_AMOUNT_CREDIT:
		return "credit";
	case HD_AMOUNT_DISCOUNT:
		return "discount";
	case HD_AMOUNT_KIND_COUNT:
	default:
		return "unknown";
	}
}

/* A duration "90m", "4h", "1h30m" in minutes; false when malformed or too long. */
bool hd_duration_parse(const char *s, long *minutes_r)
{
	long total = 0;
	bool seen_h = false, seen_m = false;
	const char *q = s;

	if (s == NULL || *s == '\0')
		return false;
	while (*q != '\0') {
		long v = 0;

		if (!isdigit((unsigned char)*q))
			return false;
		while (isdigit((unsigned char)*q)) {
			v = v * 10 + (*q - '0');
			if (v > HD_POLICY_MAX_DURATION_MINUTES)
				return false;
			q++;
		}
		if (*q == 'h' && !seen_h && !seen_m) {
			if (v > HD_POLICY_MAX_DURATION_MINUTES / 60)
				return false;
			total += v * 60;
			seen_h = true;
		} else if (*q == 'm' && !seen_m) {
			total += v;
			seen_m = true;
		} else {
			return false;
		}
		q++;
		if (total > HD_POLICY_MAX_DURATION_MINUTES)
			return false;
	}
	*minutes_r = total;
	return true;
}

/* True when s has the form of a duration (digits 'h', digits 'm', or both),
   whatever its size: tells "too long" apart from "malformed". */
static bool duration_syntax_ok(const char *s)
{
	const char *q = s;
	bool h = false, m = false;

	while (*q != '\0') {
		if (!isdigit((unsigned char)*q))
			return false;
		while (isdigit((unsigned char)*q))
			q++;
		if (*q == 'h' && !h && !m)
			h = true;
		else if (*q == 'm' && !m)
			m = true;
		else
			return false;
		q++;
	}
	return h || m;
}

/* ---- conditions ---- */

/* Free a condition tree. */
static void cond_free(struct hd_cond **cp)
{
	struct hd_cond *c = *cp;
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nchildren; i++)
		cond_free(&c->children[i]);
	free(c->children);
	free(c->header);
	sv_free(&c->values);
	hd_matcher_deinit(&c->matcher);
	free(c);
	*cp = NULL;
}

/* A new condition node at a position. */
static struct hd_cond *cond_new(enum hd_cond_type type, const struct hd_ynode *at)
{
	struct hd_cond *c = xcalloc(1, sizeof(*c));

	c->type = type;
	sv_init(&c->values);
	c->line = at->line;
	c->column = at->column;
	return c;
}

/* Append a child to an any/all condition. */
static void cond_add_child(struct hd_cond *c, struct hd_cond *child)
{
	c->children = xrealloc(c->children, (c->nchildren + 1) * sizeof(*c->children));
	c->children[c->nchildren++] = child;
}

/* Compile the words of a condition into its matcher; false after an error. */
static bool cond_compile_words(struct ploader *ld, struct hd_cond *c, const struct hd_ynode *v,
			       const char *path)
{
	size_t i;
	bool ok = true;

	c->matcher = hd_matcher_new();
	for (i = 0; i < c->values.n; i++) {
		if (!hd_matcher_add(c->matcher, c->values.v[i], (int)i)) {
			perr(ld, item_at(v, i), "bad word '%s' for %s (empty after normalisation "
			     "or longer than %d bytes)", c->values.v[i], path,
			     HD_MATCHER_MAX_PATTERN_BYTES);
			ok = false;
		}
	}
	hd_matcher_build(c->matcher);
	return ok;
}

/* Names of defined priorities / teams, for messages. */
static void priority_names(const struct hd_policy *p, struct strvec *sv)
{
	size_t i;

	sv_init(sv);
	for (i = 0; i < p->npriorities; i++)
		if (p->priorities[i].name != NULL)
			sv_push(sv, p->priorities[i].name);
}

static void team_names(const struct hd_policy *p, struct strvec *sv)
{
	size_t i;

	sv_init(sv);
	for (i = 0; i < p->nteams; i++)
		if (p->teams[i].name != NULL)
			sv_push(sv, p->teams[i].name);
}

static struct hd_cond *parse_cond(struct ploader *ld, const struct hd_ynode *n, const char *path,
				  bool allow_priority);

/* One key of a condition mapping as a condition; NULL after an error. */
static struct hd_cond *parse_cond_key(struct ploader *ld, const struct hd_ynode *key,
				      const struct hd_ynode *v, const char *path,
				      bool allow_priority)
{
	const char *k = key->scalar;
	char *kp = path_key(path, k);
	struct hd_cond *c = NULL;
	size_t i;
	bool ok = true;

	if (strcmp(k, "any") == 0 || strcmp(k, "all") == 0) {
		c = cond_new(k[1] == 'n' ? HD_COND_ANY : HD_COND_ALL, key);
		if (v->type != HD_Y_SEQ || v->n == 0) {
			perr(ld, v, "%s must be a non-empty list of conditions, not %s", kp,
			     v->type == HD_Y_SEQ ? "an empty list" : hd_ynode_type_name(v));
			ok = false;
		}
		for (i = 0; ok && i < v->n; i++) {
			char *ip = path_index(kp, i);
			struct hd_cond *child = parse_cond(ld, v->items[i], ip, allow_priority);

			free(ip);
			if (child == NULL)
				ok = false;
			else
				cond_add_child(c, child);
		}
	} else if (strcmp(k, "words") == 0 || strcmp(k, "subject_words") == 0) {
		c = cond_new(k[0] == 'w' ? HD_COND_WORDS : HD_COND_SUBJECT_WORDS, key);
		ok = want_strings(ld, v, kp, "a word or phrase", &c->values) &&
		     cond_compile_words(ld, c, v, kp);
	} else if (strcmp(k, "sender") == 0) {
		struct strvec raw;

		c = cond_new(HD_COND_SENDER, key);
		sv_init(&raw);
		ok = want_strings(ld, v, kp, "an address", &raw);
		for (i = 0; i < raw.n; i++) {
			char *a = want_address(ld, item_at(v, i), raw.v[i], kp);

			if (a == NULL)
				ok = false;
			else
				sv_push_owned(&c->values, a);
		}
		sv_free(&raw);
	} else if (strcmp(k, "sender_domain") == 0) {
		struct strvec raw;

		c = cond_new(HD_COND_SENDER_DOMAIN, key);
		sv_init(&raw);
		ok = want_strings(ld, v, kp, "a domain", &raw);
		for (i = 0; i < raw.n; i++) {
			char *d = xstrdup(raw.v[i][0] == '@' ? raw.v[i] + 1 : raw.v[i]);

			str_lower(d);
			if (!valid_domain(d)) {
				perr(ld, item_at(v, i), "bad domain '%s' for %s (expected a domain "
				     "like bigcorp.example; subdomains are included)", raw.v[i], kp);
				free(d);
				ok = false;
				continue;
			}
			sv_push_owned(&c->values, d);
		}
		sv_free(&raw);
	} else if (strcmp(k, "header") == 0) {
		if (!want_map(ld, v, kp, "header name: word or [words]")) {
			ok = false;
		} else if (v->n == 0) {
			perr(ld, v, "%s must name at least one header", kp);
			ok = false;
		} else {
			check_keys(ld, v, NULL, kp);
			if (v->n > 1)
				c = cond_new(HD_COND_ALL, key);
			for (i = 0; i < v->n; i++) {
				const struct hd_ynode *hk = v->keys[i];
				char *hp = path_key(kp, hk->scalar);
				struct hd_cond *h = cond_new(HD_COND_HEADER, hk);
				size_t j, hl = strlen(hk->scalar);
				bool hok = hl > 0 && hl <= HD_POLICY_MAX_HEADER_NAME;

				for (j = 0; hok && j < hl; j++) {
					unsigned char ch = (unsigned char)hk->scalar[j];

					hok = ch > ' ' && ch < 0x7f && ch != ':';
				}
				if (!hok) {
					perr(ld, hk, "bad header name '%s' in %s (expected a header "
					     "field name like X-Priority, without ':')", hk->scalar, kp);
					ok = false;
				}
				h->header = xstrdup(hk->scalar);
				if (!want_strings(ld, v->items[i], hp, "a word or phrase", &h->values) ||
				    !cond_compile_words(ld, h, v->items[i], hp))
					ok = false;
				free(hp);
				if (c == NULL)
					c = h;
				else
					cond_add_child(c, h);
			}
		}
	} else if (strcmp(k, "priority") == 0 || strcmp(k, "team") == 0) {
		bool prio = k[0] == 'p';
		struct strvec defined;

		c = cond_new(prio ? HD_COND_PRIORITY : HD_COND_TEAM, key);
		if (prio && !allow_priority) {
			perr(ld, key, "a 'priority' condition cannot be used in %s (the priority "
			     "is what these rules decide; use it in escalation triggers)", path);
			ok = false;
		} else if (want_strings(ld, v, kp, prio ? "a priority name" : "a team name",
					&c->values)) {
			if (prio)
				priority_names(ld->p, &defined);
			else
				team_names(ld->p, &defined);
			for (i = 0; i < c->values.n; i++) {
				if (!sv_contains_ci(&defined, c->values.v[i])) {
					bad_ref(ld, item_at(v, i), prio ? "priority" : "team",
						c->values.v[i], kp, &defined);
					ok = false;
				}
			}
			sv_free(&defined);
		} else {
			ok = false;
		}
	} else {
		ok = false;	/* unknown key: already reported by check_keys */
	}
	free(kp);
	if (!ok)
		cond_free(&c);
	return c;
}

/* A `when:` condition mapping (several keys = all of them); NULL after an error. */
static struct hd_cond *parse_cond(struct ploader *ld, const struct hd_ynode *n, const char *path,
				  bool allow_priority)
{
	struct hd_cond *all = NULL, *c;
	size_t i;
	bool ok = true;

	if (n == NULL || n->type != HD_Y_MAP) {
		perr(ld, n, "%s must be a condition mapping (with any of: any, all, words, "
		     "subject_words, sender, sender_domain, header, priority, team), not %s",
		     path, hd_ynode_type_name(n));
		return NULL;
	}
	if (n->n == 0) {
		perr(ld, n, "%s is an empty condition (give at least one of: any, all, words, "
		     "subject_words, sender, sender_domain, header, priority, team)", path);
		return NULL;
	}
	if (check_keys(ld, n, COND_KEYS, path) > 0)
		ok = false;
	if (n->n > 1)
		all = cond_new(HD_COND_ALL, n);
	for (i = 0; i < n->n; i++) {
		c = parse_cond_key(ld, n->keys[i], n->items[i], path, allow_priority);
		if (c == NULL) {
			ok = false;
			continue;
		}
		if (all == NULL) {
			all = c;
		} else {
			cond_add_child(all, c);
		}
	}
	if (!ok)
		cond_free(&all);
	return all;
}

/* ---- calendars ---- */

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
	if (!want_strings(ld, v, path, "hours like \"09:00-17:30\" or \"closed\"", &texts)) {
		sv_free(&texts);
		return;
	}
	for (i = 0; i < texts.n; i++) {
		const char *s = texts.v[i];
		const struct hd_ynode *at = item_at(v, i);

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
				perr(ld, at, "bad hours '%.*s' for %s (expected HH:MM-HH:MM like "
				     "09:00-17:30, several separated by commas, or closed)",
				     shown, s, path);
			} else if (r == IV_BAD_TIME) {
				perr(ld, at, "bad time in '%.*s' for %s (expected 00:00 to 24:00, "
				     "hours 00-23 and minutes 00-59; 24:00 only as an end)",
				     shown, s, path);
			} else if (r == IV_INVERTED) {
				perr(ld, at, "bad hours '%.*s' for %s (the end is not after the "
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
							perr(ld, at, "too many intervals on %s in %s "
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
	size_t i, j, before = nerrors(ld);
	const struct hd_ynode *last_at = NULL;
	struct hd_interval last_a = { 0, 0 }, last_b = { 0, 0 };
	int d;

	if (!want_map(ld, h, path, "days: hours, like mon-fri: \"09:00-17:30\""))
		return;
	check_keys(ld, h, NULL, path);
	st = xcalloc(1, sizeof(*st));
	for (i = 0; i < h->n; i++) {
		if (key_repeated(h, i))
			continue;	/* reported by check_keys */
		const struct hd_ynode *k = h->keys[i];
		unsigned mask;
		char *kp;

		if (!parse_days(k->scalar, &mask)) {
			perr(ld, k, "bad weekdays '%s' in %s (expected days like mon-fri, sat, "
			     "mon,wed or mon-sun; the week runs from mon to sun)", k->scalar, path);
			continue;
		}
		kp = path_key(path, k->scalar);
		read_hours_value(ld, st, mask, h->items[i], kp);
		free(kp);
	}
	for (d = 0; d < 7; d++) {
		struct staged_iv *v = st->iv[d];
		char a[32], b[32];

		if ((st->closed & st->open) & (1u << d)) {
			perr(ld, st->closed_at[d], "%s is both closed and open in %s",
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
				perr(ld, v[i].at, "overlapping hours on %s in %s: %s and %s",
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
	if (st->open == 0 && nerrors(ld) == before)
		perr(ld, h, "%s has no open hours at all (deadlines could never be computed)",
		     path);
	free(st);
}

/* Order days. */
static int long_cmp(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

/* Read calendars.NAME.holidays into cal (sorted). */
static void load_holidays(struct ploader *ld, struct hd_calendar *cal,
			  const struct hd_ynode *h, const char *path)
{
	size_t i, j;

	if (hd_ynode_is_null(h))
		return;
	if (h->type != HD_Y_SEQ) {
		perr(ld, h, "%s must be a list of dates like [2026-12-25, 2026-12-28], not %s",
		     path, hd_ynode_type_name(h));
		return;
	}
	if (h->n > HD_CAL_MAX_HOLIDAYS) {
		perr(ld, h, "too many holidays in %s (limit %d)", path, HD_CAL_MAX_HOLIDAYS);
		return;
	}
	cal->holidays = xcalloc(h->n, sizeof(long));
	for (i = 0; i < h->n; i++) {
		const struct hd_ynode *it = h->items[i];
		long day;

		if (it->type != HD_Y_SCALAR || !parse_date(it->scalar, &day)) {
			perr(ld, it, "bad date '%s' for %s (expected a real date as YYYY-MM-DD, "
			     "like 2026-12-25)", it->type == HD_Y_SCALAR ? it->scalar : "",
			     path);
			continue;
		}
		for (j = 0; j < cal->nholidays; j++)
			if (cal->holidays[j] == day)
				break;
		if (j < cal->nholidays) {
			perr(ld, it, "duplicate holiday '%s' in %s", it->scalar, path);
			continue;
		}
		cal->holidays[cal->nholidays++] = day;
	}
	qsort(cal->holidays, cal->nholidays, sizeof(long), long_cmp);
}

/* calendars: name -> { timezone, hours, holidays }. */
static void load_calendars(struct ploader *ld, const struct hd_ynode *root)
{
	const struct hd_ynode *cals = hd_ymap_get(root, "calendars");
	struct hd_policy *p = ld->p;
	size_t i;

	if (cals == NULL)
		return;
	if (!want_map(ld, cals, "calendars", "name: { timezone, hours, holidays }"))
		return;
	check_keys(ld, cals, NULL, "calendars");
	p->calendars = xcalloc(cals->n, sizeof(*p->calendars));
	for (i = 0; i < cals->n; i++) {
		if (key_repeated(cals, i))
			continue;	/* reported by check_keys */
		const struct hd_ynode *v = cals->items[i], *tzn;
		char *path = path_key("calendars", cals->keys[i]->scalar);
		struct hd_calendar *cal;
		const char *tzname;

		if (want_name(ld, cals->keys[i], "calendars") == NULL ||
		    !want_map(ld, v, path, "timezone, hours, holidays")) {
			free(path);
			continue;
		}
		check_keys(ld, v, CAL_KEYS, path);
		cal = xcalloc(1, sizeof(*cal));
		cal->name = xstrdup(cals->keys[i]->scalar);
		p->calendars[p->ncalendars++] = cal;
		tzn = want_key(ld, v, "timezone", path, "an IANA time zone like Europe/London");
		if (tzn != NULL) {
			char *tp = path_key(path, "timezone");

			tzname = want_scalar(ld, tzn, tp, "an IANA time zone like Europe/London");
			if (tzname != NULL) {
				char *err = NULL;

				cal->timezone = xstrdup(tzname);
				cal->tz = hd_tz_load(tzname, NULL, &err);
				if (cal->tz == NULL)
					perr(ld, tzn, "unknown time zone '%s' for %s (expected an IANA "
					     "name like Europe/London or UTC)", tzname, tp);
				free(err);
			}
			free(tp);
		}
		if (want_key(ld, v, "hours", path, "open hours per weekday") != NULL) {
			char *hp = path_key(path, "hours");

			load_hours(ld, cal, hd_ymap_get(v, "hours"), hp);
			free(hp);
		}
		if (hd_ymap_get(v, "holidays") != NULL) {
			char *hp = path_key(path, "holidays");

			load_holidays(ld, cal, hd_ymap_get(v, "holidays"), hp);
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
static const struct hd_calendar *want_calendar(struct ploader *ld, const struct hd_ynode *n,
					       const char *path)
{
	const char *name = want_scalar(ld, n, path, "a calendar name");
	const struct hd_calendar *cal;
	struct strvec defined;

	if (name == NULL)
		return NULL;
	cal = hd_policy_calendar(ld->p, name);
	if (cal == NULL) {
		calendar_names(ld->p, &defined);
		bad_ref(ld, n, "calendar", name, path, &defined);
		sv_free(&defined);
	}
	return cal;
}

/* ---- sections ---- */

/* policy: { name, version, effective, owner, review, description }. */
static void load_meta(struct ploader *ld, const struct hd_ynode *root)
{
	const struct hd_ynode *m = hd_ymap_get(root, "policy"), *v;
	struct hd_policy *p = ld->p;
	const char *s;
	long day;

	if (m == NULL) {
		perr(ld, root, "missing required section 'policy' (name and version of the "
		     "policy, e.g. policy: { name: acme-support, version: 3 })");
		return;
	}
	if (!want_map(ld, m, "policy", "name, version, effective, owner, review"))
		return;
	check_keys(ld, m, META_KEYS, "policy");
	if ((v = want_key(ld, m, "name", "policy", "the policy's name")) != NULL &&
	    (s = want_name(ld, v, "policy.name")) != NULL)
		p->name = xstrdup(s);
	if ((v = want_key(ld, m, "version", "policy", "the policy's version, like 3")) != NULL &&
	    (s = want_scalar(ld, v, "policy.version", "a version like 3 or 2.1")) != NULL) {
		if (!valid_name(s))
			perr(ld, v, "bad version '%s' for policy.version (expected letters, digits, "
			     "'.', '_' or '-', like 3 or 2.1)", s);
		else
			p->version = xstrdup(s);
	}
	if ((v = hd_ymap_get(m, "effective")) != NULL &&
	    (s = want_scalar(ld, v, "policy.effective", "a date like 2026-12-01")) != NULL) {
		if (!parse_date(s, &day))
			perr(ld, v, "bad date '%s' for policy.effective (expected a real date as "
			     "YYYY-MM-DD, like 2026-12-01)", s);
		else
			p->effective = xstrdup(s);
	}
	if ((v = hd_ymap_get(m, "owner")) != NULL &&
	    (s = want_scalar(ld, v, "policy.owner", "a string")) != NULL)
		p->owner = xstrdup(s);
	if ((v = hd_ymap_get(m, "review")) != NULL &&
	    (s = want_scalar(ld, v, "policy.review", "a review cadence like quarterly")) != NULL) {
		size_t i;

		for (i = 0; CADENCES[i] != NULL && strcmp(CADENCES[i], s) != 0; i++)
			;
		if (CADENCES[i] == NULL)
			bad_choice(ld, v, "review cadence", s, "policy.review", CADENCES);
		else
			p->review = xstrdup(s);
	}
	if ((v = hd_ymap_get(m, "description")) != NULL)
		want_scalar(ld, v, "policy.description", "a string");
}

/* scope: { teams: name -> { mailboxes, calendar } }. */
static void load_scope(struct ploader *ld, const struct hd_ynode *root)
{
	const struct hd_ynode *scope = hd_ymap_get(root, "scope"), *teams;
	struct hd_policy *p = ld->p;
	size_t i, j, k, l;

	if (scope == NULL) {
		perr(ld, root, "missing required section 'scope' (the teams and their support "
		     "mailboxes: scope: { teams: { billing: { mailboxes: [...], calendar: ... } } })");
		return;
	}
	if (!want_map(ld, scope, "scope", "teams"))
		return;
	check_keys(ld, scope, SCOPE_KEYS, "scope");
	teams = want_key(ld, scope, "teams", "scope", "name: { mailboxes, calendar }");
	if (teams == NULL || !want_map(ld, teams, "scope.teams", "name: { mailboxes, calendar }"))
		return;
	if (teams->n == 0) {
		perr(ld, teams, "scope.teams must define at least one team");
		return;
	}
	check_keys(ld, teams, NULL, "scope.teams");
	p->teams = xcalloc(teams->n, sizeof(*p->teams));
	for (i = 0; i < teams->n; i++) {
		if (key_repeated(teams, i))
			continue;	/* reported by check_keys */
		const struct hd_ynode *v = teams->items[i], *mb, *cn;
		char *path = path_key("scope.teams", teams->keys[i]->scalar);
		struct hd_team *t = &p->teams[p->nteams++];

		t->line = teams->keys[i]->line;
		t->column = teams->keys[i]->column;
		sv_init(&t->mailboxes);
		if (want_name(ld, teams->keys[i], "scope.teams") != NULL)
			t->name = xstrdup(teams->keys[i]->scalar);
		if (!want_map(ld, v, path, "mailboxes, calendar")) {
			free(path);
			continue;
		}
		check_keys(ld, v, TEAM_KEYS, path);
		mb = want_key(ld, v, "mailboxes", path, "the team's support addresses");
		if (mb != NULL) {
			struct strvec raw;
			char *mp = path_key(path, "mailboxes");

			sv_init(&raw);
			want_strings(ld, mb, mp, "an address", &raw);
			for (j = 0; j < raw.n; j++) {
				char *a = want_address(ld, item_at(mb, j), raw.v[j], mp);
				bool dup = false;

				if (a == NULL)
					continue;
				for (k = 0; k < p->nteams && !dup; k++) {
					for (l = 0; l < p->teams[k].mailboxes.n; l++) {
						if (strcmp(p->teams[k].mailboxes.v[l], a) != 0)
							continue;
						perr(ld, item_at(mb, j), "mailbox '%s' is listed twice: "
						     "in team '%s' (line %d) and in %s", a,
						     p->teams[k].name ? p->teams[k].name : "?",
						     p->teams[k].line, mp);
						dup = true;
						break;
					}
				}
				if (dup)
					free(a);
				else
					sv_push_owned(&t->mailboxes, a);
			}
			sv_free(&raw);
			free(mp);
		}
		cn = want_key(ld, v, "calendar", path, "the business-hours calendar of the team");
		if (cn != NULL) {
			char *cp = path_key(path, "calendar");

			t->calendar = want_calendar(ld, cn, cp);
			free(cp);
		}
		free(path);
	}
}

/* priorities: [{ name, when, rule }], the last one without `when`. */
static void load_priorities(struct ploader *ld, const struct hd_ynode *root)
{
	const struct hd_ynode *pl = hd_ymap_get(root, "priorities");
	struct hd_policy *p = ld->p;
	size_t i, j;

	if (pl == NULL) {
		perr(ld, root, "missing required section 'priorities' (an ordered list of "
		     "{ name, when }; the last one, without 'when', is the default)");
		return;
	}
	if (pl->type != HD_Y_SEQ) {
		perr(ld, pl, "priorities must be a list of { name, when } (evaluated in order), "
		     "not %s", hd_ynode_type_name(pl));
		return;
	}
	if (pl->n == 0) {
		perr(ld, pl, "priorities must list at least one priority (the last one, "
		     "without 'when', is the default)");
		return;
	}
	p->priorities = xcalloc(pl->n, sizeof(*p->priorities));
	for (i = 0; i < pl->n; i++) {
		const struct hd_ynode *it = pl->items[i], *v;
		struct hd_priority *pr = &p->priorities[p->npriorities++];
		char *path = path_index("priorities", i);
		const char *s;

		pr->line = it->line;
		pr->column = it->column;
		if (!want_map(ld, it, path, "name, when, rule")) {
			free(path);
			continue;
		}
		check_keys(ld, it, PRIO_KEYS, path);
		if ((v = want_key(ld, it, "name", path, "the priority's name")) != NULL) {
			char *np = path_key(path, "name");

			if ((s = want_name(ld, v, np)) != NULL) {
				for (j = 0; j + 1 < p->npriorities; j++) {
					if (p->priorities[j].name != NULL &&
					    strcmp(p->priorities[j].name, s) == 0) {
						perr(ld, v, "duplicate priority '%s' in priorities "
						     "(first given at line %d)", s,
						     p->priorities[j].line);
						break;
					}
				}
				pr->name = xstrdup(s);
			}
			free(np);
		}
		if ((v = hd_ymap_get(it, "rule")) != NULL) {
			char *rp = path_key(path, "rule");

			if ((s = want_name(ld, v, rp)) != NULL)
				pr->rule_name = xstrdup(s);
			free(rp);
		}
		if (pr->rule_name == NULL && pr->name != NULL)
			pr->rule_name = xstrdup(pr->name);
		if ((v = hd_ymap_get(it, "when")) != NULL) {
			char *wp = path_key(path, "when");

			pr->when = parse_cond(ld, v, wp, false);
			free(wp);
		}
		if (v == NULL && i + 1 < pl->n)
			perr(ld, it, "priority '%s' has no 'when', so it matches everything, but it "
			     "is not the last one (the priorities after it could never match)",
			     pr->name ? pr->name : "?");
		if (v != NULL && i + 1 == pl->n)
			perr(ld, it, "the last priority '%s' must have no 'when': it is the default "
			     "for mail that no rule matches", pr->name ? pr->name : "?");
		free(path);
	}
}

/* One SLA target { first_response, resolution, clock }. */
static void load_sla_target(struct ploader *ld, struct hd_sla_target *t,
			    const struct hd_ynode *v, const char *path)
{
	static const char *const which[2] = { "first_response", "resolution" };
	long *dst[2] = { &t->first_response, &t->resolution };
	const struct hd_ynode *n;
	int i;

	if (!want_map(ld, v, path, "first_response, resolution, clock"))
		return;
	check_keys(ld, v, SLA_KEYS, path);
	for (i = 0; i < 2; i++) {
		char *kp = path_key(path, which[i]);
		const char *s;

		if ((n = want_key(ld, v, which[i], path, DURATION_HINT)) != NULL &&
		    (s = want_scalar(ld, n, kp, "a duration like 4h")) != NULL) {
			if (!hd_duration_parse(s, dst[i]) && duration_syntax_ok(s))
				perr(ld, n, "duration '%s' for %s is too long (at most %ld hours)", s,
				     kp, HD_POLICY_MAX_DURATION_MINUTES / 60);
			else if (!hd_duration_parse(s, dst[i]))
				perr(ld, n, "bad duration '%s' for %s (%s)", s, kp, DURATION_HINT);
			else if (*dst[i] == 0)
				perr(ld, n, "bad duration '%s' for %s (must be more than zero; %s)",
				     s, kp, DURATION_HINT);
		}
		free(kp);
	}
	if (t->first_response > 0 && t->resolution > 0 && t->first_response > t->resolution)
		perr(ld, hd_ymap_get(v, "first_response"), "%s: first_response is longer than "
		     "resolution (%ld > %ld minutes)", path, t->first_response, t->resolution);
	if ((n = hd_ymap_get(v, "clock")) != NULL) {
		char *cp = path_key(path, "clock");
		const char *s = want_scalar(ld, n, cp, "wall or business");

		if (s != NULL && strcmp(s, "wall") == 0)
			t->wall = true;
		else if (s != NULL && strcmp(s, "business") != 0)
			bad_choice(ld, n, "clock", s, cp, CLOCKS);
		free(cp);
	}
}

/* sla: channel -> { enforced, priority -> target }. */
static void load_sla(struct ploader *ld, const struct hd_ynode *root)
{
	const struct hd_ynode *sla = hd_ymap_get(root, "sla");
	struct hd_policy *p = ld->p;
	size_t i, j, k;

	if (sla == NULL)
		return;
	if (!want_map(ld, sla, "sla", "channel: { priority: { first_response, resolution } }"))
		return;
	check_keys(ld, sla, CHANNELS, "sla");
	p->channels = xcalloc(sla->n, sizeof(*p->channels));
	for (i = 0; i < sla->n; i++) {
		if (key_repeated(sla, i))
			continue;	/* reported by check_keys */
		const char *cname = sla->keys[i]->scalar;
		const struct hd_ynode *v = sla->items[i], *en;
		char *path = path_key("sla", cname);
		struct hd_sla_channel *ch;
		struct strvec defined;

		for (k = 0; CHANNELS[k] != NULL && strcmp(CHANNELS[k], cname) != 0; k++)
			;
		if (CHANNELS[k] == NULL || !want_map(ld, v, path, "priority: { first_response, "
						     "resolution, clock }, enforced")) {
			free(path);
			continue;
		}
		check_keys(ld, v, NULL, path);
		ch = &p->channels[p->nchannels++];
		ch->name = xstrdup(cname);
		ch->enforced = strcmp(cname, "email") == 0;
		ch->targets = xcalloc(v->n, sizeof(*ch->targets));
		if ((en = hd_ymap_get(v, "enforced")) != NULL && !hd_yscalar_bool(en, &ch->enforced))
			perr(ld, en, "bad value '%s' for %s.enforced (expected true or false)",
			     en->type == HD_Y_SCALAR ? en->scalar : hd_ynode_type_name(en), path);
		priority_names(p, &defined);
		for (j = 0; j < v->n; j++) {
			if (key_repeated(v, j))
				continue;	/* reported by check_keys */
			const char *pn = v->keys[j]->scalar;
			const struct hd_priority *pr;
			char *tp;

			if (strcmp(pn, "enforced") == 0)
				continue;
			pr = hd_policy_priority(p, pn);
			if (pr == NULL) {
				bad_ref(ld, v->keys[j], "priority", pn, path, &defined);
				continue;
			}
			tp = path_key(path, pn);
			ch->targets[ch->ntargets].priority = pr;
			load_sla_target(ld, &ch->targets[ch->ntargets], v->items[j], tp);
			ch->ntargets++;
			free(tp);
		}
		if (ch->enforced) {
			for (j = 0; j < p->npriorities; j++) {
				if (p->priorities[j].name == NULL ||
				    hd_policy_sla(p, ch->name, &p->priorities[j]) != NULL)
					continue;
				perr(ld, sla->keys[i], "%s has no target for priority '%s' (an "
				     "enforced channel needs first_response and resolution for "
				     "every priority)", path, p->priorities[j].name);
			}
		}
		sv_free(&defined);
		free(path);
	}
}

/* roles: { currency, role -> { refund, credit, discount, approve } } in rising order. */
static void load_roles(struct ploader *ld, const struct hd_ynode *root)
{
	const struct hd_ynode *roles = hd_ymap_get(root, "roles"), *cur;
	struct hd_policy *p = ld->p;
	size_t i, j;
	int k;

	p->currency = xstrdup("USD");
	if (roles == NULL)
		return;
	if (!want_map(ld, roles, "roles", "currency and role: { refund, credit, discount }"))
		return;
	check_keys(ld, roles, NULL, "roles");
	if ((cur = hd_ymap_get(roles, "currency")) != NULL) {
		const char *s = want_scalar(ld, cur, "roles.currency", "a currency code like USD");

		if (s != NULL && (strlen(s) != 3 || !isupper((unsigned char)s[0]) ||
				  !isupper((unsigned char)s[1]) || !isupper((unsigned char)s[2])))
			perr(ld, cur, "bad currency '%s' for roles.currency (expected an ISO 4217 "
			     "code of three capital letters like USD, EUR or GBP)", s);
		else if (s != NULL) {
			free(p->currency);
			p->currency = xstrdup(s);
		}
	}
	p->roles = xcalloc(roles->n, sizeof(*p->roles));
	for (i = 0; i < roles->n; i++) {
		if (key_repeated(roles, i))
			continue;	/* reported by check_keys */
		const struct hd_ynode *v = roles->items[i], *n;
		const char *rname = roles->keys[i]->scalar;
		char *path;
		struct hd_role *r;

		if (strcmp(rname, "currency") == 0)
			continue;
		path = path_key("roles", rname);
		r = &p->roles[p->nroles];
		r->rank = (int)p->nroles;
		p->nroles++;
		if (want_name(ld, roles->keys[i], "roles") != NULL)
			r->name = xstrdup(rname);
		if (!want_map(ld, v, path, "refund, credit, discount, approve")) {
			free(path);
			continue;
		}
		check_keys(ld, v, ROLE_KEYS, path);
		for (k = 0; k < HD_AMOUNT_KIND_COUNT; k++) {
			char *kp = path_key(path, AMOUNT_KINDS[k]);
			const char *s;

			if ((n = hd_ymap_get(v, AMOUNT_KINDS[k])) != NULL &&
			    (s = want_scalar(ld, n, kp, k == HD_AMOUNT_DISCOUNT ?
					     "a percentage like 10%" : "an amount like 250")) != NULL) {
				if (k == HD_AMOUNT_DISCOUNT && !parse_percent(s, &r->limit[k]))
					perr(ld, n, "bad percentage '%s' for %s (expected 0%% to 100%% "
					     "like 10%% or 12.5%%)", s, kp);
				else if (k != HD_AMOUNT_DISCOUNT &&
					 (!parse_number(s, strlen(s), &r->limit[k]) ||
					  r->limit[k] > HD_POLICY_MAX_AMOUNT))
					perr(ld, n, "bad amount '%s' for %s (expected a number of %s "
					     "like 250 or 99.50, without a currency sign)", s, kp,
					     p->currency);
				else
					r->has_limit[k] = true;
			}
			free(kp);
		}
		r->can_approve = r->rank > 0;
		if ((n = hd_ymap_get(v, "approve")) != NULL && !hd_yscalar_bool(n, &r->can_approve))
			perr(ld, n, "bad value '%s' for %s.approve (expected true or false)",
			     n->type == HD_Y_SCALAR ? n->scalar : hd_ynode_type_name(n), path);
		/* authority rises with rank: a higher role's limit may not be lower */
		for (j = 0; j + 1 < p->nroles; j++) {
			const struct hd_role *lo = &p->roles[j];

			for (k = 0; k < HD_AMOUNT_KIND_COUNT; k++) {
				if (!lo->has_limit[k] || !r->has_limit[k] || r->limit[k] >= lo->limit[k])
					continue;
				perr(ld, hd_ymap_get(v, AMOUNT_KINDS[k]), "%s limit of role '%s' "
				     "(%g) is lower than that of '%s' (%g) listed before it (roles go "
				     "in order of rising authority)", AMOUNT_KINDS[k],
				     r->name ? r->name : "?", r->limit[k],
				     lo->name ? lo->name : "?", lo->limit[k]);
			}
		}
		free(path);
	}
}

/* agents: address -> { role, team, name }. */
static void load_agents(struct ploader *ld, const struct hd_ynode *root)
{
	const struct hd_ynode *agents = hd_ymap_get(root, "agents");
	struct hd_policy *p = ld->p;
	size_t i, j;

	if (agents == NULL)
		return;
	if (!want_map(ld, agents, "agents", "address: { role, team, name }"))
		return;
	p->agents = xcalloc(agents->n, sizeof(*p->agents));
	for (i = 0; i < agents->n; i++) {
		const struct hd_ynode *key = agents->keys[i], *v = agents->items[i], *n;
		char *addr = want_address(ld, key, key->scalar, "agents");
		char *path;
		const char *s;
		struct hd_agent *a;
		const struct hd_team *mt;
		struct strvec defined;

		if (addr == NULL)
			continue;
		for (j = 0; j < p->nagents; j++)
			if (strcmp(p->agents[j].address, addr) == 0)
				break;
		if (j < p->nagents) {
			for (size_t q = 0; q < i; q++) {
				char *o = parse_address(agents->keys[q]->scalar);
				bool same = o != NULL && strcmp(o, addr) == 0;

				free(o);
				if (same) {
					perr(ld, key, "duplicate agent '%s' in agents (first given at "
					     "line %d)", addr, agents->keys[q]->line);
					break;
				}
			}
			free(addr);
			continue;
		}
		if ((mt = hd_policy_team_for_mailbox(p, addr)) != NULL)
			perr(ld, key, "agent '%s' is also a support mailbox of team '%s' (an address "
			     "is either an agent or a mailbox)", addr, mt->name);
		a = &p->agents[p->nagents++];
		a->address = addr;
		path = path_key("agents", addr);
		if (!want_map(ld, v, path, "role, team, name")) {
			free(path);
			continue;
		}
		check_keys(ld, v, AGENT_KEYS, path);
		if ((n = want_key(ld, v, "role", path, "one of the roles")) != NULL) {
			char *rp = path_key(path, "role");

			if ((s = want_scalar(ld, n, rp, "a role name")) != NULL &&
			    (a->role = hd_policy_role(p, s)) == NULL) {
				sv_init(&defined);
				for (j = 0; j < p->nroles; j++)
					if (p->roles[j].name)
						sv_push(&defined, p->roles[j].name);
				bad_ref(ld, n, "role", s, rp, &defined);
				sv_free(&defined);
			}
			free(rp);
		}
		if ((n = hd_ymap_get(v, "team")) != NULL) {
			char *tp = path_key(path, "team");

			if ((s = want_scalar(ld, n, tp, "a team name")) != NULL &&
			    (a->team = hd_policy_team(p, s)) == NULL) {
				team_names(p, &defined);
				bad_ref(ld, n, "team", s, tp, &defined);
				sv_free(&defined);
			}
			free(tp);
		}
		if ((n = hd_ymap_get(v, "name")) != NULL) {
			char *np = path_key(path, "name");

			if ((s = want_scalar(ld, n, np, "the agent's display name")) != NULL)
				a->name = xstrdup(s);
			free(np);
		}
		free(path);
	}
}

/* An address-valued key, stored lower-case in *dst. */
static void load_address_key(struct ploader *ld, const struct hd_ynode *map, const char *key,
			     const char *path, bool required, char **dst)
{
	const struct hd_ynode *n = required ? want_key(ld, map, key, path, "an address") :
				   hd_ymap_get(map, key);
	char *kp;
	const char *s;

	if (n == NULL)
		return;
	kp = path_key(path, key);
	if ((s = want_scalar(ld, n, kp, "an address")) != NULL)
		*dst = want_address(ld, n, s, kp);
	free(kp);
}

/* escalation: { levels, triggers, handoff }. */
static void load_escalation(struct ploader *ld, const struct hd_ynode *root)
{
	const struct hd_ynode *esc = hd_ymap_get(root, "escalation"), *lv, *tr, *ho;
	struct hd_policy *p = ld->p;
	struct strvec defined;
	size_t i, j;

	if (esc == NULL)
		return;
	if (!want_map(ld, esc, "escalation", "levels, triggers, handoff"))
		return;
	check_keys(ld, esc, ESC_KEYS, "escalation");
	if ((lv = hd_ymap_get(esc, "levels")) != NULL &&
	    want_map(ld, lv, "escalation.levels", "name: { primary, backup, primary_hours }")) {
		check_keys(ld, lv, NULL, "escalation.levels");
		p->levels = xcalloc(lv->n, sizeof(*p->levels));
		for (i = 0; i < lv->n; i++) {
			if (key_repeated(lv, i))
				continue;	/* reported by check_keys */
			const struct hd_ynode *v = lv->items[i], *n;
			char *path = path_key("escalation.levels", lv->keys[i]->scalar);
			struct hd_esc_level *l = &p->levels[p->nlevels++];

			if (want_name(ld, lv->keys[i], "escalation.levels") != NULL)
				l->name = xstrdup(lv->keys[i]->scalar);
			if (!want_map(ld, v, path, "primary, backup, primary_hours")) {
				free(path);
				continue;
			}
			check_keys(ld, v, LEVEL_KEYS, path);
			load_address_key(ld, v, "primary", path, true, &l->primary);
			load_address_key(ld, v, "backup", path, false, &l->backup);
			if ((n = hd_ymap_get(v, "primary_hours")) != NULL) {
				char *hp = path_key(path, "primary_hours");

				l->primary_hours = want_calendar(ld, n, hp);
				if (hd_ymap_get(v, "backup") == NULL)
					perr(ld, n, "%s has primary_hours but no backup (who is "
					     "notified outside those hours?)", path);
				free(hp);
			}
			free(path);
		}
	}
	if ((tr = hd_ymap_get(esc, "triggers")) != NULL) {
		if (tr->type != HD_Y_SEQ) {
			perr(ld, tr, "escalation.triggers must be a list of { name, when, notify }, "
			     "not %s", hd_ynode_type_name(tr));
		} else {
			p->triggers = xcalloc(tr->n, sizeof(*p->triggers));
			for (i = 0; i < tr->n; i++) {
				const struct hd_ynode *it = tr->items[i], *n;
				char *path = path_index("escalation.triggers", i);
				struct hd_trigger *t = &p->triggers[p->ntriggers++];
				const char *s;

				if (!want_map(ld, it, path, "name, when, notify")) {
					free(path);
					continue;
				}
				check_keys(ld, it, TRIGGER_KEYS, path);
				if ((n = want_key(ld, it, "name", path, "the trigger's name")) != NULL) {
					char *np = path_key(path, "name");

					if ((s = want_name(ld, n, np)) != NULL) {
						for (j = 0; j + 1 < p->ntriggers; j++)
							if (p->triggers[j].name &&
							    strcmp(p->triggers[j].name, s) == 0)
								perr(ld, n, "duplicate trigger '%s' "
								     "in escalation.triggers", s);
						t->name = xstrdup(s);
					}
					free(np);
				}
				if ((n = want_key(ld, it, "when", path, "the condition")) != NULL) {
					char *wp = path_key(path, "when");

					t->when = parse_cond(ld, n, wp, true);
					free(wp);
				}
				if ((n = want_key(ld, it, "notify", path, "an escalation level")) != NULL) {
					char *np = path_key(path, "notify");

					if ((s = want_scalar(ld, n, np, "a level name")) != NULL &&
					    (t->notify = hd_policy_level(p, s)) == NULL) {
						sv_init(&defined);
						for (j = 0; j < p->nlevels; j++)
							if (p->levels[j].name)
								sv_push(&defined, p->levels[j].name);
						bad_ref(ld, n, "escalation level", s, np, &defined);
						sv_free(&defined);
					}
					free(np);
				}
				free(path);
			}
		}
	}
	if ((ho = hd_ymap_get(esc, "handoff")) != NULL &&
	    want_map(ld, ho, "escalation.handoff", "to, require")) {
		const struct hd_ynode *n;
		struct strvec raw;

		check_keys(ld, ho, HANDOFF_KEYS, "escalation.handoff");
		sv_init(&raw);
		if ((n = want_key(ld, ho, "to", "escalation.handoff",
				  "the addresses a hand-off is sent to")) != NULL &&
		    want_strings(ld, n, "escalation.handoff.to", "an address", &raw)) {
			for (i = 0; i < raw.n; i++) {
				char *a = want_address(ld, item_at(n, i), raw.v[i],
						       "escalation.handoff.to");

				if (a != NULL)
					sv_push_owned(&p->handoff_to, a);
			}
		}
		sv_free(&raw);
		if ((n = want_key(ld, ho, "require", "escalation.handoff",
				  "the field labels a hand-off must carry")) != NULL)
			want_strings(ld, n, "escalation.handoff.require", "a field label like "
				     "\"Customer:\"", &p->handoff_require);
	}
}

/* One tone phrase. */
static void load_phrase(struct ploader *ld, struct hd_phrase *ph, const struct hd_ynode *it,
			const char *path)
{
	const struct hd_ynode *n;
	char *kp;
	const char *s;
	size_t i;

	sv_init(&ph->match);
	sv_init(&ph->unless);
	sv_init(&ph->examples_bad);
	sv_init(&ph->examples_good);
	ph->line = it->line;
	ph->column = it->column;
	if (!want_map(ld, it, path, "id, match, suggest, unless, action, examples"))
		return;
	check_keys(ld, it, PHRASE_KEYS, path);
	if ((n = want_key(ld, it, "id", path, "the rule id shown to agents and auditors")) != NULL) {
		kp = path_key(path, "id");
		if ((s = want_name(ld, n, kp)) != NULL)
			ph->id = xstrdup(s);
		free(kp);
	}
	if ((n = want_key(ld, it, "match", path, "the prohibited phrases")) != NULL) {
		kp = path_key(path, "match");
		if (want_strings(ld, n, kp, "a phrase", &ph->match)) {
			for (i = 0; i < ph->match.n; i++)
				if (strlen(ph->match.v[i]) > HD_MATCHER_MAX_PATTERN_BYTES)
					perr(ld, item_at(n, i), "phrase in %s is longer than %d bytes",
					     kp, HD_MATCHER_MAX_PATTERN_BYTES);
		}
		free(kp);
	}
	if ((n = hd_ymap_get(it, "suggest")) != NULL) {
		kp = path_key(path, "suggest");
		if ((s = want_scalar(ld, n, kp, "the better wording")) != NULL)
			ph->suggest = xstrdup(s);
		free(kp);
	}
	if ((n = hd_ymap_get(it, "unless")) != NULL) {
		kp = path_key(path, "unless");
		want_strings(ld, n, kp, "a context phrase", &ph->unless);
		free(kp);
	}
	if ((n = hd_ymap_get(it, "action")) != NULL) {
		kp = path_key(path, "action");
		if ((s = want_scalar(ld, n, kp, "reject, hold, tag or notify")) != NULL &&
		    !hd_action_parse(s, &ph->action))
			bad_choice(ld, n, "action", s, kp, ACTIONS);
		free(kp);
	}
	if ((n = hd_ymap_get(it, "examples")) != NULL) {
		kp = path_key(path, "examples");
		if (want_map(ld, n, kp, "bad: [...], good: [...]")) {
			const struct hd_ynode *e;
			char *ep;

			check_keys(ld, n, EXAMPLE_KEYS, kp);
			if ((e = hd_ymap_get(n, "bad")) != NULL) {
				ep = path_key(kp, "bad");
				want_strings(ld, e, ep, "an example text", &ph->examples_bad);
				free(ep);
			}
			if ((e = hd_ymap_get(n, "good")) != NULL) {
				ep = path_key(kp, "good");
				want_strings(ld, e, ep, "an example text", &ph->examples_good);
				free(ep);
			}
		}
		free(kp);
	}
}

/* tone: { action, phrases }; compiles the phrase index when the section is valid. */
static void load_tone(struct ploader *ld, const struct hd_ynode *root)
{
	const struct hd_ynode *tone = hd_ymap_get(root, "tone"), *n;
	struct hd_policy *p = ld->p;
	size_t before = nerrors(ld), i, j;

	p->tone_action = HD_ACTION_REJECT;
	if (tone != NULL && want_map(ld, tone, "tone", "action, phrases")) {
		check_keys(ld, tone, TONE_KEYS, "tone");
		if ((n = hd_ymap_get(tone, "action")) != NULL) {
			const char *s = want_scalar(ld, n, "tone.action", "reject, hold, tag or notify");

			if (s != NULL && !hd_action_parse(s, &p->tone_action))
				bad_choice(ld, n, "action", s, "tone.action", ACTIONS);
		}
		if ((n = hd_ymap_get(tone, "phrases")) != NULL) {
			if (n->type != HD_Y_SEQ) {
				perr(ld, n, "tone.phrases must be a list of { id, match, suggest }, "
				     "not %s", hd_ynode_type_name(n));
			} else if (n->n > HD_POLICY_MAX_PHRASES) {
				perr(ld, n, "too many phrases in tone.phrases (limit %d)",
				     HD_POLICY_MAX_PHRASES);
			} else {
				p->phrases = xcalloc(n->n, sizeof(*p->phrases));
				for (i = 0; i < n->n; i++) {
					struct hd_phrase *ph = &p->phrases[p->nphrases++];
					char *path = path_index("tone.phrases", i);

					load_phrase(ld, ph, n->items[i], path);
					for (j = 0; ph->id && j + 1 < p->nphrases; j++) {
						if (p->phrases[j].id &&
						    strcmp(p->phrases[j].id, ph->id) == 0) {
							perr(ld, hd_ymap_get(n->items[i], "id"),
							     "duplicate phrase id '%s' in tone.phrases "
							     "(first given at line %d)", ph->id,
							     p->phrases[j].line);
							break;
						}
					}
					free(path);
				}
			}
		}
	}
	if (nerrors(ld) == before && !hd_tone_compile(p, ld->diag) && nerrors(ld) == before)
		perr(ld, tone, "the tone phrases could not be compiled");
}

/* exceptions: { tiers, policies, require, approvals_mailbox }. */
static void load_exceptions(struct ploader *ld, const struct hd_ynode *root)
{
	const struct hd_ynode *exc = hd_ymap_get(root, "exceptions"), *n;
	struct hd_policy *p = ld->p;
	size_t i, j;
	bool needs_approval = false;

	p->tiers[0] = HD_TIER_REP;
	p->tiers[1] = HD_TIER_REP;
	p->tiers[2] = HD_TIER_PER_POLICY;
	p->tiers[3] = HD_TIER_APPROVAL;
	if (exc == NULL || !want_map(ld, exc, "exceptions",
				     "tiers, policies, require, approvals_mailbox")) {
		sv_push(&p->exc_require, "policy");
		sv_push(&p->exc_require, "tier");
		sv_push(&p->exc_require, "reason");
		return;
	}
	check_keys(ld, exc, EXC_KEYS, "exceptions");
	if ((n = hd_ymap_get(exc, "tiers")) != NULL &&
	    want_map(ld, n, "exceptions.tiers", "1: rep, 2: per-policy, 3: approval")) {
		for (i = 0; i < n->n; i++) {
			if (key_repeated(n, i))
				continue;	/* reported by check_keys */
			const char *k = n->keys[i]->scalar, *s;
			char *tp = path_key("exceptions.tiers", k);

			for (j = 0; TIER_KEYS[j] != NULL && strcmp(TIER_KEYS[j], k) != 0; j++)
				;
			if (TIER_KEYS[j] == NULL) {
				perr(ld, n->keys[i], "bad tier '%s' in exceptions.tiers (expected 1, "
				     "2 or 3)", k);
			} else if ((s = want_scalar(ld, n->items[i], tp,
						    "rep, per-policy or approval")) != NULL) {
				size_t r;

				for (r = 0; TIER_RULES[r] != NULL && strcmp(TIER_RULES[r], s); r++)
					;
				if (TIER_RULES[r] == NULL)
					bad_choice(ld, n->items[i], "tier rule", s, tp, TIER_RULES);
				else
					p->tiers[j + 1] = (enum hd_tier_rule)r;
			}
			free(tp);
		}
		check_keys(ld, n, NULL, "exceptions.tiers");
	}
	if ((n = hd_ymap_get(exc, "policies")) != NULL &&
	    want_map(ld, n, "exceptions.policies", "name: { tier2_rep, max_tier, kind }")) {
		check_keys(ld, n, NULL, "exceptions.policies");
		p->exc_policies = xcalloc(n->n, sizeof(*p->exc_policies));
		for (i = 0; i < n->n; i++) {
			if (key_repeated(n, i))
				continue;	/* reported by check_keys */
			const struct hd_ynode *v = n->items[i], *f;
			char *path = path_key("exceptions.policies", n->keys[i]->scalar);
			struct hd_exc_policy *ep = &p->exc_policies[p->nexc_policies++];

			ep->kind = HD_AMOUNT_REFUND;
			if (want_name(ld, n->keys[i], "exceptions.policies") != NULL)
				ep->name = xstrdup(n->keys[i]->scalar);
			if (hd_ynode_is_null(v) || !want_map(ld, v, path, "tier2_rep, max_tier, kind")) {
				free(path);
				continue;
			}
			check_keys(ld, v, EXCPOL_KEYS, path);
			if ((f = hd_ymap_get(v, "tier2_rep")) != NULL && !hd_yscalar_bool(f, &ep->tier2_rep))
				perr(ld, f, "bad value '%s' for %s.tier2_rep (expected true or false)",
				     f->type == HD_Y_SCALAR ? f->scalar : hd_ynode_type_name(f), path);
			if ((f = hd_ymap_get(v, "max_tier")) != NULL) {
				long t;

				if (!hd_yscalar_long(f, 1, 3, &t))
					perr(ld, f, "bad tier '%s' for %s.max_tier (expected 1, 2 or 3)",
					     f->type == HD_Y_SCALAR ? f->scalar :
					     hd_ynode_type_name(f), path);
				else
					ep->max_tier = (int)t;
			}
			if ((f = hd_ymap_get(v, "kind")) != NULL) {
				char *kp = path_key(path, "kind");
				const char *s = want_scalar(ld, f, kp, "refund, credit or discount");
				size_t k;

				for (k = 0; s && AMOUNT_KINDS[k] && strcmp(AMOUNT_KINDS[k], s); k++)
					;
				if (s != NULL && AMOUNT_KINDS[k] == NULL)
					bad_choice(ld, f, "amount kind", s, kp, AMOUNT_KINDS);
				else if (s != NULL)
					ep->kind = (enum hd_amount_kind)k;
				free(kp);
			}
			free(path);
		}
	}
	if ((n = hd_ymap_get(exc, "require")) != NULL) {
		if (want_strings(ld, n, "exceptions.require", "a field name", &p->exc_require)) {
			for (i = 0; i < p->exc_require.n; i++) {
				for (j = 0; EXC_FIELDS[j] && strcmp(EXC_FIELDS[j], p->exc_require.v[i]); j++)
					;
				if (EXC_FIELDS[j] == NULL)
					bad_choice(ld, item_at(n, i), "field", p->exc_require.v[i],
						   "exceptions.require", EXC_FIELDS);
			}
		}
	} else {
		sv_push(&p->exc_require, "policy");
		sv_push(&p->exc_require, "tier");
		sv_push(&p->exc_require, "reason");
	}
	load_address_key(ld, exc, "approvals_mailbox", "exceptions", false, &p->approvals_mailbox);
	for (i = 1; i <= 3; i++)
		if (p->tiers[i] == HD_TIER_APPROVAL)
			needs_approval = true;
	for (i = 0; i < p->nexc_policies && p->tiers[2] == HD_TIER_PER_POLICY; i++)
		if (!p->exc_policies[i].tier2_rep)
			needs_approval = true;
	if (needs_approval && hd_ymap_get(exc, "approvals_mailbox") == NULL)
		perr(ld, exc, "exceptions need approval for some tiers but "
		     "exceptions.approvals_mailbox is not set (where approvers send "
		     "'approve EXC-...')");
	if (needs_approval && p->nroles > 0) {
		for (i = 0; i < p->nroles && !p->roles[i].can_approve; i++)
			;
		if (i == p->nroles)
			perr(ld, exc, "exceptions need approval for some tiers but no role may "
			     "approve (set approve: true on a role)");
	}
}

/* kpis: name -> { target, review, owner }. */
static void load_kpis(struct ploader *ld, const struct hd_ynode *root)
{
	const struct hd_ynode *kpis = hd_ymap_get(root, "kpis");
	struct hd_policy *p = ld->p;
	size_t i, j;

	if (kpis == NULL || !want_map(ld, kpis, "kpis", "name: { target, review, owner }"))
		return;
	check_keys(ld, kpis, NULL, "kpis");
	p->kpis = xcalloc(kpis->n, sizeof(*p->kpis));
	for (i = 0; i < kpis->n; i++) {
		if (key_repeated(kpis, i))
			continue;	/* reported by check_keys */
		const struct hd_ynode *v = kpis->items[i], *n;
		char *path = path_key("kpis", kpis->keys[i]->scalar), *kp;
		struct hd_kpi *k = &p->kpis[p->nkpis++];
		const char *s;

		if (want_name(ld, kpis->keys[i], "kpis") != NULL)
			k->name = xstrdup(kpis->keys[i]->scalar);
		if (!want_map(ld, v, path, "target, review, owner")) {
			free(path);
			continue;
		}
		check_keys(ld, v, KPI_KEYS, path);
		if ((n = want_key(ld, v, "target", path, "like 95% or 4h")) != NULL) {
			double d;
			long m;

			kp = path_key(path, "target");
			if ((s = want_scalar(ld, n, kp, "a target like 95% or 4h")) != NULL) {
				if (parse_percent(s, &d) || hd_duration_parse(s, &m) ||
				    parse_number(s, strlen(s), &d))
					k->target = xstrdup(s);
				else
					perr(ld, n, "bad target '%s' for %s (expected a percentage "
					     "like 95%%, a duration like 4h or a number like 4.5)",
					     s, kp);
			}
			free(kp);
		}
		if ((n = hd_ymap_get(v, "review")) != NULL) {
			kp = path_key(path, "review");
			if ((s = want_scalar(ld, n, kp, "a review cadence like monthly")) != NULL) {
				for (j = 0; CADENCES[j] && strcmp(CADENCES[j], s); j++)
					;
				if (CADENCES[j] == NULL)
					bad_choice(ld, n, "review cadence", s, kp, CADENCES);
				else
					k->review = xstrdup(s);
			}
			free(kp);
		}
		if ((n = hd_ymap_get(v, "owner")) != NULL) {
			kp = path_key(path, "owner");
			if ((s = want_scalar(ld, n, kp, "who owns the KPI")) != NULL)
				k->owner = xstrdup(s);
			free(kp);
		}
		free(path);
	}
}

/* Free everything a policy owns. */
static void policy_free(struct hd_policy *p)
{
	size_t i, j;

	if (p == NULL)
		return;
	free(p->file);
	free(p->name);
	free(p->version);
	free(p->effective);
	free(p->owner);
	free(p->review);
	for (i = 0; i < p->ncalendars; i++)
		hd_calendar_deinit(&p->calendars[i]);
	free(p->calendars);
	for (i = 0; i < p->nteams; i++) {
		free(p->teams[i].name);
		sv_free(&p->teams[i].mailboxes);
	}
	free(p->teams);
	for (i = 0; i < p->npriorities; i++) {
		free(p->priorities[i].name);
		free(p->priorities[i].rule_name);
		cond_free(&p->priorities[i].when);
	}
	free(p->priorities);
	for (i = 0; i < p->nchannels; i++) {
		free(p->channels[i].name);
		free(p->channels[i].targets);
	}
	free(p->channels);
	free(p->currency);
	for (i = 0; i < p->nroles; i++)
		free(p->roles[i].name);
	free(p->roles);
	for (i = 0; i < p->nagents; i++) {
		free(p->agents[i].address);
		free(p->agents[i].name);
	}
	free(p->agents);
	for (i = 0; i < p->nlevels; i++) {
		free(p->levels[i].name);
		free(p->levels[i].primary);
		free(p->levels[i].backup);
	}
	free(p->levels);
	for (i = 0; i < p->ntriggers; i++) {
		free(p->triggers[i].name);
		cond_free(&p->triggers[i].when);
	}
	free(p->triggers);
	sv_free(&p->handoff_to);
	sv_free(&p->handoff_require);
	hd_tone_index_deinit(&p->tone);
	for (i = 0; i < p->nphrases; i++) {
		struct hd_phrase *ph = &p->phrases[i];

		free(ph->id);
		free(ph->suggest);
		sv_free(&ph->match);
		sv_free(&ph->unless);
		sv_free(&ph->examples_bad);
		sv_free(&ph->examples_good);
	}
	free(p->phrases);
	for (i = 0; i < p->nexc_policies; i++)
		free(p->exc_policies[i].name);
	free(p->exc_policies);
	sv_free(&p->exc_require);
	free(p->approvals_mailbox);
	for (j = 0; j < p->nkpis; j++) {
		free(p->kpis[j].name);
		free(p->kpis[j].target);
		free(p->kpis[j].review);
		free(p->kpis[j].owner);
	}
	free(p->kpis);
	hd_policy_helpdesk_free(p);
	free(p);
}

/* Keep at most HD_POLICY_MAX_ERRORS of this load's diagnostics, then say so. */
static void trim_errors(struct ploader *ld)
{
	struct strvec *sv = &ld->diag->lines;

	if (nerrors(ld) <= HD_POLICY_MAX_ERRORS)
		return;
	while (sv->n > ld->base + HD_POLICY_MAX_ERRORS) {
		sv->n--;
		free(sv->v[sv->n]);
		sv->v[sv->n] = NULL;
	}
	hd_diag_add(ld->diag, ld->file, 1, 1, "too many errors; only the first %d are shown",
		    HD_POLICY_MAX_ERRORS);
}

/* Build and validate a policy from a parsed tree; NULL when anything is wrong. */
static struct hd_policy *policy_build(const char *name, const struct hd_ynode *root,
				      struct hd_diag *diag, size_t base)
{
	struct ploader ld = { .file = name, .diag = diag, .base = base };
	struct hd_policy *p = xcalloc(1, sizeof(*p));

	p->refcount = 1;
	p->file = xstrdup(name);
	sv_init(&p->handoff_to);
	sv_init(&p->handoff_require);
	sv_init(&p->exc_require);
	ld.p = p;
	if (root->type != HD_Y_MAP) {
		perr(&ld, root, "the policy file must be a mapping of sections (policy, scope, "
		     "calendars, priorities, ...), not %s", hd_ynode_type_name(root));
		policy_free(p);
		return NULL;
	}
	check_keys(&ld, root, TOP_KEYS, "the policy file");
	load_meta(&ld, root);
	load_calendars(&ld, root);
	load_scope(&ld, root);
	load_priorities(&ld, root);
	load_sla(&ld, root);
	load_roles(&ld, root);
	load_agents(&ld, root);
	load_escalation(&ld, root);
	load_tone(&ld, root);
	load_exceptions(&ld, root);
	load_kpis(&ld, root);
	if (nerrors(&ld) == 0)
		hd_policy_helpdesk_load(p, name, root, diag);
	if (nerrors(&ld) > 0) {
		trim_errors(&ld);
		policy_free(p);
		return NULL;
	}
	return p;
}

/* Load and validate a policy from a buffer. */
struct hd_policy *hd_policy_load_buffer(const char *name, const char *data, size_t len,
					struct hd_diag *diag)
{
	size_t base = hd_diag_count(diag);
	struct hd_ynode *root;
	struct hd_policy *p;

	if (len > HD_POLICY_MAX_FILE_BYTES) {
		hd_diag_add(diag, name, 1, 1, "policy file is larger than %u bytes",
			    (unsigned)HD_POLICY_MAX_FILE_BYTES);
		return NULL;
	}
	root = hd_yaml_load_buffer(name, data, len, diag);
	if (root == NULL)
		return NULL;
	p = policy_build(name, root, diag, base);
	hd_ynode_deinit(&root);
	return p;
}

/* Load and validate a policy file. */
struct hd_policy *hd_policy_load(const char *path, struct hd_diag *diag)
{
	size_t base = hd_diag_count(diag);
	struct hd_ynode *root = hd_yaml_load_file(path, diag);
	struct hd_policy *p;

	if (root == NULL)
		return NULL;
	p = policy_build(path, root, diag, base);
	hd_ynode_deinit(&root);
	return p;
}

/* Run the tone examples as self-tests. */
size_t hd_policy_selftest(const struct hd_policy *p, struct hd_diag *diag)
{
	return hd_tone_selftest(p, diag);
}

/* Take a reference. */
struct hd_policy *hd_policy_ref(struct hd_policy *p)
{
	if (p != NULL)
		__atomic_add_fetch(&p->refcount, 1, __ATOMIC_RELAXED);
	return p;
}

/* Drop a reference; frees at zero; sets *pp to NULL. */
void hd_policy_unref(struct hd_policy **pp)
{
	struct hd_policy *p = *pp;

	*pp = NULL;
	if (p != NULL && __atomic_sub_fetch(&p->refcount, 1, __ATOMIC_ACQ_REL) == 0)
		policy_free(p);
}

/* Team whose mailbox list has addr. */
const struct hd_team *hd_policy_team_for_mailbox(const struct hd_policy *p, const char *addr)
{
	char *a = addr_normalise(addr);
	const struct hd_team *t = NULL;
	size_t i, j;

	if (p == NULL || a == NULL) {
		free(a);
		return NULL;
	}
	for (i = 0; i < p->nteams && t == NULL; i++)
		for (j = 0; j < p->teams[i].mailboxes.n; j++)
			if (strcmp(p->teams[i].mailboxes.v[j], a) == 0) {
				t = &p->teams[i];
				break;
			}
	free(a);
	return t;
}

/* Team by name. */
const struct hd_team *hd_policy_team(const struct hd_policy *p, const char *name)
{
	size_t i;

	for (i = 0; p != NULL && name != NULL && i < p->nteams; i++)
		if (p->teams[i].name != NULL && strcmp(p->teams[i].name, name) == 0)
			return &p->teams[i];
	return NULL;
}

/* Agent by address. */
const struct hd_agent *hd_policy_agent(const struct hd_policy *p, const char *addr)
{
	char *a = addr_normalise(addr);
	const struct hd_agent *r = NULL;
	size_t i;

	for (i = 0; p != NULL && a != NULL && i < p->nagents; i++)
		if (strcmp(p->agents[i].address, a) == 0) {
			r = &p->agents[i];
			break;
		}
	free(a);
	return r;
}

/* Role by name. */
const struct hd_role *hd_policy_role(const struct hd_policy *p, const char *name)
{
	size_t i;

	for (i = 0; p != NULL && name != NULL && i < p->nroles; i++)
		if (p->roles[i].name != NULL && strcmp(p->roles[i].name, name) == 0)
			return &p->roles[i];
	return NULL;
}

/* Priority by name. */
const struct hd_priority *hd_policy_priority(const struct hd_policy *p, const char *name)
{
	size_t i;

	for (i = 0; p != NULL && name != NULL && i < p->npriorities; i++)
		if (p->priorities[i].name != NULL && strcmp(p->priorities[i].name, name) == 0)
			return &p->priorities[i];
	return NULL;
}

/* Calendar by name. */
const struct hd_calendar *hd_policy_calendar(const struct hd_policy *p, const char *name)
{
	size_t i;

	for (i = 0; p != NULL && name != NULL && i < p->ncalendars; i++)
		if (strcmp(p->calendars[i]->name, name) == 0)
			return p->calendars[i];
	return NULL;
}

/* Escalation level by name. */
const struct hd_esc_level *hd_policy_level(const struct hd_policy *p, const char *name)
{
	size_t i;

	for (i = 0; p != NULL && name != NULL && i < p->nlevels; i++)
		if (p->levels[i].name != NULL && strcmp(p->levels[i].name, name) == 0)
			return &p->levels[i];
	return NULL;
}

/* Exception policy by name. */
const struct hd_exc_policy *hd_policy_exc_policy(const struct hd_policy *p, const char *name)
{
	size_t i;

	for (i = 0; p != NULL && name != NULL && i < p->nexc_policies; i++)
		if (p->exc_policies[i].name != NULL && strcmp(p->exc_policies[i].name, name) == 0)
			return &p->exc_policies[i];
	return NULL;
}

/* SLA target of a channel (NULL channel = email) for a priority. */
const struct hd_sla_target *hd_policy_sla(const struct hd_policy *p, const char *channel,
					  const struct hd_priority *prio)
{
	size_t i, j;

	if (p == NULL || prio == NULL)
		return NULL;
	if (channel == NULL)
		channel = "email";
	for (i = 0; i < p->nchannels; i++) {
		if (strcmp(p->channels[i].name, channel) != 0)
			continue;
		for (j = 0; j < p->channels[i].ntargets; j++)
			if (p->channels[i].targets[j].priority == prio)
				return &p->channels[i].targets[j];
	}
	return NULL;
}

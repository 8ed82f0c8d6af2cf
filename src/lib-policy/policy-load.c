/*
 * policy-load - the loader machinery every policy section shares: error
 * reporting under the per-load error limit, type checks of YAML nodes
 * (pl_want_map, pl_want_scalar, pl_want_key, pl_want_strings, pl_want_name),
 * "did you mean" messages for bad choices and undefined references, dotted
 * paths for messages, the name lists those messages show, and the value
 * readers (addresses, dates, numbers, percentages).
 *
 * Must never: know what a section's keys mean (the policy-<section>.c files
 * do), keep state outside the struct ploader it is given, or report more than
 * HD_POLICY_MAX_ERRORS errors of one load.
 */
#include <config.h>
#include "policy-int.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Amount kinds in enum hd_amount_kind order (roles, exceptions.policies.kind). */
const char *const PL_AMOUNT_KINDS[] = { "refund", "credit", "discount", NULL };
/* Review cadences of policy.review and kpis.*.review. */
const char *const PL_CADENCES[] = { "daily", "weekly", "fortnightly", "monthly", "quarterly",
				    "half-yearly", "yearly", "annually", NULL };

/* Errors this load has reported so far. */
size_t pl_nerrors(const struct ploader *ld)
{
	return hd_diag_count(ld->diag) - ld->base;
}

/* Report an error at a node (or 1:1); silently stops past the error limit. */
void pl_err(struct ploader *ld, const struct hd_ynode *at, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (pl_nerrors(ld) > HD_POLICY_MAX_ERRORS)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	hd_diag_add(ld->diag, ld->file, at ? at->line : 1, at ? at->column : 1, "%s", msg);
}

/* Unknown / duplicate keys of a map, unless the error limit is reached. */
size_t pl_check_keys(struct ploader *ld, const struct hd_ynode *map,
		     const char *const *allowed, const char *section)
{
	if (pl_nerrors(ld) > HD_POLICY_MAX_ERRORS)
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

/* Report a name that is not among names: "<problem> <what> '<value>' for <path>
   (did you mean ...?; <listed>: ...)". */
static void bad_name(struct ploader *ld, const struct hd_ynode *at, const char *problem,
		     const char *what, const char *value, const char *path,
		     const char *const *names, const char *listed)
{
	const char *dym = hd_did_you_mean(value, names);
	char *all = join_names(names);

	if (dym != NULL)
		pl_err(ld, at, "%s %s '%s' for %s (did you mean '%s'?; %s: %s)", problem, what,
		       value, path, dym, listed, all);
	else
		pl_err(ld, at, "%s %s '%s' for %s (%s: %s)", problem, what, value, path, listed,
		       all);
	free(all);
}

/* Report a value outside a fixed set, with a suggestion. */
void pl_bad_choice(struct ploader *ld, const struct hd_ynode *at, const char *what,
		   const char *value, const char *path, const char *const *choices)
{
	bad_name(ld, at, "unknown", what, value, path, choices, "expected one of");
}

/* Report a reference to an undefined name, with the defined ones. */
void pl_bad_ref(struct ploader *ld, const struct hd_ynode *at, const char *what,
		const char *value, const char *path, const struct strvec *defined)
{
	bad_name(ld, at, "undefined", what, value, path, (const char *const *)defined->v,
		 "defined");
}

/* The element of a named array that the scalar n names, or NULL after an error
   (not a scalar: expected `expect`; undefined: reported with the defined names). */
const void *pl_want_ref(struct ploader *ld, const struct hd_ynode *n, const char *path,
			const char *expect, const char *what, struct pl_named a)
{
	const char *s = pl_want_scalar(ld, n, path, expect);
	const void *e;
	struct strvec defined;

	if (s == NULL)
		return NULL;
	e = pl_named_find(a, s);
	if (e == NULL) {
		pl_named_list(a, &defined);
		pl_bad_ref(ld, n, what, s, path, &defined);
		sv_free(&defined);
	}
	return e;
}

/* True when key i of a map repeats an earlier key (a duplicate, reported once). */
bool pl_key_repeated(const struct hd_ynode *map, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (strcmp(map->keys[j]->scalar, map->keys[i]->scalar) == 0)
			return true;
	return false;
}

/* "base.key" as a new string. */
char *pl_path_key(const char *base, const char *key)
{
	size_t bl = strlen(base), kl = strlen(key);
	char *s = xmalloc(bl + kl + 2);

	/* Built for every key of every phrase: no printf machinery. */
	memcpy(s, base, bl);
	s[bl] = '.';
	memcpy(s + bl + 1, key, kl + 1);
	return s;
}

/* "base[i]" as a new string. */
char *pl_path_index(const char *base, size_t i)
{
	char digits[24];
	size_t bl = strlen(base), nd = 0;
	char *s;

	do {
		digits[nd++] = (char)('0' + i % 10);
		i /= 10;
	} while (i > 0);
	s = xmalloc(bl + nd + 3);
	memcpy(s, base, bl);
	s[bl] = '[';
	for (size_t k = 0; k < nd; k++)
		s[bl + 1 + k] = digits[nd - 1 - k];
	s[bl + 1 + nd] = ']';
	s[bl + 2 + nd] = '\0';
	return s;
}

/* The node must be a mapping; otherwise report what was expected. */
bool pl_want_map(struct ploader *ld, const struct hd_ynode *n, const char *path,
		 const char *what)
{
	if (n != NULL && n->type == HD_Y_MAP)
		return true;
	pl_err(ld, n, "%s must be a mapping (%s), not %s", path, what, hd_ynode_type_name(n));
	return false;
}

/* The node must be a mapping; then report its unknown / duplicate keys (allowed
   NULL: any name). */
bool pl_want_map_keys(struct ploader *ld, const struct hd_ynode *n, const char *path,
		      const char *what, const char *const *allowed)
{
	if (!pl_want_map(ld, n, path, what))
		return false;
	pl_check_keys(ld, n, allowed, path);
	return true;
}

/* The mapping under key of parent with its keys checked against allowed (NULL:
   any name); NULL when the key is absent or after an error. */
const struct hd_ynode *pl_get_map(struct ploader *ld, const struct hd_ynode *parent,
				  const char *key, const char *path, const char *what,
				  const char *const *allowed)
{
	const struct hd_ynode *n = hd_ymap_get(parent, key);

	if (n == NULL || !pl_want_map_keys(ld, n, path, what, allowed))
		return NULL;
	return n;
}

/* The node must be a non-empty scalar; returns its text or NULL after an error. */
const char *pl_want_scalar(struct ploader *ld, const struct hd_ynode *n, const char *path,
			   const char *what)
{
	if (n != NULL && n->type == HD_Y_SCALAR && !hd_ynode_is_null(n) && n->scalar[0] != '\0')
		return n->scalar;
	pl_err(ld, n, "%s must be %s, not %s", path, what, hd_ynode_type_name(n));
	return NULL;
}

/* A required key of a map, or NULL after "missing required key". */
const struct hd_ynode *pl_want_key(struct ploader *ld, const struct hd_ynode *map,
				   const char *key, const char *path, const char *what)
{
	const struct hd_ynode *v = hd_ymap_get(map, key);

	if (v == NULL)
		pl_err(ld, map, "missing required key '%s' in %s (%s)", key, path, what);
	return v;
}

/* A scalar or a list of scalars into sv (appended); false after an error.
   An empty list or empty value is an error. */
bool pl_want_strings(struct ploader *ld, const struct hd_ynode *n, const char *path,
		     const char *what, struct strvec *sv)
{
	size_t i;
	bool ok = true;

	if (n != NULL && n->type == HD_Y_SCALAR && !hd_ynode_is_null(n) && n->scalar[0] != '\0') {
		sv_push(sv, n->scalar);
		return true;
	}
	if (n == NULL || n->type != HD_Y_SEQ || n->n == 0) {
		pl_err(ld, n, "%s must be %s or a non-empty list of them, not %s", path, what,
		       n && n->type == HD_Y_SEQ ? "an empty list" : hd_ynode_type_name(n));
		return false;
	}
	for (i = 0; i < n->n; i++) {
		const struct hd_ynode *it = n->items[i];

		if (it->type != HD_Y_SCALAR || hd_ynode_is_null(it) || it->scalar[0] == '\0') {
			char *ip = pl_path_index(path, i);

			pl_err(ld, it, "%s must be %s, not %s", ip, what, hd_ynode_type_name(it));
			free(ip);
			ok = false;
			continue;
		}
		sv_push(sv, it->scalar);
	}
	return ok;
}

/* A node that is the i-th value of a list or a scalar: where to report item i. */
const struct hd_ynode *pl_item_at(const struct hd_ynode *n, size_t i)
{
	if (n != NULL && n->type == HD_Y_SEQ && i < n->n)
		return n->items[i];
	return n;
}

/* A name: 1..HD_POLICY_MAX_NAME of letters, digits, '.', '_', '-', starting alnum. */
bool pl_valid_name(const char *s)
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
const char *pl_want_name(struct ploader *ld, const struct hd_ynode *n, const char *path)
{
	const char *s = pl_want_scalar(ld, n, path, "a name");

	if (s != NULL && !pl_valid_name(s)) {
		pl_err(ld, n, "bad name '%s' for %s (expected up to %d letters, digits, '.', '_' "
		       "or '-', starting with a letter or digit)", s, path, HD_POLICY_MAX_NAME);
		return NULL;
	}
	return s;
}

/* A lower-case bare address local@domain, or NULL when malformed. */
char *pl_parse_address(const char *s)
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
char *pl_want_address(struct ploader *ld, const struct hd_ynode *at, const char *s,
		      const char *path)
{
	char *a = pl_parse_address(s);

	if (a == NULL)
		pl_err(ld, at, "bad address '%s' for %s (expected local@domain like "
		       "billing@support.example.com)", s, path);
	return a;
}
/* A date YYYY-MM-DD (proleptic Gregorian) as days since the epoch. */
bool pl_parse_date(const char *s, long *days_r)
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
bool pl_parse_number(const char *s, size_t len, double *v_r)
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
bool pl_parse_percent(const char *s, double *v_r)
{
	size_t len = strlen(s);

	if (len < 2 || s[len - 1] != '%' || !pl_parse_number(s, len - 1, v_r))
		return false;
	return *v_r <= 100.0;
}

/* An optional string-valued key, stored in *dst. */
void pl_load_string_key(struct ploader *ld, const struct hd_ynode *map, const char *key,
			const char *path, const char *what, char **dst)
{
	const struct hd_ynode *n = hd_ymap_get(map, key);
	char *kp;
	const char *s;

	if (n == NULL)
		return;
	kp = pl_path_key(path, key);
	if ((s = pl_want_scalar(ld, n, kp, what)) != NULL)
		*dst = xstrdup(s);
	free(kp);
}

/* An optional key holding a string or a list of them, appended to sv. */
void pl_load_strings_key(struct ploader *ld, const struct hd_ynode *map, const char *key,
			 const char *path, const char *what, struct strvec *sv)
{
	const struct hd_ynode *n = hd_ymap_get(map, key);
	char *kp;

	if (n == NULL)
		return;
	kp = pl_path_key(path, key);
	pl_want_strings(ld, n, kp, what, sv);
	free(kp);
}

/* The optional `mode: enforce|monitor` of a section. */
void pl_load_mode_key(struct ploader *ld, const struct hd_ynode *map, const char *path,
		      enum hd_section section)
{
	static const char *const MODES[] = { "enforce", "monitor", NULL };
	const struct hd_ynode *n = hd_ymap_get(map, "mode");
	char *kp;
	const char *s;

	if (n == NULL)
		return;
	kp = pl_path_key(path, "mode");
	if ((s = pl_want_scalar(ld, n, kp, "enforce or monitor")) != NULL) {
		if (strcmp(s, "monitor") == 0)
			ld->p->monitor[section] = true;
		else if (strcmp(s, "enforce") != 0)
			pl_bad_choice(ld, n, "mode", s, kp, MODES);
	}
	free(kp);
}

/* An address-valued key, stored lower-case in *dst. */
void pl_load_address_key(struct ploader *ld, const struct hd_ynode *map, const char *key,
			 const char *path, bool required, char **dst)
{
	const struct hd_ynode *n = required ? pl_want_key(ld, map, key, path, "an address") :
				   hd_ymap_get(map, key);
	char *kp;
	const char *s;

	if (n == NULL)
		return;
	kp = pl_path_key(path, key);
	if ((s = pl_want_scalar(ld, n, kp, "an address")) != NULL)
		*dst = pl_want_address(ld, n, s, kp);
	free(kp);
}

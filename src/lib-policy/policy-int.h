#ifndef HD_POLICY_INT_H
#define HD_POLICY_INT_H
/*
 * policy-int - the policy loader's INTERNAL interface, shared by policy.c and
 * the per-section loaders policy-<section>.c. This is not a public header:
 * only src/lib-policy/policy*.c may include it; everything else uses
 * policy.h. Its functions and tables start with pl_ / PL_ (policy loader) so
 * they cannot clash with the rest of libhelpdesk.
 *
 * Must never: declare anything another module needs (that belongs in
 * policy.h), or hold state: everything one load knows is in its struct
 * ploader, so loads in several threads never meet.
 */
#include <stdbool.h>
#include <stddef.h>
#include "policy.h"
#include "yamldoc.h"

/* Longest name of a team, priority, calendar, role, level, trigger, phrase id. */
#define HD_POLICY_MAX_NAME 64
/* Longest duration accepted: one year of minutes. */
#define HD_POLICY_MAX_DURATION_MINUTES (366L * 24 * 60)
/* Largest authority amount accepted, in currency units. */
#define HD_POLICY_MAX_AMOUNT 1e12
/* Longest header field name in a `header:` condition. */
#define HD_POLICY_MAX_HEADER_NAME 76

/* Loader state for one policy file. */
struct ploader {
	const char *file;
	struct hd_diag *diag;
	size_t base;		/* diagnostics present before this load */
	struct hd_policy *p;
};

/* An array of structs that each have a `char *name` (teams, priorities, roles,
   levels, exception policies): one lookup and one name list serve them all. */
struct pl_named {
	const void *base;
	size_t n, size, name_off;
};
#define PL_NAMED(arr, count) ((struct pl_named){ (arr), (count), sizeof(*(arr)), \
						 offsetof(__typeof__(*(arr)), name) })

/* Amount kinds in enum hd_amount_kind order; review cadences. NULL-terminated. */
extern const char *const PL_AMOUNT_KINDS[];
extern const char *const PL_CADENCES[];

/* ---- policy-load.c: errors, node checks, paths, values ---- */

/* Errors this load has reported so far. */
size_t pl_nerrors(const struct ploader *ld);
/* Report an error at a node (or 1:1); silently stops past the error limit. */
void pl_err(struct ploader *ld, const struct hd_ynode *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Unknown / duplicate keys of a map (allowed NULL: any); returns how many. */
size_t pl_check_keys(struct ploader *ld, const struct hd_ynode *map,
		     const char *const *allowed, const char *section);
/* True when key i of a map repeats an earlier key (already reported). */
bool pl_key_repeated(const struct hd_ynode *map, size_t i);
/* Report a value outside a fixed set, with a suggestion. */
void pl_bad_choice(struct ploader *ld, const struct hd_ynode *at, const char *what,
		   const char *value, const char *path, const char *const *choices);
/* Report a reference to an undefined name, with the defined ones. */
void pl_bad_ref(struct ploader *ld, const struct hd_ynode *at, const char *what,
		const char *value, const char *path, const struct strvec *defined);

/* "base.key" and "base[i]" as new strings, for messages. */
char *pl_path_key(const char *base, const char *key);
char *pl_path_index(const char *base, size_t i);
/* Where to report item i of a list (or the scalar itself). */
const struct hd_ynode *pl_item_at(const struct hd_ynode *n, size_t i);

/* The node must be a mapping; otherwise report what was expected. */
bool pl_want_map(struct ploader *ld, const struct hd_ynode *n, const char *path,
		 const char *what);
/* pl_want_map, then pl_check_keys against allowed (NULL: any name). */
bool pl_want_map_keys(struct ploader *ld, const struct hd_ynode *n, const char *path,
		      const char *what, const char *const *allowed);
/* The mapping under key of parent, checked as by pl_want_map_keys; NULL when
   the key is absent or after an error. */
const struct hd_ynode *pl_get_map(struct ploader *ld, const struct hd_ynode *parent,
				  const char *key, const char *path, const char *what,
				  const char *const *allowed);
/* A required key of a map, or NULL after "missing required key". */
const struct hd_ynode *pl_want_key(struct ploader *ld, const struct hd_ynode *map,
				   const char *key, const char *path, const char *what);
/* The node must be a non-empty scalar; returns its text or NULL after an error. */
const char *pl_want_scalar(struct ploader *ld, const struct hd_ynode *n, const char *path,
			   const char *what);
/* A scalar or a non-empty list of scalars appended to sv; false after an error. */
bool pl_want_strings(struct ploader *ld, const struct hd_ynode *n, const char *path,
		     const char *what, struct strvec *sv);
/* A name: up to HD_POLICY_MAX_NAME letters, digits, '.', '_', '-', starting alnum. */
bool pl_valid_name(const char *s);
/* Check a name and report it when bad; returns the name or NULL. */
const char *pl_want_name(struct ploader *ld, const struct hd_ynode *n, const char *path);
/* The element of a named array that the scalar n names, or NULL after an error
   (not a scalar: expected `expect`; undefined: reported with the defined names). */
const void *pl_want_ref(struct ploader *ld, const struct hd_ynode *n, const char *path,
			const char *expect, const char *what, struct pl_named a);

/* A lower-case bare address local@domain (caller frees), or NULL when malformed. */
char *pl_parse_address(const char *s);
/* Parse and report one address; returns an allocated lower-case copy or NULL. */
char *pl_want_address(struct ploader *ld, const struct hd_ynode *at, const char *s,
		      const char *path);
/* An optional string-valued key of map, stored in *dst; errors say "path.key". */
void pl_load_string_key(struct ploader *ld, const struct hd_ynode *map, const char *key,
			const char *path, const char *what, char **dst);
/* An optional key of map holding a string or a list of them, appended to sv. */
void pl_load_strings_key(struct ploader *ld, const struct hd_ynode *map, const char *key,
			 const char *path, const char *what, struct strvec *sv);
/* An address-valued key of map, stored lower-case in *dst. */
/* policy-load.c: the optional `mode: enforce|monitor` key of a section map
   into p->monitor[section]. */
void pl_load_mode_key(struct ploader *ld, const struct hd_ynode *map, const char *path,
		      enum hd_section section);
void pl_load_address_key(struct ploader *ld, const struct hd_ynode *map, const char *key,
			 const char *path, bool required, char **dst);
/* A real date YYYY-MM-DD as days since the epoch. */
bool pl_parse_date(const char *s, long *days_r);
/* A non-negative decimal number like 250 or 99.50 (no sign, no exponent). */
bool pl_parse_number(const char *s, size_t len, double *v_r);
/* A percentage "10%" or "12.5%" in [0, 100]. */
bool pl_parse_percent(const char *s, double *v_r);

/* ---- policy.c ---- */

/* The element of a named array whose name is name (NULL name: none), or NULL. */
const void *pl_named_find(struct pl_named a, const char *name);
/* The names of a named array's elements that have one, for messages; sv_free after. */
void pl_named_list(struct pl_named a, struct strvec *sv);

/* ---- policy-cond.c ---- */

/* A `when:` condition mapping; NULL after an error. */
/* Slots and the policy's one automaton for words/subject_words conditions. */
void pl_index_cond_words(struct ploader *ld);
struct hd_cond *pl_parse_cond(struct ploader *ld, const struct hd_ynode *n, const char *path,
			      bool allow_priority);
/* Free a condition tree; sets *cp to NULL. */
void pl_cond_free(struct hd_cond **cp);

/* ---- policy-calendars.c ---- */

/* Resolve a reference to a calendar loaded before; NULL after an error. */
const struct hd_calendar *pl_want_calendar(struct ploader *ld, const struct hd_ynode *n,
					   const char *path);

/* ---- section loaders: each reads one top-level section of root into ld->p.
   policy.c calls them in this order, so every section is read after the
   sections it refers to. ---- */

void pl_load_meta(struct ploader *ld, const struct hd_ynode *root);		/* policy-scope.c */
void pl_load_calendars(struct ploader *ld, const struct hd_ynode *root);	/* policy-calendars.c */
void pl_load_scope(struct ploader *ld, const struct hd_ynode *root);		/* policy-scope.c */
void pl_load_priorities(struct ploader *ld, const struct hd_ynode *root);	/* policy-scope.c */
void pl_load_sla(struct ploader *ld, const struct hd_ynode *root);		/* policy-sla.c */
void pl_load_roles(struct ploader *ld, const struct hd_ynode *root);		/* policy-people.c */
void pl_load_agents(struct ploader *ld, const struct hd_ynode *root);		/* policy-people.c */
void pl_load_escalation(struct ploader *ld, const struct hd_ynode *root);	/* policy-escalation.c */
void pl_load_tone(struct ploader *ld, const struct hd_ynode *root);		/* policy-tone.c */
void pl_load_exceptions(struct ploader *ld, const struct hd_ynode *root);	/* policy-exceptions.c */
void pl_load_kpis(struct ploader *ld, const struct hd_ynode *root);		/* policy-kpis.c */

#endif

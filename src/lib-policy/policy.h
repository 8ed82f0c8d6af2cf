#ifndef HD_POLICY_H
#define HD_POLICY_H
/*
 * policy - the written customer-service policy in machine form (SPEC s.7),
 * loaded from YAML and validated completely. A loaded policy is immutable and
 * reference counted, so the daemon can share it read-only between threads and
 * swap in a new one atomically on SIGHUP while old connections finish.
 *
 * Owns: everything reachable from a struct hd_policy (strings, calendars,
 * condition trees and their matchers, the compiled tone index); the last
 * hd_policy_unref frees it all. Implemented by policy.c (load, free,
 * lookups) and one loader per section, policy-<section>.c, which share the
 * internal header policy-int.h.
 *
 * Must never: be changed after loading (every thread reads it without
 * locks), hand out a partially valid policy (any error gives NULL), or have
 * its parts freed one by one.
 */
#include <stdbool.h>
#include <stddef.h>
#include "util.h"
#include "diag.h"
#include "calendar.h"

struct hd_matcher;
struct hd_tone_index;

/* Named limits of the loader. */
#define HD_POLICY_MAX_FILE_BYTES (8u * 1024 * 1024)
#define HD_POLICY_MAX_DEPTH 32		/* YAML nesting */
#define HD_POLICY_MAX_PHRASES 100000
#define HD_POLICY_MAX_ERRORS 100	/* stop collecting after this many */

/* Finding actions, ordered by strength: the strongest among findings wins. */
enum hd_action {
	HD_ACTION_NONE = 0,
	HD_ACTION_TAG,
	HD_ACTION_NOTIFY,
	HD_ACTION_HOLD,
	HD_ACTION_REJECT,
};
const char *hd_action_name(enum hd_action a);
bool hd_action_parse(const char *s, enum hd_action *a_r);

/* Condition tree of priority rules and escalation triggers. A `when:` map
   with several keys means all of them. */
enum hd_cond_type {
	HD_COND_ANY,		/* any: [cond...] */
	HD_COND_ALL,		/* all: [cond...] */
	HD_COND_WORDS,		/* words: [...] in subject or text */
	HD_COND_SUBJECT_WORDS,	/* subject_words: [...] */
	HD_COND_SENDER,		/* sender: [addresses] (envelope sender or From address) */
	HD_COND_SENDER_DOMAIN,	/* sender_domain: [domains], subdomains included */
	HD_COND_HEADER,		/* header: { Name: [words] } */
	HD_COND_PRIORITY,	/* priority: name or [names] (triggers) */
	HD_COND_TEAM,		/* team: name or [names] */
};
struct hd_cond {
	enum hd_cond_type type;
	struct hd_cond **children;	/* any / all */
	size_t nchildren;
	char *header;			/* HD_COND_HEADER: header name */
	struct strvec values;		/* words, addresses, domains, names */
	struct hd_matcher *matcher;	/* compiled words (WORDS, SUBJECT_WORDS, HEADER) */
	int slot;			/* WORDS, SUBJECT_WORDS: index of its result in
					   hd_policy_cond_scan(); -1 otherwise */
	int line, column;		/* where it was written */
};

/* The first word-bounded match of one words / subject_words condition. */
struct hd_cond_hit {
	bool found;
	size_t start, end;		/* in the normalised text */
};

struct hd_team {
	char *name;
	struct strvec mailboxes;	/* lower-case addresses */
	const struct hd_calendar *calendar;
	int line, column;
};

struct hd_priority {
	char *name;
	struct hd_cond *when;		/* NULL: matches everything (the default) */
	char *rule_name;		/* "priorities[N]" or the rule's `rule:` name */
	int line, column;
};

/* Ticket states (SPEC s.11), as bits of hd_sla_target.pause_on. */
enum hd_state { HD_STATE_OPEN = 0, HD_STATE_PENDING, HD_STATE_RESOLVED, HD_STATE_COUNT };
/* "open", "pending", "resolved"; NULL when out of range. */
const char *hd_ticket_state_name(enum hd_state s);
/* State by name; -1 when unknown. */
int hd_ticket_state_parse(const char *name);

/* SLA clocks a ticket runs (SPEC s.11), indexing on_warning/on_breach. */
enum hd_sla_clock { HD_SLA_FIRST_RESPONSE = 0, HD_SLA_NEXT_REPLY, HD_SLA_RESOLUTION,
		    HD_SLA_CLOCK_COUNT };
/* "first-response", "next-reply", "resolution" (record rules). */
const char *hd_sla_clock_name(enum hd_sla_clock c);

/* Most warn_at shares per target. */
#define HD_SLA_MAX_WARN 8

struct hd_sla_target {
	const struct hd_priority *priority;
	long first_response;		/* minutes */
	long resolution;		/* minutes */
	long next_reply;		/* minutes; 0 = no next-reply target */
	bool wall;			/* clock: wall */
	int warn_at[HD_SLA_MAX_WARN];	/* percent, ascending, 1..99 */
	size_t nwarn;
	unsigned pause_on;		/* bit (1 << state): its time does not count */
};
struct hd_sla_channel {
	char *name;			/* email, chat, phone, social */
	bool enforced;			/* only email is enforced by the milter */
	struct hd_sla_target *targets;
	size_t ntargets;
};

enum hd_amount_kind { HD_AMOUNT_REFUND = 0, HD_AMOUNT_CREDIT, HD_AMOUNT_DISCOUNT, HD_AMOUNT_KIND_COUNT };
const char *hd_amount_kind_name(enum hd_amount_kind k);

struct hd_role {
	char *name;
	int rank;			/* order of appearance: higher = more authority */
	bool has_limit[HD_AMOUNT_KIND_COUNT];
	double limit[HD_AMOUNT_KIND_COUNT]; /* currency units; discount in percent */
	bool can_approve;		/* `approve: true`; default: any role above the lowest */
};

struct hd_agent {
	char *address;			/* lower-case */
	char *name;
	const struct hd_role *role;
	const struct hd_team *team;
};

struct hd_esc_level {
	char *name;
	char *primary, *backup;		/* addresses; backup may be NULL */
	const struct hd_calendar *primary_hours; /* NULL: primary always */
};

struct hd_trigger {
	char *name;
	struct hd_cond *when;
	const struct hd_esc_level *notify;
};

struct hd_phrase {
	char *id;
	struct strvec match;		/* phrases as written */
	char *suggest;
	struct strvec unless;		/* context phrases that cancel a match */
	enum hd_action action;		/* HD_ACTION_NONE: tone.action applies */
	struct strvec examples_bad, examples_good;
	int line, column;
};

enum hd_tier_rule { HD_TIER_REP, HD_TIER_PER_POLICY, HD_TIER_APPROVAL };
struct hd_exc_policy {
	char *name;
	bool tier2_rep;			/* tier 2 may be granted by a rep */
	int max_tier;			/* 0 = no maximum */
	enum hd_amount_kind kind;	/* what an amount on this exception means; default refund */
};

struct hd_kpi {
	char *name;
	char *target, *review, *owner;
};

/* The sections that take `mode: enforce|monitor`. */
enum hd_section {
	HD_SECTION_TONE = 0,		/* tone: */
	HD_SECTION_AUTHORITY,		/* roles: (authority limits) */
	HD_SECTION_EXCEPTIONS,		/* exceptions: */
	HD_SECTION_HANDOFF,		/* escalation.handoff: */
	HD_SECTION_COUNT
};

struct hd_policy {
	int refcount;			/* atomic; use hd_policy_ref/unref */
	char *file;
	/* policy: */
	char *name;
	char *version;			/* as written: "3" */
	char *effective;		/* YYYY-MM-DD */
	char *owner, *review;

	struct hd_calendar **calendars;	size_t ncalendars;
	struct hd_team *teams;		size_t nteams;
	struct hd_priority *priorities;	size_t npriorities; /* last one is the default */
	struct hd_sla_channel *channels; size_t nchannels;

	char *currency;			/* roles.currency, default USD */
	struct hd_role *roles;		size_t nroles;
	struct hd_agent *agents;	size_t nagents;

	struct hd_esc_level *levels;	size_t nlevels;
	struct hd_trigger *triggers;	size_t ntriggers;
	/* escalation.on_warning / on_breach per clock; NULL: nobody is mailed */
	const struct hd_esc_level *on_warning[HD_SLA_CLOCK_COUNT];
	const struct hd_esc_level *on_breach[HD_SLA_CLOCK_COUNT];
	struct strvec handoff_to;	/* lower-case addresses */
	struct strvec handoff_require;	/* field labels, e.g. "Customer:" */

	enum hd_action tone_action;	/* default reject */
	struct hd_phrase *phrases;	size_t nphrases;
	struct hd_tone_index *tone;	/* compiled automaton, owned */
	/* The words of every words and subject_words condition (priority
	   rules and escalation triggers) in one automaton, pattern id = the
	   condition's slot: one pass over a message finds them all. */
	struct hd_matcher *cond_words;
	bool *cond_slot_subject;	/* per slot: a subject_words condition */
	size_t ncond_slots;

	enum hd_tier_rule tiers[4];	/* [1..3] */
	struct hd_exc_policy *exc_policies; size_t nexc_policies;
	struct strvec exc_require;	/* required fields, default policy,tier,reason */
	char *approvals_mailbox;	/* lower-case, may be NULL */

	struct hd_kpi *kpis;		size_t nkpis;

	struct hd_helpdesk *helpdesks;	size_t nhelpdesks; /* helpdesk: [0] = all teams */
	/* mode: monitor per section: decide, stamp and record, never refuse or
	   hold. Default (false) is enforce. */
	bool monitor[HD_SECTION_COUNT];
};

/* helpdesk: section (SPEC s.12): the helpdesk behind a team's mailboxes and
   how our decisions map to its native headers. Loaded by policy-helpdesk.c. */
enum hd_helpdesk_kind { HD_HELPDESK_NONE = 0, HD_HELPDESK_ZNUNY, HD_HELPDESK_ZAMMAD,
			HD_HELPDESK_RT, HD_HELPDESK_OSTICKET };
struct hd_netlist;
struct hd_helpdesk {
	char *team;			/* NULL: the entry for every team without its own */
	enum hd_helpdesk_kind kind;
	struct strvec priorities;	/* our priority, native value, ... (pairs) */
	struct strvec queues;		/* team, native queue/group, ... (pairs) */
	struct strvec addresses;	/* rt: team, RT address or "+extension", ... (pairs) */
	struct strvec slas;		/* znuny: priority, SLA name, ... (pairs) */
	char *service;			/* znuny: service name or NULL */
	char *due_field;		/* znuny dynamic field / zammad attribute for the due time */
	char *agent_header;		/* header naming the agent on mail from the relay */
	char *ticket_tag;		/* subject tag prefix: znuny "Ticket#", rt its rtname */
	struct strvec relay_cidrs;	/* as written */
	struct hd_netlist *relay;	/* the helpdesk's outgoing relay; NULL: none */
	int line, column;
};
#define HD_HELPDESK_MAX_VALUE 200	/* bytes of a native header value from the policy */
const char *hd_helpdesk_kind_name(enum hd_helpdesk_kind k);
/* Load the helpdesk: section of root into p; errors go to diag as
   file:line:column. Returns the number of errors reported. */
struct hd_ynode;
size_t hd_policy_helpdesk_load(struct hd_policy *p, const char *file,
			       const struct hd_ynode *root, struct hd_diag *diag);
void hd_policy_helpdesk_free(struct hd_policy *p);
/* The helpdesk for a team (its own entry, else the all-teams one), or NULL
   when the team has none or its kind is none. */
const struct hd_helpdesk *hd_policy_helpdesk(const struct hd_policy *p, const char *team);
/* Value of key in a pairs vector (case-sensitive key), or NULL. */
const char *hd_pairs_get(const struct strvec *pairs, const char *key);

/* Load and validate a policy file. Returns NULL when any error was found;
   every error goes to diag as "file:line:column: message". */
struct hd_policy *hd_policy_load(const char *path, struct hd_diag *diag);
/* Same from a buffer; `name` is used in diagnostics. */
struct hd_policy *hd_policy_load_buffer(const char *name, const char *data, size_t len,
					struct hd_diag *diag);
struct hd_normtext;
/* One pass of p->cond_words over nt: for every words condition (subject
   false) or subject_words condition (subject true) not yet found in
   hits[slot], its first match as its own matcher would report it. hits has
   p->ncond_slots entries, zeroed by the caller before the first call. */
void hd_policy_cond_scan(const struct hd_policy *p, const struct hd_normtext *nt, bool subject,
			 struct hd_cond_hit *hits);
/* Run every tone phrase's examples as self-tests; failures go to diag.
   Returns the number of failures. */
size_t hd_policy_selftest(const struct hd_policy *p, struct hd_diag *diag);

struct hd_policy *hd_policy_ref(struct hd_policy *p);
/* Drop a reference; frees at zero; sets *p to NULL. */
void hd_policy_unref(struct hd_policy **p);

/* Lookups; addresses are compared case-insensitively. NULL when absent. */
const struct hd_team *hd_policy_team_for_mailbox(const struct hd_policy *p, const char *addr);
const struct hd_team *hd_policy_team(const struct hd_policy *p, const char *name);
const struct hd_agent *hd_policy_agent(const struct hd_policy *p, const char *addr);
const struct hd_role *hd_policy_role(const struct hd_policy *p, const char *name);
const struct hd_priority *hd_policy_priority(const struct hd_policy *p, const char *name);
const struct hd_calendar *hd_policy_calendar(const struct hd_policy *p, const char *name);
const struct hd_esc_level *hd_policy_level(const struct hd_policy *p, const char *name);
const struct hd_exc_policy *hd_policy_exc_policy(const struct hd_policy *p, const char *name);
/* SLA target of the enforced email channel for a priority, or NULL. */
const struct hd_sla_target *hd_policy_sla(const struct hd_policy *p, const char *channel,
					  const struct hd_priority *prio);
/* A duration "90m", "4h", "1h30m" in minutes; false when malformed. */
bool hd_duration_parse(const char *s, long *minutes_r);

#endif

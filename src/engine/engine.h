#ifndef HD_ENGINE_H
#define HD_ENGINE_H
/*
 * engine - the one implementation of every policy decision, used by the
 * daemon and by helpdeskctl alike: direction and scope, team, priority,
 * ticket, SLA deadlines, escalation, tone, authority, exceptions and
 * approvals, hand-off checklist and first response. Reads the policy, never
 * changes it; writes decisions to the store in one transaction. This is the
 * whole public API: engine.c runs a message, one engine-<decision>.c file
 * holds each decision, and what they share (engine-int.h) is private to
 * src/engine.
 */
#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include "hd-limits.h"
#include "verdict.h"

struct hd_policy;
struct hd_store;
struct hd_seal_key;

struct hd_engine_input {
	const char *queue_id;		/* for logs and records; may be NULL */
	const char *mail_from;		/* envelope sender */
	const char *const *rcpts;	/* envelope recipients */
	size_t nrcpts;
	const char *auth_user;		/* SMTP AUTH identity, NULL when none */
	const char *client_ip;		/* NULL when unknown */
	bool client_trusted;		/* client_ip is in trusted_networks */
	time_t received;
	const char *data;		/* whole message, or NULL and fd >= 0 */
	size_t len;
	int fd;
	bool truncated;			/* the caller stopped reading at limits.message_bytes */
};

struct hd_engine {
	const struct hd_policy *policy;
	struct hd_store *store;		/* may be NULL: no threads, no approvals */
	const struct hd_limits *limits;
	const struct hd_seal_key *seal;	/* NULL: stamps are not sealed */
};

/* An SLA event an open ticket has reached (sla-watch, SPEC s.11). */
struct hd_sla_event {
	int clock;			/* enum hd_sla_clock */
	int threshold;			/* percent of the target; 100 = breach */
	time_t started;			/* when the clock started: part of the event's key */
	time_t due;			/* the target's due time (0 unknown) */
	long counted, target;		/* seconds counted toward the target, target seconds */
	const char *to;			/* the escalation contact mailed (policy-owned) */
	const char *level;		/* its level name */
	bool backup;			/* outside the primary's hours */
};
#define HD_SLA_EVENTS_MAX (3 * (8 + 1))	/* clocks x (warn_at shares + breach) */
struct hd_open_ticket;
/* Every event an open ticket has reached at `now`: each crossed warn_at
   share and the breach of each running clock whose escalation level the
   policy names, lowest first. Returns how many were written to out. */
size_t hd_engine_sla_events(const struct hd_policy *p, const struct hd_open_ticket *ot,
			    time_t now, struct hd_sla_event out[HD_SLA_EVENTS_MAX]);

/* Decide. 0 with *verdict_r, or -1 with *error_r (store down, ...): the
   caller applies on_failure. */
int hd_engine_run(const struct hd_engine *e, const struct hd_engine_input *in,
		  struct hd_verdict **verdict_r, char **error_r);

#endif

#ifndef HD_STORE_H
#define HD_STORE_H
/*
 * store - the append-only audit store (SPEC s.9): SQLite by default,
 * PostgreSQL for a store shared between MTAs, one schema and one interface.
 *
 * It owns the database: its schema and migrations, tickets and the
 * message-ids linked to them, exceptions and their approvals, and the audit
 * records. Every audit record carries the policy version in force and the
 * hash of the previous record, so a rewritten or deleted row is detectable
 * (hd_store_verify). Decisions are written in one transaction per message:
 * nothing is half-written.
 *
 * It must never decide anything (the engine does), never rewrite or delete an
 * audit record or an exception (the one exception is retention, which removes
 * a prefix of the chain only behind a checkpoint record: hd_store_expire), never put a value into SQL text, and never
 * keep state outside the handle. Every function returns HD_STORE_OK (or
 * HD_STORE_NOT_FOUND where said) or HD_STORE_ERROR with an allocated message
 * in *error_r; the caller applies on_failure. A handle is used by one thread
 * at a time (the daemon opens one per connection or uses a pool).
 *
 * Implementation: store.c (handle, URIs, transactions, append and the hash
 * chain), store-schema.c, store-ticket.c, store-exception.c, store-query.c,
 * store-verify.c, store-retention.c over a backend (store-sqlite.c,
 * store-pg.c); see store-int.h.
 */
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct hd_store;

enum hd_store_result {
	HD_STORE_OK = 0,
	HD_STORE_NOT_FOUND = 1,
	HD_STORE_ERROR = -1,
};

#define HD_STORE_BUSY_TIMEOUT_MS 5000
#define HD_STORE_SCHEMA_VERSION 7

/* Open "PATH", "sqlite:PATH", "sqlite::memory:", ":memory:" or "postgresql://...".
   Creates or migrates the schema. NULL + *error_r on failure. */
struct hd_store *hd_store_open(const char *uri, char **error_r);
/* Check a store URI without opening anything. On success *sqlite_path_r is the
   SQLite file (NULL for PostgreSQL and :memory:); false + *error_r otherwise. */
bool hd_store_uri_check(const char *uri, char **sqlite_path_r, char **error_r);
/* Open a store that must exist: never creates a file or a schema; NULL with
   *missing_r true when there is none (an in-memory URI counts as none). */
struct hd_store *hd_store_open_existing(const char *uri, bool *missing_r, char **error_r);
void hd_store_deinit(struct hd_store **s);
/* "sqlite" or "postgresql". */
const char *hd_store_backend(const struct hd_store *s);

int hd_store_begin(struct hd_store *s, char **error_r);
int hd_store_commit(struct hd_store *s, char **error_r);
void hd_store_rollback(struct hd_store *s);

/* Tickets. */
struct hd_ticket {
	char *id, *team, *priority, *customer;
	time_t opened;
	time_t first_response_due, resolution_due;	/* 0 = none */
	time_t first_response_at;			/* 0 = no agent reply yet */
	char *first_response_by;
	char *policy_version;
};
void hd_ticket_free(struct hd_ticket *t);	/* frees members, not t */

/* Ticket of the first of message_ids already linked to a ticket. */
int hd_store_ticket_by_message(struct hd_store *s, const char *const *message_ids,
			       size_t n, char **ticket_r, char **error_r);
int hd_store_ticket_get(struct hd_store *s, const char *id, struct hd_ticket *t_r, char **error_r);
/* Insert a ticket; inserting an existing id is OK and changes nothing (retries). */
int hd_store_ticket_open(struct hd_store *s, const struct hd_ticket *t, char **error_r);
/* Record the first agent reply once; a later call for the same ticket is a no-op. */
int hd_store_ticket_first_response(struct hd_store *s, const char *id, time_t at,
				   const char *agent, char **error_r);
/* Remember that message_id belongs to ticket (idempotent). */
int hd_store_link_message(struct hd_store *s, const char *message_id, const char *ticket,
			  char **error_r);

/* Ticket life (store-tickets.c, SPEC s.11): the current state and clocks.
   state is an enum hd_ticket_state value (0 open, 1 pending, 2 resolved). */
struct hd_ticket_state {
	char *id;
	int state;
	time_t since;			/* when the current state began */
	long counted;			/* business seconds counted toward resolution before since */
	long paused;			/* business seconds spent in pausing states */
	time_t resolution_due, stamped_due;	/* current; last stamped on a message */
	time_t next_reply_from, next_reply_due;	/* 0: no next-reply clock running */
	time_t resolved_at;
};
void hd_ticket_state_free(struct hd_ticket_state *st);	/* frees members, not st */
int hd_store_ticket_state_get(struct hd_store *s, const char *id, struct hd_ticket_state *st_r,
			      char **error_r);
/* Insert or replace the state row of st->id. */
int hd_store_ticket_state_put(struct hd_store *s, const struct hd_ticket_state *st,
			      char **error_r);

/* An open ticket for sla-watch: its row and its state. */
struct hd_open_ticket {
	struct hd_ticket t;
	struct hd_ticket_state st;
};
typedef bool hd_open_ticket_fn(const struct hd_open_ticket *ot, void *ctx);
/* Every ticket in state open, in id order (a read snapshot). */
int hd_store_open_tickets(struct hd_store *s, hd_open_ticket_fn *fn, void *ctx, char **error_r);

/* sla-watch claims: one row per (ticket, clock, started, threshold), the
   threshold in percent (100 = breach). */
struct hd_sla_key {
	const char *ticket, *clock;
	time_t started;
	int threshold;
};
/* Claim an event before mailing it, in one transaction: true in *claimed_r
   when this caller owns it now: a new claim, or a 'sending' claim older than
   lease_seconds whose owner is gone (owner_alive says, for "host:pid"). */
typedef bool hd_owner_alive_fn(const char *owner);
int hd_store_sla_claim(struct hd_store *s, const struct hd_sla_key *k, const char *owner,
		       time_t now, long lease_seconds, hd_owner_alive_fn *owner_alive,
		       bool *claimed_r, char **error_r);
/* Mark a claimed event sent (inside the caller's transaction or its own). */
int hd_store_sla_sent(struct hd_store *s, const struct hd_sla_key *k, const char *owner,
		      time_t now, char **error_r);
/* Give a claim back after a failed send: the next run (any owner) takes it. */
int hd_store_sla_release(struct hd_store *s, const struct hd_sla_key *k, const char *owner,
			 char **error_r);
/* Every claim of an open ticket: fn gets its key, whether it is sent, its
   owner and claim time (so a watcher skips them without a write). */
typedef bool hd_sla_claim_fn(const struct hd_sla_key *k, bool sent, const char *owner,
			     time_t claimed_at, void *ctx);
int hd_store_sla_claims(struct hd_store *s, hd_sla_claim_fn *fn, void *ctx, char **error_r);
/* Subject of the ticket's opening message (its first inbound record); NULL
   in *subject_r when unknown. */
int hd_store_ticket_subject(struct hd_store *s, const char *id, char **subject_r,
			    char **error_r);

/* Audit records: append-only, hash-chained. */
struct hd_record {
	time_t at;
	const char *kind;	/* inbound, outbound, tone, authority, exception, approval, sla, handoff, escalation */
	const char *queue_id, *message_id, *ticket, *team, *priority, *agent;
	const char *rule, *action, *text;
	const char *detail;	/* JSON object text or NULL */
	const char *policy_name, *policy_version;
};
int hd_store_append(struct hd_store *s, const struct hd_record *r, char **error_r);

/* Exceptions and approvals. status: pending, approved, refused, used. */
struct hd_exception {
	char *id;		/* EXC-... */
	char *ticket, *agent, *policy, *reason, *kind, *currency, *status, *approver;
	char *fingerprint;	/* identifies "that reply": hash chosen by the engine */
	int tier;
	double amount;		/* < 0: none */
	time_t created, decided;
};
void hd_exception_free(struct hd_exception *e);	/* frees members, not e */
/* Insert (idempotent on id). */
int hd_store_exception_add(struct hd_store *s, const struct hd_exception *e, char **error_r);
int hd_store_exception_get(struct hd_store *s, const char *id, struct hd_exception *e_r,
			   char **error_r);
/* The state of an exception (status, approver, decided) is read from the
   hash-chained "approval" records (rule = its id), never from the table
   alone: status pending, approved, refused, or used once the approved send
   went out. */
/* Decide a pending exception once (status "approved" or "refused"): sets
   status, approver, decided time and appends the chained record, filled in
   from why (the message that decided it; may be NULL) under the
   exception's ticket. HD_STORE_NOT_FOUND for an unknown id;
   deciding it again the same way is a no-op (retried mail), the other way an
   error. */
int hd_store_exception_decide(struct hd_store *s, const char *id, const char *status,
			      const char *approver, time_t at, const struct hd_record *why,
			      char **error_r);
/* Use up an approved exception with the one send it allows: status "used"
   from then on. HD_STORE_NOT_FOUND when it is not approved (any more). */
int hd_store_exception_consume(struct hd_store *s, const char *id, const char *agent,
			       time_t at, const struct hd_record *why, char **error_r);
/* Most recent exception for (ticket, agent, fingerprint), any status. */
int hd_store_exception_find(struct hd_store *s, const char *ticket, const char *agent,
			    const char *fingerprint, struct hd_exception *e_r, char **error_r);

/* Audit search (helpdeskctl audit). NULL/0 fields do not filter. */
struct hd_audit_filter {
	const char *ticket, *team, *priority, *agent, *rule, *kind;
	const char *message_id, *queue_id, *action;
	/* agent matches case-insensitively (addresses are) */
	time_t since, until;		/* 0 = open; since <= at < until */
	size_t limit;			/* 0 = no limit */
};
struct hd_audit_row {
	long long seq;
	time_t at;
	const char *kind, *queue_id, *message_id, *ticket, *team, *priority, *agent;
	const char *rule, *action, *text, *detail, *policy_name, *policy_version;
	const char *prev_hash, *hash;
};
typedef bool hd_audit_fn(const struct hd_audit_row *row, void *ctx);
int hd_store_audit(struct hd_store *s, const struct hd_audit_filter *f, hd_audit_fn *fn,
		   void *ctx, char **error_r);
/* Retention: remove the records before a time through a hash-chained
   checkpoint. The checkpoint record (kind "checkpoint", rule "retention",
   action "expire") is appended first and its detail says what goes:
   {"removed":N,"first_seq":A,"last_seq":B,"first_at":"..","last_at":"..",
   "before":"..","cut_hash":".."} (cut_hash: the chain hash of record B);
   then meta's cut moves to B and records A..B are deleted, in one
   transaction. Only a prefix of the chain goes: the records up to the first
   one at or after before. *removed_r = 0 (and nothing written) when there is
   nothing to remove. */
struct hd_store_expiry {
	long long removed, first_seq, last_seq, checkpoint_seq;
	char cut_hash[65];
};
int hd_store_expire(struct hd_store *s, time_t before, time_t now, struct hd_store_expiry *x_r,
		    char **error_r);

/* Walk the chain; *bad_seq_r = first broken record (0 when intact, -1 when
   the records are intact but an exception's state is not backed by them)
   and *problem_r says how (rewritten, missing, deleted at the end); HD_STORE_OK
   either way, HD_STORE_ERROR only when the walk itself failed. */
int hd_store_verify(struct hd_store *s, long long *checked_r, long long *bad_seq_r,
		    char **problem_r, char **error_r);

#endif

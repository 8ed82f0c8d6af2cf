/*
 * store-tickets - ticket life (SPEC s.11): the current state and SLA clocks
 * of each ticket (open, pending, resolved; the counted and paused business
 * time; the moved resolution due time; the running next-reply clock), the
 * open tickets sla-watch walks, and the claims that let several watchers
 * mail each warning once. The state row is a cache of decisions whose
 * history is in the hash chain (kind state and sla records).
 *
 * Claims: an event is inserted as 'sending' in its own transaction before
 * the mail goes out and set to 'sent' after; the primary key makes the
 * insert win once across processes and hosts. A 'sending' row is taken over
 * only when older than the lease and its owner is gone, so a watcher killed
 * between claim and send never skips a warning. Must never delete a claim
 * or move a claim that is 'sent'.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store-int.h"
#include "util.h"

/* Columns of ticket_state, in struct order. */
#define STATE_COLS "id, state, since, counted, paused, resolution_due, stamped_due," \
	" next_reply_from, next_reply_due, resolved_at"
/* State names in the database by enum value. */
static const char *const STATE_DB[] = { "open", "pending", "resolved" };

/* Free the members of a state. */
void hd_ticket_state_free(struct hd_ticket_state *st)
{
	if (st == NULL)
		return;
	free(st->id);
	memset(st, 0, sizeof(*st));
}

/* State enum of a database value (unknown: open). */
static int state_from_db(const char *s)
{
	for (int i = 0; s != NULL && i < 3; i++)
		if (strcmp(s, STATE_DB[i]) == 0)
			return i;
	return 0;
}

/* Fill a state from ten columns starting at c. */
static void state_from_cols(struct hd_ticket_state *st, const char *const *c)
{
	st->id = col_dup(c[0]);
	st->state = state_from_db(c[1]);
	st->since = (time_t)col_int(c[2]);
	st->counted = (long)col_int(c[3]);
	st->paused = (long)col_int(c[4]);
	st->resolution_due = (time_t)col_int(c[5]);
	st->stamped_due = (time_t)col_int(c[6]);
	st->next_reply_from = (time_t)col_int(c[7]);
	st->next_reply_due = (time_t)col_int(c[8]);
	st->resolved_at = (time_t)col_int(c[9]);
}

/* Row callback: one state. */
static bool row_state(void *ctx, const char *const *c, size_t ncols)
{
	state_from_cols(ctx, c);
	return false;
}

/* Read a ticket's state; HD_STORE_NOT_FOUND when it has none. */
int hd_store_ticket_state_get(struct hd_store *s, const char *id, struct hd_ticket_state *st_r,
			      char **error_r)
{
	struct hd_sql_param p[1] = { p_text(id) };

	memset(st_r, 0, sizeof(*st_r));
	if (s->vt->query(s->conn, "SELECT " STATE_COLS " FROM ticket_state WHERE id = $1", p, 1,
			 row_state, st_r, NULL, error_r) != HD_STORE_OK) {
		hd_ticket_state_free(st_r);
		return HD_STORE_ERROR;
	}
	return st_r->id != NULL ? HD_STORE_OK : HD_STORE_NOT_FOUND;
}

/* Insert or replace a ticket's state. */
int hd_store_ticket_state_put(struct hd_store *s, const struct hd_ticket_state *st,
			      char **error_r)
{
	struct hd_sql_param p[] = {
		p_text(st->id), p_text(STATE_DB[st->state >= 0 && st->state < 3 ? st->state : 0]),
		p_int((long long)st->since), p_int(st->counted), p_int(st->paused),
		p_time0(st->resolution_due), p_time0(st->stamped_due),
		p_time0(st->next_reply_from), p_time0(st->next_reply_due),
		p_time0(st->resolved_at),
	};

	return hd_store_run(s, "INSERT INTO ticket_state (" STATE_COLS ") VALUES ($1, $2, $3,"
		" $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO UPDATE SET"
		" state = excluded.state, since = excluded.since, counted = excluded.counted,"
		" paused = excluded.paused, resolution_due = excluded.resolution_due,"
		" stamped_due = excluded.stamped_due, next_reply_from = excluded.next_reply_from,"
		" next_reply_due = excluded.next_reply_due, resolved_at = excluded.resolved_at",
		p, sizeof(p) / sizeof(p[0]), NULL, error_r);
}

/* Walk state of hd_store_open_tickets. */
struct open_ctx {
	hd_open_ticket_fn *fn;
	void *ctx;
};

/* Row callback: a ticket (10 columns) then its state (10 columns). */
static bool row_open(void *ctx, const char *const *c, size_t ncols)
{
	struct open_ctx *oc = ctx;
	struct hd_open_ticket ot;
	bool more;

	memset(&ot, 0, sizeof(ot));
	ot.t.id = (char *)c[0];
	ot.t.team = (char *)c[1];
	ot.t.priority = (char *)c[2];
	ot.t.customer = (char *)c[3];
	ot.t.opened = (time_t)col_int(c[4]);
	ot.t.first_response_due = (time_t)col_int(c[5]);
	ot.t.resolution_due = (time_t)col_int(c[6]);
	ot.t.first_response_at = (time_t)col_int(c[7]);
	ot.t.first_response_by = (char *)c[8];
	ot.t.policy_version = (char *)c[9];
	state_from_cols(&ot.st, c + 10);
	more = oc->fn(&ot, oc->ctx);
	hd_ticket_state_free(&ot.st);
	return more;
}

/* Every open ticket, in id order. */
int hd_store_open_tickets(struct hd_store *s, hd_open_ticket_fn *fn, void *ctx, char **error_r)
{
	struct open_ctx oc = { fn, ctx };

	return s->vt->query(s->conn, "SELECT t.id, t.team, t.priority, t.customer, t.opened,"
		" t.first_response_due, t.resolution_due, t.first_response_at,"
		" t.first_response_by, t.policy_version, st.id, st.state, st.since, st.counted,"
		" st.paused, st.resolution_due, st.stamped_due, st.next_reply_from,"
		" st.next_reply_due, st.resolved_at FROM ticket_state st JOIN tickets t"
		" ON t.id = st.id WHERE st.state = 'open' ORDER BY st.id", NULL, 0, row_open, &oc,
		NULL, error_r);
}

/* Claim an event in one transaction (see the header comment). */
int hd_store_sla_claim(struct hd_store *s, const struct hd_sla_key *k, const char *owner,
		       time_t now, long lease_seconds, hd_owner_alive_fn *owner_alive,
		       bool *claimed_r, char **error_r)
{
	struct hd_sql_param p[] = {
		p_text(k->ticket), p_text(k->clock), p_int((long long)k->started),
		p_int(k->threshold), p_text(owner), p_int((long long)now),
		p_int((long long)(now - lease_seconds)),
	};
	struct hd_store_first_row row = { 0 };
	long long changes = 0;

	*claimed_r = false;
	if (hd_store_begin(s, error_r) != HD_STORE_OK)
		return HD_STORE_ERROR;
	if (hd_store_run(s, "INSERT INTO sla_events (ticket, clock, started, threshold, status,"
		" owner, claimed_at) VALUES ($1, $2, $3, $4, 'sending', $5, $6)"
		" ON CONFLICT DO NOTHING", p, 6, &changes, error_r) != HD_STORE_OK)
		goto fail;
	if (changes == 0) {
		/* Taken: only a stale 'sending' claim of a gone owner moves. */
		if (s->vt->query(s->conn, "SELECT claimed_at, owner FROM sla_events WHERE"
			" ticket = $1 AND clock = $2 AND started = $3 AND threshold = $4 AND"
			" status = 'sending' AND claimed_at <= $5", (struct hd_sql_param[]){
				p[0], p[1], p[2], p[3], p[6] }, 5, hd_store_row_first, &row, NULL,
			error_r) != HD_STORE_OK)
			goto fail;
		if (row.found && (owner_alive == NULL || !owner_alive(row.text[1]))) {
			struct hd_sql_param q[] = { p[0], p[1], p[2], p[3], p[4], p[5],
						    p_int(row.v[0]), p_text(row.text[1]) };

			if (hd_store_run(s, "UPDATE sla_events SET owner = $5, claimed_at = $6"
				" WHERE ticket = $1 AND clock = $2 AND started = $3 AND"
				" threshold = $4 AND status = 'sending' AND claimed_at = $7 AND"
				" owner = $8", q, 8, &changes, error_r) != HD_STORE_OK)
				goto fail;
		}
		hd_store_first_row_free(&row);
	}
	if (hd_store_commit(s, error_r) != HD_STORE_OK)
		return HD_STORE_ERROR;
	*claimed_r = changes > 0;
	return HD_STORE_OK;
fail:
	hd_store_first_row_free(&row);
	hd_store_rollback(s);
	return HD_STORE_ERROR;
}

/* Mark a claimed event sent. */
int hd_store_sla_sent(struct hd_store *s, const struct hd_sla_key *k, const char *owner,
		      time_t now, char **error_r)
{
	struct hd_sql_param p[] = {
		p_text(k->ticket), p_text(k->clock), p_int((long long)k->started),
		p_int(k->threshold), p_text(owner), p_int((long long)now),
	};

	return hd_store_run(s, "UPDATE sla_events SET status = 'sent', sent_at = $6 WHERE"
		" ticket = $1 AND clock = $2 AND started = $3 AND threshold = $4 AND owner = $5",
		p, 6, NULL, error_r);
}

/* Give a failed claim back: stale at once, owned by nobody alive. */
int hd_store_sla_release(struct hd_store *s, const struct hd_sla_key *k, const char *owner,
			 char **error_r)
{
	struct hd_sql_param p[] = {
		p_text(k->ticket), p_text(k->clock), p_int((long long)k->started),
		p_int(k->threshold), p_text(owner),
	};

	return hd_store_run(s, "UPDATE sla_events SET owner = 'released', claimed_at = 0 WHERE"
		" ticket = $1 AND clock = $2 AND started = $3 AND threshold = $4 AND owner = $5"
		" AND status = 'sending'", p, 5, NULL, error_r);
}

/* Walk state of hd_store_sla_claims. */
struct claims_ctx {
	hd_sla_claim_fn *fn;
	void *ctx;
};

/* Row callback: one claim. */
static bool row_claim(void *ctx, const char *const *c, size_t ncols)
{
	struct claims_ctx *cc = ctx;
	struct hd_sla_key k = { c[0], c[1], (time_t)col_int(c[2]), (int)col_int(c[3]) };

	return cc->fn(&k, c[4] != NULL && strcmp(c[4], "sent") == 0, c[5],
		      (time_t)col_int(c[6]), cc->ctx);
}

/* Every claim of an open ticket. */
int hd_store_sla_claims(struct hd_store *s, hd_sla_claim_fn *fn, void *ctx, char **error_r)
{
	struct claims_ctx cc = { fn, ctx };

	return s->vt->query(s->conn, "SELECT e.ticket, e.clock, e.started, e.threshold, e.status,"
		" e.owner, e.claimed_at FROM sla_events e JOIN ticket_state st ON st.id = e.ticket"
		" WHERE st.state = 'open'", NULL, 0, row_claim, &cc, NULL, error_r);
}

/* Subject of the ticket's first inbound record. */
int hd_store_ticket_subject(struct hd_store *s, const char *id, char **subject_r,
			    char **error_r)
{
	struct hd_sql_param p[1] = { p_text(id) };
	struct hd_store_first_row row = { 0 };

	*subject_r = NULL;
	if (s->vt->query(s->conn, "SELECT text FROM records WHERE ticket = $1 AND kind ="
		" 'inbound' ORDER BY seq LIMIT 1", p, 1, hd_store_row_first, &row, NULL, error_r)
	    != HD_STORE_OK)
		return HD_STORE_ERROR;
	if (row.found) {
		*subject_r = row.text[0];
		row.text[0] = NULL;
	}
	hd_store_first_row_free(&row);
	return HD_STORE_OK;
}

/*
 * store-exception - policy exceptions and their approvals: add a pending
 * exception, decide it once (approved or refused), consume an approval with
 * the one send it allows, find the latest one for an agent's reply.
 *
 * The state of an exception (pending, approved, refused, used) is what the
 * hash-chained records say: each decision and each consumption appends an
 * "approval" record (rule = the id) in the same transaction. The status
 * columns of the exceptions table are a copy for reports; they are never
 * trusted, so a row changed from outside approves nothing, and
 * hd_store_verify reports a row the chain does not back. It must never
 * delete an exception nor decide one twice (the schema's triggers refuse it
 * as well).
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store-int.h"
#include "util.h"

/* Free the members of an exception. */
void hd_exception_free(struct hd_exception *e)
{
	if (e == NULL)
		return;
	free(e->id);
	free(e->ticket);
	free(e->agent);
	free(e->policy);
	free(e->reason);
	free(e->kind);
	free(e->currency);
	free(e->status);
	free(e->approver);
	free(e->fingerprint);
	memset(e, 0, sizeof(*e));
}

/* Insert an exception; an existing id is left unchanged. */
int hd_store_exception_add(struct hd_store *s, const struct hd_exception *e, char **error_r)
{
	const char *status = e->status != NULL ? e->status : "pending";
	struct hd_sql_param amount = { .type = HD_SQL_NULL };
	struct hd_sql_param p[14];

	if (e->id == NULL || *e->id == '\0') {
		*error_r = xasprintf("%s: exception without an id", s->vt->name);
		return HD_STORE_ERROR;
	}
	if (e->amount >= 0) {
		amount.type = HD_SQL_DOUBLE;
		amount.dbl = e->amount;
	}
	p[0] = p_text(e->id);
	p[1] = p_text(e->ticket);
	p[2] = p_text(e->agent);
	p[3] = p_text(e->policy);
	p[4] = p_text(e->reason);
	p[5] = p_text(e->kind);
	p[6] = p_text(e->currency);
	p[7] = p_text(status);
	p[8] = p_text(e->approver);
	p[9] = p_text(e->fingerprint);
	p[10] = p_int(e->tier);
	p[11] = amount;
	p[12] = p_int((long long)e->created);
	p[13] = p_time0(e->decided);
	return hd_store_run(s, "INSERT INTO exceptions (id, ticket, agent, policy, reason, kind, currency,"
		   " status, approver, fingerprint, tier, amount, created, decided) VALUES"
		   " ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
		   " ON CONFLICT (id) DO NOTHING", p, 14, NULL, error_r);
}

/* The columns row_exception reads, in its order. */
#define EXCEPTION_COLUMNS_SQL \
	"id, ticket, agent, policy, reason, kind, currency, status, approver, fingerprint," \
	" tier, amount, created, decided"

/* Row callback filling a struct hd_exception. */
static bool row_exception(void *ctx, const char *const *c, size_t ncols)
{
	struct hd_exception *e = ctx;

	e->id = col_dup(c[0]);
	e->ticket = col_dup(c[1]);
	e->agent = col_dup(c[2]);
	e->policy = col_dup(c[3]);
	e->reason = col_dup(c[4]);
	e->kind = col_dup(c[5]);
	e->currency = col_dup(c[6]);
	e->status = col_dup(c[7]);
	e->approver = col_dup(c[8]);
	e->fingerprint = col_dup(c[9]);
	e->tier = (int)col_int(c[10]);
	e->amount = c[11] != NULL ? strtod(c[11], NULL) : -1;
	e->created = (time_t)col_int(c[12]);
	e->decided = (time_t)col_int(c[13]);
	return false;
}

/* Set the state of an exception read from the store. */
static void status_set(struct hd_exception *e, const char *status)
{
	free(e->status);
	e->status = xstrdup(status);
}

/* State of an exception as the chain tells it, oldest record first. */
static bool row_chain_state(void *ctx, const char *const *c, size_t ncols)
{
	struct hd_exception *e = ctx;
	const char *action = c[0] != NULL ? c[0] : "";

	if (strcmp(action, "consume") == 0) {
		if (strcmp(e->status, "approved") == 0)
			status_set(e, "used");
		return true;
	}
	if (strcmp(e->status, "pending") != 0)
		return true;	/* decided once: the first decision stands */
	status_set(e, strcmp(action, "approve") == 0 ? "approved" : "refused");
	free(e->approver);
	e->approver = col_dup(c[1]);
	e->decided = (time_t)col_int(c[2]);
	return true;
}

/* Replace the table's copy of the state by the chained one. */
static int exception_chain_state(struct hd_store *s, struct hd_exception *e, char **error_r)
{
	struct hd_sql_param p[1] = { p_text(e->id) };

	status_set(e, "pending");
	xfree(&e->approver);
	e->decided = 0;
	return s->vt->query(s->conn, "SELECT action, agent, at FROM records"
			    " WHERE rule = $1 AND kind = 'approval'"
			    " AND action IN ('approve', 'refuse', 'consume') ORDER BY seq",
			    p, 1, row_chain_state, e, NULL, error_r);
}

/* Run an exception query with text parameters; NOT_FOUND when no row. */
static int exception_query(struct hd_store *s, const char *sql, const struct hd_sql_param *p,
			   size_t n, struct hd_exception *e_r, char **error_r)
{
	memset(e_r, 0, sizeof(*e_r));
	e_r->amount = -1;
	if (s->vt->query(s->conn, sql, p, n, row_exception, e_r, NULL, error_r) != HD_STORE_OK) {
		hd_exception_free(e_r);
		e_r->amount = -1;
		return HD_STORE_ERROR;
	}
	if (e_r->id == NULL)
		return HD_STORE_NOT_FOUND;
	if (exception_chain_state(s, e_r, error_r) != HD_STORE_OK) {
		hd_exception_free(e_r);
		e_r->amount = -1;
		return HD_STORE_ERROR;
	}
	return HD_STORE_OK;
}

/* Read one exception by id. */
int hd_store_exception_get(struct hd_store *s, const char *id, struct hd_exception *e_r,
			   char **error_r)
{
	struct hd_sql_param p[1] = { p_text(id) };

	return exception_query(s, "SELECT " EXCEPTION_COLUMNS_SQL " FROM exceptions WHERE id = $1",
			       p, 1, e_r, error_r);
}

/* Append the chained "approval" record of an exception: what the caller
   knows of the message (why, may be NULL) with the kind, the id as rule,
   the action, the agent and the exception's own ticket filled in. */
static int exception_record(struct hd_store *s, const struct hd_exception *e, const char *action,
			    const char *agent, time_t at, const struct hd_record *why,
			    char **error_r)
{
	struct hd_record r = { 0 };

	if (why != NULL)
		r = *why;
	r.at = at;
	r.kind = "approval";
	r.rule = e->id;
	r.action = action;
	r.agent = agent;
	r.ticket = e->ticket;
	return hd_store_append(s, &r, error_r);
}

/* Decide a pending exception once, in the table and in the chain. Deciding
   it again the same way is a no-op (a retried approval mail); the other way
   is an error. */
int hd_store_exception_decide(struct hd_store *s, const char *id, const char *status,
			      const char *approver, time_t at, const struct hd_record *why,
			      char **error_r)
{
	struct hd_sql_param p[] = { p_text(id), p_text(status), p_text(approver),
				    p_int((long long)at) };
	struct hd_exception e;
	bool own;
	int ret;

	if (status == NULL || (strcmp(status, "approved") != 0 && strcmp(status, "refused") != 0)) {
		*error_r = xasprintf("%s: exception status must be approved or refused, not '%s'",
				     s->vt->name, status != NULL ? status : "(null)");
		return HD_STORE_ERROR;
	}
	if (hd_store_tx_enter(s, &own, error_r) != HD_STORE_OK)
		return HD_STORE_ERROR;
	ret = hd_store_exception_get(s, id, &e, error_r);
	if (ret != HD_STORE_OK)
		return hd_store_tx_leave(s, own, ret, error_r);
	if (strcmp(e.status, "pending") == 0) {
		if (hd_store_run(s, "UPDATE exceptions SET status = $2, approver = $3, decided = $4"
			" WHERE id = $1 AND status = 'pending'", p, 4, NULL, error_r) != HD_STORE_OK ||
		    exception_record(s, &e, strcmp(status, "approved") == 0 ? "approve" : "refuse",
				     approver, at, why, error_r) != HD_STORE_OK)
			ret = HD_STORE_ERROR;
	} else if (strcmp(e.status, status) != 0 &&
		   !(strcmp(e.status, "used") == 0 && strcmp(status, "approved") == 0)) {
		*error_r = xasprintf("%s: exception %s was already %s%s%s", s->vt->name, id,
				     e.status, e.approver != NULL ? " by " : "",
				     e.approver != NULL ? e.approver : "");
		ret = HD_STORE_ERROR;
	}
	hd_exception_free(&e);
	return hd_store_tx_leave(s, own, ret, error_r);
}

/* Use up an approved exception with the one send it allows (SPEC s.6: the
   next send of that reply). NOT_FOUND when it is not (or no longer)
   approved. */
int hd_store_exception_consume(struct hd_store *s, const char *id, const char *agent,
			       time_t at, const struct hd_record *why, char **error_r)
{
	struct hd_exception e;
	bool own;
	int ret;

	if (hd_store_tx_enter(s, &own, error_r) != HD_STORE_OK)
		return HD_STORE_ERROR;
	ret = hd_store_exception_get(s, id, &e, error_r);
	if (ret == HD_STORE_OK) {
		if (strcmp(e.status, "approved") != 0)
			ret = HD_STORE_NOT_FOUND;
		else if (exception_record(s, &e, "consume", agent, at, why, error_r) != HD_STORE_OK)
			ret = HD_STORE_ERROR;
		hd_exception_free(&e);
	}
	return hd_store_tx_leave(s, own, ret, error_r);
}

/* Most recent exception for (ticket, agent, fingerprint), any status. */
int hd_store_exception_find(struct hd_store *s, const char *ticket, const char *agent,
			    const char *fingerprint, struct hd_exception *e_r, char **error_r)
{
	struct hd_sql_param p[] = { p_text(ticket), p_text(agent), p_text(fingerprint) };

	return exception_query(s, "SELECT " EXCEPTION_COLUMNS_SQL " FROM exceptions"
			       " WHERE ticket = $1 AND agent = $2 AND fingerprint = $3"
			       " ORDER BY created DESC, id DESC LIMIT 1", p, 3, e_r, error_r);
}

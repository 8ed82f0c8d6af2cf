/*
 * store-exception - policy exceptions and their approvals: add a pending
 * exception, decide it once (approved or refused), find the latest one for
 * an agent's reply. It must never delete an exception nor decide one twice
 * (the schema's triggers refuse it as well).
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
	return e_r->id != NULL ? HD_STORE_OK : HD_STORE_NOT_FOUND;
}

/* Read one exception by id. */
int hd_store_exception_get(struct hd_store *s, const char *id, struct hd_exception *e_r,
			   char **error_r)
{
	struct hd_sql_param p[1] = { p_text(id) };

	return exception_query(s, "SELECT " EXCEPTION_COLUMNS_SQL " FROM exceptions WHERE id = $1",
			       p, 1, e_r, error_r);
}

/* Decide a pending exception once. Deciding it again the same way is a no-op
   (a retried approval mail); the other way is an error. */
int hd_store_exception_decide(struct hd_store *s, const char *id, const char *status,
			      const char *approver, time_t at, char **error_r)
{
	struct hd_sql_param p[] = { p_text(id), p_text(status), p_text(approver),
				    p_int((long long)at) };
	struct hd_exception e;
	long long changes = 0;
	int ret;

	if (status == NULL || (strcmp(status, "approved") != 0 && strcmp(status, "refused") != 0)) {
		*error_r = xasprintf("%s: exception status must be approved or refused, not '%s'",
				     s->vt->name, status != NULL ? status : "(null)");
		return HD_STORE_ERROR;
	}
	if (hd_store_run(s, "UPDATE exceptions SET status = $2, approver = $3, decided = $4"
		" WHERE id = $1 AND status = 'pending'", p, 4, &changes, error_r) != HD_STORE_OK)
		return HD_STORE_ERROR;
	if (changes > 0)
		return HD_STORE_OK;
	ret = hd_store_exception_get(s, id, &e, error_r);
	if (ret != HD_STORE_OK)
		return ret;
	if (strcmp(e.status, status) != 0) {
		*error_r = xasprintf("%s: exception %s was already %s%s%s", s->vt->name, id,
				     e.status, e.approver != NULL ? " by " : "",
				     e.approver != NULL ? e.approver : "");
		ret = HD_STORE_ERROR;
	}
	hd_exception_free(&e);
	return ret;
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

/*
 * store-kpi - read-only queries for the KPI report: a read snapshot, tickets
 * of a period and the unanswered backlog, one stream of the records counted,
 * an index-only kind count, and exceptions grouped in SQL. Period bounds and
 * kinds travel as parameters; column names are fixed here. It must never
 * write and never put a caller's value into SQL text.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store-int.h"
#include "store-kpi.h"
#include "util.h"

/* Largest time that bounds an open period (year 9999). */
#define KPI_TIME_MAX 253402300799LL

/* The caller's callback and context, for the row adapters below. */
struct kpi_cb {
	void *fn;
	void *ctx;
};

/* Bind a period [since, until) as $1, $2 (0 = open bound). */
static void kpi_period(struct hd_sql_param p[2], time_t since, time_t until)
{
	p[0] = p_int((long long)since);
	p[1] = p_int(until != 0 ? (long long)until : KPI_TIME_MAX);
}

/* Start a read-only snapshot transaction on the handle. */
int hd_store_kpi_snapshot(struct hd_store *s, char **error_r)
{
	if (s->in_tx) {
		*error_r = xasprintf("%s: a transaction is already open on this handle",
				     s->vt->name);
		return HD_STORE_ERROR;
	}
	if (s->vt->begin(s->conn, false, error_r) != HD_STORE_OK)
		return HD_STORE_ERROR;
	s->in_tx = true;
	return HD_STORE_OK;
}

/* One tickets row to the caller. */
static bool row_ticket(void *ctx, const char *const *c, size_t ncols)
{
	struct kpi_cb *cb = ctx;
	struct hd_kpi_ticket_row t;

	if (ncols < 8)
		return false;
	t.id = c[0];
	t.team = c[1];
	t.priority = c[2];
	t.opened = (time_t)col_int(c[3]);
	t.first_response_due = (time_t)col_int(c[4]);
	t.resolution_due = (time_t)col_int(c[5]);
	t.first_response_at = (time_t)col_int(c[6]);
	t.first_response_by = c[7];
	return ((hd_kpi_ticket_fn *)cb->fn)(&t, cb->ctx);
}

/* Tickets of a period plus the unanswered backlog, oldest first. */
int hd_store_kpi_tickets(struct hd_store *s, time_t since, time_t until,
			 time_t unanswered_before, hd_kpi_ticket_fn *fn, void *ctx,
			 char **error_r)
{
	struct hd_sql_param p[3];
	struct kpi_cb cb = { (void *)fn, ctx };

	kpi_period(p, since, until);
	p[2] = p_int((long long)unanswered_before);
	return s->vt->query(s->conn,
			    "SELECT id, team, priority, opened, first_response_due, resolution_due,"
			    " first_response_at, first_response_by FROM tickets"
			    " WHERE (opened >= $1 AND opened < $2)"
			    " OR (first_response_at IS NULL AND opened < $3)"
			    " ORDER BY opened, id",
			    p, 3, row_ticket, &cb, NULL, error_r);
}

/* Count records of one kind in a period; (kind, at) is indexed, so the count reads the index only. */
int hd_store_kpi_count(struct hd_store *s, const char *kind, time_t since, time_t until,
		       long long *count_r, char **error_r)
{
	struct hd_sql_param p[3];
	struct hd_store_first_row c = { 0 };
	int ret;

	kpi_period(p, since, until);
	p[2] = p_text(kind);
	ret = s->vt->query(s->conn, "SELECT COUNT(*) FROM records WHERE kind = $3 AND at >= $1 AND at < $2",
			   p, 3, hd_store_row_first, &c, NULL, error_r);
	*count_r = c.found ? c.v[0] : 0;
	hd_store_first_row_free(&c);
	return ret;
}

/* One counted record to the caller. */
static bool row_record(void *ctx, const char *const *c, size_t ncols)
{
	struct kpi_cb *cb = ctx;
	struct hd_kpi_record_row r;

	if (ncols < 6)
		return false;
	r = (struct hd_kpi_record_row){ c[0], c[1], c[2], c[3], c[4], c[5] };
	return ((hd_kpi_record_fn *)cb->fn)(&r, cb->ctx);
}

/* The kinds the report counts, and the columns it needs of them. */
#define KPI_RECORDS_SQL(from) \
	"SELECT kind, agent, rule, action," \
	" CASE WHEN kind = 'exception' THEN text END, CASE WHEN kind = 'exception' THEN detail END" \
	" FROM " from " WHERE at >= $1 AND at < $2" \
	" AND kind IN ('outbound', 'tone', 'handoff', 'escalation', 'approval', 'exception')" \
	" AND (kind <> 'exception' OR action = 'accept')"

/* Stream the records the report counts, one pass. */
int hd_store_kpi_records(struct hd_store *s, time_t since, time_t until,
			 hd_kpi_record_fn *fn, void *ctx, char **error_r)
{
	struct hd_sql_param p[2];
	struct kpi_cb cb = { (void *)fn, ctx };
	/* SQLite would look each row up through the (kind, at) index; over a
	   whole store a plain scan reads the same pages once, in order. */
	bool scan = since == 0 && until == 0 && s->vt->dialect == HD_DIALECT_SQLITE;

	kpi_period(p, since, until);
	return s->vt->query(s->conn, scan ? KPI_RECORDS_SQL("records NOT INDEXED") : KPI_RECORDS_SQL("records"),
			    p, 2, row_record, &cb, NULL, error_r);
}

/* One exception id to the caller. */
static bool row_id(void *ctx, const char *const *c, size_t ncols)
{
	struct kpi_cb *cb = ctx;

	return ncols < 1 || c[0] == NULL || ((hd_kpi_id_fn *)cb->fn)(cb->ctx, c[0]);
}

/* Every id of the exceptions table. */
int hd_store_kpi_exception_ids(struct hd_store *s, hd_kpi_id_fn *fn, void *ctx, char **error_r)
{
	struct kpi_cb cb = { (void *)fn, ctx };

	return s->vt->query(s->conn, "SELECT id FROM exceptions", NULL, 0, row_id, &cb, NULL, error_r);
}

/* One grouped exceptions row to the caller. */
static bool row_exception(void *ctx, const char *const *c, size_t ncols)
{
	struct kpi_cb *cb = ctx;
	struct hd_kpi_exception_row e;

	if (ncols < 6)
		return false;
	e.agent = c[0];
	e.policy = c[1];
	e.tier = (int)col_int(c[2]);
	e.status = c[3];
	e.approver = c[4];
	e.count = col_int(c[5]);
	return ((hd_kpi_exception_fn *)cb->fn)(&e, cb->ctx);
}

/* Exceptions created in a period counted per (agent, policy, tier, status, approver). */
int hd_store_kpi_exceptions(struct hd_store *s, time_t since, time_t until,
			    hd_kpi_exception_fn *fn, void *ctx, char **error_r)
{
	struct hd_sql_param p[2];
	struct kpi_cb cb = { (void *)fn, ctx };

	kpi_period(p, since, until);
	return s->vt->query(s->conn,
			    "SELECT agent, policy, tier, status, approver, COUNT(*) FROM exceptions"
			    " WHERE created >= $1 AND created < $2"
			    " GROUP BY agent, policy, tier, status, approver"
			    " ORDER BY agent, policy, tier, status, approver",
			    p, 2, row_exception, &cb, NULL, error_r);
}


/*
 * store-query - audit search (helpdeskctl audit, report): build the filter
 * as parameterised SQL over the records table and hand each row, in chain
 * order, to the caller. It only reads; it must never write, and never put a
 * filter value into the SQL text.
 */
#include <config.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store-int.h"
#include "util.h"

/* A result row of HD_STORE_RECORD_COLUMNS_SQL as a struct hd_audit_row. */
void hd_store_audit_row_from(struct hd_audit_row *a, const char *const *c)
{
	a->seq = col_int(c[0]);
	a->at = (time_t)col_int(c[1]);
	a->kind = c[2];
	a->queue_id = c[3];
	a->message_id = c[4];
	a->ticket = c[5];
	a->team = c[6];
	a->priority = c[7];
	a->agent = c[8];
	a->rule = c[9];
	a->action = c[10];
	a->text = c[11];
	a->detail = c[12];
	a->policy_name = c[13];
	a->policy_version = c[14];
	a->prev_hash = c[15];
	a->hash = c[16];
}

/* The caller's row function and its context. */
struct audit_ctx {
	hd_audit_fn *fn;
	void *ctx;
};

/* Hand one record row to the caller's function. */
static bool row_audit(void *ctx, const char *const *cols, size_t ncols)
{
	struct audit_ctx *a = ctx;
	struct hd_audit_row row;

	if (ncols < HD_STORE_RECORD_NCOLS)
		return false;
	hd_store_audit_row_from(&row, cols);
	return a->fn(&row, a->ctx);
}

/* Add "AND column = $n" for a filter value that is set. */
static void filter_eq(struct strbuf *sql, struct hd_sql_param *p, size_t *n,
		      const char *column, const char *value)
{
	if (value == NULL)
		return;
	p[*n] = p_text(value);
	(*n)++;
	sb_printf(sql, " AND %s = $%zu", column, *n);
}

/* Search records by filter in seq order; fn returns false to stop. */
int hd_store_audit(struct hd_store *s, const struct hd_audit_filter *f, hd_audit_fn *fn,
		   void *ctx, char **error_r)
{
	struct hd_sql_param p[16];
	size_t n = 0;
	struct strbuf sql;
	struct audit_ctx a = { fn, ctx };
	char *agent = NULL;
	int ret;

	/* Agents are stored lower-case (the policy's addresses are), so a
	   lowered filter matches case-insensitively and keeps the index. */
	if (f->agent != NULL) {
		agent = xstrdup(f->agent);
		for (char *c = agent; *c; c++)
			*c = (char)tolower((unsigned char)*c);
	}
	sb_init(&sql);
	sb_puts(&sql, "SELECT " HD_STORE_RECORD_COLUMNS_SQL " FROM records WHERE 1 = 1");
	filter_eq(&sql, p, &n, "ticket", f->ticket);
	filter_eq(&sql, p, &n, "team", f->team);
	filter_eq(&sql, p, &n, "priority", f->priority);
	filter_eq(&sql, p, &n, "agent", agent);
	filter_eq(&sql, p, &n, "rule", f->rule);
	filter_eq(&sql, p, &n, "kind", f->kind);
	filter_eq(&sql, p, &n, "message_id", f->message_id);
	filter_eq(&sql, p, &n, "queue_id", f->queue_id);
	filter_eq(&sql, p, &n, "action", f->action);
	if (f->since != 0) {
		p[n++] = p_int((long long)f->since);
		sb_printf(&sql, " AND at >= $%zu", n);
	}
	if (f->until != 0) {
		p[n++] = p_int((long long)f->until);
		sb_printf(&sql, " AND at < $%zu", n);
	}
	sb_puts(&sql, " ORDER BY seq");
	if (f->limit != 0) {
		p[n++] = p_int((long long)f->limit);
		sb_printf(&sql, " LIMIT $%zu", n);
	}
	ret = s->vt->query(s->conn, sql.s, p, n, row_audit, &a, NULL, error_r);
	sb_free(&sql);
	free(agent);
	return ret;
}

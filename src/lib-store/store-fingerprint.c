/*
 * store-fingerprint - the thread_lines table: (ticket, hash) pairs of the
 * customer's normalised line hashes, inserted in fixed-size batches (the same
 * statement every time, so it stays prepared) and read back sorted. It must
 * never store text, and never put a value into SQL text.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "store-fingerprint.h"
#include "store-int.h"
#include "util.h"

/* Hashes inserted by one statement: the ticket takes the first parameter. */
#define HD_STORE_THREAD_BATCH (HD_STORE_PARAMS_MAX - 1)

/* The batch INSERT: "($1, $2), ($1, $3), ...", built once per call. */
static char *thread_insert_sql(void)
{
	struct strbuf sb;

	sb_init(&sb);
	sb_puts(&sb, "INSERT INTO thread_lines (ticket, hash) VALUES ");
	for (size_t i = 0; i < HD_STORE_THREAD_BATCH; i++)
		sb_printf(&sb, "%s($1, $%zu)", i ? ", " : "", i + 2);
	sb_puts(&sb, " ON CONFLICT (ticket, hash) DO NOTHING");
	return sb_steal(&sb);
}

/* Public entry: see store-fingerprint.h. */
int hd_store_thread_add(struct hd_store *s, const char *ticket, const uint32_t *hashes,
			size_t n, char **error_r)
{
	struct hd_sql_param p[HD_STORE_PARAMS_MAX];
	char *sql;
	int rc = HD_STORE_OK;

	if (ticket == NULL || *ticket == '\0') {
		*error_r = xstrdup("thread_add needs a ticket");
		return HD_STORE_ERROR;
	}
	if (n == 0)
		return HD_STORE_OK;
	sql = thread_insert_sql();
	p[0] = p_text(ticket);
	for (size_t off = 0; off < n && rc == HD_STORE_OK; off += HD_STORE_THREAD_BATCH) {
		/* a short last batch repeats its last hash: DO NOTHING absorbs it */
		for (size_t i = 0; i < HD_STORE_THREAD_BATCH; i++) {
			size_t k = off + i < n ? off + i : n - 1;
			p[i + 1] = p_int(hashes[k]);
		}
		rc = hd_store_run(s, sql, p, HD_STORE_PARAMS_MAX, NULL, error_r);
	}
	free(sql);
	return rc;
}

/* Rows of the lookup, collected. */
struct thread_rows {
	uint32_t *h;
	size_t n, cap;
};

/* One hash row. */
static bool thread_row(void *ctx, const char *const *cols, size_t ncols)
{
	struct thread_rows *t = ctx;

	if (ncols < 1 || cols[0] == NULL)
		return true;
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->h = xrealloc(t->h, t->cap * sizeof(*t->h));
	}
	t->h[t->n++] = (uint32_t)strtoull(cols[0], NULL, 10);
	return true;
}

/* Public entry: see store-fingerprint.h. */
int hd_store_thread_get(struct hd_store *s, const char *ticket, uint32_t **hashes_r,
			size_t *n_r, char **error_r)
{
	struct hd_sql_param p[2] = { p_text(ticket), p_int(HD_STORE_THREAD_LINES_MAX) };
	struct thread_rows t = { 0 };
	int rc;

	*hashes_r = NULL;
	*n_r = 0;
	if (ticket == NULL)
		return HD_STORE_OK;
	rc = s->vt->query(s->conn, "SELECT hash FROM thread_lines WHERE ticket = $1 ORDER BY hash LIMIT $2",
			  p, 2, thread_row, &t, NULL, error_r);
	if (rc != HD_STORE_OK) {
		free(t.h);
		return rc;
	}
	*hashes_r = t.h;
	*n_r = t.n;
	return HD_STORE_OK;
}

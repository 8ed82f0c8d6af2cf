/*
 * store-fingerprint - the thread_lines table: (ticket, hash) pairs of the
 * customer's normalised line hashes, inserted in batches of 16, 8, 4, 2 and 1
 * on SQLite (five constant statements, each prepared once per connection),
 * as one array parameter on PostgreSQL (one round trip), and read back
 * sorted. It must never store text, and never put a value into SQL text.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "store-fingerprint.h"
#include "store-int.h"
#include "util.h"

/* Hashes inserted by the biggest statement (a power of two); the ticket
   takes the first parameter. */
#define HD_STORE_THREAD_BATCH 16
/* Statements: for 16, 8, 4, 2 and 1 hashes. */
#define HD_STORE_THREAD_SIZES 5

/* "($1, $2), ($1, $3), ..." up to $17; the statement for k hashes ends
   where its k-th tuple does. */
#define THREAD_INSERT "INSERT INTO thread_lines (ticket, hash) VALUES "
#define THREAD_TUPLES_1 "($1, $2)"
#define THREAD_TUPLES_2 THREAD_TUPLES_1 ", ($1, $3)"
#define THREAD_TUPLES_4 THREAD_TUPLES_2 ", ($1, $4), ($1, $5)"
#define THREAD_TUPLES_8 THREAD_TUPLES_4 ", ($1, $6), ($1, $7), ($1, $8), ($1, $9)"
#define THREAD_TUPLES_16 THREAD_TUPLES_8 ", ($1, $10), ($1, $11), ($1, $12), ($1, $13)," \
	" ($1, $14), ($1, $15), ($1, $16), ($1, $17)"
#define THREAD_CONFLICT " ON CONFLICT (ticket, hash) DO NOTHING"

/* The batch INSERTs, biggest first: constant text, so each is prepared
   once per connection and found again by address. */
static const struct {
	size_t n;
	const char *sql;
} thread_insert[HD_STORE_THREAD_SIZES] = {
	{ 16, THREAD_INSERT THREAD_TUPLES_16 THREAD_CONFLICT },
	{ 8, THREAD_INSERT THREAD_TUPLES_8 THREAD_CONFLICT },
	{ 4, THREAD_INSERT THREAD_TUPLES_4 THREAD_CONFLICT },
	{ 2, THREAD_INSERT THREAD_TUPLES_2 THREAD_CONFLICT },
	{ 1, THREAD_INSERT THREAD_TUPLES_1 THREAD_CONFLICT },
};

/* PostgreSQL: every hash of a call in one statement (one round trip), as
   an array parameter "{1,2,3}". */
static int thread_add_pg(struct hd_store *s, const char *ticket, const uint32_t *hashes,
			 size_t n, char **error_r)
{
	struct hd_sql_param p[2];
	struct strbuf a;
	int rc;

	sb_init(&a);
	sb_putc(&a, '{');
	for (size_t i = 0; i < n; i++) {
		char buf[12], *d = buf + sizeof(buf);
		uint32_t v = hashes[i];

		do
			*--d = (char)('0' + v % 10);
		while ((v /= 10) != 0);
		if (i > 0)
			sb_putc(&a, ',');
		sb_append(&a, d, (size_t)(buf + sizeof(buf) - d));
	}
	sb_putc(&a, '}');
	p[0] = p_text(ticket);
	p[1] = p_text(a.s);
	rc = hd_store_run(s, "INSERT INTO thread_lines (ticket, hash)"
			  " SELECT $1, unnest($2::bigint[]) ON CONFLICT (ticket, hash) DO NOTHING",
			  p, 2, NULL, error_r);
	sb_free(&a);
	return rc;
}

/* Public entry: see store-fingerprint.h. SQLite: batches of 16 hashes, the
   rest in its binary digits (11 = 8 + 2 + 1), no row inserted twice. */
int hd_store_thread_add(struct hd_store *s, const char *ticket, const uint32_t *hashes,
			size_t n, char **error_r)
{
	struct hd_sql_param p[1 + HD_STORE_THREAD_BATCH];
	size_t off = 0;

	if (ticket == NULL || *ticket == '\0') {
		*error_r = xstrdup("thread_add needs a ticket");
		return HD_STORE_ERROR;
	}
	if (n == 0)
		return HD_STORE_OK;
	if (s->vt->dialect == HD_DIALECT_POSTGRESQL)
		return thread_add_pg(s, ticket, hashes, n, error_r);
	p[0] = p_text(ticket);
	for (size_t b = 0; b < HD_STORE_THREAD_SIZES; b++) {
		size_t k = thread_insert[b].n;

		while (n - off >= k) {
			for (size_t i = 0; i < k; i++)
				p[i + 1] = p_int(hashes[off + i]);
			if (hd_store_run(s, thread_insert[b].sql, p, k + 1, NULL, error_r)
			    != HD_STORE_OK)
				return HD_STORE_ERROR;
			off += k;
			if (b > 0)	/* below 16 each size is needed once at most */
				break;
		}
	}
	return HD_STORE_OK;
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

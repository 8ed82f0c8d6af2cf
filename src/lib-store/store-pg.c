/*
 * store-pg - the PostgreSQL backend of the audit store, for a store shared by
 * several MTAs: libpq, named prepared statements cached per connection,
 * results streamed row by row, writers serialised by transaction-scoped
 * advisory locks. A lost connection is an error; the next call outside a
 * transaction tries PQreset once. It must never reconnect silently inside a
 * transaction (that would split it) and never crash when the server goes away.
 * Built without libpq (no HAVE_POSTGRESQL), every open fails with a clear error.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store-int.h"
#include "util.h"

#ifdef HAVE_POSTGRESQL
#include <libpq-fe.h>

/* Advisory lock keys ("HDMS" + n): one for migrations, one for appends. */
#define HD_PG_LOCK_KEY_BASE 0x48444d53LL
/* Text of one numeric parameter. */
#define HD_PG_NUM_LEN 40

struct pg_stmt {
	char *sql;
	char name[24];
	struct pg_stmt *next;
};

struct pg_conn {
	PGconn *pg;
	struct pg_stmt *cache;	/* most recently used first */
	size_t ncached;
	unsigned int next_id;
	bool tx_open;
};

/* libpq's message on one line, without the trailing newline. */
static char *pg_clean(const char *msg)
{
	char *s = xstrdup(msg != NULL && *msg != '\0' ? msg : "unknown error");
	size_t len;

	for (char *p = s; *p != '\0'; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	len = strlen(s);
	while (len > 0 && s[len - 1] == ' ')
		s[--len] = '\0';
	return s;
}

/* "postgresql: <what>: <message>". */
static char *pg_error(const char *what, const char *msg)
{
	char *clean = pg_clean(msg);
	char *ret = xasprintf("postgresql: %s: %s", what, clean);

	free(clean);
	return ret;
}

/* Swallow NOTICEs ("relation already exists, skipping" and the like). */
static void pg_notice(void *arg, const char *message)
{
}

/* Forget every cached statement (the server forgot them on reconnect). */
static void pg_cache_clear(struct pg_conn *c)
{
	while (c->cache != NULL) {
		struct pg_stmt *e = c->cache;

		c->cache = e->next;
		free(e->sql);
		free(e);
	}
	c->ncached = 0;
}

/* Session settings after (re)connecting. */
static int pg_session_setup(struct pg_conn *c, char **error_r)
{
	PGresult *res;

	PQsetNoticeProcessor(c->pg, pg_notice, NULL);
	res = PQexec(c->pg, "SET client_min_messages = warning");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		*error_r = pg_error("session setup", PQerrorMessage(c->pg));
		PQclear(res);
		return HD_STORE_ERROR;
	}
	PQclear(res);
	return HD_STORE_OK;
}

/* Make sure the connection is usable: outside a transaction, reset it once. */
static int pg_ready(struct pg_conn *c, char **error_r)
{
	if (PQstatus(c->pg) == CONNECTION_OK)
		return HD_STORE_OK;
	if (c->tx_open) {
		*error_r = pg_error("connection lost inside a transaction",
				    PQerrorMessage(c->pg));
		return HD_STORE_ERROR;
	}
	pg_cache_clear(c);
	PQreset(c->pg);
	if (PQstatus(c->pg) != CONNECTION_OK) {
		*error_r = pg_error("reconnect failed", PQerrorMessage(c->pg));
		return HD_STORE_ERROR;
	}
	log_notice("postgresql: reconnected to the store");
	return pg_session_setup(c, error_r);
}

/* Connect with a libpq URI. */
static int pg_open(const char *target, void **conn_r, char **error_r)
{
	struct pg_conn *c = xcalloc(1, sizeof(*c));

	*conn_r = NULL;
	c->pg = PQconnectdb(target);
	if (c->pg == NULL || PQstatus(c->pg) != CONNECTION_OK) {
		*error_r = pg_error("cannot connect", c->pg != NULL ? PQerrorMessage(c->pg) :
				    "out of memory");
		PQfinish(c->pg);
		free(c);
		return HD_STORE_ERROR;
	}
	if (pg_session_setup(c, error_r) != HD_STORE_OK) {
		PQfinish(c->pg);
		free(c);
		return HD_STORE_ERROR;
	}
	*conn_r = c;
	return HD_STORE_OK;
}

/* Close the connection. */
static void pg_close(void *conn)
{
	struct pg_conn *c = conn;

	pg_cache_clear(c);
	PQfinish(c->pg);
	free(c);
}

/* Run a parameterless script; *cmd_r (may be NULL) gets the last command tag. */
static int pg_exec_tag(struct pg_conn *c, const char *script, const char *what, char **tag_r,
		       char **error_r)
{
	PGresult *res;
	ExecStatusType st;

	if (pg_ready(c, error_r) != HD_STORE_OK)
		return HD_STORE_ERROR;
	res = PQexec(c->pg, script);
	st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		*error_r = pg_error(what, res != NULL ? PQresultErrorMessage(res) :
				    PQerrorMessage(c->pg));
		PQclear(res);
		return HD_STORE_ERROR;
	}
	if (tag_r != NULL)
		*tag_r = xstrdup(PQcmdStatus(res));
	PQclear(res);
	return HD_STORE_OK;
}

/* Run a script of statements. */
static int pg_exec(void *conn, const char *script, char **error_r)
{
	return pg_exec_tag(conn, script, "exec", NULL, error_r);
}

/* Name of the prepared statement for sql, preparing it on a miss. */
static int pg_stmt_get(struct pg_conn *c, const char *sql, size_t nparams,
		       const char **name_r, char **error_r)
{
	struct pg_stmt **pp, *e;
	PGresult *res;

	for (pp = &c->cache; *pp != NULL; pp = &(*pp)->next) {
		e = *pp;
		if (strcmp(e->sql, sql) == 0) {
			*pp = e->next;
			e->next = c->cache;
			c->cache = e;
			*name_r = e->name;
			return HD_STORE_OK;
		}
	}
	e = xcalloc(1, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "hd_%u", c->next_id++);
	res = PQprepare(c->pg, e->name, sql, (int)nparams, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		*error_r = pg_error("prepare", res != NULL ? PQresultErrorMessage(res) :
				    PQerrorMessage(c->pg));
		PQclear(res);
		free(e);
		return HD_STORE_ERROR;
	}
	PQclear(res);
	if (c->ncached >= HD_STORE_STMT_CACHE_MAX) {	/* drop the least recently used */
		struct pg_stmt *old;
		char *sql_dealloc;

		for (pp = &c->cache; (*pp)->next != NULL; pp = &(*pp)->next)
			;
		old = *pp;
		*pp = NULL;
		sql_dealloc = xasprintf("DEALLOCATE %s", old->name);
		PQclear(PQexec(c->pg, sql_dealloc));	/* best effort */
		free(sql_dealloc);
		free(old->sql);
		free(old);
		c->ncached--;
	}
	e->sql = xstrdup(sql);
	e->next = c->cache;
	c->cache = e;
	c->ncached++;
	*name_r = e->name;
	return HD_STORE_OK;
}

/* Run one statement, streaming rows to fn. */
static int pg_query(void *conn, const char *sql, const struct hd_sql_param *p, size_t n,
		    hd_sql_row_fn *fn, void *ctx, long long *changes_r, char **error_r)
{
	struct pg_conn *c = conn;
	const char *values[HD_STORE_PARAMS_MAX];
	char nums[HD_STORE_PARAMS_MAX][HD_PG_NUM_LEN];
	const char *cols[HD_STORE_COLUMNS_MAX];
	const char *name;
	PGresult *res;
	bool more = true;
	int ret = HD_STORE_OK;

	if (changes_r != NULL)
		*changes_r = 0;
	if (n > HD_STORE_PARAMS_MAX) {
		*error_r = xasprintf("postgresql: too many parameters (%zu)", n);
		return HD_STORE_ERROR;
	}
	if (pg_ready(c, error_r) != HD_STORE_OK ||
	    pg_stmt_get(c, sql, n, &name, error_r) != HD_STORE_OK)
		return HD_STORE_ERROR;
	for (size_t i = 0; i < n; i++) {
		switch (p[i].type) {
		case HD_SQL_TEXT:
			values[i] = p[i].text;
			break;
		case HD_SQL_INT:
			snprintf(nums[i], sizeof(nums[i]), "%lld", p[i].num);
			values[i] = nums[i];
			break;
		case HD_SQL_DOUBLE:
			snprintf(nums[i], sizeof(nums[i]), "%.17g", p[i].dbl);
			values[i] = nums[i];
			break;
		default:
			values[i] = NULL;
			break;
		}
	}
	if (!PQsendQueryPrepared(c->pg, name, (int)n, values, NULL, NULL, 0)) {
		*error_r = pg_error("query", PQerrorMessage(c->pg));
		return HD_STORE_ERROR;
	}
	(void)PQsetSingleRowMode(c->pg);
	/* Read every result to the end, even after an error or a stop: the
	   connection must be idle for the next statement. */
	while ((res = PQgetResult(c->pg)) != NULL) {
		ExecStatusType st = PQresultStatus(res);

		if (st == PGRES_SINGLE_TUPLE || st == PGRES_TUPLES_OK) {
			size_t ncols = (size_t)PQnfields(res);

			if (ncols > HD_STORE_COLUMNS_MAX)
				ncols = HD_STORE_COLUMNS_MAX;
			for (int row = 0; more && ret == HD_STORE_OK && row < PQntuples(res); row++) {
				for (size_t i = 0; i < ncols; i++)
					cols[i] = PQgetisnull(res, row, (int)i) ? NULL :
						PQgetvalue(res, row, (int)i);
				if (fn != NULL && !fn(ctx, cols, ncols))
					more = false;
			}
		} else if (st == PGRES_COMMAND_OK) {
			if (changes_r != NULL && *PQcmdTuples(res) != '\0')
				*changes_r = strtoll(PQcmdTuples(res), NULL, 10);
		} else if (ret == HD_STORE_OK) {
			*error_r = pg_error("query", PQresultErrorMessage(res)[0] != '\0' ?
					    PQresultErrorMessage(res) : PQerrorMessage(c->pg));
			ret = HD_STORE_ERROR;
		}
		PQclear(res);
	}
	if (ret == HD_STORE_OK && PQstatus(c->pg) != CONNECTION_OK) {
		*error_r = pg_error("query", PQerrorMessage(c->pg));
		ret = HD_STORE_ERROR;
	}
	return ret;
}

/* BEGIN; a read-only snapshot when not writing. */
static int pg_begin(void *conn, bool write, char **error_r)
{
	struct pg_conn *c = conn;

	if (pg_exec_tag(c, write ? "BEGIN" : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
			"begin", NULL, error_r) != HD_STORE_OK)
		return HD_STORE_ERROR;
	c->tx_open = true;
	return HD_STORE_OK;
}

/* COMMIT; an aborted transaction answers ROLLBACK, which is an error here. */
static int pg_commit(void *conn, char **error_r)
{
	struct pg_conn *c = conn;
	char *tag = NULL;
	int ret;

	ret = pg_exec_tag(c, "COMMIT", "commit", &tag, error_r);
	if (ret == HD_STORE_OK && strcmp(tag, "COMMIT") != 0) {
		*error_r = xstrdup("postgresql: commit: the transaction was aborted by an "
				   "earlier error and has been rolled back");
		ret = HD_STORE_ERROR;
	}
	free(tag);
	c->tx_open = false;
	return ret;
}

/* ROLLBACK; on a lost connection the transaction is gone anyway. */
static void pg_rollback(void *conn)
{
	struct pg_conn *c = conn;

	if (PQstatus(c->pg) == CONNECTION_OK &&
	    PQtransactionStatus(c->pg) != PQTRANS_IDLE)
		PQclear(PQexec(c->pg, "ROLLBACK"));
	c->tx_open = false;
}

/* Take a transaction-scoped advisory lock (released at commit/rollback). */
static int pg_lock(void *conn, enum hd_store_lock which, char **error_r)
{
	struct hd_sql_param p = { .type = HD_SQL_INT,
				  .num = HD_PG_LOCK_KEY_BASE + (long long)which };

	return pg_query(conn, "SELECT pg_advisory_xact_lock($1::bigint)", &p, 1, NULL, NULL,
			NULL, error_r);
}

#else /* !HAVE_POSTGRESQL */

/* Refuse: this build has no libpq. */
static int pg_open(const char *target, void **conn_r, char **error_r)
{
	*conn_r = NULL;
	*error_r = xstrdup("postgresql: built without PostgreSQL support "
			   "(reconfigure with libpq installed)");
	return HD_STORE_ERROR;
}

/* Never reached: open always fails. */
static void pg_close(void *conn)
{
}

/* Never reached: open always fails. */
static int pg_exec(void *conn, const char *script, char **error_r)
{
	*error_r = xstrdup("postgresql: built without PostgreSQL support");
	return HD_STORE_ERROR;
}

/* Never reached: open always fails. */
static int pg_query(void *conn, const char *sql, const struct hd_sql_param *p, size_t n,
		    hd_sql_row_fn *fn, void *ctx, long long *changes_r, char **error_r)
{
	return pg_exec(conn, sql, error_r);
}

/* Never reached: open always fails. */
static int pg_begin(void *conn, bool write, char **error_r)
{
	return pg_exec(conn, NULL, error_r);
}

/* Never reached: open always fails. */
static int pg_commit(void *conn, char **error_r)
{
	return pg_exec(conn, NULL, error_r);
}

/* Never reached: open always fails. */
static void pg_rollback(void *conn)
{
}

/* Never reached: open always fails. */
static int pg_lock(void *conn, enum hd_store_lock which, char **error_r)
{
	return pg_exec(conn, NULL, error_r);
}

#endif /* HAVE_POSTGRESQL */

/* The same table with or without libpq: without it, open refuses. */
const struct hd_store_vtable hd_store_pg_vtable = {
	.name = "postgresql",
	.dialect = HD_DIALECT_POSTGRESQL,
	.open = pg_open,
	.close = pg_close,
	.exec = pg_exec,
	.query = pg_query,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.lock = pg_lock,
};


/*
 * store-sqlite - the SQLite backend of the audit store: one file (or
 * :memory:), WAL journal, a busy timeout, and a per-handle cache of prepared
 * statements. SQL arrives with $N placeholders and is rewritten to ?N once,
 * when prepared. Writers of one file in the process take turns on a mutex
 * (SQLite's busy handler, for other processes, sleeps between tries). A
 * write is made durable before commit returns: SQLite
 * writes the WAL without syncing it (synchronous = NORMAL), a commit's
 * frames with one write (store-sqlite-vfs.c), and the commit then waits for
 * a group sync of the WAL (groupsync.c), which concurrent commits of the
 * process share. It must never be used by two threads at
 * once (one handle, one thread), never return from a write before the WAL
 * holding it is on disk, and never report an error without saying what
 * SQLite said.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "groupsync.h"
#include "store-int.h"
#include "util.h"

struct sqlite_stmt {
	char *sql;
	const char *key;	/* the caller's last pointer to it (compared first) */
	sqlite3_stmt *stmt;
	struct sqlite_stmt *next;
};

struct sqlite_conn {
	sqlite3 *db;
	char *path;
	struct sqlite_stmt *cache;	/* most recently used first */
	size_t ncached;
	struct hd_groupsync *wal;	/* the WAL's group sync (NULL: :memory:) */
	bool writing;			/* has the write turn, in a write transaction */
};

/* "sqlite: <what>: <SQLite's message>", naming the busy timeout for locks. */
static char *sqlite_error(struct sqlite_conn *c, int rc, const char *what)
{
	int primary = rc & 0xff;

	if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
		return xasprintf("sqlite: %s: database is locked (after %d ms)", what,
				 HD_STORE_BUSY_TIMEOUT_MS);
	return xasprintf("sqlite: %s: %s", what,
			 c->db != NULL ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
}

/* Rewrite $N placeholders to ?N (SQLite reads $N as a named parameter). */
static char *sqlite_placeholders(const char *sql)
{
	char *out = xstrdup(sql);
	bool quoted = false;

	for (char *p = out; *p != '\0'; p++) {
		if (*p == '\'')
			quoted = !quoted;
		else if (!quoted && *p == '$' && p[1] >= '0' && p[1] <= '9')
			*p = '?';
	}
	return out;
}

/* The link to sql's cache entry, NULL when it is not cached. The store's
   SQL is constant text, so an entry is looked for by the caller's pointer
   first (a few instructions per entry, then one strcmp to confirm: the
   pointer may have been reused for other text) and by its text only when
   no pointer matches. */
static struct sqlite_stmt **sqlite_stmt_find(struct sqlite_conn *c, const char *sql)
{
	struct sqlite_stmt **pp;

	for (pp = &c->cache; *pp != NULL; pp = &(*pp)->next) {
		if ((*pp)->key == sql && strcmp((*pp)->sql, sql) == 0)
			return pp;
	}
	for (pp = &c->cache; *pp != NULL; pp = &(*pp)->next) {
		if (strcmp((*pp)->sql, sql) == 0) {
			(*pp)->key = sql;
			return pp;
		}
	}
	return NULL;
}

/* A prepared statement for sql from the cache, preparing it on a miss. */
static int sqlite_stmt_get(struct sqlite_conn *c, const char *sql, sqlite3_stmt **stmt_r,
			   char **error_r)
{
	struct sqlite_stmt **pp = sqlite_stmt_find(c, sql), *e;
	char *rewritten;
	int rc;

	if (pp != NULL) {
		e = *pp;
		*pp = e->next;		/* move to front */
		e->next = c->cache;
		c->cache = e;
		*stmt_r = e->stmt;
		return HD_STORE_OK;
	}
	rewritten = sqlite_placeholders(sql);
	rc = sqlite3_prepare_v3(c->db, rewritten, -1, SQLITE_PREPARE_PERSISTENT, stmt_r, NULL);
	free(rewritten);
	if (rc != SQLITE_OK) {
		*error_r = sqlite_error(c, rc, "prepare");
		return HD_STORE_ERROR;
	}
	if (c->ncached >= HD_STORE_STMT_CACHE_MAX) {	/* drop the least recently used */
		for (pp = &c->cache; (*pp)->next != NULL; pp = &(*pp)->next)
			;
		e = *pp;
		*pp = NULL;
		sqlite3_finalize(e->stmt);
		free(e->sql);
		free(e);
		c->ncached--;
	}
	e = xcalloc(1, sizeof(*e));
	e->sql = xstrdup(sql);
	e->key = sql;
	e->stmt = *stmt_r;
	e->next = c->cache;
	c->cache = e;
	c->ncached++;
	return HD_STORE_OK;
}

/* WAL pages after which a commit checkpoints them into the database. A
   checkpoint costs two fdatasync() calls (about 6 ms here) on the commit
   that triggers it; an inbound message writes about 14 pages (schema 6; 24
   before), so SQLite's default of 1000 pages would put that on one message
   in 70. 8000 pages (32 MB of WAL) makes it one in 570 and copies each hot
   page once per checkpoint, not 8 times.
   Every commit is on disk before it returns: Postfix fsyncs its queue file
   before it answers 250, so otherwise a power loss could keep a delivered
   message and lose its audit record, and the chain could not show the
   loss. SQLite's own way (synchronous = FULL) is one fdatasync per commit
   (0.2-0.6 ms here), made while holding the write lock; instead SQLite
   writes the WAL unsynced (NORMAL: it still syncs around checkpoints and
   the WAL header) and the commit waits for a group sync of the WAL, which
   every commit of the process that came in meanwhile shares. */
#define HD_SQLITE_WAL_AUTOCHECKPOINT_PAGES 8000
/* Page cache per connection, in KiB (SQLite's default, chosen, not
   inherited). A message's writes touch about a dozen pages, and every
   commit of another connection of the milter's pool empties this
   connection's cache at its next transaction anyway (WAL mode), so more
   cache does not save the pool a read; with up to HD_MILTER_STORE_POOL_MAX
   (32) pooled connections, 2 MiB each keeps the worst case at 64 MiB, and
   helpdeskctl's audits read the indexes in order, where the OS cache serves
   them. */
#define HD_SQLITE_CACHE_KIB 2000
/* No mmap_size: measured with 8 writers it left the reads per message as
   they were (32: the pages re-read after another connection's commit are
   in the WAL, which SQLite never maps) and cost more CPU (remapping as the
   file grows), and an I/O error on a mapped page is a SIGBUS, not an
   error the milter can answer with on_failure. */
/* Temporary tables and sort spills go to files (temp_store = FILE), not
   memory: the milter's statements use none (every ORDER BY it runs follows
   an index, multi-row INSERTs run as coroutines), and an audit or report
   over a whole store sorting in memory could take hundreds of MiB. */
/* Page size of a new store (an existing one keeps its own: WAL mode cannot
   change it). Measured with bench/store/bench-inbound.c on a store of 10,000
   messages (schema 6): 1024-byte pages write 19.9 WAL pages and 326,000
   instructions per inbound message, 2048 16.9 and 313,000, 4096 14.4 and
   319,000. Smaller pages write fewer bytes but more pages (deeper trees,
   more splits: every b-tree a message touches costs a page whatever its
   size) and read more (pread per message 12.9, 8.8, 3.6), so the CPU stays
   the same and the syscalls grow: 4096 stays. */
#ifndef HD_SQLITE_PAGE_SIZE
#define HD_SQLITE_PAGE_SIZE 4096
#endif
#define HD_SQLITE_STR2(x) #x
#define HD_SQLITE_STR(x) HD_SQLITE_STR2(x)

/* Rows after which a store without planner statistics gets them. */
#define HD_SQLITE_ANALYZE_MIN_ROWS 1000
/* Rows of each index that ANALYZE samples (PRAGMA analysis_limit). */
#define HD_SQLITE_ANALYZE_LIMIT 2000
/* One integer from a query; false when it fails or returns no row. */
static bool sqlite_int(sqlite3 *db, const char *sql, long long *v_r)
{
	sqlite3_stmt *st;
	bool ok = false;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return false;
	if (sqlite3_step(st) == SQLITE_ROW) {
		*v_r = sqlite3_column_int64(st, 0);
		ok = true;
	}
	sqlite3_finalize(st);
	return ok;
}

/* Give a store without planner statistics for its records an ANALYZE once
   it has grown a little, so audits with several filters pick the narrowest
   index. The proportions it records stay valid as the store grows. Schema
   6 rebuilt the tables, which dropped their statistics: a big store gets
   them again at its next open, and analysis_limit keeps that to a sample of
   each index (milliseconds, not a scan holding the write lock). */
static void sqlite_analyze_once(struct sqlite_conn *c)
{
	long long n;

	if (sqlite_int(c->db, "SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'records'", &n) &&
	    n > 0)
		return;		/* statistics exist */
	if (!sqlite_int(c->db, "SELECT max(seq) FROM records", &n) ||
	    n < HD_SQLITE_ANALYZE_MIN_ROWS)
		return;
	if (sqlite3_exec(c->db, "PRAGMA analysis_limit = " HD_SQLITE_STR(HD_SQLITE_ANALYZE_LIMIT)
			 "; ANALYZE", NULL, NULL, NULL) != SQLITE_OK)
		log_debug("sqlite: ANALYZE of %s skipped: %s", c->path, sqlite3_errmsg(c->db));
}

/* Open (creating) the database file and set the connection's pragmas. */
static int sqlite_open(const char *target, void **conn_r, char **error_r)
{
	struct sqlite_conn *c = xcalloc(1, sizeof(*c));
	bool memory = strcmp(target, ":memory:") == 0;
	char *err = NULL;
	int rc;

	*conn_r = NULL;
	c->path = xstrdup(target);
	rc = sqlite3_open_v2(target, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			     SQLITE_OPEN_NOMUTEX, hd_store_sqlite_vfs());
	if (rc != SQLITE_OK) {
		int sys = c->db != NULL ? sqlite3_system_errno(c->db) : 0;

		*error_r = xasprintf("sqlite: cannot open %s: %s%s%s", target,
				     c->db != NULL ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc),
				     sys != 0 ? ": " : "", sys != 0 ? strerror(sys) : "");
		sqlite3_close(c->db);
		free(c->path);
		free(c);
		return HD_STORE_ERROR;
	}
	sqlite3_extended_result_codes(c->db, 1);
	sqlite3_busy_timeout(c->db, HD_STORE_BUSY_TIMEOUT_MS);
	if (sqlite3_exec(c->db, memory ? "PRAGMA foreign_keys = ON;" :
			 "PRAGMA page_size = " HD_SQLITE_STR(HD_SQLITE_PAGE_SIZE) ";"
			 " PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
			 " PRAGMA wal_autocheckpoint = "
			 HD_SQLITE_STR(HD_SQLITE_WAL_AUTOCHECKPOINT_PAGES) ";"
			 " PRAGMA cache_size = -" HD_SQLITE_STR(HD_SQLITE_CACHE_KIB) ";"
			 " PRAGMA temp_store = FILE;"
			 " PRAGMA foreign_keys = ON;", NULL, NULL, &err) != SQLITE_OK) {
		*error_r = xasprintf("sqlite: cannot set up %s: %s", target,
				     err != NULL ? err : "unknown error");
		sqlite3_free(err);
		sqlite3_close(c->db);
		free(c->path);
		free(c);
		return HD_STORE_ERROR;
	}
	if (!memory) {
		const char *file = sqlite3_db_filename(c->db, "main");
		char *wal = xasprintf("%s-wal", file != NULL && *file != '\0' ? file : target);

		/* The group checks the WAL by path at its next sync only (not per
		   commit): from here on this connection holds the WAL in place
		   (SQLite deletes it only when its last connection closes, and
		   the journal_mode pragma above has opened it). */
		c->wal = hd_groupsync_get(wal);
		free(wal);
		sqlite_analyze_once(c);
	}
	*conn_r = c;
	return HD_STORE_OK;
}

/* The transaction is over: give the write turn back. */
static void sqlite_write_done(struct sqlite_conn *c)
{
	if (c->writing && c->wal != NULL)
		hd_groupsync_writer_leave(c->wal);
	c->writing = false;
}

/* Finalize cached statements and close the database. */
static void sqlite_close(void *conn)
{
	struct sqlite_conn *c = conn;

	if (c->writing)		/* closed in a transaction: abandon it */
		(void)sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite_write_done(c);
	while (c->cache != NULL) {
		struct sqlite_stmt *e = c->cache;

		c->cache = e->next;
		sqlite3_finalize(e->stmt);
		free(e->sql);
		free(e);
	}
	if (sqlite3_close(c->db) != SQLITE_OK)
		log_warning("sqlite: closing %s: %s", c->path, sqlite3_errmsg(c->db));
	hd_groupsync_release(&c->wal);
	free(c->path);
	free(c);
}

/* Wait until what this handle committed is on disk (see above). */
static int sqlite_durable(struct sqlite_conn *c, char **error_r)
{
	char *err;

	if (hd_store_sqlite_vfs_failed()) {
		*error_r = xasprintf("sqlite: commit of %s not on disk: a WAL write failed"
				     " (writes are refused from now on: check the disk, then"
				     " restart)", c->path);
		return HD_STORE_ERROR;
	}
	if (c->wal == NULL || hd_groupsync_wait(c->wal, &err))
		return HD_STORE_OK;
	*error_r = xasprintf("sqlite: commit of %s not on disk: %s", c->path, err);
	free(err);
	return HD_STORE_ERROR;
}

/* Run a script of statements (made durable when it ran outside a
   transaction: pragmas and DDL in autocommit mode). */
static int sqlite_exec(void *conn, const char *script, char **error_r)
{
	struct sqlite_conn *c = conn;
	char *err = NULL;
	int rc = sqlite3_exec(c->db, script, NULL, NULL, &err);

	if (rc != SQLITE_OK) {
		if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
			*error_r = sqlite_error(c, rc, "exec");
		else
			*error_r = xasprintf("sqlite: %s", err != NULL ? err : sqlite3_errstr(rc));
		sqlite3_free(err);
		return HD_STORE_ERROR;
	}
	if (sqlite3_get_autocommit(c->db))
		return sqlite_durable(c, error_r);
	return HD_STORE_OK;
}

/* Bind the parameters of one statement. */
static int sqlite_bind(struct sqlite_conn *c, sqlite3_stmt *st, const struct hd_sql_param *p,
		       size_t n, char **error_r)
{
	for (size_t i = 0; i < n; i++) {
		int col = (int)i + 1, rc;

		switch (p[i].type) {
		case HD_SQL_NULL:
			rc = sqlite3_bind_null(st, col);
			break;
		case HD_SQL_TEXT:
			rc = sqlite3_bind_text(st, col, p[i].text, -1, SQLITE_STATIC);
			break;
		case HD_SQL_INT:
			rc = sqlite3_bind_int64(st, col, p[i].num);
			break;
		case HD_SQL_DOUBLE:
			rc = sqlite3_bind_double(st, col, p[i].dbl);
			break;
		default:
			rc = SQLITE_MISUSE;
			break;
		}
		if (rc != SQLITE_OK) {
			*error_r = sqlite_error(c, rc, "bind");
			return HD_STORE_ERROR;
		}
	}
	return HD_STORE_OK;
}

/* Run one statement, calling fn per row; a write outside a transaction is
   made durable before it returns. */
static int sqlite_query(void *conn, const char *sql, const struct hd_sql_param *p, size_t n,
			hd_sql_row_fn *fn, void *ctx, long long *changes_r, char **error_r)
{
	struct sqlite_conn *c = conn;
	const char *cols[HD_STORE_COLUMNS_MAX];
	sqlite3_stmt *st;
	int rc, ret = HD_STORE_OK;

	if (changes_r != NULL)
		*changes_r = 0;
	if (sqlite_stmt_get(c, sql, &st, error_r) != HD_STORE_OK)
		return HD_STORE_ERROR;
	if (sqlite_bind(c, st, p, n, error_r) != HD_STORE_OK) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		return HD_STORE_ERROR;
	}
	for (;;) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			size_t ncols = (size_t)sqlite3_column_count(st);

			if (ncols > HD_STORE_COLUMNS_MAX)
				ncols = HD_STORE_COLUMNS_MAX;
			for (size_t i = 0; i < ncols; i++)
				cols[i] = (const char *)sqlite3_column_text(st, (int)i);
			if (fn != NULL && !fn(ctx, cols, ncols))
				break;
			continue;
		}
		if (rc != SQLITE_DONE) {
			*error_r = sqlite_error(c, rc, "query");
			ret = HD_STORE_ERROR;
		} else if (changes_r != NULL) {
			*changes_r = sqlite3_changes(c->db);
		}
		break;
	}
	if (ret == HD_STORE_OK && sqlite3_get_autocommit(c->db) && !sqlite3_stmt_readonly(st))
		ret = sqlite_durable(c, error_r);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return ret;
}

/* Run BEGIN or COMMIT from the statement cache (sqlite3_exec would parse
   it again on every message); SQLite's result code. */
static int sqlite_control(struct sqlite_conn *c, const char *sql)
{
	sqlite3_stmt *st;
	char *err = NULL;
	int rc;

	if (sqlite_stmt_get(c, sql, &st, &err) != HD_STORE_OK) {
		free(err);
		return sqlite3_exec(c->db, sql, NULL, NULL, NULL);
	}
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* BEGIN IMMEDIATE for writers (takes the write lock now), BEGIN otherwise. */
static int sqlite_begin(void *conn, bool write, char **error_r)
{
	struct sqlite_conn *c = conn;
	int rc;

	if (write && c->wal != NULL &&
	    !hd_groupsync_writer_enter(c->wal, HD_STORE_BUSY_TIMEOUT_MS)) {
		*error_r = sqlite_error(c, SQLITE_BUSY, "begin");
		return HD_STORE_ERROR;
	}
	rc = sqlite_control(c, write ? "BEGIN IMMEDIATE" : "BEGIN");
	if (rc != SQLITE_OK) {
		if (write && c->wal != NULL)
			hd_groupsync_writer_leave(c->wal);
		*error_r = sqlite_error(c, rc, "begin");
		return HD_STORE_ERROR;
	}
	c->writing = write;
	return HD_STORE_OK;
}

/* COMMIT; a write transaction returns once it is on disk. */
static int sqlite_commit(void *conn, char **error_r)
{
	struct sqlite_conn *c = conn;
	int rc = sqlite_control(c, "COMMIT");
	bool wrote = c->writing;

	if (rc != SQLITE_OK) {
		*error_r = sqlite_error(c, rc, "commit");
		return HD_STORE_ERROR;
	}
	sqlite_write_done(c);
	return wrote ? sqlite_durable(c, error_r) : HD_STORE_OK;
}

/* ROLLBACK (nothing to do when no transaction is active). */
static void sqlite_rollback(void *conn)
{
	struct sqlite_conn *c = conn;

	if (!sqlite3_get_autocommit(c->db))
		(void)sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite_write_done(c);
}

/* Writers are already serialised by BEGIN IMMEDIATE. */
static int sqlite_lock(void *conn, enum hd_store_lock which, char **error_r)
{
	return HD_STORE_OK;
}

const struct hd_store_vtable hd_store_sqlite_vtable = {
	.name = "sqlite",
	.dialect = HD_DIALECT_SQLITE,
	.open = sqlite_open,
	.close = sqlite_close,
	.exec = sqlite_exec,
	.query = sqlite_query,
	.begin = sqlite_begin,
	.commit = sqlite_commit,
	.rollback = sqlite_rollback,
	.lock = sqlite_lock,
};

#ifndef HD_STORE_INT_H
#define HD_STORE_INT_H
/*
 * store-int - private to src/lib-store. Two halves: what the
 * backend-independent files (store.c, store-schema.c, store-ticket.c,
 * store-exception.c, store-query.c, store-verify.c) need from a backend
 * (store-sqlite.c, store-pg.c): a connection, transactions, a lock, and
 * parameterised SQL that calls back once per row; and what those files share
 * with each other: the handle, parameter and column helpers, the record
 * columns and the hash chain. SQL given to a backend uses $1, $2, ...
 * placeholders; every value travels as a parameter, never inside the SQL
 * text. Backends prefix every error message with their name ("sqlite: ...",
 * "postgresql: ..."). Nothing outside src/lib-store may include this file
 * except the store's unit test.
 */#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include "store.h"
#include "util.h"

/* Parameters of one statement (a statement never needs more). */
#define HD_STORE_PARAMS_MAX 32
/* Columns of one result row (records have 17). */
#define HD_STORE_COLUMNS_MAX 32
/* Prepared statements kept per handle. */
#define HD_STORE_STMT_CACHE_MAX 48
/* Message-ids looked up in one query by hd_store_ticket_by_message. */
#define HD_STORE_LOOKUP_CHUNK 32
/* Message-ids accepted by one hd_store_ticket_by_message call. */
#define HD_STORE_LOOKUP_IDS_MAX 1000
/* Columns kept by hd_store_row_first. */
#define HD_STORE_FIRST_ROW_COLUMNS 4

/* prev_hash of the first record. */
#define HD_STORE_ZERO_HASH \
	"0000000000000000000000000000000000000000000000000000000000000000"

/* The columns of a records row, in struct hd_audit_row order. */
#define HD_STORE_RECORD_COLUMNS_SQL \
	"seq, at, kind, queue_id, message_id, ticket, team, priority, agent, rule," \
	" action, text, detail, policy_name, policy_version, prev_hash, hash"
#define HD_STORE_RECORD_NCOLS 17

enum hd_sql_type { HD_SQL_NULL, HD_SQL_TEXT, HD_SQL_INT, HD_SQL_DOUBLE };

struct hd_sql_param {
	enum hd_sql_type type;
	const char *text;
	long long num;
	double dbl;
};

/* Which dialect's DDL a migration step uses. */
enum hd_store_dialect { HD_DIALECT_SQLITE, HD_DIALECT_POSTGRESQL };

/* Locks taken inside a write transaction. */
enum hd_store_lock { HD_STORE_LOCK_MIGRATE, HD_STORE_LOCK_APPEND };

/* One result row: cols[i] is NULL for SQL NULL; valid during the call only.
   Return false to stop. */
typedef bool hd_sql_row_fn(void *ctx, const char *const *cols, size_t ncols);

struct hd_store_vtable {
	const char *name;
	enum hd_store_dialect dialect;
	/* Connect to target (a path, ":memory:", or a libpq URI). */
	int (*open)(const char *target, void **conn_r, char **error_r);
	void (*close)(void *conn);
	/* Run a script of statements without parameters (DDL, pragmas). */
	int (*exec)(void *conn, const char *script, char **error_r);
	/* Run one statement; fn (may be NULL) per row; *changes_r (may be NULL)
	   = rows changed by INSERT/UPDATE/DELETE. */
	int (*query)(void *conn, const char *sql, const struct hd_sql_param *params,
		     size_t nparams, hd_sql_row_fn *fn, void *ctx, long long *changes_r,
		     char **error_r);
	/* write: a transaction that will write (SQLite: BEGIN IMMEDIATE);
	   otherwise a read-only snapshot. */
	int (*begin)(void *conn, bool write, char **error_r);
	int (*commit)(void *conn, char **error_r);
	void (*rollback)(void *conn);
	/* Serialise writers of different handles until the transaction ends. */
	int (*lock)(void *conn, enum hd_store_lock which, char **error_r);
};

extern const struct hd_store_vtable hd_store_sqlite_vtable;
extern const struct hd_store_vtable hd_store_pg_vtable;

/* store-sqlite-vfs.c: the SQLite VFS that writes a commit's WAL frames
   with one write (registered at the first call; NULL when it could not be,
   then SQLite's default VFS serves). */
#define HD_STORE_SQLITE_VFS "hd-wal-gather"
const char *hd_store_sqlite_vfs(void);
/* Whether a WAL write failed where SQLite could not be told: no commit is
   durable from then on. */
bool hd_store_sqlite_vfs_failed(void);
/* Frame headers gathered and writes made of gathered frames, process-wide
   (tests, benchmarks). */
void hd_store_sqlite_vfs_stats(uint64_t *frames_r, uint64_t *writes_r);

/* Split a store URI into its backend and the backend's target. */
int hd_store_uri_parse(const char *uri, const struct hd_store_vtable **vt_r,
		       char **target_r, char **error_r);

/* The canonical text that a record's hash covers (exposed for tests). */
char *hd_store_record_canonical(long long seq, const struct hd_record *r,
				const char *prev_hash);

/* ------------------------------------------------------------------ */
/* Shared by the backend-independent store files. */

/* A handle: the backend, its connection, and whether the caller holds a
   transaction (hd_store_begin). */
struct hd_store {
	const struct hd_store_vtable *vt;
	void *conn;
	bool in_tx;
};

/* store-schema.c: whether the database has the store's schema (meta table). */
int hd_store_schema_present(struct hd_store *s, bool *present_r, char **error_r);

/* A text parameter (NULL → SQL NULL). */
static inline struct hd_sql_param p_text(const char *s)
{
	struct hd_sql_param p = { .type = s != NULL ? HD_SQL_TEXT : HD_SQL_NULL, .text = s };

	return p;
}

/* An integer parameter. */
static inline struct hd_sql_param p_int(long long v)
{
	struct hd_sql_param p = { .type = HD_SQL_INT, .num = v };

	return p;
}

/* A time parameter where 0 means none (SQL NULL). */
static inline struct hd_sql_param p_time0(time_t t)
{
	struct hd_sql_param p = { .type = t != 0 ? HD_SQL_INT : HD_SQL_NULL, .num = (long long)t };

	return p;
}

/* Integer value of a result column (NULL or junk → 0). */
static inline long long col_int(const char *s)
{
	return s != NULL ? strtoll(s, NULL, 10) : 0;
}

/* Copy of a result column, NULL stays NULL. */
static inline char *col_dup(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/* The first row of a result: its first columns as integers and as text. */
struct hd_store_first_row {
	long long v[HD_STORE_FIRST_ROW_COLUMNS];
	char *text[HD_STORE_FIRST_ROW_COLUMNS];
	size_t n;
	bool found;
};
/* Row callback (ctx: struct hd_store_first_row) keeping the first row. */
bool hd_store_row_first(void *ctx, const char *const *cols, size_t ncols);
/* Free the text kept by hd_store_row_first. */
void hd_store_first_row_free(struct hd_store_first_row *c);

/* Run a statement with no result rows wanted (store.c). */
int hd_store_run(struct hd_store *s, const char *sql, const struct hd_sql_param *p, size_t n,
		 long long *changes_r, char **error_r);

/* A transaction of its own unless the caller has one open (*own_r), and
   its end: commit on success, roll back on failure (store.c). */
int hd_store_tx_enter(struct hd_store *s, bool *own_r, char **error_r);
int hd_store_tx_leave(struct hd_store *s, bool own, int ret, char **error_r);

/* Create or migrate the schema to HD_STORE_SCHEMA_VERSION (store-schema.c). */
int hd_store_schema_migrate(struct hd_store *s, char **error_r);

/* The hash of a record at seq after prev_hash (store.c). */
void hd_store_record_hash(long long seq, const struct hd_record *r, const char *prev_hash,
			  char out[65]);

/* A result row of HD_STORE_RECORD_COLUMNS_SQL as a struct hd_audit_row
   (store-query.c). */
void hd_store_audit_row_from(struct hd_audit_row *a, const char *const *c);

#endif

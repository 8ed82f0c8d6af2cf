#ifndef HD_STORE_INT_H
#define HD_STORE_INT_H
/*
 * store-int - what store.c (backend-independent: URI, schema migrations,
 * hash chain, queries) needs from a backend (store-sqlite.c, store-pg.c): a
 * connection, transactions, a lock, and parameterised SQL that calls back
 * once per row. SQL given to a backend uses $1, $2, ... placeholders; every
 * value travels as a parameter, never inside the SQL text. Backends prefix
 * every error message with their name ("sqlite: ...", "postgresql: ...").
 */
#include <stdbool.h>
#include <stddef.h>
#include "store.h"

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

/* Split a store URI into its backend and the backend's target. */
int hd_store_uri_parse(const char *uri, const struct hd_store_vtable **vt_r,
		       char **target_r, char **error_r);

/* One statement on the handle's connection, for store-*.c modules. */
int hd_store_sql(struct hd_store *s, const char *sql, const struct hd_sql_param *p, size_t n,
		 hd_sql_row_fn *fn, void *ctx, char **error_r);

/* The canonical text that a record's hash covers (exposed for tests). */
char *hd_store_record_canonical(long long seq, const struct hd_record *r,
				const char *prev_hash);

#endif

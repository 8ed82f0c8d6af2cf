/*
 * store - the backend-independent half of the audit store: store URIs, the
 * versioned schema and its migrations, the record hash chain, and every query
 * (the same SQL for SQLite and PostgreSQL, run through the vtable in
 * store-int.h). It must never put a value into SQL text (parameters only),
 * never rewrite or delete an audit record, and never keep state outside the
 * handle.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store-int.h"
#include "util.h"

/* prev_hash of the first record. */
#define HD_STORE_ZERO_HASH \
	"0000000000000000000000000000000000000000000000000000000000000000"

struct hd_store {
	const struct hd_store_vtable *vt;
	void *conn;
	bool in_tx;
};

/* ------------------------------------------------------------------ */
/* Schema. Adding version N+1: append one step to hd_store_migrations and
   raise HD_STORE_SCHEMA_VERSION in store.h. Each step runs inside the
   migration transaction: first .common (the same SQL for both dialects, where
   @SERIAL_PK@ becomes the dialect's auto-increment primary key), then the
   dialect's own part (triggers). */

struct hd_store_migration {
	int version;
	const char *summary;
	const char *common;
	const char *dialect[2];	/* indexed by enum hd_store_dialect */
};

/* The dialect's spelling of an auto-increment integer primary key. */
static const char *const hd_store_serial_pk[2] = {
	[HD_DIALECT_SQLITE] = "INTEGER PRIMARY KEY AUTOINCREMENT",
	[HD_DIALECT_POSTGRESQL] = "BIGSERIAL PRIMARY KEY",
};

/* The common SQL of a step with @SERIAL_PK@ spelt for the dialect. */
static char *migration_common_sql(const char *common, enum hd_store_dialect d)
{
	static const char token[] = "@SERIAL_PK@";
	struct strbuf sb;
	const char *p;

	sb_init(&sb);
	while ((p = strstr(common, token)) != NULL) {
		sb_append(&sb, common, (size_t)(p - common));
		sb_puts(&sb, hd_store_serial_pk[d]);
		common = p + sizeof(token) - 1;
	}
	sb_puts(&sb, common);
	return sb_steal(&sb);
}

static const struct hd_store_migration hd_store_migrations[] = {
	{ 1, "initial schema",
	  "CREATE TABLE tickets (id TEXT PRIMARY KEY, team TEXT, priority TEXT,"
	  " customer TEXT, opened BIGINT NOT NULL, first_response_due BIGINT,"
	  " resolution_due BIGINT, first_response_at BIGINT, first_response_by TEXT,"
	  " policy_version TEXT);"
	  "CREATE INDEX tickets_team ON tickets (team, opened);"
	  "CREATE TABLE messages (message_id TEXT PRIMARY KEY, ticket TEXT NOT NULL);"
	  "CREATE INDEX messages_ticket ON messages (ticket);"
	  "CREATE TABLE exceptions (id TEXT PRIMARY KEY, ticket TEXT, agent TEXT,"
	  " policy TEXT, reason TEXT, kind TEXT, currency TEXT,"
	  " status TEXT NOT NULL DEFAULT 'pending'"
	  "  CHECK (status IN ('pending', 'approved', 'refused')),"
	  " approver TEXT, fingerprint TEXT, tier INTEGER NOT NULL DEFAULT 0,"
	  " amount DOUBLE PRECISION, created BIGINT NOT NULL, decided BIGINT);"
	  "CREATE INDEX exceptions_lookup ON exceptions (ticket, agent, fingerprint, created);"
	  "CREATE TABLE records (seq @SERIAL_PK@, at BIGINT NOT NULL, kind TEXT NOT NULL,"
	  " queue_id TEXT, message_id TEXT, ticket TEXT, team TEXT, priority TEXT, agent TEXT,"
	  " rule TEXT, action TEXT, text TEXT, detail TEXT, policy_name TEXT,"
	  " policy_version TEXT, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);"
	  "CREATE INDEX records_ticket ON records (ticket);"
	  /* (column, at): an equality filter plus a period narrows in the index */
	  "CREATE INDEX records_team ON records (team, at);"
	  "CREATE INDEX records_priority ON records (priority, at);"
	  "CREATE INDEX records_agent ON records (agent, kind, at);"
	  "CREATE INDEX records_rule ON records (rule, at);"
	  "CREATE INDEX records_kind ON records (kind, at);"
	  "CREATE INDEX records_at ON records (at);",
	  {
		  [HD_DIALECT_SQLITE] =
		  "CREATE TRIGGER records_no_update BEFORE UPDATE ON records"
		  " BEGIN SELECT RAISE(ABORT, 'records are append-only'); END;"
		  "CREATE TRIGGER records_no_delete BEFORE DELETE ON records"
		  " BEGIN SELECT RAISE(ABORT, 'records are append-only'); END;"
		  "CREATE TRIGGER exceptions_no_delete BEFORE DELETE ON exceptions"
		  " BEGIN SELECT RAISE(ABORT, 'exceptions are never deleted'); END;"
		  "CREATE TRIGGER exceptions_decide_once BEFORE UPDATE ON exceptions"
		  " WHEN OLD.status <> 'pending' OR NEW.id <> OLD.id"
		  " BEGIN SELECT RAISE(ABORT, 'an exception is decided once'); END;",
		  [HD_DIALECT_POSTGRESQL] =
		  "CREATE FUNCTION hd_records_append_only() RETURNS trigger"
		  " LANGUAGE plpgsql AS $$ BEGIN"
		  " RAISE EXCEPTION 'records are append-only'; END $$;"
		  "CREATE TRIGGER records_no_change BEFORE UPDATE OR DELETE ON records"
		  " FOR EACH ROW EXECUTE FUNCTION hd_records_append_only();"
		  "CREATE TRIGGER records_no_truncate BEFORE TRUNCATE ON records"
		  " FOR EACH STATEMENT EXECUTE FUNCTION hd_records_append_only();"
		  "CREATE FUNCTION hd_exceptions_decide_once() RETURNS trigger"
		  " LANGUAGE plpgsql AS $$ BEGIN"
		  " IF TG_OP = 'DELETE' THEN RAISE EXCEPTION 'exceptions are never deleted'; END IF;"
		  " IF OLD.status <> 'pending' OR NEW.id <> OLD.id THEN"
		  " RAISE EXCEPTION 'an exception is decided once'; END IF;"
		  " RETURN NEW; END $$;"
		  "CREATE TRIGGER exceptions_decide_once BEFORE UPDATE OR DELETE ON exceptions"
		  " FOR EACH ROW EXECUTE FUNCTION hd_exceptions_decide_once();",
	  } },
	/* Inbound records (most of them) name no agent and no rule: indexing
	   only the records that do saves two index pages per inbound commit,
	   and a filter "agent = X" or "rule = X" implies IS NOT NULL, so both
	   planners still use these indexes for it. */
	{ 2, "index agent and rule only where set",
	  "DROP INDEX records_agent;"
	  "CREATE INDEX records_agent ON records (agent, kind, at) WHERE agent IS NOT NULL;"
	  "DROP INDEX records_rule;"
	  "CREATE INDEX records_rule ON records (rule, at) WHERE rule IS NOT NULL;",
	  { NULL, NULL } },
	/* Thread fingerprints (store-fingerprint.c): hashes of the customer's
	   lines per ticket, no text, so that a reply quoting them is known. */
	{ 3, "thread line fingerprints",
	  "CREATE TABLE IF NOT EXISTS thread_lines (ticket TEXT NOT NULL, hash BIGINT NOT NULL,"
	  " PRIMARY KEY (ticket, hash));",
	  { NULL, NULL } },
};

/* meta: one row; schema_version plus the chain head (seq and hash of the last
   record), which makes deleting the newest records detectable. */
static const char hd_store_meta_sql[] =
	"CREATE TABLE IF NOT EXISTS meta (id INTEGER PRIMARY KEY CHECK (id = 1),"
	" schema_version INTEGER NOT NULL, head_seq BIGINT NOT NULL DEFAULT 0,"
	" head_hash TEXT NOT NULL);"
	"INSERT INTO meta (id, schema_version, head_seq, head_hash)"
	" SELECT 1, 0, 0, '" HD_STORE_ZERO_HASH "'"
	" WHERE NOT EXISTS (SELECT 1 FROM meta);";

/* ------------------------------------------------------------------ */
/* Parameter and row helpers. */

/* A text parameter (NULL → SQL NULL). */
static struct hd_sql_param p_text(const char *s)
{
	struct hd_sql_param p = { .type = s != NULL ? HD_SQL_TEXT : HD_SQL_NULL, .text = s };

	return p;
}

/* An integer parameter. */
static struct hd_sql_param p_int(long long v)
{
	struct hd_sql_param p = { .type = HD_SQL_INT, .num = v };

	return p;
}

/* A time parameter where 0 means none (SQL NULL). */
static struct hd_sql_param p_time0(time_t t)
{
	struct hd_sql_param p = { .type = t != 0 ? HD_SQL_INT : HD_SQL_NULL, .num = (long long)t };

	return p;
}

/* Integer value of a result column (NULL or junk → 0). */
static long long col_int(const char *s)
{
	return s != NULL ? strtoll(s, NULL, 10) : 0;
}

/* Copy of a result column, NULL stays NULL. */
static char *col_dup(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/* The first row of a result: up to 4 columns, as integers and as text. */
struct int_row_ctx {
	long long v[4];
	char *text[4];
	size_t n;
	bool found;
};

/* Keep the first row: integers and copies of the text of up to 4 columns. */
static bool row_first(void *ctx, const char *const *cols, size_t ncols)
{
	struct int_row_ctx *c = ctx;

	for (size_t i = 0; i < ncols && i < 4; i++) {
		c->v[i] = col_int(cols[i]);
		c->text[i] = col_dup(cols[i]);
	}
	c->n = ncols < 4 ? ncols : 4;
	c->found = true;
	return false;
}

/* Free the copies kept by row_first. */
static void int_row_free(struct int_row_ctx *c)
{
	for (size_t i = 0; i < 4; i++)
		xfree(&c->text[i]);
}

/* Run a statement with no result rows wanted. */
static int run(struct hd_store *s, const char *sql, const struct hd_sql_param *p, size_t n,
	       long long *changes_r, char **error_r)
{
	return s->vt->query(s->conn, sql, p, n, NULL, NULL, changes_r, error_r);
}

/* Run one statement for a module beside this one (store-fingerprint.c). */
int hd_store_sql(struct hd_store *s, const char *sql, const struct hd_sql_param *p, size_t n,
		 hd_sql_row_fn *fn, void *ctx, char **error_r)
{
	return s->vt->query(s->conn, sql, p, n, fn, ctx, NULL, error_r);
}

/* ------------------------------------------------------------------ */
/* URIs. */

/* Split a store URI into backend and target. */
int hd_store_uri_parse(const char *uri, const struct hd_store_vtable **vt_r,
		       char **target_r, char **error_r)
{
	const char *rest;

	*vt_r = NULL;
	*target_r = NULL;
	if (uri == NULL || *uri == '\0') {
		*error_r = xstrdup("store: empty store URI");
		return HD_STORE_ERROR;
	}
	if (strncmp(uri, "postgresql://", 13) == 0 || strncmp(uri, "postgres://", 11) == 0) {
		*vt_r = &hd_store_pg_vtable;
		*target_r = xstrdup(uri);
		return HD_STORE_OK;
	}
	if (strcmp(uri, ":memory:") == 0) {
		rest = uri;
	} else if (strncmp(uri, "sqlite:", 7) == 0) {
		rest = uri + 7;
		if (strncmp(rest, "//", 2) == 0)	/* sqlite:///abs/path */
			rest += 2;
		if (*rest == '\0') {
			*error_r = xasprintf("store: no path in store URI '%s'", uri);
			return HD_STORE_ERROR;
		}
	} else if (strstr(uri, "://") != NULL) {
		*error_r = xasprintf("store: unsupported store URI scheme in '%.*s' "
				     "(use a path, sqlite:PATH or postgresql://...)",
				     (int)(strstr(uri, "://") - uri + 3), uri);
		return HD_STORE_ERROR;
	} else {
		rest = uri;
	}
	*vt_r = &hd_store_sqlite_vtable;
	*target_r = xstrdup(rest);
	return HD_STORE_OK;
}

/* ------------------------------------------------------------------ */
/* Open and migrate. */

/* Read schema_version from meta (0 when meta is missing or empty). */
static int schema_version_read(struct hd_store *s, long long *version_r, bool *has_meta_r,
			       char **error_r)
{
	struct int_row_ctx c = { 0 };
	char *err = NULL;

	*version_r = 0;
	*has_meta_r = false;
	if (s->vt->query(s->conn, "SELECT schema_version FROM meta WHERE id = 1", NULL, 0,
			 row_first, &c, NULL, &err) != HD_STORE_OK) {
		/* No meta table yet: a new database. Anything else is real. */
		if (strstr(err, "meta") != NULL &&
		    (strstr(err, "no such table") != NULL || strstr(err, "does not exist") != NULL)) {
			free(err);
			return HD_STORE_OK;
		}
		*error_r = err;
		return HD_STORE_ERROR;
	}
	*has_meta_r = true;
	*version_r = c.found ? c.v[0] : 0;
	int_row_free(&c);
	return HD_STORE_OK;
}

/* Bring the schema to HD_STORE_SCHEMA_VERSION in one transaction. */
static int schema_migrate(struct hd_store *s, char **error_r)
{
	long long version;
	bool has_meta;
	struct hd_sql_param p[1];
	char *err = NULL;

	if (schema_version_read(s, &version, &has_meta, error_r) != HD_STORE_OK)
		return HD_STORE_ERROR;
	if (has_meta && version == HD_STORE_SCHEMA_VERSION)
		return HD_STORE_OK;
	if (version > HD_STORE_SCHEMA_VERSION) {
		*error_r = xasprintf("%s: database schema version %lld is newer than this "
				     "program's (%d)", s->vt->name, version,
				     HD_STORE_SCHEMA_VERSION);
		return HD_STORE_ERROR;
	}
	if (s->vt->begin(s->conn, true, error_r) != HD_STORE_OK)
		return HD_STORE_ERROR;
	if (s->vt->lock(s->conn, HD_STORE_LOCK_MIGRATE, &err) != HD_STORE_OK ||
	    s->vt->exec(s->conn, hd_store_meta_sql, &err) != HD_STORE_OK ||
	    schema_version_read(s, &version, &has_meta, &err) != HD_STORE_OK)
		goto fail;
	for (size_t i = 0; i < sizeof(hd_store_migrations) / sizeof(hd_store_migrations[0]); i++) {
		const struct hd_store_migration *m = &hd_store_migrations[i];
		const char *extra = m->dialect[s->vt->dialect];
		char *common;
		int rc = HD_STORE_OK;

		if (m->version <= version)
			continue;
		if (m->common != NULL) {
			common = migration_common_sql(m->common, s->vt->dialect);
			rc = s->vt->exec(s->conn, common, &err);
			free(common);
		}
		if (rc != HD_STORE_OK ||
		    (extra != NULL && s->vt->exec(s->conn, extra, &err) != HD_STORE_OK))
			goto migration_failed;
		p[0] = p_int(m->version);
		if (run(s, "UPDATE meta SET schema_version = $1 WHERE id = 1", p, 1, NULL,
			&err) != HD_STORE_OK)
			goto migration_failed;
		log_info("%s: store schema migrated to version %d (%s)", s->vt->name,
			 m->version, m->summary);
		continue;
	migration_failed:
		*error_r = xasprintf("%s (migrating to schema version %d)", err, m->version);
		free(err);
		s->vt->rollback(s->conn);
		return HD_STORE_ERROR;
	}
	if (s->vt->commit(s->conn, &err) != HD_STORE_OK)
		goto fail;
	return HD_STORE_OK;
fail:
	s->vt->rollback(s->conn);
	*error_r = err;
	return HD_STORE_ERROR;
}

/* Open a store by URI and bring its schema up to date. */
struct hd_store *hd_store_open(const char *uri, char **error_r)
{
	const struct hd_store_vtable *vt;
	char *target;
	struct hd_store *s;

	*error_r = NULL;
	if (hd_store_uri_parse(uri, &vt, &target, error_r) != HD_STORE_OK)
		return NULL;
	s = xcalloc(1, sizeof(*s));
	s->vt = vt;
	if (vt->open(target, &s->conn, error_r) != HD_STORE_OK) {
		free(target);
		free(s);
		return NULL;
	}
	free(target);
	if (schema_migrate(s, error_r) != HD_STORE_OK) {
		hd_store_deinit(&s);
		return NULL;
	}
	return s;
}

/* Close the store (rolling back an open transaction) and NULL the pointer. */
void hd_store_deinit(struct hd_store **sp)
{
	struct hd_store *s = *sp;

	if (s == NULL)
		return;
	if (s->in_tx)
		s->vt->rollback(s->conn);
	if (s->conn != NULL)
		s->vt->close(s->conn);
	free(s);
	*sp = NULL;
}

/* Name of the backend: "sqlite" or "postgresql". */
const char *hd_store_backend(const struct hd_store *s)
{
	return s->vt->name;
}

/* ------------------------------------------------------------------ */
/* Transactions. */

/* Start the caller's write transaction (one at a time per handle). */
int hd_store_begin(struct hd_store *s, char **error_r)
{
	if (s->in_tx) {
		*error_r = xasprintf("%s: a transaction is already open on this handle",
				     s->vt->name);
		return HD_STORE_ERROR;
	}
	if (s->vt->begin(s->conn, true, error_r) != HD_STORE_OK)
		return HD_STORE_ERROR;
	s->in_tx = true;
	return HD_STORE_OK;
}

/* Commit the caller's transaction; on failure it is rolled back. */
int hd_store_commit(struct hd_store *s, char **error_r)
{
	if (!s->in_tx) {
		*error_r = xasprintf("%s: commit without a transaction", s->vt->name);
		return HD_STORE_ERROR;
	}
	s->in_tx = false;
	if (s->vt->commit(s->conn, error_r) != HD_STORE_OK) {
		s->vt->rollback(s->conn);
		return HD_STORE_ERROR;
	}
	return HD_STORE_OK;
}

/* Abandon the caller's transaction (no-op without one). */
void hd_store_rollback(struct hd_store *s)
{
	if (!s->in_tx)
		return;
	s->in_tx = false;
	s->vt->rollback(s->conn);
}

/* Start our own write transaction when the caller has none; *own_r says so. */
static int tx_enter(struct hd_store *s, bool *own_r, char **error_r)
{
	*own_r = !s->in_tx;
	if (!*own_r)
		return HD_STORE_OK;
	return s->vt->begin(s->conn, true, error_r);
}

/* End what tx_enter started: commit on success, roll back on failure. */
static int tx_leave(struct hd_store *s, bool own, int ret, char **error_r)
{
	if (!own)
		return ret;
	if (ret == HD_STORE_ERROR) {
		s->vt->rollback(s->conn);
		return ret;
	}
	if (s->vt->commit(s->conn, error_r) != HD_STORE_OK) {
		s->vt->rollback(s->conn);
		return HD_STORE_ERROR;
	}
	return ret;
}

/* ------------------------------------------------------------------ */
/* Tickets and messages. */

/* Free the members of a ticket. */
void hd_ticket_free(struct hd_ticket *t)
{
	if (t == NULL)
		return;
	free(t->id);
	free(t->team);
	free(t->priority);
	free(t->customer);
	free(t->first_response_by);
	free(t->policy_version);
	memset(t, 0, sizeof(*t));
}

struct lookup_ctx {
	const char *const *ids;
	size_t n;
	size_t best;		/* index into ids of the best hit so far */
	char *ticket;
};

/* Keep the hit whose message-id comes first in the caller's order. */
static bool row_lookup(void *ctx, const char *const *cols, size_t ncols)
{
	struct lookup_ctx *c = ctx;

	for (size_t i = 0; i < c->n && i < c->best; i++) {
		if (strcmp(c->ids[i], cols[0]) == 0) {
			c->best = i;
			free(c->ticket);
			c->ticket = xstrdup(cols[1]);
			break;
		}
	}
	return true;
}

/* Ticket of the first of message_ids already linked to a ticket. */
int hd_store_ticket_by_message(struct hd_store *s, const char *const *message_ids,
			       size_t n, char **ticket_r, char **error_r)
{
	struct hd_sql_param p[HD_STORE_LOOKUP_CHUNK];
	struct strbuf sql;

	*ticket_r = NULL;
	if (n > HD_STORE_LOOKUP_IDS_MAX)
		n = HD_STORE_LOOKUP_IDS_MAX;
	sb_init(&sql);
	for (size_t off = 0; off < n; off += HD_STORE_LOOKUP_CHUNK) {
		size_t k = n - off < HD_STORE_LOOKUP_CHUNK ? n - off : HD_STORE_LOOKUP_CHUNK;
		struct lookup_ctx c = { .ids = message_ids + off, .n = k, .best = k };
		size_t np = 0;

		sb_truncate(&sql, 0);
		sb_puts(&sql, "SELECT message_id, ticket FROM messages WHERE message_id IN (");
		for (size_t i = 0; i < k; i++) {
			if (message_ids[off + i] == NULL)
				continue;
			p[np] = p_text(message_ids[off + i]);
			sb_printf(&sql, "%s$%zu", np > 0 ? ", " : "", np + 1);
			np++;
		}
		sb_putc(&sql, ')');
		if (np == 0)
			continue;
		if (s->vt->query(s->conn, sql.s, p, np, row_lookup, &c, NULL, error_r)
		    != HD_STORE_OK) {
			free(c.ticket);
			sb_free(&sql);
			return HD_STORE_ERROR;
		}
		if (c.ticket != NULL) {
			*ticket_r = c.ticket;
			sb_free(&sql);
			return HD_STORE_OK;
		}
	}
	sb_free(&sql);
	return HD_STORE_NOT_FOUND;
}

/* Row callback filling a struct hd_ticket. */
static bool row_ticket(void *ctx, const char *const *c, size_t ncols)
{
	struct hd_ticket *t = ctx;

	t->id = col_dup(c[0]);
	t->team = col_dup(c[1]);
	t->priority = col_dup(c[2]);
	t->customer = col_dup(c[3]);
	t->opened = (time_t)col_int(c[4]);
	t->first_response_due = (time_t)col_int(c[5]);
	t->resolution_due = (time_t)col_int(c[6]);
	t->first_response_at = (time_t)col_int(c[7]);
	t->first_response_by = col_dup(c[8]);
	t->policy_version = col_dup(c[9]);
	return false;
}

/* Read one ticket; HD_STORE_NOT_FOUND when there is none. */
int hd_store_ticket_get(struct hd_store *s, const char *id, struct hd_ticket *t_r, char **error_r)
{
	struct hd_sql_param p[1] = { p_text(id) };

	memset(t_r, 0, sizeof(*t_r));
	if (s->vt->query(s->conn,
			 "SELECT id, team, priority, customer, opened, first_response_due,"
			 " resolution_due, first_response_at, first_response_by, policy_version"
			 " FROM tickets WHERE id = $1", p, 1, row_ticket, t_r, NULL, error_r)
	    != HD_STORE_OK) {
		hd_ticket_free(t_r);
		return HD_STORE_ERROR;
	}
	return t_r->id != NULL ? HD_STORE_OK : HD_STORE_NOT_FOUND;
}

/* Insert a ticket; an existing id is left unchanged. */
int hd_store_ticket_open(struct hd_store *s, const struct hd_ticket *t, char **error_r)
{
	struct hd_sql_param p[] = {
		p_text(t->id), p_text(t->team), p_text(t->priority), p_text(t->customer),
		p_int((long long)t->opened), p_time0(t->first_response_due),
		p_time0(t->resolution_due), p_time0(t->first_response_at),
		p_text(t->first_response_by), p_text(t->policy_version),
	};

	if (t->id == NULL || *t->id == '\0') {
		*error_r = xasprintf("%s: ticket without an id", s->vt->name);
		return HD_STORE_ERROR;
	}
	return run(s, "INSERT INTO tickets (id, team, priority, customer, opened,"
		   " first_response_due, resolution_due, first_response_at, first_response_by,"
		   " policy_version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
		   " ON CONFLICT (id) DO NOTHING", p, sizeof(p) / sizeof(p[0]), NULL, error_r);
}

/* Does a row exist for this query with one text parameter? */
static int exists(struct hd_store *s, const char *sql, const char *value, char **error_r)
{
	struct hd_sql_param p[1] = { p_text(value) };
	struct int_row_ctx c = { 0 };

	if (s->vt->query(s->conn, sql, p, 1, row_first, &c, NULL, error_r) != HD_STORE_OK)
		return HD_STORE_ERROR;
	int_row_free(&c);
	return c.found ? HD_STORE_OK : HD_STORE_NOT_FOUND;
}

/* Record the first agent reply once; later calls change nothing. */
int hd_store_ticket_first_response(struct hd_store *s, const char *id, time_t at,
				   const char *agent, char **error_r)
{
	struct hd_sql_param p[] = { p_text(id), p_int((long long)at), p_text(agent) };
	long long changes = 0;

	if (run(s, "UPDATE tickets SET first_response_at = $2, first_response_by = $3"
		" WHERE id = $1 AND first_response_at IS NULL", p, 3, &changes, error_r)
	    != HD_STORE_OK)
		return HD_STORE_ERROR;
	if (changes > 0)
		return HD_STORE_OK;
	return exists(s, "SELECT 1 FROM tickets WHERE id = $1", id, error_r);
}

/* Link a message-id to a ticket; an existing link is kept. */
int hd_store_link_message(struct hd_store *s, const char *message_id, const char *ticket,
			  char **error_r)
{
	struct hd_sql_param p[] = { p_text(message_id), p_text(ticket) };

	if (message_id == NULL || *message_id == '\0' || ticket == NULL || *ticket == '\0') {
		*error_r = xasprintf("%s: link_message needs a message-id and a ticket",
				     s->vt->name);
		return HD_STORE_ERROR;
	}
	return run(s, "INSERT INTO messages (message_id, ticket) VALUES ($1, $2)"
		   " ON CONFLICT (message_id) DO NOTHING", p, 2, NULL, error_r);
}

/* ------------------------------------------------------------------ */
/* Records and the hash chain. */

/* Append "name=len:value\n" (or "name=-\n" for NULL) to the canonical text. */
static void canon_field(struct strbuf *sb, const char *name, const char *value)
{
	if (value == NULL)
		sb_printf(sb, "%s=-\n", name);
	else
		sb_printf(sb, "%s=%zu:%s\n", name, strlen(value), value);
}

/* The text a record's hash covers: every field, length-prefixed, and prev_hash. */
char *hd_store_record_canonical(long long seq, const struct hd_record *r, const char *prev_hash)
{
	struct strbuf sb;

	sb_init(&sb);
	sb_printf(&sb, "hd-audit-record-v1\nseq=%lld\nat=%lld\n", seq, (long long)r->at);
	canon_field(&sb, "kind", r->kind);
	canon_field(&sb, "queue_id", r->queue_id);
	canon_field(&sb, "message_id", r->message_id);
	canon_field(&sb, "ticket", r->ticket);
	canon_field(&sb, "team", r->team);
	canon_field(&sb, "priority", r->priority);
	canon_field(&sb, "agent", r->agent);
	canon_field(&sb, "rule", r->rule);
	canon_field(&sb, "action", r->action);
	canon_field(&sb, "text", r->text);
	canon_field(&sb, "detail", r->detail);
	canon_field(&sb, "policy_name", r->policy_name);
	canon_field(&sb, "policy_version", r->policy_version);
	canon_field(&sb, "prev_hash", prev_hash);
	return sb_steal(&sb);
}

/* The hash of a record at seq after prev_hash. */
static void record_hash(long long seq, const struct hd_record *r, const char *prev_hash,
			char out[65])
{
	char *canon = hd_store_record_canonical(seq, r, prev_hash);

	sha256_hex(canon, strlen(canon), out);
	free(canon);
}

/* Append one record to the chain (inside the caller's transaction if any). */
int hd_store_append(struct hd_store *s, const struct hd_record *r, char **error_r)
{
	struct int_row_ctx head = { 0 };
	char hash[65];
	long long seq;
	bool own;
	int ret = HD_STORE_ERROR;

	if (r->kind == NULL || *r->kind == '\0') {
		*error_r = xasprintf("%s: audit record without a kind", s->vt->name);
		return HD_STORE_ERROR;
	}
	if (tx_enter(s, &own, error_r) != HD_STORE_OK)
		return HD_STORE_ERROR;
	if (s->vt->lock(s->conn, HD_STORE_LOCK_APPEND, error_r) != HD_STORE_OK)
		goto out;
	if (s->vt->query(s->conn, "SELECT head_seq, head_hash FROM meta WHERE id = 1", NULL, 0,
			 row_first, &head, NULL, error_r) != HD_STORE_OK)
		goto out;
	if (!head.found || head.text[1] == NULL) {
		*error_r = xasprintf("%s: the meta row is missing", s->vt->name);
		goto out;
	}
	seq = head.v[0] + 1;
	record_hash(seq, r, head.text[1], hash);
	{
		struct hd_sql_param p[] = {
			p_int(seq), p_int((long long)r->at), p_text(r->kind), p_text(r->queue_id),
			p_text(r->message_id), p_text(r->ticket), p_text(r->team),
			p_text(r->priority), p_text(r->agent), p_text(r->rule), p_text(r->action),
			p_text(r->text), p_text(r->detail), p_text(r->policy_name),
			p_text(r->policy_version), p_text(head.text[1]), p_text(hash),
		};
		struct hd_sql_param ph[] = { p_int(seq), p_text(hash) };

		if (run(s, "INSERT INTO records (seq, at, kind, queue_id, message_id, ticket,"
			" team, priority, agent, rule, action, text, detail, policy_name,"
			" policy_version, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7,"
			" $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
			p, sizeof(p) / sizeof(p[0]), NULL, error_r) != HD_STORE_OK)
			goto out;
		if (run(s, "UPDATE meta SET head_seq = $1, head_hash = $2 WHERE id = 1",
			ph, 2, NULL, error_r) != HD_STORE_OK)
			goto out;
	}
	ret = HD_STORE_OK;
out:
	int_row_free(&head);
	return tx_leave(s, own, ret, error_r);
}

#define RECORD_COLUMNS_SQL \
	"seq, at, kind, queue_id, message_id, ticket, team, priority, agent, rule," \
	" action, text, detail, policy_name, policy_version, prev_hash, hash"
#define RECORD_NCOLS 17

/* A result row of RECORD_COLUMNS_SQL as a struct hd_audit_row. */
static void audit_row_from(struct hd_audit_row *a, const char *const *c)
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

struct audit_ctx {
	hd_audit_fn *fn;
	void *ctx;
};

/* Hand one record row to the caller's function. */
static bool row_audit(void *ctx, const char *const *cols, size_t ncols)
{
	struct audit_ctx *a = ctx;
	struct hd_audit_row row;

	if (ncols < RECORD_NCOLS)
		return false;
	audit_row_from(&row, cols);
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
	int ret;

	sb_init(&sql);
	sb_puts(&sql, "SELECT " RECORD_COLUMNS_SQL " FROM records WHERE 1 = 1");
	filter_eq(&sql, p, &n, "ticket", f->ticket);
	filter_eq(&sql, p, &n, "team", f->team);
	filter_eq(&sql, p, &n, "priority", f->priority);
	filter_eq(&sql, p, &n, "agent", f->agent);
	filter_eq(&sql, p, &n, "rule", f->rule);
	filter_eq(&sql, p, &n, "kind", f->kind);
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
	return ret;
}

struct verify_ctx {
	long long checked, expect_seq, bad_seq;
	char prev[65];
	char *problem;
};

/* Check one record against its predecessor and its own hash. */
static bool row_verify(void *ctx, const char *const *cols, size_t ncols)
{
	struct verify_ctx *v = ctx;
	struct hd_audit_row a;
	struct hd_record r;
	char hash[65];

	audit_row_from(&a, cols);
	v->checked++;
	if (a.seq != v->expect_seq) {
		v->bad_seq = a.seq;
		v->problem = a.seq > v->expect_seq ?
			xasprintf("record %lld follows record %lld: %lld record(s) missing",
				  a.seq, v->expect_seq - 1, a.seq - v->expect_seq) :
			xasprintf("record %lld is out of sequence", a.seq);
		return false;
	}
	if (a.prev_hash == NULL || strcmp(a.prev_hash, v->prev) != 0) {
		v->bad_seq = a.seq;
		v->problem = xasprintf("record %lld: prev_hash does not match the hash of "
				       "record %lld", a.seq, a.seq - 1);
		return false;
	}
	r = (struct hd_record){
		.at = a.at, .kind = a.kind, .queue_id = a.queue_id, .message_id = a.message_id,
		.ticket = a.ticket, .team = a.team, .priority = a.priority, .agent = a.agent,
		.rule = a.rule, .action = a.action, .text = a.text, .detail = a.detail,
		.policy_name = a.policy_name, .policy_version = a.policy_version,
	};
	record_hash(a.seq, &r, a.prev_hash, hash);
	if (a.hash == NULL || strcmp(a.hash, hash) != 0) {
		v->bad_seq = a.seq;
		v->problem = xasprintf("record %lld: content does not match its hash "
				       "(rewritten)", a.seq);
		return false;
	}
	memcpy(v->prev, hash, sizeof(v->prev));
	v->expect_seq++;
	return true;
}

/* Walk the whole chain in one read snapshot; stop at the first broken record. */
int hd_store_verify(struct hd_store *s, long long *checked_r, long long *bad_seq_r,
		    char **problem_r, char **error_r)
{
	struct verify_ctx v = { .expect_seq = 1 };
	struct int_row_ctx head = { 0 };
	bool own = !s->in_tx;
	int ret = HD_STORE_ERROR;

	*checked_r = 0;
	*bad_seq_r = 0;
	*problem_r = NULL;
	memcpy(v.prev, HD_STORE_ZERO_HASH, sizeof(v.prev));
	if (own && s->vt->begin(s->conn, false, error_r) != HD_STORE_OK)
		return HD_STORE_ERROR;
	if (s->vt->query(s->conn, "SELECT head_seq, head_hash FROM meta WHERE id = 1", NULL, 0,
			 row_first, &head, NULL, error_r) != HD_STORE_OK)
		goto out;
	if (s->vt->query(s->conn, "SELECT " RECORD_COLUMNS_SQL " FROM records ORDER BY seq",
			 NULL, 0, row_verify, &v, NULL, error_r) != HD_STORE_OK)
		goto out;
	ret = HD_STORE_OK;
	if (v.problem == NULL && head.found && head.v[0] != v.expect_seq - 1) {
		v.bad_seq = v.expect_seq;
		v.problem = head.v[0] > v.expect_seq - 1 ?
			xasprintf("the chain head is record %lld but the last record is %lld: "
				  "records deleted at the end", head.v[0], v.expect_seq - 1) :
			xasprintf("record %lld is past the chain head (%lld): inserted "
				  "outside the store", head.v[0] + 1, head.v[0]);
	} else if (v.problem == NULL && head.found && head.text[1] != NULL &&
		   strcmp(head.text[1], v.prev) != 0) {
		v.bad_seq = v.expect_seq - 1;
		v.problem = xasprintf("record %lld: hash differs from the chain head",
				      v.expect_seq - 1);
	}
out:
	if (own) {
		char *err = NULL;

		if (s->vt->commit(s->conn, &err) != HD_STORE_OK) {
			s->vt->rollback(s->conn);
			free(err);
		}
	}
	int_row_free(&head);
	if (ret != HD_STORE_OK) {
		free(v.problem);
		return ret;
	}
	*checked_r = v.checked;
	*bad_seq_r = v.bad_seq;
	*problem_r = v.problem;
	return HD_STORE_OK;
}

/* ------------------------------------------------------------------ */
/* Exceptions. */

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
	return run(s, "INSERT INTO exceptions (id, ticket, agent, policy, reason, kind, currency,"
		   " status, approver, fingerprint, tier, amount, created, decided) VALUES"
		   " ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
		   " ON CONFLICT (id) DO NOTHING", p, 14, NULL, error_r);
}

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
	if (run(s, "UPDATE exceptions SET status = $2, approver = $3, decided = $4"
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

/*
 * store-schema - the versioned schema of the audit store and its migrations,
 * the same SQL for SQLite and PostgreSQL except for each dialect's triggers.
 * It runs once per open, inside one write transaction under the migration
 * lock. It must never change or drop a step that has shipped (append a new
 * version instead) and never touch the rows of records or exceptions.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store-int.h"
#include "util.h"

/* Adding version N+1: append one step to hd_store_migrations and
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

/* SQLite triggers that schema version 6 recreates on the rebuilt records
   table, word for word as versions 1 and 5 created them. */
#define HD_SQLITE_RECORDS_NO_UPDATE_V1 \
	"CREATE TRIGGER records_no_update BEFORE UPDATE ON records" \
	" BEGIN SELECT RAISE(ABORT, 'records are append-only'); END;"
#define HD_SQLITE_RECORDS_NO_DELETE_V5 \
	"CREATE TRIGGER records_no_delete BEFORE DELETE ON records" \
	" WHEN OLD.seq > (SELECT cut_seq FROM meta WHERE id = 1)" \
	" BEGIN SELECT RAISE(ABORT, 'records are append-only (only records below a" \
	" retention checkpoint may be removed)'); END;"
#define HD_SQLITE_META_CUT_FORWARD_V5 \
	"CREATE TRIGGER meta_cut_forward BEFORE UPDATE OF cut_seq, cut_hash ON meta" \
	" WHEN NEW.cut_seq <= OLD.cut_seq OR NEW.cut_seq >= OLD.head_seq" \
	" OR NOT EXISTS (SELECT 1 FROM records WHERE seq > NEW.cut_seq" \
	"  AND kind = 'checkpoint'" \
	"  AND instr(detail, '\"cut_hash\":\"' || NEW.cut_hash || '\"') > 0)" \
	" BEGIN SELECT RAISE(ABORT, 'the retention cut moves forward only, behind a" \
	" checkpoint record'); END;"

/* Schema version 6 (and 7) on SQLite: rebuild a table as table_v6 (same
   columns, new definition; the name is only the copy's while it is made),
   copy its rows, and put it in the old one's place. */
#define HD_SQLITE_REBUILD(table, columns, definition, where) \
	"CREATE TABLE " table "_v6 " definition ";" \
	"INSERT INTO " table "_v6 (" columns ") SELECT " columns " FROM " table where ";" \
	"DROP TABLE " table ";" \
	"ALTER TABLE " table "_v6 RENAME TO " table ";"

/* Every schema version, oldest first. */
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
		  HD_SQLITE_RECORDS_NO_UPDATE_V1
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
	/* Ticket life (store-tickets.c): the current state and SLA clocks of a
	   ticket (the state records in the chain are the history), and the
	   sla-watch claims that make each warning go out once. Existing tickets
	   start open with their stamped resolution due time. */
	{ 4, "ticket states and sla-watch claims",
	  "CREATE TABLE IF NOT EXISTS ticket_state (id TEXT PRIMARY KEY, state TEXT NOT NULL DEFAULT 'open'"
	  "  CHECK (state IN ('open', 'pending', 'resolved')), since BIGINT NOT NULL,"
	  " counted BIGINT NOT NULL DEFAULT 0, paused BIGINT NOT NULL DEFAULT 0,"
	  " resolution_due BIGINT, stamped_due BIGINT, next_reply_from BIGINT,"
	  " next_reply_due BIGINT, resolved_at BIGINT);"
	  "CREATE INDEX IF NOT EXISTS ticket_state_state ON ticket_state (state);"
	  "INSERT INTO ticket_state (id, state, since, resolution_due, stamped_due)"
	  " SELECT id, 'open', opened, resolution_due, resolution_due FROM tickets"
	  " WHERE true ON CONFLICT (id) DO NOTHING;"
	  "CREATE TABLE IF NOT EXISTS sla_events (ticket TEXT NOT NULL, clock TEXT NOT NULL,"
	  " started BIGINT NOT NULL, threshold INTEGER NOT NULL, status TEXT NOT NULL"
	  "  CHECK (status IN ('sending', 'sent')), owner TEXT NOT NULL,"
	  " claimed_at BIGINT NOT NULL, sent_at BIGINT,"
	  " PRIMARY KEY (ticket, clock, started, threshold));",
	  { NULL, NULL } },
	/* Retention (store-retention.c): meta.cut_seq/cut_hash say up to which
	   record the chain was cut and the hash there. Only records at or below
	   the cut may be deleted, and the cut moves forward only when a
	   checkpoint record after it names its hash: a checkpoint first, then the
	   deletion, all in one transaction. */
	{ 5, "retention checkpoints",
	  "ALTER TABLE meta ADD COLUMN cut_seq BIGINT NOT NULL DEFAULT 0;"
	  "ALTER TABLE meta ADD COLUMN cut_hash TEXT NOT NULL DEFAULT '" HD_STORE_ZERO_HASH "';",
	  {
		  [HD_DIALECT_SQLITE] =
		  "DROP TRIGGER records_no_delete;"
		  HD_SQLITE_RECORDS_NO_DELETE_V5
		  HD_SQLITE_META_CUT_FORWARD_V5,
		  [HD_DIALECT_POSTGRESQL] =
		  "CREATE OR REPLACE FUNCTION hd_records_append_only() RETURNS trigger"
		  " LANGUAGE plpgsql AS $$ BEGIN"
		  " IF TG_OP = 'DELETE' THEN"
		  "  IF OLD.seq <= (SELECT cut_seq FROM meta WHERE id = 1) THEN RETURN OLD; END IF;"
		  " END IF;"
		  " RAISE EXCEPTION 'records are append-only (only records below a retention"
		  " checkpoint may be removed)'; END $$;"
		  "CREATE FUNCTION hd_meta_cut_forward() RETURNS trigger"
		  " LANGUAGE plpgsql AS $$ BEGIN"
		  " IF NEW.cut_seq <= OLD.cut_seq OR NEW.cut_seq >= OLD.head_seq"
		  "  OR NOT EXISTS (SELECT 1 FROM records WHERE seq > NEW.cut_seq"
		  "   AND kind = 'checkpoint'"
		  "   AND strpos(detail, '\"cut_hash\":\"' || NEW.cut_hash || '\"') > 0) THEN"
		  "  RAISE EXCEPTION 'the retention cut moves forward only, behind a checkpoint"
		  " record'; END IF;"
		  " RETURN NEW; END $$;"
		  "CREATE TRIGGER meta_cut_forward BEFORE UPDATE OF cut_seq, cut_hash ON meta"
		  " FOR EACH ROW EXECUTE FUNCTION hd_meta_cut_forward();",
	  } },
	/* Fewer pages written per inbound message (issue 15; bench/store/
	   run-inbound.sh). Indexes no query needs: tickets_team and
	   messages_ticket (tickets and messages are only read by their key),
	   records_team and records_priority (a team or a priority matches an
	   eighth to a half of all records: the planner narrows by records_at
	   for a period, otherwise a scan reads the same pages in order).
	   SQLite only: records without AUTOINCREMENT, which wrote
	   sqlite_sequence on every insert although append always gives seq
	   itself (meta.head_seq + 1: strictly increasing, and retention never
	   deletes the newest record, so neither max(seq) nor a reused rowid
	   can decide a seq); and the tables read by a text key stored WITHOUT
	   ROWID, so that an insert writes one b-tree instead of the table and
	   its primary key index. Rows without a key (unreachable: every read
	   is by key) are not carried over. */
	{ 6, "fewer pages per record: no AUTOINCREMENT, WITHOUT ROWID, four indexes less",
	  "DROP INDEX IF EXISTS tickets_team;"
	  "DROP INDEX IF EXISTS messages_ticket;"
	  "DROP INDEX IF EXISTS records_team;"
	  "DROP INDEX IF EXISTS records_priority;",
	  {
		  [HD_DIALECT_SQLITE] =
		  "DROP TRIGGER IF EXISTS meta_cut_forward;"	/* it names records */
		  HD_SQLITE_REBUILD("records", HD_STORE_RECORD_COLUMNS_SQL,
		  "(seq INTEGER PRIMARY KEY, at BIGINT NOT NULL, kind TEXT NOT NULL,"
		  " queue_id TEXT, message_id TEXT, ticket TEXT, team TEXT, priority TEXT, agent TEXT,"
		  " rule TEXT, action TEXT, text TEXT, detail TEXT, policy_name TEXT,"
		  " policy_version TEXT, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)", "")
		  "CREATE INDEX records_ticket ON records (ticket);"
		  "CREATE INDEX records_agent ON records (agent, kind, at) WHERE agent IS NOT NULL;"
		  "CREATE INDEX records_rule ON records (rule, at) WHERE rule IS NOT NULL;"
		  "CREATE INDEX records_kind ON records (kind, at);"
		  "CREATE INDEX records_at ON records (at);"
		  HD_SQLITE_RECORDS_NO_UPDATE_V1
		  HD_SQLITE_RECORDS_NO_DELETE_V5
		  HD_SQLITE_META_CUT_FORWARD_V5
		  HD_SQLITE_REBUILD("tickets", "id, team, priority, customer, opened,"
		  " first_response_due, resolution_due, first_response_at, first_response_by,"
		  " policy_version",
		  "(id TEXT PRIMARY KEY, team TEXT, priority TEXT,"
		  " customer TEXT, opened BIGINT NOT NULL, first_response_due BIGINT,"
		  " resolution_due BIGINT, first_response_at BIGINT, first_response_by TEXT,"
		  " policy_version TEXT) WITHOUT ROWID", " WHERE id IS NOT NULL")
		  HD_SQLITE_REBUILD("messages", "message_id, ticket",
		  "(message_id TEXT PRIMARY KEY, ticket TEXT NOT NULL) WITHOUT ROWID",
		  " WHERE message_id IS NOT NULL")
		  HD_SQLITE_REBUILD("thread_lines", "ticket, hash",
		  "(ticket TEXT NOT NULL, hash BIGINT NOT NULL, PRIMARY KEY (ticket, hash))"
		  " WITHOUT ROWID", "")
		  HD_SQLITE_REBUILD("ticket_state", "id, state, since, counted, paused,"
		  " resolution_due, stamped_due, next_reply_from, next_reply_due, resolved_at",
		  "(id TEXT PRIMARY KEY, state TEXT NOT NULL DEFAULT 'open'"
		  "  CHECK (state IN ('open', 'pending', 'resolved')), since BIGINT NOT NULL,"
		  " counted BIGINT NOT NULL DEFAULT 0, paused BIGINT NOT NULL DEFAULT 0,"
		  " resolution_due BIGINT, stamped_due BIGINT, next_reply_from BIGINT,"
		  " next_reply_due BIGINT, resolved_at BIGINT) WITHOUT ROWID", " WHERE id IS NOT NULL")
		  "CREATE INDEX ticket_state_state ON ticket_state (state);",
		  [HD_DIALECT_POSTGRESQL] = NULL,
	  } },
	/* Less work per ticket state written (issue 15). SQLite codes a CHECK
	   "column IN (three or more constants)" as a temporary b-tree that it
	   creates, fills and drops for every row it checks: 20,000 of the
	   45,000 instructions of an inbound message's ticket state upsert. The
	   same rule spelt with OR compares in place. ticket_state is rebuilt
	   (one row per ticket). PostgreSQL checks an IN list in place: its step
	   only raises the version. */
	{ 7, "ticket state check without a temporary table",
	  NULL,
	  {
		  [HD_DIALECT_SQLITE] =
		  HD_SQLITE_REBUILD("ticket_state", "id, state, since, counted, paused,"
		  " resolution_due, stamped_due, next_reply_from, next_reply_due, resolved_at",
		  "(id TEXT PRIMARY KEY, state TEXT NOT NULL DEFAULT 'open'"
		  "  CHECK (state = 'open' OR state = 'pending' OR state = 'resolved'),"
		  " since BIGINT NOT NULL,"
		  " counted BIGINT NOT NULL DEFAULT 0, paused BIGINT NOT NULL DEFAULT 0,"
		  " resolution_due BIGINT, stamped_due BIGINT, next_reply_from BIGINT,"
		  " next_reply_due BIGINT, resolved_at BIGINT) WITHOUT ROWID", "")
		  "CREATE INDEX ticket_state_state ON ticket_state (state);",
		  [HD_DIALECT_POSTGRESQL] = NULL,
	  } },
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

/* Read schema_version from meta (0 when meta is missing or empty). */
static int schema_version_read(struct hd_store *s, long long *version_r, bool *has_meta_r,
			       char **error_r)
{
	struct hd_store_first_row c = { 0 };
	char *err = NULL;

	*version_r = 0;
	*has_meta_r = false;
	if (s->vt->query(s->conn, "SELECT schema_version FROM meta WHERE id = 1", NULL, 0,
			 hd_store_row_first, &c, NULL, &err) != HD_STORE_OK) {
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
	hd_store_first_row_free(&c);
	return HD_STORE_OK;
}

/* Whether the database already has the store's schema (the meta table). */
int hd_store_schema_present(struct hd_store *s, bool *present_r, char **error_r)
{
	long long version;

	return schema_version_read(s, &version, present_r, error_r);
}

/* Bring the schema to HD_STORE_SCHEMA_VERSION in one transaction. */
int hd_store_schema_migrate(struct hd_store *s, char **error_r)
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
		if (hd_store_run(s, "UPDATE meta SET schema_version = $1 WHERE id = 1", p, 1, NULL,
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

/*
 * test-store - the audit store against every backend available: a SQLite
 * file, SQLite :memory:, and PostgreSQL when HD_TEST_PG_URI names a database
 * that the tests may wipe (tests/pg/run-store-pg.sh starts a private one).
 * Tampering is done through a second, raw connection (sqlite3 or libpq).
 */
#include <config.h>
#include "store.h"
#include "store-int.h"
#include "store-fingerprint.h"
#include "util.h"

#include <check.h>
#include "check-run.h"
#include <ftw.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

enum backend_kind { BK_SQLITE_FILE, BK_POSTGRESQL, BK_SQLITE_MEMORY };

/* Backends under test: those reachable by a second connection come first. */
static enum backend_kind backends[3];
static int n_backends, n_external;
static const char *pg_uri;
static char tmpdir[] = "/tmp/hd-test-store-XXXXXX";
static unsigned int file_counter;

/* A fresh, empty store URI for backend i. */
static char *fresh_uri(int i)
{
	switch (backends[i]) {
	case BK_SQLITE_FILE:
		return xasprintf("sqlite:%s/s-%ld-%u.db", tmpdir, (long)getpid(), file_counter++);
	case BK_SQLITE_MEMORY:
		return xstrdup(":memory:");
	case BK_POSTGRESQL: {
		PGconn *pg = PQconnectdb(pg_uri);
		PGresult *res;

		ck_assert_msg(PQstatus(pg) == CONNECTION_OK, "PG: %s", PQerrorMessage(pg));
		res = PQexec(pg, "SET client_min_messages = warning;"
			     " DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public");
		ck_assert_msg(PQresultStatus(res) == PGRES_COMMAND_OK, "PG reset: %s",
			      PQerrorMessage(pg));
		PQclear(res);
		PQfinish(pg);
		return xstrdup(pg_uri);
	}
	}
	return NULL;
}

/* Open a store that must open. */
static struct hd_store *open_ok(const char *uri)
{
	char *error = NULL;
	struct hd_store *s = hd_store_open(uri, &error);

	ck_assert_msg(s != NULL, "open %s: %s", uri, error ? error : "?");
	ck_assert_ptr_null(error);
	return s;
}

/* Run SQL on a second, raw connection; NULL on success, else the error. */
static char *raw_exec(int i, const char *uri, const char *sql)
{
	char *ret = NULL;

	if (backends[i] == BK_SQLITE_FILE) {
		sqlite3 *db;
		char *err = NULL;

		ck_assert_int_eq(sqlite3_open(uri + strlen("sqlite:"), &db), SQLITE_OK);
		sqlite3_busy_timeout(db, 2000);
		if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
			ret = xstrdup(err != NULL ? err : "?");
		sqlite3_free(err);
		sqlite3_close(db);
	} else {
		PGconn *pg = PQconnectdb(uri);
		PGresult *res;

		ck_assert_int_eq(PQstatus(pg), CONNECTION_OK);
		res = PQexec(pg, sql);
		if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
			ret = xstrdup(PQerrorMessage(pg));
		PQclear(res);
		PQfinish(pg);
	}
	return ret;
}

/* Run SQL on a raw connection that must succeed. */
static void raw_ok(int i, const char *uri, const char *sql)
{
	char *err = raw_exec(i, uri, sql);

	ck_assert_msg(err == NULL, "raw '%s': %s", sql, err ? err : "");
}

/* SQL that removes the append-only protection of records. */
static const char *unprotect_sql(int i)
{
	return backends[i] == BK_SQLITE_FILE ?
		"DROP TRIGGER records_no_update; DROP TRIGGER records_no_delete;" :
		"ALTER TABLE records DISABLE TRIGGER USER;";
}

/* A record with every field set from a few variables. */
static struct hd_record rec(time_t at, const char *kind, const char *ticket, const char *team,
			    const char *agent, const char *rule)
{
	struct hd_record r = {
		.at = at, .kind = kind, .queue_id = "4ABC123", .message_id = "<m@x>",
		.ticket = ticket, .team = team, .priority = "normal", .agent = agent,
		.rule = rule, .action = "accept", .text = "text with 'quotes' and \"more\"",
		.detail = "{\"k\":1}", .policy_name = "acme", .policy_version = "7",
	};
	return r;
}

/* Append a record that must be accepted. */
static void append_ok(struct hd_store *s, const struct hd_record *r)
{
	char *error = NULL;

	ck_assert_msg(hd_store_append(s, r, &error) == HD_STORE_OK, "append: %s",
		      error ? error : "?");
}

struct collect {
	size_t n, stop_after;
	long long seq[64];
	char *prev[64], *hash[64];
};

/* Audit callback: remember seq and hashes of each row. */
static bool collect_fn(const struct hd_audit_row *row, void *ctx)
{
	struct collect *c = ctx;

	ck_assert_uint_lt(c->n, 64);
	c->seq[c->n] = row->seq;
	c->prev[c->n] = xstrdup(row->prev_hash);
	c->hash[c->n] = xstrdup(row->hash);
	c->n++;
	return c->stop_after == 0 || c->n < c->stop_after;
}

/* Free what collect_fn kept and reset. */
static void collect_free(struct collect *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->prev[i]);
		free(c->hash[i]);
	}
	memset(c, 0, sizeof(*c));
}

/* Number of records matching f; the seqs are left in c. */
static size_t audit_count(struct hd_store *s, const struct hd_audit_filter *f, struct collect *c)
{
	char *error = NULL;

	collect_free(c);
	ck_assert_msg(hd_store_audit(s, f, collect_fn, c, &error) == HD_STORE_OK, "audit: %s",
		      error ? error : "?");
	return c->n;
}

/* Verify that must run; returns bad_seq and leaves problem in *problem_r. */
static long long verify(struct hd_store *s, long long *checked_r, char **problem_r)
{
	char *error = NULL;
	long long bad = -1;

	ck_assert_msg(hd_store_verify(s, checked_r, &bad, problem_r, &error) == HD_STORE_OK,
		      "verify: %s", error ? error : "?");
	return bad;
}

START_TEST(test_uri_parse)
{
	const struct hd_store_vtable *vt;
	char *target, *error = NULL;
	static const struct { const char *uri, *backend, *target; } ok[] = {
		{ "/var/lib/a.db", "sqlite", "/var/lib/a.db" },
		{ "rel/a.db", "sqlite", "rel/a.db" },
		{ "sqlite:/var/lib/a.db", "sqlite", "/var/lib/a.db" },
		{ "sqlite:///var/lib/a.db", "sqlite", "/var/lib/a.db" },
		{ ":memory:", "sqlite", ":memory:" },
		{ "sqlite::memory:", "sqlite", ":memory:" },
		{ "postgresql://u@h/db", "postgresql", "postgresql://u@h/db" },
		{ "postgres:///db?host=/tmp", "postgresql", "postgres:///db?host=/tmp" },
	};
	static const char *const bad[] = { "", "sqlite:", "mysql://h/db", "sqlite://" };

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_int_eq(hd_store_uri_parse(ok[i].uri, &vt, &target, &error), HD_STORE_OK);
		ck_assert_str_eq(vt->name, ok[i].backend);
		ck_assert_str_eq(target, ok[i].target);
		free(target);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(hd_store_uri_parse(bad[i], &vt, &target, &error), HD_STORE_ERROR);
		ck_assert_ptr_null(target);
		ck_assert_ptr_nonnull(error);
		ck_assert_msg(strncmp(error, "store: ", 7) == 0, "%s", error);
		free(error);
		error = NULL;
	}
	ck_assert_int_eq(hd_store_uri_parse("mysql://h/db", &vt, &target, &error), HD_STORE_ERROR);
	ck_assert_ptr_nonnull(strstr(error, "mysql://"));
	free(error);
}
END_TEST

START_TEST(test_open_reopen)
{
	char *uri = fresh_uri(_i), *error = NULL, *problem = NULL;
	struct hd_store *s = open_ok(uri);
	struct hd_record r = rec(1000, "inbound", "T-1", "billing", NULL, "p1");
	struct hd_audit_filter all = { 0 };
	struct collect c = { 0 };
	long long checked;

	ck_assert_str_eq(hd_store_backend(s), backends[_i] == BK_POSTGRESQL ? "postgresql" : "sqlite");
	append_ok(s, &r);
	hd_store_deinit(&s);
	ck_assert_ptr_null(s);
	hd_store_deinit(&s);	/* NULL is fine */

	s = open_ok(uri);	/* reopen: no second migration, data kept */
	ck_assert_uint_eq(audit_count(s, &all, &c), backends[_i] == BK_SQLITE_MEMORY ? 0 : 1);
	append_ok(s, &r);
	ck_assert_int_eq(verify(s, &checked, &problem), 0);
	ck_assert_ptr_null(problem);
	ck_assert_int_eq(checked, backends[_i] == BK_SQLITE_MEMORY ? 1 : 2);
	collect_free(&c);
	hd_store_deinit(&s);

	if (_i < n_external) {	/* a newer schema is refused, not clobbered */
		raw_ok(_i, uri, "UPDATE meta SET schema_version = 99");
		s = hd_store_open(uri, &error);
		ck_assert_ptr_null(s);
		ck_assert_msg(strstr(error, "schema version 99 is newer") != NULL, "%s", error);
		free(error);
	}
	free(uri);
}
END_TEST

/* A store of schema version 1 (agent and rule indexed on every record) is
   migrated to 2 on open: partial indexes, data and filters unchanged. */
START_TEST(test_migrate_v1)
{
	char *uri = fresh_uri(_i);
	struct hd_store *s = open_ok(uri);
	struct hd_record in = rec(1000, "inbound", "T-1", "billing", NULL, NULL);
	struct hd_record out = rec(1001, "finding", "T-1", "billing", "ann@x", "blame");
	struct hd_audit_filter by_agent = { .agent = "ann@x" }, by_rule = { .rule = "blame" };
	struct collect c = { 0 };
	bool sqlite = backends[_i] == BK_SQLITE_FILE;

	append_ok(s, &in);
	append_ok(s, &out);
	hd_store_deinit(&s);
	/* back to version 1: without the v4 retention columns and guards */
	raw_ok(_i, uri, sqlite ?
	       "DROP TRIGGER meta_cut_forward; DROP TRIGGER records_no_delete;"
	       "CREATE TRIGGER records_no_delete BEFORE DELETE ON records"
	       " BEGIN SELECT RAISE(ABORT, 'records are append-only'); END;"
	       "ALTER TABLE meta DROP COLUMN cut_seq; ALTER TABLE meta DROP COLUMN cut_hash;" :
	       "DROP TRIGGER meta_cut_forward ON meta; DROP FUNCTION hd_meta_cut_forward();"
	       "ALTER TABLE meta DROP COLUMN cut_seq, DROP COLUMN cut_hash;");
	raw_ok(_i, uri, "DROP INDEX records_agent; DROP INDEX records_rule;"
	       "CREATE INDEX records_agent ON records (agent, kind, at);"
	       "CREATE INDEX records_rule ON records (rule, at);"
	       "UPDATE meta SET schema_version = 1;");
	s = open_ok(uri);
	raw_ok(_i, uri, sqlite ?
	       /* abs() of the smallest integer fails: the check's way to fail */
	       "SELECT CASE WHEN (SELECT sql FROM sqlite_master WHERE name = 'records_agent')"
	       " LIKE '%WHERE agent IS NOT NULL' AND (SELECT sql FROM sqlite_master"
	       " WHERE name = 'records_rule') LIKE '%WHERE rule IS NOT NULL'"
	       " AND (SELECT schema_version FROM meta) = 7"
	       " THEN 1 ELSE abs(-9223372036854775807 - 1) END" :
	       "DO $$ BEGIN IF (SELECT count(*) FROM pg_indexes WHERE indexname IN"
	       " ('records_agent', 'records_rule') AND indexdef LIKE '%IS NOT NULL)') <> 2"
	       " OR (SELECT schema_version FROM meta) <> 7"
	       " THEN RAISE EXCEPTION 'not migrated'; END IF; END $$");
	ck_assert_uint_eq(audit_count(s, &by_agent, &c), 1);
	ck_assert_uint_eq(audit_count(s, &by_rule, &c), 1);
	collect_free(&c);
	hd_store_deinit(&s);
	free(uri);
}
END_TEST

/* One integer from SQL on a raw SQLite connection to path. */
static long long sqlite_raw_int(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	long long v;

	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql,
		      sqlite3_errmsg(db));
	ck_assert_msg(sqlite3_step(st) == SQLITE_ROW, "%s: no row", sql);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* Rows of an EXPLAIN whose opcode is op, by a raw connection. */
static long long sqlite_raw_opcodes(const char *path, const char *explain, const char *op)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	long long n = 0;

	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_msg(sqlite3_prepare_v2(db, explain, -1, &st, NULL) == SQLITE_OK, "%s: %s",
		      explain, sqlite3_errmsg(db));
	while (sqlite3_step(st) == SQLITE_ROW)
		n += strcmp((const char *)sqlite3_column_text(st, 1), op) == 0;
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* One text value by a raw connection to a SQLite file (static buffer). */
static const char *sqlite_raw_text(const char *path, const char *sql)
{
	static char buf[256];
	sqlite3 *db;
	sqlite3_stmt *st;

	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql,
		      sqlite3_errmsg(db));
	ck_assert_msg(sqlite3_step(st) == SQLITE_ROW, "%s: no row", sql);
	snprintf(buf, sizeof(buf), "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return buf;
}

/* A store written by schema version 5 (tests/unit/lib-store/store-v5.sql:
   AUTOINCREMENT, rowid tables, a retention cut at 5) is migrated to 6 and
   7: the new table definitions, the same rows, an intact chain, and seqs
   that go on increasing from the chain head through appends and another
   expiry; the ticket state check without a temporary table (7). */
START_TEST(test_migrate_v5)
{
	char *path = xasprintf("%s/v5-%ld.db", tmpdir, (long)getpid());
	char *uri = xasprintf("sqlite:%s", path), *fixture, *error = NULL, *problem = NULL, *err;
	const char *top = getenv("TOP_SRCDIR") ? getenv("TOP_SRCDIR") : TOP_SRCDIR;
	const char *ids[1] = { "m07@v5.example" };
	struct hd_audit_filter all = { 0 };
	struct hd_store_expiry x;
	struct hd_ticket t;
	struct hd_ticket_state st;
	struct hd_exception e;
	struct collect c = { 0 };
	uint32_t *h = NULL;
	size_t n = 0;
	long long checked;
	char *ticket = NULL;
	struct hd_store *s;
	sqlite3 *db;

	fixture = xasprintf("%s/tests/unit/lib-store/store-v5.sql", top);
	{
		FILE *f = fopen(fixture, "r");
		struct strbuf sb;
		char buf[4096];
		size_t k;

		ck_assert_msg(f != NULL, "%s missing", fixture);
		sb_init(&sb);
		while ((k = fread(buf, 1, sizeof(buf), f)) > 0)
			sb_append(&sb, buf, k);
		fclose(f);
		ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
		ck_assert_msg(sqlite3_exec(db, sb.s, NULL, NULL, &err) == SQLITE_OK, "load: %s", err);
		sqlite3_close(db);
		sb_free(&sb);
	}
	ck_assert_int_eq(sqlite_raw_int(path, "SELECT schema_version FROM meta"), 5);
	ck_assert_int_eq(sqlite_raw_int(path, "SELECT count(*) FROM sqlite_sequence"), 1);

	s = open_ok(uri);
	ck_assert_int_eq(sqlite_raw_int(path, "SELECT schema_version FROM meta"), 7);
	ck_assert_int_eq(sqlite_raw_int(path, "SELECT count(*) FROM sqlite_master WHERE name ="
					" 'ticket_state' AND sql LIKE '%CHECK (state = ''open'' OR"
					" state = ''pending'' OR state = ''resolved'')%'"), 1);
	/* the upsert of hd_store_ticket_state_put builds no temporary table */
	ck_assert_int_eq(sqlite_raw_opcodes(path, "EXPLAIN INSERT INTO ticket_state (id, state,"
					    " since) VALUES ('x', 'open', 1) ON CONFLICT (id) DO"
					    " UPDATE SET state = excluded.state", "OpenEphemeral"), 0);
	ck_assert_int_gt(sqlite_raw_opcodes(path, "EXPLAIN SELECT 1 FROM tickets WHERE team IN"
					    " ('a', 'b', 'c')", "OpenEphemeral"), 0);	/* it counts */
	ck_assert_int_eq(sqlite_raw_int(path, "SELECT count(*) FROM sqlite_master WHERE name ="
					" 'records' AND sql LIKE '%AUTOINCREMENT%'"), 0);
	ck_assert_int_eq(sqlite_raw_int(path, "SELECT count(*) FROM sqlite_sequence"), 0);
	ck_assert_int_eq(sqlite_raw_int(path, "SELECT count(*) FROM sqlite_master WHERE name IN"
					" ('tickets', 'messages', 'thread_lines', 'ticket_state')"
					" AND sql LIKE '%WITHOUT ROWID'"), 4);
	ck_assert_int_eq(sqlite_raw_int(path, "SELECT count(*) FROM sqlite_master WHERE name IN"
					" ('tickets_team', 'messages_ticket', 'records_team',"
					" 'records_priority', 'records_v6', 'tickets_v6',"
					" 'ticket_state_v6')"), 0);
	ck_assert_int_eq(sqlite_raw_int(path, "SELECT count(*) FROM sqlite_master WHERE name IN"
					" ('records_ticket', 'records_agent', 'records_rule',"
					" 'records_kind', 'records_at', 'ticket_state_state',"
					" 'records_no_update', 'records_no_delete', 'meta_cut_forward',"
					" 'exceptions_no_delete', 'exceptions_decide_once')"), 11);
	ck_assert_int_eq(sqlite_raw_int(path, "SELECT count(*) FROM thread_lines"), 36);

	/* the chain: records 6..17 of 17, the cut at 5 */
	ck_assert_int_eq(verify(s, &checked, &problem), 0);
	ck_assert_ptr_null(problem);
	ck_assert_int_eq(checked, 12);
	/* the rows are where the engine reads them */
	ck_assert_int_eq(hd_store_ticket_by_message(s, ids, 1, &ticket, &error), HD_STORE_OK);
	ck_assert_str_eq(ticket, "HD-V5TICKET07");
	ck_assert_int_eq(hd_store_ticket_get(s, ticket, &t, &error), HD_STORE_OK);
	ck_assert_str_eq(t.team, "billing");
	ck_assert_int_eq(t.opened, 7000);
	hd_ticket_free(&t);
	ck_assert_int_eq(hd_store_ticket_state_get(s, "HD-V5TICKET09", &st, &error), HD_STORE_OK);
	ck_assert_int_eq(st.state, 2);
	ck_assert_int_eq(st.resolution_due, 9900);
	hd_ticket_state_free(&st);
	ck_assert_int_eq(hd_store_thread_get(s, ticket, &h, &n, &error), HD_STORE_OK);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(h[0], 107);
	ck_assert_uint_eq(h[2], 307);
	free(h);
	ck_assert_int_eq(hd_store_exception_get(s, "EXC-V5", &e, &error), HD_STORE_OK);
	ck_assert_str_eq(e.status, "approved");
	ck_assert_str_eq(e.approver, "boss@support.example");
	hd_exception_free(&e);
	free(ticket);

	/* seqs go on from the head (17), not from anything SQLite keeps */
	{
		struct hd_record r = rec(13000, "inbound", "HD-V5TICKET13", "billing", NULL, NULL);

		append_ok(s, &r);
	}
	ck_assert_uint_eq(audit_count(s, &all, &c), 13);
	ck_assert_int_eq(c.seq[0], 6);
	ck_assert_int_eq(c.seq[12], 18);
	/* the newest record and any above the cut stay protected */
	err = raw_exec(0, uri, "DELETE FROM records WHERE seq = 18");
	ck_assert_msg(err != NULL && strstr(err, "append-only") != NULL, "%s", err ? err : "deleted");
	free(err);
	err = raw_exec(0, uri, "UPDATE records SET text = 'x' WHERE seq = 6");
	ck_assert_msg(err != NULL && strstr(err, "append-only") != NULL, "%s", err ? err : "updated");
	free(err);
	/* another expiry on the migrated store: cut, checkpoint, append, verify */
	ck_assert_msg(hd_store_expire(s, 9500, 30000, &x, &error) == HD_STORE_OK, "expire: %s",
		      error ? error : "");
	ck_assert_int_eq(x.first_seq, 6);
	ck_assert_int_eq(x.checkpoint_seq, 19);
	ck_assert_int_gt(x.removed, 0);
	{
		struct hd_record r = rec(31000, "inbound", "HD-V5TICKET14", "tech", NULL, NULL);

		append_ok(s, &r);
	}
	ck_assert_uint_gt(audit_count(s, &all, &c), 2);
	for (size_t k = 1; k < c.n; k++)
		ck_assert_int_gt(c.seq[k], c.seq[k - 1]);
	ck_assert_int_eq(c.seq[c.n - 1], 20);
	ck_assert_int_eq(verify(s, &checked, &problem), 0);
	ck_assert_int_eq(checked, (long long)c.n);
	collect_free(&c);
	hd_store_deinit(&s);
	/* reopened: no second migration, still intact */
	s = open_ok(uri);
	ck_assert_int_eq(verify(s, &checked, &problem), 0);
	hd_store_deinit(&s);
	free(fixture);
	free(uri);
	free(path);
}
END_TEST

/* A store of 1000 records gets planner statistics at its next open, and
   gets them again when they are gone for its records (schema 6 rebuilt
   the tables, which drops their statistics but not sqlite_stat1). */
START_TEST(test_sqlite_analyze)
{
	char *uri = fresh_uri(0), *error = NULL;
	const char *path = uri + strlen("sqlite:");
	const char *stats = "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'";
	const char *records = "SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'records'";
	struct hd_store *s = open_ok(uri);

	ck_assert_int_eq(hd_store_begin(s, &error), HD_STORE_OK);
	for (int k = 0; k < 1000; k++) {
		struct hd_record r = rec(1000 + k, k % 3 ? "inbound" : "tone", "T-1", "billing",
					 NULL, NULL);
		append_ok(s, &r);
	}
	ck_assert_msg(hd_store_commit(s, &error) == HD_STORE_OK, "commit: %s", error);
	hd_store_deinit(&s);
	ck_assert_int_eq(sqlite_raw_int(path, stats), 0);
	s = open_ok(uri);
	hd_store_deinit(&s);
	ck_assert_int_gt(sqlite_raw_int(path, records), 0);
	raw_ok(0, uri, "DELETE FROM sqlite_stat1 WHERE tbl = 'records'");
	s = open_ok(uri);
	hd_store_deinit(&s);
	ck_assert_int_gt(sqlite_raw_int(path, records), 0);
	free(uri);
}
END_TEST

/* The canonical text a record's hash covers, pinned: every stored hash
   was computed over it, so it must not change by a byte (NULL, empty,
   newline and UTF-8 values, a negative number). */
START_TEST(test_record_canonical_pinned)
{
	struct hd_record r = {
		.at = 1796040000, .kind = "inbound", .queue_id = "4ABC123", .message_id = "<m@x>",
		.ticket = "HD-1", .team = "billing", .rule = "r", .action = "accept",
		.text = "t\xc3\xa9xt\nwith 'q'", .detail = "", .policy_name = "acme",
		.policy_version = "7",
	};
	char *canon = hd_store_record_canonical(-12, &r, HD_STORE_ZERO_HASH), hash[65];

	ck_assert_str_eq(canon,
		"hd-audit-record-v1\n"
		"seq=-12\n"
		"at=1796040000\n"
		"kind=7:inbound\n"
		"queue_id=7:4ABC123\n"
		"message_id=5:<m@x>\n"
		"ticket=4:HD-1\n"
		"team=7:billing\n"
		"priority=-\n"
		"agent=-\n"
		"rule=1:r\n"
		"action=6:accept\n"
		"text=14:t\xc3""\xa9""xt\n"
		"with 'q'\n"
		"detail=0:\n"
		"policy_name=4:acme\n"
		"policy_version=1:7\n"
		"prev_hash=64:0000000000000000000000000000000000000000000000000000000000000000\n");
	free(canon);
	hd_store_record_hash(1234567890123LL, &r, "ab", hash);
	ck_assert_str_eq(hash, "1af7f0babf8a9f982e15f352c7efb134ad02900cc258672f220a9503637385c6");
}
END_TEST

/* SQLite: a commit's WAL frames go to the file in one write, which a
   second handle reads at once (store-sqlite-vfs.c). */
START_TEST(test_sqlite_wal_one_write)
{
	char *uri = fresh_uri(0), *problem = NULL, *error = NULL;
	struct hd_store *a = open_ok(uri), *b = open_ok(uri);
	struct hd_audit_filter f = { 0 };
	struct collect c = { 0 };
	uint64_t frames0, writes0, frames1, writes1;
	long long checked;

	ck_assert_str_eq(hd_store_sqlite_vfs(), HD_STORE_SQLITE_VFS);
	for (int k = 0; k < 5; k++) {
		struct hd_record r = rec(k, "inbound", "T-1", "billing", NULL, "r");
		struct hd_ticket t = { .id = xasprintf("T-%d", k), .team = "billing", .opened = k };

		hd_store_sqlite_vfs_stats(&frames0, &writes0);
		ck_assert_int_eq(hd_store_begin(a, &error), HD_STORE_OK);
		ck_assert_int_eq(hd_store_ticket_open(a, &t, &error), HD_STORE_OK);
		append_ok(a, &r);
		ck_assert_int_eq(hd_store_commit(a, &error), HD_STORE_OK);
		hd_store_sqlite_vfs_stats(&frames1, &writes1);
		ck_assert_uint_ge(frames1 - frames0, 3);	/* records, meta, tickets, ... */
		ck_assert_uint_eq(writes1 - writes0, 1);
		ck_assert_uint_eq(audit_count(b, &f, &c), (size_t)k + 1);
		collect_free(&c);
		free(t.id);
	}
	ck_assert_int_eq(verify(b, &checked, &problem), 0);
	ck_assert_int_eq(checked, 5);
	hd_store_deinit(&a);
	hd_store_deinit(&b);
	ck_assert_str_eq(sqlite_raw_text(uri + strlen("sqlite:"), "PRAGMA integrity_check"), "ok");
	free(uri);
}
END_TEST

/* SQLite: a transaction bigger than the page cache writes frames before its
   commit (a spill); rolled back, they never reach another handle's commit,
   and committed, they are all there. */
START_TEST(test_sqlite_wal_spill)
{
	char *uri = fresh_uri(0), *problem = NULL, *error = NULL;
	struct hd_store *a = open_ok(uri), *b = open_ok(uri);
	long long checked;

	ck_assert_int_eq(a->vt->exec(a->conn, "PRAGMA cache_size = 10", &error), HD_STORE_OK);
	for (int round = 0; round < 2; round++) {
		ck_assert_int_eq(hd_store_begin(a, &error), HD_STORE_OK);
		for (int k = 0; k < 600; k++) {
			char *id = xasprintf("R%d-T-%04d", round, k);
			struct hd_record r = rec(k, "inbound", id, "billing", NULL, "r");
			struct hd_ticket t = { .id = id, .team = "billing", .opened = k };

			ck_assert_int_eq(hd_store_ticket_open(a, &t, &error), HD_STORE_OK);
			append_ok(a, &r);
			free(id);
		}
		if (round == 0)
			hd_store_rollback(a);
		else
			ck_assert_int_eq(hd_store_commit(a, &error), HD_STORE_OK);
		for (int k = 0; k < 3; k++) {	/* the other handle writes after it */
			struct hd_record r = rec(k, "inbound", "T-B", "billing", NULL, "r");

			append_ok(b, &r);
		}
	}
	ck_assert_int_eq(verify(b, &checked, &problem), 0);
	ck_assert_int_eq(checked, 600 + 6);
	hd_store_deinit(&a);
	hd_store_deinit(&b);
	ck_assert_str_eq(sqlite_raw_text(uri + strlen("sqlite:"), "PRAGMA integrity_check"), "ok");
	ck_assert_int_eq(sqlite_raw_int(uri + strlen("sqlite:"), "SELECT count(*) FROM tickets"), 600);
	free(uri);
}
END_TEST

/* SQLite: a commit whose gathered WAL write fails (here: beyond the file
   size limit) fails, and leaves the store as it was. */
START_TEST(test_sqlite_wal_write_fails)
{
	char *uri = fresh_uri(0), *wal = xasprintf("%s-wal", uri + strlen("sqlite:"));
	char *problem = NULL, *error = NULL;
	struct hd_store *a = open_ok(uri);
	struct hd_record r = rec(1, "inbound", "T-1", "billing", NULL, "r");
	struct rlimit old, lim;
	struct stat st;
	long long checked;

	append_ok(a, &r);
	ck_assert_int_eq(stat(wal, &st), 0);
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_IGN);
	lim = old;
	lim.rlim_cur = (rlim_t)st.st_size;	/* the next frames cannot be written */
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
	ck_assert_int_eq(hd_store_append(a, &r, &error), HD_STORE_ERROR);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	ck_assert_ptr_nonnull(error);
	free(error);
	error = NULL;
	ck_assert_int_eq(verify(a, &checked, &problem), 0);
	ck_assert_int_eq(checked, 1);
	append_ok(a, &r);	/* and the store goes on */
	hd_store_deinit(&a);
	a = open_ok(uri);
	ck_assert_int_eq(verify(a, &checked, &problem), 0);
	ck_assert_int_eq(checked, 2);
	hd_store_deinit(&a);
	ck_assert_str_eq(sqlite_raw_text(uri + strlen("sqlite:"), "PRAGMA integrity_check"), "ok");
	free(wal);
	free(uri);
}
END_TEST

/* Thread fingerprints: hashes per ticket, batched, deduplicated, sorted. */
START_TEST(test_thread_lines)
{
	char *uri = fresh_uri(_i), *error = NULL;
	struct hd_store *s = open_ok(uri);
	uint32_t in[100], *got = NULL;
	size_t n = 0;

	for (size_t i = 0; i < 100; i++)
		in[i] = 4000000000u - (uint32_t)i * 7;	/* above INT32_MAX: no sign trouble */
	ck_assert_int_eq(hd_store_thread_add(s, "T-1", in, 100, &error), HD_STORE_OK);
	ck_assert_int_eq(hd_store_thread_add(s, "T-1", in, 40, &error), HD_STORE_OK);
	ck_assert_int_eq(hd_store_thread_add(s, "T-2", in, 1, &error), HD_STORE_OK);
	ck_assert_int_eq(hd_store_thread_add(s, "T-2", in, 0, &error), HD_STORE_OK);
	ck_assert_int_eq(hd_store_thread_get(s, "T-1", &got, &n, &error), HD_STORE_OK);
	ck_assert_uint_eq(n, 100);
	for (size_t i = 0; i < n; i++)
		ck_assert_uint_eq(got[i], in[99 - i]);
	free(got);
	ck_assert_int_eq(hd_store_thread_get(s, "T-2", &got, &n, &error), HD_STORE_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(got[0], in[0]);
	free(got);
	ck_assert_int_eq(hd_store_thread_get(s, "T-3", &got, &n, &error), HD_STORE_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(got);
	ck_assert_int_eq(hd_store_thread_add(s, NULL, in, 1, &error), HD_STORE_ERROR);
	free(error);
	/* every count, in batches of 16, 8, 4, 2 and 1: each hash once */
	for (size_t k = 0; k <= 40; k++) {
		char t[16];

		snprintf(t, sizeof(t), "S-%zu", k);
		ck_assert_int_eq(hd_store_thread_add(s, t, in + 50, k, &error), HD_STORE_OK);
		ck_assert_int_eq(hd_store_thread_get(s, t, &got, &n, &error), HD_STORE_OK);
		ck_assert_uint_eq(n, k);
		for (size_t i = 0; i < n; i++)
			ck_assert_uint_eq(got[i], in[50 + k - 1 - i]);
		free(got);
	}
	hd_store_deinit(&s);
	free(uri);
}
END_TEST

START_TEST(test_tickets)
{
	char *uri = fresh_uri(_i), *error = NULL;
	struct hd_store *s = open_ok(uri);
	struct hd_ticket t = { .id = "T-1", .team = "billing", .priority = "high",
			       .customer = "c@example.com", .opened = 1700000000,
			       .first_response_due = 1700003600, .resolution_due = 0,
			       .policy_version = "3" };
	struct hd_ticket other = t, got;

	ck_assert_int_eq(hd_store_ticket_get(s, "T-1", &got, &error), HD_STORE_NOT_FOUND);
	ck_assert_ptr_null(got.id);
	ck_assert_int_eq(hd_store_ticket_open(s, &t, &error), HD_STORE_OK);
	other.team = "sales";		/* a retry with other data changes nothing */
	ck_assert_int_eq(hd_store_ticket_open(s, &other, &error), HD_STORE_OK);
	ck_assert_int_eq(hd_store_ticket_get(s, "T-1", &got, &error), HD_STORE_OK);
	ck_assert_str_eq(got.id, "T-1");
	ck_assert_str_eq(got.team, "billing");
	ck_assert_str_eq(got.priority, "high");
	ck_assert_str_eq(got.customer, "c@example.com");
	ck_assert_str_eq(got.policy_version, "3");
	ck_assert_int_eq(got.opened, 1700000000);
	ck_assert_int_eq(got.first_response_due, 1700003600);
	ck_assert_int_eq(got.resolution_due, 0);
	ck_assert_int_eq(got.first_response_at, 0);
	ck_assert_ptr_null(got.first_response_by);
	hd_ticket_free(&got);

	ck_assert_int_eq(hd_store_ticket_first_response(s, "T-1", 1700001000, "ann", &error),
			 HD_STORE_OK);
	ck_assert_int_eq(hd_store_ticket_first_response(s, "T-1", 1700002000, "bob", &error),
			 HD_STORE_OK);
	ck_assert_int_eq(hd_store_ticket_get(s, "T-1", &got, &error), HD_STORE_OK);
	ck_assert_int_eq(got.first_response_at, 1700001000);
	ck_assert_str_eq(got.first_response_by, "ann");
	hd_ticket_free(&got);
	ck_assert_int_eq(hd_store_ticket_first_response(s, "T-404", 1, "ann", &error),
			 HD_STORE_NOT_FOUND);

	other.id = NULL;
	ck_assert_int_eq(hd_store_ticket_open(s, &other, &error), HD_STORE_ERROR);
	ck_assert_ptr_nonnull(error);
	free(error);
	hd_store_deinit(&s);
	free(uri);
}
END_TEST

START_TEST(test_messages)
{
	char *uri = fresh_uri(_i), *error = NULL, *ticket = NULL;
	struct hd_store *s = open_ok(uri);
	const char *ids[] = { "<none@x>", "<m2@x>", "<m1@x>" };
	const char *many[40];
	char buf[40][32];

	ck_assert_int_eq(hd_store_link_message(s, "<m1@x>", "T-1", &error), HD_STORE_OK);
	ck_assert_int_eq(hd_store_link_message(s, "<m2@x>", "T-2", &error), HD_STORE_OK);
	ck_assert_int_eq(hd_store_link_message(s, "<m1@x>", "T-9", &error), HD_STORE_OK);

	ck_assert_int_eq(hd_store_ticket_by_message(s, ids, 3, &ticket, &error), HD_STORE_OK);
	ck_assert_str_eq(ticket, "T-2");	/* first of the ids that is linked */
	free(ticket);
	ck_assert_int_eq(hd_store_ticket_by_message(s, ids + 2, 1, &ticket, &error), HD_STORE_OK);
	ck_assert_str_eq(ticket, "T-1");	/* the first link stays */
	free(ticket);
	ck_assert_int_eq(hd_store_ticket_by_message(s, ids, 1, &ticket, &error),
			 HD_STORE_NOT_FOUND);
	ck_assert_ptr_null(ticket);
	ck_assert_int_eq(hd_store_ticket_by_message(s, ids, 0, &ticket, &error),
			 HD_STORE_NOT_FOUND);

	/* More ids than one lookup query takes: the match is in the second chunk. */
	for (int i = 0; i < 40; i++) {
		snprintf(buf[i], sizeof(buf[i]), "<x%d@y>", i);
		many[i] = buf[i];
	}
	ck_assert_int_eq(hd_store_ticket_by_message(s, many, 40, &ticket, &error),
			 HD_STORE_NOT_FOUND);
	ck_assert_int_eq(hd_store_link_message(s, "<x39@y>", "T-39", &error), HD_STORE_OK);
	ck_assert_int_eq(hd_store_link_message(s, "<x35@y>", "T-35", &error), HD_STORE_OK);
	ck_assert_int_eq(hd_store_ticket_by_message(s, many, 40, &ticket, &error), HD_STORE_OK);
	ck_assert_str_eq(ticket, "T-35");
	free(ticket);

	ck_assert_int_eq(hd_store_link_message(s, "", "T-1", &error), HD_STORE_ERROR);
	free(error);
	hd_store_deinit(&s);
	free(uri);
}
END_TEST

START_TEST(test_records_chain_and_audit)
{
	char *uri = fresh_uri(_i), *problem = NULL;
	struct hd_store *s = open_ok(uri);
	struct collect c = { 0 };
	struct hd_audit_filter f;
	long long checked;
	char *canon, hash[65];
	struct hd_record r;

	/* 10 records: seq k has at = 1000 * k. */
	static const struct { const char *kind, *ticket, *team, *agent, *rule; } d[10] = {
		{ "inbound", "T-1", "billing", NULL, "p-vip" },
		{ "outbound", "T-1", "billing", "ann", NULL },
		{ "tone", "T-1", "billing", "ann", "calm-down" },
		{ "inbound", "T-2", "sales", NULL, "p-default" },
		{ "tone", "T-2", "sales", "bob", "calm-down" },
		{ "authority", "T-2", "sales", "bob", "refund" },
		{ "exception", "T-1", "billing", "ann", "refund" },
		{ "approval", "T-1", "billing", "lead", NULL },
		{ "sla", "T-3", "tech", "cid", "first-response" },
		{ "tone", "T-3", "tech", "cid", "obviously" },
	};
	for (int k = 0; k < 10; k++) {
		r = rec(1000 * (k + 1), d[k].kind, d[k].ticket, d[k].team, d[k].agent, d[k].rule);
		if (k == 4)
			r.priority = "critical";
		if (k == 5) {		/* NULLs are kept apart from empty strings */
			r.detail = NULL;
			r.text = "";
		}
		append_ok(s, &r);
	}

	memset(&f, 0, sizeof(f));
	ck_assert_uint_eq(audit_count(s, &f, &c), 10);
	ck_assert_str_eq(c.prev[0], "0000000000000000000000000000000000000000000000000000000000000000");
	for (size_t k = 0; k < 10; k++) {
		ck_assert_int_eq(c.seq[k], (long long)k + 1);
		if (k > 0)
			ck_assert_str_eq(c.prev[k], c.hash[k - 1]);
	}
	/* The stored hash is the hash of the documented canonical text. */
	r = rec(1000, "inbound", "T-1", "billing", NULL, "p-vip");
	canon = hd_store_record_canonical(1, &r, c.prev[0]);
	ck_assert_ptr_nonnull(strstr(canon, "\nticket=3:T-1\n"));
	ck_assert_ptr_nonnull(strstr(canon, "\nagent=-\n"));
	sha256_hex(canon, strlen(canon), hash);
	ck_assert_str_eq(c.hash[0], hash);
	free(canon);

	f = (struct hd_audit_filter){ .ticket = "T-1" };
	ck_assert_uint_eq(audit_count(s, &f, &c), 5);
	ck_assert_int_eq(c.seq[0], 1);
	ck_assert_int_eq(c.seq[4], 8);
	f = (struct hd_audit_filter){ .team = "sales" };
	ck_assert_uint_eq(audit_count(s, &f, &c), 3);
	f = (struct hd_audit_filter){ .priority = "critical" };
	ck_assert_uint_eq(audit_count(s, &f, &c), 1);
	ck_assert_int_eq(c.seq[0], 5);
	f = (struct hd_audit_filter){ .agent = "ann" };
	ck_assert_uint_eq(audit_count(s, &f, &c), 3);
	f = (struct hd_audit_filter){ .agent = "ann", .kind = "tone" };
	ck_assert_uint_eq(audit_count(s, &f, &c), 1);
	ck_assert_int_eq(c.seq[0], 3);
	f = (struct hd_audit_filter){ .rule = "calm-down" };
	ck_assert_uint_eq(audit_count(s, &f, &c), 2);
	f = (struct hd_audit_filter){ .kind = "tone" };
	ck_assert_uint_eq(audit_count(s, &f, &c), 3);
	ck_assert_int_eq(c.seq[2], 10);
	f = (struct hd_audit_filter){ .rule = "x' OR '1'='1" };	/* values are parameters */
	ck_assert_uint_eq(audit_count(s, &f, &c), 0);
	f = (struct hd_audit_filter){ .since = 3000, .until = 6000 };	/* [since, until) */
	ck_assert_uint_eq(audit_count(s, &f, &c), 3);
	ck_assert_int_eq(c.seq[0], 3);
	ck_assert_int_eq(c.seq[2], 5);
	f = (struct hd_audit_filter){ .since = 9000 };
	ck_assert_uint_eq(audit_count(s, &f, &c), 2);
	f = (struct hd_audit_filter){ .until = 2000 };
	ck_assert_uint_eq(audit_count(s, &f, &c), 1);
	f = (struct hd_audit_filter){ .kind = "tone", .limit = 2 };
	ck_assert_uint_eq(audit_count(s, &f, &c), 2);
	ck_assert_int_eq(c.seq[1], 5);
	f = (struct hd_audit_filter){ .team = "billing", .since = 2000, .until = 8000, .limit = 2 };
	ck_assert_uint_eq(audit_count(s, &f, &c), 2);
	ck_assert_int_eq(c.seq[0], 2);
	ck_assert_int_eq(c.seq[1], 3);
	/* The callback stops the walk. */
	collect_free(&c);
	c.stop_after = 4;
	f = (struct hd_audit_filter){ 0 };
	ck_assert_int_eq(hd_store_audit(s, &f, collect_fn, &c, &problem), HD_STORE_OK);
	ck_assert_uint_eq(c.n, 4);
	collect_free(&c);

	ck_assert_int_eq(verify(s, &checked, &problem), 0);
	ck_assert_ptr_null(problem);
	ck_assert_int_eq(checked, 10);

	r.kind = NULL;
	ck_assert_int_eq(hd_store_append(s, &r, &problem), HD_STORE_ERROR);
	free(problem);
	hd_store_deinit(&s);
	free(uri);
}
END_TEST

/* Build a store of n records for the tamper tests. */
static struct hd_store *store_with_records(const char *uri, int n)
{
	struct hd_store *s = open_ok(uri);
	char *error = NULL;

	ck_assert_int_eq(hd_store_begin(s, &error), HD_STORE_OK);
	for (int k = 1; k <= n; k++) {
		struct hd_record r = rec(k * 60, k % 2 ? "inbound" : "tone", "T-1", "billing",
					 "ann", "r");
		append_ok(s, &r);
	}
	ck_assert_int_eq(hd_store_commit(s, &error), HD_STORE_OK);
	return s;
}

START_TEST(test_append_only_trigger)
{
	char *uri = fresh_uri(_i), *err;
	struct hd_store *s = store_with_records(uri, 3);

	err = raw_exec(_i, uri, "UPDATE records SET text = 'rewritten' WHERE seq = 2");
	ck_assert_msg(err != NULL && strstr(err, "records are append-only") != NULL, "%s",
		      err ? err : "UPDATE accepted");
	free(err);
	err = raw_exec(_i, uri, "DELETE FROM records WHERE seq = 3");
	ck_assert_msg(err != NULL && strstr(err, "records are append-only") != NULL, "%s",
		      err ? err : "DELETE accepted");
	free(err);
	/* a ticket state is one of three (schema 7 spells the check anew) */
	raw_ok(_i, uri, "INSERT INTO ticket_state (id, state, since) VALUES ('T-9', 'pending', 1)");
	err = raw_exec(_i, uri, "INSERT INTO ticket_state (id, state, since) VALUES ('T-8', 'gone', 1)");
	ck_assert_msg(err != NULL && strcasestr(err, "check") != NULL, "%s",
		      err ? err : "state 'gone' accepted");
	free(err);
	err = raw_exec(_i, uri, "UPDATE ticket_state SET state = 'Open' WHERE id = 'T-9'");
	ck_assert_msg(err != NULL && strcasestr(err, "check") != NULL, "%s",
		      err ? err : "state 'Open' accepted");
	free(err);
	if (backends[_i] == BK_POSTGRESQL) {
		err = raw_exec(_i, uri, "TRUNCATE records");
		ck_assert_msg(err != NULL && strstr(err, "append-only") != NULL, "%s",
			      err ? err : "TRUNCATE accepted");
		free(err);
	}
	hd_store_deinit(&s);
	free(uri);
}
END_TEST

START_TEST(test_verify_tampered)
{
	char *uri, *problem = NULL;
	struct hd_store *s;
	long long checked, bad;
	char *sql;
	static const struct { const char *sql; long long bad; const char *says; } cases[] = {
		{ "UPDATE records SET text = 'nicer words' WHERE seq = 4", 4, "content" },
		{ "UPDATE records SET at = at + 1 WHERE seq = 2", 2, "content" },
		{ "UPDATE records SET policy_version = NULL WHERE seq = 5", 5, "content" },
		{ "DELETE FROM records WHERE seq = 3", 4, "missing" },
		{ "DELETE FROM records WHERE seq = 1", 2, "missing" },
		{ "DELETE FROM records WHERE seq = 6", 6, "deleted at the end" },
		/* rewritten and re-hashed: the next record's prev_hash gives it away */
		{ "UPDATE records SET hash = 'x' WHERE seq = 3", 3, "content" },
	};

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		uri = fresh_uri(_i);
		s = store_with_records(uri, 6);
		ck_assert_int_eq(verify(s, &checked, &problem), 0);
		ck_assert_int_eq(checked, 6);
		sql = xasprintf("%s %s", unprotect_sql(_i), cases[k].sql);
		raw_ok(_i, uri, sql);
		free(sql);
		bad = verify(s, &checked, &problem);
		ck_assert_msg(bad == cases[k].bad, "%s: bad %lld, want %lld (%s)", cases[k].sql,
			      bad, cases[k].bad, problem ? problem : "no problem");
		ck_assert_msg(problem != NULL && strstr(problem, cases[k].says) != NULL,
			      "%s: %s", cases[k].sql, problem ? problem : "(null)");
		free(problem);
		hd_store_deinit(&s);
		free(uri);
	}

	/* Rewriting a record with a correct new hash breaks the next link. */
	uri = fresh_uri(_i);
	s = store_with_records(uri, 3);
	{
		struct hd_record r = rec(120, "tone", "T-1", "billing", "ann", "r");
		struct collect c = { 0 };
		struct hd_audit_filter f = { 0 };
		char hash[65], *canon;

		ck_assert_uint_eq(audit_count(s, &f, &c), 3);
		r.text = "forged";
		canon = hd_store_record_canonical(2, &r, c.prev[1]);
		sha256_hex(canon, strlen(canon), hash);
		free(canon);
		sql = xasprintf("%s UPDATE records SET text = 'forged', hash = '%s' WHERE seq = 2",
				unprotect_sql(_i), hash);
		raw_ok(_i, uri, sql);
		free(sql);
		collect_free(&c);
	}
	bad = verify(s, &checked, &problem);
	ck_assert_int_eq(bad, 3);
	ck_assert_ptr_nonnull(strstr(problem, "prev_hash"));
	free(problem);
	hd_store_deinit(&s);
	free(uri);
}
END_TEST

START_TEST(test_exceptions)
{
	char *uri = fresh_uri(_i), *error = NULL;
	struct hd_store *s = open_ok(uri);
	struct hd_exception e = { .id = "EXC-1", .ticket = "T-1", .agent = "ann",
				  .policy = "refunds", .reason = "loyal customer",
				  .kind = "refund", .currency = "USD", .fingerprint = "fp1",
				  .tier = 2, .amount = 250.25, .created = 1000 };
	struct hd_exception e2 = e, got;

	ck_assert_int_eq(hd_store_exception_get(s, "EXC-1", &got, &error), HD_STORE_NOT_FOUND);
	ck_assert_int_eq(hd_store_exception_add(s, &e, &error), HD_STORE_OK);
	e2.reason = "changed";
	ck_assert_int_eq(hd_store_exception_add(s, &e2, &error), HD_STORE_OK);	/* idempotent */
	ck_assert_int_eq(hd_store_exception_get(s, "EXC-1", &got, &error), HD_STORE_OK);
	ck_assert_str_eq(got.reason, "loyal customer");
	ck_assert_str_eq(got.status, "pending");
	ck_assert_str_eq(got.currency, "USD");
	ck_assert_int_eq(got.tier, 2);
	ck_assert(got.amount == 250.25);
	ck_assert_int_eq(got.created, 1000);
	ck_assert_int_eq(got.decided, 0);
	ck_assert_ptr_null(got.approver);
	hd_exception_free(&got);

	e2 = e;			/* a later one for the same reply, without amount */
	e2.id = "EXC-2";
	e2.created = 2000;
	e2.amount = -1;
	e2.currency = NULL;
	ck_assert_int_eq(hd_store_exception_add(s, &e2, &error), HD_STORE_OK);
	ck_assert_int_eq(hd_store_exception_find(s, "T-1", "ann", "fp1", &got, &error), HD_STORE_OK);
	ck_assert_str_eq(got.id, "EXC-2");
	ck_assert(got.amount < 0);
	ck_assert_ptr_null(got.currency);
	hd_exception_free(&got);
	ck_assert_int_eq(hd_store_exception_find(s, "T-1", "bob", "fp1", &got, &error),
			 HD_STORE_NOT_FOUND);
	ck_assert_int_eq(hd_store_exception_find(s, "T-1", "ann", "fp2", &got, &error),
			 HD_STORE_NOT_FOUND);

	ck_assert_int_eq(hd_store_exception_decide(s, "EXC-1", "approved", "lead", 1500, NULL, &error),
			 HD_STORE_OK);
	ck_assert_int_eq(hd_store_exception_get(s, "EXC-1", &got, &error), HD_STORE_OK);
	ck_assert_str_eq(got.status, "approved");
	ck_assert_str_eq(got.approver, "lead");
	ck_assert_int_eq(got.decided, 1500);
	hd_exception_free(&got);
	/* Once: the same decision again is a no-op, the other one an error. */
	ck_assert_int_eq(hd_store_exception_decide(s, "EXC-1", "approved", "boss", 1600, NULL, &error),
			 HD_STORE_OK);
	ck_assert_int_eq(hd_store_exception_get(s, "EXC-1", &got, &error), HD_STORE_OK);
	ck_assert_str_eq(got.approver, "lead");
	ck_assert_int_eq(got.decided, 1500);
	hd_exception_free(&got);
	ck_assert_int_eq(hd_store_exception_decide(s, "EXC-1", "refused", "boss", 1600, NULL, &error),
			 HD_STORE_ERROR);
	ck_assert_msg(strstr(error, "already approved by lead") != NULL, "%s", error);
	free(error);
	error = NULL;
	ck_assert_int_eq(hd_store_exception_decide(s, "EXC-2", "maybe", "lead", 1, NULL, &error),
			 HD_STORE_ERROR);
	free(error);
	error = NULL;
	ck_assert_int_eq(hd_store_exception_decide(s, "EXC-404", "approved", "lead", 1, NULL, &error),
			 HD_STORE_NOT_FOUND);
	ck_assert_int_eq(hd_store_exception_decide(s, "EXC-2", "refused", "lead", 2100, NULL, &error),
			 HD_STORE_OK);
	ck_assert_int_eq(hd_store_exception_find(s, "T-1", "ann", "fp1", &got, &error), HD_STORE_OK);
	ck_assert_str_eq(got.status, "refused");
	hd_exception_free(&got);
	hd_store_deinit(&s);

	if (_i < n_external) {	/* the database itself refuses a second decision */
		char *err = raw_exec(_i, uri, "UPDATE exceptions SET status = 'approved'"
				     " WHERE id = 'EXC-2'");

		ck_assert_msg(err != NULL && strstr(err, "decided once") != NULL, "%s",
			      err ? err : "accepted");
		free(err);
		err = raw_exec(_i, uri, "DELETE FROM exceptions");
		ck_assert_msg(err != NULL && strstr(err, "never deleted") != NULL, "%s",
			      err ? err : "accepted");
		free(err);
	}
	free(uri);
}
END_TEST

START_TEST(test_rollback)
{
	char *uri = fresh_uri(_i), *error = NULL, *ticket = NULL, *problem = NULL;
	struct hd_store *s = open_ok(uri);
	struct hd_ticket t = { .id = "T-1", .opened = 5 }, got;
	struct hd_exception e = { .id = "EXC-1", .amount = -1, .created = 5 }, ge;
	struct hd_record r = rec(5, "inbound", "T-1", "billing", NULL, NULL);
	const char *mid = "<a@b>";
	struct hd_audit_filter f = { 0 };
	struct collect c = { 0 };
	long long checked;

	ck_assert_int_eq(hd_store_begin(s, &error), HD_STORE_OK);
	ck_assert_int_eq(hd_store_begin(s, &error), HD_STORE_ERROR);	/* no nesting */
	free(error);
	error = NULL;
	ck_assert_int_eq(hd_store_ticket_open(s, &t, &error), HD_STORE_OK);
	ck_assert_int_eq(hd_store_link_message(s, mid, "T-1", &error), HD_STORE_OK);
	append_ok(s, &r);
	append_ok(s, &r);
	ck_assert_int_eq(hd_store_exception_add(s, &e, &error), HD_STORE_OK);
	ck_assert_uint_eq(audit_count(s, &f, &c), 2);	/* visible inside */
	hd_store_rollback(s);
	hd_store_rollback(s);	/* harmless */

	ck_assert_int_eq(hd_store_ticket_get(s, "T-1", &got, &error), HD_STORE_NOT_FOUND);
	ck_assert_int_eq(hd_store_ticket_by_message(s, &mid, 1, &ticket, &error),
			 HD_STORE_NOT_FOUND);
	ck_assert_int_eq(hd_store_exception_get(s, "EXC-1", &ge, &error), HD_STORE_NOT_FOUND);
	ck_assert_uint_eq(audit_count(s, &f, &c), 0);
	ck_assert_int_eq(verify(s, &checked, &problem), 0);
	ck_assert_int_eq(checked, 0);
	/* The chain continues from where the last commit left it. */
	append_ok(s, &r);
	ck_assert_uint_eq(audit_count(s, &f, &c), 1);
	ck_assert_int_eq(c.seq[0], 1);
	collect_free(&c);
	ck_assert_int_eq(hd_store_commit(s, &error), HD_STORE_ERROR);	/* none open */
	free(error);
	hd_store_deinit(&s);
	free(uri);
}
END_TEST

START_TEST(test_two_handles_one_chain)
{
	char *uri = fresh_uri(_i), *problem = NULL, *error = NULL;
	struct hd_store *a = open_ok(uri), *b = open_ok(uri);
	struct hd_audit_filter f = { 0 };
	struct collect c = { 0 };
	long long checked;

	for (int k = 0; k < 12; k++) {
		struct hd_record r = rec(k, "inbound", k % 2 ? "T-B" : "T-A", "t", NULL, NULL);

		if (k % 3 == 2) {	/* some inside an explicit transaction */
			ck_assert_int_eq(hd_store_begin(k % 2 ? b : a, &error), HD_STORE_OK);
			append_ok(k % 2 ? b : a, &r);
			ck_assert_int_eq(hd_store_commit(k % 2 ? b : a, &error), HD_STORE_OK);
		} else {
			append_ok(k % 2 ? b : a, &r);
		}
	}
	ck_assert_int_eq(verify(a, &checked, &problem), 0);
	ck_assert_int_eq(checked, 12);
	ck_assert_int_eq(verify(b, &checked, &problem), 0);
	ck_assert_uint_eq(audit_count(b, &f, &c), 12);
	for (size_t k = 0; k < 12; k++)
		ck_assert_int_eq(c.seq[k], (long long)k + 1);
	collect_free(&c);
	hd_store_deinit(&a);
	hd_store_deinit(&b);
	free(uri);
}
END_TEST

START_TEST(test_sqlite_locked_message)
{
	char *uri = fresh_uri(0), *error = NULL;
	struct hd_store *a = open_ok(uri), *b = open_ok(uri);
	struct hd_record r = rec(1, "inbound", "T", "t", NULL, NULL);

	ck_assert_int_eq(backends[0], BK_SQLITE_FILE);
	ck_assert_int_eq(hd_store_begin(a, &error), HD_STORE_OK);
	append_ok(a, &r);
	/* b waits HD_STORE_BUSY_TIMEOUT_MS for a's write lock, then says so. */
	ck_assert_int_eq(hd_store_append(b, &r, &error), HD_STORE_ERROR);
	ck_assert_msg(strstr(error, "sqlite: ") == error &&
		      strstr(error, "database is locked (after 5000 ms)") != NULL, "%s", error);
	free(error);
	error = NULL;
	ck_assert_int_eq(hd_store_commit(a, &error), HD_STORE_OK);
	append_ok(b, &r);	/* and works once the lock is gone */
	hd_store_deinit(&a);
	hd_store_deinit(&b);
	free(uri);
}
END_TEST

START_TEST(test_open_errors)
{
	char *error = NULL;
	struct hd_store *s = hd_store_open("/proc/x/y.db", &error);

	ck_assert_ptr_null(s);
	ck_assert_ptr_nonnull(error);
	ck_assert_msg(strncmp(error, "sqlite: cannot open /proc/x/y.db: ", 34) == 0, "%s", error);
	free(error);
	error = NULL;

	s = hd_store_open("sqlite:/proc/x/y.db", &error);
	ck_assert_ptr_null(s);
	ck_assert_ptr_nonnull(strstr(error, "/proc/x/y.db"));
	free(error);
	error = NULL;

	/* Nothing listens on port 1: a clear connection error, no crash. */
	s = hd_store_open("postgresql://127.0.0.1:1/nodb?connect_timeout=2", &error);
	ck_assert_ptr_null(s);
	ck_assert_msg(strncmp(error, "postgresql: cannot connect: ", 28) == 0, "%s", error);
	ck_assert_msg(strstr(error, "refused") != NULL, "%s", error);
	free(error);
	error = NULL;

	s = hd_store_open("ftp://x/y", &error);
	ck_assert_ptr_null(s);
	ck_assert_ptr_nonnull(error);
	free(error);
}
END_TEST

START_TEST(test_pg_reconnect)
{
	char *uri = fresh_uri(_i), *error = NULL, *problem = NULL;
	struct hd_store *s = open_ok(uri);
	struct hd_record r = rec(1, "inbound", "T", "t", NULL, NULL);
	long long checked;
	int rc;

	ck_assert_int_eq(backends[_i], BK_POSTGRESQL);
	append_ok(s, &r);
	/* The server drops the connection (as on a restart). */
	raw_ok(_i, uri, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
	       " WHERE datname = current_database() AND pid <> pg_backend_pid()");
	usleep(200 * 1000);
	rc = hd_store_append(s, &r, &error);
	if (rc == HD_STORE_ERROR) {	/* the call that finds it gone fails cleanly */
		ck_assert_msg(strncmp(error, "postgresql: ", 12) == 0, "%s", error);
		free(error);
		error = NULL;
		append_ok(s, &r);	/* the next one reconnects */
	}
	ck_assert_int_eq(verify(s, &checked, &problem), 0);
	ck_assert_int_eq(checked, 2);

	/* Inside a transaction a lost connection is an error, never a silent
	   reconnect that would split the transaction. */
	ck_assert_int_eq(hd_store_begin(s, &error), HD_STORE_OK);
	append_ok(s, &r);
	raw_ok(_i, uri, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
	       " WHERE datname = current_database() AND pid <> pg_backend_pid()");
	usleep(200 * 1000);
	ck_assert_int_eq(hd_store_append(s, &r, &error), HD_STORE_ERROR);
	free(error);
	error = NULL;
	ck_assert_int_eq(hd_store_append(s, &r, &error), HD_STORE_ERROR);
	ck_assert_msg(strstr(error, "inside a transaction") != NULL, "%s", error);
	free(error);
	error = NULL;
	hd_store_rollback(s);
	append_ok(s, &r);	/* reconnected; the lost transaction left nothing */
	ck_assert_int_eq(verify(s, &checked, &problem), 0);
	ck_assert_int_eq(checked, 3);
	hd_store_deinit(&s);
	free(uri);
}
END_TEST

/* An approval lives in the hash chain: one send consumes it, and a row
   approved by an UPDATE from outside approves nothing and fails --verify. */
START_TEST(test_exception_chain)
{
	char *uri = fresh_uri(_i), *error = NULL, *problem = NULL;
	struct hd_store *s = open_ok(uri);
	struct hd_exception e = { .id = "EXC-8", .ticket = "T-8", .agent = "ann",
				  .policy = "refunds", .fingerprint = "fp8", .tier = 2,
				  .amount = 900, .created = 1000 };
	struct hd_exception e9 = e, got;
	struct hd_record why = { .queue_id = "Q1", .message_id = "<m@x>" };
	struct hd_audit_filter f = { .ticket = "T-8" };
	struct collect c = { 0 };
	long long checked, bad;

	e9.id = "EXC-9";
	e9.fingerprint = "fp9";
	ck_assert_int_eq(hd_store_exception_add(s, &e, &error), HD_STORE_OK);
	ck_assert_int_eq(hd_store_exception_add(s, &e9, &error), HD_STORE_OK);
	ck_assert_int_eq(hd_store_exception_consume(s, "EXC-8", "ann", 1100, NULL, &error),
			 HD_STORE_NOT_FOUND);	/* not approved yet */
	ck_assert_int_eq(hd_store_exception_decide(s, "EXC-8", "approved", "lead", 1500, &why,
						   &error), HD_STORE_OK);
	/* the approval is recorded under the ticket it approves */
	ck_assert_uint_eq(audit_count(s, &f, &c), 1);
	collect_free(&c);
	ck_assert_int_eq(hd_store_exception_consume(s, "EXC-8", "ann", 1600, NULL, &error),
			 HD_STORE_OK);
	ck_assert_int_eq(hd_store_exception_get(s, "EXC-8", &got, &error), HD_STORE_OK);
	ck_assert_str_eq(got.status, "used");
	ck_assert_str_eq(got.approver, "lead");
	hd_exception_free(&got);
	/* one send only */
	ck_assert_int_eq(hd_store_exception_consume(s, "EXC-8", "ann", 1700, NULL, &error),
			 HD_STORE_NOT_FOUND);
	ck_assert_uint_eq(audit_count(s, &f, &c), 2);
	collect_free(&c);
	ck_assert_int_eq(verify(s, &checked, &problem), 0);

	if (_i < n_external) {
		/* One UPDATE outside the store: no approval, and --verify says so. */
		raw_ok(_i, uri, "UPDATE exceptions SET status = 'approved', approver = 'mallory',"
		       " decided = 1800 WHERE id = 'EXC-9'");
		ck_assert_int_eq(hd_store_exception_get(s, "EXC-9", &got, &error), HD_STORE_OK);
		ck_assert_str_eq(got.status, "pending");
		ck_assert_ptr_null(got.approver);
		hd_exception_free(&got);
		ck_assert_int_eq(hd_store_exception_consume(s, "EXC-9", "ann", 1900, NULL, &error),
				 HD_STORE_NOT_FOUND);
		bad = verify(s, &checked, &problem);
		ck_assert_int_eq(bad, -1);
		ck_assert_msg(problem != NULL && strstr(problem, "EXC-9") != NULL &&
			      strstr(problem, "no chained record") != NULL, "%s",
			      problem ? problem : "(null)");
		free(problem);
	}
	hd_store_deinit(&s);
	free(uri);
}
END_TEST

/* Build the suite for the backends found. */
/* A store that does not exist is reported missing and is not created. */
START_TEST(test_open_existing)
{
	char *uri = fresh_uri(_i), *error = NULL;
	struct hd_store *s;
	bool missing = false;

	s = hd_store_open_existing(uri, &missing, &error);
	ck_assert_ptr_null(s);
	ck_assert_msg(missing, "%s", error ? error : "");
	free(error);
	error = NULL;
	if (backends[_i] == BK_SQLITE_FILE)
		ck_assert_int_ne(access(uri + strlen("sqlite:"), F_OK), 0);
	s = open_ok(uri);	/* the daemon creates it */
	hd_store_deinit(&s);
	s = hd_store_open_existing(uri, &missing, &error);
	ck_assert_msg(s != NULL && !missing, "%s", error ? error : "");
	hd_store_deinit(&s);
	ck_assert_ptr_null(hd_store_open_existing(":memory:", &missing, &error));
	ck_assert(missing);
	free(error);
	free(uri);
}
END_TEST

/* Retention: records before a time go through a checkpoint that names the
   cut; the chain still verifies; nothing else can delete or move the cut. */
START_TEST(test_expire_checkpoint)
{
	char *uri = fresh_uri(_i), *error = NULL, *problem = NULL, *err, *sql;
	struct hd_store *s = store_with_records(uri, 6);	/* at 60 .. 360 */
	struct hd_audit_filter all = { 0 }, cp = { .kind = "checkpoint" };
	struct hd_store_expiry x;
	struct collect c = { 0 };
	char hash3[65], hash5[65];
	long long checked;

	ck_assert_uint_eq(audit_count(s, &all, &c), 6);
	snprintf(hash3, sizeof(hash3), "%s", c.hash[2]);
	snprintf(hash5, sizeof(hash5), "%s", c.hash[4]);
	ck_assert_msg(hd_store_expire(s, 200, 5000, &x, &error) == HD_STORE_OK, "expire: %s",
		      error ? error : "");
	ck_assert_int_eq(x.removed, 3);
	ck_assert_int_eq(x.first_seq, 1);
	ck_assert_int_eq(x.last_seq, 3);
	ck_assert_int_eq(x.checkpoint_seq, 7);
	ck_assert_str_eq(x.cut_hash, hash3);
	ck_assert_uint_eq(audit_count(s, &all, &c), 4);
	ck_assert_int_eq(c.seq[0], 4);
	ck_assert_int_eq(verify(s, &checked, &problem), 0);
	ck_assert_int_eq(checked, 4);
	ck_assert_uint_eq(audit_count(s, &cp, &c), 1);
	ck_assert_int_eq(c.seq[0], 7);

	/* Nothing else may delete, and the cut moves only behind a checkpoint. */
	err = raw_exec(_i, uri, "DELETE FROM records WHERE seq = 4");
	ck_assert_msg(err != NULL && strstr(err, "append-only") != NULL, "%s", err ? err : "DELETE accepted");
	free(err);
	sql = xasprintf("UPDATE meta SET cut_seq = 5, cut_hash = '%s' WHERE id = 1", hash5);
	err = raw_exec(_i, uri, sql);
	ck_assert_msg(err != NULL && strstr(err, "checkpoint") != NULL, "%s", err ? err : "cut moved");
	free(err);
	free(sql);
	err = raw_exec(_i, uri, "UPDATE meta SET cut_seq = 1 WHERE id = 1");
	ck_assert_msg(err != NULL, "cut moved back");
	free(err);

	/* Again with the same time: nothing to remove, nothing written. */
	ck_assert_int_eq(hd_store_expire(s, 200, 5001, &x, &error), HD_STORE_OK);
	ck_assert_int_eq(x.removed, 0);
	ck_assert_uint_eq(audit_count(s, &all, &c), 4);

	/* Everything before 6000, the first checkpoint too; the new one stays. */
	ck_assert_int_eq(hd_store_expire(s, 6000, 6000, &x, &error), HD_STORE_OK);
	ck_assert_int_eq(x.removed, 4);
	ck_assert_int_eq(x.first_seq, 4);
	ck_assert_int_eq(x.last_seq, 7);
	ck_assert_uint_eq(audit_count(s, &all, &c), 1);
	ck_assert_int_eq(c.seq[0], 8);
	ck_assert_int_eq(verify(s, &checked, &problem), 0);
	ck_assert_int_eq(checked, 1);
	{
		struct hd_record r = rec(7000, "inbound", "T-2", "billing", NULL, NULL);
		append_ok(s, &r);
	}
	ck_assert_int_eq(verify(s, &checked, &problem), 0);
	ck_assert_int_eq(checked, 2);
	collect_free(&c);
	hd_store_deinit(&s);
	free(uri);
}
END_TEST

/* Records removed from the start without a checkpoint are found, even when
   the cut in meta was moved by hand. */
START_TEST(test_expire_tampered)
{
	char *uri = fresh_uri(_i), *error = NULL, *problem = NULL, *sql;
	struct hd_store *s = store_with_records(uri, 6);
	struct hd_audit_filter all = { 0 };
	struct hd_store_expiry x;
	struct collect c = { 0 };
	long long checked, bad;

	ck_assert_int_eq(hd_store_expire(s, 200, 5000, &x, &error), HD_STORE_OK);
	ck_assert_uint_eq(audit_count(s, &all, &c), 4);
	/* Deleting the first kept record by hand breaks the chain at the cut. */
	sql = xasprintf("%s DELETE FROM records WHERE seq = 4", unprotect_sql(_i));
	raw_ok(_i, uri, sql);
	free(sql);
	bad = verify(s, &checked, &problem);
	ck_assert_msg(bad == 5 && problem != NULL && strstr(problem, "missing") != NULL, "%lld %s",
		      bad, problem ? problem : "");
	free(problem);
	problem = NULL;
	/* Moving the cut by hand past it (guards dropped): no checkpoint names it. */
	sql = xasprintf("%s UPDATE meta SET cut_seq = 4, cut_hash = '%s' WHERE id = 1",
			backends[_i] == BK_SQLITE_FILE ? "DROP TRIGGER meta_cut_forward;" :
			"ALTER TABLE meta DISABLE TRIGGER USER;", c.hash[0]);
	raw_ok(_i, uri, sql);
	free(sql);
	bad = verify(s, &checked, &problem);
	ck_assert_msg(bad == 5 && problem != NULL && strstr(problem, "no checkpoint") != NULL,
		      "%lld %s", bad, problem ? problem : "");
	free(problem);
	collect_free(&c);
	hd_store_deinit(&s);
	free(uri);
}
END_TEST

static Suite *store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("all-backends");
	TCase *tx = tcase_create("external");
	TCase *one = tcase_create("single");

	tcase_set_timeout(tc, 60);
	tcase_set_timeout(tx, 60);
	tcase_set_timeout(one, 60);
	tcase_add_loop_test(tc, test_open_reopen, 0, n_backends);
	tcase_add_loop_test(tc, test_migrate_v1, 0, n_external);
	tcase_add_loop_test(tc, test_tickets, 0, n_backends);
	tcase_add_loop_test(tc, test_thread_lines, 0, n_backends);
	tcase_add_loop_test(tc, test_messages, 0, n_backends);
	tcase_add_loop_test(tc, test_records_chain_and_audit, 0, n_backends);
	tcase_add_loop_test(tc, test_exceptions, 0, n_backends);
	tcase_add_loop_test(tc, test_exception_chain, 0, n_backends);
	tcase_add_loop_test(tc, test_rollback, 0, n_backends);
	tcase_add_loop_test(tx, test_append_only_trigger, 0, n_external);
	tcase_add_loop_test(tx, test_verify_tampered, 0, n_external);
	tcase_add_loop_test(tx, test_two_handles_one_chain, 0, n_external);
	tcase_add_loop_test(tx, test_open_existing, 0, n_external);
	tcase_add_loop_test(tx, test_expire_checkpoint, 0, n_external);
	tcase_add_loop_test(tx, test_expire_tampered, 0, n_external);
	tcase_add_test(one, test_uri_parse);
	tcase_add_test(one, test_record_canonical_pinned);
	tcase_add_test(one, test_open_errors);
	tcase_add_test(one, test_sqlite_locked_message);
	tcase_add_test(one, test_migrate_v5);
	tcase_add_test(one, test_sqlite_analyze);
	tcase_add_test(one, test_sqlite_wal_one_write);
	tcase_add_test(one, test_sqlite_wal_spill);
	tcase_add_test(one, test_sqlite_wal_write_fails);
	if (n_external > 1)
		tcase_add_loop_test(one, test_pg_reconnect, 1, 2);
	suite_add_tcase(s, one);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, tx);
	return s;
}

/* nftw callback removing one file or directory. */
static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

int main(void)
{
	int failed;

	log_set_sink(NULL, LOG_LVL_WARNING);
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return EXIT_FAILURE;
	}
	backends[n_backends++] = BK_SQLITE_FILE;
	pg_uri = getenv("HD_TEST_PG_URI");
	if (pg_uri != NULL && *pg_uri != '\0') {
		backends[n_backends++] = BK_POSTGRESQL;
		printf("test-store: PostgreSQL cases run against HD_TEST_PG_URI\n");
	} else {
		printf("test-store: PostgreSQL cases SKIPPED (HD_TEST_PG_URI not set; "
		       "tests/pg/run-store-pg.sh runs them)\n");
	}
	n_external = n_backends;
	backends[n_backends++] = BK_SQLITE_MEMORY;
	fflush(stdout);

	failed = hd_check_run(store_suite());
	nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

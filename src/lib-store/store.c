/*
 * store - the audit store's handle and its backend-independent core: store
 * URIs and backend dispatch, open and close, the caller's transactions, and
 * appending records to the hash chain. Tickets, exceptions, audit queries,
 * chain verification and the schema live in the other store-*.c files; they
 * share what store-int.h declares. It must never put a value into SQL text
 * (parameters only), never rewrite or delete an audit record, and never keep
 * state outside the handle.
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store.h"
#include "store-int.h"
#include "util.h"

/* ------------------------------------------------------------------ */
/* Row helpers shared by the store-*.c files. */

/* Keep the first row: integers and copies of the text of its first columns. */
bool hd_store_row_first(void *ctx, const char *const *cols, size_t ncols)
{
	struct hd_store_first_row *c = ctx;

	for (size_t i = 0; i < ncols && i < HD_STORE_FIRST_ROW_COLUMNS; i++) {
		c->v[i] = col_int(cols[i]);
		c->text[i] = col_dup(cols[i]);
	}
	c->n = ncols < HD_STORE_FIRST_ROW_COLUMNS ? ncols : HD_STORE_FIRST_ROW_COLUMNS;
	c->found = true;
	return false;
}

/* Free the copies kept by hd_store_row_first. */
void hd_store_first_row_free(struct hd_store_first_row *c)
{
	for (size_t i = 0; i < HD_STORE_FIRST_ROW_COLUMNS; i++)
		xfree(&c->text[i]);
}

/* Run a statement with no result rows wanted. */
int hd_store_run(struct hd_store *s, const char *sql, const struct hd_sql_param *p, size_t n,
		 long long *changes_r, char **error_r)
{
	return s->vt->query(s->conn, sql, p, n, NULL, NULL, changes_r, error_r);
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

/* Check a store URI without opening it (helpdesk-milter -n). */
bool hd_store_uri_check(const char *uri, char **sqlite_path_r, char **error_r)
{
	const struct hd_store_vtable *vt;
	char *target;

	*sqlite_path_r = NULL;
	if (hd_store_uri_parse(uri, &vt, &target, error_r) != HD_STORE_OK)
		return false;
	if (vt == &hd_store_sqlite_vtable && strcmp(target, ":memory:") != 0)
		*sqlite_path_r = target;
	else
		free(target);
	return true;
}

/* ------------------------------------------------------------------ */
/* Open and close. */

/* Connect to a parsed target (freed here); NULL + *error_r on failure. */
static struct hd_store *store_connect(const struct hd_store_vtable *vt, char *target,
				      char **error_r)
{
	struct hd_store *s = xcalloc(1, sizeof(*s));

	s->vt = vt;
	if (vt->open(target, &s->conn, error_r) != HD_STORE_OK) {
		free(target);
		free(s);
		return NULL;
	}
	free(target);
	return s;
}

/* Open a store by URI and bring its schema up to date. */
struct hd_store *hd_store_open(const char *uri, char **error_r)
{
	const struct hd_store_vtable *vt;
	char *target;
	struct hd_store *s;

	*error_r = NULL;
	if (hd_store_uri_parse(uri, &vt, &target, error_r) != HD_STORE_OK ||
	    (s = store_connect(vt, target, error_r)) == NULL)
		return NULL;
	if (hd_store_schema_migrate(s, error_r) != HD_STORE_OK) {
		hd_store_deinit(&s);
		return NULL;
	}
	return s;
}

/* Open a store that must already exist (readers: audit, report, expire):
   never creates a database file nor a schema. *missing_r tells a store that
   is not there (no file, an in-memory URI, a database without the schema)
   from one that could not be opened. */
struct hd_store *hd_store_open_existing(const char *uri, bool *missing_r, char **error_r)
{
	const struct hd_store_vtable *vt;
	char *target;
	struct hd_store *s;
	struct stat st;
	bool present = false;

	*error_r = NULL;
	*missing_r = false;
	if (hd_store_uri_parse(uri, &vt, &target, error_r) != HD_STORE_OK)
		return NULL;
	if (vt == &hd_store_sqlite_vtable &&
	    (strcmp(target, ":memory:") == 0 || (stat(target, &st) < 0 && errno == ENOENT))) {
		*missing_r = true;
		*error_r = xasprintf("store %s does not exist (give the daemon's store URI, "
				     "e.g. the store: of helpdesk-milter.yaml)", uri);
		free(target);
		return NULL;
	}
	if ((s = store_connect(vt, target, error_r)) == NULL)
		return NULL;
	if (hd_store_schema_present(s, &present, error_r) != HD_STORE_OK) {
		hd_store_deinit(&s);
		return NULL;
	}
	if (!present) {
		*missing_r = true;
		*error_r = xasprintf("store %s holds no helpdesk-milter records (no schema): "
				     "give the daemon's store URI", uri);
		hd_store_deinit(&s);
		return NULL;
	}
	if (hd_store_schema_migrate(s, error_r) != HD_STORE_OK) {
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

/* Start our own write transaction when the caller has none; *own_r says so.
   Calls made before hd_store_tx_leave join it. */
int hd_store_tx_enter(struct hd_store *s, bool *own_r, char **error_r)
{
	*own_r = !s->in_tx;
	if (!*own_r)
		return HD_STORE_OK;
	if (s->vt->begin(s->conn, true, error_r) != HD_STORE_OK)
		return HD_STORE_ERROR;
	s->in_tx = true;	/* what runs inside joins it */
	return HD_STORE_OK;
}

/* End what hd_store_tx_enter started: commit on success, roll back on failure. */
int hd_store_tx_leave(struct hd_store *s, bool own, int ret, char **error_r)
{
	if (!own)
		return ret;
	s->in_tx = false;
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
/* Records and the hash chain. */

/* Bytes of the decimal digits of a long long, with a sign. */
#define HD_CANON_NUM_MAX 20

/* Write the decimal digits of v at p (the canonical text's numbers; no
   printf: this runs for every record); the end of what was written. */
static char *canon_num(char *p, long long v)
{
	char buf[HD_CANON_NUM_MAX + 1], *d = buf + sizeof(buf);
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

	do
		*--d = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*--d = '-';
	memcpy(p, d, (size_t)(buf + sizeof(buf) - d));
	return p + (buf + sizeof(buf) - d);
}

/* The fields of the canonical text after seq and at, in order. */
#define HD_CANON_FIELDS 14

/* Write "name=len:value\n" (or "name=-\n" for NULL) at p; the end. */
static char *canon_field(char *p, const char *name, size_t nlen, const char *value, size_t vlen)
{
	memcpy(p, name, nlen);
	p += nlen;
	*p++ = '=';
	if (value == NULL) {
		*p++ = '-';
	} else {
		p = canon_num(p, (long long)vlen);
		*p++ = ':';
		memcpy(p, value, vlen);
		p += vlen;
	}
	*p++ = '\n';
	return p;
}

/* The text a record's hash covers: every field, length-prefixed, and
   prev_hash. Written into one allocation of its exact bound (it runs for
   every record: no string buffer growing field by field). */
char *hd_store_record_canonical(long long seq, const struct hd_record *r, const char *prev_hash)
{
	static const char head[] = "hd-audit-record-v1\nseq=";
	const struct { const char *name; size_t nlen; const char *value; } f[HD_CANON_FIELDS] = {
#define CANON_F(n, v) { n, sizeof(n) - 1, v }
		CANON_F("kind", r->kind), CANON_F("queue_id", r->queue_id),
		CANON_F("message_id", r->message_id), CANON_F("ticket", r->ticket),
		CANON_F("team", r->team), CANON_F("priority", r->priority),
		CANON_F("agent", r->agent), CANON_F("rule", r->rule),
		CANON_F("action", r->action), CANON_F("text", r->text),
		CANON_F("detail", r->detail), CANON_F("policy_name", r->policy_name),
		CANON_F("policy_version", r->policy_version), CANON_F("prev_hash", prev_hash),
#undef CANON_F
	};
	size_t vlen[HD_CANON_FIELDS], size = sizeof(head) + 2 * HD_CANON_NUM_MAX + 6;
	char *out, *p;

	for (size_t i = 0; i < HD_CANON_FIELDS; i++) {
		vlen[i] = f[i].value != NULL ? strlen(f[i].value) : 0;
		size += f[i].nlen + HD_CANON_NUM_MAX + 3 + vlen[i];
	}
	out = p = xmalloc(size);
	memcpy(p, head, sizeof(head) - 1);
	p = canon_num(p + sizeof(head) - 1, seq);
	memcpy(p, "\nat=", 4);
	p = canon_num(p + 4, (long long)r->at);
	*p++ = '\n';
	for (size_t i = 0; i < HD_CANON_FIELDS; i++)
		p = canon_field(p, f[i].name, f[i].nlen, f[i].value, vlen[i]);
	*p = '\0';
	return out;
}

/* The hash of a record at seq after prev_hash. */
void hd_store_record_hash(long long seq, const struct hd_record *r, const char *prev_hash,
			  char out[65])
{
	char *canon = hd_store_record_canonical(seq, r, prev_hash);

	sha256_hex(canon, strlen(canon), out);
	free(canon);
}

/* Append one record to the chain (inside the caller's transaction if any). */
int hd_store_append(struct hd_store *s, const struct hd_record *r, char **error_r)
{
	struct hd_store_first_row head = { 0 };
	char hash[65];
	long long seq;
	bool own;
	int ret = HD_STORE_ERROR;

	if (r->kind == NULL || *r->kind == '\0') {
		*error_r = xasprintf("%s: audit record without a kind", s->vt->name);
		return HD_STORE_ERROR;
	}
	if (hd_store_tx_enter(s, &own, error_r) != HD_STORE_OK)
		return HD_STORE_ERROR;
	if (s->vt->lock(s->conn, HD_STORE_LOCK_APPEND, error_r) != HD_STORE_OK)
		goto out;
	if (s->vt->query(s->conn, "SELECT head_seq, head_hash FROM meta WHERE id = 1", NULL, 0,
			 hd_store_row_first, &head, NULL, error_r) != HD_STORE_OK)
		goto out;
	if (!head.found || head.text[1] == NULL) {
		*error_r = xasprintf("%s: the meta row is missing", s->vt->name);
		goto out;
	}
	seq = head.v[0] + 1;
	hd_store_record_hash(seq, r, head.text[1], hash);
	{
		struct hd_sql_param p[] = {
			p_int(seq), p_int((long long)r->at), p_text(r->kind), p_text(r->queue_id),
			p_text(r->message_id), p_text(r->ticket), p_text(r->team),
			p_text(r->priority), p_text(r->agent), p_text(r->rule), p_text(r->action),
			p_text(r->text), p_text(r->detail), p_text(r->policy_name),
			p_text(r->policy_version), p_text(head.text[1]), p_text(hash),
		};
		struct hd_sql_param ph[] = { p_int(seq), p_text(hash) };

#define HD_STORE_INSERT_RECORD_SQL \
	"INSERT INTO records (seq, at, kind, queue_id, message_id, ticket," \
	" team, priority, agent, rule, action, text, detail, policy_name," \
	" policy_version, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7," \
	" $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
		if (s->vt->dialect == HD_DIALECT_POSTGRESQL) {
			/* one statement, one round trip: the record and the head */
			if (hd_store_run(s, "WITH r AS (" HD_STORE_INSERT_RECORD_SQL " RETURNING seq)"
				" UPDATE meta SET head_seq = (SELECT seq FROM r), head_hash = $17"
				" WHERE id = 1", p, sizeof(p) / sizeof(p[0]), NULL, error_r)
			    != HD_STORE_OK)
				goto out;
		} else if (hd_store_run(s, HD_STORE_INSERT_RECORD_SQL, p, sizeof(p) / sizeof(p[0]),
				NULL, error_r) != HD_STORE_OK ||
			   hd_store_run(s, "UPDATE meta SET head_seq = $1, head_hash = $2 WHERE id = 1",
				ph, 2, NULL, error_r) != HD_STORE_OK) {
			goto out;
		}
	}
	ret = HD_STORE_OK;
out:
	hd_store_first_row_free(&head);
	return hd_store_tx_leave(s, own, ret, error_r);
}


/*
 * store-verify - tamper detection (helpdeskctl audit --verify): walk the
 * whole hash chain in one read snapshot and report the first record that was
 * rewritten, removed or inserted from outside, and records deleted at the
 * end (against the chain head in meta), then an exception whose decision
 * in the exceptions table no chained record backs (an UPDATE from outside).
 * After retention the walk starts at meta's cut: the first record must
 * follow the cut's hash, and a checkpoint record in the chain must name that
 * hash (store-retention.c), so records removed from the start without a
 * checkpoint are found too. It only reads; it must never repair or rewrite
 * the chain.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store-int.h"
#include "util.h"

/* Progress of the walk: the next seq and hash expected, the first problem. */
struct verify_ctx {
	long long checked, expect_seq, bad_seq;
	char prev[65];
	char *problem;
	char *cut_mark;		/* "\"cut_hash\":\"<hash>\"" a checkpoint must carry */
	bool cut_named;		/* a checkpoint record names the cut */
};

/* Check one record against its predecessor and its own hash. */
static bool row_verify(void *ctx, const char *const *cols, size_t ncols)
{
	struct verify_ctx *v = ctx;
	struct hd_audit_row a;
	struct hd_record r;
	char hash[65];

	hd_store_audit_row_from(&a, cols);
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
	hd_store_record_hash(a.seq, &r, a.prev_hash, hash);
	if (a.hash == NULL || strcmp(a.hash, hash) != 0) {
		v->bad_seq = a.seq;
		v->problem = xasprintf("record %lld: content does not match its hash "
				       "(rewritten)", a.seq);
		return false;
	}
	if (v->cut_mark != NULL && strcmp(a.kind, "checkpoint") == 0 && a.detail != NULL &&
	    strstr(a.detail, v->cut_mark) != NULL)
		v->cut_named = true;
	memcpy(v->prev, hash, sizeof(v->prev));
	v->expect_seq++;
	return true;
}

/* The first exception decided in the table without the chained record of
   that decision: *problem_r set, else left NULL. */
static int verify_exceptions(struct hd_store *s, char **problem_r, char **error_r)
{
	struct hd_store_first_row c = { 0 };

	if (s->vt->query(s->conn, "SELECT e.id, e.status, e.approver FROM exceptions e"
			 " WHERE e.status <> 'pending' AND NOT EXISTS (SELECT 1 FROM records r"
			 "  WHERE r.rule = e.id AND r.kind = 'approval' AND r.agent = e.approver"
			 "  AND r.action = CASE e.status WHEN 'approved' THEN 'approve'"
			 "  ELSE 'refuse' END)"
			 " ORDER BY e.id LIMIT 1", NULL, 0, hd_store_row_first, &c, NULL,
			 error_r) != HD_STORE_OK)
		return HD_STORE_ERROR;
	if (c.found)
		*problem_r = xasprintf("exception %s is %s%s%s in the exceptions table, but no "
				       "chained record decided it (changed outside the store)",
				       c.text[0] ? c.text[0] : "?", c.text[1] ? c.text[1] : "?",
				       c.text[2] ? " by " : "", c.text[2] ? c.text[2] : "");
	hd_store_first_row_free(&c);
	return HD_STORE_OK;
}

/* Walk the whole chain in one read snapshot; stop at the first broken record. */
int hd_store_verify(struct hd_store *s, long long *checked_r, long long *bad_seq_r,
		    char **problem_r, char **error_r)
{
	struct verify_ctx v = { .expect_seq = 1 };
	struct hd_store_first_row head = { 0 };
	bool own = !s->in_tx;
	int ret = HD_STORE_ERROR;

	*checked_r = 0;
	*bad_seq_r = 0;
	*problem_r = NULL;
	memcpy(v.prev, HD_STORE_ZERO_HASH, sizeof(v.prev));
	if (own && s->vt->begin(s->conn, false, error_r) != HD_STORE_OK)
		return HD_STORE_ERROR;
	if (s->vt->query(s->conn, "SELECT head_seq, head_hash, cut_seq, cut_hash FROM meta WHERE id = 1",
			 NULL, 0, hd_store_row_first, &head, NULL, error_r) != HD_STORE_OK)
		goto out;
	if (head.found && head.v[2] > 0 && head.text[3] != NULL && strlen(head.text[3]) == 64) {
		/* Retention cut: the chain goes on from the removed record's hash. */
		v.expect_seq = head.v[2] + 1;
		memcpy(v.prev, head.text[3], sizeof(v.prev));
		v.cut_mark = xasprintf("\"cut_hash\":\"%s\"", head.text[3]);
	}
	if (s->vt->query(s->conn, "SELECT " HD_STORE_RECORD_COLUMNS_SQL " FROM records ORDER BY seq",
			 NULL, 0, row_verify, &v, NULL, error_r) != HD_STORE_OK)
		goto out;
	ret = HD_STORE_OK;
	if (v.problem == NULL && v.cut_mark != NULL && !v.cut_named) {
		v.bad_seq = head.v[2] + 1;
		v.problem = xasprintf("records up to %lld were removed but no checkpoint record names "
				      "the cut", head.v[2]);
	} else if (v.problem == NULL && head.found && head.v[0] != v.expect_seq - 1) {
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
	if (v.problem == NULL) {
		if (verify_exceptions(s, &v.problem, error_r) != HD_STORE_OK)
			ret = HD_STORE_ERROR;
		else if (v.problem != NULL)
			v.bad_seq = -1;
	}
out:
	if (own) {
		char *err = NULL;

		if (s->vt->commit(s->conn, &err) != HD_STORE_OK) {
			s->vt->rollback(s->conn);
			free(err);
		}
	}
	hd_store_first_row_free(&head);
	free(v.cut_mark);
	if (ret != HD_STORE_OK) {
		free(v.problem);
		return ret;
	}
	*checked_r = v.checked;
	*bad_seq_r = v.bad_seq;
	*problem_r = v.problem;
	return HD_STORE_OK;
}

/*
 * store-retention - retention of audit records (helpdeskctl expire): a
 * prefix of the hash chain is removed only through a checkpoint record that
 * is itself in the chain and says what was removed (count, seq range, times,
 * chain hash at the cut) and when. Order, in one transaction under the append
 * lock: checkpoint record, move meta's cut, delete up to the cut; the
 * schema's triggers refuse any other deletion. It must never remove a record
 * after the first one that is still to be kept, nor remove anything without
 * writing the checkpoint first.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store-int.h"
#include "util.h"

/* Where the cut goes: the last record before the first one at or after
   before (a prefix of the chain); *cut_r = the current cut when none goes. */
static int expiry_cut(struct hd_store *s, time_t before, long long head, long long *cut_r,
		      char **error_r)
{
	struct hd_store_first_row c = { 0 };
	struct hd_sql_param p[] = { p_int((long long)before) };

	if (s->vt->query(s->conn, "SELECT min(seq) FROM records WHERE at >= $1", p, 1,
			 hd_store_row_first, &c, NULL, error_r) != HD_STORE_OK)
		return HD_STORE_ERROR;
	*cut_r = c.found && c.text[0] != NULL ? c.v[0] - 1 : head;
	hd_store_first_row_free(&c);
	return HD_STORE_OK;
}

/* Append the checkpoint record for records first..last, whose last hash is cut_hash. */
static int expiry_checkpoint(struct hd_store *s, time_t before, time_t now,
			     const struct hd_store_expiry *x, char **error_r)
{
	struct hd_store_first_row c = { 0 };
	struct hd_sql_param p[] = { p_int(x->first_seq), p_int(x->last_seq) };
	char first_at[32], last_at[32], before_s[32];
	char *text, *detail;
	int ret;

	if (s->vt->query(s->conn, "SELECT count(*), min(at), max(at) FROM records"
			 " WHERE seq >= $1 AND seq <= $2", p, 2, hd_store_row_first, &c, NULL,
			 error_r) != HD_STORE_OK)
		return HD_STORE_ERROR;
	time_format_utc((time_t)c.v[1], first_at);
	time_format_utc((time_t)c.v[2], last_at);
	time_format_utc(before, before_s);
	if (c.v[0] != x->removed) {
		*error_r = xasprintf("%s: records %lld..%lld are %lld, not %lld: the chain has a gap "
				     "(run helpdeskctl audit --verify; nothing was removed)", s->vt->name,
				     x->first_seq, x->last_seq, c.v[0], x->removed);
		hd_store_first_row_free(&c);
		return HD_STORE_ERROR;
	}
	hd_store_first_row_free(&c);
	text = xasprintf("removed %lld records (%lld..%lld) received before %s", x->removed,
			 x->first_seq, x->last_seq, before_s);
	detail = xasprintf("{\"removed\":%lld,\"first_seq\":%lld,\"last_seq\":%lld,"
			   "\"first_at\":\"%s\",\"last_at\":\"%s\",\"before\":\"%s\","
			   "\"cut_hash\":\"%s\"}", x->removed, x->first_seq, x->last_seq, first_at,
			   last_at, before_s, x->cut_hash);
	{
		struct hd_record r = { .at = now, .kind = "checkpoint", .rule = "retention",
				       .action = "expire", .text = text, .detail = detail };
		ret = hd_store_append(s, &r, error_r);
	}
	free(text);
	free(detail);
	return ret;
}

/* Remove the records before `before` through a checkpoint (store.h). */
int hd_store_expire(struct hd_store *s, time_t before, time_t now, struct hd_store_expiry *x_r,
		    char **error_r)
{
	struct hd_store_first_row meta = { 0 }, cut = { 0 };
	long long last;
	int ret = HD_STORE_ERROR;

	memset(x_r, 0, sizeof(*x_r));
	if (hd_store_begin(s, error_r) != HD_STORE_OK)
		return HD_STORE_ERROR;
	if (s->vt->lock(s->conn, HD_STORE_LOCK_APPEND, error_r) != HD_STORE_OK ||
	    s->vt->query(s->conn, "SELECT head_seq, cut_seq FROM meta WHERE id = 1", NULL, 0,
			 hd_store_row_first, &meta, NULL, error_r) != HD_STORE_OK ||
	    expiry_cut(s, before, meta.v[0], &last, error_r) != HD_STORE_OK)
		goto out;
	if (last <= meta.v[1]) {
		ret = HD_STORE_OK;	/* nothing older than before */
		goto out;
	}
	x_r->first_seq = meta.v[1] + 1;
	x_r->last_seq = last;
	x_r->removed = last - meta.v[1];
	{
		struct hd_sql_param p[] = { p_int(last) };

		if (s->vt->query(s->conn, "SELECT hash FROM records WHERE seq = $1", p, 1,
				 hd_store_row_first, &cut, NULL, error_r) != HD_STORE_OK)
			goto out;
	}
	if (!cut.found || cut.text[0] == NULL || strlen(cut.text[0]) != 64) {
		*error_r = xasprintf("%s: record %lld is missing: the chain is broken (run helpdeskctl "
				     "audit --verify; nothing was removed)", s->vt->name, last);
		goto out;
	}
	memcpy(x_r->cut_hash, cut.text[0], sizeof(x_r->cut_hash));
	if (expiry_checkpoint(s, before, now, x_r, error_r) != HD_STORE_OK)
		goto out;
	{
		struct hd_sql_param pc[] = { p_int(last), p_text(x_r->cut_hash) };
		struct hd_sql_param pd[] = { p_int(last) };

		if (hd_store_run(s, "UPDATE meta SET cut_seq = $1, cut_hash = $2 WHERE id = 1", pc, 2,
				 NULL, error_r) != HD_STORE_OK ||
		    hd_store_run(s, "DELETE FROM records WHERE seq <= $1", pd, 1, NULL,
				 error_r) != HD_STORE_OK)
			goto out;
	}
	{
		struct hd_store_first_row h = { 0 };

		if (s->vt->query(s->conn, "SELECT head_seq FROM meta WHERE id = 1", NULL, 0,
				 hd_store_row_first, &h, NULL, error_r) != HD_STORE_OK)
			goto out;
		x_r->checkpoint_seq = h.v[0];
		hd_store_first_row_free(&h);
	}
	ret = HD_STORE_OK;
out:
	hd_store_first_row_free(&meta);
	hd_store_first_row_free(&cut);
	if (ret == HD_STORE_OK && hd_store_commit(s, error_r) == HD_STORE_OK)
		return HD_STORE_OK;
	hd_store_rollback(s);
	if (ret == HD_STORE_OK)
		memset(x_r, 0, sizeof(*x_r));
	return HD_STORE_ERROR;
}

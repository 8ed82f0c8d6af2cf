/*
 * store-ticket - tickets and the message-ids linked to them: open a ticket
 * once, look one up by any message of its thread, record the first agent
 * reply once. Every write is idempotent so that a retried message changes
 * nothing. It must never close, reopen or delete a ticket, and never move a
 * message-id to another ticket.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store-int.h"
#include "util.h"

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

/* State of one hd_store_ticket_by_message chunk. */
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
	return hd_store_run(s, "INSERT INTO tickets (id, team, priority, customer, opened,"
		   " first_response_due, resolution_due, first_response_at, first_response_by,"
		   " policy_version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
		   " ON CONFLICT (id) DO NOTHING", p, sizeof(p) / sizeof(p[0]), NULL, error_r);
}

/* Does a row exist for this query with one text parameter? */
static int exists(struct hd_store *s, const char *sql, const char *value, char **error_r)
{
	struct hd_sql_param p[1] = { p_text(value) };
	struct hd_store_first_row c = { 0 };

	if (s->vt->query(s->conn, sql, p, 1, hd_store_row_first, &c, NULL, error_r) != HD_STORE_OK)
		return HD_STORE_ERROR;
	hd_store_first_row_free(&c);
	return c.found ? HD_STORE_OK : HD_STORE_NOT_FOUND;
}

/* Record the first agent reply once; later calls change nothing. */
int hd_store_ticket_first_response(struct hd_store *s, const char *id, time_t at,
				   const char *agent, char **error_r)
{
	struct hd_sql_param p[] = { p_text(id), p_int((long long)at), p_text(agent) };
	long long changes = 0;

	if (hd_store_run(s, "UPDATE tickets SET first_response_at = $2, first_response_by = $3"
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
	return hd_store_run(s, "INSERT INTO messages (message_id, ticket) VALUES ($1, $2)"
		   " ON CONFLICT (message_id) DO NOTHING", p, 2, NULL, error_r);
}

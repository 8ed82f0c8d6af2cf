#ifndef HD_STORE_KPI_H
#define HD_STORE_KPI_H
/*
 * store-kpi - the read-only queries behind the KPI report (src/engine/kpi.c),
 * all inside one read snapshot: tickets of a period plus every ticket still
 * waiting for its first reply, an index-only count of one kind, one pass
 * over the records the report counts (only the columns it needs), the
 * exceptions table grouped per (agent, policy, tier, status, approver), and
 * its ids. Never writes.
 */
#include <stdbool.h>
#include <time.h>

struct hd_store;

/* Start a read-only snapshot, so every query of one report sees the same
   store (end it with hd_store_rollback); never takes the write lock. */
int hd_store_kpi_snapshot(struct hd_store *s, char **error_r);

/* One ticket as the report sees it; strings valid during the call only. */
struct hd_kpi_ticket_row {
	const char *id, *team, *priority, *first_response_by;
	time_t opened, first_response_due, resolution_due, first_response_at; /* 0 = none */
};
typedef bool hd_kpi_ticket_fn(const struct hd_kpi_ticket_row *t, void *ctx);
/* Tickets opened in [since, until) (0 = open bound), and, when
   unanswered_before is not 0, also every ticket opened before it that has
   no first reply yet; fn returns false to stop. */
int hd_store_kpi_tickets(struct hd_store *s, time_t since, time_t until,
			 time_t unanswered_before, hd_kpi_ticket_fn *fn, void *ctx,
			 char **error_r);

/* Records of one kind in [since, until), counted (index only). */
int hd_store_kpi_count(struct hd_store *s, const char *kind, time_t since, time_t until,
		       long long *count_r, char **error_r);

/* The records the report counts one by one, in [since, until): kinds
   outbound, tone, handoff, escalation, approval, and exception records with
   action accept (text and detail are set for those only). One pass over
   the table: with an open period a plain scan, which beats an index lookup
   per row once most of the table is read. */
struct hd_kpi_record_row {
	const char *kind, *agent, *rule, *action, *text, *detail;
};
typedef bool hd_kpi_record_fn(const struct hd_kpi_record_row *row, void *ctx);
int hd_store_kpi_records(struct hd_store *s, time_t since, time_t until,
			 hd_kpi_record_fn *fn, void *ctx, char **error_r);

/* Every exception id in the exceptions table (any time), for telling
   exceptions an agent granted alone (only in the records) from the others. */
typedef bool hd_kpi_id_fn(void *ctx, const char *id);
int hd_store_kpi_exception_ids(struct hd_store *s, hd_kpi_id_fn *fn, void *ctx, char **error_r);

/* Exceptions created in [since, until), counted per distinct
   (agent, policy, tier, status, approver). */
struct hd_kpi_exception_row {
	const char *agent, *policy, *status, *approver;
	int tier;
	long long count;
};
typedef bool hd_kpi_exception_fn(const struct hd_kpi_exception_row *e, void *ctx);
int hd_store_kpi_exceptions(struct hd_store *s, time_t since, time_t until,
			    hd_kpi_exception_fn *fn, void *ctx, char **error_r);

#endif

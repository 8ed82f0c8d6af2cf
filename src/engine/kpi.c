/*
 * kpi - compute the KPI report from the store and the policy: first-response
 * attainment overall, per group and per week (a passed due time without a
 * reply is a breach), business-hour median and 90th percentile, the
 * unanswered backlog now, findings and exceptions per agent, rule, tier,
 * policy and approver, escalations per trigger, and each of the policy's
 * KPIs against its target and review date. Renderers only format these
 * numbers; they must never count anything themselves. Reads only.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "policy.h"
#include "calendar.h"
#include "store.h"
#include "store-kpi.h"
#include "kpi.h"

#define KPI_NO_REPLY "(no reply)"
#define KPI_UNKNOWN "(unknown)"
#define KPI_OWN_AUTHORITY "(agent's own authority)"

/* qsort() and bsearch() that accept an empty array with a NULL base
   (passing NULL to them is undefined even when n is 0). */
static void kpi_qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (n > 0)
		qsort(base, n, size, cmp);
}

/* bsearch() on an array that may be empty (NULL base). */
static void *kpi_bsearch(const void *key, const void *base, size_t n, size_t size,
			 int (*cmp)(const void *, const void *))
{
	return n > 0 ? bsearch(key, base, n, size, cmp) : NULL;
}
static const char *const by_names[] = { "team", "priority", "agent", "week" };

/* Name of a --by value. */
const char *hd_kpi_by_name(enum hd_kpi_by by)
{
	return by_names[by];
}

/* Parse a --by value. */
bool hd_kpi_by_parse(const char *s, enum hd_kpi_by *by_r)
{
	for (size_t i = 0; i < sizeof(by_names) / sizeof(by_names[0]); i++)
		if (strcmp(s, by_names[i]) == 0) {
			*by_r = (enum hd_kpi_by)i;
			return true;
		}
	return false;
}

/* Name of a KPI status. */
const char *hd_kpi_status_name(enum hd_kpi_status st)
{
	return st == HD_KPI_MET ? "met" : st == HD_KPI_MISSED ? "missed" : "not measured";
}

/* Backlog age buckets: upper bounds in minutes (the last is open). */
static const long backlog_bounds[HD_KPI_BACKLOG_BUCKETS - 1] = { 60, 240, 480, 1440, 4320, 10080 };
static const char *const backlog_labels[HD_KPI_BACKLOG_BUCKETS] = {
	"under 1h", "1-4h", "4-8h", "8-24h", "1-3 days", "3-7 days", "over 7 days",
};

/* Label of a backlog age bucket. */
const char *hd_kpi_backlog_label(size_t bucket)
{
	return bucket < HD_KPI_BACKLOG_BUCKETS ? backlog_labels[bucket] : "";
}

/* Minutes as "2h05m". */
void hd_kpi_fmt_minutes(long minutes, char buf[32])
{
	if (minutes < 0)
		snprintf(buf, 32, "-");
	else
		snprintf(buf, 32, "%ldh%02ldm", minutes / 60, minutes % 60);
}

/* ISO 8601 week label of a Monday. */
void hd_kpi_week_label(time_t monday, char buf[16])
{
	long thursday = (long)(monday / 86400) + 3;
	int y, m, d;

	civil_from_days(thursday, &y, &m, &d);
	snprintf(buf, 16, "%04d-W%02d", y % 10000, (int)((thursday - days_from_civil(y, 1, 1)) / 7 + 1) % 100);
}

/* Monday 00:00 UTC of the week holding t. */
static time_t week_start(time_t t)
{
	long days = (long)(t >= 0 ? t / 86400 : (t - 86399) / 86400);
	long dow = ((days + 3) % 7 + 7) % 7;	/* 1970-01-01 was a Thursday; 0 = Monday */

	return (time_t)(days - dow) * 86400;
}

/* FNV-1a hash of a string. */
static size_t str_hash(const char *s)
{
	size_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* Key of entry i of an array whose entries start with their key. */
static const char *entry_key(const void *entries, size_t size, size_t i)
{
	return *(char *const *)((const char *)entries + i * size);
}

/* The slot of key among n entries: holding its entry index + 1, or 0 where a
   new entry n goes. The index doubles to stay at most half full. */
static size_t *index_slot(struct hd_kpi_index *x, const void *entries, size_t size, size_t n,
			  const char *key)
{
	size_t i;

	if (2 * (n + 1) > x->nslots) {
		x->nslots = x->nslots ? x->nslots * 2 : 64;
		free(x->slots);
		x->slots = xcalloc(x->nslots, sizeof(*x->slots));
		for (size_t k = 0; k < n; k++) {
			for (i = str_hash(entry_key(entries, size, k)) & (x->nslots - 1); x->slots[i];
			     i = (i + 1) & (x->nslots - 1))
				;
			x->slots[i] = k + 1;
		}
	}
	for (i = str_hash(key) & (x->nslots - 1); x->slots[i]; i = (i + 1) & (x->nslots - 1))
		if (strcmp(entry_key(entries, size, x->slots[i] - 1), key) == 0)
			break;
	return &x->slots[i];
}

/* Free an index's slots. */
static void index_free(struct hd_kpi_index *x)
{
	free(x->slots);
	x->slots = NULL;
	x->nslots = 0;
}

/* Add n to key's count in a tally. */
static void tally_add(struct hd_kpi_tally *t, const char *key, long n)
{
	size_t *slot = index_slot(&t->index, t->v, sizeof(*t->v), t->n, key);

	if (*slot == 0) {
		if (t->n == t->cap) {
			t->cap = t->cap ? t->cap * 2 : 16;
			t->v = xrealloc(t->v, t->cap * sizeof(*t->v));
		}
		t->v[t->n].key = xstrdup(key);
		t->v[t->n].n = 0;
		*slot = ++t->n;
	}
	t->v[*slot - 1].n += n;
	t->total += n;
}

/* Order counts: most first, then by key. */
static int count_cmp(const void *a, const void *b)
{
	const struct hd_kpi_count *x = a, *y = b;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return strcmp(x->key, y->key);
}

/* Order counts by key. */
static int count_key_cmp(const void *a, const void *b)
{
	return strcmp(((const struct hd_kpi_count *)a)->key, ((const struct hd_kpi_count *)b)->key);
}

/* Free a tally's keys and array. */
static void tally_free(struct hd_kpi_tally *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].key);
	free(t->v);
	index_free(&t->index);
	memset(t, 0, sizeof(*t));
}

/* Order most first (by_key: by key), and fold keys beyond HD_KPI_TALLY_MAX
   into one "(N others)" entry; the index is no longer needed. */
static void tally_finish(struct hd_kpi_tally *t, bool by_key)
{
	size_t i;

	index_free(&t->index);
	if (by_key && t->n <= HD_KPI_TALLY_MAX)
		kpi_qsort(t->v, t->n, sizeof(*t->v), count_key_cmp);
	else
		kpi_qsort(t->v, t->n, sizeof(*t->v), count_cmp);
	if (t->n > HD_KPI_TALLY_MAX) {
		long rest = 0;

		for (i = HD_KPI_TALLY_MAX - 1; i < t->n; i++) {
			rest += t->v[i].n;
			free(t->v[i].key);
		}
		t->v[HD_KPI_TALLY_MAX - 1].key = xasprintf("(%zu others)", t->n - (HD_KPI_TALLY_MAX - 1));
		t->v[HD_KPI_TALLY_MAX - 1].n = rest;
		t->n = HD_KPI_TALLY_MAX;
	}
}

/* The group of key in an array of groups, created when new. */
static struct hd_kpi_sla *sla_group(struct hd_kpi_sla **v, size_t *n, const char *key)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*v)[i].key, key) == 0)
			return &(*v)[i];
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	memset(&(*v)[*n], 0, sizeof(**v));
	(*v)[*n].key = xstrdup(key);
	return &(*v)[(*n)++];
}

/* How one ticket counts toward first-response attainment. */
enum fr_status { FR_NONE, FR_MET, FR_BREACHED, FR_UNANSWERED, FR_PENDING };

/* Count one ticket (and its reply time, when answered) into a group. */
static void sla_add(struct hd_kpi_sla *g, enum fr_status st, long minutes)
{
	g->tickets++;
	if (st == FR_MET)
		g->met++;
	else if (st == FR_BREACHED || st == FR_UNANSWERED)
		g->breached++;
	if (st == FR_UNANSWERED)
		g->breached_unanswered++;
	if (st == FR_PENDING)
		g->pending++;
	if (minutes >= 0) {
		if (g->nminutes == g->cminutes) {
			g->cminutes = g->cminutes ? g->cminutes * 2 : 16;
			g->minutes = xrealloc(g->minutes, g->cminutes * sizeof(*g->minutes));
		}
		g->minutes[g->nminutes++] = minutes;
	}
}

/* Ascending longs. */
static int long_cmp(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted values (pct in 1..100). */
static long percentile(const long *v, size_t n, int pct)
{
	size_t rank = (n * (size_t)pct + 99) / 100;

	return n == 0 ? -1 : v[rank > 0 ? rank - 1 : 0];
}

/* Attainment, median and 90th percentile of a group. */
static void sla_finish(struct hd_kpi_sla *g)
{
	kpi_qsort(g->minutes, g->nminutes, sizeof(*g->minutes), long_cmp);
	g->median = percentile(g->minutes, g->nminutes, 50);
	g->p90 = percentile(g->minutes, g->nminutes, 90);
	g->attainment = g->met + g->breached ? 100.0 * (double)g->met / (double)(g->met + g->breached) : -1;
}

/* Free a group's members. */
static void sla_free(struct hd_kpi_sla *g)
{
	free(g->key);
	free(g->minutes);
}

/* Order groups by key (weeks sort by their label, which is chronological). */
static int sla_cmp(const void *a, const void *b)
{
	return strcmp(((const struct hd_kpi_sla *)a)->key, ((const struct hd_kpi_sla *)b)->key);
}

/* Oldest first. */
static int open_cmp(const void *a, const void *b)
{
	const struct hd_kpi_open *x = a, *y = b;

	if (x->opened != y->opened)
		return x->opened < y->opened ? -1 : 1;
	return strcmp(x->ticket, y->ticket);
}

/* An exception applied in a reply (kind exception, action accept). */
struct applied {
	char *id, *agent, *policy;
	int tier;
};

/* The report being built and what the callbacks need. */
struct build {
	const struct hd_policy *p;
	struct hd_kpi_report *r;
	size_t copen;
	struct applied *applied;	/* applied exceptions, for build_granted */
	size_t napplied, capplied;
	struct strvec table_ids;	/* ids in the exceptions table */
	struct hd_kpi_index agents;	/* index of r->agents (agent_of) */
};

/* The agent entry for an address, created when new. */
static struct hd_kpi_agent *agent_of(struct build *b, const char *agent)
{
	struct hd_kpi_report *r = b->r;
	size_t *slot = index_slot(&b->agents, r->agents, sizeof(*r->agents), r->nagents, agent);

	if (*slot == 0) {
		r->agents = xrealloc(r->agents, (r->nagents + 1) * sizeof(*r->agents));
		memset(&r->agents[r->nagents], 0, sizeof(r->agents[0]));
		r->agents[r->nagents].agent = xstrdup(agent);
		*slot = ++r->nagents;
	}
	return &r->agents[*slot - 1];
}

/* The clock of a ticket: its team's calendar, wall or business time, and
   the first-response target in minutes (-1 when the policy has none). */
static void ticket_clock(const struct hd_policy *p, const char *team_name, const char *prio_name,
			 const struct hd_calendar **cal_r, bool *wall_r, long *target_r)
{
	const struct hd_team *team = hd_policy_team(p, team_name ? team_name : "");
	const struct hd_priority *prio = hd_policy_priority(p, prio_name ? prio_name : "");
	const struct hd_sla_target *tg = prio ? hd_policy_sla(p, "email", prio) : NULL;

	*cal_r = team ? team->calendar : NULL;
	*wall_r = tg == NULL || tg->wall || *cal_r == NULL;
	*target_r = tg ? tg->first_response : -1;
}

/* Count an unanswered ticket into the backlog now, and list it when overdue or at risk. */
static void backlog_add(struct build *b, const struct hd_kpi_ticket_row *t,
			const struct hd_calendar *cal, bool wall, long target)
{
	struct hd_kpi_report *r = b->r;
	long age = (long)((r->at - t->opened) / 60), elapsed;
	size_t k;
	bool overdue;

	r->awaiting++;
	for (k = 0; k < HD_KPI_BACKLOG_BUCKETS - 1 && age >= backlog_bounds[k]; k++)
		;
	r->backlog[k]++;
	if (t->first_response_due == 0)
		return;
	overdue = r->at > t->first_response_due;
	/* An overdue ticket's elapsed time can span months of calendar: it is
	   worked out only for the tickets listed (build_finish). At risk needs
	   the target: a priority the policy no longer has only shows when overdue. */
	elapsed = overdue ? -1 : hd_calendar_elapsed(cal, t->opened, r->at, wall) / 60;
	if (!overdue && (target < 0 || elapsed * 100 < target * HD_KPI_AT_RISK_PERCENT))
		return;
	overdue ? r->overdue++ : r->at_risk++;
	if (r->nopen == b->copen) {
		b->copen = b->copen ? b->copen * 2 : 16;
		r->open = xrealloc(r->open, b->copen * sizeof(*r->open));
	}
	r->open[r->nopen++] = (struct hd_kpi_open){
		.ticket = xstrdup(t->id), .team = xstrdup(t->team ? t->team : KPI_UNKNOWN),
		.priority = xstrdup(t->priority ? t->priority : KPI_UNKNOWN),
		.opened = t->opened, .due = t->first_response_due, .elapsed = elapsed,
		.target = target, .overdue = overdue,
	};
}

/* Count one ticket: attainment and times when opened in the period, backlog when unanswered. */
static bool on_ticket(const struct hd_kpi_ticket_row *t, void *ctx)
{
	struct build *b = ctx;
	struct hd_kpi_report *r = b->r;
	const struct hd_calendar *cal;
	bool wall, answered = t->first_response_at != 0 && t->first_response_at <= r->at;
	long target, minutes = -1;
	enum fr_status st = FR_NONE;
	const char *gkey;
	char wk[16];

	ticket_clock(b->p, t->team, t->priority, &cal, &wall, &target);

	if (!answered && t->opened < r->at)
		backlog_add(b, t, cal, wall, target);
	if (t->opened < r->since || (r->until != 0 && t->opened >= r->until))
		return true;
	if (answered) {
		minutes = hd_calendar_elapsed(cal, t->opened, t->first_response_at, wall) / 60;
		if (t->first_response_due != 0)
			st = t->first_response_at <= t->first_response_due ? FR_MET : FR_BREACHED;
		else if (target >= 0)
			st = minutes <= target ? FR_MET : FR_BREACHED;
	} else if (t->first_response_due != 0) {
		st = r->at > t->first_response_due ? FR_UNANSWERED : FR_PENDING;
	}
	switch (r->by) {
	case HD_KPI_BY_TEAM: gkey = t->team; break;
	case HD_KPI_BY_PRIORITY: gkey = t->priority; break;
	case HD_KPI_BY_AGENT: gkey = answered ? t->first_response_by : KPI_NO_REPLY; break;
	default: gkey = NULL; break;
	}
	hd_kpi_week_label(week_start(t->opened), wk);
	if (r->by == HD_KPI_BY_WEEK)
		gkey = wk;
	sla_add(&r->total, st, minutes);
	sla_add(sla_group(&r->groups, &r->ngroups, gkey ? gkey : KPI_UNKNOWN), st, minutes);
	struct hd_kpi_sla *w = sla_group(&r->weeks, &r->nweeks, wk);
	w->week_start = week_start(t->opened);
	sla_add(w, st, minutes);
	return true;
}

/* Count triggers of one escalation record ("a,b" when two fired together). */
static void count_escalation(struct hd_kpi_report *r, const char *rule)
{
	const char *p = rule ? rule : KPI_UNKNOWN;

	for (;;) {
		size_t len = strcspn(p, ",");
		char *one = xstrndup(p, len);

		tally_add(&r->escalations_by_trigger, one, 1);
		free(one);
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
}

/* Keep an applied exception for the granted-alone count (build_granted). */
static void keep_applied(struct build *b, const struct hd_kpi_record_row *row)
{
	const char *t = row->detail ? strstr(row->detail, "\"tier\":") : NULL;

	if (row->rule == NULL)
		return;
	if (b->napplied == b->capplied) {
		b->capplied = b->capplied ? b->capplied * 2 : 16;
		b->applied = xrealloc(b->applied, b->capplied * sizeof(*b->applied));
	}
	b->applied[b->napplied++] = (struct applied){
		.id = xstrdup(row->rule), .agent = row->agent ? xstrdup(row->agent) : NULL,
		.policy = xstrdup(row->text ? row->text : KPI_UNKNOWN), .tier = t ? atoi(t + 7) : 0,
	};
}

/* Count one record: replies, findings, refusals, escalations, approvals. */
static bool on_record(const struct hd_kpi_record_row *row, void *ctx)
{
	struct build *b = ctx;
	struct hd_kpi_report *r = b->r;
	bool refused = row->action && strcmp(row->action, "reject") == 0;
	/* agents are listed for what they wrote, not for approving */
	struct hd_kpi_agent *a = row->agent && strcmp(row->kind, "approval") != 0 &&
				 strcmp(row->kind, "exception") != 0 ? agent_of(b, row->agent) : NULL;

	if (strcmp(row->kind, "outbound") == 0) {
		/* a refused message never reached the customer: not a reply */
		if (!refused) {
			r->replies++;
			if (a)
				a->replies++;
		}
	} else if (strcmp(row->kind, "tone") == 0) {
		if (a)
			a->tone++;
		tally_add(&r->tone_by_rule, row->rule ? row->rule : KPI_UNKNOWN, 1);
	} else if (strcmp(row->kind, "handoff") == 0) {
		r->handoff_refusals++;
		if (a)
			a->handoff++;
	} else if (strcmp(row->kind, "escalation") == 0) {
		count_escalation(r, row->rule);
	} else if (strcmp(row->kind, "approval") == 0) {
		if (row->action && strcmp(row->action, "approve") == 0)
			tally_add(&r->approvals_by_approver, row->agent ? row->agent : KPI_UNKNOWN, 1);
	} else if (strcmp(row->kind, "exception") == 0) {
		keep_applied(b, row);
	}
	return true;
}

/* Remember an id of the exceptions table. */
static bool on_exception_id(void *ctx, const char *id)
{
	sv_push(&((struct build *)ctx)->table_ids, id);
	return true;
}

/* strcmp on pointers to strings. */
static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Order applied exceptions by id. */
static int applied_cmp(const void *a, const void *b)
{
	return strcmp(((const struct applied *)a)->id, ((const struct applied *)b)->id);
}

/* Count exceptions per agent, tier, policy, status and approver. */
static bool on_exception(const struct hd_kpi_exception_row *e, void *ctx)
{
	struct build *b = ctx;
	struct hd_kpi_report *r = b->r;
	long n = (long)e->count;
	char tier[32];

	snprintf(tier, sizeof(tier), "tier %d", e->tier);
	if (e->agent)
		agent_of(b, e->agent)->exceptions += n;
	tally_add(&r->exc_by_tier, tier, n);
	tally_add(&r->exc_by_policy, e->policy ? e->policy : KPI_UNKNOWN, n);
	tally_add(&r->exc_by_status, e->status ? e->status : KPI_UNKNOWN, n);
	if (e->approver)
		tally_add(&r->exc_by_approver, e->approver, n);
	return true;
}

/* Count exceptions applied without an entry in the exceptions table (when
   count): an agent granted them alone. Each id once (a retried message
   repeats it). Frees what the count needed either way. */
static void build_granted(struct build *b, bool count)
{
	struct strvec *ids = &b->table_ids;

	kpi_qsort(ids->v, ids->n, sizeof(*ids->v), str_cmp);
	kpi_qsort(b->applied, b->napplied, sizeof(*b->applied), applied_cmp);
	for (size_t i = 0; count && i < b->napplied; i++) {
		const struct applied *x = &b->applied[i];
		const char *key = x->id;

		if ((i == 0 || strcmp(b->applied[i - 1].id, x->id) != 0) &&
		    kpi_bsearch(&key, ids->v, ids->n, sizeof(*ids->v), str_cmp) == NULL) {
			struct hd_kpi_exception_row e = {
				.agent = x->agent, .policy = x->policy, .status = "granted",
				.approver = KPI_OWN_AUTHORITY, .tier = x->tier, .count = 1,
			};
			on_exception(&e, b);
		}
	}
	for (size_t i = 0; i < b->napplied; i++) {
		free(b->applied[i].id);
		free(b->applied[i].agent);
		free(b->applied[i].policy);
	}
	free(b->applied);
	sv_free(ids);
}

/* Order agents by address. */
static int agent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct hd_kpi_agent *)a)->agent, ((const struct hd_kpi_agent *)b)->agent);
}

/* Query everything the report counts; false with *error_r on a store error. */
static bool build_query(struct build *b, struct hd_store *s, char **error_r)
{
	struct hd_kpi_report *r = b->r;
	long long inbound = 0;
	bool ok;

	if (hd_store_kpi_snapshot(s, error_r) != HD_STORE_OK)
		return false;
	ok = hd_store_kpi_tickets(s, r->since, r->until, r->at, on_ticket, b, error_r) == HD_STORE_OK &&
	     hd_store_kpi_count(s, "inbound", r->since, r->until, &inbound, error_r) == HD_STORE_OK &&
	     hd_store_kpi_records(s, r->since, r->until, on_record, b, error_r) == HD_STORE_OK &&
	     hd_store_kpi_exceptions(s, r->since, r->until, on_exception, b, error_r) == HD_STORE_OK &&
	     hd_store_kpi_exception_ids(s, on_exception_id, b, error_r) == HD_STORE_OK;
	hd_store_rollback(s);	/* read only: nothing to commit */
	r->inbound = (long)inbound;
	build_granted(b, ok);
	return ok;
}

/* Sort and finish every figure after counting. */
static void build_finish(const struct hd_policy *p, struct hd_kpi_report *r)
{
	sla_finish(&r->total);
	for (size_t i = 0; i < r->ngroups; i++)
		sla_finish(&r->groups[i]);
	for (size_t i = 0; i < r->nweeks; i++)
		sla_finish(&r->weeks[i]);
	kpi_qsort(r->groups, r->ngroups, sizeof(*r->groups), sla_cmp);
	kpi_qsort(r->weeks, r->nweeks, sizeof(*r->weeks), sla_cmp);
	kpi_qsort(r->open, r->nopen, sizeof(*r->open), open_cmp);
	while (r->nopen > HD_KPI_OPEN_LIST_MAX) {
		r->nopen--;
		free(r->open[r->nopen].ticket);
		free(r->open[r->nopen].team);
		free(r->open[r->nopen].priority);
	}
	for (size_t i = 0; i < r->nopen; i++) {
		struct hd_kpi_open *o = &r->open[i];
		const struct hd_calendar *cal;
		bool wall;
		long target;

		if (o->elapsed >= 0)
			continue;
		ticket_clock(p, o->team, o->priority, &cal, &wall, &target);
		o->elapsed = hd_calendar_elapsed(cal, o->opened, r->at, wall) / 60;
	}
	kpi_qsort(r->agents, r->nagents, sizeof(*r->agents), agent_cmp);
	for (size_t i = 0; i < r->nagents; i++)
		r->agents[i].exception_rate = r->agents[i].replies
			? (double)r->agents[i].exceptions / (double)r->agents[i].replies : -1;
	struct hd_kpi_tally *t[] = { &r->tone_by_rule, &r->exc_by_policy, &r->exc_by_approver,
				     &r->exc_by_status, &r->escalations_by_trigger, &r->approvals_by_approver };
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		tally_finish(t[i], false);
	tally_finish(&r->exc_by_tier, true);	/* tiers read best in tier order */
}

/* Compute the report. */
int hd_kpi_report_build(const struct hd_policy *p, struct hd_store *s, time_t since,
			time_t until, time_t at, enum hd_kpi_by by,
			struct hd_kpi_report **report_r, char **error_r)
{
	struct hd_kpi_report *r = xcalloc(1, sizeof(*r));
	struct build b = { .p = p, .r = r };

	sv_init(&b.table_ids);

	r->since = since;
	r->until = until;
	r->at = at;
	r->by = by;
	r->policy_name = p->name;
	r->policy_version = p->version;
	r->total.key = xstrdup("all");
	r->not_measured_note = "next-reply and resolution times (with pauses) need ticket-state "
			       "records, which this store does not hold";
	if (!build_query(&b, s, error_r)) {
		index_free(&b.agents);
		hd_kpi_report_free(&r);
		return -1;
	}
	index_free(&b.agents);
	build_finish(p, r);
	hd_kpi_measure(p, r);
	*report_r = r;
	return 0;
}

/* Free a report; sets *rp to NULL. */
void hd_kpi_report_free(struct hd_kpi_report **rp)
{
	struct hd_kpi_report *r = *rp;

	if (r == NULL)
		return;
	sla_free(&r->total);
	for (size_t i = 0; i < r->ngroups; i++)
		sla_free(&r->groups[i]);
	free(r->groups);
	for (size_t i = 0; i < r->nweeks; i++)
		sla_free(&r->weeks[i]);
	free(r->weeks);
	for (size_t i = 0; i < r->nopen; i++) {
		free(r->open[i].ticket);
		free(r->open[i].team);
		free(r->open[i].priority);
	}
	free(r->open);
	for (size_t i = 0; i < r->nagents; i++)
		free(r->agents[i].agent);
	free(r->agents);
	tally_free(&r->tone_by_rule);
	tally_free(&r->exc_by_tier);
	tally_free(&r->exc_by_policy);
	tally_free(&r->exc_by_approver);
	tally_free(&r->exc_by_status);
	tally_free(&r->escalations_by_trigger);
	tally_free(&r->approvals_by_approver);
	for (size_t i = 0; i < r->nkpis; i++)
		free(r->kpis[i].note);
	free(r->kpis);
	free(r);
	*rp = NULL;
}

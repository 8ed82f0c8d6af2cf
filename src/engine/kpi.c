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

/* Add n to key's count in a tally. */
static void tally_add(struct hd_kpi_tally *t, const char *key, long n)
{
	size_t i;

	for (i = 0; i < t->n && strcmp(t->v[i].key, key) != 0; i++)
		;
	if (i == t->n) {
		t->v = xrealloc(t->v, (t->n + 1) * sizeof(*t->v));
		t->v[t->n].key = xstrdup(key);
		t->v[t->n++].n = 0;
	}
	t->v[i].n += n;
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
	memset(t, 0, sizeof(*t));
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
	qsort(g->minutes, g->nminutes, sizeof(*g->minutes), long_cmp);
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

/* The report being built and what the callbacks need. */
struct build {
	const struct hd_policy *p;
	struct hd_kpi_report *r;
	size_t copen;
};

/* The agent entry for an address, created when new. */
static struct hd_kpi_agent *agent_of(struct hd_kpi_report *r, const char *agent)
{
	for (size_t i = 0; i < r->nagents; i++)
		if (strcmp(r->agents[i].agent, agent) == 0)
			return &r->agents[i];
	r->agents = xrealloc(r->agents, (r->nagents + 1) * sizeof(*r->agents));
	memset(&r->agents[r->nagents], 0, sizeof(r->agents[0]));
	r->agents[r->nagents].agent = xstrdup(agent);
	return &r->agents[r->nagents++];
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
	elapsed = hd_calendar_elapsed(cal, t->opened, r->at, wall) / 60;
	overdue = r->at > t->first_response_due;
	/* at risk needs the target: a priority the policy no longer has only shows when overdue */
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
	const struct hd_team *team = hd_policy_team(b->p, t->team ? t->team : "");
	const struct hd_priority *prio = hd_policy_priority(b->p, t->priority ? t->priority : "");
	const struct hd_sla_target *tg = prio ? hd_policy_sla(b->p, "email", prio) : NULL;
	const struct hd_calendar *cal = team ? team->calendar : NULL;
	bool wall = tg == NULL || tg->wall || cal == NULL;
	bool answered = t->first_response_at != 0 && t->first_response_at <= r->at;
	long target = tg ? tg->first_response : -1, minutes = -1;
	enum fr_status st = FR_NONE;
	const char *gkey;
	char wk[16];

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

/* Count inbound messages. */
static bool on_inbound(void *ctx, const char *agent, const char *rule, const char *action, long long n)
{
	((struct hd_kpi_report *)ctx)->inbound += (long)n;
	return true;
}

/* Count an agent's replies. */
static bool on_outbound(void *ctx, const char *agent, const char *rule, const char *action, long long n)
{
	struct hd_kpi_report *r = ctx;

	/* a refused message never reached the customer: not a reply */
	if (action && strcmp(action, "reject") == 0)
		return true;
	r->replies += (long)n;
	if (agent)
		agent_of(r, agent)->replies += (long)n;
	return true;
}

/* Count tone findings per agent and per rule. */
static bool on_tone(void *ctx, const char *agent, const char *rule, const char *action, long long n)
{
	struct hd_kpi_report *r = ctx;

	if (agent)
		agent_of(r, agent)->tone += (long)n;
	tally_add(&r->tone_by_rule, rule ? rule : KPI_UNKNOWN, (long)n);
	return true;
}

/* Count hand-off refusals per agent. */
static bool on_handoff(void *ctx, const char *agent, const char *rule, const char *action, long long n)
{
	struct hd_kpi_report *r = ctx;

	r->handoff_refusals += (long)n;
	if (agent)
		agent_of(r, agent)->handoff += (long)n;
	return true;
}

/* Count escalations per trigger ("a,b" when two fired together). */
static bool on_escalation(void *ctx, const char *agent, const char *rule, const char *action, long long n)
{
	struct hd_kpi_report *r = ctx;
	const char *p = rule ? rule : KPI_UNKNOWN;

	for (;;) {
		size_t len = strcspn(p, ",");
		char *one = xstrndup(p, len);

		tally_add(&r->escalations_by_trigger, one, (long)n);
		free(one);
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
	return true;
}

/* Count approvals sent per approver. */
static bool on_approval(void *ctx, const char *agent, const char *rule, const char *action, long long n)
{
	struct hd_kpi_report *r = ctx;

	if (action && strcmp(action, "approve") == 0)
		tally_add(&r->approvals_by_approver, agent ? agent : KPI_UNKNOWN, (long)n);
	return true;
}

/* Count exceptions per agent, tier, policy, status and approver. */
static bool on_exception(const struct hd_kpi_exception_row *e, void *ctx)
{
	struct hd_kpi_report *r = ctx;
	long n = (long)e->count;
	char tier[32];

	snprintf(tier, sizeof(tier), "tier %d", e->tier);
	if (e->agent)
		agent_of(r, e->agent)->exceptions += n;
	tally_add(&r->exc_by_tier, tier, n);
	tally_add(&r->exc_by_policy, e->policy ? e->policy : KPI_UNKNOWN, n);
	tally_add(&r->exc_by_status, e->status ? e->status : KPI_UNKNOWN, n);
	if (e->approver)
		tally_add(&r->exc_by_approver, e->approver, n);
	return true;
}

/* Count exceptions an agent granted within their own authority. */
static bool on_granted(void *ctx, const char *agent, const char *policy, const char *detail, long long n)
{
	const char *t = detail ? strstr(detail, "\"tier\":") : NULL;
	struct hd_kpi_exception_row e = {
		.agent = agent, .policy = policy, .status = "granted", .approver = KPI_OWN_AUTHORITY,
		.tier = t ? atoi(t + 7) : 0, .count = n,
	};

	return on_exception(&e, ctx);
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
	static const struct {
		const char *kind;
		hd_kpi_count_fn *fn;
	} kinds[] = {
		{ "inbound", on_inbound }, { "outbound", on_outbound }, { "tone", on_tone },
		{ "handoff", on_handoff }, { "escalation", on_escalation }, { "approval", on_approval },
	};

	if (hd_store_kpi_snapshot(s, error_r) != HD_STORE_OK)
		return false;
	if (hd_store_kpi_tickets(s, r->since, r->until, r->at, on_ticket, b, error_r) != HD_STORE_OK)
		goto fail;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (hd_store_kpi_count_records(s, kinds[i].kind, r->since, r->until, kinds[i].fn, r,
					       error_r) != HD_STORE_OK)
			goto fail;
	if (hd_store_kpi_exceptions(s, r->since, r->until, on_exception, r, error_r) != HD_STORE_OK ||
	    hd_store_kpi_granted(s, r->since, r->until, on_granted, r, error_r) != HD_STORE_OK)
		goto fail;
	hd_store_rollback(s);	/* read only: nothing to commit */
	return true;
fail:
	hd_store_rollback(s);
	return false;
}

/* Sort and finish every figure after counting. */
static void build_finish(struct hd_kpi_report *r)
{
	sla_finish(&r->total);
	for (size_t i = 0; i < r->ngroups; i++)
		sla_finish(&r->groups[i]);
	for (size_t i = 0; i < r->nweeks; i++)
		sla_finish(&r->weeks[i]);
	qsort(r->groups, r->ngroups, sizeof(*r->groups), sla_cmp);
	qsort(r->weeks, r->nweeks, sizeof(*r->weeks), sla_cmp);
	qsort(r->open, r->nopen, sizeof(*r->open), open_cmp);
	while (r->nopen > HD_KPI_OPEN_LIST_MAX) {
		r->nopen--;
		free(r->open[r->nopen].ticket);
		free(r->open[r->nopen].team);
		free(r->open[r->nopen].priority);
	}
	qsort(r->agents, r->nagents, sizeof(*r->agents), agent_cmp);
	for (size_t i = 0; i < r->nagents; i++)
		r->agents[i].exception_rate = r->agents[i].replies
			? (double)r->agents[i].exceptions / (double)r->agents[i].replies : -1;
	struct hd_kpi_tally *t[] = { &r->tone_by_rule, &r->exc_by_tier, &r->exc_by_policy,
				     &r->exc_by_approver, &r->exc_by_status,
				     &r->escalations_by_trigger, &r->approvals_by_approver };
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		qsort(t[i]->v, t[i]->n, sizeof(*t[i]->v), count_cmp);
	/* tiers read best in tier order */
	qsort(r->exc_by_tier.v, r->exc_by_tier.n, sizeof(*r->exc_by_tier.v), count_key_cmp);
}

/* Compute the report. */
int hd_kpi_report_build(const struct hd_policy *p, struct hd_store *s, time_t since,
			time_t until, time_t at, enum hd_kpi_by by,
			struct hd_kpi_report **report_r, char **error_r)
{
	struct hd_kpi_report *r = xcalloc(1, sizeof(*r));
	struct build b = { .p = p, .r = r };

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
		hd_kpi_report_free(&r);
		return -1;
	}
	build_finish(r);
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

/*
 * fuzz-audit - what helpdeskctl audit and report read from the command line:
 * RFC 3339 times (time_parse_rfc3339, with the date-only form of
 * ctl_parse_when) and the audit filter the store turns into SQL
 * (hd_store_audit). The input's lines are ticket, team, priority, agent,
 * rule, kind, message-id, queue-id, action, since, until, limit; an empty
 * line leaves that filter open. Checks: a parsed time formats and parses
 * back to itself; every record the store returns satisfies the filter.
 */
#include <config.h>
#include "fuzz.h"
#include "store.h"
#include <stdio.h>
#include <strings.h>

#define FUZZ_FIELDS 12
#define FUZZ_T0 1795000000	/* 2026-11-18: the records' first time */

static struct hd_store *fuzz_store;

/* Once per process: an in-memory store with a few varied records. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const kinds[] = { "inbound", "outbound", "tone", "sla" };
	static const char *const teams[] = { "billing", "technical", "" };
	char *err = NULL, ticket[32], agent[64];

	log_set_sink(NULL, LOG_LVL_ERROR);
	fuzz_store = hd_store_open(":memory:", &err);
	if (fuzz_store == NULL) {
		fprintf(stderr, "fuzz-audit: %s\n", err);
		abort();
	}
	for (int i = 0; i < 24; i++) {
		snprintf(ticket, sizeof(ticket), "HD-%d", i % 5);
		snprintf(agent, sizeof(agent), "agent%d@support.example.com", i % 3);
		struct hd_record r = { .at = FUZZ_T0 + i * 3600, .kind = kinds[i % 4], .queue_id = "Q1",
				       .message_id = i % 2 ? "m1@x" : "m2@x", .ticket = ticket,
				       .team = teams[i % 3], .priority = i % 2 ? "high" : "standard",
				       .agent = agent, .rule = "r", .action = i % 3 ? "tag" : "reject",
				       .text = "t", .policy_name = "p", .policy_version = "1" };
		if (hd_store_append(fuzz_store, &r, &err) != HD_STORE_OK) {
			fprintf(stderr, "fuzz-audit: %s\n", err);
			abort();
		}
	}
	return 0;
}

/* ctl_parse_when's rule: an RFC 3339 time, or a date meaning its midnight UTC. */
static bool fuzz_parse_when(const char *s, time_t *t_r)
{
	char buf[64];

	if (time_parse_rfc3339(s, t_r))
		return true;
	snprintf(buf, sizeof(buf), "%sT00:00:00Z", s);
	return time_parse_rfc3339(buf, t_r);
}

/* A parsed time within years 0000-9999 formats and parses back to itself. */
static void fuzz_time_check(time_t t)
{
	char buf[32];
	time_t back;

	if (t < -62167219200LL || t > 253402300799LL)
		return;
	time_format_utc(t, buf);
	props_require("fuzz-audit", !time_parse_rfc3339(buf, &back) ? "a formatted time does not parse" : NULL);
	props_require("fuzz-audit", back != t ? "a time does not survive format and parse" : NULL);
}

/* Equal when the filter is open (NULL) or the values are equal. */
static bool fuzz_eq(const char *want, const char *got, bool ci)
{
	if (want == NULL)
		return true;
	if (got == NULL)
		return false;
	return ci ? strcasecmp(want, got) == 0 : strcmp(want, got) == 0;
}

/* Every row satisfies the filter. */
static bool fuzz_row_cb(const struct hd_audit_row *row, void *ctx)
{
	const struct hd_audit_filter *f = ctx;

	props_require("fuzz-audit", !fuzz_eq(f->ticket, row->ticket, false) || !fuzz_eq(f->team, row->team, false) ||
		      !fuzz_eq(f->priority, row->priority, false) || !fuzz_eq(f->agent, row->agent, true) ||
		      !fuzz_eq(f->rule, row->rule, false) || !fuzz_eq(f->kind, row->kind, false) ||
		      !fuzz_eq(f->message_id, row->message_id, false) ||
		      !fuzz_eq(f->queue_id, row->queue_id, false) || !fuzz_eq(f->action, row->action, false) ?
		      "a record that does not match the filter" : NULL);
	props_require("fuzz-audit", (f->since != 0 && row->at < f->since) || (f->until != 0 && row->at >= f->until) ?
		      "a record outside since/until" : NULL);
	return true;
}

/* Count rows. */
static bool fuzz_count_cb(const struct hd_audit_row *row, void *ctx)
{
	fuzz_row_cb(row, ((void **)ctx)[0]);
	(*(size_t *)((void **)ctx)[1])++;
	return true;
}

/* One input. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size), *field[FUZZ_FIELDS] = { 0 }, *p = s, *err = NULL;
	struct hd_audit_filter f = { 0 };
	size_t rows = 0;
	time_t t;
	double t0 = props_cpu_seconds();

	for (int i = 0; i < FUZZ_FIELDS && p != NULL; i++) {
		char *nl = strchr(p, '\n');
		if (nl != NULL)
			*nl = '\0';
		field[i] = *p != '\0' ? p : NULL;
		p = nl != NULL ? nl + 1 : NULL;
	}
	for (int i = 0; i < FUZZ_FIELDS; i++)
		if (field[i] != NULL && time_parse_rfc3339(field[i], &t))
			fuzz_time_check(t);
	f.ticket = field[0];
	f.team = field[1];
	f.priority = field[2];
	f.agent = field[3];
	f.rule = field[4];
	f.kind = field[5];
	f.message_id = field[6];
	f.queue_id = field[7];
	f.action = field[8];
	if (field[9] != NULL && fuzz_parse_when(field[9], &t))
		f.since = t;
	if (field[10] != NULL && fuzz_parse_when(field[10], &t))
		f.until = t;
	if (field[11] != NULL)
		f.limit = strtoul(field[11], NULL, 10) % 100;
	void *ctx[2] = { &f, &rows };
	props_require("fuzz-audit", hd_store_audit(fuzz_store, &f, fuzz_count_cb, ctx, &err) != HD_STORE_OK ?
		      "the audit query failed" : NULL);
	props_require("fuzz-audit", f.limit != 0 && rows > f.limit ? "more rows than the limit" : NULL);
	free(s);
	props_require("fuzz-audit", props_time_within(props_cpu_seconds() - t0, size));
	return 0;
}

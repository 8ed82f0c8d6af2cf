/*
 * bench-store - how the audit store scales: build a store of N records
 * (default 1,000,000) in batched transactions with a realistic spread of
 * teams, agents, kinds, tickets and times, then time the audit queries
 * helpdeskctl runs (by ticket, agent+kind, time range, rule; best of R) and a
 * full verify. Standalone: not part of make check. It must never be pointed
 * at a production store (it appends synthetic records).
 *
 * usage: bench-store STORE-URI [RECORDS [BATCH [REPEATS]]]
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store.h"
#include "util.h"

#define BENCH_TEAMS 8
#define BENCH_AGENTS 200
#define BENCH_RULES 40
#define BENCH_RECORDS_PER_TICKET 8
#define BENCH_START 1767225600		/* 2026-01-01T00:00:00Z */
#define BENCH_SPAN (365 * 86400)

static const char *const teams[BENCH_TEAMS] = {
	"billing", "sales", "tech", "returns", "shipping", "accounts", "enterprise", "vip",
};
static const char *const priorities[] = { "low", "normal", "normal", "normal", "high", "critical" };
/* Kinds weighted as mail would produce them. */
static const char *const kinds[] = {
	"inbound", "inbound", "inbound", "inbound", "outbound", "outbound", "outbound",
	"tone", "tone", "authority", "exception", "approval", "sla", "sla", "handoff",
	"escalation",
};

/* Wall-clock seconds. */
static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Small deterministic PRNG (xorshift64*). */
static unsigned long long rnd(unsigned long long *st)
{
	*st ^= *st >> 12;
	*st ^= *st << 25;
	*st ^= *st >> 27;
	return *st * 2685821657736338717ULL;
}

/* Count rows. */
static bool count_fn(const struct hd_audit_row *row, void *ctx)
{
	(*(long long *)ctx)++;
	return true;
}

/* Run one filter R times; print best time and row count. */
static void bench_query(struct hd_store *s, const char *label, const struct hd_audit_filter *f,
			int repeats)
{
	double best = 1e9;
	long long rows = 0;

	for (int i = 0; i < repeats; i++) {
		char *error = NULL;
		double t0 = now();

		rows = 0;
		if (hd_store_audit(s, f, count_fn, &rows, &error) != HD_STORE_OK) {
			fprintf(stderr, "audit %s: %s\n", label, error);
			exit(1);
		}
		if (now() - t0 < best)
			best = now() - t0;
	}
	printf("  %-34s %8lld rows  best of %d: %9.3f ms\n", label, rows, repeats, best * 1e3);
}

int main(int argc, char **argv)
{
	const char *uri;
	long long n, batch;
	int repeats;
	struct hd_store *s;
	char *error = NULL, *problem = NULL;
	unsigned long long st = 0x9e3779b97f4a7c15ULL;
	char ticket[32], agent[32], rule[32], qid[32], mid[64], text[128];
	double t0, t1;
	long long checked, bad;

	if (argc < 2) {
		fprintf(stderr, "usage: %s STORE-URI [RECORDS [BATCH [REPEATS]]]\n", argv[0]);
		return 2;
	}
	uri = argv[1];
	n = argc > 2 ? atoll(argv[2]) : 1000000;
	batch = argc > 3 ? atoll(argv[3]) : 1000;
	repeats = argc > 4 ? atoi(argv[4]) : 5;
	if (n <= 0 || batch <= 0 || repeats <= 0) {
		fprintf(stderr, "bench-store: bad numbers\n");
		return 2;
	}
	s = hd_store_open(uri, &error);
	if (s == NULL) {
		fprintf(stderr, "bench-store: %s\n", error);
		return 1;
	}
	printf("store %s (%s): %lld records, %lld per transaction\n", uri, hd_store_backend(s),
	       n, batch);

	t0 = now();
	for (long long i = 0; i < n; i++) {
		struct hd_record r;
		unsigned long long x = rnd(&st);
		long long tk = i / BENCH_RECORDS_PER_TICKET + (long long)(x % 5);

		if (i % batch == 0 && hd_store_begin(s, &error) != HD_STORE_OK)
			goto fail;
		snprintf(ticket, sizeof(ticket), "T-%07lld", tk);
		snprintf(agent, sizeof(agent), "agent%03llu", (x >> 8) % BENCH_AGENTS);
		snprintf(rule, sizeof(rule), "rule-%02llu", (x >> 20) % BENCH_RULES);
		snprintf(qid, sizeof(qid), "4F%010llX", x & 0xffffffffffULL);
		snprintf(mid, sizeof(mid), "<%016llx@mail.example.com>", x);
		snprintf(text, sizeof(text), "synthetic finding %lld for %s", i, ticket);
		r = (struct hd_record){
			.at = BENCH_START + (time_t)(i * (long long)BENCH_SPAN / n),
			.kind = kinds[(x >> 32) % (sizeof(kinds) / sizeof(kinds[0]))],
			.queue_id = qid, .message_id = mid, .ticket = ticket,
			.team = teams[tk % BENCH_TEAMS],
			.priority = priorities[tk % (sizeof(priorities) / sizeof(priorities[0]))],
			.agent = (x >> 40) % 4 == 0 ? NULL : agent,
			.rule = (x >> 44) % 3 == 0 ? NULL : rule,
			.action = (x >> 48) % 10 == 0 ? "reject" : "accept",
			.text = text, .detail = "{\"elapsed\":3600,\"limit\":14400}",
			.policy_name = "acme-support", .policy_version = "12",
		};
		if (hd_store_append(s, &r, &error) != HD_STORE_OK)
			goto fail;
		if ((i + 1) % batch == 0 || i + 1 == n) {
			if (hd_store_commit(s, &error) != HD_STORE_OK)
				goto fail;
		}
	}
	t1 = now();
	printf("create: %.2f s, %.0f records/s\n", t1 - t0, (double)n / (t1 - t0));

	/* Reopen, as helpdeskctl audit would on a store the daemon wrote. */
	t0 = now();
	hd_store_deinit(&s);
	s = hd_store_open(uri, &error);
	if (s == NULL) {
		fprintf(stderr, "bench-store: reopen: %s\n", error);
		return 1;
	}
	printf("close + reopen: %.2f s\n", now() - t0);
	printf("audit queries:\n");
	{
		struct hd_audit_filter f = { .ticket = "T-0061234" };

		bench_query(s, "--ticket T-0061234", &f, repeats);
		f = (struct hd_audit_filter){ .agent = "agent042", .kind = "tone" };
		bench_query(s, "--agent agent042 --kind tone", &f, repeats);
		f = (struct hd_audit_filter){ .since = BENCH_START + 100 * 86400,
					      .until = BENCH_START + 101 * 86400 };
		bench_query(s, "--since/--until (one day)", &f, repeats);
		f = (struct hd_audit_filter){ .rule = "rule-07" };
		bench_query(s, "--rule rule-07", &f, repeats);
		f = (struct hd_audit_filter){ .team = "vip", .priority = "critical",
					      .since = BENCH_START + 200 * 86400,
					      .until = BENCH_START + 230 * 86400 };
		bench_query(s, "--team vip --priority critical (30d)", &f, repeats);
		f = (struct hd_audit_filter){ .kind = "exception", .limit = 100 };
		bench_query(s, "--kind exception (limit 100)", &f, repeats);
	}
	t0 = now();
	if (hd_store_verify(s, &checked, &bad, &problem, &error) != HD_STORE_OK)
		goto fail;
	t1 = now();
	printf("verify: %lld records in %.2f s (%.0f records/s): %s\n", checked, t1 - t0,
	       (double)checked / (t1 - t0), bad == 0 ? "intact" : problem);
	free(problem);
	hd_store_deinit(&s);
	return bad == 0 ? 0 : 1;
fail:
	fprintf(stderr, "bench-store: %s\n", error);
	hd_store_deinit(&s);
	return 1;
}

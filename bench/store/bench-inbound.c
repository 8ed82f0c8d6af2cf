/*
 * bench-inbound - what the audit store costs one inbound message: replays
 * the engine's exact sequence of store calls for a new inbound message
 * (hd_engine_resolve_ticket's ticket read, then write_store in engine.c: one
 * transaction with the ticket, the message-id link, the thread line hashes,
 * the ticket state and one "inbound" record), MESSAGES times, from WRITERS
 * threads each with its own handle, as the milter's store pool does.
 * Prints messages/s, the CPU (user + system, getrusage) per message and
 * the group sync's fdatasync calls per message;
 * bench/store/run.sh adds the WAL pages, pwrite and fdatasync counts
 * (strace) and the instructions per message (callgrind, which collects
 * inside bench_message() only). Standalone: not part of make check. It must
 * never be pointed at a production store (it appends synthetic records), and
 * it uses only the public store API so that it builds against older trees.
 *
 * usage: bench-inbound STORE-URI MESSAGES [WRITERS [HASHES [FIRST]]]
 *   HASHES: distinct customer lines per message (10: smtp-source's 4 KB body
 *   in bench/milter); FIRST: number of the first message (so that successive
 *   runs on one store open new tickets).
 */
#include <config.h>

#include <pthread.h>
#include <sys/resource.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "groupsync.h"
#include "store.h"
#include "store-fingerprint.h"
#include "util.h"

#define BENCH_WRITERS_MAX 64
#define BENCH_HASHES_MAX 4096
#define BENCH_AT 1796040000		/* 2026-12-01T... */

struct writer {
	pthread_t thread;
	const char *uri;
	long long first, count, step;
	size_t nhashes;
	struct hd_store *store;
	char *error;
};

/* CPU seconds (user + system) of the process so far. */
static double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Wall-clock seconds. */
static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The store calls of one new inbound message i (see the header); the
   callgrind figure collects inside this function only. */
int bench_message(struct hd_store *s, long long i, size_t nhashes, char **error_r)
__attribute__((noinline));
int bench_message(struct hd_store *s, long long i, size_t nhashes, char **error_r)
{
	char ticket[32], mid[80], qid[32], subject[80];
	uint32_t hashes[BENCH_HASHES_MAX];
	time_t at = BENCH_AT + (time_t)(i / 4);
	struct hd_ticket got, t;
	struct hd_ticket_state st;
	struct hd_record r;
	int rc;

	snprintf(ticket, sizeof(ticket), "HD-%010llX", (i * 2654435761ULL) & 0xffffffffffULL);
	snprintf(mid, sizeof(mid), "%llx.0003.0000@bench.test.invalid", i);
	snprintf(qid, sizeof(qid), "4F%010llX", i);
	snprintf(subject, sizeof(subject), "bench: invoice question %lld", i);
	for (size_t k = 0; k < nhashes; k++)	/* sorted, distinct, like the engine's */
		hashes[k] = (uint32_t)(k * 0x01000193U + (uint32_t)i * 7919U) | 1U;

	/* hd_engine_resolve_ticket: no thread ids, a new ticket */
	rc = hd_store_ticket_get(s, ticket, &got, error_r);
	hd_ticket_free(&got);
	if (rc == HD_STORE_ERROR)
		return rc;
	/* write_store: one transaction */
	if (hd_store_begin(s, error_r) != HD_STORE_OK)
		return HD_STORE_ERROR;
	t = (struct hd_ticket){
		.id = ticket, .team = "billing", .priority = "standard",
		.customer = "customer@example.net", .opened = at,
		.first_response_due = at + 84600, .resolution_due = at + 595800,
		.policy_version = "3",
	};
	st = (struct hd_ticket_state){
		.id = ticket, .state = 0 /* open */, .since = at,
		.resolution_due = at + 595800, .stamped_due = at + 595800,
	};
	r = (struct hd_record){
		.at = at, .kind = "inbound", .queue_id = qid, .message_id = mid,
		.ticket = ticket, .team = "billing", .priority = "standard",
		.rule = "standard", .action = "accept", .text = subject,
		.detail = "{\"opening\":true}", .policy_name = "acme-support",
		.policy_version = "3",
	};
	if (hd_store_ticket_open(s, &t, error_r) != HD_STORE_OK ||
	    hd_store_link_message(s, mid, ticket, error_r) != HD_STORE_OK ||
	    hd_store_thread_add(s, ticket, hashes, nhashes, error_r) != HD_STORE_OK ||
	    hd_store_ticket_state_put(s, &st, error_r) != HD_STORE_OK ||
	    hd_store_append(s, &r, error_r) != HD_STORE_OK) {
		hd_store_rollback(s);
		return HD_STORE_ERROR;
	}
	return hd_store_commit(s, error_r);
}

/* One writer thread: messages first, first+step, ... */
static void *writer_run(void *arg)
{
	struct writer *w = arg;

	for (long long k = 0; k < w->count; k++)
		if (bench_message(w->store, w->first + k * w->step, w->nhashes, &w->error)
		    != HD_STORE_OK)
			break;
	return NULL;
}

int main(int argc, char **argv)
{
	struct writer w[BENCH_WRITERS_MAX];
	struct hd_groupsync_stats gs = { 0 };
	struct hd_groupsync *g = NULL;
	const char *uri;
	long long n, first;
	int nw;
	size_t nhashes;
	double t0, t1, c0, c1;
	char *error = NULL;
	int failed = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: %s STORE-URI MESSAGES [WRITERS [HASHES [FIRST]]]\n",
			argv[0]);
		return 2;
	}
	uri = argv[1];
	n = atoll(argv[2]);
	nw = argc > 3 ? atoi(argv[3]) : 1;
	nhashes = argc > 4 ? (size_t)atol(argv[4]) : 10;
	first = argc > 5 ? atoll(argv[5]) : 1;
	if (n <= 0 || nw <= 0 || nw > BENCH_WRITERS_MAX || nhashes > BENCH_HASHES_MAX) {
		fprintf(stderr, "bench-inbound: bad numbers\n");
		return 2;
	}
	for (int k = 0; k < nw; k++) {
		w[k] = (struct writer){ .uri = uri, .first = first + k, .step = nw,
					.count = n / nw + (k < n % nw), .nhashes = nhashes };
		if ((w[k].store = hd_store_open(uri, &error)) == NULL) {
			fprintf(stderr, "bench-inbound: %s\n", error);
			return 1;
		}
	}
	if (strncmp(uri, "sqlite:", 7) == 0) {	/* the WAL's group (shared, counted) */
		char *wal = xasprintf("%s-wal", uri + 7);

		g = hd_groupsync_get(wal);
		free(wal);
		hd_groupsync_stats(g, &gs);
	}
	fprintf(stderr, "bench-inbound: start\n");	/* markers for run-inbound.sh's strace */
	c0 = cpu_seconds();
	t0 = now();
	if (nw == 1) {
		writer_run(&w[0]);
	} else {
		for (int k = 0; k < nw; k++)
			pthread_create(&w[k].thread, NULL, writer_run, &w[k]);
		for (int k = 0; k < nw; k++)
			pthread_join(w[k].thread, NULL);
	}
	t1 = now();
	c1 = cpu_seconds();
	fprintf(stderr, "bench-inbound: end\n");
	for (int k = 0; k < nw; k++) {
		if (w[k].error != NULL) {
			fprintf(stderr, "bench-inbound: writer %d: %s\n", k, w[k].error);
			free(w[k].error);
			failed = 1;
		}
		hd_store_deinit(&w[k].store);
	}
	printf("messages %lld writers %d hashes %zu: %.3f s, %.0f messages/s, CPU %.3f ms/message",
	       n, nw, nhashes, t1 - t0, (double)n / (t1 - t0), (c1 - c0) * 1e3 / (double)n);
	if (g != NULL) {
		struct hd_groupsync_stats after;

		hd_groupsync_stats(g, &after);
		printf(", group sync: %llu waits, %llu fdatasync = %.3f per message",
		       (unsigned long long)(after.waits - gs.waits),
		       (unsigned long long)(after.syncs - gs.syncs),
		       (double)(after.syncs - gs.syncs) / (double)n);
		hd_groupsync_release(&g);
	}
	printf("\n");
	return failed;
}

/*
 * bench-engine - the engine alone (hd_engine_run) on the messages
 * bench/milter/run sends through Postfix: a 4 KB inbound customer message
 * shaped like smtp-source's (80-column lines of 'X', a fresh Message-Id each
 * time) and a 4 KB agent reply with 52 quoted lines (bench/milter/run's
 * reply.eml), against conf/policy.yaml and a real SQLite store file, every
 * record synced as in the milter. It times N messages of each kind and is
 * built to be run under valgrind --tool=callgrind --toggle-collect=
 * bench_engine_one, which counts the instructions of the messages alone
 * (not the policy load nor the store open). It must never be installed.
 *
 * Usage: bench-engine POLICY STORE-URI in|out N
 */
#include <config.h>
#include "diag.h"
#include "policy.h"
#include "mime.h"
#include "store.h"
#include "engine.h"
#include "verdict.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BENCH_ENGINE_BODY 4000		/* bytes of inbound body, as smtp-source -l 4000 */
#define BENCH_ENGINE_QUOTED 52		/* quoted lines of the reply */

/* The inbound message number i: unique Message-Id, smtp-source's shape. */
static char *bench_inbound(unsigned i)
{
	struct strbuf sb;

	sb_init(&sb);
	sb_printf(&sb, "From: <customer@example.net>\r\nTo: <billing@support.example.com>\r\n"
		  "Date: Wed,  2 Dec 2026 13:39:06 +0000 (UTC)\r\n"
		  "Message-Id: <%x.%04x.bench@example.net>\r\nSubject: bench: invoice question\r\n\r\n",
		  i, i);
	for (size_t n = 0; n < BENCH_ENGINE_BODY; n += 80) {
		sb_append(&sb, "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", 78);
		sb_append(&sb, "\r\n", 2);
	}
	return sb.s;
}

/* The agent reply bench/milter/run sends. */
static char *bench_reply(void)
{
	struct strbuf sb;

	sb_init(&sb);
	sb_printf(&sb, "From: Alice Archer <alice@support.example.com>\r\nTo: customer@example.net\r\n"
		  "Subject: Re: Invoice question\r\nMessage-ID: <bench-reply@support.example.com>\r\n"
		  "In-Reply-To: <bench-question@example.net>\r\n"
		  "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
		  "Hello,\r\n\r\nI understand how frustrating this is. The double charge on\r\n"
		  "your March invoice is refunded; you will see it within five days.\r\n\r\nAlice\r\n\r\n"
		  "On Mon, 2 Mar 2026 at 10:00, Customer <customer@example.net> wrote:\r\n");
	for (int i = 1; i <= BENCH_ENGINE_QUOTED; i++)
		sb_printf(&sb, "> line %02d of my earlier message about invoice 1234 and the charge\r\n", i);
	return sb.s;
}

/* Decide one message (the function callgrind's toggle counts). */
__attribute__((noinline)) int bench_engine_one(const struct hd_engine *e,
					       const struct hd_engine_input *in)
{
	struct hd_verdict *v = NULL;
	char *err = NULL;
	int rc = hd_engine_run(e, in, &v, &err);

	if (rc != 0)
		fprintf(stderr, "bench-engine: %s\n", err != NULL ? err : "error");
	hd_verdict_deinit(&v);
	free(err);
	return rc;
}

/* Monotonic seconds. */
static double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	const char *in_rcpts[] = { "billing@support.example.com" };
	const char *out_rcpts[] = { "customer@example.net" };
	struct hd_limits limits;
	struct hd_diag d;
	struct hd_policy *p;
	struct hd_store *s;
	char *err = NULL, *reply;
	bool out;
	long n;
	double t0;

	if (argc != 5 || (strcmp(argv[3], "in") != 0 && strcmp(argv[3], "out") != 0) ||
	    (n = atol(argv[4])) <= 0) {
		fprintf(stderr, "usage: %s POLICY STORE-URI in|out N\n", argv[0]);
		return 2;
	}
	out = strcmp(argv[3], "out") == 0;
	log_set_sink(NULL, LOG_LVL_ERROR);
	hd_mime_init();
	hd_limits_init(&limits);
	hd_diag_init(&d);
	if ((p = hd_policy_load(argv[1], &d)) == NULL) {
		for (size_t i = 0; i < d.lines.n; i++)
			fprintf(stderr, "%s\n", d.lines.v[i]);
		return 1;
	}
	hd_diag_free(&d);
	if ((s = hd_store_open(argv[2], &err)) == NULL) {
		fprintf(stderr, "bench-engine: %s\n", err);
		return 1;
	}
	struct hd_engine e = { .policy = p, .store = s, .limits = &limits };
	reply = bench_reply();
	t0 = bench_now();
	for (long i = 0; i < n; i++) {
		char *msg = out ? reply : bench_inbound((unsigned)i + (unsigned)time(NULL));
		struct hd_engine_input in = {
			.queue_id = "BENCH1", .fd = -1, .received = time(NULL),
			.mail_from = out ? "alice@support.example.com" : "customer@example.net",
			.rcpts = out ? out_rcpts : in_rcpts, .nrcpts = 1,
			.client_ip = "127.0.0.1", .client_trusted = true,
			.data = msg, .len = strlen(msg),
		};
		if (bench_engine_one(&e, &in) != 0)
			return 1;
		if (!out)
			free(msg);
	}
	printf("%s: %ld messages, %.1f us each (wall, load-dependent)\n", argv[3], n,
	       (bench_now() - t0) * 1e6 / (double)n);
	free(reply);
	hd_store_deinit(&s);
	hd_policy_unref(&p);
	return 0;
}

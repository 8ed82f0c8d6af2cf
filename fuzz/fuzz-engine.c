/*
 * fuzz-engine - the whole engine (hd_engine_run) on one raw message under
 * fuzz/policy.yaml and an in-memory store, opened afresh every
 * $HD_FUZZ_STORE_RUNS inputs (default FUZZ_STORE_RUNS; opening it is 80% of
 * an input's cost; 1 makes every input independent when a crash does not
 * replay alone). Built twice:
 * fuzz-engine-in (a customer writing to a team mailbox) and, with
 * FUZZ_OUTBOUND, fuzz-engine-out (an agent's AUTHed reply to a customer).
 * Checks on every input (props.c): a verdict or a clear error within the
 * CPU time bound; every header the verdict writes is valid RFC 5322; no
 * X-Helpdesk-* or helpdesk control header of the input survives; on an
 * outbound message that is delivered, no #exception/#status line is left
 * in any text part of the delivered message.
 */
#include <config.h>
#include "fuzz.h"
#include "diag.h"
#include "policy.h"
#include "mime.h"
#include "store.h"
#include "engine.h"
#include "verdict.h"
#include <stdio.h>

#ifdef FUZZ_OUTBOUND
#define FUZZ_HARNESS "fuzz-engine-out"
#else
#define FUZZ_HARNESS "fuzz-engine-in"
#endif

/* Inputs run against one store before it is opened afresh. */
#define FUZZ_STORE_RUNS 256

static struct hd_policy *fuzz_policy;
static struct hd_limits fuzz_limits;
static struct hd_store *fuzz_store;
static unsigned long fuzz_store_runs = FUZZ_STORE_RUNS, fuzz_runs;

/* Once per process: the policy ($HD_FUZZ_POLICY or fuzz/policy.yaml). */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *path = getenv("HD_FUZZ_POLICY");
	struct hd_diag d;

	log_set_sink(NULL, LOG_LVL_ERROR);
	hd_mime_init();
	hd_limits_init(&fuzz_limits);
	hd_diag_init(&d);
	fuzz_policy = hd_policy_load(path != NULL ? path : FUZZ_SRCDIR "/fuzz/policy.yaml", &d);
	if (fuzz_policy == NULL) {
		for (size_t i = 0; i < d.lines.n; i++)
			fprintf(stderr, "%s\n", d.lines.v[i]);
		abort();
	}
	hd_diag_free(&d);
	if (getenv("HD_FUZZ_STORE_RUNS") != NULL && atol(getenv("HD_FUZZ_STORE_RUNS")) > 0)
		fuzz_store_runs = (unsigned long)atol(getenv("HD_FUZZ_STORE_RUNS"));
	return 0;
}

/* Offset of the body: past the first empty line, or len. */
static size_t fuzz_body_offset(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] != '\n')
			continue;
		if (i + 1 < len && s[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && s[i + 1] == '\r' && s[i + 2] == '\n')
			return i + 3;
	}
	return len;
}

/* The delivered message's text parts hold no control line. */
static void fuzz_check_delivered(const char *s, size_t len, const struct hd_verdict *v)
{
	size_t boff = fuzz_body_offset(s, len);
	struct strbuf sb;
	struct hd_message *msg;

	sb_init(&sb);
	sb_append(&sb, s, boff);
	if (v->body != NULL)
		sb_append(&sb, v->body, v->body_len);
	else
		sb_append(&sb, s + boff, len - boff);
	msg = hd_message_parse(sb.s != NULL ? sb.s : "", sb.len, &fuzz_limits);
	for (size_t i = 0; i < msg->nparts; i++)
		props_require(FUZZ_HARNESS, props_text_without_control_lines(msg->parts[i].text));
	hd_message_deinit(&msg);
	sb_free(&sb);
}

/* One input. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
#ifdef FUZZ_OUTBOUND
	const char *rcpts[] = { "pat@example.net" };
	struct hd_engine_input in = { .queue_id = "FUZZ1", .mail_from = "alice@support.example.com",
				      .rcpts = rcpts, .nrcpts = 1, .auth_user = "alice@support.example.com",
				      .client_ip = "127.0.0.1", .client_trusted = true };
#else
	const char *rcpts[] = { "billing@support.example.com", "support@support.example.com" };
	struct hd_engine_input in = { .queue_id = "FUZZ1", .mail_from = "pat@example.net",
				      .rcpts = rcpts + size % 2, .nrcpts = 1,
				      .client_ip = "203.0.113.9", .client_trusted = false };
#endif
	struct hd_engine e = { .policy = fuzz_policy, .limits = &fuzz_limits };
	struct hd_verdict *v = NULL;
	char *err = NULL, **names;
	size_t nnames;
	double t0;
	int rc;

	if (fuzz_runs++ % fuzz_store_runs == 0) {
		hd_store_deinit(&fuzz_store);
		fuzz_store = hd_store_open(":memory:", &err);
		if (fuzz_store == NULL) {
			fprintf(stderr, FUZZ_HARNESS ": store: %s\n", err);
			abort();
		}
	}
	e.store = fuzz_store;
	in.received = 1796205600;	/* 2026-12-02T10:00:00Z, a Wednesday */
	in.data = (const char *)data;
	in.len = size;
	in.fd = -1;
	t0 = props_cpu_seconds();
	rc = hd_engine_run(&e, &in, &v, &err);
	props_require(FUZZ_HARNESS, props_time_within(props_cpu_seconds() - t0, size));
	props_require(FUZZ_HARNESS, rc == 0 && v == NULL ? "no verdict" : NULL);
	props_require(FUZZ_HARNESS, rc != 0 && (err == NULL || *err == '\0') ? "an error without a reason" : NULL);
	if (rc == 0) {
		const struct hd_helpdesk *h = NULL;
		props_require(FUZZ_HARNESS, props_verdict_headers(v));
		if (v->direction == HD_DIR_INBOUND && v->team != NULL)
			h = hd_policy_helpdesk(fuzz_policy, v->team);
		names = props_header_names((const char *)data, size, &nnames);
		props_require(FUZZ_HARNESS, props_control_headers_gone(names, nnames, v, h != NULL ? (int)h->kind : 0));
		props_names_free(names, nnames);
		if (v->direction == HD_DIR_OUTBOUND &&
		    (v->action == HD_VERDICT_ACCEPT || v->action == HD_VERDICT_HOLD))
			fuzz_check_delivered((const char *)data, size, v);
	}
	hd_verdict_deinit(&v);
	free(err);
	return 0;
}

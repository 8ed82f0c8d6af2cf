#ifndef HD_ENGINE_CHECK_H
#define HD_ENGINE_CHECK_H
/* engine-check - what the engine unit tests share: run the engine on one
   message at an RFC 3339 time, and read an added header of the verdict.
   Each test file keeps its own policy and store (the statics below). */
#include <check.h>
#include <string.h>
#include "util.h"
#include "engine.h"
#include "verdict.h"

static struct hd_policy *pol;
static struct hd_store *store;
static struct hd_limits lim;

/* Run the engine on a message at `at`; auth NULL = no SMTP AUTH. */
static struct hd_verdict *run(const char *msg, const char *from, const char *rcpt,
			      const char *auth, const char *at)
{
	struct hd_engine e = { .policy = pol, .store = store, .limits = &lim };
	const char *rcpts[1] = { rcpt };
	struct hd_engine_input in = { .queue_id = "TESTQ", .mail_from = from, .rcpts = rcpts,
				      .nrcpts = 1, .auth_user = auth, .client_ip = "192.0.2.1",
				      .data = msg, .len = strlen(msg), .fd = -1 };
	struct hd_verdict *v = NULL;
	char *err = NULL;

	ck_assert(time_parse_rfc3339(at, &in.received));
	ck_assert_msg(hd_engine_run(&e, &in, &v, &err) == 0, "engine: %s", err ? err : "");
	return v;
}

/* Value of the first added header with that name, or NULL. */
static const char *added(const struct hd_verdict *v, const char *name)
{
	for (size_t i = 0; i + 1 < v->headers_added.n; i += 2)
		if (strcmp(v->headers_added.v[i], name) == 0)
			return v->headers_added.v[i + 1];
	return NULL;
}

#endif

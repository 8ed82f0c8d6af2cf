/*
 * test-milter-spool - the daemon's engine memory budget (milter-spool.c):
 * every message reserves an estimate, small ones included, and a message
 * that does not fit waits until another one gives its reservation back.
 */
#include <config.h>
#include <check.h>
#include "check-run.h"
#include "milter-int.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

/* milter-runtime.c is not linked: messages here run on no runtime. */
struct runtime *runtime_acquire(void)
{
	return NULL;
}

/* Counterpart of the stub above. */
void runtime_release(struct runtime **rtp)
{
	*rtp = NULL;
}

static atomic_bool admitted;

/* Thread body: reserve one estimate (waits while the budget is full). */
static void *admit_one(void *arg)
{
	size_t est = *(size_t *)arg;

	atomic_store(&admitted, engine_admit(est));
	return NULL;
}

START_TEST(small_messages_are_budgeted)
{
	struct hd_limits lim;
	size_t est;

	hd_limits_init(&lim);
	est = engine_estimate(900 * 1024, &lim);	/* stays in memory (< 1 MB) */
	ck_assert_uint_gt(est, 900 * 1024);
	/* sixteen of them at once do not fit (16 took 818 MB before) */
	ck_assert_uint_gt(16 * est, HD_MILTER_ENGINE_MEM_BUDGET);
	ck_assert_uint_gt(engine_estimate(0, &lim), 0);
	/* what is inspected is bounded by limits.message_bytes */
	ck_assert_uint_eq(engine_estimate(lim.message_bytes * 4, &lim),
			  engine_estimate(lim.message_bytes, &lim));
}
END_TEST

START_TEST(admission_waits_for_the_budget)
{
	struct hd_limits lim;
	size_t est, n = 0;
	pthread_t t;

	hd_limits_init(&lim);
	est = engine_estimate(900 * 1024, &lim);
	while ((n + 1) * est <= HD_MILTER_ENGINE_MEM_BUDGET) {
		ck_assert(engine_admit(est));
		n++;
	}
	ck_assert_uint_gt(n, 0);
	atomic_store(&admitted, false);
	ck_assert_int_eq(pthread_create(&t, NULL, admit_one, &est), 0);
	usleep(300 * 1000);
	ck_assert_msg(!atomic_load(&admitted), "admitted past the budget");
	engine_release(est);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert(atomic_load(&admitted));
	for (size_t i = 0; i < n; i++)
		engine_release(est);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("milter-spool");
	TCase *tc = tcase_create("budget");

	tcase_add_test(tc, small_messages_are_budgeted);
	tcase_add_test(tc, admission_waits_for_the_budget);
	suite_add_tcase(s, tc);
	return hd_check_run(s) ? 1 : 0;
}

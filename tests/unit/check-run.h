#ifndef HD_CHECK_RUN_H
#define HD_CHECK_RUN_H
/* check-run - the one way every unit test program runs its Check suite. */
#include <check.h>

/* Run every test of s (fork mode per CK_FORK), print the summary, and
   return the number of failed tests. */
static inline int hd_check_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed;
}

#endif

/*
 * bench-policy - wall time of hd_policy_load() for two policy files (a small
 * baseline and a big one), interleaved in one process so both see the same
 * machine load, with the YAML reading alone (hd_yaml_load_file plus freeing
 * the tree) timed beside it. Prints best and median milliseconds and the
 * ratio big/small. Not part of `make check`; run bench/policy/run.
 *
 * Must never: keep a policy between runs (every load is a full load, as a
 * reload of the daemon or a one-shot helpdeskctl does), or hide a load error.
 */
#include <config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include "diag.h"
#include "policy.h"
#include "yamldoc.h"

#define BENCH_RUNS_DEFAULT 21

/* Seconds on the monotonic clock. */
static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* qsort comparator for doubles. */
static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Minor page faults of this process so far. */
static long minor_faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

/* One timed load of path (page faults added to *faults); exits on a load error. */
static double time_load(const char *path, long *faults)
{
	struct hd_diag d;
	struct hd_policy *p;
	long f0 = minor_faults();
	double t0;

	hd_diag_init(&d);
	t0 = now();
	p = hd_policy_load(path, &d);
	hd_policy_unref(&p);
	t0 = now() - t0;
	*faults += minor_faults() - f0;
	if (d.lines.n > 0 || t0 <= 0) {
		fprintf(stderr, "%s: %s\n", path, d.lines.n ? d.lines.v[0] : "load failed");
		exit(1);
	}
	hd_diag_free(&d);
	return t0;
}

/* One timed YAML read (and free) of path. */
static double time_yaml(const char *path)
{
	struct hd_diag d;
	struct hd_ynode *root;
	double t0;

	hd_diag_init(&d);
	t0 = now();
	root = hd_yaml_load_file(path, &d);
	hd_ynode_deinit(&root);
	t0 = now() - t0;
	hd_diag_free(&d);
	return t0;
}

/* Print best and median of n samples (sorted here). */
static void report(const char *what, const char *path, double *t, int n)
{
	qsort(t, (size_t)n, sizeof(*t), cmp_double);
	printf("%-10s %-40s best %8.2f ms  median %8.2f ms\n", what, path, t[0] * 1e3, t[n / 2] * 1e3);
}

/* Interleave loads of the two files; print the figures and ratios. */
int main(int argc, char **argv)
{
	int runs;
	double *ls, *lb, *ys, *yb;
	long faults_small = 0, faults_big = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: bench-policy SMALL.yaml BIG.yaml [runs]\n");
		return 2;
	}
	runs = argc > 3 ? atoi(argv[3]) : BENCH_RUNS_DEFAULT;
	if (runs < 1)
		runs = 1;
	ls = calloc((size_t)runs, sizeof(double));
	lb = calloc((size_t)runs, sizeof(double));
	ys = calloc((size_t)runs, sizeof(double));
	yb = calloc((size_t)runs, sizeof(double));
	{
		long first_small = 0, first_big = 0;

		/* The first loads warm the page cache and the allocator; their
		   page faults are what a fresh process pays. */
		time_load(argv[1], &first_small);
		time_load(argv[2], &first_big);
		printf("first load in this process: %ld page faults (small), %ld (big)\n",
		       first_small, first_big);
	}
	for (int i = 0; i < runs; i++) {
		ls[i] = time_load(argv[1], &faults_small);
		lb[i] = time_load(argv[2], &faults_big);
		ys[i] = time_yaml(argv[1]);
		yb[i] = time_yaml(argv[2]);
	}
	printf("command: %s %s %s %d\n", argv[0], argv[1], argv[2], runs);
	report("load", argv[1], ls, runs);
	report("load", argv[2], lb, runs);
	report("yaml only", argv[1], ys, runs);
	report("yaml only", argv[2], yb, runs);
	printf("page faults per load, later loads: %ld (small), %ld (big)\n", faults_small / runs,
	       faults_big / runs);
	printf("ratio big/small (median load): %.2fx; big load %.2f ms (target <= 50 ms); "
	       "YAML share of the big load: %.0f%%\n", lb[runs / 2] / ls[runs / 2], lb[runs / 2] * 1e3,
	       100.0 * yb[runs / 2] / lb[runs / 2]);
	free(ls);
	free(lb);
	free(ys);
	free(yb);
	return 0;
}

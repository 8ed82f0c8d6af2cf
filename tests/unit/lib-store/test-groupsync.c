/*
 * test-groupsync - group commit: a wait returns only after a sync that
 * started after the caller's write; waiters that queue behind a running
 * sync share the next one; a failed sync fails every wait from then on;
 * the file is checked by path only at the first sync and when asked to,
 * and a replaced file is then reopened. A test sync function records how much of the
 * file each sync covered (what had been written when it started).
 */
#include <config.h>
#include "groupsync.h"
#include "util.h"

#include <check.h>
#include "check-run.h"
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define T_THREADS 8
#define T_ROUNDS 200
#define T_RECORD 16

static char dir[] = "/tmp/hd-test-groupsync-XXXXXX";

/* The file under test and how far it has been written. */
static struct {
	pthread_mutex_t lock;
	int fd;
	off_t written;		/* bytes whose pwrite() has returned */
	off_t covered;		/* bytes the latest successful sync covered */
	struct hd_groupsync *g;
	unsigned hold_until_waits;	/* first sync waits for this many waits */
	int fail_errno;		/* the sync fails with this (0: succeeds) */
} f = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* The test's sync: note what is written, optionally hold or fail. */
static int test_sync(int fd, void *ctx)
{
	off_t snap;

	(void)ctx;
	if (f.hold_until_waits > 0) {
		struct hd_groupsync_stats st;

		for (int i = 0; i < 10000; i++) {
			hd_groupsync_stats(f.g, &st);
			if (st.waits >= f.hold_until_waits)
				break;
			usleep(1000);
		}
		f.hold_until_waits = 0;
	}
	pthread_mutex_lock(&f.lock);
	snap = f.written;
	pthread_mutex_unlock(&f.lock);
	if (f.fail_errno != 0) {
		errno = f.fail_errno;
		return -1;
	}
	if (fdatasync(fd) != 0)
		return -1;
	pthread_mutex_lock(&f.lock);
	if (snap > f.covered)
		f.covered = snap;
	pthread_mutex_unlock(&f.lock);
	return 0;
}

/* Append one record; returns the offset just past it. */
static off_t append_record(void)
{
	char rec[T_RECORD];
	off_t end;

	memset(rec, 'r', sizeof(rec));
	pthread_mutex_lock(&f.lock);
	ck_assert_int_eq(pwrite(f.fd, rec, sizeof(rec), f.written), (ssize_t)sizeof(rec));
	f.written += sizeof(rec);
	end = f.written;
	pthread_mutex_unlock(&f.lock);
	return end;
}

/* A new file under the test directory, opened for writing. */
static char *new_file(const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);

	f.fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(f.fd, 0);
	f.written = f.covered = 0;
	f.fail_errno = 0;
	f.hold_until_waits = 0;
	return path;
}

/* One writer: append, wait, check the wait's sync covered the record. */
static void *writer(void *arg)
{
	int rounds = *(int *)arg;

	for (int i = 0; i < rounds; i++) {
		off_t end = append_record();
		char *err = NULL;
		bool ok = hd_groupsync_wait(f.g, &err);
		off_t covered;

		ck_assert_msg(ok, "wait failed: %s", err);
		pthread_mutex_lock(&f.lock);
		covered = f.covered;
		pthread_mutex_unlock(&f.lock);
		ck_assert_msg(covered >= end, "wait returned with %lld bytes synced, "
			      "its record ends at %lld", (long long)covered, (long long)end);
	}
	return NULL;
}

START_TEST(test_single)
{
	char *path = new_file("single"), *err = NULL;
	struct hd_groupsync_stats st;

	f.g = hd_groupsync_get(path);
	hd_groupsync_set_sync(f.g, test_sync, NULL);
	append_record();
	ck_assert(hd_groupsync_wait(f.g, &err));
	ck_assert_int_eq(f.covered, T_RECORD);
	hd_groupsync_stats(f.g, &st);
	ck_assert_uint_eq(st.waits, 1);
	ck_assert_uint_eq(st.syncs, 1);
	ck_assert_uint_eq(st.reopens, 1);
	hd_groupsync_release(&f.g);
	ck_assert_ptr_null(f.g);
	close(f.fd);
	free(path);
}
END_TEST

/* Same path, same group; release keeps it for the other user. */
START_TEST(test_shared_by_path)
{
	char *path = new_file("shared"), *err = NULL;
	struct hd_groupsync *a = hd_groupsync_get(path), *b = hd_groupsync_get(path);
	struct hd_groupsync_stats st;

	ck_assert_ptr_eq(a, b);
	hd_groupsync_release(&a);
	append_record();
	ck_assert(hd_groupsync_wait(b, &err));
	hd_groupsync_stats(b, &st);
	ck_assert_uint_eq(st.waits, 1);
	hd_groupsync_release(&b);
	close(f.fd);
	free(path);
}
END_TEST

/* T_THREADS writers queue behind one held sync: the next sync covers them all. */
START_TEST(test_waiters_share_one_sync)
{
	char *path = new_file("grouped");
	pthread_t th[T_THREADS];
	int one = 1;
	struct hd_groupsync_stats st;

	f.g = hd_groupsync_get(path);
	hd_groupsync_set_sync(f.g, test_sync, NULL);
	f.hold_until_waits = T_THREADS;
	for (int i = 0; i < T_THREADS; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, writer, &one), 0);
	for (int i = 0; i < T_THREADS; i++)
		pthread_join(th[i], NULL);
	hd_groupsync_stats(f.g, &st);
	ck_assert_uint_eq(st.waits, T_THREADS);
	/* the first leader's sync was under way before the others queued; it
	   could not cover them, and one more covered all the rest */
	ck_assert_uint_eq(st.syncs, 2);
	ck_assert_int_eq(f.covered, T_THREADS * T_RECORD);
	hd_groupsync_release(&f.g);
	close(f.fd);
	free(path);
}
END_TEST

/* Many writers, many rounds: every wait covered, fewer syncs than waits is
   allowed but never required; never more. */
START_TEST(test_many_writers)
{
	char *path = new_file("many");
	pthread_t th[T_THREADS];
	int rounds = T_ROUNDS;
	struct hd_groupsync_stats st;

	f.g = hd_groupsync_get(path);
	hd_groupsync_set_sync(f.g, test_sync, NULL);
	for (int i = 0; i < T_THREADS; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, writer, &rounds), 0);
	for (int i = 0; i < T_THREADS; i++)
		pthread_join(th[i], NULL);
	hd_groupsync_stats(f.g, &st);
	ck_assert_uint_eq(st.waits, T_THREADS * T_ROUNDS);
	ck_assert_uint_le(st.syncs, st.waits);
	ck_assert_int_eq(f.covered, T_THREADS * T_ROUNDS * T_RECORD);
	hd_groupsync_release(&f.g);
	close(f.fd);
	free(path);
}
END_TEST

/* A failed sync fails its wait with the reason, and every later wait. */
START_TEST(test_failure_is_sticky)
{
	char *path = new_file("failing"), *err = NULL;
	struct hd_groupsync_stats st;

	f.g = hd_groupsync_get(path);
	hd_groupsync_set_sync(f.g, test_sync, NULL);
	append_record();
	ck_assert(hd_groupsync_wait(f.g, &err));
	f.fail_errno = EIO;
	append_record();
	ck_assert(!hd_groupsync_wait(f.g, &err));
	ck_assert_msg(strstr(err, path) != NULL && strstr(err, "fdatasync") != NULL &&
		      strstr(err, strerror(EIO)) != NULL && strstr(err, "restart") != NULL,
		      "error: %s", err);
	free(err);
	err = NULL;
	f.fail_errno = 0;	/* the disk "recovers": the group still refuses */
	append_record();
	ck_assert(!hd_groupsync_wait(f.g, &err));
	ck_assert_ptr_nonnull(strstr(err, strerror(EIO)));
	free(err);
	hd_groupsync_stats(f.g, &st);
	ck_assert_uint_eq(st.syncs, 2);
	ck_assert_int_eq(f.covered, T_RECORD);
	hd_groupsync_release(&f.g);
	close(f.fd);
	free(path);
}
END_TEST

/* The file is checked by path at the first sync and after a recheck only
   (not per sync: its users hold it in place); a file replaced under the
   path is then reopened, and a missing one is an error naming the path. */
START_TEST(test_replaced_file)
{
	char *path = new_file("replaced"), *other = xasprintf("%s/other", dir), *err = NULL;
	struct hd_groupsync_stats st;
	int fd2;

	f.g = hd_groupsync_get(path);
	append_record();
	ck_assert(hd_groupsync_wait(f.g, &err));
	ck_assert(hd_groupsync_wait(f.g, &err));
	ck_assert(hd_groupsync_wait(f.g, &err));
	hd_groupsync_stats(f.g, &st);
	ck_assert_uint_eq(st.syncs, 3);
	ck_assert_uint_eq(st.checks, 1);
	ck_assert_uint_eq(st.reopens, 1);
	fd2 = open(other, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd2, 0);
	ck_assert_int_eq(write(fd2, "x", 1), 1);
	close(fd2);
	ck_assert_int_eq(rename(other, path), 0);
	ck_assert(hd_groupsync_wait(f.g, &err));	/* not checked: the held file */
	hd_groupsync_stats(f.g, &st);
	ck_assert_uint_eq(st.checks, 1);
	ck_assert_uint_eq(st.reopens, 1);
	hd_groupsync_recheck(f.g);
	ck_assert(hd_groupsync_wait(f.g, &err));
	hd_groupsync_stats(f.g, &st);
	ck_assert_uint_eq(st.checks, 2);
	ck_assert_uint_eq(st.reopens, 2);
	ck_assert(hd_groupsync_wait(f.g, &err));
	hd_groupsync_stats(f.g, &st);
	ck_assert_uint_eq(st.checks, 2);
	/* a new user of the group makes the next sync check */
	{
		struct hd_groupsync *g2 = hd_groupsync_get(path);

		ck_assert_ptr_eq(g2, f.g);
		ck_assert(hd_groupsync_wait(f.g, &err));
		hd_groupsync_stats(f.g, &st);
		ck_assert_uint_eq(st.checks, 3);
		ck_assert_uint_eq(st.reopens, 2);
		hd_groupsync_release(&g2);
	}
	ck_assert_int_eq(unlink(path), 0);
	hd_groupsync_recheck(f.g);
	ck_assert(!hd_groupsync_wait(f.g, &err));
	ck_assert_msg(strstr(err, path) != NULL && strstr(err, strerror(ENOENT)) != NULL,
		      "error: %s", err);
	free(err);
	hd_groupsync_release(&f.g);
	close(f.fd);
	free(other);
	free(path);
}
END_TEST

/* Holds the write turn for a while, in another thread. */
static void *hold_turn(void *arg)
{
	struct hd_groupsync *g = arg;

	ck_assert(hd_groupsync_writer_enter(g, 1000));
	usleep(300 * 1000);
	hd_groupsync_writer_leave(g);
	return NULL;
}

/* One writer at a time: a second one waits for the turn, or gives up after
   its timeout. */
START_TEST(test_writer_turns)
{
	char *path = new_file("turns");
	struct hd_groupsync *g = hd_groupsync_get(path);
	struct timespec t0, t1;
	pthread_t th;
	long ms;

	ck_assert(hd_groupsync_writer_enter(g, 0));
	hd_groupsync_writer_leave(g);
	ck_assert_int_eq(pthread_create(&th, NULL, hold_turn, g), 0);
	usleep(50 * 1000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert(!hd_groupsync_writer_enter(g, 100));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	ck_assert_msg(ms >= 90 && ms < 250, "gave up after %ld ms", ms);
	ck_assert(hd_groupsync_writer_enter(g, 2000));	/* the holder leaves at 300 ms */
	hd_groupsync_writer_leave(g);
	pthread_join(th, NULL);
	hd_groupsync_release(&g);
	close(f.fd);
	free(path);
}
END_TEST

static Suite *groupsync_suite(void)
{
	Suite *s = suite_create("groupsync");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_single);
	tcase_add_test(tc, test_shared_by_path);
	tcase_add_test(tc, test_waiters_share_one_sync);
	tcase_add_test(tc, test_many_writers);
	tcase_add_test(tc, test_failure_is_sticky);
	tcase_add_test(tc, test_replaced_file);
	tcase_add_test(tc, test_writer_turns);
	suite_add_tcase(s, tc);
	return s;
}

/* nftw callback: remove one entry of the test directory. */
static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return remove(path);
}

int main(void)
{
	int failed;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 99;
	}
	failed = hd_check_run(groupsync_suite());
	if (nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return failed == 0 ? 0 : 1;
}

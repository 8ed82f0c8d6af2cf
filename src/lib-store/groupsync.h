#ifndef HD_GROUPSYNC_H
#define HD_GROUPSYNC_H
/*
 * groupsync - commit coordination for a file that several threads of the
 * process write through their own handles (the SQLite store's WAL): one
 * writer at a time, taking turns on a mutex rather than on SQLite's busy
 * handler (which sleeps milliseconds between tries), and group commit. A thread
 * that has written calls hd_groupsync_wait(); one thread at a time runs
 * fdatasync() for everything written so far and the others that wrote
 * before it started just wait for it, so N concurrent commits cost about
 * one sync instead of N. A wait returns only once a sync that started
 * after the caller's write has succeeded.
 */
#include <stdbool.h>
#include <stdint.h>

struct hd_groupsync;

/* What one group has done (for tests and the benchmark). */
struct hd_groupsync_stats {
	uint64_t waits;		/* hd_groupsync_wait calls */
	uint64_t syncs;		/* fdatasync calls made for them */
	uint64_t reopens;	/* times the file was (re)opened by path */
	uint64_t checks;	/* times its identity was checked by path (stat) */
};

/* The group of path (one per path in the process, shared by every caller
   that names the same path; reference counted). Never fails: the file is
   opened at the first wait. The file is checked by path (stat, reopened
   when replaced) at the first sync after a get or a recheck only: a user
   must hold the file in place meanwhile (an open SQLite connection holds
   its WAL) or call hd_groupsync_recheck when it may have been replaced. */
struct hd_groupsync *hd_groupsync_get(const char *path);
/* Check the file against the path at the next sync. */
void hd_groupsync_recheck(struct hd_groupsync *g);
/* Drop a reference; sets *g to NULL. */
void hd_groupsync_release(struct hd_groupsync **g);
/* Take and give back the process's write turn for the file: waits while
   another thread has it, false after timeout_ms. */
bool hd_groupsync_writer_enter(struct hd_groupsync *g, unsigned timeout_ms);
void hd_groupsync_writer_leave(struct hd_groupsync *g);
/* Make everything written to the file before this call durable. On failure
   returns false with *error_r (malloc'd) naming the file and the reason. */
bool hd_groupsync_wait(struct hd_groupsync *g, char **error_r);
/* The counters so far. */
void hd_groupsync_stats(struct hd_groupsync *g, struct hd_groupsync_stats *stats_r);

/* What syncs the file: fdatasync() unless a test sets its own (0 or -1
   with errno set, like fdatasync). */
typedef int hd_groupsync_sync_fn(int fd, void *ctx);
void hd_groupsync_set_sync(struct hd_groupsync *g, hd_groupsync_sync_fn *fn, void *ctx);

#endif

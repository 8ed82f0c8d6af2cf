/*
 * groupsync - one writer at a time, and group commit: one fdatasync() for
 * the writes of every thread that is waiting, instead of one each. Each
 * wait takes a ticket (a count of waits so far); a thread becomes the leader when nobody is syncing, syncs
 * the file for every ticket issued until then, and wakes the threads those
 * tickets cover. The file's identity (is the descriptor still the file at
 * the path?) is checked by path only when it can have changed: at the first
 * sync, after a new user joined the group (hd_groupsync_get) and when a
 * user says so (hd_groupsync_recheck); it is reopened when it was replaced.
 * SQLite deletes or replaces a WAL only when its last connection closes (or
 * leaves WAL mode, which needs every other connection closed too): while a
 * connection of the group is open, it holds the WAL in place, so a stat per
 * commit (two system calls) would only ever find the same file. It must never report a
 * write durable that a failed or not yet started sync was meant to cover,
 * and never retry a failed fdatasync as if the failure had not happened:
 * the kernel may have dropped the pages it could not write (and a later
 * fdatasync then succeeds), so after one failure every wait of the group
 * fails until the group is released by every user and made anew.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "groupsync.h"
#include "util.h"

struct hd_groupsync {
	char *path;
	unsigned refs;			/* under registry_lock */
	struct hd_groupsync *next;	/* registry list, under registry_lock */

	pthread_mutex_t writer;		/* the write turn */
	pthread_mutex_t lock;		/* everything below */
	pthread_cond_t done;		/* a sync finished */
	int fd;				/* -1 until the first sync */
	bool recheck;			/* check fd against the path at the next sync */
	uint64_t issued;		/* tickets handed out */
	uint64_t synced;		/* tickets covered by a successful sync */
	char *failure;			/* why a sync failed: no wait succeeds now */
	bool syncing;			/* a leader is in fdatasync() */
	hd_groupsync_sync_fn *sync_fn;	/* NULL: fdatasync */
	void *sync_ctx;
	struct hd_groupsync_stats stats;
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct hd_groupsync *registry;

/* Find or create the group of path. */
struct hd_groupsync *hd_groupsync_get(const char *path)
{
	struct hd_groupsync *g;

	pthread_mutex_lock(&registry_lock);
	for (g = registry; g != NULL; g = g->next) {
		if (strcmp(g->path, path) == 0)
			break;
	}
	if (g == NULL) {
		g = xcalloc(1, sizeof(*g));
		g->path = xstrdup(path);
		g->fd = -1;
		g->recheck = true;
		pthread_mutex_init(&g->writer, NULL);
		pthread_mutex_init(&g->lock, NULL);
		pthread_cond_init(&g->done, NULL);
		g->next = registry;
		registry = g;
	}
	g->refs++;
	pthread_mutex_unlock(&registry_lock);
	hd_groupsync_recheck(g);	/* a new user: the file may be new too */
	return g;
}

/* Check the file's identity by path at the next sync. */
void hd_groupsync_recheck(struct hd_groupsync *g)
{
	pthread_mutex_lock(&g->lock);
	g->recheck = true;
	pthread_mutex_unlock(&g->lock);
}

/* Drop a reference; the last one closes the file and frees the group. */
void hd_groupsync_release(struct hd_groupsync **gp)
{
	struct hd_groupsync *g = *gp, **pp;

	*gp = NULL;
	if (g == NULL)
		return;
	pthread_mutex_lock(&registry_lock);
	if (--g->refs > 0) {
		pthread_mutex_unlock(&registry_lock);
		return;
	}
	for (pp = &registry; *pp != g; pp = &(*pp)->next)
		;
	*pp = g->next;
	pthread_mutex_unlock(&registry_lock);
	if (g->fd >= 0)
		close(g->fd);
	pthread_cond_destroy(&g->done);
	pthread_mutex_destroy(&g->lock);
	pthread_mutex_destroy(&g->writer);
	free(g->failure);
	free(g->path);
	free(g);
}

/* Wait for the write turn, at most timeout_ms. */
bool hd_groupsync_writer_enter(struct hd_groupsync *g, unsigned timeout_ms)
{
	struct timespec until;

	if (pthread_mutex_trylock(&g->writer) == 0)
		return true;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	return pthread_mutex_timedlock(&g->writer, &until) == 0;
}

/* Give the write turn to the next thread. */
void hd_groupsync_writer_leave(struct hd_groupsync *g)
{
	pthread_mutex_unlock(&g->writer);
}

/* The descriptor of the file now at g->path, reopened (*reopened_r) when
   the file was replaced since the last check (*checked_r: checked by path
   now); -1 with *error_r when it
   cannot be opened. Without check, the descriptor held (no system call).
   Called by the leader only (no lock held: fd belongs to the leader). */
static int groupsync_fd(struct hd_groupsync *g, bool check, bool *checked_r, bool *reopened_r,
			char **error_r)
{
	struct stat now, held;

	if (!check && g->fd >= 0)
		return g->fd;
	if (stat(g->path, &now) != 0) {
		*error_r = xasprintf("%s: %s", g->path, strerror(errno));
		return -1;
	}
	*checked_r = true;
	if (g->fd >= 0 && fstat(g->fd, &held) == 0 && held.st_dev == now.st_dev &&
	    held.st_ino == now.st_ino)
		return g->fd;
	if (g->fd >= 0)
		close(g->fd);
	g->fd = open(g->path, O_RDONLY | O_CLOEXEC);
	if (g->fd < 0) {
		*error_r = xasprintf("%s: cannot open: %s", g->path, strerror(errno));
		return -1;
	}
	*reopened_r = true;
	return g->fd;
}

/* Sync the file as the leader for every ticket up to target. Called and
   returns with g->lock held. */
static void groupsync_lead(struct hd_groupsync *g, uint64_t target)
{
	char *err = NULL;
	bool checked = false, reopened = false, check = g->recheck;
	int fd;

	g->syncing = true;
	g->recheck = false;
	pthread_mutex_unlock(&g->lock);
	fd = groupsync_fd(g, check, &checked, &reopened, &err);
	if (fd >= 0 && (g->sync_fn != NULL ? g->sync_fn(fd, g->sync_ctx) : fdatasync(fd)) != 0)
		err = xasprintf("%s: fdatasync: %s", g->path, strerror(errno));
	pthread_mutex_lock(&g->lock);
	g->stats.syncs++;
	if (checked)
		g->stats.checks++;
	if (reopened)
		g->stats.reopens++;
	if (fd < 0)
		g->recheck = true;	/* not checked: again at the next sync */
	if (err == NULL)
		g->synced = target;
	else if (g->failure == NULL)
		g->failure = err;
	else
		free(err);
	g->syncing = false;
	pthread_cond_broadcast(&g->done);
}

/* Wait until a sync that started after this call covers the caller's
   writes; lead one when nobody is syncing. */
bool hd_groupsync_wait(struct hd_groupsync *g, char **error_r)
{
	uint64_t ticket;
	bool ok;

	pthread_mutex_lock(&g->lock);
	ticket = ++g->issued;
	g->stats.waits++;
	/* A sync already running may have started before our write: only one
	   that starts after the ticket was issued covers it. */
	while (g->synced < ticket && g->failure == NULL) {
		if (!g->syncing)
			groupsync_lead(g, g->issued);
		else
			pthread_cond_wait(&g->done, &g->lock);
	}
	ok = g->synced >= ticket;
	if (!ok)
		*error_r = xasprintf("%s (writes to it are refused from now on: the data "
				     "may not be on disk; check the disk, then restart)",
				     g->failure);
	pthread_mutex_unlock(&g->lock);
	return ok;
}

/* Copy the counters. */
void hd_groupsync_stats(struct hd_groupsync *g, struct hd_groupsync_stats *stats_r)
{
	pthread_mutex_lock(&g->lock);
	*stats_r = g->stats;
	pthread_mutex_unlock(&g->lock);
}

/* Replace fdatasync (tests). */
void hd_groupsync_set_sync(struct hd_groupsync *g, hd_groupsync_sync_fn *fn, void *ctx)
{
	pthread_mutex_lock(&g->lock);
	g->sync_fn = fn;
	g->sync_ctx = ctx;
	pthread_mutex_unlock(&g->lock);
}

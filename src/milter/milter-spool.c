/*
 * milter-spool - the bytes of one message while helpdesk-milter receives
 * it: headers and body in memory up to limits.body_memory_bytes, then in a
 * private unlinked file in the daemon's 0700 spool directory, never more
 * than limits.message_bytes (the rest is marked truncated). Also the engine
 * memory budget that lets only so many messages be inspected at once
 * (HD_MILTER_ENGINE_MEM_BUDGET).
 *
 * It must never lose or silently drop a byte it was asked to keep: every
 * spool failure becomes the message's failure (msg_fail), which ends in
 * on_failure at end of message. It must never leave a named file behind:
 * spool files are unlinked as soon as they are created.
 */
#include <config.h>
#include "milter-int.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char *g_spool_dir;			/* private 0700 directory */

static pthread_mutex_t g_engine_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_engine_cond = PTHREAD_COND_INITIALIZER;
static size_t g_engine_mem;			/* guarded by g_engine_lock */

/* ---- per-message context ---------------------------------------------- */

/* A new, empty message context on the runtime in force. */
struct msg *msg_new(void)
{
	struct msg *m = xcalloc(1, sizeof(*m));

	m->spool_fd = -1;
	sv_init(&m->rcpts);
	sv_init(&m->hdr_names);
	sb_init(&m->mem);
	m->rt = runtime_acquire();
	return m;
}

/* Free a message context and set the pointer to NULL. */
void msg_deinit(struct msg **mp)
{
	struct msg *m = *mp;

	if (m == NULL)
		return;
	runtime_release(&m->rt);
	free(m->queue_id);
	free(m->mail_from);
	free(m->auth_user);
	sv_free(&m->rcpts);
	sv_free(&m->hdr_names);
	sb_free(&m->mem);
	if (m->spool_fd >= 0)
		close(m->spool_fd);
	free(m->failure);
	free(m);
	*mp = NULL;
}

/* Record an internal failure (first one wins), reported at end of message. */
void msg_fail(struct msg *m, const char *fmt, ...)
{
	va_list ap;
	char buf[512];

	if (m->failure != NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	m->failure = xstrdup(buf);
	log_error("%s: %s", qid(m), buf);
}

/* Write all of buf to fd. */
bool fd_write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, buf, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		buf += w;
		len -= (size_t)w;
	}
	return true;
}

/* Move the in-memory message to a private unlinked spool file. */
static bool msg_spool(struct msg *m)
{
	char *path = xasprintf("%s/msg.XXXXXX", g_spool_dir);
	int fd = mkstemp(path);

	if (fd < 0) {
		msg_fail(m, "cannot create a spool file in %s: %s", g_spool_dir, strerror(errno));
		free(path);
		return false;
	}
	unlink(path);
	free(path);
	if (!fd_write_all(fd, m->mem.s, m->mem.len)) {
		msg_fail(m, "cannot write the spool file: %s", strerror(errno));
		close(fd);
		return false;
	}
	m->spool_fd = fd;
	sb_free(&m->mem);
	sb_init(&m->mem);
	return true;
}

/* Append message bytes within limits; false once nothing more is stored. */
bool msg_append(struct msg *m, const char *data, size_t len)
{
	size_t max, room;

	if (m->failure != NULL || m->truncated)
		return false;
	max = m->rt != NULL ? m->rt->cfg->limits.message_bytes : HD_LIMIT_MESSAGE_BYTES_DEFAULT;
	room = m->stored < max ? max - m->stored : 0;
	if (len > room) {
		len = room;
		m->truncated = true;
	}
	if (len == 0)
		return !m->truncated;
	if (m->spool_fd < 0) {
		size_t mem_max = m->rt != NULL ? m->rt->cfg->limits.body_memory_bytes
					       : HD_LIMIT_BODY_MEMORY_DEFAULT;
		if (m->mem.len + len > mem_max && !msg_spool(m))
			return false;
	}
	if (m->spool_fd >= 0) {
		if (!fd_write_all(m->spool_fd, data, len)) {
			msg_fail(m, "cannot write the spool file: %s", strerror(errno));
			return false;
		}
	} else {
		sb_append(&m->mem, data, len);
	}
	m->stored += len;
	return !m->truncated;
}

/* ---- spool directory -------------------------------------------------- */

/* Make the private spool directory (after dropping privileges). */
bool spool_dir_create(void)
{
	const char *tmp = getenv("TMPDIR");
	char *tmpl = xasprintf("%s/helpdesk-milter.XXXXXX", tmp && tmp[0] == '/' ? tmp : "/tmp");

	if (mkdtemp(tmpl) == NULL) {
		log_error("cannot create a spool directory %s: %s", tmpl, strerror(errno));
		free(tmpl);
		return false;
	}
	chmod(tmpl, 0700);
	g_spool_dir = tmpl;
	return true;
}

/* Remove the (empty) spool directory at shutdown. */
void spool_dir_remove(void)
{
	if (g_spool_dir != NULL)
		rmdir(g_spool_dir);
	free(g_spool_dir);
	g_spool_dir = NULL;
}

/* ---- engine memory admission ------------------------------------------ */

/* Estimated engine memory for a message of stored bytes, whether it stayed
   in memory or was spooled: the engine holds several copies of what it
   inspects either way, so sixteen 900 KB messages at once count as much as
   one 15 MB one. */
size_t engine_estimate(size_t stored, const struct hd_limits *lim)
{
	size_t inspected = stored < lim->message_bytes ? stored : lim->message_bytes;

	return HD_MILTER_ENGINE_MEM_BASE + inspected * HD_MILTER_ENGINE_MEM_FACTOR;
}

/* Reserve est bytes of the engine memory budget, waiting while other
   messages hold it (one always may start); false when the wait timed out. */
bool engine_admit(size_t est)
{
	struct timespec deadline;
	bool ok = true;

	if (est == 0)
		return true;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += HD_MILTER_ENGINE_WAIT_SECONDS;
	pthread_mutex_lock(&g_engine_lock);
	while (g_engine_mem > 0 && g_engine_mem + est > HD_MILTER_ENGINE_MEM_BUDGET) {
		if (pthread_cond_timedwait(&g_engine_cond, &g_engine_lock, &deadline) == ETIMEDOUT) {
			ok = false;
			break;
		}
	}
	if (ok)
		g_engine_mem += est;
	pthread_mutex_unlock(&g_engine_lock);
	return ok;
}

/* Give back a reservation of engine_admit() and wake the waiters. */
void engine_release(size_t est)
{
	if (est == 0)
		return;
	pthread_mutex_lock(&g_engine_lock);
	g_engine_mem -= est;
	pthread_cond_broadcast(&g_engine_cond);
	pthread_mutex_unlock(&g_engine_lock);
}

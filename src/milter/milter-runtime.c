/*
 * milter-runtime - what every message of helpdesk-milter shares: the
 * configuration and policy in force (the "runtime", immutable and reference
 * counted), its SIGHUP reload, the log sink the configuration selects, and
 * the pool of idle store handles.
 *
 * Each message takes a runtime reference at MAIL FROM and is decided on it
 * to the end, so a reload swaps a new runtime in atomically while mail is in
 * flight; the old one is freed by the last message that holds it. A reload
 * that fails validation must never replace the runtime in force: it is
 * refused with the diagnostics logged. Nothing here may decide policy or
 * touch a message.
 */
#include <config.h>
#include "milter-int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

char *g_config_path;				/* absolute; NULL: built-in defaults */
char *g_policy_override;			/* -P, absolute */
bool g_foreground;				/* log to stderr instead of syslog */

static pthread_mutex_t g_rt_lock = PTHREAD_MUTEX_INITIALIZER;
static struct runtime *g_rt;			/* guarded by g_rt_lock */

static pthread_mutex_t g_pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char *uri;
	struct hd_store *store;
} g_pool[HD_MILTER_STORE_POOL_MAX];		/* guarded by g_pool_lock */
static size_t g_npool;

/* ---- logging ---------------------------------------------------------- */

/* Log sink: stderr in the foreground (-f: systemd's journal takes it from
   there), syslog otherwise; never both, so no line is logged twice. */
static void milter_log_sink(enum log_level level, const char *msg)
{
	static const char *const names[] = { "", "", "", "error", "warning", "notice",
					     "info", "debug" };

	if (!g_foreground) {
		syslog((int)level, "%s", msg);
	} else {
		/* the foreground daemon never forks: its pid is asked once */
		static _Atomic long pid;
		char ts[32];

		if (pid == 0)
			pid = (long)getpid();
		time_format_utc(time(NULL), ts);
		fprintf(stderr, "%s %s[%ld]: %s: %s\n", ts, HD_MILTER_NAME, (long)pid,
			(unsigned)level < 8 ? names[level] : "", msg);
	}
}

/* Install the syslog sink with the configured facility and level. */
void milter_log_setup(const struct hd_config *cfg)
{
	closelog();
	openlog(HD_MILTER_NAME, LOG_PID | LOG_NDELAY,
		hd_config_syslog_facility(cfg->log_facility));
	log_set_sink(milter_log_sink, hd_config_log_level(cfg->log_level));
}

/* ---- runtime (config + policy) ---------------------------------------- */

/* Print or log every diagnostic. */
void diag_report(const struct hd_diag *d, bool to_stderr)
{
	for (size_t i = 0; i < d->lines.n; i++) {
		if (to_stderr)
			fprintf(stderr, "%s\n", d->lines.v[i]);
		else
			log_error("%s", d->lines.v[i]);
	}
}

/* Load config and policy into a new runtime; NULL with diagnostics. */
struct runtime *runtime_load(struct hd_diag *d)
{
	struct hd_config *cfg;
	struct hd_policy *policy;
	struct runtime *rt;

	cfg = hd_config_load(g_config_path, d);
	if (cfg == NULL)
		return NULL;
	if (g_policy_override != NULL) {
		free(cfg->policy);
		cfg->policy = xstrdup(g_policy_override);
	}
	policy = hd_policy_load(cfg->policy, d);
	if (policy == NULL) {
		hd_config_deinit(&cfg);
		return NULL;
	}
	if (hd_policy_selftest(policy, d) > 0) {
		hd_policy_unref(&policy);
		hd_config_deinit(&cfg);
		return NULL;
	}
	rt = xcalloc(1, sizeof(*rt));
	atomic_init(&rt->refs, 1);
	rt->cfg = cfg;
	rt->policy = policy;
	if (cfg->seal_key_file != NULL) {
		char *err = NULL;

		rt->seal = hd_seal_key_load(cfg->seal_key_id, cfg->seal_key_file, &err);
		if (rt->seal == NULL) {
			hd_diag_add(d, cfg->file ? cfg->file : "config", 1, 1, "seal: %s", err);
			free(err);
			hd_policy_unref(&rt->policy);
			hd_config_deinit(&rt->cfg);
			free(rt);
			return NULL;
		}
	}
	return rt;
}

/* Drop a runtime reference; frees at zero. */
void runtime_release(struct runtime **rtp)
{
	struct runtime *rt = *rtp;

	if (rt == NULL)
		return;
	*rtp = NULL;
	if (atomic_fetch_sub(&rt->refs, 1) != 1)
		return;
	hd_policy_unref(&rt->policy);
	hd_config_deinit(&rt->cfg);
	hd_seal_key_free(&rt->seal);
	free(rt);
}

/* Take a reference to the runtime in force (NULL only before startup). */
struct runtime *runtime_acquire(void)
{
	struct runtime *rt;

	pthread_mutex_lock(&g_rt_lock);
	rt = g_rt;
	if (rt != NULL)
		atomic_fetch_add(&rt->refs, 1);
	pthread_mutex_unlock(&g_rt_lock);
	return rt;
}

/* Put a new runtime in force; the old one lives on in its messages. */
void runtime_swap(struct runtime *rt)
{
	struct runtime *old;

	pthread_mutex_lock(&g_rt_lock);
	old = g_rt;
	g_rt = rt;
	pthread_mutex_unlock(&g_rt_lock);
	runtime_release(&old);
}

/* SIGHUP: reload config and policy; keep the old ones on any error. */
void runtime_reload(void)
{
	struct hd_diag d;
	struct runtime *rt, *cur;

	hd_diag_init(&d);
	rt = runtime_load(&d);
	if (rt == NULL) {
		diag_report(&d, false);
		log_error("reload refused: %zu error(s); the policy in force stays",
			  hd_diag_count(&d));
		hd_diag_free(&d);
		return;
	}
	hd_diag_free(&d);
	cur = runtime_acquire();
	if (cur != NULL) {
		if (strcmp(cur->cfg->socket, rt->cfg->socket) != 0)
			log_warning("reload: a new socket (%s) takes effect only after a restart",
				    rt->cfg->socket);
		if ((cur->cfg->user == NULL) != (rt->cfg->user == NULL) ||
		    (cur->cfg->user != NULL && strcmp(cur->cfg->user, rt->cfg->user) != 0))
			log_warning("reload: a new user takes effect only after a restart");
		runtime_release(&cur);
	}
	milter_log_setup(rt->cfg);
	smfi_settimeout(rt->cfg->timeout);
	log_notice("reloaded: policy %s v%s from %s", rt->policy->name, rt->policy->version,
		   rt->policy->file ? rt->policy->file : rt->cfg->policy);
	runtime_swap(rt);
}

/* ---- store pool ------------------------------------------------------- */

/* A store handle for uri: the most recently returned idle one (its SQLite
   page cache is the likeliest to be still valid), or a new one. */
struct hd_store *store_take(const char *uri, char **error_r)
{
	struct hd_store *s = NULL;

	pthread_mutex_lock(&g_pool_lock);
	for (size_t i = g_npool; i-- > 0;) {
		if (strcmp(g_pool[i].uri, uri) == 0) {
			s = g_pool[i].store;
			free(g_pool[i].uri);
			memmove(&g_pool[i], &g_pool[i + 1], (g_npool - i - 1) * sizeof(g_pool[0]));
			g_npool--;
			break;
		}
	}
	pthread_mutex_unlock(&g_pool_lock);
	if (s != NULL)
		return s;
	return hd_store_open(uri, error_r);
}

/* Return a healthy handle to the pool (or close it when the pool is full). */
void store_give(const char *uri, struct hd_store **sp)
{
	pthread_mutex_lock(&g_pool_lock);
	if (g_npool < HD_MILTER_STORE_POOL_MAX) {
		g_pool[g_npool].uri = xstrdup(uri);
		g_pool[g_npool].store = *sp;
		g_npool++;
		*sp = NULL;
	}
	pthread_mutex_unlock(&g_pool_lock);
	hd_store_deinit(sp);
}

/* Close every pooled handle (shutdown). */
void store_pool_drain(void)
{
	pthread_mutex_lock(&g_pool_lock);
	for (size_t i = 0; i < g_npool; i++) {
		hd_store_deinit(&g_pool[i].store);
		free(g_pool[i].uri);
	}
	g_npool = 0;
	pthread_mutex_unlock(&g_pool_lock);
}

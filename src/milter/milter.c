/*
 * milter - helpdesk-milter, the libmilter daemon (SPEC s.2, s.5, s.10). It
 * collects each message (envelope, headers, body; the body spooled to a
 * private unlinked file past limits.body_memory_bytes), hands it to the one
 * engine (hd_engine_run) at end of message and applies the verdict: remove
 * forged X-Helpdesk-* headers, add its own, add escalation recipients,
 * reject, tempfail, quarantine or discard, and run notify_command.
 *
 * The loaded configuration and policy form an immutable, reference-counted
 * "runtime"; each message takes a reference at MAIL FROM and finishes on it,
 * so a SIGHUP reload swaps a new one in atomically while mail is in flight.
 * Signals are handled by one dedicated thread (sigwaitinfo). libmilter runs
 * its own signal thread that would stop the milter on SIGHUP; this file
 * interposes sigwait() so that thread never takes the signals we handle.
 *
 * It must never lose mail: every internal failure (engine or store error,
 * spool I/O, missing runtime) is logged with the queue id and ends in the
 * configured on_failure mode (tempfail by default), never in a crash or a
 * silent accept. It must never decide policy itself: that is the engine's.
 */
#include <config.h>
#include "seal.h"
#include "settings.h"
#include "engine.h"
#include "net.h"
#include "policy.h"
#include "store.h"
#include "util.h"
#include "verdict.h"

#include <libmilter/mfapi.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* Named limits of the daemon. */
#define HD_MILTER_NAME "helpdesk-milter"
#define HD_MILTER_HEADER_NAMES_MAX 200000	/* header names remembered per message */
#define HD_MILTER_REPLY_LINES_MAX 32		/* libmilter's smfi_setmlreply limit */
#define HD_MILTER_REPLY_LINE_BYTES 900		/* one SMTP reply line, before escaping */
#define HD_MILTER_STORE_POOL_MAX 32		/* idle store handles kept */
#define HD_MILTER_DRAIN_SECONDS 60		/* wait for connections at shutdown */
#define HD_MILTER_NOTIFY_WRITE_MS 2000		/* time to hand a notice to the command */
#define HD_MILTER_BACKLOG 128
#define HD_MILTER_BODY_CHUNK 65535		/* bytes per smfi_replacebody call */
#define HD_MILTER_FD_SCAN_MAX 256		/* descriptors searched for the listener */
/* Memory of large messages. A spooled message (bigger than
   limits.body_memory_bytes) is read back by the engine, which holds several
   copies of what it inspects (the raw bytes, GMime's copy, the decoded and
   the converted text): about HD_MILTER_ENGINE_MEM_FACTOR bytes per inspected
   byte, measured. Engine runs on spooled messages start only while their
   estimates fit in HD_MILTER_ENGINE_MEM_BUDGET (one always may start), so 50
   concurrent 20 MB messages do not mean 50 copies of 10 MB at once. */
#define HD_MILTER_ENGINE_MEM_FACTOR 6
#define HD_MILTER_ENGINE_MEM_BUDGET (48u * 1024 * 1024)
#define HD_MILTER_ENGINE_WAIT_SECONDS 60	/* then on_failure; below MTA timeouts */
/* Blocks this big come from mmap and go back to the system when freed (a
   fixed threshold: glibc would otherwise raise it after the first large
   free, and every thread's arena would keep its large buffers). */
#define HD_MILTER_MMAP_THRESHOLD (256 * 1024)

/* The configuration and policy in force: immutable, reference counted. */
struct runtime {
	atomic_int refs;
	struct hd_config *cfg;
	struct hd_policy *policy;
	struct hd_seal_key *seal;	/* seal.key_file loaded; NULL: no seal */
};

/* One message being received. */
struct msg {
	struct runtime *rt;		/* the runtime this message is decided on */
	char *queue_id;
	char *mail_from;
	char *auth_user;
	struct strvec rcpts;
	bool rcpts_capped;
	struct strvec hdr_names;	/* every header name as seen, in order */
	struct strbuf mem;		/* headers + body while in memory */
	int spool_fd;			/* >= 0 once spooled */
	size_t stored;			/* bytes kept (memory or spool) */
	bool truncated;			/* stopped at limits.message_bytes */
	char *failure;			/* internal failure to report at EOM */
};

/* One SMTP connection from the MTA. */
struct conn {
	char *client_ip;
	unsigned long nr;		/* SMFIP_NR_* negotiated: those replies suppressed */
	bool skip;			/* SMFIP_SKIP negotiated (only without SMFIP_NR_BODY) */
	struct msg *msg;
};

/* Daemon-wide state; every mutable field is guarded or atomic. */
static pthread_mutex_t g_rt_lock = PTHREAD_MUTEX_INITIALIZER;
static struct runtime *g_rt;			/* guarded by g_rt_lock */
static char *g_config_path;			/* absolute; NULL: built-in defaults */
static char *g_policy_override;			/* -P, absolute */
static char *g_socket;				/* the socket actually listened on */
static bool g_socket_local;			/* it is a unix socket (no Nagle) */
static char *g_spool_dir;			/* private 0700 directory */
static bool g_foreground;
static atomic_int g_active;			/* connections in progress */

static pthread_mutex_t g_pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char *uri;
	struct hd_store *store;
} g_pool[HD_MILTER_STORE_POOL_MAX];		/* guarded by g_pool_lock */
static size_t g_npool;

static pthread_mutex_t g_engine_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_engine_cond = PTHREAD_COND_INITIALIZER;
static size_t g_engine_mem;			/* guarded by g_engine_lock */

/* ---- logging ---------------------------------------------------------- */

/* Log sink: syslog always, and stderr too when in the foreground. */
static void milter_log_sink(enum log_level level, const char *msg)
{
	static const char *const names[] = { "", "", "", "error", "warning", "notice",
					     "info", "debug" };

	syslog((int)level, "%s", msg);
	if (g_foreground) {
		char ts[32];

		time_format_utc(time(NULL), ts);
		fprintf(stderr, "%s %s[%ld]: %s: %s\n", ts, HD_MILTER_NAME, (long)getpid(),
			(unsigned)level < 8 ? names[level] : "", msg);
	}
}

/* Install the syslog sink with the configured facility and level. */
static void milter_log_setup(const struct hd_config *cfg)
{
	closelog();
	openlog(HD_MILTER_NAME, LOG_PID | LOG_NDELAY,
		hd_config_syslog_facility(cfg->log_facility));
	log_set_sink(milter_log_sink, hd_config_log_level(cfg->log_level));
}

/* The queue id for log lines: never NULL. */
static const char *qid(const struct msg *m)
{
	return m != NULL && m->queue_id != NULL ? m->queue_id : "NOQUEUE";
}

/* ---- runtime (config + policy) ---------------------------------------- */

/* Print or log every diagnostic. */
static void diag_report(const struct hd_diag *d, bool to_stderr)
{
	for (size_t i = 0; i < d->lines.n; i++) {
		if (to_stderr)
			fprintf(stderr, "%s\n", d->lines.v[i]);
		else
			log_error("%s", d->lines.v[i]);
	}
}

/* Load config and policy into a new runtime; NULL with diagnostics. */
static struct runtime *runtime_load(struct hd_diag *d)
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
static void runtime_release(struct runtime **rtp)
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
static struct runtime *runtime_acquire(void)
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
static void runtime_swap(struct runtime *rt)
{
	struct runtime *old;

	pthread_mutex_lock(&g_rt_lock);
	old = g_rt;
	g_rt = rt;
	pthread_mutex_unlock(&g_rt_lock);
	runtime_release(&old);
}

/* SIGHUP: reload config and policy; keep the old ones on any error. */
static void runtime_reload(void)
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
static struct hd_store *store_take(const char *uri, char **error_r)
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
static void store_give(const char *uri, struct hd_store **sp)
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
static void store_pool_drain(void)
{
	pthread_mutex_lock(&g_pool_lock);
	for (size_t i = 0; i < g_npool; i++) {
		hd_store_deinit(&g_pool[i].store);
		free(g_pool[i].uri);
	}
	g_npool = 0;
	pthread_mutex_unlock(&g_pool_lock);
}

/* ---- engine memory admission ------------------------------------------ */

/* Estimated engine memory for a message of stored bytes: 0 when it stayed
   in memory (bounded by limits.body_memory_bytes), else per inspected byte. */
static size_t engine_estimate(size_t stored, bool spooled, const struct hd_limits *lim)
{
	size_t inspected = stored < lim->message_bytes ? stored : lim->message_bytes;

	return spooled ? inspected * HD_MILTER_ENGINE_MEM_FACTOR : 0;
}

/* Reserve est bytes of the engine memory budget, waiting while other large
   messages hold it; false when the wait timed out. */
static bool engine_admit(size_t est)
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
static void engine_release(size_t est)
{
	if (est == 0)
		return;
	pthread_mutex_lock(&g_engine_lock);
	g_engine_mem -= est;
	pthread_cond_broadcast(&g_engine_cond);
	pthread_mutex_unlock(&g_engine_lock);
}

/* ---- per-message context ---------------------------------------------- */

/* Free a message context and set the pointer to NULL. */
static void msg_deinit(struct msg **mp)
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

/* The connection context, created on first use (robust to missing callbacks). */
static struct conn *conn_get(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c == NULL) {
		c = xcalloc(1, sizeof(*c));
		smfi_setpriv(ctx, c);
		atomic_fetch_add(&g_active, 1);
	}
	return c;
}

/* Remember the queue id when the MTA has one. */
static void msg_take_queue_id(SMFICTX *ctx, struct msg *m)
{
	const char *q = smfi_getsymval(ctx, "i");

	if (q != NULL && q[0] != '\0' && (m->queue_id == NULL || strcmp(m->queue_id, q) != 0)) {
		free(m->queue_id);
		m->queue_id = xstrdup(q);
	}
}

/* The message context, created on first use. */
static struct msg *msg_get(SMFICTX *ctx, struct conn *c)
{
	struct msg *m = c->msg;

	if (m == NULL) {
		m = xcalloc(1, sizeof(*m));
		m->spool_fd = -1;
		sv_init(&m->rcpts);
		sv_init(&m->hdr_names);
		sb_init(&m->mem);
		m->rt = runtime_acquire();
		c->msg = m;
	}
	msg_take_queue_id(ctx, m);
	return m;
}

/* Record an internal failure (first one wins), reported at end of message. */
static void msg_fail(struct msg *m, const char *fmt, ...)
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
static bool write_all(int fd, const char *buf, size_t len)
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
	if (!write_all(fd, m->mem.s, m->mem.len)) {
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
static bool msg_append(struct msg *m, const char *data, size_t len)
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
		if (!write_all(m->spool_fd, data, len)) {
			msg_fail(m, "cannot write the spool file: %s", strerror(errno));
			return false;
		}
	} else {
		sb_append(&m->mem, data, len);
	}
	m->stored += len;
	return !m->truncated;
}

/* Strip <> and surrounding blanks from an SMTP path argument. */
static char *smtp_path(const char *arg)
{
	size_t len;

	if (arg == NULL)
		return xstrdup("");
	while (*arg == ' ' || *arg == '\t')
		arg++;
	len = strlen(arg);
	while (len > 0 && (arg[len - 1] == ' ' || arg[len - 1] == '\t'))
		len--;
	if (len >= 2 && arg[0] == '<' && arg[len - 1] == '>')
		return xstrndup(arg + 1, len - 2);
	return xstrndup(arg, len);
}

/* ---- milter callbacks -------------------------------------------------- */

/* The answer for a stage that never decides: none when the MTA agreed not
   to wait for one (SMFIP_NR_* flag nr), else "continue". */
static sfsistat conn_continue(const struct conn *c, unsigned long nr)
{
	return (c->nr & nr) != 0 ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

/* Negotiate: the actions we need, the stages we skip, macros we want. */
static sfsistat mlfi_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
			       unsigned long f2, unsigned long f3, unsigned long *pf0,
			       unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	const unsigned long actions = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_ADDRCPT |
				      SMFIF_QUARANTINE | SMFIF_CHGBODY | SMFIF_DELRCPT;
	/* DATA is not skipped: Postfix sends the DATA-stage macros anyway, and
	   without a command after them its next small write waits on Nagle for
	   our delayed ACK (~40 ms a message on an inet socket). */
	unsigned long skip_steps = SMFIP_NOHELO | SMFIP_NOUNKNOWN;
	/* Every stage before end of message only collects: its answer is
	   always "continue", so the MTA need not wait for it. That saves a
	   round trip per stage (connect, MAIL, RCPT, end of headers, each
	   header and each body chunk): Postfix then buffers those commands and
	   sends them with the next one that expects a reply. DATA keeps its
	   reply: on an inet socket that reply acknowledges everything smtpd
	   sent before it hands the connection to cleanup, whose first write
	   would otherwise wait on Nagle for our delayed ACK. */
	const unsigned long no_reply = SMFIP_NR_CONN | SMFIP_NR_MAIL | SMFIP_NR_RCPT |
				       SMFIP_NR_HDR | SMFIP_NR_EOH | SMFIP_NR_BODY;
	struct conn *c;

	if ((f0 & actions) != actions) {
		log_error("the MTA does not offer the header/recipient/quarantine actions "
			  "(offered 0x%lx): milter disabled for this connection", f0);
		return SMFIS_REJECT;
	}
	/* A unix socket has no Nagle: there DATA is skipped, one round trip
	   less a message. */
	if (g_socket_local)
		skip_steps |= SMFIP_NODATA;
	c = conn_get(ctx);
	*pf0 = actions;
	*pf1 = f1 & skip_steps;
	c->nr = f1 & no_reply;
	*pf1 |= c->nr;
	/* SMFIS_SKIP is a reply: only of use when body chunks get replies. */
	if ((f1 & SMFIP_SKIP) && !(c->nr & SMFIP_NR_BODY)) {
		*pf1 |= SMFIP_SKIP;
		c->skip = true;
	}
	*pf2 = 0;
	*pf3 = 0;
	if (f0 & SMFIF_SETSYMLIST) {
		*pf0 |= SMFIF_SETSYMLIST;
		smfi_setsymlist(ctx, SMFIM_ENVFROM, "i {auth_authen}");
		smfi_setsymlist(ctx, SMFIM_EOM, "i");
	}
	return SMFIS_CONTINUE;
}

/* Connect: remember the client address (numeric). */
static sfsistat mlfi_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *hostaddr)
{
	struct conn *c = conn_get(ctx);
	char buf[INET6_ADDRSTRLEN];
	const struct sockaddr *sa = (const struct sockaddr *)hostaddr;

	free(c->client_ip);
	c->client_ip = NULL;
	if (sa != NULL && sa->sa_family == AF_INET &&
	    inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf, sizeof(buf)))
		c->client_ip = xstrdup(buf);
	else if (sa != NULL && sa->sa_family == AF_INET6 &&
		 inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf,
			   sizeof(buf)))
		c->client_ip = xstrdup(buf);
	return conn_continue(c, SMFIP_NR_CONN);
}

/* MAIL FROM: start a message on the runtime in force. */
static sfsistat mlfi_envfrom(SMFICTX *ctx, char **argv)
{
	struct conn *c = conn_get(ctx);
	struct msg *m;
	const char *auth;

	msg_deinit(&c->msg);	/* a previous message without EOM/abort */
	m = msg_get(ctx, c);
	m->mail_from = smtp_path(argv != NULL ? argv[0] : NULL);
	auth = smfi_getsymval(ctx, "{auth_authen}");
	if (auth != NULL && auth[0] != '\0')
		m->auth_user = xstrdup(auth);
	if (m->rt == NULL)
		msg_fail(m, "no policy loaded");
	return conn_continue(c, SMFIP_NR_MAIL);
}

/* RCPT TO: collect recipients up to limits.recipients. */
static sfsistat mlfi_envrcpt(SMFICTX *ctx, char **argv)
{
	struct conn *c = conn_get(ctx);
	struct msg *m = msg_get(ctx, c);
	size_t max = m->rt ? m->rt->cfg->limits.recipients : HD_LIMIT_RECIPIENTS_DEFAULT;

	if (argv == NULL || argv[0] == NULL)
		return conn_continue(c, SMFIP_NR_RCPT);
	if (m->rcpts.n >= max) {
		if (!m->rcpts_capped)
			log_warning("%s: more than %zu recipients; the rest are not inspected",
				    qid(m), max);
		m->rcpts_capped = true;
		return conn_continue(c, SMFIP_NR_RCPT);
	}
	sv_push_owned(&m->rcpts, smtp_path(argv[0]));
	return conn_continue(c, SMFIP_NR_RCPT);
}

/* Header: rebuild "Name: value\r\n" and remember the name for indices. */
static sfsistat mlfi_header(SMFICTX *ctx, char *name, char *value)
{
	struct conn *c = conn_get(ctx);
	struct msg *m = msg_get(ctx, c);
	struct strbuf line;
	sfsistat ok = conn_continue(c, SMFIP_NR_HDR);

	if (name == NULL)
		return ok;
	if (value == NULL)
		value = "";
	if (m->hdr_names.n < HD_MILTER_HEADER_NAMES_MAX)
		sv_push(&m->hdr_names, name);
	else if (m->hdr_names.n == HD_MILTER_HEADER_NAMES_MAX)
		msg_fail(m, "more than %d headers", HD_MILTER_HEADER_NAMES_MAX);
	if (m->truncated || m->failure != NULL)
		return ok;
	sb_init(&line);
	sb_puts(&line, name);
	sb_puts(&line, ": ");
	for (const char *p = value; *p; p++) {
		if (*p == '\n' && (p == value || p[-1] != '\r'))
			sb_putc(&line, '\r');
		sb_putc(&line, *p);
	}
	sb_puts(&line, "\r\n");
	msg_append(m, line.s, line.len);
	sb_free(&line);
	return ok;
}

/* End of headers: the blank line. */
static sfsistat mlfi_eoh(SMFICTX *ctx)
{
	struct conn *c = conn_get(ctx);
	struct msg *m = msg_get(ctx, c);

	msg_append(m, "\r\n", 2);
	return conn_continue(c, SMFIP_NR_EOH);
}

/* Body chunk: store up to limits.message_bytes, then (when body chunks get
   replies at all) ask the MTA to skip the rest. */
static sfsistat mlfi_body(SMFICTX *ctx, unsigned char *data, size_t len)
{
	struct conn *c = conn_get(ctx);
	struct msg *m = msg_get(ctx, c);

	if (!msg_append(m, (const char *)data, len) && c->skip)
		return SMFIS_SKIP;
	return conn_continue(c, SMFIP_NR_BODY);
}

/* Replace CR/LF by spaces and double '%' for an SMTP reply line. */
static char *reply_line(const char *s)
{
	struct strbuf sb;
	size_t n = 0;

	sb_init(&sb);
	for (; *s && n < HD_MILTER_REPLY_LINE_BYTES; s++, n++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '\r' || ch == '\n' || ch == '\t')
			sb_putc(&sb, ' ');
		else if (ch == '%')
			sb_puts(&sb, "%%");
		else if (ch < 0x20 || ch == 0x7f)
			continue;
		else
			sb_putc(&sb, (char)ch);
	}
	if (sb.len == 0)
		sb_putc(&sb, ' ');
	return sb.s;	/* the caller owns the buffer */
}

/* Set the SMTP reply of a reject/tempfail verdict (up to 32 lines). */
static void apply_reply(SMFICTX *ctx, const struct msg *m, const struct hd_verdict *v,
			const char *dcode, const char *dxcode, const char *dtext)
{
	const char *code = v->has_reply && v->reply_code[0] ? v->reply_code : dcode;
	const char *xcode = v->has_reply && v->reply_xcode[0] ? v->reply_xcode : dxcode;
	char *l[HD_MILTER_REPLY_LINES_MAX];
	size_t n = 0;
	int r;

	/* the code class must match the action, or libmilter refuses the reply */
	if (code[0] != dcode[0]) {
		code = dcode;
		xcode = dxcode;
	}
	memset(l, 0, sizeof(l));
	for (size_t i = 0; i < v->reply_lines.n && n < HD_MILTER_REPLY_LINES_MAX; i++)
		l[n++] = reply_line(v->reply_lines.v[i]);
	if (n == 0)
		l[n++] = reply_line(dtext);
	if (n == 1)
		r = smfi_setreply(ctx, (char *)code, (char *)xcode, l[0]);
	else
		r = smfi_setmlreply(ctx, code, xcode, l[0], l[1], l[2], l[3], l[4], l[5], l[6],
				    l[7], l[8], l[9], l[10], l[11], l[12], l[13], l[14], l[15],
				    l[16], l[17], l[18], l[19], l[20], l[21], l[22], l[23],
				    l[24], l[25], l[26], l[27], l[28], l[29], l[30], l[31],
				    (char *)NULL);
	if (r != MI_SUCCESS)
		log_warning("%s: the MTA refused the SMTP reply text; using its default",
			    qid(m));
	for (size_t i = 0; i < n; i++)
		free(l[i]);
}

/* Count how often a header name (any case) was seen. */
static int header_count(const struct msg *m, const char *name)
{
	int n = 0;

	for (size_t i = 0; i < m->hdr_names.n; i++)
		if (strcasecmp(m->hdr_names.v[i], name) == 0)
			n++;
	return n;
}

/* Remove headers: every instance of each name the verdict lists and, for
   mail in scope, every X-Helpdesk-* seen. Indices are 1-based per name and
   removed from the last one back, so earlier indices stay valid. */
static bool apply_header_removal(SMFICTX *ctx, const struct msg *m, const struct hd_verdict *v)
{
	struct strvec names;
	bool ok = true;

	sv_init(&names);
	for (size_t i = 0; i < v->headers_removed.n; i++)
		if (!sv_contains_ci(&names, v->headers_removed.v[i]))
			sv_push(&names, v->headers_removed.v[i]);
	if (v->direction != HD_DIR_OUT_OF_SCOPE)
		for (size_t i = 0; i < m->hdr_names.n; i++)
			if (str_has_prefix_ci(m->hdr_names.v[i], "X-Helpdesk-") &&
			    !sv_contains_ci(&names, m->hdr_names.v[i]))
				sv_push(&names, m->hdr_names.v[i]);
	for (size_t i = 0; i < names.n && ok; i++) {
		for (int idx = header_count(m, names.v[i]); idx >= 1; idx--) {
			log_debug("%s: removing header %s[%d]", qid(m), names.v[i], idx);
			if (smfi_chgheader(ctx, names.v[i], idx, NULL) != MI_SUCCESS) {
				log_error("%s: cannot remove header %s[%d]", qid(m), names.v[i], idx);
				ok = false;
				break;
			}
		}
	}
	sv_free(&names);
	return ok;
}

/* Header value safe for smfi_addheader: no CR, LF only as folding. */
static char *header_value(const char *s)
{
	struct strbuf sb;

	sb_init(&sb);
	for (; *s; s++) {
		if (*s == '\r')
			continue;
		if (*s == '\n') {
			sb_puts(&sb, "\n\t");
			while (s[1] == ' ' || s[1] == '\t')
				s++;
			continue;
		}
		sb_putc(&sb, *s);
	}
	return sb.s;	/* the caller owns the buffer */
}

/* Run notify_command with the notice on its stdin; never waits for it (the
   signal thread reaps it on SIGCHLD). */
static void notify_run(const struct msg *m, const struct hd_config *cfg,
		       const struct hd_verdict *v)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none;
	int pfd[2];
	pid_t pid;
	int r;
	char *env[5];
	size_t ne = 0;

	if (cfg->notify_command.n == 0) {
		log_warning("%s: a notify finding, but no notify_command is configured", qid(m));
		return;
	}
	if (pipe2(pfd, O_CLOEXEC) != 0) {
		log_error("%s: notify: pipe: %s", qid(m), strerror(errno));
		return;
	}
	env[ne++] = xstrdup("PATH=/usr/sbin:/usr/bin:/sbin:/bin");
	env[ne++] = xasprintf("HELPDESK_QUEUE_ID=%s", qid(m));
	if (v->notify_to != NULL)
		env[ne++] = xasprintf("HELPDESK_NOTIFY_TO=%s", v->notify_to);
	if (v->ticket != NULL)
		env[ne++] = xasprintf("HELPDESK_TICKET=%s", v->ticket);
	env[ne] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[0], 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
#endif
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	{
		sigset_t def;

		sigemptyset(&def);
		sigaddset(&def, SIGPIPE);
		sigaddset(&def, SIGCHLD);
		posix_spawnattr_setsigdefault(&attr, &def);
	}
	r = posix_spawn(&pid, cfg->notify_command.v[0], &fa, &attr, cfg->notify_command.v, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	for (size_t i = 0; i < ne; i++)
		free(env[i]);
	close(pfd[0]);
	if (r != 0) {
		log_error("%s: notify: cannot run %s: %s", qid(m), cfg->notify_command.v[0],
			  strerror(r));
		close(pfd[1]);
		return;
	}
	/* Hand over the notice without blocking for long. */
	{
		const char *p = v->notify_text;
		size_t left = strlen(p);
		int waited = 0;

		fcntl(pfd[1], F_SETFL, O_NONBLOCK);
		while (left > 0 && waited < HD_MILTER_NOTIFY_WRITE_MS) {
			ssize_t w = write(pfd[1], p, left);

			if (w > 0) {
				p += w;
				left -= (size_t)w;
				continue;
			}
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0 && errno == EAGAIN) {
				struct pollfd pf = { .fd = pfd[1], .events = POLLOUT };

				poll(&pf, 1, 100);
				waited += 100;
				continue;
			}
			break;
		}
		if (left > 0)
			log_warning("%s: notify: %s did not read the whole notice", qid(m),
				    cfg->notify_command.v[0]);
	}
	close(pfd[1]);
	log_info("%s: notify: started %s (pid %ld)", qid(m), cfg->notify_command.v[0], (long)pid);
}

/* The on_failure answer, logged with the queue id and reason. */
static sfsistat fail_action(SMFICTX *ctx, const struct msg *m, const char *reason)
{
	bool tempfail = m == NULL || m->rt == NULL || m->rt->cfg->on_failure_tempfail;

	log_error("%s: %s; on_failure=%s", qid(m), reason, tempfail ? "tempfail" : "accept");
	if (tempfail) {
		smfi_setreply(ctx, "451", "4.3.0", "Temporary failure in the helpdesk policy "
			      "filter, please try again later");
		return SMFIS_TEMPFAIL;
	}
	return SMFIS_ACCEPT;
}

/* Helpdesk dialects: headers the helpdesk must find first (inserted at the
   top, last one first so they keep their order), recipients rerouted. */
static bool apply_helpdesk(SMFICTX *ctx, const struct msg *m, const struct hd_verdict *v)
{
	for (size_t i = v->headers_inserted.n; i >= 2; i -= 2) {
		char *val = header_value(v->headers_inserted.v[i - 1]);
		int rc = smfi_insheader(ctx, 0, v->headers_inserted.v[i - 2], val);

		free(val);
		if (rc != MI_SUCCESS) {
			log_error("%s: cannot insert header %s", qid(m), v->headers_inserted.v[i - 2]);
			return false;
		}
	}
	for (size_t i = 0; i < v->recipients_removed.n; i++)
		if (smfi_delrcpt(ctx, v->recipients_removed.v[i]) != MI_SUCCESS) {
			log_error("%s: cannot remove recipient %s", qid(m), v->recipients_removed.v[i]);
			return false;
		}
	return true;
}

/* Apply a verdict; returns the libmilter status. */
static sfsistat apply_verdict(SMFICTX *ctx, struct msg *m, const struct hd_verdict *v)
{
	bool ok = true;

	switch (v->action) {
	case HD_VERDICT_REJECT:
		apply_reply(ctx, m, v, "550", "5.7.1", "Rejected by the helpdesk policy");
		return SMFIS_REJECT;
	case HD_VERDICT_TEMPFAIL:
		apply_reply(ctx, m, v, "451", "4.7.1", "Deferred by the helpdesk policy");
		return SMFIS_TEMPFAIL;
	case HD_VERDICT_DISCARD:
		return SMFIS_DISCARD;
	case HD_VERDICT_ACCEPT:
	case HD_VERDICT_HOLD:
	default:
		break;
	}
	ok = apply_header_removal(ctx, m, v);
	for (size_t i = 0; ok && i + 1 < v->headers_added.n; i += 2) {
		char *val = header_value(v->headers_added.v[i + 1]);

		if (smfi_addheader(ctx, v->headers_added.v[i], val) != MI_SUCCESS) {
			log_error("%s: cannot add header %s", qid(m), v->headers_added.v[i]);
			ok = false;
		}
		free(val);
	}
	ok = ok && apply_helpdesk(ctx, m, v);
	for (size_t i = 0; ok && i < v->recipients_added.n; i++) {
		char *r = xasprintf("<%s>", v->recipients_added.v[i]);

		if (smfi_addrcpt(ctx, r) != MI_SUCCESS) {
			log_error("%s: cannot add recipient %s", qid(m), r);
			ok = false;
		}
		free(r);
	}
	/* The engine rewrote the body (an #exception line removed). */
	for (size_t off = 0; ok && v->body != NULL;) {
		size_t n = v->body_len - off > HD_MILTER_BODY_CHUNK ? HD_MILTER_BODY_CHUNK : v->body_len - off;

		if (smfi_replacebody(ctx, (unsigned char *)v->body + off, (int)n) != MI_SUCCESS) {
			log_error("%s: cannot replace the body", qid(m));
			ok = false;
		}
		off += n;
		if (off >= v->body_len)
			break;
	}
	if (ok && v->action == HD_VERDICT_HOLD) {
		char *reason = reply_line(v->hold_reason ? v->hold_reason : "helpdesk policy");

		if (smfi_quarantine(ctx, reason) != MI_SUCCESS) {
			log_error("%s: cannot quarantine", qid(m));
			ok = false;
		}
		free(reason);
	}
	if (!ok)
		return fail_action(ctx, m, "the MTA refused a message change");
	return SMFIS_ACCEPT;
}

/* Log the decision in one line. */
static void log_verdict(const struct msg *m, const struct hd_verdict *v)
{
	struct strbuf sb;

	sb_init(&sb);
	sb_printf(&sb, "%s: %s action=%s", qid(m), hd_direction_name(v->direction),
		  hd_verdict_action_name(v->action));
	if (v->ticket)
		sb_printf(&sb, " ticket=%s", v->ticket);
	if (v->team)
		sb_printf(&sb, " team=%s", v->team);
	if (v->priority)
		sb_printf(&sb, " priority=%s", v->priority);
	if (v->agent)
		sb_printf(&sb, " agent=%s", v->agent);
	for (size_t i = 0; i < v->recipients_added.n; i++)
		sb_printf(&sb, " added=%s", v->recipients_added.v[i]);
	for (size_t i = 0; i < v->nfindings; i++)
		sb_printf(&sb, " finding=%s:%s", v->findings[i].kind,
			  v->findings[i].rule ? v->findings[i].rule : "-");
	if (m->truncated)
		sb_puts(&sb, " truncated=yes");
	if (v->direction == HD_DIR_OUT_OF_SCOPE && v->action == HD_VERDICT_ACCEPT)
		log_debug("%s", sb.s);
	else
		log_info("%s", sb.s);
	sb_free(&sb);
}

/* End of message: run the engine and apply its verdict. */
static sfsistat mlfi_eom(SMFICTX *ctx)
{
	struct conn *c = conn_get(ctx);
	struct msg *m = msg_get(ctx, c);
	struct hd_engine_input in;
	struct hd_engine e;
	struct hd_verdict *v = NULL;
	struct hd_store *store;
	char *error = NULL;
	size_t est;
	sfsistat r;
	int rc;

	if (m->rt == NULL)
		msg_fail(m, "no policy loaded");
	if (m->failure != NULL) {
		r = fail_action(ctx, m, m->failure);
		msg_deinit(&c->msg);
		return r;
	}
	est = engine_estimate(m->stored, m->spool_fd >= 0, &m->rt->cfg->limits);
	if (!engine_admit(est)) {
		r = fail_action(ctx, m, "large messages ahead of this one held the engine's "
				"memory budget for too long");
		msg_deinit(&c->msg);
		return r;
	}
	store = store_take(m->rt->cfg->store, &error);
	if (store == NULL) {
		engine_release(est);
		char *why = xasprintf("cannot open the store %s: %s", m->rt->cfg->store,
				      error ? error : "unknown error");
		r = fail_action(ctx, m, why);
		free(why);
		free(error);
		msg_deinit(&c->msg);
		return r;
	}
	memset(&in, 0, sizeof(in));
	in.queue_id = m->queue_id;
	in.mail_from = m->mail_from ? m->mail_from : "";
	in.rcpts = (const char *const *)m->rcpts.v;
	in.nrcpts = m->rcpts.n;
	in.auth_user = m->auth_user;
	in.client_ip = c->client_ip;
	in.client_trusted = hd_netlist_contains(m->rt->cfg->trusted, c->client_ip);
	in.received = time(NULL);
	in.truncated = m->truncated;
	in.len = m->stored;
	in.fd = -1;
	if (m->spool_fd >= 0) {
		if (lseek(m->spool_fd, 0, SEEK_SET) != 0) {
			engine_release(est);
			store_give(m->rt->cfg->store, &store);
			r = fail_action(ctx, m, "cannot rewind the spool file");
			msg_deinit(&c->msg);
			return r;
		}
		in.fd = m->spool_fd;
	} else {
		in.data = m->mem.s;
	}
	e.policy = m->rt->policy;
	e.store = store;
	e.limits = &m->rt->cfg->limits;
	e.seal = m->rt->seal;
	rc = hd_engine_run(&e, &in, &v, &error);
	engine_release(est);
	if (rc != 0 || v == NULL) {
		char *why = xasprintf("engine: %s", error ? error : "no verdict");

		hd_store_deinit(&store);	/* may be broken: do not reuse */
		r = fail_action(ctx, m, why);
		free(why);
		free(error);
		hd_verdict_deinit(&v);
		msg_deinit(&c->msg);
		return r;
	}
	store_give(m->rt->cfg->store, &store);
	log_verdict(m, v);
	r = apply_verdict(ctx, m, v);
	if (v->notify_text != NULL && (r == SMFIS_ACCEPT || r == SMFIS_REJECT))
		notify_run(m, m->rt->cfg, v);
	hd_verdict_deinit(&v);
	msg_deinit(&c->msg);
	return r;
}

/* Abort: the MTA dropped the message; the connection may continue. */
static sfsistat mlfi_abort(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c != NULL)
		msg_deinit(&c->msg);
	return SMFIS_CONTINUE;
}

/* Close: free everything of the connection. */
static sfsistat mlfi_close(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c == NULL)
		return SMFIS_CONTINUE;
	smfi_setpriv(ctx, NULL);
	msg_deinit(&c->msg);
	free(c->client_ip);
	free(c);
	atomic_fetch_sub(&g_active, 1);
	return SMFIS_CONTINUE;
}

static struct smfiDesc milter_desc = {
	.xxfi_name = HD_MILTER_NAME,
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_ADDRCPT | SMFIF_QUARANTINE | SMFIF_CHGBODY |
		      SMFIF_DELRCPT,
	.xxfi_connect = mlfi_connect,
	.xxfi_helo = NULL,
	.xxfi_envfrom = mlfi_envfrom,
	.xxfi_envrcpt = mlfi_envrcpt,
	.xxfi_header = mlfi_header,
	.xxfi_eoh = mlfi_eoh,
	.xxfi_body = mlfi_body,
	.xxfi_eom = mlfi_eom,
	.xxfi_abort = mlfi_abort,
	.xxfi_close = mlfi_close,
	.xxfi_unknown = NULL,
	.xxfi_data = NULL,
	.xxfi_negotiate = mlfi_negotiate,
};

/* ---- signals ----------------------------------------------------------- */

/* The signals our own thread handles. */
static void our_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGCHLD);
}

/* Interposed sigwait(3): libmilter's signal thread calls it with SIGHUP,
   SIGTERM and SIGINT and stops the milter on SIGHUP. We take those signals
   out of any set, so only our signal thread (which uses sigwaitinfo) gets
   them; an empty set simply waits forever. */
int sigwait(const sigset_t *set, int *sig)
{
	sigset_t mine = *set;
	sigset_t ours;

	our_signals(&ours);
	for (int s = 1; s < NSIG; s++)
		if (sigismember(&ours, s))
			sigdelset(&mine, s);
	for (;;) {
		int r = sigwaitinfo(&mine, NULL);

		if (r > 0) {
			*sig = r;
			return 0;
		}
		if (errno != EINTR)
			return errno;
	}
}

/* The signal thread: SIGHUP reloads, SIGTERM/SIGINT stop, SIGCHLD reaps. */
static void *signal_thread(void *arg)
{
	sigset_t set;

	our_signals(&set);
	for (;;) {
		int sig = sigwaitinfo(&set, NULL);

		if (sig < 0)
			continue;
		switch (sig) {
		case SIGHUP:
			log_notice("SIGHUP: reloading configuration and policy");
			runtime_reload();
			break;
		case SIGCHLD:
			for (;;) {
				int status;
				pid_t pid = waitpid(-1, &status, WNOHANG);

				if (pid <= 0)
					break;
				if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
					log_warning("notify command (pid %ld) failed: status %d",
						    (long)pid, status);
			}
			break;
		default:
			log_notice("%s: finishing connections in flight, then exiting",
				   strsignal(sig));
			smfi_stop();
			return NULL;
		}
	}
}

/* ---- startup ----------------------------------------------------------- */

/* The filesystem path of a unix socket spec, or NULL for inet. */
static const char *socket_path(const char *spec)
{
	if (spec[0] == '/')
		return spec;
	if (str_has_prefix_ci(spec, "unix:"))
		return spec + 5;
	if (str_has_prefix_ci(spec, "local:"))
		return spec + 6;
	return NULL;
}

/* uid of a user name or number; false when unknown. */
static bool lookup_user(const char *name, uid_t *uid_r, gid_t *gid_r)
{
	struct passwd *pw = getpwnam(name);

	if (pw == NULL)
		return false;
	*uid_r = pw->pw_uid;
	*gid_r = pw->pw_gid;
	return true;
}

/* gid of a group name; false when unknown. */
static bool lookup_group(const char *name, gid_t *gid_r)
{
	struct group *gr = getgrnam(name);

	if (gr == NULL)
		return false;
	*gid_r = gr->gr_gid;
	return true;
}

/* Set owner, group and mode of a unix socket per the config. */
static bool socket_permissions(const struct hd_config *cfg, const char *spec)
{
	const char *path = socket_path(spec);
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1, ugid;

	if (path == NULL)
		return true;
	if (cfg->socket_owner != NULL && !lookup_user(cfg->socket_owner, &uid, &ugid)) {
		log_error("socket_owner: unknown user '%s'", cfg->socket_owner);
		return false;
	}
	if (cfg->socket_group != NULL && !lookup_group(cfg->socket_group, &gid)) {
		log_error("socket_group: unknown group '%s'", cfg->socket_group);
		return false;
	}
	if ((uid != (uid_t)-1 || gid != (gid_t)-1) && chown(path, uid, gid) != 0) {
		log_error("cannot chown %s: %s", path, strerror(errno));
		return false;
	}
	if (chmod(path, (mode_t)cfg->socket_mode) != 0) {
		log_error("cannot chmod %s: %s", path, strerror(errno));
		return false;
	}
	return true;
}

/* libmilter owns the listening socket and leaves Nagle on: the several small
   replies of one end of message then wait for the MTA's delayed ACK (~40 ms
   each). Find the listening inet socket among our descriptors and set
   TCP_NODELAY on it; Linux copies it to every accepted connection. */
static void socket_nodelay(void)
{
	for (int fd = 3; fd < HD_MILTER_FD_SCAN_MAX; fd++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int listening = 0, one = 1;
		socklen_t ol = sizeof(listening);

		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &ol) != 0 || !listening)
			continue;
		if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0 ||
		    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
			continue;
		if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == 0)
			log_debug("TCP_NODELAY set on the listening socket (fd %d)", fd);
	}
}

/* Drop to the configured user and group; verify it cannot be undone. */
static bool drop_privileges(const struct hd_config *cfg)
{
	uid_t uid;
	gid_t gid;

	if (cfg->user == NULL && cfg->group == NULL)
		return true;
	if (cfg->user != NULL) {
		if (!lookup_user(cfg->user, &uid, &gid)) {
			log_error("user: unknown user '%s'", cfg->user);
			return false;
		}
	} else {
		uid = getuid();
		gid = getgid();
	}
	if (cfg->group != NULL && !lookup_group(cfg->group, &gid)) {
		log_error("group: unknown group '%s'", cfg->group);
		return false;
	}
	if (geteuid() != 0) {
		if (geteuid() == uid && getegid() == gid)
			return true;
		log_error("cannot switch to user %s: not started as root",
			  cfg->user ? cfg->user : "(unchanged)");
		return false;
	}
	if (cfg->user != NULL ? initgroups(cfg->user, gid) != 0 : setgroups(1, &gid) != 0) {
		log_error("cannot set supplementary groups: %s", strerror(errno));
		return false;
	}
	if (setgid(gid) != 0 || setuid(uid) != 0) {
		log_error("cannot switch to uid %ld gid %ld: %s", (long)uid, (long)gid,
			  strerror(errno));
		return false;
	}
	if (getuid() != uid || geteuid() != uid || getgid() != gid || getegid() != gid ||
	    (uid != 0 && setuid(0) == 0)) {
		log_error("privileges were not dropped completely");
		return false;
	}
	log_info("running as uid %ld gid %ld", (long)uid, (long)gid);
	return true;
}

/* Write the pid file. */
static bool write_pidfile(const char *path)
{
	char buf[32];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	int n;

	if (fd < 0) {
		log_error("cannot write the pid file %s: %s", path, strerror(errno));
		return false;
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (!write_all(fd, buf, (size_t)n)) {
		log_error("cannot write the pid file %s: %s", path, strerror(errno));
		close(fd);
		return false;
	}
	close(fd);
	return true;
}

/* Make the private spool directory (after dropping privileges). */
static bool make_spool_dir(void)
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

/* Make a path absolute (config and policy are re-read after chdir("/")). */
static char *absolute_path(const char *p)
{
	char cwd[4096];

	if (p[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL)
		return xstrdup(p);
	return xasprintf("%s/%s", cwd, p);
}

/* Print usage. */
static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s [-c CONFIG] [-p SOCKET] [-P POLICY] [-n] [-f] [-V]\n"
		"  -c CONFIG  configuration file (default %s)\n"
		"  -p SOCKET  listen socket, overriding the config (unix:/path, inet:PORT@HOST)\n"
		"  -P POLICY  policy file, overriding the config\n"
		"  -n         check the configuration and the policy, then exit\n"
		"  -f         stay in the foreground (log to stderr as well)\n"
		"  -V         print the version and exit\n",
		HD_MILTER_NAME, HD_CONFIG_DEFAULT_PATH);
}

/* -n: check configuration and policy; 0 when both are valid. */
static int check_only(void)
{
	struct hd_diag d;
	struct runtime *rt;

	hd_diag_init(&d);
	rt = runtime_load(&d);
	diag_report(&d, true);
	hd_diag_free(&d);
	if (rt == NULL)
		return 1;
	printf("%s: configuration %s and policy %s (%s v%s) are valid\n", HD_MILTER_NAME,
	       g_config_path ? g_config_path : "(built-in defaults)", rt->cfg->policy,
	       rt->policy->name, rt->policy->version);
	runtime_release(&rt);
	return 0;
}

int main(int argc, char **argv)
{
	const char *config_arg = NULL, *socket_arg = NULL, *policy_arg = NULL;
	bool check = false;
	struct hd_diag d;
	struct runtime *rt;
	pthread_t sigthr;
	sigset_t set;
	int opt, rc;
	unsigned a, b, cc;

	while ((opt = getopt(argc, argv, "c:p:P:nfVh")) != -1) {
		switch (opt) {
		case 'c': config_arg = optarg; break;
		case 'p': socket_arg = optarg; break;
		case 'P': policy_arg = optarg; break;
		case 'n': check = true; break;
		case 'f': g_foreground = true; break;
		case 'V':
			smfi_version(&a, &b, &cc);
			printf("%s %s (libmilter %u.%u.%u)\n", HD_MILTER_NAME, PACKAGE_VERSION, a, b,
			       cc);
			return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (config_arg != NULL)
		g_config_path = absolute_path(config_arg);
	else if (access(HD_CONFIG_DEFAULT_PATH, F_OK) == 0)
		g_config_path = xstrdup(HD_CONFIG_DEFAULT_PATH);
	if (policy_arg != NULL)
		g_policy_override = absolute_path(policy_arg);
	if (socket_arg != NULL) {
		char *err;

		if (!hd_config_socket_valid(socket_arg, &err)) {
			fprintf(stderr, "%s: -p %s\n", HD_MILTER_NAME, err);
			free(err);
			return 2;
		}
	}
	if (check)
		return check_only();

	/* Load everything before touching the socket: refuse to start on errors. */
	hd_diag_init(&d);
	rt = runtime_load(&d);
	diag_report(&d, true);
	hd_diag_free(&d);
	if (rt == NULL) {
		fprintf(stderr, "%s: not started: fix the errors above\n", HD_MILTER_NAME);
		return 1;
	}
	milter_log_setup(rt->cfg);
	g_socket = xstrdup(socket_arg ? socket_arg : rt->cfg->socket);
	g_socket_local = strncmp(g_socket, "unix:", 5) == 0 ||
			 strncmp(g_socket, "local:", 6) == 0 || g_socket[0] == '/';
	signal(SIGPIPE, SIG_IGN);
	mallopt(M_MMAP_THRESHOLD, HD_MILTER_MMAP_THRESHOLD);

	if (smfi_register(milter_desc) != MI_SUCCESS ||
	    smfi_setconn(g_socket) != MI_SUCCESS ||
	    smfi_settimeout(rt->cfg->timeout) != MI_SUCCESS ||
	    smfi_setbacklog(HD_MILTER_BACKLOG) != MI_SUCCESS) {
		log_error("cannot set up libmilter for %s", g_socket);
		return 1;
	}
	umask(0077);	/* the socket is created private, then opened up below */
	if (smfi_opensocket(true) != MI_SUCCESS) {
		log_error("cannot create the socket %s: %s", g_socket, strerror(errno));
		return 1;
	}
	umask(0022);
	socket_nodelay();
	if (!socket_permissions(rt->cfg, g_socket))
		return 1;
	if (!g_foreground && daemon(0, 0) != 0) {
		log_error("cannot become a daemon: %s", strerror(errno));
		return 1;
	}
	if (rt->cfg->pidfile != NULL && !write_pidfile(rt->cfg->pidfile))
		return 1;
	if (!drop_privileges(rt->cfg) || !make_spool_dir())
		return 1;
	runtime_swap(rt);

	/* Block our signals in every thread; one thread takes them. */
	our_signals(&set);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (pthread_create(&sigthr, NULL, signal_thread, NULL) != 0) {
		log_error("cannot start the signal thread");
		return 1;
	}
	pthread_detach(sigthr);

	rt = runtime_acquire();
	log_notice("started on %s: policy %s v%s, store %s, on_failure=%s", g_socket,
		   rt->policy->name, rt->policy->version, rt->cfg->store,
		   rt->cfg->on_failure_tempfail ? "tempfail" : "accept");
	runtime_release(&rt);
	rc = smfi_main();

	/* Let connections in flight finish before tearing down. */
	for (int i = 0; i < HD_MILTER_DRAIN_SECONDS * 10 && atomic_load(&g_active) > 0; i++)
		usleep(100 * 1000);
	if (atomic_load(&g_active) > 0)
		log_warning("exiting with %d connection(s) still open", atomic_load(&g_active));
	rt = runtime_acquire();
	if (rt != NULL && rt->cfg->pidfile != NULL)
		unlink(rt->cfg->pidfile);
	runtime_release(&rt);
	if (socket_path(g_socket) != NULL)
		unlink(socket_path(g_socket));
	store_pool_drain();
	if (g_spool_dir != NULL)
		rmdir(g_spool_dir);
	log_notice("stopped");
	runtime_swap(NULL);
	free(g_spool_dir);
	free(g_socket);
	free(g_config_path);
	free(g_policy_override);
	return rc == MI_SUCCESS ? 0 : 1;
}

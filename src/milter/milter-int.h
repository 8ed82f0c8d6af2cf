/*
 * milter-int.h - what the files of the helpdesk-milter daemon share: its
 * named limits, the runtime, message and connection contexts, and the
 * functions one file offers the others. Private to src/milter: nothing
 * outside the daemon may include it, and it must never hold state (every
 * variable declared here is defined, and documented, in exactly one file).
 *
 *   milter.c          libmilter callbacks: collect a message, run the engine
 *   milter-verdict.c  apply a verdict through libmilter, notify_command
 *   milter-spool.c    message buffer, body spool, engine memory budget
 *   milter-runtime.c  config + policy in force, SIGHUP reload, store pool
 *   milter-check.c    what start would fail on, checked first (and by -n)
 *   milter-main.c     startup: options, socket, privileges, signals, main
 */
#ifndef HD_MILTER_INT_H
#define HD_MILTER_INT_H

#include "seal.h"
#include "settings.h"
#include "policy.h"
#include "store.h"
#include "util.h"
#include "verdict.h"

#include <libmilter/mfapi.h>

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

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
/* Memory of the engine. The engine holds several copies of what it
   inspects (the raw bytes, GMime's copy, the decoded and the converted
   text): about HD_MILTER_ENGINE_MEM_FACTOR bytes per inspected byte,
   measured, plus HD_MILTER_ENGINE_MEM_BASE for any message (MIME parts are
   bounded by limits.mime_parts before GMime builds them). Every message,
   in memory or spooled, reserves its estimate; engine runs start only while
   the estimates fit in HD_MILTER_ENGINE_MEM_BUDGET (one always may start),
   so neither 50 concurrent 20 MB messages nor 16 of 900 KB mean that many
   copies at once. */
#define HD_MILTER_ENGINE_MEM_FACTOR 6
#define HD_MILTER_ENGINE_MEM_BASE (256u * 1024)
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
	bool headers_done;		/* the blank line after the headers is kept */
	char *failure;			/* internal failure to report at EOM */
};

/* One SMTP connection from the MTA. */
struct conn {
	char *client_ip;
	unsigned long nr;		/* SMFIP_NR_* negotiated: those replies suppressed */
	bool skip;			/* SMFIP_SKIP negotiated (only without SMFIP_NR_BODY) */
	struct msg *msg;
};

/* The queue id for log lines: never NULL. */
static inline const char *qid(const struct msg *m)
{
	return m != NULL && m->queue_id != NULL ? m->queue_id : "NOQUEUE";
}

/* milter.c */
extern struct smfiDesc milter_desc;
extern atomic_int g_active;
/* milter-main.c */
extern bool g_socket_local;
/* milter-runtime.c */
extern char *g_config_path;
extern char *g_policy_override;
extern bool g_foreground;

/* milter-verdict.c */
sfsistat fail_action(SMFICTX *ctx, const struct msg *m, const char *reason);
sfsistat apply_verdict(SMFICTX *ctx, struct msg *m, const struct hd_verdict *v);
void log_verdict(const struct msg *m, const struct hd_verdict *v);
void notify_run(const struct msg *m, const struct hd_config *cfg, const struct hd_verdict *v);

/* milter-spool.c */
struct msg *msg_new(void);
void msg_deinit(struct msg **mp);
void msg_fail(struct msg *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool msg_append(struct msg *m, const char *data, size_t len);
bool fd_write_all(int fd, const char *buf, size_t len);
bool spool_dir_create(void);
void spool_dir_remove(void);
size_t engine_estimate(size_t stored, const struct hd_limits *lim);
bool engine_admit(size_t est);
void engine_release(size_t est);

/* milter-runtime.c */
void milter_log_setup(const struct hd_config *cfg);
void diag_report(const struct hd_diag *d, bool to_stderr);
size_t milter_check_config(const struct hd_config *cfg, struct hd_diag *d);	/* milter-check.c */
struct runtime *runtime_load(struct hd_diag *d);
void runtime_release(struct runtime **rtp);
struct runtime *runtime_acquire(void);
void runtime_swap(struct runtime *rt);
void runtime_reload(void);
struct hd_store *store_take(const char *uri, char **error_r);
void store_give(const char *uri, struct hd_store **sp);
void store_pool_drain(void);

#endif

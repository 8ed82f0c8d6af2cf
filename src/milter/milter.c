/*
 * milter - helpdesk-milter, the libmilter daemon (SPEC s.2, s.5, s.10). This
 * file holds its libmilter callbacks. Each message is collected (envelope,
 * headers, body: milter-spool.c) on the runtime it took at MAIL FROM
 * (milter-runtime.c), handed to the one engine (hd_engine_run) at end of
 * message, and its verdict applied (milter-verdict.c): remove forged
 * X-Helpdesk-* headers, add its own, add escalation recipients, reject,
 * tempfail, quarantine or discard, and run notify_command. Startup, signals
 * and privileges are in milter-main.c.
 *
 * It must never lose mail: every internal failure (engine or store error,
 * spool I/O, missing runtime) is logged with the queue id and ends in the
 * configured on_failure mode (tempfail by default), never in a crash or a
 * silent accept. It must never decide policy itself: that is the engine's.
 */
#include <config.h>
#include "milter-int.h"
#include "engine.h"
#include "net.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

atomic_int g_active;				/* connections in progress */

/* ---- per-connection and per-message context --------------------------- */

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

/* The message context, created on first use. The queue id is taken when
   the message starts, at the first RCPT without one and at end of message,
   the stages whose macros carry it: looking it up at every header and
   body chunk cost a macro search each. */
static struct msg *msg_get(SMFICTX *ctx, struct conn *c)
{
	struct msg *m = c->msg;

	if (m == NULL) {
		m = msg_new();
		c->msg = m;
		msg_take_queue_id(ctx, m);
	}
	return m;
}

/* The blank line between headers and body, once: at end of headers, or,
   when an MTA does not send that step, before the first body chunk or at
   end of message. */
static void msg_end_headers(struct msg *m)
{
	if (m->headers_done)
		return;
	m->headers_done = true;
	msg_append(m, "\r\n", 2);
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
	/* End of headers is not skipped (SMFIP_NOEOH): it would save Postfix
	   only a 5-byte packet it sends with the next one anyway, and
	   miltertest(8) scripts that send it would then fail. */
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
	m = msg_get(ctx, c);	/* takes the queue id */
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

	if (m->queue_id == NULL)	/* Postfix has one from the first valid RCPT */
		msg_take_queue_id(ctx, m);

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
	if (strchr(value, '\n') == NULL) {	/* the usual case: no copy */
		msg_append(m, name, strlen(name));
		msg_append(m, ": ", 2);
		msg_append(m, value, strlen(value));
		msg_append(m, "\r\n", 2);
		return ok;
	}
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

	msg_end_headers(msg_get(ctx, c));
	return conn_continue(c, SMFIP_NR_EOH);
}

/* Body chunk: store up to limits.message_bytes, then (when body chunks get
   replies at all) ask the MTA to skip the rest. */
static sfsistat mlfi_body(SMFICTX *ctx, unsigned char *data, size_t len)
{
	struct conn *c = conn_get(ctx);
	struct msg *m = msg_get(ctx, c);

	msg_end_headers(m);
	if (!msg_append(m, (const char *)data, len) && c->skip)
		return SMFIS_SKIP;
	return conn_continue(c, SMFIP_NR_BODY);
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

	msg_take_queue_id(ctx, m);
	msg_end_headers(m);	/* a message without a body */
	if (m->rt == NULL)
		msg_fail(m, "no policy loaded");
	if (m->failure != NULL) {
		r = fail_action(ctx, m, m->failure);
		msg_deinit(&c->msg);
		return r;
	}
	est = engine_estimate(m->stored, &m->rt->cfg->limits);
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

/* What libmilter calls, and the actions the MTA must offer (milter-main.c
   registers it). */
struct smfiDesc milter_desc = {
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

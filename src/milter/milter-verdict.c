/*
 * milter-verdict - apply the engine's verdict to a message through
 * libmilter at end of message: the SMTP reply of a reject or tempfail,
 * removal of forged X-Helpdesk-* headers, the headers and recipients the
 * verdict adds, a rewritten body, quarantine; the one-line decision log;
 * the notify_command; and the on_failure answer for internal failures.
 *
 * It must never decide anything itself: it carries out what the verdict
 * says (policy is the engine's). It must never half-apply silently: when
 * the MTA refuses a change, the message ends in on_failure. It must never
 * wait on notify_command: the command runs detached and is reaped by the
 * signal thread.
 */
#include <config.h>
#include "milter-int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

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

/* One header of the message that is to be removed: its name as seen and
   its position among all headers. */
struct hdr_ref {
	const char *name;
	size_t pos;
};

/* qsort order: name (any case), then position; so equal names form one run
   in the order they were seen. */
static int hdr_ref_cmp(const void *a, const void *b)
{
	const struct hdr_ref *x = a, *y = b;
	int c = strcasecmp(x->name, y->name);

	if (c != 0)
		return c;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Whether a header seen must go: every X-Helpdesk-* on any mail (SPEC s.4:
   nobody may forge them, in scope or not) and each name the verdict lists. */
static bool header_must_go(const char *name, const struct sv_index *removed)
{
	if (str_has_prefix_ci(name, "X-Helpdesk-"))
		return true;
	/* as many names as the message has headers, when forged */
	return sv_index_contains_ci(removed, name);
}

/* Remove every instance of each header that must go. Indices are 1-based
   per name (any case) and removed from the last one back, so earlier
   indices stay valid. Sorting the headers once keeps this O(N log N) in
   the number of headers: counting each name by a scan was quadratic, and
   80k distinct forged names cost over a minute of CPU. */
static bool apply_header_removal(SMFICTX *ctx, const struct msg *m, const struct hd_verdict *v)
{
	struct hdr_ref *refs;
	struct sv_index removed;
	size_t n = 0;
	bool ok = true;

	if (m->hdr_names.n == 0)
		return true;
	refs = xmalloc(m->hdr_names.n * sizeof(*refs));
	sv_index_build(&removed, &v->headers_removed);
	for (size_t i = 0; i < m->hdr_names.n; i++)
		if (header_must_go(m->hdr_names.v[i], &removed)) {
			refs[n].name = m->hdr_names.v[i];
			refs[n].pos = i;
			n++;
		}
	if (n > 1)
		qsort(refs, n, sizeof(*refs), hdr_ref_cmp);
	for (size_t run = 0; run < n && ok;) {
		size_t end = run + 1;
		const char *name = refs[run].name;	/* as first seen */

		while (end < n && strcasecmp(refs[end].name, name) == 0)
			end++;
		for (size_t idx = end - run; idx >= 1; idx--) {
			log_debug("%s: removing header %s[%zu]", qid(m), name, idx);
			if (smfi_chgheader(ctx, (char *)name, (int)idx, NULL) != MI_SUCCESS) {
				log_error("%s: cannot remove header %s[%zu]", qid(m), name, idx);
				ok = false;
				break;
			}
		}
		run = end;
	}
	free(refs);
	sv_index_free(&removed);
	return ok;
}

/* Header value safe for smfi_addheader: no CR, LF only as folding. */
static char *header_value(const char *s)
{
	struct strbuf sb;

	if (strpbrk(s, "\r\n") == NULL)	/* the usual case: one line */
		return xstrdup(s);
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
void notify_run(const struct msg *m, const struct hd_config *cfg,
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
sfsistat fail_action(SMFICTX *ctx, const struct msg *m, const char *reason)
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
sfsistat apply_verdict(SMFICTX *ctx, struct msg *m, const struct hd_verdict *v)
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

/* Append " key=value" to a log line when value is set. */
static void log_field(struct strbuf *sb, const char *key, const char *value)
{
	if (value == NULL)
		return;
	sb_puts(sb, key);
	sb_puts(sb, value);
}

/* Log the decision in one line. */
void log_verdict(const struct msg *m, const struct hd_verdict *v)
{
	struct strbuf sb;

	/* sb_puts, not sb_printf: a formatted append costs ten times more */
	sb_init(&sb);
	sb_puts(&sb, qid(m));
	sb_puts(&sb, ": ");
	sb_puts(&sb, hd_direction_name(v->direction));
	sb_puts(&sb, " action=");
	sb_puts(&sb, hd_verdict_action_name(v->action));
	log_field(&sb, " ticket=", v->ticket);
	log_field(&sb, " team=", v->team);
	log_field(&sb, " priority=", v->priority);
	log_field(&sb, " agent=", v->agent);
	for (size_t i = 0; i < v->recipients_added.n; i++)
		log_field(&sb, " added=", v->recipients_added.v[i]);
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

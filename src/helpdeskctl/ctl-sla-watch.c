/*
 * ctl-sla-watch - helpdeskctl sla-watch (SPEC s.11): for every open ticket,
 * mail each SLA event it has reached (a warn_at share or the breach of its
 * first-response, next-reply or resolution clock; the engine decides which,
 * hd_engine_sla_events) to the escalation contact through the MTA's own
 * sendmail program, and record kind sla, action warning or breach.
 *
 * Once per (ticket, clock, started, threshold), across watchers and hosts:
 * the event is claimed in the store ('sending', a unique key, its own
 * transaction) BEFORE the mail is handed to sendmail, and marked 'sent' with
 * the sla record in one transaction after sendmail exits 0. A second
 * watcher finds the key taken and skips it. A watcher killed after its
 * claim and before sendmail accepted leaves a 'sending' claim: a later run
 * takes it over once it is older than the lease and its owner (host:pid) is
 * gone, so no warning is skipped. Only a kill in the instant between
 * sendmail's exit and the 'sent' commit can mail twice; the mail's
 * Message-ID is derived from the event key, so such a duplicate is
 * recognisable. A failed sendmail gives the claim back for the next run.
 * Must never use a shell or an SMTP client of its own.
 */
#include <config.h>
#include "util.h"
#include "settings.h"
#include "policy.h"
#include "store.h"
#include "engine.h"
#include "ctl.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* A 'sending' claim older than this, whose owner is gone, is taken over. */
#define HD_SLA_LEASE_SECONDS 120
/* Longest --loop interval (one day). */
#define HD_SLA_LOOP_MAX 86400
#define HD_SLA_HOST_MAX 256

/* One run's settings and counters. */
struct watch {
	const struct hd_config *cfg;
	const struct hd_policy *p;
	struct hd_store *s;
	char owner[HD_SLA_HOST_MAX + 32], host[HD_SLA_HOST_MAX];
	time_t now;			/* the SLA clock (--at or the time of the run) */
	long lease;
	bool dry_run;
	struct hd_open_ticket *tickets;	/* copies */
	size_t nt;
	char **done;			/* sorted keys of claims to skip */
	size_t ndone;
	long sent, skipped, failed;
};

static volatile sig_atomic_t stop_requested;

/* SIGTERM/SIGINT: finish the run, then stop looping. */
static void on_stop(int sig)
{
	stop_requested = 1;
}

/* The key of an event as one string. */
static char *event_key(const char *ticket, const char *clock, time_t started, int threshold)
{
	return xasprintf("%s|%s|%lld|%d", ticket, clock, (long long)started, threshold);
}

/* Order keys. */
static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Is the owner "host:pid" of a claim still running? Another host's cannot be
   checked: the lease alone decides for it. */
static bool owner_alive(const char *owner)
{
	char host[HD_SLA_HOST_MAX];
	const char *colon = owner ? strrchr(owner, ':') : NULL;
	long pid;

	if (colon == NULL || gethostname(host, sizeof(host)) != 0)
		return false;
	host[sizeof(host) - 1] = '\0';
	if ((size_t)(colon - owner) != strlen(host) || strncmp(owner, host, strlen(host)) != 0)
		return false;
	pid = strtol(colon + 1, NULL, 10);
	return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

/* Keep a claim to skip: sent, or sending and not yet takeable. */
static bool claim_cb(const struct hd_sla_key *k, bool sent, const char *owner, time_t claimed_at,
		     void *ctx)
{
	struct watch *w = ctx;

	if (!sent && claimed_at <= time(NULL) - w->lease && !owner_alive(owner))
		return true;	/* takeable: try it */
	w->done = xrealloc(w->done, (w->ndone + 1) * sizeof(*w->done));
	w->done[w->ndone++] = event_key(k->ticket, k->clock, k->started, k->threshold);
	return true;
}

/* Copy an open ticket. */
static bool ticket_cb(const struct hd_open_ticket *ot, void *ctx)
{
	struct watch *w = ctx;
	struct hd_open_ticket *c;

	if ((w->nt & (w->nt - 1)) == 0)
		w->tickets = xrealloc(w->tickets, (w->nt ? w->nt * 2 : 1) * sizeof(*w->tickets));
	c = &w->tickets[w->nt++];
	*c = *ot;
	c->t.id = xstrdup(ot->t.id);
	c->t.team = ot->t.team ? xstrdup(ot->t.team) : NULL;
	c->t.priority = ot->t.priority ? xstrdup(ot->t.priority) : NULL;
	c->t.customer = ot->t.customer ? xstrdup(ot->t.customer) : NULL;
	c->t.first_response_by = NULL;
	c->t.policy_version = NULL;
	c->st.id = NULL;
	return true;
}

/* "3h05m" of seconds. */
static void fmt_span(long sec, char buf[32])
{
	long m = (sec < 0 ? -sec : sec) / 60;

	snprintf(buf, 32, "%ldh%02ldm", m / 60, m % 60);
}

/* The notification text for one event. */
static char *event_mail(struct watch *w, const struct hd_open_ticket *ot,
			const struct hd_sla_event *e, const char *subject, const char *msgid)
{
	const char *clock = hd_sla_clock_name(e->clock);
	bool breach = e->threshold == 100;
	char due[32], left[32], cb[32], tb[32], date[64];
	struct strbuf sb;
	struct tm tm;
	time_t t = time(NULL);

	if (e->due)
		time_format_utc(e->due, due);
	else
		snprintf(due, sizeof(due), "unknown");
	fmt_span(e->due ? (long)(e->due - w->now) : 0, left);
	fmt_span(e->counted, cb);
	fmt_span(e->target, tb);
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	sb_init(&sb);
	sb_printf(&sb, "From: helpdesk-milter SLA watch <MAILER-DAEMON@%s>\n", w->host);
	sb_printf(&sb, "To: <%s>\n", e->to);
	sb_printf(&sb, "Date: %s\nMessage-ID: <%s>\nAuto-Submitted: auto-generated\n", date, msgid);
	sb_printf(&sb, "Subject: [%s] %s %s %s%d%%: %s\n", ot->t.id,
		  breach ? "SLA breach:" : "SLA warning:", clock, breach ? "" : "at ",
		  e->threshold, subject);
	sb_printf(&sb, "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n");
	sb_printf(&sb, "%s of the %s target on ticket %s.\n\n",
		  breach ? "Breach" : "Warning", clock, ot->t.id);
	sb_printf(&sb, "Ticket:    %s\nSubject:   %s\nCustomer:  %s\nTeam:      %s\n"
		  "Priority:  %s\nTarget:    %s, %ld%% reached (%s of %s counted)\nDue:       %s\n",
		  ot->t.id, subject, ot->t.customer ? ot->t.customer : "-",
		  ot->t.team ? ot->t.team : "-", ot->t.priority ? ot->t.priority : "-", clock,
		  e->target ? e->counted * 100 / e->target : 0, cb, tb, due);
	sb_printf(&sb, "%s %s\nLevel:     %s (%s)\n\n",
		  e->due && w->now >= e->due ? "Overdue:  " : "Time left:", left, e->level,
		  e->backup ? "backup: outside the primary's hours" : "primary");
	sb_printf(&sb, "The thread: helpdeskctl audit --store '%s' --ticket %s\n", w->cfg->store,
		  ot->t.id);
	return sb_steal(&sb);
}

/* Hand a message to the MTA's sendmail (execv, no shell); true when it exited 0. */
static bool sendmail_run(const char *program, const char *to, const char *text)
{
	int fds[2], status = 0;
	pid_t pid;
	size_t len = strlen(text), off = 0;

	if (pipe(fds) != 0)
		return false;
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return false;
	}
	if (pid == 0) {
		char *argv[] = { (char *)"sendmail", (char *)"-i", (char *)"--", (char *)to, NULL };
		/* a killed watcher takes its unfinished sendmail with it */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(fds[0], 0);
		close(fds[0]);
		close(fds[1]);
		execv(program, argv);
		_exit(EX_OSFILE);
	}
	close(fds[0]);
	signal(SIGPIPE, SIG_IGN);
	while (off < len) {
		ssize_t n = write(fds[1], text + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(fds[1]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return off == len && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Claim, mail and record one event; false on a store error. */
static bool watch_event(struct watch *w, const struct hd_open_ticket *ot,
			const struct hd_sla_event *e)
{
	const char *clock = hd_sla_clock_name(e->clock);
	struct hd_sla_key k = { ot->t.id, clock, e->started, e->threshold };
	char *key = event_key(k.ticket, clock, k.started, k.threshold), *err = NULL;
	char *subject = NULL, *text, *msgid;
	bool claimed = false, ok = true;
	const char *action = e->threshold == 100 ? "breach" : "warning";

	if (w->ndone > 0 && bsearch(&key, w->done, w->ndone, sizeof(*w->done), key_cmp) != NULL) {
		free(key);
		return true;
	}
	free(key);
	if (hd_store_ticket_subject(w->s, ot->t.id, &subject, &err) != HD_STORE_OK)
		goto store_fail;
	msgid = xasprintf("sla.%s.%s.%lld.%d@%s", ot->t.id, clock, (long long)e->started,
			  e->threshold, w->host);
	text = event_mail(w, ot, e, subject ? subject : "(unknown)", msgid);
	free(msgid);
	if (w->dry_run) {
		printf("would mail %s: %s %s %s %d%%\n", e->to, ot->t.id, action, clock, e->threshold);
		goto done;
	}
	if (hd_store_sla_claim(w->s, &k, w->owner, time(NULL), w->lease, owner_alive, &claimed,
			       &err) != HD_STORE_OK)
		goto store_fail_text;
	if (!claimed) {
		w->skipped++;
		goto done;
	}
	if (!sendmail_run(w->cfg->sendmail, e->to, text)) {
		fprintf(stderr, "helpdeskctl sla-watch: %s failed for %s (%s %s %d%%); the next run "
			"retries: check the sendmail setting and the MTA's log\n", w->cfg->sendmail,
			ot->t.id, action, clock, e->threshold);
		w->failed++;
		if (hd_store_sla_release(w->s, &k, w->owner, &err) != HD_STORE_OK)
			goto store_fail_text;
		goto done;
	}
	{
		char due[32];
		struct hd_record rec = {
			.at = w->now, .kind = "sla", .ticket = ot->t.id, .team = ot->t.team,
			.priority = ot->t.priority, .rule = clock, .action = action, .text = subject,
			.policy_name = w->p->name, .policy_version = w->p->version,
		};
		char *detail;

		if (e->due)
			time_format_utc(e->due, due);
		else
			snprintf(due, sizeof(due), "unknown");
		detail = xasprintf("{\"threshold\":%d,\"to\":\"%s\",\"level\":\"%s\",\"backup\":%s,"
				   "\"due\":\"%s\",\"counted_seconds\":%ld,\"target_seconds\":%ld}",
				   e->threshold, e->to, e->level, e->backup ? "true" : "false", due,
				   e->counted, e->target);
		rec.detail = detail;
		if (hd_store_begin(w->s, &err) != HD_STORE_OK ||
		    hd_store_sla_sent(w->s, &k, w->owner, time(NULL), &err) != HD_STORE_OK ||
		    hd_store_append(w->s, &rec, &err) != HD_STORE_OK ||
		    hd_store_commit(w->s, &err) != HD_STORE_OK) {
			hd_store_rollback(w->s);
			free(detail);
			goto store_fail_text;
		}
		free(detail);
		w->sent++;
	}
done:
	free(text);
	free(subject);
	return ok;
store_fail_text:
	free(text);
store_fail:
	fprintf(stderr, "helpdeskctl sla-watch: store: %s\n", err ? err : "failed");
	free(err);
	free(subject);
	return false;
}

/* One pass over the open tickets; sysexits code. */
static int watch_run(struct watch *w)
{
	char *err = NULL;
	int rc = EX_OK;

	w->nt = w->ndone = 0;
	w->tickets = NULL;
	w->done = NULL;
	w->sent = w->skipped = w->failed = 0;
	if (hd_store_open_tickets(w->s, ticket_cb, w, &err) != HD_STORE_OK ||
	    hd_store_sla_claims(w->s, claim_cb, w, &err) != HD_STORE_OK) {
		fprintf(stderr, "helpdeskctl sla-watch: store: %s\n", err ? err : "read failed");
		free(err);
		rc = EX_TEMPFAIL;
	}
	if (w->ndone > 0)	/* qsort(NULL, 0) is undefined */
		qsort(w->done, w->ndone, sizeof(*w->done), key_cmp);
	for (size_t i = 0; rc == EX_OK && i < w->nt; i++) {
		struct hd_sla_event ev[HD_SLA_EVENTS_MAX];
		size_t n = hd_engine_sla_events(w->p, &w->tickets[i], w->now, ev);

		for (size_t j = 0; j < n && rc == EX_OK; j++)
			if (!watch_event(w, &w->tickets[i], &ev[j]))
				rc = EX_TEMPFAIL;
	}
	if (rc == EX_OK && w->failed > 0)
		rc = EX_TEMPFAIL;
	for (size_t i = 0; i < w->nt; i++) {
		free(w->tickets[i].t.id);
		free(w->tickets[i].t.team);
		free(w->tickets[i].t.priority);
		free(w->tickets[i].t.customer);
	}
	free(w->tickets);
	for (size_t i = 0; i < w->ndone; i++)
		free(w->done[i]);
	free(w->done);
	return rc;
}

/* Print sla-watch usage. */
static void usage_sla_watch(FILE *f)
{
	fprintf(f, "usage: helpdeskctl sla-watch -c CONFIG [--at TIME] [--loop SECONDS] [--dry-run]"
		" [--lease SECONDS]\n"
		"  mail every SLA warning and breach due on the open tickets, once each\n");
}

/* helpdeskctl sla-watch -c CONFIG [--at TIME] [--loop SECONDS] [--dry-run] */
int cmd_sla_watch(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' }, { "at", required_argument, NULL, 'a' },
		{ "loop", required_argument, NULL, 'l' }, { "dry-run", no_argument, NULL, 'n' },
		{ "lease", required_argument, NULL, 'L' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct watch w = { .lease = HD_SLA_LEASE_SECONDS };
	const char *config = NULL;
	struct hd_config *cfg;
	struct hd_policy *p;
	struct hd_diag d;
	char *err = NULL, *end;
	bool have_at = false;
	long loop = 0;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'a':
			if (!ctl_parse_when(optarg, &w.now))
				return EX_USAGE;
			have_at = true;
			break;
		case 'l':
			loop = strtol(optarg, &end, 10);
			if (*end != '\0' || loop < 1 || loop > HD_SLA_LOOP_MAX) {
				fprintf(stderr, "helpdeskctl sla-watch: --loop takes 1 to %d seconds\n",
					HD_SLA_LOOP_MAX);
				return EX_USAGE;
			}
			break;
		case 'L':
			w.lease = strtol(optarg, &end, 10);
			if (*end != '\0' || w.lease < 0) {
				fprintf(stderr, "helpdeskctl sla-watch: --lease takes seconds\n");
				return EX_USAGE;
			}
			break;
		case 'n': w.dry_run = true; break;
		case 'h': usage_sla_watch(stdout); return EX_OK;
		default: usage_sla_watch(stderr); return EX_USAGE;
		}
	}
	if (optind != argc || (have_at && loop > 0)) {
		usage_sla_watch(stderr);
		return EX_USAGE;
	}
	hd_diag_init(&d);
	cfg = hd_config_load(config ? config : HD_CONFIG_DEFAULT_PATH, &d);
	ctl_print_diag(&d);
	hd_diag_free(&d);
	if (cfg == NULL)
		return EX_CONFIG;
	p = ctl_load_policy(cfg->policy, false);
	if (p == NULL) {
		hd_config_deinit(&cfg);
		return EX_CONFIG;
	}
	w.s = hd_store_open(cfg->store, &err);
	if (w.s == NULL) {
		fprintf(stderr, "helpdeskctl sla-watch: store %s: %s\n", cfg->store, err);
		free(err);
		hd_policy_unref(&p);
		hd_config_deinit(&cfg);
		return EX_UNAVAILABLE;
	}
	w.cfg = cfg;
	w.p = p;
	if (gethostname(w.host, sizeof(w.host)) != 0)
		snprintf(w.host, sizeof(w.host), "localhost");
	w.host[sizeof(w.host) - 1] = '\0';
	snprintf(w.owner, sizeof(w.owner), "%s:%ld", w.host, (long)getpid());
	signal(SIGTERM, on_stop);
	signal(SIGINT, on_stop);
	for (;;) {
		struct timespec t0, t1;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (!have_at)
			w.now = time(NULL);
		rc = watch_run(&w);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		printf("sla-watch: %zu open tickets, %ld mailed, %ld taken by another watcher, "
		       "%ld failed, %.3f s\n", w.nt, w.sent, w.skipped, w.failed,
		       (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
		fflush(stdout);
		if (loop == 0 || stop_requested)
			break;
		for (long s = 0; s < loop && !stop_requested; s++)
			sleep(1);
		if (stop_requested)
			break;
	}
	hd_store_deinit(&w.s);
	hd_policy_unref(&p);
	hd_config_deinit(&cfg);
	return rc;
}

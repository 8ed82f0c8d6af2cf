/*
 * helpdeskctl - the offline tool (SPEC s.2): check a policy, run the very
 * engine the milter runs on one message, search the audit store, report
 * KPIs and print the policy's quick-reference card. It calls the engine
 * library for every decision and must never implement one itself.
 */
#include <config.h>
#include "util.h"
#include "diag.h"
#include "policy.h"
#include "settings.h"
#include "net.h"
#include "mime.h"
#include "store.h"
#include "engine.h"
#include "verdict.h"
#include "seal.h"
#include "ctl-verify-seal.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define HDCTL_MAX_INPUT_BYTES ((size_t)256 * 1024 * 1024)
#define HDCTL_MAX_RCPTS 1000

/* Print the top-level usage. */
static void usage_main(FILE *f)
{
	fprintf(f,
		"usage: helpdeskctl COMMAND [options]\n"
		"commands:\n"
		"  check-policy FILE        validate a policy file (and run its examples)\n"
		"  scan [options] MSG|-     run the engine on one message, print the verdict JSON\n"
		"  audit --store URI [...]  search the audit store\n"
		"  report --store URI [...] KPI report for a period\n"
		"  card --policy FILE       print the policy's quick-reference card\n"
		"  verify-seal [--key-file [ID=]F ...] MSG  check X-Helpdesk-Seal\n"
		"Run 'helpdeskctl COMMAND --help' for a command's options.\n");
}

/* Print every diagnostic to stderr. */
static void print_diag(const struct hd_diag *d)
{
	for (size_t i = 0; i < d->lines.n; i++)
		fprintf(stderr, "%s\n", d->lines.v[i]);
}

/* Load a policy with diagnostics; NULL on error (already printed). */
static struct hd_policy *load_policy(const char *path, bool selftest)
{
	struct hd_diag d;
	struct hd_policy *p;

	hd_diag_init(&d);
	p = hd_policy_load(path, &d);
	if (p && selftest && hd_policy_selftest(p, &d) > 0)
		hd_policy_unref(&p);
	print_diag(&d);
	hd_diag_free(&d);
	return p;
}

/* helpdeskctl check-policy FILE */
static int cmd_check_policy(int argc, char **argv)
{
	struct hd_policy *p;

	if (argc != 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fprintf(argc == 2 ? stdout : stderr,
			"usage: helpdeskctl check-policy FILE\n"
			"Validates FILE and runs every tone phrase's examples as self-tests.\n"
			"Errors are printed as file:line:column: message; exit 0 when clean, 1 otherwise.\n");
		return argc == 2 ? 0 : 1;
	}
	p = load_policy(argv[1], true);
	if (p == NULL)
		return 1;
	printf("%s: policy %s v%s OK (%zu teams, %zu priorities, %zu agents, %zu phrases)\n",
	       argv[1], p->name, p->version, p->nteams, p->npriorities, p->nagents, p->nphrases);
	hd_policy_unref(&p);
	return 0;
}

/* Read a whole file or stdin ("-") up to a limit. */
static char *read_all(const char *path, size_t *len_r)
{
	int fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC);
	struct strbuf sb;
	char buf[65536];
	ssize_t n;

	if (fd < 0) {
		fprintf(stderr, "helpdeskctl: cannot open %s: %s\n", path, strerror(errno));
		return NULL;
	}
	sb_init(&sb);
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (sb.len + (size_t)n > HDCTL_MAX_INPUT_BYTES) {
			fprintf(stderr, "helpdeskctl: %s is larger than %zu bytes\n", path, HDCTL_MAX_INPUT_BYTES);
			break;
		}
		sb_append(&sb, buf, (size_t)n);
	}
	if (n < 0)
		fprintf(stderr, "helpdeskctl: reading %s: %s\n", path, strerror(errno));
	if (fd != 0)
		close(fd);
	*len_r = sb.len;
	return sb.s;
}

/* Write the message as it would be delivered: removed headers gone, added ones appended. */
static void print_delivered(const char *data, size_t len, const struct hd_verdict *v)
{
	const char *p = data, *end = data + len;
	bool skipping = false;

	for (size_t i = 0; i + 1 < v->headers_inserted.n; i += 2)
		printf("%s: %s\n", v->headers_inserted.v[i], v->headers_inserted.v[i + 1]);
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *next = eol ? eol + 1 : end;
		size_t llen = (size_t)(next - p);
		if (llen == 1 || (llen == 2 && p[0] == '\r'))
			break;	/* end of header block */
		if (*p == ' ' || *p == '\t') {
			if (!skipping)
				fwrite(p, 1, llen, stdout);
		} else {
			const char *colon = memchr(p, ':', llen);
			skipping = false;
			if (colon) {
				for (size_t i = 0; i < v->headers_removed.n; i++)
					if (strlen(v->headers_removed.v[i]) == (size_t)(colon - p) &&
					    strncasecmp(p, v->headers_removed.v[i], (size_t)(colon - p)) == 0)
						skipping = true;
			}
			if (!skipping)
				fwrite(p, 1, llen, stdout);
		}
		p = next;
	}
	for (size_t i = 0; i + 1 < v->headers_added.n; i += 2)
		printf("%s: %s\n", v->headers_added.v[i], v->headers_added.v[i + 1]);
	if (v->body) {
		putchar('\n');
		fwrite(v->body, 1, v->body_len, stdout);
	} else if (p < end) {
		fwrite(p, 1, (size_t)(end - p), stdout);
	}
}

/* Print scan usage. */
static void usage_scan(FILE *f)
{
	fprintf(f,
		"usage: helpdeskctl scan [options] MESSAGE.eml|-\n"
		"  --policy FILE      policy file (or take it from -c CONFIG)\n"
		"  -c, --config FILE  daemon configuration (policy, store, limits, trusted_networks)\n"
		"  --from ADDR        envelope sender\n"
		"  --rcpt ADDR        envelope recipient (repeatable)\n"
		"  --auth USER        SMTP AUTH identity\n"
		"  --client-ip IP     client address (trusted when in trusted_networks)\n"
		"  --at TIME          RFC 3339 receive time (default: now)\n"
		"  --store URI        PATH, sqlite:PATH or postgresql://... (default: in-memory)\n"
		"  --output verdict|message\n"
		"Prints the verdict as one JSON object (SPEC s.8). Exit 0 when a verdict was\n"
		"produced, 1 on a usage, policy or input error, 75 when the engine failed\n"
		"(the milter would apply on_failure).\n");
}

/* helpdeskctl scan */
static int cmd_scan(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, 'P' }, { "config", required_argument, NULL, 'c' },
		{ "from", required_argument, NULL, 'f' }, { "rcpt", required_argument, NULL, 'r' },
		{ "auth", required_argument, NULL, 'a' }, { "client-ip", required_argument, NULL, 'i' },
		{ "at", required_argument, NULL, 't' }, { "store", required_argument, NULL, 's' },
		{ "output", required_argument, NULL, 'o' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *policy_path = NULL, *config_path = NULL, *from = NULL, *auth = NULL;
	const char *client_ip = NULL, *at = NULL, *store_uri = NULL, *output = "verdict";
	const char *rcpts[HDCTL_MAX_RCPTS];
	size_t nrcpts = 0;
	struct hd_config *cfg = NULL;
	struct hd_policy *p = NULL;
	struct hd_store *store = NULL;
	struct hd_limits lim;
	struct hd_netlist *loop = NULL;
	struct hd_verdict *v = NULL;
	struct hd_seal_key *seal = NULL;
	char *data = NULL, *err = NULL;
	size_t len = 0;
	int c, rc = 1;
	time_t when = time(NULL);

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'P': policy_path = optarg; break;
		case 'c': config_path = optarg; break;
		case 'f': from = optarg; break;
		case 'r':
			if (nrcpts == HDCTL_MAX_RCPTS) {
				fprintf(stderr, "helpdeskctl: more than %d recipients\n", HDCTL_MAX_RCPTS);
				return 1;
			}
			rcpts[nrcpts++] = optarg;
			break;
		case 'a': auth = optarg; break;
		case 'i': client_ip = optarg; break;
		case 't': at = optarg; break;
		case 's': store_uri = optarg; break;
		case 'o': output = optarg; break;
		case 'h': usage_scan(stdout); return 0;
		default: usage_scan(stderr); return 1;
		}
	}
	if (optind != argc - 1) {
		usage_scan(stderr);
		return 1;
	}
	if (strcmp(output, "verdict") != 0 && strcmp(output, "message") != 0) {
		fprintf(stderr, "helpdeskctl: --output must be verdict or message, not '%s'\n", output);
		return 1;
	}
	if (at && !time_parse_rfc3339(at, &when)) {
		fprintf(stderr, "helpdeskctl: --at '%s' is not an RFC 3339 time (e.g. 2026-11-30T12:15:00Z)\n", at);
		return 1;
	}
	hd_limits_init(&lim);
	if (config_path) {
		struct hd_diag d;
		hd_diag_init(&d);
		cfg = hd_config_load(config_path, &d);
		print_diag(&d);
		hd_diag_free(&d);
		if (cfg == NULL)
			return 1;
		lim = cfg->limits;
		if (policy_path == NULL)
			policy_path = cfg->policy;
		if (store_uri == NULL)
			store_uri = cfg->store;
	}
	if (policy_path == NULL) {
		fprintf(stderr, "helpdeskctl: scan needs --policy FILE or -c CONFIG\n");
		goto out;
	}
	if ((p = load_policy(policy_path, false)) == NULL)
		goto out;
	store = hd_store_open(store_uri ? store_uri : ":memory:", &err);
	if (store == NULL) {
		fprintf(stderr, "helpdeskctl: store: %s\n", err);
		rc = 75;
		goto out;
	}
	if ((data = read_all(argv[optind], &len)) == NULL)
		goto out;
	if (cfg && cfg->seal_key_file &&
	    (seal = hd_seal_key_load(cfg->seal_key_id, cfg->seal_key_file, &err)) == NULL) {
		fprintf(stderr, "helpdeskctl: seal: %s\n", err);
		rc = 78;
		goto out;
	}
	hd_mime_init();
	loop = cfg ? NULL : hd_netlist_loopback();
	{
		struct hd_engine e = { .policy = p, .store = store, .limits = &lim, .seal = seal };
		struct hd_engine_input in = {
			.queue_id = "helpdeskctl", .mail_from = from, .rcpts = rcpts, .nrcpts = nrcpts,
			.auth_user = auth, .client_ip = client_ip,
			.client_trusted = client_ip && hd_netlist_contains(cfg ? cfg->trusted : loop, client_ip),
			.received = when, .data = data, .len = len > lim.message_bytes ? lim.message_bytes : len,
			.fd = -1, .truncated = len > lim.message_bytes,
		};
		if (hd_engine_run(&e, &in, &v, &err) < 0) {
			bool tempfail = cfg ? cfg->on_failure_tempfail : true;
			fprintf(stderr, "helpdeskctl: engine: %s\n", err);
			v = hd_verdict_failure(tempfail, err);
			rc = 75;
		} else {
			rc = 0;
		}
	}
	if (strcmp(output, "message") == 0) {
		if (v->action == HD_VERDICT_ACCEPT || v->action == HD_VERDICT_HOLD)
			print_delivered(data, len, v);
		else
			fprintf(stderr, "helpdeskctl: not delivered: %s\n", hd_verdict_action_name(v->action));
	} else {
		char *json = hd_verdict_to_json(v);
		printf("%s\n", json);
		free(json);
	}
out:
	hd_verdict_deinit(&v);
	free(data);
	free(err);
	hd_store_deinit(&store);
	hd_policy_unref(&p);
	hd_netlist_deinit(&loop);
	hd_config_deinit(&cfg);
	hd_seal_key_free(&seal);
	return rc;
}

/* CSV field quoting. */
static void csv_field(const char *s, bool last)
{
	if (s == NULL)
		s = "";
	if (strpbrk(s, ",\"\r\n")) {
		putchar('"');
		for (; *s; s++) {
			if (*s == '"')
				putchar('"');
			putchar(*s);
		}
		putchar('"');
	} else {
		fputs(s, stdout);
	}
	putchar(last ? '\n' : ',');
}

struct audit_out {
	const char *format;
	size_t rows;
};

/* Print one audit row in the chosen format. */
static bool audit_row(const struct hd_audit_row *row, void *ctx)
{
	struct audit_out *o = ctx;
	char at[32];

	time_format_utc(row->at, at);
	if (strcmp(o->format, "json") == 0) {
		struct strbuf sb;
		sb_init(&sb);
		sb_printf(&sb, "{\"seq\":%lld,\"at\":\"%s\",\"kind\":", row->seq, at);
		hd_json_string(&sb, row->kind);
		const char *keys[] = { "ticket", "team", "priority", "agent", "rule", "action", "text",
				       "queue_id", "message_id", "policy", "policy_version", "hash" };
		const char *vals[] = { row->ticket, row->team, row->priority, row->agent, row->rule,
				       row->action, row->text, row->queue_id, row->message_id,
				       row->policy_name, row->policy_version, row->hash };
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			sb_printf(&sb, ",\"%s\":", keys[i]);
			hd_json_string(&sb, vals[i]);
		}
		sb_puts(&sb, ",\"detail\":");
		sb_puts(&sb, row->detail && *row->detail ? row->detail : "null");
		sb_putc(&sb, '}');
		puts(sb.s);
		sb_free(&sb);
	} else if (strcmp(o->format, "csv") == 0) {
		if (o->rows == 0)
			puts("seq,at,kind,ticket,team,priority,agent,rule,action,text,policy_version");
		char seq[32];
		snprintf(seq, sizeof(seq), "%lld", row->seq);
		csv_field(seq, false);
		csv_field(at, false);
		csv_field(row->kind, false);
		csv_field(row->ticket, false);
		csv_field(row->team, false);
		csv_field(row->priority, false);
		csv_field(row->agent, false);
		csv_field(row->rule, false);
		csv_field(row->action, false);
		csv_field(row->text, false);
		csv_field(row->policy_version, true);
	} else {
		if (o->rows == 0)
			printf("%-6s %-20s %-10s %-14s %-10s %-9s %-28s %-18s %-9s %s\n", "SEQ", "AT", "KIND",
			       "TICKET", "TEAM", "PRIORITY", "AGENT", "RULE", "ACTION", "TEXT");
		printf("%-6lld %-20s %-10s %-14s %-10s %-9s %-28s %-18s %-9s %.60s\n", row->seq, at,
		       row->kind ? row->kind : "-", row->ticket ? row->ticket : "-", row->team ? row->team : "-",
		       row->priority ? row->priority : "-", row->agent ? row->agent : "-",
		       row->rule ? row->rule : "-", row->action ? row->action : "-", row->text ? row->text : "");
	}
	o->rows++;
	return true;
}

/* Print audit usage. */
static void usage_audit(FILE *f)
{
	fprintf(f,
		"usage: helpdeskctl audit --store URI [filters] [--format table|csv|json] [--verify]\n"
		"filters: --ticket ID --team NAME --priority NAME --agent ADDR --rule ID\n"
		"         --kind tone|authority|exception|approval|sla|handoff|escalation|inbound|outbound\n"
		"         --since TIME --until TIME (RFC 3339)  --limit N\n"
		"--verify walks the hash chain and exits 1 if a record was changed or removed.\n");
}

/* Parse an RFC 3339 option or a bare date (midnight UTC). */
static bool parse_when(const char *s, time_t *t_r)
{
	char buf[64];
	if (time_parse_rfc3339(s, t_r))
		return true;
	snprintf(buf, sizeof(buf), "%sT00:00:00Z", s);
	return time_parse_rfc3339(buf, t_r);
}

/* helpdeskctl audit */
static int cmd_audit(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "store", required_argument, NULL, 's' }, { "ticket", required_argument, NULL, 'T' },
		{ "team", required_argument, NULL, 'm' }, { "priority", required_argument, NULL, 'p' },
		{ "agent", required_argument, NULL, 'a' }, { "rule", required_argument, NULL, 'r' },
		{ "kind", required_argument, NULL, 'k' }, { "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'U' }, { "format", required_argument, NULL, 'f' },
		{ "limit", required_argument, NULL, 'l' }, { "verify", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	struct hd_audit_filter f = { 0 };
	struct audit_out o = { .format = "table" };
	const char *uri = NULL;
	bool verify = false;
	struct hd_store *s;
	char *err = NULL;
	int c, rc = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': uri = optarg; break;
		case 'T': f.ticket = optarg; break;
		case 'm': f.team = optarg; break;
		case 'p': f.priority = optarg; break;
		case 'a': f.agent = optarg; break;
		case 'r': f.rule = optarg; break;
		case 'k': f.kind = optarg; break;
		case 'S':
		case 'U':
			if (!parse_when(optarg, c == 'S' ? &f.since : &f.until)) {
				fprintf(stderr, "helpdeskctl: '%s' is not an RFC 3339 time or a date\n", optarg);
				return 1;
			}
			break;
		case 'f': o.format = optarg; break;
		case 'l': f.limit = (size_t)strtoul(optarg, NULL, 10); break;
		case 'v': verify = true; break;
		case 'h': usage_audit(stdout); return 0;
		default: usage_audit(stderr); return 1;
		}
	}
	if (uri == NULL || optind != argc) {
		usage_audit(stderr);
		return 1;
	}
	if (strcmp(o.format, "table") && strcmp(o.format, "csv") && strcmp(o.format, "json")) {
		fprintf(stderr, "helpdeskctl: --format must be table, csv or json\n");
		return 1;
	}
	if ((s = hd_store_open(uri, &err)) == NULL) {
		fprintf(stderr, "helpdeskctl: store: %s\n", err);
		free(err);
		return 1;
	}
	if (verify) {
		long long checked = 0, bad = 0;
		char *problem = NULL;
		if (hd_store_verify(s, &checked, &bad, &problem, &err) != HD_STORE_OK) {
			fprintf(stderr, "helpdeskctl: verify: %s\n", err);
			rc = 1;
		} else if (bad) {
			printf("BROKEN at record %lld: %s (%lld records checked)\n", bad, problem ? problem : "", checked);
			rc = 1;
		} else {
			printf("OK: %lld records, hash chain intact\n", checked);
		}
		free(problem);
	} else if (hd_store_audit(s, &f, audit_row, &o, &err) != HD_STORE_OK) {
		fprintf(stderr, "helpdeskctl: audit: %s\n", err);
		rc = 1;
	}
	free(err);
	hd_store_deinit(&s);
	return rc;
}

struct agent_stat {
	char *agent;
	long tone, exceptions, met, breached;
};
struct report_ctx {
	long met, breached, inbound, escalations, tone, exceptions, approvals, handoff;
	struct agent_stat *agents;
	size_t nagents;
};

/* Per-agent counters. */
static struct agent_stat *agent_stat(struct report_ctx *r, const char *agent)
{
	for (size_t i = 0; i < r->nagents; i++)
		if (strcmp(r->agents[i].agent, agent) == 0)
			return &r->agents[i];
	r->agents = xrealloc(r->agents, (r->nagents + 1) * sizeof(*r->agents));
	memset(&r->agents[r->nagents], 0, sizeof(r->agents[0]));
	r->agents[r->nagents].agent = xstrdup(agent);
	return &r->agents[r->nagents++];
}

/* Count one record into the report. */
static bool report_row(const struct hd_audit_row *row, void *ctx)
{
	struct report_ctx *r = ctx;
	struct agent_stat *a = row->agent ? agent_stat(r, row->agent) : NULL;

	if (strcmp(row->kind, "sla") == 0 && row->action) {
		bool met = strcmp(row->action, "met") == 0;
		met ? r->met++ : r->breached++;
		if (a)
			met ? a->met++ : a->breached++;
	} else if (strcmp(row->kind, "inbound") == 0) {
		r->inbound++;
	} else if (strcmp(row->kind, "escalation") == 0) {
		r->escalations++;
	} else if (strcmp(row->kind, "tone") == 0) {
		r->tone++;
		if (a)
			a->tone++;
	} else if (strcmp(row->kind, "exception") == 0) {
		r->exceptions++;
		if (a)
			a->exceptions++;
	} else if (strcmp(row->kind, "approval") == 0) {
		r->approvals++;
	} else if (strcmp(row->kind, "handoff") == 0) {
		r->handoff++;
	}
	return true;
}

/* helpdeskctl report --store URI [--since T] [--until T] */
static int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "store", required_argument, NULL, 's' }, { "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'U' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct hd_audit_filter f = { 0 };
	struct report_ctx r = { 0 };
	const char *uri = NULL;
	struct hd_store *s;
	char *err = NULL;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': uri = optarg; break;
		case 'S':
		case 'U':
			if (!parse_when(optarg, c == 'S' ? &f.since : &f.until)) {
				fprintf(stderr, "helpdeskctl: '%s' is not an RFC 3339 time or a date\n", optarg);
				return 1;
			}
			break;
		case 'h':
			printf("usage: helpdeskctl report --store URI [--since TIME] [--until TIME]\n"
			       "First-response attainment, tone flags and exceptions per agent.\n");
			return 0;
		default: return 1;
		}
	}
	if (uri == NULL) {
		fprintf(stderr, "usage: helpdeskctl report --store URI [--since TIME] [--until TIME]\n");
		return 1;
	}
	if ((s = hd_store_open(uri, &err)) == NULL || hd_store_audit(s, &f, report_row, &r, &err) != HD_STORE_OK) {
		fprintf(stderr, "helpdeskctl: store: %s\n", err);
		free(err);
		hd_store_deinit(&s);
		return 1;
	}
	printf("Inbound messages:           %ld\n", r.inbound);
	printf("Escalations:                %ld\n", r.escalations);
	if (r.met + r.breached)
		printf("First-response attainment:  %.1f%% (%ld met, %ld breached)\n",
		       100.0 * (double)r.met / (double)(r.met + r.breached), r.met, r.breached);
	else
		printf("First-response attainment:  n/a (no first responses)\n");
	printf("Tone flags:                 %ld\n", r.tone);
	printf("Exception decisions:        %ld (approvals: %ld)\n", r.exceptions, r.approvals);
	printf("Hand-off refusals:          %ld\n", r.handoff);
	if (r.nagents) {
		printf("\n%-32s %6s %6s %9s %10s\n", "AGENT", "MET", "BREACH", "TONE", "EXCEPTION");
		for (size_t i = 0; i < r.nagents; i++) {
			printf("%-32s %6ld %6ld %9ld %10ld\n", r.agents[i].agent, r.agents[i].met,
			       r.agents[i].breached, r.agents[i].tone, r.agents[i].exceptions);
			free(r.agents[i].agent);
		}
	}
	free(r.agents);
	hd_store_deinit(&s);
	return 0;
}

/* helpdeskctl card --policy FILE: the one-page quick reference. */
static int cmd_card(int argc, char **argv)
{
	const char *path = NULL;
	struct hd_policy *p;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--policy") == 0 && i + 1 < argc)
			path = argv[++i];
		else if (strcmp(argv[i], "--help") == 0) {
			printf("usage: helpdeskctl card --policy FILE\n");
			return 0;
		} else if (path == NULL && argv[i][0] != '-')
			path = argv[i];
	}
	if (path == NULL) {
		fprintf(stderr, "usage: helpdeskctl card --policy FILE\n");
		return 1;
	}
	if ((p = load_policy(path, false)) == NULL)
		return 1;
	printf("%s v%s — quick reference", p->name, p->version);
	if (p->effective)
		printf(" (effective %s)", p->effective);
	printf("\n");
	if (p->owner)
		printf("Owner: %s%s%s\n", p->owner, p->review ? "; review: " : "", p->review ? p->review : "");
	printf("\nRESPONSE TARGETS\n");
	for (size_t c = 0; c < p->nchannels; c++) {
		const struct hd_sla_channel *ch = &p->channels[c];
		for (size_t i = 0; i < ch->ntargets; i++) {
			char a[32], b[32];
			snprintf(a, sizeof(a), "%ldh%02ldm", ch->targets[i].first_response / 60, ch->targets[i].first_response % 60);
			snprintf(b, sizeof(b), "%ldh%02ldm", ch->targets[i].resolution / 60, ch->targets[i].resolution % 60);
			printf("  %-7s %-10s first response %-8s resolution %-8s %s%s\n", ch->name,
			       ch->targets[i].priority->name, a, b, ch->targets[i].wall ? "(wall clock)" : "(business hours)",
			       ch->enforced ? "" : " [not enforced by mail]");
		}
	}
	printf("\nAUTHORITY (%s)\n", p->currency ? p->currency : "USD");
	for (size_t i = 0; i < p->nroles; i++) {
		const struct hd_role *r = &p->roles[i];
		printf("  %-12s", r->name);
		for (int k = 0; k < HD_AMOUNT_KIND_COUNT; k++)
			if (r->has_limit[k])
				printf(" %s %g%s", hd_amount_kind_name((enum hd_amount_kind)k), r->limit[k],
				       k == HD_AMOUNT_DISCOUNT ? "%" : "");
		printf("%s\n", r->can_approve ? "  (approves)" : "");
	}
	printf("\nESCALATION\n");
	for (size_t i = 0; i < p->nlevels; i++)
		printf("  %-10s %s%s%s%s\n", p->levels[i].name, p->levels[i].primary,
		       p->levels[i].backup ? ", backup " : "", p->levels[i].backup ? p->levels[i].backup : "",
		       p->levels[i].primary_hours ? " (outside primary hours)" : "");
	for (size_t i = 0; i < p->ntriggers; i++)
		printf("  when %-20s -> %s\n", p->triggers[i].name, p->triggers[i].notify->name);
	if (p->handoff_require.n) {
		printf("  hand-off must include:");
		for (size_t i = 0; i < p->handoff_require.n; i++)
			printf(" %s", p->handoff_require.v[i]);
		printf("\n");
	}
	printf("\nNEVER WRITE -> WRITE INSTEAD\n");
	for (size_t i = 0; i < p->nphrases; i++) {
		const struct hd_phrase *ph = &p->phrases[i];
		printf("  \"%s\"", ph->match.n ? ph->match.v[0] : "");
		for (size_t k = 1; k < ph->match.n; k++)
			printf(", \"%s\"", ph->match.v[k]);
		printf(" -> %s\n", ph->suggest ? ph->suggest : "(rephrase)");
	}
	if (p->approvals_mailbox)
		printf("\nEXCEPTIONS: approvals go to %s (\"approve EXC-...\")\n", p->approvals_mailbox);
	if (p->nkpis) {
		printf("\nKPIs\n");
		for (size_t i = 0; i < p->nkpis; i++)
			printf("  %-28s target %-6s review %-10s owner %s\n", p->kpis[i].name,
			       p->kpis[i].target ? p->kpis[i].target : "-", p->kpis[i].review ? p->kpis[i].review : "-",
			       p->kpis[i].owner ? p->kpis[i].owner : "-");
	}
	hd_policy_unref(&p);
	return 0;
}

int main(int argc, char **argv)
{
	/* Progress messages (store migrations...) are noise on a command line. */
	log_set_sink(NULL, getenv("HELPDESKCTL_DEBUG") ? LOG_LVL_DEBUG : LOG_LVL_WARNING);
	if (argc < 2) {
		usage_main(stderr);
		return 1;
	}
	if (strcmp(argv[1], "check-policy") == 0)
		return cmd_check_policy(argc - 1, argv + 1);
	if (strcmp(argv[1], "scan") == 0)
		return cmd_scan(argc - 1, argv + 1);
	if (strcmp(argv[1], "audit") == 0)
		return cmd_audit(argc - 1, argv + 1);
	if (strcmp(argv[1], "report") == 0)
		return cmd_report(argc - 1, argv + 1);
	if (strcmp(argv[1], "card") == 0)
		return cmd_card(argc - 1, argv + 1);
	if (strcmp(argv[1], "verify-seal") == 0)
		return hd_ctl_verify_seal(argc - 1, argv + 1);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage_main(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("helpdeskctl %s\n", PACKAGE_VERSION);
		return 0;
	}
	fprintf(stderr, "helpdeskctl: unknown command '%s'\n", argv[1]);
	usage_main(stderr);
	return 1;
}

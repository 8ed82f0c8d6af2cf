/*
 * ctl-audit - helpdeskctl audit: search the audit store with filters and
 * print the records as a table, CSV or JSON lines; --verify walks the hash
 * chain instead. It only reads the store and must never write to it.
 */
#include <config.h>
#include "util.h"
#include "policy.h"
#include "store.h"
#include "verdict.h"
#include "ctl.h"

#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

/* The output format and the rows printed so far (for the heading). */
struct audit_out {
	const char *format;
	size_t rows;
};

/* The columns JSON and CSV both carry, in order, after seq and at. */
static const char *const audit_columns[] = {
	"kind", "ticket", "team", "priority", "agent", "rule", "action", "text", "queue_id",
	"message_id", "policy", "policy_version", "prev_hash", "hash",
};
#define AUDIT_NCOLUMNS (sizeof(audit_columns) / sizeof(audit_columns[0]))

/* The values of audit_columns for one row. */
static void audit_values(const struct hd_audit_row *row, const char *v[AUDIT_NCOLUMNS])
{
	const char *vals[] = { row->kind, row->ticket, row->team, row->priority, row->agent,
			       row->rule, row->action, row->text, row->queue_id, row->message_id,
			       row->policy_name, row->policy_version, row->prev_hash, row->hash };

	memcpy(v, vals, sizeof(vals));
}

/* One row as a JSON object on one line. */
static void audit_json(const struct hd_audit_row *row, const char *at)
{
	const char *v[AUDIT_NCOLUMNS];
	struct strbuf sb;

	audit_values(row, v);
	sb_init(&sb);
	sb_printf(&sb, "{\"seq\":%lld,\"at\":\"%s\"", row->seq, at);
	for (size_t i = 0; i < AUDIT_NCOLUMNS; i++) {
		sb_printf(&sb, ",\"%s\":", audit_columns[i]);
		hd_json_string(&sb, v[i]);
	}
	sb_puts(&sb, ",\"detail\":");
	sb_puts(&sb, row->detail && *row->detail ? row->detail : "null");
	sb_putc(&sb, '}');
	puts(sb.s);
	sb_free(&sb);
}

/* One row as CSV: every column the JSON carries, detail as its JSON text. */
static void audit_csv(const struct hd_audit_row *row, const char *at, bool heading)
{
	const char *v[AUDIT_NCOLUMNS];
	char seq[32];

	if (heading) {
		fputs("seq,at", stdout);
		for (size_t i = 0; i < AUDIT_NCOLUMNS; i++)
			printf(",%s", audit_columns[i]);
		fputs(",detail\r\n", stdout);
	}
	audit_values(row, v);
	snprintf(seq, sizeof(seq), "%lld", row->seq);
	fputs(seq, stdout);
	putchar(',');
	fputs(at, stdout);
	for (size_t i = 0; i < AUDIT_NCOLUMNS; i++) {
		putchar(',');
		ctl_csv_field(stdout, v[i]);
	}
	putchar(',');
	ctl_csv_field(stdout, row->detail);
	fputs("\r\n", stdout);
}

/* A store value for the table: "-" when empty, control characters escaped. */
static const char *cell(const char *s, char buf[CTL_TTY_MAX])
{
	return s && *s ? ctl_tty(s, buf) : "-";
}

/* One row of the terminal table. */
static void audit_table(const struct hd_audit_row *row, const char *at, bool heading)
{
	char b[8][CTL_TTY_MAX];

	if (heading)
		printf("%-6s %-20s %-10s %-14s %-10s %-9s %-28s %-18s %-9s %s\n", "SEQ", "AT", "KIND",
		       "TICKET", "TEAM", "PRIORITY", "AGENT", "RULE", "ACTION", "TEXT");
	printf("%-6lld %-20s %-10s %-14s %-10s %-9s %-28s %-18s %-9s %.60s\n", row->seq, at,
	       cell(row->kind, b[0]), cell(row->ticket, b[1]), cell(row->team, b[2]),
	       cell(row->priority, b[3]), cell(row->agent, b[4]), cell(row->rule, b[5]),
	       cell(row->action, b[6]), row->text ? ctl_tty(row->text, b[7]) : "");
}

/* Print one audit row in the chosen format. */
static bool audit_row(const struct hd_audit_row *row, void *ctx)
{
	struct audit_out *o = ctx;
	char at[32];

	time_format_utc(row->at, at);
	if (strcmp(o->format, "json") == 0)
		audit_json(row, at);
	else if (strcmp(o->format, "csv") == 0)
		audit_csv(row, at, o->rows == 0);
	else
		audit_table(row, at, o->rows == 0);
	o->rows++;
	return true;
}

/* The record kinds --kind accepts (SPEC s.9). */
static const char *const audit_kinds[] = {
	"tone", "authority", "exception", "approval", "sla", "handoff", "escalation", "inbound",
	"outbound", "checkpoint",
};

/* Print audit usage. */
static void usage_audit(FILE *f)
{
	fprintf(f,
		"usage: helpdeskctl audit --store URI [filters] [--format table|csv|json] [--verify]\n"
		"filters: --ticket ID --team NAME --priority NAME --agent ADDR --rule ID\n"
		"         --kind tone|authority|exception|approval|sla|handoff|escalation|inbound|\n"
		"                outbound|checkpoint\n"
		"         --message-id ID --queue-id ID --action NAME\n"
		"         --since TIME --until TIME (RFC 3339)  --limit N\n"
		"         --policy FILE (check --team against its teams)\n"
		"--verify walks the hash chain and exits 1 if a record was changed or removed.\n"
		"Exit 64 on a usage error, 66 when the store does not exist.\n");
}

/* Check --kind, and --team against the policy when one is given; false with
   the reason on stderr. */
static bool audit_filter_check(const struct hd_audit_filter *f, const char *policy_path)
{
	size_t i;

	if (f->kind != NULL) {
		for (i = 0; i < sizeof(audit_kinds) / sizeof(audit_kinds[0]) &&
			    strcmp(audit_kinds[i], f->kind) != 0; i++)
			;
		if (i == sizeof(audit_kinds) / sizeof(audit_kinds[0])) {
			fprintf(stderr, "helpdeskctl: --kind %s is not a record kind (use one of tone, "
				"authority, exception, approval, sla, handoff, escalation, inbound, "
				"outbound, checkpoint)\n", f->kind);
			return false;
		}
	}
	if (policy_path != NULL && f->team != NULL) {
		struct hd_policy *p = ctl_load_policy(policy_path, false);
		bool known = p != NULL && hd_policy_team(p, f->team) != NULL;

		if (p != NULL && !known)
			fprintf(stderr, "helpdeskctl: --team %s is not a team of %s (see its teams:)\n",
				f->team, policy_path);
		hd_policy_unref(&p);
		return known;
	}
	return true;
}

/* helpdeskctl audit */
int cmd_audit(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "store", required_argument, NULL, 's' }, { "ticket", required_argument, NULL, 'T' },
		{ "team", required_argument, NULL, 'm' }, { "priority", required_argument, NULL, 'p' },
		{ "agent", required_argument, NULL, 'a' }, { "rule", required_argument, NULL, 'r' },
		{ "kind", required_argument, NULL, 'k' }, { "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'U' }, { "format", required_argument, NULL, 'f' },
		{ "limit", required_argument, NULL, 'l' }, { "verify", no_argument, NULL, 'v' },
		{ "message-id", required_argument, NULL, 'M' }, { "queue-id", required_argument, NULL, 'Q' },
		{ "action", required_argument, NULL, 'A' }, { "policy", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	struct hd_audit_filter f = { 0 };
	struct audit_out o = { .format = "table" };
	const char *uri = NULL, *policy_path = NULL;
	bool verify = false, missing = false;
	struct hd_store *s;
	char *err = NULL, *end;
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
		case 'M': f.message_id = optarg; break;
		case 'Q': f.queue_id = optarg; break;
		case 'A': f.action = optarg; break;
		case 'P': policy_path = optarg; break;
		case 'S':
		case 'U':
			if (!ctl_parse_when(optarg, c == 'S' ? &f.since : &f.until))
				return EX_USAGE;
			break;
		case 'f': o.format = optarg; break;
		case 'l': {
			unsigned long long n;
			errno = 0;
			n = strtoull(optarg, &end, 10);
			if (optarg[0] < '0' || optarg[0] > '9' || *end != '\0' || errno != 0 || n == 0 ||
			    n > SIZE_MAX) {
				fprintf(stderr, "helpdeskctl: --limit %s is not a positive whole number\n", optarg);
				return EX_USAGE;
			}
			f.limit = (size_t)n;
			break;
		}
		case 'v': verify = true; break;
		case 'h': usage_audit(stdout); return 0;
		default: usage_audit(stderr); return EX_USAGE;
		}
	}
	if (uri == NULL || optind != argc) {
		usage_audit(stderr);
		return EX_USAGE;
	}
	if (strcmp(o.format, "table") && strcmp(o.format, "csv") && strcmp(o.format, "json")) {
		fprintf(stderr, "helpdeskctl: --format must be table, csv or json\n");
		return EX_USAGE;
	}
	if (!audit_filter_check(&f, policy_path))
		return EX_USAGE;
	if ((s = hd_store_open_existing(uri, &missing, &err)) == NULL) {
		fprintf(stderr, "helpdeskctl: %s\n", err);
		free(err);
		return missing ? EX_NOINPUT : 1;
	}
	if (verify) {
		long long checked = 0, bad = 0;
		char *problem = NULL;
		if (hd_store_verify(s, &checked, &bad, &problem, &err) != HD_STORE_OK) {
			fprintf(stderr, "helpdeskctl: verify: %s\n", err);
			rc = 1;
		} else if (bad < 0) {
			printf("BROKEN: %s (%lld records checked)\n", problem ? problem : "", checked);
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

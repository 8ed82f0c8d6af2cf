/*
 * ctl-audit - helpdeskctl audit: search the audit store with filters and
 * print the records as a table, CSV or JSON lines; --verify walks the hash
 * chain instead. It only reads the store and must never write to it.
 */
#include <config.h>
#include "util.h"
#include "store.h"
#include "verdict.h"
#include "ctl.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* The output format and the rows printed so far (for the heading). */
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
			if (!ctl_parse_when(optarg, c == 'S' ? &f.since : &f.until))
				return 1;
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

/*
 * helpdeskctl - the offline tool (SPEC s.2): check a policy, run the very
 * engine the milter runs on one message, search the audit store, report
 * KPIs and print the policy's quick-reference card. This file holds main,
 * the command table and the helpers the commands share; each command lives
 * in its own ctl-*.c. It calls the engine library for every decision and
 * must never implement one itself.
 */
#include <config.h>
#include "util.h"
#include "diag.h"
#include "policy.h"
#include "settings.h"
#include "ctl.h"
#include "ctl-verify-seal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
		"  sla-watch -c CONFIG      mail SLA warnings and breaches once each\n"
		"  expire --before DATE     remove old audit records through a checkpoint\n"
		"Run 'helpdeskctl COMMAND --help' for a command's options.\n");
}

/* Print every diagnostic to stderr. */
void ctl_print_diag(const struct hd_diag *d)
{
	for (size_t i = 0; i < d->lines.n; i++)
		fprintf(stderr, "%s\n", d->lines.v[i]);
}

/* Load a policy with diagnostics on stderr; NULL on error. */
struct hd_policy *ctl_load_policy(const char *path, bool selftest)
{
	struct hd_diag d;
	struct hd_policy *p;

	hd_diag_init(&d);
	p = hd_policy_load(path, &d);
	if (p && selftest && hd_policy_selftest(p, &d) > 0)
		hd_policy_unref(&p);
	ctl_print_diag(&d);
	hd_diag_free(&d);
	return p;
}

/* Load a daemon configuration with diagnostics on stderr; NULL on error. */
struct hd_config *ctl_load_config(const char *path)
{
	struct hd_diag d;
	struct hd_config *cfg;

	hd_diag_init(&d);
	cfg = hd_config_load(path, &d);
	ctl_print_diag(&d);
	hd_diag_free(&d);
	return cfg;
}

/* Parse an RFC 3339 time or a bare date (midnight UTC); say why not. */
bool ctl_parse_when(const char *s, time_t *t_r)
{
	char buf[64];
	if (time_parse_rfc3339(s, t_r))
		return true;
	snprintf(buf, sizeof(buf), "%sT00:00:00Z", s);
	if (time_parse_rfc3339(buf, t_r))
		return true;
	fprintf(stderr, "helpdeskctl: '%s' is not an RFC 3339 time or a date\n", s);
	return false;
}

/* The commands, in the order usage_main lists them. */
static const struct ctl_command {
	const char *name;
	int (*run)(int argc, char **argv);
} ctl_commands[] = {
	{ "check-policy", cmd_check_policy },
	{ "scan", cmd_scan },
	{ "audit", cmd_audit },
	{ "report", cmd_report },
	{ "card", cmd_card },
	{ "verify-seal", hd_ctl_verify_seal },
	{ "sla-watch", cmd_sla_watch },
	{ "expire", cmd_expire },
};

/* Run the command named by argv[1]; --help and --version are answered here. */
int main(int argc, char **argv)
{
	/* Progress messages (store migrations...) are noise on a command line. */
	log_set_sink(NULL, getenv("HELPDESKCTL_DEBUG") ? LOG_LVL_DEBUG : LOG_LVL_WARNING);
	if (argc < 2) {
		usage_main(stderr);
		return 1;
	}
	for (size_t i = 0; i < sizeof(ctl_commands) / sizeof(ctl_commands[0]); i++)
		if (strcmp(argv[1], ctl_commands[i].name) == 0)
			return ctl_commands[i].run(argc - 1, argv + 1);
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

#ifndef HD_CTL_H
#define HD_CTL_H
/*
 * ctl - private to helpdeskctl: one entry point per command (ctl-*.c) and
 * the helpers the commands share (helpdeskctl.c). A command takes the
 * arguments from its own name on (argv[0] is the command), prints its result
 * on stdout and its errors on stderr, and returns the process exit code.
 */
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

struct hd_diag;
struct hd_policy;
struct hd_config;

/* helpdeskctl check-policy FILE (ctl-policy.c). */
int cmd_check_policy(int argc, char **argv);
/* helpdeskctl scan [options] MESSAGE|- (ctl-scan.c). */
int cmd_scan(int argc, char **argv);
/* helpdeskctl audit --store URI [filters] [--verify] (ctl-audit.c). */
int cmd_audit(int argc, char **argv);
/* helpdeskctl report --store URI --policy FILE [...] (ctl-report.c). */
int cmd_report(int argc, char **argv);
/* helpdeskctl expire [--before DATE] [--store URI | -c CONFIG] (ctl-expire.c). */
int cmd_expire(int argc, char **argv);
/* helpdeskctl card --policy FILE [--format text|html] (ctl-card.c). */
int cmd_card(int argc, char **argv);
/* helpdeskctl sla-watch -c CONFIG [--at T] [--loop S] [--dry-run] (ctl-sla-watch.c). */
int cmd_sla_watch(int argc, char **argv);

/* Print every diagnostic to stderr. */
void ctl_print_diag(const struct hd_diag *d);
/* Load a policy (and run its self-tests when selftest) with diagnostics on
   stderr; NULL on error. */
struct hd_policy *ctl_load_policy(const char *path, bool selftest);
/* Load a daemon configuration with diagnostics on stderr; NULL on error. */
struct hd_config *ctl_load_config(const char *path);
/* Parse the value of --since/--until: RFC 3339 or a bare date (midnight
   UTC); false, with the reason on stderr, when it is neither. */
bool ctl_parse_when(const char *s, time_t *t_r);

/* Room for one store value shown in a table (longer ones are cut). */
#define CTL_TTY_MAX 256
/* ctl-escape.c: a store value for a terminal, control characters as '?'. */
const char *ctl_tty(const char *s, char buf[CTL_TTY_MAX]);
/* ctl-escape.c: one CSV cell, quoted and neutralised against formulas. */
void ctl_csv_field(FILE *f, const char *s);

#endif

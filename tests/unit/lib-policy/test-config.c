/*
 * test-config - the daemon configuration loader: defaults, every key,
 * sizes, and file:line:column errors with did-you-mean hints.
 */
#include <config.h>
#include "settings.h"
#include "net.h"
#include "util.h"

#include <check.h>
#include "check-run.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

/* Load text as a config named "/etc/hm/test.yaml"; diag filled. */
static struct hd_config *load(const char *text, struct hd_diag *diag)
{
	hd_diag_init(diag);
	return hd_config_load_buffer("/etc/hm/test.yaml", text, strlen(text), diag);
}

/* Assert that some diagnostic contains every needle (NULL-terminated). */
static void assert_diag(const struct hd_diag *d, const char *prefix, const char *needle)
{
	for (size_t i = 0; i < d->lines.n; i++)
		if (strncmp(d->lines.v[i], prefix, strlen(prefix)) == 0 &&
		    strstr(d->lines.v[i], needle) != NULL)
			return;
	for (size_t i = 0; i < d->lines.n; i++)
		fprintf(stderr, "  diag: %s\n", d->lines.v[i]);
	ck_abort_msg("no diagnostic '%s...%s'", prefix, needle);
}

/* Load text that must fail; returns the diagnostics for inspection. */
static void load_bad(const char *text, struct hd_diag *diag)
{
	struct hd_config *c = load(text, diag);

	ck_assert_msg(c == NULL, "accepted: %s", text);
	ck_assert_uint_gt(hd_diag_count(diag), 0);
}

START_TEST(test_defaults)
{
	struct hd_config *c = hd_config_load(NULL, NULL);

	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->socket, "unix:/run/helpdesk-milter/helpdesk-milter.sock");
	ck_assert_int_eq(c->socket_mode, 0660);
	ck_assert_ptr_null(c->socket_owner);
	ck_assert_str_eq(c->store, "sqlite:/var/lib/helpdesk-milter/audit.db");
	ck_assert_ptr_nonnull(strstr(c->policy, "/helpdesk-milter/policy.yaml"));
	ck_assert(c->on_failure_tempfail);
	ck_assert(hd_netlist_contains(c->trusted, "127.0.0.1"));
	ck_assert(hd_netlist_contains(c->trusted, "::1"));
	ck_assert(!hd_netlist_contains(c->trusted, "10.0.0.1"));
	ck_assert_ptr_null(c->user);
	ck_assert_ptr_null(c->pidfile);
	ck_assert_uint_eq(c->limits.message_bytes, HD_LIMIT_MESSAGE_BYTES_DEFAULT);
	ck_assert_uint_eq(c->limits.recipients, HD_LIMIT_RECIPIENTS_DEFAULT);
	ck_assert_uint_eq(c->notify_command.n, 0);
	ck_assert_str_eq(c->log_facility, "mail");
	ck_assert_str_eq(c->log_level, "info");
	ck_assert_int_gt(c->timeout, 0);
	hd_config_deinit(&c);
	ck_assert_ptr_null(c);

	/* an empty file is all defaults too */
	struct hd_diag d;
	c = load("", &d);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->socket_mode, 0660);
	hd_config_deinit(&c);
	hd_diag_free(&d);
}
END_TEST

START_TEST(test_full)
{
	static const char text[] =
		"socket: inet:8891@127.0.0.1\n"
		"socket_owner: postfix\n"
		"socket_group: mail\n"
		"socket_mode: \"0640\"\n"
		"policy: policy.yaml\n"
		"store: postgresql://audit@db/helpdesk\n"
		"on_failure: accept\n"
		"trusted_networks: [10.0.0.0/8, \"2001:db8::/32\"]\n"
		"user: hdmilter\n"
		"group: hdmilter\n"
		"pidfile: /run/helpdesk-milter/pid\n"
		"limits:\n"
		"  message_bytes: 20M\n"
		"  mime_depth: 10\n"
		"  mime_parts: 100\n"
		"  header_count: 500\n"
		"  header_bytes: 64K\n"
		"  text_bytes: 2MiB\n"
		"  recipients: 50\n"
		"  body_memory_bytes: 1048576\n"
		"  findings: 7\n"
		"notify_command: [/usr/sbin/sendmail, -t, -oi]\n"
		"log: { facility: local3, level: debug }\n"
		"timeout: 5m\n";
	struct hd_diag d;
	struct hd_config *c = load(text, &d);

	ck_assert_msg(c != NULL, "%s", d.lines.n ? d.lines.v[0] : "");
	ck_assert_str_eq(c->socket, "inet:8891@127.0.0.1");
	ck_assert_str_eq(c->socket_owner, "postfix");
	ck_assert_str_eq(c->socket_group, "mail");
	ck_assert_int_eq(c->socket_mode, 0640);
	ck_assert_str_eq(c->policy, "/etc/hm/policy.yaml");	/* relative to the config */
	ck_assert_str_eq(c->store, "postgresql://audit@db/helpdesk");
	ck_assert(!c->on_failure_tempfail);
	ck_assert(hd_netlist_contains(c->trusted, "10.9.8.7"));
	ck_assert(hd_netlist_contains(c->trusted, "2001:db8::5"));
	ck_assert(!hd_netlist_contains(c->trusted, "127.0.0.1"));	/* replaced, not added */
	ck_assert_str_eq(c->user, "hdmilter");
	ck_assert_str_eq(c->group, "hdmilter");
	ck_assert_str_eq(c->pidfile, "/run/helpdesk-milter/pid");
	ck_assert_uint_eq(c->limits.message_bytes, 20u * 1024 * 1024);
	ck_assert_uint_eq(c->limits.mime_depth, 10);
	ck_assert_uint_eq(c->limits.mime_parts, 100);
	ck_assert_uint_eq(c->limits.header_count, 500);
	ck_assert_uint_eq(c->limits.header_bytes, 64u * 1024);
	ck_assert_uint_eq(c->limits.text_bytes, 2u * 1024 * 1024);
	ck_assert_uint_eq(c->limits.recipients, 50);
	ck_assert_uint_eq(c->limits.body_memory_bytes, 1048576);
	ck_assert_uint_eq(c->limits.findings, 7);
	ck_assert_uint_eq(c->notify_command.n, 3);
	ck_assert_str_eq(c->notify_command.v[0], "/usr/sbin/sendmail");
	ck_assert_str_eq(c->notify_command.v[2], "-oi");
	ck_assert_str_eq(c->log_facility, "local3");
	ck_assert_str_eq(c->log_level, "debug");
	ck_assert_int_eq(hd_config_syslog_facility(c->log_facility), LOG_LOCAL3);
	ck_assert_int_eq(hd_config_log_level(c->log_level), LOG_LVL_DEBUG);
	ck_assert_int_eq(c->timeout, 300);
	hd_config_deinit(&c);
	hd_diag_free(&d);
}
END_TEST

START_TEST(test_unknown_keys)
{
	struct hd_diag d;

	load_bad("socket: unix:/tmp/s\npolicyy: /x.yaml\n", &d);
	assert_diag(&d, "/etc/hm/test.yaml:2:1: ", "unknown key 'policyy'");
	assert_diag(&d, "/etc/hm/test.yaml:2:1: ", "did you mean 'policy'");
	hd_diag_free(&d);

	load_bad("limits:\n  mesage_bytes: 10M\nlog:\n  facilty: mail\n", &d);
	assert_diag(&d, "/etc/hm/test.yaml:2:3: ", "did you mean 'message_bytes'");
	assert_diag(&d, "/etc/hm/test.yaml:4:3: ", "did you mean 'facility'");
	ck_assert_uint_eq(hd_diag_count(&d), 2);	/* every error, not just the first */
	hd_diag_free(&d);

	load_bad("store: a\nstore: b\n", &d);
	assert_diag(&d, "/etc/hm/test.yaml:2:1: ", "duplicate key 'store'");
	hd_diag_free(&d);
}
END_TEST

START_TEST(test_seal)
{
	struct hd_diag d;
	struct hd_config *c;

	c = load("seal: { key_id: k2, key_file: keys/k2.key, previous: { k1: /etc/hm/k1.key } }\n", &d);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->seal_key_id, "k2");
	ck_assert_str_eq(c->seal_key_file, "/etc/hm/keys/k2.key");	/* relative to the config */
	ck_assert_uint_eq(c->seal_previous.n, 2);
	ck_assert_str_eq(c->seal_previous.v[0], "k1");
	ck_assert_str_eq(c->seal_previous.v[1], "/etc/hm/k1.key");
	hd_config_deinit(&c);
	hd_diag_free(&d);
	c = load("socket: unix:/tmp/s\n", &d);
	ck_assert_ptr_null(c->seal_key_file);	/* default: no seal */
	hd_config_deinit(&c);
	hd_diag_free(&d);

	load_bad("seal: { key_id: k1 }\n", &d);
	assert_diag(&d, "/etc/hm/test.yaml:1:7: ", "seal needs both key_id");
	hd_diag_free(&d);
	load_bad("seal: { key_id: k1, key_file: /k, keyfile: /x }\n", &d);
	assert_diag(&d, "/etc/hm/test.yaml:1:35: ", "did you mean 'key_file'");
	hd_diag_free(&d);
	load_bad("seal: /etc/k\n", &d);
	assert_diag(&d, "/etc/hm/test.yaml:1:7: ", "'seal' must be a mapping");
	hd_diag_free(&d);
}
END_TEST

START_TEST(test_bad_values)
{
	struct hd_diag d;

	load_bad("socket: tcp:25\n", &d);
	assert_diag(&d, "/etc/hm/test.yaml:1:9: ", "unknown socket type");
	hd_diag_free(&d);
	load_bad("socket: inet:99999@127.0.0.1\n", &d);
	assert_diag(&d, "/etc/hm/test.yaml:1:9: ", "PORT");
	hd_diag_free(&d);
	load_bad("socket: unix:relative/path\n", &d);
	assert_diag(&d, "/etc/hm/test.yaml:1:9: ", "absolute path");
	hd_diag_free(&d);
	load_bad("socket_mode: \"0980\"\n", &d);
	assert_diag(&d, "/etc/hm/test.yaml:1:14: ", "octal");
	hd_diag_free(&d);
	load_bad("on_failure: tempfial\n", &d);
	assert_diag(&d, "/etc/hm/test.yaml:1:13: ", "did you mean 'tempfail'");
	hd_diag_free(&d);
	load_bad("trusted_networks:\n  - 127.0.0.1\n  - mail.example.com\n  - 10.0.0.0/99\n", &d);
	assert_diag(&d, "/etc/hm/test.yaml:3:5: ", "mail.example.com");
	assert_diag(&d, "/etc/hm/test.yaml:4:5: ", "prefix");
	hd_diag_free(&d);
	load_bad("notify_command: /usr/bin/notify --all\n", &d);
	assert_diag(&d, "/etc/hm/test.yaml:1:17: ", "must be a list");
	hd_diag_free(&d);
	load_bad("notify_command: [notify, x]\n", &d);
	assert_diag(&d, "/etc/hm/test.yaml:1:18: ", "absolute path");
	hd_diag_free(&d);
	load_bad("log: { facility: mial }\n", &d);
	assert_diag(&d, "/etc/hm/test.yaml:1:18: ", "did you mean 'mail'");
	hd_diag_free(&d);
	load_bad("log: { level: loud }\n", &d);
	assert_diag(&d, "/etc/hm/test.yaml:1:15: ", "expected one of");
	hd_diag_free(&d);
	load_bad("limits: { message_bytes: 10X }\n", &d);
	assert_diag(&d, "/etc/hm/test.yaml:1:26: ", "not a size");
	hd_diag_free(&d);
	load_bad("limits: { recipients: 0 }\n", &d);
	assert_diag(&d, "/etc/hm/test.yaml:1:23: ", "out of range");
	hd_diag_free(&d);
	load_bad("limits: [1, 2]\n", &d);
	assert_diag(&d, "/etc/hm/test.yaml:1:9: ", "must be a mapping");
	hd_diag_free(&d);
	load_bad("timeout: soon\n", &d);
	assert_diag(&d, "/etc/hm/test.yaml:1:10: ", "timeout");
	hd_diag_free(&d);
	load_bad("pidfile: run/x.pid\n", &d);
	assert_diag(&d, "/etc/hm/test.yaml:1:10: ", "absolute");
	hd_diag_free(&d);
	load_bad("policy: ~\n", &d);
	assert_diag(&d, "/etc/hm/test.yaml:1:9: ", "policy");
	hd_diag_free(&d);
	load_bad("user: [a, b]\n", &d);
	assert_diag(&d, "/etc/hm/test.yaml:1:7: ", "must be a string");
	hd_diag_free(&d);
	load_bad("- just\n- a list\n", &d);
	assert_diag(&d, "/etc/hm/test.yaml:1:1: ", "mapping");
	hd_diag_free(&d);
	load_bad("retention: { keep: 400 days }\n", &d);
	assert_diag(&d, "/etc/hm/test.yaml:1:20: ", "400d");
	hd_diag_free(&d);
	load_bad("retention: { keep: 0d }\n", &d);
	assert_diag(&d, "/etc/hm/test.yaml:1:20: ", "retention.keep");
	hd_diag_free(&d);
	load_bad("retention: { kept: 400d }\n", &d);
	assert_diag(&d, "/etc/hm/test.yaml:", "kept");
	hd_diag_free(&d);
	load_bad("socket: [unclosed\n", &d);	/* YAML syntax error */
	assert_diag(&d, "/etc/hm/test.yaml:", "");
	hd_diag_free(&d);
}
END_TEST

START_TEST(test_sizes)
{
	size_t v;

	ck_assert(hd_config_parse_size("10M", &v));
	ck_assert_uint_eq(v, 10u * 1024 * 1024);
	ck_assert(hd_config_parse_size("64K", &v));
	ck_assert_uint_eq(v, 65536);
	ck_assert(hd_config_parse_size("64kb", &v));
	ck_assert_uint_eq(v, 65536);
	ck_assert(hd_config_parse_size("1G", &v));
	ck_assert_uint_eq(v, 1024u * 1024 * 1024);
	ck_assert(hd_config_parse_size("4096", &v));
	ck_assert_uint_eq(v, 4096);
	ck_assert(hd_config_parse_size("0", &v));
	ck_assert_uint_eq(v, 0);
	ck_assert(!hd_config_parse_size("", &v));
	ck_assert(!hd_config_parse_size("M", &v));
	ck_assert(!hd_config_parse_size("-1", &v));
	ck_assert(!hd_config_parse_size("10T", &v));
	ck_assert(!hd_config_parse_size("1.5M", &v));
	ck_assert(!hd_config_parse_size("99999999999999999999999", &v));
	ck_assert(!hd_config_parse_size("99999999999999999G", &v));
}
END_TEST

START_TEST(test_file)
{
	char dir[] = "/tmp/test-config-XXXXXX";
	char *path;
	FILE *f;
	struct hd_diag d;
	struct hd_config *c;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	path = xasprintf("%s/helpdesk-milter.yaml", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("# test\npolicy: rules/policy.yaml\nsocket: /run/x.sock\nlimits:\n  mime_depth:  8\n", f);
	fclose(f);
	hd_diag_init(&d);
	c = hd_config_load(path, &d);
	ck_assert_ptr_nonnull(c);
	char *want = xasprintf("%s/rules/policy.yaml", dir);
	ck_assert_str_eq(c->policy, want);
	ck_assert_str_eq(c->file, path);
	free(want);
	/* where each key's value was written, for later checks (-n) */
	int line, col;
	ck_assert(hd_config_key_pos(c, "socket", &line, &col));
	ck_assert_int_eq(line, 3);
	ck_assert_int_eq(col, 9);
	ck_assert(hd_config_key_pos(c, "limits.mime_depth", &line, &col));
	ck_assert_int_eq(line, 5);
	ck_assert_int_eq(col, 16);
	ck_assert(!hd_config_key_pos(c, "store", &line, &col));	/* the default */
	ck_assert_int_eq(line, 1);
	ck_assert(!hd_config_key_pos(c, "mime_depth", &line, &col));
	hd_config_deinit(&c);
	unlink(path);

	/* a missing file is an error naming the file */
	c = hd_config_load(path, &d);
	ck_assert_ptr_null(c);
	assert_diag(&d, path, "cannot open");
	hd_diag_free(&d);
	free(path);
	rmdir(dir);
}
END_TEST

START_TEST(test_example_config)
{
	/* the shipped example must load */
	const char *top = getenv("TOP_SRCDIR") ? getenv("TOP_SRCDIR") : TOP_SRCDIR;
	char *path = xasprintf("%s/conf/helpdesk-milter.yaml", top);
	struct hd_diag d;
	struct hd_config *c;

	hd_diag_init(&d);
	c = hd_config_load(path, &d);
	ck_assert_msg(c != NULL, "%s", d.lines.n ? d.lines.v[0] : "");
	ck_assert(c->on_failure_tempfail);
	ck_assert_int_eq(c->retention_keep_days, 400);	/* retention: { keep: 400d } */
	hd_config_deinit(&c);
	hd_diag_free(&d);
	free(path);

	/* weeks; default: keep everything */
	c = load("retention: { keep: 52w }\n", &d);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->retention_keep_days, 364);
	hd_config_deinit(&c);
	hd_diag_free(&d);
	c = load("timeout: 10\n", &d);
	ck_assert_int_eq(c->retention_keep_days, 0);
	hd_config_deinit(&c);
	hd_diag_free(&d);
}
END_TEST

/* Build the suite. */
static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_full);
	tcase_add_test(tc, test_unknown_keys);
	tcase_add_test(tc, test_seal);
	tcase_add_test(tc, test_bad_values);
	tcase_add_test(tc, test_sizes);
	tcase_add_test(tc, test_file);
	tcase_add_test(tc, test_example_config);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	int failed = hd_check_run(config_suite());
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

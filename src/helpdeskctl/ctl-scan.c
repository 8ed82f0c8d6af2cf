/*
 * ctl-scan - helpdeskctl scan: run the very engine the milter runs on one
 * message (a file or stdin) with the envelope given as options, and print the
 * verdict JSON or the message as it would be delivered. It must never decide
 * anything itself nor read more than HDCTL_MAX_INPUT_BYTES, and never write to
 * a store the operator did not name with --store (a dry run must not open
 * real tickets in the production store of -c CONFIG).
 */
#include <config.h>
#include "util.h"
#include "policy.h"
#include "settings.h"
#include "net.h"
#include "mime.h"
#include "store.h"
#include "engine.h"
#include "verdict.h"
#include "seal.h"
#include "ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* Largest message scan reads (file or stdin). */
#define HDCTL_MAX_INPUT_BYTES ((size_t)256 * 1024 * 1024)
/* Most --rcpt options on one command line. */
#define HDCTL_MAX_RCPTS 1000

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

/* Whether the milter removes a header of that name: every X-Helpdesk-*
   on any mail (SPEC s.4) and each name the verdict lists. */
static bool header_dropped(const char *name, size_t nlen, const struct hd_verdict *v)
{
	static const char prefix[] = "X-Helpdesk-";

	if (nlen >= sizeof(prefix) - 1 && strncasecmp(name, prefix, sizeof(prefix) - 1) == 0)
		return true;
	for (size_t i = 0; i < v->headers_removed.n; i++)
		if (strlen(v->headers_removed.v[i]) == nlen &&
		    strncasecmp(name, v->headers_removed.v[i], nlen) == 0)
			return true;
	return false;
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
				/* the name ends before blanks ("X-Helpdesk-Authority : x") */
				size_t nlen = (size_t)(colon - p);

				while (nlen > 0 && (p[nlen - 1] == ' ' || p[nlen - 1] == '\t'))
					nlen--;
				skipping = header_dropped(p, nlen, v);
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
		"  -c, --config FILE  daemon configuration (policy, limits, trusted_networks; not its store)\n"
		"  --from ADDR        envelope sender\n"
		"  --rcpt ADDR        envelope recipient (repeatable)\n"
		"  --auth USER        SMTP AUTH identity\n"
		"  --client-ip IP     client address (trusted when in trusted_networks)\n"
		"  --at TIME          RFC 3339 receive time (default: now)\n"
		"  --store URI        record the decision in this store: PATH, sqlite:PATH or\n"
		"                     postgresql://... Without it scan writes nothing anywhere\n"
		"                     (an in-memory store; -c never selects the daemon's store)\n"
		"  --output verdict|message\n"
		"Prints the verdict as one JSON object (SPEC s.8). Exit 0 when a verdict was\n"
		"produced, 1 on a usage, policy or input error, 75 when the engine failed\n"
		"(the milter would apply on_failure).\n");
}

/* helpdeskctl scan */
int cmd_scan(int argc, char **argv)
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
		if ((cfg = ctl_load_config(config_path)) == NULL)
			return 1;
		lim = cfg->limits;
		if (policy_path == NULL)
			policy_path = cfg->policy;
	}
	if (policy_path == NULL) {
		fprintf(stderr, "helpdeskctl: scan needs --policy FILE or -c CONFIG\n");
		goto out;
	}
	if ((p = ctl_load_policy(policy_path, false)) == NULL)
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

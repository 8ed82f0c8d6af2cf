/*
 * ctl-expire - helpdeskctl expire: retention of the audit store. Removes
 * the records received before a date (--before, or now minus retention.keep
 * of -c CONFIG) through the store's hash-chained checkpoint, so audit
 * --verify still verifies. It must never remove a record any other way and
 * never create a store.
 */
#include <config.h>
#include "util.h"
#include "settings.h"
#include "store.h"
#include "ctl.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#define EXPIRE_USAGE \
	"usage: helpdeskctl expire [--before DATE] [--store URI | -c CONFIG]\n" \
	"Removes the audit records received before DATE (RFC 3339 or YYYY-MM-DD)\n" \
	"through a checkpoint record that says what was removed; with -c CONFIG the\n" \
	"store is the daemon's and DATE defaults to now minus its retention.keep.\n" \
	"Exit 0 (also when nothing was old enough), 64 on a usage error, 66 when the\n" \
	"store does not exist, 78 when -c gives no retention and no --before.\n"

/* helpdeskctl expire */
int cmd_expire(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "before", required_argument, NULL, 'b' }, { "store", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *uri = NULL, *config_path = NULL;
	struct hd_config *cfg = NULL;
	struct hd_store *s = NULL;
	struct hd_store_expiry x;
	time_t before = 0, now = time(NULL);
	char *err = NULL, at[32];
	bool missing = false;
	int c, rc = 1;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			if (!ctl_parse_when(optarg, &before))
				return EX_USAGE;
			break;
		case 's': uri = optarg; break;
		case 'c': config_path = optarg; break;
		case 'h': fputs(EXPIRE_USAGE, stdout); return 0;
		default: fputs(EXPIRE_USAGE, stderr); return EX_USAGE;
		}
	}
	if (optind != argc || (uri == NULL) == (config_path == NULL)) {
		fputs(EXPIRE_USAGE, stderr);
		return EX_USAGE;
	}
	if (config_path != NULL) {
		if ((cfg = ctl_load_config(config_path)) == NULL)
			return EX_CONFIG;
		uri = cfg->store;
		if (before == 0 && cfg->retention_keep_days == 0) {
			fprintf(stderr, "helpdeskctl: %s has no retention: { keep: ... } and no --before "
				"was given: nothing to do (set retention.keep, e.g. 400d)\n", config_path);
			hd_config_deinit(&cfg);
			return EX_CONFIG;
		}
		if (before == 0)
			before = now - (time_t)cfg->retention_keep_days * 86400;
	}
	if (before == 0) {
		fprintf(stderr, "helpdeskctl: expire needs --before DATE (or -c CONFIG with retention.keep)\n");
		hd_config_deinit(&cfg);
		return EX_USAGE;
	}
	if (before > now) {
		fprintf(stderr, "helpdeskctl: --before is in the future: that would remove records "
			"still being written (give a past date)\n");
		hd_config_deinit(&cfg);
		return EX_USAGE;
	}
	if ((s = hd_store_open_existing(uri, &missing, &err)) == NULL) {
		fprintf(stderr, "helpdeskctl: %s\n", err);
		rc = missing ? EX_NOINPUT : 1;
		goto out;
	}
	time_format_utc(before, at);
	if (hd_store_expire(s, before, now, &x, &err) != HD_STORE_OK) {
		fprintf(stderr, "helpdeskctl: expire: %s\n", err);
		goto out;
	}
	if (x.removed == 0)
		printf("nothing to remove: no record before %s\n", at);
	else
		printf("removed %lld records (%lld..%lld) received before %s; checkpoint record %lld, "
		       "chain hash at the cut %s\n", x.removed, x.first_seq, x.last_seq, at,
		       x.checkpoint_seq, x.cut_hash);
	rc = 0;
out:
	free(err);
	hd_store_deinit(&s);
	hd_config_deinit(&cfg);
	return rc;
}

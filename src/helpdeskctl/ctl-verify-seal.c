/*
 * ctl-verify-seal - `helpdeskctl verify-seal [-c CONFIG] [--key-file [ID=]FILE
 * ...] MESSAGE.eml|-`: proves (or disproves) that the X-Helpdesk-* stamps of a
 * delivered message came from the milter unaltered. Keys come from
 * --key-file (repeatable: every key id still in use after a rotation) and
 * from the config's seal.key_file and seal.previous. Exit 0 good, 1 bad or
 * absent, 64 usage, 66 unreadable message, 78 key problem (sysexits).
 *
 * Must never: report good for a message whose X-Helpdesk-* headers differ
 * from the sealed list, or print a key.
 */
#include <config.h>
#include "ctl-verify-seal.h"
#include "diag.h"
#include "seal.h"
#include "settings.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VERIFY_MAX_KEYS 32		/* key files on one command line plus config */
#define VERIFY_MAX_HEADER_BYTES (4u * 1024 * 1024) /* header block read from the message */

/* Print usage. */
static void usage(FILE *f)
{
	fprintf(f,
		"usage: helpdeskctl verify-seal [options] MESSAGE.eml|-\n"
		"  --key-file [ID=]FILE  a seal key; ID defaults to FILE's name without .key\n"
		"                        (repeat for every key id still in use)\n"
		"  -c, --config FILE     also take seal.key_file and seal.previous from the config\n"
		"exit: 0 seal good, 1 seal bad or absent, 64 usage, 66 no message, 78 key problem\n");
}

/* Read the header block (and a little more) of path or stdin. */
static char *read_headers(const char *path, size_t *len_r)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	struct strbuf sb;
	char buf[8192];
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "helpdeskctl: cannot open %s: %s\n", path, strerror(errno));
		return NULL;
	}
	sb_init(&sb);
	while (sb.len < VERIFY_MAX_HEADER_BYTES && (n = fread(buf, 1, sizeof(buf), f)) > 0) {
		sb_append(&sb, buf, n);
		if (strstr(sb.s, "\n\n") || strstr(sb.s, "\r\n\r\n"))
			break;
	}
	if (f != stdin)
		fclose(f);
	*len_r = sb.len;
	return sb_steal(&sb);
}

/* Load "[ID=]FILE" into keys; false after a message. */
static bool add_key(struct hd_seal_key **keys, size_t *n, const char *id, const char *file)
{
	char *err = NULL, *own = NULL;

	if (*n >= VERIFY_MAX_KEYS) {
		fprintf(stderr, "helpdeskctl: more than %d seal keys\n", VERIFY_MAX_KEYS);
		return false;
	}
	if (id == NULL) {
		const char *eq = strchr(file, '=');
		if (eq != NULL) {
			own = xstrndup(file, (size_t)(eq - file));
			file = eq + 1;
		} else {
			const char *base = strrchr(file, '/');
			size_t bl;
			base = base ? base + 1 : file;
			bl = strlen(base);
			own = bl > 4 && strcmp(base + bl - 4, ".key") == 0 ? xstrndup(base, bl - 4) : xstrdup(base);
		}
		id = own;
	}
	keys[*n] = hd_seal_key_load(id, file, &err);
	free(own);
	if (keys[*n] == NULL) {
		fprintf(stderr, "helpdeskctl: %s\n", err);
		free(err);
		return false;
	}
	(*n)++;
	return true;
}

/* The verify-seal command. */
int hd_ctl_verify_seal(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key-file", required_argument, NULL, 'k' }, { "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	struct hd_seal_key *keys[VERIFY_MAX_KEYS];
	struct hd_config *cfg = NULL;
	size_t nkeys = 0, len = 0;
	char *msg = NULL, *detail = NULL, *kid = NULL;
	int c, rc = 78;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:k:h", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			if (!add_key(keys, &nkeys, NULL, optarg))
				goto out;
			break;
		case 'c': {
			struct hd_diag d;
			hd_diag_init(&d);
			cfg = hd_config_load(optarg, &d);
			for (size_t i = 0; i < d.lines.n; i++)
				fprintf(stderr, "%s\n", d.lines.v[i]);
			hd_diag_free(&d);
			if (cfg == NULL)
				goto out;
			if (cfg->seal_key_file && !add_key(keys, &nkeys, cfg->seal_key_id, cfg->seal_key_file))
				goto out;
			for (size_t i = 0; i + 1 < cfg->seal_previous.n; i += 2)
				if (!add_key(keys, &nkeys, cfg->seal_previous.v[i], cfg->seal_previous.v[i + 1]))
					goto out;
			break;
		}
		case 'h':
			usage(stdout);
			rc = 0;
			goto out;
		default:
			usage(stderr);
			rc = 64;
			goto out;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		rc = 64;
		goto out;
	}
	if (nkeys == 0) {
		fprintf(stderr, "helpdeskctl: verify-seal needs a key: --key-file ID=FILE or -c CONFIG "
			"with seal.key_file\n");
		goto out;
	}
	if ((msg = read_headers(argv[optind], &len)) == NULL) {
		rc = 66;
		goto out;
	}
	{
		enum hd_seal_result r = hd_seal_verify(keys, nkeys, msg, len, &kid, &detail);
		printf("%s: %s\n", hd_seal_result_name(r), detail ? detail : "");
		rc = r == HD_SEAL_OK ? 0 : 1;
	}
out:
	for (size_t i = 0; i < nkeys; i++)
		hd_seal_key_free(&keys[i]);
	hd_config_deinit(&cfg);
	free(msg);
	free(detail);
	free(kid);
	return rc;
}

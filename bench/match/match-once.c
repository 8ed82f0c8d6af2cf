/*
 * match-once - one hd_norm_text() or one hd_tone_scan() over a whole file,
 * for instruction counts under callgrind (bench/match/instr): the load of
 * the policy is outside the function callgrind collects. Not part of
 * `make check`.
 *
 * Must never: do anything but the one call it is asked for on the file as read.
 */
#include <config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "diag.h"
#include "norm.h"
#include "policy.h"
#include "tone.h"
#include "util.h"

/* match-once norm FILE | match-once tone FILE POLICY */
int main(int argc, char **argv)
{
	struct strbuf sb;
	char buf[65536];
	size_t got;
	FILE *f;

	if (argc < 3 || (strcmp(argv[1], "tone") == 0 && argc < 4)) {
		fprintf(stderr, "usage: match-once norm FILE | match-once tone FILE POLICY\n");
		return 2;
	}
	if ((f = fopen(argv[2], "rb")) == NULL) {
		perror(argv[2]);
		return 1;
	}
	sb_init(&sb);
	while ((got = fread(buf, 1, sizeof(buf), f)) > 0)
		sb_append(&sb, buf, got);
	fclose(f);
	if (strcmp(argv[1], "norm") == 0) {
		struct hd_normtext *nt = hd_norm_text(sb.s, sb.len);

		printf("%zu bytes -> %zu normalised\n", sb.len, nt->len);
		hd_normtext_deinit(&nt);
	} else {
		struct hd_diag d;
		struct hd_policy *p;
		struct hd_tone_hit *hits;
		size_t n;

		hd_diag_init(&d);
		if ((p = hd_policy_load(argv[3], &d)) == NULL) {
			fprintf(stderr, "%s: %s\n", argv[3], d.lines.n ? d.lines.v[0] : "load failed");
			return 1;
		}
		n = hd_tone_scan(p, sb.s, sb.len, 100, &hits);
		printf("%zu bytes, %zu hits\n", sb.len, n);
		hd_tone_hits_free(hits, n);
		hd_policy_unref(&p);
		hd_diag_free(&d);
	}
	sb_free(&sb);
	return 0;
}

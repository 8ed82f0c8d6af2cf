/*
 * fuzz-match - Unicode normalisation and the Aho-Corasick matcher
 * (src/lib-match). Even first byte: the input is text, scanned with a fixed
 * set of phrases; odd: the lines of the first 512 bytes are the patterns and
 * the rest is the text. Checks: the offset map is monotonic and in range,
 * the text is valid UTF-8, every match is inside the text, on word
 * boundaries, in order of end offset, and quotes an original range.
 */
#include <config.h>
#include "fuzz.h"
#include "norm.h"
#include "matcher.h"
#include <glib.h>

/* The fixed phrases: words the tone and priority rules use. */
static const char *const fuzz_phrases[] = {
	"calm down", "as i said", "outage", "site is down", "refund", "lawyer", "asap",
	"ﬁle", "straße", "naïve", "ｆｕｌｌ", "dаta loss", "no", "it's", "urgent", NULL
};
static struct hd_matcher *fuzz_fixed;

/* Once per process. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_fixed = hd_matcher_new();
	for (int i = 0; fuzz_phrases[i] != NULL; i++)
		hd_matcher_add(fuzz_fixed, fuzz_phrases[i], i);
	hd_matcher_build(fuzz_fixed);
	return 0;
}

struct scan_ctx {
	const struct hd_normtext *nt;
	const char *orig;
	size_t orig_len, last_end, count;
};

/* Check one match. */
static bool fuzz_match_cb(const struct hd_match *m, void *ctx)
{
	struct scan_ctx *c = ctx;
	const struct hd_normtext *nt = c->nt;

	props_require("fuzz-match", m->start >= m->end || m->end > nt->len ? "match outside the text" : NULL);
	props_require("fuzz-match", m->end < c->last_end ? "matches not in end order" : NULL);
	props_require("fuzz-match", hd_norm_inside_word(nt->text, nt->len, m->start) ||
		      hd_norm_inside_word(nt->text, nt->len, m->end) ? "match edge inside a word" : NULL);
	size_t oe = hd_norm_orig_end(nt, c->orig, m->end);
	props_require("fuzz-match", oe > c->orig_len || oe < nt->orig[m->start] ?
		      "match quotes outside the original" : NULL);
	c->last_end = m->end;
	return ++c->count < 10000;
}

/* One input. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hd_matcher *m = fuzz_fixed, *own = NULL;
	const char *text = (const char *)data;
	size_t len = size;
	double t0 = props_cpu_seconds();

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		size_t plen = size - 1 < 512 ? size - 1 : 512;
		char *pat = fuzz_cstr(data + 1, plen), *save = NULL;
		own = hd_matcher_new();
		hd_matcher_set_dense_bytes(own, (data[0] & 2) ? 0 : 4096);
		int id = 0;
		for (char *tok = strtok_r(pat, "\n", &save); tok != NULL; tok = strtok_r(NULL, "\n", &save))
			hd_matcher_add(own, tok, id++);
		hd_matcher_build(own);
		props_require("fuzz-match", hd_matcher_count(own) > (size_t)id ? "more patterns than added" : NULL);
		free(pat);
		m = own;
		text += 1 + plen;
		len -= 1 + plen;
	} else {
		text++;
		len--;
	}
	struct hd_normtext *nt = hd_norm_text(text, len);
	props_require("fuzz-match", nt == NULL || nt->text == NULL ? "no normalised text" : NULL);
	props_require("fuzz-match", nt->orig[nt->len] != len ? "orig[len] is not the input length" : NULL);
	props_require("fuzz-match", !g_utf8_validate(nt->text, (gssize)nt->len, NULL) ?
		      "normalised text is not UTF-8" : NULL);
	for (size_t i = 0; i < nt->len; i++)
		props_require("fuzz-match", nt->orig[i] >= len || (i > 0 && nt->orig[i] < nt->orig[i - 1]) ?
			      "offset map out of range or not monotonic" : NULL);
	struct scan_ctx c = { nt, text, len, 0, 0 };
	hd_matcher_scan(m, nt, fuzz_match_cb, &c);
	hd_normtext_deinit(&nt);
	hd_matcher_deinit(&own);
	props_require("fuzz-match", props_time_within(props_cpu_seconds() - t0, size));
	return 0;
}

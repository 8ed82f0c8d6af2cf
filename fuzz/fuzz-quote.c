/*
 * fuzz-quote - quote splitting (src/lib-mail/quote.c). Bytes before the first
 * NUL are the thread's earlier customer text (fingerprinted), the rest the
 * reply. Checks: regions cover the reply in order without gaps, fingerprints
 * are sorted, unique and bounded, the agent's text is no longer than the
 * reply and its certain part no longer than it.
 */
#include <config.h>
#include "fuzz.h"
#include "quote.h"

/* One input. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *nul = memchr(s, '\0', size);
	const char *text = nul != NULL ? nul + 1 : s;
	size_t tlen = size - (size_t)(text - s), n, off = 0;
	struct hd_quote_thread thread = { 0 };
	struct hd_quote_region *reg = NULL;
	struct hd_quote_split split;
	uint32_t *fp = NULL;
	enum hd_quote_result res;
	double t0 = props_cpu_seconds();

	if (nul != NULL) {
		thread.n = hd_quote_fingerprint(s, (size_t)(nul - s), &fp);
		thread.hashes = fp;
		props_require("fuzz-quote", thread.n > HD_QUOTE_FP_MAX ? "too many fingerprints" : NULL);
		for (size_t i = 1; i < thread.n; i++)
			props_require("fuzz-quote", fp[i - 1] >= fp[i] ? "fingerprints not sorted and unique" : NULL);
	}
	n = hd_quote_regions(text, tlen, nul != NULL ? &thread : NULL, &reg);
	for (size_t i = 0; i < n; i++) {
		props_require("fuzz-quote", reg[i].off != off ? "regions leave a gap or overlap" : NULL);
		off += reg[i].len;
	}
	props_require("fuzz-quote", off != tlen ? "regions do not cover the text" : NULL);
	free(reg);

	hd_quote_split(text, tlen, nul != NULL ? &thread : NULL, &split);
	props_require("fuzz-quote", split.agent == NULL || split.certain == NULL ? "no split text" : NULL);
	props_require("fuzz-quote", strlen(split.agent) > tlen ? "agent text longer than the reply" : NULL);
	props_require("fuzz-quote", strlen(split.certain) > strlen(split.agent) ?
		      "certain text longer than the agent text" : NULL);
	hd_quote_split_free(&split);

	char *own = hd_quote_strip(text, tlen, &res);
	props_require("fuzz-quote", own == NULL ? "no stripped text" : NULL);
	free(own);
	free(fp);
	props_require("fuzz-quote", props_time_within(props_cpu_seconds() - t0, size));
	return 0;
}

/*
 * fuzz-amount - the amount reader (src/lib-policy/amount*.c): the scanner on
 * the whole input as an agent's text, the declared-amount parser on its
 * first line. Checks: at most HD_AMOUNT_MAX amounts, each finite and not
 * negative, with its text, a line within the text, an ISO code or a percent.
 */
#include <config.h>
#include "fuzz.h"
#include "amount.h"
#include <math.h>

/* Check one amount found in text of nlines lines. */
static void fuzz_amount_check(const struct hd_amount *a, int nlines)
{
	props_require("fuzz-amount", !isfinite(a->value) || a->value < 0 ? "amount not finite or negative" : NULL);
	props_require("fuzz-amount", a->percent ? a->currency[0] != '\0' ? "percent with a currency" : NULL :
		      strlen(a->currency) != 3 ? "currency is not an ISO code" : NULL);
	props_require("fuzz-amount", a->line < 1 || a->line > nlines ? "line outside the text" : NULL);
}

/* One input. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size), *nl;
	struct hd_amount *a = NULL, one;
	double t0 = props_cpu_seconds();
	int nlines = 1;
	size_t n;

	for (const char *p = text; *p; p++)
		nlines += *p == '\n';
	n = hd_amount_scan(text, (size & 1) ? "EUR" : "USD", &a);
	props_require("fuzz-amount", n > HD_AMOUNT_MAX ? "more amounts than HD_AMOUNT_MAX" : NULL);
	for (size_t i = 0; i < n; i++) {
		props_require("fuzz-amount", a[i].text == NULL ? "amount without its text" : NULL);
		fuzz_amount_check(&a[i], nlines);
	}
	hd_amounts_free(a, n);
	if ((nl = strchr(text, '\n')) != NULL)
		*nl = '\0';
	memset(&one, 0, sizeof(one));
	if (hd_amount_parse(text, "USD", &one)) {
		one.line = 1;
		fuzz_amount_check(&one, 1);
		free(one.text);		/* on false the parser has freed it */
	}
	free(text);
	props_require("fuzz-amount", props_time_within(props_cpu_seconds() - t0, size));
	return 0;
}

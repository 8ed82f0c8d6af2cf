/*
 * fuzz-html - HTML to text (src/lib-mail/html.c) on any bytes. First byte:
 * flags (bit 0 drops quotes) and the output cap. Checks: the output exists,
 * is within the cap, and took time linear in the input.
 */
#include <config.h>
#include "fuzz.h"
#include "html.h"

/* One input. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bool quote = false;
	int flags;
	size_t max_out;
	double t0;
	char *text;

	if (size < 1)
		return 0;
	flags = (data[0] & 1) ? HD_HTML_DROP_QUOTES : 0;
	max_out = (data[0] & 2) ? 64 : (size_t)1 << 20;
	t0 = props_cpu_seconds();
	text = hd_html_to_text((const char *)data + 1, size - 1, flags, max_out, &quote);
	props_require("fuzz-html", text == NULL ? "no text" : NULL);
	props_require("fuzz-html", strlen(text) > max_out ? "text over max_out" : NULL);
	props_require("fuzz-html", props_time_within(props_cpu_seconds() - t0, size));
	free(text);
	return 0;
}

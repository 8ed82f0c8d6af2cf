/*
 * bench-amounts - the amount scanner's speed on 1..8 MB of the worst input
 * seen (issue 17: "$1 $1 ..." in a reply, 27 s for 3.9 MB) and on ordinary
 * prose with amounts that grant nothing. Prints MB/s; the scan must stay
 * linear, so MB/s must not fall as the size grows.
 */
#include <config.h>
#include "amount.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Fill a buffer of mb megabytes by repeating unit. */
static char *bench_fill(size_t mb, const char *unit)
{
	size_t n = mb << 20, ul = strlen(unit);
	char *s = xmalloc(n + 1);

	for (size_t i = 0; i < n; i += ul)
		memcpy(s + i, unit, i + ul <= n ? ul : n - i);
	s[n] = '\0';
	return s;
}

/* Seconds of CPU for one scan of s. */
static double bench_scan(const char *s, size_t *found_r)
{
	struct hd_amount *a;
	clock_t t0 = clock();

	*found_r = hd_amount_scan(s, "USD", &a);
	hd_amounts_free(a, *found_r);
	return (double)(clock() - t0) / CLOCKS_PER_SEC;
}

int main(void)
{
	static const struct { const char *name, *unit; } inputs[] = {
		{ "dollar-ones", "$1 " },
		{ "prose", "You paid \xe2\x82\xac" "90,00 for order 12345 on 3.4.2025; refunds over $100 need approval. " },
	};

	printf("%-12s %4s %9s %8s\n", "input", "MB", "seconds", "MB/s");
	for (size_t k = 0; k < sizeof(inputs) / sizeof(inputs[0]); k++)
		for (size_t mb = 1; mb <= 8; mb *= 2) {
			char *s = bench_fill(mb, inputs[k].unit);
			size_t found;
			double t = bench_scan(s, &found);
			printf("%-12s %4zu %9.3f %8.1f\n", inputs[k].name, mb, t, t > 0 ? (double)mb / t : 0.0);
			free(s);
		}
	return 0;
}

/*
 * ticket - derives stable identifiers from seeds and recognises ticket tags
 * in subjects. Ids carry no personal data: they are hashes. Never uses a
 * random source, so a retried message maps to the same ids.
 */
#include <config.h>
#include "ticket.h"
#include "util.h"

#include <ctype.h>
#include <string.h>

static const char b32[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"; /* no I, O, 0, 1 */

/* prefix + base32 of the seed's SHA-256. */
char *hd_id_from_seed(const char *prefix, const char *seed)
{
	char hex[65], out[HD_ID_CHARS + 1];
	unsigned long long bits = 0;
	int nbits = 0;
	size_t o = 0;

	sha256_hex(seed, strlen(seed), hex);
	for (size_t i = 0; hex[i] && o < HD_ID_CHARS; i++) {
		int v = isdigit((unsigned char)hex[i]) ? hex[i] - '0' : hex[i] - 'a' + 10;
		bits = (bits << 4) | (unsigned)v;
		nbits += 4;
		while (nbits >= 5 && o < HD_ID_CHARS) {
			out[o++] = b32[(bits >> (nbits - 5)) & 31];
			nbits -= 5;
		}
	}
	out[o] = '\0';
	return xasprintf("%s%s", prefix, out);
}

/* Find HD-XXXXXXXXXX as a whole token in the subject. */
char *hd_ticket_from_subject(const char *subject)
{
	size_t plen = strlen(HD_TICKET_PREFIX);

	if (subject == NULL)
		return NULL;
	for (const char *p = subject; *p; p++) {
		if (strncmp(p, HD_TICKET_PREFIX, plen) != 0)
			continue;
		if (p > subject && isalnum((unsigned char)p[-1]))
			continue;
		const char *q = p + plen;
		size_t n = 0;
		while (q[n] && strchr(b32, q[n]) != NULL)
			n++;
		if (n == HD_ID_CHARS && !isalnum((unsigned char)q[n]))
			return xstrndup(p, plen + n);
	}
	return NULL;
}

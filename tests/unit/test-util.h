#ifndef HD_TEST_UTIL_H
#define HD_TEST_UTIL_H
/* test-util - small helpers the unit tests share: deterministic generators
   (the same inputs on every run, so a failure is repeatable) and a printable
   form of a byte string for failure messages. Test code only. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* xorshift32: the next value of *state (never 0 when seeded non-zero). */
static inline uint32_t hd_test_xorshift32(uint32_t *state)
{
	uint32_t x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *state = x;
}

/* xorshift64*: advance *state and return the scrambled 64-bit value. */
static inline uint64_t hd_test_xorshift64s(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 0x2545f4914f6cdd1dULL;
}

/* s[0..len) with control, backslash and non-ASCII bytes as \xNN, for a
   failure message; a static buffer, cut at HD_TEST_SHOW_MAX bytes. */
#define HD_TEST_SHOW_MAX 4096
static inline const char *hd_test_show(const char *s, size_t len)
{
	static char buf[HD_TEST_SHOW_MAX];
	size_t o = 0;

	for (size_t i = 0; i < len && o + 5 < sizeof(buf); i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f && c != '\\')
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "\\x%02x", c);
	}
	buf[o] = '\0';
	return buf;
}

#endif

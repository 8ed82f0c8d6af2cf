#ifndef HD_FUZZ_H
#define HD_FUZZ_H
/*
 * fuzz - what every harness shares: the libFuzzer entry points and a
 * NUL-terminated copy of the input. Harnesses are fuzz/fuzz-<name>.c; each
 * builds with libFuzzer (--enable-fuzzing) or with fuzz/driver.c.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "util.h"
#include "props.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The input as a C string (bytes after an embedded NUL are kept in memory
   but not seen by string functions); free() it. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = xmalloc(size + 1);

	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif

#ifndef HD_DIAG_H
#define HD_DIAG_H
/*
 * diag - a list of "file:line:column: message" diagnostics. Loaders report
 * every error they find here, not just the first.
 */
#include <stddef.h>
#include "util.h"

struct hd_diag {
	struct strvec lines;	/* formatted "file:line:column: message" */
};

static inline void hd_diag_init(struct hd_diag *d) { sv_init(&d->lines); }
static inline void hd_diag_free(struct hd_diag *d) { sv_free(&d->lines); }
static inline size_t hd_diag_count(const struct hd_diag *d) { return d->lines.n; }
/* Add "file:line:column: message"; line/column are 1-based. */
void hd_diag_add(struct hd_diag *d, const char *file, int line, int column,
		 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif

/*
 * diag - collects loader diagnostics in the file:line:column form editors
 * and compilers use, so an administrator can jump straight to the mistake.
 */
#include <config.h>
#include "diag.h"

#include <stdio.h>

/* Format one diagnostic and append it. */
void hd_diag_add(struct hd_diag *d, const char *file, int line, int column,
		 const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sv_push_owned(&d->lines, xasprintf("%s:%d:%d: %s", file, line, column, msg));
}

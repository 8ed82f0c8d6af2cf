/*
 * ctl-escape - the escapers every helpdeskctl output shares for values that
 * came from the store (subjects, addresses, rule names a sender chose): one
 * for a terminal table, one for a CSV cell. It must never pass a control
 * character to a terminal nor let a cell start a spreadsheet formula.
 */
#include <config.h>
#include "ctl.h"

#include <stdlib.h>
#include <string.h>

/* A store value for a terminal: control characters (escape sequences a
   hostile value could carry) become '?'; cut at CTL_TTY_MAX - 1 bytes. */
const char *ctl_tty(const char *s, char buf[CTL_TTY_MAX])
{
	size_t i;

	for (i = 0; s && s[i] && i < CTL_TTY_MAX - 1; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	buf[i] = '\0';
	return buf;
}

/* Whether the whole of s is one number (a count or "-5" is data, not a formula). */
static bool csv_is_number(const char *s)
{
	char *end;

	if (*s == '\0')
		return false;
	(void)strtod(s, &end);
	return *end == '\0' && strpbrk(s, "nNiIxX") == NULL;	/* not nan, inf, 0x */
}

/* One CSV cell (RFC 4180): quoted when it holds , " CR or LF; a cell that
   starts with = + - @ TAB or CR and is not a plain number gets a leading
   single quote (OWASP CSV injection), so a spreadsheet shows it as text. */
void ctl_csv_field(FILE *f, const char *s)
{
	bool formula, quote;

	if (s == NULL)
		s = "";
	formula = s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL && !csv_is_number(s);
	quote = formula || strpbrk(s, ",\"\r\n") != NULL || (s[0] == '-' && s[1] != '\0');
	if (!quote) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	if (formula)
		fputc('\'', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

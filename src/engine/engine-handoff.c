/*
 * engine-handoff - a forward to a hand-off contact must carry every line of
 * the policy's checklist; missing labels reject the forward. Must never
 * look at messages to other recipients.
 */
#include <config.h>
#include "engine-int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Hand-off: a forward to an escalation contact must carry the checklist. */
void hd_engine_decide_handoff(struct run *r)
{
	bool to_handoff = false;
	struct strbuf missing;
	char *text;

	for (size_t i = 0; i < r->in->nrcpts && !to_handoff; i++) {
		char *a = addr_normalise(r->in->rcpts[i]);
		if (a && sv_contains_ci(&r->p->handoff_to, a))
			to_handoff = true;
		free(a);
	}
	if (!to_handoff || r->p->handoff_require.n == 0)
		return;
	text = hd_message_text(r->msg);
	sb_init(&missing);
	for (size_t i = 0; i < r->p->handoff_require.n; i++) {
		const char *label = r->p->handoff_require.v[i];
		bool found = false;
		for (const char *line = text; line && *line && !found;) {
			const char *l = line;
			while (*l == ' ' || *l == '\t' || *l == '>')
				l++;
			if (strncasecmp(l, label, strlen(label)) == 0)
				found = true;
			line = strchr(line, '\n');
			if (line)
				line++;
		}
		if (!found) {
			if (missing.len)
				sb_puts(&missing, ", ");
			sb_puts(&missing, label);
		}
	}
	if (missing.len) {
		struct hd_finding *f = hd_engine_finding_add(r, "handoff", "checklist", missing.s, HD_ACTION_REJECT);
		f->suggest = xasprintf("add these lines to the hand-off: %s", missing.s);
		hd_engine_rec_add(r, "handoff", "checklist", "reject", missing.s, NULL);
	}
	sb_free(&missing);
	free(text);
}

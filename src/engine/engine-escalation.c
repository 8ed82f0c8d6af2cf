/*
 * engine-escalation - for each escalation level, the triggers whose
 * conditions match an inbound message; a fired level adds its contact as a
 * recipient (the backup outside the primary's hours) and a header. Must
 * never add a recipient twice nor one the message already has.
 */
#include <config.h>
#include "engine-int.h"
#include "calendar.h"

#include <stdlib.h>
#include <string.h>

/* Escalation: add each fired level's contact (backup outside primary hours). */
void hd_engine_decide_escalation(struct run *r)
{
	for (size_t li = 0; li < r->p->nlevels; li++) {
		const struct hd_esc_level *lvl = &r->p->levels[li];
		struct strbuf triggers, why;
		sb_init(&triggers);
		sb_init(&why);
		for (size_t i = 0; i < r->p->ntriggers; i++) {
			const struct hd_trigger *t = &r->p->triggers[i];
			if (t->notify != lvl)
				continue;
			sb_truncate(&why, 0);
			if (t->when && hd_engine_cond_eval(r, t->when, &why)) {
				if (triggers.len)
					sb_putc(&triggers, ',');
				sb_puts(&triggers, t->name);
			}
		}
		if (triggers.len) {
			bool backup = lvl->backup && lvl->primary_hours &&
				      !hd_calendar_is_open(lvl->primary_hours, r->in->received);
			const char *contact = backup ? lvl->backup : lvl->primary;
			char *h = xasprintf("%s; contact=%s; trigger=%s; backup=%s", lvl->name, contact,
					    triggers.s, backup ? "yes" : "no");
			bool already = false;
			for (size_t k = 0; k < r->in->nrcpts; k++) {
				char *a = addr_normalise(r->in->rcpts[k]);
				if (a && strcmp(a, contact) == 0)
					already = true;
				free(a);
			}
			if (!already && !sv_contains_ci(&r->v->recipients_added, contact))
				sv_push(&r->v->recipients_added, contact);
			hd_verdict_add_header(r->v, "X-Helpdesk-Escalation", h);
			hd_engine_rec_add(r, "escalation", triggers.s, "notify", contact,
				xasprintf("{\"level\":\"%s\",\"backup\":%s}", lvl->name, backup ? "true" : "false"));
			free(h);
		}
		sb_free(&triggers);
		sb_free(&why);
	}
}

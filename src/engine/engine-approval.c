/*
 * engine-approval - "approve EXC-..." command lines in an approver's own
 * words, in a mail sent only to the approvals mailbox: the whole line is
 * the command, never a phrase that merely contains it. Each id is checked against the
 * store and the approver's role; any refusal refuses the whole mail (all or
 * nothing). Approvers are identified by SMTP AUTH only (SPEC s.6). Must
 * never let an agent approve their own exception or one above their limit.
 */
#include <config.h>
#include "engine-int.h"
#include "amount.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HD_APPROVE_IDS_MAX 32		/* exception ids approved by one mail */

/* Skip blanks. */
static const char *skip_blanks(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
		p++;
	return p;
}

/* The ids of one line when the whole line is an approval command:
   "approve EXC-1" or "approve: EXC-1, EXC-2 and EXC-3" (any case of the
   verb, a final '.' allowed). Anything else on the line ("I do NOT approve
   EXC-1", "disapprove EXC-1", "approve EXC-1 later") approves nothing. */
static void approve_line_ids(const char *line, const char *end, struct strvec *ids)
{
	struct strvec found;
	const char *p = skip_blanks(line, end);

	if ((size_t)(end - p) < 8 || strncasecmp(p, "approve", 7) != 0 ||
	    (p[7] != ' ' && p[7] != '\t' && p[7] != ':'))
		return;
	sv_init(&found);
	p += 7;
	for (;;) {
		size_t n = 4;

		p = skip_blanks(p, end);
		if (p < end && *p == (found.n == 0 ? ':' : ','))
			p = skip_blanks(p + 1, end);
		if (found.n > 0 && (size_t)(end - p) > 4 && strncasecmp(p, "and", 3) == 0 &&
		    (p[3] == ' ' || p[3] == '\t'))
			p = skip_blanks(p + 3, end);
		if ((size_t)(end - p) < 5 || strncmp(p, "EXC-", 4) != 0)
			break;
		while (p + n < end && isalnum((unsigned char)p[n]))
			n++;
		if (n == 4 || (p + n < end && !strchr(" \t\r,.", p[n])))
			break;
		sv_push_owned(&found, xstrndup(p, n));
		p += n;
	}
	if (p < end && *p == '.')
		p = skip_blanks(p + 1, end);
	if (p == end && found.n > 0)
		for (size_t i = 0; i < found.n && ids->n < HD_APPROVE_IDS_MAX; i++)
			if (!sv_contains_ci(ids, found.v[i]))
				sv_push(ids, found.v[i]);
	sv_free(&found);
}

/* Approvals: "approve EXC-..." lines in an approver's mail to approvals_mailbox. */
int hd_engine_decide_approvals(struct run *r)
{
	struct strvec ids, refusals;
	const struct hd_role *role = r->agent->role;

	sv_init(&ids);
	sv_init(&refusals);
	for (size_t pi = 0; pi < r->msg->nparts; pi++) {
		const char *t = r->msg->parts[pi].agent_text;

		for (const char *line = t; line != NULL && *line != '\0';) {
			const char *nl = strchr(line, '\n');
			const char *end = nl != NULL ? nl : line + strlen(line);

			approve_line_ids(line, end, &ids);
			line = nl != NULL ? nl + 1 : NULL;
		}
	}
	if (ids.n == 0)
		sv_push(&refusals, "no \"approve EXC-...\" line found in your own words");
	/* Approvers are identified by SMTP AUTH only (SPEC s.6), never by a
	   trusted client's envelope sender. */
	if (r->in->auth_user == NULL || r->in->auth_user[0] == '\0') {
		sv_push(&refusals, "approvals need SMTP AUTH: log in to send them");
		sv_free(&ids);
		sv_init(&ids);
	}
	for (size_t i = 0; i < ids.n; i++) {
		struct hd_exception x;
		char *err = NULL;
		int rc = r->e->store ? hd_store_exception_get(r->e->store, ids.v[i], &x, &err) : HD_STORE_NOT_FOUND;
		if (rc == HD_STORE_ERROR) {
			r->error = xasprintf("store: %s", err ? err : "exception read failed");
			free(err);
			sv_free(&ids);
			sv_free(&refusals);
			return -1;
		}
		if (rc == HD_STORE_NOT_FOUND) {
			sv_push_owned(&refusals, xasprintf("%s: no such exception", ids.v[i]));
			continue;
		}
		const struct hd_agent *req = hd_policy_agent(r->p, x.agent);
		enum hd_amount_kind kind = HD_AMOUNT_REFUND;
		for (int k = 0; k < HD_AMOUNT_KIND_COUNT; k++)
			if (x.kind && strcmp(x.kind, hd_amount_kind_name((enum hd_amount_kind)k)) == 0)
				kind = (enum hd_amount_kind)k;
		if (strcmp(x.status, "pending") != 0)
			sv_push_owned(&refusals, xasprintf("%s: already %s", ids.v[i], x.status));
		else if (strcmp(x.agent, r->agent->address) == 0)
			sv_push_owned(&refusals, xasprintf("%s: you cannot approve your own exception", ids.v[i]));
		else if (role == NULL || !role->can_approve)
			sv_push_owned(&refusals, xasprintf("%s: role %s may not approve exceptions", ids.v[i],
							   role ? role->name : "(none)"));
		else if (req && req->role && role->rank <= req->role->rank)
			sv_push_owned(&refusals, xasprintf("%s: role %s may not approve for role %s", ids.v[i],
							   role->name, req->role->name));
		else if (x.amount >= 0 && (!role->has_limit[kind] || role->limit[kind] + 1e-9 < x.amount))
			sv_push_owned(&refusals, xasprintf("%s: %s %.2f exceeds your own %s limit of %.2f",
							   ids.v[i], x.kind, x.amount, x.kind,
							   role->has_limit[kind] ? role->limit[kind] : 0.0));
		else {
			r->decisions = xrealloc(r->decisions, (r->ndecisions + 1) * sizeof(*r->decisions));
			r->decisions[r->ndecisions].id = xstrdup(ids.v[i]);
			r->decisions[r->ndecisions].approver = xstrdup(r->agent->address);
			/* the store chains the approval under the exception's ticket */
			r->decisions[r->ndecisions].detail =
				xasprintf("{\"requested_by\":\"%s\",\"policy\":\"%s\"}", x.agent,
					  x.policy ? x.policy : "");
			r->ndecisions++;
			struct hd_finding *f = hd_verdict_add_finding(r->v, "approval", x.policy, "approved");
			f->id = xstrdup(ids.v[i]);
			f->action = xstrdup("accept");
		}
		hd_exception_free(&x);
	}
	if (refusals.n > 0) {
		/* All or nothing: a mail with any refused approval approves none. */
		for (size_t i = 0; i < r->ndecisions; i++) {
			free(r->decisions[i].id);
			free(r->decisions[i].approver);
			free(r->decisions[i].detail);
		}
		r->ndecisions = 0;
		for (size_t i = 0; i < refusals.n; i++) {
			struct hd_finding *f = hd_engine_finding_add(r, "approval", "refused", refusals.v[i], HD_ACTION_REJECT);
			(void)f;
			hd_engine_rec_add(r, "approval", "refused", "reject", refusals.v[i], NULL);
		}
	}
	sv_free(&ids);
	sv_free(&refusals);
	return 0;
}

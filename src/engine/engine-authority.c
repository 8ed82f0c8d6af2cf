/*
 * engine-authority - the amounts an outbound reply promises and the
 * exceptions it declares (X-Helpdesk-Exception-Request header or
 * #exception lines), against the agent's role: within authority, granted
 * under an earlier approval, or rejected with a pending exception queued
 * for an approver. Must never grant more than the role's limit without an
 * approval the store holds for this very reply (its fingerprint).
 */
#include <config.h>
#include "engine-int.h"
#include "amount.h"
#include "ticket.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HD_EXC_REQUESTS_MAX 8		/* exception requests read from one reply */
#define HD_EXCEPTION_SENDS_MAX 1000	/* approved sends of one reply followed */

/* A declared exception (header or #exception line). */
struct exc_request {
	char *policy, *reason, *amount_text, *source;
	int tier;
	bool has_amount;
	struct hd_amount amount;
};

/* Parse "k=v; k2=\"v 2\"" or "k=v k2=v2" into a vector of k, v pairs. */
static void parse_kv(const char *s, struct strvec *kv)
{
	const char *p = s;

	while (*p) {
		while (*p == ' ' || *p == ';' || *p == '\t' || *p == ',')
			p++;
		const char *k = p;
		while (*p && *p != '=' && *p != ' ' && *p != ';')
			p++;
		if (*p != '=' || p == k) {
			while (*p && *p != ' ' && *p != ';')
				p++;
			continue;
		}
		char *key = xstrndup(k, (size_t)(p - k));
		p++;
		struct strbuf val;
		sb_init(&val);
		if (*p == '"') {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && p[1])
					p++;
				sb_putc(&val, *p);
			}
			if (*p == '"')
				p++;
		} else {
			while (*p && *p != ';' && *p != ' ' && *p != '\t')
				sb_putc(&val, *p++);
		}
		str_lower(key);
		sv_push_owned(kv, key);
		sv_push_owned(kv, sb_steal(&val));
		sb_free(&val);
	}
}

/* Value of key in a k/v vector, or NULL. */
static const char *kv_get(const struct strvec *kv, const char *key)
{
	for (size_t i = 0; i + 1 < kv->n; i += 2)
		if (strcmp(kv->v[i], key) == 0)
			return kv->v[i + 1];
	return NULL;
}

/* Push the arguments of each #exception line of text, once each. */
static void control_args_of(const char *text, struct strvec *out)
{
	for (const char *line = text; line && *line;) {
		const char *eol = strchr(line, '\n'), *args;
		size_t len = eol ? (size_t)(eol - line) : strlen(line), alen;
		const char *word = hd_engine_control_line(line, len, &args, &alen);
		if (word != NULL && strcmp(word, "exception") == 0) {
			char *src = xstrndup(args, alen);
			if (sv_contains_ci(out, src))
				free(src);
			else
				sv_push_owned(out, src);
		}
		line = eol ? eol + 1 : NULL;
	}
}

/* Collect exception requests from the header and #exception lines. */
static size_t collect_requests(struct run *r, struct exc_request *reqs, size_t max,
			       struct strvec *problems)
{
	size_t n = 0;
	struct strvec sources, quoted;

	sv_init(&sources);
	for (size_t i = 0; i < r->msg->nheaders; i++)
		if (strcasecmp(r->msg->headers[i].name, "X-Helpdesk-Exception-Request") == 0)
			sv_push(&sources, r->msg->headers[i].value);
	/* Every part and alternative: the agent's own words are read; a line
	   only in quoted history is removed before delivery as well (the same
	   rule, engine-exception-lines.c) but not read: it is tagged. A request
	   written in both alternatives is one request. */
	for (size_t pi = 0; pi < r->msg->nparts; pi++)
		control_args_of(hd_engine_own_text(r, pi), &sources);
	sv_init(&quoted);
	for (size_t pi = 0; pi < r->msg->nparts; pi++)
		control_args_of(r->msg->parts[pi].text, &quoted);
	for (size_t i = 0; i < quoted.n; i++)
		if (!sv_contains_ci(&sources, quoted.v[i])) {
			struct hd_finding *f = hd_engine_finding_add(r, "exception", "quoted-request",
				"an #exception line in quoted history was removed and not read", HD_ACTION_TAG);
			f->detail = xstrdup("in=quoted-history; not read");
			hd_engine_rec_add(r, "exception", "quoted-request", "tag", f->text, NULL);
		}
	sv_free(&quoted);
	for (size_t i = 0; i < sources.n && n < max; i++) {
		struct strvec kv;
		struct exc_request *q = &reqs[n];
		sv_init(&kv);
		parse_kv(sources.v[i], &kv);
		memset(q, 0, sizeof(*q));
		q->source = xstrdup(sources.v[i]);
		q->policy = xstrdup(kv_get(&kv, "policy"));
		q->reason = xstrdup(kv_get(&kv, "reason"));
		q->tier = kv_get(&kv, "tier") ? atoi(kv_get(&kv, "tier")) : 0;
		for (size_t k = 0; k < r->p->exc_require.n; k++)
			if (kv_get(&kv, r->p->exc_require.v[k]) == NULL || !*kv_get(&kv, r->p->exc_require.v[k]))
				sv_push_owned(problems, xasprintf("exception request lacks the required field '%s'",
								  r->p->exc_require.v[k]));
		if (kv_get(&kv, "amount")) {
			q->amount_text = xstrdup(kv_get(&kv, "amount"));
			if (hd_amount_parse(q->amount_text, r->p->currency, &q->amount))
				q->has_amount = true;
			else
				sv_push_owned(problems, xasprintf("exception amount '%s' is not an amount", q->amount_text));
		}
		if (q->policy && hd_policy_exc_policy(r->p, q->policy) == NULL)
			sv_push_owned(problems, xasprintf("unknown exception policy '%s'", q->policy));
		if (q->tier != 0 && (q->tier < 1 || q->tier > 3))
			sv_push_owned(problems, xasprintf("exception tier %d is not 1, 2 or 3", q->tier));
		sv_free(&kv);
		n++;
	}
	sv_free(&sources);
	return n;
}

/* Free an exception request's strings. */
static void request_free(struct exc_request *q)
{
	free(q->policy);
	free(q->reason);
	free(q->amount_text);
	free(q->source);
	free(q->amount.text);
}

/* The lowest-ranked role allowed to approve value of kind, or NULL. */
static const struct hd_role *approver_role(const struct hd_policy *p, enum hd_amount_kind kind,
					   double value, int above_rank)
{
	for (size_t i = 0; i < p->nroles; i++) {
		const struct hd_role *ro = &p->roles[i];
		if (ro->rank <= above_rank || !ro->can_approve)
			continue;
		if (value < 0 || (ro->has_limit[kind] && ro->limit[kind] + 1e-9 >= value))
			return ro;
	}
	return NULL;
}

/* Render an amount for humans and headers. */
static char *fmt_amount(const struct hd_amount *a)
{
	return a->percent ? xasprintf("%g%%", a->value) : xasprintf("%.2f %s", a->value, a->currency);
}

/* The exception of this reply: the first id in the chain of ids of its
   fingerprint that no earlier send has used up (SPEC s.6: an approval is for
   the next send of that reply only; a later send needs a new one). -1 with
   r->error when the store cannot be read. */
static int exception_current(struct run *r, const char *fp, char **excid_r,
			     struct hd_exception *found_r, bool *have_r)
{
	char *seed = xasprintf("exception|%s", fp);
	char *id = hd_id_from_seed("EXC-", seed);

	free(seed);
	*have_r = false;
	for (int k = 0; r->e->store != NULL && k < HD_EXCEPTION_SENDS_MAX; k++) {
		char *err = NULL;
		int frc = hd_store_exception_get(r->e->store, id, found_r, &err);

		if (frc == HD_STORE_ERROR) {
			r->error = xasprintf("store: %s", err ? err : "exception lookup failed");
			free(err);
			free(id);
			return -1;
		}
		if (frc == HD_STORE_NOT_FOUND)
			break;
		if (strcmp(found_r->status, "used") != 0) {
			*have_r = true;
			break;
		}
		hd_exception_free(found_r);
		seed = xasprintf("exception|%s|after|%s", fp, id);
		free(id);
		id = hd_id_from_seed("EXC-", seed);
		free(seed);
	}
	*excid_r = id;
	return 0;
}

/* Authority and exceptions for an outbound reply: findings, the
   X-Helpdesk-Authority and X-Helpdesk-Exception headers and a pending
   exception to insert. -1 with r->error when the store cannot be read. */
int hd_engine_decide_authority(struct run *r)
{
	const struct hd_role *role = r->agent->role;
	struct hd_amount *amts = NULL, *tagged = NULL;
	size_t namts = 0, ntagged = 0;
	struct exc_request reqs[HD_EXC_REQUESTS_MAX];
	size_t nreqs;
	struct strvec problems, needs;
	struct strbuf fp;
	const char *worst = NULL;
	char *worst_detail = NULL;
	int worst_rank = -1, rc = 0;

	sv_init(&problems);
	sv_init(&needs);
	namts = hd_engine_amounts(r, &amts, &tagged, &ntagged);
	nreqs = collect_requests(r, reqs, sizeof(reqs) / sizeof(reqs[0]), &problems);
	for (size_t i = 0; i < nreqs; i++)
		if (reqs[i].has_amount) {
			/* A declared amount the text also writes is the same amount. */
			const struct hd_exc_policy *ep = hd_policy_exc_policy(r->p, reqs[i].policy ? reqs[i].policy : "");
			struct hd_amount d = reqs[i].amount;
			d.text = xstrdup(reqs[i].amount_text);
			d.kind = reqs[i].amount.percent ? HD_AMOUNT_DISCOUNT : ep ? ep->kind : HD_AMOUNT_REFUND;
			hd_engine_amounts_add(&amts, &namts, &d);
		}
	hd_engine_amounts_tag(r, tagged, ntagged);

	/* The fingerprint of "this reply": ticket, agent, amounts and requests. */
	sb_init(&fp);
	sb_printf(&fp, "%s|%s", r->ticket, r->agent->address);
	for (size_t i = 0; i < namts; i++)
		sb_printf(&fp, "|%s:%.2f%s", hd_amount_kind_name(amts[i].kind), amts[i].value,
			  amts[i].percent ? "%" : amts[i].currency);
	for (size_t i = 0; i < nreqs; i++)
		sb_printf(&fp, "|exc:%s:%d", reqs[i].policy ? reqs[i].policy : "", reqs[i].tier);

	/* Amounts against the role's limits. */
	for (size_t i = 0; i < namts; i++) {
		const struct hd_amount *a = &amts[i];
		bool has = role && role->has_limit[a->kind];
		double lim = has ? role->limit[a->kind] : 0;
		bool within = has && a->value <= lim + 1e-9;
		char *am = fmt_amount(a);
		char *limtxt = a->percent ? xasprintf("%g%%", lim) : xasprintf("%.2f %s", lim, r->p->currency);
		if (!within) {
			const struct hd_role *ar = approver_role(r->p, a->kind, a->value, role ? role->rank : -1);
			sv_push_owned(&needs, xasprintf("%s %s exceeds the %s limit of %s for role %s; %s%s%s",
				hd_amount_kind_name(a->kind), am, hd_amount_kind_name(a->kind), limtxt,
				role ? role->name : "(none)", ar ? "a " : "no role may approve it",
				ar ? ar->name : "", ar ? " may approve it" : ""));
		}
		int rank = within ? 0 : 2;
		if (rank > worst_rank) {
			worst_rank = rank;
			worst = within ? "within" : "exceeded";
			free(worst_detail);
			worst_detail = xasprintf("amount=%.2f; currency=%s; kind=%s; role=%s; limit=%s",
				a->value, a->percent ? "%" : a->currency, hd_amount_kind_name(a->kind),
				role ? role->name : "none", limtxt);
		}
		free(am);
		free(limtxt);
	}
	/* Tiers: 1 a rep may grant, 2 per policy, 3 always needs approval. */
	for (size_t i = 0; i < nreqs; i++) {
		const struct hd_exc_policy *ep = reqs[i].policy ? hd_policy_exc_policy(r->p, reqs[i].policy) : NULL;
		int tier = reqs[i].tier;
		if (tier < 1 || tier > 3)
			continue;
		enum hd_tier_rule rule = r->p->tiers[tier];
		bool rep_may = rule == HD_TIER_REP || (rule == HD_TIER_PER_POLICY && ep && ep->tier2_rep);
		if (ep && ep->max_tier && tier > ep->max_tier)
			sv_push_owned(&problems, xasprintf("exception policy '%s' allows tier %d at most", ep->name, ep->max_tier));
		if (!rep_may)
			sv_push_owned(&needs, xasprintf("a tier %d exception under '%s' needs an approver", tier,
							reqs[i].policy ? reqs[i].policy : "?"));
	}

	char *excid = NULL;
	const char *excstatus = NULL;
	struct hd_exception found = { 0 };
	bool have_found = false;
	if (needs.n > 0 || nreqs > 0) {
		if (exception_current(r, fp.s, &excid, &found, &have_found) != 0) {
			rc = -1;
			goto out;
		}
		if (have_found)
			excstatus = found.status;
	}

	if (problems.n > 0) {
		for (size_t i = 0; i < problems.n; i++) {
			struct hd_finding *f = hd_engine_finding_add(r, "exception", "request", problems.v[i], HD_ACTION_REJECT);
			f->id = xstrdup(excid);
		}
	} else if (needs.n > 0 && !(have_found && strcmp(excstatus, "approved") == 0)) {
		for (size_t i = 0; i < needs.n; i++) {
			struct hd_finding *f = hd_engine_finding_add(r, nreqs ? "exception" : "authority", "authority", needs.v[i],
						       HD_ACTION_REJECT);
			f->id = xstrdup(excid);
			f->suggest = r->p->approvals_mailbox
				? xasprintf("ask an approver to send \"approve %s\" to %s, then send this reply again",
					    excid, r->p->approvals_mailbox)
				: xasprintf("ask an approver to approve %s", excid);
		}
		if (!have_found) {
			struct hd_exception *x;
			r->excs = xrealloc(r->excs, (r->nexcs + 1) * sizeof(*r->excs));
			x = &r->excs[r->nexcs++];
			memset(x, 0, sizeof(*x));
			x->id = xstrdup(excid);
			x->ticket = xstrdup(r->ticket);
			x->agent = xstrdup(r->agent->address);
			x->policy = xstrdup(nreqs && reqs[0].policy ? reqs[0].policy : "authority");
			x->reason = xstrdup(nreqs && reqs[0].reason ? reqs[0].reason : needs.v[0]);
			x->tier = nreqs ? reqs[0].tier : 3;
			x->amount = -1;
			for (size_t i = 0; i < namts; i++)
				if (amts[i].value > x->amount) {
					x->amount = amts[i].value;
					free(x->kind);
					free(x->currency);
					x->kind = xstrdup(hd_amount_kind_name(amts[i].kind));
					x->currency = xstrdup(amts[i].percent ? "%" : amts[i].currency);
				}
			x->status = xstrdup("pending");
			x->fingerprint = xstrdup(fp.s);
			x->created = r->in->received;
		}
		hd_engine_rec_add(r, "exception", excid, "reject", needs.v[0], xasprintf("{\"status\":\"pending\"}"));
	} else if (needs.n > 0 || nreqs > 0) {
		/* Approved earlier (needs) or within the rep's own authority (no needs). */
		bool approved = needs.n > 0;
		const char *pol = nreqs && reqs[0].policy ? reqs[0].policy : "authority";
		int tier = nreqs ? reqs[0].tier : 3;
		struct strbuf h;
		sb_init(&h);
		/* The reason is internal: the store record keeps it, the
		   customer's copy does not (issue 17). */
		sb_printf(&h, "%s; tier=%d; policy=%s; approved-by=%s", excid, tier, pol,
			  approved ? found.approver : r->agent->address);
		hd_verdict_add_header(r->v, "X-Helpdesk-Exception", h.s);
		struct hd_finding *f = hd_engine_finding_add(r, "exception", pol, approved ? "approved exception applied" :
					       "exception granted within the agent's own authority", HD_ACTION_NONE);
		free(f->action);
		f->action = xstrdup("accept");
		f->id = xstrdup(excid);
		struct strbuf d;
		sb_init(&d);
		sb_printf(&d, "{\"tier\":%d,\"approved_by\":", tier);
		hd_json_string(&d, approved ? found.approver : r->agent->address);
		sb_puts(&d, ",\"reason\":");
		hd_json_string(&d, nreqs && reqs[0].reason ? reqs[0].reason : approved ? "over authority" : "");
		sb_putc(&d, '}');
		hd_engine_rec_add(r, "exception", excid, "accept", pol, sb_steal(&d));
		sb_free(&d);
		if (approved && worst && strcmp(worst, "exceeded") == 0)
			worst = "approved";
		if (approved)
			sv_push(&r->consumes, excid);	/* this send uses the approval up */
		sb_free(&h);
	}
	if (worst || ntagged > 0) {
		/* Amounts only in quoted history are named as tagged, never hidden. */
		char *h = worst ? xasprintf("%s; %s%s", worst, worst_detail, ntagged ? "; tagged=quoted-history" : "")
			: xasprintf("tagged; amount=%.2f; currency=%s; kind=%s; why=quoted-history", tagged[0].value,
				    tagged[0].percent ? "%" : tagged[0].currency, hd_amount_kind_name(tagged[0].kind));
		hd_verdict_add_header(r->v, "X-Helpdesk-Authority", h);
		if (worst)
			hd_engine_rec_add(r, "authority", worst, worst, worst_detail, NULL);
		free(h);
	}
out:
	free(worst_detail);
	free(excid);
	if (have_found)
		hd_exception_free(&found);
	for (size_t i = 0; i < nreqs; i++)
		request_free(&reqs[i]);
	hd_amounts_free(amts, namts);
	hd_amounts_free(tagged, ntagged);
	sv_free(&problems);
	sv_free(&needs);
	sb_free(&fp);
	return rc;
}

#ifndef HD_ENGINE_INT_H
#define HD_ENGINE_INT_H
/*
 * engine-int - private to src/engine: what the decision files (engine-*.c)
 * share with engine.c, which owns the run. A struct run is one message
 * being decided: its input, the parsed message, what has been decided so
 * far and what is waiting to be written to the store. Decision files read
 * the policy and the message, add headers and findings to the verdict and
 * queue records and store rows on the run; they never write to the store
 * (engine.c does that in one transaction) and never change the policy.
 * Nothing outside src/engine includes this header: the public API is
 * engine.h.
 */
#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include "util.h"
#include "engine.h"
#include "policy.h"
#include "store.h"
#include "mime.h"
#include "norm.h"
#include "verdict.h"

/* An audit record waiting for the end-of-message transaction. */
struct pending {
	char *kind, *rule, *action, *text, *detail;
};

/* One message being decided: owned by hd_engine_run(), freed by run_free(). */
struct run {
	const struct hd_engine *e;
	const struct hd_policy *p;
	const struct hd_engine_input *in;
	struct hd_message *msg;
	struct hd_verdict *v;
	char *sender;			/* envelope sender, bare lower-case */
	char *alltext;			/* subject + text, what `words` conditions see */
	struct hd_normtext *nall, *nsubject;
	/* words / subject_words conditions, by slot: filled by one pass of the
	   policy's condition automaton over nall (nsubject) the first time a
	   condition of that kind is evaluated (engine-priority.c) */
	struct hd_cond_hit *cond_hits;
	bool cond_words_scanned, cond_subject_scanned;
	const struct hd_agent *agent;
	const struct hd_team *team;
	const struct hd_priority *prio;
	char *ticket;
	bool opening;
	struct hd_ticket stored;	/* the ticket row when the store knows it */
	bool have_stored;
	struct hd_ticket newticket;	/* the row to open (strings borrowed from the run) */
	bool write_ticket;
	time_t first_response_at;	/* set when this reply is the first response */
	struct hd_ticket_state st;	/* ticket life (engine-state.c) */
	bool have_state, write_state, state_stamped;
	struct pending *recs;
	size_t nrecs;
	struct hd_exception *excs;	/* exceptions to insert */
	size_t nexcs;
	struct { char *id; char *approver; char *detail; } *decisions;	/* approvals to record */
	size_t ndecisions;
	struct strvec consumes;		/* approved exceptions this reply uses up when sent */
	enum hd_action strongest;	/* strongest finding action so far */
	char **own_text;		/* per part: the agent's own words (engine-amounts.c) */
	enum hd_action would;		/* strongest action enforce mode would take */
	bool monitored[HD_SECTION_COUNT]; /* a monitor-mode section softened a finding */
	char *error;			/* why the run failed (store down, ...) */
};

/* engine.c: shared helpers */

/* Queue an audit record; detail_owned is taken over (freed when dropped). */
void hd_engine_rec_add(struct run *r, const char *kind, const char *rule, const char *action,
		       const char *text, char *detail_owned);
/* Add a finding with an action and keep the strongest action. */
struct hd_finding *hd_engine_finding_add(struct run *r, const char *kind, const char *rule,
					 const char *text, enum hd_action act);
/* Append a header-safe, quoted rendering of s (no CR/LF, no quotes, bounded). */
void hd_engine_put_quoted(struct strbuf *sb, const char *s);

/* engine-scope.c: direction, identity, forged headers */

/* Every X-Helpdesk-* header already present is listed for removal. */
void hd_engine_list_forged_headers(struct run *r);
/* The agent behind the sender identity (SMTP AUTH, else a trusted envelope
   sender), or NULL: the message is then not outbound. */
const struct hd_agent *hd_engine_find_agent(struct run *r);
/* The team whose mailbox is among the first recipients, or NULL: the
   message is then out of scope. */
const struct hd_team *hd_engine_find_team(struct run *r);

/* engine-priority.c: conditions, priority, SLA deadlines */

/* Evaluate a condition tree; why receives what matched. */
bool hd_engine_cond_eval(struct run *r, const struct hd_cond *c, struct strbuf *why);
/* Priority: first rule whose condition matches; the last one is the default. */
void hd_engine_decide_priority(struct run *r);
/* engine-priority.c: the name of the rule that chose the priority, as the
   X-Helpdesk-Priority header and the inbound record both give it (NULL
   before a priority was decided). */
const char *hd_engine_priority_rule(const struct run *r);
/* SLA deadlines on the team calendar for a ticket being opened. */
void hd_engine_decide_sla(struct run *r);

/* engine-escalation.c */

/* Escalation: add each fired level's contact (backup outside primary hours). */
void hd_engine_decide_escalation(struct run *r);

/* engine-tone.c */

/* Tone: scan the subject and the agent's own words of every text part. */
void hd_engine_decide_tone(struct run *r);

/* engine-authority.c: authority and exception requests */

/* Authority and exceptions for an outbound reply; -1 with r->error when the
   store cannot be read. */
int hd_engine_decide_authority(struct run *r);

/* engine-amounts.c: whose amounts */

struct hd_amount;
/* The agent's own words of part pi: its new text and its signature (text
   below "-- " is the agent's). Owned by the run. */
const char *hd_engine_own_text(struct run *r, size_t pi);
/* Amounts of every part and alternative: the agent's own (returned, each
   once) and those only in quoted history (*tagged_r, each once). */
size_t hd_engine_amounts(struct run *r, struct hd_amount **amts_r, struct hd_amount **tagged_r,
			 size_t *ntagged_r);
/* Append *a to v unless the same amount is there (its text is then freed). */
void hd_engine_amounts_add(struct hd_amount **v, size_t *n, struct hd_amount *a);
/* A tagged finding and record for each amount only in quoted history. */
void hd_engine_amounts_tag(struct run *r, const struct hd_amount *tagged, size_t n);

/* engine-approval.c */

/* Approvals in an approver's mail to approvals_mailbox; -1 with r->error
   when the store cannot be read. */
int hd_engine_decide_approvals(struct run *r);

/* engine-handoff.c */

/* Hand-off: a forward to an escalation contact must carry the checklist. */
void hd_engine_decide_handoff(struct run *r);

/* engine-thread.c: ticket, thread and first response */

/* Resolve the ticket and read its stored row; -1 with r->error when the
   store cannot be read. */
int hd_engine_resolve_ticket(struct run *r);
/* Common headers of every in-scope message. */
void hd_engine_stamp_common(struct run *r);
/* First agent reply on a ticket: met or breached against the target. */
void hd_engine_decide_first_response(struct run *r);
/* "1h30m" style rendering of minutes into buf. */
void hd_engine_fmt_minutes(long minutes, char buf[32]);

/* engine-state.c: ticket life (SPEC s.11) */

/* Read the stored ticket's state; -1 with r->error when the store fails. */
int hd_engine_state_load(struct run *r);
/* A ticket being opened starts open. */
void hd_engine_state_open(struct run *r);
/* Customer message: reopen, next-reply clock, moved resolution due. */
void hd_engine_state_inbound(struct run *r);
/* Agent reply: next-reply answer, #status request, resolution attainment. */
void hd_engine_state_outbound(struct run *r);

/* engine-exception-lines.c */

/* Remove #exception lines from the body before delivery, or refuse the reply. */
void hd_engine_strip_exception_lines(struct run *r);
/* The control word ("exception") a line starts with after blanks and
   leading HTML tags, written "#word" and followed by a non-word character
   or the end, or NULL. *args_r and *args_len_r: the rest of the line without
   trailing blanks and closing tags. The one rule for reading and removing. */
const char *hd_engine_control_line(const char *line, size_t len, const char **args_r, size_t *args_len_r);

/* engine-quote.c: the thread's fingerprints and the uncertain part of a
   quote split. */
#define HD_ENGINE_UNSURE_WHY \
	"only in text the quote split could not tell apart from quoted history"
struct hd_tone_hit;
struct hd_amount;
/* Inbound: remember the hashes of the customer's lines on the ticket. */
int hd_engine_thread_record(struct run *r, char **err_r);
/* Outbound: split the reply again, knowing the thread's lines (-1: store error). */
int hd_engine_thread_requote(struct run *r);
/* When the split of tp is unsure: the hits of its certain agent text (one
   scan per part) and true. A hit whose phrase is not among them lies only
   in the unsure part: it is tagged, not refused. */
bool hd_engine_tone_certain(struct run *r, const struct hd_textpart *tp,
			    struct hd_tone_hit **hits_r, size_t *n_r);
/* Is the hit's phrase among hits? */
bool hd_engine_tone_phrase_in(const struct hd_tone_hit *hits, size_t n,
			      const struct hd_tone_hit *hit);
/* Amounts of a part's agent text that lie only in the part the quote split is
   unsure of: each is tagged with the reason here, and returned (allocated in
   *unsure_r) so the caller does not count it. */
size_t hd_engine_amounts_unsure(struct run *r, const struct hd_textpart *tp,
				struct hd_amount **unsure_r);

#endif

#ifndef HD_VERDICT_H
#define HD_VERDICT_H
/*
 * verdict - what the engine decided for one message (SPEC s.8): the MTA
 * action, the SMTP reply, headers to remove and add, recipients to add, and
 * the findings. Serialises to the SPEC JSON. Holds no policy pointers, so a
 * verdict outlives a policy reload.
 */
#include <stdbool.h>
#include <stddef.h>
#include "util.h"

enum hd_direction { HD_DIR_OUT_OF_SCOPE, HD_DIR_INBOUND, HD_DIR_OUTBOUND };
enum hd_verdict_action { HD_VERDICT_ACCEPT, HD_VERDICT_REJECT, HD_VERDICT_TEMPFAIL,
			 HD_VERDICT_HOLD, HD_VERDICT_DISCARD };

const char *hd_direction_name(enum hd_direction d);
const char *hd_verdict_action_name(enum hd_verdict_action a);

struct hd_finding {
	char *kind;		/* tone, authority, exception, approval, handoff, sla, limit, quote */
	char *rule, *text, *suggest, *action, *id, *detail;
	char *would;		/* monitor mode: the action enforce mode would have taken */
	int line;		/* 0 = not applicable */
};

struct hd_verdict {
	enum hd_direction direction;
	enum hd_verdict_action action;
	bool has_reply;
	char reply_code[4], reply_xcode[16];
	struct strvec reply_lines;
	char *team, *priority, *ticket, *agent;
	struct strvec headers_removed;	/* names as found in the message, one per instance */
	struct strvec headers_added;	/* name, value, name, value, ... */
	struct strvec recipients_added;
	struct strvec headers_inserted;	/* name, value, ...: before every other header (smfi_insheader 0) */
	struct strvec recipients_removed; /* envelope recipients to delete, as given (smfi_delrcpt) */
	struct hd_finding *findings;
	size_t nfindings, findings_cap;
	char *hold_reason;		/* for smfi_quarantine */
	char *monitor_would;		/* monitor mode: what enforce mode would have done */
	char *notify_text;		/* non-NULL: run notify_command with it */
	char *notify_to;
	char *body;			/* non-NULL: replace the body with these bytes */
	size_t body_len;
};

struct hd_verdict *hd_verdict_new(void);
void hd_verdict_deinit(struct hd_verdict **v);
void hd_verdict_add_header(struct hd_verdict *v, const char *name, const char *value);
/* Add a finding; returns it for the caller to fill optional fields. Strings copied. */
struct hd_finding *hd_verdict_add_finding(struct hd_verdict *v, const char *kind,
					  const char *rule, const char *text);
void hd_verdict_set_reply(struct hd_verdict *v, const char *code, const char *xcode);
/* A verdict for an internal failure: tempfail (or accept) with the reason. */
struct hd_verdict *hd_verdict_failure(bool tempfail, const char *reason);
/* One JSON object, no trailing newline. */
char *hd_verdict_to_json(const struct hd_verdict *v);
/* JSON string escaping helper shared by helpdeskctl and the store. */
void hd_json_string(struct strbuf *sb, const char *s);

#endif

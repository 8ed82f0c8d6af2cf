/*
 * engine-helpdesk - makes the helpdesk behind a team read our decision and
 * nothing a customer wrote: removes its whole control namespace (Znuny/OTRS
 * and forks, Zammad, RT, osTicket's priority headers) from inbound mail, then
 * writes its native headers from the verdict; routes RT by recipient; names
 * agents on relayed replies from the helpdesk's own header; seals our stamps.
 *
 * Must never: copy a value from the message into a native header (values
 * come from the policy and the verdict only), take an agent from From:, or
 * trust an agent header from a client outside that helpdesk's relay network.
 */
#include <config.h>
#include "engine-helpdesk.h"
#include "engine.h"
#include "policy.h"
#include "mime.h"
#include "net.h"
#include "seal.h"
#include "store.h"
#include "tz.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* Control namespaces: header name prefixes each helpdesk reads. */
static const char *const ZNUNY_PREFIXES[] = { "X-OTRS-", "X-OTOBO-", "X-OFORK-", NULL };
static const char *const ZAMMAD_PREFIXES[] = { "X-Zammad-", NULL };
static const char *const RT_PREFIXES[] = { "RT-", "X-RT-", NULL };
static const char *const NO_PREFIXES[] = { NULL };

/* True when the header name is in the helpdesk's control namespace. */
static bool in_namespace(enum hd_helpdesk_kind kind, const char *name)
{
	const char *const *pre = kind == HD_HELPDESK_ZNUNY ? ZNUNY_PREFIXES :
				 kind == HD_HELPDESK_ZAMMAD ? ZAMMAD_PREFIXES :
				 kind == HD_HELPDESK_RT ? RT_PREFIXES : NO_PREFIXES;
	size_t n = strlen(name);

	for (size_t i = 0; pre[i] != NULL; i++)
		if (str_has_prefix_ci(name, pre[i]))
			return true;
	/* osTicket takes the first "...priority:" or "...importance:" it finds. */
	if (kind == HD_HELPDESK_OSTICKET && !str_has_prefix_ci(name, "X-Helpdesk-"))
		return (n >= 8 && strcasecmp(name + n - 8, "priority") == 0) ||
		       (n >= 10 && strcasecmp(name + n - 10, "importance") == 0);
	return false;
}

/* Value of the first header added to the verdict under name, or NULL. */
static const char *added_value(const struct hd_verdict *v, const char *name)
{
	for (size_t i = 0; i + 1 < v->headers_added.n; i += 2)
		if (strcasecmp(v->headers_added.v[i], name) == 0)
			return v->headers_added.v[i + 1];
	return NULL;
}

/* The due time the verdict stamped (resolution, else first response), or 0. */
static time_t stamped_due(const struct hd_verdict *v)
{
	const char *s = added_value(v, "X-Helpdesk-Resolution-Due");
	time_t t = 0;

	if (s == NULL)
		s = added_value(v, "X-Helpdesk-First-Response-Due");
	if (s == NULL || !time_parse_rfc3339(s, &t))
		return 0;
	return t;
}

/* Znuny DateTime dynamic field value: "YYYY-MM-DD HH:MM:SS" (UTC, OTRSTimeZone). */
static void znuny_time(time_t t, char buf[32])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, 32, "%Y-%m-%d %H:%M:%S", &tm);
}

/* ISO 8601 in the team calendar's zone, "2026-12-01T09:30:00+01:00". */
static void zoned_time(const struct hd_policy *p, const char *team, time_t t, char buf[40])
{
	const struct hd_team *tm = hd_policy_team(p, team);
	struct hd_localtime lt;
	long off;

	if (tm == NULL || tm->calendar == NULL || tm->calendar->tz == NULL) {
		time_format_utc(t, buf);
		return;
	}
	hd_tz_to_local(tm->calendar->tz, t, &lt);
	off = lt.utc_offset;
	snprintf(buf, 40, "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld", lt.year, lt.month, lt.day,
		 lt.hour, lt.minute, lt.second, off < 0 ? '-' : '+', labs(off) / 3600,
		 (labs(off) % 3600) / 60);
}

/* Add name (with the follow-up infix when follow) = value, when value is set. */
static void add_native(struct hd_verdict *v, const char *prefix, bool follow, const char *infix,
		       const char *field, const char *value)
{
	char *name;

	if (value == NULL)
		return;
	name = xasprintf("%s%s%s", prefix, follow ? infix : "", field);
	hd_verdict_add_header(v, name, value);
	free(name);
}

/* Znuny/OTRS: queue, priority, SLA, service and the due dynamic field. */
static void write_znuny(const struct hd_helpdesk *h, const char *team, const char *prio,
			time_t due, bool follow, struct hd_verdict *v)
{
	char buf[32], *df;

	for (int pass = 0; pass < (follow ? 2 : 1); pass++) {
		bool f = pass == 1;
		add_native(v, "X-OTRS-", f, "FollowUp-", "Queue", hd_pairs_get(&h->queues, team));
		add_native(v, "X-OTRS-", f, "FollowUp-", "Priority", hd_pairs_get(&h->priorities, prio));
		add_native(v, "X-OTRS-", f, "FollowUp-", "SLA", hd_pairs_get(&h->slas, prio));
		add_native(v, "X-OTRS-", f, "FollowUp-", "Service", h->service);
		if (due) {
			znuny_time(due, buf);
			df = xasprintf("DynamicField-%s", h->due_field);
			add_native(v, "X-OTRS-", f, "FollowUp-", df, buf);
			free(df);
		}
	}
}

/* Zammad: group, priority and the due attribute, follow-up variants on replies. */
static void write_zammad(const struct hd_policy *p, const struct hd_helpdesk *h, const char *team,
			 const char *prio, time_t due, bool follow, struct hd_verdict *v)
{
	char buf[40];

	for (int pass = 0; pass < (follow ? 2 : 1); pass++) {
		bool f = pass == 1;
		add_native(v, "X-Zammad-Ticket-", f, "FollowUp-", "Group", hd_pairs_get(&h->queues, team));
		add_native(v, "X-Zammad-Ticket-", f, "FollowUp-", "Priority",
			   hd_pairs_get(&h->priorities, prio));
		if (due) {
			zoned_time(p, team, due, buf);
			add_native(v, "X-Zammad-Ticket-", f, "FollowUp-", h->due_field, buf);
		}
	}
}

/* RT: each recipient that is one of the team's mailboxes goes to the team's
   RT address (or the mailbox's +extension form). */
static void route_rt(const struct hd_policy *p, const struct hd_helpdesk *h, const char *team,
		     const struct hd_engine_input *in, struct hd_verdict *v)
{
	const char *to = hd_pairs_get(&h->addresses, team);

	for (size_t i = 0; to != NULL && i < in->nrcpts; i++) {
		char *a = addr_normalise(in->rcpts[i]), *dest;
		const struct hd_team *t = a ? hd_policy_team_for_mailbox(p, a) : NULL;
		const char *at;

		if (t == NULL || strcmp(t->name, team) != 0 || (at = strchr(a, '@')) == NULL) {
			free(a);
			continue;
		}
		dest = to[0] == '+' ? xasprintf("%.*s%s%s", (int)(at - a), a, to, at) : addr_normalise(to);
		if (strcmp(dest, a) != 0) {
			sv_push(&v->recipients_removed, in->rcpts[i]);
			if (!sv_contains_ci(&v->recipients_added, dest))
				sv_push(&v->recipients_added, dest);
		}
		free(dest);
		free(a);
	}
	add_native(v, "X-Helpdesk-", false, "", "Native-Priority", hd_pairs_get(&h->priorities, v->priority));
}

/* Longest header name the raw scan below remembers; a longer one is no
   helpdesk's control header name and is left to the parsed headers. */
#define HD_HELPDESK_RAW_NAME_MAX 256
/* Bytes read from a spooled message at a time by the raw scan. */
#define HD_HELPDESK_RAW_CHUNK 65536

/* State of the raw header-block scan: the name of the current field, and
   every field name in the helpdesk's namespace, in order, repeats kept. */
struct raw_scan {
	char name[HD_HELPDESK_RAW_NAME_MAX + 1];
	size_t nlen;
	bool line_start, in_name, too_long, last_empty, done;
	struct strvec found;
};

/* Feed bytes of the raw message to the scan. */
static void raw_scan_feed(struct raw_scan *sc, enum hd_helpdesk_kind kind, const char *p, size_t n)
{
	for (size_t i = 0; i < n && !sc->done; i++) {
		char c = p[i];

		if (sc->line_start) {
			sc->line_start = false;
			if (c == '\n' || (c == '\r' && sc->last_empty)) {
				sc->done = c == '\n';	/* the empty line: the body follows */
				sc->line_start = c == '\r';
				continue;
			}
			sc->in_name = c != ' ' && c != '\t';	/* else a folded line */
			sc->nlen = 0;
			sc->too_long = false;
		}
		sc->last_empty = false;
		if (c == '\n') {
			sc->line_start = true;
			sc->last_empty = true;
			sc->in_name = false;
			continue;
		}
		if (!sc->in_name)
			continue;
		if (c == ':') {
			while (sc->nlen > 0 && (sc->name[sc->nlen - 1] == ' ' || sc->name[sc->nlen - 1] == '\t'))
				sc->nlen--;
			sc->name[sc->nlen] = '\0';
			if (!sc->too_long && sc->nlen > 0 && in_namespace(kind, sc->name))
				sv_push(&sc->found, sc->name);
			sc->in_name = false;
		} else if (sc->nlen < HD_HELPDESK_RAW_NAME_MAX) {
			sc->name[sc->nlen++] = c;
		} else {
			sc->too_long = true;
		}
	}
}

/* A found name and where it was found, for sorting. */
struct raw_ref {
	const char *name;
	size_t pos;
};

/* Case-insensitive name order, then the order found. */
static int raw_ref_cmp(const void *a, const void *b)
{
	const struct raw_ref *x = a, *y = b;
	int c = strcasecmp(x->name, y->name);

	return c != 0 ? c : (x->pos > y->pos) - (x->pos < y->pos);
}

/* List each found name once (any case; the first spelling found), in the
   order found, unless already listed. Sorted, not searched name by name: a
   message may hold as many forged names as it has header lines. */
static void raw_list_found(const struct strvec *found, struct hd_verdict *v)
{
	struct raw_ref *refs;
	struct sv_index listed;
	bool *first;

	if (found->n == 0)
		return;
	refs = xmalloc(found->n * sizeof(*refs));
	first = xcalloc(found->n, sizeof(*first));
	for (size_t i = 0; i < found->n; i++) {
		refs[i].name = found->v[i];
		refs[i].pos = i;
	}
	qsort(refs, found->n, sizeof(*refs), raw_ref_cmp);
	for (size_t i = 0; i < found->n; i++)
		if (i == 0 || strcasecmp(refs[i - 1].name, refs[i].name) != 0)
			first[refs[i].pos] = true;
	sv_index_build(&listed, &v->headers_removed);
	for (size_t i = 0; i < found->n; i++)
		if (first[i] && !sv_index_contains_ci(&listed, found->v[i]))
			sv_push(&v->headers_removed, found->v[i]);
	sv_index_free(&listed);
	free(first);
	free(refs);
}

/* Read the raw header block, from memory or the spool file. */
static void raw_scan_message(struct raw_scan *sc, enum hd_helpdesk_kind kind,
			     const struct hd_engine_input *in)
{
	if (in->data != NULL) {
		raw_scan_feed(sc, kind, in->data, in->len);
		return;
	}
	if (in->fd < 0)
		return;
	char *buf = xmalloc(HD_HELPDESK_RAW_CHUNK);
	off_t off = 0;
	while (!sc->done) {
		ssize_t n = pread(in->fd, buf, HD_HELPDESK_RAW_CHUNK, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		raw_scan_feed(sc, kind, buf, (size_t)n);
		off += n;
	}
	free(buf);
}

/* List every control header of the raw header block, also those past
   limits.header_count that the parsed message no longer holds (a customer
   must not reach the helpdesk by writing a thousand headers first). */
static void raw_control_headers(enum hd_helpdesk_kind kind, const struct hd_engine_input *in,
				struct hd_verdict *v)
{
	struct raw_scan sc = { .line_start = true };

	sv_init(&sc.found);
	raw_scan_message(&sc, kind, in);
	raw_list_found(&sc.found, v);
	sv_free(&sc.found);
}

/* Inbound dialect work for the team's helpdesk. */
void hd_helpdesk_inbound(const struct hd_policy *p, const char *team, const struct hd_message *msg,
			 const struct hd_engine_input *in, bool opening, struct hd_verdict *v)
{
	const struct hd_helpdesk *h = hd_policy_helpdesk(p, team);
	time_t due;

	if (h == NULL)
		return;
	for (size_t i = 0; i < msg->nheaders; i++)
		if (in_namespace(h->kind, msg->headers[i].name))
			sv_push(&v->headers_removed, msg->headers[i].name);
	raw_control_headers(h->kind, in, v);
	due = stamped_due(v);
	switch (h->kind) {
	case HD_HELPDESK_ZNUNY:
		write_znuny(h, team, v->priority, due, !opening, v);
		break;
	case HD_HELPDESK_ZAMMAD:
		write_zammad(p, h, team, v->priority, due, !opening, v);
		break;
	case HD_HELPDESK_OSTICKET:
		if (hd_pairs_get(&h->priorities, v->priority)) {
			sv_push(&v->headers_inserted, "X-Priority");
			sv_push(&v->headers_inserted, hd_pairs_get(&h->priorities, v->priority));
		}
		break;
	case HD_HELPDESK_RT:
		route_rt(p, h, team, in, v);
		break;
	case HD_HELPDESK_NONE:
		break;
	}
}

/* The helpdesk whose relay holds the client. */
const struct hd_helpdesk *hd_helpdesk_for_relay(const struct hd_policy *p, const char *client_ip)
{
	for (size_t i = 0; client_ip != NULL && i < p->nhelpdesks; i++)
		if (p->helpdesks[i].kind != HD_HELPDESK_NONE && p->helpdesks[i].relay &&
		    hd_netlist_contains(p->helpdesks[i].relay, client_ip))
			return &p->helpdesks[i];
	return NULL;
}

/* The relay's agent header, as a bare address. */
char *hd_helpdesk_relay_agent(const struct hd_policy *p, const char *client_ip,
			      const struct hd_message *msg)
{
	const struct hd_helpdesk *h = hd_helpdesk_for_relay(p, client_ip);
	const struct hd_header *hdr;
	const char *val, *lt, *gt;

	if (h == NULL || h->agent_header == NULL ||
	    (hdr = hd_message_header(msg, h->agent_header)) == NULL)
		return NULL;
	val = hdr->value;
	if ((lt = strrchr(val, '<')) != NULL && (gt = strchr(lt, '>')) != NULL) {
		char *raw = xstrndup(lt + 1, (size_t)(gt - lt - 1)), *a = addr_normalise(raw);
		free(raw);
		return a;
	}
	return strchr(val, '@') ? addr_normalise(val) : NULL;
}

/* Digits of a ticket number right after pos (spaces and ':' skipped), or 0 length. */
static size_t ticket_digits(const char *pos, const char **start_r)
{
	size_t n = 0;

	while (*pos == ' ' || *pos == ':')
		pos++;
	*start_r = pos;
	while (isdigit((unsigned char)pos[n]) && n <= HD_HELPDESK_NUMBER_MAX)
		n++;
	return n > HD_HELPDESK_NUMBER_MAX ? 0 : n;
}

/* The helpdesk ticket number in a subject as a thread key. */
char *hd_helpdesk_thread_key(const struct hd_policy *p, const char *team, const char *client_ip,
			     const char *subject)
{
	const struct hd_helpdesk *h = hd_helpdesk_for_relay(p, client_ip);
	const char *tag, *s, *digits;
	size_t tl, n;

	if (h == NULL)
		h = hd_policy_helpdesk(p, team);
	if (h == NULL || h->ticket_tag == NULL || subject == NULL)
		return NULL;
	tag = h->ticket_tag;
	tl = strlen(tag);
	for (s = subject; *s; s++) {
		const char *q = s;
		if (h->kind == HD_HELPDESK_RT) {
			/* [rtname #123] */
			if (*q != '[' || strncasecmp(q + 1, tag, tl) != 0)
				continue;
			q += 1 + tl;
			while (*q == ' ')
				q++;
			if (*q != '#')
				continue;
			n = ticket_digits(q + 1, &digits);
			if (n == 0 || digits[n] != ']')
				continue;
		} else {
			/* [Ticket#2026120110000012] or Ticket#: 2026... */
			if (strncasecmp(q, tag, tl) != 0)
				continue;
			n = ticket_digits(q + tl, &digits);
			if (n == 0)
				continue;
		}
		return xasprintf("helpdesk:%s:%s:%.*s", hd_helpdesk_kind_name(h->kind), tag, (int)n, digits);
	}
	return NULL;
}

/* Learn which of our tickets a helpdesk number is, from relay mail. */
void hd_helpdesk_learn_thread(struct hd_store *s, const struct hd_policy *p, const char *client_ip,
			      const struct hd_message *msg)
{
	const char *ids[1 + HD_HELPDESK_LEARN_REFS];
	char *key, *ticket = NULL, *err = NULL;
	size_t n = 0;

	if (s == NULL || hd_helpdesk_for_relay(p, client_ip) == NULL ||
	    (key = hd_helpdesk_thread_key(p, NULL, client_ip, msg->subject)) == NULL)
		return;
	if (msg->in_reply_to)
		ids[n++] = msg->in_reply_to;
	for (size_t i = msg->references.n; i > 0 && n < sizeof(ids) / sizeof(ids[0]); i--)
		ids[n++] = msg->references.v[i - 1];
	if (n > 0 && hd_store_ticket_by_message(s, ids, n, &ticket, &err) == HD_STORE_OK && ticket &&
	    hd_store_link_message(s, key, ticket, &err) != HD_STORE_OK)
		log_warning("helpdesk thread %s -> %s not recorded: %s", key, ticket, err ? err : "store error");
	free(err);
	free(ticket);
	free(key);
}

/* Seal the stamps. */
void hd_helpdesk_seal(const struct hd_seal_key *key, const struct hd_message *msg,
		      struct hd_verdict *v)
{
	const struct hd_header *mid;
	char *seal;

	if (key == NULL || v->headers_added.n == 0)
		return;
	mid = hd_message_header(msg, "Message-ID");
	seal = hd_seal_make(key, &v->headers_added, mid ? mid->value : NULL);
	hd_verdict_add_header(v, HD_SEAL_HEADER, seal);
	free(seal);
}

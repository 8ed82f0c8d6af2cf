#ifndef HD_ENGINE_HELPDESK_H
#define HD_ENGINE_HELPDESK_H
/*
 * engine-helpdesk - the helpdesk dialects (SPEC s.12): which control headers
 * of the team's helpdesk a customer must not send, the native headers
 * written from our decision, RT routing by envelope recipient, the agent
 * named by the helpdesk relay's own header, threading by the helpdesk's
 * ticket number, and the seal over our stamps.
 */
#include <stdbool.h>
#include <stddef.h>
#include "verdict.h"

struct hd_policy;
struct hd_helpdesk;
struct hd_message;
struct hd_engine_input;
struct hd_seal_key;

#define HD_HELPDESK_NUMBER_MAX 32	/* digits of a helpdesk ticket number */
#define HD_HELPDESK_LEARN_REFS 64	/* References looked at to learn a helpdesk number */

/* Inbound for team: list the helpdesk's control namespace for removal
   (every instance, any case), then write its native headers from the
   verdict's priority and due times (follow-up variants unless opening),
   insert osTicket's X-Priority first, or route to RT by recipient. */
void hd_helpdesk_inbound(const struct hd_policy *p, const char *team, const struct hd_message *msg,
			 const struct hd_engine_input *in, bool opening, struct hd_verdict *v);
/* The helpdesk whose relay network holds client_ip, or NULL. */
const struct hd_helpdesk *hd_helpdesk_for_relay(const struct hd_policy *p, const char *client_ip);
/* The agent address the relay's own header names (lower-case, allocated),
   or NULL when the client is no helpdesk relay or the header is absent. */
char *hd_helpdesk_relay_agent(const struct hd_policy *p, const char *client_ip,
			      const struct hd_message *msg);
/* A store thread key for the helpdesk ticket number in the subject
   ("helpdesk:rt:rt.example.com:123"), allocated, or NULL. The helpdesk is
   the relay's when the client is one, else the team's. */
char *hd_helpdesk_thread_key(const struct hd_policy *p, const char *team, const char *client_ip,
			     const char *subject);
/* Mail from a helpdesk relay whose subject carries its ticket tag and
   whose In-Reply-To/References thread to one of our tickets (RT's
   autoreply, say): remember that the helpdesk number is that ticket, so
   later mail carrying only the tag threads. Best effort: a store failure is
   logged, never fails the message. */
struct hd_store;
void hd_helpdesk_learn_thread(struct hd_store *s, const struct hd_policy *p, const char *client_ip,
			      const struct hd_message *msg);
/* Append X-Helpdesk-Seal over the X-Helpdesk-* headers added and the
   message's Message-ID; nothing when key is NULL. */
void hd_helpdesk_seal(const struct hd_seal_key *key, const struct hd_message *msg,
		      struct hd_verdict *v);

#endif

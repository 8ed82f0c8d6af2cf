/*
 * engine-scope - which way a message goes (SPEC s.3): outbound when the
 * sender is an agent, inbound when a recipient is a team mailbox, else out
 * of scope. Identity comes only from SMTP AUTH or a trusted client's
 * envelope sender, never from From: (the From: address is read for
 * conditions only). Lists every X-Helpdesk-* header the message already
 * carries for removal, so a sender can never forge the engine's headers.
 * Must never trust a header of the message for a decision about who sent it.
 */
#include <config.h>
#include "engine-int.h"
#include "engine-helpdesk.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HD_HEADER_PREFIX "X-Helpdesk-"

/* Every X-Helpdesk-* header already present is listed for removal. */
void hd_engine_list_forged_headers(struct run *r)
{
	size_t plen = strlen(HD_HEADER_PREFIX);

	for (size_t i = 0; i < r->msg->nheaders; i++)
		if (strncasecmp(r->msg->headers[i].name, HD_HEADER_PREFIX, plen) == 0)
			sv_push(&r->v->headers_removed, r->msg->headers[i].name);
}

/* Find the agent for the sender identity: SMTP AUTH, else a trusted envelope sender. */
const struct hd_agent *hd_engine_find_agent(struct run *r)
{
	const struct hd_policy *p = r->p;
	const char *auth = r->in->auth_user;

	if (auth && *auth) {
		char *a = addr_normalise(auth);
		const struct hd_agent *ag = a ? hd_policy_agent(p, a) : NULL;
		/* A bare login name matches an agent's local part when that is unique. */
		if (ag == NULL && a && strchr(a, '@') == NULL) {
			size_t al = strlen(a), hits = 0;
			for (size_t i = 0; i < p->nagents; i++)
				if (strncmp(p->agents[i].address, a, al) == 0 && p->agents[i].address[al] == '@') {
					ag = &p->agents[i];
					hits++;
				}
			if (hits != 1)
				ag = NULL;
		}
		free(a);
		return ag;
	}
	{	/* a helpdesk relay names its agent in its own header, never in From: */
		char *ra = hd_helpdesk_relay_agent(p, r->in->client_ip, r->msg);
		const struct hd_agent *ag = ra ? hd_policy_agent(p, ra) : NULL;
		free(ra);
		if (ag)
			return ag;
	}
	if (r->in->client_trusted && r->sender)
		return hd_policy_agent(p, r->sender);
	return NULL;
}

/* The team whose mailbox is among the first recipients, or NULL. */
const struct hd_team *hd_engine_find_team(struct run *r)
{
	const struct hd_team *team = NULL;

	for (size_t i = 0; i < r->in->nrcpts && i < r->e->limits->recipients && team == NULL; i++) {
		char *a = addr_normalise(r->in->rcpts[i]);
		if (a)
			team = hd_policy_team_for_mailbox(r->p, a);
		free(a);
	}
	return team;
}

#ifndef HD_TICKET_H
#define HD_TICKET_H
/*
 * ticket - ticket and exception identifiers. A ticket id is derived from the
 * thread's root Message-ID, so the same thread gets the same id even without
 * a store and an MTA retry of the same message never opens a second ticket.
 */
#include <stdbool.h>
#include <stddef.h>

#define HD_TICKET_PREFIX "HD-"
#define HD_ID_CHARS 10		/* base32 characters after the prefix */

/* prefix + HD_ID_CHARS base32 characters of SHA-256(seed). */
char *hd_id_from_seed(const char *prefix, const char *seed);
/* A ticket tag like [HD-7K2M9QX4TB] or HD-7K2M9QX4TB in a subject; allocated or NULL. */
char *hd_ticket_from_subject(const char *subject);

#endif

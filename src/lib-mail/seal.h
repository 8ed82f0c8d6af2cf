#ifndef HD_SEAL_H
#define HD_SEAL_H
/*
 * seal - X-Helpdesk-Seal (SPEC s.4, s.12): an HMAC-SHA256, keyed by a secret
 * file and named by a key id, over the stamped X-Helpdesk-* headers (values
 * as written, relaxed: unfolded, white space runs as one space, trimmed) and
 * the Message-ID, in the order listed in h=. Verifying needs the same set of
 * X-Helpdesk-* headers in the same order: one removed, added, reordered or
 * altered fails.
 */
#include <stdbool.h>
#include <stddef.h>
#include "util.h"

#define HD_SEAL_HEADER "X-Helpdesk-Seal"
#define HD_SEAL_KEY_MIN_BYTES 16	/* shortest secret accepted */
#define HD_SEAL_KEY_MAX_BYTES 4096	/* longest secret accepted */
#define HD_SEAL_KEY_ID_MAX 64		/* bytes of a key id */
#define HD_SEAL_MAX_HEADERS 256		/* signed headers in one seal */

struct hd_seal_key {
	char *id;
	unsigned char *secret;
	size_t len;
};

enum hd_seal_result {
	HD_SEAL_OK = 0,
	HD_SEAL_NONE,		/* no X-Helpdesk-Seal header */
	HD_SEAL_MALFORMED,	/* unreadable seal, or more than one */
	HD_SEAL_UNKNOWN_KEY,	/* k= names no key we have */
	HD_SEAL_HEADERS_DIFFER,	/* the X-Helpdesk-* headers are not those listed in h= */
	HD_SEAL_BAD,		/* the HMAC does not match: a value was altered */
};

/* A key id: letters, digits, '.', '_', '-', at most HD_SEAL_KEY_ID_MAX. */
bool hd_seal_key_id_valid(const char *id);
/* Load a secret file (trailing newline dropped). Refuses a world-readable
   file and secrets outside the size bounds. NULL + *error_r. */
struct hd_seal_key *hd_seal_key_load(const char *id, const char *path, char **error_r);
/* A key from bytes in memory (tests). */
struct hd_seal_key *hd_seal_key_new(const char *id, const void *secret, size_t len);
void hd_seal_key_free(struct hd_seal_key **k);

/* The X-Helpdesk-Seal value over headers (name, value, name, value, ...:
   those whose name starts with X-Helpdesk- are signed, in order) and the
   raw Message-ID value (NULL: signed as empty). */
char *hd_seal_make(const struct hd_seal_key *k, const struct strvec *headers,
		   const char *message_id);
/* Verify the seal of a header block (the message text up to the empty line
   is enough). *key_id_r (may be NULL) gets the key id used, *detail_r (may
   be NULL) a sentence saying what is wrong; both allocated. */
enum hd_seal_result hd_seal_verify(struct hd_seal_key *const *keys, size_t nkeys,
				   const char *msg, size_t len, char **key_id_r, char **detail_r);
const char *hd_seal_result_name(enum hd_seal_result r);

#endif

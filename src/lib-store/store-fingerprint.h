#ifndef HD_STORE_FINGERPRINT_H
#define HD_STORE_FINGERPRINT_H
/*
 * store-fingerprint - per ticket, the hashes of the lines the customer wrote
 * (see hd_quote_fingerprint): never the text. The engine adds them for every
 * inbound message and reads them back to see what an agent's reply quotes.
 */
#include <stddef.h>
#include <stdint.h>
#include "store.h"

/* Hashes read back for one ticket at most (older threads keep the first ones). */
#define HD_STORE_THREAD_LINES_MAX 20000

/* Remember the hashes for the ticket (duplicates are ignored). */
int hd_store_thread_add(struct hd_store *s, const char *ticket, const uint32_t *hashes,
			size_t n, char **error_r);
/* The ticket's hashes, sorted (allocated; *n_r = 0 and NULL when none). */
int hd_store_thread_get(struct hd_store *s, const char *ticket, uint32_t **hashes_r,
			size_t *n_r, char **error_r);

#endif

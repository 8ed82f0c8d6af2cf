/*
 * store-v5-gen - how tests/unit/lib-store/store-v5.sql was made: a store of
 * schema version 5 (the last with AUTOINCREMENT and rowid tables) written
 * through the version 5 store API, with tickets, message links, thread
 * lines, ticket states, an approved exception, records of several kinds and
 * a retention cut, dumped with sqlite3 .dump. Not built by make: it compiles
 * only against a tree of schema version 5 (commit 11f6499), e.g.
 *   git archive 11f6499 src/lib src/lib-store | tar -x -C /tmp/v5
 *   gcc -std=gnu11 -I build -I /tmp/v5/src/lib -I /tmp/v5/src/lib-store \
 *     $(pkg-config --cflags glib-2.0 libpq) /tmp/v5/src/lib/util.c /tmp/v5/src/lib-store/*.c \
 *     tests/unit/lib-store/store-v5-gen.c -o /tmp/v5/gen \
 *     $(pkg-config --libs glib-2.0 sqlite3 libpq) -lpthread
 *   /tmp/v5/gen /tmp/v5/v5.db && sqlite3 /tmp/v5/v5.db .dump
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>

#include "store.h"
#include "store-fingerprint.h"
#include "util.h"

/* Exit with the store's message when a call failed. */
static void ok(int rc, char *error)
{
	if (rc == HD_STORE_ERROR) {
		fprintf(stderr, "store-v5-gen: %s\n", error);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	struct hd_store *s;
	char *error = NULL, ticket[32], mid[64], text[64];
	struct hd_store_expiry x;

	if (argc != 2 || (s = hd_store_open(argv[1], &error)) == NULL) {
		fprintf(stderr, "usage: store-v5-gen NEW.db (%s)\n", error ? error : "");
		return 2;
	}
	for (int i = 1; i <= 12; i++) {
		uint32_t h[3] = { 100U + (uint32_t)i, 200U + (uint32_t)i, 300U + (uint32_t)i };
		struct hd_ticket t = { 0 };
		struct hd_ticket_state st = { 0 };
		struct hd_record r = { 0 };

		snprintf(ticket, sizeof(ticket), "HD-V5TICKET%02d", i);
		snprintf(mid, sizeof(mid), "m%02d@v5.example", i);
		snprintf(text, sizeof(text), "subject %d", i);
		t = (struct hd_ticket){ .id = ticket, .team = i % 2 ? "billing" : "tech",
					.priority = "standard", .customer = "c@example.net",
					.opened = 1000 * i, .first_response_due = 1000 * i + 500,
					.resolution_due = 1000 * i + 900, .policy_version = "5" };
		st = (struct hd_ticket_state){ .id = ticket, .state = i % 3 == 0 ? 2 : 0,
					       .since = 1000 * i, .resolution_due = 1000 * i + 900,
					       .stamped_due = 1000 * i + 900 };
		r = (struct hd_record){ .at = 1000 * i, .kind = "inbound", .queue_id = "4V5",
					.message_id = mid, .ticket = ticket, .team = t.team,
					.priority = "standard", .rule = "standard", .action = "accept",
					.text = text, .detail = "{\"opening\":true}",
					.policy_name = "acme", .policy_version = "5" };
		ok(hd_store_begin(s, &error), error);
		ok(hd_store_ticket_open(s, &t, &error), error);
		ok(hd_store_link_message(s, mid, ticket, &error), error);
		ok(hd_store_thread_add(s, ticket, h, 3, &error), error);
		ok(hd_store_ticket_state_put(s, &st, &error), error);
		ok(hd_store_append(s, &r, &error), error);
		if (i % 4 == 0) {	/* an agent's reply with a tone finding */
			r.kind = "tone";
			r.agent = "ann@support.example";
			r.rule = "calm-down";
			r.at += 10;
			ok(hd_store_append(s, &r, &error), error);
		}
		ok(hd_store_commit(s, &error), error);
	}
	{
		struct hd_exception e = { .id = "EXC-V5", .ticket = "HD-V5TICKET11",
					  .agent = "ann@support.example", .policy = "refund",
					  .reason = "goodwill", .kind = "refund", .currency = "EUR",
					  .fingerprint = "fp", .tier = 1, .amount = 50,
					  .created = 11500 };
		struct hd_record why = { .queue_id = "4V5X", .message_id = "m11@v5.example",
					 .text = "approved", .policy_name = "acme",
					 .policy_version = "5" };

		ok(hd_store_exception_add(s, &e, &error), error);
		ok(hd_store_exception_decide(s, "EXC-V5", "approved", "boss@support.example",
					     11600, &why, &error), error);
	}
	/* records before 4500 go, behind a checkpoint */
	ok(hd_store_expire(s, 4500, 20000, &x, &error), error);
	hd_store_deinit(&s);
	return 0;
}

#ifndef HD_LIMITS_H
#define HD_LIMITS_H
/*
 * limits - every size, depth and count the engine accepts, with defaults.
 * The daemon config (`limits:` in helpdesk-milter.yaml) overrides them; past a
 * limit the engine still decides from what it read and says so in a finding.
 */
#include <stddef.h>

struct hd_limits {
	size_t message_bytes;	/* bytes of a message inspected (headers + body) */
	size_t mime_depth;	/* nesting depth of multiparts followed */
	size_t mime_parts;	/* MIME parts examined */
	size_t header_count;	/* headers examined */
	size_t header_bytes;	/* bytes of one header value examined */
	size_t text_bytes;	/* decoded text kept per message for matching */
	size_t recipients;	/* envelope recipients accepted per message */
	size_t body_memory_bytes; /* daemon: body kept in memory before spooling */
	size_t findings;	/* findings reported per message */
};

#define HD_LIMIT_MESSAGE_BYTES_DEFAULT	(10u * 1024 * 1024)
#define HD_LIMIT_MIME_DEPTH_DEFAULT	20
#define HD_LIMIT_MIME_PARTS_DEFAULT	500
#define HD_LIMIT_HEADER_COUNT_DEFAULT	1000
#define HD_LIMIT_HEADER_BYTES_DEFAULT	(64u * 1024)
#define HD_LIMIT_TEXT_BYTES_DEFAULT	(4u * 1024 * 1024)
#define HD_LIMIT_RECIPIENTS_DEFAULT	1000
#define HD_LIMIT_BODY_MEMORY_DEFAULT	(1024u * 1024)
#define HD_LIMIT_FINDINGS_DEFAULT	100

/* Fill with the defaults above. */
static inline void hd_limits_init(struct hd_limits *l)
{
	l->message_bytes = HD_LIMIT_MESSAGE_BYTES_DEFAULT;
	l->mime_depth = HD_LIMIT_MIME_DEPTH_DEFAULT;
	l->mime_parts = HD_LIMIT_MIME_PARTS_DEFAULT;
	l->header_count = HD_LIMIT_HEADER_COUNT_DEFAULT;
	l->header_bytes = HD_LIMIT_HEADER_BYTES_DEFAULT;
	l->text_bytes = HD_LIMIT_TEXT_BYTES_DEFAULT;
	l->recipients = HD_LIMIT_RECIPIENTS_DEFAULT;
	l->body_memory_bytes = HD_LIMIT_BODY_MEMORY_DEFAULT;
	l->findings = HD_LIMIT_FINDINGS_DEFAULT;
}

#endif

/*
 * test-mime - message reading: every contrib/samples message, the test data
 * under tests/data/mime, and hostile input (truncated, NUL bytes, deep
 * nesting, header floods, huge header lines, empty) against the limits.
 */
#include <config.h>
#include "mime.h"
#include "util.h"

#include <check.h>
#include "check-run.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pthread.h>
#include <gmime/gmime.h>

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif

/* Source root: $TOP_SRCDIR, else the compile-time macro. */
static const char *srcdir(void)
{
	const char *e = getenv("TOP_SRCDIR");
	return e != NULL && *e != '\0' ? e : TOP_SRCDIR;
}

/* Read a whole file relative to the source root. */
static char *slurp(const char *rel, size_t *len_r)
{
	char *path = xasprintf("%s/%s", srcdir(), rel);
	FILE *f = fopen(path, "rb");
	struct strbuf sb;
	char buf[4096];
	size_t n;

	ck_assert_msg(f != NULL, "cannot open %s: %s", path, strerror(errno));
	sb_init(&sb);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sb_append(&sb, buf, n);
	fclose(f);
	free(path);
	*len_r = sb.len;
	return sb.s;
}

/* Parse a file with default limits. */
static struct hd_message *parse_file(const char *rel)
{
	size_t len;
	char *data = slurp(rel, &len);
	struct hd_message *m = hd_message_parse(data, len, NULL);
	free(data);
	return m;
}

/* Joined text of a message (caller frees). */
static char *text_of(const struct hd_message *m)
{
	return hd_message_text(m);
}

/* All agent_text of a message joined. */
static char *agent_of(const struct hd_message *m)
{
	struct strbuf sb;
	sb_init(&sb);
	for (size_t i = 0; i < m->nparts; i++) {
		sb_puts(&sb, m->parts[i].agent_text);
		sb_putc(&sb, '\n');
	}
	return sb.s;
}

/* True when any note contains the fragment. */
static bool has_note(const struct hd_message *m, const char *frag)
{
	for (size_t i = 0; i < m->notes.n; i++)
		if (strstr(m->notes.v[i], frag) != NULL)
			return true;
	return false;
}

#define ASSERT_CONTAINS(hay, needle) \
	ck_assert_msg(strstr((hay), (needle)) != NULL, "missing \"%s\" in:\n%s", (needle), (hay))
#define ASSERT_NOT_CONTAINS(hay, needle) \
	ck_assert_msg(strstr((hay), (needle)) == NULL, "unexpected \"%s\" in:\n%s", (needle), (hay))

static const char *const samples[] = {
	"01-plain-billing.eml", "02-qp-outage.eml", "03-base64-urgent.eml",
	"04-html-only.eml", "05-multipart-alt.eml", "06-latin1.eml",
	"07-shift-jis-or-koi8.eml", "08-malformed.eml", "09-forged-headers.eml",
	"10-lawyer-threat.eml", "11-thread-reply.eml", "12-agent-reply-calm-down.eml",
	"13-agent-reply-clean.eml", "14-agent-reply-html-gmail.eml",
};

START_TEST(test_every_sample_parses)
{
	char *rel = xasprintf("contrib/samples/%s", samples[_i]);
	struct hd_message *m = parse_file(rel);

	ck_assert_msg(m->subject[0] != '\0', "%s: no subject", rel);
	ck_assert_msg(m->from[0] != '\0', "%s: no From", rel);
	ck_assert_msg(m->message_id != NULL && strchr(m->message_id, '<') == NULL &&
		      strchr(m->message_id, '@') != NULL, "%s: bad Message-ID", rel);
	ck_assert_msg(hd_message_header(m, "date") != NULL, "%s: no Date", rel);
	ck_assert_msg(hd_message_header(m, "TO") != NULL, "%s: no To", rel);
	ck_assert_msg(m->nparts >= 1, "%s: no text part", rel);
	char *t = text_of(m);
	ck_assert_msg(strlen(t) > 10, "%s: text too short", rel);
	ck_assert_msg(g_utf8_validate(t, -1, NULL), "%s: text is not UTF-8", rel);
	free(t);
	hd_message_deinit(&m);
	ck_assert(m == NULL);
	free(rel);
}
END_TEST

START_TEST(test_plain_and_headers)
{
	struct hd_message *m = parse_file("contrib/samples/01-plain-billing.eml");
	char *t = text_of(m);

	ck_assert_str_eq(m->subject, "Question about invoice INV-2026-1142");
	ck_assert_str_eq(m->from, "Jane Doe <jane.doe@example.net>");
	ck_assert_str_eq(m->message_id, "20261130100211.4711@mail.example.net");
	ck_assert_ptr_null(m->in_reply_to);
	ck_assert_uint_eq(m->references.n, 0);
	ASSERT_CONTAINS(t, "charged twice for invoice INV-2026-1142");
	ck_assert(!m->truncated);
	ck_assert_uint_eq(m->notes.n, 0);
	/* headers in message order, Content-* included */
	ck_assert_str_eq(m->headers[0].name, "Date");
	const struct hd_header *ct = hd_message_header(m, "content-type");
	ck_assert_ptr_nonnull(ct);
	ck_assert_str_eq(ct->value, "text/plain; charset=us-ascii");
	ck_assert_ptr_null(hd_message_header(m, "X-Nothing"));
	free(t);
	hd_message_deinit(&m);
}
END_TEST

START_TEST(test_qp_soft_break)
{
	struct hd_message *m = parse_file("contrib/samples/02-qp-outage.eml");
	char *t = text_of(m);
	ASSERT_CONTAINS(t, "our site is down for every customer");
	ASSERT_CONTAINS(t, "Users see \"502");
	ASSERT_CONTAINS(t, "checkout \xe2\x80\x94 please");
	ASSERT_NOT_CONTAINS(t, "=\n");
	free(t);
	hd_message_deinit(&m);
}
END_TEST

START_TEST(test_base64_urgent)
{
	struct hd_message *m = parse_file("contrib/samples/03-base64-urgent.eml");
	char *t = text_of(m);
	ck_assert(strncmp(m->subject, "URGENT:", 7) == 0);
	ASSERT_CONTAINS(t, "We cannot log in to the admin console");
	free(t);
	hd_message_deinit(&m);
}
END_TEST

START_TEST(test_html_only)
{
	struct hd_message *m = parse_file("contrib/samples/04-html-only.eml");
	char *t = text_of(m);
	ck_assert_uint_eq(m->nparts, 1);
	ck_assert_str_eq(m->parts[0].content_type, "text/html");
	ASSERT_CONTAINS(t, "asked for a refund of order 5531");
	ASSERT_CONTAINS(t, "chargeback next");
	ASSERT_CONTAINS(t, "It\xe2\x80\x99s");
	ASSERT_CONTAINS(t, "isn't fixed");
	ASSERT_CONTAINS(t, "& shipping <free>");
	ASSERT_NOT_CONTAINS(t, "hidden");
	ASSERT_NOT_CONTAINS(t, "outage");
	ASSERT_NOT_CONTAINS(t, "<b>");
	free(t);
	hd_message_deinit(&m);
}
END_TEST

START_TEST(test_alternative)
{
	struct hd_message *m = parse_file("contrib/samples/05-multipart-alt.eml");
	ck_assert_uint_eq(m->nparts, 2);
	ck_assert_int_ge(m->parts[0].alt_group, 0);
	ck_assert_int_eq(m->parts[0].alt_group, m->parts[1].alt_group);
	ck_assert_str_eq(m->parts[0].content_type, "text/plain");
	ck_assert_str_eq(m->parts[1].content_type, "text/html");
	/* format=flowed joined */
	ASSERT_CONTAINS(m->parts[0].text, "Hello, the VAT number");
	ASSERT_CONTAINS(m->parts[0].text, "It should be SE556677889901.");
	char *t = text_of(m);
	/* only one alternative (the plain one) in the joined text */
	const char *first = strstr(t, "VAT number");
	ck_assert_ptr_nonnull(first);
	ck_assert_ptr_null(strstr(first + 1, "VAT number"));
	ck_assert_str_eq(t, m->parts[0].text);
	free(t);
	hd_message_deinit(&m);
}
END_TEST

START_TEST(test_charsets)
{
	struct hd_message *m = parse_file("contrib/samples/06-latin1.eml");
	char *t = text_of(m);
	ASSERT_CONTAINS(t, "d\xc3\xa9" "cembre est erron\xc3\xa9" "e");
	ASSERT_CONTAINS(t, "d\xc3\xa9j\xc3\xa0 pay\xc3\xa9");
	ck_assert_str_eq(m->subject, "Facture erron\xc3\xa9" "e");
	ck_assert_str_eq(m->from, "Ren\xc3\xa9" "e Dupr\xc3\xa9 <renee@example.net>");
	/* the raw value stays encoded */
	ASSERT_CONTAINS(hd_message_header(m, "Subject")->value, "=?ISO-8859-1?Q?");
	free(t);
	hd_message_deinit(&m);

	m = parse_file("contrib/samples/07-shift-jis-or-koi8.eml");
	t = text_of(m);
	/* 請求書の金額が間違っています */
	ASSERT_CONTAINS(t, "\xe8\xab\x8b\xe6\xb1\x82\xe6\x9b\xb8\xe3\x81\xae\xe9\x87\x91\xe9\xa1\x8d");
	/* RFC 2047 ISO-2022-JP subject: 請求書について */
	ck_assert_str_eq(m->subject, "\xe8\xab\x8b\xe6\xb1\x82\xe6\x9b\xb8\xe3\x81\xab"
				     "\xe3\x81\xa4\xe3\x81\x84\xe3\x81\xa6");
	free(t);
	hd_message_deinit(&m);
}
END_TEST

START_TEST(test_malformed_sample)
{
	struct hd_message *m = parse_file("contrib/samples/08-malformed.eml");
	char *t = text_of(m);
	ASSERT_CONTAINS(t, "export job fails");
	ASSERT_CONTAINS(t, "caf\xc3\xa9 branch");	/* x-unknown read as windows-1252 */
	ASSERT_CONTAINS(t, "the export still fails");	/* broken base64 decoded as far as it goes */
	ASSERT_CONTAINS(t, "unclosed tags");
	ck_assert(has_note(m, "x-unknown"));
	ck_assert(has_note(m, "closing MIME boundary is missing"));
	ck_assert(g_utf8_validate(t, -1, NULL));
	free(t);
	hd_message_deinit(&m);
}
END_TEST

START_TEST(test_forged_headers_visible)
{
	struct hd_message *m = parse_file("contrib/samples/09-forged-headers.eml");
	ck_assert_str_eq(hd_message_header(m, "x-helpdesk-priority")->value, "critical; rule=forged");
	ck_assert_str_eq(hd_message_header(m, "X-Helpdesk-Ticket")->name, "x-helpdesk-ticket");
	ck_assert_str_eq(hd_message_header(m, "x-helpdesk-team")->name, "X-HELPDESK-Team");
	hd_message_deinit(&m);
}
END_TEST

START_TEST(test_lawyer)
{
	struct hd_message *m = parse_file("contrib/samples/10-lawyer-threat.eml");
	char *t = text_of(m);
	ASSERT_CONTAINS(t, "my lawyer");
	ASSERT_CONTAINS(t, "chargeback");
	free(t);
	hd_message_deinit(&m);
}
END_TEST

START_TEST(test_thread_ids)
{
	struct hd_message *m = parse_file("contrib/samples/11-thread-reply.eml");
	ck_assert_str_eq(m->in_reply_to, "HD-20261130-0001.a1@support.example.com");
	ck_assert_uint_eq(m->references.n, 2);
	ck_assert_str_eq(m->references.v[0], "20261130100211.4711@mail.example.net");
	ck_assert_str_eq(m->references.v[1], "HD-20261130-0001.a1@support.example.com");
	/* folded References is unfolded */
	ck_assert_ptr_null(strchr(hd_message_header(m, "References")->value, '\n'));
	/* the customer's quoted history is in text, not in their own words */
	char *t = text_of(m);
	ASSERT_CONTAINS(t, "refunded the duplicate charge");
	ASSERT_NOT_CONTAINS(m->parts[0].agent_text, "refunded the duplicate charge");
	ASSERT_CONTAINS(m->parts[0].agent_text, "still on my card statement");
	ck_assert(m->parts[0].quote_found);
	free(t);
	hd_message_deinit(&m);
}
END_TEST

START_TEST(test_agent_replies)
{
	struct hd_message *m = parse_file("contrib/samples/12-agent-reply-calm-down.eml");
	ck_assert_uint_eq(m->nparts, 1);
	ASSERT_CONTAINS(m->parts[0].agent_text, "Please calm down.");
	ASSERT_NOT_CONTAINS(m->parts[0].agent_text, "not our fault");
	ASSERT_NOT_CONTAINS(m->parts[0].agent_text, "wrote:");
	ASSERT_CONTAINS(m->parts[0].text, "not our fault");
	ck_assert(m->parts[0].quote_found);
	ck_assert(!m->parts[0].quote_uncertain);
	hd_message_deinit(&m);

	m = parse_file("contrib/samples/13-agent-reply-clean.eml");
	ASSERT_CONTAINS(m->parts[0].agent_text, "refunded the\nduplicate payment of USD 49.00");
	ASSERT_NOT_CONTAINS(m->parts[0].agent_text, "Example Support");	/* signature */
	hd_message_deinit(&m);

	m = parse_file("contrib/samples/14-agent-reply-html-gmail.eml");
	ASSERT_CONTAINS(m->parts[0].agent_text, "We have reset the console sessions");
	ASSERT_NOT_CONTAINS(m->parts[0].agent_text, "Calm down");
	ASSERT_NOT_CONTAINS(m->parts[0].agent_text, "not our fault");
	ASSERT_CONTAINS(m->parts[0].text, "not our fault");
	ck_assert(m->parts[0].quote_found);
	hd_message_deinit(&m);
}
END_TEST

START_TEST(test_forwarded_and_attachments)
{
	struct hd_message *m = parse_file("tests/data/mime/forwarded-attachment.eml");
	char *t = text_of(m), *a = agent_of(m);
	ASSERT_CONTAINS(t, "Steps tried: refund requested");
	ASSERT_CONTAINS(t, "I will call my lawyer");		/* forwarded: for inbound */
	ASSERT_CONTAINS(a, "Summary: double charge");
	ASSERT_NOT_CONTAINS(a, "Calm down");			/* never the agent's words */
	ASSERT_NOT_CONTAINS(t, "attachment text");		/* attachments skipped */
	ASSERT_NOT_CONTAINS(t, "JVBER");
	ck_assert_uint_eq(m->nparts, 2);
	free(t);
	free(a);
	hd_message_deinit(&m);
}
END_TEST

START_TEST(test_outlook_nested_alternative)
{
	struct hd_message *m = parse_file("tests/data/mime/outlook-html-reply.eml");
	ck_assert_uint_eq(m->nparts, 2);
	ck_assert_int_eq(m->parts[0].alt_group, m->parts[1].alt_group);
	for (size_t i = 0; i < m->nparts; i++) {
		ASSERT_CONTAINS(m->parts[i].agent_text, "We refunded the charge today.");
		ASSERT_NOT_CONTAINS(m->parts[i].agent_text, "not our fault");
		ASSERT_CONTAINS(m->parts[i].text, "not our fault");
		ck_assert(m->parts[i].quote_found);
	}
	hd_message_deinit(&m);
}
END_TEST

START_TEST(test_flowed_delsp)
{
	struct hd_message *m = parse_file("tests/data/mime/flowed-delsp.eml");
	ASSERT_CONTAINS(m->parts[0].text, "The site is down since this morning and the data loss is serious.");
	ASSERT_CONTAINS(m->parts[0].text, "\n>not a quote, space-stuffed");
	ASSERT_NOT_CONTAINS(m->parts[0].agent_text, "Kim");
	hd_message_deinit(&m);
}
END_TEST

/* Build a message whose body is nested `depth` multiparts deep. */
static char *nested_message(int depth, size_t *len_r)
{
	struct strbuf sb;
	sb_init(&sb);
	sb_puts(&sb, "From: a@example.net\nSubject: deep\nMIME-Version: 1.0\n"
		     "Content-Type: multipart/mixed; boundary=\"b0\"\n\n");
	for (int i = 0; i < depth; i++)
		sb_printf(&sb, "--b%d\nContent-Type: multipart/mixed; boundary=\"b%d\"\n\n", i, i + 1);
	sb_printf(&sb, "--b%d\nContent-Type: text/plain\n\ndeepest words\n--b%d--\n", depth, depth);
	for (int i = depth; i-- > 0;)
		sb_printf(&sb, "--b%d--\n", i);
	*len_r = sb.len;
	return sb.s;
}

START_TEST(test_deep_nesting)
{
	size_t len;
	char *data = nested_message(200, &len);
	struct hd_message *m = hd_message_parse(data, len, NULL);
	ck_assert(m->truncated);
	ck_assert(has_note(m, "MIME depth limit 20 reached; deeper parts not inspected"));
	ck_assert_str_eq(m->subject, "deep");
	hd_message_deinit(&m);
	free(data);

	/* within the limit the deepest text is read */
	data = nested_message(5, &len);
	m = hd_message_parse(data, len, NULL);
	ck_assert(!m->truncated);
	ck_assert_uint_eq(m->nparts, 1);
	ASSERT_CONTAINS(m->parts[0].text, "deepest words");
	hd_message_deinit(&m);
	free(data);
}
END_TEST

START_TEST(test_many_headers)
{
	struct strbuf sb;
	sb_init(&sb);
	for (int i = 0; i < 10000; i++)
		sb_printf(&sb, "X-Filler-%d: value %d\n", i, i);
	sb_puts(&sb, "Subject: late\n\nbody\n");
	struct hd_message *m = hd_message_parse(sb.s, sb.len, NULL);
	ck_assert_uint_eq(m->nheaders, HD_LIMIT_HEADER_COUNT_DEFAULT);
	ck_assert(m->truncated);
	ck_assert(has_note(m, "header limit 1000 reached"));
	ck_assert_str_eq(m->headers[999].name, "X-Filler-999");
	ck_assert_str_eq(m->subject, "");	/* past the limit: not inspected */
	hd_message_deinit(&m);
	sb_free(&sb);
}
END_TEST

START_TEST(test_huge_header_line)
{
	struct strbuf sb;
	sb_init(&sb);
	sb_puts(&sb, "Subject: ");
	for (int i = 0; i < 1024 * 1024; i++)
		sb_putc(&sb, 'a' + i % 26);
	sb_puts(&sb, "\nFrom: x@example.net\n\nbody text\n");
	struct hd_message *m = hd_message_parse(sb.s, sb.len, NULL);
	ck_assert_uint_eq(strlen(hd_message_header(m, "Subject")->value), HD_LIMIT_HEADER_BYTES_DEFAULT);
	ck_assert_uint_le(strlen(m->subject), HD_LIMIT_HEADER_BYTES_DEFAULT);
	ck_assert(m->truncated);
	ck_assert(has_note(m, "header value longer than"));
	ck_assert_str_eq(m->from, "x@example.net");
	hd_message_deinit(&m);
	sb_free(&sb);
}
END_TEST

START_TEST(test_empty_and_garbage)
{
	struct hd_message *m = hd_message_parse("", 0, NULL);
	ck_assert_str_eq(m->subject, "");
	ck_assert_str_eq(m->from, "");
	ck_assert_ptr_null(m->message_id);
	ck_assert_uint_eq(m->nparts, 0);
	ck_assert(has_note(m, "empty"));
	char *t = hd_message_text(m);
	ck_assert_str_eq(t, "");
	free(t);
	hd_message_deinit(&m);

	m = hd_message_parse(NULL, 0, NULL);
	hd_message_deinit(&m);

	/* pseudo-random bytes */
	char buf[8192];
	unsigned x = 12345;
	for (size_t i = 0; i < sizeof(buf); i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (char)(x >> 16);
	}
	m = hd_message_parse(buf, sizeof(buf), NULL);
	for (size_t i = 0; i < m->nparts; i++)
		ck_assert(g_utf8_validate(m->parts[i].text, -1, NULL));
	for (size_t i = 0; i < m->nheaders; i++)
		ck_assert(g_utf8_validate(m->headers[i].decoded, -1, NULL));
	hd_message_deinit(&m);
}
END_TEST

START_TEST(test_nul_bytes_and_truncation)
{
	static const char msg[] = "Subject: nul\nContent-Type: text/plain\n\nbefore\0after calm down\n";
	struct hd_message *m = hd_message_parse(msg, sizeof(msg) - 1, NULL);
	ck_assert_uint_eq(m->nparts, 1);
	ASSERT_CONTAINS(m->parts[0].text, "after calm down");
	hd_message_deinit(&m);

	/* every prefix of a multipart sample parses */
	size_t len;
	char *data = slurp("contrib/samples/05-multipart-alt.eml", &len);
	for (size_t cut = 0; cut <= len; cut += 7) {
		m = hd_message_parse(data, cut, NULL);
		ck_assert_ptr_nonnull(m->subject);
		hd_message_deinit(&m);
	}
	m = hd_message_parse(data, len / 2 + 40, NULL);
	ck_assert(has_note(m, "closing MIME boundary"));
	hd_message_deinit(&m);
	free(data);
}
END_TEST

START_TEST(test_limits)
{
	struct hd_limits lim;
	size_t len;
	char *data = slurp("contrib/samples/10-lawyer-threat.eml", &len);

	/* decoded text limit */
	hd_limits_init(&lim);
	lim.text_bytes = 20;
	struct hd_message *m = hd_message_parse(data, len, &lim);
	ck_assert_uint_eq(strlen(m->parts[0].text), 20);
	ck_assert(m->truncated);
	ck_assert(has_note(m, "decoded text limit of 20 bytes"));
	hd_message_deinit(&m);

	/* message bytes limit */
	hd_limits_init(&lim);
	lim.message_bytes = len - 40;
	m = hd_message_parse(data, len, &lim);
	ck_assert(m->truncated);
	ck_assert(has_note(m, "only the first"));
	ASSERT_NOT_CONTAINS(m->parts[0].text, "Frank Miller");
	hd_message_deinit(&m);
	free(data);

	/* part count limit */
	data = slurp("tests/data/mime/forwarded-attachment.eml", &len);
	hd_limits_init(&lim);
	lim.mime_parts = 2;
	m = hd_message_parse(data, len, &lim);
	ck_assert(m->truncated);
	ck_assert(has_note(m, "MIME part limit 2 reached"));
	ck_assert_uint_eq(m->nparts, 1);
	hd_message_deinit(&m);
	free(data);

	/* header byte limit cuts on a UTF-8 boundary */
	static const char h[] = "Subject: \xc3\xa9\xc3\xa9\xc3\xa9\n\nx\n";
	hd_limits_init(&lim);
	lim.header_bytes = 5;
	m = hd_message_parse(h, sizeof(h) - 1, &lim);
	ck_assert_str_eq(hd_message_header(m, "Subject")->value, "\xc3\xa9\xc3\xa9");
	ck_assert_str_eq(m->subject, "\xc3\xa9\xc3\xa9");
	ck_assert(m->truncated);
	hd_message_deinit(&m);
}
END_TEST

START_TEST(test_parse_fd)
{
	size_t len;
	char *data = slurp("contrib/samples/02-qp-outage.eml", &len);
	int p[2];

	/* a regular file: read from offset 0 whatever the position */
	char *path = xasprintf("%s/contrib/samples/02-qp-outage.eml", srcdir());
	int fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert(lseek(fd, 100, SEEK_SET) == 100);
	struct hd_message *m = hd_message_parse_fd(fd, NULL);
	ck_assert_str_eq(m->subject, "Checkout broken for all users");
	close(fd);
	hd_message_deinit(&m);
	free(path);

	/* a pipe */
	ck_assert_int_eq(pipe(p), 0);
	ck_assert(write(p[1], data, len) == (ssize_t)len);
	close(p[1]);
	m = hd_message_parse_fd(p[0], NULL);
	close(p[0]);
	ASSERT_CONTAINS(m->parts[0].text, "site is down");
	hd_message_deinit(&m);

	/* a bad descriptor still gives a message with a note */
	m = hd_message_parse_fd(-1, NULL);
	ck_assert(m->truncated);
	ck_assert(has_note(m, "reading the message failed"));
	hd_message_deinit(&m);
	free(data);
}
END_TEST

START_TEST(test_no_content_type_8bit)
{
	static const char msg[] = "From: x@example.net\nSubject: =?bogus?q?abc?=\n\ncaf\xe9 au lait\n";
	struct hd_message *m = hd_message_parse(msg, sizeof(msg) - 1, NULL);
	ASSERT_CONTAINS(m->parts[0].text, "caf\xc3\xa9 au lait");
	ck_assert(has_note(m, "without a charset"));
	ck_assert(g_utf8_validate(m->subject, -1, NULL));
	hd_message_deinit(&m);
}
END_TEST

/* Thread body: parse every sample a few times, count wrong results. */
static void *parse_worker(void *arg)
{
	long bad = 0;

	for (int round = 0; round < 5; round++)
		for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
			char *rel = xasprintf("contrib/samples/%s", samples[i]);
			struct hd_message *m = parse_file(rel);
			if (m->nparts == 0 || m->subject[0] == '\0')
				bad++;
			if (i == 6 && strstr(m->parts[0].text, "\xe8\xab\x8b\xe6\xb1\x82") == NULL)
				bad++;	/* Shift_JIS through iconv in parallel */
			hd_message_deinit(&m);
			free(rel);
		}
	(void)arg;
	return (void *)bad;
}

START_TEST(test_threads)
{
	pthread_t th[4];
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, parse_worker, NULL), 0);
	for (int i = 0; i < 4; i++) {
		void *bad;
		pthread_join(th[i], &bad);
		ck_assert_int_eq((long)bad, 0);
	}
}
END_TEST

/* Messages the one-part fast path (mime-fast.c) must read exactly as GMime
   does, or leave to GMime: edge cases of its header scan, Content-Type,
   Content-Disposition and transfer encodings. true: the fast path reads it. */
#define FAST_CASE(simple, lit) { simple, lit, sizeof(lit) - 1 }
static const struct {
	bool simple;
	const char *msg;
	size_t len;
} fast_cases[] = {
	FAST_CASE(true, "From: a@b\nSubject: hi\n\nbody\n"),
	FAST_CASE(true, "From: a@b\nSubject:   padded value   \n\nbody"),
	FAST_CASE(true, "Subject: folded\n\tover two\n   lines\n\nx\n"),
	FAST_CASE(true, "Subject: =?utf-8?q?caf=C3=A9?=\n\nencoded word\n"),
	FAST_CASE(true, "Subject:\n\nempty subject\n"),
	FAST_CASE(true, "Subject: x\n\n"),
	FAST_CASE(true, "X-A: 1\nContent-Type: text/plain; charset=\"iso-8859-1\"\n\ncaf\xe9\n"),
	FAST_CASE(true, "Content-Type: text/plain;\n\tcharset=utf-8; format=flowed; delsp=yes\n\n"
		"soft \nbreak\n> quoted \n> more\n"),
	FAST_CASE(true, "Content-Type: TEXT/PLAIN; CHARSET=windows-1252\n\n\x93quoted\x94\n"),
	FAST_CASE(true, "Content-Type: text/plain; charset=utf-8\n\nbad \xff utf-8\n"),
	FAST_CASE(true, "Content-Type: text/plain; charset=x-unknown\n\nunknown \xe9\n"),
	FAST_CASE(true, "Content-Type: text/plain; charset=koi8-r\n\n\xf0\xd2\xc9\xd7\xc5\xd4\n"),
	FAST_CASE(true, "Content-Type: text/plain; charset=utf-16le\n\nh\0i\0\n\0"),
	FAST_CASE(true, "Content-Type: text/html; charset=utf-8\n\n<p>Hello <b>there</b></p>"
		"<blockquote>old</blockquote>\n"),
	FAST_CASE(true, "Content-Type: text/csv\n\na,b\n"),
	FAST_CASE(true, "Content-Type: text/plain\nContent-Disposition: attachment; filename=a.txt\n\nx\n"),
	FAST_CASE(true, "Content-Type: text/plain\nContent-Disposition: inline\n\nshown\n"),
	FAST_CASE(true, "Content-Transfer-Encoding: quoted-printable\n\nsoft=\nbreak =3D caf=C3=A9=\n"),
	FAST_CASE(true, "Content-Transfer-Encoding: Base64\n\naGVsbG8gd29ybGQK\n"),
	FAST_CASE(true, "Content-Transfer-Encoding: base64\n\naGVsbG8*gd29y!bGQK==junk\n"),
	FAST_CASE(true, "Content-Transfer-Encoding: 8bit\n\nnul\0byte\n"),
	FAST_CASE(true, "Subject: dashes\n\n--\n-- \n--x\n--y\n--z\n"),
	FAST_CASE(true, "Message-ID: <a@b>\nIn-Reply-To: <c@d> <e@f>\nReferences: <x@y>\n\t<c@d>\n\nx\n"),
	FAST_CASE(true, "Message-ID: not an id\nIn-Reply-To: garbage\n\nx\n"),
	FAST_CASE(false, "Subject: no blank line\n"),
	FAST_CASE(false, "Subject: headers only\nFrom: a"),
	FAST_CASE(true, "Subject: caf\xc3\xa9 raw 8-bit\nFrom: J\xfcrgen <j@x>\n\nx\n"),
	FAST_CASE(true, "Subject: =?utf-8?q?x?= caf\xc3\xa9\n\tfolded \xe9\n\nx\n"),
	FAST_CASE(false, "X-\xc3\xa9: 8-bit name\n\nx\n"),
	FAST_CASE(false, "Subject : space before colon\n\nx\n"),
	FAST_CASE(false, " leading fold\nSubject: x\n\nx\n"),
	FAST_CASE(false, "Subject: x\n \nblank fold\n\nx\n"),
	FAST_CASE(false, "no header at all\n\nx\n"),
	FAST_CASE(false, ": no name\nSubject: x\n\nx\n"),
	FAST_CASE(false, "Content-Type: text/plain; charset=\"utf 8\"\n\nx\n"),
	FAST_CASE(false, "Content-Type: text/plain; charset*=utf-8''x\n\nx\n"),
	FAST_CASE(false, "Content-Type: text/plain;\n\nx\n"),
	FAST_CASE(false, "Content-Type: text/plain (comment)\n\nx\n"),
	FAST_CASE(false, "Content-Type: text/plain\nContent-Type: text/html\n\nx\n"),
	FAST_CASE(false, "Content-Type: text\n\nx\n"),
	FAST_CASE(false, "Content-Type: multipart/mixed; boundary=b\n\n--b\n\nx\n--b--\n"),
	FAST_CASE(true, "Content-Type: multipart/alternative; boundary=\"----=_Part_1.2\"\n\n"
		  "preamble\n------=_Part_1.2\nContent-Type: text/plain; charset=utf-8\n\n"
		  "plain words\n\n------=_Part_1.2\nContent-Type: text/html\n"
		  "Content-Transfer-Encoding: quoted-printable\n\n<p>html =3D words</p>\n"
		  "------=_Part_1.2--\nepilogue\n"),
	FAST_CASE(true, "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\n"
		  "one\n--b\nContent-Type: application/pdf; name=\"the invoice.pdf\"\n"
		  "Content-Disposition: attachment; filename=\"the invoice.pdf\"\n"
		  "Content-Transfer-Encoding: base64\n\nJVBERi0=\n--b\n"
		  "Content-Type: text/plain\nContent-Disposition: attachment\n\nnot shown\n--b\n"
		  "Content-Type: text/html\n\n<b>two</b>\n--b--\n"),
	FAST_CASE(true, "Content-Type: multipart/alternative; boundary=b\n\n--b\nContent-Type: text/plain\n\n"
		  "\n\n--b\nContent-Type: text/plain\n\n--c\n--b--\n"),
	FAST_CASE(false, "Content-Type: multipart/alternative; boundary=b\n\n--b\nContent-Type: text/plain\n\n"
		  "close at the end without a newline\n--b--"),
	FAST_CASE(false, "Content-Type: multipart/alternative; boundary=b\n\n--b\nContent-Type: text/plain\n\n"
		  "--b not a delimiter\n--b--\n"),
	FAST_CASE(false, "Content-Type: multipart/alternative; boundary=b\n\n--b\nContent-Type: text/plain\n\n"
		  "no close\n"),
	FAST_CASE(false, "Content-Type: multipart/alternative; boundary=b\n\n--b\nContent-Type: text/plain\n\n"
		  "x\n--bb\n--b--\n"),
	FAST_CASE(false, "Content-Type: multipart/alternative; boundary=b\n\n--b\nContent-Type: text/plain\n\n"
		  "x\n--b--\n--b\n"),
	FAST_CASE(false, "Content-Type: multipart/mixed; boundary=a\n\n--a\n"
		  "Content-Type: multipart/alternative; boundary=b\n\n--b\nContent-Type: text/plain\n\n"
		  "x\n--b--\n--a--\n"),
	FAST_CASE(false, "Content-Type: multipart/mixed; boundary=a\n\n--a\nContent-Type: message/rfc822\n\n"
		  "Subject: inner\n\nx\n--a--\n"),
	FAST_CASE(false, "Content-Type: multipart/mixed; boundary=a\n\n--a\nContent-Type: text/plain\n\n--a--\n"),
	FAST_CASE(false, "Content-Type: multipart/mixed; boundary=a\n\n--a\n--a\nContent-Type: text/plain\n\nx\n--a--\n"),
	FAST_CASE(false, "Content-Type: multipart/digest; boundary=a\n\n--a\nContent-Type: text/plain\n\nx\n--a--\n"),
	FAST_CASE(false, "Content-Type: multipart/mixed; boundary=\"a b\"\n\n--a b\nContent-Type: text/plain\n\nx\n--a b--\n"),
	FAST_CASE(false, "Content-Type: message/rfc822\n\nSubject: inner\n\nx\n"),
	FAST_CASE(false, "Content-Type: application/octet-stream\n\nx\n"),
	FAST_CASE(false, "Content-Transfer-Encoding: x-uuencode\n\nx\n"),
	FAST_CASE(false, "Content-Transfer-Encoding: 7bit; junk\n\nx\n"),
	FAST_CASE(false, "Content-Disposition: attachment filename\n\nx\n"),
	FAST_CASE(false, "Subject: nul\0in header\n\nx\n"),
	FAST_CASE(false, "Subject: bare\rcr\n\nx\n"),
};

/* The message with every LF that lacks a CR turned into CRLF. */
static char *with_crlf(const char *s, size_t len, size_t *len_r)
{
	struct strbuf sb;

	sb_init(&sb);
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
			sb_putc(&sb, '\r');
		sb_putc(&sb, s[i]);
	}
	*len_r = sb.len;
	return sb.s;
}

/* hd_message_parse() and the GMime reader agree on data, under the default
   limits and under small ones. */
static void assert_same_as_gmime(const char *what, const char *data, size_t len)
{
	struct hd_limits lims[6];

	hd_limits_init(&lims[0]);
	lims[1] = lims[0];
	lims[1].header_count = 2;
	lims[1].header_bytes = 5;
	lims[1].text_bytes = 7;
	lims[2] = lims[0];
	lims[2].mime_parts = 0;
	lims[3] = lims[0];
	lims[3].mime_parts = 1;
	lims[4] = lims[0];
	lims[4].mime_parts = 3;
	lims[5] = lims[0];
	lims[5].mime_depth = 0;
	for (size_t l = 0; l < sizeof(lims) / sizeof(lims[0]); l++) {
		struct hd_message *a = hd_message_parse(data, len, &lims[l]);
		struct hd_message *b = hd_message_parse_gmime(data, len, &lims[l]);
		const char *d = hd_message_diff(a, b);
		ck_assert_msg(d == NULL, "%s (limits %zu): %s differs from GMime's", what, l, d);
		hd_message_deinit(&a);
		hd_message_deinit(&b);
	}
}

START_TEST(test_fast_same_as_gmime)
{
	const char *msg = fast_cases[_i].msg;
	size_t len = fast_cases[_i].len, clen;
	char *crlf, *what;

	crlf = with_crlf(msg, len, &clen);
	what = xasprintf("case %d", _i);
	ck_assert_msg(hd_mime_is_simple(msg, len) == fast_cases[_i].simple,
		      "%s: the fast path %s it", what, fast_cases[_i].simple ? "refused" : "took");
	ck_assert_msg(hd_mime_is_simple(crlf, clen) == fast_cases[_i].simple,
		      "%s with CRLF: the fast path %s it", what,
		      fast_cases[_i].simple ? "refused" : "took");
	assert_same_as_gmime(what, msg, len);
	assert_same_as_gmime(what, crlf, clen);
	free(what);
	free(crlf);
}
END_TEST

START_TEST(test_fast_samples_same_as_gmime)
{
	static const char *const more[] = { "tests/data/mime/flowed-delsp.eml",
					    "tests/data/mime/forwarded-attachment.eml",
					    "tests/data/mime/outlook-html-reply.eml" };
	size_t nsamples = sizeof(samples) / sizeof(samples[0]), simple = 0;

	for (size_t i = 0; i < nsamples + sizeof(more) / sizeof(more[0]); i++) {
		char *rel = i < nsamples ? xasprintf("contrib/samples/%s", samples[i])
					 : xstrdup(more[i - nsamples]);
		size_t len, clen;
		char *data = slurp(rel, &len);
		char *crlf = with_crlf(data, len, &clen);

		simple += hd_mime_is_simple(data, len);
		assert_same_as_gmime(rel, data, len);
		assert_same_as_gmime(rel, crlf, clen);
		free(crlf);
		free(data);
		free(rel);
	}
	ck_assert_msg(simple >= 5, "only %zu samples take the fast path", simple);
}
END_TEST

START_TEST(test_message_diff)
{
	const char *m = "Subject: a\nIn-Reply-To: <x@y>\n\nhello\n";
	struct hd_message *a = hd_message_parse(m, strlen(m), NULL);
	struct hd_message *b = hd_message_parse(m, strlen(m), NULL);

	ck_assert_ptr_null(hd_message_diff(a, b));
	free(b->parts[0].text);
	b->parts[0].text = xstrdup("hellO\n");
	ck_assert_str_eq(hd_message_diff(a, b), "part text");
	hd_message_deinit(&b);
	b = hd_message_parse(m, strlen(m), NULL);
	free(b->headers[0].decoded);
	b->headers[0].decoded = xstrdup("b");
	ck_assert_str_eq(hd_message_diff(a, b), "decoded header value");
	hd_message_deinit(&b);
	b = hd_message_parse(m, strlen(m), NULL);
	sv_push(&b->notes, "one more");
	ck_assert_str_eq(hd_message_diff(a, b), "notes");
	hd_message_deinit(&b);
	b = hd_message_parse(m, strlen(m), NULL);
	free(b->in_reply_to);
	b->in_reply_to = NULL;
	ck_assert_str_eq(hd_message_diff(a, b), "thread ids");
	hd_message_deinit(&a);
	hd_message_deinit(&b);
}
END_TEST

/* All test cases. */
static Suite *mime_suite(void)
{
	Suite *s = suite_create("mime");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_every_sample_parses, 0, sizeof(samples) / sizeof(samples[0]));
	tcase_add_test(tc, test_plain_and_headers);
	tcase_add_test(tc, test_qp_soft_break);
	tcase_add_test(tc, test_base64_urgent);
	tcase_add_test(tc, test_html_only);
	tcase_add_test(tc, test_alternative);
	tcase_add_test(tc, test_charsets);
	tcase_add_test(tc, test_malformed_sample);
	tcase_add_test(tc, test_forged_headers_visible);
	tcase_add_test(tc, test_lawyer);
	tcase_add_test(tc, test_thread_ids);
	tcase_add_test(tc, test_agent_replies);
	tcase_add_test(tc, test_forwarded_and_attachments);
	tcase_add_test(tc, test_outlook_nested_alternative);
	tcase_add_test(tc, test_flowed_delsp);
	tcase_add_test(tc, test_deep_nesting);
	tcase_add_test(tc, test_many_headers);
	tcase_add_test(tc, test_huge_header_line);
	tcase_add_test(tc, test_empty_and_garbage);
	tcase_add_test(tc, test_nul_bytes_and_truncation);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_parse_fd);
	tcase_add_test(tc, test_no_content_type_8bit);
	tcase_add_test(tc, test_threads);
	tcase_add_loop_test(tc, test_fast_same_as_gmime, 0, sizeof(fast_cases) / sizeof(fast_cases[0]));
	tcase_add_test(tc, test_fast_samples_same_as_gmime);
	tcase_add_test(tc, test_message_diff);
	suite_add_tcase(s, tc);
	return s;
}

/* Run the suite; exit status non-zero when a check failed. */
int main(void)
{
	int failed;

	hd_mime_init();
	failed = hd_check_run(mime_suite());
	g_mime_shutdown();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/*
 * test-seal - X-Helpdesk-Seal: a sealed message verifies, also when an MTA
 * folds the headers; an altered value, a removed or added stamp, reordered
 * stamps, an unknown key id and a forged seal all fail with their own result;
 * after a key rotation old mail still verifies with the old key; key files
 * are checked.
 */
#include <config.h>

#include <check.h>
#include "check-run.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "seal.h"

#define SECRET1 "0123456789abcdef-one"
#define SECRET2 "fedcba9876543210-two"

/* The stamps the milter would write, as name/value pairs. */
static void stamps(struct strvec *h)
{
	sv_init(h);
	sv_push(h, "X-Helpdesk-Policy"); sv_push(h, "acme-support v3");
	sv_push(h, "X-Helpdesk-Ticket"); sv_push(h, "HD-7K2M9QX4TB");
	sv_push(h, "X-Helpdesk-Team"); sv_push(h, "billing");
	sv_push(h, "X-Helpdesk-Priority"); sv_push(h, "critical; rule=outage; words=outage");
	sv_push(h, "X-OTRS-Priority"); sv_push(h, "5 very high");	/* not ours: not signed */
	sv_push(h, "X-Helpdesk-Resolution-Due"); sv_push(h, "2026-11-30T20:00:00Z");
}

/* A delivered message: original headers, the stamps, then the seal. */
static char *sealed_message(const struct hd_seal_key *k)
{
	struct strvec h;
	struct strbuf sb;
	char *seal;

	stamps(&h);
	seal = hd_seal_make(k, &h, "<abc@customer.example>");
	sb_init(&sb);
	sb_puts(&sb, "From: pat@customer.example\r\nMessage-ID: <abc@customer.example>\r\nSubject: down\r\n");
	for (size_t i = 0; i + 1 < h.n; i += 2)
		sb_printf(&sb, "%s: %s\r\n", h.v[i], h.v[i + 1]);
	sb_printf(&sb, "X-Helpdesk-Seal: %s\r\n\r\nbody\r\n", seal);
	free(seal);
	sv_free(&h);
	return sb_steal(&sb);
}

/* Verify msg with keys; returns the result, detail printed for diagnosis. */
static enum hd_seal_result check(struct hd_seal_key *const *keys, size_t n, const char *msg)
{
	char *detail = NULL, *kid = NULL;
	enum hd_seal_result r = hd_seal_verify(keys, n, msg, strlen(msg), &kid, &detail);

	fprintf(stderr, "%s: %s\n", hd_seal_result_name(r), detail ? detail : "");
	free(detail);
	free(kid);
	return r;
}

/* Replace the first occurrence of from by to in *s. */
static void replace(char **s, const char *from, const char *to)
{
	char *p = strstr(*s, from);
	char *n;

	ck_assert_ptr_nonnull(p);
	n = xasprintf("%.*s%s%s", (int)(p - *s), *s, to, p + strlen(from));
	free(*s);
	*s = n;
}

START_TEST(test_good)
{
	struct hd_seal_key *k = hd_seal_key_new("k1", SECRET1, strlen(SECRET1));
	char *m = sealed_message(k);

	ck_assert(strstr(m, "X-Helpdesk-Seal: v=1; k=k1; h=X-Helpdesk-Policy:X-Helpdesk-Ticket:"
			    "X-Helpdesk-Team:X-Helpdesk-Priority:X-Helpdesk-Resolution-Due:Message-ID; s=") != NULL);
	ck_assert_int_eq(check(&k, 1, m), HD_SEAL_OK);
	/* An MTA folding a long header keeps the seal good. */
	replace(&m, "critical; rule=outage; ", "critical;\r\n\trule=outage;   ");
	ck_assert_int_eq(check(&k, 1, m), HD_SEAL_OK);
	/* Headers outside X-Helpdesk-* may change. */
	replace(&m, "X-OTRS-Priority: 5 very high", "X-OTRS-Priority: 1 very low");
	ck_assert_int_eq(check(&k, 1, m), HD_SEAL_OK);
	free(m);
	hd_seal_key_free(&k);
	ck_assert_ptr_null(k);
}
END_TEST

START_TEST(test_altered_value)
{
	struct hd_seal_key *k = hd_seal_key_new("k1", SECRET1, strlen(SECRET1));
	char *m = sealed_message(k);
	char *m2 = xstrdup(m);

	replace(&m, "X-Helpdesk-Priority: critical", "X-Helpdesk-Priority: standard");
	ck_assert_int_eq(check(&k, 1, m), HD_SEAL_BAD);
	/* The Message-ID is signed too: a stamp moved to another message fails. */
	replace(&m2, "Message-ID: <abc@", "Message-ID: <other@");
	ck_assert_int_eq(check(&k, 1, m2), HD_SEAL_BAD);
	free(m);
	free(m2);
	hd_seal_key_free(&k);
}
END_TEST

START_TEST(test_removed_or_added_header)
{
	struct hd_seal_key *k = hd_seal_key_new("k1", SECRET1, strlen(SECRET1));
	char *m = sealed_message(k), *m2 = xstrdup(m);

	replace(&m, "X-Helpdesk-Resolution-Due: 2026-11-30T20:00:00Z\r\n", "");
	ck_assert_int_eq(check(&k, 1, m), HD_SEAL_HEADERS_DIFFER);
	replace(&m2, "Subject: down\r\n", "Subject: down\r\nX-Helpdesk-Priority: low\r\n");
	ck_assert_int_eq(check(&k, 1, m2), HD_SEAL_HEADERS_DIFFER);
	free(m);
	free(m2);
	hd_seal_key_free(&k);
}
END_TEST

START_TEST(test_reordered_headers)
{
	struct hd_seal_key *k = hd_seal_key_new("k1", SECRET1, strlen(SECRET1));
	char *m = sealed_message(k), *m2 = xstrdup(m);

	/* Stamps moved: Team after Priority. */
	replace(&m, "X-Helpdesk-Team: billing\r\n", "");
	replace(&m, "X-Helpdesk-Resolution-Due", "X-Helpdesk-Team: billing\r\nX-Helpdesk-Resolution-Due");
	ck_assert_int_eq(check(&k, 1, m), HD_SEAL_HEADERS_DIFFER);
	/* The h= list reordered to match: the MAC fails. */
	replace(&m2, "h=X-Helpdesk-Policy:X-Helpdesk-Ticket", "h=X-Helpdesk-Ticket:X-Helpdesk-Policy");
	replace(&m2, "X-Helpdesk-Policy: acme-support v3\r\nX-Helpdesk-Ticket: HD-7K2M9QX4TB",
		"X-Helpdesk-Ticket: HD-7K2M9QX4TB\r\nX-Helpdesk-Policy: acme-support v3");
	ck_assert_int_eq(check(&k, 1, m2), HD_SEAL_BAD);
	free(m);
	free(m2);
	hd_seal_key_free(&k);
}
END_TEST

START_TEST(test_wrong_key)
{
	struct hd_seal_key *k1 = hd_seal_key_new("k1", SECRET1, strlen(SECRET1));
	struct hd_seal_key *other = hd_seal_key_new("k1", SECRET2, strlen(SECRET2));
	struct hd_seal_key *k9 = hd_seal_key_new("k9", SECRET1, strlen(SECRET1));
	char *m = sealed_message(k1);

	ck_assert_int_eq(check(&k9, 1, m), HD_SEAL_UNKNOWN_KEY);
	ck_assert_int_eq(check(&other, 1, m), HD_SEAL_BAD);	/* forged with a guessed key */
	replace(&m, "k=k1;", "k=k9;");				/* key id changed: signed too */
	ck_assert_int_eq(check(&k9, 1, m), HD_SEAL_BAD);
	free(m);
	hd_seal_key_free(&k1);
	hd_seal_key_free(&other);
	hd_seal_key_free(&k9);
}
END_TEST

START_TEST(test_rotated_key)
{
	struct hd_seal_key *keys[2] = { hd_seal_key_new("k2", SECRET2, strlen(SECRET2)),
					hd_seal_key_new("k1", SECRET1, strlen(SECRET1)) };
	char *old = sealed_message(keys[1]), *new = sealed_message(keys[0]);

	ck_assert_int_eq(check(keys, 2, old), HD_SEAL_OK);
	ck_assert_int_eq(check(keys, 2, new), HD_SEAL_OK);
	ck_assert_int_eq(check(keys, 1, old), HD_SEAL_UNKNOWN_KEY);	/* k1 retired */
	free(old);
	free(new);
	hd_seal_key_free(&keys[0]);
	hd_seal_key_free(&keys[1]);
}
END_TEST

START_TEST(test_none_and_malformed)
{
	struct hd_seal_key *k = hd_seal_key_new("k1", SECRET1, strlen(SECRET1));
	char *m = sealed_message(k);

	ck_assert_int_eq(check(&k, 1, "From: a@b\r\n\r\nhi\r\n"), HD_SEAL_NONE);
	replace(&m, "X-Helpdesk-Seal: v=1;", "X-Helpdesk-Seal: v=1; k=k1; s=AAAA\r\nX-Helpdesk-Seal: v=1;");
	ck_assert_int_eq(check(&k, 1, m), HD_SEAL_MALFORMED);
	ck_assert_int_eq(check(&k, 1, "X-Helpdesk-Seal: v=2; k=k1; h=Message-ID; s=x\r\n\r\n"),
			 HD_SEAL_MALFORMED);
	free(m);
	hd_seal_key_free(&k);
}
END_TEST

START_TEST(test_key_file)
{
	char path[] = "/tmp/test-seal-XXXXXX";
	int fd = mkstemp(path);
	char *err = NULL;
	struct hd_seal_key *k;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, SECRET1 "\n", strlen(SECRET1) + 1), (ssize_t)strlen(SECRET1) + 1);
	close(fd);
	chmod(path, 0600);
	k = hd_seal_key_load("k1", path, &err);
	ck_assert_ptr_nonnull(k);
	ck_assert_uint_eq(k->len, strlen(SECRET1));	/* newline dropped */
	hd_seal_key_free(&k);
	ck_assert_ptr_null(hd_seal_key_load("bad id", path, &err));
	ck_assert(strstr(err, "bad seal key id") != NULL);
	free(err);
	err = NULL;
	chmod(path, 0644);
	ck_assert_ptr_null(hd_seal_key_load("k1", path, &err));
	ck_assert(strstr(err, "readable by everyone") != NULL);
	free(err);
	err = NULL;
	fd = open(path, O_WRONLY | O_TRUNC);
	ck_assert_int_eq(write(fd, "short\n", 6), 6);
	close(fd);
	chmod(path, 0600);
	ck_assert_ptr_null(hd_seal_key_load("k1", path, &err));
	ck_assert(strstr(err, "holds 5 bytes") != NULL);
	free(err);
	unlink(path);
}
END_TEST

/* Suite of this module. */
static Suite *suite(void)
{
	Suite *s = suite_create("seal");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_good);
	tcase_add_test(tc, test_altered_value);
	tcase_add_test(tc, test_removed_or_added_header);
	tcase_add_test(tc, test_reordered_headers);
	tcase_add_test(tc, test_wrong_key);
	tcase_add_test(tc, test_rotated_key);
	tcase_add_test(tc, test_none_and_malformed);
	tcase_add_test(tc, test_key_file);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return hd_check_run(suite()) == 0 ? 0 : 1;
}

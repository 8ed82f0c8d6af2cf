/*
 * test-net - CIDR parsing and matching for trusted_networks.
 */
#include <config.h>
#include "net.h"
#include "util.h"

#include <check.h>
#include "check-run.h"
#include <stdlib.h>
#include <string.h>

/* Parse a list that must be valid. */
static struct hd_netlist *parse_ok(const char *const *v, size_t n)
{
	char *error = NULL;
	struct hd_netlist *l = hd_netlist_parse(v, n, &error);

	ck_assert_msg(l != NULL, "parse failed: %s", error ? error : "?");
	ck_assert_ptr_null(error);
	return l;
}

/* Parse a single CIDR that must be refused; returns the error text. */
static char *parse_bad(const char *cidr)
{
	char *error = NULL;
	struct hd_netlist *l = hd_netlist_parse(&cidr, 1, &error);

	ck_assert_msg(l == NULL, "'%s' accepted", cidr);
	ck_assert_ptr_nonnull(error);
	return error;
}

START_TEST(test_loopback)
{
	struct hd_netlist *l = hd_netlist_loopback();

	ck_assert_uint_eq(hd_netlist_count(l), 2);
	ck_assert(hd_netlist_contains(l, "127.0.0.1"));
	ck_assert(hd_netlist_contains(l, "127.255.1.2"));
	ck_assert(hd_netlist_contains(l, "::1"));
	ck_assert(hd_netlist_contains(l, "::ffff:127.0.0.1"));
	ck_assert(hd_netlist_contains(l, "[127.0.0.1]"));
	ck_assert(hd_netlist_contains(l, "[IPv6:::1]"));
	ck_assert(!hd_netlist_contains(l, "128.0.0.1"));
	ck_assert(!hd_netlist_contains(l, "10.0.0.1"));
	ck_assert(!hd_netlist_contains(l, "::2"));
	ck_assert(!hd_netlist_contains(l, "localhost"));
	ck_assert(!hd_netlist_contains(l, ""));
	ck_assert(!hd_netlist_contains(l, NULL));
	hd_netlist_deinit(&l);
	ck_assert_ptr_null(l);
}
END_TEST

START_TEST(test_v4_prefixes)
{
	static const char *const v[] = { "10.0.0.0/8", " 192.168.1.128/25 ", "203.0.113.7",
					 "198.51.100.77/24" };
	struct hd_netlist *l = parse_ok(v, 4);

	ck_assert(hd_netlist_contains(l, "10.200.3.4"));
	ck_assert(!hd_netlist_contains(l, "11.0.0.1"));
	ck_assert(hd_netlist_contains(l, "192.168.1.128"));
	ck_assert(hd_netlist_contains(l, "192.168.1.255"));
	ck_assert(!hd_netlist_contains(l, "192.168.1.127"));
	ck_assert(hd_netlist_contains(l, "203.0.113.7"));
	ck_assert(!hd_netlist_contains(l, "203.0.113.8"));
	/* host bits in the network are masked: 198.51.100.77/24 = 198.51.100.0/24 */
	ck_assert(hd_netlist_contains(l, "198.51.100.1"));
	ck_assert(!hd_netlist_contains(l, "198.51.101.1"));
	/* no IPv4 entry matches IPv6 */
	ck_assert(!hd_netlist_contains(l, "2001:db8::1"));
	ck_assert(!hd_netlist_contains(l, "127.0.0.1"));
	hd_netlist_deinit(&l);
}
END_TEST

START_TEST(test_v6_prefixes)
{
	static const char *const v[] = { "2001:db8::/32", "fe80::1/128", "::/0" };
	struct hd_netlist *l = parse_ok(v, 2);

	ck_assert(hd_netlist_contains(l, "2001:db8:ffff::1"));
	ck_assert(hd_netlist_contains(l, "2001:DB8::abcd"));
	ck_assert(!hd_netlist_contains(l, "2001:db9::1"));
	ck_assert(hd_netlist_contains(l, "fe80::1"));
	ck_assert(!hd_netlist_contains(l, "fe80::2"));
	ck_assert(!hd_netlist_contains(l, "10.0.0.1"));
	hd_netlist_deinit(&l);

	l = parse_ok(v + 2, 1);
	ck_assert(hd_netlist_contains(l, "2a00::1"));
	ck_assert(!hd_netlist_contains(l, "10.0.0.1"));
	hd_netlist_deinit(&l);
}
END_TEST

START_TEST(test_odd_prefix_bits)
{
	static const char *const v[] = { "172.16.0.0/12", "2001:db8:8000::/33", "0.0.0.0/0" };
	struct hd_netlist *l = parse_ok(v, 2);

	ck_assert(hd_netlist_contains(l, "172.31.255.255"));
	ck_assert(!hd_netlist_contains(l, "172.32.0.0"));
	ck_assert(!hd_netlist_contains(l, "172.15.255.255"));
	ck_assert(hd_netlist_contains(l, "2001:db8:8000::1"));
	ck_assert(hd_netlist_contains(l, "2001:db8:ffff::1"));
	ck_assert(!hd_netlist_contains(l, "2001:db8:7fff::1"));
	hd_netlist_deinit(&l);

	l = parse_ok(v + 2, 1);
	ck_assert(hd_netlist_contains(l, "1.2.3.4"));
	ck_assert(hd_netlist_contains(l, "::ffff:1.2.3.4"));
	ck_assert(!hd_netlist_contains(l, "::1"));
	hd_netlist_deinit(&l);
}
END_TEST

START_TEST(test_errors)
{
	static const char *const bad[] = {
		"localhost", "example.com", "10.0.0.0/33", "::1/129", "10.0.0.0/",
		"10.0.0.0/-1", "10.0.0.0/8x", "10.0.0", "1.2.3.4.5", "", "   ", "10.0.0.0/ 8",
		"2001:db8:::1", "999.1.1.1",
		"0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000/8",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *e = parse_bad(bad[i]);
		free(e);
	}
	/* the error names the culprit */
	char *e = parse_bad("mail.example.com/24");
	ck_assert_msg(strstr(e, "mail.example.com") != NULL, "%s", e);
	free(e);
	e = parse_bad("10.0.0.0/40");
	ck_assert_msg(strstr(e, "40") != NULL, "%s", e);
	free(e);
}
END_TEST

START_TEST(test_limit_and_empty)
{
	char *error = NULL;
	const char **many = xcalloc(HD_NETLIST_MAX + 1, sizeof(*many));
	struct hd_netlist *l;

	for (size_t i = 0; i <= HD_NETLIST_MAX; i++)
		many[i] = "10.0.0.1";
	l = hd_netlist_parse(many, HD_NETLIST_MAX + 1, &error);
	ck_assert_ptr_null(l);
	ck_assert_ptr_nonnull(error);
	free(error);
	error = NULL;
	l = hd_netlist_parse(many, HD_NETLIST_MAX, &error);
	ck_assert_ptr_nonnull(l);
	ck_assert_uint_eq(hd_netlist_count(l), HD_NETLIST_MAX);
	hd_netlist_deinit(&l);
	free(many);

	/* an empty list trusts nobody */
	l = hd_netlist_parse(NULL, 0, &error);
	ck_assert_ptr_nonnull(l);
	ck_assert(!hd_netlist_contains(l, "127.0.0.1"));
	hd_netlist_deinit(&l);
	hd_netlist_deinit(&l);	/* idempotent on NULL */
}
END_TEST

/* Build the suite. */
static Suite *net_suite(void)
{
	Suite *s = suite_create("net");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_loopback);
	tcase_add_test(tc, test_v4_prefixes);
	tcase_add_test(tc, test_v6_prefixes);
	tcase_add_test(tc, test_odd_prefix_bits);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_limit_and_empty);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	int failed = hd_check_run(net_suite());
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/*
 * test-yamldoc - the YAML node reader: positions, refused aliases and
 * anchors, limits, syntax error positions, duplicate and unknown keys.
 */
#include <config.h>

#include <check.h>
#include "check-run.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "yamldoc.h"

/* Parse a string; the diagnostics stay in *d. */
static struct hd_ynode *load(const char *text, struct hd_diag *d)
{
	hd_diag_init(d);
	return hd_yaml_load_buffer("t.yaml", text, strlen(text), d);
}

START_TEST(test_marks)
{
	struct hd_diag d;
	struct hd_ynode *root = load("a: 1\nb:\n  - x\n  - { c: \"q\" }\n", &d);
	const struct hd_ynode *b, *c;

	ck_assert_ptr_nonnull(root);
	ck_assert_uint_eq(hd_diag_count(&d), 0);
	ck_assert_int_eq(root->type, HD_Y_MAP);
	ck_assert_uint_eq(root->n, 2);
	ck_assert_int_eq(root->keys[0]->line, 1);
	ck_assert_int_eq(root->items[0]->column, 4);
	ck_assert_str_eq(root->items[0]->scalar, "1");
	ck_assert(root->items[0]->plain);
	b = hd_ymap_get(root, "b");
	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(b->type, HD_Y_SEQ);
	ck_assert_uint_eq(b->n, 2);
	ck_assert_int_eq(b->line, 3);
	ck_assert_int_eq(b->column, 3);
	ck_assert_int_eq(b->items[1]->type, HD_Y_MAP);
	ck_assert_int_eq(b->items[1]->line, 4);
	ck_assert_int_eq(b->items[1]->column, 5);
	c = hd_ymap_get(b->items[1], "c");
	ck_assert_str_eq(c->scalar, "q");
	ck_assert(!c->plain);
	ck_assert_int_eq(c->column, 10);
	ck_assert_ptr_null(hd_ymap_get(root, "zz"));
	ck_assert_str_eq(hd_ynode_type_name(b), "a list");
	ck_assert_str_eq(hd_ynode_type_name(root), "a mapping");
	ck_assert_str_eq(hd_ynode_type_name(c), "a string");
	hd_ynode_deinit(&root);
	ck_assert_ptr_null(root);
	hd_diag_free(&d);
}
END_TEST

START_TEST(test_empty_is_map)
{
	struct hd_diag d;
	struct hd_ynode *root = load("# only a comment\n", &d);

	ck_assert_ptr_nonnull(root);
	ck_assert_int_eq(root->type, HD_Y_MAP);
	ck_assert_uint_eq(root->n, 0);
	hd_ynode_deinit(&root);
	hd_diag_free(&d);
	root = load("---\n", &d);
	ck_assert_ptr_nonnull(root);
	ck_assert_int_eq(root->type, HD_Y_MAP);
	hd_ynode_deinit(&root);
	hd_diag_free(&d);
}
END_TEST

START_TEST(test_alias_refused)
{
	struct hd_diag d;
	struct hd_ynode *root = load("a: &x [1, 2]\nb: *x\n", &d);

	ck_assert_ptr_null(root);
	ck_assert_uint_eq(hd_diag_count(&d), 1);
	ck_assert_str_eq(d.lines.v[0],
			 "t.yaml:1:4: anchors and aliases are not supported (anchor '&x')");
	hd_diag_free(&d);
	/* an alias of an undefined anchor is also refused (libyaml parses it) */
	root = load("a: 1\nb: *y\n", &d);
	ck_assert_ptr_null(root);
	ck_assert_uint_eq(hd_diag_count(&d), 1);
	ck_assert_str_eq(d.lines.v[0],
			 "t.yaml:2:4: anchors and aliases are not supported (alias '*y')");
	hd_diag_free(&d);
}
END_TEST

START_TEST(test_depth_limit)
{
	struct strbuf sb;
	struct hd_diag d;
	struct hd_ynode *root;
	int i;

	/* exactly the limit is fine */
	sb_init(&sb);
	for (i = 0; i < HD_YAML_MAX_DEPTH; i++)
		sb_putc(&sb, '[');
	for (i = 0; i < HD_YAML_MAX_DEPTH; i++)
		sb_putc(&sb, ']');
	root = load(sb.s, &d);
	ck_assert_ptr_nonnull(root);
	ck_assert_uint_eq(hd_diag_count(&d), 0);
	hd_ynode_deinit(&root);
	hd_diag_free(&d);
	/* one more is refused at the offending bracket */
	sb_truncate(&sb, 0);
	for (i = 0; i < HD_YAML_MAX_DEPTH + 1; i++)
		sb_putc(&sb, '[');
	for (i = 0; i < HD_YAML_MAX_DEPTH + 1; i++)
		sb_putc(&sb, ']');
	root = load(sb.s, &d);
	ck_assert_ptr_null(root);
	ck_assert_uint_eq(hd_diag_count(&d), 1);
	{
		char *want = xasprintf("t.yaml:1:%d: nesting deeper than %d levels is not supported",
				       HD_YAML_MAX_DEPTH + 1, HD_YAML_MAX_DEPTH);
		ck_assert_str_eq(d.lines.v[0], want);
		free(want);
	}
	hd_diag_free(&d);
	sb_free(&sb);
}
END_TEST

START_TEST(test_syntax_error_position)
{
	struct hd_diag d;
	struct hd_ynode *root = load("a: 1\nb: [1, 2\nc: 3\n", &d);

	ck_assert_ptr_null(root);
	ck_assert_uint_eq(hd_diag_count(&d), 1);
	ck_assert_str_eq(d.lines.v[0],
			 "t.yaml:3:2: did not find expected ',' or ']' (while parsing a flow sequence)");
	hd_diag_free(&d);
	root = load("a: 1\n  b: 2\n", &d);
	ck_assert_ptr_null(root);
	ck_assert_uint_eq(hd_diag_count(&d), 1);
	ck_assert_str_eq(d.lines.v[0],
			 "t.yaml:2:4: mapping values are not allowed in this context");
	hd_diag_free(&d);
}
END_TEST

START_TEST(test_complex_key_and_documents)
{
	struct hd_diag d;
	struct hd_ynode *root = load("? [a, b]\n: 1\n", &d);

	ck_assert_ptr_null(root);
	ck_assert_str_eq(d.lines.v[0], "t.yaml:1:3: a mapping key must be a plain string, not a list");
	hd_diag_free(&d);
	root = load("a: 1\n---\nb: 2\n", &d);
	ck_assert_ptr_null(root);
	ck_assert_str_eq(d.lines.v[0], "t.yaml:2:1: only one YAML document per file is supported");
	hd_diag_free(&d);
}
END_TEST

START_TEST(test_size_limit)
{
	struct hd_diag d;
	struct hd_ynode *root;
	size_t len = HD_YAML_MAX_FILE_BYTES + 1;
	char *big = xmalloc(len);

	memset(big, ' ', len);
	hd_diag_init(&d);
	root = hd_yaml_load_buffer("big.yaml", big, len, &d);
	ck_assert_ptr_null(root);
	ck_assert_uint_eq(hd_diag_count(&d), 1);
	ck_assert_ptr_nonnull(strstr(d.lines.v[0], "big.yaml:1:1: file is larger than"));
	hd_diag_free(&d);
	free(big);
}
END_TEST

START_TEST(test_check_keys)
{
	static const char *const allowed[] = { "name", "version", "owner", NULL };
	struct hd_diag d;
	struct hd_ynode *root = load("name: x\nversoin: 3\nname: y\nzzz: 1\n", &d);

	ck_assert_ptr_nonnull(root);
	ck_assert_uint_eq(hd_ymap_check_keys(root, allowed, "policy", "t.yaml", &d), 3);
	ck_assert_uint_eq(hd_diag_count(&d), 3);
	ck_assert_str_eq(d.lines.v[0],
			 "t.yaml:2:1: unknown key 'versoin' in policy (did you mean 'version'?; "
			 "expected one of: name, version, owner)");
	ck_assert_str_eq(d.lines.v[1],
			 "t.yaml:3:1: duplicate key 'name' in policy (first given at line 1)");
	ck_assert_str_eq(d.lines.v[2],
			 "t.yaml:4:1: unknown key 'zzz' in policy (expected one of: name, version, owner)");
	hd_diag_free(&d);
	hd_diag_init(&d);
	/* NULL allowed: only duplicates are reported */
	ck_assert_uint_eq(hd_ymap_check_keys(root, NULL, "policy", "t.yaml", &d), 1);
	hd_ynode_deinit(&root);
	hd_diag_free(&d);
}
END_TEST

START_TEST(test_did_you_mean)
{
	static const char *const c[] = { "first_response", "resolution", "clock", NULL };

	ck_assert_str_eq(hd_did_you_mean("first_responce", c), "first_response");
	ck_assert_str_eq(hd_did_you_mean("resoluton", c), "resolution");
	ck_assert_str_eq(hd_did_you_mean("Clock", c), "clock");
	ck_assert_str_eq(hd_did_you_mean("clok", c), "clock");
	ck_assert_ptr_null(hd_did_you_mean("timezone", c));
	ck_assert_ptr_null(hd_did_you_mean("ab", c));
	ck_assert_ptr_null(hd_did_you_mean("", c));
}
END_TEST

START_TEST(test_scalar_helpers)
{
	struct hd_diag d;
	struct hd_ynode *root = load("a: yes\nb: Off\nc: maybe\nd: 42\ne: 4x\nf:\ng: ''\n", &d);
	bool b = false;
	long v = 0;

	ck_assert(hd_yscalar_bool(hd_ymap_get(root, "a"), &b) && b);
	ck_assert(hd_yscalar_bool(hd_ymap_get(root, "b"), &b) && !b);
	ck_assert(!hd_yscalar_bool(hd_ymap_get(root, "c"), &b));
	ck_assert(hd_yscalar_long(hd_ymap_get(root, "d"), 0, 100, &v));
	ck_assert_int_eq(v, 42);
	ck_assert(!hd_yscalar_long(hd_ymap_get(root, "d"), 0, 10, &v));
	ck_assert(!hd_yscalar_long(hd_ymap_get(root, "e"), 0, 100, &v));
	ck_assert(hd_ynode_is_null(hd_ymap_get(root, "f")));
	ck_assert(!hd_ynode_is_null(hd_ymap_get(root, "g")));
	ck_assert_str_eq(hd_ynode_type_name(hd_ymap_get(root, "f")), "an empty value");
	hd_ynode_deinit(&root);
	hd_diag_free(&d);
}
END_TEST

START_TEST(test_load_file)
{
	char path[] = "/tmp/test-yamldoc-XXXXXX";
	int fd = mkstemp(path);
	struct hd_diag d;
	struct hd_ynode *root;
	const char *text = "k: [a, b]\n";

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
	hd_diag_init(&d);
	root = hd_yaml_load_file(path, &d);
	ck_assert_ptr_nonnull(root);
	ck_assert_uint_eq(hd_ymap_get(root, "k")->n, 2);
	hd_ynode_deinit(&root);
	unlink(path);
	root = hd_yaml_load_file(path, &d);
	ck_assert_ptr_null(root);
	ck_assert_uint_eq(hd_diag_count(&d), 1);
	ck_assert_ptr_nonnull(strstr(d.lines.v[0], "cannot open: No such file"));
	hd_diag_free(&d);
}
END_TEST

/* The suite. */
static Suite *yamldoc_suite(void)
{
	Suite *s = suite_create("yamldoc");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_marks);
	tcase_add_test(tc, test_empty_is_map);
	tcase_add_test(tc, test_alias_refused);
	tcase_add_test(tc, test_depth_limit);
	tcase_add_test(tc, test_syntax_error_position);
	tcase_add_test(tc, test_complex_key_and_documents);
	tcase_add_test(tc, test_size_limit);
	tcase_add_test(tc, test_check_keys);
	tcase_add_test(tc, test_did_you_mean);
	tcase_add_test(tc, test_scalar_helpers);
	tcase_add_test(tc, test_load_file);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	int failed = hd_check_run(yamldoc_suite());
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/*
 * fuzz-policy - the YAML reader (yamldoc.c) and the policy loader
 * (src/lib-policy/policy*.c) on any bytes. Checks: either a tree/policy or
 * at least one diagnostic (a clear error), every diagnostic names the file
 * with a line and column, every node has a position, a loaded policy
 * passes its self-tests or says why.
 */
#include <config.h>
#include "fuzz.h"
#include "diag.h"
#include "yamldoc.h"
#include "policy.h"

#define FUZZ_NAME "fuzz-policy.yaml"

/* Every node of a tree has a 1-based position; depth is bounded. */
static void fuzz_tree_check(const struct hd_ynode *n, int depth)
{
	props_require("fuzz-policy", depth > HD_YAML_MAX_DEPTH + 1 ? "tree deeper than the limit" : NULL);
	props_require("fuzz-policy", n->line < 1 || n->column < 1 ? "node without a position" : NULL);
	props_require("fuzz-policy", n->type == HD_Y_SCALAR && n->scalar == NULL ? "scalar without text" : NULL);
	for (size_t i = 0; n->type != HD_Y_SCALAR && i < n->n; i++) {
		if (n->type == HD_Y_MAP)
			fuzz_tree_check(n->keys[i], depth + 1);
		fuzz_tree_check(n->items[i], depth + 1);
	}
}

/* Every diagnostic says "FUZZ_NAME:line:column: ...". */
static void fuzz_diag_check(const struct hd_diag *d)
{
	for (size_t i = 0; i < d->lines.n; i++)
		props_require("fuzz-policy", strncmp(d->lines.v[i], FUZZ_NAME ":", strlen(FUZZ_NAME) + 1) != 0 ?
			      "a diagnostic without the file name" : NULL);
}

/* One input. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hd_diag d;
	struct hd_ynode *root;
	struct hd_policy *p;
	double t0 = props_cpu_seconds();

	log_set_sink(NULL, LOG_LVL_ERROR);
	hd_diag_init(&d);
	root = hd_yaml_load_buffer(FUZZ_NAME, (const char *)data, size, &d);
	props_require("fuzz-policy", root == NULL && hd_diag_count(&d) == 0 ? "no tree and no error" : NULL);
	if (root != NULL)
		fuzz_tree_check(root, 0);
	fuzz_diag_check(&d);
	hd_ynode_deinit(&root);
	hd_diag_free(&d);

	hd_diag_init(&d);
	p = hd_policy_load_buffer(FUZZ_NAME, (const char *)data, size, &d);
	props_require("fuzz-policy", p == NULL && hd_diag_count(&d) == 0 ? "no policy and no error" : NULL);
	props_require("fuzz-policy", p != NULL && hd_diag_count(&d) != 0 ? "a policy with errors" : NULL);
	fuzz_diag_check(&d);
	if (p != NULL)
		hd_policy_selftest(p, &d);
	hd_policy_unref(&p);
	hd_diag_free(&d);
	props_require("fuzz-policy", props_time_within(props_cpu_seconds() - t0, size));
	return 0;
}

/*
 * ctl-policy - helpdeskctl check-policy: load a policy file, print every
 * diagnostic as file:line:column: message, and run the tone phrases'
 * examples as self-tests. It must never change the file.
 */
#include <config.h>
#include "util.h"
#include "policy.h"
#include "ctl.h"

#include <stdio.h>
#include <string.h>

/* helpdeskctl check-policy FILE */
int cmd_check_policy(int argc, char **argv)
{
	struct hd_policy *p;

	if (argc != 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fprintf(argc == 2 ? stdout : stderr,
			"usage: helpdeskctl check-policy FILE\n"
			"Validates FILE and runs every tone phrase's examples as self-tests.\n"
			"Errors are printed as file:line:column: message; exit 0 when clean, 1 otherwise.\n");
		return argc == 2 ? 0 : 1;
	}
	p = ctl_load_policy(argv[1], true);
	if (p == NULL)
		return 1;
	printf("%s: policy %s v%s OK (%zu teams, %zu priorities, %zu agents, %zu phrases)\n",
	       argv[1], p->name, p->version, p->nteams, p->npriorities, p->nagents, p->nphrases);
	hd_policy_unref(&p);
	return 0;
}

/* test-tone - prohibited phrases: hits, original words and lines, `unless`
   cancelling, dedupe, caps, examples self-test. Policies are built by hand so
   this does not depend on the YAML loader. */
#include <config.h>
#include <check.h>
#include "check-run.h"
#include "test-util.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tone.h"
#include "norm.h"

/* Add a phrase rule to p; lists are NULL-terminated, may be NULL. */
static struct hd_phrase *add_phrase(struct hd_policy *p, const char *id,
				    const char *const *match, const char *const *unless,
				    enum hd_action action, const char *const *bad,
				    const char *const *good, int line)
{
	struct hd_phrase *ph;

	p->phrases = xrealloc(p->phrases, (p->nphrases + 1) * sizeof(*p->phrases));
	ph = &p->phrases[p->nphrases++];
	memset(ph, 0, sizeof(*ph));
	ph->id = xstrdup(id);
	sv_init(&ph->match);
	sv_init(&ph->unless);
	sv_init(&ph->examples_bad);
	sv_init(&ph->examples_good);
	for (size_t i = 0; match && match[i]; i++)
		sv_push(&ph->match, match[i]);
	for (size_t i = 0; unless && unless[i]; i++)
		sv_push(&ph->unless, unless[i]);
	for (size_t i = 0; bad && bad[i]; i++)
		sv_push(&ph->examples_bad, bad[i]);
	for (size_t i = 0; good && good[i]; i++)
		sv_push(&ph->examples_good, good[i]);
	ph->action = action;
	ph->line = line;
	ph->column = 7;
	return ph;
}

/* A fresh policy with no phrases. */
static struct hd_policy *new_policy(void)
{
	struct hd_policy *p = xcalloc(1, sizeof(*p));

	p->file = xstrdup("policy.yaml");
	p->tone_action = HD_ACTION_REJECT;
	return p;
}

/* Free what new_policy/add_phrase allocated and the compiled index. */
static void free_policy(struct hd_policy *p)
{
	for (size_t i = 0; i < p->nphrases; i++) {
		struct hd_phrase *ph = &p->phrases[i];
		free(ph->id);
		sv_free(&ph->match);
		sv_free(&ph->unless);
		sv_free(&ph->examples_bad);
		sv_free(&ph->examples_good);
	}
	free(p->phrases);
	hd_tone_index_deinit(&p->tone);
	ck_assert_ptr_null(p->tone);
	free(p->file);
	free(p);
}

/* The SPEC s.7 example: calm-down and not-our-fault. */
static struct hd_policy *spec_policy(void)
{
	struct hd_policy *p = new_policy();
	const char *m1[] = { "calm down", NULL };
	const char *u1[] = { "help you calm down the", NULL };
	const char *b1[] = { "Please calm down.", NULL };
	const char *g1[] = { "The calm downtown office.", NULL };
	const char *m2[] = { "not our fault", "not our problem", NULL };
	struct hd_diag d;

	add_phrase(p, "calm-down", m1, u1, HD_ACTION_NONE, b1, g1, 12);
	add_phrase(p, "not-our-fault", m2, NULL, HD_ACTION_TAG, NULL, NULL, 15);
	hd_diag_init(&d);
	ck_assert(hd_tone_compile(p, &d));
	ck_assert_uint_eq(hd_diag_count(&d), 0);
	hd_diag_free(&d);
	ck_assert_ptr_nonnull(p->tone);
	return p;
}

/* Scan s with p and return the hit count; hits in *h_r. */
static size_t scan(const struct hd_policy *p, const char *s, struct hd_tone_hit **h_r)
{
	return hd_tone_scan(p, s, strlen(s), 100, h_r);
}

START_TEST(hits_words_lines_actions)
{
	struct hd_policy *p = spec_policy();
	struct hd_tone_hit *h;
	const char *text = "Hello,\n\nPlease  CALM\r\n down.\nThat\xe2\x80\x99s not our fault.\n";
	size_t n = scan(p, text, &h);

	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(h[0].phrase->id, "calm-down");
	ck_assert_str_eq(h[0].text, "CALM\r\n down");
	ck_assert_int_eq(h[0].line, 3);
	ck_assert_int_eq(h[0].action, HD_ACTION_REJECT);	/* policy default */
	ck_assert_str_eq(h[1].phrase->id, "not-our-fault");
	ck_assert_str_eq(h[1].text, "not our fault");
	ck_assert_int_eq(h[1].line, 5);
	ck_assert_int_eq(h[1].action, HD_ACTION_TAG);		/* phrase's own */
	hd_tone_hits_free(h, n);

	/* The default action follows the policy. */
	p->tone_action = HD_ACTION_HOLD;
	n = scan(p, "calm down", &h);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(h[0].action, HD_ACTION_HOLD);
	ck_assert_int_eq(h[0].line, 1);
	hd_tone_hits_free(h, n);

	/* Nothing in clean text; empty text. */
	n = scan(p, "Thank you for your patience.", &h);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(h);
	n = scan(p, "", &h);
	ck_assert_uint_eq(n, 0);
	free_policy(p);
}
END_TEST

START_TEST(original_words_of_evasions)
{
	struct hd_policy *p = spec_policy();
	struct hd_tone_hit *h;
	size_t n;

	n = scan(p, "Please c\xc2\xad" "alm d\xe2\x80\x8bown\xe2\x80\x8b now", &h);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(h[0].text, "c\xc2\xad" "alm d\xe2\x80\x8bown");
	hd_tone_hits_free(h, n);

	n = scan(p, "x\ny\nz c\xd0\xb0lm\xc2\xa0" "down", &h);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(h[0].text, "c\xd0\xb0lm\xc2\xa0" "down");
	ck_assert_int_eq(h[0].line, 3);
	hd_tone_hits_free(h, n);
	free_policy(p);
}
END_TEST

/* Path of a test data file, honouring $TOP_SRCDIR. */
static char *data_path(const char *name)
{
	const char *top = getenv("TOP_SRCDIR");

	return xasprintf("%s/tests/data/match/%s", top && *top ? top : TOP_SRCDIR, name);
}

/* Undo the \n \r \t escapes of a data line. */
static void unescape(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && (r[1] == 'n' || r[1] == 'r' || r[1] == 't')) {
			*w++ = r[1] == 'n' ? '\n' : r[1] == 'r' ? '\r' : '\t';
			r++;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

START_TEST(data_evasions_and_clean)
{
	struct hd_policy *p = spec_policy();
	char *path = data_path("evasions.txt");
	FILE *f = fopen(path, "r");
	char line[1024];
	size_t tested = 0;

	ck_assert_msg(f != NULL, "cannot open %s", path);
	while (fgets(line, sizeof(line), f)) {
		char *tab, *text;
		struct hd_tone_hit *h;
		size_t n;
		bool found = false;

		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		tab = strchr(line, '\t');
		ck_assert_ptr_nonnull(tab);
		*tab = '\0';
		text = tab + 1;
		unescape(text);
		n = scan(p, text, &h);
		for (size_t i = 0; i < n; i++)
			found |= strcmp(h[i].phrase->id, line) == 0;
		ck_assert_msg(found, "no hit of %s in \"%s\"", line, text);
		hd_tone_hits_free(h, n);
		tested++;
	}
	fclose(f);
	free(path);
	ck_assert_uint_ge(tested, 15);

	path = data_path("clean.txt");
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	tested = 0;
	while (fgets(line, sizeof(line), f)) {
		struct hd_tone_hit *h;
		size_t n;

		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		n = scan(p, line, &h);
		ck_assert_msg(n == 0, "unexpected hit %s in \"%s\"", n ? h[0].phrase->id : "", line);
		hd_tone_hits_free(h, n);
		tested++;
	}
	fclose(f);
	free(path);
	ck_assert_uint_ge(tested, 5);
	free_policy(p);
}
END_TEST

START_TEST(unless_cancels_only_its_rule)
{
	struct hd_policy *p = spec_policy();
	const char *m3[] = { "calm down", NULL };
	struct hd_tone_hit *h;
	struct hd_diag d;
	size_t n;

	/* The unless phrase contains the match: cancelled. */
	n = scan(p, "We can help you calm down the situation.", &h);
	ck_assert_uint_eq(n, 0);
	/* The unless phrase elsewhere does not cancel another occurrence. */
	n = scan(p, "Please calm down.\nWe help you calm down the nerves.", &h);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(h[0].line, 1);
	ck_assert_str_eq(h[0].text, "calm down");
	hd_tone_hits_free(h, n);

	/* A second rule with the same words is not cancelled by calm-down's unless. */
	add_phrase(p, "calm-down-strict", m3, NULL, HD_ACTION_NOTIFY, NULL, NULL, 20);
	hd_diag_init(&d);
	ck_assert(hd_tone_compile(p, &d));	/* recompiling replaces the index */
	hd_diag_free(&d);
	n = scan(p, "We can help you calm down the situation.", &h);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(h[0].phrase->id, "calm-down-strict");
	ck_assert_int_eq(h[0].action, HD_ACTION_NOTIFY);
	hd_tone_hits_free(h, n);
	free_policy(p);
}
END_TEST

START_TEST(dedupe_and_cap)
{
	struct hd_policy *p = spec_policy();
	const char *m3[] = { "sorry", NULL };
	struct hd_tone_hit *h;
	struct hd_diag d;
	size_t n;

	/* Same rule, same normalised words: once. */
	n = scan(p, "calm down. CALM DOWN!\nCalm\n\ndown", &h);
	ck_assert_uint_eq(n, 1);
	hd_tone_hits_free(h, n);
	/* Same rule, different words: both. */
	n = scan(p, "not our fault, not our problem, not our fault", &h);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(h[0].text, "not our fault");
	ck_assert_str_eq(h[1].text, "not our problem");
	hd_tone_hits_free(h, n);

	add_phrase(p, "sorry", m3, NULL, HD_ACTION_NONE, NULL, NULL, 30);
	hd_diag_init(&d);
	ck_assert(hd_tone_compile(p, &d));
	hd_diag_free(&d);
	{
		const char *t = "sorry, calm down, not our fault";
		n = hd_tone_scan(p, t, strlen(t), 2, &h);
		ck_assert_uint_eq(n, 2);
		ck_assert_str_eq(h[0].phrase->id, "sorry");
		ck_assert_str_eq(h[1].phrase->id, "calm-down");
		hd_tone_hits_free(h, n);
		n = hd_tone_scan(p, t, strlen(t), 0, &h);
		ck_assert_uint_eq(n, 0);
		n = hd_tone_scan(p, t, strlen(t), 3, &h);
		ck_assert_uint_eq(n, 3);
		hd_tone_hits_free(h, n);
	}
	free_policy(p);
}
END_TEST

START_TEST(selftest_pass_and_fail)
{
	struct hd_policy *p = spec_policy();
	const char *m[] = { "calm down", NULL };
	const char *bad[] = { "Please relax.", "calm down", NULL };
	const char *good[] = { "Why not calm down?", "calm downtown", NULL };
	struct hd_diag d;

	hd_diag_init(&d);
	ck_assert_uint_eq(hd_tone_selftest(p, &d), 0);
	ck_assert_uint_eq(hd_diag_count(&d), 0);

	add_phrase(p, "relax", m, NULL, HD_ACTION_NONE, bad, good, 40);
	ck_assert(hd_tone_compile(p, &d));
	ck_assert_uint_eq(hd_tone_selftest(p, &d), 2);
	ck_assert_uint_eq(hd_diag_count(&d), 2);
	ck_assert_str_eq(d.lines.v[0],
			 "policy.yaml:40:7: tone phrase 'relax': example \"Please relax.\" did not match (expected a hit)");
	ck_assert_str_eq(d.lines.v[1],
			 "policy.yaml:40:7: tone phrase 'relax': good example \"Why not calm down?\" matched (expected no hit)");
	hd_diag_free(&d);

	/* A bad example cancelled by the rule's own unless fails too. */
	{
		struct hd_policy *q = new_policy();
		const char *qm[] = { "calm down", NULL };
		const char *qu[] = { "calm down the", NULL };
		const char *qb[] = { "calm down the dog", NULL };

		add_phrase(q, "q", qm, qu, HD_ACTION_NONE, qb, NULL, 3);
		hd_diag_init(&d);
		/* Not compiled: the self-test builds its own index. */
		ck_assert_ptr_null(q->tone);
		ck_assert_uint_eq(hd_tone_selftest(q, &d), 1);
		ck_assert_ptr_null(q->tone);
		ck_assert_str_eq(d.lines.v[0],
				 "policy.yaml:3:7: tone phrase 'q': example \"calm down the dog\" did not match (expected a hit)");
		hd_diag_free(&d);
		free_policy(q);
	}
	free_policy(p);
}
END_TEST

START_TEST(compile_errors)
{
	struct hd_policy *p = new_policy();
	const char *m[] = { "ok words", "\xc2\xad", NULL };
	const char *u[] = { "   ", NULL };
	struct hd_diag d;

	add_phrase(p, "broken", m, u, HD_ACTION_NONE, NULL, NULL, 9);
	hd_diag_init(&d);
	ck_assert(!hd_tone_compile(p, &d));
	ck_assert_ptr_null(p->tone);
	ck_assert_uint_eq(hd_diag_count(&d), 2);
	ck_assert_ptr_nonnull(strstr(d.lines.v[0], "policy.yaml:9:7: tone phrase 'broken': match phrase"));
	ck_assert_ptr_nonnull(strstr(d.lines.v[1], "policy.yaml:9:7: tone phrase 'broken': unless phrase"));
	/* The self-test reports the same problems instead of crashing. */
	ck_assert_uint_eq(hd_tone_selftest(p, &d), 2);
	hd_diag_free(&d);
	free_policy(p);
}
END_TEST

START_TEST(many_rules)
{
	struct hd_policy *p = new_policy();
	struct hd_tone_hit *h;
	struct hd_diag d;
	struct strbuf text;
	size_t n;

	/* 2000 rules "phrase N end"; the text uses every 100th. */
	for (int i = 0; i < 2000; i++) {
		char *w = xasprintf("phrase %d end", i);
		const char *m[] = { w, NULL };
		add_phrase(p, w, m, NULL, HD_ACTION_NONE, NULL, NULL, i + 1);
		free(w);
	}
	hd_diag_init(&d);
	ck_assert(hd_tone_compile(p, &d));
	hd_diag_free(&d);
	sb_init(&text);
	for (int i = 0; i < 2000; i += 100)
		sb_printf(&text, "Line with phrase %d end here.\nphrase %d ends not.\n", i, i + 1);
	n = hd_tone_scan(p, text.s, text.len, 100, &h);
	ck_assert_uint_eq(n, 20);
	for (size_t i = 0; i < n; i++) {
		char *want = xasprintf("phrase %zu end", i * 100);
		ck_assert_str_eq(h[i].phrase->id, want);
		ck_assert_str_eq(h[i].text, want);
		ck_assert_int_eq(h[i].line, (int)(2 * i + 1));
		free(want);
	}
	hd_tone_hits_free(h, n);
	sb_free(&text);
	free_policy(p);
}
END_TEST

/* Deterministic PRNG (xorshift32) for the oracle test. */
static uint32_t tone_rng = 88172645u;
static uint32_t tone_rnd(void)
{
	return hd_test_xorshift32(&tone_rng);
}

/* A random phrase of 1 to maxw words of a tiny vocabulary, so that matches,
   overlaps and `unless` spans around them are frequent. */
static char *random_phrase(size_t maxw)
{
	static const char *const words[] = { "a", "b", "ab", "ba", "c", "a-b" };
	struct strbuf sb;
	size_t nw = 1 + tone_rnd() % maxw;

	sb_init(&sb);
	for (size_t w = 0; w < nw; w++) {
		if (w > 0)
			sb_putc(&sb, ' ');
		sb_puts(&sb, words[tone_rnd() % 6]);
	}
	return sb_steal(&sb);
}

/* Every word-bounded occurrence of normalised pattern pat in nt: starts in
   starts_r (allocated), count returned. The brute-force reference. */
static size_t brute_find(const struct hd_normtext *nt, const char *pat, size_t **starts_r)
{
	size_t pl = strlen(pat), n = 0;

	*starts_r = xmalloc((nt->len + 1) * sizeof(**starts_r));
	for (size_t i = 0; pl > 0 && i + pl <= nt->len; i++)
		if (memcmp(nt->text + i, pat, pl) == 0 &&
		    !hd_norm_inside_word(nt->text, nt->len, i) &&
		    !hd_norm_inside_word(nt->text, nt->len, i + pl))
			(*starts_r)[n++] = i;
	return n;
}

/* Does a hit of rule ri with normalised words w appear among the reference's? */
static bool ref_has(const struct strvec *ref, size_t ri, const char *w)
{
	char *key = xasprintf("%zu|%s", ri, w);
	bool found = sv_contains_ci(ref, key);	/* keys are normalised: lower case */

	free(key);
	return found;
}

START_TEST(one_pass_matches_brute_force)
{
	/* The one-pass scan (match and unless phrases in one automaton, matches
	   decided once no unless span can still contain them) against a brute
	   force search: every rule's word-bounded matches not contained in one
	   of its own unless matches, one hit per rule and normalised words. */
	for (int iter = 0; iter < 300; iter++) {
		struct hd_policy *p = new_policy();
		struct hd_diag d;
		struct strbuf text;
		struct strvec ref;
		struct hd_normtext *nt;
		struct hd_tone_hit *h;
		size_t nrules = 1 + tone_rnd() % 5, n;
		static const char *const seps[] = { " ", "  ", "\n", ", ", ". ", " -- ", "\r\n" };

		for (size_t r = 0; r < nrules; r++) {
			char *m[3] = { random_phrase(2), tone_rnd() % 2 ? random_phrase(3) : NULL, NULL };
			char *u[3] = { NULL, NULL, NULL };
			char id[16];

			if (tone_rnd() % 3 != 0) {
				u[0] = random_phrase(4);
				if (tone_rnd() % 2)
					u[1] = random_phrase(4);
			}
			snprintf(id, sizeof(id), "r%zu", r);
			add_phrase(p, id, (const char *const *)m, (const char *const *)u,
				   HD_ACTION_NONE, NULL, NULL, (int)r + 1);
			for (int k = 0; k < 3; k++) {
				free(m[k]);
				free(u[k]);
			}
		}
		hd_diag_init(&d);
		ck_assert(hd_tone_compile(p, &d));
		hd_diag_free(&d);

		sb_init(&text);
		for (size_t w = 0, nw = tone_rnd() % 60; w < nw; w++) {
			char *ph = random_phrase(1);

			for (char *c = ph; tone_rnd() % 4 == 0 && *c; c++)
				*c = (char)(*c >= 'a' && *c <= 'z' ? *c - 'a' + 'A' : *c);
			sb_puts(&text, ph);
			sb_puts(&text, seps[tone_rnd() % 7]);
			free(ph);
		}

		/* The reference. */
		sv_init(&ref);
		nt = hd_norm_text(text.s, text.len);
		for (size_t r = 0; r < p->nphrases; r++) {
			const struct hd_phrase *ph = &p->phrases[r];

			for (size_t k = 0; k < ph->match.n; k++) {
				char *pat = hd_norm_string(ph->match.v[k]);
				size_t *ms, nm = brute_find(nt, pat, &ms), pl = strlen(pat);

				for (size_t a = 0; a < nm; a++) {
					bool cancelled = false;

					for (size_t u = 0; u < ph->unless.n && !cancelled; u++) {
						char *up = hd_norm_string(ph->unless.v[u]);
						size_t *us, nu = brute_find(nt, up, &us), ul = strlen(up);

						for (size_t b = 0; b < nu && !cancelled; b++)
							cancelled = us[b] <= ms[a] && us[b] + ul >= ms[a] + pl;
						free(us);
						free(up);
					}
					if (!cancelled && !ref_has(&ref, r, pat))
						sv_push_owned(&ref, xasprintf("%zu|%s", r, pat));
				}
				free(ms);
				free(pat);
			}
		}

		n = hd_tone_scan(p, text.s, text.len, 100000, &h);
		ck_assert_msg(n == ref.n, "text \"%s\": %zu hits, reference %zu", text.s, n, ref.n);
		for (size_t i = 0; i < n; i++) {
			char *w = hd_norm_string(h[i].text);

			ck_assert_msg(ref_has(&ref, (size_t)(h[i].phrase - p->phrases), w),
				      "text \"%s\": hit %s \"%s\" not in the reference", text.s,
				      h[i].phrase->id, w);
			free(w);
		}
		hd_tone_hits_free(h, n);
		hd_normtext_deinit(&nt);
		sv_free(&ref);
		sb_free(&text);
		free_policy(p);
	}
}
END_TEST

/* Build the suite. */
static Suite *tone_suite(void)
{
	Suite *s = suite_create("tone");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, hits_words_lines_actions);
	tcase_add_test(tc, original_words_of_evasions);
	tcase_add_test(tc, data_evasions_and_clean);
	tcase_add_test(tc, unless_cancels_only_its_rule);
	tcase_add_test(tc, dedupe_and_cap);
	tcase_add_test(tc, selftest_pass_and_fail);
	tcase_add_test(tc, compile_errors);
	tcase_add_test(tc, many_rules);
	tcase_add_test(tc, one_pass_matches_brute_force);
	suite_add_tcase(s, tc);
	return s;
}

/* Run the suite; non-zero exit on failure. */
int main(void)
{
	int failed = hd_check_run(tone_suite());
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

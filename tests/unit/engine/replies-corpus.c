/*
 * replies-corpus - the reply corpus through the engine (see replies-corpus.h).
 * A positive is right when the phrase or amount is found with its configured
 * action; a negative is right when nothing is refused or counted for it.
 */
#include <config.h>
#include "replies-corpus.h"
#include "util.h"
#include "diag.h"
#include "policy.h"
#include "store.h"
#include "mime.h"
#include "engine.h"
#include "quote.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One way of filling a template. */
struct corpus_variant {
	const char *name;
	const char *agent, *customer;
	const char *kind;	/* finding kind looked for: "tone" or "authority" */
	int positive;
};

static const struct corpus_variant corpus_variants[] = {
	{ "tone-in-new", "Please calm down, we are on it.",
	  "My order 4411 arrived broken and nobody answers.", "tone", 1 },
	{ "tone-in-quote", "Sorry for the trouble, we are on it.",
	  "Your agent told me to calm down, I am furious.", "tone", 0 },
	{ "tone2-in-new", "This is not our fault, the courier lost it.",
	  "My order 4411 arrived broken and nobody answers.", "tone", 1 },
	{ "tone2-in-quote", "Sorry for the trouble, we are on it.",
	  "It is not our fault, your colleague said again.", "tone", 0 },
	{ "amount-in-new", "I have refunded $90 to your card.",
	  "I paid for the annual plan last week.", "authority", 1 },
	{ "amount-in-quote", "We are checking your payment now.",
	  "I paid $90 and I want a refund of $90 today.", "authority", 0 },
};

/* Replace every @AGENT@ and @CUSTOMER@ of the template. */
static char *corpus_fill(const char *tpl, const struct corpus_variant *v)
{
	struct strbuf sb;

	sb_init(&sb);
	for (const char *p = tpl; *p != '\0';) {
		if (strncmp(p, "@AGENT@", 7) == 0) {
			sb_puts(&sb, v->agent);
			p += 7;
		} else if (strncmp(p, "@CUSTOMER@", 10) == 0) {
			sb_puts(&sb, v->customer);
			p += 10;
		} else {
			sb_putc(&sb, *p++);
		}
	}
	return sb_steal(&sb);
}

/* Run one filled message; *refused_r: a finding of the kind that counts,
   *tagged_r: one of the kind that was only tagged (uncertain split). */
static int corpus_one(const struct hd_engine *e, const char *msg, const char *kind,
		      int *refused_r, int *tagged_r)
{
	const char *rcpts[1] = { "pat@example.net" };
	struct hd_engine_input in = { .queue_id = "CORPUS", .mail_from = "alice@support.example.com",
				      .rcpts = rcpts, .nrcpts = 1,
				      .auth_user = "alice@support.example.com",
				      .client_ip = "192.0.2.1", .data = msg, .len = strlen(msg),
				      .fd = -1 };
	struct hd_verdict *v = NULL;
	char *err = NULL;

	*refused_r = *tagged_r = 0;
	time_parse_rfc3339("2026-11-30T17:00:00Z", &in.received);
	if (hd_engine_run(e, &in, &v, &err) != 0) {
		fprintf(stderr, "corpus: engine: %s\n", err ? err : "failed");
		free(err);
		return -1;
	}
	for (size_t i = 0; i < v->nfindings; i++) {
		const struct hd_finding *f = &v->findings[i];
		if (strcmp(f->kind, kind) != 0)
			continue;
		/* A tag (uncertain split, or an amount in quoted history that was
		   not counted) delivers the reply: only a refusal blames the agent. */
		if (f->action != NULL && (strcmp(f->action, "tag") == 0 ||
					  strcmp(f->action, "accept") == 0)) {
			if (f->detail != NULL && strstr(f->detail, "uncertain-quote") != NULL)
				*tagged_r = 1;
		} else {
			*refused_r = 1;
		}
	}
	hd_verdict_deinit(&v);
	return 0;
}

/* Read a whole (small) file; NULL when it cannot be read. */
static char *corpus_read(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct strbuf sb;
	char buf[4096];
	size_t n;

	if (f == NULL)
		return NULL;
	sb_init(&sb);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sb_append(&sb, buf, n);
	fclose(f);
	return sb_steal(&sb);
}

/* Sort helper for file names. */
static int corpus_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Public entry: see replies-corpus.h. */
size_t corpus_run(const char *dir, corpus_wrong_fn *wrong, struct corpus_tally **tally_r)
{
	struct hd_diag d;
	struct hd_limits lim;
	struct hd_policy *pol;
	struct hd_store *store;
	struct strvec names;
	struct corpus_tally *t;
	char *path = xasprintf("%s/policy.yaml", dir), *err = NULL;
	DIR *dh = opendir(dir);
	struct dirent *de;

	*tally_r = NULL;
	if (dh == NULL) {
		free(path);
		return (size_t)-1;
	}
	hd_mime_init();
	hd_limits_init(&lim);
	hd_diag_init(&d);
	pol = hd_policy_load(path, &d);
	for (size_t i = 0; i < d.lines.n; i++)
		fprintf(stderr, "%s\n", d.lines.v[i]);
	hd_diag_free(&d);
	free(path);
	store = hd_store_open(":memory:", &err);
	if (pol == NULL || store == NULL) {
		fprintf(stderr, "corpus: %s\n", err ? err : "policy did not load");
		free(err);
		closedir(dh);
		hd_policy_unref(&pol);
		hd_store_deinit(&store);
		return (size_t)-1;
	}
	sv_init(&names);
	while ((de = readdir(dh)) != NULL) {
		size_t l = strlen(de->d_name);
		if (l > 4 && strcmp(de->d_name + l - 4, ".eml") == 0)
			sv_push(&names, de->d_name);
	}
	closedir(dh);
	qsort(names.v, names.n, sizeof(*names.v), corpus_cmp);
	t = xcalloc(names.n ? names.n : 1, sizeof(*t));
	struct hd_engine e = { .policy = pol, .store = store, .limits = &lim };
	for (size_t c = 0; c < names.n; c++) {
		char *file = xasprintf("%s/%s", dir, names.v[c]);
		char *tpl = corpus_read(file);
		snprintf(t[c].name, sizeof(t[c].name), "%.*s", (int)(strlen(names.v[c]) - 4),
			 names.v[c]);
		for (size_t k = 0; tpl != NULL && k < sizeof(corpus_variants) / sizeof(corpus_variants[0]); k++) {
			const struct corpus_variant *v = &corpus_variants[k];
			char *msg = corpus_fill(tpl, v);
			int refused, tagged;
			if (corpus_one(&e, msg, v->kind, &refused, &tagged) == 0) {
				if (v->positive) {
					refused ? t[c].tp++ : t[c].fn++;
					if (!refused && wrong)
						wrong(t[c].name, v->name, "missed in the agent's words");
				} else {
					refused ? t[c].fp++ : t[c].tn++;
					t[c].tagged += tagged;
					if (refused && wrong)
						wrong(t[c].name, v->name, "blamed on the agent");
				}
			}
			free(msg);
		}
		if (tpl == NULL && wrong)
			wrong(t[c].name, "-", "cannot be read");
		free(tpl);
		free(file);
	}
	size_t n = names.n;
	sv_free(&names);
	hd_store_deinit(&store);
	hd_policy_unref(&pol);
	*tally_r = t;
	return n;
}

/* The paragraph every crisp fixture reply is (their COMMON_FIRST_FRAGMENT). */
static const char fixture_common[] =
	"Fusce bibendum, quam hendrerit sagittis tempor, dui turpis tempus erat, pharetra sodales ante sem sit amet metus.\n"
	"Nulla malesuada, orci non vulputate lobortis, massa felis pharetra ex, convallis consectetur ex libero eget ante.\n"
	"Nam vel turpis posuere, rhoncus ligula in, venenatis orci. Duis interdum venenatis ex a rutrum.\n"
	"Duis ut libero eu lectus consequat consequat ut vel lorem. Vestibulum convallis lectus urna,\n"
	"et mollis ligula rutrum quis. Fusce sed odio id arcu varius aliquet nec nec nibh.";

/* Push the non-blank lines of text (trimmed) onto v. */
static void fixture_lines(const char *text, struct strvec *v)
{
	for (const char *p = text; *p != '\0';) {
		const char *e = strchr(p, '\n');
		size_t n = e != NULL ? (size_t)(e - p) : strlen(p);
		const char *b = p;
		size_t bl = n;
		while (bl > 0 && (*b == ' ' || *b == '\t')) {
			b++;
			bl--;
		}
		while (bl > 0 && (b[bl - 1] == ' ' || b[bl - 1] == '\t' || b[bl - 1] == '\r'))
			bl--;
		if (bl > 0)
			sv_push_owned(v, xstrndup(b, bl));
		p = e != NULL ? e + 1 : p + n;
	}
}

/* Is s one of v's strings? */
static bool fixture_has(const struct strvec *v, const char *s)
{
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->v[i], s) == 0)
			return true;
	return false;
}

/* One fixture against what its writer wrote (\n in want is a line break). */
static bool fixture_one(const char *text, const char *want, struct fixture_tally *t)
{
	struct hd_quote_split sp;
	struct strvec all, mine, kept;
	char *w = NULL;
	unsigned before_fn = t->fn, before_fp = t->fp;

	sv_init(&all);
	sv_init(&mine);
	sv_init(&kept);
	if (strcmp(want, "COMMON") == 0) {
		want = fixture_common;
	} else if (strcmp(want, "ALL") == 0) {
		want = text;
	} else {
		struct strbuf sb;
		sb_init(&sb);
		for (const char *p = want; *p != '\0'; p++) {
			if (p[0] == '\\' && p[1] == 'n') {
				sb_putc(&sb, '\n');
				p++;
			} else {
				sb_putc(&sb, *p);
			}
		}
		want = w = sb_steal(&sb);
	}
	hd_quote_split(text, strlen(text), NULL, &sp);
	fixture_lines(text, &all);
	fixture_lines(want, &mine);
	fixture_lines(sp.agent, &kept);
	for (size_t i = 0; i < all.n; i++) {
		bool is_mine = fixture_has(&mine, all.v[i]), is_kept = fixture_has(&kept, all.v[i]);
		if (is_mine)
			is_kept ? t->tp++ : t->fn++;
		else
			is_kept ? t->fp++ : t->tn++;
	}
	hd_quote_split_free(&sp);
	sv_free(&all);
	sv_free(&mine);
	sv_free(&kept);
	free(w);
	return t->fn == before_fn && t->fp == before_fp;
}

/* Public entry: see replies-corpus.h. */
int fixtures_run(const char *dir, corpus_wrong_fn *wrong, struct fixture_tally *t_r)
{
	char *path = xasprintf("%s/expect", dir);
	char *list = corpus_read(path);

	memset(t_r, 0, sizeof(*t_r));
	free(path);
	if (list == NULL)
		return -1;
	for (char *line = strtok(list, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		char *tab = strchr(line, '\t');
		if (line[0] == '#' || tab == NULL)
			continue;
		*tab = '\0';
		char *file = xasprintf("%s/%s", dir, line);
		char *text = corpus_read(file);
		t_r->total++;
		if (text == NULL) {
			if (wrong)
				wrong(line, "-", "cannot be read");
		} else if (fixture_one(text, tab + 1, t_r)) {
			t_r->right++;
		} else if (wrong) {
			wrong(line, "-", "the writer's lines and the quote were not told apart");
		}
		free(text);
		free(file);
	}
	free(list);
	return 0;
}

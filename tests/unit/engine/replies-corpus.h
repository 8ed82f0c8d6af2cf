#ifndef HD_REPLIES_CORPUS_H
#define HD_REPLIES_CORPUS_H
/*
 * replies-corpus - runs the engine over tests/data/replies: every client and
 * language template filled with a phrase or an amount in the agent's new
 * words (a positive) or only in the customer's quote (a negative). Shared by
 * the Check test test-replies and bench/quotes.
 */
#include <stddef.h>

/* Outcomes of one category (one template). */
struct corpus_tally {
	char name[64];
	unsigned tp, fn, fp, tn;
	unsigned tagged;	/* negatives only tagged (uncertain split), not refused */
};

/* Called for every wrong outcome. */
typedef void corpus_wrong_fn(const char *category, const char *variant, const char *what);

/* Run every *.eml under dir with the policy; returns the number of
   categories (sorted by name) and the tallies in *tally_r (allocated),
   or (size_t)-1 when the directory or policy cannot be read. */
size_t corpus_run(const char *dir, corpus_wrong_fn *wrong, struct corpus_tally **tally_r);

/* Line counts over the reply-parser fixtures (tests/data/replies/crisp):
   the writer's lines kept (tp) or dropped (fn), quoted lines kept (fp) or
   dropped (tn), and the fixtures entirely right. */
struct fixture_tally {
	unsigned tp, fn, fp, tn;
	unsigned right, total;
};

/* Split every fixture listed in dir/expect; wrong (may be NULL) is called
   for every fixture not entirely right. -1 when dir/expect cannot be read. */
int fixtures_run(const char *dir, corpus_wrong_fn *wrong, struct fixture_tally *t_r);

#endif

#ifndef HD_TONE_H
#define HD_TONE_H
/*
 * tone - prohibited-phrase scanning of an agent's own text (SPEC s.4, s.7):
 * one automaton over every phrase of the policy, `unless` context phrases that
 * cancel a match, and the policy's examples run as self-tests. Reports the
 * original text of each hit and its line; never decides the verdict action
 * (the engine does, from the findings).
 */
#include <stddef.h>
#include "policy.h"

struct hd_tone_index;

struct hd_tone_hit {
	const struct hd_phrase *phrase;
	char *text;		/* the original words as the agent wrote them */
	int line;		/* 1-based line in the scanned text */
	enum hd_action action;	/* the phrase's action or the policy default */
};

/* Build the index for p->phrases into p->tone. False + diag on a bad phrase. */
bool hd_tone_compile(struct hd_policy *p, struct hd_diag *diag);
void hd_tone_index_deinit(struct hd_tone_index **idx);

/* Scan text; hits are appended to *hits_r (caller frees with hd_tone_hits_free).
   At most max_hits hits; duplicates of the same phrase id and same normalised
   words are reported once. Returns the number of hits. */
size_t hd_tone_scan(const struct hd_policy *p, const char *text, size_t len,
		    size_t max_hits, struct hd_tone_hit **hits_r);
void hd_tone_hits_free(struct hd_tone_hit *hits, size_t n);

/* Examples self-test: every `bad` example must hit its phrase and no `good`
   example may; failures go to diag with the phrase's line. Returns failures. */
size_t hd_tone_selftest(const struct hd_policy *p, struct hd_diag *diag);

#endif

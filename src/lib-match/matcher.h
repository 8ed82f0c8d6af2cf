#ifndef HD_MATCHER_H
#define HD_MATCHER_H
/*
 * matcher - multi-pattern matching over normalised text with one
 * Aho-Corasick automaton, built once per policy load; cost per byte does not
 * grow with the number of patterns. Matches only on word boundaries. The
 * automaton is immutable after hd_matcher_build() and safe to share between
 * threads.
 */
#include <stdbool.h>
#include <stddef.h>

struct hd_normtext;
struct hd_matcher;

#define HD_MATCHER_MAX_PATTERN_BYTES 1024
/* Sum of the normalised pattern lengths of one matcher; the number of
   automaton states never exceeds this sum plus one. */
#define HD_MATCHER_MAX_TOTAL_BYTES (64u * 1024 * 1024)
/* Memory spent on full transition rows for the shallowest states (the rest
   use sorted edge lists and fail links). */
#define HD_MATCHER_DENSE_MAX_BYTES (4u * 1024 * 1024)

struct hd_match {
	int id;			/* caller's id given to hd_matcher_add */
	size_t start, end;	/* byte offsets in the normalised text [start, end) */
};
/* Return false to stop scanning. */
typedef bool hd_match_fn(const struct hd_match *m, void *ctx);

struct hd_matcher *hd_matcher_new(void);
/* Add a pattern (normalised internally with hd_norm_string). Returns false
   for an empty or over-long pattern. Several patterns may share an id. */
bool hd_matcher_add(struct hd_matcher *m, const char *pattern, int id);
/* Before build: memory for dense rows instead of HD_MATCHER_DENSE_MAX_BYTES
   (capped by it; 0 = only the root is dense). For tests and benchmarks. */
void hd_matcher_set_dense_bytes(struct hd_matcher *m, size_t bytes);
void hd_matcher_build(struct hd_matcher *m);
size_t hd_matcher_count(const struct hd_matcher *m);
/* Report every word-bounded match, in order of end offset. */
void hd_matcher_scan(const struct hd_matcher *m, const struct hd_normtext *nt,
		     hd_match_fn *fn, void *ctx);
/* Convenience: true when any pattern matches in s (normalised here). */
bool hd_matcher_matches(const struct hd_matcher *m, const char *s, size_t len);
void hd_matcher_deinit(struct hd_matcher **m);

#endif
